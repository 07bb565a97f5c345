/* SPDX-License-Identifier: MIT */
#include "client/client_datasets.h"
#include "api/datasets_ops.h"
#include "base/xalloc.h"
#include "client/transport.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Digests asked about in one objects/missing request: 67 bytes each on
 * the wire, well inside the row's 16 MiB body cap. */
#define MISSING_BATCH 100000

static int need_name(const char *name, struct ferr *err)
{
    return name && *name
               ? 0
               : ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the dataset's name");
}

int client_datasets_list(struct client *c, int64_t max, const char *page_token,
                         struct dataset_info_list *out, struct ferr *err)
{
    struct rq_datasets_list q = {max, page_token};
    memset(out, 0, sizeof(*out));
    return client_call(c, &api_datasets_list, &q, out, err);
}

int client_dataset_get(struct client *c, const char *name, struct dataset_info *out,
                       struct ferr *err)
{
    struct rq_dataset_name q = {name};
    struct rs_dataset r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (need_name(name, err) || client_call(c, &api_datasets_get, &q, &r, err))
        return -1;
    *out = r.dataset;
    return 0;
}

int client_dataset_versions(struct client *c, const char *name, int64_t max, const char *page_token,
                            struct data_version_list *out, struct ferr *err)
{
    struct rq_dataset_versions q = {name, max, page_token};
    memset(out, 0, sizeof(*out));
    if (need_name(name, err))
        return -1;
    return client_call(c, &api_datasets_versions, &q, out, err);
}

int client_dataset_version_get(struct client *c, const char *name, const char *ref,
                               int with_manifest, struct data_version *out, struct ferr *err)
{
    struct rq_dataset_ref q = {name, ref, NULL, with_manifest};
    struct rs_dataset_version r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (need_name(name, err) || client_call(c, &api_datasets_version_get, &q, &r, err))
        return -1;
    *out = r.dataset_version;
    return 0;
}

/* A JSON text of a request as the object it is; NULL with err set. */
static json_t *object_of(const char *text, const char *what, struct ferr *err)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the %s is not a JSON object: %s", what,
                 j ? "another value" : je.text);
        return NULL;
    }
    return j;
}

int client_dataset_version_create(struct client *c, const struct client_data_create *in,
                                  struct data_version *out, int *created, struct ferr *err)
{
    struct rq_dataset_create q;
    struct rs_dataset_create r;
    memset(out, 0, sizeof(*out));
    memset(&q, 0, sizeof(q));
    memset(&r, 0, sizeof(r));
    if (need_name(in->name, err))
        return -1;
    if (!in->manifest)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the version's manifest");
    q.name = in->name;
    q.digest = in->digest;
    q.message = in->message;
    q.author = in->author;
    if (in->tags)
        q.tags = *in->tags; /* borrowed: never released here */
    if (!(q.manifest = object_of(in->manifest, "manifest", err)))
        return -1;
    if (in->profile && !(q.profile = object_of(in->profile, "profile", err))) {
        json_decref(q.manifest);
        return -1;
    }
    int rc = client_call(c, &api_datasets_version_create, &q, &r, err);
    json_decref(q.manifest);
    json_decref(q.profile);
    if (rc)
        return -1;
    *out = r.dataset_version;
    if (created)
        *created = r.created;
    return 0;
}

int client_dataset_version_delete(struct client *c, const char *name, const char *ref,
                                  struct ferr *err)
{
    struct rq_dataset_ref q = {name, ref, NULL, 0};
    if (need_name(name, err))
        return -1;
    if (!ref || !*ref)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the version to delete");
    return client_call(c, &api_datasets_version_delete, &q, NULL, err);
}

int client_dataset_delete(struct client *c, const char *name, struct ferr *err)
{
    struct rq_dataset_name q = {name};
    if (need_name(name, err))
        return -1;
    return client_call(c, &api_datasets_delete, &q, NULL, err);
}

int client_dataset_alias_set(struct client *c, const char *name, const char *alias, const char *ref,
                             struct ferr *err)
{
    struct rq_dataset_alias q = {name, alias, ref};
    if (need_name(name, err))
        return -1;
    return client_call(c, &api_datasets_alias_set, &q, NULL, err);
}

