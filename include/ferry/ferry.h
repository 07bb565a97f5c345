/* SPDX-License-Identifier: MIT
 * libferry: log machine-learning experiments from C and C++ to ferry or to
 * any MLflow tracking server, in-process on a SQLite file or over REST.
 *
 *   ferry_client *c;
 *   char *run;
 *   if (ferry_open(NULL, &c) != FERRY_OK)          // $FERRY_TRACKING_URI or ./ferry.db
 *       fprintf(stderr, "%s\n", ferry_last_error(NULL));
 *   ferry_start_run(c, NULL, "baseline", NULL, &run);
 *   ferry_log_param(c, run, "eta", "0.3");
 *   ferry_log_metric(c, run, "loss", 0.25, 0, 1);  // buffered, sent in batches
 *   ferry_end_run(c, run, FERRY_RUN_FINISHED);
 *   ferry_free(run);
 *   ferry_close(c);
 *
 * Conventions
 * - Functions return a ferry_status; FERRY_OK is 0. After a failure,
 *   ferry_last_error(c) says what went wrong, in words.
 * - Strings and arrays handed out through pointer arguments become the
 *   caller's; free them with ferry_free(). Strings passed in are only read
 *   during the call. Required pointer arguments that are NULL give
 *   FERRY_EINVAL, never a crash.
 * - Thread-safety: a ferry_client may be shared by threads. Calls on one
 *   client are serialised by a lock inside it (so threads logging through one
 *   client wait for each other; use one client per thread for parallel
 *   REST traffic). ferry_last_error() is per thread. ferry_runs results are
 *   read-only and may be read by several threads.
 * - Memory: running out of memory inside libferry aborts the process (as
 *   git and Redis do) instead of returning an error. This may change to
 *   FERRY_ENOMEM in a later version; code that checks the status keeps
 *   working.
 * - Compatibility: ferry_status and ferry_run_status values are never
 *   renumbered; new ones are only appended. */
#ifndef FERRY_FERRY_H
#define FERRY_FERRY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FERRY_API __attribute__((visibility("default")))

