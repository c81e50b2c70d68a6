/* SPDX-License-Identifier: MIT */
/*
 * The custody rules (docs/rules.md). Each event type has one function that
 * reads the lots it names through the view, checks its rule and writes the
 * lots' next states into the caller's change list. Nothing outside that
 * list is touched, so a rejected event leaves no trace.
 */
#include <stdio.h>
#include <string.h>

#include "chain.h"
#include "rules.h"

uint64_t ll_lot_held(const lotledger_LotState *st, const char *org)
{
    for (size_t i = 0; i < st->holdings_count; i++)
        if (strcmp(st->holdings[i].org, org) == 0)
            return st->holdings[i].quantity;
    return 0;
}

/* Add q to org's holding, keeping holdings sorted by org. */
static int holding_add(lotledger_LotState *st, const char *org, uint64_t q,
                       struct ll_errmsg *e)
{
    size_t i = 0;
    while (i < st->holdings_count && strcmp(st->holdings[i].org, org) < 0)
        i++;
    if (i < st->holdings_count && strcmp(st->holdings[i].org, org) == 0) {
        if (st->holdings[i].quantity > UINT64_MAX - q)
            return ll_errmsg_set(e, LL_ERANGE,
                                 "lot %s: quantity held by %s overflows",
                                 st->lot, org);
        st->holdings[i].quantity += q;
        return 0;
    }
    if (st->holdings_count == LL_ARRAY_LEN(st->holdings))
        return ll_errmsg_set(e, LL_ETOOBIG,
                             "lot %s: already held by %zu organisations, the "
                             "limit",
                             st->lot, LL_ARRAY_LEN(st->holdings));
    memmove(&st->holdings[i + 1], &st->holdings[i],
            (st->holdings_count - i) * sizeof(st->holdings[0]));
    memset(&st->holdings[i], 0, sizeof(st->holdings[i]));
    (void)snprintf(st->holdings[i].org, sizeof(st->holdings[i].org), "%s", org);
    st->holdings[i].quantity = q;
    st->holdings_count++;
    return 0;
}

/* Take q from org's holding (removing it at zero); caller checked q. */
static void holding_sub(lotledger_LotState *st, const char *org, uint64_t q)
{
    for (size_t i = 0; i < st->holdings_count; i++) {
        if (strcmp(st->holdings[i].org, org) != 0)
            continue;
        st->holdings[i].quantity -= q;
        if (st->holdings[i].quantity == 0) {
            memmove(&st->holdings[i], &st->holdings[i + 1],
                    (st->holdings_count - i - 1) * sizeof(st->holdings[0]));
            st->holdings_count--;
        }
        return;
    }
}

/* The party entry of org in st, or NULL. */
static lotledger_Party *party_find(lotledger_LotState *st, const char *org)
{
    for (size_t i = 0; i < st->parties_count; i++)
        if (strcmp(st->parties[i].org, org) == 0)
            return &st->parties[i];
    return NULL;
}

/*
 * Record a part org takes in the lot: it now holds some (held), or adds an
 * observe or correct event to its log (note: counted, at most
 * LL_RULES_MAX_NOTES). Parties stay sorted by org and are never removed.
 */
static int party_mark(lotledger_LotState *st, const char *org, bool held,
                      bool note, struct ll_errmsg *e)
{
    lotledger_Party *p = party_find(st, org);
    if (p == NULL) {
        size_t i = 0;
        if (st->parties_count == LL_ARRAY_LEN(st->parties))
            return ll_errmsg_set(e, LL_ETOOBIG,
                                 "lot %s: %zu organisations already have a "
                                 "part in it, the limit; org %s cannot join",
                                 st->lot, LL_ARRAY_LEN(st->parties), org);
        while (i < st->parties_count && strcmp(st->parties[i].org, org) < 0)
            i++;
        memmove(&st->parties[i + 1], &st->parties[i],
                (st->parties_count - i) * sizeof(st->parties[0]));
        p = &st->parties[i];
        memset(p, 0, sizeof(*p));
        (void)snprintf(p->org, sizeof(p->org), "%s", org);
        st->parties_count++;
    }
    if (note && p->notes >= LL_RULES_MAX_NOTES)
        return ll_errmsg_set(e, LL_ETOOBIG,
                             "lot %s: org %s has already added %u observe, "
                             "correct, hold and release events to it, the "
                             "limit",
                             st->lot, org, (unsigned)LL_RULES_MAX_NOTES);
    if (note)
        p->notes++;
    if (held)
        p->held = true;
    return 0;
}

