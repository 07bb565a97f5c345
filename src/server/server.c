/* SPDX-License-Identifier: MIT
 * The HTTP core: listens, accumulates request bodies within each route's
 * limit, decodes the request into a JSON object (body or query string),
 * dispatches to the route's handler, and writes the response or MLflow's JSON
 * error. Also /health, /version, the web UI (ui.c), the access log and
 * graceful shutdown.
 *
 * Threading: by default one thread per connection, so concurrent writers can
 * all be waiting in the store's group commit at once (their writes share one
 * transaction). --workers N switches to a pool of N polling threads.
 *
 * libmicrohttpd 0.9.75 closes keep-alive connections when a response is
 * queued on the first callback of a request, so every request is answered on
 * a later callback. */
#include "server/server.h"
#include "server/http.h"
#include "server/respond.h"
#include "server/artifact_proxy.h"
#include "server/ui.h"
#include "server/get_artifact.h"
#include "api/codec.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/sigpipe.h"
#include "base/xalloc.h"
#include "base/version.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

#define API_PREFIX  "/api/2.0/mlflow/"
#define AJAX_PREFIX "/ajax-api/2.0/mlflow/"

struct server {
    struct store *store;
    struct artifact_repo *artifacts; /* --artifacts-destination; NULL: not served */
    int access_log;
    pthread_mutex_t mu;
    int in_flight;        /* requests between their first callback and completion */
    unsigned long served; /* requests started, for the idle heap trim */
};

/* Per-request state, created on the first callback. */
struct conn_req {
    const struct route *route;
    struct proxy_req *proxy; /* an artifact-service request (streams its body) */
    struct sbuf body;
    int too_large;
    /* Started after SIGTERM/SIGINT: refused with 503 rather than served, so a
     * busy keep-alive client cannot hold shutdown (and respond.c adds
     * Connection: close to every answer from then on). */
    int arrived_late;
    int nul_in_path; /* the raw path held %00 (see on_uri) */
    int64_t start_ns;
};

/* libmicrohttpd decodes the URL path in place, so "%00" ends it early:
 * "model.pkl%00.txt" would arrive as "model.pkl". The raw URI is seen first
 * (MHD_OPTION_URI_LOG_CALLBACK), and a path holding %00 marks the request
 * with this sentinel, which the first callback turns into a refusal. A
 * static mark, not an allocation: a request that fails before reaching the
 * access handler gets no completion callback to free it. */
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

/* Query arguments become JSON fields; a repeated key becomes an array. A
 * value that is not UTF-8 or holds a NUL byte (%00) refuses the request:
 * dropping or cutting it would silently answer a different question. */
struct query_args {
    json_t *obj;
    struct ferr *err;
};

static enum MHD_Result add_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                     size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    struct query_args *qa = cls;
    if (strlen(key) != key_size || (value && strlen(value) != value_size)) {
        ferr_set(qa->err, FERR_INVALID_PARAMETER_VALUE, "query parameter '%.100s' holds a NUL byte",
                 key);
        return MHD_NO;
    }
    json_t *old = json_object_get(qa->obj, key);
    json_t *v = json_string(value ? value : "");
    if (!v) {
        ferr_set(qa->err, FERR_INVALID_PARAMETER_VALUE,
                 "query parameter '%.100s' is not valid UTF-8", key);
        return MHD_NO;
    }
    if (!old) {
        json_object_set_new(qa->obj, key, v);
    } else if (json_is_array(old)) {
        json_array_append_new(old, v);
    } else {
        json_t *a = json_array();
        json_array_append(a, old);
        json_array_append_new(a, v);
        json_object_set_new(qa->obj, key, a);
    }
    return MHD_YES;
}

/* The request's fields: the JSON body if there is one, else the query string. */
static json_t *decode_request(struct MHD_Connection *conn, struct conn_req *cr, struct ferr *err)
{
    if (cr->body.len) {
        json_error_t je;
        json_t *j = json_loadb(cr->body.buf, cr->body.len, 0, &je);
        if (!j && json_error_code(&je) == json_error_numeric_overflow) {
            /* Well-formed JSON, a number out of int64's range: a bad value. */
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "a number in the request is out of range: %s", je.text);
            return NULL;
        }
        if (!j) {
            ferr_set(err, FERR_BAD_REQUEST,
                     "malformed JSON in the request body: %s (line %d, column %d)", je.text,
                     je.line, je.column);
            return NULL;
        }
        if (!json_is_object(j)) {
            json_decref(j);
            ferr_set(err, FERR_BAD_REQUEST, "the request body must be a JSON object");
            return NULL;
        }
        codec_normalize_request(j);
        return j;
    }
    struct query_args qa = {json_object(), err};
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, add_query_arg, &qa);
    if (err->code != FERR_OK) {
        json_decref(qa.obj);
        return NULL;
    }
    return qa.obj;
}

