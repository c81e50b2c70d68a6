/* SPDX-License-Identifier: MIT */
/*
 * Trace proofs on a large ledger: a base of LL_BENCH_EVENTS events
 * (default 10^6: lots of 10 events each, commission, four ship/receive
 * hops, an inspection), then one product whose backward trace spans 5
 * levels of transformation (63 lots, about 190 events). Reports trace and
 * proof generation latency (p50/p99 over repeated runs), bundle size and
 * offline verification time, against the targets of part [4/4]. The
 * store lives in build/bench/proof-db; LL_BENCH_PG_CSV=DIR also writes the
 * trace's lots and transform edges as CSV for the PostgreSQL comparison
 * (tests/bench/pg_trace.sh). For profiling: LL_BENCH_RUNS=N repeats the
 * generation N times (default 200), LL_BENCH_KEEP=1 keeps the store and
 * reuses it on the next run instead of building it again (a reopened store
 * has its last blocks in table files, not the memtable: numbers differ a
 * little from a fresh build's).
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../ledger/proof.h"
#include "benchutil.h"

#define CHAIN   "proofbench-net"
#define NORGS   6
#define LEVELS  5
#define RUNS    200 /* as many as pg_trace.sh runs its query */
#define MAXRUNS 100000
#define VRUNS   11 /* verifications timed */

static struct ll_keypair keys[NORGS + 1]; /* + the validator (last) */
static struct ll_genesis genesis;
static int64_t clock_ms = 1780000000000;

static void make_genesis(void)
{
    struct ll_buf b;
    ll_buf_init(&b, 1 << 16);
    for (int i = 0; i <= NORGS; i++) {
        uint8_t sk[32];
        memset(sk, 0x70 + i, sizeof(sk));
        ll_bench_check(ll_keypair_from_seckey(&keys[i], sk), "key");
    }
    ll_bench_genesis_json(&b, CHAIN, keys, NORGS + 1, "p");
    struct ll_errmsg e = {{0}};
    if (ll_genesis_parse(&genesis, (const char *)b.data, b.len, &e) != 0) {
        (void)fprintf(stderr, "bench_proof: genesis: %s\n", e.text);
        exit(1);
    }
    ll_buf_free(&b);
}

struct builder {
    struct ll_ledger *l;
    struct ll_block *b;
    lotledger_Event ev;
    struct ll_buf sig;
    FILE *pg_events; /* LL_BENCH_PG_CSV: lot,event id,type per log entry */
    FILE *pg_edges;  /* input lot,output lot per transform */
};

static void begin(struct builder *w)
{
    struct ll_ledger_tip tip;
    ll_ledger_tip(w->l, &tip);
    int64_t t = tip.time_ms > clock_ms ? tip.time_ms : clock_ms;
    ll_bench_check(ll_block_begin(w->l, &w->b, t + 1000, keys[NORGS].pk),
                   "begin");
}

static void commit(struct builder *w)
{
    struct ll_header h;
    static struct ll_commit c;
    struct ll_errmsg e = {{0}};
    memset(&c, 0, sizeof(c));
    ll_bench_check(ll_block_seal(w->b, &h), "seal");
    ll_bench_check(ll_commit_sign(&c, ll_ledger_valset(w->l), &h, &keys[NORGS]),
                   "commit sign");
    if (ll_ledger_commit(w->l, w->b, &c, &e) != 0) {
        (void)fprintf(stderr, "bench_proof: commit: %s\n", e.text);
        exit(1);
    }
    w->b = NULL;
}

static lotledger_Event *event(struct builder *w, lotledger_EventType t, int org)
{
    lotledger_Event *ev = &w->ev;
    memset(ev, 0, sizeof(*ev));
    ev->version = LL_EVENT_VERSION;
    (void)snprintf(ev->chain_id, sizeof(ev->chain_id), "%s", CHAIN);
    ev->type = t;
    ev->event_time = clock_ms++;
    (void)snprintf(ev->org, sizeof(ev->org), "p%d", org);
    ev->key_id.size = LL_KEYID_LEN;
    ll_keyid(ev->key_id.bytes, keys[org].pk);
    return ev;
}

static void lot(lotledger_LotQuantity *q, const char *id, uint64_t n)
{
    (void)snprintf(q->lot, sizeof(q->lot), "%s", id);
    q->quantity = n;
    (void)snprintf(q->uom, sizeof(q->uom), "KGM");
}

