/* SPDX-License-Identifier: MIT */
/*
 * EPCIS 2.0 JSON capture onto lotledger events (epcis.h, docs/epcis.md).
 * Strict: a core field lotledger cannot record, a wrong type or an
 * unknown non-namespaced field is an error naming it, never dropped.
 */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "epcis.h"
#include "gs1.h"
#include "event_json.h"

#define GLN_LEN 13

struct cx {
    struct ll_errmsg *e;
    const struct ll_epcis_ctx *ctx;
    lotledger_Event *ev;
};

/* ---- GS1 identifiers ------------------------------------------------------
 */

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

/* The GS1 check digit of n digits (weights 3,1,3,... from the right). */
static char check_digit(const char *d, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (unsigned)(d[n - 1 - i] - '0') * (i % 2 == 0 ? 3u : 1u);
    return (char)('0' + (10 - sum % 10) % 10);
}

/* Percent-decode [s, s+n) into out; false if malformed or too long. */
static bool pct_decode(char *out, size_t cap, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return false;
            int hi = ll_hex_digit(s[i + 1]);
            int lo = ll_hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return false;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (k + 1 >= cap)
            return false;
        out[k++] = c;
    }
    out[k] = '\0';
    return true;
}

/* The path of an http(s) URI (from the first '/' after the host). */
static const char *uri_path(const char *s)
{
    const char *p = NULL;
    if (strncmp(s, "https://", 8) == 0)
        p = s + 8;
    else if (strncmp(s, "http://", 7) == 0)
        p = s + 7;
    return p != NULL ? strchr(p, '/') : NULL;
}

/* urn:epc:class:lgtin:P.IR.LOT -> GTIN-14 and the unescaped lot. */
static int lgtin(char gtin[15], char *lot, size_t cap, const char *cls,
                 struct ll_errmsg *e)
{
    const char *p = cls + strlen("urn:epc:class:lgtin:");
    const char *d1 = strchr(p, '.');
    const char *d2 = d1 != NULL ? strchr(d1 + 1, '.') : NULL;
    size_t np = d1 != NULL ? (size_t)(d1 - p) : 0;
    size_t nr = d2 != NULL ? (size_t)(d2 - d1 - 1) : 0;
    if (d2 == NULL || np < 6 || np > 12 || np + nr != 13 ||
        !all_digits(p, np) || !all_digits(d1 + 1, nr))
        return ll_errmsg_set(e, LL_EINVAL,
                             "epcClass '%s': an lgtin URN is "
                             "urn:epc:class:lgtin:<company prefix>."
                             "<indicator+item ref>.<lot> (13 digits)",
                             cls);
    gtin[0] = d1[1];
    memcpy(gtin + 1, p, np);
    memcpy(gtin + 1 + np, d1 + 2, nr - 1);
    gtin[13] = check_digit(gtin, 13);
    gtin[14] = '\0';
    if (!pct_decode(lot, cap, d2 + 1, strlen(d2 + 1)))
        return ll_errmsg_set(e, LL_EINVAL,
                             "epcClass '%s': bad escape in the lot", cls);
    return 0;
}

/* A GS1 Digital Link of a lot -> its lot id (gs1.c checks every AI). */
static int digital_link(char *out, size_t cap, const char *cls,
                        struct ll_errmsg *e)
{
    struct ll_gs1_msg m;
    struct ll_errmsg why = {{0}};
    if (ll_gs1_parse(&m, cls, strlen(cls), LL_GS1_PARTIAL, &why) != 0)
        return ll_errmsg_set(e, LL_EINVAL, "epcClass '%s': %s", cls, why.text);
    if (ll_gs1_get(&m, "21") != NULL || ll_gs1_get(&m, "22") != NULL ||
        ll_gs1_get(&m, "235") != NULL)
        return ll_errmsg_set(e, LL_EINVAL,
                             "epcClass '%s': names more than a lot "
                             "(lotledger tracks lots, not serials or "
                             "variants)",
                             cls);
    if (ll_gs1_lot_id(&m, out, cap) != 0)
        return ll_errmsg_set(e, LL_EINVAL,
                             "epcClass '%s': a Digital Link lot class is "
                             "https://<host>/01/<GTIN>/10/<lot>",
                             cls);
    return 0;
}

int ll_epcis_lot_id(char *out, size_t cap, const char *cls, struct ll_errmsg *e)
{
    char gtin[15];
    char lot[LL_GS1_LOT_MAX * 3 + 1];
    int rc;
    if (strncmp(cls, "urn:epc:class:lgtin:", 20) == 0) {
        rc = lgtin(gtin, lot, sizeof(lot), cls, e);
    } else if (uri_path(cls) != NULL) {
        rc = digital_link(out, cap, cls, e);
        if (rc == 0 && (rc = ll_lotid_check(out, NULL)) != 0)
            return ll_errmsg_set(e, rc, "epcClass '%s': not a lot id", cls);
        return rc;
    } else {
        /* A lotledger lot id as is (e.g. a tlc/... traceability lot code). */
        if (ll_lotid_check(cls, NULL) != 0 || strlen(cls) >= cap)
            return ll_errmsg_set(e, LL_EINVAL,
                                 "epcClass '%s': not an lgtin URN, a GS1 "
                                 "Digital Link or a lotledger lot id",
                                 cls);
        memcpy(out, cls, strlen(cls) + 1);
        return 0;
    }
    if (rc)
        return rc;
    int n = snprintf(out, cap, "01/%s/10/%s", gtin, lot);
    struct ll_errmsg why = {{0}};
    if (n < 0 || (size_t)n >= cap)
        return ll_errmsg_set(e, LL_EINVAL, "epcClass '%s': too long", cls);
    if ((rc = ll_lotid_check(out, &why)) != 0)
        return ll_errmsg_set(e, rc, "epcClass '%s': %s", cls, why.text);
    return 0;
}

