/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ledger/chain: genesis parsing (one case per rule), the
 * genesis hash, validator sets, the header layout and commit verification
 * (quorum thresholds, bad signatures, wrong sets, malformed encodings).
 */
#include "../../ledger/chain.h"
#include "test.h"

#define NKEYS 5

static struct ll_keypair keys[NKEYS];
static char pkhex[NKEYS][65];

static void setup(void)
{
    ASSERT_OK(ll_crypto_init());
    for (int i = 0; i < NKEYS; i++) {
        uint8_t sk[32];
        memset(sk, 0x30 + i, sizeof(sk));
        ASSERT_OK(ll_keypair_from_seckey(&keys[i], sk));
        ASSERT_OK(ll_hex_encode(pkhex[i], sizeof(pkhex[i]), keys[i].pk, 32));
    }
}

/* A valid genesis with four validators (powers p[0..3]) and a regulator. */
static char *genesis_json(const unsigned p[4])
{
    struct ll_buf b;
    ll_buf_init(&b, 1 << 16);
    ASSERT_OK(ll_buf_printf(&b, "{\"chain_id\": \"test-net\", "
                                "\"genesis_time\": \"2026-11-24T00:00:00Z\", "
                                "\"orgs\": ["));
    for (int i = 0; i < 4; i++)
        ASSERT_OK(ll_buf_printf(&b,
                                "{\"id\": \"org%d\", \"name\": \"Org %d\", "
                                "\"gln\": \"0614141000005\", \"keys\": "
                                "[\"%s\"], \"roles\": [\"member\", "
                                "\"validator\"], \"power\": %u},",
                                3 - i, i, pkhex[i], p[i]));
    ASSERT_OK(ll_buf_printf(&b,
                            "{\"id\": \"fda\", \"name\": \"FDA\", "
                            "\"keys\": [\"%s\"], \"roles\": "
                            "[\"regulator\"]}]}",
                            pkhex[4]));
    ASSERT_OK(ll_buf_cstr(&b));
    return (char *)b.data;
}

static struct ll_genesis *parse_ok(const char *json)
{
    struct ll_genesis *g = ll_calloc(1, sizeof(*g));
    ASSERT_NOT_NULL(g);
    struct ll_errmsg e = {{0}};
    int rc = ll_genesis_parse(g, json, strlen(json), &e);
    if (rc)
        ll_test_fail(__FILE__, __LINE__, "genesis: %s", e.text);
    return g;
}

static void test_genesis_valid(void)
{
    static const unsigned p[4] = {1, 1, 1, 1};
    setup();
    char *json = genesis_json(p);
    struct ll_genesis *g = parse_ok(json);
    ASSERT_STR_EQ(g->chain_id, "test-net");
    ASSERT_UEQ(g->norgs, 5);
    /* Sorted by id. */
    ASSERT_STR_EQ(g->orgs[0].id, "fda");
    ASSERT_STR_EQ(g->orgs[1].id, "org0");
    const lotledger_OrgState *o = ll_genesis_org(g, "org3");
    ASSERT_NOT_NULL(o);
    ASSERT_MEM_EQ(o->keys[0].pk.bytes, keys[0].pk, 32);
    ASSERT_EQ(o->roles, LL_ROLE_MEMBER | LL_ROLE_VALIDATOR);
    ASSERT_EQ(ll_genesis_org(g, "fda")->roles, LL_ROLE_REGULATOR);
    ASSERT_TRUE(ll_genesis_org(g, "nobody") == NULL);
    int64_t t = 0;
    ASSERT_OK(ll_time_parse(&t, NULL, "2026-11-24T00:00:00Z"));
    ASSERT_EQ(g->time_ms, t);
    /* Whitespace does not change the hash; any value does. */
    struct ll_genesis *g2 = parse_ok(json);
    ASSERT_MEM_EQ(g->hash, g2->hash, 32);
    ll_free(g2);
    static const unsigned p2[4] = {1, 1, 1, 2};
    char *json2 = genesis_json(p2);
    g2 = parse_ok(json2);
    ASSERT_FALSE(memcmp(g->hash, g2->hash, 32) == 0);
    ll_free(g2);
    ll_free(json2);
    ll_free(g);
    ll_free(json);
}

