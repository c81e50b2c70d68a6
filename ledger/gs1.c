/* SPDX-License-Identifier: MIT */
/*
 * GS1 element strings and Digital Link URIs (gs1.h): find each AI in the
 * dictionary table, cut its value by the AI's format, check the value
 * (character set, length, linters), then check the message (duplicates,
 * exclusions, requirements, Digital Link key order).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gs1.h"
#include "gs1_lint.h"

#define GS        '\x1d'
#define COMPS_MAX 6
#define LINTS_MAX 3
#define SEGMENTS  (2 * LL_GS1_ELEMENTS_MAX + 8)
#define SHOW_MAX  48 /* characters of a bad value quoted in a message */

/* ---- the format of one AI ------------------------------------------------ */

struct comp {
    char cset; /* N X Y Z */
    size_t min, max;
    bool optional;
    int lint[LINTS_MAX];
    size_t nlint;
};

struct spec {
    struct comp c[COMPS_MAX];
    size_t n;
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t digits(const char *s, size_t *v)
{
    size_t i = 0;
    *v = 0;
    while (i < 3 && is_digit(s[i]))
        *v = *v * 10 + (size_t)(s[i++] - '0');
    return i;
}

/* One component token of a row's spec: "[N6],yymmdd", "X..20", "N13,csum". */
static int comp_parse(const char *s, size_t len, struct comp *c)
{
    size_t i = 0;
    memset(c, 0, sizeof(*c));
    if (i < len && s[i] == '[') {
        c->optional = true;
        i++;
    }
    if (i >= len || strchr("NXYZ", s[i]) == NULL)
        return LL_EINVAL;
    c->cset = s[i++];
    bool var = len - i >= 2 && s[i] == '.' && s[i + 1] == '.';
    i += var ? 2 : 0;
    size_t k = digits(s + i, &c->max);
    if (k == 0 || c->max == 0 || c->max > LL_GS1_VALUE_MAX)
        return LL_EINVAL;
    i += k;
    c->min = var ? 1 : c->max;
    if (c->optional) {
        if (i >= len || s[i] != ']')
            return LL_EINVAL;
        i++;
    }
    while (i < len) {
        if (s[i] != ',' || c->nlint == LINTS_MAX)
            return LL_EINVAL;
        size_t j = ++i;
        while (j < len && s[j] != ',')
            j++;
        int l = ll_gs1_linter_find(s + i, j - i);
        if (l == LL_GS1_LINT_NONE)
            return LL_EINVAL;
        c->lint[c->nlint++] = l;
        i = j;
    }
    return 0;
}

static int spec_parse(const char *s, struct spec *sp)
{
    sp->n = 0;
    while (*s != '\0') {
        while (*s == ' ')
            s++;
        size_t len = strcspn(s, " ");
        if (len == 0)
            break;
        if (sp->n == COMPS_MAX || comp_parse(s, len, &sp->c[sp->n]) != 0)
            return LL_EINVAL;
        sp->n++;
        s += len;
    }
    return sp->n > 0 ? 0 : LL_EINVAL;
}

/* The value length of a predefined-length AI (all its components fixed). */
static size_t fixed_len(const struct spec *sp)
{
    size_t n = 0;
    for (size_t i = 0; i < sp->n; i++)
        n += sp->c[i].max;
    return n;
}

/* The shortest value the format allows. */
static size_t min_len(const struct spec *sp)
{
    size_t n = 0;
    for (size_t i = 0; i < sp->n; i++)
        n += sp->c[i].optional ? 0 : sp->c[i].min;
    return n;
}

/* ---- the table ------------------------------------------------------------
 */

const struct ll_gs1_ai_row *ll_gs1_ai_find(const char *ai, size_t n)
{
    if (n < 2 || n > LL_GS1_AI_LEN_MAX)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(ai[i]))
            return NULL;
    size_t count;
    const struct ll_gs1_ai_row *rows = ll_gs1_ai_rows(&count);
    for (size_t i = 0; i < count; i++) {
        const struct ll_gs1_ai_row *r = &rows[i];
        if (strlen(r->first) == n && strncmp(ai, r->first, n) >= 0 &&
            strncmp(ai, r->last, n) <= 0)
            return r;
    }
    return NULL;
}

/*
 * The value of attribute key in a row's attributes ("ex=01,03 dlpkey"),
 * the nth occurrence: *val and *vlen (empty for a solitary key). Returns
 * false when absent.
 */
static bool attr_get(const char *attrs, const char *key, size_t nth,
                     const char **val, size_t *vlen)
{
    size_t klen = strlen(key);
    const char *s = attrs;
    while (*s != '\0') {
        while (*s == ' ')
            s++;
        size_t len = strcspn(s, " ");
        if (len >= klen && strncmp(s, key, klen) == 0 &&
            (len == klen || s[klen] == '=')) {
            if (nth-- == 0) {
                *val = len == klen ? s + len : s + klen + 1;
                *vlen = len == klen ? 0 : len - klen - 1;
                return true;
            }
        }
        s += len;
    }
    return false;
}

