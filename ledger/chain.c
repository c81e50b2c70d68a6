/* SPDX-License-Identifier: MIT */
/*
 * Genesis, validator sets, block headers and commits. The genesis file is
 * JSON (jansson, strict: duplicate keys, unknown fields and wrong types are
 * errors); everything that is hashed or signed is a fixed binary layout
 * defined here and in docs/chain.md, never the JSON text.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "event.h"
#include "internal.h"

/* ---- genesis ---------------------------------------------------------------
 */

/* Reject any key of obj not in the NULL-terminated list allowed. */
static int check_keys(json_t *obj, const char *const *allowed,
                      const char *where, struct ll_errmsg *e)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        bool known = false;
        for (size_t i = 0; allowed[i] != NULL; i++)
            known = known || strcmp(k, allowed[i]) == 0;
        if (!known)
            return ll_errmsg_set(e, LL_EDECODE, "%s: unknown field '%s'", where,
                                 k);
    }
    return 0;
}

/* A required string member; NULL if absent or not a string. */
static const char *get_str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int parse_roles(lotledger_OrgState *o, json_t *roles,
                       struct ll_errmsg *e)
{
    size_t i;
    json_t *r;
    if (!json_is_array(roles) || json_array_size(roles) == 0)
        return ll_errmsg_set(e, LL_EDECODE,
                             "org %s: roles must be a non-empty array", o->id);
    json_array_foreach(roles, i, r)
    {
        const char *s = json_is_string(r) ? json_string_value(r) : "";
        uint32_t bit = 0;
        if (strcmp(s, "member") == 0)
            bit = LL_ROLE_MEMBER;
        else if (strcmp(s, "validator") == 0)
            bit = LL_ROLE_VALIDATOR;
        else if (strcmp(s, "regulator") == 0)
            bit = LL_ROLE_REGULATOR;
        if (bit == 0 || (o->roles & bit) != 0)
            return ll_errmsg_set(e, LL_EINVAL,
                                 "org %s: role '%s' is unknown or repeated "
                                 "(member, validator, regulator)",
                                 o->id, s);
        o->roles |= bit;
    }
    return 0;
}

static int parse_keys(lotledger_OrgState *o, json_t *keys, struct ll_errmsg *e)
{
    size_t i;
    json_t *k;
    if (!json_is_array(keys) || json_array_size(keys) == 0 ||
        json_array_size(keys) > LL_ARRAY_LEN(o->keys))
        return ll_errmsg_set(e, LL_EDECODE,
                             "org %s: keys must be an array of 1-%zu hex "
                             "public keys",
                             o->id, LL_ARRAY_LEN(o->keys));
    json_array_foreach(keys, i, k)
    {
        const char *hex = json_is_string(k) ? json_string_value(k) : "";
        lotledger_OrgKey *ok = &o->keys[i];
        struct ll_pubkey parsed;
        if (ll_hex_decode(ok->pk.bytes, 32, hex, strlen(hex)) != 0 ||
            ll_pubkey_parse(&parsed, ok->pk.bytes) != 0)
            return ll_errmsg_set(e, LL_EINVAL,
                                 "org %s: keys[%zu] is not a 64-hex-digit "
                                 "BIP-340 public key",
                                 o->id, i);
        ok->pk.size = 32;
        o->keys_count = (pb_size_t)(i + 1);
    }
    return 0;
}

static int parse_power(lotledger_OrgState *o, json_t *power,
                       struct ll_errmsg *e)
{
    bool validator = (o->roles & LL_ROLE_VALIDATOR) != 0;
    if (power == NULL && !validator)
        return 0;
    if (!validator)
        return ll_errmsg_set(e, LL_EINVAL,
                             "org %s: power is only for validators", o->id);
    if (!json_is_integer(power) || json_integer_value(power) <= 0 ||
        json_integer_value(power) > 1000000000)
        return ll_errmsg_set(e, LL_EINVAL,
                             "org %s: a validator needs power 1..10^9", o->id);
    o->power = (uint64_t)json_integer_value(power);
    return 0;
}

