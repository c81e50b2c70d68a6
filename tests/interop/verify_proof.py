#!/usr/bin/env python3
"""Independent verifier of lotledger trace proof bundles (version 2).

Written from docs/proof-format.md and the pages it links (chain.md, smt.md,
merkle.md, events.md, crypto.md, rules.md), RFC 6962, BIP-340 and the
protobuf wire format -- not from the C sources.  Standard library only.

    python3 verify_proof.py GENESIS.json BUNDLE.bin

Exit 0 "ok: ..." when every check passes, 1 "REJECTED: <check>: <why>",
2 for usage errors.  Checks run in the order of proof-format.md section 3.

Where the docs are silent the script says so in a comment marked INFERRED:
the protobuf field numbers of Event, LotState and OrgState live only in
ledger/ledger.proto, which the docs cite but do not reproduce; the numbers
below were read off real bundles (generic protobuf dump compared with the
node's JSON answers) and confirmed by reproducing genesis hashes, state
roots and log roots.
"""
import hashlib
import json
import struct
import sys
from datetime import datetime, timezone

# ---------------------------------------------------------------- errors

class Reject(Exception):
    def __init__(self, step, code, why):
        super().__init__(f"step {step} ({code}): {why}")

STEP = ["", "decode", "network", "quorum", "lot states", "events",
        "whole logs", "state proof", "closure", "custody rules"]

def fail(step, code, why):
    raise Reject(f"{step} {STEP[step]}", code, why)

# ---------------------------------------------------------------- hashes

def sha256(b):
    return hashlib.sha256(b).digest()

_TAGS = {}

def tagged(tag, msg):
    """BIP-340 tagged hash, crypto.md: SHA256(SHA256(tag)||SHA256(tag)||m)."""
    t = _TAGS.get(tag)
    if t is None:
        t = _TAGS[tag] = sha256(tag.encode()) * 2
    return sha256(t + msg)

