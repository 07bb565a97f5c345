/* SPDX-License-Identifier: MIT
 * The client's front: picks the transport from the URI, checks arguments
 * both transports share, splits oversized batches, then calls the ops table.
 * Nothing transport-specific lives here. */
#include "client/client_int.h"
#include "base/env.h"
#include "http/client.h"
#include "client/transport.h"
#include "api/metrics_ops.h"
#include "api/tracking_ops.h"
#include "base/utf8.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* MLflow refuses log-batch bodies above 1,000,000 bytes; stay well below. */
#define BATCH_BYTE_BUDGET (900 * 1000)

const char *client_default_uri(void)
{
    const char *u = env_get("TRACKING_URI");
    return u ? u : "ferry.db";
}

static int is_http(const char *uri)
{
    return !strncmp(uri, "http://", 7) || !strncmp(uri, "https://", 8);
}

int client_open(const char *uri, struct client **out, struct ferr *err)
{
    struct client *c = xcalloc(1, sizeof(*c));
    c->uri = xstrdup(uri && *uri ? uri : client_default_uri());
    struct store_opts opts = STORE_OPTS_INIT; /* no group commit: see transport.c */
    int rc = is_http(c->uri) ? http_client_open(c->uri, &c->http, err)
                             : store_open(c->uri, &opts, &c->store, err);
    if (rc) {
        client_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

void client_close(struct client *c)
{
    if (!c)
        return;
    http_client_close(c->http);
    store_close(c->store);
    free(c->uri);
    free(c);
}

const char *client_uri(const struct client *c)
{
    return c->uri;
}

int client_is_remote(const struct client *c)
{
    return c->http != NULL;
}

/* A required string argument: NULL is the caller's mistake, reported the way
 * a server reports a missing field. */
static int need(const char *v, const char *what, struct ferr *err)
{
    return v ? 0 : ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing value for '%s'", what);
}

static int check_utf8(const char *s, const char *what, struct ferr *err)
{
    if (!s || utf8_valid(s))
        return 0;
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s is not valid UTF-8", what);
}

static int check_kv_utf8(const struct kv_list *l, const char *what, struct ferr *err)
{
    for (size_t i = 0; l && i < l->n; i++) {
        if (check_utf8(l->v[i].key, what, err) || check_utf8(l->v[i].value, what, err))
            return -1;
    }
    return 0;
}

int client_create_experiment(struct client *c, const char *name, const char *artifact_location,
                             const struct kv_list *tags, char **id_out, struct ferr *err)
{
    if (need(name, "name", err) || check_utf8(name, "the experiment name", err) ||
        check_utf8(artifact_location, "the artifact location", err) ||
        check_kv_utf8(tags, "an experiment tag", err))
        return -1;
    struct rq_experiment_create q = {name, artifact_location, tags ? *tags : (struct kv_list){0}};
    struct rs_experiment_id r = {NULL};
    if (client_call(c, &api_experiments_create, &q, &r, err))
        return -1;
    if (!r.experiment_id)
        return ferr_set(err, FERR_IO_ERROR, "experiments/create: no experiment_id");
    if (id_out)
        *id_out = r.experiment_id;
    else
        free(r.experiment_id);
    return 0;
}

static int get_experiment(struct client *c, const struct api_op *op, void *q,
                          struct experiment *out, struct ferr *err)
{
    struct rs_experiment r;
    memset(&r, 0, sizeof(r));
    if (client_call(c, op, q, &r, err))
        return -1;
    *out = r.experiment;
    return 0;
}

int client_get_experiment(struct client *c, const char *id, struct experiment *out,
                          struct ferr *err)
{
    if (need(id, "experiment_id", err))
        return -1;
    struct rq_experiment_id q = {id};
    return get_experiment(c, &api_experiments_get, &q, out, err);
}

int client_get_experiment_by_name(struct client *c, const char *name, struct experiment *out,
                                  struct ferr *err)
{
    if (need(name, "experiment_name", err))
        return -1;
    struct rq_experiment_name q = {name};
    return get_experiment(c, &api_experiments_get_by_name, &q, out, err);
}

int client_search_experiments(struct client *c, const struct experiment_search *q,
                              struct experiment_list *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    return client_call(c, &api_experiments_search, (void *)q, out, err);
}

int client_rename_experiment(struct client *c, const char *id, const char *new_name,
                             struct ferr *err)
{
    if (need(id, "experiment_id", err) || need(new_name, "new_name", err) ||
        check_utf8(new_name, "the experiment name", err))
        return -1;
    struct rq_experiment_update q = {id, new_name};
    return client_call(c, &api_experiments_update, &q, NULL, err);
}

int client_delete_experiment(struct client *c, const char *id, struct ferr *err)
{
    if (need(id, "experiment_id", err))
        return -1;
    struct rq_experiment_id q = {id};
    return client_call(c, &api_experiments_delete, &q, NULL, err);
}

int client_restore_experiment(struct client *c, const char *id, struct ferr *err)
{
    if (need(id, "experiment_id", err))
        return -1;
    struct rq_experiment_id q = {id};
    return client_call(c, &api_experiments_restore, &q, NULL, err);
}

int client_set_experiment_tag(struct client *c, const char *id, const char *key, const char *value,
                              struct ferr *err)
{
    if (need(id, "experiment_id", err) || need(key, "key", err) || need(value, "value", err) ||
        validate_experiment_tag(key, value, err) || check_utf8(key, "the tag key", err) ||
        check_utf8(value, "the tag value", err))
        return -1;
    struct rq_experiment_tag q = {id, key, value};
    return client_call(c, &api_experiments_set_tag, &q, NULL, err);
}

int client_delete_experiment_tag(struct client *c, const char *id, const char *key,
                                 struct ferr *err)
{
    if (need(id, "experiment_id", err) || need(key, "key", err))
        return -1;
    struct rq_experiment_tag q = {id, key, NULL};
    return client_call(c, &api_experiments_delete_tag, &q, NULL, err);
}

int client_create_run(struct client *c, const struct run_create *rc, struct run *out,
                      struct ferr *err)
{
    if (need(rc->experiment_id, "experiment_id", err) ||
        check_utf8(rc->run_name, "the run name", err) ||
        check_utf8(rc->user_id, "the user id", err) || check_kv_utf8(&rc->tags, "a tag", err))
        return -1;
    struct rs_run r;
    memset(&r, 0, sizeof(r));
    if (client_call(c, &api_runs_create, (void *)rc, &r, err))
        return -1;
    *out = r.run;
    return 0;
}

int client_get_run(struct client *c, const char *run_id, struct run *out, struct ferr *err)
{
    if (need(run_id, "run_id", err))
        return -1;
    struct rq_run_id q = {run_id};
    struct rs_run r;
    memset(&r, 0, sizeof(r));
    if (client_call(c, &api_runs_get, &q, &r, err))
        return -1;
    *out = r.run;
    return 0;
}

int client_update_run(struct client *c, const char *run_id, enum run_status status,
                      int64_t end_time, const char *run_name, struct ferr *err)
{
    if (need(run_id, "run_id", err) || check_utf8(run_name, "the run name", err))
        return -1;
    struct rq_run_update q = {run_id, status, end_time, run_name};
    return client_call(c, &api_runs_update, &q, NULL, err);
}

int client_delete_run(struct client *c, const char *run_id, struct ferr *err)
{
    if (need(run_id, "run_id", err))
        return -1;
    struct rq_run_id q = {run_id};
    return client_call(c, &api_runs_delete, &q, NULL, err);
}

int client_restore_run(struct client *c, const char *run_id, struct ferr *err)
{
    if (need(run_id, "run_id", err))
        return -1;
    struct rq_run_id q = {run_id};
    return client_call(c, &api_runs_restore, &q, NULL, err);
}

int client_search_runs(struct client *c, const struct run_search *q, struct run_list *out,
                       struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    return client_call(c, &api_runs_search, (void *)q, out, err);
}

int client_delete_tag(struct client *c, const char *run_id, const char *key, struct ferr *err)
{
    if (need(run_id, "run_id", err) || need(key, "key", err))
        return -1;
    struct rq_run_kv q = {run_id, key, NULL};
    return client_call(c, &api_runs_delete_tag, &q, NULL, err);
}

int client_log_model(struct client *c, const char *run_id, const char *model_json, struct ferr *err)
{
    if (need(run_id, "run_id", err) || need(model_json, "model_json", err))
        return -1;
    struct rq_log_model q = {run_id, model_json};
    return client_call(c, &api_runs_log_model, &q, NULL, err);
}

int client_log_inputs(struct client *c, const char *run_id, const struct dataset_input *inputs,
                      size_t n, struct ferr *err)
{
    if (need(run_id, "run_id", err))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (validate_dataset_input(&inputs[i], err))
            return -1;
    struct rq_log_inputs q = {.run_id = run_id,
                              .v = (struct dataset_input *)inputs,
                              .n = n,
                              .alloc = n,
                              .has_datasets = 1};
    return client_call(c, &api_runs_log_inputs, &q, NULL, err);
}

/* Points asked for per get-history page over REST (MLflow's page size
 * limit); in-process, the whole history in one call. */
#define HISTORY_PAGE 25000

static int metric_history(struct client *c, const char *run_id, const char *key,
                          struct metric_list *out, struct ferr *err)
{
    struct rq_metric_history q = {run_id, key, NULL, c->http ? HISTORY_PAGE : 0};
    char *token = NULL;
    memset(out, 0, sizeof(*out));
    do {
        struct rs_metrics r;
        memset(&r, 0, sizeof(r));
        q.page_token = token;
        int rc = client_call(c, &api_metrics_get_history, &q, &r, err);
        free(token);
        token = NULL;
        if (rc) {
            metric_list_release(out);
            return -1;
        }
        if (!out->v) {
            *out = r.metrics;
        } else {
            ALLOC_GROW(out->v, out->n + r.metrics.n, out->alloc);
            memcpy(out->v + out->n, r.metrics.v, r.metrics.n * sizeof(*out->v));
            out->n += r.metrics.n;
            free(r.metrics.v);
        }
        token = r.next_page_token;
    } while (token);
    return 0;
}

int client_metric_history(struct client *c, const char *run_id, const char *key,
                          struct metric_list *out, struct ferr *err)
{
    if (need(run_id, "run_id", err) || need(key, "metric_key", err))
        return -1;
    return metric_history(c, run_id, key, out, err);
}

/* Bytes a string takes in a JSON body (jansson's escaping). */
static size_t json_len(const char *s)
{
    size_t n = 2;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += *p == '"' || *p == '\\' ? 2 : *p < 0x20 ? 6 : 1;
    return n;
}

/* Validates every entry on its own (counts are the splitter's business). */
static int validate_entries(const struct metric_list *m, const struct kv_list *p,
                            const struct kv_list *t, struct ferr *err)
{
    for (size_t i = 0; i < m->n; i++)
        if (validate_metric(&m->v[i], err) || check_utf8(m->v[i].key, "a metric key", err))
            return -1;
    for (size_t i = 0; i < p->n; i++)
        if (validate_param(p->v[i].key, p->v[i].value, err))
            return -1;
    for (size_t i = 0; i < t->n; i++)
        if (validate_tag(t->v[i].key, t->v[i].value, err))
            return -1;
    return check_kv_utf8(p, "a param", err) || check_kv_utf8(t, "a tag", err) ? -1 : 0;
}

/* How many of l's entries from `from` fit: at most max, within *bytes. */
static size_t take_kv(const struct kv_list *l, size_t from, size_t max, size_t *bytes)
{
    size_t n = 0;
    while (from + n < l->n && n < max) {
        size_t cost = json_len(l->v[from + n].key) + json_len(l->v[from + n].value) + 24;
        if (*bytes + cost > BATCH_BYTE_BUDGET && *bytes)
            break;
        *bytes += cost;
        n++;
    }
    return n;
}

static size_t take_metrics(const struct metric_list *l, size_t from, size_t max, size_t *bytes)
{
    size_t n = 0;
    while (from + n < l->n && n < max) {
        size_t cost = json_len(l->v[from + n].key) + 96; /* value, timestamp, step */
        if (*bytes + cost > BATCH_BYTE_BUDGET && *bytes)
            break;
        *bytes += cost;
        n++;
    }
    return n;
}

int client_log_batch(struct client *c, const char *run_id, const struct metric_list *metrics,
                     const struct kv_list *params, const struct kv_list *tags, struct ferr *err)
{
    static const struct metric_list no_metrics;
    static const struct kv_list no_kv;
    const struct metric_list *m = metrics ? metrics : &no_metrics;
    const struct kv_list *p = params ? params : &no_kv, *t = tags ? tags : &no_kv;
    if (need(run_id, "run_id", err) || validate_entries(m, p, t, err))
        return -1;
    size_t mi = 0, pi = 0, ti = 0;
    do { /* at least one request, so a bad run id is reported even when empty */
        size_t bytes = 0;
        size_t np = take_kv(p, pi, MAX_PARAMS_TAGS_PER_BATCH, &bytes);
        size_t nt = take_kv(t, ti, MAX_PARAMS_TAGS_PER_BATCH, &bytes);
        size_t nm = take_metrics(m, mi, MAX_ENTITIES_PER_BATCH - np - nt, &bytes);
        if (nm > MAX_METRICS_PER_BATCH)
            nm = MAX_METRICS_PER_BATCH;
        /* (no arithmetic on the NULL array of an empty list) */
        struct metric_list ms = {nm ? m->v + mi : NULL, nm, nm};
        struct kv_list ps = {np ? p->v + pi : NULL, np, np}, ts = {nt ? t->v + ti : NULL, nt, nt};
        struct rq_log_batch q = {run_id, ms, ps, ts};
        if (client_call(c, &api_runs_log_batch, &q, NULL, err))
            return -1;
        mi += nm;
        pi += np;
        ti += nt;
    } while (mi < m->n || pi < p->n || ti < t->n);
    return 0;
}