static void test_genesis_rejects(void)
{
    setup();
    char k0[200];
    (void)snprintf(k0, sizeof(k0), "\"keys\": [\"%s\"]", pkhex[0]);
    char k1[200];
    (void)snprintf(k1, sizeof(k1), "\"keys\": [\"%s\"]", pkhex[1]);
    static const char *const head =
        "{\"chain_id\": \"n\", \"genesis_time\": \"2026-11-24T00:00:00Z\", "
        "\"orgs\": [";
    struct {
        const char *orgs; /* the orgs array body, or a whole document */
        int rc;
        const char *want;
    } cases[] = {
        {"{\"id\": \"a\", \"name\": \"A\", %K0, \"roles\": [\"member\"]}",
         LL_EINVAL, "validator"},
        {"{\"id\": \"a\", \"name\": \"A\", %K0, \"roles\": [\"validator\"], "
         "\"power\": 1, \"colour\": 1}",
         LL_EDECODE, "unknown field 'colour'"},
        {"{\"id\": \"A\", \"name\": \"A\", %K0, \"roles\": [\"validator\"], "
         "\"power\": 1}",
         LL_EINVAL, "id"},
        {"{\"id\": \"a\", \"name\": \"A\", \"keys\": [\"00\"], \"roles\": "
         "[\"validator\"], \"power\": 1}",
         LL_EINVAL, "public key"},
        {"{\"id\": \"a\", \"name\": \"A\", \"gln\": \"0614141000006\", %K0, "
         "\"roles\": [\"validator\"], \"power\": 1}",
         LL_EINVAL, "check digit"},
        {"{\"id\": \"a\", \"name\": \"A\", %K0, \"roles\": [\"validator\"]}",
         LL_EINVAL, "power"},
        {"{\"id\": \"a\", \"name\": \"A\", %K0, \"roles\": [\"member\"], "
         "\"power\": 3}, {\"id\": \"b\", \"name\": \"B\", %K1, \"roles\": "
         "[\"validator\"], \"power\": 1}",
         LL_EINVAL, "only for validators"},
        {"{\"id\": \"a\", \"name\": \"A\", %K0, \"roles\": [\"king\"]}",
         LL_EINVAL, "role"},
        {"{\"id\": \"a\", \"name\": \"A\", %K0, \"roles\": [\"validator\"], "
         "\"power\": 1}, {\"id\": \"a\", \"name\": \"B\", %K1, \"roles\": "
         "[\"member\"]}",
         LL_EINVAL, "twice"},
        {"{\"id\": \"a\", \"name\": \"A\", %K0, \"roles\": [\"validator\"], "
         "\"power\": 1}, {\"id\": \"b\", \"name\": \"B\", %K0, \"roles\": "
         "[\"member\"]}",
         LL_EINVAL, "also listed"},
        {"{\"id\": \"a\", \"name\": \"\", %K0, \"roles\": [\"validator\"], "
         "\"power\": 1}",
         LL_EINVAL, "name"},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        struct ll_buf b;
        ll_buf_init(&b, 1 << 16);
        ASSERT_OK(ll_buf_printf(&b, "%s", head));
        for (const char *p = cases[i].orgs; *p != '\0'; p++) {
            if (strncmp(p, "%K0", 3) == 0 || strncmp(p, "%K1", 3) == 0) {
                ASSERT_OK(ll_buf_printf(&b, "%s", p[2] == '0' ? k0 : k1));
                p += 2;
            } else {
                ASSERT_OK(ll_buf_append_byte(&b, (uint8_t)*p));
            }
        }
        ASSERT_OK(ll_buf_printf(&b, "]}"));
        struct ll_genesis *g = ll_calloc(1, sizeof(*g));
        ASSERT_NOT_NULL(g);
        struct ll_errmsg e = {{0}};
        int rc = ll_genesis_parse(g, (const char *)b.data, b.len, &e);
        if (rc != cases[i].rc || strstr(e.text, cases[i].want) == NULL)
            ll_test_fail(__FILE__, __LINE__, "case %zu: rc %d, '%s'", i, rc,
                         e.text);
        ASSERT_UEQ(g->norgs, 0); /* nothing written */
        ll_free(g);
        ll_buf_free(&b);
    }
    /* Whole-document errors. */
    static const struct {
        const char *doc;
        int rc;
    } docs[] = {
        {"", LL_EDECODE},
        {"[]", LL_EDECODE},
        {"{\"chain_id\": \"n\", \"chain_id\": \"m\"}", LL_EDECODE},
        {"{\"chain_id\": \"n\", \"genesis_time\": \"yesterday\", \"orgs\": "
         "[]}",
         LL_EINVAL},
        {"{\"chain_id\": \"n\", \"genesis_time\": \"2026-11-24T00:00:00Z\", "
         "\"orgs\": []}",
         LL_EDECODE},
        {"{\"chain_id\": \"N!\"}", LL_EINVAL},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(docs); i++) {
        struct ll_genesis *g = ll_calloc(1, sizeof(*g));
        ASSERT_NOT_NULL(g);
        ASSERT_ERR(ll_genesis_parse(g, docs[i].doc, strlen(docs[i].doc), NULL),
                   docs[i].rc);
        ll_free(g);
    }
}

