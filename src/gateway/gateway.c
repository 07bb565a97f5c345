/* SPDX-License-Identifier: MIT */
#include "gateway/gateway.h"
#include "auth/guard.h"
#include "base/ftime.h"
#include "base/ids.h"
#include "base/json.h"
#include "base/log.h"
#include "base/rng.h"
#include "base/sbuf.h"
#include "base/version.h"
#include "base/xalloc.h"
#include "client/client_deployments.h"
#include "client/client_prediction_log.h"
#include "client/client_predictions.h"
#include "gateway/controller.h"
#include "gateway/endpoint.h"
#include "gateway/model_cache.h"
#include "gateway/pred_logger.h"
#include "gateway/shadow.h"
#include "gateway/target_stats.h"
#include "http/request.h"
#include "http/server.h"
#include "http/status.h"
#include "models/model.h"
#include "serving/scorer.h"
#include "store/auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

#define MAX_BODY        (64u * 1024 * 1024)
#define SHADOW_CAPACITY 1024
#define MODEL_GRACE_MS  60000

struct live {
    char *name;
    struct gw_endpoint *e;
};

struct gateway {
    const struct gateway_opts *o;
    char id[300];
    struct model_cache *models;
    struct gw_stats_table *stats;
    struct shadow_queue *shadows;
    struct controller *ctl;
    struct pred_logger *plog; /* NULL: no prediction log */
    pthread_mutex_t mu;       /* live */
    struct live *live;
    size_t nlive, alloc;
    atomic_int stopping;
    pthread_t watcher, reporter;
    int watcher_on, reporter_on;
    pthread_mutex_t wake_mu;
    pthread_cond_t wake;
    atomic_ullong not_found, unavailable, report_failures;
    int64_t last_report_error_ms;
    int64_t last_poll_error_ms; /* the watcher's */
};

/* ---------- the live endpoints ---------- */

/* name's endpoint, with a reference; NULL when not served. */
static struct gw_endpoint *endpoint_get(struct gateway *g, const char *name)
{
    struct gw_endpoint *e = NULL;
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < g->nlive; i++)
        if (!strcmp(g->live[i].name, name)) {
            e = g->live[i].e;
            gw_endpoint_ref(e);
            break;
        }
    pthread_mutex_unlock(&g->mu);
    return e;
}

/* Installs e as name's endpoint (taking e's reference), unless the one
 * served is newer (a controller's install racing a poll). */
static void endpoint_put(struct gateway *g, struct gw_endpoint *e)
{
    struct gw_endpoint *old = NULL;
    pthread_mutex_lock(&g->mu);
    size_t i;
    for (i = 0; i < g->nlive; i++)
        if (!strcmp(g->live[i].name, e->d.name))
            break;
    if (i == g->nlive) {
        if (g->nlive == g->alloc) {
            g->alloc = g->alloc ? 2 * g->alloc : 8;
            g->live = xrealloc(g->live, g->alloc * sizeof(*g->live));
        }
        g->live[g->nlive].name = xstrdup(e->d.name);
        g->live[g->nlive++].e = e;
    } else if (g->live[i].e->d.created_ms == e->d.created_ms &&
               g->live[i].e->d.change > e->d.change) {
        old = e; /* stale (a deployment deleted and made again starts over: not stale) */
    } else {
        old = g->live[i].e;
        g->live[i].e = e;
    }
    pthread_mutex_unlock(&g->mu);
    if (old && old != e)
        log_info("deployment '%s': change %lld served (revision %lld, weights now in effect)",
                 e->d.name, (long long)e->d.change, (long long)e->d.revision);
    gw_endpoint_unref(old);
}

static void endpoint_drop(struct gateway *g, size_t i)
{
    struct gw_endpoint *e = g->live[i].e;
    free(g->live[i].name);
    g->live[i] = g->live[--g->nlive];
    gw_endpoint_unref(e);
}

static int wanted(const struct gateway *g, const char *name)
{
    if (!g->o->only)
        return 1;
    for (size_t i = 0; i < g->o->nonly; i++)
        if (!strcmp(g->o->only[i], name))
            return 1;
    return 0;
}

static void install(void *arg, const struct deployment *d)
{
    struct gateway *g = arg;
    if (wanted(g, d->name))
        endpoint_put(g, gw_endpoint_build(d, g->models, g->stats));
}

/* One poll: every deployment changed since the last one is rebuilt
 * (its versions loaded) and swapped in; gone ones stop being served. */
