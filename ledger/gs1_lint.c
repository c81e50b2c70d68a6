/* SPDX-License-Identifier: MIT */
/*
 * GS1 Barcode Syntax Tests. Each linter is a static function over a counted
 * byte string c[0..n) that returns 0 or LL_EINVAL with a plain-words reason.
 * Numbers are read digit by digit after the digits have been checked, never
 * with strtoul, so no linter depends on a NUL terminator or on the locale.
 * What each linter accepts follows GS1's reference linters; the places where
 * the reference itself is loose (for example a coupon's store coupon flag,
 * which may be any digit) are kept loose on purpose, so that our parser and
 * the reference agree on every input.
 */
#include "gs1_lint.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Where a linter writes its reason. */
struct why {
    char *buf;  /* NULL when cap is 0 */
    size_t cap; /* bytes, including the NUL */
};

/* Longest quoted value in a message; longer ones end in "...". */
#define SHOW_MAX 24

static int fail(struct why *w, const char *fmt, ...) LL_PRINTF(2, 3);

/* Format the reason into w (if it has room) and return LL_EINVAL. */
static int fail(struct why *w, const char *fmt, ...)
{
    if (w->cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        (void)vsnprintf(w->buf, w->cap, fmt, ap);
        va_end(ap);
    }
    return LL_EINVAL;
}

/*
 * Copy s[0..n) into out as printable text for a message: bytes outside
 * printable ASCII become '?', and a value longer than SHOW_MAX is cut and
 * ends in "...".
 */
static const char *show(char out[static SHOW_MAX + 4], const char *s, size_t n)
{
    size_t m = 0;
    for (; m < n && m < SHOW_MAX; m++) {
        out[m] = s[m];
        if (s[m] < ' ' || s[m] > '~')
            out[m] = '?';
    }
    if (n > SHOW_MAX) {
        memcpy(out + m, "...", 3);
        m += 3;
    }
    out[m] = '\0';
    return out;
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* c[0..n) must be digits; base is c's offset in the component. */
static int need_digits(struct why *w, const char *c, size_t n, size_t base)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(c[i])) {
            char q[SHOW_MAX + 4];
            return fail(w, "character %zu ('%s') is not a digit", base + i + 1,
                        show(q, c + i, 1));
        }
    }
    return 0;
}

/* The value of n <= 19 digits (checked by the caller). */
static uint64_t num(const char *c, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (uint64_t)(c[i] - '0');
    return v;
}

/* True if c[0..n) is exactly the NUL-terminated string s. */
static bool is_str(const char *c, size_t n, const char *s)
{
    return strlen(s) == n && memcmp(c, s, n) == 0;
}

/* True if c[0..n) is all '0' (or empty). */
static bool all_zero(const char *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (c[i] != '0')
            return false;
    }
    return true;
}

/* True if c[0..n) is one character that appears in set. */
static bool is_one_of(const char *c, size_t n, const char *set)
{
    return n == 1 && c[0] != '\0' && strchr(set, c[0]) != NULL;
}

/* ---- check digits ---------------------------------------------------------
 */

/* GS1 mod-10: the last digit checks the others, weighted 3, 1, 3, ... from
 * the right. */
static int lint_csum(struct why *w, const char *c, size_t n)
{
    if (n == 0)
        return fail(w, "no digits, so no check digit");
    int rc = need_digits(w, c, n, 0);
    if (rc)
        return rc;
    unsigned sum = 0;
    unsigned weight = 3;
    for (size_t i = n - 1; i-- > 0;) {
        sum += weight * (unsigned)(c[i] - '0');
        weight = 4 - weight;
    }
    unsigned want = (10 - sum % 10) % 10;
    if ((unsigned)(c[n - 1] - '0') != want)
        return fail(w, "check digit is %c, should be %u", c[n - 1], want);
    return 0;
}

/* CSET 82 in weight order, then CSET 32 (the check characters). */
static const char cset82[] = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQ"
                             "RSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
