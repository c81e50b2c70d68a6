/* SPDX-License-Identifier: MIT */
/*
 * Damaged storage: a real populated LevelDB ledger (tables written through
 * a small write buffer, then blocks left in the newest log) is copied, one
 * file of the copy damaged (bit flips, truncations, deletions, zeroed
 * pages in the tables, the log, MANIFEST, CURRENT and COMMITTED), and the
 * copy opened with ll_ledger_open, the variant that creates a ledger where
 * there is none. Each open either refuses with a message naming the
 * problem, leaving every file of the directory byte for byte as it was,
 * or opens at the full height on a chain that ll_ledger_verify passes:
 * never a new ledger over the old one, never a silent rollback.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../ledger/internal.h"
#include "../../ledger/store.h"
#include "ledger_fixture.h"

#define MAX_FILES 256
#define BLOCKS1   30 /* written through a 64 KiB write buffer: tables */
#define BLOCKS2   6  /* then through the default one: left in the log */
#define EVENTS    12 /* per block */

/* Every file of a directory, sorted by name, with its bytes. */
struct files {
    size_t n;
    char name[MAX_FILES][64];
    uint8_t *data[MAX_FILES]; /* owned */
    size_t len[MAX_FILES];
};

static int cmp_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void files_read(struct files *f, const char *dir)
{
    memset(f, 0, sizeof(*f));
    DIR *d = opendir(dir);
    ASSERT_NOT_NULL(d);
    const struct dirent *de;
    while ((de = readdir(d)) != NULL) { /* NOLINT(concurrency-mt-unsafe) */
        if (de->d_name[0] == '.')
            continue;
        size_t nl = strlen(de->d_name);
        ASSERT_TRUE(f->n < MAX_FILES && nl < 64);
        memcpy(f->name[f->n++], de->d_name, nl + 1);
    }
    (void)closedir(d);
    qsort(f->name, f->n, sizeof(f->name[0]), cmp_name);
    for (size_t i = 0; i < f->n; i++) {
        char p[700];
        (void)snprintf(p, sizeof(p), "%s/%s", dir, f->name[i]);
        f->data[i] = ll_test_read_file(p, &f->len[i]);
        if (f->data[i] == NULL) /* an empty file reads as NULL */
            f->len[i] = 0;
    }
}

static void files_free(struct files *f)
{
    for (size_t i = 0; i < f->n; i++)
        ll_free(f->data[i]);
    f->n = 0;
}

static bool files_equal(const struct files *a, const struct files *b, char *why,
                        size_t cap)
{
    if (a->n != b->n) {
        (void)snprintf(why, cap, "%zu files before, %zu after", a->n, b->n);
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->name[i], b->name[i]) != 0 || a->len[i] != b->len[i] ||
            (a->len[i] > 0 && memcmp(a->data[i], b->data[i], a->len[i]) != 0)) {
            (void)snprintf(why, cap, "%s changed", a->name[i]);
            return false;
        }
    }
    return true;
}

static void write_bytes(const char *path, const uint8_t *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(n == 0 || write(fd, p, n) == (ssize_t)n);
    ASSERT_OK(close(fd));
}

/* A plain copy (never a hard link: the copy is damaged in place). */
static void copy_dir(const char *from, const char *to)
{
    struct files f;
    files_read(&f, from);
    ASSERT_OK(mkdir(to, 0700));
    for (size_t i = 0; i < f.n; i++) {
        char p[700];
        (void)snprintf(p, sizeof(p), "%s/%s", to, f.name[i]);
        write_bytes(p, f.data[i], f.len[i]);
    }
    files_free(&f);
}

/* Commit n blocks of EVENTS new lots each. */
static void add_blocks(struct ll_ledger *l, int n, int tag)
{
    struct ll_buf ev = {0};
    for (int b = 0; b < n; b++) {
        struct ll_block *blk = fx_begin(l);
        for (int i = 0; i < EVENTS; i++) {
            char lot[64];
            lotledger_Event *e =
                fx_event(lotledger_EventType_COMMISSION, FX_FARM);
            (void)snprintf(lot, sizeof(lot), "tlc/fda/123/D%d-%d-%d", tag, b,
                           i);
            fx_lot(e, lot, 1000u + (unsigned)i, "KGM");
            fx_sign(&ev, NULL, e, FX_FARM);
            fx_add(blk, &ev);
        }
        fx_commit(l, blk);
    }
    ll_buf_free(&ev);
}

