/* SPDX-License-Identifier: MIT */
/*
 * Ledger apply rate on a real LevelDB store: pre-signed events applied
 * into blocks (signature check + custody rules + state map + one synced
 * batch per block) on a ledger that already holds 10^6 events and 10^5
 * lots, against the raw BIP-340 verify rate measured in the same run;
 * and bytes on disk per event. LL_BENCH_EVENTS scales the base ledger
 * (default 1000000); the store lives in build/bench/ledger-db.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../ledger/internal.h"
#include "../../ledger/ledger.h"
#include "../../ledger/store.h"
#include "benchutil.h"

#define NORGS          8
#define EVENTS_PER_LOT 10
#define CHAIN          "bench-net"

static struct ll_keypair keys[NORGS + 1]; /* + the validator */
static struct ll_genesis *genesis;

/* One lot's pre-signed story. */
struct story {
    struct ll_buf ev[EVENTS_PER_LOT];
};

static void make_genesis(void)
{
    struct ll_buf b;
    ll_buf_init(&b, 1 << 16);
    for (int i = 0; i <= NORGS; i++) {
        uint8_t sk[32];
        memset(sk, 0x60 + i, sizeof(sk));
        ll_bench_check(ll_keypair_from_seckey(&keys[i], sk), "key");
    }
    ll_bench_genesis_json(&b, CHAIN, keys, NORGS + 1, "org");
    genesis = ll_calloc(1, sizeof(*genesis));
    struct ll_errmsg e = {{0}};
    if (genesis == NULL ||
        ll_genesis_parse(genesis, (const char *)b.data, b.len, &e) != 0) {
        (void)fprintf(stderr, "bench genesis: %s\n", e.text);
        exit(1);
    }
    ll_buf_free(&b);
}

static lotledger_Event *new_event(lotledger_Event *ev, lotledger_EventType t,
                                  int org, int64_t time_ms)
{
    memset(ev, 0, sizeof(*ev));
    ev->version = LL_EVENT_VERSION;
    (void)snprintf(ev->chain_id, sizeof(ev->chain_id), "%s", CHAIN);
    ev->type = t;
    ev->event_time = time_ms;
    ev->tz_offset = 60;
    (void)snprintf(ev->org, sizeof(ev->org), "org%d", org);
    ev->key_id.size = LL_KEYID_LEN;
    ll_keyid(ev->key_id.bytes, keys[org].pk);
    (void)snprintf(ev->location, sizeof(ev->location), "0614141000005");
    return ev;
}

static void add_lot(lotledger_Event *ev, const char *lot, uint64_t q,
                    const char *uom)
{
    lotledger_LotQuantity *lq = &ev->lots[ev->lots_count++];
    (void)snprintf(lq->lot, sizeof(lq->lot), "%s", lot);
    lq->quantity = q;
    (void)snprintf(lq->uom, sizeof(lq->uom), "%s", uom);
}

static void sign_into(struct ll_buf *out, uint8_t id[32],
                      const lotledger_Event *ev, int org)
{
    ll_buf_init(out, LL_EVENT_MAX_BYTES);
    ll_bench_check(ll_event_sign(out, id, ev, &keys[org]), "sign event");
}

/*
 * A lot's story: commissioned by one org, then shipped and received along
 * a chain of four orgs, with an inspection at the end (10 events).
 * gen distinguishes stories of the same lot number in later batches.
 */
