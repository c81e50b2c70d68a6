/* SPDX-License-Identifier: MIT */
/*
 * ledger: the verifiable data structures and the ledger built on them.
 * Other modules include only this header. The parts:
 *   merkle.h  RFC 6962 Merkle log (tree hash, inclusion and consistency
 *             proofs, append-only frontier)
 *   smt.h     sparse Merkle map (the state map) with multiproofs
 *   event.h   signed custody events: canonical codec, ids, lot ids
 *   chain.h   genesis, validator sets, block headers, commits
 *   rules.h   the custody rules
 * and, below, the ledger itself: a LevelDB-backed chain of committed
 * blocks, built one block at a time (docs/ledger.md, docs/store.md).
 *
 * Thread rules: one thread builds and commits blocks; readers on other
 * threads use a snapshot (ll_ledger_snap_open), which sees one committed
 * height and nothing after it.
 */
#ifndef LL_LEDGER_H
#define LL_LEDGER_H

#include "chain.h"
#include "event.h"
#include "merkle.h"
#include "rules.h"
#include "smt.h"

struct ll_ledger;      /* an open ledger */
struct ll_block;       /* a block being built */
struct ll_ledger_snap; /* a read view at one committed height */

/* The last committed block. */
struct ll_ledger_tip {
    uint64_t height;        /* 0 = only genesis */
    uint8_t hash[32];       /* its header hash (genesis hash at 0) */
    uint8_t state_root[32]; /* state-map root after it */
    int64_t time_ms;        /* its block time (genesis time at 0) */
};

/* How ll_ledger_open_opts opens a ledger. Zero is "open an existing one". */
struct ll_ledger_opts {
    size_t write_buffer;  /* LevelDB memtable bytes; 0: the default 8 MiB */
    bool create;          /* make a new ledger; dir must be absent or empty */
    bool accept_rollback; /* open a store whose tip is below its committed
                             record (LL_ESTALE otherwise); logged loudly */
    bool in_place;        /* check dir itself instead of a clone of it:
                             only for a directory that is itself a
                             throwaway copy (verify-chain's) */
};

/* The file in a ledger directory recording the last committed block. */
#define LL_LEDGER_COMMITTED_FILE "COMMITTED"

/*
 * Open the ledger in directory dir, or create it (o->create), for genesis
 * g. Creating writes the genesis state (organisations in the state map,
 * tip at height 0, one synced write) in an absent or empty directory only
 * (LL_EEXIST otherwise). Opening never creates anything: a directory
 * without a ledger gives LL_ENOTFOUND, and one that holds files but no
 * readable ledger is damaged (LL_ECORRUPT), never "absent".
 *
 * Before anything is served an existing store is checked, on a clone of
 * dir (ll_store_clone; unless o->in_place), so a store refused is left
 * byte for byte as it was: LevelDB opens it with paranoid checks (log and
 * manifest damage), every table block is read with its checksum verified,
 * the schema and genesis records must match, and the tip must verify: its
 * block's header hashes to the tip, the commit verifies against the
 * validator set, the header's state root is the tip's and the stored root
 * page of the state map hashes to it, and no block is stored above it. A
 * tip below the height in dir/COMMITTED (written after each synced commit)
 * is a rollback: LL_ESTALE unless o->accept_rollback (then logged as an
 * error, and the record set back to the tip); a block at that height with
 * another hash is another chain (LL_ECORRUPT).
 * Returns: 0, LL_ENOTFOUND, LL_EEXIST, LL_ECORRUPT, LL_ESTALE, LL_EVERIFY
 * (another genesis), LL_EVERSION (another schema), LL_ESTORE (LevelDB
 * refused, e.g. the directory is locked by another process), LL_EIO,
 * LL_ENOMEM. Out: *out only on success. e names the problem.
 * The genesis is copied; g may be freed after the call.
 */
