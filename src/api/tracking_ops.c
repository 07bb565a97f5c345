/* SPDX-License-Identifier: MIT
 * The tracking area: experiments/... and runs/... (MLflow's service.proto),
 * one row each. Reads are served with GET (query string) and POST (JSON
 * body); writes with POST. The REST transport sends what MLflow's own
 * client sends: GET for experiments/get, get-by-name and runs/get, POST for
 * the rest (searches included). */
#include "api/tracking_ops.h"
#include "api/logged_models_ops.h"
#include "store/logged_models.h"
#include "api/codec.h"
#include "api/datasets_ops.h"
#include "api/types.h"
#include "artifacts/roots.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "domain/validate.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

#define MLFLOW "/api/2.0/mlflow"
/* Large enough for a dataset profile (16 MB) plus its JSON framing. */
#define BODY_LARGE (MAX_DATASET_PROFILE_SIZE + MAX_DATASET_SCHEMA_SIZE + 65536)

/* ---------- experiments ---------- */

static const struct api_field experiment_create_fields[] = {
    F_STR(struct rq_experiment_create, name, "name", AF_REQUIRED),
    F_STR(struct rq_experiment_create, artifact_location, "artifact_location", AF_OMIT_EMPTY),
    F_KV(struct rq_experiment_create, tags, "tags", 0),
};
static const struct api_msg experiment_create_req =
    API_MSG(struct rq_experiment_create, experiment_create_fields);
static const struct api_field experiment_id_resp_fields[] = {
    F_STR(struct rs_experiment_id, experiment_id, "experiment_id", 0),
};
static const struct api_msg experiment_id_resp =
    API_MSG(struct rs_experiment_id, experiment_id_resp_fields);

static const struct api_field experiment_id_fields[] = {
    F_STR(struct rq_experiment_id, experiment_id, "experiment_id", AF_REQUIRED),
};
static const struct api_msg experiment_id_req =
    API_MSG(struct rq_experiment_id, experiment_id_fields);
static const struct api_field experiment_name_fields[] = {
    F_STR(struct rq_experiment_name, experiment_name, "experiment_name", AF_REQUIRED),
};
static const struct api_msg experiment_name_req =
    API_MSG(struct rq_experiment_name, experiment_name_fields);
static const struct api_field experiment_fields[] = {
    F_OBJ(struct rs_experiment, experiment, "experiment", 0, &api_type_experiment),
};
static const struct api_msg experiment_resp = API_MSG(struct rs_experiment, experiment_fields);

static const struct api_field experiment_search_fields[] = {
    F_STR(struct experiment_search, filter, "filter", AF_OMIT_EMPTY),
    F_STR(struct experiment_search, page_token, "page_token", AF_OMIT_EMPTY),
    F_INT(struct experiment_search, max_results, "max_results", 0,
          DEFAULT_RESULTS_SEARCH_EXPERIMENTS),
    F_VIEW(struct experiment_search, view, "view_type"),
    F_STRS(struct experiment_search, order_by, norder_by, "order_by", 0),
};
static const struct api_msg experiment_search_req =
    API_MSG(struct experiment_search, experiment_search_fields);
