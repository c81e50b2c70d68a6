/* SPDX-License-Identifier: MIT */
/*
 * Lot log pages (proof.h): one page of a lot's event log, checked offline
 * against the genesis the way a proof bundle is, but for any part of a log
 * of any size. The page is hostile JSON; every field is checked before it
 * is used, and the checks run in the order of docs/api.md.
 */
#include <jansson.h>
#include <string.h>

#include "event_json.h"
#include "internal.h"
#include "proof.h"

/* The verifier's scratch. */
struct lp {
    const struct ll_genesis *g;
    struct ll_errmsg *e;
    json_t *root;
    struct ll_header h;
    lotledger_LotState *st;     /* the lot's committed state */
    struct ll_signed_event *se; /* scratch */
    lotledger_Event *scratch;   /* for the JSON decoder */
    uint8_t (*leaves)[32];      /* the page's log leaves */
    uint8_t *proof;             /* the range proof */
    size_t nproof;              /* its hashes */
};

/* A hex string field of o, decoded into a new buffer of *len bytes. */
static int hex_field(struct lp *v, json_t *o, const char *name, size_t max,
                     uint8_t **out, size_t *len)
{
    const char *h = json_string_value(json_object_get(o, name));
    size_t n = h != NULL ? strlen(h) : 0;
    if (h == NULL || n % 2 != 0 || n / 2 > max)
        return ll_errmsg_set(v->e, LL_EDECODE,
                             "page: %s is not a hex string of at most %zu "
                             "bytes",
                             name, max);
    uint8_t *p = ll_malloc(n / 2 + 1);
    if (p == NULL)
        return LL_ENOMEM;
    if (ll_hex_decode(p, n / 2, h, n) != 0) {
        ll_free(p);
        return ll_errmsg_set(v->e, LL_EDECODE, "page: %s is not hex", name);
    }
    *out = p;
    *len = n / 2;
    return 0;
}

/* A non-negative integer field of o. */
static int uint_field(struct lp *v, json_t *o, const char *name, uint64_t *out)
{
    json_t *x = json_object_get(o, name);
    if (!json_is_integer(x) || json_integer_value(x) < 0)
        return ll_errmsg_set(v->e, LL_EDECODE,
                             "page: %s is not a non-negative integer", name);
    *out = (uint64_t)json_integer_value(x);
    return 0;
}

/* The header, its commit by the genesis validators. */
static int check_block(struct lp *v, struct ll_log_page_report *r)
{
    uint8_t *hb = NULL;
    uint8_t *cb = NULL;
    size_t hl = 0;
    size_t cl = 0;
    struct ll_valset *vs = ll_malloc(sizeof(*vs));
    struct ll_commit *c = ll_malloc(sizeof(*c));
    int rc = vs == NULL || c == NULL ? LL_ENOMEM : 0;
    if (rc == 0)
        rc = hex_field(v, v->root, "header", LL_HEADER_LEN, &hb, &hl);
    if (rc == 0)
        rc = hex_field(v, v->root, "commit", LL_COMMIT_MAX, &cb, &cl);
    if (rc == 0 && ll_header_decode(&v->h, hb, hl) != 0)
        rc = ll_errmsg_set(v->e, LL_EDECODE, "header: does not decode");
    if (rc == 0 &&
        (memcmp(v->h.genesis, v->g->hash, 32) != 0 || v->h.height == 0))
        rc = ll_errmsg_set(v->e, LL_EVERIFY,
                           "header: not a block of this network");
    if (rc == 0 && ll_valset_from_genesis(vs, v->g) != 0)
        rc = ll_errmsg_set(v->e, LL_EINVAL, "genesis: no validator set");
    if (rc == 0 && ll_commit_decode(c, cb, cl) != 0)
        rc = ll_errmsg_set(v->e, LL_EDECODE, "commit: does not decode");
    if (rc == 0)
        rc = ll_commit_verify(&v->h, c, vs, v->e);
    if (rc == 0) {
        r->height = v->h.height;
        r->time_ms = v->h.time_ms;
        ll_header_hash(r->block, &v->h);
    }
    ll_free(hb);
    ll_free(cb);
    ll_free(vs);
    ll_free(c);
    return rc;
}

