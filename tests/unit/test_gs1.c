/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ledger/gs1.c: the AI table against the GS1 Barcode Syntax
 * Dictionary (read in place from ../shared/vectors/gs1/), scanned data in
 * every accepted form, bracketed strings, Digital Link URIs, check digits,
 * dates, pairing rules and the round trips between the forms.
 */
#include <stdio.h>
#include <string.h>

#include "../../ledger/event.h"
#include "../../ledger/gs1.h"
#include "test.h"

#define DICT "../shared/vectors/gs1/gs1-syntax-dictionary.txt"
#define GTIN "09506000134352"

static struct ll_gs1_msg msg;

static int parse(const char *s, unsigned flags, struct ll_errmsg *e)
{
    return ll_gs1_parse(&msg, s, strlen(s), flags, e);
}

/* s must be refused with a message containing want. */
static void refused(const char *s, unsigned flags, const char *want)
{
    struct ll_errmsg e = {{0}};
    int rc = parse(s, flags, &e);
    if (rc == 0 || strstr(e.text, want) == NULL)
        (void)fprintf(stderr,
                      "    input '%s': rc %d, message '%s', wanted '%s'\n", s,
                      rc, e.text, want);
    ASSERT_NE(rc, 0);
    ASSERT_NOT_NULL(strstr(e.text, want));
}

static void accepted(const char *s, unsigned flags)
{
    struct ll_errmsg e = {{0}};
    int rc = parse(s, flags, &e);
    if (rc != 0)
        (void)fprintf(stderr, "    input '%s': %s\n", s, e.text);
    ASSERT_OK(rc);
}

/* ---- the table ------------------------------------------------------------
 */

/* Split a dictionary line into its parts, as the file's header defines. */
struct dict_entry {
    char first[8], last[8];
    unsigned flags;
    char spec[128], attrs[256], title[64];
};

static bool is_spec_token(const char *t)
{
    return strchr("NXYZ[", t[0]) != NULL;
}

static void append(char *dst, size_t cap, const char *tok)
{
    if (dst[0] != '\0')
        (void)strncat(dst, " ", cap - strlen(dst) - 1);
    (void)strncat(dst, tok, cap - strlen(dst) - 1);
}

static bool dict_line(char *line, struct dict_entry *d)
{
    memset(d, 0, sizeof(*d));
    line[strcspn(line, "\n")] = '\0';
    if (line[0] == '#' || line[0] == '\0')
        return false;
    char *hash = strchr(line, '#');
    if (hash != NULL) {
        *hash = '\0';
        char *t = hash + 1;
        while (*t == ' ')
            t++;
        (void)snprintf(d->title, sizeof(d->title), "%s", t);
        size_t n = strlen(d->title);
        while (n > 0 && d->title[n - 1] == ' ')
            d->title[--n] = '\0';
    }
    char *save = NULL;
    char *tok = strtok_r(line, " \t", &save);
    char *dash = strchr(tok, '-');
    if (dash != NULL)
        *dash = '\0';
    (void)snprintf(d->first, sizeof(d->first), "%s", tok);
    (void)snprintf(d->last, sizeof(d->last), "%s",
                   dash != NULL ? dash + 1 : tok);
    bool attrs = false;
    for (tok = strtok_r(NULL, " \t", &save); tok != NULL;
         tok = strtok_r(NULL, " \t", &save)) {
        if (d->spec[0] == '\0' && !is_spec_token(tok) && !attrs &&
            strspn(tok, "*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~") == strlen(tok)) {
            d->flags = (strchr(tok, '*') ? LL_GS1_FIXED : 0u) |
                       (strchr(tok, '?') ? LL_GS1_DL_ATTR : 0u);
        } else if (!attrs && is_spec_token(tok)) {
            append(d->spec, sizeof(d->spec), tok);
        } else {
            attrs = true;
            append(d->attrs, sizeof(d->attrs), tok);
        }
    }
    return true;
}