int ll_epcis_gln(char out[static 14], const char *id)
{
    const char *path = uri_path(id);
    if (strncmp(id, "urn:epc:id:sgln:", 16) == 0 ||
        strncmp(id, "urn:epc:id:pgln:", 16) == 0) {
        const char *p = id + 16;
        const char *d1 = strchr(p, '.');
        if (d1 == NULL)
            return LL_EINVAL;
        size_t np = (size_t)(d1 - p);
        size_t nl = strcspn(d1 + 1, ".");
        bool sgln = id[11] == 's';
        if (np < 6 || np > 12 || np + nl != 12 || !all_digits(p, np) ||
            (nl > 0 && !all_digits(d1 + 1, nl)) ||
            (sgln ? d1[1 + nl] != '.' : d1[1 + nl] != '\0'))
            return LL_EINVAL;
        memcpy(out, p, np);
        memcpy(out + np, d1 + 1, nl);
        out[12] = check_digit(out, 12);
        out[13] = '\0';
        return 0;
    }
    if (path != NULL) {
        const char *p = strstr(path, "/414/");
        if (p == NULL)
            p = strstr(path, "/417/");
        if (p == NULL || strlen(p + 5) < GLN_LEN || !all_digits(p + 5, 13) ||
            (p[18] != '\0' && p[18] != '/' && p[18] != '?'))
            return LL_EINVAL;
        memcpy(out, p + 5, 13);
        out[13] = '\0';
        return ll_gs1_check_digit_ok(out, 13) ? 0 : LL_EINVAL;
    }
    return LL_EINVAL;
}

/* ---- field helpers --------------------------------------------------------
 */

static const char *sval(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Copy string field k (if present) into dst; errors name the field. */
static int get_str(struct cx *c, json_t *o, const char *k, const char *where,
                   char *dst, size_t cap, bool required)
{
    json_t *v = json_object_get(o, k);
    if (v == NULL)
        return required
                   ? ll_errmsg_set(c->e, LL_EDECODE, "%s%s: missing", where, k)
                   : 0;
    const char *s = json_string_value(v);
    if (s == NULL)
        return ll_errmsg_set(c->e, LL_EDECODE, "%s%s: must be a string", where,
                             k);
    size_t n = json_string_length(v);
    if (n >= cap || memchr(s, '\0', n) != NULL)
        return ll_errmsg_set(c->e, LL_ETOOBIG,
                             "%s%s: %zu bytes, lotledger keeps at most %zu",
                             where, k, n, cap - 1);
    memcpy(dst, s, n + 1);
    return 0;
}

/*
 * A CBV word from a bare word, a GS1 web URI, a URN or a CURIE:
 * "shipping", "https://ref.gs1.org/cbv/BizStep-shipping",
 * "urn:epcglobal:cbv:bizstep:shipping", "cbv:BizStep-shipping".
 */
static const char *cbv_word(const char *s, const char *web, const char *urn)
{
    static const char base[] = "https://ref.gs1.org/cbv/";
    size_t wl = strlen(web);
    if (strncmp(s, base, sizeof(base) - 1) == 0 &&
        strncmp(s + sizeof(base) - 1, web, wl) == 0)
        return s + sizeof(base) - 1 + wl;
    if (strncmp(s, "cbv:", 4) == 0 && strncmp(s + 4, web, wl) == 0)
        return s + 4 + wl;
    if (strncmp(s, urn, strlen(urn)) == 0)
        return s + strlen(urn);
    return s;
}

static int add_kde(struct cx *c, const char *key, const char *value)
{
    lotledger_Event *ev = c->ev;
    char name[sizeof(ev->kdes[0].key)];
    size_t n = 0;
    if (ev->kdes_count >= LL_ARRAY_LEN(ev->kdes))
        return ll_errmsg_set(c->e, LL_ETOOBIG,
                             "more than %zu key data elements",
                             LL_ARRAY_LEN(ev->kdes));
    /* KDE keys are [a-z0-9_]+: "ex:myField" becomes "ex_myfield". */
    for (const char *p = key; *p != '\0'; p++) {
        char ch = *p;
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        else if (ch == ':' || ch == '-' || ch == '.')
            ch = '_';
        else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                   ch == '_'))
            return ll_errmsg_set(c->e, LL_EINVAL,
                                 "%s: only letters, digits and : - . _ can "
                                 "name a kept field",
                                 key);
        if (n + 1 >= sizeof(name))
            return ll_errmsg_set(c->e, LL_ETOOBIG,
                                 "%s: name too long (at most "
                                 "%zu bytes)",
                                 key, sizeof(name) - 1);
        name[n++] = ch;
    }
    name[n] = '\0';
    key = name;
    lotledger_Kde *k = &ev->kdes[ev->kdes_count];
    if (n == 0 || strlen(value) >= sizeof(k->value))
        return ll_errmsg_set(c->e, LL_ETOOBIG,
                             "%s: empty name or value over %zu bytes", key,
                             sizeof(k->value) - 1);
    (void)snprintf(k->key, sizeof(k->key), "%s", key);
    (void)snprintf(k->value, sizeof(k->value), "%s", value);
    ev->kdes_count++;
    return 0;
}

