/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the event codec and well-formedness rules: canonical
 * encoding (every non-canonical spelling rejected), limits (oversize input
 * rejected, never truncated), the SignedEvent envelope against nanopb's own
 * encoding, signatures, lot ids and GS1 check digits, and one case per
 * well-formedness rule.
 */
#include <pb_encode.h>

#include "../../ledger/event.h"
#include "../../ledger/event_json.h"
#include "test.h"

#define CHAIN "test-chain"

static struct ll_keypair key;

static void setup(void)
{
    uint8_t sk[32];
    ASSERT_OK(ll_crypto_init());
    memset(sk, 0x11, sizeof(sk));
    ASSERT_OK(ll_keypair_from_seckey(&key, sk));
}

/* A well-formed event of the given type, signed by `key`. */
static lotledger_Event *make_event(lotledger_EventType t)
{
    lotledger_Event *ev = ll_calloc(1, sizeof(*ev));
    ASSERT_NOT_NULL(ev);
    ev->version = LL_EVENT_VERSION;
    (void)snprintf(ev->chain_id, sizeof(ev->chain_id), "%s", CHAIN);
    ev->type = t;
    ev->event_time = 1764000000000;
    ev->tz_offset = -300;
    (void)snprintf(ev->org, sizeof(ev->org), "farm.sunvalley");
    ev->key_id.size = LL_KEYID_LEN;
    ll_keyid(ev->key_id.bytes, key.pk);
    (void)snprintf(ev->location, sizeof(ev->location), "0614141000005");
    ev->lots_count = 1;
    (void)snprintf(ev->lots[0].lot, sizeof(ev->lots[0].lot),
                   "01/00614141777778/10/L2026-11A");
    ev->lots[0].quantity = 1200000;
    (void)snprintf(ev->lots[0].uom, sizeof(ev->lots[0].uom), "KGM");
    switch (t) {
    case lotledger_EventType_COMMISSION:
        (void)snprintf(ev->biz_step, sizeof(ev->biz_step), "commissioning");
        (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "harvesting");
        ev->has_master = true;
        (void)snprintf(ev->master.product, sizeof(ev->master.product),
                       "Romaine lettuce, whole head");
        ev->master.harvest_date = 20261123;
        (void)snprintf(ev->master.country, sizeof(ev->master.country), "US");
        ev->kdes_count = 1;
        (void)snprintf(ev->kdes[0].key, sizeof(ev->kdes[0].key), "field_name");
        (void)snprintf(ev->kdes[0].value, sizeof(ev->kdes[0].value),
                       "North 40");
        break;
    case lotledger_EventType_SHIP:
        (void)snprintf(ev->counterparty, sizeof(ev->counterparty),
                       "packer.coastal");
        ev->docs_count = 1;
        (void)snprintf(ev->docs[0].type, sizeof(ev->docs[0].type), "bol");
        (void)snprintf(ev->docs[0].number, sizeof(ev->docs[0].number),
                       "BOL-7731");
        break;
    case lotledger_EventType_RECEIVE:
    case lotledger_EventType_CORRECT:
        ev->ref.size = 32;
        memset(ev->ref.bytes, 0xab, 32);
        if (t == lotledger_EventType_CORRECT) {
            ev->lots_count = 0;
            (void)snprintf(ev->reason, sizeof(ev->reason), "wrong weight");
        }
        break;
    case lotledger_EventType_TRANSFORM:
        ev->outputs_count = 1;
        (void)snprintf(ev->outputs[0].lot, sizeof(ev->outputs[0].lot),
                       "tlc/gln/0614141000005/SALAD-0042");
        ev->outputs[0].quantity = 500000;
        (void)snprintf(ev->outputs[0].uom, sizeof(ev->outputs[0].uom), "KGM");
        break;
    case lotledger_EventType_OBSERVE:
        ev->sensors_count = 1;
        (void)snprintf(ev->sensors[0].type, sizeof(ev->sensors[0].type),
                       "Temperature");
        ev->sensors[0].value = 9500;
        (void)snprintf(ev->sensors[0].uom, sizeof(ev->sensors[0].uom), "CEL");
        ev->sensors[0].has_max = true;
        ev->sensors[0].max = 5000;
        ev->sensors[0].alarm = true;
        ev->sensors[0].time = 1764000000000;
        break;
    case lotledger_EventType_HOLD:
    case lotledger_EventType_RELEASE:
    case lotledger_EventType_RECALL:
        ev->lots[0].quantity = 0;
        ev->lots[0].uom[0] = '\0';
        (void)snprintf(ev->reason, sizeof(ev->reason), "Listeria test");
        break;
    case lotledger_EventType_DISPOSE:
        (void)snprintf(ev->reason, sizeof(ev->reason), "spoiled");
        break;
    default:
        break;
    }
    return ev;
}

