/* SPDX-License-Identifier: MIT */
/*
 * EPCIS 2.0 capture mapping: GS1 identifier forms, one case per event
 * kind, the openepcis test documents (the lot-level one maps, the
 * instance-level ones and every invalid one are refused with a message),
 * and strictness.
 */
#include <dirent.h>

#include "../../ledger/epcis.h"
#include "ledger_fixture.h"

static struct ll_genesis *g;

static int map(lotledger_Event *ev, const char *json, struct ll_errmsg *e)
{
    uint8_t kid[LL_KEYID_LEN];
    if (g == NULL)
        g = fx_genesis();
    ll_keyid(kid, fx_keys[FX_FARM].pk);
    struct ll_epcis_ctx ctx = {g, "farm", kid};
    memset(ev, 0, sizeof(*ev));
    return ll_epcis_to_event(ev, json, strlen(json), &ctx, e);
}

static void test_identifiers(void)
{
    char lot[LL_LOTID_MAX + 1];
    char gln[14];
    struct ll_errmsg e = {{0}};
    /* lgtin URN: indicator digit first, then the company prefix. */
    ASSERT_OK(ll_epcis_lot_id(lot, sizeof(lot),
                              "urn:epc:class:lgtin:4023333.055555.ABC123", &e));
    ASSERT_STR_EQ(lot, "01/04023333555555/10/ABC123");
    ASSERT_OK(ll_epcis_lot_id(lot, sizeof(lot),
                              "urn:epc:class:lgtin:0614141.177777.L%2F7", &e));
    ASSERT_STR_EQ(lot, "01/10614141777775/10/L/7");
    ASSERT_OK(ll_epcis_lot_id(lot, sizeof(lot),
                              "https://id.gs1.org/01/70614141123451/10/998877",
                              &e));
    ASSERT_STR_EQ(lot, "01/70614141123451/10/998877");
    ASSERT_OK(ll_epcis_lot_id(
        lot, sizeof(lot), "https://brand.example/p/01/00614141777778/10/A%2B1",
        &e));
    ASSERT_STR_EQ(lot, "01/00614141777778/10/A+1");
    /* Any Digital Link spelling: a GTIN-12, data attributes, linkType. */
    ASSERT_OK(ll_epcis_lot_id(
        lot, sizeof(lot),
        "https://id.gs1.org/01/614141777778/10/B?17=261231&linkType=x", &e));
    ASSERT_STR_EQ(lot, "01/00614141777778/10/B");
    ASSERT_OK(
        ll_epcis_lot_id(lot, sizeof(lot), "tlc/gln/0614141000005/K-1", &e));
    ASSERT_STR_EQ(lot, "tlc/gln/0614141000005/K-1");
    static const char *const bad[] = {
        "urn:epc:class:lgtin:4023333.05555.ABC", /* 12 digits */
        "urn:epc:class:lgtin:4023333.055555",    /* no lot */
        "urn:epc:class:lgtin:40233x3.055555.A",
        "urn:epc:class:lgtin:4023333.055555.%zz",
        "https://id.gs1.org/01/70614141123452/10/1",      /* check digit */
        "https://id.gs1.org/01/70614141123451/21/1",      /* serial, no lot */
        "https://id.gs1.org/01/70614141123451/10/1/21/5", /* an instance */
        "https://id.gs1.org/01/70614141123451/22/V/10/1", /* a variant */
        "https://id.gs1.org/01/70614141123451/10/1?17=261399", /* a date */
        "https://id.gs1.org/01/70614141123451/10/1/22/V",      /* key order */
        "urn:epc:id:sgtin:0614141.107346.2018",
        "",
        "lot-without-scheme",
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(bad); i++) {
        e.text[0] = '\0';
        if (ll_epcis_lot_id(lot, sizeof(lot), bad[i], &e) == 0)
            ll_test_fail(__FILE__, __LINE__, "'%s' accepted as %s", bad[i],
                         lot);
        ASSERT_TRUE(e.text[0] != '\0');
    }
    ASSERT_OK(ll_epcis_gln(gln, "urn:epc:id:sgln:0614141.00001.0"));
    ASSERT_STR_EQ(gln, "0614141000012");
    ASSERT_OK(ll_epcis_gln(gln, "urn:epc:id:pgln:0614141.00000"));
    ASSERT_STR_EQ(gln, "0614141000005");
    ASSERT_OK(ll_epcis_gln(gln, "https://id.gs1.org/414/0614141000012"));
    ASSERT_STR_EQ(gln, "0614141000012");
    ASSERT_ERR(ll_epcis_gln(gln, "https://id.gs1.org/414/0614141000013"),
               LL_EINVAL);
    ASSERT_ERR(ll_epcis_gln(gln, "urn:epc:id:sgln:0614141.00001"), LL_EINVAL);
    ASSERT_ERR(ll_epcis_gln(gln, "urn:epc:id:pgln:0614141.00001.0"), LL_EINVAL);
}

