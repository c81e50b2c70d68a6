/* SPDX-License-Identifier: MIT */
/*
 * Differential fuzzing of SHA-256 (crypto/hash.c, crypto/sha256_x86.c):
 * the input's first byte seeds how the rest is cut into update calls; the
 * SHA-NI path, ll_sha256 and libsodium must give the same digest, and
 * ll_tagged_hash64 of the first 64 bytes the digest libsodium gives for
 * them after a tag's prefix. On a CPU without SHA extensions only
 * ll_sha256 and libsodium are compared.
 */
#include <stdlib.h>
#include <string.h>

#include "../../crypto/crypto.h"
#include "../../crypto/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || ll_crypto_init() != 0)
        return 0;
    uint32_t seed = data[0];
    const uint8_t *m = data + 1;
    size_t len = size - 1;
    uint8_t want[32];
    uint8_t got[32];
    ll_crypto__sha256_sodium(want, m, len);
    ll_sha256(got, m, len);
    if (memcmp(got, want, 32) != 0)
        abort();
    if (!ll_crypto__shani_ok())
        return 0;
    struct ll_sha256 st;
    ll_crypto__sha256_ni_init(&st);
    for (size_t off = 0; off < len;) {
        seed = seed * 1103515245u + 12345u;
        size_t piece = (seed >> 16) % 131;
        if (piece > len - off)
            piece = len - off;
        ll_crypto__sha256_ni_update(&st, m + off, piece);
        off += piece;
    }
    ll_crypto__sha256_ni_final(&st, got);
    if (memcmp(got, want, 32) != 0)
        abort();
    /* The two-block fast path: 64 bytes after a tag's prefix. */
    if (len >= 64) {
        uint8_t t[128];
        const char *name = ll_tag_name((enum ll_tag)(seed % LL_TAG_COUNT));
        ll_crypto__sha256_sodium(t, name, strlen(name));
        memcpy(t + 32, t, 32);
        memcpy(t + 64, m, 64);
        ll_crypto__sha256_sodium(want, t, sizeof(t));
        ll_tagged_hash64(got, (enum ll_tag)(seed % LL_TAG_COUNT), m, m + 32);
        if (memcmp(got, want, 32) != 0)
            abort();
    }
    return 0;
}
