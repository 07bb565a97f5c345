/* SPDX-License-Identifier: MIT
 * MLflow's UI-only operations under /ajax-api/2.0/mlflow/:
 * experiments/search-datasets and runs/create-promptlab-run. */
#ifndef FERRY_API_AJAX_OPS_H
#define FERRY_API_AJAX_OPS_H

#include "api/op.h"
#include "domain/domain.h"

extern const struct api_area api_ajax_area;

struct rq_search_datasets {
    const char **experiment_ids;
    size_t n;
};

/* What the prompt engineering UI sends: a prompt, the model route that
 * answered it, and the parameters of each. */
struct rq_promptlab_run {
    const char *experiment_id, *run_name;
    struct kv_list tags;
    const char *prompt_template;
    struct kv_list prompt_parameters;
    const char *model_route;
    struct kv_list model_parameters;
    const char *model_input, *model_output;
    struct kv_list model_output_parameters;
    const char *mlflow_version, *user_id;
    int64_t start_time;
};
struct rs_promptlab_run {
    struct run *run;
};

extern const struct api_op api_search_datasets, api_create_promptlab_run;

#endif
