/* SPDX-License-Identifier: MIT */
/*
 * lotledger scan DATA: what a GS1 barcode or Digital Link URI says. Parses
 * the raw data a scanner sends (symbology prefix, GS separators) or a
 * Digital Link URI, checks every AI against the GS1 Barcode Syntax
 * Dictionary (ledger/gs1.c), and prints the AIs, the lot id lotledger
 * uses, the bracketed element string and the Digital Link URI.
 */
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "../ledger/gs1.h"
#include "client.h"

static const char usage[] =
    "usage: lotledger scan DATA|- [--json] [--partial] [--base-url URL]\n"
    "\n"
    "Parse and check GS1 barcode data or a GS1 Digital Link URI, then\n"
    "print its AIs and the lot id. DATA (or '-' to read it from stdin, as\n"
    "a scanner in serial mode sends it) is one of:\n"
    "  ]d2010950600013435217251231"
    "\\x1d"
    "10ABC   scanned data: symbology\n"
    "      prefix (]C1 GS1-128, ]e0 DataBar, ]d2 DataMatrix, ]Q3 QR,\n"
    "      ]J1 DotCode, ]E0 EAN-13/UPC-A, ]E4 EAN-8), GS (0x1D) after\n"
    "      each variable-length value; in a shell: $'...\\x1d...'\n"
    "  ^010950600013435210ABC                 '^' for FNC1 / GS\n"
    "  (01)09506000134352(10)ABC              bracketed ('\\(' = '(')\n"
    "  https://id.gs1.org/01/09506000134352/10/ABC?17=251231\n"
    "                                         a Digital Link URI\n"
    "\n"
    "  --json          one JSON object: source, symbology, carrier,\n"
    "                  elements [{ai, title, value, date?}], lot_id,\n"
    "                  element_string, digital_link\n"
    "  --partial       the item carries more barcodes: do not require AIs\n"
    "                  (such as (01) for a (10)) that another may hold\n"
    "  --base-url URL  domain of the Digital Link printed\n"
    "                  (default https://id.gs1.org)\n"
    "\n"
    "Exit status: 0 valid, 1 invalid data (the error names the AI and the\n"
    "problem), 2 usage error.\n";

struct sopts {
    const char *data;
    const char *base;
    bool json;
    unsigned flags;
};

static int scan_args(int argc, char **argv, struct sopts *o)
{
    const char *cmd = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            (void)fputs(usage, stdout);
            return LL_EXIT_OK;
        }
        if ((a[0] != '-' || strcmp(a, "-") == 0) && o->data == NULL) {
            o->data = a;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--partial") == 0) {
            o->flags |= LL_GS1_PARTIAL;
        } else if (i + 1 < argc && strcmp(a, "--base-url") == 0) {
            o->base = argv[++i];
        } else {
            ll_cli_error(cmd, "unexpected argument '%s' (see --help)", a);
            return LL_EXIT_USAGE;
        }
    }
    if (o->data == NULL) {
        ll_cli_error(cmd, "DATA is required (or '-' for stdin; see --help)");
        return LL_EXIT_USAGE;
    }
    if (strncmp(o->base, "https://", 8) != 0 &&
        strncmp(o->base, "http://", 7) != 0) {
        ll_cli_error(cmd, "--base-url '%s': an http:// or https:// URL",
                     o->base);
        return LL_EXIT_USAGE;
    }
    return -1;
}

/* The data from stdin, at most LL_GS1_INPUT_MAX bytes (+1 to see more). */
static int read_stdin(const char *cmd, char *buf, size_t cap, size_t *len)
{
    *len = fread(buf, 1, cap, stdin);
    if (ferror(stdin)) {
        ll_cli_error(cmd, "cannot read stdin");
        return LL_EXIT_FAIL;
    }
    if (*len == cap) {
        ll_cli_error(cmd, "more than %d bytes on stdin", LL_GS1_INPUT_MAX);
        return LL_EXIT_FAIL;
    }
    return LL_EXIT_OK;
}

/* The date of a YYMMDD-valued AI (prod, best before, expiry, ...) or "". */
static void element_date(const struct ll_gs1_element *el, char out[11])
{
    char d[7];
    out[0] = '\0';
    if (strncmp(el->row->spec, "N6,yymm", 7) != 0 || strlen(el->value) < 6)
        return;
    memcpy(d, el->value, 6);
    d[6] = '\0';
    time_t now = time(NULL);
    struct tm tm;
    int year = gmtime_r(&now, &tm) != NULL ? tm.tm_year + 1900 : 2026;
    if (ll_gs1_date(d, year, out) != 0)
        out[0] = '\0';
}