static void poll_deployments(struct gateway *g)
{
    struct deployment_list l;
    struct ferr err = FERR_INIT;
    if (client_deployment_list(g->o->client, &l, &err)) {
        /* the store or server is away: keep serving what is loaded, say so
         * once every 10 s rather than 4 times a second */
        if (ftime_now_ms() - g->last_poll_error_ms > 10000) {
            log_warn("cannot read the deployments (serving the last ones read): %s", err.msg);
            g->last_poll_error_ms = ftime_now_ms();
        }
        return;
    }
    for (size_t i = 0; i < l.n; i++) {
        const struct deployment *d = &l.v[i];
        if (!wanted(g, d->name))
            continue;
        struct gw_endpoint *cur = endpoint_get(g, d->name);
        int fresh = cur && cur->d.created_ms == d->created_ms && cur->d.change == d->change;
        gw_endpoint_unref(cur);
        if (!fresh)
            endpoint_put(g, gw_endpoint_build(d, g->models, g->stats));
    }
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < g->nlive;) {
        size_t j;
        for (j = 0; j < l.n; j++)
            if (!strcmp(l.v[j].name, g->live[i].name))
                break;
        if (j == l.n) {
            log_info("deployment '%s' is gone: no longer served", g->live[i].name);
            endpoint_drop(g, i);
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&g->mu);
    deployment_list_release(&l);
}

/* Sleeps ms unless the gateway stops meanwhile; 1 when stopping. */
static int nap(struct gateway *g, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g->wake_mu);
    while (!atomic_load(&g->stopping))
        if (pthread_cond_timedwait(&g->wake, &g->wake_mu, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&g->wake_mu);
    return atomic_load(&g->stopping);
}

static void *watch(void *arg)
{
    struct gateway *g = arg;
    int poll = g->o->poll_ms > 0 ? g->o->poll_ms : 250;
    int64_t last_sweep = ftime_now_ms();
    while (!nap(g, poll)) {
        poll_deployments(g);
        if (ftime_now_ms() - last_sweep > 10000) {
            model_cache_sweep(g->models, MODEL_GRACE_MS);
            last_sweep = ftime_now_ms();
        }
    }
    return NULL;
}

/* ---------- reporting figures, and the controller ---------- */

struct report {
    struct deploy_stats *rows;
    size_t n, alloc;
    const char *gateway;
};

static void collect(void *arg, struct gw_target_stats *t)
{
    struct report *r = arg;
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < GW_STATS_SECONDS; i++) {
        struct gw_second *s = &t->sec[i];
        if (!s->dirty)
            continue;
        if (r->n == r->alloc) {
            r->alloc = r->alloc ? 2 * r->alloc : 32;
            r->rows = xrealloc(r->rows, r->alloc * sizeof(*r->rows));
        }
        struct deploy_stats *row = &r->rows[r->n++];
        struct sbuf h = SBUF_INIT;
        latency_hist_encode(&s->hist, &h);
        row->deployment = xstrdup(t->deployment);
        row->revision = t->revision;
        row->gateway = xstrdup(r->gateway);
        row->target = xstrdup(t->target);
        row->second_ms = s->second_ms;
        row->requests = s->requests;
        row->errors = s->errors;
        row->client_errors = s->client_errors;
        row->hist = sbuf_detach(&h, NULL);
        s->dirty = 0;
    }
    pthread_mutex_unlock(&t->mu);
}

static void report(struct gateway *g)
{
    struct report r = {NULL, 0, 0, g->id};
    struct ferr err = FERR_INIT;
    gw_stats_table_each(g->stats, collect, &r);
    if (r.n && client_deploy_stats_report(g->o->client, r.rows, r.n, &err)) {
        /* the figures of those seconds are lost to the controller: it waits
         * for its minimum sample instead of judging on too little */
        atomic_fetch_add(&g->report_failures, 1);
        if (ftime_now_ms() - g->last_report_error_ms > 10000) {
            log_warn("cannot report traffic figures: %s", err.msg);
            g->last_report_error_ms = ftime_now_ms();
        }
    }
    struct deploy_stats_list l = {r.rows, r.n, r.alloc};
    deploy_stats_list_release(&l);
}

