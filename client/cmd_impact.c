/* SPDX-License-Identifier: MIT */
/*
 * lotledger recall-impact LOT...: everything made from the suspect lots
 * (the union of their forward traces), with, for each affected lot, its
 * status, who holds how much and what is in transit to whom — the list a
 * recall coordinator works from. Table, --json or --csv.
 */
#include <jansson.h>
#include <string.h>

#include "client.h"

static const char usage[] =
    "usage: lotledger recall-impact LOT_ID... [--json | --csv] [--node URL]\n"
    "\n"
    "The forward closure of the suspect lots: every lot made from them,\n"
    "through every transformation, with its status, its holders and\n"
    "quantities, and its shipments still in transit.\n"
    "\n"
    "  --json      one JSON document: {height, suspects, complete, lots}\n"
    "  --csv       one row per holding and per shipment in transit:\n"
    "              lot,product,status,originator,party,state,quantity,uom\n"
    "  --node URL  node API (default http://127.0.0.1:8080)\n";

#define MAX_SUSPECTS 64

json_t *ll_cli_trace(const char *cmd, const char *node, const char *lot,
                     bool forward)
{
    char esc[3 * LL_LOTID_MAX + 1];
    char url[4096];
    if (ll_lotid_url_escape(esc, sizeof(esc), lot) != 0) {
        ll_cli_error(cmd, "lot id '%s' too long", lot);
        return NULL;
    }
    (void)snprintf(url, sizeof(url),
                   "%s/v1/lots/%s/trace?direction=%s&depth=64", node, esc,
                   forward ? "forward" : "backward");
    struct ll_buf resp;
    struct ll_errmsg e = {{0}};
    long status = 0;
    json_t *j = NULL;
    ll_buf_init(&resp, (size_t)256 << 20);
    int rc = ll_cli_http("GET", url, NULL, NULL, 0, &status, &resp, &e);
    if (rc) {
        ll_cli_error(cmd, "%s", e.text);
    } else if (status != 200) {
        ll_cli_node_error(cmd, status, &resp);
    } else {
        json_error_t je;
        j = json_loadb((const char *)resp.data, resp.len, 0, &je);
        if (!json_is_array(json_object_get(j, "lots")) ||
            !json_is_array(json_object_get(j, "events"))) {
            ll_cli_error(cmd, "the node's answer is not a trace");
            json_decref(j);
            j = NULL;
        }
    }
    ll_buf_free(&resp);
    return j;
}

/* Merge trace t's lots into lots (keyed by lot id, first seen wins). */
static void merge(json_t *lots, json_t *t)
{
    json_t *a = json_object_get(t, "lots");
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *l = json_array_get(a, i);
        if (json_object_get(lots, ll_cli_str(l, "lot")) == NULL)
            (void)json_object_set(lots, ll_cli_str(l, "lot"), l);
    }
}

static void print_table(json_t *lots, long long height, bool complete)
{
    printf("recall impact at height %lld: %zu lot%s affected%s\n\n", height,
           json_object_size(lots), json_object_size(lots) == 1 ? "" : "s",
           complete ? "" : " (depth-limited: the list may be incomplete)");
    printf("%-40s %-24s %-9s %s\n", "LOT", "PRODUCT", "STATUS",
           "HELD BY / IN TRANSIT");
    const char *k;
    json_t *l;
    json_object_foreach(lots, k, l)
    {
        char where[1024] = "";
        size_t used = 0;
        char q[32];
        json_t *h = json_object_get(l, "holdings");
        json_t *p = json_object_get(l, "pending");
        for (size_t i = 0; i < json_array_size(h) && used < sizeof(where);
             i++) {
            json_t *x = json_array_get(h, i);
            ll_cli_qty(q, sizeof(q),
                       json_integer_value(json_object_get(x, "quantity")));
            int n = snprintf(where + used, sizeof(where) - used, "%s%s %s %s",
                             used ? ", " : "", ll_cli_str(x, "org"), q,
                             ll_cli_str(l, "uom"));
            used += n > 0 ? (size_t)n : 0;
        }
        for (size_t i = 0; i < json_array_size(p) && used < sizeof(where);
             i++) {
            json_t *x = json_array_get(p, i);
            ll_cli_qty(q, sizeof(q),
                       json_integer_value(json_object_get(x, "quantity")));
            int n = snprintf(where + used, sizeof(where) - used,
                             "%s%s -> %s %s %s (in transit)", used ? ", " : "",
                             ll_cli_str(x, "from"), ll_cli_str(x, "to"), q,
                             ll_cli_str(l, "uom"));
            used += n > 0 ? (size_t)n : 0;
        }
        printf("%-40s %-24.24s %-9s %s\n", k, ll_cli_str(l, "product"),
               ll_cli_str(l, "status"), used ? where : "-");
    }
}

/* A CSV field: quoted when it holds a comma, quote or newline. */
static void csv(const char *s, bool last)
{
    if (strpbrk(s, ",\"\n\r") == NULL) {
        printf("%s%s", s, last ? "\n" : ",");
        return;
    }
    (void)putchar('"');
    for (; *s != '\0'; s++) {
        if (*s == '"')
            (void)putchar('"');
        (void)putchar(*s);
    }
    printf("\"%s", last ? "\n" : ",");
}

