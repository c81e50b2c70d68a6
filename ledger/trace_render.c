/* SPDX-License-Identifier: MIT */
/*
 * Renderings of a trace (docs/trace.md): JSON for programs and the CLI's
 * table, and a Graphviz digraph of lots joined by transforms.
 */
#include <jansson.h>
#include <string.h>

#include "event_json.h"
#include "internal.h"
#include "trace.h"

static const char *const status_names[] = {"active", "held", "recalled"};

static const char *status_name(lotledger_LotStatus s)
{
    return (unsigned)s < LL_ARRAY_LEN(status_names) ? status_names[s]
                                                    : "unknown";
}

static json_t *hex(const uint8_t *p, size_t n)
{
    char h[65];
    if (n > 32 || ll_hex_encode(h, sizeof(h), p, n) != 0)
        return json_null();
    return json_string(h);
}

static int state_of(const struct ll_trace *t, const struct ll_trace_lot *l,
                    lotledger_LotState *st)
{
    return ll_ledger__pb_decode(lotledger_LotState_fields, st, sizeof(*st),
                                t->bytes.data + l->state_off, l->state_len,
                                "lot state", NULL);
}

static json_t *lot_json(const struct ll_trace *t, const struct ll_trace_lot *l,
                        const lotledger_LotState *st)
{
    json_t *o = json_object();
    json_t *h = json_array();
    json_t *ev = json_array();
    (void)json_object_set_new(o, "lot", json_string(l->lot));
    (void)json_object_set_new(o, "depth", json_integer(l->depth));
    (void)json_object_set_new(o, "expanded", json_boolean(l->expanded));
    (void)json_object_set_new(o, "status",
                              json_string(status_name(st->status)));
    if (st->status_by[0] != '\0')
        (void)json_object_set_new(o, "status_by", json_string(st->status_by));
    (void)json_object_set_new(o, "originator", json_string(st->originator));
    (void)json_object_set_new(o, "uom", json_string(st->uom));
    if (st->has_master && st->master.product[0] != '\0')
        (void)json_object_set_new(o, "product",
                                  json_string(st->master.product));
    (void)json_object_set_new(o, "created_height",
                              json_integer((json_int_t)st->created_height));
    (void)json_object_set_new(o, "log_size",
                              json_integer((json_int_t)st->events));
    (void)json_object_set_new(o, "log_root",
                              hex(st->log_root.bytes, st->log_root.size));
    for (size_t i = 0; i < st->holdings_count; i++) {
        json_t *x = json_object();
        (void)json_object_set_new(x, "org", json_string(st->holdings[i].org));
        (void)json_object_set_new(
            x, "quantity", json_integer((json_int_t)st->holdings[i].quantity));
        (void)json_array_append_new(h, x);
    }
    (void)json_object_set_new(o, "holdings", h);
    uint64_t in_transit = 0;
    json_t *pend = json_array();
    for (size_t i = 0; i < st->pending_count; i++) {
        const lotledger_Pending *pe = &st->pending[i];
        json_t *x = json_object();
        in_transit += pe->quantity;
        (void)json_object_set_new(x, "ship",
                                  hex(pe->ship.bytes, pe->ship.size));
        (void)json_object_set_new(x, "from", json_string(pe->from));
        (void)json_object_set_new(x, "to", json_string(pe->to));
        (void)json_object_set_new(x, "quantity",
                                  json_integer((json_int_t)pe->quantity));
        (void)json_array_append_new(pend, x);
    }
    (void)json_object_set_new(o, "in_transit",
                              json_integer((json_int_t)in_transit));
    (void)json_object_set_new(o, "pending", pend);
    for (size_t k = 0; k < l->ev_count; k++) {
        uint8_t id[32];
        ll_trace_event_id(t, t->lot_events[l->ev_first + k], id);
        (void)json_array_append_new(ev, hex(id, 32));
    }
    (void)json_object_set_new(o, "events", ev);
    return o;
}

/*
 * Append j's compact text to out. LL_ENOMEM also when an allocation failed
 * since the count was failures: the tree may then be missing parts.
 */
