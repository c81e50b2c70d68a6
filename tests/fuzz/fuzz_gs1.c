/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the GS1 parser behind `lotledger scan` (scanned data, bracketed
 * strings, Digital Link URIs): no crash, a refusal always says why, and
 * whatever is accepted survives being written as a bracketed string, as
 * scanner data and as a Digital Link URI and read again, with the same
 * AIs and values.
 */
#include <stdlib.h>
#include <string.h>

#include "../../ledger/gs1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ll_gs1_msg a;
static struct ll_gs1_msg b;
static char out[4 * LL_GS1_INPUT_MAX];

static void same(void)
{
    if (a.n != b.n)
        abort();
    for (size_t i = 0; i < a.n; i++) {
        const char *v = ll_gs1_get(&b, a.el[i].ai);
        if (v == NULL || strcmp(v, a.el[i].value) != 0)
            abort();
    }
}

/* The form in out must parse back to a's AIs (nothing new is required). */
static void reparse(unsigned flags)
{
    struct ll_errmsg e = {{0}};
    if (ll_gs1_parse(&b, out, strlen(out), flags, &e) != 0)
        abort();
    same();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ll_errmsg e = {{0}};
    unsigned flags = size > 0 && (data[0] & 1) ? LL_GS1_PARTIAL : 0;
    int rc = ll_gs1_parse(&a, (const char *)data, size, flags, &e);
    if (rc != 0) {
        if (e.text[0] == '\0')
            abort();
        return 0;
    }
    for (size_t i = 0; i < a.n; i++)
        if (a.el[i].row == NULL || a.el[i].value[0] == '\0')
            abort();
    if (ll_gs1_to_bracketed(&a, out, sizeof(out)) != 0)
        abort();
    reparse(flags);
    if (ll_gs1_to_scan(&a, out, sizeof(out)) != 0)
        abort();
    reparse(flags);
    if (ll_gs1_to_dl(&a, "https://id.gs1.org", out, sizeof(out), &e) == 0)
        reparse(flags);
    else if (e.text[0] == '\0')
        abort();
    return 0;
}
