/* SPDX-License-Identifier: MIT */
#include "server/ui_files.h"
#include "server/artifact_proxy.h"
#include "server/server_int.h"
#include "api/datasets_ops.h"
#include "server/exec.h"
#include "artifacts/path.h"
#include "artifacts/place.h"
#include "base/dynbuf.h"
#include "base/xalloc.h"
#include "http/request.h"
#include "domain/registry.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define UPLOAD_MAX (10 * 1024 * 1024) /* MLflow's limit for upload-artifact */

int version_artifact_answer(struct http_request *rq, struct ferr *err)
{
    struct server_ctx *ctx = http_ctx(rq);
    const char *name = http_query(rq, "name", NULL);
    const char *version = http_query(rq, "version", NULL);
    const char *path = http_query(rq, "path", NULL);
    struct sbuf full = SBUF_INIT;
    struct artifact_place place;
    char *where = NULL;
    memset(&place, 0, sizeof(place));
    if (!path)
        return ferr_set(err, FERR_BAD_REQUEST, "Request must include the \"path\" query parameter");
    if (artifact_path_safe(path, strlen(path), err))
        return -1;
    if (!name || !*name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Registered model name cannot be empty.");
    /* where the version's files are: its storage location or source, a
     * run's or a logged model's followed */
    int64_t n;
    int rc = registry_parse_version(version, &n, err) ||
                     exec_version_location(ctx->exec, name, n, &where, err) ||
                     artifact_place_open(&place, ctx->artifacts, ctx->roots, where, err) ||
                     artifact_place_path(&place, path, &full, err) ||
                     api_datasets_reserved(place.repo, full.buf, err) ||
                     artifact_send_file(rq, place.repo, full.buf, err)
                 ? -1
                 : 0;
    artifact_place_close(&place);
    free(where);
    sbuf_release(&full);
    return rc;
}

/* ---------- upload-artifact ---------- */

static int upload_begin(struct http_request *rq, struct ferr *err)
{
    const char *len = http_header(rq, "Content-Length");
    if (len && strtoll(len, NULL, 10) > UPLOAD_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Artifact size is too large. Max size is 10MB.");
    struct dynbuf *body = xmalloc(sizeof(*body));
    dynbuf_init(body, UPLOAD_MAX);
    http_set_state(rq, body);
    return 0;
}

static int upload_data(struct http_request *rq, const char *p, size_t n, struct ferr *err)
{
    struct dynbuf *body = http_state(rq);
    if (body && dynbuf_add(body, p, n))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Artifact size is too large. Max size is 10MB.");
    return 0;
}

static void upload_end(struct http_request *rq)
{
    struct dynbuf *body = http_state(rq);
    if (body) {
        dynbuf_release(body);
        free(body);
    }
}

const struct http_body_ops upload_artifact_body = {upload_begin, upload_data, upload_end};

int upload_artifact_answer(struct http_request *rq, struct ferr *err)
{
    struct server_ctx *ctx = http_ctx(rq);
    struct dynbuf *body = http_state(rq);
    const char *run_id = http_query(rq, "run_uuid", NULL);
    const char *path = http_query(rq, "path", NULL);
    struct artifact_place place;
    struct run run;
    if (!run_id || !*run_id)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "Request must specify run_uuid.");
    if (!path || !*path)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "Request must specify path.");
    if (artifact_path_safe(path, strlen(path), err))
        return -1;
    if (!body || !body->sb.len)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "Request must specify data.");
    if (exec_get_run(ctx->exec, run_id, &run, err))
        return -1;
    int rc =
        artifact_place_open(&place, ctx->artifacts, ctx->roots, run.info.artifact_uri, err) == 0
            ? 0
            : -1;
    if (!rc) {
        struct sbuf full = SBUF_INIT;
        rc = artifact_place_path(&place, path, &full, err) ||
                     api_datasets_reserved(place.repo, full.buf, err) ||
                     artifact_place_write(&place, path, body->sb.buf, body->sb.len, err)
                 ? -1
                 : 0;
        sbuf_release(&full);
        artifact_place_close(&place);
    }
    run_release(&run);
    if (rc)
        return -1;
    /* MLflow answers an empty JSON response */
    return http_respond_static(rq, 200, "application/json", "", 0);
}
