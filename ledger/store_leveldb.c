/* SPDX-License-Identifier: MIT */
/*
 * The LevelDB adapter, and the only file that includes leveldb/c.h. Every
 * LevelDB error string is logged here and freed with leveldb_free; callers
 * see LL_ESTORE. Reads verify block checksums; the database runs with
 * paranoid checks, so corruption is reported rather than served.
 */
#include <leveldb/c.h>
#include <stdio.h>
#include <string.h>

#include "store.h"

struct ll_store {
    leveldb_t *db;                  /* the database */
    leveldb_options_t *opts;        /* open options, kept for the db's life */
    leveldb_cache_t *cache;         /* block cache */
    leveldb_filterpolicy_t *filter; /* bloom filter policy */
    leveldb_readoptions_t *ropts;   /* reads of the latest state */
    leveldb_writeoptions_t *wsync;  /* synced writes */
    leveldb_writeoptions_t *wasync; /* unsynced writes */
};

struct ll_store_snap {
    const leveldb_snapshot_t *snap; /* LevelDB snapshot */
    leveldb_readoptions_t *ropts;   /* read options bound to it */
};

struct ll_store_batch {
    leveldb_writebatch_t *wb; /* the LevelDB batch */
};

struct ll_store_iter {
    leveldb_iterator_t *it; /* the LevelDB iterator */
    uint8_t prefix[64];     /* the prefix scanned */
    size_t plen;            /* its length */
    bool started;           /* first next() done */
    bool failed;            /* stopped on an error */
};

/* Log LevelDB's error text and free it. Returns LL_ESTORE. */
static int store_error(const char *what, char *err, struct ll_errmsg *e)
{
    ll_log(LL_LOG_ERROR, "component=store op=%s error=\"%s\"", what,
           err ? err : "?");
    (void)ll_errmsg_set(e, LL_ESTORE, "store: %s: %s", what, err ? err : "?");
    leveldb_free(err);
    return LL_ESTORE;
}