#define HEAD                                                                   \
    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-20T06:30:00.250-08:"    \
    "00\","                                                                    \
    "\"eventTimeZoneOffset\":\"-08:00\","
#define QTY(cls, q)                                                            \
    "\"quantityList\":[{\"epcClass\":\"" cls "\",\"quantity\":" q              \
    ",\"uom\":\"KGM\"}]"
#define DL "https://id.gs1.org/01/00614141777778/10/K7"

static void test_kinds(void)
{
    static const struct {
        const char *json;
        lotledger_EventType type;
    } cases[] = {
        {HEAD "\"action\":\"ADD\",\"bizStep\":\"commissioning\"," QTY(
             DL,
             "12.5") ",\"ilmd\":{\"cbvmda:itemExpirationDate\":\"2026-12-01\","
                     "\"cbvmda:countryOfOrigin\":\"US\",\"lotledger:product\":"
                     "\"Kale\"},\"ex:myField\":\"v1\"}",
         lotledger_EventType_COMMISSION},
        {HEAD "\"action\":\"OBSERVE\",\"bizStep\":\"shipping\"," QTY(
             DL, "12") ",\"destinationList\":[{\"type\":\"owning_party\","
                       "\"destination\":\"urn:epc:id:pgln:0614141.00001\"}]}",
         lotledger_EventType_SHIP},
        {HEAD
         "\"action\":\"OBSERVE\",\"bizStep\":\"receiving\"," QTY(DL, "12") "}",
         lotledger_EventType_RECEIVE},
        {HEAD "\"action\":\"OBSERVE\",\"bizStep\":\"holding\",\"disposition\":"
              "\"non_sellable_other\"," QTY(DL, "1") ",\"lotledger:reason\":"
                                                     "\"lab test\"}",
         lotledger_EventType_HOLD},
        {HEAD "\"action\":\"OBSERVE\",\"disposition\":\"conformant\"," QTY(
             DL, "1") "}",
         lotledger_EventType_RELEASE},
        {HEAD "\"action\":\"OBSERVE\",\"disposition\":\"recalled\"," QTY(
             DL, "1") ",\"lotledger:reason\":\"Listeria\"}",
         lotledger_EventType_RECALL},
        {HEAD "\"action\":\"DELETE\",\"bizStep\":\"destroying\"," QTY(
             DL, "2") ",\"lotledger:reason\":\"spoiled\"}",
         lotledger_EventType_DISPOSE},
        {HEAD "\"action\":\"OBSERVE\",\"bizStep\":\"sensor_reporting\"," QTY(
             DL, "1") ",\"sensorElementList\":[{\"sensorMetadata\":{"
                      "\"deviceID\":\"probe-7\"},\"sensorReport\":[{\"type\":"
                      "\"gs1:Temperature\",\"value\":9.5,\"uom\":\"CEL\","
                      "\"maxValue\":5,\"time\":\"2026-11-20T06:00:00Z\","
                      "\"exception\":\"ALARM_CONDITION\"}]}]}",
         lotledger_EventType_OBSERVE},
        {"{\"type\":\"TransformationEvent\",\"eventTime\":\"2026-11-20T06:30:"
         "00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"inputQuantityList\":[{"
         "\"epcClass\":\"" DL "\",\"quantity\":10,\"uom\":\"KGM\"}],"
         "\"outputQuantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:0614141."
         "077779.S1\",\"quantity\":9.75,\"uom\":\"KGM\"}],\"ilmd\":{"
         "\"lotledger:product\":\"Salad\"},\"bizTransactionList\":[{\"type\":"
         "\"https://ref.gs1.org/cbv/"
         "BTT-prodorder\",\"bizTransaction\":\"PO-1\"}"
         "]}",
         lotledger_EventType_TRANSFORM},
    };
    lotledger_Event *ev = ll_malloc(sizeof(*ev));
    ASSERT_NOT_NULL(ev);
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        struct ll_errmsg e = {{0}};
        int rc = map(ev, cases[i].json, &e);
        if (rc)
            ll_test_fail(__FILE__, __LINE__, "case %zu: %s", i, e.text);
        ASSERT_EQ(ev->type, cases[i].type);
        ASSERT_STR_EQ(ev->org, "farm");
        ASSERT_STR_EQ(ev->chain_id, FX_CHAIN);
        ASSERT_UEQ(ev->key_id.size, LL_KEYID_LEN);
        /* Every mapped event passes the well-formedness rules, except a
         * receive, whose shipment the node resolves. */
        if (ev->type != lotledger_EventType_RECEIVE) {
            rc = ll_event_check(ev, FX_CHAIN, &e);
            if (rc)
                ll_test_fail(__FILE__, __LINE__, "case %zu: check: %s", i,
                             e.text);
        }
        switch (ev->type) {
        case lotledger_EventType_COMMISSION:
            ASSERT_EQ(ev->event_time, 1795185000250);
            ASSERT_EQ(ev->tz_offset, -480);
            ASSERT_STR_EQ(ev->lots[0].lot, "01/00614141777778/10/K7");
            ASSERT_UEQ(ev->lots[0].quantity, 12500);
            ASSERT_UEQ(ev->master.expiry, 20261201);
            ASSERT_STR_EQ(ev->master.product, "Kale");
            ASSERT_STR_EQ(ev->master.country, "US");
            ASSERT_STR_EQ(ev->kdes[0].key, "ex_myfield"); /* a valid KDE key */
            ASSERT_STR_EQ(ev->kdes[0].value, "v1");
            break;
        case lotledger_EventType_SHIP:
            ASSERT_STR_EQ(ev->counterparty, "packer"); /* by GLN */
            ASSERT_UEQ(ev->lots[0].quantity, 12000);
            break;
        case lotledger_EventType_RECEIVE:
            ASSERT_UEQ(ev->ref.size, 0);
            break;
        case lotledger_EventType_HOLD:
            ASSERT_UEQ(ev->lots[0].quantity, 0); /* whole-lot event */
            ASSERT_STR_EQ(ev->reason, "lab test");
            break;
        case lotledger_EventType_OBSERVE:
            ASSERT_STR_EQ(ev->sensors[0].type, "Temperature");
            ASSERT_EQ(ev->sensors[0].value, 9500);
            ASSERT_TRUE(ev->sensors[0].has_max);
            ASSERT_EQ(ev->sensors[0].max, 5000);
            ASSERT_TRUE(ev->sensors[0].alarm);
            ASSERT_STR_EQ(ev->sensors[0].device, "probe-7");
            break;
        case lotledger_EventType_TRANSFORM:
            ASSERT_STR_EQ(ev->outputs[0].lot, "01/00614141777792/10/S1");
            ASSERT_UEQ(ev->outputs[0].quantity, 9750);
            ASSERT_STR_EQ(ev->docs[0].type, "prodorder");
            break;
        default:
            break;
        }
    }
    ll_free(ev);
}

