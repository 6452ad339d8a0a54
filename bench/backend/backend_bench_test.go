package backend_test

import (
	"testing"

	"github.com/portico-gw/portico/bench/backend"
	"github.com/valyala/fasthttp"
)

func BenchmarkHandler(b *testing.B) {
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/1k")
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		backend.Handler(&ctx)
	}
}
