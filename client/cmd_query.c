/* SPDX-License-Identifier: MIT */
/*
 * lotledger status | lot LOT | event-get ID | block HEIGHT: read from a
 * node's API and print its JSON answer (for scripts) — errors go to stderr
 * with the node's reason and a non-zero exit.
 */
#include <string.h>

#include "client.h"

static const char usage[] =
    "usage: lotledger status [--node URL]\n"
    "       lotledger lot LOT_ID [--node URL]\n"
    "       lotledger event get EVENT_ID [--node URL]   (or event-get)\n"
    "       lotledger block HEIGHT [--node URL]\n"
    "\n"
    "Print the node's JSON answer. --node defaults to http://127.0.0.1:8080.\n";

int ll_cmd_event_get(int argc, char **argv)
{
    /* "event get ID" is "event-get ID". */
    if (argc < 2 || strcmp(argv[1], "get") != 0) {
        ll_cli_error("event", "the subcommand is 'event get ID'");
        return LL_EXIT_USAGE;
    }
    return ll_cmd_query(argc - 1, argv + 1);
}

/* The URL of a query: the argument escaped (a lot id as a lot id). */
static int query_url(char *url, size_t cap, const char *cmd, const char *node,
                     const char *arg)
{
    const char *path = strcmp(cmd, "status") == 0  ? "/v1/status"
                       : strcmp(cmd, "lot") == 0   ? "/v1/lots/"
                       : strcmp(cmd, "block") == 0 ? "/v1/blocks/"
                                                   : "/v1/events/";
    char esc[3 * LL_LOTID_MAX + 1] = "";
    int rc = arg == NULL ? 0
             : strcmp(cmd, "lot") == 0
                 ? ll_lotid_url_escape(esc, sizeof(esc), arg)
                 : ll_cli_escape(esc, sizeof(esc), arg, false);
    int n = snprintf(url, cap, "%s%s%s", node, path, esc);
    return rc != 0 || n < 0 || (size_t)n >= cap ? LL_ETOOBIG : 0;
}

int ll_cmd_query(int argc, char **argv)
{
    const char *cmd = strcmp(argv[0], "get") == 0 ? "event-get" : argv[0];
    const char *node = "http://127.0.0.1:8080";
    const char *arg = NULL;
    bool want_arg = strcmp(cmd, "status") != 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            (void)fputs(usage, stdout);
            return LL_EXIT_OK;
        }
        if (strcmp(argv[i], "--node") == 0 && i + 1 < argc) {
            node = argv[++i];
        } else if (want_arg && arg == NULL && argv[i][0] != '-') {
            arg = argv[i];
        } else {
            ll_cli_error(cmd, "unexpected argument '%s' (see --help)", argv[i]);
            return LL_EXIT_USAGE;
        }
    }
    if (want_arg && arg == NULL) {
        ll_cli_error(cmd, "which one? (see --help)");
        return LL_EXIT_USAGE;
    }
    char url[2048];
    if (query_url(url, sizeof(url), cmd, node, arg) != 0) {
        ll_cli_error(cmd, "argument too long");
        return LL_EXIT_USAGE;
    }
    struct ll_buf resp;
    struct ll_errmsg e = {{0}};
    long status = 0;
    ll_buf_init(&resp, 1 << 20);
    int rc = ll_cli_http("GET", url, NULL, NULL, 0, &status, &resp, &e);
    int exit_status = LL_EXIT_FAIL;
    if (rc) {
        ll_cli_error(cmd, "%s", e.text);
    } else if (status != 200) {
        ll_cli_node_error(cmd, status, &resp);
    } else {
        (void)fputs((const char *)resp.data, stdout);
        exit_status = LL_EXIT_OK;
    }
    ll_buf_free(&resp);
    return exit_status;
}
