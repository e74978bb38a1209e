# coopmap: `make run` to serve the map, `make test` to run every test.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin


DB   ?= ./coopmap.gpkg
GRAPH ?= ./coopmap.graph
ADDR ?= 127.0.0.1:8080
BIN  := bin/coopmap

.PHONY: run build test bench vet fmt clean deps fuzz soak

## run: install what is missing, build, load the demo data (demo/; idempotent), serve on $(ADDR)
run: build
	BIN=$(BIN) DB=$(DB) GRAPH=$(GRAPH) demo/load.sh
	$(BIN) serve --db $(DB) --addr $(ADDR) --graph $(GRAPH)

## build: build the web map (npm ci when package-lock.json changed, then Vite) and bin/coopmap, which embeds it
build:
	@scripts/deps.sh run
	@$(MAKE) --no-print-directory web/frontend/node_modules/.package-lock.json
	cd web/frontend && npm run build --silent
	CGO_ENABLED=0 go build -trimpath -o $(BIN) ./cmd/coopmap

web/frontend/node_modules/.package-lock.json: web/frontend/package-lock.json web/frontend/package.json
	cd web/frontend && npm ci --no-audit --no-fund

## test: install what is missing, then gofmt, go vet and go test -race against a throwaway PostGIS
test:
	@scripts/test.sh

## fuzz: every fuzz target for $(FUZZTIME) each (make test runs them for 5s)
FUZZTIME ?= 2m
fuzz:
	@FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

## soak: the kill -9 import test, $(ROUNDS) kills per store (make test does 6), the fault tests,
## then bench/soak.sh: $(DUR) of mixed traffic at 200 req/s on PostGIS (DUR=30m for the long soak)
ROUNDS ?= 100
soak: DUR ?= 2m
soak:
	@scripts/deps.sh test
	@eval "$$(scripts/pg.sh start)"; trap 'scripts/pg.sh stop "$$COOPMAP_PG_DIR"' EXIT; \
	COOPMAP_KILL_ROUNDS=$(ROUNDS) go test -count=1 -timeout 3h -run '^(TestImportKill|TestFault.*)$$' -v ./cmd/coopmap
	DUR=$(DUR) bench/soak.sh

## bench: the store benchmarks on both stores (see docs/PERFORMANCE.md)
bench:
	@scripts/bench.sh

vet:
	go vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
