/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the sparse Merkle map's two readers of outside bytes: the multiproof
 * verifier and the node decoder behind the store.
 *
 * Input: byte 0 = flags (bits 0-2: number of keys, taken mod 5; bit 6:
 * compact mode; bit 7: store mode), then 32 bytes per key, then the body.
 *
 * Proof mode: the body is a multiproof for the keys. Checked: no crash; a
 * proof that verifies against a fixed root implies that root; a proof with
 * an implied root verifies against it with the same results and fails
 * against any other; and the proof is canonical: a store rebuilt from its
 * nodes answers every key the same way and re-proves it byte for byte.
 * When every key is present, its compact form (ll_smt_proof_compact)
 * verifies with the keys' value hashes, and fails against another root or
 * another value hash.
 *
 * Compact mode: the body is a compact proof (byte 0: how many bytes of
 * shape bits follow, then the bits, then the hashes) of the keys, with value
 * hashes derived from the keys, against a fixed root. Checked: no crash.
 *
 * Store mode: the body is up to 64 encoded nodes of 65 bytes, each put under
 * its leaf or inner hash; the first one is the root. Lookups, a proof and an
 * update run on this hostile tree. Checked: no crash; a proof that builds
 * agrees with the lookups and verifies; an update that succeeds reads back
 * and proves as written.
 */
#include <stdlib.h>
#include <string.h>

#include "../../crypto/crypto.h"
#include "../../ledger/smt.h"

#define MAX_KEYS  4
#define MAX_NODES 64
#define MAX_INPUT 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
    if (!ok)
        abort();
}

static bool same_results(const struct ll_smt_result *a,
                         const struct ll_smt_result *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i].present != b[i].present ||
            memcmp(a[i].value_hash, b[i].value_hash, 32) != 0)
            return false;
    }
    return true;
}

/*
 * Put the LEAF and INNER items of a verified proof into a store; returns the
 * offset after the item at off.
 */
static size_t rebuild(const struct ll_smt_store *st, uint8_t hash[32],
                      const uint8_t *p, size_t len, size_t off, unsigned depth)
{
    uint8_t node[LL_SMT_NODE_LEN];
    uint8_t h[2][32];
    check(off < len && depth <= LL_SMT_MAX_DEPTH);
    uint8_t tag = p[off++];
    switch (tag) {
    case LL_SMT_PROOF_EMPTY:
        memset(hash, 0, 32);
        return off;
    case LL_SMT_PROOF_HASH:
        check(len - off >= 32);
        memcpy(hash, p + off, 32);
        return off + 32;
    case LL_SMT_PROOF_LEAF:
        check(len - off >= 64);
        node[0] = LL_SMT_NODE_LEAF;
        memcpy(node + 1, p + off, 64);
        ll_smt_leaf_hash(hash, node + 1, node + 33);
        check(st->put(st->ctx, hash, node) == 0);
        return off + 64;
    case LL_SMT_PROOF_INNER:
        off = rebuild(st, h[0], p, len, off, depth + 1);
        off = rebuild(st, h[1], p, len, off, depth + 1);
        node[0] = LL_SMT_NODE_INNER;
        memcpy(node + 1, h[0], 32);
        memcpy(node + 33, h[1], 32);
        ll_smt_node_hash(hash, h[0], h[1]);
        check(st->put(st->ctx, hash, node) == 0);
        return off;
    default:
        abort();
    }
}

/* A verified proof is the one and only proof of its keys: re-prove it. */
static void check_canonical(const uint8_t *keys, size_t n, const uint8_t *p,
                            size_t len, const uint8_t root[32],
                            const struct ll_smt_result *res)
{
    struct ll_smt_mem *mem = NULL;
    struct ll_smt_store st;
    struct ll_buf b;
    uint8_t h[32];
    check(ll_smt_mem_new(&mem) == 0);
    ll_smt_mem_store(&st, mem);
    check(rebuild(&st, h, p, len, 1, 0) == len);
    check(memcmp(h, root, 32) == 0);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        uint8_t vh[32] = {0};
        check(ll_smt_get(&st, &found, vh, root, keys + 32 * i) == 0);
        check(found == res[i].present);
        check(memcmp(vh, res[i].value_hash, 32) == 0);
    }
    ll_buf_init(&b, MAX_INPUT);
    check(ll_smt_prove(&st, &b, root, keys, n) == 0);
    check(b.len == len && memcmp(b.data, p, len) == 0);
    ll_buf_free(&b);
    ll_smt_mem_free(mem);
}

