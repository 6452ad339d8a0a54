# End-to-end benchmark targets; the top Makefile includes this file.
#
#   make bench        full run (about 15 minutes), rewrites the bench section
#                     of BENCHMARKS.md and leaves every sample in
#                     $(BENCH_BIN)/bench.json; installs nginx and HAProxy with
#                     apt-get on Debian when they are missing
#   make bench-smoke  under two minutes, prints the tables, fails only when a
#                     target does not answer or answers with errors
#
# Extra harness flags go in BENCH_FLAGS, e.g.
#   make bench BENCH_FLAGS='-scenarios get-1k-c50 -rounds 5'

BENCH_BIN   ?= $(or $(TMPDIR),/tmp)/portico-bench-bin
BENCH_FLAGS ?=
BENCH_GO    ?= go

.PHONY: bench bench-smoke bench-build bench-deps

bench-build:
	@mkdir -p $(BENCH_BIN)
	$(BENCH_GO) build -o $(BENCH_BIN)/harness ./bench/cmd/harness
	$(BENCH_GO) build $(if $(LDFLAGS),-ldflags "$(LDFLAGS)") -o $(BENCH_BIN)/portico ./cmd/portico

bench-deps:
	@sh bench/install-deps.sh

bench: bench-deps bench-build
	$(BENCH_BIN)/harness -mode full -v -portico $(BENCH_BIN)/portico \
		-out BENCHMARKS.md -json $(BENCH_BIN)/bench.json \
		-command "make bench$(if $(BENCH_FLAGS), BENCH_FLAGS='$(BENCH_FLAGS)')" \
		$(BENCH_FLAGS)

bench-smoke: bench-build
	$(BENCH_BIN)/harness -mode smoke -v -portico $(BENCH_BIN)/portico \
		-command "make bench-smoke$(if $(BENCH_FLAGS), BENCH_FLAGS='$(BENCH_FLAGS)')" \
		$(BENCH_FLAGS)
