/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ledger/gs1_lint.c: every linter with accepted and rejected
 * values (each rejection must name its problem), the code lists, the names,
 * totality on arbitrary bytes, and the linter names the GS1 Barcode Syntax
 * Dictionary in ../shared/vectors uses. Known-good values come from the GS1
 * General Specifications, GS1's reference linter tests and ISO 13616.
 */
#include "test.h"

#include "../../ledger/gs1_lint.h"

/* One linter run: want NULL means the value passes; otherwise it fails with
 * LL_EINVAL and a reason containing want. */
struct lcase {
    int linter;
    const char *in;
    const char *want;
};

static void check_case(const char *file, int line, const struct lcase *t)
{
    char why[256] = "";
    int rc = ll_gs1_lint(t->linter, t->in, strlen(t->in), why, sizeof(why));
    const char *name = ll_gs1_linter_name(t->linter);
    if (t->want == NULL) {
        if (rc != 0)
            ll_test_fail(file, line, "%s \"%s\": want pass, got %d (%s)", name,
                         t->in, rc, why);
        return;
    }
    if (rc != LL_EINVAL)
        ll_test_fail(file, line, "%s \"%s\": want LL_EINVAL, got %d", name,
                     t->in, rc);
    if (why[0] == '\0' || strstr(why, t->want) == NULL)
        ll_test_fail(file, line, "%s \"%s\": reason \"%s\" lacks \"%s\"", name,
                     t->in, why, t->want);
}

static void check_cases(const char *file, int line, const struct lcase *t,
                        size_t n)
{
    for (size_t i = 0; i < n; i++)
        check_case(file, line, &t[i]);
}

#define CHECK_CASES(t) check_cases(__FILE__, __LINE__, t, LL_ARRAY_LEN(t))

#define PASS(l, s)                                                             \
    {                                                                          \
        LL_GS1_LINT_##l, s, NULL                                               \
    }
#define FAIL(l, s, w)                                                          \
    {                                                                          \
        LL_GS1_LINT_##l, s, w                                                  \
    }

static void test_csum(void)
{
    static const struct lcase t[] = {
        PASS(CSUM, "09506000134352"),     /* GTIN-14 */
        PASS(CSUM, "4006381333931"),      /* GTIN-13 */
        PASS(CSUM, "036000291452"),       /* GTIN-12 (UPC-A) */
        PASS(CSUM, "12345670"),           /* GTIN-8 */
        PASS(CSUM, "106141411234567897"), /* SSCC */
        PASS(CSUM, "5412345000013"),      /* GLN */
        PASS(CSUM, "0"),
        PASS(CSUM, "02345673"),
        PASS(CSUM, "416000336108"),
        FAIL(CSUM, "12345673", "check digit is 3, should be 0"),
        FAIL(CSUM, "416000336109", "check digit is 9, should be 8"),
        FAIL(CSUM, "09506000134357", "check digit is 7, should be 2"),
        FAIL(CSUM, "4006381333932", "check digit is 2, should be 1"),
        FAIL(CSUM, "106141411234567890", "check digit is 0, should be 7"),
        FAIL(CSUM, "5412345000014", "check digit is 4, should be 3"),
        FAIL(CSUM, "1", "check digit is 1, should be 0"),
        FAIL(CSUM, "", "no digits"),
        FAIL(CSUM, "0950600013435X", "character 14 ('X') is not a digit"),
    };
    CHECK_CASES(t);
}

static void test_csumalpha(void)
{
    static const struct lcase t[] = {
        PASS(CSUMALPHA, "1987654Ad4X4bL5ttr2310c2K"), /* GMN example */
        PASS(CSUMALPHA, "22"),
        PASS(CSUMALPHA, "!22"),
        PASS(CSUMALPHA, "12345678901234567890123NT"),
        PASS(CSUMALPHA, "12345_ABCDEFGHIJKLMCP"),
        PASS(CSUMALPHA, "12345_abcdefghijklmN3"),
        PASS(CSUMALPHA, "12345_!\"%&'()*+,-./LC"),
        PASS(CSUMALPHA, "12345_0123456789:;<=>?62"),
        PASS(CSUMALPHA, "7907665Bm8v2AB"),
        PASS(CSUMALPHA, "00000!HV"),
        PASS(CSUMALPHA, "99999zzzzzzzzzzzzzzzzzzT2"),
        PASS(CSUMALPHA, "1234567890123456789012345678901234567890123456789012"
                        "345678901234567890123456789012345678901234567HA"),
        FAIL(CSUMALPHA, "1987654Ad4X4bL5ttr2310cXK",
             "check characters are XK, should be 2K"),
        FAIL(CSUMALPHA, "1987654Ad4X4bL5ttr2310c2X",
             "check characters are 2X, should be 2K"),
        FAIL(CSUMALPHA, "33", "check characters are 33, should be 22"),
        FAIL(CSUMALPHA, "2", "too short"),
        FAIL(CSUMALPHA, "", "too short"),
        FAIL(CSUMALPHA, "123456789 1234567890123NT",
             "character 10 (' ') is not allowed"),
        FAIL(CSUMALPHA, "12345678901234567890123N1",
             "check character '1' is not one of"),
        FAIL(CSUMALPHA,
             "12345678901234567890123456789012345678901234567890"
             "123456789012345678901234567890123456789012345678ZZ",
             "too long"),
    };
    CHECK_CASES(t);
}

