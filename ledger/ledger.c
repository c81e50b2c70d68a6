/* SPDX-License-Identifier: MIT */
/*
 * The ledger: committed blocks in LevelDB, and the block builder. A block
 * is built in memory (an overlay of the lots it touches, the ids it
 * records, and a LevelDB write batch of everything it adds); committing it
 * writes that one batch with sync = true, together with the block record,
 * the state-map nodes and the new tip, so a crash leaves the store at the
 * previous block or at the new one, never in between. Key layout:
 * docs/store.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "ledger.h"
#include "store.h"

#define SCHEMA_VERSION 4u

/* Key prefixes (docs/store.md). */
#define K_META   'm'
#define K_BLOCK  'b'
#define K_HASH   'h'
#define K_EVENT  'e'
#define K_ID     'i'
#define K_LOTLOG 'l'
#define K_LOT    'L'
#define K_ORG    'o'
#define K_ORGLOG 'O'
#define K_NODE   'n'

#define TIP_LEN (8 + 32 + 32 + 8)
/* Longest lot record: u16 length, LotState, frontier. */
#define REC_MAX (2 + lotledger_LotState_size + LL_MERKLE_FRONTIER_ENC_MAX)
#define MAX_KEY 128

/*
 * Builder-thread caches over committed data. The page cache (state-map
 * pages below the upper tiers, by position) is direct-mapped (a page
 * replaces whatever shares its slot); the lot cache is 4-way set
 * associative, so that a ledger with 10^5 lots in 2^18 slots rarely evicts
 * a lot it is about to touch. A cached node is used only when its hash is
 * the one asked for, so a cached page is never stale; lot records are
 * updated when a block commits, since only the builder writes them.
 */
#define LOT_CACHE_SLOTS  (1u << 18)
#define LOT_CACHE_WAYS   4
#define PAGE_CACHE_BITS  14
#define PAGE_CACHE_SLOTS (1u << PAGE_CACHE_BITS)

struct lot_slot {
    uint8_t key[32]; /* lot key */
    uint8_t *rec;    /* committed lot record; owned; NULL = empty slot */
    size_t len;      /* its length */
};

/* A Bloom filter over 32-byte keys (hashes) stored under one prefix: one
 * or more layers, each a blocked Bloom filter (see "the committed-id and
 * lot filters" below). */
#define BLOOM_LAYERS 8

struct bloom_layer {
    uint64_t *bits; /* owned */
    size_t nbits;   /* a power of two, >= BLOOM_BLOCK_BITS */
    uint64_t n;     /* keys added to this layer */
};

struct bloom {
    struct bloom_layer layer[BLOOM_LAYERS]; /* the newest is the last */
    size_t nlayers;                         /* >= 1 once built */
    uint8_t prefix;                         /* K_ID or K_LOT */
};

struct ll_ledger {
    struct ll_store *store;   /* the database; owned */
    char *dir;                /* its directory (NUL-terminated); owned */
    int cfd;                  /* dir/COMMITTED for in-place updates, or -1 */
    struct ll_genesis *g;     /* copy of the genesis; owned */
    struct ll_valset vs;      /* validator set */
    struct ll_ledger_tip tip; /* last committed block */
    bool building;            /* a block is open */
    struct lot_slot *lcache;  /* LOT_CACHE_SLOTS; owned */
    unsigned lcache_clock;    /* picks the way a full set evicts */
    struct page_slot *pcache; /* PAGE_CACHE_SLOTS; owned */
    bool sealing;             /* a block is sealed elsewhere: caches are its */
    struct upper_page *upper; /* UPPER_PAGES; owned */
    struct ll_store_batch *spare_wb;  /* the last block's batch; owned */
    struct ll_pubkey (*pks)[8];       /* parsed org keys, as g->orgs; owned */
    uint8_t (*kids)[8][LL_KEYID_LEN]; /* their key ids; owned */
    struct bloom ids;                 /* filter of committed event ids */
    struct bloom lots;                /* filter of committed lot keys */
};

struct ll_ledger_snap {
    struct ll_ledger *l;        /* the ledger (borrowed) */
    struct ll_store_snap *snap; /* LevelDB snapshot; owned */
    struct ll_ledger_tip tip;   /* the tip it sees */
    bool detached;              /* reads the store only (snap_detach) */
};

/*
 * One lot touched by the block being built: its record after the block
 * (the 'L' value: encoded state and frontier), so the table stays small
 * and sealing only hashes and stores it.
 */
struct lot_entry {
    uint8_t key[32]; /* state-map key */
    bool used;       /* slot in use */
    uint8_t *rec;    /* the lot record after the block; owned */
    size_t rec_len;  /* its length */
};

struct ll_block {
    struct ll_ledger *l;          /* the ledger (borrowed) */
    struct ll_header h;           /* header being built */
    struct ll_store_batch *wb;    /* everything the block writes; owned */
    bool sealed;                  /* no more adds */
    bool prepared;                /* commit records added to wb */
    struct ll_ledger_tip new_tip; /* the tip once written */
    /* Events, in block order. */
    size_t n;           /* events */
    size_t cap;         /* capacity of the arrays below */
    uint8_t (*ids)[32]; /* event ids; owned */
    uint8_t **bytes;    /* SignedEvent copies; owned */
    size_t *lens;       /* their lengths */
    uint32_t *orgi;     /* each event's organisation (genesis index) */
    /* Open-addressing sets: ids (index + 1 into ids) and touched lots. */
    uint32_t *idset;        /* owned; 0 = empty */
    size_t idset_cap;       /* power of two */
    struct lot_entry *lots; /* owned */
    size_t nlots;           /* slots in use */
    size_t lots_cap;        /* power of two */
    /* Scratch, reused per event. */
    struct ll_signed_event *se;              /* decoded event */
    struct ll_rules_out *ro;                 /* rule output */
    size_t enc_len[LL_RULES_MAX_LOTS];       /* staged record lengths */
    uint8_t lot_keys[LL_RULES_MAX_LOTS][32]; /* keys of one event's lots */
    struct ll_merkle_frontier *fr;           /* frontiers of one event's lots */
    uint8_t *scratch;                        /* REC_MAX bytes */
    /* Lot keys the view computed, by change slot: a cache from lot id to
     * key (one hash per lot and event instead of two). */
    struct {
        char lot[sizeof(((lotledger_LotState *)0)->lot)];
        uint8_t key[32];
    } memo[LL_RULES_MAX_LOTS];
};

/* ---- keys -------------------------------------------------------------------
 */

void ll_lot_key(uint8_t out[static 32], const char *lot)
{
    ll_tagged_hash(out, LL_TAG_LOT_KEY, lot, strlen(lot));
}

void ll_org_key(uint8_t out[static 32], const char *org)
{
    ll_tagged_hash(out, LL_TAG_ORG_KEY, org, strlen(org));
}

void ll_lot_leaf(uint8_t out[static 32], uint64_t height, uint32_t index,
                 const uint8_t id[static 32])
{
    uint8_t d[8 + 4 + 32];
    ll_store_be64(d, height);
    ll_store_be32(d + 8, index);
    memcpy(d + 12, id, 32);
    ll_merkle_leaf_hash(out, d, sizeof(d));
}

/* prefix || 32-byte hash */
static size_t key_hash(uint8_t *k, char prefix, const uint8_t h[32])
{
    k[0] = (uint8_t)prefix;
    memcpy(k + 1, h, 32);
    return 33;
}

/* 'e' || u64 height || u32 index */
static size_t key_event(uint8_t *k, uint64_t height, uint32_t index)
{
    k[0] = K_EVENT;
    ll_store_be64(k + 1, height);
    ll_store_be32(k + 9, index);
    return 13;
}

static size_t key_block(uint8_t *k, uint64_t height)
{
    k[0] = K_BLOCK;
    ll_store_be64(k + 1, height);
    return 9;
}

/* 'l' || lot key || u64 seq */
static size_t key_lotlog(uint8_t *k, const uint8_t lotkey[32], uint64_t seq)
{
    k[0] = K_LOTLOG;
    memcpy(k + 1, lotkey, 32);
    ll_store_be64(k + 33, seq);
    return 41;
}

/* Copy the bytes of s (no terminator) to dst; returns their number. */
static size_t put_str(uint8_t *dst, const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        dst[n] = (uint8_t)s[n];
    return n;
}

/* 'o' || org id */
static size_t key_org(uint8_t *k, const char *org)
{
    k[0] = K_ORG;
    return 1 + put_str(k + 1, org);
}

/* 'O' || u8 len || org id || u64 height */
static size_t key_orglog(uint8_t *k, const char *org, uint64_t height)
{
    k[0] = K_ORGLOG;
    size_t n = put_str(k + 2, org);
    k[1] = (uint8_t)n;
    ll_store_be64(k + 2 + n, height);
    return n + 10;
}

static size_t key_meta(uint8_t *k, const char *name)
{
    k[0] = K_META;
    return 1 + put_str(k + 1, name);
}

/* ---- the state map's node store over LevelDB ------------------------------
 *
 * Nodes are stored by position, several tree levels per record. A page
 * holds the nodes at depths D .. D + 3 (D a multiple of PAGE_LEVELS) below
 * the node at depth D on one path, under the key 'n' || u8 D / 4 || the
 * path's first D bits (ceil(D / 8) bytes, unused low bits zero). Its value
 * is a u16 BE bitmap of the positions in use (bit i: position i, in heap
 * order: 0 the page's top, the children of i at 2i + 1 and 2i + 2), a u16
 * BE bitmap of the positions that hold leaves, then 64 bytes for each leaf
 * (key, value hash) and each inner node of the page's last level (left and
 * right child hash), in position order. An inner node above the last
 * level stores nothing: its children are in the page, so the reader
 * rebuilds it (and every hash in the page) bottom-up, and half of a full
 * page's bytes were hashes the page already implies.
 *
 * A block rewrites, in place, the pages holding nodes its update put or
 * moved. The ledger never removes a map entry, so a position once used
 * stays used: no page is ever left behind, and the store holds exactly the
 * tree at the tip (older trees stay readable through snapshots taken before
 * a commit). Key layout: docs/store.md.
 */
#define PAGE_LEVELS  4
#define PAGE_SLOTS   15 /* 2^PAGE_LEVELS - 1 positions */
#define PAGE_MAX     LL_PAGE_MAX
#define PAGE_LAST    7 /* positions 7..14: the page's last level */
#define PAGE_KEY_MAX (2 + 32)
#define PAGE_TIERS   (LL_SMT_MAX_DEPTH / PAGE_LEVELS + 1) /* D / 4 = 0..64 */

/* A page as read from the store. */
struct page {
    uint8_t key[PAGE_KEY_MAX];                 /* its key */
    size_t klen;                               /* its length; 0 = none */
    unsigned used;                             /* bitmap of positions */
    uint8_t node[PAGE_SLOTS][LL_SMT_NODE_LEN]; /* the nodes by position */
    uint8_t hash[PAGE_SLOTS][32];              /* and their hashes */
};

static bool is_zero32(const uint8_t *p)
{
    static const uint8_t zero[32];
    return memcmp(p, zero, 32) == 0;
}

/*
 * The builder's copies of pages, by position: every upper page, those at
 * depths 0 to 16 (at most 69905: a block of a thousand lots rewrites most
 * of the top four tiers, and a new lot lands on a random depth-16 page),
 * in an array filled at open, and the pages below in the page cache. A
 * position is used only when its hash is the one asked for, so a copy is
 * right for any version of the map, and one a failed commit left behind is
 * merely a miss. Pages are copied whole, as they are read or written, so
 * the unchanged nodes of a page being rewritten cost no search.
 */
#define UPPER_TIERS 5
#define UPPER_PAGES (1 + 16 + 256 + 4096 + 65536)

struct upper_page {
    unsigned ok;                               /* positions held (checked) */
    uint8_t hash[PAGE_SLOTS][32];              /* their hashes */
    uint8_t node[PAGE_SLOTS][LL_SMT_NODE_LEN]; /* their nodes */
};

/* A slot of the page cache: the page it holds (klen 0: none). */
struct page_slot {
    uint8_t key[PAGE_KEY_MAX]; /* page key */
    uint8_t klen;              /* its length */
    struct upper_page pg;      /* the page's nodes */
};

struct node_ctx {
    struct ll_store *store;           /* where committed pages live */
    const struct ll_store_snap *snap; /* read view, or NULL for latest */
    struct ll_store_batch *wb;        /* where new pages go (may be NULL) */
    struct page_slot *pcache;         /* builder's page cache, or NULL */
    struct upper_page *upper;         /* builder's upper pages, or NULL */
    struct page *pages;  /* the last page read per tier; owned, lazy */
    unsigned cache_bits; /* pcache has 2^cache_bits slots; 0: the default */
};

static void node_ctx_free(struct node_ctx *c)
{
    ll_free(c->pages);
    c->pages = NULL;
}

/* 'n' || u8 D / 4 || the first D bits of ref. */
static size_t page_key(uint8_t *k, unsigned d, const uint8_t *ref)
{
    size_t nb = (d + 7) / 8;
    k[0] = K_NODE;
    k[1] = (uint8_t)(d / PAGE_LEVELS);
    memcpy(k + 2, ref, nb);
    if (d % 8 != 0)
        k[1 + nb] &= (uint8_t)(0xff00u >> (d % 8));
    return 2 + nb;
}

/* The position of the node at depth on ref's path in its page. */
static unsigned page_pos(unsigned depth, const uint8_t *ref)
{
    unsigned top = depth - depth % PAGE_LEVELS;
    unsigned bits = 0;
    for (unsigned i = top; i < depth; i++)
        bits = (bits << 1) | ll_smt__key_bit(ref, i);
    return (1u << (depth - top)) - 1 + bits;
}

/* True if a page's bitmaps describe a tree: every used position but the
 * top has an inner node above it, and every inner node above the last
 * level has a child in the page. */
static bool page_shape_ok(unsigned used, unsigned leaf)
{
    if (used >> PAGE_SLOTS != 0 || (leaf & ~used) != 0 || (used & 1u) == 0)
        return false;
    for (unsigned i = 1; i < PAGE_SLOTS; i++) {
        unsigned up = (i - 1) / 2;
        if ((used >> i & 1u) && (!(used >> up & 1u) || (leaf >> up & 1u)))
            return false;
    }
    for (unsigned i = 0; i < PAGE_LAST; i++)
        if ((used >> i & 1u) && !(leaf >> i & 1u) &&
            !((used >> (2 * i + 1)) & 1u) && !((used >> (2 * i + 2)) & 1u))
            return false;
    return true;
}

/* Rebuild a page's nodes and hashes from its stored form (see above). */
static int page_parse(struct page *pg, const uint8_t *v, size_t len)
{
    static const uint8_t zero[32];
    if (len < 4)
        return LL_ECORRUPT;
    unsigned used = ((unsigned)v[0] << 8) | v[1];
    unsigned leaf = ((unsigned)v[2] << 8) | v[3];
    if (!page_shape_ok(used, leaf))
        return LL_ECORRUPT;
    size_t off = 4;
    for (unsigned i = 0; i < PAGE_SLOTS; i++) {
        bool is_leaf = (leaf >> i & 1u) != 0;
        if ((used >> i & 1u) == 0 || (!is_leaf && i < PAGE_LAST))
            continue;
        if (len - off < 64)
            return LL_ECORRUPT;
        pg->node[i][0] = is_leaf ? LL_SMT_NODE_LEAF : LL_SMT_NODE_INNER;
        memcpy(pg->node[i] + 1, v + off, 64);
        off += 64;
    }
    if (off != len)
        return LL_ECORRUPT;
    for (unsigned i = PAGE_SLOTS; i-- > 0;) {
        if ((used >> i & 1u) == 0)
            continue;
        uint8_t *node = pg->node[i];
        if ((leaf >> i & 1u) != 0) {
            ll_smt_leaf_hash(pg->hash[i], node + 1, node + 33);
            continue;
        }
        if (i < PAGE_LAST) {
            unsigned l = 2 * i + 1;
            unsigned r = 2 * i + 2;
            node[0] = LL_SMT_NODE_INNER;
            memcpy(node + 1, (used >> l & 1u) ? pg->hash[l] : zero, 32);
            memcpy(node + 33, (used >> r & 1u) ? pg->hash[r] : zero, 32);
        }
        ll_smt_node_hash(pg->hash[i], node + 1, node + 33);
    }
    pg->used = used;
    return 0;
}

