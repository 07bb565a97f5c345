/* SPDX-License-Identifier: MIT */
#include "server/get_artifact.h"
#include "server/artifact_proxy.h"
#include "server/server_int.h"
#include "api/datasets_ops.h"
#include "artifacts/path.h"
#include "artifacts/place.h"
#include "http/request.h"

#include <string.h>

#include "base/banned.h"

/* The file, or -1 with err set. */
static int send_run_file(struct http_request *rq, const char *id, const char *rel, struct ferr *err)
{
    struct server_ctx *ctx = http_ctx(rq);
    struct run run;
    struct artifact_place place;
    struct sbuf path = SBUF_INIT;
    if (artifact_path_safe(rel, strlen(rel), err) || exec_get_run(ctx->exec, id, &run, err))
        return -1;
    int rc = artifact_place_open(&place, ctx->artifacts, ctx->roots, run.info.artifact_uri, err) ||
                     artifact_place_path(&place, rel, &path, err) ||
                     api_datasets_reserved(place.repo, path.buf, err) ||
                     artifact_send_file(rq, place.repo, path.buf, err)
                 ? -1
                 : 0;
    artifact_place_close(&place);
    run_release(&run);
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
