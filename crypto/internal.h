/* SPDX-License-Identifier: MIT */
/* Declarations shared by the files of crypto/ only. */
#ifndef LL_CRYPTO_INTERNAL_H
#define LL_CRYPTO_INTERNAL_H

#include <secp256k1.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

/* Precompute the tag midstates. Called by ll_crypto_init. */
void ll_crypto__hash_init(void);

/* True if this CPU has the SHA extensions (and SSSE3, SSE4.1). */
bool ll_crypto__shani_ok(void);
/* Compress nblocks 64-byte blocks into h (SHA-NI; only if shani_ok). */
void ll_crypto__shani_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks);
/* Precompute what ll_crypto__shani_last128 needs (once, before use). */
void ll_crypto__shani_init(void);
/*
 * The SHA-256 of a 128-byte message whose first 64 bytes left the state h:
 * compress block (the last 64 bytes) and the fixed padding block into a
 * copy of h and write the digest to out (SHA-NI; only if shani_ok).
 */
void ll_crypto__shani_last128(const uint32_t h[8], const uint8_t block[64],
                              uint8_t out[32]);
/* SHA-256 through the SHA-NI path whatever ll_sha256 uses (for tests). */
void ll_crypto__sha256_ni_init(struct ll_sha256 *st);
void ll_crypto__sha256_ni_update(struct ll_sha256 *st, const void *msg,
                                 size_t len);
void ll_crypto__sha256_ni_final(struct ll_sha256 *st, uint8_t out[static 32]);
/* SHA-256 through libsodium whatever ll_sha256 uses (for tests). */
void ll_crypto__sha256_sodium(uint8_t out[static 32], const void *msg,
                              size_t len);

/* The shared, randomised secp256k1 context; valid after ll_crypto_init. */
const secp256k1_context *ll_crypto__ctx(void);

#endif
