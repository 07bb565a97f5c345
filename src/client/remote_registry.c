/* SPDX-License-Identifier: MIT
 * The model registry over REST: MLflow's registered-models/... and
 * model-versions/... endpoints with MLflow's methods (PATCH, DELETE), so it
 * also drives a stock MLflow server; the audit trail and URI resolution use
 * ferry's /api/2.0/ferry/ endpoints. */
#include "client/client_int.h"
#include "client/remote_registry.h"
#include "client/rest.h"
#include "api/codec.h"
#include "api/codec_registry.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static int send_json(struct client *c, const char *api, enum rest_method m, const char *path,
                     json_t *in, json_t **out, struct ferr *err)
{
    if (!in)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the request holds a string that is not valid UTF-8");
    enum rest_retry retry = m == REST_GET ? REST_IDEMPOTENT : REST_ONCE;
    int rc = rest_call_api(c->rest, api, m, path, in, retry, out, err);
    json_decref(in);
    return rc;
}

static json_t *version_str(int64_t v)
{
    char num[24];
    snprintf(num, sizeof(num), "%" PRId64, v);
    return json_string(num);
}

static void opt(json_t *in, const char *key, const char *v)
{
    if (v)
        json_object_set_new(in, key, json_string(v));
}

int r_registry_write(struct client *c, struct reg_write *w, struct ferr *err)
{
    json_t *in = json_pack("{s:s}", "name", w->name ? w->name : ""), *out = NULL;
    enum rest_method m = REST_POST;
    const char *path = NULL;
    int rc;
    if (!in)
        return send_json(c, "mlflow", m, "", NULL, NULL, err);
    switch (w->action) {
    case REG_CREATE_MODEL:
        path = "registered-models/create";
        opt(in, "description", w->description);
        if (w->tags.n)
            json_object_set_new(in, "tags", codec_kv_list_to_json(&w->tags));
        break;
    case REG_RENAME_MODEL:
        path = "registered-models/rename";
        opt(in, "new_name", w->new_name);
        break;
    case REG_UPDATE_MODEL:
        path = "registered-models/update", m = REST_PATCH;
        opt(in, "description", w->description);
        break;
    case REG_DELETE_MODEL:
        path = "registered-models/delete", m = REST_DELETE;
        break;
    case REG_SET_MODEL_TAG:
    case REG_DELETE_MODEL_TAG:
        path = w->action == REG_SET_MODEL_TAG ? "registered-models/set-tag"
                                              : "registered-models/delete-tag";
        m = w->action == REG_SET_MODEL_TAG ? REST_POST : REST_DELETE;
        opt(in, "key", w->key);
        opt(in, "value", w->action == REG_SET_MODEL_TAG ? w->value : NULL);
        break;
    case REG_SET_ALIAS:
    case REG_DELETE_ALIAS:
        path = "registered-models/alias";
        m = w->action == REG_SET_ALIAS ? REST_POST : REST_DELETE;
        opt(in, "alias", w->alias);
        if (w->action == REG_SET_ALIAS)
            json_object_set_new(in, "version", version_str(w->version));
        break;
    case REG_CREATE_VERSION:
        path = "model-versions/create";
        opt(in, "source", w->source);
        opt(in, "run_id", w->run_id);
        opt(in, "run_link", w->run_link);
        opt(in, "description", w->description);
        if (w->tags.n)
            json_object_set_new(in, "tags", codec_kv_list_to_json(&w->tags));
        break;
    default: /* the version actions */
        json_object_set_new(in, "version", version_str(w->version));
        switch (w->action) {
        case REG_UPDATE_VERSION:
            path = "model-versions/update", m = REST_PATCH;
            opt(in, "description", w->description);
            break;
        case REG_DELETE_VERSION:
            path = "model-versions/delete", m = REST_DELETE;
            break;
        case REG_TRANSITION:
            path = "model-versions/transition-stage";
            opt(in, "stage", w->stage);
            json_object_set_new(in, "archive_existing_versions", json_boolean(w->archive_existing));
            break;
        case REG_SET_VERSION_TAG:
            path = "model-versions/set-tag";
            opt(in, "key", w->key);
            opt(in, "value", w->value);
            break;
        default:
            path = "model-versions/delete-tag", m = REST_DELETE;
            opt(in, "key", w->key);
            break;
        }
    }
    rc = send_json(c, "mlflow", m, path, in, &out, err);
    if (!rc && w->action == REG_CREATE_VERSION) {
        struct model_version v;
        rc = codec_model_version_from_json(json_object_get(out, "model_version"), &v, err);
        if (!rc) {
            w->created_version = v.version;
            model_version_release(&v);
        }
    }
    json_decref(out);
    return rc;
}

