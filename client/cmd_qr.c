/* SPDX-License-Identifier: MIT */
/*
 * lotledger qr LOT --base-url URL -o label.png|label.svg: a QR code of the
 * lot's GS1 Digital Link URI, URL/01/<GTIN>/10/<lot>[?17=YYMMDD], which a
 * phone opens on the node's consumer page. The libqrencode and libpng
 * adapter: the only file that includes them.
 */
#include <png.h>
#include <qrencode.h>
#include <stdio.h>
#include <string.h>

#include "../ledger/gs1.h"
#include "client.h"

static const char usage[] =
    "usage: lotledger qr LOT_ID --base-url URL -o FILE.png|FILE.svg\n"
    "                   [--expiry YYYYMMDD] [--scale N]\n"
    "\n"
    "Write a QR code holding the lot's GS1 Digital Link URI,\n"
    "URL/01/<GTIN>/10/<lot> (with ?17=YYMMDD for --expiry), e.g.\n"
    "  lotledger qr 01/00614141777808/10/SAL1 --base-url https://trace.example"
    "\n     -o label.svg\n"
    "LOT_ID must be a GS1 lot id (01/<GTIN-14>/10/<lot>). --scale is the\n"
    "size of one module in pixels (PNG, default 8); a 4-module quiet zone\n"
    "surrounds the code.\n";

#define QUIET 4

/*
 * The Digital Link URI of a GS1 lot id, written by the GS1 codec
 * (ledger/gs1.c) from the AIs (01), (10) and (17): every value checked
 * (check digit, character set, date), everything but RFC 3986 unreserved
 * characters percent-encoded, as GS1 Digital Link requires.
 */
int ll_cli_digital_link(char *out, size_t cap, const char *base,
                        const char *lot, uint32_t expiry, struct ll_errmsg *e)
{
    static struct ll_gs1_msg m;
    char ai[LL_LOTID_MAX * 2 + 64];
    size_t k = 0;
    if (strncmp(lot, "01/", 3) != 0 || strlen(lot) < 3 + 14 + 4 + 1 ||
        strncmp(lot + 17, "/10/", 4) != 0)
        return ll_errmsg_set(e, LL_EINVAL,
                             "%s: a Digital Link needs a GS1 lot id "
                             "(01/<GTIN-14>/10/<lot>)",
                             lot);
    k += (size_t)snprintf(ai, sizeof(ai), "(01)%.14s(10)", lot + 3);
    for (const char *p = lot + 21; *p != '\0' && k + 3 < sizeof(ai); p++) {
        if (*p == '(')
            ai[k++] = '\\';
        ai[k++] = *p;
    }
    ai[k] = '\0';
    if (expiry != 0 && k + 12 < sizeof(ai))
        (void)snprintf(ai + k, sizeof(ai) - k, "(17)%06u",
                       (unsigned)(expiry % 1000000));
    if (ll_gs1_parse(&m, ai, strlen(ai), 0, e) != 0)
        return LL_EINVAL;
    return ll_gs1_to_dl(&m, base, out, cap, e) == 0
               ? 0
               : ll_errmsg_set(e, LL_ETOOBIG, "the URI is too long");
}

static bool dark(const QRcode *q, int x, int y)
{
    x -= QUIET;
    y -= QUIET;
    if (x < 0 || y < 0 || x >= q->width || y >= q->width)
        return false;
    return (q->data[y * q->width + x] & 1) != 0;
}

static int write_svg(FILE *f, const QRcode *q)
{
    int size = q->width + 2 * QUIET;
    (void)fprintf(f,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
                  "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">\n"
                  "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n"
                  "<path fill=\"#000\" d=\"",
                  size, size, size, size);
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
            if (dark(q, x, y))
                (void)fprintf(f, "M%d %dh1v1h-1z", x, y);
    (void)fprintf(f, "\"/>\n</svg>\n");
    return ferror(f) ? LL_EIO : 0;
}

