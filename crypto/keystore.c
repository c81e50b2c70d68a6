/* SPDX-License-Identifier: MIT */
/*
 * The keystore: one BIP-340 secret key sealed under a passphrase with
 * Argon2id (key derivation) and XChaCha20-Poly1305 (authenticated
 * encryption), in a fixed 140-byte layout (docs/keystore.md). The whole
 * clear-text header is associated data, so no byte of the file can change
 * without the open failing. Every derived key and decrypted secret lives in
 * a fixed stack buffer that is wiped on every path; the caller's key pair is
 * written only after every check has passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MAGIC        "LLKEYST1"
#define MAGIC_LEN    8
#define VERSION      1
#define KDF_ARGON2ID 1
#define OFF_VERSION  8
#define OFF_KDF      9
#define OFF_RESERVED 10
#define OFF_OPS      12
#define OFF_MEM      16
#define OFF_SALT     20
#define OFF_NONCE    36
#define OFF_PK       60
#define OFF_CT       92
#define OFF_TAG      124
#define HEADER_LEN   OFF_CT
#define SALT_LEN     16
#define NONCE_LEN    24
#define TAG_LEN      16
#define AEAD_KEY_LEN 32

_Static_assert(OFF_TAG + TAG_LEN == LL_KEYSTORE_LEN, "keystore layout");
_Static_assert(SALT_LEN == crypto_pwhash_SALTBYTES, "Argon2 salt size");
_Static_assert(NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
               "XChaCha20 nonce size");
_Static_assert(TAG_LEN == crypto_aead_xchacha20poly1305_ietf_ABYTES,
               "Poly1305 tag size");
_Static_assert(AEAD_KEY_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
               "XChaCha20 key size");

static bool params_ok(const struct ll_keystore_params *p)
{
    return p->opslimit >= LL_KEYSTORE_OPS_MIN &&
           p->opslimit <= LL_KEYSTORE_OPS_MAX &&
           p->mem_kib >= LL_KEYSTORE_MEM_MIN_KIB &&
           p->mem_kib <= LL_KEYSTORE_MEM_MAX_KIB;
}

/* Argon2id(pass, salt) -> 32-byte AEAD key. */
static int derive_key(uint8_t key[static AEAD_KEY_LEN], const char *pass,
                      size_t passlen, const uint8_t salt[static SALT_LEN],
                      const struct ll_keystore_params *p)
{
    errno = 0;
    if (crypto_pwhash(key, AEAD_KEY_LEN, pass, passlen, salt, p->opslimit,
                      (size_t)p->mem_kib * 1024u,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        ll_crypto_wipe(key, AEAD_KEY_LEN);
        return errno == ENOMEM ? LL_ENOMEM : LL_ECRYPTO;
    }
    return 0;
}

int ll_keystore_seal(uint8_t out[static LL_KEYSTORE_LEN],
                     const struct ll_keypair *kp, const char *pass,
                     size_t passlen, const struct ll_keystore_params *params)
{
    uint8_t buf[LL_KEYSTORE_LEN];
    uint8_t key[AEAD_KEY_LEN];
    struct ll_keypair check;
    int rc;
    if (!params_ok(params))
        return LL_EINVAL;
    /* Refuse to seal a pair whose public key does not match. */
    rc = ll_keypair_from_seckey(&check, kp->sk);
    if (rc)
        goto out;
    if (!ll_crypto_memeq(check.pk, kp->pk, LL_PUBKEY_LEN)) {
        rc = LL_EBADKEY;
        goto out;
    }
    memset(buf, 0, sizeof(buf));
    memcpy(buf, MAGIC, MAGIC_LEN);
    buf[OFF_VERSION] = VERSION;
    buf[OFF_KDF] = KDF_ARGON2ID;
    ll_store_be32(buf + OFF_OPS, params->opslimit);
    ll_store_be32(buf + OFF_MEM, params->mem_kib);
    randombytes_buf(buf + OFF_SALT, SALT_LEN);
    randombytes_buf(buf + OFF_NONCE, NONCE_LEN);
    memcpy(buf + OFF_PK, kp->pk, LL_PUBKEY_LEN);
    rc = derive_key(key, pass, passlen, buf + OFF_SALT, params);
    if (rc)
        goto out;
    if (crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
            buf + OFF_CT, buf + OFF_TAG, NULL, kp->sk, LL_SECKEY_LEN, buf,
            HEADER_LEN, NULL, buf + OFF_NONCE, key) != 0) {
        rc = LL_ECRYPTO;
        goto out;
    }
    memcpy(out, buf, LL_KEYSTORE_LEN);
out:
    ll_keypair_wipe(&check);
    ll_crypto_wipe(key, sizeof(key));
    ll_crypto_wipe(buf, sizeof(buf));
    return rc;
}

