/* SPDX-License-Identifier: MIT */
/*
 * Custody rules: given a decoded signed event and a way to read the state
 * it touches, decide whether the event is legal and compute the new state
 * of every lot it touches. Pure: the rules write only the caller's change
 * list, so a rejected event changes nothing. The same code runs in the
 * node (block building), in chain verification and in the offline proof
 * verifier. The rules are listed in docs/rules.md.
 */
#ifndef LL_RULES_H
#define LL_RULES_H

#include "event.h"

/* Most lots one event can touch: lots + outputs. */
#define LL_RULES_MAX_LOTS 80
/* Most observe, correct, hold and release events one organisation may add
 * to one lot's log (docs/rules.md, "Who may observe"). */
#define LL_RULES_MAX_NOTES 4096
/* How far an event's time may lie after its block's time. */
#define LL_RULES_MAX_FUTURE_MS ((int64_t)24 * 3600 * 1000)

/* What the rules read from the ledger. All callbacks are required. */
struct ll_rules_view {
    /* Organisation by id, or NULL if unknown. */
    const lotledger_OrgState *(*org)(void *arg, const char *id);
    /* Current state of a lot: 0, LL_ENOTFOUND, or another error. */
    int (*lot)(void *arg, const char *lot, lotledger_LotState *out);
    /* True if an event with this id is already recorded (or in the block). */
    bool (*has_event)(void *arg, const uint8_t id[32]);
    /* A recorded event by id: 0, LL_ENOTFOUND, or another error. */
    int (*event)(void *arg, const uint8_t id[32], struct ll_signed_event *out);
    void *arg;
};

/* One lot's state change. */
struct ll_lot_change {
    bool created;             /* the event creates the lot */
    lotledger_LotState state; /* the state after the event; events and
                                 log_root are left for the caller */
};

struct ll_rules_out {
    size_t n;                                     /* lots touched */
    struct ll_lot_change lots[LL_RULES_MAX_LOTS]; /* each gets the event
                                                     appended to its log */
};

/*
 * Apply the custody rules to one event going into block `height` with
 * block time `block_time_ms`. Checks, in order: well-formedness
 * (ll_event_check), the organisation, its key at this height, the
 * signature (unless sig_verified: the caller checked it against the key
 * ll_rules_key returns), the event time, replay, the organisation's role,
 * then the type's custody rule.
 * Returns: 0, or the rule's own code (LL_EINVAL, LL_EUNKNOWNORG, LL_EKEY,
 * LL_EBADSIG, LL_EFUTURE, LL_EREPLAY, LL_EROLE, LL_ENOLOT, LL_ELOTEXISTS,
 * LL_ENOTHOLDER, LL_EQUANTITY, LL_EUNIT, LL_ELOTSTATUS, LL_ENOSHIPMENT,
 * LL_ENOTRECEIVER, LL_ENOTPERMITTED, LL_ENOEVENT, LL_ETOOBIG), with e naming
 * the lot, the organisation and the rule; or a view error.
 * Out: *out filled on success (large: allocate it; reusable).
 */
LL_NODISCARD int ll_rules_apply(struct ll_rules_out *out,
                                const struct ll_rules_view *view,
                                const struct ll_signed_event *se,
                                const char *chain_id, uint64_t height,
                                int64_t block_time_ms, bool sig_verified,
                                struct ll_errmsg *e) LL_NONNULL(1, 2, 3, 4);

/*
 * The public key of org that key_id names and that is valid at height.
 * Returns: 0 or LL_EKEY. Out: pk only on success.
 */
LL_NODISCARD int ll_rules_key(uint8_t pk[static LL_PUBKEY_LEN],
                              const lotledger_OrgState *org,
                              const uint8_t *key_id, size_t key_id_len,
                              uint64_t height) LL_NONNULL(2);

/* The quantity org holds of a lot (0 if none). */
uint64_t ll_lot_held(const lotledger_LotState *st, const char *org)
    LL_NONNULL(1, 2);

#endif
