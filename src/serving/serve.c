/* SPDX-License-Identifier: MIT */
#include "serving/serve.h"
#include "serving/input.h"
#include "api/codec.h"
#include "base/json.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/sigpipe.h"
#include "base/sbuf.h"
#include "base/version.h"
#include "base/xalloc.h"
#include "models/model.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/banned.h"

#define MAX_BODY (64u * 1024 * 1024)

/* Latency histogram bounds in seconds (Prometheus "le" buckets). */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct serving {
    struct model *model;
    const struct serve_opts *opts;
    int64_t load_ms;
    atomic_ullong requests, errors, rows;
    atomic_ullong hist[NBUCKETS + 1];
    atomic_ullong latency_us_sum;
    sem_t gate; /* scorers running at once, for in-process flavors */
    int gate_on;
};

struct request {
    struct sbuf body;
    int too_large;
};

static enum MHD_Result reply(struct MHD_Connection *conn, int status, const char *ctype,
                             struct sbuf *body)
{
    size_t len;
    char *buf = sbuf_detach(body, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        return MHD_NO;
    }
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) == MHD_NO) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, int status, const char *text)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb, text);
    return reply(conn, status, "text/plain; charset=utf-8", &sb);
}

/* MLflow's JSON error; counted in /metrics when it answers a scoring request. */
static enum MHD_Result reply_error(struct serving *s, struct MHD_Connection *conn,
                                   const struct ferr *err)
{
    struct sbuf sb = SBUF_INIT;
    int status = err->code == FERR_INTERNAL_ERROR || err->code == FERR_IO_ERROR ? 500
                 : err->code == FERR_TEMPORARILY_UNAVAILABLE                    ? 503
                 : err->code == FERR_ENDPOINT_NOT_FOUND                         ? 404
                                                                                : 400;
    if (err->code != FERR_ENDPOINT_NOT_FOUND)
        atomic_fetch_add(&s->errors, 1);
    codec_write_error(&sb, err);
    return reply(conn, status, "application/json", &sb);
}

static enum MHD_Result reply_json(struct MHD_Connection *conn, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return MHD_NO;
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb, text);
    free(text);
    return reply(conn, 200, "application/json", &sb);
}

static void observe(struct serving *s, int64_t start_ns)
{
    double secs = (double)(ftime_mono_ns() - start_ns) / 1e9;
    size_t b = 0;
    while (b < NBUCKETS && secs > buckets[b])
        b++;
    atomic_fetch_add(&s->hist[b], 1);
    atomic_fetch_add(&s->latency_us_sum, (unsigned long long)(secs * 1e6));
}

enum protocol { MLFLOW, MLFLOW_EXPLAIN, OIP_V2 };

/* OIP v2's answer: one output tensor. */
static void add_oip(struct sbuf *sb, const struct serving *s, const struct model_output *o)
{
    sbuf_addstr(sb, "{\"model_name\":");
    codec_write_string(sb, s->opts->name ? s->opts->name : "model");
    if (s->opts->version) {
        sbuf_addstr(sb, ",\"model_version\":");
        codec_write_string(sb, s->opts->version);
    }
    sbuf_addf(sb, ",\"outputs\":[{\"name\":\"predict\",\"shape\":[%zu", o->rows);
    if (o->cols > 1)
        sbuf_addf(sb, ",%zu", o->cols);
    sbuf_addf(sb, "],\"datatype\":\"%s\",\"data\":[",
              o->json     ? "BYTES"
              : o->labels ? "INT64"
                          : "FP64");
    if (o->json) {
        int first = 1;
        model_output_add_rows(o, sb, &first);
    } else {
        for (size_t i = 0; i < o->rows * o->cols; i++) {
            if (i)
                sbuf_addch(sb, ',');
            if (o->labels)
                fjson_add_int64(sb, (int64_t)o->values[i]);
            else
                fjson_add_double(sb, o->values[i]);
        }
    }
    sbuf_addstr(sb, "]}]}");
}

