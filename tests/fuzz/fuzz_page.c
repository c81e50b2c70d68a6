/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the state-map page decoder (ledger/ledger.c, docs/store.md
 * "State-map pages"): pages are read back from LevelDB, where a damaged
 * disk can put any bytes. Properties: no crash and no out-of-bounds
 * access; what decodes encodes back to exactly the same bytes (one
 * encoding per page); every rebuilt node in use hashes to the hash the
 * decoder reports, and an inner node's children are the hashes of the
 * positions below it (or zero where none is in use).
 */
#include <stdlib.h>
#include <string.h>

#include "../../ledger/internal.h"
#include "../../ledger/smt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t zero[32];
    static uint8_t node[LL_PAGE_SLOTS][LL_SMT_NODE_LEN];
    static uint8_t hash[LL_PAGE_SLOTS][32];
    uint8_t out[LL_PAGE_MAX];
    unsigned used = 0;
    if (ll_ledger__page_decode(data, size, &used, node, hash) != 0)
        return 0;
    size_t n = ll_ledger__page_encode(out, used,
                                      (const uint8_t(*)[LL_SMT_NODE_LEN])node);
    if (n != size || memcmp(out, data, size) != 0)
        abort();
    for (unsigned i = 0; i < LL_PAGE_SLOTS; i++) {
        if ((used >> i & 1u) == 0)
            continue;
        uint8_t h[32];
        if (node[i][0] == LL_SMT_NODE_LEAF)
            ll_smt_leaf_hash(h, node[i] + 1, node[i] + 33);
        else
            ll_smt_node_hash(h, node[i] + 1, node[i] + 33);
        if (memcmp(h, hash[i], 32) != 0)
            abort();
        if (i >= 7 || node[i][0] == LL_SMT_NODE_LEAF)
            continue;
        for (unsigned s = 0; s < 2; s++) {
            unsigned c = 2 * i + 1 + s;
            const uint8_t *want = (used >> c & 1u) ? hash[c] : zero;
            if (memcmp(node[i] + 1 + 32 * s, want, 32) != 0)
                abort();
        }
    }
    return 0;
}
