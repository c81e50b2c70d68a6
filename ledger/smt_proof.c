/* SPDX-License-Identifier: MIT */
/*
 * Sparse Merkle multiproof verifier. It reads the proof (hostile bytes) in
 * one pre-order pass, guided by the sorted queried keys, checks every shape
 * rule of docs/smt.md as it goes and rebuilds the root bottom-up. The rules
 * make the format canonical: a tree and a key set have exactly one valid
 * proof, so a proof cannot be re-shaped into another one that also passes.
 * Needs no store; recursion is at most LL_SMT_MAX_DEPTH + 1 calls deep.
 * The compact form for keys known present (trace proofs) is converted from
 * this format and verified here too.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "smt.h"

/* Key arrays up to this size are handled on the stack, not the heap. */
#define SMALL_KEYS 16

/* A queried key and its index in the caller's array. */
struct kref {
    const uint8_t *key; /* 32 bytes, borrowed */
    size_t idx;         /* position in the caller's keys[] and results[] */
};

/* What an item turned out to be, for the parent's shape check. */
enum item_kind {
    ITEM_EMPTY,
    ITEM_LEAF,
    ITEM_INNER,
    ITEM_HASH,
};

struct vrf {
    const uint8_t *p;          /* proof bytes */
    size_t len;                /* proof length */
    size_t off;                /* bytes consumed */
    const struct kref *k;      /* queried keys, sorted */
    size_t nkeys;              /* entries in k */
    struct ll_smt_result *res; /* results, indexed by kref.idx */
};

static int cmp_kref(const void *a, const void *b)
{
    const struct kref *x = a;
    const struct kref *y = b;
    return memcmp(x->key, y->key, LL_SMT_KEY_LEN);
}

/* Consume n bytes of the proof. */
static int take(struct vrf *v, const uint8_t **out, size_t n)
{
    if (v->len - v->off < n)
        return LL_ETRUNC;
    *out = v->p + v->off;
    v->off += n;
    return 0;
}

/* First index in [lo, hi) whose key has bit `depth` set (keys sorted). */
static size_t split(const struct kref *k, size_t lo, size_t hi, unsigned depth)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ll_smt__key_bit(k[mid].key, depth))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* An EMPTY item: every key that goes here is absent. */
static void item_empty(struct vrf *v, uint8_t hash[LL_SMT_HASH_LEN], size_t lo,
                       size_t hi)
{
    memset(hash, 0, LL_SMT_HASH_LEN);
    for (size_t i = lo; i < hi; i++)
        memset(&v->res[v->k[i].idx], 0, sizeof(struct ll_smt_result));
}

/*
 * A LEAF item on the path of k[lo..hi): its key must start with the
 * position's prefix; the one queried key equal to it is present, the others
 * are absent.
 */
static int item_leaf(struct vrf *v, uint8_t hash[LL_SMT_HASH_LEN],
                     unsigned depth, size_t lo, size_t hi)
{
    const uint8_t *kv;
    int rc = take(v, &kv, LL_SMT_NODE_LEN - 1);
    if (rc)
        return rc;
    if (!ll_smt__same_prefix(kv, v->k[lo].key, depth))
        return LL_EPROOF;
    for (size_t i = lo; i < hi; i++) {
        struct ll_smt_result *r = &v->res[v->k[i].idx];
        r->present = memcmp(kv, v->k[i].key, LL_SMT_KEY_LEN) == 0;
        if (r->present)
            memcpy(r->value_hash, kv + 32, LL_SMT_HASH_LEN);
        else
            memset(r->value_hash, 0, LL_SMT_HASH_LEN);
    }
    ll_smt_leaf_hash(hash, kv, kv + 32);
    return 0;
}

/* A HASH item: an opaque, non-empty subtree off every queried path. */
static int item_hash(struct vrf *v, uint8_t hash[LL_SMT_HASH_LEN])
{
    static const uint8_t zero32[LL_SMT_HASH_LEN];
    const uint8_t *h;
    int rc = take(v, &h, LL_SMT_HASH_LEN);
    if (rc)
        return rc;
    if (memcmp(h, zero32, LL_SMT_HASH_LEN) == 0)
        return LL_EPROOF;
    memcpy(hash, h, LL_SMT_HASH_LEN);
    return 0;
}

