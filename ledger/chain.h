/* SPDX-License-Identifier: MIT */
/*
 * The chain's fixed structures: the genesis file (organisations, keys,
 * roles, validators), validator sets, the fixed-layout block header and
 * the commit (BIP-340 signatures of validators holding more than 2/3 of
 * the voting power over the tagged header hash). Header + commit
 * verification against a validator set is the one function the node, the
 * sync code and the offline verifier all call. Formats: docs/chain.md.
 */
#ifndef LL_CHAIN_H
#define LL_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"
#include "../crypto/crypto.h"
#include "ledger/ledger.pb.h"

#define LL_MAX_ORGS       256
#define LL_MAX_VALIDATORS 128
#define LL_CHAIN_ID_MAX   64
#define LL_GENESIS_MAX    (1u << 20) /* bytes of genesis JSON */
#define LL_HEADER_LEN     248
#define LL_HEADER_VERSION 1
#define LL_COMMIT_MAX     (2 + LL_MAX_VALIDATORS * (2 + LL_SIG_LEN))

/* Role bits of OrgState.roles. */
#define LL_ROLE_MEMBER    1u
#define LL_ROLE_VALIDATOR 2u
#define LL_ROLE_REGULATOR 4u

/* The parsed genesis file. Large (every org's state): allocate it. */
struct ll_genesis {
    char chain_id[LL_CHAIN_ID_MAX + 1];   /* [a-z0-9][a-z0-9._-]* */
    int64_t time_ms;                      /* genesis time, ms since epoch */
    size_t norgs;                         /* orgs in use, 1..LL_MAX_ORGS */
    lotledger_OrgState orgs[LL_MAX_ORGS]; /* sorted by id */
    uint8_t hash[32];                     /* genesis hash (docs/chain.md) */
};

/*
 * Parse a genesis JSON document (strict: unknown fields, duplicates,
 * invalid keys, check digits and roles are errors).
 * Returns: 0, LL_EDECODE (not JSON / wrong shape), LL_EINVAL (a value
 * breaks a rule), LL_ETOOBIG, LL_ENOMEM. Out: *g written only on success; e
 * names the field.
 */
LL_NODISCARD int ll_genesis_parse(struct ll_genesis *g, const char *json,
                                  size_t len, struct ll_errmsg *e)
    LL_NONNULL(1, 2);

/* Read and parse a genesis file. Returns as ll_genesis_parse, LL_EIO. */
LL_NODISCARD int ll_genesis_load(struct ll_genesis *g, const char *path,
                                 struct ll_errmsg *e) LL_NONNULL(1, 2);

/*
 * Write g as a genesis JSON document (the format ll_genesis_parse reads;
 * orgs in id order, keys as hex), appended to out, NUL-terminated.
 * Returns: 0, LL_ENOMEM, LL_ETOOBIG (out's maximum).
 */
LL_NODISCARD int ll_genesis_to_json(struct ll_buf *out,
                                    const struct ll_genesis *g)
    LL_NONNULL(1, 2);

/* Find an organisation by id; NULL if absent. */
const lotledger_OrgState *ll_genesis_org(const struct ll_genesis *g,
                                         const char *id) LL_NONNULL(1, 2);

/* ---- validator sets -------------------------------------------------------
 */

struct ll_validator {
    uint8_t pk[LL_PUBKEY_LEN]; /* signing key */
    uint64_t power;            /* voting power, > 0 */
};

struct ll_valset {
    size_t n;                                 /* 1..LL_MAX_VALIDATORS */
    struct ll_validator v[LL_MAX_VALIDATORS]; /* sorted by pk */
    uint64_t total;                           /* sum of power */
    uint8_t hash[32];                         /* ll_valset_hash */
};

/*
 * The validator set of the genesis: each organisation with the validator
 * role contributes its current key with its power.
 * Returns: 0 or LL_EINVAL (no validator, or total power overflows).
 */
