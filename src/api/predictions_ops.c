/* SPDX-License-Identifier: MIT */
#include "api/predictions_ops.h"
#include "base/duration.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define SEARCH_MAX_RESULTS 10000
/* 10,000 labels of the largest id (256) and label (1,024) with their
 * JSON fit; the gateway's /endpoints/<name>/feedback takes the same */
#define FEEDBACK_MAX_BODY (16 * 1024 * 1024)

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* ---------- a row from its JSON (the REST client's side) ---------- */

static int malformed(struct ferr *err, const char *what)
{
    return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed prediction row (%s)", what);
}

static int is_hex16(const char *s)
{
    for (int i = 0; i < 16; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[16] == '\0';
}

/* A value as pred_value_json wrote it, back into the encoding. */
static int enc_value(struct sbuf *b, json_t *v)
{
    const char *s = json_string_value(v);
    if (s && !strncmp(s, "hash:", 5) && is_hex16(s + 5)) {
        pred_enc_hash(b, strtoull(s + 5, NULL, 16));
        return 0;
    }
    return pred_enc_json(b, v);
}

/* An object's values into a blob (count then values) and its keys, in
 * order, into a JSON array text. */
static int object_blob(json_t *o, unsigned char **blob, size_t *len, char **names)
{
    struct sbuf b = SBUF_INIT;
    json_t *keys = json_array(), *v;
    const char *k;
    pred_enc_count(&b, json_object_size(o));
    json_object_foreach(o, k, v)
    {
        json_array_append_new(keys, json_string(k));
        if (enc_value(&b, v)) {
            json_decref(keys);
            sbuf_release(&b);
            return -1;
        }
    }
    *names = fjson_dumps(keys, JSON_COMPACT);
    json_decref(keys);
    *blob = (unsigned char *)sbuf_detach(&b, len);
    return 0;
}

/* A JSON scalar as a decoded value (strings borrowed from v); -1 for
 * arrays and objects. */
static int json_value(json_t *v, struct pred_value *out)
{
    memset(out, 0, sizeof(*out));
    if (json_is_null(v)) {
        out->kind = PV_NULL;
    } else if (json_is_number(v) || json_is_boolean(v)) {
        out->kind = PV_NUMBER;
        out->num = json_is_boolean(v) ? json_is_true(v) : json_number_value(v);
    } else if (json_is_string(v)) {
        out->kind = PV_STRING;
        out->str = json_string_value(v);
        out->len = json_string_length(v);
    } else {
        return -1;
    }
    return 0;
}

/* The outputs blob from the answer's prediction (a value, or a list when
 * the model gives several a row) and probabilities, through the codec's
 * own encoder (a list is tagged as one). */
static int outputs_blob(json_t *pred, json_t *probs, struct pred_row *r)
{
    struct pred_value pv[PRED_MAX_OUTPUTS];
    double proba[PRED_MAX_OUTPUTS];
    json_t *keys, *v;
    const char *k;
    size_t n = json_is_array(pred) ? json_array_size(pred) : 1, i = 0, np = 0;
    if (n > PRED_MAX_OUTPUTS || json_object_size(probs) > PRED_MAX_OUTPUTS)
        return -1;
    if (json_is_array(pred)) {
        json_array_foreach(pred, i, v) if (json_value(v, &pv[i])) return -1;
    } else if (json_value(pred, &pv[0])) {
        return -1;
    }
    keys = json_array();
    json_object_foreach(probs, k, v)
    {
        json_array_append_new(keys, json_string(k));
        proba[np++] = json_is_number(v) ? json_number_value(v) : NAN;
    }
    struct sbuf b = SBUF_INIT;
    pred_outputs_encode(&b, pv, n, proba, np);
    r->target.classes = fjson_dumps(keys, JSON_COMPACT);
    json_decref(keys);
    r->outputs = (unsigned char *)sbuf_detach(&b, &r->noutputs);
    return 0;
}

/* "k=v,k=v" from {"k": "v"} (already sorted by key when the server wrote it). */
static char *tags_text(json_t *o)
{
    struct sbuf b = SBUF_INIT;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (json_is_string(v))
            sbuf_addf(&b, "%s%s=%s", b.len ? "," : "", k, json_string_value(v));
    }
    return sbuf_detach(&b, NULL);
}

int api_pred_row_from_json(json_t *j, struct pred_row *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    const char *id = json_string_value(json_object_get(j, "request_id"));
    const char *model = json_string_value(json_object_get(j, "model"));
    if (!json_is_object(j) || !id)
        return malformed(err, "no request_id");
    uint32_t row = 0;
    int row_given = 0;
    if (pred_feedback_id_parse(id, out->rid, &row, &row_given))
        return malformed(err, "request_id");
    out->row = row;
    /* the answer names no row count: "<id>/<row>" is a row of a request of
     * two rows or more, a bare id a one-row request */
    out->nrows = row_given ? (row + 1 > 2 ? row + 1 : 2) : 1;
    out->time_ms = json_integer_value(json_object_get(j, "time"));
    out->target.deployment = xstrdup(or_empty(json_string_value(json_object_get(j, "deployment"))));
    out->target.revision = json_integer_value(json_object_get(j, "revision"));
    if (model) {
        const char *slash = strrchr(model, '/');
        out->target.model = slash ? xstrndup(model, (size_t)(slash - model)) : xstrdup(model);
        out->target.version = slash ? strtoll(slash + 1, NULL, 10) : 0;
    } else {
        out->target.model = xstrdup("");
    }
    out->target.shadow = json_is_true(json_object_get(j, "shadow"));
    out->target.task = xstrdup("");
    out->status = (int)json_integer_value(json_object_get(j, "status"));
    double lat = json_number_value(json_object_get(j, "latency_ms"));
    out->latency_us = lat > 0 && lat < 4294967.0 ? (uint32_t)llround(lat * 1000.0) : 0;
    const char *caller = json_string_value(json_object_get(j, "caller_request_id"));
    out->caller_id = caller ? xstrdup(caller) : NULL;
    json_t *tags = json_object_get(j, "tags");
    out->tags = json_is_object(tags) && json_object_size(tags) ? tags_text(tags) : NULL;
    json_t *inputs = json_object_get(j, "inputs");
    if (json_is_object(inputs)) {
        if (object_blob(inputs, &out->inputs, &out->ninputs, &out->target.columns))
            goto bad;
    } else {
        out->target.columns = xstrdup("[]");
    }
    json_t *pred = json_object_get(j, "prediction"), *probs = json_object_get(j, "probabilities");
    if (pred) {
        if (outputs_blob(pred, json_is_object(probs) ? probs : NULL, out))
            goto bad;
    } else {
        out->target.classes = xstrdup("[]");
    }
    json_t *label = json_object_get(j, "label");
    if (label && !json_is_null(label)) {
        struct sbuf b = SBUF_INIT;
        if (pred_label_text(&b, label)) {
            sbuf_release(&b);
            goto bad;
        }
        out->label = sbuf_detach(&b, NULL);
        out->label_ms = json_integer_value(json_object_get(j, "label_time"));
    }
    return 0;
bad:
    pred_row_release(out);
    memset(out, 0, sizeof(*out));
    return malformed(err, "values");
}

/* ---------- entity shapes ---------- */

json_t *api_label_change_to_json(const struct label_change *c)
{
    json_t *o = json_pack("{s:s, s:s, s:I}", "label", or_empty(c->label), "user_id",
                          or_empty(c->user_id), "time", (json_int_t)c->time_ms);
    if (o && c->previous)
        json_object_set_new(o, "previous", json_string(c->previous));
    return o;
}

static int label_change_from_json(json_t *j, struct label_change *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    const char *label = json_string_value(json_object_get(j, "label"));
    const char *prev = json_string_value(json_object_get(j, "previous"));
    if (!label)
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed label change");
    out->label = xstrdup(label);
    out->previous = prev ? xstrdup(prev) : NULL;
    out->user_id = xstrdup(or_empty(json_string_value(json_object_get(j, "user_id"))));
    out->time_ms = json_integer_value(json_object_get(j, "time"));
    return 0;
}

static void label_change_release(struct label_change *c)
{
    free(c->label);
    free(c->previous);
    free(c->user_id);
    memset(c, 0, sizeof(*c));
}

static json_t *ty_row_to(const void *v)
{
    return pred_row_json(v);
}
static int ty_row_from(json_t *j, void *out, struct ferr *err)
{
    return api_pred_row_from_json(j, out, err);
}
static void ty_row_release(void *v)
{
    pred_row_release(v);
}
static const struct api_type pred_row_type = {"prediction", sizeof(struct pred_row), ty_row_to,
                                              ty_row_from,  ty_row_release,          NULL};

static json_t *ty_change_to(const void *v)
{
    return api_label_change_to_json(v);
}
static int ty_change_from(json_t *j, void *out, struct ferr *err)
{
    return label_change_from_json(j, out, err);
}
static void ty_change_release(void *v)
{
    label_change_release(v);
}
static const struct api_type label_change_type = {"label_change",    sizeof(struct label_change),
                                                  ty_change_to,      ty_change_from,
                                                  ty_change_release, NULL};

/* ---------- custom fields ---------- */

/* labels: [{request_id, label, timestamp?}], each checked, its label's
 * canonical text kept in the request's arena. An error names the index. */
static int labels_decode(json_t *in, const struct api_field *f, void *dst, struct ferr *err)
{
    struct feedback_labels *l = dst;
    json_t *arr = NULL, *it;
    size_t i;
    char path[64];
    memset(l, 0, sizeof(*l));
    if (fjson_get_array(in, f->name, JSON_REQUIRED, &arr, err) < 0)
        return -1;
    size_t n = json_array_size(arr);
    if (n > FEEDBACK_MAX_LABELS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'labels': at most %d labels a request, not "
                        "%zu",
                        FEEDBACK_MAX_LABELS, n);
    struct feedback_label *v = n ? xcalloc(n, sizeof(*v)) : NULL;
    size_t *off = n ? xcalloc(n, sizeof(*off)) : NULL;
    struct sbuf arena = SBUF_INIT;
    json_array_foreach(arr, i, it)
    {
        json_t *id, *label, *ts;
        if (!json_is_object(it)) {
            snprintf(path, sizeof(path), "labels[%zu]", i);
            fjson_invalid(err, path, it);
            goto fail;
        }
        id = json_object_get(it, "request_id");
        label = json_object_get(it, "label");
        ts = json_object_get(it, "timestamp");
        if (!id || json_is_null(id) || (json_is_string(id) && !json_string_length(id))) {
            snprintf(path, sizeof(path), "labels[%zu].request_id", i);
            fjson_missing(err, path);
            goto fail;
        }
        if (!json_is_string(id)) {
            snprintf(path, sizeof(path), "labels[%zu].request_id", i);
            fjson_invalid(err, path, id);
            goto fail;
        }
        if (strlen(json_string_value(id)) != json_string_length(id)) { /* a \u0000 */
            snprintf(path, sizeof(path), "labels[%zu].request_id", i);
            fjson_invalid(err, path, id);
            goto fail;
        }
        if (json_string_length(id) > FEEDBACK_MAX_ID) {
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "invalid value for parameter 'labels[%zu].request_id': at most %d "
                     "characters",
                     i, FEEDBACK_MAX_ID);
            goto fail;
        }
        if (!label || json_is_null(label)) {
            snprintf(path, sizeof(path), "labels[%zu].label", i);
            fjson_missing(err, path);
            goto fail;
        }
        off[i] = arena.len;
        if ((json_is_string(label) &&
             (!json_string_length(label) ||
              strlen(json_string_value(label)) != json_string_length(label))) ||
            pred_label_text(&arena, label)) {
            snprintf(path, sizeof(path), "labels[%zu].label", i);
            fjson_invalid(err, path, label);
            goto fail;
        }
        sbuf_addch(&arena, '\0');
        v[i].id = json_string_value(id);
        if (ts && !json_is_null(ts)) {
            snprintf(path, sizeof(path), "labels[%zu].timestamp", i);
            if (fjson_get_int64(it, "timestamp", JSON_REQUIRED, &v[i].time_ms, err) < 0) {
                /* fjson names the field alone; name its index too */
                fjson_invalid(err, path, ts);
                goto fail;
            }
            if (v[i].time_ms < 0) {
                fjson_invalid(err, path, ts);
                goto fail;
            }
        }
    }
    l->arena = sbuf_detach(&arena, NULL);
    for (i = 0; i < n; i++)
        v[i].label = l->arena + off[i];
    free(off);
    l->v = v;
    l->n = n;
    return 0;
fail:
    free(v);
    free(off);
    sbuf_release(&arena);
    return -1;
}

