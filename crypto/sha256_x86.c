/* SPDX-License-Identifier: MIT */
/*
 * The SHA-256 compression function on the x86 SHA extensions (SHA-NI), for
 * CPUs that have them; hash.c uses it when ll_crypto__shani_ok() says so
 * and libsodium's portable SHA-256 otherwise. Written from FIPS 180-4 and
 * Intel's description of the SHA256RNDS2, SHA256MSG1 and SHA256MSG2
 * instructions; test_crypto and fuzz_sha256 check it against libsodium.
 *
 * The instructions keep the eight working variables as two vectors, ABEF
 * and CDGH (A in the high lane). SHA256RNDS2 does two rounds with the two
 * message-plus-constant words in the low lanes of its third operand.
 */
#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)

#include <cpuid.h>
#include <immintrin.h>

static const uint32_t k256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

bool ll_crypto__shani_ok(void)
{
    unsigned a = 0;
    unsigned b = 0;
    unsigned c = 0;
    unsigned d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return false;
    bool ssse3 = (c & (1u << 9)) != 0;
    bool sse41 = (c & (1u << 19)) != 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return false;
    return ssse3 && sse41 && (b & (1u << 29)) != 0;
}

/* The state as the instructions keep it: ABEF and CDGH. */
struct ni_regs {
    __m128i s0;
    __m128i s1;
};

__attribute__((target("sha,sse4.1,ssse3"))) static inline struct ni_regs
ni_load(const uint32_t h[8])
{
    struct ni_regs r;
    __m128i t = _mm_loadu_si128((const __m128i *)(const void *)&h[0]);
    r.s1 = _mm_loadu_si128((const __m128i *)(const void *)&h[4]);
    t = _mm_shuffle_epi32(t, 0xB1);        /* C D A B */
    r.s1 = _mm_shuffle_epi32(r.s1, 0x1B);  /* H G F E */
    r.s0 = _mm_alignr_epi8(t, r.s1, 8);    /* A B E F */
    r.s1 = _mm_blend_epi16(r.s1, t, 0xF0); /* C D G H */
    return r;
}

__attribute__((target("sha,sse4.1,ssse3"))) static inline void
ni_store(uint32_t h[8], struct ni_regs r)
{
    __m128i t = _mm_shuffle_epi32(r.s0, 0x1B);  /* F E B A */
    __m128i s1 = _mm_shuffle_epi32(r.s1, 0xB1); /* D C H G */
    __m128i s0 = _mm_blend_epi16(t, s1, 0xF0);  /* D C B A */
    s1 = _mm_alignr_epi8(s1, t, 8);             /* H G F E */
    _mm_storeu_si128((__m128i *)(void *)&h[0], s0);
    _mm_storeu_si128((__m128i *)(void *)&h[4], s1);
}

/* Compress one 64-byte block into r. */
__attribute__((target("sha,sse4.1,ssse3"))) static inline struct ni_regs
ni_block(struct ni_regs r, const uint8_t *p)
{
    /* Big-endian words: reverse the bytes of each 32-bit lane. */
    const __m128i bswap =
        _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i s0 = r.s0;
    __m128i s1 = r.s1;
    __m128i w[4];
    for (size_t i = 0; i < 16; i++) {
        __m128i *x = &w[i % 4];
        if (i < 4) {
            *x = _mm_shuffle_epi8(
                _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)),
                bswap);
        } else {
            /* W[t..t+3] from W[t-16..t-1]: w[i%4] holds t-16..t-13. */
            __m128i m = _mm_sha256msg1_epu32(*x, w[(i + 1) % 4]);
            m = _mm_add_epi32(
                m, _mm_alignr_epi8(w[(i + 3) % 4], w[(i + 2) % 4], 4));
            *x = _mm_sha256msg2_epu32(m, w[(i + 3) % 4]);
        }
        __m128i wk = _mm_add_epi32(
            *x, _mm_loadu_si128((const __m128i *)(const void *)&k256[4 * i]));
        s1 = _mm_sha256rnds2_epu32(s1, s0, wk);
        s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(wk, 0x0E));
    }
    r.s0 = _mm_add_epi32(s0, r.s0);
    r.s1 = _mm_add_epi32(s1, r.s1);
    return r;
}

__attribute__((target("sha,sse4.1,ssse3"))) void
ll_crypto__shani_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
    struct ni_regs r = ni_load(h);
    for (; nblocks > 0; nblocks--, p += 64)
        r = ni_block(r, p);
    ni_store(h, r);
}

/*
 * The last block of every 128-byte message is the same (0x80, zeros, the
 * length 1024 in bits), so its message schedule plus the round constants
 * is computed once, in portable code: W+K for its 64 rounds.
 */
static uint32_t pad128_wk[64];

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

void ll_crypto__shani_init(void)
{
    uint32_t w[64] = {0x80000000u};
    w[15] = 1024;
    for (size_t t = 16; t < 64; t++) {
        uint32_t a = w[t - 15];
        uint32_t b = w[t - 2];
        uint32_t s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >> 3);
        uint32_t s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    for (size_t t = 0; t < 64; t++)
        pad128_wk[t] = w[t] + k256[t];
}

__attribute__((target("sha,sse4.1,ssse3"))) void
ll_crypto__shani_last128(const uint32_t h[8], const uint8_t block[64],
                         uint8_t out[32])
{
    struct ni_regs r = ni_block(ni_load(h), block);
    __m128i s0 = r.s0;
    __m128i s1 = r.s1;
    for (size_t i = 0; i < 16; i++) {
        __m128i wk =
            _mm_loadu_si128((const __m128i *)(const void *)&pad128_wk[4 * i]);
        s1 = _mm_sha256rnds2_epu32(s1, s0, wk);
        s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(wk, 0x0E));
    }
    r.s0 = _mm_add_epi32(s0, r.s0);
    r.s1 = _mm_add_epi32(s1, r.s1);
    uint32_t v[8];
    ni_store(v, r);
    for (size_t i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(v[i] >> 24);
        out[4 * i + 1] = (uint8_t)(v[i] >> 16);
        out[4 * i + 2] = (uint8_t)(v[i] >> 8);
        out[4 * i + 3] = (uint8_t)v[i];
    }
}

#else

bool ll_crypto__shani_ok(void)
{
    return false;
}

void ll_crypto__shani_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
    (void)h;
    (void)p;
    (void)nblocks;
    LL_ASSERT(0);
}

void ll_crypto__shani_init(void)
{
}

void ll_crypto__shani_last128(const uint32_t h[8], const uint8_t block[64],
                              uint8_t out[32])
{
    (void)h;
    (void)block;
    (void)out;
    LL_ASSERT(0);
}

#endif
