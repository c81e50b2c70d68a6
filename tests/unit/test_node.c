/* SPDX-License-Identifier: MIT */
/*
 * lotledgerd end to end: the real binary (built next to this test) started
 * on an ephemeral loopback port with a temporary data directory, driven
 * over real TCP with raw HTTP: signed events accepted and committed,
 * custody violations and malformed requests refused with their reasons,
 * limits, a clean SIGTERM stop and a restart that keeps the data.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../ledger/event_json.h"
#include "../../ledger/internal.h"
#include "../../ledger/proof.h"
#include "../../node/rate.h"
#include "ledger_fixture.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LL_TEST_HAS_ASAN 1 /* clang's spelling of __SANITIZE_ADDRESS__ */
#endif
#endif

struct node {
    char dir[512];
    char bin[1024];
    pid_t pid;
    int port;
    rlim_t fsize; /* 0, or the node's RLIMIT_FSIZE: a disk that fills up */
};

/* The lotledgerd next to this test binary: <build>/t/.. */
static void find_binary(struct node *n)
{
    char self[900];
    ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);
    ASSERT_GT(k, 0);
    self[k] = '\0';
    char *slash = strrchr(self, '/');
    ASSERT_NOT_NULL(slash);
    *slash = '\0';
    (void)snprintf(n->bin, sizeof(n->bin), "%s/../lotledgerd", self);
    ASSERT_OK(access(n->bin, X_OK));
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    ASSERT_UEQ(fwrite(text, 1, strlen(text), f), strlen(text));
    ASSERT_OK(fclose(f));
}

/* Genesis, the validator's keystore and passphrase in a new directory. */
static void node_setup(struct node *n)
{
    char p[700];
    memset(n, 0, sizeof(*n));
    find_binary(n);
    ll_test_tmpdir(n->dir, sizeof(n->dir));
    char *json = fx_genesis_json();
    (void)snprintf(p, sizeof(p), "%s/genesis.json", n->dir);
    write_file(p, json);
    ll_free(json);
    (void)snprintf(p, sizeof(p), "%s/pass", n->dir);
    write_file(p, "node secret\n");
    (void)snprintf(p, sizeof(p), "%s/val.key", n->dir);
    const struct ll_keystore_params fast = {1, 8};
    ASSERT_OK(
        ll_keystore_write_file(p, &fx_keys[FX_VAL], "node secret", 11, &fast));
}

/*
 * Start the node with more flags (NULL-terminated, at most 16; later flags
 * win over the defaults); wait for its "listening" log line to learn the
 * port.
 */
static void node_start_with(struct node *n, const char *const *more)
{
    char log[700];
    (void)snprintf(log, sizeof(log), "%s/node.log", n->dir);
    (void)unlink(log);
    n->port = 0;
    (void)fflush(NULL);
    n->pid = fork();
    ASSERT_GE(n->pid, 0);
    if (n->pid == 0) {
        char a[6][700];
        (void)snprintf(a[0], sizeof(a[0]), "%s/data", n->dir);
        (void)snprintf(a[1], sizeof(a[1]), "%s/genesis.json", n->dir);
        (void)snprintf(a[2], sizeof(a[2]), "%s/val.key", n->dir);
        (void)snprintf(a[3], sizeof(a[3]), "%s/pass", n->dir);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(90);
        if (n->fsize != 0) {
            /* Writes past the limit fail with EFBIG, as on a full disk. */
            struct rlimit rl = {n->fsize, n->fsize};
            if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR ||
                setrlimit(RLIMIT_FSIZE, &rl) != 0)
                _exit(92);
        }
        const char *argv[40] = {"lotledgerd",  "--data-dir",
                                a[0],          "--genesis",
                                a[1],          "--org",
                                "val",         "--keystore",
                                a[2],          "--passphrase-file",
                                a[3],          "--http-listen",
                                "127.0.0.1:0", "--block-interval",
                                "50"};
        size_t k = 15;
        /* The first start creates the ledger; later ones open it. */
        (void)snprintf(a[4], sizeof(a[4]), "%s/data/ledger", n->dir);
        if (access(a[4], F_OK) != 0)
            argv[k++] = "--init";
        for (size_t i = 0; more != NULL && more[i] != NULL && k < 39; i++)
            argv[k++] = more[i];
        argv[k] = NULL;
        execv(n->bin, (char *const *)(uintptr_t)argv);
        _exit(91);
    }
    for (int i = 0; i < 500 && n->port == 0; i++) {
        struct timespec ts = {0, 10000000};
        (void)nanosleep(&ts, NULL);
        size_t len = 0;
        char *text = (char *)ll_test_read_file(log, &len);
        const char *u = text ? strstr(text, "url=http://127.0.0.1:") : NULL;
        /* Only a whole line: the node may be writing it right now. */
        if (u != NULL && strchr(u, '\n') != NULL)
            n->port = (int)strtol(u + 21, NULL, 10);
        ll_free(text);
    }
    if (n->port == 0)
        ll_test_fail(__FILE__, __LINE__, "node did not start (see %s)", log);
}

/* Start the node with one more flag and its value (NULL: none). */
static void node_start(struct node *n, const char *extra_flag,
                       const char *extra_val)
{
    const char *more[] = {extra_flag, extra_val, NULL};
    node_start_with(n, extra_flag != NULL ? more : NULL);
}

/* Wait (30 s at most) for the node to exit; its wait status. */
static int node_wait_exit(struct node *n)
{
    int status = 0;
    pid_t w = 0;
    for (int i = 0; i < 3000 && w == 0; i++) { /* 30 s */
        struct timespec ts = {0, 10000000};
        (void)nanosleep(&ts, NULL);
        w = waitpid(n->pid, &status, WNOHANG);
    }
    if (w == 0) {
        (void)kill(n->pid, SIGKILL);
        ll_test_fail(__FILE__, __LINE__, "node did not exit in 30 s");
    }
    ASSERT_EQ(w, n->pid);
    n->pid = 0;
    return status;
}

/* Send SIGTERM and require a clean exit with "stopped" logged. */
static void node_stop(struct node *n)
{
    ASSERT_OK(kill(n->pid, SIGTERM));
    int status = node_wait_exit(n);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    char log[700];
    size_t len = 0;
    (void)snprintf(log, sizeof(log), "%s/node.log", n->dir);
    char *text = (char *)ll_test_read_file(log, &len);
    ASSERT_NOT_NULL(text);
    ASSERT_TRUE(strstr(text, "event=stopped") != NULL);
    ll_free(text);
}

struct resp {
    int status;
    char head[2048]; /* status line and headers */
    char body[16384];
};

/* A TCP connection to the node, or -1. */
static int connect_node(const struct node *n)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)n->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* A node that never answers fails the case instead of hanging it. */
    struct timeval tv = {60, 0};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        (void)close(fd);
        return -1;
    }
    return fd;
}

