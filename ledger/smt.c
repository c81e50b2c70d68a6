/* SPDX-License-Identifier: MIT */
/*
 * Sparse Merkle map: hashes, lookups, batch updates and the proof builder
 * (the verifier, which needs no store, is in smt_proof.c).
 *
 * The main design choice is the leaf shortcut with content-addressed nodes:
 * a node is stored under its own hash and never changed, so an update
 * writes a new path per changed key and leaves every older root intact.
 * Every node read back from the store is checked (type, hash, shape) before
 * it is used, so a corrupt or hostile store yields LL_ECORRUPT, never a
 * wrong answer or a crash. Recursion follows key bits, so it is at most
 * LL_SMT_MAX_DEPTH + 1 calls deep.
 */
#include <stdlib.h>
#include <string.h>

#include "../crypto/crypto.h"
#include "internal.h"
#include "smt.h"

/* Key arrays up to this size are sorted on the stack, not the heap. */
#define SMALL_KEYS 16

static const uint8_t zero32[LL_SMT_HASH_LEN];

static bool is_zero(const uint8_t *h)
{
    return memcmp(h, zero32, LL_SMT_HASH_LEN) == 0;
}

/* The hash of child `side` (0 left, 1 right) in an encoded inner node. */
static const uint8_t *child(const uint8_t node[LL_SMT_NODE_LEN], unsigned side)
{
    return node + 1 + (size_t)side * LL_SMT_HASH_LEN;
}

/* Hash of an encoded node: its type picks the tag, the 64 bytes follow. */
static void hash_node_bytes(uint8_t out[LL_SMT_HASH_LEN],
                            const uint8_t node[LL_SMT_NODE_LEN])
{
    ll_tagged_hash64(
        out, node[0] == LL_SMT_NODE_LEAF ? LL_TAG_SMT_LEAF : LL_TAG_SMT_NODE,
        node + 1, node + 33);
}

void ll_smt_value_hash(uint8_t out[static LL_SMT_HASH_LEN], const void *bytes,
                       size_t len)
{
    ll_tagged_hash(out, LL_TAG_SMT_VALUE, len > 0 ? bytes : "", len);
}

void ll_smt_leaf_hash(uint8_t out[static LL_SMT_HASH_LEN],
                      const uint8_t key[static LL_SMT_KEY_LEN],
                      const uint8_t value_hash[static LL_SMT_HASH_LEN])
{
    ll_tagged_hash64(out, LL_TAG_SMT_LEAF, key, value_hash);
}

void ll_smt_node_hash(uint8_t out[static LL_SMT_HASH_LEN],
                      const uint8_t left[static LL_SMT_HASH_LEN],
                      const uint8_t right[static LL_SMT_HASH_LEN])
{
    ll_tagged_hash64(out, LL_TAG_SMT_NODE, left, right);
}

/* ---- reading nodes ------------------------------------------------------- */

/* True if the store has a way to read nodes. */
static bool can_read(const struct ll_smt_store *st)
{
    return st->get != NULL || st->get_at != NULL;
}

/*
 * Read the node stored under hash and check what can be checked without
 * knowing where it sits: a known type, that it hashes to hash (catches disk
 * corruption and a lying store), and that an inner node does not have two
 * empty children.
 */
static int load_node(const struct ll_smt_store *st,
                     uint8_t node[LL_SMT_NODE_LEN],
                     const uint8_t hash[LL_SMT_HASH_LEN], const uint8_t *ref,
                     unsigned depth)
{
    uint8_t buf[LL_SMT_NODE_LEN];
    uint8_t h[LL_SMT_HASH_LEN];
    int rc = st->get_at != NULL ? st->get_at(st->ctx, buf, hash, ref, depth)
                                : st->get(st->ctx, buf, hash);
    bool verified = rc == LL_SMT_GET_VERIFIED;
    if (verified)
        rc = 0;
    else if (rc > 0)
        rc = LL_ESTORE; /* a store that breaks the 0-or-negative contract */
    if (rc)
        goto out;
    if (buf[0] != LL_SMT_NODE_LEAF && buf[0] != LL_SMT_NODE_INNER) {
        rc = LL_ECORRUPT;
        goto out;
    }
    if (!verified)
        hash_node_bytes(h, buf);
    if (!verified && memcmp(h, hash, LL_SMT_HASH_LEN) != 0) {
        rc = LL_ECORRUPT;
        goto out;
    }
    if (buf[0] == LL_SMT_NODE_INNER && is_zero(buf + 1) && is_zero(buf + 33)) {
        rc = LL_ECORRUPT;
        goto out;
    }
    memcpy(node, buf, LL_SMT_NODE_LEN);
out:
    return rc;
}

