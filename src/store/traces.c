/* SPDX-License-Identifier: MIT
 * The traces front: argument checks in MLflow's order (its handlers', then
 * its store's), new 2.x ids, the checks of a delete request, search
 * defaults and page tokens; then the backend (s->traces). Whether a trace
 * or an experiment exists, and the experiment's state, are the backend's. */
#include "store/traces.h"
#include "base/json.h"
#include "store/backend.h"
#include "base/ids.h"
#include "base/utf8.h"
#include "base/xalloc.h"
#include "domain/validate.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define AREA "traces"

static int check_entries(const char *what, const struct kv_list *l, struct ferr *err)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (validate_trace_entry(what, l->v[i].key, l->v[i].value, err))
            return -1;
    return 0;
}

static int parse_experiment_id(const char *id, int64_t *out, struct ferr *err)
{
    if (!id || !*id)
        return fjson_missing(err, "experiment_id");
    if (validate_experiment_id(id, err))
        return -1;
    *out = strtoll(id, NULL, 10);
    return 0;
}

static int check_request_id(const char *id, struct ferr *err)
{
    if (!id || !*id)
        return fjson_missing(err, "request_id");
    return 0;
}

int store_start_trace(struct store *s, const char *experiment_id, int64_t timestamp_ms,
                      const struct kv_list *request_metadata, const struct kv_list *tags,
                      struct trace_info *out, struct ferr *err)
{
    char id[RUN_ID_LEN + 1];
    int64_t eid;
    if (!s->traces)
        return store_lacks(s, AREA, err);
    if (parse_experiment_id(experiment_id, &eid, err) ||
        check_entries("request metadata", request_metadata, err) ||
        check_entries("trace tag", tags, err))
        return -1;
    ids_new_run_id(id);
    struct trace_info t = {.request_id = id,
                           .timestamp_ms = timestamp_ms,
                           .execution_time_ms = TIME_NONE,
                           .status = TRACE_IN_PROGRESS};
    /* shallow: the lists stay the caller's */
    if (request_metadata)
        t.request_metadata = *request_metadata;
    if (tags)
        t.tags = *tags;
    return s->traces->create(s, &t, eid, 0, out, err);
}

int store_end_trace(struct store *s, const char *request_id, int64_t end_ms,
                    enum trace_status status, const struct kv_list *request_metadata,
                    const struct kv_list *tags, struct trace_info *out, struct ferr *err)
{
    static const struct kv_list none = {NULL, 0, 0};
    if (!s->traces)
        return store_lacks(s, AREA, err);
    if (check_request_id(request_id, err))
        return -1;
    if (end_ms == TIME_NONE)
        return fjson_missing(err, "timestamp_ms");
    if (check_entries("request metadata", request_metadata, err) ||
        check_entries("trace tag", tags, err))
        return -1;
    return s->traces->end(s, request_id, end_ms, status,
                          request_metadata ? request_metadata : &none, tags ? tags : &none, out,
                          err);
}

