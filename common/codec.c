/* SPDX-License-Identifier: MIT */
/*
 * Hex and base64 codecs. Decoders are strict: one accepted spelling per byte
 * string for base64 (padding required, unused bits zero), so an encoded
 * proof or key cannot be malleated without changing its text.
 */
#include <string.h>

#include "common.h"

static const char hexdigits[] = "0123456789abcdef";
static const char hexdigits_upper[] = "0123456789ABCDEF";

int ll_hex_encode(char *out, size_t outcap, const uint8_t *in, size_t n)
{
    if (n > (SIZE_MAX - 1) / 2 || outcap < 2 * n + 1)
        return LL_EINVAL;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdigits[in[i] >> 4];
        out[2 * i + 1] = hexdigits[in[i] & 15];
    }
    out[2 * n] = '\0';
    return 0;
}

int ll_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int ll_hex_decode(uint8_t *out, size_t n, const char *hex, size_t hexlen)
{
    if (n > SIZE_MAX / 2 || hexlen != 2 * n)
        return LL_EDECODE;
    for (size_t i = 0; i < hexlen; i++) {
        if (ll_hex_digit(hex[i]) < 0)
            return LL_EDECODE;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)((unsigned)ll_hex_digit(hex[2 * i]) << 4 |
                           (unsigned)ll_hex_digit(hex[2 * i + 1]));
    return 0;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t ll_base64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4 + 1;
}

int ll_base64_encode(char *out, size_t outcap, const uint8_t *in, size_t n)
{
    if (n > (SIZE_MAX - 8) / 4 * 3 || outcap < ll_base64_encoded_len(n))
        return LL_EINVAL;
    size_t o = 0;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v =
            (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = b64[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    return 0;
}

static int b64val(char c)
{
    const char *p = strchr(b64, c);
    if (c == '\0' || p == NULL)
        return -1;
    return (int)(p - b64);
}

int ll_base64_decode(uint8_t *out, size_t outcap, size_t *outlen,
                     const char *in, size_t inlen)
{
    if (inlen % 4 != 0)
        return LL_EDECODE;
    size_t pad = 0;
    if (inlen > 0 && in[inlen - 1] == '=')
        pad++;
    if (inlen > 1 && in[inlen - 2] == '=')
        pad++;
    size_t n = inlen / 4 * 3 - pad;
    if (n > outcap)
        return LL_ETOOBIG;
    for (size_t i = 0; i < inlen - pad; i++) {
        if (b64val(in[i]) < 0)
            return LL_EDECODE;
    }
    if (pad == 2 && (b64val(in[inlen - 3]) & 15) != 0)
        return LL_EDECODE;
    if (pad == 1 && (b64val(in[inlen - 2]) & 3) != 0)
        return LL_EDECODE;
    size_t o = 0;
    for (size_t i = 0; i < inlen; i += 4) {
        uint32_t v = 0;
        for (size_t j = 0; j < 4; j++) {
            int d = in[i + j] == '=' ? 0 : b64val(in[i + j]);
            v = v << 6 | (uint32_t)d;
        }
        const uint8_t t[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8),
                              (uint8_t)v};
        for (size_t j = 0; j < 3 && o < n; j++)
            out[o++] = t[j];
    }
    *outlen = n;
    return 0;
}

int ll_pct_encode(char *out, size_t cap, const char *s, unsigned keep_slashes)
{
    size_t n = 0;
    unsigned slashes = 0;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                    c == '_' || c == '~' ||
                    (c == '/' && slashes < keep_slashes);
        slashes += c == '/' ? 1u : 0u;
        if (n + 4 > cap)
            return LL_ETOOBIG;
        if (keep) {
            out[n++] = (char)c;
        } else {
            out[n++] = '%';
            out[n++] = hexdigits_upper[c >> 4];
            out[n++] = hexdigits_upper[c & 15];
        }
    }
    if (cap == 0)
        return LL_ETOOBIG;
    out[n] = '\0';
    return 0;
}