static int item(struct vrf *v, uint8_t hash[LL_SMT_HASH_LEN],
                enum item_kind *kind, unsigned depth, size_t lo, size_t hi);

/*
 * An INNER item at depth on the path of k[lo..hi): both children, then the
 * shape rule. A child pair (EMPTY, EMPTY), (EMPTY, LEAF) or (LEAF, EMPTY)
 * cannot occur in the tree, which would have collapsed it.
 */
static int item_inner(struct vrf *v, uint8_t hash[LL_SMT_HASH_LEN],
                      unsigned depth, size_t lo, size_t hi)
{
    uint8_t h[2][LL_SMT_HASH_LEN];
    enum item_kind kind[2];
    size_t mid = split(v->k, lo, hi, depth);
    int rc = item(v, h[0], &kind[0], depth + 1, lo, mid);
    if (rc)
        return rc;
    rc = item(v, h[1], &kind[1], depth + 1, mid, hi);
    if (rc)
        return rc;
    if (kind[0] == ITEM_EMPTY && kind[1] != ITEM_INNER && kind[1] != ITEM_HASH)
        return LL_EPROOF;
    if (kind[0] == ITEM_LEAF && kind[1] == ITEM_EMPTY)
        return LL_EPROOF;
    ll_smt_node_hash(hash, h[0], h[1]);
    return 0;
}

/*
 * Read one item for the position at depth where the queried keys
 * k[lo..hi) go (lo == hi: off every queried path) and compute its hash.
 * Checks, in order: a tag byte is there (ETRUNC), the tag is known
 * (EDECODE), the tag is allowed here (EPROOF), then the item's own checks.
 */
static int item(struct vrf *v, uint8_t hash[LL_SMT_HASH_LEN],
                enum item_kind *kind, unsigned depth, size_t lo, size_t hi)
{
    const uint8_t *t;
    bool on_path = lo < hi;
    int rc = take(v, &t, 1);
    if (rc)
        return rc;
    switch (*t) {
    case LL_SMT_PROOF_EMPTY:
        item_empty(v, hash, lo, hi);
        *kind = ITEM_EMPTY;
        return 0;
    case LL_SMT_PROOF_LEAF:
        *kind = ITEM_LEAF;
        return on_path ? item_leaf(v, hash, depth, lo, hi) : LL_EPROOF;
    case LL_SMT_PROOF_INNER:
        *kind = ITEM_INNER;
        if (!on_path || depth >= LL_SMT_MAX_DEPTH)
            return LL_EPROOF;
        return item_inner(v, hash, depth, lo, hi);
    case LL_SMT_PROOF_HASH:
        *kind = ITEM_HASH;
        return on_path ? LL_EPROOF : item_hash(v, hash);
    default:
        return LL_EDECODE;
    }
}

/* Fill k from the caller's keys, sort, and reject a repeated key. */
static int sort_refs(struct kref *k, const uint8_t *keys, size_t nkeys)
{
    for (size_t i = 0; i < nkeys; i++) {
        k[i].key = keys + i * LL_SMT_KEY_LEN;
        k[i].idx = i;
    }
    if (nkeys > 1)
        qsort(k, nkeys, sizeof(*k), cmp_kref);
    for (size_t i = 1; i < nkeys; i++) {
        if (memcmp(k[i - 1].key, k[i].key, LL_SMT_KEY_LEN) == 0)
            return LL_EINVAL;
    }
    return 0;
}

/* The whole proof: version byte, the root item, nothing after it. */
static int parse(struct vrf *v, uint8_t root[LL_SMT_HASH_LEN])
{
    const uint8_t *ver;
    enum item_kind kind;
    int rc = take(v, &ver, 1);
    if (rc)
        return rc;
    if (*ver != LL_SMT_PROOF_VERSION)
        return LL_EVERSION;
    rc = item(v, root, &kind, 0, 0, v->nkeys);
    if (rc == 0 && v->off != v->len)
        rc = LL_ETRAILING;
    return rc;
}

