/* SPDX-License-Identifier: MIT
 * data: URIs made local, cached by version digest (data/data_fetch.h).
 *
 * One fetch: parse the URI, ask the port for the version with its manifest
 * (so the PATH and the one-file rule are decided from the manifest, and the
 * manifest is checked against the digest the cache is keyed by), then
 * either reuse <cache>/<digest> (checked cheaply: every entry of the
 * manifest is there with its type and size; a tree that fails is set aside
 * and fetched again) or write the whole version with data_get_version into
 * <cache>/.tmp-XXXXXX/tree and rename that to <cache>/<digest>. A rename
 * that finds the digest's directory already there lost a race to another
 * fetch of the same content: its copy is as good, ours goes. */
#include "data/data_fetch.h"
#include "base/fs_tree.h"
#include "base/xalloc.h"
#include "data/data_get.h"
#include "data/data_port.h"
#include "domain/data_manifest.h"
#include "domain/data_version.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

void data_fetched_release(struct data_fetched *f)
{
    if (!f)
        return;
    free(f->path);
    free(f->dir);
    free(f->name);
    free(f->digest);
    free(f->subpath);
    free(f->pinned);
    free(f->profile);
    memset(f, 0, sizeof(*f));
}

int data_fetch_is_uri(const char *s)
{
    return data_uri_is(s);
}

void data_fetch_cache_dir(struct sbuf *out)
{
    const char *v;
    sbuf_reset(out);
    if ((v = getenv("FERRY_DATA_CACHE")) && *v)
        sbuf_addstr(out, v);
    else if ((v = getenv("XDG_CACHE_HOME")) && *v == '/')
        sbuf_addf(out, "%s/ferry/data", v);
    else if ((v = getenv("HOME")) && *v == '/')
        sbuf_addf(out, "%s/.cache/ferry/data", v);
    else
        sbuf_addf(out, "/tmp/ferry-data-%lu", (unsigned long)getuid());
}

/* mkdir -p */
static int make_dirs(const char *dir, struct ferr *err)
{
    struct sbuf p = SBUF_INIT;
    struct stat st;
    int rc = 0;
    sbuf_addstr(&p, dir);
    for (size_t i = 1; i <= p.len && !rc; i++) {
        if (p.buf[i] != '/' && p.buf[i] != '\0')
            continue;
        char c = p.buf[i];
        p.buf[i] = '\0';
        if (mkdir(p.buf, 0755) && errno != EEXIST)
            rc = ferr_set(err, FERR_IO_ERROR, "cannot create '%.300s': %s", p.buf, strerror(errno));
        else if (stat(p.buf, &st) || !S_ISDIR(st.st_mode))
            rc = ferr_set(err, FERR_IO_ERROR, "'%.300s' is not a directory", p.buf);
        p.buf[i] = c;
    }
    sbuf_release(&p);
    return rc;
}

/* Whether path names something in m: a file, a link, an empty directory,
 * or a directory above any of them. */
static int manifest_has(const struct data_manifest *m, const char *path)
{
    size_t n = strlen(path);
#define UNDER(p) (!strcmp((p), path) || (!strncmp((p), path, n) && (p)[n] == '/'))
    for (size_t i = 0; i < m->nfiles; i++)
        if (UNDER(m->files[i].path))
            return 1;
    for (size_t i = 0; i < m->ndirs; i++)
        if (UNDER(m->dirs[i]))
            return 1;
    for (size_t i = 0; i < m->nlinks; i++)
        if (UNDER(m->links[i].path))
            return 1;
#undef UNDER
    return 0;
}

/* The cached tree holds every entry of m with its type and size (no
 * re-hash: the bytes were verified when written; this catches a tree cut
 * short or edited by hand). */
static int cache_whole(const char *dir, const struct data_manifest *m)
{
    struct sbuf p = SBUF_INIT;
    struct stat st;
    int ok = 1;
    for (size_t i = 0; ok && i < m->nfiles; i++) {
        sbuf_reset(&p);
        sbuf_addf(&p, "%s/%s", dir, m->files[i].path);
        ok = lstat(p.buf, &st) == 0 && S_ISREG(st.st_mode) &&
             (int64_t)st.st_size == m->files[i].size;
    }
    for (size_t i = 0; ok && i < m->ndirs; i++) {
        sbuf_reset(&p);
        sbuf_addf(&p, "%s/%s", dir, m->dirs[i]);
        ok = lstat(p.buf, &st) == 0 && S_ISDIR(st.st_mode);
    }
    for (size_t i = 0; ok && i < m->nlinks; i++) {
        sbuf_reset(&p);
        sbuf_addf(&p, "%s/%s", dir, m->links[i].path);
        ok = lstat(p.buf, &st) == 0 && S_ISLNK(st.st_mode);
    }
    sbuf_release(&p);
    return ok;
}

/* Writes v (with its manifest) into <cache>/<digest> through a temporary
 * directory beside it. */