/* Is ai one of the items of list[0..n), items split by any of seps? */
static bool list_has(const char *list, size_t n, const char *ai,
                     const char *seps)
{
    size_t alen = strlen(ai);
    for (size_t i = 0; i < n;) {
        size_t len = 0;
        while (i + len < n && strchr(seps, list[i + len]) == NULL)
            len++;
        if (len == alen && strncmp(list + i, ai, len) == 0)
            return true;
        i += len + 1;
    }
    return false;
}

/* ---- messages -------------------------------------------------------------
 */

/* v made printable and short, for quoting in an error message. */
static void show(char *out, size_t cap, const char *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < cap && i < SHOW_MAX; i++) {
        unsigned char c = (unsigned char)v[i];
        char ch = (char)c;
        if (ch == GS)
            ch = '^';
        else if (c < 0x20 || c >= 0x7f)
            ch = '?';
        out[k++] = ch;
    }
    if (n > SHOW_MAX && k + 4 < cap) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

static int bad_value(struct ll_errmsg *e, const char *ai, const char *v,
                     size_t n, const char *why)
{
    char s[SHOW_MAX + 8];
    show(s, sizeof(s), v, n);
    return ll_errmsg_set(e, LL_EINVAL, "AI (%s) '%s': %s", ai, s, why);
}

/* ---- checking one value -----------------------------------------------------
 */

static const char cset82_extra[] = "!\"%&'()*+,-./:;<=>?_";

static bool in_cset(char cset, char ch)
{
    bool alnum = is_digit(ch) || (ch >= 'A' && ch <= 'Z');
    switch (cset) {
    case 'N':
        return is_digit(ch);
    case 'X':
        return alnum || (ch >= 'a' && ch <= 'z') ||
               (ch != '\0' && strchr(cset82_extra, ch) != NULL);
    case 'Y':
        return alnum || ch == '#' || ch == '-' || ch == '/';
    default: /* Z: base64url, '=' padding checked by the caller */
        return alnum || (ch >= 'a' && ch <= 'z') || ch == '-' || ch == '_' ||
               ch == '=';
    }
}

static const char *cset_name(char cset)
{
    switch (cset) {
    case 'N':
        return "digits only";
    case 'X':
        return "GS1 character set 82";
    case 'Y':
        return "GS1 character set 39";
    default:
        return "base64url";
    }
}

static int check_chars(const char *ai, const char *v, size_t vlen,
                       const struct comp *c, const char *p, size_t n,
                       struct ll_errmsg *e)
{
    char why[96];
    for (size_t i = 0; i < n; i++) {
        bool pad = c->cset == 'Z' && p[i] == '=';
        if (!in_cset(c->cset, p[i]) ||
            (pad && (n - i > 2 || (i + 1 < n && p[i + 1] != '=')))) {
            unsigned char ch = (unsigned char)p[i];
            if (ch >= 0x20 && ch < 0x7f)
                (void)snprintf(why, sizeof(why),
                               "character '%c' at position %zu is not "
                               "allowed (%s)",
                               (char)ch, (size_t)(p - v) + i + 1,
                               cset_name(c->cset));
            else
                (void)snprintf(why, sizeof(why),
                               "byte 0x%02x at position %zu is not allowed "
                               "(%s)",
                               ch, (size_t)(p - v) + i + 1, cset_name(c->cset));
            return bad_value(e, ai, v, vlen, why);
        }
    }
    return 0;
}

/* The length a component takes from rest characters, or SIZE_MAX. */
static size_t comp_take(const struct comp *c, size_t rest)
{
    if (c->min == c->max)
        return rest >= c->max ? c->max : SIZE_MAX;
    return rest < c->min ? SIZE_MAX : (rest < c->max ? rest : c->max);
}

static int check_value(const struct ll_gs1_ai_row *row, const char *ai,
                       const char *v, size_t vlen, bool scan,
                       struct ll_errmsg *e)
{
    struct spec sp;
    char why[160];
    if (spec_parse(row->spec, &sp) != 0)
        return ll_errmsg_set(e, LL_EINVAL, "AI (%s): bad table format '%s'", ai,
                             row->spec);
    if (vlen == 0)
        return ll_errmsg_set(e, LL_EINVAL, "AI (%s): the value is empty", ai);
    size_t pos = 0;
    for (size_t i = 0; i < sp.n; i++) {
        const struct comp *c = &sp.c[i];
        if (pos == vlen && c->optional)
            break;
        size_t take = comp_take(c, vlen - pos);
        if (take == SIZE_MAX) {
            (void)snprintf(why, sizeof(why),
                           "too short: %zu characters, the format %s needs "
                           "at least %zu",
                           vlen, row->spec, min_len(&sp));
            return bad_value(e, ai, v, vlen, why);
        }
        int rc = check_chars(ai, v, vlen, c, v + pos, take, e);
        if (rc)
            return rc;
        for (size_t k = 0; k < c->nlint; k++) {
            char lw[128] = "";
            if (ll_gs1_lint(c->lint[k], v + pos, take, lw, sizeof(lw)) != 0)
                return bad_value(e, ai, v, vlen, lw[0] ? lw : "invalid");
        }
        pos += take;
    }
    if (pos < vlen) {
        (void)snprintf(why, sizeof(why),
                       "too long: %zu characters, the format %s allows %zu%s",
                       vlen, row->spec, pos,
                       scan && !(row->flags & LL_GS1_FIXED)
                           ? " (a GS separator missing after it?)"
                           : "");
        return bad_value(e, ai, v, vlen, why);
    }
    return 0;
}

