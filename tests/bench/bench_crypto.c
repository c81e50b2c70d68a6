/* SPDX-License-Identifier: MIT */
/*
 * Raw crypto rates on one core: BIP-340 sign and verify (the limit every
 * later benchmark is compared with) and SHA-256 tagged hashes.
 */
#include <stdio.h>

#include "../../crypto/crypto.h"
#include "../../crypto/internal.h"
#include "benchutil.h"

#define N_SIG  2000
#define N_HASH 200000

struct sig_ctx {
    struct ll_keypair kp;
    uint8_t msg[N_SIG][32];
    uint8_t sig[N_SIG][64];
    struct ll_pubkey parsed;
};

static struct sig_ctx ctx;

static void do_sign(void *arg)
{
    struct sig_ctx *c = arg;
    for (size_t i = 0; i < N_SIG; i++)
        ll_bench_check(ll_schnorr_sign(c->sig[i], &c->kp, c->msg[i], NULL),
                       "sign");
}

static void do_verify(void *arg)
{
    const struct sig_ctx *c = arg;
    for (size_t i = 0; i < N_SIG; i++)
        ll_bench_check(ll_schnorr_verify(c->sig[i], c->msg[i], c->kp.pk),
                       "verify");
}

static void do_verify_parsed(void *arg)
{
    const struct sig_ctx *c = arg;
    for (size_t i = 0; i < N_SIG; i++)
        ll_bench_check(
            ll_schnorr_verify_parsed(c->sig[i], c->msg[i], &c->parsed),
            "verify");
}

static void do_keystore_open(void *arg)
{
    const uint8_t *ks = arg;
    struct ll_keypair kp;
    ll_bench_check(ll_keystore_open(&kp, ks, LL_KEYSTORE_LEN, "bench", 5),
                   "keystore open");
    ll_keypair_wipe(&kp);
}

static void do_tagged(void *arg)
{
    uint8_t buf[64] = {0};
    (void)arg;
    for (size_t i = 0; i < N_HASH; i++)
        ll_tagged_hash(buf, LL_TAG_SMT_NODE, buf, sizeof(buf));
}

static void do_tagged64(void *arg)
{
    uint8_t buf[64] = {0};
    (void)arg;
    for (size_t i = 0; i < N_HASH; i++)
        ll_tagged_hash64(buf, LL_TAG_SMT_NODE, buf, buf + 32);
}

static void do_sha(void *arg)
{
    uint8_t buf[64] = {0};
    (void)arg;
    for (size_t i = 0; i < N_HASH; i++)
        ll_sha256(buf, buf, sizeof(buf));
}

static void do_sha_sodium(void *arg)
{
    uint8_t buf[64] = {0};
    (void)arg;
    for (size_t i = 0; i < N_HASH; i++)
        ll_crypto__sha256_sodium(buf, buf, sizeof(buf));
}

int main(void)
{
    ll_bench_check(ll_crypto_init(), "crypto init");
    ll_bench_check(ll_keypair_generate(&ctx.kp), "keygen");
    ll_bench_check(ll_pubkey_parse(&ctx.parsed, ctx.kp.pk), "parse");
    for (size_t i = 0; i < N_SIG; i++)
        ll_crypto_random(ctx.msg[i], 32);

    char what[256];
    (void)snprintf(what, sizeof(what),
                   "BIP-340 via libsecp256k1; tagged hash = SHA-256 over a "
                   "64-byte message with the tag prefix as a midstate. "
                   "SHA-256 here: %s (docs/crypto.md).",
                   ll_sha256_impl());
    ll_bench_section("Crypto (one core)", what);
    double sign = ll_bench_rate(do_sign, &ctx, N_SIG);
    double verify = ll_bench_rate(do_verify, &ctx, N_SIG);
    double verify_p = ll_bench_rate(do_verify_parsed, &ctx, N_SIG);
    double hash = ll_bench_rate(do_tagged, NULL, N_HASH);
    ll_bench_row("BIP-340 sign", sign, "sig/s", "median of 5 x 2000");
    ll_bench_row("BIP-340 verify", verify, "sig/s",
                 "median of 5 x 2000; the raw limit");
    ll_bench_row("BIP-340 verify, key pre-parsed", verify_p, "sig/s",
                 "median of 5 x 2000");
    ll_bench_row("tagged SHA-256, 64-byte msg", hash, "hash/s",
                 "median of 5 x 200000");
    double hash64 = ll_bench_rate(do_tagged64, NULL, N_HASH);
    (void)snprintf(what, sizeof(what),
                   "ll_tagged_hash64 (state-map nodes): padding block's "
                   "schedule precomputed; %.2f x the row above",
                   hash64 / hash);
    ll_bench_row("tagged SHA-256, two 32-byte halves", hash64, "hash/s", what);
    double sha = ll_bench_rate(do_sha, NULL, N_HASH);
    double sha_sodium = ll_bench_rate(do_sha_sodium, NULL, N_HASH);
    ll_bench_row("SHA-256, 64-byte msg", sha, "hash/s", ll_sha256_impl());
    (void)snprintf(what, sizeof(what),
                   "libsodium's portable code, for comparison: %.2f x slower",
                   sha / sha_sodium);
    ll_bench_row("SHA-256, 64-byte msg, libsodium", sha_sodium, "hash/s", what);

    static uint8_t ks[LL_KEYSTORE_LEN];
    const struct ll_keystore_params def = {LL_KEYSTORE_OPS_DEFAULT,
                                           LL_KEYSTORE_MEM_DEFAULT_KIB};
    ll_bench_check(ll_keystore_seal(ks, &ctx.kp, "bench", 5, &def), "seal");
    double open = ll_bench_rate(do_keystore_open, ks, 1);
    ll_bench_row("keystore open, default Argon2id (3 passes, 64 MiB)",
                 1000.0 / open, "ms", "median of 5; the cost of one unlock");
    ll_keypair_wipe(&ctx.kp);
    return 0;
}