static const char cset32[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/* The first 97 primes: the weights of an alphanumeric key's characters. */
static const uint16_t primes[97] = {
    2,   3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,
    47,  53,  59,  61,  67,  71,  73,  79,  83,  89,  97,  101, 103, 107,
    109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181,
    191, 193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257, 263,
    269, 271, 277, 281, 283, 293, 307, 311, 313, 317, 331, 337, 347, 349,
    353, 359, 367, 373, 379, 383, 389, 397, 401, 409, 419, 421, 431, 433,
    439, 443, 449, 457, 461, 463, 467, 479, 487, 491, 499, 503, 509};

/* Index of ch in set (a NUL-terminated string), or -1. */
static int index_in(const char *set, char ch)
{
    if (ch == '\0')
        return -1;
    const char *p = strchr(set, ch);
    return p ? (int)(p - set) : -1;
}

/*
 * GS1 alphanumeric check character pair: the data characters' CSET 82
 * values, weighted by the primes from the right, summed mod 1021; the two
 * CSET 32 check characters carry the sum's high and low five bits.
 */
static int lint_csumalpha(struct why *w, const char *c, size_t n)
{
    char q[SHOW_MAX + 4];
    if (n < 2)
        return fail(w,
                    "too short for a check character pair (%zu "
                    "characters)",
                    n);
    if (n - 2 > LL_ARRAY_LEN(primes))
        return fail(w,
                    "too long for a check character pair (%zu characters, "
                    "at most %zu)",
                    n, LL_ARRAY_LEN(primes) + 2);
    unsigned sum = 0;
    for (size_t i = 0; i < n - 2; i++) {
        int v = index_in(cset82, c[i]);
        if (v < 0)
            return fail(w, "character %zu ('%s') is not allowed", i + 1,
                        show(q, c + i, 1));
        sum += (unsigned)v * primes[n - 3 - i];
    }
    for (size_t i = n - 2; i < n; i++) {
        if (index_in(cset32, c[i]) < 0)
            return fail(w, "check character '%s' is not one of %s",
                        show(q, c + i, 1), cset32);
    }
    sum %= 1021;
    char want0 = cset32[sum >> 5];
    char want1 = cset32[sum & 31];
    if (c[n - 2] != want0 || c[n - 1] != want1)
        return fail(w, "check characters are %c%c, should be %c%c", c[n - 2],
                    c[n - 1], want0, want1);
    return 0;
}

/* ---- GS1 Company Prefix ---------------------------------------------------
 */

/* The shortest GS1 Company Prefix has four digits. */
#define GCP_MIN 4

/*
 * Without a table of allocated prefixes (as the reference without its lookup
 * hook), all that can be checked is that the component is long enough to
 * hold the shortest prefix and that those first characters are digits.
 * base is c's offset in the component.
 */
static int gcp_at(struct why *w, const char *c, size_t n, size_t base)
{
    if (n < GCP_MIN)
        return fail(w,
                    "too short to start with a GS1 Company Prefix (%zu "
                    "characters, needs %d digits)",
                    n, GCP_MIN);
    for (size_t i = 0; i < GCP_MIN; i++) {
        if (!is_digit(c[i])) {
            char q[SHOW_MAX + 4];
            return fail(w,
                        "character %zu ('%s') is inside the GS1 Company "
                        "Prefix, which is all digits",
                        base + i + 1, show(q, c + i, 1));
        }
    }
    return 0;
}

static int lint_gcppos1(struct why *w, const char *c, size_t n)
{
    return gcp_at(w, c, n, 0);
}

/* The prefix starts at the second character (after an extension digit). */
static int lint_gcppos2(struct why *w, const char *c, size_t n)
{
    if (n < 2)
        return fail(w,
                    "too short to hold a GS1 Company Prefix after its "
                    "first character (%zu characters)",
                    n);
    return gcp_at(w, c + 1, n - 1, 1);
}

/* ---- dates and times ------------------------------------------------------
 */

static unsigned days_in_month(unsigned year, unsigned month, bool full_year)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30,
                                           31, 31, 30, 31, 30, 31};
    bool leap = year % 4 == 0;
    if (full_year)
        leap = leap && (year % 100 != 0 || year % 400 == 0);
    if (month == 2 && leap)
        return 29;
    return days[month - 1];
}

/*
 * A date YYMMDD (full_year false) or YYYYMMDD. day0 allows day 00 (the end
 * of the month, for yymmd0).
 */
static int check_date(struct why *w, const char *c, size_t n, bool full_year,
                      bool day0)
{
    size_t yn = full_year ? 4 : 2;
    if (n != yn + 4)
        return fail(w, "a date needs %zu digits (%s), this has %zu", yn + 4,
                    full_year ? "YYYYMMDD" : "YYMMDD", n);
    int rc = need_digits(w, c, n, 0);
    if (rc)
        return rc;
    unsigned year = (unsigned)num(c, yn);
    unsigned month = (unsigned)num(c + yn, 2);
    unsigned day = (unsigned)num(c + yn + 2, 2);
    if (month < 1 || month > 12)
        return fail(w, "month %.2s does not exist", c + yn);
    if (day == 0) {
        if (day0)
            return 0;
        return fail(w, "day 00 does not exist");
    }
    if (day > days_in_month(year, month, full_year)) {
        if (full_year)
            return fail(w, "day %.2s is past the end of %.4s-%.2s", c + 6, c,
                        c + 4);
        return fail(w, "day %.2s is past the end of month %.2s of year %.2s",
                    c + 4, c + 2, c);
    }
    return 0;
}

