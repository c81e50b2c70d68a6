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
    size_t at = 0;
    int rc = ll_ledger__event_decode(out, buf, len, &at);
    if (rc == LL_ENONCANON)
        return ll_errmsg_set(e, rc,
                             "event: non-canonical encoding near byte %zu", at);
    if (rc == LL_ETOOBIG)
        return ll_errmsg_set(e, rc,
                             "event: a field over its limit near byte %zu", at);
    if (rc)
        return ll_errmsg_set(e, rc, "event: malformed near byte %zu", at);
    return 0;
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

static size_t put_varint(uint8_t *p, uint64_t v)
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

/* ---- LotState, coded by hand ----------------------------------------------
 *
 * The builder decodes and re-encodes a LotState for every lot an event
 * touches, and the state map hashes the encoding, so LotState has its own
 * codec. The encoder writes exactly nanopb's bytes (test_ledger compares
 * them on random states); the decoder accepts only such bytes, as the
 * decode-and-re-encode check does: fields in number order (a repeated one
 * consecutively), each with its declared wire type, no default value
 * written, minimal varints, strings without NUL within their limits, no
 * unknown field.
 */

/* A bounded output that records an overflow and a value it cannot write. */
struct wr {
    uint8_t *p;
    size_t n;
    size_t cap;
    bool full; /* out of room */
    bool bad;  /* an unterminated string or an oversized field */
};

static void wr_bytes(struct wr *w, const void *p, size_t n)
{
    if (w->full || n > w->cap - w->n) {
        w->full = true;
        return;
    }
    if (n > 0)
        memcpy(w->p + w->n, p, n);
    w->n += n;
}

static void wr_varint(struct wr *w, uint64_t v)
{
    uint8_t b[10];
    wr_bytes(w, b, put_varint(b, v));
}

static void wr_init(struct wr *w, uint8_t *p, size_t cap)
{
    w->p = p;
    w->n = 0;
    w->cap = cap;
    w->full = false;
    w->bad = false;
}

/* A varint field, left out when zero. */
static void wr_uint(struct wr *w, unsigned field, uint64_t v)
{
    if (v == 0)
        return;
    wr_varint(w, (uint64_t)field << 3);
    wr_varint(w, v);
}

/* A length-delimited field; left out when empty unless always. */
static void wr_len(struct wr *w, unsigned field, const void *p, size_t n,
                   bool always)
{
    if (n == 0 && !always)
        return;
    wr_varint(w, ((uint64_t)field << 3) | 2);
    wr_varint(w, n);
    wr_bytes(w, p, n);
}

/* A string field held in a char[size]. */
static void wr_str(struct wr *w, unsigned field, const char *s, size_t size)
{
    size_t n = strnlen(s, size);
    if (n == size)
        w->bad = true; /* no terminator: nanopb refuses it too */
    else
        wr_len(w, field, s, n, false);
}

/* A submessage field, written (even empty) from an inner writer's bytes. */
static void wr_msg(struct wr *w, unsigned field, const struct wr *inner)
{
    if (inner->bad || inner->full)
        w->bad = true;
    else
        wr_len(w, field, inner->p, inner->n, true);
}

static void wr_holding(struct wr *w, const lotledger_Holding *h)
{
    uint8_t b[lotledger_Holding_size];
    struct wr m;
    wr_init(&m, b, sizeof(b));
    wr_str(&m, 1, h->org, sizeof(h->org));
    wr_uint(&m, 2, h->quantity);
    wr_msg(w, 8, &m);
}

static void wr_party(struct wr *w, const lotledger_Party *p)
{
    uint8_t b[lotledger_Party_size];
    struct wr m;
    wr_init(&m, b, sizeof(b));
    wr_str(&m, 1, p->org, sizeof(p->org));
    wr_uint(&m, 2, p->held ? 1 : 0);
    wr_uint(&m, 3, p->notes);
    wr_msg(w, 13, &m);
}

static void wr_pending(struct wr *w, const lotledger_Pending *p)
{
    uint8_t b[lotledger_Pending_size];
    struct wr m;
    wr_init(&m, b, sizeof(b));
    if (p->ship.size > sizeof(p->ship.bytes))
        m.bad = true;
    else
        wr_len(&m, 1, p->ship.bytes, p->ship.size, false);
    wr_str(&m, 2, p->from, sizeof(p->from));
    wr_str(&m, 3, p->to, sizeof(p->to));
    wr_uint(&m, 4, p->quantity);
    wr_msg(w, 9, &m);
}