/* The populated ledger in dir; returns its height. */
static uint64_t build(const char *dir, const struct ll_genesis *g)
{
    struct ll_ledger *l = NULL;
    struct ll_errmsg e = {{0}};
    struct ll_ledger_opts o = {0};
    o.create = true;
    o.write_buffer = (size_t)64 << 10;
    ASSERT_OK(ll_ledger_open_opts(&l, dir, g, &o, &e));
    add_blocks(l, BLOCKS1, 1);
    ll_ledger_close(l);
    ASSERT_OK(ll_ledger_open_existing(&l, dir, g, &e));
    add_blocks(l, BLOCKS2, 2);
    struct ll_ledger_tip tip;
    ll_ledger_tip(l, &tip);
    ll_ledger_close(l);
    ASSERT_UEQ(tip.height, (uint64_t)(BLOCKS1 + BLOCKS2));
    return tip.height;
}

/* Which file of the store a damage hits. */
enum target {
    T_SCHEMA,   /* the table holding the m:schema key */
    T_TABLE,    /* the largest table */
    T_LOG,      /* the newest log */
    T_MANIFEST, /* MANIFEST-* */
    T_CURRENT,
    T_COMMITTED,
};

enum how { FLIP, TRUNC_HALF, TRUNC_ZERO, TRUNC_ONE, DELETE, ZERO_PAGE, JUNK };

struct damage {
    const char *what;
    enum target target;
    enum how how;
};

static bool has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s);
    size_t b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* The file a target names (index into f), and for T_SCHEMA the offset of
 * the key's bytes in it. */
static size_t pick(const struct files *f, enum target t, size_t *at)
{
    size_t best = SIZE_MAX;
    *at = SIZE_MAX;
    for (size_t i = 0; i < f->n; i++) {
        const char *nm = f->name[i];
        bool take = false;
        if (t == T_SCHEMA && has_suffix(nm, ".ldb")) {
            for (size_t j = 0; j + 6 <= f->len[i] && !take; j++) {
                if (memcmp(f->data[i] + j, "schema", 6) == 0) {
                    take = true;
                    *at = j;
                }
            }
        } else if (t == T_TABLE && has_suffix(nm, ".ldb")) {
            take = best == SIZE_MAX || f->len[i] > f->len[best];
        } else if (t == T_LOG && has_suffix(nm, ".log")) {
            take = best == SIZE_MAX || strcmp(nm, f->name[best]) > 0;
        } else if (t == T_MANIFEST) {
            take = strncmp(nm, "MANIFEST-", 9) == 0;
        } else if (t == T_CURRENT) {
            take = strcmp(nm, "CURRENT") == 0;
        } else if (t == T_COMMITTED) {
            take = strcmp(nm, LL_LEDGER_COMMITTED_FILE) == 0;
        }
        if (take)
            best = i;
        if (take && t == T_SCHEMA)
            break;
    }
    if (best == SIZE_MAX)
        ll_test_fail(__FILE__, __LINE__, "no file for target %d", (int)t);
    return best;
}

/* Damage the copy in dir. */
static void apply(const char *dir, const struct damage *d)
{
    struct files f;
    size_t at = SIZE_MAX;
    files_read(&f, dir);
    size_t i = pick(&f, d->target, &at);
    char p[700];
    (void)snprintf(p, sizeof(p), "%s/%s", dir, f.name[i]);
    uint8_t *b = f.data[i];
    size_t n = f.len[i];
    size_t mid = at != SIZE_MAX ? at : n / 2;
    switch (d->how) {
    case FLIP:
        ASSERT_TRUE(n > 0);
        b[mid] ^= 0x01;
        write_bytes(p, b, n);
        break;
    case TRUNC_HALF:
        write_bytes(p, b, mid);
        break;
    case TRUNC_ZERO:
        write_bytes(p, b, 0);
        break;
    case TRUNC_ONE:
        write_bytes(p, b, n > 0 ? n - 1 : 0);
        break;
    case DELETE:
        ASSERT_OK(unlink(p));
        break;
    case ZERO_PAGE: {
        size_t off = mid & ~(size_t)4095;
        size_t end = off + 4096 < n ? off + 4096 : n;
        memset(b + off, 0, end - off);
        write_bytes(p, b, n);
        break;
    }
    case JUNK:
        write_bytes(p, (const uint8_t *)"MANIFEST-999999\n", 16);
        break;
    }
    files_free(&f);
}

/* Open the damaged copy; check the outcome (file comment). Returns whether
 * the open refused. */
