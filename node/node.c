/* SPDX-License-Identifier: MIT */
/*
 * The node: one libuv loop holding the ledger, the block being built (the
 * mempool is that open block: an accepted event has already passed the
 * custody rules against the ledger and the events before it), a timer that
 * seals and commits it, the HTTP API, and the signal handlers for a clean
 * stop. JSON answers are built with jansson.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "../crypto/crypto.h"
#include "../ledger/epcis.h"
#include "../ledger/gs1.h"
#include "../ledger/event_json.h"
#include "../ledger/ledger.h"
#include "../ledger/proof.h"
#include "../ledger/rules.h"
#include "../ledger/trace.h"
#include "http.h"
#include "page.h"
#include "rate.h"
#include "node.h"

#define COMMIT_BUCKETS 8

/*
 * The node's own check of a lot's trace proof (the consumer page's
 * "verified"), kept per lot and trace content: digest is a hash of the
 * committed states of every lot of the lot's backward trace, so a block
 * that touches none of them keeps the result (loop thread only).
 */
#define PAGE_CHECKS 256

struct page_check {
    char lot[LL_LOTID_MAX + 1]; /* "" = unused */
    uint8_t digest[32];         /* of the trace's lot states */
    bool verified;
    bool partial;
};

/*
 * Traces, proofs and consumer pages read a lot's whole history (seconds
 * for a lot of 10^4 events): they run on the libuv thread pool, at most
 * READ_JOBS at once, so the pool keeps threads for signature checks; more
 * are answered 503 with a retry hint (docs/api.md).
 */
#define READ_JOBS        2
#define READ_RETRY_AFTER 1 /* seconds */

struct node {
    uv_loop_t loop;
    const struct ll_node_config *cfg;
    struct ll_genesis *g;  /* owned */
    struct ll_ledger *l;   /* owned */
    struct ll_keypair key; /* the organisation's key; wiped */
    bool validator;        /* key is in the validator set */
    struct ll_block *open; /* the block being built, or NULL */
    uv_timer_t timer;      /* block production */
    /* SIGINT and SIGTERM, blocked in every thread of the node, are read
     * from a signalfd: there is never a moment when one kills it. */
    uv_poll_t sigpoll;
    int sigfd;                   /* -1 until open */
    struct ll_http_server *http; /* owned until closed */
    bool stopping;
    int fatal; /* a commit failed: stop with this */
    /* Answers owed once the open block commits (?wait=commit). */
    struct waiter *waiters; /* owned */
    size_t nwait;
    size_t capwait;
    /* The block being sealed, signed and written on the committer thread,
     * its waiters, and the events that arrived meanwhile (applied once it
     * is written). */
    struct ll_block *writing; /* owned while in flight, or NULL */
    int write_rc;
    bool write_prepared; /* sealed and prepared: write_rc is the write's */
    /* The committer thread: it seals and writes n->writing when told
     * (commit_go), then wakes the loop through commit_done. */
    uv_thread_t committer;
    bool committer_up;
    uv_mutex_t commit_mu;
    uv_cond_t commit_cv;
    bool commit_go;   /* under commit_mu: a block is handed over */
    bool commit_quit; /* under commit_mu: stop the thread */
    bool commit_end;  /* under commit_mu: the handed block is done */
    uv_async_t commit_done;
    struct ll_errmsg write_e; /* why sealing or preparing failed */
    uint64_t write_t0;
    struct waiter *wwaiters; /* owned */
    size_t nwwait;
    size_t capwwait;
    uint64_t writing_height;
    size_t writing_events;
    struct held **held; /* owned */
    size_t nheld;
    size_t capheld;
    struct ll_rate *rate; /* per-address budgets; owned */
    struct page_check pchecks[PAGE_CHECKS];
    size_t reads;         /* read jobs in flight (at most READ_JOBS) */
    uint64_t reads_busy;  /* read requests answered 503 */
    uint64_t page_checks; /* proof checks the consumer pages ran */
    uint64_t limited;     /* requests answered 429 */
    /* metrics */
    uint64_t accepted;
    uint64_t rejected[64];                    /* by -error code */
    uint64_t commit_hist[COMMIT_BUCKETS + 1]; /* ms buckets, + count */
    double commit_ms_sum;
};

/* An event whose signature was checked while a block was being written. */
struct held {
    struct ll_http_conn *conn;
    bool sig_ok;
    bool wait;
    size_t len;
    uint8_t bytes[];
};

struct waiter {
    struct ll_http_conn *conn; /* answered at commit */
    uint8_t id[32];            /* the event */
    uint32_t index;            /* its position in the block */
};

static const double commit_bounds[COMMIT_BUCKETS] = {1,  5,   10,  25,
                                                     50, 100, 250, 1000};

/* ---- answers ---------------------------------------------------------------
 */

/* Answer with a JSON document (takes the reference to j). */
static void reply_json(struct ll_http_conn *c, int status, json_t *j)
{
    size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
    size_t need = j != NULL ? json_dumpb(j, NULL, 0, flags) : 0;
    char *buf = need > 0 ? ll_malloc(need + 1) : NULL;
    if (buf == NULL || json_dumpb(j, buf, need, flags) != need) {
        static const char oom[] = "{\"error\":\"internal\"}";
        ll_http_respond(c, 500, "application/json", oom, sizeof(oom) - 1);
    } else {
        buf[need] = '\n';
        ll_http_respond(c, status, "application/json", buf, need + 1);
    }
    ll_free(buf);
    json_decref(j);
}

/*
 * Answer 200 with j, built since the allocation failure count was failures
 * (takes the reference to j). jansson's errors are not checked one by one
 * where answers are built: if an allocation failed meanwhile (the count
 * moved), j may be missing fields and the answer is 503 instead.
 */
static void reply_built(struct ll_http_conn *c, json_t *j, uint64_t failures)
{
    if (ll_alloc_failures() != failures) {
        static const char oom[] = "{\"error\":\"busy\",\"code\":\"LL_ENOMEM\","
                                  "\"detail\":\"out of memory; retry\"}";
        json_decref(j);
        ll_http_respond(c, 503, "application/json", oom, sizeof(oom) - 1);
        return;
    }
    reply_json(c, 200, j);
}

static void reply_error(struct ll_http_conn *c, int status, const char *error,
                        int code, const char *detail)
{
    uint64_t failures = ll_alloc_failures();
    json_t *j = json_object();
    (void)json_object_set_new(j, "error", json_string(error));
    if (code != 0)
        (void)json_object_set_new(j, "code", json_string(ll_err_name(code)));
    (void)json_object_set_new(j, "detail", json_string(detail));
    if (ll_alloc_failures() != failures) {
        /* Never an error answer with its fields missing: the name alone
         * (error is a fixed identifier of this file). */
        char body[128];
        int n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}", error);
        json_decref(j);
        ll_http_respond(c, status, "application/json", body,
                        n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0);
        return;
    }
    reply_json(c, status, j);
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
    char hex[129];
    if (n > 64 || ll_hex_encode(hex, sizeof(hex), p, n) != 0)
        return json_null();
    return json_string(hex);
}

/* ---- block production ---------------------------------------------------- */

static int begin_block(struct node *n)
{
    if (n->open != NULL)
        return 0;
    struct ll_ledger_tip tip;
    ll_ledger_tip(n->l, &tip);
    int64_t now = 0;
    uv_timeval64_t tv;
    if (uv_gettimeofday(&tv) == 0)
        now = tv.tv_sec * 1000 + tv.tv_usec / 1000;
    if (now < tip.time_ms)
        now = tip.time_ms;
    return ll_block_begin(n->l, &n->open, now, n->key.pk);
}

/*
 * The answer to an accepted event, {"id", "status", "height", "index"}:
 * formatted here rather than through jansson, since every event gets one
 * (hex and numbers only, nothing to escape).
 */
static void reply_event(struct ll_http_conn *c, int status,
                        const uint8_t id[32], const char *what, uint64_t height,
                        uint32_t index)
{
    char hex[65];
    char body[192];
    if (ll_hex_encode(hex, sizeof(hex), id, 32) != 0)
        hex[0] = '\0';
    int n = snprintf(body, sizeof(body),
                     "{\"id\":\"%s\",\"status\":\"%s\",\"height\":%llu,"
                     "\"index\":%u}\n",
                     hex, what, (unsigned long long)height, (unsigned)index);
    if (n > 0 && (size_t)n < sizeof(body))
        ll_http_respond(c, status, "application/json", body, (size_t)n);
    else
        reply_error(c, 500, "internal", LL_ETOOBIG, "answer too long");
}

/* Answer the ?wait=commit requests of a block just committed (or not). */
static void answer_waiters(struct waiter *ws, size_t n, int rc, uint64_t height)
{
    for (size_t i = 0; i < n; i++) {
        struct waiter *w = &ws[i];
        if (rc)
            reply_error(w->conn, 500, "commit_failed", rc,
                        "the block holding this event was not committed");
        else
            reply_event(w->conn, 201, w->id, "committed", height, w->index);
    }
}

static void admit(struct node *n, struct ll_http_conn *c, const uint8_t *bytes,
                  size_t len, bool sig_ok, bool wait);
static void produce(struct node *n);
static void stop_taking_work(struct node *n, int signum);
static void drop_pending(struct node *n);
enum { signal_none = 0 };

/*
 * Committer thread: seal the block (tx root, state map), sign the commit,
 * prepare and write it (one synced LevelDB batch). The loop thread holds
 * new events meanwhile and keeps its readers off the builder's caches
 * (ll_ledger_set_sealing), so this thread has them to itself. A thread of
 * its own rather than the libuv pool: there the block would queue behind
 * thousands of signature checks, and it is what every waiting client is
 * waiting for.
 */
static void write_work(struct node *n)
{
    struct ll_header h;
    struct ll_commit c;
    memset(&c, 0, sizeof(c));
    memset(&h, 0, sizeof(h));
    n->write_prepared = false;
    n->write_e.text[0] = '\0';
    int rc = ll_block_seal(n->writing, &h);
    n->writing_height = h.height;
    if (rc == 0)
        rc = ll_commit_sign(&c, ll_ledger_valset(n->l), &h, &n->key);
    if (rc == 0)
        rc = ll_ledger_commit_prepare(n->l, n->writing, &c, &n->write_e);
    if (rc == 0) {
        n->write_prepared = true;
        rc = ll_ledger_commit_write(n->writing);
    }
    n->write_rc = rc;
}

static void committer_main(void *arg)
{
    struct node *n = arg;
    uv_mutex_lock(&n->commit_mu);
    for (;;) {
        while (!n->commit_go && !n->commit_quit)
            uv_cond_wait(&n->commit_cv, &n->commit_mu);
        if (n->commit_quit)
            break;
        n->commit_go = false;
        uv_mutex_unlock(&n->commit_mu);
        write_work(n);
        /* Publish the results (write_rc, ...) to the loop thread. */
        uv_mutex_lock(&n->commit_mu);
        n->commit_end = true;
        (void)uv_async_send(&n->commit_done);
    }
    uv_mutex_unlock(&n->commit_mu);
}

/* Loop thread: the write is done; take the new tip, answer, go on. */
static void after_write(uv_async_t *a)
{
    struct node *n = a->data;
    uv_mutex_lock(&n->commit_mu);
    bool end = n->commit_end;
    n->commit_end = false;
    uv_mutex_unlock(&n->commit_mu);
    if (!end)
        return; /* a wake-up with nothing finished */
    struct ll_block *b = n->writing;
    struct ll_errmsg e = {{0}};
    uint64_t height = n->writing_height;
    /* Nothing in flight: the loop may end without this handle. */
    uv_unref((uv_handle_t *)&n->commit_done);
    ll_ledger_set_sealing(n->l, false);
    int rc = n->write_rc;
    if (n->write_prepared)
        rc = ll_ledger_commit_finish(n->l, b, n->write_rc, &e);
    else if (rc)
        e = n->write_e;
    n->writing = NULL;
    answer_waiters(n->wwaiters, n->nwwait, rc, height);
    n->nwwait = 0;
    if (rc) {
        ll_log(LL_LOG_ERROR,
               "component=node event=commit_failed height=%llu error=\"%s\"",
               (unsigned long long)height,
               e.text[0] ? e.text : ll_strerror(rc));
        ll_block_free(b);
        n->fatal = rc;
        stop_taking_work(n, signal_none);
        drop_pending(n);
        return;
    }
    double ms = (double)(uv_hrtime() - n->write_t0) / 1e6;
    n->commit_ms_sum += ms;
    n->commit_hist[COMMIT_BUCKETS]++;
    for (size_t i = 0; i < COMMIT_BUCKETS; i++)
        if (ms <= commit_bounds[i])
            n->commit_hist[i]++;
    ll_log(LL_LOG_INFO,
           "component=node event=block height=%llu events=%zu commit_ms=%.1f",
           (unsigned long long)height, n->writing_events, ms);
    /* The events that arrived during the write go into the next block. */
    size_t nh = n->nheld;
    n->nheld = 0;
    for (size_t i = 0; i < nh; i++) {
        struct held *h = n->held[i];
        admit(n, h->conn, h->bytes, h->len, h->sig_ok, h->wait);
        ll_free(h);
    }
    if (n->stopping)
        produce(n); /* finish the block in progress */
}

