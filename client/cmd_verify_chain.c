/* SPDX-License-Identifier: MIT */
/*
 * lotledger verify-chain: check a ledger directory from genesis to its tip
 * (ll_ledger_verify): every header, commit, event signature, tx root, lot
 * log and the final state root. Read-only; never creates a ledger.
 */
#include <string.h>

#include "client.h"

static const char usage[] =
    "usage: lotledger verify-chain --genesis FILE LEDGER_DIR\n"
    "\n"
    "Check a ledger directory (a node's data/ledger) from its genesis to its\n"
    "tip: every block header and link, every commit (more than 2/3 of the\n"
    "validators' power), every event signature against the key its\n"
    "organisation held at that height, every tx root, every lot's event log\n"
    "and the final state root. Exit 0 if all hold; 1 with the height and key\n"
    "of the first problem; 2 on a usage error.\n"
    "\n"
    "  --genesis FILE   the network's genesis file (JSON)\n"
    "  -h, --help       this help\n";

/*
 * Parse the arguments. Returns -1 to go on, or an exit status (help
 * printed, or a usage error reported).
 */
static int parse_args(int argc, char **argv, const char **gpath,
                      const char **dir)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            (void)fputs(usage, stdout);
            return LL_EXIT_OK;
        }
        if (strcmp(argv[i], "--genesis") == 0) {
            if (i + 1 >= argc) {
                ll_cli_error(argv[0], "--genesis needs a file name");
                return LL_EXIT_USAGE;
            }
            *gpath = argv[++i];
        } else if (argv[i][0] == '-') {
            ll_cli_error(argv[0], "unknown option '%s'", argv[i]);
            return LL_EXIT_USAGE;
        } else if (*dir == NULL) {
            *dir = argv[i];
        } else {
            ll_cli_error(argv[0], "unexpected argument '%s'", argv[i]);
            return LL_EXIT_USAGE;
        }
    }
    if (*gpath == NULL || *dir == NULL) {
        ll_cli_error(argv[0], "%s is required (see --help)",
                     *gpath == NULL ? "--genesis FILE" : "LEDGER_DIR");
        return LL_EXIT_USAGE;
    }
    return -1;
}

int ll_cmd_verify_chain(int argc, char **argv)
{
    const char *gpath = NULL;
    const char *dir = NULL;
    int st = parse_args(argc, argv, &gpath, &dir);
    if (st >= 0)
        return st;
    struct ll_errmsg e = {{0}};
    struct ll_genesis *g = ll_calloc(1, sizeof(*g));
    struct ll_ledger *l = NULL;
    int status = LL_EXIT_FAIL;
    if (g == NULL) {
        ll_cli_error(argv[0], "out of memory");
        return LL_EXIT_FAIL;
    }
    int orc = ll_genesis_load(g, gpath, &e);
    if (orc != 0) {
        ll_cli_error(argv[0], "%s", e.text[0] ? e.text : ll_strerror(orc));
        goto out;
    }
    orc = ll_ledger_open_existing(&l, dir, g, &e);
    if (orc != 0) {
        ll_cli_error(argv[0], "%s: %s", dir,
                     e.text[0] ? e.text : ll_strerror(orc));
        goto out;
    }
    struct ll_verify_report r;
    int rc = ll_ledger_verify(l, &r, &e);
    if (rc) {
        ll_cli_error(argv[0], "FAILED: %s (%s)",
                     e.text[0] ? e.text : ll_strerror(rc), ll_err_name(rc));
        goto out;
    }
    struct ll_ledger_tip tip;
    char root[65];
    ll_ledger_tip(l, &tip);
    if (ll_hex_encode(root, sizeof(root), tip.state_root, 32) != 0)
        root[0] = '\0';
    printf("ok: chain %s verified from genesis to height %llu\n", g->chain_id,
           (unsigned long long)r.height);
    printf("  events %llu, lots %llu, organisations %llu\n",
           (unsigned long long)r.events, (unsigned long long)r.lots,
           (unsigned long long)r.orgs);
    printf("  state root %s\n", root);
    status = LL_EXIT_OK;
out:
    ll_ledger_close(l);
    ll_free(g);
    return status;
}
