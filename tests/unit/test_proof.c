/* SPDX-License-Identifier: MIT */
/*
 * Trace proof bundles: built from real traces, verified offline against
 * the genesis alone, and every tampered variant rejected with its reason:
 * each byte flipped, an event dropped or added, a signature swapped, a lot
 * left out of the closure, a commit without a quorum, another network's
 * genesis, trailing bytes.
 */
#include "../../ledger/proof.h"
#include "trace_world.h"

static void build(struct world *w, const struct ll_trace *t, struct ll_buf *b)
{
    struct ll_errmsg e = {{0}};
    ll_buf_init(b, LL_PROOF_MAX_BYTES);
    int rc = ll_proof_build(w->s, t, b, &e);
    if (rc)
        ll_test_fail(__FILE__, __LINE__, "build: %s", e.text);
}

/* Verify; the expected error (0 = valid) and a word of its message. */
static void expect(const struct ll_genesis *g, const struct ll_buf *b, int want,
                   const char *word, struct ll_proof_report *r)
{
    struct ll_errmsg e = {{0}};
    struct ll_proof_report tmp;
    int rc = ll_proof_verify(g, b->data, b->len, r ? r : &tmp, &e);
    if (rc != want || (word != NULL && strstr(e.text, word) == NULL))
        ll_test_fail(__FILE__, __LINE__, "verify: got %s '%s', want %s '%s'",
                     ll_err_name(rc), e.text, ll_err_name(want),
                     word ? word : "");
}

/*
 * With LL_PROOF_SEED_DIR set, write the fixture genesis and the valid
 * bundles there: the seeds of tests/fuzz/corpus/fuzz_proof (the bundles
 * are deterministic: fixed keys, times and heights).
 */
static void seed_write(const char *name, const void *p, size_t n)
{
    const char *dir = getenv("LL_PROOF_SEED_DIR"); /* NOLINT */
    char path[600];
    if (dir == NULL)
        return;
    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ASSERT_NOT_NULL(f);
    ASSERT_UEQ(fwrite(p, 1, n, f), n);
    ASSERT_OK(fclose(f));
    if (strcmp(name, "backward-d.bin") == 0) {
        char *json = fx_genesis_json();
        (void)snprintf(path, sizeof(path), "%s/genesis.json", dir);
        f = fopen(path, "w");
        ASSERT_NOT_NULL(f);
        ASSERT_UEQ(fwrite(json, 1, strlen(json), f), strlen(json));
        ASSERT_OK(fclose(f));
        ll_free(json);
    }
}

static void test_valid(void)
{
    struct world w;
    struct ll_buf b;
    struct ll_proof_report r;
    world_build(&w);
    struct ll_trace *t = trace(&w, L_D, LL_TRACE_BACKWARD, 16);
    build(&w, t, &b);
    expect(w.g, &b, 0, NULL, &r);
    ASSERT_STR_EQ(r.lot, L_D);
    ASSERT_EQ(r.dir, LL_TRACE_BACKWARD);
    ASSERT_UEQ(r.height, 2);
    ASSERT_UEQ(r.lots, 4);
    ASSERT_UEQ(r.events, 6);
    ASSERT_UEQ(r.orgs, 2);
    ASSERT_UEQ(r.transforms, 2);
    ASSERT_UEQ(r.unexpanded, 0);
    ASSERT_UEQ(r.depth, 2);
    /* Every lot's history is here: the rules reproduce all four states. */
    ASSERT_UEQ(r.rules_checked, 4);
    printf("    backward proof of 4 lots, 6 events: %zu bytes\n", b.len);
    seed_write("backward-d.bin", b.data, b.len);
    ll_buf_free(&b);
    ll_trace_free(t);
    /* Forward, and depth-limited. */
    t = trace(&w, L_A, LL_TRACE_FORWARD, 16);
    build(&w, t, &b);
    expect(w.g, &b, 0, NULL, &r);
    ASSERT_EQ(r.dir, LL_TRACE_FORWARD);
    ASSERT_UEQ(r.lots, 4);
    /* A was transformed together with B, whose history is not here. */
    ASSERT_UEQ(r.rules_checked, 0);
    seed_write("forward-a.bin", b.data, b.len);
    ll_buf_free(&b);
    ll_trace_free(t);
    t = trace(&w, L_D, LL_TRACE_BACKWARD, 0);
    build(&w, t, &b);
    expect(w.g, &b, 0, NULL, &r);
    ASSERT_UEQ(r.unexpanded, 1);
    ASSERT_UEQ(r.depth, 0);
    ll_buf_free(&b);
    ll_trace_free(t);
    world_free(&w);
}

