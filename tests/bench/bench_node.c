/* SPDX-License-Identifier: MIT */
/*
 * Load generator: a real lotledgerd (built next to this benchmark) on a
 * temporary data directory, fed over loopback HTTP by many concurrent
 * keep-alive connections, each submitting pre-signed events with
 * ?wait=commit and the next one as soon as the node answers 201.
 *
 * Reports committed events/s, p50/p99 submit-to-commit latency, the
 * node's peak RSS, and the ratio to 2x the single-core BIP-340 verify rate
 * measured in this run (the node verifies on both cores). The load
 * generator shares the machine's two cores with the node.
 *
 * Two runs of LL_BENCH_LOAD_EVENTS (default 200000) events each: 2048
 * connections with blocks every 20 ms (low latency), and 12000
 * connections with blocks every 50 ms (enough in flight to keep both
 * cores busy).
 * LL_BENCH_CONNS (and LL_BENCH_INTERVAL, default 20 ms) make it one run
 * with those settings instead; LL_BENCH_KEEP=1 keeps the data directories
 * and the node's logs.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../ledger/ledger.h"
#include "benchutil.h"

#define NORGS 32
#define CHAIN "load-net"

static struct ll_keypair keys[NORGS + 1]; /* + the validator (last) */

struct req {
    size_t off;
    size_t len;
};

struct conn {
    int fd;
    size_t ev;   /* the event in flight */
    size_t sent; /* bytes of its request written */
    char in[2048];
    size_t inlen;
    uint64_t t0; /* when its request started */
    bool busy;
};

static uint64_t env_u64(const char *name, uint64_t def)
{
    const char *v = getenv(name); /* NOLINT(concurrency-mt-unsafe) */
    return v != NULL && *v != '\0' ? strtoull(v, NULL, 10) : def;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        (void)fprintf(stderr, "bench_node: cannot write %s\n", path);
        exit(1);
    }
}

static void make_network(const char *dir)
{
    struct ll_buf b;
    char path[600];
    ll_buf_init(&b, 1 << 16);
    for (int i = 0; i <= NORGS; i++)
        ll_bench_check(ll_keypair_generate(&keys[i]), "key");
    ll_bench_genesis_json(&b, CHAIN, keys, NORGS + 1, "org");
    (void)snprintf(path, sizeof(path), "%s/genesis.json", dir);
    write_file(path, b.data, b.len);
    ll_buf_free(&b);
    (void)snprintf(path, sizeof(path), "%s/pass", dir);
    write_file(path, "bench\n", 6);
    (void)snprintf(path, sizeof(path), "%s/val.key", dir);
    const struct ll_keystore_params fast = {1, 8};
    ll_bench_check(
        ll_keystore_write_file(path, &keys[NORGS], "bench", 5, &fast),
        "keystore");
}

/* n commission events, one new lot each, round-robin over the orgs. */
static uint8_t *presign(size_t n, struct req *reqs)
{
    lotledger_Event *ev = ll_calloc(1, sizeof(*ev));
    struct ll_buf one;
    struct ll_buf all;
    ll_buf_init(&one, LL_EVENT_MAX_BYTES);
    ll_buf_init(&all, (size_t)1 << 34);
    int64_t now = (int64_t)time(NULL) * 1000 - 3600 * 1000;
    uint8_t id[32];
    if (ev == NULL)
        exit(1);
    for (size_t i = 0; i < n; i++) {
        int org = (int)(i % NORGS);
        memset(ev, 0, sizeof(*ev));
        ev->version = LL_EVENT_VERSION;
        (void)snprintf(ev->chain_id, sizeof(ev->chain_id), "%s", CHAIN);
        ev->type = lotledger_EventType_COMMISSION;
        ev->event_time = now + (int64_t)i;
        (void)snprintf(ev->org, sizeof(ev->org), "org%d", org);
        ev->key_id.size = LL_KEYID_LEN;
        ll_keyid(ev->key_id.bytes, keys[org].pk);
        ev->lots_count = 1;
        (void)snprintf(ev->lots[0].lot, sizeof(ev->lots[0].lot),
                       "tlc/fda/%d/LOAD-%zu", 1000 + org, i);
        ev->lots[0].quantity = 1000000;
        (void)snprintf(ev->lots[0].uom, sizeof(ev->lots[0].uom), "KGM");
        ll_buf_reset(&one);
        ll_bench_check(ll_event_sign(&one, id, ev, &keys[org]), "sign");
        reqs[i].off = all.len;
        ll_bench_check(ll_buf_printf(&all,
                                     "POST /v1/events?wait=commit HTTP/1.1\r\n"
                                     "Host: bench\r\nContent-Type: "
                                     "application/x-protobuf\r\n"
                                     "Content-Length: %zu\r\n\r\n",
                                     one.len),
                       "request");
        ll_bench_check(ll_buf_append(&all, one.data, one.len), "request");
        reqs[i].len = all.len - reqs[i].off;
    }
    ll_buf_free(&one);
    ll_free(ev);
    return all.data;
}

