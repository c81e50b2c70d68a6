/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the JSON form of events (what POST /v1/events accepts as
 * application/json): no crash, nothing half-written on failure, and
 * whatever decodes survives JSON -> protobuf -> JSON -> protobuf with the
 * same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "../../ledger/event_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ll_signed_event se;
static lotledger_Event scratch;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ll_errmsg e;
    struct ll_buf pb;
    struct ll_buf js;
    struct ll_buf again;
    ll_buf_init(&pb, LL_EVENT_MAX_BYTES);
    ll_buf_init(&js, 1u << 20);
    ll_buf_init(&again, LL_EVENT_MAX_BYTES);
    int rc = ll_event_json_decode(&scratch, (const char *)data, size, &e);
    if (rc != 0 && e.text[0] == '\0')
        abort();
    rc = ll_signed_event_json_decode(&pb, &scratch, (const char *)data, size,
                                     &e);
    if (rc != 0 && (pb.len != 0 || e.text[0] == '\0'))
        abort(); /* a failure writes nothing and says why */
    if (rc == 0) {
        if (ll_signed_event_decode(&se, pb.data, pb.len, &e) != 0)
            abort(); /* JSON that decodes makes a canonical SignedEvent */
        if (ll_signed_event_json_encode(&js, &se) != 0 ||
            ll_signed_event_json_decode(&again, &scratch, (const char *)js.data,
                                        js.len, &e) != 0 ||
            again.len != pb.len || memcmp(again.data, pb.data, pb.len) != 0)
            abort();
    }
    ll_buf_free(&pb);
    ll_buf_free(&js);
    ll_buf_free(&again);
    return 0;
}
