/* SPDX-License-Identifier: MIT */
#include "http/server.h"
#include "http/listen.h"
#include "http/tls.h"
#include "http/request_int.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/sigpipe.h"
#include "base/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

/* A connection's deadline (http_limits.request_timeout_s): since when it
 * has been waiting for a request's head, or reading its body, and how much
 * of the body came. Kept from libmicrohttpd's connection start to its
 * close, under the server's mutex; the socket is still open while its
 * watch is listed, so the sweep may shut it down. */
enum watch_phase { WAIT_HEAD, READ_BODY, ANSWERING };
struct conn_watch {
    struct conn_watch *prev, *next;
    int fd;
    enum watch_phase phase;
    int64_t since_ns;
    uint64_t body_bytes;
    int cut; /* shut down by the sweep */
};

struct http_server {
    struct http_server_opts o;
    struct http_router *router;
    struct MHD_Daemon *d;
    int fd; /* the listening socket until the daemon owns it */
    int port;
    int signals; /* the SIGTERM/SIGINT pipe is ours to close */
    atomic_int draining;
    pthread_mutex_t mu;
    int in_flight;                /* requests between their first callback and completion */
    unsigned long served;         /* requests started, for the idle callback */
    struct conn_watch *watches;   /* every open connection */
    struct http_browser *browser; /* o.browser parsed; NULL: no checks */
    char *tls_cert, *tls_key;     /* PEM; NULL: plain HTTP */
};

/* libmicrohttpd decodes the path in place, so "%00" ends it early:
 * "model.pkl%00.txt" would arrive as "model.pkl". The raw URI is seen
 * first, and a path holding %00 marks the request with this sentinel, which
 * the first callback turns into a refusal. A static mark, not an
 * allocation: a request that fails before reaching the access handler gets
 * no completion callback to free it. */
static char nul_in_path_mark;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    size_t path_len = strcspn(uri, "?");
    for (size_t i = 0; i + 3 <= path_len; i++)
        if (uri[i] == '%' && uri[i + 1] == '0' && uri[i + 2] == '0')
            return &nul_in_path_mark;
    return NULL;
}

static void log_access(struct http_request *rq)
{
    char addr[INET6_ADDRSTRLEN];
    http_client_addr(rq, addr, sizeof(addr));
    double ms = (double)(ftime_mono_ns() - rq->start_ns) / 1e6;
    log_info("%s \"%s %s\" %d %llu %.2fms", addr, rq->method_name, rq->path, rq->status,
             (unsigned long long)rq->bytes, ms);
}

struct framing {
    int lengths, encodings;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    (void)value;
    struct framing *f = cls;
    f->lengths += !strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH);
    f->encodings += !strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    return MHD_YES;
}

/* A head whose body length two parties could read differently (RFC 9112
 * 6.3: request smuggling through a proxy in front): several Content-Length
 * headers, even equal ones, or one with Transfer-Encoding. libmicrohttpd
 * takes the first and goes on; such a request is refused and its
 * connection closed, since where its body ends is unknown. */
