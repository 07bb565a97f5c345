/* SPDX-License-Identifier: MIT
 * A step's inputs and outputs, and recording them (see step_record.h):
 * artifacts through client/client_artifacts.h, the lineage rows through
 * client/client_lineage.h. */
#include "pipelines/step_record.h"
#include "pipelines/output_digest.h"
#include "pipelines/plan.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "client/client_artifacts.h"
#include "client/client_lineage.h"
#include "data/data_fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

/* ---------- inputs ---------- */

void step_input_release(struct step_input *in)
{
    if (!in)
        return;
    free(in->name);
    free(in->uri);
    free(in->type);
    memset(in, 0, sizeof(*in));
}

static void input_set(struct step_input *out, const char *name, const char *uri, const char *type,
                      const char *digest)
{
    memset(out, 0, sizeof(*out));
    out->name = xstrdup(name ? name : "");
    out->uri = xstrdup(uri ? uri : "");
    out->type = xstrdup(type ? type : "file");
    snprintf(out->digest, sizeof(out->digest), "%s", digest ? digest : "");
}

void step_input_from_data(struct step_input *out, const char *name, const struct data_fetched *f)
{
    input_set(out, name, f->pinned, "dataset", f->digest);
}

void step_input_from_output(struct step_input *out, const char *name, const struct step_output *o)
{
    input_set(out, name, o->uri, o->type, o->digest);
}

int step_input_from_path(struct step_input *out, const char *name, const char *path,
                         struct ferr *err)
{
    struct output_digest d;
    struct sbuf uri = SBUF_INIT;
    if (output_digest(path, &d, err))
        return -1;
    sbuf_addstr(&uri, "file://");
    if (path[0] != '/') {
        char *cwd = getcwd(NULL, 0);
        if (!cwd) {
            sbuf_release(&uri);
            return ferr_set(err, FERR_IO_ERROR, "getcwd: %s", strerror(errno));
        }
        sbuf_addf(&uri, "%s/", cwd);
        free(cwd);
        while (path[0] == '.' && path[1] == '/')
            path += 2;
    }
    sbuf_addstr(&uri, path);
    input_set(out, name, uri.buf, d.is_dir ? "dataset" : "file", d.digest);
    sbuf_release(&uri);
    return 0;
}

/* ---------- outputs ---------- */

static void output_release(struct step_output *o)
{
    free(o->name);
    free(o->path);
    free(o->type);
    free(o->uri);
}

void step_outputs_release(struct step_outputs *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        output_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

const struct step_output *step_outputs_find(const struct step_outputs *l, const char *name)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (!strcmp(l->v[i].name, name))
            return &l->v[i];
    return NULL;
}

int step_outputs_collect(const char *step, const char *run_id, const char *out_dir,
                         const struct step_output_decl *decl, size_t n, struct step_outputs *out,
                         struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    struct sbuf path = SBUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        struct output_digest d;
        struct ferr e = FERR_INIT;
        sbuf_reset(&path);
        sbuf_addf(&path, "%s/%s", out_dir, decl[i].path);
        if (access(path.buf, F_OK) < 0 && errno == ENOENT) {
            rc = ferr_set(err, FERR_INVALID_STATE,
                          "step %.200s did not write its declared output %.200s (outputs/%.300s)",
                          step, decl[i].name, decl[i].path);
            break;
        }
        if (output_digest(path.buf, &d, &e)) {
            rc = ferr_set(err, e.code, "step %.200s, output %.200s: %s", step, decl[i].name, e.msg);
            break;
        }
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        struct step_output *o = &out->v[out->n++];
        memset(o, 0, sizeof(*o));
        o->name = xstrdup(decl[i].name);
        o->path = xstrdup(decl[i].path);
        o->type = xstrdup(decl[i].type && *decl[i].type ? decl[i].type : "file");
        memcpy(o->digest, d.digest, sizeof(o->digest));
        o->size = d.size;
        o->is_dir = d.is_dir;
        struct sbuf uri = SBUF_INIT;
        sbuf_addf(&uri, "runs:/%s/outputs/%s", run_id, decl[i].path);
        o->uri = sbuf_detach(&uri, NULL);
    }
    sbuf_release(&path);
    return rc;
}