typedef enum ferry_status {
    FERRY_OK = 0,
    FERRY_EINVAL = 1,    /* invalid argument: INVALID_PARAMETER_VALUE, BAD_REQUEST */
    FERRY_ENOTFOUND = 2, /* no such experiment or run: RESOURCE_DOES_NOT_EXIST */
    FERRY_EEXIST = 3,    /* already exists: RESOURCE_ALREADY_EXISTS */
    FERRY_ESTATE = 4,    /* not allowed in the current state: INVALID_STATE */
    FERRY_EIO = 5,       /* transport or file failure, server unreachable or busy */
    FERRY_EINTERNAL = 6, /* the store or the server failed */
    FERRY_EPERM = 7,     /* PERMISSION_DENIED or UNAUTHENTICATED (server auth) */
    FERRY_ENOTSUP = 8,   /* not supported: ENDPOINT_NOT_FOUND, NOT_IMPLEMENTED */
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

/* One point of a metric's history. */
typedef struct ferry_metric {
    double value;      /* NaN and infinities are legal */
    int64_t timestamp; /* milliseconds since the Unix epoch */
    int64_t step;
} ferry_metric;

/* ---- Library ---------------------------------------------------------- */

/* libferry's version, e.g. "0.1.0". Static string; thread-safe. */
FERRY_API const char *ferry_version(void);

/* A short English description of s ("not found"); "unknown status" for a
 * value this version does not know. Static string; thread-safe. */
FERRY_API const char *ferry_strerror(ferry_status s);

/* Frees a string or array libferry handed out (run ids, experiment ids,
 * metric histories). NULL is fine. Thread-safe. */
FERRY_API void ferry_free(void *p);

/* ---- Clients ---------------------------------------------------------- */

/* Opens a client on a tracking store and stores it in *out.
 *   "sqlite:///abs/path.db", "sqlite://rel/path.db" or a plain file path:
 *       in-process, no server needed; the file is created and migrated on
 *       first use. Several processes may share the file.
 *   "http://host:port" or "https://...": MLflow's REST API, against
 *       `ferry server` or a stock MLflow server. Nothing is sent until the
 *       first call. Honours MLFLOW_TRACKING_TOKEN (bearer), _USERNAME and
 *       _PASSWORD (basic auth), _INSECURE_TLS, _SERVER_CERT_PATH and
 *       MLFLOW_HTTP_REQUEST_TIMEOUT / _MAX_RETRIES (each also as FERRY_...).
 *   NULL or "": $FERRY_TRACKING_URI, else $MLFLOW_TRACKING_URI, else
 *       "./ferry.db".
 * Errors: FERRY_EINVAL (out NULL, unknown URI scheme), FERRY_ENOTSUP (a
 * scheme not built in yet, e.g. postgresql://), FERRY_EINTERNAL (the file
 * cannot be opened or created, or is not a ferry database), FERRY_EINVAL for
 * a bad FERRY_HTTP_* setting. On failure *out is NULL and
 * ferry_last_error(NULL) describes it. Thread-safe. */
FERRY_API ferry_status ferry_open(const char *uri, ferry_client **out);

/* Sends the buffered metrics, then frees the client (NULL is fine). The
 * client is gone even when the flush fails; the status is the flush's, so
 * FERRY_EIO here means buffered points were lost. Not to be called while
 * another thread uses c. */
FERRY_API ferry_status ferry_close(ferry_client *c);

/* The message for the calling thread's most recent ferry_* call on c: ""
 * after a success. With c NULL: the message of this thread's most recent
 * ferry_open or ferry_close (or of a call passed a NULL client). Per thread, so threads sharing a
 * client each see their own errors. The string stays valid until this
 * thread's next libferry call; copy it to keep it. Never NULL. */
FERRY_API const char *ferry_last_error(ferry_client *c);

/* ---- Experiments ------------------------------------------------------ */

/* Creates experiment `name`. artifact_location NULL lets the server or
 * store choose. *id (id may be NULL) receives the new id; ferry_free it.
 * Errors: FERRY_EEXIST (the name is taken, also by a deleted experiment),
 * FERRY_EINVAL (empty or too long a name, invalid UTF-8), FERRY_EIO. */
FERRY_API ferry_status ferry_create_experiment(ferry_client *c, const char *name,
                                               const char *artifact_location, char **id);

/* The id of the experiment called name, in *id (ferry_free it).
 * Errors: FERRY_ENOTFOUND, FERRY_EINVAL, FERRY_EIO. */
FERRY_API ferry_status ferry_get_experiment_by_name(ferry_client *c, const char *name, char **id);

/* Gets the experiment called name, creating it when absent (like
 * mlflow.set_experiment); safe against another process creating it at the
 * same moment. *id as ferry_get_experiment_by_name. A deleted experiment of
 * that name is FERRY_ESTATE (restore it or choose another name). */
FERRY_API ferry_status ferry_set_experiment(ferry_client *c, const char *name, char **id);

/* ---- Runs ------------------------------------------------------------- */

/* Starts a run and stores its id in *run_id (ferry_free it).
 *   experiment_id NULL: the experiment $FERRY_EXPERIMENT_NAME (else
 *       $MLFLOW_EXPERIMENT_NAME), created when absent; else
 *       $FERRY_EXPERIMENT_ID / $MLFLOW_EXPERIMENT_ID; else "0" (Default).
 *   run_name NULL: a generated name such as "brave-owl-123".
 *   parent_run_id non-NULL: a nested run (tag mlflow.parentRunId).
 * Sets the tags mlflow.user ($USER, else the password database),
 * mlflow.source.name (this program's path) and mlflow.source.type "LOCAL".
 * Resuming: when parent_run_id is NULL and $FERRY_RUN_ID (else
 * $MLFLOW_RUN_ID) is set, no run is created: that run is resumed (status back
 * to RUNNING) and its id returned, as MLflow does; the arguments are ignored.
 * Errors: FERRY_ENOTFOUND (experiment, or the run to resume), FERRY_ESTATE
 * (the run to resume is deleted), FERRY_EINVAL (e.g. a deleted experiment,
 * as MLflow reports it), FERRY_EIO. */
FERRY_API ferry_status ferry_start_run(ferry_client *c, const char *experiment_id,
                                       const char *run_name, const char *parent_run_id,
                                       char **run_id);

/* Flushes buffered metrics, then sets the run's status; a terminal status
 * (FINISHED, FAILED, KILLED) also sets its end time to now. Should the flush
 * fail, the status is still set and the flush's error returned.
 * Errors: FERRY_ENOTFOUND, FERRY_EINVAL (status out of range), FERRY_EIO. */
FERRY_API ferry_status ferry_end_run(ferry_client *c, const char *run_id, ferry_run_status status);

/* Logs a param, sent at once. Params are immutable: the same value again is
 * fine, another value is FERRY_EINVAL. Keys: up to 250 bytes of letters,
 * digits, '_', '-', '.', ' ', ':', '/' (no "." or ".." path segments);
 * values up to 6000 bytes of UTF-8. Errors: FERRY_EINVAL (also for a deleted
 * run, as MLflow reports it), FERRY_ENOTFOUND, FERRY_EIO. */
FERRY_API ferry_status ferry_log_param(ferry_client *c, const char *run_id, const char *key,
                                       const char *value);

/* Sets a tag (value up to 8000 bytes), sent at once; a tag may be
 * overwritten. Errors as ferry_log_param. */
FERRY_API ferry_status ferry_set_tag(ferry_client *c, const char *run_id, const char *key,
                                     const char *value);

/* Deletes a tag. Errors: FERRY_ENOTFOUND (run or tag), FERRY_EINVAL, EIO. */
FERRY_API ferry_status ferry_delete_tag(ferry_client *c, const char *run_id, const char *key);

/* Records one metric point; timestamp_ms 0 means now. The run id and key
 * are validated at once (FERRY_EINVAL); the point is then BUFFERED in the
 * client and sent as log-batch requests (one run, at most 1000 points each)
 * whenever 1000 more points are buffered, and on ferry_flush, ferry_end_run,
 * ferry_search_runs, ferry_get_metric_history and ferry_close.
 * A failed send is reported by the call that triggered it, after that call's
 * own point was buffered:
 * - points the server refuses (e.g. the run does not exist or is deleted)
 *   are dropped, and the message starts with "metrics dropped:";
 * - points that could not be delivered (FERRY_EIO: unreachable, 503, 429)
 *   stay buffered and are sent again by the next flush. For 5 s after such
 *   a failure, ferry_log_metric does not try again by itself, so a dead
 *   server does not slow every call. At 100,000 waiting points,
 *   ferry_log_metric refuses new ones with FERRY_EIO.
 * Sending twice is harmless: identical points are stored once. */
FERRY_API ferry_status ferry_log_metric(ferry_client *c, const char *run_id, const char *key,
                                        double value, int64_t timestamp_ms, int64_t step);

/* Sends every buffered metric now. Errors as described at ferry_log_metric. */
FERRY_API ferry_status ferry_flush(ferry_client *c);

/* ---- Search ----------------------------------------------------------- */

/* Searches active runs of the given experiments (experiment_ids NULL or
 * n_experiment_ids 0: the experiment ferry_start_run would use, without
 * creating it) with MLflow's filter syntax, e.g.
 * "metrics.acc > 0.9 AND params.lr = '0.1'" (ferry also takes OR, NOT and
 * parentheses; a stock MLflow server does not). filter NULL: every run.
 * order_by: one clause such as "metrics.acc DESC" or NULL (newest first).
 * max_results: 0 means 1000, at most 50000. page_token: NULL for the first
 * page, then ferry_runs_next_page_token() of the previous page. *out gets the
 * page; free it with ferry_runs_free. Flushes buffered metrics first.
 * Errors: FERRY_EINVAL (bad filter, order or limits), FERRY_EIO. */
FERRY_API ferry_status ferry_search_runs(ferry_client *c, const char *const *experiment_ids,
                                         size_t n_experiment_ids, const char *filter,
                                         const char *order_by, int64_t max_results,
                                         const char *page_token, ferry_runs **out);

/* The runs on this page. 0 for NULL. */
FERRY_API size_t ferry_runs_count(const ferry_runs *r);
/* Run i's fields. Strings are owned by r and valid until ferry_runs_free;
 * an index past the end gives NULL (status: 0). */
FERRY_API const char *ferry_runs_id(const ferry_runs *r, size_t i);
FERRY_API const char *ferry_runs_name(const ferry_runs *r, size_t i);
FERRY_API ferry_run_status ferry_runs_status(const ferry_runs *r, size_t i);
/* 1 and *value (may be NULL) set to the metric's latest value when run i
 * has metric key; else 0. */
FERRY_API int ferry_runs_metric(const ferry_runs *r, size_t i, const char *key, double *value);
/* The value of param or tag key on run i; NULL when absent. */
FERRY_API const char *ferry_runs_param(const ferry_runs *r, size_t i, const char *key);
FERRY_API const char *ferry_runs_tag(const ferry_runs *r, size_t i, const char *key);
/* The token for the next page; NULL on the last page. */
FERRY_API const char *ferry_runs_next_page_token(const ferry_runs *r);
/* Frees a search result. NULL is fine. */
FERRY_API void ferry_runs_free(ferry_runs *r);

/* ---- Metric history --------------------------------------------------- */

/* Every point of metric key of a run, by step, then timestamp. *points gets
 * an array of *n points (NULL when *n is 0); ferry_free it. Flushes buffered
 * metrics first. Over REST, follows the server's pages until the last.
 * Errors: FERRY_ENOTFOUND (run), FERRY_EINVAL, FERRY_EIO. */
FERRY_API ferry_status ferry_get_metric_history(ferry_client *c, const char *run_id,
                                                const char *key, ferry_metric **points, size_t *n);

/* ---- Artifacts --------------------------------------------------------- */

/* One entry of a run's artifacts. */
typedef struct ferry_artifact {
    char *path; /* relative to the run's artifact root, e.g. "model/MLmodel" */
    int is_dir;
    int64_t file_size; /* bytes; 0 for directories */
} ferry_artifact;

/* Uploads local_path (a file, or a directory and everything below it) into
 * the run's artifacts under artifact_path (NULL or "": the root); a file
 * keeps its name. Runs with mlflow-artifacts:/ URIs go through the tracking
 * server's artifact proxy (REST clients), others straight to their
 * directory. Streams: memory use does not grow with file size.
 * Errors: FERRY_EINVAL (bad path, missing local file), FERRY_ENOTFOUND (run),
 * FERRY_EIO. */
FERRY_API ferry_status ferry_log_artifact(ferry_client *c, const char *run_id,
                                          const char *local_path, const char *artifact_path);

/* The entries directly inside path (NULL or "": the root). *out gets an
 * array of *n entries sorted by path; free it with ferry_artifacts_free. */
FERRY_API ferry_status ferry_list_artifacts(ferry_client *c, const char *run_id, const char *path,
                                            ferry_artifact **out, size_t *n);
FERRY_API void ferry_artifacts_free(ferry_artifact *a, size_t n);

/* Downloads path (a file or directory; NULL or "": everything) into
 * dst_dir (created if missing), keeping the layout below path. Each file
 * appears only once complete. */
FERRY_API ferry_status ferry_download_artifacts(ferry_client *c, const char *run_id,
                                                const char *path, const char *dst_dir);

/* ---- Model registry ---------------------------------------------------- */

/* Registers source (runs:/<run_id>/<path>, a directory or an object-store
 * URI) as a new version of the registered model `name`, creating the model
 * when it does not exist, as mlflow.register_model does. *version (may be
 * NULL) gets the new version number.
 * Errors: FERRY_EINVAL (empty name, a source climbing with '..'),
 * FERRY_ENOTFOUND (the run of a runs:/ source), FERRY_EIO. */
FERRY_API ferry_status ferry_register_model(ferry_client *c, const char *source, const char *name,
                                            int64_t *version);

/* Moves a version to stage "None", "Staging", "Production" or "Archived"
 * (any case); archive_existing archives the model's other versions in that
 * stage (Staging and Production only). */
FERRY_API ferry_status ferry_transition_model_version(ferry_client *c, const char *name,
                                                      int64_t version, const char *stage,
                                                      int archive_existing);

/* Points alias at version (moving it from another version if it was set);
 * version 0 deletes the alias. */
FERRY_API ferry_status ferry_set_model_alias(ferry_client *c, const char *name, const char *alias,
                                             int64_t version);

/* Where a model URI's files are: models:/<name>/<version|stage|latest>,
 * models:/<name>@<alias>, models:/<model_id> (MLflow 3's logged models) or
 * runs:/<run_id>/<path>. *artifact_uri gets a new string (ferry_free it).
 * Over REST this needs a ferry server. Errors: FERRY_ENOTFOUND (no such
 * model, version or run), FERRY_EINVAL (a malformed URI, an alias that is
 * not set: MLflow's INVALID_PARAMETER_VALUE). */
FERRY_API ferry_status ferry_resolve_model_uri(ferry_client *c, const char *uri,
                                               char **artifact_uri);

/* ---- Models --------------------------------------------------------- */

typedef struct ferry_model ferry_model;

/* Logs the MLflow model directory model_dir (its MLmodel and files) as the
 * run's artifacts under artifact_path (e.g. "model"), fills the MLmodel's
 * run_id, artifact_path, utc_time_created and model_uuid, and records it in
 * the run's mlflow.log-model.history tag (runs/log-model), as MLflow's
 * log_model does. Then runs:/<run_id>/<artifact_path> names it.
 * Errors: FERRY_ENOTFOUND (no MLmodel in model_dir, no such run), FERRY_EINVAL
 * (a malformed MLmodel, an empty artifact_path), FERRY_EIO. */
FERRY_API ferry_status ferry_log_model(ferry_client *c, const char *run_id, const char *model_dir,
                                       const char *artifact_path);

/* Loads a model in-process from a directory, runs:/<run_id>/<path> or a
 * models:/ URI (downloaded through c when needed). xgboost runs in this
 * process; sklearn models run in Python worker processes that ferry starts
 * (one per CPU; /usr/bin/python3 or $FERRY_PYTHON) and stops in
 * ferry_model_free. *out is freed with ferry_model_free; it may be used by
 * several threads at once and outlives c. */
FERRY_API ferry_status ferry_load_model(ferry_client *c, const char *uri, ferry_model **out);

/* Scores rows x cols features (row-major doubles; NaN is missing, in the
 * signature's column order). *out gets rows x *out_cols doubles (class
 * labels for classifiers); ferry_free it. On failure the message is
 * ferry_last_error(NULL). */
FERRY_API ferry_status ferry_predict(ferry_model *m, const double *values, size_t rows, size_t cols,
                                     double **out, size_t *out_cols);
FERRY_API void ferry_model_free(ferry_model *m);

/* ---- Datasets ------------------------------------------------------- */

/* Adds local_path (a file or a directory) as the next version of dataset
 * name, content-addressed: only what the store (or the server behind c)
 * lacks is sent, in packs; the version appears only once all of it is
 * stored. The same content as the latest version makes no new version
 * and answers that one. Objects go below datasets/ of the data root: the
 * server's artifact root (REST), or $FERRY_ARTIFACTS_DESTINATION, else
 * mlartifacts/ beside a SQLite file (embedded). message may be NULL;
 * *version (may be NULL) gets the version number. CSV files are profiled.
 * Errors: FERRY_EINVAL (a bad name, a symbolic link leaving the tree, a
 * file that changed while being added), FERRY_ENOTFOUND (no local_path),
 * FERRY_EIO, FERRY_ENOTSUP (a server that keeps no datasets). */
FERRY_API ferry_status ferry_data_add(ferry_client *c, const char *name, const char *local_path,
                                      const char *message, int64_t *version);

/* Writes the dataset version uri names (data:/NAME/VERSION, data:/NAME@ALIAS
 * or data:/NAME/latest, optionally followed by /PATH inside it) into
 * dst_dir, which must not exist or be empty. Every byte is verified
 * against the version's manifest while written; on any failure dst_dir is
 * not created. Errors: FERRY_EINVAL (a malformed URI, bytes that do not
 * verify), FERRY_ENOTFOUND (no such dataset, version or alias),
 * FERRY_EEXIST (dst_dir holds files), FERRY_EIO. */
FERRY_API ferry_status ferry_data_get(ferry_client *c, const char *uri, const char *dst_dir);

/* Records the dataset version uri names as an MLflow dataset input of
 * run_id (name, digest, source "data:/NAME/V", schema and profile of its
 * CSV files), so MLflow clients see it and ferry's lineage reaches it.
 * context (may be NULL): the input's mlflow.data.context tag ("training").
 * Logging the same version twice records it once. Errors: FERRY_EINVAL,
 * FERRY_ENOTFOUND (run or version), FERRY_EIO. */
FERRY_API ferry_status ferry_data_log(ferry_client *c, const char *run_id, const char *uri,
                                      const char *context);

#ifdef __cplusplus
}
#endif

#endif
