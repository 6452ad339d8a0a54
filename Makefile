# Portico's build, run and test entry points. `make run` and `make test`
# work on a fresh Debian machine with Go installed: what they need beyond
# Go (redis-server for the fleet-limit tests) they install with apt-get.

GO        ?= go
BIN       := bin
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
DEMO_CFG  := configs/demo.toml

.PHONY: all build run test test-deps vet fuzz clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/portico ./cmd/portico
	$(GO) build -o $(BIN)/demo-backend ./cmd/demo-backend

# run starts two demo backends and the gateway on 127.0.0.1:8080 with the
# demo config; Ctrl-C stops all three.
run: build
	@./scripts/run-demo.sh $(BIN) $(DEMO_CFG)

# test-deps installs what the tests need that Go does not bring.
test-deps:
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "installing redis-server"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null) \
		|| echo "warning: could not install redis-server; Redis tests will skip outside CI"; }

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

test: test-deps vet
	$(GO) test -race -count=1 -timeout 10m ./...

# fuzz runs each fuzz target for a short while (FUZZTIME, default 20s).
FUZZTIME ?= 20s
fuzz:
	$(GO) test ./router -run '^$$' -fuzz FuzzNormalize -fuzztime $(FUZZTIME)
	$(GO) test ./router -run '^$$' -fuzz FuzzPattern -fuzztime $(FUZZTIME)
	$(GO) test ./config -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./config -run '^$$' -fuzz FuzzIndex -fuzztime $(FUZZTIME)

clean:
	rm -rf $(BIN)

-include bench/bench.mk
