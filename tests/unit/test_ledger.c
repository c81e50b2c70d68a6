/* SPDX-License-Identifier: MIT */
/*
 * Ledger tests on a real LevelDB store in a temporary directory: a supply
 * chain committed block by block, one case per custody rule (each checked
 * to change nothing), restart, quorum, chain verification and corruption
 * detection.
 */
#include <dirent.h>
#include <pthread.h>

#include "../../ledger/internal.h"
#include "../../ledger/store.h"
#include "ledger_fixture.h"

struct world {
    char dir[512];
    struct ll_genesis *g;
    struct ll_ledger *l;
    uint8_t ship1[32]; /* farm -> packer, lot A */
};

static void world_open(struct world *w)
{
    struct ll_errmsg e = {{0}};
    int rc = ll_ledger_open(&w->l, w->dir, w->g, &e);
    if (rc)
        ll_test_fail(__FILE__, __LINE__, "open: %s", e.text);
}

static void world_init(struct world *w)
{
    memset(w, 0, sizeof(*w));
    ll_test_tmpdir(w->dir, sizeof(w->dir));
    w->g = fx_genesis();
    world_open(w);
}

static void world_free(struct world *w)
{
    ll_ledger_close(w->l);
    ll_test_rmrf(w->dir);
    ll_free(w->g);
}

/*
 * Blocks 1-4: the farm commissions A (1000 KGM) and B (500 KGM), ships
 * 600 KGM of A to the packer, the packer receives 590 KGM, then transforms
 * 590 KGM of A into 400 KGM of lot C.
 */
static void world_story(struct world *w)
{
    struct ll_buf ev = {0};
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(e, FX_LOT_A, 1000000, "KGM");
    fx_lot(e, FX_LOT_B, 500000, "KGM");
    e->has_master = true;
    (void)snprintf(e->master.product, sizeof(e->master.product), "Romaine");
    fx_sign(&ev, NULL, e, FX_FARM);
    struct ll_block *b = fx_begin(w->l);
    fx_add(b, &ev);
    fx_commit(w->l, b);

    e = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(e, FX_LOT_A, 600000, "KGM");
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "packer");
    fx_sign(&ev, w->ship1, e, FX_FARM);
    b = fx_begin(w->l);
    fx_add(b, &ev);
    fx_commit(w->l, b);

    e = fx_event(lotledger_EventType_RECEIVE, FX_PACKER);
    fx_lot(e, FX_LOT_A, 590000, "KGM");
    e->ref.size = 32;
    memcpy(e->ref.bytes, w->ship1, 32);
    fx_sign(&ev, NULL, e, FX_PACKER);
    b = fx_begin(w->l);
    fx_add(b, &ev);
    fx_commit(w->l, b);

    e = fx_event(lotledger_EventType_TRANSFORM, FX_PACKER);
    fx_lot(e, FX_LOT_A, 590000, "KGM");
    fx_output(e, FX_LOT_C, 400000, "KGM");
    fx_sign(&ev, NULL, e, FX_PACKER);
    b = fx_begin(w->l);
    fx_add(b, &ev);
    fx_commit(w->l, b);
    ll_buf_free(&ev);
}

static void lot_state(struct world *w, const char *lot, lotledger_LotState *st)
{
    struct ll_ledger_snap *s = NULL;
    ASSERT_OK(ll_ledger_snap_open(w->l, &s));
    ASSERT_OK(ll_ledger_lot(s, lot, st));
    ll_ledger_snap_close(s);
}

static int count_cb(void *arg, uint64_t seq, uint64_t height, uint32_t index)
{
    uint64_t *n = arg;
    (void)height;
    (void)index;
    ASSERT_UEQ(seq, *n);
    (*n)++;
    return 0;
}

static void test_story(void)
{
    struct world w;
    world_init(&w);
    struct ll_ledger_tip tip;
    ll_ledger_tip(w.l, &tip);
    ASSERT_UEQ(tip.height, 0);
    ASSERT_MEM_EQ(tip.hash, w.g->hash, 32);
    world_story(&w);
    ll_ledger_tip(w.l, &tip);
    ASSERT_UEQ(tip.height, 4);

    lotledger_LotState *st = ll_malloc(sizeof(*st));
    ASSERT_NOT_NULL(st);
    lot_state(&w, FX_LOT_A, st);
    ASSERT_STR_EQ(st->originator, "farm");
    ASSERT_UEQ(ll_lot_held(st, "farm"), 400000);
    ASSERT_UEQ(ll_lot_held(st, "packer"), 0); /* all transformed */
    ASSERT_UEQ(st->pending_count, 0);
    ASSERT_UEQ(st->discrepancies, 1); /* 600 shipped, 590 received */
    ASSERT_UEQ(st->events, 4);        /* commission, ship, receive, transform */
    ASSERT_STR_EQ(st->master.product, "Romaine");
    lot_state(&w, FX_LOT_C, st);
    ASSERT_STR_EQ(st->originator, "packer");
    ASSERT_UEQ(ll_lot_held(st, "packer"), 400000);
    ASSERT_UEQ(st->events, 1);
    ASSERT_UEQ(st->created_height, 4);
    lot_state(&w, FX_LOT_B, st);
    ASSERT_UEQ(st->events, 1);
    ASSERT_UEQ(ll_lot_held(st, "farm"), 500000);

    /* The lot's event list, the event index and the blocks. */
    struct ll_ledger_snap *s = NULL;
    ASSERT_OK(ll_ledger_snap_open(w.l, &s));
    uint64_t n = 0;
    ASSERT_OK(ll_ledger_lot_events(s, FX_LOT_A, count_cb, &n));
    ASSERT_UEQ(n, 4);
    struct ll_buf b;
    ll_buf_init(&b, LL_EVENT_MAX_BYTES);
    uint64_t h = 0;
    uint32_t i = 9;
    ASSERT_OK(ll_ledger_event(s, w.ship1, &b, &h, &i));
    ASSERT_UEQ(h, 2);
    ASSERT_UEQ(i, 0);
    uint8_t nope[32] = {1};
    ASSERT_ERR(ll_ledger_event(s, nope, &b, &h, &i), LL_ENOTFOUND);
    struct ll_header hd;
    struct ll_commit *c = ll_malloc(sizeof(*c));
    ASSERT_NOT_NULL(c);
    ASSERT_OK(ll_ledger_block(s, 4, &hd, c));
    ASSERT_UEQ(hd.n_events, 1);
    ASSERT_MEM_EQ(hd.state_root, tip.state_root, 32);
    ASSERT_OK(ll_commit_verify(&hd, c, ll_ledger_valset(w.l), NULL));
    ASSERT_ERR(ll_ledger_block(s, 5, &hd, c), LL_ENOTFOUND);
    ll_ledger_snap_close(s);

    struct ll_verify_report r;
    struct ll_errmsg e = {{0}};
    int rc = ll_ledger_verify(w.l, &r, &e);
    if (rc)
        ll_test_fail(__FILE__, __LINE__, "verify: %s", e.text);
    ASSERT_UEQ(r.height, 4);
    ASSERT_UEQ(r.events, 4);
    ASSERT_UEQ(r.lots, 3);
    ASSERT_UEQ(r.orgs, FX_N);
    ll_free(c);
    ll_free(st);
    ll_buf_free(&b);
    world_free(&w);
}

/* ---- one case per rule ------------------------------------------------------
 */

/*
 * A case: optional setup events (accepted), then the event under test with
 * the code it must get and a word its message must contain.
 */
struct rule_case {
    const char *name;
    int want;
    const char *word;
    /* Builds the setup events (into setup[], returns how many) and the
     * event under test (into bad). */
    size_t (*build)(struct world *w, struct ll_buf setup[2],
                    struct ll_buf *bad);
};

static size_t c_valid(struct world *w, struct ll_buf setup[2],
                      struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(e, FX_LOT_B, 100000, "KGM");
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "retail");
    fx_sign(bad, NULL, e, FX_FARM);
    return 0;
}

static size_t c_replay(struct world *w, struct ll_buf setup[2],
                       struct ll_buf *bad)
{
    (void)setup;
    struct ll_ledger_snap *s = NULL;
    ASSERT_OK(ll_ledger_snap_open(w->l, &s));
    ll_buf_init(bad, LL_EVENT_MAX_BYTES);
    ASSERT_OK(ll_ledger_event(s, w->ship1, bad, NULL, NULL));
    ll_ledger_snap_close(s);
    return 0;
}

static size_t c_replay_in_block(struct world *w, struct ll_buf setup[2],
                                struct ll_buf *bad)
{
    c_valid(w, setup, &setup[0]);
    ll_buf_init(bad, LL_EVENT_MAX_BYTES);
    ASSERT_OK(ll_buf_append(bad, setup[0].data, setup[0].len));
    return 1;
}

static size_t c_unknown_org(struct world *w, struct ll_buf setup[2],
                            struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    (void)snprintf(e->org, sizeof(e->org), "ghost");
    fx_lot(e, "01/00614141777778/10/G", 1000, "KGM");
    fx_sign(bad, NULL, e, FX_FARM);
    return 0;
}

static size_t c_wrong_key(struct world *w, struct ll_buf setup[2],
                          struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    ll_keyid(e->key_id.bytes, fx_keys[FX_PACKER].pk);
    fx_lot(e, "01/00614141777778/10/K", 1000, "KGM");
    fx_sign(bad, NULL, e, FX_PACKER);
    return 0;
}

static size_t c_bad_sig(struct world *w, struct ll_buf setup[2],
                        struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(e, "01/00614141777778/10/S", 1000, "KGM");
    fx_sign(bad, NULL, e, FX_FARM);
    bad->data[bad->len - 1] ^= 1;
    return 0;
}

static size_t c_role(struct world *w, struct ll_buf setup[2],
                     struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FDA);
    fx_lot(e, "01/00614141777778/10/R", 1000, "KGM");
    fx_sign(bad, NULL, e, FX_FDA);
    return 0;
}

static size_t c_lot_exists(struct world *w, struct ll_buf setup[2],
                           struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_PACKER);
    fx_lot(e, FX_LOT_A, 1000, "KGM");
    fx_sign(bad, NULL, e, FX_PACKER);
    return 0;
}

static size_t c_no_lot(struct world *w, struct ll_buf setup[2],
                       struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(e, "01/00614141777778/10/NONE", 1000, "KGM");
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "retail");
    fx_sign(bad, NULL, e, FX_FARM);
    return 0;
}

static size_t c_not_holder(struct world *w, struct ll_buf setup[2],
                           struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_SHIP, FX_RETAIL);
    fx_lot(e, FX_LOT_A, 1000, "KGM");
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "farm");
    fx_sign(bad, NULL, e, FX_RETAIL);
    return 0;
}

static size_t c_quantity(struct world *w, struct ll_buf setup[2],
                         struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(e, FX_LOT_A, 400001, "KGM"); /* holds 400000 */
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "retail");
    fx_sign(bad, NULL, e, FX_FARM);
    return 0;
}

static size_t c_unit(struct world *w, struct ll_buf setup[2],
                     struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(e, FX_LOT_A, 1000, "LBR");
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "retail");
    fx_sign(bad, NULL, e, FX_FARM);
    return 0;
}

static size_t c_on_hold(struct world *w, struct ll_buf setup[2],
                        struct ll_buf *bad)
{
    (void)w;
    lotledger_Event *e = fx_event(lotledger_EventType_HOLD, FX_FARM);
    fx_lot(e, FX_LOT_B, 0, NULL);
    (void)snprintf(e->reason, sizeof(e->reason), "Listeria swab");
    fx_sign(&setup[0], NULL, e, FX_FARM);
    e = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(e, FX_LOT_B, 1000, "KGM");
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "retail");
    fx_sign(bad, NULL, e, FX_FARM);
    return 1;
}

