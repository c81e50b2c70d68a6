/* SPDX-License-Identifier: MIT */
/*
 * In-memory node store for the sparse Merkle map (tests, benchmarks, tools).
 *
 * An open-addressing hash table with linear probing over the node hashes.
 * A slot holds 32 bits of the hash (to skip most wrong entries without
 * touching them) and the entry's index; the entries (hash and node, 97
 * bytes) live in fixed-size chunks that never move, so growing the store
 * never copies the nodes. The table is kept at most half full. Node hashes
 * are SHA-256 outputs, so the hash bits are used as they are; the store
 * does not defend against chosen hashes and is not for untrusted callers.
 */
#include <string.h>

#include "smt.h"

#define CHUNK_BITS    12
#define CHUNK_LEN     ((size_t)1 << CHUNK_BITS)
#define MIN_SLOTS     ((size_t)256)
#define MAX_NODES     ((size_t)1 << 31)
#define CHUNKS_GROWTH 64

struct entry {
    uint8_t hash[LL_SMT_HASH_LEN]; /* the node's address */
    uint8_t node[LL_SMT_NODE_LEN]; /* the encoded node */
};

struct slot {
    uint32_t tag;  /* bytes 8..11 of the hash */
    uint32_t idx1; /* entry index + 1; 0 = free slot */
};

struct ll_smt_mem {
    struct slot *slots;    /* owned; nslots entries */
    size_t nslots;         /* a power of two, >= 2 * count */
    struct entry **chunks; /* owned; each chunk owned, CHUNK_LEN entries */
    size_t nchunks;        /* chunks allocated */
    size_t chunks_cap;     /* room in chunks[] */
    size_t count;          /* entries in use, <= MAX_NODES */
};

static struct entry *entry_at(const struct ll_smt_mem *m, size_t idx)
{
    return &m->chunks[idx >> CHUNK_BITS][idx & (CHUNK_LEN - 1)];
}

static size_t slot_pos(const uint8_t hash[LL_SMT_HASH_LEN], size_t nslots)
{
    return (size_t)ll_load_le64(hash) & (nslots - 1);
}

/* Index of the entry for hash, or SIZE_MAX; *pos is where probing stopped. */
static size_t find(const struct ll_smt_mem *m,
                   const uint8_t hash[LL_SMT_HASH_LEN], size_t *pos)
{
    uint32_t tag = ll_load_le32(hash + 8);
    size_t i = slot_pos(hash, m->nslots);
    while (m->slots[i].idx1 != 0) {
        size_t idx = (size_t)m->slots[i].idx1 - 1;
        if (m->slots[i].tag == tag &&
            memcmp(entry_at(m, idx)->hash, hash, LL_SMT_HASH_LEN) == 0) {
            *pos = i;
            return idx;
        }
        i = (i + 1) & (m->nslots - 1);
    }
    *pos = i;
    return SIZE_MAX;
}

/* Double the slot table and re-insert every entry. */
static int grow_slots(struct ll_smt_mem *m)
{
    size_t n = m->nslots * 2;
    struct slot *s = ll_calloc(n, sizeof(*s));
    if (s == NULL)
        return LL_ENOMEM;
    for (size_t idx = 0; idx < m->count; idx++) {
        const uint8_t *h = entry_at(m, idx)->hash;
        size_t i = slot_pos(h, n);
        while (s[i].idx1 != 0)
            i = (i + 1) & (n - 1);
        s[i].tag = ll_load_le32(h + 8);
        s[i].idx1 = (uint32_t)(idx + 1);
    }
    ll_free(m->slots);
    m->slots = s;
    m->nslots = n;
    return 0;
}

/* Make sure entry index m->count exists. */
static int grow_chunks(struct ll_smt_mem *m)
{
    if (m->count < m->nchunks * CHUNK_LEN)
        return 0;
    if (m->nchunks == m->chunks_cap) {
        size_t cap = m->chunks_cap + CHUNKS_GROWTH;
        /* An array of chunk pointers, so sizeof a pointer is meant. */
        /* NOLINTNEXTLINE(bugprone-sizeof-expression) */
        struct entry **c = ll_reallocarray(m->chunks, cap, sizeof(*c));
        if (c == NULL)
            return LL_ENOMEM;
        m->chunks = c;
        m->chunks_cap = cap;
    }
    struct entry *chunk = ll_malloc(CHUNK_LEN * sizeof(*chunk));
    if (chunk == NULL)
        return LL_ENOMEM;
    m->chunks[m->nchunks++] = chunk;
    return 0;
}

static int mem_get(void *ctx, uint8_t node[LL_SMT_NODE_LEN],
                   const uint8_t hash[LL_SMT_HASH_LEN])
{
    const struct ll_smt_mem *m = ctx;
    size_t pos;
    size_t idx = find(m, hash, &pos);
    if (idx == SIZE_MAX)
        return LL_ENOTFOUND;
    memcpy(node, entry_at(m, idx)->node, LL_SMT_NODE_LEN);
    return 0;
}

/*
 * Insert a node. Every allocation happens before the table changes, so a
 * failure leaves the store as it was (a spare chunk may stay allocated).
 */
static int mem_put(void *ctx, const uint8_t hash[LL_SMT_HASH_LEN],
                   const uint8_t node[LL_SMT_NODE_LEN])
{
    struct ll_smt_mem *m = ctx;
    size_t pos;
    int rc = 0;

    if (find(m, hash, &pos) != SIZE_MAX)
        goto out;
    if (m->count >= MAX_NODES) {
        rc = LL_ENOMEM;
        goto out;
    }
    rc = grow_chunks(m);
    if (rc)
        goto out;
    if ((m->count + 1) * 2 > m->nslots) {
        rc = grow_slots(m);
        if (rc)
            goto out;
        (void)find(m, hash, &pos);
    }
    struct entry *e = entry_at(m, m->count);
    memcpy(e->hash, hash, LL_SMT_HASH_LEN);
    memcpy(e->node, node, LL_SMT_NODE_LEN);
    m->slots[pos].tag = ll_load_le32(hash + 8);
    m->slots[pos].idx1 = (uint32_t)(m->count + 1);
    m->count++;
out:
    return rc;
}

int ll_smt_mem_new(struct ll_smt_mem **out)
{
    int rc = 0;
    struct ll_smt_mem *m = ll_calloc(1, sizeof(*m));
    if (m == NULL) {
        rc = LL_ENOMEM;
        goto out;
    }
    m->slots = ll_calloc(MIN_SLOTS, sizeof(*m->slots));
    if (m->slots == NULL) {
        rc = LL_ENOMEM;
        goto out;
    }
    m->nslots = MIN_SLOTS;
out:
    if (rc)
        ll_smt_mem_free(m);
    else
        *out = m;
    return rc;
}

void ll_smt_mem_free(struct ll_smt_mem *mem)
{
    if (mem == NULL)
        return;
    for (size_t i = 0; i < mem->nchunks; i++)
        ll_free(mem->chunks[i]);
    ll_free(mem->chunks);
    ll_free(mem->slots);
    ll_free(mem);
}

void ll_smt_mem_store(struct ll_smt_store *out, struct ll_smt_mem *mem)
{
    out->get = mem_get;
    out->put = mem_put;
    out->ctx = mem;
    out->get_at = NULL;
}

size_t ll_smt_mem_count(const struct ll_smt_mem *mem)
{
    return mem->count;
}