/* ---- loading lots into the change list ---------------------------------- */

/* Load an existing lot into the next change slot. */
static int load_lot(struct ll_rules_out *out, const struct ll_rules_view *v,
                    const char *lot, const char *org, struct ll_errmsg *e)
{
    struct ll_lot_change *c = &out->lots[out->n];
    int rc = v->lot(v->arg, lot, &c->state);
    if (rc == LL_ENOTFOUND)
        return ll_errmsg_set(e, LL_ENOLOT, "lot %s: does not exist (org %s)",
                             lot, org);
    if (rc)
        return ll_errmsg_set(e, rc, "lot %s: cannot read its state: %s", lot,
                             ll_strerror(rc));
    c->created = false;
    out->n++;
    return 0;
}

/* Create a new lot in the next change slot; it must not exist yet. */
static int create_lot(struct ll_rules_out *out, const struct ll_rules_view *v,
                      const lotledger_Event *ev, const lotledger_LotQuantity *q,
                      uint64_t height, struct ll_errmsg *e)
{
    struct ll_lot_change *c = &out->lots[out->n];
    int rc = v->lot(v->arg, q->lot, &c->state);
    if (rc == 0)
        return ll_errmsg_set(e, LL_ELOTEXISTS,
                             "lot %s: already exists (created by %s); org %s "
                             "cannot create it again",
                             q->lot, c->state.originator, ev->org);
    if (rc != LL_ENOTFOUND)
        return ll_errmsg_set(e, rc, "lot %s: cannot read its state: %s", q->lot,
                             ll_strerror(rc));
    memset(&c->state, 0, sizeof(c->state));
    lotledger_LotState *st = &c->state;
    (void)snprintf(st->lot, sizeof(st->lot), "%s", q->lot);
    (void)snprintf(st->originator, sizeof(st->originator), "%s", ev->org);
    (void)snprintf(st->uom, sizeof(st->uom), "%s", q->uom);
    st->status = lotledger_LotStatus_ACTIVE;
    st->created_height = height;
    if (ev->has_master) {
        st->has_master = true;
        st->master = ev->master;
    }
    c->created = true;
    out->n++;
    int hrc = party_mark(st, ev->org, true, false, e);
    if (hrc)
        return hrc;
    return holding_add(st, ev->org, q->quantity, e);
}

static int check_unit(const lotledger_LotState *st,
                      const lotledger_LotQuantity *q, struct ll_errmsg *e)
{
    if (strcmp(st->uom, q->uom) != 0)
        return ll_errmsg_set(e, LL_EUNIT,
                             "lot %s: quantity in %s, but the lot is counted "
                             "in %s",
                             st->lot, q->uom, st->uom);
    return 0;
}

/* The actor must hold at least q->quantity of an active lot. */
static int check_take(const lotledger_LotState *st,
                      const lotledger_LotQuantity *q, const char *org,
                      bool need_active, struct ll_errmsg *e)
{
    if (need_active && st->status != lotledger_LotStatus_ACTIVE)
        return ll_errmsg_set(
            e, LL_ELOTSTATUS, "lot %s: is %s (by %s); org %s cannot move it",
            st->lot,
            st->status == lotledger_LotStatus_HELD ? "on hold" : "recalled",
            st->status_by, org);
    int rc = check_unit(st, q, e);
    if (rc)
        return rc;
    uint64_t held = ll_lot_held(st, org);
    if (held == 0)
        return ll_errmsg_set(e, LL_ENOTHOLDER,
                             "lot %s: org %s holds none of it", st->lot, org);
    if (held < q->quantity)
        return ll_errmsg_set(e, LL_EQUANTITY,
                             "lot %s: org %s holds %llu, cannot use %llu "
                             "(thousandths of %s)",
                             st->lot, org, (unsigned long long)held,
                             (unsigned long long)q->quantity, st->uom);
    return 0;
}

/* ---- the rules, one per type ------------------------------------------- */

