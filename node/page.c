/* SPDX-License-Identifier: MIT */
/*
 * The consumer page behind a lot's GS1 Digital Link (GET /01/{gtin}/10/
 * {lot}): plain HTML and inline CSS, no external assets, readable on a
 * phone — product, origin, journey, status (a banner when held or
 * recalled), whether the node's own check of the lot's trace proof passed,
 * and a link to download that proof. Also the same facts as JSON.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../ledger/event.h"
#include "page.h"

static const char *const status_names[] = {"active", "held", "recalled"};

/* Append s with HTML's five special characters escaped. */
static int esc(struct ll_buf *b, const char *s)
{
    int rc = 0;
    for (; rc == 0 && *s != '\0'; s++) {
        switch (*s) {
        case '<':
            rc = ll_buf_printf(b, "&lt;");
            break;
        case '>':
            rc = ll_buf_printf(b, "&gt;");
            break;
        case '&':
            rc = ll_buf_printf(b, "&amp;");
            break;
        case '"':
            rc = ll_buf_printf(b, "&quot;");
            break;
        case '\'':
            rc = ll_buf_printf(b, "&#39;");
            break;
        default:
            rc = ll_buf_append_byte(b, (uint8_t)*s);
        }
    }
    return rc;
}

/* The display name of an organisation (its id if unknown). */
static const char *org_name(const struct ll_genesis *g, const char *id)
{
    const lotledger_OrgState *o = ll_genesis_org(g, id);
    return o != NULL && o->name[0] != '\0' ? o->name : id;
}

/* The organisation whose GLN is gln, or NULL. */
static const char *gln_name(const struct ll_genesis *g, const char *gln)
{
    for (size_t i = 0; i < g->norgs; i++)
        if (gln[0] != '\0' && strcmp(g->orgs[i].gln, gln) == 0)
            return g->orgs[i].name;
    return NULL;
}

static const char *verb(lotledger_EventType t)
{
    switch (t) {
    case lotledger_EventType_COMMISSION:
        return "harvested / produced";
    case lotledger_EventType_SHIP:
        return "shipped";
    case lotledger_EventType_RECEIVE:
        return "received";
    case lotledger_EventType_TRANSFORM:
        return "processed";
    case lotledger_EventType_OBSERVE:
        return "inspected";
    case lotledger_EventType_HOLD:
        return "put on hold";
    case lotledger_EventType_RELEASE:
        return "released";
    case lotledger_EventType_RECALL:
        return "recalled";
    case lotledger_EventType_DISPOSE:
        return "disposed of";
    default:
        return "corrected";
    }
}

static const char css[] =
    "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;"
    "margin:0;background:#f6f7f5;color:#1d2a1f}"
    "main{max-width:40rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.4rem;margin:.5rem 0}"
    ".banner{padding:.8rem 1rem;border-radius:.5rem;font-weight:600;"
    "margin:.8rem 0}"
    ".recalled{background:#b3261e;color:#fff}"
    ".held{background:#f2b01e;color:#2a1f00}"
    ".active{background:#dfeedd;color:#1d4d24}"
    ".card{background:#fff;border-radius:.5rem;padding:.8rem 1rem;"
    "margin:.8rem 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    "ol{padding-left:1.2rem}li{margin:.4rem 0}"
    ".muted{color:#5b665c;font-size:.9rem}"
    ".ok{color:#1d6b2a;font-weight:600}.bad{color:#b3261e;font-weight:600}"
    "a{color:#1d5b8f}";

int ll_page_error(struct ll_buf *out, const char *title, const char *detail)
{
    int rc = ll_buf_printf(out,
                           "<!doctype html><html lang=\"en\"><head><meta "
                           "charset=\"utf-8\"><meta name=\"viewport\" "
                           "content=\"width=device-width,initial-scale=1\">"
                           "<title>lotledger</title><style>%s</style></head>"
                           "<body><main><h1>",
                           css);
    if (rc == 0)
        rc = esc(out, title);
    if (rc == 0)
        rc = ll_buf_printf(out, "</h1><div class=\"card\"><p>");
    if (rc == 0)
        rc = esc(out, detail);
    if (rc == 0)
        rc = ll_buf_printf(out, "</p><p class=\"muted\">The code on the "
                                "package should open an address like "
                                "/01/&lt;14-digit GTIN&gt;/10/&lt;lot&gt;."
                                "</p></div></main></body></html>\n");
    return rc;
}