static pid_t start_node(const char *bin, const char *dir, uint64_t interval,
                        int *port)
{
    char log[600];
    char a[4][600];
    char iv[32];
    (void)snprintf(log, sizeof(log), "%s/node.log", dir);
    (void)snprintf(a[0], sizeof(a[0]), "%s/data", dir);
    (void)snprintf(a[1], sizeof(a[1]), "%s/genesis.json", dir);
    (void)snprintf(a[2], sizeof(a[2]), "%s/val.key", dir);
    (void)snprintf(a[3], sizeof(a[3]), "%s/pass", dir);
    (void)snprintf(iv, sizeof(iv), "%llu", (unsigned long long)interval);
    (void)fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(90);
        execl(bin, "lotledgerd", "--data-dir", a[0], "--genesis", a[1], "--org",
              "org32", "--keystore", a[2], "--passphrase-file", a[3],
              "--http-listen", "127.0.0.1:0", "--block-interval", iv,
              "--block-max", "100000", "--mempool-max", "1000000",
              "--rate-limit", "1000000", "--max-connections", "16384",
              "--log-level", "info", "--init", (char *)NULL);
        _exit(91);
    }
    /* The port from the node's "listening" log line. */
    *port = 0;
    for (int i = 0; i < 1000 && *port == 0; i++) {
        struct timespec ts = {0, 10000000};
        (void)nanosleep(&ts, NULL);
        FILE *f = fopen(log, "r");
        char line[1024];
        while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
            const char *u = strstr(line, "url=http://127.0.0.1:");
            if (u != NULL && strchr(u, '\n') != NULL)
                *port = (int)strtol(u + 21, NULL, 10);
        }
        if (f != NULL)
            (void)fclose(f);
    }
    if (*port == 0) {
        (void)fprintf(stderr, "bench_node: lotledgerd did not start (%s)\n",
                      log);
        (void)kill(pid, SIGKILL);
        exit(1);
    }
    return pid;
}

/* kB of a /proc/PID/status field (VmHWM, VmRSS). */
static long proc_kb(pid_t pid, const char *field)
{
    char path[64];
    char line[256];
    long kb = -1;
    (void)snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, field, strlen(field)) == 0)
            kb = strtol(line + strlen(field) + 1, NULL, 10);
    if (f != NULL)
        (void)fclose(f);
    return kb;
}

/* Seconds of CPU (user + system) a process has used, all its threads. */
static double proc_cpu(pid_t pid)
{
    char path[64];
    char buf[1024];
    (void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f != NULL)
        (void)fclose(f);
    buf[n] = '\0';
    /* Fields after the ")" that ends the command name: state is field 3,
     * utime and stime fields 14 and 15 (clock ticks). */
    const char *p = strrchr(buf, ')');
    if (p == NULL)
        return -1.0;
    p += 2;
    for (int field = 3; field < 14 && p != NULL; field++) {
        p = strchr(p, ' ');
        p = p != NULL ? p + 1 : NULL;
    }
    if (p == NULL)
        return -1.0;
    char *end = NULL;
    unsigned long long ut = strtoull(p, &end, 10);
    unsigned long long st = strtoull(end, NULL, 10);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Seconds of CPU this process (the load generator) has used. */
static double self_cpu(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1.0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int conn_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa;
    int one = 1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
         errno != EINPROGRESS)) {
        (void)fprintf(stderr, "bench_node: connect: %s\n", strerror(errno));
        exit(1);
    }
    return fd;
}

