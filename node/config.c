/* SPDX-License-Identifier: MIT */
/*
 * The option table and its three readers: INI (libinih, the only file that
 * includes ini.h), command-line flags, and --help. Values are checked as
 * they are read: numbers against their range, strings against their
 * field's size (never truncated).
 */
#include <ini.h>
#include <stddef.h>
#include <string.h>

#include "config.h"

enum opt_type { OPT_STR, OPT_U64 };

struct opt {
    const char *section; /* INI section */
    const char *key;     /* INI key */
    const char *flag;    /* command-line flag */
    enum opt_type type;  /* string or number */
    size_t off;          /* field offset in struct ll_node_config */
    size_t cap;          /* OPT_STR: field size */
    uint64_t min;        /* OPT_U64: range */
    uint64_t max;
    const char *help; /* one line */
};

#define STR(sec, key, flag, field, help)                                       \
    {                                                                          \
        sec, key, flag, OPT_STR, offsetof(struct ll_node_config, field),       \
            sizeof(((struct ll_node_config *)0)->field), 0, 0, help            \
    }
#define U64(sec, key, flag, field, lo, hi, help)                               \
    {                                                                          \
        sec, key, flag, OPT_U64, offsetof(struct ll_node_config, field), 0,    \
            lo, hi, help                                                       \
    }

static const struct opt opts[] = {
    STR("node", "data_dir", "--data-dir", data_dir,
        "directory for the ledger (required)"),
    STR("node", "genesis", "--genesis", genesis,
        "the network's genesis file (required)"),
    STR("node", "org", "--org", org, "this node's organisation id (required)"),
    STR("node", "keystore", "--keystore", keystore,
        "the organisation's keystore file (required)"),
    STR("node", "passphrase_file", "--passphrase-file", passphrase_file,
        "file holding the keystore passphrase (else LOTLEDGER_PASSPHRASE)"),
    STR("node", "log_level", "--log-level", log_level,
        "debug, info, warn or error"),
    STR("http", "listen", "--http-listen", http_listen,
        "HTTP API address, IPv4:port (port 0 = any free port)"),
    STR("http", "capture_token", "--capture-token", capture_token,
        "bearer token that POST /v1/capture requires (empty = disabled)"),
    U64("http", "max_body", "--max-body", max_body, 1024, 16777216,
        "largest request body, bytes"),
    U64("http", "max_header", "--max-header", max_header, 1024, 65536,
        "largest request header block, bytes"),
    U64("http", "max_connections", "--max-connections", max_connections, 1,
        65536, "open HTTP connections"),
    U64("http", "max_queued", "--max-queued", max_queued, 4096, 1073741824,
        "answer bytes queued for one connection before it is not read"),
    U64("http", "header_timeout_ms", "--header-timeout", header_timeout, 1,
        3600000, "ms from a request's first byte to the end of its headers"),
    U64("http", "body_timeout_ms", "--body-timeout", body_timeout, 1, 3600000,
        "ms from the end of a request's headers to the end of its body"),
    U64("http", "idle_timeout_ms", "--idle-timeout", idle_timeout, 1, 3600000,
        "ms a connection waits for a request, or for its client to read"),
    U64("http", "rate_limit", "--rate-limit", rate_limit, 1, 1000000,
        "requests per second per client address"),
    U64("mempool", "max", "--mempool-max", mempool_max, 1, 10000000,
        "events waiting for a block"),
    U64("block", "max_events", "--block-max", block_max, 1, 100000,
        "events in one block"),
    U64("block", "interval_ms", "--block-interval", block_interval, 1, 60000,
        "milliseconds between blocks while events wait"),
    U64("store", "write_buffer_mb", "--write-buffer-mb", write_buffer_mb, 1,
        1024, "LevelDB write buffer (memtable), MiB"),
};

void ll_config_defaults(struct ll_node_config *c)
{
    memset(c, 0, sizeof(*c));
    (void)snprintf(c->http_listen, sizeof(c->http_listen), "127.0.0.1:8080");
    (void)snprintf(c->log_level, sizeof(c->log_level), "info");
    c->max_body = 1048576;
    c->max_header = 16384;
    c->max_connections = 256;
    c->max_queued = 1048576;
    c->header_timeout = 10000;
    c->body_timeout = 30000;
    c->idle_timeout = 60000;
    c->rate_limit = 1000;
    c->mempool_max = 100000;
    c->block_max = 10000;
    c->block_interval = 200;
    /* Larger than the library's 8 MiB: fewer, larger flushes, so the
     * compaction thread, which shares the cores with the node, rewrites
     * level 1 less often (bench_node: about 6 us of CPU per event less
     * than 8 MiB, for up to twice this much memory). */
    c->write_buffer_mb = 64;
}

