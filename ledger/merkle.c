/* SPDX-License-Identifier: MIT */
/*
 * The RFC 6962 / RFC 9162 Merkle log (see merkle.h and docs/merkle.md).
 * Every tree hash is computed with the frontier fold: the leaves of a range
 * are pushed one by one onto a stack of perfect-subtree roots, and the stack
 * is folded right to left at the end. That gives RFC 9162's MTH without
 * recursion or allocation, for the whole tree and for the sibling subtrees
 * that proof generation needs. Verification follows the RFC 9162 algorithms
 * step by step; decoders check every length before reading.
 */
#include <string.h>

#include "../crypto/crypto.h"
#include "merkle.h"

#define HASH_LEN LL_MERKLE_HASH_LEN

/* ---- bit helpers --------------------------------------------------------- */

static unsigned bit_len(uint64_t x)
{
    unsigned n = 0;
    while (x != 0) {
        n++;
        x >>= 1;
    }
    return n;
}

static unsigned pop_count(uint64_t x)
{
    unsigned n = 0;
    while (x != 0) {
        x &= x - 1;
        n++;
    }
    return n;
}

/* Trailing zero bits of x; x must not be 0. */
static unsigned trailing_zeros(uint64_t x)
{
    unsigned n = 0;
    while ((x & 1) == 0) {
        n++;
        x >>= 1;
    }
    return n;
}

static bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* The largest power of two strictly below n (n >= 2): RFC 9162's k. */
static uint64_t split_point(uint64_t n)
{
    return (uint64_t)1 << (bit_len(n - 1) - 1);
}

/*
 * Number of hashes in the inclusion proof for index < size: the levels
 * where the path has a right sibling inside the perfect part of the tree
 * (inner), plus one per perfect subtree to the left of the path (border).
 */
static size_t inclusion_count(uint64_t index, uint64_t size)
{
    unsigned inner = bit_len(index ^ (size - 1));
    unsigned border = inner < 64 ? pop_count(index >> inner) : 0;
    return (size_t)inner + border;
}

/*
 * Number of hashes in the consistency proof for 1 <= size1 <= size2. The
 * proof is the inclusion path of leaf size1 - 1 above the perfect subtree of
 * 2^shift leaves that ends at size1, plus that subtree's root unless it is the
 * whole old tree (then the verifier uses root1).
 */
static size_t consistency_count(uint64_t size1, uint64_t size2)
{
    size_t n = 0;
    if (size1 < size2) {
        unsigned shift = trailing_zeros(size1);
        n = inclusion_count(size1 - 1, size2) - shift;
        if (!is_pow2(size1))
            n++;
    }
    return n;
}

/* ---- hashing ------------------------------------------------------------- */

void ll_merkle_leaf_hash(uint8_t out[static 32], const void *data, size_t len)
{
    static const uint8_t prefix = 0x00;
    struct ll_sha256 st;
    ll_sha256_init(&st);
    ll_sha256_update(&st, &prefix, 1);
    if (len > 0)
        ll_sha256_update(&st, data, len);
    ll_sha256_final(&st, out);
}

void ll_merkle_node_hash(uint8_t out[static 32], const uint8_t left[static 32],
                         const uint8_t right[static 32])
{
    uint8_t buf[1 + 2 * HASH_LEN];
    buf[0] = 0x01;
    memcpy(buf + 1, left, HASH_LEN);
    memcpy(buf + 1 + HASH_LEN, right, HASH_LEN);
    ll_sha256(out, buf, sizeof(buf));
}

/* ---- frontier -------------------------------------------------------------
 */

/* Append without the size check; the caller knows size < 2^64 - 1. */
static void frontier_push(struct ll_merkle_frontier *f, const uint8_t *leaf)
{
    size_t top = pop_count(f->size);
    memcpy(f->hash[top], leaf, HASH_LEN);
    /* Each trailing one bit of the old size is a subtree of the same size as
     * the one being carried; merge them, smallest first. */
    for (uint64_t s = f->size; (s & 1) != 0; s >>= 1) {
        ll_merkle_node_hash(f->hash[top - 1], f->hash[top - 1], f->hash[top]);
        top--;
    }
    f->size++;
}

