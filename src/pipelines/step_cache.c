/* SPDX-License-Identifier: MIT
 * The step cache (see step_cache.h): a lookup through the lineage store,
 * then every output downloaded into a scratch directory inside the step's
 * output dir, checked, and renamed into place only when all came back. */
#include "pipelines/step_cache.h"
#include "pipelines/output_digest.h"
#include "base/fs_tree.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "client/client_artifacts.h"
#include "client/client_lineage.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

void step_cache_hit_release(struct step_cache_hit *h)
{
    if (!h)
        return;
    free(h->run_id);
    step_outputs_release(&h->outputs);
    memset(h, 0, sizeof(*h));
}

int step_cache_parse_run_uri(const char *uri, char **run_id, char **path, struct ferr *err)
{
    static const char prefix[] = "runs:/";
    *run_id = *path = NULL;
    if (!uri || strncmp(uri, prefix, sizeof(prefix) - 1))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "'%.300s' is not a runs:/ URI",
                        uri ? uri : "");
    const char *id = uri + sizeof(prefix) - 1;
    const char *slash = strchr(id, '/');
    if (!slash || slash == id || !slash[1])
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "'%.300s' is not runs:/<run_id>/<path>",
                        uri);
    *run_id = xstrndup(id, (size_t)(slash - id));
    *path = xstrdup(slash + 1);
    return 0;
}

__attribute__((format(printf, 2, 3))) static int miss(struct step_cache_hit *h, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->miss, sizeof(h->miss), fmt, ap);
    va_end(ap);
    return 0;
}

/* mkdir -p of path's every component from base's end on (base exists). */
static int make_dirs(const char *path, struct ferr *err)
{
    struct sbuf p = SBUF_INIT;
    sbuf_addstr(&p, path);
    int rc = 0;
    for (size_t i = 1; i <= p.len && !rc; i++) {
        if (p.buf[i] != '/' && p.buf[i] != '\0')
            continue;
        char c = p.buf[i];
        p.buf[i] = '\0';
        if (mkdir(p.buf, 0755) < 0 && errno != EEXIST)
            rc = ferr_set(err, FERR_IO_ERROR, "cannot create '%.500s': %s", p.buf, strerror(errno));
        p.buf[i] = c;
    }
    sbuf_release(&p);
    return rc;
}

/* The directory part of a relative path ("" when none). */
static void dir_part(const char *path, struct sbuf *out)
{
    const char *slash = strrchr(path, '/');
    if (slash)
        sbuf_add(out, path, (size_t)(slash - path));
}

/* Downloads recorded output r (declared d) into scratch/<d->path> and
 * checks it: 1 intact, 0 a miss (h->miss set), -1 a local failure. */
static int fetch_one(struct client *c, const char *scratch, const struct step_output_decl *d,
                     const struct step_output *r, struct output_digest *got,
                     struct step_cache_hit *h, struct ferr *err)
{
    char *run = NULL, *apath = NULL;
    struct ferr e = FERR_INIT;
    struct sbuf want = SBUF_INIT, dst = SBUF_INIT, local = SBUF_INIT;
    struct artifact_list l;
    int rc = 1;
    sbuf_addf(&want, "outputs/%s", d->path);
    if (step_cache_parse_run_uri(r->uri, &run, &apath, &e) || strcmp(apath, want.buf)) {
        rc = miss(h, "output %.100s was recorded at '%.300s', not at %.300s", d->name,
                  r->uri ? r->uri : "", want.buf);
        goto out;
    }
    if (client_list_artifacts(c, run, apath, &l, &e)) {
        rc = miss(h, "output %.100s (%.300s): %.300s", d->name, r->uri, e.msg);
        goto out;
    }
    int is_dir = l.n > 0;
    artifact_list_release(&l);
    sbuf_addf(&dst, "%s/", scratch);
    if (is_dir)
        sbuf_addstr(&dst, d->path);
    else
        dir_part(d->path, &dst);
    sbuf_addf(&local, "%s/%s", scratch, d->path);
    if (make_dirs(dst.buf, err)) {
        rc = -1;
        goto out;
    }
    if (client_download_artifacts(c, run, apath, dst.buf, NULL, NULL, &e)) {
        rc = miss(h, "output %.100s (%.300s) cannot be restored: %.300s", d->name, r->uri, e.msg);
        goto out;
    }
    if (output_digest(local.buf, got, &e)) {
        rc = miss(h, "output %.100s (%.300s) cannot be restored: %.300s", d->name, r->uri, e.msg);
        goto out;
    }
    if (strcmp(got->digest, r->digest))
        rc = miss(h, "output %.100s (%.300s) has digest %.64s, not the recorded %.64s", d->name,
                  r->uri, got->digest, r->digest);
out:
    free(run);
    free(apath);
    sbuf_release(&want);
    sbuf_release(&dst);
    sbuf_release(&local);
    return rc;
}

