package router

import (
	"errors"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		path string
		want string
		err  error
	}{
		{"root", "/", "/", nil},
		{"clean", "/a/b", "/a/b", nil},
		{"dot dot", "/admin/../public", "/public", nil},
		{"encoded slash stays in segment", "/public/..%2fadmin", "/public/..%2Fadmin", nil},
		{"encoded dots are dots", "/public/%2e%2e/admin", "/admin", nil},
		{"mixed encoded dots", "/public/.%2E/admin", "/admin", nil},
		{"encoded single dot", "/a/%2e/b", "/a/b", nil},
		{"duplicate slashes", "//a///b", "/a/b", nil},
		{"dot segment trailing slash", "/a/./b/", "/a/b/", nil},
		{"trailing slash kept", "/a/b/", "/a/b/", nil},
		{"final dot", "/a/.", "/a/", nil},
		{"final dot dot", "/a/b/..", "/a/", nil},
		{"dot dot slash", "/a/b/../", "/a/", nil},
		{"not above root", "/../../a", "/a", nil},
		{"root dot dot", "/..", "/", nil},
		{"root dot", "/.", "/", nil},
		{"only slashes", "///", "/", nil},
		{"dots inside name", "/a/..b/c..", "/a/..b/c..", nil},
		{"three dots", "/a/.../b", "/a/.../b", nil},
		{"decode unreserved", "/%41%7a%2D%2e%5F%7E%30", "/Az-._~0", nil},
		{"upper-case other escapes", "/a%2fb%3a%c3%a9", "/a%2Fb%3A%C3%A9", nil},
		{"keep percent escape", "/100%25", "/100%25", nil},
		{"high bytes kept", "/caf\xc3\xa9", "/caf\xc3\xa9", nil},
		{"bad escape", "/%zz", "", ErrBadEscape},
		{"half escape", "/a%4", "", ErrBadEscape},
		{"lone percent", "/a%", "", ErrBadEscape},
		{"encoded nul", "/a%00b", "", ErrControlByte},
		{"raw nul", "/a\x00b", "", ErrControlByte},
		{"raw newline", "/a\nb", "", ErrControlByte},
		{"raw del", "/a\x7f", "", ErrControlByte},
		{"encoded newline stays encoded", "/a%0a", "/a%0A", nil},
		{"relative", "a/b", "", ErrPathNotAbsolute},
		{"empty", "", "", ErrPathNotAbsolute},
		{"asterisk form", "*", "", ErrPathNotAbsolute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize([]byte("x"), []byte(tt.path))
			if !errors.Is(err, tt.err) {
				t.Fatalf("Normalize(%q) error = %v, want %v", tt.path, err, tt.err)
			}
			if err != nil {
				if string(got) != "x" {
					t.Errorf("Normalize(%q) on error = %q, want dst unchanged", tt.path, got)
				}
				return
			}
			if string(got) != "x"+tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.path, got[1:], tt.want)
			}

			// In place, over the input's own bytes.
			in := []byte(tt.path)
			got, _ = Normalize(in[:0], in)
			if string(got) != tt.want {
				t.Errorf("Normalize in place (%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}
