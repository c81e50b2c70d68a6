/* SPDX-License-Identifier: MIT */
/*
 * common: the base every other module stands on. Error codes (ll_err.h),
 * leveled logging, allocation wrappers with failure injection, a bounded
 * growable buffer, and small byte codecs (hex, base64, fixed-width integers).
 * Nothing here includes a third-party header.
 */
#ifndef LL_COMMON_H
#define LL_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ll_err.h"

#define LL_NODISCARD    __attribute__((warn_unused_result))
#define LL_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#define LL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define LL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Abort with file and line. For programmer errors only, never for input. */
void ll_assert_fail(const char *expr, const char *file, int line)
    __attribute__((noreturn));

#define LL_ASSERT(x)                                                           \
    do {                                                                       \
        if (!(x))                                                              \
            ll_assert_fail(#x, __FILE__, __LINE__);                            \
    } while (0)

/* Expensive invariant checks, compiled only in test builds (-DLL_VERIFY). */
#ifdef LL_VERIFY
#define LL_VERIFY_CHECK(x) LL_ASSERT(x)
#else
#define LL_VERIFY_CHECK(x)                                                     \
    do {                                                                       \
    } while (0)
#endif

/* ---- error detail ---------------------------------------------------------
 */

/*
 * The human-readable detail that goes with an error code: which field, which
 * lot, which rule. Validation functions take an optional pointer to one and
 * fill it when they fail; the code alone stays the contract.
 */
#define LL_ERRMSG_MAX 256

struct ll_errmsg {
    char text[LL_ERRMSG_MAX]; /* NUL-terminated, truncated to fit */
};

/*
 * Format the detail into e (if e is not NULL) and return rc unchanged, so a
 * check reads "return ll_errmsg_set(e, LL_EINVAL, "lot %s: ...", lot);".
 */
int ll_errmsg_set(struct ll_errmsg *e, int rc, const char *fmt, ...)
    LL_PRINTF(3, 4);
/* ll_errmsg_set with the arguments in ap. */
int ll_errmsg_vset(struct ll_errmsg *e, int rc, const char *fmt, va_list ap)
    LL_PRINTF(3, 0);

/* ---- allocation ---------------------------------------------------------- */

/*
 * Allocation wrappers. Every heap allocation in lotledger goes through these
 * so that tests can make the Nth one fail (ll_alloc_fail_at, or the
 * environment variable LL_FAIL_ALLOC=N read by ll_alloc_init_from_env).
 * ll_calloc and ll_reallocarray check n * size for overflow.
 * Returns: the memory, or NULL on failure (real or injected).
 * Thread-safe; the failure counter is shared by all threads.
 */
void *ll_malloc(size_t size);
void *ll_calloc(size_t n, size_t size);
void *ll_realloc(void *p, size_t size);
void *ll_reallocarray(void *p, size_t n, size_t size);
char *ll_strdup(const char *s);
void ll_free(void *p);

#define LL_FREE(p)                                                             \
    do {                                                                       \
        ll_free(p);                                                            \
        (p) = NULL;                                                            \
    } while (0)

/*
 * Make the nth allocation from now fail (1 = the next one); 0 disables.
 * Returns the number of allocations made since the last call (for torture
 * loops that run a case once per allocation it makes).
 */
uint64_t ll_alloc_fail_at(uint64_t n);
/* Number of allocations made since the last ll_alloc_fail_at call. */
uint64_t ll_alloc_count(void);
/* True if an injected failure has fired since the last ll_alloc_fail_at. */
bool ll_alloc_failed(void);
/*
 * Allocations that returned NULL (injected or real) since the process
 * started. A caller of a library that hides why it failed (jansson reports
 * an allocation failure inside its parser as a syntax error, or not at all)
 * compares it before and after the call to tell out-of-memory apart.
 */
uint64_t ll_alloc_failures(void);
/*
 * Blocks from ll_malloc/ll_calloc/ll_realloc/ll_strdup not yet passed to
 * ll_free: tests compare it before and after an operation to find leaks.
 */
int64_t ll_alloc_live(void);
/*
 * Read LL_FAIL_ALLOC=N from the environment, if set: the Nth allocation of
 * the process fails (as ll_alloc_fail_at(N)). The daemon and the CLI call
 * it first thing in main.
 */
void ll_alloc_init_from_env(void);

/* ---- bounded buffer ------------------------------------------------------ */

/*
 * A growable byte buffer with a hard maximum set at init (curl's dynbuf).
 * An append that would pass the maximum fails with LL_ETOOBIG and frees the
 * buffer, so a caller fed by the network cannot be made to hold more.
 */
struct ll_buf {
    uint8_t *data; /* owned; NULL until the first append */
    size_t len;    /* bytes in use */
    size_t cap;    /* bytes allocated */
    size_t max;    /* hard limit on len, > 0 */
};

/* Initialise an empty buffer with a hard maximum. Allocates nothing. */
void ll_buf_init(struct ll_buf *b, size_t max) LL_NONNULL(1);
/* Free the contents and reset to empty (the maximum is kept). */
void ll_buf_free(struct ll_buf *b) LL_NONNULL(1);
/* Forget the contents but keep the allocation. */
void ll_buf_reset(struct ll_buf *b) LL_NONNULL(1);
/*
 * Append n bytes. Returns 0, LL_ETOOBIG (buffer freed) or LL_ENOMEM (buffer
 * freed).
 */
LL_NODISCARD int ll_buf_append(struct ll_buf *b, const void *p, size_t n)
    LL_NONNULL(1);
LL_NODISCARD int ll_buf_append_byte(struct ll_buf *b, uint8_t c) LL_NONNULL(1);
/* Append a formatted string (no terminating NUL is counted in len). */
LL_NODISCARD int ll_buf_printf(struct ll_buf *b, const char *fmt, ...)
    LL_PRINTF(2, 3) LL_NONNULL(1, 2);
/*
 * Make sure data[len] can hold a NUL and write it (not counted in len).
 * Returns 0, LL_ETOOBIG or LL_ENOMEM.
 */
LL_NODISCARD int ll_buf_cstr(struct ll_buf *b) LL_NONNULL(1);

/* ---- logging --------------------------------------------------------------
 */

enum ll_log_level {
    LL_LOG_DEBUG = 0,
    LL_LOG_INFO = 1,
    LL_LOG_WARN = 2,
    LL_LOG_ERROR = 3,
    LL_LOG_OFF = 4
};

/*
 * Log one line to stderr: "ts level=L msg". Lines below the current level
 * are dropped. Never pass key material.
 */
void ll_log(enum ll_log_level level, const char *fmt, ...) LL_PRINTF(2, 3);
void ll_log_set_level(enum ll_log_level level);
enum ll_log_level ll_log_get_level(void);
/* Parse "debug|info|warn|error|off". Returns 0 or LL_EINVAL. */
LL_NODISCARD int ll_log_level_parse(enum ll_log_level *out, const char *s)
    LL_NONNULL(1, 2);

/* ---- byte codecs ----------------------------------------------------------
 */

/*
 * Lower-case hex encode n bytes into out (2n + 1 bytes incl. NUL).
 * Returns 0 or LL_EINVAL if outcap is too small.
 */
LL_NODISCARD int ll_hex_encode(char *out, size_t outcap, const uint8_t *in,
                               size_t n);
/*
 * Percent-encode s for a URL path: RFC 3986 unreserved characters stay,
 * so do the first keep_slashes '/' (UINT_MAX: all), everything else
 * becomes %XX. Returns 0 or LL_ETOOBIG (out needs up to 3 x strlen(s) + 1
 * bytes).
 */
LL_NODISCARD int ll_pct_encode(char *out, size_t cap, const char *s,
                               unsigned keep_slashes);

/* The value (0-15) of a hex digit of either case, or -1. */
int ll_hex_digit(char c);
/*
 * Decode exactly n bytes from a hex string of length 2n (either case).
 * Returns 0, LL_EDECODE (bad digit or wrong length). out is untouched on
 * failure.
 */
LL_NODISCARD int ll_hex_decode(uint8_t *out, size_t n, const char *hex,
                               size_t hexlen);

/* Bytes needed for base64 of n bytes, with padding and NUL. */
size_t ll_base64_encoded_len(size_t n);
/* Standard base64 (RFC 4648 §4, padded). Returns 0 or LL_EINVAL. */
LL_NODISCARD int ll_base64_encode(char *out, size_t outcap, const uint8_t *in,
                                  size_t n);
/*
 * Decode standard padded base64. Rejects bad characters, bad padding and
 * non-zero trailing bits (one canonical encoding per byte string).
 * Returns: 0 with *outlen set, LL_EDECODE, or LL_ETOOBIG if outcap is short.
 */
LL_NODISCARD int ll_base64_decode(uint8_t *out, size_t outcap, size_t *outlen,
                                  const char *in, size_t inlen);

static inline void ll_store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t ll_load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void ll_store_be64(uint8_t *p, uint64_t v)
{
    ll_store_be32(p, (uint32_t)(v >> 32));
    ll_store_be32(p + 4, (uint32_t)v);
}

static inline uint64_t ll_load_be64(const uint8_t *p)
{
    return ((uint64_t)ll_load_be32(p) << 32) | ll_load_be32(p + 4);
}

static inline void ll_store_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t ll_load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline void ll_store_le64(uint8_t *p, uint64_t v)
{
    ll_store_le32(p, (uint32_t)v);
    ll_store_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t ll_load_le64(const uint8_t *p)
{
    return (uint64_t)ll_load_le32(p) | ((uint64_t)ll_load_le32(p + 4) << 32);
}

/* ---- time ------------------------------------------------------------------
 */

/* True if y-m-d is a real day of the proleptic Gregorian calendar. */
bool ll_date_is_valid(int64_t y, int64_t m, int64_t d);

/*
 * Parse an RFC 3339 timestamp, "2026-11-24T08:30:00.250+01:00" or "...Z"
 * (fraction optional, at most 9 digits, kept to the millisecond).
 * Returns: 0 or LL_EINVAL. Out: *ms_out (ms since the Unix epoch, UTC) and
 * *tz_out (offset in minutes east of UTC; may be NULL), only on success.
 */
LL_NODISCARD int ll_time_parse(int64_t *ms_out, int32_t *tz_out, const char *s)
    LL_NONNULL(1, 3);

/*
 * Format ms (UTC) in the given offset as RFC 3339 with milliseconds:
 * "2026-11-24T08:30:00.250+01:00" ("Z" for offset 0). cap >= 30 suffices.
 * Returns: 0, LL_ERANGE (year outside 0..9999 or offset beyond +-14:00),
 * LL_EINVAL (cap too small).
 */
LL_NODISCARD int ll_time_format(char *out, size_t cap, int64_t ms,
                                int32_t tz_min) LL_NONNULL(1);

/* Monotonic clock in nanoseconds (for benchmarks and timeouts). */
uint64_t ll_now_ns(void);

#endif