static int check_v3(const struct trace_info *t, int64_t *eid, struct ferr *err)
{
    if (validate_trace_id(t->request_id, err) || parse_experiment_id(t->experiment_id, eid, err))
        return -1;
    if (t->timestamp_ms == TIME_NONE)
        return fjson_missing(err, "request_time");
    if (t->execution_time_ms != TIME_NONE && t->execution_time_ms < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid execution_duration: it must not be negative");
    return validate_trace_preview("client_request_id", t->client_request_id, err) ||
                   validate_trace_preview("request_preview", t->request_preview, err) ||
                   validate_trace_preview("response_preview", t->response_preview, err) ||
                   check_entries("trace metadata", &t->request_metadata, err) ||
                   check_entries("trace tag", &t->tags, err)
               ? -1
               : 0;
}

int store_log_trace(struct store *s, const struct trace_info *t, struct trace_info *out,
                    struct ferr *err)
{
    int64_t eid;
    if (!s->traces)
        return store_lacks(s, AREA, err);
    if (check_v3(t, &eid, err))
        return -1;
    return s->traces->create(s, t, eid, 1, out, err);
}

int store_get_trace_info(struct store *s, const char *request_id, struct trace_info *out,
                         struct ferr *err)
{
    if (!s->traces)
        return store_lacks(s, AREA, err);
    if (check_request_id(request_id, err))
        return -1;
    return s->traces->get(s, request_id, out, err);
}

int store_search_traces(struct store *s, const struct trace_search *q, struct trace_info_list *out,
                        struct ferr *err)
{
    struct store_page page;
    memset(out, 0, sizeof(*out));
    if (!s->traces)
        return store_lacks(s, AREA, err);
    if (store_page_open(&page, q->max_results, MAX_RESULTS_SEARCH_TRACES, q->page_token, err) ||
        s->traces->search(s, q, &page, out, err))
        return -1;
    store_page_close(&page, &out->next_page_token);
    return 0;
}

/* MLflow's rules for a delete request, in its order. */
static int check_delete(const struct trace_delete *q, struct ferr *err)
{
    int by_time = q->max_timestamp_millis != TIME_NONE, by_ids = q->nrequest_ids > 0;
    if (!by_time && !by_ids)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "either `max_timestamp_millis` or `request_ids` must be specified");
    if (by_time && by_ids)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "only one of `max_timestamp_millis` and `request_ids` can be specified");
    if (by_ids && q->max_traces != TIME_NONE)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "`max_traces` can't be specified if `request_ids` is specified");
    if (q->max_traces != TIME_NONE && q->max_traces <= 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "`max_traces` must be a positive integer, received %" PRId64,
                        q->max_traces);
    if (q->nrequest_ids > MAX_TRACE_IDS_PER_DELETE)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "too many request_ids (%zu, at most %d)",
                        q->nrequest_ids, MAX_TRACE_IDS_PER_DELETE);
    for (size_t i = 0; i < q->nrequest_ids; i++)
        if (!q->request_ids[i])
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid value for parameter 'request_ids': expected strings");
    return 0;
}

int store_delete_traces(struct store *s, const struct trace_delete *q, int64_t *deleted,
                        struct ferr *err)
{
    int64_t eid;
    *deleted = 0;
    if (!s->traces)
        return store_lacks(s, AREA, err);
    if (parse_experiment_id(q->experiment_id, &eid, err) || check_delete(q, err))
        return -1;
    return s->traces->delete_traces(s, eid, q, deleted, err);
}

/* The bytes of s's first max characters (all of s when it is shorter). */
static size_t prefix_bytes(const char *s, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, len = strlen(s);
    for (size_t chars = 0; i < len && chars < max; chars++) {
        size_t n = utf8_seq(u + i, len - i);
        i += n ? n : 1;
    }
    return i;
}

/* MLflow truncates a tag value set on its own to 8000 characters rather
 * than refuse it: its 2.x client sets mlflow.traceSpans, a summary of every
 * span, this way, and a refusal would leave the trace unfinished. */
int store_set_trace_tag(struct store *s, const char *request_id, const char *key, const char *value,
                        struct ferr *err)
{
    if (!s->traces)
        return store_lacks(s, AREA, err);
    if (check_request_id(request_id, err) || validate_trace_tag(key, "", err))
        return -1;
    if (!value)
        value = "";
    size_t n = prefix_bytes(value, MAX_TRACE_TAG_VAL_LENGTH);
    if (!value[n])
        return s->traces->set_tag(s, request_id, key, value, err);
    char *cut = xstrndup(value, n);
    int rc = s->traces->set_tag(s, request_id, key, cut, err);
    free(cut);
    return rc;
}

int store_delete_trace_tag(struct store *s, const char *request_id, const char *key,
                           struct ferr *err)
{
    if (!s->traces)
        return store_lacks(s, AREA, err);
    if (check_request_id(request_id, err))
        return -1;
    if (!key || !*key)
        return fjson_missing(err, "key");
    return s->traces->set_tag(s, request_id, key, NULL, err);
}