static size_t c_no_shipment(struct world *w, struct ll_buf setup[2],
                            struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_RECEIVE, FX_PACKER);
    fx_lot(e, FX_LOT_A, 1000, "KGM");
    e->ref.size = 32;
    memset(e->ref.bytes, 0x77, 32);
    fx_sign(bad, NULL, e, FX_PACKER);
    return 0;
}

static size_t c_not_receiver(struct world *w, struct ll_buf setup[2],
                             struct ll_buf *bad)
{
    (void)w;
    uint8_t ship[32];
    lotledger_Event *e = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(e, FX_LOT_B, 50000, "KGM");
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "packer");
    fx_sign(&setup[0], ship, e, FX_FARM);
    e = fx_event(lotledger_EventType_RECEIVE, FX_RETAIL);
    fx_lot(e, FX_LOT_B, 50000, "KGM");
    e->ref.size = 32;
    memcpy(e->ref.bytes, ship, 32);
    fx_sign(bad, NULL, e, FX_RETAIL);
    return 1;
}

static size_t c_recall_not_permitted(struct world *w, struct ll_buf setup[2],
                                     struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_RECALL, FX_PACKER);
    fx_lot(e, FX_LOT_A, 0, NULL);
    (void)snprintf(e->reason, sizeof(e->reason), "E. coli");
    fx_sign(bad, NULL, e, FX_PACKER);
    return 0;
}

static size_t c_release_not_held(struct world *w, struct ll_buf setup[2],
                                 struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_RELEASE, FX_FARM);
    fx_lot(e, FX_LOT_B, 0, NULL);
    fx_sign(bad, NULL, e, FX_FARM);
    return 0;
}

static size_t c_no_event(struct world *w, struct ll_buf setup[2],
                         struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_CORRECT, FX_FARM);
    e->ref.size = 32;
    memset(e->ref.bytes, 0x55, 32);
    (void)snprintf(e->reason, sizeof(e->reason), "typo");
    fx_sign(bad, NULL, e, FX_FARM);
    return 0;
}

static size_t c_correct_other(struct world *w, struct ll_buf setup[2],
                              struct ll_buf *bad)
{
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_CORRECT, FX_RETAIL);
    e->ref.size = 32;
    memcpy(e->ref.bytes, w->ship1, 32);
    (void)snprintf(e->reason, sizeof(e->reason), "not mine");
    fx_sign(bad, NULL, e, FX_RETAIL);
    return 0;
}

static size_t c_future(struct world *w, struct ll_buf setup[2],
                       struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    e->event_time += (int64_t)3 * 24 * 3600 * 1000;
    fx_lot(e, "01/00614141777778/10/F", 1000, "KGM");
    fx_sign(bad, NULL, e, FX_FARM);
    return 0;
}

static size_t c_malformed(struct world *w, struct ll_buf setup[2],
                          struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    ll_buf_init(bad, 64);
    ASSERT_OK(ll_buf_append(bad, "\x0a\x05hello", 7));
    return 0;
}

static size_t c_ill_formed(struct world *w, struct ll_buf setup[2],
                           struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(e, FX_LOT_A, 1000, "KGM"); /* no counterparty */
    fx_sign(bad, NULL, e, FX_FARM);
    return 0;
}

static size_t c_ship_to_stranger(struct world *w, struct ll_buf setup[2],
                                 struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(e, FX_LOT_A, 1000, "KGM");
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "stranger");
    fx_sign(bad, NULL, e, FX_FARM);
    return 0;
}

static size_t c_transform_exists(struct world *w, struct ll_buf setup[2],
                                 struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_TRANSFORM, FX_FARM);
    fx_lot(e, FX_LOT_A, 1000, "KGM");
    fx_output(e, FX_LOT_B, 1000, "KGM"); /* B exists */
    fx_sign(bad, NULL, e, FX_FARM);
    return 0;
}

/* An observation of lot by org, with a sensor reading (rules.md, "Who may
 * observe"). */
static void observe(struct ll_buf *out, const char *lot, enum fx_org org)
{
    lotledger_Event *e = fx_event(lotledger_EventType_OBSERVE, org);
    fx_lot(e, lot, 0, NULL);
    e->sensors_count = 1;
    (void)snprintf(e->sensors[0].type, sizeof(e->sensors[0].type), "Temp");
    (void)snprintf(e->sensors[0].uom, sizeof(e->sensors[0].uom), "CEL");
    e->sensors[0].value = 4000;
    fx_sign(out, NULL, e, org);
}

/* retail never held lot A, nothing is shipped to it, it did not create A. */
static size_t c_observe_stranger(struct world *w, struct ll_buf setup[2],
                                 struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    observe(bad, FX_LOT_A, FX_RETAIL);
    return 0;
}

/* packer received lot A and consumed all of it: a past holder. */
static size_t c_observe_past_holder(struct world *w, struct ll_buf setup[2],
                                    struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    observe(bad, FX_LOT_A, FX_PACKER);
    return 0;
}

static size_t c_observe_originator(struct world *w, struct ll_buf setup[2],
                                   struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    observe(bad, FX_LOT_C, FX_PACKER);
    return 0;
}

static size_t c_observe_regulator(struct world *w, struct ll_buf setup[2],
                                  struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    observe(bad, FX_LOT_A, FX_FDA);
    return 0;
}

/* A receiver may inspect a shipment addressed to it before receiving it. */
static size_t c_observe_receiver(struct world *w, struct ll_buf setup[2],
                                 struct ll_buf *bad)
{
    (void)w;
    lotledger_Event *e = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(e, FX_LOT_B, 1000, "KGM");
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "retail");
    fx_sign(&setup[0], NULL, e, FX_FARM);
    observe(bad, FX_LOT_B, FX_RETAIL);
    return 1;
}

/* proc is a member with no part in lot C; one of the lots is enough. */
static size_t c_observe_one_foreign(struct world *w, struct ll_buf setup[2],
                                    struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_OBSERVE, FX_FARM);
    fx_lot(e, FX_LOT_A, 0, NULL);
    fx_lot(e, FX_LOT_C, 0, NULL);
    fx_sign(bad, NULL, e, FX_FARM);
    return 0;
}

/* A shipment to oneself moves no custody (and could grow a log without
 * end): it is ill-formed. */
static size_t c_ship_to_self(struct world *w, struct ll_buf setup[2],
                             struct ll_buf *bad)
{
    (void)w;
    (void)setup;
    lotledger_Event *e = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(e, FX_LOT_A, 1000, "KGM");
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "farm");
    fx_sign(bad, NULL, e, FX_FARM);
    return 0;
}

static const struct rule_case rule_cases[] = {
    {"valid ship", 0, "", c_valid},
    {"replay", LL_EREPLAY, "already recorded", c_replay},
    {"replay in block", LL_EREPLAY, "already recorded", c_replay_in_block},
    {"unknown org", LL_EUNKNOWNORG, "ghost", c_unknown_org},
    {"wrong key", LL_EKEY, "farm", c_wrong_key},
    {"bad signature", LL_EBADSIG, "farm", c_bad_sig},
    {"role", LL_EROLE, "fda", c_role},
    {"lot exists", LL_ELOTEXISTS, FX_LOT_A, c_lot_exists},
    {"no lot", LL_ENOLOT, "NONE", c_no_lot},
    {"not holder", LL_ENOTHOLDER, "retail", c_not_holder},
    {"quantity", LL_EQUANTITY, "holds 400000", c_quantity},
    {"unit", LL_EUNIT, "LBR", c_unit},
    {"on hold", LL_ELOTSTATUS, "on hold", c_on_hold},
    {"no shipment", LL_ENOSHIPMENT, FX_LOT_A, c_no_shipment},
    {"not receiver", LL_ENOTRECEIVER, "retail", c_not_receiver},
    {"recall by non-originator", LL_ENOTPERMITTED, "packer",
     c_recall_not_permitted},
    {"release a lot not on hold", LL_ELOTSTATUS, "not on hold",
     c_release_not_held},
    {"correct unknown event", LL_ENOEVENT, "not recorded", c_no_event},
    {"correct another org's event", LL_ENOTPERMITTED, "retail",
     c_correct_other},
    {"event from the future", LL_EFUTURE, "24 h", c_future},
    {"malformed bytes", LL_ETRUNC, "signed event", c_malformed},
    {"ill-formed event", LL_EINVAL, "counterparty", c_ill_formed},
    {"ship to a non-member", LL_EUNKNOWNORG, "stranger", c_ship_to_stranger},
    {"transform onto an existing lot", LL_ELOTEXISTS, FX_LOT_B,
     c_transform_exists},
    {"observe by an org with no part in the lot", LL_ENOTPERMITTED,
     "org retail has never held it", c_observe_stranger},
    {"observe by a past holder", 0, "", c_observe_past_holder},
    {"observe by the originator", 0, "", c_observe_originator},
    {"observe by a regulator", 0, "", c_observe_regulator},
    {"observe by a pending shipment's receiver", 0, "", c_observe_receiver},
    {"observe of two lots, one foreign", LL_ENOTPERMITTED, FX_LOT_C,
     c_observe_one_foreign},
    {"ship to oneself", LL_EINVAL, "must be another organisation",
     c_ship_to_self},
};

/* Seal a block holding the setup events (and bad, if given) and return
 * its header; the block is discarded, never committed. */
static void trial(struct world *w, struct ll_buf *setup, size_t nsetup,
                  const struct ll_buf *bad, const struct rule_case *rc,
                  struct ll_header *h)
{
    struct ll_block *b = fx_begin(w->l);
    for (size_t i = 0; i < nsetup; i++)
        fx_add(b, &setup[i]);
    if (bad != NULL) {
        struct ll_errmsg e = {{0}};
        size_t before = ll_block_count(b);
        int got = ll_block_add(b, bad->data, bad->len, false, NULL, NULL, &e);
        if (got != rc->want || strstr(e.text, rc->word) == NULL)
            ll_test_fail(__FILE__, __LINE__, "%s: got %s '%s', want %s '%s'",
                         rc->name, ll_err_name(got), e.text,
                         ll_err_name(rc->want), rc->word);
        ASSERT_UEQ(ll_block_count(b), before + (got == 0 ? 1 : 0));
    }
    ASSERT_OK(ll_block_seal(b, h));
    ll_block_free(b);
}

static void test_rules_table(void)
{
    struct world w;
    world_init(&w);
    world_story(&w);
    for (size_t i = 0; i < LL_ARRAY_LEN(rule_cases); i++) {
        const struct rule_case *rc = &rule_cases[i];
        struct ll_buf setup[2] = {{0}, {0}};
        struct ll_buf bad = {0};
        size_t n = rc->build(&w, setup, &bad);
        struct ll_header with;
        struct ll_header without;
        trial(&w, setup, n, &bad, rc, &with);
        trial(&w, setup, n, NULL, rc, &without);
        /* A rejected event leaves the block exactly as if never offered;
         * the valid one changes the state root. */
        if (rc->want != 0) {
            ASSERT_MEM_EQ(with.state_root, without.state_root, 32);
            ASSERT_MEM_EQ(with.tx_root, without.tx_root, 32);
            ASSERT_UEQ(with.n_events, without.n_events);
        } else {
            ASSERT_FALSE(memcmp(with.state_root, without.state_root, 32) == 0);
        }
        ll_buf_free(&setup[0]);
        ll_buf_free(&setup[1]);
        ll_buf_free(&bad);
    }
    ASSERT_GE(LL_ARRAY_LEN(rule_cases), 20);
    world_free(&w);
}

/*
 * Observe and correct events count towards LL_RULES_MAX_NOTES per lot and
 * organisation: the next one is refused by name, changes nothing, and other
 * organisations (and other lots) are not affected.
 */
