/* SPDX-License-Identifier: MIT
 * The prediction log's front (store/predictions.h): argument checks, id
 * parsing, page tokens, the hourly aggregates' recomputation (once for
 * both backends) and retention by each deployment's spec.
 *
 * Page tokens name the last row of the page: base64 of
 * {"after": "<uuid>/<row>"} (the same shape as base/page_token.h's
 * offsets, which a log that grows at its end and loses whole days at its
 * start cannot use: an offset would shift under the reader).
 *
 * A caller's id with a "/<digits>" suffix names that row of the caller's
 * request ("abc/2" is row 2 of "abc"); a caller whose own ids end so must
 * name row 0 as "abc/2/0". */
#include "store/predictions.h"

#include "base/b64.h"
#include "base/ftime.h"
#include "base/xalloc.h"
#include "domain/deployment.h"
#include "domain/prediction_stats.h"
#include "store/backend.h"
#include "store/deployment_record.h"
#include "store/deployments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define AREA                 "prediction log"
#define HOUR_MS              3600000LL
#define DAY_MS               86400000LL
#define DEFAULT_RETENTION_MS (30 * DAY_MS)
#define FEEDBACK_MAX         10000
#define SEARCH_DEFAULT       1000
#define SEARCH_MAX           10000
#define PRED_MAX_BLOB        (16 << 20)

/* ---------- checks ---------- */

static int check_deployment(const char *name, int required, struct ferr *err)
{
    if (!name && !required)
        return 0;
    if (!name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a deployment is required");
    return deployment_name_check(name, err);
}

static int check_range(int64_t start_ms, int64_t end_ms, struct ferr *err)
{
    if (start_ms < 0 || end_ms < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "times must be 0 or more");
    if (end_ms && start_ms >= end_ms)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "start_time must be before end_time");
    return 0;
}

static int check_row(const struct pred_row *r, size_t i, struct ferr *err)
{
    const struct pred_target *t = &r->target;
    if (deployment_name_check(t->deployment, err))
        return -1;
    if (!t->model || !*t->model || t->version < 0 || t->revision < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "row %zu: no model version", i);
    if ((r->rid[6] >> 4) != 7 || (r->rid[8] & 0xc0) != 0x80)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "row %zu: the id is no UUIDv7", i);
    if (r->nrows < 1 || r->row >= r->nrows)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "row %zu: row %u of %u", i,
                        (unsigned)r->row, (unsigned)r->nrows);
    if (r->status < 100 || r->status > 599)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "row %zu: status %d", i, r->status);
    if (r->ninputs > PRED_MAX_BLOB || r->noutputs > PRED_MAX_BLOB || (r->ninputs && !r->inputs) ||
        (r->noutputs && !r->outputs))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "row %zu: bad inputs or outputs", i);
    return 0;
}

/* ---------- writes ---------- */

int store_predictions_put(struct store *s, const struct pred_row *rows, size_t n, struct ferr *err)
{
    if (!s->predictions)
        return store_lacks(s, AREA, err);
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (check_row(&rows[i], i, err))
            return -1;
    return s->predictions->put(s, rows, n, err);
}

/* A caller id's "/<digits>" suffix: the row it names, cut off in *len. */
static uint32_t caller_row(const char *id, size_t *len)
{
    size_t n = strlen(id);
    *len = n;
    const char *slash = strrchr(id, '/');
    if (!slash || slash == id || !slash[1] || (slash[1] == '0' && slash[2]))
        return 0;
    uint64_t v = 0;
    for (const char *p = slash + 1; *p; p++) {
        if (*p < '0' || *p > '9' || v > UINT32_MAX / 10)
            return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > UINT32_MAX)
        return 0;
    *len = (size_t)(slash - id);
    return (uint32_t)v;
}

