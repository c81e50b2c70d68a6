/* SPDX-License-Identifier: MIT */
/*
 * The CLI's HTTP client: the libcurl adapter (the only file that includes
 * curl/curl.h). One request, the answer body kept in a bounded buffer. An
 * answer 429 or 503 (the node did not take the request: rate limited, busy
 * with heavy reads, mempool full) is retried after its Retry-After, a few
 * times, before it is reported.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "client.h"

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct ll_buf *b = arg;
    if (size != 0 && n > SIZE_MAX / size)
        return 0;
    return ll_buf_append(b, p, size * n) == 0 ? size * n : 0;
}

/* Tries of one request answered 429 or 503, and the longest wait. */
#define RETRY_TRIES   4
#define RETRY_MAX_SEC 5

static int http_once(const char *method, const char *url, const char *ctype,
                     const void *body, size_t len, long *status,
                     long *retry_after, struct ll_buf *resp,
                     struct ll_errmsg *e);

int ll_cli_http(const char *method, const char *url, const char *ctype,
                const void *body, size_t len, long *status, struct ll_buf *resp,
                struct ll_errmsg *e)
{
    int rc = 0;
    for (int i = 0;; i++) {
        long wait = 0;
        ll_buf_reset(resp);
        rc = http_once(method, url, ctype, body, len, status, &wait, resp, e);
        if (rc != 0 || (*status != 429 && *status != 503) ||
            i + 1 == RETRY_TRIES)
            return rc;
        if (wait < 1)
            wait = 1;
        struct timespec ts = {wait < RETRY_MAX_SEC ? wait : RETRY_MAX_SEC, 0};
        (void)nanosleep(&ts, NULL);
    }
}

static int http_once(const char *method, const char *url, const char *ctype,
                     const void *body, size_t len, long *status,
                     long *retry_after, struct ll_buf *resp,
                     struct ll_errmsg *e)
{
    static bool inited;
    if (!inited) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
            return ll_errmsg_set(e, LL_EIO, "cannot initialise libcurl");
        inited = true;
    }
    CURL *h = curl_easy_init();
    if (h == NULL)
        return LL_ENOMEM;
    struct curl_slist *hdrs = NULL;
    char ct[160];
    int rc = 0;
    (void)snprintf(ct, sizeof(ct), "Content-Type: %s",
                   ctype ? ctype : "text/plain");
    hdrs = curl_slist_append(hdrs, ct);
    (void)curl_easy_setopt(h, CURLOPT_URL, url);
    (void)curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    (void)curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    (void)curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    (void)curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    (void)curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    (void)curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (body != NULL) {
        (void)curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        (void)curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode cr = curl_easy_perform(h);
    if (cr != CURLE_OK) {
        rc = ll_errmsg_set(e, LL_EIO, "%s %s: %s", method, url,
                           curl_easy_strerror(cr));
    } else {
        curl_off_t ra = 0;
        (void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
        if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK &&
            ra > 0)
            *retry_after = ra < RETRY_MAX_SEC ? (long)ra : RETRY_MAX_SEC;
        if (ll_buf_cstr(resp) != 0)
            rc = ll_errmsg_set(e, LL_ETOOBIG, "%s %s: answer too large", method,
                               url);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rc;
}

void ll_cli_node_error(const char *cmd, long status, const struct ll_buf *resp)
{
    json_error_t je;
    json_t *j = resp->len > 0
                    ? json_loadb((const char *)resp->data, resp->len, 0, &je)
                    : NULL;
    const char *err = json_string_value(json_object_get(j, "error"));
    const char *detail = json_string_value(json_object_get(j, "detail"));
    if (err != NULL)
        ll_cli_error(cmd, "the node answered %ld %s: %s", status, err,
                     detail != NULL ? detail : "");
    else
        ll_cli_error(cmd, "the node answered %ld: %.200s", status,
                     resp->len > 0 ? (const char *)resp->data : "(no body)");
    json_decref(j);
}