/* Add AI ai[0..alen) with value v[0..vlen) to m, checked. */
static int add(struct ll_gs1_msg *m, const struct ll_gs1_ai_row *row,
               const char *ai, size_t alen, const char *v, size_t vlen,
               struct ll_errmsg *e)
{
    char a[LL_GS1_AI_LEN_MAX + 1];
    memcpy(a, ai, alen);
    a[alen] = '\0';
    if (m->n == LL_GS1_ELEMENTS_MAX)
        return ll_errmsg_set(e, LL_ETOOBIG, "more than %d AIs in one message",
                             LL_GS1_ELEMENTS_MAX);
    if (vlen > LL_GS1_VALUE_MAX)
        return bad_value(e, a, v, vlen, "longer than any GS1 AI value (90)");
    int rc = check_value(row, a, v, vlen, m->source == LL_GS1_SRC_SCAN, e);
    if (rc)
        return rc;
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->el[i].ai, a) != 0)
            continue;
        if (strlen(m->el[i].value) == vlen &&
            memcmp(m->el[i].value, v, vlen) == 0)
            return 0; /* the same AI and value again: one element */
        return ll_errmsg_set(e, LL_EINVAL,
                             "AI (%s) appears twice with different values", a);
    }
    struct ll_gs1_element *el = &m->el[m->n++];
    memcpy(el->ai, a, alen + 1);
    memcpy(el->value, v, vlen);
    el->value[vlen] = '\0';
    el->row = row;
    return 0;
}

/* ---- element strings ----------------------------------------------------- */

static const struct ll_gs1_ai_row *ai_at(const char *s, size_t n, size_t *k)
{
    for (*k = 2; *k <= LL_GS1_AI_LEN_MAX && *k <= n; (*k)++) {
        const struct ll_gs1_ai_row *r = ll_gs1_ai_find(s, *k);
        if (r != NULL)
            return r;
    }
    return NULL;
}

static int unknown_ai(const char *s, size_t n, size_t at, struct ll_errmsg *e)
{
    char q[8];
    show(q, sizeof(q), s + at, n - at < 4 ? n - at : 4);
    return ll_errmsg_set(e, LL_EINVAL,
                         "position %zu: no GS1 AI starts with '%s'", at + 1, q);
}

/* The length of the value of row's AI at s[0..n): fixed, or up to sep. */
static size_t value_len(const struct ll_gs1_ai_row *row, const char *s,
                        size_t n, char sep)
{
    if (row->flags & LL_GS1_FIXED) {
        struct spec sp;
        size_t want = spec_parse(row->spec, &sp) == 0 ? fixed_len(&sp) : n;
        return want < n ? want : n; /* short: check_value names it */
    }
    const char *g = memchr(s, sep, n);
    return g != NULL ? (size_t)(g - s) : n;
}

/* An element string; sep is the separator (GS, or '^'). */
static int parse_elements(struct ll_gs1_msg *m, const char *s, size_t n,
                          char sep, struct ll_errmsg *e)
{
    size_t i = 0;
    if (n > 0 && s[0] == sep) /* FNC1 in first position */
        i++;
    if (i == n)
        return ll_errmsg_set(e, LL_EINVAL, "no GS1 data");
    while (i < n) {
        size_t k;
        const struct ll_gs1_ai_row *row = ai_at(s + i, n - i, &k);
        if (row == NULL)
            return unknown_ai(s, n, i, e);
        size_t vlen = value_len(row, s + i + k, n - i - k, sep);
        int rc = add(m, row, s + i, k, s + i + k, vlen, e);
        if (rc)
            return rc;
        i += k + vlen;
        if (i < n && s[i] == sep) {
            if (i + 1 < n && s[i + 1] == sep)
                return ll_errmsg_set(e, LL_EINVAL,
                                     "position %zu: two separators in a row",
                                     i + 1);
            i++;
        }
    }
    return 0;
}

