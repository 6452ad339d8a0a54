#!/usr/bin/env bash
# Runs the demo: two demo backends and the gateway on the demo config, in
# the foreground. Ctrl-C (or SIGTERM) stops all three; nothing is left
# running.
set -euo pipefail
bin=${1:-bin}
cfg=${2:-configs/demo.toml}

pids=()
stop() {
	trap - INT TERM EXIT
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap stop INT TERM EXIT

"$bin/demo-backend" -listen 127.0.0.1:9001 -name users & pids+=($!)
"$bin/demo-backend" -listen 127.0.0.1:9002 -name orders & pids+=($!)
"$bin/portico" validate -config "$cfg"
"$bin/portico" -config "$cfg" & pids+=($!)

cat <<'TRY'

Portico is on http://127.0.0.1:8080 (admin API on http://127.0.0.1:9901). Try:

  curl -i http://127.0.0.1:8080/users/42 -H 'Host: api.localhost'
  curl -i http://127.0.0.1:8080/orders/7/items -H 'Host: api.localhost'
  curl -i http://127.0.0.1:8080/maintenance
  curl -i -X DELETE http://127.0.0.1:8080/users/42 -H 'Host: api.localhost'
  curl -i 'http://127.0.0.1:8080/anything?x=1'
  curl -s http://127.0.0.1:9901/upstreams

Ctrl-C stops the gateway and the backends.
TRY
wait -n "${pids[@]}"
