/* SPDX-License-Identifier: MIT */
/*
 * A small HTTP/1.1 server on libuv with the http_parser library: one
 * request at a time per connection (keep-alive), hard limits on header
 * bytes, body bytes, open connections and answer bytes queued for a slow
 * reader, deadlines for a request's headers and body and for an idle
 * connection, and one handler callback that sees a complete request and
 * answers it. Loop thread only.
 */
#ifndef LL_NODE_HTTP_H
#define LL_NODE_HTTP_H

/*
 * Connections the kernel may hold completed before the node accepts them
 * (capped by net.core.somaxconn). A burst of clients larger than this has
 * its handshakes dropped and retried after 1, 2, 4 ... seconds: 128, the
 * old value, stalled thousands of clients connecting at once.
 */
#define LL_HTTP_BACKLOG 4096

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../common/common.h"

#define LL_HTTP_PATH_MAX 2048

struct ll_http_conn;

/* A complete request, valid for the duration of the handler call. */
struct ll_http_req {
    const char *method;              /* "GET", "POST", ... */
    char path[LL_HTTP_PATH_MAX];     /* decoded path, without the query */
    char raw_path[LL_HTTP_PATH_MAX]; /* the path as sent (%-escapes kept) */
    char query[LL_HTTP_PATH_MAX];    /* raw query string, without '?' */
    char content_type[128];          /* lower-cased media type */
    char accept[256];                /* the Accept header */
    char authorization[256];         /* the Authorization header */
    const uint8_t *body;             /* request body */
    size_t body_len;                 /* its length */
    char peer[64];                   /* client address */
};

/*
 * Answer a request on conn. Must be called exactly once per request,
 * from the handler or later (conn stays valid until then).
 */
void ll_http_respond(struct ll_http_conn *conn, int status,
                     const char *content_type, const void *body, size_t len)
    LL_NONNULL(1, 3);

/* The handler: answer with ll_http_respond (now or later). */
typedef void (*ll_http_handler_cb)(void *arg, struct ll_http_conn *conn,
                                   const struct ll_http_req *req);

/*
 * A timeout of 0 is none (for embedding; the node's configuration always
 * sets them). When max_connections are open, a new connection closes the
 * one idle the longest (else the one that has been sending its headers the
 * longest) instead of being refused; only when every connection is busy
 * with a request is it answered 503.
 */
struct ll_http_limits {
    size_t max_header;          /* raw bytes of request line + headers */
    size_t max_body;            /* bytes of body */
    size_t max_connections;     /* open connections */
    size_t max_queued;          /* answer bytes queued on one connection
                                   before it stops reading requests */
    uint64_t header_timeout_ms; /* first byte of a request to its headers */
    uint64_t body_timeout_ms;   /* end of the headers to the whole body */
    uint64_t idle_timeout_ms;   /* no request in progress, or an answer
                                   that the client does not read */
};

struct ll_http_server; /* opaque */

/*
 * Listen on ip:port (port 0: any free port; *bound_port tells which).
 * Returns: 0, LL_EINVAL (bad address), LL_EIO (bind/listen failed, e has
 * libuv's text), LL_ENOMEM.
 */
LL_NODISCARD int ll_http_listen(struct ll_http_server **out, uv_loop_t *loop,
                                const char *ip, int port,
                                const struct ll_http_limits *lim,
                                ll_http_handler_cb cb, void *arg,
                                int *bound_port, struct ll_errmsg *e)
    LL_NONNULL(1, 2, 3, 5, 6);

/* Stop accepting and close every connection; frees in the close callbacks. */
void ll_http_close(struct ll_http_server *s);

/* Requests answered by status class, for /metrics. */
struct ll_http_stats {
    uint64_t by_status[6]; /* index status / 100: 1xx..5xx */
    uint64_t connections;  /* open now */
    uint64_t timeouts;     /* connections closed by a timeout */
    uint64_t evicted;      /* idle or slow connections closed for a new one */
};
void ll_http_stats(const struct ll_http_server *s, struct ll_http_stats *out)
    LL_NONNULL(1, 2);

/*
 * Query strings ("a=1&b=x%2Fy"). ll_http_query_get copies the decoded value
 * of name into out and returns 1, or 0 if absent, or LL_EDECODE if the
 * query is malformed or the value does not fit. ll_http_query_check
 * returns 0 if every parameter is one of names (NULL-terminated), else
 * LL_EINVAL with the first unknown one copied into bad.
 */
LL_NODISCARD int ll_http_query_get(const char *query, const char *name,
                                   char *out, size_t cap) LL_NONNULL(1, 2, 3);
LL_NODISCARD int ll_http_query_check(const char *query,
                                     const char *const *names, char *bad,
                                     size_t cap) LL_NONNULL(1, 2, 3);

#endif
