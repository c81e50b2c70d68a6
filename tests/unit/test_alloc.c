/* SPDX-License-Identifier: MIT */
/*
 * Allocation-failure sweeps (curl's torture tests): each operation runs
 * once with its 1st allocation failing, once with its 2nd, and so on until
 * it makes no more, then once more without a failure. Every failed run must
 * return LL_ENOMEM, leave no allocation behind (ll_alloc_live; the ASan
 * build's LeakSanitizer checks the rest) and change nothing that is stored:
 * the ledger's tip and state root stay, and the run that finally succeeds
 * gives the same result as a ledger that never saw a failure, which then
 * verifies, also after a reopen. Paths: event decode (protobuf and JSON)
 * and JSON encode, genesis parse and load, block begin/add/seal/commit on
 * LevelDB (small blocks, and one past every first table size), ledger
 * open, chain verify, snapshot open, trace and its JSON, proof build and
 * verify. jansson allocates through ll_malloc here (ll_json_init);
 * LevelDB's allocations are its own and are not swept (docs/testing.md).
 */
#include "../../ledger/event_json.h"
#include "../../ledger/proof.h"
#include "trace_world.h"

/* One operation under test; arg is its context. */
struct op {
    const char *what;
    int (*run)(void *arg);        /* 0 or an error; frees its partial work */
    void (*unchanged)(void *arg); /* after a failed run: fail the case if
                                   * anything stored changed (optional) */
    void *arg;
    /* Optional: called before and after each run (no failure injected), so
     * that a run can start from a freshly opened ledger and every
     * allocation of the run, caches included, is freed by the time it is
     * counted. Without them the run's objects must free everything. */
    void (*setup)(void *arg);
    void (*teardown)(void *arg);
    bool cached; /* the run may fill caches that outlive it: count the
                  * blocks in use only at the end of the case */
};

/*
 * Sweep op: for n = 1, 2, ... make the nth allocation of a run fail, until
 * a run makes fewer than n allocations; that run (with no failure) must
 * succeed. Returns the number of allocations the successful run made.
 */
static uint64_t sweep(const struct op *op)
{
    for (uint64_t n = 1;; n++) {
        int64_t live = ll_alloc_live();
        if (op->setup != NULL)
            op->setup(op->arg);
        (void)ll_alloc_fail_at(n);
        int rc = op->run(op->arg);
        bool fired = ll_alloc_failed();
        uint64_t made = ll_alloc_fail_at(0);
        if (fired && rc != LL_ENOMEM)
            ll_test_fail(__FILE__, __LINE__,
                         "%s: allocation %llu failed: got %s, want "
                         "LL_ENOMEM",
                         op->what, (unsigned long long)n, ll_err_name(rc));
        if (!fired && rc != 0)
            ll_test_fail(__FILE__, __LINE__,
                         "%s: %s with no allocation failing", op->what,
                         ll_err_name(rc));
        if (fired && op->unchanged != NULL)
            op->unchanged(op->arg);
        if (op->teardown != NULL)
            op->teardown(op->arg);
        if (fired && !op->cached && ll_alloc_live() != live)
            ll_test_fail(__FILE__, __LINE__,
                         "%s: allocation %llu failed: %lld blocks leaked",
                         op->what, (unsigned long long)n,
                         (long long)(ll_alloc_live() - live));
        if (!fired) {
            if (getenv("LL_ALLOC_SWEEP_SAY") != NULL) /* NOLINT */
                printf("# %s: %llu allocations\n", op->what,
                       (unsigned long long)made);
            return made;
        }
    }
}

/* ---- event decode ----------------------------------------------------------
 */

struct decode_ctx {
    struct ll_buf pb;   /* a SignedEvent */
    struct ll_buf json; /* the same, as JSON text */
    struct ll_buf out;  /* what the JSON decodes to */
    lotledger_Event ev; /* scratch */
};