/* Every byte of a bundle flipped, one at a time: each variant fails. */
/* An observation of lot by org. */
static void observe(struct ll_buf *ev, uint8_t id[32], const char *lot,
                    enum fx_org org)
{
    lotledger_Event *x = fx_event(lotledger_EventType_OBSERVE, org);
    fx_lot(x, lot, 0, NULL);
    fx_sign(ev, id, x, org);
}

/*
 * Observations by a regulator, a pending shipment's receiver and a past
 * holder, a regulator's hold and release, and a correction, replayed by the
 * verifier: each counts in the
 * lot's parties (rules.md), and the replay reproduces every state.
 */
static void test_observed(void)
{
    struct world w;
    struct ll_buf b;
    struct ll_buf ev = {0};
    uint8_t obs[32];
    struct ll_proof_report r;
    world_build(&w);
    ll_ledger_snap_close(w.s);
    struct ll_block *blk = fx_begin(w.l);
    observe(&ev, NULL, L_D, FX_FDA);
    fx_add(blk, &ev);
    observe(&ev, NULL, L_D, FX_RETAIL); /* shipped to it, not received */
    fx_add(blk, &ev);
    observe(&ev, NULL, L_A, FX_PACKER); /* consumed all of it */
    fx_add(blk, &ev);
    observe(&ev, obs, L_C, FX_PACKER);
    fx_add(blk, &ev);
    lotledger_Event *x = fx_event(lotledger_EventType_HOLD, FX_FDA);
    fx_lot(x, L_D, 0, NULL);
    (void)snprintf(x->reason, sizeof(x->reason), "sampling");
    fx_sign(&ev, NULL, x, FX_FDA);
    fx_add(blk, &ev);
    x = fx_event(lotledger_EventType_RELEASE, FX_FDA);
    fx_lot(x, L_D, 0, NULL);
    fx_sign(&ev, NULL, x, FX_FDA);
    fx_add(blk, &ev);
    fx_commit(w.l, blk);
    blk = fx_begin(w.l);
    x = fx_event(lotledger_EventType_CORRECT, FX_PACKER);
    x->ref.size = 32;
    memcpy(x->ref.bytes, obs, 32);
    (void)snprintf(x->reason, sizeof(x->reason), "probe misread");
    fx_sign(&ev, NULL, x, FX_PACKER);
    fx_add(blk, &ev);
    fx_commit(w.l, blk);
    ASSERT_OK(ll_ledger_snap_open(w.l, &w.s));
    struct ll_trace *t = trace(&w, L_D, LL_TRACE_BACKWARD, 16);
    build(&w, t, &b);
    seed_write("observed.bin", b.data, b.len);
    expect(w.g, &b, 0, NULL, &r);
    ASSERT_UEQ(r.height, 4);
    ASSERT_UEQ(r.events, 13);
    ASSERT_UEQ(r.rules_checked, 4);
    ll_buf_free(&b);
    ll_buf_free(&ev);
    ll_trace_free(t);
    world_free(&w);
}

/*
 * A legitimately large lot: 30,000 events in its log (observations by its
 * holder and a regulator, each within its bound, then shipments of one
 * gram at a time to the packer, each received). Its trace and proof are
 * built, and the proof verifies offline with every event replayed.
 */
