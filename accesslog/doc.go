// Package accesslog writes one record per proxied request without ever
// holding the request up.
//
// The proxy fills an Entry on the request path and hands it to
// Logger.Log, which copies it into a preallocated slot of a fixed-size
// ring and returns. One writer goroutine per Logger takes records off the
// ring, formats each into a reused buffer and collects whole lines into a
// 64 KiB batch, written out when it is full or the ring runs empty, so a
// write call never ends inside a record. The writer looks at the ring
// every 10 ms, and sooner when Log sees half the ring fill: a record
// reaches the output within about 10 ms, and a busy gateway makes one
// write call per interval rather than one per request. When the output is
// slower than the traffic the ring fills up and further records are
// dropped and counted (Logger.Dropped); Log never waits for the disk.
// Records a failed write takes with it are counted by Logger.Lost.
//
// Give the access log an output of its own. A pipe keeps only writes of
// up to 4 KiB whole, so sharing stdout with the process log can splice a
// log line into an access record.
//
// # Formats
//
// "json" writes one JSON object per line with a fixed set of keys, always
// in this order and always present:
//
//	{"time":"2026-12-04T16:48:13.123456Z","client_ip":"192.0.2.1",
//	 "method":"GET","host":"api.example.com","path":"/users/7",
//	 "query":"a=1","proto":"HTTP/1.1","status":200,"bytes_in":0,
//	 "bytes_out":512,"duration_us":1234,"upstream_us":1100,
//	 "route":"users","target":"127.0.0.1:9001","request_id":"abc",
//	 "user_agent":"curl/8.5.0","referer":"","consumer":"alice",
//	 "limited":false,"error":""}
//
// (shown wrapped here; a record is a single line). The time is RFC 3339
// with microseconds in the location of Entry.Time. Durations are integer
// microseconds. Strings are escaped by hand: quotes, backslashes and
// control characters are escaped, and bytes that are not valid UTF-8 are
// replaced with U+FFFD, so every line is valid JSON whatever the client
// sent.
//
// "combined" writes the Apache/nginx combined log format with the
// consumer in the remote-user column and the two durations appended:
//
//	192.0.2.1 - alice [04/Dec/2026:16:48:13 +0000] "GET /users/7?a=1 HTTP/1.1" 200 512 "-" "curl/8.5.0" 1234 1100
//
// Quotes and backslashes inside quoted fields are escaped with a
// backslash, and every byte below 0x20 or above 0x7e is written as \xHH,
// as nginx does. An empty field is written as "-".
//
// # Limits
//
// A slot owns a fixed byte budget (see MaxPathBytes and the other Max
// constants). A longer field is cut at a UTF-8 boundary and
// TruncatedMarker is written after it, so a truncated value is visible in
// the log. The ring costs about BufferRecords × 3 KiB of memory.
//
// # What it leaves to others
//
// Filling the Entry (client IP after trusted proxies, status, byte
// counts, the error word) is the proxy's job. Rotation is done outside
// the process; the command calls Logger.Reopen on SIGHUP or SIGUSR1 after
// the file was moved away. Sampling is not done here.
package accesslog