static const struct api_field experiment_list_fields[] = {
    F_LIST(struct experiment_list, v, n, alloc, "experiments", AF_OMIT_EMPTY, &api_type_experiment),
    F_STR(struct experiment_list, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg experiment_list_resp =
    API_MSG(struct experiment_list, experiment_list_fields);

static const struct api_field experiment_update_fields[] = {
    F_STR(struct rq_experiment_update, experiment_id, "experiment_id", AF_REQUIRED),
    F_STR(struct rq_experiment_update, new_name, "new_name", AF_REQUIRED),
};
static const struct api_msg experiment_update_req =
    API_MSG(struct rq_experiment_update, experiment_update_fields);
static const struct api_field experiment_tag_fields[] = {
    F_STR(struct rq_experiment_tag, experiment_id, "experiment_id", AF_REQUIRED),
    F_STR(struct rq_experiment_tag, key, "key", AF_REQUIRED),
    F_STR(struct rq_experiment_tag, value, "value", 0),
};
static const struct api_msg experiment_tag_req =
    API_MSG(struct rq_experiment_tag, experiment_tag_fields);

/* MLflow resolves a relative local artifact_location against the server's
 * working directory; URIs with a scheme and absolute paths are kept. */
static char *resolve_location(const char *loc)
{
    if (!loc || !*loc || loc[0] == '/' || strstr(loc, ":"))
        return NULL;
    char cwd[4096];
    if (!getcwd(cwd, sizeof(cwd)))
        return NULL;
    struct sbuf sb = SBUF_INIT;
    sbuf_addf(&sb, "%s/%s", cwd, loc[0] == '.' && loc[1] == '/' ? loc + 2 : loc);
    return sbuf_detach(&sb, NULL);
}

static int x_experiments_create(const struct api_env *env, const struct api_op *op, void *req,
                                void *resp, struct ferr *err)
{
    (void)op;
    struct rq_experiment_create *q = req;
    struct rs_experiment_id *r = resp;
    char *abs = env->remote ? resolve_location(q->artifact_location) : NULL;
    const char *loc = abs ? abs : q->artifact_location;
    int rc;
    /* A server writes below its roots only; the message quotes what was
     * sent, never the server's working directory. */
    if (env->roots && loc && *loc && !artifact_roots_allow(env->roots, loc))
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "artifact_location '%.200s' is outside the artifact roots of this server: "
                      "use a location below them (ferry server --allowed-artifact-roots), "
                      "leave it out for the server's default, or give an object store URI",
                      q->artifact_location);
    else if (api_datasets_location_check(loc, err))
        rc = -1;
    else
        rc = store_create_experiment(env->store, q->name, loc, &q->tags, &r->experiment_id, err);
    free(abs);
    return rc;
}

static int x_experiments_get(const struct api_env *env, const struct api_op *op, void *req,
                             void *resp, struct ferr *err)
{
    (void)op;
    struct rs_experiment *r = resp;
    return store_get_experiment(env->store, ((struct rq_experiment_id *)req)->experiment_id,
                                &r->experiment, err);
}

static int x_experiments_get_by_name(const struct api_env *env, const struct api_op *op, void *req,
                                     void *resp, struct ferr *err)
{
    (void)op;
    struct rs_experiment *r = resp;
    return store_get_experiment_by_name(
        env->store, ((struct rq_experiment_name *)req)->experiment_name, &r->experiment, err);
}

static int x_experiments_search(const struct api_env *env, const struct api_op *op, void *req,
                                void *resp, struct ferr *err)
{
    (void)op;
    return store_search_experiments(env->store, req, resp, err);
}

static int x_experiments_update(const struct api_env *env, const struct api_op *op, void *req,
                                void *resp, struct ferr *err)
{
    (void)op;
    (void)resp;
    struct rq_experiment_update *q = req;
    return store_rename_experiment(env->store, q->experiment_id, q->new_name, err);
}

/* delete (arg 1) and restore (arg 0) */
static int x_experiments_lifecycle(const struct api_env *env, const struct api_op *op, void *req,
                                   void *resp, struct ferr *err)
{
    (void)resp;
    const char *id = ((struct rq_experiment_id *)req)->experiment_id;
    return op->arg ? store_delete_experiment(env->store, id, err)
                   : store_restore_experiment(env->store, id, err);
}

/* set (arg 1) and delete (arg 0) */
static int x_experiments_tag(const struct api_env *env, const struct api_op *op, void *req,
                             void *resp, struct ferr *err)
{
    (void)resp;
    struct rq_experiment_tag *q = req;
    if (!op->arg)
        return store_delete_experiment_tag(env->store, q->experiment_id, q->key, err);
    return store_set_experiment_tag(env->store, q->experiment_id, q->key, q->value ? q->value : "",
                                    err);
}

#define EXPERIMENTS_OP(nm, m, c, fl, rq, rs, fn, a, acc, loc, fld)                                 \
    {                                                                                              \
        .name = nm, .root = MLFLOW, .path = nm, .methods = m, .call = c, .flags = OP_AJAX | (fl),  \
        .max_body = API_BODY_SMALL, .req = rq, .resp = rs, .exec = fn, .arg = a, .res = {          \
            acc,                                                                                   \
            loc,                                                                                   \
            fld                                                                                    \
        }                                                                                          \
    }
#define READ  HTTP_GET | HTTP_POST
#define WRITE HTTP_POST

const struct api_op api_experiments_create = EXPERIMENTS_OP(
    "experiments/create", WRITE, HTTP_POST, 0, &experiment_create_req, &experiment_id_resp,
    x_experiments_create, 0, ACCESS_EDIT, LOC_NEW_EXPERIMENT, "name");
const struct api_op api_experiments_get = EXPERIMENTS_OP(
    "experiments/get", READ, HTTP_GET, OP_IDEMPOTENT, &experiment_id_req, &experiment_resp,
    x_experiments_get, 0, ACCESS_READ, LOC_EXPERIMENT_ID, "experiment_id");
const struct api_op api_experiments_get_by_name =
    EXPERIMENTS_OP("experiments/get-by-name", READ, HTTP_GET, OP_IDEMPOTENT, &experiment_name_req,
                   &experiment_resp, x_experiments_get_by_name, 0, ACCESS_READ, LOC_EXPERIMENT_NAME,
                   "experiment_name");
const struct api_op api_experiments_search =
    EXPERIMENTS_OP("experiments/search", READ, HTTP_POST, OP_IDEMPOTENT, &experiment_search_req,
                   &experiment_list_resp, x_experiments_search, 0, ACCESS_READ, LOC_NONE, NULL);
const struct api_op api_experiments_update =
    EXPERIMENTS_OP("experiments/update", WRITE, HTTP_POST, OP_IDEMPOTENT, &experiment_update_req,
                   NULL, x_experiments_update, 0, ACCESS_EDIT, LOC_EXPERIMENT_ID, "experiment_id");
const struct api_op api_experiments_delete =
    EXPERIMENTS_OP("experiments/delete", WRITE, HTTP_POST, 0, &experiment_id_req, NULL,
                   x_experiments_lifecycle, 1, ACCESS_DELETE, LOC_EXPERIMENT_ID, "experiment_id");
const struct api_op api_experiments_restore =
    EXPERIMENTS_OP("experiments/restore", WRITE, HTTP_POST, 0, &experiment_id_req, NULL,
                   x_experiments_lifecycle, 0, ACCESS_DELETE, LOC_EXPERIMENT_ID, "experiment_id");
const struct api_op api_experiments_set_tag = EXPERIMENTS_OP(
    "experiments/set-experiment-tag", WRITE, HTTP_POST, OP_IDEMPOTENT, &experiment_tag_req, NULL,
    x_experiments_tag, 1, ACCESS_EDIT, LOC_EXPERIMENT_ID, "experiment_id");
const struct api_op api_experiments_delete_tag =
    EXPERIMENTS_OP("experiments/delete-experiment-tag", WRITE, HTTP_POST, 0, &experiment_tag_req,
                   NULL, x_experiments_tag, 0, ACCESS_EDIT, LOC_EXPERIMENT_ID, "experiment_id");

/* ---------- runs ---------- */

static const struct api_field run_create_fields[] = {
    F_STR(struct run_create, experiment_id, "experiment_id", AF_REQUIRED),
    F_STR(struct run_create, user_id, "user_id", AF_OMIT_EMPTY),
    F_STR(struct run_create, run_name, "run_name", AF_OMIT_EMPTY),
    F_INT(struct run_create, start_time, "start_time", AF_OMIT_EMPTY, TIME_NONE),
    F_KV(struct run_create, tags, "tags", 0),
};
static const struct api_msg run_create_req = API_MSG(struct run_create, run_create_fields);
static const struct api_field run_fields[] = {
    F_OBJ(struct rs_run, run, "run", 0, &api_type_run),
};
static const struct api_msg run_resp = API_MSG(struct rs_run, run_fields);

static const struct api_field run_id_fields[] = {
    F_RUN_ID(struct rq_run_id, run_id, 0),
};
static const struct api_msg run_id_req = API_MSG(struct rq_run_id, run_id_fields);

static const struct api_field run_update_fields[] = {
    /* run_uuid too: MLflow servers before 1.x's rename read only that one */
    F_RUN_ID(struct rq_run_update, run_id, AF_SEND_UUID),
    F_STATUS(struct rq_run_update, status, "status"),
    F_INT(struct rq_run_update, end_time, "end_time", AF_OMIT_EMPTY, TIME_NONE),
    F_STR(struct rq_run_update, run_name, "run_name", AF_OMIT_EMPTY),
};
static const struct api_msg run_update_req = API_MSG(struct rq_run_update, run_update_fields);
static const struct api_field run_info_fields[] = {
    F_OBJ(struct rs_run_info, run_info, "run_info", 0, &api_type_run_info),
};
static const struct api_msg run_info_resp = API_MSG(struct rs_run_info, run_info_fields);

static const struct api_field run_search_fields[] = {
    F_STRS(struct run_search, experiment_ids, nexperiment_ids, "experiment_ids", 0),
    F_STRS(struct run_search, order_by, norder_by, "order_by", 0),
    F_STR(struct run_search, filter, "filter", AF_OMIT_EMPTY),
    F_STR(struct run_search, page_token, "page_token", AF_OMIT_EMPTY),
    F_INT(struct run_search, max_results, "max_results", 0, DEFAULT_RESULTS_SEARCH_RUNS),
    F_VIEW(struct run_search, view, "run_view_type"),
};
static const struct api_msg run_search_req = API_MSG(struct run_search, run_search_fields);
static const struct api_field run_list_fields[] = {
    F_LIST(struct run_list, v, n, alloc, "runs", AF_OMIT_EMPTY, &api_type_run),
    F_STR(struct run_list, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg run_list_resp = API_MSG(struct run_list, run_list_fields);

static const struct api_field log_metric_fields[] = {
    F_RUN_ID(struct rq_log_metric, run_id, 0),
    F_INLINE(struct rq_log_metric, metric, &api_type_metric),
};
static const struct api_msg log_metric_req = API_MSG(struct rq_log_metric, log_metric_fields);
static const struct api_field run_kv_fields[] = {
    F_RUN_ID(struct rq_run_kv, run_id, 0),
    F_STR(struct rq_run_kv, key, "key", AF_REQUIRED),
    F_STR(struct rq_run_kv, value, "value", 0),
};
static const struct api_msg run_kv_req = API_MSG(struct rq_run_kv, run_kv_fields);

/* log-batch's metrics: counted before they are decoded, so an oversized
 * batch costs nothing. */
static int metrics_decode(json_t *in, const struct api_field *f, void *dst, struct ferr *err)
{
    json_t *jm = json_object_get(in, f->name);
    if (json_is_array(jm) && json_array_size(jm) > MAX_METRICS_PER_BATCH)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a batch logging request can contain at most %d metrics, got %zu",
                        MAX_METRICS_PER_BATCH, json_array_size(jm));
    return codec_metric_list_from_json(jm, dst, err);
}

static void metrics_encode(json_t *out, const struct api_field *f, const void *src)
{
    const struct metric_list *l = src;
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, codec_metric_to_json(&l->v[i]));
    json_object_set_new(out, f->name, a);
}

static void metrics_release(void *dst)
{
    metric_list_release(dst);
}

static const struct api_custom batch_metrics = {metrics_decode, metrics_encode, metrics_release};
static const struct api_field log_batch_fields[] = {
    F_RUN_ID(struct rq_log_batch, run_id, 0),
    F_CUSTOM(struct rq_log_batch, metrics, "metrics", &batch_metrics),
    F_KV(struct rq_log_batch, params, "params", 0),
    F_KV(struct rq_log_batch, tags, "tags", 0),
};
static const struct api_msg log_batch_req = API_MSG(struct rq_log_batch, log_batch_fields);
/* Whether a list field was sent at all, even empty (MLflow 2 requires
 * log-inputs' datasets, an empty list will do). Encoded after the list
 * itself (AF_OMIT_EMPTY): an empty list is sent when it was given, so a
 * request forwarded by a server (server/forward.h) keeps the difference. */
static int presence_decode(json_t *in, const struct api_field *f, void *dst, struct ferr *err)
{
    (void)err;
    json_t *v = json_object_get(in, f->name);
    *(int *)dst = v && !json_is_null(v);
    return 0;
}

static void presence_encode(json_t *out, const struct api_field *f, const void *src)
{
    if (*(const int *)src && !json_object_get(out, f->name))
        json_object_set_new(out, f->name, json_array());
}

static void presence_release(void *dst)
{
    (void)dst;
}

static const struct api_custom presence_field = {presence_decode, presence_encode,
                                                 presence_release};

static const struct api_field log_inputs_fields[] = {
    F_RUN_ID(struct rq_log_inputs, run_id, 0),
    F_LIST(struct rq_log_inputs, v, n, alloc, "datasets", AF_OMIT_EMPTY, &api_type_dataset_input),
    F_CUSTOM(struct rq_log_inputs, models, "models", &api_model_refs_field),
    F_CUSTOM(struct rq_log_inputs, has_datasets, "datasets", &presence_field),
};
static const struct api_msg log_inputs_req = API_MSG(struct rq_log_inputs, log_inputs_fields);
static const struct api_field log_model_fields[] = {
    F_RUN_ID(struct rq_log_model, run_id, 0),
    F_STR(struct rq_log_model, model_json, "model_json", AF_REQUIRED),
};
static const struct api_msg log_model_req = API_MSG(struct rq_log_model, log_model_fields);

static int x_runs_create(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                         struct ferr *err)
{
    (void)op;
    struct run_create *q = req;
    if (env->authenticated) /* who made a run is who the server checked, not a claim */
        q->user_id = env->user;
    return store_create_run(env->store, q, &((struct rs_run *)resp)->run, err);
}

static int x_runs_get(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                      struct ferr *err)
{
    (void)op;
    return store_get_run(env->store, ((struct rq_run_id *)req)->run_id,
                         &((struct rs_run *)resp)->run, err);
}

static int x_runs_update(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                         struct ferr *err)
{
    (void)op;
    struct rq_run_update *q = req;
    struct rs_run_info *r = resp;
    return store_update_run(env->store, q->run_id, q->status, q->end_time, q->run_name,
                            r ? &r->run_info : NULL, err);
}

/* delete (arg 1) and restore (arg 0) */
static int x_runs_lifecycle(const struct api_env *env, const struct api_op *op, void *req,
                            void *resp, struct ferr *err)
{
    (void)resp;
    const char *id = ((struct rq_run_id *)req)->run_id;
    return op->arg ? store_delete_run(env->store, id, err) : store_restore_run(env->store, id, err);
}

static int x_runs_search(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                         struct ferr *err)
{
    (void)op;
    return store_search_runs(env->store, req, resp, err);
}

/* log-metric, log-parameter and set-tag go through the same
 * store_log_batch as log-batch, so validation and the write path are one. */
static int x_runs_log_metric(const struct api_env *env, const struct api_op *op, void *req,
                             void *resp, struct ferr *err)
{
    (void)op;
    (void)resp;
    struct rq_log_metric *q = req;
    struct metric m = q->metric;
    m.run_id = NULL; /* the run id field, not a per-metric one */
    struct metric_list ml = {&m, 1, 1};
    return store_log_batch(env->store, q->run_id, &ml, NULL, NULL, err);
}

/* log-parameter (arg 1) and set-tag (arg 0) */
static int x_runs_log_kv(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                         struct ferr *err)
{
    (void)resp;
    struct rq_run_kv *q = req;
    struct kv one = {(char *)q->key, (char *)(q->value ? q->value : "")};
    struct kv_list l = {&one, 1, 1};
    return store_log_batch(env->store, q->run_id, NULL, op->arg ? &l : NULL, op->arg ? NULL : &l,
                           err);
}

static int x_runs_delete_tag(const struct api_env *env, const struct api_op *op, void *req,
                             void *resp, struct ferr *err)
{
    (void)op;
    (void)resp;
    struct rq_run_kv *q = req;
    return store_delete_tag(env->store, q->run_id, q->key, err);
}

static int x_runs_log_batch(const struct api_env *env, const struct api_op *op, void *req,
                            void *resp, struct ferr *err)
{
    (void)op;
    (void)resp;
    struct rq_log_batch *q = req;
    return store_log_batch(env->store, q->run_id, &q->metrics, &q->params, &q->tags, err);
}

static int x_runs_log_inputs(const struct api_env *env, const struct api_op *op, void *req,
                             void *resp, struct ferr *err)
{
    (void)op;
    (void)resp;
    struct rq_log_inputs *q = req;
    /* MLflow 2 requires datasets (an empty list will do); MLflow 3 takes
     * models instead */
    if (!q->has_datasets && !q->models.n)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Missing value for required parameter 'datasets'. See the API docs for "
                        "more information about request parameters.");
    if ((q->has_datasets || q->n) && store_log_inputs(env->store, q->run_id, q->v, q->n, err))
        return -1;
    return q->models.n ? store_log_model_refs(env->store, q->run_id, 0, &q->models, err) : 0;
}

