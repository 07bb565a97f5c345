/* SPDX-License-Identifier: MIT */
#include "server/artifact_proxy.h"
#include "server/respond.h"
#include "server/http.h"
#include "api/codec.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/banned.h"

enum proxy_op { OP_NONE, OP_DOWNLOAD, OP_UPLOAD, OP_DELETE, OP_LIST, OP_MULTIPART };

struct proxy_req {
    struct artifact_repo *repo;
    enum proxy_op op;
    char *path;                     /* relative to the repository root, checked */
    struct artifact_writer *writer; /* OP_UPLOAD, until committed or aborted */
    struct ferr err;                /* the first failure; answered at the end */
    int status;                     /* its HTTP status when not the code's own */
};

const char *proxy_path(const char *url)
{
    if (!strncmp(url, PROXY_PREFIX, strlen(PROXY_PREFIX)))
        return url + strlen(PROXY_PREFIX);
    if (!strncmp(url, PROXY_AJAX_PREFIX, strlen(PROXY_AJAX_PREFIX)))
        return url + strlen(PROXY_AJAX_PREFIX);
    return NULL;
}

static int starts_with(const char *s, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(s, prefix, n))
        return 0;
    *rest = s + n;
    return 1;
}

struct proxy_req *proxy_begin(struct artifact_repo *repo, const char *method, const char *path)
{
    struct proxy_req *p = xcalloc(1, sizeof(*p));
    const char *rest = NULL;
    p->repo = repo;
    p->err = (struct ferr)FERR_INIT;
    int get = !strcmp(method, "GET"), put = !strcmp(method, "PUT"), del = !strcmp(method, "DELETE"),
        post = !strcmp(method, "POST");
    if (!strcmp(path, "artifacts") || !strcmp(path, "artifacts/")) {
        p->op = get ? OP_LIST : OP_NONE; /* the directory comes in ?path= */
    } else if (starts_with(path, "artifacts/", &rest)) {
        p->op = get ? OP_DOWNLOAD : put ? OP_UPLOAD : del ? OP_DELETE : OP_NONE;
    } else if (starts_with(path, "mpu/create/", &rest) ||
               starts_with(path, "mpu/complete/", &rest) ||
               starts_with(path, "mpu/abort/", &rest)) {
        p->op = post ? OP_MULTIPART : OP_NONE;
    } else {
        ferr_set(&p->err, FERR_ENDPOINT_NOT_FOUND, "no endpoint at '%.200s%.200s'", PROXY_PREFIX,
                 path);
        return p;
    }
    if (p->op == OP_NONE) {
        ferr_set(&p->err, FERR_BAD_REQUEST, "method %s is not allowed for '%.200s%.200s'", method,
                 PROXY_PREFIX, path);
        p->status = 405;
        return p;
    }
    if (!repo) {
        ferr_set(&p->err, FERR_ENDPOINT_NOT_FOUND,
                 "this server does not serve artifacts (started with --no-serve-artifacts)");
        return p;
    }
    if (rest) {
        if (artifact_path_check(rest, strlen(rest), &p->err))
            return p;
        p->path = xstrdup(rest);
    }
    if (p->op == OP_UPLOAD && artifact_writer_open(repo, p->path, &p->writer, &p->err))
        p->writer = NULL;
    return p;
}

void proxy_body(struct proxy_req *p, const char *data, size_t n)
{
    if (p->err.code != FERR_OK)
        return; /* the body is drained and dropped; the error is answered */
    if (p->op != OP_UPLOAD)
        return; /* e.g. the JSON of a refused multipart request: not needed */
    if (artifact_writer_write(p->writer, data, n, &p->err)) {
        artifact_writer_abort(p->writer);
        p->writer = NULL;
    }
}

/* Content type of a download by extension. Types a browser would render as
 * active content (HTML, SVG, JavaScript) are served as text/plain, and every
 * download is an attachment with nosniff: artifacts are user uploads. */