static void test_large_lot(void)
{
    enum { N = 30000 };
    struct world w;
    struct ll_buf b;
    struct ll_buf ev = {0};
    struct ll_proof_report r;
    struct ll_errmsg e = {{0}};
    uint8_t ship[32];
    world_open(&w);
    struct ll_block *blk = fx_begin(w.l);
    lotledger_Event *x = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(x, L_A, 100000, "KGM");
    fx_sign(&ev, NULL, x, FX_FARM);
    fx_add(blk, &ev);
    size_t n = 1;
    for (uint32_t i = 0; n < N; i++) {
        if (i < 2 * LL_RULES_MAX_NOTES) {
            enum fx_org org = (i & 1) ? FX_FDA : FX_FARM;
            x = fx_event(lotledger_EventType_OBSERVE, org);
            fx_lot(x, L_A, 0, NULL);
            x->event_time += i;
            fx_sign(&ev, NULL, x, org);
        } else if ((i & 1) == 0) {
            x = fx_event(lotledger_EventType_SHIP, FX_FARM);
            fx_lot(x, L_A, 1, "KGM");
            (void)snprintf(x->counterparty, sizeof(x->counterparty), "packer");
            x->event_time += i;
            fx_sign(&ev, ship, x, FX_FARM);
        } else {
            x = fx_event(lotledger_EventType_RECEIVE, FX_PACKER);
            fx_lot(x, L_A, 1, "KGM");
            x->ref.size = 32;
            memcpy(x->ref.bytes, ship, 32);
            x->event_time += i;
            fx_sign(&ev, NULL, x, FX_PACKER);
        }
        fx_add(blk, &ev);
        if (++n % 5000 == 0) {
            fx_commit(w.l, blk);
            blk = fx_begin(w.l);
        }
    }
    fx_commit(w.l, blk);
    ASSERT_OK(ll_ledger_snap_open(w.l, &w.s));
    struct ll_trace *t = trace(&w, L_A, LL_TRACE_BACKWARD, 16);
    ASSERT_UEQ(t->n_events, N);
    struct ll_buf json;
    ll_buf_init(&json, (size_t)256 << 20);
    ASSERT_OK(ll_trace_json(t, &json));
    ll_buf_free(&json);
    build(&w, t, &b);
    ASSERT_OK(ll_proof_verify(w.g, b.data, b.len, &r, &e));
    ASSERT_UEQ(r.events, N);
    ASSERT_UEQ(r.rules_checked, 1);
    ASSERT_UEQ(r.unexpanded, 0);
    ll_buf_free(&b);
    ll_buf_free(&ev);
    ll_trace_free(t);
    world_free(&w);
}

static void test_every_byte_flipped(void)
{
    struct world w;
    struct ll_buf b;
    world_build(&w);
    struct ll_trace *t = trace(&w, L_C, LL_TRACE_BACKWARD, 1);
    build(&w, t, &b);
    expect(w.g, &b, 0, NULL, NULL);
    size_t by[32] = {0};
    for (size_t i = 0; i < b.len; i++) {
        uint8_t mask = (uint8_t)(1u << (i % 8));
        struct ll_errmsg e = {{0}};
        struct ll_proof_report r;
        b.data[i] ^= mask;
        int rc = ll_proof_verify(w.g, b.data, b.len, &r, &e);
        b.data[i] ^= mask;
        if (rc == 0)
            ll_test_fail(__FILE__, __LINE__,
                         "byte %zu of %zu flipped (mask %02x): accepted", i,
                         b.len, mask);
        if (e.text[0] == '\0')
            ll_test_fail(__FILE__, __LINE__, "byte %zu: no reason given", i);
        by[(unsigned)-rc & 31]++;
    }
    printf("    %zu flips rejected:", b.len);
    for (unsigned k = 0; k < 32; k++)
        if (by[k] != 0)
            printf(" %s %zu", ll_err_name(-(int)k), by[k]);
    printf("\n");
    ll_buf_free(&b);
    ll_trace_free(t);
    world_free(&w);
}