static int write_png(FILE *f, const QRcode *q, int scale)
{
    int size = (q->width + 2 * QUIET) * scale;
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
    png_bytep row = ll_malloc((size_t)size);
    int rc = png == NULL || info == NULL || row == NULL ? LL_ENOMEM : 0;
    if (rc == 0 && setjmp(png_jmpbuf(png)) != 0) /* NOLINT(cert-err52-cpp) */
        rc = LL_EIO;
    if (rc == 0) {
        png_init_io(png, f);
        png_set_IHDR(png, info, (png_uint_32)size, (png_uint_32)size, 8,
                     PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++)
                row[x] = dark(q, x / scale, y / scale) ? 0 : 255;
            png_write_row(png, row);
        }
        png_write_end(png, NULL);
    }
    png_destroy_write_struct(png != NULL ? &png : NULL,
                             info != NULL ? &info : NULL);
    ll_free(row);
    return rc;
}

struct qopts {
    const char *lot;
    const char *base;
    const char *out;
    uint64_t expiry;
    uint64_t scale;
};

static int qr_args(int argc, char **argv, struct qopts *o)
{
    const char *cmd = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool val = i + 1 < argc;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            (void)fputs(usage, stdout);
            return LL_EXIT_OK;
        }
        if (a[0] != '-' && o->lot == NULL) {
            o->lot = a;
        } else if (val && strcmp(a, "--base-url") == 0) {
            o->base = argv[++i];
        } else if (val && strcmp(a, "-o") == 0) {
            o->out = argv[++i];
        } else if (val && strcmp(a, "--expiry") == 0) {
            if (ll_cli_uint(cmd, "--expiry", argv[++i], 20000101, 20991231,
                            &o->expiry) != 0)
                return LL_EXIT_USAGE;
        } else if (val && strcmp(a, "--scale") == 0) {
            if (ll_cli_uint(cmd, "--scale", argv[++i], 1, 64, &o->scale) != 0)
                return LL_EXIT_USAGE;
        } else {
            ll_cli_error(cmd, "unexpected argument '%s' (see --help)", a);
            return LL_EXIT_USAGE;
        }
    }
    if (o->lot == NULL || o->base == NULL || o->out == NULL) {
        ll_cli_error(cmd, "LOT_ID, --base-url URL and -o FILE are required");
        return LL_EXIT_USAGE;
    }
    return -1;
}

int ll_cmd_qr(int argc, char **argv)
{
    const char *cmd = argv[0];
    struct qopts o = {NULL, NULL, NULL, 0, 8};
    int st = qr_args(argc, argv, &o);
    if (st >= 0)
        return st;
    struct ll_errmsg e = {{0}};
    char uri[1024];
    if (strncmp(o.base, "https://", 8) != 0 &&
        strncmp(o.base, "http://", 7) != 0) {
        ll_cli_error(cmd, "--base-url '%s': an http:// or https:// URL",
                     o.base);
        return LL_EXIT_USAGE;
    }
    if (ll_lotid_check(o.lot, &e) != 0) {
        ll_cli_error(cmd, "%s", e.text);
        return LL_EXIT_USAGE;
    }
    if (ll_cli_digital_link(uri, sizeof(uri), o.base, o.lot, (uint32_t)o.expiry,
                            &e) != 0) {
        ll_cli_error(cmd, "%s", e.text);
        return LL_EXIT_USAGE;
    }
    size_t ol = strlen(o.out);
    bool svg = ol > 4 && strcmp(o.out + ol - 4, ".svg") == 0;
    if (!svg && (ol <= 4 || strcmp(o.out + ol - 4, ".png") != 0)) {
        ll_cli_error(cmd, "-o '%s': name a .png or .svg file", o.out);
        return LL_EXIT_USAGE;
    }
    QRcode *q = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (q == NULL) {
        ll_cli_error(cmd, "cannot encode '%s' as a QR code", uri);
        return LL_EXIT_FAIL;
    }
    FILE *f = fopen(o.out, "wb");
    int rc = f == NULL ? LL_EIO
             : svg     ? write_svg(f, q)
                       : write_png(f, q, (int)o.scale);
    if (f != NULL && fclose(f) != 0)
        rc = LL_EIO;
    QRcode_free(q);
    if (rc) {
        ll_cli_error(cmd, "cannot write '%s': %s", o.out, ll_strerror(rc));
        (void)remove(o.out);
        return LL_EXIT_FAIL;
    }
    printf("%s\n", uri);
    return LL_EXIT_OK;
}
