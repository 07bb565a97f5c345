/* SPDX-License-Identifier: MIT
 * The front server's table of rows it does not simply forward, and the
 * two it answers itself. */
#include "server/forward.h"
#include "api/artifacts_ops.h"
#include "api/gc_ops.h"
#include "api/logged_models_ops.h"
#include "api/tracking_ops.h"
#include "artifacts/path.h"

#include <string.h>

#include "base/banned.h"

typedef int (*here_fn)(struct upstream *u, const struct api_env *env, void *req, void *resp,
                       struct ferr *err);

/* An artifact directory path from a request: checked before anything is
 * asked of the upstream, as the local rows check it before the store. */
static int check_path(const char *path, struct ferr *err)
{
    return *path ? artifact_path_safe(path, strlen(path), err) : 0;
}

/* artifacts/list: the run from the upstream, its files from here. */
static int run_files(struct upstream *u, const struct api_env *env, void *req, void *resp,
                     struct ferr *err)
{
    struct rq_artifacts_list *q = req;
    struct rq_run_id get = {q->run_id};
    struct rs_run r;
    const char *path = q->path ? q->path : "";
    memset(&r, 0, sizeof(r));
    if (check_path(path, err) || upstream_call(u, &api_runs_get, &get, &r, err))
        return -1;
    int rc = api_list_artifacts_at(env, r.run.info.artifact_uri, path, q->page_token, resp, err);
    api_release_response(&api_runs_get, &r);
    return rc;
}

/* logged-models/{model_id}/artifacts/directories: the same for a model. */
static int model_files(struct upstream *u, const struct api_env *env, void *req, void *resp,
                       struct ferr *err)
{
    struct rq_logged_model_files *q = req;
    struct rq_logged_model_id get;
    struct rs_logged_model r = {NULL};
    const char *path = q->path ? q->path : "";
    memset(&get, 0, sizeof(get));
    get.model_id = q->model_id;
    if (check_path(path, err) || upstream_call(u, &api_logged_model_get, &get, &r, err))
        return -1;
    int rc = api_list_artifacts_at(env, r.model ? r.model->artifact_uri : NULL, path, q->page_token,
                                   resp, err);
    api_release_response(&api_logged_model_get, &r);
    return rc;
}

/* Rows not forwarded as they are: answered here (fn), or refused (why). */
static const struct {
    const struct api_op *op;
    here_fn fn;
    const char *why;
} rows[] = {
    {&api_artifacts_list, run_files, NULL},
    {&api_logged_model_files, model_files, NULL},
    {&api_gc, NULL, "run `ferry gc` where the store is"},
};

int forward_row(struct upstream *u, const struct api_env *env, const struct api_op *op, void *req,
                void *resp, struct ferr *err)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
        if (rows[i].op != op)
            continue;
        if (rows[i].fn)
            return rows[i].fn(u, env, req, resp, err);
        return ferr_set(err, FERR_NOT_IMPLEMENTED,
                        "'%s' is not available when the backend store is %s: %s", op->name,
                        upstream_uri(u), rows[i].why);
    }
    return upstream_call(u, op, req, resp, err);
}