static void test_tampered(void)
{
    struct world w;
    struct ll_buf b;
    world_build(&w);

    /* An event dropped from a lot's log. */
    struct ll_trace *t = trace(&w, L_D, LL_TRACE_BACKWARD, 16);
    t->lots[2].ev_count--;
    build(&w, t, &b);
    expect(w.g, &b, LL_EPROOF, "not its committed log", NULL);
    ll_buf_free(&b);
    ll_trace_free(t);

    /* An event of a lot outside the trace added: X's commission. */
    struct ll_buf ev = {0};
    struct ll_block *blk = fx_begin(w.l);
    lotledger_Event *x = fx_event(lotledger_EventType_COMMISSION, FX_FARM);
    fx_lot(x, "tlc/fda/7/OTHER-X", 5000, "KGM");
    fx_sign(&ev, NULL, x, FX_FARM);
    fx_add(blk, &ev);
    fx_commit(w.l, blk);
    ll_buf_free(&ev);
    ll_ledger_snap_close(w.s);
    ASSERT_OK(ll_ledger_snap_open(w.l, &w.s));
    t = trace(&w, L_D, LL_TRACE_BACKWARD, 16);
    struct ll_trace *ta = trace(&w, "tlc/fda/7/OTHER-X", LL_TRACE_BACKWARD, 0);
    ASSERT_OK(ll_buf_append(&t->bytes, ta->bytes.data + ta->events[0].off,
                            ta->events[0].len));
    struct ll_trace_event extra = ta->events[0];
    extra.off = t->bytes.len - extra.len;
    t->events[t->n_events++] = extra; /* cap is >= 64 */
    build(&w, t, &b);
    expect(w.g, &b, LL_EPROOF, "in no followed lot's log", NULL);
    ll_buf_free(&b);
    ll_trace_free(ta);
    ll_trace_free(t);

    /* Two events' signatures swapped. */
    t = trace(&w, L_D, LL_TRACE_BACKWARD, 16);
    uint8_t *s0 = t->bytes.data + t->events[0].off + t->events[0].len - 64;
    uint8_t *s1 = t->bytes.data + t->events[1].off + t->events[1].len - 64;
    uint8_t tmp[64];
    memcpy(tmp, s0, 64);
    memcpy(s0, s1, 64);
    memcpy(s1, tmp, 64);
    build(&w, t, &b);
    expect(w.g, &b, LL_EBADSIG, "not signed by a key", NULL);
    ll_buf_free(&b);
    ll_trace_free(t);

    /* A lot left out of the closure (B, an input of C). */
    t = trace(&w, L_D, LL_TRACE_BACKWARD, 16);
    ASSERT_STR_EQ(t->lots[3].lot, L_B);
    t->n_lots--;
    build(&w, t, &b);
    expect(w.g, &b, LL_EPROOF, "not closed: lot " L_B, NULL);
    ll_buf_free(&b);
    ll_trace_free(t);

    /* Trailing bytes. */
    t = trace(&w, L_D, LL_TRACE_BACKWARD, 16);
    build(&w, t, &b);
    ASSERT_OK(ll_buf_append_byte(&b, 0));
    expect(w.g, &b, LL_EDECODE, "bundle: byte", NULL);
    b.len--;
    /* Another network's genesis. */
    struct ll_genesis *other = ll_malloc(sizeof(*other));
    ASSERT_NOT_NULL(other);
    *other = *w.g;
    (void)snprintf(other->chain_id, sizeof(other->chain_id), "other-net");
    other->hash[0] ^= 1;
    expect(other, &b, LL_EVERIFY, "another network", NULL);
    ll_free(other);
    expect(w.g, &b, 0, NULL, NULL);
    ll_buf_free(&b);
    ll_trace_free(t);
    world_free(&w);
}

/* Field 4 (the commit) replaced by a commit without signatures. */
static void test_no_quorum(void)
{
    struct world w;
    struct ll_buf b;
    struct ll_buf nb;
    world_build(&w);
    struct ll_trace *t = trace(&w, L_D, LL_TRACE_BACKWARD, 16);
    build(&w, t, &b);
    /* version (2 bytes), genesis (2 + 32), header (3 + 248), then the
     * commit: tag 0x22, length, u16 count, count x 66 bytes. */
    size_t at = 2 + 34 + 3 + LL_HEADER_LEN;
    ASSERT_EQ(b.data[at], 0x22);
    size_t clen = b.data[at + 1];
    ASSERT_UEQ(clen, 2 + 66);
    ll_buf_init(&nb, LL_PROOF_MAX_BYTES);
    ASSERT_OK(ll_buf_append(&nb, b.data, at));
    static const uint8_t empty[4] = {0x22, 2, 0, 0};
    ASSERT_OK(ll_buf_append(&nb, empty, sizeof(empty)));
    ASSERT_OK(
        ll_buf_append(&nb, b.data + at + 2 + clen, b.len - at - 2 - clen));
    expect(w.g, &nb, LL_EPROOF, "2/3", NULL);
    ll_buf_free(&nb);
    ll_buf_free(&b);
    ll_trace_free(t);
    world_free(&w);
}

