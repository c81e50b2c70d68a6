/* SPDX-License-Identifier: MIT */
/*
 * The lotledger CLI: one subcommand per cmd_<verb>.c, dispatched from
 * main.c's table. Each command prints its result to stdout, one error line
 * to stderr that names the bad argument or value, and returns the process
 * exit status: 0 success, 1 the check or operation failed, 2 usage error.
 */
#ifndef LL_CLIENT_H
#define LL_CLIENT_H

#include <stdio.h>

#include "../ledger/ledger.h"

#define LL_EXIT_OK    0
#define LL_EXIT_FAIL  1
#define LL_EXIT_USAGE 2

/* Longest passphrase accepted, with room for the NUL. */
#define LL_CLI_PASS_MAX 1024

/*
 * Get a passphrase: from file (first line), else LOTLEDGER_PASSPHRASE, else
 * a prompt on /dev/tty with echo off (twice if confirm). Empty ones are
 * refused. Reports its own error. Returns 0 or an LL_E* code.
 * Out: out (cap bytes, NUL-terminated; wipe it), *len.
 */
int ll_cli_passphrase(const char *cmd, char *out, size_t cap, size_t *len,
                      const char *file, bool confirm);

/*
 * Parse an unsigned decimal argument in [min, max]; reports its own error
 * naming the option. Returns 0 or LL_EINVAL.
 */
int ll_cli_uint(const char *cmd, const char *opt, const char *s, uint64_t min,
                uint64_t max, uint64_t *out);

/*
 * One HTTP request to a node (libcurl). body may be NULL (no body).
 * Returns: 0 with *status and the answer in resp (NUL-terminated), or
 * LL_EIO (cannot connect: e says why), LL_ETOOBIG, LL_ENOMEM.
 */
int ll_cli_http(const char *method, const char *url, const char *ctype,
                const void *body, size_t len, long *status, struct ll_buf *resp,
                struct ll_errmsg *e);

/* Report a node's error answer ({error, detail}) for cmd on stderr. */
void ll_cli_node_error(const char *cmd, long status, const struct ll_buf *resp);

/*
 * The union of the forward traces of n suspect lots, from a node: a JSON
 * object of trace lots keyed by lot id (json_decref it). Reports its own
 * errors. Returns 0 or LL_EIO.
 */
struct json_t;
/*
 * A lot's trace from the node (GET /v1/lots/{lot}/trace, depth 64), as
 * JSON with "lots" and "events" arrays (json_decref it), or NULL
 * (reported on stderr).
 */
struct json_t *ll_cli_trace(const char *cmd, const char *node, const char *lot,
                            bool forward);
/* A string member of a JSON object from the node, or "" if absent. */
const char *ll_cli_str(struct json_t *o, const char *k);
int ll_cli_closure(const char *cmd, const char *node,
                   const char *const *suspects, size_t n, struct json_t **out);

/*
 * Percent-encode s for a URL path: RFC 3986 unreserved characters stay
 * (and '/' if keep_slash), everything else becomes %XX.
 * Returns 0 or LL_ETOOBIG (out needs up to 3 x strlen(s) + 1 bytes).
 */
int ll_cli_escape(char *out, size_t cap, const char *s, bool keep_slash);

/* A quantity in thousandths as a decimal without trailing zeros ("12.5"). */
void ll_cli_qty(char *buf, size_t cap, long long q);

/*
 * A LOT_ID argument: checked (ll_lotid_check) and appended to lots (at
 * most max). Reports its own error. Returns 0 or LL_EXIT_USAGE.
 */
int ll_cli_lots_arg(const char *cmd, const char *a, const char **lots,
                    size_t *n, size_t max);

/* Print "lotledger <cmd>: <message>" to stderr. */
void ll_cli_error(const char *cmd, const char *fmt, ...) LL_PRINTF(2, 3);

/* The commands: argv[0] is the command name. Return the exit status. */
int ll_cmd_verify_chain(int argc, char **argv);
int ll_cmd_keygen(int argc, char **argv);
int ll_cmd_key_info(int argc, char **argv);
int ll_cmd_genesis(int argc, char **argv);
int ll_cmd_demo(int argc, char **argv);
/* commission, ship, receive, ...: argv[0] names the event type. */
int ll_cmd_event(int argc, char **argv);
/* status, lot, event-get, block: argv[0] names the query. */
int ll_cmd_query(int argc, char **argv);
/* event get ID. */
int ll_cmd_event_get(int argc, char **argv);
int ll_cmd_trace(int argc, char **argv);
int ll_cmd_proof(int argc, char **argv);
int ll_cmd_log(int argc, char **argv);
int ll_cmd_recall_impact(int argc, char **argv);
int ll_cmd_qr(int argc, char **argv);
int ll_cmd_scan(int argc, char **argv);
int ll_cmd_fsma(int argc, char **argv);
int ll_cmd_expiring(int argc, char **argv);

/*
 * The GS1 Digital Link URI of a GS1 lot id on base (no trailing slash
 * kept): base/01/<GTIN>/10/<lot, percent-encoded>[?17=YYMMDD] (expiry
 * YYYYMMDD, 0 = none). Returns 0, LL_EINVAL (not 01/<GTIN>/10/<lot>, or
 * a value GS1 refuses: e says which), LL_ETOOBIG.
 */
int ll_cli_digital_link(char *out, size_t cap, const char *base,
                        const char *lot, uint32_t expiry, struct ll_errmsg *e);
int ll_cmd_verify(int argc, char **argv);

#endif
