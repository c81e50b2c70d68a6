#!/usr/bin/env bash
# Run every tests/integration/test_*.sh against the binaries of one build
# variant. Each script exits 0 on success; prints "N passed, N failed".
set -u
build=${1:?usage: run-integration.sh BUILD_DIR}
passed=0
failed=0
for t in tests/integration/test_*.sh; do
    [ -f "$t" ] || continue
    if LL_BUILD="$build" timeout -k 10 "${LL_TEST_LIMIT:-900}" bash "$t" </dev/null; then
        echo "ok   $t"
        passed=$((passed + 1))
    else
        echo "FAIL $t"
        failed=$((failed + 1))
    fi
done
echo "integration ($build): $passed passed, $failed failed"
mkdir -p build
echo "$passed $failed" >>build/results.txt
[ "$failed" -eq 0 ]
