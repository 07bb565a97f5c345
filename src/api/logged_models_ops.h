/* SPDX-License-Identifier: MIT
 * MLflow 3's LoggedModel API (service.proto): logged-models create, get,
 * finalize (PATCH), delete, search, tags, params, artifact listing, and
 * runs/outputs, the models a run produced. Answers as MLflow's server
 * gives them: the model under "model", searches under "models". */
#ifndef FERRY_API_LOGGED_MODELS_OPS_H
#define FERRY_API_LOGGED_MODELS_OPS_H

#include "api/op.h"
#include "domain/logged_model.h"

extern const struct api_area api_logged_models_area;

struct rq_logged_model_create {
    const char *experiment_id, *name, *model_type, *source_run_id;
    struct kv_list params, tags;
};
struct rq_logged_model_id {
    const char *model_id;
    int status; /* finalize */
    const char *tag_key;
    struct kv_list pairs; /* tags, params */
    const char *artifact_directory_path;
};
struct rs_logged_model {
    struct logged_model *model;
};

/* A field of [{"model_id", "step"}] into a struct model_ref_list. */
extern const struct api_custom api_model_refs_field;

extern const struct api_op api_logged_model_create, api_logged_model_get, api_logged_model_finalize,
    api_logged_model_search;

#endif
