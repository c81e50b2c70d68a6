/* SPDX-License-Identifier: MIT */
/*
 * Trace queries on a real ledger: a farm's two harvest lots are packed
 * into one lot, which is split into two; backward and forward traces,
 * depth limits, the JSON and DOT renderings, and the limits.
 */
#include <jansson.h>

#include "../../ledger/event_json.h"
#include "../../ledger/store.h"
#include "trace_world.h"

static bool has_edge(const struct ll_trace *t, const char *from, const char *to)
{
    for (size_t i = 0; i < t->n_edges; i++)
        if (strcmp(t->lots[t->edges[i].from].lot, from) == 0 &&
            strcmp(t->lots[t->edges[i].to].lot, to) == 0)
            return true;
    return false;
}

static void test_backward(void)
{
    struct world w;
    world_build(&w);
    struct ll_trace *t = trace(&w, L_D, LL_TRACE_BACKWARD, 16);
    /* Breadth first: D, then C, then C's inputs in event order. */
    ASSERT_UEQ(t->n_lots, 4);
    ASSERT_STR_EQ(t->lots[0].lot, L_D);
    ASSERT_STR_EQ(t->lots[1].lot, L_C);
    ASSERT_STR_EQ(t->lots[2].lot, L_A);
    ASSERT_STR_EQ(t->lots[3].lot, L_B);
    ASSERT_UEQ(t->lots[2].depth, 2);
    ASSERT_UEQ(t->frontier, 0);
    ASSERT_UEQ(t->n_edges, 3);
    ASSERT_TRUE(has_edge(t, L_C, L_D));
    ASSERT_TRUE(has_edge(t, L_A, L_C));
    ASSERT_TRUE(has_edge(t, L_B, L_C));
    ASSERT_FALSE(has_edge(t, L_C, L_E)); /* a sibling, not a source */
    /* Each lot's whole log; each event once. */
    ASSERT_UEQ(t->lots[0].ev_count, 2); /* transform, ship */
    ASSERT_UEQ(t->lots[1].ev_count, 2); /* both transforms */
    ASSERT_UEQ(t->lots[2].ev_count, 4); /* commission ship receive transform */
    ASSERT_UEQ(t->n_events, 6);
    struct ll_ledger_tip tip;
    ll_ledger_tip(w.l, &tip);
    ASSERT_UEQ(t->tip.height, tip.height);
    ll_trace_free(t);
    world_free(&w);
}

static void test_forward(void)
{
    struct world w;
    world_build(&w);
    struct ll_trace *t = trace(&w, L_A, LL_TRACE_FORWARD, 16);
    ASSERT_UEQ(t->n_lots, 4); /* A, C, D, E: not B */
    ASSERT_STR_EQ(t->lots[1].lot, L_C);
    ASSERT_TRUE(has_edge(t, L_A, L_C));
    ASSERT_TRUE(has_edge(t, L_C, L_D));
    ASSERT_TRUE(has_edge(t, L_C, L_E));
    ASSERT_UEQ(t->n_edges, 3);
    for (size_t i = 0; i < t->n_lots; i++)
        ASSERT_TRUE(strcmp(t->lots[i].lot, L_B) != 0);
    ll_trace_free(t);
    /* A lot nothing was made from: just itself. */
    t = trace(&w, L_E, LL_TRACE_FORWARD, 16);
    ASSERT_UEQ(t->n_lots, 1);
    ASSERT_UEQ(t->n_edges, 0);
    ll_trace_free(t);
    world_free(&w);
}

static void test_depth_limit(void)
{
    struct world w;
    world_build(&w);
    struct ll_trace *t = trace(&w, L_D, LL_TRACE_BACKWARD, 0);
    ASSERT_UEQ(t->n_lots, 2);
    ASSERT_TRUE(t->lots[0].expanded);
    ASSERT_FALSE(t->lots[1].expanded); /* C: listed, not followed */
    ASSERT_UEQ(t->lots[1].ev_count, 0);
    ASSERT_UEQ(t->frontier, 1);
    ll_trace_free(t);
    t = trace(&w, L_D, LL_TRACE_BACKWARD, 1);
    ASSERT_UEQ(t->n_lots, 4);
    ASSERT_UEQ(t->frontier, 2);
    ll_trace_free(t);
    world_free(&w);
}

