package proxy

import (
	"bytes"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/portico-gw/portico/accesslog"
	"github.com/portico-gw/portico/cors"
	"github.com/portico-gw/portico/limits"
	"github.com/portico-gw/portico/metrics"
	"github.com/portico-gw/portico/pool"
	"github.com/portico-gw/portico/router"
	"github.com/portico-gw/portico/view"
	"github.com/valyala/bytebufferpool"
	"github.com/valyala/fasthttp"
)

// scratch is the per-request working memory: buffers that grow to the
// largest request seen and are then reused, so the steady state allocates
// nothing. One scratch serves one request at a time; it comes from a
// sync.Pool and goes back when the handler returns, so nothing in it may
// be kept past that.
type scratch struct {
	host   []byte
	path   []byte
	uri    []byte
	fwd    []byte
	qbuf   []byte
	body   []byte // gateway-made bodies (429)
	id     []byte
	allow  []byte
	params router.Params
	view   view.Request
	query  lazyArgs
	entry  accesslog.Entry
	// decision is the request's limits outcome; it lives here because it
	// is large and its header writes need a stable address.
	decision limits.Decision

	// Filled by forward for the access log.
	rawQuery   []byte
	now        time.Time
	consumer   string
	challenge  string
	limited    bool
	metrics    *metrics.Route
	cors       *cors.Policy // set when a refusal must carry CORS headers
	closeConn  bool         // the client connection must close after the answer
	route      string
	target     string
	errWord    string
	upstreamNs time.Duration
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// reset forgets the previous request: every slice that pointed into its
// memory is cut to zero length or dropped.
func (sc *scratch) reset() {
	sc.host, sc.path, sc.rawQuery = sc.host[:0], sc.path[:0], nil
	sc.route, sc.target, sc.errWord, sc.upstreamNs = "", "", "", 0
	sc.consumer, sc.challenge, sc.limited, sc.metrics = "", "", false, nil
	sc.cors = nil
	sc.view = view.Request{}
	sc.query.req, sc.query.dirty = nil, false
	sc.closeConn = false
}

// lazyArgs gives the view the query string without parsing it unless a
// policy step asks for it, and notes whether a step removed anything.
type lazyArgs struct {
	req   *fasthttp.Request
	dirty bool
}

func (a *lazyArgs) Peek(name string) []byte { return a.req.URI().QueryArgs().Peek(name) }

func (a *lazyArgs) Del(name string) {
	args := a.req.URI().QueryArgs()
	if args.Has(name) {
		args.Del(name)
		a.dirty = true
	}
}

// serve is the fasthttp.RequestHandler of the gateway. Its steps:
// request id, forward (which routes, applies policy and proxies), then the
// gateway-made error if there is one, and the access log.
func (g *Gateway) serve(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.reset()
	sc.now = start

	// Keep a sane client request id so a call can be followed across
	// services; anything else is replaced.
	sc.id = sc.id[:0]
	if id := ctx.Request.Header.Peek("X-Request-Id"); validRequestID(id) {
		sc.id = append(sc.id, id...)
	} else {
		sc.id = g.ids.appendNext(sc.id)
	}

	status := g.forward(ctx, sc)
	if status != 0 {
		if sc.errWord == "" {
			sc.errWord = errorWord(status)
		}
		writeError(ctx, status, sc.errWord, sc.id)
		if sc.closeConn {
			ctx.SetConnectionClose()
		}
		if sc.cors != nil {
			// Browsers read a refusal only when it carries CORS headers.
			sc.cors.Handle(&sc.view, &ctx.Response.Header)
		}
		switch status {
		case fasthttp.StatusMethodNotAllowed:
			ctx.Response.Header.SetBytesV("Allow", sc.allow)
		case fasthttp.StatusUnauthorized:
			ctx.Response.Header.Set("WWW-Authenticate", sc.challenge)
		}
	} else {
		ctx.Response.Header.SetBytesV("X-Request-Id", sc.id)
	}
	elapsed := time.Since(start)
	g.observe(sc, ctx.Response.StatusCode(), status, elapsed)
	g.logAccess(ctx, sc, start, elapsed)
}

// observe records the request in the metrics: under its route, or under
// the no-route label when it was refused before routing.
func (g *Gateway) observe(sc *scratch, status, gatewayStatus int, elapsed time.Duration) {
	if g.metrics == nil {
		return
	}
	rt := sc.metrics
	if rt == nil {
		rt = g.metrics.NoRoute()
	}
	rt.Observe(status, elapsed, sc.upstreamNs)
	if sc.upstreamNs > 0 && gatewayStatus >= 502 {
		rt.UpstreamError(gatewayStatus)
	}
}

// forward does everything between a parsed request and a response from
// the upstream. It returns 0 when ctx.Response holds the answer, or the
// status of a gateway-made error (sc.errWord may name it).
func (g *Gateway) forward(ctx *fasthttp.RequestCtx, sc *scratch) int {
	st := g.state.Load()
	if st == nil {
		return fasthttp.StatusServiceUnavailable
	}
	req := &ctx.Request

	// The message itself: framing and field names that an upstream could
	// read differently (message.go). Refused and the connection closed.
	if !checkHeaderBlock(req.Header.RawHeaders(), req.Header.ContentLength() == -1) ||
		!validMethod(req.Header.Method()) {
		sc.closeConn = true
		return fasthttp.StatusBadRequest
	}

	// Body size. Known lengths over the limit are refused before anything
	// is sent; chunked bodies are read up to the limit (see bufferChunked).
	if cl := req.Header.ContentLength(); cl > 0 && int64(cl) > st.maxBody {
		sc.closeConn = true
		return fasthttp.StatusRequestEntityTooLarge
	} else if cl == -1 && req.IsBodyStream() {
		if status := bufferChunked(req, st.maxBody); status != 0 {
			sc.closeConn = true
			return status
		}
	} else if cl > 0 && cl <= streamThreshold && req.IsBodyStream() {
		// fasthttp hands even small bodies over as a stream, which the
		// upstream writer then copies 4 KiB at a time, a write(2)
		// each. Read a small body whole so it leaves with its header
		// in one write.
		_ = req.Body()
	}

	// Host and path. RFC 9112 §3.2: an HTTP/1.1 request without Host
	// gets 400. The path is normalised before routing so that dot
	// segments and encodings cannot reach past a route.
	rawURI := req.Header.RequestURI()
	rawPath, rawQuery, authority, ok := splitRequestTarget(rawURI)
	if !ok {
		return fasthttp.StatusBadRequest
	}
	hostHdr := req.Header.Host()
	if len(authority) > 0 {
		// RFC 9112 §3.2.2: the absolute form's authority replaces Host,
		// for routing and for what is forwarded alike.
		req.Header.SetHostBytes(authority)
		hostHdr = req.Header.Host()
	}
	sc.rawQuery = rawQuery
	if len(hostHdr) == 0 && req.Header.IsHTTP11() {
		return fasthttp.StatusBadRequest
	}
	sc.host = appendHostKey(sc.host[:0], hostHdr)
	var err error
	if sc.path, err = router.Normalize(sc.path[:0], rawPath); err != nil {
		return fasthttp.StatusBadRequest
	}

	// Route.
	method := req.Header.Method()
	sc.params.Reset()
	r, found := st.tree.Lookup(sc.host, method, sc.path, &sc.params)
	switch found {
	case router.NotFound:
		return fasthttp.StatusNotFound
	case router.MethodNotAllowed:
		sc.allow = st.tree.AppendAllow(sc.allow[:0], sc.host, sc.path)
		return fasthttp.StatusMethodNotAllowed
	}
	sc.route = r.name
	sc.metrics = r.metrics

	// Hop-by-hop headers go before any policy step runs, so a header a
	// client names in Connection can neither hide a credential from auth
	// nor remove what the gateway adds later (identity, forwarding).
	upgrade := r.websocket && isWebSocketUpgrade(&req.Header)
	stripHopByHop(&req.Header)

	// The caller's real address, for policy steps and forwarding headers.
	peer := peerAddr(ctx)
	trusted := st.trusted.contains(peer)
	sc.query.req = req
	sc.view = view.Request{
		Method:   method,
		Host:     sc.host,
		Path:     sc.path,
		ClientIP: st.trusted.clientIP(peer, trusted, req.Header.Peek("X-Forwarded-For")),
		Header:   &req.Header,
		Query:    &sc.query,
		Route:    r.name,
	}

	// CORS preflights are answered here: they carry no credentials and
	// must not count against anyone's limits.
	if r.cors != nil && req.Header.IsOptions() && r.cors.Handle(&sc.view, &ctx.Response.Header) {
		ctx.Response.SetStatusCode(fasthttp.StatusNoContent)
		return 0
	}

	// Callers: IP rules, credentials, allow lists. Identity headers a
	// client sent are dropped here whatever the route.
	res := st.auth.CheckAt(r.access, &sc.view, sc.now)
	sc.consumer = res.Consumer
	sc.view.KeyHash = res.KeyHash
	if res.Status != 0 {
		sc.cors = r.cors
		sc.errWord, sc.challenge = res.Reason, res.Challenge
		return res.Status
	}

	// Limits and quotas, on the caller the step above identified.
	if r.limit != nil {
		sc.decision = st.limits.CheckAt(r.limit, &sc.view, res.Consumer, sc.now)
		if !sc.decision.Allowed() {
			writeLimited(ctx, sc)
			if r.cors != nil {
				r.cors.Handle(&sc.view, &ctx.Response.Header)
			}
			return 0
		}
	}

	if r.respond != nil {
		r.respond.write(&ctx.Response)
		g.finishResponse(ctx, r, sc)
		return 0
	}

	// The request as the upstream will see it: rewritten target, no
	// hop-by-hop headers, forwarding headers, HTTP/1.1 keep-alive framing.
	if sc.query.dirty {
		// A policy step removed a query parameter (an API key taken from
		// the query): forward, and log, the query without it.
		rawQuery = nil
		if args := req.URI().QueryArgs(); args.Len() > 0 {
			rawQuery = args.AppendBytes(sc.qbuf[:0])
			sc.qbuf = rawQuery
		}
		sc.rawQuery = rawQuery
	}
	sc.uri = appendUpstreamURI(sc.uri[:0], r, sc.path, rawQuery, &sc.params)
	// rawQuery points into the request line's buffer, which
	// SetRequestURIBytes below overwrites; the log reads the copy at the
	// end of sc.uri instead.
	if rawQuery != nil {
		sc.rawQuery = sc.uri[len(sc.uri)-len(rawQuery):]
	}
	if upgrade {
		return g.tunnel(ctx, st, r, sc, peer, trusted)
	}
	req.Header.ResetConnectionClose()
	if !req.Header.IsHTTP11() {
		req.Header.SetProtocol("HTTP/1.1")
	}
	setForwarded(&req.Header, sc, peer, trusted, g.tls, hostHdr)
	req.Header.SetBytesV("X-Request-Id", sc.id)
	req.SetRequestURIBytes(sc.uri)

	// Upstream round trip.
	u := r.upstream
	t0 := time.Now()
	target, err := u.Do(req, &ctx.Response, u.HashWith(&sc.view, sc.consumer), r.timeout)
	sc.upstreamNs = time.Since(t0)
	if target != nil {
		sc.target = target.Addr()
	}
	if err != nil {
		return pool.StatusFor(err)
	}

	// The response: drop its hop-by-hop headers, and let the client
	// connection's fate follow the client, not the upstream connection.
	resp := &ctx.Response
	stripHopByHop(&resp.Header)
	resp.Header.ResetConnectionClose()
	resp.Header.SetProtocol(strHTTP11)
	g.finishResponse(ctx, r, sc)
	return 0
}

// finishResponse adds the route's policy headers to an answer that is
// going out: RateLimit headers and CORS headers.
func (g *Gateway) finishResponse(ctx *fasthttp.RequestCtx, r *route, sc *scratch) {
	if r.limit != nil {
		sc.decision.WriteHeaders(&ctx.Response.Header)
	}
	if r.cors != nil {
		r.cors.Handle(&sc.view, &ctx.Response.Header)
	}
}

// writeLimited answers a request over a limit or quota: 429 with the
// RateLimit headers, Retry-After and a JSON body.
func writeLimited(ctx *fasthttp.RequestCtx, sc *scratch) {
	sc.limited = true
	sc.errWord = errRateLimited
	if sc.decision.QuotaExhausted() {
		sc.errWord = errQuota
	}
	resp := &ctx.Response
	resp.Reset()
	resp.SetStatusCode(fasthttp.StatusTooManyRequests)
	resp.Header.SetContentType("application/json")
	resp.Header.Set("Cache-Control", "no-store")
	sc.decision.WriteHeaders(&resp.Header)
	sc.body = sc.decision.AppendBody(sc.body[:0], sc.id)
	resp.SetBody(sc.body)
}

var strHTTP11 = []byte("HTTP/1.1")

// bufferChunked reads a chunked request body into memory, up to max
// bytes, so the limit holds before the upstream sees a byte. Requests with
// a Content-Length stream instead; chunked uploads are rare on APIs, and
// buffering them is what lets the gateway answer 413 rather than cut an
// upload off half way. Memory per request stays bounded by max.
func bufferChunked(req *fasthttp.Request, max int64) int {
	bb := bodyPool.Get()
	defer bodyPool.Put(bb)
	n, err := bb.ReadFrom(io.LimitReader(req.BodyStream(), max+1))
	switch {
	case err != nil:
		return fasthttp.StatusBadRequest
	case n > max:
		return fasthttp.StatusRequestEntityTooLarge
	}
	req.SetBody(bb.B)
	return 0
}

var bodyPool bytebufferpool.Pool

// write puts the route's own answer into resp.
func (sr *staticResponse) write(resp *fasthttp.Response) {
	resp.SetStatusCode(sr.status)
	for _, kv := range sr.headers {
		resp.Header.Set(kv[0], kv[1])
	}
	resp.SetBodyRaw(sr.body)
}

// appendUpstreamURI appends the request target the upstream receives:
// the rewrite template expanded with the route's params, or the normalized
// path with the route's prefix stripped, then the query byte for byte.
func appendUpstreamURI(dst []byte, r *route, path, query []byte, ps *router.Params) []byte {
	switch {
	case r.rewrite != "":
		dst = router.Expand(dst, r.rewrite, ps)
	case len(r.strip) > 0 && bytes.HasPrefix(path, r.strip):
		rest := path[len(r.strip):]
		if len(rest) == 0 || rest[0] != '/' {
			dst = append(dst, '/')
		}
		dst = append(dst, rest...)
	default:
		dst = append(dst, path...)
	}
	if query != nil {
		dst = append(dst, '?')
		dst = append(dst, query...)
	}
	return dst
}

// splitRequestTarget splits the request-target of the request line
// (RFC 9112 §3.2) into path and query. Origin form ("/p?q") is the usual
// one; absolute form ("http://host/p?q") also yields the authority, which
// then replaces Host. query is nil when there is no '?'. Asterisk and
// authority forms are refused: they are not for a gateway's routes.
func splitRequestTarget(uri []byte) (path, query, authority []byte, ok bool) {
	// A fragment never belongs in a request target (RFC 9112 §3.2); left
	// in, the router and the upstream would cut the path in different
	// places.
	if len(uri) == 0 || bytes.IndexByte(uri, '#') >= 0 {
		return nil, nil, nil, false
	}
	if uri[0] != '/' {
		rest, found := cutScheme(uri)
		if !found {
			return nil, nil, nil, false
		}
		i := bytes.IndexByte(rest, '/')
		if i < 0 {
			authority, uri = rest, []byte("/")
		} else {
			authority, uri = rest[:i], rest[i:]
		}
		if len(authority) == 0 || bytes.ContainsAny(authority, "?@") {
			return nil, nil, nil, false
		}
	}
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		return uri[:i], uri[i+1:], authority, true
	}
	return uri, nil, authority, true
}