/* Set one option from text. Returns 0 or LL_EINVAL with e naming it. */
static int set_opt(struct ll_node_config *c, const struct opt *o,
                   const char *name, const char *val, struct ll_errmsg *e)
{
    char *field = (char *)c + o->off;
    if (o->type == OPT_STR) {
        size_t n = strlen(val);
        if (n >= o->cap)
            return ll_errmsg_set(e, LL_EINVAL,
                                 "%s: value is %zu bytes, at most %zu", name, n,
                                 o->cap - 1);
        memcpy(field, val, n + 1);
        return 0;
    }
    uint64_t v = 0;
    const char *p = val;
    if (*p == '\0')
        return ll_errmsg_set(e, LL_EINVAL, "%s: needs a number", name);
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
            return ll_errmsg_set(e, LL_EINVAL, "%s: '%s' is not a number", name,
                                 val);
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v < o->min || v > o->max)
        return ll_errmsg_set(e, LL_EINVAL, "%s: %s is outside %llu..%llu", name,
                             val, (unsigned long long)o->min,
                             (unsigned long long)o->max);
    memcpy(field, &v, sizeof(v));
    return 0;
}

struct ini_ctx {
    struct ll_node_config *c;
    struct ll_errmsg *e;
    int rc; /* first error */
};

/* libinih's callback: 1 to go on, 0 to report an error on this line. */
static int ini_cb(void *user, const char *section, const char *key,
                  const char *val)
{
    struct ini_ctx *x = user;
    char name[128];
    (void)snprintf(name, sizeof(name), "[%s] %s", section, key);
    for (size_t i = 0; i < LL_ARRAY_LEN(opts); i++) {
        if (strcmp(opts[i].section, section) != 0 ||
            strcmp(opts[i].key, key) != 0)
            continue;
        int rc = set_opt(x->c, &opts[i], name, val, x->rc ? NULL : x->e);
        if (rc && x->rc == 0)
            x->rc = rc;
        return rc == 0;
    }
    if (x->rc == 0)
        x->rc = ll_errmsg_set(x->e, LL_EINVAL, "%s: unknown option", name);
    return 0;
}

static int ini_result(int line, struct ini_ctx *x, const char *src)
{
    if (line == 0)
        return 0;
    if (line < 0)
        return ll_errmsg_set(x->e, LL_EIO, "cannot read config file %s", src);
    if (x->rc == 0)
        return ll_errmsg_set(x->e, LL_EINVAL,
                             "%s line %d: not a [section] or key = value", src,
                             line);
    /* Prefix the handler's message with the line. */
    if (x->e != NULL) {
        char msg[LL_ERRMSG_MAX];
        (void)snprintf(msg, sizeof(msg), "%s", x->e->text);
        (void)ll_errmsg_set(x->e, x->rc, "%s line %d: %s", src, line, msg);
    }
    return x->rc;
}

int ll_config_parse_ini(struct ll_node_config *c, const char *text,
                        struct ll_errmsg *e)
{
    struct ini_ctx x = {c, e, 0};
    return ini_result(ini_parse_string(text, ini_cb, &x), &x, "config");
}

int ll_config_load_ini(struct ll_node_config *c, const char *path,
                       struct ll_errmsg *e)
{
    struct ini_ctx x = {c, e, 0};
    return ini_result(ini_parse(path, ini_cb, &x), &x, path);
}

/* Read --config FILE (the last one given) before any other flag. */
static int config_first(struct ll_node_config *c, int argc, char **argv,
                        struct ll_errmsg *e)
{
    const char *path = NULL;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--config") == 0)
            path = argv[++i];
    if (path == NULL)
        return 0;
    int rc = set_opt(c, &(struct opt)STR("", "", "--config", config, ""),
                     "--config", path, e);
    if (rc == 0)
        rc = ll_config_load_ini(c, path, e);
    return rc;
}

int ll_config_parse_args(struct ll_node_config *c, int argc, char **argv,
                         FILE *out, struct ll_errmsg *e)
{
    int rc = config_first(c, argc, argv, e);
    if (rc)
        return rc;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            ll_config_help(out);
            return 1;
        }
        if (strcmp(a, "--version") == 0) {
            (void)fprintf(out, "lotledgerd 0.1\n");
            return 1;
        }
        if (strcmp(a, "--init") == 0) {
            c->init = true;
            continue;
        }
        if (strcmp(a, "--accept-rollback") == 0) {
            c->accept_rollback = true;
            continue;
        }
        const struct opt *o = NULL;
        for (size_t k = 0; k < LL_ARRAY_LEN(opts); k++)
            if (strcmp(opts[k].flag, a) == 0)
                o = &opts[k];
        bool is_config = strcmp(a, "--config") == 0;
        if (o == NULL && !is_config)
            return ll_errmsg_set(e, LL_EINVAL,
                                 "unknown option '%s' (see "
                                 "--help)",
                                 a);
        if (i + 1 >= argc)
            return ll_errmsg_set(e, LL_EINVAL, "%s needs a value", a);
        i++;
        if (is_config)
            continue; /* read first, above */
        rc = set_opt(c, o, a, argv[i], e);
        if (rc)
            return rc;
    }
    return 0;
}