static void sign(struct ll_buf *out, uint8_t id[32], const lotledger_Event *ev)
{
    ll_buf_init(out, LL_EVENT_MAX_BYTES);
    ASSERT_OK(ll_event_sign(out, id, ev, &key));
}

static void test_roundtrip_all_types(void)
{
    setup();
    struct ll_signed_event *se = ll_calloc(1, sizeof(*se));
    ASSERT_NOT_NULL(se);
    for (int t = 1; t <= 10; t++) {
        lotledger_Event *ev = make_event((lotledger_EventType)t);
        struct ll_errmsg e = {{0}};
        int rc = ll_event_check(ev, CHAIN, &e);
        if (rc)
            ll_test_fail(__FILE__, __LINE__, "type %d: %s", t, e.text);
        struct ll_buf b;
        uint8_t id[32];
        sign(&b, id, ev);
        ASSERT_OK(ll_signed_event_decode(se, b.data, b.len, &e));
        ASSERT_MEM_EQ(se->id, id, 32);
        struct ll_buf re;
        ll_buf_init(&re, LL_EVENT_MAX_BYTES);
        ASSERT_OK(ll_event_encode(&re, &se->ev));
        ASSERT_UEQ(re.len, se->ev_len);
        ASSERT_MEM_EQ(re.data, se->ev_bytes, re.len);
        ll_buf_free(&re);
        ASSERT_OK(ll_signed_event_verify(se, key.pk));
        /* The peek at a stored event agrees with the full decode. */
        uint8_t pid[32];
        lotledger_EventType ptype;
        ASSERT_OK(ll_signed_event_peek(b.data, b.len, pid, &ptype));
        ASSERT_MEM_EQ(pid, id, 32);
        ASSERT_EQ(ptype, t);
        ASSERT_ERR(ll_signed_event_peek(b.data, b.len - 1, pid, &ptype),
                   LL_EDECODE);
        /* The id is the tagged hash of exactly the inner event bytes. */
        uint8_t id2[32];
        ll_event_id(id2, se->ev_bytes, se->ev_len);
        ASSERT_MEM_EQ(id2, id, 32);
        ll_buf_free(&b);
        ll_free(ev);
    }
    ll_free(se);
}

/* Our hand-coded envelope is byte for byte nanopb's SignedEvent. */
static void test_envelope_matches_nanopb(void)
{
    setup();
    lotledger_Event *ev = make_event(lotledger_EventType_SHIP);
    struct ll_buf b;
    uint8_t id[32];
    sign(&b, id, ev);
    struct ll_signed_event *se = ll_calloc(1, sizeof(*se));
    ASSERT_NOT_NULL(se);
    ASSERT_OK(ll_signed_event_decode(se, b.data, b.len, NULL));
    lotledger_SignedEvent *pbse = ll_calloc(1, sizeof(*pbse));
    ASSERT_NOT_NULL(pbse);
    pbse->event.size = (pb_size_t)se->ev_len;
    memcpy(pbse->event.bytes, se->ev_bytes, se->ev_len);
    pbse->sig.size = 64;
    memcpy(pbse->sig.bytes, se->sig, 64);
    uint8_t *enc = ll_malloc(LL_EVENT_MAX_BYTES);
    ASSERT_NOT_NULL(enc);
    pb_ostream_t os = pb_ostream_from_buffer(enc, LL_EVENT_MAX_BYTES);
    ASSERT_TRUE(pb_encode(&os, lotledger_SignedEvent_fields, pbse));
    ASSERT_UEQ(os.bytes_written, b.len);
    ASSERT_MEM_EQ(enc, b.data, b.len);
    ll_free(enc);
    ll_free(pbse);
    ll_free(se);
    ll_free(ev);
    ll_buf_free(&b);
}

/* Decode must fail with want, and leave *out zeroed. */
static void expect_decode(const uint8_t *p, size_t n, int want)
{
    lotledger_Event *out = ll_calloc(1, sizeof(*out));
    ASSERT_NOT_NULL(out);
    struct ll_errmsg e = {{0}};
    ASSERT_ERR(ll_event_decode(out, p, n, &e), want);
    ASSERT_TRUE(e.text[0] != '\0');
    ASSERT_EQ(out->version, 0);
    ll_free(out);
}