static void log_access(struct MHD_Connection *conn, const char *method, const char *url, int status,
                       size_t bytes, int64_t start_ns)
{
    char addr[INET6_ADDRSTRLEN] = "-";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
                  addr, sizeof(addr));
    double ms = (double)(ftime_mono_ns() - start_ns) / 1e6;
    log_info("%s \"%s %s\" %d %zu %.2fms", addr, method, url, status, bytes, ms);
}

static enum MHD_Result serve_plain(struct MHD_Connection *conn, const char *text)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb, text);
    return respond_body(conn, 200, "text/plain; charset=utf-8", &sb);
}

/* The route path of url: after /api/2.0/mlflow/ or /ajax-api/2.0/mlflow/;
 * ferry's own API (/api/2.0/ferry/...) keeps its "ferry/" prefix. */
static const char *api_path(const char *url)
{
    static const char ferry_api[] = "/api/2.0/ferry/";
    if (!strncmp(url, ferry_api, sizeof(ferry_api) - 1))
        return url + strlen("/api/2.0/");
    if (!strncmp(url, API_PREFIX, strlen(API_PREFIX)))
        return url + strlen(API_PREFIX);
    if (!strncmp(url, AJAX_PREFIX, strlen(AJAX_PREFIX)))
        return url + strlen(AJAX_PREFIX);
    return NULL;
}

