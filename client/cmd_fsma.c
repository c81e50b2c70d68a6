/* SPDX-License-Identifier: MIT */
/*
 * lotledger fsma204 LOT...: the FDA FSMA 204 "electronic sortable
 * spreadsheet" (21 CFR 1.1455(c)(3)(ii)) for the lots a request names: one
 * CSV row per traceability lot code per critical tracking event, with its
 * key data elements, over the lots' traces (what went into them and where
 * they went). docs/fsma204.md describes the columns.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"

static const char usage[] =
    "usage: lotledger fsma204 LOT_ID... [--backward] [--forward]\n"
    "                         [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
    "                         [--org ORG] [--genesis GENESIS] [-o FILE.csv]\n"
    "                         [--node URL]\n"
    "\n"
    "The FSMA 204 sortable spreadsheet (CSV, RFC 4180) for the lots: one\n"
    "row per traceability lot code and critical tracking event (harvesting,\n"
    "cooling, initial packing, first land-based receiving, shipping,\n"
    "receiving, transformation) with its key data elements, over what went\n"
    "into the lots (--backward) and where they went (--forward; neither\n"
    "means both), sorted by event time.\n"
    "\n"
    "  --from, --to  only events on these local dates (inclusive)\n"
    "  --org ORG     only the records of one organisation (a firm's own)\n"
    "  --genesis G   the network's genesis file: names and GLNs of parties\n"
    "  -o FILE.csv   write the file (complete or not at all); default stdout\n"
    "  --node URL    node API (default http://127.0.0.1:8080)\n";

#define MAX_LOTS 64
#define NCOLS    20

static const char *const header[NCOLS] = {
    "Traceability Lot Code",
    "Traceability Lot Code Source",
    "Product Description",
    "Critical Tracking Event",
    "Event Date",
    "Event Time",
    "Quantity",
    "Unit of Measure",
    "Location GLN",
    "Location Name",
    "Partner Role",
    "Partner GLN",
    "Partner Name",
    "Reference Document Type",
    "Reference Document Number",
    "Input Lots",
    "Other KDEs",
    "Recorded By",
    "Event ID",
    "Block Height",
};

struct fopts {
    const char *node;
    const char *out;
    const char *org;
    const char *genesis;
    const char *lots[MAX_LOTS];
    size_t nlots;
    bool backward, forward;
    char from[11], to[11]; /* YYYY-MM-DD or "" */
};

/* What the rows are made from. */
struct world {
    json_t *events; /* id -> trace event {id, height, index, time, event} */
    json_t *lots;   /* lot id -> trace lot */
    struct ll_genesis *g; /* or NULL */
    const struct fopts *o;
    json_t *rows;    /* array of {t, lot, cte_rank, cells[]} */
    json_t *made_at; /* lot id -> location of the event that created it */
};

/* ---- arguments ----------------------------------------------------------- */

static bool is_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    int y = ((s[0] - '0') * 10 + (s[1] - '0')) * 100 + (s[2] - '0') * 10 +
            (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap ? 1 : 0);
}

static int date_arg(const char *cmd, const char *opt, const char *v,
                    char out[11])
{
    if (!is_date(v)) {
        ll_cli_error(cmd, "%s '%s': a date YYYY-MM-DD", opt, v);
        return LL_EXIT_USAGE;
    }
    memcpy(out, v, 11);
    return -1;
}

static int fsma_option(int argc, char **argv, int *i, struct fopts *o)
{
    const char *cmd = argv[0];
    const char *a = argv[*i];
    bool val = *i + 1 < argc;
    if (strcmp(a, "--backward") == 0)
        o->backward = true;
    else if (strcmp(a, "--forward") == 0)
        o->forward = true;
    else if (val && strcmp(a, "--from") == 0)
        return date_arg(cmd, a, argv[++*i], o->from);
    else if (val && strcmp(a, "--to") == 0)
        return date_arg(cmd, a, argv[++*i], o->to);
    else if (val && strcmp(a, "--org") == 0)
        o->org = argv[++*i];
    else if (val && strcmp(a, "--genesis") == 0)
        o->genesis = argv[++*i];
    else if (val && strcmp(a, "-o") == 0)
        o->out = argv[++*i];
    else if (val && strcmp(a, "--node") == 0)
        o->node = argv[++*i];
    else {
        ll_cli_error(cmd, "unexpected argument '%s' (see --help)", a);
        return LL_EXIT_USAGE;
    }
    return -1;
}

