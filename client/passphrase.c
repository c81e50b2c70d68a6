/* SPDX-License-Identifier: MIT */
/*
 * Where a keystore passphrase comes from, in order: --passphrase-file, the
 * LOTLEDGER_PASSPHRASE environment variable, or a prompt on the terminal
 * with echo off (asked twice when a new key is made). The passphrase lives
 * in the caller's fixed buffer, which the caller wipes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"

/*
 * Read one line (without its newline) from f into out. Returns 0, LL_EIO
 * (a read error: errno says which), LL_ENOTFOUND (nothing to read) or
 * LL_ETOOBIG (the line does not fit).
 */
static int read_line(FILE *f, char *out, size_t cap, size_t *len)
{
    errno = 0;
    if (fgets(out, (int)cap, f) == NULL)
        return ferror(f) ? LL_EIO : LL_ENOTFOUND;
    size_t n = strlen(out);
    if (n > 0 && out[n - 1] == '\n')
        out[--n] = '\0';
    else if (n == cap - 1)
        return LL_ETOOBIG;
    if (n > 0 && out[n - 1] == '\r')
        out[--n] = '\0';
    *len = n;
    return 0;
}

/* Prompt on the terminal with echo off. */
static int prompt(const char *what, char *out, size_t cap, size_t *len)
{
    FILE *tty = fopen("/dev/tty", "r+");
    if (tty == NULL)
        return LL_ENOTFOUND;
    struct termios old;
    struct termios quiet;
    int fd = fileno(tty);
    bool echo_off = tcgetattr(fd, &old) == 0;
    if (echo_off) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }
    (void)fprintf(tty, "%s: ", what);
    (void)fflush(tty);
    int rc = read_line(tty, out, cap, len);
    if (echo_off)
        (void)tcsetattr(fd, TCSAFLUSH, &old);
    (void)fputc('\n', tty);
    (void)fclose(tty);
    return rc;
}

/* The first line of file, each failure named. */
static int from_file(const char *cmd, const char *file, char *out, size_t cap,
                     size_t *len)
{
    /* The CLI is single-threaded: strerror is safe here. */
    FILE *f = fopen(file, "r");
    if (f == NULL) {
        ll_cli_error(cmd, "cannot open passphrase file '%s': %s", file,
                     strerror(errno)); /* NOLINT */
        return LL_EIO;
    }
    int rc = read_line(f, out, cap, len);
    int err = errno;
    (void)fclose(f);
    if (rc == LL_EIO)
        ll_cli_error(cmd, "cannot read passphrase file '%s': %s", file,
                     strerror(err)); /* NOLINT */
    else if (rc == LL_ENOTFOUND)
        ll_cli_error(cmd, "passphrase file '%s' is empty", file);
    else if (rc)
        ll_cli_error(cmd,
                     "passphrase file '%s': its first line is longer than "
                     "%zu bytes",
                     file, cap - 2);
    return rc;
}

/* Asked on the terminal, twice when confirm. */
static int from_terminal(const char *cmd, char *out, size_t cap, size_t *len,
                         bool confirm)
{
    int rc = prompt("Passphrase", out, cap, len);
    if (rc == LL_ENOTFOUND) {
        ll_cli_error(cmd, "no terminal to ask for a passphrase: use "
                          "--passphrase-file or LOTLEDGER_PASSPHRASE");
        return rc;
    }
    if (rc == 0 && confirm) {
        char again[LL_CLI_PASS_MAX];
        size_t alen = 0;
        rc = prompt("Again", again, sizeof(again), &alen);
        if (rc == 0 && (alen != *len || !ll_crypto_memeq(again, out, alen)))
            rc = LL_EAUTH;
        ll_crypto_wipe(again, sizeof(again));
        if (rc == LL_EAUTH) {
            ll_cli_error(cmd, "the two passphrases differ");
            return rc;
        }
    }
    if (rc)
        ll_cli_error(cmd, "cannot read the passphrase");
    return rc;
}

int ll_cli_passphrase(const char *cmd, char *out, size_t cap, size_t *len,
                      const char *file, bool confirm)
{
    int rc = 0;
    /* The CLI is single-threaded: getenv is safe here. */
    const char *env = getenv("LOTLEDGER_PASSPHRASE"); /* NOLINT */
    if (file != NULL) {
        rc = from_file(cmd, file, out, cap, len);
    } else if (env != NULL) {
        size_t n = strlen(env);
        if (n >= cap) {
            ll_cli_error(cmd, "LOTLEDGER_PASSPHRASE is longer than %zu bytes",
                         cap - 1);
            return LL_ETOOBIG;
        }
        memcpy(out, env, n + 1);
        *len = n;
    } else {
        rc = from_terminal(cmd, out, cap, len, confirm);
    }
    if (rc)
        return rc;
    if (*len == 0) {
        ll_cli_error(cmd, "the passphrase is empty");
        return LL_EINVAL;
    }
    return 0;
}