size_t ll_ledger__page_encode(uint8_t out[LL_PAGE_MAX], unsigned used,
                              const uint8_t node[][LL_SMT_NODE_LEN])
{
    size_t n = 4;
    unsigned leaf = 0;
    for (unsigned i = 0; i < PAGE_SLOTS; i++) {
        if ((used & (1u << i)) == 0)
            continue;
        bool is_leaf = node[i][0] == LL_SMT_NODE_LEAF;
        leaf |= is_leaf ? 1u << i : 0;
        if (!is_leaf && i < PAGE_LAST)
            continue; /* rebuilt from the positions below it */
        memcpy(out + n, node[i] + 1, 64);
        n += 64;
    }
    out[0] = (uint8_t)(used >> 8);
    out[1] = (uint8_t)used;
    out[2] = (uint8_t)(leaf >> 8);
    out[3] = (uint8_t)leaf;
    return n;
}

int ll_ledger__page_decode(const uint8_t *v, size_t len, unsigned *used,
                           uint8_t node[][LL_SMT_NODE_LEN], uint8_t hash[][32])
{
    struct page pg;
    int rc = page_parse(&pg, v, len);
    if (rc)
        return rc;
    *used = pg.used;
    for (unsigned i = 0; i < PAGE_SLOTS; i++) {
        if ((pg.used >> i & 1u) == 0)
            continue;
        memcpy(node[i], pg.node[i], LL_SMT_NODE_LEN);
        memcpy(hash[i], pg.hash[i], 32);
    }
    return 0;
}

/* The page holding the node at depth on ref's path (the last one read for
 * its tier, or from the store). */
static int page_read(struct node_ctx *c, unsigned depth, const uint8_t *ref,
                     const struct page **out)
{
    unsigned top = depth - depth % PAGE_LEVELS;
    if (c->pages == NULL) {
        c->pages = ll_calloc(PAGE_TIERS, sizeof(*c->pages));
        if (c->pages == NULL)
            return LL_ENOMEM;
    }
    struct page *pg = &c->pages[top / PAGE_LEVELS];
    uint8_t k[PAGE_KEY_MAX];
    size_t kl = page_key(k, top, ref);
    if (pg->klen != kl || memcmp(pg->key, k, kl) != 0) {
        struct ll_buf b;
        ll_buf_init(&b, PAGE_MAX + 1);
        pg->klen = 0;
        int rc = ll_store_get(c->store, c->snap, k, kl, &b);
        if (rc == 0)
            rc = page_parse(pg, b.data, b.len);
        ll_buf_free(&b);
        if (rc)
            return rc;
        memcpy(pg->key, k, kl);
        pg->klen = kl;
    }
    *out = pg;
    return 0;
}

/* The page-cache slot for the page at depth top (below the upper tiers)
 * on ref's path: a multiplicative hash of the path's first 64 bits (keys
 * are uniform) and the tier. */
static struct page_slot *cache_slot(const struct node_ctx *c, unsigned top,
                                    const uint8_t *ref)
{
    uint64_t path = ll_load_be64(ref);
    if (top < 64)
        path >>= 64 - top;
    path ^= (uint64_t)top << 56;
    unsigned bits = c->cache_bits ? c->cache_bits : PAGE_CACHE_BITS;
    return &c->pcache[(path * 0x9e3779b97f4a7c15u) >> (64 - bits)];
}

/*
 * The copy of the page holding the node at depth on ref's path: its upper
 * page, or the page cache's slot if it holds that page; else NULL, unless
 * claim, which empties the slot for that page and returns it. NULL when
 * c has no caches.
 */
static struct upper_page *page_copy(const struct node_ctx *c, unsigned depth,
                                    const uint8_t *ref, bool claim)
{
    unsigned top = depth - depth % PAGE_LEVELS;
    if (top < UPPER_TIERS * PAGE_LEVELS) {
        size_t base = 0;
        size_t bits = 0;
        if (c->upper == NULL)
            return NULL;
        for (unsigned t = 0; t < top / PAGE_LEVELS; t++)
            base = 16 * base + 1; /* pages above this tier: 1, 17, 273 */
        for (unsigned i = 0; i < top; i++)
            bits = (bits << 1) | ll_smt__key_bit(ref, i);
        return &c->upper[base + bits];
    }
    if (c->pcache == NULL)
        return NULL;
    uint8_t k[PAGE_KEY_MAX];
    size_t kl = page_key(k, top, ref);
    struct page_slot *ps = cache_slot(c, top, ref);
    if (ps->klen == kl && memcmp(ps->key, k, kl) == 0)
        return &ps->pg;
    if (!claim)
        return NULL;
    memcpy(ps->key, k, kl);
    ps->klen = (uint8_t)kl;
    ps->pg.ok = 0;
    return &ps->pg;
}

/* The copy held in the cache slot of the page at depth on ref's path,
 * whichever page that is; NULL for the upper tiers or without a cache. */
static struct upper_page *page_copy_slot(const struct node_ctx *c,
                                         unsigned depth, const uint8_t *ref)
{
    unsigned top = depth - depth % PAGE_LEVELS;
    if (top < UPPER_TIERS * PAGE_LEVELS || c->pcache == NULL)
        return NULL;
    return &cache_slot(c, top, ref)->pg;
}

/* Make up a copy of a page: the nodes and hashes of the used positions. */
static void page_copy_set(struct upper_page *up, unsigned used,
                          const uint8_t (*hash)[32],
                          const uint8_t (*node)[LL_SMT_NODE_LEN])
{
    up->ok = used;
    for (unsigned i = 0; i < PAGE_SLOTS; i++) {
        if ((used & (1u << i)) != 0) {
            memcpy(up->hash[i], hash[i], 32);
            memcpy(up->node[i], node[i], LL_SMT_NODE_LEN);
        }
    }
}

/*
 * Copy every committed page of the upper tiers (one scan of their keys),
 * so that the first blocks after an open do not read them one at a time.
 * A page that does not parse is left out: the builder reads it again when
 * it needs it and finds it damaged, and verify-chain reports it.
 */
static int upper_load(struct ll_store *st, struct upper_page *upper)
{
    struct node_ctx c = {st, NULL, NULL, NULL, upper, NULL, 0};
    struct page *pg = ll_malloc(sizeof(*pg));
    int rc = pg == NULL ? LL_ENOMEM : 0;
    for (unsigned t = 0; t < UPPER_TIERS && rc == 0; t++) {
        uint8_t prefix[2] = {K_NODE, (uint8_t)t};
        size_t klen = 2 + (t * PAGE_LEVELS + 7) / 8;
        struct ll_store_iter *it = NULL;
        rc = ll_store_iter_open(st, NULL, prefix, 2, NULL, 0, &it);
        if (rc)
            break;
        const uint8_t *k;
        const uint8_t *v;
        size_t kl;
        size_t vl;
        while (ll_store_iter_next(it, &k, &kl, &v, &vl)) {
            uint8_t ref[32] = {0};
            if (kl != klen || page_parse(pg, v, vl) != 0)
                continue;
            memcpy(ref, k + 2, kl - 2);
            struct upper_page *up = page_copy(&c, t * PAGE_LEVELS, ref, true);
            page_copy_set(up, pg->used, (const uint8_t(*)[32])pg->hash,
                          (const uint8_t(*)[LL_SMT_NODE_LEN])pg->node);
        }
        rc = ll_store_iter_error(it);
        ll_store_iter_close(it);
    }
    ll_free(pg);
    return rc;
}

size_t ll_ledger__upper_held(const struct ll_ledger *l)
{
    size_t n = 0;
    for (size_t i = 0; i < UPPER_PAGES; i++)
        n += l->upper[i].ok != 0;
    return n;
}

/* Find the node: in the copy of its page, else in its page in the store
 * (which is then copied). */
static int node_lookup(struct node_ctx *c, uint8_t node[LL_SMT_NODE_LEN],
                       const uint8_t hash[LL_SMT_HASH_LEN], const uint8_t *ref,
                       unsigned depth)
{
    struct upper_page *up = page_copy(c, depth, ref, false);
    unsigned pos = page_pos(depth, ref);
    if (up != NULL && ((up->ok >> pos) & 1u) != 0 &&
        memcmp(up->hash[pos], hash, 32) == 0) {
        memcpy(node, up->node[pos], LL_SMT_NODE_LEN);
        return LL_SMT_GET_VERIFIED; /* checked when it was put there */
    }
    const struct page *pg = NULL;
    int rc = page_read(c, depth, ref, &pg);
    if (rc)
        return rc;
    if ((pg->used & (1u << pos)) == 0)
        return LL_ENOTFOUND;
    memcpy(node, pg->node[pos], LL_SMT_NODE_LEN);
    /* The page's hashes were computed as it was read. Only a node that
     * hashes to its address is used as checked; a corrupt one goes to the
     * map unverified, which rejects it. The page is copied whole: each
     * position holds the hash its node was just rebuilt with. */
    if (memcmp(pg->hash[pos], hash, 32) != 0)
        return 0;
    if (up == NULL)
        up = page_copy(c, depth, ref, true);
    if (up != NULL)
        page_copy_set(up, pg->used, (const uint8_t(*)[32])pg->hash,
                      (const uint8_t(*)[LL_SMT_NODE_LEN])pg->node);
    return LL_SMT_GET_VERIFIED;
}

static int node_get_at(void *ctx, uint8_t node[LL_SMT_NODE_LEN],
                       const uint8_t hash[LL_SMT_HASH_LEN],
                       const uint8_t ref[LL_SMT_KEY_LEN], unsigned depth)
{
    return node_lookup(ctx, node, hash, ref, depth);
}

/* A read-only node store over the pages (for proofs). */
static void node_store(struct ll_smt_store *out, struct node_ctx *c)
{
    out->get = NULL;
    out->get_at = node_get_at;
    out->put = NULL;
    out->ctx = c;
}

/* ---- updating the map page by page ---------------------------------------
 *
 * A block's changes are applied in one walk down the pages they reach: each
 * page on the way is taken whole (from its copy, else from the store,
 * checked against the hash its parent holds), the changed positions are
 * recomputed bottom-up in it, and it is queued in the batch and copied
 * back. The result is the map ll_smt_update computes (docs/smt.md; the
 * ledger's verify-chain recomputes it that way): with no deletes, a leaf
 * never moves up, so an inner node is made only where two entries part.
 */

/*
 * A page being rewritten is edited where it is: in its copy (taken as it
 * is when its top is the committed one, else made from the store), or, if
 * there are no copies or an outer page of this walk holds its cache slot,
 * in a buffer of the walk's own. Its positions start as the committed page
 * (ok: the bitmap in use). A failed update may leave copies half edited
 * with their old top hash, so it drops every copy (copies_drop).
 */
#define WALK_MAX PAGE_TIERS

/* An update in progress. */
struct pupd {
    struct node_ctx *c;
    const struct ll_smt_kv *kv;        /* the changes, sorted by key */
    struct upper_page *open[WALK_MAX]; /* pages being edited, outermost first */
    unsigned nopen;
    /* The buffer for the page at each level of the walk, when it cannot
     * be edited in a copy (here, not on the stack of a deep recursion). */
    struct upper_page local[WALK_MAX];
};

/* Forget every page copy (after a failed update). */
static void copies_drop(struct node_ctx *c)
{
    if (c->upper != NULL)
        for (size_t i = 0; i < UPPER_PAGES; i++)
            c->upper[i].ok = 0;
    size_t slots =
        c->cache_bits ? (size_t)1 << c->cache_bits : PAGE_CACHE_SLOTS;
    if (c->pcache != NULL)
        for (size_t i = 0; i < slots; i++)
            c->pcache[i].klen = 0;
}

/* True if pg is one of the pages this walk is editing. */
static bool page_open(const struct pupd *u, const struct upper_page *pg)
{
    for (unsigned i = 0; i < u->nopen; i++)
        if (u->open[i] == pg)
            return true;
    return false;
}

/*
 * The page to edit for the page at depth d on ref's path, whose committed
 * top hashes to top (zero: no page yet): its copy, else a copy made from
 * the store, else *local. A missing page or one with another top is
 * LL_ECORRUPT. Out: *out, registered as open.
 */
static int page_take(struct pupd *u, struct upper_page *local,
                     const uint8_t top[32], unsigned d, const uint8_t *ref,
                     struct upper_page **out)
{
    struct node_ctx *c = u->c;
    bool fresh = is_zero32(top);
    struct upper_page *up = page_copy(c, d, ref, false);
    if (up != NULL && !fresh && (up->ok & 1u) != 0 &&
        memcmp(up->hash[0], top, 32) == 0 && !page_open(u, up)) {
        *out = u->open[u->nopen++] = up;
        return 0;
    }
    /* Its copy's place, unless that would evict a page being edited
     * (pages of different tiers may share a cache slot). */
    if (up == NULL && !page_open(u, page_copy_slot(c, d, ref)))
        up = page_copy(c, d, ref, true);
    if (up == NULL || page_open(u, up))
        up = local;
    up->ok = 0;
    if (!fresh) {
        const struct page *pg = NULL;
        int rc = page_read(c, d, ref, &pg);
        if (rc)
            return rc == LL_ENOTFOUND ? LL_ECORRUPT : rc;
        if ((pg->used & 1u) == 0 || memcmp(pg->hash[0], top, 32) != 0)
            return LL_ECORRUPT;
        page_copy_set(up, pg->used, (const uint8_t(*)[32])pg->hash,
                      (const uint8_t(*)[LL_SMT_NODE_LEN])pg->node);
    }
    *out = u->open[u->nopen++] = up;
    return 0;
}

/* Queue pg, the page at depth d on ref's path, now edited. */
static void page_put(struct pupd *u, const struct upper_page *pg, unsigned d,
                     const uint8_t *ref)
{
    uint8_t v[PAGE_MAX];
    uint8_t k[PAGE_KEY_MAX];
    size_t n = ll_ledger__page_encode(
        v, pg->ok, (const uint8_t(*)[LL_SMT_NODE_LEN])pg->node);
    ll_store_batch_put(u->c->wb, k, page_key(k, d, ref), v, n);
    u->nopen--;
}

/* Set position pos of po to a node and its hash. */
static void page_set(struct upper_page *po, unsigned pos, uint8_t type,
                     const uint8_t a[32], const uint8_t b[32])
{
    uint8_t *node = po->node[pos];
    node[0] = type;
    memcpy(node + 1, a, 32);
    memcpy(node + 33, b, 32);
    if (type == LL_SMT_NODE_LEAF)
        ll_smt_leaf_hash(po->hash[pos], a, b);
    else
        ll_smt_node_hash(po->hash[pos], a, b);
    po->ok |= 1u << pos;
}

static int pu_apply(struct pupd *u, struct upper_page *po, unsigned depth,
                    unsigned pos, const uint8_t *carry, bool sib0, size_t lo,
                    size_t hi);

/*
 * Apply kv[lo, hi) to child s of the node at (depth, pos): old is its
 * committed hash (zero: none), carry a leaf pushed down into it (or NULL).
 * Out: its new hash.
 */
static int pu_child(struct pupd *u, struct upper_page *po, unsigned depth,
                    unsigned pos, unsigned s, const uint8_t old[32],
                    const uint8_t *carry, bool sib0, size_t lo, size_t hi,
                    uint8_t out[32])
{
    if (lo == hi && carry == NULL) {
        memcpy(out, old, 32); /* untouched */
        return 0;
    }
    if ((depth + 1) % PAGE_LEVELS != 0) {
        unsigned cp = 2 * pos + 1 + s;
        int rc = pu_apply(u, po, depth + 1, cp, carry, sib0, lo, hi);
        if (rc == 0)
            memcpy(out, po->hash[cp], 32);
        return rc;
    }
    /* The top of a page of the next tier. */
    const uint8_t *ref = lo < hi ? u->kv[lo].key : carry + 1;
    struct upper_page *np = NULL;
    if (u->nopen == WALK_MAX)
        return LL_ECORRUPT; /* deeper than a key */
    int rc = page_take(u, &u->local[u->nopen], old, depth + 1, ref, &np);
    if (rc == 0)
        rc = pu_apply(u, np, depth + 1, 0, carry, sib0, lo, hi);
    if (rc)
        return rc;
    page_put(u, np, depth + 1, ref);
    memcpy(out, np->hash[0], 32);
    return 0;
}

/*
 * The checks load_at makes of a committed node the changes reach at depth
 * on key's path (sib0: its sibling is empty): a leaf has the path's prefix
 * and a sibling, an inner node is above the last depth and has a child.
 */
