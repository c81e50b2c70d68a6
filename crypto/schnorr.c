/* SPDX-License-Identifier: MIT */
/*
 * BIP-340 Schnorr keys and signatures: the adapter for libsecp256k1. Its
 * 1/0 returns become LL_EBADKEY / LL_EBADSIG / LL_ECRYPTO here and nowhere
 * else. Every secp256k1_keypair on the stack holds the secret scalar, so it
 * is wiped on every path.
 */
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <string.h>

#include "internal.h"

_Static_assert(sizeof(secp256k1_xonly_pubkey) <= sizeof(struct ll_pubkey),
               "struct ll_pubkey too small for secp256k1_xonly_pubkey");

static const secp256k1_xonly_pubkey *xonly_of(const struct ll_pubkey *pk)
{
    /* ll_pubkey is opaque storage sized for the library's struct. */
    return (const secp256k1_xonly_pubkey *)(const void *)pk->opaque;
}

/*
 * Load sk into a secp256k1 keypair. Returns 0 or LL_EBADKEY (zero or not
 * below the curve order). The caller wipes *kp.
 */
static int load_keypair(secp256k1_keypair *kp, const uint8_t sk[static 32])
{
    if (!secp256k1_keypair_create(ll_crypto__ctx(), kp, sk))
        return LL_EBADKEY;
    return 0;
}

int ll_keypair_from_seckey(struct ll_keypair *out, const uint8_t sk[static 32])
{
    secp256k1_keypair kp;
    secp256k1_xonly_pubkey xpk;
    uint8_t pk[LL_PUBKEY_LEN];
    int rc = load_keypair(&kp, sk);
    if (rc)
        goto out;
    if (!secp256k1_keypair_xonly_pub(ll_crypto__ctx(), &xpk, NULL, &kp) ||
        !secp256k1_xonly_pubkey_serialize(ll_crypto__ctx(), pk, &xpk)) {
        rc = LL_ECRYPTO;
        goto out;
    }
    memcpy(out->sk, sk, LL_SECKEY_LEN);
    memcpy(out->pk, pk, LL_PUBKEY_LEN);
out:
    ll_crypto_wipe(&kp, sizeof(kp));
    return rc;
}

int ll_keypair_generate(struct ll_keypair *out)
{
    uint8_t sk[LL_SECKEY_LEN];
    int rc = LL_ECRYPTO;
    /*
     * A uniformly random 32-byte string is a valid scalar except with
     * probability about 2^-128; retry rather than bias the key.
     */
    for (int tries = 0; tries < 8; tries++) {
        ll_crypto_random(sk, sizeof(sk));
        rc = ll_keypair_from_seckey(out, sk);
        if (rc != LL_EBADKEY)
            break;
    }
    ll_crypto_wipe(sk, sizeof(sk));
    return rc;
}

void ll_keypair_wipe(struct ll_keypair *kp)
{
    if (kp != NULL)
        ll_crypto_wipe(kp, sizeof(*kp));
}

int ll_pubkey_parse(struct ll_pubkey *out, const uint8_t pk[static 32])
{
    secp256k1_xonly_pubkey xpk;
    if (!secp256k1_xonly_pubkey_parse(ll_crypto__ctx(), &xpk, pk))
        return LL_EBADKEY;
    memset(out, 0, sizeof(*out));
    memcpy(out->opaque, &xpk, sizeof(xpk));
    return 0;
}

int ll_schnorr_sign_msg(uint8_t sig[static 64], const struct ll_keypair *kp,
                        const uint8_t *msg, size_t msglen, const uint8_t *aux32)
{
    secp256k1_keypair skp;
    uint8_t aux[32];
    uint8_t out[LL_SIG_LEN];
    secp256k1_xonly_pubkey xpk;
    uint8_t pk[LL_PUBKEY_LEN];
    int rc;
    if (msg == NULL && msglen > 0)
        return LL_EINVAL;
    if (aux32 != NULL)
        memcpy(aux, aux32, sizeof(aux));
    else
        ll_crypto_random(aux, sizeof(aux));
    rc = load_keypair(&skp, kp->sk);
    if (rc)
        goto out;
    /* The stored public key must belong to the secret key. */
    if (!secp256k1_keypair_xonly_pub(ll_crypto__ctx(), &xpk, NULL, &skp) ||
        !secp256k1_xonly_pubkey_serialize(ll_crypto__ctx(), pk, &xpk) ||
        !ll_crypto_memeq(pk, kp->pk, LL_PUBKEY_LEN)) {
        rc = LL_EBADKEY;
        goto out;
    }
    secp256k1_schnorrsig_extraparams params =
        SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
    params.ndata = aux;
    if (!secp256k1_schnorrsig_sign_custom(ll_crypto__ctx(), out, msg, msglen,
                                          &skp, &params)) {
        rc = LL_ECRYPTO;
        goto out;
    }
    /* Verify before release: a fault during signing must not leak a key. */
    if (!secp256k1_schnorrsig_verify(ll_crypto__ctx(), out, msg, msglen,
                                     &xpk)) {
        rc = LL_ECRYPTO;
        goto out;
    }
    memcpy(sig, out, LL_SIG_LEN);
out:
    ll_crypto_wipe(&skp, sizeof(skp));
    ll_crypto_wipe(aux, sizeof(aux));
    return rc;
}

int ll_schnorr_sign(uint8_t sig[static 64], const struct ll_keypair *kp,
                    const uint8_t msg32[static 32], const uint8_t *aux32)
{
    return ll_schnorr_sign_msg(sig, kp, msg32, 32, aux32);
}

int ll_schnorr_verify_msg(const uint8_t sig[static 64], const uint8_t *msg,
                          size_t msglen, const uint8_t pk[static 32])
{
    struct ll_pubkey parsed;
    if (msg == NULL && msglen > 0)
        return LL_EINVAL;
    int rc = ll_pubkey_parse(&parsed, pk);
    if (rc)
        return rc;
    if (!secp256k1_schnorrsig_verify(ll_crypto__ctx(), sig, msg, msglen,
                                     xonly_of(&parsed)))
        return LL_EBADSIG;
    return 0;
}

int ll_schnorr_verify(const uint8_t sig[static 64],
                      const uint8_t msg32[static 32],
                      const uint8_t pk[static 32])
{
    return ll_schnorr_verify_msg(sig, msg32, 32, pk);
}

int ll_schnorr_verify_parsed(const uint8_t sig[static 64],
                             const uint8_t msg32[static 32],
                             const struct ll_pubkey *pk)
{
    if (!secp256k1_schnorrsig_verify(ll_crypto__ctx(), sig, msg32, 32,
                                     xonly_of(pk)))
        return LL_EBADSIG;
    return 0;
}

void ll_keyid(uint8_t out[static LL_KEYID_LEN], const uint8_t pk[static 32])
{
    uint8_t h[32];
    ll_tagged_hash(h, LL_TAG_KEYID, pk, LL_PUBKEY_LEN);
    memcpy(out, h, LL_KEYID_LEN);
}
