/* SPDX-License-Identifier: MIT */
#include "artifacts/http.h"
#include "artifacts/backend.h"
#include "artifacts/fd_reader.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "http/client.h"
#include "http/route.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

#define SERVICE "/api/2.0/mlflow-artifacts"
#define FILES   SERVICE "/artifacts/"

struct http_repo {
    struct artifact_repo base;
    struct http_client *hc;
    char *root; /* without a trailing '/'; "" for the server's whole root */
};

/* "<root>/<path>", skipping empty parts. */
static void full_path(const struct http_repo *r, const char *path, struct sbuf *out)
{
    sbuf_reset(out);
    sbuf_addstr(out, r->root);
    if (*path)
        sbuf_addf(out, "%s%s", out->len ? "/" : "", path);
}

/* An anonymous temporary file (removed when closed). */
static int temp_file(struct ferr *err)
{
    const char *dir = getenv("TMPDIR");
    struct sbuf name = SBUF_INIT;
    sbuf_addf(&name, "%s/ferry-artifact-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(name.buf);
    int e = errno;
    if (fd >= 0)
        unlink(name.buf);
    sbuf_release(&name);
    if (fd < 0)
        return ferr_set(err, FERR_IO_ERROR, "cannot create a temporary file: %s", strerror(e));
    return fd;
}

static void h_close(struct artifact_repo *base)
{
    struct http_repo *r = (struct http_repo *)base;
    free(r->root);
    free(r);
}

static int h_put_fd(struct artifact_repo *base, const char *path, int fd, int64_t size,
                    artifact_progress_fn *progress, void *arg, char sha256_hex[65],
                    struct ferr *err)
{
    struct http_repo *r = (struct http_repo *)base;
    struct sbuf p = SBUF_INIT;
    full_path(r, path, &p);
    if (sha256_hex)
        sha256_hex[0] = '\0'; /* the server checks and reports its own */
    int rc = http_client_put_file(r->hc, FILES, p.buf, fd, size, progress, arg, err);
    sbuf_release(&p);
    return rc;
}

static int h_get_fd(struct artifact_repo *base, const char *path, int fd,
                    artifact_progress_fn *progress, void *arg, struct ferr *err)
{
    struct http_repo *r = (struct http_repo *)base;
    struct sbuf p = SBUF_INIT;
    full_path(r, path, &p);
    int rc = http_client_get_file(r->hc, FILES, p.buf, fd, progress, arg, err);
    sbuf_release(&p);
    return rc;
}

static int h_open_read(struct artifact_repo *base, const char *path, struct artifact_reader **out,
                       struct ferr *err)
{
    struct stat st;
    int fd = temp_file(err);
    if (fd < 0)
        return -1;
    if (h_get_fd(base, path, fd, NULL, NULL, err)) {
        close(fd);
        return -1;
    }
    if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return ferr_set(err, FERR_IO_ERROR, "reading a download: %s", strerror(errno));
    }
    *out = artifact_fd_reader(fd, (int64_t)st.st_size, path);
    return 0;
}

/* The service lists the names inside a directory; the repository's contract
 * is paths from its root, sorted. */
static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct artifact_file *)a)->path, ((const struct artifact_file *)b)->path);
}

static int h_list(struct artifact_repo *base, const char *dir, struct artifact_list *out,
                  struct ferr *err)
{
    struct http_repo *r = (struct http_repo *)base;
    struct sbuf p = SBUF_INIT, rel = SBUF_INIT;
    json_t *in, *resp = NULL, *it;
    size_t i;
    full_path(r, dir, &p);
    in = json_pack("{s:s}", "path", p.buf);
    int rc =
        http_client_call(r->hc, SERVICE, HTTP_GET, "artifacts", in, HTTP_IDEMPOTENT, &resp, err);
    json_decref(in);
    json_array_foreach(json_object_get(resp, "files"), i, it)
    {
        const char *name = json_string_value(json_object_get(it, "path"));
        json_t *size = json_object_get(it, "file_size");
        if (!name || !*name || strchr(name, '/'))
            continue; /* a name, never a path: anything else is not the service's answer */
        sbuf_reset(&rel);
        sbuf_addf(&rel, "%s%s%s", dir, *dir ? "/" : "", name);
        int64_t sz = json_is_integer(size)  ? (int64_t)json_integer_value(size)
                     : json_is_string(size) ? strtoll(json_string_value(size), NULL, 10)
                                            : 0;
        artifact_list_add(out, rel.buf, json_is_true(json_object_get(it, "is_dir")), sz);
    }
    if (out->n)
        qsort(out->v, out->n, sizeof(*out->v), by_path);
    json_decref(resp);
    sbuf_release(&p);
    sbuf_release(&rel);
    return rc;
}

