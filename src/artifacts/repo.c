/* SPDX-License-Identifier: MIT
 * The repository front: URI schemes, the path check on every call, the
 * listing type, and logging from a stream or a local file on top of the
 * writer (so every backend gets them). */
#include "artifacts/backend.h"
#include "artifacts/local.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

/* Length of the URI scheme at the start of uri, 0 when there is none. A
 * scheme has two or more characters, so "C:\\x" stays a path. */
static size_t scheme_len(const char *uri)
{
    size_t i = 0;
    if (!isalpha((unsigned char)uri[0]))
        return 0;
    while (isalnum((unsigned char)uri[i]) || uri[i] == '+' || uri[i] == '-' || uri[i] == '.')
        i++;
    return i >= 2 && uri[i] == ':' ? i : 0;
}

/* The local directory a file URI names, percent-decoded once (as MLflow's
 * url2pathname does), or NULL with err set. */
static char *file_uri_path(const char *uri, struct ferr *err)
{
    const char *p = uri + 5; /* after "file:" */
    if (!strncmp(p, "//", 2)) {
        size_t host = strcspn(p + 2, "/");
        if (host && !(host == 9 && !strncasecmp(p + 2, "localhost", 9))) {
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "unsupported file URI '%.200s': expected file:///absolute/path", uri);
            return NULL;
        }
        p += 2 + host;
    }
    if (*p != '/' || strpbrk(p, "?#")) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "unsupported file URI '%.200s': expected file:///absolute/path", uri);
        return NULL;
    }
    size_t n = strlen(p), k = 0;
    char *out = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '%' && i + 2 < n && isxdigit((unsigned char)p[i + 1]) &&
            isxdigit((unsigned char)p[i + 2])) {
            char hex[3] = {p[i + 1], p[i + 2], '\0'};
            out[k++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[k++] = p[i];
        }
    }
    out[k] = '\0';
    if (strlen(out) != k) {
        free(out);
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "file URI '%.200s' holds a NUL byte", uri);
        return NULL;
    }
    return out;
}

int artifact_repo_local_dir(const char *uri, char **dir, struct ferr *err)
{
    *dir = NULL;
    if (!uri || !*uri)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing artifact location");
    size_t scheme = scheme_len(uri);
    if (!scheme) {
        *dir = xstrdup(uri);
        return 1;
    }
    if (scheme != 4 || strncasecmp(uri, "file", 4))
        return 0;
    *dir = file_uri_path(uri, err);
    return *dir ? 1 : -1;
}

int artifact_repo_open(const char *uri, struct artifact_repo **out, struct ferr *err)
{
    *out = NULL;
    if (!uri || !*uri)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing artifact location");
    size_t scheme = scheme_len(uri);
    if (!scheme)
        return artifact_local_open(uri, out, err);
    if (scheme == 4 && !strncasecmp(uri, "file", 4)) {
        char *dir = file_uri_path(uri, err);
        int rc = dir ? artifact_local_open(dir, out, err) : -1;
        free(dir);
        return rc;
    }
    return ferr_set(err, FERR_NOT_IMPLEMENTED,
                    "artifact location '%.200s': the scheme '%.*s' is not supported here yet "
                    "(local directories and file:// are)",
                    uri, (int)scheme, uri);
}

void artifact_repo_close(struct artifact_repo *r)
{
    if (r)
        r->ops->close(r);
}

int artifact_writer_open(struct artifact_repo *r, const char *path, struct artifact_writer **out,
                         struct ferr *err)
{
    *out = NULL;
    if (artifact_path_check(path, path ? strlen(path) : 0, err))
        return -1;
    return r->ops->writer_open(r, path, out, err);
}

int artifact_writer_write(struct artifact_writer *w, const void *buf, size_t n, struct ferr *err)
{
    return n ? w->ops->write(w, buf, n, err) : 0;
}

int artifact_writer_commit(struct artifact_writer *w, char sha256_hex[65], struct ferr *err)
{
    return w->ops->commit(w, sha256_hex, err);
}

void artifact_writer_abort(struct artifact_writer *w)
{
    if (w)
        w->ops->abort(w);
}

int artifact_open_read(struct artifact_repo *r, const char *path, struct artifact_reader **out,
                       struct ferr *err)
{
    *out = NULL;
    if (artifact_path_check(path, path ? strlen(path) : 0, err))
        return -1;
    return r->ops->open_read(r, path, out, err);
}

int64_t artifact_reader_size(const struct artifact_reader *rd)
{
    return rd->size;
}

ssize_t artifact_reader_read(struct artifact_reader *rd, void *buf, size_t cap, struct ferr *err)
{
    return rd->ops->read(rd, buf, cap, err);
}

int artifact_reader_take_fd(struct artifact_reader *rd)
{
    return rd->ops->take_fd ? rd->ops->take_fd(rd) : -1;
}

void artifact_reader_close(struct artifact_reader *rd)
{
    if (rd)
        rd->ops->close(rd);
}

int artifact_list(struct artifact_repo *r, const char *dir, struct artifact_list *out,
                  struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (dir && *dir && artifact_path_check(dir, strlen(dir), err))
        return -1;
    return r->ops->list(r, dir ? dir : "", out, err);
}

int artifact_delete(struct artifact_repo *r, const char *path, struct ferr *err)
{
    if (artifact_path_check(path, path ? strlen(path) : 0, err))
        return -1;
    return r->ops->remove(r, path, err);
}

struct artifact_lock {
    int fd;
};

