/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 and BIP-340 tagged hashes: over libsodium, or, on CPUs with the
 * x86 SHA extensions, with the compression function of sha256_x86.c (about
 * five times faster; chosen once, at ll_crypto_init). Each tag's 64-byte
 * prefix SHA256(tag) || SHA256(tag) is absorbed once at init into a midstate,
 * so a tagged hash costs the same as a plain one.
 */
#include <sodium.h>
#include <string.h>

#include "internal.h"

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(struct ll_sha256),
               "struct ll_sha256 too small for libsodium's state");

static const char *const tag_names[LL_TAG_COUNT] = {
    [LL_TAG_EVENT] = "lotledger/event",
    [LL_TAG_HEADER] = "lotledger/header",
    [LL_TAG_VOTE] = "lotledger/vote",
    [LL_TAG_MEMBER] = "lotledger/member",
    [LL_TAG_KEYID] = "lotledger/keyid",
    [LL_TAG_SMT_LEAF] = "lotledger/smt/leaf",
    [LL_TAG_SMT_NODE] = "lotledger/smt/node",
    [LL_TAG_SMT_VALUE] = "lotledger/smt/value",
    [LL_TAG_LOT_KEY] = "lotledger/lot",
    [LL_TAG_ORG_KEY] = "lotledger/org",
    [LL_TAG_VALSET] = "lotledger/valset",
    [LL_TAG_GENESIS] = "lotledger/genesis",
    [LL_TAG_NOISE_STATIC] = "lotledger/noise-static",
};

/*
 * The state when the CPU's SHA extensions do the compression: the chaining
 * value, the bytes absorbed so far, and the partial block (n % 64 bytes).
 */
struct ni_state {
    uint32_t h[8];
    uint64_t n;
    uint8_t buf[64];
};

_Static_assert(sizeof(struct ni_state) <= sizeof(struct ll_sha256),
               "struct ll_sha256 too small for the SHA-NI state");