/* Read until the peer closes (or buf is full), NUL-terminate, close fd. */
static void read_all(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    for (;;) {
        ssize_t k = read(fd, buf + got, cap - 1 - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    (void)close(fd);
    buf[got] = '\0';
}

/* One request on a fresh connection (Connection: close); raw bytes out. */
static void http_raw(struct node *n, const void *req, size_t len,
                     struct resp *r)
{
    int fd = connect_node(n);
    if (fd < 0) {
        char log[700];
        size_t loglen = 0;
        (void)snprintf(log, sizeof(log), "%s/node.log", n->dir);
        char *text = (char *)ll_test_read_file(log, &loglen);
        ll_test_fail(__FILE__, __LINE__, "connect to port %d failed; log: %s",
                     n->port, text ? text : "(none)");
    }
    const char *p = req;
    while (len > 0) {
        ssize_t k = write(fd, p, len);
        if (k <= 0)
            break; /* the server may close early on a refused request */
        p += k;
        len -= (size_t)k;
    }
    char buf[32768];
    read_all(fd, buf, sizeof(buf));
    r->status = 0;
    r->body[0] = '\0';
    if (strncmp(buf, "HTTP/1.1 ", 9) != 0)
        ll_test_fail(__FILE__, __LINE__, "no HTTP answer: '%s'", buf);
    r->status = (int)strtol(buf + 9, NULL, 10);
    const char *b = strstr(buf, "\r\n\r\n");
    (void)snprintf(r->head, sizeof(r->head), "%.*s",
                   b != NULL ? (int)(b - buf) : 0, buf);
    if (b != NULL)
        (void)snprintf(r->body, sizeof(r->body), "%s", b + 4);
}

static void http(struct node *n, const char *method, const char *path,
                 const char *ctype, const void *body, size_t blen,
                 struct resp *r)
{
    struct ll_buf b;
    ll_buf_init(&b, 1 << 20);
    ASSERT_OK(ll_buf_printf(&b,
                            "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                            "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                            method, path, ctype, blen));
    if (blen > 0)
        ASSERT_OK(ll_buf_append(&b, body, blen));
    http_raw(n, b.data, b.len, r);
    ll_buf_free(&b);
}

static void post(struct node *n, const struct ll_buf *ev, struct resp *r)
{
    http(n, "POST", "/v1/events", "application/x-protobuf", ev->data, ev->len,
         r);
}

/* Poll /v1/status until nothing is pending and the height is >= h. */
static void wait_height(struct node *n, unsigned h)
{
    for (int i = 0; i < 300; i++) {
        struct resp r;
        http(n, "GET", "/v1/status", "text/plain", NULL, 0, &r);
        const char *p = strstr(r.body, "\"height\":");
        if (p != NULL && strtoul(p + 9, NULL, 10) >= h &&
            strstr(r.body, "\"pending\":0") != NULL)
            return;
        struct timespec ts = {0, 20000000};
        (void)nanosleep(&ts, NULL);
    }
    ll_test_fail(__FILE__, __LINE__, "height %u never reached", h);
}

static void expect(const struct resp *r, int status, const char *word)
{
    if (r->status != status || strstr(r->body, word) == NULL)
        ll_test_fail(__FILE__, __LINE__, "got %d '%s', want %d with '%s'",
                     r->status, r->body, status, word);
}

/* POST a signed event with ?wait=commit; it must be committed (201). */
static void post_commit(struct node *n, const struct ll_buf *ev, struct resp *r)
{
    http(n, "POST", "/v1/events?wait=commit", "application/x-protobuf",
         ev->data, ev->len, r);
    expect(r, 201, "committed");
}

/* GET a proof bundle (raw bytes) and verify it against the fixture. */
static void proof_check(struct node *n, const char *path)
{
    char req[512];
    int rl = snprintf(req, sizeof(req),
                      "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                      path);
    int fd = connect_node(n);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, req, (size_t)rl), rl);
    static char buf[1 << 20];
    size_t got = 0;
    for (;;) {
        ssize_t k = read(fd, buf + got, sizeof(buf) - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    (void)close(fd);
    ASSERT_TRUE(got > 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0);
    ASSERT_TRUE(strstr(buf, "application/x-protobuf") != NULL);
    const char *body = NULL;
    for (size_t i = 0; i + 4 <= got && body == NULL; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
            body = buf + i + 4;
    ASSERT_NOT_NULL(body);
    struct ll_genesis *g = fx_genesis();
    struct ll_proof_report rep;
    struct ll_errmsg e = {{0}};
    int rc = ll_proof_verify(g, (const uint8_t *)body,
                             got - (size_t)(body - buf), &rep, &e);
    if (rc)
        ll_test_fail(__FILE__, __LINE__, "proof: %s", e.text);
    ASSERT_UEQ(rep.unexpanded, 0);
    ll_free(g);
}

static void test_events_end_to_end(void)
{
    struct node n;
    struct resp r;
    struct ll_buf ev = {0};
    uint8_t ship[32];
    node_setup(&n);
    node_start(&n, NULL, NULL);
    http(&n, "GET", "/v1/status", "text/plain", NULL, 0, &r);
    expect(&r, 200, "\"chain_id\":\"fixture-net\"");
    http(&n, "GET", "/healthz", "text/plain", NULL, 0, &r);
    expect(&r, 200, "ok");

    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(e, FX_LOT_A, 1000000, "KGM");
    fx_sign(&ev, NULL, e, FX_FARM);
    post(&n, &ev, &r);
    expect(&r, 202, "\"status\":\"accepted\"");
    /* The same event again: refused as a replay, in the block or after. */
    post(&n, &ev, &r);
    expect(&r, 409, "LL_EREPLAY");
    e = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(e, FX_LOT_A, 600000, "KGM");
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "packer");
    fx_sign(&ev, ship, e, FX_FARM);
    post(&n, &ev, &r);
    expect(&r, 202, "accepted");
    /* Custody violation: the retailer holds none of lot A. */
    e = fx_event(lotledger_EventType_SHIP, FX_RETAIL);
    fx_lot(e, FX_LOT_A, 1000, "KGM");
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "farm");
    fx_sign(&ev, NULL, e, FX_RETAIL);
    post(&n, &ev, &r);
    expect(&r, 422, "LL_ENOTHOLDER");
    ASSERT_TRUE(strstr(r.body, "holds none") != NULL);
    wait_height(&n, 1);

    e = fx_event(lotledger_EventType_RECEIVE, FX_PACKER);
    fx_lot(e, FX_LOT_A, 600000, "KGM");
    e->ref.size = 32;
    memcpy(e->ref.bytes, ship, 32);
    fx_sign(&ev, NULL, e, FX_PACKER);
    post(&n, &ev, &r);
    expect(&r, 202, "accepted");
    wait_height(&n, 2);

    http(&n, "GET", "/v1/lots/" FX_LOT_A, "text/plain", NULL, 0, &r);
    expect(&r, 200, "\"events\":3");
    ASSERT_TRUE(strstr(r.body, "{\"org\":\"farm\",\"quantity\":400000}") !=
                NULL);
    ASSERT_TRUE(strstr(r.body, "{\"org\":\"packer\",\"quantity\":600000}") !=
                NULL);
    char hex[65];
    ASSERT_OK(ll_hex_encode(hex, sizeof(hex), ship, 32));
    char path[128];
    (void)snprintf(path, sizeof(path), "/v1/events/%s", hex);
    http(&n, "GET", path, "text/plain", NULL, 0, &r);
    expect(&r, 200, "\"type\":\"ship\"");
    http(&n, "GET", "/v1/blocks/1", "text/plain", NULL, 0, &r);
    expect(&r, 200, "\"events\":2");
    http(&n, "GET", "/metrics", "text/plain", NULL, 0, &r);
    expect(&r, 200, "lotledger_events_accepted_total 3");
    ASSERT_TRUE(strstr(r.body, "reason=\"LL_ENOTHOLDER\"} 1") != NULL);

    /* The JSON form: a transform of A into C, waiting for the commit. */
    e = fx_event(lotledger_EventType_TRANSFORM, FX_PACKER);
    fx_lot(e, FX_LOT_A, 600000, "KGM");
    fx_output(e, FX_LOT_C, 550000, "KGM");
    fx_sign(&ev, NULL, e, FX_PACKER);
    struct ll_signed_event *se = ll_malloc(sizeof(*se));
    struct ll_buf js;
    ASSERT_NOT_NULL(se);
    ll_buf_init(&js, 1 << 20);
    ASSERT_OK(ll_signed_event_decode(se, ev.data, ev.len, NULL));
    ASSERT_OK(ll_signed_event_json_encode(&js, se));
    http(&n, "POST", "/v1/events?wait=commit", "application/json", js.data,
         js.len, &r);
    expect(&r, 201, "\"status\":\"committed\"");
    ASSERT_OK(ll_hex_encode(hex, sizeof(hex), se->id, 32));
    ASSERT_TRUE(strstr(r.body, hex) != NULL); /* the same id as protobuf */
    ll_buf_free(&js);
    ll_free(se);
    /* Traces over HTTP: C came from A; A went into C. */
    http(&n, "GET", "/v1/lots/" FX_LOT_C "/trace", "text/plain", NULL, 0, &r);
    expect(&r, 200, "\"direction\":\"backward\"");
    ASSERT_TRUE(strstr(r.body, "{\"from\":\"" FX_LOT_A "\",\"to\":\"" FX_LOT_C
                               "\"") != NULL);
    ASSERT_TRUE(strstr(r.body, "\"complete\":true") != NULL);
    http(&n, "GET", "/v1/lots/" FX_LOT_A "/trace?direction=forward&format=dot",
         "text/plain", NULL, 0, &r);
    expect(&r, 200, "\"" FX_LOT_A "\" -> \"" FX_LOT_C "\"");
    http(&n, "GET", "/v1/lots/" FX_LOT_C "/trace?depth=0", "text/plain", NULL,
         0, &r);
    expect(&r, 200, "\"complete\":false");
    /* The proof of C's trace verifies against the genesis. */
    proof_check(&n, "/v1/lots/" FX_LOT_C "/proof");

    /* Stop cleanly, start again: the data is still there. */
    node_stop(&n);
    node_start(&n, NULL, NULL);
    http(&n, "GET", "/v1/status", "text/plain", NULL, 0, &r);
    expect(&r, 200, "\"height\":3");
    http(&n, "GET", "/v1/lots/" FX_LOT_A, "text/plain", NULL, 0, &r);
    expect(&r, 200, "\"events\":4");
    node_stop(&n);
    ll_buf_free(&ev);
    ll_test_rmrf(n.dir);
}

static void test_bad_requests(void)
{
    struct node n;
    struct resp r;
    node_setup(&n);
    node_start(&n, "--max-body", "2048");
    http(&n, "POST", "/v1/events", "application/x-protobuf", "\x0a\x05hi", 4,
         &r);
    expect(&r, 400, "LL_ETRUNC");
    http(&n, "POST", "/v1/events", "text/csv", "{}", 2, &r);
    expect(&r, 415, "unsupported_media_type");
    http(&n, "POST", "/v1/events", "application/json", "{\"event\":", 9, &r);
    expect(&r, 400, "malformed JSON");
    static const char unknown[] =
        "{\"event\":{\"colour\":\"red\"},\"sig\":\"\"}";
    http(&n, "POST", "/v1/events", "application/json", unknown,
         sizeof(unknown) - 1, &r);
    expect(&r, 400, "event.colour: unknown field");
    http(&n, "POST", "/v1/events?wait=later", "application/x-protobuf", "x", 1,
         &r);
    expect(&r, 400, "wait: the only value is 'commit'");
    http(&n, "POST", "/v1/events?colour=red", "application/x-protobuf", "x", 1,
         &r);
    expect(&r, 400, "unknown query parameter 'colour'");
    http(&n, "GET", "/v1/lots/tlc/fda/7/X/trace?direction=up", "text/plain",
         NULL, 0, &r);
    expect(&r, 400, "direction: backward or forward");
    http(&n, "GET", "/v1/lots/tlc/fda/7/X/trace?depth=65", "text/plain", NULL,
         0, &r);
    expect(&r, 400, "depth: a number from 0 to 64");
    http(&n, "GET", "/v1/lots/tlc/fda/7/X/trace?format=svg", "text/plain", NULL,
         0, &r);
    expect(&r, 400, "format: json or dot");
    http(&n, "GET", "/v1/lots/tlc/fda/7/X/trace", "text/plain", NULL, 0, &r);
    expect(&r, 404, "not on this ledger");
    http(&n, "POST", "/v1/capture", "application/json", "{}", 2, &r);
    expect(&r, 403, "no capture_token configured");
    char big[4096];
    memset(big, 'x', sizeof(big));
    http(&n, "POST", "/v1/events", "application/x-protobuf", big, sizeof(big),
         &r);
    expect(&r, 413, "too_large");
    http(&n, "GET", "/v1/unknown", "text/plain", NULL, 0, &r);
    expect(&r, 404, "no such endpoint");
    http(&n, "DELETE", "/v1/status", "text/plain", NULL, 0, &r);
    expect(&r, 405, "method_not_allowed");
    http(&n, "GET", "/v1/lots/not-a-lot", "text/plain", NULL, 0, &r);
    expect(&r, 400, "bad_lot_id");
    http(&n, "GET", "/v1/events/zz", "text/plain", NULL, 0, &r);
    expect(&r, 400, "bad_event_id");
    http(&n, "GET", "/v1/blocks/99", "text/plain", NULL, 0, &r);
    expect(&r, 404, "no block");
    static const char junk[] = "HELLO\r\n\r\n";
    http_raw(&n, junk, sizeof(junk) - 1, &r);
    expect(&r, 400, "bad_request");
    /* Headers over the limit (16 KiB by default). */
    struct ll_buf hb;
    ll_buf_init(&hb, 1 << 20);
    ASSERT_OK(ll_buf_printf(&hb, "GET /v1/status HTTP/1.1\r\nX-Pad: "));
    for (int i = 0; i < 20000; i++)
        ASSERT_OK(ll_buf_append_byte(&hb, 'a'));
    ASSERT_OK(ll_buf_printf(&hb, "\r\n\r\n"));
    http_raw(&n, hb.data, hb.len, &r);
    expect(&r, 431, "headers_too_large");
    ll_buf_free(&hb);
    /* Nothing was written by any of these. */
    http(&n, "GET", "/v1/status", "text/plain", NULL, 0, &r);
    expect(&r, 200, "\"height\":0");
    node_stop(&n);
    ll_test_rmrf(n.dir);
}

/* More requests a second than --rate-limit from one address get 429. */
static void test_rate_limit(void)
{
    struct node n;
    struct resp r;
    int ok = 0;
    int limited = 0;
    node_setup(&n);
    node_start(&n, "--rate-limit", "5");
    struct timespec t0;
    struct timespec t1;
    ASSERT_OK(clock_gettime(CLOCK_MONOTONIC, &t0));
    for (int i = 0; i < 30; i++) {
        http(&n, "GET", "/healthz", "text/plain", NULL, 0, &r);
        if (r.status == 200)
            ok++;
        else if (r.status == 429 && strstr(r.body, "rate_limited") != NULL &&
                 strstr(r.head, "\r\nRetry-After: 1") != NULL)
            limited++;
        else
            ll_test_fail(__FILE__, __LINE__, "status %d: %s", r.status, r.head);
        /* Only a refusal says when to come back. */
        ASSERT_TRUE((strstr(r.head, "Retry-After") != NULL) ==
                    (r.status == 429));
    }
    ASSERT_OK(clock_gettime(CLOCK_MONOTONIC, &t1));
    /* A burst of 5, then 5 a second: bound what got through by the time. */
    double secs = (double)(t1.tv_sec - t0.tv_sec) +
                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ASSERT_GE(ok, 5);
    if ((double)ok > 5.0 + 5.0 * secs + 1.0)
        ll_test_fail(__FILE__, __LINE__, "%d of 30 passed in %.2f s", ok, secs);
    ASSERT_EQ(ok + limited, 30);
    struct timespec ts = {1, 100000000};
    (void)nanosleep(&ts, NULL);
    http(&n, "GET", "/healthz", "text/plain", NULL, 0, &r);
    expect(&r, 200, "ok");
    node_stop(&n);
    ll_test_rmrf(n.dir);
}

/*
 * Keystores the node must refuse before it listens: a key that is not the
 * org's, and a member org's own key (it could accept events but never
 * commit them). Each exits 1 with the reason and writes no ledger.
 */
static void test_refuses_bad_config(void)
{
    static const struct {
        const char *org;
        size_t key;
        const char *word;
    } cases[] = {
        {"val", FX_FARM, "holds no key of org val"},
        {"farm", FX_FARM, "org farm holds no validator key of chain"},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        struct node n;
        node_setup(&n);
        char p[700];
        (void)snprintf(p, sizeof(p), "%s/val.key", n.dir);
        ASSERT_OK(unlink(p));
        const struct ll_keystore_params fast = {1, 8};
        ASSERT_OK(ll_keystore_write_file(p, &fx_keys[cases[i].key],
                                         "node secret", 11, &fast));
        char log[700];
        (void)snprintf(log, sizeof(log), "%s/node.log", n.dir);
        (void)fflush(NULL);
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            char a[3][700];
            (void)snprintf(a[0], sizeof(a[0]), "%s/data", n.dir);
            (void)snprintf(a[1], sizeof(a[1]), "%s/genesis.json", n.dir);
            (void)snprintf(a[2], sizeof(a[2]), "%s/pass", n.dir);
            int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
                _exit(90);
            execl(n.bin, "lotledgerd", "--data-dir", a[0], "--genesis", a[1],
                  "--org", cases[i].org, "--keystore", p, "--passphrase-file",
                  a[2], "--http-listen", "127.0.0.1:0", "--init", (char *)NULL);
            _exit(91);
        }
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 1);
        size_t len = 0;
        char *text = (char *)ll_test_read_file(log, &len);
        ASSERT_NOT_NULL(text);
        if (strstr(text, cases[i].word) == NULL)
            ll_test_fail(__FILE__, __LINE__, "case %zu: no '%s' in: %s", i,
                         cases[i].word, text);
        /* It never listened. */
        ASSERT_TRUE(strstr(text, "event=listening") == NULL);
        ll_free(text);
        ll_test_rmrf(n.dir);
    }
}

/*
 * Like http() but never fails the case: returns the status, or -1 if the
 * node is gone (refused, reset, no answer).
 */
static int http_try(struct node *n, const char *path, const struct ll_buf *ev,
                    char *body, size_t cap)
{
    int fd = connect_node(n);
    if (fd < 0)
        return -1;
    char hdr[512];
    int hl = snprintf(hdr, sizeof(hdr),
                      "POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      "Content-Type: application/x-protobuf\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      path, ev->len);
    if (write(fd, hdr, (size_t)hl) != hl ||
        write(fd, ev->data, ev->len) != (ssize_t)ev->len) {
        (void)close(fd);
        return -1;
    }
    char buf[8192];
    read_all(fd, buf, sizeof(buf));
    if (strncmp(buf, "HTTP/1.1 ", 9) != 0)
        return -1;
    const char *b = strstr(buf, "\r\n\r\n");
    (void)snprintf(body, cap, "%s", b ? b + 4 : "");
    return (int)strtol(buf + 9, NULL, 10);
}

/* Every event of ids (what the node promised of them) is on the node. */
static void expect_events(struct node *n, uint8_t (*ids)[32], size_t count,
                          const char *what)
{
    for (size_t i = 0; i < count; i++) {
        char hex[65];
        char path[128];
        struct resp r;
        ASSERT_OK(ll_hex_encode(hex, sizeof(hex), ids[i], 32));
        (void)snprintf(path, sizeof(path), "/v1/events/%s", hex);
        http(n, "GET", path, "text/plain", NULL, 0, &r);
        if (r.status != 200)
            ll_test_fail(__FILE__, __LINE__, "%s event %zu of %zu lost: %d %s",
                         what, i, count, r.status, r.body);
    }
}

/*
 * Events submitted with ?wait=commit while the node is killed with SIGKILL
 * at a random moment: after a restart, every event the node answered 201
 * (committed) for is on the ledger.
 */