/*
 * Hand the open block, if it holds events, to the committer thread to be
 * sealed, signed and written, while new events are held.
 */
static void produce(struct node *n)
{
    if (n->writing != NULL || n->open == NULL || ll_block_count(n->open) == 0)
        return;
    n->write_t0 = uv_hrtime();
    /* The open block's waiters become the written block's. */
    struct waiter *tw = n->wwaiters;
    n->wwaiters = n->waiters;
    n->nwwait = n->nwait;
    n->waiters = tw;
    size_t tc = n->capwwait;
    n->capwwait = n->capwait;
    n->capwait = tc;
    n->nwait = 0;
    n->writing = n->open;
    n->writing_events = ll_block_count(n->open);
    n->open = NULL;
    n->write_rc = 0;
    ll_ledger_set_sealing(n->l, true);
    uv_ref((uv_handle_t *)&n->commit_done); /* the loop waits for it */
    uv_mutex_lock(&n->commit_mu);
    n->commit_go = true;
    uv_cond_signal(&n->commit_cv);
    uv_mutex_unlock(&n->commit_mu);
}

/* Start the committer thread. Returns 0 or an errmsg'd LL_EIO. */
static int committer_start(struct node *n, struct ll_errmsg *e)
{
    int rc = uv_async_init(&n->loop, &n->commit_done, after_write);
    if (rc != 0)
        return ll_errmsg_set(e, LL_EIO, "committer: %s", uv_strerror(rc));
    n->commit_done.data = n;
    uv_unref((uv_handle_t *)&n->commit_done);
    if ((rc = uv_mutex_init(&n->commit_mu)) != 0)
        goto fail;
    if ((rc = uv_cond_init(&n->commit_cv)) != 0)
        goto fail_mutex;
    if ((rc = uv_thread_create(&n->committer, committer_main, n)) != 0)
        goto fail_cond;
    n->committer_up = true;
    return 0;
fail_cond:
    uv_cond_destroy(&n->commit_cv);
fail_mutex:
    uv_mutex_destroy(&n->commit_mu);
fail:
    return ll_errmsg_set(e, LL_EIO, "committer: %s", uv_strerror(rc));
}

/* Stop the committer thread (nothing is in flight by then). */
static void committer_stop(struct node *n)
{
    if (!n->committer_up)
        return;
    uv_mutex_lock(&n->commit_mu);
    n->commit_quit = true;
    uv_cond_signal(&n->commit_cv);
    uv_mutex_unlock(&n->commit_mu);
    (void)uv_thread_join(&n->committer);
    uv_cond_destroy(&n->commit_cv);
    uv_mutex_destroy(&n->commit_mu);
    n->committer_up = false;
}

static void on_timer(uv_timer_t *t)
{
    struct node *n = t->data;
    produce(n);
}

/* ---- handlers -------------------------------------------------------------
 */

static int status_for(int rc)
{
    switch (rc) {
    case LL_EDECODE:
    case LL_ETRUNC:
    case LL_ETRAILING:
    case LL_ENONCANON:
        return 400;
    case LL_ETOOBIG:
        return 413;
    case LL_EREPLAY:
        return 409;
    case LL_ENOMEM:
    case LL_ESTORE:
    case LL_ECORRUPT:
        return 500;
    default:
        return 422;
    }
}

/*
 * A submitted event on its way: the signature is checked on the libuv
 * thread pool (the expensive part, so both cores work), then the custody
 * rules run on the loop thread, in ll_block_add.
 */
struct submit {
    uv_work_t req;             /* req.data = this */
    struct node *n;            /* the node (read-only in the worker) */
    struct ll_http_conn *conn; /* answered in after_verify */
    bool sig_ok;               /* the worker verified the signature */
    bool wait;                 /* ?wait=commit: answer once committed */
    bool json;                 /* the body is the JSON form */
    uint64_t height;           /* the height it was submitted for */
    int json_rc;               /* its decoding failed with this */
    struct ll_errmsg json_err; /* and this message */
    struct ll_buf pb;          /* the SignedEvent decoded from JSON */
    size_t len;                /* bytes of the request body */
    uint8_t bytes[];           /* a copy of the request body */
};

/* Thread pool: decode and check the signature against the key its
 * organisation holds at the next height. Reads only immutable data (the
 * genesis, the bytes) and its own scratch. */
static void submit_free(struct submit *s)
{
    ll_buf_free(&s->pb);
    ll_free(s);
}

static void verify_work(uv_work_t *req)
{
    struct submit *s = req->data;
    struct ll_signed_event *se = ll_malloc(sizeof(*se));
    if (se == NULL)
        return;
    const uint8_t *bytes = s->bytes;
    size_t len = s->len;
    if (s->json) {
        s->json_rc = ll_signed_event_json_decode(
            &s->pb, &se->ev, (const char *)s->bytes, s->len, &s->json_err);
        if (s->json_rc != 0) {
            ll_free(se);
            return;
        }
        bytes = s->pb.data;
        len = s->pb.len;
    }
    /* The ledger's pre-parsed genesis keys; the rules check again, on the
     * loop, that the key is valid at the height the event lands in. */
    if (ll_signed_event_decode(se, bytes, len, NULL) == 0 &&
        ll_ledger_sig_ok(s->n->l, se, s->height))
        s->sig_ok = true;
    ll_free(se);
}

static int status_for(int rc);

/* A block is being written: keep the event for the next one. */
static void hold(struct node *n, struct ll_http_conn *c, const uint8_t *bytes,
                 size_t len, bool sig_ok, bool wait)
{
    if (n->nheld + n->nwwait >= n->cfg->mempool_max) {
        reply_error(c, 503, "mempool_full", 0,
                    "too many events waiting; retry shortly");
        return;
    }
    if (n->nheld == n->capheld) {
        size_t cap = n->capheld ? 2 * n->capheld : 256;
        void *t = ll_reallocarray(n->held, cap, sizeof(struct held *));
        if (t != NULL) {
            n->held = t;
            n->capheld = cap;
        }
    }
    struct held *h = n->nheld < n->capheld ? ll_malloc(sizeof(*h) + len) : NULL;
    if (h == NULL) {
        reply_error(c, 503, "busy", LL_ENOMEM, "out of memory; retry");
        return;
    }
    h->conn = c;
    h->sig_ok = sig_ok;
    h->wait = wait;
    h->len = len;
    memcpy(h->bytes, bytes, len);
    n->held[n->nheld++] = h;
}

/*
 * Loop thread: apply the custody rules to one signed event and answer:
 * 202 accepted, 201 once committed (wait), or the rule's 4xx.
 */
static void admit(struct node *n, struct ll_http_conn *c, const uint8_t *bytes,
                  size_t len, bool sig_ok, bool wait)
{
    if (n->writing != NULL) {
        hold(n, c, bytes, len, sig_ok, wait);
        return;
    }
    if (n->open != NULL && ll_block_count(n->open) >= n->cfg->block_max) {
        reply_error(c, 503, "mempool_full", 0,
                    "the next block is full; retry shortly");
        return;
    }
    int rc = begin_block(n);
    if (rc || n->open == NULL) {
        reply_error(c, 500, "internal", rc, "cannot start a block");
        return;
    }
    struct ll_errmsg e = {{0}};
    uint8_t id[32];
    uint32_t index = 0;
    /* Without a verified signature the rules check it again and report
     * the problem in their order (unknown org, key, signature). */
    rc = ll_block_add(n->open, bytes, len, sig_ok, id, &index, &e);
    if (rc) {
        n->rejected[(unsigned)-rc & 63]++;
        ll_log(LL_LOG_INFO,
               "component=api event=rejected code=%s detail=\"%s\"",
               ll_err_name(rc), e.text);
        reply_error(c, status_for(rc),
                    status_for(rc) == 422 ? "custody_rule" : "bad_event", rc,
                    e.text[0] ? e.text : ll_strerror(rc));
        return;
    }
    n->accepted++;
    if (wait) {
        if (n->nwait == n->capwait) {
            size_t cap = n->capwait ? 2 * n->capwait : 64;
            struct waiter *t = ll_reallocarray(n->waiters, cap, sizeof(*t));
            if (t == NULL) {
                /* Accepted all the same: say so without waiting. */
                wait = false;
            } else {
                n->waiters = t;
                n->capwait = cap;
            }
        }
        if (wait) {
            struct waiter *w = &n->waiters[n->nwait++];
            w->conn = c;
            memcpy(w->id, id, 32);
            w->index = index;
            return;
        }
    }
    struct ll_ledger_tip tip;
    ll_ledger_tip(n->l, &tip);
    reply_event(c, 202, id, "accepted", tip.height + 1, index);
}

/* Loop thread: apply the rules and answer. */
static void after_verify(uv_work_t *req, int status)
{
    struct submit *s = req->data;
    struct node *n = s->n;
    struct ll_http_conn *c = s->conn;
    bool wait = s->wait;
    (void)status;
    if (n->stopping) {
        reply_error(c, 503, "stopping", 0, "the node is shutting down");
        submit_free(s);
        return;
    }
    if (s->json_rc != 0) {
        n->rejected[(unsigned)-s->json_rc & 63]++;
        reply_error(c, 400, "bad_json", s->json_rc, s->json_err.text);
        submit_free(s);
        return;
    }
    if (s->json)
        admit(n, c, s->pb.data, s->pb.len, s->sig_ok, wait);
    else
        admit(n, c, s->bytes, s->len, s->sig_ok, wait);
    submit_free(s);
}

/* ?wait=commit (and nothing else): 1, 0 if absent, -1 after a 400. */
static int wait_param(struct ll_http_conn *c, const struct ll_http_req *r)
{
    static const char *const params[] = {"wait", NULL};
    char bad[80];
    char wait[16] = "";
    if (ll_http_query_check(r->query, params, bad, sizeof(bad)) != 0) {
        char d[160];
        (void)snprintf(d, sizeof(d), "unknown query parameter '%s'", bad);
        reply_error(c, 400, "bad_query", LL_EINVAL, d);
        return -1;
    }
    int q = ll_http_query_get(r->query, "wait", wait, sizeof(wait));
    if (q < 0 || (q == 1 && strcmp(wait, "commit") != 0)) {
        reply_error(c, 400, "bad_query", LL_EINVAL,
                    "wait: the only value is 'commit'");
        return -1;
    }
    return q;
}

/*
 * A capture's receive names no shipment: take the one committed pending
 * shipment of its first lot addressed to this org (the one with the same
 * quantity if there are several). Returns 0 or an error already answered.
 */
