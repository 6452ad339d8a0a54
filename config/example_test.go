package config_test

import (
	"errors"
	"fmt"

	"github.com/portico-gw/portico/config"
)

// A package that compiles part of the config reports what it finds with
// Errorf and lets Locate add the file and line.
func ExampleFile_Locate() {
	src := []byte(`[upstreams.u]
targets = [{ address = "127.0.0.1:9001" }]

[routes.api]
path = "/api/*rest"
upstream = "u"
plan = "gold"
`)
	f, err := config.Parse("edge.toml", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = errors.Join(
		config.Errorf("routes.api.plan", "unknown plan %q", f.Routes["api"].Plan),
		config.Errorf("routes.api.limits[0]", "not written, so the route's line"),
	)
	fmt.Println(f.Locate(err))
	// Output:
	// edge.toml:7: routes.api.plan: unknown plan "gold"
	// edge.toml:4: routes.api.limits[0]: not written, so the route's line
}

// Load and Parse report every problem at once, sorted by line.
func ExampleParse() {
	_, err := config.Parse("edge.toml", []byte(`[server]
listen = "127.0.0.1:8080"
read_timeout = "-1s"

[routes.api]
path = "/api"
upstream = "missing"
hots = ["api.example.com"]
`))
	fmt.Println(err)
	// Output:
	// edge.toml:3: server.read_timeout: must be positive, got -1s
	// edge.toml:7: routes.api.upstream: unknown upstream "missing"
	// edge.toml:8: routes.api.hots: unknown key
}
