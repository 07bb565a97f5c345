/* SPDX-License-Identifier: MIT
 * The HTTP client, on libcurl: one reused handle, URLs and bodies, retries
 * with backoff, error bodies decoded into MLflow codes, files streamed both
 * ways. It knows nothing of runs or experiments (the operation rows and
 * client/transport.c do) nor of artifacts (artifacts/http.c does). */
#include "http/client.h"
#include "http/route.h"
#include "base/env.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/version.h"
#include "base/xalloc.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

#define MAX_RESPONSE       (256u * 1024 * 1024) /* refuse larger answers */
#define CONNECT_TIMEOUT_MS 10000L
#define BACKOFF_FIRST_MS   250L
#define BACKOFF_MAX_MS     8000L
#define RETRY_AFTER_MAX_MS 30000L

struct http_client {
    pthread_mutex_t mu; /* one call at a time on the handle */
    CURL *curl;
    char *base; /* without trailing '/' */
    struct curl_slist *headers;
    const char *user, *password, *ca_path; /* borrowed from the environment */
    int insecure;
    long timeout_ms;
    int max_retries;
    struct sbuf body; /* the response being received */
    int overflow;     /* the response passed MAX_RESPONSE */
    char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void init_curl(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct http_client *r = userdata;
    size_t n = size * nmemb;
    if (r->body.len + n > MAX_RESPONSE) {
        r->overflow = 1;
        return 0;
    }
    sbuf_add(&r->body, ptr, n);
    return n;
}

/* A non-negative integer setting from the environment, or def when unset. */
static int env_long(const char *name, long def, long max, long *out, struct ferr *err)
{
    const char *s = env_get(name);
    char *end;
    *out = def;
    if (!s)
        return 0;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > max)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid FERRY_%s/MLFLOW_%s '%s' (expected 0..%ld)", name, name, s, max);
    *out = v;
    return 0;
}

static int read_settings(struct http_client *r, int credentials, struct ferr *err)
{
    long timeout_s, retries;
    if (env_long("HTTP_REQUEST_TIMEOUT", 120, 86400, &timeout_s, err) ||
        env_long("HTTP_REQUEST_MAX_RETRIES", 5, 20, &retries, err))
        return -1;
    r->timeout_ms = timeout_s ? timeout_s * 1000 : 0; /* 0: no limit, as curl */
    r->max_retries = (int)retries;
    r->user = credentials ? env_get("TRACKING_USERNAME") : NULL;
    r->password = credentials ? env_get("TRACKING_PASSWORD") : NULL;
    r->ca_path = env_get("TRACKING_SERVER_CERT_PATH");
    const char *insecure = env_get("TRACKING_INSECURE_TLS");
    r->insecure = insecure && (!strcasecmp(insecure, "true") || !strcmp(insecure, "1"));
    const char *token = credentials ? env_get("TRACKING_TOKEN") : NULL;
    struct sbuf h = SBUF_INIT;
    r->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (r->headers && token) {
        sbuf_addf(&h, "Authorization: Bearer %s", token);
        struct curl_slist *more = curl_slist_append(r->headers, h.buf);
        r->headers = more ? more : (curl_slist_free_all(r->headers), NULL);
    }
    sbuf_release(&h);
    if (!r->headers)
        return ferr_set(err, FERR_IO_ERROR, "cannot build HTTP headers");
    return 0;
}