static bool is_regulator(const lotledger_OrgState *org)
{
    return org != NULL && (org->roles & LL_ROLE_REGULATOR) != 0;
}

/* An event id as 64 hex digits, for messages. */
static void id_hex(char out[static 65], const uint8_t *id)
{
    if (ll_hex_encode(out, 65, id, LL_EVENT_ID_LEN) != 0)
        out[0] = '\0';
}

static int rule_commission(struct ll_rules_out *out,
                           const struct ll_rules_view *v,
                           const lotledger_Event *ev, uint64_t height,
                           struct ll_errmsg *e)
{
    for (size_t i = 0; i < ev->lots_count; i++) {
        int rc = create_lot(out, v, ev, &ev->lots[i], height, e);
        if (rc)
            return rc;
    }
    return 0;
}

/*
 * Take each listed quantity out of the actor's holdings (transform inputs,
 * dispose). need_active: the lot must not be held or recalled.
 */
static int take_lots(struct ll_rules_out *out, const struct ll_rules_view *v,
                     const lotledger_Event *ev, bool need_active,
                     struct ll_errmsg *e)
{
    for (size_t i = 0; i < ev->lots_count; i++) {
        const lotledger_LotQuantity *q = &ev->lots[i];
        int rc = load_lot(out, v, q->lot, ev->org, e);
        if (rc)
            return rc;
        lotledger_LotState *st = &out->lots[out->n - 1].state;
        rc = check_take(st, q, ev->org, need_active, e);
        if (rc)
            return rc;
        holding_sub(st, ev->org, q->quantity);
    }
    return 0;
}

static int rule_ship(struct ll_rules_out *out, const struct ll_rules_view *v,
                     const struct ll_signed_event *se, struct ll_errmsg *e)
{
    const lotledger_Event *ev = &se->ev;
    const lotledger_OrgState *to = v->org(v->arg, ev->counterparty);
    if (to == NULL)
        return ll_errmsg_set(e, LL_EUNKNOWNORG,
                             "ship: receiver %s is not a member of the "
                             "network",
                             ev->counterparty);
    if ((to->roles & LL_ROLE_MEMBER) == 0)
        return ll_errmsg_set(e, LL_EROLE,
                             "ship: receiver %s does not have the member "
                             "role",
                             ev->counterparty);
    /* The quantities leave the shipper's holdings and become pending. */
    int rc = take_lots(out, v, ev, true, e);
    if (rc)
        return rc;
    for (size_t i = 0; i < ev->lots_count; i++) {
        lotledger_LotState *st = &out->lots[i].state;
        if (st->pending_count == LL_ARRAY_LEN(st->pending))
            return ll_errmsg_set(e, LL_ETOOBIG,
                                 "lot %s: %zu shipments already pending, the "
                                 "limit",
                                 st->lot, LL_ARRAY_LEN(st->pending));
        lotledger_Pending *p = &st->pending[st->pending_count++];
        memset(p, 0, sizeof(*p));
        p->ship.size = LL_EVENT_ID_LEN;
        memcpy(p->ship.bytes, se->id, LL_EVENT_ID_LEN);
        (void)snprintf(p->from, sizeof(p->from), "%s", ev->org);
        (void)snprintf(p->to, sizeof(p->to), "%s", ev->counterparty);
        p->quantity = ev->lots[i].quantity;
    }
    return 0;
}

