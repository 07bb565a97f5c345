/* SPDX-License-Identifier: MIT */
#include "server/get_trace_artifact.h"
#include "server/artifact_proxy.h"
#include "server/server_int.h"
#include "api/datasets_ops.h"
#include "artifacts/place.h"
#include "domain/trace.h"
#include "http/request.h"

#include <string.h>

#include "base/banned.h"

/* The trace's file, or -1 with err set. */
static int send_trace_file(struct http_request *rq, const char *id, struct ferr *err)
{
    struct server_ctx *ctx = http_ctx(rq);
    struct trace_info t;
    struct artifact_place place;
    struct sbuf path = SBUF_INIT;
    memset(&t, 0, sizeof(t));
    memset(&place, 0, sizeof(place));
    if (exec_get_trace_info(ctx->exec, id, &t, err))
        return -1;
    const char *uri = kv_list_get(&t.tags, TRACE_TAG_ARTIFACT_LOCATION);
    int rc = -1;
    if (!uri || !*uri)
        ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "trace '%.100s' has no artifact location", id);
    else if (artifact_place_open(&place, ctx->artifacts, ctx->roots, uri, err) == 0 &&
             artifact_place_path(&place, TRACE_DATA_FILE, &path, err) == 0 &&
             api_datasets_reserved(place.repo, path.buf, err) == 0)
        rc = artifact_send_file(rq, place.repo, path.buf, err);
    if (rc && err->code == FERR_RESOURCE_DOES_NOT_EXIST && uri && *uri)
        ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "Trace data not found for path=%s",
                 TRACE_DATA_FILE);
    trace_info_release(&t);
    artifact_place_close(&place);
    sbuf_release(&path);
    return rc;
}

int get_trace_artifact_answer(struct http_request *rq, struct ferr *err)
{
    const char *id = http_query(rq, "request_id", NULL);
    if (!id || !*id)
        ferr_set(err, FERR_BAD_REQUEST, "Request must include the \"request_id\" query parameter");
    else if (send_trace_file(rq, id, err) == 0)
        return 0;
    return http_respond_error(rq, err->code == FERR_RESOURCE_DOES_NOT_EXIST ? 404 : 400, err);
}