/* A whole response in c->in? Returns its status, 0 if incomplete. */
static int response(struct conn *c, size_t *used)
{
    c->in[c->inlen < sizeof(c->in) ? c->inlen : sizeof(c->in) - 1] = '\0';
    const char *end = strstr(c->in, "\r\n\r\n");
    if (end == NULL)
        return 0;
    const char *cl = strstr(c->in, "Content-Length: ");
    size_t body = cl != NULL && cl < end ? strtoul(cl + 16, NULL, 10) : 0;
    size_t total = (size_t)(end + 4 - c->in) + body;
    if (c->inlen < total)
        return 0;
    *used = total;
    return (int)strtol(c->in + 9, NULL, 10);
}

/* Wait (10 s at most) for fd to be ready for events, or exit. */
static void wait_fd(int fd, short events)
{
    struct pollfd p = {fd, events, 0};
    if (poll(&p, 1, 10000) != 1) {
        (void)fprintf(stderr, "bench_node: connection not ready\n");
        exit(1);
    }
}

/* One GET /healthz on a new connection, so that it is established and
 * accepted by the node before the load starts. */
static void warm_up(struct conn *c)
{
    static const char get[] = "GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n";
    wait_fd(c->fd, POLLOUT);
    if (write(c->fd, get, sizeof(get) - 1) != (ssize_t)(sizeof(get) - 1)) {
        (void)fprintf(stderr, "bench_node: warm-up write failed\n");
        exit(1);
    }
    size_t used = 0;
    int status = 0;
    while (status == 0) {
        wait_fd(c->fd, POLLIN);
        ssize_t r = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
        if (r <= 0) {
            (void)fprintf(stderr, "bench_node: warm-up read failed\n");
            exit(1);
        }
        c->inlen += (size_t)r;
        status = response(c, &used);
    }
    if (status != 200) {
        (void)fprintf(stderr, "bench_node: warm-up answered %d\n", status);
        exit(1);
    }
    memmove(c->in, c->in + used, c->inlen - used);
    c->inlen -= used;
}

/* One load run against a fresh node; prints its rows. Returns 0 if every
 * event was committed. */
