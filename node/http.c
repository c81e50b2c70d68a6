/* SPDX-License-Identifier: MIT */
/*
 * The HTTP server: libuv TCP plus http_parser (the only file that
 * includes http_parser.h). Bytes read are queued per connection and fed to
 * the parser one request at a time: when a request is complete the parser
 * is paused, reading stops, and the handler runs; its answer resumes the
 * connection (keep-alive) or closes it. Every buffer has a hard limit; a
 * request over a limit gets 413 or 431 and the connection is closed.
 */
#include <http_parser.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"

enum hdr { HDR_NONE, HDR_CTYPE, HDR_ACCEPT, HDR_AUTH, HDR_EXPECT };

/*
 * Request and receive buffers larger than this are freed once their
 * request is answered: an idle keep-alive connection holds only its
 * struct, whatever size its last request was.
 */
#define KEEP_BUF 16384

struct ll_http_conn {
    uv_tcp_t tcp;               /* embedded handle; data = this */
    uv_timer_t timer;           /* the connection's deadline; data = this */
    int handles;                /* handles not yet closed (tcp, timer) */
    struct ll_http_server *srv; /* owner */
    struct ll_http_conn *next;  /* server's list */
    struct ll_http_conn *prev;
    http_parser parser; /* request parser */
    struct ll_buf in;   /* bytes read, not yet parsed */
    struct ll_buf url;  /* request target */
    struct ll_buf body; /* request body */
    char field[64];     /* current header name (truncated) */
    size_t field_len;
    enum hdr hdr;           /* header whose value is being read */
    char expect[32];        /* the Expect header ("" = none) */
    size_t header_bytes;    /* raw bytes of request line + headers so far */
    size_t queued;          /* answer bytes given to uv_write, not written */
    uint64_t since;         /* loop ms: when the current state began */
    int err_status;         /* a limit hit by a parser callback */
    bool in_request;        /* a request's first byte has been parsed */
    bool headers_done;      /* its headers are complete */
    bool complete;          /* a whole request is parsed */
    bool busy;              /* handler has not answered yet */
    bool in_process;        /* process() is on the stack for it */
    bool keep_alive;        /* after the answer */
    bool draining;          /* a last answer is queued, close after it */
    bool closing;           /* uv_close called */
    bool peer_gone;         /* closed or broke while busy: close after the
                               handler's answer instead of sending it */
    char peer[64];          /* client address, for every request */
    struct ll_http_req req; /* the request being answered */
};

struct ll_http_server {
    uv_tcp_t tcp; /* listening handle; data = this */
    uv_loop_t *loop;
    struct ll_http_limits lim;
    ll_http_handler_cb cb;
    void *arg;
    struct ll_http_conn *conns; /* open connections */
    size_t nconns;              /* in the list (closing ones too) */
    size_t nclosing;            /* of those, closing */
    bool closing;
    struct ll_http_stats stats;
    bool tcp_closed; /* the listening handle's close callback ran */
    /* Memory for one connection, taken when a new one cannot be allocated:
     * it is accepted and refused (503) instead of left pending, which would
     * stop libuv accepting on the listener for good. Owned; NULL while in
     * use. accept_pending: a connection waits for it. */
    struct ll_http_conn *spare;
    bool accept_pending;
};

static void on_connection(uv_stream_t *server, int status);

struct write_req {
    uv_write_t req;   /* data = connection */
    bool close_after; /* close the connection once written */
    size_t len;
    char data[]; /* the response */
};

/* Called once per handle; the connection goes with the last one. */
static void conn_closed(uv_handle_t *h)
{
    struct ll_http_conn *c = h->data;
    struct ll_http_server *s = c->srv;
    if (--c->handles > 0)
        return;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    s->nconns--;
    s->nclosing--;
    ll_buf_free(&c->in);
    ll_buf_free(&c->url);
    ll_buf_free(&c->body);
    if (s->spare == NULL)
        s->spare = c; /* keep it for the next allocation failure */
    else
        ll_free(c);
    /* The server goes last: after its handle and every connection. */
    if (s->tcp_closed && s->nconns == 0) {
        ll_free(s->spare);
        ll_free(s);
        return;
    }
    if (s->accept_pending && !s->closing) {
        s->accept_pending = false;
        on_connection((uv_stream_t *)&s->tcp, 0);
    }
}

