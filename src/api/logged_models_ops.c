/* SPDX-License-Identifier: MIT
 * MLflow 3's logged-models/... rows and runs/outputs, with MLflow's paths
 * and methods (the model id is a path parameter). The listing of a
 * model's files is a row of the artifacts area (artifacts_ops.c). */
#include "api/logged_models_ops.h"
#include "api/types.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "store/logged_models.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MLFLOW "/api/2.0/mlflow"

/* ---------- field codecs ---------- */

/* A LoggedModelStatus: its name, or its number (also as a string). */
static int status_decode(json_t *in, const struct api_field *f, void *dst, struct ferr *err)
{
    json_t *v = json_object_get(in, f->name);
    enum logged_model_status st;
    char num[24];
    const char *s = json_string_value(v);
    if (!v || json_is_null(v))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Missing value for required parameter '%s'. See the API docs for more "
                        "information about request parameters.",
                        f->name);
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        s = num;
    }
    if (!s || logged_model_status_parse(s, &st))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid value for parameter '%s': expected a LoggedModelStatus "
                        "(LOGGED_MODEL_PENDING, LOGGED_MODEL_READY, LOGGED_MODEL_UPLOAD_FAILED)",
                        f->name);
    *(int *)dst = (int)st;
    return 0;
}

static void status_encode(json_t *out, const struct api_field *f, const void *src)
{
    json_object_set_new(out, f->name, json_string(logged_model_status_name(*(const int *)src)));
}

static void status_release(void *dst)
{
    (void)dst;
}

static const struct api_custom status_field = {status_decode, status_encode, status_release};

/* [{"model_id", "step"}]: runs/outputs' and log-inputs' models. */
static int refs_decode(json_t *in, const struct api_field *f, void *dst, struct ferr *err)
{
    struct model_ref_list *l = dst;
    json_t *a = json_object_get(in, f->name), *it;
    size_t i;
    memset(l, 0, sizeof(*l));
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid value for parameter '%s': expected an array", f->name);
    if (json_array_size(a) > 1000)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "too many %s (%zu, at most 1000)",
                        f->name, json_array_size(a));
    json_array_foreach(a, i, it)
    {
        const char *id = NULL;
        int64_t step = 0;
        if (!json_is_object(it) || fjson_get_str(it, "model_id", JSON_REQUIRED, &id, err) < 0 ||
            fjson_get_int64(it, "step", JSON_OPTIONAL, &step, err) < 0) {
            model_ref_list_release(l);
            return json_is_object(it) ? -1
                                      : ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                                 "Invalid value for parameter '%s': expected an "
                                                 "array of objects",
                                                 f->name);
        }
        model_ref_list_add(l, id, step);
    }
    return 0;
}

static void refs_encode(json_t *out, const struct api_field *f, const void *src)
{
    const struct model_ref_list *l = src;
    if (!l->n) /* servers without models (MLflow 2) need not see the field */
        return;
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_pack("{s:s, s:I}", "model_id", l->v[i].model_id, "step",
                                           (json_int_t)l->v[i].step));
    json_object_set_new(out, f->name, a);
}

static void refs_release(void *dst)
{
    model_ref_list_release(dst);
}

const struct api_custom api_model_refs_field = {refs_decode, refs_encode, refs_release};

/* search's datasets and order_by elements: strings borrowed from the
 * request, like every request string. */
static json_t *dataset_to_json(const void *v)
{
    const struct logged_model_dataset *d = v;
    json_t *o = json_pack("{s:s}", "dataset_name", d->dataset_name ? d->dataset_name : "");
    if (d->dataset_digest)
        json_object_set_new(o, "dataset_digest", json_string(d->dataset_digest));
    return o;
}

