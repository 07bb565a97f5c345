/* SPDX-License-Identifier: MIT */
#include "artifacts/place.h"
#include "artifacts/path.h"
#include "artifacts/roots.h"
#include "domain/artifact_uri.h"

#include <string.h>

#include "base/banned.h"

int artifact_place_open(struct artifact_place *p, struct artifact_repo *proxied,
                        const struct artifact_roots *roots, const char *uri, struct ferr *err)
{
    memset(p, 0, sizeof(*p));
    sbuf_init(&p->root, 0);
    uri = uri ? uri : "";
    const char *root = artifact_uri_proxied_path(uri);
    if (root) {
        if (!proxied)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "the artifacts at '%.200s' are proxied but this server does not "
                            "serve artifacts",
                            uri);
        p->repo = proxied;
        sbuf_addstr(&p->root, root);
        while (p->root.len && p->root.buf[p->root.len - 1] == '/')
            sbuf_setlen(&p->root, p->root.len - 1);
        return 0;
    }
    int local = roots ? artifact_roots_find(roots, uri, &p->repo, &p->root, err) : 0;
    if (local) {
        if (local < 0)
            sbuf_release(&p->root);
        return local < 0 ? -1 : 0;
    }
    if (artifact_repo_open(uri, &p->own, err)) {
        sbuf_release(&p->root);
        return -1;
    }
    p->repo = p->own;
    return 0;
}

int artifact_place_path(const struct artifact_place *p, const char *rel, struct sbuf *out,
                        struct ferr *err)
{
    rel = rel ? rel : "";
    if (*rel && artifact_path_safe(rel, strlen(rel), err))
        return -1;
    sbuf_reset(out);
    sbuf_addstr(out, p->root.buf);
    if (p->root.len && *rel)
        sbuf_addch(out, '/');
    sbuf_addstr(out, rel);
    return 0;
}

int artifact_place_write(const struct artifact_place *p, const char *rel, const void *data,
                         size_t n, struct ferr *err)
{
    struct sbuf path = SBUF_INIT;
    struct artifact_writer *w = NULL;
    int rc = artifact_place_path(p, rel, &path, err) ||
                     artifact_writer_open(p->repo, path.buf, &w, err) ||
                     artifact_writer_write(w, data, n, err)
                 ? -1
                 : 0;
    if (rc)
        artifact_writer_abort(w);
    else
        rc = artifact_writer_commit(w, NULL, err);
    sbuf_release(&path);
    return rc;
}

void artifact_place_close(struct artifact_place *p)
{
    artifact_repo_close(p->own);
    sbuf_release(&p->root);
    memset(p, 0, sizeof(*p));
}
