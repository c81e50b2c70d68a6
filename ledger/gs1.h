/* SPDX-License-Identifier: MIT */
/*
 * GS1 codecs: Application Identifier (AI) element strings as barcode
 * scanners deliver them, the bracketed human-readable form, and GS1 Digital
 * Link URIs. Every AI of the GS1 Barcode Syntax Dictionary is known (the
 * table in gs1_table.c); each value is checked against its AI's format
 * (length, character set) and the GS1 Barcode Syntax Tests ("linters":
 * check digits, dates, country and currency codes, ...), and the message
 * as a whole against the dictionary's pairing rules (an AI that needs or
 * excludes another). docs/scan.md lists what is accepted.
 *
 * Inputs ll_gs1_parse() takes:
 *   ]C1 ]e0 ]d2 ]Q3 ]J1 + element string   GS1-128, DataBar, DataMatrix,
 *                                          QR, DotCode as scanners send
 *                                          them: AI + value, GS (0x1D)
 *                                          after each variable-length value
 *   ]E0 / ]E4 + 13 / 8 digits              EAN-13 / UPC-A, EAN-8: a GTIN
 *   ^0109...^10ABC                         unbracketed, '^' = FNC1 / GS
 *   0109...<GS>10ABC                       an element string, no prefix
 *   (01)09...(10)ABC                       bracketed ("\(" is a literal '(')
 *   https://host[/prefix]/01/{gtin}/10/{lot}?17=YYMMDD
 *                                          a Digital Link URI (uncompressed;
 *                                          also after a ]Q1 / ]d1 prefix)
 */
#ifndef LL_GS1_H
#define LL_GS1_H

#include "../common/common.h"

#define LL_GS1_INPUT_MAX    4096 /* bytes of scanned data or URI */
#define LL_GS1_ELEMENTS_MAX 64   /* AIs in one message */
#define LL_GS1_VALUE_MAX    90   /* longest AI value (AIs 91-99: X..90) */
#define LL_GS1_AI_LEN_MAX   4

/* ll_gs1_parse flags. */
/* The data is one of several carriers on an item: skip "requires" rules. */
#define LL_GS1_PARTIAL 1u

/* Row flags: the dictionary's '*' and '?'. */
#define LL_GS1_FIXED   1u /* predefined length: no GS separator after it */
#define LL_GS1_DL_ATTR 2u /* may be a Digital Link data attribute */

/*
 * One dictionary entry: an AI or a range of AIs ("3100".."3105"), its
 * flags, its format ("N14,csum,gcppos2": components, each a character set
 * and length with linters), its attributes ("req=01,02 ex=255
 * dlpkey=22,10,21|235") and its title ("GTIN").
 */
struct ll_gs1_ai_row {
    const char *first;
    const char *last;
    unsigned flags;
    const char *spec;
    const char *attrs;
    const char *title;
};

/* The table, in AI order; *n gets its length. */
const struct ll_gs1_ai_row *ll_gs1_ai_rows(size_t *n) LL_NONNULL(1);

/* The row of the AI ai[0..n) (2 to 4 digits), or NULL if unknown. */
const struct ll_gs1_ai_row *ll_gs1_ai_find(const char *ai, size_t n);

struct ll_gs1_element {
    char ai[LL_GS1_AI_LEN_MAX + 1];
    char value[LL_GS1_VALUE_MAX + 1]; /* decoded; never contains NUL */
    const struct ll_gs1_ai_row *row;
};

enum ll_gs1_source {
    LL_GS1_SRC_SCAN,      /* element string (with or without a prefix) */
    LL_GS1_SRC_BRACKETED, /* (01)...(10)... */
    LL_GS1_SRC_DL,        /* Digital Link URI */
};

struct ll_gs1_msg {
    enum ll_gs1_source source;
    char symbology[4];   /* "]d2", or "" when the data had no prefix */
    const char *carrier; /* "GS1 DataMatrix", or NULL */
    size_t n;
    struct ll_gs1_element el[LL_GS1_ELEMENTS_MAX];
};

/*
 * Parse and check scanned data, a bracketed element string or a Digital
 * Link URI (in[0..len), trailing CR / LF ignored). Returns 0 with *m
 * filled, or LL_EINVAL / LL_ETOOBIG with e naming the AI and the problem
 * ("AI (17) '251332': month 13 does not exist"). *m is unusable on error.
 */
LL_NODISCARD int ll_gs1_parse(struct ll_gs1_msg *m, const char *in, size_t len,
                              unsigned flags, struct ll_errmsg *e)
    LL_NONNULL(1, 2);

/* The value of an AI in m, or NULL. */
const char *ll_gs1_get(const struct ll_gs1_msg *m, const char *ai)
    LL_NONNULL(1, 2);

/*
 * The lotledger lot id "01/<GTIN-14>/10/<lot>" of a message with AIs (01)
 * and (10). Returns 0, LL_ENOTFOUND (no (01) + (10)), LL_ETOOBIG.
 */
int ll_gs1_lot_id(const struct ll_gs1_msg *m, char *out, size_t cap)
    LL_NONNULL(1, 2);

/*
 * The calendar date of a YYMMDD value (DD 00 = the month's last day), the
 * century chosen so the year lies from 49 years before this_year to 50
 * after (GS1 General Specifications 7.12). out: "YYYY-MM-DD".
 * Returns 0 or LL_EINVAL (not a valid YYMMDD).
 */
int ll_gs1_date(const char *yymmdd, int this_year, char out[11])
    LL_NONNULL(1, 3);

/*
 * Write m as: a bracketed element string; the element string a scanner
 * would send (GS after each variable-length value but the last, no
 * prefix); or a Digital Link URI on base ("https://id.gs1.org"), the key
 * and its qualifiers in the path, the other attributes in the query.
 * Returns 0, LL_ETOOBIG, or (Digital Link) LL_EINVAL with e saying why
 * m cannot be one (no primary key, or an AI that is not a data attribute).
 */
int ll_gs1_to_bracketed(const struct ll_gs1_msg *m, char *out, size_t cap)
    LL_NONNULL(1, 2);
int ll_gs1_to_scan(const struct ll_gs1_msg *m, char *out, size_t cap)
    LL_NONNULL(1, 2);
int ll_gs1_to_dl(const struct ll_gs1_msg *m, const char *base, char *out,
                 size_t cap, struct ll_errmsg *e) LL_NONNULL(1, 2, 3);

#endif
