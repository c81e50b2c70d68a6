/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ledger/smt: the sparse Merkle map against a reference model
 * (a sorted array plus a naive root computed from scratch with the tag
 * strings, not the code under test), golden vectors, the proof's shape rules
 * one by one, every mutation of a proof, a corrupt or failing store, and
 * allocation failures.
 */
#include "test.h"

#include "../../crypto/crypto.h"
#include "../../ledger/smt.h"

#define PROOF_MAX ((size_t)1 << 24)

static const uint8_t zero32[32];

static void init_crypto(void)
{
    ASSERT_OK(ll_crypto_init());
}

static unsigned bit_of(const uint8_t *key, unsigned i)
{
    return (unsigned)(key[i >> 3] >> (7u - (i & 7u))) & 1u;
}

static void hex32(uint8_t out[32], const char *hex)
{
    ASSERT_OK(ll_hex_decode(out, 32, hex, strlen(hex)));
}

/* ---- reference model ----------------------------------------------------- */

struct ref_entry {
    uint8_t key[32];
    uint8_t vh[32];
};

struct ref {
    struct ref_entry *e; /* sorted by key */
    size_t n;
    size_t cap;
};

/* Index of key, or of where it would go; *hit says which. */
static size_t ref_find(const struct ref *r, const uint8_t key[32], bool *hit)
{
    size_t lo = 0;
    size_t hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(r->e[mid].key, key, 32);
        if (c == 0) {
            *hit = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *hit = false;
    return lo;
}

static void ref_set(struct ref *r, const uint8_t key[32], const uint8_t vh[32])
{
    bool hit;
    size_t i = ref_find(r, key, &hit);
    if (!hit) {
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 64;
            r->e = ll_reallocarray(r->e, r->cap, sizeof(*r->e));
            ASSERT_NOT_NULL(r->e);
        }
        memmove(&r->e[i + 1], &r->e[i], (r->n - i) * sizeof(*r->e));
        memcpy(r->e[i].key, key, 32);
        r->n++;
    }
    memcpy(r->e[i].vh, vh, 32);
}

static void ref_del(struct ref *r, const uint8_t key[32])
{
    bool hit;
    size_t i = ref_find(r, key, &hit);
    if (hit) {
        memmove(&r->e[i], &r->e[i + 1], (r->n - i - 1) * sizeof(*r->e));
        r->n--;
    }
}

static void ref_apply(struct ref *r, const struct ll_smt_kv *kvs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (kvs[i].del)
            ref_del(r, kvs[i].key);
        else
            ref_set(r, kvs[i].key, kvs[i].value_hash);
    }
}

/* The naive definition: 0 entries -> zero, 1 -> leaf, more -> split. */
static void ref_hash(uint8_t out[32], const struct ref_entry *e, size_t n,
                     unsigned depth)
{
    uint8_t msg[64];
    if (n == 0) {
        memset(out, 0, 32);
        return;
    }
    if (n == 1) {
        memcpy(msg, e[0].key, 32);
        memcpy(msg + 32, e[0].vh, 32);
        ll_tagged_hash_str(out, "lotledger/smt/leaf", msg, 64);
        return;
    }
    size_t mid = 0;
    while (mid < n && bit_of(e[mid].key, depth) == 0)
        mid++;
    ref_hash(msg, e, mid, depth + 1);
    ref_hash(msg + 32, e + mid, n - mid, depth + 1);
    ll_tagged_hash_str(out, "lotledger/smt/node", msg, 64);
}

static void ref_root(const struct ref *r, uint8_t out[32])
{
    ref_hash(out, r->e, r->n, 0);
}

/* Nodes of the canonical tree: one per entry, one per position with >= 2. */
static size_t ref_nodes(const struct ref_entry *e, size_t n, unsigned depth)
{
    if (n < 2)
        return n;
    size_t mid = 0;
    while (mid < n && bit_of(e[mid].key, depth) == 0)
        mid++;
    return 1 + ref_nodes(e, mid, depth + 1) +
           ref_nodes(e + mid, n - mid, depth + 1);
}

/* ---- fixture ------------------------------------------------------------- */

struct fx {
    struct ll_smt_mem *mem;
    struct ll_smt_store st;
    uint8_t root[32];
    struct ref ref;
};

static void fx_init(struct fx *f)
{
    init_crypto();
    memset(f, 0, sizeof(*f));
    ASSERT_OK(ll_smt_mem_new(&f->mem));
    ll_smt_mem_store(&f->st, f->mem);
}

static void fx_free(struct fx *f)
{
    ll_smt_mem_free(f->mem);
    ll_free(f->ref.e);
}

/* Update the map and the model; the roots must agree. */
static void fx_apply(struct fx *f, const struct ll_smt_kv *kvs, size_t n)
{
    uint8_t want[32];
    ASSERT_OK(ll_smt_update(&f->st, f->root, f->root, kvs, n));
    ref_apply(&f->ref, kvs, n);
    ref_root(&f->ref, want);
    ASSERT_MEM_EQ(f->root, want, 32);
}

static void kv_set(struct ll_smt_kv *kv, const uint8_t key[32], uint64_t v)
{
    uint8_t b[8];
    memmove(kv->key, key, 32);
    ll_store_be64(b, v);
    ll_smt_value_hash(kv->value_hash, b, sizeof(b));
    kv->del = false;
}

static void kv_del(struct ll_smt_kv *kv, const uint8_t key[32])
{
    memmove(kv->key, key, 32);
    memset(kv->value_hash, 0, 32);
    kv->del = true;
}

/* A key: random, or a near miss of a model key (long shared prefix). */
static void rand_key(const struct ref *r, uint8_t key[32])
{
    ll_test_rand_bytes(key, 32);
    if (r->n > 0 && ll_test_rand_below(3) == 0) {
        const uint8_t *base = r->e[ll_test_rand_below((uint32_t)r->n)].key;
        unsigned b = 200 + ll_test_rand_below(56);
        memcpy(key, base, 32);
        key[b >> 3] = (uint8_t)(key[b >> 3] ^ (0x80u >> (b & 7u)));
    }
}

static bool in_batch(const struct ll_smt_kv *kvs, size_t n,
                     const uint8_t key[32])
{
    for (size_t i = 0; i < n; i++) {
        if (memcmp(kvs[i].key, key, 32) == 0)
            return true;
    }
    return false;
}

/* A random batch: inserts, updates, deletes of present and absent keys. */
static size_t rand_batch(const struct ref *r, struct ll_smt_kv *kvs, size_t max)
{
    size_t n = 1 + ll_test_rand_below((uint32_t)max);
    size_t k = 0;
    while (k < n) {
        uint8_t key[32];
        uint32_t op = ll_test_rand_below(10);
        if (r->n > 0 && op < 4)
            memcpy(key, r->e[ll_test_rand_below((uint32_t)r->n)].key, 32);
        else
            rand_key(r, key);
        if (in_batch(kvs, k, key))
            continue;
        if (op < 2 || op == 9)
            kv_del(&kvs[k], key);
        else
            kv_set(&kvs[k], key, ll_test_rand());
        k++;
    }
    return n;
}

static void check_gets(struct fx *f)
{
    for (size_t i = 0; i < f->ref.n; i++) {
        bool found = false;
        uint8_t vh[32];
        ASSERT_OK(ll_smt_get(&f->st, &found, vh, f->root, f->ref.e[i].key));
        ASSERT_TRUE(found);
        ASSERT_MEM_EQ(vh, f->ref.e[i].vh, 32);
    }
    for (int i = 0; i < 20; i++) {
        uint8_t key[32];
        uint8_t vh[32];
        bool found = true;
        bool hit;
        rand_key(&f->ref, key);
        (void)ref_find(&f->ref, key, &hit);
        ASSERT_OK(ll_smt_get(&f->st, &found, vh, f->root, key));
        ASSERT_TRUE(found == hit);
    }
}

/* Results must say what the model says. */
static void check_results(const struct ref *r, const uint8_t *keys, size_t n,
                          const struct ll_smt_result *res)
{
    for (size_t i = 0; i < n; i++) {
        bool hit;
        size_t j = ref_find(r, keys + 32 * i, &hit);
        ASSERT_TRUE(res[i].present == hit);
        ASSERT_MEM_EQ(res[i].value_hash, hit ? r->e[j].vh : zero32, 32);
    }
}

/* Prove keys, verify, compare with the model; returns the proof. */
static void prove_check(struct fx *f, struct ll_buf *proof, const uint8_t *keys,
                        size_t n)
{
    struct ll_smt_result res[64];
    uint8_t root[32];
    ASSERT_LE(n, LL_ARRAY_LEN(res));
    ll_buf_init(proof, PROOF_MAX);
    ASSERT_OK(ll_smt_prove(&f->st, proof, f->root, keys, n));
    ASSERT_OK(ll_smt_verify(res, f->root, keys, n, proof->data, proof->len));
    check_results(&f->ref, keys, n, res);
    ASSERT_OK(ll_smt_proof_root(root, res, keys, n, proof->data, proof->len));
    ASSERT_MEM_EQ(root, f->root, 32);
}

