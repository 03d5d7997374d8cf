# threatbind — the tasks a developer and CI run. `make test` is the README's test command.
CARGO ?= cargo

.PHONY: build test test-setup lint features expand doc bench bench-build clean snapshot demo check

# The README's first command: the mock in-process, every operation of every API through its
# client, then an enrich of examples/indicators.txt. No account, no network.
demo:
	$(CARGO) run --release --quiet --bin threatbind -- demo

build:
	$(CARGO) build --release

# What the tests need besides cargo (redis-server, openssl, ...): installed when missing, or one
# line saying what to install (scripts/test-setup.sh).
test-setup:
	@bash scripts/test-setup.sh

test: test-setup
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) run --quiet --bin threatbind -- spec lint
	$(CARGO) test -p threatbind --test specs --test contract
	$(CARGO) test -p threatbind-spec-tools --test lint

# Each API compiles on its own (Cargo features), without the CLI, the mock or the spec tools.
features:
	$(CARGO) check -p threatbind --lib --no-default-features --features log360-cloud
	$(CARGO) check -p threatbind --lib --no-default-features --features nameshield-cti
	$(CARGO) check -p threatbind --lib --no-default-features --features datadog-ioc
	$(CARGO) check -p threatbind --lib --no-default-features --features log360-onprem-v2
	$(CARGO) check -p threatbind --lib --no-default-features --features log360-onprem-v1

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --workspace

# The loop for one spec after an edit (make check SPEC=datadog-ioc; docs/REGENERATING.md): lint
# it, diff it against HEAD, its contract tests (that API alone), the API snapshot, its CLI
# commands' --help, the mock on every fixture, and the demo (the mock in-process, every
# operation called through its client). Stops at the first failure; ~10-20 s after an edit.
THREATBIND = $${CARGO_TARGET_DIR:-target}/debug/threatbind
check:
	@if [ -z "$(SPEC)" ] || [ ! -f "specs/$(SPEC).yaml" ]; then \
	  echo "usage: make check SPEC=<stem>, one of: $$(cd specs && ls *.yaml | sed 's/\.yaml$$//' | tr '\n' ' ')" >&2; exit 2; fi
	$(CARGO) build --quiet --bin threatbind
	$(THREATBIND) spec lint specs/$(SPEC).yaml
	@base=$$(mktemp); \
	if git show HEAD:specs/$(SPEC).yaml > "$$base" 2>/dev/null; then \
	  echo "$(THREATBIND) spec diff --fail-on never HEAD:specs/$(SPEC).yaml specs/$(SPEC).yaml"; \
	  $(THREATBIND) spec diff --fail-on never "$$base" specs/$(SPEC).yaml; status=$$?; \
	else echo "specs/$(SPEC).yaml is not in HEAD: nothing to diff"; status=0; fi; \
	rm -f "$$base"; exit $$status
	$(CARGO) test --quiet -p threatbind --no-default-features --features $(SPEC) --test contract
	$(CARGO) test --quiet -p threatbind --features redis --test snapshot
	@name=$$(sed -n '/^x-cli:/,/^[^ ]/s/^  name: *//p' specs/$(SPEC).yaml | head -n 1); \
	echo "$(THREATBIND) $$name [COMMAND] --help"; \
	$(THREATBIND) $$name --help > /dev/null || exit 1; \
	for cmd in $$($(THREATBIND) $$name --help | sed -n '/^Commands:/,/^$$/p' | awk 'NR > 1 && $$1 != "help" {print $$1}'); do \
	  $(THREATBIND) $$name $$cmd --help > /dev/null || { echo "$$name $$cmd --help failed" >&2; exit 1; }; \
	done
	$(CARGO) test --quiet -p threatbind-mock --features threatbind/redis --test mock -- \
	  answers_its_valid_fixtures invalid_fixtures_get_a_400
	$(THREATBIND) demo > /dev/null
	@echo "make check SPEC=$(SPEC): all passed"

# Accept the generated public API as it is now (tests/snapshots/api.txt; review the diff).
snapshot:
	THREATBIND_UPDATE_SNAPSHOT=1 $(CARGO) test -p threatbind --test snapshot
	@git --no-pager diff --stat -- tests/snapshots/ || true

# The generated code of every spec, for reading (git-ignored).
expand:
	THREATBIND_EXPAND_DIR=$(CURDIR)/expanded $(CARGO) build -p threatbind
	@ls -l expanded/

# Benchmarks; the report is target/bench-report.md, every figure beside its baseline measured
# in the same run. Prism (the usual spec-driven mock) is installed from npm under target/prism
# to be measured beside `threatbind mock`; if npm cannot install it, the report says so. The
# build-cost step (bench-build: clean release builds of ours and of a program using Datadog's
# official client) takes ~15 minutes on 2 cores.
bench:
	mkdir -p target
	rm -f target/bench-report.md
	@echo "# threatbind benchmarks ($$(nproc) cores, $$(date -u +%Y-%m-%d))" > target/bench-report.md
	-npm install --silent --prefix target/prism @stoplight/prism-cli@5 >/dev/null 2>&1
	$(CARGO) bench -p threatbind --bench client
	$(CARGO) bench -p threatbind --bench operations
	$(CARGO) bench -p threatbind --features redis --bench quota
	$(CARGO) bench -p threatbind-mock --bench mock
	$(CARGO) bench -p threatbind-cli --bench enrich
	$(CARGO) bench -p threatbind --bench validate
	$(CARGO) build --release --bin threatbind
	bash benches/startup.sh
	$(MAKE) bench-build
	@cat target/bench-report.md

bench-build:
	bash benches/build_cost.sh

clean:
	$(CARGO) clean
	rm -rf expanded