int r_get_registered_model(struct client *c, const char *name, struct registered_model *out,
                           struct ferr *err)
{
    json_t *resp = NULL;
    memset(out, 0, sizeof(*out));
    if (send_json(c, "mlflow", REST_GET, "registered-models/get", json_pack("{s:s}", "name", name),
                  &resp, err))
        return -1;
    int rc = codec_registered_model_from_json(json_object_get(resp, "registered_model"), out, err);
    json_decref(resp);
    return rc;
}

static json_t *search_in(const struct registry_search *q)
{
    json_t *in = json_object();
    opt(in, "filter", q->filter);
    opt(in, "page_token", q->page_token);
    if (q->max_results)
        json_object_set_new(in, "max_results", json_integer(q->max_results));
    if (q->norder_by) {
        json_t *a = json_array();
        for (size_t i = 0; i < q->norder_by; i++)
            json_array_append_new(a, json_string(q->order_by[i]));
        json_object_set_new(in, "order_by", a);
    }
    return in;
}

int r_search_registered_models(struct client *c, const struct registry_search *q,
                               struct registered_model_list *out, struct ferr *err)
{
    json_t *resp = NULL, *it;
    size_t i;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    if (send_json(c, "mlflow", REST_GET, "registered-models/search", search_in(q), &resp, err))
        return -1;
    json_array_foreach(json_object_get(resp, "registered_models"), i, it)
    {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        if ((rc = codec_registered_model_from_json(it, &out->v[out->n], err)))
            break;
        out->n++;
    }
    const char *tok = json_string_value(json_object_get(resp, "next_page_token"));
    out->next_page_token = tok && *tok ? xstrdup(tok) : NULL;
    json_decref(resp);
    if (rc)
        registered_model_list_release(out);
    return rc;
}

int r_search_model_versions(struct client *c, const struct registry_search *q,
                            struct model_version_list *out, struct ferr *err)
{
    json_t *resp = NULL, *it;
    size_t i;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    if (send_json(c, "mlflow", REST_GET, "model-versions/search", search_in(q), &resp, err))
        return -1;
    json_array_foreach(json_object_get(resp, "model_versions"), i, it)
    {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        if ((rc = codec_model_version_from_json(it, &out->v[out->n], err)))
            break;
        out->n++;
    }
    const char *tok = json_string_value(json_object_get(resp, "next_page_token"));
    out->next_page_token = tok && *tok ? xstrdup(tok) : NULL;
    json_decref(resp);
    if (rc)
        model_version_list_release(out);
    return rc;
}

int r_registry_events(struct client *c, const char *name, struct registry_event_list *out,
                      struct ferr *err)
{
    json_t *resp = NULL, *it;
    size_t i;
    memset(out, 0, sizeof(*out));
    if (send_json(c, "ferry", REST_GET, "registered-models/history",
                  json_pack("{s:s}", "name", name), &resp, err))
        return -1;
    json_array_foreach(json_object_get(resp, "events"), i, it)
    {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        struct registry_event *e = &out->v[out->n++];
        const char *v = json_string_value(json_object_get(it, "version"));
        e->time = json_integer_value(json_object_get(it, "timestamp"));
        e->user_id = xstrdup_or_null(json_string_value(json_object_get(it, "user_id")));
        e->action = xstrdup_or_null(json_string_value(json_object_get(it, "action")));
        e->detail = xstrdup_or_null(json_string_value(json_object_get(it, "detail")));
        e->version = v ? strtoll(v, NULL, 10) : 0;
        if (!e->user_id)
            e->user_id = xstrdup("");
        if (!e->action)
            e->action = xstrdup("");
        if (!e->detail)
            e->detail = xstrdup("");
    }
    json_decref(resp);
    return 0;
}

int r_resolve_model_uri(struct client *c, const char *uri, char **artifact_uri,
                        struct model_version *version, struct ferr *err)
{
    json_t *resp = NULL;
    *artifact_uri = NULL;
    if (version)
        memset(version, 0, sizeof(*version));
    if (send_json(c, "ferry", REST_GET, "models/resolve", json_pack("{s:s}", "uri", uri), &resp,
                  err))
        return -1;
    const char *a = json_string_value(json_object_get(resp, "artifact_uri"));
    json_t *v = json_object_get(resp, "model_version");
    int rc = a ? 0 : ferr_set(err, FERR_IO_ERROR, "the server did not resolve '%.200s'", uri);
    if (!rc && version && v)
        rc = codec_model_version_from_json(v, version, err);
    if (!rc)
        *artifact_uri = xstrdup(a);
    json_decref(resp);
    return rc;
}