static const uint32_t sha256_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* Set once by ll_crypto__hash_init (under ll_crypto_init's once). */
static bool use_ni;
static struct ll_sha256 midstates[LL_TAG_COUNT];

static crypto_hash_sha256_state *state_of(struct ll_sha256 *st)
{
    /*
     * ll_sha256 is 16-byte aligned storage sized for the sodium state. Only
     * the address is taken here; the init functions write the state, so
     * cppcheck's cross-file "uninitialized" finding does not apply.
     */
    /* cppcheck-suppress ctuuninitvar */
    return (crypto_hash_sha256_state *)(void *)st->opaque;
}

static struct ni_state *ni_of(struct ll_sha256 *st)
{
    /* cppcheck-suppress ctuuninitvar */
    return (struct ni_state *)(void *)st->opaque;
}

void ll_crypto__sha256_ni_init(struct ll_sha256 *st)
{
    struct ni_state *s = ni_of(st);
    memcpy(s->h, sha256_iv, sizeof(s->h));
    s->n = 0;
}

void ll_crypto__sha256_ni_update(struct ll_sha256 *st, const void *msg,
                                 size_t len)
{
    struct ni_state *s = ni_of(st);
    const uint8_t *p = msg;
    size_t have = (size_t)(s->n % 64);
    s->n += len;
    if (have > 0) {
        size_t take = 64 - have < len ? 64 - have : len;
        memcpy(s->buf + have, p, take);
        p += take;
        len -= take;
        if (have + take < 64)
            return;
        ll_crypto__shani_blocks(s->h, s->buf, 1);
    }
    if (len >= 64) {
        ll_crypto__shani_blocks(s->h, p, len / 64);
        p += len - len % 64;
        len %= 64;
    }
    if (len > 0)
        memcpy(s->buf, p, len);
}

void ll_crypto__sha256_ni_final(struct ll_sha256 *st, uint8_t out[static 32])
{
    struct ni_state *s = ni_of(st);
    size_t have = (size_t)(s->n % 64);
    uint64_t bits = s->n * 8;
    s->buf[have++] = 0x80;
    if (have > 56) {
        memset(s->buf + have, 0, 64 - have);
        ll_crypto__shani_blocks(s->h, s->buf, 1);
        have = 0;
    }
    memset(s->buf + have, 0, 56 - have);
    for (unsigned i = 0; i < 8; i++)
        s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    ll_crypto__shani_blocks(s->h, s->buf, 1);
    for (size_t i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(s->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)s->h[i];
    }
    /* As libsodium does: the state may have absorbed a secret (HMAC). */
    sodium_memzero(s, sizeof(*s));
}

static void tag_prefix_init(struct ll_sha256 *st, const char *tag)
{
    uint8_t th[32];
    ll_sha256(th, tag, strlen(tag));
    ll_sha256_init(st);
    ll_sha256_update(st, th, sizeof(th));
    ll_sha256_update(st, th, sizeof(th));
}

void ll_crypto__hash_init(void)
{
    use_ni = ll_crypto__shani_ok();
    if (use_ni)
        ll_crypto__shani_init();
    for (size_t i = 0; i < LL_TAG_COUNT; i++)
        tag_prefix_init(&midstates[i], tag_names[i]);
}

const char *ll_sha256_impl(void)
{
    return use_ni ? "x86 SHA extensions" : "libsodium";
}

const char *ll_tag_name(enum ll_tag tag)
{
    if ((unsigned)tag >= LL_TAG_COUNT)
        return NULL;
    return tag_names[tag];
}

void ll_sha256(uint8_t out[static 32], const void *msg, size_t len)
{
    if (use_ni) {
        struct ll_sha256 st;
        ll_crypto__sha256_ni_init(&st);
        ll_crypto__sha256_ni_update(&st, msg, len);
        ll_crypto__sha256_ni_final(&st, out);
        return;
    }
    ll_crypto__sha256_sodium(out, msg, len);
}

void ll_crypto__sha256_sodium(uint8_t out[static 32], const void *msg,
                              size_t len)
{
    crypto_hash_sha256(out, msg, len);
}

void ll_sha256_init(struct ll_sha256 *st)
{
    if (use_ni)
        ll_crypto__sha256_ni_init(st);
    else
        crypto_hash_sha256_init(state_of(st));
}

void ll_sha256_update(struct ll_sha256 *st, const void *msg, size_t len)
{
    if (use_ni)
        ll_crypto__sha256_ni_update(st, msg, len);
    else
        crypto_hash_sha256_update(state_of(st), msg, len);
}

void ll_sha256_final(struct ll_sha256 *st, uint8_t out[static 32])
{
    if (use_ni)
        ll_crypto__sha256_ni_final(st, out);
    else
        crypto_hash_sha256_final(state_of(st), out);
}

void ll_tagged_init(struct ll_sha256 *st, enum ll_tag tag)
{
    LL_ASSERT((unsigned)tag < LL_TAG_COUNT);
    *st = midstates[tag];
}

void ll_tagged_hash(uint8_t out[static 32], enum ll_tag tag, const void *msg,
                    size_t len)
{
    struct ll_sha256 st = {{0}};
    ll_tagged_init(&st, tag);
    ll_sha256_update(&st, msg, len);
    ll_sha256_final(&st, out);
}

void ll_tagged_hash64(uint8_t out[static 32], enum ll_tag tag,
                      const uint8_t a[static 32], const uint8_t b[static 32])
{
    LL_ASSERT((unsigned)tag < LL_TAG_COUNT);
    if (use_ni) {
        /* The midstate has absorbed the 64-byte tag prefix: a || b is the
         * second block of a 128-byte message. */
        uint8_t block[64];
        memcpy(block, a, 32);
        memcpy(block + 32, b, 32);
        ll_crypto__shani_last128(ni_of(&midstates[tag])->h, block, out);
        return;
    }
    struct ll_sha256 st;
    ll_tagged_init(&st, tag);
    ll_sha256_update(&st, a, 32);
    ll_sha256_update(&st, b, 32);
    ll_sha256_final(&st, out);
}

void ll_tagged_hash_str(uint8_t out[static 32], const char *tag,
                        const void *msg, size_t len)
{
    struct ll_sha256 st;
    tag_prefix_init(&st, tag);
    ll_sha256_update(&st, msg, len);
    ll_sha256_final(&st, out);
}
