#!/usr/bin/env bash
# make run: create a single-validator development network in ./devnet/ if
# there is none (keys, genesis, node config), start lotledgerd, load the
# demo supply chain into a new ledger, print where to look, and stop the
# node cleanly on Ctrl-C. Running it again reuses the network and data.
# Usage: node/devnet.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: devnet.sh BUILD_DIR}
cli=$build/lotledger
node=$build/lotledgerd
dir=devnet
port=${LL_DEVNET_PORT:-8080}
mkdir -p "$dir/keys"
chmod 700 "$dir" "$dir/keys"
if [ ! -f "$dir/passphrase" ]; then
    (umask 077; echo "devnet only: not a secret" >"$dir/passphrase")
fi
orgs="operator fda farm packer processor distributor retail1 retail2"
for org in $orgs; do
    if [ ! -f "$dir/keys/$org.key" ]; then
        "$cli" keygen -o "$dir/keys/$org.key" --passphrase-file "$dir/passphrase" >/dev/null
    fi
done
if [ ! -f "$dir/genesis.json" ]; then
    k=$dir/keys
    "$cli" genesis -o "$dir/genesis.json" --chain-id lotledger-devnet \
        --org operator --name "Devnet operator" --role validator --power 1 --key "$k/operator.key" \
        --org fda --name "US FDA (demo regulator)" --role regulator --key "$k/fda.key" \
        --org farm --name "Sun Valley Farms" --gln 0614141000005 --role member --key "$k/farm.key" \
        --org packer --name "Coastal Packing Co." --gln 0614141000012 --role member --key "$k/packer.key" \
        --org processor --name "FreshCut Processing" --gln 0614141000029 --role member --key "$k/processor.key" \
        --org distributor --name "ColdChain Distribution" --gln 0614141000036 --role member --key "$k/distributor.key" \
        --org retail1 --name "Corner Market #12" --gln 0614141000043 --role member --key "$k/retail1.key" \
        --org retail2 --name "Valley Grocers #3" --gln 0614141000050 --role member --key "$k/retail2.key" >/dev/null
fi
if [ ! -f "$dir/node.ini" ]; then
    cat >"$dir/node.ini" <<INI
; lotledgerd configuration for the development network (make run)
[node]
data_dir = $dir/data
genesis = $dir/genesis.json
org = operator
keystore = $dir/keys/operator.key
passphrase_file = $dir/passphrase

[http]
listen = 127.0.0.1:$port

[block]
interval_ms = 200
INI
fi

start_node() {
    : >"$dir/node.log"
    # The first start creates the ledger, explicitly (--init); every later
    # start opens the one there and refuses to start if it is damaged.
    init=
    [ -e "$dir/data/ledger" ] || init=--init
    "$node" --config "$dir/node.ini" $init 2>>"$dir/node.log" &
    pid=$!
    url=
    for _ in $(seq 100); do
        url=$(grep -o 'url=http://[0-9.:]*' "$dir/node.log" | head -n 1 | cut -d= -f2 || true)
        [ -n "$url" ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
stop() {
    trap - INT TERM
    echo
    echo "stopping lotledgerd..."
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    tail -n 1 "$dir/node.log"
    exit 0
}
trap stop INT TERM
if ! start_node; then
    # A ledger written by a build with another storage schema cannot be
    # read (docs/operations.md, Upgrades): keep it aside, start a new one.
    if grep -q "schema version" "$dir/node.log" && [ -d "$dir/data" ]; then
        old=$dir/data.schema-$(date +%Y%m%d%H%M%S)
        mv "$dir/data" "$old"
        echo "devnet: $dir/data was written by another build; moved to $old"
        start_node || { echo "lotledgerd did not start:"; cat "$dir/node.log"; exit 1; }
    else
        echo "lotledgerd did not start:"; cat "$dir/node.log"
        kill "$pid" 2>/dev/null || true
        exit 1
    fi
fi

height=$(curl -s "$url/v1/status" | grep -o '"height":[0-9]*' | cut -d: -f2)
if [ "$height" = 0 ]; then
    "$cli" demo --node "$url" --keys "$dir/keys" --passphrase-file "$dir/passphrase" \
        | tee "$dir/demo.txt"
    sleep 0.5
else
    echo "devnet: reusing the ledger in $dir/data (height $height)"
fi
lot=$(sed -n 's/^finished lot: //p' "$dir/demo.txt" 2>/dev/null || true)
cat <<MSG

lotledgerd is running: $url   (log: $dir/node.log, data: $dir/data)
Try:
  $cli status --node $url
  $cli lot $lot --node $url
  $cli trace $lot --node $url --forward
  $cli trace $lot --node $url --format dot | dot -Tsvg > trace.svg
  curl -s '$url/v1/lots/$lot/trace?direction=backward'
  $cli proof $lot --node $url -o proof.bin
  $cli verify --genesis $dir/genesis.json proof.bin     # offline: no node needed
  $cli fsma204 $lot --node $url --genesis $dir/genesis.json -o fsma.csv
  $cli qr $lot --base-url $url -o label.png   # the package's QR code
  $cli scan "\$(zbarimg -q --raw label.png)"    # what a scanner reads from it
  $url/$lot   # the consumer page (open it in a browser)
  $cli block 1 --node $url
  curl -s $url/metrics
  $cli release --node $url --org retail2 --keystore $dir/keys/retail2.key \\
      --passphrase-file $dir/passphrase --lot $lot --wait
  $cli --help
After stopping the node (Ctrl-C):
  $cli verify-chain --genesis $dir/genesis.json $dir/data/ledger

Backward trace of the finished salad lot: what went into it, and the
custody of every lot on the way.

MSG
"$cli" trace "$lot" --node "$url" || true
echo
echo "Its proof, checked offline against the genesis file alone:"
if "$cli" proof "$lot" --node "$url" -o "$dir/proof.bin" >/dev/null; then
    "$cli" verify --genesis "$dir/genesis.json" "$dir/proof.bin" || true
fi
echo
echo "Ctrl-C stops the node cleanly."
wait "$pid"