static void test_observe_bound(void)
{
    struct world w;
    world_init(&w);
    world_story(&w);
    struct ll_buf ev = {0};
    uint8_t first[32];
    struct ll_errmsg e = {{0}};
    lotledger_LotState *st = ll_malloc(sizeof(*st));
    ASSERT_NOT_NULL(st);
    struct ll_block *b = fx_begin(w.l);
    for (uint32_t i = 0; i < LL_RULES_MAX_NOTES; i++) {
        lotledger_Event *x = fx_event(lotledger_EventType_OBSERVE, FX_FARM);
        fx_lot(x, FX_LOT_B, 0, NULL);
        x->event_time += i; /* each event distinct */
        fx_sign(&ev, i == 0 ? first : NULL, x, FX_FARM);
        fx_add(b, &ev);
    }
    fx_commit(w.l, b);
    lot_state(&w, FX_LOT_B, st);
    ASSERT_UEQ(st->events, 1 + LL_RULES_MAX_NOTES);
    ASSERT_UEQ(st->parties_count, 1);
    ASSERT_STR_EQ(st->parties[0].org, "farm");
    ASSERT_TRUE(st->parties[0].held);
    ASSERT_UEQ(st->parties[0].notes, LL_RULES_MAX_NOTES);

    b = fx_begin(w.l);
    lotledger_Event *x = fx_event(lotledger_EventType_OBSERVE, FX_FARM);
    fx_lot(x, FX_LOT_B, 0, NULL);
    x->event_time -= 1;
    fx_sign(&ev, NULL, x, FX_FARM);
    ASSERT_ERR(ll_block_add(b, ev.data, ev.len, false, NULL, NULL, &e),
               LL_ETOOBIG);
    ASSERT_TRUE(strstr(e.text, "org farm has already added 4096") != NULL);
    ASSERT_TRUE(strstr(e.text, FX_LOT_B) != NULL);
    /* So are a hold and a correction of its own observation. */
    x = fx_event(lotledger_EventType_HOLD, FX_FARM);
    fx_lot(x, FX_LOT_B, 0, NULL);
    (void)snprintf(x->reason, sizeof(x->reason), "sampling");
    fx_sign(&ev, NULL, x, FX_FARM);
    ASSERT_ERR(ll_block_add(b, ev.data, ev.len, false, NULL, NULL, &e),
               LL_ETOOBIG);
    x = fx_event(lotledger_EventType_CORRECT, FX_FARM);
    x->ref.size = 32;
    memcpy(x->ref.bytes, first, 32);
    (void)snprintf(x->reason, sizeof(x->reason), "sensor misread");
    fx_sign(&ev, NULL, x, FX_FARM);
    ASSERT_ERR(ll_block_add(b, ev.data, ev.len, false, NULL, NULL, &e),
               LL_ETOOBIG);
    /* The regulator and the farm's other lot are not affected; the
     * regulator's hold counts towards its own bound. */
    observe(&ev, FX_LOT_B, FX_FDA);
    ASSERT_OK(ll_block_add(b, ev.data, ev.len, false, NULL, NULL, &e));
    x = fx_event(lotledger_EventType_HOLD, FX_FDA);
    fx_lot(x, FX_LOT_B, 0, NULL);
    (void)snprintf(x->reason, sizeof(x->reason), "sampling");
    fx_sign(&ev, NULL, x, FX_FDA);
    ASSERT_OK(ll_block_add(b, ev.data, ev.len, false, NULL, NULL, &e));
    observe(&ev, FX_LOT_A, FX_FARM);
    ASSERT_OK(ll_block_add(b, ev.data, ev.len, false, NULL, NULL, &e));
    ASSERT_UEQ(ll_block_count(b), 3);
    fx_commit(w.l, b);
    lot_state(&w, FX_LOT_B, st);
    ASSERT_UEQ(st->events, 3 + LL_RULES_MAX_NOTES);
    ASSERT_UEQ(st->parties_count, 2);
    ASSERT_STR_EQ(st->parties[0].org, "farm");
    ASSERT_STR_EQ(st->parties[1].org, "fda");
    ASSERT_FALSE(st->parties[1].held);
    ASSERT_UEQ(st->parties[1].notes, 2);
    ll_free(st);
    ll_buf_free(&ev);
    world_free(&w);
}

/* Hold, release, recall, observe, dispose and correct, committed. */
static void test_status_lifecycle(void)
{
    struct world w;
    world_init(&w);
    world_story(&w);
    struct ll_buf ev = {0};
    lotledger_LotState *st = ll_malloc(sizeof(*st));
    ASSERT_NOT_NULL(st);
    struct ll_block *b = fx_begin(w.l);
    lotledger_Event *e = fx_event(lotledger_EventType_HOLD, FX_FDA);
    fx_lot(e, FX_LOT_B, 0, NULL);
    (void)snprintf(e->reason, sizeof(e->reason), "sampling");
    fx_sign(&ev, NULL, e, FX_FDA);
    fx_add(b, &ev);
    fx_commit(w.l, b);
    lot_state(&w, FX_LOT_B, st);
    ASSERT_EQ(st->status, lotledger_LotStatus_HELD);
    ASSERT_STR_EQ(st->status_by, "fda");

    /* The originator may lift the regulator's hold. */
    b = fx_begin(w.l);
    e = fx_event(lotledger_EventType_RELEASE, FX_FARM);
    fx_lot(e, FX_LOT_B, 0, NULL);
    fx_sign(&ev, NULL, e, FX_FARM);
    fx_add(b, &ev);
    e = fx_event(lotledger_EventType_OBSERVE, FX_FARM);
    fx_lot(e, FX_LOT_B, 0, NULL);
    e->sensors_count = 1;
    (void)snprintf(e->sensors[0].type, sizeof(e->sensors[0].type), "Temp");
    (void)snprintf(e->sensors[0].uom, sizeof(e->sensors[0].uom), "CEL");
    e->sensors[0].value = 9000;
    e->sensors[0].alarm = true;
    fx_sign(&ev, NULL, e, FX_FARM);
    fx_add(b, &ev);
    e = fx_event(lotledger_EventType_RECALL, FX_FARM);
    fx_lot(e, FX_LOT_B, 0, NULL);
    (void)snprintf(e->reason, sizeof(e->reason), "temperature abuse");
    fx_sign(&ev, NULL, e, FX_FARM);
    fx_add(b, &ev);
    e = fx_event(lotledger_EventType_DISPOSE, FX_FARM);
    fx_lot(e, FX_LOT_B, 500000, "KGM");
    (void)snprintf(e->reason, sizeof(e->reason), "destroyed after recall");
    fx_sign(&ev, NULL, e, FX_FARM);
    fx_add(b, &ev);
    e = fx_event(lotledger_EventType_CORRECT, FX_FARM);
    e->ref.size = 32;
    memcpy(e->ref.bytes, w.ship1, 32);
    (void)snprintf(e->reason, sizeof(e->reason), "BOL number was wrong");
    fx_sign(&ev, NULL, e, FX_FARM);
    fx_add(b, &ev);
    ASSERT_UEQ(ll_block_count(b), 5);
    fx_commit(w.l, b);

    lot_state(&w, FX_LOT_B, st);
    ASSERT_EQ(st->status, lotledger_LotStatus_RECALLED);
    ASSERT_STR_EQ(st->status_by, "farm");
    ASSERT_UEQ(st->holdings_count, 0);
    ASSERT_UEQ(st->events, 6); /* commission, hold, release, observe,
                                  recall, dispose */
    lot_state(&w, FX_LOT_A, st);
    ASSERT_UEQ(st->events, 5); /* + the correction of the shipment */

    /* A recall is terminal: release cannot lift it. */
    b = fx_begin(w.l);
    e = fx_event(lotledger_EventType_RELEASE, FX_FDA);
    fx_lot(e, FX_LOT_B, 0, NULL);
    fx_sign(&ev, NULL, e, FX_FDA);
    struct ll_errmsg em = {{0}};
    ASSERT_ERR(ll_block_add(b, ev.data, ev.len, false, NULL, NULL, &em),
               LL_ELOTSTATUS);
    ll_block_free(b);

    struct ll_verify_report r;
    ASSERT_OK(ll_ledger_verify(w.l, &r, NULL));
    ASSERT_UEQ(r.events, 10); /* 4 in the story, 1 hold, 5 in one block */
    ll_buf_free(&ev);
    ll_free(st);
    world_free(&w);
}

/*
 * After a restart, the lots stored before it (the lot filter is rebuilt
 * from them) and one committed since cannot be created again.
 */
static void recommission(struct world *w)
{
    static const char *const lots[] = {FX_LOT_A, "tlc/fda/42/NEW-1",
                                       "tlc/fda/42/NEW-1"};
    struct ll_buf ev = {0};
    for (size_t i = 0; i < LL_ARRAY_LEN(lots); i++) {
        lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
        fx_lot(e, lots[i], 1000, "KGM");
        (void)snprintf(e->reason, sizeof(e->reason), "try %zu", i);
        fx_sign(&ev, NULL, e, FX_FARM);
        struct ll_block *b = fx_begin(w->l);
        int rc = ll_block_add(b, ev.data, ev.len, false, NULL, NULL, NULL);
        ASSERT_ERR(rc, i == 1 ? LL_OK : LL_ELOTEXISTS);
        fx_commit(w->l, b);
    }
    ll_buf_free(&ev);
}

static void test_restart_and_genesis_mismatch(void)
{
    struct world w;
    world_init(&w);
    world_story(&w);
    struct ll_ledger_tip before;
    struct ll_ledger_tip after;
    ll_ledger_tip(w.l, &before);
    ll_ledger_close(w.l);
    world_open(&w);
    ll_ledger_tip(w.l, &after);
    ASSERT_UEQ(after.height, before.height);
    ASSERT_MEM_EQ(after.hash, before.hash, 32);
    ASSERT_MEM_EQ(after.state_root, before.state_root, 32);
    ASSERT_OK(ll_ledger_verify(w.l, &(struct ll_verify_report){0}, NULL));
    /* Building continues where it stopped. */
    struct ll_buf ev = {0};
    lotledger_Event *e = fx_event(lotledger_EventType_SHIP, FX_PACKER);
    fx_lot(e, FX_LOT_C, 100000, "KGM");
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "retail");
    fx_sign(&ev, NULL, e, FX_PACKER);
    struct ll_block *b = fx_begin(w.l);
    fx_add(b, &ev);
    fx_commit(w.l, b);
    ll_buf_free(&ev);
    recommission(&w);
    ll_ledger_close(w.l);
    w.l = NULL;
    /* Another genesis may not open this directory. */
    struct ll_genesis *g2 = ll_malloc(sizeof(*g2));
    ASSERT_NOT_NULL(g2);
    memcpy(g2, w.g, sizeof(*g2));
    g2->hash[0] ^= 1;
    struct ll_ledger *l2 = NULL;
    struct ll_errmsg e2 = {{0}};
    ASSERT_ERR(ll_ledger_open(&l2, w.dir, g2, &e2), LL_EVERIFY);
    ASSERT_TRUE(strstr(e2.text, "another genesis") != NULL);
    ll_free(g2);
    world_open(&w);
    world_free(&w);
}

/* Write the schema record (docs/store.md: key 'm' "schema", u32 BE). */
static void put_schema(const char *dir, uint32_t v)
{
    struct ll_store *st = NULL;
    struct ll_store_batch *b = NULL;
    uint8_t val[4];
    ll_store_be32(val, v);
    ASSERT_OK(ll_store_open(&st, dir, false, 0, NULL));
    ASSERT_OK(ll_store_batch_new(&b));
    ll_store_batch_put(b, "mschema", 7, val, v == 0 ? 3 : 4);
    ASSERT_OK(ll_store_write(st, b, true));
    ll_store_batch_free(b);
    ll_store_close(st);
}

