/* SPDX-License-Identifier: MIT
 * The parts of `ferry models` that run a model: serve, predict, validate.
 * A model URI (a directory, runs:/ or models:/) becomes a local directory
 * first, downloaded through the client when needed. */
#include "cli/cli.h"
#include "client/client_artifacts.h"
#include "client/client_registry.h"
#include "base/sbuf.h"
#include "models/model.h"
#include "serving/input.h"
#include "serving/serve.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* A local directory for uri: the directory itself, or a download of a
 * runs:/ source into tmp. *name gets the registered model's name for
 * models:/ URIs. */
static int model_dir(struct client *c, const char *uri, const char *tmp, struct sbuf *dir,
                     struct sbuf *name, struct sbuf *version, struct ferr *err)
{
    struct model_version v;
    char *where = NULL;
    const char *source = uri;
    memset(&v, 0, sizeof(v));
    if (!strncmp(uri, "models:/", 8)) {
        if (client_resolve_model_uri(c, uri, &where, &v, err))
            return -1;
        source = v.source;
        sbuf_addstr(name, v.name);
        sbuf_addf(version, "%" PRId64, v.version);
    }
    int rc = 0;
    if (!strncmp(source, "runs:/", 6)) {
        const char *p = source + 6;
        size_t idlen = strcspn(p, "/");
        struct sbuf id = SBUF_INIT;
        sbuf_add(&id, p, idlen);
        const char *path = p[idlen] ? p + idlen + 1 : "";
        /* the model directory's contents land in tmp itself */
        rc = client_download_artifacts(c, id.buf, path, tmp, NULL, NULL, err);
        sbuf_addstr(dir, tmp);
        sbuf_release(&id);
    } else if (!strncmp(source, "file://", 7)) {
        sbuf_addstr(dir, source + 7);
    } else if (!strstr(source, "://") && strncmp(source, "mlflow-artifacts:", 17)) {
        sbuf_addstr(dir, source);
    } else {
        rc = ferr_set(err, FERR_NOT_IMPLEMENTED,
                      "cannot fetch model files from '%.200s' yet: serve a local directory, a "
                      "runs:/ URI or a model registered from a run",
                      source);
    }
    model_version_release(&v);
    free(where);
    return rc;
}

