#!/usr/bin/env bash
# Start-up of the CLI beside curl: one call of Nameshield's get-event against `threatbind mock`
# on loopback, the same request by curl, the two in turn (A B A B ...) so the machine's drift
# hits both. A cron job or a shell loop pays this on every call. Also `threatbind --version`
# beside /bin/true (the process alone). Medians of wall time, and the median of the per-pair
# ratios. Run from the repository root after `cargo build --release --bin threatbind`:
# `bash benches/startup.sh`. The Markdown section goes to stdout and to target/bench-report.md.
#
# Environment: RUNS (default 40) pairs per comparison (at most 290: the CLI keeps Nameshield's
# quota of 600 requests per 5 minutes, as it would against the vendor).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=target/release/threatbind
REPORT=target/bench-report.md
RUNS=${RUNS:-40}
[[ -x $BIN ]] || { echo "startup: build $BIN first (cargo build --release --bin threatbind)" >&2; exit 1; }
command -v curl >/dev/null || { echo "startup: curl is needed as the baseline" >&2; exit 1; }

STATE=$(mktemp -d)
trap 'kill $MOCK 2>/dev/null || true; rm -rf "$STATE"' EXIT
"$BIN" mock --quiet --rate-limit 1000000/1 --quota-store process >"$STATE/mock.out" 2>&1 &
MOCK=$!
for _ in $(seq 100); do [[ -s $STATE/mock.out ]] && break; sleep 0.05; done
BASE=$(head -n1 "$STATE/mock.out")
[[ $BASE == http://127.0.0.1:* ]] || { echo "startup: the mock did not start: $(cat "$STATE/mock.out")" >&2; exit 1; }

ID=2fc25065-4766-5fa1-93a3-471f36599f1d
TOKEN=6f1c3c1e-0000-4000-8000-000000000000
export NAMESHIELD_TOKEN=$TOKEN NAMESHIELD_BASE_URL=$BASE THREATBIND_CACHE_DIR=$STATE/cache

# ns COMMAND...: wall nanoseconds of one run, output discarded; fails the bench on a failed run.
ns() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "startup: failed: $*" >&2; exit 1; }
    t1=$(date +%s%N)
    echo $((t1 - t0))
}

# pairs NAME -- A... -- B...: RUNS alternating pairs; prints "a_median_ms b_median_ms ratio_median".
pairs() {
    local a=() b=() seen=0 arg
    for arg in "$@"; do
        if [[ $arg == -- ]]; then seen=$((seen + 1)); continue; fi
        if ((seen == 1)); then a+=("$arg"); else b+=("$arg"); fi
    done
    ns "${a[@]}" >/dev/null; ns "${b[@]}" >/dev/null  # warm-up
    for _ in $(seq "$RUNS"); do
        echo "$(ns "${a[@]}") $(ns "${b[@]}")"
    done | awk '
        function median(v, n,   i, j, t) {
            for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
            return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
        }
        { n++; a[n] = $1; b[n] = $2; r[n] = $1 / $2 }
        END { printf "%.2f %.2f %.3f\n", median(a, n) / 1e6, median(b, n) / 1e6, median(r, n) }'
}

read -r CALL_A CALL_B CALL_R < <(pairs -- "$BIN" nameshield event --id "$ID" -- \
    curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/cti/v2/events/$ID")
read -r VER_A VER_B VER_R < <(pairs -- "$BIN" --version -- /bin/true)
# The default quota store (this machine's, a file under the cache directory) beside curl.
read -r MACH_A MACH_B MACH_R < <(THREATBIND_QUOTA_STORE=machine pairs -- "$BIN" nameshield event --id "$ID" -- \
    curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/cti/v2/events/$ID")

SECTION=$(cat <<MD

## CLI start-up ($RUNS pairs each, medians of wall time)

| command | threatbind ms | baseline ms | ratio (median of pairs) | goal |
|---|---:|---:|---:|---|
| \`nameshield event\` against \`threatbind mock\`, quota in the process, vs curl | $CALL_A | $CALL_B | $CALL_R | <= 1.3 |
| the same, the machine's quota store (the default) | $MACH_A | $MACH_B | $MACH_R | <= 1.3 |
| \`threatbind --version\` vs /bin/true | $VER_A | $VER_B | $VER_R | (the process alone) |
MD
)
echo "$SECTION"
mkdir -p target
echo "$SECTION" >> "$REPORT"
