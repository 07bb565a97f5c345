/* SPDX-License-Identifier: MIT
 * The model registry's rows (model_registry.proto's registered-models/...
 * and model-versions/...) and ferry's own (audit trail, URI resolution,
 * lineage), with the structs a client fills to call them. Writes take
 * struct reg_write; a write row's arg is its reg_action. */
#ifndef FERRY_API_REGISTRY_OPS_H
#define FERRY_API_REGISTRY_OPS_H

#include "api/op.h"
#include "domain/registry.h"

extern const struct api_area api_registry_area;

/* What a write answers, as MLflow does: the entity as it is after the
 * write (NULL for writes that answer {}). */
struct rs_reg_write {
    struct registered_model *registered_model;
    struct model_version *model_version;
};
struct rq_model_name {
    const char *name;
};
struct rs_registered_model {
    struct registered_model registered_model;
};
struct rq_model_version {
    const char *name;
    int64_t version;
};
struct rs_model_version {
    struct model_version model_version;
};
struct rq_model_alias {
    const char *name;
    const char *alias;
};
struct rq_latest_versions {
    const char *name;
    const char **stages;
    size_t nstages;
};
struct rs_model_versions {
    struct model_version_list model_versions;
};
struct rs_download_uri {
    char *artifact_uri;
};
struct rs_registry_history {
    char *name;
    struct registry_event_list events;
};
struct rq_model_uri {
    const char *uri;
};
struct rs_model_uri {
    char *uri;
    char *artifact_uri;
    struct model_version *model_version; /* NULL for runs:/ URIs */
};
/* A dataset input of the version's run (issue 19), and when its source
 * is a ferry dataset version (data:/NAME/V, data:/NAME@ALIAS) that version
 * as it exists now. */
struct lineage_dataset {
    char *name, *digest, *source_type, *source; /* the input, as the run has it */
    char *context;                              /* its mlflow.data.context tag, or NULL */
    char *data_name;                            /* resolved: the dataset; NULL when not resolved */
    int64_t data_version;                       /* resolved: the version number */
    char *data_digest;                          /* resolved: the version digest (64 hex) */
    char *data_error; /* a data: source that does not resolve: why (deleted ...) */
};
struct rs_version_lineage {
    struct model_version model_version;
    char *artifact_uri;               /* NULL when it cannot be resolved */
    struct run *run;                  /* NULL without a run, or when it was purged */
    struct lineage_dataset *datasets; /* the run's dataset inputs, in order */
    size_t ndatasets, adatasets;
};

/* The write row for an action. */
const struct api_op *api_registry_write_op(enum reg_action action);

extern const struct api_op api_registered_models_get, api_registered_models_search,
    api_model_versions_search, api_registry_history, api_models_resolve;

#endif
