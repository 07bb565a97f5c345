/* SPDX-License-Identifier: MIT */
#include "models/pypool.h"
#include "models/pyproc.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

/* Jobs in one batch at most (and pieces of one PREDICT frame). */
#define MAX_BATCH_JOBS 12
/* How long a worker may take to start and load its model. */
#define LOAD_TIMEOUT_MS (5 * 60 * 1000)
/* Between attempts to start a worker that would not start. */
#define RESTART_BACKOFF_MS 1000

struct pyjob {
    const double *values;
    size_t rows, cols;
    struct pyjob *next;
    pthread_cond_t cv;
    int done;
    struct model_output out;
    struct ferr err;
    int failed;
};

struct slot {
    struct pypool *pool;
    pthread_t thread;
    struct pyproc proc;
    int64_t next_start_ns; /* no start attempt before this */
    struct ferr start_err; /* why the last start failed */
    int start_failed;      /* the first start */
};

struct pypool {
    pthread_mutex_t mu;
    pthread_cond_t work, ready;
    int reported; /* slots whose first start is over */
    struct pyjob *head;
    int stopping;
    struct slot *slots;
    int nslots, threads;
    char *python;
    int64_t timeout_ms;
    struct sbuf load;
    json_t *info;
    atomic_uint restarts;
};

/* Starting a worker is two steps, so that a pool's interpreters start in
 * parallel: spawn it and send the model, then wait for READY. */
static int begin_start(struct pypool *p, struct pyproc *proc, int64_t deadline, struct ferr *err)
{
    struct iovec iov = {p->load.buf, p->load.len};
    if (pyproc_spawn(proc, p->python, err))
        return -1;
    if (pyproc_send(proc, PYFRAME_LOAD, &iov, 1, deadline, err))
        ferr_clear(err); /* it died before reading the model: end_start says how */
    return 0;
}

/* *info gets the worker's READY description when asked for. */
static int end_start(struct pyproc *proc, int64_t deadline, json_t **info, struct ferr *err)
{
    struct sbuf reply = SBUF_INIT;
    uint32_t type = 0;
    if (pyproc_recv(proc, &type, &reply, deadline, err) || type != PYFRAME_READY) {
        struct sbuf why = SBUF_INIT;
        char cause[sizeof(err->msg)];
        snprintf(cause, sizeof(cause), "%s", err->msg);
        pyproc_stop(proc, type != PYFRAME_ERROR, &why);
        if (type == PYFRAME_ERROR)
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the model does not load in Python: %.*s",
                     (int)(reply.len > 1000 ? 1000 : reply.len), reply.buf);
        else
            ferr_set(err, FERR_INTERNAL_ERROR,
                     "the Python worker %s before loading the model (%s); its stderr says why",
                     why.len ? why.buf : "failed", cause);
        sbuf_release(&why);
        sbuf_release(&reply);
        return -1;
    }
    if (info)
        *info = json_loadb(reply.buf, reply.len, 0, NULL);
    sbuf_release(&reply);
    return 0;
}

static int64_t load_deadline(void)
{
    return ftime_mono_ns() + (int64_t)LOAD_TIMEOUT_MS * 1000000;
}

/* Takes the oldest job and every queued job of its width, up to the batch
 * limits. Called with the lock held and a job queued. */
static size_t take_batch(struct pypool *p, struct pyjob **batch)
{
    size_t n = 0, rows = 0, cols = p->head->cols;
    struct pyjob **link = &p->head;
    while (*link && n < MAX_BATCH_JOBS) {
        struct pyjob *j = *link;
        if (j->cols == cols && (n == 0 || rows + j->rows <= PYPOOL_MAX_BATCH_ROWS)) {
            batch[n++] = j;
            rows += j->rows;
            *link = j->next;
        } else {
            link = &j->next;
        }
    }
    return n;
}

static void finish(struct pypool *p, struct pyjob **batch, size_t n)
{
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < n; i++) {
        batch[i]->done = 1;
        pthread_cond_signal(&batch[i]->cv);
    }
    pthread_mutex_unlock(&p->mu);
}

static void fail_all(struct pyjob **batch, size_t n, const struct ferr *err)
{
    for (size_t i = 0; i < n; i++) {
        batch[i]->failed = 1;
        batch[i]->err = *err;
    }
}

struct part {
    uint8_t kind, pad[7];
    uint64_t rows, cols, len;
};