static int x_runs_log_model(const struct api_env *env, const struct api_op *op, void *req,
                            void *resp, struct ferr *err)
{
    (void)op;
    (void)resp;
    struct rq_log_model *q = req;
    return store_log_model(env->store, q->run_id, q->model_json, err);
}

#define RUNS_OP(nm, m, c, fl, body, rq, rs, fn, a, acc, loc, fld)                                  \
    {                                                                                              \
        .name = nm, .root = MLFLOW, .path = nm, .methods = m, .call = c, .flags = OP_AJAX | (fl),  \
        .max_body = body, .req = rq, .resp = rs, .exec = fn, .arg = a, .res = {                    \
            acc,                                                                                   \
            loc,                                                                                   \
            fld                                                                                    \
        }                                                                                          \
    }

const struct api_op api_runs_create =
    RUNS_OP("runs/create", WRITE, HTTP_POST, 0, API_BODY_SMALL, &run_create_req, &run_resp,
            x_runs_create, 0, ACCESS_EDIT, LOC_EXPERIMENT_ID, "experiment_id");
const struct api_op api_runs_get =
    RUNS_OP("runs/get", READ, HTTP_GET, OP_IDEMPOTENT, API_BODY_SMALL, &run_id_req, &run_resp,
            x_runs_get, 0, ACCESS_READ, LOC_RUN_ID, "run_id");