static int dataset_from_json(json_t *j, void *out, struct ferr *err)
{
    struct logged_model_dataset *d = out;
    memset(d, 0, sizeof(*d));
    if (!json_is_object(j))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid value for parameter 'datasets': expected an array of objects");
    return fjson_get_str(j, "dataset_name", JSON_OPTIONAL, &d->dataset_name, err) < 0 ||
                   fjson_get_str(j, "dataset_digest", JSON_OPTIONAL, &d->dataset_digest, err) < 0
               ? -1
               : 0;
}

static void borrowed_release(void *v)
{
    (void)v;
}

static const struct api_type dataset_type = {
    "logged_model_dataset", sizeof(struct logged_model_dataset),
    dataset_to_json,        dataset_from_json,
    borrowed_release,       NULL};

static json_t *order_to_json(const void *v)
{
    const struct logged_model_order *o = v;
    json_t *j = json_pack("{s:s, s:b}", "field_name", o->field_name ? o->field_name : "",
                          "ascending", o->ascending);
    if (o->dataset_name)
        json_object_set_new(j, "dataset_name", json_string(o->dataset_name));
    if (o->dataset_digest)
        json_object_set_new(j, "dataset_digest", json_string(o->dataset_digest));
    return j;
}

static int order_from_json(json_t *j, void *out, struct ferr *err)
{
    struct logged_model_order *o = out;
    memset(o, 0, sizeof(*o));
    o->ascending = 1; /* the proto's default */
    if (!json_is_object(j))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid value for parameter 'order_by': expected an array of objects");
    if (fjson_get_str(j, "field_name", JSON_REQUIRED, &o->field_name, err) < 0 ||
        fjson_get_bool(j, "ascending", JSON_OPTIONAL, &o->ascending, err) < 0 ||
        fjson_get_str(j, "dataset_name", JSON_OPTIONAL, &o->dataset_name, err) < 0 ||
        fjson_get_str(j, "dataset_digest", JSON_OPTIONAL, &o->dataset_digest, err) < 0)
        return -1;
    if (o->dataset_name && !*o->dataset_name)
        o->dataset_name = NULL;
    if (o->dataset_digest && !*o->dataset_digest)
        o->dataset_digest = NULL;
    return 0;
}

static const struct api_type order_type = {"logged_model_order", sizeof(struct logged_model_order),
                                           order_to_json,        order_from_json,
                                           borrowed_release,     NULL};

/* ---------- messages ---------- */

static const struct api_field create_fields[] = {
    F_STR(struct rq_logged_model_create, experiment_id, "experiment_id", AF_REQUIRED),
    F_STR(struct rq_logged_model_create, name, "name", AF_OMIT_EMPTY),
    F_STR(struct rq_logged_model_create, model_type, "model_type", AF_OMIT_EMPTY),
    F_STR(struct rq_logged_model_create, source_run_id, "source_run_id", AF_OMIT_EMPTY),
    F_KV(struct rq_logged_model_create, params, "params", AF_OMIT_EMPTY),
    F_KV(struct rq_logged_model_create, tags, "tags", AF_OMIT_EMPTY),
};
static const struct api_msg create_req = API_MSG(struct rq_logged_model_create, create_fields);

#define M_ID F_STR(struct rq_logged_model_id, model_id, "model_id", AF_NONEMPTY | AF_IN_PATH)
static const struct api_field id_fields[] = {M_ID};
static const struct api_msg id_req = API_MSG(struct rq_logged_model_id, id_fields);
static const struct api_field finalize_fields[] = {
    M_ID, F_CUSTOM(struct rq_logged_model_id, status, "status", &status_field)};
static const struct api_msg finalize_req = API_MSG(struct rq_logged_model_id, finalize_fields);
static const struct api_field tags_fields[] = {M_ID,
                                               F_KV(struct rq_logged_model_id, pairs, "tags", 0)};
static const struct api_msg tags_req = API_MSG(struct rq_logged_model_id, tags_fields);
static const struct api_field tag_delete_fields[] = {
    M_ID, F_STR(struct rq_logged_model_id, tag_key, "tag_key", AF_NONEMPTY | AF_IN_PATH)};
