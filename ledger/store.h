/* SPDX-License-Identifier: MIT */
/*
 * The key-value store under the ledger: a thin adapter over LevelDB's C
 * API (store_leveldb.c is the only file that includes leveldb/c.h).
 * LevelDB's char **errptr convention stops here: every failure is logged
 * with LevelDB's text and returned as LL_ESTORE. The key layout the ledger
 * uses is in docs/store.md.
 *
 * Thread rules: a store may be read from several threads (LevelDB is
 * thread-safe); the ledger writes from one thread only.
 */
#ifndef LL_STORE_H
#define LL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"

struct ll_store;       /* an open database */
struct ll_store_snap;  /* a consistent read view */
struct ll_store_batch; /* writes applied atomically by ll_store_write */
struct ll_store_iter;  /* a forward scan over a key prefix */

/* LevelDB's write buffer (memtable) unless the caller asks otherwise. */
#define LL_STORE_WRITE_BUFFER_DEFAULT ((size_t)8 << 20)

/*
 * Open the database in directory dir, with a write buffer of write_buffer
 * bytes (0: LL_STORE_WRITE_BUFFER_DEFAULT). create: make a new database,
 * only in an absent or empty directory (never over anything); !create:
 * open an existing one, never creating (ll_store_probe's answers).
 * Returns: 0, LL_ENOTFOUND (!create, no store), LL_EEXIST (create, the
 * directory is not empty), LL_ECORRUPT (!create, LevelDB files without a
 * CURRENT file), LL_ESTORE (LevelDB refused, e.g. locked by another
 * process or corrupt: e has LevelDB's text), LL_EIO, LL_ENOMEM.
 * Out: *out only on success. Close with ll_store_close.
 */
LL_NODISCARD int ll_store_open(struct ll_store **out, const char *dir,
                               bool create, size_t write_buffer,
                               struct ll_errmsg *e) LL_NONNULL(1, 2);
/* Close the database. Accepts NULL. */
void ll_store_close(struct ll_store *s);

/*
 * What directory dir holds, without changing it (LevelDB is not opened).
 * Returns: 0 (a store: it has a CURRENT file), LL_ENOTFOUND (dir is absent
 * or empty), LL_ECORRUPT (dir holds files but no CURRENT: a damaged
 * store, never to be taken for an absent one), LL_EIO (dir cannot be
 * read); e names the problem.
 */
LL_NODISCARD int ll_store_probe(const char *dir, struct ll_errmsg *e)
    LL_NONNULL(1);

/*
 * Whether another process holds the store in dir open (LevelDB's lock on
 * dir/LOCK), asked without taking the lock or changing anything.
 * Returns: 0 (not in use, or no LOCK file), LL_ESTORE (in use; e names
 * the process). Never call it while this process has dir open: closing
 * any descriptor of LOCK drops the process's own lock on it (POSIX).
 */
LL_NODISCARD int ll_store_check_unlocked(const char *dir, struct ll_errmsg *e)
    LL_NONNULL(1);

/*
 * Make directory to (which must not exist) a copy of the store in dir that
 * LevelDB may open and change without changing dir: every regular file
 * but LOCK, LOG and LOG.old is hard-linked (copied where the file system
 * refuses a link). LevelDB never writes into a file it did not create
 * (old logs and manifests are only read, CURRENT is replaced by a rename),
 * so no file of dir changes. dir must not be written meanwhile.
 * Returns: 0, LL_EEXIST (to exists), LL_EIO (e names the file); a
 * failure removes what was made of to.
 */
LL_NODISCARD int ll_store_clone(const char *dir, const char *to,
                                struct ll_errmsg *e) LL_NONNULL(1, 2);

/*
 * Remove directory dir and the regular files in it (a clone made by
 * ll_store_clone; subdirectories are not descended). Absent is fine.
 * Returns: 0 or LL_EIO.
 */
int ll_store_remove_dir(const char *dir) LL_NONNULL(1);

/*
 * Read every key and value once with checksums verified (the block cache
 * is left alone), so damage in any table block is found.
 * Returns: 0, LL_ECORRUPT (e says after how many keys), LL_ENOMEM.
 */