static enum MHD_Result score(struct serving *s, struct MHD_Connection *conn, struct request *rq,
                             enum protocol proto)
{
    int explain = proto == MLFLOW_EXPLAIN;
    struct ferr err = FERR_INIT;
    struct matrix m;
    struct model_output out;
    int64_t start = ftime_mono_ns();
    const char *ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    const struct model_signature *sig = &model_mlmodel(s->model)->signature;
    atomic_fetch_add(&s->requests, 1);
    if (rq->too_large) {
        ferr_set(&err, FERR_INVALID_PARAMETER_VALUE, "the body exceeds %u bytes", MAX_BODY);
        return reply_error(s, conn, &err);
    }
    int csv = proto != OIP_V2 && ctype && !strncasecmp(ctype, "text/csv", 8);
    if (ctype && !csv && strncasecmp(ctype, "application/json", 16)) {
        ferr_set(&err, FERR_BAD_REQUEST,
                 "unsupported Content-Type '%.100s': use application/json or text/csv", ctype);
        return reply_error(s, conn, &err);
    }
    const char *body = rq->body.buf ? rq->body.buf : "";
    if ((proto == OIP_V2 ? input_from_oip(body, rq->body.len, sig, &m, &err)
         : csv           ? input_from_csv(body, rq->body.len, sig, &m, &err)
                         : input_from_json(body, rq->body.len, sig, &m, &err)))
        return reply_error(s, conn, &err);
    struct model_input in = {m.rows, m.cols, m.values};
    if (s->gate_on)
        while (sem_wait(&s->gate) < 0 && errno == EINTR)
            ;
    int rc = explain ? model_explain(s->model, &in, &out, &err)
                     : model_predict(s->model, &in, &out, &err);
    if (s->gate_on)
        sem_post(&s->gate);
    matrix_release(&m);
    if (rc)
        return reply_error(s, conn, &err);
    struct sbuf sb = SBUF_INIT;
    sbuf_grow(&sb, out.rows * out.cols * 24 + 64);
    if (proto == OIP_V2) {
        add_oip(&sb, s, &out);
    } else {
        int first = 1;
        sbuf_addstr(&sb, explain ? "{\"contributions\":[" : "{\"predictions\":[");
        model_output_add_rows(&out, &sb, &first);
        sbuf_addstr(&sb, "]}");
    }
    atomic_fetch_add(&s->rows, out.rows);
    model_output_release(&out);
    observe(s, start);
    return reply(conn, 200, "application/json", &sb);
}

static enum MHD_Result metrics(struct serving *s, struct MHD_Connection *conn)
{
    struct sbuf sb = SBUF_INIT;
    const char *name = s->opts->name ? s->opts->name : "model";
    sbuf_addf(&sb,
              "# HELP ferry_model_info The model being served.\n"
              "# TYPE ferry_model_info gauge\n"
              "ferry_model_info{name=\"%s\",version=\"%s\",flavor=\"%s\"} 1\n"
              "# HELP ferry_model_load_seconds Time to load the model.\n"
              "# TYPE ferry_model_load_seconds gauge\n"
              "ferry_model_load_seconds %.6f\n"
              "# HELP ferry_requests_total Scoring requests.\n"
              "# TYPE ferry_requests_total counter\n"
              "ferry_requests_total %llu\n"
              "# HELP ferry_request_errors_total Scoring requests answered with an error.\n"
              "# TYPE ferry_request_errors_total counter\n"
              "ferry_request_errors_total %llu\n"
              "# HELP ferry_rows_scored_total Rows scored.\n"
              "# TYPE ferry_rows_scored_total counter\n"
              "ferry_rows_scored_total %llu\n"
              "# HELP ferry_request_duration_seconds Latency of successful scoring requests.\n"
              "# TYPE ferry_request_duration_seconds histogram\n",
              name, s->opts->version ? s->opts->version : "", model_flavor(s->model),
              (double)s->load_ms / 1000.0, atomic_load(&s->requests), atomic_load(&s->errors),
              atomic_load(&s->rows));
    json_t *d = model_describe(s->model);
    json_t *restarts = json_object_get(d, "worker_restarts");
    if (restarts)
        sbuf_addf(&sb,
                  "# HELP ferry_model_worker_restarts_total Model worker processes restarted.\n"
                  "# TYPE ferry_model_worker_restarts_total counter\n"
                  "ferry_model_worker_restarts_total %lld\n",
                  (long long)json_integer_value(restarts));
    json_decref(d);
    unsigned long long cum = 0;
    for (size_t b = 0; b <= NBUCKETS; b++) {
        cum += atomic_load(&s->hist[b]);
        if (b < NBUCKETS)
            sbuf_addf(&sb, "ferry_request_duration_seconds_bucket{le=\"%g\"} %llu\n", buckets[b],
                      cum);
        else
            sbuf_addf(&sb, "ferry_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    }
    sbuf_addf(&sb,
              "ferry_request_duration_seconds_sum %.6f\n"
              "ferry_request_duration_seconds_count %llu\n",
              (double)atomic_load(&s->latency_us_sum) / 1e6, cum);
    return reply(conn, 200, "text/plain; version=0.0.4", &sb);
}

static enum MHD_Result v2_metadata(struct serving *s, struct MHD_Connection *conn)
{
    const struct model_signature *sig = &model_mlmodel(s->model)->signature;
    json_t *inputs = json_array();
    for (size_t i = 0; i < sig->ninputs; i++)
        json_array_append_new(inputs, json_pack("{s:s, s:s, s:[i,i]}", "name",
                                                sig->inputs[i].name ? sig->inputs[i].name : "",
                                                "datatype", "FP32", "shape", -1, 1));
    json_t *doc =
        json_pack("{s:s, s:[s], s:s, s:o}", "name", s->opts->name ? s->opts->name : "model",
                  "versions", s->opts->version ? s->opts->version : "1", "platform",
                  model_flavor(s->model), "inputs", inputs);
    return reply_json(conn, doc);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct serving *s = cls;
    struct request *rq = *con_cls;
    struct ferr err = FERR_INIT;
    if (!rq) { /* answer on a later callback: keeps keep-alive (see server.c) */
        rq = xcalloc(1, sizeof(*rq));
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (rq->body.len + *upload_data_size > MAX_BODY) {
            rq->too_large = 1;
            sbuf_release(&rq->body);
        } else if (!rq->too_large) {
            sbuf_add(&rq->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    const char *name = s->opts->name ? s->opts->name : "model";
    size_t nlen = strlen(name);
    if (get && (!strcmp(url, "/ping") || !strcmp(url, "/health") ||
                !strcmp(url, "/v2/health/live") || !strcmp(url, "/v2/health/ready")))
        return reply_text(conn, 200, "OK");
    if (get && !strcmp(url, "/version"))
        return reply_text(conn, 200, FERRY_VERSION_STRING);
    if (get && !strcmp(url, "/metrics"))
        return metrics(s, conn);
    if (get && !strncmp(url, "/v2/models/", 11) && !strncmp(url + 11, name, nlen) &&
        !url[11 + nlen])
        return v2_metadata(s, conn);
    if (post && !strcmp(url, "/invocations"))
        return score(s, conn, rq, MLFLOW);
    if (post && !strcmp(url, "/explain"))
        return score(s, conn, rq, MLFLOW_EXPLAIN);
    if (post && !strncmp(url, "/v2/models/", 11) && !strncmp(url + 11, name, nlen) &&
        !strcmp(url + 11 + nlen, "/infer"))
        return score(s, conn, rq, OIP_V2);
    ferr_set(&err, FERR_ENDPOINT_NOT_FOUND, "no endpoint %s %.200s", method, url);
    return reply_error(s, conn, &err);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct request *rq = *con_cls;
    if (!rq)
        return;
    sbuf_release(&rq->body);
    free(rq);
    *con_cls = NULL;
}

static int listen_on(const char *host, int port, int *port_out, struct ferr *err)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, !strcmp(host, "localhost") ? "127.0.0.1" : host, &sa.sin_addr) != 1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid --host '%.100s': expected an IPv4 address", host);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        return ferr_set(err, FERR_INTERNAL_ERROR, "socket: %s", strerror(errno));
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1024) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        int e = errno;
        close(fd);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        e == EADDRINUSE ? "port %d on %s is already in use"
                                        : "cannot listen on port %d of %s",
                        port, host);
    }
    *port_out = ntohs(sa.sin_port);
    return fd;
}