/* A signed transform event with inputs and outputs, in both forms. */
static void decode_init(struct decode_ctx *c)
{
    memset(c, 0, sizeof(*c));
    ll_json_init();
    fx_keys_init();
    lotledger_Event *x = fx_event(lotledger_EventType_TRANSFORM, FX_PACKER);
    fx_lot(x, L_A, 100000, "KGM");
    fx_lot(x, L_B, 50000, "KGM");
    fx_output(x, L_C, 140000, "KGM");
    fx_sign(&c->pb, NULL, x, FX_PACKER);
    struct ll_signed_event se;
    ASSERT_OK(ll_signed_event_decode(&se, c->pb.data, c->pb.len, NULL));
    ll_buf_init(&c->json, LL_EVENT_JSON_MAX);
    ASSERT_OK(ll_signed_event_json_encode(&c->json, &se));
}

static int run_pb_decode(void *arg)
{
    struct decode_ctx *c = arg;
    struct ll_signed_event se;
    int rc = ll_signed_event_decode(&se, c->pb.data, c->pb.len, NULL);
    if (rc == 0)
        rc = ll_event_decode(&c->ev, se.ev_bytes, se.ev_len, NULL);
    return rc;
}

static int run_json_decode(void *arg)
{
    struct decode_ctx *c = arg;
    struct ll_errmsg e = {{0}};
    ll_buf_free(&c->out);
    ll_buf_init(&c->out, LL_EVENT_MAX_BYTES);
    int rc = ll_signed_event_json_decode(
        &c->out, &c->ev, (const char *)c->json.data, c->json.len, &e);
    if (rc)
        ll_buf_free(&c->out);
    return rc;
}

static int run_json_encode(void *arg)
{
    struct decode_ctx *c = arg;
    struct ll_signed_event se;
    int rc = ll_signed_event_decode(&se, c->pb.data, c->pb.len, NULL);
    ll_buf_init(&c->out, LL_EVENT_JSON_MAX);
    if (rc == 0)
        rc = ll_signed_event_json_encode(&c->out, &se);
    if (rc)
        ll_buf_free(&c->out);
    return rc;
}

static void test_event_decode(void)
{
    struct decode_ctx c;
    decode_init(&c);
    struct op pb = {
        "protobuf decode", run_pb_decode, NULL, &c, NULL, NULL, false};
    (void)sweep(&pb);
    struct op json = {"JSON decode", run_json_decode, NULL, &c, NULL, NULL,
                      false};
    ASSERT_GT(sweep(&json), 0); /* jansson's allocations are swept */
    /* The run that succeeded gives the protobuf bytes back. */
    ASSERT_UEQ(c.out.len, c.pb.len);
    ASSERT_MEM_EQ(c.out.data, c.pb.data, c.pb.len);
    /* And back: never an event with a field missing. */
    ll_buf_free(&c.out);
    struct op enc = {"JSON encode", run_json_encode, NULL, &c, NULL, NULL,
                     false};
    ASSERT_GT(sweep(&enc), 0);
    ASSERT_UEQ(c.out.len, c.json.len);
    ASSERT_MEM_EQ(c.out.data, c.json.data, c.json.len);
    ll_buf_free(&c.pb);
    ll_buf_free(&c.json);
    ll_buf_free(&c.out);
}

/* ---- genesis ---------------------------------------------------------------
 */

struct genesis_ctx {
    char *json;            /* the fixture genesis text */
    char path[600];        /* the same in a file */
    struct ll_genesis *g;  /* parsed into here */
    struct ll_genesis *g0; /* what *g held before */
};

static int run_genesis_parse(void *arg)
{
    struct genesis_ctx *c = arg;
    struct ll_errmsg e = {{0}};
    return ll_genesis_parse(c->g, c->json, strlen(c->json), &e);
}

static int run_genesis_load(void *arg)
{
    struct genesis_ctx *c = arg;
    struct ll_errmsg e = {{0}};
    return ll_genesis_load(c->g, c->path, &e);
}

/* A failed parse leaves the caller's genesis as it was. */
static void genesis_unchanged(void *arg)
{
    struct genesis_ctx *c = arg;
    ASSERT_MEM_EQ(c->g, c->g0, sizeof(*c->g));
}