static const char *source_name(const struct ll_gs1_msg *m)
{
    switch (m->source) {
    case LL_GS1_SRC_DL:
        return "digital-link";
    case LL_GS1_SRC_BRACKETED:
        return "bracketed";
    default:
        return "scan";
    }
}

static int print_json(const struct ll_gs1_msg *m, const char *lot,
                      const char *brk, const char *dl)
{
    json_t *els = json_array();
    json_t *j = json_pack("{s:s, s:s?, s:s?, s:o, s:s?, s:s, s:s?}", "source",
                          source_name(m), "symbology",
                          m->symbology[0] ? m->symbology : NULL, "carrier",
                          m->carrier, "elements", els, "lot_id", lot,
                          "element_string", brk, "digital_link", dl);
    for (size_t i = 0; j != NULL && i < m->n; i++) {
        const struct ll_gs1_element *el = &m->el[i];
        char date[11];
        element_date(el, date);
        json_t *o = json_pack("{s:s, s:s, s:s}", "ai", el->ai, "title",
                              el->row->title, "value", el->value);
        if (o != NULL && date[0] != '\0')
            (void)json_object_set_new(o, "date", json_string(date));
        if (o == NULL || json_array_append_new(els, o) != 0)
            break;
    }
    int rc = j != NULL
                 ? json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
                 : -1;
    json_decref(j);
    if (rc != 0)
        return LL_EXIT_FAIL;
    (void)putchar('\n');
    return LL_EXIT_OK;
}

static void print_table(const struct ll_gs1_msg *m, const char *lot,
                        const char *brk, const char *dl)
{
    if (m->carrier != NULL)
        printf("%s (%s)\n", m->carrier, m->symbology);
    else
        printf("%s\n", m->source == LL_GS1_SRC_DL          ? "Digital Link URI"
                       : m->source == LL_GS1_SRC_BRACKETED ? "bracketed AIs"
                                                           : "element string");
    for (size_t i = 0; i < m->n; i++) {
        const struct ll_gs1_element *el = &m->el[i];
        char ai[8];
        char date[11];
        (void)snprintf(ai, sizeof(ai), "(%s)", el->ai);
        element_date(el, date);
        printf("  %-6s %-24s %s%s%s%s\n", ai, el->value, el->row->title,
               date[0] ? " (" : "", date, date[0] ? ")" : "");
    }
    printf("lot id:         %s\n", lot != NULL ? lot : "-");
    printf("element string: %s\n", brk);
    printf("digital link:   %s\n", dl != NULL ? dl : "-");
}

int ll_cmd_scan(int argc, char **argv)
{
    const char *cmd = argv[0];
    struct sopts o = {NULL, "https://id.gs1.org", false, 0};
    int st = scan_args(argc, argv, &o);
    if (st >= 0)
        return st;
    static char in[LL_GS1_INPUT_MAX + 1];
    size_t len = strlen(o.data);
    const char *data = o.data;
    if (strcmp(o.data, "-") == 0) {
        st = read_stdin(cmd, in, sizeof(in), &len);
        if (st != LL_EXIT_OK)
            return st;
        data = in;
    }
    static struct ll_gs1_msg m;
    struct ll_errmsg e = {{0}};
    if (ll_gs1_parse(&m, data, len, o.flags, &e) != 0) {
        ll_cli_error(cmd, "%s", e.text);
        return LL_EXIT_FAIL;
    }
    char lot[LL_LOTID_MAX + 1];
    char brk[2 * LL_GS1_INPUT_MAX];
    char dl[4 * LL_GS1_INPUT_MAX];
    bool has_lot = ll_gs1_lot_id(&m, lot, sizeof(lot)) == 0;
    bool has_dl = ll_gs1_to_dl(&m, o.base, dl, sizeof(dl), NULL) == 0;
    if (ll_gs1_to_bracketed(&m, brk, sizeof(brk)) != 0)
        brk[0] = '\0';
    if (o.json)
        return print_json(&m, has_lot ? lot : NULL, brk, has_dl ? dl : NULL);
    print_table(&m, has_lot ? lot : NULL, brk, has_dl ? dl : NULL);
    return LL_EXIT_OK;
}