static bool old_node_ok(const uint8_t node[LL_SMT_NODE_LEN], bool sib0,
                        const uint8_t *key, unsigned depth)
{
    if (node[0] == LL_SMT_NODE_LEAF)
        return !sib0 && ll_smt__same_prefix(node + 1, key, depth);
    return depth < LL_SMT_MAX_DEPTH &&
           !(is_zero32(node + 1) && is_zero32(node + 33));
}

/*
 * Apply kv[lo, hi) to the subtree at depth whose node is at position pos
 * of po: the committed node there (sib0: its sibling is empty), the leaf
 * carry pushed down into it, or nothing. The keys share the subtree's
 * first depth bits. Leaves the new node and its hash at pos.
 */
static int pu_apply(struct pupd *u, struct upper_page *po, unsigned depth,
                    unsigned pos, const uint8_t *carry, bool sib0, size_t lo,
                    size_t hi)
{
    static const uint8_t zero[32];
    uint8_t cur[LL_SMT_NODE_LEN];
    bool empty = carry == NULL && (po->ok & (1u << pos)) == 0;
    if (carry != NULL) {
        memcpy(cur, carry, LL_SMT_NODE_LEN);
    } else if (!empty) {
        memcpy(cur, po->node[pos], LL_SMT_NODE_LEN);
        if (lo == hi || !old_node_ok(cur, sib0, u->kv[lo].key, depth))
            return LL_ECORRUPT;
    }
    if (lo == hi) { /* a carried leaf comes to rest */
        page_set(po, pos, LL_SMT_NODE_LEAF, cur + 1, cur + 33);
        return 0;
    }
    const struct ll_smt_kv *kv = &u->kv[lo];
    bool is_leaf = !empty && cur[0] == LL_SMT_NODE_LEAF;
    if (hi - lo == 1 &&
        (empty || (is_leaf && memcmp(cur + 1, kv->key, 32) == 0))) {
        page_set(po, pos, LL_SMT_NODE_LEAF, kv->key, kv->value_hash);
        return 0;
    }
    /* Distinct keys sharing depth bits, or a leaf and another key with
     * its prefix (checked above), part at a bit >= depth. */
    LL_ASSERT(depth < LL_SMT_MAX_DEPTH);
    size_t mid = ll_smt__split_kvs(u->kv, lo, hi, depth);
    const uint8_t *old[2] = {zero, zero};
    const uint8_t *down[2] = {NULL, NULL};
    if (is_leaf)
        down[ll_smt__key_bit(cur + 1, depth)] = cur;
    else if (!empty) {
        old[0] = cur + 1;
        old[1] = cur + 33;
    }
    uint8_t h[2][32];
    size_t range[3] = {lo, mid, hi};
    for (unsigned s = 0; s < 2; s++) {
        int rc = pu_child(u, po, depth, pos, s, old[s], down[s],
                          is_zero32(old[1 - s]), range[s], range[s + 1], h[s]);
        if (rc)
            return rc;
    }
    page_set(po, pos, LL_SMT_NODE_INNER, h[0], h[1]);
    return 0;
}

static int cmp_kv(const void *a, const void *b)
{
    const struct ll_smt_kv *x = a;
    const struct ll_smt_kv *y = b;
    return memcmp(x->key, y->key, LL_SMT_KEY_LEN);
}

/*
 * Apply kvs (inserts and updates: the ledger never removes an entry) to
 * the map at old_root, reading the latest committed pages (through the
 * builder's copies, if not NULL), and queue the pages it changes in wb.
 * Returns 0, LL_EINVAL (a delete or a repeated key), LL_ENOMEM,
 * LL_ECORRUPT (a committed page missing or not what its parent says) or a
 * store error. Out: new_root only on success.
 */
static int state_update(struct ll_store *st, struct ll_store_batch *wb,
                        struct page_slot *pcache, unsigned cache_bits,
                        struct upper_page *upper, uint8_t new_root[32],
                        const uint8_t old_root[32], const struct ll_smt_kv *kvs,
                        size_t n)
{
    struct node_ctx c = {st, NULL, wb, pcache, upper, NULL, cache_bits};
    for (size_t i = 0; i < n; i++)
        if (kvs[i].del)
            return LL_EINVAL;
    if (n == 0) {
        memmove(new_root, old_root, 32);
        return 0;
    }
    struct ll_smt_kv *kv = ll_reallocarray(NULL, n, sizeof(*kv));
    struct pupd *u = ll_malloc(sizeof(*u));
    int rc = kv == NULL || u == NULL ? LL_ENOMEM : 0;
    if (rc)
        goto out;
    memcpy(kv, kvs, n * sizeof(*kv));
    qsort(kv, n, sizeof(*kv), cmp_kv);
    for (size_t i = 1; i < n && rc == 0; i++)
        if (memcmp(kv[i - 1].key, kv[i].key, 32) == 0)
            rc = LL_EINVAL;
    if (rc)
        goto out;
    u->c = &c;
    u->kv = kv;
    u->nopen = 0;
    struct upper_page *root = NULL;
    rc = page_take(u, &u->local[0], old_root, 0, kv[0].key, &root);
    if (rc == 0)
        rc = pu_apply(u, root, 0, 0, NULL, false, 0, n);
    if (rc == 0) {
        page_put(u, root, 0, kv[0].key);
        memcpy(new_root, root->hash[0], 32);
    } else {
        copies_drop(&c);
    }
out:
    ll_free(kv);
    ll_free(u);
    node_ctx_free(&c);
    return rc;
}

struct ll_ledger__map_copies {
    struct page_slot *pcache; /* 2^bits slots */
    unsigned bits;
    struct upper_page *upper; /* UPPER_PAGES */
};

int ll_ledger__map_copies_new(struct ll_ledger__map_copies **out,
                              unsigned cache_bits)
{
    if (cache_bits == 0 || cache_bits > PAGE_CACHE_BITS)
        return LL_EINVAL;
    struct ll_ledger__map_copies *cp = ll_calloc(1, sizeof(*cp));
    if (cp == NULL)
        return LL_ENOMEM;
    cp->bits = cache_bits;
    cp->pcache = ll_calloc((size_t)1 << cache_bits, sizeof(*cp->pcache));
    cp->upper = ll_calloc(UPPER_PAGES, sizeof(*cp->upper));
    if (cp->pcache == NULL || cp->upper == NULL) {
        ll_ledger__map_copies_free(cp);
        return LL_ENOMEM;
    }
    *out = cp;
    return 0;
}

void ll_ledger__map_copies_free(struct ll_ledger__map_copies *copies)
{
    if (copies != NULL) {
        ll_free(copies->pcache);
        ll_free(copies->upper);
        ll_free(copies);
    }
}

int ll_ledger__map_update(struct ll_store *st, struct ll_ledger__map_copies *cp,
                          uint8_t new_root[32], const uint8_t old_root[32],
                          const struct ll_smt_kv *kvs, size_t n)
{
    struct ll_store_batch *wb = NULL;
    int rc = ll_store_batch_new(&wb);
    uint8_t root[32];
    if (rc == 0)
        rc = state_update(st, wb, cp ? cp->pcache : NULL, cp ? cp->bits : 0,
                          cp ? cp->upper : NULL, root, old_root, kvs, n);
    if (rc == 0)
        rc = ll_store_write(st, wb, true);
    if (rc == 0)
        memcpy(new_root, root, 32);
    ll_store_batch_free(wb);
    return rc;
}

/* ---- the committed-id and lot filters ------------------------------------
 *
 * Replay detection asks "is this id already recorded?" for every event, and
 * creating a lot asks "does this lot exist?"; the answer is almost always
 * no. A Bloom filter over the committed ids, and one over the committed lot
 * keys, answer most of those without a LevelDB read; a "maybe" is settled
 * by the store. The filters are blocked: a key's 4 bits lie in one 512-bit
 * block (a cache line), picked by key bytes 0..7, the bits by bytes 8..15
 * (the keys are uniform hashes), so an add or a probe touches one line
 * instead of four; with at least 16 bits per key, under 0.5% false
 * positives per layer. Each is built from its keys ('i', 'L') at open,
 * sized for twice what the store holds. When its newest layer passes 16
 * bits per key, a layer four times as large takes the new keys, and a probe
 * asks every layer: the filter grows without reading the store, so no
 * commit stalls on it. The next open makes one layer again. (With all
 * BLOOM_LAYERS in use, 4^7 times the size at open, the last one takes
 * every new key.)
 */
#define BLOOM_MIN_BITS   ((size_t)1 << 20)
#define BLOOM_BLOCK_BITS 512

static void bloom_free(struct bloom *f)
{
    for (size_t i = 0; i < f->nlayers; i++)
        ll_free(f->layer[i].bits);
    f->nlayers = 0;
}

/* The 512-bit block of key in a layer. */
static uint64_t *bloom_block(const struct bloom_layer *y, const uint8_t key[32])
{
    size_t nblocks = y->nbits / BLOOM_BLOCK_BITS;
    return y->bits + (BLOOM_BLOCK_BITS / 64) *
                         (size_t)(ll_load_le64(key) & (nblocks - 1));
}

/* Bit j (0..3) of key in its block. */
static unsigned bloom_bit(const uint8_t key[32], size_t j)
{
    return ((unsigned)key[8 + 2 * j] | (unsigned)key[9 + 2 * j] << 8) &
           (BLOOM_BLOCK_BITS - 1);
}

/* True if all 4 bits of key are set in a layer. */
static bool bloom_layer_has(const struct bloom_layer *y, const uint8_t key[32])
{
    const uint64_t *w = bloom_block(y, key);
    for (size_t j = 0; j < 4; j++) {
        unsigned bit = bloom_bit(key, j);
        if ((w[bit / 64] & ((uint64_t)1 << (bit % 64))) == 0)
            return false;
    }
    return true;
}

static void bloom_layer_add(struct bloom_layer *y, const uint8_t key[32])
{
    uint64_t *w = bloom_block(y, key);
    for (size_t j = 0; j < 4; j++) {
        unsigned bit = bloom_bit(key, j);
        w[bit / 64] |= (uint64_t)1 << (bit % 64);
    }
    y->n++;
}

static bool bloom_maybe(const struct bloom *f, const uint8_t key[32])
{
    for (size_t i = 0; i < f->nlayers; i++)
        if (bloom_layer_has(&f->layer[i], key))
            return true;
    return false;
}

/* An empty layer of at least 32 bits per key for want keys, and at least
 * min_bits. Returns 0 or LL_ENOMEM. */
static int bloom_layer_new(struct bloom_layer *y, uint64_t want,
                           size_t min_bits)
{
    size_t nbits = min_bits;
    while ((uint64_t)nbits < 32 * want)
        nbits *= 2;
    y->bits = ll_calloc(nbits / 64, sizeof(*y->bits));
    y->nbits = nbits;
    y->n = 0;
    return y->bits == NULL ? LL_ENOMEM : 0;
}

/*
 * (Re)build a filter as one layer from every committed key under its
 * prefix, sized for want keys. On failure the filter is left as it was (a
 * partial one would have false negatives).
 */
static int bloom_build(struct bloom *f, struct ll_store *st, uint64_t want)
{
    struct bloom_layer y;
    int rc = bloom_layer_new(&y, want, BLOOM_MIN_BITS);
    if (rc)
        return rc;
    struct ll_store_iter *it = NULL;
    uint8_t p = f->prefix;
    rc = ll_store_iter_open(st, NULL, &p, 1, NULL, 0, &it);
    const uint8_t *k;
    const uint8_t *v;
    size_t kl;
    size_t vl;
    while (rc == 0 && ll_store_iter_next(it, &k, &kl, &v, &vl))
        if (kl == 33)
            bloom_layer_add(&y, k + 1);
    if (rc == 0)
        rc = ll_store_iter_error(it);
    ll_store_iter_close(it);
    if (rc) {
        ll_free(y.bits);
        return rc;
    }
    bloom_free(f);
    f->layer[0] = y;
    f->nlayers = 1;
    return 0;
}

/* The filter at open: the store's keys, with room for as many again. A
 * store too big for the smallest filter is read twice (the first pass
 * counts it). */
static int bloom_open(struct bloom *f, struct ll_store *st)
{
    int rc = bloom_build(f, st, 0);
    if (rc == 0 && 32 * f->layer[0].n > f->layer[0].nbits)
        rc = bloom_build(f, st, 2 * f->layer[0].n);
    return rc;
}

/* Add a committed key; past 16 bits per key in the newest layer, start a
 * layer four times as large. Without one (all BLOOM_LAYERS in use, or no
 * memory) the key still goes in: more false positives, never a false
 * negative. */
static void bloom_commit(struct bloom *f, const uint8_t key[32])
{
    struct bloom_layer *y = &f->layer[f->nlayers - 1];
    if (16 * (y->n + 1) > y->nbits && f->nlayers < BLOOM_LAYERS) {
        if (bloom_layer_new(&f->layer[f->nlayers], 0, 4 * y->nbits) == 0)
            y = &f->layer[f->nlayers++];
        else
            ll_log(LL_LOG_WARN,
                   "component=ledger msg=\"key filter not grown\"");
    }
    bloom_layer_add(y, key);
}

void ll_ledger__filter_size(const struct ll_ledger *l, bool lots,
                            uint64_t *bits, uint64_t *keys, size_t *layers)
{
    const struct bloom *f = lots ? &l->lots : &l->ids;
    *bits = 0;
    *keys = 0;
    for (size_t i = 0; i < f->nlayers; i++) {
        *bits += f->layer[i].nbits;
        *keys += f->layer[i].n;
    }
    *layers = f->nlayers;
}

/* ---- open and genesis ------------------------------------------------------
 */

static void tip_encode(uint8_t out[TIP_LEN], const struct ll_ledger_tip *t)
{
    ll_store_be64(out, t->height);
    memcpy(out + 8, t->hash, 32);
    memcpy(out + 40, t->state_root, 32);
    ll_store_be64(out + 72, (uint64_t)t->time_ms);
}

static int tip_decode(struct ll_ledger_tip *t, const struct ll_buf *b)
{
    if (b->len != TIP_LEN)
        return LL_ECORRUPT;
    t->height = ll_load_be64(b->data);
    memcpy(t->hash, b->data + 8, 32);
    memcpy(t->state_root, b->data + 40, 32);
    t->time_ms = (int64_t)ll_load_be64(b->data + 72);
    return 0;
}

/* Write the genesis state: organisations in the state map, tip 0. */
static int init_genesis(struct ll_ledger *l, struct ll_errmsg *e)
{
    struct ll_store_batch *wb = NULL;
    struct ll_smt_kv *kvs = NULL;
    struct ll_buf enc;
    uint8_t k[MAX_KEY];
    int rc = ll_store_batch_new(&wb);
    if (rc)
        return rc;
    ll_buf_init(&enc, lotledger_OrgState_size);
    kvs = ll_calloc(l->g->norgs, sizeof(*kvs));
    if (kvs == NULL) {
        rc = LL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < l->g->norgs; i++) {
        const lotledger_OrgState *o = &l->g->orgs[i];
        ll_buf_reset(&enc);
        rc = ll_ledger__pb_encode(&enc, lotledger_OrgState_fields, o,
                                  lotledger_OrgState_size);
        if (rc)
            goto out;
        ll_org_key(kvs[i].key, o->id);
        ll_smt_value_hash(kvs[i].value_hash, enc.data, enc.len);
        ll_store_batch_put(wb, k, key_org(k, o->id), enc.data, enc.len);
    }
    static const uint8_t zero[32];
    struct ll_ledger_tip tip = {0};
    rc = state_update(l->store, wb, NULL, 0, NULL, tip.state_root, zero, kvs,
                      l->g->norgs);
    if (rc)
        goto out;
    memcpy(tip.hash, l->g->hash, 32);
    tip.time_ms = l->g->time_ms;
    uint8_t v[TIP_LEN];
    ll_store_be32(v, SCHEMA_VERSION);
    ll_store_batch_put(wb, k, key_meta(k, "schema"), v, 4);
    ll_store_batch_put(wb, k, key_meta(k, "genesis"), l->g->hash, 32);
    tip_encode(v, &tip);
    ll_store_batch_put(wb, k, key_meta(k, "tip"), v, TIP_LEN);
    rc = ll_store_write(l->store, wb, true);
    if (rc == 0)
        l->tip = tip;
out:
    if (rc)
        (void)ll_errmsg_set(e, rc, "ledger: cannot write the genesis state: %s",
                            ll_strerror(rc));
    ll_free(kvs);
    ll_buf_free(&enc);
    ll_store_batch_free(wb);
    return rc;
}

/*
 * A store that fails a check at open is damaged (LL_ECORRUPT, fmt naming
 * what), unless rc says memory ran out while it was read: that is
 * LL_ENOMEM, and says so.
 */
