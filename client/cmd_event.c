/* SPDX-License-Identifier: MIT */
/*
 * Event authoring: lotledger commission | ship | receive | transform |
 * observe | hold | release | recall | dispose | correct. Each builds one
 * event from its options, signs it locally with the organisation's
 * keystore and submits it to a node (POST /v1/events); the node's answer
 * (accepted, committed, or the rule it breaks) is printed.
 */
#include <jansson.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "client.h"

static const char usage_fmt[] =
    "usage: lotledger %s --org ID --keystore FILE [options]\n"
    "\n"
    "Sign a %s event with the organisation's key and submit it.\n"
    "\n"
    "  --node URL             node to submit to (default "
    "http://127.0.0.1:8080)\n"
    "  --org ID               the acting organisation\n"
    "  --keystore FILE        its key (passphrase: --passphrase-file F or\n"
    "                         LOTLEDGER_PASSPHRASE or the terminal)\n"
    "  --lot LOT[=QTY UOM]    a lot, e.g. '01/00614141777778/10/A1=12.5 KGM'\n"
    "                         (repeat; transform: the inputs; hold, release,\n"
    "                         recall, observe: the lot id alone)\n"
    "  --output LOT=QTY UOM   transform: a new lot (repeat)\n"
    "  --to ORG               ship: the receiving organisation\n"
    "  --ref EVENT_ID         receive: the shipment; correct: the event\n"
    "  --reason TEXT          hold, recall, dispose, correct\n"
    "  --location GLN         where it happened\n"
    "  --time RFC3339         when (default: now)\n"
    "  --biz-step WORD        CBV bizStep (shipping, receiving, ...)\n"
    "  --disposition WORD     CBV disposition\n"
    "  --cte NAME             FSMA 204 CTE (harvesting, cooling, ...)\n"
    "  --product TEXT         lot master data: product description\n"
    "  --expiry YYYYMMDD      lot master data (also --best-before,\n"
    "                         --harvest-date, --country CC)\n"
    "  --kde KEY=VALUE        an FSMA key data element (repeat)\n"
    "  --doc TYPE=NUMBER      a business document, e.g. bol=BOL-1 (repeat)\n"
    "  --temperature C[/MAX]  a temperature reading, alarm if over MAX\n"
    "  --affected LOT         recall: every lot made from LOT (its forward\n"
    "                         trace) that --org originated (repeat)\n"
    "  --wait                 wait until the event is committed\n"
    "  --passphrase-file F\n";

#define MAX_AFFECTED 16

struct eargs {
    const char *node;
    const char *keystore;
    const char *pass_file;
    bool wait;
    const char *affected[MAX_AFFECTED]; /* recall: suspect lots */
    size_t naff;
};

/* "12.5" -> 12500 thousandths. Returns 0 or LL_EINVAL. */
static int parse_qty(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    int frac = -1;
    if (*s == '\0')
        return LL_EINVAL;
    for (; *s != '\0'; s++) {
        if (*s == '.' && frac < 0) {
            frac = 0;
            continue;
        }
        if (*s < '0' || *s > '9' || frac >= 3 || v > UINT64_MAX / 10 - 10)
            return LL_EINVAL;
        v = v * 10 + (uint64_t)(*s - '0');
        if (frac >= 0)
            frac++;
    }
    for (int i = frac < 0 ? 0 : frac; i < 3; i++) {
        if (v > UINT64_MAX / 10)
            return LL_EINVAL;
        v *= 10;
    }
    *out = v;
    return 0;
}