static enum MHD_Result dispatch(struct server *srv, struct MHD_Connection *conn,
                                struct conn_req *cr, const char *url, const char *method,
                                int *status_out, size_t *bytes_out)
{
    struct ferr err = FERR_INIT;
    int is_get = !strcmp(method, "GET"), is_post = !strcmp(method, "POST");
    if (cr->arrived_late) {
        *status_out = 503;
        ferr_set(&err, FERR_TEMPORARILY_UNAVAILABLE, "the server is shutting down");
        return respond_error(conn, 503, &err);
    }
    if (cr->nul_in_path) {
        *status_out = 400;
        ferr_set(&err, FERR_INVALID_PARAMETER_VALUE, "the URL path holds a NUL byte (%%00)");
        return respond_error(conn, 400, &err);
    }
    if (!strcmp(url, "/health") && is_get) {
        *status_out = 200;
        return serve_plain(conn, "OK");
    }
    if (!strcmp(url, "/version") && is_get) {
        *status_out = 200;
        return serve_plain(conn, FERRY_VERSION_STRING);
    }
    if (!cr->route && !strcmp(url, GET_ARTIFACT_PATH) && is_get)
        return get_artifact_answer(conn, srv->store, srv->artifacts, status_out, bytes_out);
    if (!cr->route && ui_owns(url))
        return ui_answer(conn, url, method, status_out, bytes_out);
    if (!cr->route) {
        *status_out = 404;
        ferr_set(&err, FERR_ENDPOINT_NOT_FOUND, "no endpoint at '%.200s'", url);
        return respond_error(conn, 404, &err);
    }
    unsigned need = is_get                      ? ROUTE_GET
                    : is_post                   ? ROUTE_POST
                    : !strcmp(method, "PATCH")  ? ROUTE_PATCH
                    : !strcmp(method, "DELETE") ? ROUTE_DELETE
                                                : 0;
    if (!(cr->route->methods & need)) {
        *status_out = 405;
        ferr_set(&err, FERR_BAD_REQUEST, "method %s is not allowed for '%.200s'", method, url);
        return respond_error(conn, 405, &err);
    }
    if (cr->too_large) {
        *status_out = 413;
        ferr_set(&err, FERR_INVALID_PARAMETER_VALUE,
                 "the request body exceeds the limit of %zu bytes for this endpoint",
                 cr->route->max_body);
        return respond_error(conn, 413, &err);
    }
    json_t *in = decode_request(conn, cr, &err);
    if (!in) {
        *status_out = 400;
        *bytes_out = strlen(err.msg);
        return respond_error(conn, 400, &err);
    }
    struct sbuf out = SBUF_INIT;
    char *user = MHD_basic_auth_get_username_password(conn, NULL);
    struct req r = {.store = srv->store,
                    .artifacts = srv->artifacts,
                    .user = user,
                    .method = method,
                    .in = in,
                    .out = &out,
                    .content_type = "application/json",
                    .status = 200,
                    .err = FERR_INIT};
    int rc = cr->route->fn(&r);
    if (user)
        MHD_free(user);
    json_decref(in);
    if (rc) {
        sbuf_release(&out);
        if (r.err.code == FERR_OK)
            ferr_set(&r.err, FERR_INTERNAL_ERROR, "internal error");
        *status_out = http_status_for(r.err.code);
        *bytes_out = strlen(r.err.msg);
        return respond_error(conn, *status_out, &r.err);
    }
    *status_out = r.status;
    *bytes_out = out.len;
    return respond_body(conn, r.status, r.content_type, &out);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct server *srv = cls;
    struct conn_req *cr = *con_cls;
    if (!cr || *con_cls == &nul_in_path_mark) { /* first callback: answer later (file comment) */
        cr = xcalloc(1, sizeof(*cr));
        cr->nul_in_path = *con_cls == &nul_in_path_mark;
        sbuf_init(&cr->body, 0);
        cr->start_ns = ftime_mono_ns();
        cr->arrived_late = respond_shutting_down();
        const char *path = api_path(url), *ppath = proxy_path(url);
        cr->route = path ? router_find(path) : NULL;
        if (ppath && !cr->arrived_late && !cr->nul_in_path)
            cr->proxy = proxy_begin(srv->artifacts, method, ppath);
        *con_cls = cr;
        pthread_mutex_lock(&srv->mu);
        srv->in_flight++;
        srv->served++;
        pthread_mutex_unlock(&srv->mu);
        return MHD_YES;
    }
    if (*upload_data_size && cr->proxy) {
        proxy_body(cr->proxy, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t limit = cr->route ? cr->route->max_body : 0;
        if (cr->body.len + *upload_data_size > limit) {
            cr->too_large = 1;
            sbuf_release(&cr->body);
        } else if (!cr->too_large) {
            sbuf_add(&cr->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    int status = 500;
    size_t bytes = 0;
    enum MHD_Result rc = cr->proxy ? proxy_answer(cr->proxy, conn, &status, &bytes)
                                   : dispatch(srv, conn, cr, url, method, &status, &bytes);
    if (srv->access_log)
        log_access(conn, method, url, status, bytes, cr->start_ns);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct server *srv = cls;
    struct conn_req *cr = *con_cls;
    if (!cr || cr == (void *)&nul_in_path_mark)
        return;
    pthread_mutex_lock(&srv->mu);
    srv->in_flight--;
    pthread_mutex_unlock(&srv->mu);
    proxy_end(cr->proxy); /* aborts an upload the client did not finish */
    sbuf_release(&cr->body);
    free(cr);
    *con_cls = NULL;
}

/* Binds and listens ourselves: precise errors, and port 0 works. */
static int open_listener(const char *host, int port, int *port_out, struct ferr *err)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        if (!strcmp(host, "localhost"))
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        else
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid --host '%s': expected an IPv4 address such as 127.0.0.1",
                            host);
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ferr_set(err, FERR_INTERNAL_ERROR, "socket: %s", strerror(errno));
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1024) < 0) {
        int e = errno;
        close(fd);
        if (e == EADDRINUSE)
            return ferr_set(err, FERR_INVALID_STATE,
                            "port %d on %s is already in use: stop the other server or pick "
                            "another --port",
                            port, host);
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot listen on %s:%d: %s", host, port,
                        strerror(e));
    }
    socklen_t len = sizeof(sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        close(fd);
        return ferr_set(err, FERR_INTERNAL_ERROR, "getsockname: %s", strerror(errno));
    }
    *port_out = ntohs(sa.sin_port);
    return fd;
}