static int store_damage(struct ll_errmsg *e, int rc, const char *fmt, ...)
    LL_PRINTF(3, 4);
static int store_damage(struct ll_errmsg *e, int rc, const char *fmt, ...)
{
    if (rc == LL_ENOMEM)
        return ll_errmsg_set(e, LL_ENOMEM,
                             "ledger: out of memory while checking the store");
    va_list ap;
    va_start(ap, fmt);
    rc = ll_errmsg_vset(e, LL_ECORRUPT, fmt, ap);
    va_end(ap);
    return rc;
}

/*
 * Check an existing store's schema and genesis, and load its tip. A record
 * that cannot be read is damage, never "no ledger": only a directory
 * without a store is that (ll_store_probe).
 */
static int load_meta(struct ll_store *st, const struct ll_genesis *g,
                     struct ll_ledger_tip *tip, struct ll_errmsg *e)
{
    uint8_t k[32];
    struct ll_buf b;
    struct ll_errmsg se = {{0}};
    ll_buf_init(&b, 256);
    int rc = ll_store_read(st, NULL, k, key_meta(k, "schema"), &b, &se);
    if (rc == LL_ENOTFOUND)
        rc = store_damage(e, rc,
                          "ledger: the store has no schema record (m:schema):"
                          " damaged, or not a ledger");
    else if (rc)
        rc = store_damage(e, rc,
                          "ledger: cannot read the schema record (m:schema): "
                          "%s",
                          se.text[0] ? se.text : ll_strerror(rc));
    else if (b.len != 4)
        rc =
            store_damage(e, rc, "ledger: the store's schema record is damaged");
    else if (ll_load_be32(b.data) != SCHEMA_VERSION)
        rc = ll_errmsg_set(e, LL_EVERSION,
                           "ledger: the store has schema version %u and this "
                           "build reads version %u: run the build that wrote "
                           "it, or start from an empty data directory "
                           "(docs/operations.md, Upgrades)",
                           (unsigned)ll_load_be32(b.data),
                           (unsigned)SCHEMA_VERSION);
    if (rc == 0) {
        ll_buf_reset(&b);
        rc = ll_store_read(st, NULL, k, key_meta(k, "genesis"), &b, &se);
        if (rc == 0 && (b.len != 32 || memcmp(b.data, g->hash, 32) != 0))
            rc = ll_errmsg_set(e, LL_EVERIFY,
                               "ledger: the data directory belongs to "
                               "another genesis (chain)");
        else if (rc)
            rc = store_damage(e, rc,
                              "ledger: cannot read the genesis record "
                              "(m:genesis): %s",
                              se.text[0] ? se.text : ll_strerror(rc));
    }
    if (rc == 0) {
        ll_buf_reset(&b);
        rc = ll_store_read(st, NULL, k, key_meta(k, "tip"), &b, &se);
        if (rc == 0)
            rc = tip_decode(tip, &b);
        if (rc == LL_ENOMEM) /* not the store's fault */
            rc = ll_errmsg_set(e, rc, "ledger: cannot read key m:tip: %s",
                               ll_strerror(rc));
        else if (rc)
            rc = store_damage(e, rc,
                              "ledger: key m:tip is missing or corrupt%s%s",
                              se.text[0] ? ": " : "", se.text);
    }
    ll_buf_free(&b);
    return rc;
}

/* The tip's block (height > 0): stored, its header hashing to the tip and
 * naming the genesis and the state root, its commit verifying. */
static int check_tip_block(struct ll_store *st, const struct ll_genesis *g,
                           const struct ll_valset *vs,
                           const struct ll_ledger_tip *t, struct ll_errmsg *e)
{
    uint8_t k[9];
    uint8_t hash[32];
    struct ll_header h;
    struct ll_buf b;
    struct ll_errmsg se = {{0}};
    unsigned long long ht = (unsigned long long)t->height;
    struct ll_commit *c = ll_malloc(sizeof(*c));
    if (c == NULL)
        return LL_ENOMEM;
    ll_buf_init(&b, LL_HEADER_LEN + LL_COMMIT_MAX);
    int rc = ll_store_read(st, NULL, k, key_block(k, t->height), &b, &se);
    if (rc == 0 &&
        (b.len < LL_HEADER_LEN ||
         ll_header_decode(&h, b.data, LL_HEADER_LEN) != 0 ||
         h.height != t->height ||
         ll_commit_decode(c, b.data + LL_HEADER_LEN, b.len - LL_HEADER_LEN)))
        rc = LL_ECORRUPT;
    if (rc) {
        rc = store_damage(e, rc, "ledger: the tip's block %llu is %s%s%s", ht,
                          rc == LL_ENOTFOUND ? "missing" : "damaged",
                          se.text[0] ? ": " : "", se.text);
        goto out;
    }
    ll_header_hash(hash, &h);
    if (memcmp(hash, t->hash, 32) != 0 ||
        memcmp(h.state_root, t->state_root, 32) != 0 ||
        memcmp(h.genesis, g->hash, 32) != 0) {
        rc = store_damage(e, rc,
                          "ledger: the tip (m:tip) does not match its block "
                          "%llu (hash, state root or genesis)",
                          ht);
        goto out;
    }
    if (ll_commit_verify(&h, c, vs, &se) != 0)
        rc = store_damage(e, rc,
                          "ledger: the commit of the tip's block %llu does "
                          "not verify: %s",
                          ht, se.text);
out:
    ll_buf_free(&b);
    ll_free(c);
    return rc;
}

/* The state map's root page must hash to the tip's state root. */
static int check_root_page(struct ll_store *st, const struct ll_ledger_tip *t,
                           struct ll_errmsg *e)
{
    static const uint8_t zero[32];
    uint8_t k[PAGE_KEY_MAX];
    struct ll_buf b;
    struct ll_errmsg se = {{0}};
    struct page *pg = ll_malloc(sizeof(*pg));
    if (pg == NULL)
        return LL_ENOMEM;
    ll_buf_init(&b, PAGE_MAX + 1);
    int rc = ll_store_read(st, NULL, k, page_key(k, 0, zero), &b, &se);
    if (rc == 0 && (page_parse(pg, b.data, b.len) != 0 ||
                    memcmp(pg->hash[0], t->state_root, 32) != 0))
        rc = LL_ECORRUPT;
    else if (rc == LL_ENOTFOUND && memcmp(t->state_root, zero, 32) == 0)
        rc = 0; /* an empty map has no pages */
    if (rc)
        rc = store_damage(e, rc,
                          "ledger: the state map's root page is %s: it does "
                          "not give the tip's state root (block %llu)%s%s",
                          rc == LL_ENOTFOUND ? "missing" : "damaged",
                          (unsigned long long)t->height, se.text[0] ? ": " : "",
                          se.text);
    ll_buf_free(&b);
    ll_free(pg);
    return rc;
}

/*
 * Check that the tip verifies against what the store holds: its block's
 * header and commit, the root page of the state map, and no block above
 * it.
 */
static int check_tip(struct ll_store *st, const struct ll_genesis *g,
                     const struct ll_valset *vs, const struct ll_ledger_tip *t,
                     struct ll_errmsg *e)
{
    unsigned long long ht = (unsigned long long)t->height;
    if (t->height == 0 && memcmp(t->hash, g->hash, 32) != 0)
        return store_damage(e, 0,
                            "ledger: the tip (m:tip) is at height 0 but "
                            "does not name the genesis");
    int rc = t->height > 0 ? check_tip_block(st, g, vs, t, e) : 0;
    if (rc == 0)
        rc = check_root_page(st, t, e);
    if (rc)
        return rc;
    uint8_t k[9];
    struct ll_buf b;
    struct ll_errmsg se = {{0}};
    ll_buf_init(&b, LL_HEADER_LEN + LL_COMMIT_MAX);
    rc = ll_store_read(st, NULL, k, key_block(k, t->height + 1), &b, &se);
    ll_buf_free(&b);
    if (rc == 0)
        return store_damage(e, rc,
                            "ledger: block %llu is stored above the tip "
                            "(m:tip at %llu): the tip record is stale",
                            ht + 1, ht);
    if (rc != LL_ENOTFOUND)
        return store_damage(e, rc, "ledger: cannot read block %llu: %s", ht + 1,
                            se.text);
    return 0;
}

/*
 * Compare the tip with dir's committed record. Out: *rewrite = the record
 * should be set to the tip (missing, behind, or a rollback accepted).
 */
static int check_committed(struct ll_store *st, const char *dir,
                           const struct ll_genesis *g,
                           const struct ll_ledger_tip *t, bool accept,
                           bool *rewrite, struct ll_errmsg *e)
{
    uint64_t mh = 0;
    uint8_t mhash[32];
    struct ll_errmsg me = {{0}};
    int rc = ll_ledger__committed_read(dir, &mh, mhash, &me);
    *rewrite = false;
    if (rc == LL_ENOTFOUND) {
        ll_log(LL_LOG_WARN,
               "component=ledger event=no_committed_record dir=%s height=%llu "
               "msg=\"no " LL_LEDGER_COMMITTED_FILE
               " file: a rollback before this open cannot be detected\"",
               dir, (unsigned long long)t->height);
        *rewrite = true;
        return 0;
    }
    if (rc && !accept)
        return ll_errmsg_set(e, rc, "%s", me.text);
    if (rc) {
        ll_log(LL_LOG_ERROR,
               "component=ledger event=committed_record_damaged dir=%s "
               "accepted=yes height=%llu error=\"%s\"",
               dir, (unsigned long long)t->height, me.text);
        *rewrite = true;
        return 0;
    }
    if (t->height < mh) {
        if (!accept)
            return ll_errmsg_set(e, LL_ESTALE,
                                 "ledger: rolled back: the store's tip is "
                                 "block %llu but block %llu was committed; "
                                 "refusing to serve or extend it "
                                 "(docs/operations.md, Damaged storage)",
                                 (unsigned long long)t->height,
                                 (unsigned long long)mh);
        ll_log(LL_LOG_ERROR,
               "component=ledger event=rolled_back accepted=yes tip=%llu "
               "committed=%llu lost_blocks=%llu",
               (unsigned long long)t->height, (unsigned long long)mh,
               (unsigned long long)(mh - t->height));
        *rewrite = true;
        return 0;
    }
    uint8_t hash[32];
    memcpy(hash, g->hash, 32);
    if (mh > 0) {
        uint8_t k[9];
        struct ll_buf b;
        struct ll_header h;
        ll_buf_init(&b, LL_HEADER_LEN + LL_COMMIT_MAX);
        rc = ll_store_read(st, NULL, k, key_block(k, mh), &b, &me);
        if (rc == 0 && (b.len < LL_HEADER_LEN ||
                        ll_header_decode(&h, b.data, LL_HEADER_LEN) != 0))
            rc = LL_ECORRUPT;
        if (rc == 0)
            ll_header_hash(hash, &h);
        ll_buf_free(&b);
        if (rc)
            return store_damage(e, rc,
                                "ledger: cannot read the committed block "
                                "%llu: %s",
                                (unsigned long long)mh,
                                me.text[0] ? me.text : ll_strerror(rc));
    }
    if (memcmp(hash, mhash, 32) != 0)
        return store_damage(
            e, rc,
            "ledger: block %llu is not the one " LL_LEDGER_COMMITTED_FILE
            " names: the store holds another chain, "
            "or " LL_LEDGER_COMMITTED_FILE " is damaged",
            (unsigned long long)mh);
    *rewrite = t->height > mh;
    return 0;
}

/* Every check of an existing store before it is served (ll_ledger.h). */
static int check_store(struct ll_store *st, const struct ll_ledger *l,
                       const char *dir, bool accept, struct ll_ledger_tip *tip,
                       bool *rewrite, struct ll_errmsg *e)
{
    int rc = load_meta(st, l->g, tip, e);
    if (rc == 0)
        rc = ll_store_scan_check(st, e);
    if (rc == 0)
        rc = check_tip(st, l->g, &l->vs, tip, e);
    if (rc == 0)
        rc = check_committed(st, dir, l->g, tip, accept, rewrite, e);
    return rc;
}