static void conn_close(struct ll_http_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    c->srv->nclosing++;
    /* A handle someone else closed (a uv_walk at shutdown) is not closed
     * twice, which libuv aborts on; the connection is then never freed. */
    if (!uv_is_closing((uv_handle_t *)&c->timer))
        uv_close((uv_handle_t *)&c->timer, conn_closed);
    if (!uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void on_timeout(uv_timer_t *t);

/* Start the connection's deadline over: ms from now (0: none). */
static void arm(struct ll_http_conn *c, uint64_t ms)
{
    c->since = uv_now(c->srv->loop);
    if (ms == 0)
        (void)uv_timer_stop(&c->timer);
    else
        (void)uv_timer_start(&c->timer, on_timeout, ms, 0);
}

static const char *reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return status < 500 ? "Client Error" : "Server Error";
    }
}

static void process(struct ll_http_conn *c);
static void resume_reading(struct ll_http_conn *c);

/*
 * A queued write finished. Progress restarts the idle deadline (a client
 * that stops reading its answers is closed after idle_timeout_ms), and a
 * connection that stopped reading because too much was queued for it
 * goes on once it is below the limit again.
 */
static void write_done(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct ll_http_conn *c = req->data;
    c->queued -= w->len;
    bool close_after = w->close_after;
    ll_free(w);
    if (status < 0 || close_after) {
        conn_close(c);
        return;
    }
    if (c->closing || c->busy)
        return;
    if (c->draining || !c->in_request)
        arm(c, c->srv->lim.idle_timeout_ms);
    if (!c->draining && c->queued <= c->srv->lim.max_queued)
        process(c);
}

/*
 * Send raw bytes; close the connection after them if asked. Most answers
 * fit the socket's buffer: written at once with uv_try_write, nothing is
 * copied or allocated. The rest (or everything, when earlier writes are
 * still queued) is copied into a write request.
 */
static void send_raw(struct ll_http_conn *c, const char *hdr, size_t hlen,
                     const void *body, size_t blen, bool close_after)
{
    uv_buf_t parts[2] = {uv_buf_init((char *)(uintptr_t)hdr, (unsigned)hlen),
                         uv_buf_init((char *)(uintptr_t)body, (unsigned)blen)};
    int sent = uv_try_write((uv_stream_t *)&c->tcp, parts, blen > 0 ? 2 : 1);
    size_t done = sent > 0 ? (size_t)sent : 0;
    if (sent < 0 && sent != UV_EAGAIN && sent != UV_ENOSYS) {
        conn_close(c); /* reset or broken: nobody to answer */
        return;
    }
    if (done == hlen + blen) {
        if (close_after)
            conn_close(c);
        return;
    }
    size_t rest = hlen + blen - done;
    struct write_req *w = ll_malloc(sizeof(*w) + rest);
    if (w == NULL) {
        conn_close(c);
        return;
    }
    size_t k = 0;
    if (done < hlen) {
        memcpy(w->data, hdr + done, hlen - done);
        k = hlen - done;
    }
    if (blen > 0)
        memcpy(w->data + k,
               (const char *)body + (done > hlen ? done - hlen : 0), rest - k);
    w->len = rest;
    w->close_after = close_after;
    w->req.data = c;
    uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_done) != 0) {
        ll_free(w);
        conn_close(c);
        return;
    }
    c->queued += rest;
    if (close_after) {
        /* A client that never reads it must not hold the slot. */
        c->draining = true;
        arm(c, c->srv->lim.idle_timeout_ms);
    }
}

static void send_response(struct ll_http_conn *c, int status, const char *ctype,
                          const void *body, size_t len, bool close_after)
{
    char hdr[512];
    /* 429 and 503 are both "try again shortly": say when (RFC 9110). */
    bool retry = status == 429 || status == 503;
    int n = snprintf(hdr, sizeof(hdr),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\nConnection: %s\r\n%s"
                     "Cache-Control: no-store\r\n\r\n",
                     status, reason(status), ctype, len,
                     close_after ? "close" : "keep-alive",
                     retry ? "Retry-After: 1\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof(hdr)) {
        conn_close(c);
        return;
    }
    int cls = status / 100;
    if (cls >= 1 && cls <= 5)
        c->srv->stats.by_status[cls]++;
    send_raw(c, hdr, (size_t)n, body, len, close_after);
}