void ll_merkle_frontier_init(struct ll_merkle_frontier *f)
{
    memset(f, 0, sizeof(*f));
}

int ll_merkle_frontier_append(struct ll_merkle_frontier *f,
                              const uint8_t leaf[static 32])
{
    int rc = 0;
    if (f->size == UINT64_MAX) {
        rc = LL_ERANGE;
        goto out;
    }
    frontier_push(f, leaf);
out:
    return rc;
}

void ll_merkle_frontier_root(uint8_t out[static 32],
                             const struct ll_merkle_frontier *f)
{
    size_t n = pop_count(f->size);
    if (n == 0) {
        ll_sha256(out, "", 0);
    } else {
        uint8_t acc[HASH_LEN];
        memcpy(acc, f->hash[n - 1], HASH_LEN);
        for (size_t i = n - 1; i > 0; i--)
            ll_merkle_node_hash(acc, f->hash[i - 1], acc);
        memcpy(out, acc, HASH_LEN);
    }
}

/* MTH over n leaf hashes (any n, including 0) by the frontier fold. */
static void range_root(uint8_t out[32], const uint8_t (*leaves)[32], uint64_t n)
{
    struct ll_merkle_frontier f;
    ll_merkle_frontier_init(&f);
    for (uint64_t i = 0; i < n; i++)
        frontier_push(&f, leaves[i]);
    ll_merkle_frontier_root(out, &f);
}

static int check_leaves(const uint8_t (*leaves)[32], uint64_t n)
{
    int rc = 0;
    if ((leaves == NULL && n > 0) || n > SIZE_MAX / HASH_LEN)
        rc = LL_EINVAL;
    return rc;
}

int ll_merkle_root(uint8_t out[static 32], const uint8_t (*leaves)[32],
                   uint64_t n)
{
    int rc = check_leaves(leaves, n);
    if (rc != 0)
        goto out;
    range_root(out, leaves, n);
out:
    return rc;
}

/* ---- proof generation ---------------------------------------------------- */

int ll_merkle_inclusion_prove(struct ll_merkle_inclusion_proof *out,
                              const uint8_t (*leaves)[32], uint64_t n,
                              uint64_t index)
{
    uint8_t top[LL_MERKLE_MAX_INCLUSION][HASH_LEN];
    size_t depth = 0;
    int rc = check_leaves(leaves, n);
    if (rc != 0)
        goto out;
    if (index >= n) {
        rc = LL_ERANGE;
        goto out;
    }
    /* RFC 9162 §2.1.3.1 PATH(m, D_n), unrolled top-down: the sibling found
     * at each split is collected root level first, then reversed. */
    uint64_t lo = 0;
    uint64_t hi = n;
    while (hi - lo > 1) {
        uint64_t k = split_point(hi - lo);
        LL_ASSERT(depth < LL_MERKLE_MAX_INCLUSION);
        if (index - lo < k) {
            range_root(top[depth], leaves + lo + k, hi - lo - k);
            hi = lo + k;
        } else {
            range_root(top[depth], leaves + lo, k);
            lo += k;
        }
        depth++;
    }
    LL_VERIFY_CHECK(depth == inclusion_count(index, n));
    out->index = index;
    out->size = n;
    out->count = depth;
    for (size_t i = 0; i < depth; i++)
        memcpy(out->hash[i], top[depth - 1 - i], HASH_LEN);
out:
    return rc;
}

