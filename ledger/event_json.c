/* SPDX-License-Identifier: MIT */
/*
 * The JSON form of events (docs/events.md, "JSON form"): one object per
 * message, field names as in ledger.proto, enums as their lower-case
 * names, bytes as lower-case hex, integers as JSON numbers, a field at its
 * default value omitted. Decoding is strict: unknown or duplicate fields,
 * wrong types, over-long strings and out-of-range numbers are errors that
 * name the field, never truncated or ignored. Because the protobuf
 * encoding is canonical, the JSON form of an event decodes to exactly the
 * bytes its signature covers.
 */
#include <jansson.h>
#include <string.h>

#include "event.h"
#include "event_json.h"

/* ---- encoding -------------------------------------------------------------
 */

static void put_str(json_t *o, const char *k, const char *v)
{
    if (v[0] != '\0')
        (void)json_object_set_new(o, k, json_string(v));
}

static void put_int(json_t *o, const char *k, long long v)
{
    if (v != 0)
        (void)json_object_set_new(o, k, json_integer(v));
}

static void put_hex(json_t *o, const char *k, const uint8_t *p, size_t n)
{
    char hex[2 * 64 + 1];
    if (n > 0 && n <= 64 && ll_hex_encode(hex, sizeof(hex), p, n) == 0)
        (void)json_object_set_new(o, k, json_string(hex));
}

static json_t *lots_json(const lotledger_LotQuantity *q, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        put_str(o, "lot", q[i].lot);
        put_int(o, "quantity", (long long)q[i].quantity);
        put_str(o, "uom", q[i].uom);
        (void)json_array_append_new(a, o);
    }
    return a;
}

json_t *ll_event_to_json(const lotledger_Event *ev)
{
    /* The put_* helpers ignore jansson's errors; an allocation that failed
     * while the tree was built (the count moved) makes the whole tree
     * out of memory instead of an event with fields missing. */
    uint64_t failures = ll_alloc_failures();
    json_t *j = json_object();
    if (j == NULL)
        return NULL;
    put_int(j, "version", ev->version);
    put_str(j, "chain_id", ev->chain_id);
    const char *type = ll_event_type_name(ev->type);
    if (type != NULL)
        (void)json_object_set_new(j, "type", json_string(type));
    put_str(j, "biz_step", ev->biz_step);
    put_str(j, "disposition", ev->disposition);
    put_int(j, "event_time", ev->event_time);
    put_int(j, "tz_offset", ev->tz_offset);
    put_str(j, "org", ev->org);
    put_hex(j, "key_id", ev->key_id.bytes, ev->key_id.size);
    if (ev->lots_count > 0)
        (void)json_object_set_new(j, "lots",
                                  lots_json(ev->lots, ev->lots_count));
    if (ev->outputs_count > 0)
        (void)json_object_set_new(j, "outputs",
                                  lots_json(ev->outputs, ev->outputs_count));
    put_str(j, "location", ev->location);
    put_str(j, "counterparty", ev->counterparty);
    put_hex(j, "ref", ev->ref.bytes, ev->ref.size);
    if (ev->docs_count > 0) {
        json_t *a = json_array();
        for (size_t i = 0; i < ev->docs_count; i++) {
            json_t *o = json_object();
            put_str(o, "type", ev->docs[i].type);
            put_str(o, "number", ev->docs[i].number);
            (void)json_array_append_new(a, o);
        }
        (void)json_object_set_new(j, "docs", a);
    }
    if (ev->has_master) {
        const lotledger_LotMaster *m = &ev->master;
        json_t *o = json_object();
        put_str(o, "product", m->product);
        put_int(o, "expiry", m->expiry);
        put_int(o, "best_before", m->best_before);
        put_int(o, "production_date", m->production_date);
        put_int(o, "harvest_date", m->harvest_date);
        put_str(o, "country", m->country);
        (void)json_object_set_new(j, "master", o);
    }
    if (ev->sensors_count > 0) {
        json_t *a = json_array();
        for (size_t i = 0; i < ev->sensors_count; i++) {
            const lotledger_SensorReport *s = &ev->sensors[i];
            json_t *o = json_object();
            put_str(o, "type", s->type);
            put_int(o, "value", s->value);
            put_str(o, "uom", s->uom);
            if (s->has_min)
                (void)json_object_set_new(o, "min", json_integer(s->min));
            if (s->has_max)
                (void)json_object_set_new(o, "max", json_integer(s->max));
            put_int(o, "time", s->time);
            if (s->alarm)
                (void)json_object_set_new(o, "alarm", json_true());
            put_str(o, "device", s->device);
            (void)json_array_append_new(a, o);
        }
        (void)json_object_set_new(j, "sensors", a);
    }
    if (ev->kdes_count > 0) {
        json_t *a = json_array();
        for (size_t i = 0; i < ev->kdes_count; i++) {
            json_t *o = json_object();
            put_str(o, "key", ev->kdes[i].key);
            put_str(o, "value", ev->kdes[i].value);
            (void)json_array_append_new(a, o);
        }
        (void)json_object_set_new(j, "kdes", a);
    }
    put_str(j, "reason", ev->reason);
    put_str(j, "fsma_cte", ev->fsma_cte);
    if (ll_alloc_failures() != failures) {
        json_decref(j);
        return NULL;
    }
    return j;
}

