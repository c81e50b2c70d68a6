/* SPDX-License-Identifier: MIT */
/*
 * Helpers every command shares: error lines and number arguments.
 */
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "client.h"

int ll_cli_uint(const char *cmd, const char *opt, const char *s, uint64_t min,
                uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (s == NULL || *s == '\0') {
        ll_cli_error(cmd, "%s needs a number", opt);
        return LL_EINVAL;
    }
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10) {
            ll_cli_error(cmd, "%s: '%s' is not a number", opt, s);
            return LL_EINVAL;
        }
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v < min || v > max) {
        ll_cli_error(cmd, "%s: %s is outside %llu..%llu", opt, s,
                     (unsigned long long)min, (unsigned long long)max);
        return LL_EINVAL;
    }
    *out = v;
    return 0;
}

void ll_cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    (void)fprintf(stderr, "lotledger %s: ", cmd);
    va_start(ap, fmt);
    (void)vfprintf(stderr, fmt, ap);
    va_end(ap);
    (void)fputc('\n', stderr);
}

int ll_cli_escape(char *out, size_t cap, const char *s, bool keep_slash)
{
    return ll_pct_encode(out, cap, s, keep_slash ? UINT_MAX : 0);
}

const char *ll_cli_str(struct json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s != NULL ? s : "";
}

void ll_cli_qty(char *buf, size_t cap, long long q)
{
    long long whole = q / 1000;
    long long frac = (q < 0 ? -q : q) % 1000;
    int digits = 3;
    while (digits > 0 && frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    if (digits == 0)
        (void)snprintf(buf, cap, "%lld", whole);
    else
        (void)snprintf(buf, cap, "%s%lld.%0*lld",
                       q < 0 && whole == 0 ? "-" : "", whole, digits, frac);
}

int ll_cli_lots_arg(const char *cmd, const char *a, const char **lots,
                    size_t *n, size_t max)
{
    struct ll_errmsg e = {{0}};
    if (a[0] == '-' || *n >= max) {
        ll_cli_error(cmd, "unexpected argument '%s' (see --help)", a);
        return LL_EXIT_USAGE;
    }
    if (ll_lotid_check(a, &e) != 0) {
        ll_cli_error(cmd, "%s", e.text);
        return LL_EXIT_USAGE;
    }
    lots[(*n)++] = a;
    return 0;
}