static int resolve_receive(struct node *n, struct ll_http_conn *c,
                           lotledger_Event *ev)
{
    struct ll_ledger_snap *s = NULL;
    lotledger_LotState *st = ll_malloc(sizeof(*st));
    int rc = st == NULL ? LL_ENOMEM : ll_ledger_snap_open(n->l, &s);
    if (rc == 0)
        rc = ll_ledger_lot(s, ev->lots[0].lot, st);
    char d[400];
    if (rc == LL_ENOTFOUND) {
        (void)snprintf(d, sizeof(d), "lot %s: not on this ledger",
                       ev->lots[0].lot);
        reply_error(c, 422, "custody_rule", LL_ENOLOT, d);
    } else if (rc) {
        reply_error(c, 500, "internal", rc, ll_strerror(rc));
    } else {
        const lotledger_Pending *pick = NULL;
        size_t found = 0;
        size_t same = 0; /* of those, with the received quantity */
        for (size_t i = 0; i < st->pending_count; i++) {
            const lotledger_Pending *p = &st->pending[i];
            if (strcmp(p->to, ev->org) != 0)
                continue;
            found++;
            if (p->quantity == ev->lots[0].quantity) {
                same++;
                pick = p;
            } else if (same == 0) {
                pick = p;
            }
        }
        if (pick == NULL) {
            (void)snprintf(d, sizeof(d),
                           "lot %s: no committed shipment to %s is pending",
                           ev->lots[0].lot, ev->org);
            rc = LL_ENOSHIPMENT;
            reply_error(c, 422, "custody_rule", rc, d);
        } else if (found > 1 && same != 1) {
            (void)snprintf(d, sizeof(d),
                           "lot %s: %zu shipments to %s are pending; name one "
                           "with the lotledger:ref extension",
                           ev->lots[0].lot, found, ev->org);
            rc = LL_ENOSHIPMENT;
            reply_error(c, 409, "ambiguous_shipment", rc, d);
        } else {
            memcpy(ev->ref.bytes, pick->ship.bytes, 32);
            ev->ref.size = 32;
        }
    }
    ll_ledger_snap_close(s);
    ll_free(st);
    return rc;
}

/* POST /v1/capture: an EPCIS 2.0 event, signed with the org's key. */
static void post_capture(struct node *n, struct ll_http_conn *c,
                         const struct ll_http_req *r)
{
    static const char bearer[] = "Bearer ";
    const char *token = n->cfg->capture_token;
    size_t tl = strlen(token);
    const char *auth = r->authorization;
    if (tl == 0) {
        reply_error(c, 403, "capture_disabled", 0,
                    "this node has no capture_token configured");
        return;
    }
    if (strncmp(auth, bearer, sizeof(bearer) - 1) != 0 ||
        strlen(auth + sizeof(bearer) - 1) != tl ||
        !ll_crypto_memeq(auth + sizeof(bearer) - 1, token, tl)) {
        n->rejected[(unsigned)-LL_EAUTH & 63]++;
        reply_error(c, 401, "unauthorized", LL_EAUTH,
                    "send Authorization: Bearer <capture_token>");
        return;
    }
    if (strcmp(r->content_type, "application/json") != 0 &&
        strcmp(r->content_type, "application/ld+json") != 0) {
        reply_error(c, 415, "unsupported_media_type", 0,
                    "send an EPCIS 2.0 event as application/json or "
                    "application/ld+json");
        return;
    }
    int wait = wait_param(c, r);
    if (wait < 0)
        return;
    if (n->stopping) {
        reply_error(c, 503, "stopping", 0, "the node is shutting down");
        return;
    }
    uint8_t kid[LL_KEYID_LEN];
    ll_keyid(kid, n->key.pk);
    struct ll_epcis_ctx ctx = {n->g, n->cfg->org, kid};
    struct ll_errmsg e = {{0}};
    struct ll_buf b;
    uint8_t id[32];
    lotledger_Event *ev = ll_malloc(sizeof(*ev));
    ll_buf_init(&b, LL_EVENT_MAX_BYTES);
    int rc = ev == NULL ? LL_ENOMEM : 0;
    if (rc == 0)
        rc =
            ll_epcis_to_event(ev, (const char *)r->body, r->body_len, &ctx, &e);
    if (rc) {
        n->rejected[(unsigned)-rc & 63]++;
        reply_error(c, rc == LL_ENOMEM ? 503 : 400, "bad_epcis", rc,
                    e.text[0] ? e.text : ll_strerror(rc));
    } else if (ev->type == lotledger_EventType_RECEIVE && ev->ref.size == 0 &&
               (rc = resolve_receive(n, c, ev)) != 0) {
        n->rejected[(unsigned)-rc & 63]++;
    } else if ((rc = ll_event_check(ev, n->g->chain_id, &e)) != 0) {
        n->rejected[(unsigned)-rc & 63]++;
        reply_error(c, 400, "bad_event", rc, e.text);
    } else if ((rc = ll_event_sign(&b, id, ev, &n->key)) != 0) {
        reply_error(c, 500, "internal", rc, "cannot sign the event");
    } else {
        admit(n, c, b.data, b.len, true, wait == 1);
    }
    ll_buf_free(&b);
    ll_free(ev);
}

static void post_event(struct node *n, struct ll_http_conn *c,
                       const struct ll_http_req *r)
{
    bool json = strcmp(r->content_type, "application/json") == 0;
    if (!json && strcmp(r->content_type, "application/x-protobuf") != 0 &&
        strcmp(r->content_type, "application/octet-stream") != 0) {
        reply_error(c, 415, "unsupported_media_type", 0,
                    "send the SignedEvent as application/x-protobuf bytes or "
                    "as application/json (docs/api.md)");
        return;
    }
    int q = wait_param(c, r);
    if (q < 0)
        return;
    if (n->stopping) {
        reply_error(c, 503, "stopping", 0, "the node is shutting down");
        return;
    }
    struct submit *s = ll_malloc(sizeof(*s) + r->body_len);
    if (s == NULL) {
        reply_error(c, 503, "busy", LL_ENOMEM, "out of memory; retry");
        return;
    }
    memset(s, 0, sizeof(*s));
    s->req.data = s;
    s->n = n;
    s->conn = c;
    s->wait = q == 1;
    s->json = json;
    struct ll_ledger_tip tip;
    ll_ledger_tip(n->l, &tip);
    s->height = tip.height + 1;
    ll_buf_init(&s->pb, LL_EVENT_MAX_BYTES);
    s->len = r->body_len;
    if (r->body_len > 0)
        memcpy(s->bytes, r->body, r->body_len);
    if (uv_queue_work(&n->loop, &s->req, verify_work, after_verify) != 0) {
        submit_free(s);
        reply_error(c, 503, "busy", 0, "cannot queue the event; retry");
    }
}

static void get_status(struct node *n, struct ll_http_conn *c)
{
    uint64_t failures = ll_alloc_failures(); /* see reply_built */
    struct ll_ledger_tip tip;
    char t[40] = "";
    ll_ledger_tip(n->l, &tip);
    if (ll_time_format(t, sizeof(t), tip.time_ms, 0) != 0)
        t[0] = '\0';
    json_t *j = json_object();
    (void)json_object_set_new(j, "chain_id", json_string(n->g->chain_id));
    (void)json_object_set_new(j, "genesis", hex_json(n->g->hash, 32));
    (void)json_object_set_new(j, "height",
                              json_integer((json_int_t)tip.height));
    (void)json_object_set_new(j, "tip", hex_json(tip.hash, 32));
    (void)json_object_set_new(j, "state_root", hex_json(tip.state_root, 32));
    (void)json_object_set_new(j, "time", json_string(t));
    (void)json_object_set_new(j, "org", json_string(n->cfg->org));
    (void)json_object_set_new(j, "validator", json_boolean(n->validator));
    (void)json_object_set_new(
        j, "pending",
        json_integer(n->open ? (json_int_t)ll_block_count(n->open) : 0));
    reply_built(c, j, failures);
}

static json_t *lot_json(const lotledger_LotState *st)
{
    static const char *const status[] = {"active", "held", "recalled"};
    json_t *j = json_object();
    json_t *h = json_array();
    json_t *p = json_array();
    (void)json_object_set_new(j, "lot", json_string(st->lot));
    (void)json_object_set_new(j, "originator", json_string(st->originator));
    (void)json_object_set_new(
        j, "status",
        json_string((unsigned)st->status < 3 ? status[st->status] : "?"));
    if (st->status_by[0] != '\0')
        (void)json_object_set_new(j, "status_by", json_string(st->status_by));
    (void)json_object_set_new(j, "uom", json_string(st->uom));
    (void)json_object_set_new(j, "events",
                              json_integer((json_int_t)st->events));
    (void)json_object_set_new(j, "log_root",
                              hex_json(st->log_root.bytes, st->log_root.size));
    for (size_t i = 0; i < st->holdings_count; i++) {
        json_t *o = json_object();
        (void)json_object_set_new(o, "org", json_string(st->holdings[i].org));
        (void)json_object_set_new(
            o, "quantity", json_integer((json_int_t)st->holdings[i].quantity));
        (void)json_array_append_new(h, o);
    }
    (void)json_object_set_new(j, "holdings", h);
    for (size_t i = 0; i < st->pending_count; i++) {
        const lotledger_Pending *pe = &st->pending[i];
        json_t *o = json_object();
        (void)json_object_set_new(o, "ship",
                                  hex_json(pe->ship.bytes, pe->ship.size));
        (void)json_object_set_new(o, "from", json_string(pe->from));
        (void)json_object_set_new(o, "to", json_string(pe->to));
        (void)json_object_set_new(o, "quantity",
                                  json_integer((json_int_t)pe->quantity));
        (void)json_array_append_new(p, o);
    }
    (void)json_object_set_new(j, "pending", p);
    (void)json_object_set_new(j, "discrepancies",
                              json_integer((json_int_t)st->discrepancies));
    (void)json_object_set_new(j, "created_height",
                              json_integer((json_int_t)st->created_height));
    if (st->has_master && st->master.product[0] != '\0')
        (void)json_object_set_new(j, "product",
                                  json_string(st->master.product));
    json_t *pa = json_array();
    for (size_t i = 0; i < st->parties_count; i++) {
        json_t *o = json_object();
        (void)json_object_set_new(o, "org", json_string(st->parties[i].org));
        (void)json_object_set_new(o, "held", json_boolean(st->parties[i].held));
        (void)json_object_set_new(o, "notes",
                                  json_integer(st->parties[i].notes));
        (void)json_array_append_new(pa, o);
    }
    (void)json_object_set_new(j, "parties", pa);
    return j;
}

static void get_lot(struct node *n, struct ll_http_conn *c, const char *lot)
{
    uint64_t failures = ll_alloc_failures(); /* see reply_built */
    struct ll_ledger_snap *s = NULL;
    lotledger_LotState *st = ll_malloc(sizeof(*st));
    struct ll_errmsg e = {{0}};
    if (st == NULL || ll_ledger_snap_open(n->l, &s) != 0) {
        reply_error(c, 500, "internal", LL_ENOMEM, "out of memory");
        ll_free(st);
        return;
    }
    int rc = ll_lotid_check(lot, &e);
    if (rc) {
        reply_error(c, 400, "bad_lot_id", rc, e.text);
    } else if ((rc = ll_ledger_lot(s, lot, st)) == LL_ENOTFOUND) {
        reply_error(c, 404, "not_found", rc, "no such lot on this ledger");
    } else if (rc) {
        reply_error(c, 500, "internal", rc, ll_strerror(rc));
    } else {
        reply_built(c, lot_json(st), failures);
    }
    ll_ledger_snap_close(s);
    ll_free(st);
}

/* The trace query (direction, depth, format); false after a 400. */
static bool trace_query(struct ll_http_conn *c, const struct ll_http_req *r,
                        enum ll_trace_dir *td, unsigned long *depth,
                        char format[8])
{
    static const char *const params[] = {"direction", "depth", "format", NULL};
    char dir[16] = "backward";
    char depth_s[8] = "";
    char bad[80];
    char d[200];
    if (ll_http_query_check(r->query, params, bad, sizeof(bad)) != 0) {
        (void)snprintf(d, sizeof(d), "unknown query parameter '%s'", bad);
        reply_error(c, 400, "bad_query", LL_EINVAL, d);
        return false;
    }
    if (ll_http_query_get(r->query, "direction", dir, sizeof(dir)) < 0 ||
        ll_trace_dir_parse(td, dir) != 0) {
        reply_error(c, 400, "bad_query", LL_EINVAL,
                    "direction: backward or forward");
        return false;
    }
    int q = ll_http_query_get(r->query, "depth", depth_s, sizeof(depth_s));
    char *end = depth_s;
    if (q == 1)
        *depth = strtoul(depth_s, &end, 10);
    if (q < 0 || (q == 1 && (depth_s[0] < '0' || depth_s[0] > '9' ||
                             *end != '\0' || *depth > LL_TRACE_MAX_DEPTH))) {
        (void)snprintf(d, sizeof(d), "depth: a number from 0 to %u",
                       (unsigned)LL_TRACE_MAX_DEPTH);
        reply_error(c, 400, "bad_query", LL_EINVAL, d);
        return false;
    }
    if (ll_http_query_get(r->query, "format", format, 8) < 0 ||
        (strcmp(format, "json") != 0 && strcmp(format, "dot") != 0)) {
        reply_error(c, 400, "bad_query", LL_EINVAL, "format: json or dot");
        return false;
    }
    return true;
}

