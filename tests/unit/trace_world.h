/* SPDX-License-Identifier: MIT */
/*
 * The small supply chain test_trace and test_proof share: a farm's two
 * harvest lots (A, B) packed into one lot (C), split into two (D, E), D
 * shipped to a retailer, on a real ledger in a temporary directory.
 */
#ifndef LL_TRACE_WORLD_H
#define LL_TRACE_WORLD_H

#include "../../ledger/trace.h"
#include "ledger_fixture.h"

#define L_A "tlc/fda/7/HARVEST-A"
#define L_B "tlc/fda/7/HARVEST-B"
#define L_C "01/00614141777778/10/PACK-C"
#define L_D "01/00614141777792/10/CUT-D"
#define L_E "01/00614141777792/10/CUT-E"

struct world {
    char dir[512];
    struct ll_genesis *g;
    struct ll_ledger *l;
    struct ll_ledger_snap *s;
};

/*
 * farm: commission A, B; ship both to packer. packer: receive; transform
 * A+B -> C; transform C -> D, E; ship D to retail.
 */
/* An empty ledger in a temporary directory (no snapshot yet). */
FX_FN void world_open(struct world *w)
{
    struct ll_errmsg e = {{0}};
    memset(w, 0, sizeof(*w));
    ll_test_tmpdir(w->dir, sizeof(w->dir));
    w->g = fx_genesis();
    if (ll_ledger_open(&w->l, w->dir, w->g, &e) != 0)
        ll_test_fail(__FILE__, __LINE__, "open: %s", e.text);
}

FX_FN void world_build(struct world *w)
{
    struct ll_buf ev = {0};
    uint8_t ship[32];
    world_open(w);
    struct ll_block *b = fx_begin(w->l);
    lotledger_Event *x = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(x, L_A, 100000, "KGM");
    fx_lot(x, L_B, 50000, "KGM");
    fx_sign(&ev, NULL, x, FX_FARM);
    fx_add(b, &ev);
    x = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(x, L_A, 100000, "KGM");
    fx_lot(x, L_B, 50000, "KGM");
    (void)snprintf(x->counterparty, sizeof(x->counterparty), "packer");
    fx_sign(&ev, ship, x, FX_FARM);
    fx_add(b, &ev);
    fx_commit(w->l, b);

    b = fx_begin(w->l);
    x = fx_event(lotledger_EventType_RECEIVE, FX_PACKER);
    fx_lot(x, L_A, 100000, "KGM");
    fx_lot(x, L_B, 50000, "KGM");
    memcpy(x->ref.bytes, ship, 32);
    x->ref.size = 32;
    fx_sign(&ev, NULL, x, FX_PACKER);
    fx_add(b, &ev);
    x = fx_event(lotledger_EventType_TRANSFORM, FX_PACKER);
    fx_lot(x, L_A, 100000, "KGM");
    fx_lot(x, L_B, 50000, "KGM");
    fx_output(x, L_C, 140000, "KGM");
    fx_sign(&ev, NULL, x, FX_PACKER);
    fx_add(b, &ev);
    x = fx_event(lotledger_EventType_TRANSFORM, FX_PACKER);
    fx_lot(x, L_C, 140000, "KGM");
    fx_output(x, L_D, 70000, "KGM");
    fx_output(x, L_E, 70000, "KGM");
    fx_sign(&ev, NULL, x, FX_PACKER);
    fx_add(b, &ev);
    x = fx_event(lotledger_EventType_SHIP, FX_PACKER);
    fx_lot(x, L_D, 70000, "KGM");
    (void)snprintf(x->counterparty, sizeof(x->counterparty), "retail");
    fx_sign(&ev, NULL, x, FX_PACKER);
    fx_add(b, &ev);
    fx_commit(w->l, b);
    ll_buf_free(&ev);
    ASSERT_OK(ll_ledger_snap_open(w->l, &w->s));
}

FX_FN void world_free(struct world *w)
{
    ll_ledger_snap_close(w->s);
    ll_ledger_close(w->l);
    ll_test_rmrf(w->dir);
    ll_free(w->g);
}

/* The trace of lot from the world's snapshot; fails the case on error. */
FX_FN struct ll_trace *trace(struct world *w, const char *lot,
                             enum ll_trace_dir d, uint32_t depth)
{
    struct ll_trace *t = NULL;
    struct ll_errmsg e = {{0}};
    int rc = ll_trace_build(w->s, lot, d, depth, &t, &e);
    if (rc)
        ll_test_fail(__FILE__, __LINE__, "trace %s: %s", lot, e.text);
    return t;
}

#endif
