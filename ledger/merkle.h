/* SPDX-License-Identifier: MIT */
/*
 * merkle: the RFC 6962 / RFC 9162 Merkle log. It holds the tx root of a
 * block and each lot's own event log. Hashing is plain SHA-256 with the RFC's
 * domain-separation bytes (leaf = SHA256(0x00 || data), node =
 * SHA256(0x01 || left || right), empty tree = SHA256("")) so the log can be
 * checked against the published test vectors. The main design choice: there
 * is no tree object. Roots and proofs are computed from a caller-owned array
 * of leaf hashes, and appends go through a compact frontier (the roots of the
 * perfect subtrees, at most 64 of them), so a log of any length costs
 * O(log n) memory to extend and to store. Nothing here allocates; every
 * function is reentrant and may be called from any thread.
 *
 * Proofs are verified with the algorithms of RFC 9162 §2.1.3.2 (inclusion)
 * and §2.1.4.2 (consistency). The conventions for the corner cases (empty
 * tree, equal sizes) and the byte formats are specified in docs/merkle.md.
 */
#ifndef LL_MERKLE_H
#define LL_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"

#define LL_MERKLE_HASH_LEN 32

/*
 * Limits, all for 64-bit tree sizes (size <= 2^64 - 1):
 * - a frontier holds popcount(size) <= 64 subtree roots;
 * - an inclusion proof has at most bitlen(size - 1) <= 64 hashes;
 * - a consistency proof has at most 65 hashes (reached by size1 = 2^64 - 3,
 *   size2 = 2^64 - 1; derivation in docs/merkle.md).
 * Verifiers reject longer proofs with LL_ETOOBIG before hashing anything.
 */
#define LL_MERKLE_FRONTIER_MAX    64
#define LL_MERKLE_MAX_INCLUSION   64
#define LL_MERKLE_MAX_CONSISTENCY 65
/* A range proof: at most two hashes per level (docs/merkle.md). */
#define LL_MERKLE_MAX_RANGE 128

/* Byte 0 of every encoding (docs/merkle.md); other values are reserved. */
#define LL_MERKLE_ENC_INCLUSION   0x01
#define LL_MERKLE_ENC_CONSISTENCY 0x02
#define LL_MERKLE_ENC_FRONTIER    0x03

/* Encoded sizes: fixed header, then 32 bytes per hash. */
#define LL_MERKLE_PROOF_HDR_LEN    18 /* format, u64, u64, u8 count */
#define LL_MERKLE_FRONTIER_HDR_LEN 9  /* format, u64 size */
#define LL_MERKLE_INCLUSION_ENC_MAX                                            \
    (LL_MERKLE_PROOF_HDR_LEN + LL_MERKLE_MAX_INCLUSION * LL_MERKLE_HASH_LEN)
#define LL_MERKLE_CONSISTENCY_ENC_MAX                                          \
    (LL_MERKLE_PROOF_HDR_LEN + LL_MERKLE_MAX_CONSISTENCY * LL_MERKLE_HASH_LEN)
#define LL_MERKLE_FRONTIER_ENC_MAX                                             \
    (LL_MERKLE_FRONTIER_HDR_LEN + LL_MERKLE_FRONTIER_MAX * LL_MERKLE_HASH_LEN)

/* ---- hashing ---------------------------------------------------------------
 */

/*
 * Hash one log entry: SHA256(0x00 || data) (RFC 9162 §2.1.1).
 * Out: out: 32 bytes.
 * In:  data: len bytes (may be NULL when len is 0).
 */
void ll_merkle_leaf_hash(uint8_t out[static 32], const void *data, size_t len);

/*
 * Hash an inner node: SHA256(0x01 || left || right). out may alias left or
 * right.
 * Out: out: 32 bytes.
 * In:  left, right: 32 bytes each.
 */
void ll_merkle_node_hash(uint8_t out[static 32], const uint8_t left[static 32],
                         const uint8_t right[static 32]);

/*
 * The root of the tree over n leaf hashes (RFC 9162 MTH). The empty tree's
 * root is SHA256("") = e3b0c442...b855.
 * Returns: 0, or LL_EINVAL if leaves is NULL while n > 0, or n leaves cannot
 *          be addressed (n > SIZE_MAX / 32).
 * Out: out: 32 bytes, written only on success.
 * In:  leaves: n leaf hashes (ll_merkle_leaf_hash), borrowed; may be NULL
 *      when n is 0. Running time O(n), stack O(log n).
 */
LL_NODISCARD int ll_merkle_root(uint8_t out[static 32],
                                const uint8_t (*leaves)[32], uint64_t n);

/* ---- proofs
 * ------------------------------------------------------------------
 */