static bool check_open(const char *what, const char *dir,
                       const struct ll_genesis *g, uint64_t height)
{
    struct files before;
    struct files after;
    struct ll_ledger *l = NULL;
    struct ll_errmsg e = {{0}};
    char why[128];
    char side[700];
    files_read(&before, dir);
    int rc = ll_ledger_open(&l, dir, g, &e);
    if (rc != 0) {
        if (rc == LL_ENOTFOUND || e.text[0] == '\0')
            ll_test_fail(__FILE__, __LINE__, "%s: refused as %s '%s'", what,
                         ll_err_name(rc), e.text);
        files_read(&after, dir);
        if (!files_equal(&before, &after, why, sizeof(why)))
            ll_test_fail(__FILE__, __LINE__, "%s: refused (%s) but %s", what,
                         e.text, why);
        files_free(&after);
        (void)snprintf(side, sizeof(side), "%s.check", dir);
        ASSERT_TRUE(access(side, F_OK) != 0);
        printf("    %-34s refused: %s\n", what, e.text);
    } else {
        struct ll_ledger_tip tip;
        struct ll_verify_report r;
        ll_ledger_tip(l, &tip);
        if (tip.height != height)
            ll_test_fail(
                __FILE__, __LINE__, "%s: opened at height %llu, not %llu", what,
                (unsigned long long)tip.height, (unsigned long long)height);
        rc = ll_ledger_verify(l, &r, &e);
        if (rc != 0)
            ll_test_fail(__FILE__, __LINE__,
                         "%s: opened a store that does not verify: %s", what,
                         e.text);
        ll_ledger_close(l);
        printf("    %-34s opened at the full height; verifies\n", what);
    }
    files_free(&before);
    return rc != 0;
}

static const struct damage damages[] = {
    {"schema key: bit flip", T_SCHEMA, FLIP},
    {"schema table: truncated at the key", T_SCHEMA, TRUNC_HALF},
    {"schema table: truncated to 0", T_SCHEMA, TRUNC_ZERO},
    {"schema table: last byte cut", T_SCHEMA, TRUNC_ONE},
    {"schema table: deleted", T_SCHEMA, DELETE},
    {"schema table: page zeroed", T_SCHEMA, ZERO_PAGE},
    {"largest table: bit flip", T_TABLE, FLIP},
    {"largest table: half", T_TABLE, TRUNC_HALF},
    {"largest table: deleted", T_TABLE, DELETE},
    {"largest table: page zeroed", T_TABLE, ZERO_PAGE},
    {"newest log: bit flip", T_LOG, FLIP},
    {"newest log: half", T_LOG, TRUNC_HALF},
    {"newest log: truncated to 0", T_LOG, TRUNC_ZERO},
    {"newest log: last byte cut", T_LOG, TRUNC_ONE},
    {"newest log: deleted", T_LOG, DELETE},
    {"newest log: page zeroed", T_LOG, ZERO_PAGE},
    {"MANIFEST: bit flip", T_MANIFEST, FLIP},
    {"MANIFEST: half", T_MANIFEST, TRUNC_HALF},
    {"MANIFEST: truncated to 0", T_MANIFEST, TRUNC_ZERO},
    {"MANIFEST: deleted", T_MANIFEST, DELETE},
    {"MANIFEST: page zeroed", T_MANIFEST, ZERO_PAGE},
    {"CURRENT: deleted", T_CURRENT, DELETE},
    {"CURRENT: bit flip", T_CURRENT, FLIP},
    {"CURRENT: names no manifest", T_CURRENT, JUNK},
    {"CURRENT: empty", T_CURRENT, TRUNC_ZERO},
    {"COMMITTED: bit flip", T_COMMITTED, FLIP},
    {"COMMITTED: half", T_COMMITTED, TRUNC_HALF},
    {"COMMITTED: deleted", T_COMMITTED, DELETE},
};

/*
 * Every damage of the table on its own copy of one populated ledger, then
 * a random bit flipped in every file of the store, one file per copy.
 */