LL_NODISCARD int ll_valset_from_genesis(struct ll_valset *out,
                                        const struct ll_genesis *g)
    LL_NONNULL(1, 2);

/* ---- block header ----------------------------------------------------------
 */

struct ll_header {
    uint32_t version;        /* LL_HEADER_VERSION */
    uint8_t genesis[32];     /* genesis hash: the chain's identity */
    uint64_t height;         /* 1 for the first block after genesis */
    int64_t time_ms;         /* block time, ms since the Unix epoch */
    uint8_t prev[32];        /* previous header hash (genesis hash at 1) */
    uint8_t valset[32];      /* hash of the set that signs this block */
    uint8_t next_valset[32]; /* hash of the set that signs the next */
    uint8_t tx_root[32];     /* RFC 6962 root over the event ids */
    uint8_t state_root[32];  /* state-map root after this block */
    uint8_t proposer[32];    /* proposer's public key */
    uint32_t n_events;       /* events in the block */
};

/* Encode a header into its fixed LL_HEADER_LEN-byte layout. */
void ll_header_encode(uint8_t out[static LL_HEADER_LEN],
                      const struct ll_header *h) LL_NONNULL(2);
/*
 * Decode a header. Returns: 0, LL_ETRUNC, LL_ETRAILING, LL_EVERSION.
 * Out: *h only on success.
 */
LL_NODISCARD int ll_header_decode(struct ll_header *h, const uint8_t *buf,
                                  size_t len) LL_NONNULL(1);
/* Header hash: tagged_hash("lotledger/header", encoding). */
void ll_header_hash(uint8_t out[static 32], const struct ll_header *h)
    LL_NONNULL(2);

/* ---- commits ---------------------------------------------------------------
 */

/* One validator's signature in a commit. */
struct ll_commit_sig {
    uint16_t index;          /* position in the validator set */
    uint8_t sig[LL_SIG_LEN]; /* BIP-340 over the header hash */
};

struct ll_commit {
    size_t n;                                     /* signatures */
    struct ll_commit_sig sigs[LL_MAX_VALIDATORS]; /* strictly increasing */
};

/*
 * Commit encoding: u16 count, then count x (u16 index, 64-byte sig), all
 * big-endian. Returns bytes written, or 0 if cap is too small.
 */
size_t ll_commit_encode(uint8_t *out, size_t cap, const struct ll_commit *c)
    LL_NONNULL(3);
/*
 * Decode a commit strictly (indices strictly increasing, no trailing
 * bytes). Returns: 0, LL_ETRUNC, LL_ETRAILING, LL_EDECODE, LL_ETOOBIG.
 */
LL_NODISCARD int ll_commit_decode(struct ll_commit *c, const uint8_t *buf,
                                  size_t len) LL_NONNULL(1);

/*
 * Add this validator's signature over h to c (keeping indices sorted).
 * Returns: 0, LL_ENOTFOUND (kp is not in vs), LL_EEXIST, signing errors.
 */
LL_NODISCARD int ll_commit_sign(struct ll_commit *c, const struct ll_valset *vs,
                                const struct ll_header *h,
                                const struct ll_keypair *kp)
    LL_NONNULL(1, 2, 3, 4);

/*
 * Verify a header and its commit against the validator set that must sign
 * it: the header names vs (valset hash), every signature is by a member of
 * vs (index in range, each at most once) and valid over the header hash,
 * and the signers hold more than 2/3 of vs's total power.
 * Returns: 0, LL_EVERIFY (header names another set), LL_EBADSIG (a bad
 * signature), LL_EPROOF (not more than 2/3 of the power). e says which.
 */
LL_NODISCARD int ll_commit_verify(const struct ll_header *h,
                                  const struct ll_commit *c,
                                  const struct ll_valset *vs,
                                  struct ll_errmsg *e) LL_NONNULL(1, 2, 3);

#endif