static int lint_yymmd0(struct why *w, const char *c, size_t n)
{
    return check_date(w, c, n, false, true);
}

static int lint_yymmdd(struct why *w, const char *c, size_t n)
{
    return check_date(w, c, n, false, false);
}

static int lint_yyyymmdd(struct why *w, const char *c, size_t n)
{
    return check_date(w, c, n, true, false);
}

/* Two digits at offset base of the component, naming a unit 00..max. */
static int check_2digit(struct why *w, const char *c, size_t n, size_t base,
                        const char *unit, unsigned max)
{
    if (n != 2)
        return fail(w, "%s needs 2 digits, this has %zu", unit, n);
    int rc = need_digits(w, c, 2, base);
    if (rc)
        return rc;
    if (num(c, 2) > max)
        return fail(w, "%s %.2s does not exist (00 to %02u)", unit, c, max);
    return 0;
}

static int lint_hh(struct why *w, const char *c, size_t n)
{
    return check_2digit(w, c, n, 0, "hour", 23);
}

static int lint_mi(struct why *w, const char *c, size_t n)
{
    return check_2digit(w, c, n, 0, "minute", 59);
}

static int lint_ss(struct why *w, const char *c, size_t n)
{
    return check_2digit(w, c, n, 0, "second", 59);
}

static int lint_hhmi(struct why *w, const char *c, size_t n)
{
    if (n != 4)
        return fail(w, "a time needs 4 digits (HHMM), this has %zu", n);
    int rc = check_2digit(w, c, 2, 0, "hour", 23);
    if (rc)
        return rc;
    return check_2digit(w, c + 2, 2, 2, "minute", 59);
}

/* ---- code lists -----------------------------------------------------------
 */

static int lint_iso3166(struct why *w, const char *c, size_t n)
{
    if (ll_gs1__list_has(LL_GS1__LIST_ISO3166, c, n))
        return 0;
    char q[SHOW_MAX + 4];
    return fail(w, "'%s' is not an ISO 3166 country code", show(q, c, n));
}

/* A country code, or 999 for "several or unknown countries". */
static int lint_iso3166999(struct why *w, const char *c, size_t n)
{
    if (is_str(c, n, "999") || ll_gs1__list_has(LL_GS1__LIST_ISO3166, c, n))
        return 0;
    char q[SHOW_MAX + 4];
    return fail(w, "'%s' is not an ISO 3166 country code or 999",
                show(q, c, n));
}

static int lint_iso3166alpha2(struct why *w, const char *c, size_t n)
{
    if (ll_gs1__list_has(LL_GS1__LIST_ISO3166ALPHA2, c, n))
        return 0;
    char q[SHOW_MAX + 4];
    return fail(w, "'%s' is not an ISO 3166 two-letter country code",
                show(q, c, n));
}

static int lint_iso4217(struct why *w, const char *c, size_t n)
{
    if (ll_gs1__list_has(LL_GS1__LIST_ISO4217, c, n))
        return 0;
    char q[SHOW_MAX + 4];
    return fail(w, "'%s' is not an ISO 4217 currency code", show(q, c, n));
}

static int lint_packagetype(struct why *w, const char *c, size_t n)
{
    if (ll_gs1__list_has(LL_GS1__LIST_PACKAGETYPE, c, n))
        return 0;
    char q[SHOW_MAX + 4];
    return fail(w,
                "'%s' is not a package type code (UN/ECE Recommendation "
                "21)",
                show(q, c, n));
}

/* AIDC media types: 01-10 (ICCBBA) and 80-99 (local use); the rest are
 * reserved or unused. */
static int lint_mediatype(struct why *w, const char *c, size_t n)
{
    if (n == 2 && is_digit(c[0]) && is_digit(c[1])) {
        uint64_t v = num(c, 2);
        if ((v >= 1 && v <= 10) || v >= 80)
            return 0;
    }
    char q[SHOW_MAX + 4];
    return fail(w, "'%s' is not an AIDC media type (01 to 10 or 80 to 99)",
                show(q, c, n));
}

