/* SPDX-License-Identifier: MIT */
/*
 * Trace proof bundles (proof.h): built from a trace and its snapshot,
 * encoded as canonical protobuf (ledger/proof.proto), and verified with
 * nothing but the genesis. docs/proof-format.md is the specification;
 * the numbered steps in ll_proof_verify follow it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "merkle.h"
#include "proof.h"
#include "rules.h"
#include "smt.h"

/* Field numbers (proof.proto). */
enum {
    B_VERSION = 1,
    B_GENESIS = 2,
    B_HEADER = 3,
    B_COMMIT = 4,
    B_DIRECTION = 5,
    B_EVENT = 6,
    B_POSITIONS = 7,
    B_LOT = 8,
    B_STATE_BITS = 9,
    B_STATE_HASHES = 10,
    L_STATE = 1,
    L_EXPANDED = 2,
    L_EVENTS = 3,
    L_STATE_LOG_ROOT = 5, /* LotState.log_root (ledger.proto) */
};

#define WT_VARINT 0
#define WT_BYTES  2

/* ---- writing ---------------------------------------------------------------
 */

static int put_varint(struct ll_buf *b, uint64_t v)
{
    uint8_t t[10];
    size_t n = 0;
    while (v >= 0x80) {
        t[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (uint8_t)v;
    return ll_buf_append(b, t, n);
}

/* A varint field, omitted at its default 0 (proto3). */
static int put_uint(struct ll_buf *b, unsigned field, uint64_t v)
{
    if (v == 0)
        return 0;
    int rc = put_varint(b, (uint64_t)field << 3 | WT_VARINT);
    return rc ? rc : put_varint(b, v);
}

/* A length-delimited field (always written by the callers here). */
static int put_bytes(struct ll_buf *b, unsigned field, const void *p, size_t n)
{
    int rc = put_varint(b, (uint64_t)field << 3 | WT_BYTES);
    if (rc == 0)
        rc = put_varint(b, n);
    if (rc == 0 && n > 0)
        rc = ll_buf_append(b, p, n);
    return rc;
}

/*
 * Field 7: two varints per event, in bundle (commit) order: the height
 * minus the previous event's (the first: its height), then the index, or
 * for an event in the same block as the previous one, the index minus the
 * previous index minus 1.
 */
static int put_positions(struct ll_buf *out, struct ll_buf *tmp,
                         const struct ll_trace *t, const uint32_t *order)
{
    uint64_t height = 0;
    uint32_t index = 0;
    int rc = 0;
    ll_buf_reset(tmp);
    for (size_t i = 0; rc == 0 && i < t->n_events; i++) {
        const struct ll_trace_event *x = &t->events[order[i]];
        bool same = i > 0 && x->height == height;
        rc = put_varint(tmp, x->height - height);
        if (rc == 0)
            rc = put_varint(tmp, same ? x->index - index - 1 : x->index);
        height = x->height;
        index = x->index;
    }
    return rc == 0 ? put_bytes(out, B_POSITIONS, tmp->data, tmp->len) : rc;
}

static int log_root_span(const uint8_t *p, size_t n, size_t *at, size_t *len);

/*
 * A ProofLot. A followed lot's state goes without its log_root (field 5),
 * which the verifier rebuilds from the events. Its events are packed as
 * the bundle index of the first, then for each next one its index minus
 * the previous minus 1 (a lot's log is in commit order, and so are the
 * bundle's events).
 */
static int put_lot(struct ll_buf *out, struct ll_buf *tmp,
                   struct ll_buf *packed, const struct ll_trace *t,
                   const struct ll_trace_lot *l, const uint32_t *rank)
{
    const uint8_t *st = t->bytes.data + l->state_off;
    size_t at = l->state_len;
    size_t cut = 0;
    ll_buf_reset(tmp);
    ll_buf_reset(packed);
    int rc = 0;
    if (l->expanded &&
        (log_root_span(st, l->state_len, &at, &cut) != 0 || cut != 2 + 32))
        rc = LL_ECORRUPT; /* a stored state without a log root */
    if (rc == 0)
        rc = ll_buf_append(packed, st, at);
    if (rc == 0)
        rc = ll_buf_append(packed, st + at + cut, l->state_len - at - cut);
    if (rc == 0)
        rc = put_bytes(tmp, L_STATE, packed->data, packed->len);
    ll_buf_reset(packed);
    if (rc == 0)
        rc = put_uint(tmp, L_EXPANDED, l->expanded ? 1 : 0);
    uint32_t prev = 0;
    for (size_t k = 0; rc == 0 && k < l->ev_count; k++) {
        uint32_t x = rank[t->lot_events[l->ev_first + k]];
        if (k > 0 && x <= prev)
            rc = LL_ECORRUPT; /* a log out of commit order */
        else
            rc = put_varint(packed, k == 0 ? x : x - prev - 1);
        prev = x;
    }
    if (rc == 0 && l->ev_count > 0)
        rc = put_bytes(tmp, L_EVENTS, packed->data, packed->len);
    if (rc == 0)
        rc = put_bytes(out, B_LOT, tmp->data, tmp->len);
    return rc;
}

/* Fields 1-5: version, genesis, header, commit, direction. */
static int put_head(struct ll_buf *out, const struct ll_header *h,
                    const uint8_t *hdr, const uint8_t *cm, size_t cl,
                    enum ll_trace_dir dir)
{
    int rc = put_uint(out, B_VERSION, LL_PROOF_VERSION);
    if (rc == 0)
        rc = put_bytes(out, B_GENESIS, h->genesis, 32);
    if (rc == 0)
        rc = put_bytes(out, B_HEADER, hdr, LL_HEADER_LEN);
    if (rc == 0)
        rc = put_bytes(out, B_COMMIT, cm, cl);
    if (rc == 0)
        rc = put_uint(out, B_DIRECTION, (uint64_t)dir);
    return rc;
}

/* An event's place in commit order. */
struct ord {
    uint64_t height;
    uint32_t index;
    size_t x;
};

static int by_commit(const void *a, const void *b)
{
    const struct ord *p = a;
    const struct ord *q = b;
    if (p->height != q->height)
        return p->height < q->height ? -1 : 1;
    return p->index < q->index ? -1 : p->index > q->index;
}

/* The trace's events in commit order (order[k] is the k-th), and each
 * event's place in it (rank). Returns 0 or LL_ENOMEM. */
static int commit_order(const struct ll_trace *t, uint32_t *order,
                        uint32_t *rank)
{
    struct ord *o = ll_calloc(t->n_events + 1, sizeof(*o));
    if (o == NULL)
        return LL_ENOMEM;
    for (size_t i = 0; i < t->n_events; i++)
        o[i] = (struct ord){t->events[i].height, t->events[i].index, i};
    qsort(o, t->n_events, sizeof(*o), by_commit);
    for (size_t i = 0; i < t->n_events; i++) {
        order[i] = (uint32_t)o[i].x;
        rank[o[i].x] = (uint32_t)i;
    }
    ll_free(o);
    return 0;
}

/* Fields 6-10: events, positions, lots, the state proof. */
static int put_body(struct ll_buf *out, const struct ll_trace *t,
                    const uint32_t *order, const uint32_t *rank,
                    const struct ll_buf *sp, const uint8_t *keys)
{
    struct ll_buf tmp;
    struct ll_buf packed;
    struct ll_buf bits;
    struct ll_buf hashes;
    ll_buf_init(&tmp, LL_PROOF_MAX_BYTES);
    ll_buf_init(&packed, (size_t)LL_TRACE_MAX_EVENTS * 5);
    ll_buf_init(&bits, LL_PROOF_MAX_BYTES);
    ll_buf_init(&hashes, LL_PROOF_MAX_BYTES);
    int rc = ll_smt_proof_compact(&bits, &hashes, keys, t->n_lots, sp->data,
                                  sp->len);
    if (rc == LL_EPROOF)
        rc = LL_ECORRUPT; /* the store's proof does not hold every lot */
    for (size_t i = 0; rc == 0 && i < t->n_events; i++) {
        const struct ll_trace_event *x = &t->events[order[i]];
        rc = put_bytes(out, B_EVENT, t->bytes.data + x->off, x->len);
    }
    if (rc == 0 && t->n_events > 0)
        rc = put_positions(out, &tmp, t, order);
    for (size_t i = 0; rc == 0 && i < t->n_lots; i++)
        rc = put_lot(out, &tmp, &packed, t, &t->lots[i], rank);
    if (rc == 0)
        rc = put_bytes(out, B_STATE_BITS, bits.data, bits.len);
    if (rc == 0 && hashes.len > 0)
        rc = put_bytes(out, B_STATE_HASHES, hashes.data, hashes.len);
    ll_buf_free(&tmp);
    ll_buf_free(&packed);
    ll_buf_free(&bits);
    ll_buf_free(&hashes);
    return rc;
}

int ll_proof_build(const struct ll_ledger_snap *s, const struct ll_trace *t,
                   struct ll_buf *out, struct ll_errmsg *e)
{
    struct ll_ledger_tip tip;
    struct ll_header h;
    struct ll_commit *c = ll_malloc(sizeof(*c));
    uint8_t *keys = ll_calloc(t->n_lots, 32);
    uint32_t *order = ll_calloc(t->n_events + 1, sizeof(*order));
    uint32_t *rank = ll_calloc(t->n_events + 1, sizeof(*rank));
    uint8_t hdr[LL_HEADER_LEN];
    uint8_t cm[LL_COMMIT_MAX];
    struct ll_buf sp;
    ll_buf_init(&sp, LL_PROOF_MAX_BYTES);
    ll_ledger_snap_tip(s, &tip);
    int rc = c == NULL || keys == NULL || order == NULL || rank == NULL
                 ? LL_ENOMEM
                 : 0;
    if (rc == 0 && (tip.height != t->tip.height || tip.height == 0))
        rc = ll_errmsg_set(e, LL_EINVAL,
                           "proof: the trace is not from this view (or no "
                           "block is committed yet)");
    if (rc == 0 && (rc = ll_ledger_block(s, tip.height, &h, c)) != 0)
        rc = ll_errmsg_set(e, rc, "proof: block %llu: %s",
                           (unsigned long long)tip.height, ll_strerror(rc));
    for (size_t i = 0; rc == 0 && i < t->n_lots; i++)
        memcpy(keys + 32 * i, t->lots[i].key, 32);
    if (rc == 0 && (rc = ll_ledger_state_proof(s, keys, t->n_lots, &sp)) != 0)
        rc = ll_errmsg_set(e, rc, "proof: state proof: %s", ll_strerror(rc));
    size_t cl = 0;
    if (rc == 0) {
        ll_header_encode(hdr, &h);
        cl = ll_commit_encode(cm, sizeof(cm), c);
        if (cl == 0)
            rc = ll_errmsg_set(e, LL_ECORRUPT, "proof: commit encoding");
    }
    if (rc == 0)
        rc = commit_order(t, order, rank);
    if (rc == 0)
        rc = put_head(out, &h, hdr, cm, cl, t->dir);
    if (rc == 0 && (rc = put_body(out, t, order, rank, &sp, keys)) != 0 &&
        rc == LL_ECORRUPT)
        rc = ll_errmsg_set(e, rc,
                           "proof: the store's state proof or a lot "
                           "log is inconsistent");
    if (rc == LL_ETOOBIG)
        rc = ll_errmsg_set(e, rc, "proof: the bundle is too large");
    else if (rc == LL_ENOMEM && (e == NULL || e->text[0] == '\0'))
        rc = ll_errmsg_set(e, rc, "proof: out of memory");
    ll_buf_free(&sp);
    ll_free(keys);
    ll_free(order);
    ll_free(rank);
    ll_free(c);
    return rc;
}

/* ---- reading ---------------------------------------------------------------
 */

struct rd {
    const uint8_t *p;
    size_t n;
    size_t off;
};

/* A minimal varint of at most 10 bytes (a u64). */
static int get_varint(struct rd *r, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (r->p == NULL || r->off >= r->n)
            return LL_ETRUNC;
        uint8_t b = r->p[r->off++];
        if (i == 9 && b > 1)
            return LL_EDECODE;
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            if (i > 0 && b == 0)
                return LL_ENONCANON; /* overlong */
            *v = x;
            return 0;
        }
    }
    return LL_EDECODE;
}