static void test_bad_requests(void)
{
    struct world w;
    struct ll_trace *t = NULL;
    struct ll_errmsg e = {{0}};
    world_build(&w);
    ASSERT_ERR(
        ll_trace_build(w.s, "tlc/fda/7/NOPE", LL_TRACE_BACKWARD, 4, &t, &e),
        LL_ENOTFOUND);
    ASSERT_TRUE(strstr(e.text, "tlc/fda/7/NOPE") != NULL);
    ASSERT_ERR(ll_trace_build(w.s, "not a lot", LL_TRACE_BACKWARD, 4, &t, &e),
               LL_EINVAL);
    ASSERT_ERR(ll_trace_build(w.s, L_D, LL_TRACE_BACKWARD,
                              LL_TRACE_MAX_DEPTH + 1, &t, &e),
               LL_EINVAL);
    ASSERT_TRUE(t == NULL);
    enum ll_trace_dir d;
    ASSERT_ERR(ll_trace_dir_parse(&d, "sideways"), LL_EINVAL);
    ASSERT_OK(ll_trace_dir_parse(&d, "forward"));
    ASSERT_EQ(d, LL_TRACE_FORWARD);
    world_free(&w);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_render(void)
{
    struct world w;
    world_build(&w);
    struct ll_trace *t = trace(&w, L_D, LL_TRACE_BACKWARD, 16);
    struct ll_buf b;
    ll_buf_init(&b, 1 << 24);
    ASSERT_OK(ll_trace_json(t, &b));
    json_error_t je;
    json_t *j = json_loadb((const char *)b.data, b.len, 0, &je);
    ASSERT_NOT_NULL(j);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "lot")), L_D);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "direction")),
                  "backward");
    ASSERT_TRUE(json_is_true(json_object_get(j, "complete")));
    ASSERT_UEQ(json_array_size(json_object_get(j, "lots")), 4);
    ASSERT_UEQ(json_array_size(json_object_get(j, "edges")), 3);
    json_t *events = json_object_get(j, "events");
    ASSERT_UEQ(json_array_size(events), 6);
    /* Each event's JSON form encodes back to the bytes its id covers. */
    lotledger_Event *ev = ll_malloc(sizeof(*ev));
    ASSERT_NOT_NULL(ev);
    for (size_t i = 0; i < json_array_size(events); i++) {
        json_t *x = json_array_get(events, i);
        struct ll_errmsg e = {{0}};
        struct ll_buf enc;
        uint8_t id[32];
        char hex[65];
        ll_buf_init(&enc, LL_EVENT_MAX_BYTES);
        ASSERT_OK(ll_event_from_json(ev, json_object_get(x, "event"), &e));
        ASSERT_OK(ll_event_encode(&enc, ev));
        ll_event_id(id, enc.data, enc.len);
        ASSERT_OK(ll_hex_encode(hex, sizeof(hex), id, 32));
        ASSERT_STR_EQ(json_string_value(json_object_get(x, "id")), hex);
        ll_buf_free(&enc);
    }
    ll_free(ev);
    json_t *lot0 = json_array_get(json_object_get(j, "lots"), 0);
    json_t *h = json_array_get(json_object_get(lot0, "holdings"), 0);
    ASSERT_TRUE(h == NULL); /* D is in transit to retail */
    ASSERT_EQ(json_integer_value(json_object_get(lot0, "in_transit")), 70000);
    json_decref(j);

    ll_buf_reset(&b);
    ASSERT_OK(ll_trace_dot(t, &b));
    ASSERT_OK(ll_buf_cstr(&b));
    const char *dot = (const char *)b.data;
    ASSERT_TRUE(strncmp(dot, "// lotledger backward trace", 27) == 0);
    ASSERT_TRUE(strstr(dot, "digraph trace {") != NULL);
    ASSERT_UEQ(count(dot, " -> "), 3);
    ASSERT_TRUE(strstr(dot, "\"" L_A "\" -> \"" L_C "\"") != NULL);
    ll_buf_free(&b);
    ll_trace_free(t);
    world_free(&w);
}

