/* SPDX-License-Identifier: MIT */
/*
 * lotledger keygen / key-info: create an organisation's BIP-340 signing key
 * in a new keystore file (Argon2id + XChaCha20-Poly1305, docs/keystore.md),
 * and show a keystore's public key without its passphrase.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"

static const char keygen_usage[] =
    "usage: lotledger keygen -o FILE [--passphrase-file F] [--kdf-mem MIB]\n"
    "                        [--kdf-ops N]\n"
    "\n"
    "Create a new signing key and seal it in a keystore file (mode 0600;\n"
    "an existing file is never overwritten). Prints the public key and key\n"
    "id to put in the network's genesis file.\n"
    "\n"
    "  -o, --out FILE         the keystore to create\n"
    "  --passphrase-file F    read the passphrase from F's first line;\n"
    "                         otherwise LOTLEDGER_PASSPHRASE, otherwise a\n"
    "                         prompt on the terminal (asked twice)\n"
    "  --kdf-mem MIB          Argon2id memory, 1..1024 MiB (default 64)\n"
    "  --kdf-ops N            Argon2id passes, 1..16 (default 3)\n"
    "  -h, --help             this help\n";

/* Print the public key and key id of pk. */
static void print_key(const uint8_t pk[32])
{
    char hex[65];
    uint8_t kid[LL_KEYID_LEN];
    char khex[2 * LL_KEYID_LEN + 1];
    ll_keyid(kid, pk);
    if (ll_hex_encode(hex, sizeof(hex), pk, 32) == 0 &&
        ll_hex_encode(khex, sizeof(khex), kid, sizeof(kid)) == 0)
        printf("public key: %s\nkey id:     %s\n", hex, khex);
}

struct keygen_args {
    const char *out;
    const char *pass_file;
    uint64_t mem_mib;
    uint64_t ops;
};

/* Parse keygen's arguments; -1 to go on, or an exit status. */
static int keygen_parse(int argc, char **argv, struct keygen_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
            (void)fputs(keygen_usage, stdout);
            return LL_EXIT_OK;
        }
        bool takes = strcmp(o, "-o") == 0 || strcmp(o, "--out") == 0 ||
                     strcmp(o, "--passphrase-file") == 0 ||
                     strcmp(o, "--kdf-mem") == 0 || strcmp(o, "--kdf-ops") == 0;
        if (!takes) {
            ll_cli_error(argv[0], "unknown argument '%s' (see --help)", o);
            return LL_EXIT_USAGE;
        }
        if (val == NULL) {
            ll_cli_error(argv[0], "%s needs a value", o);
            return LL_EXIT_USAGE;
        }
        i++;
        int rc = 0;
        if (o[1] == 'o' || strcmp(o, "--out") == 0)
            a->out = val;
        else if (strcmp(o, "--passphrase-file") == 0)
            a->pass_file = val;
        else if (strcmp(o, "--kdf-mem") == 0)
            rc = ll_cli_uint(argv[0], o, val, 1, 1024, &a->mem_mib);
        else
            rc = ll_cli_uint(argv[0], o, val, LL_KEYSTORE_OPS_MIN,
                             LL_KEYSTORE_OPS_MAX, &a->ops);
        if (rc)
            return LL_EXIT_USAGE;
    }
    if (a->out == NULL) {
        ll_cli_error(argv[0], "-o FILE is required (see --help)");
        return LL_EXIT_USAGE;
    }
    return -1;
}

/*
 * Before the passphrase and the key derivation: can a new file be made at
 * path? Names what is wrong (it exists, its directory is missing, is not a
 * directory or is not writable) and returns LL_EXIT_FAIL, else -1.
 */