LL_NODISCARD int ll_ledger_open_opts(struct ll_ledger **out, const char *dir,
                                     const struct ll_genesis *g,
                                     const struct ll_ledger_opts *o,
                                     struct ll_errmsg *e)
    LL_NONNULL(1, 2, 3, 4);
/*
 * For tests and tools: create the ledger if dir is absent or empty, else
 * open the existing one (ll_ledger_open_opts). The node never uses it:
 * lotledgerd creates a ledger only when told (--init).
 */
LL_NODISCARD int ll_ledger_open(struct ll_ledger **out, const char *dir,
                                const struct ll_genesis *g, struct ll_errmsg *e)
    LL_NONNULL(1, 2, 3);
/* As ll_ledger_open, with LevelDB's write buffer of write_buffer bytes. */
LL_NODISCARD int
ll_ledger_open_buffered(struct ll_ledger **out, const char *dir,
                        const struct ll_genesis *g, size_t write_buffer,
                        struct ll_errmsg *e) LL_NONNULL(1, 2, 3);
/* ll_ledger_open_opts with no options: never create (LL_ENOTFOUND). */
LL_NODISCARD int
ll_ledger_open_existing(struct ll_ledger **out, const char *dir,
                        const struct ll_genesis *g, struct ll_errmsg *e)
    LL_NONNULL(1, 2, 3);
/*
 * Whether another process has the ledger in dir open (LevelDB's lock),
 * asked without changing anything. Returns: 0 (not in use, or no ledger),
 * LL_ESTORE (in use; e names the process). Call it only while this
 * process does not have dir open (a POSIX lock rule).
 */
LL_NODISCARD int ll_ledger_dir_in_use(const char *dir, struct ll_errmsg *e)
    LL_NONNULL(1);
/*
 * Make directory to (which must not exist) a clone of the ledger in dir
 * that may be opened with in_place and changed without changing dir
 * (hard links, or copies across file systems; docs/store.md). dir must
 * hold a ledger and not be in use.
 * Returns: 0, LL_ENOTFOUND, LL_ECORRUPT (ll_ledger_open_opts' meanings),
 * LL_ESTORE (in use), LL_EEXIST (to exists), LL_EIO; e names the problem.
 */
LL_NODISCARD int ll_ledger_clone_dir(const char *dir, const char *to,
                                     struct ll_errmsg *e) LL_NONNULL(1, 2);
/* Remove a clone made by ll_ledger_clone_dir. Returns 0 or LL_EIO. */
int ll_ledger_remove_clone(const char *to) LL_NONNULL(1);

/* Close the ledger (LevelDB closed cleanly). Accepts NULL. */
void ll_ledger_close(struct ll_ledger *l);

/* The last committed block. */
void ll_ledger_tip(const struct ll_ledger *l, struct ll_ledger_tip *out)
    LL_NONNULL(1, 2);
/* The genesis and the current validator set. */
const struct ll_genesis *ll_ledger_genesis(const struct ll_ledger *l)
    LL_NONNULL(1);
const struct ll_valset *ll_ledger_valset(const struct ll_ledger *l)
    LL_NONNULL(1);

/* ---- building and committing blocks -------------------------------------- */

/*
 * Start the block after the tip, with block time time_ms (not before the
 * tip's) and the proposer's key. One block at a time per ledger.
 * Returns: 0, LL_EINVAL (time before the tip, or a block already open),
 * LL_ENOMEM. Out: *out only on success; free with ll_block_free.
 */
LL_NODISCARD int ll_block_begin(struct ll_ledger *l, struct ll_block **out,
                                int64_t time_ms,
                                const uint8_t proposer[static 32])
    LL_NONNULL(1, 2);

/*
 * Say whether a block of this ledger is being sealed or committed on
 * another thread. Meanwhile the builder's caches are that thread's:
 * ll_ledger_state_proof (and the proofs built on it) then reads only the
 * store. Call it from the thread that opens snapshots and builds proofs.
 */
void ll_ledger_set_sealing(struct ll_ledger *l, bool sealing) LL_NONNULL(1);