/* Name the files of dir, not of its clone to, in LevelDB's text in e. */
static void unclone_text(struct ll_errmsg *e, const char *to, const char *dir)
{
    char out[LL_ERRMSG_MAX];
    size_t tl = strlen(to);
    size_t dl = strlen(dir);
    size_t o = 0;
    for (const char *p = e->text; *p != '\0' && o + 1 < sizeof(out);) {
        if (strncmp(p, to, tl) == 0 && o + dl + 1 < sizeof(out)) {
            memcpy(out + o, dir, dl);
            o += dl;
            p += tl;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    memcpy(e->text, out, o + 1);
}

/*
 * Run check_store on a clone of dir (beside it, as dir.check), so that
 * LevelDB's recovery, which turns the log into a table and writes a new
 * manifest, changes only the clone: a store refused is left as it was.
 */
static int check_clone(const struct ll_ledger *l, const char *dir,
                       const struct ll_ledger_opts *o,
                       struct ll_ledger_tip *tip, bool *rewrite,
                       struct ll_errmsg *e)
{
    char to[4096];
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    int n = snprintf(to, sizeof(to), "%.*s.check", (int)dl, dir);
    if (n < 0 || (size_t)n >= sizeof(to))
        return ll_errmsg_set(e, LL_EIO, "ledger: path too long");
    if (ll_store_remove_dir(to) != 0)
        return ll_errmsg_set(e, LL_EIO, "ledger: cannot remove an old %s", to);
    int rc = ll_store_clone(dir, to, e);
    if (rc)
        return rc;
    struct ll_store *st = NULL;
    rc = ll_store_open(&st, to, false, 0, e);
    if (rc == 0)
        rc = check_store(st, l, dir, o->accept_rollback, tip, rewrite, e);
    ll_store_close(st);
    if (rc && e != NULL)
        unclone_text(e, to, dir);
    if (ll_store_remove_dir(to) != 0)
        ll_log(LL_LOG_WARN, "component=ledger event=cleanup_failed dir=%s", to);
    return rc;
}

/* Build the key filters and copy the upper pages of an opened store. */
static int fill_caches(struct ll_ledger *l, struct ll_errmsg *e)
{
    l->ids.prefix = K_ID;
    l->lots.prefix = K_LOT;
    int rc = bloom_open(&l->ids, l->store);
    if (rc == 0)
        rc = bloom_open(&l->lots, l->store);
    if (rc == 0)
        rc = upper_load(l->store, l->upper);
    if (rc)
        rc = ll_errmsg_set(e, rc,
                           "ledger: cannot read the state-map pages "
                           "or the key filters: %s",
                           ll_strerror(rc));
    return rc;
}

/* fsync the directory holding path (its parent). Returns 0 or LL_EIO. */
static int sync_parent(const char *path)
{
    char parent[4096];
    const char *slash = strrchr(path, '/');
    int n = slash == NULL
                ? snprintf(parent, sizeof(parent), ".")
                : snprintf(parent, sizeof(parent), "%.*s",
                           (int)(slash == path ? 1 : slash - path), path);
    if (n < 0 || (size_t)n >= sizeof(parent))
        return LL_EIO;
    int fd = open(parent, O_RDONLY);
    if (fd < 0)
        return LL_EIO;
    int rc = fsync(fd) != 0 ? LL_EIO : 0;
    (void)close(fd);
    return rc;
}

/*
 * Create a new ledger in dir (absent or empty). Where dir is absent, the
 * store, its genesis state and its committed record are made in dir.new
 * and renamed to dir once complete, so a crash leaves no half-made ledger,
 * only a dir.new that the next creation removes.
 */
static int create_store(struct ll_ledger *l, const char *dir,
                        const struct ll_ledger_opts *o, struct ll_errmsg *e)
{
    char tmp[4096];
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    int rc = ll_store_probe(dir, e);
    if (rc == 0 || rc == LL_ECORRUPT)
        return ll_errmsg_set(e, LL_EEXIST,
                             "ledger: %s is not empty: a new ledger is made "
                             "only in an empty or absent directory",
                             dir);
    if (rc != LL_ENOTFOUND)
        return rc;
    struct stat st;
    if (stat(dir, &st) == 0) {
        /* An empty directory that exists (perhaps a mount point, which
         * cannot be replaced): made in place. A crash meanwhile leaves a
         * store without its schema record, which no open takes for a
         * ledger. */
        rc = ll_store_open(&l->store, dir, true, o->write_buffer, e);
        if (rc == 0)
            rc = init_genesis(l, e);
        if (rc == 0 && ll_ledger__committed_write(dir, 0, l->g->hash) != 0)
            rc = ll_errmsg_set(e, LL_EIO, "ledger: cannot write %s/%s", dir,
                               LL_LEDGER_COMMITTED_FILE);
        return rc;
    }
    int n = snprintf(tmp, sizeof(tmp), "%.*s.new", (int)dl, dir);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return ll_errmsg_set(e, LL_EIO, "ledger: path too long");
    if (ll_store_remove_dir(tmp) != 0)
        return ll_errmsg_set(e, LL_EIO, "ledger: cannot remove an old %s", tmp);
    rc = ll_store_open(&l->store, tmp, true, o->write_buffer, e);
    if (rc == 0)
        rc = init_genesis(l, e);
    if (rc == 0 && ll_ledger__committed_write(tmp, 0, l->g->hash) != 0)
        rc = ll_errmsg_set(e, LL_EIO, "ledger: cannot write %s/%s", tmp,
                           LL_LEDGER_COMMITTED_FILE);
    ll_store_close(l->store);
    l->store = NULL;
    if (rc == 0 && (rename(tmp, dir) != 0 || sync_parent(dir) != 0))
        rc = ll_errmsg_set(e, LL_EIO, "ledger: cannot rename %s to %s: %s", tmp,
                           dir, strerror(errno)); /* NOLINT */
    if (rc) {
        (void)ll_store_remove_dir(tmp);
        return rc;
    }
    rc = ll_store_open(&l->store, dir, false, o->write_buffer, e);
    if (rc == 0)
        rc = load_meta(l->store, l->g, &l->tip, e);
    return rc;
}

/*
 * Open the existing store in dir once check_store has passed on it (on a
 * clone, or on dir itself when o->in_place), and load its tip.
 */
static int open_checked(struct ll_ledger *l, const char *dir,
                        const struct ll_ledger_opts *o, struct ll_errmsg *e)
{
    struct ll_ledger_tip checked;
    bool rewrite = false;
    int rc = ll_store_probe(dir, e);
    if (rc == 0 && !o->in_place)
        rc = check_clone(l, dir, o, &checked, &rewrite, e);
    if (rc == 0)
        rc = ll_store_open(&l->store, dir, false, o->write_buffer, e);
    if (rc == 0 && o->in_place)
        rc = check_store(l->store, l, dir, o->accept_rollback, &l->tip,
                         &rewrite, e);
    if (rc == 0 && !o->in_place) {
        rc = load_meta(l->store, l->g, &l->tip, e);
        if (rc == 0 && memcmp(&l->tip, &checked, sizeof(checked)) != 0)
            rc = ll_errmsg_set(e, LL_ECORRUPT,
                               "ledger: %s changed while it was checked", dir);
    }
    if (rc == 0 && rewrite &&
        ll_ledger__committed_write(dir, l->tip.height, l->tip.hash) != 0)
        ll_log(LL_LOG_WARN,
               "component=ledger event=committed_write_failed dir=%s", dir);
    return rc;
}

int ll_ledger_open_opts(struct ll_ledger **out, const char *dir,
                        const struct ll_genesis *g,
                        const struct ll_ledger_opts *o, struct ll_errmsg *e)
{
    int rc;
    struct ll_ledger *l = ll_calloc(1, sizeof(*l));
    if (l == NULL)
        return LL_ENOMEM;
    l->cfd = -1;
    l->g = ll_malloc(sizeof(*l->g));
    if (l->g == NULL) {
        rc = LL_ENOMEM;
        goto out;
    }
    memcpy(l->g, g, sizeof(*g));
    size_t dl = strlen(dir);
    l->dir = ll_malloc(dl + 1);
    if (l->dir == NULL) {
        rc = LL_ENOMEM;
        goto out;
    }
    memcpy(l->dir, dir, dl + 1);
    rc = ll_valset_from_genesis(&l->vs, l->g);
    if (rc) {
        rc = ll_errmsg_set(e, rc, "ledger: genesis has no validator set");
        goto out;
    }
    l->lcache = ll_calloc(LOT_CACHE_SLOTS, sizeof(*l->lcache));
    l->pcache = ll_calloc(PAGE_CACHE_SLOTS, sizeof(*l->pcache));
    l->pks = ll_calloc(l->g->norgs, sizeof(*l->pks));
    l->kids = ll_calloc(l->g->norgs, sizeof(*l->kids));
    l->upper = ll_calloc(UPPER_PAGES, sizeof(*l->upper));
    if (l->lcache == NULL || l->pcache == NULL || l->pks == NULL ||
        l->kids == NULL || l->upper == NULL) {
        rc = LL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < l->g->norgs && rc == 0; i++) {
        for (size_t j = 0; j < l->g->orgs[i].keys_count && j < 8; j++) {
            if (ll_pubkey_parse(&l->pks[i][j],
                                l->g->orgs[i].keys[j].pk.bytes) != 0)
                rc = ll_errmsg_set(e, LL_EBADKEY, "ledger: bad genesis key");
            ll_keyid(l->kids[i][j], l->g->orgs[i].keys[j].pk.bytes);
        }
    }
    if (rc)
        goto out;
    if (o->create) {
        rc = create_store(l, dir, o, e);
    } else {
        rc = open_checked(l, dir, o, e);
    }
    if (rc == 0)
        rc = fill_caches(l, e);
    if (rc == 0 && !o->in_place)
        l->cfd = ll_ledger__committed_open(dir);
out:
    if (rc) {
        ll_ledger_close(l);
        return rc;
    }
    *out = l;
    return 0;
}

int ll_ledger_open(struct ll_ledger **out, const char *dir,
                   const struct ll_genesis *g, struct ll_errmsg *e)
{
    return ll_ledger_open_buffered(out, dir, g, 0, e);
}

int ll_ledger_open_buffered(struct ll_ledger **out, const char *dir,
                            const struct ll_genesis *g, size_t write_buffer,
                            struct ll_errmsg *e)
{
    struct ll_ledger_opts o = {0};
    o.write_buffer = write_buffer;
    o.create = ll_store_probe(dir, NULL) == LL_ENOTFOUND;
    return ll_ledger_open_opts(out, dir, g, &o, e);
}

int ll_ledger_open_existing(struct ll_ledger **out, const char *dir,
                            const struct ll_genesis *g, struct ll_errmsg *e)
{
    static const struct ll_ledger_opts o = {0};
    return ll_ledger_open_opts(out, dir, g, &o, e);
}

int ll_ledger_dir_in_use(const char *dir, struct ll_errmsg *e)
{
    return ll_store_check_unlocked(dir, e);
}

int ll_ledger_clone_dir(const char *dir, const char *to, struct ll_errmsg *e)
{
    int rc = ll_store_probe(dir, e);
    if (rc == 0)
        rc = ll_store_check_unlocked(dir, e);
    if (rc == 0)
        rc = ll_store_clone(dir, to, e);
    return rc;
}

int ll_ledger_remove_clone(const char *to)
{
    return ll_store_remove_dir(to);
}

void ll_ledger_close(struct ll_ledger *l)
{
    if (l == NULL)
        return;
    ll_store_close(l->store);
    if (l->cfd >= 0)
        (void)close(l->cfd);
    if (l->lcache != NULL)
        for (size_t i = 0; i < LOT_CACHE_SLOTS; i++)
            ll_free(l->lcache[i].rec);
    ll_free(l->lcache);
    ll_free(l->pcache);
    ll_free(l->upper);
    ll_store_batch_free(l->spare_wb);
    ll_free(l->pks);
    ll_free(l->kids);
    bloom_free(&l->ids);
    bloom_free(&l->lots);
    ll_free(l->g);
    ll_free(l->dir);
    ll_free(l);
}

void ll_ledger_tip(const struct ll_ledger *l, struct ll_ledger_tip *out)
{
    *out = l->tip;
}

const struct ll_genesis *ll_ledger_genesis(const struct ll_ledger *l)
{
    return l->g;
}

const struct ll_valset *ll_ledger_valset(const struct ll_ledger *l)
{
    return &l->vs;
}

/* ---- the block's sets -------------------------------------------------------
 */

static size_t slot_of(const uint8_t key[32], size_t cap)
{
    return (size_t)ll_load_le64(key) & (cap - 1);
}

/* Index + 1 of id in the block, or 0. */
static uint32_t idset_find(const struct ll_block *b, const uint8_t id[32])
{
    if (b->idset_cap == 0)
        return 0;
    for (size_t s = slot_of(id, b->idset_cap);;
         s = (s + 1) & (b->idset_cap - 1)) {
        uint32_t v = b->idset[s];
        if (v == 0 || memcmp(b->ids[v - 1], id, 32) == 0)
            return v;
    }
}

static void idset_insert(struct ll_block *b, uint32_t v)
{
    size_t s = slot_of(b->ids[v - 1], b->idset_cap);
    while (b->idset[s] != 0)
        s = (s + 1) & (b->idset_cap - 1);
    b->idset[s] = v;
}

static struct lot_entry *lots_find(const struct ll_block *b,
                                   const uint8_t key[32])
{
    if (b->lots_cap == 0)
        return NULL;
    for (size_t s = slot_of(key, b->lots_cap);;
         s = (s + 1) & (b->lots_cap - 1)) {
        struct lot_entry *le = &b->lots[s];
        if (!le->used)
            return NULL;
        if (memcmp(le->key, key, 32) == 0)
            return le;
    }
}

static struct lot_entry *lots_insert(struct ll_block *b, const uint8_t key[32])
{
    size_t s = slot_of(key, b->lots_cap);
    while (b->lots[s].used)
        s = (s + 1) & (b->lots_cap - 1);
    struct lot_entry *le = &b->lots[s];
    le->used = true;
    memcpy(le->key, key, 32);
    b->nlots++;
    return le;
}

static int grow_events(struct ll_block *b)
{
    size_t cap = b->cap ? 2 * b->cap : 256;
    uint8_t(*ids)[32] = ll_reallocarray(b->ids, cap, sizeof(*ids));
    if (ids == NULL)
        return LL_ENOMEM;
    b->ids = ids;
    uint8_t **bytes = ll_reallocarray(b->bytes, cap, sizeof(*bytes));
    if (bytes == NULL)
        return LL_ENOMEM;
    b->bytes = bytes;
    size_t *lens = ll_reallocarray(b->lens, cap, sizeof(*lens));
    if (lens == NULL)
        return LL_ENOMEM;
    b->lens = lens;
    uint32_t *orgi = ll_reallocarray(b->orgi, cap, sizeof(*orgi));
    if (orgi == NULL)
        return LL_ENOMEM;
    b->orgi = orgi;
    b->cap = cap;
    return 0;
}

static int grow_idset(struct ll_block *b)
{
    size_t cap = b->idset_cap ? 2 * b->idset_cap : 1024;
    uint32_t *set = ll_calloc(cap, sizeof(*set));
    if (set == NULL)
        return LL_ENOMEM;
    ll_free(b->idset);
    b->idset = set;
    b->idset_cap = cap;
    for (size_t i = 0; i < b->n; i++)
        idset_insert(b, (uint32_t)(i + 1));
    return 0;
}

static int grow_lots(struct ll_block *b, size_t more)
{
    size_t cap = b->lots_cap ? b->lots_cap : 1024;
    while (2 * (b->nlots + more) > cap)
        cap *= 2;
    struct lot_entry *old = b->lots;
    size_t oldcap = b->lots_cap;
    struct lot_entry *t = ll_calloc(cap, sizeof(*t));
    if (t == NULL)
        return LL_ENOMEM;
    b->lots = t;
    b->lots_cap = cap;
    b->nlots = 0;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].used)
            continue;
        struct lot_entry *le = lots_insert(b, old[i].key);
        *le = old[i];
    }
    ll_free(old);
    return 0;
}

/*
 * Make room for one more event and `more` more lots (tables at most half
 * full), so that installing an accepted event cannot fail half way.
 */
static int reserve(struct ll_block *b, size_t more)
{
    int rc = 0;
    if (b->n + 1 > b->cap)
        rc = grow_events(b);
    if (rc == 0 && 2 * (b->n + 1) > b->idset_cap)
        rc = grow_idset(b);
    if (rc == 0 && 2 * (b->nlots + more) > b->lots_cap)
        rc = grow_lots(b, more);
    return rc;
}

/* ---- the rules' view of ledger + block ------------------------------------
 */

static const lotledger_OrgState *view_org(void *arg, const char *id)
{
    const struct ll_block *b = arg;
    return ll_genesis_org(b->l->g, id);
}

static int decode_lot(lotledger_LotState *out, const uint8_t *p, size_t n)
{
    int rc = ll_ledger__lot_decode(out, p, n);
    return rc ? LL_ECORRUPT : 0;
}

/*
 * A lot record ('L' || lot key): u16 BE length of the state, the encoded
 * LotState, then the encoded frontier of the lot's log. Split it.
 */
static int lot_record_split(const uint8_t *rec, size_t len,
                            const uint8_t **state, size_t *slen,
                            const uint8_t **fr, size_t *flen)
{
    if (len < 2)
        return LL_ECORRUPT;
    size_t n = ((size_t)rec[0] << 8) | rec[1];
    if (n > len - 2)
        return LL_ECORRUPT;
    *state = rec + 2;
    *slen = n;
    *fr = rec + 2 + n;
    *flen = len - 2 - n;
    return 0;
}

/* Read a committed lot's state (and frontier, if fr) by key. */
static int parse_lot_record(const uint8_t *rec, size_t len,
                            lotledger_LotState *out,
                            struct ll_merkle_frontier *fr)
{
    const uint8_t *sp;
    const uint8_t *fp;
    size_t sl;
    size_t fl;
    int rc = lot_record_split(rec, len, &sp, &sl, &fp, &fl);
    if (rc == 0 && out != NULL)
        rc = decode_lot(out, sp, sl);
    if (rc == 0 && fr != NULL && ll_merkle_frontier_decode(fr, fp, fl) != 0)
        rc = LL_ECORRUPT;
    return rc;
}

static int read_lot(struct ll_store *st, const struct ll_store_snap *snap,
                    const uint8_t key[32], lotledger_LotState *out)
{
    uint8_t k[33];
    struct ll_buf b;
    ll_buf_init(&b, REC_MAX);
    int rc = ll_store_get(st, snap, k, key_hash(k, K_LOT, key), &b);
    if (rc == 0)
        rc = parse_lot_record(b.data, b.len, out, NULL);
    ll_buf_free(&b);
    return rc;
}

/* The set of LOT_CACHE_WAYS slots a lot key may occupy. */
static struct lot_slot *lot_set(const struct ll_ledger *l,
                                const uint8_t key[32])
{
    size_t sets = LOT_CACHE_SLOTS / LOT_CACHE_WAYS;
    return &l->lcache[(ll_load_le32(key) & (sets - 1)) * LOT_CACHE_WAYS];
}

/* The cached record of a lot, or NULL. */
static struct lot_slot *lot_find(const struct ll_ledger *l,
                                 const uint8_t key[32])
{
    struct lot_slot *set = lot_set(l, key);
    for (size_t i = 0; i < LOT_CACHE_WAYS; i++)
        if (set[i].rec != NULL && memcmp(set[i].key, key, 32) == 0)
            return &set[i];
    return NULL;
}

/*
 * Install a committed lot record in the cache (takes ownership of rec):
 * over the lot's old record, else in a free way, else over a way picked in
 * turn. Returns its slot.
 */
static struct lot_slot *lot_cache_put(struct ll_ledger *l,
                                      const uint8_t key[32], uint8_t *rec,
                                      size_t len)
{
    struct lot_slot *set = lot_set(l, key);
    struct lot_slot *ls = lot_find(l, key);
    for (size_t i = 0; ls == NULL && i < LOT_CACHE_WAYS; i++)
        if (set[i].rec == NULL)
            ls = &set[i];
    if (ls == NULL)
        ls = &set[l->lcache_clock++ % LOT_CACHE_WAYS];
    ll_free(ls->rec);
    memcpy(ls->key, key, 32);
    ls->rec = rec;
    ls->len = len;
    return ls;
}

/*
 * The committed record of a lot for the builder: from the cache, else from
 * the store (then cached). Returns 0, LL_ENOTFOUND, LL_ESTORE, LL_ENOMEM.
 * Out: *rec points into the cache until the next cache change.
 */