static void test_rejects(void)
{
    static const struct {
        const char *json;
        const char *word;
    } cases[] = {
        {"{", "malformed JSON"},
        {"[]", "JSON object"},
        {"{\"type\":\"AggregationEvent\"}", "AggregationEvent is not recorded"},
        {HEAD "\"action\":\"OBSERVE\",\"epcList\":[\"urn:epc:id:sgtin:0614141."
              "107346.2018\"]}",
         "epcList: lotledger tracks lots"},
        {HEAD "\"action\":\"CREATE\"," QTY(DL, "1") "}", "action: 'CREATE'"},
        {HEAD "\"action\":\"ADD\",\"bizStep\":\"juggling\"," QTY(DL, "1") "}",
         "bizStep: 'juggling'"},
        {HEAD "\"action\":\"ADD\",\"disposition\":\"happy\"," QTY(DL, "1") "}",
         "disposition: 'happy'"},
        {HEAD "\"action\":\"ADD\"," QTY(DL, "\"ten\"") "}",
         "quantity: must be a number"},
        {HEAD "\"action\":\"ADD\"," QTY(DL, "1.0005") "}",
         "more than 3 decimals"},
        {HEAD "\"action\":\"ADD\"," QTY(DL, "-1") "}", "out of range"},
        {HEAD "\"action\":\"ADD\",\"quantityList\":[{\"epcClass\":\"" DL
              "\",\"quantity\":1,\"colour\":\"red\"}]}",
         "quantityList[0].colour: unknown field"},
        {HEAD "\"action\":\"ADD\"}", "quantityList: missing"},
        {HEAD "\"action\":\"ADD\"," QTY(DL, "1") ",\"colour\":\"red\"}",
         "colour: unknown field"},
        {HEAD "\"action\":\"ADD\"," QTY(DL, "1") ",\"ex:nested\":{\"a\":1}}",
         "ex:nested: lotledger keeps user extensions whose value is a string"},
        {HEAD
         "\"action\":\"OBSERVE\",\"bizStep\":\"shipping\"," QTY(DL, "1") "}",
         "needs a destinationList owning_party"},
        {HEAD "\"action\":\"OBSERVE\",\"bizStep\":\"shipping\"," QTY(
             DL, "1") ",\"destinationList\":[{\"type\":\"owning_party\","
                      "\"destination\":"
                      "\"urn:epc:id:pgln:9999999.00001\"}]}",
         "no organisation of this network has GLN"},
        {HEAD "\"action\":\"OBSERVE\",\"bizStep\":\"shipping\"," QTY(
             DL, "1") ",\"ilmd\":{}}",
         "ilmd: only with action ADD"},
        {HEAD "\"action\":\"ADD\"," QTY(
             DL, "1") ",\"errorDeclaration\":{\"declarationTime\":\"2026-11-"
                      "20T06:30:"
                      "00Z\"}}",
         "errorDeclaration: not recorded"},
        {"{\"type\":\"ObjectEvent\",\"eventTime\":\"yesterday\","
         "\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"ADD\"}",
         "eventTime: 'yesterday'"},
        {"{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-20T06:30:00Z\","
         "\"eventTimeZoneOffset\":\"0\",\"action\":\"ADD\"}",
         "eventTimeZoneOffset: '0'"},
        {"{\"type\":\"EPCISDocument\",\"epcisBody\":{\"eventList\":[]}}",
         "@context: missing"},
        {"{\"@context\":[],\"type\":\"EPCISDocument\",\"epcisBody\":{"
         "\"eventList\":[{},{}]}}",
         "one event per capture request (this document has 2)"},
        {HEAD "\"action\":\"ADD\"," QTY(DL, "1234.5678") "}",
         "more than 3 decimals"},
        {HEAD "\"action\":\"OBSERVE\",\"bizStep\":\"shipping\"," QTY(
             DL, "1") ",\"destinationList\":[{\"type\":\"owning_party\","
                      "\"destination\":"
                      "\"urn:epc:id:pgln:0614141.00001\"},{\"type\":\"owning_"
                      "party\","
                      "\"destination\":\"urn:epc:id:pgln:0614141.00000\"}]}",
         "a second owning_party destination"},
        {HEAD "\"action\":\"OBSERVE\"," QTY(
             DL,
             "1") ",\"sensorElementList\":[{\"sensorMetadata\":{\"startTime\":"
                  "\"2026-11-20T06:00:00Z\"},\"sensorReport\":[]}]}",
         "sensorMetadata.startTime: not recorded"},
        {HEAD "\"action\":\"ADD\"," QTY(
             DL, "1") ",\"bizTransactionList\":[{\"type\":\"po\","
                      "\"bizTransaction\":"
                      "\"1\",\"note\":\"x\"}]}",
         "bizTransactionList[0].note: unknown field"},
        {HEAD "\"action\":\"ADD\"," QTY(
             DL,
             "1") ",\"ilmd\":{\"cbvmda:itemExpirationDate\":\"2026-12-01x\"}}",
         "not a YYYY-MM-DD date"},
        {HEAD "\"action\":\"ADD\"," QTY(DL, "1") ",\"ex:b@d\":\"v\"}",
         "only letters, digits"},
    };
    lotledger_Event *ev = ll_malloc(sizeof(*ev));
    ASSERT_NOT_NULL(ev);
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        struct ll_errmsg e = {{0}};
        int rc = map(ev, cases[i].json, &e);
        if (rc == 0 || strstr(e.text, cases[i].word) == NULL)
            ll_test_fail(__FILE__, __LINE__, "case %zu: got %s '%s', want '%s'",
                         i, ll_err_name(rc), e.text, cases[i].word);
        ASSERT_EQ(ev->type, 0); /* out untouched */
    }
    ll_free(ev);
}

