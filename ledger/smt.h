/* SPDX-License-Identifier: MIT */
/*
 * smt: the sparse Merkle map (the ledger's state map). A binary Merkle tree
 * over 256-bit keys with a leaf shortcut: an empty subtree hashes to 32 zero
 * bytes, a subtree with one entry is that entry's leaf hash, and an inner
 * node exists only where its subtree holds two entries or more. So the tree
 * has about 2n nodes, a path is about log2(n) long, and the root depends only
 * on the set of entries, never on the order they were written in.
 *
 * Nodes are content addressed (a node is stored under its own hash) behind a
 * small storage interface, and never deleted: every past root stays readable
 * and provable. One compact multiproof format serves one or many keys,
 * membership and non-membership alike. The byte formats, the shape rules
 * and the order of the verifier's checks are specified in docs/smt.md.
 *
 * Threads: the functions here keep no state of their own. Calls on one store
 * are as thread-safe as that store (the memory store is single-threaded).
 * ll_crypto_init() must have run before any hash is computed.
 */
#ifndef LL_SMT_H
#define LL_SMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"

#define LL_SMT_KEY_LEN   32  /* bytes in a key */
#define LL_SMT_HASH_LEN  32  /* bytes in a node, value or root hash */
#define LL_SMT_NODE_LEN  65  /* bytes in an encoded node: type || 64 bytes */
#define LL_SMT_MAX_DEPTH 256 /* bits in a key; a leaf sits at depth <= 256 */

/* Node type byte (the first byte of an encoded node). */
#define LL_SMT_NODE_LEAF  0 /* 0x00 || key(32) || value_hash(32) */
#define LL_SMT_NODE_INNER 1 /* 0x01 || left hash(32) || right hash(32) */

/* Multiproof format: a version byte, then one tagged item per position. */
#define LL_SMT_PROOF_VERSION 1
#define LL_SMT_GET_VERIFIED  1 /* get: node known good, skip the hash check */

#define LL_SMT_PROOF_EMPTY 0 /* subtree empty; no payload */
#define LL_SMT_PROOF_LEAF  1 /* one entry: key(32) || value_hash(32) */
#define LL_SMT_PROOF_INNER 2 /* inner node: left item, then right item */
#define LL_SMT_PROOF_HASH  3 /* opaque subtree: hash(32), non-zero */

/*
 * Node storage. Nodes are content addressed: a node is put under its own
 * hash (the leaf or inner hash of its 65 bytes) and never deleted or
 * changed. The map code treats every node it gets as hostile bytes and checks
 * its type, its hash and its shape, so a store does not need to.
 *
 * get:  copy the node stored under hash into node.
 *       Returns 0, LL_ENOTFOUND (no such node), or another negative LL_E*
 *       code (LL_ESTORE, LL_ENOMEM, ...) that the map passes through.
 *       node is written only on success. A store may instead return
 *       LL_SMT_GET_VERIFIED for a node it knows to be one this module has
 *       already checked or built (a cache filled only by checked gets and
 *       by puts); the map then skips re-hashing it. Any other positive
 *       value is a broken store (LL_ESTORE).
 * put:  store node under hash. Putting a hash that is already present is a
 *       no-op that returns 0. Returns 0 or a negative LL_E* code; a failed
 *       put leaves the store as it was.
 * ctx:  passed to both; owned by whoever built the store.
 *
 * ll_smt_update reads only nodes reachable from its old root, never one it
 * put itself, so a store may buffer puts (a LevelDB write batch) where get
 * does not see them until the caller commits. A failed ll_smt_update may
 * have put some new nodes already; they are unreferenced garbage, never a
 * change to an existing node, so every root that was readable before stays
 * readable (docs/smt.md, section 3).
 */