/*
 * Read the node at a position: depth bits down, on the path of ref (any key
 * that starts with the position's prefix). Beyond load_node, check the
 * rules that depend on the place: a leaf's key starts with the prefix, a
 * leaf is never the only child of an inner node (sib_empty: its sibling is
 * the empty subtree), and no inner node sits at depth 256.
 */
static int load_at(const struct ll_smt_store *st, uint8_t node[LL_SMT_NODE_LEN],
                   const uint8_t hash[LL_SMT_HASH_LEN], const uint8_t *ref,
                   unsigned depth, bool sib_empty)
{
    uint8_t buf[LL_SMT_NODE_LEN];
    int rc = load_node(st, buf, hash, ref, depth);
    if (rc)
        goto out;
    if (buf[0] == LL_SMT_NODE_LEAF) {
        if (sib_empty || !ll_smt__same_prefix(buf + 1, ref, depth))
            rc = LL_ECORRUPT;
    } else if (depth >= LL_SMT_MAX_DEPTH) {
        rc = LL_ECORRUPT;
    }
    if (rc == 0)
        memcpy(node, buf, LL_SMT_NODE_LEN);
out:
    return rc;
}

/* Compare two 32-byte keys through pointers (qsort). */
static int cmp_key_ptr(const void *a, const void *b)
{
    const uint8_t *const *x = a;
    const uint8_t *const *y = b;
    return memcmp(*x, *y, LL_SMT_KEY_LEN);
}

/*
 * First index in [lo, hi) whose key has bit `depth` set. The keys are
 * sorted and share their first `depth` bits, so that bit is 0...0 1...1.
 */
static size_t split_keys(const uint8_t *const *keys, size_t lo, size_t hi,
                         unsigned depth)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ll_smt__key_bit(keys[mid], depth))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/*
 * Point keys[i] at the i-th caller key, sort, and reject a repeated key.
 * keys has room for n pointers.
 */
static int sort_keys(const uint8_t **keys, const uint8_t *base, size_t stride,
                     size_t n)
{
    for (size_t i = 0; i < n; i++)
        keys[i] = base + i * stride;
    if (n > 1)
        qsort(keys, n, sizeof(*keys), cmp_key_ptr);
    for (size_t i = 1; i < n; i++) {
        if (memcmp(keys[i - 1], keys[i], LL_SMT_KEY_LEN) == 0)
            return LL_EINVAL;
    }
    return 0;
}

/* ---- lookup -------------------------------------------------------------- */

int ll_smt_get(const struct ll_smt_store *store, bool *found,
               uint8_t value_hash[static LL_SMT_HASH_LEN],
               const uint8_t root[static LL_SMT_HASH_LEN],
               const uint8_t key[static LL_SMT_KEY_LEN])
{
    uint8_t h[LL_SMT_HASH_LEN];
    uint8_t node[LL_SMT_NODE_LEN];
    bool sib_empty = false;
    int rc = 0;

    if (!can_read(store))
        return LL_EINVAL;
    memcpy(h, root, sizeof(h));
    /* load_at fails on an inner node at depth 256, so this ends. */
    for (unsigned depth = 0; !is_zero(h); depth++) {
        rc = load_at(store, node, h, key, depth, sib_empty);
        if (rc)
            goto out;
        if (node[0] == LL_SMT_NODE_LEAF) {
            bool hit = memcmp(node + 1, key, LL_SMT_KEY_LEN) == 0;
            if (hit)
                memcpy(value_hash, node + 33, LL_SMT_HASH_LEN);
            *found = hit;
            goto out;
        }
        unsigned b = ll_smt__key_bit(key, depth);
        sib_empty = is_zero(child(node, 1u - b));
        memcpy(h, child(node, b), sizeof(h));
    }
    *found = false;
out:
    return rc;
}

