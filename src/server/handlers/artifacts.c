/* SPDX-License-Identifier: MIT
 * REST handler for /api/2.0/mlflow/artifacts/list: a run's artifacts, from
 * the proxied repository for mlflow-artifacts:/ URIs or straight from a
 * local artifact root. Paths in the answer are relative to the run's
 * artifact root, as MLflow gives them. */
#include "server/handlers/handlers.h"
#include "artifacts/repo.h"
#include "base/json.h"
#include "base/page_token.h"
#include "base/xalloc.h"
#include "domain/artifact_uri.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define LIST_PAGE 1000 /* entries per page; MLflow's local store has no limit */

static void add_file(json_t *files, const char *dir, const struct artifact_file *f)
{
    const char *name = strrchr(f->path, '/');
    name = name ? name + 1 : f->path;
    struct sbuf rel = SBUF_INIT;
    if (*dir)
        sbuf_addf(&rel, "%s/", dir);
    sbuf_addstr(&rel, name);
    json_t *o = json_pack("{s:s, s:b}", "path", rel.buf, "is_dir", f->is_dir);
    if (!f->is_dir)
        json_object_set_new(o, "file_size", json_integer(f->size));
    json_array_append_new(files, o);
    sbuf_release(&rel);
}

int h_artifacts_list(struct req *r)
{
    const char *id, *path = "", *token = NULL;
    int64_t offset = 0;
    struct run run;
    struct artifact_list l = {0};
    struct artifact_repo *own = NULL, *repo = r->artifacts;
    struct sbuf dir = SBUF_INIT;
    int rc = -1;
    if (req_run_id(r, &id) || fjson_get_str(r->in, "path", JSON_OPTIONAL, &path, &r->err) < 0 ||
        fjson_get_str(r->in, "page_token", JSON_OPTIONAL, &token, &r->err) < 0)
        return -1;
    if ((*path && artifact_path_check(path, strlen(path), &r->err)) ||
        (token && *token && page_token_decode(token, &offset, &r->err)))
        return -1;
    if (store_get_run(r->store, id, &run, &r->err))
        return -1;
    const char *uri = run.info.artifact_uri ? run.info.artifact_uri : "";
    const char *root = artifact_uri_proxied_path(uri);
    if (root) {
        if (!repo) {
            ferr_set(&r->err, FERR_INVALID_PARAMETER_VALUE,
                     "the run's artifacts are proxied (%.200s) but this server does not serve "
                     "artifacts",
                     uri);
            goto out;
        }
        sbuf_addstr(&dir, root);
    } else {
        if (artifact_repo_open(uri, &own, &r->err))
            goto out;
        repo = own;
    }
    if (*path)
        sbuf_addf(&dir, "%s%s", dir.len ? "/" : "", path);
    if (artifact_list(repo, dir.buf ? dir.buf : "", &l, &r->err))
        goto out;
    json_t *files = json_array();
    size_t end = (size_t)offset + LIST_PAGE < l.n ? (size_t)offset + LIST_PAGE : l.n;
    for (size_t i = (size_t)offset; i < end; i++)
        add_file(files, path, &l.v[i]);
    json_t *doc = json_pack("{s:s}", "root_uri", uri);
    if (json_array_size(files))
        json_object_set(doc, "files", files);
    json_decref(files);
    if (end < l.n) {
        char *next;
        page_token_encode((int64_t)end, &next);
        json_object_set_new(doc, "next_page_token", json_string(next));
        free(next);
    }
    req_reply_json(r, doc);
    rc = 0;
out:
    artifact_list_release(&l);
    artifact_repo_close(own);
    sbuf_release(&dir);
    run_release(&run);
    return rc;
}
