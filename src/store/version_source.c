/* SPDX-License-Identifier: MIT */
#include "store/version_source.h"
#include "store/logged_models.h"
#include "store/model_uri.h"
#include "base/xalloc.h"
#include "domain/model_source.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define TAG_MODEL_VERSIONS "mlflow.modelVersions"

/* A local source inside the artifact root it must lie in (a local one);
 * MLflow's message shows the resolved path when it had an owner to check
 * against, the source as given otherwise. */
static int check_local(const char *source, const char *owner_root, int have_owner, const char *who,
                       struct ferr *err)
{
    char *path = model_source_local_path(source);
    int ok = 0;
    if (owner_root) {
        struct ferr ignored = FERR_INIT;
        int local = model_source_is_local(owner_root, &ignored);
        if (local == 1) {
            char *root = model_source_local_path(owner_root);
            ok = model_source_path_within(root, path);
            free(root);
        }
    }
    if (!ok)
        model_source_local_refused(have_owner ? path : source, who, err);
    free(path);
    return ok ? 0 : -1;
}

static int check_source(struct store *s, const struct reg_write *w, struct ferr *err)
{
    int local = model_source_is_local(w->source, err);
    if (local < 0)
        return -1;
    if (!local)
        return model_source_check_remote(w->source, err);
    if (w->model_id && *w->model_id) {
        struct logged_model m;
        if (store_get_logged_model(s, w->model_id, &m, err))
            return -1;
        int rc = check_local(w->source, m.artifact_uri, 1, "model", err);
        logged_model_release(&m);
        return rc;
    }
    if (!w->run_id || !*w->run_id)
        return check_local(w->source, NULL, 0, "run", err);
    struct run run;
    if (store_get_run(s, w->run_id, &run, err))
        return -1;
    int rc = check_local(w->source, run.info.artifact_uri, 1, "run", err);
    run_release(&run);
    return rc;
}

/* Where a models:/ source's files are, as MLflow's registry records it: a
 * version's storage location or source as it stands (a runs:/ there is not
 * followed: the run may live elsewhere), or a logged model's artifact
 * location, whose run then stands in for a missing run_id. */
static int location_of(struct store *s, const char *source, struct version_source *vs,
                       struct ferr *err)
{
    const char *body = source + 8;
    struct ferr inner = FERR_INIT;
    int rc = 0;
    if (*body && !strpbrk(body, "/@")) {
        struct logged_model m;
        rc = store_get_logged_model(s, body, &m, &inner);
        if (!rc) {
            vs->storage_location = m.artifact_uri;
            vs->run_id = m.source_run_id; /* used when the request names no run */
            m.artifact_uri = m.source_run_id = NULL;
            logged_model_release(&m);
        }
    } else {
        struct model_version v;
        rc = store_find_model_version(s, source, &v, &inner);
        if (!rc) {
            vs->storage_location = v.storage_location ? v.storage_location : v.source;
            if (v.storage_location)
                v.storage_location = NULL;
            else
                v.source = NULL;
            model_version_release(&v);
        }
    }
    if (rc)
        return ferr_set(err, FERR_INTERNAL_ERROR,
                        "Unable to fetch model from model URI source artifact location "
                        "'%.300s'.Error: %s",
                        source, inner.msg);
    return 0;
}

int store_version_prepare(struct store *s, struct reg_write *w, struct version_source *vs,
                          struct ferr *err)
{
    memset(vs, 0, sizeof(*vs));
    if (!w->source || !*w->source)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Missing value for required parameter 'source'. See the API docs for "
                        "more information about request parameters.");
    if (check_source(s, w, err))
        return -1;
    if (!strncmp(w->source, "models:/", 8) && location_of(s, w->source, vs, err))
        return -1;
    w->storage_location = vs->storage_location;
    if ((!w->run_id || !*w->run_id) && !vs->run_id && w->model_id && *w->model_id) {
        struct logged_model m;
        if (store_get_logged_model(s, w->model_id, &m, err))
            return -1;
        vs->run_id = m.source_run_id;
        m.source_run_id = NULL;
        logged_model_release(&m);
    }
    if (vs->run_id && (!w->run_id || !*w->run_id))
        w->run_id = vs->run_id;
    return 0;
}

void version_source_release(struct version_source *vs)
{
    free(vs->storage_location);
    free(vs->run_id);
    memset(vs, 0, sizeof(*vs));
}

int store_version_link_model(struct store *s, const char *model_id, const char *name,
                             int64_t version, struct ferr *err)
{
    struct logged_model m;
    if (store_get_logged_model(s, model_id, &m, err))
        return -1;
    const char *old = kv_list_get(&m.tags, TAG_MODEL_VERSIONS);
    json_t *list = old ? json_loads(old, 0, NULL) : NULL;
    if (!json_is_array(list)) {
        json_decref(list);
        list = json_array();
    }
    size_t i;
    json_t *it;
    int present = 0;
    json_array_foreach(list, i, it)
    {
        json_t *v = json_object_get(it, "version");
        present |= json_is_string(json_object_get(it, "name")) &&
                   !strcmp(json_string_value(json_object_get(it, "name")), name) &&
                   json_is_integer(v) && json_integer_value(v) == version;
    }
    int rc = 0;
    if (!present) {
        json_array_append_new(
            list, json_pack("{s:s, s:I}", "name", name, "version", (json_int_t)version));
        /* json.dumps' default form: ", " and ": ", non-ASCII escaped */
        char *text = json_dumps(list, JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
        struct kv one = {(char *)TAG_MODEL_VERSIONS, text};
        struct kv_list tags = {&one, 1, 1};
        rc = text ? store_set_logged_model_tags(s, model_id, &tags, err)
                  : ferr_set(err, FERR_INTERNAL_ERROR, "cannot encode the model's versions");
        free(text);
    }
    json_decref(list);
    logged_model_release(&m);
    return rc;
}
