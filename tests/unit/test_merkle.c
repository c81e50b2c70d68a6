/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ledger/merkle: the RFC 6962 anchor tree, every prefix and
 * random trees against a naive recursive reference written straight from the
 * RFC, generated proofs against the RFC's recursive PROOF/SUBPROOF, every
 * file of the transparency-dev vectors, the frontier property, and the
 * strictness of every decoder.
 */
#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>

#include "../../crypto/crypto.h"
#include "../../ledger/merkle.h"
#include "test.h"

#define H 32

/* The vector directories hold 98 files each today; a wrong path must fail. */
#define MIN_INCLUSION_FILES   98
#define MIN_CONSISTENCY_FILES 98

static const uint8_t (*cleaves(uint8_t (*leaves)[32]))[32]
{
    return (const uint8_t(*)[32])leaves;
}

static void unhex(uint8_t *out, size_t n, const char *hex)
{
    ASSERT_OK(ll_hex_decode(out, n, hex, strlen(hex)));
}

static uint8_t (*alloc_leaves(uint64_t n))[32]
{
    uint8_t(*leaves)[32] = ll_calloc(n ? (size_t)n : 1, H);
    ASSERT_NOT_NULL(leaves);
    ll_test_rand_bytes(leaves, (size_t)n * H);
    return leaves;
}

/* ---- the reference: RFC 9162 §2.1 definitions, recursive and naive ------- */

