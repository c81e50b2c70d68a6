/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the keystore parser: ll_keystore_inspect on any bytes, and a full
 * ll_keystore_open with the passphrase "fuzz" when the file's cost
 * parameters are cheap enough to run many times a second. Nothing may
 * crash, and a failed open must leave the output key pair untouched.
 */
#include <stdlib.h>
#include <string.h>

#include "../../crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ll_keystore_info info;
    struct ll_keypair kp;
    if (ll_crypto_init() != 0)
        abort();
    if (ll_keystore_inspect(&info, data, size) != 0)
        return 0;
    if (info.params.opslimit > 2 || info.params.mem_kib > 64)
        return 0;
    memset(&kp, 0xA5, sizeof(kp));
    int rc = ll_keystore_open(&kp, data, size, "fuzz", 4);
    if (rc == 0) {
        /* An opened key must match the header's public key. */
        if (memcmp(kp.pk, info.pk, sizeof(kp.pk)) != 0)
            abort();
    } else {
        for (size_t i = 0; i < sizeof(kp.sk); i++)
            if (kp.sk[i] != 0xA5)
                abort();
    }
    ll_keypair_wipe(&kp);
    return 0;
}