/* ---- heavy reads on the thread pool --------------------------------------
 */

enum read_kind { READ_TRACE, READ_PROOF, READ_PAGE, READ_LOG };

/* GET /v1/lots/{lot}/log: events per page (default and most). */
#define LOG_PAGE_MAX 1000

/*
 * One trace, proof or consumer page. The loop fills the question and opens
 * a detached snapshot; the worker owns the job until after_read, reading
 * only the job, the snapshot and the (immutable) genesis.
 */
struct read_job {
    uv_work_t req;             /* req.data = this */
    struct node *n;            /* the worker reads only n->g */
    struct ll_http_conn *conn; /* answered in after_read */
    enum read_kind kind;
    char lot[LL_LOTID_MAX + 1];
    enum ll_trace_dir dir;
    uint32_t depth;
    bool dot;                 /* trace: format=dot */
    bool as_json;             /* page: the JSON form */
    uint64_t after;           /* log: the first position asked for */
    uint64_t limit;           /* log: events asked for, 1..LOG_PAGE_MAX */
    struct ll_ledger_snap *s; /* owned; detached */
    struct page_check check;  /* page: the cached check (in), then the one
                                 used (out) */
    bool checked;             /* page: the worker ran the check */
    int rc;                   /* the answer */
    struct ll_errmsg e;
    struct ll_buf out; /* the body */
};

static void page_job(struct read_job *j);
static void log_job(struct read_job *j);

/* Thread pool: build the answer into j->out. */
static void read_work(uv_work_t *req)
{
    struct read_job *j = req->data;
    struct ll_trace *t = NULL;
    if (j->kind == READ_PAGE) {
        page_job(j);
        return;
    }
    if (j->kind == READ_LOG) {
        log_job(j);
        return;
    }
    j->rc = ll_trace_build(j->s, j->lot, j->dir, j->depth, &t, &j->e);
    if (j->rc == 0 && j->kind == READ_PROOF)
        j->rc = ll_proof_build(j->s, t, &j->out, &j->e);
    else if (j->rc == 0)
        j->rc = j->dot ? ll_trace_dot(t, &j->out) : ll_trace_json(t, &j->out);
    ll_trace_free(t);
}

static void reply_page(struct ll_http_conn *c, int status, const char *title,
                       const char *detail);
static size_t page_slot(const char *lot);

static void reply_trace(struct read_job *j)
{
    struct ll_http_conn *c = j->conn;
    int rc = j->rc;
    const char *why = j->e.text[0] ? j->e.text : ll_strerror(rc);
    if (rc == LL_ENOTFOUND)
        reply_error(c, 404, "not_found", rc, j->e.text);
    else if (rc == LL_EINVAL)
        reply_error(c, 400, "bad_lot_id", rc, j->e.text);
    else if (rc == LL_ERANGE)
        reply_error(c, 400, "bad_query", rc, why);
    else if (rc == LL_ETOOBIG)
        reply_error(c, 413, "trace_too_large", rc, why);
    else if (rc)
        reply_error(c, 500, "internal", rc, why);
    else
        ll_http_respond(c, 200,
                        j->kind == READ_PROOF ? "application/x-protobuf"
                        : j->dot              ? "text/vnd.graphviz"
                                              : "application/json",
                        j->out.data != NULL ? (const void *)j->out.data : "",
                        j->out.len);
}

static void reply_page_job(struct read_job *j)
{
    struct ll_http_conn *c = j->conn;
    int rc = j->rc;
    if (rc == LL_ENOTFOUND && !j->as_json)
        reply_page(c, 404, "Unknown lot",
                   "This lot is not on this ledger. Check the code, or ask "
                   "the shop where you bought it.");
    else if (rc == LL_ENOTFOUND)
        reply_error(c, 404, "not_found", rc, "no such lot on this ledger");
    else if (rc)
        reply_error(c, 500, "internal", rc, ll_strerror(rc));
    else
        ll_http_respond(c, 200,
                        j->as_json ? "application/json"
                                   : "text/html; charset=utf-8",
                        j->out.data, j->out.len);
}

static void read_free(struct read_job *j)
{
    ll_ledger_snap_close(j->s);
    ll_buf_free(&j->out);
    ll_free(j);
}

/* Loop thread: keep the page's check, answer, free the job. */
static void after_read(uv_work_t *req, int status)
{
    struct read_job *j = req->data;
    struct node *n = j->n;
    (void)status;
    n->reads--;
    if (j->kind == READ_PAGE && j->checked) {
        n->pchecks[page_slot(j->lot)] = j->check;
        n->page_checks++;
    }
    if (j->kind == READ_PAGE)
        reply_page_job(j);
    else
        reply_trace(j);
    read_free(j);
}

/* Too many reads in flight: 503 (an HTML page for a consumer page). */
static void reply_read_busy(struct ll_http_conn *c, bool html)
{
    static const char detail[] =
        "the node is answering as many traces, proofs and pages as it "
        "runs at once; retry in a second";
    if (html) {
        reply_page(c, 503, "Busy, try again in a moment", detail);
        return;
    }
    json_t *j = json_object();
    (void)json_object_set_new(j, "error", json_string("busy"));
    (void)json_object_set_new(j, "detail", json_string(detail));
    (void)json_object_set_new(j, "retry_after", json_integer(READ_RETRY_AFTER));
    reply_json(c, 503, j);
}

/*
 * A job for lot on a detached snapshot of the tip, or NULL after a 503
 * (too many in flight, or out of memory). Loop thread.
 */
static struct read_job *read_new(struct node *n, struct ll_http_conn *c,
                                 enum read_kind kind, const char *lot)
{
    bool html = kind == READ_PAGE;
    if (n->reads >= READ_JOBS) {
        n->reads_busy++;
        reply_read_busy(c, html);
        return NULL;
    }
    struct read_job *j = ll_calloc(1, sizeof(*j));
    if (j == NULL || ll_ledger_snap_open(n->l, &j->s) != 0) {
        ll_free(j);
        reply_error(c, 503, "busy", LL_ENOMEM, "out of memory; retry");
        return NULL;
    }
    ll_ledger_snap_detach(j->s);
    j->req.data = j;
    j->n = n;
    j->conn = c;
    j->kind = kind;
    (void)snprintf(j->lot, sizeof(j->lot), "%s", lot);
    ll_buf_init(&j->out, kind == READ_PAGE    ? (size_t)4 << 20
                         : kind == READ_PROOF ? LL_PROOF_MAX_BYTES
                                              : (size_t)256 << 20);
    return j;
}

/* Hand j to the thread pool (it answers), or answer 503 and free it. */
static void read_start(struct node *n, struct read_job *j)
{
    if (uv_queue_work(&n->loop, &j->req, read_work, after_read) != 0) {
        reply_error(j->conn, 503, "busy", 0, "cannot queue the read; retry");
        read_free(j);
        return;
    }
    n->reads++;
}

/*
 * GET /v1/lots/{lot}/trace?direction=backward|forward&depth=N&format=, and
 * GET /v1/lots/{lot}/proof (the same trace as a proof bundle).
 */
static void get_trace(struct node *n, struct ll_http_conn *c,
                      const struct ll_http_req *r, const char *lotp,
                      size_t lotlen, bool proof)
{
    char lot[LL_LOTID_MAX + 1];
    char format[8] = "json";
    enum ll_trace_dir td = LL_TRACE_BACKWARD;
    unsigned long depth = LL_TRACE_DEFAULT_DEPTH;
    if (lotlen > LL_LOTID_MAX) {
        reply_error(c, 400, "bad_lot_id", LL_EINVAL, "lot id too long");
        return;
    }
    memcpy(lot, lotp, lotlen);
    lot[lotlen] = '\0';
    if (!trace_query(c, r, &td, &depth, format))
        return;
    struct read_job *j = read_new(n, c, proof ? READ_PROOF : READ_TRACE, lot);
    if (j == NULL)
        return;
    j->dir = td;
    j->depth = (uint32_t)depth;
    j->dot = format[0] == 'd';
    read_start(n, j);
}

/* ---- a lot's log, page by page ------------------------------------------- */

/* The positions of a lot's log, in order (ll_ledger_lot_events). */
struct log_walk {
    struct ll_ledger_pos *pos; /* n entries */
    uint64_t n;
    uint64_t cap;
};

static int log_walk_cb(void *arg, uint64_t seq, uint64_t height, uint32_t index)
{
    struct log_walk *w = arg;
    if (seq != w->n || seq >= w->cap)
        return LL_ECORRUPT; /* more entries than the state's count */
    w->pos[w->n].height = height;
    w->pos[w->n].index = index;
    w->n++;
    return 0;
}

/* Read events [first, first + count) of w (bytes into scratch); their
 * leaves go to leaves, the page's JSON forms (if page) to page. */
static int log_read(const struct read_job *j, const struct log_walk *w,
                    uint64_t first, size_t count, uint8_t (*leaves)[32],
                    json_t *page, struct ll_buf *scratch)
{
    size_t lens[256];
    struct ll_signed_event *se = ll_malloc(sizeof(*se));
    int rc = se == NULL ? LL_ENOMEM : 0;
    ll_buf_reset(scratch);
    if (rc == 0)
        rc = ll_ledger_events_at(j->s, w->pos + first, count, scratch, lens);
    size_t off = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const struct ll_ledger_pos *p = &w->pos[first + i];
        rc = ll_signed_event_decode(se, scratch->data + off, lens[i], NULL);
        off += lens[i];
        if (rc) {
            rc = LL_ECORRUPT;
            break;
        }
        ll_lot_leaf(leaves[first + i], p->height, p->index, se->id);
        if (page == NULL || first + i < j->after ||
            first + i >= j->after + j->limit)
            continue;
        json_t *o = json_object();
        json_t *x = ll_signed_event_to_json(se);
        if (o == NULL || x == NULL) {
            json_decref(o);
            json_decref(x);
            rc = LL_ENOMEM;
            break;
        }
        (void)json_object_set_new(
            o, "seq", json_integer((json_int_t)first + (json_int_t)i));
        (void)json_object_set_new(o, "height",
                                  json_integer((json_int_t)p->height));
        (void)json_object_set_new(o, "index", json_integer(p->index));
        (void)json_object_set_new(o, "signed_event", x);
        (void)json_array_append_new(page, o);
    }
    ll_free(se);
    return rc;
}

/* Bytes as a JSON hex string (any length), or NULL. */
static json_t *hex_bytes(const uint8_t *p, size_t n)
{
    size_t cap = 2 * n + 1;
    char *hex = ll_malloc(cap);
    json_t *j = NULL;
    if (hex != NULL && ll_hex_encode(hex, cap, p, n) == 0)
        j = json_string(hex);
    ll_free(hex);
    return j;
}

/*
 * What binds the page's log root to a committed block: the lot's
 * committed state bytes, their compact state proof against the block's
 * state root (proof-format.md section 4), the block's header and commit.
 */
