/* SPDX-License-Identifier: MIT
 * A step's inputs and outputs, and recording them (see step_record.h):
 * artifacts through client/client_artifacts.h, the lineage rows through
 * client/client_lineage.h. */
#include "pipelines/step_record.h"
#include "pipelines/output_digest.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "client/client_artifacts.h"
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

/* ---------- lineage ---------- */

int step_record_execution(struct client *c, const struct step_exec *e, struct ferr *err)
{
    (void)c;
    (void)e;
    return ferr_set(err, FERR_NOT_IMPLEMENTED, "lineage executions: not yet wired");
}

int step_record_events(struct client *c, const char *run_id, const struct step_input *in,
                       size_t nin, const struct step_outputs *out, struct ferr *err)
{
    (void)c;
    (void)run_id;
    (void)in;
    (void)nin;
    (void)out;
    return ferr_set(err, FERR_NOT_IMPLEMENTED, "lineage events: not yet wired");
}