static int fsma_args(int argc, char **argv, struct fopts *o)
{
    const char *cmd = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            (void)fputs(usage, stdout);
            return LL_EXIT_OK;
        }
        if (a[0] == '-' && a[1] != '\0') {
            int st = fsma_option(argc, argv, &i, o);
            if (st >= 0)
                return st;
        } else if (ll_cli_lots_arg(cmd, a, o->lots, &o->nlots, MAX_LOTS) != 0) {
            return LL_EXIT_USAGE;
        }
    }
    if (o->nlots == 0) {
        ll_cli_error(cmd, "which lots? (see --help)");
        return LL_EXIT_USAGE;
    }
    if (!o->backward && !o->forward)
        o->backward = o->forward = true; /* neither: both */
    if (o->from[0] && o->to[0] && strcmp(o->from, o->to) > 0) {
        ll_cli_error(cmd, "--from %s is after --to %s", o->from, o->to);
        return LL_EXIT_USAGE;
    }
    return -1;
}

/* ---- helpers ------------------------------------------------------------- */

static const lotledger_OrgState *org_by_id(const struct world *w,
                                           const char *id)
{
    return w->g != NULL && id[0] != '\0' ? ll_genesis_org(w->g, id) : NULL;
}

static const char *org_by_gln(const struct world *w, const char *gln)
{
    for (size_t i = 0; w->g != NULL && gln[0] != '\0' && i < w->g->norgs; i++)
        if (strcmp(w->g->orgs[i].gln, gln) == 0)
            return w->g->orgs[i].name;
    return "";
}

/* Local time of an event: "YYYY-MM-DDTHH:MM:SS+hh:mm" ("" if absurd). */
static void local_time(char out[48], long long ms, long long tz)
{
    time_t t = (time_t)((ms - (ms < 0 ? 999 : 0)) / 1000 + tz * 60);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        out[0] = '\0';
        return;
    }
    long long a = tz < 0 ? -tz : tz;
    (void)snprintf(out, 48, "%04d-%02d-%02dT%02d:%02d:%02d%c%02lld:%02lld",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec, tz < 0 ? '-' : '+', a / 60 % 100,
                   a % 60);
}

static long long jint(json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

/* The FSMA 204 name of an event's CTE and its rank in a day, or NULL. */
static const char *cte_of(json_t *ev, int *rank)
{
    static const struct {
        const char *key, *name;
    } ctes[] = {
        {"harvesting", "Harvesting"},
        {"cooling", "Cooling"},
        {"initial_packing", "Initial packing"},
        {"first_land_based_receiving", "First land-based receiving"},
        {"shipping", "Shipping"},
        {"receiving", "Receiving"},
        {"transformation", "Transformation"},
    };
    const char *k = ll_cli_str(ev, "fsma_cte");
    const char *type = ll_cli_str(ev, "type");
    if (k[0] == '\0')
        k = strcmp(type, "ship") == 0        ? "shipping"
            : strcmp(type, "receive") == 0   ? "receiving"
            : strcmp(type, "transform") == 0 ? "transformation"
                                             : "";
    for (size_t i = 0; i < LL_ARRAY_LEN(ctes); i++)
        if (strcmp(k, ctes[i].key) == 0) {
            *rank = (int)i;
            return ctes[i].name;
        }
    return NULL;
}

/* Append "a; b" style text. */
static void join(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);
    (void)snprintf(buf + n, cap - n, "%s%s", n > 0 ? "; " : "", s);
}

/* ---- building rows ------------------------------------------------------- */

/*
 * Index, once, where each lot of the traces was created: the location of
 * its commission, or of the transform that output it (a lot is created
 * once on a ledger).
 */
static void index_creators(struct world *w)
{
    const char *id;
    json_t *te;
    json_object_foreach(w->events, id, te)
    {
        json_t *ev = json_object_get(te, "event");
        const char *type = ll_cli_str(ev, "type");
        if (strcmp(type, "commission") != 0 && strcmp(type, "transform") != 0)
            continue;
        json_t *a = json_object_get(
            ev, strcmp(type, "transform") == 0 ? "outputs" : "lots");
        for (size_t i = 0; i < json_array_size(a); i++)
            (void)json_object_set_new(w->made_at,
                                      ll_cli_str(json_array_get(a, i), "lot"),
                                      json_string(ll_cli_str(ev, "location")));
    }
}

/* Traceability lot code source: the GLN or FDA registration number the
 * lot id names, else the place where the lot was made. */