static void test_noncanonical_rejected(void)
{
    setup();
    lotledger_Event *ev = make_event(lotledger_EventType_SHIP);
    struct ll_buf b;
    ll_buf_init(&b, LL_EVENT_MAX_BYTES);
    ASSERT_OK(ll_event_encode(&b, ev));
    ASSERT_EQ(b.data[0], 0x08); /* field 1 (version) varint */
    ASSERT_EQ(b.data[1], 0x01);
    uint8_t *m = ll_malloc(b.len + 8);
    ASSERT_NOT_NULL(m);
    /* Overlong varint for version: 0x81 0x00 is also 1. */
    m[0] = 0x08;
    m[1] = 0x81;
    m[2] = 0x00;
    memcpy(m + 3, b.data + 2, b.len - 2);
    expect_decode(m, b.len + 1, LL_ENONCANON);
    /* An explicit default: type field (3) encoded... twice, last wins. */
    memcpy(m, b.data, b.len);
    m[b.len] = 0x18;     /* field 3 varint */
    m[b.len + 1] = 0x02; /* SHIP again */
    expect_decode(m, b.len + 2, LL_ENONCANON);
    /* An unknown field (21, varint) is dropped by the decoder: caught. */
    memcpy(m, b.data, b.len);
    m[b.len] = 0xa8;
    m[b.len + 1] = 0x01;
    m[b.len + 2] = 0x05;
    expect_decode(m, b.len + 3, LL_ENONCANON);
    /* Fields out of order: chain_id (2) before version (1). */
    size_t clen = b.data[3];
    memcpy(m, b.data + 2, 2 + clen);
    memcpy(m + 2 + clen, b.data, 2);
    memcpy(m + 4 + clen, b.data + 4 + clen, b.len - 4 - clen);
    expect_decode(m, b.len, LL_ENONCANON);
    /*
     * Truncated anywhere: inside a field it is malformed; at a field
     * boundary it is a shorter, canonical event (what was decoded is exactly
     * the prefix, nothing invented), and the signature covers the length.
     */
    struct ll_buf re;
    ll_buf_init(&re, LL_EVENT_MAX_BYTES);
    size_t boundaries = 0;
    for (size_t n = 1; n < b.len; n++) {
        lotledger_Event *out = ll_calloc(1, sizeof(*out));
        ASSERT_NOT_NULL(out);
        if (ll_event_decode(out, b.data, n, NULL) == 0) {
            ll_buf_reset(&re);
            ASSERT_OK(ll_event_encode(&re, out));
            ASSERT_UEQ(re.len, n);
            ASSERT_MEM_EQ(re.data, b.data, n);
            boundaries++;
        }
        ll_free(out);
    }
    ASSERT_LT(boundaries, 30);
    ll_buf_free(&re);
    /* Garbage wire type. */
    m[0] = 0x0f;
    expect_decode(m, 1, LL_EDECODE);
    ll_free(m);
    ll_buf_free(&b);
    ll_free(ev);
}