static void labels_encode(json_t *out, const struct api_field *f, const void *src)
{
    const struct feedback_labels *l = src;
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "request_id", json_string(or_empty(l->v[i].id)));
        json_object_set_new(o, "label", json_string(or_empty(l->v[i].label)));
        if (l->v[i].time_ms)
            json_object_set_new(o, "timestamp", json_integer(l->v[i].time_ms));
        json_array_append_new(a, o);
    }
    json_object_set_new(out, f->name, a);
}

static void labels_release(void *dst)
{
    struct feedback_labels *l = dst;
    free(l->v);
    free(l->arena);
    memset(l, 0, sizeof(*l));
}

static const struct api_custom labels_field = {labels_decode, labels_encode, labels_release};

/* unknown_request_ids: a list of owned strings (struct feedback_result's
 * char **unknown, as a list of one-pointer entities). */
static json_t *ty_id_to(const void *v)
{
    json_t *s = json_string(or_empty(*(char *const *)v));
    return s ? s : json_string("?");
}
static int ty_id_from(json_t *j, void *out, struct ferr *err)
{
    if (!json_is_string(j))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed unknown request id");
    *(char **)out = xstrdup(json_string_value(j));
    return 0;
}
static void ty_id_release(void *v)
{
    free(*(char **)v);
    *(char **)v = NULL;
}
/* A string is no JSON document of its own: written straight. */
static void ty_id_write(struct sbuf *sb, const void *v)
{
    fjson_add_string(sb, or_empty(*(char *const *)v));
}
static const struct api_type id_type = {"request_id", sizeof(char *), ty_id_to,
                                        ty_id_from,   ty_id_release,  ty_id_write};

