//go:build !race

package backend_test

import (
	"testing"

	"github.com/portico-gw/portico/bench/backend"
	"github.com/valyala/fasthttp"
)

func TestHandlerAllocs(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		body   string
	}{
		{name: "small", method: "GET", path: "/1k"},
		{name: "large", method: "GET", path: "/64k"},
		{name: "echo size", method: "POST", path: "/echo-size", body: "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ctx fasthttp.RequestCtx
			ctx.Request.Header.SetMethod(tt.method)
			ctx.Request.SetRequestURI(tt.path)
			ctx.Request.SetBodyString(tt.body)
			backend.Handler(&ctx) // warm buffers
			got := testing.AllocsPerRun(200, func() {
				ctx.Response.Reset()
				backend.Handler(&ctx)
			})
			if got != 0 {
				t.Errorf("Handler(%s %s) allocs = %v, want 0", tt.method, tt.path, got)
			}
		})
	}
}