/*
 * Verify a proof; compute its root into root_out and, if expect is not
 * NULL, require that root. Results are copied out only on success.
 */
static int run(uint8_t root_out[LL_SMT_HASH_LEN], struct ll_smt_result *results,
               const uint8_t *expect, const uint8_t *keys, size_t nkeys,
               const uint8_t *proof, size_t prooflen)
{
    struct kref small_k[SMALL_KEYS];
    struct ll_smt_result small_r[SMALL_KEYS];
    struct kref *k = small_k;
    struct ll_smt_result *res = small_r;
    uint8_t root[LL_SMT_HASH_LEN];
    int rc = 0;

    if ((keys == NULL || results == NULL) && nkeys > 0)
        return LL_EINVAL;
    if (proof == NULL && prooflen > 0)
        return LL_EINVAL;
    if (nkeys > SMALL_KEYS) {
        k = ll_reallocarray(NULL, nkeys, sizeof(*k));
        res = ll_reallocarray(NULL, nkeys, sizeof(*res));
        if (k == NULL || res == NULL) {
            rc = LL_ENOMEM;
            goto out_free;
        }
    }
    rc = sort_refs(k, keys, nkeys);
    if (rc)
        goto out_free;
    struct vrf v = {.p = proof,
                    .len = prooflen,
                    .off = 0,
                    .k = k,
                    .nkeys = nkeys,
                    .res = res};
    rc = parse(&v, root);
    if (rc)
        goto out_free;
    if (expect != NULL && memcmp(root, expect, LL_SMT_HASH_LEN) != 0) {
        rc = LL_EPROOF;
        goto out_free;
    }
    memcpy(root_out, root, LL_SMT_HASH_LEN);
    if (nkeys > 0)
        memcpy(results, res, nkeys * sizeof(*res));
out_free:
    if (k != small_k)
        ll_free(k);
    if (res != small_r)
        ll_free(res);
    return rc;
}

int ll_smt_proof_root(uint8_t root[static LL_SMT_HASH_LEN],
                      struct ll_smt_result *results, const uint8_t *keys,
                      size_t nkeys, const uint8_t *proof, size_t prooflen)
{
    return run(root, results, NULL, keys, nkeys, proof, prooflen);
}

int ll_smt_verify(struct ll_smt_result *results,
                  const uint8_t root[static LL_SMT_HASH_LEN],
                  const uint8_t *keys, size_t nkeys, const uint8_t *proof,
                  size_t prooflen)
{
    uint8_t got[LL_SMT_HASH_LEN];
    return run(got, results, root, keys, nkeys, proof, prooflen);
}

/* ---- compact proofs of present keys --------------------------------------
 */

static const uint8_t zero_hash[LL_SMT_HASH_LEN];

struct cvrf {
    const uint8_t *bits;   /* shape bits */
    size_t nbits;          /* 8 x their bytes */
    size_t bit;            /* bits consumed */
    struct vrf h;          /* hashes (as p, len, off) and the keys */
    const uint8_t *values; /* value hashes, by kref.idx */
};

/* The next shape bit, or false when there is none left (*ok false). */
static bool next_bit(struct cvrf *v, bool *ok)
{
    *ok = v->bit < v->nbits;
    if (!*ok)
        return false;
    bool b = (v->bits[v->bit / 8] >> (7 - v->bit % 8) & 1) != 0;
    v->bit++;
    return b;
}

/* Key references for nkeys keys: the stack array, or the heap above 16. */
static struct kref *kref_get(struct kref *small, size_t nkeys)
{
    return nkeys > SMALL_KEYS ? ll_reallocarray(NULL, nkeys, sizeof(*small))
                              : small;
}

struct packer {
    struct vrf in;         /* the format-1 proof being read */
    struct ll_buf *bits;   /* shape bits out */
    struct ll_buf *hashes; /* off-path hashes out */
    uint8_t byte;          /* bits not yet written, from the top */
    unsigned nbits;        /* how many (0..7) */
};