/* (01)09506000134352(10)AB\(C */
static int parse_bracketed(struct ll_gs1_msg *m, const char *s, size_t n,
                           struct ll_errmsg *e)
{
    char v[LL_GS1_VALUE_MAX + 2];
    size_t i = 0;
    while (i < n) {
        size_t close = i + 1;
        while (close < n && close - i <= LL_GS1_AI_LEN_MAX + 1 &&
               is_digit(s[close]))
            close++;
        if (s[i] != '(' || close >= n || s[close] != ')' || close - i < 3 ||
            close - i - 1 > LL_GS1_AI_LEN_MAX)
            return ll_errmsg_set(e, LL_EINVAL,
                                 "position %zu: expected '(AI)', as in "
                                 "(01)09506000134352(10)ABC",
                                 i + 1);
        const struct ll_gs1_ai_row *row =
            ll_gs1_ai_find(s + i + 1, close - i - 1);
        if (row == NULL)
            return unknown_ai(s, close, i + 1, e);
        size_t j = close + 1;
        size_t vlen = 0;
        while (j < n && s[j] != '(' && vlen < sizeof(v) - 1) {
            if (s[j] == '\\' && j + 1 < n && s[j + 1] == '(')
                j++;
            v[vlen++] = s[j++];
        }
        if (vlen == sizeof(v) - 1)
            return bad_value(e, "?", v, vlen, "value too long");
        int rc = add(m, row, s + i + 1, close - i - 1, v, vlen, e);
        if (rc)
            return rc;
        i = j;
    }
    return 0;
}

/* ---- Digital Link ---------------------------------------------------------
 */

/* Percent-decode s[0..n) into out (cap > 0); *olen. */
static int pct_decode(const char *s, size_t n, char *out, size_t cap,
                      size_t *olen, struct ll_errmsg *e)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < n ? ll_hex_digit(s[i + 1]) : -1;
            int lo = hi >= 0 ? ll_hex_digit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                char q[8];
                show(q, sizeof(q), s + i, n - i < 3 ? n - i : 3);
                return ll_errmsg_set(e, LL_EINVAL,
                                     "Digital Link: bad percent-encoding at "
                                     "'%s'",
                                     q);
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (k + 1 >= cap)
            return ll_errmsg_set(e, LL_ETOOBIG,
                                 "Digital Link: a value longer than %zu "
                                 "characters",
                                 cap - 1);
        out[k++] = c;
    }
    out[k] = '\0';
    *olen = k;
    return 0;
}

struct seg {
    const char *p;
    size_t n;
};

/* Is q[0..nq) in order within one of the dlpkey alternatives alts? */
static bool qualifiers_ok(const char *alts, size_t alen,
                          const struct ll_gs1_msg *m, size_t first, size_t nq)
{
    const char *s = alts;
    const char *end = alts + alen;
    while (s <= end) {
        const char *bar = memchr(s, '|', (size_t)(end - s));
        const char *aend = bar != NULL ? bar : end;
        const char *p = s;
        size_t q = 0;
        while (q < nq && p < aend) {
            size_t len = strcspn(p, ",| ");
            if ((size_t)(aend - p) < len)
                len = (size_t)(aend - p);
            const char *ai = m->el[first + q].ai;
            if (strlen(ai) == len && strncmp(p, ai, len) == 0)
                q++;
            p += len + 1;
        }
        if (q == nq)
            return true;
        if (bar == NULL)
            break;
        s = bar + 1;
    }
    return false;
}

static int dl_pair(struct ll_gs1_msg *m, const struct seg *a,
                   const struct seg *v, struct ll_errmsg *e)
{
    char val[LL_GS1_VALUE_MAX + 2];
    size_t vlen = 0;
    const struct ll_gs1_ai_row *row = ll_gs1_ai_find(a->p, a->n);
    if (row == NULL) {
        char q[8];
        show(q, sizeof(q), a->p, a->n);
        return ll_errmsg_set(e, LL_EINVAL, "Digital Link: '%s' is not a GS1 AI",
                             q);
    }
    int rc = pct_decode(v->p, v->n, val, sizeof(val), &vlen, e);
    if (rc)
        return rc;
    if (a->n == 2 && strncmp(a->p, "01", 2) == 0 &&
        (vlen == 8 || vlen == 12 || vlen == 13)) {
        /* GTIN-8, -12, -13 in a URI stand for the GTIN-14 with leading 0s */
        memmove(val + 14 - vlen, val, vlen);
        memset(val, '0', 14 - vlen);
        vlen = 14;
    }
    return add(m, row, a->p, a->n, val, vlen, e);
}

