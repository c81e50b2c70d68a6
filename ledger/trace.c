/* SPDX-License-Identifier: MIT */
/*
 * Trace queries (trace.h): a breadth-first walk over lots, a level at a
 * time, reading each expanded lot's event log from one snapshot. Lots and
 * events are found again through small open-addressing tables, so each
 * event is read and kept once however many traced lots it names; a
 * level's new events are read together, in store order. What following
 * needs from an event (its type, the lots a transform names) is read from
 * its stored bytes without decoding it.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "trace.h"

#define NO_SLOT UINT32_MAX

/* Protobuf wire types and the Event fields a trace reads (ledger.proto). */
#define WT_VARINT   0
#define WT_I64      1
#define WT_LEN      2
#define WT_I32      5
#define EV_TYPE     3
#define EV_LOTS     10
#define EV_OUTPUTS  11
#define LQ_LOT      1
#define SIGNED_TAG1 0x0a /* SignedEvent.event, length-delimited */

static uint32_t fnv(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static uint32_t ev_hash(uint64_t height, uint32_t index)
{
    uint64_t key = (height << 24) ^ index;
    return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem, size_t max)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap == 0 ? 64 : *cap * 2;
    if (n < need)
        n = need;
    if (n > max)
        n = max;
    void *q = ll_reallocarray(*p, n, elem);
    if (q == NULL)
        return LL_ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

/*
 * Keep both tables at most half full: double the one about to pass that
 * and put every entry back. Tables start small, so a small trace touches
 * little memory.
 */
static int rehash_lots(struct ll_trace *t)
{
    if (2 * (t->n_lots + 1) <= t->n_lot_slots)
        return 0;
    size_t n = t->n_lot_slots * 2;
    uint32_t *slots = ll_reallocarray(NULL, n, sizeof(*slots));
    if (slots == NULL)
        return LL_ENOMEM;
    memset(slots, 0xff, n * sizeof(*slots));
    for (size_t i = 0; i < t->n_lots; i++) {
        const char *lot = t->lots[i].lot;
        size_t h = fnv(lot, strlen(lot)) & (n - 1);
        while (slots[h] != NO_SLOT)
            h = (h + 1) & (n - 1);
        slots[h] = (uint32_t)i;
    }
    ll_free(t->lot_slots);
    t->lot_slots = slots;
    t->n_lot_slots = n;
    return 0;
}

static int rehash_events(struct ll_trace *t)
{
    if (2 * (t->n_events + 1) <= t->n_ev_slots)
        return 0;
    size_t n = t->n_ev_slots * 2;
    uint64_t *slots = ll_calloc(n, sizeof(*slots));
    if (slots == NULL)
        return LL_ENOMEM;
    for (size_t i = 0; i < t->n_events; i++) {
        size_t h = ev_hash(t->events[i].height, t->events[i].index) & (n - 1);
        while (slots[h] != 0)
            h = (h + 1) & (n - 1);
        slots[h] = (uint64_t)i + 1;
    }
    ll_free(t->ev_slots);
    t->ev_slots = slots;
    t->n_ev_slots = n;
    return 0;
}

/*
 * The index of the lot with id lot[0..n) in t, added at depth if new (its
 * id checked: it comes from stored bytes). added says which.
 */
static int find_or_add_lot(struct ll_trace *t, const char *lot, size_t n,
                           uint32_t depth, uint32_t *idx, bool *added,
                           struct ll_errmsg *e)
{
    size_t mask = t->n_lot_slots - 1;
    size_t h = fnv(lot, n) & mask;
    *added = false;
    for (; t->lot_slots[h] != NO_SLOT; h = (h + 1) & mask) {
        const char *have = t->lots[t->lot_slots[h]].lot;
        if (memcmp(have, lot, n) == 0 && have[n] == '\0') {
            *idx = t->lot_slots[h];
            return 0;
        }
    }
    if (t->n_lots >= LL_TRACE_MAX_LOTS)
        return ll_errmsg_set(e, LL_ETOOBIG,
                             "the trace names more than %u lots; ask for a "
                             "smaller depth",
                             (unsigned)LL_TRACE_MAX_LOTS);
    int rc = grow((void **)&t->lots, &t->cap_lots, t->n_lots + 1,
                  sizeof(*t->lots), LL_TRACE_MAX_LOTS);
    if (rc == 0)
        rc = rehash_lots(t);
    if (rc)
        return ll_errmsg_set(e, rc, "out of memory");
    struct ll_trace_lot *l = &t->lots[t->n_lots];
    memset(l, 0, sizeof(*l));
    memcpy(l->lot, lot, n);
    if (ll_lotid_check(l->lot, NULL) != 0)
        return ll_errmsg_set(e, LL_ECORRUPT, "a stored event names a bad lot");
    ll_lot_key(l->key, l->lot);
    l->depth = depth;
    mask = t->n_lot_slots - 1;
    for (h = fnv(lot, n) & mask; t->lot_slots[h] != NO_SLOT;)
        h = (h + 1) & mask;
    t->lot_slots[h] = (uint32_t)t->n_lots;
    *idx = (uint32_t)t->n_lots++;
    *added = true;
    return 0;
}

static int add_edge(struct ll_trace *t, uint32_t from, uint32_t to, uint32_t ev,
                    struct ll_errmsg *e)
{
    for (size_t i = 0; i < t->n_edges; i++) {
        const struct ll_trace_edge *x = &t->edges[i];
        if (x->from == from && x->to == to && x->event == ev)
            return 0;
    }
    int rc = grow((void **)&t->edges, &t->cap_edges, t->n_edges + 1,
                  sizeof(*t->edges), SIZE_MAX / sizeof(*t->edges));
    if (rc)
        return ll_errmsg_set(e, rc, "out of memory");
    t->edges[t->n_edges++] = (struct ll_trace_edge){from, to, ev};
    return 0;
}

/* A minimal-or-not varint of at most 10 bytes at p[*off..n). */
static bool varint(const uint8_t *p, size_t n, size_t *off, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < 10 && *off < n; i++) {
        uint8_t b = p[(*off)++];
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* Skip a field's payload of wire type wt; false if it does not fit. */
static bool skip(const uint8_t *p, size_t n, size_t *off, unsigned wt,
                 uint64_t *len)
{
    uint64_t v = 0;
    if (wt == WT_VARINT)
        return varint(p, n, off, &v);
    if (wt == WT_LEN) {
        if (!varint(p, n, off, len) || *len > n - *off)
            return false;
        *off += (size_t)*len;
        return true;
    }
    size_t k = wt == WT_I64 ? 8 : wt == WT_I32 ? 4 : SIZE_MAX;
    if (k > n - *off)
        return false;
    *off += k;
    return true;
}

/* The event bytes inside SignedEvent bytes p[0..n): offset and length. */
static bool envelope(const uint8_t *p, size_t n, size_t *off, size_t *len)
{
    uint64_t v = 0;
    *off = 1;
    if (n == 0 || p[0] != SIGNED_TAG1 || !varint(p, n, off, &v) || v > n - *off)
        return false;
    *len = (size_t)v;
    return true;
}

/*
 * Record the lot id of a LotQuantity at t->bytes[off..off+n). Returns 0,
 * LL_ECORRUPT (no lot, or a bad one) or LL_ENOMEM.
 */
static int add_name(struct ll_trace *t, size_t off, size_t n)
{
    const uint8_t *p = t->bytes.data;
    size_t end = off + n;
    while (off < end) {
        uint64_t tag = 0;
        uint64_t len = 0;
        if (!varint(p, end, &off, &tag) ||
            !skip(p, end, &off, (unsigned)(tag & 7), &len))
            return LL_ECORRUPT;
        if (tag != (LQ_LOT << 3 | WT_LEN))
            continue;
        size_t at = off - (size_t)len;
        if (len == 0 || len > LL_LOTID_MAX || memchr(p + at, 0, len) != NULL)
            return LL_ECORRUPT;
        int rc = grow((void **)&t->names, &t->cap_names, t->n_names + 1,
                      sizeof(*t->names), SIZE_MAX / sizeof(*t->names));
        if (rc)
            return rc;
        t->names[t->n_names++] = (struct ll_trace_name){at, (size_t)len};
        return 0;
    }
    return LL_ECORRUPT; /* a LotQuantity without a lot */
}

/*
 * What following needs from a stored event, read from its bytes without
 * decoding it: its type and, for a transform, where its input and output
 * lot ids are. Committed events are canonical (fields in number order),
 * but the bytes come from the disk: anything odd is LL_ECORRUPT (running
 * out of memory is LL_ENOMEM).
 */
static int scan_event(struct ll_trace *t, struct ll_trace_event *x)
{
    const uint8_t *p = t->bytes.data + x->off;
    size_t off = 0;
    size_t n = 0;
    uint64_t type = 0;
    size_t first = t->n_names;
    unsigned counts[2] = {0, 0};
    if (!envelope(p, x->len, &off, &n))
        return LL_ECORRUPT;
    p += off;
    for (off = 0; off < n;) {
        uint64_t tag = 0;
        uint64_t v = 0;
        if (!varint(p, n, &off, &tag))
            return LL_ECORRUPT;
        unsigned f = (unsigned)(tag >> 3);
        size_t at = off;
        if (!skip(p, n, &off, (unsigned)(tag & 7), &v))
            return LL_ECORRUPT;
        if (tag == (EV_TYPE << 3 | WT_VARINT))
            (void)varint(p, n, &at, &type);
        if ((tag & 7) != WT_LEN || (f != EV_LOTS && f != EV_OUTPUTS))
            continue;
        if (++counts[f == EV_OUTPUTS] > UINT8_MAX ||
            (f == EV_LOTS && counts[1] > 0))
            return LL_ECORRUPT;
        int rc = add_name(t, (size_t)(p - t->bytes.data) + off - (size_t)v,
                          (size_t)v);
        if (rc)
            return rc;
    }
    x->transform = type == lotledger_EventType_TRANSFORM;
    if (!x->transform) {
        t->n_names = first;
        return 0;
    }
    x->name_first = (uint32_t)first;
    x->n_in = (uint8_t)counts[0];
    x->n_out = (uint8_t)counts[1];
    return 0;
}

struct walk {
    struct ll_trace *t;
    struct ll_errmsg *e;
    uint32_t lot;
    int rc;
};

/*
 * The index of the event at (height, index) in t, added (without its bytes:
 * fetch_events reads them) if new.
 */
static int event_once(struct walk *w, uint64_t height, uint32_t index,
                      uint32_t *idx)
{
    struct ll_trace *t = w->t;
    size_t mask = t->n_ev_slots - 1;
    size_t h = ev_hash(height, index) & mask;
    for (; t->ev_slots[h] != 0; h = (h + 1) & mask) {
        const struct ll_trace_event *x = &t->events[t->ev_slots[h] - 1];
        if (x->height == height && x->index == index) {
            *idx = (uint32_t)(t->ev_slots[h] - 1);
            return 0;
        }
    }
    if (t->n_events >= LL_TRACE_MAX_EVENTS)
        return ll_errmsg_set(w->e, LL_ETOOBIG,
                             "the trace holds more than %u events; ask for a "
                             "smaller depth, or read a lot's events page by "
                             "page (GET /v1/lots/{lot}/log)",
                             (unsigned)LL_TRACE_MAX_EVENTS);
    int rc = grow((void **)&t->events, &t->cap_events, t->n_events + 1,
                  sizeof(*t->events), LL_TRACE_MAX_EVENTS);
    if (rc == 0)
        rc = rehash_events(t);
    if (rc)
        return ll_errmsg_set(w->e, rc, "out of memory");
    struct ll_trace_event *x = &t->events[t->n_events];
    memset(x, 0, sizeof(*x));
    x->height = height;
    x->index = index;
    mask = t->n_ev_slots - 1;
    for (h = ev_hash(height, index) & mask; t->ev_slots[h] != 0;)
        h = (h + 1) & mask;
    t->ev_slots[h] = (uint64_t)t->n_events + 1;
    *idx = (uint32_t)t->n_events++;
    return 0;
}

static int log_cb(void *arg, uint64_t seq, uint64_t height, uint32_t index)
{
    struct walk *w = arg;
    struct ll_trace *t = w->t;
    uint32_t ev = 0;
    (void)seq;
    int rc = event_once(w, height, index, &ev);
    if (rc == 0)
        rc = grow((void **)&t->lot_events, &t->cap_lot_events,
                  t->n_lot_events + 1, sizeof(*t->lot_events),
                  SIZE_MAX / sizeof(*t->lot_events));
    if (rc) {
        w->rc = rc;
        return rc;
    }
    t->lot_events[t->n_lot_events++] = ev;
    t->lots[w->lot].ev_count++;
    return 0;
}

/* An event still to read: its position, and its index in t->events. */
struct want {
    struct ll_ledger_pos pos;
    size_t x;
};

static int by_pos(const void *a, const void *b)
{
    const struct ll_ledger_pos *p = &((const struct want *)a)->pos;
    const struct ll_ledger_pos *q = &((const struct want *)b)->pos;
    if (p->height != q->height)
        return p->height < q->height ? -1 : 1;
    return p->index < q->index ? -1 : p->index > q->index;
}

/*
 * Read the bytes of events[first..n_events) (the ones the last level's
 * logs added) in the store's order, so that events of one block come from
 * one scan, and learn from each what following needs.
 */
static int fetch_events(struct ll_trace *t, const struct ll_ledger_snap *s,
                        size_t first, struct ll_errmsg *e)
{
    size_t n = t->n_events - first;
    struct want *w = ll_calloc(n + 1, sizeof(*w));
    struct ll_ledger_pos *pos = ll_calloc(n + 1, sizeof(*pos));
    size_t *lens = ll_calloc(n + 1, sizeof(*lens));
    size_t off = t->bytes.len;
    int rc = w == NULL || pos == NULL || lens == NULL ? LL_ENOMEM : 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        w[i] = (struct want){
            {t->events[first + i].height, t->events[first + i].index},
            first + i};
    if (rc == 0)
        qsort(w, n, sizeof(*w), by_pos);
    for (size_t i = 0; rc == 0 && i < n; i++)
        pos[i] = w[i].pos;
    if (rc == 0)
        rc = ll_ledger_events_at(s, pos, n, &t->bytes, lens);
    if (rc == LL_ENOTFOUND)
        rc = LL_ECORRUPT; /* a lot log names an event that is not there */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct ll_trace_event *x = &t->events[w[i].x];
        x->off = off;
        x->len = lens[i];
        off += lens[i];
        rc = scan_event(t, x);
        if (rc)
            rc = ll_errmsg_set(e, rc, "stored event %llu/%u: %s",
                               (unsigned long long)x->height, x->index,
                               ll_strerror(rc));
    }
    if (rc == LL_ETOOBIG)
        rc = ll_errmsg_set(e, rc,
                           "the trace holds more than %u MiB of events; "
                           "ask for a smaller depth, or read a lot's events "
                           "page by page (GET /v1/lots/{lot}/log)",
                           (unsigned)(LL_TRACE_MAX_BYTES >> 20));
    else if (rc && (e == NULL || e->text[0] == '\0'))
        rc = ll_errmsg_set(e, rc, "reading events: %s", ll_strerror(rc));
    ll_free(w);
    ll_free(pos);
    ll_free(lens);
    return rc;
}

/* Does transform x name lot i on side out (1: outputs, 0: inputs)? */
static bool names_lot(const struct ll_trace *t, const struct ll_trace_event *x,
                      uint32_t i, bool out)
{
    const char *lot = t->lots[i].lot;
    size_t first = x->name_first + (out ? x->n_in : 0);
    size_t n = out ? x->n_out : x->n_in;
    for (size_t k = first; k < first + n; k++) {
        const struct ll_trace_name *nm = &t->names[k];
        if (memcmp(t->bytes.data + nm->off, lot, nm->len) == 0 &&
            lot[nm->len] == '\0')
            return true;
    }
    return false;
}

/* Follow transform x from lot i: add the lots on its other side. */
static int follow_one(struct ll_trace *t, uint32_t i, uint32_t x,
                      struct ll_errmsg *e)
{
    const struct ll_trace_event *te = &t->events[x];
    bool back = t->dir == LL_TRACE_BACKWARD;
    if (!names_lot(t, te, i, back))
        return 0; /* the lot is on this side: nothing to follow */
    size_t first = te->name_first + (back ? 0 : te->n_in);
    size_t n = back ? te->n_in : te->n_out;
    int rc = 0;
    for (size_t k = first; k < first + n && rc == 0; k++) {
        uint32_t other = 0;
        bool added = false;
        rc = find_or_add_lot(t, (const char *)t->bytes.data + t->names[k].off,
                             t->names[k].len, t->lots[i].depth + 1, &other,
                             &added, e);
        if (rc == 0)
            rc = back ? add_edge(t, other, i, x, e)
                      : add_edge(t, i, other, x, e);
    }
    return rc;
}

/* Follow lot i's transforms one step in the trace's direction. */
static int follow(struct ll_trace *t, uint32_t i, struct ll_errmsg *e)
{
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < t->lots[i].ev_count; k++) {
        uint32_t x = t->lot_events[t->lots[i].ev_first + k];
        if (t->events[x].transform)
            rc = follow_one(t, i, x, e);
    }
    return rc;
}