/* The lot's state bytes, in the header's state root. */
static int check_state(struct lp *v, struct ll_log_page_report *r)
{
    uint8_t *st = NULL;
    uint8_t *bits = NULL;
    uint8_t *hashes = NULL;
    size_t sl = 0;
    size_t bl = 0;
    size_t hl = 0;
    uint8_t key[32];
    uint8_t vh[32];
    struct ll_errmsg why = {{0}};
    const char *lot = json_string_value(json_object_get(v->root, "lot"));
    if (lot == NULL || ll_lotid_check(lot, &why) != 0)
        return ll_errmsg_set(v->e, LL_EDECODE, "page: lot: not a lot id");
    int rc = 0;
    if (rc == 0)
        rc = hex_field(v, v->root, "state", LL_EVENT_MAX_BYTES, &st, &sl);
    if (rc == 0)
        rc =
            hex_field(v, v->root, "state_bits", LL_PROOF_MAX_BYTES, &bits, &bl);
    if (rc == 0)
        rc = hex_field(v, v->root, "state_hashes", LL_PROOF_MAX_BYTES, &hashes,
                       &hl);
    if (rc == 0 && ll_ledger__lot_decode(v->st, st, sl) != 0)
        rc = ll_errmsg_set(v->e, LL_EDECODE, "state: not a canonical LotState");
    if (rc == 0 && (strcmp(v->st->lot, lot) != 0 || v->st->log_root.size != 32))
        rc = ll_errmsg_set(v->e, LL_EPROOF, "state: is not the state of lot %s",
                           lot);
    if (rc == 0) {
        ll_lot_key(key, lot);
        ll_tagged_hash(vh, LL_TAG_SMT_VALUE, st, sl);
        if (ll_smt_verify_compact(v->h.state_root, key, vh, 1, bits, bl, hashes,
                                  hl) != 0)
            rc = ll_errmsg_set(v->e, LL_EPROOF,
                               "state: not in the state map of block %llu",
                               (unsigned long long)v->h.height);
    }
    if (rc == 0) {
        (void)snprintf(r->lot, sizeof(r->lot), "%s", lot);
        r->log_size = v->st->events;
    }
    ll_free(st);
    ll_free(bits);
    ll_free(hashes);
    return rc;
}

/* Whether ev names lot (acts on it or makes it), or is a correction. */
static bool names_lot(const lotledger_Event *ev, const char *lot)
{
    if (ev->type == lotledger_EventType_CORRECT)
        return true; /* it joins the logs of the lots its target named */
    for (size_t i = 0; i < ev->lots_count; i++)
        if (strcmp(ev->lots[i].lot, lot) == 0)
            return true;
    for (size_t i = 0; i < ev->outputs_count; i++)
        if (strcmp(ev->outputs[i].lot, lot) == 0)
            return true;
    return false;
}

/* Event i of the page: decoded, signed, in order; its leaf into leaves[i]. */
static int check_event(struct lp *v, json_t *x, size_t i, uint64_t seq,
                       uint64_t *last_h, uint64_t *last_x)
{
    uint64_t s = 0;
    uint64_t h = 0;
    uint64_t idx = 0;
    uint8_t pk[LL_PUBKEY_LEN];
    struct ll_errmsg why = {{0}};
    struct ll_buf pb;
    int rc = uint_field(v, x, "seq", &s);
    if (rc == 0)
        rc = uint_field(v, x, "height", &h);
    if (rc == 0)
        rc = uint_field(v, x, "index", &idx);
    if (rc == 0 && (s != seq || idx > UINT32_MAX))
        rc = ll_errmsg_set(v->e, LL_EDECODE,
                           "events[%zu]: seq or index out of place", i);
    if (rc == 0 &&
        (h == 0 || h > v->h.height ||
         (i > 0 && (h < *last_h || (h == *last_h && idx <= *last_x)))))
        rc = ll_errmsg_set(v->e, LL_EPROOF,
                           "events[%zu]: not after the previous event and "
                           "within block %llu",
                           i, (unsigned long long)v->h.height);
    if (rc)
        return rc;
    char *text = json_dumps(json_object_get(x, "signed_event"), JSON_COMPACT);
    if (text == NULL)
        return ll_errmsg_set(v->e, LL_EDECODE, "events[%zu]: no signed_event",
                             i);
    ll_buf_init(&pb, LL_EVENT_MAX_BYTES);
    rc = ll_signed_event_json_decode(&pb, v->scratch, text, strlen(text), &why);
    json_free_t jfree = NULL;
    json_get_alloc_funcs(NULL, &jfree);
    jfree(text);
    if (rc == 0)
        rc = ll_signed_event_decode(v->se, pb.data, pb.len, &why);
    if (rc == 0)
        rc = ll_event_check(&v->se->ev, v->g->chain_id, &why);
    if (rc) {
        ll_buf_free(&pb);
        return ll_errmsg_set(v->e, rc, "events[%zu]: %s", i, why.text);
    }
    const lotledger_Event *ev = &v->se->ev;
    const lotledger_OrgState *org = ll_genesis_org(v->g, ev->org);
    if (org == NULL ||
        ll_rules_key(pk, org, ev->key_id.bytes, ev->key_id.size, h) != 0 ||
        ll_signed_event_verify(v->se, pk) != 0)
        rc = ll_errmsg_set(v->e, LL_EBADSIG,
                           "events[%zu]: not signed by a key org %s held at "
                           "height %llu",
                           i, ev->org, (unsigned long long)h);
    if (rc == 0 && !names_lot(ev, v->st->lot))
        rc = ll_errmsg_set(v->e, LL_EPROOF, "events[%zu]: does not name lot %s",
                           i, v->st->lot);
    if (rc == 0)
        ll_lot_leaf(v->leaves[i], h, (uint32_t)idx, v->se->id);
    ll_buf_free(&pb);
    *last_h = h;
    *last_x = idx;
    return rc;
}