static int rule_receive(struct ll_rules_out *out, const struct ll_rules_view *v,
                        const lotledger_Event *ev, struct ll_errmsg *e)
{
    char ref[65];
    id_hex(ref, ev->ref.bytes);
    for (size_t i = 0; i < ev->lots_count; i++) {
        const lotledger_LotQuantity *q = &ev->lots[i];
        int rc = load_lot(out, v, q->lot, ev->org, e);
        if (rc)
            return rc;
        lotledger_LotState *st = &out->lots[out->n - 1].state;
        size_t k = 0;
        while (k < st->pending_count &&
               memcmp(st->pending[k].ship.bytes, ev->ref.bytes,
                      LL_EVENT_ID_LEN) != 0)
            k++;
        if (k == st->pending_count)
            return ll_errmsg_set(e, LL_ENOSHIPMENT,
                                 "lot %s: no pending shipment %.16s... to "
                                 "receive (org %s)",
                                 q->lot, ref, ev->org);
        const lotledger_Pending *p = &st->pending[k];
        if (strcmp(p->to, ev->org) != 0)
            return ll_errmsg_set(e, LL_ENOTRECEIVER,
                                 "lot %s: shipment %.16s... is addressed to "
                                 "%s, not %s",
                                 q->lot, ref, p->to, ev->org);
        rc = check_unit(st, q, e);
        if (rc)
            return rc;
        if (p->quantity != q->quantity)
            st->discrepancies++;
        memmove(&st->pending[k], &st->pending[k + 1],
                (st->pending_count - k - 1) * sizeof(st->pending[0]));
        st->pending_count--;
        rc = holding_add(st, ev->org, q->quantity, e);
        if (rc)
            return rc;
        rc = party_mark(st, ev->org, true, false, e);
        if (rc)
            return rc;
    }
    return 0;
}

static int rule_transform(struct ll_rules_out *out,
                          const struct ll_rules_view *v,
                          const lotledger_Event *ev, uint64_t height,
                          struct ll_errmsg *e)
{
    int rc = take_lots(out, v, ev, true, e);
    for (size_t i = 0; i < ev->outputs_count && rc == 0; i++)
        rc = create_lot(out, v, ev, &ev->outputs[i], height, e);
    return rc;
}

static int rule_dispose(struct ll_rules_out *out, const struct ll_rules_view *v,
                        const lotledger_Event *ev, struct ll_errmsg *e)
{
    /* Held or recalled stock may (and should) be destroyed. */
    return take_lots(out, v, ev, false, e);
}

static int status_hold(const lotledger_LotState *st, const char *org, bool may,
                       struct ll_errmsg *e)
{
    if (st->status != lotledger_LotStatus_ACTIVE)
        return ll_errmsg_set(
            e, LL_ELOTSTATUS, "lot %s: already %s; org %s cannot hold it",
            st->lot,
            st->status == lotledger_LotStatus_HELD ? "on hold" : "recalled",
            org);
    if (!may)
        return ll_errmsg_set(e, LL_ENOTPERMITTED,
                             "lot %s: org %s neither holds nor originated it "
                             "and is not a regulator",
                             st->lot, org);
    return 0;
}

static int status_release(const lotledger_LotState *st, const char *org,
                          bool may, struct ll_errmsg *e)
{
    if (st->status != lotledger_LotStatus_HELD)
        return ll_errmsg_set(
            e, LL_ELOTSTATUS,
            "lot %s: is not on hold (%s); org %s cannot "
            "release it",
            st->lot,
            st->status == lotledger_LotStatus_ACTIVE ? "active" : "recalled",
            org);
    if (!may && strcmp(st->status_by, org) != 0)
        return ll_errmsg_set(e, LL_ENOTPERMITTED,
                             "lot %s: hold placed by %s; only it, the "
                             "originator %s or a regulator may release, not "
                             "%s",
                             st->lot, st->status_by, st->originator, org);
    return 0;
}

static int status_recall(const lotledger_LotState *st, const char *org,
                         bool may, struct ll_errmsg *e)
{
    if (st->status == lotledger_LotStatus_RECALLED)
        return ll_errmsg_set(e, LL_ELOTSTATUS, "lot %s: already recalled by %s",
                             st->lot, st->status_by);
    if (!may)
        return ll_errmsg_set(e, LL_ENOTPERMITTED,
                             "lot %s: only its originator %s or a regulator "
                             "may recall it, not %s",
                             st->lot, st->originator, org);
    return 0;
}

/*
 * Observe: the actor must have a part in the lot's custody (it holds or
 * held some, a pending shipment is addressed to it, or it originated the
 * lot) or be a regulator; each observation counts towards its bound.
 */
static int check_observe(lotledger_LotState *st, const char *org, bool may,
                         struct ll_errmsg *e)
{
    const lotledger_Party *p = party_find(st, org);
    bool custody = may || ll_lot_held(st, org) > 0 || (p != NULL && p->held);
    for (size_t k = 0; k < st->pending_count && !custody; k++)
        custody = strcmp(st->pending[k].to, org) == 0;
    if (!custody)
        return ll_errmsg_set(e, LL_ENOTPERMITTED,
                             "lot %s: org %s has never held it, no shipment "
                             "of it is addressed to it, it did not originate "
                             "it and is not a regulator; it may not observe it",
                             st->lot, org);
    return party_mark(st, org, false, true, e);
}