/* Distinct random keys: present ones from the model, absent ones too. */
static size_t rand_query(const struct ref *r, uint8_t (*keys)[32], size_t max)
{
    size_t n = 1 + ll_test_rand_below((uint32_t)max);
    size_t k = 0;
    while (k < n) {
        uint8_t key[32];
        if (r->n > 0 && ll_test_rand_below(2) == 0)
            memcpy(key, r->e[ll_test_rand_below((uint32_t)r->n)].key, 32);
        else
            rand_key(r, key);
        bool dup = false;
        for (size_t i = 0; i < k; i++)
            dup = dup || memcmp(keys[i], key, 32) == 0;
        if (!dup)
            memcpy(keys[k++], key, 32);
    }
    return n;
}

/* ---- mutations ----------------------------------------------------------- */

/*
 * Every change to a valid proof must be rejected: each bit flipped
 * (exhaustive up to 4096 bits, else 600 sampled), every truncation, an
 * appended byte, a wrong root. A proof checked with other keys either fails
 * or tells the truth about them.
 */
static void check_mutations(struct fx *f, const struct ll_buf *proof,
                            const uint8_t *keys, size_t n)
{
    struct ll_smt_result res[64];
    uint8_t *p = ll_malloc(proof->len + 1);
    size_t bits = proof->len * 8;
    bool all = bits <= 4096;
    ASSERT_NOT_NULL(p);
    memcpy(p, proof->data, proof->len);
    for (size_t s = 0; s < (all ? bits : 600); s++) {
        size_t b = all ? s : ll_test_rand_below((uint32_t)bits);
        p[b >> 3] = (uint8_t)(p[b >> 3] ^ (1u << (b & 7u)));
        ASSERT_FAILS(ll_smt_verify(res, f->root, keys, n, p, proof->len));
        p[b >> 3] = (uint8_t)(p[b >> 3] ^ (1u << (b & 7u)));
    }
    for (size_t len = 0; len < proof->len; len++)
        ASSERT_FAILS(ll_smt_verify(res, f->root, keys, n, p, len));
    p[proof->len] = (uint8_t)ll_test_rand();
    ASSERT_ERR(ll_smt_verify(res, f->root, keys, n, p, proof->len + 1),
               LL_ETRAILING);
    uint8_t bad[32];
    memcpy(bad, f->root, 32);
    bad[ll_test_rand_below(32)] ^= (uint8_t)(1u + ll_test_rand_below(255));
    ASSERT_ERR(ll_smt_verify(res, bad, keys, n, p, proof->len), LL_EPROOF);
    /* Other keys: fail, or the truth. */
    uint8_t(*other)[32] = ll_calloc(n, 32);
    ASSERT_NOT_NULL(other);
    for (int t = 0; t < 8 && n > 0; t++) {
        memcpy(other, keys, n * 32);
        size_t i = ll_test_rand_below((uint32_t)n);
        if (t % 2 == 0) {
            ll_test_rand_bytes(other[i], 32);
        } else {
            unsigned b = ll_test_rand_below(256);
            other[i][b >> 3] ^= (uint8_t)(0x80u >> (b & 7u));
        }
        int rc = ll_smt_verify(res, f->root, (const uint8_t *)other, n, p,
                               proof->len);
        if (rc == 0)
            check_results(&f->ref, (const uint8_t *)other, n, res);
    }
    ll_free(other);
    ll_free(p);
}

/* ---- cases: hashes and small maps ---------------------------------------- */

static void test_hashes(void)
{
    uint8_t a[32];
    uint8_t b[32];
    uint8_t k[32];
    uint8_t v[32];
    uint8_t msg[64];
    init_crypto();
    ll_smt_value_hash(a, "abc", 3);
    ll_tagged_hash_str(b, "lotledger/smt/value", "abc", 3);
    ASSERT_MEM_EQ(a, b, 32);
    ll_smt_value_hash(a, NULL, 0);
    ll_tagged_hash_str(b, "lotledger/smt/value", "", 0);
    ASSERT_MEM_EQ(a, b, 32);
    ll_test_rand_bytes(k, 32);
    ll_test_rand_bytes(v, 32);
    memcpy(msg, k, 32);
    memcpy(msg + 32, v, 32);
    ll_smt_leaf_hash(a, k, v);
    ll_tagged_hash_str(b, "lotledger/smt/leaf", msg, 64);
    ASSERT_MEM_EQ(a, b, 32);
    ll_smt_node_hash(a, k, v);
    ll_tagged_hash_str(b, "lotledger/smt/node", msg, 64);
    ASSERT_MEM_EQ(a, b, 32);
    /* Domain separation: the same 64 bytes give three different hashes. */
    ll_smt_leaf_hash(b, k, v);
    ASSERT_TRUE(memcmp(a, b, 32) != 0);
}

static void test_empty_map(void)
{
    struct fx f;
    struct ll_buf proof;
    struct ll_smt_result res[1];
    uint8_t key[1][32];
    uint8_t vh[32] = {1};
    bool found = true;
    fx_init(&f);
    ll_test_rand_bytes(key[0], 32);
    ASSERT_OK(ll_smt_get(&f.st, &found, vh, zero32, key[0]));
    ASSERT_FALSE(found);
    ASSERT_EQ(vh[0], 1);
    ll_buf_init(&proof, 100);
    ASSERT_OK(ll_smt_prove(&f.st, &proof, zero32, key[0], 1));
    ASSERT_UEQ(proof.len, 2);
    ASSERT_MEM_EQ(proof.data, "\x01\x00", 2);
    ASSERT_OK(ll_smt_verify(res, zero32, key[0], 1, proof.data, proof.len));
    ASSERT_FALSE(res[0].present);
    /* No keys at all: the root alone. */
    ll_buf_reset(&proof);
    ASSERT_OK(ll_smt_prove(&f.st, &proof, zero32, NULL, 0));
    ASSERT_OK(ll_smt_verify(NULL, zero32, NULL, 0, proof.data, proof.len));
    ll_buf_free(&proof);
    ASSERT_UEQ(ll_smt_mem_count(f.mem), 0);
    fx_free(&f);
}

static void test_single_key(void)
{
    struct fx f;
    struct ll_smt_kv kv;
    uint8_t key[32];
    uint8_t leaf[32];
    fx_init(&f);
    ll_test_rand_bytes(key, 32);
    kv_set(&kv, key, 7);
    fx_apply(&f, &kv, 1);
    ll_smt_leaf_hash(leaf, key, kv.value_hash);
    ASSERT_MEM_EQ(f.root, leaf, 32);
    ASSERT_UEQ(ll_smt_mem_count(f.mem), 1);
    /* Same value again: same root, nothing new stored. */
    fx_apply(&f, &kv, 1);
    ASSERT_UEQ(ll_smt_mem_count(f.mem), 1);
    kv_del(&kv, key);
    fx_apply(&f, &kv, 1);
    ASSERT_MEM_EQ(f.root, zero32, 32);
    /* Deleting from the empty map is a no-op. */
    fx_apply(&f, &kv, 1);
    ASSERT_MEM_EQ(f.root, zero32, 32);
    fx_free(&f);
}

/* Keys that differ only in their last bits: the deepest possible paths. */
static void test_deep_keys(void)
{
    struct fx f;
    struct ll_smt_kv kvs[4];
    uint8_t keys[4][32];
    struct ll_buf proof;
    fx_init(&f);
    ll_test_rand_bytes(keys[0], 32);
    for (int i = 0; i < 4; i++) {
        memcpy(keys[i], keys[0], 32);
        keys[i][31] = (uint8_t)((keys[i][31] & 0xfc) | i);
        kv_set(&kvs[i], keys[i], (uint64_t)i);
    }
    fx_apply(&f, kvs, 4);
    /* Inner nodes at depths 0..253 (one each), 254 (one), 255 (two). */
    ASSERT_UEQ(ll_smt_mem_count(f.mem), 4 + 254 + 1 + 2);
    check_gets(&f);
    prove_check(&f, &proof, (const uint8_t *)keys, 4);
    /* Version, 254 x (INNER, EMPTY sibling), 3 INNER, 4 LEAF. */
    ASSERT_UEQ(proof.len, 1 + 254 * 2 + 3 + 4 * 65);
    check_mutations(&f, &proof, (const uint8_t *)keys, 4);
    ll_buf_free(&proof);
    prove_check(&f, &proof, (const uint8_t *)keys + 1, 1);
    check_mutations(&f, &proof, (const uint8_t *)keys + 1, 1);
    ll_buf_free(&proof);
    /* Delete three: the last leaf rises to the root. */
    for (int i = 0; i < 3; i++)
        kv_del(&kvs[i], keys[i]);
    fx_apply(&f, kvs, 3);
    uint8_t leaf[32];
    ll_smt_leaf_hash(leaf, keys[3], kvs[3].value_hash);
    ASSERT_MEM_EQ(f.root, leaf, 32);
    fx_free(&f);
}

/*
 * Golden vectors (also in docs/smt.md): three entries, keys 00.., 80..,
 * c0.., values "one", "two", "three". Tree: INNER(LEAF k1, INNER(LEAF k2,
 * LEAF k3)).
 */