int ll_keystore_inspect(struct ll_keystore_info *out, const uint8_t *buf,
                        size_t len)
{
    struct ll_keystore_info info;
    struct ll_pubkey parsed;
    if (buf == NULL && len > 0)
        return LL_EINVAL;
    if (len < LL_KEYSTORE_LEN)
        return LL_ETRUNC;
    if (len > LL_KEYSTORE_LEN)
        return LL_ETRAILING;
    if (memcmp(buf, MAGIC, MAGIC_LEN) != 0)
        return LL_EDECODE;
    if (buf[OFF_VERSION] != VERSION || buf[OFF_KDF] != KDF_ARGON2ID)
        return LL_EVERSION;
    if (buf[OFF_RESERVED] != 0 || buf[OFF_RESERVED + 1] != 0)
        return LL_EDECODE;
    info.params.opslimit = ll_load_be32(buf + OFF_OPS);
    info.params.mem_kib = ll_load_be32(buf + OFF_MEM);
    if (!params_ok(&info.params))
        return LL_ERANGE;
    memcpy(info.pk, buf + OFF_PK, LL_PUBKEY_LEN);
    if (ll_pubkey_parse(&parsed, info.pk) != 0)
        return LL_EBADKEY;
    *out = info;
    return 0;
}

int ll_keystore_open(struct ll_keypair *kp, const uint8_t *buf, size_t len,
                     const char *pass, size_t passlen)
{
    struct ll_keystore_info info;
    uint8_t key[AEAD_KEY_LEN];
    uint8_t sk[LL_SECKEY_LEN];
    struct ll_keypair got;
    int rc = ll_keystore_inspect(&info, buf, len);
    if (rc)
        return rc;
    memset(&got, 0, sizeof(got));
    rc = derive_key(key, pass, passlen, buf + OFF_SALT, &info.params);
    if (rc)
        goto out;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
            sk, NULL, buf + OFF_CT, LL_SECKEY_LEN, buf + OFF_TAG, buf,
            HEADER_LEN, buf + OFF_NONCE, key) != 0) {
        rc = LL_EAUTH;
        goto out;
    }
    /*
     * The header (with the public key) is authenticated, so a mismatch here
     * means the file was sealed wrongly, not tampered with; refuse it all
     * the same rather than hand out a key pair that signs for someone else.
     */
    rc = ll_keypair_from_seckey(&got, sk);
    if (rc)
        goto out;
    if (!ll_crypto_memeq(got.pk, info.pk, LL_PUBKEY_LEN)) {
        rc = LL_EAUTH;
        goto out;
    }
    memcpy(kp, &got, sizeof(got));
out:
    ll_keypair_wipe(&got);
    ll_crypto_wipe(sk, sizeof(sk));
    ll_crypto_wipe(key, sizeof(key));
    return rc;
}

/* write(2) all of buf, retrying on EINTR and short writes. */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return LL_EIO;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* fsync the directory holding path, so a new name survives a crash. */
static int sync_parent_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        dir[0] = '.';
        dir[1] = '\0';
    } else {
        size_t n = (size_t)(slash - path);
        if (n == 0)
            n = 1; /* the root directory */
        if (n >= sizeof(dir))
            return LL_EINVAL;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return LL_EIO;
    int rc = fsync(fd) == 0 ? 0 : LL_EIO;
    (void)close(fd);
    return rc;
}

int ll_keystore_write_file(const char *path, const struct ll_keypair *kp,
                           const char *pass, size_t passlen,
                           const struct ll_keystore_params *params)
{
    uint8_t sealed[LL_KEYSTORE_LEN];
    char tmp[4096];
    int fd;
    int rc;
    struct stat st;
    if (lstat(path, &st) == 0)
        return LL_EEXIST;
    int n = snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return LL_EINVAL;
    rc = ll_keystore_seal(sealed, kp, pass, passlen, params);
    if (rc)
        return rc;
    /* mkstemp creates the file with mode 0600 and a name nobody holds. */
    fd = mkstemp(tmp);
    if (fd < 0) {
        rc = LL_EIO;
        goto out;
    }
    rc = write_all(fd, sealed, sizeof(sealed));
    if (rc == 0 && fsync(fd) != 0)
        rc = LL_EIO;
    if (close(fd) != 0 && rc == 0)
        rc = LL_EIO;
    if (rc)
        goto out_unlink;
    /* link(2) never replaces an existing file, unlike rename(2). */
    if (link(tmp, path) != 0) {
        rc = errno == EEXIST ? LL_EEXIST : LL_EIO;
        goto out_unlink;
    }
    rc = sync_parent_dir(path);
out_unlink:
    (void)unlink(tmp);
out:
    ll_crypto_wipe(sealed, sizeof(sealed));
    return rc;
}

int ll_keystore_read_file(struct ll_keypair *kp, const char *path,
                          const char *pass, size_t passlen)
{
    /* One byte more than the format, to tell "too long" from "exact". */
    uint8_t buf[LL_KEYSTORE_LEN + 1];
    size_t len = 0;
    int rc = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? LL_ENOTFOUND : LL_EIO;
    while (len < sizeof(buf)) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = LL_EIO;
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    (void)close(fd);
    if (rc == 0)
        rc = ll_keystore_open(kp, buf, len, pass, passlen);
    ll_crypto_wipe(buf, sizeof(buf));
    return rc;
}