/* A refusal decided by the server itself (limits, malformed HTTP). */
static void refuse(struct ll_http_conn *c, int status, const char *error,
                   const char *detail)
{
    char body[512];
    /* error and detail are fixed strings of this file: no escaping needed. */
    int n = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"detail\":\"%s\"}",
                     error, detail);
    if (n < 0 || (size_t)n >= sizeof(body))
        n = 0;
    c->busy = true;
    send_response(c, status, "application/json", body, (size_t)n, true);
}

/* Shrink b to nothing if it grew past KEEP_BUF, else just empty it. */
static void release(struct ll_buf *b)
{
    if (b->cap > KEEP_BUF)
        ll_buf_free(b);
    else
        ll_buf_reset(b);
}

/* Forget the answered request and read the next one. */
static void reset_request(struct ll_http_conn *c)
{
    ll_buf_reset(&c->url);
    release(&c->body);
    c->header_bytes = 0;
    c->field_len = 0;
    c->hdr = HDR_NONE;
    c->expect[0] = '\0';
    c->in_request = false;
    c->headers_done = false;
    c->complete = false;
    memset(&c->req, 0, sizeof(c->req));
}

void ll_http_respond(struct ll_http_conn *c, int status,
                     const char *content_type, const void *body, size_t len)
{
    if (c->closing)
        return;
    if (c->peer_gone) {
        c->busy = false;
        conn_close(c);
        return;
    }
    bool close_after = !c->keep_alive || c->srv->closing;
    send_response(c, status, content_type, body, len, close_after);
    c->busy = false;
    reset_request(c);
    if (close_after || c->closing)
        return;
    arm(c, c->srv->lim.idle_timeout_ms);
    http_parser_pause(&c->parser, 0);
    process(c);
}

/* ---- parser callbacks ---------------------------------------------------- */

static int on_begin(http_parser *p)
{
    struct ll_http_conn *c = p->data;
    c->in_request = true;
    arm(c, c->srv->lim.header_timeout_ms);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    struct ll_http_conn *c = p->data;
    int rc = ll_buf_append(&c->url, at, n);
    if (rc) {
        c->err_status = rc == LL_ENOMEM ? 503 : 414;
        return 1;
    }
    return 0;
}

static int on_field(http_parser *p, const char *at, size_t n)
{
    struct ll_http_conn *c = p->data;
    if (c->hdr != HDR_NONE || c->field_len == SIZE_MAX) {
        c->field_len = 0; /* a new field after a value */
        c->hdr = HDR_NONE;
    }
    size_t room = sizeof(c->field) - 1 - c->field_len;
    size_t k = n < room ? n : room;
    memcpy(c->field + c->field_len, at, k);
    c->field_len += k;
    c->field[c->field_len] = '\0';
    return 0;
}

/* Append a header value piece to a fixed field, refusing overflow. */
static int append_value(struct ll_http_conn *c, char *dst, size_t cap,
                        const char *at, size_t n)
{
    size_t have = strlen(dst);
    if (n >= cap - have) {
        c->err_status = 431;
        return 1;
    }
    memcpy(dst + have, at, n);
    dst[have + n] = '\0';
    return 0;
}

static int on_value(http_parser *p, const char *at, size_t n)
{
    struct ll_http_conn *c = p->data;
    if (c->hdr == HDR_NONE) {
        c->hdr = strcasecmp(c->field, "content-type") == 0    ? HDR_CTYPE
                 : strcasecmp(c->field, "accept") == 0        ? HDR_ACCEPT
                 : strcasecmp(c->field, "authorization") == 0 ? HDR_AUTH
                 : strcasecmp(c->field, "expect") == 0        ? HDR_EXPECT
                                                              : HDR_NONE;
        if (c->hdr == HDR_NONE) {
            c->field_len = SIZE_MAX; /* skip this value; reset on next field */
            return 0;
        }
    }
    switch (c->hdr) {
    case HDR_CTYPE:
        return append_value(c, c->req.content_type, sizeof(c->req.content_type),
                            at, n);
    case HDR_ACCEPT:
        return append_value(c, c->req.accept, sizeof(c->req.accept), at, n);
    case HDR_AUTH:
        return append_value(c, c->req.authorization,
                            sizeof(c->req.authorization), at, n);
    case HDR_EXPECT:
        if (append_value(c, c->expect, sizeof(c->expect), at, n) != 0)
            c->err_status = 417; /* no expectation this long is known */
        return c->err_status != 0;
    default:
        return 0;
    }
}