static int dump_json(const json_t *j, uint64_t failures, struct ll_buf *out)
{
    if (ll_alloc_failures() != failures)
        return LL_ENOMEM;
    size_t need = json_dumpb(j, NULL, 0, JSON_COMPACT);
    char *text = need > 0 ? ll_malloc(need) : NULL;
    int rc;
    if (text == NULL || json_dumpb(j, text, need, JSON_COMPACT) != need)
        rc = LL_ENOMEM;
    else
        rc = ll_buf_append(out, text, need);
    ll_free(text);
    return rc;
}

int ll_trace_json(const struct ll_trace *t, struct ll_buf *out)
{
    /* jansson's errors are not checked one by one below: an allocation that
     * failed while the tree was built (the count moved) makes the answer
     * out of memory instead of a trace with parts missing. */
    uint64_t failures = ll_alloc_failures();
    lotledger_LotState *st = ll_malloc(sizeof(*st));
    struct ll_signed_event *se = ll_malloc(sizeof(*se));
    json_t *j = json_object();
    json_t *lots = json_array();
    json_t *events = json_array();
    json_t *edges = json_array();
    int rc = st == NULL || se == NULL || j == NULL ? LL_ENOMEM : 0;
    char when[40] = "";
    if (rc == 0) {
        (void)json_object_set_new(j, "lot", json_string(t->lots[0].lot));
        (void)json_object_set_new(j, "direction",
                                  json_string(ll_trace_dir_name(t->dir)));
        (void)json_object_set_new(j, "depth", json_integer(t->max_depth));
        (void)json_object_set_new(j, "height",
                                  json_integer((json_int_t)t->tip.height));
        (void)json_object_set_new(j, "block", hex(t->tip.hash, 32));
        (void)json_object_set_new(j, "state_root", hex(t->tip.state_root, 32));
        (void)json_object_set_new(j, "complete",
                                  json_boolean(t->frontier == 0));
    }
    for (size_t i = 0; rc == 0 && i < t->n_lots; i++) {
        rc = state_of(t, &t->lots[i], st);
        if (rc == 0)
            (void)json_array_append_new(lots, lot_json(t, &t->lots[i], st));
    }
    for (size_t i = 0; rc == 0 && i < t->n_events; i++) {
        const struct ll_trace_event *x = &t->events[i];
        rc = ll_signed_event_decode(se, t->bytes.data + x->off, x->len, NULL);
        if (rc)
            break;
        json_t *o = json_object();
        (void)json_object_set_new(o, "id", hex(se->id, 32));
        (void)json_object_set_new(o, "height",
                                  json_integer((json_int_t)x->height));
        (void)json_object_set_new(o, "index", json_integer(x->index));
        if (ll_time_format(when, sizeof(when), se->ev.event_time,
                           se->ev.tz_offset) == 0)
            (void)json_object_set_new(o, "time", json_string(when));
        (void)json_object_set_new(o, "event", ll_event_to_json(&se->ev));
        (void)json_array_append_new(events, o);
    }
    for (size_t i = 0; rc == 0 && i < t->n_edges; i++) {
        const struct ll_trace_edge *x = &t->edges[i];
        json_t *o = json_object();
        uint8_t id[32];
        ll_trace_event_id(t, x->event, id);
        (void)json_object_set_new(o, "from", json_string(t->lots[x->from].lot));
        (void)json_object_set_new(o, "to", json_string(t->lots[x->to].lot));
        (void)json_object_set_new(o, "event", hex(id, 32));
        (void)json_array_append_new(edges, o);
    }
    if (rc == 0) {
        (void)json_object_set(j, "lots", lots);
        (void)json_object_set(j, "events", events);
        (void)json_object_set(j, "edges", edges);
        rc = dump_json(j, failures, out);
    }
    json_decref(lots);
    json_decref(events);
    json_decref(edges);
    json_decref(j);
    ll_free(st);
    ll_free(se);
    return rc;
}

