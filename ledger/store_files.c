/* SPDX-License-Identifier: MIT */
/*
 * The store's directory as files, without LevelDB: what a directory holds
 * (a store, nothing, or the remains of a damaged store), a clone of it that
 * LevelDB may open and rewrite while the original stays byte for byte as it
 * was, and removing such a clone. The ledger opens a clone first and runs
 * its checks there, so a store it refuses is left exactly as it was found.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

#define PATH_CAP 4096

/* Files of LevelDB's that belong to one open process, not to the data. */
static bool is_private(const char *name)
{
    return strcmp(name, "LOCK") == 0 || strcmp(name, "LOG") == 0 ||
           strcmp(name, "LOG.old") == 0;
}

static int join(char out[PATH_CAP], const char *dir, const char *name)
{
    int n = snprintf(out, PATH_CAP, "%s/%s", dir, name);
    return n < 0 || n >= PATH_CAP ? LL_ETOOBIG : 0;
}

int ll_store_probe(const char *dir, struct ll_errmsg *e)
{
    char cur[PATH_CAP];
    struct stat st;
    if (join(cur, dir, "CURRENT") != 0)
        return ll_errmsg_set(e, LL_EIO, "store: path too long: %.64s", dir);
    if (stat(cur, &st) == 0)
        return 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT)
            return ll_errmsg_set(e, LL_ENOTFOUND, "no ledger in %s", dir);
        return ll_errmsg_set(e, LL_EIO, "store: cannot read %s: %s", dir,
                             strerror(errno)); /* NOLINT: one thread */
    }
    size_t files = 0;
    const struct dirent *de;
    while ((de = readdir(d)) != NULL) /* NOLINT(concurrency-mt-unsafe) */
        files += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    (void)closedir(d);
    if (files == 0)
        return ll_errmsg_set(e, LL_ENOTFOUND, "no ledger in %s", dir);
    return ll_errmsg_set(e, LL_ECORRUPT,
                         "store: %s holds %zu files but no CURRENT file: "
                         "the store is damaged, not absent "
                         "(docs/operations.md, Damaged storage)",
                         dir, files);
}

int ll_store_check_unlocked(const char *dir, struct ll_errmsg *e)
{
    char p[PATH_CAP];
    if (join(p, dir, "LOCK") != 0)
        return 0;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct flock fl;
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    int r = fcntl(fd, F_GETLK, &fl);
    (void)close(fd);
    if (r == 0 && fl.l_type != F_UNLCK)
        return ll_errmsg_set(e, LL_ESTORE,
                             "store: %s is in use by process %ld (a running "
                             "lotledgerd?)",
                             dir, (long)fl.l_pid);
    return 0;
}

/* Copy file from to a new file to (when a hard link is refused). */
static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY);
    if (in < 0)
        return LL_EIO;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
    int rc = out < 0 ? LL_EIO : 0;
    char buf[65536];
    while (rc == 0) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? LL_EIO : 0;
            break;
        }
        for (ssize_t off = 0; off < n && rc == 0;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                rc = LL_EIO;
            else
                off += w;
        }
    }
    if (out >= 0 && close(out) != 0)
        rc = LL_EIO;
    (void)close(in);
    return rc;
}

int ll_store_clone(const char *dir, const char *to, struct ll_errmsg *e)
{
    if (mkdir(to, 0700) != 0)
        return ll_errmsg_set(e, errno == EEXIST ? LL_EEXIST : LL_EIO,
                             "store: cannot make %s: %s", to,
                             strerror(errno)); /* NOLINT: one thread */
    DIR *d = opendir(dir);
    if (d == NULL) {
        int err = errno;
        (void)rmdir(to);
        return ll_errmsg_set(e, LL_EIO, "store: cannot read %s: %s", dir,
                             strerror(err)); /* NOLINT: one thread */
    }
    int rc = 0;
    const struct dirent *de;
    while (rc == 0 &&
           (de = readdir(d)) != NULL) { /* NOLINT(concurrency-mt-unsafe) */
        char src[PATH_CAP];
        char dst[PATH_CAP];
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            is_private(de->d_name))
            continue;
        if (join(src, dir, de->d_name) != 0 || join(dst, to, de->d_name) != 0) {
            rc = ll_errmsg_set(e, LL_EIO, "store: path too long in %.64s", dir);
            break;
        }
        if (lstat(src, &st) != 0) {
            rc = ll_errmsg_set(e, LL_EIO,
                               "store: %s changed while it was read "
                               "(is a node running on it?)",
                               dir);
            break;
        }
        if (!S_ISREG(st.st_mode))
            continue;
        if (link(src, dst) == 0)
            continue;
        if (errno == ENOENT)
            rc = ll_errmsg_set(e, LL_EIO,
                               "store: %s changed while it was read "
                               "(is a node running on it?)",
                               dir);
        else if (copy_file(src, dst) != 0)
            rc = ll_errmsg_set(e, LL_EIO, "store: cannot copy %s to %s", src,
                               to);
    }
    (void)closedir(d);
    if (rc && ll_store_remove_dir(to) != 0)
        ll_log(LL_LOG_WARN, "component=store event=cleanup_failed dir=%s", to);
    return rc;
}

int ll_store_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? 0 : LL_EIO;
    int rc = 0;
    const struct dirent *de;
    while ((de = readdir(d)) != NULL) { /* NOLINT(concurrency-mt-unsafe) */
        char p[PATH_CAP];
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (join(p, dir, de->d_name) != 0 || lstat(p, &st) != 0 ||
            S_ISDIR(st.st_mode) || unlink(p) != 0)
            rc = LL_EIO;
    }
    (void)closedir(d);
    if (rmdir(dir) != 0)
        rc = LL_EIO;
    return rc;
}