/*
 * Check a decoded event's signature against the key its organisation (of
 * the genesis) holds at height, with the keys parsed and their ids computed
 * once at open. True only if it verifies; anything else (unknown org or
 * key, bad signature) is left for ll_block_add's rules to find and report
 * in their order. Reads only what ll_ledger_open set up and never changes,
 * so any thread may call it while the ledger is open.
 */
LL_NODISCARD bool ll_ledger_sig_ok(const struct ll_ledger *l,
                                   const struct ll_signed_event *se,
                                   uint64_t height) LL_NONNULL(1, 2);

/*
 * Add one signed event (SignedEvent bytes, copied) to the block: decode it,
 * apply the custody rules against the ledger and the events already in the
 * block, and stage its effects. sig_verified: the caller already checked
 * the signature against the key ll_rules_key names for the event's
 * organisation at this height (e.g. on a worker thread).
 * Returns: 0, or the decode / rule error with e naming the problem; a
 * rejected event changes nothing. Out: id (optional) = the event id, and
 * index (optional) = its position in the block, only on success.
 */
LL_NODISCARD int ll_block_add(struct ll_block *b, const uint8_t *bytes,
                              size_t len, bool sig_verified, uint8_t *id,
                              uint32_t *index, struct ll_errmsg *e)
    LL_NONNULL(1, 2);

/* Events staged in the block. */
size_t ll_block_count(const struct ll_block *b) LL_NONNULL(1);

/*
 * Finish the block: compute the tx root, update the state map and fill in
 * the header. No event may be added after.
 * Returns: 0, a store error, LL_ENOMEM. Out: *h only on success.
 */
LL_NODISCARD int ll_block_seal(struct ll_block *b, struct ll_header *h)
    LL_NONNULL(1, 2);

/*
 * Commit a sealed block with its commit: the commit must verify against
 * the validator set (more than 2/3 of the power), then the block, every
 * index, the state-map changes and the new tip are written in one synced
 * LevelDB batch. On success the block is consumed (freed).
 * Returns: 0, LL_EINVAL (not sealed), ll_commit_verify's errors,
 * LL_ESTORE. On failure nothing is written and b stays valid.
 */
LL_NODISCARD int ll_ledger_commit(struct ll_ledger *l, struct ll_block *b,
                                  const struct ll_commit *c,
                                  struct ll_errmsg *e) LL_NONNULL(1, 2, 3);

/*
 * ll_ledger_commit in three steps, so that the synced write can run on
 * another thread: prepare (verify the commit, add the block, hash and tip
 * records; the ledger's thread), write (the one LevelDB batch with fsync;
 * any one thread, while nothing else uses the ledger's block or begins
 * another), finish (with write's result: on 0 the new tip, caches and
 * filter take effect and b is freed; on failure nothing was written, e
 * says so and b may be prepared again or freed). Reads through snapshots
 * may run meanwhile and see the old tip until the write lands.
 */
LL_NODISCARD int
ll_ledger_commit_prepare(struct ll_ledger *l, struct ll_block *b,
                         const struct ll_commit *c, struct ll_errmsg *e)
    LL_NONNULL(1, 2, 3);
LL_NODISCARD int ll_ledger_commit_write(struct ll_block *b) LL_NONNULL(1);
LL_NODISCARD int ll_ledger_commit_finish(struct ll_ledger *l,
                                         struct ll_block *b, int rc,
                                         struct ll_errmsg *e) LL_NONNULL(1, 2);

/* Abandon a block. Accepts NULL. */
void ll_block_free(struct ll_block *b);

/* ---- reading ---------------------------------------------------------------
 */

/*
 * A consistent read view at the current tip. Returns 0 or LL_ENOMEM.
 * Close it with ll_ledger_snap_close; it may be used from any thread.
 */
LL_NODISCARD int ll_ledger_snap_open(struct ll_ledger *l,
                                     struct ll_ledger_snap **out)
    LL_NONNULL(1, 2);
