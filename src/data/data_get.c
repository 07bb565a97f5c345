/* SPDX-License-Identifier: MIT
 * `ferry data get` (data_get.h): resolve, cut the manifest down to the path
 * asked for, and push the port's objects into a verifying tree writer in
 * the order it wants them. */
#include "data/data_get.h"
#include "base/xalloc.h"
#include "data/tree_write.h"
#include "domain/data_manifest.h"
#include "domain/data_version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void data_get_result_release(struct data_get_result *r)
{
    if (!r)
        return;
    free(r->name);
    struct data_get_result empty = DATA_GET_RESULT_INIT;
    *r = empty;
}

static void copy_file(struct data_manifest *m, const struct data_file *f, const char *path)
{
    struct data_file *g = data_manifest_add_file(m, path, f->size, f->exec, f->sha256);
    for (size_t i = 0; i < f->nchunks; i++)
        data_file_add_chunk(g, f->chunks[i]);
}

/* The part of m at sub: a file as one entry named by its basename, a
 * directory's entries re-rooted at it (links leading out of it left
 * out). *out is initialised here. */
static int cut(const struct data_manifest *m, const char *sub, const char *uri,
               struct data_manifest *out, struct ferr *err)
{
    size_t len = strlen(sub);
    int found = 0;
    data_manifest_init(out);
    for (size_t i = 0; i < m->nfiles; i++) {
        const char *p = m->files[i].path;
        if (!strcmp(p, sub)) {
            const char *base = strrchr(sub, '/');
            copy_file(out, &m->files[i], base ? base + 1 : sub);
            return data_manifest_finish(out, err);
        }
        if (!strncmp(p, sub, len) && p[len] == '/') {
            copy_file(out, &m->files[i], p + len + 1);
            found = 1;
        }
    }
    for (size_t i = 0; i < m->ndirs; i++) {
        const char *p = m->dirs[i];
        if (!strcmp(p, sub)) {
            found = 1;
        } else if (!strncmp(p, sub, len) && p[len] == '/') {
            data_manifest_add_dir(out, p + len + 1);
            found = 1;
        }
    }
    for (size_t i = 0; i < m->nlinks; i++) {
        const char *p = m->links[i].path;
        struct ferr ignored = FERR_INIT;
        if (!strcmp(p, sub))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "'%.300s' is a link in %.300s: ask for what it points to", sub, uri);
        if (strncmp(p, sub, len) || p[len] != '/')
            continue;
        found = 1;
        if (!data_link_check(NULL, p + len + 1, m->links[i].target, &ignored))
            data_manifest_add_link(out, p + len + 1, m->links[i].target);
    }
    if (!found)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "'%.300s' is not in %.300s", sub, uri);
    return data_manifest_finish(out, err);
}

static int sink_begin(void *arg, const char *digest, int64_t size, struct ferr *err)
{
    return data_tree_writer_begin(arg, digest, size, err);
}

static int sink_data(void *arg, const void *buf, size_t n, struct ferr *err)
{
    return data_tree_writer_data(arg, buf, n, err);
}

static int sink_end(void *arg, struct ferr *err)
{
    return data_tree_writer_end(arg, err);
}

/* Writes m into dst with the port's objects. */
static int write_tree(struct data_port *p, const struct data_manifest *m, const char *dst,
                      const struct data_get_opts *opts, struct ferr *err)
{
    struct data_tree_write_opts wo = {0, NULL, NULL};
    struct data_tree_writer *w = NULL;
    if (opts) {
        wo.overwrite = opts->overwrite;
        wo.progress = opts->progress;
        wo.progress_arg = opts->progress_arg;
    }
    if (data_tree_writer_open(m, dst, &wo, &w, err))
        return -1;
    size_t n = 0;
    const struct data_object_ref *order = data_tree_writer_order(w, &n);
    const char **digests = xcalloc(n + 1, sizeof(*digests));
    for (size_t i = 0; i < n; i++)
        digests[i] = order[i].digest;
    struct data_port_sink sink = {sink_begin, sink_data, sink_end, w};
    int rc = data_port_get_objects(p, digests, n, &sink, err);
    free(digests);
    if (rc) {
        data_tree_writer_abort(w);
        return -1;
    }
    return data_tree_writer_commit(w, err);
}

static int get_version(struct data_port *p, const struct data_version *v, const char *subpath,
                       const char *dst, const struct data_get_opts *opts, int64_t *files,
                       int64_t *bytes, struct ferr *err)
{
    struct data_manifest m = DATA_MANIFEST_INIT, part = DATA_MANIFEST_INIT;
    char uri[400];
    int rc = -1;
    snprintf(uri, sizeof(uri), "data:/%.256s/%lld", v->name ? v->name : "", (long long)v->version);
    if (!v->manifest)
        return ferr_set(err, FERR_INTERNAL_ERROR, "%s came without its manifest", uri);
    if (!dst || !*dst)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the destination directory");
    if (data_manifest_parse(v->manifest, strlen(v->manifest), &m, err))
        goto out;
    /* The digest names the content: a manifest that does not hash to it
     * (changed in the store or on its way) is not this version's. */
    char got[DATA_DIGEST_LEN + 1];
    data_manifest_digest(&m, got);
    if (!v->digest || strcmp(got, v->digest)) {
        ferr_set(err, FERR_INVALID_STATE,
                 "the manifest of %s hashes to '%s', not to its digest '%s': it was changed "
                 "after the version was made; nothing written",
                 uri, got, v->digest ? v->digest : "");
        goto out;
    }
    if (subpath && *subpath && cut(&m, subpath, uri, &part, err))
        goto out;
    const struct data_manifest *use = subpath && *subpath ? &part : &m;
    if (write_tree(p, use, dst, opts, err))
        goto out;
    if (files)
        *files = (int64_t)use->nfiles;
    if (bytes)
        *bytes = data_manifest_size(use);
    rc = 0;
out:
    data_manifest_release(&m);
    data_manifest_release(&part);
    return rc;
}

int data_get_version(struct data_port *p, const struct data_version *v, const char *subpath,
                     const char *dst, const struct data_get_opts *opts, struct ferr *err)
{
    return get_version(p, v, subpath, dst, opts, NULL, NULL, err);
}

int data_get(struct data_port *p, const char *uri, const char *dst,
             const struct data_get_opts *opts, struct data_get_result *out, struct ferr *err)
{
    struct data_ref ref = DATA_REF_INIT;
    struct data_version v;
    struct data_get_result r = DATA_GET_RESULT_INIT;
    int rc = -1;
    memset(&v, 0, sizeof(v));
    if (out) {
        struct data_get_result empty = DATA_GET_RESULT_INIT;
        *out = empty;
    }
    if (!uri || data_uri_parse(uri, &ref, err))
        return uri ? -1 : ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the data: URI");
    if (data_port_get_version(p, &ref, 1, &v, err))
        goto out;
    if (get_version(p, &v, ref.path, dst, opts, &r.files, &r.bytes, err))
        goto out;
    r.name = xstrdup(v.name ? v.name : ref.name);
    r.version = v.version;
    snprintf(r.digest, sizeof(r.digest), "%s", v.digest ? v.digest : "");
    rc = 0;
out:
    if (!rc && out)
        *out = r;
    else
        data_get_result_release(&r);
    data_version_release(&v);
    data_ref_release(&ref);
    return rc;
}