static void test_genesis(void)
{
    char dir[512];
    struct genesis_ctx c;
    ll_json_init();
    ll_test_tmpdir(dir, sizeof(dir));
    c.json = fx_genesis_json();
    (void)snprintf(c.path, sizeof(c.path), "%s/genesis.json", dir);
    FILE *f = fopen(c.path, "w");
    ASSERT_NOT_NULL(f);
    ASSERT_UEQ(fwrite(c.json, 1, strlen(c.json), f), strlen(c.json));
    ASSERT_OK(fclose(f));
    c.g = ll_calloc(1, sizeof(*c.g));
    c.g0 = ll_calloc(1, sizeof(*c.g0));
    ASSERT_NOT_NULL(c.g);
    ASSERT_NOT_NULL(c.g0);
    struct ll_genesis *want = fx_genesis();

    struct op parse = {"genesis parse",
                       run_genesis_parse,
                       genesis_unchanged,
                       &c,
                       NULL,
                       NULL,
                       false};
    ASSERT_GT(sweep(&parse), 0);
    ASSERT_MEM_EQ(c.g, want, sizeof(*want));
    memset(c.g, 0, sizeof(*c.g));
    struct op load = {
        "genesis load", run_genesis_load, genesis_unchanged, &c, NULL, NULL,
        false};
    ASSERT_GT(sweep(&load), 0);
    ASSERT_MEM_EQ(c.g, want, sizeof(*want));

    ll_free(want);
    ll_free(c.g);
    ll_free(c.g0);
    ll_free(c.json);
    ll_test_rmrf(dir);
}

/* ---- block apply -----------------------------------------------------------
 */

#define N_BLOCKS    2
#define MAX_PER_BLK 4

/* The trace world's two blocks, signed once so every ledger gets the same
 * bytes. */
struct blocks {
    struct ll_buf ev[N_BLOCKS][MAX_PER_BLK];
    size_t n[N_BLOCKS];
};

static void blocks_make(struct blocks *bl)
{
    uint8_t ship[32];
    memset(bl, 0, sizeof(*bl));
    fx_keys_init();
    lotledger_Event *x = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(x, L_A, 100000, "KGM");
    fx_lot(x, L_B, 50000, "KGM");
    fx_sign(&bl->ev[0][0], NULL, x, FX_FARM);
    x = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(x, L_A, 100000, "KGM");
    fx_lot(x, L_B, 50000, "KGM");
    (void)snprintf(x->counterparty, sizeof(x->counterparty), "packer");
    fx_sign(&bl->ev[0][1], ship, x, FX_FARM);
    bl->n[0] = 2;

    x = fx_event(lotledger_EventType_RECEIVE, FX_PACKER);
    fx_lot(x, L_A, 100000, "KGM");
    fx_lot(x, L_B, 50000, "KGM");
    memcpy(x->ref.bytes, ship, 32);
    x->ref.size = 32;
    fx_sign(&bl->ev[1][0], NULL, x, FX_PACKER);
    x = fx_event(lotledger_EventType_TRANSFORM, FX_PACKER);
    fx_lot(x, L_A, 100000, "KGM");
    fx_lot(x, L_B, 50000, "KGM");
    fx_output(x, L_C, 140000, "KGM");
    fx_sign(&bl->ev[1][1], NULL, x, FX_PACKER);
    x = fx_event(lotledger_EventType_TRANSFORM, FX_PACKER);
    fx_lot(x, L_C, 140000, "KGM");
    fx_output(x, L_D, 70000, "KGM");
    fx_output(x, L_E, 70000, "KGM");
    fx_sign(&bl->ev[1][2], NULL, x, FX_PACKER);
    x = fx_event(lotledger_EventType_SHIP, FX_PACKER);
    fx_lot(x, L_D, 70000, "KGM");
    (void)snprintf(x->counterparty, sizeof(x->counterparty), "retail");
    fx_sign(&bl->ev[1][3], NULL, x, FX_PACKER);
    bl->n[1] = 4;
}

static void blocks_free(struct blocks *bl)
{
    for (size_t i = 0; i < N_BLOCKS; i++)
        for (size_t j = 0; j < MAX_PER_BLK; j++)
            ll_buf_free(&bl->ev[i][j]);
}

struct apply_ctx {
    struct world *w;
    const struct ll_buf *ev;     /* the block's signed events */
    size_t n;                    /* how many */
    bool sig_verified;           /* skip the signature checks */
    int64_t time_ms;             /* its block time */
    struct ll_ledger_tip before; /* the tip before it */
};