/* A store of another schema version is refused with both versions named,
 * a damaged schema record as corrupt; neither changes the store. */
static void test_schema_version(void)
{
    struct world w;
    world_init(&w);
    world_story(&w);
    struct ll_ledger_tip before;
    ll_ledger_tip(w.l, &before);
    ll_ledger_close(w.l);
    w.l = NULL;
    put_schema(w.dir, 1);
    struct ll_errmsg e = {{0}};
    ASSERT_ERR(ll_ledger_open(&w.l, w.dir, w.g, &e), LL_EVERSION);
    ASSERT_TRUE(strstr(e.text, "schema version 1 and this build reads "
                               "version 4") != NULL);
    put_schema(w.dir, 0); /* three bytes */
    ASSERT_ERR(ll_ledger_open(&w.l, w.dir, w.g, &e), LL_ECORRUPT);
    put_schema(w.dir, 4);
    world_open(&w);
    struct ll_ledger_tip after;
    ll_ledger_tip(w.l, &after);
    ASSERT_UEQ(after.height, before.height);
    ASSERT_MEM_EQ(after.state_root, before.state_root, 32);
    ASSERT_OK(ll_ledger_verify(w.l, &(struct ll_verify_report){0}, NULL));
    world_free(&w);
}

static void test_commit_needs_quorum(void)
{
    struct world w;
    world_init(&w);
    struct ll_buf ev = {0};
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(e, FX_LOT_A, 1000, "KGM");
    fx_sign(&ev, NULL, e, FX_FARM);
    struct ll_block *b = fx_begin(w.l);
    fx_add(b, &ev);
    struct ll_header h;
    ASSERT_OK(ll_block_seal(b, &h));
    struct ll_commit *c = ll_calloc(1, sizeof(*c));
    ASSERT_NOT_NULL(c);
    struct ll_errmsg em = {{0}};
    ASSERT_ERR(ll_ledger_commit(w.l, b, c, &em), LL_EPROOF);
    /* A non-validator's signature does not count either. */
    ASSERT_ERR(ll_commit_sign(c, ll_ledger_valset(w.l), &h, &fx_keys[FX_FARM]),
               LL_ENOTFOUND);
    struct ll_ledger_tip tip;
    ll_ledger_tip(w.l, &tip);
    ASSERT_UEQ(tip.height, 0);
    ASSERT_OK(ll_commit_sign(c, ll_ledger_valset(w.l), &h, &fx_keys[FX_VAL]));
    ASSERT_OK(ll_ledger_commit(w.l, b, c, &em));
    ll_ledger_tip(w.l, &tip);
    ASSERT_UEQ(tip.height, 1);
    ll_free(c);
    ll_buf_free(&ev);
    world_free(&w);
}

/* Damage one stored key and expect verify to name the problem. */
static void corrupt_and_verify(const char *what, const uint8_t *key,
                               size_t klen, const uint8_t *val, size_t vlen,
                               int want, const char *word)
{
    struct world w;
    world_init(&w);
    world_story(&w);
    ASSERT_OK(ll_ledger_verify(w.l, &(struct ll_verify_report){0}, NULL));
    ll_ledger_close(w.l);
    w.l = NULL;
    struct ll_store *s = NULL;
    ASSERT_OK(ll_store_open(&s, w.dir, false, 0, NULL));
    struct ll_store_batch *wb = NULL;
    ASSERT_OK(ll_store_batch_new(&wb));
    if (val != NULL)
        ll_store_batch_put(wb, key, klen, val, vlen);
    else
        ll_store_batch_del(wb, key, klen);
    ASSERT_OK(ll_store_write(s, wb, true));
    ll_store_batch_free(wb);
    ll_store_close(s);
    /* Damage the open's own checks see (the tip's block, the state map's
     * root page) is refused there; the rest is verify's to find. */
    struct ll_errmsg e = {{0}};
    int rc = ll_ledger_open(&w.l, w.dir, w.g, &e);
    if (rc == 0)
        rc = ll_ledger_verify(w.l, &(struct ll_verify_report){0}, &e);
    if (rc != want || strstr(e.text, word) == NULL)
        ll_test_fail(__FILE__, __LINE__, "%s: got %s '%s'", what,
                     ll_err_name(rc), e.text);
    world_free(&w);
}

/* Give lot C 1 KGM more in its stored state, keeping its log intact. */
static void alter_lot_and_verify(void)
{
    struct world w;
    uint8_t k[33];
    world_init(&w);
    world_story(&w);
    lotledger_LotState *st = ll_malloc(sizeof(*st));
    ASSERT_NOT_NULL(st);
    lot_state(&w, FX_LOT_C, st);
    st->holdings[0].quantity += 1000;
    struct ll_buf enc;
    ll_buf_init(&enc, lotledger_LotState_size);
    ASSERT_OK(ll_ledger__pb_encode(&enc, lotledger_LotState_fields, st,
                                   lotledger_LotState_size));
    ll_ledger_close(w.l);
    struct ll_store *s = NULL;
    struct ll_store_batch *wb = NULL;
    ASSERT_OK(ll_store_open(&s, w.dir, false, 0, NULL));
    ASSERT_OK(ll_store_batch_new(&wb));
    /* The record is u16 state length, state, frontier: keep the frontier. */
    k[0] = 'L';
    ll_lot_key(k + 1, FX_LOT_C);
    struct ll_buf rec;
    ll_buf_init(&rec, 1 << 16);
    ASSERT_OK(ll_store_get(s, NULL, k, 33, &rec));
    size_t old = ((size_t)rec.data[0] << 8) | rec.data[1];
    struct ll_buf rec2;
    ll_buf_init(&rec2, 1 << 16);
    ASSERT_OK(ll_buf_append_byte(&rec2, (uint8_t)(enc.len >> 8)));
    ASSERT_OK(ll_buf_append_byte(&rec2, (uint8_t)enc.len));
    ASSERT_OK(ll_buf_append(&rec2, enc.data, enc.len));
    ASSERT_OK(ll_buf_append(&rec2, rec.data + 2 + old, rec.len - 2 - old));
    ll_store_batch_put(wb, k, 33, rec2.data, rec2.len);
    ll_buf_free(&rec);
    ll_buf_free(&rec2);
    ASSERT_OK(ll_store_write(s, wb, true));
    ll_store_batch_free(wb);
    ll_store_close(s);
    world_open(&w);
    struct ll_errmsg e = {{0}};
    ASSERT_ERR(ll_ledger_verify(w.l, &(struct ll_verify_report){0}, &e),
               LL_EVERIFY);
    ASSERT_TRUE(strstr(e.text, "state root") != NULL);
    ll_buf_free(&enc);
    ll_free(st);
    world_free(&w);
}

static void test_verify_detects_corruption(void)
{
    uint8_t k[64];
    fx_keys_init();
    /* An event's bytes replaced by another (valid, signed) event. */
    k[0] = 'e';
    ll_store_be64(k + 1, 3);
    ll_store_be32(k + 9, 0);
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(e, "01/00614141777778/10/X", 5, "KGM");
    struct ll_buf ev = {0};
    fx_sign(&ev, NULL, e, FX_FARM);
    corrupt_and_verify("event replaced", k, 13, ev.data, ev.len, LL_ECORRUPT,
                       "block 3");
    ll_buf_free(&ev);
    /* An event's bytes garbled. */
    corrupt_and_verify("event garbled", k, 13, (const uint8_t *)"junk", 4,
                       LL_ECORRUPT, "e:3:0");
    /* A block record deleted. */
    k[0] = 'b';
    ll_store_be64(k + 1, 2);
    corrupt_and_verify("block deleted", k, 9, NULL, 0, LL_ECORRUPT, "b:2");
    /* A lot's event list loses an entry. */
    k[0] = 'l';
    ll_lot_key(k + 1, FX_LOT_A);
    ll_store_be64(k + 33, 1);
    corrupt_and_verify("lot log entry deleted", k, 41, NULL, 0, LL_ECORRUPT,
                       FX_LOT_A);
    /* A lot's state (holdings) altered: the state root no longer matches. */
    alter_lot_and_verify();
    /* The state map's top page garbled, replaced by a page with another
     * node, or deleted: proofs could no longer be built from it. */
    uint8_t page[4 + 64];
    k[0] = 'n';
    k[1] = 0;
    /* Garbled; then bitmaps that describe no tree: a child without its
     * parent, a leaf not in use, an inner node above the last level
     * without children. */
    static const struct {
        const char *what;
        const char *val;
        size_t len;
    } bad_pages[] = {
        {"state-map page garbled", "\x00\x01\x00\x01junk", 8},
        {"state-map page misshapen", "\x00\x02\x00\x02", 4},
        {"state-map page leaf unused", "\x00\x01\x00\x03", 4},
        {"state-map page childless", "\x00\x01\x00\x00", 4},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(bad_pages); i++)
        corrupt_and_verify(bad_pages[i].what, k, 2,
                           (const uint8_t *)bad_pages[i].val, bad_pages[i].len,
                           LL_ECORRUPT, "state map");
    memset(page, 0x11, sizeof(page));
    page[0] = 0;
    page[1] = 1;
    page[2] = 0;
    page[3] = 1;
    corrupt_and_verify("state-map page replaced", k, 2, page, sizeof(page),
                       LL_ECORRUPT, "state map");
    corrupt_and_verify("state-map page deleted", k, 2, NULL, 0, LL_ECORRUPT,
                       "state map");
}

/* How many keys of w's store start with the plen bytes of prefix (the
 * ledger is closed for the count and reopened). */
static size_t count_keys(struct world *w, const uint8_t *prefix, size_t plen)
{
    ll_ledger_close(w->l);
    struct ll_store *s = NULL;
    struct ll_store_iter *it = NULL;
    size_t n = 0;
    ASSERT_OK(ll_store_open(&s, w->dir, false, 0, NULL));
    ASSERT_OK(ll_store_iter_open(s, NULL, prefix, plen, NULL, 0, &it));
    const uint8_t *k;
    const uint8_t *v;
    size_t kl;
    size_t vl;
    while (ll_store_iter_next(it, &k, &kl, &v, &vl))
        n++;
    ll_store_iter_close(it);
    ll_store_close(s);
    world_open(w);
    return n;
}

static size_t count_prefix(struct world *w, char prefix)
{
    uint8_t p = (uint8_t)prefix;
    return count_keys(w, &p, 1);
}

/* State-map pages of the upper tiers (depths 0 to 16) in w's store. */
static size_t count_upper_pages(struct world *w)
{
    size_t n = 0;
    for (uint8_t t = 0; t <= 4; t++) {
        uint8_t p[2] = {'n', t};
        n += count_keys(w, p, 2);
    }
    return n;
}

/*
 * The node at position pos of a page value as docs/store.md lays it out
 * (u16 positions in use, u16 leaves, then 64 bytes per leaf and per inner
 * node of the last level, in position order; an inner node above the last
 * level is rebuilt from its children). Out: its 65-byte node and hash.
 */
