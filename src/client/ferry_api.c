/* SPDX-License-Identifier: MIT
 * The public libferry API (include/ferry/ferry.h) on top of struct client:
 * argument checks, status mapping, per-thread error messages, the metric
 * buffer, run start/resume, and search results. Every entry point runs under
 * the client's lock (enter/leave), so a ferry_client may be shared. */
#define _GNU_SOURCE /* program_invocation_name */
#include "ferry/ferry.h"
#include "base/env.h"
#include "client/client.h"
#include "client/client_artifacts.h"
#include "client/client_registry.h"
#include "client/ferry_api.h"
#include "base/ftime.h"
#include "base/version.h"
#include "base/xalloc.h"
#include "domain/validate.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

/* Points kept while they cannot be delivered, before logging fails. */
#define MAX_BUFFERED 100000
/* After a delivery failure, ferry_log_metric does not try to send again for
 * this long, so a dead server costs one timeout now and then instead of one
 * per point. Explicit flushes (ferry_flush, end_run, close...) always try. */
#define HOLD_MS 5000

struct ferry_runs {
    struct run_list l;
};

/* The calling thread's last call: which client, and its message. */
static _Thread_local struct {
    const struct ferry_client *client;
    char msg[sizeof(((struct ferr *)0)->msg)];
} last;

const char *ferry_version(void)
{
    return FERRY_VERSION_STRING;
}

const char *ferry_strerror(ferry_status s)
{
    static const char *const msgs[] = {
        [FERRY_OK] = "success",
        [FERRY_EINVAL] = "invalid argument",
        [FERRY_ENOTFOUND] = "not found",
        [FERRY_EEXIST] = "already exists",
        [FERRY_ESTATE] = "not allowed in this state",
        [FERRY_EIO] = "input/output error",
        [FERRY_EINTERNAL] = "internal error",
        [FERRY_EPERM] = "permission denied",
        [FERRY_ENOTSUP] = "not supported",
    };
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
        return FERRY_ENOTFOUND;
    case FERR_RESOURCE_ALREADY_EXISTS:
        return FERRY_EEXIST;
    case FERR_INVALID_STATE:
        return FERRY_ESTATE;
    case FERR_IO_ERROR:
    case FERR_TEMPORARILY_UNAVAILABLE:
    case FERR_REQUEST_LIMIT_EXCEEDED:
        return FERRY_EIO;
    case FERR_PERMISSION_DENIED:
    case FERR_UNAUTHENTICATED:
        return FERRY_EPERM;
    case FERR_ENDPOINT_NOT_FOUND:
    case FERR_NOT_IMPLEMENTED:
        return FERRY_ENOTSUP;
    default:
        return FERRY_EINTERNAL;
    }
}

void ferry_api_record(const struct ferry_client *fc, const struct ferr *e)
{
    last.client = fc;
    snprintf(last.msg, sizeof(last.msg), "%s",
             !e          ? ""
             : e->msg[0] ? e->msg
                         : ferr_code_name(e->code));
}

const char *ferry_last_error(ferry_client *c)
{
    return last.client == c ? last.msg : "";
}

/* Every entry point: enter (NULL client: FERRY_EINVAL), do, leave. */
int ferry_api_enter(struct ferry_client *fc)
{
    if (!fc) {
        struct ferr e;
        ferr_set(&e, FERR_INVALID_PARAMETER_VALUE, "the client is NULL");
        ferry_api_record(NULL, &e);
        return -1;
    }
    pthread_mutex_lock(&fc->mu);
    ferr_clear(&fc->err);
    return 0;
}

ferry_status ferry_api_leave(struct ferry_client *fc, int rc)
{
    if (rc && fc->err.code == FERR_OK)
        ferr_set(&fc->err, FERR_INTERNAL_ERROR, "unknown failure");
    ferry_status st = rc ? status_of(&fc->err) : FERRY_OK;
    ferry_api_record(fc, rc ? &fc->err : NULL);
    pthread_mutex_unlock(&fc->mu);
    return st;
}