static int log_binding(const struct read_job *j, json_t *o)
{
    struct ll_buf st;
    struct ll_buf sp;
    struct ll_buf bits;
    struct ll_buf hashes;
    struct ll_header h;
    struct ll_commit *cm = ll_malloc(sizeof(*cm));
    uint8_t hb[LL_HEADER_LEN];
    uint8_t cb[LL_COMMIT_MAX];
    uint8_t key[32];
    struct ll_ledger_tip tip;
    ll_ledger_snap_tip(j->s, &tip);
    ll_lot_key(key, j->lot);
    ll_buf_init(&st, LL_EVENT_MAX_BYTES);
    ll_buf_init(&sp, LL_PROOF_MAX_BYTES);
    ll_buf_init(&bits, LL_PROOF_MAX_BYTES);
    ll_buf_init(&hashes, LL_PROOF_MAX_BYTES);
    int rc = cm == NULL ? LL_ENOMEM : ll_ledger_lot_bytes(j->s, j->lot, &st);
    if (rc == 0)
        rc = ll_ledger_state_proof(j->s, key, 1, &sp);
    if (rc == 0)
        rc = ll_smt_proof_compact(&bits, &hashes, key, 1, sp.data, sp.len);
    if (rc == 0)
        rc = ll_ledger_block(j->s, tip.height, &h, cm);
    size_t cl = rc == 0 ? ll_commit_encode(cb, sizeof(cb), cm) : 0;
    if (rc == 0 && cl == 0)
        rc = LL_ECORRUPT;
    if (rc == 0) {
        ll_header_encode(hb, &h);
        (void)json_object_set_new(o, "state", hex_bytes(st.data, st.len));
        (void)json_object_set_new(o, "state_bits",
                                  hex_bytes(bits.data, bits.len));
        (void)json_object_set_new(o, "state_hashes",
                                  hex_bytes(hashes.data, hashes.len));
        (void)json_object_set_new(o, "header", hex_bytes(hb, sizeof(hb)));
        (void)json_object_set_new(o, "commit", hex_bytes(cb, cl));
    }
    ll_buf_free(&st);
    ll_buf_free(&sp);
    ll_buf_free(&bits);
    ll_buf_free(&hashes);
    ll_free(cm);
    return rc;
}

/*
 * Every leaf of the lot's log (st: its committed state) into *leaves
 * (heap, w->n of them), the page's events into page; the leaves must give
 * the committed log root.
 */
static int log_leaves(const struct read_job *j, const lotledger_LotState *st,
                      struct log_walk *w, uint8_t (**leaves)[32], json_t *page)
{
    struct ll_buf scratch;
    uint8_t root[32];
    if (st->events > SIZE_MAX / 64)
        return LL_ETOOBIG;
    w->cap = st->events;
    w->pos = ll_calloc(st->events + 1, sizeof(*w->pos));
    *leaves = ll_calloc(st->events + 1, 32);
    int rc = w->pos == NULL || *leaves == NULL ? LL_ENOMEM : 0;
    ll_buf_init(&scratch, (size_t)64 << 20);
    if (rc == 0)
        rc = ll_ledger_lot_events(j->s, j->lot, log_walk_cb, w);
    if (rc == 0 && w->n != st->events)
        rc = LL_ECORRUPT;
    for (uint64_t i = 0; rc == 0 && i < w->n; i += 256) {
        size_t count = w->n - i < 256 ? (size_t)(w->n - i) : 256;
        rc = log_read(j, w, i, count, *leaves, page, &scratch);
    }
    ll_buf_free(&scratch);
    if (rc == 0)
        rc = ll_merkle_root(root, (const uint8_t(*)[32]) * leaves, w->n);
    if (rc == 0 &&
        (st->log_root.size != 32 || memcmp(root, st->log_root.bytes, 32) != 0))
        rc = LL_ECORRUPT;
    return rc;
}

/* The page's JSON answer into j->out (docs/api.md). */
static int log_answer(struct read_job *j, const lotledger_LotState *st,
                      json_t *page, const uint8_t (*proof)[32], size_t np,
                      uint64_t end)
{
    struct ll_ledger_tip tip;
    json_t *o = json_object();
    json_t *pa = json_array();
    if (o == NULL || pa == NULL) {
        json_decref(o);
        json_decref(pa);
        return LL_ENOMEM;
    }
    ll_ledger_snap_tip(j->s, &tip);
    for (size_t i = 0; i < np; i++)
        (void)json_array_append_new(pa, hex_json(proof[i], 32));
    (void)json_object_set_new(o, "lot", json_string(j->lot));
    (void)json_object_set_new(o, "height",
                              json_integer((json_int_t)tip.height));
    (void)json_object_set_new(o, "block", hex_json(tip.hash, 32));
    (void)json_object_set_new(o, "state_root", hex_json(tip.state_root, 32));
    (void)json_object_set_new(o, "log_size",
                              json_integer((json_int_t)st->events));
    (void)json_object_set_new(o, "log_root", hex_json(st->log_root.bytes, 32));
    (void)json_object_set_new(o, "after", json_integer((json_int_t)j->after));
    (void)json_object_set_new(o, "next",
                              end < st->events ? json_integer((json_int_t)end)
                                               : json_null());
    (void)json_object_set(o, "events", page);
    (void)json_object_set_new(o, "proof", pa);
    int rc = log_binding(j, o);
    if (rc == 0) {
        size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
        size_t need = json_dumpb(o, NULL, 0, flags);
        char *text = need > 0 ? ll_malloc(need) : NULL;
        rc = text == NULL || json_dumpb(o, text, need, flags) != need
                 ? LL_ENOMEM
                 : ll_buf_append(&j->out, text, need);
        ll_free(text);
    }
    json_decref(o);
    return rc;
}

/*
 * Thread pool: events [after, after + limit) of the lot's log as JSON,
 * with the range proof of their log leaves against the lot's committed
 * log root (docs/api.md, "A lot's log, page by page"). Every event of the
 * log is read to rebuild the leaves outside the page, and the whole log
 * must give the committed root.
 */
static void log_job(struct read_job *j)
{
    lotledger_LotState *st = ll_malloc(sizeof(*st));
    struct log_walk w = {NULL, 0, 0};
    uint8_t(*leaves)[32] = NULL;
    uint8_t(*proof)[32] = ll_malloc((size_t)LL_MERKLE_MAX_RANGE * 32);
    json_t *page = json_array();
    int rc = st == NULL || proof == NULL || page == NULL
                 ? LL_ENOMEM
                 : ll_ledger_lot(j->s, j->lot, st);
    if (rc == LL_ENOTFOUND)
        (void)ll_errmsg_set(&j->e, rc, "no such lot on this ledger");
    if (rc == 0 && j->after > st->events)
        rc = ll_errmsg_set(&j->e, LL_ERANGE,
                           "after: the lot's log has %llu events",
                           (unsigned long long)st->events);
    if (rc == 0)
        rc = log_leaves(j, st, &w, &leaves, page);
    if (rc == LL_ECORRUPT)
        (void)ll_errmsg_set(&j->e, rc,
                            "lot %s: its stored log does not give its log "
                            "root",
                            j->lot);
    uint64_t end = 0;
    size_t np = 0;
    if (rc == 0) {
        end = j->after + j->limit < w.n ? j->after + j->limit : w.n;
        if (end > j->after)
            rc = ll_merkle_range_prove(proof, &np, (const uint8_t(*)[32])leaves,
                                       w.n, j->after, end);
    }
    if (rc == 0)
        rc = log_answer(j, st, page, (const uint8_t(*)[32])proof, np, end);
    json_decref(page);
    ll_free(w.pos);
    ll_free(leaves);
    ll_free(proof);
    ll_free(st);
    j->rc = rc;
}

/* A non-negative decimal query parameter at most max; false after a 400. */
static bool query_u64(struct ll_http_conn *c, const struct ll_http_req *r,
                      const char *name, uint64_t max, uint64_t *out)
{
    char v[24] = "";
    char d[120];
    int q = ll_http_query_get(r->query, name, v, sizeof(v));
    char *end = v;
    unsigned long long x = 0;
    if (q == 1 && v[0] >= '0' && v[0] <= '9') {
        errno = 0;
        x = strtoull(v, &end, 10);
    }
    if (q < 0 || (q == 1 && (v[0] < '0' || v[0] > '9' || *end != '\0' ||
                             errno != 0 || x > max))) {
        (void)snprintf(d, sizeof(d), "%s: a number from 0 to %llu", name,
                       (unsigned long long)max);
        reply_error(c, 400, "bad_query", LL_EINVAL, d);
        return false;
    }
    if (q == 1)
        *out = x;
    return true;
}

/* GET /v1/lots/{lot}/log?after=N&limit=M */
static void get_log(struct node *n, struct ll_http_conn *c,
                    const struct ll_http_req *r, const char *lotp,
                    size_t lotlen)
{
    static const char *const params[] = {"after", "limit", NULL};
    char lot[LL_LOTID_MAX + 1];
    char bad[80];
    char d[200];
    struct ll_errmsg e = {{0}};
    uint64_t after = 0;
    uint64_t limit = LOG_PAGE_MAX;
    if (lotlen > LL_LOTID_MAX) {
        reply_error(c, 400, "bad_lot_id", LL_EINVAL, "lot id too long");
        return;
    }
    memcpy(lot, lotp, lotlen);
    lot[lotlen] = '\0';
    if (ll_lotid_check(lot, &e) != 0) {
        reply_error(c, 400, "bad_lot_id", LL_EINVAL, e.text);
        return;
    }
    if (ll_http_query_check(r->query, params, bad, sizeof(bad)) != 0) {
        (void)snprintf(d, sizeof(d), "unknown query parameter '%s'", bad);
        reply_error(c, 400, "bad_query", LL_EINVAL, d);
        return;
    }
    if (!query_u64(c, r, "after", (uint64_t)1 << 48, &after) ||
        !query_u64(c, r, "limit", LOG_PAGE_MAX, &limit))
        return;
    if (limit == 0) {
        reply_error(c, 400, "bad_query", LL_EINVAL,
                    "limit: a number from 1 to 1000");
        return;
    }
    struct read_job *j = read_new(n, c, READ_LOG, lot);
    if (j == NULL)
        return;
    j->after = after;
    j->limit = limit;
    read_start(n, j);
}

static void get_event(struct node *n, struct ll_http_conn *c, const char *hex)
{
    uint64_t failures = ll_alloc_failures(); /* see reply_built */
    uint8_t id[32];
    if (ll_hex_decode(id, 32, hex, strlen(hex)) != 0) {
        reply_error(c, 400, "bad_event_id", LL_EDECODE,
                    "an event id is 64 hex digits");
        return;
    }
    struct ll_ledger_snap *s = NULL;
    struct ll_buf b;
    struct ll_signed_event *se = ll_malloc(sizeof(*se));
    ll_buf_init(&b, LL_EVENT_MAX_BYTES);
    uint64_t height = 0;
    uint32_t index = 0;
    int rc = se == NULL ? LL_ENOMEM : ll_ledger_snap_open(n->l, &s);
    if (rc == 0)
        rc = ll_ledger_event(s, id, &b, &height, &index);
    if (rc == 0)
        rc = ll_signed_event_decode(se, b.data, b.len, NULL);
    if (rc == LL_ENOTFOUND) {
        reply_error(c, 404, "not_found", rc, "no such event on this ledger");
    } else if (rc) {
        reply_error(c, 500, "internal", rc, ll_strerror(rc));
    } else {
        char t[40] = "";
        if (ll_time_format(t, sizeof(t), se->ev.event_time, se->ev.tz_offset) !=
            0)
            t[0] = '\0';
        json_t *j = json_object();
        json_t *lots = json_array();
        (void)json_object_set_new(j, "id", hex_json(id, 32));
        (void)json_object_set_new(j, "height",
                                  json_integer((json_int_t)height));
        (void)json_object_set_new(j, "index", json_integer(index));
        (void)json_object_set_new(j, "type",
                                  json_string(ll_event_type_name(se->ev.type)));
        (void)json_object_set_new(j, "org", json_string(se->ev.org));
        (void)json_object_set_new(j, "event_time", json_string(t));
        for (size_t i = 0; i < se->ev.lots_count; i++) {
            json_t *o = json_object();
            (void)json_object_set_new(o, "lot",
                                      json_string(se->ev.lots[i].lot));
            (void)json_object_set_new(
                o, "quantity",
                json_integer((json_int_t)se->ev.lots[i].quantity));
            (void)json_object_set_new(o, "uom",
                                      json_string(se->ev.lots[i].uom));
            (void)json_array_append_new(lots, o);
        }
        (void)json_object_set_new(j, "lots", lots);
        (void)json_object_set_new(j, "event", ll_event_to_json(&se->ev));
        (void)json_object_set_new(j, "sig", hex_json(se->sig, LL_SIG_LEN));
        size_t blen = ll_base64_encoded_len(b.len);
        char *b64 = ll_malloc(blen);
        if (b64 != NULL && ll_base64_encode(b64, blen, b.data, b.len) == 0)
            (void)json_object_set_new(j, "signed_event", json_string(b64));
        ll_free(b64);
        reply_built(c, j, failures);
    }
    ll_ledger_snap_close(s);
    ll_buf_free(&b);
    ll_free(se);
}