/* ---- batch update -------------------------------------------------------- */

enum sub_kind {
    SUB_EMPTY,   /* no entry; hash is zero */
    SUB_LEAF,    /* one entry; node holds it */
    SUB_INNER,   /* two or more entries; node holds it if it was read */
    SUB_UNKNOWN, /* non-empty, not read yet */
};

/* A subtree as the update sees it. */
struct sub {
    enum sub_kind kind;
    bool sib0;                     /* UNKNOWN: its old sibling was empty */
    uint8_t hash[LL_SMT_HASH_LEN]; /* subtree hash */
    uint8_t node[LL_SMT_NODE_LEN]; /* encoded node, for LEAF and INNER */
};

struct upd {
    const struct ll_smt_store *st;
    const struct ll_smt_kv *kv; /* the batch, a sorted copy */
};

static void sub_empty(struct sub *s)
{
    s->kind = SUB_EMPTY;
    s->sib0 = false;
    memset(s->hash, 0, sizeof(s->hash));
}

/* Encode a node, hash it and put it in the store. */
static int put_node(const struct upd *u, struct sub *out, uint8_t type,
                    const uint8_t *a, const uint8_t *b)
{
    out->node[0] = type;
    memcpy(out->node + 1, a, 32);
    memcpy(out->node + 33, b, 32);
    hash_node_bytes(out->hash, out->node);
    out->kind = type == LL_SMT_NODE_LEAF ? SUB_LEAF : SUB_INNER;
    out->sib0 = false;
    return u->st->put(u->st->ctx, out->hash, out->node);
}

/* Read an UNKNOWN subtree so its kind is known. */
static int resolve(const struct upd *u, struct sub *s, const uint8_t *ref,
                   unsigned depth)
{
    int rc = load_at(u->st, s->node, s->hash, ref, depth, s->sib0);
    if (rc == 0)
        s->kind = s->node[0] == LL_SMT_NODE_LEAF ? SUB_LEAF : SUB_INNER;
    return rc;
}

/* The result of one change applied to an empty subtree or to its own leaf. */
static int set_one(const struct upd *u, struct sub *out,
                   const struct ll_smt_kv *kv)
{
    if (kv->del) {
        sub_empty(out);
        return 0;
    }
    return put_node(u, out, LL_SMT_NODE_LEAF, kv->key, kv->value_hash);
}

/*
 * Combine two new children into the subtree at (ref, depth). Two empty
 * children make an empty subtree; a leaf whose sibling is empty moves up
 * (the leaf shortcut, which is what lets deletes collapse the tree); an
 * untouched child is read only when its sibling became empty.
 */
static int join(const struct upd *u, struct sub *out, struct sub r[2],
                const uint8_t *ref, unsigned depth)
{
    int rc = 0;
    if (r[0].kind == SUB_EMPTY && r[1].kind == SUB_EMPTY) {
        sub_empty(out);
        goto out;
    }
    if (r[0].kind == SUB_EMPTY || r[1].kind == SUB_EMPTY) {
        unsigned s = r[0].kind == SUB_EMPTY ? 1u : 0u;
        if (r[s].kind == SUB_UNKNOWN) {
            uint8_t pos[LL_SMT_KEY_LEN];
            unsigned mask = 0x80u >> (depth & 7u);
            memcpy(pos, ref, sizeof(pos));
            pos[depth >> 3] =
                (uint8_t)((pos[depth >> 3] & ~mask) | (s ? mask : 0u));
            rc = resolve(u, &r[s], pos, depth + 1);
            if (rc)
                goto out;
        }
        if (r[s].kind == SUB_LEAF) {
            *out = r[s];
            goto out;
        }
    }
    rc = put_node(u, out, LL_SMT_NODE_INNER, r[0].hash, r[1].hash);
out:
    return rc;
}

