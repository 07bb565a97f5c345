/* SPDX-License-Identifier: MIT
 * Every REST handler, one file per API area. Internal to server/. */
#ifndef FERRY_SERVER_HANDLERS_H
#define FERRY_SERVER_HANDLERS_H

#include "server/http.h"

/* experiments.c */
int h_experiments_create(struct req *r);
int h_experiments_get(struct req *r);
int h_experiments_get_by_name(struct req *r);
int h_experiments_search(struct req *r);
int h_experiments_update(struct req *r);
int h_experiments_delete(struct req *r);
int h_experiments_restore(struct req *r);
int h_experiments_set_tag(struct req *r);
int h_experiments_delete_tag(struct req *r);
/* runs.c */
int h_runs_create(struct req *r);
int h_runs_get(struct req *r);
int h_runs_update(struct req *r);
int h_runs_delete(struct req *r);
int h_runs_restore(struct req *r);
int h_runs_search(struct req *r);
/* logging.c */
int h_runs_log_metric(struct req *r);
int h_runs_log_parameter(struct req *r);
int h_runs_set_tag(struct req *r);
int h_runs_delete_tag(struct req *r);
int h_runs_log_batch(struct req *r);
int h_runs_log_inputs(struct req *r);
int h_runs_log_model(struct req *r);
/* registry.c */
int h_models_create(struct req *r);
int h_models_get(struct req *r);
int h_models_rename(struct req *r);
int h_models_update(struct req *r);
int h_models_delete(struct req *r);
int h_models_set_tag(struct req *r);
int h_models_delete_tag(struct req *r);
int h_models_alias(struct req *r);
int h_models_search(struct req *r);
int h_models_get_latest_versions(struct req *r);
int h_versions_create(struct req *r);
int h_versions_get(struct req *r);
int h_versions_update(struct req *r);
int h_versions_delete(struct req *r);
int h_versions_transition(struct req *r);
int h_versions_set_tag(struct req *r);
int h_versions_delete_tag(struct req *r);
int h_versions_search(struct req *r);
int h_versions_download_uri(struct req *r);
int h_registry_history(struct req *r);
int h_models_resolve(struct req *r);
int h_versions_lineage(struct req *r);
/* artifacts.c */
int h_artifacts_list(struct req *r);
/* metrics.c */
int h_metrics_get_history(struct req *r);
int h_metrics_get_history_bulk_interval(struct req *r);
int h_metrics_get_history_downsampled(struct req *r);

#endif
