#!/usr/bin/env bash
# Everything CI runs (make check): builds with gcc and clang, unit and
# integration tests, tests under ASan+UBSan, clang-tidy, cppcheck, lint,
# format check and a short fuzz run. Ends with the summed "N passed, N failed".
set -euo pipefail
jobs=$(nproc 2>/dev/null || echo 2)
M="make --no-print-directory -j$jobs"
rm -f build/results.txt
step() { echo; echo "==== $*"; }
step "deps";                       make --no-print-directory deps
step "build (gcc, -Werror)";         $M all
step "build (clang, -Werror)";       $M clang
step "tests (gcc, LL_VERIFY)";       $M test
step "tests (clang asan+ubsan)";     $M asan
step "format-check";                 $M format-check
step "lint";                         $M lint
step "cppcheck";                     $M cppcheck
step "clang-tidy";                   $M tidy
step "fuzz-run (${FUZZ_SECONDS:-10}s per target)"
$M fuzz-run FUZZ_SECONDS="${FUZZ_SECONDS:-10}"
p=0; f=0
while read -r a b; do p=$((p + a)); f=$((f + b)); done <build/results.txt
echo
echo "check: $p passed, $f failed"
[ "$f" -eq 0 ]
