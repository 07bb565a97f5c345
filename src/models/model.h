/* SPDX-License-Identifier: MIT
 * A loaded model: an MLflow model directory (MLmodel + files) behind the
 * flavor that runs it. Inputs are dense row-major matrices of doubles (NaN
 * is a missing value), as tabular models take them (JSON numbers are
 * doubles; a flavor narrows them only if its runtime does); outputs doubles. A loaded
 * model may be used by several threads at once. */
#ifndef FERRY_MODELS_MODEL_H
#define FERRY_MODELS_MODEL_H

#include "base/ferr.h"

#include <jansson.h>
#include <stddef.h>

struct model;
struct mlmodel;

struct model_input {
    size_t rows, cols;
    const double *values; /* rows * cols, row-major */
};

struct model_output {
    size_t rows, cols; /* cols is 1 for one value per row */
    double *values;    /* rows * cols, the caller's (free) */
    int labels;        /* values are class labels */
};

/* Loads the model directory dir, choosing the first flavor ferry runs
 * natively. INVALID_PARAMETER_VALUE (naming the flavors found) when none
 * fits; a corrupt model file is INVALID_PARAMETER_VALUE too. */
int model_load_dir(const char *dir, struct model **out, struct ferr *err) WARN_UNUSED;
int model_predict(struct model *m, const struct model_input *in, struct model_output *out,
                  struct ferr *err) WARN_UNUSED;
/* SHAP values per row: cols + 1 values (the last is the bias). */
int model_explain(struct model *m, const struct model_input *in, struct model_output *out,
                  struct ferr *err) WARN_UNUSED;
/* The model's MLmodel. */
const struct mlmodel *model_mlmodel(const struct model *m);
/* The flavor in use, e.g. "xgboost". */
const char *model_flavor(const struct model *m);
/* {"flavor": ..., plus what the flavor says}; the caller's reference. */
json_t *model_describe(const struct model *m);
void model_free(struct model *m);

#endif
