/* SPDX-License-Identifier: MIT
 * The model registry: MLflow's registered-models/... and model-versions/...
 * with MLflow's methods (PATCH and DELETE, and POST besides them, which
 * ferry also takes), so the REST transport drives a stock MLflow server
 * too; plus ferry's audit trail, URI resolution and lineage under
 * /api/2.0/ferry/. Writes answer with the entity as it is after the write,
 * as MLflow does. */
#include "api/registry_ops.h"
#include "api/types.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/data_version.h"
#include "store/datasets.h"
#include "store/model_uri.h"
#include "store/registry.h"
#include "store/version_source.h"
#include "store/store.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MLFLOW "/api/2.0/mlflow"
#define FERRY  "/api/2.0/ferry"
#define READ   (HTTP_GET | HTTP_POST)

/* ---------- writes ---------- */

#define W_NAME        F_STR(struct reg_write, name, "name", AF_NONEMPTY)
#define W_VERSION     F_VERSION(struct reg_write, version, "version", 0)
#define W_DESCRIPTION F_STR(struct reg_write, description, "description", 0)
#define W_TAGS        F_KV(struct reg_write, tags, "tags", AF_OMIT_EMPTY)
#define W_KEY         F_STR(struct reg_write, key, "key", AF_REQUIRED)
#define W_VALUE       F_STR(struct reg_write, value, "value", AF_REQUIRED)
#define W_MSG(id, ...)                                                                             \
    static const struct api_field id##_fields[] = {__VA_ARGS__};                                   \
    static const struct api_msg id = API_MSG(struct reg_write, id##_fields)

W_MSG(create_model_req, W_NAME, W_DESCRIPTION, W_TAGS);
W_MSG(rename_model_req, W_NAME, F_STR(struct reg_write, new_name, "new_name", AF_NONEMPTY));
W_MSG(update_model_req, W_NAME, W_DESCRIPTION);
W_MSG(name_req, W_NAME);
W_MSG(model_tag_req, W_NAME, W_KEY, W_VALUE);
W_MSG(model_tag_delete_req, W_NAME, W_KEY);
W_MSG(alias_set_req, W_NAME, F_STR(struct reg_write, alias, "alias", AF_REQUIRED), W_VERSION);
W_MSG(alias_delete_req, W_NAME, F_STR(struct reg_write, alias, "alias", AF_REQUIRED));
W_MSG(create_version_req, W_NAME, F_STR(struct reg_write, source, "source", AF_REQUIRED),
      F_STR(struct reg_write, run_id, "run_id", 0),
      F_STR(struct reg_write, run_link, "run_link", 0), W_DESCRIPTION, W_TAGS,
      F_STR(struct reg_write, model_id, "model_id", AF_OMIT_EMPTY));
W_MSG(update_version_req, W_NAME, W_VERSION, W_DESCRIPTION);
W_MSG(version_req, W_NAME, W_VERSION);
W_MSG(transition_req, W_NAME, W_VERSION, F_STR(struct reg_write, stage, "stage", AF_REQUIRED),
      F_BOOL(struct reg_write, archive_existing, "archive_existing_versions", 0));
W_MSG(version_tag_req, W_NAME, W_VERSION, W_KEY, W_VALUE);
W_MSG(version_tag_delete_req, W_NAME, W_VERSION, W_KEY);

static const struct api_field reg_write_resp_fields[] = {
    F_PTR(struct rs_reg_write, registered_model, "registered_model", &api_type_registered_model),
    F_PTR(struct rs_reg_write, model_version, "model_version", &api_type_model_version),
};
static const struct api_msg reg_write_resp = API_MSG(struct rs_reg_write, reg_write_resp_fields);

static int read_model(struct store *s, const char *name, struct registered_model **out,
                      struct ferr *err)
{
    struct registered_model *m = xcalloc(1, sizeof(*m));
    if (store_get_registered_model(s, name, m, err)) {
        free(m);
        return -1;
    }
    *out = m;
    return 0;
}

static int read_version(struct store *s, const char *name, int64_t version,
                        struct model_version **out, struct ferr *err)
{
    struct model_version *v = xcalloc(1, sizeof(*v));
    if (store_get_model_version(s, name, version, v, err)) {
        free(v);
        return -1;
    }
    *out = v;
    return 0;
}

/* Every write: the action is the row's; over the network, the user is who
 * the server authenticated, never what the request says. */
static int x_write(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                   struct ferr *err)
{
    struct reg_write *w = req;
    struct rs_reg_write *r = resp;
    w->action = (enum reg_action)op->arg;
    if (env->remote)
        w->user = env->user ? env->user : "";
    if (w->action == REG_CREATE_VERSION) {
        struct version_source vs;
        int rc = store_version_prepare(env->store, w, &vs, err) ||
                         store_registry_write(env->store, w, err) ||
                         (w->model_id && *w->model_id &&
                          store_version_link_model(env->store, w->model_id, w->name,
                                                   w->created_version, err))
                     ? -1
                     : 0;
        w->run_id = w->storage_location = NULL; /* they pointed into vs */
        version_source_release(&vs);
        if (rc)
            return -1;
    } else if (store_registry_write(env->store, w, err)) {
        return -1;
    }
    if (!r)
        return 0;
    switch (w->action) {
    case REG_CREATE_MODEL:
    case REG_UPDATE_MODEL:
        return read_model(env->store, w->name, &r->registered_model, err);
    case REG_RENAME_MODEL:
        return read_model(env->store, w->new_name, &r->registered_model, err);
    case REG_CREATE_VERSION:
        return read_version(env->store, w->name, w->created_version, &r->model_version, err);
    case REG_UPDATE_VERSION:
    case REG_TRANSITION:
        return read_version(env->store, w->name, w->version, &r->model_version, err);
    default:
        return 0;
    }
}

#define WRITE_OP(id, nm, p, m, c, fl, rq, act, acc)                                                \
    const struct api_op id = {                                                                     \
        .name = nm,                                                                                \
        .root = MLFLOW,                                                                            \
        .path = p,                                                                                 \
        .methods = m,                                                                              \
        .call = c,                                                                                 \
        .flags = OP_AJAX | (fl),                                                                   \
        .max_body = API_BODY_SMALL,                                                                \
        .req = rq,                                                                                 \
        .resp = &reg_write_resp,                                                                   \
        .exec = x_write,                                                                           \
        .arg = act,                                                                                \
        .res = {acc, act == REG_CREATE_MODEL ? LOC_NEW_MODEL : LOC_MODEL_NAME, "name"}}

static WRITE_OP(create_model, "registered-models/create", "registered-models/create", HTTP_POST,
                HTTP_POST, 0, &create_model_req, REG_CREATE_MODEL, ACCESS_EDIT);
static WRITE_OP(rename_model, "registered-models/rename", "registered-models/rename", HTTP_POST,
                HTTP_POST, 0, &rename_model_req, REG_RENAME_MODEL, ACCESS_EDIT);
static WRITE_OP(update_model, "registered-models/update", "registered-models/update",
                HTTP_PATCH | HTTP_POST, HTTP_PATCH, 0, &update_model_req, REG_UPDATE_MODEL,
                ACCESS_EDIT);
static WRITE_OP(delete_model, "registered-models/delete", "registered-models/delete",
                HTTP_DELETE | HTTP_POST, HTTP_DELETE, 0, &name_req, REG_DELETE_MODEL,
                ACCESS_DELETE);
static WRITE_OP(set_model_tag, "registered-models/set-tag", "registered-models/set-tag", HTTP_POST,
                HTTP_POST, 0, &model_tag_req, REG_SET_MODEL_TAG, ACCESS_EDIT);
static WRITE_OP(delete_model_tag, "registered-models/delete-tag", "registered-models/delete-tag",
                HTTP_DELETE | HTTP_POST, HTTP_DELETE, 0, &model_tag_delete_req,
                REG_DELETE_MODEL_TAG, ACCESS_EDIT);
/* registered-models/alias: POST sets, DELETE removes, GET resolves (below) */
static WRITE_OP(set_alias, "registered-models/alias:set", "registered-models/alias", HTTP_POST,
                HTTP_POST, 0, &alias_set_req, REG_SET_ALIAS, ACCESS_EDIT);
static WRITE_OP(delete_alias, "registered-models/alias:delete", "registered-models/alias",
                HTTP_DELETE, HTTP_DELETE, 0, &alias_delete_req, REG_DELETE_ALIAS, ACCESS_DELETE);
static WRITE_OP(create_version, "model-versions/create", "model-versions/create", HTTP_POST,
                HTTP_POST, 0, &create_version_req, REG_CREATE_VERSION, ACCESS_EDIT);
static WRITE_OP(update_version, "model-versions/update", "model-versions/update",
                HTTP_PATCH | HTTP_POST, HTTP_PATCH, 0, &update_version_req, REG_UPDATE_VERSION,
                ACCESS_EDIT);
static WRITE_OP(delete_version, "model-versions/delete", "model-versions/delete",
                HTTP_DELETE | HTTP_POST, HTTP_DELETE, 0, &version_req, REG_DELETE_VERSION,
                ACCESS_DELETE);
static WRITE_OP(transition, "model-versions/transition-stage", "model-versions/transition-stage",
                HTTP_POST, HTTP_POST, 0, &transition_req, REG_TRANSITION, ACCESS_EDIT);
static WRITE_OP(set_version_tag, "model-versions/set-tag", "model-versions/set-tag", HTTP_POST,
                HTTP_POST, 0, &version_tag_req, REG_SET_VERSION_TAG, ACCESS_EDIT);
static WRITE_OP(delete_version_tag, "model-versions/delete-tag", "model-versions/delete-tag",
                HTTP_DELETE | HTTP_POST, HTTP_DELETE, 0, &version_tag_delete_req,
                REG_DELETE_VERSION_TAG, ACCESS_DELETE); /* MANAGE, as in MLflow's auth app */

static const struct api_op *const write_ops[] = {
    [REG_CREATE_MODEL] = &create_model,
    [REG_RENAME_MODEL] = &rename_model,
    [REG_UPDATE_MODEL] = &update_model,
    [REG_DELETE_MODEL] = &delete_model,
    [REG_SET_MODEL_TAG] = &set_model_tag,
    [REG_DELETE_MODEL_TAG] = &delete_model_tag,
    [REG_SET_ALIAS] = &set_alias,
    [REG_DELETE_ALIAS] = &delete_alias,
    [REG_CREATE_VERSION] = &create_version,
    [REG_UPDATE_VERSION] = &update_version,
    [REG_DELETE_VERSION] = &delete_version,
    [REG_TRANSITION] = &transition,
    [REG_SET_VERSION_TAG] = &set_version_tag,
    [REG_DELETE_VERSION_TAG] = &delete_version_tag,
};

const struct api_op *api_registry_write_op(enum reg_action action)
{
    if ((size_t)action >= sizeof(write_ops) / sizeof(*write_ops))
        return NULL;
    return write_ops[action];
}

/* ---------- reads ---------- */

static const struct api_field model_name_fields[] = {
    F_STR(struct rq_model_name, name, "name", AF_NONEMPTY),
};
static const struct api_msg model_name_req = API_MSG(struct rq_model_name, model_name_fields);
static const struct api_field registered_model_fields[] = {
    F_OBJ(struct rs_registered_model, registered_model, "registered_model", 0,
          &api_type_registered_model),
};
static const struct api_msg registered_model_resp =
    API_MSG(struct rs_registered_model, registered_model_fields);

static const struct api_field model_version_fields[] = {
    F_STR(struct rq_model_version, name, "name", AF_NONEMPTY),
    F_VERSION(struct rq_model_version, version, "version", 0),
};
static const struct api_msg model_version_req =
    API_MSG(struct rq_model_version, model_version_fields);
static const struct api_field model_version_resp_fields[] = {
    F_OBJ(struct rs_model_version, model_version, "model_version", 0, &api_type_model_version),
};
static const struct api_msg model_version_resp =
    API_MSG(struct rs_model_version, model_version_resp_fields);

static const struct api_field alias_fields[] = {
    F_STR(struct rq_model_alias, name, "name", AF_NONEMPTY),
    F_STR(struct rq_model_alias, alias, "alias", AF_REQUIRED),
};
static const struct api_msg alias_req = API_MSG(struct rq_model_alias, alias_fields);

static const struct api_field search_fields[] = {
    F_STR(struct registry_search, filter, "filter", 0),
    F_INT(struct registry_search, max_results, "max_results", AF_OMIT_EMPTY, 0),
    F_STR(struct registry_search, page_token, "page_token", 0),
    F_STRS(struct registry_search, order_by, norder_by, "order_by", AF_OMIT_EMPTY),
};
static const struct api_msg search_req = API_MSG(struct registry_search, search_fields);
static const struct api_field model_list_fields[] = {
    F_LIST(struct registered_model_list, v, n, alloc, "registered_models", AF_OMIT_EMPTY,
           &api_type_registered_model),
    F_STR(struct registered_model_list, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg model_list_resp =
    API_MSG(struct registered_model_list, model_list_fields);
static const struct api_field version_list_fields[] = {
    F_LIST(struct model_version_list, v, n, alloc, "model_versions", AF_OMIT_EMPTY,
           &api_type_model_version),
    F_STR(struct model_version_list, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg version_list_resp =
    API_MSG(struct model_version_list, version_list_fields);

static const struct api_field latest_fields[] = {
    F_STR(struct rq_latest_versions, name, "name", AF_NONEMPTY),
    F_STRS(struct rq_latest_versions, stages, nstages, "stages", AF_OMIT_EMPTY),
};
static const struct api_msg latest_req = API_MSG(struct rq_latest_versions, latest_fields);
static const struct api_field latest_resp_fields[] = {
    F_LIST(struct rs_model_versions, model_versions.v, model_versions.n, model_versions.alloc,
           "model_versions", AF_OMIT_EMPTY, &api_type_model_version),
};
static const struct api_msg latest_resp = API_MSG(struct rs_model_versions, latest_resp_fields);

static const struct api_field download_uri_fields[] = {
    F_STR(struct rs_download_uri, artifact_uri, "artifact_uri", 0),
};
static const struct api_msg download_uri_resp =
    API_MSG(struct rs_download_uri, download_uri_fields);

static const struct api_field history_fields[] = {
    F_STR(struct rs_registry_history, name, "name", 0),
    F_LIST(struct rs_registry_history, events.v, events.n, events.alloc, "events", 0,
           &api_type_registry_event),
};
static const struct api_msg history_resp = API_MSG(struct rs_registry_history, history_fields);

static const struct api_field uri_fields[] = {
    F_STR(struct rq_model_uri, uri, "uri", AF_REQUIRED),
};
static const struct api_msg uri_req = API_MSG(struct rq_model_uri, uri_fields);
static const struct api_field resolved_fields[] = {
    F_STR(struct rs_model_uri, uri, "uri", 0),
    F_STR(struct rs_model_uri, artifact_uri, "artifact_uri", 0),
    F_PTR(struct rs_model_uri, model_version, "model_version", &api_type_model_version),
};
static const struct api_msg resolved_resp = API_MSG(struct rs_model_uri, resolved_fields);

/* {"name", "digest", "source_type", "source", "context"?, "dataset_version"?:
 *  {"name", "version", "digest", "uri"}, "error"?} */
static json_t *lineage_dataset_to_json(const void *v)
{
    const struct lineage_dataset *d = v;
    json_t *o = json_pack("{s:s?, s:s?, s:s?, s:s?}", "name", d->name, "digest", d->digest,
                          "source_type", d->source_type, "source", d->source);
    if (o && d->context)
        json_object_set_new(o, "context", json_string(d->context));
    if (o && d->data_name) {
        char *uri = data_uri_format(d->data_name, d->data_version);
        json_object_set_new(o, "dataset_version",
                            json_pack("{s:s, s:I, s:s?, s:s}", "name", d->data_name, "version",
                                      (json_int_t)d->data_version, "digest", d->data_digest, "uri",
                                      uri));
        free(uri);
    }
    if (o && d->data_error)
        json_object_set_new(o, "error", json_string(d->data_error));
    return o;
}

static char *str_of(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? xstrdup(s) : NULL;
}

static int lineage_dataset_from_json(json_t *j, void *out, struct ferr *err)
{
    struct lineage_dataset *d = out;
    json_t *dv = json_object_get(j, "dataset_version");
    memset(d, 0, sizeof(*d));
    if (!json_is_object(j))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed lineage dataset");
    d->name = str_of(j, "name");
    d->digest = str_of(j, "digest");
    d->source_type = str_of(j, "source_type");
    d->source = str_of(j, "source");
    d->context = str_of(j, "context");
    d->data_error = str_of(j, "error");
    if (json_is_object(dv)) {
        d->data_name = str_of(dv, "name");
        d->data_version = json_integer_value(json_object_get(dv, "version"));
        d->data_digest = str_of(dv, "digest");
    }
    return 0;
}

static void lineage_dataset_release(void *v)
{
    struct lineage_dataset *d = v;
    free(d->name);
    free(d->digest);
    free(d->source_type);
    free(d->source);
    free(d->context);
    free(d->data_name);
    free(d->data_digest);
    free(d->data_error);
    memset(d, 0, sizeof(*d));
}

static const struct api_type lineage_dataset_type = {
    "lineage_dataset",         sizeof(struct lineage_dataset), lineage_dataset_to_json,
    lineage_dataset_from_json, lineage_dataset_release,        NULL};

static const struct api_field lineage_fields[] = {
    F_OBJ(struct rs_version_lineage, model_version, "model_version", 0, &api_type_model_version),
    F_STR(struct rs_version_lineage, artifact_uri, "artifact_uri", 0),
    F_PTR(struct rs_version_lineage, run, "run", &api_type_run),
    F_LIST(struct rs_version_lineage, datasets, ndatasets, adatasets, "datasets", AF_OMIT_EMPTY,
           &lineage_dataset_type),
};
static const struct api_msg lineage_resp = API_MSG(struct rs_version_lineage, lineage_fields);

static int x_get_model(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                       struct ferr *err)
{
    (void)op;
    return store_get_registered_model(env->store, ((struct rq_model_name *)req)->name,
                                      &((struct rs_registered_model *)resp)->registered_model, err);
}

static int x_get_alias(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                       struct ferr *err)
{
    (void)op;
    struct rq_model_alias *q = req;
    return store_get_version_by_alias(env->store, q->name, q->alias,
                                      &((struct rs_model_version *)resp)->model_version, err);
}

static int x_search_models(const struct api_env *env, const struct api_op *op, void *req,
                           void *resp, struct ferr *err)
{
    (void)op;
    return store_search_registered_models(env->store, req, resp, err);
}

static int x_search_versions(const struct api_env *env, const struct api_op *op, void *req,
                             void *resp, struct ferr *err)
{
    (void)op;
    return store_search_model_versions(env->store, req, resp, err);
}

static int x_latest(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    struct rq_latest_versions *q = req;
    return store_get_latest_versions(env->store, q->name, q->stages, q->nstages,
                                     &((struct rs_model_versions *)resp)->model_versions, err);
}

static int x_get_version(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                         struct ferr *err)
{
    (void)op;
    struct rq_model_version *q = req;
    return store_get_model_version(env->store, q->name, q->version,
                                   &((struct rs_model_version *)resp)->model_version, err);
}

static int x_download_uri(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                          struct ferr *err)
{
    (void)op;
    struct rq_model_version *q = req;
    struct model_version v;
    if (store_get_model_version(env->store, q->name, q->version, &v, err))
        return -1;
    /* as MLflow: where a models:/ source's files are, else the source */
    if (v.storage_location) {
        ((struct rs_download_uri *)resp)->artifact_uri = v.storage_location;
        v.storage_location = NULL;
    } else {
        ((struct rs_download_uri *)resp)->artifact_uri = v.source;
        v.source = NULL;
    }
    model_version_release(&v);
    return 0;
}

static int x_history(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                     struct ferr *err)
{
    (void)op;
    struct rq_model_name *q = req;
    struct rs_registry_history *r = resp;
    if (store_registry_events(env->store, q->name, &r->events, err))
        return -1;
    r->name = xstrdup(q->name);
    return 0;
}

/* /api/2.0/ferry/models/resolve?uri=models:/name@alias: where its files are. */
static int x_resolve(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                     struct ferr *err)
{
    (void)op;
    struct rq_model_uri *q = req;
    struct rs_model_uri *r = resp;
    struct model_version v;
    if (store_resolve_model_uri(env->store, q->uri, &r->artifact_uri, &v, err))
        return -1;
    r->uri = xstrdup(q->uri);
    if (v.name) {
        r->model_version = xmalloc(sizeof(*r->model_version));
        *r->model_version = v;
    } else {
        model_version_release(&v);
    }
    return 0;
}

/* The dataset version a data: source names, as it is now: a version
 * deleted since (or a dataset store that is not there) leaves the entry
 * unresolved, saying why. */
static void resolve_data_source(struct store *s, struct lineage_dataset *d, const char *uri)
{
    struct data_ref ref = DATA_REF_INIT;
    struct data_version v;
    struct ferr err = FERR_INIT;
    memset(&v, 0, sizeof(v));
    if (data_uri_parse(uri, &ref, &err) || store_data_version_get(s, &ref, 0, &v, &err)) {
        d->data_error = xstrdup(err.msg);
    } else {
        d->data_name = xstrdup(v.name);
        d->data_version = v.version;
        d->data_digest = xstrdup(v.digest);
        data_version_release(&v);
    }
    data_ref_release(&ref);
}

static void lineage_dataset_add(struct store *s, struct rs_version_lineage *r,
                                const struct dataset_input *in)
{
    struct lineage_dataset *d;
    if (r->ndatasets == r->adatasets) {
        r->adatasets = r->adatasets ? 2 * r->adatasets : 4;
        r->datasets = xrealloc(r->datasets, r->adatasets * sizeof(*r->datasets));
    }
    d = &r->datasets[r->ndatasets++];
    memset(d, 0, sizeof(*d));
    d->name = in->dataset.name ? xstrdup(in->dataset.name) : NULL;
    d->digest = in->dataset.digest ? xstrdup(in->dataset.digest) : NULL;
    d->source_type = in->dataset.source_type ? xstrdup(in->dataset.source_type) : NULL;
    d->source = in->dataset.source ? xstrdup(in->dataset.source) : NULL;
    const char *ctx = kv_list_get(&in->tags, "mlflow.data.context");
    d->context = ctx ? xstrdup(ctx) : NULL;
    if (!d->source)
        return;
    if (data_uri_is(d->source)) {
        resolve_data_source(s, d, d->source);
    } else if (d->source[0] == '{') { /* MLflow's JSON sources: {"uri": "data:/..."} */
        json_t *j = json_loads(d->source, 0, NULL);
        const char *uri = json_string_value(json_object_get(j, "uri"));
        if (uri && data_uri_is(uri))
            resolve_data_source(s, d, uri);
        json_decref(j);
    }
}

/* /api/2.0/ferry/model-versions/lineage: a version and, in the same answer,
 * the run that produced it (params, metrics, tags, dataset inputs) and
 * where its files are; "datasets" lists the run's dataset inputs, each
 * resolved to its ferry dataset version when its source is data:/ (issue
 * 19), so a model version leads back to the exact data it learned from. */
static int x_lineage(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                     struct ferr *err)
{
    (void)op;
    struct rq_model_version *q = req;
    struct rs_version_lineage *r = resp;
    struct sbuf uri = SBUF_INIT;
    struct ferr ignored = FERR_INIT;
    if (store_get_model_version(env->store, q->name, q->version, &r->model_version, err))
        return -1;
    sbuf_addf(&uri, "models:/%s/%" PRId64, q->name, q->version);
    if (store_resolve_model_uri(env->store, uri.buf, &r->artifact_uri, NULL, &ignored))
        r->artifact_uri = NULL;
    if (r->model_version.run_id) {
        r->run = xcalloc(1, sizeof(*r->run));
        if (store_get_run(env->store, r->model_version.run_id, r->run, &ignored)) {
            free(r->run);
            r->run = NULL;
        }
    }
    for (size_t i = 0; r->run && i < r->run->ninputs; i++)
        lineage_dataset_add(env->store, r, &r->run->inputs[i]);
    sbuf_release(&uri);
    return 0;
}

/* MLflow's reads are served under /ajax-api/ too (MLFLOW_READ), ferry's
 * are not (FERRY_READ). */
#define MLFLOW_READ(...) READ_OP(MLFLOW, OP_AJAX, __VA_ARGS__)
#define FERRY_READ(...)  READ_OP(FERRY, 0, __VA_ARGS__)
#define READ_OP(rt, fl, nm, p, c, rq, rs, fn, loc, fld)                                            \
    {                                                                                              \
        .name = nm, .root = rt, .path = p, .methods = READ, .call = c,                             \
        .flags = (fl) | OP_IDEMPOTENT, .max_body = API_BODY_SMALL, .req = rq, .resp = rs,          \
        .exec = fn, .res = {                                                                       \
            ACCESS_READ,                                                                           \
            loc,                                                                                   \
            fld                                                                                    \
        }                                                                                          \
    }

const struct api_op api_registered_models_get =
    MLFLOW_READ("registered-models/get", "registered-models/get", HTTP_GET, &model_name_req,
                &registered_model_resp, x_get_model, LOC_MODEL_NAME, "name");
/* GET only: POST on the same path sets the alias, DELETE removes it. */
static const struct api_op get_alias = {.name = "registered-models/alias:get",
                                        .root = MLFLOW,
                                        .path = "registered-models/alias",
                                        .methods = HTTP_GET,
                                        .call = HTTP_GET,
                                        .flags = OP_AJAX | OP_IDEMPOTENT,
                                        .max_body = API_BODY_SMALL,
                                        .req = &alias_req,
                                        .resp = &model_version_resp,
                                        .exec = x_get_alias,
                                        .res = {ACCESS_READ, LOC_MODEL_NAME, "name"}};
const struct api_op api_registered_models_search =
    MLFLOW_READ("registered-models/search", "registered-models/search", HTTP_GET, &search_req,
                &model_list_resp, x_search_models, LOC_NONE, NULL);
static const struct api_op latest_versions =
    MLFLOW_READ("registered-models/get-latest-versions", "registered-models/get-latest-versions",
                HTTP_POST, &latest_req, &latest_resp, x_latest, LOC_MODEL_NAME, "name");
static const struct api_op get_version =
    MLFLOW_READ("model-versions/get", "model-versions/get", HTTP_GET, &model_version_req,
                &model_version_resp, x_get_version, LOC_MODEL_NAME, "name");
const struct api_op api_model_versions_search =
    MLFLOW_READ("model-versions/search", "model-versions/search", HTTP_GET, &search_req,
                &version_list_resp, x_search_versions, LOC_NONE, NULL);
static const struct api_op download_uri =
    MLFLOW_READ("model-versions/get-download-uri", "model-versions/get-download-uri", HTTP_GET,
                &model_version_req, &download_uri_resp, x_download_uri, LOC_MODEL_NAME, "name");
const struct api_op api_registry_history =
    FERRY_READ("ferry/registered-models/history", "registered-models/history", HTTP_GET,
               &model_name_req, &history_resp, x_history, LOC_MODEL_NAME, "name");
const struct api_op api_models_resolve =
    FERRY_READ("ferry/models/resolve", "models/resolve", HTTP_GET, &uri_req, &resolved_resp,
               x_resolve, LOC_MODEL_URI, "uri");
static const struct api_op lineage =
    FERRY_READ("ferry/model-versions/lineage", "model-versions/lineage", HTTP_GET,
               &model_version_req, &lineage_resp, x_lineage, LOC_MODEL_NAME, "name");

static const struct api_op *const registry_ops[] = {
    &create_model,
    &api_registered_models_get,
    &rename_model,
    &update_model,
    &delete_model,
    &api_registered_models_search,
    &latest_versions,
    &set_model_tag,
    &delete_model_tag,
    &get_alias,
    &set_alias,
    &delete_alias,
    &create_version,
    &get_version,
    &update_version,
    &delete_version,
    &api_model_versions_search,
    &download_uri,
    &transition,
    &set_version_tag,
    &delete_version_tag,
    &api_registry_history,
    &api_models_resolve,
    &lineage,
};
const struct api_area api_registry_area = {"registry", registry_ops,
                                           sizeof(registry_ops) / sizeof(*registry_ops)};