json_t *ll_signed_event_to_json(const struct ll_signed_event *se)
{
    uint64_t failures = ll_alloc_failures(); /* as in ll_event_to_json */
    json_t *j = json_object();
    json_t *ev = ll_event_to_json(&se->ev);
    if (j == NULL || ev == NULL) {
        json_decref(j);
        json_decref(ev);
        return NULL;
    }
    put_hex(j, "id", se->id, 32);
    (void)json_object_set_new(j, "event", ev);
    put_hex(j, "sig", se->sig, LL_SIG_LEN);
    if (ll_alloc_failures() != failures) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static int dump(json_t *j, struct ll_buf *out)
{
    if (j == NULL)
        return LL_ENOMEM;
    size_t need = json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_SORT_KEYS);
    char *text = need > 0 ? ll_malloc(need) : NULL;
    int rc = text == NULL ? LL_ENOMEM : 0;
    if (rc == 0 &&
        json_dumpb(j, text, need, JSON_COMPACT | JSON_SORT_KEYS) != need)
        rc = LL_ENOMEM;
    if (rc == 0)
        rc = ll_buf_append(out, text, need);
    ll_free(text);
    json_decref(j);
    return rc;
}

int ll_event_json_encode(struct ll_buf *out, const lotledger_Event *ev)
{
    return dump(ll_event_to_json(ev), out);
}

int ll_signed_event_json_encode(struct ll_buf *out,
                                const struct ll_signed_event *se)
{
    return dump(ll_signed_event_to_json(se), out);
}

/* ---- decoding -------------------------------------------------------------
 */

struct ctx {
    struct ll_errmsg *e;
    char path[96]; /* where we are: "event.lots[3]" */
};

static int bad(struct ctx *c, const char *k, const char *what)
{
    return ll_errmsg_set(c->e, LL_EDECODE, "%s%s%s: %s", c->path,
                         c->path[0] != '\0' ? "." : "", k, what);
}

/* Every key of o must be one of names (NULL-terminated). */
static int only(struct ctx *c, json_t *o, const char *const *names)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        bool known = false;
        for (const char *const *n = names; *n != NULL && !known; n++)
            known = strcmp(*n, k) == 0;
        if (!known)
            return bad(c, k, "unknown field");
    }
    return 0;
}

static int get_str(struct ctx *c, json_t *o, const char *k, char *dst,
                   size_t cap)
{
    json_t *v = json_object_get(o, k);
    if (v == NULL)
        return 0;
    if (!json_is_string(v))
        return bad(c, k, "must be a string");
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n >= cap)
        return ll_errmsg_set(c->e, LL_ETOOBIG, "%s%s%s: %zu bytes, at most %zu",
                             c->path, c->path[0] != '\0' ? "." : "", k, n,
                             cap - 1);
    if (memchr(s, '\0', n) != NULL)
        return bad(c, k, "contains a NUL character");
    memcpy(dst, s, n + 1);
    return 0;
}

