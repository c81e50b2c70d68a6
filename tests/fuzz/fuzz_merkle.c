/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the Merkle log decoders (ledger/merkle.c). Byte 0 picks the decoder:
 * 0 inclusion proof, 1 consistency proof, 2 frontier, 3 range proof; the
 * rest of the input is the encoding. Properties: no crash and no out-of-bounds
 * access; a failed decode leaves its output untouched; whatever decodes
 * re-encodes to the same bytes and no proper prefix of it decodes; a decoded
 * proof verifies to 0 or LL_EPROOF only (the decoder has already checked every
 * size), and to 0 when it has no hashes and the roots say so. A range proof
 * (what a lot log page carries) read from the input verifies to one of its
 * documented errors; one made for a tree of the input's hashes verifies, and
 * stops verifying when any of its bytes is changed.
 */
#include <stdlib.h>
#include <string.h>

#include "../../crypto/crypto.h"
#include "../../ledger/merkle.h"

static uint64_t load_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* Input: n, a, b (8 bytes each, big-endian), then 32-byte hashes: the
 * range's b - a first, the proof after. */
static void fuzz_range(const uint8_t *buf, size_t len)
{
    static uint8_t in[128][32]; /* the input's hashes (4096 bytes hold 127) */
    static uint8_t tree[64][32];
    static uint8_t proof[LL_MERKLE_MAX_RANGE][32];
    if (len < 24)
        return;
    uint64_t n = load_u64(buf);
    uint64_t a = load_u64(buf + 8);
    uint64_t b = load_u64(buf + 16);
    size_t nh = (len - 24) / 32;
    if (nh > 128)
        nh = 128;
    memcpy(in, buf + 24, nh * 32);
    const uint8_t(*hashes)[32] = (const uint8_t(*)[32])in;
    uint8_t root[32];
    ll_sha256(root, buf, len);
    if (b > a && b - a <= nh) {
        size_t k = (size_t)(b - a);
        int rc =
            ll_merkle_range_verify(root, n, a, b, hashes, in[k], (nh - k) * 32);
        if (rc != 0 && rc != LL_ERANGE && rc != LL_ETOOBIG && rc != LL_ETRUNC &&
            rc != LL_ETRAILING && rc != LL_EPROOF)
            abort();
    }
    /* A tree of the input's hashes (at most 64 leaves): every range of it
     * proves and verifies, and a changed proof byte is caught. */
    uint64_t m = nh < 64 ? nh : 64;
    if (m == 0)
        return;
    memcpy(tree, in, (size_t)m * 32);
    uint64_t lo = a % m;
    uint64_t hi = lo + 1 + b % (m - lo);
    size_t count = 0;
    if (ll_merkle_root(root, (const uint8_t(*)[32])tree, m) != 0 ||
        ll_merkle_range_prove(proof, &count, (const uint8_t(*)[32])tree, m, lo,
                              hi) != 0 ||
        ll_merkle_range_verify(root, m, lo, hi, (const uint8_t(*)[32])tree + lo,
                               proof[0], count * 32) != 0)
        abort();
    if (count > 0) {
        size_t at = (size_t)(n % (count * 32));
        proof[at / 32][at % 32] ^= 1;
        if (ll_merkle_range_verify(root, m, lo, hi,
                                   (const uint8_t(*)[32])tree + lo, proof[0],
                                   count * 32) == 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_inclusion(const uint8_t *buf, size_t len)
{
    static struct ll_merkle_inclusion_proof p;
    static struct ll_merkle_inclusion_proof saved;
    uint8_t enc[LL_MERKLE_INCLUSION_ENC_MAX];
    size_t n = 0;
    memset(&p, 0x5a, sizeof(p));
    memcpy(&saved, &p, sizeof(p));
    if (ll_merkle_inclusion_decode(&p, buf, len) != 0) {
        if (memcmp(&p, &saved, sizeof(p)) != 0)
            abort();
        return;
    }
    if (ll_merkle_inclusion_encode(enc, sizeof(enc), &n, &p) != 0 || n != len ||
        memcmp(enc, buf, len) != 0)
        abort();
    if (ll_merkle_inclusion_decode(&saved, buf, len - 1) == 0)
        abort();
    /* The root is the first path hash, or the leaf itself for a one-leaf
     * tree, where the proof is empty and must verify. */
    uint8_t leaf[32];
    ll_sha256(leaf, buf, len);
    const uint8_t *root = p.count > 0 ? p.hash[0] : leaf;
    int rc = ll_merkle_inclusion_verify(p.index, p.size, leaf, sizeof(leaf),
                                        p.hash[0], p.count * 32, root, 32);
    if (rc != 0 && rc != LL_EPROOF)
        abort();
    if (p.count == 0 && rc != 0)
        abort();
}

static void fuzz_consistency(const uint8_t *buf, size_t len)
{
    static struct ll_merkle_consistency_proof p;
    static struct ll_merkle_consistency_proof saved;
    uint8_t enc[LL_MERKLE_CONSISTENCY_ENC_MAX];
    size_t n = 0;
    memset(&p, 0xa5, sizeof(p));
    memcpy(&saved, &p, sizeof(p));
    if (ll_merkle_consistency_decode(&p, buf, len) != 0) {
        if (memcmp(&p, &saved, sizeof(p)) != 0)
            abort();
        return;
    }
    if (ll_merkle_consistency_encode(enc, sizeof(enc), &n, &p) != 0 ||
        n != len || memcmp(enc, buf, len) != 0)
        abort();
    if (ll_merkle_consistency_decode(&saved, buf, len - 1) == 0)
        abort();
    /* Equal sizes carry no hashes and verify when the roots are equal. */
    uint8_t root1[32];
    ll_sha256(root1, buf, len);
    const uint8_t *root2 = p.count > 0 ? p.hash[p.count - 1] : root1;
    int rc = ll_merkle_consistency_verify(p.size1, p.size2, p.hash[0],
                                          p.count * 32, root1, 32, root2, 32);
    if (rc != 0 && rc != LL_EPROOF)
        abort();
    if (p.size1 == p.size2 && rc != 0)
        abort();
}

static void fuzz_frontier(const uint8_t *buf, size_t len)
{
    static struct ll_merkle_frontier f;
    static struct ll_merkle_frontier saved;
    uint8_t enc[LL_MERKLE_FRONTIER_ENC_MAX];
    uint8_t root[32];
    size_t n = 0;
    memset(&f, 0x3c, sizeof(f));
    memcpy(&saved, &f, sizeof(f));
    if (ll_merkle_frontier_decode(&f, buf, len) != 0) {
        if (memcmp(&f, &saved, sizeof(f)) != 0)
            abort();
        return;
    }
    if (ll_merkle_frontier_encode(enc, sizeof(enc), &n, &f) != 0 || n != len ||
        memcmp(enc, buf, len) != 0)
        abort();
    if (ll_merkle_frontier_decode(&saved, buf, len - 1) == 0)
        abort();
    ll_merkle_frontier_root(root, &f);
    /* Appending works until the size is at its maximum, and the result
     * still round-trips. */
    int rc = ll_merkle_frontier_append(&f, root);
    if (rc != 0 && !(rc == LL_ERANGE && f.size == UINT64_MAX))
        abort();
    if (ll_merkle_frontier_encode(enc, sizeof(enc), &n, &f) != 0 ||
        ll_merkle_frontier_decode(&saved, enc, n) != 0 || saved.size != f.size)
        abort();
    ll_merkle_frontier_root(root, &f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    switch (data[0] % 4) {
    case 0:
        fuzz_inclusion(data + 1, size - 1);
        break;
    case 1:
        fuzz_consistency(data + 1, size - 1);
        break;
    case 2:
        fuzz_frontier(data + 1, size - 1);
        break;
    default:
        fuzz_range(data + 1, size - 1);
        break;
    }
    return 0;
}