static int parse_org(lotledger_OrgState *o, json_t *j, size_t idx,
                     struct ll_errmsg *e)
{
    static const char *const fields[] = {"id",    "name",  "gln",       "keys",
                                         "roles", "power", "noise_key", NULL};
    char where[32];
    (void)snprintf(where, sizeof(where), "orgs[%zu]", idx);
    if (!json_is_object(j))
        return ll_errmsg_set(e, LL_EDECODE, "%s: not an object", where);
    int rc = check_keys(j, fields, where, e);
    if (rc)
        return rc;
    const char *id = get_str(j, "id");
    const char *name = get_str(j, "name");
    const char *gln = get_str(j, "gln");
    if (id == NULL || !ll_id_is_valid(id, sizeof(o->id) - 1))
        return ll_errmsg_set(e, LL_EINVAL,
                             "%s: id must be [a-z0-9][a-z0-9._-]*, at most "
                             "64",
                             where);
    (void)snprintf(o->id, sizeof(o->id), "%s", id);
    if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof(o->name))
        return ll_errmsg_set(e, LL_EINVAL, "org %s: name must be 1-%zu bytes",
                             id, sizeof(o->name) - 1);
    (void)snprintf(o->name, sizeof(o->name), "%s", name);
    if (json_object_get(j, "gln") != NULL) {
        if (gln == NULL || strlen(gln) != 13 || !ll_gs1_check_digit_ok(gln, 13))
            return ll_errmsg_set(e, LL_EINVAL,
                                 "org %s: gln must be 13 digits with a valid "
                                 "check digit",
                                 id);
        (void)snprintf(o->gln, sizeof(o->gln), "%s", gln);
    }
    rc = parse_roles(o, json_object_get(j, "roles"), e);
    if (rc == 0)
        rc = parse_keys(o, json_object_get(j, "keys"), e);
    if (rc == 0)
        rc = parse_power(o, json_object_get(j, "power"), e);
    if (rc == 0 && json_object_get(j, "noise_key") != NULL) {
        const char *nk = get_str(j, "noise_key");
        if (nk == NULL ||
            ll_hex_decode(o->noise_key.bytes, 32, nk, strlen(nk)) != 0)
            return ll_errmsg_set(e, LL_EINVAL,
                                 "org %s: noise_key must be 64 hex digits", id);
        o->noise_key.size = 32;
    }
    return rc;
}

static int cmp_org(const void *a, const void *b)
{
    const lotledger_OrgState *x = a;
    const lotledger_OrgState *y = b;
    return strcmp(x->id, y->id);
}

/* Cross-org rules: unique ids and keys, at least one validator. */
static int check_orgs(const struct ll_genesis *g, struct ll_errmsg *e)
{
    bool validator = false;
    for (size_t i = 0; i < g->norgs; i++) {
        const lotledger_OrgState *o = &g->orgs[i];
        validator = validator || (o->roles & LL_ROLE_VALIDATOR) != 0;
        if (i > 0 && strcmp(g->orgs[i - 1].id, o->id) == 0)
            return ll_errmsg_set(e, LL_EINVAL, "org %s: listed twice", o->id);
        for (size_t k = 0; k < o->keys_count; k++) {
            for (size_t j = 0; j <= i; j++) {
                const lotledger_OrgState *p = &g->orgs[j];
                size_t end = j == i ? k : p->keys_count;
                for (size_t m = 0; m < end; m++)
                    if (memcmp(p->keys[m].pk.bytes, o->keys[k].pk.bytes, 32) ==
                        0)
                        return ll_errmsg_set(e, LL_EINVAL,
                                             "org %s: a key is also listed "
                                             "for %s",
                                             o->id, p->id);
            }
        }
    }
    if (!validator)
        return ll_errmsg_set(e, LL_EINVAL,
                             "genesis: at least one org needs the validator "
                             "role");
    return 0;
}

static void put_str(struct ll_sha256 *st, const char *s)
{
    uint8_t len[4];
    ll_store_be32(len, (uint32_t)strlen(s));
    ll_sha256_update(st, len, 4);
    ll_sha256_update(st, s, strlen(s));
}

/* The genesis hash over the canonical binary form (docs/chain.md). */
static int genesis_hash(struct ll_genesis *g)
{
    struct ll_sha256 st;
    uint8_t b[8];
    struct ll_buf enc;
    int rc = 0;
    ll_tagged_init(&st, LL_TAG_GENESIS);
    put_str(&st, g->chain_id);
    ll_store_be64(b, (uint64_t)g->time_ms);
    ll_sha256_update(&st, b, 8);
    ll_store_be32(b, (uint32_t)g->norgs);
    ll_sha256_update(&st, b, 4);
    ll_buf_init(&enc, lotledger_OrgState_size);
    for (size_t i = 0; i < g->norgs && rc == 0; i++) {
        ll_buf_reset(&enc);
        rc = ll_ledger__pb_encode(&enc, lotledger_OrgState_fields, &g->orgs[i],
                                  lotledger_OrgState_size);
        if (rc)
            break;
        ll_store_be32(b, (uint32_t)enc.len);
        ll_sha256_update(&st, b, 4);
        ll_sha256_update(&st, enc.data, enc.len);
    }
    ll_buf_free(&enc);
    if (rc == 0)
        ll_sha256_final(&st, g->hash);
    return rc;
}

