/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the GS1 linters: the first byte picks the linter (values past the
 * last one test the unknown-linter path), the second the size of the reason
 * buffer, the rest is the component. No crash, no read past the component
 * (libFuzzer's buffer ends exactly there), a result of 0 or LL_EINVAL, a
 * NUL-terminated reason on failure that fits its buffer, the same answer
 * with a small buffer as with a large one, and a buffer left alone on
 * success.
 */
#include <stdlib.h>
#include <string.h>

#include "../../ledger/gs1_lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 4096)
        return 0;
    int linter = data[0] % (LL_GS1_LINT_COUNT + 2);
    size_t cap = data[1] % 64;
    const char *c = (const char *)data + 2;
    size_t n = size - 2;

    char big[256];
    memset(big, 'Q', sizeof(big));
    int rc = ll_gs1_lint(linter, c, n, big, sizeof(big));
    if (rc != 0 && rc != LL_EINVAL)
        abort();
    if (rc == 0 && big[0] != 'Q')
        abort();
    if (rc != 0 && (big[0] == '\0' || memchr(big, '\0', sizeof(big)) == NULL))
        abort();
    bool known = linter > LL_GS1_LINT_NONE && linter < LL_GS1_LINT_COUNT;
    if (!known && rc == 0)
        abort();

    /* A small buffer: same result, a prefix of the same reason, no byte
     * written past cap. */
    char small[64 + 1];
    memset(small, 'Q', sizeof(small));
    if (ll_gs1_lint(linter, c, n, small, cap) != rc)
        abort();
    if (small[cap] != 'Q')
        abort();
    if (rc != 0 && cap > 0) {
        size_t len = strnlen(small, cap);
        if (len >= cap || memcmp(small, big, len) != 0)
            abort();
    }

    /* The name table round-trips for every linter value. */
    const char *name = ll_gs1_linter_name(linter);
    if (known && ll_gs1_linter_find(name, strlen(name)) != linter)
        abort();
    return 0;
}