static int install_signals(struct ferr *err)
{
    if (sigpipe_open(err))
        return -1;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* Memory: glibc keeps what connection threads freed in per-thread arenas
 * and in the heap, so a burst of 64 connections or one 8 MB history answer
 * would stay in RSS for good. At most two arenas exist, and once a second
 * passes in which requests were served and none is in flight, malloc_trim
 * hands free pages back. (Forcing big blocks into mmap instead doubled the
 * time of a 100k-point get-history: fresh pages fault, and page faults are
 * expensive on these VMs.) */
static void tune_malloc(void)
{
#ifdef __GLIBC__
    /* Fails harmlessly under ASan, whose allocator has no arenas. */
    (void)mallopt(M_ARENA_MAX, 2);
#endif
}

static void trim_malloc(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* Sleeps until SIGTERM/SIGINT, trimming the heap after busy seconds. */
static void wait_for_signal(struct server *srv)
{
    struct pollfd p = {sigpipe_fd(), POLLIN, 0};
    unsigned long seen = 0;
    for (;;) {
        int n = poll(&p, 1, 1000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != 0)
            break;
        pthread_mutex_lock(&srv->mu);
        unsigned long served = srv->served;
        int busy = srv->in_flight;
        pthread_mutex_unlock(&srv->mu);
        if (served != seen && !busy) {
            seen = served;
            store_release_memory(srv->store);
            trim_malloc();
        }
    }
    int sig = sigpipe_take();
    if (sig)
        log_info("received signal %d, shutting down", sig);
}

/* Waits until no request is between its first callback and its completion,
 * at most timeout_ms: requests in flight when shutdown began get answered. */
static void drain(struct server *srv, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        pthread_mutex_lock(&srv->mu);
        int n = srv->in_flight;
        pthread_mutex_unlock(&srv->mu);
        if (n <= 0)
            return;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    log_warn("shutting down with requests still in flight after %d ms", timeout_ms);
}

static struct MHD_Daemon *start_daemon(const struct server_opts *o, struct server *srv, int fd)
{
    /* ITC: lets MHD_quiesce_daemon wake the polling threads. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    unsigned pool = 0;
    if (o->workers > 0) {
        flags |= MHD_USE_EPOLL;
        pool = (unsigned)o->workers;
    } else {
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    }
    /* 64 KiB per connection holds the request head: MLflow's UI sends query
     * strings of ~5 KB (100 run ids), we test 15 KB. libmicrohttpd zeroes the
     * pool for every request, so a bigger pool costs CPU on each one. */
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)o->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        /* last, so that without a pool the list simply ends here */
        pool ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, pool, MHD_OPTION_END);
}

int server_run(const struct server_opts *o, struct ferr *err)
{
    struct store_opts so = STORE_OPTS_INIT;
    struct server srv = {NULL, NULL, o->access_log, PTHREAD_MUTEX_INITIALIZER, 0, 0};
    tune_malloc();
    struct MHD_Daemon *d = NULL;
    int port = 0, rc = -1;
    so.group_commit = 1;
    so.default_artifact_root = o->default_artifact_root;
    if (!so.default_artifact_root && o->serve_artifacts)
        so.default_artifact_root = "mlflow-artifacts:";
    int fd = open_listener(o->host, o->port, &port, err);
    if (fd < 0)
        return -1;
    if (store_open(o->backend_store_uri, &so, &srv.store, err) || install_signals(err))
        goto out;
    if (o->serve_artifacts &&
        artifact_repo_open(o->artifacts_destination ? o->artifacts_destination : "mlartifacts",
                           &srv.artifacts, err))
        goto out;
    d = start_daemon(o, &srv, fd);
    if (!d) {
        ferr_set(err, FERR_INTERNAL_ERROR, "cannot start the HTTP server on %s:%d", o->host, port);
        goto out;
    }
    fd = -1; /* the daemon owns it now */
    printf("ferry server listening on http://%s:%d\n", o->host, port);
    fflush(stdout);
    log_info("serving %s on http://%s:%d (%s)", o->backend_store_uri, o->host, port,
             o->workers > 0 ? "thread pool" : "thread per connection");
    wait_for_signal(&srv);
    respond_begin_shutdown();
    int lfd = MHD_quiesce_daemon(d); /* stop accepting; requests in flight go on */
    if (lfd >= 0)
        close(lfd);
    drain(&srv, 10000);
    rc = 0;
out:
    if (d)
        MHD_stop_daemon(d); /* waits for the connection threads */
    if (fd >= 0)
        close(fd);
    store_close(srv.store); /* finishes queued writes, closes the database */
    artifact_repo_close(srv.artifacts);
    sigpipe_close();
    if (!rc)
        log_info("stopped cleanly");
    return rc;
}
