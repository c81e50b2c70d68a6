/* SPDX-License-Identifier: MIT */
/*
 * crypto: the only module that includes secp256k1*.h and sodium.h.
 *
 * - SHA-256 and BIP-340 tagged hashes, one tag per purpose, so a hash or a
 *   signature made for one purpose can never be taken for another.
 * - BIP-340 Schnorr keys and signatures (libsecp256k1 schnorrsig).
 * - Constant-time compare, wipe and randomness.
 * - The keystore: a secret key sealed with Argon2id + XChaCha20-Poly1305
 *   (format in docs/keystore.md).
 *
 * Call ll_crypto_init() once before anything else here. After it, every
 * function is safe to call from any thread.
 */
#ifndef LL_CRYPTO_H
#define LL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"

/*
 * Initialise libsodium and the shared, randomised secp256k1 context.
 * Returns: 0, or LL_ECRYPTO if either library cannot start.
 * Idempotent; call from one thread before any other thread uses crypto/.
 */
LL_NODISCARD int ll_crypto_init(void);

/* ---- hashing ---------------------------------------------------------------
 */

/* One-shot SHA-256. */
void ll_sha256(uint8_t out[static 32], const void *msg, size_t len);

/* Which SHA-256 ll_sha256 uses: "x86 SHA extensions" or "libsodium". */
const char *ll_sha256_impl(void);

/* Incremental SHA-256 (and tagged-hash) state. Opaque contents. */
struct ll_sha256 {
    _Alignas(16) uint8_t opaque[128]; /* libsodium's or hash.c's state */
};

void ll_sha256_init(struct ll_sha256 *st) LL_NONNULL(1);
void ll_sha256_update(struct ll_sha256 *st, const void *msg, size_t len)
    LL_NONNULL(1);
void ll_sha256_final(struct ll_sha256 *st, uint8_t out[static 32])
    LL_NONNULL(1);

/*
 * The hash purposes. Each has a tag string "lotledger/<name>" and is hashed
 * BIP-340 style: SHA256(SHA256(tag) || SHA256(tag) || msg). The table of
 * tag strings is in crypto/hash.c and docs/crypto.md; never reuse a tag for a
 * second purpose, add a new one.
 */
enum ll_tag {
    LL_TAG_EVENT = 0,    /* "lotledger/event": event id = H(event bytes) */
    LL_TAG_HEADER,       /* "lotledger/header": block header hash */
    LL_TAG_VOTE,         /* "lotledger/vote": consensus vote */
    LL_TAG_MEMBER,       /* "lotledger/member": membership change */
    LL_TAG_KEYID,        /* "lotledger/keyid": key id of a public key */
    LL_TAG_SMT_LEAF,     /* "lotledger/smt/leaf": state-map leaf */
    LL_TAG_SMT_NODE,     /* "lotledger/smt/node": state-map inner node */
    LL_TAG_SMT_VALUE,    /* "lotledger/smt/value": hash of a map value */
    LL_TAG_LOT_KEY,      /* "lotledger/lot": state-map key of a lot id */
    LL_TAG_ORG_KEY,      /* "lotledger/org": state-map key of an org id */
    LL_TAG_VALSET,       /* "lotledger/valset": validator-set hash */
    LL_TAG_GENESIS,      /* "lotledger/genesis": genesis hash */
    LL_TAG_NOISE_STATIC, /* "lotledger/noise-static": org signs node key */
    LL_TAG_COUNT
};

/* The tag string for a purpose, e.g. "lotledger/event"; NULL if unknown. */
const char *ll_tag_name(enum ll_tag tag);

/* One-shot tagged hash. tag must be < LL_TAG_COUNT (programmer error). */
void ll_tagged_hash(uint8_t out[static 32], enum ll_tag tag, const void *msg,
                    size_t len);
/*
 * The tagged hash of two 32-byte halves (a || b), as ll_tagged_hash of
 * their 64 bytes; faster (the padding block's schedule is precomputed).
 */
void ll_tagged_hash64(uint8_t out[static 32], enum ll_tag tag,
                      const uint8_t a[static 32], const uint8_t b[static 32]);
/*
 * Start an incremental tagged hash (state already holds the 64-byte tag
 * prefix, from a precomputed midstate). Continue with ll_sha256_update and
 * finish with ll_sha256_final.
 */
void ll_tagged_init(struct ll_sha256 *st, enum ll_tag tag) LL_NONNULL(1);
/* Tagged hash with an arbitrary tag string (for test vectors and tools). */
void ll_tagged_hash_str(uint8_t out[static 32], const char *tag,
                        const void *msg, size_t len) LL_NONNULL(2);