static void golden_map(struct fx *f, uint8_t keys[3][32])
{
    static const char *const vals[3] = {"one", "two", "three"};
    struct ll_smt_kv kvs[3];
    memset(keys, 0, (size_t)3 * 32);
    keys[1][0] = 0x80;
    keys[2][0] = 0xc0;
    for (int i = 0; i < 3; i++) {
        memcpy(kvs[i].key, keys[i], 32);
        ll_smt_value_hash(kvs[i].value_hash, vals[i], strlen(vals[i]));
        kvs[i].del = false;
    }
    fx_apply(f, kvs, 3);
}

static void test_golden(void)
{
    struct fx f;
    uint8_t keys[3][32];
    uint8_t q[2][32];
    uint8_t want[32];
    struct ll_buf proof;
    char hex[2 * 400 + 1];
    fx_init(&f);
    golden_map(&f, keys);
    hex32(want,
          "5f4bf6a5f6c6117561b1a85006863ae4e9230996fa97300bd522021480384a83");
    ASSERT_MEM_EQ(f.root, want, 32);
    /* Membership of k2 and absence of 40..: one proof. */
    memcpy(q[0], keys[1], 32);
    memset(q[1], 0, 32);
    q[1][0] = 0x40;
    prove_check(&f, &proof, (const uint8_t *)q, 2);
    ASSERT_OK(ll_hex_encode(hex, sizeof(hex), proof.data, proof.len));
    ASSERT_STR_EQ(
        hex,
        "010201"
        "0000000000000000000000000000000000000000000000000000000000000000"
        "0ba45617e4502ad8168acbd38247f7bf16b351d50c6a2565cb0c10cdc24e0d3b"
        "0201"
        "8000000000000000000000000000000000000000000000000000000000000000"
        "3e05476b839ecf3bcc10344271ae472f85dbe00b3ff290c7f940dda168ff3533"
        "03fc6389eb257758bd7469486c97a9654033f139938f1860d722862b2d4f9bb210");
    ll_buf_free(&proof);
    fx_free(&f);
}

/* ---- cases: properties --------------------------------------------------- */

static void test_random_batches(void)
{
    struct fx f;
    struct ll_smt_kv kvs[64];
    uint8_t q[16][32];
    fx_init(&f);
    for (int round = 0; round < 60; round++) {
        size_t n = rand_batch(&f.ref, kvs, LL_ARRAY_LEN(kvs));
        uint8_t before[32];
        memcpy(before, f.root, 32);
        fx_apply(&f, kvs, n);
        check_gets(&f);
        for (int t = 0; t < 4; t++) {
            struct ll_buf proof;
            size_t nq = rand_query(&f.ref, q, LL_ARRAY_LEN(q));
            prove_check(&f, &proof, (const uint8_t *)q, nq);
            if (round % 15 == 0 && t == 0)
                check_mutations(&f, &proof, (const uint8_t *)q, nq);
            ll_buf_free(&proof);
        }
    }
    fx_free(&f);
}

/* The root depends on the set only: any order, any split into batches. */
static void test_history_independence(void)
{
    enum { N = 300 };
    struct fx a;
    struct fx b;
    struct ll_smt_kv *kvs = ll_calloc(N, sizeof(*kvs));
    ASSERT_NOT_NULL(kvs);
    fx_init(&a);
    fx_init(&b);
    for (size_t i = 0; i < N; i++) {
        uint8_t key[32];
        rand_key(&a.ref, key);
        while (in_batch(kvs, i, key))
            rand_key(&a.ref, key);
        kv_set(&kvs[i], key, i);
        ref_set(&a.ref, key, kvs[i].value_hash);
    }
    ll_free(a.ref.e);
    memset(&a.ref, 0, sizeof(a.ref));
    fx_apply(&a, kvs, N);
    /* b: reversed, in batches of 7, with extra keys inserted then deleted. */
    for (size_t i = 0; i < N / 2; i++) {
        struct ll_smt_kv t = kvs[i];
        kvs[i] = kvs[N - 1 - i];
        kvs[N - 1 - i] = t;
    }
    for (size_t i = 0; i < N; i += 7) {
        struct ll_smt_kv extra[2];
        fx_apply(&b, &kvs[i], i + 7 <= N ? 7 : N - i);
        ll_test_rand_bytes(extra[0].key, 32);
        kv_set(&extra[0], extra[0].key, 1);
        fx_apply(&b, extra, 1);
        kv_del(&extra[1], extra[0].key);
        fx_apply(&b, &extra[1], 1);
    }
    ASSERT_MEM_EQ(a.root, b.root, 32);
    ll_free(kvs);
    fx_free(&a);
    fx_free(&b);
}

static void test_delete_all(void)
{
    struct fx f;
    struct ll_smt_kv kvs[200];
    fx_init(&f);
    for (int round = 0; round < 5; round++) {
        size_t n = rand_batch(&f.ref, kvs, LL_ARRAY_LEN(kvs));
        fx_apply(&f, kvs, n);
    }
    ASSERT_GT(f.ref.n, 0);
    /* Delete in two batches (half, then the rest plus absent keys). */
    size_t total = f.ref.n;
    struct ll_smt_kv *del = ll_calloc(total + 10, sizeof(*del));
    ASSERT_NOT_NULL(del);
    for (size_t i = 0; i < total; i++)
        kv_del(&del[i], f.ref.e[i].key);
    for (size_t i = 0; i < 10; i++) {
        uint8_t key[32];
        ll_test_rand_bytes(key, 32);
        kv_del(&del[total + i], key);
    }
    fx_apply(&f, del, total / 2);
    check_gets(&f);
    fx_apply(&f, del + total / 2, total - total / 2 + 10);
    ASSERT_MEM_EQ(f.root, zero32, 32);
    ASSERT_UEQ(f.ref.n, 0);
    ll_free(del);
    fx_free(&f);
}

static void test_update_args(void)
{
    struct fx f;
    struct ll_smt_kv kvs[3];
    uint8_t root[32];
    uint8_t key[32];
    fx_init(&f);
    for (int i = 0; i < 3; i++) {
        ll_test_rand_bytes(key, 32);
        kv_set(&kvs[i], key, (uint64_t)i);
    }
    fx_apply(&f, kvs, 3);
    /* Zero changes keep the root and read nothing. */
    memset(root, 0xaa, 32);
    struct ll_smt_store nostore = {0};
    nostore.get = f.st.get;
    nostore.put = f.st.put;
    ASSERT_OK(ll_smt_update(&nostore, root, f.root, NULL, 0));
    ASSERT_MEM_EQ(root, f.root, 32);
    /* A key twice (even as set + delete) is refused; root untouched. */
    memset(root, 0xaa, 32);
    kvs[2] = kvs[0];
    kvs[2].del = true;
    ASSERT_ERR(ll_smt_update(&f.st, root, f.root, kvs, 3), LL_EINVAL);
    ASSERT_EQ(root[0], 0xaa);
    ASSERT_ERR(ll_smt_update(&f.st, root, f.root, NULL, 1), LL_EINVAL);
    nostore.put = NULL;
    ASSERT_ERR(ll_smt_update(&nostore, root, f.root, kvs, 1), LL_EINVAL);
    nostore.get = NULL;
    bool found;
    ASSERT_ERR(ll_smt_get(&nostore, &found, root, f.root, key), LL_EINVAL);
    struct ll_buf b;
    ll_buf_init(&b, 100);
    const uint8_t *k2 = kvs[0].key;
    ASSERT_ERR(ll_smt_prove(&nostore, &b, f.root, k2, 1), LL_EINVAL);
    ASSERT_ERR(ll_smt_prove(&f.st, &b, f.root, NULL, 1), LL_EINVAL);
    ll_buf_free(&b);
    /* Old roots stay readable after updates (nodes are never deleted). */
    uint8_t old[32];
    memcpy(old, f.root, 32);
    kv_del(&kvs[0], kvs[0].key);
    fx_apply(&f, kvs, 1);
    uint8_t vh[32];
    ASSERT_OK(ll_smt_get(&f.st, &found, vh, old, kvs[0].key));
    ASSERT_TRUE(found);
    ASSERT_OK(ll_smt_get(&f.st, &found, vh, f.root, kvs[0].key));
    ASSERT_FALSE(found);
    fx_free(&f);
}

/* A larger map in one batch, checked against the model. */
static void test_big_batch(void)
{
    enum { N = 20000 };
    struct fx f;
    struct ll_smt_kv *kvs = ll_calloc(N, sizeof(*kvs));
    uint8_t(*q)[32] = ll_calloc(50, 32);
    struct ll_buf proof;
    ASSERT_NOT_NULL(kvs);
    ASSERT_NOT_NULL(q);
    fx_init(&f);
    for (size_t i = 0; i < N; i++) {
        ll_test_rand_bytes(kvs[i].key, 32);
        kv_set(&kvs[i], kvs[i].key, i);
    }
    fx_apply(&f, kvs, N);
    /* One batch into an empty store writes exactly the final tree. */
    ASSERT_UEQ(ll_smt_mem_count(f.mem), ref_nodes(f.ref.e, f.ref.n, 0));
    size_t nq = rand_query(&f.ref, q, 50);
    prove_check(&f, &proof, (const uint8_t *)q, nq);
    check_mutations(&f, &proof, (const uint8_t *)q, nq);
    ll_buf_free(&proof);
    ll_free(q);
    ll_free(kvs);
    fx_free(&f);
}