static void wr_master(struct wr *w, const lotledger_LotMaster *lm)
{
    uint8_t b[lotledger_LotMaster_size];
    struct wr m;
    wr_init(&m, b, sizeof(b));
    wr_str(&m, 1, lm->product, sizeof(lm->product));
    wr_uint(&m, 2, lm->expiry);
    wr_uint(&m, 3, lm->best_before);
    wr_uint(&m, 4, lm->production_date);
    wr_uint(&m, 5, lm->harvest_date);
    wr_str(&m, 6, lm->country, sizeof(lm->country));
    wr_msg(w, 12, &m);
}

int ll_ledger__lot_encode(uint8_t *out, size_t cap, size_t *len,
                          const lotledger_LotState *st)
{
    struct wr w;
    wr_init(&w, out, cap);
    if (st->holdings_count > LL_ARRAY_LEN(st->holdings) ||
        st->pending_count > LL_ARRAY_LEN(st->pending) ||
        st->parties_count > LL_ARRAY_LEN(st->parties) ||
        st->log_root.size > sizeof(st->log_root.bytes) || (int)st->status < 0)
        return LL_EINVAL;
    wr_str(&w, 1, st->lot, sizeof(st->lot));
    wr_str(&w, 2, st->originator, sizeof(st->originator));
    wr_str(&w, 3, st->uom, sizeof(st->uom));
    wr_uint(&w, 4, st->events);
    wr_len(&w, 5, st->log_root.bytes, st->log_root.size, false);
    wr_uint(&w, 6, (uint64_t)st->status);
    wr_str(&w, 7, st->status_by, sizeof(st->status_by));
    for (size_t i = 0; i < st->holdings_count; i++)
        wr_holding(&w, &st->holdings[i]);
    for (size_t i = 0; i < st->pending_count; i++)
        wr_pending(&w, &st->pending[i]);
    wr_uint(&w, 10, st->created_height);
    wr_uint(&w, 11, st->discrepancies);
    if (st->has_master)
        wr_master(&w, &st->master);
    for (size_t i = 0; i < st->parties_count; i++)
        wr_party(&w, &st->parties[i]);
    if (w.bad)
        return LL_EINVAL;
    if (w.full)
        return LL_ETOOBIG;
    *len = w.n;
    return 0;
}

/* A bounded input. */
struct rd {
    const uint8_t *p;
    size_t n;
    size_t off;
};

/* A minimal varint of up to 64 bits. */
static int rd_varint(struct rd *r, uint64_t *v)
{
    size_t k = get_varint64(r->p + r->off, r->n - r->off, v);
    if (k == 0 || (k == 10 && r->p[r->off + 9] > 1))
        return LL_EDECODE; /* truncated, or past 64 bits */
    if (k > 1 && r->p[r->off + k - 1] == 0)
        return LL_ENONCANON; /* overlong */
    r->off += k;
    return 0;
}

/*
 * The next field's key: its number must be at least min (fields come in
 * number order) and its wire type varint or length-delimited.
 */
static int rd_key(struct rd *r, unsigned *field, unsigned *wt, unsigned min)
{
    uint64_t tag = 0;
    int rc = rd_varint(r, &tag);
    if (rc)
        return rc;
    if ((tag >> 3) == 0 || (tag >> 3) > 29 || (tag >> 3) < min)
        return LL_ENONCANON;
    *field = (unsigned)(tag >> 3);
    *wt = (unsigned)(tag & 7);
    return *wt == 0 || *wt == 2 ? 0 : LL_EDECODE;
}

/* A varint field's value, which must be non-zero and at most max. */
static int rd_uint(struct rd *r, unsigned wt, uint64_t max, uint64_t *v)
{
    if (wt != 0)
        return LL_EDECODE;
    int rc = rd_varint(r, v);
    if (rc == 0 && *v == 0)
        rc = LL_ENONCANON;
    if (rc == 0 && *v > max)
        rc = LL_EDECODE;
    return rc;
}

/* A length-delimited field: points sub at its bytes. */
static int rd_len(struct rd *r, unsigned wt, struct rd *sub)
{
    uint64_t n = 0;
    if (wt != 2)
        return LL_EDECODE;
    int rc = rd_varint(r, &n);
    if (rc)
        return rc;
    if (n > r->n - r->off)
        return LL_ETRUNC;
    sub->p = r->p + r->off;
    sub->n = (size_t)n;
    sub->off = 0;
    r->off += (size_t)n;
    return 0;
}

