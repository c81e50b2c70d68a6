/* SPDX-License-Identifier: MIT */
/*
 * The RFC 6962 Merkle log on one core: appends through the frontier, the
 * tree hash of a large array of leaves, and proof generation and
 * verification, each compared with the raw node hash (SHA-256 over 65 bytes)
 * measured in the same run.
 */
#include <stdio.h>

#include "../../crypto/crypto.h"
#include "../../ledger/merkle.h"
#include "benchutil.h"

#define N_HASH   200000
#define N_APPEND 1000000
#define N_LEAVES 100000
#define N_ROOTS  10
#define N_PROVE  20
#define N_VERIFY 20000
#define N_PROOFS 32

struct ctx {
    uint8_t (*leaves)[32];
    uint8_t root[32];
    struct ll_merkle_inclusion_proof proofs[N_PROOFS];
    struct ll_merkle_consistency_proof cproofs[N_PROOFS];
    uint8_t croot1[N_PROOFS][32];
    uint64_t index[N_PROOFS];
};

static struct ctx ctx;

static const uint8_t (*cleaves(void))[32]
{
    return (const uint8_t(*)[32])ctx.leaves;
}

static void do_node_hash(void *arg)
{
    uint8_t h[32] = {0};
    (void)arg;
    for (size_t i = 0; i < N_HASH; i++)
        ll_merkle_node_hash(h, h, h);
}

static void do_append(void *arg)
{
    struct ll_merkle_frontier f;
    uint8_t leaf[32] = {0};
    (void)arg;
    ll_merkle_frontier_init(&f);
    for (uint32_t i = 0; i < N_APPEND; i++) {
        ll_store_be32(leaf, i);
        ll_bench_check(ll_merkle_frontier_append(&f, leaf), "append");
    }
    ll_merkle_frontier_root(leaf, &f);
}

static void do_root(void *arg)
{
    uint8_t root[32];
    (void)arg;
    for (size_t i = 0; i < N_ROOTS; i++)
        ll_bench_check(ll_merkle_root(root, cleaves(), N_LEAVES), "root");
}

static void do_prove(void *arg)
{
    struct ll_merkle_inclusion_proof p;
    (void)arg;
    for (size_t i = 0; i < N_PROVE; i++)
        ll_bench_check(
            ll_merkle_inclusion_prove(&p, cleaves(), N_LEAVES, ctx.index[i]),
            "prove");
}

static void do_verify(void *arg)
{
    (void)arg;
    for (size_t i = 0; i < N_VERIFY; i++) {
        const struct ll_merkle_inclusion_proof *p = &ctx.proofs[i % N_PROOFS];
        ll_bench_check(ll_merkle_inclusion_verify(
                           p->index, p->size, ctx.leaves[p->index], 32,
                           p->hash[0], p->count * 32, ctx.root, 32),
                       "verify");
    }
}

static void do_cverify(void *arg)
{
    (void)arg;
    for (size_t i = 0; i < N_VERIFY; i++) {
        size_t k = i % N_PROOFS;
        const struct ll_merkle_consistency_proof *p = &ctx.cproofs[k];
        ll_bench_check(ll_merkle_consistency_verify(
                           p->size1, p->size2, p->hash[0], p->count * 32,
                           ctx.croot1[k], 32, ctx.root, 32),
                       "consistency verify");
    }
}

int main(void)
{
    ll_bench_check(ll_crypto_init(), "crypto init");
    ctx.leaves = ll_calloc(N_LEAVES, 32);
    if (ctx.leaves == NULL)
        ll_bench_check(LL_ENOMEM, "leaves");
    for (uint32_t i = 0; i < N_LEAVES; i++) {
        uint8_t entry[4];
        ll_store_be32(entry, i);
        ll_merkle_leaf_hash(ctx.leaves[i], entry, sizeof(entry));
    }
    ll_bench_check(ll_merkle_root(ctx.root, cleaves(), N_LEAVES), "root");
    for (size_t i = 0; i < N_PROOFS; i++) {
        uint64_t idx = ll_crypto_random_uniform(N_LEAVES);
        uint64_t size1 = 1 + ll_crypto_random_uniform(N_LEAVES);
        ctx.index[i] = idx;
        ll_bench_check(
            ll_merkle_inclusion_prove(&ctx.proofs[i], cleaves(), N_LEAVES, idx),
            "prove");
        ll_bench_check(ll_merkle_consistency_prove(&ctx.cproofs[i], cleaves(),
                                                   N_LEAVES, size1),
                       "consistency prove");
        ll_bench_check(ll_merkle_root(ctx.croot1[i], cleaves(), size1), "root");
    }

    char what[320];
    (void)snprintf(what, sizeof(what),
                   "Node hash = SHA-256 over 0x01 || left || right "
                   "(65 bytes; %s), the unit every other row is made of. "
                   "Proofs are generated from the array of leaf hashes, so "
                   "generation is O(n).",
                   ll_sha256_impl());
    ll_bench_section("Merkle log (RFC 6962, one core)", what);
    double node = ll_bench_rate(do_node_hash, NULL, N_HASH);
    double append = ll_bench_rate(do_append, NULL, N_APPEND);
    double root = ll_bench_rate(do_root, NULL, N_ROOTS);
    double prove = ll_bench_rate(do_prove, NULL, N_PROVE);
    double verify = ll_bench_rate(do_verify, NULL, N_VERIFY);
    double cverify = ll_bench_rate(do_cverify, NULL, N_VERIFY);
    char note[128];
    ll_bench_row("node hash", node, "hash/s", "median of 5 x 200000");
    (void)snprintf(note, sizeof(note),
                   "median of 5 x 10^6 appends; costs %.2f node hashes",
                   node / append);
    ll_bench_row("frontier append", append, "append/s", note);
    (void)snprintf(note, sizeof(note),
                   "10^5 leaves; %.0f leaves/s, %.2f x the node-hash rate",
                   root * N_LEAVES, root * N_LEAVES / node);
    ll_bench_row("tree root, 10^5 leaves", root, "root/s", note);
    ll_bench_row("inclusion proof generation, 10^5 leaves", prove, "proof/s",
                 "O(n): recomputes the sibling subtrees from the leaves");
    (void)snprintf(note, sizeof(note),
                   "<= 17 node hashes per proof; %.1f us each", 1e6 / verify);
    ll_bench_row("inclusion proof verification, 10^5 leaves", verify, "proof/s",
                 note);
    (void)snprintf(note, sizeof(note), "generation + verification: %.1f ms",
                   1e3 / prove + 1e3 / verify);
    ll_bench_row("inclusion proof gen + verify, 10^5 leaves",
                 1.0 / (1.0 / prove + 1.0 / verify), "proof/s", note);
    ll_bench_row("consistency proof verification, 10^5 leaves", cverify,
                 "proof/s", "random old size, new size 10^5");
    ll_free(ctx.leaves);
    return 0;
}