/* ---- single codes and simple values ---------------------------------------
 */

static int lint_iso5218(struct why *w, const char *c, size_t n)
{
    if (is_one_of(c, n, "0129"))
        return 0;
    char q[SHOW_MAX + 4];
    return fail(w, "'%s' is not an ISO/IEC 5218 sex code (0, 1, 2 or 9)",
                show(q, c, n));
}

static int lint_yesno(struct why *w, const char *c, size_t n)
{
    if (is_one_of(c, n, "01"))
        return 0;
    char q[SHOW_MAX + 4];
    return fail(w, "'%s' must be 0 (no) or 1 (yes)", show(q, c, n));
}

static int lint_winding(struct why *w, const char *c, size_t n)
{
    if (is_one_of(c, n, "019"))
        return 0;
    char q[SHOW_MAX + 4];
    return fail(w,
                "'%s' is not a winding direction (0 face out, 1 face in, 9 "
                "undefined)",
                show(q, c, n));
}

static int lint_hyphen(struct why *w, const char *c, size_t n)
{
    if (n == 0)
        return fail(w, "value is empty, it must be hyphens ('-')");
    for (size_t i = 0; i < n; i++) {
        if (c[i] != '-') {
            char q[SHOW_MAX + 4];
            return fail(w, "'%s' must be only hyphens ('-')", show(q, c, n));
        }
    }
    return 0;
}

static int lint_zero(struct why *w, const char *c, size_t n)
{
    if (n == 0)
        return fail(w, "value is empty, it must be zero");
    if (all_zero(c, n))
        return 0;
    char q[SHOW_MAX + 4];
    return fail(w, "'%s' must be zero", show(q, c, n));
}

static int lint_nonzero(struct why *w, const char *c, size_t n)
{
    int rc = need_digits(w, c, n, 0);
    if (rc)
        return rc;
    if (!all_zero(c, n))
        return 0;
    char q[SHOW_MAX + 4];
    return fail(w, "'%s' must not be zero", show(q, c, n));
}

static int lint_nozeroprefix(struct why *w, const char *c, size_t n)
{
    int rc = need_digits(w, c, n, 0);
    if (rc)
        return rc;
    if (n > 0 && c[0] == '0') {
        char q[SHOW_MAX + 4];
        return fail(w, "'%s' must not start with 0", show(q, c, n));
    }
    return 0;
}

static int lint_hasnondigit(struct why *w, const char *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(c[i]))
            return 0;
    }
    char q[SHOW_MAX + 4];
    return fail(w, "'%s' is all digits, it needs at least one other character",
                show(q, c, n));
}

/* Importer index (EU 2018/574): one of 0-9, A-Z, a-z, '-' and '_'. */
static int lint_importeridx(struct why *w, const char *c, size_t n)
{
    static const char set[] = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
                              "abcdefghijklmnopqrstuvwxyz";
    if (n != 1)
        return fail(w, "importer index must be one character, this has %zu", n);
    if (is_one_of(c, n, set))
        return 0;
    char q[SHOW_MAX + 4];
    return fail(w, "'%s' is not an importer index (0-9, A-Z, a-z, '-' or '_')",
                show(q, c, n));
}

/* Every '%' starts a percent escape: '%' and two hex digits. */
static int lint_pcenc(struct why *w, const char *c, size_t n)
{
    static const char hex[] = "0123456789ABCDEFabcdef";
    for (size_t i = 0; i < n; i++) {
        if (c[i] != '%')
            continue;
        size_t left = n - i;
        if (left < 3 || index_in(hex, c[i + 1]) < 0 ||
            index_in(hex, c[i + 2]) < 0) {
            char q[SHOW_MAX + 4];
            return fail(w,
                        "'%s' at character %zu is not a percent escape ('%%' "
                        "and two hex digits)",
                        show(q, c + i, left < 3 ? left : 3), i + 1);
        }
        i += 2;
    }
    return 0;
}

/* ---- positions, pieces, coordinates ---------------------------------------
 */

/* -1, 0 or 1 as a[0..len) is below, equal to or above b[0..len) (digits). */
static int cmp_digits(const char *a, const char *b, size_t len)
{
    int d = memcmp(a, b, len);
    return (d > 0) - (d < 0);
}

