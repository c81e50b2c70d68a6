/* SPDX-License-Identifier: MIT */
/*
 * Crash safety: a child process appends blocks to a real LevelDB ledger
 * and reports each height once ll_ledger_commit has returned; the parent
 * kills it with SIGKILL at a random moment, reopens the store, and checks
 * that it opens at a committed block, that no acknowledged block is
 * missing, and that the whole chain verifies. Repeated for many rounds on
 * the same directory (LL_CRASH_ROUNDS, default 60).
 *
 * With LL_CRASH_KEEP=DIR the ledger is left in DIR/ledger with the genesis
 * in DIR/genesis.json, for tests that check it with other programs.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ledger_fixture.h"

/* The child: commit blocks forever, writing each height to fd. */
static void child_loop(const char *dir, const struct ll_genesis *g, int fd,
                       int round)
{
    struct ll_ledger *l = NULL;
    if (ll_ledger_open(&l, dir, g, NULL) != 0)
        _exit(3);
    struct ll_buf ev = {0};
    for (int blk = 0;; blk++) {
        struct ll_block *b = fx_begin(l);
        int n = 1 + (blk * 7 + round) % 25;
        for (int i = 0; i < n; i++) {
            char lot[64];
            lotledger_Event *e =
                fx_event(lotledger_EventType_COMMISSION, FX_FARM);
            (void)snprintf(lot, sizeof(lot), "tlc/fda/123/R%d-B%d-E%d", round,
                           blk, i);
            fx_lot(e, lot, 1000u + (unsigned)i, "KGM");
            fx_sign(&ev, NULL, e, FX_FARM);
            if (ll_block_add(b, ev.data, ev.len, false, NULL, NULL, NULL) != 0)
                _exit(4);
        }
        fx_commit(l, b);
        struct ll_ledger_tip tip;
        ll_ledger_tip(l, &tip);
        uint8_t rec[8];
        ll_store_be64(rec, tip.height);
        if (write(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec))
            _exit(5);
    }
}

/* The highest height the child acknowledged (0 if none). */
static uint64_t read_acked(int fd)
{
    uint8_t rec[8];
    uint64_t acked = 0;
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, rec + have, sizeof(rec) - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t)n;
        if (have == sizeof(rec)) {
            acked = ll_load_be64(rec);
            have = 0;
        }
    }
    return acked;
}

static void test_sigkill_rounds(void)
{
    char dir[512];
    const char *env = getenv("LL_CRASH_ROUNDS"); /* NOLINT */
    int rounds = env ? (int)strtol(env, NULL, 10) : 60;
    struct ll_genesis *g = fx_genesis();
    const char *keep = getenv("LL_CRASH_KEEP"); /* NOLINT */
    if (keep != NULL) {
        char path[600];
        (void)snprintf(path, sizeof(path), "%s/genesis.json", keep);
        char *json = fx_genesis_json();
        FILE *f = fopen(path, "w");
        ASSERT_NOT_NULL(f);
        ASSERT_UEQ(fwrite(json, 1, strlen(json), f), strlen(json));
        ASSERT_OK(fclose(f));
        ll_free(json);
        (void)snprintf(dir, sizeof(dir), "%s/ledger", keep);
    } else {
        ll_test_tmpdir(dir, sizeof(dir));
    }
    uint64_t last_tip = 0;
    int killed_mid = 0;
    for (int r = 0; r < rounds; r++) {
        int fds[2];
        ASSERT_OK(pipe(fds));
        (void)fflush(NULL);
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            (void)close(fds[0]);
            child_loop(dir, g, fds[1], r);
        }
        (void)close(fds[1]);
        /*
         * Wait for its first block of the round (so every round does real
         * work however slow the machine), let it run 0-60 ms more, then
         * kill it wherever it is.
         */
        uint8_t first[8];
        size_t have = 0;
        while (have < sizeof(first)) {
            ssize_t k = read(fds[0], first + have, sizeof(first) - have);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                ll_test_fail(__FILE__, __LINE__, "round %d: writer died", r);
            have += (size_t)k;
        }
        struct timespec ts = {0, (long)ll_test_rand_below(61) * 1000000L};
        (void)nanosleep(&ts, NULL);
        ASSERT_OK(kill(pid, SIGKILL));
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status))
            ll_test_fail(__FILE__, __LINE__, "round %d: child exited %d", r,
                         WEXITSTATUS(status));
        killed_mid++;
        uint64_t acked = read_acked(fds[0]);
        if (acked == 0)
            acked = ll_load_be64(first);
        (void)close(fds[0]);

        struct ll_ledger *l = NULL;
        struct ll_errmsg e = {{0}};
        int rc = ll_ledger_open(&l, dir, g, &e);
        if (rc)
            ll_test_fail(__FILE__, __LINE__, "round %d: reopen: %s", r, e.text);
        struct ll_ledger_tip tip;
        ll_ledger_tip(l, &tip);
        /* Nothing acknowledged is lost, nothing committed goes back. */
        if (tip.height < acked || tip.height < last_tip)
            ll_test_fail(__FILE__, __LINE__,
                         "round %d: tip %llu, acknowledged %llu, before %llu",
                         r, (unsigned long long)tip.height,
                         (unsigned long long)acked,
                         (unsigned long long)last_tip);
        struct ll_verify_report rep;
        rc = ll_ledger_verify(l, &rep, &e);
        if (rc)
            ll_test_fail(__FILE__, __LINE__, "round %d: verify: %s", r, e.text);
        ASSERT_UEQ(rep.height, tip.height);
        last_tip = tip.height;
        ll_ledger_close(l);
    }
    printf("    %d kills, %llu blocks survived\n", killed_mid,
           (unsigned long long)last_tip);
    /* Each round committed at least one block, and none was lost. */
    ASSERT_GE(last_tip, (uint64_t)rounds);
    if (keep == NULL)
        ll_test_rmrf(dir);
    ll_free(g);
}

static const struct ll_test tests[] = {
    {"sigkill_rounds", test_sigkill_rounds},
};

LL_TEST_MAIN(tests)