/* Begin, add every event of the block, seal and commit; 0 or an error. */
static int run_apply(void *arg)
{
    struct apply_ctx *c = arg;
    struct ll_ledger *l = c->w->l;
    struct ll_errmsg e = {{0}};
    struct ll_block *b = NULL;
    struct ll_header h;
    struct ll_commit *cm = NULL;
    int rc = ll_block_begin(l, &b, c->time_ms, fx_keys[FX_VAL].pk);
    for (size_t i = 0; rc == 0 && i < c->n; i++)
        rc = ll_block_add(b, c->ev[i].data, c->ev[i].len, c->sig_verified, NULL,
                          NULL, &e);
    if (rc == 0)
        rc = ll_block_seal(b, &h);
    if (rc == 0) {
        cm = ll_calloc(1, sizeof(*cm));
        rc = cm == NULL ? LL_ENOMEM : 0;
    }
    if (rc == 0)
        rc = ll_commit_sign(cm, ll_ledger_valset(l), &h, &fx_keys[FX_VAL]);
    if (rc == 0) {
        rc = ll_ledger_commit(l, b, cm, &e);
        if (rc == 0)
            b = NULL; /* consumed */
    }
    ll_free(cm);
    ll_block_free(b);
    return rc;
}

/* The tip is (height, hash, state root, time) want. */
static void tip_is(struct ll_ledger *l, const struct ll_ledger_tip *want)
{
    struct ll_ledger_tip t;
    ll_ledger_tip(l, &t);
    ASSERT_UEQ(t.height, want->height);
    ASSERT_MEM_EQ(t.hash, want->hash, 32);
    ASSERT_MEM_EQ(t.state_root, want->state_root, 32);
    ASSERT_EQ(t.time_ms, want->time_ms);
}

/* A failed apply leaves the tip where it was. */
static void apply_unchanged(void *arg)
{
    struct apply_ctx *c = arg;
    tip_is(c->w->l, &c->before);
}

/* Each run on a freshly opened ledger, which must be where it was. */
static void apply_open(void *arg)
{
    struct apply_ctx *c = arg;
    struct ll_errmsg e = {{0}};
    if (ll_ledger_open(&c->w->l, c->w->dir, c->w->g, &e) != 0)
        ll_test_fail(__FILE__, __LINE__, "reopen: %s", e.text);
    tip_is(c->w->l, &c->before);
}

static void apply_close(void *arg)
{
    struct apply_ctx *c = arg;
    ll_ledger_close(c->w->l);
    c->w->l = NULL;
}

/*
 * Apply the blocks to w's ledger: directly, swept on the open ledger (a
 * failed run is followed by the next on the same ledger), or swept with the
 * ledger reopened around every run (a failed run leaves nothing on disk and
 * nothing allocated once the ledger is closed).
 */
enum apply_mode { APPLY_PLAIN, APPLY_SWEEP, APPLY_SWEEP_REOPEN };

static void apply_all(struct world *w, const struct blocks *bl,
                      enum apply_mode mode)
{
    for (size_t k = 0; k < N_BLOCKS; k++) {
        struct apply_ctx c = {
            w,  bl->ev[k], bl->n[k], false, FX_T0 + 1000 * (int64_t)(k + 1),
            {0}};
        ll_ledger_tip(w->l, &c.before);
        struct op op = {"block apply", run_apply, apply_unchanged, &c, NULL,
                        NULL,          true};
        if (mode == APPLY_SWEEP_REOPEN) {
            op.what = "block apply (reopened)";
            op.setup = apply_open;
            op.teardown = apply_close;
            op.cached = false;
            apply_close(&c);
        }
        if (mode == APPLY_PLAIN)
            ASSERT_OK(run_apply(&c));
        else
            ASSERT_GT(sweep(&op), 0);
        struct ll_errmsg e = {{0}};
        if (mode == APPLY_SWEEP_REOPEN &&
            ll_ledger_open(&w->l, w->dir, w->g, &e) != 0)
            ll_test_fail(__FILE__, __LINE__, "reopen: %s", e.text);
        struct ll_ledger_tip t;
        ll_ledger_tip(w->l, &t);
        ASSERT_UEQ(t.height, c.before.height + 1);
    }
}