/* The next field: its number, wire type and (for bytes) its payload. */
static int get_field(struct rd *r, unsigned *field, unsigned *wt, uint64_t *v,
                     const uint8_t **p, size_t *n)
{
    uint64_t tag;
    int rc = get_varint(r, &tag);
    if (rc)
        return rc;
    if ((tag >> 3) == 0 || (tag >> 3) > 15)
        return LL_EDECODE;
    *field = (unsigned)(tag >> 3);
    *wt = (unsigned)(tag & 7);
    if (*wt == WT_VARINT)
        return get_varint(r, v);
    if (*wt != WT_BYTES)
        return LL_EDECODE;
    uint64_t len;
    rc = get_varint(r, &len);
    if (rc)
        return rc;
    if (len > r->n - r->off)
        return LL_ETRUNC;
    *p = r->p + r->off;
    *n = (size_t)len;
    r->off += (size_t)len;
    return 0;
}

struct field {
    unsigned num;     /* field number */
    unsigned wt;      /* wire type */
    uint64_t v;       /* a varint's value */
    const uint8_t *p; /* a length-delimited field's bytes */
    size_t n;
};

/*
 * Where the log_root field (5) of canonical LotState bytes p[0..n) is, or
 * would be: at its first byte, len bytes long (0 when absent: *at is then
 * the first byte of the first field numbered above 5, or n).
 */
