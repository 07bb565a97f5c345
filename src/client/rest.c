/* SPDX-License-Identifier: MIT */
#include "client/rest.h"
#include "api/codec.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/banned.h"

#define MAX_RESPONSE (512u * 1024 * 1024)
#define RETRIES      4

struct rest {
    CURL *curl;
    char *base;
    struct curl_slist *headers;
    struct sbuf body;
    int overflow;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void init_curl(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct rest *r = userdata;
    size_t n = size * nmemb;
    if (r->body.len + n > MAX_RESPONSE) {
        r->overflow = 1;
        return 0;
    }
    sbuf_add(&r->body, ptr, n);
    return n;
}

int rest_open(const char *base_url, struct rest **out, struct ferr *err)
{
    pthread_once(&curl_once, init_curl);
    if (curl_init_rc != CURLE_OK)
        return ferr_set(err, FERR_IO_ERROR, "cannot initialise libcurl: %s",
                        curl_easy_strerror(curl_init_rc));
    struct rest *r = xcalloc(1, sizeof(*r));
    sbuf_init(&r->body, 0);
    r->base = xstrdup(base_url);
    size_t n = strlen(r->base);
    while (n && r->base[n - 1] == '/')
        r->base[--n] = '\0';
    r->curl = curl_easy_init();
    r->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (!r->curl || !r->headers) {
        rest_close(r);
        return ferr_set(err, FERR_IO_ERROR, "cannot create an HTTP handle");
    }
    *out = r;
    return 0;
}

void rest_close(struct rest *r)
{
    if (!r)
        return;
    if (r->curl)
        curl_easy_cleanup(r->curl);
    curl_slist_free_all(r->headers);
    sbuf_release(&r->body);
    free(r->base);
    free(r);
}

static void add_query_pair(struct rest *r, struct sbuf *url, const char *key, json_t *v)
{
    char buf[64];
    const char *s = json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        s = buf;
    } else if (json_is_real(v)) {
        snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
        s = buf;
    } else if (json_is_boolean(v)) {
        s = json_is_true(v) ? "true" : "false";
    }
    if (!s)
        return;
    char *ek = curl_easy_escape(r->curl, key, 0), *ev = curl_easy_escape(r->curl, s, 0);
    if (ek && ev)
        sbuf_addf(url, "%c%s=%s", strchr(url->buf, '?') ? '&' : '?', ek, ev);
    curl_free(ek);
    curl_free(ev);
}

static void build_url(struct rest *r, const char *method, const char *path, json_t *in,
                      struct sbuf *url)
{
    sbuf_addf(url, "%s/api/2.0/mlflow/%s", r->base, path);
    if (strcmp(method, "GET") || !in)
        return;
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        if (json_is_array(v)) {
            size_t i;
            json_t *it;
            json_array_foreach(v, i, it) add_query_pair(r, url, key, it);
        } else {
            add_query_pair(r, url, key, v);
        }
    }
}

/* One attempt. Returns the HTTP status, or -1 for a transport failure. */
static long attempt(struct rest *r, const char *method, const char *url, const char *payload,
                    struct ferr *err)
{
    CURL *c = r->curl;
    curl_easy_reset(c);
    sbuf_reset(&r->body);
    r->overflow = 0;
    int get = !strcmp(method, "GET");
    if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEDATA, r) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 300000L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        (!get && curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload) != CURLE_OK)) {
        ferr_set(err, FERR_IO_ERROR, "cannot configure the HTTP request");
        return -1;
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        ferr_set(err, FERR_IO_ERROR, "%s %s: %s", method, url,
                 r->overflow ? "response too large" : curl_easy_strerror(rc));
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static int decode(struct rest *r, long status, const char *url, json_t **out, struct ferr *err)
{
    if (status >= 200 && status < 300) {
        json_error_t je;
        *out = r->body.len ? json_loadb(r->body.buf, r->body.len, 0, &je) : json_object();
        if (!*out || !json_is_object(*out)) {
            json_decref(*out);
            *out = NULL;
            return ferr_set(err, FERR_IO_ERROR, "%s: the server answered %ld with invalid JSON",
                            url, status);
        }
        return 0;
    }
    if (codec_error_from_json(r->body.buf, r->body.len, err) == 0)
        return -1;
    return ferr_set(err, status == 404 ? FERR_ENDPOINT_NOT_FOUND : FERR_IO_ERROR,
                    "%s: HTTP %ld: %.120s", url, status, r->body.buf);
}

int rest_call(struct rest *r, const char *method, const char *path, json_t *in, int retry,
              json_t **out, struct ferr *err)
{
    struct sbuf url = SBUF_INIT;
    char *payload = NULL;
    int rc = -1;
    *out = NULL;
    build_url(r, method, path, in, &url);
    if (strcmp(method, "GET")) {
        json_t *empty = in ? NULL : json_object();
        payload = json_dumps(in ? in : empty, JSON_COMPACT);
        json_decref(empty);
        if (!payload) {
            ferr_set(err, FERR_INTERNAL_ERROR, "cannot encode the request");
            goto out;
        }
    }
    int tries = retry || !strcmp(method, "GET") ? RETRIES : 1;
    long status = -1;
    for (int i = 0; i < tries; i++) {
        if (i) { /* 100, 200, 400 ms */
            struct timespec ts = {0, (100L << (i - 1)) * 1000000L};
            nanosleep(&ts, NULL);
        }
        status = attempt(r, method, url.buf, payload, err);
        if (status != -1 && status != 429 && status != 503)
            break;
    }
    if (status == -1)
        goto out;
    rc = decode(r, status, url.buf, out, err);
out:
    free(payload);
    sbuf_release(&url);
    return rc;
}