/* The same facts for PostgreSQL: one row per lot log entry and edge. */
static void pg_rows(struct builder *w, const uint8_t id[32])
{
    const lotledger_Event *ev = &w->ev;
    char hex[65];
    if (ll_hex_encode(hex, sizeof(hex), id, 32) != 0)
        return;
    for (size_t i = 0; i < ev->lots_count; i++)
        (void)fprintf(w->pg_events, "%s,%s,%d,%s\n", ev->lots[i].lot, hex,
                      (int)ev->type, ev->org);
    for (size_t i = 0; i < ev->outputs_count; i++) {
        (void)fprintf(w->pg_events, "%s,%s,%d,%s\n", ev->outputs[i].lot, hex,
                      (int)ev->type, ev->org);
        for (size_t j = 0; j < ev->lots_count; j++)
            (void)fprintf(w->pg_edges, "%s,%s\n", ev->lots[j].lot,
                          ev->outputs[i].lot);
    }
}

/* Sign and add (signature already known good: checked when measuring). */
static void add(struct builder *w, int org, uint8_t id[32])
{
    uint8_t tmp[32];
    struct ll_errmsg e = {{0}};
    ll_buf_reset(&w->sig);
    ll_bench_check(ll_event_sign(&w->sig, id ? id : tmp, &w->ev, &keys[org]),
                   "sign");
    if (ll_block_add(w->b, w->sig.data, w->sig.len, true, NULL, NULL, &e)) {
        (void)fprintf(stderr, "bench_proof: add: %s\n", e.text);
        exit(1);
    }
    if (w->pg_events != NULL)
        pg_rows(w, id ? id : tmp);
}

/* Ship lot from org to the next org, and receive it there. */
static void hop(struct builder *w, const char *id, uint64_t q, int org)
{
    uint8_t ship[32];
    lotledger_Event *ev = event(w, lotledger_EventType_SHIP, org);
    lot(&ev->lots[ev->lots_count++], id, q);
    (void)snprintf(ev->counterparty, sizeof(ev->counterparty), "p%d",
                   (org + 1) % NORGS);
    add(w, org, ship);
    ev = event(w, lotledger_EventType_RECEIVE, (org + 1) % NORGS);
    lot(&ev->lots[ev->lots_count++], id, q);
    memcpy(ev->ref.bytes, ship, 32);
    ev->ref.size = 32;
    add(w, (org + 1) % NORGS, NULL);
}

/* The base: lots of 10 events each, 10^4 events per block. */
static void base(struct builder *w, uint64_t events)
{
    uint64_t lots = events / 10;
    for (uint64_t i = 0; i < lots; i++) {
        if (i % 1000 == 0)
            begin(w);
        char id[64];
        int org = (int)(i % NORGS);
        (void)snprintf(id, sizeof(id), "01/00614141777778/10/B%llu",
                       (unsigned long long)i);
        lotledger_Event *ev = event(w, lotledger_EventType_COMMISSION, org);
        lot(&ev->lots[ev->lots_count++], id, 1000000);
        add(w, org, NULL);
        for (int h = 0; h < 4; h++)
            hop(w, id, 1000000, (org + h) % NORGS);
        ev = event(w, lotledger_EventType_OBSERVE, (org + 4) % NORGS);
        lot(&ev->lots[ev->lots_count++], id, 0);
        ev->lots[0].uom[0] = '\0';
        add(w, (org + 4) % NORGS, NULL);
        if (i % 1000 == 999 || i + 1 == lots)
            commit(w);
    }
}

/*
 * Lot (level, k) of the product tree: level LEVELS are harvest lots;
 * each lower level lot is made from two lots of the level above. Every
 * lot is then shipped and received once. Made bottom up (harvest first).
 */
static void tree_lot_id(char *out, size_t cap, int level, int k)
{
    (void)snprintf(out, cap, "tlc/fda/42/T%d-%d", level, k);
}

static void tree(struct builder *w)
{
    begin(w);
    for (int level = LEVELS; level >= 0; level--) {
        /* Level L is made by one org, which ships to the next level's. */
        int org = (LEVELS - level) % NORGS;
        for (int k = 0; k < (1 << level); k++) {
            char id[64];
            tree_lot_id(id, sizeof(id), level, k);
            lotledger_Event *ev;
            if (level == LEVELS) {
                ev = event(w, lotledger_EventType_COMMISSION, org);
                lot(&ev->lots[ev->lots_count++], id, 1000000);
            } else {
                ev = event(w, lotledger_EventType_TRANSFORM, org);
                for (int in = 0; in < 2; in++) {
                    char src[64];
                    tree_lot_id(src, sizeof(src), level + 1, 2 * k + in);
                    lot(&ev->lots[ev->lots_count++], src, 1000000);
                }
                lot(&ev->outputs[ev->outputs_count++], id, 1000000);
            }
            add(w, org, NULL);
            hop(w, id, 1000000, org);
        }
    }
    commit(w);
}

