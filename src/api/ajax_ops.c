/* SPDX-License-Identifier: MIT
 * The operations MLflow serves for its web UI only, under /ajax-api/:
 * experiments/search-datasets (the datasets of the experiments' runs) and
 * runs/create-promptlab-run (a finished run recording one prompt, as the
 * prompt engineering UI made them). The UI's other helpers stream files or
 * call out (server/upload_artifact.c, server/gateway_proxy.c). */
#include "api/ajax_ops.h"
#include "api/types.h"
#include "artifacts/place.h"
#include "base/ftime.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "domain/validate.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define AJAX "/ajax-api/2.0/mlflow"

/* ---------- experiments/search-datasets ---------- */

static json_t *summary_to_json(const void *v)
{
    const struct dataset_summary *d = v;
    json_t *o = json_pack("{s:s, s:s, s:s}", "experiment_id", d->experiment_id, "name", d->name,
                          "digest", d->digest);
    if (o && d->context)
        json_object_set_new(o, "context", json_string(d->context));
    return o;
}

static int summary_from_json(json_t *j, void *out, struct ferr *err)
{
    struct dataset_summary *d = out;
    const char *keys[] = {"experiment_id", "name", "digest", "context"};
    char **dst[] = {&d->experiment_id, &d->name, &d->digest, &d->context};
    memset(d, 0, sizeof(*d));
    for (size_t i = 0; i < 4; i++) {
        const char *s = json_string_value(json_object_get(j, keys[i]));
        *dst[i] = s ? xstrdup(s) : NULL;
    }
    if (!d->experiment_id || !d->name || !d->digest)
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed dataset summary");
    return 0;
}

static void summary_release(void *v)
{
    struct dataset_summary *d = v;
    free(d->experiment_id);
    free(d->name);
    free(d->digest);
    free(d->context);
    memset(d, 0, sizeof(*d));
}

static const struct api_type summary_type = {"dataset_summary", sizeof(struct dataset_summary),
                                             summary_to_json,   summary_from_json,
                                             summary_release,   NULL};

static const struct api_field datasets_fields[] = {
    F_STRS(struct rq_search_datasets, experiment_ids, n, "experiment_ids", 0),
};
static const struct api_msg datasets_req = API_MSG(struct rq_search_datasets, datasets_fields);
static const struct api_field summaries_fields[] = {
    F_LIST(struct dataset_summary_list, v, n, alloc, "dataset_summaries", AF_OMIT_EMPTY,
           &summary_type),
};
static const struct api_msg summaries_resp = API_MSG(struct dataset_summary_list, summaries_fields);

static int x_search_datasets(const struct api_env *env, const struct api_op *op, void *req,
                             void *resp, struct ferr *err)
{
    (void)op;
    struct rq_search_datasets *q = req;
    return store_search_datasets(env->store, q->experiment_ids, q->n, resp, err);
}

const struct api_op api_search_datasets = {
    .name = "experiments/search-datasets",
    .root = AJAX,
    .path = "experiments/search-datasets",
    .methods = HTTP_POST,
    .call = HTTP_POST,
    .flags = OP_IDEMPOTENT,
    .max_body = API_BODY_SMALL,
    .req = &datasets_req,
    .resp = &summaries_resp,
    .exec = x_search_datasets,
    .res = {ACCESS_READ, LOC_EXPERIMENT_IDS, "experiment_ids"},
};

/* ---------- runs/create-promptlab-run ---------- */

static const struct api_field promptlab_fields[] = {
    F_STR(struct rq_promptlab_run, experiment_id, "experiment_id", 0),
    F_STR(struct rq_promptlab_run, run_name, "run_name", AF_OMIT_EMPTY),
    F_KV(struct rq_promptlab_run, tags, "tags", AF_OMIT_EMPTY),
    F_STR(struct rq_promptlab_run, prompt_template, "prompt_template", 0),
    F_KV(struct rq_promptlab_run, prompt_parameters, "prompt_parameters", AF_OMIT_EMPTY),
    F_STR(struct rq_promptlab_run, model_route, "model_route", 0),
    F_KV(struct rq_promptlab_run, model_parameters, "model_parameters", AF_OMIT_EMPTY),
    F_STR(struct rq_promptlab_run, model_input, "model_input", 0),
    F_STR(struct rq_promptlab_run, model_output, "model_output", AF_OMIT_EMPTY),
    F_KV(struct rq_promptlab_run, model_output_parameters, "model_output_parameters",
         AF_OMIT_EMPTY),
    F_STR(struct rq_promptlab_run, mlflow_version, "mlflow_version", 0),
    F_STR(struct rq_promptlab_run, user_id, "user_id", AF_OMIT_EMPTY),
    F_INT(struct rq_promptlab_run, start_time, "start_time", AF_OMIT_EMPTY, 0),
};
static const struct api_msg promptlab_req = API_MSG(struct rq_promptlab_run, promptlab_fields);
static const struct api_field run_resp_fields[] = {
    F_PTR(struct rs_promptlab_run, run, "run", &api_type_run),
};
static const struct api_msg run_resp = API_MSG(struct rs_promptlab_run, run_resp_fields);

/* MLflow's check, in its words: "CreatePromptlabRun request must specify
 * <arg>." */