static int dl_path(struct ll_gs1_msg *m, const struct seg *sg, size_t nseg,
                   struct ll_errmsg *e)
{
    size_t key = SIZE_MAX;
    const char *alts = NULL;
    size_t alen = 0;
    for (size_t i = 0; i + 1 < nseg && key == SIZE_MAX; i++) {
        const struct ll_gs1_ai_row *r = ll_gs1_ai_find(sg[i].p, sg[i].n);
        if (r != NULL && (nseg - i) % 2 == 0 &&
            attr_get(r->attrs, "dlpkey", 0, &alts, &alen))
            key = i;
    }
    if (key == SIZE_MAX)
        return ll_errmsg_set(e, LL_EINVAL,
                             "Digital Link: no GS1 primary key in the path "
                             "(such as /01/<GTIN>); compressed URIs are not "
                             "supported");
    for (size_t i = key; i < nseg; i += 2) {
        int rc = dl_pair(m, &sg[i], &sg[i + 1], e);
        if (rc)
            return rc;
    }
    size_t nq = m->n - 1;
    if (!qualifiers_ok(alts, alen, m, 1, nq)) {
        return ll_errmsg_set(
            e, LL_EINVAL,
            "Digital Link: after /%s/ the path may only hold the key "
            "qualifiers %.*s, in that order",
            m->el[0].ai, alen ? (int)alen : 6, alen ? alts : "(none)");
    }
    return 0;
}

/* One query parameter k=v: an AI is added, anything else ignored. */
static int dl_param(struct ll_gs1_msg *m, const char *p, size_t len,
                    const char *key_alts, size_t key_alen, struct ll_errmsg *e)
{
    const char *eq = memchr(p, '=', len);
    struct seg k = {p, eq != NULL ? (size_t)(eq - p) : len};
    for (size_t j = 0; j < k.n; j++)
        if (!is_digit(k.p[j]))
            return 0; /* linkType, context, ...: not GS1 data */
    if (k.n == 0)
        return 0;
    struct seg v = {eq != NULL ? eq + 1 : p + len,
                    eq != NULL ? len - k.n - 1 : 0};
    const struct ll_gs1_ai_row *r = ll_gs1_ai_find(k.p, k.n);
    if (r != NULL && !(r->flags & LL_GS1_DL_ATTR))
        return ll_errmsg_set(e, LL_EINVAL,
                             "Digital Link: AI (%.*s) is not a data "
                             "attribute: it cannot be in the query",
                             (int)k.n, k.p);
    char ai[LL_GS1_AI_LEN_MAX + 1] = "";
    if (r != NULL) {
        memcpy(ai, k.p, k.n);
        ai[k.n] = '\0';
    }
    if (key_alts != NULL && list_has(key_alts, key_alen, ai, ",|"))
        return ll_errmsg_set(e, LL_EINVAL,
                             "Digital Link: AI (%s) qualifies the key (%s) "
                             "and belongs in the path",
                             ai, m->el[0].ai);
    return dl_pair(m, &k, &v, e);
}

static int dl_query(struct ll_gs1_msg *m, const char *q, size_t n,
                    struct ll_errmsg *e)
{
    const char *key_alts = NULL;
    size_t key_alen = 0;
    (void)attr_get(m->el[0].row->attrs, "dlpkey", 0, &key_alts, &key_alen);
    for (size_t i = 0; i < n;) {
        size_t len = 0;
        while (i + len < n && q[i + len] != '&')
            len++;
        int rc = dl_param(m, q + i, len, key_alts, key_alen, e);
        if (rc)
            return rc;
        i += len + 1;
    }
    return 0;
}

static int parse_dl(struct ll_gs1_msg *m, const char *s, size_t n,
                    struct ll_errmsg *e)
{
    size_t i = (s[4] == 's' || s[4] == 'S') ? 8 : 7;
    size_t h = i;
    while (i < n && s[i] != '/' && s[i] != '?' && s[i] != '#')
        i++;
    if (i == h)
        return ll_errmsg_set(e, LL_EINVAL, "Digital Link: no host name");
    size_t end = i;
    while (end < n && s[end] != '?' && s[end] != '#')
        end++;
    struct seg sg[SEGMENTS];
    size_t nseg = 0;
    while (i < end) {
        size_t j = i + 1;
        while (j < end && s[j] != '/')
            j++;
        if (j == i + 1)
            return ll_errmsg_set(e, LL_EINVAL,
                                 "Digital Link: empty path segment (a '/' "
                                 "too many at position %zu)",
                                 i + 1);
        if (nseg == SEGMENTS)
            return ll_errmsg_set(e, LL_ETOOBIG,
                                 "Digital Link: more than %d path segments",
                                 SEGMENTS);
        sg[nseg].p = s + i + 1;
        sg[nseg++].n = j - i - 1;
        i = j;
    }
    int rc = dl_path(m, sg, nseg, e);
    if (rc == 0 && end < n && s[end] == '?') {
        size_t qend = end + 1;
        while (qend < n && s[qend] != '#')
            qend++;
        rc = dl_query(m, s + end + 1, qend - end - 1, e);
    }
    return rc;
}