static int fill(struct data_port *port, const struct data_version *v, const char *cache,
                const char *dir, struct ferr *err)
{
    struct sbuf tmp = SBUF_INIT, tree = SBUF_INIT;
    int rc = -1;
    sbuf_addf(&tmp, "%s/.tmp-XXXXXX", cache);
    if (!mkdtemp(tmp.buf)) {
        ferr_set(err, FERR_IO_ERROR, "cannot create a directory in '%.300s': %s", cache,
                 strerror(errno));
        goto out;
    }
    sbuf_addf(&tree, "%s/tree", tmp.buf);
    if (data_get_version(port, v, NULL, tree.buf, NULL, err))
        goto out;
    if (rename(tree.buf, dir)) {
        struct stat st;
        if ((errno != EEXIST && errno != ENOTEMPTY) || stat(dir, &st) || !S_ISDIR(st.st_mode)) {
            ferr_set(err, FERR_IO_ERROR, "cannot rename '%.300s' to '%.300s': %s", tree.buf, dir,
                     strerror(errno));
            goto out;
        }
    }
    rc = 0;
out:
    if (tmp.len && tmp.buf[tmp.len - 1] != 'X')
        (void)fs_remove_tree(tmp.buf);
    sbuf_release(&tmp);
    sbuf_release(&tree);
    return rc;
}

/* A cached tree that is not whole is renamed aside (so no reader sees it
 * change under it) and removed. */
static int discard(const char *cache, const char *dir, struct ferr *err)
{
    struct sbuf aside = SBUF_INIT;
    int rc = 0;
    sbuf_addf(&aside, "%s/.tmp-XXXXXX", cache);
    if (!mkdtemp(aside.buf))
        rc = ferr_set(err, FERR_IO_ERROR, "cannot create a directory in '%.300s': %s", cache,
                      strerror(errno));
    else {
        sbuf_addstr(&aside, "/old");
        if (rename(dir, aside.buf) && errno != ENOENT)
            rc = ferr_set(err, FERR_IO_ERROR, "cannot move '%.300s' aside: %s", dir,
                          strerror(errno));
        sbuf_setlen(&aside, aside.len - 4);
        (void)fs_remove_tree(aside.buf);
    }
    sbuf_release(&aside);
    return rc;
}

static void answer(struct data_fetched *out, const struct data_version *v,
                   const struct data_manifest *m, const char *dir, const char *subpath)
{
    struct sbuf s = SBUF_INIT;
    out->dir = xstrdup(dir);
    if (subpath)
        sbuf_addf(&s, "%s/%s", dir, subpath);
    else if (m->nfiles == 1 && !m->ndirs && !m->nlinks && !strchr(m->files[0].path, '/'))
        sbuf_addf(&s, "%s/%s", dir, m->files[0].path);
    else
        sbuf_addstr(&s, dir);
    out->path = sbuf_detach(&s, NULL);
    out->name = xstrdup(v->name);
    out->version = v->version;
    out->digest = xstrdup(v->digest);
    out->subpath = subpath ? xstrdup(subpath) : NULL;
    out->pinned = data_uri_format(v->name, v->version);
    if (subpath) {
        sbuf_addf(&s, "%s/%s", out->pinned, subpath);
        free(out->pinned);
        out->pinned = sbuf_detach(&s, NULL);
    }
    out->profile = v->profile ? xstrdup(v->profile) : NULL;
}

int data_fetch(struct data_port *port, const char *uri, const struct data_fetch_opts *o,
               struct data_fetched *out, struct ferr *err)
{
    struct data_ref ref = DATA_REF_INIT;
    struct data_version v;
    struct data_manifest m;
    struct sbuf cache = SBUF_INIT, dir = SBUF_INIT;
    char digest[65];
    struct stat st;
    int rc = -1, have_v = 0;
    memset(&v, 0, sizeof(v));
    data_manifest_init(&m);
    memset(out, 0, sizeof(*out));
    if (data_uri_parse(uri, &ref, err))
        goto out;
    if (data_port_get_version(port, &ref, 1, &v, err))
        goto out;
    have_v = 1;
    if (!v.manifest) {
        ferr_set(err, FERR_IO_ERROR, "%.300s: the version came without its manifest", uri);
        goto out;
    }
    if (data_manifest_parse(v.manifest, strlen(v.manifest), &m, err))
        goto out;
    data_manifest_digest(&m, digest);
    if (!v.digest || strcmp(digest, v.digest)) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "%.300s: the manifest does not match the version digest %.64s", uri,
                 v.digest ? v.digest : "(none)");
        goto out;
    }
    if (ref.path && !manifest_has(&m, ref.path)) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "%.300s: version %lld of '%.256s' has no '%.300s'", uri, (long long)v.version,
                 v.name, ref.path);
        goto out;
    }
    if (o && o->cache_dir)
        sbuf_addstr(&cache, o->cache_dir);
    else
        data_fetch_cache_dir(&cache);
    sbuf_addf(&dir, "%s/%s", cache.buf, v.digest);
    out->cached = stat(dir.buf, &st) == 0 && S_ISDIR(st.st_mode) && cache_whole(dir.buf, &m);
    if (!out->cached && !(o && o->resolve_only)) {
        if (make_dirs(cache.buf, err))
            goto out;
        if (stat(dir.buf, &st) == 0 && discard(cache.buf, dir.buf, err))
            goto out;
        if (fill(port, &v, cache.buf, dir.buf, err))
            goto out;
    }
    answer(out, &v, &m, dir.buf, ref.path);
    rc = 0;
out:
    data_ref_release(&ref);
    if (have_v)
        data_version_release(&v);
    data_manifest_release(&m);
    sbuf_release(&cache);
    sbuf_release(&dir);
    return rc;
}
