/* SPDX-License-Identifier: MIT */
/* Declarations shared by the files of ledger/ only. */
#ifndef LL_LEDGER_INTERNAL_H
#define LL_LEDGER_INTERNAL_H

#include <pb.h>
#include <string.h>

#include "event.h"
#include "smt.h"

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

/*
 * Encode a LotState exactly as nanopb does, into out (cap bytes).
 * Returns: 0, LL_ETOOBIG (cap too small), LL_EINVAL (a count, size or
 * status out of range, or a string without its terminator).
 * Out: *len only on success.
 */
int ll_ledger__lot_encode(uint8_t *out, size_t cap, size_t *len,
                          const lotledger_LotState *st);

/*
 * Decode a LotState, accepting exactly the bytes ll_ledger__lot_encode
 * writes (the canonical encoding; see ll_ledger__pb_decode) with a status
 * of at most INT32_MAX. Only the used part of the arrays is written.
 * Returns: 0, LL_EINVAL (buf NULL), LL_EDECODE, LL_ENONCANON, LL_ETRUNC,
 * LL_ETOOBIG. On failure *out is zeroed.
 */
int ll_ledger__lot_decode(lotledger_LotState *out, const uint8_t *buf,
                          size_t len);

/*
 * Decode an Event, accepting exactly the bytes ll_ledger__pb_decode accepts
 * for it (canonical nanopb encodings); ll_event_decode's engine. Only the
 * used part of the arrays is written.
 * Returns: 0, LL_EINVAL (buf NULL), LL_EDECODE, LL_ENONCANON, LL_ETOOBIG.
 * On failure *out is zeroed and *at is about where the input went wrong.
 */
int ll_ledger__event_decode(lotledger_Event *out, const uint8_t *buf,
                            size_t len, size_t *at);

/*
 * The size of the ledger's committed-key filter (lots: the lot-key one,
 * else the event-id one): its bits and the keys added over all its layers,
 * and how many layers it has. For tests.
 */
struct ll_ledger;
void ll_ledger__filter_size(const struct ll_ledger *l, bool lots,
                            uint64_t *bits, uint64_t *keys, size_t *layers);

/* ---- sparse Merkle map helpers (smt.c, smt_proof.c) ---------------------- */

/* Bit i of a 32-byte key, counting from the most significant bit. */
static inline unsigned ll_smt__key_bit(const uint8_t *key, unsigned i)
{
    return (unsigned)(key[i >> 3] >> (7u - (i & 7u))) & 1u;
}

/* True if a and b agree on their first nbits bits (nbits <= 256). */
static inline bool ll_smt__same_prefix(const uint8_t *a, const uint8_t *b,
                                       unsigned nbits)
{
    size_t whole = nbits >> 3;
    if (memcmp(a, b, whole) != 0)
        return false;
    unsigned rest = nbits & 7u;
    if (rest == 0)
        return true;
    unsigned mask = (0xff00u >> rest) & 0xffu;
    return ((unsigned)(a[whole] ^ b[whole]) & mask) == 0;
}

/*
 * The first of kv[lo, hi) with bit depth set: the keys are sorted and share
 * their first depth bits, so that bit is 0...0 1...1 (an update's batch;
 * smt.c and the ledger's page walk split by it).
 */
static inline size_t ll_smt__split_kvs(const struct ll_smt_kv *kv, size_t lo,
                                       size_t hi, unsigned depth)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ll_smt__key_bit(kv[mid].key, depth))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* True if one of the n lot quantities q names lot. */
static inline bool ll_ledger__names(const lotledger_LotQuantity *q, size_t n,
                                    const char *lot)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(q[i].lot, lot) == 0)
            return true;
    return false;
}

/*
 * State-map pages as stored (docs/store.md, "State-map pages"): positions
 * 0..14 of four tree levels. ll_ledger__page_encode writes the value for
 * the nodes in use (bitmap used) and returns its length;
 * ll_ledger__page_decode checks a value's shape and length and rebuilds
 * every node in use and its hash. Returns 0 or LL_ECORRUPT; on failure
 * node and hash may be partly written.
 */