static void tlc_source(const struct world *w, const char *lot, char *out,
                       size_t cap)
{
    if (strncmp(lot, "tlc/gln/", 8) == 0) {
        (void)snprintf(out, cap, "GLN %.13s", lot + 8);
    } else if (strncmp(lot, "tlc/fda/", 8) == 0) {
        (void)snprintf(out, cap, "FDA FFRN %.*s", (int)strcspn(lot + 8, "/"),
                       lot + 8);
    } else {
        const char *gln = json_string_value(json_object_get(w->made_at, lot));
        if (gln == NULL)
            gln = "";
        (void)snprintf(out, cap, "%s%s", gln[0] ? "GLN " : "", gln);
    }
}

static void docs_of(json_t *ev, char *types, char *numbers, size_t cap)
{
    json_t *d = json_object_get(ev, "docs");
    for (size_t i = 0; i < json_array_size(d); i++) {
        join(types, cap, ll_cli_str(json_array_get(d, i), "type"));
        join(numbers, cap, ll_cli_str(json_array_get(d, i), "number"));
    }
}

static void kdes_of(json_t *ev, char *out, size_t cap)
{
    json_t *k = json_object_get(ev, "kdes");
    char item[400];
    for (size_t i = 0; i < json_array_size(k); i++) {
        json_t *x = json_array_get(k, i);
        (void)snprintf(item, sizeof(item), "%s=%s", ll_cli_str(x, "key"),
                       ll_cli_str(x, "value"));
        join(out, cap, item);
    }
    json_t *m = json_object_get(ev, "master");
    const char *key;
    json_t *v;
    json_object_foreach(m, key, v)
    {
        if (strcmp(key, "product") == 0)
            continue;
        if (json_is_integer(v)) { /* YYYYMMDD */
            long long d = json_integer_value(v);
            (void)snprintf(item, sizeof(item), "%s=%04lld-%02lld-%02lld", key,
                           d / 10000 % 10000, d / 100 % 100, d % 100);
        } else {
            (void)snprintf(item, sizeof(item), "%s=%s", key,
                           json_string_value(v) ? json_string_value(v) : "");
        }
        join(out, cap, item);
    }
}

/* The partner of a shipping (next recipient) or receiving (previous
 * source, from the shipment it receives) event. */
static void partner(const struct world *w, json_t *ev, const char **role,
                    char *gln, char *name, size_t cap, json_t **shipment)
{
    const char *type = ll_cli_str(ev, "type");
    *role = "";
    *shipment = NULL;
    gln[0] = name[0] = '\0';
    if (strcmp(type, "ship") == 0) {
        const lotledger_OrgState *o =
            org_by_id(w, ll_cli_str(ev, "counterparty"));
        *role = "Immediate subsequent recipient";
        (void)snprintf(gln, cap, "%s", o != NULL ? o->gln : "");
        (void)snprintf(name, cap, "%s",
                       o != NULL ? o->name : ll_cli_str(ev, "counterparty"));
    } else if (strcmp(type, "receive") == 0) {
        json_t *te = json_object_get(w->events, ll_cli_str(ev, "ref"));
        *shipment = json_object_get(te, "event");
        *role = "Immediate previous source";
        if (*shipment != NULL) {
            const lotledger_OrgState *o =
                org_by_id(w, ll_cli_str(*shipment, "org"));
            (void)snprintf(gln, cap, "%s", ll_cli_str(*shipment, "location"));
            (void)snprintf(name, cap, "%s",
                           o != NULL ? o->name : ll_cli_str(*shipment, "org"));
        }
    }
}

struct cells {
    char c[NCOLS][1024];
};