int ll_store_open(struct ll_store **out, const char *dir, bool create,
                  size_t write_buffer, struct ll_errmsg *e)
{
    char *err = NULL;
    /* LevelDB's create_if_missing starts a new database wherever CURRENT is
     * missing and then deletes the old tables it does not know: a new
     * store is made only where there is nothing, and an existing one is
     * never opened with create. */
    int rc = ll_store_probe(dir, e);
    if (create && rc == 0)
        return ll_errmsg_set(e, LL_EEXIST, "store: %s already holds a store",
                             dir);
    if (create && rc != LL_ENOTFOUND)
        return rc == LL_EIO ? rc
                            : ll_errmsg_set(e, LL_EEXIST,
                                            "store: %s is not empty: a new "
                                            "store is made only in an empty "
                                            "or absent directory",
                                            dir);
    if (!create && rc != 0)
        return rc;
    struct ll_store *s = ll_calloc(1, sizeof(*s));
    if (s == NULL)
        return LL_ENOMEM;
    s->opts = leveldb_options_create();
    s->cache = leveldb_cache_create_lru((size_t)64 << 20);
    s->filter = leveldb_filterpolicy_create_bloom(10);
    s->ropts = leveldb_readoptions_create();
    s->wsync = leveldb_writeoptions_create();
    s->wasync = leveldb_writeoptions_create();
    leveldb_options_set_create_if_missing(s->opts, create ? 1 : 0);
    leveldb_options_set_error_if_exists(s->opts, create ? 1 : 0);
    leveldb_options_set_paranoid_checks(s->opts, 1);
    leveldb_options_set_cache(s->opts, s->cache);
    leveldb_options_set_filter_policy(s->opts, s->filter);
    /* 8 MiB by default: the block builder's batch goes into the memtable
     * on the writing thread, and inserts into a smaller skiplist cost
     * less (about 2 us per event less than 64 MiB in bench_ledger), at
     * the price of more, smaller flushes and more rewriting of level 1 by
     * the compaction thread. The node, whose compaction thread shares the
     * cores with its work, asks for more (docs/store.md). */
    leveldb_options_set_write_buffer_size(
        s->opts, write_buffer ? write_buffer : LL_STORE_WRITE_BUFFER_DEFAULT);
    leveldb_options_set_max_open_files(s->opts, 512);
    /* No compression: most bytes are hashes, signatures and keys, which
     * snappy cannot shrink, and compressing every table the compaction
     * thread writes cost the node about 6 us of CPU per event
     * (bench_node). */
    leveldb_options_set_compression(s->opts, leveldb_no_compression);
    leveldb_readoptions_set_verify_checksums(s->ropts, 1);
    leveldb_writeoptions_set_sync(s->wsync, 1);
    leveldb_writeoptions_set_sync(s->wasync, 0);
    s->db = leveldb_open(s->opts, dir, &err);
    if (s->db == NULL) {
        rc = store_error("open", err, e);
        ll_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void ll_store_close(struct ll_store *s)
{
    if (s == NULL)
        return;
    if (s->db != NULL)
        leveldb_close(s->db);
    if (s->opts != NULL)
        leveldb_options_destroy(s->opts);
    if (s->filter != NULL)
        leveldb_filterpolicy_destroy(s->filter);
    if (s->cache != NULL)
        leveldb_cache_destroy(s->cache);
    if (s->ropts != NULL)
        leveldb_readoptions_destroy(s->ropts);
    if (s->wsync != NULL)
        leveldb_writeoptions_destroy(s->wsync);
    if (s->wasync != NULL)
        leveldb_writeoptions_destroy(s->wasync);
    ll_free(s);
}

static const leveldb_readoptions_t *ropts_of(const struct ll_store *s,
                                             const struct ll_store_snap *snap)
{
    return snap != NULL ? snap->ropts : s->ropts;
}

int ll_store_get(struct ll_store *s, const struct ll_store_snap *snap,
                 const void *key, size_t klen, struct ll_buf *out)
{
    return ll_store_read(s, snap, key, klen, out, NULL);
}

int ll_store_read(struct ll_store *s, const struct ll_store_snap *snap,
                  const void *key, size_t klen, struct ll_buf *out,
                  struct ll_errmsg *e)
{
    char *err = NULL;
    size_t vlen = 0;
    char *v = leveldb_get(s->db, ropts_of(s, snap), key, klen, &vlen, &err);
    if (err != NULL)
        return store_error("get", err, e);
    if (v == NULL)
        return LL_ENOTFOUND;
    int rc = ll_buf_append(out, v, vlen);
    leveldb_free(v);
    return rc;
}

bool ll_store_has(struct ll_store *s, const struct ll_store_snap *snap,
                  const void *key, size_t klen)
{
    char *err = NULL;
    size_t vlen = 0;
    char *v = leveldb_get(s->db, ropts_of(s, snap), key, klen, &vlen, &err);
    if (err != NULL) {
        (void)store_error("get", err, NULL);
        return false;
    }
    leveldb_free(v);
    return v != NULL;
}

int ll_store_snap_open(struct ll_store *s, struct ll_store_snap **out)
{
    struct ll_store_snap *sn = ll_calloc(1, sizeof(*sn));
    if (sn == NULL)
        return LL_ENOMEM;
    sn->snap = leveldb_create_snapshot(s->db);
    sn->ropts = leveldb_readoptions_create();
    leveldb_readoptions_set_verify_checksums(sn->ropts, 1);
    leveldb_readoptions_set_snapshot(sn->ropts, sn->snap);
    *out = sn;
    return 0;
}

void ll_store_snap_close(struct ll_store *s, struct ll_store_snap *snap)
{
    if (snap == NULL)
        return;
    leveldb_readoptions_destroy(snap->ropts);
    leveldb_release_snapshot(s->db, snap->snap);
    ll_free(snap);
}

int ll_store_batch_new(struct ll_store_batch **out)
{
    struct ll_store_batch *b = ll_calloc(1, sizeof(*b));
    if (b == NULL)
        return LL_ENOMEM;
    b->wb = leveldb_writebatch_create();
    *out = b;
    return 0;
}

void ll_store_batch_free(struct ll_store_batch *b)
{
    if (b == NULL)
        return;
    leveldb_writebatch_destroy(b->wb);
    ll_free(b);
}

void ll_store_batch_put(struct ll_store_batch *b, const void *key, size_t klen,
                        const void *val, size_t vlen)
{
    leveldb_writebatch_put(b->wb, key, klen, val != NULL ? val : "", vlen);
}

void ll_store_batch_del(struct ll_store_batch *b, const void *key, size_t klen)
{
    leveldb_writebatch_delete(b->wb, key, klen);
}

void ll_store_batch_clear(struct ll_store_batch *b)
{
    leveldb_writebatch_clear(b->wb);
}

int ll_store_write(struct ll_store *s, struct ll_store_batch *b, bool sync)
{
    char *err = NULL;
    leveldb_write(s->db, sync ? s->wsync : s->wasync, b->wb, &err);
    if (err != NULL)
        return store_error("write", err, NULL);
    return 0;
}

int ll_store_iter_open(struct ll_store *s, const struct ll_store_snap *snap,
                       const void *prefix, size_t plen, const void *start,
                       size_t slen, struct ll_store_iter **out)
{
    struct ll_store_iter *it = ll_calloc(1, sizeof(*it));
    if (it == NULL)
        return LL_ENOMEM;
    if (plen > sizeof(it->prefix)) {
        ll_free(it);
        return LL_EINVAL;
    }
    memcpy(it->prefix, prefix, plen);
    it->plen = plen;
    it->it = leveldb_create_iterator(s->db, ropts_of(s, snap));
    if (start != NULL)
        leveldb_iter_seek(it->it, start, slen);
    else
        leveldb_iter_seek(it->it, prefix, plen);
    *out = it;
    return 0;
}

bool ll_store_iter_next(struct ll_store_iter *it, const uint8_t **k,
                        size_t *klen, const uint8_t **v, size_t *vlen)
{
    if (it->started)
        leveldb_iter_next(it->it);
    it->started = true;
    if (!leveldb_iter_valid(it->it)) {
        char *err = NULL;
        leveldb_iter_get_error(it->it, &err);
        if (err != NULL) {
            it->failed = true;
            (void)store_error("iterate", err, NULL);
        }
        return false;
    }
    size_t kl = 0;
    size_t vl = 0;
    const char *kp = leveldb_iter_key(it->it, &kl);
    if (kl < it->plen || memcmp(kp, it->prefix, it->plen) != 0)
        return false;
    const char *vp = leveldb_iter_value(it->it, &vl);
    *k = (const uint8_t *)kp;
    *klen = kl;
    *v = (const uint8_t *)vp;
    *vlen = vl;
    return true;
}

int ll_store_iter_error(const struct ll_store_iter *it)
{
    return it->failed ? LL_ESTORE : 0;
}

void ll_store_iter_close(struct ll_store_iter *it)
{
    if (it == NULL)
        return;
    leveldb_iter_destroy(it->it);
    ll_free(it);
}

uint64_t ll_store_approx_size(struct ll_store *s, const void *lo, size_t lolen,
                              const void *hi, size_t hilen)
{
    const char *starts[1] = {lo};
    const char *limits[1] = {hi};
    size_t slens[1] = {lolen};
    size_t llens[1] = {hilen};
    uint64_t sizes[1] = {0};
    leveldb_approximate_sizes(s->db, 1, starts, slens, limits, llens, sizes);
    return sizes[0];
}

int ll_store_scan_check(struct ll_store *s, struct ll_errmsg *e)
{
    leveldb_readoptions_t *ro = leveldb_readoptions_create();
    leveldb_readoptions_set_verify_checksums(ro, 1);
    leveldb_readoptions_set_fill_cache(ro, 0);
    leveldb_iterator_t *it = leveldb_create_iterator(s->db, ro);
    uint64_t n = 0;
    for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it);
         leveldb_iter_next(it))
        n++;
    char *err = NULL;
    leveldb_iter_get_error(it, &err);
    leveldb_iter_destroy(it);
    leveldb_readoptions_destroy(ro);
    if (err == NULL)
        return 0;
    ll_log(LL_LOG_ERROR, "component=store op=scan keys=%llu error=\"%s\"",
           (unsigned long long)n, err);
    (void)ll_errmsg_set(e, LL_ECORRUPT,
                        "store: a damaged table after %llu keys: %.120s",
                        (unsigned long long)n, err);
    leveldb_free(err);
    return LL_ECORRUPT;
}

void ll_store_compact(struct ll_store *s)
{
    leveldb_compact_range(s->db, NULL, 0, NULL, 0);
}
