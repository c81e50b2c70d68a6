/* SPDX-License-Identifier: MIT */
/*
 * lotledger verify-chain: check a ledger directory from genesis to its tip
 * (ll_ledger_verify): every header, commit, event signature, tx root, lot
 * log and the final state root. Read-only: LevelDB rewrites what it opens
 * (its log becomes a table, a new manifest is written), so it opens a
 * clone (ll_ledger_clone_dir: hard links beside the directory, or in TMPDIR)
 * and the directory is left byte for byte as it was. Never creates a
 * ledger.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * Clone dir into a new directory, written to tmp (4096 bytes): beside dir
 * (hard links, so no data is copied) or, where that is not writable, in
 * TMPDIR (a copy if it is another file system).
 * Returns: 0 or an ll_ledger_clone_dir error (e names it).
 */
static int clone_dir(char tmp[4096], const char *dir, struct ll_errmsg *e)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    const char *td = getenv("TMPDIR"); /* NOLINT: one thread */
    for (int i = 0; i < 2; i++) {
        int n = i == 0 ? snprintf(tmp, 4096, "%.*s.verify-XXXXXX", (int)dl, dir)
                       : snprintf(tmp, 4096, "%s/lotledger-verify-XXXXXX",
                                  td != NULL && td[0] != '\0' ? td : "/tmp");
        if (n < 0 || n >= 4096)
            continue;
        if (mkdtemp(tmp) == NULL)
            continue;
        /* ll_ledger_clone_dir makes the directory itself. */
        if (rmdir(tmp) != 0)
            continue;
        int rc = ll_ledger_clone_dir(dir, tmp, e);
        if (rc == 0)
            return 0;
        if (rc != LL_EIO && rc != LL_EEXIST)
            return rc; /* no ledger, damaged, in use: no other place helps */
    }
    if (e->text[0] == '\0')
        (void)ll_errmsg_set(e, LL_EIO,
                            "cannot make a directory beside %s or in TMPDIR "
                            "to check a clone of it",
                            dir);
    return LL_EIO;
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
    char tmp[4096];
    bool cloned = false;
    if (g == NULL) {
        ll_cli_error(argv[0], "out of memory");
        return LL_EXIT_FAIL;
    }
    int orc = ll_genesis_load(g, gpath, &e);
    if (orc != 0) {
        ll_cli_error(argv[0], "%s", e.text[0] ? e.text : ll_strerror(orc));
        goto out;
    }
    if (clone_dir(tmp, dir, &e) != 0) {
        ll_cli_error(argv[0], "%s", e.text);
        goto out;
    }
    cloned = true;
    static const struct ll_ledger_opts o = {0, false, false, true};
    orc = ll_ledger_open_opts(&l, tmp, g, &o, &e);
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
    if (cloned && ll_ledger_remove_clone(tmp) != 0)
        ll_cli_error(argv[0], "cannot remove the clone %s", tmp);
    ll_free(g);
    return status;
}