static int log_root_span(const uint8_t *p, size_t n, size_t *at, size_t *len)
{
    struct rd r = {p, n, 0};
    while (r.off < r.n) {
        struct field f;
        size_t start = r.off;
        int rc = get_field(&r, &f.num, &f.wt, &f.v, &f.p, &f.n);
        if (rc)
            return rc;
        if (f.num >= L_STATE_LOG_ROOT) {
            *at = start;
            *len = f.num == L_STATE_LOG_ROOT ? r.off - start : 0;
            return 0;
        }
    }
    *at = n;
    *len = 0;
    return 0;
}

struct pevent {
    uint64_t height;
    uint32_t index;
    const uint8_t *signed_event;
    size_t len;
    uint8_t id[32];
};

struct plot {
    const uint8_t *state; /* as in the bundle (no log root if followed) */
    size_t state_len;
    uint8_t *committed; /* the committed LotState bytes; owned */
    size_t committed_len;
    bool expanded;
    uint32_t *events;
    size_t n_events;
    lotledger_LotState *st; /* decoded */
    uint32_t depth;         /* from the root, UINT32_MAX = not reached */
};

struct bundle {
    const uint8_t *genesis;
    size_t genesis_len;
    const uint8_t *header;
    size_t header_len;
    const uint8_t *commit;
    size_t commit_len;
    uint64_t direction;
    struct pevent *events; /* in commit order */
    size_t n_events;
    bool have_positions;
    struct plot *lots;
    size_t n_lots;
    const uint8_t *state_bits; /* the state proof */
    size_t state_bits_len;
    const uint8_t *state_hashes;
    size_t state_hashes_len;
    size_t *lot_index; /* lot positions sorted by lot id */
    size_t *ev_index;  /* event positions sorted by event id */
};

static void bundle_free(struct bundle *b)
{
    ll_free(b->lot_index);
    ll_free(b->ev_index);
    for (size_t i = 0; i < b->n_lots; i++) {
        ll_free(b->lots[i].events);
        ll_free(b->lots[i].committed);
        ll_free(b->lots[i].st);
    }
    ll_free(b->events);
    ll_free(b->lots);
}

/* Fields must come in increasing order; repeated ones consecutively. */
static int field_order(unsigned field, unsigned *last, bool repeated)
{
    if (field < *last || (field == *last && !repeated))
        return LL_ENONCANON;
    *last = field;
    return 0;
}

/*
 * The next field of a message, checked for canonical order: field numbers
 * increase, and only those in the repeated mask (bit per number) repeat.
 * wire (nwire entries, or NULL) gives each known field's wire type.
 */
static int next_field(struct rd *r, unsigned *last, uint32_t repeated,
                      const unsigned *wire, size_t nwire, struct field *f)
{
    memset(f, 0, sizeof(*f));
    int rc = get_field(r, &f->num, &f->wt, &f->v, &f->p, &f->n);
    if (rc == 0 && wire != NULL && (f->num >= nwire || f->wt != wire[f->num]))
        rc = LL_EDECODE;
    if (rc == 0)
        rc = field_order(f->num, last, (repeated >> f->num & 1u) != 0);
    return rc;
}

/*
 * Field 7: the events' heights and indexes, two varints per event (see
 * put_positions). Decoding them enforces commit order: heights never go
 * down, indexes within a block strictly go up.
 */
static int decode_positions(struct bundle *b, const uint8_t *p, size_t n)
{
    struct rd r = {p, n, 0};
    uint64_t height = 0;
    uint64_t index = 0;
    if (b->n_events == 0)
        return LL_EDECODE; /* positions of no event */
    for (size_t i = 0; i < b->n_events; i++) {
        uint64_t dh = 0;
        uint64_t di = 0;
        int rc = get_varint(&r, &dh);
        if (rc == 0)
            rc = get_varint(&r, &di);
        if (rc)
            return rc;
        if ((i == 0 && dh == 0) || dh > UINT64_MAX - height)
            return LL_EDECODE; /* heights start at 1 */
        index = dh == 0 ? index + 1 + di : di;
        if (di > UINT32_MAX || index > UINT32_MAX)
            return LL_EDECODE;
        height += dh;
        b->events[i].height = height;
        b->events[i].index = (uint32_t)index;
    }
    b->have_positions = true;
    return r.off == r.n ? 0 : LL_ETRAILING;
}

/*
 * A lot's events: the bundle index of the first, then each next one's
 * minus the previous minus 1 (so they strictly increase); each below
 * n_events.
 */
static int decode_packed(struct plot *l, const uint8_t *bp, size_t bn,
                         size_t n_events)
{
    l->events = ll_calloc(bn, sizeof(*l->events));
    if (l->events == NULL)
        return LL_ENOMEM;
    struct rd pr = {bp, bn, 0};
    uint64_t x = 0;
    while (pr.off < pr.n) {
        uint64_t v;
        int rc = get_varint(&pr, &v);
        if (rc)
            return rc;
        if (v >= n_events || (l->n_events > 0 && v >= n_events - x - 1))
            return LL_EDECODE;
        x = l->n_events == 0 ? v : x + 1 + v;
        l->events[l->n_events++] = (uint32_t)x;
    }
    return 0;
}

static int decode_lot(struct plot *l, const uint8_t *p, size_t n,
                      size_t n_events)
{
    struct rd r = {p, n, 0};
    unsigned last = 0;
    while (r.off < r.n) {
        struct field f;
        int rc = next_field(&r, &last, 0, NULL, 0, &f);
        if (rc)
            return rc;
        if (f.num == L_STATE && f.wt == WT_BYTES) {
            l->state = f.p;
            l->state_len = f.n;
        } else if (f.num == L_EXPANDED && f.wt == WT_VARINT && f.v == 1) {
            l->expanded = true;
        } else if (f.num == L_EVENTS && f.wt == WT_BYTES && f.n > 0) {
            rc = decode_packed(l, f.p, f.n, n_events);
            if (rc)
                return rc;
        } else {
            return f.num == L_EXPANDED && f.wt == WT_VARINT && f.v == 0
                       ? LL_ENONCANON
                       : LL_EDECODE;
        }
    }
    return l->state != NULL ? 0 : LL_EDECODE;
}

