#!/usr/bin/env bash
# lotledger keygen, key-info and genesis as a user runs them: files
# created with the right modes, never overwritten by accident, and every
# bad argument or value named, with nothing written.
set -u
build=${LL_BUILD:?}
cli=$(cd "$build" && pwd)/lotledger
fail() { echo "  FAIL: $*"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
kdf=(--kdf-mem 8 --kdf-ops 1)

# expect STATUS WORD CMD...: run CMD, require exit STATUS and WORD in output.
expect() {
    local want=$1 word=$2
    shift 2
    local out rc
    out=$("$@" 2>&1); rc=$?
    [ "$rc" -eq "$want" ] || fail "$*: exit $rc, want $want: $out"
    grep -qF -- "$word" <<<"$out" || fail "$*: no '$word' in: $out"
}

printf 'correct horse battery\n' >pw
out=$("$cli" keygen -o farm.key --passphrase-file pw "${kdf[@]}") || fail "keygen: $out"
[ "$(stat -c %a farm.key)" = 600 ] || fail "keystore mode $(stat -c %a farm.key)"
[ "$(stat -c %s farm.key)" = 140 ] || fail "keystore size"
pk=$(sed -n 's/^public key: //p' <<<"$out")
[ ${#pk} -eq 64 ] || fail "no public key printed: $out"
"$cli" key-info farm.key | grep -q "public key: $pk" || fail "key-info disagrees"
LOTLEDGER_PASSPHRASE=other "$cli" keygen -o val.key "${kdf[@]}" >/dev/null || fail "keygen from env"
sum=$(sha256sum farm.key)
expect 1 "already exists" "$cli" keygen -o farm.key --passphrase-file pw "${kdf[@]}"
[ "$(sha256sum farm.key)" = "$sum" ] || fail "keystore overwritten"
: >empty
expect 1 "empty" "$cli" keygen -o x.key --passphrase-file empty "${kdf[@]}"
expect 1 "cannot open passphrase file 'nope'" "$cli" keygen -o x.key --passphrase-file nope
expect 2 "-o FILE is required" "$cli" keygen --passphrase-file pw
# Each cause named (they read "input/output error" and "empty or longer").
mkdir pwdir
expect 1 "cannot read passphrase file 'pwdir': Is a directory" "$cli" keygen -o x.key --passphrase-file pwdir "${kdf[@]}"
expect 1 "passphrase file 'empty' is empty" "$cli" keygen -o x.key --passphrase-file empty "${kdf[@]}"
head -c 2000 /dev/zero | tr '\0' a >longpw
expect 1 "first line is longer than" "$cli" keygen -o x.key --passphrase-file longpw "${kdf[@]}"
expect 1 "directory 'nodir': No such file or directory" "$cli" keygen -o nodir/x.key --passphrase-file pw "${kdf[@]}"
expect 1 "'pw' is not a directory" "$cli" keygen -o pw/x.key --passphrase-file pw "${kdf[@]}"
[ ! -e x.key ] || fail "x.key written by a failed keygen"
expect 2 "--kdf-mem: 0 is outside 1..1024" "$cli" keygen -o x.key --kdf-mem 0
expect 2 "--kdf-ops: 'lots' is not a number" "$cli" keygen -o x.key --kdf-ops lots
expect 2 "unknown argument '--colour'" "$cli" keygen --colour
if command -v setsid >/dev/null; then
    expect 1 "no terminal" env -u LOTLEDGER_PASSPHRASE setsid -w "$cli" keygen -o x.key "${kdf[@]}"
fi
[ ! -e x.key ] || fail "a failed keygen left x.key"
printf 'not a keystore' >junk
expect 1 "is not a lotledger keystore" "$cli" key-info junk

g=(--chain-id demo-net --time 2026-11-24T00:00:00Z
   --org farm --name "Sun Valley Farms, Inc." --gln 0614141000005 --role member --key farm.key
   --org val --name "Validator" --role validator --power 1 --key val.key)
"$cli" genesis -o genesis.json "${g[@]}" >out.txt || fail "genesis: $(cat out.txt)"
grep -q "organisations: 2 (1 validators)" out.txt || fail "genesis report"
grep -q "\"$pk\"" genesis.json || fail "farm key missing from genesis"
hash1=$(sed -n 's/^genesis hash: //p' out.txt)
expect 1 "already exists" "$cli" genesis -o genesis.json "${g[@]}"
"$cli" genesis -o genesis.json --force "${g[@]}" >out.txt || fail "genesis --force"
[ "$(sed -n 's/^genesis hash: //p' out.txt)" = "$hash1" ] || fail "same input, other hash"

# Each broken rule is named and nothing is written.
expect 2 "check digit" "$cli" genesis -o bad.json --chain-id n --org a --name A --gln 0614141000006 --role validator --power 1 --key farm.key
expect 2 "power" "$cli" genesis -o bad.json --chain-id n --org a --name A --role validator --key farm.key
expect 2 "--role 'king'" "$cli" genesis -o bad.json --chain-id n --org a --name A --role king --key farm.key
expect 2 "also listed" "$cli" genesis -o bad.json --chain-id n --org a --name A --role validator --power 1 --key farm.key --org b --name B --role member --key farm.key
expect 2 "at least one org needs the validator role" "$cli" genesis -o bad.json --chain-id n --org a --name A --role member --key farm.key
expect 2 "--name must follow --org ID" "$cli" genesis -o bad.json --chain-id n --name A
expect 2 "--chain-id ID is required" "$cli" genesis -o bad.json --org a --name A --role validator --power 1 --key farm.key
expect 2 "chain_id" "$cli" genesis -o bad.json --chain-id "Bad Net" --org a --name A --role validator --power 1 --key farm.key
expect 2 "--key 'nope'" "$cli" genesis -o bad.json --chain-id n --org a --name A --role validator --power 1 --key nope
expect 2 "RFC 3339" "$cli" genesis -o bad.json --chain-id n --time yesterday --org a --name A
[ ! -e bad.json ] || fail "a refused genesis was written"
exit 0
