/* SPDX-License-Identifier: MIT */
/*
 * The event codec: the nanopb adapter for ledger.proto. Canonical encoding
 * is enforced by re-encoding every decoded event into a stream that
 * compares against the input byte by byte, so no scratch buffer is needed
 * and the first differing offset is reported. The SignedEvent envelope is
 * two fixed fields and is coded by hand in exactly the form protobuf gives
 * it (a test checks that against nanopb).
 */
#include <pb_decode.h>
#include <pb_encode.h>
#include <string.h>

#include "internal.h"

/* ---- generic strict codec -------------------------------------------- */

static bool buf_write(pb_ostream_t *s, const pb_byte_t *p, size_t n)
{
    struct ll_buf *b = s->state;
    return ll_buf_append(b, p, n) == 0;
}

int ll_ledger__pb_encode(struct ll_buf *out, const pb_msgdesc_t *fields,
                         const void *msg, size_t max)
{
    size_t room = out->max - out->len;
    if (room > max)
        room = max;
    size_t before = out->len;
    /* One pass: the stream stops at the limit ("stream full"). */
    pb_ostream_t s = {buf_write, out, room, 0, NULL};
    if (pb_encode(&s, fields, msg))
        return 0;
    if (out->data == NULL)
        return LL_ENOMEM; /* ll_buf_append failed and freed the buffer */
    out->len = before;
    const char *err = PB_GET_ERROR(&s);
    if (err != NULL && strcmp(err, "stream full") == 0)
        return LL_ETOOBIG;
    return LL_EINVAL;
}

struct cmp_state {
    const uint8_t *want; /* the input bytes */
    size_t len;          /* their length */
    size_t off;          /* bytes compared so far */
};

/* An output stream that fails at the first byte differing from the input. */
static bool cmp_write(pb_ostream_t *s, const pb_byte_t *p, size_t n)
{
    struct cmp_state *c = s->state;
    if (n > c->len - c->off)
        return false;
    if (memcmp(c->want + c->off, p, n) != 0) {
        for (size_t i = 0; i < n; i++) {
            if (c->want[c->off + i] != p[i]) {
                c->off += i;
                return false;
            }
        }
    }
    c->off += n;
    return true;
}

static int map_decode_error(const char *msg)
{
    if (msg == NULL)
        return LL_EDECODE;
    if (strcmp(msg, "string overflow") == 0 ||
        strcmp(msg, "bytes overflow") == 0 ||
        strcmp(msg, "array overflow") == 0)
        return LL_ETOOBIG;
    return LL_EDECODE;
}

int ll_ledger__pb_decode(const pb_msgdesc_t *fields, void *msg, size_t msgsize,
                         const uint8_t *buf, size_t len, const char *what,
                         struct ll_errmsg *e)
{
    static const uint8_t none[1];
    int rc = 0;
    pb_istream_t in = pb_istream_from_buffer(buf != NULL ? buf : none, len);
    if (!pb_decode(&in, fields, msg)) {
        const char *m = PB_GET_ERROR(&in);
        rc = ll_errmsg_set(e, map_decode_error(m), "%s: %s at byte %zu", what,
                           m ? m : "malformed", len - in.bytes_left);
        goto out;
    }
    struct cmp_state c = {buf, len, 0};
    pb_ostream_t cmp = {cmp_write, &c, SIZE_MAX, 0, NULL};
    if (!pb_encode(&cmp, fields, msg) || c.off != len) {
        rc = ll_errmsg_set(e, LL_ENONCANON,
                           "%s: non-canonical encoding at byte %zu", what,
                           c.off);
        goto out;
    }
out:
    if (rc)
        memset(msg, 0, msgsize);
    return rc;
}

/* ---- events -------------------------------------------------------------- */

int ll_event_encode(struct ll_buf *out, const lotledger_Event *ev)
{
    /* Room for the SignedEvent envelope around it. */
    return ll_ledger__pb_encode(out, lotledger_Event_fields, ev,
                                LL_EVENT_MAX_BYTES - 80);
}

int ll_event_decode(lotledger_Event *out, const uint8_t *buf, size_t len,
                    struct ll_errmsg *e)
{
    if (buf == NULL && len > 0)
        return ll_errmsg_set(e, LL_EINVAL, "no event bytes");
    if (len > LL_EVENT_MAX_BYTES)
        return ll_errmsg_set(e, LL_ETOOBIG,
                             "event is %zu bytes, the limit is %d", len,
                             LL_EVENT_MAX_BYTES);
    return ll_ledger__pb_decode(lotledger_Event_fields, out, sizeof(*out), buf,
                                len, "event", e);
}

