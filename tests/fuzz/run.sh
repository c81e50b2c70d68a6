#!/usr/bin/env bash
# Smoke-run every libFuzzer target on its corpus for N seconds.
# New inputs go to a scratch directory, not into the committed corpus.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS
set -u
build=${1:?usage: run.sh BUILD_DIR SECONDS}
secs=${2:-10}
passed=0
failed=0
for f in "$build"/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    corpus=tests/fuzz/corpus/$name
    scratch=$(mktemp -d)
    log=$(mktemp)
    if "$f" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="build/fuzz/$name-" "$scratch" "$corpus" >"$log" 2>&1; then
        echo "ok   fuzz $name ($(grep -oE 'Done [0-9]+ runs' "$log" | tail -n 1))"
        passed=$((passed + 1))
    else
        echo "FAIL fuzz $name"
        tail -n 40 "$log"
        failed=$((failed + 1))
    fi
    rm -rf "$scratch" "$log"
done
echo "fuzz: $passed passed, $failed failed"
mkdir -p build
echo "$passed $failed" >>build/results.txt
[ "$failed" -eq 0 ]
