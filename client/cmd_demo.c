/* SPDX-License-Identifier: MIT */
/*
 * lotledger demo: author, sign and submit a realistic supply chain to a
 * node, as the organisations of the devnet (`make run`) would: a farm
 * harvests and cools romaine and spinach, a packer does the initial
 * packing, a processor blends both into a salad lot, a distributor ships
 * it to two retailers (one reports a short delivery), a cold-chain
 * temperature excursion is recorded, and a retailer puts its stock on a
 * quality hold. Each event is signed with its organisation's key.
 */
#include <string.h>
#include <time.h>

#include "client.h"

enum org { FARM, PACKER, PROC, DIST, RET1, RET2, NORG };

/* The date DAYS days from now, as YYYYMMDD (0 if it cannot be formed). */
static uint32_t date_in(int days)
{
    char t[40];
    int64_t ms = ((int64_t)time(NULL) + (int64_t)days * 86400) * 1000;
    if (ll_time_format(t, sizeof(t), ms, 0) != 0)
        return 0;
    uint32_t d = 0;
    for (int k = 0; k < 10; k++)
        if (t[k] >= '0' && t[k] <= '9')
            d = d * 10 + (uint32_t)(t[k] - '0');
    return d;
}

static const char *const org_ids[NORG] = {"farm",        "packer",  "processor",
                                          "distributor", "retail1", "retail2"};
static const char *const org_glns[NORG] = {"0614141000005", "0614141000012",
                                           "0614141000029", "0614141000036",
                                           "0614141000043", "0614141000050"};

struct demo {
    const char *node;                /* base URL */
    struct ll_keypair keys[NORG];    /* wiped at the end */
    char chain[LL_CHAIN_ID_MAX + 1]; /* from /v1/status */
    int64_t now;                     /* ms */
    char tag[64];                    /* makes this run's lot ids unique */
    lotledger_Event ev;              /* the event being written */
    int step;
};

static lotledger_Event *event(struct demo *d, lotledger_EventType t, enum org o,
                              int64_t hours_ago, const char *bizstep)
{
    lotledger_Event *ev = &d->ev;
    memset(ev, 0, sizeof(*ev));
    ev->version = LL_EVENT_VERSION;
    (void)snprintf(ev->chain_id, sizeof(ev->chain_id), "%s", d->chain);
    ev->type = t;
    ev->event_time = d->now - hours_ago * 3600000 + d->step;
    ev->tz_offset = -480; /* the demo's farms are on Pacific time */
    (void)snprintf(ev->org, sizeof(ev->org), "%s", org_ids[o]);
    ev->key_id.size = LL_KEYID_LEN;
    ll_keyid(ev->key_id.bytes, d->keys[o].pk);
    (void)snprintf(ev->location, sizeof(ev->location), "%s", org_glns[o]);
    (void)snprintf(ev->biz_step, sizeof(ev->biz_step), "%s", bizstep);
    return ev;
}

static void lot(lotledger_LotQuantity *q, const char *id, uint64_t milli,
                const char *uom)
{
    (void)snprintf(q->lot, sizeof(q->lot), "%s", id);
    q->quantity = milli;
    (void)snprintf(q->uom, sizeof(q->uom), "%s", uom ? uom : "");
}

static void kde(lotledger_Event *ev, const char *k, const char *v)
{
    lotledger_Kde *x = &ev->kdes[ev->kdes_count++];
    (void)snprintf(x->key, sizeof(x->key), "%s", k);
    (void)snprintf(x->value, sizeof(x->value), "%s", v);
}

static void doc(lotledger_Event *ev, const char *type, const char *number)
{
    lotledger_BizDocument *x = &ev->docs[ev->docs_count++];
    (void)snprintf(x->type, sizeof(x->type), "%s", type);
    (void)snprintf(x->number, sizeof(x->number), "%s", number);
}

