/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for crypto/: SHA-256 and tagged-hash known answers, the
 * official BIP-340 test vectors (../shared/vectors/bip340), signature
 * round trips and rejections, and the keystore (round trip, wrong
 * passphrase, every truncation, every single-bit flip, file handling).
 */
#include <sys/stat.h>
#include <unistd.h>

#include "../../crypto/crypto.h"
#include "../../crypto/internal.h"
#include "test.h"

/* Decode a hex literal of exactly n bytes or fail the case. */
static void hex(uint8_t *out, size_t n, const char *s)
{
    ASSERT_OK(ll_hex_decode(out, n, s, strlen(s)));
}

static void init(void)
{
    ASSERT_OK(ll_crypto_init());
}

static void test_sha256_kat(void)
{
    /* FIPS 180-2 appendix B.1 and the empty string. */
    static const char *const vec[][2] = {
        {"abc",
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"",
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    };
    init();
    for (size_t i = 0; i < LL_ARRAY_LEN(vec); i++) {
        uint8_t want[32];
        uint8_t got[32];
        hex(want, 32, vec[i][1]);
        ll_sha256(got, vec[i][0], strlen(vec[i][0]));
        ASSERT_MEM_EQ(got, want, 32);
        /* Incremental, one byte at a time. */
        struct ll_sha256 st;
        ll_sha256_init(&st);
        for (size_t k = 0; k < strlen(vec[i][0]); k++)
            ll_sha256_update(&st, vec[i][0] + k, 1);
        ll_sha256_final(&st, got);
        ASSERT_MEM_EQ(got, want, 32);
    }
}

/*
 * The SHA-NI path against libsodium: FIPS 180-4 vectors that cross the
 * padding boundaries, every length up to 300 bytes, and messages fed in
 * random pieces. ll_sha256 must use SHA-NI exactly when the CPU has it.
 */
static void ni_hash(uint8_t out[32], const uint8_t *m, size_t len,
                    uint32_t seed)
{
    struct ll_sha256 st;
    ll_crypto__sha256_ni_init(&st);
    size_t off = 0;
    while (off < len) {
        seed = seed * 1103515245u + 12345u;
        size_t piece = seed % 2 ? (seed >> 8) % 150 : (seed >> 8) % 3;
        if (piece > len - off)
            piece = len - off;
        ll_crypto__sha256_ni_update(&st, m + off, piece);
        off += piece;
    }
    ll_crypto__sha256_ni_final(&st, out);
}

static void test_sha256_ni(void)
{
    init();
    if (!ll_crypto__shani_ok()) {
        ASSERT_STR_EQ(ll_sha256_impl(), "libsodium");
        (void)fprintf(stderr, "  sha256_ni: this CPU has no SHA extensions; "
                              "only the libsodium path runs\n");
        return;
    }
    ASSERT_STR_EQ(ll_sha256_impl(), "x86 SHA extensions");
    uint8_t want[32];
    uint8_t got[32];
    const char *b2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex(want, 32,
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    ni_hash(got, (const uint8_t *)b2, strlen(b2), 1);
    ASSERT_MEM_EQ(got, want, 32);
    /* One million 'a' (FIPS 180-2 B.3). */
    uint8_t *ma = ll_malloc(1000000);
    ASSERT_NOT_NULL(ma);
    memset(ma, 'a', 1000000);
    hex(want, 32,
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    ni_hash(got, ma, 1000000, 2);
    ASSERT_MEM_EQ(got, want, 32);
    ll_free(ma);
    uint8_t m[300];
    ll_crypto_random(m, sizeof(m));
    for (size_t len = 0; len <= sizeof(m); len++) {
        ll_crypto__sha256_sodium(want, m, len);
        ni_hash(got, m, len, (uint32_t)len);
        ASSERT_MEM_EQ(got, want, 32);
        ll_sha256(got, m, len);
        ASSERT_MEM_EQ(got, want, 32);
    }
}

static void test_tagged_hash_kat(void)
{
    /*
     * Expected values computed independently (Python hashlib) as
     * SHA256(SHA256(tag) || SHA256(tag) || msg).
     */
    uint8_t want[32];
    uint8_t got[32];
    uint8_t pk[32];
    init();
    hex(want, 32,
        "d54f483d614373b60b378ac62b56ccbb155b500dd07fe9dbae9b5e84ae1af5ba");
    ll_tagged_hash(got, LL_TAG_EVENT, "abc", 3);
    ASSERT_MEM_EQ(got, want, 32);
    ll_tagged_hash_str(got, "lotledger/event", "abc", 3);
    ASSERT_MEM_EQ(got, want, 32);
    hex(want, 32,
        "c216d352f5818b7b4beacd4ae0a26fe888080823d2a598856661bcd54f1b3713");
    ll_tagged_hash_str(got, "BIP0340/challenge", "", 0);
    ASSERT_MEM_EQ(got, want, 32);
    /* Key id = first 8 bytes of the LL_TAG_KEYID hash of the key. */
    hex(pk, 32,
        "F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9");
    hex(want, 32,
        "148b750696a5a03b43349226cacead3dee7a9b732eeb4bc3eed913e9892268c3");
    uint8_t kid[LL_KEYID_LEN];
    ll_keyid(kid, pk);
    ASSERT_MEM_EQ(kid, want, LL_KEYID_LEN);
}

/*
 * ll_tagged_hash64 (the two-block fast path on SHA-NI) against Python
 * hashlib values and, for every tag, against libsodium's SHA-256 of
 * SHA256(tag) || SHA256(tag) || a || b on random halves.
 */
static void test_tagged_hash64(void)
{
    init();
    uint8_t a[32];
    uint8_t b[32];
    uint8_t want[32];
    uint8_t got[32];
    for (unsigned i = 0; i < 32; i++) {
        a[i] = (uint8_t)i;
        b[i] = (uint8_t)(32 + i);
    }
    hex(want, 32,
        "22ebf20310148b50769b22c323ca27a059534173ba4b760c76cc68eb3558ed10");
    ll_tagged_hash64(got, LL_TAG_SMT_NODE, a, b);
    ASSERT_MEM_EQ(got, want, 32);
    memset(a, 0xff, 32);
    memset(b, 0xff, 32);
    hex(want, 32,
        "d0135f68209963fd92e128798f46ccd41d6bd894504503ba751fa393dc6727a2");
    ll_tagged_hash64(got, LL_TAG_SMT_LEAF, a, b);
    ASSERT_MEM_EQ(got, want, 32);
    for (int tag = 0; tag < LL_TAG_COUNT; tag++) {
        uint8_t m[128];
        const char *name = ll_tag_name((enum ll_tag)tag);
        ll_crypto__sha256_sodium(m, name, strlen(name));
        memcpy(m + 32, m, 32);
        for (int r = 0; r < 200; r++) {
            ll_crypto_random(m + 64, 64);
            ll_crypto__sha256_sodium(want, m, sizeof(m));
            ll_tagged_hash64(got, (enum ll_tag)tag, m + 64, m + 96);
            ASSERT_MEM_EQ(got, want, 32);
        }
    }
}

static void test_tags_distinct(void)
{
    init();
    ASSERT_TRUE(ll_tag_name(LL_TAG_COUNT) == NULL);
    for (int i = 0; i < LL_TAG_COUNT; i++) {
        const char *ni = ll_tag_name((enum ll_tag)i);
        ASSERT_NOT_NULL(ni);
        ASSERT_TRUE(strncmp(ni, "lotledger/", 10) == 0);
        /* The midstate path agrees with hashing the tag string. */
        uint8_t a[32];
        uint8_t b[32];
        ll_tagged_hash(a, (enum ll_tag)i, "x", 1);
        ll_tagged_hash_str(b, ni, "x", 1);
        ASSERT_MEM_EQ(a, b, 32);
        /*
         * No SHA256(tag) starts with the RFC 6962 prefixes 0x00 / 0x01, so
         * a tagged hash input can never be read as a log leaf or node.
         */
        uint8_t th[32];
        ll_sha256(th, ni, strlen(ni));
        ASSERT_GT(th[0], 1);
        for (int j = i + 1; j < LL_TAG_COUNT; j++)
            ASSERT_TRUE(strcmp(ni, ll_tag_name((enum ll_tag)j)) != 0);
    }
}

/* Split one CSV line in place into at most n fields. */
static size_t csv_split(char *line, char **f, size_t n)
{
    size_t k = 0;
    f[k++] = line;
    for (char *p = line; *p != '\0' && k < n; p++) {
        if (*p == ',') {
            *p = '\0';
            f[k++] = p + 1;
        }
    }
    return k;
}

/* Check one row of the BIP-340 vectors; fields as in the CSV header. */
static void bip340_row(char **f)
{
    uint8_t pk[32];
    uint8_t sig[64];
    uint8_t msg[256];
    size_t msglen = strlen(f[4]) / 2;
    bool want_ok = strcmp(f[6], "TRUE") == 0;
    ASSERT_TRUE(want_ok || strcmp(f[6], "FALSE") == 0);
    ASSERT_LE(msglen, sizeof(msg));
    hex(pk, 32, f[2]);
    hex(sig, 64, f[5]);
    ASSERT_OK(ll_hex_decode(msg, msglen, f[4], strlen(f[4])));
    if (f[1][0] != '\0') {
        uint8_t sk[32];
        uint8_t aux[32];
        uint8_t got[64];
        struct ll_keypair kp;
        hex(sk, 32, f[1]);
        hex(aux, 32, f[3]);
        ASSERT_OK(ll_keypair_from_seckey(&kp, sk));
        ASSERT_MEM_EQ(kp.pk, pk, 32);
        ASSERT_OK(ll_schnorr_sign_msg(got, &kp, msg, msglen, aux));
        ASSERT_MEM_EQ(got, sig, 64);
        ll_keypair_wipe(&kp);
    }
    int rc = ll_schnorr_verify_msg(sig, msg, msglen, pk);
    if (want_ok) {
        ASSERT_OK(rc);
    } else {
        ASSERT_TRUE(rc == LL_EBADSIG || rc == LL_EBADKEY);
    }
    if (msglen == 32 && rc != LL_EBADKEY) {
        struct ll_pubkey parsed;
        ASSERT_OK(ll_pubkey_parse(&parsed, pk));
        ASSERT_ERR(ll_schnorr_verify_parsed(sig, msg, &parsed), rc);
        ASSERT_ERR(ll_schnorr_verify(sig, msg, pk), rc);
    }
}

static void test_bip340_vectors(void)
{
    char path[1024];
    size_t len = 0;
    init();
    (void)snprintf(path, sizeof(path), "%s/bip340/test-vectors.csv",
                   ll_test_vectors_dir());
    char *text = (char *)ll_test_read_file(path, &len);
    if (text == NULL)
        ll_test_fail(__FILE__, __LINE__, "cannot read %s", path);
    size_t rows = 0;
    size_t valid = 0;
    char *line = text;
    bool header = true;
    while (line != NULL && *line != '\0') {
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        size_t ll = strlen(line);
        if (ll > 0 && line[ll - 1] == '\r')
            line[ll - 1] = '\0';
        if (!header && *line != '\0') {
            char *f[8];
            ASSERT_GE(csv_split(line, f, 8), 7);
            bip340_row(f);
            rows++;
            valid += strcmp(f[6], "TRUE") == 0;
        }
        header = false;
        line = nl != NULL ? nl + 1 : NULL;
    }
    ll_free(text);
    /* The file has vectors 0..14; refuse to pass on an empty read. */
    ASSERT_GE(rows, 15);
    ASSERT_GE(valid, 4);
}

static void test_sign_verify(void)
{
    struct ll_keypair kp;
    struct ll_keypair other;
    uint8_t msg[32];
    uint8_t sig[64];
    init();
    ASSERT_OK(ll_keypair_generate(&kp));
    ASSERT_OK(ll_keypair_generate(&other));
    ll_test_rand_bytes(msg, sizeof(msg));
    ASSERT_OK(ll_schnorr_sign(sig, &kp, msg, NULL));
    ASSERT_OK(ll_schnorr_verify(sig, msg, kp.pk));
    ASSERT_ERR(ll_schnorr_verify(sig, msg, other.pk), LL_EBADSIG);
    /* Every single-bit change of signature or message is rejected. */
    for (size_t bit = 0; bit < 64 * 8; bit++) {
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ASSERT_FAILS(ll_schnorr_verify(sig, msg, kp.pk));
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (size_t bit = 0; bit < 32 * 8; bit++) {
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ASSERT_ERR(ll_schnorr_verify(sig, msg, kp.pk), LL_EBADSIG);
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* Same aux randomness: deterministic; fresh randomness: different. */
    uint8_t aux[32] = {7};
    uint8_t s1[64];
    uint8_t s2[64];
    ASSERT_OK(ll_schnorr_sign(s1, &kp, msg, aux));
    ASSERT_OK(ll_schnorr_sign(s2, &kp, msg, aux));
    ASSERT_MEM_EQ(s1, s2, 64);
    ASSERT_OK(ll_schnorr_sign(s2, &kp, msg, NULL));
    ASSERT_FALSE(memcmp(s1, s2, 64) == 0);
    ASSERT_OK(ll_schnorr_verify(s2, msg, kp.pk));
    /* A key pair whose public half belongs to another key cannot sign. */
    memcpy(other.pk, kp.pk, 32);
    ASSERT_ERR(ll_schnorr_sign(sig, &other, msg, NULL), LL_EBADKEY);
    ll_keypair_wipe(&kp);
    ll_keypair_wipe(&other);
    static const uint8_t zero[sizeof(kp)];
    ASSERT_MEM_EQ(&kp, zero, sizeof(kp));
}

static void test_bad_keys(void)
{
    /* Zero, the group order n, and n + 1 (all invalid secret keys). */
    static const char *const bad_sk[] = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364142",
    };
    init();
    for (size_t i = 0; i < LL_ARRAY_LEN(bad_sk); i++) {
        uint8_t sk[32];
        struct ll_keypair kp;
        memset(&kp, 0xAA, sizeof(kp));
        hex(sk, 32, bad_sk[i]);
        ASSERT_ERR(ll_keypair_from_seckey(&kp, sk), LL_EBADKEY);
        ASSERT_EQ(kp.sk[0], 0xAA); /* untouched on failure */
    }
    /* x = 5 is not on the curve (y^2 = 132 is not a square mod p). */
    uint8_t pk[32] = {0};
    pk[31] = 5;
    struct ll_pubkey parsed;
    ASSERT_ERR(ll_pubkey_parse(&parsed, pk), LL_EBADKEY);
    uint8_t sig[64] = {0};
    uint8_t msg[32] = {0};
    ASSERT_ERR(ll_schnorr_verify(sig, msg, pk), LL_EBADKEY);
}

static void test_memeq_wipe(void)
{
    uint8_t a[40];
    uint8_t b[40];
    init();
    ll_test_rand_bytes(a, sizeof(a));
    memcpy(b, a, sizeof(a));
    ASSERT_TRUE(ll_crypto_memeq(a, b, sizeof(a)));
    ASSERT_TRUE(ll_crypto_memeq(a, b, 0));
    for (size_t i = 0; i < sizeof(a); i++) {
        b[i] ^= 0x80;
        ASSERT_FALSE(ll_crypto_memeq(a, b, sizeof(a)));
        b[i] ^= 0x80;
    }
    ll_crypto_wipe(a, sizeof(a));
    static const uint8_t zero[40];
    ASSERT_MEM_EQ(a, zero, sizeof(a));
    for (int i = 0; i < 1000; i++)
        ASSERT_LT(ll_crypto_random_uniform(7), 7);
}

/* The cheapest parameters the format allows, so tests run fast. */
static const struct ll_keystore_params fast = {LL_KEYSTORE_OPS_MIN,
                                               LL_KEYSTORE_MEM_MIN_KIB};

static void test_keystore_roundtrip(void)
{
    struct ll_keypair kp;
    struct ll_keypair got;
    uint8_t ks[LL_KEYSTORE_LEN];
    uint8_t ks2[LL_KEYSTORE_LEN];
    struct ll_keystore_info info;
    init();
    ASSERT_OK(ll_keypair_generate(&kp));
    ASSERT_OK(ll_keystore_seal(ks, &kp, "correct horse", 13, &fast));
    ASSERT_MEM_EQ(ks, "LLKEYST1", 8);
    ASSERT_OK(ll_keystore_inspect(&info, ks, sizeof(ks)));
    ASSERT_MEM_EQ(info.pk, kp.pk, 32);
    ASSERT_UEQ(info.params.opslimit, fast.opslimit);
    ASSERT_UEQ(info.params.mem_kib, fast.mem_kib);
    ASSERT_OK(ll_keystore_open(&got, ks, sizeof(ks), "correct horse", 13));
    ASSERT_MEM_EQ(&got, &kp, sizeof(kp));
    /* Fresh salt and nonce every time: same key, different file. */
    ASSERT_OK(ll_keystore_seal(ks2, &kp, "correct horse", 13, &fast));
    ASSERT_FALSE(memcmp(ks, ks2, sizeof(ks)) == 0);
    /* Empty passphrase works (the CLI decides whether to allow it). */
    ASSERT_OK(ll_keystore_seal(ks2, &kp, "", 0, &fast));
    ASSERT_OK(ll_keystore_open(&got, ks2, sizeof(ks2), "", 0));
    /* Parameters out of range are refused at seal time. */
    struct ll_keystore_params p = {0, LL_KEYSTORE_MEM_MIN_KIB};
    ASSERT_ERR(ll_keystore_seal(ks2, &kp, "x", 1, &p), LL_EINVAL);
    p.opslimit = 1;
    p.mem_kib = LL_KEYSTORE_MEM_MIN_KIB - 1;
    ASSERT_ERR(ll_keystore_seal(ks2, &kp, "x", 1, &p), LL_EINVAL);
    p.mem_kib = LL_KEYSTORE_MEM_MAX_KIB + 1;
    ASSERT_ERR(ll_keystore_seal(ks2, &kp, "x", 1, &p), LL_EINVAL);
    ll_keypair_wipe(&kp);
    ll_keypair_wipe(&got);
}

static void test_keystore_rejects(void)
{
    struct ll_keypair kp;
    struct ll_keypair got;
    uint8_t ks[LL_KEYSTORE_LEN + 1];
    uint8_t bad[LL_KEYSTORE_LEN + 1];
    init();
    ASSERT_OK(ll_keypair_generate(&kp));
    ASSERT_OK(ll_keystore_seal(ks, &kp, "pw", 2, &fast));
    memset(&got, 0x5A, sizeof(got));
    ASSERT_ERR(ll_keystore_open(&got, ks, LL_KEYSTORE_LEN, "pW", 2), LL_EAUTH);
    ASSERT_ERR(ll_keystore_open(&got, ks, LL_KEYSTORE_LEN, "pw ", 3), LL_EAUTH);
    /* Every truncation, and one trailing byte. */
    for (size_t n = 0; n < LL_KEYSTORE_LEN; n++)
        ASSERT_ERR(ll_keystore_open(&got, ks, n, "pw", 2), LL_ETRUNC);
    ks[LL_KEYSTORE_LEN] = 0;
    ASSERT_ERR(ll_keystore_open(&got, ks, LL_KEYSTORE_LEN + 1, "pw", 2),
               LL_ETRAILING);
    /* Every single-bit flip anywhere in the file is caught. */
    for (size_t bit = 0; bit < LL_KEYSTORE_LEN * 8; bit++) {
        memcpy(bad, ks, LL_KEYSTORE_LEN);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ASSERT_FAILS(ll_keystore_open(&got, bad, LL_KEYSTORE_LEN, "pw", 2));
    }
    /* Never a partial key: got was not written by any failure above. */
    ASSERT_EQ(got.sk[0], 0x5A);
    ASSERT_EQ(got.sk[31], 0x5A);
    ASSERT_EQ(got.pk[31], 0x5A);
    /* Specific header errors, reported before any key derivation. */
    static const struct {
        size_t off;
        uint8_t val;
        int rc;
    } cases[] = {
        {0, 'X', LL_EDECODE},  /* magic */
        {8, 2, LL_EVERSION},   /* version */
        {9, 0, LL_EVERSION},   /* kdf */
        {10, 1, LL_EDECODE},   /* reserved */
        {12, 0x80, LL_ERANGE}, /* opslimit too large */
        {16, 0x7f, LL_ERANGE}, /* memlimit too large */
    };
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        struct ll_keystore_info info;
        memcpy(bad, ks, LL_KEYSTORE_LEN);
        bad[cases[i].off] = cases[i].val;
        ASSERT_ERR(ll_keystore_inspect(&info, bad, LL_KEYSTORE_LEN),
                   cases[i].rc);
        ASSERT_ERR(ll_keystore_open(&got, bad, LL_KEYSTORE_LEN, "pw", 2),
                   cases[i].rc);
    }
    /* A public key that is not on the curve. */
    memcpy(bad, ks, LL_KEYSTORE_LEN);
    memset(bad + 60, 0, 32);
    bad[91] = 5;
    ASSERT_ERR(ll_keystore_open(&got, bad, LL_KEYSTORE_LEN, "pw", 2),
               LL_EBADKEY);
    ll_keypair_wipe(&kp);
}

static void test_keystore_file(void)
{
    char dir[512];
    char path[600];
    struct ll_keypair kp;
    struct ll_keypair got;
    struct stat st;
    init();
    ll_test_tmpdir(dir, sizeof(dir));
    (void)snprintf(path, sizeof(path), "%s/org.key", dir);
    ASSERT_OK(ll_keypair_generate(&kp));
    ASSERT_ERR(ll_keystore_read_file(&got, path, "pw", 2), LL_ENOTFOUND);
    ASSERT_OK(ll_keystore_write_file(path, &kp, "pw", 2, &fast));
    ASSERT_OK(stat(path, &st));
    ASSERT_EQ(st.st_mode & 0777, 0600);
    ASSERT_EQ(st.st_size, LL_KEYSTORE_LEN);
    ASSERT_OK(ll_keystore_read_file(&got, path, "pw", 2));
    ASSERT_MEM_EQ(&got, &kp, sizeof(kp));
    /* Never overwrites an existing file. */
    ASSERT_ERR(ll_keystore_write_file(path, &kp, "pw", 2, &fast), LL_EEXIST);
    ASSERT_OK(ll_keystore_read_file(&got, path, "pw", 2));
    ASSERT_ERR(ll_keystore_read_file(&got, path, "nope", 4), LL_EAUTH);
    /* Truncated and extended files. */
    ASSERT_OK(truncate(path, 100));
    ASSERT_ERR(ll_keystore_read_file(&got, path, "pw", 2), LL_ETRUNC);
    ASSERT_OK(truncate(path, 4096));
    ASSERT_ERR(ll_keystore_read_file(&got, path, "pw", 2), LL_ETRAILING);
    /* A directory where the file should be. */
    ASSERT_ERR(ll_keystore_read_file(&got, dir, "pw", 2), LL_EIO);
    ll_test_rmrf(dir);
    ll_keypair_wipe(&kp);
    ll_keypair_wipe(&got);
}

static const struct ll_test tests[] = {
    {"sha256_kat", test_sha256_kat},
    {"sha256_ni", test_sha256_ni},
    {"tagged_hash_kat", test_tagged_hash_kat},
    {"tagged_hash64", test_tagged_hash64},
    {"tags_distinct", test_tags_distinct},
    {"bip340_vectors", test_bip340_vectors},
    {"sign_verify", test_sign_verify},
    {"bad_keys", test_bad_keys},
    {"memeq_wipe", test_memeq_wipe},
    {"keystore_roundtrip", test_keystore_roundtrip},
    {"keystore_rejects", test_keystore_rejects},
    {"keystore_file", test_keystore_file},
};

LL_TEST_MAIN(tests)