static int h_remove(struct artifact_repo *base, const char *path, struct ferr *err)
{
    struct http_repo *r = (struct http_repo *)base;
    struct sbuf p = SBUF_INIT, url = SBUF_INIT;
    full_path(r, path, &p);
    sbuf_addstr(&url, "artifacts/");
    http_url_escape(&url, p.buf, 1);
    int rc = http_client_call(r->hc, SERVICE, HTTP_DELETE, url.buf, NULL, HTTP_ONCE, NULL, err);
    sbuf_release(&p);
    sbuf_release(&url);
    return rc;
}

/* ---------- writers: spooled, then sent whole ---------- */

struct http_writer {
    struct artifact_writer base;
    struct http_repo *repo;
    char *path;
    int fd; /* the spool */
    int64_t size;
};

static int hw_write(struct artifact_writer *base, const void *buf, size_t n, struct ferr *err)
{
    struct http_writer *w = (struct http_writer *)base;
    for (size_t off = 0; off < n;) {
        ssize_t k = write(w->fd, (const char *)buf + off, n - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return ferr_set(err, FERR_IO_ERROR, "spooling artifact '%.300s': %s", w->path,
                            strerror(errno));
        off += (size_t)k;
    }
    w->size += (int64_t)n;
    return 0;
}

static void hw_free(struct http_writer *w)
{
    close(w->fd);
    free(w->path);
    free(w);
}

static int hw_commit(struct artifact_writer *base, char sha256_hex[65], struct ferr *err)
{
    struct http_writer *w = (struct http_writer *)base;
    int rc = h_put_fd(&w->repo->base, w->path, w->fd, w->size, NULL, NULL, sha256_hex, err);
    hw_free(w);
    return rc;
}

static void hw_abort(struct artifact_writer *base)
{
    hw_free((struct http_writer *)base);
}

static const struct artifact_writer_ops http_writer_ops = {hw_write, hw_commit, hw_abort};

static int h_writer_open(struct artifact_repo *base, const char *path, struct artifact_writer **out,
                         struct ferr *err)
{
    int fd = temp_file(err);
    if (fd < 0)
        return -1;
    struct http_writer *w = xcalloc(1, sizeof(*w));
    w->base.ops = &http_writer_ops;
    w->repo = (struct http_repo *)base;
    w->path = xstrdup(path);
    w->fd = fd;
    *out = &w->base;
    return 0;
}

static const struct artifact_repo_ops http_ops = {
    .close = h_close,
    .writer_open = h_writer_open,
    .open_read = h_open_read,
    .list = h_list,
    .remove = h_remove,
    .put_fd = h_put_fd,
    .get_fd = h_get_fd,
};

int artifact_http_open(struct http_client *hc, const char *root, struct artifact_repo **out,
                       struct ferr *err)
{
    size_t n = strlen(root);
    while (n && root[n - 1] == '/')
        n--;
    if (n && artifact_path_check(root, n, err))
        return -1;
    struct http_repo *r = xcalloc(1, sizeof(*r));
    r->base.ops = &http_ops;
    r->hc = hc;
    r->root = xmalloc(n + 1);
    memcpy(r->root, root, n);
    r->root[n] = '\0';
    *out = &r->base;
    return 0;
}