/* Sign d->ev with org o's key and submit it; id gets the event id. */
static int submit(struct demo *d, enum org o, const char *what, uint8_t *id)
{
    struct ll_buf b;
    struct ll_buf resp;
    uint8_t eid[32];
    long status = 0;
    struct ll_errmsg e = {{0}};
    char url[600];
    ll_buf_init(&b, LL_EVENT_MAX_BYTES);
    ll_buf_init(&resp, 1 << 16);
    int rc = ll_event_sign(&b, eid, &d->ev, &d->keys[o]);
    if (rc == 0) {
        (void)snprintf(url, sizeof(url), "%s/v1/events", d->node);
        rc = ll_cli_http("POST", url, "application/x-protobuf", b.data, b.len,
                         &status, &resp, &e);
    }
    d->step++;
    if (rc == 0 && status != 202)
        rc = LL_EPROTO;
    if (rc) {
        ll_cli_error("demo", "%s: %s", what,
                     e.text[0]   ? e.text
                     : resp.data ? (const char *)resp.data
                                 : ll_strerror(rc));
    } else {
        printf("  %-11s %s\n", org_ids[o], what);
        if (id != NULL)
            memcpy(id, eid, 32);
    }
    ll_buf_free(&b);
    ll_buf_free(&resp);
    return rc;
}

/* Lot ids of this run. */
struct lots {
    char romaine[LL_LOTID_MAX + 1];
    char spinach[LL_LOTID_MAX + 1];
    char packed_r[LL_LOTID_MAX + 1];
    char packed_s[LL_LOTID_MAX + 1];
    char salad[LL_LOTID_MAX + 1];
};

static int farm_part(struct demo *d, const struct lots *L, uint8_t ship[32])
{
    lotledger_Event *ev =
        event(d, lotledger_EventType_COMMISSION, FARM, 72, "commissioning");
    (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "harvesting");
    ev->lots_count = 2;
    lot(&ev->lots[0], L->romaine, 1200000, "KGM");
    lot(&ev->lots[1], L->spinach, 500000, "KGM");
    ev->has_master = true;
    (void)snprintf(ev->master.product, sizeof(ev->master.product),
                   "Romaine lettuce and baby spinach, field run");
    (void)snprintf(ev->master.country, sizeof(ev->master.country), "US");
    kde(ev, "field_name", "North 40, block C");
    kde(ev, "harvester_name", "Valle Harvest Crew 3");
    kde(ev, "harvester_phone", "+1-831-555-0142");
    int rc = submit(d, FARM, "harvests romaine (1200 kg) and spinach (500 kg)",
                    NULL);
    if (rc)
        return rc;
    ev = event(d, lotledger_EventType_OBSERVE, FARM, 70, "storing");
    (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "cooling");
    ev->lots_count = 2;
    lot(&ev->lots[0], L->romaine, 0, NULL);
    lot(&ev->lots[1], L->spinach, 0, NULL);
    ev->sensors_count = 1;
    lotledger_SensorReport *s = &ev->sensors[0];
    (void)snprintf(s->type, sizeof(s->type), "Temperature");
    s->value = 2000;
    (void)snprintf(s->uom, sizeof(s->uom), "CEL");
    s->has_max = true;
    s->max = 4000;
    s->time = ev->event_time;
    rc = submit(d, FARM, "vacuum-cools both lots to 2.0 C", NULL);
    if (rc)
        return rc;
    ev = event(d, lotledger_EventType_SHIP, FARM, 68, "shipping");
    (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "shipping");
    (void)snprintf(ev->disposition, sizeof(ev->disposition), "in_transit");
    ev->lots_count = 2;
    lot(&ev->lots[0], L->romaine, 1200000, "KGM");
    lot(&ev->lots[1], L->spinach, 500000, "KGM");
    (void)snprintf(ev->counterparty, sizeof(ev->counterparty), "packer");
    doc(ev, "bol", "BOL-F-20931");
    return submit(d, FARM, "ships both lots to the packer (BOL-F-20931)", ship);
}