/* Grow an array of n elements by one; its capacity doubles. */
static void *grow(void *arr, size_t n, size_t elem)
{
    if (n == 0 || (n & (n - 1)) == 0)
        return ll_reallocarray(arr, n == 0 ? 16 : 2 * n, elem);
    return arr;
}

static int decode_top(struct bundle *b, unsigned f, uint64_t v,
                      const uint8_t *bp, size_t bn)
{
    switch (f) {
    case B_VERSION:
        return v == LL_PROOF_VERSION ? 0 : LL_EVERSION;
    case B_GENESIS:
        b->genesis = bp;
        b->genesis_len = bn;
        return 0;
    case B_HEADER:
        b->header = bp;
        b->header_len = bn;
        return 0;
    case B_COMMIT:
        b->commit = bp;
        b->commit_len = bn;
        return 0;
    case B_DIRECTION:
        b->direction = v;
        return 0;
    case B_EVENT: {
        if (b->n_events >= LL_TRACE_MAX_EVENTS)
            return LL_ETOOBIG;
        if (bn == 0)
            return LL_EDECODE;
        void *a = grow(b->events, b->n_events, sizeof(*b->events));
        if (a == NULL)
            return LL_ENOMEM;
        b->events = a;
        b->events[b->n_events++] = (struct pevent){0, 0, bp, bn, {0}};
        return 0;
    }
    case B_POSITIONS:
        return decode_positions(b, bp, bn);
    case B_LOT: {
        if (b->n_lots >= LL_TRACE_MAX_LOTS)
            return LL_ETOOBIG;
        void *a = grow(b->lots, b->n_lots, sizeof(*b->lots));
        if (a == NULL)
            return LL_ENOMEM;
        b->lots = a;
        struct plot *l = &b->lots[b->n_lots++];
        memset(l, 0, sizeof(*l));
        return decode_lot(l, bp, bn, b->n_events);
    }
    case B_STATE_BITS:
        b->state_bits = bp;
        b->state_bits_len = bn;
        return 0;
    default:
        b->state_hashes = bp;
        b->state_hashes_len = bn;
        return 0;
    }
}

/* Step 1: the encoding; the version first (LL_EVERSION before the rest). */
static int decode_bundle(struct bundle *b, const uint8_t *p, size_t n,
                         struct ll_errmsg *e)
{
    static const unsigned wire[] = {0,        WT_VARINT, WT_BYTES, WT_BYTES,
                                    WT_BYTES, WT_VARINT, WT_BYTES, WT_BYTES,
                                    WT_BYTES, WT_BYTES,  WT_BYTES};
    struct rd r = {p, n, 0};
    unsigned last = 0;
    if (n > LL_PROOF_MAX_BYTES)
        return ll_errmsg_set(e, LL_ETOOBIG, "bundle: %zu bytes, at most %zu", n,
                             LL_PROOF_MAX_BYTES);
    while (r.off < r.n) {
        struct field f;
        size_t at = r.off;
        int rc = next_field(&r, &last, 1u << B_EVENT | 1u << B_LOT, wire,
                            LL_ARRAY_LEN(wire), &f);
        if (rc == 0 && at == 0 && f.num != B_VERSION)
            return ll_errmsg_set(e, LL_EVERSION,
                                 "bundle: no version (version %d expected)",
                                 LL_PROOF_VERSION);
        if (rc == 0 && f.wt == WT_VARINT && f.v == 0)
            rc = LL_ENONCANON; /* a default value is omitted */
        if (rc == 0)
            rc = decode_top(b, f.num, f.v, f.p, f.n);
        if (rc == LL_EVERSION)
            return ll_errmsg_set(e, rc, "bundle: version %llu, want %d",
                                 (unsigned long long)f.v, LL_PROOF_VERSION);
        if (rc)
            return ll_errmsg_set(e, rc, "bundle: byte %zu: %s", at,
                                 ll_strerror(rc));
    }
    if (b->genesis == NULL || b->header == NULL || b->commit == NULL ||
        b->n_lots == 0 || b->state_bits == NULL ||
        b->have_positions != (b->n_events > 0))
        return ll_errmsg_set(e, LL_EDECODE,
                             "bundle: a required field is missing (genesis, "
                             "header, commit, positions, lots, state_bits)");
    return 0;
}

/* ---- verifying -------------------------------------------------------------
 */

struct vctx {
    const struct ll_genesis *g;
    struct bundle *b;
    struct ll_header h;
    struct ll_signed_event *se; /* scratch */
    struct ll_errmsg *e;
};

/* Sort positions by a key (lot ids or event ids), for binary search. */
struct keyed {
    const void *key;
    size_t pos;
};

static int by_lot_key(const void *a, const void *b)
{
    return strcmp(((const struct keyed *)a)->key,
                  ((const struct keyed *)b)->key);
}

static int by_id_key(const void *a, const void *b)
{
    return memcmp(((const struct keyed *)a)->key,
                  ((const struct keyed *)b)->key, 32);
}