#define CALL(fc, expr) FERRY_API_CALL(fc, expr)

/* A required pointer argument. */
int ferry_api_need(struct ferry_client *fc, const void *p, const char *what)
{
    return p ? 0 : ferr_set(&fc->err, FERR_INVALID_PARAMETER_VALUE, "'%s' is NULL", what);
}

ferry_status ferry_open(const char *uri, ferry_client **out)
{
    struct ferr err = FERR_INIT;
    struct client *c;
    if (!out) {
        ferr_set(&err, FERR_INVALID_PARAMETER_VALUE, "'out' is NULL");
        ferry_api_record(NULL, &err);
        return FERRY_EINVAL;
    }
    *out = NULL;
    if (client_open(uri, &c, &err)) {
        ferry_api_record(NULL, &err);
        return status_of(&err);
    }
    struct ferry_client *fc = xcalloc(1, sizeof(*fc));
    fc->c = c;
    pthread_mutex_init(&fc->mu, NULL);
    ferry_api_record(fc, NULL);
    *out = fc;
    return FERRY_OK;
}

/* ---- The metric buffer ------------------------------------------------- */

/* Failures worth a later retry: the points were not refused, only not
 * delivered. Anything else would fail the same way again. */
static int undelivered(enum ferr_code code)
{
    return code == FERR_IO_ERROR || code == FERR_TEMPORARILY_UNAVAILABLE ||
           code == FERR_REQUEST_LIMIT_EXCEEDED;
}

/* Moves up to MAX_METRICS_PER_BATCH points of the first buffered run from
 * the buffer into part (the rest keep their order). */
static void take_first_run(struct ferry_client *fc, struct metric_list *part)
{
    const char *run = fc->buf.v[0].run_id;
    size_t w = 0;
    ALLOC_GROW(part->v, MAX_METRICS_PER_BATCH, part->alloc);
    for (size_t i = 0; i < fc->buf.n; i++) {
        if (part->n < MAX_METRICS_PER_BATCH && !strcmp(fc->buf.v[i].run_id, run))
            part->v[part->n++] = fc->buf.v[i];
        else
            fc->buf.v[w++] = fc->buf.v[i];
    }
    fc->buf.n = w;
}

/* Puts part back at the front of the buffer and empties part. */
static void put_back(struct ferry_client *fc, struct metric_list *part)
{
    ALLOC_GROW(fc->buf.v, fc->buf.n + part->n, fc->buf.alloc);
    memmove(fc->buf.v + part->n, fc->buf.v, fc->buf.n * sizeof(*fc->buf.v));
    memcpy(fc->buf.v, part->v, part->n * sizeof(*part->v));
    fc->buf.n += part->n;
    part->n = 0;
}

/* Sends the buffer as log-batch requests of one run and at most 1000 points
 * each. Points the server refuses are dropped (the first refusal is
 * reported); on a delivery failure the rest stays buffered and sending stops,
 * as the next request would fail the same way. Resending is safe: identical
 * points are stored once. */
static int flush_locked(struct ferry_client *fc)
{
    struct metric_list part = {0};
    struct ferr e = FERR_INIT;
    int rc = 0;
    while (fc->buf.n) {
        take_first_run(fc, &part);
        const char *run = part.v[0].run_id;
        if (!client_log_batch(fc->c, run, &part, NULL, NULL, &e)) {
            metric_list_release(&part);
            continue;
        }
        if (!rc)
            ferr_set(&fc->err, e.code, "%s%s",
                     undelivered(e.code) ? "" : "metrics dropped: ", e.msg);
        rc = -1;
        if (undelivered(e.code)) {
            put_back(fc, &part);
            break;
        }
        metric_list_release(&part);
    }
    metric_list_release(&part);
    return rc;
}

ferry_status ferry_flush(ferry_client *c)
{
    CALL(c, flush_locked(c));
}