/*
 * The headers are in: check the version, the body's size and an Expect
 * header, and answer "100 Continue" to a client waiting for it. Pauses the
 * parser so that process() can count the headers' raw bytes exactly.
 */
static int on_headers_complete(http_parser *p)
{
    struct ll_http_conn *c = p->data;
    c->headers_done = true;
    if (p->http_major != 1 || p->http_minor > 1) {
        c->err_status = 505;
        return -1; /* an error: 1 and 2 mean "no body" to http_parser */
    }
    if (p->content_length != ULLONG_MAX &&
        p->content_length > c->srv->lim.max_body) {
        c->err_status = 413;
        return -1;
    }
    /* HTTP/1.0 has no Expect (RFC 9110 10.1.1: ignore it). */
    if (c->expect[0] != '\0' && p->http_minor == 1) {
        if (strcasecmp(c->expect, "100-continue") != 0) {
            c->err_status = 417;
            return -1;
        }
        bool has_body =
            (p->flags & F_CHUNKED) != 0 ||
            (p->content_length != ULLONG_MAX && p->content_length > 0);
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (has_body)
            send_raw(c, cont, sizeof(cont) - 1, NULL, 0, false);
    }
    arm(c, c->srv->lim.body_timeout_ms);
    http_parser_pause(p, 1);
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    struct ll_http_conn *c = p->data;
    int rc = ll_buf_append(&c->body, at, n);
    if (rc) {
        c->err_status = rc == LL_ENOMEM ? 503 : 413;
        return 1;
    }
    return 0;
}

static int on_complete(http_parser *p)
{
    struct ll_http_conn *c = p->data;
    c->complete = true;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_begin,
    .on_url = on_url,
    .on_header_field = on_field,
    .on_header_value = on_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_complete,
};