static int packer_part(struct demo *d, const struct lots *L,
                       const uint8_t farm_ship[32], uint8_t ship[32])
{
    lotledger_Event *ev =
        event(d, lotledger_EventType_RECEIVE, PACKER, 66, "receiving");
    (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "receiving");
    ev->lots_count = 2;
    lot(&ev->lots[0], L->romaine, 1200000, "KGM");
    lot(&ev->lots[1], L->spinach, 500000, "KGM");
    ev->ref.size = 32;
    memcpy(ev->ref.bytes, farm_ship, 32);
    int rc = submit(d, PACKER, "receives the farm's shipment", NULL);
    if (rc)
        return rc;
    ev = event(d, lotledger_EventType_TRANSFORM, PACKER, 60, "packing");
    (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "initial_packing");
    ev->lots_count = 2;
    lot(&ev->lots[0], L->romaine, 1200000, "KGM");
    lot(&ev->lots[1], L->spinach, 500000, "KGM");
    ev->outputs_count = 2;
    lot(&ev->outputs[0], L->packed_r, 1150000, "KGM");
    lot(&ev->outputs[1], L->packed_s, 480000, "KGM");
    ev->has_master = true;
    (void)snprintf(ev->master.product, sizeof(ev->master.product),
                   "Washed romaine hearts / baby spinach, 10 kg cases");
    ev->master.best_before = date_in(5);
    kde(ev, "cooling_location", org_glns[FARM]);
    rc = submit(d, PACKER, "packs them into two new traceability lots", NULL);
    if (rc)
        return rc;
    ev = event(d, lotledger_EventType_SHIP, PACKER, 54, "shipping");
    (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "shipping");
    ev->lots_count = 2;
    lot(&ev->lots[0], L->packed_r, 1150000, "KGM");
    lot(&ev->lots[1], L->packed_s, 480000, "KGM");
    (void)snprintf(ev->counterparty, sizeof(ev->counterparty), "processor");
    doc(ev, "bol", "BOL-P-7781");
    return submit(d, PACKER, "ships the packed lots to the processor", ship);
}

static int processor_part(struct demo *d, const struct lots *L,
                          const uint8_t pack_ship[32], uint8_t ship[32])
{
    lotledger_Event *ev =
        event(d, lotledger_EventType_RECEIVE, PROC, 50, "receiving");
    (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "receiving");
    ev->lots_count = 2;
    lot(&ev->lots[0], L->packed_r, 1150000, "KGM");
    lot(&ev->lots[1], L->packed_s, 480000, "KGM");
    ev->ref.size = 32;
    memcpy(ev->ref.bytes, pack_ship, 32);
    int rc = submit(d, PROC, "receives the packed lots", NULL);
    if (rc)
        return rc;
    ev = event(d, lotledger_EventType_TRANSFORM, PROC, 40, "assembling");
    (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "transformation");
    ev->lots_count = 2;
    lot(&ev->lots[0], L->packed_r, 1100000, "KGM");
    lot(&ev->lots[1], L->packed_s, 450000, "KGM");
    ev->outputs_count = 1;
    lot(&ev->outputs[0], L->salad, 5000000, "EA");
    ev->has_master = true;
    (void)snprintf(ev->master.product, sizeof(ev->master.product),
                   "Garden salad mix, 300 g bag");
    ev->master.expiry = date_in(7);
    (void)snprintf(ev->master.country, sizeof(ev->master.country), "US");
    doc(ev, "prodorder", "PO-SAL-5521");
    rc = submit(d, PROC, "blends them into 5000 bags of salad", NULL);
    if (rc)
        return rc;
    ev = event(d, lotledger_EventType_SHIP, PROC, 30, "shipping");
    (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "shipping");
    ev->lots_count = 1;
    lot(&ev->lots[0], L->salad, 5000000, "EA");
    (void)snprintf(ev->counterparty, sizeof(ev->counterparty), "distributor");
    doc(ev, "bol", "BOL-S-1204");
    return submit(d, PROC, "ships the salad to the distributor", ship);
}