/* The controller's round: each served deployment in a rollout. */
static void control(struct gateway *g)
{
    struct gw_endpoint *es[64];
    size_t n = 0;
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < g->nlive && n < sizeof(es) / sizeof(*es); i++) {
        es[n] = g->live[i].e;
        gw_endpoint_ref(es[n++]);
    }
    pthread_mutex_unlock(&g->mu);
    int64_t now = ftime_now_ms();
    const char *progressing[64];
    size_t np = 0;
    for (size_t i = 0; i < n; i++)
        if (es[i]->d.name && es[i]->d.status.phase == DEPLOY_PROGRESSING) {
            controller_tick(g->ctl, &es[i]->d, now);
            progressing[np++] = es[i]->d.name;
        }
    /* deployments no longer progressing (or gone): their leases go */
    controller_keep_only(g->ctl, progressing, np);
    for (size_t i = 0; i < n; i++)
        gw_endpoint_unref(es[i]);
}

static void *reporter(void *arg)
{
    struct gateway *g = arg;
    int64_t last_control = 0, last_prune = ftime_now_ms();
    while (!nap(g, 250)) {
        report(g);
        int64_t now = ftime_now_ms();
        /* right after each report: a breach in the figures is judged within
         * 250 ms of being reported, not up to a second later */
        if (g->ctl && now - last_control >= 200) {
            control(g);
            last_control = now;
        }
        if (now - last_prune > 60000) {
            gw_stats_table_prune(g->stats, now - 120000);
            last_prune = now;
        }
    }
    report(g); /* what the last seconds saw */
    return NULL;
}

/* ---------- requests ---------- */

/* The caller's X-Request-Id when it is a sane token (printable ASCII, at
 * most 128 bytes); NULL otherwise. */
static const char *caller_id(struct http_request *rq)
{
    const char *given = http_header(rq, "X-Request-Id");
    size_t n = given ? strlen(given) : 0;
    int ok = n > 0 && n <= 128;
    for (size_t i = 0; ok && i < n; i++)
        ok = given[i] > 32 && given[i] < 127;
    return ok ? given : NULL;
}

static const char *routing_key(const struct gw_endpoint *e, struct http_request *rq,
                               const char *body, size_t len, char *buf, size_t size)
{
    const char *k = e->d.spec.routing_key;
    if (!k)
        return NULL;
    if (!strncmp(k, "header:", 7))
        return http_header(rq, k + 7);
    return deployment_json_routing_key(body, len, k + 5, buf, size) == 0 ? buf : NULL;
}

static enum gw_outcome outcome_of(enum score_outcome o)
{
    return o == SCORE_OK ? GW_OK : o == SCORE_CLIENT_ERROR ? GW_CLIENT_ERROR : GW_TARGET_ERROR;
}

/* Every answer carries ferry's own new request id (the log's key) as
 * X-Ferry-Request-Id; a caller's sane X-Request-Id is echoed back as
 * X-Request-Id and kept in the log as the caller's id. */
static int score(struct http_request *rq, enum score_protocol proto, struct ferr *err)
{
    struct gateway *g = http_ctx(rq);
    const char *name = http_param(rq, "name");
    char rid[REQUEST_ID_LEN + 1], keybuf[256];
    const char *caller = caller_id(rq);
    ids_new_request_id(rid);
    http_add_header(rq, "X-Ferry-Request-Id", rid);
    if (caller)
        http_add_header(rq, "X-Request-Id", caller);
    struct gw_endpoint *e = endpoint_get(g, name);
    if (!e) {
        atomic_fetch_add(&g->not_found, 1);
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                        "No deployment named '%.100s' is served here", name);
    }
    size_t len;
    const char *body = http_body(rq, &len);
    const char *key = routing_key(e, rq, body, len, keybuf, sizeof(keybuf));
    int pick = gw_endpoint_pick(e, key, key ? strlen(key) : 0);
    if (pick < 0) {
        atomic_fetch_add(&g->unavailable, 1);
        ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE,
                 "deployment '%.100s' has no target that loaded: %.300s", name,
                 e->ntargets && e->targets[0].error ? e->targets[0].error : "no weight");
        gw_endpoint_unref(e);
        return -1;
    }
    struct gw_target *t = &e->targets[pick];
    /* as `ferry models serve`: scoring a registered model needs USE on it */
    if (g->o->guard && guard_allows(g->o->guard, http_principal(rq), RES_REGISTERED_MODEL,
                                    e->d.spec.targets[pick].name, PERM_USE, err)) {
        gw_endpoint_unref(e);
        return -1;
    }
    http_add_header(rq, "X-Ferry-Model", t->key);
    struct score_request sr = {proto, http_header(rq, "Content-Type"), body, len, name, NULL};
    char version[32];
    snprintf(version, sizeof(version), "%lld", (long long)e->d.spec.targets[pick].version);
    sr.version = version;
    struct sbuf out = SBUF_INIT;
    /* the log's decision is made once a request: its shadows go with it */
    int logged = g->plog && t->plog && plog_target_sampled(t->plog);
    struct score_capture cap;
    int64_t t0 = ftime_mono_ns();
    enum score_outcome o =
        scorer_score_capture(gw_model_scorer(t->model), &sr, &out, NULL, logged ? &cap : NULL, err);
    uint64_t us = (uint64_t)((ftime_mono_ns() - t0) / 1000);
    gw_target_stats_add(t->stats, ftime_now_ms(), outcome_of(o), us);
    struct plog_request lr = {rid,
                              caller,
                              http_header(rq, "X-Ferry-Tags"),
                              us > UINT32_MAX ? UINT32_MAX : (uint32_t)us,
                              o == SCORE_OK ? 200 : http_status_for(err->code),
                              len};
    /* queued for the log's writer, never waited for (a lock and a list
     * append); before the shadows' copies, so that the answer's rows are
     * always written before its shadows' */
    if (logged)
        (void)pred_logger_submit(g->plog, t->plog, &lr, &cap);
    int rc;
    if (o != SCORE_OK) {
        rc = -1;
    } else {
        for (size_t i = 0; i < e->nshadows; i++)
            if (e->shadows[i].model &&
                (e->d.spec.shadow_sample >= 1 || rng_unit(rng_thread()) < e->d.spec.shadow_sample))
                (void)shadow_queue_push(g->shadows, e, i, &sr, out.buf, out.len,
                                        logged ? &lr : NULL);
        rc = http_respond(rq, 200, "application/json", &out);
    }
    sbuf_release(&out);
    gw_endpoint_unref(e);
    return rc;
}

