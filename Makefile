# threatbind — the tasks a developer and CI run. `make test` is the README's test command.
CARGO ?= cargo

.PHONY: build test test-setup lint features expand doc bench bench-build clean snapshot demo

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
