/* SPDX-License-Identifier: MIT */
#include "store/collect.h"
#include "store/gc.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "artifacts/roots.h"
#include "domain/artifact_uri.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/banned.h"

/* Upload part files untouched this long are what a killed server left. */
#define PART_STALE_SECONDS 3600

void collect_report_release(struct collect_report *r)
{
    for (size_t i = 0; r && i < r->n; i++) {
        free(r->v[i].id);
        free(r->v[i].location);
        free(r->v[i].artifacts);
        free(r->v[i].error);
    }
    if (r) {
        free(r->v);
        memset(r, 0, sizeof(*r));
    }
}

static struct collect_item *add_item(struct collect_report *r, int is_experiment, const char *id,
                                     const char *location, enum collect_outcome outcome)
{
    ALLOC_GROW(r->v, r->n + 1, r->alloc);
    struct collect_item *it = &r->v[r->n++];
    memset(it, 0, sizeof(*it));
    it->is_experiment = is_experiment;
    it->id = xstrdup(id);
    it->location = xstrdup(location ? location : "");
    it->outcome = outcome;
    return it;
}

/* Where the files gc removes are: the server's proxied repository, and
 * its artifact roots (NULL: any local directory, as `ferry gc` on a store
 * file). */
struct gc_places {
    struct artifact_repo *proxied;
    const struct artifact_roots *roots;
};

/* The repository and the name below it of a local uri outside a server
 * (its parent directory, opened here: *own), or NULL with the word for
 * the report in *why. */
static struct artifact_repo *local_parent(const char *uri, struct sbuf *parent, const char **name,
                                          const char **why, struct ferr *err)
{
    const char *p = !strncmp(uri, "file://", 7) ? uri + 7 : uri;
    struct stat st;
    struct artifact_repo *repo = NULL;
    if (strstr(p, "://"))
        *why = "kept (not a local or proxied location)";
    else if (stat(p, &st) < 0)
        *why = "none";
    else if (!strrchr(p, '/') || strrchr(p, '/') == p)
        *why = "kept (no parent directory)";
    if (*why)
        return NULL;
    const char *slash = strrchr(p, '/');
    sbuf_add(parent, p, (size_t)(slash - p));
    *name = slash + 1;
    if (artifact_repo_open(parent->buf, &repo, err))
        *why = NULL;
    return repo;
}

/* Removes the directory `uri` names (a run's artifacts or an experiment's
 * location); proxied URIs are resolved in the proxied repository, local
 * ones below the roots when there are roots. Returns a word for the
 * report, or NULL with err set. */
static const char *remove_tree(const struct gc_places *pl, const char *uri, int only_if_empty,
                               struct ferr *err)
{
    const char *rel = artifact_uri_proxied_path(uri);
    struct artifact_repo *repo = NULL, *own = NULL;
    struct sbuf parent = SBUF_INIT;
    const char *name = NULL;
    const char *result = "removed";
    int found = 0;
    if (rel) {
        if (!pl->proxied)
            return "none"; /* no destination: nothing was ever proxied here */
        repo = pl->proxied;
        name = rel;
    } else if (pl->roots && (found = artifact_roots_find(pl->roots, uri, &repo, &parent, err))) {
        if (found < 0)
            return "kept (outside the artifact roots)";
        name = parent.buf;
    } else if (pl->roots) {
        return "kept (not a local or proxied location)";
    } else {
        const char *why = NULL;
        repo = own = local_parent(uri, &parent, &name, &why, err);
        if (!repo) {
            sbuf_release(&parent);
            return why;
        }
    }
    struct artifact_list l = {0};
    if (!*name) {
        result = "kept (the artifact root itself)";
    } else if (only_if_empty && (artifact_list(repo, name, &l, err) || l.n)) {
        result = l.n ? "kept (not empty)" : NULL;
    } else if (artifact_delete(repo, name, err)) {
        result = err->code == FERR_RESOURCE_DOES_NOT_EXIST ? "none" : NULL;
    }
    artifact_list_release(&l);
    artifact_repo_close(own);
    sbuf_release(&parent);
    return result;
}