/* Every entry of the dictionary is a row of the table, in the same order. */
static void test_table_matches_dictionary(void)
{
    FILE *f = fopen(DICT, "r");
    ASSERT_NOT_NULL(f);
    size_t n;
    const struct ll_gs1_ai_row *rows = ll_gs1_ai_rows(&n);
    char line[512];
    size_t i = 0;
    struct dict_entry d;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (!dict_line(line, &d))
            continue;
        ASSERT_LT(i, n);
        const struct ll_gs1_ai_row *r = &rows[i++];
        if (strcmp(r->first, d.first) != 0 || strcmp(r->spec, d.spec) != 0 ||
            strcmp(r->attrs, d.attrs) != 0)
            printf("    dictionary %s-%s '%s' '%s', table %s '%s' '%s'\n",
                   d.first, d.last, d.spec, d.attrs, r->first, r->spec,
                   r->attrs);
        ASSERT_STR_EQ(r->first, d.first);
        ASSERT_STR_EQ(r->last, d.last);
        ASSERT_UEQ(r->flags, d.flags);
        ASSERT_STR_EQ(r->spec, d.spec);
        ASSERT_STR_EQ(r->attrs, d.attrs);
        ASSERT_STR_EQ(r->title, d.title);
    }
    (void)fclose(f);
    ASSERT_UEQ(i, n);
    printf("    %zu dictionary entries, all in the table\n", n);
}

/* AIs are prefix-free, every AI of every range is found, others are not. */
static void test_table_lookup(void)
{
    size_t n;
    const struct ll_gs1_ai_row *rows = ll_gs1_ai_rows(&n);
    size_t ais = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(rows[i].first);
        ASSERT_UEQ(strlen(rows[i].last), len);
        unsigned lo = (unsigned)strtoul(rows[i].first, NULL, 10);
        unsigned hi = (unsigned)strtoul(rows[i].last, NULL, 10);
        for (unsigned v = lo; v <= hi; v++) {
            char ai[8];
            (void)snprintf(ai, sizeof(ai), "%0*u", (int)len, v);
            ASSERT_TRUE(ll_gs1_ai_find(ai, len) == &rows[i]);
            for (size_t k = 2; k < len; k++)
                ASSERT_TRUE(ll_gs1_ai_find(ai, k) == NULL);
            ais++;
        }
        /* Each row's format is understood: a value of one '0' is judged by
         * its content, never reported as a table problem. */
        char in[16];
        struct ll_errmsg e = {{0}};
        (void)snprintf(in, sizeof(in), "(%s)0", rows[i].first);
        (void)parse(in, LL_GS1_PARTIAL, &e);
        ASSERT_TRUE(strstr(e.text, "table") == NULL);
    }
    ASSERT_TRUE(ll_gs1_ai_find("23", 2) == NULL);
    ASSERT_TRUE(ll_gs1_ai_find("3106", 4) == NULL);
    ASSERT_TRUE(ll_gs1_ai_find("0", 1) == NULL);
    ASSERT_TRUE(ll_gs1_ai_find("01a", 3) == NULL);
    ASSERT_TRUE(ll_gs1_ai_find("00000", 5) == NULL);
    printf("    %zu AIs\n", ais);
}

/* ---- scanned data ---------------------------------------------------------
 */

static void test_scan_forms(void)
{
    accepted("]d201" GTIN "17251231\x1d"
             "10ABC123",
             0);
    ASSERT_STR_EQ(msg.symbology, "]d2");
    ASSERT_STR_EQ(msg.carrier, "GS1 DataMatrix");
    ASSERT_UEQ(msg.n, 3);
    ASSERT_STR_EQ(ll_gs1_get(&msg, "17"), "251231");
    ASSERT_STR_EQ(ll_gs1_get(&msg, "10"), "ABC123");
    char lot[LL_LOTID_MAX + 1];
    ASSERT_OK(ll_gs1_lot_id(&msg, lot, sizeof(lot)));
    ASSERT_STR_EQ(lot, "01/" GTIN "/10/ABC123");

    /* Variable-length value first: the GS ends it. */
    accepted("]C110ABC123\x1d"
             "01" GTIN "\r\n",
             0);
    ASSERT_STR_EQ(ll_gs1_get(&msg, "10"), "ABC123");
    ASSERT_STR_EQ(msg.carrier, "GS1-128");
    /* FNC1 in first position, and a GS after a fixed-length value. */
    accepted("\x1d"
             "01" GTIN "\x1d"
             "10A",
             0);
    accepted("^01" GTIN "10A^21S1", 0);
    ASSERT_STR_EQ(ll_gs1_get(&msg, "21"), "S1");
    accepted("01" GTIN "10A", 0); /* no prefix */
    ASSERT_EQ(msg.source, LL_GS1_SRC_SCAN);
    accepted("]Q301" GTIN "10A", 0);
    accepted("]e001" GTIN "3103000250", 0);
    ASSERT_STR_EQ(ll_gs1_get(&msg, "3103"), "000250");
    accepted("]J100106141411234567897", 0);
    ASSERT_STR_EQ(ll_gs1_get(&msg, "00"), "106141411234567897");
    /* Retail symbols: a GTIN-13 or GTIN-8 as (01). */
    accepted("]E09506000134352", 0);
    ASSERT_STR_EQ(ll_gs1_get(&msg, "01"), GTIN);
    accepted("]E495200002", 0);
    ASSERT_STR_EQ(ll_gs1_get(&msg, "01"), "00000095200002");
    refused("]E0950600013435", 0, "13 digits");
    refused("]E09506000134353", 0, "AI (01)");
}

