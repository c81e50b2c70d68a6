/* SPDX-License-Identifier: MIT */
/*
 * Sparse Merkle map on the memory store, one core: maps of 10^4, 10^5 and
 * 10^6 random keys built by batches of 10^4 inserts; at each size the cost
 * of one 10^4-key update batch (compared with verifying 10^4 BIP-340
 * signatures, measured in the same run: a block's state update should cost
 * less than checking its signatures), lookups, proof sizes and proof
 * verification.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../crypto/crypto.h"
#include "../../ledger/smt.h"
#include "benchutil.h"

#define BATCH     10000
#define MAX_KEYS  1000000
#define N_GET     100000
#define N_SIG     2000
#define N_PROOF1  200
#define N_PROOF50 20
#define MULTI     50

struct bench {
    struct ll_smt_mem *mem;
    struct ll_smt_store st;
    uint8_t root[32];
    uint8_t (*keys)[32];     /* MAX_KEYS random keys; the first n are in */
    size_t n;                /* keys in the map */
    struct ll_smt_kv *batch; /* BATCH entries */
    uint64_t stamp;          /* makes every update batch's values new */
    struct ll_buf *proofs;   /* N_PROOF1 single-key proofs */
    uint8_t (*pkeys)[32];    /* their keys */
    struct ll_buf *mproofs;  /* N_PROOF50 proofs of MULTI keys */
    uint8_t (*mkeys)[32];    /* N_PROOF50 * MULTI keys */
};

static struct bench b;

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = ll_calloc(n, size);
    if (p == NULL)
        ll_bench_check(LL_ENOMEM, "allocation");
    return p;
}

/* Insert the next BATCH keys. */
static void grow(void)
{
    for (size_t i = 0; i < BATCH; i++) {
        memcpy(b.batch[i].key, b.keys[b.n + i], 32);
        ll_smt_value_hash(b.batch[i].value_hash, b.keys[b.n + i], 32);
        b.batch[i].del = false;
    }
    ll_bench_check(ll_smt_update(&b.st, b.root, b.root, b.batch, BATCH),
                   "grow");
    b.n += BATCH;
}

/* New values for BATCH distinct keys already in the map. */
static void do_update(void *arg)
{
    (void)arg;
    size_t start = (size_t)(next_rand() % (b.n / BATCH)) * BATCH;
    b.stamp++;
    for (size_t i = 0; i < BATCH; i++) {
        uint64_t v[2] = {b.stamp, i};
        memcpy(b.batch[i].key, b.keys[start + i], 32);
        ll_smt_value_hash(b.batch[i].value_hash, v, sizeof(v));
        b.batch[i].del = false;
    }
    ll_bench_check(ll_smt_update(&b.st, b.root, b.root, b.batch, BATCH),
                   "update");
}

static void do_get(void *arg)
{
    (void)arg;
    for (size_t i = 0; i < N_GET; i++) {
        bool found = false;
        uint8_t vh[32];
        const uint8_t *key = b.keys[next_rand() % b.n];
        ll_bench_check(ll_smt_get(&b.st, &found, vh, b.root, key), "get");
        if (!found)
            ll_bench_check(LL_ENOTFOUND, "get");
    }
}

static void do_verify1(void *arg)
{
    struct ll_smt_result res[1];
    (void)arg;
    for (size_t i = 0; i < N_PROOF1; i++)
        ll_bench_check(ll_smt_verify(res, b.root, b.pkeys[i], 1,
                                     b.proofs[i].data, b.proofs[i].len),
                       "verify");
}

static void do_verify50(void *arg)
{
    struct ll_smt_result res[MULTI];
    (void)arg;
    for (size_t i = 0; i < N_PROOF50; i++)
        ll_bench_check(ll_smt_verify(res, b.root, b.mkeys[i * MULTI], MULTI,
                                     b.mproofs[i].data, b.mproofs[i].len),
                       "verify");
}

/* Build the proofs; returns the mean sizes. */
static void make_proofs(double *size1, double *size50)
{
    double total = 0;
    for (size_t i = 0; i < N_PROOF1; i++) {
        memcpy(b.pkeys[i], b.keys[next_rand() % b.n], 32);
        ll_buf_free(&b.proofs[i]);
        ll_bench_check(ll_smt_prove(&b.st, &b.proofs[i], b.root, b.pkeys[i], 1),
                       "prove");
        total += (double)b.proofs[i].len;
    }
    *size1 = total / N_PROOF1;
    total = 0;
    for (size_t i = 0; i < N_PROOF50; i++) {
        /* MULTI distinct present keys: a random run of consecutive ones. */
        size_t start = (size_t)(next_rand() % (b.n - MULTI));
        memcpy(b.mkeys[i * MULTI], b.keys[start], (size_t)MULTI * 32);
        ll_buf_free(&b.mproofs[i]);
        ll_bench_check(ll_smt_prove(&b.st, &b.mproofs[i], b.root,
                                    b.mkeys[i * MULTI], MULTI),
                       "prove");
        total += (double)b.mproofs[i].len;
    }
    *size50 = total / N_PROOF50;
}

struct sig_ctx {
    struct ll_keypair kp;
    uint8_t msg[N_SIG][32];
    uint8_t sig[N_SIG][64];
};

static struct sig_ctx sigs;