struct ll_smt_store {
    int (*get)(void *ctx, uint8_t node[LL_SMT_NODE_LEN],
               const uint8_t hash[LL_SMT_HASH_LEN]); /* read a node */
    int (*put)(void *ctx, const uint8_t hash[LL_SMT_HASH_LEN],
               const uint8_t node[LL_SMT_NODE_LEN]); /* write a node */
    void *ctx;                                       /* store's own state */
    /*
     * Optional (NULL: use get). As get, told where the node sits: depth
     * (0 = the root) and ref, a key whose first depth bits are the path to
     * it, so a store may keep nodes by position (the ledger stores several
     * tree levels per record). When set, every read goes through it and
     * get may be NULL.
     */
    int (*get_at)(void *ctx, uint8_t node[LL_SMT_NODE_LEN],
                  const uint8_t hash[LL_SMT_HASH_LEN],
                  const uint8_t ref[LL_SMT_KEY_LEN], unsigned depth);
};

/* One change in a batch update. */
struct ll_smt_kv {
    uint8_t key[LL_SMT_KEY_LEN];         /* map key (any 32 bytes) */
    uint8_t value_hash[LL_SMT_HASH_LEN]; /* new value hash; unused if del */
    bool del;                            /* remove key; no-op if absent */
};

/* What a proof says about one queried key. */
struct ll_smt_result {
    bool present;                        /* key is in the map */
    uint8_t value_hash[LL_SMT_HASH_LEN]; /* its value hash; zero if absent */
};

/* ---- hashes -------------------------------------------------------------- */

/*
 * Hash a map value: tagged hash "lotledger/smt/value" of the bytes. The map
 * stores value hashes, never values.
 * Out: out: 32 bytes.
 * In:  bytes, len: the value (bytes may be NULL when len is 0).
 */
void ll_smt_value_hash(uint8_t out[static LL_SMT_HASH_LEN], const void *bytes,
                       size_t len) LL_NONNULL(1);

/*
 * Leaf hash: tagged hash "lotledger/smt/leaf" of key || value_hash.
 * Out: out: 32 bytes.
 * In:  key, value_hash: 32 bytes each.
 */
void ll_smt_leaf_hash(uint8_t out[static LL_SMT_HASH_LEN],
                      const uint8_t key[static LL_SMT_KEY_LEN],
                      const uint8_t value_hash[static LL_SMT_HASH_LEN]);

/*
 * Inner-node hash: tagged hash "lotledger/smt/node" of left || right.
 * Out: out: 32 bytes.
 * In:  left, right: the children's hashes (32 zero bytes for an empty one).
 */
void ll_smt_node_hash(uint8_t out[static LL_SMT_HASH_LEN],
                      const uint8_t left[static LL_SMT_HASH_LEN],
                      const uint8_t right[static LL_SMT_HASH_LEN]);

/* ---- reading and writing the map ----------------------------------------- */

/*
 * Look a key up in the map with the given root.
 * Returns: 0; LL_EINVAL (store with no getter); LL_ENOTFOUND (a node on
 *          the key's path, or the root, is not in the store); LL_ECORRUPT (a
 *          node on the path is malformed, does not hash to its address, or
 *          breaks a shape rule); or an error of the store's getter.
 * Args: store: the node store (only its getter is used).
 * Out:  found: whether key is in the map.
 *       value_hash: 32 bytes, written only when *found is true.
 * In:   root: 32 bytes; 32 zero bytes is the empty map.
 *       key: 32 bytes.
 */
LL_NODISCARD int ll_smt_get(const struct ll_smt_store *store, bool *found,
                            uint8_t value_hash[static LL_SMT_HASH_LEN],
                            const uint8_t root[static LL_SMT_HASH_LEN],
                            const uint8_t key[static LL_SMT_KEY_LEN])
    LL_NONNULL(1, 2);

/*
 * Apply a batch of inserts, updates and deletes in one pass and compute the
 * new root. Only the paths of the changed keys are read; only the nodes of
 * the new tree that did not exist are put. A delete of an absent key is a
 * no-op; deletes collapse the tree back to its canonical shape, so the new
 * root depends only on the resulting set of entries. The order of kvs does
 * not matter; n == 0 gives back old_root without reading the store.
 * Returns: 0; LL_EINVAL (store with no getter or put, kvs NULL with
 *          n > 0, or a key twice in kvs); LL_ENOMEM; LL_ENOTFOUND;
 *          LL_ECORRUPT (as for ll_smt_get); or an error of the store.
 * Args: store: the node store.
 * Out:  new_root: 32 bytes, written only on success (it may alias old_root).
 * In:   old_root: 32 bytes, the root to start from.
 *       kvs, n: the changes; borrowed, not modified.
 * On failure the store may hold new unreferenced nodes (see struct
 * ll_smt_store); old_root stays fully readable.
 */