static void hit_add(struct step_cache_hit *h, const struct step_output_decl *d,
                    const struct step_output *r, const struct output_digest *got)
{
    ALLOC_GROW(h->outputs.v, h->outputs.n + 1, h->outputs.alloc);
    struct step_output *o = &h->outputs.v[h->outputs.n++];
    memset(o, 0, sizeof(*o));
    o->name = xstrdup(d->name);
    o->path = xstrdup(d->path);
    o->type = xstrdup(r->type && *r->type ? r->type : d->type && *d->type ? d->type : "file");
    memcpy(o->digest, got->digest, sizeof(o->digest));
    o->size = got->size;
    o->is_dir = got->is_dir;
    o->uri = xstrdup(r->uri);
}

/* Moves every restored output from scratch into out_dir. */
static int move_into_place(const struct step_cache_query *q, const char *scratch, struct ferr *err)
{
    struct sbuf from = SBUF_INIT, to = SBUF_INIT, parent = SBUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < q->noutputs && !rc; i++) {
        const char *p = q->outputs[i].path;
        sbuf_reset(&from);
        sbuf_reset(&to);
        sbuf_reset(&parent);
        sbuf_addf(&from, "%s/%s", scratch, p);
        sbuf_addf(&to, "%s/%s", q->out_dir, p);
        sbuf_addf(&parent, "%s/", q->out_dir);
        dir_part(p, &parent);
        if (make_dirs(parent.buf, err))
            rc = -1;
        else if (fs_remove_tree(to.buf) < 0 || rename(from.buf, to.buf) < 0)
            rc = ferr_set(err, FERR_IO_ERROR, "cannot restore '%.500s': %s", to.buf,
                          strerror(errno));
    }
    sbuf_release(&from);
    sbuf_release(&to);
    sbuf_release(&parent);
    return rc;
}

int step_cache_restore(struct client *c, const struct step_cache_query *q, const char *run_id,
                       int64_t ended_ms, const struct step_outputs *recorded,
                       struct step_cache_hit *hit, struct ferr *err)
{
    struct sbuf scratch = SBUF_INIT;
    int rc = 1;
    hit->miss[0] = '\0';
    sbuf_addf(&scratch, "%s/.ferry-restore-XXXXXX", q->out_dir);
    if (!mkdtemp(scratch.buf)) {
        rc = ferr_set(err, FERR_IO_ERROR, "cannot create a directory in '%.500s': %s", q->out_dir,
                      strerror(errno));
        sbuf_release(&scratch);
        return rc;
    }
    for (size_t i = 0; i < q->noutputs && rc == 1; i++) {
        const struct step_output *r = step_outputs_find(recorded, q->outputs[i].name);
        struct output_digest got;
        if (!r)
            rc = miss(hit, "run %.64s recorded no output %.200s", run_id, q->outputs[i].name);
        else
            rc = fetch_one(c, scratch.buf, &q->outputs[i], r, &got, hit, err);
        if (rc == 1)
            hit_add(hit, &q->outputs[i], r, &got);
    }
    if (rc == 1 && move_into_place(q, scratch.buf, err))
        rc = -1;
    fs_remove_tree(scratch.buf);
    sbuf_release(&scratch);
    if (rc == 1) {
        hit->run_id = xstrdup(run_id);
        hit->ended_ms = ended_ms;
        return 1;
    }
    char why[sizeof(hit->miss)];
    memcpy(why, hit->miss, sizeof(why));
    step_cache_hit_release(hit);
    memcpy(hit->miss, why, sizeof(why));
    return rc;
}

int step_cache_lookup(struct client *c, const struct step_cache_query *q,
                      struct step_cache_hit *hit, struct ferr *err)
{
    struct lineage_cache_hit found;
    memset(&found, 0, sizeof(found));
    hit->miss[0] = '\0';
    if (client_lineage_cache_lookup(c, q->fingerprint, q->max_age_ms, &found, err)) {
        lineage_cache_hit_release(&found);
        return -1;
    }
    if (!found.found) {
        lineage_cache_hit_release(&found);
        return 0;
    }
    /* The recorded outputs as step_outputs (what restore checks against). */
    struct step_outputs rec = STEP_OUTPUTS_INIT;
    for (size_t i = 0; i < found.noutputs; i++) {
        const struct lineage_output *lo = &found.outputs[i];
        ALLOC_GROW(rec.v, rec.n + 1, rec.alloc);
        struct step_output *o = &rec.v[rec.n++];
        memset(o, 0, sizeof(*o));
        o->name = xstrdup(lo->name ? lo->name : "");
        o->path = xstrdup("");
        o->type = xstrdup(lo->type ? lo->type : "");
        o->uri = xstrdup(lo->uri ? lo->uri : "");
        snprintf(o->digest, sizeof(o->digest), "%s", lo->digest ? lo->digest : "");
    }
    int rc =
        step_cache_restore(c, q, found.execution.run_id, found.execution.ended_ms, &rec, hit, err);
    step_outputs_release(&rec);
    lineage_cache_hit_release(&found);
    return rc;
}