/* The compact form of a verified proof of present keys verifies too. */
static void check_compact(const uint8_t *keys, size_t n, const uint8_t *p,
                          size_t len, uint8_t root[32],
                          const struct ll_smt_result *res)
{
    uint8_t vh[MAX_KEYS * 32];
    struct ll_buf bits;
    struct ll_buf hashes;
    for (size_t i = 0; i < n; i++) {
        if (!res[i].present)
            return;
        memcpy(vh + 32 * i, res[i].value_hash, 32);
    }
    ll_buf_init(&bits, MAX_INPUT);
    ll_buf_init(&hashes, MAX_INPUT);
    check(ll_smt_proof_compact(&bits, &hashes, keys, n, p, len) == 0);
    check(bits.len + hashes.len <= len);
    check(ll_smt_verify_compact(root, keys, vh, n, bits.data, bits.len,
                                hashes.data, hashes.len) == 0);
    vh[0] ^= 1;
    check(ll_smt_verify_compact(root, keys, vh, n, bits.data, bits.len,
                                hashes.data, hashes.len) == LL_EPROOF);
    vh[0] ^= 1;
    root[0] ^= 1;
    check(ll_smt_verify_compact(root, keys, vh, n, bits.data, bits.len,
                                hashes.data, hashes.len) == LL_EPROOF);
    root[0] ^= 1;
    ll_buf_free(&bits);
    ll_buf_free(&hashes);
}

/* Hostile compact proofs: no crash, whatever they claim. */
static void fuzz_compact(const uint8_t *keys, size_t n, const uint8_t *p,
                         size_t len)
{
    static const uint8_t fixed[32] = {0x5a, 0x5a, 0x5a, 0x5a};
    uint8_t vh[MAX_KEYS * 32];
    for (size_t i = 0; i < 32 * n; i++)
        vh[i] = (uint8_t)(keys[i] ^ 0xa5);
    if (len == 0 || (size_t)p[0] > len - 1)
        return;
    int rc = ll_smt_verify_compact(fixed, keys, vh, n, p + 1, p[0],
                                   p + 1 + p[0], len - 1 - p[0]);
    check(rc <= 0 && (rc != 0 || n > 0)); /* no keys: LL_EINVAL */
}

static void fuzz_proof(const uint8_t *keys, size_t n, const uint8_t *p,
                       size_t len)
{
    static const uint8_t fixed[32] = {0x5a, 0x5a, 0x5a, 0x5a};
    struct ll_smt_result res[MAX_KEYS];
    struct ll_smt_result res2[MAX_KEYS];
    uint8_t root[32];
    int rc = ll_smt_proof_root(root, res, keys, n, p, len);
    int rc_fixed = ll_smt_verify(res2, fixed, keys, n, p, len);
    if (rc_fixed == 0)
        check(rc == 0 && memcmp(root, fixed, 32) == 0);
    if (rc != 0)
        return;
    check(ll_smt_verify(res2, root, keys, n, p, len) == 0);
    check(same_results(res, res2, n));
    root[len % 32] ^= 0x01;
    check(ll_smt_verify(res2, root, keys, n, p, len) == LL_EPROOF);
    root[len % 32] ^= 0x01;
    check_canonical(keys, n, p, len, root, res);
    if (n > 0)
        check_compact(keys, n, p, len, root, res);
}

