/* SPDX-License-Identifier: MIT */
/*
 * lotledger log LOT --genesis GENESIS: read a lot's event log from a node
 * page by page (GET /v1/lots/{lot}/log), checking every page against the
 * network's genesis as it arrives (ll_log_page_verify): a lot of any size,
 * each page proven on its own.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../ledger/proof.h"
#include "client.h"

static const char log_usage[] =
    "usage: lotledger log LOT_ID --genesis GENESIS [--after N] [--limit M]\n"
    "                     [--all] [--node URL]\n"
    "\n"
    "Read a lot's event log from a node, one page (at most M events, 1000\n"
    "by default) at a time from position N (0), or every page with --all.\n"
    "Each page is checked against the genesis file: the block's quorum\n"
    "commit, the lot's state in that block, every event's signature and its\n"
    "place in the lot's committed log. Prints one line per event; exit 0 if\n"
    "every page verified, 1 with the first failed check named.\n";

struct lopts {
    const char *node;
    const char *lot;
    const char *genesis;
    uint64_t after;
    uint64_t limit;
    bool all;
};

static int log_args(int argc, char **argv, struct lopts *o)
{
    const char *cmd = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_v = i + 1 < argc;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            (void)fputs(log_usage, stdout);
            return LL_EXIT_OK;
        }
        if (strcmp(a, "--all") == 0) {
            o->all = true;
        } else if (a[0] != '-' && o->lot == NULL) {
            o->lot = a;
        } else if (has_v && strcmp(a, "--node") == 0) {
            o->node = argv[++i];
        } else if (has_v && strcmp(a, "--genesis") == 0) {
            o->genesis = argv[++i];
        } else if (has_v && strcmp(a, "--after") == 0) {
            if (ll_cli_uint(cmd, "--after", argv[++i], 0, (uint64_t)1 << 48,
                            &o->after) != 0)
                return LL_EXIT_USAGE;
        } else if (has_v && strcmp(a, "--limit") == 0) {
            if (ll_cli_uint(cmd, "--limit", argv[++i], 1, 1000, &o->limit) != 0)
                return LL_EXIT_USAGE;
        } else {
            ll_cli_error(cmd, "unexpected argument '%s' (see --help)", a);
            return LL_EXIT_USAGE;
        }
    }
    return -1;
}

/* The required arguments: 0 or LL_EXIT_USAGE. */
static int log_required(const char *cmd, const struct lopts *o)
{
    struct ll_errmsg e = {{0}};
    if (o->lot == NULL || o->genesis == NULL) {
        ll_cli_error(cmd, "LOT_ID and --genesis GENESIS are required (see "
                          "--help)");
        return LL_EXIT_USAGE;
    }
    if (ll_lotid_check(o->lot, &e) != 0) {
        ll_cli_error(cmd, "%s", e.text);
        return LL_EXIT_USAGE;
    }
    return 0;
}

/* One line per event of a verified page. */
static void print_page(const struct ll_buf *resp)
{
    json_t *j = json_loadb((const char *)resp->data, resp->len, 0, NULL);
    json_t *evs = json_object_get(j, "events");
    for (size_t i = 0; i < json_array_size(evs); i++) {
        json_t *x = json_array_get(evs, i);
        json_t *ev =
            json_object_get(json_object_get(x, "signed_event"), "event");
        const char *type = json_string_value(json_object_get(ev, "type"));
        const char *org = json_string_value(json_object_get(ev, "org"));
        printf("%8lld  block %-8lld %-10s %s\n",
               (long long)json_integer_value(json_object_get(x, "seq")),
               (long long)json_integer_value(json_object_get(x, "height")),
               type != NULL ? type : "?", org != NULL ? org : "?");
    }
    json_decref(j);
}

/* Fetch and verify the page at o->after; advances it. 0 or an exit code. */
static int one_page(const char *cmd, const struct lopts *o,
                    const struct ll_genesis *g, uint64_t *after,
                    struct ll_log_page_report *r)
{
    char esc[3 * LL_LOTID_MAX + 1];
    char url[4096];
    if (ll_lotid_url_escape(esc, sizeof(esc), o->lot) != 0 ||
        snprintf(url, sizeof(url), "%s/v1/lots/%s/log?after=%llu&limit=%llu",
                 o->node, esc, (unsigned long long)*after,
                 (unsigned long long)o->limit) >= (int)sizeof(url)) {
        ll_cli_error(cmd, "--node URL too long");
        return LL_EXIT_USAGE;
    }
    struct ll_buf resp;
    struct ll_errmsg e = {{0}};
    long status = 0;
    int st = LL_EXIT_FAIL;
    ll_buf_init(&resp, LL_LOG_PAGE_MAX_BYTES + 1);
    int rc = ll_cli_http("GET", url, NULL, NULL, 0, &status, &resp, &e);
    if (rc) {
        ll_cli_error(cmd, "%s", e.text);
    } else if (status != 200) {
        ll_cli_node_error(cmd, status, &resp);
    } else if ((rc = ll_log_page_verify(g, (const char *)resp.data, resp.len, r,
                                        &e)) != 0) {
        ll_cli_error(cmd, "page at %llu: REJECTED: %s (%s)",
                     (unsigned long long)*after, e.text, ll_err_name(rc));
    } else if (strcmp(r->lot, o->lot) != 0 || r->after != *after) {
        ll_cli_error(cmd,
                     "page at %llu: REJECTED: the node answered for "
                     "another lot or position",
                     (unsigned long long)*after);
    } else {
        print_page(&resp);
        *after += r->events;
        st = LL_EXIT_OK;
    }
    ll_buf_free(&resp);
    return st;
}

int ll_cmd_log(int argc, char **argv)
{
    const char *cmd = argv[0];
    struct lopts o = {"http://127.0.0.1:8080", NULL, NULL, 0, 1000, false};
    int st = log_args(argc, argv, &o);
    if (st >= 0)
        return st;
    if (log_required(cmd, &o) != 0)
        return LL_EXIT_USAGE;
    struct ll_errmsg e = {{0}};
    struct ll_genesis *g = ll_calloc(1, sizeof(*g));
    if (g == NULL)
        return LL_EXIT_FAIL;
    if (ll_genesis_load(g, o.genesis, &e) != 0) {
        ll_cli_error(cmd, "genesis '%s': %s", o.genesis, e.text);
        ll_free(g);
        return LL_EXIT_USAGE;
    }
    struct ll_log_page_report r;
    uint64_t after = o.after;
    uint64_t first = o.after;
    size_t pages = 0;
    do {
        st = one_page(cmd, &o, g, &after, &r);
        pages++;
    } while (st == LL_EXIT_OK && o.all && !r.last);
    if (st == LL_EXIT_OK)
        printf("ok: %llu events of lot %s from position %llu (%zu page%s; "
               "its log has %llu), verified against block %llu\n",
               (unsigned long long)(after - first), o.lot,
               (unsigned long long)first, pages, pages == 1 ? "" : "s",
               (unsigned long long)r.log_size, (unsigned long long)r.height);
    ll_free(g);
    return st;
}
