/* SPDX-License-Identifier: MIT */
/*
 * lotledger expiring --org ORG [--within 14d]: the organisation's stock
 * that expires (or passes its best-before date) within the window, first
 * expired first out — what to sell, use or pull first.
 */
#include <jansson.h>
#include <string.h>

#include "client.h"

static const char usage[] =
    "usage: lotledger expiring --org ORG [--within DAYS[d]] [--json] "
    "[--node URL]\n"
    "\n"
    "Lots ORG holds whose expiry (or best-before) date is within DAYS\n"
    "(default 14) from today, earliest first; already expired ones first\n"
    "of all, marked EXPIRED.\n";

static void table(json_t *j)
{
    json_t *lots = json_object_get(j, "lots");
    const char *today = ll_cli_str(j, "today");
    printf("%s: %zu lot%s expiring by %s + %lld days (height %lld)\n\n",
           ll_cli_str(j, "org"), json_array_size(lots),
           json_array_size(lots) == 1 ? "" : "s", today,
           json_integer_value(json_object_get(j, "within_days")),
           json_integer_value(json_object_get(j, "height")));
    if (json_array_size(lots) == 0)
        return;
    printf("%-10s %-11s %-40s %-24s %12s %s\n", "DATE", "KIND", "LOT",
           "PRODUCT", "QUANTITY", "STATUS");
    for (size_t i = 0; i < json_array_size(lots); i++) {
        json_t *l = json_array_get(lots, i);
        long long q = json_integer_value(json_object_get(l, "quantity"));
        char qty[48];
        (void)snprintf(qty, sizeof(qty), "%lld.%03lld %s", q / 1000, q % 1000,
                       ll_cli_str(l, "uom"));
        bool expired = strcmp(ll_cli_str(l, "date"), today) < 0;
        printf("%-10s %-11s %-40s %-24.24s %12s %s%s\n", ll_cli_str(l, "date"),
               ll_cli_str(l, "kind"), ll_cli_str(l, "lot"),
               ll_cli_str(l, "product"), qty, ll_cli_str(l, "status"),
               expired ? " EXPIRED" : "");
    }
}

/* GET the list and print it. Returns the exit status. */
static int fetch(const char *cmd, const char *url, bool as_json)
{
    struct ll_buf resp;
    struct ll_errmsg e = {{0}};
    long status = 0;
    int st = LL_EXIT_FAIL;
    ll_buf_init(&resp, (size_t)64 << 20);
    int rc = ll_cli_http("GET", url, NULL, NULL, 0, &status, &resp, &e);
    if (rc) {
        ll_cli_error(cmd, "%s", e.text);
    } else if (status != 200) {
        ll_cli_node_error(cmd, status, &resp);
    } else if (as_json) {
        printf("%s\n", (const char *)resp.data);
        st = LL_EXIT_OK;
    } else {
        json_error_t je;
        json_t *j = json_loadb((const char *)resp.data, resp.len, 0, &je);
        if (json_is_array(json_object_get(j, "lots"))) {
            table(j);
            st = LL_EXIT_OK;
        } else {
            ll_cli_error(cmd, "the node's answer is not an expiring list");
        }
        json_decref(j);
    }
    ll_buf_free(&resp);
    return st;
}

int ll_cmd_expiring(int argc, char **argv)
{
    const char *cmd = argv[0];
    const char *node = "http://127.0.0.1:8080";
    const char *org = NULL;
    const char *within = "14";
    bool as_json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool val = i + 1 < argc;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            (void)fputs(usage, stdout);
            return LL_EXIT_OK;
        }
        if (strcmp(a, "--json") == 0) {
            as_json = true;
        } else if (val && strcmp(a, "--org") == 0) {
            org = argv[++i];
        } else if (val && strcmp(a, "--within") == 0) {
            within = argv[++i];
        } else if (val && strcmp(a, "--node") == 0) {
            node = argv[++i];
        } else {
            ll_cli_error(cmd, "unexpected argument '%s' (see --help)", a);
            return LL_EXIT_USAGE;
        }
    }
    if (org == NULL || !ll_id_is_valid(org, 64)) {
        ll_cli_error(cmd, "--org ID is required (an organisation id)");
        return LL_EXIT_USAGE;
    }
    char days[16];
    uint64_t d = 0;
    size_t wl = strlen(within);
    if (wl == 0 || wl >= sizeof(days)) {
        ll_cli_error(cmd, "--within '%s': a number of days, e.g. 14d", within);
        return LL_EXIT_USAGE;
    }
    (void)snprintf(days, sizeof(days), "%.*s",
                   (int)(within[wl - 1] == 'd' ? wl - 1 : wl), within);
    if (ll_cli_uint(cmd, "--within", days, 0, 3650, &d) != 0)
        return LL_EXIT_USAGE;
    char url[1024];
    if (snprintf(url, sizeof(url), "%s/v1/orgs/%s/expiring?within=%llu", node,
                 org, (unsigned long long)d) >= (int)sizeof(url)) {
        ll_cli_error(cmd, "--node URL too long");
        return LL_EXIT_USAGE;
    }
    return fetch(cmd, url, as_json);
}
