/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 and BIP-340 tagged hashes over libsodium. Each tag's 64-byte
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

static crypto_hash_sha256_state midstates[LL_TAG_COUNT];

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

static void tag_prefix_init(crypto_hash_sha256_state *st, const char *tag)
{
    uint8_t th[32];
    crypto_hash_sha256(th, (const unsigned char *)tag, strlen(tag));
    crypto_hash_sha256_init(st);
    crypto_hash_sha256_update(st, th, sizeof(th));
    crypto_hash_sha256_update(st, th, sizeof(th));
}

void ll_crypto__hash_init(void)
{
    for (size_t i = 0; i < LL_TAG_COUNT; i++)
        tag_prefix_init(&midstates[i], tag_names[i]);
}

const char *ll_tag_name(enum ll_tag tag)
{
    if ((unsigned)tag >= LL_TAG_COUNT)
        return NULL;
    return tag_names[tag];
}

void ll_sha256(uint8_t out[static 32], const void *msg, size_t len)
{
    crypto_hash_sha256(out, msg, len);
}

void ll_sha256_init(struct ll_sha256 *st)
{
    crypto_hash_sha256_init(state_of(st));
}

void ll_sha256_update(struct ll_sha256 *st, const void *msg, size_t len)
{
    crypto_hash_sha256_update(state_of(st), msg, len);
}

void ll_sha256_final(struct ll_sha256 *st, uint8_t out[static 32])
{
    crypto_hash_sha256_final(state_of(st), out);
}

void ll_tagged_init(struct ll_sha256 *st, enum ll_tag tag)
{
    LL_ASSERT((unsigned)tag < LL_TAG_COUNT);
    memcpy(state_of(st), &midstates[tag], sizeof(midstates[tag]));
}

void ll_tagged_hash(uint8_t out[static 32], enum ll_tag tag, const void *msg,
                    size_t len)
{
    struct ll_sha256 st = {{0}};
    ll_tagged_init(&st, tag);
    ll_sha256_update(&st, msg, len);
    ll_sha256_final(&st, out);
}

void ll_tagged_hash_str(uint8_t out[static 32], const char *tag,
                        const void *msg, size_t len)
{
    crypto_hash_sha256_state st;
    tag_prefix_init(&st, tag);
    crypto_hash_sha256_update(&st, msg, len);
    crypto_hash_sha256_final(&st, out);
}
