/* SPDX-License-Identifier: MIT */
/*
 * The consumer page of a lot (node/page.c): what a phone shows after
 * scanning the lot's GS1 Digital Link QR code.
 */
#ifndef LL_NODE_PAGE_H
#define LL_NODE_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "../ledger/chain.h"

struct ll_page_event {
    const lotledger_Event *ev;
};

struct ll_page {
    const struct ll_genesis *g;
    const lotledger_LotState *state; /* the scanned lot */
    const char *origin_org;          /* who made its earliest source lot */
    char origin_country[3];          /* ISO 3166 code, or "" */
    struct ll_page_event *events;    /* its journey (sorted by render) */
    size_t n_events;
    bool verified;   /* the node verified the lot's complete trace proof */
    bool partial;    /* verified, but the history is depth-limited */
    bool truncated;  /* the journey shows only the first events */
    uint64_t height; /* as of this block */
    char proof_url[512];
};

/* The page as HTML, or as JSON. Returns 0, LL_ENOMEM, LL_ETOOBIG. */
LL_NODISCARD int ll_page_render(struct ll_buf *out, struct ll_page *p,
                                bool as_json) LL_NONNULL(1, 2);
/* A friendly error page. Returns 0, LL_ENOMEM, LL_ETOOBIG. */
LL_NODISCARD int ll_page_error(struct ll_buf *out, const char *title,
                               const char *detail) LL_NONNULL(1, 2, 3);

#endif
