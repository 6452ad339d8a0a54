package auth

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/portico-gw/portico/cors"
	"github.com/portico-gw/portico/view"
)

// Log attribute keys used by this package.
const (
	logKeySource   = "jwks_source"
	logKeyError    = "error"
	logKeyHaveKeys = "have_keys"
	logKeyKeys     = "keys"
)

// hdrAuthorization carries Bearer and Basic credentials (RFC 9110 §11.6.2).
const hdrAuthorization = "Authorization"

// Reasons in Result.Reason: short fixed words for the access log.
const (
	ReasonOpen          = "open"           // route has no access rules
	ReasonAnonymous     = "anonymous"      // no credentials, route allows anonymous
	ReasonKey           = "key"            // API key accepted
	ReasonJWT           = "jwt"            // JWT accepted
	ReasonBasic         = "basic"          // Basic credentials accepted
	ReasonIPDenied      = "ip_denied"      // 403: client address not allowed
	ReasonNoCredentials = "no_credentials" // 401: nothing the route accepts
	ReasonBadKey        = "bad_key"        // 401: unknown API key
	ReasonBadToken      = "bad_token"      // 401: JWT invalid, expired or unknown consumer
	ReasonBadBasic      = "bad_basic"      // 401: wrong user or password
	ReasonForbidden     = "forbidden"      // 403: caller not in the route's allow lists
)

// Result is the outcome of Check. It is returned by value and holds only
// strings owned by the Authenticator, so it stays valid after the request.
type Result struct {
	// Status is 0 when the request may proceed, else 401 or 403.
	Status int
	// Consumer is the caller's name, empty for anonymous callers.
	Consumer string
	// Plan is the consumer's plan from the config, possibly empty.
	Plan string
	// Challenge is the WWW-Authenticate value to send with a 401.
	Challenge string
	// Reason is one of the Reason constants.
	Reason string
	// KeyHash identifies the API key that authenticated the request (the
	// first 8 bytes of its SHA-256 digest, never 0), or is 0 for any
	// other outcome. Limits keyed by API key use it, because Check
	// removes the key itself before the limits step runs.
	KeyHash uint64
}

// Authenticator holds the compiled callers and access rules of one
// config. Check is safe for concurrent use; Start and Close are not to be
// called concurrently with each other.
type Authenticator struct {
	logger *slog.Logger

	// byName maps consumer names to consumers; keys maps API key
	// digests to their owners.
	byName map[string]*consumer
	keys   map[[32]byte]*consumer

	keyHeader string // "" when keys are not read from a header
	keyQuery  string // "" when keys are not read from the query
	idHeader  string
	grpHeader string
	// forged lists the identity header names and their spellings with
	// '_' for '-', all removed from every request (see forgedNames).
	forged    []string
	keepCreds bool
	realm     string
	global    ipRules
	// available is the set of methods the config makes usable.
	available methodSet

	jwt   *jwtVerifier // nil without [auth.jwt]
	basic *basicVerifier

	ttl          time.Duration
	cacheEntries int
	refresh      time.Duration

	routes map[string]*RoutePolicy

	// stop and done end the refresh goroutine started by Start.
	stop context.CancelFunc
	done sync.WaitGroup
}

// Route returns the compiled policy of the named route, or nil when the
// route has neither an access nor a cors table. Check accepts nil.
func (a *Authenticator) Route(name string) *RoutePolicy {
	return a.routes[name]
}

// CORS returns the route's CORS policy, or nil when it has none.
func (a *Authenticator) CORS(rp *RoutePolicy) *cors.Policy {
	if rp == nil {
		return nil
	}
	return rp.cors
}

// Check is CheckAt with the current time.
func (a *Authenticator) Check(rp *RoutePolicy, v *view.Request) Result {
	return a.CheckAt(rp, v, time.Now())
}

// CheckAt decides whether the request v may proceed to the upstream, with
// now as the clock for token validity and cache expiry. It must run on
// every request, rp nil included, because it also enforces the global IP
// lists and removes identity headers sent by the client.
//
// On success it edits v.Header (and v.Query): removes the credentials the
// route accepts unless keep_credentials is set, and sets the identity
// headers of the consumer. It allocates nothing when the credential is an
// API key or a JWT or Basic credential seen before (cached).
func (a *Authenticator) CheckAt(rp *RoutePolicy, v *view.Request, now time.Time) Result {
	if !a.CheckIP(rp, v.ClientIP) {
		return Result{Status: 403, Reason: ReasonIPDenied}
	}

	// Identity headers come from the gateway only, in every spelling an
	// upstream might read as ours.
	for _, h := range a.forged {
		v.Header.Del(h)
	}
	if rp == nil || !rp.access {
		return Result{Reason: ReasonOpen}
	}

	c, reason, keyHash := a.authenticate(rp, v, now)
	switch {
	case reason == ReasonAnonymous:
		a.stripCredentials(rp, v)
		return Result{Reason: reason}
	case c == nil && reason == ReasonNoCredentials:
		return Result{Status: 401, Challenge: rp.challenge, Reason: reason}
	case c == nil:
		return Result{Status: 401, Challenge: rp.challengeBad, Reason: reason}
	case !rp.allows(c):
		return Result{Status: 403, Consumer: c.name, Plan: c.plan, Reason: ReasonForbidden}
	}

	a.stripCredentials(rp, v)
	v.Header.SetBytesV(a.idHeader, c.nameHdr)
	if len(c.groupsHdr) > 0 {
		v.Header.SetBytesV(a.grpHeader, c.groupsHdr)
	}
	return Result{Consumer: c.name, Plan: c.plan, Reason: reason, KeyHash: keyHash}
}