static void test_sigkill_during_ingest(void)
{
    struct node n;
    struct ll_buf ev = {0};
    uint8_t(*acked)[32] = ll_calloc(4096, 32);
    size_t nacked = 0;
    ASSERT_NOT_NULL(acked);
    node_setup(&n);
    for (int round = 0; round < 4; round++) {
        node_start(&n, NULL, NULL);
        /*
         * The kill comes at a random moment after a random number of
         * acknowledgements, so every round has some acknowledged events
         * however slow the machine, and the kill lands mid-request.
         */
        size_t kill_after = 3 + ll_test_rand_below(20);
        size_t round_acked = 0;
        pid_t killer = -1;
        for (int i = 0; i < 4000 && nacked < 4096; i++) {
            char lot[64];
            char body[1024];
            uint8_t id[32];
            if (killer < 0 && round_acked >= kill_after) {
                (void)fflush(NULL);
                killer = fork();
                ASSERT_GE(killer, 0);
                if (killer == 0) {
                    struct timespec ts = {0, (long)ll_test_rand_below(80) *
                                                 1000000L};
                    (void)nanosleep(&ts, NULL);
                    (void)kill(n.pid, SIGKILL);
                    _exit(0);
                }
            }
            (void)snprintf(lot, sizeof(lot), "tlc/fda/7/K%d-%d", round, i);
            lotledger_Event *e =
                fx_event(lotledger_EventType_COMMISSION, FX_FARM);
            fx_lot(e, lot, 1000, "KGM");
            fx_sign(&ev, id, e, FX_FARM);
            int st =
                http_try(&n, "/v1/events?wait=commit", &ev, body, sizeof(body));
            if (st < 0)
                break; /* killed */
            if (st != 201)
                ll_test_fail(__FILE__, __LINE__, "status %d: %s", st, body);
            memcpy(acked[nacked++], id, 32);
            round_acked++;
        }
        ASSERT_GT(killer, 0); /* the loop ended by the kill, not the cap */
        int status = 0;
        ASSERT_EQ(waitpid(killer, &status, 0), killer);
        ASSERT_EQ(waitpid(n.pid, &status, 0), n.pid);
        ASSERT_TRUE(WIFSIGNALED(status));
    }
    /* Restart: every acknowledged event is there. */
    node_start(&n, NULL, NULL);
    expect_events(&n, acked, nacked, "acknowledged");
    printf("    %zu events acknowledged as committed across 4 SIGKILLs\n",
           nacked);
    node_stop(&n);
    ll_free(acked);
    ll_buf_free(&ev);
    ll_test_rmrf(n.dir);
}

static void capture(struct node *n, const char *token, const char *json,
                    struct resp *r)
{
    struct ll_buf b;
    ll_buf_init(&b, 1 << 20);
    ASSERT_OK(
        ll_buf_printf(&b,
                      "POST /v1/capture?wait=commit HTTP/1.1\r\nHost: x\r\n"
                      "Connection: close\r\nContent-Type: "
                      "application/ld+json\r\n%s%s%sContent-Length: "
                      "%zu\r\n\r\n%s",
                      token ? "Authorization: Bearer " : "", token ? token : "",
                      token ? "\r\n" : "", strlen(json), json));
    http_raw(n, b.data, b.len, r);
    ll_buf_free(&b);
}

#define EPCIS_HEAD                                                             \
    "{\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/"              \
    "epcis-context.jsonld\"],\"type\":\"EPCISDocument\",\"schemaVersion\":"    \
    "\"2.0\",\"creationDate\":\"2026-11-24T08:00:00Z\",\"epcisBody\":{"        \
    "\"eventList\":[{\"type\":\"ObjectEvent\",\"eventTime\":"                  \
    "\"2026-11-24T07:00:00-08:00\",\"eventTimeZoneOffset\":\"-08:00\","
#define EPCIS_LOT "https://id.gs1.org/01/00614141777778/10/CAP-1"

/* POST /v1/capture: EPCIS 2.0 events, signed by the node's organisation. */
static void test_capture(void)
{
    struct node n;
    struct resp r;
    struct ll_buf ev = {0};
    uint8_t ship[32];
    node_setup(&n);
    node_start(&n, "--capture-token", "s3cret-token");
    static const char commission[] = EPCIS_HEAD
        "\"action\":\"ADD\",\"bizStep\":\"commissioning\","
        "\"bizLocation\":{\"id\":\"urn:epc:id:sgln:0614141.00000.0\"},"
        "\"quantityList\":[{\"epcClass\":\"" EPCIS_LOT "\","
        "\"quantity\":120.5,\"uom\":\"KGM\"}],\"ilmd\":{"
        "\"lotledger:product\":\"Romaine\"},\"fsma:field_name\":"
        "\"North 40\"}]}}";
    capture(&n, NULL, commission, &r);
    expect(&r, 401, "Authorization: Bearer");
    capture(&n, "wrong-token!", commission, &r);
    expect(&r, 401, "unauthorized");
    capture(&n, "s3cret-token", "{\"type\":\"AggregationEvent\"}", &r);
    expect(&r, 400, "AggregationEvent is not recorded by lotledger");
    capture(&n, "s3cret-token", commission, &r);
    expect(&r, 201, "\"status\":\"committed\"");
    http(&n, "GET", "/v1/lots/01/00614141777778/10/CAP-1", "text/plain", NULL,
         0, &r);
    expect(&r, 200, "{\"org\":\"val\",\"quantity\":120500}");
    ASSERT_TRUE(strstr(r.body, "\"product\":\"Romaine\"") != NULL);
    /* Ship to the packer, named by its GLN. */
    static const char shipping[] =
        EPCIS_HEAD "\"action\":\"OBSERVE\",\"bizStep\":\"shipping\","
                   "\"quantityList\":[{\"epcClass\":\"" EPCIS_LOT "\","
                   "\"quantity\":20,\"uom\":\"KGM\"}],\"destinationList\":[{"
                   "\"type\":\"owning_party\",\"destination\":"
                   "\"urn:epc:id:pgln:0614141.00001\"}]}]}}";
    capture(&n, "s3cret-token", shipping, &r);
    expect(&r, 201, "committed");
    http(&n, "GET", "/v1/lots/01/00614141777778/10/CAP-1", "text/plain", NULL,
         0, &r);
    expect(&r, 200, "\"to\":\"packer\",\"quantity\":20000");
    /* A receive names no shipment: the node finds the pending one. */
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(e, FX_LOT_B, 5000, "KGM");
    fx_sign(&ev, NULL, e, FX_FARM);
    post(&n, &ev, &r);
    expect(&r, 202, "accepted");
    e = fx_event(lotledger_EventType_SHIP, FX_FARM);
    fx_lot(e, FX_LOT_B, 5000, "KGM");
    (void)snprintf(e->counterparty, sizeof(e->counterparty), "val");
    fx_sign(&ev, ship, e, FX_FARM);
    post_commit(&n, &ev, &r);
    static const char receiving[] =
        EPCIS_HEAD "\"action\":\"OBSERVE\",\"bizStep\":\"receiving\","
                   "\"quantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:"
                   "0614141.077777.B2\",\"quantity\":5,\"uom\":\"KGM\"}]}]}}";
    capture(&n, "s3cret-token", receiving, &r);
    expect(&r, 201, "committed");
    http(&n, "GET", "/v1/lots/" FX_LOT_B, "text/plain", NULL, 0, &r);
    expect(&r, 200, "{\"org\":\"val\",\"quantity\":5000}");
    /* Again: nothing is pending any more. */
    capture(&n, "s3cret-token", receiving, &r);
    expect(&r, 422, "no committed shipment to val is pending");
    /* Two shipments pending: only a matching quantity picks one. */
    e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(e, FX_LOT_A, 10000, "KGM");
    fx_sign(&ev, NULL, e, FX_FARM);
    post(&n, &ev, &r);
    expect(&r, 202, "accepted");
    for (int k = 3; k <= 4; k++) {
        e = fx_event(lotledger_EventType_SHIP, FX_FARM);
        fx_lot(e, FX_LOT_A, (uint64_t)k * 1000, "KGM");
        (void)snprintf(e->counterparty, sizeof(e->counterparty), "val");
        fx_sign(&ev, NULL, e, FX_FARM);
        post_commit(&n, &ev, &r);
    }
    static const char receive5[] =
        EPCIS_HEAD "\"action\":\"OBSERVE\",\"bizStep\":\"receiving\","
                   "\"quantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:"
                   "0614141.077777.A1\",\"quantity\":5,\"uom\":\"KGM\"}]}]}}";
    capture(&n, "s3cret-token", receive5, &r);
    expect(&r, 409, "2 shipments to val are pending");
    static const char receive3[] =
        EPCIS_HEAD "\"action\":\"OBSERVE\",\"bizStep\":\"receiving\","
                   "\"quantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:"
                   "0614141.077777.A1\",\"quantity\":3,\"uom\":\"KGM\"}]}]}}";
    capture(&n, "s3cret-token", receive3, &r);
    expect(&r, 201, "committed");
    node_stop(&n);
    ll_buf_free(&ev);
    ll_test_rmrf(n.dir);
}

/*
 * Many connections submit with ?wait=commit at once, so events keep
 * arriving while blocks are being written: every one is answered 201 and
 * is on the ledger, in blocks that verify.
 */
static void test_concurrent_ingest(void)
{
    enum { CONNS = 64, ROUNDS = 4 };
    struct node n;
    struct ll_buf ev = {0};
    struct resp r;
    int fds[CONNS];
    uint8_t(*ids)[32] = ll_calloc(CONNS * ROUNDS, 32);
    ASSERT_NOT_NULL(ids);
    node_setup(&n);
    node_start(&n, "--block-interval", "5");
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < CONNS; i++) {
            char lot[64];
            char hdr[256];
            (void)snprintf(lot, sizeof(lot), "tlc/fda/7/C%d-%d", round, i);
            lotledger_Event *e =
                fx_event(lotledger_EventType_COMMISSION, FX_FARM);
            fx_lot(e, lot, 1000, "KGM");
            fx_sign(&ev, ids[round * CONNS + i], e, FX_FARM);
            int hl = snprintf(hdr, sizeof(hdr),
                              "POST /v1/events?wait=commit HTTP/1.1\r\n"
                              "Host: x\r\nConnection: close\r\nContent-Type: "
                              "application/x-protobuf\r\nContent-Length: "
                              "%zu\r\n\r\n",
                              ev.len);
            fds[i] = connect_node(&n);
            ASSERT_GE(fds[i], 0);
            ASSERT_EQ(write(fds[i], hdr, (size_t)hl), hl);
            ASSERT_EQ(write(fds[i], ev.data, ev.len), (ssize_t)ev.len);
        }
        for (int i = 0; i < CONNS; i++) {
            char buf[4096];
            read_all(fds[i], buf, sizeof(buf));
            if (strncmp(buf, "HTTP/1.1 201", 12) != 0)
                ll_test_fail(__FILE__, __LINE__, "round %d conn %d: %s", round,
                             i, buf);
        }
    }
    http(&n, "GET", "/metrics", "text/plain", NULL, 0, &r);
    expect(&r, 200, "lotledger_events_accepted_total 256\n");
    for (int i = 0; i < CONNS * ROUNDS; i += 17) {
        char hex[65];
        char path[128];
        ASSERT_OK(ll_hex_encode(hex, sizeof(hex), ids[i], 32));
        (void)snprintf(path, sizeof(path), "/v1/events/%s", hex);
        http(&n, "GET", path, "text/plain", NULL, 0, &r);
        expect(&r, 200, "\"type\":\"commission\"");
    }
    node_stop(&n);
    /* The ledger the node wrote verifies from genesis. */
    char dir[700];
    struct ll_genesis *g = fx_genesis();
    struct ll_ledger *l = NULL;
    struct ll_verify_report rep;
    struct ll_errmsg e = {{0}};
    (void)snprintf(dir, sizeof(dir), "%s/data/ledger", n.dir);
    ASSERT_OK(ll_ledger_open_existing(&l, dir, g, &e));
    int rc = ll_ledger_verify(l, &rep, &e);
    if (rc)
        ll_test_fail(__FILE__, __LINE__, "verify: %s", e.text);
    ASSERT_UEQ(rep.events, CONNS * ROUNDS);
    ll_ledger_close(l);
    ll_free(g);
    ll_free(ids);
    ll_buf_free(&ev);
    ll_test_rmrf(n.dir);
}