/* "LOT" or "LOT=QTY UOM" into q. */
static int parse_lot(const char *cmd, const char *opt, const char *s,
                     lotledger_LotQuantity *q)
{
    const char *eq = strrchr(s, '=');
    size_t idlen = eq ? (size_t)(eq - s) : strlen(s);
    if (idlen == 0 || idlen >= sizeof(q->lot)) {
        ll_cli_error(cmd, "%s '%s': no lot id", opt, s);
        return LL_EINVAL;
    }
    memcpy(q->lot, s, idlen);
    q->lot[idlen] = '\0';
    if (eq == NULL)
        return 0;
    char qty[32];
    const char *sp = strchr(eq + 1, ' ');
    size_t ql = sp ? (size_t)(sp - eq - 1) : 0;
    if (sp == NULL || ql == 0 || ql >= sizeof(qty) ||
        strlen(sp + 1) >= sizeof(q->uom)) {
        ll_cli_error(cmd,
                     "%s '%s': write LOT=QUANTITY UNIT, e.g. "
                     "'...=12.5 KGM'",
                     opt, s);
        return LL_EINVAL;
    }
    memcpy(qty, eq + 1, ql);
    qty[ql] = '\0';
    if (parse_qty(qty, &q->quantity) != 0) {
        ll_cli_error(cmd,
                     "%s '%s': '%s' is not a quantity (at most 3 "
                     "decimals)",
                     opt, s, qty);
        return LL_EINVAL;
    }
    (void)snprintf(q->uom, sizeof(q->uom), "%s", sp + 1);
    return 0;
}