/* A fan-out past LL_TRACE_MAX_LOTS is refused with a clear error. */
static void test_too_many_lots(void)
{
    struct world w;
    struct ll_errmsg e = {{0}};
    struct ll_buf ev = {0};
    world_open(&w);
    /* Root R split 16 ways, each split 16 ways, each split 16 ways. */
    struct ll_block *b = fx_begin(w.l);
    lotledger_Event *x = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(x, "tlc/fda/7/R", 4096000, "KGM");
    fx_sign(&ev, NULL, x, FX_FARM);
    fx_add(b, &ev);
    char parent[64];
    char child[64];
    for (int level = 0; level < 3; level++) {
        int parents = level == 0 ? 1 : level == 1 ? 16 : 256;
        uint64_t each = 4096000 / ((uint64_t)parents * 16);
        for (int p = 0; p < parents; p++) {
            if (level == 0)
                (void)snprintf(parent, sizeof(parent), "tlc/fda/7/R");
            else
                (void)snprintf(parent, sizeof(parent), "tlc/fda/7/L%d-%d",
                               level, p);
            x = fx_event(lotledger_EventType_TRANSFORM, FX_FARM);
            fx_lot(x, parent, each * 16, "KGM");
            for (int c = 0; c < 16; c++) {
                (void)snprintf(child, sizeof(child), "tlc/fda/7/L%d-%d",
                               level + 1, p * 16 + c);
                fx_output(x, child, each, "KGM");
            }
            fx_sign(&ev, NULL, x, FX_FARM);
            fx_add(b, &ev);
        }
    }
    fx_commit(w.l, b);
    ll_buf_free(&ev);
    ASSERT_OK(ll_ledger_snap_open(w.l, &w.s));
    struct ll_trace *t = NULL;
    /* Depth 2 and more would list 1 + 16 + 256 + 4096 lots: refused. */
    ASSERT_ERR(ll_trace_build(w.s, "tlc/fda/7/R", LL_TRACE_FORWARD, 2, &t, &e),
               LL_ETOOBIG);
    ASSERT_TRUE(strstr(e.text, "4096 lots") != NULL);
    ASSERT_TRUE(t == NULL);
    t = trace(&w, "tlc/fda/7/R", LL_TRACE_FORWARD, 1);
    ASSERT_UEQ(t->n_lots, 1 + 16 + 256);
    ASSERT_UEQ(t->frontier, 256);
    ll_trace_free(t);
    world_free(&w);
}

struct positions {
    uint64_t height[64];
    uint32_t index[64];
    size_t n;
};

static int position_cb(void *arg, uint64_t seq, uint64_t height, uint32_t index)
{
    struct positions *p = arg;
    if (seq != p->n || p->n >= LL_ARRAY_LEN(p->height))
        return LL_EINVAL;
    p->height[p->n] = height;
    p->index[p->n++] = index;
    return 0;
}

/*
 * A log longer than the ledger reads by point lookups (16) is read by a
 * scan, a short one by lookups: both give the whole log in order, the
 * same as ll_ledger_lot_events, and ids computed on demand are the
 * events' ids.
 */
