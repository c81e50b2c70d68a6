/* SPDX-License-Identifier: MIT */
/* Unit tests for common/: error table, buffers, codecs, alloc injection. */
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

static void test_strerror_table(void)
{
    ASSERT_STR_EQ(ll_strerror(0), "success");
    ASSERT_STR_EQ(ll_strerror(LL_EINVAL), "invalid argument");
    ASSERT_STR_EQ(ll_err_name(LL_ETOOBIG), "LL_ETOOBIG");
    ASSERT_STR_EQ(ll_strerror(-9999), "unknown error");
    /* Every code has its own distinct text and name. */
    int codes[] = {
#define XX(name, num, text) LL_##name,
        LL_ERRNO_MAP(XX)
#undef XX
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(codes); i++) {
        ASSERT_LT(codes[i], 0);
        ASSERT_TRUE(strcmp(ll_strerror(codes[i]), "unknown error") != 0);
        for (size_t j = i + 1; j < LL_ARRAY_LEN(codes); j++) {
            ASSERT_NE(codes[i], codes[j]);
            ASSERT_TRUE(strcmp(ll_strerror(codes[i]), ll_strerror(codes[j])));
        }
    }
}

static void test_buf_limit(void)
{
    struct ll_buf b;
    ll_buf_init(&b, 10);
    ASSERT_OK(ll_buf_append(&b, "hello", 5));
    ASSERT_OK(ll_buf_append(&b, "world", 5));
    ASSERT_UEQ(b.len, 10);
    ASSERT_MEM_EQ(b.data, "helloworld", 10);
    ASSERT_OK(ll_buf_cstr(&b));
    ASSERT_STR_EQ((char *)b.data, "helloworld");
    /* One byte past the maximum fails and frees. */
    ASSERT_ERR(ll_buf_append_byte(&b, 'x'), LL_ETOOBIG);
    ASSERT_TRUE(b.data == NULL);
    ASSERT_UEQ(b.len, 0);
    ASSERT_ERR(ll_buf_append(&b, "x", SIZE_MAX), LL_ETOOBIG);
    ll_buf_free(&b);
}

static void test_buf_printf(void)
{
    struct ll_buf b;
    ll_buf_init(&b, 1000);
    for (int i = 0; i < 50; i++)
        ASSERT_OK(ll_buf_printf(&b, "%d,", i));
    ASSERT_OK(ll_buf_cstr(&b));
    ASSERT_TRUE(strncmp((char *)b.data, "0,1,2,3,", 8) == 0);
    ASSERT_UEQ(b.len, 10 * 2 + 40 * 3);
    ASSERT_ERR(ll_buf_printf(&b, "%01000d", 1), LL_ETOOBIG);
    ll_buf_free(&b);
}

static void test_buf_alloc_failure(void)
{
    struct ll_buf b;
    ll_buf_init(&b, 1 << 20);
    (void)ll_alloc_fail_at(1);
    ASSERT_ERR(ll_buf_append(&b, "abc", 3), LL_ENOMEM);
    ASSERT_TRUE(ll_alloc_failed());
    ASSERT_TRUE(b.data == NULL);
    (void)ll_alloc_fail_at(0);
    ASSERT_OK(ll_buf_append(&b, "abc", 3));
    ll_buf_free(&b);
}

static void test_calloc_overflow(void)
{
    ASSERT_TRUE(ll_calloc(SIZE_MAX / 2, 4) == NULL);
    ASSERT_TRUE(ll_reallocarray(NULL, SIZE_MAX / 8, 16) == NULL);
    void *p = ll_calloc(4, 4);
    ASSERT_NOT_NULL(p);
    LL_FREE(p);
    ASSERT_TRUE(p == NULL);
}