static void page_node(const struct ll_buf *b, unsigned pos,
                      uint8_t node[LL_SMT_NODE_LEN], uint8_t h[32])
{
    static const uint8_t zero[32];
    unsigned used = ((unsigned)b->data[0] << 8) | b->data[1];
    unsigned leaf = ((unsigned)b->data[2] << 8) | b->data[3];
    ASSERT_TRUE((used >> pos) & 1u);
    bool is_leaf = (leaf >> pos) & 1u;
    if (is_leaf || pos >= 7) {
        unsigned stored = used & (leaf | 0x7f80u);
        size_t off = 4;
        for (unsigned i = 0; i < pos; i++)
            off += (size_t)((stored >> i) & 1u) * 64;
        ASSERT_LE(off + 64, b->len);
        node[0] = is_leaf ? LL_SMT_NODE_LEAF : LL_SMT_NODE_INNER;
        memcpy(node + 1, b->data + off, 64);
    } else {
        uint8_t child[LL_SMT_NODE_LEN];
        node[0] = LL_SMT_NODE_INNER;
        for (unsigned s = 0; s < 2; s++) {
            unsigned c = 2 * pos + 1 + s;
            if ((used >> c) & 1u)
                page_node(b, c, child, node + 1 + 32 * s);
            else
                memcpy(node + 1 + 32 * s, zero, 32);
        }
    }
    if (is_leaf)
        ll_smt_leaf_hash(h, node + 1, node + 33);
    else
        ll_smt_node_hash(h, node + 1, node + 33);
}

/*
 * Read the state-map node at (depth, path) from its page ('n' || u8
 * depth / 4 || the path's first bits) and check it hashes to h.
 */
static void read_node(struct ll_store *s, uint8_t node[LL_SMT_NODE_LEN],
                      const uint8_t h[32], unsigned depth,
                      const uint8_t path[32])
{
    unsigned top = depth - depth % 4;
    uint8_t k[34];
    size_t nb = (top + 7) / 8;
    struct ll_buf b;
    k[0] = 'n';
    k[1] = (uint8_t)(top / 4);
    memcpy(k + 2, path, nb);
    if (top % 8 != 0)
        k[1 + nb] &= (uint8_t)(0xff00u >> (top % 8));
    ll_buf_init(&b, 2048);
    ASSERT_OK(ll_store_get(s, NULL, k, 2 + nb, &b));
    ASSERT_GE(b.len, 4);
    unsigned pos = (1u << (depth - top)) - 1;
    for (unsigned i = top; i < depth; i++)
        pos += ll_smt__key_bit(path, i) << (depth - 1 - i);
    uint8_t got[32];
    page_node(&b, pos, node, got);
    ll_buf_free(&b);
    ASSERT_MEM_EQ(got, h, 32);
}

/* Count the pages the tree under h (at depth, on path) is stored in: one
 * per node at a depth that is a multiple of 4. */
static size_t count_from(struct ll_store *s, const uint8_t h[32],
                         unsigned depth, uint8_t path[32])
{
    static const uint8_t zero[32];
    uint8_t node[LL_SMT_NODE_LEN];
    if (memcmp(h, zero, 32) == 0)
        return 0;
    read_node(s, node, h, depth, path);
    size_t n = depth % 4 == 0;
    if (node[0] == LL_SMT_NODE_INNER) {
        uint8_t mask = (uint8_t)(0x80u >> (depth % 8));
        path[depth / 8] &= (uint8_t)~mask;
        n += count_from(s, node + 1, depth + 1, path);
        path[depth / 8] |= mask;
        n += count_from(s, node + 33, depth + 1, path);
    }
    return n;
}

static size_t reachable_pages(struct world *w, const uint8_t root[32])
{
    uint8_t path[32] = {0};
    ll_ledger_close(w->l);
    struct ll_store *s = NULL;
    ASSERT_OK(ll_store_open(&s, w->dir, false, 0, NULL));
    size_t n = count_from(s, root, 0, path);
    ll_store_close(s);
    world_open(w);
    return n;
}

/*
 * State-map pages are rewritten in place: forty blocks each changing lot B
 * leave a store no bigger than one tree, blocks inserting several lots
 * (leaves pushed down, across page boundaries too) leave exactly the pages
 * of the tip's tree, and every entry stays readable from them (verify
 * checks).
 */
static void test_nodes_pruned(void)
{
    struct world w;
    world_init(&w);
    world_story(&w);
    size_t before = count_prefix(&w, 'n');
    struct ll_buf ev = {0};
    for (int i = 0; i < 40; i++) {
        lotledger_Event *e = fx_event(i % 2 ? lotledger_EventType_RELEASE
                                            : lotledger_EventType_HOLD,
                                      FX_FARM);
        fx_lot(e, FX_LOT_B, 0, NULL);
        if (i % 2 == 0)
            (void)snprintf(e->reason, sizeof(e->reason), "check %d", i);
        fx_sign(&ev, NULL, e, FX_FARM);
        struct ll_block *b = fx_begin(w.l);
        fx_add(b, &ev);
        fx_commit(w.l, b);
    }
    /* Blocks inserting several lots at once (leaves pushed down). */
    for (int blk = 0; blk < 30; blk++) {
        struct ll_block *b = fx_begin(w.l);
        for (int i = 0; i < 1 + blk % 12; i++) {
            char lot[64];
            (void)snprintf(lot, sizeof(lot), "tlc/fda/42/P%d-%d", blk, i);
            lotledger_Event *e =
                fx_event(lotledger_EventType_COMMISSION, FX_PACKER);
            fx_lot(e, lot, 1000, "EA");
            fx_sign(&ev, NULL, e, FX_PACKER);
            fx_add(b, &ev);
        }
        fx_commit(w.l, b);
    }
    size_t after = count_prefix(&w, 'n');
    /* Exactly the pages of the tree at the tip's root remain. */
    struct ll_ledger_tip tip;
    ll_ledger_tip(w.l, &tip);
    ASSERT_UEQ(after, reachable_pages(&w, tip.state_root));
    ASSERT_GT(after, before);
    /* The reopened ledger copied every upper page at open. */
    size_t upper = count_upper_pages(&w);
    ASSERT_GT(upper, 1);
    ASSERT_UEQ(ll_ledger__upper_held(w.l), upper);
    struct ll_errmsg e = {{0}};
    int rc = ll_ledger_verify(w.l, &(struct ll_verify_report){0}, &e);
    if (rc)
        ll_test_fail(__FILE__, __LINE__, "verify: %s", e.text);
    ll_buf_free(&ev);
    world_free(&w);
}

/* The event at (height, index) was recorded by org. */
static void check_event_org(struct ll_ledger_snap *snap,
                            struct ll_signed_event *se, uint64_t height,
                            uint32_t index, const char *org)
{
    struct ll_buf ev;
    ll_buf_init(&ev, LL_EVENT_MAX_BYTES);
    ASSERT_OK(ll_ledger_event_at(snap, height, index, &ev));
    ASSERT_OK(ll_signed_event_decode(se, ev.data, ev.len, NULL));
    ASSERT_STR_EQ(se->ev.org, org);
    ll_buf_free(&ev);
}

/* Check one 'O' record: its key's organisation recorded every event it
 * lists, in ascending order. Returns the number of events listed. */
static size_t check_org_record(struct ll_ledger_snap *snap,
                               struct ll_signed_event *se, const uint8_t *k,
                               size_t kl, const uint8_t *v, size_t vl)
{
    char org[66];
    ASSERT_GE(kl, 11);
    ASSERT_UEQ(kl, (size_t)k[1] + 10);
    memcpy(org, k + 2, k[1]);
    org[k[1]] = '\0';
    uint64_t height = ll_load_be64(k + 2 + k[1]);
    ASSERT_TRUE(vl > 0 && vl % 4 == 0);
    for (size_t i = 0; i < vl; i += 4) {
        uint32_t index = ll_load_be32(v + i);
        if (i > 0)
            ASSERT_LT(ll_load_be32(v + i - 4), index);
        check_event_org(snap, se, height, index, org);
    }
    return vl / 4;
}

/*
 * The per-organisation index holds one record per organisation and block
 * listing exactly that organisation's events, and covers every event.
 */
/* The 'O' records of a closed ledger. */
struct org_recs {
    struct {
        uint8_t k[128];
        uint8_t v[256];
        size_t kl;
        size_t vl;
    } rec[32];
    size_t n;
};

static void read_org_recs(const char *dir, struct org_recs *r)
{
    struct ll_store *s = NULL;
    struct ll_store_iter *it = NULL;
    const uint8_t *k;
    const uint8_t *v;
    size_t kl;
    size_t vl;
    r->n = 0;
    ASSERT_OK(ll_store_open(&s, dir, false, 0, NULL));
    ASSERT_OK(ll_store_iter_open(s, NULL, "O", 1, NULL, 0, &it));
    while (ll_store_iter_next(it, &k, &kl, &v, &vl)) {
        ASSERT_LT(r->n, LL_ARRAY_LEN(r->rec));
        ASSERT_LE(kl, sizeof(r->rec[0].k));
        ASSERT_LE(vl, sizeof(r->rec[0].v));
        memcpy(r->rec[r->n].k, k, kl);
        memcpy(r->rec[r->n].v, v, vl);
        r->rec[r->n].kl = kl;
        r->rec[r->n].vl = vl;
        r->n++;
    }
    ASSERT_OK(ll_store_iter_error(it));
    ll_store_iter_close(it);
    ll_store_close(s);
}

/*
 * The per-organisation index holds one record per organisation and block
 * listing exactly that organisation's events, and covers every event.
 */
static void test_org_index(void)
{
    struct world w;
    struct ll_ledger_snap *snap = NULL;
    struct ll_verify_report r = {0};
    struct ll_signed_event *se = ll_malloc(sizeof(*se));
    struct org_recs *recs = ll_malloc(sizeof(*recs));
    size_t listed = 0;
    ASSERT_NOT_NULL(se);
    ASSERT_NOT_NULL(recs);
    world_init(&w);
    world_story(&w);
    ASSERT_OK(ll_ledger_verify(w.l, &r, NULL));
    ll_ledger_close(w.l);
    read_org_recs(w.dir, recs);
    world_open(&w);
    ASSERT_OK(ll_ledger_snap_open(w.l, &snap));
    for (size_t i = 0; i < recs->n; i++)
        listed += check_org_record(snap, se, recs->rec[i].k, recs->rec[i].kl,
                                   recs->rec[i].v, recs->rec[i].vl);
    ASSERT_UEQ(listed, r.events);
    ASSERT_GT(listed, 3);
    ll_ledger_snap_close(snap);
    ll_free(recs);
    ll_free(se);
    world_free(&w);
}

/* A block commissioning n lots named prefix-0 .. prefix-(n-1), sealed. */
static struct ll_block *lots_block(struct ll_ledger *l, const char *prefix,
                                   int n)
{
    struct ll_buf ev = {0};
    struct ll_block *b = fx_begin(l);
    for (int i = 0; i < n; i++) {
        char lot[64];
        (void)snprintf(lot, sizeof(lot), "tlc/fda/42/%s-%d", prefix, i);
        lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
        fx_lot(e, lot, 1000, "EA");
        fx_sign(&ev, NULL, e, FX_FARM);
        fx_add(b, &ev);
    }
    ll_buf_free(&ev);
    return b;
}

/* A state proof for lots A, B and C from s verifies against its root. */
static void prove_lots(struct ll_ledger_snap *s)
{
    uint8_t keys[3][32];
    struct ll_smt_result res[3];
    struct ll_ledger_tip tip;
    struct ll_buf proof;
    ll_lot_key(keys[0], FX_LOT_A);
    ll_lot_key(keys[1], FX_LOT_B);
    ll_lot_key(keys[2], FX_LOT_C);
    ll_buf_init(&proof, 1 << 16);
    ll_ledger_snap_tip(s, &tip);
    ASSERT_OK(ll_ledger_state_proof(s, keys[0], 3, &proof));
    ASSERT_OK(
        ll_smt_verify(res, tip.state_root, keys[0], 3, proof.data, proof.len));
    ASSERT_TRUE(res[0].present && res[1].present && res[2].present);
    ll_buf_free(&proof);
}

