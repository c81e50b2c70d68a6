#!/usr/bin/env bash
# lotledger writing to an output that is gone (`lotledger ... | head` after
# head exits): a failed write that it names and exits 1 for, not a silent
# death by SIGPIPE (exit 141), since it ignores SIGPIPE like lotledgerd.
set -u
build=${LL_BUILD:?}
cli=$(cd "$build" && pwd)/lotledger
fail() { echo "  FAIL: $*"; exit 1; }

# A pipe whose reader has already exited: every write to it fails.
exec 3> >(exit 0)
wait $! 2>/dev/null
out=$("$cli" scan '(01)00614141777778(10)A1' 2>&1 >&3)
rc=$?
exec 3>&-
[ "$rc" -eq 1 ] || fail "scan into a closed pipe: exit $rc, want 1: $out"
grep -qF "cannot write the output: Broken pipe" <<<"$out" ||
    fail "scan into a closed pipe: no reason in: $out"
# The same command into a pipe that is read works.
"$cli" scan '(01)00614141777778(10)A1' | grep -q "01/00614141777778/10/A1" ||
    fail "scan into a pipe"
exit 0
