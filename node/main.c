/* SPDX-License-Identifier: MIT */
/* lotledgerd: read the configuration, then run the node until a signal. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../crypto/crypto.h"
#include "../ledger/event_json.h"
#include "config.h"
#include "node.h"

/*
 * A write to a connection its client has reset raises SIGPIPE, whose
 * default action kills the process: any client could stop the node. With
 * it ignored the write fails with EPIPE, which http.c handles.
 */
static int ignore_sigpipe(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    (void)sigemptyset(&sa.sa_mask);
    return sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
    if (ignore_sigpipe() != 0) {
        (void)fprintf(stderr, "lotledgerd: cannot ignore SIGPIPE\n");
        return 1;
    }
    struct ll_node_config cfg;
    struct ll_errmsg e = {{0}};
    /* First, so that LL_FAIL_ALLOC=N counts every allocation (jansson's
     * too) from the start of the process. */
    ll_alloc_init_from_env();
    ll_json_init();
    ll_config_defaults(&cfg);
    int rc = ll_config_parse_args(&cfg, argc, argv, stdout, &e);
    if (rc == 1)
        return 0; /* --help or --version */
    if (rc == 0)
        rc = ll_config_check(&cfg, &e);
    if (rc) {
        (void)fprintf(stderr, "lotledgerd: %s\n", e.text);
        return 2;
    }
    enum ll_log_level lvl = LL_LOG_INFO;
    if (ll_log_level_parse(&lvl, cfg.log_level) == 0) /* checked above */
        ll_log_set_level(lvl);
    if (ll_crypto_init() != 0) {
        (void)fprintf(stderr, "lotledgerd: cannot initialise crypto\n");
        return 1;
    }
    rc = ll_node_run(&cfg, &e);
    if (rc) {
        ll_log(LL_LOG_ERROR, "component=node event=failed error=\"%s\"",
               e.text[0] ? e.text : ll_strerror(rc));
        (void)fprintf(stderr, "lotledgerd: %s\n",
                      e.text[0] ? e.text : ll_strerror(rc));
        return 1;
    }
    return 0;
}
