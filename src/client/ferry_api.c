/* SPDX-License-Identifier: MIT
 * The public libferry API (include/ferry/ferry.h) on top of struct client:
 * status mapping, the metric buffer, run start/attach, search results. */
#include "ferry/ferry.h"
#include "client/client.h"
#include "base/ftime.h"
#include "base/version.h"
#include "base/xalloc.h"
#include "domain/validate.h"

#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

struct ferry_client {
    struct client *c;
    pthread_mutex_t mu;
    struct ferr err;
    struct metric_list buf; /* buffered points, each with its run_id */
};

/* Points kept while the server cannot be reached, before logging fails. */
#define MAX_BUFFERED 100000

struct ferry_runs {
    struct run_list l;
};

static _Thread_local struct ferr open_err;

const char *ferry_version(void)
{
    return FERRY_VERSION_STRING;
}

const char *ferry_strerror(ferry_status s)
{
    static const char *const msgs[] = {
        "success", "invalid argument", "not found", "already exists", "not allowed in this state",
        "input/output error", "internal error"};
    return (unsigned)s < sizeof(msgs) / sizeof(*msgs) ? msgs[s] : "unknown status";
}

void ferry_free(void *p)
{
    free(p);
}

static ferry_status status_of(const struct ferr *e)
{
    switch (e->code) {
    case FERR_OK:
        return FERRY_OK;
    case FERR_INVALID_PARAMETER_VALUE:
    case FERR_BAD_REQUEST:
        return FERRY_EINVAL;
    case FERR_RESOURCE_DOES_NOT_EXIST:
    case FERR_ENDPOINT_NOT_FOUND:
        return FERRY_ENOTFOUND;
    case FERR_RESOURCE_ALREADY_EXISTS:
        return FERRY_EEXIST;
    case FERR_INVALID_STATE:
        return FERRY_ESTATE;
    case FERR_IO_ERROR:
    case FERR_TEMPORARILY_UNAVAILABLE:
        return FERRY_EIO;
    default:
        return FERRY_EINTERNAL;
    }
}

/* Every entry point: lock, clear the error, run, map the status, unlock. */
#define LOCKED(fc, expr)                                                                           \
    do {                                                                                           \
        if (!(fc))                                                                                 \
            return FERRY_EINVAL;                                                                   \
        pthread_mutex_lock(&(fc)->mu);                                                             \
        ferr_clear(&(fc)->err);                                                                    \
        int rc_ = (expr);                                                                          \
        ferry_status st_ = rc_ ? status_of(&(fc)->err) : FERRY_OK;                                 \
        pthread_mutex_unlock(&(fc)->mu);                                                           \
        return st_;                                                                                \
    } while (0)

ferry_status ferry_open(const char *uri, ferry_client **out)
{
    *out = NULL;
    ferr_clear(&open_err);
    struct client *c;
    if (client_open(uri, &c, &open_err))
        return status_of(&open_err);
    struct ferry_client *fc = xcalloc(1, sizeof(*fc));
    fc->c = c;
    pthread_mutex_init(&fc->mu, NULL);
    *out = fc;
    return FERRY_OK;
}

const char *ferry_last_error(ferry_client *c)
{
    return c ? c->err.msg : open_err.msg;
}

/* Sends buffered points, grouped by run, in batches of at most 1000. On a
 * failure the unsent points stay buffered for the next flush: resending is
 * safe because identical points are stored once. */
static int flush_locked(struct ferry_client *fc)
{
    size_t start = 0;
    while (start < fc->buf.n) {
        const char *run = fc->buf.v[start].run_id;
        size_t end = start;
        while (end < fc->buf.n && end - start < MAX_METRICS_PER_BATCH &&
               !strcmp(fc->buf.v[end].run_id, run))
            end++;
        struct metric_list part = {fc->buf.v + start, end - start, end - start};
        if (client_log_batch(fc->c, run, &part, NULL, NULL, &fc->err))
            break;
        start = end;
    }
    for (size_t i = 0; i < start; i++) {
        free(fc->buf.v[i].key);
        free(fc->buf.v[i].run_id);
    }
    if (start && start < fc->buf.n)
        memmove(fc->buf.v, fc->buf.v + start, (fc->buf.n - start) * sizeof(*fc->buf.v));
    fc->buf.n -= start;
    return fc->buf.n ? -1 : 0;
}

ferry_status ferry_flush(ferry_client *c)
{
    LOCKED(c, flush_locked(c));
}

ferry_status ferry_close(ferry_client *c)
{
    if (!c)
        return FERRY_OK;
    pthread_mutex_lock(&c->mu);
    int rc = flush_locked(c);
    ferry_status st = rc ? status_of(&c->err) : FERRY_OK;
    pthread_mutex_unlock(&c->mu);
    metric_list_release(&c->buf); /* what could not be sent by now is lost: st says so */
    client_close(c->c);
    pthread_mutex_destroy(&c->mu);
    free(c);
    return st;
}