static void get_metrics(struct node *n, struct ll_http_conn *c)
{
    struct ll_buf b;
    struct ll_ledger_tip tip;
    struct ll_http_stats hs;
    memset(&hs, 0, sizeof(hs));
    ll_buf_init(&b, 1 << 16);
    ll_ledger_tip(n->l, &tip);
    if (n->http != NULL)
        ll_http_stats(n->http, &hs);
    int rc = ll_buf_printf(
        &b,
        "# HELP lotledger_block_height Height of the last committed block.\n"
        "# TYPE lotledger_block_height gauge\nlotledger_block_height %llu\n"
        "# HELP lotledger_mempool_events Events accepted into the next block.\n"
        "# TYPE lotledger_mempool_events gauge\nlotledger_mempool_events %zu\n"
        "# HELP lotledger_events_accepted_total Events that passed the custody "
        "rules.\n"
        "# TYPE lotledger_events_accepted_total counter\n"
        "lotledger_events_accepted_total %llu\n"
        "# HELP lotledger_events_rejected_total Events refused, by error "
        "code.\n"
        "# TYPE lotledger_events_rejected_total counter\n",
        (unsigned long long)tip.height,
        n->open ? ll_block_count(n->open) : (size_t)0,
        (unsigned long long)n->accepted);
    for (unsigned i = 1; i < 64 && rc == 0; i++)
        if (n->rejected[i] != 0)
            rc = ll_buf_printf(&b,
                               "lotledger_events_rejected_total{reason=\"%s\"} "
                               "%llu\n",
                               ll_err_name(-(int)i),
                               (unsigned long long)n->rejected[i]);
    if (rc == 0)
        rc = ll_buf_printf(
            &b,
            "# HELP lotledger_commit_seconds Time from sealing a block to its "
            "synced write.\n"
            "# TYPE lotledger_commit_seconds histogram\n");
    for (size_t i = 0; i < COMMIT_BUCKETS && rc == 0; i++)
        rc = ll_buf_printf(
            &b, "lotledger_commit_seconds_bucket{le=\"%g\"} %llu\n",
            commit_bounds[i] / 1000.0, (unsigned long long)n->commit_hist[i]);
    if (rc == 0)
        rc = ll_buf_printf(
            &b,
            "lotledger_commit_seconds_bucket{le=\"+Inf\"} %llu\n"
            "lotledger_commit_seconds_sum %g\nlotledger_commit_seconds_count "
            "%llu\n# HELP lotledger_http_requests_total HTTP answers by status "
            "class.\n# TYPE lotledger_http_requests_total counter\n",
            (unsigned long long)n->commit_hist[COMMIT_BUCKETS],
            n->commit_ms_sum / 1000.0,
            (unsigned long long)n->commit_hist[COMMIT_BUCKETS]);
    for (int k = 1; k <= 5 && rc == 0; k++)
        rc = ll_buf_printf(&b,
                           "lotledger_http_requests_total{code=\"%dxx\"} "
                           "%llu\n",
                           k, (unsigned long long)hs.by_status[k]);
    if (rc == 0)
        rc = ll_buf_printf(
            &b,
            "# HELP lotledger_http_connections Open HTTP connections.\n"
            "# TYPE lotledger_http_connections gauge\n"
            "lotledger_http_connections %llu\n"
            "# HELP lotledger_http_rate_limited_total Requests refused with "
            "429.\n"
            "# TYPE lotledger_http_rate_limited_total counter\n"
            "lotledger_http_rate_limited_total %llu\n"
            "# HELP lotledger_http_timeouts_total Connections closed by a "
            "header, body or idle timeout.\n"
            "# TYPE lotledger_http_timeouts_total counter\n"
            "lotledger_http_timeouts_total %llu\n"
            "# HELP lotledger_http_evicted_total Idle or slow connections "
            "closed to make room for a new one.\n"
            "# TYPE lotledger_http_evicted_total counter\n"
            "lotledger_http_evicted_total %llu\n",
            (unsigned long long)hs.connections, (unsigned long long)n->limited,
            (unsigned long long)hs.timeouts, (unsigned long long)hs.evicted);
    if (rc == 0)
        rc = ll_buf_printf(
            &b,
            "# HELP lotledger_reads_in_flight Traces, proofs and pages on the "
            "thread pool.\n"
            "# TYPE lotledger_reads_in_flight gauge\n"
            "lotledger_reads_in_flight %zu\n"
            "# HELP lotledger_reads_busy_total Traces, proofs and pages "
            "refused with 503.\n"
            "# TYPE lotledger_reads_busy_total counter\n"
            "lotledger_reads_busy_total %llu\n"
            "# HELP lotledger_page_checks_total Proof checks run for consumer "
            "pages.\n"
            "# TYPE lotledger_page_checks_total counter\n"
            "lotledger_page_checks_total %llu\n",
            n->reads, (unsigned long long)n->reads_busy,
            (unsigned long long)n->page_checks);
    if (rc == 0)
        ll_http_respond(c, 200, "text/plain; version=0.0.4", b.data, b.len);
    else
        reply_error(c, 500, "internal", rc, "metrics too large");
    ll_buf_free(&b);
}

static void get_block(struct node *n, struct ll_http_conn *c, const char *hs)
{
    uint64_t failures = ll_alloc_failures(); /* see reply_built */
    uint64_t height = 0;
    for (const char *p = hs; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || height > UINT64_MAX / 10 - 10) {
            reply_error(c, 400, "bad_height", LL_EINVAL,
                        "a block height is a decimal number");
            return;
        }
        height = height * 10 + (uint64_t)(*p - '0');
    }
    struct ll_ledger_snap *s = NULL;
    struct ll_header h;
    struct ll_commit *cm = ll_malloc(sizeof(*cm));
    int rc = cm == NULL ? LL_ENOMEM : ll_ledger_snap_open(n->l, &s);
    if (rc == 0)
        rc = *hs == '\0' ? LL_ENOTFOUND : ll_ledger_block(s, height, &h, cm);
    if (rc == LL_ENOTFOUND) {
        reply_error(c, 404, "not_found", rc, "no block at that height");
    } else if (rc) {
        reply_error(c, 500, "internal", rc, ll_strerror(rc));
    } else {
        char t[40] = "";
        uint8_t hash[32];
        ll_header_hash(hash, &h);
        if (ll_time_format(t, sizeof(t), h.time_ms, 0) != 0)
            t[0] = '\0';
        json_t *j = json_object();
        (void)json_object_set_new(j, "height",
                                  json_integer((json_int_t)h.height));
        (void)json_object_set_new(j, "hash", hex_json(hash, 32));
        (void)json_object_set_new(j, "time", json_string(t));
        (void)json_object_set_new(j, "prev", hex_json(h.prev, 32));
        (void)json_object_set_new(j, "tx_root", hex_json(h.tx_root, 32));
        (void)json_object_set_new(j, "state_root", hex_json(h.state_root, 32));
        (void)json_object_set_new(j, "validator_set", hex_json(h.valset, 32));
        (void)json_object_set_new(j, "proposer", hex_json(h.proposer, 32));
        (void)json_object_set_new(j, "events", json_integer(h.n_events));
        (void)json_object_set_new(j, "signatures",
                                  json_integer((json_int_t)cm->n));
        reply_built(c, j, failures);
    }
    ll_ledger_snap_close(s);
    ll_free(cm);
}

/* Answer with a page (HTML) or its error page. */
static void reply_page(struct ll_http_conn *c, int status, const char *title,
                       const char *detail)
{
    struct ll_buf b;
    ll_buf_init(&b, 1 << 16);
    if (ll_page_error(&b, title, detail) == 0)
        ll_http_respond(c, status, "text/html; charset=utf-8", b.data, b.len);
    else
        reply_error(c, status, "bad_request", 0, detail);
    ll_buf_free(&b);
}

/* Decode every event of a trace for the page (heap; freed by the caller). */
static size_t page_events(const struct ll_trace *t, struct ll_page_event *pe,
                          struct ll_signed_event **se, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_events && n < max; i++) {
        se[n] = ll_malloc(sizeof(**se));
        if (se[n] == NULL)
            break;
        const struct ll_trace_event *x = &t->events[i];
        if (ll_signed_event_decode(se[n], t->bytes.data + x->off, x->len,
                                   NULL) != 0) {
            ll_free(se[n]);
            continue;
        }
        pe[n].ev = &se[n]->ev;
        n++;
    }
    return n;
}

#define PAGE_EVENTS 256

/* /v1/lots/{lot}/proof, the lot escaped as ll_lotid_url_escape does. */
static void page_proof_url(char *out, size_t cap, const char *lot)
{
    char esc[3 * LL_LOTID_MAX + 1];
    if (ll_lotid_url_escape(esc, sizeof(esc), lot) != 0)
        esc[0] = '\0';
    (void)snprintf(out, cap, "/v1/lots/%s/proof", esc);
}

/*
 * Origin: the organisation of the earliest commission in the lot's
 * history (a harvest or first production), with its country of origin.
 */
static void page_origin(struct ll_page *p, const lotledger_LotState *st,
                        const struct ll_page_event *pe, size_t n)
{
    const lotledger_Event *first = NULL;
    for (size_t i = 0; i < n; i++)
        if (pe[i].ev->type == lotledger_EventType_COMMISSION &&
            (first == NULL || pe[i].ev->event_time < first->event_time))
            first = pe[i].ev;
    p->origin_org = first != NULL ? first->org : st->originator;
    const char *cc = first != NULL && first->has_master ? first->master.country
                     : st->has_master                   ? st->master.country
                                                        : "";
    (void)snprintf(p->origin_country, sizeof(p->origin_country), "%s", cc);
}

static size_t page_slot(const char *lot)
{
    uint32_t h = 2166136261u;
    for (const char *q = lot; *q != '\0'; q++)
        h = (h ^ (uint8_t)*q) * 16777619u;
    return h % PAGE_CHECKS;
}

/* A hash of the committed states of every lot of trace t (their log roots
 * included): equal digests, equal traces. */
static void trace_digest(uint8_t out[static 32], const struct ll_trace *t)
{
    struct ll_sha256 h;
    ll_sha256_init(&h);
    for (size_t i = 0; i < t->n_lots; i++) {
        const struct ll_trace_lot *x = &t->lots[i];
        uint8_t len[4];
        ll_store_be32(len, (uint32_t)x->state_len);
        ll_sha256_update(&h, len, sizeof(len));
        ll_sha256_update(&h, t->bytes.data + x->state_off, x->state_len);
    }
    ll_sha256_final(&h, out);
}

/*
 * The page's proof check, unless j->check was made for the same trace
 * (then it is kept); sets j->checked when it ran.
 */
static void page_check_run(struct read_job *j, const struct ll_trace *t)
{
    uint8_t digest[32];
    trace_digest(digest, t);
    if (strcmp(j->check.lot, j->lot) == 0 &&
        memcmp(j->check.digest, digest, 32) == 0)
        return;
    /* Once per lot and trace: pages are read far more often. */
    struct ll_buf proof;
    struct ll_proof_report rep;
    struct ll_errmsg why = {{0}};
    ll_buf_init(&proof, LL_PROOF_MAX_BYTES);
    bool ok = ll_proof_build(j->s, t, &proof, &why) == 0 &&
              ll_proof_verify(j->n->g, proof.data, proof.len, &rep, &why) == 0;
    ll_buf_free(&proof);
    (void)snprintf(j->check.lot, sizeof(j->check.lot), "%s", j->lot);
    memcpy(j->check.digest, digest, 32);
    j->check.verified = ok && rep.unexpanded == 0;
    j->check.partial = ok && rep.unexpanded != 0;
    j->checked = true;
}

/*
 * Thread pool: the page's facts, from the job's snapshot, rendered into
 * j->out. A lot whose backward trace is over the trace limits still gets
 * its page: its state, no journey, not verified (the log pages serve its
 * history, docs/api.md).
 */