/* PPTT: piece number then total, equal widths, neither zero, P <= T. */
static int lint_pieceoftotal(struct why *w, const char *c, size_t n)
{
    if (n == 0 || n % 2 != 0)
        return fail(w,
                    "piece and total must have the same number of digits, so "
                    "the length must be even (this has %zu)",
                    n);
    int rc = need_digits(w, c, n, 0);
    if (rc)
        return rc;
    size_t h = n / 2;
    int h_int = (int)h;
    if (all_zero(c, h))
        return fail(w, "piece number %.*s is zero", h_int, c);
    if (all_zero(c + h, h))
        return fail(w, "total %.*s is zero", h_int, c + h);
    if (cmp_digits(c, c + h, h) > 0)
        return fail(w, "piece %.*s is more than the total %.*s", h_int, c,
                    h_int, c + h);
    return 0;
}

/* "<pos>/<end>": digits, a slash, digits; no zero prefix; pos <= end. */
static int lint_posinseqslash(struct why *w, const char *c, size_t n)
{
    char q[SHOW_MAX + 4];
    size_t p = 0;
    while (p < n && is_digit(c[p]))
        p++;
    bool ok = p > 0 && p + 1 < n && c[p] == '/';
    for (size_t i = p + 1; ok && i < n; i++)
        ok = is_digit(c[i]);
    if (!ok)
        return fail(w,
                    "'%s' is not a position and an end separated by '/' "
                    "(like 3/12)",
                    show(q, c, n));
    const char *e = c + p + 1;
    size_t en = n - p - 1;
    if (c[0] == '0')
        return fail(w, "position '%s' must not be zero or start with 0",
                    show(q, c, p));
    if (e[0] == '0')
        return fail(w, "end '%s' must not be zero or start with 0",
                    show(q, e, en));
    if (p > en || (p == en && cmp_digits(c, e, p) > 0)) {
        char q2[SHOW_MAX + 4];
        return fail(w, "position %s is past the end %s", show(q, c, p),
                    show(q2, e, en));
    }
    return 0;
}

/* A ten-digit coordinate no larger than max (what names it). */
static int check_coordinate(struct why *w, const char *c, size_t n,
                            const char *what, uint64_t max)
{
    if (n != 10)
        return fail(w, "%s needs 10 digits, this has %zu", what, n);
    int rc = need_digits(w, c, n, 0);
    if (rc)
        return rc;
    if (num(c, n) > max)
        return fail(w, "%s %.10s is over the largest value %010llu", what, c,
                    (unsigned long long)max);
    return 0;
}

/* Latitude + 90 degrees, in units of 1e-7 degree: 0 to 1800000000. */
static int lint_latitude(struct why *w, const char *c, size_t n)
{
    return check_coordinate(w, c, n, "latitude", 1800000000u);
}

/* Longitude + 180 degrees, in units of 1e-7 degree: 0 to 3600000000. */
static int lint_longitude(struct why *w, const char *c, size_t n)
{
    return check_coordinate(w, c, n, "longitude", 3600000000u);
}

/* ---- IBAN -----------------------------------------------------------------
 */

/* Shortest length the reference accepts: more than ten characters. */
#define IBAN_MIN 11

/* An IBAN character's value (0-9, A-Z as 10-35), or -1. */
static int iban_value(char ch)
{
    if (is_digit(ch))
        return ch - '0';
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A' + 10;
    return -1;
}

/* Fold one IBAN character's value into a running remainder mod 97. */
static unsigned iban_fold(unsigned r, int v)
{
    unsigned u = (unsigned)v;
    return (u < 10 ? r * 10 + u : r * 100 + u) % 97;
}

/*
 * ISO 13616: a country code, two check characters, the account; moving the
 * first four characters to the end and reading letters as 10-35, the number
 * is 1 mod 97. The country-specific lengths are not checked (nor are they by
 * the reference).
 */
static int lint_iban(struct why *w, const char *c, size_t n)
{
    char q[SHOW_MAX + 4];
    if (n < IBAN_MIN)
        return fail(w, "too short for an IBAN (%zu characters)", n);
    if (!ll_gs1__list_has(LL_GS1__LIST_ISO3166ALPHA2, c, 2))
        return fail(w, "IBAN country '%s' is not an ISO 3166 country code",
                    show(q, c, 2));
    for (size_t i = 2; i < n; i++) {
        if (iban_value(c[i]) < 0)
            return fail(w,
                        "character %zu ('%s') is not allowed in an IBAN (only "
                        "0-9 and A-Z)",
                        i + 1, show(q, c + i, 1));
    }
    /* The account, then the country, then the check characters. */
    unsigned r = 0;
    for (size_t i = 4; i < n; i++)
        r = iban_fold(r, iban_value(c[i]));
    r = iban_fold(r, iban_value(c[0]));
    r = iban_fold(r, iban_value(c[1]));
    unsigned with00 = iban_fold(iban_fold(r, 0), 0);
    r = iban_fold(iban_fold(r, iban_value(c[2])), iban_value(c[3]));
    if (r != 1)
        return fail(w, "IBAN check digits are %.2s, should be %02u", c + 2,
                    98 - with00);
    return 0;
}