static void do_sig_verify(void *arg)
{
    const struct sig_ctx *c = arg;
    for (size_t i = 0; i < N_SIG; i++)
        ll_bench_check(ll_schnorr_verify(c->sig[i], c->msg[i], c->kp.pk),
                       "schnorr verify");
}

/* Seconds to verify BATCH BIP-340 signatures. */
static double sig_reference(void)
{
    ll_bench_check(ll_keypair_generate(&sigs.kp), "keygen");
    for (size_t i = 0; i < N_SIG; i++) {
        ll_crypto_random(sigs.msg[i], 32);
        ll_bench_check(
            ll_schnorr_sign(sigs.sig[i], &sigs.kp, sigs.msg[i], NULL), "sign");
    }
    double rate = ll_bench_rate(do_sig_verify, &sigs, N_SIG);
    ll_keypair_wipe(&sigs.kp);
    return (double)BATCH / rate;
}

static void report(size_t target, uint64_t build_ns, double sig_s)
{
    char name[96];
    char note[128];
    double size1;
    double size50;
    double upd = ll_bench_rate(do_update, NULL, BATCH);
    double upd_s = (double)BATCH / upd;
    double get = ll_bench_rate(do_get, NULL, N_GET);
    make_proofs(&size1, &size50);
    double v1 = ll_bench_rate(do_verify1, NULL, N_PROOF1);
    double v50 = ll_bench_rate(do_verify50, NULL, N_PROOF50);

    (void)snprintf(name, sizeof(name), "build %zu keys, batches of 10^4",
                   target);
    ll_bench_row(name, (double)target * 1e9 / (double)build_ns, "keys/s",
                 "inserts, from the empty map");
    (void)snprintf(name, sizeof(name), "10^4-key update batch, %zu keys",
                   target);
    (void)snprintf(note, sizeof(note),
                   "median of 5; %.2fx the time of 10^4 BIP-340 verifies",
                   upd_s / sig_s);
    ll_bench_row(name, upd_s * 1e3, "ms", note);
    (void)snprintf(name, sizeof(name), "get, %zu keys", target);
    ll_bench_row(name, get, "get/s", "present keys, median of 5 x 10^5");
    (void)snprintf(name, sizeof(name), "proof size, 1 key, %zu keys", target);
    ll_bench_row(name, size1, "bytes", "present key, mean of 200");
    (void)snprintf(name, sizeof(name), "proof size, 50 keys, %zu keys", target);
    ll_bench_row(name, size50, "bytes", "present keys, mean of 20");
    (void)snprintf(name, sizeof(name), "verify 1-key proof, %zu keys", target);
    ll_bench_row(name, v1, "proofs/s", "median of 5 x 200");
    (void)snprintf(name, sizeof(name), "verify 50-key proof, %zu keys", target);
    ll_bench_row(name, v50, "proofs/s", "median of 5 x 20");
    (void)snprintf(name, sizeof(name), "nodes stored, %zu keys", target);
    ll_bench_row(name, (double)ll_smt_mem_count(b.mem), "nodes",
                 "all versions: built by batches, then 5 update batches");
}

int main(void)
{
    static const size_t sizes[] = {10000, 100000, 1000000};
    ll_bench_check(ll_crypto_init(), "crypto init");
    ll_bench_check(ll_smt_mem_new(&b.mem), "store");
    ll_smt_mem_store(&b.st, b.mem);
    b.keys = xcalloc(MAX_KEYS, 32);
    b.batch = xcalloc(BATCH, sizeof(*b.batch));
    b.proofs = xcalloc(N_PROOF1, sizeof(*b.proofs));
    b.pkeys = xcalloc(N_PROOF1, 32);
    b.mproofs = xcalloc(N_PROOF50, sizeof(*b.mproofs));
    b.mkeys = xcalloc((size_t)N_PROOF50 * MULTI, 32);
    for (size_t i = 0; i < N_PROOF1; i++)
        ll_buf_init(&b.proofs[i], (size_t)1 << 20);
    for (size_t i = 0; i < N_PROOF50; i++)
        ll_buf_init(&b.mproofs[i], (size_t)1 << 20);
    ll_crypto_random(b.keys, (size_t)MAX_KEYS * 32);

    ll_bench_section(
        "Sparse Merkle map (memory store, one core)",
        "Random 32-byte keys. Maps grow by batches of 10^4 inserts; an "
        "update batch gives 10^4 present keys new values. Every node read "
        "is re-hashed to check it. The BIP-340 reference (10^4 verifies) is "
        "measured in the same run.");
    double sig_s = sig_reference();
    ll_bench_row("10^4 BIP-340 verifies (reference)", sig_s * 1e3, "ms",
                 "median of 5 x 2000, scaled");
    uint64_t build_ns = 0;
    for (size_t s = 0; s < LL_ARRAY_LEN(sizes); s++) {
        uint64_t t0 = ll_now_ns();
        while (b.n < sizes[s])
            grow();
        build_ns += ll_now_ns() - t0;
        report(sizes[s], build_ns, sig_s);
    }
    for (size_t i = 0; i < N_PROOF1; i++)
        ll_buf_free(&b.proofs[i]);
    for (size_t i = 0; i < N_PROOF50; i++)
        ll_buf_free(&b.mproofs[i]);
    ll_free(b.proofs);
    ll_free(b.mproofs);
    ll_free(b.pkeys);
    ll_free(b.mkeys);
    ll_free(b.batch);
    ll_free(b.keys);
    ll_smt_mem_free(b.mem);
    return 0;
}
