/* SPDX-License-Identifier: MIT */
#include "server/artifact_proxy.h"
#include "server/server_int.h"
#include "api/datasets_ops.h"
#include "artifacts/mime.h"
#include "http/request.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/banned.h"

enum proxy_op { OP_FILE, OP_LIST, OP_MULTIPART };

/* An upload in progress: from the first callback to the completion. */
struct upload {
    struct artifact_writer *writer; /* until committed or aborted */
};

static struct artifact_repo *repo_of(struct http_request *rq, struct ferr *err)
{
    struct server_ctx *ctx = http_ctx(rq);
    if (!ctx->artifacts)
        ferr_set(err, FERR_ENDPOINT_NOT_FOUND,
                 "this server does not serve artifacts (started with --no-serve-artifacts)");
    return ctx->artifacts;
}

/* The checked path of artifacts/{path...}; NULL with err set. The data
 * root's datasets/ is not served here (api/datasets_ops.h): its own rows
 * check dataset permissions. */
static const char *path_of(struct http_request *rq, struct ferr *err)
{
    const char *p = http_param(rq, "path");
    struct server_ctx *ctx = http_ctx(rq);
    if (!p || artifact_path_safe(p, strlen(p), err) ||
        api_datasets_reserved(ctx->artifacts, p, err))
        return NULL;
    return p;
}

static int upload_begin(struct http_request *rq, struct ferr *err)
{
    if (http_method(rq) != HTTP_PUT)
        return 0; /* GET and DELETE bodies are read and dropped */
    struct artifact_repo *repo = repo_of(rq, err);
    const char *path = repo ? path_of(rq, err) : NULL;
    if (!path)
        return -1;
    struct upload *u = xcalloc(1, sizeof(*u));
    http_set_state(rq, u);
    if (artifact_writer_open(repo, path, &u->writer, err)) {
        u->writer = NULL;
        return -1;
    }
    return 0;
}

static int upload_data(struct http_request *rq, const char *p, size_t n, struct ferr *err)
{
    struct upload *u = http_state(rq);
    if (!u)
        return 0;
    if (artifact_writer_write(u->writer, p, n, err)) {
        artifact_writer_abort(u->writer);
        u->writer = NULL;
        return -1;
    }
    return 0;
}

static void upload_end(struct http_request *rq)
{
    struct upload *u = http_state(rq);
    if (!u)
        return;
    artifact_writer_abort(u->writer); /* the client went away mid-upload */
    free(u);
}

/* Bodies of the service's other routes are not needed: dropped. */
static const struct http_body_ops proxy_body = {upload_begin, upload_data, upload_end};

static long read_chunk(void *arg, uint64_t pos, char *buf, size_t cap)
{
    (void)pos; /* sequential: libmicrohttpd reads in order */
    struct ferr err = FERR_INIT;
    ssize_t n = artifact_reader_read(arg, buf, cap, &err);
    return n < 0 ? -1 : (long)n;
}

static void reader_done(void *arg)
{
    artifact_reader_close(arg);
}

/* A local file goes out with sendfile; any other reader is streamed. */
static void send_reader(struct http_request *rq, int status, const char *ctype,
                        struct artifact_reader *rd)
{
    int64_t size = artifact_reader_size(rd);
    int fd = artifact_reader_take_fd(rd);
    if (fd >= 0) {
        artifact_reader_close(rd);
        (void)http_respond_fd(rq, status, ctype, fd, size);
        return;
    }
    (void)http_respond_stream(rq, status, ctype, size, read_chunk, rd, reader_done);
}

int artifact_send_file(struct http_request *rq, struct artifact_repo *repo, const char *path,
                       struct ferr *err)
{
    struct artifact_reader *rd;
    if (artifact_open_read(repo, path, &rd, err))
        return -1;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char disp[512];
    /* As werkzeug writes it for MLflow: a plain token as it is, anything
     * else quoted ('"' and '\\' cannot be in it after the path check, but
     * are replaced anyway). */
    int token = *base != '\0';
    for (const char *c = base; *c && token; c++)
        token = isalnum((unsigned char)*c) || strchr("!#$&+-.^_`|~", *c);
    size_t k = (size_t)snprintf(disp, sizeof(disp),
                                token ? "attachment; filename=" : "attachment; filename=\"");
    for (const char *c = base; *c && k < sizeof(disp) - 2; c++)
        disp[k++] = *c == '"' || *c == '\\' ? '_' : *c;
    if (!token)
        disp[k++] = '"';
    disp[k] = '\0';
    http_add_header(rq, "Content-Disposition", disp);
    http_add_header(rq, "X-Content-Type-Options", "nosniff");
    send_reader(rq, 200, artifact_mime_type(path), rd);
    return 0;
}