/* The performance answer's parts that are lists of objects. */
static json_t *ty_json_to(const void *v)
{
    json_t *j = ((const struct api_json_item *)v)->j;
    return j ? json_incref(j) : json_object();
}
static int ty_json_from(json_t *j, void *out, struct ferr *err)
{
    if (!json_is_object(j))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed performance answer");
    ((struct api_json_item *)out)->j = json_incref(j);
    return 0;
}
static void ty_json_release(void *v)
{
    struct api_json_item *it = v;
    json_decref(it->j);
    it->j = NULL;
}
static const struct api_type json_item_type = {
    "object", sizeof(struct api_json_item), ty_json_to, ty_json_from, ty_json_release, NULL};

/* A three-way filter: true / false (a JSON boolean or its text) or absent,
 * null, "any", "" (either). */
static int tristate_decode(json_t *in, const struct api_field *f, void *dst, struct ferr *err)
{
    json_t *v = json_object_get(in, f->name);
    int *out = dst;
    const char *s = json_string_value(v);
    *out = -1;
    if (!v || json_is_null(v) || (s && (!*s || !strcmp(s, "any"))))
        return 0;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (s && (!strcmp(s, "true") || !strcmp(s, "1"))) {
        *out = 1;
        return 0;
    }
    if (s && (!strcmp(s, "false") || !strcmp(s, "0"))) {
        *out = 0;
        return 0;
    }
    return fjson_invalid(err, f->name, v);
}

