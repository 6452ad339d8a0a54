package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// Load reads the TOML file at path, applies defaults and validates it.
// On failure it returns a nil File and an error that joins one *Error per
// problem, sorted by line (errors.As finds the first; walk errors.Join's
// Unwrap() []error for all). A file that cannot be read gives a plain
// wrapped error instead.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse is Load on bytes already read; name is used as File.Path and in
// error messages. A TOML syntax or type error stops the decoding, so it
// comes alone; otherwise all unknown keys and validation problems are
// reported together.
func Parse(name string, data []byte) (*File, error) {
	f := &File{}
	md, err := toml.Decode(string(data), f)
	if err != nil {
		return nil, joinSorted([]*Error{decodeError(name, err)})
	}
	f.Path = name
	f.Hash = hashBytes(data)
	f.index = buildIndex(data)

	var errs []*Error
	errs = append(errs, f.unknownKeys(md)...)
	errs = append(errs, f.checkKeys(md)...)
	f.SetDefaults()
	errs = append(errs, f.validate()...)
	if len(errs) > 0 {
		for _, e := range errs {
			f.Locate(e)
		}
		return nil, joinSorted(errs)
	}
	return f, nil
}

// hashBytes returns the first 12 hex digits of the SHA-256 of data.
func hashBytes(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:6])
}

// decodeError turns an error from the TOML library into an *Error.
func decodeError(name string, err error) *Error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &Error{File: name, Line: pe.Position.Line, Key: pe.LastKey,
			Msg: tidyMessage(pe.Message)}
	}
	return parseLibraryText(name, err.Error())
}

// parseLibraryText reads a type error the library formats as text:
// `toml: line 3 (last key "a.b"): incompatible types: ...`.
//
// TODO: the line and key are read back from the library's message text;
// if a newer library words it differently, type errors lose their line
// and key but keep the message (the decode error tests notice).
func parseLibraryText(name, msg string) *Error {
	e := &Error{File: name}
	msg = strings.TrimPrefix(msg, "toml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, after, _ := strings.Cut(rest, " ")
		if n, err := strconv.Atoi(num); err == nil {
			e.Line = n
			msg = after
		}
	}
	if rest, ok := strings.CutPrefix(msg, "(last key "); ok {
		if q, err := strconv.QuotedPrefix(rest); err == nil {
			e.Key, _ = strconv.Unquote(q)
			msg = strings.TrimPrefix(rest[len(q):], "):")
		}
	}
	e.Msg = tidyMessage(strings.TrimSpace(msg))
	return e
}

// tidyMessage makes a library message look like ours: lower-case first
// letter (unless it starts an acronym) and no final period.
func tidyMessage(m string) string {
	m = strings.TrimSuffix(m, ".")
	r, n := utf8.DecodeRuneInString(m)
	if n == len(m) || !unicode.IsUpper(r) {
		return m
	}
	if r2, _ := utf8.DecodeRuneInString(m[n:]); unicode.IsUpper(r2) {
		return m
	}
	return string(unicode.ToLower(r)) + m[n:]
}

// unknownKeys reports every key the decoder did not use. A key inside an
// unknown table is not reported again: the table is enough.
func (f *File) unknownKeys(md toml.MetaData) []*Error {
	var errs []*Error
	seen := make(map[string]int)
	var lastTable string
	for _, k := range md.Undecoded() {
		bare := k.String()
		n := seen[bare]
		seen[bare] = n + 1
		if lastTable != "" && strings.HasPrefix(bare, lastTable+".") {
			continue
		}
		if t := md.Type(k...); t == "Hash" || t == "ArrayHash" {
			lastTable = bare
		}
		key, line := f.index.nth(bare, n)
		errs = append(errs, &Error{Line: line, Key: key, Msg: "unknown key"})
	}
	return errs
}

// durationType is the reflect type of time.Duration.
var durationType = reflect.TypeFor[time.Duration]()

// checkKeys reports what the decoder accepts but the schema does not
// mean: keys that match a field only when case is ignored (the library
// decodes `LISTEN` into listen), and durations written as bare integers
// (the library reads `timeout = 30` as 30 nanoseconds).
func (f *File) checkKeys(md toml.MetaData) []*Error {
	var errs []*Error
	seen := make(map[string]int)
	for _, k := range md.Keys() {
		bare := k.String()
		n := seen[bare]
		seen[bare] = n + 1
		t, folded, want := fieldType(k)
		var msg string
		switch {
		case folded == len(k)-1:
			msg = fmt.Sprintf("unknown key (keys are case-sensitive: %q)", want)
		case folded < 0 && t == durationType && md.Type(k...) == "Integer":
			msg = `duration must be a string with a unit, like "30s" or "250ms"`
		default:
			continue
		}
		key, line := f.index.nth(bare, n)
		errs = append(errs, &Error{Line: line, Key: key, Msg: msg})
	}
	return errs
}

// fieldType returns the Go type the key k decodes into, or nil when the
// schema has no such key. folded is the index of the last part that
// matches a field only when case is ignored, with that field's tag in
// want, or -1.
func fieldType(k toml.Key) (t reflect.Type, folded int, want string) {
	t, folded = reflect.TypeFor[File](), -1
	for i, part := range k {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Map:
			t = t.Elem()
		case reflect.Struct:
			sf, tag, ok := fieldByTag(t, part)
			if !ok {
				return nil, folded, ""
			}
			if tag != part {
				folded, want = i, tag
			}
			t = sf.Type
		default:
			return nil, folded, ""
		}
	}
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t, folded, want
}

// fieldByTag finds the field of struct t whose toml tag is name, or,
// like the decoder, one whose tag equals name when case is ignored. It
// returns the field's tag too.
func fieldByTag(t reflect.Type, name string) (reflect.StructField, string, bool) {
	var (
		fold    reflect.StructField
		foldTag string
	)
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, _, _ := strings.Cut(sf.Tag.Get("toml"), ",")
		switch {
		case tag == name:
			return sf, tag, true
		case foldTag == "" && tag != "-" && strings.EqualFold(tag, name):
			fold, foldTag = sf, tag
		}
	}
	return fold, foldTag, foldTag != ""
}