static int h_invocations(struct http_request *rq, struct ferr *err)
{
    return score(rq, SCORE_MLFLOW, err);
}

static int h_infer(struct http_request *rq, struct ferr *err)
{
    return score(rq, SCORE_OIP_V2, err);
}

/* ---------- feedback ---------- */

#define FEEDBACK_MAX_LABELS 10000

/* The labels of a feedback body, their canonical texts in texts (one
 * NUL-terminated text after another; labels point into it once all are
 * read). */
static int feedback_labels(json_t *list, struct feedback_label *labels, struct sbuf *texts,
                           size_t *offs, struct ferr *err)
{
    size_t i;
    json_t *l;
    json_array_foreach(list, i, l)
    {
        const char *id = json_string_value(json_object_get(l, "request_id"));
        json_t *ts = json_object_get(l, "timestamp");
        offs[i] = texts->len;
        if (!json_is_object(l) || !id || !*id || (ts && !json_is_null(ts) && !json_is_integer(ts)))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid value for parameter 'labels' of %zu: needs a request_id, a "
                            "label and an optional integer timestamp",
                            i);
        if (pred_label_text(texts, json_object_get(l, "label")))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid value for parameter 'labels' of %zu: a label is a number, a "
                            "string or a boolean",
                            i);
        sbuf_addch(texts, '\0');
        labels[i].id = id;
        labels[i].time_ms = json_integer_value(ts);
    }
    for (i = 0; i < json_array_size(list); i++)
        labels[i].label = texts->buf + offs[i];
    return 0;
}

/* POST /endpoints/<name>/feedback: the body of POST
 * /api/2.0/ferry/feedback/log, for this deployment; the answer the same. */