static const struct api_msg tag_delete_req = API_MSG(struct rq_logged_model_id, tag_delete_fields);
static const struct api_field params_fields[] = {
    M_ID, F_KV(struct rq_logged_model_id, pairs, "params", 0)};
static const struct api_msg params_req = API_MSG(struct rq_logged_model_id, params_fields);

static const struct api_field model_resp_fields[] = {
    F_PTR(struct rs_logged_model, model, "model", &api_type_logged_model),
};
static const struct api_msg model_resp = API_MSG(struct rs_logged_model, model_resp_fields);

struct rq_search {
    struct logged_model_search q;
    size_t adatasets, aorder; /* list capacities the engine keeps */
};
static const struct api_field search_fields[] = {
    F_STRS(struct rq_search, q.experiment_ids, q.nexperiment_ids, "experiment_ids", AF_REQUIRED),
    F_STR(struct rq_search, q.filter, "filter", AF_OMIT_EMPTY),
    F_LIST(struct rq_search, q.datasets, q.ndatasets, adatasets, "datasets", AF_OMIT_EMPTY,
           &dataset_type),
    F_INT(struct rq_search, q.max_results, "max_results", AF_OMIT_EMPTY, 0),
    F_LIST(struct rq_search, q.order_by, q.norder_by, aorder, "order_by", AF_OMIT_EMPTY,
           &order_type),
    F_STR(struct rq_search, q.page_token, "page_token", AF_OMIT_EMPTY),
};
static const struct api_msg search_req = API_MSG(struct rq_search, search_fields);
static const struct api_field search_resp_fields[] = {
    F_LIST(struct logged_model_list, v, n, alloc, "models", AF_OMIT_EMPTY, &api_type_logged_model),
    F_STR(struct logged_model_list, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg search_resp = API_MSG(struct logged_model_list, search_resp_fields);

struct rq_outputs {
    const char *run_id;
    struct model_ref_list models;
};
static const struct api_field outputs_fields[] = {
    F_RUN_ID(struct rq_outputs, run_id, 0),
    F_CUSTOM(struct rq_outputs, models, "models", &api_model_refs_field),
};
static const struct api_msg outputs_req = API_MSG(struct rq_outputs, outputs_fields);

/* ---------- functions ---------- */

static struct logged_model *new_model(void)
{
    return xcalloc(1, sizeof(struct logged_model));
}

static int x_create(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    struct rq_logged_model_create *q = req;
    struct rs_logged_model *r = resp;
    struct logged_model_create c = {q->experiment_id, q->name,   q->model_type,
                                    q->source_run_id, q->params, q->tags};
    struct logged_model *m = r ? new_model() : NULL;
    if (store_create_logged_model(env->store, &c, m, err)) {
        free(m);
        return -1;
    }
    if (r)
        r->model = m;
    return 0;
}

static int x_get(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                 struct ferr *err)
{
    (void)op;
    struct rq_logged_model_id *q = req;
    struct rs_logged_model *r = resp;
    struct logged_model *m = new_model();
    if (store_get_logged_model(env->store, q->model_id, m, err)) {
        free(m);
        return -1;
    }
    r->model = m;
    return 0;
}

static int x_finalize(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                      struct ferr *err)
{
    (void)op;
    struct rq_logged_model_id *q = req;
    struct rs_logged_model *r = resp;
    struct logged_model *m = r ? new_model() : NULL;
    if (store_finalize_logged_model(env->store, q->model_id, (enum logged_model_status)q->status, m,
                                    err)) {
        free(m);
        return -1;
    }
    if (r)
        r->model = m;
    return 0;
}

/* delete (arg 0), set tags (1), delete a tag (2), log params (3) */
static int x_write(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                   struct ferr *err)
{
    (void)resp;
    struct rq_logged_model_id *q = req;
    switch (op->arg) {
    case 0:
        return store_delete_logged_model(env->store, q->model_id, err);
    case 1:
        return store_set_logged_model_tags(env->store, q->model_id, &q->pairs, err);
    case 2:
        return store_delete_logged_model_tag(env->store, q->model_id, q->tag_key, err);
    default:
        return store_log_logged_model_params(env->store, q->model_id, &q->pairs, err);
    }
}

static int x_search(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    struct rq_search *q = req;
    return store_search_logged_models(env->store, &q->q, resp, err);
}

static int x_outputs(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                     struct ferr *err)
{
    (void)op;
    (void)resp;
    struct rq_outputs *q = req;
    return store_log_model_refs(env->store, q->run_id, 1, &q->models, err);
}

/* ---------- rows ---------- */

#define LM_OP(id, nm, p, m, rq, rs, fn, a, acc, loc, fld)                                          \
    const struct api_op id = {.name = nm,                                                          \
                              .root = MLFLOW,                                                      \
                              .path = p,                                                           \
                              .methods = m,                                                        \
                              .call = m,                                                           \
                              .flags = OP_AJAX,                                                    \
                              .max_body = API_BODY_SMALL,                                          \
                              .req = rq,                                                           \
                              .resp = rs,                                                          \
                              .exec = fn,                                                          \
                              .arg = a,                                                            \
                              .res = {acc, loc, fld}}

LM_OP(api_logged_model_create, "logged-models/create", "logged-models", HTTP_POST, &create_req,
      &model_resp, x_create, 0, ACCESS_EDIT, LOC_EXPERIMENT_ID, "experiment_id");
LM_OP(api_logged_model_get, "logged-models/get", "logged-models/{model_id}", HTTP_GET, &id_req,
      &model_resp, x_get, 0, ACCESS_READ, LOC_LOGGED_MODEL, "model_id");
LM_OP(api_logged_model_finalize, "logged-models/finalize", "logged-models/{model_id}", HTTP_PATCH,
      &finalize_req, &model_resp, x_finalize, 0, ACCESS_EDIT, LOC_LOGGED_MODEL, "model_id");
static LM_OP(delete_model, "logged-models/delete", "logged-models/{model_id}", HTTP_DELETE, &id_req,
             NULL, x_write, 0, ACCESS_DELETE, LOC_LOGGED_MODEL, "model_id");
static LM_OP(set_tags, "logged-models/set-tags", "logged-models/{model_id}/tags", HTTP_PATCH,
             &tags_req, NULL, x_write, 1, ACCESS_EDIT, LOC_LOGGED_MODEL, "model_id");
static LM_OP(delete_tag, "logged-models/delete-tag", "logged-models/{model_id}/tags/{tag_key}",
             HTTP_DELETE, &tag_delete_req, NULL, x_write, 2, ACCESS_EDIT, LOC_LOGGED_MODEL,
             "model_id");
static LM_OP(log_params, "logged-models/log-params", "logged-models/{model_id}/params", HTTP_POST,
             &params_req, NULL, x_write, 3, ACCESS_EDIT, LOC_LOGGED_MODEL, "model_id");
LM_OP(api_logged_model_search, "logged-models/search", "logged-models/search", HTTP_POST,
      &search_req, &search_resp, x_search, 0, ACCESS_READ, LOC_EXPERIMENT_IDS, "experiment_ids");
static LM_OP(run_outputs, "runs/outputs", "runs/outputs", HTTP_POST, &outputs_req, NULL, x_outputs,
             0, ACCESS_EDIT, LOC_RUN_ID, "run_id");

static const struct api_op *const logged_models_ops[] = {
    &api_logged_model_create,
    &api_logged_model_get,
    &api_logged_model_finalize,
    &delete_model,
    &set_tags,
    &delete_tag,
    &log_params,
    &api_logged_model_search,
    &run_outputs,
};
const struct api_area api_logged_models_area = {
    "logged-models", logged_models_ops, sizeof(logged_models_ops) / sizeof(*logged_models_ops)};
