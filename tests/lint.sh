#!/usr/bin/env bash
# Banned functions (STYLE.md §10), direct malloc/free outside common/,
# memcmp outside tests, trailing whitespace.
set -u
status=0
src=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build/*')
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok|sscanf)[[:space:]]*\('
if grep -nE "$banned" $src; then
    echo "lint: banned function (see STYLE.md §10)"; status=1
fi
nocommon=$(printf '%s\n' $src | grep -v '^common/' | grep -v '^tests/')
if [ -n "$nocommon" ] && grep -nE '\b(malloc|calloc|realloc|free)[[:space:]]*\(' $nocommon; then
    echo "lint: use ll_malloc/ll_free outside common/"; status=1
fi
noncrypto=$(printf '%s\n' $src | grep -v '^crypto/' )
if grep -nE '#include <(sodium|secp256k1)' $noncrypto; then
    echo "lint: only crypto/ includes sodium.h / secp256k1*.h"; status=1
fi
if grep -nE '#include <leveldb/' $(printf '%s\n' $src | grep -v '^ledger/store_leveldb.c$'); then
    echo "lint: only ledger/store_leveldb.c includes leveldb"; status=1
fi
if grep -nE '[[:space:]]+$' $src Makefile README.md docs/*.md 2>/dev/null; then
    echo "lint: trailing whitespace"; status=1
fi
# docs/events.md carries the exact ledger.proto for third-party verifiers.
if [ -f ledger/ledger.proto ] &&
    ! sed -n '/^## Message layouts/,$p' docs/events.md |
        sed -n '/^```protobuf$/,/^```$/p' | sed '1d;$d' | cmp -s - ledger/ledger.proto; then
    echo "lint: docs/events.md 'Message layouts' differs from ledger/ledger.proto"; status=1
fi
[ $status -eq 0 ] && echo "lint: clean"
exit $status
