/* SPDX-License-Identifier: MIT */
/*
 * Leveled logging to stderr, one line per call, and the assert handler.
 * Lines read "2026-11-23T20:21:00.123Z level=info <message>" so that the
 * key=value messages the daemon writes stay machine-readable.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

static atomic_int log_level = LL_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error",
                                          "off"};

void ll_log_set_level(enum ll_log_level level)
{
    atomic_store(&log_level, (int)level);
}

enum ll_log_level ll_log_get_level(void)
{
    return (enum ll_log_level)atomic_load(&log_level);
}

int ll_log_level_parse(enum ll_log_level *out, const char *s)
{
    for (size_t i = 0; i < LL_ARRAY_LEN(level_names); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum ll_log_level)i;
            return 0;
        }
    }
    return LL_EINVAL;
}

void ll_log(enum ll_log_level level, const char *fmt, ...)
{
    if ((int)level < atomic_load(&log_level) || level >= LL_LOG_OFF)
        return;
    char line[1024];
    struct timespec ts;
    struct tm tm;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    (void)gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    int k = snprintf(line + n, sizeof(line) - n, ".%03ldZ level=%s ",
                     ts.tv_nsec / 1000000L, level_names[level]);
    if (k > 0)
        n += (size_t)k;
    va_list ap;
    va_start(ap, fmt);
    if (n < sizeof(line)) {
        k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        if (k > 0)
            n += (size_t)k;
    }
    va_end(ap);
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2;
    line[n] = '\n';
    (void)fwrite(line, 1, n + 1, stderr);
}

void ll_assert_fail(const char *expr, const char *file, int line)
{
    (void)fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
    abort();
}

uint64_t ll_now_ns(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
