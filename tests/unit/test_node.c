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
#include "ledger_fixture.h"

struct node {
    char dir[512];
    char bin[1024];
    pid_t pid;
    int port;
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

/* Start the node; wait for its "listening" log line to learn the port. */
static void node_start(struct node *n, const char *extra_flag,
                       const char *extra_val)
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
        execl(n->bin, "lotledgerd", "--data-dir", a[0], "--genesis", a[1],
              "--org", "val", "--keystore", a[2], "--passphrase-file", a[3],
              "--http-listen", "127.0.0.1:0", "--block-interval", "50",
              extra_flag ? extra_flag : "--log-level",
              extra_flag ? extra_val : "info", (char *)NULL);
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

/* Send SIGTERM and require a clean exit with "stopped" logged. */
static void node_stop(struct node *n)
{
    int status = 0;
    ASSERT_OK(kill(n->pid, SIGTERM));
    pid_t w = 0;
    for (int i = 0; i < 3000 && w == 0; i++) { /* 30 s */
        struct timespec ts = {0, 10000000};
        (void)nanosleep(&ts, NULL);
        w = waitpid(n->pid, &status, WNOHANG);
    }
    if (w == 0) {
        (void)kill(n->pid, SIGKILL);
        ll_test_fail(__FILE__, __LINE__, "node ignored SIGTERM for 30 s");
    }
    ASSERT_EQ(w, n->pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    char log[700];
    size_t len = 0;
    (void)snprintf(log, sizeof(log), "%s/node.log", n->dir);
    char *text = (char *)ll_test_read_file(log, &len);
    ASSERT_NOT_NULL(text);
    ASSERT_TRUE(strstr(text, "event=stopped") != NULL);
    ll_free(text);
    n->pid = 0;
}

struct resp {
    int status;
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
        else if (r.status == 429 && strstr(r.body, "rate_limited") != NULL)
            limited++;
        else
            ll_test_fail(__FILE__, __LINE__, "status %d", r.status);
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

static void test_refuses_bad_config(void)
{
    struct node n;
    node_setup(&n);
    /* A keystore that is not the org's key: the node names it and exits. */
    char p[700];
    (void)snprintf(p, sizeof(p), "%s/val.key", n.dir);
    ASSERT_OK(unlink(p));
    const struct ll_keystore_params fast = {1, 8};
    ASSERT_OK(
        ll_keystore_write_file(p, &fx_keys[FX_FARM], "node secret", 11, &fast));
    char log[700];
    (void)snprintf(log, sizeof(log), "%s/node.log", n.dir);
    (void)fflush(NULL);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        char a[4][700];
        (void)snprintf(a[0], sizeof(a[0]), "%s/data", n.dir);
        (void)snprintf(a[1], sizeof(a[1]), "%s/genesis.json", n.dir);
        (void)snprintf(a[2], sizeof(a[2]), "%s/pass", n.dir);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(90);
        execl(n.bin, "lotledgerd", "--data-dir", a[0], "--genesis", a[1],
              "--org", "val", "--keystore", p, "--passphrase-file", a[2],
              "--http-listen", "127.0.0.1:0", (char *)NULL);
        _exit(91);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 1);
    size_t len = 0;
    char *text = (char *)ll_test_read_file(log, &len);
    ASSERT_NOT_NULL(text);
    ASSERT_TRUE(strstr(text, "holds no key of org val") != NULL);
    ll_free(text);
    ll_test_rmrf(n.dir);
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
    for (size_t i = 0; i < nacked; i++) {
        char hex[65];
        char path[128];
        struct resp r;
        ASSERT_OK(ll_hex_encode(hex, sizeof(hex), acked[i], 32));
        (void)snprintf(path, sizeof(path), "/v1/events/%s", hex);
        http(&n, "GET", path, "text/plain", NULL, 0, &r);
        if (r.status != 200)
            ll_test_fail(__FILE__, __LINE__,
                         "acknowledged event %zu of %zu "
                         "lost: %d %s",
                         i, nacked, r.status, r.body);
    }
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

/* Send all of buf on fd. */
static void send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t k = write(fd, p, len);
        ASSERT_GT(k, 0);
        p += k;
        len -= (size_t)k;
    }
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
    struct ll_buf req;
    node_setup(&n);
    node_start(&n, "--rate-limit", "1000000");
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(e, BIG_LOT, 5000, "KGM");
    fx_sign(&ev, NULL, e, FX_FARM);
    post_commit(&n, &ev, &r);
    /* OBS observations, pipelined on one connection. */
    ll_buf_init(&req, (size_t)64 << 20);
    for (int i = 0; i < OBS; i++) {
        e = fx_event(lotledger_EventType_OBSERVE, FX_FARM);
        fx_lot(e, BIG_LOT, 0, NULL);
        e->event_time += i + 1;
        fx_sign(&ev, NULL, e, FX_FARM);
        ASSERT_OK(ll_buf_printf(&req,
                                "POST /v1/events%s HTTP/1.1\r\nHost: x\r\n"
                                "%sContent-Type: application/x-protobuf\r\n"
                                "Content-Length: %zu\r\n\r\n",
                                i == OBS - 1 ? "?wait=commit" : "",
                                i == OBS - 1 ? "Connection: close\r\n" : "",
                                ev.len));
        ASSERT_OK(ll_buf_append(&req, ev.data, ev.len));
    }
    int fd = connect_node(&n);
    ASSERT_GE(fd, 0);
    send_all(fd, req.data, req.len);
    size_t cap = (size_t)16 << 20;
    char *buf = ll_malloc(cap);
    ASSERT_NOT_NULL(buf);
    read_all(fd, buf, cap);
    size_t ok = 0;
    for (const char *p = buf; (p = strstr(p, "HTTP/1.1 20")) != NULL; p++)
        ok++;
    ASSERT_UEQ(ok, OBS);
    ASSERT_TRUE(strstr(buf, "\"status\":\"committed\"") != NULL);
    ll_free(buf);
    ll_buf_free(&req);

    /* Two heavy pages and a third heavy read. */
    int heavy[3];
    for (int i = 0; i < 3; i++) {
        static const char proof[] = "GET /v1/lots/" BIG_LOT "/proof HTTP/1.1"
                                    "\r\nHost: x\r\nConnection: close\r\n\r\n";
        heavy[i] = connect_node(&n);
        ASSERT_GE(heavy[i], 0);
        if (i < 2)
            send_all(heavy[i], BIG_PAGE, sizeof(BIG_PAGE) - 1);
        else
            send_all(heavy[i], proof, sizeof(proof) - 1);
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
    send_all(fd, req, (size_t)len);
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
    struct ll_buf req;
    node_setup(&n);
    node_start(&n, "--rate-limit", "1000000");
    struct ll_genesis *g = fx_genesis();
    lotledger_Event *e = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(e, BIG_LOT, 5000, "KGM");
    fx_sign(&ev, NULL, e, FX_FARM);
    post_commit(&n, &ev, &r);
    ll_buf_init(&req, (size_t)64 << 20);
    for (int i = 0; i < OBS; i++) {
        e = fx_event(lotledger_EventType_OBSERVE, i & 1 ? FX_FDA : FX_FARM);
        fx_lot(e, BIG_LOT, 0, NULL);
        e->event_time += i + 1;
        fx_sign(&ev, NULL, e, i & 1 ? FX_FDA : FX_FARM);
        ASSERT_OK(ll_buf_printf(&req,
                                "POST /v1/events%s HTTP/1.1\r\nHost: x\r\n"
                                "%sContent-Type: application/x-protobuf\r\n"
                                "Content-Length: %zu\r\n\r\n",
                                i == OBS - 1 ? "?wait=commit" : "",
                                i == OBS - 1 ? "Connection: close\r\n" : "",
                                ev.len));
        ASSERT_OK(ll_buf_append(&req, ev.data, ev.len));
    }
    int fd = connect_node(&n);
    ASSERT_GE(fd, 0);
    send_all(fd, req.data, req.len);
    size_t cap = (size_t)16 << 20;
    char *buf = ll_malloc(cap);
    ASSERT_NOT_NULL(buf);
    read_all(fd, buf, cap);
    ASSERT_TRUE(strstr(buf, "\"status\":\"committed\"") != NULL);
    ll_free(buf);
    ll_buf_free(&req);

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
    send_all(fd, req.data, req.len);
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
    {"reads_off_loop", test_reads_off_loop},
    {"lot_log_pages", test_lot_log_pages},
    {"page_of_a_huge_trace", test_page_of_a_huge_trace},
};

LL_TEST_MAIN(tests)