func cutScheme(uri []byte) ([]byte, bool) {
	for _, scheme := range [...]string{"http://", "https://"} {
		if len(uri) > len(scheme) && bytes.EqualFold(uri[:len(scheme)], []byte(scheme)) {
			return uri[len(scheme):], true
		}
	}
	return nil, false
}

// appendHostKey appends host as the router matches it: lower case, no
// port, no brackets around an IPv6 literal's port separator.
func appendHostKey(dst, host []byte) []byte {
	if i := bytes.LastIndexByte(host, ':'); i >= 0 && !bytes.HasSuffix(host, []byte("]")) {
		host = host[:i]
	}
	for _, c := range host {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// bytesOut is the response body's size as far as the handler knows it:
// the Content-Length of a streamed body (0 when chunked), else the body
// held in memory.
//
// TODO: a chunked streamed body is logged as 0 bytes; the front end
// writes it after the handler returns and does not report the count.
func bytesOut(resp *fasthttp.Response) int64 {
	if resp.IsBodyStream() {
		return int64(max(resp.Header.ContentLength(), 0))
	}
	return int64(len(resp.Body()))
}

// peerAddr is the address of the TCP peer, IPv4-mapped IPv6 unmapped.
func peerAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	if a, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	}
	return netip.Addr{}
}