/* The two children of a subtree that is known (not UNKNOWN) at depth. */
static void children_of(const struct sub *cur, struct sub c[2], unsigned depth)
{
    sub_empty(&c[0]);
    sub_empty(&c[1]);
    if (cur->kind == SUB_LEAF) {
        /* Push the leaf one level down; join lifts it back if alone. */
        c[ll_smt__key_bit(cur->node + 1, depth)] = *cur;
    } else if (cur->kind == SUB_INNER) {
        for (unsigned i = 0; i < 2; i++) {
            const uint8_t *h = child(cur->node, i);
            const uint8_t *sib = child(cur->node, 1u - i);
            if (!is_zero(h)) {
                c[i].kind = SUB_UNKNOWN;
                c[i].sib0 = is_zero(sib);
                memcpy(c[i].hash, h, LL_SMT_HASH_LEN);
            }
        }
    }
}

static int apply(const struct upd *u, struct sub *out, struct sub *cur,
                 unsigned depth, size_t lo, size_t hi);

/* Split the changes by bit `depth` and apply them to both children. */
static int descend(const struct upd *u, struct sub *out, const struct sub *cur,
                   unsigned depth, size_t lo, size_t hi)
{
    struct sub c[2];
    struct sub r[2];
    /*
     * Distinct keys sharing `depth` bits, or a leaf plus a different key
     * (load_at checked the leaf's prefix), differ at a bit >= depth.
     */
    LL_ASSERT(depth < LL_SMT_MAX_DEPTH);
    children_of(cur, c, depth);
    size_t mid = ll_smt__split_kvs(u->kv, lo, hi, depth);
    int rc = apply(u, &r[0], &c[0], depth + 1, lo, mid);
    if (rc)
        goto out;
    rc = apply(u, &r[1], &c[1], depth + 1, mid, hi);
    if (rc)
        goto out;
    rc = join(u, out, r, u->kv[lo].key, depth);
out:
    return rc;
}

/*
 * Apply the changes kv[lo..hi) to the subtree cur at depth; all their keys
 * start with the subtree's prefix. Writes the new subtree to out.
 */
static int apply(const struct upd *u, struct sub *out, struct sub *cur,
                 unsigned depth, size_t lo, size_t hi)
{
    int rc = 0;
    if (lo == hi) {
        *out = *cur;
        goto out;
    }
    const struct ll_smt_kv *kv = &u->kv[lo];
    if (cur->kind == SUB_UNKNOWN) {
        rc = resolve(u, cur, kv->key, depth);
        if (rc)
            goto out;
    }
    bool single = hi - lo == 1;
    bool own_leaf = cur->kind == SUB_LEAF &&
                    memcmp(cur->node + 1, kv->key, LL_SMT_KEY_LEN) == 0;
    if (single && (cur->kind == SUB_EMPTY || own_leaf)) {
        rc = set_one(u, out, kv);
    } else if (single && cur->kind == SUB_LEAF && kv->del) {
        *out = *cur; /* deleting an absent key */
    } else {
        rc = descend(u, out, cur, depth, lo, hi);
    }
out:
    return rc;
}

static int cmp_kv(const void *a, const void *b)
{
    const struct ll_smt_kv *x = a;
    const struct ll_smt_kv *y = b;
    return memcmp(x->key, y->key, LL_SMT_KEY_LEN);
}

