/* SPDX-License-Identifier: MIT */
/*
 * Well-formedness of one event, before any ledger state is consulted: the
 * vocabularies (CBV 2.0 bizStep, disposition and business transaction
 * words, FSMA 204 CTE names), canonical lot ids with GS1 check digits,
 * units, dates and the fields each event type requires or forbids. Every
 * failure names the field and the rule (docs/events.md lists them).
 */
#include <string.h>

#include "event.h"

static const char *const bizsteps[] = {
    "accepting",
    "arriving",
    "assembling",
    "collecting",
    "commissioning",
    "consigning",
    "creating_class_instance",
    "cycle_counting",
    "decommissioning",
    "departing",
    "destroying",
    "disassembling",
    "dispensing",
    "encoding",
    "entering_exiting",
    "holding",
    "inspecting",
    "installing",
    "killing",
    "loading",
    "other",
    "packing",
    "picking",
    "receiving",
    "removing",
    "repackaging",
    "repairing",
    "replacing",
    "reserving",
    "retail_selling",
    "sampling",
    "sensor_reporting",
    "shipping",
    "staging_outbound",
    "stock_taking",
    "stocking",
    "storing",
    "transporting",
    "unloading",
    "unpacking",
    "void_shipping",
};

static const char *const dispositions[] = {
    "active",
    "available",
    "completeness_inferred",
    "completeness_verified",
    "conformant",
    "container_closed",
    "container_open",
    "damaged",
    "destroyed",
    "dispensed",
    "disposed",
    "encoded",
    "expired",
    "in_progress",
    "in_transit",
    "inactive",
    "mismatch_class",
    "mismatch_instance",
    "mismatch_quantity",
    "needs_replacement",
    "no_pedigree_match",
    "non_conformant",
    "non_sellable_other",
    "partially_dispensed",
    "recalled",
    "reserved",
    "retail_sold",
    "returned",
    "sellable_accessible",
    "sellable_not_accessible",
    "stolen",
    "unavailable",
    "unknown",
};

static const char *const doc_types[] = {
    "bol",       "cert",   "desadv", "inv",     "pedigree", "po",    "poc",
    "prodorder", "recadv", "rma",    "testprd", "testres",  "upevt",
};

static const char *const fsma_ctes[] = {
    "harvesting", "cooling",   "initial_packing", "first_land_based_receiving",
    "shipping",   "receiving", "transformation",
};

static const char *const type_names[] = {
    [lotledger_EventType_COMMISSION] = "commission",
    [lotledger_EventType_SHIP] = "ship",
    [lotledger_EventType_RECEIVE] = "receive",
    [lotledger_EventType_TRANSFORM] = "transform",
    [lotledger_EventType_OBSERVE] = "observe",
    [lotledger_EventType_HOLD] = "hold",
    [lotledger_EventType_RELEASE] = "release",
    [lotledger_EventType_RECALL] = "recall",
    [lotledger_EventType_DISPOSE] = "dispose",
    [lotledger_EventType_CORRECT] = "correct",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

bool ll_cbv_is_bizstep(const char *s)
{
    return in_list(s, bizsteps, LL_ARRAY_LEN(bizsteps));
}

bool ll_cbv_is_disposition(const char *s)
{
    return in_list(s, dispositions, LL_ARRAY_LEN(dispositions));
}

const char *ll_event_type_name(lotledger_EventType t)
{
    if ((int)t <= 0 || (size_t)t >= LL_ARRAY_LEN(type_names))
        return NULL;
    return type_names[t];
}

int ll_event_type_parse(lotledger_EventType *out, const char *s)
{
    for (size_t i = 1; i < LL_ARRAY_LEN(type_names); i++) {
        if (strcmp(s, type_names[i]) == 0) {
            *out = (lotledger_EventType)i;
            return 0;
        }
    }
    return LL_EINVAL;
}

/* ---- GS1 keys and lot ids ------------------------------------------------ */

static bool is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

bool ll_gs1_check_digit_ok(const char *digits, size_t n)
{
    if (n < 2 || !is_digits(digits, n))
        return false;
    unsigned sum = 0;
    /* Weights 3,1,3,... from the rightmost digit before the check digit. */
    for (size_t i = 0; i + 1 < n; i++) {
        unsigned d = (unsigned)(digits[n - 2 - i] - '0');
        sum += (i % 2 == 0) ? 3 * d : d;
    }
    unsigned check = (10 - sum % 10) % 10;
    return (unsigned)(digits[n - 1] - '0') == check;
}

/* GS1 AI encodable character set 82 (GS1 General Specifications 7.11). */
static bool is_cset82(char c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!\"%&'()*+,-./:;<=>?_", c) != NULL;
}