static void test_gcp(void)
{
    static const struct lcase t[] = {
        PASS(GCPPOS1, "1234"),
        PASS(GCPPOS1, "1234A"),
        PASS(GCPPOS1, "9521234500007"),
        FAIL(GCPPOS1, "123", "too short"),
        FAIL(GCPPOS1, "", "too short"),
        FAIL(GCPPOS1, "123A5", "character 4 ('A') is inside the GS1 Company"),
        PASS(GCPPOS2, "01234"),
        PASS(GCPPOS2, "I0123A"),
        FAIL(GCPPOS2, "0123", "too short"),
        FAIL(GCPPOS2, "0", "too short"),
        FAIL(GCPPOS2, "", "too short"),
        FAIL(GCPPOS2, "0A234", "character 2 ('A')"),
        FAIL(GCPPOS2, "I012A", "character 5 ('A')"),
    };
    CHECK_CASES(t);
}

static void test_dates(void)
{
    static const struct lcase t[] = {
        PASS(YYMMDD, "240229"), /* YY % 4 == 0: leap */
        PASS(YYMMDD, "000229"),
        PASS(YYMMDD, "991231"),
        PASS(YYMMDD, "250101"),
        PASS(YYMMDD, "250430"),
        FAIL(YYMMDD, "230229", "day 29 is past the end of month 02 of year 23"),
        FAIL(YYMMDD, "240230", "day 30 is past the end of month 02"),
        FAIL(YYMMDD, "240431", "day 31 is past the end of month 04"),
        FAIL(YYMMDD, "241301", "month 13 does not exist"),
        FAIL(YYMMDD, "240001", "month 00 does not exist"),
        FAIL(YYMMDD, "241200", "day 00 does not exist"),
        FAIL(YYMMDD, "24120", "needs 6 digits"),
        FAIL(YYMMDD, "2412011", "needs 6 digits"),
        FAIL(YYMMDD, "", "needs 6 digits"),
        FAIL(YYMMDD, "24x201", "character 3 ('x') is not a digit"),
        PASS(YYMMD0, "241200"), /* day 00: end of month */
        PASS(YYMMD0, "240200"),
        PASS(YYMMD0, "241231"),
        PASS(YYMMD0, "200229"),
        FAIL(YYMMD0, "210229", "day 29 is past the end"),
        FAIL(YYMMD0, "241300", "month 13 does not exist"),
        FAIL(YYMMD0, "240000", "month 00 does not exist"),
        FAIL(YYMMD0, "241232", "day 32 is past the end"),
        PASS(YYYYMMDD, "20240229"),
        PASS(YYYYMMDD, "20000229"),
        PASS(YYYYMMDD, "20241231"),
        FAIL(YYYYMMDD, "21000229", "day 29 is past the end of 2100-02"),
        FAIL(YYYYMMDD, "20230229", "day 29 is past the end of 2023-02"),
        FAIL(YYYYMMDD, "20240431", "day 31 is past the end of 2024-04"),
        FAIL(YYYYMMDD, "20241301", "month 13 does not exist"),
        FAIL(YYYYMMDD, "20240100", "day 00 does not exist"),
        FAIL(YYYYMMDD, "240101", "needs 8 digits"),
    };
    CHECK_CASES(t);
}

static void test_times(void)
{
    static const struct lcase t[] = {
        PASS(HH, "00"),
        PASS(HH, "23"),
        FAIL(HH, "24", "hour 24 does not exist"),
        FAIL(HH, "2", "hour needs 2 digits"),
        FAIL(HH, "2a", "character 2 ('a') is not a digit"),
        PASS(MI, "00"),
        PASS(MI, "59"),
        FAIL(MI, "60", "minute 60 does not exist"),
        FAIL(MI, "600", "minute needs 2 digits"),
        PASS(SS, "59"),
        FAIL(SS, "60", "second 60 does not exist"),
        FAIL(SS, "", "second needs 2 digits"),
        PASS(HHMI, "0000"),
        PASS(HHMI, "2359"),
        FAIL(HHMI, "2400", "hour 24 does not exist"),
        FAIL(HHMI, "2360", "minute 60 does not exist"),
        FAIL(HHMI, "235", "needs 4 digits"),
        FAIL(HHMI, "23x9", "character 3 ('x') is not a digit"),
    };
    CHECK_CASES(t);
}

