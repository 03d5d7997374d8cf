#!/usr/bin/env bash
# Build cost of threatbind beside a minimal program using Datadog's official Rust client
# (crate `datadog-api-client`): clean release builds, incremental rebuilds after touching one input,
# and dependency counts. Run from the repository root: `bash benches/build_cost.sh`.
#
# Every build gets its own fresh target dir under target/bench-build/ (the developer's target/ is
# left alone). The Markdown section goes to stdout and is appended to target/bench-report.md;
# progress goes to stderr and cargo's output to target/bench-build/logs/*.log.
# Takes ~15 minutes on 2 cores.
#
# Environment:
#   CARGO                    cargo to run (default: cargo)
#   DATADOG_CLIENT_VERSION   version requirement for datadog-api-client (default: 0.38)
#   BENCH_BUILD_KEEP=1       keep the target dirs afterwards (default: delete them, keep the logs)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
CARGO=${CARGO:-cargo}
DATADOG_CLIENT_VERSION=${DATADOG_CLIENT_VERSION:-0.38}
SPEC=specs/nameshield-cti.yaml
ONE_FEATURE=nameshield-cti
BENCH=$ROOT/target/bench-build
LOGS=$BENCH/logs
REPORT=$ROOT/target/bench-report.md
OURS_ALL_DIR=$BENCH/ours-all
OURS_ONE_DIR=$BENCH/ours-$ONE_FEATURE
PEER_SRC=$BENCH/datadog-program
PEER_DIR=$BENCH/datadog-target

[[ -f Cargo.toml && -f $SPEC ]] || { echo "build_cost: run from the threatbind repository ($SPEC not found)" >&2; exit 1; }

# Honest builds: cargo's defaults for release (no incremental compilation), no compiler wrapper
# (sccache & co.), the same toolchain for both sides (every cargo command runs from the repo root,
# so rustup resolves the same toolchain; the peer is addressed with --manifest-path).
unset CARGO_INCREMENTAL CARGO_BUILD_INCREMENTAL CARGO_PROFILE_RELEASE_INCREMENTAL
unset RUSTC_WRAPPER CARGO_BUILD_RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER
unset CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR

CORES=$(nproc)
RUSTC_VERSION=$(rustc --version)
echo "cores: $CORES"
echo "rustc: $RUSTC_VERSION"

mkdir -p "$LOGS"

progress() { echo "build_cost: $*" >&2; }

# Seconds since the epoch, with nanoseconds.
now() { date +%s.%N; }

# 253.4 -> 4m13s
fmt_time() { awk -v s="$1" 'BEGIN { t = int(s + 0.5); printf "%dm%02ds", int(t / 60), t % 60 }'; }

# timed LOG CMD...: run CMD with its output appended to LOG; the wall time (seconds) goes to ELAPSED.
# Returns CMD's status.
ELAPSED=0
timed() {
    local log=$1 t0 t1 rc=0
    shift
    echo "+ $*" >>"$log"
    t0=$(now)
    "$@" >>"$log" 2>&1 || rc=$?
    t1=$(now)
    ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    echo "+ exit $rc after ${ELAPSED}s" >>"$log"
    return "$rc"
}

# Distinct packages (name + version) of the normal dependency graph, root excluded.
# count_deps EDGES CARGO-TREE-ARGS...
count_deps() {
    local edges=$1
    shift
    "$CARGO" tree --quiet --prefix none -e "$edges" "$@" |
        sed -e 's/ (\*)$//' |
        awk 'NR == 1 { root = $1 " " $2; next } NF { key = $1 " " $2; if (key != root) print key }' |
        sort -u | wc -l | tr -d ' '
}

# Did the build in LOG recompile PACKAGE? (An incremental measure that compiled nothing is void.)
recompiled() { grep -q "Compiling $2 v" "$1"; }

# ---------------------------------------------------------------------------------------------
# Ours. A failure here is a failure of the benchmark: exit non-zero with the end of the log.

ours_fail() {
    echo "build_cost: $1 failed (exit status $2); last lines of $3:" >&2
    tail -n 40 "$3" >&2
    exit 1
}