static int set_text(const char *cmd, const char *opt, char *dst, size_t cap,
                    const char *v)
{
    if (strlen(v) >= cap) {
        ll_cli_error(cmd, "%s: longer than %zu bytes", opt, cap - 1);
        return LL_EINVAL;
    }
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int set_date(const char *cmd, const char *opt, uint32_t *dst,
                    const char *v)
{
    uint64_t d = 0;
    if (strlen(v) != 8 || ll_cli_uint(cmd, opt, v, 19000101, 21991231, &d))
        return LL_EINVAL;
    *dst = (uint32_t)d;
    return 0;
}

static int add_pair(const char *cmd, const char *opt, const char *v, char *k,
                    size_t kcap, char *val, size_t vcap)
{
    const char *eq = strchr(v, '=');
    if (eq == NULL || eq == v || (size_t)(eq - v) >= kcap ||
        strlen(eq + 1) >= vcap || eq[1] == '\0') {
        ll_cli_error(cmd, "%s '%s': write KEY=VALUE", opt, v);
        return LL_EINVAL;
    }
    memcpy(k, v, (size_t)(eq - v));
    k[eq - v] = '\0';
    memcpy(val, eq + 1, strlen(eq + 1) + 1);
    return 0;
}

static int temperature(const char *cmd, lotledger_Event *ev, const char *v)
{
    lotledger_SensorReport *s = &ev->sensors[ev->sensors_count];
    char a[32];
    const char *slash = strchr(v, '/');
    size_t n = slash ? (size_t)(slash - v) : strlen(v);
    bool neg = n > 0 && v[0] == '-';
    uint64_t val = 0;
    uint64_t max = 0;
    if (n == 0 || n >= sizeof(a) ||
        ev->sensors_count == LL_ARRAY_LEN(ev->sensors))
        goto bad;
    memcpy(a, v + neg, n - neg);
    a[n - neg] = '\0';
    if (parse_qty(a, &val) != 0 || val > INT64_MAX ||
        (slash != NULL && parse_qty(slash + 1, &max) != 0) || max > INT64_MAX)
        goto bad;
    (void)snprintf(s->type, sizeof(s->type), "Temperature");
    (void)snprintf(s->uom, sizeof(s->uom), "CEL");
    s->value = neg ? -(int64_t)val : (int64_t)val;
    s->time = ev->event_time;
    if (slash != NULL) {
        s->has_max = true;
        s->max = (int64_t)max;
        s->alarm = s->value > s->max;
    }
    ev->sensors_count++;
    return 0;
bad:
    ll_cli_error(cmd, "--temperature '%s': write CELSIUS or CELSIUS/MAX", v);
    return LL_EINVAL;
}

#define EV_FIELD(f)                                                            \
    offsetof(lotledger_Event, f), sizeof(((lotledger_Event *)0)->f)
#define EV_MASTER(f)                                                           \
    offsetof(lotledger_Event, master) + offsetof(lotledger_LotMaster, f),      \
        sizeof(((lotledger_LotMaster *)0)->f)

/* Options that set one text field of the event. */
static const struct {
    const char *name;
    size_t off;  /* field offset in lotledger_Event */
    size_t cap;  /* field size */
    bool master; /* part of the lot master data */
} texts[] = {
    {"--org", EV_FIELD(org), false},
    {"--to", EV_FIELD(counterparty), false},
    {"--reason", EV_FIELD(reason), false},
    {"--location", EV_FIELD(location), false},
    {"--biz-step", EV_FIELD(biz_step), false},
    {"--disposition", EV_FIELD(disposition), false},
    {"--cte", EV_FIELD(fsma_cte), false},
    {"--product", EV_MASTER(product), true},
    {"--country", EV_MASTER(country), true},
};

/* --lot and --output. */
static int lot_opt(const char *cmd, lotledger_Event *ev, const char *o,
                   const char *v)
{
    bool out = o[2] == 'o';
    pb_size_t *cnt = out ? &ev->outputs_count : &ev->lots_count;
    size_t max = out ? LL_ARRAY_LEN(ev->outputs) : LL_ARRAY_LEN(ev->lots);
    if (*cnt == max) {
        ll_cli_error(cmd, "%s: at most %zu", o, max);
        return LL_EINVAL;
    }
    lotledger_LotQuantity *q = out ? &ev->outputs[*cnt] : &ev->lots[*cnt];
    (*cnt)++;
    return parse_lot(cmd, o, v, q);
}

/* --kde and --doc. */
static int pair_opt(const char *cmd, lotledger_Event *ev, const char *o,
                    const char *v)
{
    if (o[2] == 'k') {
        if (ev->kdes_count == LL_ARRAY_LEN(ev->kdes)) {
            ll_cli_error(cmd, "--kde: at most %zu", LL_ARRAY_LEN(ev->kdes));
            return LL_EINVAL;
        }
        lotledger_Kde *k = &ev->kdes[ev->kdes_count++];
        return add_pair(cmd, o, v, k->key, sizeof(k->key), k->value,
                        sizeof(k->value));
    }
    if (ev->docs_count == LL_ARRAY_LEN(ev->docs)) {
        ll_cli_error(cmd, "--doc: at most %zu", LL_ARRAY_LEN(ev->docs));
        return LL_EINVAL;
    }
    lotledger_BizDocument *d = &ev->docs[ev->docs_count++];
    return add_pair(cmd, o, v, d->type, sizeof(d->type), d->number,
                    sizeof(d->number));
}

/* Options that are neither text fields nor lots; -1 if unknown. */
static int other_opt(const char *cmd, lotledger_Event *ev, const char *o,
                     const char *v)
{
    if (strcmp(o, "--ref") == 0) {
        if (ll_hex_decode(ev->ref.bytes, 32, v, strlen(v)) != 0) {
            ll_cli_error(cmd, "--ref '%s': an event id is 64 hex digits", v);
            return LL_EINVAL;
        }
        ev->ref.size = 32;
        return 0;
    }
    if (strcmp(o, "--time") == 0) {
        if (ll_time_parse(&ev->event_time, &ev->tz_offset, v) != 0) {
            ll_cli_error(cmd, "--time '%s' is not an RFC 3339 timestamp", v);
            return LL_EINVAL;
        }
        return 0;
    }
    if (strcmp(o, "--expiry") == 0 || strcmp(o, "--best-before") == 0 ||
        strcmp(o, "--harvest-date") == 0) {
        ev->has_master = true;
        uint32_t *d = o[2] == 'e'   ? &ev->master.expiry
                      : o[2] == 'b' ? &ev->master.best_before
                                    : &ev->master.harvest_date;
        return set_date(cmd, o, d, v);
    }
    if (strcmp(o, "--temperature") == 0)
        return temperature(cmd, ev, v);
    return -1;
}

/* One option; -1 if unknown. */
static int event_opt(const char *cmd, lotledger_Event *ev, struct eargs *a,
                     const char *o, const char *v)
{
    if (strcmp(o, "--node") == 0) {
        a->node = v;
        return 0;
    }
    if (strcmp(o, "--keystore") == 0) {
        a->keystore = v;
        return 0;
    }
    if (strcmp(o, "--passphrase-file") == 0) {
        a->pass_file = v;
        return 0;
    }
    if (strcmp(o, "--affected") == 0) {
        struct ll_errmsg e = {{0}};
        if (strcmp(cmd, "recall") != 0 || a->naff >= MAX_AFFECTED) {
            ll_cli_error(cmd, "--affected: only for recall, at most %d",
                         MAX_AFFECTED);
            return LL_EINVAL;
        }
        if (ll_lotid_check(v, &e) != 0) {
            ll_cli_error(cmd, "--affected: %s", e.text);
            return LL_EINVAL;
        }
        a->affected[a->naff++] = v;
        return 0;
    }
    for (size_t i = 0; i < LL_ARRAY_LEN(texts); i++) {
        if (strcmp(o, texts[i].name) != 0)
            continue;
        ev->has_master = ev->has_master || texts[i].master;
        return set_text(cmd, o, (char *)ev + texts[i].off, texts[i].cap, v);
    }
    if (strcmp(o, "--lot") == 0 || strcmp(o, "--output") == 0)
        return lot_opt(cmd, ev, o, v);
    if (strcmp(o, "--kde") == 0 || strcmp(o, "--doc") == 0)
        return pair_opt(cmd, ev, o, v);
    return other_opt(cmd, ev, o, v);
}

/* Read the node's chain id into ev (events name their network). */
static int fetch_chain(const char *cmd, const char *node, lotledger_Event *ev)
{
    char url[600];
    struct ll_buf resp;
    long status = 0;
    struct ll_errmsg e = {{0}};
    ll_buf_init(&resp, 1 << 16);
    (void)snprintf(url, sizeof(url), "%s/v1/status", node);
    int rc = ll_cli_http("GET", url, NULL, NULL, 0, &status, &resp, &e);
    const char *p = rc == 0 && status == 200
                        ? strstr((const char *)resp.data, "\"chain_id\":\"")
                        : NULL;
    if (p == NULL) {
        ll_cli_error(cmd, "cannot reach the node at %s: %s", node,
                     e.text[0] ? e.text : "unexpected answer");
        ll_buf_free(&resp);
        return LL_EIO;
    }
    size_t n = strcspn(p + 12, "\"");
    if (n >= sizeof(ev->chain_id))
        n = sizeof(ev->chain_id) - 1;
    memcpy(ev->chain_id, p + 12, n);
    ev->chain_id[n] = '\0';
    ll_buf_free(&resp);
    return 0;
}

/* Sign and submit; print the node's answer. Returns an exit status. */
static int sign_submit(const char *cmd, lotledger_Event *ev,
                       const struct eargs *a)
{
    char pass[LL_CLI_PASS_MAX];
    size_t plen = 0;
    struct ll_keypair kp;
    struct ll_buf b;
    struct ll_buf resp;
    uint8_t id[32];
    int status = LL_EXIT_FAIL;
    memset(&kp, 0, sizeof(kp));
    ll_buf_init(&b, LL_EVENT_MAX_BYTES);
    ll_buf_init(&resp, 1 << 16);
    if (ll_cli_passphrase(cmd, pass, sizeof(pass), &plen, a->pass_file,
                          false) != 0)
        goto out;
    int rc = ll_keystore_read_file(&kp, a->keystore, pass, plen);
    if (rc) {
        ll_cli_error(cmd, "keystore '%s': %s", a->keystore, ll_strerror(rc));
        goto out;
    }
    ev->key_id.size = LL_KEYID_LEN;
    ll_keyid(ev->key_id.bytes, kp.pk);
    struct ll_errmsg e = {{0}};
    rc = ll_event_check(ev, ev->chain_id, &e);
    if (rc == 0)
        rc = ll_event_sign(&b, id, ev, &kp);
    if (rc) {
        ll_cli_error(cmd, "%s", e.text[0] ? e.text : ll_strerror(rc));
        status = LL_EXIT_USAGE;
        goto out;
    }
    char url[600];
    long http = 0;
    (void)snprintf(url, sizeof(url), "%s/v1/events%s", a->node,
                   a->wait ? "?wait=commit" : "");
    rc = ll_cli_http("POST", url, "application/x-protobuf", b.data, b.len,
                     &http, &resp, &e);
    if (rc) {
        ll_cli_error(cmd, "%s", e.text);
        goto out;
    }
    if (http != 202 && http != 201) {
        ll_cli_error(cmd, "refused (%ld): %s", http, (const char *)resp.data);
        goto out;
    }
    (void)fputs((const char *)resp.data, stdout);
    status = LL_EXIT_OK;
out:
    ll_keypair_wipe(&kp);
    ll_crypto_wipe(pass, sizeof(pass));
    ll_buf_free(&b);
    ll_buf_free(&resp);
    return status;
}

/*
 * recall --affected: the lots the org originated among everything made
 * from the suspects, recalled in events of at most 64 lots.
 */
static int recall_affected(const char *cmd, lotledger_Event *ev,
                           const struct eargs *a)
{
    json_t *lots = NULL;
    if (ll_cli_closure(cmd, a->node, a->affected, a->naff, &lots) != 0)
        return LL_EXIT_FAIL;
    size_t fixed = ev->lots_count;
    size_t mine = 0;
    int status = LL_EXIT_OK;
    const char *k;
    json_t *l;
    json_object_foreach(lots, k, l)
    {
        const char *orig = json_string_value(json_object_get(l, "originator"));
        const char *st = json_string_value(json_object_get(l, "status"));
        if (orig == NULL || strcmp(orig, ev->org) != 0 ||
            (st != NULL && strcmp(st, "recalled") == 0))
            continue;
        lotledger_LotQuantity *q = &ev->lots[ev->lots_count++];
        memset(q, 0, sizeof(*q));
        (void)snprintf(q->lot, sizeof(q->lot), "%s", k);
        mine++;
        if (ev->lots_count == LL_ARRAY_LEN(ev->lots) && status == LL_EXIT_OK) {
            status = sign_submit(cmd, ev, a);
            ev->lots_count = (pb_size_t)fixed;
            ev->event_time++;
        }
    }
    if (mine == 0)
        ll_cli_error(cmd,
                     "none of the %zu affected lots was originated by %s "
                     "(or all are recalled already)",
                     json_object_size(lots), ev->org);
    else if (ev->lots_count > fixed && status == LL_EXIT_OK)
        status = sign_submit(cmd, ev, a);
    json_decref(lots);
    return mine == 0 ? LL_EXIT_FAIL : status;
}

int ll_cmd_event(int argc, char **argv)
{
    const char *cmd = argv[0];
    lotledger_EventType type;
    if (ll_event_type_parse(&type, cmd) != 0)
        return LL_EXIT_USAGE;
    lotledger_Event *ev = ll_calloc(1, sizeof(*ev));
    if (ev == NULL)
        return LL_EXIT_FAIL;
    struct eargs a = {"http://127.0.0.1:8080", NULL, NULL, false, {NULL}, 0};
    int status = LL_EXIT_USAGE;
    ev->version = LL_EVENT_VERSION;
    ev->type = type;
    ev->event_time = (int64_t)time(NULL) * 1000;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
            printf(usage_fmt, cmd, cmd);
            status = LL_EXIT_OK;
            goto out;
        }
        if (strcmp(o, "--wait") == 0) {
            a.wait = true;
            continue;
        }
        if (i + 1 >= argc) {
            ll_cli_error(cmd, "%s needs a value (see --help)", o);
            goto out;
        }
        int rc = event_opt(cmd, ev, &a, o, argv[++i]);
        if (rc == -1)
            ll_cli_error(cmd, "unknown option '%s' (see --help)", o);
        if (rc)
            goto out;
    }
    if (ev->org[0] == '\0' || a.keystore == NULL) {
        ll_cli_error(cmd, "--org ID and --keystore FILE are required");
        goto out;
    }
    status = LL_EXIT_FAIL;
    if (fetch_chain(cmd, a.node, ev) == 0)
        status = a.naff > 0 ? recall_affected(cmd, ev, &a)
                            : sign_submit(cmd, ev, &a);
out:
    ll_free(ev);
    return status;
}