/* A JSON number of units as thousandths. */
static int thousandths(struct cx *c, json_t *v, const char *where,
                       bool allow_negative, int64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t q = json_integer_value(v);
        if ((!allow_negative && q < 0) || q > INT64_MAX / 1000 ||
            q < -(INT64_MAX / 1000))
            return ll_errmsg_set(c->e, LL_ERANGE, "%s: %lld is out of range",
                                 where, (long long)q);
        *out = (int64_t)q * 1000;
        return 0;
    }
    if (!json_is_real(v))
        return ll_errmsg_set(c->e, LL_EDECODE, "%s: must be a number", where);
    double d = json_real_value(v) * 1000.0;
    double r = nearbyint(d);
    if ((!allow_negative && d < 0) || fabs(d) > 9.0e15)
        return ll_errmsg_set(c->e, LL_ERANGE, "%s: %g is out of range", where,
                             json_real_value(v));
    if (fabs(d - r) > 0.01) /* absolute: a fourth decimal, or lost precision */
        return ll_errmsg_set(c->e, LL_ERANGE, "%s: %g has more than 3 decimals",
                             where, json_real_value(v));
    *out = (int64_t)r;
    return 0;
}

/* Every key of o must be in known (NULL-terminated); where prefixes it. */
static int known_keys(struct cx *c, json_t *o, const char *const *known,
                      const char *where, const char *why)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        bool ok = false;
        for (const char *const *n = known; *n != NULL && !ok; n++)
            ok = strcmp(*n, k) == 0;
        if (!ok)
            return ll_errmsg_set(c->e, LL_EDECODE, "%s%s: %s", where, k, why);
    }
    return 0;
}

/* One {epcClass, quantity, uom}. */
static int one_quantity(struct cx *c, json_t *x, const char *where,
                        lotledger_LotQuantity *q)
{
    static const char *const known[] = {"epcClass", "quantity", "uom", NULL};
    if (!json_is_object(x))
        return ll_errmsg_set(c->e, LL_EDECODE, "%s: must be an object", where);
    char w[96];
    (void)snprintf(w, sizeof(w), "%s.", where);
    int rc = known_keys(c, x, known, w, "unknown field");
    if (rc)
        return rc;
    const char *cls = sval(x, "epcClass");
    if (cls == NULL)
        return ll_errmsg_set(c->e, LL_EDECODE,
                             "%s.epcClass: missing or not a string", where);
    rc = ll_epcis_lot_id(q->lot, sizeof(q->lot), cls, c->e);
    json_t *qv = json_object_get(x, "quantity");
    int64_t t = 0;
    if (rc == 0 && qv != NULL) {
        (void)snprintf(w, sizeof(w), "%s.quantity", where);
        rc = thousandths(c, qv, w, false, &t);
    }
    q->quantity = (uint64_t)t;
    if (rc == 0) {
        (void)snprintf(w, sizeof(w), "%s.", where);
        rc = get_str(c, x, "uom", w, q->uom, sizeof(q->uom), false);
    }
    if (rc == 0 && q->uom[0] == '\0' && qv != NULL)
        (void)snprintf(q->uom, sizeof(q->uom), "EA");
    return rc;
}

/* quantityList -> lots / outputs. */
static int quantities(struct cx *c, json_t *a, const char *name,
                      lotledger_LotQuantity *q, pb_size_t *count, size_t max)
{
    if (a == NULL)
        return 0;
    if (!json_is_array(a))
        return ll_errmsg_set(c->e, LL_EDECODE, "%s: must be an array", name);
    if (json_array_size(a) > max)
        return ll_errmsg_set(c->e, LL_ETOOBIG, "%s: %zu entries, at most %zu",
                             name, json_array_size(a), max);
    for (size_t i = 0; i < json_array_size(a); i++) {
        char where[64];
        (void)snprintf(where, sizeof(where), "%s[%zu]", name, i);
        int rc = one_quantity(c, json_array_get(a, i), where, &q[i]);
        if (rc)
            return rc;
        *count = (pb_size_t)(i + 1);
    }
    return 0;
}

/* An org of the genesis by its GLN, from a source / destination id. */
static int party(struct cx *c, const char *id, const char *where, char *out,
                 size_t cap)
{
    char gln[14];
    if (ll_epcis_gln(gln, id) != 0)
        return ll_errmsg_set(c->e, LL_EINVAL,
                             "%s: '%s' is not a GLN (urn:epc:id:pgln / sgln "
                             "or a Digital Link 417 / 414 URI)",
                             where, id);
    const struct ll_genesis *g = c->ctx->g;
    for (size_t i = 0; i < g->norgs; i++) {
        if (strcmp(g->orgs[i].gln, gln) == 0) {
            (void)snprintf(out, cap, "%s", g->orgs[i].id);
            return 0;
        }
    }
    return ll_errmsg_set(c->e, LL_EUNKNOWNORG,
                         "%s: no organisation of this network has GLN %s",
                         where, gln);
}

