// Package harness runs the end-to-end benchmark: it starts a backend,
// Portico and, when installed, nginx and HAProxy configured alike on
// loopback, drives each target (and the backend directly) with the same
// load in interleaved rounds, and renders the medians as markdown tables.
//
// The server under test is pinned to one CPU with taskset and the load
// generator and backend to another. Because the load side saturates first
// on a small machine, req/s alone cannot rank proxies; the harness also
// reports each server's own CPU time per request, read from /proc over
// the measured window, and its peak RSS.
//
// Every process the harness starts runs in its own process group, which
// is signalled as a whole when the run ends; nothing is stopped by name.
// Configs for nginx, HAProxy and Portico are written into a temporary
// directory. The load itself is package load; the upstream is package
// backend. The harness needs Linux: it reads /proc and uses taskset.
package harness
