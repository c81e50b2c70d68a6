#!/usr/bin/env bash
# The make-run path without the terminal: keys and genesis from the CLI,
# a real lotledgerd on an ephemeral port, the demo supply chain submitted
# over HTTP (libcurl), the finished lot checked through the API, a clean
# SIGTERM, then verify-chain on what the node wrote.
set -u
build=$(cd "${LL_BUILD:?}" && pwd)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cli=$build/lotledger
fail() { echo "  FAIL: $*"; [ -f "$dir/node.log" ] && tail -5 "$dir/node.log"; exit 1; }
dir=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
cd "$dir" || exit 1
echo "demo pass" >pass
mkdir -p keys
for org in operator farm packer processor distributor retail1 retail2; do
    "$cli" keygen -o "keys/$org.key" --passphrase-file pass --kdf-mem 8 --kdf-ops 1 >/dev/null \
        || fail "keygen $org"
done
args=(--chain-id demo-test --org operator --name Operator --role validator --power 1 --key keys/operator.key)
gln=(0614141000005 0614141000012 0614141000029 0614141000036 0614141000043 0614141000050)
i=0
for org in farm packer processor distributor retail1 retail2; do
    args+=(--org "$org" --name "$org" --gln "${gln[$i]}" --role member --key "keys/$org.key")
    i=$((i + 1))
done
"$cli" genesis -o genesis.json "${args[@]}" >/dev/null || fail "genesis"

# start_node FLAGS...: the node on an ephemeral port; sets pid and url.
start_node() {
    "$build/lotledgerd" --data-dir data --genesis genesis.json --org operator \
        --keystore keys/operator.key --passphrase-file pass \
        --http-listen 127.0.0.1:0 "$@" 2>node.log &
    pid=$!
    url=
    for _ in $(seq 200); do
        url=$(grep -o 'url=http://[0-9.:]*' node.log | cut -d= -f2)
        [ -n "$url" ] && return 0
        sleep 0.05
    done
    fail "node did not start"
}
start_node --block-interval 50 --init
# The listening socket takes bursts of connections: its backlog (ss's
# Send-Q for a listener) is 4096 or the kernel's cap, not 128, which made a
# burst of thousands of clients wait seconds for SYN retransmissions.
backlog=$(ss -Hltn "sport = :${url##*:}" | awk '{print $3}')
cap=$(cat /proc/sys/net/core/somaxconn)
want=$((cap < 4096 ? cap : 4096))
[ "$backlog" = "$want" ] || fail "listen backlog $backlog, want $want"

"$cli" demo --node "$url" --keys keys --passphrase-file pass >demo.txt 2>&1 || fail "demo: $(cat demo.txt)"
lot=$(sed -n 's/^finished lot: //p' demo.txt)
[ -n "$lot" ] || fail "no finished lot"
for _ in $(seq 100); do
    st=$(curl -s "$url/v1/status")
    grep -q '"pending":0' <<<"$st" && ! grep -q '"height":0' <<<"$st" && break
    sleep 0.05