static int retail_part(struct demo *d, const struct lots *L,
                       const uint8_t proc_ship[32])
{
    uint8_t s1[32];
    uint8_t s2[32];
    lotledger_Event *ev =
        event(d, lotledger_EventType_RECEIVE, DIST, 26, "receiving");
    (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "receiving");
    ev->lots_count = 1;
    lot(&ev->lots[0], L->salad, 5000000, "EA");
    ev->ref.size = 32;
    memcpy(ev->ref.bytes, proc_ship, 32);
    int rc = submit(d, DIST, "receives the salad", NULL);
    if (rc)
        return rc;
    ev = event(d, lotledger_EventType_OBSERVE, DIST, 20, "sensor_reporting");
    ev->lots_count = 1;
    lot(&ev->lots[0], L->salad, 0, NULL);
    ev->sensors_count = 1;
    lotledger_SensorReport *s = &ev->sensors[0];
    (void)snprintf(s->type, sizeof(s->type), "Temperature");
    s->value = 9500;
    (void)snprintf(s->uom, sizeof(s->uom), "CEL");
    s->has_max = true;
    s->max = 5000;
    s->alarm = true;
    s->time = ev->event_time;
    (void)snprintf(s->device, sizeof(s->device), "cooler-2/probe-7");
    rc = submit(d, DIST, "records a cold-chain excursion: 9.5 C for 40 min",
                NULL);
    for (int i = 0; i < 2 && rc == 0; i++) {
        ev = event(d, lotledger_EventType_SHIP, DIST, 12 - i, "shipping");
        (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "shipping");
        ev->lots_count = 1;
        lot(&ev->lots[0], L->salad, 2500000, "EA");
        (void)snprintf(ev->counterparty, sizeof(ev->counterparty), "%s",
                       org_ids[RET1 + i]);
        rc = submit(d, DIST,
                    i ? "ships 2500 bags to retail2"
                      : "ships 2500 bags to retail1",
                    i ? s2 : s1);
    }
    for (int i = 0; i < 2 && rc == 0; i++) {
        ev = event(d, lotledger_EventType_RECEIVE, (enum org)(RET1 + i), 8,
                   "receiving");
        (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "receiving");
        ev->lots_count = 1;
        lot(&ev->lots[0], L->salad, i ? 2480000 : 2500000, "EA");
        ev->ref.size = 32;
        memcpy(ev->ref.bytes, i ? s2 : s1, 32);
        rc = submit(d, (enum org)(RET1 + i),
                    i ? "receives 2480 of 2500 bags (a discrepancy)"
                      : "receives 2500 bags",
                    NULL);
    }
    if (rc)
        return rc;
    ev = event(d, lotledger_EventType_HOLD, RET2, 2, "holding");
    (void)snprintf(ev->disposition, sizeof(ev->disposition),
                   "non_sellable_other");
    ev->lots_count = 1;
    lot(&ev->lots[0], L->salad, 0, NULL);
    (void)snprintf(ev->reason, sizeof(ev->reason),
                   "quality hold: wilted leaves found in 3 bags");
    return submit(d, RET2, "puts the salad lot on a quality hold", NULL);
}

static const char usage[] =
    "usage: lotledger demo --node URL --keys DIR [--passphrase-file F]\n"
    "\n"
    "Submit the demo supply chain to a node, signing each event with the\n"
    "key of its organisation (DIR/<org>.key for farm, packer, processor,\n"
    "distributor, retail1, retail2; passphrase from --passphrase-file or\n"
    "LOTLEDGER_PASSPHRASE). Prints the finished salad lot's id.\n";

/* Fetch the chain id from the node. */
static int node_chain(struct demo *d)
{
    char url[600];
    struct ll_buf resp;
    long status = 0;
    struct ll_errmsg e = {{0}};
    ll_buf_init(&resp, 1 << 16);
    (void)snprintf(url, sizeof(url), "%s/v1/status", d->node);
    int rc = ll_cli_http("GET", url, NULL, NULL, 0, &status, &resp, &e);
    const char *p = rc == 0 && status == 200
                        ? strstr((const char *)resp.data, "\"chain_id\":\"")
                        : NULL;
    if (p == NULL) {
        ll_cli_error("demo", "cannot reach the node at %s: %s", d->node,
                     e.text[0] ? e.text : "unexpected answer");
        rc = LL_EIO;
    } else {
        p += 12;
        size_t n = strcspn(p, "\"");
        if (n > LL_CHAIN_ID_MAX)
            n = LL_CHAIN_ID_MAX;
        memcpy(d->chain, p, n);
        d->chain[n] = '\0';
    }
    ll_buf_free(&resp);
    return rc;
}