int store_feedback_put(struct store *s, const char *deployment, const struct feedback_label *labels,
                       size_t n, const char *user, struct feedback_result *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->predictions)
        return store_lacks(s, AREA, err);
    if (check_deployment(deployment, 0, err))
        return -1;
    if (n > FEEDBACK_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "at most %d labels a request, got %zu",
                        FEEDBACK_MAX, n);
    for (size_t i = 0; i < n; i++) {
        if (!labels[i].id || !*labels[i].id || strlen(labels[i].id) > 256)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "label %zu: request_id must be 1 to 256 characters", i);
        if (!labels[i].label || strlen(labels[i].label) > 1024)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "label %zu: a label of at most 1024 characters is required", i);
        if (labels[i].time_ms < 0)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "label %zu: negative timestamp", i);
    }
    if (!n)
        return 0;
    unsigned char(*rid)[PRED_RID_BYTES] = xcalloc(n, sizeof(*rid));
    uint32_t *row = xcalloc(n, sizeof(*row));
    unsigned char *is_rid = xcalloc(n, 1), *found = xcalloc(n, 1);
    struct feedback_label *lab = xcalloc(n, sizeof(*lab));
    char **owned = xcalloc(n, sizeof(*owned));
    for (size_t i = 0; i < n; i++) {
        lab[i] = labels[i];
        int given;
        if (!pred_feedback_id_parse(labels[i].id, rid[i], &row[i], &given)) {
            is_rid[i] = 1;
            continue;
        }
        size_t len;
        row[i] = caller_row(labels[i].id, &len);
        if (len != strlen(labels[i].id)) {
            owned[i] = xstrndup(labels[i].id, len);
            lab[i].id = owned[i];
        }
    }
    int64_t now = ftime_now_ms();
    int rc = s->predictions->label(s, deployment, lab, (const unsigned char(*)[PRED_RID_BYTES])rid,
                                   row, is_rid, n, user ? user : "", now, found, err);
    /* a UUIDv7 no row has as its id may be a caller's X-Request-Id (callers
     * make UUIDv7s too): looked up as one, the others left alone */
    size_t retry = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        if (found[i] || !is_rid[i]) {
            found[i] = found[i] ? 1 : 2;
            continue;
        }
        size_t len;
        is_rid[i] = 0;
        row[i] = caller_row(labels[i].id, &len);
        if (len != strlen(labels[i].id)) {
            owned[i] = xstrndup(labels[i].id, len);
            lab[i].id = owned[i];
        }
        retry++;
    }
    if (!rc && retry)
        rc = s->predictions->label(s, deployment, lab, (const unsigned char(*)[PRED_RID_BYTES])rid,
                                   row, is_rid, n, user ? user : "", now, found, err);
    for (size_t i = 0; i < n; i++)
        if (found[i] == 2)
            found[i] = 0;
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            if (found[i]) {
                out->accepted++;
                continue;
            }
            out->unknown = xrealloc(out->unknown, (out->nunknown + 1) * sizeof(*out->unknown));
            out->unknown[out->nunknown++] = xstrdup(labels[i].id);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(owned[i]);
    free(owned);
    free(lab);
    free(rid);
    free(row);
    free(is_rid);
    free(found);
    return rc;
}

/* ---------- reads ---------- */

static void token_encode(const struct pred_row *r, char **out)
{
    char id[37];
    pred_rid_text(r->rid, id);
    char raw[96];
    int n = snprintf(raw, sizeof(raw), "{\"after\": \"%s/%u\", \"shadow\": %d}", id,
                     (unsigned)r->row, r->target.shadow ? 1 : 0);
    struct sbuf sb = SBUF_INIT;
    b64_encode(&sb, raw, (size_t)n);
    *out = sbuf_detach(&sb, NULL);
}

static int token_decode(const char *token, unsigned char rid[PRED_RID_BYTES], uint32_t *row,
                        struct ferr *err)
{
    struct sbuf raw = SBUF_INIT;
    json_t *j = NULL;
    int rc = -1, given;
    if (b64_decode(&raw, token))
        goto out;
    j = json_loadb(raw.buf, raw.len, 0, NULL);
    json_t *a = j ? json_object_get(j, "after") : NULL;
    json_t *sh = j ? json_object_get(j, "shadow") : NULL;
    if (!json_is_string(a) || pred_feedback_id_parse(json_string_value(a), rid, row, &given) ||
        !given || *row >= (1u << 31) || (sh && !json_is_integer(sh)))
        goto out;
    /* the backend's position: the row's index, then its answer before its shadows' */
    *row = *row * 2 + (json_integer_value(sh) ? 1 : 0);
    rc = 0;
out:
    if (rc)
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid page_token '%.60s'", token);
    json_decref(j);
    sbuf_release(&raw);
    return rc;
}

static int check_model(const char *model, struct ferr *err)
{
    if (!model)
        return 0;
    const char *slash = strrchr(model, '/');
    char *end = NULL;
    long long v = slash ? strtoll(slash + 1, &end, 10) : -1;
    if (!slash || slash == model || !slash[1] || *end || v < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "model '%.100s' is not 'name/version'",
                        model);
    return 0;
}