LL_NODISCARD int ll_smt_update(const struct ll_smt_store *store,
                               uint8_t new_root[static LL_SMT_HASH_LEN],
                               const uint8_t old_root[static LL_SMT_HASH_LEN],
                               const struct ll_smt_kv *kvs, size_t n)
    LL_NONNULL(1);

/* ---- multiproofs --------------------------------------------------------- */

/*
 * Build one multiproof for a set of keys, present or absent, and append it
 * to out. The proof is canonical: for a given tree and key set there is
 * exactly one valid proof, and this function produces it.
 * Returns: 0; LL_EINVAL (store with no getter, keys NULL with nkeys > 0,
 *          or a key twice); LL_ENOMEM; LL_ETOOBIG (out would pass its
 *          maximum; out is then freed, as ll_buf_append does); LL_ENOTFOUND,
 *          LL_ECORRUPT or a store error (as for ll_smt_get).
 * Args: store: the node store (only its getter is used).
 * Out:  out: the proof is appended; on failure out->len is back to its
 *       length at the call (or out is freed after LL_ETOOBIG/LL_ENOMEM).
 * In:   root: 32 bytes.
 *       keys, nkeys: nkeys queried keys of 32 bytes each, back to back
 *       (key i at keys + 32 * i), any order, distinct; nkeys may be 0.
 */
LL_NODISCARD int ll_smt_prove(const struct ll_smt_store *store,
                              struct ll_buf *out,
                              const uint8_t root[static LL_SMT_HASH_LEN],
                              const uint8_t *keys, size_t nkeys)
    LL_NONNULL(1, 2);

/*
 * Check a multiproof's encoding and shape for the given keys and compute the
 * root it implies. This is ll_smt_verify without the final root comparison,
 * for callers that hold the expected root elsewhere (and for fuzzing). The
 * order of the checks is specified in docs/smt.md.
 * Returns: 0; LL_EINVAL (keys NULL with nkeys > 0, results NULL with
 *          nkeys > 0, proof NULL with prooflen > 0, or a key twice);
 *          LL_ENOMEM; LL_ETRUNC (proof ends inside an item, or is empty);
 *          LL_EVERSION (unknown version byte); LL_EDECODE (unknown item
 *          tag); LL_EPROOF (a shape rule is broken); LL_ETRAILING (bytes
 *          after the last item).
 * Out:  root: 32 bytes, written only on success.
 *       results: nkeys entries, results[i] for key i; written only on
 *       success.
 * In:   keys, nkeys: nkeys queried keys of 32 bytes each, back to back,
 *       any order, distinct.
 *       proof, prooflen: the proof bytes (hostile input).
 */
LL_NODISCARD int ll_smt_proof_root(uint8_t root[static LL_SMT_HASH_LEN],
                                   struct ll_smt_result *results,
                                   const uint8_t *keys, size_t nkeys,
                                   const uint8_t *proof, size_t prooflen);

/*
 * Verify a multiproof against a root: all the checks of ll_smt_proof_root,
 * then that the implied root equals root. Needs no store and allocates only
 * when nkeys > 16.
 * Returns: 0 if the proof is valid; any ll_smt_proof_root error; LL_EPROOF
 *          if the implied root differs from root.
 * Out:  results: nkeys entries, results[i] says whether key i is in the map
 *       and with which value hash; written only on success.
 * In:   root: 32 bytes, the trusted root.
 *       keys, nkeys: nkeys queried keys of 32 bytes each, back to back,
 *       any order, distinct.
 *       proof, prooflen: the proof bytes (hostile input).
 */
LL_NODISCARD int ll_smt_verify(struct ll_smt_result *results,
                               const uint8_t root[static LL_SMT_HASH_LEN],
                               const uint8_t *keys, size_t nkeys,
                               const uint8_t *proof, size_t prooflen);

