/* SPDX-License-Identifier: MIT
 * The server's artifact roots: a location is matched by text against each
 * root (no I/O, so nothing is learnt about paths outside them), then used
 * as a relative path of the root's own repository, which resolves it one
 * segment at a time without links. The roots' repositories are opened once,
 * at start. */
#include "artifacts/roots.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

struct root {
    char *dir; /* absolute, normalized: "/a/b", or "/" */
    size_t len;
    struct artifact_repo *repo;
};

struct artifact_roots {
    struct root *v;
    size_t n, alloc;
};

/* dir made absolute (against the working directory) with ".", ".." and
 * repeated slashes collapsed, as text; NULL when the working directory
 * cannot be known. */
static char *normalize(const char *dir)
{
    struct sbuf in = SBUF_INIT, out = SBUF_INIT;
    if (dir[0] != '/') {
        char cwd[4096];
        if (!getcwd(cwd, sizeof(cwd)))
            return NULL;
        sbuf_addf(&in, "%s/", cwd);
    }
    sbuf_addstr(&in, dir);
    for (const char *seg = in.buf; *seg;) {
        size_t n = strcspn(seg, "/");
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            char *slash = strrchr(out.buf, '/');
            sbuf_setlen(&out, slash ? (size_t)(slash - out.buf) : 0);
        } else if (n && !(n == 1 && seg[0] == '.')) {
            sbuf_addch(&out, '/');
            sbuf_add(&out, seg, n);
        }
        seg += n;
        if (*seg)
            seg++;
    }
    if (!out.len)
        sbuf_addch(&out, '/');
    sbuf_release(&in);
    return sbuf_detach(&out, NULL);
}

/* The path of the normalized loc below root, or NULL when it is not below
 * it; "" for the root itself. */
static const char *below(const struct root *rt, const char *loc)
{
    if (rt->len == 1) /* "/" */
        return loc + 1;
    if (strncmp(loc, rt->dir, rt->len) || (loc[rt->len] != '\0' && loc[rt->len] != '/'))
        return NULL;
    return loc[rt->len] ? loc + rt->len + 1 : loc + rt->len;
}

/* The root loc (normalized) lies below, the deepest when they nest; NULL
 * when there is none or what lies below is no valid artifact path. */
static const struct root *root_of(const struct artifact_roots *r, const char *loc, const char **rel)
{
    const struct root *best = NULL;
    for (size_t i = 0; i < r->n; i++) {
        const char *p = below(&r->v[i], loc);
        if (p && (!best || r->v[i].len > best->len)) {
            best = &r->v[i];
            *rel = p;
        }
    }
    struct ferr ignored = FERR_INIT;
    if (best && **rel && artifact_path_check(*rel, strlen(*rel), &ignored))
        return NULL;
    return best;
}

static int add_root(struct artifact_roots *r, const char *uri, struct ferr *err)
{
    char *dir = NULL, *norm = NULL;
    int local = artifact_repo_local_dir(uri, &dir, err);
    if (local <= 0) {
        free(dir);
        return local; /* another scheme: always allowed, nothing to open */
    }
    norm = normalize(dir);
    free(dir);
    if (!norm)
        return ferr_set(err, FERR_IO_ERROR, "artifact root '%.300s': no working directory", uri);
    for (size_t i = 0; i < r->n; i++) {
        if (!strcmp(r->v[i].dir, norm)) {
            free(norm);
            return 0;
        }
    }
    struct artifact_repo *repo;
    if (artifact_repo_open(norm, &repo, err)) {
        free(norm);
        return -1;
    }
    ALLOC_GROW(r->v, r->n + 1, r->alloc);
    r->v[r->n].dir = norm;
    r->v[r->n].len = strlen(norm);
    r->v[r->n].repo = repo;
    r->n++;
    return 0;
}

int artifact_roots_open(const char *const *dirs, size_t n, struct artifact_roots **out,
                        struct ferr *err)
{
    struct artifact_roots *r = xcalloc(1, sizeof(*r));
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        if (add_root(r, dirs[i], err)) {
            artifact_roots_free(r);
            return -1;
        }
    }
    *out = r;
    return 0;
}

void artifact_roots_free(struct artifact_roots *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].dir);
        artifact_repo_close(r->v[i].repo);
    }
    free(r->v);
    free(r);
}

int artifact_roots_find(const struct artifact_roots *r, const char *uri,
                        struct artifact_repo **repo, struct sbuf *rel, struct ferr *err)
{
    char *dir = NULL;
    struct ferr bad = FERR_INIT;
    int local = artifact_repo_local_dir(uri, &dir, &bad);
    if (local == 0)
        return 0;
    char *loc = local > 0 ? normalize(dir) : NULL;
    const char *inside = NULL;
    const struct root *rt = loc ? root_of(r, loc, &inside) : NULL;
    if (rt) {
        *repo = rt->repo;
        sbuf_reset(rel);
        sbuf_addstr(rel, inside);
    }
    free(dir);
    free(loc);
    if (rt)
        return 1;
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "the artifact location is outside the artifact roots of this server "
                    "(ferry server --allowed-artifact-roots)");
}

int artifact_roots_allow(const struct artifact_roots *r, const char *uri)
{
    struct artifact_repo *repo;
    struct sbuf rel = SBUF_INIT;
    struct ferr ignored = FERR_INIT;
    int found = artifact_roots_find(r, uri, &repo, &rel, &ignored);
    sbuf_release(&rel);
    return found >= 0;
}
