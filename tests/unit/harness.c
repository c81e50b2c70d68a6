/* SPDX-License-Identifier: MIT */
/* The unit-test runner behind tests/unit/test.h. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

static uint64_t run_seed;
static uint64_t rng_state;

uint64_t ll_test_seed(void)
{
    return run_seed;
}

uint64_t ll_test_rand(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t ll_test_rand_below(uint32_t upper)
{
    return upper == 0 ? 0 : (uint32_t)(ll_test_rand() % upper);
}

void ll_test_rand_bytes(void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)ll_test_rand();
}

const char *ll_test_vectors_dir(void)
{
    const char *v = getenv("LL_VECTORS"); /* NOLINT(concurrency-mt-unsafe) */
    return v != NULL ? v : "../shared/vectors";
}

uint8_t *ll_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct ll_buf b;
    ll_buf_init(&b, (size_t)1 << 30);
    uint8_t chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (ll_buf_append(&b, chunk, n) != 0) {
            (void)fclose(f);
            return NULL;
        }
    }
    (void)fclose(f);
    if (ll_buf_cstr(&b) != 0)
        return NULL;
    *len = b.len;
    return b.data;
}

void ll_test_tmpdir(char *out, size_t outcap)
{
    const char *base = getenv("TMPDIR"); /* NOLINT(concurrency-mt-unsafe) */
    (void)snprintf(out, outcap, "%s/lltest.XXXXXX", base ? base : "/tmp");
    if (mkdtemp(out) == NULL)
        ll_test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
}

void ll_test_rmrf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d != NULL) {
            const struct dirent *e;
            while ((e = readdir(d)) !=
                   NULL) { /* NOLINT(concurrency-mt-unsafe) */
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char sub[4096];
                (void)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
                ll_test_rmrf(sub);
            }
            (void)closedir(d);
        }
        (void)rmdir(path);
    } else {
        (void)unlink(path);
    }
}

void ll_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    (void)fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    (void)vfprintf(stderr, fmt, ap);
    va_end(ap);
    (void)fprintf(stderr, "\n");
    (void)fflush(stderr);
    _exit(1);
}

void ll_test_fail_mem(const char *file, int line, const char *ea,
                      const char *eb, const void *a, const void *b, size_t n)
{
    const uint8_t *pa = a;
    const uint8_t *pb = b;
    (void)fprintf(stderr,
                  "    %s:%d: %s == %s (%zu bytes)\n      left:  ", file, line,
                  ea, eb, n);
    for (size_t i = 0; i < n && i < 64; i++)
        (void)fprintf(stderr, "%02x", pa[i]);
    (void)fprintf(stderr, "\n      right: ");
    for (size_t i = 0; i < n && i < 64; i++)
        (void)fprintf(stderr, "%02x", pb[i]);
    (void)fprintf(stderr, "\n");
    (void)fflush(stderr);
    _exit(1);
}

/* Run one case in a child; returns true if it passed. */
static bool run_case(const struct ll_test *t, unsigned timeout, bool nofork)
{
    rng_state = run_seed;
    for (const char *p = t->name; *p; p++)
        rng_state = rng_state * 131 + (uint8_t)*p;
    if (nofork) {
        t->fn();
        return true;
    }
    (void)fflush(stdout);
    (void)fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        (void)fprintf(stderr, "fork: %s\n", strerror(errno));
        return false;
    }
    if (pid == 0) {
        /* Own process group: whatever the case starts dies with it. */
        (void)setpgid(0, 0);
        (void)alarm(timeout);
        t->fn();
        (void)fflush(stdout);
        exit(0); /* exit, not _exit: LeakSanitizer reports at exit */
    }
    (void)setpgid(pid, pid); /* either side may win the race */
    int status = 0;
    int w;
    while ((w = (int)waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    /*
     * Kill what the case left behind (a server it started, a writer it
     * forked) even if it failed or timed out: an orphan holding the
     * runner's stdout pipe would otherwise hang the whole test run.
     */
    (void)kill(-pid, SIGKILL);
    if (w < 0)
        return false;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        (void)fprintf(stderr, "    killed by signal %d%s\n", sig,
                      sig == SIGALRM ? " (timeout)" : "");
    }
    return false;
}

static void usage(const char *argv0)
{
    (void)fprintf(stderr,
                  "usage: %s [-t NAME] [--seed N] [--timeout SECONDS] "
                  "[--list] [--no-fork]\n",
                  argv0);
}

int ll_test_main(const struct ll_test *tests, size_t n, int argc, char **argv)
{
    const char *only = NULL;
    unsigned timeout = 300;
    bool nofork = false;
    const char *seed_env = getenv("LL_TEST_SEED"); /* NOLINT */
    run_seed = seed_env ? strtoull(seed_env, NULL, 0) : (uint64_t)time(NULL);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            run_seed = strtoull(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            timeout = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--no-fork") == 0) {
            nofork = true;
        } else if (strcmp(argv[i], "--list") == 0) {
            for (size_t k = 0; k < n; k++)
                printf("%s\n", tests[k].name);
            return 0;
        } else {
            usage(argv[0]);
            return 2;
        }
    }
    printf("# %s seed=%" PRIu64 "\n", argv[0], run_seed);
    size_t passed = 0;
    size_t failed = 0;
    for (size_t k = 0; k < n; k++) {
        if (only != NULL && strcmp(only, tests[k].name) != 0)
            continue;
        bool ok = run_case(&tests[k], timeout, nofork);
        printf("%s %s\n", ok ? "ok  " : "FAIL", tests[k].name);
        (void)fflush(stdout);
        if (ok)
            passed++;
        else
            failed++;
    }
    if (only != NULL && passed + failed == 0) {
        (void)fprintf(stderr, "no case named '%s'\n", only);
        return 2;
    }
    printf("%zu passed, %zu failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
