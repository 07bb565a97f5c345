/* SPDX-License-Identifier: MIT
 * REST handlers for MLflow's model registry (registered-models/...,
 * model-versions/...) and ferry's audit trail (/api/2.0/ferry/...). Writes
 * answer with the entity as it is after the write, as MLflow does. */
#include "server/handlers/handlers.h"
#include "api/codec.h"
#include "api/codec_registry.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "store/model_uri.h"
#include "store/registry.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static int get_name(struct req *r, const char **name)
{
    *name = NULL;
    if (fjson_get_str(r->in, "name", JSON_OPTIONAL, name, &r->err) < 0)
        return -1;
    if (!*name || !**name)
        return ferr_set(&r->err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'name'");
    return 0;
}

/* "version" as a string ("3") or a number (3). */
static int get_version(struct req *r, int64_t *out)
{
    json_t *v = json_object_get(r->in, "version");
    char num[32];
    const char *s = json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = num;
    }
    if (!s && v && !json_is_null(v))
        return ferr_set(&r->err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'version': expected a string");
    return registry_parse_version(s, out, &r->err);
}

static int reply_model(struct req *r, const char *name)
{
    struct registered_model m;
    if (store_get_registered_model(r->store, name, &m, &r->err))
        return -1;
    req_reply_json(r, json_pack("{s:o}", "registered_model", codec_registered_model_to_json(&m)));
    registered_model_release(&m);
    return 0;
}

static int reply_version(struct req *r, const char *name, int64_t version)
{
    struct model_version v;
    if (store_get_model_version(r->store, name, version, &v, &r->err))
        return -1;
    req_reply_json(r, json_pack("{s:o}", "model_version", codec_model_version_to_json(&v)));
    model_version_release(&v);
    return 0;
}

static int apply(struct req *r, struct reg_write *w)
{
    w->user = r->user ? r->user : "";
    return store_registry_write(r->store, w, &r->err);
}

/* ---------- registered models ---------- */

int h_models_create(struct req *r)
{
    struct reg_write w = {.action = REG_CREATE_MODEL};
    struct kv_list tags = {0};
    int rc = -1;
    if (get_name(r, &w.name) ||
        fjson_get_str(r->in, "description", JSON_OPTIONAL, &w.description, &r->err) < 0 ||
        codec_kv_list_from_json(json_object_get(r->in, "tags"), "tags", &tags, &r->err))
        goto out;
    w.tags = tags;
    rc = apply(r, &w) || reply_model(r, w.name) ? -1 : 0;
out:
    kv_list_release(&tags);
    return rc;
}

int h_models_get(struct req *r)
{
    const char *name;
    return get_name(r, &name) || reply_model(r, name) ? -1 : 0;
}

int h_models_rename(struct req *r)
{
    struct reg_write w = {.action = REG_RENAME_MODEL};
    if (get_name(r, &w.name) ||
        fjson_get_str(r->in, "new_name", JSON_OPTIONAL, &w.new_name, &r->err) < 0)
        return -1;
    if (!w.new_name || !*w.new_name)
        return ferr_set(&r->err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'new_name'");
    return apply(r, &w) || reply_model(r, w.new_name) ? -1 : 0;
}

int h_models_update(struct req *r)
{
    struct reg_write w = {.action = REG_UPDATE_MODEL};
    if (get_name(r, &w.name) ||
        fjson_get_str(r->in, "description", JSON_OPTIONAL, &w.description, &r->err) < 0)
        return -1;
    return apply(r, &w) || reply_model(r, w.name) ? -1 : 0;
}

int h_models_delete(struct req *r)
{
    struct reg_write w = {.action = REG_DELETE_MODEL};
    if (get_name(r, &w.name) || apply(r, &w))
        return -1;
    req_reply_empty(r);
    return 0;
}

int h_models_set_tag(struct req *r)
{
    struct reg_write w = {.action = REG_SET_MODEL_TAG};
    if (get_name(r, &w.name) || fjson_get_str(r->in, "key", JSON_REQUIRED, &w.key, &r->err) < 0 ||
        fjson_get_str(r->in, "value", JSON_REQUIRED, &w.value, &r->err) < 0 || apply(r, &w))
        return -1;
    req_reply_empty(r);
    return 0;
}

int h_models_delete_tag(struct req *r)
{
    struct reg_write w = {.action = REG_DELETE_MODEL_TAG};
    if (get_name(r, &w.name) || fjson_get_str(r->in, "key", JSON_REQUIRED, &w.key, &r->err) < 0 ||
        apply(r, &w))
        return -1;
    req_reply_empty(r);
    return 0;
}

/* registered-models/alias: POST sets, DELETE removes, GET resolves. */
int h_models_alias(struct req *r)
{
    struct reg_write w = {.action = REG_SET_ALIAS};
    if (get_name(r, &w.name) || fjson_get_str(r->in, "alias", JSON_REQUIRED, &w.alias, &r->err) < 0)
        return -1;
    if (!strcmp(r->method, "GET")) {
        struct model_version v;
        if (store_get_version_by_alias(r->store, w.name, w.alias, &v, &r->err))
            return -1;
        req_reply_json(r, json_pack("{s:o}", "model_version", codec_model_version_to_json(&v)));
        model_version_release(&v);
        return 0;
    }
    if (!strcmp(r->method, "DELETE"))
        w.action = REG_DELETE_ALIAS;
    else if (get_version(r, &w.version))
        return -1;
    if (apply(r, &w))
        return -1;
    req_reply_empty(r);
    return 0;
}

static void set_page_token(json_t *doc, const char *token)
{
    if (token)
        json_object_set_new(doc, "next_page_token", json_string(token));
}

static int search_args(struct req *r, struct registry_search *q, const char ***order, size_t *n)
{
    memset(q, 0, sizeof(*q));
    if (fjson_get_str(r->in, "filter", JSON_OPTIONAL, &q->filter, &r->err) < 0 ||
        fjson_get_int64(r->in, "max_results", JSON_OPTIONAL, &q->max_results, &r->err) < 0 ||
        fjson_get_str(r->in, "page_token", JSON_OPTIONAL, &q->page_token, &r->err) < 0 ||
        req_str_array(r, "order_by", order, n))
        return -1;
    q->order_by = *order;
    q->norder_by = *n;
    return 0;
}

int h_models_search(struct req *r)
{
    struct registry_search q;
    struct registered_model_list l;
    const char **order = NULL;
    size_t n = 0;
    int rc = -1;
    if (search_args(r, &q, &order, &n) || store_search_registered_models(r->store, &q, &l, &r->err))
        goto out;
    json_t *doc = json_object(), *a = json_array();
    for (size_t i = 0; i < l.n; i++)
        json_array_append_new(a, codec_registered_model_to_json(&l.v[i]));
    if (json_array_size(a))
        json_object_set(doc, "registered_models", a);
    json_decref(a);
    set_page_token(doc, l.next_page_token);
    req_reply_json(r, doc);
    registered_model_list_release(&l);
    rc = 0;
out:
    free(order);
    return rc;
}

int h_models_get_latest_versions(struct req *r)
{
    const char *name, **stages = NULL;
    size_t n = 0;
    struct model_version_list l;
    int rc = -1;
    if (get_name(r, &name) || req_str_array(r, "stages", &stages, &n) ||
        store_get_latest_versions(r->store, name, stages, n, &l, &r->err))
        goto out;
    json_t *doc = json_object();
    if (l.n)
        json_object_set_new(doc, "model_versions", codec_model_version_list_to_json(&l));
    req_reply_json(r, doc);
    model_version_list_release(&l);
    rc = 0;
out:
    free(stages);
    return rc;
}

/* ---------- model versions ---------- */

int h_versions_create(struct req *r)
{
    struct reg_write w = {.action = REG_CREATE_VERSION};
    struct kv_list tags = {0};
    int rc = -1;
    if (get_name(r, &w.name) ||
        fjson_get_str(r->in, "source", JSON_REQUIRED, &w.source, &r->err) < 0 ||
        fjson_get_str(r->in, "run_id", JSON_OPTIONAL, &w.run_id, &r->err) < 0 ||
        fjson_get_str(r->in, "run_link", JSON_OPTIONAL, &w.run_link, &r->err) < 0 ||
        fjson_get_str(r->in, "description", JSON_OPTIONAL, &w.description, &r->err) < 0 ||
        codec_kv_list_from_json(json_object_get(r->in, "tags"), "tags", &tags, &r->err))
        goto out;
    w.tags = tags;
    rc = apply(r, &w) || reply_version(r, w.name, w.created_version) ? -1 : 0;
out:
    kv_list_release(&tags);
    return rc;
}

int h_versions_get(struct req *r)
{
    const char *name;
    int64_t v;
    return get_name(r, &name) || get_version(r, &v) || reply_version(r, name, v) ? -1 : 0;
}

int h_versions_update(struct req *r)
{
    struct reg_write w = {.action = REG_UPDATE_VERSION};
    if (get_name(r, &w.name) || get_version(r, &w.version) ||
        fjson_get_str(r->in, "description", JSON_OPTIONAL, &w.description, &r->err) < 0)
        return -1;
    return apply(r, &w) || reply_version(r, w.name, w.version) ? -1 : 0;
}

int h_versions_delete(struct req *r)
{
    struct reg_write w = {.action = REG_DELETE_VERSION};
    if (get_name(r, &w.name) || get_version(r, &w.version) || apply(r, &w))
        return -1;
    req_reply_empty(r);
    return 0;
}

int h_versions_transition(struct req *r)
{
    struct reg_write w = {.action = REG_TRANSITION};
    if (get_name(r, &w.name) || get_version(r, &w.version) ||
        fjson_get_str(r->in, "stage", JSON_REQUIRED, &w.stage, &r->err) < 0 ||
        fjson_get_bool(r->in, "archive_existing_versions", JSON_OPTIONAL, &w.archive_existing,
                       &r->err) < 0)
        return -1;
    return apply(r, &w) || reply_version(r, w.name, w.version) ? -1 : 0;
}

int h_versions_set_tag(struct req *r)
{
    struct reg_write w = {.action = REG_SET_VERSION_TAG};
    if (get_name(r, &w.name) || get_version(r, &w.version) ||
        fjson_get_str(r->in, "key", JSON_REQUIRED, &w.key, &r->err) < 0 ||
        fjson_get_str(r->in, "value", JSON_REQUIRED, &w.value, &r->err) < 0 || apply(r, &w))
        return -1;
    req_reply_empty(r);
    return 0;
}

int h_versions_delete_tag(struct req *r)
{
    struct reg_write w = {.action = REG_DELETE_VERSION_TAG};
    if (get_name(r, &w.name) || get_version(r, &w.version) ||
        fjson_get_str(r->in, "key", JSON_REQUIRED, &w.key, &r->err) < 0 || apply(r, &w))
        return -1;
    req_reply_empty(r);
    return 0;
}

int h_versions_search(struct req *r)
{
    struct registry_search q;
    struct model_version_list l;
    const char **order = NULL;
    size_t n = 0;
    int rc = -1;
    if (search_args(r, &q, &order, &n) || store_search_model_versions(r->store, &q, &l, &r->err))
        goto out;
    json_t *doc = json_object();
    if (l.n)
        json_object_set_new(doc, "model_versions", codec_model_version_list_to_json(&l));
    set_page_token(doc, l.next_page_token);
    req_reply_json(r, doc);
    model_version_list_release(&l);
    rc = 0;
out:
    free(order);
    return rc;
}

int h_versions_download_uri(struct req *r)
{
    const char *name;
    int64_t version;
    struct model_version v;
    if (get_name(r, &name) || get_version(r, &version) ||
        store_get_model_version(r->store, name, version, &v, &r->err))
        return -1;
    req_reply_json(r, json_pack("{s:s}", "artifact_uri", v.source));
    model_version_release(&v);
    return 0;
}

/* ---------- ferry's audit trail ---------- */

int h_registry_history(struct req *r)
{
    const char *name;
    struct registry_event_list l;
    if (get_name(r, &name) || store_registry_events(r->store, name, &l, &r->err))
        return -1;
    json_t *a = json_array();
    for (size_t i = 0; i < l.n; i++)
        json_array_append_new(a, codec_registry_event_to_json(&l.v[i]));
    req_reply_json(r, json_pack("{s:s, s:o}", "name", name, "events", a));
    registry_event_list_release(&l);
    return 0;
}

/* /api/2.0/ferry/models/resolve?uri=models:/name@alias: where its files are. */
int h_models_resolve(struct req *r)
{
    const char *uri = NULL;
    char *artifact_uri;
    struct model_version v;
    if (fjson_get_str(r->in, "uri", JSON_REQUIRED, &uri, &r->err) < 0 ||
        store_resolve_model_uri(r->store, uri, &artifact_uri, &v, &r->err))
        return -1;
    json_t *doc = json_pack("{s:s, s:s}", "uri", uri, "artifact_uri", artifact_uri);
    if (v.name)
        json_object_set_new(doc, "model_version", codec_model_version_to_json(&v));
    req_reply_json(r, doc);
    model_version_release(&v);
    free(artifact_uri);
    return 0;
}

/* /api/2.0/ferry/model-versions/lineage: a version and, in the same answer,
 * the run that produced it (params, metrics, tags, dataset inputs) and
 * where its files are. A version without a run, or whose run was purged,
 * answers without "run". */
int h_versions_lineage(struct req *r)
{
    const char *name;
    int64_t version;
    struct model_version v;
    struct run run;
    char *artifact_uri = NULL;
    struct sbuf uri = SBUF_INIT;
    if (get_name(r, &name) || get_version(r, &version) ||
        store_get_model_version(r->store, name, version, &v, &r->err))
        return -1;
    sbuf_addf(&uri, "models:/%s/%" PRId64, name, version);
    json_t *doc = json_pack("{s:o}", "model_version", codec_model_version_to_json(&v));
    struct ferr ignored = FERR_INIT;
    if (store_resolve_model_uri(r->store, uri.buf, &artifact_uri, NULL, &ignored) == 0)
        json_object_set_new(doc, "artifact_uri", json_string(artifact_uri));
    if (v.run_id && store_get_run(r->store, v.run_id, &run, &ignored) == 0) {
        json_object_set_new(doc, "run", codec_run_to_json(&run));
        run_release(&run);
    }
    req_reply_json(r, doc);
    model_version_release(&v);
    free(artifact_uri);
    sbuf_release(&uri);
    return 0;
}