const struct api_op api_runs_update =
    RUNS_OP("runs/update", WRITE, HTTP_POST, OP_IDEMPOTENT, API_BODY_SMALL, &run_update_req,
            &run_info_resp, x_runs_update, 0, ACCESS_EDIT, LOC_RUN_ID, "run_id");
const struct api_op api_runs_delete =
    RUNS_OP("runs/delete", WRITE, HTTP_POST, 0, API_BODY_SMALL, &run_id_req, NULL, x_runs_lifecycle,
            1, ACCESS_DELETE, LOC_RUN_ID, "run_id");
const struct api_op api_runs_restore =
    RUNS_OP("runs/restore", WRITE, HTTP_POST, 0, API_BODY_SMALL, &run_id_req, NULL,
            x_runs_lifecycle, 0, ACCESS_DELETE, LOC_RUN_ID, "run_id");
const struct api_op api_runs_search =
    RUNS_OP("runs/search", READ, HTTP_POST, OP_IDEMPOTENT, API_BODY_SMALL, &run_search_req,
            &run_list_resp, x_runs_search, 0, ACCESS_READ, LOC_EXPERIMENT_IDS, "experiment_ids");
const struct api_op api_runs_log_metric =
    RUNS_OP("runs/log-metric", WRITE, HTTP_POST, OP_IDEMPOTENT, API_BODY_SMALL, &log_metric_req,
            NULL, x_runs_log_metric, 0, ACCESS_EDIT, LOC_RUN_ID, "run_id");