/* ---- cases: handmade proofs, one rule each ------------------------------- */

/* A proof item tree: emitted in pre-order, hashed bottom-up. */
struct titem {
    uint8_t tag;
    const uint8_t *key; /* LEAF key; HASH: the hash */
    const uint8_t *vh;  /* LEAF value hash */
    const struct titem *l;
    const struct titem *r;
};

static void t_emit(struct ll_buf *b, uint8_t hash[32], const struct titem *t)
{
    uint8_t h[2][32];
    ASSERT_OK(ll_buf_append_byte(b, t->tag));
    switch (t->tag) {
    case LL_SMT_PROOF_LEAF:
        ASSERT_OK(ll_buf_append(b, t->key, 32));
        ASSERT_OK(ll_buf_append(b, t->vh, 32));
        ll_smt_leaf_hash(hash, t->key, t->vh);
        break;
    case LL_SMT_PROOF_INNER:
        t_emit(b, h[0], t->l);
        t_emit(b, h[1], t->r);
        ll_smt_node_hash(hash, h[0], h[1]);
        break;
    case LL_SMT_PROOF_HASH:
        ASSERT_OK(ll_buf_append(b, t->key, 32));
        memcpy(hash, t->key, 32);
        break;
    default:
        memset(hash, 0, 32);
        break;
    }
}

/* Emit version + tree and verify against the root it hashes to. */
static int t_verify(const struct titem *t, const uint8_t *keys, size_t n,
                    struct ll_smt_result *res)
{
    struct ll_buf b;
    uint8_t root[32];
    ll_buf_init(&b, PROOF_MAX);
    ASSERT_OK(ll_buf_append_byte(&b, LL_SMT_PROOF_VERSION));
    t_emit(&b, root, t);
    int rc = ll_smt_verify(res, root, keys, n, b.data, b.len);
    ll_buf_free(&b);
    return rc;
}

static void test_proof_rules(void)
{
    /* k0 goes left at the root, k1 right; k0b shares k0's first bit. */
    static uint8_t k0[32];
    static uint8_t k0b[32] = {0x40};
    static uint8_t k1[32] = {0x80};
    static uint8_t v[32] = {0x11};
    static uint8_t x[32] = {0x22};
    static uint8_t y[32] = {0x33};
    const struct titem e = {LL_SMT_PROOF_EMPTY, NULL, NULL, NULL, NULL};
    const struct titem l0 = {LL_SMT_PROOF_LEAF, k0, v, NULL, NULL};
    const struct titem l0b = {LL_SMT_PROOF_LEAF, k0b, v, NULL, NULL};
    const struct titem l1 = {LL_SMT_PROOF_LEAF, k1, v, NULL, NULL};
    const struct titem hx = {LL_SMT_PROOF_HASH, x, NULL, NULL, NULL};
    const struct titem hy = {LL_SMT_PROOF_HASH, y, NULL, NULL, NULL};
    const struct titem hz = {LL_SMT_PROOF_HASH, zero32, NULL, NULL, NULL};
    const struct titem bad4 = {4, NULL, NULL, NULL, NULL};
    const struct titem hxy = {LL_SMT_PROOF_INNER, NULL, NULL, &hx, &hy};
    const struct titem i_ee = {LL_SMT_PROOF_INNER, NULL, NULL, &e, &e};
    const struct titem i_el1 = {LL_SMT_PROOF_INNER, NULL, NULL, &e, &l1};
    const struct titem i_l0e = {LL_SMT_PROOF_INNER, NULL, NULL, &l0, &e};
    const struct titem i_l0hx = {LL_SMT_PROOF_INNER, NULL, NULL, &l0, &hx};
    const struct titem i_l0bhx = {LL_SMT_PROOF_INNER, NULL, NULL, &l0b, &hx};
    const struct titem i_hxl1 = {LL_SMT_PROOF_INNER, NULL, NULL, &hx, &l1};
    const struct titem i_l0hz = {LL_SMT_PROOF_INNER, NULL, NULL, &l0, &hz};
    const struct titem i_l0l1 = {LL_SMT_PROOF_INNER, NULL, NULL, &l0, &l1};
    const struct titem i_l0i = {LL_SMT_PROOF_INNER, NULL, NULL, &l0, &hxy};
    const struct titem i_l1hx = {LL_SMT_PROOF_INNER, NULL, NULL, &l1, &hx};
    const struct titem i_ehx = {LL_SMT_PROOF_INNER, NULL, NULL, &e, &hx};
    const struct titem i_l0bad = {LL_SMT_PROOF_INNER, NULL, NULL, &l0, &bad4};
    const uint8_t *q0 = k0;
    const uint8_t *q1 = k1;
    uint8_t q01[2][32];
    struct ll_smt_result res[2];
    memcpy(q01[0], k0, 32);
    memcpy(q01[1], k1, 32);
    const struct {
        const char *name;
        const struct titem *t;
        const uint8_t *keys;
        size_t n;
        int rc;
    } cases[] = {
        {"empty map", &e, q0, 1, 0},
        {"root leaf, present", &l0, q0, 1, 0},
        {"root leaf, absent", &l1, q0, 1, 0},
        {"no keys, hash root", &hx, NULL, 0, 0},
        {"no keys, empty root", &e, NULL, 0, 0},
        {"no keys, leaf root", &l0, NULL, 0, LL_EPROOF},
        {"no keys, inner root", &hxy, NULL, 0, LL_EPROOF},
        {"hash on the path", &hx, q0, 1, LL_EPROOF},
        {"inner(empty, empty)", &i_ee, q0, 1, LL_EPROOF},
        {"inner(empty, leaf)", &i_el1, (const uint8_t *)q01, 2, LL_EPROOF},
        {"inner(leaf, empty)", &i_l0e, q0, 1, LL_EPROOF},
        {"inner(empty, hash)", &i_ehx, q0, 1, 0},
        {"inner(leaf, hash)", &i_l0hx, q0, 1, 0},
        {"inner(leaf, hash), other leaf", &i_l0bhx, q0, 1, 0},
        {"inner(hash, leaf)", &i_hxl1, q1, 1, 0},
        {"hash where a key goes", &i_hxl1, (const uint8_t *)q01, 2, LL_EPROOF},
        {"zero hash", &i_l0hz, q0, 1, LL_EPROOF},
        {"leaf off the path", &i_l0l1, q0, 1, LL_EPROOF},
        {"inner off the path", &i_l0i, q0, 1, LL_EPROOF},
        {"leaf with the wrong prefix", &i_l1hx, q0, 1, LL_EPROOF},
        {"unknown tag", &i_l0bad, q0, 1, LL_EDECODE},
        {"both leaves", &i_l0l1, (const uint8_t *)q01, 2, 0},
    };
    init_crypto();
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        int rc = t_verify(cases[i].t, cases[i].keys, cases[i].n, res);
        if (rc != cases[i].rc)
            ll_test_fail(__FILE__, __LINE__, "%s: got %s, want %s",
                         cases[i].name, ll_err_name(rc),
                         ll_err_name(cases[i].rc));
    }
    ASSERT_OK(t_verify(&i_l0bhx, q0, 1, res));
    ASSERT_FALSE(res[0].present);
    ASSERT_OK(t_verify(&l0, q0, 1, res));
    ASSERT_TRUE(res[0].present);
    ASSERT_MEM_EQ(res[0].value_hash, v, 32);
}

static void test_proof_encoding_errors(void)
{
    static const uint8_t k0[32];
    static const uint8_t leaf_short[] = {1, 1, 0, 0};
    static const uint8_t hash_short[] = {1, 2, 0};
    struct ll_smt_result res[2];
    uint8_t dup[2][32] = {{0}};
    init_crypto();
    ASSERT_ERR(ll_smt_verify(res, zero32, k0, 1, NULL, 0), LL_ETRUNC);
    ASSERT_ERR(
        ll_smt_verify(res, zero32, k0, 1, (const uint8_t *)"\x00\x00", 2),
        LL_EVERSION);
    ASSERT_ERR(
        ll_smt_verify(res, zero32, k0, 1, (const uint8_t *)"\x02\x00", 2),
        LL_EVERSION);
    ASSERT_ERR(ll_smt_verify(res, zero32, k0, 1, (const uint8_t *)"\x01", 1),
               LL_ETRUNC);
    ASSERT_ERR(
        ll_smt_verify(res, zero32, k0, 1, (const uint8_t *)"\x01\xff", 2),
        LL_EDECODE);
    ASSERT_ERR(
        ll_smt_verify(res, zero32, k0, 1, (const uint8_t *)"\x01\x00\x00", 3),
        LL_ETRAILING);
    ASSERT_ERR(ll_smt_verify(res, zero32, k0, 1, leaf_short, 4), LL_ETRUNC);
    ASSERT_ERR(ll_smt_verify(res, zero32, k0, 1, hash_short, 3), LL_ETRUNC);
    /* Arguments. */
    ASSERT_ERR(ll_smt_verify(res, zero32, (const uint8_t *)dup, 2,
                             (const uint8_t *)"\x01\x00", 2),
               LL_EINVAL);
    ASSERT_ERR(
        ll_smt_verify(res, zero32, NULL, 1, (const uint8_t *)"\x01\x00", 2),
        LL_EINVAL);
    ASSERT_ERR(
        ll_smt_verify(NULL, zero32, k0, 1, (const uint8_t *)"\x01\x00", 2),
        LL_EINVAL);
    ASSERT_ERR(ll_smt_verify(res, zero32, k0, 1, NULL, 2), LL_EINVAL);
    /* Results are written only on success. */
    memset(res, 0x77, sizeof(res));
    uint8_t one[32] = {1};
    ASSERT_ERR(ll_smt_verify(res, one, k0, 1, (const uint8_t *)"\x01\x00", 2),
               LL_EPROOF);
    ASSERT_EQ(res[0].value_hash[0], 0x77);
}

