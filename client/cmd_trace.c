/* SPDX-License-Identifier: MIT */
/*
 * lotledger trace LOT: where a lot came from (backward, the default) or
 * where it went (forward), from a node's trace endpoint, printed as a
 * table, the node's JSON (--json) or a Graphviz digraph (--format dot).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

static const char usage[] =
    "usage: lotledger trace LOT_ID [options]\n"
    "\n"
    "Which lots went into LOT_ID (backward) or where it went (forward),\n"
    "following transforms, with every lot's custody events.\n"
    "\n"
    "  --forward              trace forward (default: backward)\n"
    "  --direction DIR        backward or forward\n"
    "  --depth N              transform steps to follow, 0..64 (default 16)\n"
    "  --json                 print the node's JSON (same as --format json)\n"
    "  --format F             table (default), json or dot (Graphviz)\n"
    "  --node URL             node API (default http://127.0.0.1:8080)\n"
    "\n"
    "Example: lotledger trace 01/00614141777808/10/SAL-2611 --format dot |\n"
    "         dot -Tsvg > trace.svg\n";

static long long num(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* A quantity in thousandths as a decimal: 2480000 -> "2480", 12500 -> "12.5".
 */
static const char *qty(char *buf, size_t cap, long long q)
{
    long long whole = q / 1000;
    long long frac = q % 1000;
    if (frac == 0) {
        (void)snprintf(buf, cap, "%lld", whole);
    } else {
        int digits = 3;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        (void)snprintf(buf, cap, "%lld.%0*lld", whole, digits, frac);
    }
    return buf;
}

/* "org qty, org qty" of a lot's holdings. */
static void holders(json_t *lot, char *out, size_t cap)
{
    json_t *h = json_object_get(lot, "holdings");
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < json_array_size(h) && used < cap; i++) {
        json_t *x = json_array_get(h, i);
        char q[32];
        int n = snprintf(out + used, cap - used, "%s%s %s %s",
                         i > 0 ? ", " : "", ll_cli_str(x, "org"),
                         qty(q, sizeof(q), num(x, "quantity")),
                         ll_cli_str(lot, "uom"));
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (out[0] == '\0')
        (void)snprintf(out, cap, "-");
}

/* Append "lot qty uom, ..." of a lots array, after sep. */
static size_t put_lots(char *out, size_t cap, size_t used, json_t *a,
                       const char *sep)
{
    for (size_t i = 0; i < json_array_size(a) && used < cap; i++) {
        json_t *x = json_array_get(a, i);
        const char *s = i > 0 ? ", " : sep;
        char q[32];
        int n = num(x, "quantity") == 0
                    ? snprintf(out + used, cap - used, "%s%s", s,
                               ll_cli_str(x, "lot"))
                    : snprintf(out + used, cap - used, "%s%s %s %s", s,
                               ll_cli_str(x, "lot"),
                               qty(q, sizeof(q), num(x, "quantity")),
                               ll_cli_str(x, "uom"));
        used += n > 0 ? (size_t)n : 0;
    }
    return used < cap ? used : cap - 1;
}

/* One line of what an event did to which lots. */
static void describe(json_t *ev, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    used = put_lots(out, cap, used, json_object_get(ev, "lots"), "");
    used = put_lots(out, cap, used, json_object_get(ev, "outputs"), " -> ");
    if (strcmp(ll_cli_str(ev, "type"), "ship") == 0)
        (void)snprintf(out + used, cap - used, " to %s",
                       ll_cli_str(ev, "counterparty"));
    else if (ll_cli_str(ev, "reason")[0] != '\0')
        (void)snprintf(out + used, cap - used, " (%s)",
                       ll_cli_str(ev, "reason"));
    json_t *sensors = json_object_get(ev, "sensors");
    for (size_t i = 0; i < json_array_size(sensors); i++) {
        json_t *s = json_array_get(sensors, i);
        used = strlen(out);
        if (json_is_true(json_object_get(s, "alarm")))
            (void)snprintf(out + used, cap - used, " ALARM %s %.1f %s",
                           ll_cli_str(s, "type"),
                           (double)num(s, "value") / 1000.0,
                           ll_cli_str(s, "uom"));
    }
}

struct row {
    long long time;  /* event time */
    long long order; /* height and index */
    json_t *ev;
};

static int by_time(const void *a, const void *b)
{
    const struct row *x = a;
    const struct row *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int print_table(json_t *t)
{
    json_t *lots = json_object_get(t, "lots");
    json_t *events = json_object_get(t, "events");
    if (!json_is_array(lots) || !json_is_array(events))
        return LL_EDECODE;
    bool complete = json_is_true(json_object_get(t, "complete"));
    printf("%s trace of %s at height %lld (%s)\n\n", ll_cli_str(t, "direction"),
           ll_cli_str(t, "lot"), num(t, "height"),
           complete ? "complete" : "depth-limited: dashed lots not followed");
    int w = 3;
    for (size_t i = 0; i < json_array_size(lots); i++) {
        int len = (int)strlen(ll_cli_str(json_array_get(lots, i), "lot"));
        w = len > w ? len : w;
    }
    printf("%-5s %-*s %-24s %-9s %s\n", "DEPTH", w, "LOT", "PRODUCT", "STATUS",
           "HELD BY");
    for (size_t i = 0; i < json_array_size(lots); i++) {
        json_t *l = json_array_get(lots, i);
        char h[512];
        holders(l, h, sizeof(h));
        printf("%-5lld %-*s %-24.24s %-9s %s%s\n", num(l, "depth"), w,
               ll_cli_str(l, "lot"), ll_cli_str(l, "product"),
               ll_cli_str(l, "status"), h,
               json_is_true(json_object_get(l, "expanded"))
                   ? ""
                   : "  (not followed)");
    }
    size_t n = json_array_size(events);
    struct row *sorted = n > 0 ? ll_calloc(n, sizeof(struct row)) : NULL;
    if (n > 0 && sorted == NULL)
        return LL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(events, i);
        sorted[i].ev = x;
        sorted[i].time = num(json_object_get(x, "event"), "event_time");
        sorted[i].order = num(x, "height") * 100000 + num(x, "index");
    }
    if (n > 1)
        qsort(sorted, n, sizeof(struct row), by_time);
    printf("\n%-29s %-10s %-12s %s\n", "TIME", "EVENT", "BY", "WHAT");
    for (size_t i = 0; i < n; i++) {
        json_t *ev = json_object_get(sorted[i].ev, "event");
        char what[1024];
        describe(ev, what, sizeof(what));
        printf("%-29s %-10s %-12s %s\n", ll_cli_str(sorted[i].ev, "time"),
               ll_cli_str(ev, "type"), ll_cli_str(ev, "org"), what);
    }
    ll_free(sorted);
    return 0;
}