static const char *content_type_for(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".log", "text/plain; charset=utf-8"},
        {".csv", "text/csv; charset=utf-8"},
        {".yaml", "text/plain; charset=utf-8"},
        {".yml", "text/plain; charset=utf-8"},
        {".md", "text/plain; charset=utf-8"},
        {".py", "text/plain; charset=utf-8"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".pdf", "application/pdf"},
    };
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!strcmp(base, "MLmodel"))
        return "text/plain; charset=utf-8";
    const char *dot = strrchr(base, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (!strcasecmp(dot, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

enum MHD_Result artifact_send_file(struct MHD_Connection *conn, struct artifact_repo *repo,
                                   const char *path, int *status, size_t *bytes, struct ferr *err)
{
    int fd = -1;
    int64_t size = 0;
    if (artifact_open_read(repo, path, &fd, &size, err))
        return MHD_YES; /* answered as an error by the caller */
    struct MHD_Response *resp = MHD_create_response_from_fd64((uint64_t)size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char disp[512];
    /* The name is quoted; '"' and '\\' cannot be in it after the path check,
     * but they are replaced anyway. */
    size_t k = 0;
    k += (size_t)snprintf(disp, sizeof(disp), "attachment; filename=\"");
    for (const char *c = base; *c && k < sizeof(disp) - 2; c++)
        disp[k++] = *c == '"' || *c == '\\' ? '_' : *c;
    disp[k++] = '"';
    disp[k] = '\0';
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type_for(path)) ==
            MHD_NO ||
        MHD_add_response_header(resp, "Content-Disposition", disp) == MHD_NO ||
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") == MHD_NO) {
        MHD_destroy_response(resp);
        return MHD_NO;
    }
    *status = 200;
    *bytes = (size_t)size;
    return respond_queue(conn, 200, resp);
}

/* MLflow lists the names inside the directory, not paths from the root. */
static enum MHD_Result answer_list(struct proxy_req *p, struct MHD_Connection *conn, int *status,
                                   size_t *bytes)
{
    const char *dir = NULL;
    size_t dir_len = 0;
    struct artifact_list l = {0};
    if (MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND, "path", 4, &dir, &dir_len) ==
        MHD_NO)
        dir = NULL;
    /* The length, not strlen: a %00 in the query must not cut the path. */
    if (dir && dir_len && artifact_path_check(dir, dir_len, &p->err))
        return MHD_YES;
    if (artifact_list(p->repo, dir ? dir : "", &l, &p->err))
        return MHD_YES;
    json_t *files = json_array();
    for (size_t i = 0; i < l.n; i++) {
        const char *name = strrchr(l.v[i].path, '/');
        name = name ? name + 1 : l.v[i].path;
        json_t *f = json_pack("{s:s, s:b}", "path", name, "is_dir", l.v[i].is_dir);
        if (!l.v[i].is_dir)
            json_object_set_new(f, "file_size", json_integer(l.v[i].size));
        json_array_append_new(files, f);
    }
    artifact_list_release(&l);
    json_t *doc = json_object();
    if (json_array_size(files))
        json_object_set(doc, "files", files);
    json_decref(files);
    struct sbuf out = SBUF_INIT;
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return MHD_NO;
    sbuf_addstr(&out, text);
    free(text);
    *status = 200;
    *bytes = out.len;
    return respond_body(conn, 200, "application/json", &out);
}

static enum MHD_Result answer_empty(struct MHD_Connection *conn, int *status, size_t *bytes)
{
    struct sbuf out = SBUF_INIT;
    sbuf_addstr(&out, "{}");
    *status = 200;
    *bytes = 2;
    return respond_body(conn, 200, "application/json", &out);
}

/* MLflow's {} for an upload, plus the SHA-256 of what was stored in
 * X-Ferry-Sha256: ferry's client compares it with what it sent. */
static enum MHD_Result answer_stored(struct MHD_Connection *conn, const char *sha, int *status,
                                     size_t *bytes)
{
    static char empty[] = "{}";
    struct MHD_Response *resp = MHD_create_response_from_buffer(2, empty, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") == MHD_NO ||
        MHD_add_response_header(resp, "X-Ferry-Sha256", sha) == MHD_NO) {
        MHD_destroy_response(resp);
        return MHD_NO;
    }
    *status = 200;
    *bytes = 2;
    return respond_queue(conn, 200, resp);
}

enum MHD_Result proxy_answer(struct proxy_req *p, struct MHD_Connection *conn, int *status,
                             size_t *bytes)
{
    enum MHD_Result rc = MHD_YES;
    if (p->err.code == FERR_OK) {
        switch (p->op) {
        case OP_DOWNLOAD:
            rc = artifact_send_file(conn, p->repo, p->path, status, bytes, &p->err);
            break;
        case OP_LIST:
            rc = answer_list(p, conn, status, bytes);
            break;
        case OP_UPLOAD: {
            struct artifact_writer *w = p->writer;
            char sha[65];
            p->writer = NULL;
            if (artifact_writer_commit(w, sha, &p->err) == 0)
                return answer_stored(conn, sha, status, bytes);
            break;
        }
        case OP_DELETE:
            if (artifact_delete(p->repo, p->path, &p->err) == 0)
                return answer_empty(conn, status, bytes);
            break;
        case OP_MULTIPART:
            /* As MLflow for a local destination: it has no multipart API. */
            ferr_set(&p->err, FERR_NOT_IMPLEMENTED,
                     "the artifact destination of this server does not support multipart "
                     "upload; upload the file with PUT artifacts/<path>");
            break;
        case OP_NONE:
            ferr_set(&p->err, FERR_INTERNAL_ERROR, "no artifact operation");
            break;
        }
    }
    if (p->err.code == FERR_OK)
        return rc;
    *status = p->status ? p->status : http_status_for(p->err.code);
    *bytes = strlen(p->err.msg);
    return respond_error(conn, *status, &p->err);
}

void proxy_end(struct proxy_req *p)
{
    if (!p)
        return;
    if (p->writer)
        artifact_writer_abort(p->writer); /* the client went away mid-upload */
    free(p->path);
    free(p);
}
