/* SPDX-License-Identifier: MIT */
/*
 * The committed record beside a ledger's tables (dir/COMMITTED): the height
 * and hash of the last block whose synced write returned. LevelDB drops
 * the tail of a truncated log, or a whole deleted log, without a word; the
 * record is how the ledger tells such a store, which opens at an earlier
 * tip, from one that was never further. It is written after the store's
 * synced write, so it never names a block the store may lack: made and
 * rewritten at open by a rename (a new file, fsynced), and after each
 * commit overwritten in place (the same 121 bytes at offset 0, one
 * sector) without a flush of its own. The record only needs to follow the
 * store, never to be durable before it: the block it names is on disk
 * already, so whatever version of the page reaches the disk, and when,
 * names a block the store holds. A flush per block would double the
 * block's fsync cost (about 4 ms here) to make the record fresher after a
 * power cut only, which loses no synced block.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "ledger.h"

#define PREFIX  "lotledger committed v1 height "
#define PATHCAP 4096

int ll_ledger__committed_parse(const char *text, size_t len, uint64_t *height,
                               uint8_t hash[32])
{
    static const char mid[] = " hash ";
    size_t pl = sizeof(PREFIX) - 1;
    size_t ml = sizeof(mid) - 1;
    if (len != LL_LEDGER__COMMITTED_LEN || memcmp(text, PREFIX, pl) != 0 ||
        memcmp(text + pl + 20, mid, ml) != 0 || text[len - 1] != '\n')
        return LL_EDECODE;
    uint64_t h = 0;
    for (size_t i = pl; i < pl + 20; i++) {
        if (text[i] < '0' || text[i] > '9')
            return LL_EDECODE;
        uint64_t d = (uint64_t)(text[i] - '0');
        if (h > (UINT64_MAX - d) / 10)
            return LL_EDECODE;
        h = h * 10 + d;
    }
    const char *hex = text + pl + 20 + ml;
    for (size_t j = 0; j < 64; j++)
        if (!((hex[j] >= '0' && hex[j] <= '9') ||
              (hex[j] >= 'a' && hex[j] <= 'f')))
            return LL_EDECODE; /* lower case only: one text per record */
    uint8_t hv[32];
    if (ll_hex_decode(hv, 32, hex, 64) != 0)
        return LL_EDECODE;
    *height = h;
    memcpy(hash, hv, 32);
    return 0;
}

int ll_ledger__committed_format(char out[LL_LEDGER__COMMITTED_LEN + 1],
                                uint64_t height, const uint8_t hash[32])
{
    char hex[65];
    if (ll_hex_encode(hex, sizeof(hex), hash, 32) != 0)
        return LL_EINVAL;
    int n =
        snprintf(out, LL_LEDGER__COMMITTED_LEN + 1, PREFIX "%020llu hash %s\n",
                 (unsigned long long)height, hex);
    return n == LL_LEDGER__COMMITTED_LEN ? 0 : LL_EINVAL;
}

int ll_ledger__committed_read(const char *dir, uint64_t *height,
                              uint8_t hash[32], struct ll_errmsg *e)
{
    char p[PATHCAP];
    int n = snprintf(p, sizeof(p), "%s/" LL_LEDGER_COMMITTED_FILE, dir);
    if (n < 0 || (size_t)n >= sizeof(p))
        return ll_errmsg_set(e, LL_EIO, "ledger: path too long");
    int fd = open(p, O_RDONLY);
    if (fd < 0 && errno == ENOENT)
        return LL_ENOTFOUND;
    if (fd < 0)
        return ll_errmsg_set(e, LL_EIO, "ledger: cannot read %s: %s", p,
                             strerror(errno)); /* NOLINT: one thread */
    char text[LL_LEDGER__COMMITTED_LEN + 1];
    size_t len = 0;
    int rc = 0;
    while (len < sizeof(text)) {
        ssize_t r = read(fd, text + len, sizeof(text) - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = LL_EIO;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    (void)close(fd);
    if (rc == 0 && (len > LL_LEDGER__COMMITTED_LEN ||
                    ll_ledger__committed_parse(text, len, height, hash) != 0))
        rc = LL_ECORRUPT;
    if (rc)
        return ll_errmsg_set(
            e, rc, "ledger: %s is damaged (not a committed record)", p);
    return 0;
}

/* Write all of buf to fd. Returns 0 or -1. */
static int write_all(int fd, const char *buf, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    return 0;
}

int ll_ledger__committed_write(const char *dir, uint64_t height,
                               const uint8_t hash[32])
{
    char p[PATHCAP];
    char tmp[PATHCAP];
    char text[LL_LEDGER__COMMITTED_LEN + 1];
    int n1 = snprintf(p, sizeof(p), "%s/" LL_LEDGER_COMMITTED_FILE, dir);
    int n2 =
        snprintf(tmp, sizeof(tmp), "%s/" LL_LEDGER_COMMITTED_FILE ".tmp", dir);
    if (n1 < 0 || (size_t)n1 >= sizeof(p) || n2 < 0 ||
        (size_t)n2 >= sizeof(tmp) ||
        ll_ledger__committed_format(text, height, hash) != 0)
        return LL_EIO;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return LL_EIO;
    int rc =
        write_all(fd, text, LL_LEDGER__COMMITTED_LEN) != 0 || fsync(fd) != 0;
    rc |= close(fd) != 0;
    if (rc == 0)
        rc = rename(tmp, p) != 0;
    if (rc) {
        (void)unlink(tmp);
        return LL_EIO;
    }
    /* The rename is durable once the directory is: until then a crash
     * leaves the old record, which is never above the store either. */
    int dfd = open(dir, O_RDONLY);
    if (dfd < 0)
        return LL_EIO;
    rc = fsync(dfd) != 0;
    (void)close(dfd);
    return rc ? LL_EIO : 0;
}

int ll_ledger__committed_open(const char *dir)
{
    char p[PATHCAP];
    int n = snprintf(p, sizeof(p), "%s/" LL_LEDGER_COMMITTED_FILE, dir);
    if (n < 0 || (size_t)n >= sizeof(p))
        return -1;
    return open(p, O_WRONLY | O_CLOEXEC);
}

int ll_ledger__committed_update(int fd, uint64_t height, const uint8_t hash[32])
{
    char text[LL_LEDGER__COMMITTED_LEN + 1];
    if (ll_ledger__committed_format(text, height, hash) != 0)
        return LL_EIO;
    ssize_t w;
    do
        w = pwrite(fd, text, LL_LEDGER__COMMITTED_LEN, 0);
    while (w < 0 && errno == EINTR);
    return w == LL_LEDGER__COMMITTED_LEN ? 0 : LL_EIO;
}
