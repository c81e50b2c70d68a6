/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the CLI's argument parsing: the input is a command and its
 * arguments, one per line. Commands that only read (event authoring,
 * queries, trace) run for real, with the node pointed at a closed port so
 * nothing leaves the machine. Whatever the arguments, the command returns
 * 0, 1 or 2 (never crashes, never another status).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../client/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 40
#define MAX_LEN  300

static const struct {
    const char *name;
    int (*fn)(int, char **);
} cmds[] = {
    {"commission", ll_cmd_event},
    {"ship", ll_cmd_event},
    {"receive", ll_cmd_event},
    {"transform", ll_cmd_event},
    {"observe", ll_cmd_event},
    {"hold", ll_cmd_event},
    {"release", ll_cmd_event},
    {"recall", ll_cmd_event},
    {"dispose", ll_cmd_event},
    {"correct", ll_cmd_event},
    {"trace", ll_cmd_trace},
    {"lot", ll_cmd_query},
    {"status", ll_cmd_query},
    {"block", ll_cmd_query},
    {"event-get", ll_cmd_query},
    {"event", ll_cmd_event_get},
    {"recall-impact", ll_cmd_recall_impact},
    {"proof", ll_cmd_proof}, /* -o is refused without a node answer */
    {"scan", ll_cmd_scan},
    {"fsma204", ll_cmd_fsma}, /* writes -o only after the node answers */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[MAX_ARGS][MAX_LEN + 1];
    static char node_opt[] = "--node";
    static char node_url[] = "http://127.0.0.1:1";
    static bool quiet;
    char *argv[MAX_ARGS + 3];
    int argc = 0;
    if (!quiet) {
        /* The commands print; keep stdout out of the fuzzer's way. */
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0 && dup2(fd, 1) >= 0)
            quiet = true;
        if (fd >= 0)
            (void)close(fd);
        (void)setenv("LOTLEDGER_PASSPHRASE", "fuzz", 1);
    }
    size_t start = 0;
    for (size_t i = 0; i <= size && argc < MAX_ARGS; i++) {
        if (i < size && data[i] != '\n')
            continue;
        size_t n = i - start;
        if (n > MAX_LEN || memchr(data + start, '\0', n) != NULL)
            return 0;
        memcpy(buf[argc], data + start, n);
        buf[argc][n] = '\0';
        argv[argc] = buf[argc];
        argc++;
        start = i + 1;
    }
    if (argc == 0)
        return 0;
    for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
        if (strcmp(argv[0], cmds[c].name) != 0)
            continue;
        argv[argc++] = node_opt;
        argv[argc++] = node_url;
        argv[argc] = NULL;
        int st = cmds[c].fn(argc, argv);
        if (st != LL_EXIT_OK && st != LL_EXIT_FAIL && st != LL_EXIT_USAGE)
            abort();
        break;
    }
    return 0;
}