static int create_experiment(struct ferry_client *fc, const char *name, const char *loc,
                             char **id)
{
    return client_create_experiment(fc->c, name, loc, NULL, id, &fc->err);
}

ferry_status ferry_create_experiment(ferry_client *c, const char *name,
                                     const char *artifact_location, char **id)
{
    LOCKED(c, create_experiment(c, name, artifact_location, id));
}

static int experiment_id_by_name(struct ferry_client *fc, const char *name, int create,
                                 char **id)
{
    struct experiment e;
    if (!client_get_experiment_by_name(fc->c, name, &e, &fc->err)) {
        *id = xstrdup(e.experiment_id);
        experiment_release(&e);
        return 0;
    }
    if (!create || fc->err.code != FERR_RESOURCE_DOES_NOT_EXIST)
        return -1;
    ferr_clear(&fc->err);
    if (!client_create_experiment(fc->c, name, NULL, NULL, id, &fc->err))
        return 0;
    if (fc->err.code != FERR_RESOURCE_ALREADY_EXISTS) /* lost a race: read it */
        return -1;
    ferr_clear(&fc->err);
    return experiment_id_by_name(fc, name, 0, id);
}

ferry_status ferry_get_experiment_by_name(ferry_client *c, const char *name, char **id)
{
    LOCKED(c, experiment_id_by_name(c, name, 0, id));
}

ferry_status ferry_set_experiment(ferry_client *c, const char *name, char **id)
{
    LOCKED(c, experiment_id_by_name(c, name, 1, id));
}

static const char *env2(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (!v || !*v)
        v = getenv(b);
    return v && *v ? v : NULL;
}

static void source_tags(struct kv_list *tags)
{
    const char *user = getenv("USER");
    struct passwd *pw = NULL;
    if (!user || !*user)
        pw = getpwuid(getuid());
    kv_list_add(tags, TAG_USER, user && *user ? user : pw ? pw->pw_name : "unknown");
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = '\0';
    kv_list_add(tags, TAG_SOURCE_NAME, n > 0 ? exe : "unknown");
    kv_list_add(tags, TAG_SOURCE_TYPE, "LOCAL");
}

static int start_run(struct ferry_client *fc, const char *exp, const char *name,
                     const char *parent, char **run_id)
{
    const char *attach = env2("FERRY_RUN_ID", "MLFLOW_RUN_ID");
    struct run r;
    if (attach) {
        if (client_get_run(fc->c, attach, &r, &fc->err))
            return -1;
        *run_id = xstrdup(r.info.run_id);
        run_release(&r);
        return 0;
    }
    char *exp_id = NULL;
    const char *exp_name = env2("FERRY_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_NAME");
    if (!exp && exp_name && experiment_id_by_name(fc, exp_name, 1, &exp_id))
        return -1;
    struct kv_list tags = {0};
    source_tags(&tags);
    if (parent)
        kv_list_add(&tags, TAG_PARENT_RUN_ID, parent);
    struct run_create rc = {exp ? exp : exp_id ? exp_id : "0", tags.v[0].value, name, TIME_NONE,
                            &tags};
    int ret = client_create_run(fc->c, &rc, &r, &fc->err);
    if (!ret) {
        *run_id = xstrdup(r.info.run_id);
        run_release(&r);
    }
    kv_list_release(&tags);
    free(exp_id);
    return ret;
}

ferry_status ferry_start_run(ferry_client *c, const char *experiment_id, const char *run_name,
                             const char *parent_run_id, char **run_id)
{
    LOCKED(c, start_run(c, experiment_id, run_name, parent_run_id, run_id));
}

static int end_run(struct ferry_client *fc, const char *run_id, ferry_run_status st)
{
    if (st < FERRY_RUN_RUNNING || st > FERRY_RUN_KILLED)
        return ferr_set(&fc->err, FERR_INVALID_PARAMETER_VALUE, "invalid run status %d", st);
    if (flush_locked(fc))
        return -1;
    int terminal = run_status_is_terminal((enum run_status)st);
    return client_update_run(fc->c, run_id, (enum run_status)st,
                             terminal ? ftime_now_ms() : TIME_NONE, NULL, &fc->err);
}

ferry_status ferry_end_run(ferry_client *c, const char *run_id, ferry_run_status status)
{
    LOCKED(c, end_run(c, run_id, status));
}

static int log_kv(struct ferry_client *fc, const char *run_id, const char *key,
                  const char *value, int is_param)
{
    struct kv one = {(char *)key, (char *)value};
    struct kv_list l = {&one, 1, 1};
    return client_log_batch(fc->c, run_id, NULL, is_param ? &l : NULL, is_param ? NULL : &l,
                            &fc->err);
}

ferry_status ferry_log_param(ferry_client *c, const char *run_id, const char *key,
                             const char *value)
{
    LOCKED(c, log_kv(c, run_id, key, value ? value : "", 1));
}