/* Hold, release, recall and observe: status changes, whole lots. */
static int rule_status(struct ll_rules_out *out, const struct ll_rules_view *v,
                       const lotledger_Event *ev, const lotledger_OrgState *org,
                       struct ll_errmsg *e)
{
    bool reg = is_regulator(org);
    for (size_t i = 0; i < ev->lots_count; i++) {
        int rc = load_lot(out, v, ev->lots[i].lot, ev->org, e);
        if (rc)
            return rc;
        lotledger_LotState *st = &out->lots[out->n - 1].state;
        bool originator = strcmp(st->originator, ev->org) == 0;
        bool holder = ll_lot_held(st, ev->org) > 0;
        lotledger_LotStatus next = st->status;
        if (ev->type == lotledger_EventType_HOLD) {
            rc = status_hold(st, ev->org, originator || holder || reg, e);
            next = lotledger_LotStatus_HELD;
        } else if (ev->type == lotledger_EventType_RELEASE) {
            rc = status_release(st, ev->org, originator || reg, e);
            next = lotledger_LotStatus_ACTIVE;
        } else if (ev->type == lotledger_EventType_RECALL) {
            rc = status_recall(st, ev->org, originator || reg, e);
            next = lotledger_LotStatus_RECALLED;
        } else {
            rc = check_observe(st, ev->org, originator || reg, e);
        }
        /* Holds and releases count towards the bound like observations:
         * a holder could otherwise grow the log without end. */
        if (rc == 0 && ev->type != lotledger_EventType_RECALL &&
            ev->type != lotledger_EventType_OBSERVE)
            rc = party_mark(st, ev->org, false, true, e);
        if (rc)
            return rc;
        if (next != st->status) {
            st->status = next;
            (void)snprintf(st->status_by, sizeof(st->status_by), "%s",
                           next == lotledger_LotStatus_ACTIVE ? "" : ev->org);
        }
    }
    return 0;
}

static int rule_correct(struct ll_rules_out *out, const struct ll_rules_view *v,
                        const lotledger_Event *ev,
                        const lotledger_OrgState *org, struct ll_errmsg *e)
{
    char ref[65];
    id_hex(ref, ev->ref.bytes);
    struct ll_signed_event *old = ll_malloc(sizeof(*old));
    if (old == NULL)
        return LL_ENOMEM;
    int rc = v->event(v->arg, ev->ref.bytes, old);
    if (rc == LL_ENOTFOUND) {
        rc = ll_errmsg_set(e, LL_ENOEVENT,
                           "correct: event %.16s... is not recorded", ref);
        goto out;
    }
    if (rc)
        goto out;
    if (strcmp(old->ev.org, ev->org) != 0 && !is_regulator(org)) {
        rc = ll_errmsg_set(e, LL_ENOTPERMITTED,
                           "correct: event %.16s... was recorded by %s; org "
                           "%s may not correct it",
                           ref, old->ev.org, ev->org);
        goto out;
    }
    /* The correction joins the log of every lot the corrected event named. */
    for (size_t i = 0; i < old->ev.lots_count && rc == 0; i++)
        rc = load_lot(out, v, old->ev.lots[i].lot, ev->org, e);
    for (size_t i = 0; i < old->ev.outputs_count && rc == 0; i++)
        rc = load_lot(out, v, old->ev.outputs[i].lot, ev->org, e);
    for (size_t i = 0; i < out->n && rc == 0; i++)
        rc = party_mark(&out->lots[i].state, ev->org, false, true, e);
out:
    ll_free(old);
    return rc;
}

/* ---- entry points ---------------------------------------------------------
 */