static int need(const char *value, const char *arg, struct ferr *err)
{
    if (value && *value)
        return 0;
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "CreatePromptlabRun request must specify %s.", arg);
}

/* eval_results_table.json, as MLflow writes it: the prompt's parameters,
 * the prompt and the output, then the output's parameters, in one row. */
static char *eval_table(const struct rq_promptlab_run *q)
{
    json_t *cols = json_array(), *row = json_array();
    for (size_t i = 0; i < q->prompt_parameters.n; i++) {
        json_array_append_new(cols, json_string(q->prompt_parameters.v[i].key));
        json_array_append_new(row, json_string(q->prompt_parameters.v[i].value));
    }
    json_array_append_new(cols, json_string("prompt"));
    json_array_append_new(cols, json_string("output"));
    json_array_append_new(row, json_string(q->model_input));
    json_array_append_new(row, q->model_output ? json_string(q->model_output) : json_null());
    for (size_t i = 0; i < q->model_output_parameters.n; i++) {
        json_array_append_new(cols, json_string(q->model_output_parameters.v[i].key));
        json_array_append_new(row, json_string(q->model_output_parameters.v[i].value));
    }
    json_t *doc = json_pack("{s:o, s:[o]}", "columns", cols, "data", row);
    char *text = doc ? json_dumps(doc, JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    return text;
}

/* The run's params, tags and table; the caller ends the run. */
static int record_prompt(const struct api_env *env, const struct rq_promptlab_run *q,
                         const struct run *run, struct ferr *err)
{
    struct kv_list params = {NULL, 0, 0}, tags = {NULL, 0, 0};
    for (size_t i = 0; i < q->model_parameters.n; i++)
        kv_list_add(&params, q->model_parameters.v[i].key, q->model_parameters.v[i].value);
    kv_list_add(&params, "model_route", q->model_route);
    kv_list_add(&params, "prompt_template", q->prompt_template);
    kv_list_add(&tags, "mlflow.loggedArtifacts",
                "[{\"path\": \"eval_results_table.json\", \"type\": \"table\"}]");
    kv_list_add(&tags, "mlflow.runSourceType", "PROMPT_ENGINEERING");
    struct artifact_place place;
    char *table = eval_table(q);
    int rc = -1;
    if (!table)
        ferr_set(err, FERR_INTERNAL_ERROR, "cannot write the evaluation table");
    else if (store_log_batch(env->store, run->info.run_id, NULL, &params, &tags, err) == 0 &&
             artifact_place_open(&place, env->artifacts, env->roots, run->info.artifact_uri, err) ==
                 0) {
        rc = artifact_place_write(&place, "eval_results_table.json", table, strlen(table), err);
        artifact_place_close(&place);
    }
    free(table);
    kv_list_release(&params);
    kv_list_release(&tags);
    return rc;
}

static int x_promptlab_run(const struct api_env *env, const struct api_op *op, void *req,
                           void *resp, struct ferr *err)
{
    (void)op;
    struct rq_promptlab_run *q = req;
    struct rs_promptlab_run *r = resp;
    if (need(q->experiment_id, "experiment_id", err) ||
        need(q->prompt_template, "prompt_template", err) ||
        need(q->prompt_parameters.n ? "x" : NULL, "prompt_parameters", err) ||
        need(q->model_route, "model_route", err) || need(q->model_input, "model_input", err) ||
        need(q->mlflow_version, "mlflow_version", err))
        return -1;
    struct run_create rc = {q->experiment_id, q->user_id ? q->user_id : "unknown", q->run_name,
                            q->start_time ? q->start_time : ftime_now_ms(), q->tags};
    struct run run;
    if (store_create_run(env->store, &rc, &run, err))
        return -1;
    /* as MLflow: a run that could not record the prompt ends FAILED */
    struct ferr inner = FERR_INIT;
    int failed = record_prompt(env, q, &run, &inner);
    struct run_info info;
    int rcode = store_update_run(env->store, run.info.run_id, failed ? RUN_FAILED : RUN_FINISHED,
                                 ftime_now_ms(), NULL, &info, err);
    if (!rcode)
        run_info_release(&info);
    if (!rcode && failed) {
        *err = inner;
        rcode = -1;
    }
    if (!rcode && r) {
        r->run = xcalloc(1, sizeof(*r->run));
        rcode = store_get_run(env->store, run.info.run_id, r->run, err);
        if (rcode) {
            free(r->run);
            r->run = NULL;
        }
    }
    run_release(&run);
    return rcode;
}

const struct api_op api_create_promptlab_run = {
    .name = "runs/create-promptlab-run",
    .root = AJAX,
    .path = "runs/create-promptlab-run",
    .methods = HTTP_POST,
    .call = HTTP_POST,
    .max_body = API_BODY_SMALL,
    .req = &promptlab_req,
    .resp = &run_resp,
    .exec = x_promptlab_run,
    .res = {ACCESS_EDIT, LOC_EXPERIMENT_ID, "experiment_id"},
};

static const struct api_op *const ajax_ops[] = {&api_search_datasets, &api_create_promptlab_run};
const struct api_area api_ajax_area = {"ajax", ajax_ops, sizeof(ajax_ops) / sizeof(*ajax_ops)};