/*
 * The page's place in the log: after, its k events, next (after + k, or
 * null on the last page, which must end the log).
 */
static int check_span(struct lp *v, uint64_t after, size_t k, bool *last)
{
    json_t *next = json_object_get(v->root, "next");
    if (after > v->st->events || k > v->st->events - after)
        return ll_errmsg_set(v->e, LL_EPROOF,
                             "page: positions %llu + %zu are not in a log of "
                             "%llu",
                             (unsigned long long)after, k,
                             (unsigned long long)v->st->events);
    uint64_t end = after + k;
    *last = json_is_null(next);
    if (!*last && (!json_is_integer(next) ||
                   json_integer_value(next) != (json_int_t)end || k == 0))
        return ll_errmsg_set(v->e, LL_EDECODE, "page: next is not after + %zu",
                             k);
    if (*last && end != v->st->events)
        return ll_errmsg_set(v->e, LL_EPROOF,
                             "page: claims to be the last, but the log has "
                             "%llu events",
                             (unsigned long long)v->st->events);
    return 0;
}

/* The range proof's hashes into v->proof (np of them). */
static int read_proof(struct lp *v, json_t *pa, size_t np)
{
    for (size_t i = 0; i < np; i++) {
        const char *h = json_string_value(json_array_get(pa, i));
        if (h == NULL ||
            ll_hex_decode(v->proof + 32 * i, 32, h, strlen(h)) != 0)
            return ll_errmsg_set(v->e, LL_EDECODE,
                                 "page: proof[%zu] is not 32 bytes of hex", i);
    }
    return 0;
}

/* The events and the range proof of their leaves against the log root. */
static int check_events(struct lp *v, struct ll_log_page_report *r)
{
    uint64_t after = 0;
    bool last = false;
    json_t *evs = json_object_get(v->root, "events");
    json_t *pa = json_object_get(v->root, "proof");
    size_t k = json_array_size(evs);
    size_t np = json_array_size(pa);
    int rc = uint_field(v, v->root, "after", &after);
    if (rc)
        return rc;
    if (!json_is_array(evs) || !json_is_array(pa) || np > LL_MERKLE_MAX_RANGE ||
        (k == 0 && np != 0))
        return ll_errmsg_set(v->e, LL_EDECODE,
                             "page: events or proof is not a list (of at most "
                             "%d hashes, none without events)",
                             LL_MERKLE_MAX_RANGE);
    rc = check_span(v, after, k, &last);
    if (rc)
        return rc;
    v->leaves = ll_calloc(k + 1, 32);
    v->proof = ll_malloc(np * 32 + 1);
    if (v->leaves == NULL || v->proof == NULL)
        return LL_ENOMEM;
    rc = read_proof(v, pa, np);
    uint64_t lh = 0;
    uint64_t lx = 0;
    for (size_t i = 0; rc == 0 && i < k; i++)
        rc = check_event(v, json_array_get(evs, i), i, after + i, &lh, &lx);
    if (rc == 0 && k > 0 &&
        ll_merkle_range_verify(v->st->log_root.bytes, v->st->events, after,
                               after + k, (const uint8_t(*)[32])v->leaves,
                               v->proof, np * 32) != 0)
        rc = ll_errmsg_set(v->e, LL_EPROOF,
                           "page: events %llu..%llu are not those of the "
                           "lot's committed log",
                           (unsigned long long)after,
                           (unsigned long long)(after + k - 1));
    if (rc == 0) {
        r->after = after;
        r->events = k;
        r->last = last;
    }
    return rc;
}

int ll_log_page_verify(const struct ll_genesis *g, const char *json, size_t len,
                       struct ll_log_page_report *r, struct ll_errmsg *e)
{
    struct lp v;
    json_error_t je;
    memset(&v, 0, sizeof(v));
    memset(r, 0, sizeof(*r));
    v.g = g;
    v.e = e;
    if (json == NULL || len > LL_LOG_PAGE_MAX_BYTES)
        return ll_errmsg_set(e, LL_ETOOBIG, "page: over %zu bytes",
                             LL_LOG_PAGE_MAX_BYTES);
    v.root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(v.root)) {
        json_decref(v.root);
        return ll_errmsg_set(e, LL_EDECODE, "page: not a JSON object (%s)",
                             je.text);
    }
    v.st = ll_malloc(sizeof(*v.st));
    v.se = ll_malloc(sizeof(*v.se));
    v.scratch = ll_malloc(sizeof(*v.scratch));
    int rc = v.st == NULL || v.se == NULL || v.scratch == NULL ? LL_ENOMEM : 0;
    if (rc == 0)
        rc = check_block(&v, r);
    if (rc == 0)
        rc = check_state(&v, r);
    if (rc == 0)
        rc = check_events(&v, r);
    if (rc == LL_ENOMEM)
        (void)ll_errmsg_set(e, rc, "out of memory");
    json_decref(v.root);
    ll_free(v.st);
    ll_free(v.se);
    ll_free(v.scratch);
    ll_free(v.leaves);
    ll_free(v.proof);
    if (rc)
        memset(r, 0, sizeof(*r));
    return rc;
}
