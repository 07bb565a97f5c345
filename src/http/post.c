/* SPDX-License-Identifier: MIT
 * http/post.h on libcurl (split out of monitor/alert_sink.c, which sends
 * its webhooks through it, as do registry webhooks). */
#include "http/post.h"
#include "base/version.h"
#include "base/xalloc.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define CONNECT_TIMEOUT_MS 5000L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void init_curl(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int fail(struct http_post_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(struct http_post_result *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->error, sizeof(out->error), fmt, ap);
    va_end(ap);
    return -1;
}

struct kept {
    char *buf;
    size_t n, cap;
};

/* Keeps the answer's first cap bytes, reads (and drops) the rest. */
static size_t keep(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct kept *k = userdata;
    size_t n = size * nmemb;
    if (k->cap > k->n) {
        size_t take = n < k->cap - k->n ? n : k->cap - k->n;
        if (!k->buf)
            k->buf = xmalloc(k->cap + 1);
        memcpy(k->buf + k->n, ptr, take);
        k->n += take;
        k->buf[k->n] = '\0';
    }
    return n;
}

int http_post_send(const struct http_post *p, struct http_post_result *out)
{
    struct curl_slist *headers = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    struct kept k = {NULL, 0, p->keep_body};
    long status = 0, timeout = p->timeout_ms > 0 ? p->timeout_ms : 10000L;
    memset(out, 0, sizeof(*out));
    if (!p->url || (strncmp(p->url, "http://", 7) && strncmp(p->url, "https://", 8)))
        return fail(out, "not an http(s) URL");
    pthread_once(&curl_once, init_curl);
    if (curl_init_rc != CURLE_OK)
        return fail(out, "cannot initialise libcurl");
    for (size_t i = 0; i < p->nheaders; i++) {
        struct curl_slist *more = curl_slist_append(headers, p->headers[i]);
        if (!more) {
            curl_slist_free_all(headers);
            return fail(out, "cannot build the request");
        }
        headers = more;
    }
    /* no "Expect: 100-continue" round trip */
    struct curl_slist *more = curl_slist_append(headers, "Expect:");
    if (!more) {
        curl_slist_free_all(headers);
        return fail(out, "cannot build the request");
    }
    headers = more;
    CURL *h = curl_easy_init();
    if (!h) {
        curl_slist_free_all(headers);
        return fail(out, "cannot initialise libcurl");
    }
    /* every option is needed (the protocol limit above all): one refused
     * is a failed attempt, not a request sent without it */
    CURLcode so = CURLE_OK;
#define SETOPT(opt, val)                                                                           \
    do {                                                                                           \
        if (so == CURLE_OK)                                                                        \
            so = curl_easy_setopt(h, opt, val);                                                    \
    } while (0)
    SETOPT(CURLOPT_URL, p->url);
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_POST, 1L);
    SETOPT(CURLOPT_POSTFIELDS, p->body ? p->body : "");
    SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(p->body ? p->body_len : 0));
    SETOPT(CURLOPT_HTTPHEADER, headers);
    SETOPT(CURLOPT_USERAGENT, "ferry/" FERRY_VERSION_STRING);
    SETOPT(CURLOPT_TIMEOUT_MS, timeout);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, timeout < CONNECT_TIMEOUT_MS ? timeout : CONNECT_TIMEOUT_MS);
    SETOPT(CURLOPT_WRITEFUNCTION, keep);
    SETOPT(CURLOPT_WRITEDATA, &k);
    SETOPT(CURLOPT_ERRORBUFFER, errbuf);
#undef SETOPT
    if (so != CURLE_OK) {
        curl_easy_cleanup(h);
        curl_slist_free_all(headers);
        return fail(out, "cannot set up the request: %s", curl_easy_strerror(so));
    }
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    out->body = k.buf;
    if (rc != CURLE_OK)
        return fail(out, "%s", *errbuf ? errbuf : curl_easy_strerror(rc));
    out->status = status;
    return 0;
}

void http_post_result_release(struct http_post_result *r)
{
    free(r->body);
    r->body = NULL;
}