/* Events of the lot and its sources, oldest first. */
static int by_time(const void *a, const void *b)
{
    const struct ll_page_event *x = a;
    const struct ll_page_event *y = b;
    return x->ev->event_time < y->ev->event_time
               ? -1
               : x->ev->event_time > y->ev->event_time;
}

/* " <alarm spans>" for the event's sensor alarms. */
static int alarms(struct ll_buf *out, const lotledger_Event *ev)
{
    int rc = 0;
    for (size_t s = 0; rc == 0 && s < ev->sensors_count; s++) {
        if (!ev->sensors[s].alarm)
            continue;
        rc = ll_buf_printf(out, " <span class=\"bad\">");
        if (rc == 0)
            rc = esc(out, ev->sensors[s].type);
        if (rc == 0)
            rc = ll_buf_printf(out, " alarm: %.1f ",
                               (double)ev->sensors[s].value / 1000.0);
        if (rc == 0)
            rc = esc(out, ev->sensors[s].uom);
        if (rc == 0)
            rc = ll_buf_printf(out, "</span>");
    }
    return rc;
}

/* " <span class=muted>pre TEXT post</span>" (TEXT escaped). */
static int muted(struct ll_buf *out, const char *pre, const char *text,
                 const char *post)
{
    int rc = ll_buf_printf(out, " <span class=\"muted\">%s", pre);
    if (rc == 0)
        rc = esc(out, text);
    return rc == 0 ? ll_buf_printf(out, "%s</span>", post) : rc;
}

static int step_html(struct ll_buf *out, const struct ll_genesis *g,
                     const lotledger_Event *ev)
{
    char when[40];
    if (ll_time_format(when, sizeof(when), ev->event_time, ev->tz_offset) != 0)
        when[0] = '\0';
    const char *place = gln_name(g, ev->location);
    int rc = ll_buf_printf(out, "<li><strong>%.10s</strong> ", when);
    if (rc == 0)
        rc = esc(out, org_name(g, ev->org));
    if (rc == 0)
        rc = ll_buf_printf(out, " %s", verb(ev->type));
    if (rc == 0 && ev->type == lotledger_EventType_SHIP &&
        ev->counterparty[0] != '\0') {
        rc = ll_buf_printf(out, " to ");
        if (rc == 0)
            rc = esc(out, org_name(g, ev->counterparty));
    }
    if (rc == 0 && place != NULL)
        rc = muted(out, "at ", place, "");
    if (rc == 0)
        rc = alarms(out, ev);
    if (rc == 0 && ev->reason[0] != '\0')
        rc = muted(out, "(", ev->reason, ")");
    return rc == 0 ? ll_buf_printf(out, "</li>") : rc;
}

static int journey_html(struct ll_buf *out, const struct ll_page *p)
{
    int rc = ll_buf_printf(out, "<div class=\"card\"><h2>Journey</h2><ol>");
    for (size_t i = 0; rc == 0 && i < p->n_events; i++)
        rc = step_html(out, p->g, p->events[i].ev);
    if (rc == 0 && p->truncated)
        rc = ll_buf_printf(out,
                           "</ol><p class=\"muted\">The first %zu "
                           "events are shown; download the proof for "
                           "all of them.</p></div>",
                           p->n_events);
    else if (rc == 0)
        rc = ll_buf_printf(out, "</ol></div>");
    return rc;
}

/* The verification card: the node's own check of the trace proof. */
static int verification_html(struct ll_buf *out, const struct ll_page *p)
{
    int rc = 0;
    if (rc == 0)
        rc = ll_buf_printf(
            out,
            "<div class=\"card\"><h2>Verification</h2><p class=\"%s\">%s</p>"
            "<p class=\"muted\">Every record above is signed by the company "
            "that made it and was committed by the network's validators "
            "(block %llu). Anyone can check this independently: download the "
            "<a href=\"",
            p->verified || p->partial ? "ok" : "bad",
            p->verified  ? "Verified: the history is complete and signed."
            : p->partial ? "Verified as far as shown: the oldest part of "
                           "this history is beyond what this page follows."
                         : "The node could not verify this history.",
            (unsigned long long)p->height);
    if (rc == 0)
        rc = esc(out, p->proof_url);
    if (rc == 0)
        rc = ll_buf_printf(out, "\">proof</a> and run <code>lotledger verify "
                                "--genesis GENESIS proof.bin</code>.</p>"
                                "</div>");
    return rc;
}