/* The consumer page behind a lot's Digital Link: HTML, JSON, errors. */
static void test_consumer_page(void)
{
    struct node n;
    struct resp r;
    struct ll_buf ev = {0};
    node_setup(&n);
    node_start(&n, NULL, NULL);
    /* Lot code and product with HTML's special characters. */
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(e, "01/00614141777778/10/A<&>\"", 5000, "KGM");
    e->has_master = true;
    (void)snprintf(e->master.product, sizeof(e->master.product),
                   "<script>alert(1)</script> kale");
    (void)snprintf(e->master.country, sizeof(e->master.country), "US");
    fx_sign(&ev, NULL, e, FX_FARM);
    post_commit(&n, &ev, &r);
    static const char path[] = "/01/00614141777778/10/A%3C%26%3E%22?17=261205"
                               "&linkType=all";
    http(&n, "GET", path, "text/plain", NULL, 0, &r);
    expect(&r, 200, "&lt;script&gt;alert(1)&lt;/script&gt; kale");
    ASSERT_TRUE(strstr(r.body, "<script>") == NULL);
    ASSERT_TRUE(strstr(r.body, "No hold or recall") != NULL);
    ASSERT_TRUE(strstr(r.body, "Verified: the history is complete") != NULL);
    ASSERT_TRUE(strstr(r.body, "/v1/lots/01/00614141777778/10/"
                               "A%3C%26%3E%22/proof") != NULL);
    /* Recalled: the banner says so; JSON when asked for. */
    e = fx_event(lotledger_EventType_RECALL, FX_FARM);
    fx_lot(e, "01/00614141777778/10/A<&>\"", 0, NULL);
    (void)snprintf(e->reason, sizeof(e->reason), "Listeria");
    fx_sign(&ev, NULL, e, FX_FARM);
    post_commit(&n, &ev, &r);
    http(&n, "GET", path, "text/plain", NULL, 0, &r);
    expect(&r, 200, "RECALLED: do not eat");
    static const char get_json[] =
        "GET /01/00614141777778/10/A%3C%26%3E%22 HTTP/1.1\r\nHost: x\r\n"
        "Connection: close\r\nAccept: application/json\r\n\r\n";
    http_raw(&n, get_json, sizeof(get_json) - 1, &r);
    expect(&r, 200, "\"status\":\"recalled\"");
    ASSERT_TRUE(strstr(r.body, "\"verified\":true") != NULL);
    ASSERT_TRUE(strstr(r.body, "\"country\":\"US\"") != NULL);
    /* A wrong check digit: a friendly 400 page. Unknown lot: 404 page. */
    http(&n, "GET", "/01/00614141777779/10/A", "text/plain", NULL, 0, &r);
    expect(&r, 400, "not a valid product link");
    ASSERT_TRUE(strstr(r.body, "check digit is 9, should be 8") != NULL);
    /* Any Digital Link spelling of the lot: a GTIN-13, a serial number of
     * an item in the lot; a product without a lot, a bad date: 400. */
    http(&n, "GET", "/01/0614141777778/10/A%3C%26%3E%22", "text/plain", NULL, 0,
         &r);
    expect(&r, 200, "RECALLED");
    http(&n, "GET", "/01/00614141777778/10/A%3C%26%3E%22/21/S-1", "text/plain",
         NULL, 0, &r);
    expect(&r, 200, "RECALLED");
    http(&n, "GET", "/01/00614141777778", "text/plain", NULL, 0, &r);
    expect(&r, 400, "names a product but not a lot");
    http(&n, "GET", "/01/00614141777778/10/A?17=261332", "text/plain", NULL, 0,
         &r);
    expect(&r, 400, "month 13 does not exist");
    http(&n, "GET", "/01/00614141777778/21/S/10/A", "text/plain", NULL, 0, &r);
    expect(&r, 400, "in that order");
    http(&n, "GET", "/01/00614141777778/10/NOPE", "text/plain", NULL, 0, &r);
    expect(&r, 404, "Unknown lot");
    node_stop(&n);
    ll_buf_free(&ev);
    ll_test_rmrf(n.dir);
}

/* A lot code may end in "/trace" or "/proof": escaped, it is a lot. */
static void test_lot_named_like_a_route(void)
{
    static const char lot[] = "tlc/gln/0614141000005/X/trace";
    char esc[3 * sizeof(lot)];
    ASSERT_OK(ll_lotid_url_escape(esc, sizeof(esc), lot));
    ASSERT_STR_EQ(esc, "tlc/gln/0614141000005/X%2Ftrace");
    ASSERT_ERR(ll_lotid_url_escape(esc, 10, lot), LL_ETOOBIG);
    struct node n;
    struct resp r;
    struct ll_buf ev = {0};
    node_setup(&n);
    node_start(&n, NULL, NULL);
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(e, lot, 1000, "KGM");
    fx_sign(&ev, NULL, e, FX_FARM);
    post_commit(&n, &ev, &r);
    http(&n, "GET", "/v1/lots/tlc/gln/0614141000005/X%2Ftrace", "text/plain",
         NULL, 0, &r);
    expect(&r, 200, "\"lot\":\"tlc/gln/0614141000005/X/trace\"");
    ASSERT_TRUE(strstr(r.body, "\"holdings\"") != NULL);
    http(&n, "GET", "/v1/lots/tlc/gln/0614141000005/X%2Ftrace/trace",
         "text/plain", NULL, 0, &r);
    expect(&r, 200, "\"direction\":\"backward\"");
    ASSERT_TRUE(strstr(r.body, "\"lot\":\"tlc/gln/0614141000005/X/trace\"") !=
                NULL);
    /* Unescaped, the suffix is the route: the lot "X" does not exist. */
    http(&n, "GET", "/v1/lots/tlc/gln/0614141000005/X/trace", "text/plain",
         NULL, 0, &r);
    ASSERT_EQ(r.status, 404);
    node_stop(&n);
    ll_buf_free(&ev);
    ll_test_rmrf(n.dir);
}

/*
 * Many pipelined requests whose answers the client does not read yet: the
 * node's writes go from immediate (uv_try_write) to partial to queued, and
 * every answer still arrives whole and in order.
 */
static void test_pipelined_backlog(void)
{
    enum { N = 3000 };
    struct node n;
    node_setup(&n);
    /* A small stack for the node: answering pipelined requests must not
     * recurse once per request (it did, and a client could crash it). */
    struct rlimit rl = {(rlim_t)256 << 10, (rlim_t)256 << 10};
    struct rlimit old;
    ASSERT_EQ(getrlimit(RLIMIT_STACK, &old), 0);
    rl.rlim_max = old.rlim_max;
    ASSERT_EQ(setrlimit(RLIMIT_STACK, &rl), 0);
    node_start(&n, "--rate-limit", "1000000");
    ASSERT_EQ(setrlimit(RLIMIT_STACK, &old), 0);
    int fd = connect_node(&n);
    ASSERT_GE(fd, 0);
    static const char get[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char last[] =
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    struct ll_buf req;
    ll_buf_init(&req, (size_t)1 << 20);
    for (int i = 0; i < N - 1; i++)
        ASSERT_OK(ll_buf_append(&req, get, sizeof(get) - 1));
    ASSERT_OK(ll_buf_append(&req, last, sizeof(last) - 1));
    for (size_t off = 0; off < req.len;) {
        ssize_t k = write(fd, req.data + off, req.len - off);
        ASSERT_GT(k, 0);
        off += (size_t)k;
    }
    ll_buf_free(&req);
    (void)usleep(300 * 1000); /* let the node's answers back up */
    size_t cap = (size_t)64 << 20;
    char *buf = ll_malloc(cap);
    ASSERT_NOT_NULL(buf);
    read_all(fd, buf, cap);
    size_t answers = 0;
    const char *p = buf;
    while (strncmp(p, "HTTP/1.1 200 ", 13) == 0) {
        const char *cl = strstr(p, "Content-Length: ");
        const char *end = strstr(p, "\r\n\r\n");
        ASSERT_TRUE(cl != NULL && end != NULL && cl < end);
        p = end + 4 + strtoul(cl + 16, NULL, 10);
        answers++;
    }
    if (answers != N)
        (void)fprintf(stderr, "    after %zu answers: '%.200s'\n", answers, p);
    ASSERT_UEQ(answers, N);
    ASSERT_TRUE(*p == '\0');
    ASSERT_TRUE(strstr(p - 3, "ok\n") == p - 3);
    ll_free(buf);
    node_stop(&n);
    ll_test_rmrf(n.dir);
}

/* ---- hostile clients ------------------------------------------------------
 */

/* A connection to the node from a given loopback source address. */
static int connect_from(const struct node *n, const char *src)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    struct sockaddr_in me;
    memset(&me, 0, sizeof(me));
    me.sin_family = AF_INET;
    ASSERT_EQ(inet_pton(AF_INET, src, &me.sin_addr), 1);
    ASSERT_OK(bind(fd, (struct sockaddr *)&me, sizeof(me)));
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)n->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {60, 0};
    ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
    ASSERT_OK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
    return fd;
}

/* Close with a reset (RST), not a FIN: what a crashing client does. */
static void reset_close(int fd)
{
    struct linger lg = {1, 0};
    ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
    ASSERT_OK(close(fd));
}

static void write_all(int fd, const void *p, size_t len)
{
    const char *b = p;
    while (len > 0) {
        ssize_t k = write(fd, b, len);
        ASSERT_GT(k, 0);
        b += k;
        len -= (size_t)k;
    }
}

static void set_rcvtimeo(int fd, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
}

/* Answers read one at a time from a keep-alive connection. */
struct reader {
    int fd;
    size_t len;
    char buf[131072];
};

/*
 * The next whole answer's status (its body, NUL-terminated, in *body if
 * asked, valid until the next call); 0 at end of stream, -1 if the read
 * timed out or failed.
 */
static int next_answer(struct reader *r, const char **body)
{
    static const char sep[] = "\r\n\r\n";
    for (;;) {
        r->buf[r->len] = '\0';
        const char *end = strstr(r->buf, sep);
        if (end != NULL) {
            const char *cl = strstr(r->buf, "Content-Length: ");
            size_t blen =
                cl != NULL && cl < end ? strtoul(cl + 16, NULL, 10) : 0;
            size_t hlen = (size_t)(end - r->buf) + 4;
            if (strncmp(r->buf, "HTTP/1.1 100 ", 13) == 0)
                blen = 0;
            ASSERT_LT(hlen + blen, sizeof(r->buf));
            if (r->len >= hlen + blen) {
                int status = (int)strtol(r->buf + 9, NULL, 10);
                static char last[131072];
                memcpy(last, r->buf + hlen, blen);
                last[blen] = '\0';
                if (body != NULL)
                    *body = last;
                memmove(r->buf, r->buf + hlen + blen, r->len - hlen - blen);
                r->len -= hlen + blen;
                return status;
            }
        }
        ssize_t k = read(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len);
        if (k == 0)
            return r->len == 0 ? 0 : -1;
        if (k < 0)
            return -1;
        r->len += (size_t)k;
    }
}

/* The node's resident memory, kB (VmRSS in /proc/PID/status). */
static long node_rss_kb(const struct node *n)
{
    char path[64];
    (void)snprintf(path, sizeof(path), "/proc/%d/status", (int)n->pid);
    size_t len = 0;
    char *text = (char *)ll_test_read_file(path, &len);
    ASSERT_NOT_NULL(text);
    const char *p = strstr(text, "VmRSS:");
    ASSERT_NOT_NULL(p);
    long kb = strtol(p + 6, NULL, 10);
    ll_free(text);
    return kb;
}

/* Stop the node (SIGSTOP) and wait until it is stopped; it must be alive. */
static void node_freeze(struct node *n)
{
    int status = 0;
    ASSERT_OK(kill(n->pid, SIGSTOP));
    ASSERT_EQ(waitpid(n->pid, &status, WUNTRACED), n->pid);
    if (!WIFSTOPPED(status))
        ll_test_fail(__FILE__, __LINE__, "the node died (%s %d)",
                     WIFSIGNALED(status) ? "signal" : "exit",
                     WIFSIGNALED(status) ? WTERMSIG(status)
                                         : WEXITSTATUS(status));
}

/* The node is still running (it did not die of a signal). */
static void expect_alive(struct node *n)
{
    int status = 0;
    pid_t w = waitpid(n->pid, &status, WNOHANG);
    if (w == n->pid)
        ll_test_fail(__FILE__, __LINE__, "the node died (%s %d)",
                     WIFSIGNALED(status) ? "signal" : "exit",
                     WIFSIGNALED(status) ? WTERMSIG(status)
                                         : WEXITSTATUS(status));
    ASSERT_EQ(w, 0);
}

/* "pending":N of /v1/status. */
static unsigned long pending_events(struct node *n)
{
    struct resp r;
    http(n, "GET", "/v1/status", "text/plain", NULL, 0, &r);
    const char *p = strstr(r.body, "\"pending\":");
    ASSERT_NOT_NULL(p);
    return strtoul(p + 10, NULL, 10);
}

/*
 * A client that resets its connection before its answer is written: the
 * write meets the reset. It killed the node with SIGPIPE (an accepted
 * event in the open block was lost with it); now the node closes that
 * connection and goes on. Three ways: the request and the reset reach a
 * stopped node (it reads the request, answers, and the answer meets the
 * reset), a ?wait=commit request whose client sends more and resets
 * before the commit (the node has stopped reading, so only the answer's
 * write sees the reset), and a reset in the middle of answers to
 * pipelined requests.
 */
static void test_client_reset(void)
{
    struct node n;
    struct ll_buf ev = {0};
    node_setup(&n);
    const char *const flags[] = {"--block-interval", "1500", "--rate-limit",
                                 "1000000", NULL};
    node_start_with(&n, flags);
    static const char get[] = "GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int round = 0; round < 6; round++) {
        node_freeze(&n);
        int fd = connect_node(&n); /* the kernel completes it */
        ASSERT_GE(fd, 0);
        for (int i = 0; i < (round % 2 == 0 ? 1 : 20); i++)
            write_all(fd, get, sizeof(get) - 1);
        reset_close(fd);
        ASSERT_OK(kill(n.pid, SIGCONT));
        struct resp r;
        http(&n, "GET", "/healthz", "text/plain", NULL, 0, &r);
        expect(&r, 200, "ok");
    }
    unsigned committed = 0;
    for (int round = 0; committed < 3 && round < 10; round++) {
        lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
        char lot[64];
        (void)snprintf(lot, sizeof(lot), "01/00614141777778/10/R%d", round);
        fx_lot(e, lot, 1000, "KGM");
        fx_sign(&ev, NULL, e, FX_FARM);
        char head[256];
        int hl = snprintf(head, sizeof(head),
                          "POST /v1/events?wait=commit HTTP/1.1\r\nHost: x\r\n"
                          "Content-Type: application/x-protobuf\r\n"
                          "Content-Length: %zu\r\n\r\n",
                          ev.len);
        int fd = connect_node(&n);
        ASSERT_GE(fd, 0);
        write_all(fd, head, (size_t)hl);
        write_all(fd, ev.data, ev.len);
        /* Until the node holds it in the open block (else try again). */
        bool held = false;
        for (int i = 0; i < 100 && !held; i++)
            held = pending_events(&n) > 0;
        if (held) {
            write_all(fd, get, sizeof(get) - 1);
            committed++;
        }
        reset_close(fd);
        wait_height(&n, committed);
    }
    ASSERT_UEQ(committed, 3);
    /* Answers to pipelined requests, reset after a few bytes of them. */
    for (int round = 0; round < 3; round++) {
        int fd = connect_node(&n);
        ASSERT_GE(fd, 0);
        for (int i = 0; i < 200; i++)
            write_all(fd, get, sizeof(get) - 1);
        char b[100];
        ASSERT_GT(read(fd, b, sizeof(b)), 0);
        reset_close(fd);
    }
    expect_alive(&n);
    wait_height(&n, 3); /* every event held when its client reset */
    ll_buf_free(&ev);
    node_stop(&n);
    ll_test_rmrf(n.dir);
}