done
out=$(curl -s "$url/v1/lots/$lot")
grep -q '"status":"held"' <<<"$out" || fail "salad not on hold: $out"
grep -q '{"org":"retail1","quantity":2500000}' <<<"$out" || fail "retail1 holding: $out"
grep -q '{"org":"retail2","quantity":2480000}' <<<"$out" || fail "retail2 holding: $out"
grep -q '"discrepancies":1' <<<"$out" || fail "discrepancy: $out"
grep -q '"events":9' <<<"$out" || fail "salad log: $out"
# The demo's events cannot be submitted twice.
out=$("$cli" demo --node "$url" --keys keys --passphrase-file wrong 2>&1) && fail "demo with a missing passphrase file"
grep -q "passphrase file 'wrong'" <<<"$out" || fail "passphrase error: $out"
out=$("$cli" demo --node http://127.0.0.1:1 --keys keys --passphrase-file pass 2>&1) && fail "demo against no node"
grep -q "cannot reach the node" <<<"$out" || fail "no-node error: $out"

# Event authoring from the command line, signed with each org's keystore.
ev() { "$cli" "$@" --node "$url" --passphrase-file pass; }
out=$(ev ship --org retail1 --keystore keys/retail1.key --lot "$lot=100 EA" --to retail2 2>&1) \
    && fail "shipping a held lot was accepted: $out"
grep -q "LL_ELOTSTATUS" <<<"$out" || fail "held-lot error: $out"
ev release --org retail2 --keystore keys/retail2.key --lot "$lot" >/dev/null || fail "release"
out=$(ev ship --org retail1 --keystore keys/retail1.key --lot "$lot=100 EA" --to retail2 \
    --doc bol=BOL-R-1 --wait) || fail "ship: $out"
grep -q '"status":"committed"' <<<"$out" || fail "ship --wait: $out"
ship=$(grep -o '"id":"[0-9a-f]*"' <<<"$out" | cut -d'"' -f4)
out=$(ev receive --org retail2 --keystore keys/retail2.key --lot "$lot=100 EA" --ref "$ship" --wait) \
    || fail "receive: $out"
ev commission --org farm --keystore keys/farm.key --lot "tlc/gln/0614141000005/CLI-1=250.5 KGM" \
    --product "Kale" --harvest-date 20261120 --cte harvesting --kde field_name=South \
    --temperature 3.5/4 --location 0614141000005 --wait >/dev/null || fail "commission"
out=$(curl -s "$url/v1/lots/tlc/gln/0614141000005/CLI-1")
grep -q '{"org":"farm","quantity":250500}' <<<"$out" || fail "commissioned lot: $out"
out=$(curl -s "$url/v1/lots/$lot")
grep -q '{"org":"retail2","quantity":2580000}' <<<"$out" || fail "after CLI ship: $out"
out=$(ev ship --org farm --keystore keys/farm.key --lot "x=abc KGM" --to packer 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "'abc' is not a quantity" <<<"$out" || fail "bad quantity: $rc $out"
out=$(ev ship --keystore keys/farm.key --lot "$lot" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q -- "--org ID and --keystore FILE are required" <<<"$out" || fail "missing org: $rc $out"
out=$(ev ship --org farm --keystore keys/farm.key --lot "$lot=1 EA" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "counterparty" <<<"$out" || fail "ship without --to: $rc $out"

# Queries.
"$cli" status --node "$url" | grep -q '"chain_id":"demo-test"' || fail "status"
# /metrics as Prometheus reads it: promtool (Prometheus's own checker)
# accepts the exposition, rejections by reason included.
curl -s "$url/metrics" >metrics.txt || fail "metrics"
grep -q 'lotledger_events_rejected_total{reason="LL_ELOTSTATUS"} 1' metrics.txt ||
    fail "metrics: rejection by reason: $(cat metrics.txt)"
out=$(promtool check metrics <metrics.txt 2>&1) || fail "promtool: $out"
"$cli" lot "$lot" --node "$url" | grep -q '"status":"active"' || fail "lot"
"$cli" event-get "$ship" --node "$url" | grep -q '"type":"ship"' || fail "event-get"
"$cli" block 1 --node "$url" | grep -q '"height":1' || fail "block"
out=$("$cli" lot "01/00614141777778/10/NOPE" --node "$url" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "404" <<<"$out" || fail "unknown lot: $rc $out"
out=$("$cli" lot --node "$url" 2>&1); rc=$?
[ $rc -eq 2 ] || fail "lot without an id: $rc $out"
"$cli" event get "$ship" --node "$url" | grep -q '"sig":"' || fail "event get"

# FSMA 204: the sortable spreadsheet of the salad lot's supply chain has
# every critical tracking event with its key data elements, in time order.
"$cli" fsma204 "$lot" --node "$url" --genesis genesis.json -o fsma.csv || fail "fsma204"
python3 - "$lot" fsma.csv <<'PY' || fail "fsma204 spreadsheet: $(head -c 600 fsma.csv)"
import csv, sys
lot, path = sys.argv[1], sys.argv[2]
raw = open(path, newline="").read()
assert raw.endswith("\r\n"), "rows end with CRLF (RFC 4180)"
rows = list(csv.DictReader(open(path, newline="")))
ctes = {r["Critical Tracking Event"] for r in rows}
want = {"Harvesting", "Cooling", "Initial packing", "Shipping", "Receiving",
        "Transformation"}
assert want <= ctes, ctes
times = [r["Event Time"] for r in rows]
assert all(len(t) == 25 for t in times), times[:3]
tr = [r for r in rows if r["Critical Tracking Event"] == "Transformation"
      and r["Traceability Lot Code"] == lot]
assert len(tr) == 1 and tr[0]["Input Lots"].count("01/") == 2, tr
assert tr[0]["Reference Document Number"] == "PO-SAL-5521", tr
# A GS1 lot's source is where it was made: the transformation's location.
src = {r["Traceability Lot Code Source"] for r in rows
       if r["Traceability Lot Code"] == lot}
assert src == {"GLN " + tr[0]["Location GLN"]}, src
rc = [r for r in rows if r["Critical Tracking Event"] == "Receiving"
      and r["Traceability Lot Code"] == lot
      and r["Location Name"] == "distributor"]
assert rc and rc[0]["Partner Name"] == "processor", rc
assert rc[0]["Reference Document Number"] == "BOL-S-1204", rc
hv = [r for r in rows if r["Critical Tracking Event"] == "Harvesting"]
assert hv and "field_name=" in hv[0]["Other KDEs"], hv
assert all(r["Event ID"] and r["Block Height"] for r in rows)
PY
out=$("$cli" fsma204 "$lot" --node "$url" --org distributor --from 2026-01-01)
grep -q ",Shipping," <<<"$out" && ! grep -q ",Harvesting," <<<"$out" ||
    fail "fsma204 --org: $out"
# A product named like a formula is not a formula in a spreadsheet.
ev commission --org farm --keystore keys/farm.key --lot "tlc/gln/0614141000005/EQ-1=1 KGM" \
    --product "=HYPERLINK(\"x\")" --cte harvesting --location 0614141000005 --wait >/dev/null ||
    fail "commission =product"
"$cli" fsma204 "tlc/gln/0614141000005/EQ-1" --node "$url" | grep -q ",\"'=HYPERLINK(\"\"x\"\")\"," ||
    fail "fsma204 formula cell: $("$cli" fsma204 tlc/gln/0614141000005/EQ-1 --node "$url")"
out=$("$cli" fsma204 "$lot" --from 2026-02-30x --node "$url" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "a date YYYY-MM-DD" <<<"$out" || fail "fsma204 bad date: $rc $out"
# Calendar dates only: no February 30th, February 29th in leap years.
for d in 2026-02-30 2026-02-29 2026-04-31 1900-02-29; do
    out=$("$cli" fsma204 "$lot" --from $d --node "$url" 2>&1); rc=$?
    [ $rc -eq 2 ] && grep -q "'$d': a date YYYY-MM-DD" <<<"$out" || fail "fsma204 --from $d: $rc $out"
done
"$cli" fsma204 "$lot" --from 2024-02-29 --to 2000-02-29x --node "$url" >/dev/null 2>&1
[ $? -eq 2 ] || fail "fsma204 --to 2000-02-29x accepted"
"$cli" fsma204 "$lot" --from 2000-02-29 --node "$url" -o leap.csv || fail "fsma204 --from 2000-02-29 (a leap day)"
out=$("$cli" fsma204 "$lot" --backward --forward --node "$url" -o never.csv 2>&1); rc=$?
[ $rc -eq 0 ] && [ -s never.csv ] || fail "fsma204 both directions: $rc $out"
out=$("$cli" fsma204 "01/00614141777778/10/NOPE" --node "$url" -o none.csv 2>&1); rc=$?
[ $rc -eq 1 ] && [ ! -e none.csv ] && [ ! -e none.csv.tmp ] || fail "fsma204 unknown lot: $rc $out"

# Traces: the salad came from the two packed lots and the two harvest lots.
out=$("$cli" trace "$lot" --node "$url") || fail "trace: $out"
grep -q "^backward trace of $lot at height [0-9]* (complete)" <<<"$out" || fail "trace header: $out"
[ "$(grep -c '^[12] ' <<<"$out")" = 4 ] || fail "trace lots: $out"
grep -q "transform  processor" <<<"$out" || fail "trace events: $out"
grep -q "ALARM Temperature 9.5 CEL" <<<"$out" || fail "trace excursion: $out"
out=$("$cli" trace "$lot" --node "$url" --json) || fail "trace --json"
[ "$(grep -o '"from":' <<<"$out" | wc -l)" = 6 ] || fail "trace edges (2 into 2, then 2 into 1): $out"
harvest=$(grep -o 'tlc/gln/0614141000005/ROM-[0-9]*' <<<"$out" | head -n 1)
out=$("$cli" trace "$harvest" --forward --format dot --node "$url") || fail "forward dot"
grep -q "^digraph trace {" <<<"$out" || fail "dot: $out"
# The README pipes it into graphviz (make deps installs it): a real SVG.
command -v dot >/dev/null || fail "dot (graphviz) is not installed: make deps installs it"
svg=$(dot -Tsvg <<<"$out") || fail "dot -Tsvg refused the trace: $out"
grep -q "<svg" <<<"$svg" && grep -q "<title>" <<<"$svg" || fail "dot -Tsvg: $svg"
grep -q "\"$lot\"" <<<"$out" || fail "forward trace misses the salad: $out"
out=$("$cli" trace "$lot" --depth 0 --node "$url") || fail "trace depth 0"
grep -q "depth-limited" <<<"$out" || fail "depth 0: $out"
out=$("$cli" trace "$lot" --depth 99 --node "$url" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q -- "--depth: 99 is outside 0..64" <<<"$out" || fail "bad depth: $rc $out"
out=$("$cli" trace "01/00614141777778/10/NOPE" --node "$url" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "404 not_found" <<<"$out" || fail "trace of unknown lot: $rc $out"
# Recall impact of a harvest lot: the packed lot and the salad, with holders.
out=$("$cli" recall-impact "$harvest" --node "$url") || fail "recall-impact: $out"
grep -q "4 lots affected" <<<"$out" || fail "impact count: $out"
grep -q "^$lot .* retail1 2400 EA" <<<"$out" || fail "impact holders: $out"
out=$("$cli" recall-impact "$harvest" --csv --node "$url") || fail "impact csv"
[ "$(head -n 1 <<<"$out")" = "lot,product,status,originator,party,state,quantity,uom" ] || fail "csv header: $out"
grep -q "^$lot,\"Garden salad mix, 300 g bag\",active,processor,retail2,held,2580,EA$" <<<"$out" || fail "csv row: $out"
"$cli" recall-impact "$harvest" --json --node "$url" | grep -q '"complete":true' || fail "impact json"
out=$("$cli" recall-impact --node "$url" 2>&1); rc=$?
[ $rc -eq 2 ] || fail "impact without lots: $rc $out"
# The processor recalls what it made from the harvest lot: the salad.
ev recall --org processor --keystore keys/processor.key --affected "$harvest" \
    --reason "Listeria in field run" --wait >/dev/null || fail "recall --affected"
out=$("$cli" recall-impact "$harvest" --node "$url")
grep -q "^$lot .* recalled " <<<"$out" || fail "salad not recalled: $out"
grep -q "^$harvest .* active " <<<"$out" || fail "harvest lot touched: $out"
out=$(ev recall --org distributor --keystore keys/distributor.key --affected "$harvest" \
    --reason x 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "none of the 4 affected lots was originated by distributor" <<<"$out" \
    || fail "recall by a non-originator: $rc $out"

# The QR label: a real decoder (zbarimg) reads the Digital Link back, and
# that address opens the consumer page.
out=$("$cli" qr "$lot" --base-url "$url" -o label.png --expiry 20261205) || fail "qr: $out"
[ "$out" = "$url/$lot?17=261205" ] || fail "qr uri: $out"
scanned=$(zbarimg -q --raw label.png) || fail "zbarimg cannot read label.png"
[ "$scanned" = "$out" ] || fail "scanned '$scanned', wrote '$out'"
# lotledger scan reads the same URI back to the lot id.
sl=$("$cli" scan "$scanned" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lot_id"])') ||
    fail "scan of the QR label's URI"
[ "$sl" = "$lot" ] || fail "scan gave lot '$sl', wanted '$lot'"
# A GS1-128 case label made by another encoder (zint), read by zbarimg: the
# raw data, GS separators included, names the lot; a bad check digit is
# refused by AI.
zint -b 16 --gs1 -d "[01]${lot:3:14}[17]261205[10]${lot:21}" -o case.png >/dev/null 2>&1 ||
    fail "zint cannot write a GS1-128 label"
raw=$(zbarimg -q --raw case.png) || fail "zbarimg cannot read case.png"
out=$("$cli" scan "]C1$raw") || fail "scan of GS1-128 data: $out"
grep -q "lot id:         $lot" <<<"$out" || fail "scan GS1-128: $out"
grep -q "USE BY or EXPIRY (2026-12-05)" <<<"$out" || fail "scan date: $out"
out=$("$cli" scan "(01)${lot:3:13}$(( (${lot:16:1} + 1) % 10 ))(10)X" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "AI (01)" <<<"$out" || fail "scan bad check digit: $rc $out"
out=$("$cli" scan 2>&1); rc=$?
[ $rc -eq 2 ] || fail "scan without data: $rc $out"
page=$(curl -s "$scanned")
grep -q "Garden salad mix, 300 g bag" <<<"$page" || fail "consumer page: $page"
grep -q "Verified: the history is complete and signed." <<<"$page" || fail "page verification: $page"
"$cli" qr "$lot" --base-url "$url" -o label.svg >/dev/null || fail "qr svg"
grep -q '<path fill="#000" d="M' label.svg || fail "svg: $(head -c 200 label.svg)"
out=$("$cli" qr "$harvest" --base-url "$url" -o x.png 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "needs a GS1 lot id" <<<"$out" || fail "qr of a TLC lot: $rc $out"
out=$("$cli" qr "$lot" --base-url "$url" -o x.png --expiry 20260231 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "AI (17) '260231'" <<<"$out" && [ ! -e x.png ] ||
    fail "qr with 31 February: $rc $out"

# Expiring stock: the salad retail1 holds expires within a week (FEFO).
out=$("$cli" expiring --org retail1 --within 14d --node "$url") || fail "expiring: $out"
grep -q "^[0-9-]* expiry .*$lot .*Garden salad" <<<"$out" || fail "expiring list: $out"
out=$("$cli" expiring --org retail1 --within 0 --node "$url") || fail "expiring 0: $out"
grep -q "retail1: 0 lots" <<<"$out" || fail "expiring 0 days: $out"
"$cli" expiring --org processor --within 30 --json --node "$url" | grep -q '"kind":"best_before"' \
    || fail "expiring best-before"
out=$("$cli" expiring --org nobody --node "$url" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "404" <<<"$out" || fail "expiring unknown org: $rc $out"
out=$("$cli" expiring --org retail1 --within 2w --node "$url" 2>&1); rc=$?
[ $rc -eq 2 ] || fail "expiring bad window: $rc $out"

# Proofs: fetched from the node, verified offline with the genesis alone.
out=$("$cli" proof "$lot" -o proof.bin --node "$url") || fail "proof: $out"
out=$("$cli" verify --genesis genesis.json proof.bin) || fail "verify: $out"
grep -q "^ok: backward trace of $lot" <<<"$out" || fail "verify report: $out"
grep -q "lots       5 " <<<"$out" || fail "verify lots: $out"
grep -q "complete as of height" <<<"$out" || fail "verify complete: $out"
"$cli" proof "$harvest" --forward -o fwd.bin --node "$url" >/dev/null || fail "forward proof"
"$cli" verify --genesis genesis.json fwd.bin | grep -q "^ok: forward trace" || fail "forward verify"
# One byte changed in the middle of the bundle: rejected, with a reason.
size=$(stat -c %s proof.bin)
cp proof.bin bad.bin
byte=$(( ($(od -An -tu1 -j $((size / 2)) -N1 proof.bin) + 1) % 256 ))
# shellcheck disable=SC2059 # the format is the one byte, as an octal escape
printf "$(printf '\\%03o' "$byte")" |
    dd of=bad.bin bs=1 seek=$((size / 2)) conv=notrunc status=none
cmp -l proof.bin bad.bin | wc -l | grep -qx 1 || fail "tampering changed more than one byte"
out=$("$cli" verify --genesis genesis.json bad.bin 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "REJECTED" <<<"$out" || fail "tampered bundle: $rc $out"
# The same bundles through the independent verifier written from docs/ alone.
vpy=$root/tests/interop/verify_proof.py
out=$(python3 "$vpy" genesis.json proof.bin) || fail "verify_proof.py: $out"
grep -q "^ok: backward trace of $lot" <<<"$out" || fail "verify_proof.py report: $out"
out=$(python3 "$vpy" genesis.json fwd.bin) || fail "verify_proof.py forward: $out"
grep -q "^ok: forward trace of $harvest" <<<"$out" || fail "verify_proof.py forward report: $out"
# The lot's log, page by page, each page verified against the genesis.
out=$("$cli" log "$lot" --node "$url" --genesis genesis.json --all --limit 2) \
    || fail "log --all: $out"
grep -q "^ok: .* events of lot $lot from position 0 (.* pages; its log has" <<<"$out" \
    || fail "log report: $out"
n=$(grep -c '  block ' <<<"$out")
grep -q "its log has $n)" <<<"$out" || fail "log lines: $n, $out"
out=$("$cli" log "$lot" --node "$url" --genesis "$root/tests/fuzz/data/proof-genesis.json" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "REJECTED: header: not a block of this network" <<<"$out" \
    || fail "log against another genesis: $rc $out"
out=$("$cli" log "$lot" --node "$url" 2>&1); rc=$?
[ $rc -eq 2 ] || fail "log without --genesis: $rc $out"
# A bundle with observations by a regulator, a pending shipment's receiver
# and a past holder, and a correction (test_proof observed): both verifiers
# replay every followed lot.
seed=$root/tests/fuzz/corpus/fuzz_proof/observed.bin
sgen=$root/tests/fuzz/data/proof-genesis.json
out=$(python3 "$vpy" "$sgen" "$seed") || fail "verify_proof.py observed: $out"
grep -q "replay reproduces 4 followed lots" <<<"$out" || fail "verify_proof.py observed report: $out"
out=$("$cli" verify --genesis "$sgen" "$seed") || fail "verify observed: $out"
grep -q "reproduce the state of 4 of the followed lots" <<<"$out" || fail "verify observed report: $out"
out=$(python3 "$vpy" genesis.json bad.bin 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "^REJECTED: " <<<"$out" || fail "verify_proof.py tampered bundle: $rc $out"
out=$("$cli" verify --genesis genesis.json missing.bin 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "cannot read 'missing.bin'" <<<"$out" || fail "missing bundle: $rc $out"
out=$("$cli" proof "$lot" --node "$url" 2>&1); rc=$?
[ $rc -eq 2 ] || fail "proof without -o: $rc $out"
out=$("$cli" trace --format svg "$lot" --node "$url" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "'svg' is not table, json or dot" <<<"$out" || fail "bad format: $rc $out"

kill -TERM "$pid"
wait "$pid"; rc=$?
pid=
[ $rc -eq 0 ] || fail "node exit $rc after SIGTERM"
grep -q "event=stopped" node.log || fail "no clean stop"
out=$("$cli" verify-chain --genesis genesis.json data/ledger) || fail "verify-chain: $out"
grep -q "events 22, lots 7" <<<"$out" || fail "verify report: $out"

# A node that refuses for a moment (429, 503 with Retry-After): the CLI
# waits and retries instead of failing. One request a second here, four
# queries in a row: all answered, and the node did refuse some.
start_node --rate-limit 1
for i in 1 2 3 4; do
    out=$("$cli" lot "$lot" --node "$url" 2>&1) || fail "lot $i against a rate-limited node: $out"
done
sleep 1.1
out=$(curl -s "$url/metrics")
limited=$(sed -n 's/^lotledger_http_rate_limited_total //p' <<<"$out")
[ "${limited:-0}" -gt 0 ] || fail "the node refused nothing: $out"
kill -TERM "$pid"
wait "$pid" || fail "node exit after the retries"
pid=
exit 0