/* 256 INNER items down the path of the zero key: legal up to depth 255. */
static void test_proof_depth(void)
{
    static uint8_t k0[32];
    static uint8_t v[32] = {9};
    static uint8_t x[32] = {0x22};
    struct titem *chain = ll_calloc(LL_SMT_MAX_DEPTH + 2, sizeof(*chain));
    struct ll_smt_result res[1];
    const struct titem hx = {LL_SMT_PROOF_HASH, x, NULL, NULL, NULL};
    const struct titem leaf = {LL_SMT_PROOF_LEAF, k0, v, NULL, NULL};
    const uint8_t *q = k0;
    init_crypto();
    ASSERT_NOT_NULL(chain);
    for (size_t d = 0; d < LL_SMT_MAX_DEPTH; d++) {
        chain[d].tag = LL_SMT_PROOF_INNER;
        chain[d].l = &chain[d + 1];
        chain[d].r = &hx;
    }
    chain[LL_SMT_MAX_DEPTH] = leaf;
    ASSERT_OK(t_verify(chain, q, 1, res));
    ASSERT_TRUE(res[0].present);
    /* One level more: an inner node at depth 256. */
    chain[LL_SMT_MAX_DEPTH].tag = LL_SMT_PROOF_INNER;
    chain[LL_SMT_MAX_DEPTH].l = &chain[LL_SMT_MAX_DEPTH + 1];
    chain[LL_SMT_MAX_DEPTH].r = &hx;
    chain[LL_SMT_MAX_DEPTH + 1] = leaf;
    ASSERT_ERR(t_verify(chain, q, 1, res), LL_EPROOF);
    ll_free(chain);
}

/* ---- cases: a hostile or failing store ----------------------------------- */

enum evil_mode {
    EVIL_NONE,
    EVIL_FLIP,   /* flip a byte of every node read */
    EVIL_TYPE,   /* type byte 2 */
    EVIL_GETERR, /* get fails with LL_ESTORE */
    EVIL_GETPOS, /* get returns a positive number */
    EVIL_PUTERR, /* put fails with LL_ESTORE */
};

struct evil {
    struct ll_smt_store inner;
    enum evil_mode mode;
};

static int evil_get(void *ctx, uint8_t node[LL_SMT_NODE_LEN],
                    const uint8_t hash[32])
{
    const struct evil *e = ctx;
    if (e->mode == EVIL_GETERR)
        return LL_ESTORE;
    if (e->mode == EVIL_GETPOS)
        return 2; /* 1 is LL_SMT_GET_VERIFIED */
    int rc = e->inner.get(e->inner.ctx, node, hash);
    if (rc == 0 && e->mode == EVIL_FLIP)
        node[40] ^= 1;
    if (rc == 0 && e->mode == EVIL_TYPE)
        node[0] = 2;
    return rc;
}

static int evil_put(void *ctx, const uint8_t hash[32],
                    const uint8_t node[LL_SMT_NODE_LEN])
{
    const struct evil *e = ctx;
    if (e->mode == EVIL_PUTERR)
        return LL_ESTORE;
    return e->inner.put(e->inner.ctx, hash, node);
}

static void test_store_errors(void)
{
    static const struct {
        enum evil_mode mode;
        int rc;
    } cases[] = {
        {EVIL_FLIP, LL_ECORRUPT},
        {EVIL_TYPE, LL_ECORRUPT},
        {EVIL_GETERR, LL_ESTORE},
        {EVIL_GETPOS, LL_ESTORE},
    };
    struct fx f;
    struct ll_smt_kv kvs[20];
    uint8_t q[1][32];
    fx_init(&f);
    for (int i = 0; i < 20; i++) {
        ll_test_rand_bytes(q[0], 32);
        kv_set(&kvs[i], q[0], (uint64_t)i);
    }
    fx_apply(&f, kvs, 20);
    memcpy(q[0], kvs[3].key, 32);
    struct evil e = {.inner = f.st};
    struct ll_smt_store st = {.get = evil_get, .put = evil_put, .ctx = &e};
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        bool found = true;
        uint8_t vh[32];
        uint8_t root[32] = {0x55};
        struct ll_buf b;
        struct ll_smt_kv kv;
        e.mode = cases[i].mode;
        ASSERT_ERR(ll_smt_get(&st, &found, vh, f.root, q[0]), cases[i].rc);
        ASSERT_TRUE(found);
        ll_buf_init(&b, PROOF_MAX);
        ASSERT_OK(ll_buf_append(&b, "xyz", 3));
        ASSERT_ERR(ll_smt_prove(&st, &b, f.root, q[0], 1), cases[i].rc);
        ASSERT_UEQ(b.len, 3);
        ll_buf_free(&b);
        kv_set(&kv, q[0], 99);
        ASSERT_ERR(ll_smt_update(&st, root, f.root, &kv, 1), cases[i].rc);
        ASSERT_EQ(root[0], 0x55);
    }
    /* A failing put: error passes through, the old root is intact. */
    struct ll_smt_kv kv;
    uint8_t root[32] = {0x55};
    struct evil *ep = st.ctx; /* evil_put reads the mode through ctx */
    ep->mode = EVIL_PUTERR;
    kv_set(&kv, q[0], 99);
    ASSERT_ERR(ll_smt_update(&st, root, f.root, &kv, 1), LL_ESTORE);
    ASSERT_EQ(root[0], 0x55);
    check_gets(&f);
    /* A root that is not in the store. */
    bool found;
    uint8_t vh[32];
    ll_test_rand_bytes(root, 32);
    ASSERT_ERR(ll_smt_get(&f.st, &found, vh, root, q[0]), LL_ENOTFOUND);
    ASSERT_ERR(ll_smt_update(&f.st, root, root, &kv, 1), LL_ENOTFOUND);
    fx_free(&f);
}

/* A store whose puts stay pending, unseen by get, until committed. */
struct buffered {
    struct ll_smt_store committed;
    uint8_t (*pending)[32 + LL_SMT_NODE_LEN];
    size_t npending;
    size_t cap;
};

static int buffered_get(void *ctx, uint8_t node[LL_SMT_NODE_LEN],
                        const uint8_t hash[32])
{
    const struct buffered *bs = ctx;
    return bs->committed.get(bs->committed.ctx, node, hash);
}

static int buffered_put(void *ctx, const uint8_t hash[32],
                        const uint8_t node[LL_SMT_NODE_LEN])
{
    struct buffered *bs = ctx;
    if (bs->npending == bs->cap) {
        bs->cap = bs->cap ? bs->cap * 2 : 256;
        bs->pending =
            ll_reallocarray(bs->pending, bs->cap, sizeof(*bs->pending));
        ASSERT_NOT_NULL(bs->pending);
    }
    memcpy(bs->pending[bs->npending], hash, 32);
    memcpy(bs->pending[bs->npending] + 32, node, LL_SMT_NODE_LEN);
    bs->npending++;
    return 0;
}

/* An update never reads its own puts, so buffered puts are enough. */
static void test_buffered_puts(void)
{
    struct fx f;
    struct ll_smt_kv kvs[64];
    fx_init(&f);
    struct buffered bs = {.committed = f.st};
    struct ll_smt_store st = {
        .get = buffered_get, .put = buffered_put, .ctx = &bs};
    for (int round = 0; round < 40; round++) {
        size_t n = rand_batch(&f.ref, kvs, LL_ARRAY_LEN(kvs));
        uint8_t want[32];
        ASSERT_OK(ll_smt_update(&st, f.root, f.root, kvs, n));
        ref_apply(&f.ref, kvs, n);
        ref_root(&f.ref, want);
        ASSERT_MEM_EQ(f.root, want, 32);
        for (size_t i = 0; i < bs.npending; i++)
            ASSERT_OK(f.st.put(f.st.ctx, bs.pending[i], bs.pending[i] + 32));
        bs.npending = 0;
        check_gets(&f);
    }
    ll_free(bs.pending);
    fx_free(&f);
}

/*
 * A store read by position only (get is NULL): get_at checks that the
 * depth and path it is told are where the node was reached from (a node's
 * children are learnt when it is read; each read of the root starts a new
 * walk) and that a leaf's key starts with that path.
 */