int client_dataset_alias_delete(struct client *c, const char *name, const char *alias,
                                struct ferr *err)
{
    struct rq_dataset_alias q = {name, alias, NULL};
    if (need_name(name, err))
        return -1;
    return client_call(c, &api_datasets_alias_delete, &q, NULL, err);
}

int client_dataset_tag_set(struct client *c, const char *name, const char *ref, const char *key,
                           const char *value, struct ferr *err)
{
    struct rq_dataset_tag q = {name, ref, key, value ? value : ""};
    if (need_name(name, err))
        return -1;
    return client_call(c, &api_datasets_tag_set, &q, NULL, err);
}

int client_dataset_tag_delete(struct client *c, const char *name, const char *ref, const char *key,
                              struct ferr *err)
{
    struct rq_dataset_tag q = {name, ref, key, NULL};
    if (need_name(name, err))
        return -1;
    return client_call(c, &api_datasets_tag_delete, &q, NULL, err);
}

/* A JSON answer's value, handed to the caller. */
static int take_json(struct api_json *v, json_t **out)
{
    *out = v->j ? v->j : json_object();
    v->j = NULL;
    return 0;
}

int client_dataset_profile(struct client *c, const char *name, const char *ref, json_t **out,
                           struct ferr *err)
{
    struct rq_dataset_ref q = {name, ref, NULL, 0};
    struct rs_dataset_profile r;
    memset(&r, 0, sizeof(r));
    *out = NULL;
    if (need_name(name, err) || client_call(c, &api_datasets_profile, &q, &r, err))
        return -1;
    return take_json(&r.profile, out);
}

int client_dataset_diff(struct client *c, const char *name, const char *from, const char *to,
                        json_t **out, struct ferr *err)
{
    struct rq_dataset_diff q = {name, from, to};
    struct rs_dataset_diff r;
    memset(&r, 0, sizeof(r));
    *out = NULL;
    if (need_name(name, err) || client_call(c, &api_datasets_diff, &q, &r, err))
        return -1;
    return take_json(&r.diff, out);
}

int client_dataset_runs(struct client *c, const char *name, const char *ref, json_t **out,
                        struct ferr *err)
{
    struct rq_dataset_ref q = {name, ref, NULL, 0};
    struct rs_dataset_runs r;
    memset(&r, 0, sizeof(r));
    *out = NULL;
    if (need_name(name, err) || client_call(c, &api_datasets_runs, &q, &r, err))
        return -1;
    if (!r.runs.j)
        r.runs.j = json_array();
    return take_json(&r.runs, out);
}

/* One batch: appends the missing ones of digests[0..n) to *v. */
static int missing_batch(struct client *c, const char *const *digests, size_t n, char ***v,
                         size_t *nv, size_t *alloc, struct ferr *err)
{
    struct rq_objects_missing q = {(const char **)digests, n};
    struct rs_objects_missing r;
    json_t *it;
    size_t i;
    memset(&r, 0, sizeof(r));
    if (client_call(c, &api_datasets_objects_missing, &q, &r, err))
        return -1;
    json_array_foreach(r.missing.j, i, it)
    {
        if (!json_is_string(it))
            continue;
        ALLOC_GROW(*v, *nv + 1, *alloc);
        (*v)[(*nv)++] = xstrdup(json_string_value(it));
    }
    json_decref(r.missing.j);
    return 0;
}

int client_data_objects_missing(struct client *c, const char *const *digests, size_t n,
                                char ***missing, size_t *nmissing, struct ferr *err)
{
    char **v = NULL;
    size_t nv = 0, alloc = 0;
    *missing = NULL;
    *nmissing = 0;
    for (size_t at = 0; at < n; at += MISSING_BATCH) {
        size_t k = n - at < MISSING_BATCH ? n - at : MISSING_BATCH;
        if (missing_batch(c, digests + at, k, &v, &nv, &alloc, err)) {
            client_strs_free(v, nv);
            return -1;
        }
    }
    *missing = v;
    *nmissing = nv;
    return 0;
}

void client_strs_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}
