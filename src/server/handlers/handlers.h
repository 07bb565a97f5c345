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
/* artifacts.c */
int h_artifacts_list(struct req *r);
/* metrics.c */
int h_metrics_get_history(struct req *r);
int h_metrics_get_history_bulk_interval(struct req *r);

#endif