// CheckIP reports whether addr passes the global IP lists and, when rp is
// not nil, the route's. CheckAt calls it first; a front end may call it
// earlier, before routing, with a nil rp.
func (a *Authenticator) CheckIP(rp *RoutePolicy, addr netip.Addr) bool {
	return a.global.check(addr) && (rp == nil || rp.ip.check(addr))
}

// authenticate finds the first credential the route accepts and checks
// it. It returns the consumer and an accepting reason, or nil and the
// reason for a 401, and the API key's hash when a key was accepted. A
// credential that is present but wrong is a 401 even when anonymous
// access is allowed: a client that meant to authenticate should learn
// that it failed.
func (a *Authenticator) authenticate(rp *RoutePolicy, v *view.Request, now time.Time) (
	*consumer, string, uint64) {
	if rp.methods.has(methodKey) {
		if key := a.presentedKey(v); len(key) > 0 {
			if c, h := a.lookupKey(key); c != nil {
				return c, ReasonKey, h
			}
			return nil, ReasonBadKey, 0
		}
	}
	c, reason := a.authenticateHeader(rp, v, now)
	return c, reason, 0
}

// authenticateHeader checks the Authorization header, if it carries a
// scheme the route accepts.
func (a *Authenticator) authenticateHeader(rp *RoutePolicy, v *view.Request, now time.Time) (
	*consumer, string) {
	scheme, cred := splitAuthorization(v.Header.Peek(hdrAuthorization))
	switch {
	case scheme == schemeBearer && rp.methods.has(methodJWT):
		if c := a.jwt.verify(cred, now); c != nil {
			return c, ReasonJWT
		}
		return nil, ReasonBadToken
	case scheme == schemeBasic && rp.methods.has(methodBasic):
		if c := a.basic.verify(cred, now); c != nil {
			return c, ReasonBasic
		}
		return nil, ReasonBadBasic
	}

	if rp.anonymous {
		return nil, ReasonAnonymous
	}
	return nil, ReasonNoCredentials
}

// presentedKey returns the API key from the header, else from the query,
// whichever are configured.
func (a *Authenticator) presentedKey(v *view.Request) []byte {
	if a.keyHeader != "" {
		if k := v.Header.Peek(a.keyHeader); len(k) > 0 {
			return k
		}
	}
	if a.keyQuery != "" && v.Query != nil {
		return v.Query.Peek(a.keyQuery)
	}
	return nil
}

// stripCredentials removes the credentials the route accepts, so the
// upstream never sees a key, token or password meant for the gateway. An
// Authorization header of a scheme the route does not accept is left for
// the upstream.
func (a *Authenticator) stripCredentials(rp *RoutePolicy, v *view.Request) {
	if a.keepCreds {
		return
	}
	if rp.methods.has(methodKey) {
		if a.keyHeader != "" {
			v.Header.Del(a.keyHeader)
		}
		if a.keyQuery != "" && v.Query != nil {
			v.Query.Del(a.keyQuery)
		}
	}
	scheme, _ := splitAuthorization(v.Header.Peek(hdrAuthorization))
	if scheme == schemeBearer && rp.methods.has(methodJWT) ||
		scheme == schemeBasic && rp.methods.has(methodBasic) {
		v.Header.Del(hdrAuthorization)
	}
}

// Authorization schemes splitAuthorization recognises.
const (
	schemeNone = iota
	schemeBearer
	schemeBasic
)

// splitAuthorization returns the scheme of an Authorization value and its
// credentials. Scheme names are case-insensitive (RFC 9110 §11.1) and
// separated from the credentials by one or more spaces.
func splitAuthorization(h []byte) (scheme int, cred []byte) {
	sp := bytes.IndexByte(h, ' ')
	if sp < 0 {
		return schemeNone, nil
	}
	cred = bytes.TrimLeft(h[sp+1:], " ")
	if len(cred) == 0 {
		return schemeNone, nil
	}
	switch name := h[:sp]; {
	case bytes.EqualFold(name, []byte("bearer")):
		return schemeBearer, cred
	case bytes.EqualFold(name, []byte("basic")):
		return schemeBasic, cred
	}
	return schemeNone, nil
}

// Start starts refreshing the JSON Web Key Sets in the background every
// jwks_refresh. It does nothing when no JWKS is configured. Close stops
// it.
func (a *Authenticator) Start() {
	if a.jwt == nil || len(a.jwt.sources) == 0 || a.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.stop = cancel
	a.done.Add(1)
	go a.refreshLoop(ctx)
}

// Close stops the refresh goroutine and waits for it. It is safe to call
// without Start and more than once.
func (a *Authenticator) Close() {
	if a.stop != nil {
		a.stop()
		a.done.Wait()
	}
}

// refreshLoop reloads every source each interval until ctx ends.
func (a *Authenticator) refreshLoop(ctx context.Context) {
	defer a.done.Done()
	t := time.NewTicker(a.refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = a.RefreshJWKS(ctx)
		}
	}
}

// RefreshJWKS reloads every JWKS file and URL now. A source that fails
// keeps its last good set; the first error is returned. When a set
// changed, the verified-token cache is emptied, so a key withdrawn by the
// issuer stops admitting tokens at once. It is safe to call concurrently
// with Check, but not with itself (Start's loop calls it).
func (a *Authenticator) RefreshJWKS(ctx context.Context) error {
	if a.jwt == nil {
		return nil
	}
	var first error
	for _, s := range a.jwt.sources {
		changed, err := s.refresh(ctx, a.logger)
		if err != nil && first == nil {
			first = err
		}
		if changed {
			a.jwt.cache.clear()
		}
	}
	return first
}