static int parse_top(struct ll_genesis *g, json_t *root, struct ll_errmsg *e)
{
    static const char *const fields[] = {"chain_id", "genesis_time", "orgs",
                                         NULL};
    if (!json_is_object(root))
        return ll_errmsg_set(e, LL_EDECODE, "genesis: not a JSON object");
    int rc = check_keys(root, fields, "genesis", e);
    if (rc)
        return rc;
    const char *cid = get_str(root, "chain_id");
    if (cid == NULL || !ll_id_is_valid(cid, LL_CHAIN_ID_MAX))
        return ll_errmsg_set(e, LL_EINVAL,
                             "genesis: chain_id must be [a-z0-9][a-z0-9._-]*, "
                             "at most %d",
                             LL_CHAIN_ID_MAX);
    (void)snprintf(g->chain_id, sizeof(g->chain_id), "%s", cid);
    const char *t = get_str(root, "genesis_time");
    if (t == NULL || ll_time_parse(&g->time_ms, NULL, t) != 0)
        return ll_errmsg_set(e, LL_EINVAL,
                             "genesis: genesis_time must be an RFC 3339 "
                             "timestamp");
    json_t *orgs = json_object_get(root, "orgs");
    if (!json_is_array(orgs) || json_array_size(orgs) == 0)
        return ll_errmsg_set(e, LL_EDECODE,
                             "genesis: orgs must be a non-empty array");
    if (json_array_size(orgs) > LL_MAX_ORGS)
        return ll_errmsg_set(e, LL_ETOOBIG, "genesis: more than %d orgs",
                             LL_MAX_ORGS);
    size_t i;
    json_t *o;
    json_array_foreach(orgs, i, o)
    {
        rc = parse_org(&g->orgs[i], o, i, e);
        if (rc)
            return rc;
        g->norgs = i + 1;
    }
    qsort(g->orgs, g->norgs, sizeof(g->orgs[0]), cmp_org);
    return check_orgs(g, e);
}

int ll_genesis_parse(struct ll_genesis *g, const char *json, size_t len,
                     struct ll_errmsg *e)
{
    json_error_t jerr;
    if (len > LL_GENESIS_MAX)
        return ll_errmsg_set(e, LL_ETOOBIG, "genesis: larger than %u bytes",
                             LL_GENESIS_MAX);
    struct ll_genesis *tmp = ll_calloc(1, sizeof(*tmp));
    if (tmp == NULL)
        return ll_errmsg_set(e, LL_ENOMEM, "genesis: out of memory");
    /* As in ll_json_load: jansson hides or misnames its allocation
     * failures, so any failure during the parse is out of memory. */
    uint64_t failures = ll_alloc_failures();
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    int rc;
    if (ll_alloc_failures() != failures ||
        (root == NULL && json_error_code(&jerr) == json_error_out_of_memory)) {
        json_decref(root);
        rc = ll_errmsg_set(e, LL_ENOMEM, "genesis: out of memory");
        goto out;
    }
    if (root == NULL) {
        rc = ll_errmsg_set(e, LL_EDECODE, "genesis: line %d: %s", jerr.line,
                           jerr.text);
        goto out;
    }
    rc = parse_top(tmp, root, e);
    if (rc == 0)
        rc = genesis_hash(tmp);
    if (rc == LL_ENOMEM) /* the hash names nothing */
        rc = ll_errmsg_set(e, rc, "genesis: out of memory");
    if (rc == 0)
        memcpy(g, tmp, sizeof(*g));
    json_decref(root);
out:
    ll_free(tmp);
    return rc;
}