/* MLflow lists the names inside the directory, not paths from the root. */
static int answer_list(struct http_request *rq, struct artifact_repo *repo, const char *dir,
                       size_t dir_len, struct ferr *err)
{
    struct artifact_list l = {0};
    struct ferr ignore = FERR_INIT;
    size_t shown = 0;
    /* The length, not strlen: a %00 in the query must not cut the path. */
    if ((dir && dir_len &&
         (artifact_path_safe(dir, dir_len, err) || api_datasets_reserved(repo, dir, err))) ||
        artifact_list(repo, dir ? dir : "", &l, err)) {
        artifact_list_release(&l);
        return -1;
    }
    struct sbuf out = SBUF_INIT;
    sbuf_addch(&out, '{');
    for (size_t i = 0; i < l.n; i++) {
        const char *name = strrchr(l.v[i].path, '/');
        name = name ? name + 1 : l.v[i].path;
        if (api_datasets_reserved(repo, l.v[i].path, &ignore))
            continue; /* the root's datasets/: not listed */
        sbuf_addstr(&out, shown++ ? "," : "\"files\":[");
        sbuf_addstr(&out, "{\"path\":");
        fjson_add_string(&out, name);
        sbuf_addf(&out, ",\"is_dir\":%s", l.v[i].is_dir ? "true" : "false");
        if (!l.v[i].is_dir) {
            sbuf_addstr(&out, ",\"file_size\":");
            fjson_add_int64(&out, l.v[i].size);
        }
        sbuf_addch(&out, '}');
    }
    sbuf_addstr(&out, shown ? "]}" : "}");
    artifact_list_release(&l);
    (void)http_respond(rq, 200, "application/json", &out);
    return 0;
}

static int h_proxy(struct http_request *rq, struct ferr *err)
{
    const struct api_op *row = http_route_of(rq)->arg;
    enum proxy_op op = (enum proxy_op)row->arg;
    struct artifact_repo *repo = repo_of(rq, err);
    struct upload *u = http_state(rq);
    const char *path;
    size_t dir_len = 0;
    if (!repo)
        return -1;
    if (op == OP_MULTIPART) /* as MLflow for a local destination */
        return ferr_set(err, FERR_NOT_IMPLEMENTED,
                        "the artifact destination of this server does not support multipart "
                        "upload; upload the file with PUT artifacts/<path>");
    if (op == OP_LIST) {
        const char *dir = http_query(rq, "path", &dir_len);
        return answer_list(rq, repo, dir, dir_len, err);
    }
    if (http_method(rq) == HTTP_GET && !*http_param(rq, "path")) /* "artifacts/": the listing */
        return answer_list(rq, repo, http_query(rq, "path", &dir_len), dir_len, err);
    if (!(path = path_of(rq, err)))
        return -1;
    switch (http_method(rq)) {
    case HTTP_GET:
        return artifact_send_file(rq, repo, path, err);
    case HTTP_DELETE:
        if (artifact_delete(repo, path, err))
            return -1;
        return http_respond_static(rq, 200, "application/json", "{}", 2) ? -1 : 0;
    default: { /* PUT: MLflow's {}, plus the SHA-256 of what was stored in
                * X-Ferry-Sha256: ferry's client compares it with what it sent */
        char sha[65];
        struct artifact_writer *w = u->writer;
        u->writer = NULL;
        if (artifact_writer_commit(w, sha, err))
            return -1;
        http_add_header(rq, "X-Ferry-Sha256", sha);
        return http_respond_static(rq, 200, "application/json", "{}", 2) ? -1 : 0;
    }
    }
}

/* Each row is served under /api/ and /ajax-api/; the locator of a
 * streaming row reads its path parameter. */
#define PROXY_ROW(id, nm, m, p, a, acc)                                                            \
    static const struct api_op id = {.name = nm,                                                   \
                                     .root = "/api/2.0/mlflow-artifacts",                          \
                                     .path = p,                                                    \
                                     .methods = m,                                                 \
                                     .call = m,                                                    \
                                     .flags = OP_AJAX,                                             \
                                     .arg = a,                                                     \
                                     .res = {acc, LOC_ARTIFACT_PATH, "path"},                      \
                                     .stream = h_proxy,                                            \
                                     .body = &proxy_body}

PROXY_ROW(list, "mlflow-artifacts/list", HTTP_GET, "artifacts", OP_LIST, ACCESS_READ);
PROXY_ROW(download, "mlflow-artifacts/download", HTTP_GET, "artifacts/{path...}", OP_FILE,
          ACCESS_READ);
PROXY_ROW(upload, "mlflow-artifacts/upload", HTTP_PUT, "artifacts/{path...}", OP_FILE, ACCESS_EDIT);
PROXY_ROW(delete, "mlflow-artifacts/delete", HTTP_DELETE, "artifacts/{path...}", OP_FILE,
          ACCESS_DELETE);
PROXY_ROW(mpu_create, "mlflow-artifacts/mpu-create", HTTP_POST, "mpu/create/{path...}",
          OP_MULTIPART, ACCESS_EDIT);
PROXY_ROW(mpu_complete, "mlflow-artifacts/mpu-complete", HTTP_POST, "mpu/complete/{path...}",
          OP_MULTIPART, ACCESS_EDIT);
PROXY_ROW(mpu_abort, "mlflow-artifacts/mpu-abort", HTTP_POST, "mpu/abort/{path...}", OP_MULTIPART,
          ACCESS_EDIT);

static const struct api_op *const proxy_ops[] = {
    &list, &download, &upload, &delete, &mpu_create, &mpu_complete, &mpu_abort,
};
const struct api_area proxy_area = {"mlflow-artifacts", proxy_ops,
                                    sizeof(proxy_ops) / sizeof(*proxy_ops)};