static const char *framing_problem(struct MHD_Connection *conn)
{
    struct framing f = {0, 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
    if (f.lengths > 1)
        return "the request has more than one Content-Length header";
    if (f.lengths && f.encodings)
        return "the request has both Content-Length and Transfer-Encoding headers";
    return NULL;
}

static struct http_request *request_new(struct http_server *s, struct MHD_Connection *conn,
                                        const char *url, const char *method, int nul_in_path)
{
    struct http_request *rq = xcalloc(1, sizeof(*rq));
    struct http_param params[HTTP_MAX_PARAMS];
    rq->srv = s;
    rq->conn = conn;
    rq->path = url;
    rq->method_name = method;
    rq->method = http_method_from_name(method);
    rq->nul_in_path = nul_in_path;
    rq->start_ns = ftime_mono_ns();
    rq->ctx = s->o.ctx;
    rq->draining = &s->draining;
    rq->proxies = http_browser_proxies(s->browser);
    rq->arrived_late = atomic_load(&s->draining);
    rq->early = (struct ferr)FERR_INIT;
    rq->bad_framing = framing_problem(conn);
    rq->route = http_router_find(s->router, rq->method, url, params, &rq->nparams, &rq->path_known);
    if (!rq->path_known && strstr(url, "//")) {
        /* as werkzeug routes for MLflow: "//x" is "/x". Only a path that
         * names no route is merged, so a '//' inside an artifact path stays
         * the path's own (and is refused there). */
        char *m = xstrdup(url), *w = m;
        for (const char *r = url; *r; r++)
            if (!(*r == '/' && r[1] == '/'))
                *w++ = *r;
        *w = '\0';
        rq->merged_path = m;
        rq->path = m;
        rq->route =
            http_router_find(s->router, rq->method, m, params, &rq->nparams, &rq->path_known);
    }
    if (rq->route && rq->method == HTTP_HEAD && !(rq->route->methods & HTTP_HEAD))
        rq->method = HTTP_GET; /* HEAD wherever GET (route.h): libmicrohttpd drops the body */
    for (size_t i = 0; i < rq->nparams; i++) {
        rq->route_params[i] = params[i];
        rq->params[i] = xmalloc(params[i].len + 1);
        memcpy(rq->params[i], params[i].value, params[i].len);
        rq->params[i][params[i].len] = '\0';
    }
    dynbuf_init(&rq->body, rq->route ? rq->route->max_body : 0);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    rq->watch = ci ? ci->socket_context : NULL;
    return rq;
}

static void request_free(struct http_request *rq)
{
    if (rq->route && rq->route->body && rq->route->body->end && !rq->arrived_late &&
        !rq->nul_in_path && !rq->refused)
        rq->route->body->end(rq);
    for (size_t i = 0; i < rq->nparams; i++)
        free(rq->params[i]);
    for (size_t i = 0; i < rq->nheaders; i++) {
        free(rq->headers[i].name);
        free(rq->headers[i].value);
    }
    dynbuf_release(&rq->body);
    free(rq->merged_path);
    free(rq->cors_origin);
    free(rq->user);
    if (rq->principal && rq->principal_free)
        rq->principal_free(rq->principal);
    free(rq);
}

static int streamed(const struct http_request *rq)
{
    return rq->route && rq->route->body && !rq->arrived_late && !rq->nul_in_path &&
           !rq->bad_framing && !rq->refused;
}

static void take_body(struct http_request *rq, const char *data, size_t n)
{
    if (rq->bad_framing)
        return; /* refused at the end; nothing of it is kept */
    if (streamed(rq)) {
        /* once refused, the rest is read and dropped */
        if (rq->early.code == FERR_OK && rq->route->body->data)
            (void)rq->route->body->data(rq, data, n, &rq->early);
        return;
    }
    if (rq->refused)
        return; /* refused on arrival: the body is read and dropped */
    if (dynbuf_add(&rq->body, data, n))
        return; /* past the cap: dropped, answered with 413 at the end */
}

/* Runs what answers the request: its route's handler, or the refusal the
 * request earned on its way in. Fills err for a refusal (status 0: the
 * code's own), or answers and returns 0. */
static int handle(struct http_request *rq, int *status, struct ferr *err)
{
    if (rq->arrived_late) {
        *status = 503;
        return ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE, "the server is shutting down");
    }
    if (rq->bad_framing)
        rq->close = 1;
    if (rq->blocked_status) {
        *status = rq->blocked_status;
        *err = rq->early;
        return -1;
    }
    if (rq->preflight)
        return http_browser_preflight(rq);
    if (rq->bad_framing) {
        rq->close = 1;
        return ferr_set(err, FERR_BAD_REQUEST, "%s", rq->bad_framing);
    }
    if (rq->nul_in_path)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the URL path holds a NUL byte (%%00)");
    if (!rq->route && rq->path_known) {
        *status = 405;
        return ferr_set(err, FERR_BAD_REQUEST, "method %s is not allowed for '%.200s'",
                        rq->method_name, rq->path);
    }
    if (!rq->route) {
        if (rq->srv->o.not_found)
            return rq->srv->o.not_found(rq, err);
        return ferr_set(err, FERR_ENDPOINT_NOT_FOUND, "no endpoint at '%.200s'", rq->path);
    }
    if (rq->refused) {
        *err = rq->early;
        return -1;
    }
    if (rq->body.overflow) {
        *status = 413;
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the request body exceeds the limit of %zu bytes for this endpoint",
                        rq->route->max_body);
    }
    if (rq->early.code != FERR_OK) {
        *err = rq->early;
        return -1;
    }
    return rq->route->handler(rq, err);
}