/* sourceList / destinationList: parties and locations. */
static int parties(struct cx *c, json_t *a, bool dest)
{
    const char *name = dest ? "destinationList" : "sourceList";
    const char *field = dest ? "destination" : "source";
    if (a == NULL)
        return 0;
    if (!json_is_array(a))
        return ll_errmsg_set(c->e, LL_EDECODE, "%s: must be an array", name);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *x = json_array_get(a, i);
        const char *type = sval(x, "type");
        const char *id = sval(x, field);
        char where[64];
        (void)snprintf(where, sizeof(where), "%s[%zu]", name, i);
        if (type == NULL || id == NULL || json_object_size(x) != 2)
            return ll_errmsg_set(c->e, LL_EDECODE,
                                 "%s: needs exactly type and %s strings", where,
                                 field);
        type = cbv_word(type, "SDT-", "urn:epcglobal:cbv:sdt:");
        int rc = 0;
        if (dest && strcmp(type, "owning_party") == 0 &&
            c->ev->type == lotledger_EventType_SHIP) {
            if (c->ev->counterparty[0] != '\0')
                return ll_errmsg_set(c->e, LL_EINVAL,
                                     "%s: a second owning_party destination",
                                     where);
            rc = party(c, id, where, c->ev->counterparty,
                       sizeof(c->ev->counterparty));
        } else if (strcmp(type, "owning_party") == 0 ||
                   strcmp(type, "possessing_party") == 0 ||
                   strcmp(type, "location") == 0) {
            char key[48];
            (void)snprintf(key, sizeof(key), "%s_%s",
                           dest ? "destination" : "source", type);
            rc = add_kde(c, key, id);
        } else {
            rc = ll_errmsg_set(c->e, LL_EINVAL,
                               "%s.type: '%s' is not owning_party, "
                               "possessing_party or location",
                               where, type);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* YYYY-MM-DD (or a full timestamp) -> YYYYMMDD. */
static int date_of(struct cx *c, json_t *v, const char *where, uint32_t *out)
{
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) != 10 || !all_digits(s, 4) || s[4] != '-' ||
        !all_digits(s + 5, 2) || s[7] != '-' || !all_digits(s + 8, 2))
        return ll_errmsg_set(c->e, LL_EINVAL, "%s: not a YYYY-MM-DD date",
                             where);
    int64_t y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
                (s[3] - '0');
    int64_t m = (s[5] - '0') * 10 + (s[6] - '0');
    int64_t d = (s[8] - '0') * 10 + (s[9] - '0');
    if (!ll_date_is_valid(y, m, d))
        return ll_errmsg_set(c->e, LL_EINVAL, "%s: %.10s is not a real day",
                             where, s);
    *out = (uint32_t)(y * 10000 + m * 100 + d);
    return 0;
}

/* ilmd: lot master data. */
static int ilmd(struct cx *c, json_t *o)
{
    lotledger_LotMaster *m = &c->ev->master;
    if (o == NULL)
        return 0;
    if (!json_is_object(o))
        return ll_errmsg_set(c->e, LL_EDECODE, "ilmd: must be an object");
    c->ev->has_master = true;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        char where[96];
        (void)snprintf(where, sizeof(where), "ilmd.%s", k);
        const char *local = strchr(k, ':') != NULL ? strchr(k, ':') + 1 : k;
        int rc = 0;
        if (strcmp(local, "itemExpirationDate") == 0)
            rc = date_of(c, v, where, &m->expiry);
        else if (strcmp(local, "bestBeforeDate") == 0)
            rc = date_of(c, v, where, &m->best_before);
        else if (strcmp(local, "harvestStartDate") == 0)
            rc = date_of(c, v, where, &m->harvest_date);
        else if (strcmp(local, "productionDate") == 0 ||
                 strcmp(local, "manufacturingDate") == 0)
            rc = date_of(c, v, where, &m->production_date);
        else if (strcmp(local, "countryOfOrigin") == 0)
            rc = get_str(c, o, k, "ilmd.", m->country, sizeof(m->country),
                         false);
        else if (strcmp(local, "product") == 0 ||
                 strcmp(local, "productDescription") == 0 ||
                 strcmp(local, "tradeItemDescription") == 0)
            rc = get_str(c, o, k, "ilmd.", m->product, sizeof(m->product),
                         false);
        else if (json_is_string(v))
            rc = add_kde(c, k, json_string_value(v));
        else
            rc = ll_errmsg_set(c->e, LL_EINVAL,
                               "%s: lotledger keeps ilmd values that are "
                               "strings, or the dates and country it knows",
                               where);
        if (rc)
            return rc;
    }
    return 0;
}

/* A number field of a sensor report (absent: *has = false). */
static int sensor_num(struct cx *c, json_t *r, const char *k, const char *where,
                      bool *has, int64_t *out)
{
    json_t *v = json_object_get(r, k);
    char w[160];
    if (has != NULL)
        *has = v != NULL;
    if (v == NULL)
        return 0;
    (void)snprintf(w, sizeof(w), "%s%s", where, k);
    return thousandths(c, v, w, true, out);
}

/* The sensor's time (report, else metadata) and exception. */
static int sensor_time_alarm(struct cx *c, json_t *r, json_t *meta,
                             const char *where, lotledger_SensorReport *s)
{
    const char *t = sval(r, "time");
    if (t == NULL && meta != NULL)
        t = sval(meta, "time");
    int32_t tz;
    if (t != NULL && ll_time_parse(&s->time, &tz, t) != 0)
        return ll_errmsg_set(c->e, LL_EINVAL,
                             "%stime: '%s' is not an ISO 8601 time", where, t);
    const char *ex = sval(r, "exception");
    if (ex == NULL)
        return 0;
    s->alarm = strcmp(ex, "ALARM_CONDITION") == 0;
    if (!s->alarm && strcmp(ex, "ERROR_CONDITION") != 0)
        return ll_errmsg_set(c->e, LL_EINVAL,
                             "%sexception: ALARM_CONDITION or ERROR_CONDITION",
                             where);
    return 0;
}