static uint64_t ref_split(uint64_t n)
{
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

static void ref_leaf(uint8_t out[32], const uint8_t *data, size_t len)
{
    uint8_t buf[64];
    ASSERT_LE(len + 1, sizeof(buf));
    buf[0] = 0x00;
    if (len > 0)
        memcpy(buf + 1, data, len);
    ll_sha256(out, buf, len + 1);
}

static void ref_node(uint8_t out[32], const uint8_t *l, const uint8_t *r)
{
    struct ll_sha256 st;
    const uint8_t one = 0x01;
    ll_sha256_init(&st);
    ll_sha256_update(&st, &one, 1);
    ll_sha256_update(&st, l, H);
    ll_sha256_update(&st, r, H);
    ll_sha256_final(&st, out);
}

static void ref_mth(uint8_t out[32], const uint8_t (*d)[32], uint64_t n)
{
    if (n == 0) {
        ll_sha256(out, "", 0);
    } else if (n == 1) {
        memcpy(out, d[0], H);
    } else {
        uint8_t l[H];
        uint8_t r[H];
        uint64_t k = ref_split(n);
        ref_mth(l, d, k);
        ref_mth(r, d + k, n - k);
        ref_node(out, l, r);
    }
}

/* PATH(m, D[n]): leaf level first. */
static size_t ref_path(uint8_t (*out)[32], uint64_t m, const uint8_t (*d)[32],
                       uint64_t n)
{
    if (n <= 1)
        return 0;
    uint64_t k = ref_split(n);
    size_t c;
    if (m < k) {
        c = ref_path(out, m, d, k);
        ref_mth(out[c], d + k, n - k);
    } else {
        c = ref_path(out, m - k, d + k, n - k);
        ref_mth(out[c], d, k);
    }
    return c + 1;
}

/* SUBPROOF(m, D[n], b). */
static size_t ref_subproof(uint8_t (*out)[32], uint64_t m,
                           const uint8_t (*d)[32], uint64_t n, bool b)
{
    if (m == n) {
        if (b)
            return 0;
        ref_mth(out[0], d, n);
        return 1;
    }
    uint64_t k = ref_split(n);
    size_t c;
    if (m <= k) {
        c = ref_subproof(out, m, d, k, b);
        ref_mth(out[c], d + k, n - k);
    } else {
        c = ref_subproof(out, m - k, d + k, n - k, false);
        ref_mth(out[c], d, k);
    }
    return c + 1;
}

/* ---- hashing and roots ----------------------------------------------------
 */

/* RFC 6962's test tree (certificate-transparency merkle_tree_test.cc). */
static const char *const rfc_inputs[8] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

static void rfc_leaves(uint8_t leaves[8][32])
{
    for (size_t i = 0; i < 8; i++) {
        uint8_t data[32];
        size_t n = strlen(rfc_inputs[i]) / 2;
        unhex(data, n, rfc_inputs[i]);
        ll_merkle_leaf_hash(leaves[i], data, n);
        uint8_t want[H];
        ref_leaf(want, data, n);
        ASSERT_MEM_EQ(leaves[i], want, H);
    }
}

static void test_hashes(void)
{
    uint8_t got[H];
    uint8_t want[H];
    ll_merkle_leaf_hash(got, NULL, 0);
    unhex(want, H,
          "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    ASSERT_MEM_EQ(got, want, H);
    ASSERT_OK(ll_merkle_root(got, NULL, 0));
    unhex(want, H,
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ASSERT_MEM_EQ(got, want, H);
    struct ll_merkle_frontier f;
    ll_merkle_frontier_init(&f);
    ll_merkle_frontier_root(got, &f);
    ASSERT_MEM_EQ(got, want, H);

    uint8_t l[H];
    uint8_t r[H];
    ll_test_rand_bytes(l, H);
    ll_test_rand_bytes(r, H);
    ref_node(want, l, r);
    ll_merkle_node_hash(got, l, r);
    ASSERT_MEM_EQ(got, want, H);
    /* Aliasing the output with an input is allowed. */
    ll_merkle_node_hash(l, l, r);
    ASSERT_MEM_EQ(l, want, H);
}

static void test_rfc6962_root(void)
{
    uint8_t leaves[8][32];
    uint8_t got[H];
    uint8_t want[H];
    rfc_leaves(leaves);
    ASSERT_OK(ll_merkle_root(got, cleaves(leaves), 8));
    unhex(want, H,
          "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
    ASSERT_MEM_EQ(got, want, H);
}

static void test_rfc6962_prefixes(void)
{
    /* Roots of the first 1..8 leaves, as published with the RFC tree. */
    static const char *const roots[9] = {
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    };
    uint8_t leaves[8][32];
    rfc_leaves(leaves);
    struct ll_merkle_frontier f;
    ll_merkle_frontier_init(&f);
    for (uint64_t n = 0; n <= 8; n++) {
        uint8_t got[H];
        uint8_t ref[H];
        uint8_t want[H];
        unhex(want, H, roots[n]);
        ref_mth(ref, cleaves(leaves), n);
        ASSERT_MEM_EQ(ref, want, H);
        ASSERT_OK(ll_merkle_root(got, cleaves(leaves), n));
        ASSERT_MEM_EQ(got, want, H);
        ll_merkle_frontier_root(got, &f);
        ASSERT_MEM_EQ(got, want, H);
        if (n < 8)
            ASSERT_OK(ll_merkle_frontier_append(&f, leaves[n]));
    }
}

static void test_root_random(void)
{
    uint8_t(*leaves)[32] = alloc_leaves(600);
    for (uint64_t n = 0; n <= 600; n += 1 + ll_test_rand_below(13)) {
        uint8_t got[H];
        uint8_t ref[H];
        ASSERT_OK(ll_merkle_root(got, cleaves(leaves), n));
        ref_mth(ref, cleaves(leaves), n);
        ASSERT_MEM_EQ(got, ref, H);
    }
    uint8_t out[H] = {0};
    ASSERT_ERR(ll_merkle_root(out, NULL, 1), LL_EINVAL);
    ll_free(leaves);
}

/* ---- frontier -------------------------------------------------------------
 */

static void frontier_roundtrip(const struct ll_merkle_frontier *f)
{
    uint8_t enc[LL_MERKLE_FRONTIER_ENC_MAX];
    uint8_t enc2[LL_MERKLE_FRONTIER_ENC_MAX];
    size_t len = 0;
    size_t len2 = 0;
    ASSERT_OK(ll_merkle_frontier_encode(enc, sizeof(enc), &len, f));
    unsigned pop = 0;
    for (uint64_t s = f->size; s != 0; s &= s - 1)
        pop++;
    ASSERT_UEQ(len, LL_MERKLE_FRONTIER_HDR_LEN + (size_t)pop * H);
    struct ll_merkle_frontier g;
    ASSERT_OK(ll_merkle_frontier_decode(&g, enc, len));
    ASSERT_UEQ(g.size, f->size);
    ASSERT_MEM_EQ(g.hash, f->hash, (size_t)pop * H);
    ASSERT_OK(ll_merkle_frontier_encode(enc2, sizeof(enc2), &len2, &g));
    ASSERT_UEQ(len2, len);
    ASSERT_MEM_EQ(enc2, enc, len);
}

static void test_frontier_property(void)
{
    const uint64_t n = 1200;
    uint8_t(*leaves)[32] = alloc_leaves(n);
    struct ll_merkle_frontier f;
    ll_merkle_frontier_init(&f);
    frontier_roundtrip(&f);
    for (uint64_t i = 0; i < n; i++) {
        uint8_t got[H];
        uint8_t want[H];
        ASSERT_OK(ll_merkle_frontier_append(&f, leaves[i]));
        ASSERT_UEQ(f.size, i + 1);
        ll_merkle_frontier_root(got, &f);
        ASSERT_OK(ll_merkle_root(want, cleaves(leaves), i + 1));
        ASSERT_MEM_EQ(got, want, H);
        frontier_roundtrip(&f);
    }
    ll_free(leaves);
}

/* Decode must fail with `want` and leave the output untouched. */
static void frontier_reject(const uint8_t *buf, size_t len, int want)
{
    struct ll_merkle_frontier g;
    struct ll_merkle_frontier saved;
    memset(&g, 0xa5, sizeof(g));
    memcpy(&saved, &g, sizeof(g));
    ASSERT_ERR(ll_merkle_frontier_decode(&g, buf, len), want);
    ASSERT_MEM_EQ(&g, &saved, sizeof(g));
}

static void test_frontier_strict(void)
{
    struct ll_merkle_frontier f;
    uint8_t enc[LL_MERKLE_FRONTIER_ENC_MAX + 1];
    uint8_t root[H];
    size_t len = 0;
    ll_merkle_frontier_init(&f);
    for (int i = 0; i < 13; i++) { /* 13 = 0b1101: three subtree roots */
        uint8_t leaf[H];
        ll_test_rand_bytes(leaf, H);
        ASSERT_OK(ll_merkle_frontier_append(&f, leaf));
    }
    ll_merkle_frontier_root(root, &f);
    ASSERT_OK(ll_merkle_frontier_encode(enc, sizeof(enc), &len, &f));
    ASSERT_UEQ(len, 9 + 3 * H);
    ASSERT_EQ(enc[0], 0x03);
    ASSERT_UEQ(ll_load_be64(enc + 1), 13);

    /* Every truncation, and one byte too many. */
    for (size_t cut = 0; cut < len; cut++)
        frontier_reject(enc, cut, LL_ETRUNC);
    enc[len] = 0;
    frontier_reject(enc, len + 1, LL_ETRAILING);
    frontier_reject(NULL, 0, LL_ETRUNC);
    frontier_reject(NULL, 5, LL_EINVAL);

    /* Every single-bit flip: in the header it changes the format or the
     * popcount of the size (so the length), in a hash it decodes to a
     * frontier with another root. */
    for (size_t bit = 0; bit < len * 8; bit++) {
        uint8_t m[LL_MERKLE_FRONTIER_ENC_MAX];
        memcpy(m, enc, len);
        m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        struct ll_merkle_frontier g;
        int rc = ll_merkle_frontier_decode(&g, m, len);
        if (bit < 8) {
            ASSERT_ERR(rc, (m[0] == 0x01 || m[0] == 0x02) ? LL_EDECODE
                                                          : LL_EVERSION);
        } else if (bit < 9 * 8) {
            ASSERT_TRUE(rc == LL_ETRUNC || rc == LL_ETRAILING);
        } else {
            uint8_t r2[H];
            ASSERT_OK(rc);
            ll_merkle_frontier_root(r2, &g);
            ASSERT_TRUE(memcmp(r2, root, H) != 0);
        }
    }

    /* A size of another popcount with the same bytes: 12 has two roots. */
    ll_store_be64(enc + 1, 12);
    frontier_reject(enc, len, LL_ETRAILING);
    ll_store_be64(enc + 1, 15);
    frontier_reject(enc, len, LL_ETRUNC);

    /* Encoding into a short buffer is refused, outlen untouched. */
    size_t outlen = 77;
    ASSERT_ERR(ll_merkle_frontier_encode(enc, 9 + 3 * H - 1, &outlen, &f),
               LL_EINVAL);
    ASSERT_ERR(ll_merkle_frontier_encode(NULL, 0, &outlen, &f), LL_EINVAL);
    ASSERT_UEQ(outlen, 77);
}

static void test_frontier_limits(void)
{
    /* A frontier of 2^64 - 2 leaves has 63 roots; one append fills all 64
     * slots, the next is refused. */
    uint8_t enc[LL_MERKLE_FRONTIER_ENC_MAX];
    size_t len = 0;
    enc[0] = 0x03;
    ll_store_be64(enc + 1, UINT64_MAX - 1);
    ll_test_rand_bytes(enc + 9, 63 * H);
    struct ll_merkle_frontier f;
    ASSERT_OK(ll_merkle_frontier_decode(&f, enc, 9 + 63 * H));
    uint8_t leaf[H];
    ll_test_rand_bytes(leaf, H);
    ASSERT_OK(ll_merkle_frontier_append(&f, leaf));
    ASSERT_UEQ(f.size, UINT64_MAX);
    ASSERT_MEM_EQ(f.hash[63], leaf, H);
    ASSERT_OK(ll_merkle_frontier_encode(enc, sizeof(enc), &len, &f));
    ASSERT_UEQ(len, LL_MERKLE_FRONTIER_ENC_MAX);
    frontier_roundtrip(&f);
    struct ll_merkle_frontier saved = f;
    ASSERT_ERR(ll_merkle_frontier_append(&f, leaf), LL_ERANGE);
    ASSERT_MEM_EQ(&f, &saved, sizeof(f));
    /* The root of a full frontier is the right-to-left fold. */
    uint8_t want[H];
    uint8_t got[H];
    memcpy(want, f.hash[63], H);
    for (size_t i = 63; i > 0; i--)
        ref_node(want, f.hash[i - 1], want);
    ll_merkle_frontier_root(got, &f);
    ASSERT_MEM_EQ(got, want, H);
}

/* ---- generated proofs ------------------------------------------------------
 */

static void flip_bit(uint8_t *p, size_t nbytes)
{
    size_t bit = ll_test_rand_below((uint32_t)(nbytes * 8));
    p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

static void encode_decode_inclusion(const struct ll_merkle_inclusion_proof *p)
{
    uint8_t enc[LL_MERKLE_INCLUSION_ENC_MAX];
    uint8_t enc2[LL_MERKLE_INCLUSION_ENC_MAX];
    size_t len = 0;
    size_t len2 = 0;
    struct ll_merkle_inclusion_proof q;
    ASSERT_OK(ll_merkle_inclusion_encode(enc, sizeof(enc), &len, p));
    ASSERT_UEQ(len, LL_MERKLE_PROOF_HDR_LEN + p->count * H);
    ASSERT_OK(ll_merkle_inclusion_decode(&q, enc, len));
    ASSERT_UEQ(q.index, p->index);
    ASSERT_UEQ(q.size, p->size);
    ASSERT_UEQ(q.count, p->count);
    ASSERT_MEM_EQ(q.hash, p->hash, p->count * H);
    ASSERT_OK(ll_merkle_inclusion_encode(enc2, sizeof(enc2), &len2, &q));
    ASSERT_UEQ(len2, len);
    ASSERT_MEM_EQ(enc2, enc, len);
}

/* The generated proof verifies, matches the RFC's PATH, and tampering fails. */
static void check_inclusion(const uint8_t (*leaves)[32], uint64_t n,
                            const uint8_t root[32], uint64_t i)
{
    struct ll_merkle_inclusion_proof p;
    uint8_t ref[LL_MERKLE_MAX_INCLUSION + 1][32];
    ASSERT_OK(ll_merkle_inclusion_prove(&p, leaves, n, i));
    ASSERT_UEQ(p.index, i);
    ASSERT_UEQ(p.size, n);
    size_t rc_count = ref_path(ref, i, leaves, n);
    ASSERT_UEQ(p.count, rc_count);
    ASSERT_MEM_EQ(p.hash, ref, p.count * H);
    const uint8_t *flat = p.hash[0];
    size_t plen = p.count * H;
    ASSERT_OK(
        ll_merkle_inclusion_verify(i, n, leaves[i], H, flat, plen, root, H));
    encode_decode_inclusion(&p);

    uint8_t bad[(LL_MERKLE_MAX_INCLUSION + 1) * H];
    memcpy(bad, flat, plen);
    for (size_t k = 0; k < p.count; k++) {
        memcpy(bad, flat, plen);
        flip_bit(bad + k * H, H);
        ASSERT_ERR(
            ll_merkle_inclusion_verify(i, n, leaves[i], H, bad, plen, root, H),
            LL_EPROOF);
    }
    memcpy(bad, flat, plen);
    if (p.count > 0)
        ASSERT_ERR(ll_merkle_inclusion_verify(i, n, leaves[i], H, bad, plen - H,
                                              root, H),
                   LL_EPROOF);
    ll_test_rand_bytes(bad + plen, H);
    ASSERT_ERR(
        ll_merkle_inclusion_verify(i, n, leaves[i], H, bad, plen + H, root, H),
        LL_EPROOF);
    if (i + 1 < n)
        ASSERT_ERR(ll_merkle_inclusion_verify(i + 1, n, leaves[i], H, flat,
                                              plen, root, H),
                   LL_EPROOF);
    if (i > 0)
        ASSERT_ERR(ll_merkle_inclusion_verify(i - 1, n, leaves[i], H, flat,
                                              plen, root, H),
                   LL_EPROOF);
    /* A wrong tree size is not tried: RFC 6962 proofs do not bind it
     * (test_size_not_bound). */
    uint8_t other[H];
    memcpy(other, leaves[i], H);
    flip_bit(other, H);
    ASSERT_ERR(ll_merkle_inclusion_verify(i, n, other, H, flat, plen, root, H),
               LL_EPROOF);
    memcpy(other, root, H);
    flip_bit(other, H);
    ASSERT_ERR(
        ll_merkle_inclusion_verify(i, n, leaves[i], H, flat, plen, other, H),
        LL_EPROOF);
}

static void test_inclusion_small(void)
{
    uint8_t(*leaves)[32] = alloc_leaves(70);
    size_t checked = 0;
    for (uint64_t n = 1; n <= 70; n++) {
        uint8_t root[H];
        ASSERT_OK(ll_merkle_root(root, cleaves(leaves), n));
        for (uint64_t i = 0; i < n; i++) {
            check_inclusion(cleaves(leaves), n, root, i);
            checked++;
        }
        struct ll_merkle_inclusion_proof p;
        ASSERT_ERR(ll_merkle_inclusion_prove(&p, cleaves(leaves), n, n),
                   LL_ERANGE);
    }
    ASSERT_UEQ(checked, 70 * 71 / 2);
    struct ll_merkle_inclusion_proof p;
    ASSERT_ERR(ll_merkle_inclusion_prove(&p, cleaves(leaves), 0, 0), LL_ERANGE);
    ASSERT_ERR(ll_merkle_inclusion_prove(&p, NULL, 5, 0), LL_EINVAL);
    ll_free(leaves);
}

static void test_inclusion_large(void)
{
    static const uint64_t fixed[] = {127, 128, 129, 1023, 1024, 1025, 4097};
    uint64_t sizes[LL_ARRAY_LEN(fixed) + 4];
    memcpy(sizes, fixed, sizeof(fixed));
    for (size_t k = LL_ARRAY_LEN(fixed); k < LL_ARRAY_LEN(sizes); k++)
        sizes[k] = 71 + ll_test_rand_below(6000);
    uint8_t(*leaves)[32] = alloc_leaves(6100);
    for (size_t k = 0; k < LL_ARRAY_LEN(sizes); k++) {
        uint64_t n = sizes[k];
        uint8_t root[H];
        ASSERT_OK(ll_merkle_root(root, cleaves(leaves), n));
        check_inclusion(cleaves(leaves), n, root, 0);
        check_inclusion(cleaves(leaves), n, root, n - 1);
        for (int j = 0; j < 12; j++)
            check_inclusion(cleaves(leaves), n, root,
                            ll_test_rand_below((uint32_t)n));
    }
    ll_free(leaves);
}

static void
encode_decode_consistency(const struct ll_merkle_consistency_proof *p)
{
    uint8_t enc[LL_MERKLE_CONSISTENCY_ENC_MAX];
    uint8_t enc2[LL_MERKLE_CONSISTENCY_ENC_MAX];
    size_t len = 0;
    size_t len2 = 0;
    struct ll_merkle_consistency_proof q;
    ASSERT_OK(ll_merkle_consistency_encode(enc, sizeof(enc), &len, p));
    ASSERT_UEQ(len, LL_MERKLE_PROOF_HDR_LEN + p->count * H);
    ASSERT_OK(ll_merkle_consistency_decode(&q, enc, len));
    ASSERT_UEQ(q.size1, p->size1);
    ASSERT_UEQ(q.size2, p->size2);
    ASSERT_UEQ(q.count, p->count);
    ASSERT_MEM_EQ(q.hash, p->hash, p->count * H);
    ASSERT_OK(ll_merkle_consistency_encode(enc2, sizeof(enc2), &len2, &q));
    ASSERT_UEQ(len2, len);
    ASSERT_MEM_EQ(enc2, enc, len);
}

/* Tampering with a valid consistency proof (m < n) must fail. */
static void tamper_consistency(uint64_t m, uint64_t n, const uint8_t *flat,
                               size_t plen, const uint8_t *r1,
                               const uint8_t *r2)
{
    uint8_t bad[(LL_MERKLE_MAX_CONSISTENCY + 1) * H];
    for (size_t k = 0; k < plen / H; k++) {
        memcpy(bad, flat, plen);
        flip_bit(bad + k * H, H);
        ASSERT_ERR(ll_merkle_consistency_verify(m, n, bad, plen, r1, H, r2, H),
                   LL_EPROOF);
    }
    memcpy(bad, flat, plen);
    ASSERT_ERR(ll_merkle_consistency_verify(m, n, bad, plen - H, r1, H, r2, H),
               LL_EPROOF);
    ll_test_rand_bytes(bad + plen, H);
    ASSERT_ERR(ll_merkle_consistency_verify(m, n, bad, plen + H, r1, H, r2, H),
               LL_EPROOF);
    ASSERT_ERR(ll_merkle_consistency_verify(m, n, flat, plen, r2, H, r1, H),
               LL_EPROOF);
    ASSERT_FAILS(
        ll_merkle_consistency_verify(m + 1, n, flat, plen, r1, H, r2, H));
    ASSERT_FAILS(
        ll_merkle_consistency_verify(m - 1, n, flat, plen, r1, H, r2, H));
    /* size2 is not bound by the proof (test_size_not_bound). */
    uint8_t other[H];
    memcpy(other, r1, H);
    flip_bit(other, H);
    ASSERT_ERR(ll_merkle_consistency_verify(m, n, flat, plen, other, H, r2, H),
               LL_EPROOF);
    memcpy(other, r2, H);
    flip_bit(other, H);
    ASSERT_ERR(ll_merkle_consistency_verify(m, n, flat, plen, r1, H, other, H),
               LL_EPROOF);
}

static void check_consistency(const uint8_t (*leaves)[32], uint64_t n,
                              uint64_t m)
{
    struct ll_merkle_consistency_proof p;
    uint8_t ref[LL_MERKLE_MAX_CONSISTENCY + 1][32];
    uint8_t r1[H];
    uint8_t r2[H];
    ASSERT_OK(ll_merkle_root(r1, leaves, m));
    ASSERT_OK(ll_merkle_root(r2, leaves, n));
    ASSERT_OK(ll_merkle_consistency_prove(&p, leaves, n, m));
    ASSERT_UEQ(p.size1, m);
    ASSERT_UEQ(p.size2, n);
    size_t rc_count = ref_subproof(ref, m, leaves, n, true);
    ASSERT_UEQ(p.count, rc_count);
    ASSERT_MEM_EQ(p.hash, ref, p.count * H);
    const uint8_t *flat = p.hash[0];
    size_t plen = p.count * H;
    ASSERT_OK(ll_merkle_consistency_verify(m, n, flat, plen, r1, H, r2, H));
    encode_decode_consistency(&p);
    if (m == n)
        ASSERT_UEQ(p.count, 0);
    else
        tamper_consistency(m, n, flat, plen, r1, r2);
}

static void test_consistency_small(void)
{
    uint8_t(*leaves)[32] = alloc_leaves(70);
    size_t checked = 0;
    for (uint64_t n = 1; n <= 70; n++) {
        for (uint64_t m = 1; m <= n; m++) {
            check_consistency(cleaves(leaves), n, m);
            checked++;
        }
        struct ll_merkle_consistency_proof p;
        ASSERT_ERR(ll_merkle_consistency_prove(&p, cleaves(leaves), n, 0),
                   LL_ERANGE);
        ASSERT_ERR(ll_merkle_consistency_prove(&p, cleaves(leaves), n, n + 1),
                   LL_ERANGE);
    }
    ASSERT_UEQ(checked, 70 * 71 / 2);
    ll_free(leaves);
}

static void test_consistency_large(void)
{
    static const uint64_t fixed[][2] = {
        {127, 128},   {128, 129}, {1, 1025},    {1023, 1025},
        {1024, 4097}, {3, 4097},  {4096, 4097},
    };
    uint8_t(*leaves)[32] = alloc_leaves(6100);
    for (size_t k = 0; k < LL_ARRAY_LEN(fixed); k++)
        check_consistency(cleaves(leaves), fixed[k][1], fixed[k][0]);
    for (int k = 0; k < 30; k++) {
        uint64_t n = 71 + ll_test_rand_below(6000);
        uint64_t m = 1 + ll_test_rand_below((uint32_t)n);
        check_consistency(cleaves(leaves), n, m);
    }
    ll_free(leaves);
}

/*
 * Documented limit of RFC 6962/9162 proofs: the path of leaf 0 has the same
 * shape in trees of 3 and 4 leaves (left, left), so a proof made for size 3
 * also verifies as one for size 4 against the same root. Proofs bind the
 * leaf index and the old size, never the (new) tree size: a verifier must
 * take the size from the same signed checkpoint as the root.
 */
static void test_size_not_bound(void)
{
    uint8_t(*leaves)[32] = alloc_leaves(4);
    uint8_t r3[H];
    uint8_t r1[H];
    struct ll_merkle_inclusion_proof p;
    struct ll_merkle_consistency_proof c;
    ASSERT_OK(ll_merkle_root(r3, cleaves(leaves), 3));
    ASSERT_OK(ll_merkle_root(r1, cleaves(leaves), 1));
    ASSERT_OK(ll_merkle_inclusion_prove(&p, cleaves(leaves), 3, 0));
    ASSERT_OK(ll_merkle_inclusion_verify(0, 3, leaves[0], H, p.hash[0],
                                         p.count * H, r3, H));
    ASSERT_OK(ll_merkle_inclusion_verify(0, 4, leaves[0], H, p.hash[0],
                                         p.count * H, r3, H));
    ASSERT_OK(ll_merkle_consistency_prove(&c, cleaves(leaves), 3, 1));
    ASSERT_OK(ll_merkle_consistency_verify(1, 4, c.hash[0], c.count * H, r1, H,
                                           r3, H));
    /* The index is bound: the same proof for leaf 1 fails. */
    ASSERT_ERR(ll_merkle_inclusion_verify(1, 3, leaves[0], H, p.hash[0],
                                          p.count * H, r3, H),
               LL_EPROOF);
    ll_free(leaves);
}

/* ---- argument and bound checks ---------------------------------------------
 */

static void test_verify_args(void)
{
    uint8_t leaves[8][32];
    uint8_t root[H];
    struct ll_merkle_inclusion_proof p;
    rfc_leaves(leaves);
    ASSERT_OK(ll_merkle_root(root, cleaves(leaves), 8));
    ASSERT_OK(ll_merkle_inclusion_prove(&p, cleaves(leaves), 8, 5));
    const uint8_t *pf = p.hash[0];
    const uint8_t *lf = leaves[5];
    uint8_t big[(LL_MERKLE_MAX_CONSISTENCY + 1) * H] = {0};

    static const struct {
        uint64_t index;
        uint64_t size;
        size_t leaflen;
        size_t prooflen;
        size_t rootlen;
        int rc;
    } cases[] = {
        {5, 8, H, 3 * H, H, 0},
        {5, 8, H - 1, 3 * H, H, LL_EINVAL},
        {5, 8, H + 1, 3 * H, H, LL_EINVAL},
        {5, 8, H, 3 * H, 0, LL_EINVAL},
        {5, 8, H, 3 * H, H + 1, LL_EINVAL},
        {5, 8, H, 3 * H - 1, H, LL_EINVAL},
        {5, 8, H, 3 * H + 1, H, LL_EINVAL},
        {5, 8, H, 2 * H, H, LL_EPROOF},
        {8, 8, H, 3 * H, H, LL_ERANGE},
        {0, 0, H, 0, H, LL_ERANGE},
        {UINT64_MAX, 8, H, 3 * H, H, LL_ERANGE},
        {5, 8, H, 65 * H, H, LL_ETOOBIG},
    };
    for (size_t k = 0; k < LL_ARRAY_LEN(cases); k++) {
        const uint8_t *proof = cases[k].prooflen > 3 * H ? big : pf;
        ASSERT_ERR(ll_merkle_inclusion_verify(
                       cases[k].index, cases[k].size, lf, cases[k].leaflen,
                       proof, cases[k].prooflen, root, cases[k].rootlen),
                   cases[k].rc);
    }
    ASSERT_ERR(ll_merkle_inclusion_verify(5, 8, NULL, H, pf, 3 * H, root, H),
               LL_EINVAL);
    ASSERT_ERR(ll_merkle_inclusion_verify(5, 8, lf, H, NULL, 3 * H, root, H),
               LL_EINVAL);
    ASSERT_ERR(ll_merkle_inclusion_verify(5, 8, lf, H, pf, 3 * H, NULL, H),
               LL_EINVAL);
    ASSERT_OK(ll_merkle_inclusion_verify(0, 1, root, H, NULL, 0, root, H));

    /* Consistency: 2 -> 8 has two hashes. */
    struct ll_merkle_consistency_proof c;
    uint8_t r2[H];
    ASSERT_OK(ll_merkle_root(r2, cleaves(leaves), 2));
    ASSERT_OK(ll_merkle_consistency_prove(&c, cleaves(leaves), 8, 2));
    ASSERT_UEQ(c.count, 2);
    const uint8_t *cf = c.hash[0];
    ASSERT_OK(ll_merkle_consistency_verify(2, 8, cf, 2 * H, r2, H, root, H));
    ASSERT_ERR(
        ll_merkle_consistency_verify(2, 8, cf, 2 * H, r2, H - 1, root, H),
        LL_EINVAL);
    ASSERT_ERR(
        ll_merkle_consistency_verify(2, 8, cf, 2 * H, r2, H, root, H + 1),
        LL_EINVAL);
    ASSERT_ERR(
        ll_merkle_consistency_verify(2, 8, cf, 2 * H - 1, r2, H, root, H),
        LL_EINVAL);
    ASSERT_ERR(ll_merkle_consistency_verify(2, 8, NULL, 2 * H, r2, H, root, H),
               LL_EINVAL);
    ASSERT_ERR(ll_merkle_consistency_verify(2, 8, cf, 2 * H, NULL, H, root, H),
               LL_EINVAL);
    ASSERT_ERR(ll_merkle_consistency_verify(2, 8, cf, 2 * H, r2, H, NULL, H),
               LL_EINVAL);
    ASSERT_ERR(ll_merkle_consistency_verify(2, 8, big, 66 * H, r2, H, root, H),
               LL_ETOOBIG);
    ASSERT_ERR(ll_merkle_consistency_verify(0, 8, NULL, 0, r2, H, root, H),
               LL_ERANGE);
    ASSERT_ERR(ll_merkle_consistency_verify(0, 0, NULL, 0, r2, H, r2, H),
               LL_ERANGE);
    ASSERT_ERR(ll_merkle_consistency_verify(9, 8, NULL, 0, r2, H, root, H),
               LL_ERANGE);
    ASSERT_ERR(ll_merkle_consistency_verify(2, 8, NULL, 0, r2, H, root, H),
               LL_EPROOF);
    /* Equal sizes: equal roots and an empty proof, nothing else. */
    ASSERT_OK(ll_merkle_consistency_verify(8, 8, NULL, 0, root, H, root, H));
    ASSERT_ERR(ll_merkle_consistency_verify(8, 8, cf, H, root, H, root, H),
               LL_EPROOF);
    ASSERT_ERR(ll_merkle_consistency_verify(8, 8, NULL, 0, root, H, r2, H),
               LL_EPROOF);
    ASSERT_ERR(ll_merkle_consistency_verify(8, 8, NULL, 0, root, H, root, 31),
               LL_EPROOF);
}

static void test_max_bounds(void)
{
    /* Inclusion: leaf 0 of 2^64 - 1 leaves has a 64-hash path. */
    uint8_t enc[LL_MERKLE_CONSISTENCY_ENC_MAX + H];
    uint8_t leaf[H] = {0};
    uint8_t root[H] = {0};
    memset(enc, 0x5a, sizeof(enc));
    enc[0] = 0x01;
    ll_store_be64(enc + 1, 0);
    ll_store_be64(enc + 9, UINT64_MAX);
    enc[17] = 64;
    struct ll_merkle_inclusion_proof ip;
    ASSERT_OK(ll_merkle_inclusion_decode(&ip, enc, 18 + 64 * H));
    ASSERT_UEQ(ip.count, LL_MERKLE_MAX_INCLUSION);
    ASSERT_ERR(ll_merkle_inclusion_verify(0, UINT64_MAX, leaf, H, ip.hash[0],
                                          64 * H, root, H),
               LL_EPROOF);
    enc[17] = 65;
    ASSERT_ERR(ll_merkle_inclusion_decode(&ip, enc, 18 + 65 * H), LL_ETOOBIG);
    enc[17] = 63;
    ASSERT_ERR(ll_merkle_inclusion_decode(&ip, enc, 18 + 63 * H), LL_EDECODE);

    /* Consistency: 2^64 - 3 -> 2^64 - 1 needs 65 hashes (docs/merkle.md). */
    enc[0] = 0x02;
    ll_store_be64(enc + 1, UINT64_MAX - 2);
    ll_store_be64(enc + 9, UINT64_MAX);
    enc[17] = 65;
    struct ll_merkle_consistency_proof cp;
    ASSERT_OK(ll_merkle_consistency_decode(&cp, enc, 18 + 65 * H));
    ASSERT_UEQ(cp.count, LL_MERKLE_MAX_CONSISTENCY);
    ASSERT_ERR(ll_merkle_consistency_verify(UINT64_MAX - 2, UINT64_MAX,
                                            cp.hash[0], 65 * H, root, H, leaf,
                                            H),
               LL_EPROOF);
    enc[17] = 66;
    ASSERT_ERR(ll_merkle_consistency_decode(&cp, enc, 18 + 66 * H), LL_ETOOBIG);
    /* The largest any pair can need: a brute force over small trees agrees
     * with the bound's formula at its own scale (bitlen(size2 - 1) + 1). */
    uint8_t(*lv)[32] = alloc_leaves(64);
    for (uint64_t n = 2; n <= 64; n++) {
        unsigned bits = 0;
        for (uint64_t v = n - 1; v != 0; v >>= 1)
            bits++;
        size_t worst = 0;
        for (uint64_t m = 1; m < n; m++) {
            uint8_t tmp[LL_MERKLE_MAX_CONSISTENCY + 1][32];
            size_t c = ref_subproof(tmp, m, cleaves(lv), n, true);
            worst = c > worst ? c : worst;
        }
        ASSERT_LE(worst, (size_t)bits + 1);
    }
    ll_free(lv);
}

static void test_flatten(void)
{
    uint8_t a[H];
    uint8_t b[H + 1];
    uint8_t out[LL_MERKLE_MAX_CONSISTENCY * H];
    size_t outlen = 99;
    ll_test_rand_bytes(a, sizeof(a));
    ll_test_rand_bytes(b, sizeof(b));
    const uint8_t *elems[3] = {a, b, a};
    size_t lens[3] = {H, H, H};
    ASSERT_OK(
        ll_merkle_proof_flatten(out, sizeof(out), &outlen, elems, lens, 3));
    ASSERT_UEQ(outlen, 3 * H);
    ASSERT_MEM_EQ(out + H, b, H);
    ASSERT_OK(ll_merkle_proof_flatten(NULL, 0, &outlen, NULL, NULL, 0));
    ASSERT_UEQ(outlen, 0);
    outlen = 99;
    lens[1] = 0; /* "preceding garbage": an empty element */
    ASSERT_ERR(
        ll_merkle_proof_flatten(out, sizeof(out), &outlen, elems, lens, 3),
        LL_EINVAL);
    lens[1] = H + 1;
    ASSERT_ERR(
        ll_merkle_proof_flatten(out, sizeof(out), &outlen, elems, lens, 3),
        LL_EINVAL);
    lens[1] = H;
    elems[2] = NULL;
    ASSERT_ERR(
        ll_merkle_proof_flatten(out, sizeof(out), &outlen, elems, lens, 3),
        LL_EINVAL);
    elems[2] = a;
    ASSERT_ERR(ll_merkle_proof_flatten(out, 3 * H - 1, &outlen, elems, lens, 3),
               LL_EINVAL);
    ASSERT_ERR(ll_merkle_proof_flatten(out, sizeof(out), &outlen, elems, lens,
                                       LL_MERKLE_MAX_CONSISTENCY + 1),
               LL_ETOOBIG);
    ASSERT_UEQ(outlen, 99);
}

/* ---- proof encodings
 * ---------------------------------------------------------
 */

static void test_proof_encoding_strict(void)
{
    uint8_t leaves[8][32];
    uint8_t root[H];
    rfc_leaves(leaves);
    ASSERT_OK(ll_merkle_root(root, cleaves(leaves), 7));
    struct ll_merkle_inclusion_proof p;
    ASSERT_OK(ll_merkle_inclusion_prove(&p, cleaves(leaves), 7, 4));
    uint8_t enc[LL_MERKLE_CONSISTENCY_ENC_MAX + 1];
    size_t len = 0;
    ASSERT_OK(ll_merkle_inclusion_encode(enc, sizeof(enc), &len, &p));
    ASSERT_UEQ(len, 18 + 3 * H);
    static const uint8_t hdr[18] = {0x01, 0, 0, 0, 0, 0, 0, 0, 4,
                                    0,    0, 0, 0, 0, 0, 0, 7, 3};
    ASSERT_MEM_EQ(enc, hdr, sizeof(hdr));

    struct ll_merkle_inclusion_proof q;
    struct ll_merkle_inclusion_proof saved;
    memset(&q, 0xa5, sizeof(q));
    memcpy(&saved, &q, sizeof(q));
    for (size_t cut = 0; cut < len; cut++)
        ASSERT_ERR(ll_merkle_inclusion_decode(&q, enc, cut), LL_ETRUNC);
    enc[len] = 0;
    ASSERT_ERR(ll_merkle_inclusion_decode(&q, enc, len + 1), LL_ETRAILING);
    ASSERT_ERR(ll_merkle_inclusion_decode(&q, NULL, 3), LL_EINVAL);

    /* Every single-bit flip decodes only to a canonical proof, and a flipped
     * hash never verifies. */
    for (size_t bit = 0; bit < len * 8; bit++) {
        uint8_t m[LL_MERKLE_INCLUSION_ENC_MAX];
        memcpy(m, enc, len);
        m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        int rc = ll_merkle_inclusion_decode(&q, m, len);
        if (bit < 18 * 8) {
            if (rc == 0) {
                uint8_t re[LL_MERKLE_INCLUSION_ENC_MAX];
                size_t relen = 0;
                ASSERT_OK(
                    ll_merkle_inclusion_encode(re, sizeof(re), &relen, &q));
                ASSERT_UEQ(relen, len);
                ASSERT_MEM_EQ(re, m, len);
            }
            memcpy(&q, &saved, sizeof(q));
            continue;
        }
        ASSERT_OK(rc);
        ASSERT_ERR(ll_merkle_inclusion_verify(q.index, q.size, leaves[4], H,
                                              q.hash[0], q.count * H, root, H),
                   LL_EPROOF);
        memcpy(&q, &saved, sizeof(q));
    }
    ASSERT_MEM_EQ(&q, &saved, sizeof(q));

    /* Header fields, one at a time. */
    uint8_t m[LL_MERKLE_CONSISTENCY_ENC_MAX + 1];
    memcpy(m, enc, len);
    m[0] = 0x02;
    ASSERT_ERR(ll_merkle_inclusion_decode(&q, m, len), LL_EDECODE);
    m[0] = 0x00;
    ASSERT_ERR(ll_merkle_inclusion_decode(&q, m, len), LL_EVERSION);
    m[0] = 0x81;
    ASSERT_ERR(ll_merkle_inclusion_decode(&q, m, len), LL_EVERSION);
    memcpy(m, enc, len);
    ll_store_be64(m + 1, 7); /* index == size */
    ASSERT_ERR(ll_merkle_inclusion_decode(&q, m, len), LL_ERANGE);
    ll_store_be64(m + 1, 4);
    ll_store_be64(m + 9, 0);
    ASSERT_ERR(ll_merkle_inclusion_decode(&q, m, len), LL_ERANGE);
    memcpy(m, enc, len);
    m[17] = 4; /* a fourth hash that does not belong */
    memcpy(m + len, root, H);
    ASSERT_ERR(ll_merkle_inclusion_decode(&q, m, len + H), LL_EDECODE);
    m[17] = 2;
    ASSERT_ERR(ll_merkle_inclusion_decode(&q, m, len - H), LL_EDECODE);
    m[17] = 255;
    ASSERT_ERR(ll_merkle_inclusion_decode(&q, m, len), LL_ETOOBIG);
    ASSERT_MEM_EQ(&q, &saved, sizeof(q));

    /* Encoders refuse what would not decode. */
    size_t outlen = 5;
    p.count = 2;
    ASSERT_ERR(ll_merkle_inclusion_encode(enc, sizeof(enc), &outlen, &p),
               LL_EINVAL);
    p.count = 3;
    ASSERT_ERR(ll_merkle_inclusion_encode(enc, len - 1, &outlen, &p),
               LL_EINVAL);
    ASSERT_ERR(ll_merkle_inclusion_encode(NULL, 0, &outlen, &p), LL_EINVAL);
    p.index = 7;
    ASSERT_ERR(ll_merkle_inclusion_encode(enc, sizeof(enc), &outlen, &p),
               LL_EINVAL);
    ASSERT_UEQ(outlen, 5);

    /* Consistency: 3 -> 7. */
    struct ll_merkle_consistency_proof c;
    struct ll_merkle_consistency_proof d;
    ASSERT_OK(ll_merkle_consistency_prove(&c, cleaves(leaves), 7, 3));
    ASSERT_OK(ll_merkle_consistency_encode(enc, sizeof(enc), &len, &c));
    ASSERT_EQ(enc[0], 0x02);
    ASSERT_UEQ(ll_load_be64(enc + 1), 3);
    ASSERT_UEQ(ll_load_be64(enc + 9), 7);
    ASSERT_UEQ(enc[17], c.count);
    for (size_t cut = 0; cut < len; cut++)
        ASSERT_ERR(ll_merkle_consistency_decode(&d, enc, cut), LL_ETRUNC);
    enc[len] = 0;
    ASSERT_ERR(ll_merkle_consistency_decode(&d, enc, len + 1), LL_ETRAILING);
    memcpy(m, enc, len);
    m[0] = 0x01;
    ASSERT_ERR(ll_merkle_consistency_decode(&d, m, len), LL_EDECODE);
    m[0] = 0x03;
    ASSERT_ERR(ll_merkle_consistency_decode(&d, m, len), LL_EDECODE);
    m[0] = 0x02;
    ll_store_be64(m + 1, 0);
    ASSERT_ERR(ll_merkle_consistency_decode(&d, m, len), LL_ERANGE);
    ll_store_be64(m + 1, 8);
    ASSERT_ERR(ll_merkle_consistency_decode(&d, m, len), LL_ERANGE);
    ll_store_be64(m + 1, 4); /* 4 -> 7 has another length */
    ASSERT_FAILS(ll_merkle_consistency_decode(&d, m, len));
    memcpy(m, enc, len);
    m[17] = 66;
    ASSERT_ERR(ll_merkle_consistency_decode(&d, m, len), LL_ETOOBIG);
    /* Equal sizes carry zero hashes. */
    ASSERT_OK(ll_merkle_consistency_prove(&c, cleaves(leaves), 7, 7));
    ASSERT_OK(ll_merkle_consistency_encode(enc, sizeof(enc), &len, &c));
    ASSERT_UEQ(len, 18);
    ASSERT_OK(ll_merkle_consistency_decode(&d, enc, len));
    c.size1 = 0;
    ASSERT_ERR(ll_merkle_consistency_encode(enc, sizeof(enc), &len, &c),
               LL_EINVAL);
}

/* ---- the transparency-dev vectors
 * --------------------------------------------
 */

struct vec_stats {
    size_t files;
    size_t valid;      /* wantErr false and verified */
    size_t rejected;   /* wantErr true and rejected */
    size_t mismatches; /* disagreements, each printed */
    size_t by_code[32];
};

static bool is_num_char(uint8_t c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
           c == 'e' || c == 'E';
}

/*
 * jansson refuses integers above INT64_MAX ("leafIdx":
 * 18446744073709551615 is in the vectors), so quote every bare number before
 * parsing and read the numbers back as strings.
 */
static json_t *load_json_quoted(const char *path)
{
    size_t len = 0;
    uint8_t *raw = ll_test_read_file(path, &len);
    if (raw == NULL)
        ll_test_fail(__FILE__, __LINE__, "cannot read %s", path);
    struct ll_buf b;
    ll_buf_init(&b, 2 * len + 16);
    bool in_str = false;
    size_t i = 0;
    while (i < len) {
        uint8_t c = raw[i];
        if (in_str && c == '\\' && i + 1 < len) {
            ASSERT_OK(ll_buf_append(&b, raw + i, 2));
            i += 2;
            continue;
        }
        if (!in_str && (c == '-' || (c >= '0' && c <= '9'))) {
            ASSERT_OK(ll_buf_append_byte(&b, '"'));
            while (i < len && is_num_char(raw[i]))
                ASSERT_OK(ll_buf_append_byte(&b, raw[i++]));
            ASSERT_OK(ll_buf_append_byte(&b, '"'));
            continue;
        }
        if (c == '"')
            in_str = !in_str;
        ASSERT_OK(ll_buf_append_byte(&b, c));
        i++;
    }
    json_error_t err;
    json_t *j = json_loadb((const char *)b.data, b.len, 0, &err);
    if (j == NULL)
        ll_test_fail(__FILE__, __LINE__, "%s: %s", path, err.text);
    ll_buf_free(&b);
    ll_free(raw);
    return j;
}

static uint64_t get_u64(const json_t *o, const char *key, const char *path)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (s == NULL || *s == '\0')
        ll_test_fail(__FILE__, __LINE__, "%s: no number %s", path, key);
    uint64_t v = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            ll_test_fail(__FILE__, __LINE__, "%s: %s = %s is not a u64", path,
                         key, s);
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            ll_test_fail(__FILE__, __LINE__, "%s: %s overflows", path, key);
        v = v * 10 + d;
    }
    return v;
}

static size_t b64(uint8_t *out, size_t cap, const json_t *v, const char *path)
{
    const char *s = json_string_value(v);
    size_t n = 0;
    if (s == NULL)
        ll_test_fail(__FILE__, __LINE__, "%s: expected a base64 string", path);
    if (ll_base64_decode(out, cap, &n, s, strlen(s)) != 0)
        ll_test_fail(__FILE__, __LINE__, "%s: bad base64 %s", path, s);
    return n;
}

/* The proof field: null or a list of base64 strings, flattened by the
 * library (which rejects elements that are not one hash). */
#define VEC_MAX_ELEMS 80
static int vec_proof(uint8_t *flat, size_t cap, size_t *flatlen,
                     const json_t *o, const char *path)
{
    static uint8_t elem[VEC_MAX_ELEMS][64];
    const uint8_t *ptrs[VEC_MAX_ELEMS];
    size_t lens[VEC_MAX_ELEMS];
    const json_t *arr = json_object_get(o, "proof");
    size_t n = 0;
    if (arr == NULL)
        ll_test_fail(__FILE__, __LINE__, "%s: no proof field", path);
    if (!json_is_null(arr)) {
        if (!json_is_array(arr) || json_array_size(arr) > VEC_MAX_ELEMS)
            ll_test_fail(__FILE__, __LINE__, "%s: bad proof field", path);
        n = json_array_size(arr);
    }
    for (size_t i = 0; i < n; i++) {
        lens[i] = b64(elem[i], sizeof(elem[i]), json_array_get(arr, i), path);
        ptrs[i] = elem[i];
    }
    return ll_merkle_proof_flatten(flat, cap, flatlen, ptrs, lens, n);
}

static bool get_want_err(const json_t *o, const char *path)
{
    const json_t *w = json_object_get(o, "wantErr");
    if (!json_is_boolean(w))
        ll_test_fail(__FILE__, __LINE__, "%s: no wantErr", path);
    return json_is_true(w);
}

static void vec_record(struct vec_stats *st, const char *path, bool want_err,
                       int rc)
{
    st->files++;
    if (rc != 0 && rc != LL_EINVAL && rc != LL_ERANGE && rc != LL_EPROOF &&
        rc != LL_ETOOBIG) {
        (void)fprintf(stderr, "UNEXPECTED CODE %s: %s\n", path,
                      ll_err_name(rc));
        st->mismatches++;
    } else if (want_err != (rc != 0)) {
        (void)fprintf(stderr, "MISMATCH %s: wantErr=%s, got %s\n", path,
                      want_err ? "true" : "false",
                      rc ? ll_err_name(rc) : "success");
        st->mismatches++;
    } else if (rc == 0) {
        st->valid++;
    } else {
        st->rejected++;
        st->by_code[-rc < 32 ? -rc : 0]++;
    }
}

static void vec_inclusion(const char *path, struct vec_stats *st)
{
    json_t *o = load_json_quoted(path);
    uint8_t root[128];
    uint8_t leaf[128];
    uint8_t flat[LL_MERKLE_MAX_CONSISTENCY * H];
    size_t flatlen = 0;
    uint64_t index = get_u64(o, "leafIdx", path);
    uint64_t size = get_u64(o, "treeSize", path);
    size_t rootlen = b64(root, sizeof(root), json_object_get(o, "root"), path);
    size_t leaflen =
        b64(leaf, sizeof(leaf), json_object_get(o, "leafHash"), path);
    bool want_err = get_want_err(o, path);
    int rc = vec_proof(flat, sizeof(flat), &flatlen, o, path);
    if (rc == 0)
        rc = ll_merkle_inclusion_verify(index, size, leaf, leaflen, flat,
                                        flatlen, root, rootlen);
    vec_record(st, path, want_err, rc);
    json_decref(o);
}

static void vec_consistency(const char *path, struct vec_stats *st)
{
    json_t *o = load_json_quoted(path);
    uint8_t root1[128];
    uint8_t root2[128];
    uint8_t flat[LL_MERKLE_MAX_CONSISTENCY * H];
    size_t flatlen = 0;
    uint64_t size1 = get_u64(o, "size1", path);
    uint64_t size2 = get_u64(o, "size2", path);
    size_t len1 = b64(root1, sizeof(root1), json_object_get(o, "root1"), path);
    size_t len2 = b64(root2, sizeof(root2), json_object_get(o, "root2"), path);
    bool want_err = get_want_err(o, path);
    int rc = vec_proof(flat, sizeof(flat), &flatlen, o, path);
    if (rc == 0)
        rc = ll_merkle_consistency_verify(size1, size2, flat, flatlen, root1,
                                          len1, root2, len2);
    vec_record(st, path, want_err, rc);
    json_decref(o);
}

/* Visit every regular file below dir, recursively. */
static void walk(const char *dir, void (*fn)(const char *, struct vec_stats *),
                 struct vec_stats *st)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        ll_test_fail(__FILE__, __LINE__, "cannot open %s", dir);
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) { /* NOLINT(concurrency-mt-unsafe) */
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[4096];
        int n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        ASSERT_TRUE(n > 0 && (size_t)n < sizeof(path));
        struct stat sb;
        ASSERT_EQ(stat(path, &sb), 0);
        if (S_ISDIR(sb.st_mode))
            walk(path, fn, st);
        else if (S_ISREG(sb.st_mode))
            fn(path, st);
    }
    (void)closedir(d);
}

static void run_vectors(const char *kind,
                        void (*fn)(const char *, struct vec_stats *),
                        size_t min_files, size_t min_valid)
{
    char dir[4096];
    struct vec_stats st;
    memset(&st, 0, sizeof(st));
    (void)snprintf(dir, sizeof(dir), "%s/merkle/testdata/%s",
                   ll_test_vectors_dir(), kind);
    walk(dir, fn, &st);
    printf("# %s vectors: %zu files, %zu verified, %zu rejected (EINVAL %zu, "
           "ERANGE %zu, EPROOF %zu, ETOOBIG %zu), %zu mismatches\n",
           kind, st.files, st.valid, st.rejected, st.by_code[-LL_EINVAL],
           st.by_code[-LL_ERANGE], st.by_code[-LL_EPROOF],
           st.by_code[-LL_ETOOBIG], st.mismatches);
    ASSERT_UEQ(st.mismatches, 0);
    ASSERT_GE(st.files, min_files);
    ASSERT_GE(st.valid, min_valid);
    ASSERT_UEQ(st.valid + st.rejected, st.files);
}

static void test_vectors_inclusion(void)
{
    /* 6 happy paths in 0..4 and single-entry's matching root and leaf. */
    run_vectors("inclusion", vec_inclusion, MIN_INCLUSION_FILES, 6);
}

static void test_vectors_consistency(void)
{
    /* 5 happy paths in 0..4 and the equal-size case in additional. */
    run_vectors("consistency", vec_consistency, MIN_CONSISTENCY_FILES, 6);
}

/*
 * Range proofs: for every tree of 1..40 leaves and every range [a, b), the
 * proof verifies against the root; a flipped bit in any proof hash or range
 * leaf, a hash short or extra, or the leaves claimed one place further
 * each fail. (The size is not checked by the root alone, as with RFC 9162
 * inclusion proofs: the verifier takes it from the committed lot state.)
 */
static void test_range_proofs(void)
{
    enum { N = 40 };
    uint8_t leaves[N][32];
    uint8_t proof[LL_MERKLE_MAX_RANGE][32];
    uint8_t range[N][32];
    for (size_t i = 0; i < N; i++) {
        uint8_t d = (uint8_t)i;
        ll_merkle_leaf_hash(leaves[i], &d, 1);
    }
    size_t most = 0;
    for (uint64_t n = 1; n <= N; n++) {
        uint8_t root[32];
        ASSERT_OK(ll_merkle_root(root, (const uint8_t(*)[32])leaves, n));
        for (uint64_t a = 0; a < n; a++) {
            for (uint64_t b = a + 1; b <= n; b++) {
                size_t k = 0;
                ASSERT_OK(ll_merkle_range_prove(
                    proof, &k, (const uint8_t(*)[32])leaves, n, a, b));
                most = k > most ? k : most;
                memcpy(range, leaves[a], (size_t)(b - a) * 32);
                const uint8_t(*rg)[32] = (const uint8_t(*)[32])range;
                const uint8_t *pf = &proof[0][0];
                ASSERT_OK(
                    ll_merkle_range_verify(root, n, a, b, rg, pf, k * 32));
                for (size_t j = 0; j < k; j++) {
                    proof[j][j % 32] ^= 1;
                    ASSERT_ERR(
                        ll_merkle_range_verify(root, n, a, b, rg, pf, k * 32),
                        LL_EPROOF);
                    proof[j][j % 32] ^= 1;
                }
                range[b - a - 1][7] ^= 0x80;
                ASSERT_ERR(
                    ll_merkle_range_verify(root, n, a, b, rg, pf, k * 32),
                    LL_EPROOF);
                range[b - a - 1][7] ^= 0x80;
                if (k > 0)
                    ASSERT_ERR(ll_merkle_range_verify(root, n, a, b, rg, pf,
                                                      (k - 1) * 32),
                               LL_ETRUNC);
                memcpy(proof[k], leaves[0], 32);
                ASSERT_ERR(
                    ll_merkle_range_verify(root, n, a, b, rg, pf, (k + 1) * 32),
                    LL_ETRAILING);
                if (b - a > 1) /* the first leaves, claimed one further */
                    ASSERT_TRUE(ll_merkle_range_verify(root, n, a + 1, b, rg,
                                                       pf, k * 32) != 0);
            }
        }
    }
    ASSERT_LE(most, 2 * 6); /* two per level of a 40-leaf tree */
    uint8_t root[32];
    ASSERT_OK(ll_merkle_root(root, (const uint8_t(*)[32])leaves, 4));
    size_t k = 0;
    ASSERT_ERR(
        ll_merkle_range_prove(proof, &k, (const uint8_t(*)[32])leaves, 4, 2, 2),
        LL_ERANGE);
    ASSERT_ERR(
        ll_merkle_range_prove(proof, &k, (const uint8_t(*)[32])leaves, 4, 3, 5),
        LL_ERANGE);
    ASSERT_ERR(ll_merkle_range_verify(root, 4, 0, 1,
                                      (const uint8_t(*)[32])leaves,
                                      &proof[0][0], 31),
               LL_EINVAL);
    ASSERT_ERR(
        ll_merkle_range_verify(root, 4, 0, 1, (const uint8_t(*)[32])leaves,
                               &proof[0][0], (LL_MERKLE_MAX_RANGE + 1) * 32),
        LL_ETOOBIG);
}

static const struct ll_test tests[] = {
    {"hashes", test_hashes},
    {"range_proofs", test_range_proofs},
    {"rfc6962_root", test_rfc6962_root},
    {"rfc6962_prefixes", test_rfc6962_prefixes},
    {"root_random", test_root_random},
    {"frontier_property", test_frontier_property},
    {"frontier_strict", test_frontier_strict},
    {"frontier_limits", test_frontier_limits},
    {"inclusion_small", test_inclusion_small},
    {"inclusion_large", test_inclusion_large},
    {"consistency_small", test_consistency_small},
    {"consistency_large", test_consistency_large},
    {"size_not_bound", test_size_not_bound},
    {"verify_args", test_verify_args},
    {"max_bounds", test_max_bounds},
    {"flatten", test_flatten},
    {"proof_encoding_strict", test_proof_encoding_strict},
    {"vectors_inclusion", test_vectors_inclusion},
    {"vectors_consistency", test_vectors_consistency},
};

LL_TEST_MAIN(tests)
