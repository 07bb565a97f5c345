/* SPDX-License-Identifier: MIT
 * REST handlers for experiments/... */
#include "server/handlers/handlers.h"
#include "api/codec.h"
#include "base/json.h"
#include "domain/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

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

int h_experiments_create(struct req *r)
{
    const char *name = NULL, *loc = NULL;
    struct kv_list tags;
    char *id = NULL;
    if (fjson_get_str(r->in, "name", JSON_REQUIRED, &name, &r->err) < 0 ||
        fjson_get_str(r->in, "artifact_location", JSON_OPTIONAL, &loc, &r->err) < 0 ||
        codec_kv_list_from_json(json_object_get(r->in, "tags"), "tags", &tags, &r->err))
        return -1;
    char *abs = resolve_location(loc);
    int rc = store_create_experiment(r->store, name, abs ? abs : loc, &tags, &id, &r->err);
    free(abs);
    kv_list_release(&tags);
    if (rc)
        return -1;
    req_reply_json(r, json_pack("{s:s}", "experiment_id", id));
    free(id);
    return 0;
}

static int reply_experiment(struct req *r, int rc, struct experiment *e)
{
    if (rc)
        return -1;
    req_reply_json(r, json_pack("{s:o}", "experiment", codec_experiment_to_json(e)));
    experiment_release(e);
    return 0;
}

int h_experiments_get(struct req *r)
{
    const char *id = NULL;
    struct experiment e;
    if (fjson_get_str(r->in, "experiment_id", JSON_REQUIRED, &id, &r->err) < 0)
        return -1;
    return reply_experiment(r, store_get_experiment(r->store, id, &e, &r->err), &e);
}

int h_experiments_get_by_name(struct req *r)
{
    const char *name = NULL;
    struct experiment e;
    if (fjson_get_str(r->in, "experiment_name", JSON_REQUIRED, &name, &r->err) < 0)
        return -1;
    return reply_experiment(r, store_get_experiment_by_name(r->store, name, &e, &r->err), &e);
}

int h_experiments_search(struct req *r)
{
    struct experiment_search q = {
        NULL, VIEW_ACTIVE_ONLY, DEFAULT_RESULTS_SEARCH_EXPERIMENTS, NULL, 0, NULL};
    struct experiment_list l;
    if (fjson_get_str(r->in, "filter", JSON_OPTIONAL, &q.filter, &r->err) < 0 ||
        fjson_get_str(r->in, "page_token", JSON_OPTIONAL, &q.page_token, &r->err) < 0 ||
        fjson_get_int64(r->in, "max_results", JSON_OPTIONAL, &q.max_results, &r->err) < 0 ||
        req_view_type(r, "view_type", &q.view) ||
        req_str_array(r, "order_by", &q.order_by, &q.norder_by))
        return -1;
    int rc = store_search_experiments(r->store, &q, &l, &r->err);
    free(q.order_by);
    if (rc)
        return -1;
    json_t *doc = json_object();
    if (l.n) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, codec_experiment_to_json(&l.v[i]));
        json_object_set_new(doc, "experiments", a);
    }
    if (l.next_page_token)
        json_object_set_new(doc, "next_page_token", json_string(l.next_page_token));
    experiment_list_release(&l);
    req_reply_json(r, doc);
    return 0;
}

int h_experiments_update(struct req *r)
{
    const char *id = NULL, *name = NULL;
    if (fjson_get_str(r->in, "experiment_id", JSON_REQUIRED, &id, &r->err) < 0 ||
        fjson_get_str(r->in, "new_name", JSON_REQUIRED, &name, &r->err) < 0 ||
        store_rename_experiment(r->store, id, name, &r->err))
        return -1;
    req_reply_empty(r);
    return 0;
}

int h_experiments_delete(struct req *r)
{
    const char *id = NULL;
    if (fjson_get_str(r->in, "experiment_id", JSON_REQUIRED, &id, &r->err) < 0 ||
        store_delete_experiment(r->store, id, &r->err))
        return -1;
    req_reply_empty(r);
    return 0;
}

int h_experiments_restore(struct req *r)
{
    const char *id = NULL;
    if (fjson_get_str(r->in, "experiment_id", JSON_REQUIRED, &id, &r->err) < 0 ||
        store_restore_experiment(r->store, id, &r->err))
        return -1;
    req_reply_empty(r);
    return 0;
}

int h_experiments_set_tag(struct req *r)
{
    const char *id = NULL, *key = NULL, *value = NULL;
    if (fjson_get_str(r->in, "experiment_id", JSON_REQUIRED, &id, &r->err) < 0 ||
        fjson_get_str(r->in, "key", JSON_REQUIRED, &key, &r->err) < 0 ||
        fjson_get_str(r->in, "value", JSON_OPTIONAL, &value, &r->err) < 0 ||
        store_set_experiment_tag(r->store, id, key, value ? value : "", &r->err))
        return -1;
    req_reply_empty(r);
    return 0;
}

int h_experiments_delete_tag(struct req *r)
{
    const char *id = NULL, *key = NULL;
    if (fjson_get_str(r->in, "experiment_id", JSON_REQUIRED, &id, &r->err) < 0 ||
        fjson_get_str(r->in, "key", JSON_REQUIRED, &key, &r->err) < 0 ||
        store_delete_experiment_tag(r->store, id, key, &r->err))
        return -1;
    req_reply_empty(r);
    return 0;
}