static int h_feedback(struct http_request *rq, struct ferr *err)
{
    struct gateway *g = http_ctx(rq);
    const char *name = http_param(rq, "name");
    struct gw_endpoint *e = endpoint_get(g, name);
    if (!e)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                        "No deployment named '%.100s' is served here", name);
    gw_endpoint_unref(e);
    /* labeling is an admin's, as POST /api/2.0/ferry/feedback/log (EDIT):
     * a label moves the figures the rollout guard acts on, and the gateway
     * writes with its own credentials */
    const struct principal *who = http_principal(rq);
    if (g->o->guard && (!who || !who->is_admin))
        return ferr_set(err, FERR_PERMISSION_DENIED,
                        "Permission denied: labeling a deployment's predictions is an admin's");
    size_t len;
    const char *body = http_body(rq, &len);
    json_error_t je;
    json_t *doc = fjson_loadb_capped(body, len, fjson_cap(len, 24), &je), *list;
    const char *dep;
    if (!doc || !json_is_object(doc)) {
        json_decref(doc);
        return ferr_set(err, FERR_BAD_REQUEST, "the body must be a JSON object");
    }
    list = json_object_get(doc, "labels");
    dep = json_string_value(json_object_get(doc, "deployment"));
    if (dep && strcmp(dep, name)) {
        json_decref(doc);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the body names deployment '%.100s', the path '%.100s'", dep, name);
    }
    if (!json_is_array(list) || json_array_size(list) > FEEDBACK_MAX_LABELS) {
        json_decref(doc);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'labels': a list of at most %d",
                        FEEDBACK_MAX_LABELS);
    }
    size_t n = json_array_size(list);
    struct feedback_label *labels = xcalloc(n + 1, sizeof(*labels));
    size_t *offs = xcalloc(n + 1, sizeof(*offs));
    struct sbuf texts = SBUF_INIT;
    struct feedback_result res;
    memset(&res, 0, sizeof(res));
    int rc = feedback_labels(list, labels, &texts, offs, err);
    if (!rc && n)
        rc = client_feedback_log(g->o->client, name, labels, n, &res, err);
    if (!rc) {
        json_t *unknown = json_array();
        for (size_t i = 0; i < res.nunknown; i++)
            json_array_append_new(unknown, json_string(res.unknown[i]));
        json_t *ans = json_pack("{s:I, s:o}", "accepted", (json_int_t)res.accepted,
                                "unknown_request_ids", unknown);
        char *text = fjson_dumps(ans, JSON_COMPACT);
        json_decref(ans);
        struct sbuf sb = SBUF_INIT;
        sbuf_addstr(&sb, text);
        free(text);
        rc = http_respond(rq, 200, "application/json", &sb);
    }
    feedback_result_release(&res);
    sbuf_release(&texts);
    free(offs);
    free(labels);
    json_decref(doc);
    return rc;
}

static int h_ok(struct http_request *rq, struct ferr *err)
{
    (void)err;
    return http_respond_text(rq, 200, "OK");
}

static int h_version(struct http_request *rq, struct ferr *err)
{
    (void)err;
    return http_respond_text(rq, 200, FERRY_VERSION_STRING);
}

static json_t *target_json(const struct gw_target *t, int shadow)
{
    json_t *o = json_pack("{s:s, s:b, s:i, s:i}", "target", t->key, "loaded", t->model != NULL,
                          "weight", t->weight, "effective_weight", t->effective);
    if (shadow) {
        json_object_del(o, "weight");
        json_object_del(o, "effective_weight");
        json_object_set_new(o, "shadow", json_true());
    }
    if (t->error)
        json_object_set_new(o, "error", json_string(t->error));
    return o;
}

static int h_endpoints(struct http_request *rq, struct ferr *err)
{
    (void)err;
    struct gateway *g = http_ctx(rq);
    json_t *arr = json_array();
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < g->nlive; i++) {
        const struct gw_endpoint *e = g->live[i].e;
        json_t *targets = json_array();
        for (size_t j = 0; j < e->ntargets; j++)
            json_array_append_new(targets, target_json(&e->targets[j], 0));
        for (size_t j = 0; j < e->nshadows; j++)
            json_array_append_new(targets, target_json(&e->shadows[j], 1));
        json_array_append_new(
            arr, json_pack("{s:s, s:I, s:I, s:s, s:o}", "name", g->live[i].name, "revision",
                           (json_int_t)e->d.revision, "change", (json_int_t)e->d.change, "phase",
                           deploy_phase_name(e->d.status.phase), "targets", targets));
    }
    pthread_mutex_unlock(&g->mu);
    json_t *doc = json_pack("{s:o}", "endpoints", arr);
    char *text = fjson_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb, text);
    free(text);
    return http_respond(rq, 200, "application/json", &sb);
}

static int h_v2_metadata(struct http_request *rq, struct ferr *err)
{
    struct gateway *g = http_ctx(rq);
    const char *name = http_param(rq, "name");
    struct gw_endpoint *e = endpoint_get(g, name);
    if (!e)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                        "No deployment named '%.100s' is served here", name);
    json_t *versions = json_array();
    const char *platform = "";
    for (size_t i = 0; i < e->ntargets; i++) {
        json_array_append_new(versions, json_string(e->targets[i].key));
        if (e->targets[i].model && !*platform)
            platform = model_flavor(scorer_model(gw_model_scorer(e->targets[i].model)));
    }
    json_t *doc =
        json_pack("{s:s, s:o, s:s}", "name", name, "versions", versions, "platform", platform);
    gw_endpoint_unref(e);
    char *text = fjson_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb, text);
    free(text);
    return http_respond(rq, 200, "application/json", &sb);
}