int models_serve(struct client *c, const char *uri, const char *host, int port, int workers)
{
    struct ferr err = FERR_INIT;
    struct sbuf dir = SBUF_INIT, name = SBUF_INIT, version = SBUF_INIT;
    char tmp[] = "/tmp/ferry-serve-XXXXXX";
    int made = 0, rc = 1;
    if (!uri)
        return cli_usagef("serve needs -m URI (see 'ferry models --help')");
    if (!strncmp(uri, "runs:/", 6) || !strncmp(uri, "models:/", 8)) {
        if (!mkdtemp(tmp))
            return cli_failf("cannot make a temporary directory");
        made = 1;
    }
    if (model_dir(c, uri, tmp, &dir, &name, &version, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    struct serve_opts so = {host ? host : "127.0.0.1", port, dir.buf,
                            name.len ? name.buf : "model", version.len ? version.buf : NULL,
                            workers};
    rc = serve_run(&so, &err) ? cli_fail(&err) : 0;
out:
    if (made) {
        struct sbuf cmd = SBUF_INIT;
        sbuf_addf(&cmd, "rm -rf '%s'", tmp);
        if (system(cmd.buf) != 0)
            fprintf(stderr, "ferry: could not remove %s\n", tmp);
        sbuf_release(&cmd);
    }
    sbuf_release(&dir);
    sbuf_release(&name);
    sbuf_release(&version);
    return rc;
}


/* ---------- predict ---------- */


#define PREDICT_CHUNK_ROWS 10000

struct local_model {
    char tmp[32];
    int made;
    struct sbuf dir, name, version;
};

static int local_model_open(struct client *c, const char *uri, struct local_model *lm,
                            struct ferr *err)
{
    memset(lm, 0, sizeof(*lm));
    snprintf(lm->tmp, sizeof(lm->tmp), "/tmp/ferry-model-XXXXXX");
    if (!uri)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing -m URI");
    if (!strncmp(uri, "runs:/", 6) || !strncmp(uri, "models:/", 8)) {
        if (!mkdtemp(lm->tmp))
            return ferr_set(err, FERR_IO_ERROR, "cannot make a temporary directory: %s",
                            strerror(errno));
        lm->made = 1;
    }
    return model_dir(c, uri, lm->tmp, &lm->dir, &lm->name, &lm->version, err);
}

static void local_model_close(struct local_model *lm)
{
    if (lm->made) {
        struct sbuf cmd = SBUF_INIT;
        sbuf_addf(&cmd, "rm -rf '%s'", lm->tmp);
        if (system(cmd.buf) != 0)
            fprintf(stderr, "ferry: could not remove %s\n", lm->tmp);
        sbuf_release(&cmd);
    }
    sbuf_release(&lm->dir);
    sbuf_release(&lm->name);
    sbuf_release(&lm->version);
}

static void write_predictions(FILE *out, const struct model_output *o, int *first)
{
    for (size_t r = 0; r < o->rows; r++) {
        fputs(*first ? "" : ",", out);
        *first = 0;
        if (o->cols > 1)
            fputc('[', out);
        for (size_t k = 0; k < o->cols; k++) {
            double v = o->values[r * o->cols + k];
            if (k)
                fputc(',', out);
            if (o->labels)
                fprintf(out, "%lld", (long long)v);
            else
                fprintf(out, "%.17g", v);
        }
        if (o->cols > 1)
            fputc(']', out);
    }
}

static int score_text(struct model *m, const char *text, size_t n, int csv, FILE *out,
                      int *first, struct ferr *err)
{
    struct matrix x;
    struct model_output o;
    const struct model_signature *sig = &model_mlmodel(m)->signature;
    if ((csv ? input_from_csv(text, n, sig, &x, err) : input_from_json(text, n, sig, &x, err)))
        return -1;
    struct model_input in = {x.rows, x.cols, x.values};
    int rc = model_predict(m, &in, &o, err);
    matrix_release(&x);
    if (rc)
        return -1;
    write_predictions(out, &o, first);
    free(o.values);
    return 0;
}

/* CSV is scored PREDICT_CHUNK_ROWS rows at a time, each chunk with the
 * header, so memory stays flat however long the file. */
static int predict_csv(struct model *m, FILE *in, FILE *out, struct ferr *err)
{
    struct sbuf header = SBUF_INIT, chunk = SBUF_INIT;
    char *line = NULL;
    size_t cap = 0, rows = 0;
    ssize_t k;
    int first = 1, rc = 0;
    while (!rc && (k = getline(&line, &cap, in)) >= 0) {
        if (!header.len) {
            sbuf_add(&header, line, (size_t)k);
            continue;
        }
        if (!rows)
            sbuf_add(&chunk, header.buf, header.len);
        sbuf_add(&chunk, line, (size_t)k);
        if (++rows == PREDICT_CHUNK_ROWS) {
            rc = score_text(m, chunk.buf, chunk.len, 1, out, &first, err);
            sbuf_reset(&chunk);
            rows = 0;
        }
    }
    if (!rc && ferror(in))
        rc = ferr_set(err, FERR_IO_ERROR, "reading the input: %s", strerror(errno));
    if (!rc && rows)
        rc = score_text(m, chunk.buf, chunk.len, 1, out, &first, err);
    if (!rc && !header.len)
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the input CSV is empty");
    free(line);
    sbuf_release(&header);
    sbuf_release(&chunk);
    return rc;
}

int models_predict(struct client *c, const char *uri, const char *input, const char *output)
{
    struct ferr err = FERR_INIT;
    struct local_model lm;
    struct model *m = NULL;
    FILE *in = NULL, *out = stdout;
    int rc = 1;
    if (!input)
        return cli_usagef("predict needs -i FILE (.csv or .json)");
    if (local_model_open(c, uri, &lm, &err) || model_load_dir(lm.dir.buf, &m, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    if (!(in = strcmp(input, "-") ? fopen(input, "rb") : stdin)) {
        rc = cli_failf("cannot read '%s': %s", input, strerror(errno));
        goto out;
    }
    if (output && strcmp(output, "-") && !(out = fopen(output, "w"))) {
        rc = cli_failf("cannot write '%s': %s", output, strerror(errno));
        goto out;
    }
    size_t n = strlen(input);
    int csv = n > 4 && !strcmp(input + n - 4, ".csv");
    fputs("{\"predictions\":[", out);
    if (csv) {
        rc = predict_csv(m, in, out, &err);
    } else {
        struct sbuf text = SBUF_INIT;
        char buf[65536];
        size_t k;
        int first = 1;
        while ((k = fread(buf, 1, sizeof(buf), in)) > 0)
            sbuf_add(&text, buf, k);
        rc = ferror(in) ? ferr_set(&err, FERR_IO_ERROR, "reading '%.200s'", input)
                        : score_text(m, text.buf ? text.buf : "", text.len, 0, out, &first,
                                     &err);
        sbuf_release(&text);
    }
    fputs("]}\n", out);
    if (rc)
        rc = cli_fail(&err);
    else if (fflush(out) != 0 || ferror(out))
        rc = cli_failf("writing the predictions failed");
out:
    if (in && in != stdin)
        fclose(in);
    if (out != stdout && fclose(out) != 0 && !rc)
        rc = cli_failf("writing '%s' failed", output);
    model_free(m);
    local_model_close(&lm);
    return rc;
}