static int run_load(const char *bin, const char *label, uint64_t n,
                    uint64_t nconn, uint64_t interval, double verify)
{
    char dir[] = "/tmp/lotledger-load.XXXXXX";
    if (mkdtemp(dir) == NULL)
        exit(1);
    make_network(dir);
    struct req *reqs = ll_calloc(n, sizeof(*reqs));
    if (reqs == NULL)
        exit(1);
    uint8_t *bytes = presign(n, reqs);
    int port = 0;
    pid_t node = start_node(bin, dir, interval, &port);

    int ep = epoll_create1(0);
    struct conn *cs = ll_calloc(nconn, sizeof(*cs));
    double *lat = ll_calloc(n, sizeof(*lat));
    if (ep < 0 || cs == NULL || lat == NULL)
        exit(1);
    size_t next = 0;
    size_t done = 0;
    size_t failed = 0;
    /* Every connection open and answered once before the clock starts. */
    for (size_t i = 0; i < nconn && i < n; i++) {
        cs[i].fd = conn_open(port);
        warm_up(&cs[i]);
    }
    uint64_t start = ll_now_ns();
    double node_cpu0 = proc_cpu(node);
    double self_cpu0 = self_cpu();
    for (size_t i = 0; i < nconn && next < n; i++) {
        cs[i].ev = next++;
        cs[i].busy = true;
        cs[i].t0 = ll_now_ns();
        struct epoll_event ee = {EPOLLOUT | EPOLLIN, {.ptr = &cs[i]}};
        ll_bench_check(epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ee), "epoll");
    }
    struct epoll_event evs[256];
    while (done < n) {
        int k = epoll_wait(ep, evs, 256, 30000);
        if (k <= 0) {
            (void)fprintf(stderr, "bench_node: stalled at %zu of %llu\n", done,
                          (unsigned long long)n);
            break;
        }
        for (int x = 0; x < k; x++) {
            struct conn *c = evs[x].data.ptr;
            if (c->busy && c->sent < reqs[c->ev].len &&
                (evs[x].events & EPOLLOUT)) {
                ssize_t w = write(c->fd, bytes + reqs[c->ev].off + c->sent,
                                  reqs[c->ev].len - c->sent);
                if (w > 0)
                    c->sent += (size_t)w;
                if (c->sent == reqs[c->ev].len) {
                    struct epoll_event ee = {EPOLLIN, {.ptr = c}};
                    ll_bench_check(epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ee),
                                   "epoll");
                }
            }
            if ((evs[x].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0)
                continue;
            ssize_t r =
                read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN)
                    continue;
                (void)fprintf(stderr, "bench_node: connection closed\n");
                exit(1);
            }
            c->inlen += (size_t)r;
            size_t used = 0;
            int status = response(c, &used);
            if (status == 0)
                continue;
            if (status != 201 && failed++ < 5)
                (void)fprintf(stderr, "bench_node: status %d: %.200s\n", status,
                              c->in);
            lat[done++] = (double)(ll_now_ns() - c->t0) / 1e6;
            memmove(c->in, c->in + used, c->inlen - used);
            c->inlen -= used;
            if (next < n) {
                c->ev = next++;
                c->sent = 0;
                c->t0 = ll_now_ns();
                /* The socket is almost always writable: send at once, and
                 * wait for EPOLLOUT only for what does not fit (two
                 * epoll_ctl calls per event less for the shared cores). */
                ssize_t w =
                    write(c->fd, bytes + reqs[c->ev].off, reqs[c->ev].len);
                if (w > 0)
                    c->sent = (size_t)w;
                if (c->sent < reqs[c->ev].len) {
                    struct epoll_event ee = {EPOLLOUT | EPOLLIN, {.ptr = c}};
                    ll_bench_check(epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ee),
                                   "epoll");
                }
            } else {
                c->busy = false;
            }
        }
    }
    double secs = (double)(ll_now_ns() - start) / 1e9;
    double node_cpu = proc_cpu(node) - node_cpu0;
    double gen_cpu = self_cpu() - self_cpu0;
    long hwm = proc_kb(node, "VmHWM:");
    for (size_t i = 0; i < nconn; i++)
        if (cs[i].fd > 0)
            (void)close(cs[i].fd);
    (void)kill(node, SIGTERM);
    int status = 0;
    (void)waitpid(node, &status, 0);
    ll_bench_sort(lat, done);
    double rate = (double)done / secs;
    char name[128];
    char note[256];
    if (done == 0)
        done = 1; /* rows below divide by it; the run already failed */
    (void)snprintf(name, sizeof(name), "%s: committed events/s", label);
    (void)snprintf(note, sizeof(note),
                   "%zu events over %llu connections, block interval %llu ms, "
                   "%zu not 201; %.3f of 2 x verify (target >= 0.5)",
                   done, (unsigned long long)nconn,
                   (unsigned long long)interval, failed, rate / (2.0 * verify));
    ll_bench_row(name, rate, "events/s", note);
    (void)snprintf(name, sizeof(name), "%s: latency p50 / p99", label);
    (void)snprintf(note, sizeof(note), "p99 %.0f ms; submit to 201",
                   lat[done * 99 / 100]);
    ll_bench_row(name, lat[done / 2], "ms", note);
    (void)snprintf(name, sizeof(name), "%s: node peak RSS", label);
    ll_bench_row(name, (double)hwm / 1024.0, "MiB", "VmHWM");
    (void)snprintf(name, sizeof(name), "%s: node CPU per event", label);
    (void)snprintf(note, sizeof(note),
                   "user + system, all threads; load generator %.1f us more; "
                   "the target leaves 2e6 / %.0f = %.0f us for both",
                   gen_cpu * 1e6 / (double)done, verify, 2e6 / verify);
    ll_bench_row(name, node_cpu * 1e6 / (double)done, "us", note);
    if (getenv("LL_BENCH_KEEP") != NULL) /* NOLINT(concurrency-mt-unsafe) */
        (void)fprintf(stderr, "bench_node: kept %s\n", dir);
    else if (ll_bench_rmrf(dir) != 0)
        (void)fprintf(stderr, "bench_node: could not remove %s\n", dir);
    ll_free(bytes);
    ll_free(reqs);
    ll_free(cs);
    ll_free(lat);
    return failed == 0 && done == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    (void)argc;
    uint64_t n = env_u64("LL_BENCH_LOAD_EVENTS", 200000);
    ll_bench_check(ll_crypto_init(), "crypto init");
    struct rlimit rl = {65536, 65536};
    (void)setrlimit(RLIMIT_NOFILE, &rl);
    (void)signal(SIGPIPE, SIG_IGN);

    /* The reference: single-core verify rate, now, in this process. */
    static uint8_t msg[2000][32];
    static uint8_t sig[2000][64];
    struct ll_keypair vk;
    ll_bench_check(ll_keypair_generate(&vk), "key");
    for (size_t i = 0; i < 2000; i++) {
        ll_crypto_random(msg[i], 32);
        ll_bench_check(ll_schnorr_sign(sig[i], &vk, msg[i], NULL), "sign");
    }
    double vr[LL_BENCH_RUNS];
    for (int r = 0; r < LL_BENCH_RUNS; r++) {
        uint64_t t0 = ll_now_ns();
        for (size_t i = 0; i < 2000; i++)
            ll_bench_check(ll_schnorr_verify(sig[i], msg[i], vk.pk), "verify");
        vr[r] = 2000.0 / ((double)(ll_now_ns() - t0) / 1e9);
    }
    double verify = ll_bench_median(vr, LL_BENCH_RUNS);

    char bin[1024];
    const char *slash = strrchr(argv[0], '/');
    (void)snprintf(bin, sizeof(bin), "%.*s/../lotledgerd",
                   slash != NULL ? (int)(slash - argv[0]) : 1,
                   slash != NULL ? argv[0] : ".");
    ll_bench_section(
        "Node under load (load generator over loopback HTTP)",
        "A real lotledgerd (single validator) on a temporary LevelDB; the "
        "load generator (tests/bench/bench_node.c, same machine, same two "
        "cores) pre-signs one commission event per new lot over 32 orgs and "
        "keeps every connection busy with POST /v1/events?wait=commit "
        "(protobuf), each sending its next event when the last is "
        "committed. Two settings: a low-latency one (2048 connections, "
        "blocks every 20 ms) and a saturating one (12000 connections, "
        "every 50 ms), where the cores are kept busy. Latency is submit to 201 "
        "(committed, synced).");
    ll_bench_row("BIP-340 verify, one core (this run)", verify, "verifies/s",
                 "the reference; the target is 0.5 x 2 x this");
    int rc = 0;
    if (getenv("LL_BENCH_CONNS") != NULL) { /* NOLINT(concurrency-mt-unsafe) */
        rc |= run_load(bin, "custom", n, env_u64("LL_BENCH_CONNS", 2048),
                       env_u64("LL_BENCH_INTERVAL", 20), verify);
    } else {
        rc |= run_load(bin, "2048 connections, 20 ms", n, 2048, 20, verify);
        rc |= run_load(bin, "12000 connections, 50 ms", n, 12000, 50, verify);
    }
    return rc;
}