static void test_hex(void)
{
    static const struct {
        const char *hex;
        int rc;
        size_t n;
    } cases[] = {
        {"", 0, 0},
        {"00ff", 0, 2},
        {"00FF", 0, 2},
        {"0g", LL_EDECODE, 1},
        {"abc", LL_EDECODE, 2},
        {"abcd", LL_EDECODE, 1},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        uint8_t out[8] = {0};
        ASSERT_ERR(
            ll_hex_decode(out, cases[i].n, cases[i].hex, strlen(cases[i].hex)),
            cases[i].rc);
    }
    uint8_t in[3] = {0x01, 0xab, 0xff};
    char s[7];
    ASSERT_OK(ll_hex_encode(s, sizeof(s), in, 3));
    ASSERT_STR_EQ(s, "01abff");
    ASSERT_ERR(ll_hex_encode(s, 6, in, 3), LL_EINVAL);
}

static void test_base64(void)
{
    /* RFC 4648 §10 test vectors. */
    static const char *const vec[][2] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(vec); i++) {
        char enc[16];
        uint8_t dec[16];
        size_t n = 99;
        ASSERT_OK(ll_base64_encode(enc, sizeof(enc), (const uint8_t *)vec[i][0],
                                   strlen(vec[i][0])));
        ASSERT_STR_EQ(enc, vec[i][1]);
        ASSERT_OK(ll_base64_decode(dec, sizeof(dec), &n, vec[i][1],
                                   strlen(vec[i][1])));
        ASSERT_UEQ(n, strlen(vec[i][0]));
        ASSERT_MEM_EQ(dec, vec[i][0], n);
    }
    static const char *const bad[] = {
        "Zg=", "Zh==", "Zm9=", "Z===", "Zm 9", "=Zm9", "Zg=a", "Zm9v!A=="};
    for (size_t i = 0; i < LL_ARRAY_LEN(bad); i++) {
        uint8_t dec[16];
        size_t n = 99;
        ASSERT_ERR(
            ll_base64_decode(dec, sizeof(dec), &n, bad[i], strlen(bad[i])),
            LL_EDECODE);
        ASSERT_UEQ(n, 99);
    }
    uint8_t small[2];
    size_t n = 0;
    ASSERT_ERR(ll_base64_decode(small, 2, &n, "Zm9v", 4), LL_ETOOBIG);
}