static void test_scan_errors(void)
{
    refused("", 0, "no data");
    refused("\r\n", 0, "no data");
    refused("]X901" GTIN, 0, "']X9' is not one of GS1's");
    refused("]Q1hello", 0, "plain text");
    refused("]d2", 0, "no GS1 data");
    refused("]d2\x1d", 0, "no GS1 data");
    refused("2301" GTIN, 0, "no GS1 AI starts with '2301'");
    refused("01" GTIN "10A\x1d\x1d"
            "21B",
            0, "two separators");
    refused("01" GTIN "10" GTIN "X1234567890", 0, "a GS separator missing");
    refused("01095060001343", 0, "too short");
    refused("01" GTIN "10", 0, "AI (10): the value is empty");
    refused("01" GTIN "10AB#C", 0, "character '#' at position 3");
    refused("01" GTIN "10AB\x01", 0, "byte 0x01");
    refused("01" GTIN "10A\x1d\x1d", 0, "two separators");
    refused("0109506000134353", 0, "AI (01) '09506000134353'");
    char big[LL_GS1_INPUT_MAX + 2];
    memset(big, '9', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    struct ll_errmsg e = {{0}};
    ASSERT_ERR(parse(big, 0, &e), LL_ETOOBIG);
    ASSERT_ERR(ll_gs1_parse(&msg, "01\0" GTIN, 17, 0, &e), LL_EINVAL);
    ASSERT_NOT_NULL(strstr(e.text, "NUL"));
}

static void test_bracketed(void)
{
    accepted("(01)" GTIN "(10)AB\\(C(17)250200", 0);
    ASSERT_EQ(msg.source, LL_GS1_SRC_BRACKETED);
    ASSERT_STR_EQ(ll_gs1_get(&msg, "10"), "AB(C");
    refused("(01" GTIN, 0, "expected '(AI)'");
    refused("(01)" GTIN "10A", 0, "AI (01)");
    refused("(999)1", 0, "no GS1 AI starts with '999'");
    refused("()1", 0, "expected '(AI)'");
    refused("(01234)1", 0, "expected '(AI)'");
}

/* ---- values: check digits, dates, formats
 * ------------------------------------ */

static void test_check_digits(void)
{
    accepted("(00)106141411234567897", 0);
    refused("(00)106141411234567898", 0, "AI (00)");
    accepted("(414)0614141000012", 0);
    refused("(414)0614141000013", 0, "AI (414)");
    accepted("(01)" GTIN "(410)9520123456788", 0);
    refused("(01)" GTIN "(410)9520123456789", 0, "AI (410)");
    ASSERT_TRUE(ll_gs1_check_digit_ok(GTIN, 14));
}

static void test_dates(void)
{
    char d[11];
    ASSERT_OK(ll_gs1_date("251231", 2026, d));
    ASSERT_STR_EQ(d, "2025-12-31");
    ASSERT_OK(ll_gs1_date("250200", 2026, d)); /* DD 00: month's last day */
    ASSERT_STR_EQ(d, "2025-02-28");
    ASSERT_OK(ll_gs1_date("240200", 2026, d));
    ASSERT_STR_EQ(d, "2024-02-29");
    ASSERT_OK(ll_gs1_date("000229", 2026, d));
    ASSERT_STR_EQ(d, "2000-02-29");
    /* The century: from 49 years back to 50 ahead of this year. */
    ASSERT_OK(ll_gs1_date("760101", 2026, d));
    ASSERT_STR_EQ(d, "2076-01-01");
    ASSERT_OK(ll_gs1_date("770101", 2026, d));
    ASSERT_STR_EQ(d, "1977-01-01");
    ASSERT_OK(ll_gs1_date("490101", 1999, d));
    ASSERT_STR_EQ(d, "2049-01-01");
    ASSERT_OK(ll_gs1_date("500101", 1999, d));
    ASSERT_STR_EQ(d, "1950-01-01");
    ASSERT_ERR(ll_gs1_date("251301", 2026, d), LL_EINVAL);
    ASSERT_ERR(ll_gs1_date("250230", 2026, d), LL_EINVAL);
    ASSERT_ERR(ll_gs1_date("250431", 2026, d), LL_EINVAL);
    ASSERT_ERR(ll_gs1_date("250001", 2026, d), LL_EINVAL);
    ASSERT_ERR(ll_gs1_date("25123", 2026, d), LL_EINVAL);
    ASSERT_ERR(ll_gs1_date("2512311", 2026, d), LL_EINVAL);
    ASSERT_ERR(ll_gs1_date("25a231", 2026, d), LL_EINVAL);
    /* In data: (17) allows DD 00, (7006) does not. */
    accepted("(01)" GTIN "(17)250200", 0);
    refused("(01)" GTIN "(17)251301", 0, "AI (17) '251301'");
    refused("(01)" GTIN "(17)250230", 0, "AI (17) '250230'");
    accepted("(01)" GTIN "(7006)250228", 0);
    refused("(01)" GTIN "(7006)250200", 0, "AI (7006) '250200'");
}

static void test_formats(void)
{
    /* Optional components: (7007) one date or a range of two. */
    accepted("(01)" GTIN "(7007)250101", 0);
    accepted("(01)" GTIN "(7007)250101250131", 0);
    refused("(01)" GTIN "(7007)2501012501", 0, "AI (7007)");
    /* Character sets 39 and 64. */
    accepted("(8010)0614141ABC-#/(8011)1", 0);
    refused("(8010)0614141abc(8011)1", 0, "character 'a'");
    accepted("(00)106141411234567897(8030)aGVsbG8_-w==", 0);
    refused("(00)106141411234567897(8030)aGVs=bG8", 0, "character '='");
    /* 20 characters is the longest lot. */
    accepted("(01)" GTIN "(10)ABCDEFGHIJKLMNOPQRST", 0);
    refused("(01)" GTIN "(10)ABCDEFGHIJKLMNOPQRSTU", 0, "too long");
    /* Country of origin (ISO 3166). */
    accepted("(01)" GTIN "(422)380", 0);
    refused("(01)" GTIN "(422)999", 0, "AI (422)");
}

/* ---- the message ----------------------------------------------------------
 */

static void too_many(void);

static void test_pairing(void)
{
    refused("(10)ABC", 0, "AI (10) needs one of these");
    accepted("(10)ABC", LL_GS1_PARTIAL);
    /* "01+21": both together. */
    refused("(01)" GTIN "(250)X", 0, "AI (250) needs");
    accepted("(01)" GTIN "(21)S(250)X", 0);
    /* Exclusions. */
    refused("(01)" GTIN "(02)" GTIN "(37)1", LL_GS1_PARTIAL,
            "cannot be used together");
    refused("(01)" GTIN "(3103)000100(3102)001000", 0,
            "AI (3103) and AI (3102) cannot be used together");
    accepted("(01)" GTIN "(3103)000100(3922)1", 0);
    /* A repeated AI: the same value is fine, another value is not. */
    accepted("(01)" GTIN "(10)A(10)A", 0);
    refused("(01)" GTIN "(10)A(10)B", 0, "AI (10) appears twice");
    too_many();
}

/* More than LL_GS1_ELEMENTS_MAX different AIs in one message. */
static void too_many(void)
{
    static char many[LL_GS1_INPUT_MAX];
    size_t n;
    const struct ll_gs1_ai_row *rows = ll_gs1_ai_rows(&n);
    size_t k = 0;
    size_t ais = 0;
    for (size_t i = 0; i < n && ais <= LL_GS1_ELEMENTS_MAX; i++) {
        /* text AIs without other rules: any number go together */
        const char *sp = rows[i].spec;
        bool num = strncmp(sp, "N..", 3) == 0;
        if ((strncmp(sp, "X..", 3) != 0 && !num) || strchr(sp, ' ') != NULL ||
            (strchr(sp, ',') != NULL && strstr(sp, ",pcenc") == NULL) ||
            strstr(rows[i].attrs, "ex=") != NULL)
            continue;
        unsigned lo = (unsigned)strtoul(rows[i].first, NULL, 10);
        unsigned hi = (unsigned)strtoul(rows[i].last, NULL, 10);
        for (unsigned v = lo; v <= hi && ais <= LL_GS1_ELEMENTS_MAX; v++) {
            k += (size_t)snprintf(many + k, sizeof(many) - k, "(%0*u)%c",
                                  (int)strlen(rows[i].first), v,
                                  num ? '1' : 'X');
            ais++;
        }
    }
    ASSERT_UEQ(ais, LL_GS1_ELEMENTS_MAX + 1);
    struct ll_errmsg e = {{0}};
    ASSERT_ERR(parse(many, LL_GS1_PARTIAL, &e), LL_ETOOBIG);
    ASSERT_NOT_NULL(strstr(e.text, "more than"));
}

/* ---- Digital Link ----------------------------------------------------------
 */

static void test_digital_link(void)
{
    accepted("https://id.gs1.org/01/" GTIN "/10/ABC?17=251231", 0);
    ASSERT_EQ(msg.source, LL_GS1_SRC_DL);
    ASSERT_UEQ(msg.n, 3);
    ASSERT_STR_EQ(ll_gs1_get(&msg, "17"), "251231");
    /* A path prefix, a GTIN-13, percent-encoding, other parameters. */
    accepted("HTTPS://brand.example/products/x/01/9506000134352/10/A%2FB%25C"
             "?linkType=gs1:pip&17=250200#top",
             0);
    ASSERT_STR_EQ(ll_gs1_get(&msg, "01"), GTIN);
    ASSERT_STR_EQ(ll_gs1_get(&msg, "10"), "A/B%C");
    /* What a phone reads from lotledger's own QR label. */
    accepted("]Q1http://127.0.0.1:8080/01/" GTIN "/10/SAL1", 0);
    ASSERT_STR_EQ(msg.carrier, "QR Code");
    accepted("https://id.gs1.org/01/" GTIN "/22/V1/10/L/21/S", 0);
    accepted("https://id.gs1.org/00/106141411234567897", 0);
    accepted("https://id.gs1.org/414/0614141000012/254/A1", 0);

    refused("https://", 0, "no host");
    refused("https://id.gs1.org", 0, "no GS1 primary key");
    refused("https://id.gs1.org/", 0, "empty path segment");
    refused("https://id.gs1.org/01/" GTIN "/", 0, "empty path segment");
    refused("https://id.gs1.org/01//10/A", 0, "empty path segment");
    refused("https://id.gs1.org/10/A", 0, "no GS1 primary key");
    refused("https://id.gs1.org/01/" GTIN "/21/S/10/L", 0, "in that order");
    refused("https://id.gs1.org/01/" GTIN "/22/V/235/T", 0, "in that order");
    refused("https://id.gs1.org/01/" GTIN "/17/251231", 0, "in that order");
    refused("https://id.gs1.org/01/" GTIN "?10=L", 0, "belongs in the path");
    refused("https://id.gs1.org/01/" GTIN "?8200=x", 0, "not a data attribute");
    refused("https://id.gs1.org/01/" GTIN "/10/A%2", 0, "percent-encoding");
    refused("https://id.gs1.org/01/" GTIN "/10/A%zz", 0, "percent-encoding");
    refused("https://id.gs1.org/01/" GTIN "/10/A%00", 0, "percent-encoding");
    refused("https://id.gs1.org/01/" GTIN "/10/A%23", 0, "character '#'");
    refused("https://id.gs1.org/01/09506000134353", 0, "AI (01)");
    refused("https://id.gs1.org/01/" GTIN "?17=251301", 0, "AI (17)");
    refused("https://id.gs1.org/01/" GTIN "?250=x", 0, "AI (250) needs");
    refused("https://id.gs1.org/01/950600013435", 0, "AI (01)");
}

/* Each form written back and read again gives the same AIs. */
static void same_elements(const struct ll_gs1_msg *a,
                          const struct ll_gs1_msg *b)
{
    ASSERT_UEQ(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const char *v = ll_gs1_get(b, a->el[i].ai);
        ASSERT_NOT_NULL(v);
        ASSERT_STR_EQ(v, a->el[i].value);
    }
}

static void test_round_trips(void)
{
    static const char *const inputs[] = {
        "]d201" GTIN "17251231\x1d"
        "10A(B/C%",
        "(00)106141411234567897(02)" GTIN "(37)12",
        "(01)" GTIN "(22)V-1(10)L(21)S(17)250200(3103)000250",
        "https://x.example/01/" GTIN "/10/%2B%21?15=260101",
    };
    static struct ll_gs1_msg a;
    static struct ll_gs1_msg b;
    char out[4 * LL_GS1_INPUT_MAX];
    struct ll_errmsg e = {{0}};
    for (size_t i = 0; i < LL_ARRAY_LEN(inputs); i++) {
        if (ll_gs1_parse(&a, inputs[i], strlen(inputs[i]), 0, &e) != 0)
            (void)fprintf(stderr, "    %s: %s\n", inputs[i], e.text);
        ASSERT_OK(ll_gs1_parse(&a, inputs[i], strlen(inputs[i]), 0, &e));
        ASSERT_OK(ll_gs1_to_bracketed(&a, out, sizeof(out)));
        ASSERT_OK(ll_gs1_parse(&b, out, strlen(out), 0, &e));
        same_elements(&a, &b);
        ASSERT_OK(ll_gs1_to_scan(&a, out, sizeof(out)));
        ASSERT_OK(ll_gs1_parse(&b, out, strlen(out), 0, &e));
        same_elements(&a, &b);
        ASSERT_OK(
            ll_gs1_to_dl(&a, "https://id.gs1.org/", out, sizeof(out), &e));
        ASSERT_OK(ll_gs1_parse(&b, out, strlen(out), 0, &e));
        same_elements(&a, &b);
    }
    ASSERT_OK(parse("]d201" GTIN "17251231\x1d"
                    "10A(B/C%",
                    0, &e));
    ASSERT_OK(ll_gs1_to_dl(&msg, "https://id.gs1.org", out, sizeof(out), &e));
    ASSERT_STR_EQ(out,
                  "https://id.gs1.org/01/" GTIN "/10/A%28B%2FC%25?17=251231");
    ASSERT_OK(ll_gs1_to_bracketed(&msg, out, sizeof(out)));
    ASSERT_STR_EQ(out, "(01)" GTIN "(17)251231(10)A\\(B/C%");
    ASSERT_OK(ll_gs1_to_scan(&msg, out, sizeof(out)));
    ASSERT_STR_EQ(out, "01" GTIN "17251231"
                       "10A(B/C%");
    ASSERT_ERR(ll_gs1_to_scan(&msg, out, 10), LL_ETOOBIG);
    /* No primary key, or an AI a URI cannot carry. */
    ASSERT_OK(parse("(10)A", LL_GS1_PARTIAL, &e));
    ASSERT_ERR(ll_gs1_to_dl(&msg, "https://id.gs1.org", out, sizeof(out), &e),
               LL_EINVAL);
    ASSERT_OK(parse("(01)" GTIN "(8200)https://x", 0, &e));
    ASSERT_ERR(ll_gs1_to_dl(&msg, "https://id.gs1.org", out, sizeof(out), &e),
               LL_EINVAL);
    ASSERT_NOT_NULL(strstr(e.text, "AI (8200)"));
    char lot[8];
    ASSERT_ERR(ll_gs1_lot_id(&msg, lot, sizeof(lot)), LL_ENOTFOUND);
}

static const struct ll_test tests[] = {
    {"table_matches_dictionary", test_table_matches_dictionary},
    {"table_lookup", test_table_lookup},
    {"scan_forms", test_scan_forms},
    {"scan_errors", test_scan_errors},
    {"bracketed", test_bracketed},
    {"check_digits", test_check_digits},
    {"dates", test_dates},
    {"formats", test_formats},
    {"pairing", test_pairing},
    {"digital_link", test_digital_link},
    {"round_trips", test_round_trips},
};

LL_TEST_MAIN(tests)