/* Tables (.ldb files) in a LevelDB directory. */
static size_t count_tables(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    ASSERT_NOT_NULL(d);
    const struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        n += len > 4 && strcmp(de->d_name + len - 4, ".ldb") == 0;
    }
    (void)closedir(d);
    return n;
}

/* Write 4 MiB in 1 MiB batches; return the tables on disk after it. */
static size_t tables_after_4mib(size_t write_buffer)
{
    char dir[512];
    struct ll_store *st = NULL;
    ll_test_tmpdir(dir, sizeof(dir));
    ASSERT_OK(ll_store_open(&st, dir, true, write_buffer, NULL));
    static uint8_t val[1024];
    for (uint32_t b = 0; b < 4; b++) {
        struct ll_store_batch *wb = NULL;
        ASSERT_OK(ll_store_batch_new(&wb));
        for (uint32_t i = 0; i < 1024; i++) {
            uint8_t k[8];
            ll_store_be32(k, b);
            ll_store_be32(k + 4, i);
            ll_crypto_random(val, sizeof(val));
            ll_store_batch_put(wb, k, sizeof(k), val, sizeof(val));
        }
        ASSERT_OK(ll_store_write(st, wb, false));
        ll_store_batch_free(wb);
    }
    size_t n = count_tables(dir);
    ll_store_close(st);
    ll_test_rmrf(dir);
    return n;
}

/*
 * The write buffer a caller asks for (the node's [store] write_buffer_mb)
 * is the one LevelDB uses: 4 MiB through a 1 MiB buffer must flush tables
 * (only one memtable waits for its flush at a time), and fits in the
 * default 8 MiB without any.
 */
static void test_write_buffer(void)
{
    ASSERT_OK(ll_crypto_init());
    ASSERT_GE(tables_after_4mib((size_t)1 << 20), 2);
    ASSERT_UEQ(tables_after_4mib(0), 0);
}

static int seal_rc = -1;

static void *seal_thread(void *arg)
{
    struct ll_header h;
    seal_rc = ll_block_seal(arg, &h);
    return NULL;
}

/*
 * A node seals blocks on a worker thread (ll_ledger_set_sealing) while its
 * loop thread builds proofs: those then read only the store, and come out
 * byte for byte as they do with the builder's caches.
 */
static void test_proof_while_sealing(void)
{
    struct world w;
    struct ll_ledger_snap *s = NULL;
    uint8_t keys[3][32];
    struct ll_buf want;
    struct ll_buf got;
    world_init(&w);
    world_story(&w);
    ll_lot_key(keys[0], FX_LOT_A);
    ll_lot_key(keys[1], FX_LOT_B);
    ll_lot_key(keys[2], FX_LOT_C);
    ll_buf_init(&want, 1 << 16);
    ll_buf_init(&got, 1 << 16);
    ASSERT_OK(ll_ledger_snap_open(w.l, &s));
    ASSERT_OK(ll_ledger_state_proof(s, keys[0], 3, &want));
    struct ll_block *b = lots_block(w.l, "SEAL", 400);
    pthread_t t;
    ll_ledger_set_sealing(w.l, true);
    ASSERT_EQ(pthread_create(&t, NULL, seal_thread, b), 0);
    for (int i = 0; i < 50; i++) {
        got.len = 0;
        ASSERT_OK(ll_ledger_state_proof(s, keys[0], 3, &got));
        ASSERT_UEQ(got.len, want.len);
        ASSERT_MEM_EQ(got.data, want.data, want.len);
    }
    ASSERT_EQ(pthread_join(t, NULL), 0);
    ll_ledger_set_sealing(w.l, false);
    ASSERT_OK(seal_rc);
    ll_block_free(b);
    prove_lots(s);
    ll_ledger_snap_close(s);
    ll_buf_free(&want);
    ll_buf_free(&got);
    ASSERT_OK(ll_ledger_verify(w.l, &(struct ll_verify_report){0}, NULL));
    world_free(&w);
}

/*
 * The builder's copies of the map's pages stay right when a sealed block
 * is dropped (its pages were never written) and when a proof reads an
 * older version through a snapshot opened before a commit.
 */
static void test_dropped_block(void)
{
    struct world w;
    struct ll_ledger_snap *old = NULL;
    struct ll_header h;
    world_init(&w);
    world_story(&w);
    struct ll_block *b = lots_block(w.l, "DROP", 40);
    ASSERT_OK(ll_block_seal(b, &h));
    ll_block_free(b);
    ASSERT_OK(ll_ledger_snap_open(w.l, &old));
    fx_commit(w.l, lots_block(w.l, "KEEP", 40));
    prove_lots(old);
    fx_commit(w.l, lots_block(w.l, "MORE", 40));
    prove_lots(old);
    ll_ledger_snap_close(old);
    ASSERT_OK(ll_ledger_snap_open(w.l, &old));
    prove_lots(old);
    ll_ledger_snap_close(old);
    ASSERT_OK(ll_ledger_verify(w.l, &(struct ll_verify_report){0}, NULL));
    /* The dropped block's lots do not exist; the kept ones do. */
    lotledger_LotState *st = ll_malloc(sizeof(*st));
    ASSERT_NOT_NULL(st);
    ASSERT_OK(ll_ledger_snap_open(w.l, &old));
    ASSERT_ERR(ll_ledger_lot(old, "tlc/fda/42/DROP-1", st), LL_ENOTFOUND);
    ASSERT_OK(ll_ledger_lot(old, "tlc/fda/42/KEEP-1", st));
    ll_ledger_snap_close(old);
    ll_free(st);
    world_free(&w);
}

/* Lot id has two events and farm holds held of it. */
static void check_shipped(struct ll_ledger *l, const char *lot, uint64_t held)
{
    lotledger_LotState *st = ll_malloc(sizeof(*st));
    struct ll_ledger_snap *s = NULL;
    ASSERT_NOT_NULL(st);
    ASSERT_OK(ll_ledger_snap_open(l, &s));
    ASSERT_OK(ll_ledger_lot(s, lot, st));
    ASSERT_UEQ(st->events, 2);
    ASSERT_UEQ(ll_lot_held(st, "farm"), held);
    ll_ledger_snap_close(s);
    ll_free(st);
}

/*
 * Lots whose keys share a set of the builder's lot cache (the low 16 bits
 * of the key, as ledger.c indexes its 2^16 sets of 4) evict each other:
 * six of them, made in one block and shipped in the next, are read back
 * right whether cached or not.
 */
static void test_lot_cache_set(void)
{
    enum { N = 6 };
    char lots[N][64];
    uint8_t key[32];
    uint32_t want = 0;
    int found = 0;
    struct world w;
    struct ll_buf ev = {0};
    world_init(&w);
    for (int i = 0; found < N; i++) {
        (void)snprintf(lots[found], sizeof(lots[0]), "tlc/fda/42/SET-%d", i);
        ll_lot_key(key, lots[found]);
        uint32_t set = ll_load_le32(key) & 0xffffu;
        if (found == 0)
            want = set;
        if (set == want)
            found++;
    }
    struct ll_block *b = fx_begin(w.l);
    for (int i = 0; i < N; i++) {
        lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
        fx_lot(e, lots[i], 1000, "EA");
        fx_sign(&ev, NULL, e, FX_FARM);
        fx_add(b, &ev);
    }
    fx_commit(w.l, b);
    b = fx_begin(w.l);
    for (int i = 0; i < N; i++) {
        lotledger_Event *e = fx_event(lotledger_EventType_SHIP, FX_FARM);
        fx_lot(e, lots[i], 100 + (uint64_t)i, "EA");
        (void)snprintf(e->counterparty, sizeof(e->counterparty), "packer");
        fx_sign(&ev, NULL, e, FX_FARM);
        fx_add(b, &ev);
    }
    fx_commit(w.l, b);
    ll_buf_free(&ev);
    for (int i = 0; i < N; i++)
        check_shipped(w.l, lots[i], 900 - (uint64_t)i);
    ASSERT_OK(ll_ledger_verify(w.l, &(struct ll_verify_report){0}, NULL));
    world_free(&w);
}

/* Commission `lots` new lots in each of `events` events, numbered from
 * first on (lot j of event i: tlc/fda/42/F-i-j), in blocks of 200. */
static void commission_many(struct ll_ledger *l, int first, int events,
                            int lots)
{
    struct ll_buf ev = {0};
    char lot[64];
    struct ll_block *b = NULL;
    for (int i = first; i < first + events; i++) {
        if (b == NULL)
            b = fx_begin(l);
        lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
        for (int j = 0; j < lots; j++) {
            (void)snprintf(lot, sizeof(lot), "tlc/fda/42/F-%d-%d", i, j);
            fx_lot(e, lot, 10, "EA");
        }
        fx_sign(&ev, NULL, e, FX_FARM);
        fx_add(b, &ev);
        if (ll_block_count(b) == 200) {
            fx_commit(l, b);
            b = NULL;
        }
    }
    if (b != NULL)
        fx_commit(l, b);
    ll_buf_free(&ev);
}

/* Commissioning lot j of event i (see commission_many) again is refused. */
static void check_lot_known(struct ll_ledger *l, int i, int j)
{
    struct ll_buf ev = {0};
    char lot[64];
    struct ll_block *b = fx_begin(l);
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    (void)snprintf(lot, sizeof(lot), "tlc/fda/42/F-%d-%d", i, j);
    fx_lot(e, lot, 10, "EA");
    fx_sign(&ev, NULL, e, FX_FARM);
    struct ll_errmsg em = {{0}};
    ASSERT_ERR(ll_block_add(b, ev.data, ev.len, false, NULL, NULL, &em),
               LL_ELOTEXISTS);
    ll_block_free(b);
    ll_buf_free(&ev);
}

/*
 * The committed-key filters are sized at open for what the store holds,
 * with room to double: a filter sized for an empty store was rebuilt, by
 * reading every key, inside the commit that filled it (a stall of about
 * 0.3 s per 10^6 events in bench_ledger). Also: nothing committed is lost
 * to the filter across the reopen.
 */
static void test_filter_sized_at_open(void)
{
    enum { EVENTS = 600, LOTS = 64 };
    struct world w;
    world_init(&w);
    commission_many(w.l, 0, EVENTS, LOTS);
    ll_ledger_close(w.l);
    world_open(&w);
    uint64_t bits = 0;
    uint64_t keys = 0;
    size_t layers = 0;
    ll_ledger__filter_size(w.l, true, &bits, &keys, &layers);
    ASSERT_UEQ(keys, (uint64_t)EVENTS * LOTS);
    ASSERT_GE(bits, 32 * keys);
    ASSERT_UEQ(layers, 1);
    ll_ledger__filter_size(w.l, false, &bits, &keys, &layers);
    ASSERT_UEQ(keys, (uint64_t)EVENTS);
    ASSERT_GE(bits, 32 * keys);
    for (int i = 0; i < EVENTS; i += 97)
        check_lot_known(w.l, i, i % LOTS);
    world_free(&w);
}

/*
 * A filter that fills up grows by a layer instead of being rebuilt from
 * the store (a rebuild reads every key, on the thread that commits); keys
 * of every layer are still found, and the next open makes one layer again.
 */
static void test_filter_grows_in_layers(void)
{
    enum { LOTS = 64, EVENTS = (1 << 20) / 16 / LOTS + 2 };
    struct world w;
    world_init(&w);
    commission_many(w.l, 0, EVENTS, LOTS);
    uint64_t bits = 0;
    uint64_t keys = 0;
    size_t layers = 0;
    ll_ledger__filter_size(w.l, true, &bits, &keys, &layers);
    /* A key the filter already answers "maybe" for is not added again. */
    ASSERT_GE(keys, (uint64_t)EVENTS * LOTS * 99 / 100);
    ASSERT_TRUE(keys <= (uint64_t)EVENTS * LOTS);
    ASSERT_UEQ(layers, 2);
    ASSERT_UEQ(bits, (uint64_t)5 << 20);
    check_lot_known(w.l, 0, 0);
    check_lot_known(w.l, EVENTS - 1, LOTS - 1);
    ll_ledger_close(w.l);
    world_open(&w);
    ll_ledger__filter_size(w.l, true, &bits, &keys, &layers);
    ASSERT_UEQ(layers, 1);
    ASSERT_UEQ(keys, (uint64_t)EVENTS * LOTS);
    check_lot_known(w.l, EVENTS / 2, 7);
    world_free(&w);
}