static void test_endian(void)
{
    uint8_t b[8];
    ll_store_be64(b, 0x0102030405060708ull);
    ASSERT_MEM_EQ(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    ASSERT_UEQ(ll_load_be64(b), 0x0102030405060708ull);
    ll_store_le64(b, 0x0102030405060708ull);
    ASSERT_MEM_EQ(b, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    ASSERT_UEQ(ll_load_le64(b), 0x0102030405060708ull);
}

static void test_log_level(void)
{
    enum ll_log_level l = LL_LOG_INFO;
    ASSERT_OK(ll_log_level_parse(&l, "warn"));
    ASSERT_EQ(l, LL_LOG_WARN);
    ASSERT_ERR(ll_log_level_parse(&l, "loud"), LL_EINVAL);
    ASSERT_EQ(l, LL_LOG_WARN);
}

static void test_time(void)
{
    /* Expected values from Python's datetime.fromisoformat. */
    static const struct {
        const char *s;
        int64_t ms;
        int32_t tz;
        const char *canon; /* ll_time_format's spelling */
    } ok[] = {
        {"2026-11-24T08:30:00.250+01:00", 1795505400250, 60,
         "2026-11-24T08:30:00.250+01:00"},
        {"1970-01-01T00:00:00Z", 0, 0, "1970-01-01T00:00:00.000Z"},
        {"2000-02-29T23:59:59.999-05:30", 951888599999, -330,
         "2000-02-29T23:59:59.999-05:30"},
        {"1969-12-31T23:59:59Z", -1000, 0, "1969-12-31T23:59:59.000Z"},
        {"2028-07-20T00:00:00.1234Z", 1847664000123, 0,
         "2028-07-20T00:00:00.123Z"},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(ok); i++) {
        int64_t ms = 0;
        int32_t tz = 99;
        char out[40];
        ASSERT_OK(ll_time_parse(&ms, &tz, ok[i].s));
        ASSERT_EQ(ms, ok[i].ms);
        ASSERT_EQ(tz, ok[i].tz);
        ASSERT_OK(ll_time_format(out, sizeof(out), ms, tz));
        ASSERT_STR_EQ(out, ok[i].canon);
    }
    static const char *const bad[] = {
        "2026-02-29T00:00:00Z",      /* not a leap year */
        "2026-11-24T24:00:00Z",      /* hour 24 */
        "2026-11-24T08:30:00",       /* no offset */
        "2026-11-24T08:30:00+1:00",  /* short offset */
        "2026-11-24T08:30:00+15:00", /* beyond +14:00 */
        "2026-11-24 08:30:00Z",      /* space */
        "2026-11-24T08:30:00.Z",     /* empty fraction */
        "2026-11-24T08:30:00ZZ",     /* trailing */
        "26-11-24T08:30:00Z",        /* two-digit year */
        "",
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(bad); i++) {
        int64_t ms = 7;
        if (ll_time_parse(&ms, NULL, bad[i]) != LL_EINVAL)
            ll_test_fail(__FILE__, __LINE__, "accepted '%s'", bad[i]);
        ASSERT_EQ(ms, 7);
    }
    char small[10];
    ASSERT_ERR(ll_time_format(small, sizeof(small), 0, 0), LL_EINVAL);
    ASSERT_TRUE(ll_date_is_valid(2024, 2, 29));
    ASSERT_FALSE(ll_date_is_valid(1900, 2, 29));
    ASSERT_TRUE(ll_date_is_valid(2000, 2, 29));
}

static void test_errmsg(void)
{
    struct ll_errmsg e;
    ASSERT_EQ(ll_errmsg_set(&e, LL_EINVAL, "lot %s: %d", "A", 7), LL_EINVAL);
    ASSERT_STR_EQ(e.text, "lot A: 7");
    ASSERT_EQ(ll_errmsg_set(NULL, LL_EPROOF, "x"), LL_EPROOF);
    char longs[400];
    memset(longs, 'x', sizeof(longs) - 1);
    longs[sizeof(longs) - 1] = '\0';
    (void)ll_errmsg_set(&e, LL_EINVAL, "%s", longs);
    ASSERT_UEQ(strlen(e.text), LL_ERRMSG_MAX - 1);
}

/* A case that starts a long-lived child (a server) and then fails. */
static void leaves_child_and_fails(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec ts = {600, 0};
        (void)nanosleep(&ts, NULL); /* holds the runner's stdout open */
        _exit(0);
    }
    ll_test_fail(__FILE__, __LINE__, "failing on purpose");
}

/*
 * The harness kills what a case left behind: a failed case's server must
 * not keep the output pipe open, or whoever reads the output (CI) hangs.
 */
static void test_harness_kills_leftovers(void)
{
    static const struct ll_test inner[] = {
        {"leaves_child_and_fails", leaves_child_and_fails},
    };
    int fds[2];
    ASSERT_OK(pipe(fds));
    (void)fflush(NULL);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        (void)close(fds[0]);
        if (dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0)
            _exit(90);
        char arg0[] = "inner";
        char *argv[] = {arg0, NULL};
        int rc = ll_test_main(inner, 1, 1, argv);
        (void)fflush(NULL);
        _exit(rc);
    }
    (void)close(fds[1]);
    char out[4096];
    size_t got = 0;
    bool eof = false;
    for (int i = 0; i < 200 && !eof; i++) { /* 20 s */
        struct pollfd p = {fds[0], POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t k = read(fds[0], out + got, sizeof(out) - 1 - got);
        if (k <= 0)
            eof = true;
        else
            got += (size_t)k;
    }
    out[got] = '\0';
    (void)close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(eof);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 1);
    ASSERT_TRUE(strstr(out, "0 passed, 1 failed") != NULL);
}

static const struct ll_test tests[] = {
    {"harness_kills_leftovers", test_harness_kills_leftovers},
    {"time", test_time},
    {"errmsg", test_errmsg},
    {"strerror_table", test_strerror_table},
    {"buf_limit", test_buf_limit},
    {"buf_printf", test_buf_printf},
    {"buf_alloc_failure", test_buf_alloc_failure},
    {"calloc_overflow", test_calloc_overflow},
    {"hex", test_hex},
    {"base64", test_base64},
    {"endian", test_endian},
    {"log_level", test_log_level},
};

LL_TEST_MAIN(tests)
