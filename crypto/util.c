/* SPDX-License-Identifier: MIT */
/*
 * Library start-up and the small constant-time helpers. The secp256k1
 * context is created once and randomised (side-channel blinding); after
 * that it is only read, which libsecp256k1 allows from many threads.
 */
#include <pthread.h>
#include <sodium.h>

#include "internal.h"

static secp256k1_context *ctx;
static int init_rc = LL_ECRYPTO;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void do_init(void)
{
    if (sodium_init() < 0)
        return;
    ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (ctx == NULL)
        return;
    uint8_t seed[32];
    randombytes_buf(seed, sizeof(seed));
    int ok = secp256k1_context_randomize(ctx, seed);
    sodium_memzero(seed, sizeof(seed));
    if (!ok) {
        secp256k1_context_destroy(ctx);
        ctx = NULL;
        return;
    }
    ll_crypto__hash_init();
    init_rc = 0;
}

int ll_crypto_init(void)
{
    (void)pthread_once(&init_once, do_init);
    return init_rc;
}

const secp256k1_context *ll_crypto__ctx(void)
{
    LL_ASSERT(ctx != NULL);
    return ctx;
}

bool ll_crypto_memeq(const void *a, const void *b, size_t n)
{
    if (n == 0)
        return true;
    return sodium_memcmp(a, b, n) == 0;
}

void ll_crypto_wipe(void *p, size_t n)
{
    if (n > 0)
        sodium_memzero(p, n);
}

void ll_crypto_random(void *p, size_t n)
{
    randombytes_buf(p, n);
}

uint32_t ll_crypto_random_uniform(uint32_t upper)
{
    return randombytes_uniform(upper);
}