void ll_ledger_snap_close(struct ll_ledger_snap *s);
/*
 * Make s read only the store, never the block builder's page caches
 * (which belong to the thread that builds blocks, or to the sealing thread
 * while ll_ledger_set_sealing says so). s may then be handed to any thread
 * while blocks are built and sealed; its state proofs cost more store
 * reads. Call it on the thread that opened s, before handing s over.
 */
void ll_ledger_snap_detach(struct ll_ledger_snap *s) LL_NONNULL(1);
/* The tip the view sees. */
void ll_ledger_snap_tip(const struct ll_ledger_snap *s,
                        struct ll_ledger_tip *out) LL_NONNULL(1, 2);

/*
 * A committed event by id: its SignedEvent bytes (appended to out), block
 * height and index. Returns: 0, LL_ENOTFOUND, LL_ESTORE, LL_ECORRUPT.
 */
LL_NODISCARD int ll_ledger_event(const struct ll_ledger_snap *s,
                                 const uint8_t id[static 32],
                                 struct ll_buf *out, uint64_t *height,
                                 uint32_t *index) LL_NONNULL(1, 3);

/* A lot's current state. Returns: 0, LL_ENOTFOUND, LL_ESTORE, LL_ECORRUPT. */
LL_NODISCARD int ll_ledger_lot(const struct ll_ledger_snap *s, const char *lot,
                               lotledger_LotState *out) LL_NONNULL(1, 2, 3);

/*
 * A lot's current state as its committed LotState bytes (the bytes its
 * state-map value hash covers), appended to out.
 * Returns: 0, LL_ENOTFOUND, LL_ESTORE, LL_ECORRUPT, LL_ETOOBIG (out's max).
 */
LL_NODISCARD int ll_ledger_lot_bytes(const struct ll_ledger_snap *s,
                                     const char *lot, struct ll_buf *out)
    LL_NONNULL(1, 2, 3);

/* Called for each event of a lot's log in order; non-zero stops the walk. */
typedef int (*ll_ledger_event_cb)(void *arg, uint64_t seq, uint64_t height,
                                  uint32_t index);
/*
 * Walk a lot's event log (positions seq = 0 .. N-1).
 * Returns: 0, the callback's non-zero value, LL_ESTORE, LL_ECORRUPT.
 */
LL_NODISCARD int ll_ledger_lot_events(const struct ll_ledger_snap *s,
                                      const char *lot, ll_ledger_event_cb cb,
                                      void *arg) LL_NONNULL(1, 2, 3);

/*
 * A lot by its key (ll_lot_key), for traces, which know the key: its
 * committed LotState bytes appended to state, then cb for each entry of its
 * log, in order (as ll_ledger_lot_events); cb NULL reads the state only. A
 * short log is read by point lookups, a long one by one scan.
 * Returns: 0, LL_ENOTFOUND (no such lot), the callback's non-zero value,
 * LL_ETOOBIG (state's maximum), LL_ENOMEM, LL_ESTORE, LL_ECORRUPT.
 */
LL_NODISCARD int ll_ledger_lot_log(const struct ll_ledger_snap *s,
                                   const uint8_t key[static 32],
                                   struct ll_buf *state, ll_ledger_event_cb cb,
                                   void *arg) LL_NONNULL(1, 2, 3);

/*
 * The event at (height, index): SignedEvent bytes appended to out.
 * Returns: 0, LL_ENOTFOUND, LL_ESTORE.
 */
LL_NODISCARD int ll_ledger_event_at(const struct ll_ledger_snap *s,
                                    uint64_t height, uint32_t index,
                                    struct ll_buf *out) LL_NONNULL(1, 4);

/* Where a committed event is: its block and its position in the block. */
struct ll_ledger_pos {
    uint64_t height;
    uint32_t index;
};