/* A non-empty string field into char[size], NUL-terminated. */
static int rd_str(struct rd *r, unsigned wt, char *out, size_t size)
{
    struct rd s;
    int rc = rd_len(r, wt, &s);
    if (rc)
        return rc;
    if (s.n == 0 || memchr(s.p, 0, s.n) != NULL)
        return LL_ENONCANON;
    if (s.n >= size)
        return LL_ETOOBIG;
    memcpy(out, s.p, s.n);
    out[s.n] = '\0';
    return 0;
}

/* A non-empty bytes field of at most max bytes. */
static int rd_bytes(struct rd *r, unsigned wt, uint8_t *out, size_t max,
                    pb_size_t *size)
{
    struct rd s;
    int rc = rd_len(r, wt, &s);
    if (rc)
        return rc;
    if (s.n == 0)
        return LL_ENONCANON;
    if (s.n > max)
        return LL_ETOOBIG;
    memcpy(out, s.p, s.n);
    *size = (pb_size_t)s.n;
    return 0;
}

static int rd_bytes32(struct rd *r, unsigned wt, uint8_t out[32],
                      pb_size_t *size)
{
    return rd_bytes(r, wt, out, 32, size);
}

/* Reads one field (number f, wire type wt) of a message into msg. */
typedef int (*rd_field_fn)(struct rd *r, unsigned f, unsigned wt, void *msg);

/*
 * Read a message's fields in number order; a field whose bit is set in
 * repeated may follow itself.
 */
static int rd_message(struct rd *r, rd_field_fn fn, void *msg,
                      uint32_t repeated)
{
    unsigned last = 0;
    int rc = 0;
    while (rc == 0 && r->off < r->n) {
        unsigned f = 0;
        unsigned wt = 0;
        rc = rd_key(r, &f, &wt, (repeated >> last) & 1u ? last : last + 1);
        if (rc == 0)
            rc = fn(r, f, wt, msg);
        last = f;
    }
    return rc;
}

static int holding_field(struct rd *r, unsigned f, unsigned wt, void *msg)
{
    lotledger_Holding *h = msg;
    if (f == 1)
        return rd_str(r, wt, h->org, sizeof(h->org));
    if (f == 2)
        return rd_uint(r, wt, UINT64_MAX, &h->quantity);
    return LL_ENONCANON; /* an unknown field */
}

static int pending_field(struct rd *r, unsigned f, unsigned wt, void *msg)
{
    lotledger_Pending *p = msg;
    switch (f) {
    case 1:
        return rd_bytes32(r, wt, p->ship.bytes, &p->ship.size);
    case 2:
        return rd_str(r, wt, p->from, sizeof(p->from));
    case 3:
        return rd_str(r, wt, p->to, sizeof(p->to));
    case 4:
        return rd_uint(r, wt, UINT64_MAX, &p->quantity);
    default:
        return LL_ENONCANON;
    }
}

static int rd_u32(struct rd *r, unsigned wt, uint32_t *out)
{
    uint64_t v = 0;
    int rc = rd_uint(r, wt, UINT32_MAX, &v);
    if (rc == 0)
        *out = (uint32_t)v;
    return rc;
}

static int party_field(struct rd *r, unsigned f, unsigned wt, void *msg)
{
    lotledger_Party *p = msg;
    uint64_t v = 0;
    int rc;
    switch (f) {
    case 1:
        return rd_str(r, wt, p->org, sizeof(p->org));
    case 2:
        rc = rd_uint(r, wt, 1, &v);
        if (rc == 0)
            p->held = true;
        return rc;
    case 3:
        return rd_u32(r, wt, &p->notes);
    default:
        return LL_ENONCANON;
    }
}

static int master_field(struct rd *r, unsigned f, unsigned wt, void *msg)
{
    lotledger_LotMaster *m = msg;
    switch (f) {
    case 1:
        return rd_str(r, wt, m->product, sizeof(m->product));
    case 2:
        return rd_u32(r, wt, &m->expiry);
    case 3:
        return rd_u32(r, wt, &m->best_before);
    case 4:
        return rd_u32(r, wt, &m->production_date);
    case 5:
        return rd_u32(r, wt, &m->harvest_date);
    case 6:
        return rd_str(r, wt, m->country, sizeof(m->country));
    default:
        return LL_ENONCANON;
    }
}

