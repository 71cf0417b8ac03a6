# chatd — build, test and run. `make help` lists the targets.

SHELL        := /bin/bash
GO           ?= go
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS      := -X main.version=$(VERSION) $(LDFLAGS_EXTRA)
GOBUILDFLAGS ?=
# urfave/cli without its man-page and Markdown writers (never used here):
# their Markdown library's tables cost every chatctl and chatd start ~1 ms.
BUILDTAGS    ?= urfave_cli_no_docs
BIN          := $(CURDIR)/bin
PREFIX       ?= /usr/local
DESTDIR      ?=
BINDIR       ?= $(PREFIX)/bin
UNITDIR      ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR  ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR  ?= $(PREFIX)/lib/tmpfiles.d
ZSHDIR       ?= $(PREFIX)/share/zsh/site-functions
MANDIR       ?= $(PREFIX)/share/man
DOCDIR       ?= $(PREFIX)/share/doc/chatd
SYSCONFDIR   ?= /etc
# The package version: git describe made a Debian version (scripts/debversion.sh).
DEB_VERSION  ?= $(shell scripts/debversion.sh)
DEB_OUT      ?= $(BIN)
STATICCHECK_VERSION := v0.8.2
STATICCHECK  := $(BIN)/staticcheck-$(STATICCHECK_VERSION)
# A count of executions, not a duration: Go 1.26's fuzz coordinator can fail
# a duration-bounded run with "context deadline exceeded" when the deadline
# races a worker (golang/go#75804, fixed in Go 1.27); a count has no deadline.
FUZZTIME     ?= 30000x
# Every fuzz target as ./dir:Name, found in the test files.
FUZZ_TARGETS := $(shell grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed -E 's|^(.*)/[^/]*_test.go:func (.*)|\1/:\2|')

.PHONY: help build test lint fmt-check vet staticcheck unit e2e fuzz fuzz-short demo install install-files install-cookie deb deb-lint deb-deps bench bench-compare profile test-systemd test-faults faults-deps deps clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/chatd and bin/chatctl with the version stamped
	$(GO) build $(GOBUILDFLAGS) -tags '$(BUILDTAGS)' -ldflags '$(LDFLAGS)' -o $(BIN)/chatd ./cmd/chatd
	$(GO) build $(GOBUILDFLAGS) -tags '$(BUILDTAGS)' -ldflags '$(LDFLAGS)' -o $(BIN)/chatctl ./cmd/chatctl

test: deps lint unit fuzz-short deb-lint ## the README test command: lint, race tests (unit and end-to-end), short fuzzing, the package and lintian

lint: fmt-check vet staticcheck ## gofmt, go vet and staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags faults ./tests/

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(BIN)/staticcheck $@

staticcheck: $(STATICCHECK)
	$(STATICCHECK) -tags faults ./...

unit: ## go test -race ./... (includes the multi-process tests in tests/)
	$(GO) test -race -count=1 -timeout 12m ./...

e2e: ## only the end-to-end suite in tests/
	$(GO) test -race -count=1 -v -timeout 10m ./tests/

fuzz-short: ## run every fuzz target for FUZZTIME (30000 executions each)
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($(FUZZTIME))"; \
		out=$$($(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) $$pkg 2>&1) || \
			{ printf '%s\n' "$$out"; echo "fuzz $$name failed; a crasher, if any, is in $$pkg/testdata/fuzz/$$name"; exit 1; }; \
	done

fuzz: ## run every fuzz target for 5 minutes
	$(MAKE) fuzz-short FUZZTIME=5m

demo: build ## start alex, kate and moebi on a private mapper, show them talking, stop them
	@scripts/demo.sh $(BIN)

install: install-files install-cookie ## install binaries, units, sysusers, config, cookie, man pages, completions under $(DESTDIR)$(PREFIX)