int ll_merkle_consistency_prove(struct ll_merkle_consistency_proof *out,
                                const uint8_t (*leaves)[32], uint64_t n,
                                uint64_t size1)
{
    uint8_t top[LL_MERKLE_FRONTIER_MAX][HASH_LEN];
    uint8_t last[HASH_LEN];
    size_t depth = 0;
    int rc = check_leaves(leaves, n);
    if (rc != 0)
        goto out;
    if (size1 == 0 || size1 > n) {
        rc = LL_ERANGE;
        goto out;
    }
    /* RFC 9162 §2.1.4.1 SUBPROOF(m, D_n, b), unrolled top-down. `whole`
     * is the flag b: still true while m is a left part of the original tree,
     * in which case the verifier knows MTH(D[0:m]) already. */
    uint64_t lo = 0;
    uint64_t hi = n;
    uint64_t m = size1;
    bool whole = true;
    while (m != hi - lo) {
        uint64_t k = split_point(hi - lo);
        LL_ASSERT(depth < LL_MERKLE_FRONTIER_MAX);
        if (m <= k) {
            range_root(top[depth], leaves + lo + k, hi - lo - k);
            hi = lo + k;
        } else {
            range_root(top[depth], leaves + lo, k);
            lo += k;
            m -= k;
            whole = false;
        }
        depth++;
    }
    size_t count = 0;
    if (!whole) {
        range_root(last, leaves + lo, hi - lo);
        memcpy(out->hash[count++], last, HASH_LEN);
    }
    for (size_t i = 0; i < depth; i++)
        memcpy(out->hash[count++], top[depth - 1 - i], HASH_LEN);
    LL_VERIFY_CHECK(count == consistency_count(size1, n));
    out->size1 = size1;
    out->size2 = n;
    out->count = count;
out:
    return rc;
}

/* ---- verification -------------------------------------------------------- */

/*
 * Shared checks on a flat proof: present if non-empty, whole hashes, and not
 * longer than any valid proof.
 */
static int check_flat_proof(const uint8_t *proof, size_t prooflen,
                            size_t max_hashes)
{
    int rc = 0;
    if ((proof == NULL && prooflen > 0) || prooflen % HASH_LEN != 0)
        rc = LL_EINVAL;
    else if (prooflen / HASH_LEN > max_hashes)
        rc = LL_ETOOBIG;
    return rc;
}

/* Right-shift fn and sn together until LSB(fn) is set or fn is 0. */
static void shift_to_set_bit(uint64_t *fn, uint64_t *sn)
{
    while ((*fn & 1) == 0 && *fn != 0) {
        *fn >>= 1;
        *sn >>= 1;
    }
}

/*
 * RFC 9162 §2.1.3.2 steps 2-5 without the final comparison: fold the audit
 * path into r. Returns false if the path has the wrong length.
 */