/* The openepcis capture documents: each either maps or names its problem. */
static void test_openepcis_vectors(void)
{
    static const char *const dirs[] = {"Documents", "Events", "Invalid"};
    lotledger_Event *ev = ll_malloc(sizeof(*ev));
    ASSERT_NOT_NULL(ev);
    size_t mapped = 0;
    size_t refused = 0;
    size_t invalid_refused = 0;
    for (size_t d = 0; d < LL_ARRAY_LEN(dirs); d++) {
        char dir[1024];
        (void)snprintf(dir, sizeof(dir), "%s/epcis/json/%s",
                       ll_test_vectors_dir(), dirs[d]);
        DIR *h = opendir(dir);
        if (h == NULL)
            ll_test_fail(__FILE__, __LINE__, "cannot open %s", dir);
        struct dirent *de;
        while ((de = readdir(h)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            char path[1400];
            size_t len = 0;
            (void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            char *text = (char *)ll_test_read_file(path, &len);
            ASSERT_NOT_NULL(text);
            struct ll_errmsg e = {{0}};
            uint8_t kid[LL_KEYID_LEN];
            ll_keyid(kid, fx_keys[FX_PACKER].pk);
            struct ll_epcis_ctx ctx = {g, "packer", kid};
            memset(ev, 0, sizeof(*ev));
            int rc = ll_epcis_to_event(ev, text, len, &ctx, &e);
            if (rc == 0) {
                mapped++;
                ASSERT_TRUE(d != 2); /* no invalid document maps */
            } else {
                refused++;
                invalid_refused += d == 2;
                ASSERT_TRUE(e.text[0] != '\0');
            }
            if (strcmp(de->d_name, "ObjectEvent_with_digitalLink.json") == 0) {
                if (rc)
                    ll_test_fail(__FILE__, __LINE__, "%s: %s", de->d_name,
                                 e.text);
                ASSERT_EQ(ev->type, lotledger_EventType_RECEIVE);
                ASSERT_STR_EQ(ev->lots[0].lot, "01/70614141123451/10/998877");
                ASSERT_UEQ(ev->lots[0].quantity, 200000);
                ASSERT_TRUE(ll_gs1_check_digit_ok(ev->location, 13));
            }
            ll_free(text);
        }
        (void)closedir(h);
    }
    printf("    openepcis documents: %zu mapped, %zu refused (all %zu invalid "
           "ones among them)\n",
           mapped, refused, invalid_refused);
    ASSERT_UEQ(invalid_refused, 15);
    ASSERT_GE(mapped, 1);
    ll_free(ev);
}

static const struct ll_test tests[] = {
    {"identifiers", test_identifiers},
    {"kinds", test_kinds},
    {"rejects", test_rejects},
    {"openepcis_vectors", test_openepcis_vectors},
};

int main(int argc, char **argv)
{
    fx_keys_init();
    g = fx_genesis();
    int rc = ll_test_main(tests, LL_ARRAY_LEN(tests), argc, argv);
    ll_free(g);
    return rc;
}
