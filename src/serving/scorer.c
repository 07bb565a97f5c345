/* SPDX-License-Identifier: MIT */
#include "serving/scorer.h"
#include "serving/input.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "models/model.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/banned.h"

struct scorer {
    struct model *model;
    size_t features;      /* the width the model takes; 0: not known */
    int gated;            /* in-process: passes the CPU gate */
    const char **columns; /* a named signature's input names; NULL: none */
    size_t ncolumns;
};

/* In-process scoring is CPU-bound: letting all 64 connection threads into
 * it at once only makes the scheduler's bursts the tail latency. At most
 * one scorer per CPU (bench/RESULTS.md: p99 13 -> 8 ms); one gate for the
 * process, since every model scores on the same CPUs. */
static sem_t cpu_gate;
static int cpu_gate_on;
static pthread_once_t cpu_gate_once = PTHREAD_ONCE_INIT;

static void cpu_gate_init(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_gate_on = sem_init(&cpu_gate, 0, cpus > 0 ? (unsigned)cpus : 1) == 0;
}

struct scorer *scorer_new(struct model *m)
{
    struct scorer *s = xcalloc(1, sizeof(*s));
    s->model = m;
    json_t *d = model_describe(m);
    json_int_t f = json_integer_value(json_object_get(d, "features"));
    json_decref(d);
    s->features = f > 0 ? (size_t)f : 0;
    const struct model_signature *sig = &model_mlmodel(m)->signature;
    if (sig->ninputs && !sig->tensor_based && sig->inputs[0].name) {
        s->columns = xcalloc(sig->ninputs, sizeof(*s->columns));
        for (size_t i = 0; i < sig->ninputs; i++)
            s->columns[i] = sig->inputs[i].name ? sig->inputs[i].name : "";
        s->ncolumns = sig->ninputs;
    }
    if (model_in_process(m)) {
        pthread_once(&cpu_gate_once, cpu_gate_init);
        s->gated = cpu_gate_on;
    }
    return s;
}

int scorer_load(const char *dir, const struct model_opts *opts, struct scorer **out,
                struct ferr *err)
{
    struct model *m;
    *out = NULL;
    if (model_load_dir(dir, opts, &m, err))
        return -1;
    *out = scorer_new(m);
    return 0;
}

void scorer_free(struct scorer *s)
{
    if (!s)
        return;
    model_free(s->model);
    free(s->columns);
    free(s);
}

struct model *scorer_model(const struct scorer *s)
{
    return s->model;
}

/* OIP v2's answer: one output tensor. */
static void add_oip(struct sbuf *sb, const struct score_request *rq, const struct model_output *o)
{
    sbuf_addstr(sb, "{\"model_name\":");
    fjson_add_string(sb, rq->name ? rq->name : "model");
    if (rq->version) {
        sbuf_addstr(sb, ",\"model_version\":");
        fjson_add_string(sb, rq->version);
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

static void add_answer(struct sbuf *sb, const struct score_request *rq,
                       const struct model_output *o)
{
    sbuf_grow(sb, o->rows * o->cols * 24 + 64);
    if (rq->proto == SCORE_OIP_V2) {
        add_oip(sb, rq, o);
        return;
    }
    int first = 1;
    sbuf_addstr(sb, rq->proto == SCORE_EXPLAIN ? "{\"contributions\":[" : "{\"predictions\":[");
    model_output_add_rows(o, sb, &first);
    sbuf_addstr(sb, "]}");
}

/* The body as a matrix, by protocol and Content-Type: CSV for MLflow's
 * routes when asked, JSON otherwise. */
static int parse(const struct scorer *s, const struct score_request *rq, struct matrix *m,
                 struct ferr *err)
{
    const struct model_signature *sig = &model_mlmodel(s->model)->signature;
    const char *ctype = rq->content_type;
    int csv = rq->proto != SCORE_OIP_V2 && ctype && !strncasecmp(ctype, "text/csv", 8);
    if (ctype && !csv && strncasecmp(ctype, "application/json", 16))
        return ferr_set(err, FERR_BAD_REQUEST,
                        "unsupported Content-Type '%.100s': use application/json or text/csv",
                        ctype);
    if (rq->proto == SCORE_OIP_V2)
        return input_from_oip(rq->body, rq->len, sig, m, err);
    return csv ? input_from_csv(rq->body, rq->len, sig, m, err)
               : input_from_json(rq->body, rq->len, sig, m, err);
}

/* Whose fault a failed model run was (scorer.h): the checks model.c and
 * the flavors make on the request before running anything are the
 * client's; the rest is the model's. */
static enum score_outcome run_failure(const struct scorer *s, const struct score_request *rq,
                                      const struct matrix *m, const struct ferr *err)
{
    if (!m->rows || !m->cols || (s->features && m->cols != s->features))
        return SCORE_CLIENT_ERROR;
    if (rq->proto == SCORE_EXPLAIN && err->code == FERR_NOT_IMPLEMENTED)
        return SCORE_CLIENT_ERROR;
    return SCORE_MODEL_ERROR;
}

void score_capture_release(struct score_capture *c)
{
    if (!c)
        return;
    free(c->values);
    model_output_release(&c->out);
    memset(c, 0, sizeof(*c));
}

const char *const *scorer_columns(const struct scorer *s, size_t *n)
{
    *n = s->ncolumns;
    return s->columns;
}

enum score_outcome scorer_score_capture(struct scorer *s, const struct score_request *rq,
                                        struct sbuf *out, size_t *rows, struct score_capture *cap,
                                        struct ferr *err)
{
    struct ferr local = FERR_INIT;
    struct matrix m;
    struct model_output o;
    enum score_outcome why = SCORE_OK;
    if (!err)
        err = &local;
    if (cap)
        memset(cap, 0, sizeof(*cap));
    if (parse(s, rq, &m, err))
        return SCORE_CLIENT_ERROR;
    struct model_input in = {m.rows, m.cols, m.values};
    if (s->gated)
        while (sem_wait(&cpu_gate) < 0 && errno == EINTR)
            ;
    int rc = rq->proto == SCORE_EXPLAIN ? model_explain(s->model, &in, &o, err)
                                        : model_predict(s->model, &in, &o, err);
    if (s->gated)
        sem_post(&cpu_gate);
    if (rc) {
        why = run_failure(s, rq, &m, err);
    } else {
        add_answer(out, rq, &o);
        if (rows)
            *rows = o.rows;
    }
    if (cap) { /* handed over: the matrix and the answer are the capture's now */
        cap->rows = m.rows;
        cap->cols = m.cols;
        cap->values = m.values;
        if (!rc)
            cap->out = o;
    } else {
        matrix_release(&m);
        if (!rc)
            model_output_release(&o);
    }
    return why;
}

enum score_outcome scorer_score(struct scorer *s, const struct score_request *rq, struct sbuf *out,
                                size_t *rows, struct ferr *err)
{
    return scorer_score_capture(s, rq, out, rows, NULL, err);
}