ferry_status ferry_close(ferry_client *c)
{
    if (!c)
        return FERRY_OK;
    (void)ferry_api_enter(c);
    int rc = flush_locked(c);
    metric_list_release(&c->buf); /* what is still here is lost: the status says so */
    client_close(c->c);
    c->c = NULL;
    ferry_status st = ferry_api_leave(c, rc);
    last.client = NULL; /* c is gone: its message is read with ferry_last_error(NULL) */
    pthread_mutex_destroy(&c->mu);
    free(c);
    return st;
}

/* The flush ferry_log_metric triggers; skipped while holding off after a
 * delivery failure (which was reported by the call that met it). */
static int auto_flush(struct ferry_client *fc)
{
    if (ftime_now_ms() < fc->hold_until_ms)
        return 0;
    int rc = flush_locked(fc);
    if (rc && fc->buf.n)
        fc->hold_until_ms = ftime_now_ms() + HOLD_MS;
    return rc;
}

static int log_metric(struct ferry_client *fc, const char *run_id, const char *key, double v,
                      int64_t ts, int64_t step)
{
    struct metric m = {
        .key = (char *)key, .value = v, .timestamp = ts ? ts : ftime_now_ms(), .step = step};
    if (ferry_api_need(fc, run_id, "run_id") || ferry_api_need(fc, key, "key") ||
        validate_run_id(run_id, &fc->err) || validate_metric(&m, &fc->err))
        return -1;
    int rc = 0;
    if (fc->buf.n >= MAX_BUFFERED) {
        rc = auto_flush(fc);
        if (fc->buf.n >= MAX_BUFFERED) /* undeliverable for long: refuse rather than grow */
            return rc ? -1
                      : ferr_set(&fc->err, FERR_IO_ERROR,
                                 "%d metric points are waiting to be sent; refusing more until "
                                 "a flush succeeds",
                                 MAX_BUFFERED);
    }
    metric_list_add(&fc->buf, key, v, m.timestamp, step);
    fc->buf.v[fc->buf.n - 1].run_id = xstrdup(run_id);
    if (!rc && fc->buf.n % MAX_METRICS_PER_BATCH == 0)
        rc = auto_flush(fc);
    return rc;
}

ferry_status ferry_log_metric(ferry_client *c, const char *run_id, const char *key, double value,
                              int64_t timestamp_ms, int64_t step)
{
    CALL(c, log_metric(c, run_id, key, value, timestamp_ms, step));
}

/* ---- Experiments --------------------------------------------------------- */

static int create_experiment(struct ferry_client *fc, const char *name, const char *loc, char **id)
{
    char *ignored = NULL;
    int rc = ferry_api_need(fc, name, "name") ||
             client_create_experiment(fc->c, name, loc, NULL, id ? id : &ignored, &fc->err);
    free(ignored);
    return rc ? -1 : 0;
}

ferry_status ferry_create_experiment(ferry_client *c, const char *name,
                                     const char *artifact_location, char **id)
{
    CALL(c, create_experiment(c, name, artifact_location, id));
}

/* The id of experiment name. create: make it when absent (and refuse a
 * deleted one, as mlflow.set_experiment does). */
static int experiment_id_by_name(struct ferry_client *fc, const char *name, int create, char **id)
{
    struct experiment e;
    if (ferry_api_need(fc, name, "name") || ferry_api_need(fc, id, "id"))
        return -1;
    *id = NULL;
    if (!client_get_experiment_by_name(fc->c, name, &e, &fc->err)) {
        int rc = 0;
        if (create && e.lifecycle_stage == LIFECYCLE_DELETED)
            rc = ferr_set(&fc->err, FERR_INVALID_STATE,
                          "experiment '%s' is deleted: restore it or choose another name", name);
        else
            *id = xstrdup(e.experiment_id);
        experiment_release(&e);
        return rc;
    }
    if (!create || fc->err.code != FERR_RESOURCE_DOES_NOT_EXIST)
        return -1;
    ferr_clear(&fc->err);
    if (!client_create_experiment(fc->c, name, NULL, NULL, id, &fc->err))
        return 0;
    if (fc->err.code != FERR_RESOURCE_ALREADY_EXISTS)
        return -1;
    ferr_clear(&fc->err); /* another process created it first: use theirs */
    return experiment_id_by_name(fc, name, 0, id);
}

