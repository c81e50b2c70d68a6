/* SPDX-License-Identifier: MIT */
/*
 * The per-address request budget: a token bucket per client address
 * (rate tokens a second, a burst of one second's worth) in a fixed table
 * of LL_RATE_SETS sets of LL_RATE_WAYS buckets. An address not in its set
 * takes over the set's fullest bucket and inherits its tokens: a bucket is
 * never refilled by a change of owner, so addresses that share a set (by
 * chance, or chosen by an attacker) are at most slowed together, never let
 * past their rate. The set is chosen by a hash keyed at start. Memory:
 * about 320 KiB. Loop thread only.
 */
#ifndef LL_NODE_RATE_H
#define LL_NODE_RATE_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/common.h"

#define LL_RATE_SETS 1024
#define LL_RATE_WAYS 4

struct ll_rate; /* opaque */

/*
 * A new table, every bucket free.
 * Returns: 0 or LL_ENOMEM (*out untouched), LL_EINVAL (per_sec == 0).
 * In: per_sec: requests a second per address (also the burst);
 *     key16: the hash key (random for the node, fixed in tests).
 */
LL_NODISCARD int ll_rate_new(struct ll_rate **out, uint64_t per_sec,
                             const uint8_t key16[static 16]) LL_NONNULL(1, 3);

/* Free a table (NULL is fine). */
void ll_rate_free(struct ll_rate *r);

/*
 * Take one token from peer's bucket at loop time now_ms (never earlier
 * than a previous call's). Returns: true if there was one, false if the
 * request is over the address's rate.
 */
bool ll_rate_take(struct ll_rate *r, const char *peer, uint64_t now_ms)
    LL_NONNULL(1, 2);

/* The set peer's bucket lives in, 0..LL_RATE_SETS-1 (for tests). */
uint32_t ll_rate_set_of(const struct ll_rate *r, const char *peer)
    LL_NONNULL(1, 2);

#endif
