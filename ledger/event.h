/* SPDX-License-Identifier: MIT */
/*
 * Signed custody events: the canonical byte encoding (nanopb, decode then
 * re-encode and compare), event ids, signing, the well-formedness rules an
 * event must meet before any ledger state is consulted, and canonical lot
 * ids. The generated nanopb types (lotledger_Event, ...) are the in-memory
 * form; nanopb's own bool/PB_GET_ERROR conventions stop in event.c.
 * Formats and limits: docs/events.md.
 */
#ifndef LL_EVENT_H
#define LL_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"
#include "../crypto/crypto.h"
#include "ledger/ledger.pb.h"

/* Hard limits (also enforced by the nanopb options in ledger.options). */
#define LL_EVENT_MAX_BYTES 32768 /* encoded SignedEvent */
#define LL_EVENT_VERSION   1
#define LL_LOTID_MAX       128 /* bytes of a canonical lot id */
#define LL_GS1_LOT_MAX     20  /* AI (10): X..20 */
#define LL_TLC_CODE_MAX    64
#define LL_EVENT_ID_LEN    32

/*
 * A decoded, canonical signed event. The byte pointers borrow the buffer
 * given to ll_signed_event_decode; it must outlive the struct. The struct is
 * large (the nanopb event has room for every limit): allocate it.
 */
struct ll_signed_event {
    lotledger_Event ev;          /* the decoded event */
    uint8_t id[LL_EVENT_ID_LEN]; /* tagged hash of the event bytes */
    uint8_t sig[LL_SIG_LEN];     /* BIP-340 signature over id */
    const uint8_t *raw;          /* the whole SignedEvent encoding */
    size_t raw_len;              /* its length */
    const uint8_t *ev_bytes;     /* the event bytes inside raw */
    size_t ev_len;               /* their length */
};

/*
 * Encode an event canonically.
 * Returns: 0, LL_ETOOBIG (out's maximum or LL_EVENT_MAX_BYTES passed),
 * LL_EINVAL (a field nanopb cannot encode), LL_ENOMEM.
 * Out: out gets the bytes appended.
 */
LL_NODISCARD int ll_event_encode(struct ll_buf *out, const lotledger_Event *ev)
    LL_NONNULL(1, 2);

/*
 * Decode event bytes strictly: the bytes must be exactly what
 * ll_event_encode produces for the decoded value (no unknown fields, no
 * explicit defaults, fields in order, minimal varints).
 * Returns: 0, LL_ETOOBIG (a string, bytes or list over its limit, or len over
 * LL_EVENT_MAX_BYTES), LL_EDECODE (malformed protobuf), LL_ENONCANON.
 * Out: *out written only on success. e (optional) names the problem.
 */
LL_NODISCARD int ll_event_decode(lotledger_Event *out, const uint8_t *buf,
                                 size_t len, struct ll_errmsg *e) LL_NONNULL(1);

/* Event id: tagged_hash("lotledger/event", event bytes). */
void ll_event_id(uint8_t id[static LL_EVENT_ID_LEN], const uint8_t *bytes,
                 size_t len);

/*
 * Encode ev, sign its id with kp and produce the SignedEvent encoding.
 * ev->key_id must already be kp's key id (ll_keyid); it is not filled in.
 * Returns: 0, ll_event_encode errors, LL_EINVAL (key id does not match kp),
 * LL_EBADKEY/LL_ECRYPTO from signing.
 * Out: out (SignedEvent bytes) appended and id set, only on success.
 */
LL_NODISCARD int ll_event_sign(struct ll_buf *out,
                               uint8_t id[static LL_EVENT_ID_LEN],
                               const lotledger_Event *ev,
                               const struct ll_keypair *kp) LL_NONNULL(1, 3, 4);

/*
 * Decode SignedEvent bytes: canonical outer and inner encoding, a 64-byte
 * signature, and the event id computed. Does NOT check the signature (that
 * needs the organisation's key: ll_signed_event_verify).
 * Returns: as ll_event_decode.
 * Out: *out written only on success (it is large: allocate it).
 */
/*
 * Append the canonical SignedEvent envelope of event bytes ev and their
 * signature (no check that it verifies). Returns 0, LL_EINVAL (empty),
 * LL_ETOOBIG, LL_ENOMEM.
 */