static void test_header_layout(void)
{
    struct ll_header h;
    struct ll_header d;
    uint8_t enc[LL_HEADER_LEN + 1];
    setup();
    memset(&h, 0, sizeof(h));
    h.version = LL_HEADER_VERSION;
    h.height = 0x0102030405060708ull;
    h.time_ms = 1795505400250;
    memset(h.genesis, 0xa1, 32);
    memset(h.prev, 0xa2, 32);
    memset(h.valset, 0xa3, 32);
    memset(h.next_valset, 0xa4, 32);
    memset(h.tx_root, 0xa5, 32);
    memset(h.state_root, 0xa6, 32);
    memset(h.proposer, 0xa7, 32);
    h.n_events = 1000;
    ll_header_encode(enc, &h);
    /* Spot-check the documented offsets. */
    ASSERT_EQ(enc[3], 1);
    ASSERT_EQ(enc[4], 0xa1);
    ASSERT_EQ(enc[36], 0x01);
    ASSERT_EQ(enc[43], 0x08);
    ASSERT_EQ(enc[52], 0xa2);
    ASSERT_EQ(enc[84], 0xa3);
    ASSERT_EQ(enc[116], 0xa4);
    ASSERT_EQ(enc[148], 0xa5);
    ASSERT_EQ(enc[180], 0xa6);
    ASSERT_EQ(enc[212], 0xa7);
    ASSERT_EQ(ll_load_be32(enc + 244), 1000);
    ASSERT_OK(ll_header_decode(&d, enc, LL_HEADER_LEN));
    ASSERT_UEQ(d.height, h.height);
    ASSERT_EQ(d.time_ms, h.time_ms);
    ASSERT_MEM_EQ(d.state_root, h.state_root, 32);
    ASSERT_UEQ(d.n_events, 1000);
    ASSERT_ERR(ll_header_decode(&d, enc, LL_HEADER_LEN - 1), LL_ETRUNC);
    ASSERT_ERR(ll_header_decode(&d, enc, LL_HEADER_LEN + 1), LL_ETRAILING);
    enc[3] = 2;
    ASSERT_ERR(ll_header_decode(&d, enc, LL_HEADER_LEN), LL_EVERSION);
}