const struct api_op api_runs_log_parameter =
    RUNS_OP("runs/log-parameter", WRITE, HTTP_POST, OP_IDEMPOTENT, API_BODY_SMALL, &run_kv_req,
            NULL, x_runs_log_kv, 1, ACCESS_EDIT, LOC_RUN_ID, "run_id");
const struct api_op api_runs_set_tag =
    RUNS_OP("runs/set-tag", WRITE, HTTP_POST, OP_IDEMPOTENT, API_BODY_SMALL, &run_kv_req, NULL,
            x_runs_log_kv, 0, ACCESS_EDIT, LOC_RUN_ID, "run_id");
const struct api_op api_runs_delete_tag =
    RUNS_OP("runs/delete-tag", WRITE, HTTP_POST, 0, API_BODY_SMALL, &run_kv_req, NULL,
            x_runs_delete_tag, 0, ACCESS_EDIT, LOC_RUN_ID, "run_id");
/* MLflow's MAX_BATCH_LOG_REQUEST_SIZE: 1 MB for a log-batch request. Safe
 * to resend: identical metric points are stored once, an identical param
 * is accepted again, a tag is overwritten with the same value. */
const struct api_op api_runs_log_batch =
    RUNS_OP("runs/log-batch", WRITE, HTTP_POST, OP_IDEMPOTENT, MAX_REQUEST_BYTES, &log_batch_req,
            NULL, x_runs_log_batch, 0, ACCESS_EDIT, LOC_RUN_ID, "run_id");