struct positional {
    struct ll_smt_store inner;
    const uint8_t *root; /* the root being read */
    struct {
        uint8_t hash[32];
        uint8_t path[32];
        unsigned depth;
    } seen[1 << 15];
    size_t nseen;
    size_t reads;
};

static unsigned seen_depth(const struct positional *p, const uint8_t hash[32],
                           const uint8_t *ref)
{
    for (size_t i = p->nseen; i-- > 0;) {
        if (memcmp(p->seen[i].hash, hash, 32) != 0)
            continue;
        for (unsigned b = 0; b < p->seen[i].depth; b++)
            ASSERT_UEQ(bit_of(ref, b), bit_of(p->seen[i].path, b));
        return p->seen[i].depth;
    }
    ll_test_fail(__FILE__, __LINE__,
                 "get_at: a node not reached from the root");
    return 0;
}

/* Learn where the children of an inner node read at (depth, ref) sit. */
static void learn_children(struct positional *p,
                           const uint8_t node[LL_SMT_NODE_LEN],
                           const uint8_t ref[32], unsigned depth)
{
    for (unsigned s = 0; s < 2; s++) {
        ASSERT_LT(p->nseen, LL_ARRAY_LEN(p->seen));
        memcpy(p->seen[p->nseen].hash, node + 1 + (size_t)32 * s, 32);
        memcpy(p->seen[p->nseen].path, ref, 32);
        p->seen[p->nseen].path[depth / 8] &= (uint8_t) ~(0x80u >> (depth % 8));
        p->seen[p->nseen].path[depth / 8] |= (uint8_t)(s << (7 - depth % 8));
        p->seen[p->nseen].depth = depth + 1;
        p->nseen++;
    }
}

static int positional_get_at(void *ctx, uint8_t node[LL_SMT_NODE_LEN],
                             const uint8_t hash[32], const uint8_t ref[32],
                             unsigned depth)
{
    struct positional *p = ctx;
    if (depth == 0) {
        ASSERT_MEM_EQ(hash, p->root, 32);
        p->nseen = 0;
    } else {
        ASSERT_UEQ(seen_depth(p, hash, ref), depth);
    }
    int rc = p->inner.get(p->inner.ctx, node, hash);
    if (rc)
        return rc;
    p->reads++;
    if (node[0] == LL_SMT_NODE_INNER)
        learn_children(p, node, ref, depth);
    for (unsigned b = 0; node[0] == LL_SMT_NODE_LEAF && b < depth; b++)
        ASSERT_UEQ(bit_of(node + 1, b), bit_of(ref, b));
    return rc;
}

static int positional_put(void *ctx, const uint8_t hash[32],
                          const uint8_t node[LL_SMT_NODE_LEN])
{
    const struct positional *p = ctx;
    return p->inner.put(p->inner.ctx, hash, node);
}

/* Updates, lookups and proofs read through get_at when a store has it. */
static void test_get_at(void)
{
    struct fx f;
    struct ll_smt_kv kvs[64];
    uint8_t q[16][32];
    struct positional *p = ll_calloc(1, sizeof(*p));
    ASSERT_NOT_NULL(p);
    fx_init(&f);
    p->inner = f.st;
    p->root = f.root;
    f.st.get = NULL;
    f.st.get_at = positional_get_at;
    f.st.put = positional_put;
    f.st.ctx = p;
    for (int round = 0; round < 40; round++) {
        size_t n = rand_batch(&f.ref, kvs, LL_ARRAY_LEN(kvs));
        fx_apply(&f, kvs, n);
        check_gets(&f);
        struct ll_buf proof;
        size_t nq = rand_query(&f.ref, q, LL_ARRAY_LEN(q));
        prove_check(&f, &proof, (const uint8_t *)q, nq);
        ll_buf_free(&proof);
    }
    ASSERT_GT(p->reads, 1000);
    f.st.get_at = NULL;
    ASSERT_ERR(ll_smt_get(&f.st, &(bool){false}, q[0], f.root, q[0]),
               LL_EINVAL);
    ll_free(p);
    fx_free(&f);
}

/* Put a handmade node under its own hash. */
static void put_raw(struct fx *f, uint8_t hash[32], uint8_t type,
                    const uint8_t *a, const uint8_t *b)
{
    uint8_t node[LL_SMT_NODE_LEN];
    node[0] = type;
    memcpy(node + 1, a, 32);
    memcpy(node + 33, b, 32);
    if (type == LL_SMT_NODE_LEAF)
        ll_smt_leaf_hash(hash, a, b);
    else
        ll_smt_node_hash(hash, a, b);
    ASSERT_OK(f->st.put(f->st.ctx, hash, node));
}

/* Every operation on the path of key through root must see corruption. */
static void expect_corrupt(struct fx *f, const uint8_t root[32],
                           const uint8_t key[32])
{
    bool found;
    uint8_t vh[32];
    uint8_t nr[32];
    struct ll_buf b;
    struct ll_smt_kv kv;
    ASSERT_ERR(ll_smt_get(&f->st, &found, vh, root, key), LL_ECORRUPT);
    ll_buf_init(&b, PROOF_MAX);
    ASSERT_ERR(ll_smt_prove(&f->st, &b, root, (const uint8_t *)key, 1),
               LL_ECORRUPT);
    ll_buf_free(&b);
    kv_set(&kv, key, 5);
    ASSERT_ERR(ll_smt_update(&f->st, nr, root, &kv, 1), LL_ECORRUPT);
    kv_del(&kv, key);
    ASSERT_ERR(ll_smt_update(&f->st, nr, root, &kv, 1), LL_ECORRUPT);
}

/* Nodes that hash correctly but break a shape rule. */
static void test_store_shapes(void)
{
    struct fx f;
    uint8_t kl[32] = {0};     /* goes left */
    uint8_t kr[32] = {0x80};  /* goes right */
    uint8_t kr2[32] = {0xc0}; /* goes right, then right */
    uint8_t v[32] = {1};
    uint8_t hl[32];
    uint8_t hr[32];
    uint8_t hr2[32];
    uint8_t root[32];
    fx_init(&f);
    put_raw(&f, hl, LL_SMT_NODE_LEAF, kl, v);
    put_raw(&f, hr, LL_SMT_NODE_LEAF, kr, v);
    put_raw(&f, hr2, LL_SMT_NODE_LEAF, kr2, v);
    /* inner(empty, empty) */
    put_raw(&f, root, LL_SMT_NODE_INNER, zero32, zero32);
    expect_corrupt(&f, root, kl);
    /* inner(empty, leaf): seen on the way to the leaf, and by a delete on
     * the empty side that would have to lift it. */
    put_raw(&f, root, LL_SMT_NODE_INNER, zero32, hr);
    expect_corrupt(&f, root, kr);
    struct ll_smt_kv kv;
    uint8_t nr[32];
    kv_del(&kv, kl);
    ASSERT_ERR(ll_smt_update(&f.st, nr, root, &kv, 1), LL_ECORRUPT);
    /* inner(leaf, empty) */
    put_raw(&f, root, LL_SMT_NODE_INNER, hl, zero32);
    expect_corrupt(&f, root, kl);
    /* A leaf on the wrong side: kr under the left branch. */
    put_raw(&f, root, LL_SMT_NODE_INNER, hr, hr2);
    expect_corrupt(&f, root, kl);
    /* An inner node at depth 256 on the zero key's path. */
    put_raw(&f, root, LL_SMT_NODE_INNER, hl, hr);
    for (int d = 0; d < LL_SMT_MAX_DEPTH; d++) {
        uint8_t h[32];
        memcpy(h, root, 32);
        put_raw(&f, root, LL_SMT_NODE_INNER, h, hr);
    }
    expect_corrupt(&f, root, kl);
    fx_free(&f);
}

/* ---- cases: allocation failure ------------------------------------------- */

static void test_alloc_fail_update(void)
{
    struct fx f;
    struct ll_smt_kv kvs[100];
    int failures = 0;
    fx_init(&f);
    for (int round = 0; round < 12; round++) {
        size_t n = rand_batch(&f.ref, kvs, LL_ARRAY_LEN(kvs));
        uint8_t root[32];
        for (uint64_t k = 1;; k++) {
            memset(root, 0xaa, 32);
            (void)ll_alloc_fail_at(k);
            int rc = ll_smt_update(&f.st, root, f.root, kvs, n);
            bool fired = ll_alloc_failed();
            (void)ll_alloc_fail_at(0);
            if (rc == 0) {
                ASSERT_FALSE(fired);
                break;
            }
            ASSERT_ERR(rc, LL_ENOMEM);
            ASSERT_EQ(root[0], 0xaa);
            failures++;
            /* The old root is still whole. */
            check_gets(&f);
        }
        ref_apply(&f.ref, kvs, n);
        uint8_t want[32];
        ref_root(&f.ref, want);
        ASSERT_MEM_EQ(root, want, 32);
        memcpy(f.root, root, 32);
    }
    /* Sorting, chunks and slot growth each failed at least once. */
    ASSERT_GT(failures, 12 + 3);
    fx_free(&f);
}