static void test_damages(void)
{
    char root[512];
    char pristine[600];
    char copy[600];
    struct ll_genesis *g = fx_genesis();
    ll_test_tmpdir(root, sizeof(root));
    (void)snprintf(pristine, sizeof(pristine), "%s/pristine", root);
    uint64_t height = build(pristine, g);
    size_t refused = 0;
    size_t cases = 0;
    for (size_t i = 0; i < LL_ARRAY_LEN(damages); i++) {
        (void)snprintf(copy, sizeof(copy), "%s/case%zu", root, i);
        copy_dir(pristine, copy);
        apply(copy, &damages[i]);
        refused += check_open(damages[i].what, copy, g, height);
        cases++;
        ll_test_rmrf(copy);
    }
    /* A deleted COMMITTED only loses the rollback check (it is written
     * again); every other damage above is refused. */
    ASSERT_UEQ(refused, (uint64_t)(LL_ARRAY_LEN(damages) - 1));
    struct files f;
    files_read(&f, pristine);
    for (size_t i = 0; i < f.n; i++) {
        if (f.len[i] == 0 || strcmp(f.name[i], "LOCK") == 0 ||
            strncmp(f.name[i], "LOG", 3) == 0)
            continue;
        char what[96];
        char p[700];
        size_t off = ll_test_rand_below((uint32_t)f.len[i]);
        (void)snprintf(copy, sizeof(copy), "%s/flip%zu", root, i);
        copy_dir(pristine, copy);
        (void)snprintf(p, sizeof(p), "%s/%s", copy, f.name[i]);
        f.data[i][off] ^= (uint8_t)(1u << ll_test_rand_below(8));
        write_bytes(p, f.data[i], f.len[i]);
        (void)snprintf(what, sizeof(what), "%s: bit flip at %zu", f.name[i],
                       off);
        refused += check_open(what, copy, g, height);
        cases++;
        ll_test_rmrf(copy);
    }
    files_free(&f);
    printf("    %zu damages: %zu refused, %zu opened at the full height\n",
           cases, refused, cases - refused);
    ll_test_rmrf(root);
    ll_free(g);
}

/*
 * The newest log deleted: LevelDB opens at an earlier tip without a word.
 * The open refuses (LL_ESTALE) until told to accept it; then it opens at
 * that tip, which verifies, and the committed record follows it, so the
 * next open needs no flag.
 */
static void test_rollback_refused_then_accepted(void)
{
    char root[512];
    char dir[600];
    struct ll_genesis *g = fx_genesis();
    ll_test_tmpdir(root, sizeof(root));
    (void)snprintf(dir, sizeof(dir), "%s/ledger", root);
    uint64_t height = build(dir, g);
    static const struct damage del = {"log", T_LOG, DELETE};
    apply(dir, &del);
    struct ll_ledger *l = NULL;
    struct ll_errmsg e = {{0}};
    ASSERT_ERR(ll_ledger_open_existing(&l, dir, g, &e), LL_ESTALE);
    ASSERT_TRUE(strstr(e.text, "rolled back") != NULL);
    struct ll_ledger_opts o = {0};
    o.accept_rollback = true;
    ASSERT_OK(ll_ledger_open_opts(&l, dir, g, &o, &e));
    struct ll_ledger_tip tip;
    ll_ledger_tip(l, &tip);
    ASSERT_TRUE(tip.height < height);
    struct ll_verify_report r;
    ASSERT_OK(ll_ledger_verify(l, &r, &e));
    add_blocks(l, 1, 3);
    ll_ledger_close(l);
    ASSERT_OK(ll_ledger_open_existing(&l, dir, g, &e));
    struct ll_ledger_tip tip2;
    ll_ledger_tip(l, &tip2);
    ASSERT_UEQ(tip2.height, tip.height + 1);
    ll_ledger_close(l);
    ll_test_rmrf(root);
    ll_free(g);
}

/*
 * Creating is explicit and only where there is nothing; opening never
 * creates; a store whose schema record is gone is damaged, not absent.
 */