const struct api_op api_runs_log_inputs =
    RUNS_OP("runs/log-inputs", WRITE, HTTP_POST, OP_IDEMPOTENT, BODY_LARGE, &log_inputs_req, NULL,
            x_runs_log_inputs, 0, ACCESS_EDIT, LOC_RUN_ID, "run_id");
const struct api_op api_runs_log_model =
    RUNS_OP("runs/log-model", WRITE, HTTP_POST, 0, API_BODY_SMALL, &log_model_req, NULL,
            x_runs_log_model, 0, ACCESS_EDIT, LOC_RUN_ID, "run_id");

static const struct api_op *const tracking_ops[] = {
    &api_experiments_create,
    &api_experiments_get,
    &api_experiments_get_by_name,
    &api_experiments_search,
    &api_experiments_update,
    &api_experiments_delete,
    &api_experiments_restore,
    &api_experiments_set_tag,
    &api_experiments_delete_tag,
    &api_runs_create,
    &api_runs_get,
    &api_runs_update,
    &api_runs_delete,
    &api_runs_restore,
    &api_runs_search,
    &api_runs_log_metric,
    &api_runs_log_parameter,
    &api_runs_set_tag,
    &api_runs_delete_tag,
    &api_runs_log_batch,
    &api_runs_log_inputs,
    &api_runs_log_model,
};
const struct api_area api_tracking_area = {"tracking", tracking_ops,
                                           sizeof(tracking_ops) / sizeof(*tracking_ops)};