/* ---- the hand-written LotState codec against nanopb --------------------- */

/* A random string in char[size]: empty a quarter of the time. */
static void rand_str(char *out, size_t size)
{
    static const char cs[] = "abcXYZ019/-. ";
    size_t n = ll_test_rand_below(4) == 0
                   ? 0
                   : 1 + ll_test_rand_below((uint32_t)(size - 1));
    for (size_t i = 0; i < n; i++)
        out[i] = cs[ll_test_rand_below(sizeof(cs) - 1)];
    out[n] = '\0';
}

/* A random 64-bit value: zero, small or large. */
static uint64_t rand_u64(void)
{
    switch (ll_test_rand_below(3)) {
    case 0:
        return 0;
    case 1:
        return ll_test_rand_below(300);
    default:
        return ll_test_rand();
    }
}

static void rand_lot_state(lotledger_LotState *st)
{
    memset(st, 0, sizeof(*st));
    rand_str(st->lot, sizeof(st->lot));
    rand_str(st->originator, sizeof(st->originator));
    rand_str(st->uom, sizeof(st->uom));
    st->events = rand_u64();
    st->log_root.size = (pb_size_t)ll_test_rand_below(33);
    ll_test_rand_bytes(st->log_root.bytes, st->log_root.size);
    st->status = (lotledger_LotStatus)(rand_u64() & 0x7fffffff);
    rand_str(st->status_by, sizeof(st->status_by));
    st->holdings_count =
        (pb_size_t)ll_test_rand_below(ll_test_rand_below(8) == 0 ? 65 : 4);
    for (size_t i = 0; i < st->holdings_count; i++) {
        rand_str(st->holdings[i].org, sizeof(st->holdings[i].org));
        st->holdings[i].quantity = rand_u64();
    }
    st->pending_count = (pb_size_t)ll_test_rand_below(4);
    for (size_t i = 0; i < st->pending_count; i++) {
        lotledger_Pending *p = &st->pending[i];
        p->ship.size = ll_test_rand_below(2) ? 32 : 0;
        ll_test_rand_bytes(p->ship.bytes, p->ship.size);
        rand_str(p->from, sizeof(p->from));
        rand_str(p->to, sizeof(p->to));
        p->quantity = rand_u64();
    }
    st->created_height = rand_u64();
    st->discrepancies = rand_u64();
    st->has_master = ll_test_rand_below(2);
    rand_str(st->master.product, sizeof(st->master.product));
    st->master.expiry = (uint32_t)rand_u64();
    st->master.harvest_date = (uint32_t)rand_u64();
    rand_str(st->master.country, sizeof(st->master.country));
}

/* Change, drop or add one byte of b (len bytes; room for one more). */
static size_t mutate(uint8_t *b, size_t len)
{
    size_t at = ll_test_rand_below((uint32_t)len);
    switch (ll_test_rand_below(4)) {
    case 0:
        memmove(b + at, b + at + 1, len - at - 1);
        return len - 1;
    case 1:
        memmove(b + at + 1, b + at, len - at);
        b[at] = (uint8_t)ll_test_rand();
        return len + 1;
    case 2:
        return at; /* truncated */
    default:
        b[at] = (uint8_t)(b[at] ^ (1u << ll_test_rand_below(8)));
        return len;
    }
}

/* Encode st by hand and check it against the bytes in want. */
static void lot_encode_eq(const lotledger_LotState *st, const uint8_t *want,
                          size_t len)
{
    uint8_t enc[lotledger_LotState_size];
    size_t got = 0;
    ASSERT_OK(ll_ledger__lot_encode(enc, sizeof(enc), &got, st));
    ASSERT_UEQ(got, len);
    ASSERT_MEM_EQ(enc, want, len);
}

/* One mutation of enc: both decoders accept it (to the same state) or
 * both refuse it. */
static void lot_codec_mutation(const uint8_t *enc, size_t len,
                               lotledger_LotState *a, lotledger_LotState *b)
{
    uint8_t m[lotledger_LotState_size + 1];
    memcpy(m, enc, len);
    size_t ml = mutate(m, len);
    int mine = ll_ledger__lot_decode(a, m, ml);
    int ref = ll_ledger__pb_decode(lotledger_LotState_fields, b, sizeof(*b), m,
                                   ml, "lot", NULL);
    /* The one difference: a status past INT32_MAX (nanopb keeps it as a
     * uint32 in the enum) is refused. */
    if (mine != 0 && ref == 0 && (unsigned)b->status > INT32_MAX)
        return;
    if ((mine == 0) != (ref == 0))
        ll_test_fail(__FILE__, __LINE__,
                     "mutation at %zu bytes: mine %s, nanopb %s", ml,
                     ll_err_name(mine), ll_err_name(ref));
    if (mine == 0)
        lot_encode_eq(a, m, ml);
}

/* A random state: nanopb's bytes, the hand encoder's, and both decoders. */
static void lot_codec_round(lotledger_LotState *st, lotledger_LotState *a,
                            lotledger_LotState *b)
{
    struct ll_buf ref;
    uint8_t small[lotledger_LotState_size];
    size_t len = 0;
    rand_lot_state(st);
    ll_buf_init(&ref, lotledger_LotState_size);
    ASSERT_OK(ll_ledger__pb_encode(&ref, lotledger_LotState_fields, st,
                                   lotledger_LotState_size));
    lot_encode_eq(st, ref.data, ref.len);
    ASSERT_OK(ll_ledger__lot_decode(a, ref.data, ref.len));
    lot_encode_eq(a, ref.data, ref.len);
    if (ref.len > 0) {
        /* Too small a buffer is refused, not overrun. */
        ASSERT_ERR(ll_ledger__lot_encode(small, ref.len - 1, &len, st),
                   LL_ETOOBIG);
        for (int k = 0; k < 20; k++)
            lot_codec_mutation(ref.data, ref.len, a, b);
    }
    ll_buf_free(&ref);
}

/*
 * A key for the map test: new and random, or an old key with one bit
 * flipped at a random depth (so it shares a prefix with it, sometimes a
 * long one: its leaf is pushed down through several pages).
 */