/*
 * Read lot i's state and, if it is within the depth, its whole log (each
 * new event listed once; fetch_events reads them).
 */
static int read_lot(struct ll_trace *t, const struct ll_ledger_snap *s,
                    uint32_t i, struct ll_errmsg *e)
{
    struct ll_trace_lot *l = &t->lots[i];
    struct walk w = {t, e, i, 0};
    l->ev_first = t->n_lot_events;
    l->expanded = l->depth <= t->max_depth;
    l->state_off = t->bytes.len;
    /* The state is appended first; log_cb appends nothing to t->bytes
     * (fetch_events reads the events later), so the state ends here. */
    int rc = ll_ledger_lot_log(s, l->key, &t->bytes,
                               l->expanded ? log_cb : NULL, &w);
    l->state_len = rc == 0 ? t->bytes.len - l->state_off : 0;
    if (w.rc != 0)
        return w.rc;
    if (rc == LL_ENOTFOUND && i == 0)
        return ll_errmsg_set(e, rc, "lot %s: not on this ledger", l->lot);
    if (rc == LL_ENOTFOUND)
        rc = LL_ECORRUPT; /* a committed transform names a missing lot */
    if (rc == LL_ETOOBIG)
        return ll_errmsg_set(e, rc,
                             "the trace holds more than %u MiB; ask for a "
                             "smaller depth",
                             (unsigned)(LL_TRACE_MAX_BYTES >> 20));
    if (rc)
        return ll_errmsg_set(e, rc, "lot %s: %s", l->lot, ll_strerror(rc));
    if (!l->expanded)
        t->frontier++;
    return 0;
}