/* The connection is closed (or reset) within its read timeout. */
static void expect_closed(int fd)
{
    char b[512];
    ssize_t k;
    do {
        k = read(fd, b, sizeof(b));
    } while (k > 0);
    if (k < 0 && errno != ECONNRESET)
        ll_test_fail(__FILE__, __LINE__, "still open: %s", strerror(errno));
    (void)close(fd);
}

/* The next answer on fd is 408 (then the node closes it). */
static void expect_408(int fd)
{
    struct reader *rd = ll_calloc(1, sizeof(*rd));
    ASSERT_NOT_NULL(rd);
    rd->fd = fd;
    const char *body = NULL;
    int st = next_answer(rd, &body);
    if (st != 408 || strstr(body, "\"timeout\"") == NULL)
        ll_test_fail(__FILE__, __LINE__, "got %d, want 408", st);
    ll_free(rd);
    expect_closed(fd);
}

/*
 * Connections that hold a slot and send nothing, or too little: with every
 * slot taken by silent connections, or by slowloris clients that never
 * finish their headers, an honest client is still answered (the oldest
 * idle connection, else the oldest unfinished one, is closed for it; all
 * of them got 503 before); the silent ones are closed after the idle
 * timeout, the slow ones answered 408 after the header timeout (even when
 * they keep sending a byte at a time), a body shorter than its
 * Content-Length after the body timeout, and an idle keep-alive
 * connection is closed.
 */
static void test_slow_clients(void)
{
    enum { SLOTS = 8 };
    struct node n;
    struct resp r;
    node_setup(&n);
    const char *const flags[] = {"--max-connections",
                                 "8",
                                 "--idle-timeout",
                                 "1000",
                                 "--header-timeout",
                                 "1000",
                                 "--body-timeout",
                                 "1000",
                                 NULL};
    node_start_with(&n, flags);
    int fds[SLOTS];
    for (int i = 0; i < SLOTS; i++) {
        fds[i] = connect_node(&n);
        ASSERT_GE(fds[i], 0);
        set_rcvtimeo(fds[i], 10000); /* a timeout is a failure */
    }
    http(&n, "GET", "/healthz", "text/plain", NULL, 0, &r);
    expect(&r, 200, "ok");
    for (int i = 0; i < SLOTS; i++)
        expect_closed(fds[i]);
    /* Slowloris: headers begun and never finished. */
    static const char part[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-a: ";
    for (int i = 0; i < SLOTS; i++) {
        fds[i] = connect_node(&n);
        ASSERT_GE(fds[i], 0);
        set_rcvtimeo(fds[i], 10000);
        write_all(fds[i], part, sizeof(part) - 1);
    }
    http(&n, "GET", "/healthz", "text/plain", NULL, 0, &r);
    expect(&r, 200, "ok");
    for (int i = 0; i < SLOTS; i++) {
        struct reader *rd = ll_calloc(1, sizeof(*rd));
        ASSERT_NOT_NULL(rd);
        rd->fd = fds[i];
        int st = next_answer(rd, NULL);
        ll_free(rd);
        /* One was closed for the honest client; the rest timed out. */
        if (st != 408 && st != 0 && !(st < 0 && errno == ECONNRESET))
            ll_test_fail(__FILE__, __LINE__, "slowloris %d got %d", i, st);
        expect_closed(fds[i]);
    }
    /* A byte every 50 ms does not move the header deadline (at most
     * 10 s: every byte moved it before). */
    int fd = connect_node(&n);
    ASSERT_GE(fd, 0);
    set_rcvtimeo(fd, 10000);
    write_all(fd, part, sizeof(part) - 1);
    bool answered = false;
    for (int i = 0; i < 200 && !answered; i++) {
        struct pollfd pfd = {fd, POLLIN, 0};
        answered = poll(&pfd, 1, 50) == 1;
        if (!answered)
            write_all(fd, "a", 1);
    }
    ASSERT_TRUE(answered);
    expect_408(fd);
    /* A body shorter than its Content-Length. */
    static const char shortbody[] =
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: "
        "application/x-protobuf\r\nContent-Length: 100\r\n\r\n0123456789";
    fd = connect_node(&n);
    ASSERT_GE(fd, 0);
    set_rcvtimeo(fd, 10000);
    write_all(fd, shortbody, sizeof(shortbody) - 1);
    expect_408(fd);
    /* An idle keep-alive connection after its answer. */
    static const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    fd = connect_node(&n);
    ASSERT_GE(fd, 0);
    set_rcvtimeo(fd, 10000);
    write_all(fd, get, sizeof(get) - 1);
    struct reader *rd = ll_calloc(1, sizeof(*rd));
    ASSERT_NOT_NULL(rd);
    rd->fd = fd;
    ASSERT_EQ(next_answer(rd, NULL), 200);
    ASSERT_EQ(next_answer(rd, NULL), 0);
    ll_free(rd);
    (void)close(fd);
    http(&n, "GET", "/metrics", "text/plain", NULL, 0, &r);
    expect(&r, 200, "lotledger_http_evicted_total 2");
    node_stop(&n);
    ll_test_rmrf(n.dir);
}

/* Send count pipelined GETs of path on fd (the last with close if asked). */
static void pipeline(int fd, const char *path, int count, bool close_last)
{
    struct ll_buf b;
    ll_buf_init(&b, (size_t)16 << 20);
    for (int i = 0; i < count; i++)
        ASSERT_OK(ll_buf_printf(
            &b, "GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n", path,
            close_last && i == count - 1 ? "Connection: close\r\n" : ""));
    write_all(fd, b.data, b.len);
    ll_buf_free(&b);
}

/* Read count answers from fd: how many were 200 (the rest must be 429). */
static int count_ok(int fd, int count)
{
    struct reader *rd = ll_calloc(1, sizeof(*rd));
    ASSERT_NOT_NULL(rd);
    rd->fd = fd;
    int ok = 0;
    for (int i = 0; i < count; i++) {
        int st = next_answer(rd, NULL);
        if (st != 200 && st != 429)
            ll_test_fail(__FILE__, __LINE__, "answer %d: %d", i, st);
        ok += st == 200;
    }
    ll_free(rd);
    return ok;
}

/* The slot the old direct-mapped limiter put an address in. */
static uint32_t old_slot(const char *peer)
{
    uint32_t h = 2166136261u;
    for (const char *p = peer; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    return h % 1024;
}

static double since_s(const struct timespec *t0)
{
    struct timespec t1;
    ASSERT_OK(clock_gettime(CLOCK_MONOTONIC, &t1));
    return (double)(t1.tv_sec - t0->tv_sec) +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * The rate limit is per address for every request of a keep-alive
 * connection: a client keeps its own budget while another address floods
 * (after its first request, every keep-alive request shared one bucket).
 * Two addresses in the same slot of the old table reset it to full for
 * each other and were never limited; each is limited now.
 */
static void test_rate_limit_per_address(void)
{
    enum { RATE = 20 };
    struct node n;
    node_setup(&n);
    node_start(&n, "--rate-limit", "20");
    struct timespec t0;
    ASSERT_OK(clock_gettime(CLOCK_MONOTONIC, &t0));
    int flood = connect_from(&n, "127.0.0.2");
    pipeline(flood, "/healthz", 200, false);
    int flood_ok = count_ok(flood, 200);
    if ((double)flood_ok > RATE + RATE * since_s(&t0) + 1.0)
        ll_test_fail(__FILE__, __LINE__, "flood: %d of 200 passed", flood_ok);
    int honest = connect_from(&n, "127.0.0.3");
    pipeline(honest, "/healthz", 10, false);
    ASSERT_EQ(count_ok(honest, 10), 10);
    (void)close(flood);
    (void)close(honest);
    /* Two addresses that shared a slot of the old table. */
    char a[32] = "";
    char b[32] = "";
    for (int i = 1; i < 65536 && b[0] == '\0'; i++) {
        char cand[32];
        (void)snprintf(cand, sizeof(cand), "127.1.%d.%d", i / 250, 1 + i % 250);
        if (a[0] == '\0')
            (void)snprintf(a, sizeof(a), "%s", cand);
        else if (old_slot(cand) == old_slot(a))
            (void)snprintf(b, sizeof(b), "%s", cand);
    }
    ASSERT_TRUE(b[0] != '\0');
    int ok_a = 0;
    int ok_b = 0;
    ASSERT_OK(clock_gettime(CLOCK_MONOTONIC, &t0));
    for (int i = 0; i < 2 * 60; i++) {
        int fd = connect_from(&n, i % 2 ? b : a);
        pipeline(fd, "/healthz", 1, true);
        int ok = count_ok(fd, 1);
        (void)close(fd);
        if (i % 2)
            ok_b += ok;
        else
            ok_a += ok;
    }
    double most = RATE + RATE * since_s(&t0) + 1.0;
    if ((double)ok_a > most || (double)ok_b > most)
        ll_test_fail(__FILE__, __LINE__, "%s: %d, %s: %d of 60 passed (%.0f)",
                     a, ok_a, b, ok_b, most);
    node_stop(&n);
    ll_test_rmrf(n.dir);
}

/*
 * The limiter itself at fixed times: addresses that share a set each keep
 * their own bucket while the set has room, and more of them than it has
 * ways share its buckets without ever being refilled by a takeover.
 */
static void test_rate_collisions(void)
{
    enum { RATE = 10 };
    static const uint8_t key[16] = {1, 2, 3};
    struct ll_rate *rl = NULL;
    ASSERT_OK(ll_rate_new(&rl, RATE, key));
    char peers[LL_RATE_WAYS + 1][32];
    int found = 0;
    uint32_t set = 0;
    for (int i = 0; i < 1000000 && found <= LL_RATE_WAYS; i++) {
        char cand[32];
        (void)snprintf(cand, sizeof(cand), "10.%d.%d.%d", i >> 16,
                       (i >> 8) & 255, i & 255);
        if (found == 0)
            set = ll_rate_set_of(rl, cand);
        if (ll_rate_set_of(rl, cand) == set)
            (void)snprintf(peers[found++], sizeof(peers[0]), "%s", cand);
    }
    ASSERT_EQ(found, LL_RATE_WAYS + 1);
    /* Two in one set, alternating: each gets exactly its own budget. */
    int ok[LL_RATE_WAYS + 1] = {0};
    for (int i = 0; i < 100; i++)
        ok[i % 2] += ll_rate_take(rl, peers[i % 2], 1000);
    ASSERT_EQ(ok[0], RATE);
    ASSERT_EQ(ok[1], RATE);
    /* Half a second later, half a budget each. */
    ok[0] = ok[1] = 0;
    for (int i = 0; i < 100; i++)
        ok[i % 2] += ll_rate_take(rl, peers[i % 2], 1500);
    ASSERT_EQ(ok[0], RATE / 2);
    ASSERT_EQ(ok[1], RATE / 2);
    /* One more address than ways, round robin, long after: the set's
     * buckets hold at most ways x rate, and takeovers never add any. */
    int total = 0;
    for (int i = 0; i < 1000; i++)
        total += ll_rate_take(rl, peers[i % (LL_RATE_WAYS + 1)], 10000);
    ASSERT_LE(total, LL_RATE_WAYS * RATE);
    ASSERT_GE(total, RATE);
    for (int i = 0; i <= LL_RATE_WAYS; i++)
        ASSERT_FALSE(ll_rate_take(rl, peers[i], 10000));
    ll_rate_free(rl);
}

/* The node's count of 2xx answers, not counting this request's own. */
static unsigned long answered_2xx(struct node *n)
{
    struct resp r;
    http(n, "GET", "/metrics", "text/plain", NULL, 0, &r);
    static const char key[] = "lotledger_http_requests_total{code=\"2xx\"} ";
    const char *p = strstr(r.body, key);
    ASSERT_NOT_NULL(p);
    return strtoul(p + sizeof(key) - 1, NULL, 10);
}

/*
 * A client that pipelines requests and never reads the answers: the node
 * stops reading it once max_queued answer bytes wait, so its memory stays
 * bounded (every answer was queued before: 20,000 answers, about 50 MB),
 * and it reads on when the client drains them: every answer arrives.
 * Then keep-alive connections that each sent one 1 MiB request hold no
 * request buffers afterwards.
 */
static void test_slow_reader_memory(void)
{
    enum { N = 20000, BIG = 40 };
    struct node n;
    node_setup(&n);
#if defined(__SANITIZE_ADDRESS__) || defined(LL_TEST_HAS_ASAN)
    /* An ASan build holds freed memory back (its quarantine, 256 MiB):
     * let the node reuse it, as the C library does, so that its resident
     * memory measures what it holds. */
    char opts[512];
    const char *old = getenv("ASAN_OPTIONS"); /* NOLINT: one thread */
    (void)snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=0",
                   old != NULL ? old : "", old != NULL ? ":" : "");
    ASSERT_OK(setenv("ASAN_OPTIONS", opts, 1));
#endif
    const char *const flags[] = {"--max-queued", "65536", "--rate-limit",
                                 "1000000", NULL};
    node_start_with(&n, flags);
    unsigned long base = answered_2xx(&n);
    long rss0 = node_rss_kb(&n);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    int small = 4096;
    ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)n.port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_OK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
    ASSERT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
    struct ll_buf req;
    ll_buf_init(&req, (size_t)16 << 20);
    for (int i = 0; i < N; i++)
        ASSERT_OK(ll_buf_printf(&req,
                                "GET /metrics HTTP/1.1\r\nHost: x\r\n%s\r\n",
                                i == N - 1 ? "Connection: close\r\n" : ""));
    /* Write until the node stops taking requests (a second without). */
    size_t off = 0;
    while (off < req.len) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        if (poll(&pfd, 1, 1000) != 1)
            break;
        ssize_t k = write(fd, req.data + off, req.len - off);
        ASSERT_TRUE(k > 0 || errno == EAGAIN);
        off += k > 0 ? (size_t)k : 0;
    }
    /* The node has answered what it will (all N when nothing held it
     * back) once its count of answers stops moving. */
    unsigned long before = 0;
    unsigned long now = answered_2xx(&n);
    for (int i = 0; i < 100 && now != before && now < base + N; i++) {
        struct timespec ts = {0, 200000000};
        (void)nanosleep(&ts, NULL);
        before = now;
        now = answered_2xx(&n);
    }
    long rss1 = node_rss_kb(&n);
    if (rss1 - rss0 > 16384)
        ll_test_fail(__FILE__, __LINE__,
                     "RSS %ld kB to %ld kB (%lu of %d requests answered)", rss0,
                     rss1, now - base, N);
    ASSERT_LT(now - base, N); /* it stopped reading */
    /* Drain: every answer arrives, the rest of the requests go in. */
    static char buf[1 << 16];
    size_t answers = 0;
    size_t tail = 0; /* bytes of the answer stream kept for matching */
    bool eof = false;
    while (!eof) {
        struct pollfd pfd = {
            fd, (short)(POLLIN | (off < req.len ? POLLOUT : 0)), 0};
        ASSERT_EQ(poll(&pfd, 1, 30000), 1);
        if ((pfd.revents & POLLOUT) != 0) {
            ssize_t k = write(fd, req.data + off, req.len - off);
            off += k > 0 ? (size_t)k : 0;
        }
        if ((pfd.revents & (POLLIN | POLLHUP)) == 0)
            continue;
        ssize_t k = read(fd, buf + tail, sizeof(buf) - 1 - tail);
        ASSERT_TRUE(k >= 0 || errno == EAGAIN);
        eof = k == 0;
        size_t len = tail + (k > 0 ? (size_t)k : 0);
        buf[len] = '\0';
        /* Count status lines; keep a partial one for the next read. */
        const char *p = buf;
        const char *hit;
        while ((hit = strstr(p, "HTTP/1.1 200 OK\r\n")) != NULL) {
            answers++;
            p = hit + 17;
        }
        tail = len - (size_t)(p - buf) < 16 ? len - (size_t)(p - buf) : 16;
        memmove(buf, buf + len - tail, tail);
    }
    (void)close(fd);
    ll_buf_free(&req);
    ASSERT_UEQ(answers, N);
    /* Keep-alive connections after a 1 MiB request each. */
    long rss2 = node_rss_kb(&n);
    size_t blen = (size_t)1 << 20;
    char *body = ll_malloc(blen);
    ASSERT_NOT_NULL(body);
    memset(body, 0xff, blen);
    int big[BIG];
    for (int i = 0; i < BIG; i++) {
        big[i] = connect_node(&n);
        ASSERT_GE(big[i], 0);
        char head[256];
        int hl =
            snprintf(head, sizeof(head),
                     "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     "application/x-protobuf\r\nContent-Length: %zu\r\n\r\n",
                     blen);
        write_all(big[i], head, (size_t)hl);
        write_all(big[i], body, blen);
        struct reader *rd = ll_calloc(1, sizeof(*rd));
        ASSERT_NOT_NULL(rd);
        rd->fd = big[i];
        int st = next_answer(rd, NULL);
        ASSERT_TRUE(st == 400 || st == 413); /* not an event */
        ll_free(rd);
    }
    long rss3 = node_rss_kb(&n);
    if (rss3 - rss2 > 16384)
        ll_test_fail(__FILE__, __LINE__,
                     "%d idle connections: RSS %ld kB to %ld kB", BIG, rss2,
                     rss3);
    for (int i = 0; i < BIG; i++)
        (void)close(big[i]);
    ll_free(body);
    node_stop(&n);
    ll_test_rmrf(n.dir);
}