static int open_with(const char *base_url, int credentials, struct http_client **out,
                     struct ferr *err)
{
    pthread_once(&curl_once, init_curl);
    if (curl_init_rc != CURLE_OK)
        return ferr_set(err, FERR_IO_ERROR, "cannot initialise libcurl: %s",
                        curl_easy_strerror(curl_init_rc));
    struct http_client *r = xcalloc(1, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
    sbuf_init(&r->body, 0);
    r->base = xstrdup(base_url);
    size_t n = strlen(r->base);
    while (n && r->base[n - 1] == '/')
        r->base[--n] = '\0';
    if (read_settings(r, credentials, err)) {
        http_client_close(r);
        return -1;
    }
    r->curl = curl_easy_init();
    if (!r->curl) {
        http_client_close(r);
        return ferr_set(err, FERR_IO_ERROR, "cannot create an HTTP handle");
    }
    *out = r;
    return 0;
}

int http_client_open(const char *base_url, struct http_client **out, struct ferr *err)
{
    return open_with(base_url, 1, out, err);
}

int http_client_open_anonymous(const char *base_url, struct http_client **out, struct ferr *err)
{
    return open_with(base_url, 0, out, err);
}

void http_client_close(struct http_client *r)
{
    if (!r)
        return;
    if (r->curl)
        curl_easy_cleanup(r->curl);
    curl_slist_free_all(r->headers);
    sbuf_release(&r->body);
    pthread_mutex_destroy(&r->mu);
    free(r->base);
    free(r);
}

/* Appends "?key=value" or "&key=value" for one scalar; arrays repeat keys. */
static int add_query_pair(struct http_client *r, struct sbuf *url, const char *key, json_t *v,
                          struct ferr *err)
{
    char buf[64];
    const char *s = json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = buf;
    } else if (json_is_real(v)) {
        snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
        s = buf;
    } else if (json_is_boolean(v)) {
        s = json_is_true(v) ? "true" : "false";
    }
    if (!s)
        return 0; /* null: the field is absent */
    char *ek = curl_easy_escape(r->curl, key, 0), *ev = curl_easy_escape(r->curl, s, 0);
    if (ek && ev)
        sbuf_addf(url, "%c%s=%s", strchr(url->buf, '?') ? '&' : '?', ek, ev);
    curl_free(ek);
    curl_free(ev);
    return ek && ev ? 0 : ferr_set(err, FERR_INTERNAL_ERROR, "cannot escape the query string");
}

static int build_url(struct http_client *r, const char *root, unsigned method, const char *path,
                     json_t *in, struct sbuf *url, struct ferr *err)
{
    sbuf_addf(url, "%s%s/%s", r->base, root, path);
    if (method != HTTP_GET || !in)
        return 0;
    const char *key;
    json_t *v, *it;
    size_t i;
    json_object_foreach(in, key, v)
    {
        if (!json_is_array(v)) {
            if (add_query_pair(r, url, key, v, err))
                return -1;
            continue;
        }
        json_array_foreach(v, i, it)
        {
            if (add_query_pair(r, url, key, it, err))
                return -1;
        }
    }
    return 0;
}