int step_outputs_json(const struct step_outputs *o, struct sbuf *out, struct ferr *err)
{
    (void)err;
    json_t *doc = json_object();
    for (size_t i = 0; o && i < o->n; i++) {
        const struct step_output *x = &o->v[i];
        json_t *e = json_object();
        json_object_set_new(e, "path", json_string(x->path));
        json_object_set_new(e, "type", json_string(x->type));
        json_object_set_new(e, "digest", json_string(x->digest));
        json_object_set_new(e, "size", json_integer(x->size));
        json_object_set_new(e, "uri", json_string(x->uri ? x->uri : ""));
        json_object_set_new(doc, x->name, e);
    }
    char *text = fjson_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    sbuf_addstr(out, text);
    free(text);
    json_decref(doc);
    return 0;
}

/* outputs/<dirname of path>: where client_log_artifacts puts a file so it
 * lands at outputs/<path> (a file keeps its name); outputs/<path> for a
 * directory (its contents go below). */
static void artifact_dir(const struct step_output *o, struct sbuf *out)
{
    sbuf_addstr(out, "outputs");
    if (o->is_dir) {
        sbuf_addf(out, "/%s", o->path);
        return;
    }
    const char *slash = strrchr(o->path, '/');
    if (slash) {
        sbuf_addch(out, '/');
        sbuf_add(out, o->path, (size_t)(slash - o->path));
    }
}

static int write_file(const char *path, const char *text, size_t n, struct ferr *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return ferr_set(err, FERR_IO_ERROR, "cannot create '%.500s': %s", path, strerror(errno));
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, text + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            return ferr_set(err, FERR_IO_ERROR, "writing '%.500s': %s", path, strerror(e));
        }
        off += (size_t)w;
    }
    if (close(fd) < 0)
        return ferr_set(err, FERR_IO_ERROR, "writing '%.500s': %s", path, strerror(errno));
    return 0;
}

static int log_outputs_json(struct client *c, const char *run_id, const struct step_outputs *o,
                            struct ferr *err)
{
    const char *tmp = getenv("TMPDIR");
    struct sbuf dir = SBUF_INIT, file = SBUF_INIT, text = SBUF_INIT;
    sbuf_addf(&dir, "%s/ferry-outputs-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir.buf)) {
        int e = errno;
        sbuf_release(&dir);
        return ferr_set(err, FERR_IO_ERROR, "cannot create a temporary directory: %s", strerror(e));
    }
    sbuf_addf(&file, "%s/outputs.json", dir.buf);
    int rc = step_outputs_json(o, &text, err);
    if (!rc)
        rc = write_file(file.buf, text.buf, text.len, err);
    if (!rc)
        rc = client_log_artifacts(c, run_id, file.buf, "pipeline", NULL, NULL, err);
    if (unlink(file.buf) < 0 && errno != ENOENT && !rc)
        rc = ferr_set(err, FERR_IO_ERROR, "cannot remove '%.500s': %s", file.buf, strerror(errno));
    if (rmdir(dir.buf) < 0 && !rc)
        rc = ferr_set(err, FERR_IO_ERROR, "cannot remove '%.500s': %s", dir.buf, strerror(errno));
    sbuf_release(&dir);
    sbuf_release(&file);
    sbuf_release(&text);
    return rc;
}

int step_record_outputs(struct client *c, const char *run_id, const char *out_dir,
                        const struct step_outputs *o, int upload, struct ferr *err)
{
    struct sbuf local = SBUF_INIT, dst = SBUF_INIT;
    int rc = 0;
    for (size_t i = 0; upload && o && i < o->n && !rc; i++) {
        sbuf_reset(&local);
        sbuf_reset(&dst);
        sbuf_addf(&local, "%s/%s", out_dir, o->v[i].path);
        artifact_dir(&o->v[i], &dst);
        rc = client_log_artifacts(c, run_id, local.buf, dst.buf, NULL, NULL, err);
    }
    sbuf_release(&local);
    sbuf_release(&dst);
    return rc ? -1 : log_outputs_json(c, run_id, o, err);
}

/* ---------- from the plan ---------- */