/* One organisation as a JSON object (NULL on allocation failure). */
static json_t *org_to_json(const lotledger_OrgState *o)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } roles[] = {{LL_ROLE_MEMBER, "member"},
                 {LL_ROLE_VALIDATOR, "validator"},
                 {LL_ROLE_REGULATOR, "regulator"}};
    char hex[65];
    json_t *j = json_object();
    json_t *keys = json_array();
    json_t *jr = json_array();
    if (j == NULL || keys == NULL || jr == NULL)
        goto fail;
    for (size_t k = 0; k < o->keys_count; k++) {
        if (ll_hex_encode(hex, sizeof(hex), o->keys[k].pk.bytes, 32) != 0 ||
            json_array_append_new(keys, json_string(hex)) != 0)
            goto fail;
    }
    for (size_t r = 0; r < LL_ARRAY_LEN(roles); r++)
        if ((o->roles & roles[r].bit) != 0 &&
            json_array_append_new(jr, json_string(roles[r].name)) != 0)
            goto fail;
    int bad = json_object_set_new(j, "id", json_string(o->id));
    bad |= json_object_set_new(j, "name", json_string(o->name));
    if (o->gln[0] != '\0')
        bad |= json_object_set_new(j, "gln", json_string(o->gln));
    bad |= json_object_set_new(j, "keys", keys);
    keys = NULL;
    bad |= json_object_set_new(j, "roles", jr);
    jr = NULL;
    if (o->roles & LL_ROLE_VALIDATOR)
        bad |=
            json_object_set_new(j, "power", json_integer((json_int_t)o->power));
    if (o->noise_key.size == 32) {
        if (ll_hex_encode(hex, sizeof(hex), o->noise_key.bytes, 32) != 0)
            goto fail;
        bad |= json_object_set_new(j, "noise_key", json_string(hex));
    }
    if (bad)
        goto fail;
    return j;
fail:
    json_decref(keys);
    json_decref(jr);
    json_decref(j);
    return NULL;
}

int ll_genesis_to_json(struct ll_buf *out, const struct ll_genesis *g)
{
    char t[40];
    int rc = LL_ENOMEM;
    json_t *root = json_object();
    json_t *orgs = json_array();
    char *text = NULL;
    if (root == NULL || orgs == NULL)
        goto out;
    if (ll_time_format(t, sizeof(t), g->time_ms, 0) != 0) {
        rc = LL_EINVAL;
        goto out;
    }
    for (size_t i = 0; i < g->norgs; i++)
        if (json_array_append_new(orgs, org_to_json(&g->orgs[i])) != 0)
            goto out;
    if (json_object_set_new(root, "chain_id", json_string(g->chain_id)) ||
        json_object_set_new(root, "genesis_time", json_string(t)))
        goto out;
    if (json_object_set_new(root, "orgs", orgs) != 0) {
        orgs = NULL;
        goto out;
    }
    orgs = NULL;
    size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER;
    size_t need = json_dumpb(root, NULL, 0, flags);
    if (need == 0)
        goto out;
    text = ll_malloc(need);
    if (text == NULL || json_dumpb(root, text, need, flags) != need)
        goto out;
    rc = ll_buf_append(out, text, need);
    if (rc == 0)
        rc = ll_buf_append_byte(out, '\n');
    if (rc == 0)
        rc = ll_buf_cstr(out);
out:
    ll_free(text);
    json_decref(orgs);
    json_decref(root);
    return rc;
}

int ll_genesis_load(struct ll_genesis *g, const char *path, struct ll_errmsg *e)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return ll_errmsg_set(e, LL_EIO, "genesis: cannot open %s", path);
    struct ll_buf b;
    ll_buf_init(&b, LL_GENESIS_MAX);
    uint8_t chunk[4096];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = ll_buf_append(&b, chunk, n);
    if (rc == 0 && ferror(f))
        rc = LL_EIO;
    (void)fclose(f);
    if (rc) {
        ll_buf_free(&b);
        return ll_errmsg_set(e, rc, "genesis: cannot read %s: %s", path,
                             ll_strerror(rc));
    }
    rc = ll_genesis_parse(g, b.data ? (const char *)b.data : "", b.len, e);
    ll_buf_free(&b);
    return rc;
}

