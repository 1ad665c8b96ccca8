# regauth — the two commands a user needs are `make run` and `make test`.
GO        ?= go
BIN       ?= bin/regauth
GOFLAGS   ?=

.PHONY: run build image test unit deps vet fmt-check clean

## run: start regauth with zero configuration (dev certificate, embedded registry, admin user)
run:
	$(GO) run ./cmd/regauth serve

## build: a static binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/regauth

## image: regauth:local and regauth-test-registry:local, from static binaries (no base image pulled)
image:
	bash scripts/build-images.sh

## bench: token throughput and latency, blob throughput vs the registry alone and Apache, memory (about 16 min, loopback only); installs Apache httpd first when root on Debian; writes docs/benchmarks.md and docs/benchmarks.png
.PHONY: bench
bench:
	bash scripts/install-bench-deps.sh
	$(GO) run ./tools/bench -out docs

## test: install what the tests need (when root on Debian), then run every test
test:
	bash scripts/test.sh

## unit: only the Go tests, without installing anything
unit:
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin
