/* SPDX-License-Identifier: MIT
 * artifacts/list: a run's artifacts, from the proxied repository for
 * mlflow-artifacts:/ URIs or straight from a local artifact root. Paths in
 * the answer are relative to the run's artifact root, as MLflow gives them,
 * a page of LIST_PAGE entries at a time. */
#include "api/artifacts_ops.h"
#include "api/datasets_ops.h"
#include "api/types.h"
#include "base/page_token.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "artifacts/place.h"
#include "store/logged_models.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define LIST_PAGE 1000 /* entries per page; MLflow's local store has no limit */

static const struct api_field list_fields[] = {
    F_RUN_ID(struct rq_artifacts_list, run_id, 0),
    F_STR(struct rq_artifacts_list, path, "path", AF_OMIT_EMPTY),
    F_STR(struct rq_artifacts_list, page_token, "page_token", AF_OMIT_EMPTY),
};
static const struct api_msg list_req = API_MSG(struct rq_artifacts_list, list_fields);
static const struct api_field list_resp_fields[] = {
    F_STR(struct rs_artifacts_list, root_uri, "root_uri", 0),
    F_LIST(struct rs_artifacts_list, files.v, files.n, files.alloc, "files", AF_OMIT_EMPTY,
           &api_type_artifact_file),
    F_STR(struct rs_artifacts_list, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg list_resp = API_MSG(struct rs_artifacts_list, list_resp_fields);

/* The page [offset, offset + LIST_PAGE) of l, with paths relative to the
 * run's root: "<dir>/<name>". */
static void page_of(const struct artifact_list *l, const char *dir, size_t offset,
                    struct rs_artifacts_list *r)
{
    size_t end = offset + LIST_PAGE < l->n ? offset + LIST_PAGE : l->n;
    struct sbuf rel = SBUF_INIT;
    for (size_t i = offset; i < end; i++) {
        const char *name = strrchr(l->v[i].path, '/');
        name = name ? name + 1 : l->v[i].path;
        sbuf_reset(&rel);
        if (*dir)
            sbuf_addf(&rel, "%s/", dir);
        sbuf_addstr(&rel, name);
        artifact_list_add(&r->files, rel.buf, l->v[i].is_dir, l->v[i].size);
    }
    sbuf_release(&rel);
    if (end < l->n)
        page_token_encode((int64_t)end, &r->next_page_token);
}

int api_list_artifacts_at(const struct api_env *env, const char *uri, const char *path,
                          const char *page_token, struct rs_artifacts_list *r, struct ferr *err)
{
    int64_t offset = 0;
    struct artifact_list l = {0};
    struct artifact_place place;
    struct sbuf dir = SBUF_INIT;
    path = path ? path : "";
    if ((*path && artifact_path_safe(path, strlen(path), err)) ||
        (page_token && *page_token && page_token_decode(page_token, &offset, err)) ||
        artifact_place_open(&place, env->artifacts, env->roots, uri, err))
        return -1;
    int rc = artifact_place_path(&place, path, &dir, err) ||
                     api_datasets_reserved(place.repo, dir.buf, err) ||
                     artifact_list(place.repo, dir.buf, &l, err)
                 ? -1
                 : 0;
    if (!rc) {
        r->root_uri = xstrdup(uri ? uri : "");
        page_of(&l, path, (size_t)offset, r);
    }
    artifact_list_release(&l);
    artifact_place_close(&place);
    sbuf_release(&dir);
    return rc;
}

static int x_list(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                  struct ferr *err)
{
    (void)op;
    struct rq_artifacts_list *q = req;
    struct run run;
    const char *path = q->path ? q->path : "";
    if (*path && artifact_path_safe(path, strlen(path), err))
        return -1;
    if (store_get_run(env->store, q->run_id, &run, err))
        return -1;
    int rc = api_list_artifacts_at(env, run.info.artifact_uri, path, q->page_token, resp, err);
    run_release(&run);
    return rc;
}

const struct api_op api_artifacts_list = {
    .name = "artifacts/list",
    .root = "/api/2.0/mlflow",
    .path = "artifacts/list",
    .methods = HTTP_GET | HTTP_POST,
    .call = HTTP_GET,
    .flags = OP_AJAX | OP_IDEMPOTENT,
    .max_body = API_BODY_SMALL,
    .req = &list_req,
    .resp = &list_resp,
    .exec = x_list,
    .res = {ACCESS_READ, LOC_RUN_ID, "run_id"},
};

static const struct api_field model_files_fields[] = {
    F_STR(struct rq_logged_model_files, model_id, "model_id", AF_NONEMPTY | AF_IN_PATH),
    F_STR(struct rq_logged_model_files, path, "artifact_directory_path", AF_OMIT_EMPTY),
    F_STR(struct rq_logged_model_files, page_token, "page_token", AF_OMIT_EMPTY),
};
static const struct api_msg model_files_req =
    API_MSG(struct rq_logged_model_files, model_files_fields);

static int x_model_files(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                         struct ferr *err)
{
    (void)op;
    struct rq_logged_model_files *q = req;
    struct logged_model m;
    const char *path = q->path ? q->path : "";
    if (*path && artifact_path_safe(path, strlen(path), err))
        return -1;
    if (store_get_logged_model(env->store, q->model_id, &m, err))
        return -1;
    int rc = api_list_artifacts_at(env, m.artifact_uri, path, q->page_token, resp, err);
    logged_model_release(&m);
    return rc;
}

const struct api_op api_logged_model_files = {
    .name = "logged-models/list-artifacts",
    .root = "/api/2.0/mlflow",
    .path = "logged-models/{model_id}/artifacts/directories",
    .methods = HTTP_GET,
    .call = HTTP_GET,
    .flags = OP_AJAX | OP_IDEMPOTENT,
    .max_body = API_BODY_SMALL,
    .req = &model_files_req,
    .resp = &list_resp,
    .exec = x_model_files,
    .res = {ACCESS_READ, LOC_LOGGED_MODEL, "model_id"},
};

static const struct api_op *const artifacts_ops[] = {&api_artifacts_list, &api_logged_model_files};
const struct api_area api_artifacts_area = {"artifacts", artifacts_ops,
                                            sizeof(artifacts_ops) / sizeof(*artifacts_ops)};