static int check_gs1_lotid(const char *id, struct ll_errmsg *e)
{
    /* "01/" GTIN-14 "/10/" lot */
    if (strlen(id) < 3 + 14 + 4 + 1 || !is_digits(id + 3, 14) ||
        memcmp(id + 17, "/10/", 4) != 0)
        return ll_errmsg_set(
            e, LL_EINVAL, "lot id '%s': want 01/<14-digit GTIN>/10/<lot>", id);
    if (!ll_gs1_check_digit_ok(id + 3, 14))
        return ll_errmsg_set(e, LL_EINVAL,
                             "lot id '%s': GTIN %.14s has a wrong check digit",
                             id, id + 3);
    const char *lot = id + 21;
    size_t n = strlen(lot);
    if (n > LL_GS1_LOT_MAX)
        return ll_errmsg_set(e, LL_EINVAL,
                             "lot id '%s': batch/lot (AI 10) is %zu "
                             "characters, at most %d",
                             id, n, LL_GS1_LOT_MAX);
    for (size_t i = 0; i < n; i++)
        if (!is_cset82(lot[i]))
            return ll_errmsg_set(e, LL_EINVAL,
                                 "lot id '%s': character %zu of the lot is "
                                 "not in GS1 character set 82",
                                 id, i + 1);
    return 0;
}

static int check_tlc_lotid(const char *id, struct ll_errmsg *e)
{
    /* "tlc/gln/<13 digits>/<code>" or "tlc/fda/<1..11 digits>/<code>" */
    const char *src = id + 4;
    bool gln = strncmp(src, "gln/", 4) == 0;
    bool fda = strncmp(src, "fda/", 4) == 0;
    if (!gln && !fda)
        return ll_errmsg_set(e, LL_EINVAL,
                             "lot id '%s': source must be gln/ or fda/", id);
    const char *num = src + 4;
    const char *slash = strchr(num, '/');
    size_t nlen = slash ? (size_t)(slash - num) : 0;
    if (slash == NULL || !is_digits(num, nlen) || (gln && nlen != 13) ||
        (fda && nlen > 11))
        return ll_errmsg_set(e, LL_EINVAL,
                             "lot id '%s': source number must be a 13-digit "
                             "GLN or an FDA registration number of 1-11 "
                             "digits",
                             id);
    if (gln && !ll_gs1_check_digit_ok(num, 13))
        return ll_errmsg_set(e, LL_EINVAL,
                             "lot id '%s': GLN %.13s has a wrong check digit",
                             id, num);
    const char *code = slash + 1;
    size_t clen = strlen(code);
    if (clen == 0 || clen > LL_TLC_CODE_MAX)
        return ll_errmsg_set(e, LL_EINVAL,
                             "lot id '%s': lot code must be 1-%d characters",
                             id, LL_TLC_CODE_MAX);
    for (size_t i = 0; i < clen; i++)
        if (code[i] <= ' ' || code[i] > '~')
            return ll_errmsg_set(e, LL_EINVAL,
                                 "lot id '%s': lot code character %zu is not "
                                 "printable ASCII",
                                 id, i + 1);
    return 0;
}

int ll_lotid_check(const char *id, struct ll_errmsg *e)
{
    if (strlen(id) > LL_LOTID_MAX)
        return ll_errmsg_set(e, LL_EINVAL, "lot id longer than %d bytes",
                             LL_LOTID_MAX);
    if (strncmp(id, "01/", 3) == 0)
        return check_gs1_lotid(id, e);
    if (strncmp(id, "tlc/", 4) == 0)
        return check_tlc_lotid(id, e);
    return ll_errmsg_set(e, LL_EINVAL,
                         "lot id '%s': must start with 01/ (GS1) or tlc/", id);
}

/* ---- field rules -----------------------------------------------------------
 */

/*
 * Text fields: valid UTF-8 without control characters. Returns true if ok.
 */
static bool text_ok(const char *s)
{
    const uint8_t *p = (const uint8_t *)s;
    while (*p != 0) {
        uint8_t c = *p;
        size_t extra;
        uint32_t cp;
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
            cp = c & 0x1fu;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            cp = c & 0x0fu;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            cp = c & 0x07u;
        } else {
            return false;
        }
        for (size_t i = 1; i <= extra; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3fu);
        }
        /* Overlong forms, surrogates and values past U+10FFFF. */
        if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        p += extra + 1;
    }
    return true;
}