LL_NODISCARD int ll_store_scan_check(struct ll_store *s, struct ll_errmsg *e)
    LL_NONNULL(1);

/*
 * Read key into out (appended). snap may be NULL for the latest state.
 * Returns: 0, LL_ENOTFOUND, LL_ESTORE, or ll_buf_append's errors.
 */
LL_NODISCARD int ll_store_get(struct ll_store *s,
                              const struct ll_store_snap *snap, const void *key,
                              size_t klen, struct ll_buf *out)
    LL_NONNULL(1, 3, 5);

/* As ll_store_get, with LevelDB's text of a read error in e. */
LL_NODISCARD int ll_store_read(struct ll_store *s,
                               const struct ll_store_snap *snap,
                               const void *key, size_t klen, struct ll_buf *out,
                               struct ll_errmsg *e) LL_NONNULL(1, 3, 5);

/*
 * True if key exists. A read error reads as false (and is logged): use it
 * only where a false answer is safe (a filter's "maybe"), never to decide
 * that something is absent; ll_store_get tells LL_ENOTFOUND from an error.
 */
bool ll_store_has(struct ll_store *s, const struct ll_store_snap *snap,
                  const void *key, size_t klen) LL_NONNULL(1, 3);

/* A read view of the state now. Returns 0 or LL_ENOMEM. */
LL_NODISCARD int ll_store_snap_open(struct ll_store *s,
                                    struct ll_store_snap **out)
    LL_NONNULL(1, 2);
/* Release a view. Accepts NULL. */
void ll_store_snap_close(struct ll_store *s, struct ll_store_snap *snap)
    LL_NONNULL(1);

/* A new, empty batch. Returns 0 or LL_ENOMEM. */
LL_NODISCARD int ll_store_batch_new(struct ll_store_batch **out) LL_NONNULL(1);
/* Free a batch. Accepts NULL. */
void ll_store_batch_free(struct ll_store_batch *b);
/* Queue a put / a delete (the bytes are copied). */
void ll_store_batch_put(struct ll_store_batch *b, const void *key, size_t klen,
                        const void *val, size_t vlen) LL_NONNULL(1, 2);
void ll_store_batch_del(struct ll_store_batch *b, const void *key, size_t klen)
    LL_NONNULL(1, 2);
/* Empty a batch for reuse. */
void ll_store_batch_clear(struct ll_store_batch *b) LL_NONNULL(1);

/*
 * Apply a batch atomically; sync = fsync before returning (a crash after
 * return never loses it). Returns 0 or LL_ESTORE.
 */
LL_NODISCARD int ll_store_write(struct ll_store *s, struct ll_store_batch *b,
                                bool sync) LL_NONNULL(1, 2);

/*
 * Scan the keys starting with prefix, in key order, from start (a full key
 * at or after which to begin; NULL = the prefix itself).
 * Returns: 0 or LL_ENOMEM. Out: *out only on success.
 */
LL_NODISCARD int
ll_store_iter_open(struct ll_store *s, const struct ll_store_snap *snap,
                   const void *prefix, size_t plen, const void *start,
                   size_t slen, struct ll_store_iter **out) LL_NONNULL(1, 3, 7);
/*
 * Step to the next entry. Returns true and points *k, *v into the
 * iterator's memory (valid until the next call), or false at the end of
 * the prefix (then ll_store_iter_error tells a failure from the end).
 */
bool ll_store_iter_next(struct ll_store_iter *it, const uint8_t **k,
                        size_t *klen, const uint8_t **v, size_t *vlen)
    LL_NONNULL(1, 2, 3, 4, 5);
/* 0, or LL_ESTORE if the scan stopped on an error. */
LL_NODISCARD int ll_store_iter_error(const struct ll_store_iter *it)
    LL_NONNULL(1);
/* Close an iterator. Accepts NULL. */
void ll_store_iter_close(struct ll_store_iter *it);

/* Bytes LevelDB reports for the key range [lo, hi) on disk. */
uint64_t ll_store_approx_size(struct ll_store *s, const void *lo, size_t lolen,
                              const void *hi, size_t hilen) LL_NONNULL(1);

/* Compact the whole key space (benchmarks, tools). */
void ll_store_compact(struct ll_store *s) LL_NONNULL(1);

#endif