# ours_measure NAME TARGET-DIR CARGO-BUILD-ARGS...: clean build, touch the spec, incremental build.
# Sets CLEAN, INCR, INCR_NOTE.
ours_measure() {
    local name=$1 dir=$2 log rc
    shift 2
    log=$LOGS/$name.log
    : >"$log"
    rm -rf "$dir"
    progress "$name: clean cargo build --release${*:+ $*} ($dir)"
    rc=0
    timed "$log" env CARGO_TARGET_DIR="$dir" "$CARGO" build --release "$@" || rc=$?
    ((rc == 0)) || ours_fail "$name: clean build" "$rc" "$log"
    CLEAN=$ELAPSED

    touch "$SPEC"
    local incr_log=$LOGS/$name-incremental.log
    : >"$incr_log"
    progress "$name: incremental build after touch $SPEC"
    rc=0
    timed "$incr_log" env CARGO_TARGET_DIR="$dir" "$CARGO" build --release "$@" || rc=$?
    ((rc == 0)) || ours_fail "$name: incremental build" "$rc" "$incr_log"
    INCR=$ELAPSED
    INCR_NOTE=""
    recompiled "$incr_log" threatbind || INCR_NOTE=" (warning: nothing recompiled)"
}

progress "fetching our dependencies (not timed)"
fetch_log=$LOGS/ours-fetch.log
rc=0
timed "$fetch_log" "$CARGO" fetch || rc=$?
((rc == 0)) || ours_fail "cargo fetch" "$rc" "$fetch_log"

# Installing the CLI: what `cargo install --path crates/cli` builds.
ours_measure ours-all "$OURS_ALL_DIR" -p threatbind-cli --bin threatbind
OURS_ALL_CLEAN=$CLEAN OURS_ALL_INCR=$INCR OURS_ALL_NOTE=$INCR_NOTE

# A library user's program: one operation of one API through the library, in a workspace of
# its own (as a user's crate is), the library by path with that API's feature alone.
ONE_SRC=$BENCH/one-operation-program
rm -rf "$ONE_SRC"
mkdir -p "$ONE_SRC/src"
{
    echo '# Generated by benches/build_cost.sh: a program calling one operation of one API.'
    echo '[package]'
    echo 'name = "one-operation-program"'
    echo 'version = "0.1.0"'
    echo 'edition = "2021"'
    echo 'publish = false'
    echo
    echo '[dependencies]'
    echo "threatbind = { path = \"$ROOT\", default-features = false, features = [\"$ONE_FEATURE\"] }"
    echo 'tokio = { version = "1", features = ["macros", "rt-multi-thread"] }'
    echo
    echo '[workspace]'
    echo
    awk '/^[[:space:]]*\[/ { inside = ($0 ~ /^[[:space:]]*\[profile\.release([].])/) } inside { print }' Cargo.toml
} >"$ONE_SRC/Cargo.toml"
{
    echo '// Generated by benches/build_cost.sh: one Nameshield call through threatbind.'
    echo 'use threatbind::nameshield_cti::NameshieldClient;'
    echo
    echo '#[tokio::main]'
    echo 'async fn main() -> threatbind::Result<()> {'
    echo '    let client = NameshieldClient::from_env()?.build()?;'
    echo '    let event = client.get_threat_event().id("2fc25065-4766-5fa1-93a3-471f36599f1d");'
    echo '    println!("{:?}", event.call().await?);'
    echo '    Ok(())'
    echo '}'
} >"$ONE_SRC/src/main.rs"
cp Cargo.lock "$ONE_SRC/Cargo.lock"
ours_measure "ours-$ONE_FEATURE" "$OURS_ONE_DIR" --manifest-path "$ONE_SRC/Cargo.toml"
OURS_ONE_CLEAN=$CLEAN OURS_ONE_INCR=$INCR OURS_ONE_NOTE=$INCR_NOTE

progress "counting our dependencies"
OURS_ALL_DEPS=$(count_deps normal -p threatbind-cli)
OURS_ONE_DEPS=$(count_deps normal --manifest-path "$ONE_SRC/Cargo.toml")
OURS_ALL_DEPS_B=$(count_deps normal,build -p threatbind-cli)
OURS_ONE_DEPS_B=$(count_deps normal,build --manifest-path "$ONE_SRC/Cargo.toml")

# ---------------------------------------------------------------------------------------------
# The peer: a program using datadog-api-client. A failure here is reported, not fatal.

