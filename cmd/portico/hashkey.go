package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/portico-gw/portico/auth"
)

// hashKeyCmd prints the digest of an API key for a consumer's key_sha256.
// The key comes from the argument or, with none, from the first line of
// standard input (so it stays out of shell history).
func hashKeyCmd(args []string, stdout, stderr io.Writer) int {
	var key string
	switch len(args) {
	case 0:
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			fmt.Fprintln(stderr, "portico hash-key:", err)
			return 1
		}
		key = strings.TrimRight(line, "\r\n")
	case 1:
		key = args[0]
	default:
		fmt.Fprintln(stderr, "usage: portico hash-key [KEY]   (reads KEY from stdin when absent)")
		return 2
	}
	if key == "" {
		fmt.Fprintln(stderr, "portico hash-key: empty key")
		return 2
	}
	fmt.Fprintln(stdout, auth.HashKey(key))
	return 0
}