/*
 * One level of the breadth-first walk, lots[lo..hi): their states and
 * logs, then the events new to the trace, then the transforms to follow
 * (which append the next level's lots, in the order a lot-by-lot walk
 * would).
 */
static int walk_level(struct ll_trace *t, const struct ll_ledger_snap *s,
                      uint32_t lo, uint32_t hi, struct ll_errmsg *e)
{
    size_t first = t->n_events;
    int rc = 0;
    for (uint32_t i = lo; rc == 0 && i < hi; i++)
        rc = read_lot(t, s, i, e);
    if (rc == 0 && t->n_events > first)
        rc = fetch_events(t, s, first, e);
    for (uint32_t i = lo; rc == 0 && i < hi; i++)
        if (t->lots[i].expanded)
            rc = follow(t, i, e);
    return rc;
}

int ll_trace_build(const struct ll_ledger_snap *s, const char *lot,
                   enum ll_trace_dir dir, uint32_t depth, struct ll_trace **out,
                   struct ll_errmsg *e)
{
    *out = NULL;
    int rc = ll_lotid_check(lot, e);
    if (rc)
        return rc;
    if (depth > LL_TRACE_MAX_DEPTH)
        return ll_errmsg_set(e, LL_EINVAL, "depth %u: at most %u", depth,
                             (unsigned)LL_TRACE_MAX_DEPTH);
    if (dir != LL_TRACE_BACKWARD && dir != LL_TRACE_FORWARD)
        return ll_errmsg_set(e, LL_EINVAL, "unknown trace direction");
    struct ll_trace *t = ll_calloc(1, sizeof(*t));
    if (t != NULL) {
        t->n_lot_slots = 64;
        t->n_ev_slots = 256;
        t->lot_slots = ll_reallocarray(NULL, 64, sizeof(*t->lot_slots));
        t->ev_slots = ll_calloc(256, sizeof(*t->ev_slots));
    }
    if (t == NULL || t->lot_slots == NULL || t->ev_slots == NULL) {
        ll_trace_free(t);
        return ll_errmsg_set(e, LL_ENOMEM, "out of memory");
    }
    memset(t->lot_slots, 0xff, t->n_lot_slots * sizeof(*t->lot_slots));
    t->dir = dir;
    t->max_depth = depth;
    ll_buf_init(&t->bytes, LL_TRACE_MAX_BYTES);
    ll_ledger_snap_tip(s, &t->tip);
    uint32_t root;
    bool added;
    rc = find_or_add_lot(t, lot, strlen(lot), 0, &root, &added, e);
    /* Breadth first, a level at a time: each level's lots are appended
     * while following the one before. */
    for (uint32_t lo = 0; rc == 0 && lo < t->n_lots;) {
        uint32_t hi = (uint32_t)t->n_lots;
        rc = walk_level(t, s, lo, hi, e);
        lo = hi;
    }
    if (rc) {
        ll_trace_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void ll_trace_event_id(const struct ll_trace *t, size_t i,
                       uint8_t id[static 32])
{
    const struct ll_trace_event *x = &t->events[i];
    size_t off = 0;
    size_t len = 0;
    bool ok = envelope(t->bytes.data + x->off, x->len, &off, &len);
    LL_ASSERT(ok); /* checked when the trace read the event */
    ll_event_id(id, t->bytes.data + x->off + off, len);
}

void ll_trace_free(struct ll_trace *t)
{
    if (t == NULL)
        return;
    ll_free(t->lots);
    ll_free(t->events);
    ll_free(t->lot_events);
    ll_free(t->edges);
    ll_free(t->names);
    ll_free(t->lot_slots);
    ll_free(t->ev_slots);
    ll_buf_free(&t->bytes);
    ll_free(t);
}

const char *ll_trace_dir_name(enum ll_trace_dir d)
{
    return d == LL_TRACE_FORWARD ? "forward" : "backward";
}

int ll_trace_dir_parse(enum ll_trace_dir *out, const char *s)
{
    if (strcmp(s, "backward") == 0)
        *out = LL_TRACE_BACKWARD;
    else if (strcmp(s, "forward") == 0)
        *out = LL_TRACE_FORWARD;
    else
        return LL_EINVAL;
    return 0;
}
