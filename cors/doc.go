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
// Authentication and rate limits are left to packages auth and limits;
// the front end should run Handle first, because browsers send preflight
// requests without credentials.
package cors