/* Positions 0..n-1 sorted by key(i); NULL when out of memory. */
static size_t *sorted_index(size_t n,
                            const void *(*key)(const struct bundle *, size_t),
                            const struct bundle *b,
                            int (*cmp)(const void *, const void *))
{
    struct keyed *k = ll_calloc(n + 1, sizeof(*k));
    size_t *out = ll_calloc(n + 1, sizeof(*out));
    if (k == NULL || out == NULL) {
        ll_free(k);
        ll_free(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        k[i] = (struct keyed){key(b, i), i};
    qsort(k, n, sizeof(*k), cmp);
    for (size_t i = 0; i < n; i++)
        out[i] = k[i].pos;
    ll_free(k);
    return out;
}

static const void *lot_key_of(const struct bundle *b, size_t i)
{
    return b->lots[i].st->lot;
}

static const void *ev_key_of(const struct bundle *b, size_t i)
{
    return b->events[i].id;
}

/* The position of the event with this id, or SIZE_MAX. */
static size_t find_event(const struct bundle *b, const uint8_t id[32])
{
    size_t lo = 0;
    size_t hi = b->n_events;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(b->events[b->ev_index[mid]].id, id, 32);
        if (c == 0)
            return b->ev_index[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

/* Steps 2-3: network, quorum. */
static int check_commit(struct vctx *v)
{
    struct bundle *b = v->b;
    struct ll_errmsg *e = v->e;
    if (b->genesis_len != 32 || memcmp(b->genesis, v->g->hash, 32) != 0)
        return ll_errmsg_set(e, LL_EVERIFY,
                             "bundle: made for another network (genesis hash "
                             "differs)");
    if (b->direction > LL_TRACE_FORWARD)
        return ll_errmsg_set(e, LL_EDECODE, "bundle: direction %llu",
                             (unsigned long long)b->direction);
    int rc = ll_header_decode(&v->h, b->header, b->header_len);
    if (rc)
        return ll_errmsg_set(e, rc, "header: %s", ll_strerror(rc));
    if (memcmp(v->h.genesis, v->g->hash, 32) != 0 || v->h.height == 0)
        return ll_errmsg_set(e, LL_EVERIFY,
                             "header: not a block of this network");
    struct ll_valset *vs = ll_malloc(sizeof(*vs));
    struct ll_commit *c = ll_malloc(sizeof(*c));
    rc = vs == NULL || c == NULL ? LL_ENOMEM : 0;
    if (rc == 0 && ll_valset_from_genesis(vs, v->g) != 0)
        rc = ll_errmsg_set(e, LL_EINVAL, "genesis: no validator set");
    if (rc == 0 && (rc = ll_commit_decode(c, b->commit, b->commit_len)) != 0)
        rc = ll_errmsg_set(e, rc, "commit: %s", ll_strerror(rc));
    if (rc == 0)
        rc = ll_commit_verify(&v->h, c, vs, e);
    ll_free(vs);
    ll_free(c);
    return rc;
}

/* Step 4: lot states. A followed lot's comes without its log root. */
static int check_states(struct vctx *v)
{
    struct bundle *b = v->b;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < b->n_lots; i++) {
        struct plot *l = &b->lots[i];
        l->st = ll_malloc(sizeof(*l->st));
        if (l->st == NULL)
            return LL_ENOMEM;
        rc = ll_ledger__pb_decode(lotledger_LotState_fields, l->st,
                                  sizeof(*l->st), l->state, l->state_len,
                                  "lot state", NULL);
        if (rc)
            rc = ll_errmsg_set(v->e, rc, "lots[%zu].state: %s", i,
                               ll_strerror(rc));
        else if (ll_lotid_check(l->st->lot, NULL) != 0)
            rc = ll_errmsg_set(v->e, LL_EDECODE, "lots[%zu]: bad lot id", i);
        else if (l->expanded && l->st->log_root.size != 0)
            rc = ll_errmsg_set(v->e, LL_ENONCANON,
                               "lots[%zu]: a followed lot's state carries its "
                               "log root",
                               i);
        l->depth = UINT32_MAX;
    }
    if (rc == 0 && (b->lot_index = sorted_index(b->n_lots, lot_key_of, b,
                                                by_lot_key)) == NULL)
        rc = ll_errmsg_set(v->e, LL_ENOMEM, "out of memory");
    for (size_t i = 1; rc == 0 && i < b->n_lots; i++) {
        const char *lot = b->lots[b->lot_index[i]].st->lot;
        if (strcmp(b->lots[b->lot_index[i - 1]].st->lot, lot) == 0)
            rc = ll_errmsg_set(v->e, LL_EPROOF, "lot %s: listed twice", lot);
    }
    return rc;
}

/* Step 7: the state-map proof of every lot's committed state. */
static int check_state_proof(struct vctx *v)
{
    struct bundle *b = v->b;
    uint8_t *keys = ll_calloc(b->n_lots, 32);
    uint8_t *vhs = ll_calloc(b->n_lots, 32);
    int rc = keys == NULL || vhs == NULL ? LL_ENOMEM : 0;
    for (size_t i = 0; rc == 0 && i < b->n_lots; i++) {
        const struct plot *l = &b->lots[i];
        ll_lot_key(keys + 32 * i, l->st->lot);
        if (l->committed != NULL)
            ll_smt_value_hash(vhs + 32 * i, l->committed, l->committed_len);
        else
            ll_smt_value_hash(vhs + 32 * i, l->state, l->state_len);
    }
    if (rc == 0 &&
        (rc = ll_smt_verify_compact(v->h.state_root, keys, vhs, b->n_lots,
                                    b->state_bits, b->state_bits_len,
                                    b->state_hashes, b->state_hashes_len)) != 0)
        rc = ll_errmsg_set(v->e, rc == LL_EINVAL ? LL_EPROOF : rc,
                           "state proof: %s (against the state root of "
                           "block %llu)",
                           rc == LL_EINVAL ? "a lot is listed twice"
                           : rc == LL_EPROOF
                               ? "the lots' states (with the log roots of "
                                 "their events) are not the committed ones"
                               : ll_strerror(rc),
                           (unsigned long long)v->h.height);
    ll_free(keys);
    ll_free(vhs);
    return rc;
}

/* Step 5: every event decodes and is signed by its organisation. */
static int check_events(struct vctx *v)
{
    struct bundle *b = v->b;
    for (size_t i = 0; i < b->n_events; i++) {
        struct pevent *x = &b->events[i];
        struct ll_errmsg why = {{0}};
        uint8_t pk[LL_PUBKEY_LEN];
        int rc = ll_signed_event_decode(v->se, x->signed_event, x->len, &why);
        if (rc)
            return ll_errmsg_set(v->e, rc, "events[%zu]: %s", i, why.text);
        memcpy(x->id, v->se->id, 32);
        const lotledger_Event *ev = &v->se->ev;
        if (x->height > v->h.height)
            return ll_errmsg_set(v->e, LL_EPROOF,
                                 "events[%zu]: height %llu is after the "
                                 "proven block %llu",
                                 i, (unsigned long long)x->height,
                                 (unsigned long long)v->h.height);
        if ((rc = ll_event_check(ev, v->g->chain_id, &why)) != 0)
            return ll_errmsg_set(v->e, rc, "events[%zu]: %s", i, why.text);
        const lotledger_OrgState *org = ll_genesis_org(v->g, ev->org);
        if (org == NULL ||
            ll_rules_key(pk, org, ev->key_id.bytes, ev->key_id.size,
                         x->height) != 0 ||
            ll_signed_event_verify(v->se, pk) != 0)
            return ll_errmsg_set(v->e, LL_EBADSIG,
                                 "events[%zu]: not signed by a key org %s "
                                 "held at height %llu",
                                 i, ev->org, (unsigned long long)x->height);
    }
    b->ev_index = sorted_index(b->n_events, ev_key_of, b, by_id_key);
    if (b->ev_index == NULL)
        return ll_errmsg_set(v->e, LL_ENOMEM, "out of memory");
    for (size_t i = 1; i < b->n_events; i++)
        if (memcmp(b->events[b->ev_index[i - 1]].id,
                   b->events[b->ev_index[i]].id, 32) == 0)
            return ll_errmsg_set(v->e, LL_EDECODE, "events[%zu]: listed twice",
                                 b->ev_index[i]);
    return 0;
}

/*
 * A followed lot's committed state: its state from the bundle with the log
 * root of its events (l->st->log_root) put back as field 5, where canonical
 * encoding places it: before the first field numbered above 5.
 */
static int with_log_root(struct plot *l)
{
    size_t at = 0;
    size_t len = 0;
    int rc = log_root_span(l->state, l->state_len, &at, &len);
    if (rc)
        return rc;
    l->committed_len = l->state_len + 2 + 32;
    l->committed = ll_malloc(l->committed_len);
    if (l->committed == NULL)
        return LL_ENOMEM;
    memcpy(l->committed, l->state, at);
    l->committed[at] = (uint8_t)(L_STATE_LOG_ROOT << 3 | WT_BYTES);
    l->committed[at + 1] = 32;
    memcpy(l->committed + at + 2, l->st->log_root.bytes, 32);
    memcpy(l->committed + at + 34, l->state + at, l->state_len - at);
    return 0;
}

/*
 * Step 6: each followed lot lists as many events as its committed log
 * holds; the log root of the listed ones completes its state (step 7
 * checks the result against the state map).
 */
static int check_logs(struct vctx *v, bool *used)
{
    struct bundle *b = v->b;
    struct ll_merkle_frontier *fr = ll_malloc(sizeof(*fr));
    if (fr == NULL)
        return LL_ENOMEM;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < b->n_lots; i++) {
        struct plot *l = &b->lots[i];
        if (!l->expanded) {
            if (l->n_events != 0)
                rc = ll_errmsg_set(v->e, LL_EDECODE,
                                   "lot %s: not followed but lists events",
                                   l->st->lot);
            continue;
        }
        ll_merkle_frontier_init(fr);
        for (size_t k = 0; rc == 0 && k < l->n_events; k++) {
            struct pevent *x = &b->events[l->events[k]];
            uint8_t leaf[32];
            used[l->events[k]] = true;
            ll_lot_leaf(leaf, x->height, x->index, x->id);
            rc = ll_merkle_frontier_append(fr, leaf);
        }
        if (rc == 0 && l->n_events != l->st->events)
            rc = ll_errmsg_set(v->e, LL_EPROOF,
                               "lot %s: its %zu events are not its committed "
                               "log of %llu",
                               l->st->lot, l->n_events,
                               (unsigned long long)l->st->events);
        if (rc == 0) {
            ll_merkle_frontier_root(l->st->log_root.bytes, fr);
            l->st->log_root.size = 32;
            rc = with_log_root(l);
        }
    }
    for (size_t i = 0; rc == 0 && i < b->n_events; i++)
        if (!used[i])
            rc = ll_errmsg_set(v->e, LL_EPROOF,
                               "events[%zu]: in no followed lot's log", i);
    ll_free(fr);
    return rc;
}

static size_t find_lot(const struct bundle *b, const char *lot)
{
    size_t lo = 0;
    size_t hi = b->n_lots;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(b->lots[b->lot_index[mid]].st->lot, lot);
        if (c == 0)
            return b->lot_index[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

/* Each lot a followed transform leads to is in the bundle; set depths. */
static int follow(struct vctx *v, size_t li, size_t *queue, size_t *qn,
                  size_t *transforms)
{
    struct bundle *b = v->b;
    struct plot *l = &b->lots[li];
    bool back = b->direction == LL_TRACE_BACKWARD;
    for (size_t k = 0; k < l->n_events; k++) {
        struct pevent *x = &b->events[l->events[k]];
        int rc = ll_signed_event_decode(v->se, x->signed_event, x->len, NULL);
        if (rc)
            return ll_errmsg_set(v->e, rc, "events[%zu]: %s",
                                 (size_t)l->events[k], ll_strerror(rc));
        const lotledger_Event *ev = &v->se->ev;
        if (ev->type != lotledger_EventType_TRANSFORM ||
            !(back
                  ? ll_ledger__names(ev->outputs, ev->outputs_count, l->st->lot)
                  : ll_ledger__names(ev->lots, ev->lots_count, l->st->lot)))
            continue;
        (*transforms)++;
        const lotledger_LotQuantity *next = back ? ev->lots : ev->outputs;
        size_t nn = back ? ev->lots_count : ev->outputs_count;
        for (size_t j = 0; j < nn; j++) {
            size_t o = find_lot(b, next[j].lot);
            if (o == SIZE_MAX)
                return ll_errmsg_set(
                    v->e, LL_EPROOF,
                    "not closed: lot %s (%s of lot %s) is "
                    "missing",
                    next[j].lot, back ? "an input" : "an output", l->st->lot);
            if (b->lots[o].depth == UINT32_MAX) {
                b->lots[o].depth = l->depth + 1;
                queue[(*qn)++] = o;
            }
        }
    }
    return 0;
}

/* An event is in the log of every followed lot it names. */
static int check_named(struct vctx *v)
{
    struct bundle *b = v->b;
    for (size_t i = 0; i < b->n_events; i++) {
        struct pevent *x = &b->events[i];
        int rc = ll_signed_event_decode(v->se, x->signed_event, x->len, NULL);
        if (rc)
            return ll_errmsg_set(v->e, rc, "events[%zu]: %s", i,
                                 ll_strerror(rc));
        const lotledger_Event *ev = &v->se->ev;
        size_t total = (size_t)ev->lots_count + ev->outputs_count;
        for (size_t j = 0; j < total; j++) {
            const char *name = j < ev->lots_count
                                   ? ev->lots[j].lot
                                   : ev->outputs[j - ev->lots_count].lot;
            size_t o = find_lot(b, name);
            bool in = false;
            if (o == SIZE_MAX || !b->lots[o].expanded)
                continue;
            for (size_t k = 0; k < b->lots[o].n_events && !in; k++)
                in = b->lots[o].events[k] == i;
            if (!in)
                return ll_errmsg_set(v->e, LL_EPROOF,
                                     "events[%zu] names lot %s but is not in "
                                     "its log",
                                     i, name);
        }
    }
    return 0;
}

/* Step 8: the trace is closed and every lot belongs to it. */
static int check_closure(struct vctx *v, struct ll_proof_report *r)
{
    struct bundle *b = v->b;
    size_t *queue = ll_calloc(b->n_lots, sizeof(*queue));
    if (queue == NULL)
        return LL_ENOMEM;
    size_t qn = 0;
    size_t transforms = 0;
    int rc = 0;
    b->lots[0].depth = 0;
    queue[qn++] = 0;
    uint32_t deepest = 0;
    if (!b->lots[0].expanded)
        rc = ll_errmsg_set(v->e, LL_EPROOF,
                           "lots[0]: the traced lot is not "
                           "followed");
    for (size_t q = 0; rc == 0 && q < qn; q++) {
        struct plot *l = &b->lots[queue[q]];
        if (!l->expanded)
            continue;
        deepest = l->depth > deepest ? l->depth : deepest;
        rc = follow(v, queue[q], queue, &qn, &transforms);
    }
    size_t unexpanded = 0;
    for (size_t i = 0; rc == 0 && i < b->n_lots; i++) {
        const struct plot *l = &b->lots[i];
        if (l->depth == UINT32_MAX)
            rc = ll_errmsg_set(v->e, LL_EPROOF,
                               "lot %s: not reached from %s by the trace",
                               l->st->lot, b->lots[0].st->lot);
        else if (!l->expanded && l->depth <= deepest)
            rc = ll_errmsg_set(v->e, LL_EPROOF,
                               "lot %s: at depth %u but not followed",
                               l->st->lot, l->depth);
        unexpanded += !l->expanded;
    }
    if (rc == 0)
        rc = check_named(v);
    r->transforms = transforms;
    r->unexpanded = unexpanded;
    r->depth = deepest;
    ll_free(queue);
    return rc;
}

/* ---- step 9: custody rules, replayed ---------------------------------------
 *
 * The bundle's events are replayed through the same rules the ledger
 * applied, in commit order, on a state that starts empty. A followed lot's
 * whole history is in the bundle, so its replayed state must equal its
 * committed one. An event that acts on a lot whose history is not in the
 * bundle (an unfollowed input, a shipment not in the bundle) cannot be
 * replayed: the followed lots it names are then left out of the
 * comparison ("tainted") and counted in the report.
 */

struct replay {
    struct vctx *v;
    lotledger_LotState **state; /* per bundle lot: replayed state or NULL */
    bool *tainted;
    size_t done;   /* events applied (the bundle's are in commit order) */
    bool *applied; /* per event: replayed (or set aside) already */
    struct ll_signed_event *target; /* scratch: a correction's target */
};

static size_t followed(const struct bundle *b, const char *lot)
{
    size_t o = find_lot(b, lot);
    return o != SIZE_MAX && b->lots[o].expanded ? o : SIZE_MAX;
}

static const lotledger_OrgState *rv_org(void *arg, const char *id)
{
    const struct replay *rp = arg;
    return ll_genesis_org(rp->v->g, id);
}

static int rv_lot(void *arg, const char *lot, lotledger_LotState *out)
{
    const struct replay *rp = arg;
    size_t o = followed(rp->v->b, lot);
    if (o == SIZE_MAX || rp->state[o] == NULL)
        return LL_ENOTFOUND; /* new, or an output not followed */
    *out = *rp->state[o];
    return 0;
}

static bool rv_has_event(void *arg, const uint8_t id[32])
{
    const struct replay *rp = arg;
    size_t x = find_event(rp->v->b, id);
    return x != SIZE_MAX && rp->applied[x];
}

static int rv_event(void *arg, const uint8_t id[32],
                    struct ll_signed_event *out)
{
    const struct replay *rp = arg;
    size_t x = find_event(rp->v->b, id);
    if (x == SIZE_MAX || !rp->applied[x])
        return LL_ENOTFOUND;
    const struct pevent *pe = &rp->v->b->events[x];
    return ll_signed_event_decode(out, pe->signed_event, pe->len, NULL);
}

/* Mark the followed lots an event names; they cannot be compared. */
static void taint(struct replay *rp, const lotledger_Event *ev)
{
    size_t total = (size_t)ev->lots_count + ev->outputs_count;
    for (size_t j = 0; j < total; j++) {
        const char *name = j < ev->lots_count
                               ? ev->lots[j].lot
                               : ev->outputs[j - ev->lots_count].lot;
        size_t o = followed(rp->v->b, name);
        if (o != SIZE_MAX)
            rp->tainted[o] = true;
    }
}

/*
 * Can this event be replayed from the bundle alone? acts is the event
 * whose lots it acts on: itself, or for a correction the corrected event
 * (whose lots, outputs included, the correction joins and annotates).
 */
static bool replayable(struct replay *rp, const lotledger_Event *acts,
                       bool correction)
{
    size_t total =
        (size_t)acts->lots_count + (correction ? acts->outputs_count : 0);
    for (size_t j = 0; j < total; j++) {
        const char *name = j < acts->lots_count
                               ? acts->lots[j].lot
                               : acts->outputs[j - acts->lots_count].lot;
        size_t o = followed(rp->v->b, name);
        if (o == SIZE_MAX || rp->tainted[o])
            return false;
    }
    return true;
}

/*
 * The event whose lots se acts on (itself, or the event it corrects, read
 * into rp->target), or NULL for a correction whose target is not among
 * the events replayed so far.
 */
static const lotledger_Event *acted_on(struct replay *rp,
                                       const struct ll_signed_event *se)
{
    const lotledger_Event *ev = &se->ev;
    if (ev->ref.size != 32 || ev->type == lotledger_EventType_RECEIVE)
        return ev;
    size_t t = find_event(rp->v->b, ev->ref.bytes);
    if (t == SIZE_MAX || !rp->applied[t])
        return NULL;
    const struct pevent *pe = &rp->v->b->events[t];
    if (ll_signed_event_decode(rp->target, pe->signed_event, pe->len, NULL))
        return NULL;
    return &rp->target->ev;
}

static int apply_one(struct replay *rp, struct ll_rules_out *out,
                     struct ll_signed_event *se, size_t x)
{
    struct vctx *v = rp->v;
    const struct pevent *pe = &v->b->events[x];
    struct ll_rules_view view = {rv_org, rv_lot, rv_has_event, rv_event, rp};
    struct ll_errmsg why = {{0}};
    int rc = ll_signed_event_decode(se, pe->signed_event, pe->len, NULL);
    if (rc)
        return ll_errmsg_set(v->e, rc, "events[%zu]: %s", x, ll_strerror(rc));
    const lotledger_Event *acts = acted_on(rp, se);
    bool correction = acts != &se->ev;
    if (acts == NULL || !replayable(rp, acts, correction)) {
        taint(rp, acts != NULL ? acts : &se->ev);
        return 0;
    }
    /* Block times before H are not in the bundle: the time rule is the
     * only one not replayed (the quorum checked it). */
    rc = ll_rules_apply(out, &view, se, v->g->chain_id, pe->height,
                        INT64_MAX / 4, true, &why);
    if (rc == LL_ENOSHIPMENT || rc == LL_ENOEVENT) {
        taint(rp, &se->ev); /* its shipment lies outside the bundle */
        return 0;
    }
    if (rc == LL_ENOMEM)
        return ll_errmsg_set(v->e, rc, "out of memory");
    if (rc)
        return ll_errmsg_set(v->e, LL_EPROOF,
                             "events[%zu] breaks a custody rule: %s", x,
                             why.text[0] ? why.text : ll_strerror(rc));
    for (size_t k = 0; k < out->n; k++) {
        size_t o = followed(v->b, out->lots[k].state.lot);
        if (o == SIZE_MAX)
            continue;
        if (rp->state[o] == NULL &&
            (rp->state[o] = ll_malloc(sizeof(lotledger_LotState))) == NULL)
            return LL_ENOMEM;
        *rp->state[o] = out->lots[k].state;
    }
    return 0;
}

/* Each untainted followed lot's replayed state is its committed state. */
static int compare_states(struct replay *rp, size_t *compared)
{
    struct bundle *b = rp->v->b;
    struct ll_buf enc;
    ll_buf_init(&enc, LL_EVENT_MAX_BYTES);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < b->n_lots; i++) {
        const struct plot *l = &b->lots[i];
        if (!l->expanded || rp->tainted[i])
            continue;
        lotledger_LotState *st = rp->state[i];
        if (st != NULL) {
            st->events = l->st->events; /* set by the ledger, not the rules */
            st->log_root = l->st->log_root;
            ll_buf_reset(&enc);
            rc = ll_ledger__pb_encode(&enc, lotledger_LotState_fields, st,
                                      LL_EVENT_MAX_BYTES);
            if (rc)
                rc = ll_errmsg_set(rp->v->e, rc, "lot %s: replayed state: %s",
                                   l->st->lot, ll_strerror(rc));
        }
        if (rc == 0 && (st == NULL || enc.len != l->committed_len ||
                        memcmp(enc.data, l->committed, enc.len) != 0))
            rc = ll_errmsg_set(rp->v->e, LL_EPROOF,
                               "lot %s: its events, replayed through the "
                               "custody rules, do not give its committed "
                               "state",
                               l->st->lot);
        (*compared)++;
    }
    ll_buf_free(&enc);
    return rc;
}

static int check_rules(struct vctx *v, struct ll_proof_report *r)
{
    struct bundle *b = v->b;
    struct replay rp = {v,
                        ll_calloc(b->n_lots, sizeof(lotledger_LotState *)),
                        ll_calloc(b->n_lots, sizeof(bool)),
                        0,
                        ll_calloc(b->n_events + 1, sizeof(bool)),
                        ll_malloc(sizeof(struct ll_signed_event))};
    struct ll_rules_out *out = ll_malloc(sizeof(*out));
    struct ll_signed_event *se = ll_malloc(sizeof(*se));
    int rc = rp.state == NULL || rp.tainted == NULL || rp.applied == NULL ||
                     rp.target == NULL || out == NULL || se == NULL
                 ? LL_ENOMEM
                 : 0;
    for (; rc == 0 && rp.done < b->n_events; rp.done++) {
        rc = apply_one(&rp, out, se, rp.done);
        rp.applied[rp.done] = true;
    }
    size_t compared = 0;
    if (rc == 0)
        rc = compare_states(&rp, &compared);
    r->rules_checked = compared;
    for (size_t i = 0; rp.state != NULL && i < b->n_lots; i++)
        ll_free(rp.state[i]);
    ll_free(rp.state);
    ll_free(rp.tainted);
    ll_free(rp.applied);
    ll_free(rp.target);
    ll_free(out);
    ll_free(se);
    return rc;
}

static size_t count_orgs(struct vctx *v)
{
    const struct bundle *b = v->b;
    size_t n = 0;
    bool seen[LL_MAX_ORGS] = {false};
    for (size_t i = 0; i < b->n_events; i++) {
        if (ll_signed_event_decode(v->se, b->events[i].signed_event,
                                   b->events[i].len, NULL) != 0)
            continue;
        const lotledger_OrgState *o = ll_genesis_org(v->g, v->se->ev.org);
        size_t k = o != NULL ? (size_t)(o - v->g->orgs) : LL_MAX_ORGS;
        if (k < LL_MAX_ORGS && !seen[k]) {
            seen[k] = true;
            n++;
        }
    }
    return n;
}

int ll_proof_verify(const struct ll_genesis *g, const uint8_t *bundle,
                    size_t len, struct ll_proof_report *r, struct ll_errmsg *e)
{
    struct bundle b;
    memset(&b, 0, sizeof(b));
    memset(r, 0, sizeof(*r));
    struct vctx v = {g, &b, {0}, ll_malloc(sizeof(struct ll_signed_event)), e};
    bool *used = NULL;
    int rc = v.se == NULL ? LL_ENOMEM : 0;
    if (rc == 0 && bundle == NULL)
        rc = ll_errmsg_set(e, LL_EDECODE, "bundle: empty");
    if (rc == 0)
        rc = decode_bundle(&b, bundle, len, e);
    if (rc == 0)
        rc = check_commit(&v);
    if (rc == 0)
        rc = check_states(&v);
    if (rc == 0)
        rc = check_events(&v);
    if (rc == 0) {
        used = ll_calloc(b.n_events + 1, sizeof(*used));
        rc = used == NULL ? LL_ENOMEM : check_logs(&v, used);
    }
    if (rc == 0)
        rc = check_state_proof(&v);
    if (rc == 0)
        rc = check_closure(&v, r);
    if (rc == 0)
        rc = check_rules(&v, r);
    if (rc == 0) {
        (void)snprintf(r->lot, sizeof(r->lot), "%s", b.lots[0].st->lot);
        r->dir = (enum ll_trace_dir)b.direction;
        r->height = v.h.height;
        r->time_ms = v.h.time_ms;
        ll_header_hash(r->block, &v.h);
        r->lots = b.n_lots;
        r->events = b.n_events;
        r->orgs = count_orgs(&v);
    }
    if (rc == LL_ENOMEM && e != NULL && e->text[0] == '\0')
        rc = ll_errmsg_set(e, rc, "out of memory");
    ll_free(used);
    ll_free(v.se);
    bundle_free(&b);
    return rc;
}
