/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the event decoders: the SignedEvent envelope and the canonical
 * event decoder, then the well-formedness rules on whatever decodes; and
 * the stored state records (LotState, OrgState) with the same strict
 * decoder the store uses. No crash; whatever decodes re-encodes to exactly
 * the input bytes; the hand-written Event and LotState decoders accept
 * exactly what nanopb's strict decode accepts.
 */
#include <stdlib.h>
#include <string.h>

#include "../../ledger/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ll_signed_event se;
static lotledger_Event ev;
static lotledger_Event ev_pb;
static lotledger_LotState lot_pb;
static lotledger_LotState lot;
static lotledger_OrgState org;

/* Strictly decode a state record and check it re-encodes identically. */
static void fuzz_record(const pb_msgdesc_t *fields, void *msg, size_t msgsize,
                        size_t max, const uint8_t *data, size_t size)
{
    if (ll_ledger__pb_decode(fields, msg, msgsize, data, size, "record",
                             NULL) != 0)
        return;
    struct ll_buf b;
    ll_buf_init(&b, max);
    if (ll_ledger__pb_encode(&b, fields, msg, max) != 0 || b.len != size ||
        (size > 0 && memcmp(b.data, data, size) != 0))
        abort();
    ll_buf_free(&b);
}

/* Re-encode ev and abort unless it is byte for byte want. */
static void check_reencode(const lotledger_Event *e, const uint8_t *want,
                           size_t n)
{
    struct ll_buf b;
    ll_buf_init(&b, LL_EVENT_MAX_BYTES);
    if (ll_event_encode(&b, e) != 0 || b.len != n ||
        (n > 0 && memcmp(b.data, want, n) != 0))
        abort();
    ll_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ll_errmsg e;
    uint8_t pid[32];
    lotledger_EventType ptype;
    if (ll_crypto_init() != 0)
        abort();
    int peek = ll_signed_event_peek(data, size, pid, &ptype);
    if (ll_signed_event_decode(&se, data, size, &e) == 0) {
        /* The peek (for stored events) agrees with the full decode. */
        if (peek != 0 || memcmp(pid, se.id, 32) != 0 || ptype != se.ev.type)
            abort();
        check_reencode(&se.ev, se.ev_bytes, se.ev_len);
        int rc = ll_event_check(&se.ev, "fuzz", &e);
        if (rc != 0 && rc != LL_EINVAL)
            abort();
        uint8_t pk[32] = {0};
        pk[31] = 1;
        /* Nobody holds the key of x = 1: a forgery would be a bug. */
        if (ll_signed_event_verify(&se, pk) == 0)
            abort();
    }
    fuzz_record(lotledger_LotState_fields, &lot, sizeof(lot),
                lotledger_LotState_size, data, size);
    fuzz_record(lotledger_OrgState_fields, &org, sizeof(org),
                lotledger_OrgState_size, data, size);
    /* Differential: the hand-written decoders (the store's and the
     * node's) accept exactly what nanopb's decode + re-encode accepts. */
    int pb = ll_ledger__pb_decode(lotledger_Event_fields, &ev_pb, sizeof(ev_pb),
                                  data, size, "event", NULL);
    size_t at = 0;
    if ((ll_ledger__event_decode(&ev, data, size, &at) == 0) != (pb == 0))
        abort();
    pb = ll_ledger__pb_decode(lotledger_LotState_fields, &lot_pb,
                              sizeof(lot_pb), data, size, "lot", NULL);
    /* ... except a status nanopb reads as negative, which the store's
     * decoder refuses on purpose (internal.h). */
    if (pb == 0 && (int)lot_pb.status < 0)
        pb = LL_EDECODE;
    if ((ll_ledger__lot_decode(&lot, data, size) == 0) != (pb == 0))
        abort();
    if (ll_event_decode(&ev, data, size, &e) == 0) {
        check_reencode(&ev, data, size);
        int rc = ll_event_check(&ev, "fuzz", &e);
        if (rc != 0 && rc != LL_EINVAL)
            abort();
    }
    return 0;
}