def mth(leaves):
    """RFC 6962 Merkle tree hash over leaf hashes (merkle.md)."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))

# ---------------------------------------------------------------- BIP-340

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)

def point_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)

def point_mul(pt, k):
    r = None
    while k:
        if k & 1:
            r = point_add(r, pt)
        pt = point_add(pt, pt)
        k >>= 1
    return r

def lift_x(x):
    if x >= P:
        return None
    c = (pow(x, 3, P) + 7) % P
    y = pow(c, (P + 1) // 4, P)
    if y * y % P != c:
        return None
    return (x, y if y % 2 == 0 else P - y)

def schnorr_verify(pk, msg, sig):
    """BIP-340 Verification, step by step."""
    if len(pk) != 32 or len(sig) != 64:
        return False
    pt = lift_x(int.from_bytes(pk, "big"))
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:], "big")
    if pt is None or r >= P or s >= N:
        return False
    e = int.from_bytes(tagged("BIP0340/challenge", sig[:32] + pk + msg),
                       "big") % N
    R = point_add(point_mul(G, s), point_mul(pt, N - e))
    return R is not None and R[1] % 2 == 0 and R[0] == r

# ---------------------------------------------------------------- protobuf

def read_varint(b, i, step, what):
    """Minimal varint of at most 10 bytes that fits a u64."""
    v = shift = 0
    for k in range(10):
        if i >= len(b):
            fail(step, "LL_ETRUNC", f"{what}: varint cut short")
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            if c == 0 and k > 0:
                fail(step, "LL_ENONCANON", f"{what}: varint not minimal")
            if v >= 2**64:
                fail(step, "LL_EDECODE", f"{what}: varint over 64 bits")
            return v, i
    fail(step, "LL_EDECODE", f"{what}: varint longer than 10 bytes")

def pb_parse(b, step, what, known, repeated=(), empty_ok=(), zero_ok=()):
    """Canonical protobuf parse: known = {field: wire type}.  Returns
    {field: [values]}; enforces increasing order, repeated fields
    consecutive, no default-valued scalars, no unknown fields."""
    out, i, last = {}, 0, 0
    while i < len(b):
        key, i = read_varint(b, i, step, what)
        f, wt = key >> 3, key & 7
        if f not in known or known[f] != wt:
            fail(step, "LL_EDECODE", f"{what}: unknown field {f} "
                 f"(wire type {wt})")
        if f < last or (f == last and f not in repeated):
            fail(step, "LL_ENONCANON", f"{what}: field {f} out of order "
                 "or repeated")
        last = f
        if wt == 0:
            v, i = read_varint(b, i, step, what)
            if v == 0 and f not in zero_ok:
                fail(step, "LL_ENONCANON", f"{what}: field {f} present as 0")
        else:
            n, i = read_varint(b, i, step, what)
            if i + n > len(b):
                fail(step, "LL_ETRUNC", f"{what}: field {f} cut short")
            v, i = b[i:i + n], i + n
            if n == 0 and f not in empty_ok:
                fail(step, "LL_ENONCANON", f"{what}: field {f} empty")
        out.setdefault(f, []).append(v)
    return out

def one(msg, f, default=None):
    return msg[f][0] if f in msg else default

def text(msg, f, step, what):
    v = one(msg, f, b"")
    try:
        s = v.decode("utf-8")
    except UnicodeDecodeError:
        fail(step, "LL_EDECODE", f"{what}: field {f} is not UTF-8")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in s):
        fail(step, "LL_ENONCANON", f"{what}: control character in field {f}")
    return s

def packed_varints(b, step, what):
    out, i = [], 0
    while i < len(b):
        v, i = read_varint(b, i, step, what)
        out.append(v)
    return out

def zigzag(v):
    return (v >> 1) ^ -(v & 1)

def enc_varint(v):
    out = bytearray()
    while True:
        c, v = v & 0x7F, v >> 7
        out.append(c | (0x80 if v else 0))
        if not v:
            return bytes(out)

def enc_field(f, v):
    """Canonical field encoding (default values omitted)."""
    if isinstance(v, int):
        return enc_varint(f << 3) + enc_varint(v) if v else b""
    return enc_varint(f << 3 | 2) + enc_varint(len(v)) + v if v else b""

# ---------------------------------------------------------------- schemas
# INFERRED (ledger/ledger.proto is not reproduced in docs/).  Field: wire type.
EVENT = {1: 0, 2: 2, 3: 0, 4: 2, 5: 2, 6: 0, 7: 0, 8: 2, 9: 2, 10: 2, 11: 2,
         12: 2, 13: 2, 14: 2, 15: 2, 16: 2, 17: 2, 18: 2, 19: 2, 20: 2}
# 1 version 2 chain_id 3 type 4 biz_step 5 disposition 6 event_time
# 7 tz_offset (sint32, zigzag) 8 org 9 key_id 10 lots 11 outputs 12 location
# 13 counterparty 14 ref 15 docs 16 master 17 sensors 18 kdes 19 reason
# 20 fsma_cte
LOTQTY = {1: 2, 2: 0, 3: 2}            # lot, quantity, uom
DOC = {1: 2, 2: 2}                     # type, number
MASTER = {1: 2, 2: 0, 3: 0, 4: 0, 5: 0, 6: 2}   # product, expiry,
# best_before, production_date, harvest_date (YYYYMMDD), country
SENSOR = {1: 2, 2: 0, 3: 2, 4: 0, 5: 0, 6: 0, 7: 0, 8: 2}  # type, value
# (sint64), uom, min (sint64, optional), max (idem), time, alarm, device
KDE = {1: 2, 2: 2}
TYPES = ["", "commission", "ship", "receive", "transform", "observe", "hold",
         "release", "recall", "dispose", "correct"]   # enum = list order
LOTSTATE = {1: 2, 2: 2, 3: 2, 4: 0, 5: 2, 6: 0, 7: 2, 8: 2, 9: 2, 10: 0,
            11: 0, 12: 2, 13: 2}
# 1 lot 2 originator 3 uom 4 events 5 log_root 6 status (0 active, 1 held,
# 2 recalled) 7 status_by 8 holdings {1 org, 2 quantity} 9 pending
# {1 ship, 2 from, 3 to, 4 quantity} 10 created_height 11 discrepancies
# 12 master (as in the creating event) 13 parties {1 org, 2 held, 3 notes}
HOLDING = {1: 2, 2: 0}
PARTY = {1: 2, 2: 0, 3: 0}
MAX_NOTES = 4096      # observe, correct, hold, release per (lot, org)
MAX_PARTIES = 64
PENDING = {1: 2, 2: 2, 3: 2, 4: 0}
STATUS = ["active", "held", "recalled"]

# ---------------------------------------------------------------- vocabularies
# CBV words and business transaction types: ../shared/STANDARDS.md.
BIZ_STEPS = set("""accepting arriving assembling collecting commissioning
consigning creating_class_instance cycle_counting decommissioning departing
destroying disassembling dispensing encoding entering_exiting holding
inspecting installing killing loading other packing picking receiving removing
repackaging repairing replacing reserving retail_selling sampling
sensor_reporting shipping staging_outbound stock_taking stocking storing
transporting unloading unpacking void_shipping""".split())
DISPOSITIONS = set("""active available completeness_inferred
completeness_verified conformant container_closed container_open damaged
destroyed dispensed disposed encoded expired in_progress in_transit inactive
mismatch_class mismatch_instance mismatch_quantity needs_replacement
no_pedigree_match non_conformant non_sellable_other partially_dispensed
recalled reserved retail_sold returned sellable_accessible
sellable_not_accessible stolen unavailable unknown""".split())
DOC_TYPES = set("bol cert desadv inv pedigree po poc prodorder recadv rma "
                "testprd testres upevt".split())
CTES = {"harvesting", "cooling", "initial_packing", "shipping", "receiving",
        "first_land_based_receiving", "transformation"}   # fsma204.md
GS1_CSET82 = set("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
                 "abcdefghijklmnopqrstuvwxyz")

def gs1_check_ok(digits):
    """GS1 mod-10 check digit (GTIN-14, GLN-13)."""
    if not digits.isdigit() or not digits.isascii():
        return False
    body, check = digits[:-1], int(digits[-1])
    s = sum(int(c) * (3 if k % 2 == 0 else 1)
            for k, c in enumerate(reversed(body)))
    return (10 - s % 10) % 10 == check

def lot_id_ok(lot):
    """events.md, "Lot ids"."""
    if not 0 < len(lot.encode()) <= 128:
        return False
    p = lot.split("/")
    if len(p) == 4 and p[0] == "01" and p[2] == "10":
        return (len(p[1]) == 14 and gs1_check_ok(p[1])
                and 1 <= len(p[3]) <= 20 and set(p[3]) <= GS1_CSET82)
    if len(p) >= 4 and p[0] == "tlc":
        code = lot.split("/", 3)[3]
        code_ok = 1 <= len(code) <= 64 and all(0x21 <= ord(c) <= 0x7E
                                               for c in code)
        if p[1] == "gln":
            return len(p[2]) == 13 and gs1_check_ok(p[2]) and code_ok
        if p[1] == "fda":
            return 1 <= len(p[2]) <= 11 and p[2].isdigit() and code_ok
    return False

def id_ok(s):
    """chain.md: [a-z0-9][a-z0-9._-]*, at most 64 bytes."""
    al = "abcdefghijklmnopqrstuvwxyz0123456789"
    return (0 < len(s) <= 64 and s[0] in al
            and all(c in al + "._-" for c in s))

def date_ok(d):
    try:
        datetime.strptime(str(d), "%Y%m%d")
        return len(str(d)) == 8
    except ValueError:
        return False

# ---------------------------------------------------------------- genesis

def load_genesis(path):
    """chain.md: genesis hash and validator set (parsing is not strict:
    the file is the one the user trusts)."""
    g = json.load(open(path, encoding="utf-8"))
    t = datetime.fromisoformat(g["genesis_time"].replace("Z", "+00:00"))
    ms = int(t.timestamp() * 1000)
    roles = {"member": 1, "validator": 2, "regulator": 4}
    orgs = {}
    enc = b""
    for o in sorted(g["orgs"], key=lambda o: o["id"].encode()):
        keys = [bytes.fromhex(k) for k in o["keys"]]
        rbits = sum(roles[r] for r in o["roles"])
        # INFERRED OrgState: 1 id, 2 name, 3 gln, 4 keys (Key: 1 pk,
        # from/until unknown, always 0 here), 5 roles, 6 power, 7 noise_key
        st = (enc_field(1, o["id"].encode()) + enc_field(2, o["name"].encode())
              + enc_field(3, o.get("gln", "").encode())
              + b"".join(enc_field(4, enc_field(1, k)) for k in keys)
              + enc_field(5, rbits) + enc_field(6, o.get("power", 0))
              + enc_field(7, bytes.fromhex(o.get("noise_key", ""))))
        enc += struct.pack(">I", len(st)) + st
        orgs[o["id"]] = {"keys": {tagged("lotledger/keyid", k)[:8]: k
                                  for k in keys}, "roles": rbits,
                         "pk0": keys[0], "power": o.get("power", 0)}
    cid = g["chain_id"].encode()
    gh = tagged("lotledger/genesis", struct.pack(">I", len(cid)) + cid
                + struct.pack(">qI", ms, len(g["orgs"])) + enc)
    vals = sorted((o["pk0"], o["power"]) for o in orgs.values()
                  if o["roles"] & 2)
    vh = tagged("lotledger/valset", struct.pack(">I", len(vals)) + b"".join(
        pk + struct.pack(">Q", pw) for pk, pw in vals))
    return {"hash": gh, "chain_id": g["chain_id"], "orgs": orgs,
            "valset": vals, "valset_hash": vh}

# ---------------------------------------------------------------- step 1

def decode_bundle(b):
    if len(b) > 64 << 20:
        fail(1, "LL_ETOOBIG", "bundle over 64 MiB")
    if b[:2] != b"\x08\x02":
        fail(1, "LL_EVERSION", "first field is not version = 2")
    known = {1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 9: 2, 10: 2}
    m = pb_parse(b, 1, "bundle", known, repeated=(6, 8))
    for f, name in ((2, "genesis"), (3, "header"), (4, "commit"),
                    (8, "lots"), (9, "state_bits")):
        if f not in m:
            fail(1, "LL_EDECODE", f"required field {f} ({name}) missing")
    events = m.get(6, [])
    if len(events) > 65536 or len(m[8]) > 4096:
        fail(1, "LL_ETOOBIG", "over 65536 events or 4096 lots")
    if (7 in m) != bool(events):
        fail(1, "LL_EDECODE", "positions present iff there are events")
    pos = packed_varints(one(m, 7, b""), 1, "positions")
    if len(pos) < 2 * len(events):
        fail(1, "LL_ETRUNC", "positions: fewer than two per event")
    if len(pos) > 2 * len(events):
        fail(1, "LL_ETRAILING", "positions: varints left over")
    heights, indexes, h, x = [], [], 0, -1
    for i in range(len(events)):
        d, v = pos[2 * i], pos[2 * i + 1]
        if i == 0 and d == 0:
            fail(1, "LL_EDECODE", "positions: first height delta is 0")
        h, x = h + d, (v if d > 0 else x + v + 1)
        if h >= 2**64 or x >= 2**32:
            fail(1, "LL_EDECODE", f"positions: event {i} out of range")
        heights.append(h)
        indexes.append(x)
    lots = []
    for k, raw in enumerate(m[8]):
        pl = pb_parse(raw, 1, f"lots[{k}]", {1: 2, 2: 0, 3: 2})
        exp = one(pl, 2, 0)
        if exp not in (0, 1):
            fail(1, "LL_EDECODE", f"lots[{k}].expanded is {exp}")
        if 1 not in pl:
            fail(1, "LL_EDECODE", f"lots[{k}] has no state")
        idx, cur = [], -1
        for v in packed_varints(one(pl, 3, b""), 1, f"lots[{k}].events"):
            cur = v if cur < 0 else cur + v + 1
            if cur >= len(events):
                fail(1, "LL_EDECODE", f"lots[{k}]: event index {cur} out "
                     "of range")
            idx.append(cur)
        lots.append({"state": one(pl, 1), "followed": exp == 1,
                     "events": idx, "has_list": 3 in pl})
    return {"genesis": m[2][0], "header": m[3][0], "commit": m[4][0],
            "direction": one(m, 5, 0), "events": events, "heights": heights,
            "indexes": indexes, "lots": lots, "bits": m[9][0],
            "hashes": one(m, 10, b"")}

# ---------------------------------------------------------------- step 3

def check_quorum(bd, gen):
    hd = bd["header"]
    if len(hd) != 248:
        fail(3, "LL_ETRUNC" if len(hd) < 248 else "LL_ETRAILING",
             f"header is {len(hd)} bytes, not 248")
    ver, = struct.unpack(">I", hd[:4])
    if ver != 1:
        fail(3, "LL_EVERSION", f"header version {ver}")
    height, time_ms = struct.unpack(">Qq", hd[36:52])
    if hd[4:36] != gen["hash"] or height < 1:
        fail(3, "LL_EVERIFY", "header of another network or height 0")
    hh = tagged("lotledger/header", hd)
    if hd[84:116] != gen["valset_hash"]:
        fail(3, "LL_EVERIFY", "header does not name the genesis validator set")
    c = bd["commit"]
    if len(c) < 2:
        fail(3, "LL_ETRUNC", "commit cut short")
    n, = struct.unpack(">H", c[:2])
    if len(c) != 2 + 66 * n:
        fail(3, "LL_ETRUNC" if len(c) < 2 + 66 * n else "LL_ETRAILING",
             f"commit of {n} signatures is {len(c)} bytes")
    vals, last, power = gen["valset"], -1, 0
    for k in range(n):
        idx, = struct.unpack(">H", c[2 + 66 * k:4 + 66 * k])
        if idx >= len(vals) or idx <= last:
            fail(3, "LL_EVERIFY", f"commit index {idx} out of range or order")
        last = idx
        if not schnorr_verify(vals[idx][0], hh, c[4 + 66 * k:68 + 66 * k]):
            fail(3, "LL_EBADSIG", f"commit signature of validator {idx}")
        power += vals[idx][1]
    if 3 * power <= 2 * sum(p for _, p in vals):
        fail(3, "LL_EPROOF", "signers hold no more than 2/3 of the power")
    return height, time_ms, hh, hd[180:212]

# ---------------------------------------------------------------- step 4

def decode_lot_state(raw, k, followed):
    st = pb_parse(raw, 4, f"lots[{k}].state", LOTSTATE, repeated=(8, 9, 13))
    lot = text(st, 1, 4, f"lots[{k}].state")
    if not lot_id_ok(lot):
        fail(4, "LL_EDECODE", f"lots[{k}]: invalid lot id {lot!r}")
    if followed and 5 in st:
        fail(4, "LL_ENONCANON", f"lots[{k}] ({lot}): followed lot keeps "
             "its log_root")
    st["holdings"] = [pb_parse(h, 4, "holding", HOLDING) for h in st.get(8, [])]
    st["pending"] = [pb_parse(p, 4, "pending", PENDING) for p in st.get(9, [])]
    st["parties"] = [pb_parse(p, 4, "party", PARTY) for p in st.get(13, [])]
    if any(one(p, 2, 0) > 1 for p in st["parties"]):
        fail(4, "LL_EDECODE", f"lots[{k}] ({lot}): party.held is not 0 or 1")
    if 12 in st:
        pb_parse(st[12][0], 4, "master", MASTER)
    st["lot"] = lot
    return st

# ---------------------------------------------------------------- step 5

def decode_event(se, i, gen):
    what = f"event {i}"
    n, j = read_varint(se, 1, 5, what) if se[:1] == b"\x0a" else (None, 0)
    if (n is None or j + n + 66 != len(se) or se[j + n:j + n + 2] != b"\x12\x40"
            or len(enc_varint(n)) != j - 1):
        fail(5, "LL_EDECODE", f"{what}: not 0a len event 12 40 sig")
    body, sig = se[j:j + n], se[j + n + 2:]
    e = pb_parse(body, 5, what, EVENT, repeated=(10, 11, 15, 17, 18),
                 empty_ok=(16,))
    ev = {"id": tagged("lotledger/event", body), "sig": sig,
          "type": one(e, 3, 0), "org": text(e, 8, 5, what),
          "key_id": one(e, 9, b""), "ref": one(e, 14, b""),
          "counterparty": text(e, 13, 5, what), "master": one(e, 16)}
    if len(se) > 32768:
        fail(5, "LL_ETOOBIG", f"{what}: over 32768 bytes")
    lim = {2: 64, 4: 40, 5: 40, 8: 64, 12: 64, 13: 64, 19: 256}  # events.md
    for f in (2, 4, 5, 12, 13, 19, 20):
        if len(one(e, f, b"")) > lim.get(f, 64):
            fail(5, "LL_ETOOBIG", f"{what}: field {f} too long")
    for f, n in ((10, 64), (11, 16), (15, 8), (17, 16), (18, 32)):
        if len(e.get(f, [])) > n:
            fail(5, "LL_ETOOBIG", f"{what}: field {f} has over {n} entries")

    def lq(raw):
        q = pb_parse(raw, 5, what, LOTQTY)
        return (text(q, 1, 5, what), one(q, 2, 0), text(q, 3, 5, what))
    ev["lots"] = [lq(r) for r in e.get(10, [])]
    ev["outputs"] = [lq(r) for r in e.get(11, [])]
    well_formed(e, ev, gen, what)
    return ev

def well_formed(e, ev, gen, what):
    """events.md, "Well-formedness" (the parts the docs define)."""
    def bad(why):
        fail(5, "LL_EINVAL", f"{what}: {why}")
    t = ev["type"]
    if one(e, 1, 0) != 1:
        bad("version is not 1")
    if text(e, 2, 5, what) != gen["chain_id"]:
        bad("chain id of another network")
    if not 1 <= t < len(TYPES):
        bad(f"unknown type {t}")
    tn = TYPES[t]
    if one(e, 6, 0) == 0:
        bad("no event time")
    if abs(zigzag(one(e, 7, 0))) > 14 * 60:
        bad("tz_offset beyond 14:00")
    if not id_ok(ev["org"]) or len(ev["key_id"]) != 8:
        bad("bad organisation id or key id")
    bs, di = text(e, 4, 5, what), text(e, 5, 5, what)
    if (bs and bs not in BIZ_STEPS) or (di and di not in DISPOSITIONS):
        bad("not a CBV word")
    cte = text(e, 20, 5, what)
    if cte and cte not in CTES:
        bad(f"unknown FSMA CTE {cte!r}")
    names = [x[0] for x in ev["lots"] + ev["outputs"]]
    if len(set(names)) != len(names) or not all(map(lot_id_ok, names)):
        bad("invalid or repeated lot id")
    for _, q, u in ev["lots"] + ev["outputs"]:
        if u and not (2 <= len(u) <= 3 and all(c.isdigit() or "A" <= c <= "Z"
                                               for c in u)):
            bad(f"bad unit {u!r}")
    need_qty = tn in ("commission", "ship", "receive", "transform", "dispose")
    if tn == "correct":
        if ev["lots"]:
            bad("a correction names no lot")
    elif not ev["lots"]:
        bad("no lot")
    if need_qty and any(q == 0 for _, q, _ in ev["lots"]):
        bad("zero quantity")
    if tn in ("hold", "release", "recall") and any(q or u for _, q, u
                                                     in ev["lots"]):
        bad("hold/release/recall take the whole lot")
    if (tn == "transform") != bool(ev["outputs"]) or any(
            q == 0 for _, q, _ in ev["outputs"]):
        bad("outputs only and always for transform, quantity > 0")
    if (tn == "ship") != bool(ev["counterparty"]) or ev["counterparty"] == ev["org"]:
        bad("counterparty required for ship only, not self")
    if (tn in ("receive", "correct")) != bool(ev["ref"]) or (
            ev["ref"] and len(ev["ref"]) != 32):
        bad("ref (32 bytes) required for receive/correct only")
    if (tn in ("hold", "recall", "dispose", "correct")) != (19 in e):
        bad("reason required for hold, recall, dispose, correct only")
    if ev["master"] is not None:
        if tn not in ("commission", "transform"):
            bad("master data only on commission/transform")
        m = pb_parse(ev["master"], 5, what, MASTER)
        if len(one(m, 1, b"")) > 128:
            fail(5, "LL_ETOOBIG", f"{what}: master.product too long")
        if not all(date_ok(one(m, f)) for f in (2, 3, 4, 5) if f in m):
            bad("not a calendar date")
    loc = text(e, 12, 5, what)
    if len(loc) == 13 and loc.isdigit() and not gs1_check_ok(loc):
        bad("GLN check digit")
    for r in e.get(15, []):
        d = pb_parse(r, 5, what, DOC)
        if len(one(d, 2, b"")) > 64:
            fail(5, "LL_ETOOBIG", f"{what}: document number too long")
        if text(d, 1, 5, what) not in DOC_TYPES:
            bad("unknown business transaction type")
    for r in e.get(17, []):
        s = pb_parse(r, 5, what, SENSOR, zero_ok=(4, 5))
        if len(one(s, 8, b"")) > 64:
            fail(5, "LL_ETOOBIG", f"{what}: sensor device too long")
        if 4 in s and 5 in s and zigzag(s[4][0]) > zigzag(s[5][0]):
            bad("sensor min > max")
    kdes = [pb_parse(r, 5, what, KDE) for r in e.get(18, [])]
    if any(len(one(k, 1, b"")) > 48 or len(one(k, 2, b"")) > 256 for k in kdes):
        fail(5, "LL_ETOOBIG", f"{what}: KDE key or value too long")
    keys = [text(k, 1, 5, what) for k in kdes]
    if len(set(keys)) != len(keys) or not all(
            k and set(k) <= set("abcdefghijklmnopqrstuvwxyz0123456789_")
            for k in keys):
        bad("KDE keys must be [a-z0-9_]+ and unique")

def check_event_sig(ev, i, gen):
    org = gen["orgs"].get(ev["org"])
    pk = org and org["keys"].get(ev["key_id"])
    # Genesis keys have from = until = 0 (chain.md): valid at every height.
    if pk is None:
        fail(5, "LL_EBADSIG", f"event {i}: org {ev['org']!r} holds no key "
             f"{ev['key_id'].hex()}")
    if not schnorr_verify(pk, ev["id"], ev["sig"]):
        fail(5, "LL_EBADSIG", f"event {i}: signature does not verify")

# ---------------------------------------------------------------- step 7

def verify_state_proof(keys_vh, bits, hashes):
    """proof-format.md section 4.  keys_vh: sorted [(key, value hash)]."""
    st = {"bit": 0, "hash": 0}

    def rbit():
        k = st["bit"]
        if k >= 8 * len(bits):
            fail(7, "LL_ETRUNC", "state_bits run out")
        st["bit"] += 1
        return (bits[k >> 3] >> (7 - (k & 7))) & 1

    def rhash():
        k = st["hash"]
        if k + 32 > len(hashes):
            fail(7, "LL_ETRUNC", "state_hashes run out")
        st["hash"] += 32
        return hashes[k:k + 32]

    def bit_of(key, d):
        return (key[d >> 3] >> (7 - (d & 7))) & 1

    def walk(ks, d):      # returns (hash, kind) kind in empty/leaf/inner/hash
        if len(ks) == 1 and rbit() == 1:
            return tagged("lotledger/smt/leaf", ks[0][0] + ks[0][1]), "leaf"
        if d == 256:
            fail(7, "LL_EPROOF", "inner node at depth 256")
        kids = []
        for side in (0, 1):
            sub = [kv for kv in ks if bit_of(kv[0], d) == side]
            if sub:
                kids.append(walk(sub, d + 1))
            elif rbit() == 1:
                kids.append((bytes(32), "empty"))
            else:
                h = rhash()
                if h == bytes(32):
                    fail(7, "LL_EPROOF", "a zero hash stands for an empty "
                         "subtree (must be its bit)")
                kids.append((h, "hash"))
        kinds = (kids[0][1], kids[1][1])
        if kinds in (("empty", "leaf"), ("leaf", "empty")):
            fail(7, "LL_EPROOF", "a leaf beside an empty subtree")
        return tagged("lotledger/smt/node", kids[0][0] + kids[1][0]), "inner"

    root, _ = walk(keys_vh, 0)
    used = (st["bit"] + 7) // 8
    if len(bits) > used or (st["bit"] % 8 and bits[-1] & (
            0xFF >> (st["bit"] % 8))) or st["hash"] != len(hashes):
        fail(7, "LL_ETRAILING", "state proof has bits or hashes left over")
    return root

# ---------------------------------------------------------------- step 9

def replay(bd, evs, lots, states, gen):
    """rules.md, replayed from an empty state; returns lots reproduced."""
    followed = {st["lot"] for lot, st in zip(lots, states) if lot["followed"]}
    by_id = {ev["id"]: ev for ev in evs}
    S, aside, seen = {}, set(), {}

    def bad(i, why):
        fail(9, "LL_EPROOF", f"event {i} ({TYPES[evs[i]['type']]} by "
             f"{evs[i]['org']}): {why}")

    def party(i, x, org, held=False, note=False):
        """rules.md "Who may observe": org's part in lot x."""
        ps = S[x]["parties"]
        if org not in ps:
            if len(ps) == MAX_PARTIES:
                bad(i, f"lot {x} already has {MAX_PARTIES} parties")
            ps[org] = [False, 0]
        if note:
            if ps[org][1] >= MAX_NOTES:
                bad(i, f"{org} has added {MAX_NOTES} notes to {x}")
            ps[org][1] += 1
        if held:
            ps[org][0] = True

    for i, ev in enumerate(evs):
        tn, actor, h = TYPES[ev["type"]], ev["org"], bd["heights"][i]
        roles = gen["orgs"][actor]["roles"]
        named = [x[0] for x in ev["lots"] + ev["outputs"]]
        if tn == "correct":
            tgt = seen.get(ev["ref"])
            named = [x[0] for x in tgt["lots"] + tgt["outputs"]] if tgt else []
        acted = [x[0] for x in ev["lots"]]
        # A transform's outputs need no history (step 9): only the lots
        # acted on, or for a correction every lot of its target, must be
        # followed and not set aside.
        need = named if tn == "correct" else acted
        blocked = (any(x not in followed or x in aside for x in need)
                   or (tn == "receive" and ev["ref"] not in by_id)
                   or (tn == "correct" and ev["ref"] not in by_id))
        seen[ev["id"]] = ev
        if blocked:
            aside.update(x for x in named if x in followed)
            continue
        need = 1 if tn in ("commission", "ship", "receive", "transform",
                           "dispose") else 5
        if not roles & need:
            bad(i, "organisation lacks the role")
        if tn == "ship":
            to = gen["orgs"].get(ev["counterparty"])
            if to is None or not to["roles"] & 1:
                bad(i, "receiver is not a member organisation")
        if tn in ("ship", "transform", "dispose", "observe", "hold",
                  "release", "recall", "receive"):
            for x in acted:
                if x not in S:
                    bad(i, f"lot {x} does not exist")
        for x, q, u in ev["lots"] + ev["outputs"]:
            if x in S and (u or q) and u != S[x]["uom"]:
                bad(i, f"lot {x}: unit {u!r} is not {S[x]['uom']!r}")
        if tn in ("ship", "transform"):
            for x, q, _ in ev["lots"]:
                if S[x]["status"] != 0:
                    bad(i, f"lot {x} is not active")
                if S[x]["hold"].get(actor, 0) < q:
                    bad(i, f"{actor} holds less than {q} of {x}")
        if tn in ("commission", "transform"):
            for x, q, u in (ev["lots"] if tn == "commission" else ev["outputs"]):
                if x in S:
                    bad(i, f"lot {x} already exists")
                S[x] = {"orig": actor, "uom": u, "hold": {actor: q},
                        "status": 0, "by": "", "pend": [], "disc": 0,
                        "created": h, "master": ev["master"] or b"",
                        "parties": {}}
                party(i, x, actor, held=True)
        if tn in ("ship", "transform", "dispose"):
            for x, q, _ in ev["lots"]:
                have = S[x]["hold"].get(actor, 0)
                if have < q:
                    bad(i, f"{actor} holds less than {q} of {x}")
                S[x]["hold"][actor] = have - q
                if tn == "ship":
                    S[x]["pend"].append((ev["id"], actor, ev["counterparty"], q))
        if tn == "receive":
            for x, q, _ in ev["lots"]:
                p = [s for s in S[x]["pend"] if s[0] == ev["ref"]]
                if not p:
                    bad(i, f"no pending shipment of {x} with that id")
                if p[0][2] != actor:
                    bad(i, f"shipment of {x} is not addressed to {actor}")
                S[x]["pend"].remove(p[0])
                S[x]["disc"] += q != p[0][3]
                S[x]["hold"][actor] = S[x]["hold"].get(actor, 0) + q
                party(i, x, actor, held=True)
        if tn in ("hold", "release", "recall"):
            for x in acted:
                s, reg = S[x], bool(roles & 4)
                ok = {"hold": s["status"] == 0, "release": s["status"] == 1,
                      "recall": s["status"] != 2}[tn]
                if not ok:
                    bad(i, f"lot {x} is {STATUS[s['status']]}")
                allowed = reg or s["orig"] == actor or (
                    tn == "hold" and s["hold"].get(actor, 0) > 0) or (
                    tn == "release" and s["by"] == actor)
                if not allowed:
                    bad(i, f"{actor} may not {tn} {x}")
                if tn != "recall":
                    party(i, x, actor, note=True)
                # INFERRED: release clears status_by.
                s["status"], s["by"] = {"hold": (1, actor), "release": (0, ""),
                                        "recall": (2, actor)}[tn]
        if tn == "observe":
            for x in acted:
                s = S[x]
                p = s["parties"].get(actor)
                if not (roles & 4 or s["orig"] == actor
                        or s["hold"].get(actor, 0) > 0 or (p and p[0])
                        or any(pp[2] == actor for pp in s["pend"])):
                    bad(i, f"{actor} has no part in {x} and may not observe "
                        "it")
                party(i, x, actor, note=True)
        if tn == "correct":
            if ev["ref"] not in seen or not (
                    roles & 4 or by_id[ev["ref"]]["org"] == actor):
                bad(i, "corrected event not recorded or not the actor's")
            for x in named:
                party(i, x, actor, note=True)
        for x in named:
            S[x]["hold"] = {o: q for o, q in S[x]["hold"].items() if q}
    good = 0
    for lot, st in zip(lots, states):
        x = st["lot"]
        if not lot["followed"] or x in aside:
            continue
        s = S.get(x)
        got = None if s is None else (
            s["orig"], s["uom"], s["status"], s["by"], sorted(s["hold"].items()),
            sorted((p[0], p[1], p[2], p[3]) for p in s["pend"]),
            s["created"], s["disc"], s["master"],
            sorted((o, p[0], p[1]) for o, p in s["parties"].items()))
        want = (text(st, 2, 9, x), text(st, 3, 9, x), one(st, 6, 0),
                text(st, 7, 9, x),
                sorted((text(hh, 1, 9, x), one(hh, 2, 0)) for hh in st["holdings"]),
                sorted((one(p, 1, b""), text(p, 2, 9, x), text(p, 3, 9, x),
                        one(p, 4, 0)) for p in st["pending"]),
                one(st, 10, 0), one(st, 11, 0), one(st, 12, b""),
                sorted((text(pp, 1, 9, x), bool(one(pp, 2, 0)), one(pp, 3, 0))
                       for pp in st["parties"]))
        if got != want:
            fail(9, "LL_EPROOF", f"lot {x}: replayed state {got} differs from "
                 f"the committed {want}")
        good += 1
    return good