/* An inclusion proof (RFC 9162 §2.1.3), as generated or decoded. */
struct ll_merkle_inclusion_proof {
    uint64_t index; /* leaf index, < size */
    uint64_t size;  /* tree size, >= 1 */
    size_t count;   /* hashes in use, 0..LL_MERKLE_MAX_INCLUSION */
    uint8_t hash[LL_MERKLE_MAX_INCLUSION][32]; /* audit path, leaf level
                                                  first */
};

/* A consistency proof (RFC 9162 §2.1.4), as generated or decoded. */
struct ll_merkle_consistency_proof {
    uint64_t size1; /* old tree size, 1..size2 */
    uint64_t size2; /* new tree size */
    size_t count;   /* hashes in use, 0..LL_MERKLE_MAX_CONSISTENCY */
    uint8_t hash[LL_MERKLE_MAX_CONSISTENCY][32]; /* RFC 9162 order */
};

/*
 * Generate the inclusion proof for leaf `index` in the tree over n leaves.
 * The hashes are contiguous, so out->hash and out->count * 32 can be passed
 * straight to ll_merkle_inclusion_verify.
 * Returns: 0, LL_EINVAL (leaves NULL, n too large to address),
 *          LL_ERANGE (index >= n; the empty tree has no inclusion proofs).
 * Out: out: written only on success.
 * In:  leaves: n leaf hashes, borrowed. Running time O(n): the siblings are
 *      recomputed from the leaves.
 */
LL_NODISCARD int
ll_merkle_inclusion_prove(struct ll_merkle_inclusion_proof *out,
                          const uint8_t (*leaves)[32], uint64_t n,
                          uint64_t index) LL_NONNULL(1);

/*
 * Verify that leaf hash `leaf` is entry `index` of the tree of `size` leaves
 * whose root is `root`, with the algorithm of RFC 9162 §2.1.3.2.
 * Returns: 0 if the proof verifies;
 *          LL_EINVAL if a pointer is NULL (proof may be NULL only when
 *            prooflen is 0), leaflen or rootlen is not 32, or prooflen is not
 *            a multiple of 32;
 *          LL_ETOOBIG if the proof has more than LL_MERKLE_MAX_INCLUSION
 *            hashes;
 *          LL_ERANGE if index >= size (this includes size 0);
 *          LL_EPROOF if the proof does not verify (wrong hashes, or the wrong
 *            number of them for index and size).
 * In: leaf: leaflen bytes; proof: prooflen bytes, the audit path as
 *     concatenated 32-byte hashes, leaf level first; root: rootlen bytes.
 *     All borrowed and treated as hostile. O(log size) time.
 */
LL_NODISCARD int ll_merkle_inclusion_verify(
    uint64_t index, uint64_t size, const uint8_t *leaf, size_t leaflen,
    const uint8_t *proof, size_t prooflen, const uint8_t *root, size_t rootlen);

/*
 * Generate the consistency proof from the tree of its first size1 leaves to
 * the tree over all n leaves (RFC 9162 §2.1.4.1). size1 == n gives an empty
 * proof.
 * Returns: 0, LL_EINVAL (leaves NULL, n too large to address),
 *          LL_ERANGE (size1 == 0 or size1 > n).
 * Out: out: written only on success.
 * In:  leaves: n leaf hashes, borrowed. O(n) time.
 */
LL_NODISCARD int
ll_merkle_consistency_prove(struct ll_merkle_consistency_proof *out,
                            const uint8_t (*leaves)[32], uint64_t n,
                            uint64_t size1) LL_NONNULL(1);

/*
 * Verify that the tree of size1 leaves with root root1 is a prefix of the
 * tree of size2 leaves with root root2 (RFC 9162 §2.1.4.2).
 * Conventions (docs/merkle.md): sizes must satisfy 1 <= size1 <= size2; the
 * empty tree is a prefix of every tree, so there is nothing to prove and
 * size1 == 0 is refused rather than answered with a vacuous 0. When
 * size1 == size2 nothing is hashed: the proof must be empty and root1 must
 * equal root2 byte for byte (their length is not checked in this case only).
 * Returns: 0 if the proof verifies;
 *          LL_EINVAL if a pointer is NULL (proof may be NULL only when
 *            prooflen is 0), prooflen is not a multiple of 32, or, when
 *            size1 < size2, root1len or root2len is not 32;
 *          LL_ETOOBIG if the proof has more than LL_MERKLE_MAX_CONSISTENCY
 *            hashes;
 *          LL_ERANGE if size1 == 0 or size1 > size2;
 *          LL_EPROOF if the proof does not verify.
 * In: proof: prooflen bytes, concatenated 32-byte hashes in RFC 9162 order;
 *     root1, root2: root1len and root2len bytes. All borrowed and treated as
 *     hostile. O(log size2) time.
 */
