/* SPDX-License-Identifier: MIT */
#include "server/get_artifact.h"
#include "server/artifact_proxy.h"
#include "server/server_int.h"
#include "artifacts/path.h"
#include "domain/artifact_uri.h"
#include "http/request.h"

#include <string.h>

#include "base/banned.h"

/* The file, or -1 with err set. */
static int send_run_file(struct http_request *rq, const char *id, const char *rel, struct ferr *err)
{
    struct server_ctx *ctx = http_ctx(rq);
    struct run run;
    struct artifact_repo *own = NULL, *repo = ctx->artifacts;
    struct sbuf path = SBUF_INIT;
    int rc = -1;
    if (artifact_path_check(rel, strlen(rel), err) || exec_get_run(ctx->exec, id, &run, err))
        return -1;
    const char *uri = run.info.artifact_uri ? run.info.artifact_uri : "";
    const char *root = artifact_uri_proxied_path(uri);
    if (root && !ctx->artifacts) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "the run's artifacts are proxied (%.200s) but this server does not serve "
                 "artifacts",
                 uri);
        goto out;
    }
    if (!root && artifact_repo_open(uri, &own, err))
        goto out;
    if (own)
        repo = own;
    if (root && *root)
        sbuf_addf(&path, "%s/", root);
    sbuf_addstr(&path, rel);
    rc = artifact_send_file(rq, repo, path.buf, err);
out:
    run_release(&run);
    artifact_repo_close(own);
    sbuf_release(&path);
    return rc;
}

int get_artifact_answer(struct http_request *rq, struct ferr *err)
{
    if (http_method(rq) != HTTP_GET) /* as before the route table: not an endpoint */
        return ferr_set(err, FERR_ENDPOINT_NOT_FOUND, "no endpoint at '%.200s'", http_path(rq));
    const char *id = http_query(rq, "run_id", NULL);
    const char *rel = http_query(rq, "path", NULL);
    if (!id)
        id = http_query(rq, "run_uuid", NULL);
    if (!id || !*id || !rel || !*rel)
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "get-artifact needs the query parameters run_id and path");
    else if (send_run_file(rq, id, rel, err) == 0)
        return 0;
    return http_respond_error(rq, err->code == FERR_RESOURCE_DOES_NOT_EXIST ? 404 : 400, err);
}
