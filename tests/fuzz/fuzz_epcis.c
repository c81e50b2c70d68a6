/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the EPCIS 2.0 capture mapping (what POST /v1/capture accepts): no
 * crash, a failure always says why and leaves the output untouched, and
 * whatever maps is an event the codec can encode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ledger/epcis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ll_genesis g;
static lotledger_Event ev;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g.norgs == 0) {
        g.norgs = 2;
        (void)snprintf(g.chain_id, sizeof(g.chain_id), "fuzz-net");
        (void)snprintf(g.orgs[0].id, sizeof(g.orgs[0].id), "farm");
        (void)snprintf(g.orgs[0].gln, sizeof(g.orgs[0].gln), "0614141000005");
        (void)snprintf(g.orgs[1].id, sizeof(g.orgs[1].id), "packer");
        (void)snprintf(g.orgs[1].gln, sizeof(g.orgs[1].gln), "0614141000012");
    }
    static const uint8_t kid[LL_KEYID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct ll_epcis_ctx ctx = {&g, "farm", kid};
    struct ll_errmsg e;
    memset(&ev, 0, sizeof(ev));
    int rc = ll_epcis_to_event(&ev, (const char *)data, size, &ctx, &e);
    if (rc != 0) {
        if (e.text[0] == '\0' || ev.type != 0 || ev.org[0] != '\0')
            abort();
        return 0;
    }
    struct ll_buf b;
    ll_buf_init(&b, LL_EVENT_MAX_BYTES);
    if (ll_event_encode(&b, &ev) != 0)
        abort();
    ll_buf_free(&b);
    if (ll_event_check(&ev, "fuzz-net", &e) != 0 && e.text[0] == '\0')
        abort();
    return 0;
}