static int one_report(struct cx *c, json_t *r, json_t *meta, const char *where,
                      lotledger_SensorReport *s)
{
    static const char *const known[] = {"type",      "value",    "uom",
                                        "minValue",  "maxValue", "time",
                                        "exception", "deviceID", NULL};
    if (!json_is_object(r))
        return ll_errmsg_set(c->e, LL_EDECODE, "%s: must be an object", where);
    int rc = known_keys(c, r, known, where,
                        "not recorded by lotledger (it keeps type, value, uom, "
                        "minValue, maxValue, time, exception, deviceID)");
    if (rc)
        return rc;
    const char *type = sval(r, "type");
    if (type == NULL)
        return ll_errmsg_set(c->e, LL_EDECODE, "%stype: missing", where);
    const char *slash = strrchr(type, '/');
    const char *colon = strrchr(type, ':');
    type = slash != NULL ? slash + 1 : colon != NULL ? colon + 1 : type;
    if (strlen(type) >= sizeof(s->type))
        return ll_errmsg_set(c->e, LL_ETOOBIG, "%stype: too long", where);
    (void)snprintf(s->type, sizeof(s->type), "%s", type);
    rc = sensor_num(c, r, "value", where, NULL, &s->value);
    if (rc == 0)
        rc = sensor_num(c, r, "minValue", where, &s->has_min, &s->min);
    if (rc == 0)
        rc = sensor_num(c, r, "maxValue", where, &s->has_max, &s->max);
    if (rc == 0)
        rc = get_str(c, r, "uom", where, s->uom, sizeof(s->uom), false);
    if (rc == 0)
        rc = sensor_time_alarm(c, r, meta, where, s);
    if (rc == 0 && json_object_get(r, "deviceID") != NULL)
        rc = get_str(c, r, "deviceID", where, s->device, sizeof(s->device),
                     false);
    else if (rc == 0 && meta != NULL)
        rc = get_str(c, meta, "deviceID", "sensorMetadata.", s->device,
                     sizeof(s->device), false);
    return rc;
}

/* A sensor element keeps only what lotledger records. */
static int sensor_element_keys(struct cx *c, json_t *el, json_t *meta, size_t i)
{
    static const char *const el_keys[] = {"sensorMetadata", "sensorReport",
                                          NULL};
    static const char *const meta_keys[] = {"time", "deviceID", NULL};
    char where[64];
    if (!json_is_object(el))
        return ll_errmsg_set(c->e, LL_EDECODE,
                             "sensorElementList[%zu]: must be an object", i);
    (void)snprintf(where, sizeof(where), "sensorElementList[%zu].", i);
    int rc = known_keys(c, el, el_keys, where,
                        "not recorded by lotledger (it keeps sensorMetadata "
                        "and sensorReport)");
    if (rc == 0 && meta != NULL && !json_is_object(meta))
        rc = ll_errmsg_set(c->e, LL_EDECODE,
                           "%ssensorMetadata: must be an "
                           "object",
                           where);
    (void)snprintf(where, sizeof(where),
                   "sensorElementList[%zu]."
                   "sensorMetadata.",
                   i);
    if (rc == 0 && meta != NULL)
        rc = known_keys(c, meta, meta_keys, where,
                        "not recorded by lotledger (it keeps time and "
                        "deviceID)");
    return rc;
}

static int sensors(struct cx *c, json_t *a)
{
    lotledger_Event *ev = c->ev;
    if (a == NULL)
        return 0;
    if (!json_is_array(a))
        return ll_errmsg_set(c->e, LL_EDECODE,
                             "sensorElementList: must be an array");
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *el = json_array_get(a, i);
        json_t *meta = json_object_get(el, "sensorMetadata");
        json_t *reps = json_object_get(el, "sensorReport");
        int rc = sensor_element_keys(c, el, meta, i);
        if (rc)
            return rc;
        if (!json_is_array(reps))
            return ll_errmsg_set(c->e, LL_EDECODE,
                                 "sensorElementList[%zu].sensorReport: must "
                                 "be an array",
                                 i);
        for (size_t j = 0; j < json_array_size(reps); j++) {
            char where[96];
            (void)snprintf(where, sizeof(where),
                           "sensorElementList[%zu].sensorReport[%zu].", i, j);
            if (ev->sensors_count >= LL_ARRAY_LEN(ev->sensors))
                return ll_errmsg_set(c->e, LL_ETOOBIG,
                                     "more than %zu sensor reports",
                                     LL_ARRAY_LEN(ev->sensors));
            rc = one_report(c, json_array_get(reps, j), meta, where,
                            &ev->sensors[ev->sensors_count]);
            if (rc)
                return rc;
            ev->sensors_count++;
        }
    }
    return 0;
}

static int biz_transactions(struct cx *c, json_t *a)
{
    lotledger_Event *ev = c->ev;
    if (a == NULL)
        return 0;
    if (!json_is_array(a))
        return ll_errmsg_set(c->e, LL_EDECODE,
                             "bizTransactionList: must be an array");
    if (json_array_size(a) > LL_ARRAY_LEN(ev->docs))
        return ll_errmsg_set(c->e, LL_ETOOBIG,
                             "bizTransactionList: at most %zu entries",
                             LL_ARRAY_LEN(ev->docs));
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *x = json_array_get(a, i);
        char where[64];
        (void)snprintf(where, sizeof(where), "bizTransactionList[%zu].", i);
        static const char *const bt_keys[] = {"type", "bizTransaction", NULL};
        if (!json_is_object(x))
            return ll_errmsg_set(c->e, LL_EDECODE, "%s: must be an object",
                                 where);
        int krc = known_keys(c, x, bt_keys, where, "unknown field");
        if (krc)
            return krc;
        const char *type = sval(x, "type");
        if (type == NULL)
            return ll_errmsg_set(c->e, LL_EDECODE,
                                 "%stype: missing (lotledger needs the "
                                 "document type)",
                                 where);
        type = cbv_word(type, "BTT-", "urn:epcglobal:cbv:btt:");
        lotledger_BizDocument *d = &ev->docs[i];
        if (strlen(type) >= sizeof(d->type))
            return ll_errmsg_set(c->e, LL_ETOOBIG, "%stype: too long", where);
        (void)snprintf(d->type, sizeof(d->type), "%s", type);
        int rc = get_str(c, x, "bizTransaction", where, d->number,
                         sizeof(d->number), true);
        if (rc)
            return rc;
        ev->docs_count = (pb_size_t)(i + 1);
    }
    return 0;
}