install-files: build ## what install installs but the cookie (what the Debian package holds)
	install -D -m 0755 $(BIN)/chatd $(DESTDIR)$(BINDIR)/chatd
	install -D -m 0755 $(BIN)/chatctl $(DESTDIR)$(BINDIR)/chatctl
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' packaging/systemd/chatd@.service > $(DESTDIR)$(UNITDIR)/chatd@.service
	install -m 0644 packaging/systemd/chatd@.socket $(DESTDIR)$(UNITDIR)/chatd@.socket
	install -D -m 0644 packaging/systemd/chatd.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/chatd.conf
	install -D -m 0644 packaging/systemd/chatd.tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/chatd.conf
	install -D -m 0644 packaging/chatd.toml $(DESTDIR)$(DOCDIR)/chatd.toml.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/chatd/chatd.toml ] || install -D -m 0644 packaging/chatd.toml $(DESTDIR)$(SYSCONFDIR)/chatd/chatd.toml
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(ZSHDIR) \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	$(BIN)/chatd docs man > $(DESTDIR)$(MANDIR)/man8/chatd.8
	$(BIN)/chatctl docs man > $(DESTDIR)$(MANDIR)/man1/chatctl.1
	for p in chatd chatctl; do \
		$(BIN)/$$p docs bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$p; \
		$(BIN)/$$p docs zsh > $(DESTDIR)$(ZSHDIR)/_$$p; \
		$(BIN)/$$p docs fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$p.fish; \
	done

install-cookie: ## the cookie every local node shares (chatd@.service passes it in as a credential): created once, random, owner-only
	[ -e $(DESTDIR)$(SYSCONFDIR)/chatd/cookie ] || (umask 077; install -d $(DESTDIR)$(SYSCONFDIR)/chatd; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $(DESTDIR)$(SYSCONFDIR)/chatd/cookie)

deb: ## build $(DEB_OUT)/chatd_<version>_<arch>.deb with dpkg-deb (DEB_VERSION from git describe)
	@scripts/mkdeb.sh $(DEB_VERSION) $(DEB_OUT)

deb-lint: deb deb-deps ## build the package and check it with lintian (no errors allowed)
	lintian --fail-on error --tag-display-limit 0 $(DEB_OUT)/chatd_$(DEB_VERSION)_$$(dpkg --print-architecture).deb

deb-deps: ## install what the package build needs: dpkg-dev's dpkg-deb (always there on Debian) and lintian
	@command -v lintian >/dev/null || { \
		echo "installing lintian (checks the package)"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lintian >/dev/null; \
		else echo "run as root or: sudo apt-get install lintian" >&2; exit 1; fi; }

bench: ## chatd vs the BEAM and the TCP floor, one run; writes docs/BENCHMARKS.md (12–17 min)
	tests/bench/run.sh

bench-compare: ## chatd against chatd at THEN=COMMIT (NOW=COMMIT, default this tree) in one run: calls, chatctl, idle (~5 min)
	@[ -n "$(THEN)" ] || { echo "usage: make bench-compare THEN=COMMIT [NOW=COMMIT]" >&2; exit 2; }
	tests/bench/compare.sh $(THEN) $(NOW)

profile: ## per-call counts on the node-to-node and control paths: allocations, goroutine wake-ups, system calls (strace; ~1 min)
	tests/bench/profile.sh

test-faults: build deps faults-deps ## the fault suite: hostile bytes, floods, dead, silent and partitioned peers (root)
	$(GO) test -tags faults -race -count=1 -v -run '^TestFault' -timeout 14m ./tests/

test-systemd: ## boot a Debian root under systemd-nspawn, install there, and test the real units
	tests/systemd/run.sh

faults-deps: ## install what the fault suite needs: iproute2 (network namespaces), prlimit
	@command -v ip >/dev/null && command -v prlimit >/dev/null || { \
		echo "installing iproute2 and util-linux (network namespaces, prlimit)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 util-linux >/dev/null; }

deps: ## install what the tests need: Debian's erlang-base (the real epmd) and elixir (the lesson's iex nodes)
	@missing=; \
	command -v epmd >/dev/null || missing="erlang-base"; \
	command -v iex >/dev/null && command -v mix >/dev/null || missing="$$missing elixir"; \
	if [ -n "$$missing" ]; then \
		echo "installing $${missing# } (the real epmd and iex nodes, for compatibility tests)"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "run as root or: sudo apt-get install $$missing" >&2; exit 1; fi; \
	fi

clean:
	rm -rf $(BIN)
