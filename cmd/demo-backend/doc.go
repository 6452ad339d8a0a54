// Command demo-backend is a small upstream for trying the gateway out. It
// answers every path with a JSON document that names the backend and
// shows the request as it arrived, so a curl through Portico shows which
// backend answered and what the gateway forwarded (X-Forwarded-For, the
// rewritten path, the Host header):
//
//	demo-backend -listen 127.0.0.1:9001 -name users
//
// A few paths do something else:
//
//	/healthz       200 {"status":"ok"}, for health checks
//	/slow?ms=N     waits N milliseconds (at most 30 s) before answering
//	/status/NNN    answers with status NNN (200..599)
//	/bytes/N       streams N bytes (at most 1 GiB) of text
//
// It logs one line at start and one at stop, and on SIGTERM or SIGINT it
// stops accepting connections and lets requests in flight finish; a
// pending /slow wait ends at once with 503. It is a demo: it has no TLS
// and no limits beyond the caps above, and must only listen on loopback
// or a trusted network.
package main