static void map_key(uint8_t key[32], const uint8_t (*old)[32], size_t nold)
{
    ll_test_rand_bytes(key, 32);
    if (nold == 0 || ll_test_rand_below(2) == 0)
        return;
    memcpy(key, old[ll_test_rand_below((uint32_t)nold)], 32);
    unsigned bit = ll_test_rand_below(4) == 0 ? ll_test_rand_below(256)
                                              : ll_test_rand_below(40);
    key[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
    /* The bits after it random again, or kept (a deeper split later). */
    if (ll_test_rand_below(2) == 0 && bit < 255) {
        uint8_t r[32];
        ll_test_rand_bytes(r, 32);
        for (unsigned i = bit + 1; i < 256; i++) {
            uint8_t m = (uint8_t)(0x80u >> (i % 8));
            key[i / 8] = (uint8_t)((key[i / 8] & ~m) | (r[i / 8] & m));
        }
    }
}

/*
 * Take away the deepest state-map page of st, check an update of every
 * key fails with LL_ECORRUPT, put it back and check an update of every key
 * (other values) then gives the root ll_smt_update gives (ms at ref_root).
 */
static void map_fail_then_retry(struct ll_store *st,
                                struct ll_ledger__map_copies *copies,
                                const uint8_t root[32],
                                const struct ll_smt_store *ms,
                                const uint8_t ref_root[32],
                                const uint8_t (*keys)[32], size_t nkeys)
{
    uint8_t pk[40] = {0};
    size_t pkl = 0;
    uint8_t pv[LL_PAGE_MAX];
    size_t pvl = 0;
    struct ll_store_iter *it = NULL;
    ASSERT_OK(ll_store_iter_open(st, NULL, "n", 1, NULL, 0, &it));
    const uint8_t *k;
    const uint8_t *v;
    size_t kl;
    size_t vl;
    while (ll_store_iter_next(it, &k, &kl, &v, &vl)) {
        if (kl <= sizeof(pk) && vl <= sizeof(pv) && k[1] >= pk[1]) {
            memcpy(pk, k, kl);
            pkl = kl;
            memcpy(pv, v, vl);
            pvl = vl;
        }
    }
    ll_store_iter_close(it);
    ASSERT_GE(pk[1], 5); /* below the upper tiers */
    struct ll_smt_kv *kv = ll_calloc(nkeys, sizeof(*kv));
    ASSERT_NOT_NULL(kv);
    for (size_t i = 0; i < nkeys; i++) {
        memcpy(kv[i].key, keys[i], 32);
        ll_test_rand_bytes(kv[i].value_hash, 32);
    }
    struct ll_store_batch *wb = NULL;
    ASSERT_OK(ll_store_batch_new(&wb));
    ll_store_batch_del(wb, pk, pkl);
    ASSERT_OK(ll_store_write(st, wb, true));
    uint8_t got[32];
    ASSERT_ERR(ll_ledger__map_update(st, copies, got, root, kv, nkeys),
               LL_ECORRUPT);
    ll_store_batch_clear(wb);
    ll_store_batch_put(wb, pk, pkl, pv, pvl);
    ASSERT_OK(ll_store_write(st, wb, true));
    ll_store_batch_free(wb);
    /* Other values this time: a page the failed walk half rewrote and
     * kept would now give a wrong root rather than a mismatch. */
    for (size_t i = 0; i < nkeys; i++)
        ll_test_rand_bytes(kv[i].value_hash, 32);
    uint8_t want[32];
    ASSERT_OK(ll_smt_update(ms, want, ref_root, kv, nkeys));
    ASSERT_OK(ll_ledger__map_update(st, copies, got, root, kv, nkeys));
    ASSERT_MEM_EQ(got, want, 32);
    ll_free(kv);
}

/*
 * The builder's page-by-page map update gives the root ll_smt_update
 * gives, batch after batch of inserts and updates (keys parting deep
 * below, leaves pushed down across pages), whether pages come from its
 * copies or, re-read and checked, from the store; a missing page it needs
 * is LL_ECORRUPT and writes nothing.
 */
static void test_map_update_matches_smt(void)
{
    /* Stores updated without copies, with the builder's cache, and with a
     * two-slot cache (pages of one walk evict each other). */
    enum { NST = 3 };
    static const unsigned bits[NST] = {0, 14, 1};
    char dir[NST][512];
    struct ll_store *st[NST] = {NULL};
    struct ll_ledger__map_copies *copies[NST] = {NULL};
    struct ll_smt_mem *mem = NULL;
    struct ll_smt_store ms;
    uint8_t(*keys)[32] = ll_calloc(4096, 32);
    ASSERT_TRUE(keys != NULL);
    size_t nkeys = 0;
    uint8_t root[NST][32] = {{0}};
    uint8_t ref_root[32] = {0};
    for (int i = 0; i < NST; i++) {
        ll_test_tmpdir(dir[i], sizeof(dir[i]));
        ASSERT_OK(ll_store_open(&st[i], dir[i], true, 0, NULL));
        if (bits[i] != 0)
            ASSERT_OK(ll_ledger__map_copies_new(&copies[i], bits[i]));
    }
    ASSERT_OK(ll_smt_mem_new(&mem));
    ll_smt_mem_store(&ms, mem);
    for (int round = 0; round < 150; round++) {
        struct ll_smt_kv kv[40];
        size_t n = 1 + ll_test_rand_below(round % 10 == 0 ? 40 : 8);
        size_t made = 0;
        for (size_t i = 0; i < n; i++) {
            memset(&kv[made], 0, sizeof(kv[made]));
            if (nkeys > 0 && ll_test_rand_below(3) == 0)
                memcpy(kv[made].key, keys[ll_test_rand_below((uint32_t)nkeys)],
                       32);
            else
                map_key(kv[made].key, (const uint8_t(*)[32])keys, nkeys);
            bool dup = false;
            for (size_t j = 0; j < made; j++)
                dup = dup || memcmp(kv[j].key, kv[made].key, 32) == 0;
            if (dup)
                continue;
            ll_test_rand_bytes(kv[made].value_hash, 32);
            made++;
        }
        uint8_t want[32];
        ASSERT_OK(ll_smt_update(&ms, want, ref_root, kv, made));
        memcpy(ref_root, want, 32);
        for (int i = 0; i < NST; i++) {
            ASSERT_OK(ll_ledger__map_update(st[i], copies[i], root[i], root[i],
                                            kv, made));
            ASSERT_MEM_EQ(root[i], want, 32);
        }
        for (size_t j = 0; j < made && nkeys < 4096; j++) {
            bool known = false;
            for (size_t q = 0; q < nkeys && !known; q++)
                known = memcmp(keys[q], kv[j].key, 32) == 0;
            if (!known)
                memcpy(keys[nkeys++], kv[j].key, 32);
        }
    }
    /* Without copies, a page the next update needs is gone from the
     * store: LL_ECORRUPT. (The stores with copies go on.) */
    struct ll_smt_kv kv;
    memset(&kv, 0, sizeof(kv));
    memcpy(kv.key, keys[0], 32);
    memset(kv.value_hash, 0x5a, 32);
    uint8_t k[2] = {'n', 0};
    struct ll_store_batch *wb = NULL;
    ASSERT_OK(ll_store_batch_new(&wb));
    ll_store_batch_del(wb, k, 2);
    ASSERT_OK(ll_store_write(st[0], wb, true));
    ll_store_batch_free(wb);
    uint8_t got[32];
    ASSERT_ERR(ll_ledger__map_update(st[0], NULL, got, root[0], &kv, 1),
               LL_ECORRUPT);
    uint8_t want[32];
    ASSERT_OK(ll_smt_update(&ms, want, ref_root, &kv, 1));
    ASSERT_OK(ll_ledger__map_update(st[1], copies[1], got, root[1], &kv, 1));
    ASSERT_MEM_EQ(got, want, 32);
    /* An update that fails on a deep page (missing; the two-slot cache
     * does not hold it) after rewriting others leaves no half-edited copy
     * behind: with the page back, the same update gives the right root. */
    map_fail_then_retry(st[2], copies[2], root[2], &ms, ref_root,
                        (const uint8_t(*)[32])keys, nkeys);
    /* A delete is refused. */
    kv.del = true;
    ASSERT_ERR(ll_ledger__map_update(st[1], copies[1], got, want, &kv, 1),
               LL_EINVAL);
    ll_smt_mem_free(mem);
    for (int i = 0; i < NST; i++) {
        ll_ledger__map_copies_free(copies[i]);
        ll_store_close(st[i]);
        ll_test_rmrf(dir[i]);
    }
    ll_free(keys);
}

/*
 * The hand-written LotState codec writes nanopb's bytes and accepts
 * exactly what nanopb's strict decode accepts.
 */
static void test_lot_codec(void)
{
    lotledger_LotState *st = ll_malloc(sizeof(*st));
    lotledger_LotState *a = ll_malloc(sizeof(*a));
    lotledger_LotState *b = ll_malloc(sizeof(*b));
    uint8_t enc[64];
    size_t len = 0;
    ASSERT_NOT_NULL(st);
    ASSERT_NOT_NULL(a);
    ASSERT_NOT_NULL(b);
    for (int round = 0; round < 400; round++)
        lot_codec_round(st, a, b);
    /* An unterminated string cannot be encoded. */
    memset(st, 0, sizeof(*st));
    memset(st->uom, 'A', sizeof(st->uom));
    ASSERT_ERR(ll_ledger__lot_encode(enc, sizeof(enc), &len, st), LL_EINVAL);
    ll_free(st);
    ll_free(a);
    ll_free(b);
}

/* ---- the hand-written Event decoder against nanopb ----------------------- */

/* A random signed 64-bit value: zero, small either way, or any. */
static int64_t rand_i64(void)
{
    switch (ll_test_rand_below(4)) {
    case 0:
        return 0;
    case 1:
        return (int64_t)ll_test_rand_below(200) - 100;
    default:
        return (int64_t)ll_test_rand();
    }
}

static void rand_quantity(lotledger_LotQuantity *q)
{
    rand_str(q->lot, sizeof(q->lot));
    q->quantity = rand_u64();
    rand_str(q->uom, sizeof(q->uom));
}

static void rand_sensor(lotledger_SensorReport *sr)
{
    rand_str(sr->type, sizeof(sr->type));
    sr->value = rand_i64();
    rand_str(sr->uom, sizeof(sr->uom));
    sr->has_min = ll_test_rand_below(2);
    sr->min = sr->has_min ? rand_i64() : 0;
    sr->has_max = ll_test_rand_below(2);
    sr->max = sr->has_max ? rand_i64() : 0;
    sr->time = rand_i64();
    sr->alarm = ll_test_rand_below(2);
    rand_str(sr->device, sizeof(sr->device));
}

/* Fill n (a random count, below max) elements with fill. */
#define RAND_ARRAY(arr, count, max, fill)                                      \
    do {                                                                       \
        (count) = (pb_size_t)ll_test_rand_below((max) + 1);                    \
        for (size_t i_ = 0; i_ < (count); i_++)                                \
            fill(&(arr)[i_]);                                                  \
    } while (0)

static void rand_doc(lotledger_BizDocument *d)
{
    rand_str(d->type, sizeof(d->type));
    rand_str(d->number, sizeof(d->number));
}

static void rand_kde(lotledger_Kde *k)
{
    rand_str(k->key, sizeof(k->key));
    rand_str(k->value, sizeof(k->value));
}

static void rand_event(lotledger_Event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->version = (uint32_t)rand_u64();
    rand_str(ev->chain_id, sizeof(ev->chain_id));
    ev->type = (lotledger_EventType)ll_test_rand_below(12);
    rand_str(ev->biz_step, sizeof(ev->biz_step));
    rand_str(ev->disposition, sizeof(ev->disposition));
    ev->event_time = rand_i64();
    ev->tz_offset = (int32_t)rand_i64();
    rand_str(ev->org, sizeof(ev->org));
    ev->key_id.size = (pb_size_t)ll_test_rand_below(9);
    ll_test_rand_bytes(ev->key_id.bytes, ev->key_id.size);
    RAND_ARRAY(ev->lots, ev->lots_count, 4, rand_quantity);
    RAND_ARRAY(ev->outputs, ev->outputs_count, 2, rand_quantity);
    rand_str(ev->location, sizeof(ev->location));
    rand_str(ev->counterparty, sizeof(ev->counterparty));
    ev->ref.size = ll_test_rand_below(2) ? 32 : 0;
    ll_test_rand_bytes(ev->ref.bytes, ev->ref.size);
    RAND_ARRAY(ev->docs, ev->docs_count, 2, rand_doc);
    ev->has_master = ll_test_rand_below(2);
    rand_str(ev->master.product, sizeof(ev->master.product));
    ev->master.best_before = (uint32_t)rand_u64();
    RAND_ARRAY(ev->sensors, ev->sensors_count, 2, rand_sensor);
    RAND_ARRAY(ev->kdes, ev->kdes_count, 2, rand_kde);
    rand_str(ev->reason, sizeof(ev->reason));
    rand_str(ev->fsma_cte, sizeof(ev->fsma_cte));
}

/* Encode ev with nanopb; it must give exactly want. */
static void event_encode_eq(const lotledger_Event *ev, const uint8_t *want,
                            size_t len)
{
    struct ll_buf b;
    ll_buf_init(&b, LL_EVENT_MAX_BYTES);
    ASSERT_OK(ll_ledger__pb_encode(&b, lotledger_Event_fields, ev,
                                   LL_EVENT_MAX_BYTES));
    ASSERT_UEQ(b.len, len);
    if (len > 0)
        ASSERT_MEM_EQ(b.data, want, len);
    ll_buf_free(&b);
}

/* One mutation: both decoders accept it (to the same event) or refuse. */
static void event_mutation(const uint8_t *enc, size_t len, lotledger_Event *a,
                           lotledger_Event *b)
{
    uint8_t m[4096];
    size_t at = 0;
    ASSERT_LT(len, sizeof(m));
    memcpy(m, enc, len);
    size_t ml = mutate(m, len);
    int mine = ll_ledger__event_decode(a, m, ml, &at);
    int ref = ll_ledger__pb_decode(lotledger_Event_fields, b, sizeof(*b), m, ml,
                                   "event", NULL);
    if ((mine == 0) != (ref == 0))
        ll_test_fail(__FILE__, __LINE__,
                     "mutation at %zu bytes: mine %s, nanopb %s", ml,
                     ll_err_name(mine), ll_err_name(ref));
    if (mine == 0)
        event_encode_eq(a, m, ml);
}

/*
 * The hand-written Event decoder accepts exactly what nanopb's strict
 * decode accepts, to the same event.
 */
static void test_event_codec(void)
{
    lotledger_Event *ev = ll_malloc(sizeof(*ev));
    lotledger_Event *a = ll_malloc(sizeof(*a));
    lotledger_Event *b = ll_malloc(sizeof(*b));
    ASSERT_NOT_NULL(ev);
    ASSERT_NOT_NULL(a);
    ASSERT_NOT_NULL(b);
    for (int round = 0; round < 300; round++) {
        struct ll_buf enc;
        size_t at = 0;
        rand_event(ev);
        ll_buf_init(&enc, LL_EVENT_MAX_BYTES);
        ASSERT_OK(ll_ledger__pb_encode(&enc, lotledger_Event_fields, ev,
                                       LL_EVENT_MAX_BYTES));
        ASSERT_OK(ll_ledger__event_decode(a, enc.data, enc.len, &at));
        event_encode_eq(a, enc.data, enc.len);
        for (int k = 0; k < 20 && enc.len > 0; k++)
            event_mutation(enc.data, enc.len, a, b);
        ll_buf_free(&enc);
    }
    ll_free(ev);
    ll_free(a);
    ll_free(b);
}

static const struct ll_test tests[] = {
    {"nodes_pruned", test_nodes_pruned},
    {"map_update_matches_smt", test_map_update_matches_smt},
    {"lot_codec", test_lot_codec},
    {"org_index", test_org_index},
    {"dropped_block", test_dropped_block},
    {"lot_cache_set", test_lot_cache_set},
    {"filter_sized_at_open", test_filter_sized_at_open},
    {"filter_grows_in_layers", test_filter_grows_in_layers},
    {"event_codec", test_event_codec},
    {"story", test_story},
    {"rules_table", test_rules_table},
    {"status_lifecycle", test_status_lifecycle},
    {"observe_bound", test_observe_bound},
    {"restart_and_genesis_mismatch", test_restart_and_genesis_mismatch},
    {"schema_version", test_schema_version},
    {"proof_while_sealing", test_proof_while_sealing},
    {"write_buffer", test_write_buffer},
    {"commit_needs_quorum", test_commit_needs_quorum},
    {"verify_detects_corruption", test_verify_detects_corruption},
};

LL_TEST_MAIN(tests)