bool ll_id_is_valid(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (i > 0 && (c == '.' || c == '_' || c == '-'));
        if (!ok)
            return false;
    }
    return true;
}

/* UN/CEFACT Rec. 20 unit code: ^[A-Z0-9]{2,3}$. */
static bool uom_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 3)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

/* YYYYMMDD with a real calendar day; 0 means absent. */
static bool date_ok(uint32_t d)
{
    static const uint8_t mdays[] = {31, 29, 31, 30, 31, 30,
                                    31, 31, 30, 31, 30, 31};
    if (d == 0)
        return true;
    uint32_t y = d / 10000;
    uint32_t m = d / 100 % 100;
    uint32_t day = d % 100;
    if (y < 1900 || y > 2199 || m < 1 || m > 12 || day < 1 ||
        day > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && day == 29 && !leap);
}

/* Key/value KDE keys: [a-z0-9_]+. */
static bool kde_key_ok(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* Check one list of lot quantities; qty_rule: 1 = > 0, 0 = must be 0. */
static int check_lots(const lotledger_LotQuantity *lots, size_t n,
                      const char *field, int qty_rule, struct ll_errmsg *e)
{
    for (size_t i = 0; i < n; i++) {
        const lotledger_LotQuantity *q = &lots[i];
        int rc = ll_lotid_check(q->lot, e);
        if (rc)
            return rc;
        if (qty_rule == 1 && (q->quantity == 0 || !uom_ok(q->uom)))
            return ll_errmsg_set(e, LL_EINVAL,
                                 "%s[%zu] (%s): needs a quantity > 0 and a "
                                 "unit code like KGM",
                                 field, i, q->lot);
        if (qty_rule == 0 && (q->quantity != 0 || q->uom[0] != '\0'))
            return ll_errmsg_set(e, LL_EINVAL,
                                 "%s[%zu] (%s): this event acts on the whole "
                                 "lot; quantity and unit must be empty",
                                 field, i, q->lot);
        if (qty_rule == 2 && q->uom[0] != '\0' && !uom_ok(q->uom))
            return ll_errmsg_set(e, LL_EINVAL,
                                 "%s[%zu] (%s): bad unit code '%s'", field, i,
                                 q->lot, q->uom);
        for (size_t j = 0; j < i; j++)
            if (strcmp(lots[j].lot, q->lot) == 0)
                return ll_errmsg_set(e, LL_EINVAL, "%s: lot %s is listed twice",
                                     field, q->lot);
    }
    return 0;
}

/* Rules common to every event type. */
static int check_common(const lotledger_Event *ev, const char *chain_id,
                        struct ll_errmsg *e)
{
    if (ev->version != LL_EVENT_VERSION)
        return ll_errmsg_set(e, LL_EINVAL, "version: %u, want %d",
                             (unsigned)ev->version, LL_EVENT_VERSION);
    if (strcmp(ev->chain_id, chain_id) != 0)
        return ll_errmsg_set(e, LL_EINVAL,
                             "chain_id: '%s' is not this network's ('%s')",
                             ev->chain_id, chain_id);
    if (ll_event_type_name(ev->type) == NULL)
        return ll_errmsg_set(e, LL_EINVAL, "type: unknown event type %d",
                             (int)ev->type);
    if (ev->event_time <= 0)
        return ll_errmsg_set(e, LL_EINVAL, "event_time: missing");
    if (ev->tz_offset < -14 * 60 || ev->tz_offset > 14 * 60)
        return ll_errmsg_set(e, LL_EINVAL,
                             "tz_offset: %d minutes is outside +-14:00",
                             (int)ev->tz_offset);
    if (!ll_id_is_valid(ev->org, 64))
        return ll_errmsg_set(e, LL_EINVAL,
                             "org: '%s' is not an organisation id "
                             "([a-z0-9][a-z0-9._-]*, at most 64)",
                             ev->org);
    if (ev->key_id.size != LL_KEYID_LEN)
        return ll_errmsg_set(e, LL_EINVAL, "key_id: must be %d bytes",
                             LL_KEYID_LEN);
    if (ev->biz_step[0] != '\0' && !ll_cbv_is_bizstep(ev->biz_step))
        return ll_errmsg_set(e, LL_EINVAL,
                             "biz_step: '%s' is not a CBV 2.0 bizStep",
                             ev->biz_step);
    if (ev->disposition[0] != '\0' && !ll_cbv_is_disposition(ev->disposition))
        return ll_errmsg_set(e, LL_EINVAL,
                             "disposition: '%s' is not a CBV 2.0 disposition",
                             ev->disposition);
    if (ev->fsma_cte[0] != '\0' &&
        !in_list(ev->fsma_cte, fsma_ctes, LL_ARRAY_LEN(fsma_ctes)))
        return ll_errmsg_set(e, LL_EINVAL,
                             "fsma_cte: '%s' is not an FSMA 204 critical "
                             "tracking event",
                             ev->fsma_cte);
    if (!text_ok(ev->location) || !text_ok(ev->reason))
        return ll_errmsg_set(e, LL_EINVAL,
                             "location/reason: not UTF-8 text without "
                             "control characters");
    if (strlen(ev->location) == 13 && is_digits(ev->location, 13) &&
        !ll_gs1_check_digit_ok(ev->location, 13))
        return ll_errmsg_set(e, LL_EINVAL,
                             "location: GLN %s has a wrong check digit",
                             ev->location);
    return 0;
}

static int check_docs_kdes(const lotledger_Event *ev, struct ll_errmsg *e)
{
    for (size_t i = 0; i < ev->docs_count; i++) {
        const lotledger_BizDocument *d = &ev->docs[i];
        if (!in_list(d->type, doc_types, LL_ARRAY_LEN(doc_types)))
            return ll_errmsg_set(e, LL_EINVAL,
                                 "docs[%zu]: '%s' is not a CBV business "
                                 "transaction type (po, bol, inv, desadv, "
                                 "...)",
                                 i, d->type);
        if (d->number[0] == '\0' || !text_ok(d->number))
            return ll_errmsg_set(e, LL_EINVAL,
                                 "docs[%zu]: a document number is required", i);
    }
    for (size_t i = 0; i < ev->kdes_count; i++) {
        const lotledger_Kde *k = &ev->kdes[i];
        if (!kde_key_ok(k->key) || k->value[0] == '\0' || !text_ok(k->value))
            return ll_errmsg_set(e, LL_EINVAL,
                                 "kdes[%zu]: key must be [a-z0-9_]+ and the "
                                 "value non-empty text",
                                 i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(ev->kdes[j].key, k->key) == 0)
                return ll_errmsg_set(e, LL_EINVAL,
                                     "kdes: key '%s' appears twice", k->key);
    }
    return 0;
}

static int check_master_sensors(const lotledger_Event *ev, struct ll_errmsg *e)
{
    const lotledger_LotMaster *m = &ev->master;
    if (ev->has_master) {
        if (!text_ok(m->product))
            return ll_errmsg_set(e, LL_EINVAL, "master.product: not text");
        if (!date_ok(m->expiry) || !date_ok(m->best_before) ||
            !date_ok(m->production_date) || !date_ok(m->harvest_date))
            return ll_errmsg_set(e, LL_EINVAL,
                                 "master: dates must be real YYYYMMDD days");
        if (m->country[0] != '\0' &&
            (strlen(m->country) != 2 || m->country[0] < 'A' ||
             m->country[0] > 'Z' || m->country[1] < 'A' || m->country[1] > 'Z'))
            return ll_errmsg_set(e, LL_EINVAL,
                                 "master.country: '%s' is not an ISO 3166 "
                                 "alpha-2 code",
                                 m->country);
    }
    for (size_t i = 0; i < ev->sensors_count; i++) {
        const lotledger_SensorReport *s = &ev->sensors[i];
        if (s->type[0] == '\0' || !text_ok(s->type) || !text_ok(s->device) ||
            !uom_ok(s->uom) || s->time < 0)
            return ll_errmsg_set(e, LL_EINVAL,
                                 "sensors[%zu]: needs a type, a unit code "
                                 "and a time",
                                 i);
        if (s->has_min && s->has_max && s->min > s->max)
            return ll_errmsg_set(e, LL_EINVAL, "sensors[%zu]: min > max", i);
    }
    return 0;
}

/* What each type needs. */
struct type_rule {
    int8_t lots;       /* -1 forbidden, 0 optional, 1 at least one */
    int8_t qty;        /* for lots: 1 > 0, 0 must be 0, 2 optional */
    bool outputs;      /* outputs required (else forbidden) */
    bool counterparty; /* required (else forbidden) */
    bool ref;          /* 32-byte ref required (else forbidden) */
    bool reason;       /* reason required */
    bool master;       /* lot master data allowed */
};

static const struct type_rule rules[] = {
    [lotledger_EventType_COMMISSION] = {1, 1, false, false, false, false, true},
    [lotledger_EventType_SHIP] = {1, 1, false, true, false, false, false},
    [lotledger_EventType_RECEIVE] = {1, 1, false, false, true, false, false},
    [lotledger_EventType_TRANSFORM] = {1, 1, true, false, false, false, true},
    [lotledger_EventType_OBSERVE] = {1, 2, false, false, false, false, false},
    [lotledger_EventType_HOLD] = {1, 0, false, false, false, true, false},
    [lotledger_EventType_RELEASE] = {1, 0, false, false, false, false, false},
    [lotledger_EventType_RECALL] = {1, 0, false, false, false, true, false},
    [lotledger_EventType_DISPOSE] = {1, 1, false, false, false, true, false},
    [lotledger_EventType_CORRECT] = {-1, 0, false, false, true, true, false},
};

/* Lots and outputs as the type requires. */
static int check_type_lots(const lotledger_Event *ev, const struct type_rule *r,
                           const char *t, struct ll_errmsg *e)
{
    if (r->lots == 1 && ev->lots_count == 0)
        return ll_errmsg_set(e, LL_EINVAL, "%s: needs at least one lot", t);
    if (r->lots == -1 && ev->lots_count > 0)
        return ll_errmsg_set(e, LL_EINVAL, "%s: takes no lots", t);
    int rc = check_lots(ev->lots, ev->lots_count, "lots", r->qty, e);
    if (rc)
        return rc;
    if (r->outputs != (ev->outputs_count > 0))
        return ll_errmsg_set(e, LL_EINVAL,
                             r->outputs ? "%s: needs at least one output lot"
                                        : "%s: only transform has outputs",
                             t);
    rc = check_lots(ev->outputs, ev->outputs_count, "outputs", 1, e);
    if (rc)
        return rc;
    for (size_t i = 0; i < ev->outputs_count; i++) {
        for (size_t j = 0; j < ev->lots_count; j++) {
            if (strcmp(ev->outputs[i].lot, ev->lots[j].lot) == 0)
                return ll_errmsg_set(e, LL_EINVAL,
                                     "transform: lot %s is both input and "
                                     "output",
                                     ev->lots[j].lot);
        }
    }
    return 0;
}

/* Counterparty, reference, reason and master data as the type requires. */
static int check_type_fields(const lotledger_Event *ev,
                             const struct type_rule *r, const char *t,
                             struct ll_errmsg *e)
{
    bool has_cp = ev->counterparty[0] != '\0';
    if (r->counterparty && !has_cp)
        return ll_errmsg_set(e, LL_EINVAL,
                             "%s: needs a counterparty (the receiving "
                             "organisation)",
                             t);
    if (!r->counterparty && has_cp)
        return ll_errmsg_set(e, LL_EINVAL, "%s: takes no counterparty", t);
    if (has_cp && (!ll_id_is_valid(ev->counterparty, 64) ||
                   strcmp(ev->counterparty, ev->org) == 0))
        return ll_errmsg_set(e, LL_EINVAL,
                             "ship: counterparty '%s' must be another "
                             "organisation's id",
                             ev->counterparty);
    if (r->ref && ev->ref.size != LL_EVENT_ID_LEN)
        return ll_errmsg_set(e, LL_EINVAL,
                             "%s: needs ref, the 32-byte id of the event it "
                             "refers to",
                             t);
    if (!r->ref && ev->ref.size != 0)
        return ll_errmsg_set(e, LL_EINVAL, "%s: takes no ref", t);
    if (r->reason && ev->reason[0] == '\0')
        return ll_errmsg_set(e, LL_EINVAL, "%s: needs a reason", t);
    if (!r->master && ev->has_master)
        return ll_errmsg_set(e, LL_EINVAL,
                             "%s: lot master data belongs on commission or "
                             "transform",
                             t);
    return 0;
}

int ll_event_check(const lotledger_Event *ev, const char *chain_id,
                   struct ll_errmsg *e)
{
    int rc = check_common(ev, chain_id, e);
    if (rc)
        return rc;
    const struct type_rule *r = &rules[ev->type];
    const char *t = ll_event_type_name(ev->type);
    rc = check_type_lots(ev, r, t, e);
    if (rc == 0)
        rc = check_type_fields(ev, r, t, e);
    if (rc == 0)
        rc = check_docs_kdes(ev, e);
    if (rc == 0)
        rc = check_master_sensors(ev, e);
    return rc;
}
