/* SPDX-License-Identifier: MIT */
/* Declarations shared by the files of ledger/ only. */
#ifndef LL_LEDGER_INTERNAL_H
#define LL_LEDGER_INTERNAL_H

#include <pb.h>

#include "event.h"

/*
 * Encode a nanopb message, appending at most max bytes to out.
 * Returns: 0, LL_ETOOBIG, LL_EINVAL (nanopb cannot encode it), LL_ENOMEM.
 */
int ll_ledger__pb_encode(struct ll_buf *out, const pb_msgdesc_t *fields,
                         const void *msg, size_t max);

/*
 * Decode a nanopb message strictly: decode, then re-encode against the
 * input and fail at the first differing byte. what names the message in
 * the error detail. On failure *msg (msgsize bytes) is zeroed.
 * Returns: 0, LL_ETOOBIG (a limit), LL_EDECODE, LL_ENONCANON.
 */
int ll_ledger__pb_decode(const pb_msgdesc_t *fields, void *msg, size_t msgsize,
                         const uint8_t *buf, size_t len, const char *what,
                         struct ll_errmsg *e);

#endif