int artifact_lock(struct artifact_repo *r, const char *path, int exclusive,
                  struct artifact_lock **out, struct ferr *err)
{
    *out = NULL;
    if (artifact_path_check(path, path ? strlen(path) : 0, err))
        return -1;
    if (!r->ops->lock)
        return 0;
    int fd;
    if (r->ops->lock(r, path, exclusive, &fd, err))
        return -1;
    *out = xmalloc(sizeof(**out));
    (*out)->fd = fd;
    return 0;
}

void artifact_unlock(struct artifact_lock *l)
{
    if (!l)
        return;
    close(l->fd); /* releases the flock with its open file description */
    free(l);
}

/* Chunk of artifact_log_stream: the whole of its memory, whatever the size
 * of the file. */
#define LOG_CHUNK (256 * 1024)

int artifact_log_stream(struct artifact_repo *r, const char *path, artifact_read_fn *read_fn,
                        void *ctx, char sha256_hex[65], struct ferr *err)
{
    struct artifact_writer *w;
    if (artifact_writer_open(r, path, &w, err))
        return -1;
    char *buf = xmalloc(LOG_CHUNK);
    int rc = 0;
    for (;;) {
        struct ferr rerr = FERR_INIT;
        ssize_t n = read_fn(ctx, buf, LOG_CHUNK, &rerr);
        if (n < 0 || n > LOG_CHUNK) {
            if (rerr.code == FERR_OK)
                ferr_set(&rerr, FERR_IO_ERROR, "reading the data of artifact '%.300s' failed",
                         path);
            if (err)
                *err = rerr;
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        if (artifact_writer_write(w, buf, (size_t)n, err)) {
            rc = -1;
            break;
        }
    }
    free(buf);
    if (rc) {
        artifact_writer_abort(w);
        return -1;
    }
    return artifact_writer_commit(w, sha256_hex, err);
}

/* Writes all of buf[0..n) to fd. */
static int write_all(int fd, const char *buf, size_t n, struct ferr *err)
{
    for (size_t off = 0; off < n;) {
        ssize_t w = write(fd, buf + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return ferr_set(err, FERR_IO_ERROR, "writing a download: %s", strerror(errno));
        off += (size_t)w;
    }
    return 0;
}

int artifact_get_fd(struct artifact_repo *r, const char *path, int fd,
                    artifact_progress_fn *progress, void *arg, struct ferr *err)
{
    struct artifact_reader *rd;
    if (artifact_path_check(path, path ? strlen(path) : 0, err))
        return -1;
    if (r->ops->get_fd)
        return r->ops->get_fd(r, path, fd, progress, arg, err);
    if (r->ops->open_read(r, path, &rd, err))
        return -1;
    char *buf = xmalloc(LOG_CHUNK);
    int64_t done = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = artifact_reader_read(rd, buf, LOG_CHUNK, err);
        if (n <= 0) {
            rc = n < 0 ? -1 : 0;
            break;
        }
        if (write_all(fd, buf, (size_t)n, err)) {
            rc = -1;
            break;
        }
        done += n;
        if (progress)
            progress(arg, done, rd->size);
    }
    free(buf);
    artifact_reader_close(rd);
    return rc;
}

struct fd_source {
    int fd;
    int64_t done, size;
    artifact_progress_fn *progress;
    void *arg;
};

static ssize_t read_source(void *ctx, void *buf, size_t cap, struct ferr *err)
{
    struct fd_source *src = ctx;
    for (;;) {
        ssize_t n = read(src->fd, buf, cap);
        if (n >= 0) {
            src->done += n;
            if (n && src->progress)
                src->progress(src->arg, src->done, src->size);
            return n;
        }
        if (errno != EINTR)
            return ferr_set(err, FERR_IO_ERROR, "reading the local file: %s", strerror(errno));
    }
}

int artifact_put_fd(struct artifact_repo *r, const char *path, int fd, int64_t size,
                    artifact_progress_fn *progress, void *arg, char sha256_hex[65],
                    struct ferr *err)
{
    if (artifact_path_check(path, path ? strlen(path) : 0, err))
        return -1;
    if (r->ops->put_fd)
        return r->ops->put_fd(r, path, fd, size, progress, arg, sha256_hex, err);
    if (lseek(fd, 0, SEEK_SET) < 0)
        return ferr_set(err, FERR_IO_ERROR, "rewinding the local file: %s", strerror(errno));
    struct fd_source src = {fd, 0, size, progress, arg};
    return artifact_log_stream(r, path, read_source, &src, sha256_hex, err);
}

int artifact_log_file(struct artifact_repo *r, const char *local_path, const char *path,
                      char sha256_hex[65], struct ferr *err)
{
    struct stat st;
    int fd = open(local_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ferr_set(err, errno == ENOENT ? FERR_RESOURCE_DOES_NOT_EXIST : FERR_IO_ERROR,
                        "cannot open '%.300s': %s", local_path, strerror(errno));
    int rc = 0;
    if (fstat(fd, &st) < 0)
        rc = ferr_set(err, FERR_IO_ERROR, "cannot read '%.300s': %s", local_path, strerror(errno));
    else if (S_ISDIR(st.st_mode))
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "'%.300s' is a directory, not a file",
                      local_path);
    if (!rc)
        rc = artifact_put_fd(r, path, fd, (int64_t)st.st_size, NULL, NULL, sha256_hex, err);
    close(fd);
    return rc;
}

int artifact_sweep_parts(struct artifact_repo *r, time_t cutoff, int dry_run, size_t *n,
                         struct ferr *err)
{
    *n = 0;
    return r->ops->sweep_parts ? r->ops->sweep_parts(r, cutoff, dry_run, n, err) : 0;
}
