#!/usr/bin/env bash
# lotledger verify-chain against a real ledger written by another process
# that was killed with SIGKILL several times (test_crash), then against the
# same ledger with one byte of its files damaged, and its usage errors.
# LL_BUILD is the build directory (set by tests/run-integration.sh).
set -u
build=${LL_BUILD:?}
cli=$build/lotledger
fail() { echo "  FAIL: $*"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# Usage errors name the problem and exit 2.
out=$("$cli" verify-chain 2>&1); rc=$?
[ $rc -eq 2 ] || fail "no arguments: exit $rc"
grep -q -- "--genesis FILE is required" <<<"$out" || fail "no arguments: '$out'"
out=$("$cli" verify-chain --bogus 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "unknown option '--bogus'" <<<"$out" || fail "bad option: $rc '$out'"
out=$("$cli" frobnicate 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "unknown command 'frobnicate'" <<<"$out" || fail "bad command: $rc '$out'"
"$cli" --help | grep -q verify-chain || fail "--help does not list verify-chain"
"$cli" verify-chain --help | grep -q "LEDGER_DIR" || fail "verify-chain --help"

# A missing genesis file and a directory without a ledger are named.
out=$("$cli" verify-chain --genesis "$dir/none.json" "$dir" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "none.json" <<<"$out" || fail "missing genesis: $rc '$out'"

# Build a ledger with a writer killed by SIGKILL 8 times.
LL_CRASH_KEEP=$dir LL_CRASH_ROUNDS=8 "$build/t/test_crash" -t sigkill_rounds >/dev/null \
    || fail "test_crash could not build the ledger"
out=$("$cli" verify-chain --genesis "$dir/genesis.json" "$dir/empty" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -qE "no (ledger|database)" <<<"$out" || fail "no ledger: $rc '$out'"
[ ! -e "$dir/empty" ] || fail "verify-chain created a directory"

# verify-chain is read-only: every file of the directory (names, sizes,
# bytes) is the same after it, though opening LevelDB writes a new
# manifest and log (and turns a log's blocks into a table) and deletes the
# old ones.
sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
before=$(sums "$dir/ledger")
out=$("$cli" verify-chain --genesis "$dir/genesis.json" "$dir/ledger" 2>&1); rc=$?
[ $rc -eq 0 ] || fail "clean ledger: exit $rc: $out"
grep -q "^ok: chain fixture-net verified from genesis to height" <<<"$out" || fail "report: '$out'"
[ "$(sums "$dir/ledger")" = "$before" ] || fail "verify-chain changed the ledger's files"
[ -z "$(ls -d "$dir"/ledger.* 2>/dev/null)" ] || fail "verify-chain left a clone: $(ls -d "$dir"/ledger.*)"
# Also from a read-only parent (the clone then goes to TMPDIR); root
# writes anyway, so this part runs only for other users.
mkdir "$dir/ro" && cp -a "$dir/ledger" "$dir/ro/ledger" && chmod 555 "$dir/ro"
if [ ! -w "$dir/ro" ]; then
    out=$(TMPDIR="$dir" "$cli" verify-chain --genesis "$dir/genesis.json" "$dir/ro/ledger" 2>&1); rc=$?
    [ $rc -eq 0 ] || fail "read-only parent: exit $rc: $out"
    [ "$(sums "$dir/ro/ledger")" = "$before" ] || fail "verify-chain changed the read-only copy"
    [ -z "$(ls -d "$dir"/lotledger-verify-* 2>/dev/null)" ] || fail "clone left in TMPDIR"
fi
chmod 755 "$dir/ro"
rm -rf "$dir/ro"

# A genesis from another network is refused.
sed 's/fixture-net/other-net/' "$dir/genesis.json" >"$dir/other.json"
out=$("$cli" verify-chain --genesis "$dir/other.json" "$dir/ledger" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "another genesis" <<<"$out" || fail "other genesis: $rc '$out'"

# The schema record unreadable (one bit flipped in the table holding it):
# the read error is named, never "no ledger", and nothing changes. A
# writer killed by SIGKILL can leave an obsolete copy of the table (a
# compaction's input not yet deleted) that LevelDB no longer reads, so the
# bit is flipped in every table holding the key: one of them is the live one.
# The copy made here, named before every live table, is such a leftover
# (CI once flipped the bit in one and verify-chain rightly passed).
cp -a "$dir/ledger" "$dir/flip"
tbls=$(grep -l -a schema "$dir"/flip/*.ldb)
[ -n "$tbls" ] || fail "no table holds the schema key"
[ ! -e "$dir/flip/000001.ldb" ] || fail "table 000001 is still live"
cp "$(head -n 1 <<<"$tbls")" "$dir/flip/000001.ldb"
tbls=$(grep -l -a schema "$dir"/flip/*.ldb)
for tbl in $tbls; do
    off=$(grep -boa schema "$tbl" | head -n 1 | cut -d: -f1)
    orig=$(dd if="$tbl" bs=1 skip=$off count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
    printf "\\x$(printf %02x $(( orig ^ 1 )))" | dd of="$tbl" bs=1 seek=$off conv=notrunc 2>/dev/null
done
before=$(sums "$dir/flip")
out=$("$cli" verify-chain --genesis "$dir/genesis.json" "$dir/flip" 2>&1); rc=$?
[ $rc -eq 1 ] || fail "schema flip: exit $rc: $out"
grep -q "cannot read the schema record" <<<"$out" || fail "schema flip not named: '$out'"
grep -q "no ledger" <<<"$out" && fail "schema flip called 'no ledger': '$out'"
[ "$(sums "$dir/flip")" = "$before" ] || fail "verify-chain changed the damaged ledger"
rm -rf "$dir/flip"

# Damage one byte in the middle of the largest table or log file.
big=$(ls -S "$dir"/ledger/*.ldb "$dir"/ledger/*.log 2>/dev/null | head -n 1)
[ -n "$big" ] || fail "no LevelDB files"
size=$(stat -c %s "$big")
off=$((size / 2))
orig=$(dd if="$big" bs=1 skip=$off count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "\\x$(printf %02x $(( (orig + 1) % 256 )))" | dd of="$big" bs=1 seek=$off conv=notrunc 2>/dev/null
out=$("$cli" verify-chain --genesis "$dir/genesis.json" "$dir/ledger" 2>&1); rc=$?
[ $rc -eq 1 ] || fail "damaged ledger accepted: exit $rc: $out"
grep -qiE "corrupt|checksum|FAILED" <<<"$out" || fail "damage not named: '$out'"
exit 0