ferry_status ferry_get_experiment_by_name(ferry_client *c, const char *name, char **id)
{
    CALL(c, experiment_id_by_name(c, name, 0, id));
}

ferry_status ferry_set_experiment(ferry_client *c, const char *name, char **id)
{
    CALL(c, experiment_id_by_name(c, name, 1, id));
}

/* The experiment used when the caller names none: $..._EXPERIMENT_NAME (made
 * when create and absent), else $..._EXPERIMENT_ID, else "0". */
static int default_experiment(struct ferry_client *fc, int create, char **id)
{
    const char *name = env_get("EXPERIMENT_NAME");
    if (name)
        return experiment_id_by_name(fc, name, create, id);
    const char *eid = env_get("EXPERIMENT_ID");
    *id = xstrdup(eid ? eid : "0");
    return 0;
}

/* ---- Runs ---------------------------------------------------------------- */

static void add_user_tag(struct kv_list *tags)
{
    const char *user = getenv("USER");
    if (!user || !*user)
        user = getenv("LOGNAME");
    if (user && *user) {
        kv_list_add(tags, TAG_USER, user);
        return;
    }
    size_t n = 16384;
    char *buf = xmalloc(n);
    struct passwd pw, *found = NULL;
    if (getpwuid_r(getuid(), &pw, buf, n, &found) != 0)
        found = NULL;
    kv_list_add(tags, TAG_USER, found ? found->pw_name : "unknown");
    free(buf);
}

static void add_source_tags(struct kv_list *tags)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *src = n > 0 ? exe : program_invocation_name;
    kv_list_add(tags, TAG_SOURCE_NAME, src && *src ? src : "unknown");
    kv_list_add(tags, TAG_SOURCE_TYPE, "LOCAL");
}

/* Resumes run id (from the environment): it must exist and not be deleted;
 * it is RUNNING again afterwards, as when MLflow resumes a run. */
static int resume_run(struct ferry_client *fc, const char *id, char **run_id)
{
    struct run r;
    int rc = 0;
    if (client_get_run(fc->c, id, &r, &fc->err))
        return -1;
    if (r.info.lifecycle_stage == LIFECYCLE_DELETED)
        rc = ferr_set(&fc->err, FERR_INVALID_STATE, "cannot resume run '%s': it is deleted", id);
    else if (r.info.status != RUN_RUNNING)
        rc = client_update_run(fc->c, id, RUN_RUNNING, TIME_NONE, NULL, &fc->err);
    if (!rc)
        *run_id = xstrdup(r.info.run_id);
    run_release(&r);
    return rc;
}

static int start_run(struct ferry_client *fc, const char *exp, const char *name, const char *parent,
                     char **run_id)
{
    const char *resume = env_get("RUN_ID");
    char *exp_id = NULL;
    struct kv_list tags = {0};
    struct run r;
    int rc = -1;
    if (ferry_api_need(fc, run_id, "run_id"))
        return -1;
    *run_id = NULL;
    if (resume && !parent)
        return resume_run(fc, resume, run_id);
    if (!exp && default_experiment(fc, 1, &exp_id))
        goto out;
    add_user_tag(&tags);
    add_source_tags(&tags);
    if (parent)
        kv_list_add(&tags, TAG_PARENT_RUN_ID, parent);
    struct run_create rc_ = {exp ? exp : exp_id, kv_list_get(&tags, TAG_USER), name, TIME_NONE,
                             tags};
    if (client_create_run(fc->c, &rc_, &r, &fc->err))
        goto out;
    *run_id = xstrdup(r.info.run_id);
    run_release(&r);
    rc = 0;
out:
    kv_list_release(&tags);
    free(exp_id);
    return rc;
}

ferry_status ferry_start_run(ferry_client *c, const char *experiment_id, const char *run_name,
                             const char *parent_run_id, char **run_id)
{
    CALL(c, start_run(c, experiment_id, run_name, parent_run_id, run_id));
}