static void test_code_lists(void)
{
    static const struct lcase t[] = {
        PASS(ISO3166, "276"),
        PASS(ISO3166, "840"),
        PASS(ISO3166, "004"),
        PASS(ISO3166, "894"),
        FAIL(ISO3166, "999", "'999' is not an ISO 3166 country code"),
        FAIL(ISO3166, "000", "'000' is not an ISO 3166"),
        FAIL(ISO3166, "27", "'27' is not"),
        FAIL(ISO3166, "2760", "'2760' is not"),
        FAIL(ISO3166, "", "'' is not"),
        PASS(ISO3166999, "999"),
        PASS(ISO3166999, "250"),
        FAIL(ISO3166999, "998", "'998' is not an ISO 3166 country code or 999"),
        PASS(ISO3166ALPHA2, "DE"),
        PASS(ISO3166ALPHA2, "GB"),
        PASS(ISO3166ALPHA2, "AD"),
        PASS(ISO3166ALPHA2, "ZW"),
        FAIL(ISO3166ALPHA2, "XX", "'XX' is not an ISO 3166 two-letter"),
        FAIL(ISO3166ALPHA2, "de", "'de' is not"),
        FAIL(ISO3166ALPHA2, "D", "'D' is not"),
        FAIL(ISO3166ALPHA2, "DEU", "'DEU' is not"),
        PASS(ISO4217, "978"),
        PASS(ISO4217, "840"),
        PASS(ISO4217, "008"),
        PASS(ISO4217, "999"),
        FAIL(ISO4217, "000", "'000' is not an ISO 4217 currency code"),
        FAIL(ISO4217, "EUR", "'EUR' is not an ISO 4217"),
        FAIL(ISO4217, "97", "'97' is not"),
        PASS(PACKAGETYPE, "1A"),
        PASS(PACKAGETYPE, "8"),
        PASS(PACKAGETYPE, "200"),
        PASS(PACKAGETYPE, "BX"),
        PASS(PACKAGETYPE, "ZZ"),
        PASS(PACKAGETYPE, "X3"),
        FAIL(PACKAGETYPE, "0", "'0' is not a package type code"),
        FAIL(PACKAGETYPE, "bx", "'bx' is not a package type"),
        FAIL(PACKAGETYPE, "1A_", "'1A_' is not"),
        FAIL(PACKAGETYPE, "", "'' is not"),
        PASS(MEDIATYPE, "01"),
        PASS(MEDIATYPE, "10"),
        PASS(MEDIATYPE, "80"),
        PASS(MEDIATYPE, "99"),
        FAIL(MEDIATYPE, "00", "'00' is not an AIDC media type"),
        FAIL(MEDIATYPE, "11", "'11' is not an AIDC media type"),
        FAIL(MEDIATYPE, "79", "'79' is not"),
        FAIL(MEDIATYPE, "1", "'1' is not"),
        FAIL(MEDIATYPE, "AA", "'AA' is not"),
    };
    CHECK_CASES(t);
}

static void test_single_codes(void)
{
    static const struct lcase t[] = {
        PASS(ISO5218, "0"),
        PASS(ISO5218, "1"),
        PASS(ISO5218, "2"),
        PASS(ISO5218, "9"),
        FAIL(ISO5218, "3", "'3' is not an ISO/IEC 5218 sex code"),
        FAIL(ISO5218, "01", "'01' is not"),
        FAIL(ISO5218, "", "'' is not"),
        PASS(YESNO, "0"),
        PASS(YESNO, "1"),
        FAIL(YESNO, "2", "'2' must be 0 (no) or 1 (yes)"),
        FAIL(YESNO, "", "must be 0 (no) or 1"),
        PASS(WINDING, "0"),
        PASS(WINDING, "1"),
        PASS(WINDING, "9"),
        FAIL(WINDING, "2", "'2' is not a winding direction"),
        FAIL(WINDING, "01", "'01' is not a winding"),
        PASS(IMPORTERIDX, "-"),
        PASS(IMPORTERIDX, "_"),
        PASS(IMPORTERIDX, "0"),
        PASS(IMPORTERIDX, "Z"),
        PASS(IMPORTERIDX, "z"),
        FAIL(IMPORTERIDX, "!", "'!' is not an importer index"),
        FAIL(IMPORTERIDX, "AA", "must be one character, this has 2"),
        FAIL(IMPORTERIDX, "", "must be one character, this has 0"),
    };
    CHECK_CASES(t);
}

static void test_simple_values(void)
{
    static const struct lcase t[] = {
        PASS(HYPHEN, "-"),
        PASS(HYPHEN, "---"),
        FAIL(HYPHEN, "", "empty"),
        FAIL(HYPHEN, "-X", "'-X' must be only hyphens"),
        PASS(ZERO, "0"),
        PASS(ZERO, "000"),
        FAIL(ZERO, "", "empty"),
        FAIL(ZERO, "010", "'010' must be zero"),
        FAIL(ZERO, "X", "'X' must be zero"),
        PASS(NONZERO, "1"),
        PASS(NONZERO, "0009"),
        PASS(NONZERO, "9000"),
        FAIL(NONZERO, "000", "'000' must not be zero"),
        FAIL(NONZERO, "", "must not be zero"),
        FAIL(NONZERO, "9A9", "character 2 ('A') is not a digit"),
        PASS(NOZEROPREFIX, "1"),
        PASS(NOZEROPREFIX, "10"),
        PASS(NOZEROPREFIX, ""),
        FAIL(NOZEROPREFIX, "0", "'0' must not start with 0"),
        FAIL(NOZEROPREFIX, "012", "'012' must not start with 0"),
        FAIL(NOZEROPREFIX, "1A", "character 2 ('A') is not a digit"),
        PASS(HASNONDIGIT, "A"),
        PASS(HASNONDIGIT, "12/3"),
        PASS(HASNONDIGIT, "123:"),
        FAIL(HASNONDIGIT, "0123456789", "'0123456789' is all digits"),
        FAIL(HASNONDIGIT, "", "is all digits"),
        PASS(PCENC, ""),
        PASS(PCENC, "ABC"),
        PASS(PCENC, "%20"),
        PASS(PCENC, "A%ffB%00"),
        FAIL(PCENC, "%fg", "'%fg' at character 1 is not a percent escape"),
        FAIL(PCENC, "ABC%g", "'%g' at character 4 is not a percent escape"),
        FAIL(PCENC, "AB%", "'%' at character 3"),
        FAIL(PCENC, "%gXYZ", "'%gX' at character 1"),
    };
    CHECK_CASES(t);
}