/* Splits a RESULT payload into the batch's answers. */
static int read_results(const struct sbuf *r, struct pyjob **batch, size_t n, struct ferr *err)
{
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        struct part h;
        struct pyjob *j = batch[i];
        if (r->len - off < sizeof(h))
            return ferr_set(err, FERR_INTERNAL_ERROR, "the model worker sent a short answer");
        memcpy(&h, r->buf + off, sizeof(h));
        off += sizeof(h);
        if (h.len > r->len - off)
            return ferr_set(err, FERR_INTERNAL_ERROR, "the model worker sent a short answer");
        const char *data = r->buf + off;
        off += (size_t)h.len;
        if (h.kind == 'e') {
            j->failed = 1;
            ferr_set(&j->err, FERR_BAD_REQUEST, "the model failed on this input: %.*s",
                     (int)(h.len > 1500 ? 1500 : h.len), data);
            continue;
        }
        if (h.kind == 'j') {
            j->out.rows = j->rows;
            j->out.cols = 1;
            j->out.json = xmalloc((size_t)h.len + 1);
            memcpy(j->out.json, data, (size_t)h.len);
            j->out.json[h.len] = '\0';
            continue;
        }
        if ((h.kind != 'f' && h.kind != 'i') || h.rows != j->rows || !h.cols ||
            h.len != h.rows * h.cols * 8)
            return ferr_set(err, FERR_INTERNAL_ERROR, "the model worker sent a malformed answer");
        j->out.rows = (size_t)h.rows;
        j->out.cols = (size_t)h.cols;
        j->out.labels = h.kind == 'i';
        j->out.values = xmalloc((size_t)(h.rows * h.cols) * sizeof(double));
        for (size_t k = 0; k < h.rows * h.cols; k++) {
            if (h.kind == 'f') {
                memcpy(&j->out.values[k], data + 8 * k, 8);
            } else {
                int64_t v;
                memcpy(&v, data + 8 * k, 8);
                j->out.values[k] = (double)v;
            }
        }
    }
    return 0;
}

/* Scores a batch on a running worker; on a transport failure the worker
 * is killed and the error says how it ended. */
static int run_batch(struct pypool *p, struct slot *s, struct pyjob **batch, size_t n,
                     struct ferr *err)
{
    uint32_t head[2] = {(uint32_t)n, (uint32_t)batch[0]->cols}, type = 0;
    uint64_t rows[MAX_BATCH_JOBS];
    struct iovec iov[2 + MAX_BATCH_JOBS];
    struct sbuf reply = SBUF_INIT;
    iov[0] = (struct iovec){head, sizeof(head)};
    iov[1] = (struct iovec){rows, n * sizeof(rows[0])};
    for (size_t i = 0; i < n; i++) {
        rows[i] = batch[i]->rows;
        iov[2 + i] = (struct iovec){(void *)batch[i]->values,
                                    batch[i]->rows * batch[i]->cols * sizeof(double)};
    }
    int64_t deadline = ftime_mono_ns() + p->timeout_ms * 1000000;
    int rc = pyproc_send(&s->proc, PYFRAME_PREDICT, iov, (int)(2 + n), deadline, err) ||
             pyproc_recv(&s->proc, &type, &reply, deadline, err);
    if (!rc && type != PYFRAME_RESULT)
        rc = ferr_set(err, FERR_INTERNAL_ERROR, "the model worker refused the request: %.*s",
                      (int)(reply.len > 500 ? 500 : reply.len), reply.buf);
    if (!rc)
        rc = read_results(&reply, batch, n, err);
    sbuf_release(&reply);
    if (rc) {
        struct sbuf why = SBUF_INIT;
        char cause[sizeof(err->msg)];
        snprintf(cause, sizeof(cause), "%s", err->msg);
        int timed_out = ftime_mono_ns() >= deadline; /* not the worker's death: our limit */
        pyproc_stop(&s->proc, 1, &why);
        atomic_fetch_add(&p->restarts, 1);
        if (timed_out)
            ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE,
                     "the model took longer than %lld ms; its worker was stopped and is being "
                     "restarted",
                     (long long)p->timeout_ms);
        else
            ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE,
                     "the model worker %s while scoring (%s); it is being restarted",
                     why.len ? why.buf : "failed", cause);
        log_warn("%s", err->msg);
        sbuf_release(&why);
        return -1;
    }
    return 0;
}

/* Starts the slot's worker unless it runs or was tried too recently. */
static void ensure_running(struct pypool *p, struct slot *s)
{
    if (s->proc.pid > 0 || ftime_mono_ns() < s->next_start_ns)
        return;
    int64_t deadline = load_deadline();
    ferr_clear(&s->start_err);
    if (begin_start(p, &s->proc, deadline, &s->start_err) ||
        end_start(&s->proc, deadline, NULL, &s->start_err)) {
        s->next_start_ns = ftime_mono_ns() + (int64_t)RESTART_BACKOFF_MS * 1000000;
        log_error("cannot restart a model worker: %s", s->start_err.msg);
    }
}

/* A slot's first start, reported to pypool_start. It happens on the
 * dispatcher thread because the worker's parent-death signal follows the
 * thread that forked it, and this thread lives as long as the pool. */
static void first_start(struct pypool *p, struct slot *s)
{
    int64_t deadline = load_deadline();
    json_t *info = NULL;
    int rc = begin_start(p, &s->proc, deadline, &s->start_err) ||
             end_start(&s->proc, deadline, s == p->slots ? &info : NULL, &s->start_err);
    pthread_mutex_lock(&p->mu);
    if (info)
        p->info = info;
    s->start_failed = rc;
    p->reported++;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->mu);
    if (rc)
        s->next_start_ns = ftime_mono_ns() + (int64_t)RESTART_BACKOFF_MS * 1000000;
}

