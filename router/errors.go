package router

import (
	"errors"
	"strconv"
)

// Errors that Normalize returns. They are made once, so the request path
// can return them and compare them with errors.Is without allocating.
// Each one means the request is malformed and deserves a 400.
var (
	// ErrPathNotAbsolute means the path does not start with '/'.
	ErrPathNotAbsolute = errors.New("router: path does not start with /")
	// ErrBadEscape means a '%' is not followed by two hex digits.
	ErrBadEscape = errors.New("router: malformed percent escape in path")
	// ErrControlByte means the path holds a raw control byte (0x00-0x1f,
	// 0x7f) or an encoded NUL ("%00").
	ErrControlByte = errors.New("router: control byte in path")
)

// PatternError reports a pattern that New or ValidatePattern rejects.
type PatternError struct {
	// Route is the name of the route, empty for ValidatePattern.
	Route string
	// Pattern is the rejected pattern as written.
	Pattern string
	// Msg says what is wrong, in lower case.
	Msg string
}

// Error implements error.
func (e *PatternError) Error() string {
	s := "router: "
	if e.Route != "" {
		s += "route " + strconv.Quote(e.Route) + ": "
	}
	return s + "pattern " + strconv.Quote(e.Pattern) + ": " + e.Msg
}

// FieldError reports a bad host or method in a route.
type FieldError struct {
	// Route is the name of the route.
	Route string
	// Field is "hosts" or "methods".
	Field string
	// Value is the rejected entry as written.
	Value string
	// Msg says what is wrong, in lower case.
	Msg string
}

// Error implements error.
func (e *FieldError) Error() string {
	return "router: route " + strconv.Quote(e.Route) + ": " + e.Field + " " +
		strconv.Quote(e.Value) + ": " + e.Msg
}

// ConflictError reports two routes that would match the same host, method
// and path, so that neither could be said to win.
type ConflictError struct {
	// Route is the route being added when the conflict was found.
	Route string
	// Other is the route added earlier. It equals Route when a route
	// conflicts with itself, for example by listing a host twice.
	Other string
	// Host is the host both routes match: an exact name, a wildcard such
	// as "*.example.com", or empty for routes with no host.
	Host string
	// Method is the method both routes accept, or empty when both accept
	// every method.
	Method string
	// Pattern is Route's pattern.
	Pattern string
	// OtherPattern is Other's pattern. It has the same shape as Pattern
	// but may name its parameters differently.
	OtherPattern string
}

// Error implements error.
func (e *ConflictError) Error() string {
	host := e.Host
	if host == "" {
		host = "(any)"
	}
	method := e.Method
	if method == "" {
		method = "(any)"
	}
	return "router: route " + strconv.Quote(e.Route) + " (" + strconv.Quote(e.Pattern) +
		") conflicts with route " + strconv.Quote(e.Other) + " (" +
		strconv.Quote(e.OtherPattern) + ") on host " + host + ", method " + method
}