void ll_event_id(uint8_t id[static LL_EVENT_ID_LEN], const uint8_t *bytes,
                 size_t len)
{
    ll_tagged_hash(id, LL_TAG_EVENT, bytes, len);
}

/* ---- the SignedEvent envelope ----------------------------------------- */

/*
 * SignedEvent { bytes event = 1; bytes sig = 2; } in its only canonical
 * form: 0x0a <varint len> <event>, 0x12 0x40 <64-byte signature>.
 */
#define TAG_EVENT 0x0a
#define TAG_SIG   0x12

static size_t put_varint(uint8_t *p, size_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/*
 * Read a minimal varint of at most 3 bytes (values < 2^21, more than any
 * event). Returns bytes read, or 0 if malformed, overlong or truncated.
 */
static size_t get_varint(const uint8_t *p, size_t len, size_t *v)
{
    size_t val = 0;
    for (size_t i = 0; i < 3 && i < len; i++) {
        val |= (size_t)(p[i] & 0x7f) << (7 * i);
        if ((p[i] & 0x80) == 0) {
            if (i > 0 && p[i] == 0)
                return 0; /* overlong: a trailing zero group */
            *v = val;
            return i + 1;
        }
    }
    return 0;
}

int ll_signed_event_wrap(struct ll_buf *out, const uint8_t *ev, size_t ev_len,
                         const uint8_t sig[static LL_SIG_LEN])
{
    uint8_t hdr[8];
    size_t h = 0;
    if (ev_len == 0)
        return LL_EINVAL;
    if (ev_len > LL_EVENT_MAX_BYTES)
        return LL_ETOOBIG;
    hdr[h++] = TAG_EVENT;
    h += put_varint(hdr + h, ev_len);
    size_t total = h + ev_len + 2 + LL_SIG_LEN;
    if (total > LL_EVENT_MAX_BYTES || total > out->max ||
        out->len > out->max - total)
        return LL_ETOOBIG;
    static const uint8_t sig_hdr[2] = {TAG_SIG, LL_SIG_LEN};
    int rc = ll_buf_append(out, hdr, h);
    if (rc == 0)
        rc = ll_buf_append(out, ev, ev_len);
    if (rc == 0)
        rc = ll_buf_append(out, sig_hdr, sizeof(sig_hdr));
    if (rc == 0)
        rc = ll_buf_append(out, sig, LL_SIG_LEN);
    return rc;
}

int ll_event_sign(struct ll_buf *out, uint8_t id[static LL_EVENT_ID_LEN],
                  const lotledger_Event *ev, const struct ll_keypair *kp)
{
    uint8_t kid[LL_KEYID_LEN];
    uint8_t eid[LL_EVENT_ID_LEN];
    uint8_t sig[LL_SIG_LEN];
    struct ll_buf evb;
    int rc;
    ll_keyid(kid, kp->pk);
    if (ev->key_id.size != LL_KEYID_LEN ||
        memcmp(ev->key_id.bytes, kid, LL_KEYID_LEN) != 0)
        return LL_EINVAL;
    ll_buf_init(&evb, LL_EVENT_MAX_BYTES);
    rc = ll_event_encode(&evb, ev);
    if (rc)
        goto out;
    if (evb.len == 0) {
        rc = LL_EINVAL;
        goto out;
    }
    ll_event_id(eid, evb.data, evb.len);
    rc = ll_schnorr_sign(sig, kp, eid, NULL);
    if (rc)
        goto out;
    rc = ll_signed_event_wrap(out, evb.data, evb.len, sig);
    if (rc)
        goto out;
    memcpy(id, eid, LL_EVENT_ID_LEN);
out:
    ll_buf_free(&evb);
    return rc;
}

int ll_signed_event_decode(struct ll_signed_event *out, const uint8_t *buf,
                           size_t len, struct ll_errmsg *e)
{
    size_t evlen = 0;
    if (buf == NULL || len == 0)
        return ll_errmsg_set(e, LL_EDECODE, "empty signed event");
    if (len > LL_EVENT_MAX_BYTES)
        return ll_errmsg_set(e, LL_ETOOBIG,
                             "signed event is %zu bytes, the limit is %d", len,
                             LL_EVENT_MAX_BYTES);
    if (buf[0] != TAG_EVENT)
        return ll_errmsg_set(e, LL_EDECODE,
                             "signed event: expected field 1 (event) first");
    size_t n = get_varint(buf + 1, len - 1, &evlen);
    if (n == 0 || evlen == 0)
        return ll_errmsg_set(e, LL_EDECODE,
                             "signed event: bad event length prefix");
    size_t off = 1 + n;
    if (evlen > len - off)
        return ll_errmsg_set(e, LL_ETRUNC,
                             "signed event: event truncated (%zu of %zu "
                             "bytes)",
                             len - off, evlen);
    size_t sig_off = off + evlen;
    if (len - sig_off < 2 + LL_SIG_LEN)
        return ll_errmsg_set(e, LL_ETRUNC,
                             "signed event: missing or short signature");
    if (buf[sig_off] != TAG_SIG || buf[sig_off + 1] != LL_SIG_LEN)
        return ll_errmsg_set(e, LL_EDECODE,
                             "signed event: expected a 64-byte field 2 (sig)");
    if (len - sig_off > 2 + LL_SIG_LEN)
        return ll_errmsg_set(e, LL_ETRAILING,
                             "signed event: %zu trailing bytes",
                             len - sig_off - 2 - LL_SIG_LEN);
    int rc = ll_event_decode(&out->ev, buf + off, evlen, e);
    if (rc)
        return rc;
    ll_event_id(out->id, buf + off, evlen);
    memcpy(out->sig, buf + sig_off + 2, LL_SIG_LEN);
    out->raw = buf;
    out->raw_len = len;
    out->ev_bytes = buf + off;
    out->ev_len = evlen;
    return 0;
}

int ll_signed_event_verify(const struct ll_signed_event *se,
                           const uint8_t pk[static LL_PUBKEY_LEN])
{
    uint8_t kid[LL_KEYID_LEN];
    ll_keyid(kid, pk);
    if (se->ev.key_id.size != LL_KEYID_LEN ||
        memcmp(se->ev.key_id.bytes, kid, LL_KEYID_LEN) != 0)
        return LL_EBADKEY;
    return ll_schnorr_verify(se->sig, se->id, pk);
}

/* A varint of up to 10 bytes (any u64). Returns bytes read or 0. */
static size_t get_varint64(const uint8_t *p, size_t len, uint64_t *v)
{
    uint64_t val = 0;
    for (size_t i = 0; i < 10 && i < len; i++) {
        val |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if ((p[i] & 0x80) == 0) {
            *v = val;
            return i + 1;
        }
    }
    return 0;
}

int ll_signed_event_peek(const uint8_t *buf, size_t len,
                         uint8_t id[static LL_EVENT_ID_LEN],
                         lotledger_EventType *type)
{
    size_t evlen = 0;
    if (buf == NULL || len < 1 + 1 + 2 + LL_SIG_LEN || buf[0] != TAG_EVENT)
        return LL_EDECODE;
    size_t n = get_varint(buf + 1, len - 1, &evlen);
    if (n == 0 || evlen == 0 || evlen > len - 1 - n ||
        len - 1 - n - evlen != 2 + LL_SIG_LEN)
        return LL_EDECODE;
    const uint8_t *ev = buf + 1 + n;
    ll_event_id(id, ev, evlen);
    /* Fields come in number order: read up to field 3 (type). */
    *type = lotledger_EventType_EVENT_TYPE_UNSPECIFIED;
    size_t off = 0;
    while (off < evlen) {
        uint64_t tag;
        uint64_t v;
        size_t k = get_varint64(ev + off, evlen - off, &tag);
        if (k == 0)
            return LL_EDECODE;
        off += k;
        if ((tag >> 3) > 3)
            break;
        k = get_varint64(ev + off, evlen - off, &v);
        if (k == 0)
            return LL_EDECODE;
        off += k;
        if ((tag & 7) == 2) {
            if (v > evlen - off)
                return LL_EDECODE;
            off += (size_t)v;
        } else if ((tag & 7) != 0) {
            return LL_EDECODE;
        } else if ((tag >> 3) == 3) {
            *type = (lotledger_EventType)v;
            break;
        }
    }
    return 0;
}
