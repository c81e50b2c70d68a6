#!/usr/bin/env bash
# lotledgerd on damaged storage: a real node creates its ledger (--init),
# the demo supply chain is submitted, the node is stopped, and then copies
# of its data directory are damaged (CURRENT deleted, the schema key's
# table flipped, the newest log deleted: a rollback, COMMITTED damaged).
# Each start refuses with exit 1 and a message naming the problem, leaves
# every file as it was, and never serves height 0 over the old ledger; a
# rollback starts only with --accept-rollback, logged as an error. Also:
# without --init the node creates nothing, --init refuses a ledger, and
# neither a second node nor verify-chain reads a store a node has open.
set -u
build=$(cd "${LL_BUILD:?}" && pwd)
cli=$build/lotledger
node=$build/lotledgerd
fail() { echo "  FAIL: $*"; [ -f "$dir/node.log" ] && tail -5 "$dir/node.log"; exit 1; }
dir=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
cd "$dir" || exit 1
echo "damage pass" >pass
mkdir -p keys
for org in operator farm packer processor distributor retail1 retail2; do
    "$cli" keygen -o "keys/$org.key" --passphrase-file pass --kdf-mem 8 --kdf-ops 1 >/dev/null \
        || fail "keygen $org"
done
args=(--chain-id damage-test --org operator --name Operator --role validator --power 1 --key keys/operator.key)
gln=(0614141000005 0614141000012 0614141000029 0614141000036 0614141000043 0614141000050)
i=0
for org in farm packer processor distributor retail1 retail2; do
    args+=(--org "$org" --name "$org" --gln "${gln[$i]}" --role member --key "keys/$org.key")
    i=$((i + 1))
done
"$cli" genesis -o genesis.json "${args[@]}" >/dev/null || fail "genesis"

# Start the node on data directory $1 with extra flags; sets pid and url,
# or returns 1 once the node has exited (its status in $status).
start() {
    local data=$1
    shift
    : >node.log
    "$node" --data-dir "$data" --genesis genesis.json --org operator \
        --keystore keys/operator.key --passphrase-file pass \
        --http-listen 127.0.0.1:0 --block-interval 50 "$@" 2>node.log &
    pid=$!
    url=
    for _ in $(seq 400); do
        url=$(grep -o 'url=http://[0-9.:]*' node.log | cut -d= -f2)
        [ -n "$url" ] && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            status=$?
            pid=
            return 1
        fi
        sleep 0.05
    done
    fail "node neither started nor exited"
}
stop() {
    kill -TERM "$pid" && wait "$pid"
    pid=
}
height() { curl -s "$url/v1/status" | grep -o '"height":[0-9]*' | cut -d: -f2; }
sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

# Without --init nothing is created, and the message says what to do.
start data && fail "started without a ledger and without --init"
[ "$status" -eq 1 ] || fail "no ledger: exit $status"
grep -q "no ledger in data/ledger: start once with --init" node.log || fail "no ledger: $(cat node.log)"
[ ! -e data/ledger ] || fail "a ledger was created without --init"

start data --init || fail "--init: $(cat node.log)"
grep -q "event=created" node.log || fail "--init did not log event=created"
"$cli" demo --node "$url" --keys keys --passphrase-file pass >demo.txt 2>&1 || fail "demo: $(cat demo.txt)"
# The last events may wait for the next block: wait for the height to hold.
full=0
for _ in $(seq 100); do
    h=$(height)
    [ "${h:-0}" -gt 0 ] && [ "$h" = "$full" ] && break
    full=${h:-0}
    sleep 0.2
done
[ "${full:-0}" -gt 0 ] || fail "no blocks after the demo"
stop
# As the node left it: its last blocks still in LevelDB's log (a start
# turns the log into a table).
cp -a data pristine
start data --init && fail "--init over an existing ledger started"
grep -q "is not empty" node.log || fail "--init over a ledger: $(cat node.log)"
start data || fail "restart: $(cat node.log)"
[ "$(height)" = "$full" ] || fail "restart at height $(height), not $full"
# While it runs, neither a second node nor verify-chain reads its store.
first=$pid
cp node.log node1.log
start data && fail "a second node started on a store in use"
grep -q "is in use by process $first" node.log || fail "in use: $(tail -n 1 node.log)"
out=$("$cli" verify-chain --genesis genesis.json data/ledger 2>&1) && fail "verify-chain on a store in use"
grep -q "is in use by process $first" <<<"$out" || fail "verify-chain in use: $out"
[ -z "$(ls -d data/ledger.* 2>/dev/null)" ] || fail "a clone was left: $(ls -d data/ledger.*)"
pid=$first
stop

# A damaged copy must be refused, unchanged. $1 names the case, $2 a
# pattern the message must match; the copy is in d/.
refused() {
    local before
    before=$(sums d)
    if start d; then
        h=$(height)
        stop
        fail "$1: the node started (height $h of $full)"
    fi
    [ "$status" -eq 1 ] || fail "$1: exit $status"
    grep -qE "$2" node.log || fail "$1: message: $(tail -n 2 node.log)"
    [ "$(sums d)" = "$before" ] || fail "$1: the refused start changed the files"
    [ ! -e d/ledger.check ] && [ ! -e d/ledger.new ] || fail "$1: left a clone"
}

rm -rf d && cp -a pristine d && rm d/ledger/CURRENT
refused "CURRENT deleted" "no CURRENT file: the store is damaged"

rm -rf d && cp -a pristine d
# Every file holding the key, in case one is a table LevelDB no longer
# reads (test_verify_chain.sh says when that happens).
tbls=$(grep -l -a schema d/ledger/*.ldb d/ledger/*.log 2>/dev/null)
[ -n "$tbls" ] || fail "no file holds the schema key"
for tbl in $tbls; do
    off=$(grep -boa schema "$tbl" | head -n 1 | cut -d: -f1)
    orig=$(dd if="$tbl" bs=1 skip="$off" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
    printf "\\x$(printf %02x $((orig ^ 1)))" | dd of="$tbl" bs=1 seek="$off" conv=notrunc 2>/dev/null
done
refused "schema key flipped" "corrupt|checksum|cannot read the schema record"

rm -rf d && cp -a pristine d
printf 'lotledger committed v1 height 7 hash zz\n' >d/ledger/COMMITTED
refused "COMMITTED damaged" "COMMITTED is damaged"

# The newest log deleted: LevelDB would open at an earlier tip.
rm -rf d && cp -a pristine d
log=$(ls d/ledger/*.log | sort | tail -n 1)
[ -s "$log" ] || fail "the newest log is empty (nothing to roll back)"
rm "$log"
refused "newest log deleted" "rolled back: the store's tip is block [0-9]+ but block $full was committed"
start d --accept-rollback || fail "--accept-rollback: $(cat node.log)"
grep -q "event=rolled_back accepted=yes" node.log || fail "rollback not logged"
back=$(height)
[ "$back" -lt "$full" ] || fail "accepted rollback at $back, not below $full"
stop
"$cli" verify-chain --genesis genesis.json d/ledger >/dev/null || fail "rolled-back store does not verify"
start d || fail "start after an accepted rollback: $(cat node.log)"
stop
exit 0