/* ---- North American coupons -----------------------------------------------
 */

/* A cursor over an all-digit coupon component. */
struct cur {
    struct why *w;
    const char *c; /* the component */
    size_t n;      /* its length */
    size_t pos;    /* next unread digit, <= n */
};

/* Skip a fixed-length field of len digits. */
static int take_field(struct cur *k, size_t len, const char *what)
{
    size_t left = k->n - k->pos;
    if (left == 0 && len > 0)
        return fail(k->w, "coupon ends before the %s", what);
    if (left < len)
        return fail(k->w, "%s is cut short: needs %zu digits, has %zu", what,
                    len, left);
    k->pos += len;
    return 0;
}

/* Read one digit that must appear in allowed (shown to the user as said). */
static int take_code(struct cur *k, const char *what, const char *allowed,
                     const char *said, unsigned *out)
{
    if (k->pos == k->n)
        return fail(k->w, "coupon ends before the %s", what);
    char ch = k->c[k->pos];
    if (ch == '\0' || strchr(allowed, ch) == NULL)
        return fail(k->w, "%s is %c, must be %s", what, ch, said);
    k->pos++;
    *out = (unsigned)(ch - '0');
    return 0;
}

/*
 * A length digit in lo..hi followed by that many digits plus extra. A GCP
 * field (gcp true) also gets the GS1 Company Prefix check.
 */
static int take_vli_field(struct cur *k, const char *what, char lo, char hi,
                          size_t extra, bool gcp)
{
    if (k->pos == k->n)
        return fail(k->w, "coupon ends before the %s length digit", what);
    char ch = k->c[k->pos];
    if (ch < lo || ch > hi)
        return fail(k->w, "%s length digit is %c, must be %c to %c", what, ch,
                    lo, hi);
    k->pos++;
    size_t start = k->pos;
    size_t len = (size_t)(ch - '0') + extra;
    int rc = take_field(k, len, what);
    if (rc == 0 && gcp)
        rc = gcp_at(k->w, k->c + start, len, start);
    return rc;
}

/* The GCP of a 2nd or 3rd purchase: length digit 0-6 (6-12 digits), or 9
 * for "same as the primary GCP" (no digits). */
static int take_purchase_gcp(struct cur *k, const char *what)
{
    if (k->pos < k->n && k->c[k->pos] == '9') {
        k->pos++;
        return 0;
    }
    if (k->pos < k->n && k->c[k->pos] > '6')
        return fail(k->w, "%s length digit is %c, must be 0 to 6 or 9", what,
                    k->c[k->pos]);
    return take_vli_field(k, what, '0', '6', 6, true);
}

/* Purchase requirement (length digit 1-5), its code and family code. */
static int take_purchase(struct cur *k, const char *nth)
{
    char what[64];
    unsigned code;
    (void)snprintf(what, sizeof(what), "%s purchase requirement", nth);
    int rc = take_vli_field(k, what, '1', '5', 0, false);
    if (rc)
        return rc;
    (void)snprintf(what, sizeof(what), "%s purchase requirement code", nth);
    rc = take_code(k, what, "012349", "0 to 4 or 9", &code);
    if (rc)
        return rc;
    (void)snprintf(what, sizeof(what), "%s purchase family code", nth);
    return take_field(k, 3, what);
}

/* Optional field 1: additional purchase rules and a 2nd purchase. */
static int coupon_field1(struct cur *k)
{
    unsigned code;
    int rc =
        take_code(k, "additional purchase rules code", "0123", "0 to 3", &code);
    if (rc == 0)
        rc = take_purchase(k, "2nd");
    if (rc == 0)
        rc = take_purchase_gcp(k, "2nd purchase GS1 Company Prefix");
    return rc;
}

/* Optional field 2: a 3rd purchase. */
static int coupon_field2(struct cur *k)
{
    int rc = take_purchase(k, "3rd");
    if (rc == 0)
        rc = take_purchase_gcp(k, "3rd purchase GS1 Company Prefix");
    return rc;
}