static void test_garbage(void)
{
    struct world w;
    world_build(&w);
    struct ll_errmsg e = {{0}};
    struct ll_proof_report r;
    static const uint8_t junk[][6] = {
        {0x08, 0x01},       /* only a version */
        {0xff, 0xff, 0xff}, /* a truncated tag */
        {0x08, 0x80, 0x00}, /* overlong varint */
        {0x12, 0x05, 0x01}, /* bytes running past the end */
        {0x78, 0x01},       /* field 15 */
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(junk); i++) {
        e.text[0] = '\0';
        if (ll_proof_verify(w.g, junk[i], 3, &r, &e) == 0)
            ll_test_fail(__FILE__, __LINE__, "junk %zu accepted", i);
        ASSERT_TRUE(e.text[0] != '\0');
    }
    ASSERT_FAILS(ll_proof_verify(w.g, NULL, 0, &r, &e));
    world_free(&w);
}

/* A top-level field of a bundle: where it starts, its payload, its end. */
struct span {
    size_t at;   /* its tag's first byte */
    size_t data; /* its payload (bytes fields; else after the tag) */
    size_t len;  /* payload length (bytes fields) */
    size_t end;  /* one past it */
};

static size_t varint_at(const uint8_t *p, size_t *off)
{
    size_t v = 0;
    for (unsigned sh = 0;; sh += 7) {
        uint8_t b = p[(*off)++];
        v |= (size_t)(b & 0x7f) << sh;
        if ((b & 0x80) == 0)
            return v;
    }
}

/* Occurrence k (from 0) of field num in p[0..n) (it must be there). */
static struct span field_of(const uint8_t *p, size_t n, unsigned num,
                            unsigned k)
{
    size_t off = 0;
    while (off < n) {
        struct span s = {off, 0, 0, 0};
        size_t tag = varint_at(p, &off);
        if ((tag & 7) == 2) {
            s.len = varint_at(p, &off);
            s.data = off;
            off += s.len;
        } else {
            s.data = off;
            (void)varint_at(p, &off);
        }
        s.end = off;
        if ((tag >> 3) == num && k-- == 0)
            return s;
    }
    ll_test_fail(__FILE__, __LINE__, "no field %u", num);
    return (struct span){0, 0, 0, 0};
}

/* b with bytes [from, to) replaced by p[0..n). */
static void splice(struct ll_buf *out, const struct ll_buf *b, size_t from,
                   size_t to, const void *p, size_t n)
{
    ll_buf_init(out, LL_PROOF_MAX_BYTES);
    ASSERT_OK(ll_buf_append(out, b->data, from));
    if (n > 0)
        ASSERT_OK(ll_buf_append(out, p, n));
    ASSERT_OK(ll_buf_append(out, b->data + to, b->len - to));
}

/* Another version, or none. */
static void format_version(const struct world *w, struct ll_buf *b)
{
    struct ll_buf nb;
    ASSERT_EQ(b->data[0], 0x08);
    ASSERT_EQ(b->data[1], LL_PROOF_VERSION);
    b->data[1] = 1;
    expect(w->g, b, LL_EVERSION, "version 1, want 2", NULL);
    b->data[1] = LL_PROOF_VERSION;
    splice(&nb, b, 0, 2, NULL, 0);
    expect(w->g, &nb, LL_EVERSION, "no version", NULL);
    ll_buf_free(&nb);
}

