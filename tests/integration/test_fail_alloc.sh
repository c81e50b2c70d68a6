#!/usr/bin/env bash
# LL_FAIL_ALLOC=N makes the Nth allocation of the real lotledger and
# lotledgerd fail. For N = 1, 2, ... until a run makes fewer than N
# allocations, each run of `lotledger verify` (genesis load and proof
# verify), of a node's start (on a new directory and on a ledger) and of
# `lotledger verify-chain` must exit 1 saying "out of memory" (libuv's words:
# "not enough memory"), never crash or name another error, and the run
# after the last must succeed. A serving node with one of its first
# allocations failing answers all but at most one request, whole, and
# stops cleanly; an event it answered "committed" is on the ledger.
# Afterwards the ledger opens, serves and verifies.
set -u
build=${LL_BUILD:?}
root=$(pwd)
bin=$(cd "$build" && pwd)
fail() { echo "  FAIL: $*"; exit 1; }
dir=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir" || exit 1
max=3000 # far more allocations than either program makes before it is done

# check N RC LOG: a run with allocation N failing exited RC; it must be a
# clean exit 1 that says so.
check() {
    [ "$2" -lt 128 ] || fail "allocation $1: killed by signal $(($2 - 128)): $(tail -n 5 "$3")"
    [ "$2" -eq 1 ] || fail "allocation $1: exit $2, want 1: $(tail -n 5 "$3")"
    grep -Eq "out of memory|not enough memory" "$3" || fail "allocation $1: no 'out of memory' in: $(tail -n 5 "$3")"
}

# check_cli N RC OUT: as check, and the command's own message (its first
# line, before the closing "lotledger: out of memory") names it too.
check_cli() {
    check "$@"
    head -n 1 "$3" | grep -q "out of memory" ||
        fail "allocation $1: the command said: $(head -n 1 "$3")"
}

# ---- lotledger verify: the fuzz corpus's bundle against its genesis
genesis=$root/tests/fuzz/data/proof-genesis.json
bundle=$root/tests/fuzz/corpus/fuzz_proof/backward-d.bin
[ -f "$genesis" ] && [ -f "$bundle" ] || fail "no $genesis or $bundle"
"$bin/lotledger" verify --genesis "$genesis" "$bundle" >out 2>&1 || fail "verify: $(cat out)"
n=1
while :; do
    LL_FAIL_ALLOC=$n "$bin/lotledger" verify --genesis "$genesis" "$bundle" >out 2>&1
    rc=$?
    [ $rc -eq 0 ] && break
    check_cli $n $rc out
    n=$((n + 1))
    [ $n -le $max ] || fail "verify still failing at allocation $max"
done
[ $n -gt 100 ] || fail "verify succeeded with allocation $n failing: LL_FAIL_ALLOC not read?"
grep -q "^ok: backward trace" out || fail "verify: $(cat out)"
echo "  verify: allocations 1..$((n - 1)) failed cleanly"

# ---- lotledgerd: start until it serves, then stop
printf 'node secret\n' >pw
for o in val farm; do
    "$bin/lotledger" keygen -o $o.key --passphrase-file pw --kdf-mem 8 --kdf-ops 1 >/dev/null ||
        fail "keygen"
done
"$bin/lotledger" genesis -o genesis.json --chain-id fail-net --time 2026-11-24T00:00:00Z \
    --org val --name Validator --role validator --power 1 --key val.key \
    --org farm --name Farm --role member --key farm.key >/dev/null || fail "genesis"

# start N: run the node with allocation N failing (N=0: none). Returns 0
# once it serves (left running as $pid), else its exit status.
start() {
    : >log
    local init=
    [ -e data/ledger ] || init=--init # the first start creates the ledger
    if [ "$1" -eq 0 ]; then
        "$bin/lotledgerd" --data-dir data --genesis genesis.json --org val \
            --keystore val.key --passphrase-file pw --http-listen 127.0.0.1:0 \
            --block-interval 50 $init >log 2>&1 &
    else
        LL_FAIL_ALLOC=$1 "$bin/lotledgerd" --data-dir data --genesis genesis.json --org val \
            --keystore val.key --passphrase-file pw --http-listen 127.0.0.1:0 \
            --block-interval 50 $init >log 2>&1 &
    fi
    pid=$!
    for _ in $(seq 1 1000); do
        grep -q "url=http://127.0.0.1:" log && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            local rc=$?
            pid=
            return $rc
        fi
        sleep 0.01
    done
    fail "allocation $1: the node neither served nor exited in 10 s: $(tail -n 5 log)"
}

stop() {
    kill -TERM "$pid" || fail "stop"
    wait "$pid"
    local rc=$?
    pid=
    [ $rc -eq 0 ] || fail "allocation $1: the node stopped with exit $rc: $(tail -n 5 log)"
}

# sweep FRESH: start with allocation 1, 2, ... failing until the node
# serves; FRESH=1 starts each run on a new directory.
sweep() {
    n=1
    while :; do
        [ "$1" -eq 1 ] && rm -rf data
        start $n
        rc=$?
        if [ $rc -eq 0 ]; then
            stop $n
            break
        fi
        check $n $rc log
        n=$((n + 1))
        [ $n -le $max ] || fail "the node still failing at allocation $max"
    done
    [ $n -gt 10 ] || fail "the node served with allocation $n failing: LL_FAIL_ALLOC not read?"
}