/* One repeated or submessage field of a LotState (8, 9, 12, 13). */
static int rd_lot_msg(struct rd *r, unsigned f, unsigned wt,
                      lotledger_LotState *st)
{
    struct rd sub;
    int rc = rd_len(r, wt, &sub);
    if (rc)
        return rc;
    if (f == 8) {
        if (st->holdings_count == LL_ARRAY_LEN(st->holdings))
            return LL_ETOOBIG;
        lotledger_Holding *h = &st->holdings[st->holdings_count++];
        memset(h, 0, sizeof(*h));
        return rd_message(&sub, holding_field, h, 0);
    }
    if (f == 9) {
        if (st->pending_count == LL_ARRAY_LEN(st->pending))
            return LL_ETOOBIG;
        lotledger_Pending *p = &st->pending[st->pending_count++];
        memset(p, 0, sizeof(*p));
        return rd_message(&sub, pending_field, p, 0);
    }
    if (f == 13) {
        if (st->parties_count == LL_ARRAY_LEN(st->parties))
            return LL_ETOOBIG;
        lotledger_Party *p = &st->parties[st->parties_count++];
        memset(p, 0, sizeof(*p));
        return rd_message(&sub, party_field, p, 0);
    }
    st->has_master = true;
    memset(&st->master, 0, sizeof(st->master));
    return rd_message(&sub, master_field, &st->master, 0);
}

/* One field of a LotState. */
static int lot_field(struct rd *r, unsigned f, unsigned wt, void *msg)
{
    lotledger_LotState *st = msg;
    uint64_t v = 0;
    int rc;
    switch (f) {
    case 1:
        return rd_str(r, wt, st->lot, sizeof(st->lot));
    case 2:
        return rd_str(r, wt, st->originator, sizeof(st->originator));
    case 3:
        return rd_str(r, wt, st->uom, sizeof(st->uom));
    case 4:
        return rd_uint(r, wt, UINT64_MAX, &st->events);
    case 5:
        return rd_bytes32(r, wt, st->log_root.bytes, &st->log_root.size);
    case 6:
        rc = rd_uint(r, wt, INT32_MAX, &v);
        if (rc == 0)
            st->status = (lotledger_LotStatus)v;
        return rc;
    case 7:
        return rd_str(r, wt, st->status_by, sizeof(st->status_by));
    case 10:
        return rd_uint(r, wt, UINT64_MAX, &st->created_height);
    case 11:
        return rd_uint(r, wt, UINT64_MAX, &st->discrepancies);
    case 8:
    case 9:
    case 12:
    case 13:
        return rd_lot_msg(r, f, wt, st);
    default:
        return LL_ENONCANON;
    }
}

int ll_ledger__lot_decode(lotledger_LotState *out, const uint8_t *buf,
                          size_t len)
{
    struct rd r = {buf, len, 0};
    int rc;
    if (buf == NULL && len > 0)
        return LL_EINVAL;
    /* Everything the fields below do not set; not the arrays' unused
     * elements (16 KB), which nothing reads. */
    out->lot[0] = '\0';
    out->originator[0] = '\0';
    out->uom[0] = '\0';
    out->events = 0;
    out->log_root.size = 0;
    out->status = lotledger_LotStatus_ACTIVE;
    out->status_by[0] = '\0';
    out->holdings_count = 0;
    out->pending_count = 0;
    out->created_height = 0;
    out->discrepancies = 0;
    out->has_master = false;
    memset(&out->master, 0, sizeof(out->master));
    out->parties_count = 0;
    /* Repeated fields 8 (holdings), 9 (pending) and 13 (parties) may
     * follow themselves. */
    rc = rd_message(&r, lot_field, out, (1u << 8) | (1u << 9) | (1u << 13));
    if (rc)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* ---- Event, decoded by hand -----------------------------------------------
 *
 * Every event is decoded once per apply (and once more per check), so the
 * decoder is written out like LotState's: it accepts exactly the bytes for
 * which nanopb's decode-and-re-encode check passes (test_event compares the
 * two on random events and their mutations), and writes only the used part
 * of the arrays.
 */

/* An int64 field (two's complement varint), non-zero. */
static int rd_i64(struct rd *r, unsigned wt, int64_t *out)
{
    uint64_t v = 0;
    int rc = rd_uint(r, wt, UINT64_MAX, &v);
    if (rc == 0)
        memcpy(out, &v, sizeof(*out));
    return rc;
}