static void test_pieces_and_positions(void)
{
    static const struct lcase t[] = {
        PASS(PIECEOFTOTAL, "11"),
        PASS(PIECEOFTOTAL, "0103"),
        PASS(PIECEOFTOTAL, "999999"),
        PASS(PIECEOFTOTAL, "0909"),
        FAIL(PIECEOFTOTAL, "0908", "piece 09 is more than the total 08"),
        FAIL(PIECEOFTOTAL, "21", "piece 2 is more than the total 1"),
        FAIL(PIECEOFTOTAL, "0001", "piece number 00 is zero"),
        FAIL(PIECEOFTOTAL, "0100", "total 00 is zero"),
        FAIL(PIECEOFTOTAL, "111", "length must be even (this has 3)"),
        FAIL(PIECEOFTOTAL, "", "length must be even (this has 0)"),
        FAIL(PIECEOFTOTAL, "1x", "character 2 ('x') is not a digit"),
        PASS(POSINSEQSLASH, "1/1"),
        PASS(POSINSEQSLASH, "9/10"),
        PASS(POSINSEQSLASH, "100/100"),
        PASS(POSINSEQSLASH, "998/999"),
        FAIL(POSINSEQSLASH, "2/1", "position 2 is past the end 1"),
        FAIL(POSINSEQSLASH, "10/9", "position 10 is past the end 9"),
        FAIL(POSINSEQSLASH, "999/998", "position 999 is past the end 998"),
        FAIL(POSINSEQSLASH, "0/1", "position '0' must not be zero"),
        FAIL(POSINSEQSLASH, "01/2", "position '01' must not"),
        FAIL(POSINSEQSLASH, "1/02", "end '02' must not"),
        FAIL(POSINSEQSLASH, "1/", "'1/' is not a position and an end"),
        FAIL(POSINSEQSLASH, "/1", "'/1' is not a position"),
        FAIL(POSINSEQSLASH, "1//2", "'1//2' is not"),
        FAIL(POSINSEQSLASH, "", "'' is not"),
    };
    CHECK_CASES(t);
}

static void test_coordinates(void)
{
    static const struct lcase t[] = {
        PASS(LATITUDE, "0000000000"),
        PASS(LATITUDE, "0279085848"),
        PASS(LATITUDE, "1800000000"), /* 90 degrees north */
        FAIL(LATITUDE, "1800000001", "latitude 1800000001 is over"),
        FAIL(LATITUDE, "9999999999", "latitude 9999999999 is over"),
        FAIL(LATITUDE, "027908584", "latitude needs 10 digits, this has 9"),
        FAIL(LATITUDE, "02790858x8", "character 9 ('x') is not a digit"),
        PASS(LONGITUDE, "3600000000"),
        PASS(LONGITUDE, "3015297971"),
        FAIL(LONGITUDE, "3600000001", "longitude 3600000001 is over"),
        FAIL(LONGITUDE, "30152979711", "longitude needs 10 digits"),
    };
    CHECK_CASES(t);
}

static void test_iban(void)
{
    static const struct lcase t[] = {
        PASS(IBAN, "GB82WEST12345698765432"),
        PASS(IBAN, "DE89370400440532013000"),
        PASS(IBAN, "BE71096123456769"),
        PASS(IBAN, "FR7630006000011234567890189"),
        PASS(IBAN, "MU43BOMM0101123456789101000MUR"),
        PASS(IBAN, "LC14BOSL123456789012345678901234"),
        PASS(IBAN, "NO9386011117947"),
        FAIL(IBAN, "GB82WEST12345698765431",
             "IBAN check digits are 82, should be 12"),
        FAIL(IBAN, "BE71096123456760", "IBAN check digits are 71"),
        FAIL(IBAN, "XX361234567890", "IBAN country 'XX' is not an ISO 3166"),
        FAIL(IBAN, "gb82west12345698765432", "IBAN country 'gb'"),
        FAIL(IBAN, "LC14BOSLxx3456789012345678901230",
             "character 9 ('x') is not allowed in an IBAN"),
        FAIL(IBAN, "BE7109612", "too short for an IBAN"),
        FAIL(IBAN, "", "too short for an IBAN"),
    };
    CHECK_CASES(t);
}

/* The primary part of an AI (8110) coupon: GCP 123456, offer 123456, save
 * value 1, 1st purchase requirement 1, code 0, family 123. */
#define CB "012345612345611110123"