/* Split the target into a percent-decoded path and the raw query. */
static bool split_url(struct ll_http_req *r, const char *url, size_t len)
{
    size_t q = 0;
    while (q < len && url[q] != '?')
        q++;
    if (q >= sizeof(r->raw_path))
        return false;
    size_t o = 0;
    for (size_t i = 0; i < q; i++) {
        char ch = url[i];
        if (ch == '%') {
            int hi = i + 2 < q ? ll_hex_digit(url[i + 1]) : -1;
            int lo = i + 2 < q ? ll_hex_digit(url[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return false;
            ch = (char)(hi * 16 + lo);
            i += 2;
        }
        if (o + 1 >= sizeof(r->path))
            return false;
        r->path[o++] = ch;
    }
    r->path[o] = '\0';
    memcpy(r->raw_path, url, q); /* q <= the decoded length's bound */
    r->raw_path[q] = '\0';
    size_t ql = q < len ? len - q - 1 : 0;
    if (ql >= sizeof(r->query))
        return false;
    memcpy(r->query, url + q + (q < len ? 1 : 0), ql);
    r->query[ql] = '\0';
    return o > 0 && r->path[0] == '/';
}

/* Hand the complete request to the handler. */
static void dispatch(struct ll_http_conn *c)
{
    struct ll_http_req *r = &c->req;
    c->busy = true;
    (void)uv_timer_stop(&c->timer); /* the handler owns the connection */
    c->keep_alive = http_should_keep_alive(&c->parser) != 0;
    r->method = http_method_str((enum http_method)c->parser.method);
    memcpy(r->peer, c->peer, sizeof(r->peer));
    if (!split_url(r, (const char *)c->url.data, c->url.len)) {
        refuse(c, 400, "bad_request", "malformed request target");
        return;
    }
    /* Keep the media type only, lower-cased. */
    for (char *p = r->content_type; *p != '\0'; p++) {
        if (*p == ';' || *p == ' ') {
            *p = '\0';
            break;
        }
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    r->body = c->body.data != NULL ? c->body.data : (const uint8_t *)"";
    r->body_len = c->body.len;
    c->srv->cb(c->srv->arg, c, r);
}

/* Answer a limit breach or a protocol error found by the parser. */
static void refuse_parse(struct ll_http_conn *c, enum http_errno err)
{
    switch (c->err_status) {
    case 503:
        refuse(c, 503, "busy", "out of memory");
        break;
    case 413:
        refuse(c, 413, "too_large", "request body over the limit");
        break;
    case 414:
    case 431:
        refuse(c, 431, "headers_too_large",
               "request line or headers over the limit");
        break;
    case 417:
        refuse(c, 417, "expectation_failed",
               "the only expectation is 100-continue");
        break;
    case 505:
        refuse(c, 505, "http_version", "HTTP/1.0 and HTTP/1.1 only");
        break;
    default:
        refuse(c, 400, "bad_request", http_errno_name(err));
        break;
    }
}

/* May process() parse more of c's input now? */
static bool can_parse(const struct ll_http_conn *c)
{
    return !c->busy && !c->closing && c->in.len > 0 &&
           (c->in_request || c->queued <= c->srv->lim.max_queued);
}

/*
 * How many input bytes the parser may see: all of them, except while a
 * request's headers are read, no more than the header limit has left
 * (0: the limit is used up).
 */
static size_t parse_room(const struct ll_http_conn *c)
{
    if (c->headers_done)
        return c->in.len;
    size_t room = c->srv->lim.max_header - c->header_bytes;
    return c->in.len < room ? c->in.len : room;
}

/* Release an empty input buffer; read on unless busy or too much queued. */
static void after_parse(struct ll_http_conn *c)
{
    if (c->in.len == 0)
        release(&c->in);
    if (c->busy || c->closing)
        return;
    if (c->queued > c->srv->lim.max_queued && !c->in_request)
        (void)uv_read_stop((uv_stream_t *)&c->tcp); /* until write_done */
    else
        resume_reading(c);
}

/*
 * Parse and dispatch the requests waiting in c's input, one at a time: a
 * handler that answers at once lets the loop go on to the next pipelined
 * request here, iteratively (ll_http_respond does not recurse into this
 * while it runs), so any number of pipelined requests costs no stack.
 * While a request's headers are read the parser is given no more bytes
 * than the header limit has left, so the limit counts every raw byte of
 * the request line and headers. No new request is started while more
 * than max_queued answer bytes wait for the client to read them.
 */
static void process(struct ll_http_conn *c)
{
    if (c->in_process)
        return;
    c->in_process = true;
    while (can_parse(c)) {
        size_t len = parse_room(c);
        if (len == 0) {
            c->err_status = 431;
            refuse_parse(c, HPE_HEADER_OVERFLOW);
            break;
        }
        bool headers = !c->headers_done;
        size_t n = http_parser_execute(&c->parser, &settings,
                                       (const char *)c->in.data, len);
        enum http_errno err = HTTP_PARSER_ERRNO(&c->parser);
        memmove(c->in.data, c->in.data + n, c->in.len - n);
        c->in.len -= n;
        if (headers)
            c->header_bytes += n;
        if (c->closing)
            break; /* the 100 Continue could not be written */
        if (c->complete && (err == HPE_OK || err == HPE_PAUSED)) {
            dispatch(c);
            continue;
        }
        if (err == HPE_PAUSED && c->headers_done) {
            http_parser_pause(&c->parser, 0); /* paused after the headers */
            continue;
        }
        if (err == HPE_OK && n > 0)
            continue;
        refuse_parse(c, err);
        break;
    }
    c->in_process = false;
    after_parse(c);
}

/*
 * One read buffer for every connection: the loop reads one socket at a
 * time and read_cb copies what arrived into the connection's own buffer
 * before the next read, so nothing is allocated per read. Its size bounds
 * what one read adds to a connection's input, which is capped (pipelined
 * requests are parsed between reads).
 */
static char read_slab[65536];

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    *buf = uv_buf_init(read_slab, sizeof(read_slab));
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct ll_http_conn *c = st->data;
    if (nread < 0) {
        /* A handler still owes an answer: the connection lives until then
         * (the handler holds it), and is closed instead of answered. */
        if (c->busy) {
            c->peer_gone = true;
            (void)uv_read_stop(st);
        } else {
            conn_close(c);
        }
    } else if (nread > 0) {
        int rc = ll_buf_append(&c->in, buf->base, (size_t)nread);
        if (rc) {
            ll_buf_free(&c->in); /* what it held is dropped */
            if (c->busy) {
                c->peer_gone = true;
                (void)uv_read_stop(st);
            } else if (rc == LL_ENOMEM) {
                refuse(c, 503, "busy", "out of memory");
            } else {
                refuse(c, 413, "too_large", "request over the limit");
            }
        } else if (c->busy) {
            /* Pipelined bytes wait; stop reading until the answer. */
            (void)uv_read_stop(st);
        } else {
            process(c);
        }
    }
    (void)buf; /* the slab: nothing to free */
}

static void resume_reading(struct ll_http_conn *c)
{
    /* UV_EALREADY when it never stopped: nothing to do. */
    (void)uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

/*
 * A deadline passed: a request that did not arrive in time is answered 408
 * (when nothing else is queued for the client), anything else (an idle
 * connection, an answer the client does not read) is closed.
 */
static void on_timeout(uv_timer_t *t)
{
    struct ll_http_conn *c = t->data;
    if (c->closing || (c->busy && !c->draining))
        return;
    c->srv->stats.timeouts++;
    if (c->in_request && !c->draining && c->queued == 0)
        refuse(c, 408, "timeout", "the request did not arrive in time");
    else
        conn_close(c);
}

/*
 * The connection to close for a new one when every slot is taken: the one
 * idle the longest, else the one that has spent the longest on its
 * headers; NULL when every connection is busy with a request or an answer.
 */
static struct ll_http_conn *victim(struct ll_http_server *s,
                                   const struct ll_http_conn *fresh)
{
    struct ll_http_conn *idle = NULL;
    struct ll_http_conn *slow = NULL;
    for (struct ll_http_conn *c = s->conns; c != NULL; c = c->next) {
        if (c == fresh || c->closing || c->busy || c->draining || c->queued > 0)
            continue;
        if (!c->in_request && (idle == NULL || c->since < idle->since))
            idle = c;
        else if (c->in_request && !c->headers_done &&
                 (slow == NULL || c->since < slow->since))
            slow = c;
    }
    return idle != NULL ? idle : slow;
}

static void on_connection(uv_stream_t *server, int status)
{
    struct ll_http_server *s = server->data;
    if (status < 0 || s->closing)
        return;
    struct ll_http_conn *c = ll_calloc(1, sizeof(*c));
    bool shed = c == NULL;
    if (shed && s->spare == NULL) {
        s->accept_pending = true; /* until a connection closes */
        return;
    }
    if (shed) {
        c = s->spare;
        s->spare = NULL;
        memset(c, 0, sizeof(*c));
    }
    if (uv_tcp_init(s->loop, &c->tcp) != 0) {
        ll_free(c);
        return;
    }
    (void)uv_timer_init(s->loop, &c->timer); /* cannot fail */
    c->handles = 2;
    c->tcp.data = c;
    c->timer.data = c;
    c->srv = s;
    c->next = s->conns;
    if (s->conns != NULL)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    ll_buf_init(&c->in, s->lim.max_header + s->lim.max_body + 65536);
    ll_buf_init(&c->url, (size_t)LL_HTTP_PATH_MAX * 2);
    ll_buf_init(&c->body, s->lim.max_body);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    struct sockaddr_storage sa;
    int salen = sizeof(sa);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &salen) == 0 &&
        sa.ss_family == AF_INET)
        (void)uv_ip4_name((const struct sockaddr_in *)&sa, c->peer,
                          sizeof(c->peer));
    arm(c, s->lim.idle_timeout_ms);
    if (shed) {
        refuse(c, 503, "busy", "out of memory");
        return;
    }
    if (s->nconns - s->nclosing > s->lim.max_connections) {
        struct ll_http_conn *v = victim(s, c);
        if (v == NULL) {
            refuse(c, 503, "busy", "too many open connections");
            return;
        }
        s->stats.evicted++;
        conn_close(v);
    }
    if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) != 0)
        conn_close(c);
}

