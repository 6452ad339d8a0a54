package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a config file. File and Line are zero when not
// known; Key is the dotted key path of the value at fault, with array
// elements as "[i]", e.g. "upstreams.users.targets[1].address". A route
// or consumer name that is not a bare TOML key is written quoted, the way
// TOML spells it: routes."v1.users".path.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

// Error renders "FILE:LINE: key.path: msg", leaving out the parts that are
// not known.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		b.WriteString(e.File)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	case e.File != "":
		b.WriteString(e.File)
		b.WriteString(": ")
	case e.Line > 0:
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errorf returns an *Error for the value at key with a message formatted
// like fmt.Sprintf. File and Line stay empty until File.Locate fills them.
// Packages that compile parts of a File use it to report problems, e.g.
//
//	config.Errorf("plans.free.limits[0].rate", "bad rate %q", r)
func Errorf(key, format string, args ...any) *Error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// Locate fills File and Line of every *Error inside err, following
// errors.Join and %w wrapping, from the index of f's source, and returns
// err. A key that is not written in the file (a value left to its default)
// gets the line of its nearest written parent. Fields already set are
// kept. Locate is a no-op on a nil err or a File not made by Load or
// Parse. It modifies the errors in place, so it must not run on the same
// error from two goroutines at once. Call it before wrapping with
// fmt.Errorf, which renders its message when called: the *Error inside is
// still filled, but the wrapper's text keeps the old rendering.
func (f *File) Locate(err error) error {
	walkErrors(err, func(e *Error) {
		if e.File == "" {
			e.File = f.Path
		}
		if e.Line == 0 && f.index != nil {
			e.Line = f.index.line(e.Key)
		}
	})
	return err
}

// walkErrors calls fn for every *Error in the tree of err. The depth is
// bounded so that a cyclic Unwrap cannot hang the caller.
func walkErrors(err error, fn func(*Error)) {
	const maxDepth = 64
	type item struct {
		err   error
		depth int
	}
	stack := []item{{err, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.err == nil || it.depth > maxDepth {
			continue
		}
		if e, ok := it.err.(*Error); ok {
			fn(e)
			continue
		}
		switch u := it.err.(type) {
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				stack = append(stack, item{c, it.depth + 1})
			}
		case interface{ Unwrap() error }:
			stack = append(stack, item{u.Unwrap(), it.depth + 1})
		}
	}
}

// joinSorted joins errs sorted by line (errors without a line first, then
// by key) into one error, one problem a line, or returns nil.
func joinSorted(errs []*Error) error {
	if len(errs) == 0 {
		return nil
	}
	slices.SortStableFunc(errs, func(a, b *Error) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return strings.Compare(a.Key, b.Key)
	})
	list := make([]error, len(errs))
	for i, e := range errs {
		list[i] = e
	}
	return errors.Join(list...)
}