const lotledger_OrgState *ll_genesis_org(const struct ll_genesis *g,
                                         const char *id)
{
    /* orgs are sorted by id */
    size_t lo = 0;
    size_t hi = g->norgs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g->orgs[mid].id, id);
        if (c == 0)
            return &g->orgs[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- validator sets -------------------------------------------------------
 */

static int cmp_validator(const void *a, const void *b)
{
    const struct ll_validator *x = a;
    const struct ll_validator *y = b;
    return memcmp(x->pk, y->pk, LL_PUBKEY_LEN);
}

static void valset_hash(struct ll_valset *vs)
{
    struct ll_sha256 st;
    uint8_t b[8];
    ll_tagged_init(&st, LL_TAG_VALSET);
    ll_store_be32(b, (uint32_t)vs->n);
    ll_sha256_update(&st, b, 4);
    for (size_t i = 0; i < vs->n; i++) {
        ll_sha256_update(&st, vs->v[i].pk, LL_PUBKEY_LEN);
        ll_store_be64(b, vs->v[i].power);
        ll_sha256_update(&st, b, 8);
    }
    ll_sha256_final(&st, vs->hash);
}

int ll_valset_from_genesis(struct ll_valset *out, const struct ll_genesis *g)
{
    struct ll_valset vs;
    memset(&vs, 0, sizeof(vs));
    for (size_t i = 0; i < g->norgs; i++) {
        const lotledger_OrgState *o = &g->orgs[i];
        if ((o->roles & LL_ROLE_VALIDATOR) == 0)
            continue;
        if (vs.n == LL_MAX_VALIDATORS || o->keys_count == 0 || o->power == 0)
            return LL_EINVAL;
        memcpy(vs.v[vs.n].pk, o->keys[0].pk.bytes, LL_PUBKEY_LEN);
        vs.v[vs.n].power = o->power;
        if (vs.total > UINT64_MAX / 4 - o->power)
            return LL_EINVAL;
        vs.total += o->power;
        vs.n++;
    }
    if (vs.n == 0)
        return LL_EINVAL;
    qsort(vs.v, vs.n, sizeof(vs.v[0]), cmp_validator);
    valset_hash(&vs);
    *out = vs;
    return 0;
}

/* ---- header ------------------------------------------------------------- */

void ll_header_encode(uint8_t out[static LL_HEADER_LEN],
                      const struct ll_header *h)
{
    uint8_t *p = out;
    ll_store_be32(p, h->version);
    p += 4;
    memcpy(p, h->genesis, 32);
    p += 32;
    ll_store_be64(p, h->height);
    p += 8;
    ll_store_be64(p, (uint64_t)h->time_ms);
    p += 8;
    memcpy(p, h->prev, 32);
    p += 32;
    memcpy(p, h->valset, 32);
    p += 32;
    memcpy(p, h->next_valset, 32);
    p += 32;
    memcpy(p, h->tx_root, 32);
    p += 32;
    memcpy(p, h->state_root, 32);
    p += 32;
    memcpy(p, h->proposer, 32);
    p += 32;
    ll_store_be32(p, h->n_events);
}

int ll_header_decode(struct ll_header *h, const uint8_t *buf, size_t len)
{
    if (buf == NULL || len < LL_HEADER_LEN)
        return LL_ETRUNC;
    if (len > LL_HEADER_LEN)
        return LL_ETRAILING;
    struct ll_header t;
    const uint8_t *p = buf;
    t.version = ll_load_be32(p);
    if (t.version != LL_HEADER_VERSION)
        return LL_EVERSION;
    p += 4;
    memcpy(t.genesis, p, 32);
    p += 32;
    t.height = ll_load_be64(p);
    p += 8;
    t.time_ms = (int64_t)ll_load_be64(p);
    p += 8;
    memcpy(t.prev, p, 32);
    p += 32;
    memcpy(t.valset, p, 32);
    p += 32;
    memcpy(t.next_valset, p, 32);
    p += 32;
    memcpy(t.tx_root, p, 32);
    p += 32;
    memcpy(t.state_root, p, 32);
    p += 32;
    memcpy(t.proposer, p, 32);
    p += 32;
    t.n_events = ll_load_be32(p);
    *h = t;
    return 0;
}

void ll_header_hash(uint8_t out[static 32], const struct ll_header *h)
{
    uint8_t enc[LL_HEADER_LEN];
    ll_header_encode(enc, h);
    ll_tagged_hash(out, LL_TAG_HEADER, enc, sizeof(enc));
}

/* ---- commits ----------------------------------------------------------------
 */

size_t ll_commit_encode(uint8_t *out, size_t cap, const struct ll_commit *c)
{
    size_t need = 2 + c->n * (2 + LL_SIG_LEN);
    if (out == NULL || cap < need || c->n > LL_MAX_VALIDATORS)
        return 0;
    uint8_t *p = out;
    p[0] = (uint8_t)(c->n >> 8);
    p[1] = (uint8_t)c->n;
    p += 2;
    for (size_t i = 0; i < c->n; i++) {
        p[0] = (uint8_t)(c->sigs[i].index >> 8);
        p[1] = (uint8_t)c->sigs[i].index;
        memcpy(p + 2, c->sigs[i].sig, LL_SIG_LEN);
        p += 2 + LL_SIG_LEN;
    }
    return need;
}

int ll_commit_decode(struct ll_commit *c, const uint8_t *buf, size_t len)
{
    if (buf == NULL || len < 2)
        return LL_ETRUNC;
    size_t n = ((size_t)buf[0] << 8) | buf[1];
    if (n > LL_MAX_VALIDATORS)
        return LL_ETOOBIG;
    size_t need = 2 + n * (2 + LL_SIG_LEN);
    if (len < need)
        return LL_ETRUNC;
    if (len > need)
        return LL_ETRAILING;
    struct ll_commit t;
    t.n = n;
    const uint8_t *p = buf + 2;
    for (size_t i = 0; i < n; i++) {
        t.sigs[i].index = (uint16_t)(((unsigned)p[0] << 8) | p[1]);
        if (i > 0 && t.sigs[i].index <= t.sigs[i - 1].index)
            return LL_EDECODE;
        memcpy(t.sigs[i].sig, p + 2, LL_SIG_LEN);
        p += 2 + LL_SIG_LEN;
    }
    memcpy(c, &t, offsetof(struct ll_commit, sigs) + n * sizeof(t.sigs[0]));
    return 0;
}

int ll_commit_sign(struct ll_commit *c, const struct ll_valset *vs,
                   const struct ll_header *h, const struct ll_keypair *kp)
{
    size_t idx = vs->n;
    for (size_t i = 0; i < vs->n; i++)
        if (memcmp(vs->v[i].pk, kp->pk, LL_PUBKEY_LEN) == 0)
            idx = i;
    if (idx == vs->n)
        return LL_ENOTFOUND;
    size_t pos = 0;
    while (pos < c->n && c->sigs[pos].index < idx)
        pos++;
    if (pos < c->n && c->sigs[pos].index == idx)
        return LL_EEXIST;
    uint8_t hh[32];
    uint8_t sig[LL_SIG_LEN];
    ll_header_hash(hh, h);
    int rc = ll_schnorr_sign(sig, kp, hh, NULL);
    if (rc)
        return rc;
    memmove(&c->sigs[pos + 1], &c->sigs[pos],
            (c->n - pos) * sizeof(c->sigs[0]));
    c->sigs[pos].index = (uint16_t)idx;
    memcpy(c->sigs[pos].sig, sig, LL_SIG_LEN);
    c->n++;
    return 0;
}

int ll_commit_verify(const struct ll_header *h, const struct ll_commit *c,
                     const struct ll_valset *vs, struct ll_errmsg *e)
{
    uint8_t hh[32];
    if (memcmp(h->valset, vs->hash, 32) != 0)
        return ll_errmsg_set(e, LL_EVERIFY,
                             "block %llu: header names another validator set",
                             (unsigned long long)h->height);
    ll_header_hash(hh, h);
    uint64_t signed_power = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct ll_commit_sig *s = &c->sigs[i];
        if (s->index >= vs->n || (i > 0 && s->index <= c->sigs[i - 1].index))
            return ll_errmsg_set(e, LL_EVERIFY,
                                 "block %llu: commit signer index %u is out "
                                 "of range or repeated",
                                 (unsigned long long)h->height,
                                 (unsigned)s->index);
        if (ll_schnorr_verify(s->sig, hh, vs->v[s->index].pk) != 0)
            return ll_errmsg_set(e, LL_EBADSIG,
                                 "block %llu: commit signature of validator "
                                 "%u does not verify",
                                 (unsigned long long)h->height,
                                 (unsigned)s->index);
        signed_power += vs->v[s->index].power;
    }
    /* More than 2/3: 3 * signed > 2 * total (total < 2^62, no overflow). */
    if (3 * signed_power <= 2 * vs->total)
        return ll_errmsg_set(e, LL_EPROOF,
                             "block %llu: signers hold %llu of %llu voting "
                             "power, not more than 2/3",
                             (unsigned long long)h->height,
                             (unsigned long long)signed_power,
                             (unsigned long long)vs->total);
    return 0;
}
