/* SPDX-License-Identifier: MIT */
/*
 * Allocation wrappers with failure injection. The only file in lotledger that
 * calls malloc/free directly; tests make the Nth allocation fail to reach
 * every error path (curl's torture mode).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static atomic_uint_fast64_t alloc_count;
static atomic_uint_fast64_t fail_at;
static atomic_bool alloc_fired;
static atomic_uint_fast64_t alloc_failures; /* NULL returns, real or not */
static atomic_int_fast64_t alloc_live; /* ll_malloc'd blocks not yet freed */

/* Count one allocation; return true if this one must fail. */
static bool should_fail(void)
{
    uint64_t n = (uint64_t)atomic_fetch_add(&alloc_count, 1) + 1;
    uint64_t target = (uint64_t)atomic_load(&fail_at);
    if (target != 0 && n == target) {
        atomic_store(&alloc_fired, true);
        return true;
    }
    return false;
}

/* Account for one allocation's result: p, or NULL when it failed. */
static void *counted(void *p)
{
    if (p == NULL)
        atomic_fetch_add(&alloc_failures, 1);
    else
        atomic_fetch_add(&alloc_live, 1);
    return p;
}

uint64_t ll_alloc_fail_at(uint64_t n)
{
    uint64_t prev = (uint64_t)atomic_exchange(&alloc_count, 0);
    atomic_store(&fail_at, n);
    atomic_store(&alloc_fired, false);
    return prev;
}

uint64_t ll_alloc_count(void)
{
    return (uint64_t)atomic_load(&alloc_count);
}

bool ll_alloc_failed(void)
{
    return atomic_load(&alloc_fired);
}

uint64_t ll_alloc_failures(void)
{
    return (uint64_t)atomic_load(&alloc_failures);
}

int64_t ll_alloc_live(void)
{
    return (int64_t)atomic_load(&alloc_live);
}

void ll_alloc_init_from_env(void)
{
    const char *s = getenv("LL_FAIL_ALLOC"); /* NOLINT(concurrency-mt-unsafe) */
    if (s == NULL || *s == '\0')
        return;
    char *end = NULL;
    unsigned long long n = strtoull(s, &end, 10);
    if (end != NULL && *end == '\0')
        (void)ll_alloc_fail_at((uint64_t)n);
}

void *ll_malloc(size_t size)
{
    if (should_fail())
        return counted(NULL);
    return counted(malloc(size == 0 ? 1 : size));
}

void *ll_calloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return counted(NULL);
    if (should_fail())
        return counted(NULL);
    return counted(calloc(n == 0 ? 1 : n, size == 0 ? 1 : size));
}

void *ll_realloc(void *p, size_t size)
{
    void *q = NULL;
    if (!should_fail())
        q = realloc(p, size == 0 ? 1 : size);
    if (q == NULL)
        atomic_fetch_add(&alloc_failures, 1);
    else if (p == NULL)
        atomic_fetch_add(&alloc_live, 1);
    return q;
}

void *ll_reallocarray(void *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) {
        atomic_fetch_add(&alloc_failures, 1);
        return NULL;
    }
    return ll_realloc(p, n * size);
}

char *ll_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = ll_malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

void ll_free(void *p)
{
    if (p != NULL)
        atomic_fetch_sub(&alloc_live, 1);
    free(p);
}
