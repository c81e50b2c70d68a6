/* SPDX-License-Identifier: MIT */
/*
 * Benchmark helpers: run a measurement several times and report the median,
 * and print results as Markdown table rows that tests/bench/run.sh collects
 * into docs/benchmarks.md. Benchmarks time whole batches (never one call),
 * and report ratios against a reference measured in the same run.
 */
#ifndef LL_BENCHUTIL_H
#define LL_BENCHUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "../../common/common.h"

#define LL_BENCH_RUNS 5

/* Median of n doubles (sorts a copy; n <= 64). */
double ll_bench_median(const double *v, size_t n);

/* Sort n doubles ascending, in place (for percentiles). */
void ll_bench_sort(double *v, size_t n);

/* Remove a directory tree (a benchmark's data). Returns nftw's result. */
int ll_bench_rmrf(const char *dir);

/*
 * Time fn(arg) LL_BENCH_RUNS times; each call performs `ops` operations.
 * Returns: the median rate in operations per second.
 */
double ll_bench_rate(void (*fn)(void *arg), void *arg, uint64_t ops);

/* Print a Markdown section heading and a table header. */
void ll_bench_section(const char *title, const char *note);
/* Print one table row: name | value | unit | note. */
void ll_bench_row(const char *name, double value, const char *unit,
                  const char *note);

/*
 * A genesis JSON for benchmarks: n organisations "<prefix><i>" with
 * keys[i], the last one the validator (power 1), the others members.
 * Written to out (reset first); exits on failure.
 */
struct ll_keypair;
void ll_bench_genesis_json(struct ll_buf *out, const char *chain,
                           const struct ll_keypair *keys, int n,
                           const char *prefix);

/* Fail the benchmark run (prints to stderr, exits 1) if rc != 0. */
void ll_bench_check(int rc, const char *what);

#endif
