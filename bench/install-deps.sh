#!/bin/sh
# Installs nginx and HAProxy for make bench when they are missing, on
# Debian-like systems with apt-get and root. The harness starts its own
# instances with generated configs, so the packages' services must not
# run: starting them is denied during the install, and a service that
# started anyway is stopped by the PID in its own pid file.
set -eu

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

if have nginx && have haproxy; then
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
	echo "bench: nginx or haproxy missing and cannot install them here (needs apt-get as root); the harness skips them" >&2
	exit 0
fi

# Deny service starts during the install, unless a policy already exists.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=1
fi
cleanup() { if [ -n "$made_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx haproxy

# A service that started regardless would hold port 80; stop it by PID.
for pidfile in /run/nginx.pid /run/haproxy.pid; do
	if [ -s "$pidfile" ]; then
		pid=$(cat "$pidfile")
		echo "bench: stopping the $(basename "$pidfile" .pid) service the package started (pid $pid)" >&2
		kill "$pid" 2>/dev/null || true
	fi
done
