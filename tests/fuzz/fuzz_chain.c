/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the chain decoders: the first byte picks the genesis JSON parser
 * (then the validator set), the header decoder or the commit decoder. No
 * crash; decoded headers and commits re-encode to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "../../ledger/chain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ll_genesis g;
static struct ll_valset vs;
static struct ll_commit c;

static void fuzz_genesis(const uint8_t *p, size_t n)
{
    if (ll_genesis_parse(&g, (const char *)p, n, NULL) != 0)
        return;
    /* A parsed genesis always has a validator. */
    if (ll_valset_from_genesis(&vs, &g) != 0 || vs.n == 0)
        abort();
}

static void fuzz_header(const uint8_t *p, size_t n)
{
    struct ll_header h;
    uint8_t enc[LL_HEADER_LEN];
    if (ll_header_decode(&h, p, n) != 0)
        return;
    ll_header_encode(enc, &h);
    if (n != LL_HEADER_LEN || memcmp(enc, p, n) != 0)
        abort();
}

static void fuzz_commit(const uint8_t *p, size_t n)
{
    static uint8_t enc[LL_COMMIT_MAX];
    if (ll_commit_decode(&c, p, n) != 0)
        return;
    size_t m = ll_commit_encode(enc, sizeof(enc), &c);
    if (m != n || memcmp(enc, p, n) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ll_crypto_init() != 0)
        abort();
    if (size == 0)
        return 0;
    switch (data[0] % 3) {
    case 0:
        fuzz_genesis(data + 1, size - 1);
        break;
    case 1:
        fuzz_header(data + 1, size - 1);
        break;
    default:
        fuzz_commit(data + 1, size - 1);
        break;
    }
    return 0;
}