static void csv_row(json_t *l, const char *party, const char *state,
                    long long quantity)
{
    char q[32] = "";
    if (quantity >= 0)
        ll_cli_qty(q, sizeof(q), quantity);
    csv(ll_cli_str(l, "lot"), false);
    csv(ll_cli_str(l, "product"), false);
    csv(ll_cli_str(l, "status"), false);
    csv(ll_cli_str(l, "originator"), false);
    csv(party, false);
    csv(state, false);
    csv(q, false);
    csv(ll_cli_str(l, "uom"), true);
}

static void print_csv(json_t *lots)
{
    printf("lot,product,status,originator,party,state,quantity,uom\n");
    const char *k;
    json_t *l;
    json_object_foreach(lots, k, l)
    {
        json_t *h = json_object_get(l, "holdings");
        json_t *p = json_object_get(l, "pending");
        for (size_t i = 0; i < json_array_size(h); i++) {
            json_t *x = json_array_get(h, i);
            csv_row(l, ll_cli_str(x, "org"), "held",
                    json_integer_value(json_object_get(x, "quantity")));
        }
        for (size_t i = 0; i < json_array_size(p); i++) {
            json_t *x = json_array_get(p, i);
            char party[160];
            (void)snprintf(party, sizeof(party), "%s -> %s",
                           ll_cli_str(x, "from"), ll_cli_str(x, "to"));
            csv_row(l, party, "in_transit",
                    json_integer_value(json_object_get(x, "quantity")));
        }
        if (json_array_size(h) == 0 && json_array_size(p) == 0)
            csv_row(l, "", "none", -1);
    }
}

int ll_cli_closure(const char *cmd, const char *node,
                   const char *const *suspects, size_t n, json_t **out)
{
    json_t *lots = json_object();
    for (size_t i = 0; i < n; i++) {
        json_t *t = ll_cli_trace(cmd, node, suspects[i], true);
        if (t == NULL) {
            json_decref(lots);
            return LL_EIO;
        }
        merge(lots, t);
        json_decref(t);
    }
    *out = lots;
    return 0;
}

struct iopts {
    const char *node;
    const char *format;
    const char *suspects[MAX_SUSPECTS];
    size_t ns;
};

/* Parse argv; -1 to go on, else the exit status. */
static int impact_args(int argc, char **argv, struct iopts *o)
{
    const char *cmd = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            (void)fputs(usage, stdout);
            return LL_EXIT_OK;
        }
        if (strcmp(a, "--json") == 0 || strcmp(a, "--csv") == 0) {
            o->format = a + 2;
        } else if (strcmp(a, "--node") == 0 && i + 1 < argc) {
            o->node = argv[++i];
        } else if (ll_cli_lots_arg(cmd, a, o->suspects, &o->ns, MAX_SUSPECTS) !=
                   0) {
            return LL_EXIT_USAGE;
        }
    }
    if (o->ns == 0) {
        ll_cli_error(cmd, "which lots? (see --help)");
        return LL_EXIT_USAGE;
    }
    return -1;
}

static void print_json(json_t *lots, json_t *names, long long height,
                       bool complete)
{
    json_t *out = json_object();
    (void)json_object_set_new(out, "height", json_integer(height));
    (void)json_object_set(out, "suspects", names);
    (void)json_object_set_new(out, "complete", json_boolean(complete));
    (void)json_object_set(out, "lots", lots);
    size_t need = json_dumpb(out, NULL, 0, JSON_COMPACT);
    char *text = need > 0 ? ll_malloc(need) : NULL;
    if (text != NULL && json_dumpb(out, text, need, JSON_COMPACT) == need)
        printf("%.*s\n", (int)need, text);
    ll_free(text);
    json_decref(out);
}

int ll_cmd_recall_impact(int argc, char **argv)
{
    const char *cmd = argv[0];
    struct iopts o;
    memset(&o, 0, sizeof(o));
    o.node = "http://127.0.0.1:8080";
    o.format = "table";
    int st = impact_args(argc, argv, &o);
    if (st >= 0)
        return st;
    json_t *lots = json_object();
    json_t *names = json_array();
    long long height = -1;
    bool complete = true;
    st = LL_EXIT_OK;
    for (size_t i = 0; i < o.ns && st == LL_EXIT_OK; i++) {
        json_t *t = ll_cli_trace(cmd, o.node, o.suspects[i], true);
        if (t == NULL) {
            st = LL_EXIT_FAIL;
            break;
        }
        long long h = json_integer_value(json_object_get(t, "height"));
        height = height < 0 || h < height ? h : height;
        complete = complete && json_is_true(json_object_get(t, "complete"));
        merge(lots, t);
        (void)json_array_append_new(names, json_string(o.suspects[i]));
        json_decref(t);
    }
    if (st == LL_EXIT_OK && strcmp(o.format, "json") == 0)
        print_json(lots, names, height, complete);
    else if (st == LL_EXIT_OK && strcmp(o.format, "csv") == 0)
        print_csv(lots);
    else if (st == LL_EXIT_OK)
        print_table(lots, height, complete);
    json_decref(names);
    json_decref(lots);
    return st;
}
