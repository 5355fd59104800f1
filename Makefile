# tend: a container init. `make help` lists the targets.
SHELL   := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -buildid= -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# The urfave/cli tags leave out its man-page and suggestion code: 350 KB of
# binary and 0.4 ms of package initialisation (blackfriday) tend never uses.
TAGS    := urfave_cli_no_docs,urfave_cli_no_suggest
GOFLAGS_BUILD := -trimpath -tags $(TAGS) -ldflags "$(LDFLAGS)"
# golangci-lint is pinned in tools/go.mod, a module of its own, so the
# binary keeps its two dependencies; .golangci.yml holds the rules.
GOLANGCI := go tool -modfile=tools/go.mod golangci-lint

.PHONY: help build demo test deps fmt-check tidy-check vet lint unit race test-386 metrics-check integration e2e stress-short stress fuzz static-check repro-check bench bench-plot release image clean

# gotest runs go test with the given arguments and keeps its whole output in
# bin/NAME.log: the screen gets the last lines, and on a failure every
# failing test's own lines, which a long run's tail would cut off.
define gotest
	@mkdir -p bin; set -o pipefail; $(2) go test $(3) > bin/$(1).log 2>&1; rc=$$?; tail -n 100 bin/$(1).log; \
	if [ $$rc != 0 ]; then echo "== failing tests ($(1)):"; grep -n -B1 -A25 -e '--- FAIL' bin/$(1).log | head -n 300; fi; exit $$rc
endef

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

OUT ?= bin/tend
build: ## bin/tend (or OUT=path; GOARCH from the environment): static, stripped, -trimpath, version stamped
	CGO_ENABLED=0 go build $(GOFLAGS_BUILD) -o $(OUT) ./cmd/tend

demo: build ## run tend as PID 1 in a new PID namespace on a workload that makes orphans and gets SIGTERM
	./scripts/demo.sh bin/tend

test: deps fmt-check tidy-check vet lint race test-386 metrics-check integration e2e stress-short static-check repro-check ## the whole gate (CI runs this)
	@echo "make test: all checks passed"

deps: ## install what the tests need on a fresh Debian machine (runc, podman, docker.io, busybox-static)
	./scripts/install-deps.sh

fmt-check: ## gofmt leaves every file as it is
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

tidy-check: ## go.mod and go.sum are tidy
	go mod tidy -diff

vet: ## go vet
	go vet ./...
	go vet -tags e2e,stress ./integration/...

lint: ## golangci-lint (.golangci.yml: gofmt, vet, staticcheck, errcheck, and the design rules: wait4 only in reaper, signal.Notify only in signals, no net/http or os/exec in the binary)
	$(GOLANGCI) run ./...

unit: ## unit tests, any user
	go test -count=1 -timeout 3m ./...

race: ## every package with the race detector (integration included)
	TEND_TEST_REQUIRE_NS=$${TEND_TEST_REQUIRE_NS:-$$([ $$(id -u) = 0 ] && echo 1)} go test -race -count=1 -timeout 6m ./...

integration: build ## tend (bin/tend) as PID 1 in new PID+mount namespaces (needs root; fails instead of skipping when TEND_TEST_REQUIRE_NS=1)
	$(call gotest,integration,TEND_TEST_BIN=$(CURDIR)/bin/tend TEND_TEST_REQUIRE_NS=$${TEND_TEST_REQUIRE_NS:-$$([ $$(id -u) = 0 ] && echo 1)},-count=1 -v -timeout 6m ./integration/...)

e2e: build ## real containers under runc, podman (kube play too) and a Docker engine the tests start (needs root)
	$(call gotest,e2e,TEND_TEST_BIN=$(CURDIR)/bin/tend,-tags e2e -count=1 -v -timeout 8m -run 'E2E|Dockerfile|Kubernetes' ./integration/...)

stress-short: build ## the short stress and fault suite
	$(call gotest,stress-short,TEND_TEST_BIN=$(CURDIR)/bin/tend,-tags stress -short -v -count=1 -timeout 5m -run Stress ./integration/...)

stress: build ## the full stress and fault suite
	TEND_TEST_BIN=$(CURDIR)/bin/tend go test -tags stress -count=1 -v -timeout 20m -run Stress ./integration/...

fuzz: ## every fuzz target for a bounded time; the corpus kept in each package's testdata/fuzz runs in every go test
	./scripts/fuzz.sh $${FUZZTIME:-15s}

metrics-check: build ## tend's /metrics after a scripted run, parsed by Prometheus's own parser (metricstest, a module of its own)
	cd metricstest && go vet ./... && TEND_TEST_BIN=$(CURDIR)/bin/tend go test -count=1 -timeout 3m ./...

test-386: ## the unit tests as a 32-bit program (ids, signal masks and raw system calls differ there); on amd64 hosts only
	@if [ "$$(go env GOHOSTARCH)" = amd64 ]; then CGO_ENABLED=0 GOARCH=386 go test -count=1 ./signals/ ./supervise/ ./supervise/internal/textpages/ ./reaper/ ./cmd/...; \
	else echo "test-386: not an amd64 host, skipped"; fi

static-check: build ## bin/tend is static and built without cgo
	go version -m bin/tend | grep -q 'CGO_ENABLED=0'
	@if command -v file >/dev/null; then file bin/tend | grep -q 'statically linked'; fi
	@ls -l bin/tend | awk '{ if ($$5 > 5*1024*1024) { print "bin/tend is over 5 MiB: " $$5; exit 1 } }'

repro-check: ## the same commit builds to the same bytes twice
	./scripts/repro-check.sh

bench: build ## tend side by side with tini, dumb-init and catatonit; writes bench/results.md
	./bench/run.sh

bench-plot: ## draw bench/results as an SVG chart
	./bench/run.sh --plot-only

release: ## static binaries for every architecture in dist/, with SHA256SUMS
	./scripts/release.sh

IMAGE  ?= localhost/tend
PODMAN ?= podman
image: build ## the tend image from bin/tend with podman (FROM scratch, only /tend, ENTRYPOINT ["/tend"]), tagged $(IMAGE):$(VERSION) and :latest; no registry
	printf 'FROM scratch\nCOPY tend /tend\nENTRYPOINT ["/tend"]\n' > bin/Containerfile
	$(PODMAN) build --timestamp 0 --label org.opencontainers.image.version=$(VERSION) \
		-f bin/Containerfile -t $(IMAGE):$(VERSION) -t $(IMAGE):latest bin
	rm -f bin/Containerfile

clean: ## remove build outputs
	rm -rf bin dist
