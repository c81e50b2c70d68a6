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

/* Print "lotledger <cmd>: <message>" to stderr. */
void ll_cli_error(const char *cmd, const char *fmt, ...) LL_PRINTF(2, 3);

/* The commands: argv[0] is the command name. Return the exit status. */
int ll_cmd_verify_chain(int argc, char **argv);

#endif