/* Positions one varint short, one more, a first height of 0. */
static void format_positions(const struct world *w, const struct ll_buf *b)
{
    struct ll_buf nb;
    struct span pos = field_of(b->data, b->len, 7, 0);
    uint8_t p[130];
    ASSERT_UEQ(pos.data - pos.at, 2); /* tag, one-byte length */
    ASSERT_LE(pos.len + 3, sizeof(p));
    memcpy(p, b->data + pos.at, pos.end - pos.at);
    p[1]--;
    splice(&nb, b, pos.at, pos.end, p, pos.end - pos.at - 1);
    expect(w->g, &nb, LL_ETRUNC, "bundle: byte", NULL);
    ll_buf_free(&nb);
    p[1] = (uint8_t)(p[1] + 2);
    p[pos.end - pos.at] = 0;
    splice(&nb, b, pos.at, pos.end, p, pos.end - pos.at + 1);
    expect(w->g, &nb, LL_ETRAILING, "bundle: byte", NULL);
    ll_buf_free(&nb);
    p[1] = (uint8_t)(p[1] - 1);
    p[2] = 0;
    splice(&nb, b, pos.at, pos.end, p, pos.end - pos.at);
    expect(w->g, &nb, LL_EDECODE, "bundle: byte", NULL);
    ll_buf_free(&nb);
}

/*
 * Version 2 specifics, each with its reason: another version or none,
 * positions that do not fit the events, a followed lot's state that keeps
 * its log root, a lot listed twice.
 */
static void test_format(void)
{
    struct world w;
    struct ll_buf b;
    struct ll_buf full;
    struct ll_buf nb;
    world_build(&w);
    struct ll_trace *t = trace(&w, L_D, LL_TRACE_BACKWARD, 16);
    build(&w, t, &b);
    format_version(&w, &b);
    format_positions(&w, &b);
    /* lots[0]'s state as committed (with its log root): a bundle built
     * with lots[0] unfollowed has it; put it in the good bundle. */
    t->lots[0].expanded = false;
    build(&w, t, &full);
    t->lots[0].expanded = true;
    struct span fl = field_of(full.data, full.len, 8, 0);
    struct span gl = field_of(b.data, b.len, 8, 0);
    struct span fst = field_of(full.data + fl.data, fl.len, 1, 0);
    struct span gst = field_of(b.data + gl.data, gl.len, 1, 0);
    ASSERT_UEQ(fst.len, gst.len + 34);
    uint8_t lot[256];
    size_t n = 0;
    size_t rest = gl.len - gst.end; /* expanded, events */
    ASSERT_LE(fst.end + rest + 3, sizeof(lot));
    lot[n++] = 0x42;
    for (size_t v = fst.end + rest; n == 1 || v > 0; v >>= 7)
        lot[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    memcpy(lot + n, full.data + fl.data, fst.end);
    n += fst.end;
    memcpy(lot + n, b.data + gl.data + gst.end, rest);
    n += rest;
    splice(&nb, &b, gl.at, gl.end, lot, n);
    expect(w.g, &nb, LL_ENONCANON, "carries its log root", NULL);
    ll_buf_free(&nb);
    ll_buf_free(&full);
    /* lots[3] (B) replaced by lots[1] (C): C twice. */
    struct span l1 = field_of(b.data, b.len, 8, 1);
    struct span l3 = field_of(b.data, b.len, 8, 3);
    splice(&nb, &b, l3.at, l3.end, b.data + l1.at, l1.end - l1.at);
    expect(w.g, &nb, LL_EPROOF, "lot " L_C ": listed twice", NULL);
    ll_buf_free(&nb);
    expect(w.g, &b, 0, NULL, NULL);
    ll_buf_free(&b);
    ll_trace_free(t);
    world_free(&w);
}

static const struct ll_test tests[] = {
    {"valid", test_valid},
    {"observed", test_observed},
    {"large_lot", test_large_lot},
    {"every_byte_flipped", test_every_byte_flipped},
    {"tampered", test_tampered},
    {"no_quorum", test_no_quorum},
    {"garbage", test_garbage},
    {"format", test_format},
};

int main(int argc, char **argv)
{
    fx_keys_init();
    return ll_test_main(tests, LL_ARRAY_LEN(tests), argc, argv);
}