// logAccess hands the request's record to the access log, which copies it.
func (g *Gateway) logAccess(ctx *fasthttp.RequestCtx, sc *scratch, start time.Time, elapsed time.Duration) {
	if g.access == nil {
		return
	}
	e := &sc.entry
	*e = accesslog.Entry{
		Time:             start,
		ClientIP:         sc.view.ClientIP,
		Method:           ctx.Request.Header.Method(),
		Host:             sc.host,
		Path:             sc.path,
		Query:            sc.rawQuery,
		Proto:            ctx.Request.Header.Protocol(),
		Status:           ctx.Response.StatusCode(),
		BytesIn:          int64(len(ctx.Request.Header.RawHeaders())) + int64(max(ctx.Request.Header.ContentLength(), 0)),
		BytesOut:         bytesOut(&ctx.Response),
		Duration:         elapsed,
		UpstreamDuration: sc.upstreamNs,
		Route:            sc.route,
		Target:           sc.target,
		RequestID:        sc.id,
		Consumer:         sc.consumer,
		Limited:          sc.limited,
		UserAgent:        ctx.Request.Header.UserAgent(),
		Referer:          ctx.Request.Header.Referer(),
		Error:            sc.errWord,
	}
	if !e.ClientIP.IsValid() {
		e.ClientIP = peerAddr(ctx)
	}
	g.access.Log(e)
}
