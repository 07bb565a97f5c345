/* SPDX-License-Identifier: MIT
 * libferry: log ML experiments from C and C++ to ferry (or any MLflow
 * tracking server), in-process on a SQLite file or over REST.
 *
 *   ferry_client *c;
 *   char *run;
 *   if (ferry_open(NULL, &c) != FERRY_OK) ...      // $FERRY_TRACKING_URI or ./ferry.db
 *   ferry_start_run(c, NULL, "baseline", NULL, &run);
 *   ferry_log_param(c, run, "eta", "0.3");
 *   ferry_log_metric(c, run, "loss", 0.25, 0, 1);  // buffered, sent in batches
 *   ferry_end_run(c, run, FERRY_RUN_FINISHED);
 *   ferry_free(run);
 *   ferry_close(c);
 *
 * Conventions: functions return a ferry_status (FERRY_OK is 0); on failure
 * ferry_last_error(c) describes it. Strings and arrays handed out are owned
 * by the caller and freed with ferry_free(). A ferry_client may be shared by
 * threads: calls are serialised by an internal lock. Out-of-memory aborts
 * the process (as git and Redis do), it is never returned. */
#ifndef FERRY_FERRY_H
#define FERRY_FERRY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FERRY_API __attribute__((visibility("default")))

/* Status codes. Never renumbered; new codes are only appended. */
typedef enum ferry_status {
    FERRY_OK = 0,
    FERRY_EINVAL = 1,    /* invalid argument (MLflow's INVALID_PARAMETER_VALUE) */
    FERRY_ENOTFOUND = 2, /* no such experiment or run (RESOURCE_DOES_NOT_EXIST) */
    FERRY_EEXIST = 3,    /* already exists (RESOURCE_ALREADY_EXISTS) */
    FERRY_ESTATE = 4,    /* not allowed in the current state */
    FERRY_EIO = 5,       /* transport or file failure: server unreachable, disk error */
    FERRY_EINTERNAL = 6, /* the store or server failed */
} ferry_status;

/* Values match MLflow's RunStatus. */
typedef enum ferry_run_status {
    FERRY_RUN_RUNNING = 1,
    FERRY_RUN_SCHEDULED = 2,
    FERRY_RUN_FINISHED = 3,
    FERRY_RUN_FAILED = 4,
    FERRY_RUN_KILLED = 5,
} ferry_run_status;

typedef struct ferry_client ferry_client;
typedef struct ferry_runs ferry_runs;

typedef struct ferry_metric {
    double value;      /* NaN and infinities are legal */
    int64_t timestamp; /* milliseconds since the epoch */
    int64_t step;
} ferry_metric;

/* libferry's version, e.g. "0.1.0". */
FERRY_API const char *ferry_version(void);
/* A short English description of a status. */
FERRY_API const char *ferry_strerror(ferry_status s);
/* Frees anything libferry handed out (strings, metric arrays). NULL is fine. */
FERRY_API void ferry_free(void *p);

/* Opens a client. uri: "sqlite:///abs/path.db", "sqlite://rel.db" or a plain
 * path (in-process), or "http(s)://host:port" (REST; also a stock MLflow
 * server). NULL: $FERRY_TRACKING_URI, else $MLFLOW_TRACKING_URI, else
 * ./ferry.db. On failure *out is NULL and ferry_last_error(NULL) says why
 * (kept per thread). */
FERRY_API ferry_status ferry_open(const char *uri, ferry_client **out);
/* Flushes buffered metrics and frees the client. NULL is fine. Returns the
 * flush's status. */
FERRY_API ferry_status ferry_close(ferry_client *c);
/* The message of the last failure on c (or, with c NULL, of the last failed
 * ferry_open on this thread). Valid until the next call on c. */
FERRY_API const char *ferry_last_error(ferry_client *c);

/* Experiments. *id receives a new string. */
FERRY_API ferry_status ferry_create_experiment(ferry_client *c, const char *name,
                                               const char *artifact_location, char **id);