static int put_bit(struct packer *pk, bool bit)
{
    pk->byte |= (uint8_t)(bit ? 0x80u >> pk->nbits : 0);
    if (++pk->nbits < 8)
        return 0;
    int rc = ll_buf_append_byte(pk->bits, pk->byte);
    pk->byte = 0;
    pk->nbits = 0;
    return rc;
}

/* One format-1 item at depth for k[lo..hi), rewritten compactly. */
static int pack_item(struct packer *pk, unsigned depth, size_t lo, size_t hi)
{
    const uint8_t *t;
    const uint8_t *p;
    int rc = take(&pk->in, &t, 1);
    if (rc)
        return LL_EPROOF;
    if (lo == hi && (*t == LL_SMT_PROOF_EMPTY || *t == LL_SMT_PROOF_HASH)) {
        rc = put_bit(pk, *t == LL_SMT_PROOF_EMPTY);
        if (rc || *t == LL_SMT_PROOF_EMPTY)
            return rc;
        rc = take(&pk->in, &p, LL_SMT_HASH_LEN);
        return rc ? LL_EPROOF : ll_buf_append(pk->hashes, p, LL_SMT_HASH_LEN);
    }
    if (lo == hi || (*t != LL_SMT_PROOF_LEAF && *t != LL_SMT_PROOF_INNER))
        return LL_EPROOF; /* an absent key, or not a proof of these keys */
    if (hi - lo == 1 && (rc = put_bit(pk, *t == LL_SMT_PROOF_LEAF)) != 0)
        return rc;
    if (*t == LL_SMT_PROOF_LEAF) {
        if (hi - lo != 1 || take(&pk->in, &p, LL_SMT_NODE_LEN - 1) != 0 ||
            memcmp(p, pk->in.k[lo].key, LL_SMT_KEY_LEN) != 0)
            return LL_EPROOF;
        return 0;
    }
    if (depth >= LL_SMT_MAX_DEPTH)
        return LL_EPROOF;
    size_t mid = split(pk->in.k, lo, hi, depth);
    rc = pack_item(pk, depth + 1, lo, mid);
    return rc ? rc : pack_item(pk, depth + 1, mid, hi);
}

int ll_smt_proof_compact(struct ll_buf *bits, struct ll_buf *hashes,
                         const uint8_t *keys, size_t nkeys,
                         const uint8_t *proof, size_t prooflen)
{
    struct kref small[SMALL_KEYS];
    size_t bits_at = bits->len;
    size_t hashes_at = hashes->len;
    if (keys == NULL || nkeys == 0 || proof == NULL)
        return LL_EINVAL;
    struct kref *k = kref_get(small, nkeys);
    if (k == NULL)
        return LL_ENOMEM;
    int rc = sort_refs(k, keys, nkeys);
    struct packer pk = {
        {proof, prooflen, 1, k, nkeys, NULL}, bits, hashes, 0, 0};
    if (rc == 0 && (prooflen == 0 || proof[0] != LL_SMT_PROOF_VERSION))
        rc = LL_EPROOF;
    if (rc == 0)
        rc = pack_item(&pk, 0, 0, nkeys);
    if (rc == 0 && pk.in.off != prooflen)
        rc = LL_EPROOF;
    if (rc == 0 && pk.nbits > 0)
        rc = ll_buf_append_byte(bits, pk.byte);
    if (rc && bits->len > bits_at)
        bits->len = bits_at;
    if (rc && hashes->len > hashes_at)
        hashes->len = hashes_at;
    if (k != small)
        ll_free(k);
    return rc;
}

static int c_item(struct cvrf *v, uint8_t hash[LL_SMT_HASH_LEN],
                  enum item_kind *kind, unsigned depth, size_t lo, size_t hi);

/*
 * A child position: on a path (recurse) or off every path: its bit says
 * empty (1) or a non-zero hash follows (0).
 */
