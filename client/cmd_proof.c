/* SPDX-License-Identifier: MIT */
/*
 * lotledger proof LOT -o FILE: fetch a trace proof bundle from a node.
 * lotledger verify --genesis GENESIS FILE: check one offline, with nothing
 * but the network's genesis file (no node, no network).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ledger/proof.h"
#include "client.h"

static const char proof_usage[] =
    "usage: lotledger proof LOT_ID -o FILE [--forward] [--depth N] "
    "[--node URL]\n"
    "\n"
    "Fetch the proof bundle of a lot's trace (backward by default) from a\n"
    "node and write it to FILE, for `lotledger verify` to check offline.\n";

static const char verify_usage[] =
    "usage: lotledger verify --genesis GENESIS FILE\n"
    "\n"
    "Check a proof bundle offline against the network's genesis file: the\n"
    "quorum commit, the state proof of every lot, each lot's whole event\n"
    "log, every signature, and that the trace is closed. Exit 0 with a\n"
    "report, 1 with the first failed check named.\n";

struct popts {
    const char *node;
    const char *lot;
    const char *out;
    const char *dir;
    uint64_t depth;
};

static int proof_args(int argc, char **argv, struct popts *o)
{
    const char *cmd = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            (void)fputs(proof_usage, stdout);
            return LL_EXIT_OK;
        }
        if (strcmp(a, "--forward") == 0) {
            o->dir = "forward";
        } else if (a[0] != '-' && o->lot == NULL) {
            o->lot = a;
        } else if (v != NULL && strcmp(a, "--node") == 0) {
            o->node = argv[++i];
        } else if (v != NULL && strcmp(a, "-o") == 0) {
            o->out = argv[++i];
        } else if (v != NULL && strcmp(a, "--depth") == 0) {
            if (ll_cli_uint(cmd, "--depth", argv[++i], 0, 64, &o->depth) != 0)
                return LL_EXIT_USAGE;
        } else {
            ll_cli_error(cmd, "unexpected argument '%s' (see --help)", a);
            return LL_EXIT_USAGE;
        }
    }
    struct ll_errmsg e = {{0}};
    if (o->lot == NULL || o->out == NULL) {
        ll_cli_error(cmd, "LOT_ID and -o FILE are required (see --help)");
        return LL_EXIT_USAGE;
    }
    if (ll_lotid_check(o->lot, &e) != 0) {
        ll_cli_error(cmd, "%s", e.text);
        return LL_EXIT_USAGE;
    }
    return -1;
}

int ll_cmd_proof(int argc, char **argv)
{
    const char *cmd = argv[0];
    struct popts o = {"http://127.0.0.1:8080", NULL, NULL, "backward", 16};
    int st = proof_args(argc, argv, &o);
    if (st >= 0)
        return st;
    char esc[3 * LL_LOTID_MAX + 1];
    char url[4096];
    if (ll_lotid_url_escape(esc, sizeof(esc), o.lot) != 0 ||
        snprintf(url, sizeof(url), "%s/v1/lots/%s/proof?direction=%s&depth=%u",
                 o.node, esc, o.dir, (unsigned)o.depth) >= (int)sizeof(url)) {
        ll_cli_error(cmd, "--node URL too long");
        return LL_EXIT_USAGE;
    }
    struct ll_buf resp;
    struct ll_errmsg e = {{0}};
    long status = 0;
    ll_buf_init(&resp, LL_PROOF_MAX_BYTES + 1);
    int rc = ll_cli_http("GET", url, NULL, NULL, 0, &status, &resp, &e);
    st = LL_EXIT_FAIL;
    if (rc) {
        ll_cli_error(cmd, "%s", e.text);
    } else if (status != 200) {
        ll_cli_node_error(cmd, status, &resp);
    } else {
        FILE *f = fopen(o.out, "wb");
        if (f == NULL || fwrite(resp.data, 1, resp.len, f) != resp.len ||
            fclose(f) != 0) {
            ll_cli_error(cmd, "cannot write '%s'", o.out);
        } else {
            printf("wrote %s (%zu bytes): the %s trace proof of %s\n", o.out,
                   resp.len, o.dir, o.lot);
            st = LL_EXIT_OK;
        }
    }
    ll_buf_free(&resp);
    return st;
}

/*
 * Read a whole file of at most max bytes into *out (heap; ll_free).
 * Returns 0, LL_EIO (cannot open or read), LL_ETOOBIG, LL_ENOMEM.
 */