static void page_job(struct read_job *j)
{
    struct ll_trace *t = NULL;
    struct ll_page_event *pe = ll_calloc(PAGE_EVENTS, sizeof(*pe));
    struct ll_signed_event **se =
        ll_calloc(PAGE_EVENTS, sizeof(struct ll_signed_event *));
    lotledger_LotState *st = ll_malloc(sizeof(*st));
    size_t ne = 0;
    int rc = pe == NULL || se == NULL || st == NULL
                 ? LL_ENOMEM
                 : ll_trace_build(j->s, j->lot, LL_TRACE_BACKWARD,
                                  LL_TRACE_DEFAULT_DEPTH, &t, &j->e);
    if (rc == LL_ETOOBIG)
        rc = 0; /* t stays NULL */
    if (rc == 0)
        rc = ll_ledger_lot(j->s, j->lot, st);
    if (rc == 0) {
        struct ll_page p;
        struct ll_ledger_tip tip;
        memset(&p, 0, sizeof(p));
        ll_ledger_snap_tip(j->s, &tip);
        p.g = j->n->g;
        p.state = st;
        p.height = tip.height;
        p.truncated = true;
        if (t != NULL) {
            ne = page_events(t, pe, se, PAGE_EVENTS);
            p.truncated = ne < t->n_events;
            page_check_run(j, t);
            p.verified = j->check.verified;
            p.partial = j->check.partial;
        }
        page_origin(&p, st, pe, ne);
        p.events = pe;
        p.n_events = ne;
        page_proof_url(p.proof_url, sizeof(p.proof_url), j->lot);
        rc = ll_page_render(&j->out, &p, j->as_json);
    }
    for (size_t i = 0; i < ne; i++)
        ll_free(se[i]);
    ll_free(se);
    ll_free(pe);
    ll_free(st);
    ll_trace_free(t);
    j->rc = rc;
}

/*
 * GET /01/{gtin}/10/{lot}: the consumer page of a lot (GS1 Digital Link;
 * query parameters such as 17= or linkType are ignored).
 */
/*
 * The lot a Digital Link path names (/01/<GTIN>[/22/..]/10/<lot>[/21/..]
 * with an optional query, GS1 Digital Link syntax, every AI checked), or
 * why it names none.
 */
static const char *page_lot(const struct ll_http_req *r, char *lot, size_t cap,
                            struct ll_errmsg *e)
{
    static struct ll_gs1_msg m; /* loop thread only */
    char uri[2 * LL_HTTP_PATH_MAX + 32];
    int len = snprintf(uri, sizeof(uri), "https://node%s%s%s", r->raw_path,
                       r->query[0] ? "?" : "", r->query);
    if (len < 0 || (size_t)len >= sizeof(uri))
        return "the link is too long";
    if (ll_gs1_parse(&m, uri, (size_t)len, 0, e) != 0)
        return e->text;
    if (ll_gs1_lot_id(&m, lot, cap) != 0 || ll_lotid_check(lot, e) != 0)
        return "this link names a product but not a lot (no /10/<lot>)";
    return NULL;
}

static void get_page(struct node *n, struct ll_http_conn *c,
                     const struct ll_http_req *r)
{
    char lot[LL_LOTID_MAX + 1];
    struct ll_errmsg e = {{0}};
    bool as_json = strstr(r->accept, "application/json") != NULL;
    const char *why = page_lot(r, lot, sizeof(lot), &e);
    if (why != NULL && as_json) {
        reply_error(c, 400, "bad_lot_id", LL_EINVAL, why);
        return;
    }
    if (why != NULL) {
        reply_page(c, 400, "This code is not a valid product link", why);
        return;
    }
    struct read_job *j = read_new(n, c, READ_PAGE, lot);
    if (j == NULL)
        return;
    j->as_json = as_json;
    j->check = n->pchecks[page_slot(lot)];
    read_start(n, j);
}

/* ---- expiring stock (first expired, first out) ----------------------------
 */

struct expiring {
    const char *org;
    uint32_t until; /* YYYYMMDD: lots expiring on or before */
    json_t *lots;   /* array of candidates */
};

static uint32_t yyyymmdd(int64_t ms)
{
    char t[40];
    if (ll_time_format(t, sizeof(t), ms, 0) != 0)
        return 0;
    return (uint32_t)((t[0] - '0') * 10000000 + (t[1] - '0') * 1000000 +
                      (t[2] - '0') * 100000 + (t[3] - '0') * 10000 +
                      (t[5] - '0') * 1000 + (t[6] - '0') * 100 +
                      (t[8] - '0') * 10 + (t[9] - '0'));
}

static int expiring_cb(void *arg, const lotledger_LotState *st)
{
    struct expiring *x = arg;
    uint64_t held = ll_lot_held(st, x->org);
    uint32_t date = 0;
    if (st->has_master)
        date =
            st->master.expiry != 0 ? st->master.expiry : st->master.best_before;
    if (held == 0 || date == 0 || date > x->until)
        return 0;
    static const char *const status[] = {"active", "held", "recalled"};
    json_t *o = json_object();
    char d[16];
    (void)snprintf(d, sizeof(d), "%04u-%02u-%02u", date / 10000,
                   date / 100 % 100, date % 100);
    (void)json_object_set_new(o, "lot", json_string(st->lot));
    (void)json_object_set_new(o, "product", json_string(st->master.product));
    (void)json_object_set_new(o, "date", json_string(d));
    (void)json_object_set_new(
        o, "kind",
        json_string(st->master.expiry != 0 ? "expiry" : "best_before"));
    (void)json_object_set_new(o, "quantity",
                              json_integer(held > (uint64_t)INT64_MAX
                                               ? INT64_MAX
                                               : (json_int_t)held));
    (void)json_object_set_new(o, "uom", json_string(st->uom));
    (void)json_object_set_new(
        o, "status",
        json_string((unsigned)st->status < 3 ? status[st->status] : "?"));
    (void)json_array_append_new(x->lots, o);
    return 0;
}

static int by_date(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a;
    json_t *y = *(json_t *const *)b;
    const char *dx = json_string_value(json_object_get(x, "date"));
    const char *dy = json_string_value(json_object_get(y, "date"));
    const char *lx = json_string_value(json_object_get(x, "lot"));
    const char *ly = json_string_value(json_object_get(y, "lot"));
    int c = strcmp(dx != NULL ? dx : "", dy != NULL ? dy : "");
    return c != 0 ? c : strcmp(lx != NULL ? lx : "", ly != NULL ? ly : "");
}

/* GET /v1/orgs/{org}/expiring?within=DAYS: the org's dated stock, FEFO. */
static void get_expiring(struct node *n, struct ll_http_conn *c,
                         const struct ll_http_req *r, const char *org)
{
    uint64_t failures = ll_alloc_failures(); /* see reply_built */
    static const char *const params[] = {"within", NULL};
    char bad[80];
    char w[16] = "14";
    char *end = NULL;
    if (ll_genesis_org(n->g, org) == NULL) {
        reply_error(c, 404, "not_found", LL_EUNKNOWNORG,
                    "no such organisation in this network");
        return;
    }
    int q = ll_http_query_check(r->query, params, bad, sizeof(bad)) == 0
                ? ll_http_query_get(r->query, "within", w, sizeof(w))
                : -1;
    unsigned long days = strtoul(w, &end, 10);
    if (q < 0 || w[0] < '0' || w[0] > '9' ||
        (*end != '\0' && strcmp(end, "d") != 0) || days > 3650) {
        reply_error(c, 400, "bad_query", LL_EINVAL,
                    "within: a number of days, 0 to 3650 (e.g. 14 or 14d)");
        return;
    }
    uv_timeval64_t tv;
    int64_t now =
        uv_gettimeofday(&tv) == 0 ? tv.tv_sec * 1000 + tv.tv_usec / 1000 : 0;
    struct expiring x = {org, yyyymmdd(now + (int64_t)days * 86400000),
                         json_array()};
    struct ll_ledger_snap *s = NULL;
    int rc = ll_ledger_snap_open(n->l, &s);
    if (rc == 0)
        rc = ll_ledger_lots_scan(s, expiring_cb, &x);
    size_t k = json_array_size(x.lots);
    json_t **v = rc == 0 ? ll_calloc(k + 1, sizeof(json_t *)) : NULL;
    if (rc == 0 && v == NULL)
        rc = LL_ENOMEM;
    if (rc) {
        reply_error(c, 500, "internal", rc, ll_strerror(rc));
    } else {
        for (size_t i = 0; i < k; i++)
            v[i] = json_incref(json_array_get(x.lots, i));
        qsort(v, k, sizeof(json_t *), by_date);
        json_t *sorted = json_array();
        for (size_t i = 0; i < k; i++)
            (void)json_array_append_new(sorted, v[i]);
        char today[16];
        uint32_t d = yyyymmdd(now);
        (void)snprintf(today, sizeof(today), "%04u-%02u-%02u", d / 10000,
                       d / 100 % 100, d % 100);
        json_t *j = json_object();
        (void)json_object_set_new(j, "org", json_string(org));
        (void)json_object_set_new(j, "today", json_string(today));
        (void)json_object_set_new(j, "within_days",
                                  json_integer((json_int_t)days));
        struct ll_ledger_tip tip;
        ll_ledger_snap_tip(s, &tip);
        (void)json_object_set_new(j, "height",
                                  json_integer((json_int_t)tip.height));
        (void)json_object_set_new(j, "lots", sorted);
        reply_built(c, j, failures);
    }
    ll_free(v);
    json_decref(x.lots);
    ll_ledger_snap_close(s);
}

/* /v1/lots/{lot}[/trace|/proof|/log]. */
static void route_lot(struct node *n, struct ll_http_conn *c,
                      const struct ll_http_req *r)
{
    const char *p = r->path;
    /* The suffix as sent: a lot code ending in "/trace" is asked for
     * with that '/' escaped (%2F), and is then a lot, not a route. */
    size_t len = strlen(p);
    size_t rl = strlen(r->raw_path);
    bool trace =
        len > 15 && rl > 15 && strcmp(r->raw_path + rl - 6, "/trace") == 0;
    bool proof =
        len > 15 && rl > 15 && strcmp(r->raw_path + rl - 6, "/proof") == 0;
    bool log = len > 13 && rl > 13 && strcmp(r->raw_path + rl - 4, "/log") == 0;
    if (trace || proof)
        get_trace(n, c, r, p + 9, len - 15, proof);
    else if (log)
        get_log(n, c, r, p + 9, len - 13);
    else
        get_lot(n, c, p + 9);
}

static void handle(void *arg, struct ll_http_conn *c,
                   const struct ll_http_req *r)
{
    struct node *n = arg;
    bool get = strcmp(r->method, "GET") == 0;
    if (!ll_rate_take(n->rate, r->peer, uv_now(&n->loop))) {
        n->limited++;
        reply_error(c, 429, "rate_limited", 0,
                    "too many requests from this address; slow down");
        return;
    }
    const char *p = r->path;
    if (strcmp(p, "/v1/events") == 0 || strcmp(p, "/v1/capture") == 0) {
        if (strcmp(r->method, "POST") != 0)
            reply_error(c, 405, "method_not_allowed", 0, "use POST");
        else if (p[4] == 'e')
            post_event(n, c, r);
        else
            post_capture(n, c, r);
        return;
    }
    if (!get) {
        reply_error(c, 405, "method_not_allowed", 0, "use GET");
        return;
    }
    if (strcmp(p, "/healthz") == 0) {
        ll_http_respond(c, 200, "text/plain", "ok\n", 3);
    } else if (strcmp(p, "/v1/status") == 0) {
        get_status(n, c);
    } else if (strcmp(p, "/metrics") == 0) {
        get_metrics(n, c);
    } else if (strncmp(p, "/v1/lots/", 9) == 0) {
        route_lot(n, c, r);
    } else if (strncmp(p, "/v1/events/", 11) == 0) {
        get_event(n, c, p + 11);
    } else if (strncmp(p, "/01/", 4) == 0) {
        get_page(n, c, r);
    } else if (strncmp(p, "/v1/orgs/", 9) == 0 && strchr(p + 9, '/') != NULL &&
               strcmp(strchr(p + 9, '/'), "/expiring") == 0) {
        char org[LL_CONFIG_STR_MAX];
        size_t len = (size_t)(strchr(p + 9, '/') - (p + 9));
        (void)snprintf(org, sizeof(org), "%.*s", (int)len, p + 9);
        get_expiring(n, c, r, org);
    } else if (strncmp(p, "/v1/blocks/", 11) == 0) {
        get_block(n, c, p + 11);
    } else {
        reply_error(c, 404, "not_found", 0, "no such endpoint");
    }
}

/* ---- start and stop ------------------------------------------------------ */