static size_t put_varint(uint8_t *p, size_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Field 10 (lots) holding one LotQuantity whose lot id is lotlen 'a's. */
static size_t lots_field(uint8_t *out, size_t lotlen)
{
    uint8_t inner[300];
    size_t k = 0;
    inner[k++] = 0x0a; /* LotQuantity.lot */
    k += put_varint(inner + k, lotlen);
    memset(inner + k, 'a', lotlen);
    k += lotlen;
    size_t n = 0;
    out[n++] = 0x52;
    n += put_varint(out + n, k);
    memcpy(out + n, inner, k);
    return n + k;
}

static void test_limits_rejected_not_truncated(void)
{
    setup();
    /* A lot id string of 129 bytes: over the 128 limit. */
    uint8_t big[400];
    size_t n = lots_field(big, 129);
    expect_decode(big, n, LL_ETOOBIG);
    /* The same with 128 bytes is within the limit. */
    n = lots_field(big, 128);
    lotledger_Event *ok = ll_calloc(1, sizeof(*ok));
    ASSERT_NOT_NULL(ok);
    ASSERT_OK(ll_event_decode(ok, big, n, NULL));
    ASSERT_UEQ(strlen(ok->lots[0].lot), 128);
    ll_free(ok);
    /* 65 lots: over the 64 limit. */
    struct ll_buf b;
    ll_buf_init(&b, LL_EVENT_MAX_BYTES);
    for (int i = 0; i < 65; i++) {
        static const uint8_t lot[] = {0x52, 0x03, 0x0a, 0x01, 'x'};
        ASSERT_OK(ll_buf_append(&b, lot, sizeof(lot)));
    }
    expect_decode(b.data, b.len, LL_ETOOBIG);
    ll_buf_free(&b);
    /* Over the total size limit. */
    uint8_t *huge = ll_calloc(1, LL_EVENT_MAX_BYTES + 1);
    ASSERT_NOT_NULL(huge);
    expect_decode(huge, LL_EVENT_MAX_BYTES + 1, LL_ETOOBIG);
    ll_free(huge);
}

/* Encoding into a buffer with too little room fails cleanly. */
static void test_encode_limit(void)
{
    setup();
    lotledger_Event *ev = make_event(lotledger_EventType_SHIP);
    struct ll_buf b;
    ll_buf_init(&b, LL_EVENT_MAX_BYTES);
    ASSERT_OK(ll_event_encode(&b, ev));
    size_t full = b.len;
    struct ll_buf small;
    ll_buf_init(&small, full - 1);
    ASSERT_ERR(ll_event_encode(&small, ev), LL_ETOOBIG);
    ASSERT_UEQ(small.len, 0);
    ll_buf_free(&small);
    ll_buf_init(&small, full);
    ASSERT_OK(ll_event_encode(&small, ev));
    ASSERT_MEM_EQ(small.data, b.data, full);
    ll_buf_free(&small);
    ll_buf_free(&b);
    ll_free(ev);
}

static void test_envelope_rejects(void)
{
    setup();
    lotledger_Event *ev = make_event(lotledger_EventType_COMMISSION);
    struct ll_buf b;
    uint8_t id[32];
    sign(&b, id, ev);
    struct ll_signed_event *se = ll_calloc(1, sizeof(*se));
    ASSERT_NOT_NULL(se);
    for (size_t n = 0; n < b.len; n++)
        ASSERT_FAILS(ll_signed_event_decode(se, b.data, n, NULL));
    ASSERT_OK(ll_buf_append_byte(&b, 0));
    ASSERT_ERR(ll_signed_event_decode(se, b.data, b.len, NULL), LL_ETRAILING);
    b.len--;
    /* Every single-bit flip: rejected by decoding or by the signature. */
    size_t accepted = 0;
    for (size_t bit = 0; bit < b.len * 8; bit++) {
        b.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (ll_signed_event_decode(se, b.data, b.len, NULL) == 0 &&
            ll_signed_event_verify(se, key.pk) == 0)
            accepted++;
        b.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    ASSERT_UEQ(accepted, 0);
    /* A different key (with its own key id) does not verify. */
    struct ll_keypair other;
    ASSERT_OK(ll_keypair_generate(&other));
    ASSERT_OK(ll_signed_event_decode(se, b.data, b.len, NULL));
    ASSERT_ERR(ll_signed_event_verify(se, other.pk), LL_EBADKEY);
    /* Signing refuses an event whose key id is not the signer's. */
    struct ll_buf b2;
    ll_buf_init(&b2, LL_EVENT_MAX_BYTES);
    ASSERT_ERR(ll_event_sign(&b2, id, ev, &other), LL_EINVAL);
    ASSERT_UEQ(b2.len, 0);
    ll_buf_free(&b);
    ll_free(se);
    ll_free(ev);
}

static void test_gs1_check_digit(void)
{
    static const struct {
        const char *s;
        bool ok;
    } cases[] = {
        {"00614141777778", true},
        {"00614141777779", false},
        {"09501101530003", true},
        {"0614141000005", true},
        {"0614141000006", false},
        {"5400000000003", true},
        {"061414100000a", false},
        {"", false},
        {"7", false},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++)
        ASSERT_EQ(ll_gs1_check_digit_ok(cases[i].s, strlen(cases[i].s)),
                  cases[i].ok);
}

static void test_lotid(void)
{
    static const struct {
        const char *id;
        bool ok;
    } cases[] = {
        {"01/00614141777778/10/987", true},
        {"01/00614141777778/10/A-b_c.(1)/2", true},
        {"01/00614141777778/10/12345678901234567890", true},
        {"01/00614141777778/10/123456789012345678901", false}, /* > 20 */
        {"01/00614141777779/10/987", false},                   /* check */
        {"01/0061414177777/10/987", false},                    /* 13 digits */
        {"01/00614141777778/10/", false},                      /* empty lot */
        {"01/00614141777778/10/a b", false},                   /* space */
        {"01/00614141777778/10/caf\xc3\xa9", false},           /* not CS82 */
        {"01/00614141777778/21/987", false},                   /* serial */
        {"tlc/gln/0614141000005/LOT-1", true},
        {"tlc/gln/0614141000006/LOT-1", false},
        {"tlc/gln/614141000005/LOT-1", false},
        {"tlc/fda/12345678901/LOT-1", true},
        {"tlc/fda/123456789012/LOT-1", false},
        {"tlc/fda/12a/LOT-1", false},
        {"tlc/fda/123/", false},
        {"tlc/fda/123", false},
        {"tlc/url/x/LOT", false},
        {"lot-1", false},
        {"", false},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        struct ll_errmsg e = {{0}};
        int rc = ll_lotid_check(cases[i].id, &e);
        if ((rc == 0) != cases[i].ok)
            ll_test_fail(__FILE__, __LINE__, "lot id '%s': got %d (%s)",
                         cases[i].id, rc, e.text);
        if (rc)
            ASSERT_TRUE(strstr(e.text, "lot") != NULL);
    }
}

/* One mutation per well-formedness rule, applied to a valid event. */
static void m_version(lotledger_Event *ev)
{
    ev->version = 2;
}
static void m_chain(lotledger_Event *ev)
{
    ev->chain_id[0] = 'X';
}
static void m_type(lotledger_Event *ev)
{
    ev->type = (lotledger_EventType)11;
}
static void m_time(lotledger_Event *ev)
{
    ev->event_time = 0;
}
static void m_tz(lotledger_Event *ev)
{
    ev->tz_offset = 15 * 60;
}
static void m_org(lotledger_Event *ev)
{
    ev->org[0] = 'F';
}
static void m_keyid(lotledger_Event *ev)
{
    ev->key_id.size = 7;
}
static void m_bizstep(lotledger_Event *ev)
{
    (void)snprintf(ev->biz_step, sizeof(ev->biz_step), "teleporting");
}
static void m_disp(lotledger_Event *ev)
{
    (void)snprintf(ev->disposition, sizeof(ev->disposition), "gone");
}
static void m_cte(lotledger_Event *ev)
{
    (void)snprintf(ev->fsma_cte, sizeof(ev->fsma_cte), "juggling");
}
static void m_gln(lotledger_Event *ev)
{
    ev->location[12] = '9';
}
static void m_lotid(lotledger_Event *ev)
{
    ev->lots[0].lot[10] = 'x';
}
static void m_qty(lotledger_Event *ev)
{
    ev->lots[0].quantity = 0;
}
static void m_uom(lotledger_Event *ev)
{
    (void)snprintf(ev->lots[0].uom, sizeof(ev->lots[0].uom), "kg");
}
static void m_duplot(lotledger_Event *ev)
{
    ev->lots[1] = ev->lots[0];
    ev->lots_count = 2;
}
static void m_nolots(lotledger_Event *ev)
{
    ev->lots_count = 0;
}
static void m_outputs(lotledger_Event *ev)
{
    ev->outputs_count = 1;
    ev->outputs[0] = ev->lots[0];
}
static void m_counterparty(lotledger_Event *ev)
{
    (void)snprintf(ev->counterparty, sizeof(ev->counterparty), "someone");
}
static void m_ref(lotledger_Event *ev)
{
    ev->ref.size = 32;
}
static void m_doc(lotledger_Event *ev)
{
    ev->docs_count = 1;
    (void)snprintf(ev->docs[0].type, sizeof(ev->docs[0].type), "memo");
    (void)snprintf(ev->docs[0].number, sizeof(ev->docs[0].number), "1");
}
static void m_kde(lotledger_Event *ev)
{
    ev->kdes[1] = ev->kdes[0];
    ev->kdes_count = 2;
}
static void m_date(lotledger_Event *ev)
{
    ev->master.harvest_date = 20260230;
}
static void m_country(lotledger_Event *ev)
{
    (void)snprintf(ev->master.country, sizeof(ev->master.country), "us");
}
static void m_text(lotledger_Event *ev)
{
    (void)snprintf(ev->location, sizeof(ev->location), "dock\x01");
}
static void m_utf8(lotledger_Event *ev)
{
    (void)snprintf(ev->location, sizeof(ev->location), "dock\xc0\xaf");
}

static void test_check_rules(void)
{
    static const struct {
        const char *name;
        void (*mutate)(lotledger_Event *ev);
        const char *want; /* a word the message must contain */
    } cases[] = {
        {"version", m_version, "version"},
        {"chain", m_chain, "chain_id"},
        {"type", m_type, "type"},
        {"time", m_time, "event_time"},
        {"tz", m_tz, "tz_offset"},
        {"org", m_org, "org"},
        {"keyid", m_keyid, "key_id"},
        {"bizstep", m_bizstep, "bizStep"},
        {"disposition", m_disp, "disposition"},
        {"cte", m_cte, "FSMA"},
        {"gln", m_gln, "GLN"},
        {"lotid", m_lotid, "lot id"},
        {"quantity", m_qty, "quantity"},
        {"uom", m_uom, "unit"},
        {"duplicate lot", m_duplot, "twice"},
        {"no lots", m_nolots, "at least one lot"},
        {"outputs", m_outputs, "outputs"},
        {"counterparty", m_counterparty, "counterparty"},
        {"ref", m_ref, "ref"},
        {"doc type", m_doc, "business transaction"},
        {"duplicate kde", m_kde, "twice"},
        {"date", m_date, "YYYYMMDD"},
        {"country", m_country, "ISO 3166"},
        {"control char", m_text, "control"},
        {"bad utf8", m_utf8, "UTF-8"},
    };
    setup();
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        lotledger_Event *ev = make_event(lotledger_EventType_COMMISSION);
        struct ll_errmsg e = {{0}};
        ASSERT_OK(ll_event_check(ev, CHAIN, NULL));
        cases[i].mutate(ev);
        int rc = ll_event_check(ev, CHAIN, &e);
        if (rc != LL_EINVAL || strstr(e.text, cases[i].want) == NULL)
            ll_test_fail(__FILE__, __LINE__, "%s: rc %d, message '%s'",
                         cases[i].name, rc, e.text);
        ll_free(ev);
    }
}

static void test_type_rules(void)
{
    setup();
    /* Ship without a counterparty; to itself; receive without ref. */
    lotledger_Event *ev = make_event(lotledger_EventType_SHIP);
    ev->counterparty[0] = '\0';
    ASSERT_ERR(ll_event_check(ev, CHAIN, NULL), LL_EINVAL);
    (void)snprintf(ev->counterparty, sizeof(ev->counterparty), "%s", ev->org);
    ASSERT_ERR(ll_event_check(ev, CHAIN, NULL), LL_EINVAL);
    ll_free(ev);
    ev = make_event(lotledger_EventType_RECEIVE);
    ev->ref.size = 0;
    ASSERT_ERR(ll_event_check(ev, CHAIN, NULL), LL_EINVAL);
    ll_free(ev);
    /* Transform without outputs; input listed as output. */
    ev = make_event(lotledger_EventType_TRANSFORM);
    ev->outputs_count = 0;
    ASSERT_ERR(ll_event_check(ev, CHAIN, NULL), LL_EINVAL);
    ev->outputs_count = 1;
    ev->outputs[0] = ev->lots[0];
    ASSERT_ERR(ll_event_check(ev, CHAIN, NULL), LL_EINVAL);
    ll_free(ev);
    /* Hold needs a reason and acts on the whole lot. */
    ev = make_event(lotledger_EventType_HOLD);
    ev->reason[0] = '\0';
    ASSERT_ERR(ll_event_check(ev, CHAIN, NULL), LL_EINVAL);
    ll_free(ev);
    ev = make_event(lotledger_EventType_HOLD);
    ev->lots[0].quantity = 5;
    ASSERT_ERR(ll_event_check(ev, CHAIN, NULL), LL_EINVAL);
    ll_free(ev);
    /* Master data only on commission and transform. */
    ev = make_event(lotledger_EventType_SHIP);
    ev->has_master = true;
    ASSERT_ERR(ll_event_check(ev, CHAIN, NULL), LL_EINVAL);
    ll_free(ev);
    /* Correct takes no lots. */
    ev = make_event(lotledger_EventType_CORRECT);
    ev->lots_count = 1;
    ASSERT_ERR(ll_event_check(ev, CHAIN, NULL), LL_EINVAL);
    ll_free(ev);
    /* Sensor with min > max. */
    ev = make_event(lotledger_EventType_OBSERVE);
    ev->sensors[0].has_min = true;
    ev->sensors[0].min = 6000;
    ASSERT_ERR(ll_event_check(ev, CHAIN, NULL), LL_EINVAL);
    ll_free(ev);
}

static void test_type_names(void)
{
    for (int t = 1; t <= 10; t++) {
        lotledger_EventType got = lotledger_EventType_EVENT_TYPE_UNSPECIFIED;
        const char *n = ll_event_type_name((lotledger_EventType)t);
        ASSERT_NOT_NULL(n);
        ASSERT_OK(ll_event_type_parse(&got, n));
        ASSERT_EQ(got, t);
    }
    lotledger_EventType got = lotledger_EventType_SHIP;
    ASSERT_ERR(ll_event_type_parse(&got, "teleport"), LL_EINVAL);
    ASSERT_EQ(got, lotledger_EventType_SHIP);
    ASSERT_TRUE(ll_event_type_name((lotledger_EventType)0) == NULL);
    ASSERT_TRUE(ll_cbv_is_bizstep("shipping"));
    ASSERT_FALSE(ll_cbv_is_bizstep("Shipping"));
    ASSERT_TRUE(ll_cbv_is_disposition("recalled"));
}

/* Every type: signed protobuf -> JSON -> protobuf gives the same bytes. */
static void test_json_roundtrip(void)
{
    setup();
    struct ll_signed_event *se = ll_calloc(1, sizeof(*se));
    lotledger_Event *scratch = ll_malloc(sizeof(*scratch));
    ASSERT_NOT_NULL(se);
    ASSERT_NOT_NULL(scratch);
    for (int t = 1; t <= 10; t++) {
        lotledger_Event *ev = make_event((lotledger_EventType)t);
        if (t == lotledger_EventType_OBSERVE) {
            ev->sensors[0].has_min = true; /* min = 0 is not "absent" */
            ev->sensors[0].min = 0;
            ev->sensors[0].value = -1500;
        }
        struct ll_buf pb;
        struct ll_buf js;
        struct ll_buf back;
        struct ll_errmsg e = {{0}};
        uint8_t id[32];
        sign(&pb, id, ev);
        ASSERT_OK(ll_signed_event_decode(se, pb.data, pb.len, &e));
        ll_buf_init(&js, 1 << 20);
        ll_buf_init(&back, LL_EVENT_MAX_BYTES);
        ASSERT_OK(ll_signed_event_json_encode(&js, se));
        int rc = ll_signed_event_json_decode(&back, scratch,
                                             (const char *)js.data, js.len, &e);
        if (rc)
            ll_test_fail(__FILE__, __LINE__, "type %d: %s", t, e.text);
        ASSERT_UEQ(back.len, pb.len);
        ASSERT_MEM_EQ(back.data, pb.data, pb.len);
        ll_buf_free(&pb);
        ll_buf_free(&js);
        ll_buf_free(&back);
        ll_free(ev);
    }
    ll_free(scratch);
    ll_free(se);
}

/* Bad JSON is refused with the field named; nothing is half-decoded. */
static void test_json_rejects(void)
{
    static const struct {
        const char *json;
        int rc;
        const char *word;
    } cases[] = {
        {"", LL_EDECODE, "malformed JSON"},
        {"[1]", LL_EDECODE, "object"},
        {"{\"event\":{\"type\":\"ship\"}}", LL_EDECODE, "sig: missing"},
        {"{\"sig\":\"00\"}", LL_EDECODE, "event: missing"},
        {"{\"event\":{},\"sig\":\"zz\",\"x\":1}", LL_EDECODE,
         "x: unknown field"},
        {"{\"event\":{\"colour\":\"red\"}}", LL_EDECODE,
         "event.colour: unknown field"},
        {"{\"event\":{\"type\":\"teleport\"}}", LL_EDECODE, "event.type"},
        {"{\"event\":{\"type\":\"ship\",\"type\":\"ship\"}}", LL_EDECODE,
         "duplicate"},
        {"{\"event\":{\"event_time\":\"soon\"}}", LL_EDECODE,
         "event.event_time: must be an integer"},
        {"{\"event\":{\"tz_offset\":99999999999}}", LL_ERANGE,
         "event.tz_offset"},
        {"{\"event\":{\"lots\":[{\"lot\":\"a\",\"quantity\":-1}]}}", LL_ERANGE,
         "event.lots[0].quantity"},
        {"{\"event\":{\"lots\":[{\"lot\":\"a\",\"weight\":1}]}}", LL_EDECODE,
         "event.lots[0].weight: unknown field"},
        {"{\"event\":{\"lots\":[1]}}", LL_EDECODE, "event.lots[0]: must be"},
        {"{\"event\":{\"lots\":{}}}", LL_EDECODE, "event.lots: must be an"},
        {"{\"event\":{\"org\":\"0123456789012345678901234567890123456789"
         "012345678901234567890123456789\"}}",
         LL_ETOOBIG, "event.org: 70 bytes"},
        {"{\"event\":{\"org\":\"a\\u0000b\"}}", LL_EDECODE, "NUL"},
        {"{\"event\":{\"key_id\":\"abcd\"}}", LL_EDECODE,
         "event.key_id: must be 16 hex digits"},
        {"{\"event\":{\"master\":{\"expiry\":100000000}}}", LL_ERANGE,
         "event.master.expiry"},
        {"{\"event\":{\"sensors\":[{\"alarm\":1}]}}", LL_EDECODE,
         "event.sensors[0].alarm"},
        {"{\"event\":{\"kdes\":[{\"key\":\"k\",\"val\":\"v\"}]}}", LL_EDECODE,
         "event.kdes[0].val: unknown field"},
        /* Fuzz finding: every field zero encodes to no bytes at all. */
        {"{\"event\":{\"version\":0,\"chain_id\":\"\"}}", LL_EDECODE,
         "event: every field is empty or zero"},
    };
    setup();
    lotledger_Event *scratch = ll_malloc(sizeof(*scratch));
    ASSERT_NOT_NULL(scratch);
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        struct ll_buf out;
        struct ll_errmsg e = {{0}};
        ll_buf_init(&out, LL_EVENT_MAX_BYTES);
        const char *j = cases[i].json;
        /* Complete the envelope for event-level cases. */
        char text[512];
        if (i >= 5) /* the event-level cases */
            (void)snprintf(text, sizeof(text), "%.*s,\"sig\":\"%0128d\"}",
                           (int)strlen(j) - 1, j, 0);
        else
            (void)snprintf(text, sizeof(text), "%s", j);
        int rc =
            ll_signed_event_json_decode(&out, scratch, text, strlen(text), &e);
        if (rc != cases[i].rc || strstr(e.text, cases[i].word) == NULL)
            ll_test_fail(__FILE__, __LINE__,
                         "case %zu %s: got %s '%s', want %s '%s'", i, text,
                         ll_err_name(rc), e.text, ll_err_name(cases[i].rc),
                         cases[i].word);
        ASSERT_UEQ(out.len, 0);
        ll_buf_free(&out);
    }
    /* Too many lots: the array size is checked before anything is read. */
    struct ll_buf big;
    ll_buf_init(&big, 1 << 20);
    ASSERT_OK(ll_buf_printf(&big, "{\"lots\":["));
    for (int i = 0; i < 65; i++)
        ASSERT_OK(ll_buf_printf(&big, "%s{\"lot\":\"x\"}", i ? "," : ""));
    ASSERT_OK(ll_buf_printf(&big, "]}"));
    struct ll_errmsg e = {{0}};
    ASSERT_ERR(
        ll_event_json_decode(scratch, (const char *)big.data, big.len, &e),
        LL_ETOOBIG);
    ASSERT_TRUE(strstr(e.text, "lots: 65 entries, at most 64") != NULL);
    ll_buf_free(&big);
    ll_free(scratch);
}