/* A YYMMDD date field; its reason is prefixed with what. */
static int take_date(struct cur *k, const char *what)
{
    size_t start = k->pos;
    int rc = take_field(k, 6, what);
    if (rc)
        return rc;
    char inner[128] = "";
    struct why iw = {inner, sizeof(inner)};
    if (check_date(&iw, k->c + start, 6, false, false) != 0)
        return fail(k->w, "%s: %s", what, inner);
    return 0;
}

/* Optional field 9: save value code, applies-to-item, flags. */
static int coupon_field9(struct cur *k)
{
    unsigned v;
    int rc = take_code(k, "save value code", "01256", "0, 1, 2, 5 or 6", &v);
    if (rc == 0)
        rc = take_code(k, "save value applies to item", "012", "0, 1 or 2", &v);
    if (rc == 0)
        rc = take_code(k, "store coupon flag", "0123456789", "a digit", &v);
    if (rc == 0)
        rc = take_code(k, "don't multiply flag", "01", "0 or 1", &v);
    return rc;
}

/*
 * Optional fields 3 and 4, the expiration and start dates: each a valid
 * YYMMDD; when both are present the start may not be after the expiration
 * (compared as YYMMDD text, as the reference does).
 */
static int coupon_dates(struct cur *k, char field, size_t *expiry)
{
    size_t at = k->pos;
    if (field == '3') {
        int rc = take_date(k, "expiration date");
        if (rc == 0)
            *expiry = at;
        return rc;
    }
    int rc = take_date(k, "start date");
    if (rc == 0 && *expiry != SIZE_MAX &&
        memcmp(k->c + at, k->c + *expiry, 6) > 0)
        return fail(k->w, "expiration date %.6s is before the start date %.6s",
                    k->c + *expiry, k->c + at);
    return rc;
}

/* One optional field after its indicator digit. */
static int coupon_optional(struct cur *k, char field, size_t *expiry)
{
    switch (field) {
    case '1':
        return coupon_field1(k);
    case '2':
        return coupon_field2(k);
    case '3':
    case '4':
        return coupon_dates(k, field, expiry);
    case '5':
        return take_vli_field(k, "serial number", '0', '9', 6, false);
    case '6':
        return take_vli_field(k, "retailer GS1 Company Prefix or GLN", '1', '7',
                              6, true);
    default:
        return coupon_field9(k);
    }
}

/* Data left after the last field. */
static int no_excess(struct cur *k)
{
    if (k->pos == k->n)
        return 0;
    char q[SHOW_MAX + 4];
    return fail(k->w, "unexpected '%s' after the coupon's last field",
                show(q, k->c + k->pos, k->n - k->pos));
}

/*
 * AI (8110), North American Coupon Code: primary GCP, offer code, save
 * value, primary purchase, then optional fields 1, 2, 3, 4, 5, 6 and 9, each
 * at most once and in that order.
 */
static int lint_couponcode(struct why *w, const char *c, size_t n)
{
    struct cur k = {w, c, n, 0};
    int rc = need_digits(w, c, n, 0);
    if (rc == 0 && n == 0)
        rc = fail(w, "coupon is empty");
    if (rc == 0)
        rc = take_vli_field(&k, "GS1 Company Prefix", '0', '6', 6, true);
    if (rc == 0)
        rc = take_field(&k, 6, "offer code");
    if (rc == 0)
        rc = take_vli_field(&k, "save value", '1', '5', 0, false);
    if (rc == 0)
        rc = take_purchase(&k, "1st");
    size_t expiry = SIZE_MAX;
    for (const char *f = "1234569"; rc == 0 && *f; f++) {
        if (k.pos < k.n && k.c[k.pos] == *f) {
            k.pos++;
            rc = coupon_optional(&k, *f, &expiry);
        }
    }
    return rc ? rc : no_excess(&k);
}

/*
 * AI (8112), positive offer file coupon: format code 0 or 1, funder ID
 * (length digit 0-6, 6-12 digits), offer code, serial number (length digit,
 * 6-15 digits), nothing after.
 */
static int lint_couponposoffer(struct why *w, const char *c, size_t n)
{
    struct cur k = {w, c, n, 0};
    unsigned format;
    int rc = need_digits(w, c, n, 0);
    if (rc == 0)
        rc = take_code(&k, "format code", "01", "0 or 1", &format);
    if (rc == 0)
        rc = take_vli_field(&k, "funder ID", '0', '6', 6, false);
    if (rc == 0)
        rc = take_field(&k, 6, "offer code");
    if (rc == 0)
        rc = take_vli_field(&k, "serial number", '0', '9', 6, false);
    return rc ? rc : no_excess(&k);
}

