/* SPDX-License-Identifier: MIT */
/*
 * Error code to text, generated from the one table in ll_err.h, and the
 * formatted error detail that travels with a code.
 */
#include <stdio.h>

#include "common.h"

const char *ll_strerror(int err)
{
    switch (err) {
    case LL_OK:
        return "success";
#define LL_ERR_TEXT(name, num, text)                                           \
    case LL_##name:                                                            \
        return text;
        LL_ERRNO_MAP(LL_ERR_TEXT)
#undef LL_ERR_TEXT
    default:
        return "unknown error";
    }
}

const char *ll_err_name(int err)
{
    switch (err) {
    case LL_OK:
        return "LL_OK";
#define LL_ERR_NAME(name, num, text)                                           \
    case LL_##name:                                                            \
        return "LL_" #name;
        LL_ERRNO_MAP(LL_ERR_NAME)
#undef LL_ERR_NAME
    default:
        return "LL_EUNKNOWN";
    }
}

int ll_errmsg_vset(struct ll_errmsg *e, int rc, const char *fmt, va_list ap)
{
    if (e == NULL)
        return rc;
    int n = vsnprintf(e->text, sizeof(e->text), fmt, ap);
    if (n < 0)
        e->text[0] = '\0';
    return rc;
}

int ll_errmsg_set(struct ll_errmsg *e, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rc = ll_errmsg_vset(e, rc, fmt, ap);
    va_end(ap);
    return rc;
}