#define LL_PAGE_SLOTS 15
#define LL_PAGE_MAX   (4 + LL_PAGE_SLOTS * 64)
size_t ll_ledger__page_encode(uint8_t out[LL_PAGE_MAX], unsigned used,
                              const uint8_t node[][LL_SMT_NODE_LEN]);
int ll_ledger__page_decode(const uint8_t *v, size_t len, unsigned *used,
                           uint8_t node[][LL_SMT_NODE_LEN], uint8_t hash[][32]);

/*
 * The builder's state-map update on its own (for tests): apply kvs to the
 * map whose pages st holds at old_root, as a sealed block does, and write
 * the pages it changes in one synced batch. cp: NULL to read every page
 * from st, else where the update keeps its page copies between calls
 * (ll_ledger__map_copies_new, with a page cache of 2^cache_bits slots,
 * 1 to 14: a tiny one makes pages of one walk share slots). Returns
 * state_update's codes (0, LL_EINVAL, LL_ENOMEM, LL_ECORRUPT, store
 * errors); nothing is written on failure. Out: new_root on success.
 */
struct ll_store;
struct ll_ledger__map_copies;
int ll_ledger__map_copies_new(struct ll_ledger__map_copies **out,
                              unsigned cache_bits);
int ll_ledger__map_update(struct ll_store *st, struct ll_ledger__map_copies *cp,
                          uint8_t new_root[32], const uint8_t old_root[32],
                          const struct ll_smt_kv *kvs, size_t n);
void ll_ledger__map_copies_free(struct ll_ledger__map_copies *copies);

/* How many state-map pages of the upper tiers (depths 0 to 16) the
 * builder holds copies of. For tests. */
size_t ll_ledger__upper_held(const struct ll_ledger *l);

/*
 * The committed record (dir/COMMITTED, committed.c): one line of fixed
 * length, "lotledger committed v1 height N hash HEX64\n" with N in 20
 * digits (leading zeros) and HEX64 lower case, naming the last block whose
 * synced write returned. After a crash the file names that block or an
 * earlier one, never a block the store may lack.
 */
#define LL_LEDGER__COMMITTED_LEN 121
/* Parse the record's text (len bytes, not NUL-terminated). Returns 0 or
 * LL_EDECODE. Out: height, hash only on success. */
int ll_ledger__committed_parse(const char *text, size_t len, uint64_t *height,
                               uint8_t hash[32]);
/* Format a record (LL_LEDGER__COMMITTED_LEN bytes and a NUL) into out.
 * Returns 0 or LL_EINVAL. */
int ll_ledger__committed_format(char out[LL_LEDGER__COMMITTED_LEN + 1],
                                uint64_t height, const uint8_t hash[32]);
/* Read dir's record. Returns 0, LL_ENOTFOUND, LL_ECORRUPT (unreadable or
 * malformed; e says which), LL_EIO. */
int ll_ledger__committed_read(const char *dir, uint64_t *height,
                              uint8_t hash[32], struct ll_errmsg *e);
/* Replace dir's record by a new file: written to COMMITTED.tmp, fsynced,
 * renamed over COMMITTED, the directory fsynced. Returns 0 or LL_EIO. */
int ll_ledger__committed_write(const char *dir, uint64_t height,
                               const uint8_t hash[32]);
/* Open dir's record for ll_ledger__committed_update: a descriptor, or -1.
 * Never on a clone (the file is a hard link shared with the original). */
int ll_ledger__committed_open(const char *dir);
/* Overwrite the record in place (one pwrite of the whole record at 0; no
 * flush: see committed.c). Returns 0 or LL_EIO. */
int ll_ledger__committed_update(int fd, uint64_t height,
                                const uint8_t hash[32]);

#endif
