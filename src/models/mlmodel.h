/* SPDX-License-Identifier: MIT
 * MLflow's model directory description, the MLmodel file (YAML):
 *
 *   artifact_path: model
 *   flavors:
 *     python_function: {loader_module: mlflow.xgboost, data: model.xgb, ...}
 *     xgboost: {data: model.xgb, model_class: xgboost.sklearn.XGBClassifier,
 *               model_format: xgb, xgb_version: 1.7.4}
 *   model_uuid: ..., run_id: ..., utc_time_created: '2024-05-01 10:00:00.000000'
 *   signature:
 *     inputs: '[{"type": "double", "name": "f0", "required": true}, ...]'
 *     outputs: '[{"type": "long", "required": true}]'
 *   saved_input_example_info: {artifact_path: input_example.json, type: dataframe, ...}
 *
 * The whole document is kept (unknown keys survive a read and write); the
 * fields ferry uses are read out of it. */
#ifndef FERRY_MODELS_MLMODEL_H
#define FERRY_MODELS_MLMODEL_H

#include "base/ferr.h"
#include "base/sbuf.h"

#include <jansson.h>
#include <stddef.h>

/* One column of a column-based signature, or one tensor of a tensor-based
 * one (then type is "tensor" and dtype/shape say more). */
struct model_column {
    char *name; /* NULL for unnamed columns */
    char *type; /* double, float, long, integer, boolean, string, binary, datetime, tensor */
    int required;
    char *dtype; /* tensors: float32, int64, ... */
    long long *shape;
    size_t ndim;
};

struct model_signature {
    struct model_column *inputs, *outputs;
    size_t ninputs, noutputs;
    int tensor_based;
};

struct mlmodel {
    json_t *doc; /* the whole MLmodel, owned */
    const char *artifact_path, *run_id, *model_uuid, *utc_time_created; /* into doc, or NULL */
    json_t *flavors;                  /* into doc: flavor name -> its configuration object */
    struct model_signature signature; /* empty when the model has none */
};

/* Parses MLmodel text. A document without "flavors" is refused. */
int mlmodel_parse(const char *text, size_t n, struct mlmodel *out, struct ferr *err) WARN_UNUSED;
/* Reads <dir>/MLmodel. */
int mlmodel_read_dir(const char *dir, struct mlmodel *out, struct ferr *err) WARN_UNUSED;
/* The configuration of flavor `name`, or NULL when the model has none. */
json_t *mlmodel_flavor(const struct mlmodel *m, const char *name);
/* A string field of a flavor's configuration, or NULL. */
const char *mlmodel_flavor_str(const struct mlmodel *m, const char *flavor, const char *key);
/* Appends the MLmodel text for m->doc. */
int mlmodel_write(const struct mlmodel *m, struct sbuf *out, struct ferr *err) WARN_UNUSED;
void mlmodel_release(struct mlmodel *m);

#endif