static void on_close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/*
 * Stop taking work (a signal, or a commit that failed): close the HTTP
 * server (idle connections at once, busy ones once answered) and the block
 * timer, so that the loop ends when the answers in flight are written.
 * The signal handlers stay: a second Ctrl-C or SIGTERM while the node
 * finishes its block and closes the ledger is caught, not fatal.
 */
static void stop_taking_work(struct node *n, int signum)
{
    if (n->stopping)
        return;
    n->stopping = true;
    if (signum != signal_none)
        ll_log(LL_LOG_INFO, "component=node event=stopping signal=%d", signum);
    else
        ll_log(LL_LOG_ERROR, "component=node event=stopping error=\"%s\"",
               ll_strerror(n->fatal));
    ll_http_close(n->http);
    n->http = NULL;
    (void)uv_timer_stop(&n->timer);
    uv_close((uv_handle_t *)&n->timer, NULL);
    uv_unref((uv_handle_t *)&n->sigpoll);
}

/*
 * After a failed commit nothing more is committed: answer every client
 * still waiting (the open block's ?wait=commit requests and the events
 * held for the next block) and drop the open block.
 */
static void drop_pending(struct node *n)
{
    answer_waiters(n->waiters, n->nwait, LL_ESTORE, 0);
    n->nwait = 0;
    for (size_t i = 0; i < n->nheld; i++) {
        reply_error(n->held[i]->conn, 503, "stopping", n->fatal,
                    "the node stopped after a failed commit; not accepted");
        ll_free(n->held[i]);
    }
    n->nheld = 0;
    ll_block_free(n->open);
    n->open = NULL;
}

static void on_signal(uv_poll_t *p, int status, int events)
{
    struct node *n = p->data;
    struct signalfd_siginfo si;
    (void)events;
    /* Drain every pending signal; the first one stops the node. */
    while (status == 0 && read(n->sigfd, &si, sizeof(si)) == sizeof(si)) {
        if (n->stopping)
            continue;
        stop_taking_work(n, (int)si.ssi_signo);
        produce(n); /* finish the block in progress */
    }
}

/*
 * Take SIGINT and SIGTERM through a signalfd. They are blocked in the
 * calling thread first, so every thread started after (the committer,
 * LevelDB's, libuv's pool) has them blocked too: the signals stay pending
 * for the descriptor until the node has closed its ledger, and after it
 * they are never delivered. libuv's signal handles restored the default
 * action (death) when closed, which a second SIGTERM hit.
 */
static int signals_open(struct node *n, struct ll_errmsg *e)
{
    sigset_t stop;
    (void)sigemptyset(&stop);
    (void)sigaddset(&stop, SIGINT);
    (void)sigaddset(&stop, SIGTERM);
    int rc = pthread_sigmask(SIG_BLOCK, &stop, NULL);
    if (rc != 0)
        return ll_errmsg_set(e, LL_EIO, "signals: %s",
                             strerror(rc)); /* NOLINT: one thread yet */
    n->sigfd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
    if (n->sigfd < 0)
        return ll_errmsg_set(e, LL_EIO, "signalfd: %s",
                             strerror(errno)); /* NOLINT: one thread yet */
    return 0;
}

/* Read the organisation's key and check it against the genesis. */
static int unlock_key(struct node *n, struct ll_errmsg *e)
{
    char pass[1024];
    size_t plen = 0;
    const char *env = getenv("LOTLEDGER_PASSPHRASE"); /* NOLINT */
    int rc = 0;
    if (n->cfg->passphrase_file[0] != '\0') {
        FILE *f = fopen(n->cfg->passphrase_file, "r");
        if (f == NULL || fgets(pass, sizeof(pass), f) == NULL)
            rc = ll_errmsg_set(e, LL_EIO, "passphrase_file %s: cannot read",
                               n->cfg->passphrase_file);
        if (f != NULL)
            (void)fclose(f);
        plen = rc ? 0 : strcspn(pass, "\r\n");
    } else if (env != NULL && strlen(env) < sizeof(pass)) {
        plen = strlen(env);
        memcpy(pass, env, plen + 1);
    } else {
        rc = ll_errmsg_set(e, LL_EINVAL,
                           "no passphrase: set passphrase_file or "
                           "LOTLEDGER_PASSPHRASE");
    }
    if (rc == 0) {
        rc = ll_keystore_read_file(&n->key, n->cfg->keystore, pass, plen);
        if (rc)
            (void)ll_errmsg_set(e, rc, "keystore %s: %s", n->cfg->keystore,
                                ll_strerror(rc));
    }
    ll_crypto_wipe(pass, sizeof(pass));
    if (rc)
        return rc;
    const lotledger_OrgState *org = ll_genesis_org(n->g, n->cfg->org);
    if (org == NULL)
        return ll_errmsg_set(e, LL_EUNKNOWNORG,
                             "org %s is not in the genesis file", n->cfg->org);
    bool found = false;
    for (size_t i = 0; i < org->keys_count; i++)
        found = found || memcmp(org->keys[i].pk.bytes, n->key.pk, 32) == 0;
    if (!found)
        return ll_errmsg_set(e, LL_EKEY, "keystore %s holds no key of org %s",
                             n->cfg->keystore, n->cfg->org);
    const struct ll_valset *vs = ll_ledger_valset(n->l);
    for (size_t i = 0; i < vs->n; i++)
        n->validator = n->validator || memcmp(vs->v[i].pk, n->key.pk, 32) == 0;
    /* A node that cannot sign a commit would accept events and then fail
     * to commit them: refuse before listening instead. Nodes that follow
     * the validators come with the p2p layer. */
    if (!n->validator)
        return ll_errmsg_set(e, LL_EKEY,
                             "org %s holds no validator key of chain %s: "
                             "this node could not commit blocks (following "
                             "the validators needs p2p, not built yet); "
                             "start it with a validator's org and keystore",
                             n->cfg->org, n->g->chain_id);
    return 0;
}

static int open_ledger(struct node *n, struct ll_errmsg *e)
{
    char path[LL_CONFIG_PATH_MAX + 16];
    n->g = ll_calloc(1, sizeof(*n->g));
    if (n->g == NULL)
        return LL_ENOMEM;
    int rc = ll_genesis_load(n->g, n->cfg->genesis, e);
    if (rc)
        return rc;
    if (mkdir(n->cfg->data_dir, 0700) != 0 && errno != EEXIST)
        return ll_errmsg_set(e, LL_EIO, "data_dir %s: %s", n->cfg->data_dir,
                             strerror(errno)); /* NOLINT: one thread */
    (void)snprintf(path, sizeof(path), "%s/ledger", n->cfg->data_dir);
    /* Before the ledger's checks read a store another node is writing. */
    rc = ll_ledger_dir_in_use(path, e);
    if (rc)
        return rc;
    struct ll_ledger_opts o = {0};
    o.write_buffer = (size_t)n->cfg->write_buffer_mb << 20;
    o.create = n->cfg->init;
    o.accept_rollback = n->cfg->accept_rollback;
    rc = ll_ledger_open_opts(&n->l, path, n->g, &o, e);
    if (rc == LL_ENOTFOUND)
        return ll_errmsg_set(e, rc,
                             "no ledger in %s: start once with --init to "
                             "create it",
                             path);
    if (rc == LL_EEXIST)
        return ll_errmsg_set(e, rc,
                             "--init: %s is not empty; a ledger is created "
                             "only where there is none (start without --init "
                             "to open it)",
                             path);
    if (rc == 0 && n->cfg->init)
        ll_log(LL_LOG_INFO, "component=node event=created dir=%s chain=%s",
               path, n->g->chain_id);
    return rc;
}

static int start(struct node *n, struct ll_errmsg *e)
{
    int rc = open_ledger(n, e);
    if (rc == 0)
        rc = unlock_key(n, e);
    if (rc == 0)
        rc = committer_start(n, e);
    if (rc)
        return rc;
    char ip[64];
    const char *colon = strrchr(n->cfg->http_listen, ':');
    size_t iplen = colon ? (size_t)(colon - n->cfg->http_listen) : 0;
    if (colon == NULL || iplen >= sizeof(ip))
        return ll_errmsg_set(e, LL_EINVAL, "http listen: bad address");
    memcpy(ip, n->cfg->http_listen, iplen);
    ip[iplen] = '\0';
    int port = (int)strtol(colon + 1, NULL, 10);
    struct ll_http_limits lim = {
        .max_header = n->cfg->max_header,
        .max_body = n->cfg->max_body,
        .max_connections = n->cfg->max_connections,
        .max_queued = n->cfg->max_queued,
        .header_timeout_ms = n->cfg->header_timeout,
        .body_timeout_ms = n->cfg->body_timeout,
        .idle_timeout_ms = n->cfg->idle_timeout,
    };
    int bound = 0;
    /* Timer and signals before the server: a client may come, or a
     * SIGTERM, as soon as the port is open. */
    n->timer.data = n;
    n->sigpoll.data = n;
    (void)uv_timer_init(&n->loop, &n->timer);
    (void)uv_timer_start(&n->timer, on_timer, n->cfg->block_interval,
                         n->cfg->block_interval);
    rc = uv_poll_init(&n->loop, &n->sigpoll, n->sigfd);
    if (rc == 0)
        rc = uv_poll_start(&n->sigpoll, UV_READABLE, on_signal);
    if (rc != 0)
        return ll_errmsg_set(e, LL_EIO, "signals: %s", uv_strerror(rc));
    rc = ll_http_listen(&n->http, &n->loop, ip, port, &lim, handle, n, &bound,
                        e);
    if (rc)
        return rc;
    struct ll_ledger_tip tip;
    ll_ledger_tip(n->l, &tip);
    ll_log(LL_LOG_INFO,
           "component=node event=listening url=http://%s:%d chain=%s "
           "height=%llu org=%s validator=%s sha256=\"%s\"",
           ip, bound, n->g->chain_id, (unsigned long long)tip.height,
           n->cfg->org, n->validator ? "yes" : "no", ll_sha256_impl());
    return 0;
}

int ll_node_run(const struct ll_node_config *cfg, struct ll_errmsg *e)
{
    struct node *n = ll_calloc(1, sizeof(*n));
    if (n == NULL)
        return LL_ENOMEM;
    n->cfg = cfg;
    uint8_t key[16];
    ll_crypto_random(key, sizeof(key));
    int rc = ll_rate_new(&n->rate, cfg->rate_limit, key) != 0
                 ? UV_ENOMEM
                 : uv_loop_init(&n->loop);
    if (rc != 0) {
        ll_rate_free(n->rate);
        ll_free(n);
        return ll_errmsg_set(e, LL_EIO, "event loop: %s", uv_strerror(rc));
    }
    n->sigfd = -1;
    rc = signals_open(n, e);
    if (rc == 0)
        rc = start(n, e);
    if (rc == 0) {
        (void)uv_run(&n->loop, UV_RUN_DEFAULT);
        rc = n->fatal;
    }
    /*
     * The loop ended: every connection is closed (the server closed them
     * as their answers were written), no block is in flight. Close the
     * ledger while the signal handlers still catch a second signal, then
     * the node's own handles; the HTTP server's handles are its own.
     */
    committer_stop(n);
    if (n->http != NULL) { /* start failed after listening */
        ll_http_close(n->http);
        n->http = NULL;
        (void)uv_run(&n->loop, UV_RUN_DEFAULT);
    }
    ll_block_free(n->open);
    for (size_t i = 0; i < n->nheld; i++)
        ll_free(n->held[i]);
    ll_free(n->held);
    ll_free(n->waiters);
    ll_free(n->wwaiters);
    ll_rate_free(n->rate);
    ll_ledger_close(n->l);
    /* SIGINT and SIGTERM stay blocked: one that comes now is never
     * delivered, and the node returns normally. */
    uv_walk(&n->loop, on_close_walk, NULL);
    (void)uv_run(&n->loop, UV_RUN_DEFAULT);
    (void)uv_loop_close(&n->loop);
    if (n->sigfd >= 0)
        (void)close(n->sigfd);
    ll_keypair_wipe(&n->key);
    ll_free(n->g);
    ll_free(n);
    if (rc == 0)
        ll_log(LL_LOG_INFO, "component=node event=stopped");
    else
        ll_log(LL_LOG_ERROR, "component=node event=stopped error=\"%s\"",
               ll_strerror(rc));
    return rc;
}
