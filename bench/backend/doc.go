// Package backend is the upstream the bench harness proxies to: a small
// fasthttp server whose answers have fixed, known sizes, so that every
// target under test moves the same bytes.
//
//	GET /1k          200, 1 KiB body
//	GET /64k         200, 64 KiB body
//	POST /echo-size  200, the request body's length in decimal
//	/_bench/accepted 200, connections accepted so far (NewServer only)
//	anything else    200, 1 KiB body
//
// It does no logging and allocates nothing per request. Starting it on a
// CPU of its own, and stopping it, is the caller's job.
package backend