/* The request is complete: answer it, once. */
static void answer(struct http_request *rq)
{
    struct ferr err = FERR_INIT;
    int status = 0;
    int rc = handle(rq, &status, &err);
    if (rq->answered)
        return; /* a handler that answered, then failed: the answer stands */
    if (rc == 0)
        ferr_set(&err, FERR_INTERNAL_ERROR, "the handler of '%.200s' gave no answer", rq->path);
    else if (err.code == FERR_OK)
        ferr_set(&err, FERR_INTERNAL_ERROR, "internal error");
    (void)http_respond_error(rq, status, &err);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http_server *s = cls;
    struct http_request *rq = *con_cls;
    if (!rq || *con_cls == &nul_in_path_mark) { /* first callback: answer later (server.h) */
        rq = request_new(s, conn, url, method, *con_cls == &nul_in_path_mark);
        *con_cls = rq;
        pthread_mutex_lock(&s->mu);
        s->in_flight++;
        s->served++;
        if (rq->watch) {
            rq->watch->phase = READ_BODY;
            rq->watch->since_ns = ftime_mono_ns();
            rq->watch->body_bytes = 0;
        }
        pthread_mutex_unlock(&s->mu);
        if (s->browser && !rq->arrived_late) {
            /* before anything else: a page's request reaches no handler,
             * no admit hook and no streaming route */
            int status = 0;
            if (http_browser_check(s->browser, rq, &status, &rq->early))
                rq->blocked_status = status, rq->refused = 1;
            else if (rq->preflight)
                rq->refused = 1; /* answered as a preflight, any body dropped */
        }
        if (rq->bad_framing) {
            /* answered now, before libmicrohttpd reads a body whose end is
             * unknown (and answers a bad chunk in HTML itself); the
             * connection closes after the answer */
            answer(rq);
            if (s->o.access_log)
                log_access(rq);
            return rq->queue_failed ? MHD_NO : MHD_YES;
        }
        if (rq->route && !rq->arrived_late && !rq->nul_in_path && !rq->refused && s->o.admit &&
            s->o.admit(s->o.admit_arg, rq, &rq->early)) {
            rq->refused = 1;
            if (rq->early.code == FERR_OK)
                ferr_set(&rq->early, FERR_INTERNAL_ERROR, "refused");
        }
        if (streamed(rq) && rq->route->body->begin)
            (void)rq->route->body->begin(rq, &rq->early); /* a refusal is answered at the end */
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (rq->watch) {
            pthread_mutex_lock(&s->mu);
            rq->watch->body_bytes += *upload_data_size;
            pthread_mutex_unlock(&s->mu);
        }
        take_body(rq, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->watch) {
        pthread_mutex_lock(&s->mu);
        rq->watch->phase = ANSWERING;
        pthread_mutex_unlock(&s->mu);
    }
    answer(rq);
    if (s->o.access_log)
        log_access(rq);
    return rq->queue_failed ? MHD_NO : MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct http_server *s = cls;
    struct http_request *rq = *con_cls;
    if (!rq || *con_cls == &nul_in_path_mark)
        return;
    struct conn_watch *w = rq->watch;
    request_free(rq);
    *con_cls = NULL;
    pthread_mutex_lock(&s->mu);
    s->in_flight--;
    if (w) { /* waiting for the next request's head */
        w->phase = WAIT_HEAD;
        w->since_ns = ftime_mono_ns();
    }
    pthread_mutex_unlock(&s->mu);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    struct conn_watch *w = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        w = xcalloc(1, sizeof(*w));
        w->fd = ci ? ci->connect_fd : -1;
        w->phase = WAIT_HEAD;
        w->since_ns = ftime_mono_ns();
        pthread_mutex_lock(&s->mu);
        w->next = s->watches;
        if (s->watches)
            s->watches->prev = w;
        s->watches = w;
        pthread_mutex_unlock(&s->mu);
        *socket_context = w;
        return;
    }
    if (!w)
        return;
    pthread_mutex_lock(&s->mu);
    if (w->prev)
        w->prev->next = w->next;
    else
        s->watches = w->next;
    if (w->next)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&s->mu);
    free(w);
    *socket_context = NULL;
}