sweep 1
echo "  lotledgerd on a new directory: allocations 1..$((n - 1)) failed cleanly"
rm -rf data
start 0 || fail "the node did not start: $(tail -n 5 log)"
stop 0
sweep 0
echo "  lotledgerd on a ledger: allocations 1..$((n - 1)) failed cleanly"
# Serving: allocation $n is the first one after the node listens (an idle
# node allocates nothing), so N = n + k fails one allocation of the
# answers to three status requests. Whatever fails, at most one answer
# fails and says so, the node keeps serving (a connection it cannot
# allocate is refused, not left to stall the listener) or exits 1 naming
# the problem, and it stops cleanly.
first=$n
for k in $(seq 0 59); do
    start $((first + k))
    rc=$?
    if [ $rc -ne 0 ]; then
        check $((first + k)) $rc log
        continue
    fi
    url=$(grep -o "url=http://127.0.0.1:[0-9]*" log | head -n 1 | cut -d= -f2)
    bad=0
    for _ in 1 2 3; do
        timeout 20 "$bin/lotledger" status --node "$url" >st 2>&1
        src=$?
        [ $src -eq 124 ] && fail "allocation $((first + k)): no answer to a status request"
        if [ $src -ne 0 ]; then
            bad=$((bad + 1))
            grep -Eq "the node answered 50[03] " st ||
                fail "allocation $((first + k)): status: $(cat st)"
        else
            # An answer is whole or not given: never a field left out.
            for f in chain_id genesis height tip state_root time org validator pending; do
                grep -q "\"$f\":" st || fail "allocation $((first + k)): no $f in: $(cat st)"
            done
        fi
    done
    [ $bad -le 1 ] || fail "allocation $((first + k)): $bad of 3 status requests failed"
    if kill -0 "$pid" 2>/dev/null; then
        stop $((first + k))
    else
        wait "$pid"
        rc=$?
        pid=
        check $((first + k)) $rc log
    fi
done
echo "  lotledgerd serving: allocations $first..$((first + 59)) failed cleanly"

# Submitting: the same with one event submitted and waited for
# (--wait): the submission may fail, naming the problem, or the node may
# exit 1 naming it, but an event answered "committed" is on the ledger.
: >acked
for k in $(seq 0 99); do
    start $((first + k))
    rc=$?
    if [ $rc -ne 0 ]; then
        check $((first + k)) $rc log
        continue
    fi
    url=$(grep -o "url=http://127.0.0.1:[0-9]*" log | head -n 1 | cut -d= -f2)
    lot="tlc/gln/0614141000005/K$k"
    timeout 20 "$bin/lotledger" commission --node "$url" --org farm --keystore farm.key \
        --passphrase-file pw --lot "$lot=10 KGM" --wait >sub 2>&1
    src=$?
    [ $src -eq 124 ] && fail "allocation $((first + k)): no answer to a submission"
    # "accepted" (the node could not wait) promises nothing more.
    if [ $src -eq 0 ] && grep -q '"status":"committed"' sub; then
        echo "$lot" >>acked
    elif [ $src -eq 0 ]; then
        grep -q '"status":"accepted"' sub || fail "allocation $((first + k)): $(cat sub)"
    fi
    # A block that could not be committed stops the node by itself: let it
    # (a signal during that shutdown is another matter).
    if grep -q "event=commit_failed" log; then
        for _ in $(seq 1 1000); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.01
        done
    fi
    if kill -0 "$pid" 2>/dev/null; then
        stop $((first + k))
    else
        wait "$pid"
        rc=$?
        pid=
        check $((first + k)) $rc log
    fi
done
[ -s acked ] || fail "no submission was committed"

# Nothing the failed runs did keeps the ledger from opening and verifying,
# and every event answered committed is there.
start 0 || fail "the node did not start after the sweep: $(tail -n 5 log)"
url=$(grep -o "url=http://127.0.0.1:[0-9]*" log | head -n 1 | cut -d= -f2)
while read -r lot; do
    "$bin/lotledger" lot "$lot" --node "$url" >q 2>&1 || fail "committed lot $lot is gone: $(cat q)"
done <acked
echo "  lotledgerd submitting: allocations $first..$((first + 99)) failed cleanly, $(wc -l <acked) events committed and kept"
stop 0
"$bin/lotledger" verify-chain --genesis genesis.json data/ledger >out 2>&1 ||
    fail "verify-chain after the sweep: $(cat out)"

# ---- lotledger verify-chain on that ledger
n=1
while :; do
    LL_FAIL_ALLOC=$n "$bin/lotledger" verify-chain --genesis genesis.json data/ledger >out 2>&1
    rc=$?
    [ $rc -eq 0 ] && break
    check_cli $n $rc out
    n=$((n + 1))
    [ $n -le $max ] || fail "verify-chain still failing at allocation $max"
done
grep -q "^ok: chain fail-net verified" out || fail "verify-chain: $(cat out)"
echo "  verify-chain: allocations 1..$((n - 1)) failed cleanly"
exit 0