int ll_http_listen(struct ll_http_server **out, uv_loop_t *loop, const char *ip,
                   int port, const struct ll_http_limits *lim,
                   ll_http_handler_cb cb, void *arg, int *bound_port,
                   struct ll_errmsg *e)
{
    struct sockaddr_in addr;
    if (uv_ip4_addr(ip, port, &addr) != 0)
        return ll_errmsg_set(e, LL_EINVAL, "http: bad address %s:%d", ip, port);
    struct ll_http_server *s = ll_calloc(1, sizeof(*s));
    struct ll_http_conn *spare = ll_calloc(1, sizeof(*spare));
    if (s == NULL || spare == NULL) {
        ll_free(s);
        ll_free(spare);
        return LL_ENOMEM;
    }
    s->spare = spare;
    s->loop = loop;
    s->lim = *lim;
    s->cb = cb;
    s->arg = arg;
    int r = uv_tcp_init(loop, &s->tcp);
    if (r != 0) {
        ll_free(s->spare);
        ll_free(s);
        return ll_errmsg_set(e, LL_EIO, "http: %s", uv_strerror(r));
    }
    s->tcp.data = s;
    r = uv_tcp_bind(&s->tcp, (const struct sockaddr *)&addr, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&s->tcp, LL_HTTP_BACKLOG, on_connection);
    if (r != 0) {
        (void)ll_errmsg_set(e, LL_EIO, "http: cannot listen on %s:%d: %s", ip,
                            port, uv_strerror(r));
        /* Freed by the close callback once the caller runs the loop. */
        ll_http_close(s);
        return LL_EIO;
    }
    struct sockaddr_storage sa;
    int salen = sizeof(sa);
    if (bound_port != NULL &&
        uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&sa, &salen) == 0)
        *bound_port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
    *out = s;
    return 0;
}