/* A zigzag varint; non-zero unless present is set (an optional field). */
static int rd_zigzag(struct rd *r, unsigned wt, bool optional, int64_t *out)
{
    uint64_t v = 0;
    int rc = wt == 0 ? rd_varint(r, &v) : LL_EDECODE;
    if (rc == 0 && v == 0 && !optional)
        rc = LL_ENONCANON;
    if (rc == 0)
        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
    return rc;
}

static int quantity_field(struct rd *r, unsigned f, unsigned wt, void *msg)
{
    lotledger_LotQuantity *q = msg;
    switch (f) {
    case 1:
        return rd_str(r, wt, q->lot, sizeof(q->lot));
    case 2:
        return rd_uint(r, wt, UINT64_MAX, &q->quantity);
    case 3:
        return rd_str(r, wt, q->uom, sizeof(q->uom));
    default:
        return LL_ENONCANON;
    }
}

static int doc_field(struct rd *r, unsigned f, unsigned wt, void *msg)
{
    lotledger_BizDocument *d = msg;
    if (f == 1)
        return rd_str(r, wt, d->type, sizeof(d->type));
    if (f == 2)
        return rd_str(r, wt, d->number, sizeof(d->number));
    return LL_ENONCANON;
}

static int kde_field(struct rd *r, unsigned f, unsigned wt, void *msg)
{
    lotledger_Kde *k = msg;
    if (f == 1)
        return rd_str(r, wt, k->key, sizeof(k->key));
    if (f == 2)
        return rd_str(r, wt, k->value, sizeof(k->value));
    return LL_ENONCANON;
}

static int sensor_field(struct rd *r, unsigned f, unsigned wt, void *msg)
{
    lotledger_SensorReport *sr = msg;
    uint64_t v = 0;
    switch (f) {
    case 1:
        return rd_str(r, wt, sr->type, sizeof(sr->type));
    case 2:
        return rd_zigzag(r, wt, false, &sr->value);
    case 3:
        return rd_str(r, wt, sr->uom, sizeof(sr->uom));
    case 4:
        sr->has_min = true;
        return rd_zigzag(r, wt, true, &sr->min);
    case 5:
        sr->has_max = true;
        return rd_zigzag(r, wt, true, &sr->max);
    case 6:
        return rd_i64(r, wt, &sr->time);
    case 7: {
        /* true is written as 1, false not at all */
        int rc = rd_uint(r, wt, 1, &v);
        sr->alarm = rc == 0;
        return rc;
    }
    case 8:
        return rd_str(r, wt, sr->device, sizeof(sr->device));
    default:
        return LL_ENONCANON;
    }
}

/* The next element of a repeated field: count in *n, at most max. */
static int rd_elem(struct rd *r, unsigned wt, void *arr, size_t size,
                   pb_size_t *n, size_t max, rd_field_fn fn)
{
    struct rd sub;
    int rc = rd_len(r, wt, &sub);
    if (rc)
        return rc;
    if (*n >= max)
        return LL_ETOOBIG;
    void *el = (uint8_t *)arr + size * (*n)++;
    memset(el, 0, size);
    return rd_message(&sub, fn, el, 0);
}

/* Fields 10 .. 18 of an Event: repeated ones and the master data. */
static int event_msg_field(struct rd *r, unsigned f, unsigned wt,
                           lotledger_Event *ev)
{
    switch (f) {
    case 10:
        return rd_elem(r, wt, ev->lots, sizeof(ev->lots[0]), &ev->lots_count,
                       LL_ARRAY_LEN(ev->lots), quantity_field);
    case 11:
        return rd_elem(r, wt, ev->outputs, sizeof(ev->outputs[0]),
                       &ev->outputs_count, LL_ARRAY_LEN(ev->outputs),
                       quantity_field);
    case 15:
        return rd_elem(r, wt, ev->docs, sizeof(ev->docs[0]), &ev->docs_count,
                       LL_ARRAY_LEN(ev->docs), doc_field);
    case 17:
        return rd_elem(r, wt, ev->sensors, sizeof(ev->sensors[0]),
                       &ev->sensors_count, LL_ARRAY_LEN(ev->sensors),
                       sensor_field);
    case 18:
        return rd_elem(r, wt, ev->kdes, sizeof(ev->kdes[0]), &ev->kdes_count,
                       LL_ARRAY_LEN(ev->kdes), kde_field);
    default: {
        struct rd sub;
        int rc = rd_len(r, wt, &sub);
        if (rc)
            return rc;
        ev->has_master = true;
        memset(&ev->master, 0, sizeof(ev->master));
        return rd_message(&sub, master_field, &ev->master, 0);
    }
    }
}

