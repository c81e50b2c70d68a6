/* SPDX-License-Identifier: MIT */
/*
 * Trace queries (trace.h): a breadth-first walk over lots, reading each
 * expanded lot's event log from one snapshot. Lots and events are found
 * again through small open-addressing tables, so each event is read and
 * kept once however many traced lots it names.
 */
#include <string.h>

#include "event_json.h"
#include "internal.h"
#include "trace.h"

#define LOT_SLOTS ((size_t)2 * LL_TRACE_MAX_LOTS) /* power of two */
#define EV_SLOTS  ((size_t)2 * LL_TRACE_MAX_EVENTS)
#define NO_SLOT   UINT32_MAX

static uint32_t fnv(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s != '\0'; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
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

/* The index of lot in t (adding it at depth if new); NO_SLOT on error. */
static int find_or_add_lot(struct ll_trace *t, const char *lot, uint32_t depth,
                           uint32_t *idx, bool *added, struct ll_errmsg *e)
{
    uint32_t h = fnv(lot) & (uint32_t)(LOT_SLOTS - 1);
    *added = false;
    for (;; h = (h + 1) & (uint32_t)(LOT_SLOTS - 1)) {
        uint32_t v = t->lot_slots[h];
        if (v == NO_SLOT)
            break;
        if (strcmp(t->lots[v].lot, lot) == 0) {
            *idx = v;
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
    if (rc)
        return ll_errmsg_set(e, rc, "out of memory");
    struct ll_trace_lot *l = &t->lots[t->n_lots];
    memset(l, 0, sizeof(*l));
    (void)snprintf(l->lot, sizeof(l->lot), "%s", lot);
    l->depth = depth;
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

struct walk {
    struct ll_trace *t;
    const struct ll_ledger_snap *s;
    struct ll_errmsg *e;
    struct ll_signed_event *se; /* scratch */
    uint32_t lot;
    int rc;
};

/* Read the event at (height, index) into t once; its index in *idx. */
static int event_once(struct walk *w, uint64_t height, uint32_t index,
                      uint32_t *idx)
{
    struct ll_trace *t = w->t;
    uint64_t key = (height << 24) ^ index;
    uint32_t h = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 40) &
                 (uint32_t)(EV_SLOTS - 1);
    for (;; h = (h + 1) & (uint32_t)(EV_SLOTS - 1)) {
        uint64_t v = t->ev_slots[h];
        if (v == 0)
            break;
        const struct ll_trace_event *x = &t->events[v - 1];
        if (x->height == height && x->index == index) {
            *idx = (uint32_t)(v - 1);
            return 0;
        }
    }
    if (t->n_events >= LL_TRACE_MAX_EVENTS)
        return ll_errmsg_set(w->e, LL_ETOOBIG,
                             "the trace holds more than %u events; ask for a "
                             "smaller depth",
                             (unsigned)LL_TRACE_MAX_EVENTS);
    int rc = grow((void **)&t->events, &t->cap_events, t->n_events + 1,
                  sizeof(*t->events), LL_TRACE_MAX_EVENTS);
    if (rc)
        return ll_errmsg_set(w->e, rc, "out of memory");
    size_t off = t->bytes.len;
    rc = ll_ledger_event_at(w->s, height, index, &t->bytes);
    if (rc == LL_ETOOBIG)
        return ll_errmsg_set(w->e, rc,
                             "the trace holds more than %u MiB of events; "
                             "ask for a smaller depth",
                             (unsigned)(LL_TRACE_MAX_BYTES >> 20));
    if (rc == LL_ENOTFOUND)
        rc = LL_ECORRUPT; /* a lot log names an event that is not there */
    if (rc)
        return ll_errmsg_set(w->e, rc, "event at %llu/%u: %s",
                             (unsigned long long)height, index,
                             ll_strerror(rc));
    struct ll_trace_event *x = &t->events[t->n_events];
    x->height = height;
    x->index = index;
    x->off = off;
    x->len = t->bytes.len - off;
    lotledger_EventType type;
    rc = ll_signed_event_peek(t->bytes.data + off, x->len, x->id, &type);
    if (rc)
        return ll_errmsg_set(w->e, LL_ECORRUPT, "stored event %llu/%u: %s",
                             (unsigned long long)height, index,
                             ll_strerror(rc));
    x->transform = type == lotledger_EventType_TRANSFORM;
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

/* Follow transform event x from lot i: add the lots on its other side. */
static int follow_one(struct ll_trace *t, uint32_t i, uint32_t x,
                      struct ll_signed_event *se, struct ll_errmsg *e)
{
    const struct ll_trace_event *te = &t->events[x];
    bool back = t->dir == LL_TRACE_BACKWARD;
    int rc = ll_signed_event_decode(se, t->bytes.data + te->off, te->len, NULL);
    if (rc)
        return ll_errmsg_set(e, LL_ECORRUPT, "stored event %llu/%u: %s",
                             (unsigned long long)te->height, te->index,
                             ll_strerror(rc));
    const lotledger_Event *ev = &se->ev;
    const char *me = t->lots[i].lot;
    if (back ? !ll_ledger__names(ev->outputs, ev->outputs_count, me)
             : !ll_ledger__names(ev->lots, ev->lots_count, me))
        return 0; /* the lot is on this side: nothing to follow */
    const lotledger_LotQuantity *next = back ? ev->lots : ev->outputs;
    size_t nn = back ? ev->lots_count : ev->outputs_count;
    for (size_t j = 0; j < nn && rc == 0; j++) {
        uint32_t other = 0;
        bool added = false;
        rc = find_or_add_lot(t, next[j].lot, t->lots[i].depth + 1, &other,
                             &added, e);
        if (rc == 0)
            rc = back ? add_edge(t, other, i, x, e)
                      : add_edge(t, i, other, x, e);
    }
    return rc;
}

/* Follow lot i's transforms one step in the trace's direction. */
static int follow(struct ll_trace *t, uint32_t i, struct ll_signed_event *se,
                  struct ll_errmsg *e)
{
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < t->lots[i].ev_count; k++) {
        uint32_t x = t->lot_events[t->lots[i].ev_first + k];
        if (t->events[x].transform) /* known from the first decode */
            rc = follow_one(t, i, x, se, e);
    }
    return rc;
}

static int read_state(struct ll_trace *t, const struct ll_ledger_snap *s,
                      uint32_t i, struct ll_errmsg *e)
{
    struct ll_trace_lot *l = &t->lots[i];
    l->state_off = t->bytes.len;
    int rc = ll_ledger_lot_bytes(s, l->lot, &t->bytes);
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
    l->state_len = t->bytes.len - l->state_off;
    return 0;
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
    struct ll_signed_event *ev = ll_malloc(sizeof(*ev));
    if (t != NULL) {
        t->lot_slots = ll_malloc(LOT_SLOTS * sizeof(*t->lot_slots));
        t->ev_slots = ll_calloc(EV_SLOTS, sizeof(*t->ev_slots));
    }
    if (t == NULL || ev == NULL || t->lot_slots == NULL ||
        t->ev_slots == NULL) {
        ll_trace_free(t);
        ll_free(ev);
        return ll_errmsg_set(e, LL_ENOMEM, "out of memory");
    }
    memset(t->lot_slots, 0xff, LOT_SLOTS * sizeof(*t->lot_slots));
    t->dir = dir;
    t->max_depth = depth;
    ll_buf_init(&t->bytes, LL_TRACE_MAX_BYTES);
    ll_ledger_snap_tip(s, &t->tip);
    uint32_t root;
    bool added;
    rc = find_or_add_lot(t, lot, 0, &root, &added, e);
    /* Breadth first: lots are appended in order of discovery. */
    for (uint32_t i = 0; rc == 0 && i < t->n_lots; i++) {
        rc = read_state(t, s, i, e);
        if (rc || t->lots[i].depth > depth) {
            if (rc == 0)
                t->frontier++;
            continue;
        }
        t->lots[i].expanded = true;
        t->lots[i].ev_first = t->n_lot_events;
        struct walk w = {t, s, e, ev, i, 0};
        rc = ll_ledger_lot_events(s, t->lots[i].lot, log_cb, &w);
        if (rc && w.rc == 0)
            rc = ll_errmsg_set(e, rc, "lot %s: reading its log: %s",
                               t->lots[i].lot, ll_strerror(rc));
        if (rc == 0)
            rc = follow(t, i, ev, e);
    }
    ll_free(ev);
    if (rc) {
        ll_trace_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void ll_trace_free(struct ll_trace *t)
{
    if (t == NULL)
        return;
    ll_free(t->lots);
    ll_free(t->events);
    ll_free(t->lot_events);
    ll_free(t->edges);
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
