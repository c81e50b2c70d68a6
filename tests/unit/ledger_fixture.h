/* SPDX-License-Identifier: MIT */
/*
 * A small supply-chain network for ledger tests: a farm, a packer, a
 * processor, a retailer, a validator and a regulator, each with a
 * deterministic key, plus helpers that author, sign and commit events.
 * Header-only (static functions) so each test program includes it once.
 */
#ifndef LL_LEDGER_FIXTURE_H
#define LL_LEDGER_FIXTURE_H

#include "../../ledger/ledger.h"
#include "test.h"

/* Each test program uses some of these helpers. */
#define FX_FN static __attribute__((unused))

enum fx_org { FX_FARM, FX_PACKER, FX_PROC, FX_RETAIL, FX_VAL, FX_FDA, FX_N };

static const char *const fx_ids[FX_N] = {"farm",   "packer", "proc",
                                         "retail", "val",    "fda"};
static struct ll_keypair fx_keys[FX_N];

#define FX_CHAIN "fixture-net"
#define FX_T0    1795505400000 /* 2026-11-24T08:30:00+01:00 */
#define FX_LOT_A "01/00614141777778/10/A1"
#define FX_LOT_B "01/00614141777778/10/B2"
#define FX_LOT_C "tlc/gln/0614141000005/SALAD-1"

FX_FN void fx_keys_init(void)
{
    ASSERT_OK(ll_crypto_init());
    for (int i = 0; i < FX_N; i++) {
        uint8_t sk[32];
        memset(sk, 0x40 + i, sizeof(sk));
        ASSERT_OK(ll_keypair_from_seckey(&fx_keys[i], sk));
    }
}

/* The fixture genesis as JSON text (heap, NUL-terminated; ll_free). */
FX_FN char *fx_genesis_json(void)
{
    struct ll_buf b;
    char hex[65];
    fx_keys_init();
    ll_buf_init(&b, 1 << 16);
    ASSERT_OK(ll_buf_printf(&b,
                            "{\"chain_id\": \"%s\", \"genesis_time\": "
                            "\"2026-11-24T00:00:00Z\", \"orgs\": [",
                            FX_CHAIN));
    for (int i = 0; i < FX_N; i++) {
        ASSERT_OK(ll_hex_encode(hex, sizeof(hex), fx_keys[i].pk, 32));
        const char *roles = i == FX_VAL   ? "\"validator\", \"member\""
                            : i == FX_FDA ? "\"regulator\""
                                          : "\"member\"";
        /* farm and packer have GLNs (for EPCIS party lookups). */
        const char *gln = i == FX_FARM     ? ", \"gln\": \"0614141000005\""
                          : i == FX_PACKER ? ", \"gln\": \"0614141000012\""
                                           : "";
        ASSERT_OK(ll_buf_printf(&b,
                                "%s{\"id\": \"%s\", \"name\": \"%s\"%s, "
                                "\"keys\": [\"%s\"], \"roles\": [%s]%s}",
                                i ? ", " : "", fx_ids[i], fx_ids[i], gln, hex,
                                roles, i == FX_VAL ? ", \"power\": 1" : ""));
    }
    ASSERT_OK(ll_buf_printf(&b, "]}\n"));
    ASSERT_OK(ll_buf_cstr(&b));
    return (char *)b.data;
}

/* The fixture genesis (heap; free with ll_free). */
FX_FN struct ll_genesis *fx_genesis(void)
{
    char *json = fx_genesis_json();
    struct ll_genesis *g = ll_calloc(1, sizeof(*g));
    ASSERT_NOT_NULL(g);
    struct ll_errmsg e = {{0}};
    int rc = ll_genesis_parse(g, json, strlen(json), &e);
    if (rc)
        ll_test_fail(__FILE__, __LINE__, "fixture genesis: %s", e.text);
    ll_free(json);
    return g;
}

/* A blank event of type t by org o (heap; free with ll_free). */
FX_FN lotledger_Event *fx_event(lotledger_EventType t, enum fx_org o)
{
    static int64_t clock_ms = FX_T0;
    lotledger_Event *ev = ll_calloc(1, sizeof(*ev));
    ASSERT_NOT_NULL(ev);
    ev->version = LL_EVENT_VERSION;
    (void)snprintf(ev->chain_id, sizeof(ev->chain_id), "%s", FX_CHAIN);
    ev->type = t;
    ev->event_time = clock_ms++; /* distinct events, distinct ids */
    (void)snprintf(ev->org, sizeof(ev->org), "%s", fx_ids[o]);
    ev->key_id.size = LL_KEYID_LEN;
    ll_keyid(ev->key_id.bytes, fx_keys[o].pk);
    return ev;
}

/* Append a lot (quantity in thousandths; uom NULL for whole-lot events). */
FX_FN void fx_lot(lotledger_Event *ev, const char *lot, uint64_t q,
                  const char *uom)
{
    lotledger_LotQuantity *lq = &ev->lots[ev->lots_count++];
    (void)snprintf(lq->lot, sizeof(lq->lot), "%s", lot);
    lq->quantity = q;
    (void)snprintf(lq->uom, sizeof(lq->uom), "%s", uom ? uom : "");
}

FX_FN void fx_output(lotledger_Event *ev, const char *lot, uint64_t q,
                     const char *uom)
{
    lotledger_LotQuantity *lq = &ev->outputs[ev->outputs_count++];
    (void)snprintf(lq->lot, sizeof(lq->lot), "%s", lot);
    lq->quantity = q;
    (void)snprintf(lq->uom, sizeof(lq->uom), "%s", uom);
}

/* Sign ev with its org's key into out (reset first); frees ev. */
FX_FN void fx_sign(struct ll_buf *out, uint8_t id[32], lotledger_Event *ev,
                   enum fx_org o)
{
    uint8_t tmp[32];
    ll_buf_free(out);
    ll_buf_init(out, LL_EVENT_MAX_BYTES);
    ASSERT_OK(ll_event_sign(out, id ? id : tmp, ev, &fx_keys[o]));
    ll_free(ev);
}

/* Seal b and commit it with the validator's signature. */
FX_FN void fx_commit(struct ll_ledger *l, struct ll_block *b)
{
    struct ll_header h;
    struct ll_commit *c = ll_calloc(1, sizeof(*c));
    ASSERT_NOT_NULL(c);
    ASSERT_OK(ll_block_seal(b, &h));
    ASSERT_OK(ll_commit_sign(c, ll_ledger_valset(l), &h, &fx_keys[FX_VAL]));
    struct ll_errmsg e = {{0}};
    int rc = ll_ledger_commit(l, b, c, &e);
    if (rc)
        ll_test_fail(__FILE__, __LINE__, "commit: %s", e.text);
    ll_free(c);
}

/* Begin a block at the tip's time + 1 s. */
FX_FN struct ll_block *fx_begin(struct ll_ledger *l)
{
    struct ll_ledger_tip tip;
    struct ll_block *b = NULL;
    ll_ledger_tip(l, &tip);
    ASSERT_OK(ll_block_begin(l, &b,
                             (tip.time_ms > FX_T0 ? tip.time_ms : FX_T0) + 1000,
                             fx_keys[FX_VAL].pk));
    return b;
}

/* Add one signed event to b; fail the case with the message if refused. */
FX_FN void fx_add(struct ll_block *b, const struct ll_buf *ev)
{
    struct ll_errmsg e = {{0}};
    int rc = ll_block_add(b, ev->data, ev->len, false, NULL, NULL, &e);
    if (rc)
        ll_test_fail(__FILE__, __LINE__, "add: %s (%s)", e.text,
                     ll_err_name(rc));
}

#endif