static void test_long_log(void)
{
    struct world w;
    struct ll_buf ev = {0};
    world_open(&w);
    for (int blk = 0; blk < 2; blk++) {
        struct ll_block *b = fx_begin(w.l);
        lotledger_Event *x;
        if (blk == 0) {
            x = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
            fx_lot(x, L_A, 1000, "KGM");
            fx_lot(x, L_B, 1000, "KGM");
            fx_sign(&ev, NULL, x, FX_FARM);
            fx_add(b, &ev);
        }
        for (int i = 0; i < 12; i++) {
            x = fx_event(lotledger_EventType_OBSERVE, FX_FARM);
            fx_lot(x, L_A, 0, "");
            x->event_time += 1000 * (12 * blk + i);
            fx_sign(&ev, NULL, x, FX_FARM);
            fx_add(b, &ev);
        }
        if (blk == 1) {
            x = fx_event(lotledger_EventType_TRANSFORM, FX_FARM);
            fx_lot(x, L_A, 1000, "KGM");
            fx_lot(x, L_B, 1000, "KGM");
            fx_output(x, L_C, 2000, "KGM");
            fx_sign(&ev, NULL, x, FX_FARM);
            fx_add(b, &ev);
        }
        fx_commit(w.l, b);
    }
    ll_buf_free(&ev);
    ASSERT_OK(ll_ledger_snap_open(w.l, &w.s));
    struct ll_trace *t = trace(&w, L_C, LL_TRACE_BACKWARD, 16);
    ASSERT_UEQ(t->n_lots, 3);
    ASSERT_STR_EQ(t->lots[1].lot, L_A);
    ASSERT_UEQ(t->lots[1].ev_count, 26); /* commission, 24 observe, transform */
    ASSERT_UEQ(t->lots[2].ev_count, 2);  /* commission, transform */
    ASSERT_UEQ(t->n_events, 26);
    for (size_t i = 1; i < 3; i++) {
        struct positions p = {.n = 0};
        const struct ll_trace_lot *l = &t->lots[i];
        ASSERT_OK(ll_ledger_lot_events(w.s, l->lot, position_cb, &p));
        ASSERT_UEQ(p.n, l->ev_count);
        for (size_t k = 0; k < p.n; k++) {
            const struct ll_trace_event *x =
                &t->events[t->lot_events[l->ev_first + k]];
            ASSERT_UEQ(x->height, p.height[k]);
            ASSERT_UEQ(x->index, p.index[k]);
        }
    }
    for (size_t i = 0; i < t->n_events; i++) {
        struct ll_signed_event se;
        uint8_t id[32];
        const struct ll_trace_event *x = &t->events[i];
        ASSERT_OK(
            ll_signed_event_decode(&se, t->bytes.data + x->off, x->len, NULL));
        ll_trace_event_id(t, i, id);
        ASSERT_MEM_EQ(id, se.id, 32);
        ASSERT_TRUE(x->transform ==
                    (se.ev.type == lotledger_EventType_TRANSFORM));
    }
    ll_trace_free(t);
    world_free(&w);
}

/*
 * Events read by position in one call: lookups for lone events, one scan
 * for neighbours in a block; the same bytes as one lookup each.
 */
static void test_events_at(void)
{
    struct world w;
    world_build(&w); /* block 1: 2 events, block 2: 4 */
    static const struct ll_ledger_pos pos[] = {{1, 1}, {2, 0}, {2, 2}, {2, 3}};
    struct ll_buf out;
    struct ll_buf one;
    size_t lens[LL_ARRAY_LEN(pos)];
    ll_buf_init(&out, 1 << 20);
    ll_buf_init(&one, 1 << 20);
    ASSERT_OK(ll_ledger_events_at(w.s, pos, LL_ARRAY_LEN(pos), &out, lens));
    size_t off = 0;
    for (size_t i = 0; i < LL_ARRAY_LEN(pos); i++) {
        ll_buf_reset(&one);
        ASSERT_OK(ll_ledger_event_at(w.s, pos[i].height, pos[i].index, &one));
        ASSERT_UEQ(lens[i], one.len);
        ASSERT_MEM_EQ(out.data + off, one.data, one.len);
        off += lens[i];
    }
    ASSERT_UEQ(off, out.len);
    /* A missing event, alone or at the end of a run; an unsorted list. */
    static const struct ll_ledger_pos gone[] = {{2, 3}, {2, 9}};
    static const struct ll_ledger_pos lone[] = {{1, 0}, {7, 0}};
    static const struct ll_ledger_pos back[] = {{2, 1}, {2, 1}};
    ASSERT_ERR(ll_ledger_events_at(w.s, gone, 2, &out, lens), LL_ENOTFOUND);
    ASSERT_ERR(ll_ledger_events_at(w.s, lone, 2, &out, lens), LL_ENOTFOUND);
    ASSERT_ERR(ll_ledger_events_at(w.s, back, 2, &out, lens), LL_EINVAL);
    ll_buf_free(&out);
    ll_buf_free(&one);
    world_free(&w);
}