int serve_run(const struct serve_opts *o, struct ferr *err)
{
    struct serving s;
    memset(&s, 0, sizeof(s));
    s.opts = o;
    int64_t t0 = ftime_mono_ns();
    struct model_opts mo = {o->workers, 0};
    if (model_load_dir(o->model_dir, &mo, &s.model, err))
        return -1;
    /* Native flavors score on the connection's thread: --workers sizes a
     * thread pool. Worker flavors need a thread per waiting connection, so
     * that concurrent requests reach the workers together and batch. */
    int pool = o->workers > 0 && model_in_process(s.model);
    s.load_ms = (ftime_mono_ns() - t0) / 1000000;
    int port = 0, fd = listen_on(o->host ? o->host : "127.0.0.1", o->port, &port, err);
    if (fd < 0) {
        model_free(s.model);
        return -1;
    }
    if (sigpipe_open(err)) {
        close(fd);
        model_free(s.model);
        return -1;
    }
    /* In-process scoring is CPU-bound: letting all 64 connection threads
     * into it at once only makes the scheduler's bursts the tail latency.
     * At most one scorer per CPU (bench/RESULTS.md: p99 13 -> 8 ms). */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    s.gate_on =
        model_in_process(s.model) && sem_init(&s.gate, 0, cpus > 0 ? (unsigned)cpus : 1) == 0;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC |
                     (pool ? MHD_USE_EPOLL : MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, &s, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)64 * 1024, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        pool ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (unsigned)o->workers, MHD_OPTION_END);
    if (!d) {
        close(fd);
        sigpipe_close();
        if (s.gate_on)
            sem_destroy(&s.gate);
        model_free(s.model);
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot start the scoring server");
    }
    printf("ferry models serve listening on http://%s:%d\n", o->host ? o->host : "127.0.0.1", port);
    fflush(stdout);
    log_info("serving %s (%s) loaded in %lld ms", o->model_dir, model_flavor(s.model),
             (long long)s.load_ms);
    struct pollfd p = {sigpipe_fd(), POLLIN, 0};
    while (poll(&p, 1, -1) < 0 && errno == EINTR)
        ;
    int lfd = MHD_quiesce_daemon(d);
    if (lfd >= 0)
        close(lfd);
    MHD_stop_daemon(d);
    if (s.gate_on)
        sem_destroy(&s.gate);
    model_free(s.model);
    sigpipe_close();
    log_info("stopped cleanly");
    return 0;
}