static void write_story(struct story *s, lotledger_Event *ev, uint64_t lot,
                        int gen)
{
    char id[64];
    uint8_t ship[32];
    int org = (int)(lot % NORGS);
    int64_t t = 1780000000000 + (int64_t)lot;
    (void)snprintf(id, sizeof(id), "01/00614141777778/10/G%dL%llu", gen,
                   (unsigned long long)lot);
    new_event(ev, lotledger_EventType_COMMISSION, org, t);
    add_lot(ev, id, 1000000, "KGM");
    ev->has_master = true;
    (void)snprintf(ev->master.product, sizeof(ev->master.product),
                   "Romaine lettuce");
    ev->master.expiry = 20270101;
    (void)snprintf(ev->biz_step, sizeof(ev->biz_step), "commissioning");
    (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "harvesting");
    sign_into(&s->ev[0], ship, ev, org);
    uint64_t q = 1000000;
    for (int hop = 0; hop < 4; hop++) {
        int next = (org + 1) % NORGS;
        q -= 1000;
        new_event(ev, lotledger_EventType_SHIP, org, t + 1 + 2 * hop);
        add_lot(ev, id, q, "KGM");
        (void)snprintf(ev->counterparty, sizeof(ev->counterparty), "org%d",
                       next);
        (void)snprintf(ev->biz_step, sizeof(ev->biz_step), "shipping");
        ev->docs_count = 1;
        (void)snprintf(ev->docs[0].type, sizeof(ev->docs[0].type), "bol");
        (void)snprintf(ev->docs[0].number, sizeof(ev->docs[0].number),
                       "BOL-%llu-%d", (unsigned long long)lot, hop);
        sign_into(&s->ev[1 + 2 * hop], ship, ev, org);
        new_event(ev, lotledger_EventType_RECEIVE, next, t + 2 + 2 * hop);
        add_lot(ev, id, q, "KGM");
        ev->ref.size = 32;
        memcpy(ev->ref.bytes, ship, 32);
        (void)snprintf(ev->biz_step, sizeof(ev->biz_step), "receiving");
        sign_into(&s->ev[2 + 2 * hop], ship, ev, next);
        org = next;
    }
    new_event(ev, lotledger_EventType_OBSERVE, org, t + 10);
    add_lot(ev, id, 0, "");
    (void)snprintf(ev->biz_step, sizeof(ev->biz_step), "inspecting");
    sign_into(&s->ev[9], ship, ev, org);
}

struct gen_job {
    struct story *stories;
    uint64_t first; /* first lot number */
    uint64_t n;     /* lots */
    int gen;
    int stride; /* threads */
    int offset; /* this thread */
};

static void *gen_thread(void *arg)
{
    struct gen_job *j = arg;
    lotledger_Event *ev = ll_malloc(sizeof(*ev));
    if (ev == NULL)
        exit(1);
    for (uint64_t i = (uint64_t)j->offset; i < j->n; i += (uint64_t)j->stride)
        write_story(&j->stories[i], ev, j->first + i, j->gen);
    ll_free(ev);
    return NULL;
}

/* Pre-sign n lots' stories on both cores. */
static struct story *gen_stories(uint64_t first, uint64_t n, int gen)
{
    struct story *s = ll_calloc(n, sizeof(*s));
    pthread_t th[2];
    struct gen_job jobs[2];
    if (s == NULL)
        exit(1);
    for (int t = 0; t < 2; t++) {
        jobs[t] = (struct gen_job){s, first, n, gen, 2, t};
        if (pthread_create(&th[t], NULL, gen_thread, &jobs[t]) != 0)
            exit(1);
    }
    for (int t = 0; t < 2; t++)
        (void)pthread_join(th[t], NULL);
    return s;
}

static void free_stories(struct story *s, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        for (int k = 0; k < EVENTS_PER_LOT; k++)
            ll_buf_free(&s[i].ev[k]);
    ll_free(s);
}

static int64_t block_time = 1780000000000;
/*
 * Where apply's time goes (ns): adding events, sealing, committing (and of
 * that, the synced LevelDB write); as elapsed time and as this thread's CPU
 * time (which other load on a shared machine, and waiting for fsync, do
 * not count). The clocks are read around blocks only (CPU time is a system
 * call, about a microsecond a pair): adding is the rest of apply's time.
 */
static uint64_t t_add, t_seal, t_commit, t_write;
static uint64_t c_add, c_seal, c_commit;

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void times_reset(void)
{
    t_add = t_seal = t_commit = t_write = 0;
    c_add = c_seal = c_commit = 0;
}

/* Print the split per event of k events, as "what: ..." on stderr. */
static void times_print(const char *what, uint64_t k)
{
    double n = (double)k * 1e3;
    (void)fprintf(stderr,
                  "  %s: per event add %.1f us, seal %.1f us, commit %.1f us "
                  "of which write %.1f us (CPU %.1f, %.1f, %.1f)\n",
                  what, (double)t_add / n, (double)t_seal / n,
                  (double)t_commit / n, (double)t_write / n, (double)c_add / n,
                  (double)c_seal / n, (double)c_commit / n);
}