/*
 * HTTP details: only HTTP/1.0 and 1.1 (505), the header limit counts raw
 * bytes (3,000 short headers, 24 KB, passed a 16 KiB limit that counted
 * names and values), and Expect: 100-continue is answered before the body
 * (413 at once for a body over the limit, 417 for another expectation).
 */
static void test_http_strict(void)
{
    struct node n;
    struct resp r;
    struct ll_buf ev = {0};
    node_setup(&n);
    node_start(&n, NULL, NULL);
    static const char v99[] = "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n";
    http_raw(&n, v99, sizeof(v99) - 1, &r);
    expect(&r, 505, "http_version");
    static const char v2[] = "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n";
    http_raw(&n, v2, sizeof(v2) - 1, &r);
    expect(&r, 505, "http_version");
    static const char v10[] = "GET /healthz HTTP/1.0\r\n\r\n";
    http_raw(&n, v10, sizeof(v10) - 1, &r);
    expect(&r, 200, "ok");
    struct ll_buf hb;
    ll_buf_init(&hb, 1 << 20);
    for (int count = 1800; count <= 3000; count += 1200) {
        ll_buf_reset(&hb);
        ASSERT_OK(ll_buf_printf(&hb, "GET /healthz HTTP/1.1\r\n"));
        for (int i = 0; i < count; i++)
            ASSERT_OK(ll_buf_printf(&hb, "X-a: b\r\n"));
        ASSERT_OK(ll_buf_printf(&hb, "Connection: close\r\n\r\n"));
        http_raw(&n, hb.data, hb.len, &r);
        if (hb.len <= 16384)
            expect(&r, 200, "ok");
        else
            expect(&r, 431, "headers_too_large");
    }
    ll_buf_free(&hb);
    /* Expect: 100-continue, then the body. */
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(e, FX_LOT_A, 1000, "KGM");
    fx_sign(&ev, NULL, e, FX_FARM);
    char head[256];
    int hl = snprintf(head, sizeof(head),
                      "POST /v1/events HTTP/1.1\r\nHost: x\r\n"
                      "Content-Type: application/x-protobuf\r\n"
                      "Expect: 100-continue\r\nContent-Length: %zu\r\n\r\n",
                      ev.len);
    int fd = connect_node(&n);
    ASSERT_GE(fd, 0);
    set_rcvtimeo(fd, 10000);
    write_all(fd, head, (size_t)hl);
    struct reader *rd = ll_calloc(1, sizeof(*rd));
    ASSERT_NOT_NULL(rd);
    rd->fd = fd;
    ASSERT_EQ(next_answer(rd, NULL), 100);
    write_all(fd, ev.data, ev.len);
    const char *body = NULL;
    ASSERT_EQ(next_answer(rd, &body), 202);
    ASSERT_TRUE(strstr(body, "accepted") != NULL);
    /* Over the body limit: the final answer, no 100. */
    static const char huge[] =
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: "
        "application/x-protobuf\r\nExpect: 100-continue\r\n"
        "Content-Length: 99999999\r\n\r\n";
    write_all(fd, huge, sizeof(huge) - 1);
    ASSERT_EQ(next_answer(rd, &body), 413);
    ASSERT_EQ(next_answer(rd, NULL), 0);
    (void)close(fd);
    static const char other[] =
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: "
        "application/x-protobuf\r\nExpect: a-pony\r\nContent-Length: 1\r\n\r\n";
    http_raw(&n, other, sizeof(other) - 1, &r);
    expect(&r, 417, "expectation_failed");
    ll_free(rd);
    ll_buf_free(&ev);
    node_stop(&n);
    ll_test_rmrf(n.dir);
}

/* The size of the largest file in dir (not recursive). */
static off_t largest_file(const char *dir)
{
    char cmd[900];
    (void)snprintf(cmd, sizeof(cmd), "find '%s' -type f -printf '%%s\\n'", dir);
    FILE *f = popen(cmd, "r");
    ASSERT_NOT_NULL(f);
    long long max = 0;
    long long v = 0;
    while (fscanf(f, "%lld", &v) == 1)
        if (v > max)
            max = v;
    ASSERT_OK(pclose(f));
    return (off_t)max;
}

/*
 * The disk fills up under load (the node's file size limit): the commit
 * that cannot be written fails, every waiting client is answered, and the
 * node exits 1 naming the error (it aborted in libuv's uv_close before).
 * The ledger is undamaged: it restarts with every acknowledged event.
 */
static void test_commit_fails_disk_full(void)
{
    struct node n;
    struct ll_buf ev = {0};
    node_setup(&n);
    node_start(&n, NULL, NULL);
    node_stop(&n);
    char data[700];
    (void)snprintf(data, sizeof(data), "%s/data", n.dir);
    n.fsize = (rlim_t)largest_file(data) + 256 * 1024;
    node_start(&n, NULL, NULL);
    uint8_t(*acked)[32] = ll_calloc(8192, 32);
    ASSERT_NOT_NULL(acked);
    size_t nacked = 0;
    bool failed = false;
    /*
     * Rounds of 32 clients at once, each waiting for the commit of its
     * event, so that when a block cannot be written some clients wait in
     * it and others for the next block.
     */
    for (int round = 0; round < 256 && !failed; round++) {
        int fds[32];
        uint8_t ids[32][32];
        for (int k = 0; k < 32; k++) {
            char lot[64];
            char hdr[256];
            (void)snprintf(lot, sizeof(lot), "tlc/fda/7/F%d-%d", round, k);
            lotledger_Event *e =
                fx_event(lotledger_EventType_COMMISSION, FX_FARM);
            fx_lot(e, lot, 1000, "KGM");
            fx_sign(&ev, ids[k], e, FX_FARM);
            int hl = snprintf(hdr, sizeof(hdr),
                              "POST /v1/events?wait=commit HTTP/1.1\r\n"
                              "Host: x\r\nConnection: close\r\n"
                              "Content-Type: application/x-protobuf\r\n"
                              "Content-Length: %zu\r\n\r\n",
                              ev.len);
            fds[k] = connect_node(&n);
            if (fds[k] >= 0 &&
                (write(fds[k], hdr, (size_t)hl) != hl ||
                 write(fds[k], ev.data, ev.len) != (ssize_t)ev.len)) {
                (void)close(fds[k]);
                fds[k] = -1;
            }
        }
        for (int k = 0; k < 32; k++) {
            char buf[2048];
            if (fds[k] < 0) {
                failed = true; /* the node is gone */
                continue;
            }
            read_all(fds[k], buf, sizeof(buf));
            int st = strncmp(buf, "HTTP/1.1 ", 9) == 0
                         ? (int)strtol(buf + 9, NULL, 10)
                         : -1;
            if (st == 201)
                memcpy(acked[nacked++], ids[k], 32);
            else if (st == 500 || st == 503 || st < 0)
                failed = true; /* not written, node stopping, or gone */
            else
                ll_test_fail(__FILE__, __LINE__, "answer: %s", buf);
        }
    }
    ASSERT_TRUE(failed); /* the limit was reached */
    int status = node_wait_exit(&n);
    char log[700];
    size_t len = 0;
    (void)snprintf(log, sizeof(log), "%s/node.log", n.dir);
    char *text = (char *)ll_test_read_file(log, &len);
    ASSERT_NOT_NULL(text);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
        ll_test_fail(__FILE__, __LINE__, "node status %#x, log: %s", status,
                     text);
    ASSERT_TRUE(strstr(text, "event=commit_failed") != NULL);
    ASSERT_TRUE(strstr(text, "event=stopped error=") != NULL);
    ll_free(text);
    /* Room again: the node restarts with every acknowledged event. */
    n.fsize = 0;
    node_start(&n, NULL, NULL);
    expect_events(&n, acked, nacked, "acknowledged");
    printf("    %zu events acknowledged before the disk filled up\n", nacked);
    ASSERT_GT(nacked, 0);
    node_stop(&n);
    ll_free(acked);
    ll_buf_free(&ev);
    ll_test_rmrf(n.dir);
}

/*
 * SIGTERM, then SIGTERM again and again while the node finishes its block
 * and closes the ledger: it still stops cleanly (the second signal killed
 * it once the handlers were closed before the ledger), and every event it
 * accepted before the first signal is on the ledger.
 */
static void test_second_sigterm(void)
{
    struct node n;
    struct ll_buf ev = {0};
    uint8_t(*accepted)[32] = ll_calloc(600, 32);
    size_t naccepted = 0;
    ASSERT_NOT_NULL(accepted);
    node_setup(&n);
    for (int round = 0; round < 3; round++) {
        node_start(&n, NULL, NULL);
        for (int i = 0; i < 200; i++) {
            char lot[64];
            char body[256];
            uint8_t id[32];
            (void)snprintf(lot, sizeof(lot), "tlc/fda/7/S%d-%d", round, i);
            lotledger_Event *e =
                fx_event(lotledger_EventType_COMMISSION, FX_FARM);
            fx_lot(e, lot, 1000, "KGM");
            fx_sign(&ev, id, e, FX_FARM);
            ASSERT_EQ(http_try(&n, "/v1/events", &ev, body, sizeof(body)), 202);
            memcpy(accepted[naccepted++], id, 32);
        }
        ASSERT_OK(kill(n.pid, SIGTERM));
        int status = 0;
        pid_t w = 0;
        for (int i = 0; i < 30000 && w == 0; i++) { /* 30 s */
            (void)kill(n.pid, SIGTERM);
            struct timespec ts = {0, 1000000};
            (void)nanosleep(&ts, NULL);
            w = waitpid(n.pid, &status, WNOHANG);
        }
        ASSERT_EQ(w, n.pid);
        char log[700];
        size_t len = 0;
        (void)snprintf(log, sizeof(log), "%s/node.log", n.dir);
        char *text = (char *)ll_test_read_file(log, &len);
        ASSERT_NOT_NULL(text);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            ll_test_fail(__FILE__, __LINE__,
                         "round %d: node status %#x (signal %d); log: %s",
                         round, status,
                         WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                         len > 600 ? text + len - 600 : text);
        ASSERT_TRUE(strstr(text, "event=stopped") != NULL);
        ll_free(text);
        n.pid = 0;
    }
    /* A clean stop commits the open block: every event accepted (202)
     * before the signal is on the ledger. */
    node_start(&n, NULL, NULL);
    expect_events(&n, accepted, naccepted, "accepted");
    node_stop(&n);
    ll_free(accepted);
    ll_buf_free(&ev);
    ll_test_rmrf(n.dir);
}