static int c_child(struct cvrf *v, uint8_t hash[LL_SMT_HASH_LEN],
                   enum item_kind *kind, unsigned depth, size_t lo, size_t hi)
{
    const uint8_t *h;
    bool ok;
    if (lo < hi)
        return c_item(v, hash, kind, depth, lo, hi);
    bool empty = next_bit(v, &ok);
    if (!ok)
        return LL_ETRUNC;
    *kind = empty ? ITEM_EMPTY : ITEM_HASH;
    if (empty) {
        memset(hash, 0, LL_SMT_HASH_LEN);
        return 0;
    }
    if (take(&v->h, &h, LL_SMT_HASH_LEN) != 0)
        return LL_ETRUNC;
    if (memcmp(h, zero_hash, LL_SMT_HASH_LEN) == 0)
        return LL_EPROOF; /* an empty subtree has its bit */
    memcpy(hash, h, LL_SMT_HASH_LEN);
    return 0;
}

/*
 * The position at depth where keys k[lo..hi) go (at least one): a leaf if
 * it is the only key and its bit says so, otherwise an inner node whose
 * two children follow; then the shape rule of format 1.
 */
static int c_item(struct cvrf *v, uint8_t hash[LL_SMT_HASH_LEN],
                  enum item_kind *kind, unsigned depth, size_t lo, size_t hi)
{
    bool leaf = false;
    bool ok = true;
    if (hi - lo == 1)
        leaf = next_bit(v, &ok);
    if (!ok)
        return LL_ETRUNC;
    *kind = leaf ? ITEM_LEAF : ITEM_INNER;
    if (leaf) {
        const struct kref *r = &v->h.k[lo];
        ll_smt_leaf_hash(hash, r->key, v->values + r->idx * LL_SMT_HASH_LEN);
        return 0;
    }
    if (depth >= LL_SMT_MAX_DEPTH)
        return LL_EPROOF;
    uint8_t h[2][LL_SMT_HASH_LEN];
    enum item_kind kd[2];
    size_t mid = split(v->h.k, lo, hi, depth);
    int rc = c_child(v, h[0], &kd[0], depth + 1, lo, mid);
    if (rc == 0)
        rc = c_child(v, h[1], &kd[1], depth + 1, mid, hi);
    if (rc)
        return rc;
    if ((kd[0] == ITEM_EMPTY && kd[1] == ITEM_LEAF) ||
        (kd[0] == ITEM_LEAF && kd[1] == ITEM_EMPTY))
        return LL_EPROOF; /* the tree would have moved the leaf up */
    ll_smt_node_hash(hash, h[0], h[1]);
    return 0;
}

int ll_smt_verify_compact(const uint8_t root[static LL_SMT_HASH_LEN],
                          const uint8_t *keys, const uint8_t *value_hashes,
                          size_t nkeys, const uint8_t *bits, size_t bitslen,
                          const uint8_t *hashes, size_t hashlen)
{
    struct kref small[SMALL_KEYS];
    uint8_t got[LL_SMT_HASH_LEN];
    enum item_kind kind;
    if (keys == NULL || value_hashes == NULL || nkeys == 0 ||
        (bits == NULL && bitslen > 0) || (hashes == NULL && hashlen > 0) ||
        bitslen > SIZE_MAX / 8)
        return LL_EINVAL;
    struct kref *k = kref_get(small, nkeys);
    if (k == NULL)
        return LL_ENOMEM;
    int rc = sort_refs(k, keys, nkeys);
    struct cvrf v = {bits,
                     8 * bitslen,
                     0,
                     {hashes, hashlen, 0, k, nkeys, NULL},
                     value_hashes};
    if (rc == 0)
        rc = c_item(&v, got, &kind, 0, 0, nkeys);
    /* Canonical: no byte of bits or hashes left, no padding bit set. */
    size_t used = (v.bit + 7) / 8;
    if (rc == 0 && (v.h.off != hashlen || used != bitslen ||
                    (bits != NULL && v.bit % 8 != 0 &&
                     (bits[used - 1] & (0xffu >> (v.bit % 8))) != 0)))
        rc = LL_ETRAILING;
    if (rc == 0 && memcmp(got, root, LL_SMT_HASH_LEN) != 0)
        rc = LL_EPROOF;
    if (k != small)
        ll_free(k);
    return rc;
}
