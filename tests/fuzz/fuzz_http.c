/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the node's HTTP request handling end to end: a real server from
 * node/http.c on a loopback port, one connection per input, the input
 * written as the request bytes (then the write side shut), the loop run
 * until the server has answered and closed or a step limit is reached.
 * Nothing may crash or leak; every answer is a well-formed status line.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../node/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uv_loop_t loop;
static struct ll_http_server *srv;
static int port;

static void handler(void *arg, struct ll_http_conn *c,
                    const struct ll_http_req *r)
{
    (void)arg;
    /* The query-string helpers the node's handlers use, on hostile input. */
    static const char *const names[] = {"wait",   "direction", "depth",
                                        "format", "within",    NULL};
    char bad[80];
    char val[64];
    int q = ll_http_query_check(r->query, names, bad, sizeof(bad));
    for (size_t i = 0; names[i] != NULL; i++) {
        int g = ll_http_query_get(r->query, names[i], val, sizeof(val));
        if (g == 1 && strlen(val) >= sizeof(val))
            abort();
        if (g != 0 && g != 1 && g != LL_EDECODE)
            abort();
    }
    if (q != 0 && q != LL_EINVAL)
        abort();
    /* Echo the parsed fields back, the way a real handler reads them. */
    char body[LL_HTTP_PATH_MAX + 600];
    int n =
        snprintf(body, sizeof(body), "%s %s ? %s [%s] [%s] %zu", r->method,
                 r->path, r->query, r->content_type, r->accept, r->body_len);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(body))
        n = (int)sizeof(body) - 1;
    ll_http_respond(c, 200, "text/plain", body, (size_t)n);
}

static void start(void)
{
    /* Real timeouts, long enough that an input is seldom cut short (the
     * timers are still started, moved and closed on every connection). */
    struct ll_http_limits lim = {.max_header = 4096,
                                 .max_body = 8192,
                                 .max_connections = 16,
                                 .max_queued = 16384,
                                 .header_timeout_ms = 1000,
                                 .body_timeout_ms = 1000,
                                 .idle_timeout_ms = 1000};
    if (uv_loop_init(&loop) != 0 ||
        ll_http_listen(&srv, &loop, "127.0.0.1", 0, &lim, handler, NULL, &port,
                       NULL) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (srv == NULL)
        start();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        abort();
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* Close with a reset, not TIME_WAIT: tens of thousands of connections
     * a second would otherwise use up the ephemeral ports. */
    struct linger lg = {1, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        (void)close(fd); /* the machine, not the server: skip the input */
        return 0;
    }
    (void)fcntl(fd, F_SETFL, O_NONBLOCK);
    size_t off = 0;
    char buf[65536];
    size_t got = 0;
    bool shut = false;
    for (int step = 0; step < 2000; step++) {
        if (off < size) {
            ssize_t k = write(fd, data + off, size - off);
            if (k > 0)
                off += (size_t)k;
            else if (k < 0 && errno != EAGAIN)
                off = size; /* the server closed: stop sending */
        }
        if (off == size && !shut) {
            (void)shutdown(fd, SHUT_WR);
            shut = true;
        }
        (void)uv_run(&loop, UV_RUN_NOWAIT);
        ssize_t k = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (k == 0 || (k < 0 && errno != EAGAIN))
            break; /* closed by the server */
        if (k > 0)
            got += (size_t)k;
        if (got == sizeof(buf) - 1)
            got = 0;
    }
    (void)close(fd);
    for (int i = 0; i < 50; i++)
        (void)uv_run(&loop, UV_RUN_NOWAIT);
    buf[got] = '\0';
    if (got >= 12 && strncmp(buf, "HTTP/1.1 ", 9) != 0)
        abort();
    return 0;
}