static void finish_block(struct ll_ledger *l, struct ll_block *b)
{
    struct ll_header h;
    struct ll_commit c = {0};
    uint64_t t0 = ll_now_ns();
    uint64_t c0 = cpu_ns();
    ll_bench_check(ll_block_seal(b, &h), "seal");
    uint64_t t1 = ll_now_ns();
    uint64_t c1 = cpu_ns();
    ll_bench_check(ll_commit_sign(&c, ll_ledger_valset(l), &h, &keys[NORGS]),
                   "commit sign");
    ll_bench_check(ll_ledger_commit_prepare(l, b, &c, NULL), "commit");
    uint64_t t2 = ll_now_ns();
    int rc = ll_ledger_commit_write(b);
    t_write += ll_now_ns() - t2;
    ll_bench_check(ll_ledger_commit_finish(l, b, rc, NULL), "commit");
    t_seal += t1 - t0;
    t_commit += ll_now_ns() - t1;
    c_seal += c1 - c0;
    c_commit += cpu_ns() - c1;
}

/*
 * Apply stories in blocks of `per_block` events, interleaving lots (event k
 * of every lot before event k+1). Returns events applied.
 */
static uint64_t apply(struct ll_ledger *l, struct story *s, uint64_t n,
                      size_t per_block, bool sig_verified)
{
    struct ll_block *b = NULL;
    uint64_t applied = 0;
    uint64_t blocks_t = t_seal + t_commit; /* block time before */
    uint64_t blocks_c = c_seal + c_commit;
    uint64_t t0 = ll_now_ns();
    uint64_t c0 = cpu_ns();
    for (int k = 0; k < EVENTS_PER_LOT; k++) {
        for (uint64_t i = 0; i < n; i++) {
            if (b == NULL) {
                block_time += 1000;
                ll_bench_check(
                    ll_block_begin(l, &b, block_time, keys[NORGS].pk),
                    "block begin");
            }
            struct ll_errmsg e = {{0}};
            const struct ll_buf *ev = &s[i].ev[k];
            int rc = ll_block_add(b, ev->data, ev->len, sig_verified, NULL,
                                  NULL, &e);
            if (rc) {
                (void)fprintf(stderr, "bench: event refused: %s\n", e.text);
                exit(1);
            }
            applied++;
            if (ll_block_count(b) == per_block) {
                finish_block(l, b);
                b = NULL;
            }
        }
    }
    if (b != NULL)
        finish_block(l, b);
    /* Adding: the rest of the elapsed time once blocks are taken out. */
    t_add += (ll_now_ns() - t0) - (t_seal + t_commit - blocks_t);
    c_add += (cpu_ns() - c0) - (c_seal + c_commit - blocks_c);
    return applied;
}

/*
 * Two cores: a second thread checks signatures (decode, the organisation's
 * key at the height, BIP-340 verify) in event order while the main thread
 * applies each event with sig_verified once its check is done.
 */
struct pipe_job {
    struct story *s;
    uint64_t n;                /* lots */
    atomic_uint_fast64_t done; /* events checked, in apply order */
    atomic_bool bad;           /* a signature failed */
};

static void *verify_thread(void *arg)
{
    struct pipe_job *j = arg;
    struct ll_signed_event *se = ll_malloc(sizeof(*se));
    if (se == NULL)
        exit(1);
    for (int k = 0; k < EVENTS_PER_LOT; k++) {
        for (uint64_t i = 0; i < j->n; i++) {
            const struct ll_buf *ev = &j->s[i].ev[k];
            uint8_t pk[32];
            const lotledger_OrgState *org = NULL;
            if (ll_signed_event_decode(se, ev->data, ev->len, NULL) == 0)
                org = ll_genesis_org(genesis, se->ev.org);
            if (org == NULL ||
                ll_rules_key(pk, org, se->ev.key_id.bytes, se->ev.key_id.size,
                             1) != 0 ||
                ll_signed_event_verify(se, pk) != 0)
                atomic_store(&j->bad, true);
            atomic_fetch_add(&j->done, 1);
        }
    }
    ll_free(se);
    return NULL;
}