/* ---- compact proofs of present keys ------------------------------------
 *
 * A multiproof for keys that are all present, for a verifier that knows
 * their value hashes already (a trace proof carries the values): no leaf is
 * sent. In pre-order, one shape bit per position where a single queried
 * key goes (1: its leaf is here, 0: an inner node) and one per subtree off
 * the queried paths (1: empty, 0: its hash follows), and the hashes of the
 * non-empty off-path subtrees. Never larger than format 1 for the same
 * keys. docs/proof-format.md ("State proof") specifies it; it is canonical
 * like format 1.
 */

/*
 * Convert a format-1 multiproof (ll_smt_prove) of keys that are all present
 * into the compact form. Reads the proof only (no hashing): verify the
 * result, not the input.
 * Returns: 0; LL_EINVAL (NULL arguments, a key twice); LL_ENOMEM;
 *          LL_ETOOBIG (an output's maximum); LL_EPROOF (a key is absent,
 *          or the proof is malformed for these keys).
 * Out:  bits: the shape bits, appended (8 per byte, first bit in the top
 *       bit of the first byte, the last byte padded with zero bits).
 *       hashes: the non-empty off-path hashes, appended, 32 bytes each.
 *       Both are back at their old length on failure (or freed, after
 *       LL_ETOOBIG/LL_ENOMEM from the buffer).
 * In:   keys, nkeys: nkeys >= 1 keys of 32 bytes, back to back, any order.
 *       proof, prooflen: their format-1 multiproof.
 */
LL_NODISCARD int ll_smt_proof_compact(struct ll_buf *bits,
                                      struct ll_buf *hashes,
                                      const uint8_t *keys, size_t nkeys,
                                      const uint8_t *proof, size_t prooflen)
    LL_NONNULL(1, 2);

/*
 * Verify a compact proof that key i is in the map under root with value
 * hash value_hashes[i], for every i. Allocates only when nkeys > 16.
 * Returns: 0; LL_EINVAL (NULL arguments, nkeys == 0, a key twice);
 *          LL_ENOMEM; LL_ETRUNC (bits or hashes run out); LL_EPROOF (a
 *          shape rule is broken, or the implied root is not root);
 *          LL_ETRAILING (bits or hashes left over, or a padding bit set).
 * In:   root: 32 bytes, the trusted root.
 *       keys, value_hashes, nkeys: nkeys keys and their value hashes, 32
 *       bytes each, back to back, any order, distinct keys.
 *       bits, bitslen; hashes, hashlen: the proof (hostile input).
 */
LL_NODISCARD int
ll_smt_verify_compact(const uint8_t root[static LL_SMT_HASH_LEN],
                      const uint8_t *keys, const uint8_t *value_hashes,
                      size_t nkeys, const uint8_t *bits, size_t bitslen,
                      const uint8_t *hashes, size_t hashlen);

/* ---- in-memory store ----------------------------------------------------- */

/*
 * A node store in memory: an open-addressing hash table over the node
 * hashes, with the nodes in fixed-size chunks (no large reallocation as it
 * grows). For tests, benchmarks and tools; single-threaded. It holds up to
 * 2^31 nodes; growing fails cleanly with LL_ENOMEM and leaves every stored
 * node in place.
 */
struct ll_smt_mem;

/*
 * Create an empty memory store.
 * Returns: 0 or LL_ENOMEM.
 * Out: out: the new store, owned by the caller (free with ll_smt_mem_free);
 *      written only on success.
 */
LL_NODISCARD int ll_smt_mem_new(struct ll_smt_mem **out) LL_NONNULL(1);

/* Free a memory store and every node in it. Accepts NULL. */
void ll_smt_mem_free(struct ll_smt_mem *mem);

/*
 * Fill in the store interface for a memory store.
 * Out: out: get/put/ctx; valid until mem is freed.
 * In:  mem: the memory store (borrowed).
 */
void ll_smt_mem_store(struct ll_smt_store *out, struct ll_smt_mem *mem)
    LL_NONNULL(1, 2);

/* Number of nodes held. */
size_t ll_smt_mem_count(const struct ll_smt_mem *mem) LL_NONNULL(1);

#endif
