/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the strict base64 and hex decoders: no crash, no read or write out of
 * bounds, and whatever decodes re-encodes to the same text (one spelling per
 * byte string).
 */
#include <stdlib.h>
#include <string.h>

#include "../../common/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    uint8_t out[3072];
    char text[4100];
    size_t n = 0;
    if (ll_base64_decode(out, sizeof(out), &n, (const char *)data, size) == 0) {
        if (ll_base64_encode(text, sizeof(text), out, n) != 0 ||
            strlen(text) != size || memcmp(text, data, size) != 0)
            abort();
    }
    if (size % 2 == 0 &&
        ll_hex_decode(out, size / 2, (const char *)data, size) == 0) {
        if (ll_hex_encode(text, sizeof(text), out, size / 2) != 0)
            abort();
        for (size_t i = 0; i < size; i++) {
            char c = (char)data[i];
            if (c >= 'A' && c <= 'F')
                c = (char)(c - 'A' + 'a');
            if (text[i] != c)
                abort();
        }
    }
    return 0;
}