static int get_int(struct ctx *c, json_t *o, const char *k, long long lo,
                   long long hi, long long *dst)
{
    json_t *v = json_object_get(o, k);
    if (v == NULL)
        return 0;
    if (!json_is_integer(v))
        return bad(c, k, "must be an integer");
    long long x = json_integer_value(v);
    if (x < lo || x > hi)
        return ll_errmsg_set(c->e, LL_ERANGE,
                             "%s%s%s: %lld is outside %lld..%lld", c->path,
                             c->path[0] != '\0' ? "." : "", k, x, lo, hi);
    *dst = x;
    return 0;
}

static int get_hex(struct ctx *c, json_t *o, const char *k, uint8_t *dst,
                   size_t want, pb_size_t *size)
{
    json_t *v = json_object_get(o, k);
    if (v == NULL)
        return 0;
    const char *s = json_string_value(v);
    if (s == NULL || json_string_length(v) != 2 * want ||
        ll_hex_decode(dst, want, s, 2 * want) != 0) {
        char what[64];
        (void)snprintf(what, sizeof(what), "must be %zu hex digits", 2 * want);
        return bad(c, k, what);
    }
    if (size != NULL)
        *size = (pb_size_t)want;
    return 0;
}

/* The array under k (or NULL if absent) with at most max elements. */
static int get_array(struct ctx *c, json_t *o, const char *k, size_t max,
                     json_t **out)
{
    json_t *v = json_object_get(o, k);
    *out = NULL;
    if (v == NULL)
        return 0;
    if (!json_is_array(v))
        return bad(c, k, "must be an array");
    if (json_array_size(v) > max)
        return ll_errmsg_set(
            c->e, LL_ETOOBIG, "%s%s%s: %zu entries, at most %zu", c->path,
            c->path[0] != '\0' ? "." : "", k, json_array_size(v), max);
    *out = v;
    return 0;
}

/* Enter element i of array field k; restores the path on leave. */
static int enter(struct ctx *c, const char *k, size_t i, json_t *v,
                 size_t *saved)
{
    *saved = strlen(c->path);
    (void)snprintf(c->path + *saved, sizeof(c->path) - *saved, "%s%s[%zu]",
                   *saved > 0 ? "." : "", k, i);
    if (!json_is_object(v))
        return ll_errmsg_set(c->e, LL_EDECODE, "%s: must be an object",
                             c->path);
    return 0;
}

static int enter_obj(struct ctx *c, const char *k, json_t *v, size_t *saved)
{
    *saved = strlen(c->path);
    (void)snprintf(c->path + *saved, sizeof(c->path) - *saved, "%s%s",
                   *saved > 0 ? "." : "", k);
    if (!json_is_object(v))
        return ll_errmsg_set(c->e, LL_EDECODE, "%s: must be an object",
                             c->path);
    return 0;
}

#define I64_MIN (-9223372036854775807LL - 1)
#define I64_MAX 9223372036854775807LL

static int get_lots(struct ctx *c, json_t *o, const char *k,
                    lotledger_LotQuantity *q, pb_size_t *count, size_t max)
{
    static const char *const names[] = {"lot", "quantity", "uom", NULL};
    json_t *a;
    int rc = get_array(c, o, k, max, &a);
    for (size_t i = 0; rc == 0 && a != NULL && i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        size_t saved;
        long long qty = 0;
        rc = enter(c, k, i, v, &saved);
        if (rc == 0)
            rc = only(c, v, names);
        if (rc == 0)
            rc = get_str(c, v, "lot", q[i].lot, sizeof(q[i].lot));
        if (rc == 0)
            rc = get_int(c, v, "quantity", 0, I64_MAX, &qty);
        if (rc == 0)
            rc = get_str(c, v, "uom", q[i].uom, sizeof(q[i].uom));
        q[i].quantity = (uint64_t)qty;
        c->path[saved] = '\0';
        *count = (pb_size_t)(i + 1);
    }
    return rc;
}