/* ---- BIP-340 Schnorr
 * --------------------------------------------------------- */

#define LL_SECKEY_LEN 32
#define LL_PUBKEY_LEN 32 /* BIP-340 x-only public key */
#define LL_SIG_LEN    64
#define LL_KEYID_LEN  8

/*
 * A key pair. sk is secret: wipe the struct with ll_crypto_wipe when done
 * (ll_keypair_wipe does that).
 */
struct ll_keypair {
    uint8_t sk[LL_SECKEY_LEN]; /* secret scalar, big-endian */
    uint8_t pk[LL_PUBKEY_LEN]; /* x-only public key, BIP-340 */
};

/*
 * A parsed public key, ready for fast repeated verification (parsing costs a
 * square root, so callers that verify many signatures by one key parse once).
 */
struct ll_pubkey {
    uint8_t opaque[64]; /* secp256k1_xonly_pubkey */
};

/* Generate a fresh key pair from the OS CSPRNG. Returns 0 or LL_ECRYPTO. */
LL_NODISCARD int ll_keypair_generate(struct ll_keypair *out) LL_NONNULL(1);
/*
 * Derive a key pair from a 32-byte secret key.
 * Returns: 0, or LL_EBADKEY if sk is zero or not below the curve order.
 * Out: out is written only on success.
 */
LL_NODISCARD int ll_keypair_from_seckey(struct ll_keypair *out,
                                        const uint8_t sk[static 32])
    LL_NONNULL(1);
/* Wipe a key pair. Accepts NULL. */
void ll_keypair_wipe(struct ll_keypair *kp);

/*
 * Parse a 32-byte x-only public key.
 * Returns: 0, or LL_EBADKEY if it is not the x coordinate of a curve point.
 */
LL_NODISCARD int ll_pubkey_parse(struct ll_pubkey *out,
                                 const uint8_t pk[static 32]) LL_NONNULL(1);

/*
 * BIP-340 sign a 32-byte message (always a tagged hash in lotledger).
 * aux32 is the auxiliary randomness of BIP-340; NULL draws it from the OS
 * CSPRNG (recommended). Returns 0 or LL_ECRYPTO.
 */
LL_NODISCARD int ll_schnorr_sign(uint8_t sig[static 64],
                                 const struct ll_keypair *kp,
                                 const uint8_t msg32[static 32],
                                 const uint8_t *aux32) LL_NONNULL(2);
/*
 * BIP-340 verify a signature over a 32-byte message.
 * Returns: 0 if valid, LL_EBADKEY if pk is not a valid key, LL_EBADSIG if the
 * signature does not verify.
 */
LL_NODISCARD int ll_schnorr_verify(const uint8_t sig[static 64],
                                   const uint8_t msg32[static 32],
                                   const uint8_t pk[static 32]);
/* As ll_schnorr_verify with a pre-parsed key. Returns 0 or LL_EBADSIG. */
LL_NODISCARD int ll_schnorr_verify_parsed(const uint8_t sig[static 64],
                                          const uint8_t msg32[static 32],
                                          const struct ll_pubkey *pk)
    LL_NONNULL(3);
/*
 * BIP-340 over a message of any length (for the official test vectors, some
 * of which are not 32 bytes). Returns 0, LL_EBADKEY or LL_EBADSIG.
 */
LL_NODISCARD int ll_schnorr_verify_msg(const uint8_t sig[static 64],
                                       const uint8_t *msg, size_t msglen,
                                       const uint8_t pk[static 32]);
/* Sign a message of any length (BIP-340 test vectors). 0 or LL_ECRYPTO. */
LL_NODISCARD int ll_schnorr_sign_msg(uint8_t sig[static 64],
                                     const struct ll_keypair *kp,
                                     const uint8_t *msg, size_t msglen,
                                     const uint8_t *aux32) LL_NONNULL(2);

/*
 * Key id: the first 8 bytes of the tagged hash (LL_TAG_KEYID) of the x-only
 * public key. Short enough to print, used to name which of an org's keys
 * signed; verifiers always check the signature against the full key.
 */
void ll_keyid(uint8_t out[static LL_KEYID_LEN], const uint8_t pk[static 32]);

/* ---- constant time, wipe, random
 * --------------------------------------------- */