/* ---- the message as a whole
 * -------------------------------------------------- */

/* Does ai match pattern ("310n", "35nn", "01")? */
static bool ai_matches(const char *ai, const char *p, size_t plen)
{
    if (strlen(ai) != plen)
        return false;
    for (size_t i = 0; i < plen; i++)
        if (p[i] != ai[i] && !(p[i] == 'n' && is_digit(ai[i])))
            return false;
    return true;
}

static const struct ll_gs1_element *find_match(const struct ll_gs1_msg *m,
                                               const char *p, size_t plen,
                                               const char *self)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->el[i].ai, self) != 0 && ai_matches(m->el[i].ai, p, plen))
            return &m->el[i];
    return NULL;
}

static int check_ex(const struct ll_gs1_msg *m, const struct ll_gs1_element *el,
                    struct ll_errmsg *e)
{
    const char *v;
    size_t vlen;
    for (size_t nth = 0; attr_get(el->row->attrs, "ex", nth, &v, &vlen);
         nth++) {
        for (size_t i = 0; i < vlen;) {
            size_t len = strcspn(v + i, ", ");
            const struct ll_gs1_element *o = find_match(m, v + i, len, el->ai);
            if (o != NULL)
                return ll_errmsg_set(e, LL_EINVAL,
                                     "AI (%s) and AI (%s) cannot be used "
                                     "together",
                                     el->ai, o->ai);
            i += len + 1;
        }
    }
    return 0;
}

/* One alternative of a req list, "01+21": are all its AIs present? */
static bool group_present(const struct ll_gs1_msg *m, const char *g,
                          size_t glen)
{
    for (size_t i = 0; i < glen;) {
        size_t len = 0;
        while (i + len < glen && g[i + len] != '+')
            len++;
        if (find_match(m, g + i, len, "") == NULL)
            return false;
        i += len + 1;
    }
    return true;
}

static int check_req(const struct ll_gs1_msg *m,
                     const struct ll_gs1_element *el, struct ll_errmsg *e)
{
    const char *v;
    size_t vlen;
    for (size_t nth = 0; attr_get(el->row->attrs, "req", nth, &v, &vlen);
         nth++) {
        bool ok = false;
        for (size_t i = 0; i < vlen && !ok;) {
            size_t len = strcspn(v + i, ", ");
            ok = group_present(m, v + i, len);
            i += len + 1;
        }
        if (!ok)
            return ll_errmsg_set(e, LL_EINVAL,
                                 "AI (%s) needs one of these in the same "
                                 "data: %.*s ('+' = together; use --partial "
                                 "if the item carries them in another "
                                 "barcode)",
                                 el->ai, (int)vlen, v);
    }
    return 0;
}