static void test_alloc_fail_proofs(void)
{
    struct fx f;
    struct ll_smt_kv kvs[200];
    uint8_t q[40][32];
    struct ll_buf good;
    struct ll_smt_result res[40];
    fx_init(&f);
    size_t n = rand_batch(&f.ref, kvs, LL_ARRAY_LEN(kvs));
    fx_apply(&f, kvs, n);
    size_t nq;
    do {
        nq = rand_query(&f.ref, q, LL_ARRAY_LEN(q));
    } while (nq <= 16); /* more than the on-stack key arrays hold */
    ll_buf_init(&good, PROOF_MAX);
    ASSERT_OK(ll_smt_prove(&f.st, &good, f.root, (const uint8_t *)q, nq));
    for (uint64_t k = 1;; k++) {
        struct ll_buf b;
        ll_buf_init(&b, PROOF_MAX);
        (void)ll_alloc_fail_at(k);
        int rc = ll_smt_prove(&f.st, &b, f.root, (const uint8_t *)q, nq);
        (void)ll_alloc_fail_at(0);
        if (rc == 0) {
            ASSERT_UEQ(b.len, good.len);
            ASSERT_MEM_EQ(b.data, good.data, good.len);
            ll_buf_free(&b);
            break;
        }
        ASSERT_ERR(rc, LL_ENOMEM);
        ll_buf_free(&b);
    }
    for (uint64_t k = 1;; k++) {
        (void)ll_alloc_fail_at(k);
        int rc = ll_smt_verify(res, f.root, (const uint8_t *)q, nq, good.data,
                               good.len);
        (void)ll_alloc_fail_at(0);
        if (rc == 0)
            break;
        ASSERT_ERR(rc, LL_ENOMEM);
    }
    check_results(&f.ref, (const uint8_t *)q, nq, res);
    ll_buf_free(&good);
    /* The store itself. */
    struct ll_smt_mem *m = NULL;
    for (uint64_t k = 1; k <= 2; k++) {
        (void)ll_alloc_fail_at(k);
        ASSERT_ERR(ll_smt_mem_new(&m), LL_ENOMEM);
        (void)ll_alloc_fail_at(0);
        ASSERT_TRUE(m == NULL);
    }
    ll_smt_mem_free(NULL);
    fx_free(&f);
}

/* ---- cases: compact proofs of present keys ------------------------------- */

struct compact {
    struct ll_buf bits;
    struct ll_buf hashes;
    uint8_t (*vh)[32]; /* the model's value hash of each key */
};

/* Prove present keys, compact the proof, verify it with the model. */
static void compact_check(struct fx *f, struct compact *c, const uint8_t *keys,
                          size_t n)
{
    struct ll_buf proof;
    struct ll_smt_result res[64];
    ASSERT_LE(n, LL_ARRAY_LEN(res));
    prove_check(f, &proof, keys, n);
    ll_buf_init(&c->bits, PROOF_MAX);
    ll_buf_init(&c->hashes, PROOF_MAX);
    c->vh = ll_calloc(n, 32);
    ASSERT_NOT_NULL(c->vh);
    ASSERT_OK(ll_smt_proof_compact(&c->bits, &c->hashes, keys, n, proof.data,
                                   proof.len));
    for (size_t i = 0; i < n; i++) {
        bool hit;
        size_t j = ref_find(&f->ref, keys + 32 * i, &hit);
        ASSERT_TRUE(hit);
        memcpy(c->vh[i], f->ref.e[j].vh, 32);
    }
    ASSERT_OK(ll_smt_verify_compact(f->root, keys, (const uint8_t *)c->vh, n,
                                    c->bits.data, c->bits.len, c->hashes.data,
                                    c->hashes.len));
    /* 32 of the 34 bytes per off-path subtree, no leaves: smaller. */
    ASSERT_LE(c->bits.len + c->hashes.len, proof.len);
    ll_buf_free(&proof);
}

static void compact_free(struct compact *c)
{
    ll_buf_free(&c->bits);
    ll_buf_free(&c->hashes);
    ll_free(c->vh);
}

static int compact_verify(const struct fx *f, const struct compact *c,
                          const uint8_t *keys, size_t n, const uint8_t *bits,
                          size_t bl, const uint8_t *hashes, size_t hl)
{
    return ll_smt_verify_compact(f->root, keys, (const uint8_t *)c->vh, n, bits,
                                 bl, hashes, hl);
}

/*
 * Every change to a valid compact proof fails: each bit of the shape bits
 * and of the hashes flipped (600 sampled from the hashes when they are
 * large), every shorter length of either, a byte more of either, another
 * value hash, a key left out.
 */
static void compact_mutations(const struct fx *f, struct compact *c,
                              const uint8_t *keys, size_t n)
{
    struct ll_buf *parts[2] = {&c->bits, &c->hashes};
    for (int k = 0; k < 2; k++) {
        struct ll_buf *b = parts[k];
        size_t bits = b->len * 8;
        bool all = bits <= 4096;
        for (size_t s = 0; s < (all ? bits : 600); s++) {
            size_t x = all ? s : ll_test_rand_below((uint32_t)bits);
            b->data[x >> 3] = (uint8_t)(b->data[x >> 3] ^ (1u << (x & 7u)));
            ASSERT_FAILS(compact_verify(f, c, keys, n, c->bits.data,
                                        c->bits.len, c->hashes.data,
                                        c->hashes.len));
            b->data[x >> 3] = (uint8_t)(b->data[x >> 3] ^ (1u << (x & 7u)));
        }
        for (size_t len = 0; len < b->len; len++)
            ASSERT_FAILS(compact_verify(
                f, c, keys, n, c->bits.data, k == 0 ? len : c->bits.len,
                c->hashes.data, k == 1 ? len : c->hashes.len));
        ASSERT_OK(ll_buf_append_byte(b, 0));
        ASSERT_ERR(compact_verify(f, c, keys, n, c->bits.data, c->bits.len,
                                  c->hashes.data, c->hashes.len),
                   LL_ETRAILING);
        b->len--;
    }
    c->vh[n - 1][5] ^= 1;
    ASSERT_ERR(compact_verify(f, c, keys, n, c->bits.data, c->bits.len,
                              c->hashes.data, c->hashes.len),
               LL_EPROOF);
    c->vh[n - 1][5] ^= 1;
    if (n > 1)
        ASSERT_FAILS(compact_verify(f, c, keys, n - 1, c->bits.data,
                                    c->bits.len, c->hashes.data,
                                    c->hashes.len));
    ASSERT_OK(compact_verify(f, c, keys, n, c->bits.data, c->bits.len,
                             c->hashes.data, c->hashes.len));
}

/* Distinct keys of the model (near misses make long shared prefixes). */
static size_t rand_present(const struct ref *r, uint8_t (*keys)[32], size_t max)
{
    size_t n = 1 + ll_test_rand_below((uint32_t)(max < r->n ? max : r->n));
    size_t k = 0;
    while (k < n) {
        const uint8_t *key = r->e[ll_test_rand_below((uint32_t)r->n)].key;
        bool dup = false;
        for (size_t i = 0; i < k; i++)
            dup = dup || memcmp(keys[i], key, 32) == 0;
        if (!dup)
            memcpy(keys[k++], key, 32);
    }
    return n;
}

static void test_compact_random(void)
{
    struct fx f;
    struct ll_smt_kv kvs[64];
    uint8_t q[40][32];
    fx_init(&f);
    for (int round = 0; round < 40; round++) {
        size_t n = rand_batch(&f.ref, kvs, LL_ARRAY_LEN(kvs));
        fx_apply(&f, kvs, n);
        if (f.ref.n == 0)
            continue;
        for (int t = 0; t < 3; t++) {
            struct compact c;
            size_t nq = rand_present(&f.ref, q, LL_ARRAY_LEN(q));
            compact_check(&f, &c, (const uint8_t *)q, nq);
            if (round % 10 == 0 && t == 0)
                compact_mutations(&f, &c, (const uint8_t *)q, nq);
            compact_free(&c);
        }
        /* A proof with an absent key does not compact. */
        struct ll_buf proof;
        struct ll_buf bits;
        struct ll_buf hashes;
        uint8_t absent[2][32];
        bool hit = true;
        memcpy(absent[0], f.ref.e[0].key, 32);
        while (hit) {
            rand_key(&f.ref, absent[1]);
            (void)ref_find(&f.ref, absent[1], &hit);
        }
        prove_check(&f, &proof, (const uint8_t *)absent, 2);
        ll_buf_init(&bits, PROOF_MAX);
        ll_buf_init(&hashes, PROOF_MAX);
        ASSERT_ERR(ll_smt_proof_compact(&bits, &hashes, (const uint8_t *)absent,
                                        2, proof.data, proof.len),
                   LL_EPROOF);
        ASSERT_UEQ(bits.len + hashes.len, 0);
        ll_buf_free(&proof);
        ll_buf_free(&bits);
        ll_buf_free(&hashes);
    }
    fx_free(&f);
}

/*
 * The golden map (docs/proof-format.md, "State proof"): k2 alone gives the
 * bits 0 (inner root), 0 (a hash left: k1's leaf), 0 (inner at 1), 1 (k2's
 * leaf), 0 (a hash right: k3's leaf); handmade variants break one rule
 * each.
 */