/* Build a valset for powers p, a header naming it, and sign with mask. */
static void commit_case(const unsigned p[4], unsigned mask, int want)
{
    char *json = genesis_json(p);
    struct ll_genesis *g = parse_ok(json);
    struct ll_valset *vs = ll_calloc(1, sizeof(*vs));
    struct ll_commit *c = ll_calloc(1, sizeof(*c));
    ASSERT_NOT_NULL(vs);
    ASSERT_NOT_NULL(c);
    ASSERT_OK(ll_valset_from_genesis(vs, g));
    ASSERT_UEQ(vs->n, 4);
    struct ll_header h;
    memset(&h, 0, sizeof(h));
    h.version = LL_HEADER_VERSION;
    h.height = 7;
    memcpy(h.genesis, g->hash, 32);
    memcpy(h.valset, vs->hash, 32);
    for (int i = 0; i < 4; i++)
        if (mask & (1u << i))
            ASSERT_OK(ll_commit_sign(c, vs, &h, &keys[i]));
    struct ll_errmsg e = {{0}};
    ASSERT_ERR(ll_commit_verify(&h, c, vs, &e), want);
    /* Encode / decode round trip keeps the verdict. */
    uint8_t buf[LL_COMMIT_MAX];
    size_t n = ll_commit_encode(buf, sizeof(buf), c);
    ASSERT_GT(n, 0);
    struct ll_commit *c2 = ll_calloc(1, sizeof(*c2));
    ASSERT_NOT_NULL(c2);
    ASSERT_OK(ll_commit_decode(c2, buf, n));
    ASSERT_ERR(ll_commit_verify(&h, c2, vs, NULL), want);
    ll_free(c2);
    ll_free(c);
    ll_free(vs);
    ll_free(g);
    ll_free(json);
}

static void test_commit_quorum(void)
{
    static const unsigned eq[4] = {1, 1, 1, 1};
    static const unsigned heavy[4] = {10, 1, 1, 1};
    setup();
    commit_case(eq, 0xf, 0);
    commit_case(eq, 0x7, 0);            /* 3 of 4 > 2/3 */
    commit_case(eq, 0x3, LL_EPROOF);    /* 2 of 4 */
    commit_case(eq, 0x0, LL_EPROOF);    /* nobody */
    commit_case(heavy, 0x1, 0);         /* 10 of 13 */
    commit_case(heavy, 0xe, LL_EPROOF); /* 3 of 13 */
    static const unsigned exact[4] = {2, 1, 1, 2};
    /* 4 of 6 is exactly 2/3: not more, so rejected; 5 of 6 passes. */
    commit_case(exact, 0x9, LL_EPROOF);
    commit_case(exact, 0xb, 0);
}

static void test_commit_tamper(void)
{
    static const unsigned p[4] = {1, 1, 1, 1};
    setup();
    char *json = genesis_json(p);
    struct ll_genesis *g = parse_ok(json);
    struct ll_valset *vs = ll_calloc(1, sizeof(*vs));
    struct ll_commit *c = ll_calloc(1, sizeof(*c));
    ASSERT_NOT_NULL(vs);
    ASSERT_NOT_NULL(c);
    ASSERT_OK(ll_valset_from_genesis(vs, g));
    struct ll_header h;
    memset(&h, 0, sizeof(h));
    h.version = LL_HEADER_VERSION;
    h.height = 9;
    memcpy(h.valset, vs->hash, 32);
    for (int i = 0; i < 4; i++)
        ASSERT_OK(ll_commit_sign(c, vs, &h, &keys[i]));
    ASSERT_ERR(ll_commit_sign(c, vs, &h, &keys[0]), LL_EEXIST);
    ASSERT_ERR(ll_commit_sign(c, vs, &h, &keys[4]), LL_ENOTFOUND);
    ASSERT_OK(ll_commit_verify(&h, c, vs, NULL));
    /* A changed header invalidates every signature. */
    h.height = 10;
    ASSERT_ERR(ll_commit_verify(&h, c, vs, NULL), LL_EBADSIG);
    h.height = 9;
    c->sigs[2].sig[5] ^= 1;
    struct ll_errmsg e = {{0}};
    ASSERT_ERR(ll_commit_verify(&h, c, vs, &e), LL_EBADSIG);
    ASSERT_TRUE(strstr(e.text, "validator 2") != NULL);
    c->sigs[2].sig[5] ^= 1;
    /* The header must name this set. */
    h.valset[0] ^= 1;
    ASSERT_ERR(ll_commit_verify(&h, c, vs, NULL), LL_EVERIFY);
    h.valset[0] ^= 1;
    /* A repeated signer cannot count twice. */
    c->sigs[1] = c->sigs[0];
    ASSERT_ERR(ll_commit_verify(&h, c, vs, NULL), LL_EVERIFY);
    /* Malformed encodings. */
    uint8_t buf[LL_COMMIT_MAX];
    c->sigs[1].index = 1;
    size_t n = ll_commit_encode(buf, sizeof(buf), c);
    struct ll_commit *d = ll_calloc(1, sizeof(*d));
    ASSERT_NOT_NULL(d);
    ASSERT_ERR(ll_commit_decode(d, buf, n - 1), LL_ETRUNC);
    ASSERT_ERR(ll_commit_decode(d, buf, 1), LL_ETRUNC);
    buf[n] = 0;
    ASSERT_ERR(ll_commit_decode(d, buf, n + 1), LL_ETRAILING);
    buf[2 + 66 + 1] = 0; /* second index = first index */
    ASSERT_ERR(ll_commit_decode(d, buf, n), LL_EDECODE);
    buf[0] = 0xff;
    ASSERT_ERR(ll_commit_decode(d, buf, n), LL_ETOOBIG);
    ll_free(d);
    ll_free(c);
    ll_free(vs);
    ll_free(g);
    ll_free(json);
}

