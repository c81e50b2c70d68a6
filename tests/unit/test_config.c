/* SPDX-License-Identifier: MIT */
/*
 * lotledgerd configuration: defaults, INI files, flags overriding the file,
 * --help listing every option, and one case per kind of bad value, each
 * named in the error.
 */
#include "../../node/config.h"
#include "test.h"

/* Run ll_config_parse_args on copies of args (argv strings are mutable). */
static int run_args(struct ll_node_config *c, const char *const *args, int n,
                    FILE *out, struct ll_errmsg *e)
{
    char store[8][700];
    char *argv[8];
    ASSERT_LE(n, 8);
    for (int i = 0; i < n; i++) {
        (void)snprintf(store[i], sizeof(store[i]), "%s", args[i]);
        argv[i] = store[i];
    }
    return ll_config_parse_args(c, n, argv, out, e);
}

static void test_defaults_and_help(void)
{
    struct ll_node_config c;
    ll_config_defaults(&c);
    ASSERT_STR_EQ(c.http_listen, "127.0.0.1:8080");
    ASSERT_UEQ(c.block_max, 10000);
    ASSERT_UEQ(c.write_buffer_mb, 64);
    struct ll_errmsg e = {{0}};
    /* Defaults alone are not enough: the required paths are missing. */
    ASSERT_ERR(ll_config_check(&c, &e), LL_EINVAL);
    ASSERT_TRUE(strstr(e.text, "data_dir") != NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT_NOT_NULL(f);
    ll_config_help(f);
    ASSERT_OK(fclose(f));
    static const char *const flags[] = {"--data-dir",
                                        "--genesis",
                                        "--org",
                                        "--keystore",
                                        "--passphrase-file",
                                        "--log-level",
                                        "--http-listen",
                                        "--capture-token",
                                        "--max-body",
                                        "--max-header",
                                        "--max-connections",
                                        "--rate-limit",
                                        "--mempool-max",
                                        "--block-max",
                                        "--block-interval",
                                        "--config",
                                        "[http] max_body",
                                        "(default 1048576)",
                                        "--write-buffer-mb",
                                        "[store] write_buffer_mb",
                                        "--init",
                                        "--accept-rollback"};
    for (size_t i = 0; i < LL_ARRAY_LEN(flags); i++)
        if (strstr(buf, flags[i]) == NULL)
            ll_test_fail(__FILE__, __LINE__, "--help lacks %s", flags[i]);
    free(buf); /* open_memstream's buffer */
}

static const char good_ini[] = "; a node\n"
                               "[node]\n"
                               "data_dir = /var/lib/lotledger\n"
                               "genesis = /etc/lotledger/genesis.json\n"
                               "org = farm.sunvalley\n"
                               "keystore = /etc/lotledger/farm.key\n"
                               "[http]\n"
                               "listen = 0.0.0.0:9000\n"
                               "max_body = 65536\n"
                               "[block]\n"
                               "max_events = 500\n"
                               "[store]\n"
                               "write_buffer_mb = 16\n";

static void test_ini_and_flags(void)
{
    struct ll_node_config c;
    struct ll_errmsg e = {{0}};
    ll_config_defaults(&c);
    ASSERT_OK(ll_config_parse_ini(&c, good_ini, &e));
    ASSERT_STR_EQ(c.org, "farm.sunvalley");
    ASSERT_STR_EQ(c.http_listen, "0.0.0.0:9000");
    ASSERT_UEQ(c.max_body, 65536);
    ASSERT_UEQ(c.block_max, 500);
    ASSERT_UEQ(c.write_buffer_mb, 16);
    ASSERT_OK(ll_config_check(&c, &e));
    /* A file on disk, then flags that win over it. */
    char dir[512];
    char path[600];
    ll_test_tmpdir(dir, sizeof(dir));
    (void)snprintf(path, sizeof(path), "%s/node.ini", dir);
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    ASSERT_UEQ(fwrite(good_ini, 1, strlen(good_ini), f), strlen(good_ini));
    ASSERT_OK(fclose(f));
    const char *argv[] = {"lotledgerd", "--block-max", "42",
                          "--config",   path,          "--http-listen",
                          "127.0.0.1:0"};
    ll_config_defaults(&c);
    ASSERT_OK(run_args(&c, argv, (int)LL_ARRAY_LEN(argv), stdout, &e));
    ASSERT_FALSE(c.init); /* creating a ledger is asked for, never default */
    ASSERT_FALSE(c.accept_rollback);
    ASSERT_UEQ(c.block_max, 42);                 /* flag beats file */
    ASSERT_STR_EQ(c.http_listen, "127.0.0.1:0"); /* port 0 = any */
    ASSERT_STR_EQ(c.keystore, "/etc/lotledger/farm.key");
    ASSERT_STR_EQ(c.config, path);
    ASSERT_OK(ll_config_check(&c, &e));
    /* --init and --accept-rollback take no value and exist only as
     * flags: a file cannot make every start create or accept a loss. */
    const char *once[] = {"lotledgerd", "--init", "--config", path,
                          "--accept-rollback"};
    ll_config_defaults(&c);
    ASSERT_OK(run_args(&c, once, (int)LL_ARRAY_LEN(once), stdout, &e));
    ASSERT_TRUE(c.init);
    ASSERT_TRUE(c.accept_rollback);
    ASSERT_STR_EQ(c.org, "farm.sunvalley");
    ll_config_defaults(&c);
    ASSERT_ERR(ll_config_parse_ini(&c, "[node]\ninit = 1\n", &e), LL_EINVAL);
    ll_test_rmrf(dir);
    const char *help[] = {"lotledgerd", "--help"};
    FILE *devnull = fopen("/dev/null", "w");
    ASSERT_NOT_NULL(devnull);
    ASSERT_EQ(run_args(&c, help, 2, devnull, &e), 1);
    ASSERT_OK(fclose(devnull));
}

static void test_bad_values(void)
{
    static const struct {
        const char *ini;
        const char *want;
    } cases[] = {
        {"[node]\ncolour = blue\n", "[node] colour: unknown option"},
        {"[nodes]\norg = a\n", "[nodes] org: unknown option"},
        {"[http]\nmax_body = 10\n", "outside 1024..16777216"},
        {"[http]\nmax_body = lots\n", "'lots' is not a number"},
        {"[http]\nmax_body = 99999999999999999999999\n", "not a number"},
        {"[block]\ninterval_ms =\n", "needs a number"},
        {"[store]\nwrite_buffer_mb = 0\n", "outside 1..1024"},
        {"just words\n", "not a [section] or key = value"},
        {"[node]\norg = "
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
         "line"},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        struct ll_node_config c;
        struct ll_errmsg e = {{0}};
        ll_config_defaults(&c);
        int rc = ll_config_parse_ini(&c, cases[i].ini, &e);
        if (rc != LL_EINVAL || strstr(e.text, cases[i].want) == NULL)
            ll_test_fail(__FILE__, __LINE__, "case %zu: rc %d '%s'", i, rc,
                         e.text);
        ASSERT_TRUE(strstr(e.text, "line") != NULL);
    }
    /* Flags. */
    static const struct {
        const char *a;
        const char *b;
        const char *want;
    } flags[] = {
        {"--colour", "x", "unknown option '--colour'"},
        {"--block-max", "0", "outside 1..100000"},
        {"--block-max", NULL, "needs a value"},
        {"--config", "/nonexistent/node.ini", "cannot read config file"},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(flags); i++) {
        struct ll_node_config c;
        struct ll_errmsg e = {{0}};
        const char *argv[] = {"lotledgerd", flags[i].a, flags[i].b};
        int argc = flags[i].b ? 3 : 2;
        ll_config_defaults(&c);
        int rc = run_args(&c, argv, argc, stdout, &e);
        if (rc >= 0 || strstr(e.text, flags[i].want) == NULL)
            ll_test_fail(__FILE__, __LINE__, "flag %s: rc %d '%s'", flags[i].a,
                         rc, e.text);
    }
    /* Checks across values. */
    static const struct {
        const char *ini;
        const char *want;
    } checks[] = {
        {"[http]\nlisten = localhost:80\n", "not IPv4:port"},
        {"[http]\nlisten = 127.0.0.1:70000\n", "not IPv4:port"},
        {"[http]\nlisten = 256.0.0.1:80\n", "not IPv4:port"},
        {"[http]\nlisten = 127.0.0.1\n", "not IPv4:port"},
        {"[node]\nlog_level = loud\n", "log_level"},
        {"[mempool]\nmax = 10\n", "exceeds mempool max"},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(checks); i++) {
        struct ll_node_config c;
        struct ll_errmsg e = {{0}};
        ll_config_defaults(&c);
        ASSERT_OK(ll_config_parse_ini(&c, good_ini, &e));
        ASSERT_OK(ll_config_parse_ini(&c, checks[i].ini, &e));
        int rc = ll_config_check(&c, &e);
        if (rc != LL_EINVAL || strstr(e.text, checks[i].want) == NULL)
            ll_test_fail(__FILE__, __LINE__, "check %zu: rc %d '%s'", i, rc,
                         e.text);
    }
}

static const struct ll_test tests[] = {
    {"defaults_and_help", test_defaults_and_help},
    {"ini_and_flags", test_ini_and_flags},
    {"bad_values", test_bad_values},
};

LL_TEST_MAIN(tests)