/* Namespaced user extensions: lotledger's own, else kept as KDEs. */
static int extension(struct cx *c, const char *k, json_t *v)
{
    lotledger_Event *ev = c->ev;
    const char *s = json_string_value(v);
    if (s == NULL)
        return ll_errmsg_set(c->e, LL_EINVAL,
                             "%s: lotledger keeps user extensions whose "
                             "value is a string",
                             k);
    if (strncmp(k, "lotledger:", 10) == 0) {
        const char *n = k + 10;
        char *dst = NULL;
        size_t cap = 0;
        if (strcmp(n, "ref") == 0) {
            if (strlen(s) != 64 || ll_hex_decode(ev->ref.bytes, 32, s, 64) != 0)
                return ll_errmsg_set(c->e, LL_EINVAL,
                                     "lotledger:ref: 64 hex digits");
            ev->ref.size = 32;
            return 0;
        }
        if (strcmp(n, "to") == 0) {
            if (ev->counterparty[0] != '\0' && strcmp(ev->counterparty, s) != 0)
                return ll_errmsg_set(c->e, LL_EINVAL,
                                     "lotledger:to: %s, but the destination "
                                     "owning_party is %s",
                                     s, ev->counterparty);
            dst = ev->counterparty;
            cap = sizeof(ev->counterparty);
        } else if (strcmp(n, "reason") == 0) {
            dst = ev->reason;
            cap = sizeof(ev->reason);
        } else if (strcmp(n, "fsma_cte") == 0) {
            dst = ev->fsma_cte;
            cap = sizeof(ev->fsma_cte);
        } else {
            return ll_errmsg_set(c->e, LL_EINVAL,
                                 "%s: unknown lotledger extension (ref, to, "
                                 "reason, fsma_cte)",
                                 k);
        }
        if (strlen(s) >= cap)
            return ll_errmsg_set(c->e, LL_ETOOBIG, "%s: at most %zu bytes", k,
                                 cap - 1);
        (void)snprintf(dst, cap, "%s", s);
        return 0;
    }
    return add_kde(c, strncmp(k, "fsma:", 5) == 0 ? k + 5 : k, s);
}

static int location(struct cx *c, json_t *o, const char *name)
{
    if (o == NULL)
        return 0;
    const char *id = sval(o, "id");
    if (id == NULL || !json_is_object(o))
        return ll_errmsg_set(c->e, LL_EDECODE, "%s.id: missing", name);
    char gln[14];
    if (ll_epcis_gln(gln, id) == 0) {
        (void)snprintf(c->ev->location, sizeof(c->ev->location), "%s", gln);
        return 0;
    }
    if (strlen(id) >= sizeof(c->ev->location))
        return ll_errmsg_set(c->e, LL_ETOOBIG, "%s.id: too long", name);
    (void)snprintf(c->ev->location, sizeof(c->ev->location), "%s", id);
    return 0;
}

/* The shape: a kind lotledger records, known core fields, no EPCs. */
static int event_shape(struct cx *c, json_t *o, bool *object)
{
    static const char *const core[] = {"type",
                                       "eventTime",
                                       "eventTimeZoneOffset",
                                       "recordTime",
                                       "eventID",
                                       "action",
                                       "bizStep",
                                       "disposition",
                                       "readPoint",
                                       "bizLocation",
                                       "bizTransactionList",
                                       "sourceList",
                                       "destinationList",
                                       "quantityList",
                                       "epcList",
                                       "sensorElementList",
                                       "ilmd",
                                       "inputQuantityList",
                                       "outputQuantityList",
                                       "inputEPCList",
                                       "outputEPCList",
                                       "transformationID",
                                       "@context",
                                       "certificationInfo",
                                       NULL};
    static const char *const unsupported[] = {
        "errorDeclaration", "persistentDisposition", "parentID", "childEPCs",
        "childQuantityList"};
    static const char *const epcs[] = {"epcList", "inputEPCList",
                                       "outputEPCList"};
    const char *type = sval(o, "type");
    if (type == NULL)
        return ll_errmsg_set(c->e, LL_EDECODE, "type: missing");
    *object = strcmp(type, "ObjectEvent") == 0;
    if (!*object && strcmp(type, "TransformationEvent") != 0)
        return ll_errmsg_set(c->e, LL_EINVAL,
                             "type: %s is not recorded by lotledger (it "
                             "records lot custody: ObjectEvent, "
                             "TransformationEvent)",
                             type);
    for (size_t i = 0; i < LL_ARRAY_LEN(unsupported); i++)
        if (json_object_get(o, unsupported[i]) != NULL)
            return ll_errmsg_set(
                c->e, LL_EINVAL, "%s: not recorded by lotledger%s",
                unsupported[i], i == 0 ? " (submit a correct event)" : "");
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        bool known = strchr(k, ':') != NULL; /* a user extension */
        for (const char *const *n = core; *n != NULL && !known; n++)
            known = strcmp(*n, k) == 0;
        if (!known)
            return ll_errmsg_set(c->e, LL_EDECODE, "%s: unknown field", k);
    }
    for (size_t i = 0; i < LL_ARRAY_LEN(epcs); i++) {
        json_t *l = json_object_get(o, epcs[i]);
        if (l != NULL && (!json_is_array(l) || json_array_size(l) > 0))
            return ll_errmsg_set(c->e, LL_EINVAL,
                                 "%s: lotledger tracks lots; list them in "
                                 "quantityList with an lgtin class",
                                 epcs[i]);
    }
    return 0;
}

