/* SPDX-License-Identifier: MIT */
/*
 * lotledger: the command-line client and offline verifier. main() checks
 * the command name against the table and hands over argv from there.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "../ledger/event_json.h"
#include "client.h"

struct command {
    const char *name;                  /* what the user types */
    int (*run)(int argc, char **argv); /* argv[0] = name */
    const char *summary;               /* one line for the command list */
};

static const struct command commands[] = {
    {"keygen", ll_cmd_keygen, "create a signing key in a new keystore file"},
    {"key-info", ll_cmd_key_info,
     "show a keystore's public key and key id (no passphrase needed)"},
    {"genesis", ll_cmd_genesis, "write a network's genesis file"},
    {"verify-chain", ll_cmd_verify_chain,
     "check a ledger directory from genesis to its tip"},
    {"demo", ll_cmd_demo, "submit the demo supply chain to a node"},
    {"status", ll_cmd_query, "a node's chain, height and pending events"},
    {"lot", ll_cmd_query, "a lot's state: status, holders, pending shipments"},
    {"event", ll_cmd_event_get, "event get ID: a committed event by id"},
    {"event-get", ll_cmd_query, "a committed event by id"},
    {"block", ll_cmd_query, "a committed block's header"},
    {"trace", ll_cmd_trace, "what went into a lot, or where it went"},
    {"recall-impact", ll_cmd_recall_impact,
     "everything made from suspect lots: status, holders, in transit"},
    {"expiring", ll_cmd_expiring,
     "an organisation's stock by expiry date, first expired first out"},
    {"fsma204", ll_cmd_fsma,
     "FDA FSMA 204 sortable spreadsheet (CSV) of lots' tracking events"},
    {"scan", ll_cmd_scan,
     "check GS1 barcode data or a Digital Link URI; print AIs and lot id"},
    {"qr", ll_cmd_qr, "a QR label of a lot's GS1 Digital Link (PNG or SVG)"},
    {"proof", ll_cmd_proof, "fetch a lot's trace proof bundle from a node"},
    {"verify", ll_cmd_verify, "check a trace proof bundle offline"},
    {"log", ll_cmd_log, "read a lot's event log page by page, verified"},
    {"commission", ll_cmd_event, "sign and submit: create lots"},
    {"ship", ll_cmd_event, "sign and submit: ship held lots to an org"},
    {"receive", ll_cmd_event, "sign and submit: receive a shipment"},
    {"transform", ll_cmd_event, "sign and submit: inputs into new lots"},
    {"observe", ll_cmd_event, "sign and submit: inspection, cooling, sensors"},
    {"hold", ll_cmd_event, "sign and submit: put lots on quality hold"},
    {"release", ll_cmd_event, "sign and submit: lift a hold"},
    {"recall", ll_cmd_event, "sign and submit: recall lots"},
    {"dispose", ll_cmd_event, "sign and submit: destroy held quantities"},
    {"correct", ll_cmd_event, "sign and submit: correct an earlier event"},
};

static void usage(FILE *f)
{
    (void)fprintf(f, "usage: lotledger <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < LL_ARRAY_LEN(commands); i++)
        (void)fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
    (void)fprintf(f, "\nRun 'lotledger <command> --help' for its options.\n");
}

/*
 * SIGPIPE ignored: a node that resets the connection, or a reader of the
 * output that goes away (`lotledger trace ... | head`), is a failed write
 * that the CLI reports, not a silent death. libcurl sends with
 * MSG_NOSIGNAL anyway (CURLOPT_NOSIGNAL only stops it touching signals).
 */
static void ignore_sigpipe(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGPIPE, &sa, NULL);
}

/* The command's exit code, or a failure if its output was not written. */
static int flush_output(int rc)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    (void)fprintf(stderr, "lotledger: cannot write the output: %s\n",
                  strerror(errno)); /* NOLINT(concurrency-mt-unsafe) */
    return rc != LL_EXIT_OK ? rc : LL_EXIT_FAIL;
}

int main(int argc, char **argv)
{
    /* First, so that LL_FAIL_ALLOC=N counts every allocation (jansson's
     * too) from the start of the process. */
    ll_alloc_init_from_env();
    ll_json_init();
    ignore_sigpipe();
    if (argc < 2) {
        usage(stderr);
        return LL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return flush_output(LL_EXIT_OK);
    }
    if (ll_crypto_init() != 0) {
        (void)fprintf(stderr, "lotledger: cannot initialise the crypto "
                              "libraries\n");
        return LL_EXIT_FAIL;
    }
    ll_log_set_level(LL_LOG_WARN);
    for (size_t i = 0; i < LL_ARRAY_LEN(commands); i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        int rc = flush_output(commands[i].run(argc - 1, argv + 1));
        /* A command may report an allocation failure by what it could not
         * do; say once that memory ran out, whatever the command said. */
        if (rc != LL_EXIT_OK && ll_alloc_failed())
            (void)fprintf(stderr, "lotledger: out of memory (an allocation "
                                  "failed as LL_FAIL_ALLOC asked)\n");
        return rc;
    }
    (void)fprintf(stderr, "lotledger: unknown command '%s' (see --help)\n",
                  argv[1]);
    return LL_EXIT_USAGE;
}
