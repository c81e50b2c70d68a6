/* SPDX-License-Identifier: MIT */
/*
 * GS1 Barcode Syntax Tests ("linters"): the content checks that the GS1
 * Barcode Syntax Dictionary attaches to each component of an Application
 * Identifier's value (check digits, dates, times, code lists, coupon
 * structures). The barcode parser checks a component's length and character
 * set first, then runs the linters the dictionary names for it. Semantics
 * follow GS1's reference linters (gs1/gs1-syntax-dictionary, src/lint_*.c);
 * the code and the messages are ours. Every linter is total: it reads only
 * c[0..n), accepts any bytes and never asserts on input. The standard code
 * lists (ISO 3166, ISO 4217, package types) live in gs1_lists.c as sorted
 * tables searched with bsearch.
 *
 * Thread-safe: no state, no allocation.
 */
#ifndef LL_GS1_LINT_H
#define LL_GS1_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/common.h"

/*
 * X-macro: enum name, dictionary name. One entry per linter the GS1 Barcode
 * Syntax Dictionary uses.
 */
#define LL_GS1_LINTERS(XX)                                                     \
    XX(CSUM, "csum")                                                           \
    XX(CSUMALPHA, "csumalpha")                                                 \
    XX(GCPPOS1, "gcppos1")                                                     \
    XX(GCPPOS2, "gcppos2")                                                     \
    XX(YYMMD0, "yymmd0")                                                       \
    XX(YYMMDD, "yymmdd")                                                       \
    XX(YYYYMMDD, "yyyymmdd")                                                   \
    XX(HHMI, "hhmi")                                                           \
    XX(HH, "hh")                                                               \
    XX(MI, "mi")                                                               \
    XX(SS, "ss")                                                               \
    XX(ISO3166, "iso3166")                                                     \
    XX(ISO3166999, "iso3166999")                                               \
    XX(ISO3166ALPHA2, "iso3166alpha2")                                         \
    XX(ISO4217, "iso4217")                                                     \
    XX(ISO5218, "iso5218")                                                     \
    XX(PCENC, "pcenc")                                                         \
    XX(HYPHEN, "hyphen")                                                       \
    XX(YESNO, "yesno")                                                         \
    XX(NONZERO, "nonzero")                                                     \
    XX(ZERO, "zero")                                                           \
    XX(WINDING, "winding")                                                     \
    XX(PIECEOFTOTAL, "pieceoftotal")                                           \
    XX(HASNONDIGIT, "hasnondigit")                                             \
    XX(NOZEROPREFIX, "nozeroprefix")                                           \
    XX(LATITUDE, "latitude")                                                   \
    XX(LONGITUDE, "longitude")                                                 \
    XX(IMPORTERIDX, "importeridx")                                             \
    XX(IBAN, "iban")                                                           \
    XX(COUPONCODE, "couponcode")                                               \
    XX(COUPONPOSOFFER, "couponposoffer")                                       \
    XX(POSINSEQSLASH, "posinseqslash")                                         \
    XX(PACKAGETYPE, "packagetype")                                             \
    XX(MEDIATYPE, "mediatype")

enum ll_gs1_linter {
    LL_GS1_LINT_NONE = 0,
#define LL_GS1_LINT_ENUM(name, text) LL_GS1_LINT_##name,
    LL_GS1_LINTERS(LL_GS1_LINT_ENUM)
#undef LL_GS1_LINT_ENUM
        LL_GS1_LINT_COUNT
};

/*
 * The linter with this dictionary name.
 * Returns: an LL_GS1_LINT_* value, or LL_GS1_LINT_NONE if name[0..n) is not
 * a linter's name (the match is exact and case-sensitive).
 * In: name: n bytes, need not be NUL-terminated; may be NULL if n is 0.
 */
int ll_gs1_linter_find(const char *name, size_t n);

/*
 * The dictionary name of a linter ("csum").
 * Returns: a static string; "?" for LL_GS1_LINT_NONE or any other value.
 */
const char *ll_gs1_linter_name(int linter);

/*
 * Check one component c[0..n) of an AI's value with a linter. The caller has
 * already checked the component's length and character set (N digits, X CSET
 * 82, Y CSET 39, Z base64url); the linters still accept any bytes.
 * Returns: 0 if the component passes, or LL_EINVAL (also for an unknown
 * linter, or c NULL with n > 0).
 * Out: why: on LL_EINVAL, a NUL-terminated sentence of at most cap bytes
 *      (truncated to fit) that says in plain words what is wrong and names
 *      the offending part, e.g. "check digit is 7, should be 3" or "month 13
 *      does not exist". Untouched on success. May be NULL if cap is 0.
 * In: linter: an LL_GS1_LINT_* value. c: n bytes, need not be
 *     NUL-terminated; may be NULL if n is 0.
 *
 * Dates with a two-digit year (yymmdd, yymmd0) have no century: a year YY is
 * taken as a leap year when YY % 4 == 0, as the reference linters do (they
 * map YY into a window around the current year; 2000 is a leap year and
 * 2100 lies outside the window). yymmd0 also allows day 00, which means the
 * end of the month. yyyymmdd uses the Gregorian rule.
 */
LL_NODISCARD int ll_gs1_lint(int linter, const char *c, size_t n, char *why,
                             size_t cap);

/* ---- code lists, shared with gs1_lists.c and the tests ------------------- */

enum ll_gs1__list {
    LL_GS1__LIST_ISO3166,       /* ISO 3166-1 numeric country codes */
    LL_GS1__LIST_ISO3166ALPHA2, /* ISO 3166-1 alpha-2 country codes */
    LL_GS1__LIST_ISO4217,       /* ISO 4217 numeric currency codes */
    LL_GS1__LIST_PACKAGETYPE,   /* UN/ECE Rec. 21 package types plus GS1's */
    LL_GS1__LIST_COUNT
};

/* True if c[0..n) is an entry of the list (exact match). */
bool ll_gs1__list_has(int list, const char *c, size_t n);
/* Number of entries in the list (0 for an unknown list). */
size_t ll_gs1__list_len(int list);
/* Entry i of the list (sorted by strcmp), or NULL past the end. */
const char *ll_gs1__list_at(int list, size_t i);

#endif