static int slurp(const char *path, size_t max, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct ll_buf b;
    uint8_t chunk[65536];
    ll_buf_init(&b, max);
    if (f == NULL)
        return LL_EIO;
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = ll_buf_append(&b, chunk, n);
    if (rc == 0 && ferror(f))
        rc = LL_EIO;
    (void)fclose(f);
    if (rc == 0 && b.data == NULL) {
        b.data = ll_malloc(1); /* empty file: a valid pointer, length 0 */
        rc = b.data == NULL ? LL_ENOMEM : 0;
    }
    if (rc) {
        ll_buf_free(&b);
        return rc;
    }
    *out = b.data;
    *len = b.len;
    return 0;
}

static void report(const struct ll_proof_report *r)
{
    char when[40] = "";
    char hash[65];
    if (ll_time_format(when, sizeof(when), r->time_ms, 0) != 0)
        when[0] = '\0';
    if (ll_hex_encode(hash, sizeof(hash), r->block, 32) != 0)
        hash[0] = '\0';
    printf("ok: %s trace of %s\n", ll_trace_dir_name(r->dir), r->lot);
    printf("  block      %llu (%s), header %s\n", (unsigned long long)r->height,
           when, hash);
    printf("  lots       %zu (%zu transform step%s, %u level%s deep)\n",
           r->lots, r->transforms, r->transforms == 1 ? "" : "s", r->depth,
           r->depth == 1 ? "" : "s");
    printf("  events     %zu, signed by %zu organisation%s\n", r->events,
           r->orgs, r->orgs == 1 ? "" : "s");
    printf("  rules      the custody rules, replayed, reproduce the state of "
           "%zu of the followed lots\n",
           r->rules_checked);
    if (r->unexpanded == 0)
        printf("  complete as of height %llu: every lot's whole log is "
               "here and every transform is followed\n",
               (unsigned long long)r->height);
    else
        printf("  depth-limited: %zu lot%s named but not followed\n",
               r->unexpanded, r->unexpanded == 1 ? "" : "s");
}

int ll_cmd_verify(int argc, char **argv)
{
    const char *cmd = argv[0];
    const char *gpath = NULL;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            (void)fputs(verify_usage, stdout);
            return LL_EXIT_OK;
        }
        if (strcmp(argv[i], "--genesis") == 0 && i + 1 < argc) {
            gpath = argv[++i];
        } else if (argv[i][0] != '-' && file == NULL) {
            file = argv[i];
        } else {
            ll_cli_error(cmd, "unexpected argument '%s' (see --help)", argv[i]);
            return LL_EXIT_USAGE;
        }
    }
    if (gpath == NULL || file == NULL) {
        ll_cli_error(cmd, "--genesis GENESIS and FILE are required");
        return LL_EXIT_USAGE;
    }
    struct ll_errmsg e = {{0}};
    struct ll_genesis *g = ll_calloc(1, sizeof(*g));
    if (g == NULL) {
        ll_cli_error(cmd, "%s", ll_strerror(LL_ENOMEM));
        return LL_EXIT_FAIL;
    }
    int rc = ll_genesis_load(g, gpath, &e);
    if (rc) {
        ll_cli_error(cmd, "genesis '%s': %s", gpath, e.text);
        ll_free(g);
        /* Only a bad file is the caller's mistake. */
        return rc == LL_ENOMEM ? LL_EXIT_FAIL : LL_EXIT_USAGE;
    }
    size_t len = 0;
    uint8_t *bundle = NULL;
    rc = slurp(file, LL_PROOF_MAX_BYTES + 1, &bundle, &len);
    if (rc == LL_ENOMEM) {
        ll_cli_error(cmd, "reading '%s': %s", file, ll_strerror(rc));
        ll_free(g);
        return LL_EXIT_FAIL;
    }
    if (rc) {
        ll_cli_error(cmd, "cannot read '%s' (or it is over %zu bytes)", file,
                     LL_PROOF_MAX_BYTES);
        ll_free(g);
        return LL_EXIT_USAGE;
    }
    struct ll_proof_report r;
    rc = ll_proof_verify(g, bundle, len, &r, &e);
    if (rc == LL_ENOMEM) /* not a verdict on the bundle */
        ll_cli_error(cmd, "%s: cannot check it: %s", file,
                     e.text[0] ? e.text : ll_strerror(rc));
    else if (rc)
        ll_cli_error(cmd, "%s: REJECTED: %s (%s)", file, e.text,
                     ll_err_name(rc));
    else
        report(&r);
    ll_free(bundle);
    ll_free(g);
    return rc ? LL_EXIT_FAIL : LL_EXIT_OK;
}
