/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the lot log page verifier (what `lotledger log` reads from a node
 * anyone may run). The genesis is the unit tests' fixture network
 * (tests/fuzz/data/proof-genesis.json), and the seeds are real pages of it
 * (written by LL_LOGPAGE_SEED_DIR=DIR build/test/t/test_node -t
 * lot_log_pages), so mutations reach every check. No crash; a failure
 * always names its reason; a page that verifies says what it proves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ledger/proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ll_genesis g;

static void load_genesis(void)
{
    const char *path = getenv("LL_FUZZ_GENESIS"); /* NOLINT */
    struct ll_errmsg e = {{0}};
    if (path == NULL)
        path = "tests/fuzz/data/proof-genesis.json";
    if (ll_crypto_init() != 0 || ll_genesis_load(&g, path, &e) != 0) {
        (void)fprintf(stderr, "fuzz_logpage: genesis %s: %s\n", path, e.text);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g.norgs == 0)
        load_genesis();
    struct ll_errmsg e = {{0}};
    struct ll_log_page_report r;
    int rc = ll_log_page_verify(&g, (const char *)data, size, &r, &e);
    if (rc != 0 && e.text[0] == '\0')
        abort();
    if (rc == 0 &&
        (r.height == 0 || r.lot[0] == '\0' || r.after + r.events > r.log_size))
        abort();
    return 0;
}
