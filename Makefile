# integritybot — `make run` starts the service, `make test` runs every test.
GO      ?= go
ARGS    ?=
GOFLAGS ?=
export CGO_ENABLED = 1

.PHONY: run test build bench fuzz deps deps-test vet clean

run: deps ## Run the service with its embedded defaults (HTTP on 127.0.0.1:8080, data in ./data).
	$(GO) run ./cmd/integritybot serve $(ARGS)

test: deps-test ## Every test: vet, unit, pion peer-pair, fuzz seeds, headless-Chromium end-to-end.
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 25m ./...

build: deps
	$(GO) build -o bin/integritybot ./cmd/integritybot

bench: deps ## Benchmarks: decode + camera check per frame, CPU per stream-second.
	$(GO) test -run='^$$' -bench=. -benchmem ./media/... ./bot/...

fuzz: deps ## Run each fuzz target for FUZZTIME (default 30s).
	@for t in $$($(GO) test -list 'Fuzz.*' ./... | grep -E '^(Fuzz|ok)' | awk '/^Fuzz/{f=f" "$$1} /^ok/{if(f!="")print $$2":"f; f=""}'); do \
		pkg=$${t%%:*}; for f in $${t#*:}; do $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$${FUZZTIME:-30s} $$pkg || exit 1; done; done

deps:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

clean:
	rm -rf bin