int ll_rules_key(uint8_t pk[static LL_PUBKEY_LEN],
                 const lotledger_OrgState *org, const uint8_t *key_id,
                 size_t key_id_len, uint64_t height)
{
    if (key_id == NULL || key_id_len != LL_KEYID_LEN)
        return LL_EKEY;
    for (size_t i = 0; i < org->keys_count; i++) {
        const lotledger_OrgKey *k = &org->keys[i];
        uint8_t kid[LL_KEYID_LEN];
        if (k->pk.size != LL_PUBKEY_LEN)
            continue;
        ll_keyid(kid, k->pk.bytes);
        if (memcmp(kid, key_id, LL_KEYID_LEN) != 0)
            continue;
        if (height < k->from || (k->until != 0 && height >= k->until))
            continue;
        memcpy(pk, k->pk.bytes, LL_PUBKEY_LEN);
        return 0;
    }
    return LL_EKEY;
}

/* The roles allowed to record each event type. */
static uint32_t roles_for(lotledger_EventType t)
{
    switch (t) {
    case lotledger_EventType_OBSERVE:
    case lotledger_EventType_HOLD:
    case lotledger_EventType_RELEASE:
    case lotledger_EventType_RECALL:
    case lotledger_EventType_CORRECT:
        return LL_ROLE_MEMBER | LL_ROLE_REGULATOR;
    default:
        return LL_ROLE_MEMBER;
    }
}

/* Identity, key, signature, time, replay and role. */
static int check_actor(const struct ll_rules_view *v,
                       const struct ll_signed_event *se, uint64_t height,
                       int64_t block_time_ms, bool sig_verified,
                       const lotledger_OrgState **org_out, struct ll_errmsg *e)
{
    const lotledger_Event *ev = &se->ev;
    const lotledger_OrgState *org = v->org(v->arg, ev->org);
    uint8_t pk[LL_PUBKEY_LEN];
    if (org == NULL)
        return ll_errmsg_set(e, LL_EUNKNOWNORG,
                             "org %s: not a member of this network", ev->org);
    if (ll_rules_key(pk, org, ev->key_id.bytes, ev->key_id.size, height) != 0)
        return ll_errmsg_set(e, LL_EKEY,
                             "org %s: the signing key is not one of its keys "
                             "valid at height %llu",
                             ev->org, (unsigned long long)height);
    if (!sig_verified && ll_signed_event_verify(se, pk) != 0)
        return ll_errmsg_set(e, LL_EBADSIG,
                             "org %s: the event signature does not verify",
                             ev->org);
    if (ev->event_time > block_time_ms &&
        ev->event_time - block_time_ms > LL_RULES_MAX_FUTURE_MS)
        return ll_errmsg_set(e, LL_EFUTURE,
                             "org %s: event time is more than 24 h after the "
                             "block time",
                             ev->org);
    if (v->has_event(v->arg, se->id))
        return ll_errmsg_set(e, LL_EREPLAY,
                             "org %s: this event is already recorded", ev->org);
    if ((org->roles & roles_for(ev->type)) == 0)
        return ll_errmsg_set(e, LL_EROLE,
                             "org %s: lacks the role to record a %s event",
                             ev->org, ll_event_type_name(ev->type));
    *org_out = org;
    return 0;
}

int ll_rules_apply(struct ll_rules_out *out, const struct ll_rules_view *view,
                   const struct ll_signed_event *se, const char *chain_id,
                   uint64_t height, int64_t block_time_ms, bool sig_verified,
                   struct ll_errmsg *e)
{
    const lotledger_Event *ev = &se->ev;
    const lotledger_OrgState *org = NULL;
    int rc = ll_event_check(ev, chain_id, e);
    if (rc)
        return rc;
    rc = check_actor(view, se, height, block_time_ms, sig_verified, &org, e);
    if (rc)
        return rc;
    out->n = 0;
    switch (ev->type) {
    case lotledger_EventType_COMMISSION:
        return rule_commission(out, view, ev, height, e);
    case lotledger_EventType_SHIP:
        return rule_ship(out, view, se, e);
    case lotledger_EventType_RECEIVE:
        return rule_receive(out, view, ev, e);
    case lotledger_EventType_TRANSFORM:
        return rule_transform(out, view, ev, height, e);
    case lotledger_EventType_DISPOSE:
        return rule_dispose(out, view, ev, e);
    case lotledger_EventType_CORRECT:
        return rule_correct(out, view, ev, org, e);
    default:
        return rule_status(out, view, ev, org, e);
    }
}
