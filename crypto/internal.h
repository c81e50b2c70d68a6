/* SPDX-License-Identifier: MIT */
/* Declarations shared by the files of crypto/ only. */
#ifndef LL_CRYPTO_INTERNAL_H
#define LL_CRYPTO_INTERNAL_H

#include <secp256k1.h>

#include "crypto.h"

/* Precompute the tag midstates. Called by ll_crypto_init. */
void ll_crypto__hash_init(void);

/* The shared, randomised secp256k1 context; valid after ll_crypto_init. */
const secp256k1_context *ll_crypto__ctx(void);

#endif