/* "<dest>/<exp>/<run>/artifacts" -> also drop "<exp>/<run>" once empty. */
static void remove_run_dir(const struct gc_places *pl, const char *uri)
{
    struct sbuf dir = SBUF_INIT;
    struct ferr ignored = FERR_INIT;
    const char *cut = strrchr(uri, '/');
    if (cut && !strcmp(cut, "/artifacts")) {
        sbuf_add(&dir, uri, (size_t)(cut - uri));
        (void)remove_tree(pl, dir.buf, 1, &ignored);
    }
    sbuf_release(&dir);
}

static int wanted(const struct collect_opts *o, const char *run_id)
{
    if (!o->nrun_ids)
        return 1;
    for (size_t i = 0; i < o->nrun_ids; i++)
        if (!strcmp(o->run_ids[i], run_id))
            return 1;
    return 0;
}

static void collect_run(struct store *s, const struct gc_places *pl, const char *id,
                        const char *uri, struct collect_report *r)
{
    struct ferr err = FERR_INIT;
    if (store_purge_run(s, id, &err)) {
        add_item(r, 0, id, uri, COLLECT_FAILED)->error = xstrdup(err.msg);
        r->failures++;
        return;
    }
    struct collect_item *it = add_item(r, 0, id, uri, COLLECT_PURGED);
    const char *what = remove_tree(pl, uri, 0, &err);
    if (!what) {
        it->error = xstrdup(err.msg);
        r->failures++;
        what = "kept (error)";
    }
    it->artifacts = xstrdup(what);
    remove_run_dir(pl, uri);
    r->runs++;
}

static void collect_experiment(struct store *s, const struct gc_places *pl, const char *id,
                               const char *location, struct collect_report *r)
{
    struct ferr err = FERR_INIT;
    if (store_purge_experiment(s, id, &err)) {
        add_item(r, 1, id, location, COLLECT_FAILED)->error = xstrdup(err.msg);
        r->failures++;
        return;
    }
    const char *what = remove_tree(pl, location, 1, &err);
    add_item(r, 1, id, location, COLLECT_PURGED)->artifacts = xstrdup(what ? what : "kept");
    r->experiments++;
}

int store_collect(struct store *s, struct artifact_repo *proxied, const struct collect_opts *o,
                  struct collect_report *out, struct ferr *err)
{
    struct kv_list runs, exps;
    const struct gc_places pl = {proxied, o->roots};
    memset(out, 0, sizeof(*out));
    if (store_gc_candidates(s, o->deleted_before, &runs, &exps, err))
        return -1;
    for (size_t i = 0; i < runs.n; i++) {
        const char *id = runs.v[i].key, *uri = runs.v[i].value;
        if (!wanted(o, id))
            continue;
        if (o->dry_run) {
            add_item(out, 0, id, uri, COLLECT_WOULD_PURGE);
            out->runs++;
        } else {
            collect_run(s, &pl, id, uri, out);
        }
    }
    for (size_t i = 0; !o->nrun_ids && i < exps.n; i++) {
        if (o->dry_run) {
            add_item(out, 1, exps.v[i].key, exps.v[i].value, COLLECT_WOULD_PURGE);
            out->experiments++;
        } else {
            collect_experiment(s, &pl, exps.v[i].key, exps.v[i].value, out);
        }
    }
    size_t parts = 0;
    struct ferr ignored = FERR_INIT;
    if (proxied && !o->nrun_ids &&
        artifact_sweep_parts(proxied, time(NULL) - PART_STALE_SECONDS, o->dry_run, &parts,
                             &ignored) == 0)
        out->uploads = (int64_t)parts;
    kv_list_release(&runs);
    kv_list_release(&exps);
    return 0;
}