static void test_compact_rules(void)
{
    struct fx f;
    uint8_t keys[3][32];
    uint8_t vh[3][32];
    uint8_t h[2][32];
    uint8_t two[2][32];
    static const char *const vals[3] = {"one", "two", "three"};
    fx_init(&f);
    golden_map(&f, keys);
    for (int i = 0; i < 3; i++)
        ll_smt_value_hash(vh[i], vals[i], strlen(vals[i]));
    ll_smt_leaf_hash(h[0], keys[0], vh[0]);
    ll_smt_leaf_hash(h[1], keys[2], vh[2]);
    const uint8_t bits[1] = {0x10};
    ASSERT_OK(ll_smt_verify_compact(f.root, keys[1], vh[1], 1, bits, 1,
                                    (const uint8_t *)h, 64));
    struct compact c;
    compact_check(&f, &c, keys[1], 1);
    ASSERT_UEQ(c.bits.len, 1);
    ASSERT_EQ(c.bits.data[0], 0x10);
    ASSERT_UEQ(c.hashes.len, 64);
    ASSERT_MEM_EQ(c.hashes.data, h, 64);
    compact_free(&c);
    /* k1 and k3: no bit at the root (two keys), then one bit each. */
    memcpy(two[0], keys[2], 32);
    memcpy(two[1], keys[0], 32);
    compact_check(&f, &c, (const uint8_t *)two, 2);
    ASSERT_UEQ(c.bits.len, 1);
    ASSERT_EQ(c.bits.data[0], 0x90); /* k1 leaf; inner; k2's hash; k3 leaf */
    compact_free(&c);
    static const uint8_t pad[1] = {0x11};
    static const uint8_t leaf_at_root[1] = {0x80};
    static const uint8_t cut[1] = {0x00};
    struct {
        const char *name;
        const uint8_t *bits;
        size_t bl;
        size_t hl;
        int rc;
    } cases[] = {
        {"a padding bit", pad, 1, 64, LL_ETRAILING},
        {"a leaf where an inner node is", leaf_at_root, 1, 0, LL_EPROOF},
        {"bits run out", cut, 1, 64, LL_ETRUNC},
        {"no bits", bits, 0, 64, LL_ETRUNC},
        {"hashes run out", bits, 1, 40, LL_ETRUNC},
        {"a hash more", bits, 1, 64 + 32, LL_ETRAILING},
    };
    uint8_t hb[96] = {0};
    memcpy(hb, h, 64);
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        int rc = ll_smt_verify_compact(f.root, keys[1], vh[1], 1, cases[i].bits,
                                       cases[i].bl, hb, cases[i].hl);
        if (rc != cases[i].rc)
            ll_test_fail(__FILE__, __LINE__, "%s: got %s, want %s",
                         cases[i].name, ll_err_name(rc),
                         ll_err_name(cases[i].rc));
    }
    /* Shape: k2's leaf beside an empty subtree would have moved up. */
    uint8_t root[32];
    static const uint8_t el[1] = {0x18}; /* ... 1 (k2's leaf), 1 (empty) */
    static const uint8_t zh[1] = {0x10}; /* ... 0 (a hash: zero) */
    uint8_t he[2][32] = {{0}};
    memcpy(he[0], h[0], 32);
    uint8_t n1[32];
    uint8_t lk2[32];
    ll_smt_leaf_hash(lk2, keys[1], vh[1]);
    ll_smt_node_hash(n1, lk2, he[1]);
    ll_smt_node_hash(root, h[0], n1);
    ASSERT_ERR(ll_smt_verify_compact(root, keys[1], vh[1], 1, el, 1,
                                     (const uint8_t *)he, 32),
               LL_EPROOF);
    ASSERT_ERR(ll_smt_verify_compact(root, keys[1], vh[1], 1, zh, 1,
                                     (const uint8_t *)he, 64),
               LL_EPROOF);
    /* Arguments: no key, a key twice. */
    uint8_t dup[2][32];
    uint8_t dvh[2][32] = {{0}};
    memcpy(dup[0], keys[1], 32);
    memcpy(dup[1], keys[1], 32);
    ASSERT_ERR(ll_smt_verify_compact(f.root, keys[1], vh[1], 0, bits, 1,
                                     (const uint8_t *)h, 64),
               LL_EINVAL);
    ASSERT_ERR(ll_smt_verify_compact(f.root, (const uint8_t *)dup,
                                     (const uint8_t *)dvh, 2, bits, 1,
                                     (const uint8_t *)h, 64),
               LL_EINVAL);
    fx_free(&f);
}

/*
 * A key alone down to depth 256: 256 inner bits, its leaf bit, then the
 * 256 off-path bits (a hash each) on the way back up.
 */
static void test_compact_depth(void)
{
    static uint8_t k0[32];
    static uint8_t v[32] = {9};
    static uint8_t x[32] = {0x22};
    uint8_t bits[65] = {0};
    uint8_t *hashes = ll_calloc(LL_SMT_MAX_DEPTH + 1, 32);
    uint8_t root[32];
    init_crypto();
    ASSERT_NOT_NULL(hashes);
    ll_smt_leaf_hash(root, k0, v);
    for (size_t d = LL_SMT_MAX_DEPTH; d-- > 0;) {
        memcpy(hashes + 32 * d, x, 32);
        ll_smt_node_hash(root, root, x); /* k0 goes left everywhere */
    }
    bits[32] = 0x80; /* bit 256: the leaf */
    ASSERT_OK(ll_smt_verify_compact(root, k0, v, 1, bits, 65, hashes,
                                    32 * LL_SMT_MAX_DEPTH));
    bits[32] = 0x00; /* an inner node at depth 256 */
    ASSERT_ERR(ll_smt_verify_compact(root, k0, v, 1, bits, 65, hashes,
                                     32 * LL_SMT_MAX_DEPTH),
               LL_EPROOF);
    ll_free(hashes);
}

static void test_alloc_fail_compact(void)
{
    struct fx f;
    struct ll_smt_kv kvs[200];
    uint8_t q[40][32];
    struct compact good;
    fx_init(&f);
    for (size_t i = 0; i < LL_ARRAY_LEN(kvs); i++) {
        uint8_t key[32];
        ll_test_rand_bytes(key, 32);
        kv_set(&kvs[i], key, i);
    }
    fx_apply(&f, kvs, LL_ARRAY_LEN(kvs));
    size_t nq;
    do {
        nq = rand_present(&f.ref, q, LL_ARRAY_LEN(q));
    } while (nq <= 16); /* more than the on-stack key arrays hold */
    compact_check(&f, &good, (const uint8_t *)q, nq);
    struct ll_buf proof;
    ll_buf_init(&proof, PROOF_MAX);
    ASSERT_OK(ll_smt_prove(&f.st, &proof, f.root, (const uint8_t *)q, nq));
    for (uint64_t k = 1;; k++) {
        struct ll_buf bits;
        struct ll_buf hashes;
        ll_buf_init(&bits, PROOF_MAX);
        ll_buf_init(&hashes, PROOF_MAX);
        (void)ll_alloc_fail_at(k);
        int rc = ll_smt_proof_compact(&bits, &hashes, (const uint8_t *)q, nq,
                                      proof.data, proof.len);
        (void)ll_alloc_fail_at(0);
        if (rc == 0) {
            ASSERT_UEQ(hashes.len, good.hashes.len);
            ASSERT_MEM_EQ(bits.data, good.bits.data, good.bits.len);
        } else {
            ASSERT_ERR(rc, LL_ENOMEM);
        }
        ll_buf_free(&bits);
        ll_buf_free(&hashes);
        if (rc == 0)
            break;
    }
    for (uint64_t k = 1;; k++) {
        (void)ll_alloc_fail_at(k);
        int rc =
            compact_verify(&f, &good, (const uint8_t *)q, nq, good.bits.data,
                           good.bits.len, good.hashes.data, good.hashes.len);
        (void)ll_alloc_fail_at(0);
        if (rc == 0)
            break;
        ASSERT_ERR(rc, LL_ENOMEM);
    }
    ll_buf_free(&proof);
    compact_free(&good);
    fx_free(&f);
}

static const struct ll_test tests[] = {
    {"hashes", test_hashes},
    {"empty_map", test_empty_map},
    {"single_key", test_single_key},
    {"deep_keys", test_deep_keys},
    {"golden", test_golden},
    {"random_batches", test_random_batches},
    {"history_independence", test_history_independence},
    {"delete_all", test_delete_all},
    {"update_args", test_update_args},
    {"big_batch", test_big_batch},
    {"proof_rules", test_proof_rules},
    {"proof_encoding_errors", test_proof_encoding_errors},
    {"proof_depth", test_proof_depth},
    {"store_errors", test_store_errors},
    {"store_shapes", test_store_shapes},
    {"buffered_puts", test_buffered_puts},
    {"get_at", test_get_at},
    {"alloc_fail_update", test_alloc_fail_update},
    {"alloc_fail_proofs", test_alloc_fail_proofs},
    {"compact_random", test_compact_random},
    {"compact_rules", test_compact_rules},
    {"compact_depth", test_compact_depth},
    {"alloc_fail_compact", test_alloc_fail_compact},
};

LL_TEST_MAIN(tests)