int store_predictions_search(struct store *s, const struct prediction_query *q,
                             struct pred_row_list *out, char **next_page_token, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    *next_page_token = NULL;
    if (!s->predictions)
        return store_lacks(s, AREA, err);
    if (check_deployment(q->deployment, 1, err) || check_range(q->start_ms, q->end_ms, err) ||
        check_model(q->model, err))
        return -1;
    if (q->labeled < -1 || q->labeled > 1 || q->shadow < -1 || q->shadow > 1 || q->status < 0 ||
        q->status > 2)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "bad labeled, shadow or status filter");
    if (q->max_results < 0 || q->max_results > SEARCH_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "max_results must be between 1 and %d",
                        SEARCH_MAX);
    size_t limit = q->max_results ? (size_t)q->max_results : SEARCH_DEFAULT;
    unsigned char after[PRED_RID_BYTES];
    uint32_t after_row = 0;
    int has_after = 0;
    if (q->page_token && *q->page_token) {
        if (token_decode(q->page_token, after, &after_row, err))
            return -1;
        has_after = 1;
    }
    if (s->predictions->search(s, q, has_after ? after : NULL, after_row, limit + 1, out, err))
        return -1;
    if (out->n > limit) {
        while (out->n > limit)
            pred_row_release(&out->v[--out->n]);
        token_encode(&out->v[out->n - 1], next_page_token);
    }
    return 0;
}

int store_predictions_scan(struct store *s, const char *deployment, int64_t start_ms,
                           int64_t end_ms, pred_row_fn fn, void *arg, struct ferr *err)
{
    if (!s->predictions)
        return store_lacks(s, AREA, err);
    if (check_deployment(deployment, 1, err) || check_range(start_ms, end_ms, err))
        return -1;
    return s->predictions->scan(s, deployment, start_ms, end_ms, fn, arg, err);
}

int store_prediction_get(struct store *s, const char *deployment, const char *id,
                         struct pred_row *out, struct label_change_list *history, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (history)
        memset(history, 0, sizeof(*history));
    if (!s->predictions)
        return store_lacks(s, AREA, err);
    if (check_deployment(deployment, 0, err))
        return -1;
    if (!id || !*id || strlen(id) > 256)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a request id is required");
    unsigned char rid[PRED_RID_BYTES];
    uint32_t row;
    int given;
    if (!pred_feedback_id_parse(id, rid, &row, &given)) {
        if (!s->predictions->get(s, deployment, rid, row, NULL, out, history, err))
            return 0;
        if (err->code != FERR_RESOURCE_DOES_NOT_EXIST)
            return -1;
        ferr_clear(err); /* a caller's UUIDv7, as feedback takes it */
    }
    size_t len;
    row = caller_row(id, &len);
    char *caller = xstrndup(id, len);
    int rc = s->predictions->get(s, deployment, NULL, row, caller, out, history, err);
    free(caller);
    return rc;
}

/* ---------- hourly aggregates ---------- */

/* One (target, slice)'s statistics in the hour being recomputed. */
struct agg {
    size_t target; /* index in hr->targets */
    char *key, *value;
    struct pred_stats stats;
};

struct agg_target {
    struct pred_target t;
    struct pred_task task;
    size_t whole; /* its agg */
};

struct hour_refresh {
    const char *spec_task; /* the deployment's, when it exists */
    const json_t *spec_positive;
    struct agg_target *targets;
    size_t ntargets;
    struct agg *aggs;
    size_t naggs, aggs_alloc;
    size_t last; /* the last row's target, tried first */
};

/* Distinct values of one tag kept per target and hour; the rest are
 * added up as SLICE_OTHER. A tag that takes a new value every request (a
 * session id) must not cost an aggregate row each: the hour's recompute
 * and every read of it would grow with the traffic. */
#define SLICE_VALUES_MAX 100
#define SLICE_OTHER      "(other)"

static size_t new_agg(struct hour_refresh *h, size_t target, const char *key, size_t klen,
                      const char *value, size_t vlen)
{
    if (h->naggs == h->aggs_alloc) {
        h->aggs_alloc = h->aggs_alloc ? 2 * h->aggs_alloc : 16;
        h->aggs = xrealloc(h->aggs, h->aggs_alloc * sizeof(*h->aggs));
    }
    struct agg *a = &h->aggs[h->naggs];
    a->target = target;
    a->key = xstrndup(key, klen);
    a->value = xstrndup(value, vlen);
    pred_stats_init(&a->stats, &h->targets[target].task);
    return h->naggs++;
}