static void test_create_and_open_rules(void)
{
    char root[512];
    char dir[600];
    char p[700];
    struct ll_genesis *g = fx_genesis();
    struct ll_ledger *l = NULL;
    struct ll_errmsg e = {{0}};
    struct ll_ledger_opts create = {0};
    create.create = true;
    ll_test_tmpdir(root, sizeof(root));
    (void)snprintf(dir, sizeof(dir), "%s/ledger", root);
    ASSERT_ERR(ll_ledger_open_existing(&l, dir, g, &e), LL_ENOTFOUND);
    ASSERT_TRUE(access(dir, F_OK) != 0); /* nothing made */
    ASSERT_OK(mkdir(dir, 0700));
    ASSERT_ERR(ll_ledger_open_existing(&l, dir, g, &e), LL_ENOTFOUND);
    ASSERT_OK(ll_ledger_open_opts(&l, dir, g, &create, &e));
    ll_ledger_close(l);
    (void)snprintf(p, sizeof(p), "%s.new", dir);
    ASSERT_TRUE(access(p, F_OK) != 0);
    ASSERT_ERR(ll_ledger_open_opts(&l, dir, g, &create, &e), LL_EEXIST);
    /* A directory holding anything at all is not made a ledger. */
    char other[600];
    (void)snprintf(other, sizeof(other), "%s/other", root);
    ASSERT_OK(mkdir(other, 0700));
    (void)snprintf(p, sizeof(p), "%s/000005.ldb", other);
    write_bytes(p, (const uint8_t *)"x", 1);
    ASSERT_ERR(ll_ledger_open_opts(&l, other, g, &create, &e), LL_EEXIST);
    ASSERT_ERR(ll_ledger_open(&l, other, g, &e), LL_ECORRUPT);
    ASSERT_TRUE(strstr(e.text, "no CURRENT") != NULL);
    /* The schema record deleted: refused, and no genesis written over. */
    struct ll_store *s = NULL;
    struct ll_store_batch *wb = NULL;
    ASSERT_OK(ll_store_open(&s, dir, false, 0, &e));
    ASSERT_OK(ll_store_batch_new(&wb));
    ll_store_batch_del(wb, "mschema", 7);
    ASSERT_OK(ll_store_write(s, wb, true));
    ll_store_batch_free(wb);
    ll_store_close(s);
    ASSERT_ERR(ll_ledger_open(&l, dir, g, &e), LL_ECORRUPT);
    ASSERT_TRUE(strstr(e.text, "schema") != NULL);
    ll_test_rmrf(root);
    ll_free(g);
}

/* The committed record's parser takes exactly what the writer writes. */
static void test_committed_record(void)
{
#define HEXA "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
    static const struct {
        const char *text;
        int rc;
    } cases[] = {
        {"lotledger committed v1 height 00000000000000000007 hash " HEXA "\n",
         0},
        {"lotledger committed v1 height 18446744073709551615 hash " HEXA "\n",
         0},
        {"lotledger committed v1 height 18446744073709551616 hash " HEXA "\n",
         LL_EDECODE},
        {"lotledger committed v1 height 7 hash " HEXA "\n", LL_EDECODE},
        {"lotledger committed v1 height 0000000000000000000x hash " HEXA "\n",
         LL_EDECODE},
        {"lotledger committed v1 height 00000000000000000007 hash "
         "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\n",
         LL_EDECODE},
        {"lotledger committed v1 height 00000000000000000007 hash " HEXA,
         LL_EDECODE},
        {"lotledger committed v1 height 00000000000000000007 hash " HEXA "\r",
         LL_EDECODE},
        {"", LL_EDECODE},
    };
#undef HEXA
    for (size_t i = 0; i < LL_ARRAY_LEN(cases); i++) {
        uint64_t h = 0;
        uint8_t hash[32];
        ASSERT_EQ(ll_ledger__committed_parse(cases[i].text,
                                             strlen(cases[i].text), &h, hash),
                  cases[i].rc);
    }
    char root[512];
    uint8_t hash[32];
    uint8_t back[32];
    uint64_t h = 0;
    ll_test_tmpdir(root, sizeof(root));
    memset(hash, 0xab, sizeof(hash));
    ASSERT_OK(ll_ledger__committed_write(root, 18446744073709551615u, hash));
    ASSERT_OK(ll_ledger__committed_read(root, &h, back, NULL));
    ASSERT_UEQ(h, 18446744073709551615u);
    ASSERT_MEM_EQ(back, hash, 32);
    /* Overwritten in place: same length, so nothing of the old remains. */
    int fd = ll_ledger__committed_open(root);
    ASSERT_GE(fd, 0);
    hash[0] = 0x01;
    ASSERT_OK(ll_ledger__committed_update(fd, 5, hash));
    ASSERT_OK(close(fd));
    ASSERT_OK(ll_ledger__committed_read(root, &h, back, NULL));
    ASSERT_UEQ(h, 5u);
    ASSERT_MEM_EQ(back, hash, 32);
    ll_test_rmrf(root);
}

static const struct ll_test tests[] = {
    {"damages", test_damages},
    {"rollback_refused_then_accepted", test_rollback_refused_then_accepted},
    {"create_and_open_rules", test_create_and_open_rules},
    {"committed_record", test_committed_record},
};

LL_TEST_MAIN(tests)
