/* SPDX-License-Identifier: MIT
 * MLflow's xgboost flavor, natively through libxgboost's C API: the `data`
 * file (JSON, UBJSON or the legacy binary format; libxgboost tells them
 * apart) and `model_class`. Classifiers answer class labels as MLflow's
 * pyfunc does (probability > 0.5, or the most probable class), with the
 * probabilities beside them (model_output.proba, for the log), regressors
 * and raw Boosters their predictions. explain gives SHAP values
 * (pred_contribs). Predictions use libxgboost's in-place prediction, which
 * is thread-safe and needs no DMatrix (results live in per-thread buffers);
 * each booster runs single-threaded (nthread 1): a server's concurrency comes
 * from its connections, and OpenMP fan-out per request only costs. The
 * DMatrix path that SHAP values need is serialised by a lock. */
#include "models/flavor.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xgboost/c_api.h>

#include "base/banned.h"

struct xgb {
    BoosterHandle booster;
    pthread_mutex_t mu;
    int classifier;
    char *model_class, *format;
    bst_ulong features;
};

static int xgb_fail(struct ferr *err, const char *what)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s: %s", what, XGBGetLastError());
}

static int x_load(const char *dir, const struct mlmodel *m, const struct model_opts *opts,
                  void **state, struct ferr *err)
{
    (void)opts;
    const char *data = mlmodel_flavor_str(m, "xgboost", "data");
    const char *cls = mlmodel_flavor_str(m, "xgboost", "model_class");
    const char *fmt = mlmodel_flavor_str(m, "xgboost", "model_format");
    struct sbuf path = SBUF_INIT;
    struct stat st;
    *state = NULL;
    if (!data || !*data || strstr(data, "..") || data[0] == '/')
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the xgboost flavor's 'data' is missing or leaves the model directory");
    sbuf_addf(&path, "%s/%s", dir, data);
    if (stat(path.buf, &st) < 0 || !S_ISREG(st.st_mode)) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "model file '%.300s' is missing", path.buf);
        sbuf_release(&path);
        return -1;
    }
    struct xgb *x = xcalloc(1, sizeof(*x));
    pthread_mutex_init(&x->mu, NULL);
    x->model_class = xstrdup(cls ? cls : "xgboost.core.Booster");
    x->format = xstrdup(fmt ? fmt : "xgb");
    x->classifier = strstr(x->model_class, "Classifier") != NULL;
    int rc = 0;
    if (XGBoosterCreate(NULL, 0, &x->booster) != 0)
        rc = xgb_fail(err, "cannot create an XGBoost booster");
    else if (XGBoosterLoadModel(x->booster, path.buf) != 0)
        rc = xgb_fail(err, "cannot load the XGBoost model");
    else if (XGBoosterGetNumFeature(x->booster, &x->features) != 0)
        rc = xgb_fail(err, "cannot read the model's feature count");
    else if (XGBoosterSetParam(x->booster, "nthread", "1") != 0)
        rc = xgb_fail(err, "cannot configure the XGBoost booster");
    sbuf_release(&path);
    if (rc) {
        if (x->booster)
            XGBoosterFree(x->booster);
        pthread_mutex_destroy(&x->mu);
        free(x->model_class);
        free(x->format);
        free(x);
        return -1;
    }
    *state = x;
    return 0;
}

/* NumPy's __array_interface__ for the input, which libxgboost reads without
 * copying: doubles, row-major. */
static void array_interface(char *buf, size_t size, const struct model_input *in)
{
    snprintf(buf, size,
             "{\"data\": [%" PRIuPTR ", true], \"shape\": [%zu, %zu], \"typestr\": \"<f8\", "
             "\"version\": 3}",
             (uintptr_t)in->values, in->rows, in->cols);
}