static size_t target_of(struct hour_refresh *h, const struct pred_target *t)
{
    if (h->last < h->ntargets && pred_target_equal(&h->targets[h->last].t, t))
        return h->last;
    for (size_t i = 0; i < h->ntargets; i++)
        if (pred_target_equal(&h->targets[i].t, t))
            return h->last = i;
    h->targets = xrealloc(h->targets, (h->ntargets + 1) * sizeof(*h->targets));
    struct agg_target *at = &h->targets[h->ntargets];
    pred_target_copy(t, &at->t);
    pred_task_resolve(h->spec_task, h->spec_positive, t, &at->task);
    h->ntargets++;
    at->whole = new_agg(h, h->ntargets - 1, "", 0, "", 0);
    return h->last = h->ntargets - 1;
}

static void add_tag(struct hour_refresh *h, size_t target, const struct pred_row *r, const char *k,
                    size_t klen, const char *v, size_t vlen)
{
    char key[256];
    int kn = snprintf(key, sizeof(key), "tag:%.*s", (int)klen, k);
    if (kn < 0 || (size_t)kn >= sizeof(key))
        return;
    size_t i, values = 0, other = h->naggs;
    for (i = 0; i < h->naggs; i++) {
        struct agg *a = &h->aggs[i];
        if (a->target != target || strcmp(a->key, key))
            continue;
        if (strlen(a->value) == vlen && !memcmp(a->value, v, vlen))
            break;
        if (!strcmp(a->value, SLICE_OTHER))
            other = i;
        else
            values++;
    }
    if (i == h->naggs) {
        if (values < SLICE_VALUES_MAX)
            i = new_agg(h, target, key, (size_t)kn, v, vlen);
        else if (other < h->naggs)
            i = other;
        else
            i = new_agg(h, target, key, (size_t)kn, SLICE_OTHER, strlen(SLICE_OTHER));
    }
    pred_stats_add_row(&h->aggs[i].stats, r, NULL);
}

