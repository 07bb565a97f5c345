/* SPDX-License-Identifier: MIT */
#include "http/request_int.h"
#include "http/status.h"
#include "http/browser.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

unsigned http_method(const struct http_request *rq)
{
    return rq->method;
}

const char *http_method_str(const struct http_request *rq)
{
    return rq->method_name;
}

const char *http_path(const struct http_request *rq)
{
    return rq->path;
}

const struct http_route *http_route_of(const struct http_request *rq)
{
    return rq->route;
}

void *http_ctx(const struct http_request *rq)
{
    return rq->ctx;
}

const char *http_header(const struct http_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_request *rq, const char *name, size_t *len)
{
    const char *v = NULL;
    size_t n = 0;
    if (MHD_lookup_connection_value_n(rq->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v,
                                      &n) == MHD_NO)
        v = NULL, n = 0;
    if (len)
        *len = n;
    return v;
}

struct each {
    http_query_fn fn;
    void *arg;
    int rc;
};

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    struct each *e = cls;
    if (e->fn(e->arg, key, key_size, value ? value : "", value ? value_size : 0)) {
        e->rc = -1;
        return MHD_NO;
    }
    return MHD_YES;
}

int http_query_each(const struct http_request *rq, http_query_fn fn, void *arg)
{
    struct each e = {fn, arg, 0};
    MHD_get_connection_values_n(rq->conn, MHD_GET_ARGUMENT_KIND, each_arg, &e);
    return e.rc;
}

const char *http_param(const struct http_request *rq, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < rq->nparams; i++)
        if (rq->route_params[i].name_len == n && !strncmp(rq->route_params[i].name, name, n))
            return rq->params[i];
    return NULL;
}

const char *http_body(const struct http_request *rq, size_t *len)
{
    *len = rq->body.sb.len;
    return rq->body.sb.buf;
}

const char *http_user(const struct http_request *rq)
{
    struct http_request *w = (struct http_request *)rq; /* a cache, not a change */
    if (!w->user_done) {
        char *u = MHD_basic_auth_get_username_password(rq->conn, NULL);
        w->user = u ? xstrdup(u) : NULL;
        if (u)
            MHD_free(u);
        w->user_done = 1;
    }
    return w->user;
}

void http_set_user(struct http_request *rq, const char *user)
{
    free(rq->user);
    rq->user = user ? xstrdup(user) : NULL;
    rq->user_done = 1;
}

void http_set_principal(struct http_request *rq, void *p, void (*free_fn)(void *p))
{
    if (rq->principal && rq->principal_free)
        rq->principal_free(rq->principal);
    rq->principal = p;
    rq->principal_free = free_fn;
}

void *http_principal(const struct http_request *rq)
{
    return rq->principal;
}

void http_peer_addr(const struct http_request *rq, char *buf, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    const char *ok = NULL;
    if (sa && sa->sa_family == AF_INET)
        ok = inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                       (socklen_t)size);
    else if (sa && sa->sa_family == AF_INET6)
        ok = inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                       (socklen_t)size);
    if (!ok && size)
        snprintf(buf, size, "-");
}

void http_client_addr(const struct http_request *rq, char *buf, size_t size)
{
    char peer[INET6_ADDRSTRLEN];
    http_peer_addr(rq, peer, sizeof(peer));
    if (!rq->proxies || !http_cidrs_match(rq->proxies, peer)) {
        snprintf(buf, size, "%s", peer);
        return;
    }
    http_forwarded_client(rq->proxies, peer, http_header(rq, "X-Forwarded-For"),
                          http_header(rq, "Forwarded"), buf, size);
}

void http_set_state(struct http_request *rq, void *state)
{
    rq->state = state;
}

void *http_state(const struct http_request *rq)
{
    return rq->state;
}

void http_add_header(struct http_request *rq, const char *name, const char *value)
{
    if (rq->nheaders == HTTP_MAX_HEADERS) {
        fprintf(stderr, "BUG: more than %d headers on one answer\n", HTTP_MAX_HEADERS);
        abort();
    }
    rq->headers[rq->nheaders].name = xstrdup(name);
    rq->headers[rq->nheaders++].value = xstrdup(value);
}

/* Adds the content type, the handler's headers and, while draining,
 * Connection: close; queues the answer; drops our reference. */
static int queue(struct http_request *rq, int status, const char *ctype, struct MHD_Response *r,
                 uint64_t bytes)
{
    if (rq->answered) {
        fprintf(stderr, "BUG: a request answered twice (%s %s)\n", rq->method_name, rq->path);
        abort();
    }
    int ok = r != NULL;
    if (ok && ctype)
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) == MHD_YES;
    if (ok && rq->cors_origin)
        ok =
            MHD_add_response_header(r, "Access-Control-Allow-Origin", rq->cors_origin) == MHD_YES &&
            MHD_add_response_header(r, "Vary", "Origin") == MHD_YES;
    for (size_t i = 0; ok && i < rq->nheaders; i++)
        ok = MHD_add_response_header(r, rq->headers[i].name, rq->headers[i].value) == MHD_YES;
    if (ok && (rq->close || atomic_load(rq->draining)))
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES;
    if (ok)
        ok = MHD_queue_response(rq->conn, (unsigned)status, r) == MHD_YES;
    if (r)
        MHD_destroy_response(r);
    rq->answered = 1;
    rq->queue_failed = !ok;
    rq->status = status;
    rq->bytes = bytes;
    return ok ? 0 : -1;
}

int http_respond(struct http_request *rq, int status, const char *content_type, struct sbuf *body)
{
    size_t len;
    char *buf = sbuf_detach(body, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (!r)
        free(buf);
    return queue(rq, status, content_type, r, len);
}

int http_respond_static(struct http_request *rq, int status, const char *content_type,
                        const void *buf, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)buf, MHD_RESPMEM_PERSISTENT);
    return queue(rq, status, content_type, r, len);
}

int http_respond_fd(struct http_request *rq, int status, const char *content_type, int fd,
                    int64_t size)
{
    struct MHD_Response *r = MHD_create_response_from_fd64((uint64_t)size, fd);
    if (!r)
        close(fd);
    return queue(rq, status, content_type, r, (uint64_t)size);
}

struct stream {
    http_read_fn read;
    void *arg;
    void (*done)(void *arg);
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *s = cls;
    long n = s->read(s->arg, pos, buf, max);
    return n > 0    ? (ssize_t)n
           : n == 0 ? MHD_CONTENT_READER_END_OF_STREAM
                    : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
    struct stream *s = cls;
    if (s->done)
        s->done(s->arg);
    free(s);
}

int http_respond_stream(struct http_request *rq, int status, const char *content_type, int64_t size,
                        http_read_fn read, void *arg, void (*done)(void *arg))
{
    struct stream *s = xmalloc(sizeof(*s));
    *s = (struct stream){read, arg, done};
    struct MHD_Response *r = MHD_create_response_from_callback(
        size < 0 ? MHD_SIZE_UNKNOWN : (uint64_t)size, 64 * 1024, stream_read, s, stream_free);
    if (!r)
        stream_free(s);
    return queue(rq, status, content_type, r, size < 0 ? 0 : (uint64_t)size);
}

int http_respond_error(struct http_request *rq, int status, const struct ferr *err)
{
    struct sbuf sb = SBUF_INIT;
    fjson_add_error(&sb, err);
    return http_respond(rq, status ? status : http_status_for(err->code), "application/json", &sb);
}

int http_respond_text(struct http_request *rq, int status, const char *text)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb, text);
    return http_respond(rq, status, "text/plain; charset=utf-8", &sb);
}
