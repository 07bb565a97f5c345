/* SPDX-License-Identifier: MIT
 * The repository front: URI schemes, the path check on every call, the
 * listing type. */
#include "artifacts/repo_int.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void artifact_list_add(struct artifact_list *l, const char *path, int is_dir, int64_t size)
{
    ALLOC_GROW(l->v, l->n + 1, l->alloc);
    l->v[l->n].path = xstrdup(path);
    l->v[l->n].is_dir = is_dir;
    l->v[l->n].size = is_dir ? 0 : size;
    l->n++;
}

void artifact_list_release(struct artifact_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].path);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

int artifact_repo_open(const char *uri, struct artifact_repo **out, struct ferr *err)
{
    *out = NULL;
    if (!uri || !*uri)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing artifact location");
    if (!strncmp(uri, "file://", 7)) {
        const char *p = uri + 7;
        if (!strncmp(p, "localhost/", 10))
            p += 9;
        if (*p != '/')
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "unsupported file URI '%.200s': expected file:///absolute/path", uri);
        return artifact_local_open(p, out, err);
    }
    const char *colon = strchr(uri, ':');
    if (colon && colon[1] == '/' && colon[2] == '/')
        return ferr_set(err, FERR_NOT_IMPLEMENTED,
                        "artifact location '%.200s': this scheme is not supported yet (local "
                        "directories and file:// are)",
                        uri);
    return artifact_local_open(uri, out, err);
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

int artifact_open_read(struct artifact_repo *r, const char *path, int *fd, int64_t *size,
                       struct ferr *err)
{
    *fd = -1;
    if (artifact_path_check(path, path ? strlen(path) : 0, err))
        return -1;
    return r->ops->open_read(r, path, fd, size, err);
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
