// Package cors answers cross-origin requests for a route as the Fetch
// standard's CORS protocol describes (https://fetch.spec.whatwg.org/#http-cors-protocol).
//
// A Policy is compiled from a [routes.NAME.cors] table by New and is
// immutable and safe for concurrent use. Handle adds the response headers
// and tells the front end whether the request is a preflight, which the
// gateway answers itself (204) without contacting the upstream.
//
// Origins are never reflected blindly: Access-Control-Allow-Origin
// carries either "*" (configured, without credentials), a configured
// origin, or a request origin that matched a configured
// "https://*.example.com" pattern and consists only of host name bytes.
// A request from any other origin gets no CORS headers, so the browser
// blocks the response.
//
// A front end calls Handle twice at most: on an OPTIONS request before
// authentication (browsers send preflights without credentials), and on
// every other request once the upstream's response headers are in
// place, so that Handle can replace any CORS headers the upstream sent.
// Authentication and rate limits are left to packages auth and limits.
package cors