static void test_genesis_file(void)
{
    static const unsigned p[4] = {1, 1, 1, 1};
    char dir[512];
    char path[600];
    setup();
    ll_test_tmpdir(dir, sizeof(dir));
    (void)snprintf(path, sizeof(path), "%s/genesis.json", dir);
    char *json = genesis_json(p);
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    ASSERT_UEQ(fwrite(json, 1, strlen(json), f), strlen(json));
    ASSERT_OK(fclose(f));
    struct ll_genesis *g = ll_calloc(1, sizeof(*g));
    ASSERT_NOT_NULL(g);
    ASSERT_OK(ll_genesis_load(g, path, NULL));
    ASSERT_UEQ(g->norgs, 5);
    struct ll_errmsg e = {{0}};
    (void)snprintf(path, sizeof(path), "%s/missing.json", dir);
    ASSERT_ERR(ll_genesis_load(g, path, &e), LL_EIO);
    ASSERT_TRUE(strstr(e.text, "missing.json") != NULL);
    ll_test_rmrf(dir);
    ll_free(g);
    ll_free(json);
}

/* Writing a genesis and parsing it back gives the same genesis hash. */
static void test_genesis_json_roundtrip(void)
{
    static const unsigned p[4] = {3, 1, 4, 1};
    setup();
    char *json = genesis_json(p);
    struct ll_genesis *g = parse_ok(json);
    g->orgs[1].noise_key.size = 32;
    memset(g->orgs[1].noise_key.bytes, 0x5c, 32);
    struct ll_buf b;
    ll_buf_init(&b, LL_GENESIS_MAX);
    ASSERT_OK(ll_genesis_to_json(&b, g));
    struct ll_genesis *g2 = parse_ok((const char *)b.data);
    ASSERT_UEQ(g2->norgs, g->norgs);
    ASSERT_EQ(g2->time_ms, g->time_ms);
    ASSERT_MEM_EQ(g2->orgs[1].noise_key.bytes, g->orgs[1].noise_key.bytes, 32);
    /* g's hash predates the noise key; the rewrite must carry it. */
    struct ll_buf b2;
    ll_buf_init(&b2, LL_GENESIS_MAX);
    ASSERT_OK(ll_genesis_to_json(&b2, g2));
    ASSERT_UEQ(b2.len, b.len);
    ASSERT_MEM_EQ(b2.data, b.data, b.len);
    struct ll_genesis *g3 = parse_ok((const char *)b2.data);
    ASSERT_MEM_EQ(g3->hash, g2->hash, 32);
    ASSERT_TRUE(strstr((const char *)b.data, "\"power\": 4") != NULL);
    ll_buf_free(&b);
    ll_buf_free(&b2);
    ll_free(g3);
    ll_free(g2);
    ll_free(g);
    ll_free(json);
}

static const struct ll_test tests[] = {
    {"genesis_json_roundtrip", test_genesis_json_roundtrip},
    {"genesis_valid", test_genesis_valid},
    {"genesis_rejects", test_genesis_rejects},
    {"genesis_file", test_genesis_file},
    {"header_layout", test_header_layout},
    {"commit_quorum", test_commit_quorum},
    {"commit_tamper", test_commit_tamper},
};

LL_TEST_MAIN(tests)