static uint64_t apply_pipelined(struct ll_ledger *l, struct story *s,
                                uint64_t n, size_t per_block)
{
    struct pipe_job j;
    j.s = s;
    j.n = n;
    atomic_init(&j.done, 0);
    atomic_init(&j.bad, false);
    pthread_t th;
    if (pthread_create(&th, NULL, verify_thread, &j) != 0)
        exit(1);
    struct ll_block *b = NULL;
    uint64_t applied = 0;
    for (int k = 0; k < EVENTS_PER_LOT; k++) {
        for (uint64_t i = 0; i < n; i++) {
            while (atomic_load(&j.done) <= applied)
                sched_yield();
            if (atomic_load(&j.bad)) {
                (void)fprintf(stderr, "bench: a signature failed\n");
                exit(1);
            }
            if (b == NULL) {
                block_time += 1000;
                ll_bench_check(
                    ll_block_begin(l, &b, block_time, keys[NORGS].pk),
                    "block begin");
            }
            const struct ll_buf *ev = &s[i].ev[k];
            ll_bench_check(
                ll_block_add(b, ev->data, ev->len, true, NULL, NULL, NULL),
                "add");
            applied++;
            if (ll_block_count(b) == per_block) {
                finish_block(l, b);
                b = NULL;
            }
        }
    }
    if (b != NULL)
        finish_block(l, b);
    (void)pthread_join(th, NULL);
    return applied;
}

/* Total bytes of the regular files in dir. */
static uint64_t dir_bytes(const char *dir)
{
    uint64_t total = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) { /* NOLINT(concurrency-mt-unsafe) */
        char p[4096];
        struct stat st;
        (void)snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
    }
    (void)closedir(d);
    return total;
}

static double verify_rate(void)
{
    uint8_t msg[32];
    uint8_t sig[64];
    ll_crypto_random(msg, sizeof(msg));
    ll_bench_check(ll_schnorr_sign(sig, &keys[0], msg, NULL), "sign");
    double rates[LL_BENCH_RUNS];
    for (int r = 0; r < LL_BENCH_RUNS; r++) {
        uint64_t t0 = ll_now_ns();
        for (int i = 0; i < 2000; i++)
            ll_bench_check(ll_schnorr_verify(sig, msg, keys[0].pk), "verify");
        rates[r] = 2000 * 1e9 / (double)(ll_now_ns() - t0);
    }
    return ll_bench_median(rates, LL_BENCH_RUNS);
}