# ---------------------------------------------------------------- main

def verify(gen, raw):
    bd = decode_bundle(raw)                                        # 1
    if bd["genesis"] != gen["hash"]:                               # 2
        fail(2, "LL_EVERIFY", "bundle made for another network")
    if bd["direction"] not in (0, 1):
        fail(2, "LL_EDECODE", f"direction {bd['direction']}")
    fwd = bd["direction"] == 1
    height, time_ms, hh, state_root = check_quorum(bd, gen)        # 3
    lots = bd["lots"]                                              # 4
    states = [decode_lot_state(lot["state"], k, lot["followed"])
              for k, lot in enumerate(lots)]
    index = {}
    for k, st in enumerate(states):
        if st["lot"] in index:
            fail(4, "LL_EPROOF", f"lot {st['lot']} listed twice")
        index[st["lot"]] = k
    evs, ids = [], set()                                           # 5
    for i, se in enumerate(bd["events"]):
        if bd["heights"][i] > height:
            fail(5, "LL_EPROOF", f"event {i} at height {bd['heights'][i]} "
                 f"> H = {height}")
        ev = decode_event(se, i, gen)
        check_event_sig(ev, i, gen)
        if ev["id"] in ids:
            fail(5, "LL_EDECODE", f"event {i} listed twice")
        ids.add(ev["id"])
        evs.append(ev)
    listed = set()                                                 # 6
    committed = []
    for k, (lot, st) in enumerate(zip(lots, states)):
        if not lot["followed"]:
            if lot["has_list"]:
                fail(6, "LL_EDECODE", f"unfollowed lot {st['lot']} lists events")
            committed.append(lot["state"])
            continue
        if not lot["events"] or len(lot["events"]) != one(st, 4, 0):
            fail(6, "LL_EPROOF", f"lot {st['lot']}: {len(lot['events'])} "
                 f"events listed, state says {one(st, 4, 0)}")
        listed.update(lot["events"])
        root = mth([sha256(b"\x00" + struct.pack(">QI", bd["heights"][i],
                                                 bd["indexes"][i]) + evs[i]["id"])
                    for i in lot["events"]])
        raw_st, j = lot["state"], 0
        while j < len(raw_st):                     # insert field 5 in place
            key, j2 = read_varint(raw_st, j, 6, "state")
            if key >> 3 > 5:
                break
            j = j2
            if key & 7 == 0:
                _, j = read_varint(raw_st, j, 6, "state")
            else:
                n, j = read_varint(raw_st, j, 6, "state")
                j += n
        committed.append(raw_st[:j] + b"\x2a\x20" + root + raw_st[j:])
    if len(listed) != len(evs):
        fail(6, "LL_EPROOF", "an event is listed by no followed lot")
    kv = sorted((tagged("lotledger/lot", st["lot"].encode()),     # 7
                 tagged("lotledger/smt/value", c))
                for st, c in zip(states, committed))
    if verify_state_proof(kv, bd["bits"], bd["hashes"]) != state_root:
        fail(7, "LL_EPROOF", "state proof does not reach the header's "
             "state root")
    if not lots[0]["followed"]:                                    # 8
        fail(8, "LL_EPROOF", "lots[0] is not followed")
    depth, queue, steps = {0: 0}, [0], set()
    while queue:
        k = queue.pop(0)
        if not lots[k]["followed"]:
            continue
        me = states[k]["lot"]
        for i in lots[k]["events"]:
            ev = evs[i]
            if TYPES[ev["type"]] != "transform":
                continue
            ins, outs = [x[0] for x in ev["lots"]], [x[0] for x in ev["outputs"]]
            mine, other = (ins, outs) if fwd else (outs, ins)
            if me not in mine:
                continue
            steps.add((k, i))
            for x in other:
                if x not in index:
                    fail(8, "LL_EPROOF", f"not closed: {x} (named by a "
                         f"transform of {me}) is not in the bundle")
                if index[x] not in depth:
                    depth[index[x]] = depth[k] + 1
                    queue.append(index[x])
    if len(depth) != len(lots):
        fail(8, "LL_EPROOF", "a lot of the bundle is not reached from lots[0]")
    D = max(d for k, d in depth.items() if lots[k]["followed"])
    if any(d <= D and not lots[k]["followed"] for k, d in depth.items()):
        fail(8, "LL_EPROOF", f"an unfollowed lot sits at depth <= {D}")
    for i, ev in enumerate(evs):
        for x in [y[0] for y in ev["lots"] + ev["outputs"]]:
            k = index.get(x)
            if k is not None and lots[k]["followed"] and i not in lots[k]["events"]:
                fail(8, "LL_EPROOF", f"event {i} names {x} but is not in its log")
    good = replay(bd, evs, lots, states, gen)                      # 9
    unfollowed = sum(1 for lot in lots if not lot["followed"])
    return {"direction": "forward" if fwd else "backward",
            "lot": states[0]["lot"], "height": height, "time_ms": time_ms,
            "header": hh.hex(), "lots": len(lots), "events": len(evs),
            "orgs": len({ev["org"] for ev in evs}), "steps": len(steps),
            "depth": D, "reproduced": good, "complete": unfollowed == 0,
            "unfollowed": unfollowed}

def main(argv):
    if len(argv) != 3:
        print("usage: verify_proof.py GENESIS.json BUNDLE.bin", file=sys.stderr)
        return 2
    try:
        gen = load_genesis(argv[1])
        raw = open(argv[2], "rb").read()
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"cannot read input: {e}", file=sys.stderr)
        return 2
    try:
        r = verify(gen, raw)
    except Reject as e:
        print(f"REJECTED: {e}")
        return 1
    t = datetime.fromtimestamp(r["time_ms"] // 1000, timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S") + f".{r['time_ms'] % 1000:03d}Z"
    print(f"ok: {r['direction']} trace of {r['lot']}\n"
          f"  block      {r['height']} ({t}), header {r['header']}\n"
          f"  lots       {r['lots']} ({r['steps']} transform steps, "
          f"{r['depth']} levels deep)\n"
          f"  events     {r['events']}, signed by {r['orgs']} organisations\n"
          f"  rules      replay reproduces {r['reproduced']} followed lots\n"
          + (f"  complete as of height {r['height']}" if r["complete"] else
             f"  depth-limited: {r['unfollowed']} lots named but not followed"))
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv))
