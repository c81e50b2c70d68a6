/* SPDX-License-Identifier: MIT */
/*
 * lotledger genesis: write a network's genesis file from the command line.
 * The organisations are collected into a genesis structure, written as
 * JSON by the ledger's writer and parsed back with the same strict parser
 * the node uses, so a file this command writes is one the node accepts;
 * any rule it breaks is reported by name and nothing is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

static const char usage[] =
    "usage: lotledger genesis -o FILE --chain-id ID [--time RFC3339] "
    "[--force]\n"
    "                         --org ID --name NAME [--gln GLN] --role ROLE...\n"
    "                         [--power N] --key KEY... [--noise-key HEX]\n"
    "                         [--org ...]\n"
    "\n"
    "Write a genesis file (docs/chain.md). Each --org starts an organisation;\n"
    "the options after it describe that organisation.\n"
    "\n"
    "  -o, --out FILE     the file to write (not overwritten without --force)\n"
    "  --chain-id ID      the network's id, [a-z0-9][a-z0-9._-]*\n"
    "  --time T           genesis time, RFC 3339 (default: now)\n"
    "  --org ID           a new organisation with this id\n"
    "  --name NAME        its display name\n"
    "  --gln GLN          its 13-digit GS1 Global Location Number\n"
    "  --role ROLE        member, validator or regulator (repeat for more)\n"
    "  --power N          voting power (validators only)\n"
    "  --key KEY          a signing key: a keystore file (its public key is\n"
    "                     read without the passphrase) or 64 hex digits\n"
    "  --noise-key HEX    the X25519 key of its node (64 hex digits)\n"
    "  --force            replace an existing FILE\n"
    "  -h, --help         this help\n";

struct gen_args {
    const char *out;
    bool force;
    struct ll_genesis *g;
    lotledger_OrgState *org; /* the organisation being described */
};

/* A keystore file's public key, or a 64-hex-digit key. */
static int read_key(const char *cmd, const char *arg, uint8_t pk[32])
{
    struct ll_pubkey parsed;
    if (strlen(arg) == 64 && ll_hex_decode(pk, 32, arg, 64) == 0) {
        if (ll_pubkey_parse(&parsed, pk) != 0) {
            ll_cli_error(cmd, "--key %s is not a valid BIP-340 public key",
                         arg);
            return LL_EINVAL;
        }
        return 0;
    }
    uint8_t buf[LL_KEYSTORE_LEN + 1];
    FILE *f = fopen(arg, "rb");
    if (f == NULL) {
        ll_cli_error(cmd,
                     "--key '%s' is neither 64 hex digits nor a "
                     "readable keystore file",
                     arg);
        return LL_EINVAL;
    }
    size_t n = fread(buf, 1, sizeof(buf), f);
    (void)fclose(f);
    struct ll_keystore_info info;
    int rc = ll_keystore_inspect(&info, buf, n);
    if (rc) {
        ll_cli_error(cmd, "--key '%s' is not a keystore: %s", arg,
                     ll_strerror(rc));
        return rc;
    }
    memcpy(pk, info.pk, 32);
    return 0;
}

