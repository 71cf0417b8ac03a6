# chatd — build, test and run. `make help` lists the targets.

SHELL        := /bin/bash
GO           ?= go
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS      := -X main.version=$(VERSION)
BIN          := $(CURDIR)/bin
PREFIX       ?= /usr/local
DESTDIR      ?=
STATICCHECK_VERSION := v0.8.2
STATICCHECK  := $(BIN)/staticcheck-$(STATICCHECK_VERSION)
FUZZTIME     ?= 3s
# Every fuzz target as ./dir:Name, found in the test files.
FUZZ_TARGETS := $(shell grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed -E 's|^(.*)/[^/]*_test.go:func (.*)|\1/:\2|')

.PHONY: help build test lint fmt-check vet staticcheck unit e2e fuzz fuzz-short demo install deps clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/chatd and bin/chatctl with the version stamped
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/chatd ./cmd/chatd
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/chatctl ./cmd/chatctl

test: deps lint unit fuzz-short ## everything CI runs: lint, race tests (unit and end-to-end), short fuzzing

lint: fmt-check vet staticcheck ## gofmt, go vet and staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(BIN)/staticcheck $@

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

unit: ## go test -race ./... (includes the multi-process tests in tests/)
	$(GO) test -race -count=1 -timeout 12m ./...

e2e: ## only the end-to-end suite in tests/
	$(GO) test -race -count=1 -v -timeout 10m ./tests/

fuzz-short: ## run every fuzz target for FUZZTIME (3s)
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) $$pkg >/dev/null; \
	done

fuzz: ## run every fuzz target for 5 minutes
	$(MAKE) fuzz-short FUZZTIME=5m

demo: build deps ## start alex, kate and moebi on a private mapper, show them talking, stop them
	@scripts/demo.sh $(BIN)

install: build ## install binaries and units under $(DESTDIR)$(PREFIX)
	install -D -m 0755 $(BIN)/chatd $(DESTDIR)$(PREFIX)/bin/chatd
	install -D -m 0755 $(BIN)/chatctl $(DESTDIR)$(PREFIX)/bin/chatctl
	install -D -m 0644 packaging/systemd/chatd@.service $(DESTDIR)$(PREFIX)/lib/systemd/system/chatd@.service

deps: ## install what the tests need: Debian's erlang-base for the real epmd
	@command -v epmd >/dev/null || { \
		echo "installing erlang-base (the real epmd, for compatibility tests)"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq erlang-base >/dev/null; \
		else echo "run as root or: sudo apt-get install erlang-base" >&2; exit 1; fi; }

clean:
	rm -rf $(BIN)