/* Prometheus bounds (seconds) the latency histograms are shown at. */
static const double prom_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1,    2.5};

struct metrics_out {
    struct sbuf *sb;
};

static void metric_target(void *arg, struct gw_target_stats *t)
{
    struct metrics_out *m = arg;
    struct sbuf *sb = m->sb;
    const char *shadow = !strncmp(t->target, "shadow:", 7) ? "true" : "false";
    const char *target = *shadow == 't' ? t->target + 7 : t->target;
    char lbl[900];
    snprintf(lbl, sizeof(lbl), "deployment=\"%s\",revision=\"%lld\",target=\"%s\",shadow=\"%s\"",
             t->deployment, (long long)t->revision, target, shadow);
    pthread_mutex_lock(&t->mu);
    struct latency_hist h = t->total;
    int64_t req = t->requests, errs = t->errors, cli = t->client_errors;
    pthread_mutex_unlock(&t->mu);
    sbuf_addf(sb, "ferry_gateway_requests_total{%s} %lld\n", lbl, (long long)req);
    sbuf_addf(sb, "ferry_gateway_target_errors_total{%s} %lld\n", lbl, (long long)errs);
    sbuf_addf(sb, "ferry_gateway_client_errors_total{%s} %lld\n", lbl, (long long)cli);
    if (*shadow == 't') {
        sbuf_addf(sb, "ferry_gateway_shadow_agreed_total{%s} %lld\n", lbl,
                  (long long)atomic_load(&t->agreed));
        sbuf_addf(sb, "ferry_gateway_shadow_disagreed_total{%s} %lld\n", lbl,
                  (long long)atomic_load(&t->disagreed));
    }
    /* a bucket's count goes to the first bound at or above its upper edge */
    unsigned long long cum[sizeof(prom_le) / sizeof(*prom_le)] = {0}, all = 0;
    for (size_t b = 0; b < LATENCY_HIST_BUCKETS; b++) {
        uint64_t c = h.counts[b];
        if (!c)
            continue;
        all += c;
        double upper = b + 1 < LATENCY_HIST_BUCKETS ? (double)latency_hist_lower(b + 1) / 1e6 : 1e9;
        for (size_t k = 0; k < sizeof(prom_le) / sizeof(*prom_le); k++)
            if (upper <= prom_le[k] * 1.0000001)
                cum[k] += c;
    }
    for (size_t k = 0; k < sizeof(prom_le) / sizeof(*prom_le); k++)
        sbuf_addf(sb, "ferry_gateway_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n", lbl,
                  prom_le[k], cum[k]);
    sbuf_addf(sb, "ferry_gateway_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", lbl, all);
    sbuf_addf(sb, "ferry_gateway_request_duration_seconds_sum{%s} %.6f\n", lbl,
              (double)h.sum_us / 1e6);
    sbuf_addf(sb, "ferry_gateway_request_duration_seconds_count{%s} %llu\n", lbl, all);
}