ferry_status ferry_set_tag(ferry_client *c, const char *run_id, const char *key,
                           const char *value)
{
    LOCKED(c, log_kv(c, run_id, key, value ? value : "", 0));
}

ferry_status ferry_delete_tag(ferry_client *c, const char *run_id, const char *key)
{
    LOCKED(c, client_delete_tag(c->c, run_id, key, &c->err));
}

static int log_metric(struct ferry_client *fc, const char *run_id, const char *key, double v,
                      int64_t ts, int64_t step)
{
    struct metric m = {(char *)key, v, ts ? ts : ftime_now_ms(), step, NULL};
    if (validate_run_id(run_id, &fc->err) || validate_metric(&m, &fc->err))
        return -1;
    if (fc->buf.n >= MAX_BUFFERED && flush_locked(fc))
        return -1; /* the server stays unreachable: refuse rather than grow without bound */
    metric_list_add(&fc->buf, key, v, m.timestamp, step);
    fc->buf.v[fc->buf.n - 1].run_id = xstrdup(run_id);
    return fc->buf.n >= MAX_METRICS_PER_BATCH ? flush_locked(fc) : 0;
}

ferry_status ferry_log_metric(ferry_client *c, const char *run_id, const char *key, double value,
                              int64_t timestamp_ms, int64_t step)
{
    LOCKED(c, log_metric(c, run_id, key, value, timestamp_ms, step));
}

static int search(struct ferry_client *fc, const char *const *ids, size_t n, const char *filter,
                  const char *order, int64_t max, const char *token, struct ferry_runs **out)
{
    const char *orders[1] = {order};
    struct run_search q = {(const char **)ids, n, filter, VIEW_ACTIVE_ONLY, max ? max : 1000,
                           order ? orders : NULL, order ? 1 : 0, token};
    struct ferry_runs *r = xcalloc(1, sizeof(*r));
    if (flush_locked(fc) || client_search_runs(fc->c, &q, &r->l, &fc->err)) {
        free(r);
        *out = NULL;
        return -1;
    }
    *out = r;
    return 0;
}

ferry_status ferry_search_runs(ferry_client *c, const char *const *experiment_ids,
                               size_t n_experiment_ids, const char *filter, const char *order_by,
                               int64_t max_results, const char *page_token, ferry_runs **out)
{
    LOCKED(c, search(c, experiment_ids, n_experiment_ids, filter, order_by, max_results,
                     page_token, out));
}

size_t ferry_runs_count(const ferry_runs *r)
{
    return r ? r->l.n : 0;
}

const char *ferry_runs_id(const ferry_runs *r, size_t i)
{
    return i < ferry_runs_count(r) ? r->l.v[i].info.run_id : NULL;
}

const char *ferry_runs_name(const ferry_runs *r, size_t i)
{
    return i < ferry_runs_count(r) ? r->l.v[i].info.run_name : NULL;
}

ferry_run_status ferry_runs_status(const ferry_runs *r, size_t i)
{
    return i < ferry_runs_count(r) ? (ferry_run_status)r->l.v[i].info.status : FERRY_RUN_RUNNING;
}

int ferry_runs_metric(const ferry_runs *r, size_t i, const char *key, double *value)
{
    if (i >= ferry_runs_count(r))
        return 0;
    const struct metric_list *m = &r->l.v[i].metrics;
    for (size_t k = 0; k < m->n; k++) {
        if (!strcmp(m->v[k].key, key)) {
            *value = m->v[k].value;
            return 1;
        }
    }
    return 0;
}

const char *ferry_runs_param(const ferry_runs *r, size_t i, const char *key)
{
    return i < ferry_runs_count(r) ? kv_list_get(&r->l.v[i].params, key) : NULL;
}

const char *ferry_runs_tag(const ferry_runs *r, size_t i, const char *key)
{
    return i < ferry_runs_count(r) ? kv_list_get(&r->l.v[i].tags, key) : NULL;
}

const char *ferry_runs_next_page_token(const ferry_runs *r)
{
    return r ? r->l.next_page_token : NULL;
}

void ferry_runs_free(ferry_runs *r)
{
    if (!r)
        return;
    run_list_release(&r->l);
    free(r);
}

static int history(struct ferry_client *fc, const char *run_id, const char *key,
                   ferry_metric **points, size_t *n)
{
    struct metric_list l;
    *points = NULL;
    *n = 0;
    if (flush_locked(fc) || client_metric_history(fc->c, run_id, key, &l, &fc->err))
        return -1;
    *points = xcalloc(l.n ? l.n : 1, sizeof(**points));
    for (size_t i = 0; i < l.n; i++)
        (*points)[i] = (ferry_metric){l.v[i].value, l.v[i].timestamp, l.v[i].step};
    *n = l.n;
    metric_list_release(&l);
    return 0;
}

ferry_status ferry_get_metric_history(ferry_client *c, const char *run_id, const char *key,
                                      ferry_metric **points, size_t *n)
{
    LOCKED(c, history(c, run_id, key, points, n));
}
