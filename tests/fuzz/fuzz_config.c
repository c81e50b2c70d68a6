/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the node's configuration reader (INI text through libinih and the
 * option table) and its checks. No crash; a config that parses and checks
 * has every string NUL-terminated within its field.
 */
#include <stdlib.h>
#include <string.h>

#include "../../node/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ll_node_config c;
    struct ll_errmsg e;
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ll_config_defaults(&c);
    if (ll_config_parse_ini(&c, text, &e) == 0 &&
        ll_config_check(&c, &e) == 0) {
        if (memchr(c.org, '\0', sizeof(c.org)) == NULL ||
            memchr(c.http_listen, '\0', sizeof(c.http_listen)) == NULL ||
            c.block_max == 0 || c.block_max > c.mempool_max)
            abort();
    }
    free(text);
    return 0;
}