static void tristate_encode(json_t *out, const struct api_field *f, const void *src)
{
    int v = *(const int *)src;
    if (v >= 0)
        json_object_set_new(out, f->name, json_boolean(v));
}

static const struct api_custom tristate_field = {tristate_decode, tristate_encode, NULL};

/* ---------- messages ---------- */

static const struct api_field feedback_fields[] = {
    F_STR(struct rq_feedback_log, deployment, "deployment", AF_OMIT_EMPTY),
    F_CUSTOM(struct rq_feedback_log, labels, "labels", &labels_field),
};
static const struct api_msg feedback_req = API_MSG(struct rq_feedback_log, feedback_fields);
static const struct api_field feedback_resp_fields[] = {
    F_INT(struct feedback_result, accepted, "accepted", 0, 0),
    F_LIST(struct feedback_result, unknown, nunknown, nunknown, "unknown_request_ids", 0, &id_type),
};
static const struct api_msg feedback_resp = API_MSG(struct feedback_result, feedback_resp_fields);

static const struct api_field search_fields[] = {
    F_STR(struct rq_predictions_search, deployment, "deployment", AF_NONEMPTY),
    F_STR(struct rq_predictions_search, model, "model", AF_OMIT_EMPTY),
    F_INT(struct rq_predictions_search, start_time, "start_time", AF_OMIT_EMPTY, 0),
    F_INT(struct rq_predictions_search, end_time, "end_time", AF_OMIT_EMPTY, 0),
    F_CUSTOM(struct rq_predictions_search, labeled, "labeled", &tristate_field),
    F_CUSTOM(struct rq_predictions_search, shadow, "shadow", &tristate_field),
    F_STR(struct rq_predictions_search, status, "status", AF_OMIT_EMPTY),
    F_INT(struct rq_predictions_search, max_results, "max_results", AF_OMIT_EMPTY, 1000),
    F_STR(struct rq_predictions_search, page_token, "page_token", AF_OMIT_EMPTY),
};
static const struct api_msg search_req = API_MSG(struct rq_predictions_search, search_fields);
static const struct api_field search_resp_fields[] = {
    F_LIST(struct rs_predictions_search, rows.v, rows.n, rows.alloc, "predictions", 0,
           &pred_row_type),
    F_STR(struct rs_predictions_search, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg search_resp = API_MSG(struct rs_predictions_search, search_resp_fields);

static const struct api_field get_fields[] = {
    F_STR(struct rq_prediction_get, deployment, "deployment", AF_NONEMPTY),
    F_STR(struct rq_prediction_get, request_id, "request_id", AF_NONEMPTY),
};
static const struct api_msg get_req = API_MSG(struct rq_prediction_get, get_fields);
static const struct api_field get_resp_fields[] = {
    F_OBJ(struct rs_prediction_get, row, "prediction", 0, &pred_row_type),
    F_LIST(struct rs_prediction_get, history.v, history.n, history.alloc, "label_history", 0,
           &label_change_type),
};
static const struct api_msg get_resp = API_MSG(struct rs_prediction_get, get_resp_fields);

static const struct api_field perf_fields[] = {
    F_STR(struct rq_deploy_performance, name, "name", AF_NONEMPTY),
    F_INT(struct rq_deploy_performance, start_time, "start_time", AF_OMIT_EMPTY, 0),
    F_INT(struct rq_deploy_performance, end_time, "end_time", AF_OMIT_EMPTY, 0),
    F_STR(struct rq_deploy_performance, bucket, "bucket", AF_OMIT_EMPTY),
    F_STR(struct rq_deploy_performance, slice, "slice", AF_OMIT_EMPTY),
    F_BOOL(struct rq_deploy_performance, exact, "exact", AF_OMIT_EMPTY),
    F_INT(struct rq_deploy_performance, resamples, "resamples", AF_OMIT_EMPTY, 0),
    F_INT(struct rq_deploy_performance, seed, "seed", AF_OMIT_EMPTY, 0),
};
static const struct api_msg perf_req = API_MSG(struct rq_deploy_performance, perf_fields);
static const struct api_field perf_resp_fields[] = {
    F_STR(struct rs_deploy_performance, deployment, "deployment", 0),
    F_INT(struct rs_deploy_performance, start_time, "start_time", 0, 0),
    F_INT(struct rs_deploy_performance, end_time, "end_time", 0, 0),
    F_INT(struct rs_deploy_performance, bucket_ms, "bucket_ms", 0, 0),
    F_BOOL(struct rs_deploy_performance, exact, "exact", 0),
    F_STR(struct rs_deploy_performance, slice, "slice", AF_OMIT_EMPTY),
    F_LIST(struct rs_deploy_performance, targets, ntargets, atargets, "targets", 0,
           &json_item_type),
    F_LIST(struct rs_deploy_performance, ab, nab, aab, "ab", 0, &json_item_type),
};
static const struct api_msg perf_resp = API_MSG(struct rs_deploy_performance, perf_resp_fields);

/* ---------- the performance answer <-> its message ---------- */

static void items_of(json_t *a, struct api_json_item **v, size_t *n, size_t *alloc)
{
    size_t i;
    json_t *it;
    *n = *alloc = 0;
    *v = json_array_size(a) ? xcalloc(json_array_size(a), sizeof(**v)) : NULL;
    json_array_foreach(a, i, it)
    {
        if (json_is_object(it))
            (*v)[(*n)++].j = json_incref(it);
    }
    *alloc = *n;
}

void api_performance_from_json(json_t *a, struct rs_deploy_performance *out)
{
    const char *slice = json_string_value(json_object_get(a, "slice"));
    memset(out, 0, sizeof(*out));
    out->deployment = xstrdup(or_empty(json_string_value(json_object_get(a, "deployment"))));
    out->slice = slice ? xstrdup(slice) : NULL;
    out->start_time = json_integer_value(json_object_get(a, "start_time"));
    out->end_time = json_integer_value(json_object_get(a, "end_time"));
    out->bucket_ms = json_integer_value(json_object_get(a, "bucket_ms"));
    out->exact = json_is_true(json_object_get(a, "exact"));
    items_of(json_object_get(a, "targets"), &out->targets, &out->ntargets, &out->atargets);
    items_of(json_object_get(a, "ab"), &out->ab, &out->nab, &out->aab);
}

json_t *api_performance_json(const struct rs_deploy_performance *r)
{
    json_t *o = json_object(), *t = json_array(), *ab = json_array();
    json_object_set_new(o, "deployment", json_string(or_empty(r->deployment)));
    json_object_set_new(o, "start_time", json_integer(r->start_time));
    json_object_set_new(o, "end_time", json_integer(r->end_time));
    json_object_set_new(o, "bucket_ms", json_integer(r->bucket_ms));
    json_object_set_new(o, "exact", json_boolean(r->exact));
    if (r->slice)
        json_object_set_new(o, "slice", json_string(r->slice));
    for (size_t i = 0; i < r->ntargets; i++)
        json_array_append(t, r->targets[i].j);
    for (size_t i = 0; i < r->nab; i++)
        json_array_append(ab, r->ab[i].j);
    json_object_set_new(o, "targets", t);
    json_object_set_new(o, "ab", ab);
    return o;
}

/* ---------- what the rows do ---------- */

static int known_deployment(struct store *s, const char *name, struct ferr *err)
{
    return store_prediction_deployment_known(s, name, err);
}

static int x_feedback(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                      struct ferr *err)
{
    (void)op;
    struct rq_feedback_log *q = req;
    struct feedback_result *r = resp;
    if (q->deployment && *q->deployment && known_deployment(env->store, q->deployment, err))
        return -1;
    return store_feedback_put(env->store, q->deployment && *q->deployment ? q->deployment : NULL,
                              q->labels.v, q->labels.n, or_empty(env->user), r, err);
}

/* The log's times are a UUIDv7's: 48 bits of ms (to the year 10889). */
#define LOG_TIME_MAX ((int64_t)1 << 48)

static int check_window(int64_t start, int64_t end, struct ferr *err)
{
    if (start > LOG_TIME_MAX || end > LOG_TIME_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid time range: times are ms since 1970 below 2^48");
    if (start < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'start_time': expected 0 or more");
    if (end < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'end_time': expected 0 or more");
    if (end && start >= end)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid time range: start_time %lld is not before end_time %lld",
                        (long long)start, (long long)end);
    return 0;
}

static int x_search(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    struct rq_predictions_search *q = req;
    struct rs_predictions_search *r = resp;
    struct prediction_query pq = {q->deployment, q->model, q->start_time,  q->end_time,  q->labeled,
                                  q->shadow,     0,        q->max_results, q->page_token};
    if (check_window(q->start_time, q->end_time, err))
        return -1;
    if (q->max_results < 1 || q->max_results > SEARCH_MAX_RESULTS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'max_results': expected 1 to %d",
                        SEARCH_MAX_RESULTS);
    if (q->status && *q->status && strcmp(q->status, "any")) {
        if (!strcmp(q->status, "ok"))
            pq.status = 1;
        else if (!strcmp(q->status, "failed"))
            pq.status = 2;
        else
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid value for parameter 'status': expected any, ok or failed");
    }
    if (known_deployment(env->store, q->deployment, err))
        return -1;
    return store_predictions_search(env->store, &pq, &r->rows, &r->next_page_token, err);
}

static int x_get(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                 struct ferr *err)
{
    (void)op;
    struct rq_prediction_get *q = req;
    struct rs_prediction_get *r = resp;
    if (known_deployment(env->store, q->deployment, err))
        return -1;
    return store_prediction_get(env->store, q->deployment, q->request_id, &r->row, &r->history,
                                err);
}

static int x_performance(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                         struct ferr *err)
{
    (void)op;
    struct rq_deploy_performance *q = req;
    struct rs_deploy_performance *r = resp;
    struct perf_query pq = {q->name,  q->start_time, q->end_time,  0,
                            q->slice, q->exact,      q->resamples, q->seed};
    if (check_window(q->start_time, q->end_time, err))
        return -1;
    if (q->bucket && *q->bucket && strcmp(q->bucket, "0") && strcmp(q->bucket, "none")) {
        if (duration_parse(q->bucket, &pq.bucket_ms) || pq.bucket_ms < 1000)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid value for parameter 'bucket': expected a duration of 1s or "
                            "more (e.g. 1h, 15m, 1d), not '%.100s'",
                            q->bucket);
    }
    json_t *a = NULL;
    if (store_prediction_performance(env->store, &pq, &a, err))
        return -1;
    api_performance_from_json(a, r);
    json_decref(a);
    return 0;
}

/* ---------- rows ---------- */

#define ROW(nm, path_, m, call_, fl, body, rq, rs, fn, acc)                                        \
    {                                                                                              \
        .name = nm, .root = "/api/2.0/ferry", .path = path_, .methods = m, .call = call_,          \
        .flags = fl, .max_body = body, .req = rq, .resp = rs, .exec = fn, .arg = 0, .res = {       \
            acc,                                                                                   \
            LOC_NONE,                                                                              \
            NULL                                                                                   \
        }                                                                                          \
    }

/* A second label replaces the first (and both are kept in the history):
 * a resend changes nothing the figures show, so retries are safe. */
const struct api_op api_feedback_log =
    ROW("feedback/log", "feedback/log", HTTP_POST, HTTP_POST, OP_IDEMPOTENT, FEEDBACK_MAX_BODY,
        &feedback_req, &feedback_resp, x_feedback, ACCESS_EDIT);
/* The logged rows are the callers' payloads (what exclude_columns and
 * hash_columns exist to guard): an admin's to read until deployments
 * have permissions of their own. The aggregated figures are anyone's who
 * may read deployments. */
const struct api_op api_predictions_search =
    ROW("predictions/search", "predictions/search", HTTP_GET | HTTP_POST, HTTP_POST, OP_IDEMPOTENT,
        API_BODY_SMALL, &search_req, &search_resp, x_search, ACCESS_ADMIN);
const struct api_op api_prediction_get =
    ROW("predictions/get", "predictions/get", HTTP_GET, HTTP_GET, OP_IDEMPOTENT, API_BODY_SMALL,
        &get_req, &get_resp, x_get, ACCESS_ADMIN);
const struct api_op api_deployments_performance =
    ROW("deployments/performance", "deployments/performance", HTTP_GET, HTTP_GET, OP_IDEMPOTENT,
        API_BODY_SMALL, &perf_req, &perf_resp, x_performance, ACCESS_READ);

static const struct api_op *const predictions_ops[] = {
    &api_feedback_log,
    &api_predictions_search,
    &api_prediction_get,
    &api_deployments_performance,
};
const struct api_area api_predictions_area = {"predictions", predictions_ops,
                                              sizeof(predictions_ops) / sizeof(*predictions_ops)};
