/* SPDX-License-Identifier: MIT */
/*
 * Trace proofs: a bundle that lets anyone holding the network's genesis
 * file check a trace offline — every record signed by its organisation,
 * the state committed by a quorum of validators, each lot's event log
 * complete, and the trace closed. docs/proof-format.md specifies the
 * bytes and the order of the checks; ledger/proof.proto is the schema.
 */
#ifndef LL_PROOF_H
#define LL_PROOF_H

#include "chain.h"
#include "trace.h"

#define LL_PROOF_VERSION   2
#define LL_PROOF_MAX_BYTES ((size_t)64 << 20)

/* What a verified bundle proves. */
struct ll_proof_report {
    char lot[LL_LOTID_MAX + 1]; /* the traced lot */
    enum ll_trace_dir dir;
    uint64_t height;   /* the committed block it is proven against */
    int64_t time_ms;   /* that block's time */
    uint8_t block[32]; /* that block's header hash */
    size_t lots;       /* lots in the bundle */
    size_t events;     /* events in the bundle */
    size_t orgs;       /* distinct organisations that signed them */
    size_t transforms; /* transform steps followed */
    size_t unexpanded; /* lots named but not followed; 0 = complete */
    uint32_t depth;    /* deepest level followed */
    /* Followed lots whose committed state their events, replayed through
     * the custody rules, reproduce (the others depend on lots outside). */
    size_t rules_checked;
};

/*
 * The proof bundle of trace t, taken from snapshot s (the trace must come
 * from the same snapshot), appended to out.
 * Returns: 0, LL_ENOMEM, LL_ETOOBIG, LL_ESTORE, LL_ECORRUPT (e says).
 */
LL_NODISCARD int ll_proof_build(const struct ll_ledger_snap *s,
                                const struct ll_trace *t, struct ll_buf *out,
                                struct ll_errmsg *e) LL_NONNULL(1, 2, 3);

/*
 * Verify a bundle offline against genesis g, in the order of
 * docs/proof-format.md. Returns 0 with r filled in, or the first failed
 * check's error with e naming it: LL_EDECODE / LL_ETRUNC / LL_ETRAILING /
 * LL_ENONCANON / LL_ETOOBIG (the encoding), LL_EVERSION, LL_EVERIFY (another
 * chain, a record that does not match its commitment), LL_EBADSIG,
 * LL_EPROOF (quorum, state proof, log roots, closure), LL_EINVAL.
 */
LL_NODISCARD int ll_proof_verify(const struct ll_genesis *g,
                                 const uint8_t *bundle, size_t len,
                                 struct ll_proof_report *r, struct ll_errmsg *e)
    LL_NONNULL(1, 4);

/* ---- lot log pages ---------------------------------------------------------
 *
 * GET /v1/lots/{lot}/log answers one page of a lot's event log with what a
 * third party needs to check it against the genesis (docs/api.md, "A
 * lot's log, page by page"). ledger/logpage.c.
 */

/* What a verified page proves. */
struct ll_log_page_report {
    char lot[LL_LOTID_MAX + 1]; /* the lot */
    uint64_t height;            /* the committed block it is proven against */
    int64_t time_ms;            /* that block's time */
    uint8_t block[32];          /* its header hash */
    uint64_t log_size;          /* the lot's log size in that block */
    uint64_t after;             /* the page's first position */
    size_t events;              /* events on the page */
    bool last;                  /* no page follows (next is null) */
};

/* A page is at most this many bytes of JSON. */
#define LL_LOG_PAGE_MAX_BYTES ((size_t)96 << 20)

/*
 * Verify one log page (JSON text, len bytes) against genesis g: the commit
 * of its header by the genesis validators, the lot's state in the header's
 * state root, each event well-formed, signed by a key its organisation
 * held at the event's height (at most the header's), naming the lot (or a
 * correction), in commit order, and the events at positions [after, after
 * + k) of the lot's log by the range proof against the state's log root.
 * Returns: 0 with r filled in, or the first failed check's code with e
 * naming it: LL_EDECODE (not a page), LL_ETOOBIG, LL_EVERIFY (another
 * network; an event id that does not match), LL_EBADSIG, LL_EPROOF (quorum,
 * state proof, range proof, order), LL_EINVAL (an ill-formed event),
 * LL_ENOMEM.
 */
LL_NODISCARD int ll_log_page_verify(const struct ll_genesis *g,
                                    const char *json, size_t len,
                                    struct ll_log_page_report *r,
                                    struct ll_errmsg *e) LL_NONNULL(1, 4);

#endif