/* Shuts down the connections past their deadline (http_limits): the
 * connection's own thread then sees the socket end and closes it. */
static void sweep(struct http_server *s)
{
    unsigned limit = s->o.limits.request_timeout_s;
    if (!limit)
        return;
    int64_t now = ftime_mono_ns(), limit_ns = (int64_t)limit * 1000000000;
    int cut = 0;
    pthread_mutex_lock(&s->mu);
    for (struct conn_watch *w = s->watches; w; w = w->next) {
        int64_t age = now - w->since_ns;
        if (w->cut || w->fd < 0 || w->phase == ANSWERING || age <= limit_ns)
            continue;
        if (w->phase == READ_BODY &&
            w->body_bytes >= (uint64_t)(age / 1000000000) * HTTP_MIN_BODY_RATE)
            continue;
        if (shutdown(w->fd, SHUT_RDWR) == 0)
            cut++;
        w->cut = 1;
    }
    pthread_mutex_unlock(&s->mu);
    if (cut)
        log_warn("closed %d connection(s) whose request did not arrive in time", cut);
}

static int load_tls(struct http_server *s, struct ferr *err)
{
    const char *cert = s->o.tls_cert, *key = s->o.tls_key;
    if (!cert && !key)
        return 0;
    if (!cert || !key)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "--tls-cert and --tls-key go together: give both or neither");
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return ferr_set(err, FERR_INVALID_STATE,
                        "this libmicrohttpd was built without TLS: --tls-cert cannot be served");
    return http_tls_load(cert, key, &s->tls_cert, &s->tls_key, err);
}

int http_server_new(const struct http_server_opts *o, struct http_server **out, struct ferr *err)
{
    struct http_server *s = xcalloc(1, sizeof(*s));
    s->o = *o;
    s->fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    atomic_init(&s->draining, 0);
    if (http_router_new(o->routes, o->nroutes, &s->router, err) || load_tls(s, err) ||
        (o->browser &&
         http_browser_new(o->browser, o->host, s->tls_cert != NULL, &s->browser, err)) ||
        (s->fd = http_listen(o->host, o->port, &s->port, err)) < 0 || sigpipe_open(err)) {
        http_server_free(s);
        return -1;
    }
    s->signals = 1;
    signal(SIGPIPE, SIG_IGN);
    *out = s;
    return 0;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

int http_server_start(struct http_server *s, struct ferr *err)
{
    /* ITC: lets MHD_quiesce_daemon wake the polling threads. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    unsigned pool = s->o.threads > 0 ? (unsigned)s->o.threads : 0;
    flags |= pool ? MHD_USE_EPOLL : MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    if (s->tls_cert)
        flags |= MHD_USE_TLS;
    /* 192 KiB per connection holds the request head and its parsed query:
     * MLflow's UI sends ~5 KB (100 run ids), MLflow's own tests 41 KB (1000,
     * to see them refused); past ~2500 ids libmicrohttpd drops the
     * connection. The pool is zeroed for every request, yet wrk shows no
     * cost against 64 KiB (bench/RESULTS.md). */
    struct MHD_OptionItem opts[16];
    size_t n = 0;
#define OPT(o, v, p) (opts[n++] = (struct MHD_OptionItem){(o), (intptr_t)(v), (p)})
    OPT(MHD_OPTION_LISTEN_SOCKET, s->fd, NULL);
    OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, s);
    OPT(MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL);
    OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)192 * 1024, NULL);
    OPT(MHD_OPTION_CONNECTION_TIMEOUT, s->o.limits.idle_timeout_s, NULL);
    OPT(MHD_OPTION_CONNECTION_LIMIT,
        s->o.limits.max_connections ? s->o.limits.max_connections
                                    : (unsigned)HTTP_DEFAULT_MAX_CONNECTIONS,
        NULL);
    OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->o.limits.per_ip, NULL);
    OPT(MHD_OPTION_NOTIFY_CONNECTION, on_connection, s);
    if (pool)
        OPT(MHD_OPTION_THREAD_POOL_SIZE, pool, NULL);
    if (s->tls_cert) {
        OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert);
        OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key);
    }
    OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts,
                            MHD_OPTION_END);
    if (!s->d)
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot start the HTTP server on %s:%d",
                        s->o.host, s->port);
    s->fd = -1; /* the daemon owns it now */
    return 0;
}