/* Constant-time equality of two n-byte buffers. Returns true if equal. */
bool ll_crypto_memeq(const void *a, const void *b, size_t n);
/* Wipe n bytes so the compiler cannot elide it. Accepts NULL when n == 0. */
void ll_crypto_wipe(void *p, size_t n);
/* Fill with CSPRNG bytes. */
void ll_crypto_random(void *p, size_t n);
/* Uniform random integer in [0, upper) (upper > 0). */
uint32_t ll_crypto_random_uniform(uint32_t upper);

/* ---- keystore
 * ----------------------------------------------------------------- */

/*
 * Keystore file: a secret key sealed under a passphrase. Fixed-length binary
 * format, specified in docs/keystore.md:
 *
 *   magic "LLKEYST1" (8) | version u8 = 1 | kdf u8 = 1 (Argon2id v1.3) |
 *   reserved u16 = 0 | opslimit u32 BE | memlimit u32 BE (KiB) |
 *   salt (16) | nonce (24) | public key (32) |
 *   ciphertext of the secret key (32) | Poly1305 tag (16)
 *
 * The 92-byte header up to and including the public key is the AEAD's
 * associated data, so every byte of the file is authenticated.
 */
#define LL_KEYSTORE_LEN             140
#define LL_KEYSTORE_OPS_MIN         1u
#define LL_KEYSTORE_OPS_MAX         16u
#define LL_KEYSTORE_MEM_MIN_KIB     8u              /* 8 KiB (tests only) */
#define LL_KEYSTORE_MEM_MAX_KIB     (1024u * 1024u) /* 1 GiB */
#define LL_KEYSTORE_OPS_DEFAULT     3u
#define LL_KEYSTORE_MEM_DEFAULT_KIB (64u * 1024u) /* 64 MiB */

/* Argon2id cost parameters. */
struct ll_keystore_params {
    uint32_t opslimit; /* passes, LL_KEYSTORE_OPS_MIN..MAX */
    uint32_t mem_kib;  /* memory in KiB, LL_KEYSTORE_MEM_MIN_KIB..MAX_KIB */
};

/* What can be read from a keystore without the passphrase. */
struct ll_keystore_info {
    struct ll_keystore_params params;
    uint8_t pk[LL_PUBKEY_LEN];
};

/*
 * Seal a key pair under a passphrase into out (exactly LL_KEYSTORE_LEN bytes).
 * Returns: 0, LL_EINVAL (params out of range), LL_ENOMEM (Argon2 memory),
 * LL_ECRYPTO.
 */
LL_NODISCARD int ll_keystore_seal(uint8_t out[static LL_KEYSTORE_LEN],
                                  const struct ll_keypair *kp, const char *pass,
                                  size_t passlen,
                                  const struct ll_keystore_params *params)
    LL_NONNULL(2, 3, 5);
/*
 * Parse and check the clear-text header (no passphrase needed).
 * Returns: 0, LL_ETRUNC (shorter than the format), LL_ETRAILING (longer),
 * LL_EDECODE (bad magic or reserved bits), LL_EVERSION, LL_ERANGE (cost
 * parameters out of range), LL_EBADKEY (public key not on the curve).
 */
LL_NODISCARD int ll_keystore_inspect(struct ll_keystore_info *out,
                                     const uint8_t *buf, size_t len)
    LL_NONNULL(1);
/*
 * Open a keystore: check the header, derive the key, decrypt and check that
 * the secret key matches the stored public key.
 * Returns: 0, any ll_keystore_inspect error, LL_EAUTH (wrong passphrase or
 * tampered file), LL_ENOMEM, LL_ECRYPTO.
 * Out: kp is written only on success; no partial key is ever left in it.
 */
LL_NODISCARD int ll_keystore_open(struct ll_keypair *kp, const uint8_t *buf,
                                  size_t len, const char *pass, size_t passlen)
    LL_NONNULL(1, 4);
/*
 * Write a sealed keystore to path: created with mode 0600, refused if the
 * file exists (LL_EEXIST), written to a temporary file, fsynced and renamed.
 * Returns: 0, LL_EEXIST, LL_EIO, or a ll_keystore_seal error.
 */
LL_NODISCARD int ll_keystore_write_file(const char *path,
                                        const struct ll_keypair *kp,
                                        const char *pass, size_t passlen,
                                        const struct ll_keystore_params *params)
    LL_NONNULL(1, 2, 3, 5);
/*
 * Read and open a keystore file. Returns: 0, LL_ENOTFOUND, LL_EIO,
 * LL_ETRAILING (file longer than the format), or a ll_keystore_open error.
 */
LL_NODISCARD int ll_keystore_read_file(struct ll_keypair *kp, const char *path,
                                       const char *pass, size_t passlen)
    LL_NONNULL(1, 2, 3);

#endif