static int builder_lot_record(struct ll_ledger *l, const uint8_t key[32],
                              const uint8_t **rec, size_t *len)
{
    struct lot_slot *ls = lot_find(l, key);
    if (ls == NULL) {
        if (!bloom_maybe(&l->lots, key))
            return LL_ENOTFOUND;
        uint8_t k[33];
        struct ll_buf b;
        ll_buf_init(&b, REC_MAX);
        int rc = ll_store_get(l->store, NULL, k, key_hash(k, K_LOT, key), &b);
        if (rc) {
            ll_buf_free(&b);
            return rc;
        }
        ls = lot_cache_put(l, key, b.data, b.len);
    }
    *rec = ls->rec;
    *len = ls->len;
    return 0;
}

static int view_lot(void *arg, const char *lot, lotledger_LotState *out)
{
    struct ll_block *b = arg;
    uint8_t key[32];
    size_t slot = b->ro->n; /* the change slot the rules are filling */
    ll_lot_key(key, lot);
    if (slot < LL_ARRAY_LEN(b->memo) &&
        strlen(lot) < sizeof(b->memo[slot].lot)) {
        memcpy(b->memo[slot].lot, lot, strlen(lot) + 1);
        memcpy(b->memo[slot].key, key, 32);
    }
    const struct lot_entry *le = lots_find(b, key);
    if (le != NULL)
        return parse_lot_record(le->rec, le->rec_len, out, NULL);
    const uint8_t *rec;
    size_t len;
    int rc = builder_lot_record(b->l, key, &rec, &len);
    if (rc)
        return rc;
    return parse_lot_record(rec, len, out, NULL);
}

static bool view_has_event(void *arg, const uint8_t id[32])
{
    const struct ll_block *b = arg;
    uint8_t k[33];
    if (idset_find(b, id) != 0)
        return true;
    if (!bloom_maybe(&b->l->ids, id))
        return false;
    /* A read error answers "recorded": the event is refused (and the error
     * logged) rather than committed a second time. */
    struct ll_buf v;
    ll_buf_init(&v, 64);
    int rc = ll_store_get(b->l->store, NULL, k, key_hash(k, K_ID, id), &v);
    ll_buf_free(&v);
    return rc != LL_ENOTFOUND;
}

/* Read (height, index) of a committed event id. */
static int read_location(struct ll_store *st, const struct ll_store_snap *snap,
                         const uint8_t id[32], uint64_t *height,
                         uint32_t *index)
{
    uint8_t k[33];
    uint8_t v[13];
    struct ll_buf b;
    ll_buf_init(&b, sizeof(v));
    int rc = ll_store_get(st, snap, k, key_hash(k, K_ID, id), &b);
    if (rc == 0 && b.len != 12)
        rc = LL_ECORRUPT;
    if (rc == 0) {
        *height = ll_load_be64(b.data);
        *index = ll_load_be32(b.data + 8);
    }
    ll_buf_free(&b);
    return rc;
}

static int view_event(void *arg, const uint8_t id[32],
                      struct ll_signed_event *out)
{
    const struct ll_block *b = arg;
    uint32_t v = idset_find(b, id);
    if (v != 0)
        return ll_signed_event_decode(out, b->bytes[v - 1], b->lens[v - 1],
                                      NULL);
    uint64_t height = 0;
    uint32_t index = 0;
    int rc = read_location(b->l->store, NULL, id, &height, &index);
    if (rc)
        return rc;
    uint8_t k[13];
    struct ll_buf buf;
    ll_buf_init(&buf, LL_EVENT_MAX_BYTES);
    rc = ll_store_get(b->l->store, NULL, k, key_event(k, height, index), &buf);
    if (rc == 0 && ll_signed_event_decode(out, buf.data, buf.len, NULL) != 0)
        rc = LL_ECORRUPT;
    /* The decoded strings are copies; the byte pointers are not used. */
    out->raw = NULL;
    out->ev_bytes = NULL;
    ll_buf_free(&buf);
    return rc;
}

/* ---- building -------------------------------------------------------------
 */

int ll_block_begin(struct ll_ledger *l, struct ll_block **out, int64_t time_ms,
                   const uint8_t proposer[static 32])
{
    if (l->building || time_ms < l->tip.time_ms)
        return LL_EINVAL;
    struct ll_block *b = ll_calloc(1, sizeof(*b));
    if (b == NULL)
        return LL_ENOMEM;
    b->l = l;
    b->se = ll_malloc(sizeof(*b->se));
    b->ro = ll_malloc(sizeof(*b->ro));
    b->fr = ll_malloc(LL_RULES_MAX_LOTS * sizeof(*b->fr));
    b->scratch = ll_malloc(REC_MAX);
    /* The last block's batch, emptied: its buffer has the room (a fresh
     * one would grow, copying itself, to a block's size every block). It
     * keeps the largest block's size while the ledger is open. */
    b->wb = l->spare_wb;
    l->spare_wb = NULL;
    if (b->se == NULL || b->ro == NULL || b->fr == NULL || b->scratch == NULL ||
        (b->wb == NULL && ll_store_batch_new(&b->wb) != 0)) {
        ll_block_free(b);
        return LL_ENOMEM;
    }
    struct ll_header *h = &b->h;
    h->version = LL_HEADER_VERSION;
    memcpy(h->genesis, l->g->hash, 32);
    h->height = l->tip.height + 1;
    h->time_ms = time_ms;
    memcpy(h->prev, l->tip.hash, 32);
    memcpy(h->valset, l->vs.hash, 32);
    memcpy(h->next_valset, l->vs.hash, 32);
    memcpy(h->proposer, proposer, 32);
    l->building = true;
    *out = b;
    return 0;
}

void ll_block_free(struct ll_block *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n; i++)
        ll_free(b->bytes[i]);
    for (size_t i = 0; i < b->lots_cap; i++) {
        if (b->lots[i].used)
            ll_free(b->lots[i].rec);
    }
    ll_free(b->ids);
    ll_free(b->bytes);
    ll_free(b->lens);
    ll_free(b->orgi);
    ll_free(b->idset);
    ll_free(b->lots);
    ll_free(b->se);
    ll_free(b->ro);
    ll_free(b->fr);
    ll_free(b->scratch);
    if (b->wb != NULL && b->l->spare_wb == NULL) {
        ll_store_batch_clear(b->wb);
        b->l->spare_wb = b->wb;
    } else {
        ll_store_batch_free(b->wb);
    }
    b->l->building = false;
    ll_free(b);
}

size_t ll_block_count(const struct ll_block *b)
{
    return b->n;
}

/* The frontier of a lot's log before this event: from the block, from the
 * store, or empty for a lot the event creates. */
static int lot_frontier(const struct ll_block *b, const uint8_t key[32],
                        bool created, struct ll_merkle_frontier *fr)
{
    const struct lot_entry *le = lots_find(b, key);
    if (le != NULL)
        return parse_lot_record(le->rec, le->rec_len, NULL, fr);
    if (created) {
        ll_merkle_frontier_init(fr);
        return 0;
    }
    const uint8_t *rec;
    size_t len;
    int rc = builder_lot_record(b->l, key, &rec, &len);
    if (rc == 0)
        rc = parse_lot_record(rec, len, NULL, fr);
    return rc == LL_ENOTFOUND ? LL_ECORRUPT : rc;
}

/*
 * Encode a lot's record ('L' value): u16 BE length of the state, the
 * encoded LotState, then the encoded frontier of its log.
 * Returns 0, LL_EINVAL, LL_ETOOBIG or LL_ENOMEM. Out: *rec (heap) only on
 * success.
 */
static int lot_record_encode(const lotledger_LotState *st,
                             const struct ll_merkle_frontier *fr,
                             uint8_t scratch[static REC_MAX], uint8_t **rec,
                             size_t *len)
{
    size_t sl = 0;
    size_t fl = 0;
    int rc =
        ll_ledger__lot_encode(scratch + 2, lotledger_LotState_size, &sl, st);
    if (rc == 0)
        rc = ll_merkle_frontier_encode(scratch + 2 + sl, REC_MAX - 2 - sl, &fl,
                                       fr);
    if (rc)
        return rc;
    /* sl <= lotledger_LotState_size < 2^16 */
    scratch[0] = (uint8_t)(sl >> 8);
    scratch[1] = (uint8_t)sl;
    uint8_t *r = ll_malloc(2 + sl + fl);
    if (r == NULL)
        return LL_ENOMEM;
    memcpy(r, scratch, 2 + sl + fl);
    *rec = r;
    *len = 2 + sl + fl;
    return 0;
}

/*
 * Phase 1 of installing an accepted event: append it to each touched lot's
 * log (in scratch frontiers) and encode each lot's next record (on the
 * heap, in *copies). Touches nothing in the block.
 */
static int stage_lots(struct ll_block *b, const uint8_t id[32], uint32_t index,
                      uint8_t **copies, struct ll_errmsg *e)
{
    int rc = 0;
    for (size_t i = 0; i < b->ro->n && rc == 0; i++) {
        struct ll_lot_change *c = &b->ro->lots[i];
        const uint8_t *key = b->lot_keys[i];
        uint8_t leaf[32];
        /* install reuses the key */
        if (strcmp(b->memo[i].lot, c->state.lot) == 0)
            memcpy(b->lot_keys[i], b->memo[i].key, 32);
        else
            ll_lot_key(b->lot_keys[i], c->state.lot);
        rc = lot_frontier(b, key, c->created, &b->fr[i]);
        if (rc) {
            rc = ll_errmsg_set(e, rc, "lot %s: its stored log is corrupt",
                               c->state.lot);
            break;
        }
        ll_lot_leaf(leaf, b->h.height, index, id);
        rc = ll_merkle_frontier_append(&b->fr[i], leaf);
        if (rc)
            break;
        c->state.events = b->fr[i].size;
        c->state.log_root.size = 32;
        ll_merkle_frontier_root(c->state.log_root.bytes, &b->fr[i]);
        rc = lot_record_encode(&c->state, &b->fr[i], b->scratch, &copies[i],
                               &b->enc_len[i]);
    }
    if (rc) {
        for (size_t i = 0; i < b->ro->n; i++)
            LL_FREE(copies[i]);
    }
    return rc;
}

/* Phase 2: install the staged lots and the event. Cannot fail. */
static void install(struct ll_block *b, uint8_t *copy, size_t len,
                    uint8_t **copies, uint32_t orgi)
{
    uint32_t index = (uint32_t)b->n;
    uint64_t height = b->h.height;
    const uint8_t *id = b->se->id;
    uint8_t k[MAX_KEY];
    uint8_t v[12];
    ll_store_be64(v, height);
    ll_store_be32(v + 8, index);
    for (size_t i = 0; i < b->ro->n; i++) {
        const uint8_t *key = b->lot_keys[i]; /* from stage_lots */
        struct lot_entry *le = lots_find(b, key);
        if (le == NULL)
            le = lots_insert(b, key);
        ll_free(le->rec);
        le->rec = copies[i];
        le->rec_len = b->enc_len[i];
        ll_store_batch_put(b->wb, k, key_lotlog(k, key, b->fr[i].size - 1), v,
                           sizeof(v));
    }
    ll_store_batch_put(b->wb, k, key_event(k, height, index), copy, len);
    ll_store_batch_put(b->wb, k, key_hash(k, K_ID, id), v, sizeof(v));
    memcpy(b->ids[b->n], id, 32);
    b->orgi[b->n] = orgi;
    b->bytes[b->n] = copy;
    b->lens[b->n] = len;
    b->n++;
    idset_insert(b, (uint32_t)b->n);
}

/*
 * As ll_rules_key, for an organisation of the genesis, with the key ids
 * computed at open. Out: *kidx (the key's index in org->keys) on success.
 */
static int org_key(const struct ll_ledger *l, const lotledger_OrgState *org,
                   const uint8_t *key_id, size_t key_id_len, uint64_t height,
                   size_t *kidx)
{
    size_t oi = (size_t)(org - l->g->orgs);
    if (key_id == NULL || key_id_len != LL_KEYID_LEN)
        return LL_EKEY;
    for (size_t i = 0; i < org->keys_count && i < 8; i++) {
        const lotledger_OrgKey *k = &org->keys[i];
        if (k->pk.size != LL_PUBKEY_LEN ||
            memcmp(l->kids[oi][i], key_id, LL_KEYID_LEN) != 0)
            continue;
        if (height < k->from || (k->until != 0 && height >= k->until))
            continue;
        *kidx = i;
        return 0;
    }
    return LL_EKEY;
}

bool ll_ledger_sig_ok(const struct ll_ledger *l,
                      const struct ll_signed_event *se, uint64_t height)
{
    const lotledger_OrgState *org = ll_genesis_org(l->g, se->ev.org);
    size_t k = 0;
    if (org == NULL || org_key(l, org, se->ev.key_id.bytes, se->ev.key_id.size,
                               height, &k) != 0)
        return false;
    size_t oi = (size_t)(org - l->g->orgs);
    return ll_schnorr_verify_parsed(se->sig, se->id, &l->pks[oi][k]) == 0;
}

int ll_block_add(struct ll_block *b, const uint8_t *bytes, size_t len,
                 bool sig_verified, uint8_t *id, uint32_t *index,
                 struct ll_errmsg *e)
{
    uint8_t *copies[LL_RULES_MAX_LOTS] = {NULL};
    if (b->sealed)
        return ll_errmsg_set(e, LL_EINVAL, "block: already sealed");
    if (b->n >= UINT32_MAX - 1)
        return ll_errmsg_set(e, LL_ETOOBIG, "block: too many events");
    int rc = ll_signed_event_decode(b->se, bytes, len, e);
    if (rc)
        return rc;
    struct ll_rules_view view = {view_org, view_lot, view_has_event, view_event,
                                 b};
    if (!sig_verified)
        sig_verified = ll_ledger_sig_ok(b->l, b->se, b->h.height);
    rc = ll_rules_apply(b->ro, &view, b->se, b->l->g->chain_id, b->h.height,
                        b->h.time_ms, sig_verified, e);
    if (rc)
        return rc;
    /* The rules found the organisation. */
    const lotledger_OrgState *org = ll_genesis_org(b->l->g, b->se->ev.org);
    if (org == NULL)
        return ll_errmsg_set(e, LL_EUNKNOWNORG, "org %s: not a member",
                             b->se->ev.org);
    rc = reserve(b, b->ro->n);
    if (rc)
        return ll_errmsg_set(e, rc, "block: out of memory");
    uint8_t *copy = ll_malloc(len);
    if (copy == NULL)
        return ll_errmsg_set(e, LL_ENOMEM, "block: out of memory");
    memcpy(copy, bytes, len);
    rc = stage_lots(b, b->se->id, (uint32_t)b->n, copies, e);
    if (rc) {
        ll_free(copy);
        return rc;
    }
    if (index != NULL)
        *index = (uint32_t)b->n;
    if (id != NULL)
        memcpy(id, b->se->id, 32);
    install(b, copy, len, copies, (uint32_t)(org - b->l->g->orgs));
    return 0;
}

/*
 * The per-organisation index: for each organisation with events in the
 * block, one 'O' record listing their indexes (u32 BE, ascending).
 */
static int org_index(struct ll_block *b)
{
    size_t norgs = b->l->g->norgs;
    size_t *at = ll_calloc(norgs + 1, sizeof(*at));
    uint8_t *v = ll_malloc(b->n ? 4 * b->n : 1);
    if (at == NULL || v == NULL) {
        ll_free(at);
        ll_free(v);
        return LL_ENOMEM;
    }
    /* Counting sort by organisation: at[o + 1] counts, then offsets. */
    for (size_t i = 0; i < b->n; i++)
        at[b->orgi[i] + 1]++;
    for (size_t o = 0; o < norgs; o++)
        at[o + 1] += at[o];
    for (size_t i = 0; i < b->n; i++)
        ll_store_be32(v + 4 * at[b->orgi[i]]++, (uint32_t)i);
    /* Now at[o] is the end of organisation o's run. */
    for (size_t o = 0, start = 0; o < norgs; start = at[o], o++) {
        uint8_t k[MAX_KEY];
        if (at[o] > start)
            ll_store_batch_put(b->wb, k,
                               key_orglog(k, b->l->g->orgs[o].id, b->h.height),
                               v + 4 * start, 4 * (at[o] - start));
    }
    ll_free(at);
    ll_free(v);
    return 0;
}

/* Compute the tx root over the block's event ids. */
static int tx_root(const struct ll_block *b, uint8_t out[32])
{
    uint8_t(*leaves)[32] = ll_calloc(b->n ? b->n : 1, sizeof(*leaves));
    if (leaves == NULL)
        return LL_ENOMEM;
    for (size_t i = 0; i < b->n; i++)
        ll_merkle_leaf_hash(leaves[i], b->ids[i], 32);
    int rc = ll_merkle_root(out, (const uint8_t(*)[32])leaves, b->n);
    ll_free(leaves);
    return rc;
}

