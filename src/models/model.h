/* SPDX-License-Identifier: MIT
 * A loaded model: an MLflow model directory (MLmodel + files) behind the
 * flavor that runs it. Inputs are dense row-major matrices of doubles (NaN
 * is a missing value), as tabular models take them (JSON numbers are
 * doubles; a flavor narrows them only if its runtime does); outputs doubles. A loaded
 * model may be used by several threads at once. */
#ifndef FERRY_MODELS_MODEL_H
#define FERRY_MODELS_MODEL_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "models/model_io.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct model;
struct mlmodel;

/* How a model is run. Zero values are the defaults. */
struct model_opts {
    int workers;        /* out-of-process flavors: worker processes (one per CPU) */
    int64_t timeout_ms; /* out-of-process flavors: per request
                         * ($MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT seconds, else 60 s) */
};

/* Loads the model directory dir, choosing the first flavor ferry runs:
 * native ones (xgboost) before Python workers (sklearn). opts may be NULL.
 * INVALID_PARAMETER_VALUE (naming the flavors found) when none fits; a
 * corrupt model file is INVALID_PARAMETER_VALUE too. */
/* The flavor model_load_dir would run m (the MLmodel of dir) with, and
 * whether it runs in this process (native: no model code runs) or in
 * Python workers; INVALID_PARAMETER_VALUE when ferry runs none of m's. */
struct mlmodel;
int model_flavor_of(const struct mlmodel *m, const char *dir, const char **name, int *in_process,
                    struct ferr *err) WARN_UNUSED;
int model_load_dir(const char *dir, const struct model_opts *opts, struct model **out,
                   struct ferr *err) WARN_UNUSED;
int model_predict(struct model *m, const struct model_input *in, struct model_output *out,
                  struct ferr *err) WARN_UNUSED;
/* SHAP values per row: cols + 1 values (the last is the bias). */
int model_explain(struct model *m, const struct model_input *in, struct model_output *out,
                  struct ferr *err) WARN_UNUSED;
/* The model's MLmodel. */
const struct mlmodel *model_mlmodel(const struct model *m);
/* The flavor in use, e.g. "xgboost". */
const char *model_flavor(const struct model *m);
/* Whether predictions run in this process (native flavors) rather than in
 * worker processes: a server sizes its threads by it. */
int model_in_process(const struct model *m);
/* {"flavor": ..., plus what the flavor says}; the caller's reference. */
json_t *model_describe(const struct model *m);
void model_free(struct model *m);
#endif
