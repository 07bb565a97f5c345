/* SPDX-License-Identifier: MIT */
#include "gateway/shadow.h"
#include "base/ftime.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "http/status.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

struct shadow_item {
    struct gw_endpoint *e;
    size_t shadow;
    enum score_protocol proto;
    char *content_type;
    char *body;
    size_t len;
    char *primary;
    size_t primary_len;
    int logged; /* log the shadow's answer under the primary's ids */
    char rid[REQUEST_ID_LEN + 1];
    char *caller_id, *tags;
    struct shadow_item *next;
};

struct shadow_queue {
    pthread_mutex_t mu;
    pthread_cond_t ready;
    struct shadow_item *head, *tail;
    size_t n, capacity;
    int stopping;
    pthread_t *threads;
    int nthreads;
    atomic_ullong dropped;
    struct pred_logger *plog;
};

static void item_free(struct shadow_item *it)
{
    gw_endpoint_unref(it->e);
    free(it->content_type);
    free(it->body);
    free(it->primary);
    free(it->caller_id);
    free(it->tags);
    free(it);
}

static int numbers_agree(double a, double b)
{
    return a == b || fabs(a - b) <= 1e-6 * fmax(fabs(a), fabs(b));
}

static int values_agree(json_t *a, json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return numbers_agree(json_number_value(a), json_number_value(b));
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!values_agree(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *v;
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach(a, k, v)
        {
            /* OIP v2 answers name their model: not part of the answer */
            if (!strcmp(k, "model_name") || !strcmp(k, "model_version"))
                continue;
            if (!values_agree(v, json_object_get(b, k)))
                return 0;
        }
        return 1;
    }
    return json_equal(a, b);
}

int shadow_answers_agree(const char *a, size_t alen, const char *b, size_t blen)
{
    json_t *ja = json_loadb(a, alen, 0, NULL), *jb = json_loadb(b, blen, 0, NULL);
    int agree = ja && jb && values_agree(ja, jb);
    json_decref(ja);
    json_decref(jb);
    return agree;
}

static void score_copy(struct shadow_queue *q, struct shadow_item *it)
{
    struct gw_target *t = &it->e->shadows[it->shadow];
    struct sbuf out = SBUF_INIT;
    struct ferr err = FERR_INIT;
    struct score_request rq = {it->proto, it->content_type, it->body, it->len, NULL, NULL};
    struct score_capture cap;
    int logged = it->logged && q->plog && t->plog;
    int64_t t0 = ftime_mono_ns();
    enum score_outcome o = scorer_score_capture(gw_model_scorer(t->model), &rq, &out, NULL,
                                                logged ? &cap : NULL, &err);
    uint64_t us = (uint64_t)((ftime_mono_ns() - t0) / 1000);
    if (logged) {
        struct plog_request lr = {it->rid,
                                  it->caller_id,
                                  it->tags,
                                  us > UINT32_MAX ? UINT32_MAX : (uint32_t)us,
                                  o == SCORE_OK ? 200 : http_status_for(err.code),
                                  it->len};
        (void)pred_logger_submit(q->plog, t->plog, &lr, &cap);
    }
    gw_target_stats_add(t->stats, ftime_now_ms(),
                        o == SCORE_OK             ? GW_OK
                        : o == SCORE_CLIENT_ERROR ? GW_CLIENT_ERROR
                                                  : GW_TARGET_ERROR,
                        us);
    if (o == SCORE_OK) {
        if (shadow_answers_agree(out.buf, out.len, it->primary, it->primary_len))
            atomic_fetch_add(&t->stats->agreed, 1);
        else
            atomic_fetch_add(&t->stats->disagreed, 1);
    }
    sbuf_release(&out);
}

static void *run(void *arg)
{
    struct shadow_queue *q = arg;
    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (!q->head && !q->stopping)
            pthread_cond_wait(&q->ready, &q->mu);
        if (q->stopping) {
            pthread_mutex_unlock(&q->mu);
            return NULL;
        }
        struct shadow_item *it = q->head;
        q->head = it->next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
        pthread_mutex_unlock(&q->mu);
        score_copy(q, it);
        item_free(it);
    }
}

struct shadow_queue *shadow_queue_new(int threads, size_t capacity, struct pred_logger *plog)
{
    struct shadow_queue *q = xcalloc(1, sizeof(*q));
    q->plog = plog;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->ready, NULL);
    q->capacity = capacity;
    atomic_init(&q->dropped, 0);
    q->threads = xcalloc((size_t)threads, sizeof(*q->threads));
    for (int i = 0; i < threads; i++)
        if (pthread_create(&q->threads[q->nthreads], NULL, run, q) == 0)
            q->nthreads++;
        else
            log_warn("cannot start a shadow scoring thread");
    return q;
}

void shadow_queue_free(struct shadow_queue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->stopping = 1;
    pthread_cond_broadcast(&q->ready);
    pthread_mutex_unlock(&q->mu);
    for (int i = 0; i < q->nthreads; i++)
        pthread_join(q->threads[i], NULL);
    while (q->head) {
        struct shadow_item *it = q->head;
        q->head = it->next;
        item_free(it);
    }
    pthread_cond_destroy(&q->ready);
    pthread_mutex_destroy(&q->mu);
    free(q->threads);
    free(q);
}

int shadow_queue_push(struct shadow_queue *q, struct gw_endpoint *e, size_t shadow,
                      const struct score_request *rq, const char *primary, size_t primary_len,
                      const struct plog_request *log)
{
    /* a cheap look first: a full queue drops without copying the request */
    pthread_mutex_lock(&q->mu);
    int full = q->n >= q->capacity || q->stopping || !q->nthreads;
    pthread_mutex_unlock(&q->mu);
    if (full) {
        atomic_fetch_add(&q->dropped, 1);
        return -1;
    }
    struct shadow_item *it = xcalloc(1, sizeof(*it));
    gw_endpoint_ref(e);
    it->e = e;
    it->shadow = shadow;
    it->proto = rq->proto;
    it->content_type = xstrdup_or_null(rq->content_type);
    it->body = xstrndup(rq->body, rq->len);
    it->len = rq->len;
    it->primary = xstrndup(primary, primary_len);
    it->primary_len = primary_len;
    if (log) {
        it->logged = 1;
        snprintf(it->rid, sizeof(it->rid), "%s", log->rid);
        it->caller_id = xstrdup_or_null(log->caller_id);
        it->tags = xstrdup_or_null(log->tags);
    }
    pthread_mutex_lock(&q->mu);
    if (q->n >= q->capacity || q->stopping) { /* filled meanwhile: the bound holds */
        pthread_mutex_unlock(&q->mu);
        item_free(it);
        atomic_fetch_add(&q->dropped, 1);
        return -1;
    }
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->n++;
    pthread_cond_signal(&q->ready);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

unsigned long long shadow_queue_dropped(const struct shadow_queue *q)
{
    return atomic_load(&((struct shadow_queue *)q)->dropped);
}