int ll_block_seal(struct ll_block *b, struct ll_header *h)
{
    if (b->sealed)
        return LL_EINVAL;
    int rc = tx_root(b, b->h.tx_root);
    if (rc == 0)
        rc = org_index(b);
    if (rc)
        return rc;
    struct ll_smt_kv *kvs = ll_calloc(b->nlots ? b->nlots : 1, sizeof(*kvs));
    if (kvs == NULL)
        return LL_ENOMEM;
    size_t n = 0;
    uint8_t k[MAX_KEY];
    for (size_t i = 0; i < b->lots_cap; i++) {
        struct lot_entry *le = &b->lots[i];
        if (!le->used)
            continue;
        const uint8_t *sp = NULL;
        const uint8_t *fp = NULL;
        size_t sl = 0;
        size_t fl = 0;
        /* Built by stage_lots, so it splits. */
        (void)lot_record_split(le->rec, le->rec_len, &sp, &sl, &fp, &fl);
        memcpy(kvs[n].key, le->key, 32);
        ll_smt_value_hash(kvs[n].value_hash, sp, sl);
        n++;
        ll_store_batch_put(b->wb, k, key_hash(k, K_LOT, le->key), le->rec,
                           le->rec_len);
    }
    rc = state_update(b->l->store, b->wb, b->l->pcache, 0, b->l->upper,
                      b->h.state_root, b->l->tip.state_root, kvs, n);
    ll_free(kvs);
    if (rc)
        return rc;
    b->h.n_events = (uint32_t)b->n;
    b->sealed = true;
    *h = b->h;
    return 0;
}

int ll_ledger_commit_prepare(struct ll_ledger *l, struct ll_block *b,
                             const struct ll_commit *c, struct ll_errmsg *e)
{
    if (!b->sealed || b->l != l || b->prepared)
        return ll_errmsg_set(e, LL_EINVAL, "commit: block is not sealed");
    int rc = ll_commit_verify(&b->h, c, &l->vs, e);
    if (rc)
        return rc;
    uint8_t k[MAX_KEY];
    uint8_t rec[LL_HEADER_LEN + LL_COMMIT_MAX];
    ll_header_encode(rec, &b->h);
    size_t cl = ll_commit_encode(rec + LL_HEADER_LEN, LL_COMMIT_MAX, c);
    if (cl == 0)
        return ll_errmsg_set(e, LL_EINVAL, "commit: cannot encode");
    struct ll_ledger_tip *tip = &b->new_tip;
    tip->height = b->h.height;
    ll_header_hash(tip->hash, &b->h);
    memcpy(tip->state_root, b->h.state_root, 32);
    tip->time_ms = b->h.time_ms;
    uint8_t tv[TIP_LEN];
    uint8_t hv[8];
    tip_encode(tv, tip);
    ll_store_be64(hv, tip->height);
    ll_store_batch_put(b->wb, k, key_block(k, tip->height), rec,
                       LL_HEADER_LEN + cl);
    ll_store_batch_put(b->wb, k, key_hash(k, K_HASH, tip->hash), hv, 8);
    ll_store_batch_put(b->wb, k, key_meta(k, "tip"), tv, TIP_LEN);
    b->prepared = true;
    return 0;
}

int ll_ledger_commit_write(struct ll_block *b)
{
    if (!b->prepared)
        return LL_EINVAL;
    int rc = ll_store_write(b->l->store, b->wb, true);
    /* The record follows the synced write, so it never names a block the
     * store may lack. A failed record is only behind (still safe): the
     * block stays committed. */
    const struct ll_ledger *l = b->l;
    int crc = 0;
    if (rc == 0 && l->cfd >= 0)
        crc = ll_ledger__committed_update(l->cfd, b->new_tip.height,
                                          b->new_tip.hash);
    else if (rc == 0)
        crc = ll_ledger__committed_write(l->dir, b->new_tip.height,
                                         b->new_tip.hash);
    if (crc != 0)
        ll_log(LL_LOG_ERROR,
               "component=ledger event=committed_write_failed height=%llu "
               "dir=%s",
               (unsigned long long)b->new_tip.height, b->l->dir);
    return rc;
}

int ll_ledger_commit_finish(struct ll_ledger *l, struct ll_block *b, int rc,
                            struct ll_errmsg *e)
{
    if (rc) {
        /* Nothing was written: the block may be committed again (its
         * batch then holds the block, hash and tip records twice, with
         * the same values). */
        b->prepared = false;
        return ll_errmsg_set(e, rc, "commit: block %llu not written",
                             (unsigned long long)b->new_tip.height);
    }
    l->tip = b->new_tip;
    for (size_t i = 0; i < b->n; i++)
        bloom_commit(&l->ids, b->ids[i]);
    for (size_t i = 0; i < b->lots_cap; i++) {
        struct lot_entry *le = &b->lots[i];
        if (le->used && !bloom_maybe(&l->lots, le->key))
            bloom_commit(&l->lots, le->key);
        if (le->used && le->rec != NULL) {
            lot_cache_put(l, le->key, le->rec, le->rec_len);
            le->rec = NULL;
        }
    }
    ll_block_free(b);
    return 0;
}

int ll_ledger_commit(struct ll_ledger *l, struct ll_block *b,
                     const struct ll_commit *c, struct ll_errmsg *e)
{
    int rc = ll_ledger_commit_prepare(l, b, c, e);
    if (rc)
        return rc;
    return ll_ledger_commit_finish(l, b, ll_ledger_commit_write(b), e);
}

/* ---- reading ------------------------------------------------------------- */

int ll_ledger_snap_open(struct ll_ledger *l, struct ll_ledger_snap **out)
{
    struct ll_ledger_snap *s = ll_calloc(1, sizeof(*s));
    if (s == NULL)
        return LL_ENOMEM;
    s->l = l;
    /* The tip is read in the same thread that commits, before the
     * snapshot: a commit in between would only make the view newer than
     * the tip it reports, never older, and the tip is re-read below. */
    int rc = ll_store_snap_open(l->store, &s->snap);
    if (rc) {
        ll_free(s);
        return rc;
    }
    uint8_t k[32];
    struct ll_buf b;
    ll_buf_init(&b, TIP_LEN);
    rc = ll_store_get(l->store, s->snap, k, key_meta(k, "tip"), &b);
    if (rc == 0)
        rc = tip_decode(&s->tip, &b);
    ll_buf_free(&b);
    if (rc) {
        ll_ledger_snap_close(s);
        return rc == LL_ENOTFOUND ? LL_ECORRUPT : rc;
    }
    *out = s;
    return 0;
}

void ll_ledger_snap_close(struct ll_ledger_snap *s)
{
    if (s == NULL)
        return;
    ll_store_snap_close(s->l->store, s->snap);
    ll_free(s);
}

void ll_ledger_snap_tip(const struct ll_ledger_snap *s,
                        struct ll_ledger_tip *out)
{
    *out = s->tip;
}

int ll_ledger_event_at(const struct ll_ledger_snap *s, uint64_t height,
                       uint32_t index, struct ll_buf *out)
{
    uint8_t k[13];
    return ll_store_get(s->l->store, s->snap, k, key_event(k, height, index),
                        out);
}

/* Neighbours in one block at most this far apart are read by one scan. */
#define EVENT_RUN_GAP 8

/* Events pos[0..n) of one block, sorted, close together: one scan. */
static int event_run(const struct ll_ledger_snap *s,
                     const struct ll_ledger_pos *pos, size_t n,
                     struct ll_buf *out, size_t *lens)
{
    uint8_t start[13];
    struct ll_store_iter *it = NULL;
    const uint8_t *k;
    const uint8_t *v;
    size_t kl;
    size_t vl;
    size_t i = 0;
    size_t sl = key_event(start, pos[0].height, pos[0].index);
    /* The prefix is 'e' || height: the scan stays inside the block. */
    int rc = ll_store_iter_open(s->l->store, s->snap, start, 9, start, sl, &it);
    while (rc == 0 && i < n && ll_store_iter_next(it, &k, &kl, &v, &vl)) {
        uint32_t index = kl == 13 ? ll_load_be32(k + 9) : UINT32_MAX;
        if (index > pos[i].index)
            rc = kl == 13 ? LL_ENOTFOUND : LL_ECORRUPT;
        else if (index == pos[i].index && (rc = ll_buf_append(out, v, vl)) == 0)
            lens[i++] = vl;
    }
    if (rc == 0)
        rc = ll_store_iter_error(it);
    if (rc == 0 && i < n)
        rc = LL_ENOTFOUND;
    ll_store_iter_close(it);
    return rc;
}

int ll_ledger_events_at(const struct ll_ledger_snap *s,
                        const struct ll_ledger_pos *pos, size_t n,
                        struct ll_buf *out, size_t *lens)
{
    int rc = 0;
    size_t start = out->len;
    for (size_t i = 1; i < n; i++)
        if (pos[i].height < pos[i - 1].height ||
            (pos[i].height == pos[i - 1].height &&
             pos[i].index <= pos[i - 1].index))
            return LL_EINVAL;
    for (size_t i = 0; rc == 0 && i < n;) {
        size_t j = i + 1;
        while (j < n && pos[j].height == pos[i].height &&
               pos[j].index - pos[j - 1].index <= EVENT_RUN_GAP)
            j++;
        size_t before = out->len;
        if (j == i + 1 &&
            (rc = ll_ledger_event_at(s, pos[i].height, pos[i].index, out)) == 0)
            lens[i] = out->len - before;
        else if (j > i + 1)
            rc = event_run(s, pos + i, j - i, out, lens + i);
        i = j;
    }
    if (rc && out->len > start)
        out->len = start;
    return rc;
}

int ll_ledger_event(const struct ll_ledger_snap *s, const uint8_t id[static 32],
                    struct ll_buf *out, uint64_t *height, uint32_t *index)
{
    uint64_t h = 0;
    uint32_t i = 0;
    int rc = read_location(s->l->store, s->snap, id, &h, &i);
    if (rc)
        return rc;
    size_t before = out->len;
    rc = ll_ledger_event_at(s, h, i, out);
    if (rc == LL_ENOTFOUND)
        return LL_ECORRUPT;
    if (rc)
        return rc;
    uint8_t got[32];
    struct ll_signed_event *se = ll_malloc(sizeof(*se));
    if (se == NULL)
        return LL_ENOMEM;
    /* The index must point at the event it names. */
    if (ll_signed_event_decode(se, out->data + before, out->len - before,
                               NULL) != 0)
        rc = LL_ECORRUPT;
    else
        memcpy(got, se->id, 32);
    ll_free(se);
    if (rc == 0 && memcmp(got, id, 32) != 0)
        rc = LL_ECORRUPT;
    if (rc)
        return rc;
    if (height != NULL)
        *height = h;
    if (index != NULL)
        *index = i;
    return 0;
}

int ll_ledger_lot(const struct ll_ledger_snap *s, const char *lot,
                  lotledger_LotState *out)
{
    uint8_t key[32];
    ll_lot_key(key, lot);
    return read_lot(s->l->store, s->snap, key, out);
}

int ll_ledger_lot_bytes(const struct ll_ledger_snap *s, const char *lot,
                        struct ll_buf *out)
{
    uint8_t key[32];
    ll_lot_key(key, lot);
    return ll_ledger_lot_log(s, key, out, NULL, NULL);
}

/* Walk the log of the lot with this key with one scan. */
static int lot_log_scan(const struct ll_ledger_snap *s, const uint8_t key[32],
                        ll_ledger_event_cb cb, void *arg)
{
    uint8_t prefix[33];
    struct ll_store_iter *it = NULL;
    int rc = ll_store_iter_open(s->l->store, s->snap, prefix,
                                key_hash(prefix, K_LOTLOG, key), NULL, 0, &it);
    if (rc)
        return rc;
    const uint8_t *k;
    const uint8_t *v;
    size_t kl;
    size_t vl;
    uint64_t want = 0;
    while (rc == 0 && ll_store_iter_next(it, &k, &kl, &v, &vl)) {
        if (kl != 41 || vl != 12 || ll_load_be64(k + 33) != want) {
            rc = LL_ECORRUPT;
            break;
        }
        rc = cb(arg, want, ll_load_be64(v), ll_load_be32(v + 8));
        want++;
    }
    if (rc == 0)
        rc = ll_store_iter_error(it);
    ll_store_iter_close(it);
    return rc;
}

int ll_ledger_lot_events(const struct ll_ledger_snap *s, const char *lot,
                         ll_ledger_event_cb cb, void *arg)
{
    uint8_t key[32];
    ll_lot_key(key, lot);
    return lot_log_scan(s, key, cb, arg);
}

/* Logs up to this long are read by point lookups, longer ones by a scan
 * (a scan seeks in every level of the store; a lookup's bloom filters
 * skip most of them). */
#define LOT_LOG_LOOKUPS 16

int ll_ledger_lot_log(const struct ll_ledger_snap *s,
                      const uint8_t key[static 32], struct ll_buf *state,
                      ll_ledger_event_cb cb, void *arg)
{
    uint8_t k[41];
    struct ll_buf b;
    const uint8_t *sp = NULL;
    const uint8_t *fp = NULL;
    size_t sl = 0;
    size_t fl = 0;
    uint64_t n = 0;
    ll_buf_init(&b, lotledger_LotState_size + LL_MERKLE_FRONTIER_ENC_MAX + 2);
    int rc = ll_store_get(s->l->store, s->snap, k, key_hash(k, K_LOT, key), &b);
    if (rc == 0)
        rc = lot_record_split(b.data, b.len, &sp, &sl, &fp, &fl);
    if (rc == 0 && fl < LL_MERKLE_FRONTIER_HDR_LEN)
        rc = LL_ECORRUPT;
    if (rc == 0) {
        n = ll_load_be64(fp + 1); /* the frontier's size: the log's */
        rc = ll_buf_append(state, sp, sl);
    }
    if (cb == NULL)
        n = 0; /* the state only */
    if (rc == 0 && n > LOT_LOG_LOOKUPS)
        rc = lot_log_scan(s, key, cb, arg);
    for (uint64_t seq = 0; rc == 0 && n <= LOT_LOG_LOOKUPS && seq < n; seq++) {
        ll_buf_reset(&b);
        rc = ll_store_get(s->l->store, s->snap, k, key_lotlog(k, key, seq), &b);
        if (rc == LL_ENOTFOUND || (rc == 0 && b.len != 12))
            rc = LL_ECORRUPT;
        if (rc == 0)
            rc = cb(arg, seq, ll_load_be64(b.data), ll_load_be32(b.data + 8));
    }
    ll_buf_free(&b);
    return rc;
}

int ll_ledger_lots_scan(const struct ll_ledger_snap *s, ll_ledger_lot_cb cb,
                        void *arg)
{
    struct ll_store_iter *it = NULL;
    uint8_t p = K_LOT;
    lotledger_LotState *st = ll_malloc(sizeof(*st));
    if (st == NULL)
        return LL_ENOMEM;
    int rc = ll_store_iter_open(s->l->store, s->snap, &p, 1, NULL, 0, &it);
    const uint8_t *k;
    const uint8_t *val;
    size_t kl;
    size_t vl;
    while (rc == 0 && ll_store_iter_next(it, &k, &kl, &val, &vl)) {
        rc = parse_lot_record(val, vl, st, NULL);
        if (rc == 0)
            rc = cb(arg, st);
    }
    if (rc == 0 && it != NULL)
        rc = ll_store_iter_error(it);
    ll_store_iter_close(it);
    ll_free(st);
    return rc;
}

void ll_ledger_set_sealing(struct ll_ledger *l, bool sealing)
{
    l->sealing = sealing;
}

void ll_ledger_snap_detach(struct ll_ledger_snap *s)
{
    s->detached = true;
}

int ll_ledger_state_proof(const struct ll_ledger_snap *s, const uint8_t *keys,
                          size_t nkeys, struct ll_buf *out)
{
    struct node_ctx c;
    struct ll_smt_store st;
    memset(&c, 0, sizeof(c));
    c.store = s->l->store;
    c.snap = s->snap;
    /* A cached node is used only when its hash is the one asked for, so
     * the ledger's page copies answer for any version of the map (and
     * learn the pages read here), unless another thread is sealing a block
     * with them, or s is read on a thread that does not own them. */
    if (!s->detached && !s->l->sealing) {
        c.pcache = s->l->pcache;
        c.upper = s->l->upper;
    }
    node_store(&st, &c);
    int rc = ll_smt_prove(&st, out, s->tip.state_root, keys, nkeys);
    node_ctx_free(&c);
    return rc;
}