/* Copy s into a fixed field, refusing what does not fit. */
static int set_str(const char *cmd, const char *opt, char *dst, size_t cap,
                   const char *s)
{
    if (strlen(s) >= cap) {
        ll_cli_error(cmd, "%s '%s' is longer than %zu bytes", opt, s, cap - 1);
        return LL_ETOOBIG;
    }
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

static int add_role(const char *cmd, lotledger_OrgState *o, const char *r)
{
    uint32_t bit = strcmp(r, "member") == 0      ? LL_ROLE_MEMBER
                   : strcmp(r, "validator") == 0 ? LL_ROLE_VALIDATOR
                   : strcmp(r, "regulator") == 0 ? LL_ROLE_REGULATOR
                                                 : 0;
    if (bit == 0) {
        ll_cli_error(cmd, "--role '%s': use member, validator or regulator", r);
        return LL_EINVAL;
    }
    o->roles |= bit;
    return 0;
}

static int add_key(const char *cmd, lotledger_OrgState *o, const char *k)
{
    if (o->keys_count == LL_ARRAY_LEN(o->keys)) {
        ll_cli_error(cmd, "org %s: at most %zu keys", o->id,
                     LL_ARRAY_LEN(o->keys));
        return LL_ETOOBIG;
    }
    lotledger_OrgKey *ok = &o->keys[o->keys_count];
    int rc = read_key(cmd, k, ok->pk.bytes);
    if (rc == 0) {
        ok->pk.size = 32;
        o->keys_count++;
    }
    return rc;
}

/* An option that describes the current organisation. */
static int org_option(const char *cmd, lotledger_OrgState *o, const char *opt,
                      const char *val)
{
    uint64_t v = 0;
    if (strcmp(opt, "--name") == 0)
        return set_str(cmd, opt, o->name, sizeof(o->name), val);
    if (strcmp(opt, "--gln") == 0)
        return set_str(cmd, opt, o->gln, sizeof(o->gln), val);
    if (strcmp(opt, "--role") == 0)
        return add_role(cmd, o, val);
    if (strcmp(opt, "--key") == 0)
        return add_key(cmd, o, val);
    if (strcmp(opt, "--power") == 0) {
        int rc = ll_cli_uint(cmd, opt, val, 1, 1000000000, &v);
        o->power = v;
        return rc;
    }
    if (strcmp(opt, "--noise-key") == 0) {
        if (ll_hex_decode(o->noise_key.bytes, 32, val, strlen(val)) != 0) {
            ll_cli_error(cmd, "--noise-key must be 64 hex digits");
            return LL_EINVAL;
        }
        o->noise_key.size = 32;
        return 0;
    }
    ll_cli_error(cmd, "unknown option '%s' (see --help)", opt);
    return LL_EINVAL;
}

static int top_option(const char *cmd, struct gen_args *a, const char *opt,
                      const char *val)
{
    struct ll_genesis *g = a->g;
    if (strcmp(opt, "-o") == 0 || strcmp(opt, "--out") == 0) {
        a->out = val;
        return 0;
    }
    if (strcmp(opt, "--chain-id") == 0)
        return set_str(cmd, opt, g->chain_id, sizeof(g->chain_id), val);
    if (strcmp(opt, "--time") == 0) {
        if (ll_time_parse(&g->time_ms, NULL, val) != 0) {
            ll_cli_error(cmd, "--time '%s' is not an RFC 3339 timestamp", val);
            return LL_EINVAL;
        }
        return 0;
    }
    if (strcmp(opt, "--org") == 0) {
        if (g->norgs == LL_MAX_ORGS) {
            ll_cli_error(cmd, "at most %d organisations", LL_MAX_ORGS);
            return LL_ETOOBIG;
        }
        a->org = &g->orgs[g->norgs++];
        return set_str(cmd, opt, a->org->id, sizeof(a->org->id), val);
    }
    if (a->org == NULL) {
        ll_cli_error(cmd, "%s must follow --org ID", opt);
        return LL_EINVAL;
    }
    return org_option(cmd, a->org, opt, val);
}

static int parse_args(int argc, char **argv, struct gen_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
            (void)fputs(usage, stdout);
            return LL_EXIT_OK;
        }
        if (strcmp(o, "--force") == 0) {
            a->force = true;
            continue;
        }
        if (o[0] != '-') {
            ll_cli_error(argv[0], "unexpected argument '%s'", o);
            return LL_EXIT_USAGE;
        }
        if (i + 1 >= argc) {
            ll_cli_error(argv[0], "%s needs a value", o);
            return LL_EXIT_USAGE;
        }
        if (top_option(argv[0], a, o, argv[++i]) != 0)
            return LL_EXIT_USAGE;
    }
    if (a->out == NULL || a->g->chain_id[0] == '\0' || a->g->norgs == 0) {
        ll_cli_error(argv[0], "%s is required (see --help)",
                     a->out == NULL              ? "-o FILE"
                     : a->g->chain_id[0] == '\0' ? "--chain-id ID"
                                                 : "at least one --org");
        return LL_EXIT_USAGE;
    }
    return -1;
}

/* Write text to path: a new file, or replacing it with force. */
static int write_file(const char *cmd, const char *path, const char *text,
                      bool force)
{
    char tmp[4096];
    struct stat st;
    if (!force && stat(path, &st) == 0) {
        ll_cli_error(cmd, "'%s' already exists (use --force to replace it)",
                     path);
        return LL_EEXIST;
    }
    int n = snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return LL_EINVAL;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        ll_cli_error(cmd, "cannot create a file next to '%s': %s", path,
                     strerror(errno)); /* NOLINT: single-threaded CLI */
        return LL_EIO;
    }
    size_t len = strlen(text);
    bool ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0 &&
              fchmod(fd, 0644) == 0;
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        (void)unlink(tmp);
        ll_cli_error(cmd, "cannot write '%s': %s", path,
                     strerror(errno)); /* NOLINT: single-threaded CLI */
        return LL_EIO;
    }
    return 0;
}

int ll_cmd_genesis(int argc, char **argv)
{
    struct gen_args a = {NULL, false, ll_calloc(1, sizeof(struct ll_genesis)),
                         NULL};
    struct ll_genesis *check = ll_calloc(1, sizeof(*check));
    struct ll_buf json;
    int status = LL_EXIT_FAIL;
    ll_buf_init(&json, LL_GENESIS_MAX);
    if (a.g == NULL || check == NULL) {
        ll_cli_error(argv[0], "out of memory");
        goto out;
    }
    a.g->time_ms = (int64_t)time(NULL) * 1000;
    status = parse_args(argc, argv, &a);
    if (status >= 0)
        goto out;
    status = LL_EXIT_FAIL;
    if (ll_genesis_to_json(&json, a.g) != 0) {
        ll_cli_error(argv[0], "cannot write the genesis as JSON");
        goto out;
    }
    /* The node's parser is the judge of every rule. */
    struct ll_errmsg e = {{0}};
    if (ll_genesis_parse(check, (const char *)json.data, json.len, &e) != 0) {
        ll_cli_error(argv[0], "%s", e.text);
        status = LL_EXIT_USAGE;
        goto out;
    }
    if (write_file(argv[0], a.out, (const char *)json.data, a.force) != 0)
        goto out;
    char hex[65];
    size_t validators = 0;
    for (size_t i = 0; i < check->norgs; i++)
        validators += (check->orgs[i].roles & LL_ROLE_VALIDATOR) != 0;
    if (ll_hex_encode(hex, sizeof(hex), check->hash, 32) != 0)
        hex[0] = '\0';
    printf("wrote %s\nchain id:     %s\ngenesis hash: %s\n"
           "organisations: %zu (%zu validators)\n",
           a.out, check->chain_id, hex, check->norgs, validators);
    status = LL_EXIT_OK;
out:
    ll_buf_free(&json);
    ll_free(check);
    ll_free(a.g);
    return status;
}
