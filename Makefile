# coopmap: `make run` to serve the map, `make test` to run every test.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin


DB   ?= ./coopmap.gpkg
ADDR ?= 127.0.0.1:8080
BIN  := bin/coopmap

.PHONY: run build test bench vet fmt clean deps

## run: install what is missing, build, load the demo data (demo/; idempotent), serve on $(ADDR)
run: build
	BIN=$(BIN) DB=$(DB) demo/load.sh
	$(BIN) serve --db $(DB) --addr $(ADDR)

## build: build bin/coopmap
build:
	@scripts/deps.sh run
	CGO_ENABLED=0 go build -trimpath -o $(BIN) ./cmd/coopmap

## test: install what is missing, then gofmt, go vet and go test -race against a throwaway PostGIS
test:
	@scripts/test.sh

## bench: the store benchmarks on both stores (see docs/PERFORMANCE.md)
bench:
	@scripts/bench.sh

vet:
	go vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