FERRY_API ferry_status ferry_get_experiment_by_name(ferry_client *c, const char *name,
                                                    char **id);
/* Gets the experiment called name, creating it when absent. */
FERRY_API ferry_status ferry_set_experiment(ferry_client *c, const char *name, char **id);

/* Starts a run in experiment_id (NULL: $FERRY_EXPERIMENT_NAME or
 * $MLFLOW_EXPERIMENT_NAME, created when absent, else "0"). run_name NULL
 * generates one. parent_run_id makes a nested run (mlflow.parentRunId).
 * Sets mlflow.user, mlflow.source.name and mlflow.source.type = LOCAL.
 * If $FERRY_RUN_ID or $MLFLOW_RUN_ID is set, attaches to that run instead
 * (FERRY_ENOTFOUND when it does not exist). */
FERRY_API ferry_status ferry_start_run(ferry_client *c, const char *experiment_id,
                                       const char *run_name, const char *parent_run_id,
                                       char **run_id);
/* Flushes the run's metrics, then sets its status and end time. */
FERRY_API ferry_status ferry_end_run(ferry_client *c, const char *run_id,
                                     ferry_run_status status);

/* Params are immutable: the same value again is fine, another is FERRY_EINVAL. */
FERRY_API ferry_status ferry_log_param(ferry_client *c, const char *run_id, const char *key,
                                       const char *value);
FERRY_API ferry_status ferry_set_tag(ferry_client *c, const char *run_id, const char *key,
                                     const char *value);
FERRY_API ferry_status ferry_delete_tag(ferry_client *c, const char *run_id, const char *key);
/* Buffers one metric point (timestamp_ms 0 means now). The buffer is sent as
 * log-batch requests of up to 1000 points when it fills, on ferry_flush,
 * ferry_end_run and ferry_close; an error in a background send is reported
 * by the call that triggered it. Keys are validated here, at once. */
FERRY_API ferry_status ferry_log_metric(ferry_client *c, const char *run_id, const char *key,
                                        double value, int64_t timestamp_ms, int64_t step);
FERRY_API ferry_status ferry_flush(ferry_client *c);

/* Searches runs with MLflow's filter syntax (plus OR, NOT, parentheses).
 * order_by: one clause such as "metrics.acc DESC", or NULL. max_results 0
 * means 1000. page_token NULL for the first page. */
FERRY_API ferry_status ferry_search_runs(ferry_client *c, const char *const *experiment_ids,
                                         size_t n_experiment_ids, const char *filter,
                                         const char *order_by, int64_t max_results,
                                         const char *page_token, ferry_runs **out);
FERRY_API size_t ferry_runs_count(const ferry_runs *r);
/* Strings below are owned by r and valid until ferry_runs_free. */
FERRY_API const char *ferry_runs_id(const ferry_runs *r, size_t i);
FERRY_API const char *ferry_runs_name(const ferry_runs *r, size_t i);
FERRY_API ferry_run_status ferry_runs_status(const ferry_runs *r, size_t i);
/* 1 and *value set when run i has the metric (its latest value), else 0. */
FERRY_API int ferry_runs_metric(const ferry_runs *r, size_t i, const char *key, double *value);
/* NULL when absent. */
FERRY_API const char *ferry_runs_param(const ferry_runs *r, size_t i, const char *key);
FERRY_API const char *ferry_runs_tag(const ferry_runs *r, size_t i, const char *key);
/* NULL on the last page. */
FERRY_API const char *ferry_runs_next_page_token(const ferry_runs *r);
FERRY_API void ferry_runs_free(ferry_runs *r);

/* Every point of one metric, by step then timestamp. *points is freed with
 * ferry_free. Flushes buffered metrics first. */
FERRY_API ferry_status ferry_get_metric_history(ferry_client *c, const char *run_id,
                                                const char *key, ferry_metric **points,
                                                size_t *n);

#ifdef __cplusplus
}
#endif

#endif