static int get_master(struct ctx *c, json_t *o, lotledger_Event *ev)
{
    static const char *const names[] = {
        "product",      "expiry",  "best_before", "production_date",
        "harvest_date", "country", NULL};
    json_t *v = json_object_get(o, "master");
    if (v == NULL)
        return 0;
    size_t saved;
    lotledger_LotMaster *m = &ev->master;
    long long d[4] = {0, 0, 0, 0};
    int rc = enter_obj(c, "master", v, &saved);
    if (rc == 0)
        rc = only(c, v, names);
    if (rc == 0)
        rc = get_str(c, v, "product", m->product, sizeof(m->product));
    if (rc == 0)
        rc = get_int(c, v, "expiry", 0, 99991231, &d[0]);
    if (rc == 0)
        rc = get_int(c, v, "best_before", 0, 99991231, &d[1]);
    if (rc == 0)
        rc = get_int(c, v, "production_date", 0, 99991231, &d[2]);
    if (rc == 0)
        rc = get_int(c, v, "harvest_date", 0, 99991231, &d[3]);
    if (rc == 0)
        rc = get_str(c, v, "country", m->country, sizeof(m->country));
    m->expiry = (uint32_t)d[0];
    m->best_before = (uint32_t)d[1];
    m->production_date = (uint32_t)d[2];
    m->harvest_date = (uint32_t)d[3];
    ev->has_master = true;
    c->path[saved] = '\0';
    return rc;
}

static int get_sensors(struct ctx *c, json_t *o, lotledger_Event *ev)
{
    static const char *const names[] = {"type", "value", "uom",    "min", "max",
                                        "time", "alarm", "device", NULL};
    json_t *a;
    int rc = get_array(c, o, "sensors", LL_ARRAY_LEN(ev->sensors), &a);
    for (size_t i = 0; rc == 0 && a != NULL && i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        lotledger_SensorReport *s = &ev->sensors[i];
        size_t saved;
        long long x[4] = {0, 0, 0, 0};
        rc = enter(c, "sensors", i, v, &saved);
        if (rc == 0)
            rc = only(c, v, names);
        if (rc == 0)
            rc = get_str(c, v, "type", s->type, sizeof(s->type));
        if (rc == 0)
            rc = get_int(c, v, "value", I64_MIN, I64_MAX, &x[0]);
        if (rc == 0)
            rc = get_str(c, v, "uom", s->uom, sizeof(s->uom));
        if (rc == 0)
            rc = get_int(c, v, "min", I64_MIN, I64_MAX, &x[1]);
        if (rc == 0)
            rc = get_int(c, v, "max", I64_MIN, I64_MAX, &x[2]);
        if (rc == 0)
            rc = get_int(c, v, "time", I64_MIN, I64_MAX, &x[3]);
        json_t *al = json_object_get(v, "alarm");
        if (rc == 0 && al != NULL && !json_is_boolean(al))
            rc = bad(c, "alarm", "must be true or false");
        if (rc == 0)
            rc = get_str(c, v, "device", s->device, sizeof(s->device));
        s->value = x[0];
        s->has_min = json_object_get(v, "min") != NULL;
        s->min = x[1];
        s->has_max = json_object_get(v, "max") != NULL;
        s->max = x[2];
        s->time = x[3];
        s->alarm = json_is_true(al);
        c->path[saved] = '\0';
        ev->sensors_count = (pb_size_t)(i + 1);
    }
    return rc;
}

static int get_pairs(struct ctx *c, json_t *o, lotledger_Event *ev)
{
    static const char *const dnames[] = {"type", "number", NULL};
    static const char *const knames[] = {"key", "value", NULL};
    json_t *a;
    int rc = get_array(c, o, "docs", LL_ARRAY_LEN(ev->docs), &a);
    for (size_t i = 0; rc == 0 && a != NULL && i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        size_t saved;
        rc = enter(c, "docs", i, v, &saved);
        if (rc == 0)
            rc = only(c, v, dnames);
        if (rc == 0)
            rc = get_str(c, v, "type", ev->docs[i].type,
                         sizeof(ev->docs[i].type));
        if (rc == 0)
            rc = get_str(c, v, "number", ev->docs[i].number,
                         sizeof(ev->docs[i].number));
        c->path[saved] = '\0';
        ev->docs_count = (pb_size_t)(i + 1);
    }
    if (rc == 0)
        rc = get_array(c, o, "kdes", LL_ARRAY_LEN(ev->kdes), &a);
    for (size_t i = 0; rc == 0 && a != NULL && i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        size_t saved;
        rc = enter(c, "kdes", i, v, &saved);
        if (rc == 0)
            rc = only(c, v, knames);
        if (rc == 0)
            rc = get_str(c, v, "key", ev->kdes[i].key, sizeof(ev->kdes[i].key));
        if (rc == 0)
            rc = get_str(c, v, "value", ev->kdes[i].value,
                         sizeof(ev->kdes[i].value));
        c->path[saved] = '\0';
        ev->kdes_count = (pb_size_t)(i + 1);
    }
    return rc;
}