/* Sets every option of one request on the (reset) handle. */
static CURLcode configure(struct http_client *r, unsigned method, const char *url,
                          const char *payload, struct curl_slist *headers)
{
    CURL *c = r->curl;
    CURLcode rc = CURLE_OK;
#define SET(opt, val) (rc = rc != CURLE_OK ? rc : curl_easy_setopt(c, opt, val))
    SET(CURLOPT_URL, url);
    SET(CURLOPT_WRITEFUNCTION, on_data);
    SET(CURLOPT_WRITEDATA, r);
    SET(CURLOPT_ERRORBUFFER, r->errbuf);
    SET(CURLOPT_HTTPHEADER, headers ? headers : r->headers);
    SET(CURLOPT_USERAGENT, "ferry/" FERRY_VERSION_STRING);
    SET(CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    SET(CURLOPT_TIMEOUT_MS, r->timeout_ms);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_ACCEPT_ENCODING, ""); /* whatever curl can decompress */
    if (r->user) {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SET(CURLOPT_USERNAME, r->user);
        SET(CURLOPT_PASSWORD, r->password ? r->password : "");
    }
    if (r->insecure) {
        SET(CURLOPT_SSL_VERIFYPEER, 0L);
        SET(CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (r->ca_path)
        SET(CURLOPT_CAINFO, r->ca_path);
    if (method == HTTP_GET) {
        SET(CURLOPT_HTTPGET, 1L);
    } else {
        SET(CURLOPT_POSTFIELDS, payload);
        SET(CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
        if (method != HTTP_POST)
            SET(CURLOPT_CUSTOMREQUEST, method == HTTP_PATCH ? "PATCH" : "DELETE");
    }
#undef SET
    return rc;
}

/* One attempt: the curl result, and *status the HTTP status when CURLE_OK. */
static CURLcode attempt(struct http_client *r, unsigned method, const char *url,
                        const char *payload, struct curl_slist *headers, long *status)
{
    curl_easy_reset(r->curl); /* keeps the connection cache: keep-alive survives */
    sbuf_reset(&r->body);
    r->overflow = 0;
    r->errbuf[0] = '\0';
    *status = 0;
    CURLcode rc = configure(r, method, url, payload, headers);
    if (rc == CURLE_OK)
        rc = curl_easy_perform(r->curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, status);
    return rc;
}

static int should_retry(CURLcode rc, long status, enum http_retry retry)
{
    if (rc == CURLE_COULDNT_CONNECT)
        return 1; /* nothing reached the server: safe for every call */
    if (retry != HTTP_IDEMPOTENT)
        return 0;
    switch (rc) {
    case CURLE_OK:
        return status == 429 || status == 502 || status == 503 || status == 504;
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return 1;
    default:
        return 0;
    }
}

/* Sleeps before retry number `n` (1-based): the server's Retry-After when it
 * sent one, else exponential backoff. */
static void backoff(struct http_client *r, int n)
{
    long ms = BACKOFF_FIRST_MS << (n - 1 < 6 ? n - 1 : 6);
    if (ms > BACKOFF_MAX_MS)
        ms = BACKOFF_MAX_MS;
    curl_off_t after = -1;
    if (curl_easy_getinfo(r->curl, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
        ms = after < RETRY_AFTER_MAX_MS / 1000 ? (long)after * 1000 : RETRY_AFTER_MAX_MS;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Sends until an answer that is not worth retrying; *status as attempt(). */
static int send_with_retries(struct http_client *r, unsigned method, const char *url,
                             const char *payload, struct curl_slist *headers, enum http_retry retry,
                             long *status, struct ferr *err)
{
    CURLcode rc;
    int n = 0;
    for (;;) {
        rc = attempt(r, method, url, payload, headers, status);
        if (n == r->max_retries || !should_retry(rc, *status, retry))
            break;
        backoff(r, ++n);
    }
    if (rc == CURLE_OK)
        return 0;
    const char *why = r->overflow    ? "response too large"
                      : r->errbuf[0] ? r->errbuf
                                     : curl_easy_strerror(rc);
    return ferr_set(err, FERR_IO_ERROR, "%s %s: %s%s", http_method_name(method), url, why,
                    n ? " (after retries)" : "");
}

static int decode(struct http_client *r, long status, const char *url, json_t **out,
                  struct ferr *err)
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
    if (fjson_parse_error(r->body.buf, r->body.len, err) == 0)
        return -1;
    enum ferr_code code = status == 404   ? FERR_ENDPOINT_NOT_FOUND
                          : status == 401 ? FERR_UNAUTHENTICATED
                          : status == 403 ? FERR_PERMISSION_DENIED
                                          : FERR_IO_ERROR;
    return ferr_set(err, code, "%s: HTTP %ld: %.120s", url, status, r->body.buf);
}

static int encode_body(json_t *in, char **payload, struct ferr *err)
{
    json_t *empty = in ? NULL : json_object();
    *payload = json_dumps(in ? in : empty, JSON_COMPACT);
    json_decref(empty);
    return *payload ? 0 : ferr_set(err, FERR_INTERNAL_ERROR, "cannot encode the request");
}

int http_client_call(struct http_client *r, const char *root, unsigned method, const char *path,
                     json_t *in, enum http_retry retry, json_t **out, struct ferr *err)
{
    return http_client_call_headers(r, root, method, path, NULL, in, retry, out, err);
}

/* The client's headers followed by extra (NULL when there are none). */
static int call_headers(const struct http_client *r, const char *const *extra,
                        struct curl_slist **out, struct ferr *err)
{
    *out = NULL;
    if (!extra || !*extra)
        return 0;
    for (const struct curl_slist *h = r->headers; h; h = h->next) {
        struct curl_slist *more = curl_slist_append(*out, h->data);
        if (!more)
            goto fail;
        *out = more;
    }
    for (; *extra; extra++) {
        struct curl_slist *more = curl_slist_append(*out, *extra);
        if (!more)
            goto fail;
        *out = more;
    }
    return 0;
fail:
    curl_slist_free_all(*out);
    *out = NULL;
    return ferr_set(err, FERR_IO_ERROR, "cannot build HTTP headers");
}

int http_client_call_headers(struct http_client *r, const char *root, unsigned method,
                             const char *path, const char *const *headers, json_t *in,
                             enum http_retry retry, json_t **out, struct ferr *err)
{
    struct curl_slist *extra = NULL;
    struct sbuf url = SBUF_INIT;
    char *payload = NULL;
    json_t *ignored = NULL;
    long status = 0;
    int rc = -1;
    if (out)
        *out = NULL;
    pthread_mutex_lock(&r->mu);
    if (build_url(r, root, method, path, in, &url, err))
        goto out;
    if (method != HTTP_GET && encode_body(in, &payload, err))
        goto out;
    if (call_headers(r, headers, &extra, err))
        goto out;
    if (send_with_retries(r, method, url.buf, payload, extra, retry, &status, err))
        goto out;
    rc = decode(r, status, url.buf, out ? out : &ignored, err);
out:
    pthread_mutex_unlock(&r->mu);
    curl_slist_free_all(extra);
    json_decref(ignored);
    free(payload);
    sbuf_release(&url);
    return rc;
}

/* ---------- artifact transfers: streamed from and to file descriptors ---------- */

struct transfer {
    struct http_client *r;
    int fd;
    int to_fd;    /* download: the body goes to fd (when the answer is 2xx) */
    int io_error; /* a read or write on fd failed */
    curl_off_t total;
    http_progress_fn progress;
    void *progress_arg;
    EVP_MD_CTX *sha;     /* upload: SHA-256 of the bytes sent */
    char server_sha[65]; /* upload: X-Ferry-Sha256 of the answer, if any */
};

/* Picks X-Ferry-Sha256 out of the response headers. */
static size_t on_upload_header(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct transfer *t = userdata;
    size_t n = size * nitems;
    static const char name[] = "x-ferry-sha256:";
    if (n > sizeof(name) - 1 && !strncasecmp(buf, name, sizeof(name) - 1)) {
        const char *v = buf + sizeof(name) - 1;
        size_t k = 0;
        while (v < buf + n && (*v == ' ' || *v == '\t'))
            v++;
        while (v < buf + n && k < 64 && *v != '\r' && *v != '\n')
            t->server_sha[k++] = *v++;
        t->server_sha[k] = '\0';
    }
    return n;
}

static size_t on_upload_read(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct transfer *t = userdata;
    for (;;) {
        ssize_t n = read(t->fd, buf, size * nitems);
        if (n >= 0) {
            if (t->sha && n && !EVP_DigestUpdate(t->sha, buf, (size_t)n)) {
                t->io_error = EIO;
                return CURL_READFUNC_ABORT;
            }
            return (size_t)n;
        }
        if (errno != EINTR) {
            t->io_error = errno;
            return CURL_READFUNC_ABORT;
        }
    }
}

static size_t on_download_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct transfer *t = userdata;
    size_t n = size * nmemb;
    long status = 0;
    curl_easy_getinfo(t->r->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) /* an error body: keep it for decode() */
        return on_data(ptr, size, nmemb, t->r);
    for (size_t done = 0; done < n;) {
        ssize_t w = write(t->fd, ptr + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            t->io_error = errno ? errno : EIO;
            return 0;
        }
        done += (size_t)w;
    }
    return n;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct transfer *t = userdata;
    if (t->progress)
        t->progress(t->progress_arg, t->to_fd ? dlnow : ulnow,
                    t->to_fd ? (dltotal ? dltotal : t->total) : ultotal);
    return 0;
}

void http_url_escape(struct sbuf *sb, const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/'))
            sbuf_addch(sb, (char)c);
        else
            sbuf_addf(sb, "%%%c%c", hex[c >> 4], hex[c & 15]);
    }
}

/* One PUT or GET of <prefix><path>, with the retries of an idempotent call;
 * the file offset is rewound (upload) or the file truncated (download)
 * before each new attempt. */
static int transfer(struct http_client *r, int download, const char *prefix, const char *path,
                    int fd, int64_t size, http_progress_fn progress, void *arg, struct ferr *err)
{
    struct sbuf url = SBUF_INIT;
    struct transfer t = {r, fd, download, 0, size, progress, arg, NULL, ""};
    long status = 0;
    int rc = -1, n = 0;
    CURLcode cc = CURLE_OK;
    pthread_mutex_lock(&r->mu);
    sbuf_addf(&url, "%s%s", r->base, prefix);
    http_url_escape(&url, path, 1);
    for (;;) {
        if ((download ? ftruncate(fd, 0) : 0) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
            ferr_set(err, FERR_IO_ERROR, "rewinding the local file: %s", strerror(errno));
            goto out;
        }
        curl_easy_reset(r->curl);
        sbuf_reset(&r->body);
        r->overflow = 0;
        r->errbuf[0] = '\0';
        t.io_error = 0;
        t.server_sha[0] = '\0';
        if (!download) { /* hash exactly what this attempt sends */
            EVP_MD_CTX_free(t.sha);
            t.sha = EVP_MD_CTX_new();
            if (!t.sha || !EVP_DigestInit_ex(t.sha, EVP_sha256(), NULL)) {
                ferr_set(err, FERR_INTERNAL_ERROR, "cannot start SHA-256");
                goto out;
            }
        }
        status = 0;
        /* Reuse every common option (auth, TLS, timeouts) of a GET, then
         * turn it into the transfer. No overall timeout: a 5 GB file takes
         * as long as it takes; a stalled one is caught by the speed limit. */
        cc = configure(r, HTTP_GET, url.buf, NULL, NULL);
        CURL *c = r->curl;
#define SET(opt, val) (cc = cc != CURLE_OK ? cc : curl_easy_setopt(c, opt, val))
        SET(CURLOPT_TIMEOUT_MS, 0L);
        SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
        SET(CURLOPT_LOW_SPEED_TIME, r->timeout_ms / 1000 > 0 ? r->timeout_ms / 1000 : 1L);
        SET(CURLOPT_ACCEPT_ENCODING, NULL);
        /* 1 MiB buffers: 64 times fewer read/write calls than curl's 16 KiB. */
        SET(CURLOPT_BUFFERSIZE, 1024L * 1024);
        SET(CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
        if (download) {
            SET(CURLOPT_WRITEFUNCTION, on_download_data);
            SET(CURLOPT_WRITEDATA, &t);
        } else {
            SET(CURLOPT_UPLOAD, 1L);
            SET(CURLOPT_READFUNCTION, on_upload_read);
            SET(CURLOPT_READDATA, &t);
            SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
            SET(CURLOPT_HEADERFUNCTION, on_upload_header);
            SET(CURLOPT_HEADERDATA, &t);
        }
        if (progress) {
            SET(CURLOPT_NOPROGRESS, 0L);
            SET(CURLOPT_XFERINFOFUNCTION, on_progress);
            SET(CURLOPT_XFERINFODATA, &t);
        }
#undef SET
        if (cc == CURLE_OK)
            cc = curl_easy_perform(c);
        if (cc == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (t.io_error || n == r->max_retries || !should_retry(cc, status, HTTP_IDEMPOTENT))
            break;
        backoff(r, ++n);
    }
    if (t.io_error) {
        ferr_set(err, FERR_IO_ERROR, "%s the local file: %s", download ? "writing" : "reading",
                 strerror(t.io_error));
        goto out;
    }
    if (cc != CURLE_OK) {
        ferr_set(err, FERR_IO_ERROR, "%s %s: %s", download ? "GET" : "PUT", url.buf,
                 r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc));
        goto out;
    }
    json_t *ignored = NULL;
    rc = download && status >= 200 && status < 300 ? 0 : decode(r, status, url.buf, &ignored, err);
    json_decref(ignored);
    if (!rc && !download && t.server_sha[0]) {
        /* ferry reports what it stored; a stock MLflow server does not. */
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdlen = 0;
        char hex[65] = "";
        if (!EVP_DigestFinal_ex(t.sha, md, &mdlen))
            mdlen = 0;
        for (unsigned i = 0; i < mdlen && i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
        if (strcmp(hex, t.server_sha))
            rc = ferr_set(err, FERR_IO_ERROR,
                          "PUT %s: the server stored different bytes than were sent (SHA-256 "
                          "%.64s, sent %.64s)",
                          url.buf, t.server_sha, hex);
    }
out:
    EVP_MD_CTX_free(t.sha);
    pthread_mutex_unlock(&r->mu);
    sbuf_release(&url);
    return rc;
}

int http_client_put_file(struct http_client *r, const char *prefix, const char *path, int fd,
                         int64_t size, http_progress_fn progress, void *arg, struct ferr *err)
{
    return transfer(r, 0, prefix, path, fd, size, progress, arg, err);
}

int http_client_get_file(struct http_client *r, const char *prefix, const char *path, int fd,
                         http_progress_fn progress, void *arg, struct ferr *err)
{
    return transfer(r, 1, prefix, path, fd, 0, progress, arg, err);
}

/* ---------- streamed POSTs (dataset packs) ---------- */

struct pstream {
    struct http_client *r;
    const struct http_stream *s;
    int called;  /* a callback ran: the request cannot be sent again */
    int stopped; /* a callback returned -1 */
};

static size_t on_stream_read(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct pstream *p = userdata;
    p->called = 1;
    ssize_t n = p->s->read(p->s->arg, buf, size * nitems);
    if (n < 0) {
        p->stopped = 1;
        return CURL_READFUNC_ABORT;
    }
    return (size_t)n;
}

static size_t on_stream_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct pstream *p = userdata;
    long status = 0;
    curl_easy_getinfo(p->r->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300 || !p->s->write) /* JSON or an error body */
        return on_data(ptr, size, nmemb, p->r);
    p->called = 1;
    if (p->s->write(p->s->arg, ptr, size * nmemb) < 0) {
        p->stopped = 1;
        return 0;
    }
    return size * nmemb;
}

/* Sets the options of one streamed POST on the (reset) handle. */
static CURLcode configure_stream(struct http_client *r, const char *url, const char *payload,
                                 struct curl_slist *headers, struct pstream *p)
{
    CURLcode cc = configure(r, HTTP_POST, url, payload ? payload : "", headers);
    CURL *c = r->curl;
#define SET(opt, val) (cc = cc != CURLE_OK ? cc : curl_easy_setopt(c, opt, val))
    SET(CURLOPT_TIMEOUT_MS, 0L);
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SET(CURLOPT_LOW_SPEED_TIME, r->timeout_ms / 1000 > 0 ? r->timeout_ms / 1000 : 1L);
    SET(CURLOPT_ACCEPT_ENCODING, NULL);
    SET(CURLOPT_BUFFERSIZE, 1024L * 1024);
    SET(CURLOPT_WRITEFUNCTION, on_stream_write);
    SET(CURLOPT_WRITEDATA, p);
    if (p->s->read) {
        SET(CURLOPT_POSTFIELDS, NULL);
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
        SET(CURLOPT_READFUNCTION, on_stream_read);
        SET(CURLOPT_READDATA, p);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->s->size);
    }
#undef SET
    return cc;
}

int http_client_post_stream(struct http_client *r, const char *root, const char *path,
                            const struct http_stream *s, json_t **out, struct ferr *err)
{
    struct pstream p = {r, s, 0, 0};
    struct sbuf url = SBUF_INIT;
    struct curl_slist *headers = NULL;
    char *payload = NULL;
    json_t *ignored = NULL;
    long status = 0;
    int rc = -1, n = 0;
    CURLcode cc = CURLE_OK;
    if (out)
        *out = NULL;
    pthread_mutex_lock(&r->mu);
    sbuf_addf(&url, "%s%s/%s", r->base, root, path);
    if (!s->read && encode_body(s->json, &payload, err))
        goto out;
    for (const struct curl_slist *h = r->headers; h; h = h->next) {
        const char *line = s->read && !strncasecmp(h->data, "content-type:", 13)
                               ? "Content-Type: application/octet-stream"
                               : h->data;
        struct curl_slist *more = curl_slist_append(headers, line);
        if (!more) {
            ferr_set(err, FERR_IO_ERROR, "cannot build HTTP headers");
            goto out;
        }
        headers = more;
    }
    for (;;) {
        curl_easy_reset(r->curl);
        sbuf_reset(&r->body);
        r->overflow = 0;
        r->errbuf[0] = '\0';
        status = 0;
        cc = configure_stream(r, url.buf, payload, headers, &p);
        if (cc == CURLE_OK)
            cc = curl_easy_perform(r->curl);
        if (cc == CURLE_OK)
            curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
        if (p.called || cc != CURLE_COULDNT_CONNECT || n == r->max_retries)
            break;
        backoff(r, ++n);
    }
    if (p.stopped) {
        ferr_set(err, FERR_IO_ERROR, "POST %s: stopped", url.buf);
        goto out;
    }
    if (cc != CURLE_OK) {
        ferr_set(err, FERR_IO_ERROR, "POST %s: %s", url.buf,
                 r->overflow    ? "response too large"
                 : r->errbuf[0] ? r->errbuf
                                : curl_easy_strerror(cc));
        goto out;
    }
    if (s->write && status >= 200 && status < 300)
        rc = 0;
    else
        rc = decode(r, status, url.buf, out ? out : &ignored, err);
out:
    pthread_mutex_unlock(&r->mu);
    curl_slist_free_all(headers);
    json_decref(ignored);
    free(payload);
    sbuf_release(&url);
    return rc;
}
