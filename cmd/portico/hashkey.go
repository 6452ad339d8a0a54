package main

import (
	"fmt"
	"io"
)

// hashKeyCmd prints the digest of an API key for a consumer's key_sha256.
func hashKeyCmd(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "portico hash-key: not available yet")
	return 2
}
