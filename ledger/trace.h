/* SPDX-License-Identifier: MIT */
/*
 * Trace queries: which lots went into a lot (backward) or where it went
 * (forward), as of one committed height.
 *
 * A trace starts at one lot (depth 0) and follows transforms: backward,
 * from a lot to the inputs of every transform that produced it; forward,
 * from a lot to the outputs of every transform that consumed it. Each lot
 * within the depth limit is "expanded": its whole event log is read, so
 * its custody (commission, ships, receives, holds, recalls) is part of the
 * trace. A lot one step beyond the limit is listed with its state but not
 * expanded; the trace is complete exactly when no such lot exists.
 *
 * Everything is read from one snapshot, so the result is one consistent
 * height. docs/trace.md describes the JSON and DOT renderings.
 */
#ifndef LL_TRACE_H
#define LL_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"
#include "ledger.h"

#define LL_TRACE_MAX_DEPTH     64
#define LL_TRACE_MAX_LOTS      4096
#define LL_TRACE_MAX_EVENTS    65536
#define LL_TRACE_MAX_BYTES     ((size_t)64 << 20) /* event and state bytes held */
#define LL_TRACE_DEFAULT_DEPTH 16

enum ll_trace_dir { LL_TRACE_BACKWARD = 0, LL_TRACE_FORWARD = 1 };

struct ll_trace_lot {
    char lot[LL_LOTID_MAX + 1];
    uint8_t key[32];  /* its state-map key, ll_lot_key(lot) */
    uint32_t depth;   /* transform steps from the starting lot */
    bool expanded;    /* its log was read (depth <= the limit) */
    size_t state_off; /* encoded LotState in bytes */
    size_t state_len;
    size_t ev_first; /* its events: lot_events[ev_first .. +ev_count] */
    size_t ev_count; /* in log order; 0 when not expanded */
};

struct ll_trace_event {
    uint64_t height;
    uint32_t index;
    size_t off; /* SignedEvent bytes in bytes */
    size_t len;
    bool transform; /* a transform (the only kind a trace follows) */
    /* private: a transform's lot ids, names[name_first .. +n_in +n_out) */
    uint32_t name_first;
    uint8_t n_in;  /* inputs (Event.lots), at most 64 */
    uint8_t n_out; /* outputs, at most 16 */
};

/* Where a lot id sits in ll_trace.bytes (not NUL-terminated). */
struct ll_trace_name {
    size_t off;
    size_t len; /* 1 .. LL_LOTID_MAX */
};

/* Material flows from lot `from` to lot `to` through transform `event`. */
struct ll_trace_edge {
    uint32_t from;
    uint32_t to;
    uint32_t event;
};

struct ll_trace {
    enum ll_trace_dir dir;
    uint32_t max_depth;
    struct ll_ledger_tip tip;  /* the height the trace is taken at */
    struct ll_trace_lot *lots; /* lots[0] is the starting lot */
    size_t n_lots;
    struct ll_trace_event *events; /* each event once, first-seen order */
    size_t n_events;
    uint32_t *lot_events; /* indexes into events, per lot */
    size_t n_lot_events;
    struct ll_trace_edge *edges;
    size_t n_edges;
    size_t frontier; /* lots listed but not expanded */
    struct ll_buf bytes;
    /* private */
    struct ll_trace_name *names; /* transforms' lot ids */
    size_t n_names;
    size_t cap_names;
    uint32_t *lot_slots; /* open addressing: lot index or UINT32_MAX */
    size_t n_lot_slots;  /* a power of two, at least twice n_lots */
    uint64_t *ev_slots;  /* event index + 1, or 0 */
    size_t n_ev_slots;   /* a power of two, at least twice n_events */
    size_t cap_lots;
    size_t cap_events;
    size_t cap_lot_events;
    size_t cap_edges;
};

/*
 * Trace lot from the snapshot's tip, up to depth transform steps
 * (0 .. LL_TRACE_MAX_DEPTH). Returns 0, LL_ENOTFOUND (no such lot),
 * LL_EINVAL (bad lot id or depth), LL_ETOOBIG (more than the limits
 * above; e names which), LL_ENOMEM, LL_ESTORE, LL_ECORRUPT.
 */
LL_NODISCARD int ll_trace_build(const struct ll_ledger_snap *s, const char *lot,
                                enum ll_trace_dir dir, uint32_t depth,
                                struct ll_trace **out, struct ll_errmsg *e)
    LL_NONNULL(1, 2, 5);
void ll_trace_free(struct ll_trace *t);

/*
 * The id of event i of a trace (its tagged hash, docs/events.md): traces
 * do not compute ids, the renderings do.
 * Out: id: 32 bytes. In: t, i < t->n_events.
 */
void ll_trace_event_id(const struct ll_trace *t, size_t i,
                       uint8_t id[static 32]) LL_NONNULL(1);

/* "backward" / "forward"; parse returns 0 or LL_EINVAL. */
const char *ll_trace_dir_name(enum ll_trace_dir d);
LL_NODISCARD int ll_trace_dir_parse(enum ll_trace_dir *out, const char *s)
    LL_NONNULL(1, 2);

/* The trace as JSON text (docs/trace.md). Returns 0, LL_ENOMEM, LL_ETOOBIG. */
LL_NODISCARD int ll_trace_json(const struct ll_trace *t, struct ll_buf *out)
    LL_NONNULL(1, 2);
/* The trace as a Graphviz digraph. Returns 0, LL_ENOMEM, LL_ETOOBIG. */
LL_NODISCARD int ll_trace_dot(const struct ll_trace *t, struct ll_buf *out)
    LL_NONNULL(1, 2);

#endif
