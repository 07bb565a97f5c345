/* SPDX-License-Identifier: MIT
 * The public model functions of libferry (ferry.h, "Models"): they need
 * the models layer, so they live here rather than in client/ferry_api.c. */
#include "client/ferry_api.h"
#include "client/client_artifacts.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "models/mlmodel.h"
#include "models/model.h"
#include "models/model_files.h"
#include "models/model_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

struct ferry_model {
    struct model *m;
};

static int log_model(struct ferry_client *fc, const char *run_id, const char *model_dir,
                     const char *artifact_path)
{
    if (ferry_api_need(fc, run_id, "run_id") || ferry_api_need(fc, model_dir, "model_dir") ||
        ferry_api_need(fc, artifact_path, "artifact_path"))
        return -1;
    return model_log_dir(fc->c, run_id, model_dir, artifact_path, &fc->err);
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
    free(o.proba); /* the values are the caller's now; nothing else is */
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