static int refresh_row(void *arg, const struct pred_row *r, struct ferr *err)
{
    (void)err;
    struct hour_refresh *h = arg;
    size_t t = target_of(h, &r->target);
    pred_stats_add_row(&h->aggs[h->targets[t].whole].stats, r, NULL);
    for (const char *p = r->tags; p && *p;) {
        size_t n = strcspn(p, ",");
        const char *eq = memchr(p, '=', n);
        if (eq && eq > p)
            add_tag(h, t, r, p, (size_t)(eq - p), eq + 1, n - (size_t)(eq - p) - 1);
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

static void hour_refresh_release(struct hour_refresh *h)
{
    for (size_t i = 0; i < h->naggs; i++) {
        free(h->aggs[i].key);
        free(h->aggs[i].value);
        pred_stats_release(&h->aggs[i].stats);
    }
    for (size_t i = 0; i < h->ntargets; i++) {
        pred_target_release(&h->targets[i].t);
        pred_task_release(&h->targets[i].task);
    }
    free(h->aggs);
    free(h->targets);
    h->aggs = NULL;
    h->targets = NULL;
    h->naggs = h->aggs_alloc = h->ntargets = 0;
    h->last = 0;
}

/* The hour's aggregates, from its rows, replacing what is stored. */
static int refresh_hour(struct store *s, const char *deployment, const struct pred_dirty_hour *dh,
                        struct hour_refresh *h, struct ferr *err)
{
    if (s->predictions->scan(s, deployment, dh->hour_ms, dh->hour_ms + HOUR_MS, refresh_row, h,
                             err))
        return -1;
    struct pred_hour *rows = xcalloc(h->naggs ? h->naggs : 1, sizeof(*rows));
    for (size_t i = 0; i < h->naggs; i++) {
        struct agg *a = &h->aggs[i];
        struct pred_hour *ph = &rows[i];
        ph->hour_ms = dh->hour_ms;
        ph->target = h->targets[a->target].t; /* borrowed */
        ph->slice_key = a->key;
        ph->slice_value = a->value;
        ph->count = a->stats.count;
        ph->failed = a->stats.failed;
        ph->labeled = a->stats.labeled;
        struct sbuf lat = SBUF_INIT;
        latency_hist_encode(&a->stats.latency, &lat);
        ph->latency = sbuf_detach(&lat, NULL);
        json_t *j = pred_stats_to_json(&a->stats);
        ph->stats = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!ph->stats)
            ph->stats = xstrdup("{}");
    }
    int rc = s->predictions->hour_replace(s, deployment, dh, rows, h->naggs, err);
    for (size_t i = 0; i < h->naggs; i++) {
        free(rows[i].latency);
        free(rows[i].stats);
    }
    free(rows);
    hour_refresh_release(h);
    return rc;
}

int store_prediction_hours_refresh(struct store *s, const char *deployment, int64_t start_ms,
                                   int64_t end_ms, int64_t *refreshed, struct ferr *err)
{
    if (refreshed)
        *refreshed = 0;
    if (!s->predictions)
        return store_lacks(s, AREA, err);
    if (check_deployment(deployment, 1, err) || check_range(start_ms, end_ms, err))
        return -1;
    struct pred_dirty_hour *dirty = NULL;
    size_t nd = 0;
    if (s->predictions->dirty(s, deployment, start_ms, end_ms, &dirty, &nd, err))
        return -1;
    if (!nd) {
        free(dirty);
        return 0;
    }
    /* The task from the spec while the deployment exists, else the targets'. */
    struct deployment d;
    struct ferr derr = FERR_INIT;
    int have = s->deployments && !store_deployment_get(s, deployment, &d, &derr);
    if (!have && derr.code != FERR_OK && derr.code != FERR_RESOURCE_DOES_NOT_EXIST) {
        *err = derr;
        free(dirty);
        return -1;
    }
    struct hour_refresh h;
    memset(&h, 0, sizeof(h));
    h.spec_task = have ? d.spec.task : NULL;
    h.spec_positive = have ? d.spec.positive_label : NULL;
    int rc = 0;
    for (size_t i = 0; i < nd && !rc; i++) {
        rc = refresh_hour(s, deployment, &dirty[i], &h, err);
        if (!rc && refreshed)
            (*refreshed)++;
    }
    hour_refresh_release(&h);
    if (have)
        deployment_release(&d);
    free(dirty);
    return rc;
}

int store_prediction_hours(struct store *s, const char *deployment, int64_t start_ms,
                           int64_t end_ms, struct pred_hour_list *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (store_prediction_hours_refresh(s, deployment, start_ms, end_ms, NULL, err))
        return -1;
    return s->predictions->hours(s, deployment, start_ms, end_ms, out, err);
}

/* ---------- retention ---------- */

int store_predictions_drop_before(struct store *s, const char *deployment, int64_t before_ms,
                                  int64_t *dropped, struct ferr *err)
{
    if (dropped)
        *dropped = 0;
    if (!s->predictions)
        return store_lacks(s, AREA, err);
    if (check_deployment(deployment, 0, err))
        return -1;
    if (before_ms <= 0)
        return 0;
    return s->predictions->drop_before(s, deployment, before_ms, dropped, err);
}

int store_predictions_deployments(struct store *s, char ***names, size_t *n, struct ferr *err)
{
    *names = NULL;
    *n = 0;
    if (!s->predictions)
        return store_lacks(s, AREA, err);
    return s->predictions->deployments(s, names, n, err);
}

int store_predictions_gc(struct store *s, int64_t now_ms, int64_t *dropped, struct ferr *err)
{
    if (dropped)
        *dropped = 0;
    if (!s->predictions)
        return 0; /* nothing is logged in a store without a log */
    char **names;
    size_t n;
    if (store_predictions_deployments(s, &names, &n, err))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        int64_t retention = DEFAULT_RETENTION_MS;
        struct deployment d;
        struct ferr derr = FERR_INIT;
        if (s->deployments && !store_deployment_get(s, names[i], &d, &derr)) {
            if (d.spec.log.retention_ms > 0)
                retention = d.spec.log.retention_ms;
            deployment_release(&d);
        } else if (s->deployments && derr.code != FERR_RESOURCE_DOES_NOT_EXIST) {
            *err = derr;
            rc = -1;
            break;
        }
        int64_t k = 0;
        rc = store_predictions_drop_before(s, names[i], now_ms - retention, &k, err);
        if (dropped)
            *dropped += k;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}