/* Whether the node has written anything on fd yet (without reading it). */
static bool answered(int fd)
{
    char c;
    ssize_t k = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return k > 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* A lotledger_page_checks_total value from /metrics. */
static unsigned long page_checks(struct node *n)
{
    struct resp r;
    http(n, "GET", "/metrics", "text/plain", NULL, 0, &r);
    const char *p = strstr(r.body, "\nlotledger_page_checks_total ");
    ASSERT_NOT_NULL(p);
    return strtoul(p + 29, NULL, 10);
}

#define BIG_LOT "01/00614141777778/10/BIG"
#define BIG_PAGE                                                               \
    "GET /01/00614141777778/10/BIG HTTP/1.1\r\nHost: x\r\n"                    \
    "Connection: close\r\n\r\n"

/*
 * Commission BIG_LOT and pipeline count observations of it on one
 * connection, by the farm alone or by the farm and the FDA in turn; the
 * last one waits for its commit. Returns how many were answered 2xx.
 */
static size_t big_lot_observed(struct node *n, int count, bool two_orgs)
{
    struct resp r;
    struct ll_buf ev = {0};
    struct ll_buf req;
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(e, BIG_LOT, 5000, "KGM");
    fx_sign(&ev, NULL, e, FX_FARM);
    post_commit(n, &ev, &r);
    ll_buf_init(&req, (size_t)64 << 20);
    for (int i = 0; i < count; i++) {
        enum fx_org o = two_orgs && (i & 1) ? FX_FDA : FX_FARM;
        e = fx_event(lotledger_EventType_OBSERVE, o);
        fx_lot(e, BIG_LOT, 0, NULL);
        e->event_time += i + 1;
        fx_sign(&ev, NULL, e, o);
        ASSERT_OK(ll_buf_printf(&req,
                                "POST /v1/events%s HTTP/1.1\r\nHost: x\r\n"
                                "%sContent-Type: application/x-protobuf\r\n"
                                "Content-Length: %zu\r\n\r\n",
                                i == count - 1 ? "?wait=commit" : "",
                                i == count - 1 ? "Connection: close\r\n" : "",
                                ev.len));
        ASSERT_OK(ll_buf_append(&req, ev.data, ev.len));
    }
    int fd = connect_node(n);
    ASSERT_GE(fd, 0);
    write_all(fd, req.data, req.len);
    size_t cap = (size_t)16 << 20;
    char *buf = ll_malloc(cap);
    ASSERT_NOT_NULL(buf);
    read_all(fd, buf, cap);
    size_t ok = 0;
    for (const char *p = buf; (p = strstr(p, "HTTP/1.1 20")) != NULL; p++)
        ok++;
    ASSERT_TRUE(strstr(buf, "\"status\":\"committed\"") != NULL);
    ll_free(buf);
    ll_buf_free(&req);
    ll_buf_free(&ev);
    return ok;
}

/*
 * Traces, proofs and consumer pages run on the thread pool: while two
 * pages of a lot of 4,000 events are being checked (each verifies every
 * signature), /v1/status on other connections is answered, again and again;
 * a third heavy read is refused 503 with a retry hint; and the page's check
 * is kept until the lot's trace changes, not redone after an unrelated
 * block.
 */
static void test_reads_off_loop(void)
{
    enum { OBS = 4000 };
    struct node n;
    struct resp r;
    struct ll_buf ev = {0};
    node_setup(&n);
    node_start(&n, "--rate-limit", "1000000");
    /* OBS observations, pipelined on one connection. */
    ASSERT_UEQ(big_lot_observed(&n, OBS, false), OBS);
    lotledger_Event *e = NULL;
    size_t cap = (size_t)16 << 20;

    /* Two heavy pages and a third heavy read. */
    int heavy[3];
    for (int i = 0; i < 3; i++) {
        static const char proof[] = "GET /v1/lots/" BIG_LOT "/proof HTTP/1.1"
                                    "\r\nHost: x\r\nConnection: close\r\n\r\n";
        heavy[i] = connect_node(&n);
        ASSERT_GE(heavy[i], 0);
        if (i < 2)
            write_all(heavy[i], BIG_PAGE, sizeof(BIG_PAGE) - 1);
        else
            write_all(heavy[i], proof, sizeof(proof) - 1);
    }
    /* Three status answers while neither page is answered: the loop is
     * free while they are checked. */
    int statuses = 0;
    while (statuses < 3 && !answered(heavy[0]) && !answered(heavy[1])) {
        http(&n, "GET", "/v1/status", "text/plain", NULL, 0, &r);
        expect(&r, 200, "\"chain_id\"");
        statuses++;
    }
    ASSERT_EQ(statuses, 3);
    ASSERT_FALSE(answered(heavy[0]) && answered(heavy[1]));
    char *ans[3];
    int busy = 0;
    for (int i = 0; i < 3; i++) {
        ans[i] = ll_malloc(cap);
        ASSERT_NOT_NULL(ans[i]);
        read_all(heavy[i], ans[i], cap);
        if (strncmp(ans[i], "HTTP/1.1 503", 12) == 0) {
            ASSERT_TRUE(strstr(ans[i], "\"retry_after\":1") != NULL);
            busy++;
        } else {
            ASSERT_TRUE(strncmp(ans[i], "HTTP/1.1 200", 12) == 0);
        }
    }
    /* Exactly one of the three came while two were in flight. */
    ASSERT_EQ(busy, 1);
    for (int i = 0; i < 2; i++)
        if (strncmp(ans[i], "HTTP/1.1 200", 12) == 0)
            ASSERT_TRUE(strstr(ans[i], "Verified") != NULL);
    for (int i = 0; i < 3; i++)
        ll_free(ans[i]);

    /* The check is kept across an unrelated block, redone when the lot's
     * own log changes. */
    unsigned long checks = page_checks(&n);
    ASSERT_GE(checks, 1);
    e = fx_event(lotledger_EventType_COMMISSION, FX_PACKER);
    fx_lot(e, "01/00614141777778/10/OTHER", 5000, "KGM");
    fx_sign(&ev, NULL, e, FX_PACKER);
    post_commit(&n, &ev, &r);
    http(&n, "GET", "/01/00614141777778/10/BIG", "text/plain", NULL, 0, &r);
    expect(&r, 200, "Verified");
    ASSERT_UEQ(page_checks(&n), checks);
    e = fx_event(lotledger_EventType_OBSERVE, FX_FDA);
    fx_lot(e, BIG_LOT, 0, NULL);
    fx_sign(&ev, NULL, e, FX_FDA);
    post_commit(&n, &ev, &r);
    http(&n, "GET", "/01/00614141777778/10/BIG", "text/plain", NULL, 0, &r);
    expect(&r, 200, "Verified");
    ASSERT_UEQ(page_checks(&n), checks + 1);
    node_stop(&n);
    ll_buf_free(&ev);
    ll_test_rmrf(n.dir);
}

/* GET path; the whole answer (a large one too) parsed as JSON. */
static json_t *get_json(struct node *n, const char *path, int *status)
{
    char req[1024];
    int len = snprintf(req, sizeof(req),
                       "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "\r\n",
                       path);
    int fd = connect_node(n);
    ASSERT_GE(fd, 0);
    write_all(fd, req, (size_t)len);
    size_t cap = (size_t)32 << 20;
    char *buf = ll_malloc(cap);
    ASSERT_NOT_NULL(buf);
    read_all(fd, buf, cap);
    ASSERT_TRUE(strncmp(buf, "HTTP/1.1 ", 9) == 0);
    *status = (int)strtol(buf + 9, NULL, 10);
    const char *b = strstr(buf, "\r\n\r\n");
    ASSERT_NOT_NULL(b);
    json_error_t err;
    json_t *j = json_loads(b + 4, 0, &err);
    if (j == NULL)
        ll_test_fail(__FILE__, __LINE__, "not JSON: %s", err.text);
    ll_free(buf);
    return j;
}

/* Hex string field f of o, decoded (heap; *got bytes). */
static uint8_t *hex_field(json_t *o, const char *f, size_t *got)
{
    const char *h = json_string_value(json_object_get(o, f));
    if (h == NULL)
        ll_test_fail(__FILE__, __LINE__, "no field %s", f);
    size_t n = strlen(h) / 2;
    uint8_t *out = ll_malloc(n + 1);
    ASSERT_NOT_NULL(out);
    ASSERT_OK(ll_hex_decode(out, n, h, strlen(h)));
    *got = n;
    return out;
}

/*
 * Check one page of GET /v1/lots/{lot}/log as a third party would: the
 * commit is signed by the genesis validators, the lot's state is in the
 * header's state root, and the page's events are positions [after, next)
 * of a log of the state's size with the state's log root. Returns the
 * page's event count; ids go to ids[after..].
 */
static size_t check_log_page(json_t *o, const struct ll_genesis *g,
                             const char *lot, uint64_t after,
                             uint8_t (*ids)[32], uint64_t *size)
{
    size_t n = 0;
    struct ll_errmsg e = {{0}};
    uint8_t *hb = hex_field(o, "header", &n);
    struct ll_header h;
    ASSERT_OK(ll_header_decode(&h, hb, n));
    struct ll_commit *cm = ll_malloc(sizeof(*cm));
    ASSERT_NOT_NULL(cm);
    uint8_t *cb = hex_field(o, "commit", &n);
    ASSERT_OK(ll_commit_decode(cm, cb, n));
    struct ll_valset *vs = ll_malloc(sizeof(*vs));
    ASSERT_NOT_NULL(vs);
    ASSERT_OK(ll_valset_from_genesis(vs, g));
    ASSERT_OK(ll_commit_verify(&h, cm, vs, &e));
    size_t sl = 0;
    size_t bl = 0;
    size_t hl = 0;
    uint8_t *st = hex_field(o, "state", &sl);
    uint8_t *bits = hex_field(o, "state_bits", &bl);
    uint8_t *hashes = hex_field(o, "state_hashes", &hl);
    uint8_t key[32];
    uint8_t vh[32];
    ll_lot_key(key, lot);
    ll_tagged_hash(vh, LL_TAG_SMT_VALUE, st, sl);
    ASSERT_OK(
        ll_smt_verify_compact(h.state_root, key, vh, 1, bits, bl, hashes, hl));
    lotledger_LotState *ls = ll_malloc(sizeof(*ls));
    ASSERT_NOT_NULL(ls);
    ASSERT_OK(ll_ledger__lot_decode(ls, st, sl));
    *size = ls->events;
    ASSERT_EQ(json_integer_value(json_object_get(o, "log_size")),
              (json_int_t)ls->events);
    ASSERT_UEQ(json_integer_value(json_object_get(o, "after")), after);
    json_t *evs = json_object_get(o, "events");
    size_t k = json_array_size(evs);
    uint8_t(*leaves)[32] = ll_calloc(k + 1, 32);
    ASSERT_NOT_NULL(leaves);
    for (size_t i = 0; i < k; i++) {
        json_t *x = json_array_get(evs, i);
        ASSERT_UEQ(json_integer_value(json_object_get(x, "seq")), after + i);
        char *text = json_dumps(json_object_get(x, "signed_event"), 0);
        ASSERT_NOT_NULL(text);
        struct ll_buf pb;
        lotledger_Event *scratch = ll_malloc(sizeof(*scratch));
        struct ll_signed_event *se = ll_malloc(sizeof(*se));
        ASSERT_TRUE(scratch != NULL && se != NULL);
        ll_buf_init(&pb, LL_EVENT_MAX_BYTES);
        ASSERT_OK(
            ll_signed_event_json_decode(&pb, scratch, text, strlen(text), &e));
        ASSERT_OK(ll_signed_event_decode(se, pb.data, pb.len, NULL));
        memcpy(ids[after + i], se->id, 32);
        ll_lot_leaf(leaves[i],
                    (uint64_t)json_integer_value(json_object_get(x, "height")),
                    (uint32_t)json_integer_value(json_object_get(x, "index")),
                    se->id);
        ll_buf_free(&pb);
        ll_free(scratch);
        ll_free(se);
        free(text); /* jansson's allocator */
    }
    json_t *pa = json_object_get(o, "proof");
    size_t np = json_array_size(pa);
    uint8_t(*proof)[32] = ll_calloc(np + 1, 32);
    ASSERT_NOT_NULL(proof);
    for (size_t i = 0; i < np; i++) {
        const char *hx = json_string_value(json_array_get(pa, i));
        ASSERT_OK(ll_hex_decode(proof[i], 32, hx, strlen(hx)));
    }
    if (k > 0) {
        ASSERT_OK(ll_merkle_range_verify(
            ls->log_root.bytes, ls->events, after, after + k,
            (const uint8_t(*)[32])leaves, &proof[0][0], np * 32));
        /* One event moved is caught. */
        if (k > 1) {
            uint8_t t[32];
            memcpy(t, leaves[0], 32);
            memcpy(leaves[0], leaves[1], 32);
            memcpy(leaves[1], t, 32);
            ASSERT_ERR(ll_merkle_range_verify(
                           ls->log_root.bytes, ls->events, after, after + k,
                           (const uint8_t(*)[32])leaves, &proof[0][0], np * 32),
                       LL_EPROOF);
        }
    }
    ll_free(hb);
    ll_free(cb);
    ll_free(cm);
    ll_free(vs);
    ll_free(st);
    ll_free(bits);
    ll_free(hashes);
    ll_free(ls);
    ll_free(leaves);
    ll_free(proof);
    return k;
}

/* ll_log_page_verify on a page as served, and on tampered copies. */
static void page_expect(json_t *o, const struct ll_genesis *g, int want,
                        struct ll_log_page_report *r)
{
    struct ll_errmsg e = {{0}};
    char *text = json_dumps(o, JSON_COMPACT);
    ASSERT_NOT_NULL(text);
    int rc = ll_log_page_verify(g, text, strlen(text), r, &e);
    free(text); /* jansson's allocator */
    if (rc != want)
        ll_test_fail(__FILE__, __LINE__, "page: got %s '%s', want %s",
                     ll_err_name(rc), e.text, ll_err_name(want));
}

static void verify_page(json_t *o, const struct ll_genesis *g, uint64_t after,
                        size_t k)
{
    struct ll_log_page_report r;
    page_expect(o, g, 0, &r);
    ASSERT_UEQ(r.after, after);
    ASSERT_UEQ(r.events, k);
    ASSERT_STR_EQ(r.lot, BIG_LOT);
    ASSERT_EQ(r.last, json_is_null(json_object_get(o, "next")));
    json_t *c = json_deep_copy(o);
    json_t *evs = json_object_get(c, "events");
    /* Two events swapped: out of order. */
    json_t *first = json_incref(json_array_get(evs, 0));
    ASSERT_OK(json_array_set(evs, 0, json_array_get(evs, 1)));
    ASSERT_OK(json_array_set_new(evs, 1, first));
    page_expect(c, g, LL_EDECODE, &r); /* seq out of place */
    json_decref(c);
    /* The page claimed one position further: every seq moved with it. */
    c = json_deep_copy(o);
    evs = json_object_get(c, "events");
    (void)json_object_set_new(c, "after", json_integer((json_int_t)after + 1));
    for (size_t i = 0; i < json_array_size(evs); i++)
        (void)json_object_set_new(json_array_get(evs, i), "seq",
                                  json_integer((json_int_t)(after + 1 + i)));
    if (!json_is_null(json_object_get(c, "next")))
        (void)json_object_set_new(c, "next",
                                  json_integer((json_int_t)(after + 1 + k)));
    page_expect(c, g, LL_EPROOF, &r);
    json_decref(c);
    /* One event left out of the middle of the page. */
    c = json_deep_copy(o);
    ASSERT_OK(json_array_remove(json_object_get(c, "events"), k - 1));
    /* next is no longer after + k; the last page no longer ends the log */
    page_expect(
        c, g, json_is_null(json_object_get(o, "next")) ? LL_EPROOF : LL_EDECODE,
        &r);
    json_decref(c);
    /* A hash of the range proof changed. */
    c = json_deep_copy(o);
    json_t *pa = json_object_get(c, "proof");
    if (json_array_size(pa) > 0) {
        char zero[65];
        memset(zero, '0', 64);
        zero[64] = '\0';
        ASSERT_OK(json_array_set_new(pa, 0, json_string(zero)));
        page_expect(c, g, LL_EPROOF, &r);
    }
    json_decref(c);
    /* Another network. */
    struct ll_genesis *other = ll_malloc(sizeof(*other));
    ASSERT_NOT_NULL(other);
    *other = *g;
    other->hash[0] ^= 1;
    page_expect(o, other, LL_EVERIFY, &r);
    ll_free(other);
}

/*
 * A lot's log, page by page: every page of a lot of 1,201 events checks
 * against the committed block (quorum, state proof, range proof), the
 * pages together are the whole log in order, and bad queries are 400s.
 */
static void test_lot_log_pages(void)
{
    enum { OBS = 1200, LIMIT = 500 };
    struct node n;
    struct resp r;
    struct ll_buf ev = {0};
    node_setup(&n);
    node_start(&n, "--rate-limit", "1000000");
    struct ll_genesis *g = fx_genesis();
    ASSERT_UEQ(big_lot_observed(&n, OBS, true), OBS);

    uint8_t(*ids)[32] = ll_calloc(OBS + 1, 32);
    ASSERT_NOT_NULL(ids);
    uint64_t after = 0;
    uint64_t size = 0;
    int pages = 0;
    for (;;) {
        char path[256];
        int status = 0;
        (void)snprintf(path, sizeof(path),
                       "/v1/lots/%s/log?after=%llu&limit=%d", BIG_LOT,
                       (unsigned long long)after, LIMIT);
        json_t *o = get_json(&n, path, &status);
        ASSERT_EQ(status, 200);
        size_t k = check_log_page(o, g, BIG_LOT, after, ids, &size);
        verify_page(o, g, after, k);
        ASSERT_UEQ(size, OBS + 1);
        json_t *next = json_object_get(o, "next");
        pages++;
        after += k;
        if (json_is_null(next)) {
            json_decref(o);
            break;
        }
        ASSERT_UEQ(k, LIMIT);
        ASSERT_UEQ(json_integer_value(next), after);
        json_decref(o);
    }
    ASSERT_EQ(pages, 3);
    /* With LL_LOGPAGE_SEED_DIR: small real pages, the seeds of
     * tests/fuzz/corpus/fuzz_logpage. */
    const char *seeds = getenv("LL_LOGPAGE_SEED_DIR"); /* NOLINT */
    static const char *const small[] = {"after=0&limit=2", "after=600&limit=3",
                                        "after=1199&limit=5", "after=1201"};
    for (size_t i = 0; seeds != NULL && i < LL_ARRAY_LEN(small); i++) {
        char path[256];
        char file[700];
        int status = 0;
        (void)snprintf(path, sizeof(path), "/v1/lots/%s/log?%s", BIG_LOT,
                       small[i]);
        json_t *o = get_json(&n, path, &status);
        ASSERT_EQ(status, 200);
        (void)snprintf(file, sizeof(file), "%s/page-%zu.json", seeds, i);
        ASSERT_OK(json_dump_file(o, file, JSON_COMPACT));
        json_decref(o);
    }
    ASSERT_UEQ(after, OBS + 1);
    for (size_t i = 1; i <= OBS; i++)
        ASSERT_FALSE(memcmp(ids[i], ids[i - 1], 32) == 0);
    /* The end of the log: an empty page; past it, and bad queries: 400. */
    int status = 0;
    char path[256];
    (void)snprintf(path, sizeof(path), "/v1/lots/%s/log?after=%d", BIG_LOT,
                   OBS + 1);
    json_t *o = get_json(&n, path, &status);
    ASSERT_EQ(status, 200);
    ASSERT_UEQ(json_array_size(json_object_get(o, "events")), 0);
    json_decref(o);
    static const char *const bad[] = {"?after=1202", "?limit=0", "?limit=1001",
                                      "?after=-1",   "?page=2",  "?after=1x"};
    for (size_t i = 0; i < LL_ARRAY_LEN(bad); i++) {
        (void)snprintf(path, sizeof(path), "/v1/lots/%s/log%s", BIG_LOT,
                       bad[i]);
        http(&n, "GET", path, "text/plain", NULL, 0, &r);
        expect(&r, 400, "bad_query");
    }
    http(&n, "GET", "/v1/lots/01/00614141777778/10/NONE/log", "text/plain",
         NULL, 0, &r);
    expect(&r, 404, "not_found");
    ll_free(ids);
    ll_free(g);
    node_stop(&n);
    ll_buf_free(&ev);
    ll_test_rmrf(n.dir);
}

/* Pipeline the events on one connection, the last with ?wait=commit. */
static void post_pipelined(struct node *n, struct ll_buf *evs, size_t count)
{
    struct ll_buf req;
    ll_buf_init(&req, (size_t)64 << 20);
    for (size_t i = 0; i < count; i++) {
        bool last = i + 1 == count;
        ASSERT_OK(ll_buf_printf(&req,
                                "POST /v1/events%s HTTP/1.1\r\nHost: x\r\n"
                                "%sContent-Type: application/x-protobuf\r\n"
                                "Content-Length: %zu\r\n\r\n",
                                last ? "?wait=commit" : "",
                                last ? "Connection: close\r\n" : "",
                                evs[i].len));
        ASSERT_OK(ll_buf_append(&req, evs[i].data, evs[i].len));
    }
    int fd = connect_node(n);
    ASSERT_GE(fd, 0);
    write_all(fd, req.data, req.len);
    size_t cap = (size_t)16 << 20;
    char *buf = ll_malloc(cap);
    ASSERT_NOT_NULL(buf);
    read_all(fd, buf, cap);
    size_t ok = 0;
    for (const char *p = buf; (p = strstr(p, "HTTP/1.1 20")) != NULL; p++)
        ok++;
    if (ok != count)
        ll_test_fail(__FILE__, __LINE__, "%zu of %zu accepted: %.300s", ok,
                     count, buf);
    ll_free(buf);
    ll_buf_free(&req);
}

/*
 * A lot whose backward trace is over the trace limits (4,161 lots: 64
 * transforms of 64 lots each, then one of their 64 outputs): its trace and
 * proof are refused 413, but its consumer page is answered (its state, no
 * journey, not verified) instead of a 500, and its log pages work.
 */
static void test_page_of_a_huge_trace(void)
{
    enum { W = 64 };
    struct node n;
    struct resp r;
    struct ll_buf *evs = ll_calloc(2 * W + 1, sizeof(*evs));
    ASSERT_NOT_NULL(evs);
    node_setup(&n);
    node_start(&n, "--rate-limit", "1000000");
    size_t k = 0;
    char lot[64];
    for (int i = 0; i < W; i++) {
        lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
        for (int x = 0; x < W; x++) {
            (void)snprintf(lot, sizeof(lot), "01/00614141777778/10/R%02d-%02d",
                           i, x);
            fx_lot(e, lot, 1000, "KGM");
        }
        fx_sign(&evs[k++], NULL, e, FX_FARM);
    }
    for (int i = 0; i < W; i++) {
        lotledger_Event *e = fx_event(lotledger_EventType_TRANSFORM, FX_FARM);
        for (int x = 0; x < W; x++) {
            (void)snprintf(lot, sizeof(lot), "01/00614141777778/10/R%02d-%02d",
                           i, x);
            fx_lot(e, lot, 1000, "KGM");
        }
        (void)snprintf(lot, sizeof(lot), "01/00614141777778/10/M%02d", i);
        fx_output(e, lot, 1000, "KGM");
        fx_sign(&evs[k++], NULL, e, FX_FARM);
    }
    lotledger_Event *e = fx_event(lotledger_EventType_TRANSFORM, FX_FARM);
    for (int i = 0; i < W; i++) {
        (void)snprintf(lot, sizeof(lot), "01/00614141777778/10/M%02d", i);
        fx_lot(e, lot, 1000, "KGM");
    }
    fx_output(e, "01/00614141777778/10/F", 64000, "KGM");
    fx_sign(&evs[k++], NULL, e, FX_FARM);
    post_pipelined(&n, evs, k);
    http(&n, "GET", "/v1/lots/01/00614141777778/10/F/trace", "text/plain", NULL,
         0, &r);
    expect(&r, 413, "trace_too_large");
    static const char get_json[] =
        "GET /01/00614141777778/10/F HTTP/1.1\r\nHost: x\r\n"
        "Connection: close\r\nAccept: application/json\r\n\r\n";
    http_raw(&n, get_json, sizeof(get_json) - 1, &r);
    expect(&r, 200, "\"journey_truncated\":true");
    ASSERT_TRUE(strstr(r.body, "\"verified\":false") != NULL);
    http(&n, "GET", "/01/00614141777778/10/F", "text/plain", NULL, 0, &r);
    expect(&r, 200, "<html");
    http(&n, "GET", "/v1/lots/01/00614141777778/10/F/log", "text/plain", NULL,
         0, &r);
    expect(&r, 200, "\"log_size\":1");
    for (size_t i = 0; i < k; i++)
        ll_buf_free(&evs[i]);
    ll_free(evs);
    node_stop(&n);
    ll_test_rmrf(n.dir);
}

static const struct ll_test tests[] = {
    {"sigkill_during_ingest", test_sigkill_during_ingest},
    {"events_end_to_end", test_events_end_to_end},
    {"bad_requests", test_bad_requests},
    {"rate_limit", test_rate_limit},
    {"refuses_bad_config", test_refuses_bad_config},
    {"capture", test_capture},
    {"concurrent_ingest", test_concurrent_ingest},
    {"consumer_page", test_consumer_page},
    {"pipelined_backlog", test_pipelined_backlog},
    {"lot_named_like_a_route", test_lot_named_like_a_route},
    {"commit_fails_disk_full", test_commit_fails_disk_full},
    {"second_sigterm", test_second_sigterm},
    {"client_reset", test_client_reset},
    {"slow_clients", test_slow_clients},
    {"rate_limit_per_address", test_rate_limit_per_address},
    {"rate_collisions", test_rate_collisions},
    {"slow_reader_memory", test_slow_reader_memory},
    {"http_strict", test_http_strict},
    {"reads_off_loop", test_reads_off_loop},
    {"lot_log_pages", test_lot_log_pages},
    {"page_of_a_huge_trace", test_page_of_a_huge_trace},
};

LL_TEST_MAIN(tests)