static int end_run(struct ferry_client *fc, const char *run_id, ferry_run_status st)
{
    if (ferry_api_need(fc, run_id, "run_id"))
        return -1;
    if (st < FERRY_RUN_RUNNING || st > FERRY_RUN_KILLED)
        return ferr_set(&fc->err, FERR_INVALID_PARAMETER_VALUE, "invalid run status %d", (int)st);
    int flushed = flush_locked(fc);
    struct ferr flush_err = fc->err;
    int terminal = run_status_is_terminal((enum run_status)st);
    if (client_update_run(fc->c, run_id, (enum run_status)st, terminal ? ftime_now_ms() : TIME_NONE,
                          NULL, &fc->err))
        return -1;
    fc->err = flush_err; /* the status is set; still report lost metrics */
    return flushed;
}

ferry_status ferry_end_run(ferry_client *c, const char *run_id, ferry_run_status status)
{
    CALL(c, end_run(c, run_id, status));
}

static int log_kv(struct ferry_client *fc, const char *run_id, const char *key, const char *value,
                  int is_param)
{
    if (ferry_api_need(fc, run_id, "run_id") || ferry_api_need(fc, key, "key") ||
        ferry_api_need(fc, value, "value"))
        return -1;
    struct kv one = {(char *)key, (char *)value};
    struct kv_list l = {&one, 1, 1};
    return client_log_batch(fc->c, run_id, NULL, is_param ? &l : NULL, is_param ? NULL : &l,
                            &fc->err);
}

ferry_status ferry_log_param(ferry_client *c, const char *run_id, const char *key,
                             const char *value)
{
    CALL(c, log_kv(c, run_id, key, value, 1));
}

ferry_status ferry_set_tag(ferry_client *c, const char *run_id, const char *key, const char *value)
{
    CALL(c, log_kv(c, run_id, key, value, 0));
}

ferry_status ferry_delete_tag(ferry_client *c, const char *run_id, const char *key)
{
    CALL(c, client_delete_tag(c->c, run_id, key, &c->err));
}

/* ---- Search -------------------------------------------------------------- */

static int search(struct ferry_client *fc, const char *const *ids, size_t n, const char *filter,
                  const char *order, int64_t max, const char *token, struct ferry_runs **out)
{
    char *def = NULL;
    const char *orders[1] = {order};
    if (ferry_api_need(fc, out, "out"))
        return -1;
    *out = NULL;
    if ((!ids || !n) && default_experiment(fc, 0, &def))
        return -1;
    struct run_search q = {def ? (const char **)&def : (const char **)ids,
                           def ? 1 : n,
                           filter,
                           VIEW_ACTIVE_ONLY,
                           max ? max : DEFAULT_RESULTS_SEARCH_RUNS,
                           order ? orders : NULL,
                           order ? 1 : 0,
                           token};
    struct ferry_runs *r = xcalloc(1, sizeof(*r));
    int rc = flush_locked(fc) || client_search_runs(fc->c, &q, &r->l, &fc->err) ? -1 : 0;
    if (rc)
        free(r);
    else
        *out = r;
    free(def);
    return rc;
}

ferry_status ferry_search_runs(ferry_client *c, const char *const *experiment_ids,
                               size_t n_experiment_ids, const char *filter, const char *order_by,
                               int64_t max_results, const char *page_token, ferry_runs **out)
{
    CALL(c, search(c, experiment_ids, n_experiment_ids, filter, order_by, max_results, page_token,
                   out));
}

static const struct run *run_at(const ferry_runs *r, size_t i)
{
    return r && i < r->l.n ? &r->l.v[i] : NULL;
}

size_t ferry_runs_count(const ferry_runs *r)
{
    return r ? r->l.n : 0;
}

const char *ferry_runs_id(const ferry_runs *r, size_t i)
{
    const struct run *run = run_at(r, i);
    return run ? run->info.run_id : NULL;
}