/* One row: the event te, lot entry l (a {lot, quantity, uom}). */
static void add_row(struct world *w, json_t *te, json_t *l, const char *cte,
                    int rank)
{
    static struct cells x;
    json_t *ev = json_object_get(te, "event");
    const char *lot = ll_cli_str(l, "lot");
    const char *role;
    json_t *ship;
    memset(&x, 0, sizeof(x));
    (void)snprintf(x.c[0], sizeof(x.c[0]), "%s", lot);
    tlc_source(w, lot, x.c[1], sizeof(x.c[1]));
    (void)snprintf(x.c[2], sizeof(x.c[2]), "%s",
                   ll_cli_str(json_object_get(w->lots, lot), "product"));
    (void)snprintf(x.c[3], sizeof(x.c[3]), "%s", cte);
    local_time(x.c[5], jint(ev, "event_time"), jint(ev, "tz_offset"));
    memcpy(x.c[4], x.c[5], 10);
    if (json_object_get(l, "quantity") != NULL)
        ll_cli_qty(x.c[6], sizeof(x.c[6]), jint(l, "quantity"));
    (void)snprintf(x.c[7], sizeof(x.c[7]), "%s", ll_cli_str(l, "uom"));
    (void)snprintf(x.c[8], sizeof(x.c[8]), "%s", ll_cli_str(ev, "location"));
    (void)snprintf(x.c[9], sizeof(x.c[9]), "%s",
                   org_by_gln(w, ll_cli_str(ev, "location")));
    partner(w, ev, &role, x.c[11], x.c[12], sizeof(x.c[11]), &ship);
    (void)snprintf(x.c[10], sizeof(x.c[10]), "%s", role);
    docs_of(ev, x.c[13], x.c[14], sizeof(x.c[13]));
    if (x.c[13][0] == '\0' && ship != NULL) /* a receipt's BOL */
        docs_of(ship, x.c[13], x.c[14], sizeof(x.c[13]));
    if (strcmp(ll_cli_str(ev, "type"), "transform") == 0) {
        json_t *in = json_object_get(ev, "lots");
        for (size_t i = 0; i < json_array_size(in); i++) {
            json_t *il = json_array_get(in, i);
            char q[32] = "";
            char item[300];
            ll_cli_qty(q, sizeof(q), jint(il, "quantity"));
            (void)snprintf(item, sizeof(item), "%s (%s %s)",
                           ll_cli_str(il, "lot"), q, ll_cli_str(il, "uom"));
            join(x.c[15], sizeof(x.c[15]), item);
        }
    }
    kdes_of(ev, x.c[16], sizeof(x.c[16]));
    const lotledger_OrgState *o = org_by_id(w, ll_cli_str(ev, "org"));
    (void)snprintf(x.c[17], sizeof(x.c[17]), "%s%s%s%s", ll_cli_str(ev, "org"),
                   o != NULL ? " (" : "", o != NULL ? o->name : "",
                   o != NULL ? ")" : "");
    (void)snprintf(x.c[18], sizeof(x.c[18]), "%s", ll_cli_str(te, "id"));
    (void)snprintf(x.c[19], sizeof(x.c[19]), "%lld", jint(te, "height"));
    json_t *cells = json_array();
    for (size_t i = 0; i < NCOLS; i++)
        (void)json_array_append_new(cells, json_string(x.c[i]));
    (void)json_array_append_new(
        w->rows, json_pack("{s:I, s:s, s:i, s:o}", "t",
                           (json_int_t)jint(ev, "event_time"), "lot", lot,
                           "rank", rank, "cells", cells));
}

static bool wanted(const struct world *w, json_t *ev, const char *date)
{
    const struct fopts *o = w->o;
    if (o->org != NULL && strcmp(ll_cli_str(ev, "org"), o->org) != 0)
        return false;
    if (o->from[0] && strcmp(date, o->from) < 0)
        return false;
    return !(o->to[0] && strcmp(date, o->to) > 0);
}

static void event_rows(struct world *w, json_t *te)
{
    json_t *ev = json_object_get(te, "event");
    int rank = 0;
    const char *cte = cte_of(ev, &rank);
    char when[48];
    local_time(when, jint(ev, "event_time"), jint(ev, "tz_offset"));
    when[10] = '\0';
    if (cte == NULL || !wanted(w, ev, when))
        return;
    bool tr = strcmp(ll_cli_str(ev, "type"), "transform") == 0;
    json_t *a = json_object_get(ev, tr ? "outputs" : "lots");
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *l = json_array_get(a, i);
        /* Only the lots of the traces: a shipment may carry others. */
        if (json_object_get(w->lots, ll_cli_str(l, "lot")) != NULL)
            add_row(w, te, l, cte, rank);
    }
}

static int by_time(const void *pa, const void *pb)
{
    json_t *a = *(json_t *const *)pa;
    json_t *b = *(json_t *const *)pb;
    long long ta = jint(a, "t");
    long long tb = jint(b, "t");
    if (ta != tb)
        return ta < tb ? -1 : 1;
    int c = strcmp(ll_cli_str(a, "lot"), ll_cli_str(b, "lot"));
    return c != 0 ? c : (int)(jint(a, "rank") - jint(b, "rank"));
}

/* ---- CSV ------------------------------------------------------------------
 */

/*
 * One RFC 4180 field. A cell a spreadsheet would read as a formula
 * (leading = + - @, tab or CR) gets a leading apostrophe (OWASP).
 */
static void csv_field(FILE *f, const char *s)
{
    bool formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
    bool quote = formula || s[0] == ' ' || strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        (void)fputc('"', f);
    if (formula)
        (void)fputc('\'', f);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            (void)fputc('"', f);
        (void)fputc(*s, f);
    }
    if (quote)
        (void)fputc('"', f);
}

