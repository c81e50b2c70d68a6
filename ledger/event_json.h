/* SPDX-License-Identifier: MIT */
/*
 * The JSON form of events and signed events (docs/events.md, "JSON form").
 *
 *   {"id": "<64 hex>", "event": {...Event fields...}, "sig": "<128 hex>"}
 *
 * "id" is optional on input; when present it must equal the id of the
 * event's canonical protobuf encoding. The signature covers that id, so a
 * JSON signed event carries exactly the same signature as its protobuf
 * form.
 */
#ifndef LL_EVENT_JSON_H
#define LL_EVENT_JSON_H

#include <jansson.h>

#include "event.h"

/* Bytes of JSON text accepted. */
#define LL_EVENT_JSON_MAX ((size_t)256 * 1024)

/* New JSON values (NULL when out of memory); the caller json_decref()s. */
json_t *ll_event_to_json(const lotledger_Event *ev) LL_NONNULL(1);
json_t *ll_signed_event_to_json(const struct ll_signed_event *se) LL_NONNULL(1);

/* Append the compact JSON text. Returns 0, LL_ENOMEM, LL_ETOOBIG. */
LL_NODISCARD int ll_event_json_encode(struct ll_buf *out,
                                      const lotledger_Event *ev)
    LL_NONNULL(1, 2);
LL_NODISCARD int ll_signed_event_json_encode(struct ll_buf *out,
                                             const struct ll_signed_event *se)
    LL_NONNULL(1, 2);

/*
 * An Event from a JSON object. Only the form is checked (field names,
 * types, sizes); ll_event_check judges the content. Returns 0 or
 * LL_EDECODE / LL_ETOOBIG / LL_ERANGE with e naming the field.
 */
LL_NODISCARD int ll_event_from_json(lotledger_Event *out, json_t *j,
                                    struct ll_errmsg *e) LL_NONNULL(1);
LL_NODISCARD int ll_event_json_decode(lotledger_Event *out, const char *text,
                                      size_t len, struct ll_errmsg *e)
    LL_NONNULL(1);

/*
 * The SignedEvent protobuf bytes of a JSON signed event, appended to out;
 * scratch holds the decoded event. The signature is not checked here.
 * Returns 0, LL_EDECODE, LL_ETOOBIG, LL_ERANGE, LL_EVERIFY (id mismatch),
 * LL_ENOMEM, with e naming the problem.
 */
LL_NODISCARD int
ll_signed_event_json_decode(struct ll_buf *out, lotledger_Event *scratch,
                            const char *text, size_t len, struct ll_errmsg *e)
    LL_NONNULL(1, 2);

/*
 * Make jansson allocate through ll_malloc/ll_free, so that LL_FAIL_ALLOC and
 * the allocation-failure tests reach the JSON paths too (jansson's own
 * allocations are otherwise invisible to them). Process-wide: call it once
 * at start, before any other thread uses jansson. Values allocated before
 * the call may still be freed after it (ll_free is free).
 */
void ll_json_init(void);

/*
 * Parse JSON text of at most max bytes, refusing duplicate keys; what
 * names it in errors ("JSON event of 300000 bytes, at most 262144").
 * Returns 0 with *out (json_decref it), or LL_EDECODE / LL_ETOOBIG /
 * LL_ENOMEM.
 */
LL_NODISCARD int ll_json_load(json_t **out, const char *text, size_t len,
                              size_t max, const char *what, struct ll_errmsg *e)
    LL_NONNULL(1, 5);

#endif