int ll_smt_update(const struct ll_smt_store *store,
                  uint8_t new_root[static LL_SMT_HASH_LEN],
                  const uint8_t old_root[static LL_SMT_HASH_LEN],
                  const struct ll_smt_kv *kvs, size_t n)
{
    struct ll_smt_kv *sorted = NULL;
    struct sub cur;
    struct sub res;
    int rc = 0;

    if (!can_read(store) || store->put == NULL || (kvs == NULL && n > 0))
        return LL_EINVAL;
    if (n == 0) {
        memmove(new_root, old_root, LL_SMT_HASH_LEN);
        return 0;
    }
    sorted = ll_reallocarray(NULL, n, sizeof(*sorted));
    if (sorted == NULL)
        return LL_ENOMEM;
    memcpy(sorted, kvs, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_kv);
    for (size_t i = 1; i < n; i++) {
        if (memcmp(sorted[i - 1].key, sorted[i].key, LL_SMT_KEY_LEN) == 0) {
            rc = LL_EINVAL;
            goto out_free;
        }
    }
    struct upd u = {.st = store, .kv = sorted};
    sub_empty(&cur);
    if (!is_zero(old_root)) {
        cur.kind = SUB_UNKNOWN;
        memcpy(cur.hash, old_root, LL_SMT_HASH_LEN);
    }
    rc = apply(&u, &res, &cur, 0, 0, n);
    if (rc)
        goto out_free;
    memcpy(new_root, res.hash, LL_SMT_HASH_LEN);
out_free:
    ll_free(sorted);
    return rc;
}

/* ---- proof builder ------------------------------------------------------- */

struct prv {
    const struct ll_smt_store *st;
    const uint8_t *const *k; /* queried keys, sorted */
    struct ll_buf *out;      /* proof being appended */
};

static int emit(struct prv *p, uint8_t tag, const uint8_t *payload, size_t n)
{
    int rc = ll_buf_append_byte(p->out, tag);
    if (rc == 0 && n > 0)
        rc = ll_buf_append(p->out, payload, n);
    return rc;
}

/*
 * Emit the item for the subtree `hash` at depth, where the queried keys
 * k[lo..hi) go (none: the subtree is opaque and is not read). sib_empty:
 * the subtree's sibling is empty (shape check on a leaf).
 */
static int prove_sub(struct prv *p, const uint8_t hash[LL_SMT_HASH_LEN],
                     unsigned depth, size_t lo, size_t hi, bool sib_empty)
{
    uint8_t node[LL_SMT_NODE_LEN];
    int rc;

    if (is_zero(hash))
        return emit(p, LL_SMT_PROOF_EMPTY, NULL, 0);
    if (lo == hi)
        return emit(p, LL_SMT_PROOF_HASH, hash, LL_SMT_HASH_LEN);
    rc = load_at(p->st, node, hash, p->k[lo], depth, sib_empty);
    if (rc)
        goto out;
    if (node[0] == LL_SMT_NODE_LEAF) {
        rc = emit(p, LL_SMT_PROOF_LEAF, node + 1, LL_SMT_NODE_LEN - 1);
        goto out;
    }
    rc = emit(p, LL_SMT_PROOF_INNER, NULL, 0);
    if (rc)
        goto out;
    size_t mid = split_keys(p->k, lo, hi, depth);
    rc = prove_sub(p, node + 1, depth + 1, lo, mid, is_zero(node + 33));
    if (rc)
        goto out;
    rc = prove_sub(p, node + 33, depth + 1, mid, hi, is_zero(node + 1));
out:
    return rc;
}

int ll_smt_prove(const struct ll_smt_store *store, struct ll_buf *out,
                 const uint8_t root[static LL_SMT_HASH_LEN],
                 const uint8_t *keys, size_t nkeys)
{
    const uint8_t *small[SMALL_KEYS];
    const uint8_t **sorted = small;
    size_t start = out->len;
    int rc;

    if (!can_read(store) || (keys == NULL && nkeys > 0))
        return LL_EINVAL;
    if (nkeys > SMALL_KEYS) {
        sorted = ll_reallocarray(NULL, nkeys, sizeof(*sorted));
        if (sorted == NULL)
            return LL_ENOMEM;
    }
    rc = sort_keys(sorted, keys, LL_SMT_KEY_LEN, nkeys);
    if (rc)
        goto out_free;
    struct prv p = {.st = store, .k = sorted, .out = out};
    rc = ll_buf_append_byte(out, LL_SMT_PROOF_VERSION);
    if (rc)
        goto out_free;
    rc = prove_sub(&p, root, 0, 0, nkeys, false);
out_free:
    if (rc && out->len > start)
        out->len = start;
    if (sorted != small)
        ll_free((void *)sorted);
    return rc;
}
