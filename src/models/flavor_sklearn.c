/* SPDX-License-Identifier: MIT
 * MLflow's sklearn flavor, run by a pool of long-lived Python workers
 * (pypool.h) without MLflow installed:
 *
 *   sklearn:         {pickled_model: model.pkl, serialization_format: cloudpickle,
 *                     sklearn_version: 1.2.1}
 *   python_function: {loader_module: mlflow.sklearn, model_path: model.pkl,
 *                     predict_fn: predict}
 *
 * ferry reads the pickle and sends its bytes to each worker, which loads it
 * with pickle (or cloudpickle, when installed) and answers with predict_fn
 * (predict, predict_proba, predict_log_proba or predict_joint_log_proba),
 * as MLflow's pyfunc does. Unpickling runs whatever code the file names:
 * serve only models you trust; the workers run with least privilege
 * (pyproc.h). The whole file is kept in memory so that a worker that dies
 * can be restarted even if the model directory is gone. */
#include "models/flavor.h"
#include "models/pypool.h"
#include "models/pyproc.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Larger pickles are refused: they would live in ferry's memory twice. */
#define MAX_PICKLE_BYTES ((size_t)2 << 30)

struct sk {
    struct pypool *pool;
    json_int_t features; /* 0 when the model does not say */
};

/* The request timeout: the option, else MLflow's scoring server variable
 * (seconds), else 60 s. */
static int64_t timeout_ms(const struct model_opts *opts)
{
    if (opts->timeout_ms > 0)
        return opts->timeout_ms;
    const char *env = getenv("MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT");
    if (env && *env) {
        char *end;
        double secs = strtod(env, &end);
        if (!*end && secs > 0 && secs < 1e6)
            return (int64_t)(secs * 1000);
    }
    return 60000;
}

/* The LOAD payload: u32 config length, the config JSON, the pickle. */
static int build_load(const char *dir, const struct mlmodel *m, struct sbuf *out, struct ferr *err)
{
    const char *file = mlmodel_flavor_str(m, "sklearn", "pickled_model");
    if (!file)
        file = mlmodel_flavor_str(m, "python_function", "model_path");
    if (!file || !*file || strstr(file, "..") || file[0] == '/')
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the sklearn flavor's 'pickled_model' is missing or leaves the model "
                        "directory");
    json_t *columns = json_array();
    const struct model_signature *sig = &m->signature;
    for (size_t i = 0; i < sig->ninputs && !sig->tensor_based; i++)
        json_array_append_new(columns, json_string(sig->inputs[i].name ? sig->inputs[i].name : ""));
    const char *fmt = mlmodel_flavor_str(m, "sklearn", "serialization_format");
    const char *fn = mlmodel_flavor_str(m, "python_function", "predict_fn");
    json_t *config = json_pack("{s:s, s:s, s:o}", "serialization_format", fmt ? fmt : "cloudpickle",
                               "predict_fn", fn ? fn : "predict", "columns", columns);
    char *text = config ? json_dumps(config, JSON_COMPACT) : NULL;
    json_decref(config);
    if (!text)
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot encode the worker's configuration");
    uint32_t len = (uint32_t)strlen(text);
    sbuf_add(out, &len, sizeof(len));
    sbuf_add(out, text, len);
    free(text);
    struct sbuf path = SBUF_INIT;
    sbuf_addf(&path, "%s/%s", dir, file);
    int rc = 0;
    if (sbuf_read_file(out, path.buf, MAX_PICKLE_BYTES) < 0)
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      errno == EFBIG ? "model file '%.300s' is larger than 2 GiB"
                                     : "model file '%.300s' cannot be read",
                      path.buf);
    sbuf_release(&path);
    return rc;
}

static int sk_load(const char *dir, const struct mlmodel *m, const struct model_opts *opts,
                   void **state, struct ferr *err)
{
    struct sbuf load = SBUF_INIT;
    *state = NULL;
    const char *loader = mlmodel_flavor_str(m, "python_function", "loader_module");
    if (loader && strcmp(loader, "mlflow.sklearn"))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the model's python_function loader is '%.100s'; ferry's Python workers "
                        "load mlflow.sklearn models",
                        loader);
    if (build_load(dir, m, &load, err)) {
        sbuf_release(&load);
        return -1;
    }
    struct pypool_opts po = {pyproc_python(), opts->workers, timeout_ms(opts), load.buf, load.len};
    struct sk *s = xcalloc(1, sizeof(*s));
    int rc = pypool_start(&po, &s->pool, err);
    sbuf_release(&load);
    if (rc) {
        free(s);
        return -1;
    }
    json_t *info = json_object();
    pypool_describe(s->pool, info);
    s->features = json_integer_value(json_object_get(info, "features"));
    json_decref(info);
    *state = s;
    return 0;
}

static int sk_predict(void *state, const struct model_input *in, struct model_output *out,
                      struct ferr *err)
{
    struct sk *s = state;
    if (s->features && in->cols != (size_t)s->features)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the model takes %lld features, the input has %zu columns",
                        (long long)s->features, in->cols);
    return pypool_predict(s->pool, in->values, in->rows, in->cols, out, err);
}

static void sk_describe(void *state, json_t *into)
{
    struct sk *s = state;
    pypool_describe(s->pool, into);
}

static void sk_free(void *state)
{
    struct sk *s = state;
    pypool_stop(s->pool);
    free(s);
}

const struct flavor flavor_sklearn = {"sklearn", 0,           sk_load, sk_predict,
                                      NULL,      sk_describe, sk_free};
