/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the parser of a ledger directory's COMMITTED record (committed.c),
 * which the ledger reads from disk at every open. No crash; a record that
 * parses is exactly the text the writer makes for its height and hash.
 */
#include <stdlib.h>
#include <string.h>

#include "../../ledger/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t h = 0;
    uint8_t hash[32];
    if (ll_ledger__committed_parse((const char *)data, size, &h, hash) != 0)
        return 0;
    char text[LL_LEDGER__COMMITTED_LEN + 1];
    if (ll_ledger__committed_format(text, h, hash) != 0 ||
        size != LL_LEDGER__COMMITTED_LEN || memcmp(text, data, size) != 0)
        abort();
    return 0;
}