void http_server_wait(struct http_server *s, void (*idle)(void *arg), void *arg)
{
    struct pollfd p = {sigpipe_fd(), POLLIN, 0};
    unsigned long seen = 0;
    for (;;) {
        int n = poll(&p, 1, 1000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != 0)
            break;
        sweep(s);
        pthread_mutex_lock(&s->mu);
        unsigned long served = s->served;
        int busy = s->in_flight;
        pthread_mutex_unlock(&s->mu);
        if (served != seen && !busy) {
            seen = served;
            if (idle)
                idle(arg);
        }
    }
    int sig = sigpipe_take();
    if (sig)
        log_info("received signal %d, shutting down", sig);
}

/* Waits until no request is between its first callback and its completion
 * and, for a moment longer, until no connection is open: a client whose
 * answer came just before the drain began sends its next request on the
 * kept-alive connection, which must get its 503 rather than a closed
 * socket. At most timeout_ms in all. */
#define DRAIN_GRACE_MS 500
static void drain(struct http_server *s, int timeout_ms)
{
    int quiet_ms = 0;
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        pthread_mutex_lock(&s->mu);
        int n = s->in_flight, open = s->watches != NULL;
        pthread_mutex_unlock(&s->mu);
        quiet_ms = n > 0 ? 0 : quiet_ms + 10;
        if (n <= 0 && (!open || quiet_ms >= DRAIN_GRACE_MS))
            return;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    log_warn("shutting down with requests still in flight after %d ms", timeout_ms);
}

void http_server_stop(struct http_server *s, int drain_ms)
{
    if (!s->d)
        return;
    /* Stop accepting first, so that a client refused with 503 and
     * connecting again is refused by the kernel, not accepted into a
     * backlog that closing the socket resets. */
    int lfd = MHD_quiesce_daemon(s->d); /* requests in flight go on */
    if (lfd >= 0) {
        /* close alone leaves the socket listening while the listening
         * thread still polls it (Linux keeps the file until poll returns):
         * shutdown stops the listening now */
        (void)shutdown(lfd, SHUT_RDWR);
        close(lfd);
    }
    atomic_store(&s->draining, 1);
    drain(s, drain_ms);
    MHD_stop_daemon(s->d); /* waits for the connection threads */
    s->d = NULL;
}

void http_server_free(struct http_server *s)
{
    if (!s)
        return;
    if (s->d)
        http_server_stop(s, 0);
    if (s->fd >= 0)
        close(s->fd);
    if (s->signals)
        sigpipe_close();
    http_router_free(s->router);
    http_browser_free(s->browser);
    free(s->tls_cert);
    if (s->tls_key) {
        memset(s->tls_key, 0, strlen(s->tls_key)); /* the key lives no longer than needed */
        free(s->tls_key);
    }
    pthread_mutex_destroy(&s->mu);
    free(s);
}