static int event_time(struct cx *c, json_t *o)
{
    const char *when = sval(o, "eventTime");
    const char *tzs = sval(o, "eventTimeZoneOffset");
    int32_t tz = 0;
    if (when == NULL)
        return ll_errmsg_set(c->e, LL_EDECODE, "eventTime: missing");
    if (ll_time_parse(&c->ev->event_time, &tz, when) != 0)
        return ll_errmsg_set(c->e, LL_EINVAL,
                             "eventTime: '%s' is not an ISO 8601 time with an "
                             "offset",
                             when);
    if (tzs == NULL)
        return ll_errmsg_set(c->e, LL_EDECODE, "eventTimeZoneOffset: missing");
    if (strlen(tzs) != 6 || (tzs[0] != '+' && tzs[0] != '-') ||
        !all_digits(tzs + 1, 2) || tzs[3] != ':' || !all_digits(tzs + 4, 2))
        return ll_errmsg_set(c->e, LL_EINVAL,
                             "eventTimeZoneOffset: '%s' is not +hh:mm", tzs);
    int32_t mins = ((tzs[1] - '0') * 10 + (tzs[2] - '0')) * 60 +
                   (tzs[4] - '0') * 10 + (tzs[5] - '0');
    c->ev->tz_offset = tzs[0] == '-' ? -mins : mins;
    return 0;
}

/* bizStep and disposition as CBV words (or "" when absent). */
static int cbv_fields(struct cx *c, json_t *o)
{
    const char *step = sval(o, "bizStep");
    const char *disp = sval(o, "disposition");
    if (step != NULL) {
        const char *w =
            cbv_word(step, "BizStep-", "urn:epcglobal:cbv:bizstep:");
        if (!ll_cbv_is_bizstep(w))
            return ll_errmsg_set(c->e, LL_EINVAL,
                                 "bizStep: '%s' is not a CBV 2.0 business step",
                                 step);
        (void)snprintf(c->ev->biz_step, sizeof(c->ev->biz_step), "%s", w);
    }
    if (disp != NULL) {
        const char *w = cbv_word(disp, "Disp-", "urn:epcglobal:cbv:disp:");
        if (!ll_cbv_is_disposition(w))
            return ll_errmsg_set(c->e, LL_EINVAL,
                                 "disposition: '%s' is not a CBV 2.0 "
                                 "disposition",
                                 disp);
        (void)snprintf(c->ev->disposition, sizeof(c->ev->disposition), "%s", w);
    }
    return 0;
}

/* An OBSERVE ObjectEvent's kind, from its disposition and bizStep. */
static lotledger_EventType observe_kind(const char *step, const char *disp)
{
    if (strcmp(disp, "recalled") == 0)
        return lotledger_EventType_RECALL;
    if (strcmp(step, "holding") == 0)
        return lotledger_EventType_HOLD;
    if (strcmp(step, "shipping") == 0)
        return lotledger_EventType_SHIP;
    if (strcmp(step, "receiving") == 0 || strcmp(step, "accepting") == 0 ||
        strcmp(step, "arriving") == 0)
        return lotledger_EventType_RECEIVE;
    if (strcmp(disp, "conformant") == 0)
        return lotledger_EventType_RELEASE;
    return lotledger_EventType_OBSERVE;
}

static int event_kind(struct cx *c, json_t *o, bool object)
{
    lotledger_Event *ev = c->ev;
    const char *action = sval(o, "action");
    if (object && action == NULL)
        return ll_errmsg_set(c->e, LL_EDECODE, "action: missing");
    if (!object && action != NULL)
        return ll_errmsg_set(c->e, LL_EDECODE,
                             "action: a TransformationEvent has none");
    int rc = cbv_fields(c, o);
    if (rc)
        return rc;
    if (!object)
        ev->type = lotledger_EventType_TRANSFORM;
    else if (strcmp(action, "ADD") == 0)
        ev->type = lotledger_EventType_COMMISSION;
    else if (strcmp(action, "DELETE") == 0)
        ev->type = lotledger_EventType_DISPOSE;
    else if (strcmp(action, "OBSERVE") == 0)
        ev->type = observe_kind(ev->biz_step, ev->disposition);
    else
        return ll_errmsg_set(c->e, LL_EINVAL,
                             "action: '%s' is not ADD, OBSERVE or DELETE",
                             action);
    if (json_object_get(o, "ilmd") != NULL &&
        ev->type != lotledger_EventType_COMMISSION &&
        ev->type != lotledger_EventType_TRANSFORM)
        return ll_errmsg_set(c->e, LL_EINVAL,
                             "ilmd: only with action ADD or a "
                             "TransformationEvent");
    return 0;
}

static int event_lots(struct cx *c, json_t *o, bool object)
{
    lotledger_Event *ev = c->ev;
    int rc;
    if (object) {
        rc = quantities(c, json_object_get(o, "quantityList"), "quantityList",
                        ev->lots, &ev->lots_count, LL_ARRAY_LEN(ev->lots));
        if (rc == 0 && ev->lots_count == 0)
            rc = ll_errmsg_set(c->e, LL_EINVAL,
                               "quantityList: missing or empty (lotledger "
                               "records lots)");
    } else {
        rc = quantities(c, json_object_get(o, "inputQuantityList"),
                        "inputQuantityList", ev->lots, &ev->lots_count,
                        LL_ARRAY_LEN(ev->lots));
        if (rc == 0)
            rc = quantities(c, json_object_get(o, "outputQuantityList"),
                            "outputQuantityList", ev->outputs,
                            &ev->outputs_count, LL_ARRAY_LEN(ev->outputs));
        if (rc == 0 && (ev->lots_count == 0 || ev->outputs_count == 0))
            rc = ll_errmsg_set(c->e, LL_EINVAL,
                               "inputQuantityList and outputQuantityList: "
                               "both needed");
    }
    /* Whole-lot events carry no quantities. */
    bool whole = ev->type == lotledger_EventType_HOLD ||
                 ev->type == lotledger_EventType_RELEASE ||
                 ev->type == lotledger_EventType_RECALL ||
                 ev->type == lotledger_EventType_OBSERVE;
    for (size_t i = 0; rc == 0 && whole && i < ev->lots_count; i++) {
        ev->lots[i].quantity = 0;
        ev->lots[i].uom[0] = '\0';
    }
    return rc;
}

