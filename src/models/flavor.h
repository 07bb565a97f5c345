/* SPDX-License-Identifier: MIT
 * A flavor: one way to load and run an MLflow model (xgboost natively,
 * python_function through a worker, ...). New runtimes plug in here without
 * touching the server. Internal to models/. */
#ifndef FERRY_MODELS_FLAVOR_H
#define FERRY_MODELS_FLAVOR_H

#include "models/mlmodel.h"
#include "models/model.h"

struct flavor {
    const char *name; /* the MLmodel flavor key, e.g. "xgboost" */
    int in_process;   /* predictions run on the caller's thread */
    /* Loads the model in dir; *state is the flavor's. */
    int (*load)(const char *dir, const struct mlmodel *m, const struct model_opts *opts,
                void **state, struct ferr *err);
    int (*predict)(void *state, const struct model_input *in, struct model_output *out,
                   struct ferr *err);
    /* Per-row feature contributions (SHAP values); NULL when not supported. */
    int (*explain)(void *state, const struct model_input *in, struct model_output *out,
                   struct ferr *err);
    /* Adds what the flavor knows (class, format, features) to an object. */
    void (*describe)(void *state, json_t *into);
    void (*free)(void *state);
};

extern const struct flavor flavor_xgboost;
extern const struct flavor flavor_sklearn;

#endif