/* After a successful update, read and prove every changed key. */
static void check_update(const struct ll_smt_store *st, const uint8_t *keys,
                         size_t n, const struct ll_smt_kv *kvs,
                         const uint8_t root[32])
{
    struct ll_smt_result want[MAX_KEYS];
    struct ll_smt_result got[MAX_KEYS];
    struct ll_buf b;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        uint8_t vh[32] = {0};
        check(ll_smt_get(st, &found, vh, root, keys + 32 * i) == 0);
        check(found == !kvs[i].del);
        if (found)
            check(memcmp(vh, kvs[i].value_hash, 32) == 0);
        want[i].present = found;
        memcpy(want[i].value_hash, vh, 32);
    }
    ll_buf_init(&b, MAX_INPUT);
    check(ll_smt_prove(st, &b, root, keys, n) == 0);
    check(ll_smt_verify(got, root, keys, n, b.data, b.len) == 0);
    check(same_results(got, want, n));
    ll_buf_free(&b);
}

/* Lookups and a proof on the hostile tree must agree when both succeed. */
static void check_reads(const struct ll_smt_store *st, const uint8_t *keys,
                        size_t n, const uint8_t root[32])
{
    struct ll_smt_result gets[MAX_KEYS];
    int rc_get[MAX_KEYS];
    struct ll_buf b;
    for (size_t i = 0; i < n; i++) {
        memset(&gets[i], 0, sizeof(gets[i]));
        rc_get[i] = ll_smt_get(st, &gets[i].present, gets[i].value_hash, root,
                               keys + 32 * i);
    }
    ll_buf_init(&b, MAX_INPUT);
    if (ll_smt_prove(st, &b, root, keys, n) == 0) {
        struct ll_smt_result res[MAX_KEYS];
        for (size_t i = 0; i < n; i++)
            check(rc_get[i] == 0);
        check(ll_smt_verify(res, root, keys, n, b.data, b.len) == 0);
        check(same_results(res, gets, n));
    }
    ll_buf_free(&b);
}

static void fuzz_store(const uint8_t *keys, size_t n, const uint8_t *p,
                       size_t len)
{
    struct ll_smt_mem *mem = NULL;
    struct ll_smt_store st;
    struct ll_smt_kv kvs[MAX_KEYS];
    uint8_t root[32] = {0};
    uint8_t new_root[32];
    check(ll_smt_mem_new(&mem) == 0);
    ll_smt_mem_store(&st, mem);
    for (size_t i = 0; i < len / LL_SMT_NODE_LEN && i < MAX_NODES; i++) {
        const uint8_t *node = p + i * LL_SMT_NODE_LEN;
        uint8_t h[32];
        if (node[0] == LL_SMT_NODE_LEAF)
            ll_smt_leaf_hash(h, node + 1, node + 33);
        else
            ll_smt_node_hash(h, node + 1, node + 33);
        check(st.put(st.ctx, h, node) == 0);
        if (i == 0)
            memcpy(root, h, 32);
    }
    check_reads(&st, keys, n, root);
    for (size_t i = 0; i < n; i++) {
        memcpy(kvs[i].key, keys + 32 * i, 32);
        kvs[i].del = i % 2 == 1;
        ll_smt_value_hash(kvs[i].value_hash, &i, sizeof(i));
        if (kvs[i].del)
            memset(kvs[i].value_hash, 0, 32);
    }
    if (ll_smt_update(&st, new_root, root, kvs, n) == 0)
        check_update(&st, keys, n, kvs, new_root);
    ll_smt_mem_free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t keys[MAX_KEYS * 32];
    if (ll_crypto_init() != 0)
        abort();
    if (size < 1 || size > MAX_INPUT)
        return 0;
    size_t n = (size_t)(data[0] & 7u) % (MAX_KEYS + 1);
    if (size - 1 < 32 * n)
        return 0;
    memcpy(keys, data + 1, 32 * n);
    const uint8_t *body = data + 1 + 32 * n;
    size_t len = size - 1 - 32 * n;
    if (data[0] & 0x80u)
        fuzz_store(keys, n, body, len);
    else if (data[0] & 0x40u)
        fuzz_compact(keys, n, body, len);
    else
        fuzz_proof(keys, n, body, len);
    return 0;
}