static void test_couponcode(void)
{
    static const struct lcase t[] = {
        PASS(COUPONCODE, CB),
        PASS(COUPONCODE, CB "101101230123456"), /* field 1, GCP 6 digits */
        PASS(COUPONCODE, CB "101101236123456789012"), /* 12-digit GCP */
        PASS(COUPONCODE, CB "101101239"),             /* field 1, GCP "same" */
        PASS(COUPONCODE, CB "21101230123456"),        /* field 2 */
        PASS(COUPONCODE, CB "3200229"),               /* expiration date */
        PASS(COUPONCODE, CB "3250101"
                            "4240101"), /* expiration, start */
        PASS(COUPONCODE, CB "4240101"),
        PASS(COUPONCODE, CB "50123456"),  /* serial number */
        PASS(COUPONCODE, CB "611234567"), /* retailer GCP */
        PASS(COUPONCODE, CB "90000"),     /* misc */
        PASS(COUPONCODE, CB "101101239"
                            "21101239"
                            "3250101"
                            "4240101"
                            "50123456"
                            "611234567"
                            "96291"),
        FAIL(COUPONCODE, "", "coupon is empty"),
        FAIL(COUPONCODE, "a12345612345611110123", "character 1 ('a')"),
        FAIL(COUPONCODE, "71234567890123",
             "GS1 Company Prefix length digit is 7, must be 0 to 6"),
        FAIL(COUPONCODE, "012345",
             "GS1 Company Prefix is cut short: needs 6 digits, has 5"),
        FAIL(COUPONCODE, "0123456", "coupon ends before the offer code"),
        FAIL(COUPONCODE, "01234561234", "offer code is cut short"),
        FAIL(COUPONCODE, "0123456123456",
             "coupon ends before the save value length digit"),
        FAIL(COUPONCODE, "01234561234560",
             "save value length digit is 0, must be 1 to 5"),
        FAIL(COUPONCODE, "012345612345621", "save value is cut short"),
        FAIL(COUPONCODE, "012345612345611",
             "ends before the 1st purchase requirement length digit"),
        FAIL(COUPONCODE, "01234561234561121",
             "1st purchase requirement is cut short"),
        FAIL(COUPONCODE, "01234561234561111",
             "ends before the 1st purchase requirement code"),
        FAIL(COUPONCODE, "012345612345611115123",
             "1st purchase requirement code is 5, must be 0 to 4 or 9"),
        FAIL(COUPONCODE, "01234561234561111012",
             "1st purchase family code is cut short"),
        FAIL(COUPONCODE, CB "1",
             "ends before the additional purchase rules code"),
        FAIL(COUPONCODE, CB "14", "additional purchase rules code is 4"),
        FAIL(COUPONCODE, CB "106",
             "2nd purchase requirement length digit is 6, must be 1 to 5"),
        FAIL(COUPONCODE, CB "10115", "2nd purchase requirement code is 5"),
        FAIL(COUPONCODE, CB "1011012", "2nd purchase family code is cut"),
        FAIL(COUPONCODE, CB "10110123",
             "ends before the 2nd purchase GS1 Company Prefix length"),
        FAIL(COUPONCODE, CB "101101237",
             "2nd purchase GS1 Company Prefix length digit is 7, must be 0 "
             "to 6 or 9"),
        FAIL(COUPONCODE, CB "10110123012345",
             "2nd purchase GS1 Company Prefix is cut short"),
        FAIL(COUPONCODE, CB "2", "ends before the 3rd purchase requirement"),
        FAIL(COUPONCODE, CB "211012312345",
             "3rd purchase GS1 Company Prefix is cut short"),
        FAIL(COUPONCODE, CB "312345", "expiration date is cut short"),
        FAIL(COUPONCODE, CB "3251301",
             "expiration date: month 13 does not exist"),
        FAIL(COUPONCODE, CB "3230229", "expiration date: day 29 is past"),
        FAIL(COUPONCODE, CB "4240100", "start date: day 00 does not exist"),
        FAIL(COUPONCODE,
             CB "3240101"
                "4250101",
             "expiration date 240101 is before the start date 250101"),
        FAIL(COUPONCODE, CB "5", "ends before the serial number length"),
        FAIL(COUPONCODE, CB "5112345", "serial number is cut short"),
        FAIL(COUPONCODE, CB "60",
             "retailer GS1 Company Prefix or GLN length "
             "digit is 0, must be 1 to 7"),
        FAIL(COUPONCODE, CB "68123456789012345", "length digit is 8"),
        FAIL(COUPONCODE, CB "6112345",
             "retailer GS1 Company Prefix or GLN is "
             "cut short"),
        FAIL(COUPONCODE, CB "9", "ends before the save value code"),
        FAIL(COUPONCODE, CB "93000", "save value code is 3"),
        FAIL(COUPONCODE, CB "90300", "save value applies to item is 3"),
        FAIL(COUPONCODE, CB "900", "ends before the store coupon flag"),
        FAIL(COUPONCODE, CB "9000", "ends before the don't multiply flag"),
        FAIL(COUPONCODE, CB "90002", "don't multiply flag is 2"),
        FAIL(COUPONCODE, CB "7", "unexpected '7' after the coupon's last"),
        FAIL(COUPONCODE,
             CB "90000"
                "1",
             "unexpected '1' after"),
        FAIL(COUPONCODE,
             CB "4240101"
                "3250101",
             "unexpected '3250101'"),
        FAIL(COUPONCODE, CB "1011012301234560", "unexpected '0'"),
    };
    CHECK_CASES(t);
}

