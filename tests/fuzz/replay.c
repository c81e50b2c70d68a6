/* SPDX-License-Identifier: MIT */
/*
 * Plain driver for the libFuzzer harnesses: feeds every file named on the
 * command line (or found in a named directory) to LLVMFuzzerTestOneInput.
 * Lets gcc and sanitizer test builds replay each corpus on every run.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../../common/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        (void)fprintf(stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    struct ll_buf b;
    ll_buf_init(&b, (size_t)16 << 20);
    uint8_t chunk[4096];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (ll_buf_append(&b, chunk, n) != 0) {
            rc = 1;
            break;
        }
    }
    (void)fclose(f);
    if (rc == 0)
        (void)LLVMFuzzerTestOneInput(b.data ? b.data : (const uint8_t *)"",
                                     b.len);
    ll_buf_free(&b);
    return rc;
}

static int replay_path(const char *path, size_t *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        (void)fprintf(stderr, "replay: no such path %s\n", path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return replay_file(path);
    }
    DIR *d = opendir(path);
    if (d == NULL)
        return 1;
    int rc = 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) { /* NOLINT(concurrency-mt-unsafe) */
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        (void)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        rc |= replay_path(sub, count);
    }
    (void)closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++)
        rc |= replay_path(argv[i], &count);
    printf("replayed %zu inputs\n", count);
    return rc;
}