/* A DOT string literal: quotes and backslashes escaped, newlines as \n. */
static int dot_str(struct ll_buf *b, const char *s)
{
    int rc = ll_buf_append_byte(b, '"');
    for (; rc == 0 && *s != '\0'; s++) {
        uint8_t ch = (uint8_t)*s;
        if (ch == '\n') {
            rc = ll_buf_append(b, "\\n", 2);
            continue;
        }
        if (ch == '"' || ch == '\\')
            rc = ll_buf_append_byte(b, '\\');
        if (rc == 0)
            rc = ll_buf_append_byte(b, ch >= 0x20 ? ch : ' ');
    }
    return rc == 0 ? ll_buf_append_byte(b, '"') : rc;
}

/* One statement: `  "a" -> "b" [label="..."attrs];` or `  "a" [...]`. */
static int dot_stmt(struct ll_buf *out, const char *a, const char *b,
                    const char *label, const char *attrs)
{
    int rc = ll_buf_append(out, "  ", 2);
    if (rc == 0)
        rc = dot_str(out, a);
    if (rc == 0 && b != NULL)
        rc = ll_buf_append(out, " -> ", 4);
    if (rc == 0 && b != NULL)
        rc = dot_str(out, b);
    if (rc == 0)
        rc = ll_buf_append(out, " [label=", 8);
    if (rc == 0)
        rc = dot_str(out, label);
    if (rc == 0)
        rc = ll_buf_printf(out, "%s%s];\n", attrs[0] ? ", " : "", attrs);
    return rc;
}

static int dot_lot(const struct ll_trace *t, size_t i, lotledger_LotState *st,
                   struct ll_buf *out)
{
    const struct ll_trace_lot *l = &t->lots[i];
    char label[512];
    int rc = state_of(t, l, st);
    if (rc)
        return rc;
    (void)snprintf(label, sizeof(label), "%s\n%s\n%s", l->lot,
                   st->has_master ? st->master.product : "",
                   status_name(st->status));
    const char *attrs =
        st->status == lotledger_LotStatus_RECALLED ? "color=red, fontcolor=red"
        : st->status == lotledger_LotStatus_HELD   ? "color=orange"
        : !l->expanded                             ? "style=dashed"
                                                   : "";
    char both[64];
    if (i == 0)
        (void)snprintf(both, sizeof(both), "%s%spenwidth=2", attrs,
                       attrs[0] ? ", " : "");
    return dot_stmt(out, l->lot, NULL, label, i == 0 ? both : attrs);
}

static int dot_edge(const struct ll_trace *t, const struct ll_trace_edge *x,
                    struct ll_signed_event *se, struct ll_buf *out)
{
    const struct ll_trace_event *te = &t->events[x->event];
    char when[40] = "";
    char label[200];
    int rc = ll_signed_event_decode(se, t->bytes.data + te->off, te->len, NULL);
    if (rc)
        return rc;
    if (ll_time_format(when, sizeof(when), se->ev.event_time,
                       se->ev.tz_offset) != 0)
        when[0] = '\0';
    (void)snprintf(label, sizeof(label), "transform by %s %.10s", se->ev.org,
                   when);
    return dot_stmt(out, t->lots[x->from].lot, t->lots[x->to].lot, label, "");
}

int ll_trace_dot(const struct ll_trace *t, struct ll_buf *out)
{
    lotledger_LotState *st = ll_malloc(sizeof(*st));
    struct ll_signed_event *se = ll_malloc(sizeof(*se));
    int rc = st == NULL || se == NULL ? LL_ENOMEM : 0;
    if (rc == 0)
        rc = ll_buf_printf(out,
                           "// lotledger %s trace of %s at height %llu%s\n"
                           "digraph trace {\n  rankdir=LR;\n"
                           "  node [shape=box, fontname=\"Helvetica\"];\n",
                           ll_trace_dir_name(t->dir), t->lots[0].lot,
                           (unsigned long long)t->tip.height,
                           t->frontier == 0 ? "" : " (depth-limited)");
    for (size_t i = 0; rc == 0 && i < t->n_lots; i++)
        rc = dot_lot(t, i, st, out);
    for (size_t i = 0; rc == 0 && i < t->n_edges; i++)
        rc = dot_edge(t, &t->edges[i], se, out);
    if (rc == 0)
        rc = ll_buf_printf(out, "}\n");
    ll_free(st);
    ll_free(se);
    return rc;
}
