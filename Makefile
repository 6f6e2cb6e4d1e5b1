# integritybot — `make run` starts the service, `make test` runs every test.
GO      ?= go
ARGS    ?=
GOFLAGS ?=
BIN     ?= bin/integritybot
export CGO_ENABLED = 1

.PHONY: run test build bench fuzz deps deps-test vet lint clean cascades geo-data train

# run builds, then execs the binary: make's SIGTERM/SIGINT reach integritybot itself (no `go run`
# parent that dies and leaves the server holding the port). ARGS="--addr 127.0.0.1:8081" etc.
run: build geo-data ## Run the service with its embedded defaults (HTTP on 127.0.0.1:8080, data in ./data).
	exec $(BIN) serve $(ARGS)

# The free GeoIP data of the network check (pinned npm packages, sha512-checked) into
# data_dir/geoip: fetched the first time, then only when the pins change (scripts/geo-data.sh).
geo-data: build
	@scripts/geo-data.sh $(BIN) $(ARGS)

# TESTPKGS narrows `make test` (e.g. TESTPKGS=./internal/store/...); the default is everything.
# -timeout is a guard against a hang, not a speed target: the slowest packages (cmd/integritybot,
# internal/eval) take ~9 min on a quiet 2-core machine and were still running at 25 min under load 20.
TESTPKGS ?= ./...

test: deps-test cascades ## Every test: vet, unit, pion peer-pair, fuzz seeds, headless-Chromium end-to-end, the store on SQLite and on a throwaway PostgreSQL (scripts/postgres.sh).
	$(GO) vet $(TESTPKGS)
	@scripts/postgres.sh $(GO) test -race -count=1 -timeout 45m $(TESTPKGS)

# lint: go vet, then staticcheck at a pinned version (go run resolves it through the Go module
# proxy, like the module's own dependencies; the first run builds it, about a minute of CPU).
# Not part of `make test`: go run asks the proxy about the pinned version on every run, and a
# proxy hiccup must not fail the tests.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint: deps cascades ## go vet and staticcheck over every package.
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

build: deps cascades
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/integritybot

bench: deps cascades ## Benchmarks: decode + camera check per frame, CPU per stream-second.
	$(GO) test -run='^$$' -bench=. -benchmem ./media/... ./bot/... ./cmd/integritybot

fuzz: deps ## Run each fuzz target for FUZZTIME (default 30s).
	@scripts/fuzz.sh

# pigo's face cascades are not embedded in its module: copy them, at the version go.sum
# verifies, into media/face/cascade (gitignored) for //go:embed. See media/face/cascade/README.md.
PIGO_DIR = $(shell $(GO) list -m -f '{{.Dir}}' github.com/esimov/pigo 2>/dev/null)
cascades:
	@test -n "$(PIGO_DIR)" || { $(GO) mod download github.com/esimov/pigo && $(MAKE) --no-print-directory cascades; exit $$?; }
	@test -f media/face/cascade/facefinder -a media/face/cascade/facefinder -nt go.sum || \
		{ cp -R "$(PIGO_DIR)/cascade/." media/face/cascade/ && chmod -R u+w media/face/cascade && touch media/face/cascade/facefinder; }

deps:
	@scripts/deps.sh run

# train: the face-swap detector (docs/faceswap-model.md). Crops the corpus with the product's own
# face check (cmd/facecrops, into TRAIN_DATA, gitignored), trains on the CPU with Debian's
# PyTorch (no pip, nothing downloaded at run time), writes media/faceswap/model.bin and
# media/faceswap/testdata/reference.json, and prints the held-out figures.
CORPUS     ?= ../shared/corpus
TRAIN_DATA ?= data/faceswap
train: cascades ## Train the face-swap detector (about 25 min on 2 cores) and print its figures.
	@/usr/bin/python3 -c 'import torch, torchvision, numpy, PIL' 2>/dev/null || \
		apt-get -o DPkg::Lock::Timeout=600 install -y python3-torch python3-torchvision python3-numpy python3-pil
	$(GO) run ./cmd/facecrops -corpus $(CORPUS) -out $(TRAIN_DATA)
	/usr/bin/python3 scripts/train-faceswap.py --data $(TRAIN_DATA) --report $(TRAIN_DATA)/report.md

deps-test:
	@scripts/deps.sh test

clean:
	rm -rf bin