static void test_couponposoffer(void)
{
    static const struct lcase t[] = {
        PASS(COUPONPOSOFFER, "001234561234560123456"),
        PASS(COUPONPOSOFFER, "101234561234560123456"),
        PASS(COUPONPOSOFFER, "001234561234569123456789012345"),
        PASS(COUPONPOSOFFER, "061234567890121234569123456789012345"),
        FAIL(COUPONPOSOFFER, "", "coupon ends before the format code"),
        FAIL(COUPONPOSOFFER, "201234561234560123456",
             "format code is 2, must be 0 or 1"),
        FAIL(COUPONPOSOFFER, "0", "ends before the funder ID length digit"),
        FAIL(COUPONPOSOFFER, "07", "funder ID length digit is 7"),
        FAIL(COUPONPOSOFFER, "001234", "funder ID is cut short"),
        FAIL(COUPONPOSOFFER, "00123456", "ends before the offer code"),
        FAIL(COUPONPOSOFFER, "001234561", "offer code is cut short"),
        FAIL(COUPONPOSOFFER, "00123456123456",
             "ends before the serial number length digit"),
        FAIL(COUPONPOSOFFER, "001234561234561123456",
             "serial number is cut short: needs 7 digits, has 6"),
        FAIL(COUPONPOSOFFER, "0012345612345601234567", "unexpected '7'"),
        FAIL(COUPONPOSOFFER, "a01234561234560123456", "character 1 ('a')"),
    };
    CHECK_CASES(t);
}

/* Every linter's dictionary name finds it, and every name round-trips. */
static void test_names_roundtrip(void)
{
    ASSERT_EQ(LL_GS1_LINT_COUNT, 35);
    for (int i = LL_GS1_LINT_NONE + 1; i < LL_GS1_LINT_COUNT; i++) {
        const char *name = ll_gs1_linter_name(i);
        size_t len = strlen(name);
        /* A prefix of the name is not the linter. */
        if (strcmp(name, "?") == 0 || ll_gs1_linter_find(name, len) != i ||
            ll_gs1_linter_find(name, len - 1) == i)
            ll_test_fail(__FILE__, __LINE__, "linter %d (\"%s\")", i, name);
    }
}

static void test_names_edges(void)
{
    static const struct {
        const char *name;
        size_t n;
        int want;
    } t[] = {
        {"csum", 4, LL_GS1_LINT_CSUM},
        {"csumalpha", 9, LL_GS1_LINT_CSUMALPHA},
        {"csumalphaX", 9, LL_GS1_LINT_CSUMALPHA},
        {"csumalpha", 10, LL_GS1_LINT_NONE},
        {"CSUM", 4, LL_GS1_LINT_NONE},
        {"", 0, LL_GS1_LINT_NONE},
        {NULL, 0, LL_GS1_LINT_NONE},
        {"hhmm", 4, LL_GS1_LINT_NONE},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(t); i++)
        ASSERT_EQ(ll_gs1_linter_find(t[i].name, t[i].n), t[i].want);
    static const struct {
        int linter;
        const char *name;
    } u[] = {
        {LL_GS1_LINT_NONE, "?"},
        {LL_GS1_LINT_COUNT, "?"},
        {-1, "?"},
        {LL_GS1_LINT_HHMI, "hhmi"},
        {LL_GS1_LINT_MEDIATYPE, "mediatype"},
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(u); i++)
        ASSERT_STR_EQ(ll_gs1_linter_name(u[i].linter), u[i].name);
}

/* Each linter name in one specification component such as "[N3],iso3166"
 * or "N14,csum,gcppos2"; marks it in seen[]. */
static void check_component(const char *tok, size_t len, bool *seen)
{
    const char *comma = memchr(tok, ',', len);
    while (comma != NULL) {
        const char *name = comma + 1;
        size_t left = len - (size_t)(name - tok);
        const char *next = memchr(name, ',', left);
        size_t nlen = next ? (size_t)(next - name) : left;
        int l = ll_gs1_linter_find(name, nlen);
        if (l == LL_GS1_LINT_NONE)
            ll_test_fail(__FILE__, __LINE__, "unknown linter \"%.*s\"",
                         (int)nlen, name);
        ASSERT_EQ(strlen(ll_gs1_linter_name(l)), nlen);
        ASSERT_TRUE(memcmp(ll_gs1_linter_name(l), name, nlen) == 0);
        seen[l] = true;
        comma = next;
    }
}

/* True if a token is a specification component: an optional '[', N, X, Y
 * or Z, then a length ("5" or "..20"). */
static bool is_component(const char *tok, size_t len)
{
    size_t i = tok[0] == '[' ? 1 : 0;
    if (len <= i + 1 || strchr("NXYZ", tok[i]) == NULL)
        return false;
    return (tok[i + 1] >= '0' && tok[i + 1] <= '9') || tok[i + 1] == '.';
}

/* Scan one dictionary line; returns the number of linter uses found. */
static size_t scan_line(const char *line, size_t len, bool *seen)
{
    size_t uses = 0;
    size_t i = 0;
    while (i < len && line[i] != '#') {
        if (line[i] == ' ' || line[i] == '\t') {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && line[i] != ' ' && line[i] != '\t')
            i++;
        const char *tok = line + start;
        size_t tlen = i - start;
        if (is_component(tok, tlen) && memchr(tok, ',', tlen) != NULL) {
            check_component(tok, tlen, seen);
            uses++;
        }
    }
    return uses;
}