LL_NODISCARD int
ll_merkle_consistency_verify(uint64_t size1, uint64_t size2,
                             const uint8_t *proof, size_t prooflen,
                             const uint8_t *root1, size_t root1len,
                             const uint8_t *root2, size_t root2len);

/*
 * Join a proof that arrived as a list of separate hashes (a JSON array, say)
 * into the flat form the verifiers take, checking that every element is
 * exactly one hash. Without this check a list such as ["", h1, h2] would be
 * indistinguishable from [h1, h2] once concatenated.
 * Returns: 0, LL_EINVAL (a NULL pointer, an element that is not exactly 32
 *          bytes, or outcap < 32 * count), LL_ETOOBIG (count >
 *          LL_MERKLE_MAX_CONSISTENCY, longer than any valid proof).
 * Out: out: 32 * count bytes; outlen: 32 * count. Written only on success.
 * In:  hashes: count pointers, element i of hashlens[i] bytes; borrowed.
 */
LL_NODISCARD int ll_merkle_proof_flatten(uint8_t *out, size_t outcap,
                                         size_t *outlen,
                                         const uint8_t *const *hashes,
                                         const size_t *hashlens, size_t count)
    LL_NONNULL(3);

/* ---- append-only frontier ---------------------------------------------------
 */

/*
 * The compact state of a log: its size and the roots of the perfect subtrees
 * it decomposes into, one per set bit of size, largest (leftmost) first. It
 * is enough to append and to compute the root; it cannot produce proofs.
 * Caller-owned, plain data (copy it freely).
 */
struct ll_merkle_frontier {
    uint64_t size;                            /* leaves appended, 0..2^64 - 1 */
    uint8_t hash[LL_MERKLE_FRONTIER_MAX][32]; /* popcount(size) in use,
                                                 largest subtree first */
};

/* Initialise an empty frontier (size 0). */
void ll_merkle_frontier_init(struct ll_merkle_frontier *f) LL_NONNULL(1);

/*
 * Append one leaf hash. Amortised one node hash, at most 64.
 * Returns: 0, or LL_ERANGE if the log already holds 2^64 - 1 leaves.
 * Args: f: the frontier, updated in place only on success.
 * In:   leaf: a 32-byte leaf hash (ll_merkle_leaf_hash of the entry).
 */
LL_NODISCARD int ll_merkle_frontier_append(struct ll_merkle_frontier *f,
                                           const uint8_t leaf[static 32])
    LL_NONNULL(1);

/*
 * The root of the log; equals ll_merkle_root over the same leaves
 * (SHA256("") for size 0). At most 63 node hashes.
 * Out: out: 32 bytes.
 * In:  f: a frontier from ll_merkle_frontier_init/append/decode.
 */
void ll_merkle_frontier_root(uint8_t out[static 32],
                             const struct ll_merkle_frontier *f) LL_NONNULL(2);

/*
 * Canonical encoding: 0x03 | size u64 BE | popcount(size) hashes, largest
 * subtree first; 9 + 32 * popcount(size) bytes, at most
 * LL_MERKLE_FRONTIER_ENC_MAX.
 * Returns: 0, or LL_EINVAL if out is NULL or outcap is too small.
 * Out: out: the encoding; outlen: its length. Written only on success.
 * In:  f: the frontier.
 */
LL_NODISCARD int ll_merkle_frontier_encode(uint8_t *out, size_t outcap,
                                           size_t *outlen,
                                           const struct ll_merkle_frontier *f)
    LL_NONNULL(3, 4);

/*
 * Decode a frontier from bytes treated as hostile (a stored value). Exactly
 * one encoding decodes to each frontier.
 * Returns: 0; LL_EINVAL (buf NULL with len > 0); LL_ETRUNC (shorter than the
 *          header or than popcount(size) hashes); LL_ETRAILING (longer);
 *          LL_EDECODE (byte 0 is another known format); LL_EVERSION (byte 0
 *          is reserved).
 * Out: out: written only on success (unused hash slots zeroed).
 * In:  buf: len bytes, borrowed.
 */
LL_NODISCARD int ll_merkle_frontier_decode(struct ll_merkle_frontier *out,
                                           const uint8_t *buf, size_t len)
    LL_NONNULL(1);

/* ---- proof encodings (transport)
 * ---------------------------------------------
 */