/* eventID, certificationInfo, transformationID and user extensions. */
static int event_extras(struct cx *c, json_t *o)
{
    int rc = 0;
    const char *eid = sval(o, "eventID");
    if (eid != NULL)
        rc = add_kde(c, "epcis_event_id", eid);
    json_t *cert = json_object_get(o, "certificationInfo");
    if (rc == 0 && cert != NULL && !json_is_string(cert))
        rc = ll_errmsg_set(c->e, LL_EINVAL,
                           "certificationInfo: must be a string (a URI)");
    if (rc == 0 && cert != NULL)
        rc = add_kde(c, "certification_info", json_string_value(cert));
    const char *tid = sval(o, "transformationID");
    if (rc == 0 && tid != NULL)
        rc = add_kde(c, "transformation_id", tid);
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (rc == 0 && strchr(k, ':') != NULL && strcmp(k, "@context") != 0)
            rc = extension(c, k, v);
    }
    return rc;
}

static int one_event(struct cx *c, json_t *o)
{
    lotledger_Event *ev = c->ev;
    bool object = false;
    int rc = event_shape(c, o, &object);
    if (rc == 0)
        rc = event_time(c, o);
    if (rc == 0)
        rc = event_kind(c, o, object);
    if (rc == 0)
        rc = event_lots(c, o, object);
    if (rc == 0)
        rc = location(c, json_object_get(o, "bizLocation"), "bizLocation");
    if (rc == 0 && ev->location[0] == '\0')
        rc = location(c, json_object_get(o, "readPoint"), "readPoint");
    if (rc == 0)
        rc = biz_transactions(c, json_object_get(o, "bizTransactionList"));
    if (rc == 0)
        rc = parties(c, json_object_get(o, "sourceList"), false);
    if (rc == 0)
        rc = parties(c, json_object_get(o, "destinationList"), true);
    if (rc == 0)
        rc = sensors(c, json_object_get(o, "sensorElementList"));
    if (rc == 0)
        rc = ilmd(c, json_object_get(o, "ilmd"));
    if (rc == 0)
        rc = event_extras(c, o);
    if (rc == 0 && ev->type == lotledger_EventType_SHIP &&
        ev->counterparty[0] == '\0')
        rc = ll_errmsg_set(c->e, LL_EINVAL,
                           "a shipping event needs a destinationList "
                           "owning_party (or the lotledger:to extension)");
    return rc;
}

/* The one event of a bare event or an EPCISDocument. */
static int the_event(json_t *j, json_t **out, struct ll_errmsg *e)
{
    const char *type = sval(j, "type");
    *out = j;
    if (!json_is_object(j))
        return ll_errmsg_set(e, LL_EDECODE, "an EPCIS event is a JSON object");
    if (type == NULL || strcmp(type, "EPCISDocument") != 0)
        return 0;
    json_t *list =
        json_object_get(json_object_get(j, "epcisBody"), "eventList");
    if (json_object_get(j, "@context") == NULL)
        return ll_errmsg_set(e, LL_EDECODE,
                             "@context: missing (an EPCIS 2.0 JSON-LD "
                             "document names its context)");
    if (!json_is_array(list) || json_array_size(list) != 1)
        return ll_errmsg_set(e, LL_EINVAL,
                             "epcisBody.eventList: one event per capture "
                             "request (this document has %zu)",
                             json_array_size(list));
    *out = json_array_get(list, 0);
    if (!json_is_object(*out))
        return ll_errmsg_set(e, LL_EDECODE,
                             "epcisBody.eventList[0]: must be an object");
    return 0;
}

int ll_epcis_to_event(lotledger_Event *out, const char *json, size_t len,
                      const struct ll_epcis_ctx *ctx, struct ll_errmsg *e)
{
    json_t *j = NULL;
    int lrc = ll_json_load(&j, json, len, LL_EPCIS_MAX_BYTES, "EPCIS JSON", e);
    if (lrc)
        return lrc;
    lotledger_Event *ev = ll_calloc(1, sizeof(*ev));
    if (ev == NULL) {
        json_decref(j);
        return ll_errmsg_set(e, LL_ENOMEM, "out of memory");
    }
    json_t *o = NULL;
    struct cx c = {e, ctx, ev};
    int rc = the_event(j, &o, e);
    if (rc == 0)
        rc = one_event(&c, o);
    if (rc == 0) {
        ev->version = LL_EVENT_VERSION;
        (void)snprintf(ev->chain_id, sizeof(ev->chain_id), "%s",
                       ctx->g->chain_id);
        (void)snprintf(ev->org, sizeof(ev->org), "%s", ctx->org);
        if (ctx->key_id != NULL) {
            memcpy(ev->key_id.bytes, ctx->key_id, LL_KEYID_LEN);
            ev->key_id.size = LL_KEYID_LEN;
        }
        *out = *ev;
    }
    ll_free(ev);
    json_decref(j);
    return rc;
}