struct step_output_decl *step_output_decls(const struct pipeline_spec *spec, size_t i)
{
    const struct pipe_step *st = &spec->steps[i];
    if (!st->noutputs)
        return NULL;
    struct step_output_decl *d = xcalloc(st->noutputs, sizeof(*d));
    for (size_t k = 0; k < st->noutputs; k++)
        d[k] = (struct step_output_decl){st->outputs[k].name, st->outputs[k].path,
                                         pipe_output_type_name(st->outputs[k].type)};
    return d;
}

void step_inputs_release(struct step_input *in, size_t n)
{
    for (size_t k = 0; in && k < n; k++)
        step_input_release(&in[k]);
}

static int plan_input(const struct pipe_plan *plan, size_t i, const struct pipe_input *pi,
                      const struct step_outputs *produced, struct step_input *out, struct ferr *err)
{
    const char *step = plan->spec.steps[i].name;
    struct ferr e = FERR_INIT;
    switch (pi->kind) {
    case PIPE_INPUT_PATH:
        if (step_input_from_path(out, pi->name, pi->path, &e))
            return ferr_set(err, e.code, "step %.200s, input %.200s: %s", step, pi->name, e.msg);
        return 0;
    case PIPE_INPUT_DATA:
        if (!pi->uri || !pi->data_digest)
            return ferr_set(err, FERR_INVALID_STATE,
                            "step %.200s, input %.200s: the plan has no pinned data version", step,
                            pi->name);
        input_set(out, pi->name, pi->uri, "dataset", pi->data_digest);
        return 0;
    case PIPE_INPUT_STEP:
        break;
    }
    const struct pipe_step *src = &plan->spec.steps[pi->step];
    const char *oname = src->outputs[pi->output].name;
    const struct step_output *o = produced ? step_outputs_find(&produced[pi->step], oname) : NULL;
    if (!o)
        return ferr_set(err, FERR_INVALID_STATE,
                        "step %.200s, input %.200s: step %.200s recorded no output %.200s", step,
                        pi->name, src->name, oname);
    step_input_from_output(out, pi->name, o);
    return 0;
}

int step_inputs_for_plan(const struct pipe_plan *plan, size_t i,
                         const struct step_outputs *produced, struct step_input *out,
                         struct ferr *err)
{
    const struct pipe_plan_step *ps = &plan->steps[i];
    memset(out, 0, ps->ninputs * sizeof(*out));
    for (size_t k = 0; k < ps->ninputs; k++)
        if (plan_input(plan, i, &ps->inputs[k], produced, &out[k], err))
            return -1;
    return 0;
}

/* ---------- lineage ---------- */

static const char *nz(const char *s)
{
    return s ? s : "";
}

int step_record_execution(struct client *c, const struct step_exec *e, struct ferr *err)
{
    struct lineage_execution_in in = {nz(e->run_id),      nz(e->pipeline), nz(e->pipeline_run_id),
                                      nz(e->step),        nz(e->state),    nz(e->fingerprint),
                                      nz(e->cached_from), e->started_ms,   e->ended_ms};
    return client_lineage_executions_put(c, &in, err);
}

int step_record_events(struct client *c, const char *run_id, const struct step_input *in,
                       size_t nin, const struct step_outputs *out, struct ferr *err)
{
    size_t nout = out ? out->n : 0, n = nin + nout;
    if (!n)
        return 0;
    struct lineage_event_in *ev = xcalloc(n, sizeof(*ev));
    for (size_t i = 0; i < nin; i++)
        ev[i] = (struct lineage_event_in){LINEAGE_INPUT, in[i].name,   in[i].uri,
                                          in[i].type,    in[i].digest, NULL};
    for (size_t i = 0; i < nout; i++) {
        const struct step_output *o = &out->v[i];
        ev[nin + i] =
            (struct lineage_event_in){LINEAGE_OUTPUT, o->name, o->uri, o->type, o->digest, NULL};
    }
    int rc = 0;
    for (size_t off = 0; off < n && !rc; off += LINEAGE_EVENTS_MAX) {
        size_t k = n - off < LINEAGE_EVENTS_MAX ? n - off : LINEAGE_EVENTS_MAX;
        rc = client_lineage_events_log(c, run_id, ev + off, k, err);
    }
    free(ev);
    return rc;
}