/*
 * Read the GS1 Barcode Syntax Dictionary in place: every linter it names is
 * known, and every linter we have is used by it.
 */
static void test_dictionary_linters(void)
{
    char path[512];
    int w = snprintf(path, sizeof(path), "%s/gs1/gs1-syntax-dictionary.txt",
                     ll_test_vectors_dir());
    ASSERT_TRUE(w > 0 && (size_t)w < sizeof(path));
    size_t len = 0;
    uint8_t *text = ll_test_read_file(path, &len);
    if (text == NULL)
        ll_test_fail(__FILE__, __LINE__, "cannot read %s", path);
    bool seen[LL_GS1_LINT_COUNT] = {false};
    size_t uses = 0;
    const char *p = (const char *)text;
    const char *end = p + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t llen = nl ? (size_t)(nl - p) : (size_t)(end - p);
        uses += scan_line(p, llen, seen);
        p += llen + 1;
    }
    ll_free(text);
    /* The dictionary has 124 components with linters (2024 releases). */
    ASSERT_GE(uses, 120);
    for (int i = LL_GS1_LINT_NONE + 1; i < LL_GS1_LINT_COUNT; i++) {
        if (!seen[i])
            ll_test_fail(__FILE__, __LINE__,
                         "linter %s is not in the dictionary",
                         ll_gs1_linter_name(i));
    }
}

/* List l is strictly sorted (bsearch needs it), has at least min entries of
 * one to three characters, and finds each of them. */
static void check_list(int l, size_t min)
{
    size_t n = ll_gs1__list_len(l);
    ASSERT_GE(n, min);
    for (size_t i = 0; i < n; i++) {
        const char *e = ll_gs1__list_at(l, i);
        if (e == NULL)
            ll_test_fail(__FILE__, __LINE__, "list %d entry %zu is NULL", l, i);
        size_t len = strlen(e);
        const char *prev = i > 0 ? ll_gs1__list_at(l, i - 1) : "";
        if (len < 1 || len > 3 || strcmp(prev, e) >= 0 ||
            !ll_gs1__list_has(l, e, len))
            ll_test_fail(__FILE__, __LINE__, "list %d entry %zu \"%s\"", l, i,
                         e);
    }
    ASSERT_TRUE(ll_gs1__list_at(l, n) == NULL);
}

static void test_lists_sorted(void)
{
    check_list(LL_GS1__LIST_ISO3166, 249);
    check_list(LL_GS1__LIST_ISO3166ALPHA2, 249);
    check_list(LL_GS1__LIST_ISO4217, 150);
    check_list(LL_GS1__LIST_PACKAGETYPE, 300);
    ASSERT_UEQ(ll_gs1__list_len(LL_GS1__LIST_COUNT), 0);
}

static void test_lists_edges(void)
{
    ASSERT_TRUE(ll_gs1__list_has(LL_GS1__LIST_ISO3166, "276", 3));
    ASSERT_FALSE(ll_gs1__list_has(LL_GS1__LIST_ISO3166, "27\0", 3));
    ASSERT_FALSE(ll_gs1__list_has(LL_GS1__LIST_ISO3166, "2760", 4));
    ASSERT_FALSE(ll_gs1__list_has(LL_GS1__LIST_ISO3166, NULL, 3));
    ASSERT_FALSE(ll_gs1__list_has(-1, "276", 3));
}

/* The reason buffer: truncated to cap, untouched on success, optional. */
static void test_why_truncation(void)
{
    char why[8];
    memset(why, 'Q', sizeof(why));
    ASSERT_OK(ll_gs1_lint(LL_GS1_LINT_CSUM, "12345670", 8, why, sizeof(why)));
    ASSERT_EQ(why[0], 'Q');
    ASSERT_ERR(ll_gs1_lint(LL_GS1_LINT_CSUM, "12345671", 8, why, 5), LL_EINVAL);
    ASSERT_STR_EQ(why, "chec");
    ASSERT_EQ(why[5], 'Q');
}

/* With cap 0 the reason buffer is not touched. */
static void test_why_cap0(void)
{
    char why[8];
    memset(why, 'Q', sizeof(why));
    ASSERT_ERR(ll_gs1_lint(LL_GS1_LINT_CSUM, "12345671", 8, why, 0), LL_EINVAL);
    ASSERT_EQ(why[0], 'Q');
    ASSERT_ERR(ll_gs1_lint(LL_GS1_LINT_CSUM, "12345671", 8, why, 1), LL_EINVAL);
    ASSERT_EQ(why[0], '\0');
    ASSERT_EQ(why[1], 'Q');
}

/* A call's return code and (when want is not NULL) a piece of its reason. */
struct rcase {
    int linter;
    int rc;
    const char *c; /* may hold NULs and be NULL */
    size_t n;
    const char *want;
};

static void check_rcases(const char *file, int line, const struct rcase *t,
                         size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char why[128] = "";
        int rc = ll_gs1_lint(t[i].linter, t[i].c, t[i].n, why, sizeof(why));
        if (rc != t[i].rc || (t[i].want && strstr(why, t[i].want) == NULL))
            ll_test_fail(file, line, "case %zu: rc %d, reason \"%s\"", i, rc,
                         why);
    }
}

#define CHECK_RCASES(t) check_rcases(__FILE__, __LINE__, t, LL_ARRAY_LEN(t))