static int check_message(const struct ll_gs1_msg *m, unsigned flags,
                         struct ll_errmsg *e)
{
    for (size_t i = 0; i < m->n; i++) {
        int rc = check_ex(m, &m->el[i], e);
        if (rc == 0 && !(flags & LL_GS1_PARTIAL))
            rc = check_req(m, &m->el[i], e);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- entry points
 * -------------------------------------------------------------- */

struct symbology {
    const char *id;
    const char *carrier;
    bool gs1; /* carries GS1 element strings */
};

static const struct symbology symbologies[] = {
    {"]C1", "GS1-128", true},        {"]e0", "GS1 DataBar", true},
    {"]d2", "GS1 DataMatrix", true}, {"]Q3", "GS1 QR Code", true},
    {"]J1", "GS1 DotCode", true},    {"]E0", "EAN-13 / UPC-A", false},
    {"]E4", "EAN-8", false},         {"]Q1", "QR Code", false},
    {"]d1", "Data Matrix", false},   {"]C0", "Code 128", false},
};

static bool is_url(const char *s, size_t n)
{
    return (n >= 7 && strncasecmp(s, "http://", 7) == 0) ||
           (n >= 8 && strncasecmp(s, "https://", 8) == 0);
}

/* ]E0 / ]E4: a retail GTIN-13 or GTIN-8, as (01) with leading zeros. */
static int parse_retail(struct ll_gs1_msg *m, const char *s, size_t n,
                        size_t want, struct ll_errmsg *e)
{
    char v[15];
    if (n != want)
        return ll_errmsg_set(e, LL_EINVAL,
                             "%s data must be %zu digits, not %zu", m->carrier,
                             want, n);
    memset(v, '0', 14 - n);
    memcpy(v + 14 - n, s, n);
    return add(m, ll_gs1_ai_find("01", 2), "01", 2, v, 14, e);
}

static int parse_prefixed(struct ll_gs1_msg *m, const char *s, size_t n,
                          struct ll_errmsg *e)
{
    const struct symbology *sy = NULL;
    for (size_t i = 0; i < LL_ARRAY_LEN(symbologies); i++)
        if (n >= 3 && memcmp(s, symbologies[i].id, 3) == 0)
            sy = &symbologies[i];
    if (sy == NULL) {
        char q[8];
        show(q, sizeof(q), s, n < 3 ? n : 3);
        return ll_errmsg_set(e, LL_EINVAL,
                             "symbology identifier '%s' is not one of GS1's "
                             "(]C1 GS1-128, ]e0 DataBar, ]d2 DataMatrix, ]Q3 "
                             "QR Code, ]J1 DotCode, ]E0 EAN/UPC)",
                             q);
    }
    memcpy(m->symbology, s, 3);
    m->symbology[3] = '\0';
    m->carrier = sy->carrier;
    if (is_url(s + 3, n - 3)) {
        m->source = LL_GS1_SRC_DL;
        return parse_dl(m, s + 3, n - 3, e);
    }
    if (strcmp(sy->id, "]E0") == 0 || strcmp(sy->id, "]E4") == 0)
        return parse_retail(m, s + 3, n - 3, sy->id[2] == '0' ? 13 : 8, e);
    if (!sy->gs1)
        return ll_errmsg_set(e, LL_EINVAL,
                             "%s (%s) carries plain text, not GS1 data nor a "
                             "Digital Link URI",
                             sy->id, sy->carrier);
    return parse_elements(m, s + 3, n - 3, GS, e);
}

int ll_gs1_parse(struct ll_gs1_msg *m, const char *in, size_t len,
                 unsigned flags, struct ll_errmsg *e)
{
    memset(m, 0, sizeof(*m));
    while (len > 0 && (in[len - 1] == '\n' || in[len - 1] == '\r'))
        len--;
    if (len > LL_GS1_INPUT_MAX)
        return ll_errmsg_set(e, LL_ETOOBIG, "%zu bytes of data, at most %d",
                             len, LL_GS1_INPUT_MAX);
    if (len == 0)
        return ll_errmsg_set(e, LL_EINVAL, "no data");
    if (memchr(in, '\0', len) != NULL)
        return ll_errmsg_set(e, LL_EINVAL, "the data contains a NUL byte");
    int rc;
    if (in[0] == ']') {
        m->source = LL_GS1_SRC_SCAN;
        rc = parse_prefixed(m, in, len, e);
    } else if (is_url(in, len)) {
        m->source = LL_GS1_SRC_DL;
        rc = parse_dl(m, in, len, e);
    } else if (in[0] == '(') {
        m->source = LL_GS1_SRC_BRACKETED;
        rc = parse_bracketed(m, in, len, e);
    } else {
        m->source = LL_GS1_SRC_SCAN;
        rc = parse_elements(m, in, len, in[0] == '^' ? '^' : GS, e);
    }
    return rc ? rc : check_message(m, flags, e);
}

const char *ll_gs1_get(const struct ll_gs1_msg *m, const char *ai)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->el[i].ai, ai) == 0)
            return m->el[i].value;
    return NULL;
}

int ll_gs1_lot_id(const struct ll_gs1_msg *m, char *out, size_t cap)
{
    const char *gtin = ll_gs1_get(m, "01");
    const char *lot = ll_gs1_get(m, "10");
    if (gtin == NULL || lot == NULL)
        return LL_ENOTFOUND;
    int n = snprintf(out, cap, "01/%s/10/%s", gtin, lot);
    return n < 0 || (size_t)n >= cap ? LL_ETOOBIG : 0;
}

