/* SPDX-License-Identifier: MIT */
/*
 * lotledgerd's configuration: one table of options, read from an INI file
 * (libinih) and then from command-line flags (flags win). Every option has
 * one entry in that table, which also writes `lotledgerd --help`, so the
 * help can never miss an option. A bad or missing value is reported by its
 * name and the node refuses to start.
 */
#ifndef LL_NODE_CONFIG_H
#define LL_NODE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/common.h"

#define LL_CONFIG_PATH_MAX 1024
#define LL_CONFIG_STR_MAX  256

struct ll_node_config {
    char config[LL_CONFIG_PATH_MAX];          /* the INI file read, if any */
    char data_dir[LL_CONFIG_PATH_MAX];        /* holds ledger/ (LevelDB) */
    char genesis[LL_CONFIG_PATH_MAX];         /* the network's genesis file */
    char org[LL_CONFIG_STR_MAX];              /* this node's organisation id */
    char keystore[LL_CONFIG_PATH_MAX];        /* the organisation's key */
    char passphrase_file[LL_CONFIG_PATH_MAX]; /* keystore passphrase */
    char http_listen[LL_CONFIG_STR_MAX];      /* "127.0.0.1:8080" */
    char capture_token[LL_CONFIG_STR_MAX];    /* bearer token for /v1/capture */
    char log_level[16];                       /* debug, info, warn, error */
    uint64_t max_body;        /* bytes of one HTTP request body */
    uint64_t max_header;      /* bytes of one request's headers */
    uint64_t max_connections; /* open HTTP connections */
    uint64_t max_queued;      /* answer bytes queued per connection */
    uint64_t header_timeout;  /* ms from a request's first byte to its
                                 headers' end */
    uint64_t body_timeout;    /* ms from the headers' end to the body's */
    uint64_t idle_timeout;    /* ms a connection may wait for a request or
                                 for its client to read an answer */
    uint64_t rate_limit;      /* requests per second per client address */
    uint64_t mempool_max;     /* events waiting for a block */
    uint64_t block_max;       /* events per block */
    uint64_t block_interval;  /* ms between blocks while events wait */
    uint64_t write_buffer_mb; /* LevelDB write buffer (memtable), MiB */
    bool init;                /* --init: create the ledger (data_dir/ledger
                                 absent or empty), then run */
    bool accept_rollback;     /* --accept-rollback: open a store whose tip
                                 is below its last committed block */
};

/* Fill in the defaults (every limit has one; paths are empty). */
void ll_config_defaults(struct ll_node_config *c) LL_NONNULL(1);

/*
 * Read an INI file into c. Sections and keys are those of --help
 * ([node] data_dir = ...). Unknown sections or keys, malformed lines and
 * values out of range are errors.
 * Returns: 0, LL_EIO (cannot open), LL_EINVAL (e names the line and key).
 * c may be partly updated on failure (the node then refuses to start).
 */
LL_NODISCARD int ll_config_load_ini(struct ll_node_config *c, const char *path,
                                    struct ll_errmsg *e) LL_NONNULL(1, 2);
/* As ll_config_load_ini, from text (for tests and the fuzzer). */
LL_NODISCARD int ll_config_parse_ini(struct ll_node_config *c, const char *text,
                                     struct ll_errmsg *e) LL_NONNULL(1, 2);

/*
 * Apply command-line flags (argv[0] is the program). --config FILE is read
 * first wherever it appears, then the other flags override it. --init and
 * --accept-rollback take no value and exist only as flags: they are
 * decisions for one start, never a standing configuration.
 * Returns: 0, 1 if --help or --version was asked for (already printed to
 * out), LL_EINVAL (e names the flag), or an ll_config_load_ini error.
 */
LL_NODISCARD int ll_config_parse_args(struct ll_node_config *c, int argc,
                                      char **argv, FILE *out,
                                      struct ll_errmsg *e) LL_NONNULL(1, 3, 4);

/*
 * Check that the required values are present and consistent (data_dir,
 * genesis, org, keystore; a valid listen address; the log level).
 * Returns: 0 or LL_EINVAL with e naming the option.
 */
LL_NODISCARD int ll_config_check(const struct ll_node_config *c,
                                 struct ll_errmsg *e) LL_NONNULL(1);

/* Print the help: usage and every option with its INI name and default. */
void ll_config_help(FILE *out) LL_NONNULL(1);

#endif