/* Odd arguments: no reason buffer, unknown linters, NULL data. Long values
 * are quoted cut short and non-printable bytes as '?'. */
static void test_why_arguments(void)
{
    static const struct rcase t[] = {
        {LL_GS1_LINT_CSUM, LL_EINVAL, "12345671", 8, NULL},
        {LL_GS1_LINT_NONE, LL_EINVAL, "1", 1, "unknown check"},
        {LL_GS1_LINT_COUNT, LL_EINVAL, "1", 1, "unknown check"},
        {-7, LL_EINVAL, "1", 1, "unknown check"},
        {LL_GS1_LINT_CSUM, LL_EINVAL, NULL, 3, "no data"},
        {LL_GS1_LINT_CSUM, LL_EINVAL, NULL, 0, "no digits"},
        {LL_GS1_LINT_PCENC, 0, NULL, 0, NULL},
        {LL_GS1_LINT_PACKAGETYPE, LL_EINVAL,
         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 36,
         "'ABCDEFGHIJKLMNOPQRSTUVWX...'"},
        {LL_GS1_LINT_ISO3166, LL_EINVAL, "2\x01\xff", 3,
         "'2?"
         "?'"},
    };
    CHECK_RCASES(t);
    ASSERT_ERR(ll_gs1_lint(LL_GS1_LINT_CSUM, "12345671", 8, NULL, 0),
               LL_EINVAL);
    ASSERT_ERR(ll_gs1_lint(LL_GS1_LINT_CSUM, "12345671", 8, NULL, 99),
               LL_EINVAL);
}

/* A linter reads only c[0..n): the bytes after it (or a NUL inside it)
 * change nothing. */
static void test_counted_not_terminated(void)
{
    static const struct rcase t[] = {
        {LL_GS1_LINT_CSUM, 0, "123456709", 8, NULL},
        {LL_GS1_LINT_YYMMDD, 0, "2402290", 6, NULL},
        {LL_GS1_LINT_ISO3166, 0, "2760", 3, NULL},
        {LL_GS1_LINT_PCENC, 0, "AB%", 2, NULL},
        {LL_GS1_LINT_ZERO, 0, "01", 1, NULL},
        {LL_GS1_LINT_PCENC, LL_EINVAL, "A%20", 3, "percent escape"},
        {LL_GS1_LINT_ISO3166, LL_EINVAL, "27\0", 3, "'27?'"},
        {LL_GS1_LINT_YESNO, LL_EINVAL, "\0", 1, "'?'"},
        {LL_GS1_LINT_IMPORTERIDX, LL_EINVAL, "\0", 1, "'?'"},
        {LL_GS1_LINT_CSUM, LL_EINVAL, "12\0", 3, "character 3 ('?')"},
    };
    CHECK_RCASES(t);
}

/* Run every linter on c[0..n): each gives 0, or LL_EINVAL with a reason. */
static void lint_all(const char *c, size_t n)
{
    for (int l = LL_GS1_LINT_NONE + 1; l < LL_GS1_LINT_COUNT; l++) {
        char why[64] = "";
        int rc = ll_gs1_lint(l, c, n, why, sizeof(why));
        bool ok = rc == 0 || (rc == LL_EINVAL && why[0] != '\0');
        if (!ok || strstr(why, "unknown check") != NULL)
            ll_test_fail(__FILE__, __LINE__, "%s on %zu bytes: %d \"%s\"",
                         ll_gs1_linter_name(l), n, rc, why);
    }
}

/*
 * Totality: random bytes of random lengths, from a heap buffer of exactly
 * that size so that sanitizer builds catch a read past n.
 */
static void test_random_bytes(void)
{
    static const char alphabet[] = "0123456789/%-AZaz\0\xff ";
    for (int round = 0; round < 3000; round++) {
        size_t n = ll_test_rand_below(40);
        char *c = ll_malloc(n ? n : 1);
        ASSERT_NOT_NULL(c);
        ll_test_rand_bytes(c, n);
        /* Every other round draws from characters the linters look for. */
        for (size_t i = 0; round % 2 && i < n; i++)
            c[i] = alphabet[ll_test_rand_below(sizeof(alphabet) - 1)];
        lint_all(c, n);
        ll_free(c);
    }
}

static const struct ll_test tests[] = {
    {"csum", test_csum},
    {"csumalpha", test_csumalpha},
    {"gcp", test_gcp},
    {"dates", test_dates},
    {"times", test_times},
    {"code_lists", test_code_lists},
    {"single_codes", test_single_codes},
    {"simple_values", test_simple_values},
    {"pieces_and_positions", test_pieces_and_positions},
    {"coordinates", test_coordinates},
    {"iban", test_iban},
    {"couponcode", test_couponcode},
    {"couponposoffer", test_couponposoffer},
    {"names_roundtrip", test_names_roundtrip},
    {"names_edges", test_names_edges},
    {"dictionary_linters", test_dictionary_linters},
    {"lists_sorted", test_lists_sorted},
    {"lists_edges", test_lists_edges},
    {"why_truncation", test_why_truncation},
    {"why_cap0", test_why_cap0},
    {"why_arguments", test_why_arguments},
    {"counted_not_terminated", test_counted_not_terminated},
    {"random_bytes", test_random_bytes},
};

LL_TEST_MAIN(tests)
