#!/usr/bin/env bash
# Runs the demo: two demo backends and the gateway on the demo config, in
# the foreground. Ctrl-C (or SIGTERM) stops all three; nothing is left
# running.
set -euo pipefail
bin=${1:-bin}
cfg=${2:-configs/demo.toml}

# A JWT for alice, signed with the demo config's HS256 secret; it expires
# in 2100.
DEMO_JWT=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJkZW1vLWFwaSIsImV4cCI6NDEwMjQ0NDgwMCwiaXNzIjoicG9ydGljby1kZW1vIiwic3ViIjoiYWxpY2UifQ.xu54iqYKv8BdspsngBNpJjnfGFhHimyP6nhnrcnMj_c

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

cat <<TRY

Portico is on http://127.0.0.1:8080, its admin API on http://127.0.0.1:9901.
Try, from another terminal:

  curl -i http://127.0.0.1:8080/users/42 -H 'Host: api.localhost'     # users backend, by host and path
  curl -i http://127.0.0.1:8080/orders/7/items                         # orders backend sees /7/items
  curl -s http://127.0.0.1:8080/mixed/a                                # 3:1 weighted over both backends
  curl -i http://127.0.0.1:8080/maintenance                            # 503 answered by the gateway
  curl -i -X DELETE http://127.0.0.1:8080/users/42 -H 'Host: api.localhost'   # 405 with Allow
  curl -i http://127.0.0.1:8080/partner/report                         # 401, needs a credential
  curl -i http://127.0.0.1:8080/partner/report -H 'X-API-Key: demo-key-alice'
  export DEMO_JWT=${DEMO_JWT}
  curl -i http://127.0.0.1:8080/partner/report -H "Authorization: Bearer \$DEMO_JWT"
  for i in 1 2 3 4 5 6; do curl -s -o /dev/null -w '%{http_code} ' http://127.0.0.1:8080/limited; done; echo
  curl -i http://127.0.0.1:8080/limited                                # 429 with Retry-After and RateLimit headers
  curl -s http://127.0.0.1:9901/upstreams
  curl -s http://127.0.0.1:9901/usage
  curl -s http://127.0.0.1:9901/metrics | grep ^portico_

Ctrl-C stops the gateway and the backends.
TRY
wait -n "${pids[@]}"