static bool inclusion_fold(uint8_t r[32], uint64_t index, uint64_t size,
                           const uint8_t *leaf, const uint8_t *proof,
                           size_t count)
{
    uint64_t fn = index;
    uint64_t sn = size - 1;
    bool ok = true;
    memcpy(r, leaf, HASH_LEN);
    for (size_t i = 0; ok && i < count; i++) {
        const uint8_t *p = proof + i * HASH_LEN;
        if (sn == 0) {
            ok = false;
        } else if ((fn & 1) != 0 || fn == sn) {
            ll_merkle_node_hash(r, p, r);
            shift_to_set_bit(&fn, &sn);
        } else {
            ll_merkle_node_hash(r, r, p);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return ok && sn == 0;
}

int ll_merkle_inclusion_verify(uint64_t index, uint64_t size,
                               const uint8_t *leaf, size_t leaflen,
                               const uint8_t *proof, size_t prooflen,
                               const uint8_t *root, size_t rootlen)
{
    uint8_t r[HASH_LEN];
    int rc = check_flat_proof(proof, prooflen, LL_MERKLE_MAX_INCLUSION);
    if (rc != 0)
        goto out;
    if (leaf == NULL || root == NULL || leaflen != HASH_LEN ||
        rootlen != HASH_LEN) {
        rc = LL_EINVAL;
        goto out;
    }
    if (index >= size) {
        rc = LL_ERANGE;
        goto out;
    }
    if (!inclusion_fold(r, index, size, leaf, proof, prooflen / HASH_LEN) ||
        !ll_crypto_memeq(r, root, HASH_LEN))
        rc = LL_EPROOF;
out:
    return rc;
}

/*
 * RFC 9162 §2.1.4.2 steps 2-6 for 1 <= size1 < size2 and count >= 1: fold
 * the path into fr (the old root) and sr (the new root). Returns false if
 * the path has the wrong length.
 */
static bool consistency_fold(uint8_t fr[32], uint8_t sr[32], uint64_t size1,
                             uint64_t size2, const uint8_t *root1,
                             const uint8_t *proof, size_t count)
{
    /* Step 2: a power-of-two old tree is itself the first subtree, so its
     * root is not sent; use root1 in its place. */
    const uint8_t *seed = proof;
    size_t i = 1;
    if (is_pow2(size1)) {
        seed = root1;
        i = 0;
    }
    uint64_t fn = size1 - 1;
    uint64_t sn = size2 - 1;
    while ((fn & 1) != 0) {
        fn >>= 1;
        sn >>= 1;
    }
    memcpy(fr, seed, HASH_LEN);
    memcpy(sr, seed, HASH_LEN);
    bool ok = true;
    for (; ok && i < count; i++) {
        const uint8_t *c = proof + i * HASH_LEN;
        if (sn == 0) {
            ok = false;
        } else if ((fn & 1) != 0 || fn == sn) {
            ll_merkle_node_hash(fr, c, fr);
            ll_merkle_node_hash(sr, c, sr);
            shift_to_set_bit(&fn, &sn);
        } else {
            ll_merkle_node_hash(sr, sr, c);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return ok && sn == 0;
}

/* size1 == size2: nothing to hash; the same tree must have the same root. */
static int consistency_equal(size_t prooflen, const uint8_t *root1,
                             size_t root1len, const uint8_t *root2,
                             size_t root2len)
{
    int rc = 0;
    if (prooflen != 0 || root1len != root2len ||
        !ll_crypto_memeq(root1, root2, root1len))
        rc = LL_EPROOF;
    return rc;
}

int ll_merkle_consistency_verify(uint64_t size1, uint64_t size2,
                                 const uint8_t *proof, size_t prooflen,
                                 const uint8_t *root1, size_t root1len,
                                 const uint8_t *root2, size_t root2len)
{
    uint8_t fr[HASH_LEN];
    uint8_t sr[HASH_LEN];
    int rc = check_flat_proof(proof, prooflen, LL_MERKLE_MAX_CONSISTENCY);
    if (rc != 0)
        goto out;
    if (root1 == NULL || root2 == NULL) {
        rc = LL_EINVAL;
        goto out;
    }
    if (size1 == 0 || size1 > size2) {
        rc = LL_ERANGE;
        goto out;
    }
    if (size1 == size2) {
        rc = consistency_equal(prooflen, root1, root1len, root2, root2len);
        goto out;
    }
    if (root1len != HASH_LEN || root2len != HASH_LEN) {
        rc = LL_EINVAL;
        goto out;
    }
    /* Step 1: an empty path never proves two different sizes. */
    if (prooflen == 0 ||
        !consistency_fold(fr, sr, size1, size2, root1, proof,
                          prooflen / HASH_LEN) ||
        !ll_crypto_memeq(fr, root1, HASH_LEN) ||
        !ll_crypto_memeq(sr, root2, HASH_LEN))
        rc = LL_EPROOF;
out:
    return rc;
}

int ll_merkle_proof_flatten(uint8_t *out, size_t outcap, size_t *outlen,
                            const uint8_t *const *hashes,
                            const size_t *hashlens, size_t count)
{
    int rc = 0;
    if (count > LL_MERKLE_MAX_CONSISTENCY) {
        rc = LL_ETOOBIG;
        goto out;
    }
    if ((count > 0 && (out == NULL || hashes == NULL || hashlens == NULL)) ||
        outcap < count * HASH_LEN) {
        rc = LL_EINVAL;
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        if (hashes[i] == NULL || hashlens[i] != HASH_LEN) {
            rc = LL_EINVAL;
            goto out;
        }
    }
    for (size_t i = 0; i < count; i++)
        memcpy(out + i * HASH_LEN, hashes[i], HASH_LEN);
    *outlen = count * HASH_LEN;
out:
    return rc;
}

/* ---- encodings ------------------------------------------------------------
 */

/*
 * Check byte 0 of an encoding: the expected format, another known format
 * (LL_EDECODE: right family, wrong kind), or a reserved value.
 */
static int check_format(uint8_t got, uint8_t want)
{
    int rc = 0;
    if (got != want) {
        if (got == LL_MERKLE_ENC_INCLUSION ||
            got == LL_MERKLE_ENC_CONSISTENCY || got == LL_MERKLE_ENC_FRONTIER)
            rc = LL_EDECODE;
        else
            rc = LL_EVERSION;
    }
    return rc;
}

/* The fields both proof encodings share. */
struct proof_hdr {
    uint64_t a;            /* index, or size1 */
    uint64_t b;            /* size, or size2 */
    size_t count;          /* hashes that follow */
    const uint8_t *hashes; /* count * 32 bytes inside the input */
};

/*
 * Structural checks of a proof encoding: format byte, header, count bound,
 * exact total length. The caller checks what the fields mean.
 */
static int decode_proof_hdr(struct proof_hdr *out, const uint8_t *buf,
                            size_t len, uint8_t format, size_t max_hashes)
{
    int rc = 0;
    if (buf == NULL && len > 0) {
        rc = LL_EINVAL;
        goto out;
    }
    if (len < 1) {
        rc = LL_ETRUNC;
        goto out;
    }
    rc = check_format(buf[0], format);
    if (rc != 0)
        goto out;
    if (len < LL_MERKLE_PROOF_HDR_LEN) {
        rc = LL_ETRUNC;
        goto out;
    }
    size_t count = buf[17];
    if (count > max_hashes) {
        rc = LL_ETOOBIG;
        goto out;
    }
    size_t want = LL_MERKLE_PROOF_HDR_LEN + count * HASH_LEN;
    if (len != want) {
        rc = len < want ? LL_ETRUNC : LL_ETRAILING;
        goto out;
    }
    out->a = ll_load_be64(buf + 1);
    out->b = ll_load_be64(buf + 9);
    out->count = count;
    out->hashes = buf + LL_MERKLE_PROOF_HDR_LEN;
out:
    return rc;
}

/* Write a proof encoding; the caller has checked the fields. */
static int encode_proof(uint8_t *out, size_t outcap, size_t *outlen,
                        uint8_t format, uint64_t a, uint64_t b,
                        const uint8_t (*hashes)[32], size_t count)
{
    int rc = 0;
    size_t need = LL_MERKLE_PROOF_HDR_LEN + count * HASH_LEN;
    if (out == NULL || outcap < need) {
        rc = LL_EINVAL;
        goto out;
    }
    out[0] = format;
    ll_store_be64(out + 1, a);
    ll_store_be64(out + 9, b);
    out[17] = (uint8_t)count;
    if (count > 0)
        memcpy(out + LL_MERKLE_PROOF_HDR_LEN, hashes, count * HASH_LEN);
    *outlen = need;
out:
    return rc;
}

int ll_merkle_inclusion_encode(uint8_t *out, size_t outcap, size_t *outlen,
                               const struct ll_merkle_inclusion_proof *p)
{
    int rc = 0;
    if (p->index >= p->size || p->count != inclusion_count(p->index, p->size)) {
        rc = LL_EINVAL;
        goto out;
    }
    rc = encode_proof(out, outcap, outlen, LL_MERKLE_ENC_INCLUSION, p->index,
                      p->size, p->hash, p->count);
out:
    return rc;
}

int ll_merkle_inclusion_decode(struct ll_merkle_inclusion_proof *out,
                               const uint8_t *buf, size_t len)
{
    struct proof_hdr h;
    int rc = decode_proof_hdr(&h, buf, len, LL_MERKLE_ENC_INCLUSION,
                              LL_MERKLE_MAX_INCLUSION);
    if (rc != 0)
        goto out;
    if (h.a >= h.b) {
        rc = LL_ERANGE;
        goto out;
    }
    if (h.count != inclusion_count(h.a, h.b)) {
        rc = LL_EDECODE;
        goto out;
    }
    out->index = h.a;
    out->size = h.b;
    out->count = h.count;
    memset(out->hash, 0, sizeof(out->hash));
    if (h.count > 0)
        memcpy(out->hash, h.hashes, h.count * HASH_LEN);
out:
    return rc;
}

int ll_merkle_consistency_encode(uint8_t *out, size_t outcap, size_t *outlen,
                                 const struct ll_merkle_consistency_proof *p)
{
    int rc = 0;
    if (p->size1 == 0 || p->size1 > p->size2 ||
        p->count != consistency_count(p->size1, p->size2)) {
        rc = LL_EINVAL;
        goto out;
    }
    rc = encode_proof(out, outcap, outlen, LL_MERKLE_ENC_CONSISTENCY, p->size1,
                      p->size2, p->hash, p->count);
out:
    return rc;
}

int ll_merkle_consistency_decode(struct ll_merkle_consistency_proof *out,
                                 const uint8_t *buf, size_t len)
{
    struct proof_hdr h;
    int rc = decode_proof_hdr(&h, buf, len, LL_MERKLE_ENC_CONSISTENCY,
                              LL_MERKLE_MAX_CONSISTENCY);
    if (rc != 0)
        goto out;
    if (h.a == 0 || h.a > h.b) {
        rc = LL_ERANGE;
        goto out;
    }
    if (h.count != consistency_count(h.a, h.b)) {
        rc = LL_EDECODE;
        goto out;
    }
    out->size1 = h.a;
    out->size2 = h.b;
    out->count = h.count;
    memset(out->hash, 0, sizeof(out->hash));
    if (h.count > 0)
        memcpy(out->hash, h.hashes, h.count * HASH_LEN);
out:
    return rc;
}

int ll_merkle_frontier_encode(uint8_t *out, size_t outcap, size_t *outlen,
                              const struct ll_merkle_frontier *f)
{
    int rc = 0;
    size_t count = pop_count(f->size);
    size_t need = LL_MERKLE_FRONTIER_HDR_LEN + count * HASH_LEN;
    if (out == NULL || outcap < need) {
        rc = LL_EINVAL;
        goto out;
    }
    out[0] = LL_MERKLE_ENC_FRONTIER;
    ll_store_be64(out + 1, f->size);
    if (count > 0)
        memcpy(out + LL_MERKLE_FRONTIER_HDR_LEN, f->hash, count * HASH_LEN);
    *outlen = need;
out:
    return rc;
}

int ll_merkle_frontier_decode(struct ll_merkle_frontier *out,
                              const uint8_t *buf, size_t len)
{
    int rc = 0;
    if (buf == NULL && len > 0) {
        rc = LL_EINVAL;
        goto out;
    }
    if (len < 1) {
        rc = LL_ETRUNC;
        goto out;
    }
    rc = check_format(buf[0], LL_MERKLE_ENC_FRONTIER);
    if (rc != 0)
        goto out;
    if (len < LL_MERKLE_FRONTIER_HDR_LEN) {
        rc = LL_ETRUNC;
        goto out;
    }
    uint64_t size = ll_load_be64(buf + 1);
    size_t count = pop_count(size);
    size_t want = LL_MERKLE_FRONTIER_HDR_LEN + count * HASH_LEN;
    if (len != want) {
        rc = len < want ? LL_ETRUNC : LL_ETRAILING;
        goto out;
    }
    memset(out, 0, sizeof(*out));
    out->size = size;
    if (count > 0)
        memcpy(out->hash, buf + LL_MERKLE_FRONTIER_HDR_LEN, count * HASH_LEN);
out:
    return rc;
}

/* ---- range proofs -------------------------------------------------------- */

struct range_ctx {
    const uint8_t (*leaves)[32]; /* prove: all n; verify: the range only */
    uint64_t a;                  /* the range [a, b) */
    uint64_t b;
    uint8_t (*out)[32];   /* prove: the proof so far */
    const uint8_t *proof; /* verify: the hashes left to read */
    size_t left;          /* hashes in out / left in proof */
    int rc;
};

/* The hashes of subtree [lo, hi) outside the range, left to right. */
static void range_emit(struct range_ctx *c, uint64_t lo, uint64_t hi)
{
    if (hi <= c->a || c->b <= lo) {
        LL_ASSERT(c->left < LL_MERKLE_MAX_RANGE);
        range_root(c->out[c->left++], c->leaves + lo, hi - lo);
        return;
    }
    if (c->a <= lo && hi <= c->b)
        return;
    uint64_t k = split_point(hi - lo);
    range_emit(c, lo, lo + k);
    range_emit(c, lo + k, hi);
}

/* The root of subtree [lo, hi), from the range's leaves and the proof. */
static void range_rebuild(struct range_ctx *c, uint64_t lo, uint64_t hi,
                          uint8_t out[32])
{
    if (c->rc != 0)
        return;
    if (hi <= c->a || c->b <= lo) {
        if (c->left == 0) {
            c->rc = LL_ETRUNC;
            return;
        }
        memcpy(out, c->proof, HASH_LEN);
        c->proof += HASH_LEN;
        c->left--;
        return;
    }
    if (c->a <= lo && hi <= c->b) {
        range_root(out, c->leaves + (lo - c->a), hi - lo);
        return;
    }
    uint8_t l[HASH_LEN];
    uint8_t r[HASH_LEN];
    uint64_t k = split_point(hi - lo);
    range_rebuild(c, lo, lo + k, l);
    range_rebuild(c, lo + k, hi, r);
    if (c->rc == 0)
        ll_merkle_node_hash(out, l, r);
}

int ll_merkle_range_prove(uint8_t (*out)[32], size_t *count,
                          const uint8_t (*leaves)[32], uint64_t n, uint64_t a,
                          uint64_t b)
{
    int rc = check_leaves(leaves, n);
    if (rc == 0 && (a >= b || b > n))
        rc = LL_ERANGE;
    if (rc != 0)
        return rc;
    struct range_ctx c = {leaves, a, b, out, NULL, 0, 0};
    range_emit(&c, 0, n);
    *count = c.left;
    return 0;
}

int ll_merkle_range_verify(const uint8_t root[static 32], uint64_t n,
                           uint64_t a, uint64_t b, const uint8_t (*range)[32],
                           const uint8_t *proof, size_t proof_len)
{
    uint8_t got[HASH_LEN];
    if (a >= b || b > n)
        return LL_ERANGE;
    if (range == NULL || proof_len % HASH_LEN != 0 ||
        (proof == NULL && proof_len > 0))
        return LL_EINVAL;
    if (proof_len / HASH_LEN > LL_MERKLE_MAX_RANGE)
        return LL_ETOOBIG;
    struct range_ctx c = {range, a, b, NULL, proof, proof_len / HASH_LEN, 0};
    range_rebuild(&c, 0, n, got);
    if (c.rc != 0)
        return c.rc;
    if (c.left != 0)
        return LL_ETRAILING;
    return memcmp(got, root, HASH_LEN) == 0 ? 0 : LL_EPROOF;
}