const char *ferry_runs_name(const ferry_runs *r, size_t i)
{
    const struct run *run = run_at(r, i);
    return run ? run->info.run_name : NULL;
}

ferry_run_status ferry_runs_status(const ferry_runs *r, size_t i)
{
    const struct run *run = run_at(r, i);
    return run ? (ferry_run_status)run->info.status : (ferry_run_status)0;
}

int ferry_runs_metric(const ferry_runs *r, size_t i, const char *key, double *value)
{
    const struct run *run = run_at(r, i);
    for (size_t k = 0; run && key && k < run->metrics.n; k++) {
        if (!strcmp(run->metrics.v[k].key, key)) {
            if (value)
                *value = run->metrics.v[k].value;
            return 1;
        }
    }
    return 0;
}

const char *ferry_runs_param(const ferry_runs *r, size_t i, const char *key)
{
    const struct run *run = run_at(r, i);
    return run && key ? kv_list_get(&run->params, key) : NULL;
}

const char *ferry_runs_tag(const ferry_runs *r, size_t i, const char *key)
{
    const struct run *run = run_at(r, i);
    return run && key ? kv_list_get(&run->tags, key) : NULL;
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

/* ---- Metric history ------------------------------------------------------ */

static int history(struct ferry_client *fc, const char *run_id, const char *key,
                   ferry_metric **points, size_t *n)
{
    struct metric_list l;
    if (ferry_api_need(fc, points, "points") || ferry_api_need(fc, n, "n"))
        return -1;
    *points = NULL;
    *n = 0;
    if (flush_locked(fc) || client_metric_history(fc->c, run_id, key, &l, &fc->err))
        return -1;
    if (l.n)
        *points = xcalloc(l.n, sizeof(**points));
    for (size_t i = 0; i < l.n; i++)
        (*points)[i] = (ferry_metric){l.v[i].value, l.v[i].timestamp, l.v[i].step};
    *n = l.n;
    metric_list_release(&l);
    return 0;
}

ferry_status ferry_get_metric_history(ferry_client *c, const char *run_id, const char *key,
                                      ferry_metric **points, size_t *n)
{
    CALL(c, history(c, run_id, key, points, n));
}

/* ---------- artifacts ---------- */

static int log_artifact(struct ferry_client *fc, const char *run_id, const char *local_path,
                        const char *artifact_path)
{
    if (ferry_api_need(fc, run_id, "run_id") || ferry_api_need(fc, local_path, "local_path"))
        return -1;
    return client_log_artifacts(fc->c, run_id, local_path, artifact_path, NULL, NULL, &fc->err);
}

ferry_status ferry_log_artifact(ferry_client *c, const char *run_id, const char *local_path,
                                const char *artifact_path)
{
    CALL(c, log_artifact(c, run_id, local_path, artifact_path));
}

static int list_artifacts(struct ferry_client *fc, const char *run_id, const char *path,
                          ferry_artifact **out, size_t *n)
{
    struct artifact_list l;
    if (ferry_api_need(fc, run_id, "run_id") || ferry_api_need(fc, out, "out") ||
        ferry_api_need(fc, n, "n"))
        return -1;
    *out = NULL;
    *n = 0;
    if (client_list_artifacts(fc->c, run_id, path, &l, &fc->err))
        return -1;
    if (l.n)
        *out = xcalloc(l.n, sizeof(**out));
    for (size_t i = 0; i < l.n; i++) {
        (*out)[i] = (ferry_artifact){l.v[i].path, l.v[i].is_dir, l.v[i].size};
        l.v[i].path = NULL; /* moved */
    }
    *n = l.n;
    artifact_list_release(&l);
    return 0;
}

ferry_status ferry_list_artifacts(ferry_client *c, const char *run_id, const char *path,
                                  ferry_artifact **out, size_t *n)
{
    CALL(c, list_artifacts(c, run_id, path, out, n));
}

void ferry_artifacts_free(ferry_artifact *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        free(a[i].path);
    free(a);
}

static int download_artifacts(struct ferry_client *fc, const char *run_id, const char *path,
                              const char *dst_dir)
{
    if (ferry_api_need(fc, run_id, "run_id") || ferry_api_need(fc, dst_dir, "dst_dir"))
        return -1;
    return client_download_artifacts(fc->c, run_id, path, dst_dir, NULL, NULL, &fc->err);
}

ferry_status ferry_download_artifacts(ferry_client *c, const char *run_id, const char *path,
                                      const char *dst_dir)
{
    CALL(c, download_artifacts(c, run_id, path, dst_dir));
}

/* ---------- model registry ---------- */

static int register_model(struct ferry_client *fc, const char *source, const char *name,
                          int64_t *version)
{
    char run_id[33] = "";
    if (ferry_api_need(fc, source, "source") || ferry_api_need(fc, name, "name"))
        return -1;
    if (!strncmp(source, "runs:/", 6)) {
        /* the run must exist, as MLflow's client checks when it resolves a
         * runs:/ source (the server stores any run id it is given) */
        struct run run;
        snprintf(run_id, sizeof(run_id), "%.*s", (int)strcspn(source + 6, "/"), source + 6);
        if (client_get_run(fc->c, run_id, &run, &fc->err))
            return -1;
        run_release(&run);
    }
    struct reg_write cm = {.action = REG_CREATE_MODEL, .name = name};
    if (client_registry_write(fc->c, &cm, &fc->err)) {
        if (fc->err.code != FERR_RESOURCE_ALREADY_EXISTS)
            return -1;
        ferr_clear(&fc->err);
    }
    struct reg_write cv = {.action = REG_CREATE_VERSION,
                           .name = name,
                           .source = source,
                           .run_id = *run_id ? run_id : NULL};
    if (client_registry_write(fc->c, &cv, &fc->err))
        return -1;
    if (version)
        *version = cv.created_version;
    return 0;
}

ferry_status ferry_register_model(ferry_client *c, const char *source, const char *name,
                                  int64_t *version)
{
    CALL(c, register_model(c, source, name, version));
}

static int transition(struct ferry_client *fc, const char *name, int64_t version, const char *stage,
                      int archive_existing)
{
    struct reg_write w = {.action = REG_TRANSITION,
                          .name = name,
                          .version = version,
                          .stage = stage,
                          .archive_existing = archive_existing != 0};
    if (ferry_api_need(fc, name, "name") || ferry_api_need(fc, stage, "stage"))
        return -1;
    return client_registry_write(fc->c, &w, &fc->err);
}

ferry_status ferry_transition_model_version(ferry_client *c, const char *name, int64_t version,
                                            const char *stage, int archive_existing)
{
    CALL(c, transition(c, name, version, stage, archive_existing));
}

static int set_alias(struct ferry_client *fc, const char *name, const char *alias, int64_t version)
{
    struct reg_write w = {.action = version ? REG_SET_ALIAS : REG_DELETE_ALIAS,
                          .name = name,
                          .alias = alias,
                          .version = version};
    if (ferry_api_need(fc, name, "name") || ferry_api_need(fc, alias, "alias"))
        return -1;
    if (version < 0)
        return ferr_set(&fc->err, FERR_INVALID_PARAMETER_VALUE,
                        "version %" PRId64 " is not a version number", version);
    return client_registry_write(fc->c, &w, &fc->err);
}

ferry_status ferry_set_model_alias(ferry_client *c, const char *name, const char *alias,
                                   int64_t version)
{
    CALL(c, set_alias(c, name, alias, version));
}

static int resolve(struct ferry_client *fc, const char *uri, char **artifact_uri)
{
    if (ferry_api_need(fc, uri, "uri") || ferry_api_need(fc, artifact_uri, "artifact_uri"))
        return -1;
    return client_resolve_model_uri(fc->c, uri, artifact_uri, NULL, &fc->err);
}

ferry_status ferry_resolve_model_uri(ferry_client *c, const char *uri, char **artifact_uri)
{
    CALL(c, resolve(c, uri, artifact_uri));
}