static void verify_ok(struct ll_ledger *l)
{
    struct ll_verify_report r;
    struct ll_errmsg e = {{0}};
    int rc = ll_ledger_verify(l, &r, &e);
    if (rc)
        ll_test_fail(__FILE__, __LINE__, "verify: %s (%s)", e.text,
                     ll_err_name(rc));
    ASSERT_UEQ(r.height, N_BLOCKS);
}

/* The ledger w holds the same chain as ref, verifies, and does so again
 * after a reopen. */
static void same_chain(struct world *w, struct world *ref)
{
    struct ll_ledger_tip a;
    struct ll_errmsg e = {{0}};
    ll_ledger_tip(ref->l, &a);
    tip_is(w->l, &a);
    verify_ok(w->l);
    ll_ledger_close(w->l);
    w->l = NULL;
    if (ll_ledger_open(&w->l, w->dir, w->g, &e) != 0)
        ll_test_fail(__FILE__, __LINE__, "reopen: %s", e.text);
    tip_is(w->l, &a);
    verify_ok(w->l);
}

static void test_block_apply(void)
{
    struct blocks bl;
    struct world ref;
    struct world w;
    ll_json_init();
    blocks_make(&bl);
    int64_t live = ll_alloc_live();
    world_open(&ref);
    apply_all(&ref, &bl, APPLY_PLAIN);
    world_open(&w);
    apply_all(&w, &bl, APPLY_SWEEP);
    same_chain(&w, &ref);
    world_free(&w);
    world_open(&w);
    apply_all(&w, &bl, APPLY_SWEEP_REOPEN);
    same_chain(&w, &ref);
    world_free(&w);
    world_free(&ref);
    /* Whatever the failed runs left in caches went with the ledgers. */
    ASSERT_EQ(ll_alloc_live(), live);
    blocks_free(&bl);
}

/*
 * One block of 520 events, each creating a lot: past the first size of the
 * block's event arrays (256), lot table (512 lots) and id set (512
 * events), so every growth step fails once. The signatures were checked in
 * the small blocks; here the caller vouches for them.
 */
static void test_big_block(void)
{
    enum { BIG = 520 };
    struct ll_buf *ev = ll_calloc(BIG, sizeof(*ev));
    ASSERT_NOT_NULL(ev);
    fx_keys_init();
    for (size_t i = 0; i < BIG; i++) {
        char lot[64];
        lotledger_Event *x = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
        (void)snprintf(lot, sizeof(lot), "tlc/gln/0614141000005/BIG-%zu", i);
        fx_lot(x, lot, 1000, "KGM");
        fx_sign(&ev[i], NULL, x, FX_FARM);
    }
    struct world ref;
    struct world w;
    ll_json_init();
    int64_t live = ll_alloc_live();
    world_open(&ref);
    world_open(&w);
    struct ll_ledger_tip before;
    ll_ledger_tip(w.l, &before);
    struct apply_ctx r = {&ref, ev, BIG, true, FX_T0 + 1000, before};
    ASSERT_OK(run_apply(&r));
    struct apply_ctx c = {&w, ev, BIG, true, FX_T0 + 1000, before};
    struct op op = {
        "big block apply", run_apply, apply_unchanged, &c, NULL, NULL, true};
    ASSERT_GT(sweep(&op), 2 * BIG);
    struct ll_ledger_tip a;
    ll_ledger_tip(ref.l, &a);
    tip_is(w.l, &a);
    struct ll_verify_report vr;
    struct ll_errmsg e = {{0}};
    ASSERT_OK(ll_ledger_verify(w.l, &vr, &e));
    ASSERT_UEQ(vr.events, BIG);
    world_free(&w);
    world_free(&ref);
    ASSERT_EQ(ll_alloc_live(), live);
    for (size_t i = 0; i < BIG; i++)
        ll_buf_free(&ev[i]);
    ll_free(ev);
}

struct open_ctx {
    struct world *w;
};