static void *dispatch(void *arg)
{
    struct slot *s = arg;
    struct pypool *p = s->pool;
    struct pyjob *batch[MAX_BATCH_JOBS];
    first_start(p, s);
    for (;;) {
        ensure_running(p, s);
        pthread_mutex_lock(&p->mu);
        while (!p->head && !p->stopping) {
            if (s->proc.pid > 0) {
                pthread_cond_wait(&p->work, &p->mu);
            } else { /* wake to retry the start */
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_sec += 1;
                pthread_cond_timedwait(&p->work, &p->mu, &ts);
                break;
            }
        }
        if (!p->head) {
            int stop = p->stopping;
            pthread_mutex_unlock(&p->mu);
            if (stop)
                break;
            continue;
        }
        size_t n = take_batch(p, batch);
        pthread_mutex_unlock(&p->mu);
        struct ferr err = FERR_INIT;
        if (s->proc.pid > 0 && !pyproc_alive(&s->proc)) {
            /* it died while idle: nobody's request was on it, so start
             * another before sending this batch rather than failing it */
            struct sbuf why = SBUF_INIT;
            pyproc_stop(&s->proc, 1, &why);
            atomic_fetch_add(&p->restarts, 1);
            log_warn("a model worker %s while idle; restarting it", why.buf);
            sbuf_release(&why);
            s->next_start_ns = 0;
            ensure_running(p, s);
        }
        if (s->proc.pid <= 0) {
            ferr_set(&err, FERR_TEMPORARILY_UNAVAILABLE, "no model worker is running: %s",
                     s->start_err.msg);
            fail_all(batch, n, &err);
        } else if (run_batch(p, s, batch, n, &err)) {
            fail_all(batch, n, &err);
        }
        finish(p, batch, n);
    }
    pyproc_stop(&s->proc, 0, NULL);
    return NULL;
}

int pypool_start(const struct pypool_opts *o, struct pypool **out, struct ferr *err)
{
    struct pypool *p = xcalloc(1, sizeof(*p));
    *out = NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->ready, NULL);
    p->python = xstrdup(o->python);
    p->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
    sbuf_add(&p->load, o->load, o->load_len);
    p->nslots = o->workers;
    if (p->nslots <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        p->nslots = cpus > 0 ? (int)(cpus > 64 ? 64 : cpus) : 1;
    }
    p->slots = xcalloc((size_t)p->nslots, sizeof(*p->slots));
    for (int i = 0; i < p->nslots; i++) {
        p->slots[i].pool = p;
        p->slots[i].proc = (struct pyproc)PYPROC_INIT;
    }
    /* Each dispatcher starts its own worker: the interpreters load in
     * parallel, and the start succeeds only if every one loads. */
    for (int i = 0; i < p->nslots; i++) {
        if (pthread_create(&p->slots[i].thread, NULL, dispatch, &p->slots[i]) != 0) {
            ferr_set(err, FERR_INTERNAL_ERROR, "cannot start a dispatcher thread");
            break;
        }
        p->threads++;
    }
    pthread_mutex_lock(&p->mu);
    while (p->reported < p->threads)
        pthread_cond_wait(&p->ready, &p->mu);
    pthread_mutex_unlock(&p->mu);
    int failed = p->threads < p->nslots;
    for (int i = 0; i < p->threads && !failed; i++) {
        if (p->slots[i].start_failed) {
            *err = p->slots[i].start_err;
            failed = 1;
        }
    }
    if (failed) {
        pypool_stop(p);
        return -1;
    }
    *out = p;
    return 0;
}

int pypool_predict(struct pypool *p, const double *values, size_t rows, size_t cols,
                   struct model_output *out, struct ferr *err)
{
    struct pyjob j;
    memset(&j, 0, sizeof(j));
    memset(out, 0, sizeof(*out));
    j.values = values;
    j.rows = rows;
    j.cols = cols;
    pthread_cond_init(&j.cv, NULL);
    pthread_mutex_lock(&p->mu);
    struct pyjob **link = &p->head;
    while (*link)
        link = &(*link)->next;
    *link = &j;
    pthread_cond_signal(&p->work);
    while (!j.done)
        pthread_cond_wait(&j.cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    pthread_cond_destroy(&j.cv);
    if (j.failed) {
        *err = j.err;
        model_output_release(&j.out);
        return -1;
    }
    *out = j.out;
    return 0;
}

void pypool_describe(struct pypool *p, json_t *into)
{
    const char *k;
    json_t *v;
    if (p->info)
        json_object_foreach(p->info, k, v) json_object_set(into, k, v);
    json_object_set_new(into, "workers", json_integer(p->nslots));
    json_object_set_new(into, "worker_restarts", json_integer((json_int_t)p->restarts));
}

void pypool_stop(struct pypool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->threads; i++)
        pthread_join(p->slots[i].thread, NULL);
    for (int i = 0; i < p->nslots; i++)
        pyproc_stop(&p->slots[i].proc, 0, NULL);
    json_decref(p->info);
    sbuf_release(&p->load);
    free(p->slots);
    free(p->python);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->ready);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