/*
 * Encode an inclusion proof: 0x01 | index u64 BE | size u64 BE | count u8 |
 * count hashes; 18 + 32 * count bytes, at most LL_MERKLE_INCLUSION_ENC_MAX.
 * Returns: 0, or LL_EINVAL if out is NULL, outcap is too small, or the proof
 *          is not well formed (index >= size, or count is not the length
 *          RFC 9162 gives for index and size), so that every encoding this
 *          writes decodes.
 * Out: out, outlen: written only on success.
 * In:  p: the proof.
 */
LL_NODISCARD int
ll_merkle_inclusion_encode(uint8_t *out, size_t outcap, size_t *outlen,
                           const struct ll_merkle_inclusion_proof *p)
    LL_NONNULL(3, 4);

/*
 * Decode an inclusion proof from hostile bytes. Strict: one encoding per
 * proof; the count must be the one RFC 9162 gives for index and size.
 * Returns: 0; LL_EINVAL (buf NULL with len > 0); LL_ETRUNC; LL_ETRAILING;
 *          LL_ETOOBIG (count > LL_MERKLE_MAX_INCLUSION); LL_ERANGE
 *          (index >= size); LL_EDECODE (wrong count for index and size, or
 *          byte 0 is another known format); LL_EVERSION (byte 0 reserved).
 * Out: out: written only on success.
 * In:  buf: len bytes, borrowed.
 */
LL_NODISCARD int
ll_merkle_inclusion_decode(struct ll_merkle_inclusion_proof *out,
                           const uint8_t *buf, size_t len) LL_NONNULL(1);

/*
 * Encode a consistency proof: 0x02 | size1 u64 BE | size2 u64 BE |
 * count u8 | count hashes; at most LL_MERKLE_CONSISTENCY_ENC_MAX bytes.
 * Returns: 0, or LL_EINVAL (out NULL, outcap too small, or not well formed:
 *          sizes outside 1 <= size1 <= size2, or a count other than the
 *          RFC 9162 length for the sizes).
 * Out: out, outlen: written only on success.
 * In:  p: the proof.
 */
LL_NODISCARD int
ll_merkle_consistency_encode(uint8_t *out, size_t outcap, size_t *outlen,
                             const struct ll_merkle_consistency_proof *p)
    LL_NONNULL(3, 4);

/*
 * Decode a consistency proof from hostile bytes. Strict, as
 * ll_merkle_inclusion_decode.
 * Returns: 0; LL_EINVAL; LL_ETRUNC; LL_ETRAILING; LL_ETOOBIG (count >
 *          LL_MERKLE_MAX_CONSISTENCY); LL_ERANGE (size1 == 0 or
 *          size1 > size2); LL_EDECODE; LL_EVERSION.
 * Out: out: written only on success.
 * In:  buf: len bytes, borrowed.
 */
LL_NODISCARD int
ll_merkle_consistency_decode(struct ll_merkle_consistency_proof *out,
                             const uint8_t *buf, size_t len) LL_NONNULL(1);

/* ---- range proofs ----------------------------------------------------------
 *
 * A range proof shows that leaves [a, b) of a tree of n leaves, given in
 * full, are those of the tree with a known root (docs/merkle.md, "Range
 * proofs"): the roots of the subtrees of the RFC 9162 split that lie wholly
 * outside the range, left to right.
 */

/*
 * Generate the range proof of leaves [a, b) in the tree over n leaves.
 * Returns: 0, LL_EINVAL (leaves NULL, n too large to address), LL_ERANGE
 *          (not a <= b - 1 < n).
 * Out: out: *count hashes (at most LL_MERKLE_MAX_RANGE), only on success.
 * In:  leaves: n leaf hashes, borrowed. Running time O(n).
 */
LL_NODISCARD int ll_merkle_range_prove(uint8_t (*out)[32], size_t *count,
                                       const uint8_t (*leaves)[32], uint64_t n,
                                       uint64_t a, uint64_t b) LL_NONNULL(1, 2);

/*
 * Verify that range (b - a leaf hashes) is leaves [a, b) of the tree of n
 * leaves whose root is root, with proof (proof_len bytes, 32 per hash).
 * Returns: 0, LL_ERANGE (not a <= b - 1 < n), LL_ETOOBIG (more than
 *          LL_MERKLE_MAX_RANGE hashes), LL_EINVAL (proof_len not a multiple
 *          of 32, range NULL), LL_ETRUNC (too few hashes), LL_ETRAILING (too
 *          many), LL_EPROOF (another root).
 */
LL_NODISCARD int ll_merkle_range_verify(const uint8_t root[static 32],
                                        uint64_t n, uint64_t a, uint64_t b,
                                        const uint8_t (*range)[32],
                                        const uint8_t *proof, size_t proof_len);

#endif