static int html(struct ll_buf *out, const struct ll_page *p)
{
    const lotledger_LotState *st = p->state;
    unsigned status = (unsigned)st->status < 3 ? (unsigned)st->status : 0;
    static const char *const banner[] = {
        "No hold or recall is recorded for this lot.",
        "This lot is ON HOLD: do not use it until it is released.",
        ("RECALLED: do not eat or use this product. Return it or throw it "
         "away.")};
    int rc =
        ll_buf_printf(out, "<!doctype html><html lang=\"en\"><head><meta "
                           "charset=\"utf-8\"><meta name=\"viewport\" "
                           "content=\"width=device-width,initial-scale=1\">"
                           "<title>lotledger: ");
    if (rc == 0)
        rc = esc(out, st->lot);
    if (rc == 0)
        rc = ll_buf_printf(out,
                           "</title><style>%s</style></head><body><main>"
                           "<h1>",
                           css);
    if (rc == 0)
        rc = esc(out, st->has_master && st->master.product[0] != '\0'
                          ? st->master.product
                          : "Product lot");
    if (rc == 0)
        rc = ll_buf_printf(out, "</h1><div class=\"muted\">Lot ");
    if (rc == 0)
        rc = esc(out, st->lot);
    if (rc == 0)
        rc = ll_buf_printf(out, "</div><div class=\"banner %s\">%s</div>",
                           status_names[status], banner[status]);
    if (rc == 0)
        rc = ll_buf_printf(out, "<div class=\"card\"><h2>Origin</h2><p>");
    if (rc == 0)
        rc = esc(out, org_name(p->g, p->origin_org));
    if (rc == 0 && p->origin_country[0] != '\0')
        rc = ll_buf_printf(out, " (country of origin %s)", p->origin_country);
    if (rc == 0)
        rc = ll_buf_printf(out, "</p></div>");
    if (rc == 0)
        rc = journey_html(out, p);
    if (rc == 0)
        rc = verification_html(out, p);
    if (rc == 0)
        rc = ll_buf_printf(out, "</main></body></html>\n");
    return rc;
}

static int json(struct ll_buf *out, const struct ll_page *p)
{
    const lotledger_LotState *st = p->state;
    unsigned status = (unsigned)st->status < 3 ? (unsigned)st->status : 0;
    json_t *j = json_object();
    json_t *steps = json_array();
    (void)json_object_set_new(j, "lot", json_string(st->lot));
    (void)json_object_set_new(
        j, "product", json_string(st->has_master ? st->master.product : ""));
    (void)json_object_set_new(j, "status", json_string(status_names[status]));
    (void)json_object_set_new(j, "origin",
                              json_string(org_name(p->g, p->origin_org)));
    (void)json_object_set_new(j, "country", json_string(p->origin_country));
    for (size_t i = 0; i < p->n_events; i++) {
        const lotledger_Event *ev = p->events[i].ev;
        char when[40];
        json_t *o = json_object();
        if (ll_time_format(when, sizeof(when), ev->event_time, ev->tz_offset) !=
            0)
            when[0] = '\0';
        (void)json_object_set_new(o, "time", json_string(when));
        (void)json_object_set_new(o, "type",
                                  json_string(ll_event_type_name(ev->type)));
        (void)json_object_set_new(o, "by",
                                  json_string(org_name(p->g, ev->org)));
        const char *place = gln_name(p->g, ev->location);
        if (place != NULL)
            (void)json_object_set_new(o, "at", json_string(place));
        (void)json_array_append_new(steps, o);
    }
    (void)json_object_set_new(j, "journey", steps);
    (void)json_object_set_new(j, "verified", json_boolean(p->verified));
    (void)json_object_set_new(j, "complete", json_boolean(!p->partial));
    (void)json_object_set_new(j, "journey_truncated",
                              json_boolean(p->truncated));
    (void)json_object_set_new(j, "height", json_integer((json_int_t)p->height));
    (void)json_object_set_new(j, "proof", json_string(p->proof_url));
    size_t need = json_dumpb(j, NULL, 0, JSON_COMPACT);
    char *text = need > 0 ? ll_malloc(need) : NULL;
    int rc = text == NULL || json_dumpb(j, text, need, JSON_COMPACT) != need
                 ? LL_ENOMEM
                 : ll_buf_append(out, text, need);
    ll_free(text);
    json_decref(j);
    return rc;
}

int ll_page_render(struct ll_buf *out, struct ll_page *p, bool as_json)
{
    if (p->n_events > 1)
        qsort(p->events, p->n_events, sizeof(struct ll_page_event), by_time);
    return as_json ? json(out, p) : html(out, p);
}