static int write_csv(FILE *f, json_t *rows)
{
    for (size_t i = 0; i < NCOLS; i++) {
        (void)fputs(i ? "," : "", f);
        csv_field(f, header[i]);
    }
    (void)fputs("\r\n", f);
    for (size_t r = 0; r < json_array_size(rows); r++) {
        json_t *cells = json_object_get(json_array_get(rows, r), "cells");
        for (size_t i = 0; i < NCOLS; i++) {
            (void)fputs(i ? "," : "", f);
            csv_field(f, json_string_value(json_array_get(cells, i)));
        }
        (void)fputs("\r\n", f);
    }
    return ferror(f) ? LL_EIO : 0;
}

/* Write to path.tmp, then rename: the file is complete or absent. */
static int write_file(const char *cmd, const char *path, json_t *rows)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        ll_cli_error(cmd, "-o '%s': path too long", path);
        return LL_EXIT_USAGE;
    }
    FILE *f = fopen(tmp, "wb");
    int rc = f == NULL ? LL_EIO : write_csv(f, rows);
    if (f != NULL && fclose(f) != 0)
        rc = LL_EIO;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = LL_EIO;
    if (rc) {
        (void)remove(tmp);
        ll_cli_error(cmd, "cannot write '%s'", path);
        return LL_EXIT_FAIL;
    }
    return LL_EXIT_OK;
}

/* ---- the command ------------------------------------------------------------
 */

/* Fetch the traces and merge their events and lots. */
static int gather(const char *cmd, struct world *w, bool *complete)
{
    const struct fopts *o = w->o;
    for (size_t i = 0; i < o->nlots; i++) {
        for (int dir = 0; dir < 2; dir++) {
            if ((dir == 0 && !o->backward) || (dir == 1 && !o->forward))
                continue;
            json_t *t = ll_cli_trace(cmd, o->node, o->lots[i], dir == 1);
            if (t == NULL)
                return LL_EIO;
            *complete =
                *complete && json_is_true(json_object_get(t, "complete"));
            json_t *a = json_object_get(t, "events");
            for (size_t k = 0; k < json_array_size(a); k++) {
                json_t *te = json_array_get(a, k);
                (void)json_object_set(w->events, ll_cli_str(te, "id"), te);
            }
            a = json_object_get(t, "lots");
            for (size_t k = 0; k < json_array_size(a); k++) {
                json_t *l = json_array_get(a, k);
                if (json_object_get(w->lots, ll_cli_str(l, "lot")) == NULL)
                    (void)json_object_set(w->lots, ll_cli_str(l, "lot"), l);
            }
            json_decref(t);
        }
    }
    return 0;
}

static int fsma_run(const char *cmd, struct world *w)
{
    bool complete = true;
    if (gather(cmd, w, &complete) != 0)
        return LL_EXIT_FAIL;
    index_creators(w);
    if (!complete)
        ll_cli_error(cmd, "warning: a trace reached its depth limit; rows "
                          "beyond it are missing");
    const char *id;
    json_t *te;
    json_object_foreach(w->events, id, te)
    {
        event_rows(w, te);
    }
    size_t n = json_array_size(w->rows);
    json_t **v = ll_calloc(n + 1, sizeof(json_t *));
    if (v == NULL)
        return LL_EXIT_FAIL;
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(w->rows, i));
    qsort(v, n, sizeof(json_t *), by_time);
    (void)json_array_clear(w->rows);
    for (size_t i = 0; i < n; i++)
        (void)json_array_append_new(w->rows, v[i]);
    ll_free(v);
    if (w->o->out != NULL)
        return write_file(cmd, w->o->out, w->rows);
    return write_csv(stdout, w->rows) == 0 ? LL_EXIT_OK : LL_EXIT_FAIL;
}

int ll_cmd_fsma(int argc, char **argv)
{
    const char *cmd = argv[0];
    struct fopts o;
    memset(&o, 0, sizeof(o));
    o.node = "http://127.0.0.1:8080";
    int st = fsma_args(argc, argv, &o);
    if (st >= 0)
        return st;
    struct world w = {json_object(), json_object(), NULL, &o,
                      json_array(),  json_object()};
    if (o.genesis != NULL) {
        struct ll_errmsg e = {{0}};
        w.g = ll_calloc(1, sizeof(*w.g));
        if (w.g == NULL || ll_genesis_load(w.g, o.genesis, &e) != 0) {
            ll_cli_error(cmd, "genesis '%s': %s", o.genesis,
                         w.g != NULL ? e.text : "out of memory");
            st = LL_EXIT_USAGE;
        }
    }
    if (st < 0)
        st = fsma_run(cmd, &w);
    json_decref(w.events);
    json_decref(w.lots);
    json_decref(w.rows);
    json_decref(w.made_at);
    ll_free(w.g);
    return st;
}