/*
 * Stored bytes are hostile: an event garbled or cut short (the transform
 * C -> D, E at 2/2), a log entry or a log length gone wrong, and the trace
 * fails with LL_ECORRUPT instead of answering.
 */
static void test_corrupt_store(void)
{
    uint8_t ev_key[13] = {'e'};
    uint8_t log_key[41] = {'l'};
    uint8_t lot_key[33] = {'L'};
    uint8_t short_lot[6] = {0, 2, 0x0a, 0, 1, 0}; /* a 3-byte frontier */
    ll_store_be64(ev_key + 1, 2);
    ll_store_be32(ev_key + 9, 2);
    ll_lot_key(log_key + 1, L_C);
    ll_store_be64(log_key + 33, 0);
    ll_lot_key(lot_key + 1, L_C);
    const struct {
        const char *what;
        const uint8_t *key;
        size_t klen;
        const char *val; /* NULL: deleted; "=n": the event cut to n bytes */
        size_t vlen;
        const char *word;
    } cases[] = {
        {"event garbled", ev_key, 13, "junk", 4, "stored event 2/2"},
        {"event cut short", ev_key, 13, "=40", 0, "stored event 2/2"},
        {"log entry gone", log_key, 41, NULL, 0, L_C},
        {"log entry too long", log_key, 41, "0123456789abc", 13, L_C},
        {"frontier cut short", lot_key, 33, (const char *)short_lot, 6, L_C},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        struct world w;
        struct ll_errmsg e = {{0}};
        struct ll_buf b;
        struct ll_store *st = NULL;
        struct ll_store_batch *wb = NULL;
        world_build(&w);
        ll_buf_init(&b, 1 << 16);
        ASSERT_OK(ll_ledger_event_at(w.s, 2, 2, &b));
        ll_ledger_snap_close(w.s);
        ll_ledger_close(w.l);
        ASSERT_OK(ll_store_open(&st, w.dir, false, 0, NULL));
        ASSERT_OK(ll_store_batch_new(&wb));
        const char *val = cases[i].val;
        if (val == NULL)
            ll_store_batch_del(wb, cases[i].key, cases[i].klen);
        else if (val[0] == '=')
            ll_store_batch_put(wb, cases[i].key, cases[i].klen, b.data,
                               (size_t)strtoul(val + 1, NULL, 10));
        else
            ll_store_batch_put(wb, cases[i].key, cases[i].klen, val,
                               cases[i].vlen);
        ASSERT_OK(ll_store_write(st, wb, true));
        ll_store_batch_free(wb);
        ll_store_close(st);
        ll_buf_free(&b);
        ASSERT_OK(ll_ledger_open(&w.l, w.dir, w.g, &e));
        ASSERT_OK(ll_ledger_snap_open(w.l, &w.s));
        struct ll_trace *t = NULL;
        int rc = ll_trace_build(w.s, L_D, LL_TRACE_BACKWARD, 16, &t, &e);
        if (rc != LL_ECORRUPT || strstr(e.text, cases[i].word) == NULL)
            ll_test_fail(__FILE__, __LINE__, "%s: got %s '%s'", cases[i].what,
                         ll_err_name(rc), e.text);
        ASSERT_TRUE(t == NULL);
        world_free(&w);
    }
}

static const struct ll_test tests[] = {
    {"backward", test_backward},
    {"forward", test_forward},
    {"depth_limit", test_depth_limit},
    {"bad_requests", test_bad_requests},
    {"render", test_render},
    {"too_many_lots", test_too_many_lots},
    {"long_log", test_long_log},
    {"events_at", test_events_at},
    {"corrupt_store", test_corrupt_store},
};

int main(int argc, char **argv)
{
    fx_keys_init();
    return ll_test_main(tests, LL_ARRAY_LEN(tests), argc, argv);
}