static void server_closed(uv_handle_t *h)
{
    struct ll_http_server *s = h->data;
    s->tcp_closed = true;
    if (s->nconns == 0) {
        ll_free(s->spare);
        ll_free(s);
    }
}

void ll_http_close(struct ll_http_server *s)
{
    if (s == NULL || s->closing)
        return;
    s->closing = true;
    /* Busy connections close once their answer is written. */
    for (struct ll_http_conn *c = s->conns; c != NULL; c = c->next)
        if (!c->busy)
            conn_close(c);
    uv_close((uv_handle_t *)&s->tcp, server_closed);
}

void ll_http_stats(const struct ll_http_server *s, struct ll_http_stats *out)
{
    *out = s->stats;
    out->connections = s->nconns;
}

/* ---- query strings --------------------------------------------------------
 */

/* Percent-decode [p, end) into out (with '+' as space). */
static int qdecode(const char *p, const char *end, char *out, size_t cap)
{
    size_t n = 0;
    for (; p < end; p++) {
        int c = (unsigned char)*p;
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = end - p > 2 ? ll_hex_digit(p[1]) : -1;
            int lo = end - p > 2 ? ll_hex_digit(p[2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return LL_EDECODE;
            c = hi * 16 + lo;
            p += 2;
        }
        if (n + 1 >= cap)
            return LL_EDECODE;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return 0;
}

int ll_http_query_get(const char *query, const char *name, char *out,
                      size_t cap)
{
    size_t nl = strlen(name);
    const char *p = query;
    while (*p != '\0') {
        const char *amp = strchr(p, '&');
        const char *end = amp != NULL ? amp : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        const char *kend = eq != NULL ? eq : end;
        if ((size_t)(kend - p) == nl && memcmp(p, name, nl) == 0)
            return qdecode(eq != NULL ? eq + 1 : end, end, out, cap) == 0
                       ? 1
                       : LL_EDECODE;
        p = amp != NULL ? amp + 1 : end;
    }
    return 0;
}

int ll_http_query_check(const char *query, const char *const *names, char *bad,
                        size_t cap)
{
    const char *p = query;
    while (*p != '\0') {
        const char *amp = strchr(p, '&');
        const char *end = amp != NULL ? amp : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        size_t kl = (size_t)((eq != NULL ? eq : end) - p);
        bool known = false;
        for (const char *const *n = names; *n != NULL && !known; n++)
            known = strlen(*n) == kl && memcmp(*n, p, kl) == 0;
        if (!known) {
            (void)snprintf(bad, cap, "%.*s", (int)(kl < 64 ? kl : 64), p);
            return LL_EINVAL;
        }
        p = amp != NULL ? amp + 1 : end;
    }
    return 0;
}
