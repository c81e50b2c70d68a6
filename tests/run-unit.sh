#!/usr/bin/env bash
# Run every unit-test binary and every fuzz-corpus replay of one build
# variant; print each binary's result and a closing "N passed, N failed".
# Usage: tests/run-unit.sh BUILD_DIR   (LL_TEST_RUNNER wraps each binary)
set -u
build=${1:?usage: run-unit.sh BUILD_DIR}
runner=${LL_TEST_RUNNER:-}
# A binary that outlives this (each case has its own 300 s alarm) is hung:
# kill it and count it failed instead of stalling CI.
limit=${LL_TEST_LIMIT:-1500}
passed=0
failed=0
bad=()
for t in "$build"/t/test_*; do
    [ -x "$t" ] || continue
    out=$(timeout -k 10 "$limit" $runner "$t" 2>&1 </dev/null)
    rc=$?
    [ $rc -eq 124 ] && out+=$'\n'"FAIL $t: still running after ${limit}s, killed"

    printf '%s\n' "$out" | grep -v '^ok  ' || true
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -n "$line" ]; then
        p=${line%% passed*}
        f=${line#*passed, }
        f=${f%% failed*}
        passed=$((passed + p))
        failed=$((failed + f))
    fi
    if [ $rc -ne 0 ] && { [ -z "$line" ] || [ "${f:-0}" = 0 ]; }; then
        failed=$((failed + 1))
    fi
    [ $rc -eq 0 ] || bad+=("$t")
done
for r in "$build"/replay/fuzz_*; do
    [ -x "$r" ] || continue
    name=$(basename "$r")
    corpus=tests/fuzz/corpus/$name
    if [ -d "$corpus" ] && $runner "$r" "$corpus" >/dev/null 2>&1; then
        echo "ok   replay $name"
        passed=$((passed + 1))
    elif [ ! -d "$corpus" ]; then
        echo "FAIL replay $name: no corpus at $corpus"
        failed=$((failed + 1)); bad+=("$r")
    else
        echo "FAIL replay $name"
        $runner "$r" "$corpus" 2>&1 | tail -n 20
        failed=$((failed + 1)); bad+=("$r")
    fi
done
if [ ${#bad[@]} -gt 0 ]; then
    echo "failing: ${bad[*]}"
fi
echo "unit ($build): $passed passed, $failed failed"
mkdir -p build
echo "$passed $failed" >>build/results.txt
[ "$failed" -eq 0 ]