static int run_open(void *arg)
{
    struct open_ctx *c = arg;
    struct ll_errmsg e = {{0}};
    return ll_ledger_open(&c->w->l, c->w->dir, c->w->g, &e);
}

/*
 * Opening a ledger with blocks: every failed open frees what it took, and
 * the open that succeeds finds the chain as it was.
 */
static void test_ledger_open(void)
{
    struct blocks bl;
    struct world w;
    struct ll_ledger_tip want;
    ll_json_init();
    blocks_make(&bl);
    world_open(&w);
    apply_all(&w, &bl, APPLY_PLAIN);
    ll_ledger_tip(w.l, &want);
    ll_ledger_close(w.l);
    w.l = NULL;
    struct open_ctx c = {&w};
    struct op op = {"ledger open", run_open, NULL, &c, NULL, NULL, false};
    ASSERT_GT(sweep(&op), 0);
    tip_is(w.l, &want);
    verify_ok(w.l);
    world_free(&w);
    blocks_free(&bl);
}

/* ---- snapshot, trace, proof ------------------------------------------------
 */

struct read_ctx {
    struct world *w;
    struct ll_ledger_snap *s;    /* snapshot opened by run_snap */
    struct ll_trace *t;          /* trace built by run_trace */
    struct ll_buf out;           /* trace JSON or proof bundle */
    const struct ll_buf *bundle; /* for run_verify */
    struct ll_proof_report r;
    const char *lot;
    enum ll_trace_dir dir;
};

static int run_snap(void *arg)
{
    struct read_ctx *c = arg;
    ll_ledger_snap_close(c->s);
    c->s = NULL;
    return ll_ledger_snap_open(c->w->l, &c->s);
}

static int run_trace(void *arg)
{
    struct read_ctx *c = arg;
    struct ll_errmsg e = {{0}};
    ll_trace_free(c->t);
    c->t = NULL;
    int rc = ll_trace_build(c->w->s, c->lot, c->dir, 16, &c->t, &e);
    if (rc == 0 && c->t == NULL)
        rc = LL_EINVAL; /* success must give a trace */
    if (rc != 0 && c->t != NULL)
        rc = LL_EINVAL; /* and failure none */
    return rc;
}

static int run_trace_json(void *arg)
{
    struct read_ctx *c = arg;
    ll_buf_init(&c->out, (size_t)16 << 20);
    int rc = ll_trace_json(c->t, &c->out);
    if (rc)
        ll_buf_free(&c->out);
    return rc;
}

static int run_proof_build(void *arg)
{
    struct read_ctx *c = arg;
    struct ll_errmsg e = {{0}};
    ll_buf_init(&c->out, LL_PROOF_MAX_BYTES);
    int rc = ll_proof_build(c->w->s, c->t, &c->out, &e);
    if (rc)
        ll_buf_free(&c->out);
    return rc;
}

static int run_proof_verify(void *arg)
{
    struct read_ctx *c = arg;
    struct ll_errmsg e = {{0}};
    memset(&c->r, 0, sizeof(c->r));
    return ll_proof_verify(c->w->g, c->bundle->data, c->bundle->len, &c->r, &e);
}

/* Reading changes nothing: the tip stays. */
static void read_unchanged(void *arg)
{
    struct read_ctx *c = arg;
    struct ll_ledger_tip t;
    ll_ledger_tip(c->w->l, &t);
    ASSERT_UEQ(t.height, 2);
}

static void sweep_one_trace(struct world *w, const char *lot,
                            enum ll_trace_dir d)
{
    struct read_ctx c;
    memset(&c, 0, sizeof(c));
    c.w = w;
    c.lot = lot;
    c.dir = d;

    struct op snap = {
        "snapshot open", run_snap, read_unchanged, &c, NULL, NULL, false};
    (void)sweep(&snap);
    ASSERT_NOT_NULL(c.s);
    ll_ledger_snap_close(c.s);

