/* SPDX-License-Identifier: MIT
 * The public model functions of libferry (ferry.h, "Models"): they need
 * the models layer, so they live here rather than in client/ferry_api.c. */
#include "client/ferry_api_int.h"
#include "client/client_artifacts.h"
#include "base/ftime.h"
#include "base/ids.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "models/mlmodel.h"
#include "models/model.h"
#include "models/model_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

struct ferry_model {
    struct model *m;
};

/* "2026-11-22 16:40:00.123000", as MLflow writes utc_time_created. */
static void utc_now(char *buf, size_t n)
{
    int64_t ms = ftime_now_ms();
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char day[32];
    if (!gmtime_r(&secs, &tm) || !strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(day, sizeof(day), "1970-01-01 00:00:00");
    snprintf(buf, n, "%s.%06d", day, (int)(ms % 1000) * 1000);
}

static int log_model(struct ferry_client *fc, const char *run_id, const char *model_dir,
                     const char *artifact_path)
{
    struct mlmodel m;
    struct sbuf yaml = SBUF_INIT, tmpfile = SBUF_INIT;
    char when[40], uuid[RUN_ID_LEN + 1], tmp[] = "/tmp/ferry-mlmodel-XXXXXX";
    int rc = -1, made = 0;
    if (ferry_api_need(fc, run_id, "run_id") || ferry_api_need(fc, model_dir, "model_dir") ||
        ferry_api_need(fc, artifact_path, "artifact_path"))
        return -1;
    if (!*artifact_path)
        return ferr_set(&fc->err, FERR_INVALID_PARAMETER_VALUE,
                        "artifact_path must name a directory in the run, e.g. \"model\"");
    if (mlmodel_read_dir(model_dir, &m, &fc->err))
        return -1;
    /* The MLmodel as MLflow's log_model leaves it in the run. */
    utc_now(when, sizeof(when));
    json_object_set_new(m.doc, "artifact_path", json_string(artifact_path));
    json_object_set_new(m.doc, "run_id", json_string(run_id));
    json_object_set_new(m.doc, "utc_time_created", json_string(when));
    if (!json_string_value(json_object_get(m.doc, "model_uuid"))) {
        ids_new_run_id(uuid);
        json_object_set_new(m.doc, "model_uuid", json_string(uuid));
    }
    if (mlmodel_write(&m, &yaml, &fc->err))
        goto out;
    /* The directory first, then the completed MLmodel over its copy. */
    if (client_log_artifacts(fc->c, run_id, model_dir, artifact_path, NULL, NULL, &fc->err))
        goto out;
    if (!mkdtemp(tmp)) {
        ferr_set(&fc->err, FERR_IO_ERROR, "cannot make a temporary directory: %s", strerror(errno));
        goto out;
    }
    made = 1;
    sbuf_addf(&tmpfile, "%s/MLmodel", tmp);
    FILE *f = fopen(tmpfile.buf, "w");
    if (!f || fwrite(yaml.buf, 1, yaml.len, f) != yaml.len || fclose(f) != 0) {
        if (f)
            fclose(f);
        ferr_set(&fc->err, FERR_IO_ERROR, "cannot write '%s'", tmpfile.buf);
        goto out;
    }
    if (client_log_artifacts(fc->c, run_id, tmpfile.buf, artifact_path, NULL, NULL, &fc->err))
        goto out;
    char *json = json_dumps(m.doc, JSON_COMPACT);
    if (!json) {
        ferr_set(&fc->err, FERR_INTERNAL_ERROR, "cannot encode the MLmodel as JSON");
        goto out;
    }
    rc = client_log_model(fc->c, run_id, json, &fc->err);
    free(json);
out:
    if (made) {
        unlink(tmpfile.buf);
        rmdir(tmp);
    }
    sbuf_release(&yaml);
    sbuf_release(&tmpfile);
    mlmodel_release(&m);
    return rc;
}

ferry_status ferry_log_model(ferry_client *c, const char *run_id, const char *model_dir,
                             const char *artifact_path)
{
    FERRY_API_CALL(c, log_model(c, run_id, model_dir, artifact_path));
}

static int load_model(struct ferry_client *fc, const char *uri, ferry_model **out)
{
    struct model_files files;
    struct model *m = NULL;
    if (ferry_api_need(fc, uri, "uri") || ferry_api_need(fc, out, "out"))
        return -1;
    *out = NULL;
    int rc = model_files_open(fc->c, uri, &files, &fc->err) ||
                     model_load_dir(files.dir.buf, NULL, &m, &fc->err)
                 ? -1
                 : 0;
    model_files_close(&files); /* the model is in memory now */
    if (!rc) {
        *out = xcalloc(1, sizeof(**out));
        (*out)->m = m;
    }
    return rc;
}

ferry_status ferry_load_model(ferry_client *c, const char *uri, ferry_model **out)
{
    FERRY_API_CALL(c, load_model(c, uri, out));
}

ferry_status ferry_predict(ferry_model *m, const double *values, size_t rows, size_t cols,
                           double **out, size_t *out_cols)
{
    struct ferr err = FERR_INIT;
    struct model_output o;
    if (out)
        *out = NULL;
    if (!m || !values || !out || !out_cols) {
        ferr_set(&err, FERR_INVALID_PARAMETER_VALUE, "a required argument is NULL");
        ferry_api_record(NULL, &err);
        return FERRY_EINVAL;
    }
    struct model_input in = {rows, cols, values};
    if (model_predict(m->m, &in, &o, &err)) {
        ferry_api_record(NULL, &err);
        return err.code == FERR_INVALID_PARAMETER_VALUE ? FERRY_EINVAL : FERRY_EINTERNAL;
    }
    if (o.json) {
        model_output_release(&o);
        ferr_set(&err, FERR_INVALID_PARAMETER_VALUE,
                 "the model's predictions are not numbers (strings or nested values)");
        ferry_api_record(NULL, &err);
        return FERRY_EINVAL;
    }
    *out = o.values;
    *out_cols = o.cols;
    ferry_api_record(NULL, NULL);
    return FERRY_OK;
}

void ferry_model_free(ferry_model *m)
{
    if (!m)
        return;
    model_free(m->m);
    free(m);
}