/* ---- the table ------------------------------------------------------------
 */

static int (*const lints[LL_GS1_LINT_COUNT])(struct why *w, const char *c,
                                             size_t n) = {
    [LL_GS1_LINT_CSUM] = lint_csum,
    [LL_GS1_LINT_CSUMALPHA] = lint_csumalpha,
    [LL_GS1_LINT_GCPPOS1] = lint_gcppos1,
    [LL_GS1_LINT_GCPPOS2] = lint_gcppos2,
    [LL_GS1_LINT_YYMMD0] = lint_yymmd0,
    [LL_GS1_LINT_YYMMDD] = lint_yymmdd,
    [LL_GS1_LINT_YYYYMMDD] = lint_yyyymmdd,
    [LL_GS1_LINT_HHMI] = lint_hhmi,
    [LL_GS1_LINT_HH] = lint_hh,
    [LL_GS1_LINT_MI] = lint_mi,
    [LL_GS1_LINT_SS] = lint_ss,
    [LL_GS1_LINT_ISO3166] = lint_iso3166,
    [LL_GS1_LINT_ISO3166999] = lint_iso3166999,
    [LL_GS1_LINT_ISO3166ALPHA2] = lint_iso3166alpha2,
    [LL_GS1_LINT_ISO4217] = lint_iso4217,
    [LL_GS1_LINT_ISO5218] = lint_iso5218,
    [LL_GS1_LINT_PCENC] = lint_pcenc,
    [LL_GS1_LINT_HYPHEN] = lint_hyphen,
    [LL_GS1_LINT_YESNO] = lint_yesno,
    [LL_GS1_LINT_NONZERO] = lint_nonzero,
    [LL_GS1_LINT_ZERO] = lint_zero,
    [LL_GS1_LINT_WINDING] = lint_winding,
    [LL_GS1_LINT_PIECEOFTOTAL] = lint_pieceoftotal,
    [LL_GS1_LINT_HASNONDIGIT] = lint_hasnondigit,
    [LL_GS1_LINT_NOZEROPREFIX] = lint_nozeroprefix,
    [LL_GS1_LINT_LATITUDE] = lint_latitude,
    [LL_GS1_LINT_LONGITUDE] = lint_longitude,
    [LL_GS1_LINT_IMPORTERIDX] = lint_importeridx,
    [LL_GS1_LINT_IBAN] = lint_iban,
    [LL_GS1_LINT_COUPONCODE] = lint_couponcode,
    [LL_GS1_LINT_COUPONPOSOFFER] = lint_couponposoffer,
    [LL_GS1_LINT_POSINSEQSLASH] = lint_posinseqslash,
    [LL_GS1_LINT_PACKAGETYPE] = lint_packagetype,
    [LL_GS1_LINT_MEDIATYPE] = lint_mediatype,
};

static const char *const names[LL_GS1_LINT_COUNT] = {
    [LL_GS1_LINT_NONE] = "?",
#define LL_GS1_LINT_NAME(name, text) [LL_GS1_LINT_##name] = (text),
    LL_GS1_LINTERS(LL_GS1_LINT_NAME)
#undef LL_GS1_LINT_NAME
};

int ll_gs1_linter_find(const char *name, size_t n)
{
    if (name == NULL)
        return LL_GS1_LINT_NONE;
    for (int i = LL_GS1_LINT_NONE + 1; i < LL_GS1_LINT_COUNT; i++) {
        if (is_str(name, n, names[i]))
            return i;
    }
    return LL_GS1_LINT_NONE;
}

const char *ll_gs1_linter_name(int linter)
{
    if (linter <= LL_GS1_LINT_NONE || linter >= LL_GS1_LINT_COUNT)
        return "?";
    return names[linter];
}

/* NOLINTNEXTLINE(readability-non-const-parameter): written via struct why */
int ll_gs1_lint(int linter, const char *c, size_t n, char *why, size_t cap)
{
    struct why w = {why, why ? cap : 0};
    if (linter <= LL_GS1_LINT_NONE || linter >= LL_GS1_LINT_COUNT ||
        lints[linter] == NULL)
        return fail(&w, "unknown check (linter %d)", linter);
    if (c == NULL) {
        if (n > 0)
            return fail(&w, "no data");
        c = "";
    }
    return lints[linter](&w, c, n);
}
