/* SPDX-License-Identifier: MIT */
/*
 * EPCIS 2.0 capture: one EPCIS JSON / JSON-LD event (or an EPCISDocument
 * holding exactly one) mapped onto a lotledger Event for the capturing
 * organisation to sign. docs/epcis.md gives the whole mapping; in short:
 *
 *   ObjectEvent ADD                         -> commission
 *   ObjectEvent DELETE                      -> dispose
 *   ObjectEvent OBSERVE, disposition recalled -> recall
 *                        bizStep holding      -> hold
 *                        disposition conformant -> release
 *                        bizStep shipping     -> ship
 *                        bizStep receiving / accepting / arriving -> receive
 *                        anything else        -> observe
 *   TransformationEvent                      -> transform
 *
 * Lots come from quantityList epcClass values (lgtin URNs or GS1 Digital
 * Link URIs, or lotledger lot ids), locations and parties from sgln / pgln
 * URNs or Digital Link 414 / 417 URIs, matched against the genesis GLNs.
 * Instance-level EPCs, Aggregation / Association / Transaction events and
 * error declarations are refused by name: lotledger records lot custody.
 */
#ifndef LL_EPCIS_H
#define LL_EPCIS_H

#include "chain.h"
#include "event.h"

#define LL_EPCIS_MAX_BYTES ((size_t)512 * 1024) /* JSON text accepted */

struct ll_epcis_ctx {
    const struct ll_genesis *g; /* parties by GLN, the chain id */
    const char *org;            /* the capturing organisation */
    const uint8_t *key_id;      /* its signing key id (8 bytes) */
};

/*
 * Map one EPCIS event to out (which the caller then checks and signs).
 * A receive whose shipment is not named (extension "lotledger:ref", the
 * ship event id in hex) is left with an empty ref for the caller to
 * resolve. Returns 0, or LL_EDECODE / LL_EINVAL / LL_ETOOBIG / LL_ERANGE /
 * LL_EUNKNOWNORG with e naming the field. Nothing is kept on failure.
 */
LL_NODISCARD int ll_epcis_to_event(lotledger_Event *out, const char *json,
                                   size_t len, const struct ll_epcis_ctx *ctx,
                                   struct ll_errmsg *e) LL_NONNULL(1, 4);

/*
 * The canonical lot id of an EPCIS class: "urn:epc:class:lgtin:P.IR.LOT",
 * "https://<host>/01/<gtin>/10/<lot>" or a lot id as is. Returns 0 or
 * LL_EINVAL (e says why).
 */
LL_NODISCARD int ll_epcis_lot_id(char *out, size_t cap, const char *epc_class,
                                 struct ll_errmsg *e) LL_NONNULL(1, 3);

/*
 * The 13-digit GLN of "urn:epc:id:sgln:P.L.X", "urn:epc:id:pgln:P.L" or
 * "https://<host>/414|417/<gln>". Returns 0 or LL_EINVAL.
 */
LL_NODISCARD int ll_epcis_gln(char out[static 14], const char *id)
    LL_NONNULL(1, 2);

#endif
