/* SPDX-License-Identifier: MIT */
/*
 * Token buckets per client address (rate.h). The hash is 64-bit FNV-1a
 * over the key and the address with a final mix: cheap, and keyed so that
 * a remote client cannot aim addresses at one set; a collision only makes
 * addresses share a budget (the takeover rule), so it needs no more.
 */
#include <stdio.h>
#include <string.h>

#include "rate.h"

struct bucket {
    char peer[64];    /* client address; "" = free */
    double tokens;    /* requests left, 0..rate */
    uint64_t last_ms; /* last refill, loop time */
};

struct ll_rate {
    double rate;     /* tokens a second, and the most a bucket holds */
    uint8_t key[16]; /* hash key */
    struct bucket b[LL_RATE_SETS * LL_RATE_WAYS]; /* set s: b[s * WAYS ...] */
};

int ll_rate_new(struct ll_rate **out, uint64_t per_sec,
                const uint8_t key16[static 16])
{
    if (per_sec == 0)
        return LL_EINVAL;
    struct ll_rate *r = ll_calloc(1, sizeof(*r));
    if (r == NULL)
        return LL_ENOMEM;
    r->rate = (double)per_sec;
    memcpy(r->key, key16, sizeof(r->key));
    *out = r;
    return 0;
}

void ll_rate_free(struct ll_rate *r)
{
    ll_free(r);
}

uint32_t ll_rate_set_of(const struct ll_rate *r, const char *peer)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < sizeof(r->key); i++)
        h = (h ^ r->key[i]) * 1099511628211u;
    for (const char *p = peer; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211u;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return (uint32_t)(h % LL_RATE_SETS);
}

/* Refill b to now_ms: rate tokens a second, at most rate. */
static double refilled(const struct ll_rate *r, const struct bucket *b,
                       uint64_t now_ms)
{
    if (b->peer[0] == '\0')
        return r->rate;
    uint64_t dt = now_ms > b->last_ms ? now_ms - b->last_ms : 0;
    double t = b->tokens + r->rate * (double)dt / 1000.0;
    return t < r->rate ? t : r->rate;
}

bool ll_rate_take(struct ll_rate *r, const char *peer, uint64_t now_ms)
{
    struct bucket *set = &r->b[(size_t)ll_rate_set_of(r, peer) * LL_RATE_WAYS];
    struct bucket *b = NULL;
    for (size_t i = 0; i < LL_RATE_WAYS && b == NULL; i++)
        if (strncmp(set[i].peer, peer, sizeof(set[i].peer)) == 0 &&
            set[i].peer[0] != '\0')
            b = &set[i];
    double tokens;
    if (b != NULL) {
        tokens = refilled(r, b, now_ms);
    } else {
        /* Take over the fullest bucket (a free or long-idle one when there
         * is one), keeping its tokens: never a fresh budget. */
        b = &set[0];
        tokens = refilled(r, b, now_ms);
        for (size_t i = 1; i < LL_RATE_WAYS; i++) {
            double t = refilled(r, &set[i], now_ms);
            if (t > tokens) {
                b = &set[i];
                tokens = t;
            }
        }
        (void)snprintf(b->peer, sizeof(b->peer), "%s", peer);
    }
    b->last_ms = now_ms;
    if (tokens < 1.0) {
        b->tokens = tokens;
        return false;
    }
    b->tokens = tokens - 1.0;
    return true;
}