int ll_ledger_block(const struct ll_ledger_snap *s, uint64_t height,
                    struct ll_header *h, struct ll_commit *c)
{
    uint8_t k[9];
    struct ll_buf b;
    ll_buf_init(&b, LL_HEADER_LEN + LL_COMMIT_MAX);
    int rc = ll_store_get(s->l->store, s->snap, k, key_block(k, height), &b);
    if (rc == 0 && (b.len < LL_HEADER_LEN ||
                    ll_header_decode(h, b.data, LL_HEADER_LEN) != 0 ||
                    h->height != height))
        rc = LL_ECORRUPT;
    if (rc == 0 && c != NULL &&
        ll_commit_decode(c, b.data + LL_HEADER_LEN, b.len - LL_HEADER_LEN) != 0)
        rc = LL_ECORRUPT;
    ll_buf_free(&b);
    return rc;
}

/* ---- verifying a whole ledger -------------------------------------------- */

struct verify_ctx {
    struct ll_ledger *l;
    struct ll_ledger_snap *s;
    struct ll_verify_report *r;
    struct ll_errmsg *e;
    struct ll_signed_event *se; /* scratch */
    struct ll_buf buf;          /* scratch event bytes */
    struct ll_smt_kv *kvs;      /* every state-map entry found */
    size_t nkv;
    size_t kvcap;
};

/* Read and check the event at (height, index); its id goes to id. */
static int verify_event(struct verify_ctx *v, uint64_t height, uint32_t index,
                        uint8_t id[32])
{
    ll_buf_reset(&v->buf);
    int rc = ll_ledger_event_at(v->s, height, index, &v->buf);
    if (rc == LL_ENOMEM || rc == LL_ESTORE) /* says nothing of the store */
        return ll_errmsg_set(v->e, rc, "block %llu: event %u: %s",
                             (unsigned long long)height, index,
                             ll_strerror(rc));
    if (rc)
        return ll_errmsg_set(v->e, rc == LL_ENOTFOUND ? LL_ECORRUPT : rc,
                             "block %llu: event %u missing (key e:%llu:%u)",
                             (unsigned long long)height, index,
                             (unsigned long long)height, index);
    if (ll_signed_event_decode(v->se, v->buf.data, v->buf.len, NULL) != 0)
        return ll_errmsg_set(v->e, LL_ECORRUPT,
                             "block %llu: event %u does not decode (key "
                             "e:%llu:%u)",
                             (unsigned long long)height, index,
                             (unsigned long long)height, index);
    memcpy(id, v->se->id, 32);
    uint64_t lh = 0;
    uint32_t li = 0;
    rc = read_location(v->l->store, v->s->snap, id, &lh, &li);
    if (rc == LL_ENOMEM || rc == LL_ESTORE)
        return ll_errmsg_set(v->e, rc, "block %llu: event %u: %s",
                             (unsigned long long)height, index,
                             ll_strerror(rc));
    if (rc != 0 || lh != height || li != index)
        return ll_errmsg_set(v->e, LL_ECORRUPT,
                             "block %llu: event %u has no matching id index "
                             "(key i:<id>)",
                             (unsigned long long)height, index);
    const lotledger_OrgState *org = ll_genesis_org(v->l->g, v->se->ev.org);
    uint8_t pk[LL_PUBKEY_LEN];
    if (org == NULL || ll_rules_key(pk, org, v->se->ev.key_id.bytes,
                                    v->se->ev.key_id.size, height) != 0)
        return ll_errmsg_set(v->e, LL_EVERIFY,
                             "block %llu: event %u is signed by no key of "
                             "org %s at that height",
                             (unsigned long long)height, index, v->se->ev.org);
    if (ll_signed_event_verify(v->se, pk) != 0)
        return ll_errmsg_set(v->e, LL_EBADSIG,
                             "block %llu: event %u: signature does not verify",
                             (unsigned long long)height, index);
    v->r->events++;
    return 0;
}

/* Why block height's record could not be read (rc from ll_ledger_block):
 * out of memory and store errors say nothing of the record. */
static int block_unread(struct verify_ctx *v, uint64_t height, int rc)
{
    if (rc == LL_ENOMEM || rc == LL_ESTORE)
        return ll_errmsg_set(v->e, rc, "block %llu: %s",
                             (unsigned long long)height, ll_strerror(rc));
    return ll_errmsg_set(v->e, rc == LL_ENOTFOUND ? LL_ECORRUPT : rc,
                         "block %llu: record missing or corrupt (key b:%llu)",
                         (unsigned long long)height,
                         (unsigned long long)height);
}

/* Check one block: record, links, commit, events and tx root. */
static int verify_block(struct verify_ctx *v, uint64_t height,
                        struct ll_header *prev)
{
    struct ll_header h;
    struct ll_commit *c = ll_malloc(sizeof(*c));
    uint8_t(*leaves)[32] = NULL;
    uint8_t prev_hash[32];
    int rc;
    if (c == NULL)
        return LL_ENOMEM;
    rc = ll_ledger_block(v->s, height, &h, c);
    if (rc) {
        rc = block_unread(v, height, rc);
        goto out;
    }
    if (height == 1)
        memcpy(prev_hash, v->l->g->hash, 32);
    else
        ll_header_hash(prev_hash, prev);
    if (memcmp(h.genesis, v->l->g->hash, 32) != 0 ||
        memcmp(h.prev, prev_hash, 32) != 0 ||
        (height > 1 && h.time_ms < prev->time_ms)) {
        rc = ll_errmsg_set(v->e, LL_EVERIFY,
                           "block %llu: does not link to block %llu "
                           "(genesis, previous hash or time)",
                           (unsigned long long)height,
                           (unsigned long long)height - 1);
        goto out;
    }
    rc = ll_commit_verify(&h, c, &v->l->vs, v->e);
    if (rc)
        goto out;
    leaves = ll_calloc(h.n_events ? h.n_events : 1, sizeof(*leaves));
    if (leaves == NULL) {
        rc = LL_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < h.n_events && rc == 0; i++) {
        uint8_t id[32];
        rc = verify_event(v, height, i, id);
        if (rc == 0)
            ll_merkle_leaf_hash(leaves[i], id, 32);
    }
    if (rc)
        goto out;
    uint8_t root[32];
    rc = ll_merkle_root(root, (const uint8_t(*)[32])leaves, h.n_events);
    if (rc == 0 && memcmp(root, h.tx_root, 32) != 0)
        rc = ll_errmsg_set(v->e, LL_EVERIFY,
                           "block %llu: tx root does not match its events",
                           (unsigned long long)height);
    if (rc == 0)
        *prev = h;
out:
    ll_free(leaves);
    ll_free(c);
    return rc;
}

static int add_kv(struct verify_ctx *v, const uint8_t key[32],
                  const uint8_t *val, size_t len)
{
    if (v->nkv == v->kvcap) {
        size_t cap = v->kvcap ? 2 * v->kvcap : 1024;
        struct ll_smt_kv *t = ll_reallocarray(v->kvs, cap, sizeof(*t));
        if (t == NULL)
            return LL_ENOMEM;
        v->kvs = t;
        v->kvcap = cap;
    }
    struct ll_smt_kv *kv = &v->kvs[v->nkv++];
    memset(kv, 0, sizeof(*kv));
    memcpy(kv->key, key, 32);
    ll_smt_value_hash(kv->value_hash, val, len);
    return 0;
}

struct rebuild {
    struct verify_ctx *v;
    struct ll_merkle_frontier fr;
    const char *lot;
};

static int rebuild_cb(void *arg, uint64_t seq, uint64_t height, uint32_t index)
{
    struct rebuild *rb = arg;
    struct verify_ctx *v = rb->v;
    uint8_t leaf[32];
    (void)seq;
    ll_buf_reset(&v->buf);
    if (ll_ledger_event_at(v->s, height, index, &v->buf) != 0 ||
        ll_signed_event_decode(v->se, v->buf.data, v->buf.len, NULL) != 0)
        return ll_errmsg_set(v->e, LL_ECORRUPT,
                             "lot %s: log entry %llu names a missing event",
                             rb->lot, (unsigned long long)seq);
    ll_lot_leaf(leaf, height, index, v->se->id);
    return ll_merkle_frontier_append(&rb->fr, leaf);
}

/* Rebuild one lot's log from its event list and check its stored state. */
static int verify_lot(struct verify_ctx *v, const uint8_t *k, size_t kl,
                      const uint8_t *val, size_t vl, lotledger_LotState *st)
{
    uint8_t key[32];
    const uint8_t *sp;
    const uint8_t *fp;
    size_t sl;
    size_t fl;
    struct ll_merkle_frontier stored;
    if (kl != 33 || lot_record_split(val, vl, &sp, &sl, &fp, &fl) != 0 ||
        decode_lot(st, sp, sl) != 0 ||
        ll_merkle_frontier_decode(&stored, fp, fl) != 0)
        return ll_errmsg_set(v->e, LL_ECORRUPT,
                             "lot record does not decode (key L:<lot key>)");
    ll_lot_key(key, st->lot);
    if (memcmp(key, k + 1, 32) != 0)
        return ll_errmsg_set(v->e, LL_ECORRUPT,
                             "lot %s: stored under another lot's key", st->lot);
    struct rebuild rb = {v, {0}, st->lot};
    ll_merkle_frontier_init(&rb.fr);
    int rc = ll_ledger_lot_events(v->s, st->lot, rebuild_cb, &rb);
    if (rc)
        return rc == LL_ECORRUPT
                   ? ll_errmsg_set(v->e, rc, "lot %s: event list corrupt",
                                   st->lot)
                   : rc;
    uint8_t root[32];
    ll_merkle_frontier_root(root, &rb.fr);
    uint8_t sroot[32];
    ll_merkle_frontier_root(sroot, &stored);
    if (rb.fr.size != st->events || st->log_root.size != 32 ||
        memcmp(root, st->log_root.bytes, 32) != 0 ||
        stored.size != rb.fr.size || memcmp(sroot, root, 32) != 0)
        return ll_errmsg_set(v->e, LL_EVERIFY,
                             "lot %s: %llu events in its list do not rebuild "
                             "its log root and count (%llu)",
                             st->lot, (unsigned long long)rb.fr.size,
                             (unsigned long long)st->events);
    v->r->lots++;
    return add_kv(v, key, sp, sl);
}

/* Scan every entry under one prefix ('L' lots or 'o' orgs). */
static int verify_values(struct verify_ctx *v, char prefix)
{
    struct ll_store_iter *it = NULL;
    uint8_t p = (uint8_t)prefix;
    lotledger_LotState *st = NULL;
    int rc = ll_store_iter_open(v->l->store, v->s->snap, &p, 1, NULL, 0, &it);
    if (rc)
        return rc;
    if (prefix == K_LOT) {
        st = ll_malloc(sizeof(*st));
        if (st == NULL)
            rc = LL_ENOMEM;
    }
    const uint8_t *k;
    const uint8_t *val;
    size_t kl;
    size_t vl;
    while (rc == 0 && ll_store_iter_next(it, &k, &kl, &val, &vl)) {
        if (prefix == K_LOT) {
            rc = verify_lot(v, k, kl, val, vl, st);
        } else {
            char id[66];
            uint8_t key[32];
            if (kl < 2 || kl > sizeof(id)) {
                rc = ll_errmsg_set(v->e, LL_ECORRUPT, "bad org key");
                break;
            }
            memcpy(id, k + 1, kl - 1);
            id[kl - 1] = '\0';
            ll_org_key(key, id);
            v->r->orgs++;
            rc = add_kv(v, key, val, vl);
        }
    }
    if (rc == 0)
        rc = ll_store_iter_error(it);
    ll_free(st);
    ll_store_iter_close(it);
    return rc;
}

/* Recompute the state root from every stored value. */
static int verify_state_root(struct verify_ctx *v)
{
    struct ll_smt_mem *mem = NULL;
    struct ll_smt_store ms;
    static const uint8_t zero[32];
    uint8_t root[32];
    int rc = verify_values(v, K_LOT);
    if (rc == 0)
        rc = verify_values(v, K_ORG);
    if (rc == 0)
        rc = ll_smt_mem_new(&mem);
    if (rc)
        return rc;
    ll_smt_mem_store(&ms, mem);
    rc = ll_smt_update(&ms, root, zero, v->kvs, v->nkv);
    if (rc == 0 && memcmp(root, v->s->tip.state_root, 32) != 0)
        rc = ll_errmsg_set(v->e, LL_EVERIFY,
                           "height %llu: the stored lots and organisations "
                           "do not hash to the committed state root",
                           (unsigned long long)v->s->tip.height);
    ll_smt_mem_free(mem);
    /* The stored state-map nodes (what proofs are built from) must hold
     * every entry at the tip root. */
    struct node_ctx nc = {v->l->store, v->s->snap, NULL, NULL, NULL, NULL, 0};
    struct ll_smt_store ns;
    node_store(&ns, &nc);
    for (size_t i = 0; i < v->nkv && rc == 0; i++) {
        bool found = false;
        uint8_t vh[32];
        int grc =
            ll_smt_get(&ns, &found, vh, v->s->tip.state_root, v->kvs[i].key);
        if (grc == LL_ENOMEM || grc == LL_ESTORE) /* not the store's fault */
            rc = ll_errmsg_set(v->e, grc, "state map: entry %zu of %zu: %s", i,
                               v->nkv, ll_strerror(grc));
        else if (grc != 0 || !found ||
                 memcmp(vh, v->kvs[i].value_hash, 32) != 0)
            rc = ll_errmsg_set(v->e, LL_ECORRUPT,
                               "state map: the stored nodes do not hold entry "
                               "%zu of %zu at the tip root (%s)",
                               i, v->nkv, grc ? ll_strerror(grc) : "mismatch");
    }
    node_ctx_free(&nc);
    return rc;
}

/*
 * Read every key and value once with checksums verified, so damage in data
 * the other checks do not read (old state-map nodes, index entries) is
 * found too.
 */
static int verify_scan_all(struct verify_ctx *v)
{
    struct ll_store_iter *it = NULL;
    int rc = ll_store_iter_open(v->l->store, v->s->snap, "", 0, NULL, 0, &it);
    if (rc)
        return rc;
    const uint8_t *k;
    const uint8_t *val;
    size_t kl;
    size_t vl;
    uint64_t n = 0;
    while (ll_store_iter_next(it, &k, &kl, &val, &vl))
        n++;
    rc = ll_store_iter_error(it);
    ll_store_iter_close(it);
    if (rc)
        return ll_errmsg_set(v->e, LL_ECORRUPT,
                             "store: a damaged table block after %llu keys "
                             "(checksum mismatch)",
                             (unsigned long long)n);
    return 0;
}

int ll_ledger_verify(struct ll_ledger *l, struct ll_verify_report *r,
                     struct ll_errmsg *e)
{
    struct verify_ctx v = {l, NULL, r, e, NULL, {0}, NULL, 0, 0};
    struct ll_header prev;
    memset(r, 0, sizeof(*r));
    memset(&prev, 0, sizeof(prev));
    ll_buf_init(&v.buf, LL_EVENT_MAX_BYTES);
    int rc = ll_ledger_snap_open(l, &v.s);
    if (rc)
        return rc;
    v.se = ll_malloc(sizeof(*v.se));
    if (v.se == NULL) {
        rc = LL_ENOMEM;
        goto out;
    }
    for (uint64_t h = 1; h <= v.s->tip.height && rc == 0; h++) {
        rc = verify_block(&v, h, &prev);
        if (rc == 0)
            r->height = h;
    }
    if (rc)
        goto out;
    uint8_t hash[32];
    if (v.s->tip.height == 0)
        memcpy(hash, l->g->hash, 32);
    else
        ll_header_hash(hash, &prev);
    if (memcmp(hash, v.s->tip.hash, 32) != 0 ||
        (v.s->tip.height > 0 &&
         memcmp(prev.state_root, v.s->tip.state_root, 32) != 0)) {
        rc = ll_errmsg_set(e, LL_ECORRUPT,
                           "tip (key m:tip) does not match block %llu",
                           (unsigned long long)v.s->tip.height);
        goto out;
    }
    rc = verify_state_root(&v);
    if (rc == 0)
        rc = verify_scan_all(&v);
out:
    ll_free(v.kvs);
    ll_free(v.se);
    ll_buf_free(&v.buf);
    ll_ledger_snap_close(v.s);
    return rc;
}