# The same release profile as ours: every [profile.release...] section of our Cargo.toml, verbatim.
OUR_RELEASE_PROFILE=$(awk '
    /^[[:space:]]*\[/ { inside = ($0 ~ /^[[:space:]]*\[profile\.release([].])/) }
    inside { print }' Cargo.toml)
if [[ -n $OUR_RELEASE_PROFILE ]]; then
    PROFILE_NOTE="the peer gets a copy of threatbind's \`[profile.release]\`"
else
    PROFILE_NOTE="cargo's defaults on both sides (threatbind's Cargo.toml has no \`[profile.release]\`)"
fi

rm -rf "$PEER_SRC" "$PEER_DIR"
mkdir -p "$PEER_SRC/src"
cat >"$PEER_SRC/Cargo.toml" <<EOF
# Generated by benches/build_cost.sh: the smallest program that really links Datadog's official
# Rust client (one V2 security-monitoring call), to compare build cost with threatbind.
[package]
name = "datadog-program"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
datadog-api-client = "$DATADOG_CLIENT_VERSION"
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

# Its own workspace (it sits inside threatbind's directory tree).
[workspace]

$OUR_RELEASE_PROFILE
EOF
cat >"$PEER_SRC/src/main.rs" <<'EOF'
// Generated by benches/build_cost.sh. List Datadog's indicators of compromise (IoC Explorer,
// an unstable V2 operation) through the official client.
use datadog_api_client::datadog;
use datadog_api_client::datadogV2::api_security_monitoring::{
    ListIndicatorsOfCompromiseOptionalParams, SecurityMonitoringAPI,
};

#[tokio::main]
async fn main() {
    let mut configuration = datadog::Configuration::new();
    configuration.set_unstable_operation_enabled("v2.list_indicators_of_compromise", true);
    let api = SecurityMonitoringAPI::with_config(configuration);
    match api
        .list_indicators_of_compromise(ListIndicatorsOfCompromiseOptionalParams::default().limit(1))
        .await
    {
        Ok(page) => println!("{page:#?}"),
        Err(err) => eprintln!("{err:#?}"),
    }
}
EOF
PEER_MANIFEST=$PEER_SRC/Cargo.toml

PEER_OK=0 PEER_REASON="" PEER_VERSION="$DATADOG_CLIENT_VERSION (unresolved)"
PEER_CLEAN="" PEER_INCR="" PEER_NOTE="" PEER_DEPS="" PEER_DEPS_B=""

# peer_step WHAT LOG CMD...: on failure, PEER_REASON says what failed with the end of LOG.
peer_step() {
    local what=$1 log=$2 rc=0
    shift 2
    timed "$log" "$@" || rc=$?
    if ((rc != 0)); then
        PEER_REASON="$what failed (exit status $rc); last lines of ${log#"$ROOT"/}:"$'\n\n```\n'"$(tail -n 25 "$log")"$'\n```'
        progress "peer: $what failed (see $log)"
        return 1
    fi
}

peer_measure() {
    local log=$LOGS/datadog-program.log incr_log=$LOGS/datadog-program-incremental.log
    : >"$log"
    : >"$incr_log"
    progress "peer: resolving and fetching datadog-api-client $DATADOG_CLIENT_VERSION (not timed)"
    peer_step "resolving the dependencies (cargo generate-lockfile)" "$log" \
        "$CARGO" generate-lockfile --manifest-path "$PEER_MANIFEST" || return 1
    PEER_VERSION=$(awk '$0 == "name = \"datadog-api-client\"" { getline; gsub(/version = |"/, ""); print; exit }' \
        "$PEER_SRC/Cargo.lock")
    peer_step "downloading the dependencies (cargo fetch)" "$log" \
        "$CARGO" fetch --manifest-path "$PEER_MANIFEST" || return 1

    progress "peer: clean cargo build --release ($PEER_DIR)"
    peer_step "the clean release build" "$log" \
        env CARGO_TARGET_DIR="$PEER_DIR" "$CARGO" build --release --manifest-path "$PEER_MANIFEST" || return 1
    PEER_CLEAN=$ELAPSED

    touch "$PEER_SRC/src/main.rs"
    progress "peer: incremental build after touch src/main.rs"
    peer_step "the incremental release build" "$incr_log" \
        env CARGO_TARGET_DIR="$PEER_DIR" "$CARGO" build --release --manifest-path "$PEER_MANIFEST" || return 1
    PEER_INCR=$ELAPSED
    recompiled "$incr_log" datadog-program || PEER_NOTE=" (warning: nothing recompiled)"

    PEER_DEPS=$(count_deps normal --manifest-path "$PEER_MANIFEST") || return 1
    PEER_DEPS_B=$(count_deps normal,build --manifest-path "$PEER_MANIFEST") || return 1
    PEER_OK=1
}

if ! peer_measure; then
    [[ -n $PEER_REASON ]] || PEER_REASON="counting its dependencies (cargo tree) failed"
fi

# ---------------------------------------------------------------------------------------------
# Report.

ONE_CMD="threatbind with the feature $ONE_FEATURE alone"
section=$(
    echo
    echo "## Build cost ($CORES cores; $RUSTC_VERSION; clean = fresh target dir; release profile)"
    echo
    echo "| build | clean release build | incremental after touching one spec / main.rs | dependencies |"
    echo "|---|---|---|---|"
    echo "| installing the CLI (\`-p threatbind-cli --bin threatbind\`, every API) | $(fmt_time "$OURS_ALL_CLEAN") | $(fmt_time "$OURS_ALL_INCR")$OURS_ALL_NOTE | $OURS_ALL_DEPS |"
    echo "| a program calling one operation ($ONE_CMD) | $(fmt_time "$OURS_ONE_CLEAN") | $(fmt_time "$OURS_ONE_INCR")$OURS_ONE_NOTE | $OURS_ONE_DEPS |"
    if ((PEER_OK)); then
        echo "| program using datadog-api-client $PEER_VERSION (\`SecurityMonitoringAPI::list_indicators_of_compromise\`, default features) | $(fmt_time "$PEER_CLEAN") | $(fmt_time "$PEER_INCR")$PEER_NOTE | $PEER_DEPS |"
    else
        echo "| program using datadog-api-client $PEER_VERSION | not built | not built | - |"
    fi
    echo
    if ((PEER_OK)); then
        # Three decimals, and the verdict on the unrounded ratio (0.334 is not "0.33").
        ratio=$(awk -v a="$OURS_ONE_CLEAN" -v b="$PEER_CLEAN" 'BEGIN { printf "%.3f", a / b }')
        verdict=$(awk -v a="$OURS_ONE_CLEAN" -v b="$PEER_CLEAN" 'BEGIN { print (a / b <= 0.15) ? "met" : "missed" }')
        echo "Ratio (one-operation program through threatbind / datadog-api-client program, clean release build): **$ratio** (goal: at most 0.15; $verdict)."
        echo
        ratio=$(awk -v a="$OURS_ALL_CLEAN" -v b="$PEER_CLEAN" 'BEGIN { printf "%.3f", a / b }')
        verdict=$(awk -v a="$OURS_ALL_CLEAN" -v b="$PEER_CLEAN" 'BEGIN { print (a / b <= 0.35) ? "met" : "missed" }')
        echo "Ratio (installing the CLI / datadog-api-client program, clean release build): **$ratio** (goal: at most 0.35; $verdict)."
    else
        echo "Ratios against the datadog-api-client program: n/a, the peer was not built."
        echo
        echo "The datadog-api-client program (\`${PEER_SRC#"$ROOT"/}\`) could not be measured: $PEER_REASON"
    fi
    echo
    echo "Incremental: threatbind after \`touch $SPEC\` (build.rs regenerates that API's code), the peer after \`touch src/main.rs\`."
    echo "Dependencies: distinct packages (name + version) in \`cargo tree -e normal\` for the host, root excluded;"
    if ((PEER_OK)); then
        echo "with build-dependencies too: $OURS_ALL_DEPS_B (all features), $OURS_ONE_DEPS_B (one API feature), $PEER_DEPS_B (peer)."
    else
        echo "with build-dependencies too: $OURS_ALL_DEPS_B (all features), $OURS_ONE_DEPS_B (one API feature)."
    fi
    echo "Release profile: $PROFILE_NOTE. Timings are wall-clock; dependency downloads are done before timing."
)
printf '%s\n' "$section"
mkdir -p "$(dirname "$REPORT")"
printf '%s\n' "$section" >>"$REPORT"

if [[ ${BENCH_BUILD_KEEP:-0} != 1 ]]; then
    progress "removing the bench target dirs (BENCH_BUILD_KEEP=1 keeps them); logs stay in $LOGS"
    rm -rf "$OURS_ALL_DIR" "$OURS_ONE_DIR" "$PEER_DIR" "$ONE_SRC"
fi
