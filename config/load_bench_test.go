package config

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkParse measures a load or reload of the reference config, and
// of configs with many routes, so that the cost of the line index and of
// building the router for conflict checks stays visible. Loading is not
// on the request path; this only guards against surprises on reload.
func BenchmarkParse(b *testing.B) {
	ref, err := os.ReadFile("../configs/portico.toml")
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"reference", ref},
		{"routes=100", manyRoutes(100)},
		{"routes=1000", manyRoutes(1000)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				if _, err := Parse("bench.toml", c.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// manyRoutes returns a valid config with n routes on one upstream.
func manyRoutes(n int) []byte {
	var sb strings.Builder
	sb.WriteString("[upstreams.u]\ntargets = [{ address = \"127.0.0.1:9001\" }]\n")
	for i := range n {
		id := strconv.Itoa(i)
		sb.WriteString("[routes.r" + id + "]\npath = \"/api/v" + id + "/users/:id\"\n" +
			"methods = [\"GET\", \"POST\"]\nupstream = \"u\"\n")
	}
	return []byte(sb.String())
}