static int load_keys(struct demo *d, const char *dir, const char *pass_file)
{
    char pass[LL_CLI_PASS_MAX];
    size_t plen = 0;
    int rc =
        ll_cli_passphrase("demo", pass, sizeof(pass), &plen, pass_file, false);
    for (int o = 0; o < NORG && rc == 0; o++) {
        char path[1100];
        (void)snprintf(path, sizeof(path), "%s/%s.key", dir, org_ids[o]);
        rc = ll_keystore_read_file(&d->keys[o], path, pass, plen);
        if (rc)
            ll_cli_error("demo", "keystore '%s': %s", path, ll_strerror(rc));
    }
    ll_crypto_wipe(pass, sizeof(pass));
    return rc;
}

int ll_cmd_demo(int argc, char **argv)
{
    const char *keys = NULL;
    const char *pass_file = NULL;
    struct demo *d = ll_calloc(1, sizeof(*d));
    int status = LL_EXIT_USAGE;
    if (d == NULL)
        return LL_EXIT_FAIL;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            (void)fputs(usage, stdout);
            status = LL_EXIT_OK;
            goto out;
        } else if (v != NULL && strcmp(argv[i], "--node") == 0) {
            d->node = argv[++i];
        } else if (v != NULL && strcmp(argv[i], "--keys") == 0) {
            keys = argv[++i];
        } else if (v != NULL && strcmp(argv[i], "--passphrase-file") == 0) {
            pass_file = argv[++i];
        } else {
            ll_cli_error(argv[0], "bad argument '%s' (see --help)", argv[i]);
            goto out;
        }
    }
    if (d->node == NULL || keys == NULL) {
        ll_cli_error(argv[0], "--node URL and --keys DIR are required");
        goto out;
    }
    status = LL_EXIT_FAIL;
    if (load_keys(d, keys, pass_file) != 0 || node_chain(d) != 0)
        goto out;
    time_t now = time(NULL);
    struct tm tm;
    (void)gmtime_r(&now, &tm);
    d->now = (int64_t)now * 1000;
    (void)snprintf(d->tag, sizeof(d->tag), "%02d%02d%02d%02d%02d%02d",
                   tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec);
    struct lots L;
    (void)snprintf(L.romaine, sizeof(L.romaine), "tlc/gln/%s/ROM-%s",
                   org_glns[FARM], d->tag);
    (void)snprintf(L.spinach, sizeof(L.spinach), "tlc/gln/%s/SPN-%s",
                   org_glns[FARM], d->tag);
    (void)snprintf(L.packed_r, sizeof(L.packed_r), "01/00614141777778/10/R%s",
                   d->tag);
    (void)snprintf(L.packed_s, sizeof(L.packed_s), "01/00614141777792/10/S%s",
                   d->tag);
    (void)snprintf(L.salad, sizeof(L.salad), "01/00614141777808/10/SAL%s",
                   d->tag);
    printf("submitting the demo supply chain to %s (chain %s):\n", d->node,
           d->chain);
    uint8_t s1[32];
    uint8_t s2[32];
    uint8_t s3[32];
    if (farm_part(d, &L, s1) != 0 || packer_part(d, &L, s1, s2) != 0 ||
        processor_part(d, &L, s2, s3) != 0 || retail_part(d, &L, s3) != 0)
        goto out;
    printf("finished lot: %s\n", L.salad);
    status = LL_EXIT_OK;
out:
    for (int o = 0; o < NORG; o++)
        ll_keypair_wipe(&d->keys[o]);
    ll_free(d);
    return status;
}