/* Bytes of a protobuf field header and length: tag + varint length. */
static size_t pb_skip(const uint8_t *p, size_t n, size_t off, unsigned *field,
                      size_t *len)
{
    uint64_t v[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        unsigned sh = 0;
        while (off < n) {
            uint8_t b = p[off++];
            v[k] |= (uint64_t)(b & 0x7f) << sh;
            sh += 7;
            if ((b & 0x80) == 0)
                break;
        }
        if (k == 0 && (v[0] & 7) == 0) { /* a varint: no length */
            *field = (unsigned)(v[0] >> 3);
            *len = 0;
            return off;
        }
    }
    *field = (unsigned)(v[0] >> 3);
    *len = (size_t)v[1];
    return off;
}

/*
 * Where the bundle's bytes go: its top-level fields by section, and the
 * signed events and lot states inside (the payload no encoding can
 * shrink), as rows of the table.
 */
static void breakdown(const struct ll_buf *bundle, const struct ll_trace *t)
{
    size_t sec[16] = {0};
    size_t off = 0;
    while (off < bundle->len) {
        unsigned f = 0;
        size_t len = 0;
        size_t at = off;
        off = pb_skip(bundle->data, bundle->len, off, &f, &len);
        if ((bundle->data[at] & 7) == 0) {
            while (off < bundle->len && (bundle->data[off++] & 0x80) != 0)
                ;
        } else {
            off += len;
        }
        sec[f < 16 ? f : 15] += off - at;
    }
    size_t ev = 0;
    size_t st = 0;
    size_t roots = 0;
    for (size_t i = 0; i < t->n_events; i++)
        ev += t->events[i].len;
    for (size_t i = 0; i < t->n_lots; i++) {
        st += t->lots[i].state_len;
        roots += t->lots[i].expanded ? 34 : 0; /* log_root: tag, length, 32 */
    }
    char note[200];
    (void)snprintf(note, sizeof(note),
                   "version, genesis, header, commit, direction (fields 1-5)");
    ll_bench_row("bundle: head",
                 (double)(sec[1] + sec[2] + sec[3] + sec[4] + sec[5]), "bytes",
                 note);
    (void)snprintf(note, sizeof(note),
                   "%zu of them signed event bytes; positions %zu", ev, sec[7]);
    ll_bench_row("bundle: events", (double)(sec[6] + sec[7]), "bytes", note);
    (void)snprintf(note, sizeof(note),
                   "%zu of them lot states (committed: %zu; the verifier "
                   "rebuilds the log roots); the rest framing and event "
                   "indexes",
                   st - roots, st);
    ll_bench_row("bundle: lots", (double)sec[8], "bytes", note);
    (void)snprintf(note, sizeof(note),
                   "state-map proof of every lot: %zu bytes of shape bits, "
                   "%zu of hashes",
                   sec[9], sec[10]);
    ll_bench_row("bundle: state proof", (double)(sec[9] + sec[10]), "bytes",
                 note);
}