static int event_from(struct ctx *c, json_t *o, lotledger_Event *ev)
{
    static const char *const names[] = {
        "version",    "chain_id",  "type",         "biz_step", "disposition",
        "event_time", "tz_offset", "org",          "key_id",   "lots",
        "outputs",    "location",  "counterparty", "ref",      "docs",
        "master",     "sensors",   "kdes",         "reason",   "fsma_cte",
        NULL};
    memset(ev, 0, sizeof(*ev));
    long long version = 0;
    long long when = 0;
    long long tz = 0;
    int rc = only(c, o, names);
    if (rc == 0)
        rc = get_int(c, o, "version", 0, UINT32_MAX, &version);
    if (rc == 0)
        rc = get_str(c, o, "chain_id", ev->chain_id, sizeof(ev->chain_id));
    json_t *t = json_object_get(o, "type");
    if (rc == 0 && t != NULL &&
        (!json_is_string(t) ||
         ll_event_type_parse(&ev->type, json_string_value(t)) != 0))
        rc = bad(c, "type",
                 "must be one of commission, ship, receive, transform, "
                 "observe, hold, release, recall, dispose, correct");
    if (rc == 0)
        rc = get_str(c, o, "biz_step", ev->biz_step, sizeof(ev->biz_step));
    if (rc == 0)
        rc = get_str(c, o, "disposition", ev->disposition,
                     sizeof(ev->disposition));
    if (rc == 0)
        rc = get_int(c, o, "event_time", I64_MIN, I64_MAX, &when);
    if (rc == 0)
        rc = get_int(c, o, "tz_offset", INT32_MIN, INT32_MAX, &tz);
    if (rc == 0)
        rc = get_str(c, o, "org", ev->org, sizeof(ev->org));
    if (rc == 0)
        rc = get_hex(c, o, "key_id", ev->key_id.bytes, 8, &ev->key_id.size);
    if (rc == 0)
        rc = get_lots(c, o, "lots", ev->lots, &ev->lots_count,
                      LL_ARRAY_LEN(ev->lots));
    if (rc == 0)
        rc = get_lots(c, o, "outputs", ev->outputs, &ev->outputs_count,
                      LL_ARRAY_LEN(ev->outputs));
    if (rc == 0)
        rc = get_str(c, o, "location", ev->location, sizeof(ev->location));
    if (rc == 0)
        rc = get_str(c, o, "counterparty", ev->counterparty,
                     sizeof(ev->counterparty));
    if (rc == 0)
        rc = get_hex(c, o, "ref", ev->ref.bytes, 32, &ev->ref.size);
    if (rc == 0)
        rc = get_pairs(c, o, ev);
    if (rc == 0)
        rc = get_master(c, o, ev);
    if (rc == 0)
        rc = get_sensors(c, o, ev);
    if (rc == 0)
        rc = get_str(c, o, "reason", ev->reason, sizeof(ev->reason));
    if (rc == 0)
        rc = get_str(c, o, "fsma_cte", ev->fsma_cte, sizeof(ev->fsma_cte));
    ev->version = (uint32_t)version;
    ev->event_time = when;
    ev->tz_offset = (int32_t)tz;
    return rc;
}

void ll_json_init(void)
{
    json_set_alloc_funcs(ll_malloc, ll_free);
}

