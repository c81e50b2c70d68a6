/* SPDX-License-Identifier: MIT */
/*
 * ledger: the verifiable data structures and the ledger built on them.
 * Other modules include only this header. The parts:
 *   merkle.h  RFC 6962 Merkle log (tree hash, inclusion and consistency
 *             proofs, append-only frontier)
 *   smt.h     sparse Merkle map (the state map) with multiproofs
 */
#ifndef LL_LEDGER_H
#define LL_LEDGER_H

#include "merkle.h"
#include "smt.h"

#endif