/* "a.b.c.d:port" with each part in range; port may be 0. */
static bool listen_ok(const char *s)
{
    unsigned part = 0;
    unsigned val = 0;
    unsigned digits = 0;
    for (const char *p = s;; p++) {
        if (*p >= '0' && *p <= '9') {
            val = val * 10 + (unsigned)(*p - '0');
            if (++digits > 5 || val > 65535)
                return false;
            continue;
        }
        bool end_ip = part < 3 && *p == '.';
        bool end_host = part == 3 && *p == ':';
        bool end_port = part == 4 && *p == '\0';
        if (digits == 0 || !(end_ip || end_host || end_port) ||
            (part < 4 && val > 255))
            return false;
        if (end_port)
            return true;
        part++;
        val = 0;
        digits = 0;
    }
}

int ll_config_check(const struct ll_node_config *c, struct ll_errmsg *e)
{
    static const struct {
        size_t off;
        const char *name;
    } required[] = {
        {offsetof(struct ll_node_config, data_dir), "data_dir (--data-dir)"},
        {offsetof(struct ll_node_config, genesis), "genesis (--genesis)"},
        {offsetof(struct ll_node_config, org), "org (--org)"},
        {offsetof(struct ll_node_config, keystore), "keystore (--keystore)"},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(required); i++)
        if (((const char *)c + required[i].off)[0] == '\0')
            return ll_errmsg_set(e, LL_EINVAL, "%s is required",
                                 required[i].name);
    if (!listen_ok(c->http_listen))
        return ll_errmsg_set(e, LL_EINVAL,
                             "http listen (--http-listen): '%s' is not "
                             "IPv4:port",
                             c->http_listen);
    enum ll_log_level lvl;
    if (ll_log_level_parse(&lvl, c->log_level) != 0 || lvl == LL_LOG_OFF)
        return ll_errmsg_set(e, LL_EINVAL,
                             "log_level (--log-level): '%s' is not debug, "
                             "info, warn or error",
                             c->log_level);
    if (c->block_max > c->mempool_max)
        return ll_errmsg_set(e, LL_EINVAL,
                             "block max_events (%llu) exceeds mempool max "
                             "(%llu)",
                             (unsigned long long)c->block_max,
                             (unsigned long long)c->mempool_max);
    return 0;
}

void ll_config_help(FILE *out)
{
    struct ll_node_config d;
    ll_config_defaults(&d);
    (void)fprintf(out,
                  "usage: lotledgerd [--config FILE] [options]\n\n"
                  "The lotledger node. Options come from the INI file given "
                  "with --config\n(section and key in brackets), then from "
                  "these flags, which win.\n\n");
    for (size_t i = 0; i < LL_ARRAY_LEN(opts); i++) {
        const struct opt *o = &opts[i];
        char def[64] = "";
        if (o->type == OPT_U64) {
            uint64_t v;
            memcpy(&v, (const char *)&d + o->off, sizeof(v));
            (void)snprintf(def, sizeof(def), " (default %llu)",
                           (unsigned long long)v);
        } else if (((const char *)&d + o->off)[0] != '\0') {
            (void)snprintf(def, sizeof(def), " (default %s)",
                           (const char *)&d + o->off);
        }
        (void)fprintf(out, "  %-20s [%s] %s\n  %-20s %s%s\n", o->flag,
                      o->section, o->key, "", o->help, def);
    }
    (void)fprintf(out,
                  "  %-20s read options from an INI file\n"
                  "  %-20s create the ledger in data_dir/ledger (which must\n"
                  "  %-20s be absent or empty), then run; without it the\n"
                  "  %-20s node only opens an existing ledger\n"
                  "  %-20s open a ledger whose tip is below its last\n"
                  "  %-20s committed block (docs/operations.md, Damaged\n"
                  "  %-20s storage); the loss is logged\n"
                  "  %-20s this help\n",
                  "--config FILE", "--init", "", "", "--accept-rollback", "",
                  "", "-h, --help");
}