int ll_json_load(json_t **out, const char *text, size_t len, size_t max,
                 const char *what, struct ll_errmsg *e)
{
    json_error_t je;
    *out = NULL;
    if (text == NULL)
        return ll_errmsg_set(e, LL_EDECODE, "no %s", what);
    if (len > max)
        return ll_errmsg_set(e, LL_ETOOBIG, "%s of %zu bytes, at most %zu",
                             what, len, max);
    /* jansson reports most allocation failures in its parser as syntax
     * errors, and some not at all (a string cut short): any failure during
     * the parse makes it out of memory, whatever jansson returned. */
    uint64_t failures = ll_alloc_failures();
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (ll_alloc_failures() != failures ||
        (j == NULL && json_error_code(&je) == json_error_out_of_memory)) {
        json_decref(j);
        return ll_errmsg_set(e, LL_ENOMEM, "%s: out of memory", what);
    }
    if (j == NULL)
        return ll_errmsg_set(e, LL_EDECODE,
                             "malformed JSON at line %d column %d: %s", je.line,
                             je.column, je.text);
    *out = j;
    return 0;
}

/* A JSON event document: an object. */
static int load(json_t **out, const char *text, size_t len, struct ll_errmsg *e)
{
    int rc = ll_json_load(out, text, len, LL_EVENT_JSON_MAX, "JSON event", e);
    if (rc == 0 && !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return ll_errmsg_set(e, LL_EDECODE, "a JSON event is an object");
    }
    return rc;
}

int ll_event_from_json(lotledger_Event *out, json_t *j, struct ll_errmsg *e)
{
    struct ctx c = {e, ""};
    if (!json_is_object(j))
        return ll_errmsg_set(e, LL_EDECODE, "an event is a JSON object");
    return event_from(&c, j, out);
}

int ll_event_json_decode(lotledger_Event *out, const char *text, size_t len,
                         struct ll_errmsg *e)
{
    json_t *j;
    int rc = load(&j, text, len, e);
    if (rc)
        return rc;
    rc = ll_event_from_json(out, j, e);
    json_decref(j);
    return rc;
}

int ll_signed_event_json_decode(struct ll_buf *out, lotledger_Event *scratch,
                                const char *text, size_t len,
                                struct ll_errmsg *e)
{
    static const char *const names[] = {"id", "event", "sig", NULL};
    struct ctx c = {e, ""};
    json_t *j;
    int rc = load(&j, text, len, e);
    if (rc)
        return rc;
    uint8_t sig[LL_SIG_LEN];
    uint8_t want[32];
    uint8_t id[32];
    struct ll_buf evb;
    ll_buf_init(&evb, LL_EVENT_MAX_BYTES);
    rc = only(&c, j, names);
    json_t *ev = json_object_get(j, "event");
    if (rc == 0 && ev == NULL)
        rc = ll_errmsg_set(e, LL_EDECODE, "event: missing");
    if (rc == 0) {
        size_t saved;
        rc = enter_obj(&c, "event", ev, &saved);
        if (rc == 0)
            rc = event_from(&c, ev, scratch);
        c.path[saved] = '\0';
    }
    if (rc == 0 && json_object_get(j, "sig") == NULL)
        rc = ll_errmsg_set(e, LL_EDECODE, "sig: missing");
    if (rc == 0)
        rc = get_hex(&c, j, "sig", sig, LL_SIG_LEN, NULL);
    if (rc == 0)
        rc = get_hex(&c, j, "id", want, 32, NULL);
    if (rc == 0 && (rc = ll_event_encode(&evb, scratch)) != 0)
        rc = ll_errmsg_set(e, rc, "event: cannot be encoded: %s",
                           ll_strerror(rc));
    if (rc == 0 && evb.len == 0)
        rc =
            ll_errmsg_set(e, LL_EDECODE, "event: every field is empty or zero");
    if (rc == 0) {
        ll_event_id(id, evb.data, evb.len);
        if (json_object_get(j, "id") != NULL && memcmp(id, want, 32) != 0)
            rc = ll_errmsg_set(e, LL_EVERIFY,
                               "id: does not match the event's fields");
    }
    if (rc == 0 &&
        (rc = ll_signed_event_wrap(out, evb.data, evb.len, sig)) != 0)
        rc = ll_errmsg_set(e, rc, "event: %s", ll_strerror(rc));
    ll_buf_free(&evb);
    json_decref(j);
    return rc;
}