static int h_metrics(struct http_request *rq, struct ferr *err)
{
    (void)err;
    struct gateway *g = http_ctx(rq);
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb,
                "# HELP ferry_gateway_requests_total Requests answered per deployment target.\n"
                "# TYPE ferry_gateway_requests_total counter\n"
                "# HELP ferry_gateway_target_errors_total Requests the target's model or "
                "runtime failed.\n"
                "# TYPE ferry_gateway_target_errors_total counter\n"
                "# HELP ferry_gateway_client_errors_total Requests refused before scoring.\n"
                "# TYPE ferry_gateway_client_errors_total counter\n"
                "# HELP ferry_gateway_request_duration_seconds Latency of answered requests.\n"
                "# TYPE ferry_gateway_request_duration_seconds histogram\n");
    struct metrics_out m = {&sb};
    gw_stats_table_each(g->stats, metric_target, &m);
    sbuf_addstr(&sb, "# HELP ferry_gateway_weight The live weight of each answering target.\n"
                     "# TYPE ferry_gateway_weight gauge\n");
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < g->nlive; i++) {
        const struct gw_endpoint *e = g->live[i].e;
        for (size_t j = 0; j < e->ntargets; j++)
            sbuf_addf(&sb, "ferry_gateway_weight{deployment=\"%s\",target=\"%s\"} %d\n",
                      g->live[i].name, e->targets[j].key, e->targets[j].effective);
    }
    pthread_mutex_unlock(&g->mu);
    struct controller_counts cc = {0, 0, 0, 0};
    if (g->ctl)
        controller_counts(g->ctl, &cc);
    sbuf_addf(&sb,
              "# HELP ferry_gateway_rollbacks_total Automatic rollbacks this gateway decided.\n"
              "# TYPE ferry_gateway_rollbacks_total counter\n"
              "ferry_gateway_rollbacks_total %llu\n"
              "# HELP ferry_gateway_rollout_steps_total Rollout steps this gateway decided.\n"
              "# TYPE ferry_gateway_rollout_steps_total counter\n"
              "ferry_gateway_rollout_steps_total %llu\n"
              "# HELP ferry_gateway_guard_breaches_total Guard checks that failed.\n"
              "# TYPE ferry_gateway_guard_breaches_total counter\n"
              "ferry_gateway_guard_breaches_total %llu\n"
              "# HELP ferry_gateway_sample_ratio_flags_total Checks skipped: the traffic split "
              "was off its weights.\n"
              "# TYPE ferry_gateway_sample_ratio_flags_total counter\n"
              "ferry_gateway_sample_ratio_flags_total %llu\n"
              "# HELP ferry_gateway_shadow_dropped_total Shadow copies dropped (queue full).\n"
              "# TYPE ferry_gateway_shadow_dropped_total counter\n"
              "ferry_gateway_shadow_dropped_total %llu\n"
              "# HELP ferry_gateway_not_found_total Requests for a deployment not served.\n"
              "# TYPE ferry_gateway_not_found_total counter\n"
              "ferry_gateway_not_found_total %llu\n"
              "# HELP ferry_gateway_report_failures_total Figures not written to the store.\n"
              "# TYPE ferry_gateway_report_failures_total counter\n"
              "ferry_gateway_report_failures_total %llu\n",
              cc.rollbacks, cc.steps, cc.breaches, cc.srm_flags, shadow_queue_dropped(g->shadows),
              atomic_load(&g->not_found), atomic_load(&g->report_failures));
    struct pred_logger_counts pc;
    pred_logger_counts(g->plog, &pc);
    sbuf_addf(&sb,
              "# HELP ferry_gateway_predictions_logged_total Rows written to the prediction log.\n"
              "# TYPE ferry_gateway_predictions_logged_total counter\n"
              "ferry_gateway_predictions_logged_total %llu\n"
              "# HELP ferry_gateway_predictions_dropped_total Rows not logged: the queue was "
              "full.\n"
              "# TYPE ferry_gateway_predictions_dropped_total counter\n"
              "ferry_gateway_predictions_dropped_total %llu\n"
              "# HELP ferry_gateway_predictions_failed_total Rows the store did not take.\n"
              "# TYPE ferry_gateway_predictions_failed_total counter\n"
              "ferry_gateway_predictions_failed_total %llu\n"
              "# HELP ferry_gateway_predictions_queued Rows waiting to be written.\n"
              "# TYPE ferry_gateway_predictions_queued gauge\n"
              "ferry_gateway_predictions_queued %llu\n",
              pc.logged, pc.dropped, pc.failed, pc.queued);
    return http_respond(&*rq, 200, "text/plain; version=0.0.4", &sb);
}

static const struct http_route routes[] = {
    {HTTP_GET, "/ping", h_ok, 0, NULL, NULL, 0},
    {HTTP_GET, "/health", h_ok, 0, NULL, NULL, 0},
    {HTTP_GET, "/v2/health/live", h_ok, 0, NULL, NULL, 0},
    {HTTP_GET, "/v2/health/ready", h_ok, 0, NULL, NULL, 0},
    {HTTP_GET, "/version", h_version, 0, NULL, NULL, 0},
    {HTTP_GET, "/metrics", h_metrics, 0, NULL, NULL, 0},
    {HTTP_GET, "/endpoints", h_endpoints, 0, NULL, NULL, 0},
    {HTTP_GET, "/v2/models/{name}", h_v2_metadata, 0, NULL, NULL, 0},
    {HTTP_POST, "/endpoints/{name}/invocations", h_invocations, MAX_BODY, NULL, NULL, 0},
    {HTTP_POST, "/v2/models/{name}/infer", h_infer, MAX_BODY, NULL, NULL, 0},
    {HTTP_POST, "/endpoints/{name}/feedback", h_feedback, 16u * 1024 * 1024, NULL, NULL, 0},
};