int main(void)
{
    const char *env = getenv("LL_BENCH_EVENTS"); /* NOLINT */
    uint64_t events = env != NULL ? strtoull(env, NULL, 10) : 1000000;
    const char *renv = getenv("LL_BENCH_RUNS"); /* NOLINT */
    int runs = renv != NULL ? (int)strtol(renv, NULL, 10) : RUNS;
    const char *keep = getenv("LL_BENCH_KEEP"); /* NOLINT */
    const char *dir = "build/bench/proof-db";
    struct stat sb;
    bool reuse = keep != NULL && stat(dir, &sb) == 0;
    if (runs < 5 || runs > MAXRUNS)
        runs = RUNS;
    ll_bench_check(ll_crypto_init(), "crypto");
    make_genesis();
    if (!reuse)
        (void)ll_bench_rmrf(dir);
    struct builder w;
    struct ll_errmsg e = {{0}};
    memset(&w, 0, sizeof(w));
    ll_buf_init(&w.sig, LL_EVENT_MAX_BYTES);
    if (ll_ledger_open(&w.l, dir, &genesis, &e) != 0) {
        (void)fprintf(stderr, "bench_proof: open: %s\n", e.text);
        return 1;
    }
    const char *pg = getenv("LL_BENCH_PG_CSV"); /* NOLINT */
    if (pg != NULL && !reuse) {
        char path[600];
        (void)snprintf(path, sizeof(path), "%s/events.csv", pg);
        w.pg_events = fopen(path, "w");
        (void)snprintf(path, sizeof(path), "%s/edges.csv", pg);
        w.pg_edges = fopen(path, "w");
        if (w.pg_events == NULL || w.pg_edges == NULL) {
            (void)fprintf(stderr, "bench_proof: cannot write %s\n", pg);
            return 1;
        }
    }
    if (!reuse) {
        (void)fprintf(stderr, "bench_proof: building %llu base events...\n",
                      (unsigned long long)events);
        base(&w, events);
        tree(&w);
    }
    char root[64];
    tree_lot_id(root, sizeof(root), 0, 0);

    /* Generation: snapshot, trace, proof; runs times, after one run that
     * is not timed (pg_trace.sh runs its query once before timing, too). */
    double *gen = ll_calloc((size_t)runs, sizeof(double));
    double *tr = ll_calloc((size_t)runs, sizeof(double));
    struct ll_buf bundle;
    struct ll_trace *last = NULL;
    ll_buf_init(&bundle, LL_PROOF_MAX_BYTES);
    if (gen == NULL || tr == NULL) {
        (void)fprintf(stderr, "bench_proof: out of memory\n");
        return 1;
    }
    for (int r = -1; r < runs; r++) {
        struct ll_ledger_snap *s = NULL;
        struct ll_trace *t = NULL;
        uint64_t t0 = ll_now_ns();
        ll_bench_check(ll_ledger_snap_open(w.l, &s), "snap");
        ll_bench_check(ll_trace_build(s, root, LL_TRACE_BACKWARD, 16, &t, &e),
                       "trace");
        uint64_t t1 = ll_now_ns();
        ll_buf_reset(&bundle);
        ll_bench_check(ll_proof_build(s, t, &bundle, &e), "proof");
        uint64_t t2 = ll_now_ns();
        if (r >= 0) {
            tr[r] = (double)(t1 - t0) / 1e6;
            gen[r] = (double)(t2 - t0) / 1e6;
        }
        ll_trace_free(last);
        last = t;
        ll_ledger_snap_close(s);
    }
    double ver[VRUNS];
    struct ll_proof_report rep;
    for (int r = 0; r < VRUNS; r++) {
        uint64_t t0 = ll_now_ns();
        ll_bench_check(
            ll_proof_verify(&genesis, bundle.data, bundle.len, &rep, &e),
            "verify");
        ver[r] = (double)(ll_now_ns() - t0) / 1e6;
    }
    ll_bench_sort(gen, (size_t)runs);
    ll_bench_sort(tr, (size_t)runs);
    char note[200];
    ll_bench_section(
        "Trace proofs on a large ledger",
        "A ledger of the base events plus one product whose backward trace "
        "spans 5 levels of transformation; generation = LevelDB snapshot + "
        "trace + proof bundle, verification = lotledger verify's checks "
        "(offline, genesis only).");
    (void)snprintf(note, sizeof(note),
                   "%llu base events; %zu lots, %zu "
                   "events in the trace",
                   (unsigned long long)events, last->n_lots, last->n_events);
    ll_bench_row("trace only, p50", tr[runs / 2], "ms", note);
    ll_bench_row("proof generation, p50", gen[runs / 2], "ms", "");
    ll_bench_row("proof generation, p99", gen[runs * 99 / 100], "ms",
                 "target <= 10 ms");
    (void)snprintf(note, sizeof(note), "target <= 1536 + 300 x %zu = %zu",
                   last->n_events, 1536 + 300 * last->n_events);
    ll_bench_row("bundle size", (double)bundle.len, "bytes", note);
    breakdown(&bundle, last);
    ll_bench_row("offline verification, median", ll_bench_median(ver, VRUNS),
                 "ms", "target <= 30 ms");
    if (w.pg_events != NULL)
        (void)fclose(w.pg_events);
    if (w.pg_edges != NULL)
        (void)fclose(w.pg_edges);
    ll_trace_free(last);
    ll_free(gen);
    ll_free(tr);
    ll_buf_free(&bundle);
    ll_buf_free(&w.sig);
    ll_ledger_close(w.l);
    if (keep == NULL)
        (void)ll_bench_rmrf(dir);
    return 0;
}