    /* The reference results, with no failure. */
    struct ll_trace *t0 = trace(w, lot, d, 16);
    struct ll_buf json0;
    struct ll_buf bundle0;
    struct ll_errmsg e = {{0}};
    ll_buf_init(&json0, (size_t)16 << 20);
    ASSERT_OK(ll_trace_json(t0, &json0));
    ll_buf_init(&bundle0, LL_PROOF_MAX_BYTES);
    ASSERT_OK(ll_proof_build(w->s, t0, &bundle0, &e));
    struct ll_proof_report r0;
    ASSERT_OK(ll_proof_verify(w->g, bundle0.data, bundle0.len, &r0, &e));

    struct op tr = {"trace", run_trace, read_unchanged, &c, NULL, NULL, false};
    ASSERT_GT(sweep(&tr), 0);
    struct op tj = {"trace JSON", run_trace_json, read_unchanged, &c,
                    NULL,         NULL,           false};
    ASSERT_GT(sweep(&tj), 0);
    ASSERT_UEQ(c.out.len, json0.len);
    ASSERT_MEM_EQ(c.out.data, json0.data, json0.len);
    ll_buf_free(&c.out);

    struct op pb = {
        "proof build", run_proof_build, read_unchanged, &c, NULL, NULL, false};
    ASSERT_GT(sweep(&pb), 0);
    ASSERT_UEQ(c.out.len, bundle0.len);
    ASSERT_MEM_EQ(c.out.data, bundle0.data, bundle0.len);

    c.bundle = &bundle0;
    struct op pv = {"proof verify", run_proof_verify, NULL, &c, NULL, NULL,
                    false};
    ASSERT_GT(sweep(&pv), 0);
    ASSERT_MEM_EQ(&c.r, &r0, sizeof(r0));

    ll_trace_free(c.t);
    ll_trace_free(t0);
    ll_buf_free(&c.out);
    ll_buf_free(&json0);
    ll_buf_free(&bundle0);
}

static int run_verify(void *arg)
{
    struct world *w = arg;
    struct ll_verify_report r;
    struct ll_errmsg e = {{0}};
    int rc = ll_ledger_verify(w->l, &r, &e);
    if (rc == 0 && r.height != 2)
        rc = LL_EINVAL;
    return rc;
}

/* Verifying the chain: out of memory is never taken for a damaged store. */
static void test_verify(void)
{
    struct world w;
    ll_json_init();
    world_build(&w);
    struct op op = {"ledger verify", run_verify, NULL, &w, NULL, NULL, true};
    ASSERT_GT(sweep(&op), 0);
    world_free(&w);
}

static void test_trace_proof(void)
{
    struct world w;
    ll_json_init();
    world_build(&w);
    sweep_one_trace(&w, L_D, LL_TRACE_BACKWARD);
    sweep_one_trace(&w, L_A, LL_TRACE_FORWARD);
    verify_ok(w.l);
    world_free(&w);
}

/* ---- the allocator itself
 * ---------------------------------------------------- */

/* ll_alloc_live and ll_alloc_failures count what the sweeps rely on. */
static void test_counters(void)
{
    int64_t live = ll_alloc_live();
    uint64_t failures = ll_alloc_failures();
    void *p = ll_malloc(10);
    ASSERT_NOT_NULL(p);
    p = ll_realloc(p, 100);
    ASSERT_NOT_NULL(p);
    char *s = ll_strdup("x");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(ll_alloc_live(), live + 2);
    (void)ll_alloc_fail_at(1);
    ASSERT_TRUE(ll_realloc(p, 1000) == NULL); /* p stays */
    (void)ll_alloc_fail_at(0);
    ASSERT_UEQ(ll_alloc_failures(), failures + 1);
    ASSERT_TRUE(ll_calloc(SIZE_MAX / 2, 4) == NULL);
    ASSERT_UEQ(ll_alloc_failures(), failures + 2);
    ASSERT_EQ(ll_alloc_live(), live + 2);
    ll_free(p);
    ll_free(s);
    ll_free(NULL);
    ASSERT_EQ(ll_alloc_live(), live);
}

static const struct ll_test tests[] = {
    {"counters", test_counters},       {"event_decode", test_event_decode},
    {"genesis", test_genesis},         {"block_apply", test_block_apply},
    {"big_block", test_big_block},     {"ledger_open", test_ledger_open},
    {"trace_proof", test_trace_proof}, {"verify", test_verify},
};

LL_TEST_MAIN(tests)
