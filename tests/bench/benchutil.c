/* SPDX-License-Identifier: MIT */
/* Benchmark helpers (see benchutil.h). */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../crypto/crypto.h"
#include "benchutil.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

void ll_bench_sort(double *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_double);
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int ll_bench_rmrf(const char *dir)
{
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

double ll_bench_median(const double *v, size_t n)
{
    double tmp[64];
    if (n == 0 || n > LL_ARRAY_LEN(tmp))
        return 0.0;
    memcpy(tmp, v, n * sizeof(*v));
    qsort(tmp, n, sizeof(*tmp), cmp_double);
    if (n % 2 == 1)
        return tmp[n / 2];
    return (tmp[n / 2 - 1] + tmp[n / 2]) / 2.0;
}

double ll_bench_rate(void (*fn)(void *arg), void *arg, uint64_t ops)
{
    double rates[LL_BENCH_RUNS];
    for (size_t i = 0; i < LL_BENCH_RUNS; i++) {
        uint64_t t0 = ll_now_ns();
        fn(arg);
        uint64_t dt = ll_now_ns() - t0;
        rates[i] = (double)ops * 1e9 / (double)(dt ? dt : 1);
    }
    return ll_bench_median(rates, LL_BENCH_RUNS);
}

void ll_bench_section(const char *title, const char *note)
{
    printf("\n### %s\n\n", title);
    if (note != NULL && *note != '\0')
        printf("%s\n\n", note);
    printf("| measurement | value | unit | note |\n");
    printf("|---|---:|---|---|\n");
}

void ll_bench_row(const char *name, double value, const char *unit,
                  const char *note)
{
    if (value >= 100.0)
        printf("| %s | %.0f | %s | %s |\n", name, value, unit,
               note ? note : "");
    else
        printf("| %s | %.3g | %s | %s |\n", name, value, unit,
               note ? note : "");
    (void)fflush(stdout);
}

void ll_bench_check(int rc, const char *what)
{
    if (rc != 0) {
        (void)fprintf(stderr, "bench: %s failed: %s\n", what, ll_strerror(rc));
        exit(1);
    }
}

void ll_bench_genesis_json(struct ll_buf *out, const char *chain,
                           const struct ll_keypair *keys, int n,
                           const char *prefix)
{
    char hex[65];
    ll_buf_reset(out);
    ll_bench_check(ll_buf_printf(out,
                                 "{\"chain_id\": \"%s\", \"genesis_time\": "
                                 "\"2026-01-01T00:00:00Z\", \"orgs\": [",
                                 chain),
                   "genesis");
    for (int i = 0; i < n; i++) {
        bool val = i == n - 1;
        ll_bench_check(ll_hex_encode(hex, sizeof(hex), keys[i].pk, 32), "hex");
        ll_bench_check(ll_buf_printf(out,
                                     "%s{\"id\": \"%s%d\", \"name\": "
                                     "\"%s%d\", \"keys\": [\"%s\"], "
                                     "\"roles\": [\"%s\"]%s}",
                                     i ? ", " : "", prefix, i, prefix, i, hex,
                                     val ? "validator" : "member",
                                     val ? ", \"power\": 1" : ""),
                       "genesis");
    }
    ll_bench_check(ll_buf_printf(out, "]}\n"), "genesis");
}