int main(void)
{
    const char *dir = "build/bench/ledger-db";
    const char *env = getenv("LL_BENCH_EVENTS"); /* NOLINT */
    uint64_t base = env ? strtoull(env, NULL, 10) : 1000000;
    uint64_t lots = base / EVENTS_PER_LOT;
    ll_bench_check(ll_crypto_init(), "crypto init");
    make_genesis();
    (void)ll_bench_rmrf(dir);
    struct ll_ledger *l = NULL;
    struct ll_errmsg e = {{0}};
    if (ll_ledger_open(&l, dir, genesis, &e) != 0) {
        (void)fprintf(stderr, "bench: %s\n", e.text);
        return 1;
    }

    /* The base ledger: 10^5 lots x 10 events, blocks of 10^4. */
    (void)fprintf(stderr, "bench_ledger: signing %llu events...\n",
                  (unsigned long long)base);
    struct story *s = gen_stories(0, lots, 0);
    size_t evbytes = 0;
    for (uint64_t i = 0; i < lots; i++)
        for (int k = 0; k < EVENTS_PER_LOT; k++)
            evbytes += s[i].ev[k].len;
    (void)fprintf(stderr, "bench_ledger: applying...\n");
    uint64_t t0 = ll_now_ns();
    uint64_t n = apply(l, s, lots, 10000, false);
    double base_rate = (double)n * 1e9 / (double)(ll_now_ns() - t0);
    free_stories(s, lots);
    ll_ledger_close(l);
    l = NULL;
    {
        struct ll_store *st = NULL;
        ll_bench_check(ll_store_open(&st, dir, false, 0, NULL), "store open");
        ll_store_compact(st);
        ll_store_close(st);
    }
    uint64_t disk = dir_bytes(dir);
    ll_bench_check(ll_ledger_open(&l, dir, genesis, NULL), "reopen");
    /*
     * Warm-up, not measured: the reopened ledger's caches are empty (its
     * page cache is fresh memory, faulted in as it fills; state-map pages
     * are read and rebuilt from the store). The first
     * 2 x 10^4 events after a restart pay for that; a running node has
     * paid it, and the rows below measure the running rate.
     */
    {
        uint64_t warm = 2000;
        struct story *m = gen_stories(lots + 4 * 5000, warm, 5);
        (void)apply(l, m, warm, 1000, false);
        free_stories(m, warm);
    }

    ll_bench_section("Ledger apply (one core, LevelDB, synced batch per block)",
                     "Pre-signed events (commission, 4 x ship + receive, "
                     "inspect per lot) applied with signature check, "
                     "custody rules, per-lot logs, state map and one "
                     "fsynced LevelDB batch per block, on a ledger that "
                     "already holds the base events (reopened, then warmed "
                     "up with 2 x 10^4 events not measured).");
    double verify = verify_rate();
    ll_bench_row("BIP-340 verify (reference, same run)", verify, "sig/s",
                 "median of 5 x 2000");
    ll_bench_row("base ledger: events", (double)n, "events",
                 "10 per lot; blocks of 10^4");
    ll_bench_row("base ledger: lots", (double)lots, "lots", "");
    ll_bench_row("building the base ledger", base_rate, "events/s",
                 "from empty, blocks of 10^4");

    static const size_t sizes[] = {1000, 10000};
    for (size_t z = 0; z < LL_ARRAY_LEN(sizes); z++) {
        uint64_t more = 5000; /* lots: 5 x 10^4 events */
        struct story *m = gen_stories(lots + z * more, more, 1 + (int)z);
        (void)fprintf(stderr, "bench_ledger: blocks of %zu...\n", sizes[z]);
        times_reset();
        uint64_t t1 = ll_now_ns();
        uint64_t k = apply(l, m, more, sizes[z], false);
        double rate = (double)k * 1e9 / (double)(ll_now_ns() - t1);
        char what[32];
        (void)snprintf(what, sizeof(what), "blocks of %zu", sizes[z]);
        times_print(what, k);
        free_stories(m, more);
        char name[96];
        char note[128];
        (void)snprintf(name, sizeof(name), "apply, blocks of %zu", sizes[z]);
        (void)snprintf(note, sizeof(note),
                       "%llu events; %.2f x the verify rate (target >= 0.8)",
                       (unsigned long long)k, rate / verify);
        ll_bench_row(name, rate, "events/s", note);
    }
    {
        uint64_t more = 5000;
        struct story *m = gen_stories(lots + 2 * more, more, 3);
        times_reset();
        uint64_t t1 = ll_now_ns();
        uint64_t k = apply(l, m, more, 10000, true);
        double rate = (double)k * 1e9 / (double)(ll_now_ns() - t1);
        times_print("no sig", k);
        free_stories(m, more);
        ll_bench_row("apply without signature checks, blocks of 10^4", rate,
                     "events/s",
                     "the part left once signatures are checked on other "
                     "threads");
    }
    {
        uint64_t more = 5000;
        struct story *m = gen_stories(lots + 3 * more, more, 4);
        uint64_t t1 = ll_now_ns();
        uint64_t k = apply_pipelined(l, m, more, 10000);
        double rate = (double)k * 1e9 / (double)(ll_now_ns() - t1);
        free_stories(m, more);
        char pnote[128];
        (void)snprintf(pnote, sizeof(pnote),
                       "signatures checked on the second core; %.2f x the "
                       "one-core verify rate",
                       rate / verify);
        ll_bench_row("apply on two cores, blocks of 10^4", rate, "events/s",
                     pnote);
    }
    char note[160];
    (void)snprintf(note, sizeof(note),
                   "after compaction; mean encoded event %.0f bytes, so %.2f "
                   "x (target <= 2)",
                   (double)evbytes / (double)n, (double)disk / (double)evbytes);
    ll_bench_row("disk bytes per event (base ledger)", (double)disk / (double)n,
                 "bytes", note);
    ll_ledger_close(l);
    ll_free(genesis);
    (void)ll_bench_rmrf(dir);
    return 0;
}
