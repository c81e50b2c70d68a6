/* SPDX-License-Identifier: MIT */
/*
 * The unit-test harness. A test file lists its cases in a table and ends
 * with LL_TEST_MAIN(table). The runner forks one child per case (a crash,
 * leak or timeout fails that case only), can run one case by name
 * (-t NAME), takes an RNG seed (--seed N or LL_TEST_SEED) and closes with
 * "N passed, N failed".
 *
 * Asserts print both sides and abort the case (like libuv's task.h).
 */
#ifndef LL_TEST_H
#define LL_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/common.h"

struct ll_test {
    const char *name;
    void (*fn)(void);
};

int ll_test_main(const struct ll_test *tests, size_t n, int argc, char **argv);

#define LL_TEST_MAIN(table)                                                    \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        return ll_test_main(table, LL_ARRAY_LEN(table), argc, argv);           \
    }

void ll_test_fail(const char *file, int line, const char *fmt, ...)
    LL_PRINTF(3, 4) __attribute__((noreturn));
void ll_test_fail_mem(const char *file, int line, const char *ea,
                      const char *eb, const void *a, const void *b, size_t n)
    __attribute__((noreturn));

/* Deterministic per-case RNG (splitmix64), seeded from the run seed. */
uint64_t ll_test_rand(void);
uint32_t ll_test_rand_below(uint32_t upper);
void ll_test_rand_bytes(void *p, size_t n);
uint64_t ll_test_seed(void);

/* Root of ../shared/vectors (LL_VECTORS overrides). */
const char *ll_test_vectors_dir(void);
/*
 * Read a whole file into a NUL-terminated heap buffer (free with ll_free).
 * Returns NULL if the file cannot be read.
 */
uint8_t *ll_test_read_file(const char *path, size_t *len);
/* A fresh temporary directory (removed by the caller with ll_test_rmrf). */
void ll_test_tmpdir(char *out, size_t outcap);
void ll_test_rmrf(const char *path);

#define ASSERT_TRUE(x)                                                         \
    do {                                                                       \
        if (!(x))                                                              \
            ll_test_fail(__FILE__, __LINE__, "expected true: %s", #x);         \
    } while (0)

#define ASSERT_FALSE(x)                                                        \
    do {                                                                       \
        if (x)                                                                 \
            ll_test_fail(__FILE__, __LINE__, "expected false: %s", #x);        \
    } while (0)

#define ASSERT_INT_OP(a, op, b)                                                \
    do {                                                                       \
        intmax_t ll_a_ = (intmax_t)(a);                                        \
        intmax_t ll_b_ = (intmax_t)(b);                                        \
        if (!(ll_a_ op ll_b_))                                                 \
            ll_test_fail(__FILE__, __LINE__,                                   \
                         "%s " #op " %s: %" PRIdMAX " vs %" PRIdMAX, #a, #b,   \
                         ll_a_, ll_b_);                                        \
    } while (0)

#define ASSERT_EQ(a, b) ASSERT_INT_OP(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_OP(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_INT_OP(a, <, b)
#define ASSERT_LE(a, b) ASSERT_INT_OP(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_INT_OP(a, >, b)
#define ASSERT_GE(a, b) ASSERT_INT_OP(a, >=, b)

#define ASSERT_UEQ(a, b)                                                       \
    do {                                                                       \
        uintmax_t ll_a_ = (uintmax_t)(a);                                      \
        uintmax_t ll_b_ = (uintmax_t)(b);                                      \
        if (ll_a_ != ll_b_)                                                    \
            ll_test_fail(__FILE__, __LINE__,                                   \
                         "%s == %s: %" PRIuMAX " vs %" PRIuMAX, #a, #b, ll_a_, \
                         ll_b_);                                               \
    } while (0)

/* rc must be 0; prints the error name and text otherwise. */
#define ASSERT_OK(rc)                                                          \
    do {                                                                       \
        int ll_rc_ = (rc);                                                     \
        if (ll_rc_ != 0)                                                       \
            ll_test_fail(__FILE__, __LINE__, "%s: %s (%s)", #rc,               \
                         ll_err_name(ll_rc_), ll_strerror(ll_rc_));            \
    } while (0)

/* rc must be exactly the expected error code. */
#define ASSERT_ERR(rc, want)                                                   \
    do {                                                                       \
        int ll_rc_ = (rc);                                                     \
        int ll_want_ = (want);                                                 \
        if (ll_rc_ != ll_want_)                                                \
            ll_test_fail(__FILE__, __LINE__, "%s: got %s, want %s", #rc,       \
                         ll_err_name(ll_rc_), ll_err_name(ll_want_));          \
    } while (0)

/* rc must be some error (any negative code). */
#define ASSERT_FAILS(rc)                                                       \
    do {                                                                       \
        int ll_rc_ = (rc);                                                     \
        if (ll_rc_ >= 0)                                                       \
            ll_test_fail(__FILE__, __LINE__, "%s: expected an error, got %d",  \
                         #rc, ll_rc_);                                         \
    } while (0)

#define ASSERT_MEM_EQ(a, b, n)                                                 \
    do {                                                                       \
        if (memcmp((a), (b), (n)) != 0)                                        \
            ll_test_fail_mem(__FILE__, __LINE__, #a, #b, (a), (b), (n));       \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                    \
    do {                                                                       \
        const char *ll_a_ = (a);                                               \
        const char *ll_b_ = (b);                                               \
        if (ll_a_ == NULL || ll_b_ == NULL || strcmp(ll_a_, ll_b_) != 0)       \
            ll_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", #a, \
                         #b, ll_a_ ? ll_a_ : "(null)",                         \
                         ll_b_ ? ll_b_ : "(null)");                            \
    } while (0)

#define ASSERT_NOT_NULL(p) ASSERT_TRUE((p) != NULL)

#endif