LL_NODISCARD int ll_signed_event_wrap(struct ll_buf *out, const uint8_t *ev,
                                      size_t ev_len,
                                      const uint8_t sig[static LL_SIG_LEN])
    LL_NONNULL(1, 2);
LL_NODISCARD int ll_signed_event_decode(struct ll_signed_event *out,
                                        const uint8_t *buf, size_t len,
                                        struct ll_errmsg *e) LL_NONNULL(1);

/*
 * Check the signature of a decoded event against a public key whose key id
 * must equal the event's key_id.
 * Returns: 0, LL_EBADKEY (key id mismatch or invalid key), LL_EBADSIG.
 */
/*
 * For stored (already checked) events: the id and type of a SignedEvent
 * without decoding it, checking only the envelope's shape and the fields
 * before the type. Returns 0 or LL_EDECODE.
 */
LL_NODISCARD int ll_signed_event_peek(const uint8_t *buf, size_t len,
                                      uint8_t id[static LL_EVENT_ID_LEN],
                                      lotledger_EventType *type)
    LL_NONNULL(3, 4);
LL_NODISCARD int ll_signed_event_verify(const struct ll_signed_event *se,
                                        const uint8_t pk[static LL_PUBKEY_LEN])
    LL_NONNULL(1);

/*
 * Well-formedness of an event on its own (no ledger state): version, chain
 * id, type-specific required and forbidden fields, CBV words, lot ids,
 * units, quantities, dates, key and reference lengths, duplicates.
 * Returns: 0 or LL_EINVAL with e naming the field and the rule.
 */
LL_NODISCARD int ll_event_check(const lotledger_Event *ev, const char *chain_id,
                                struct ll_errmsg *e) LL_NONNULL(1, 2);

/* The lower-case name of an event type ("ship"), or NULL. */
const char *ll_event_type_name(lotledger_EventType t);
/* Parse a type name. Returns 0 or LL_EINVAL. */
LL_NODISCARD int ll_event_type_parse(lotledger_EventType *out, const char *s)
    LL_NONNULL(1, 2);

/*
 * True if s is a valid organisation or chain id: [a-z0-9][a-z0-9._-]*, at
 * most max bytes.
 */
bool ll_id_is_valid(const char *s, size_t max) LL_NONNULL(1);

/* True if s is a CBV 2.0 bizStep word / disposition word. */
bool ll_cbv_is_bizstep(const char *s) LL_NONNULL(1);
bool ll_cbv_is_disposition(const char *s) LL_NONNULL(1);

/* ---- lot ids and GS1 keys ------------------------------------------------ */

/*
 * True if digits[0..n) are all decimal digits and the last is the GS1 check
 * digit of the others (GTIN, GLN, SSCC: weights 3,1,3,... from the right).
 */
bool ll_gs1_check_digit_ok(const char *digits, size_t n);

/*
 * Check a canonical lot id:
 *   "01/<GTIN-14>/10/<lot>"   GS1: 14 digits with a valid check digit, lot
 *                             1..20 characters of GS1 character set 82;
 *   "tlc/gln/<GLN-13>/<code>" traceability lot code + source GLN;
 *   "tlc/fda/<1..11 digits>/<code>" + FDA facility registration number;
 * code: 1..64 printable ASCII characters other than space.
 * Returns: 0 or LL_EINVAL with e naming the problem.
 */
LL_NODISCARD int ll_lotid_check(const char *id, struct ll_errmsg *e)
    LL_NONNULL(1);

/*
 * A lot id as a URL path segment sequence: its first three '/' (the
 * structure: 01/<GTIN>/10/, tlc/gln/<GLN>/, tlc/fda/<n>/) kept, every
 * other byte but RFC 3986 unreserved ones percent-encoded, '/' in the lot
 * code included, so /v1/lots/{lot}/trace is unambiguous for any code.
 * Returns 0 or LL_ETOOBIG (out needs up to 3 x strlen(id) + 1 bytes).
 */
LL_NODISCARD int ll_lotid_url_escape(char *out, size_t cap, const char *id)
    LL_NONNULL(1, 3);

#endif