/* An "id" that does not match the fields is refused. */
static void test_json_id_mismatch(void)
{
    setup();
    struct ll_signed_event *se = ll_calloc(1, sizeof(*se));
    lotledger_Event *scratch = ll_malloc(sizeof(*scratch));
    ASSERT_NOT_NULL(se);
    ASSERT_NOT_NULL(scratch);
    lotledger_Event *ev = make_event(lotledger_EventType_SHIP);
    struct ll_buf pb;
    struct ll_buf js;
    struct ll_buf out;
    struct ll_errmsg e = {{0}};
    uint8_t id[32];
    sign(&pb, id, ev);
    ASSERT_OK(ll_signed_event_decode(se, pb.data, pb.len, &e));
    se->ev.event_time++; /* the JSON now says another time than was signed */
    ll_buf_init(&js, 1 << 20);
    ll_buf_init(&out, LL_EVENT_MAX_BYTES);
    ASSERT_OK(ll_signed_event_json_encode(&js, se));
    ASSERT_ERR(ll_signed_event_json_decode(&out, scratch, (const char *)js.data,
                                           js.len, &e),
               LL_EVERIFY);
    ASSERT_TRUE(strstr(e.text, "id: does not match") != NULL);
    ASSERT_UEQ(out.len, 0);
    ll_buf_free(&pb);
    ll_buf_free(&js);
    ll_buf_free(&out);
    ll_free(ev);
    ll_free(scratch);
    ll_free(se);
}

static const struct ll_test tests[] = {
    {"roundtrip_all_types", test_roundtrip_all_types},
    {"envelope_matches_nanopb", test_envelope_matches_nanopb},
    {"noncanonical_rejected", test_noncanonical_rejected},
    {"limits_rejected_not_truncated", test_limits_rejected_not_truncated},
    {"envelope_rejects", test_envelope_rejects},
    {"encode_limit", test_encode_limit},
    {"gs1_check_digit", test_gs1_check_digit},
    {"lotid", test_lotid},
    {"check_rules", test_check_rules},
    {"type_rules", test_type_rules},
    {"type_names", test_type_names},
    {"json_roundtrip", test_json_roundtrip},
    {"json_rejects", test_json_rejects},
    {"json_id_mismatch", test_json_id_mismatch},
};

LL_TEST_MAIN(tests)