static int out_path_check(const char *cmd, const char *path)
{
    struct stat st;
    char dir[4096];
    if (lstat(path, &st) == 0) {
        ll_cli_error(cmd, "'%s' already exists; not overwriting it", path);
        return LL_EXIT_FAIL;
    }
    const char *slash = strrchr(path, '/');
    size_t dlen =
        slash == NULL ? 1 : (slash == path ? 1 : (size_t)(slash - path));
    if (dlen >= sizeof(dir)) {
        ll_cli_error(cmd, "'%s': the path is too long", path);
        return LL_EXIT_FAIL;
    }
    memcpy(dir, slash == NULL ? "." : path, dlen);
    dir[dlen] = '\0';
    /* The CLI is single-threaded: strerror is safe here. */
    if (stat(dir, &st) != 0) {
        ll_cli_error(cmd, "cannot write '%s': directory '%s': %s", path, dir,
                     strerror(errno)); /* NOLINT */
        return LL_EXIT_FAIL;
    }
    if (!S_ISDIR(st.st_mode)) {
        ll_cli_error(cmd, "cannot write '%s': '%s' is not a directory", path,
                     dir);
        return LL_EXIT_FAIL;
    }
    if (access(dir, W_OK) != 0) {
        ll_cli_error(cmd, "cannot write '%s': directory '%s': %s", path, dir,
                     strerror(errno)); /* NOLINT */
        return LL_EXIT_FAIL;
    }
    return -1;
}

int ll_cmd_keygen(int argc, char **argv)
{
    struct keygen_args a = {NULL, NULL, LL_KEYSTORE_MEM_DEFAULT_KIB / 1024,
                            LL_KEYSTORE_OPS_DEFAULT};
    int st = keygen_parse(argc, argv, &a);
    if (st < 0)
        st = out_path_check(argv[0], a.out);
    if (st >= 0)
        return st;
    char pass[LL_CLI_PASS_MAX];
    size_t plen = 0;
    struct ll_keypair kp;
    int status = LL_EXIT_FAIL;
    memset(&kp, 0, sizeof(kp));
    if (ll_cli_passphrase(argv[0], pass, sizeof(pass), &plen, a.pass_file,
                          true) != 0)
        goto out;
    if (ll_keypair_generate(&kp) != 0) {
        ll_cli_error(argv[0], "cannot generate a key");
        goto out;
    }
    struct ll_keystore_params p = {(uint32_t)a.ops,
                                   (uint32_t)a.mem_mib * 1024u};
    int rc = ll_keystore_write_file(a.out, &kp, pass, plen, &p);
    if (rc == LL_EEXIST) {
        ll_cli_error(argv[0], "'%s' already exists; not overwriting it", a.out);
        goto out;
    }
    if (rc) {
        ll_cli_error(argv[0], "cannot write '%s': %s", a.out, ll_strerror(rc));
        goto out;
    }
    printf("wrote %s\n", a.out);
    print_key(kp.pk);
    status = LL_EXIT_OK;
out:
    ll_keypair_wipe(&kp);
    ll_crypto_wipe(pass, sizeof(pass));
    return status;
}

int ll_cmd_key_info(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        bool help = argc == 2 && (strcmp(argv[1], "-h") == 0 ||
                                  strcmp(argv[1], "--help") == 0);
        FILE *f = help ? stdout : stderr;
        (void)fputs("usage: lotledger key-info KEYSTORE\n\nShow the public "
                    "key, key id and Argon2id cost of a keystore file.\nNo "
                    "passphrase is needed.\n",
                    f);
        return help ? LL_EXIT_OK : LL_EXIT_USAGE;
    }
    uint8_t buf[LL_KEYSTORE_LEN + 1];
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        ll_cli_error(argv[0], "cannot open '%s'", argv[1]);
        return LL_EXIT_FAIL;
    }
    size_t n = fread(buf, 1, sizeof(buf), f);
    (void)fclose(f);
    struct ll_keystore_info info;
    int rc = ll_keystore_inspect(&info, buf, n);
    if (rc) {
        ll_cli_error(argv[0], "'%s' is not a lotledger keystore: %s", argv[1],
                     ll_strerror(rc));
        return LL_EXIT_FAIL;
    }
    print_key(info.pk);
    printf("argon2id:   %u passes, %u MiB\n", (unsigned)info.params.opslimit,
           (unsigned)(info.params.mem_kib / 1024));
    return LL_EXIT_OK;
}