/*
 * Several committed events at once (pos sorted by height then index, no
 * position twice): their SignedEvent bytes appended to out in that order,
 * lens[i] the length of event i. Neighbours in one block are read by one
 * scan instead of a lookup each.
 * Returns: 0, LL_ENOTFOUND (an event is missing), LL_EINVAL (pos not
 * sorted), LL_ETOOBIG (out's maximum), LL_ENOMEM, LL_ESTORE, LL_ECORRUPT.
 * Out: lens: n entries, complete only on success. out is back at its old
 * length on failure (or freed, after LL_ETOOBIG/LL_ENOMEM from the buffer).
 */
LL_NODISCARD int ll_ledger_events_at(const struct ll_ledger_snap *s,
                                     const struct ll_ledger_pos *pos, size_t n,
                                     struct ll_buf *out, size_t *lens)
    LL_NONNULL(1, 4);

/* Called for each committed lot; non-zero stops the scan. */
typedef int (*ll_ledger_lot_cb)(void *arg, const lotledger_LotState *st);
/*
 * Visit every lot of the view, in key order (a full scan: for queries
 * that no index serves, such as expiring stock).
 * Returns: 0, the callback's non-zero value, LL_ENOMEM, LL_ESTORE,
 * LL_ECORRUPT.
 */
LL_NODISCARD int ll_ledger_lots_scan(const struct ll_ledger_snap *s,
                                     ll_ledger_lot_cb cb, void *arg)
    LL_NONNULL(1, 2);

/*
 * One state-map multiproof, at the view's tip, for nkeys 32-byte keys
 * (lot or organisation keys), appended to out (ll_smt_prove's encoding).
 * Uses the ledger's node cache: call it from the ledger's own thread,
 * unless s is detached (ll_ledger_snap_detach), which reads only the store.
 * Returns: 0, LL_ENOMEM, LL_ETOOBIG, LL_ESTORE, LL_ECORRUPT.
 */
LL_NODISCARD int ll_ledger_state_proof(const struct ll_ledger_snap *s,
                                       const uint8_t *keys, size_t nkeys,
                                       struct ll_buf *out) LL_NONNULL(1, 4);

/*
 * A committed block's header and commit.
 * Returns: 0, LL_ENOTFOUND, LL_ESTORE, LL_ECORRUPT.
 */
LL_NODISCARD int ll_ledger_block(const struct ll_ledger_snap *s,
                                 uint64_t height, struct ll_header *h,
                                 struct ll_commit *c) LL_NONNULL(1, 3);

/* ---- checking a whole ledger
 * ------------------------------------------------- */

struct ll_verify_report {
    uint64_t height; /* blocks checked (the tip) */
    uint64_t events; /* events checked */
    uint64_t lots;   /* lots whose logs were rebuilt */
    uint64_t orgs;   /* organisations in the state map */
};

/*
 * Walk the chain from genesis: every header's link, genesis, validator
 * set and commit; every event's decoding, index entry, signature against
 * the key its organisation held at that height; every block's tx root;
 * every lot's log rebuilt from its event list against its stored root and
 * count; and the state root recomputed from every stored lot and
 * organisation value against the tip header's.
 * Returns: 0, or LL_ECORRUPT / LL_EVERIFY / LL_EBADSIG / LL_EPROOF with e
 * naming the height and key of the first problem; LL_ESTORE, LL_ENOMEM.
 */
LL_NODISCARD int ll_ledger_verify(struct ll_ledger *l,
                                  struct ll_verify_report *r,
                                  struct ll_errmsg *e) LL_NONNULL(1, 2);

/* The state-map key of a lot id: tagged_hash("lotledger/lot", id). */
void ll_lot_key(uint8_t out[static 32], const char *lot) LL_NONNULL(2);
/* The state-map key of an organisation id. */
void ll_org_key(uint8_t out[static 32], const char *org) LL_NONNULL(2);
/*
 * The per-lot log leaf of an event: RFC 6962 leaf hash of
 * u64 height || u32 index || event id.
 */
void ll_lot_leaf(uint8_t out[static 32], uint64_t height, uint32_t index,
                 const uint8_t id[static 32]);

#endif