static int month_days(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

int ll_gs1_date(const char *yymmdd, int this_year, char out[11])
{
    for (int i = 0; i < 6; i++)
        if (!is_digit(yymmdd[i]))
            return LL_EINVAL;
    if (yymmdd[6] != '\0')
        return LL_EINVAL;
    int yy = (yymmdd[0] - '0') * 10 + (yymmdd[1] - '0');
    int mm = (yymmdd[2] - '0') * 10 + (yymmdd[3] - '0');
    int dd = (yymmdd[4] - '0') * 10 + (yymmdd[5] - '0');
    int year = this_year - this_year % 100 + yy;
    if (year - this_year > 50)
        year -= 100;
    else if (this_year - year > 49)
        year += 100;
    if (mm < 1 || mm > 12 || dd > month_days(year, mm))
        return LL_EINVAL;
    if (dd == 0)
        dd = month_days(year, mm);
    if (year < 0 || year > 9999)
        return LL_EINVAL;
    (void)snprintf(out, 11, "%04u-%02u-%02u", (unsigned)year % 10000u,
                   (unsigned)mm % 100u, (unsigned)dd % 100u);
    return 0;
}

/* ---- writing
 * ------------------------------------------------------------------- */

struct out {
    char *p;
    size_t cap, len;
    bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->full || o->cap - o->len <= n) {
        o->full = true;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static int done(const struct out *o)
{
    return o->full ? LL_ETOOBIG : 0;
}

int ll_gs1_to_bracketed(const struct ll_gs1_msg *m, char *out, size_t cap)
{
    struct out o = {out, cap, 0, cap == 0};
    if (cap > 0)
        out[0] = '\0';
    for (size_t i = 0; i < m->n; i++) {
        put(&o, "(", 1);
        puts_(&o, m->el[i].ai);
        put(&o, ")", 1);
        for (const char *v = m->el[i].value; *v != '\0'; v++)
            put(&o, *v == '(' ? "\\(" : v, *v == '(' ? 2 : 1);
    }
    return done(&o);
}

int ll_gs1_to_scan(const struct ll_gs1_msg *m, char *out, size_t cap)
{
    struct out o = {out, cap, 0, cap == 0};
    if (cap > 0)
        out[0] = '\0';
    for (size_t i = 0; i < m->n; i++) {
        if (i > 0 && !(m->el[i - 1].row->flags & LL_GS1_FIXED))
            put(&o, "\x1d", 1);
        puts_(&o, m->el[i].ai);
        puts_(&o, m->el[i].value);
    }
    return done(&o);
}

static void put_pct(struct out *o, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *v != '\0'; v++) {
        char c = *v;
        bool plain = is_digit(c) || (c >= 'A' && c <= 'Z') ||
                     (c >= 'a' && c <= 'z') || c == '-' || c == '.' ||
                     c == '_' || c == '~';
        char enc[3] = {'%', hex[(unsigned char)c >> 4], hex[c & 15]};
        put(o, plain ? v : enc, plain ? 1 : 3);
    }
}

/* The index of m's primary key element and its dlpkey alternatives. */
static size_t dl_key(const struct ll_gs1_msg *m, const char **alts,
                     size_t *alen)
{
    for (size_t i = 0; i < m->n; i++)
        if (attr_get(m->el[i].row->attrs, "dlpkey", 0, alts, alen))
            return i;
    return SIZE_MAX;
}

/* The alternative of alts ("22,10,21|235") holding every qualifier in m. */
static bool pick_alt(const struct ll_gs1_msg *m, size_t key, const char *alts,
                     size_t alen, const char **a, size_t *an)
{
    const char *s = alts;
    for (;;) {
        const char *bar = memchr(s, '|', (size_t)(alts + alen - s));
        size_t n = bar != NULL ? (size_t)(bar - s) : (size_t)(alts + alen - s);
        bool all = true;
        for (size_t i = 0; i < m->n; i++)
            if (i != key && list_has(alts, alen, m->el[i].ai, ",|") &&
                !list_has(s, n, m->el[i].ai, ","))
                all = false;
        if (all) {
            *a = s;
            *an = n;
            return true;
        }
        if (bar == NULL)
            return false;
        s = bar + 1;
    }
}

static void put_element(struct out *o, char sep,
                        const struct ll_gs1_element *el)
{
    put(o, &sep, 1);
    puts_(o, el->ai);
    put(o, sep == '/' ? "/" : "=", 1);
    put_pct(o, el->value);
}

int ll_gs1_to_dl(const struct ll_gs1_msg *m, const char *base, char *out,
                 size_t cap, struct ll_errmsg *e)
{
    struct out o = {out, cap, 0, cap == 0};
    const char *alts = "";
    size_t alen = 0;
    const char *a = "";
    size_t an = 0;
    if (cap > 0)
        out[0] = '\0';
    size_t key = dl_key(m, &alts, &alen);
    if (key == SIZE_MAX)
        return ll_errmsg_set(e, LL_EINVAL,
                             "no Digital Link primary key (such as (01) GTIN "
                             "or (00) SSCC) in the data");
    if (!pick_alt(m, key, alts, alen, &a, &an))
        return ll_errmsg_set(e, LL_EINVAL,
                             "the key qualifiers of (%s) do not fit one of "
                             "its Digital Link paths (%.*s)",
                             m->el[key].ai, (int)alen, alts);
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    put(&o, base, blen);
    put_element(&o, '/', &m->el[key]);
    for (size_t i = 0; i < an;) {
        size_t len = strcspn(a + i, ",|");
        for (size_t j = 0; j < m->n; j++)
            if (j != key && strlen(m->el[j].ai) == len &&
                strncmp(m->el[j].ai, a + i, len) == 0)
                put_element(&o, '/', &m->el[j]);
        i += len + 1;
    }
    char sep = '?';
    for (size_t j = 0; j < m->n; j++) {
        if (j == key || list_has(a, an, m->el[j].ai, ","))
            continue;
        if (!(m->el[j].row->flags & LL_GS1_DL_ATTR))
            return ll_errmsg_set(e, LL_EINVAL,
                                 "AI (%s) cannot be carried in a Digital "
                                 "Link URI (not a data attribute)",
                                 m->el[j].ai);
        put_element(&o, sep, &m->el[j]);
        sep = '&';
    }
    return done(&o);
}