/* Runs a prediction of `type` (0 value, 2 contributions) into *res. */
static int run(struct xgb *x, const struct model_input *in, int type, const bst_ulong **shape,
               bst_ulong *dim, const float **res, DMatrixHandle *dm, struct ferr *err)
{
    char config[160], array[160];
    if (x->features && in->cols != x->features)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the model takes %llu features, the input has %zu columns",
                        (unsigned long long)x->features, in->cols);
    array_interface(array, sizeof(array), in);
    if (XGDMatrixCreateFromDense(array, "{\"missing\": NaN, \"nthread\": 1}", dm))
        return xgb_fail(err, "cannot build the input matrix");
    snprintf(config, sizeof(config),
             "{\"type\": %d, \"training\": false, \"iteration_begin\": 0, "
             "\"iteration_end\": 0, \"strict_shape\": false}",
             type);
    if (XGBoosterPredictFromDMatrix(x->booster, *dm, config, shape, dim, res)) {
        XGDMatrixFree(*dm);
        return xgb_fail(err, "prediction failed");
    }
    return 0;
}

static int x_predict(void *state, const struct model_input *in, struct model_output *out,
                     struct ferr *err)
{
    static const char config[] = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
                                 "\"iteration_end\": 0, \"strict_shape\": false, "
                                 "\"missing\": NaN, \"cache_id\": 0}";
    struct xgb *x = state;
    const bst_ulong *shape;
    bst_ulong dim;
    const float *res;
    char array[160];
    if (x->features && in->cols != x->features)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the model takes %llu features, the input has %zu columns",
                        (unsigned long long)x->features, in->cols);
    array_interface(array, sizeof(array), in);
    if (XGBoosterPredictFromDense(x->booster, array, config, NULL, &shape, &dim, &res))
        return xgb_fail(err, "prediction failed");
    size_t per_row = dim >= 2 ? (size_t)shape[1] : 1;
    out->rows = in->rows;
    out->labels = x->classifier;
    out->cols = x->classifier ? 1 : per_row;
    out->values = xmalloc(out->rows * out->cols * sizeof(*out->values));
    if (x->classifier) {
        out->nproba = per_row == 1 ? 2 : per_row;
        out->proba = xmalloc(out->rows * out->nproba * sizeof(*out->proba));
    }
    for (size_t r = 0; r < in->rows; r++) {
        const float *p = res + r * per_row;
        if (x->classifier) {
            double *q = out->proba + r * out->nproba;
            if (per_row == 1) {
                q[0] = 1.0 - (double)p[0];
                q[1] = (double)p[0];
            } else {
                for (size_t k = 0; k < per_row; k++)
                    q[k] = (double)p[k];
            }
        }
        if (!x->classifier) {
            for (size_t k = 0; k < per_row; k++)
                out->values[r * per_row + k] = p[k];
        } else if (per_row == 1) {
            out->values[r] = p[0] > 0.5f ? 1 : 0;
        } else {
            size_t best = 0;
            for (size_t k = 1; k < per_row; k++)
                if (p[k] > p[best])
                    best = k;
            out->values[r] = (double)best;
        }
    }
    return 0;
}

static int x_explain(void *state, const struct model_input *in, struct model_output *out,
                     struct ferr *err)
{
    struct xgb *x = state;
    const bst_ulong *shape;
    bst_ulong dim;
    const float *res;
    DMatrixHandle dm;
    pthread_mutex_lock(&x->mu);
    if (run(x, in, 2, &shape, &dim, &res, &dm, err)) {
        pthread_mutex_unlock(&x->mu);
        return -1;
    }
    size_t n = 1;
    for (bst_ulong i = 1; i < dim; i++)
        n *= (size_t)shape[i];
    out->rows = in->rows;
    out->cols = n; /* features + 1 (the bias), times classes for multi-class */
    out->values = xmalloc(out->rows * n * sizeof(*out->values));
    for (size_t i = 0; i < out->rows * n; i++)
        out->values[i] = res[i];
    XGDMatrixFree(dm);
    pthread_mutex_unlock(&x->mu);
    return 0;
}

static void x_describe(void *state, json_t *into)
{
    struct xgb *x = state;
    json_object_set_new(into, "model_class", json_string(x->model_class));
    json_object_set_new(into, "model_format", json_string(x->format));
    json_object_set_new(into, "features", json_integer((json_int_t)x->features));
}

static void x_free(void *state)
{
    struct xgb *x = state;
    XGBoosterFree(x->booster);
    pthread_mutex_destroy(&x->mu);
    free(x->model_class);
    free(x->format);
    free(x);
}

const struct flavor flavor_xgboost = {"xgboost", 1,          x_load, x_predict,
                                      x_explain, x_describe, x_free};