struct opts {
    const char *node;
    const char *lot;
    const char *dir;
    const char *format;
    uint64_t depth;
};

/* One option at argv[*i]; returns -1 to go on, else the exit status. */
static int option(const char *cmd, int argc, char **argv, int *i,
                  struct opts *o)
{
    const char *a = argv[*i];
    const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        (void)fputs(usage, stdout);
        return LL_EXIT_OK;
    }
    if (strcmp(a, "--forward") == 0 || strcmp(a, "--backward") == 0) {
        o->dir = a + 2;
        return -1;
    }
    if (strcmp(a, "--json") == 0) {
        o->format = "json";
        return -1;
    }
    if (a[0] != '-' && o->lot == NULL) {
        o->lot = a;
        return -1;
    }
    if (val == NULL || a[0] != '-') {
        ll_cli_error(cmd, "unexpected argument '%s' (see --help)", a);
        return LL_EXIT_USAGE;
    }
    (*i)++;
    if (strcmp(a, "--node") == 0) {
        o->node = val;
    } else if (strcmp(a, "--depth") == 0) {
        if (ll_cli_uint(cmd, "--depth", val, 0, 64, &o->depth) != 0)
            return LL_EXIT_USAGE;
    } else if (strcmp(a, "--direction") == 0 &&
               (strcmp(val, "backward") == 0 || strcmp(val, "forward") == 0)) {
        o->dir = val;
    } else if (strcmp(a, "--format") == 0 &&
               (strcmp(val, "table") == 0 || strcmp(val, "json") == 0 ||
                strcmp(val, "dot") == 0)) {
        o->format = val;
    } else if (strcmp(a, "--direction") == 0) {
        ll_cli_error(cmd, "--direction: '%s' is not backward or forward", val);
        return LL_EXIT_USAGE;
    } else if (strcmp(a, "--format") == 0) {
        ll_cli_error(cmd, "--format: '%s' is not table, json or dot", val);
        return LL_EXIT_USAGE;
    } else {
        ll_cli_error(cmd, "unexpected argument '%s' (see --help)", a);
        return LL_EXIT_USAGE;
    }
    return -1;
}

/* Print the node's answer in the asked format. */
static int show(const char *cmd, const struct opts *o, const struct ll_buf *r)
{
    if (strcmp(o->format, "table") != 0) {
        (void)fwrite(r->data, 1, r->len, stdout);
        if (r->len > 0 && r->data[r->len - 1] != '\n')
            (void)fputc('\n', stdout);
        return LL_EXIT_OK;
    }
    json_error_t je;
    json_t *t = json_loadb((const char *)r->data, r->len, 0, &je);
    int rc = t == NULL ? LL_EDECODE : print_table(t);
    json_decref(t);
    if (rc) {
        ll_cli_error(cmd, "the node's answer is not a trace");
        return LL_EXIT_FAIL;
    }
    return LL_EXIT_OK;
}

int ll_cmd_trace(int argc, char **argv)
{
    const char *cmd = argv[0];
    struct opts o = {"http://127.0.0.1:8080", NULL, "backward", "table", 16};
    for (int i = 1; i < argc; i++) {
        int st = option(cmd, argc, argv, &i, &o);
        if (st >= 0)
            return st;
    }
    struct ll_errmsg e = {{0}};
    if (o.lot == NULL) {
        ll_cli_error(cmd, "which lot? (see --help)");
        return LL_EXIT_USAGE;
    }
    if (ll_lotid_check(o.lot, &e) != 0) {
        ll_cli_error(cmd, "%s", e.text);
        return LL_EXIT_USAGE;
    }
    char esc[3 * LL_LOTID_MAX + 1];
    char url[4096];
    if (ll_lotid_url_escape(esc, sizeof(esc), o.lot) != 0 ||
        snprintf(url, sizeof(url),
                 "%s/v1/lots/%s/trace?direction=%s&depth=%u&format=%s", o.node,
                 esc, o.dir, (unsigned)o.depth,
                 strcmp(o.format, "dot") == 0 ? "dot" : "json") >=
            (int)sizeof(url)) {
        ll_cli_error(cmd, "--node URL too long");
        return LL_EXIT_USAGE;
    }
    struct ll_buf resp;
    long status = 0;
    ll_buf_init(&resp, (size_t)256 << 20);
    int rc = ll_cli_http("GET", url, NULL, NULL, 0, &status, &resp, &e);
    int exit_status = LL_EXIT_FAIL;
    if (rc)
        ll_cli_error(cmd, "%s", e.text);
    else if (status != 200)
        ll_cli_node_error(cmd, status, &resp);
    else
        exit_status = show(cmd, &o, &resp);
    ll_buf_free(&resp);
    return exit_status;
}
