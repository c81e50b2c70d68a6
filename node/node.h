/* SPDX-License-Identifier: MIT */
/*
 * lotledgerd: wires the ledger, the block producer and the HTTP API onto
 * one libuv loop. With one validator (the embedded default) the node signs
 * its own commits. Loop thread only.
 */
#ifndef LL_NODE_H
#define LL_NODE_H

#include "config.h"

/*
 * Run a node until SIGINT or SIGTERM: open (or create) the ledger in
 * config->data_dir/ledger, unlock the organisation's key, serve the HTTP
 * API, produce blocks; on a signal stop accepting, commit the block in
 * progress and close the ledger cleanly.
 * Returns: 0 after a clean stop, or an error (e names it) if the node
 * could not start.
 */
LL_NODISCARD int ll_node_run(const struct ll_node_config *config,
                             struct ll_errmsg *e) LL_NONNULL(1);

#endif