static int event_field(struct rd *r, unsigned f, unsigned wt, void *msg)
{
    lotledger_Event *ev = msg;
    uint64_t v = 0;
    int64_t sv = 0;
    int rc;
    switch (f) {
    case 1:
        rc = rd_uint(r, wt, UINT32_MAX, &v);
        ev->version = (uint32_t)v;
        return rc;
    case 2:
        return rd_str(r, wt, ev->chain_id, sizeof(ev->chain_id));
    case 3: {
        /* nanopb keeps an unsigned enum's value as 32 bits */
        uint32_t t = 0;
        rc = rd_u32(r, wt, &t);
        memcpy(&ev->type, &t, sizeof(t));
        return rc;
    }
    case 4:
        return rd_str(r, wt, ev->biz_step, sizeof(ev->biz_step));
    case 5:
        return rd_str(r, wt, ev->disposition, sizeof(ev->disposition));
    case 6:
        return rd_i64(r, wt, &ev->event_time);
    case 7:
        rc = rd_zigzag(r, wt, false, &sv);
        if (rc == 0 && (sv < INT32_MIN || sv > INT32_MAX))
            rc = LL_EDECODE;
        ev->tz_offset = (int32_t)(rc == 0 ? sv : 0);
        return rc;
    case 8:
        return rd_str(r, wt, ev->org, sizeof(ev->org));
    case 9:
        return rd_bytes(r, wt, ev->key_id.bytes, sizeof(ev->key_id.bytes),
                        &ev->key_id.size);
    case 12:
        return rd_str(r, wt, ev->location, sizeof(ev->location));
    case 13:
        return rd_str(r, wt, ev->counterparty, sizeof(ev->counterparty));
    case 14:
        return rd_bytes(r, wt, ev->ref.bytes, sizeof(ev->ref.bytes),
                        &ev->ref.size);
    case 10:
    case 11:
    case 15:
    case 16:
    case 17:
    case 18:
        return event_msg_field(r, f, wt, ev);
    case 19:
        return rd_str(r, wt, ev->reason, sizeof(ev->reason));
    case 20:
        return rd_str(r, wt, ev->fsma_cte, sizeof(ev->fsma_cte));
    default:
        return LL_ENONCANON;
    }
}

int ll_ledger__event_decode(lotledger_Event *out, const uint8_t *buf,
                            size_t len, size_t *at)
{
    struct rd r = {buf, len, 0};
    _Static_assert(sizeof(lotledger_EventType) == sizeof(uint32_t),
                   "an enum is kept in 32 bits");
    if (buf == NULL && len > 0)
        return LL_EINVAL;
    /* The scalars, strings, counts and flags; not the arrays' unused
     * elements (26 KB), which nothing reads. */
    out->version = 0;
    out->chain_id[0] = '\0';
    out->type = lotledger_EventType_EVENT_TYPE_UNSPECIFIED;
    out->biz_step[0] = '\0';
    out->disposition[0] = '\0';
    out->event_time = 0;
    out->tz_offset = 0;
    out->org[0] = '\0';
    out->key_id.size = 0;
    out->lots_count = 0;
    out->outputs_count = 0;
    out->location[0] = '\0';
    out->counterparty[0] = '\0';
    out->ref.size = 0;
    out->docs_count = 0;
    out->has_master = false;
    memset(&out->master, 0, sizeof(out->master));
    out->sensors_count = 0;
    out->kdes_count = 0;
    out->reason[0] = '\0';
    out->fsma_cte[0] = '\0';
    /* Repeated fields 10, 11, 15, 17 and 18 may follow themselves. */
    int rc = rd_message(&r, event_field, out,
                        (1u << 10) | (1u << 11) | (1u << 15) | (1u << 17) |
                            (1u << 18));
    if (rc) {
        memset(out, 0, sizeof(*out));
        *at = r.off;
    }
    return rc == LL_ETRUNC ? LL_EDECODE : rc;
}

int ll_lotid_url_escape(char *out, size_t cap, const char *id)
{
    return ll_pct_encode(out, cap, id, 3);
}