/* Health checks are public; the rest a signed-in user's. */
static int admit(void *arg, struct http_request *rq, struct ferr *err)
{
    const struct gateway *g = arg;
    const char *path = http_path(rq);
    if (!g->o->guard || !strcmp(path, "/ping") || !strcmp(path, "/health") ||
        !strncmp(path, "/v2/health/", 11))
        return 0;
    return guard_authenticate(g->o->guard, rq, err);
}

static void stop_threads(struct gateway *g)
{
    atomic_store(&g->stopping, 1);
    pthread_mutex_lock(&g->wake_mu);
    pthread_cond_broadcast(&g->wake);
    pthread_mutex_unlock(&g->wake_mu);
    if (g->watcher_on)
        pthread_join(g->watcher, NULL);
    if (g->reporter_on)
        pthread_join(g->reporter, NULL);
}

static int put_rows(void *arg, const struct pred_row *rows, size_t n, struct ferr *err)
{
    return client_predictions_put(arg, rows, n, err);
}

int gateway_run(const struct gateway_opts *o, struct ferr *err)
{
    struct gateway g;
    struct http_server *http = NULL;
    memset(&g, 0, sizeof(g));
    g.o = o;
    pthread_mutex_init(&g.mu, NULL);
    pthread_mutex_init(&g.wake_mu, NULL);
    pthread_cond_init(&g.wake, NULL);
    struct model_opts mo = {o->workers, 0};
    g.models = model_cache_new(o->client, &mo);
    g.stats = gw_stats_table_new();
    if (!o->no_log) {
        struct pred_logger_opts po = {put_rows, o->client, o->log_queue, 0, 0};
        struct ferr lerr = FERR_INIT;
        g.plog = pred_logger_new(&po, &lerr);
        if (!g.plog) /* serving goes on: the log is never worth a request */
            log_warn("serving without the prediction log: %s", lerr.msg);
    }
    g.shadows = shadow_queue_new(2, SHADOW_CAPACITY, g.plog);
    struct http_server_opts ho = {.host = o->host ? o->host : "127.0.0.1",
                                  .port = o->port,
                                  .routes = routes,
                                  .nroutes = sizeof(routes) / sizeof(*routes),
                                  .ctx = &g,
                                  .limits = o->limits,
                                  .admit = admit,
                                  .admit_arg = &g,
                                  .tls_cert = o->tls_cert,
                                  .tls_key = o->tls_key};
    int rc = http_server_new(&ho, &http, err);
    if (rc == 0) {
        if (o->id)
            snprintf(g.id, sizeof(g.id), "%s", o->id);
        else
            snprintf(g.id, sizeof(g.id), "%s:%d/%ld", ho.host, http_server_port(http),
                     (long)getpid());
        if (!o->no_control) {
            struct controller_env ce = {o->client, g.id, install, &g};
            g.ctl = controller_new(&ce);
        }
        /* serve what exists from the first request on */
        poll_deployments(&g);
        g.watcher_on = pthread_create(&g.watcher, NULL, watch, &g) == 0;
        g.reporter_on = pthread_create(&g.reporter, NULL, reporter, &g) == 0;
        if (!g.watcher_on || !g.reporter_on)
            rc = ferr_set(err, FERR_INTERNAL_ERROR, "cannot start the gateway's threads");
    }
    if (rc == 0)
        rc = http_server_start(http, err);
    if (rc == 0) {
        printf("ferry serve listening on %s://%s:%d\n", o->tls_cert ? "https" : "http", ho.host,
               http_server_port(http));
        fflush(stdout);
        log_info("gateway %s serving %zu deployment(s) of %s", g.id, g.nlive,
                 client_uri(o->client));
        http_server_wait(http, NULL, NULL);
        http_server_stop(http, 10000);
    }
    stop_threads(&g);
    http_server_free(http);
    controller_free(g.ctl);
    shadow_queue_free(g.shadows);
    pred_logger_free(g.plog); /* what is queued is written out first */
    pthread_mutex_lock(&g.mu);
    while (g.nlive)
        endpoint_drop(&g, 0);
    pthread_mutex_unlock(&g.mu);
    free(g.live);
    gw_stats_table_free(g.stats);
    model_cache_free(g.models);
    pthread_cond_destroy(&g.wake);
    pthread_mutex_destroy(&g.wake_mu);
    pthread_mutex_destroy(&g.mu);
    if (rc == 0)
        log_info("stopped cleanly");
    return rc;
}
