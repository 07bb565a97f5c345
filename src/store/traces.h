/* SPDX-License-Identifier: MIT
 * The store's traces area (MLflow Tracing): a trace's info, request
 * metadata and tags, written when a trace starts and ends (2.x) or whole
 * once it is over (3.x), read, searched, tagged and deleted. The spans
 * themselves are a file in the artifact repository, under the location the
 * trace's mlflow.artifactLocation tag names; the store only names it. Same
 * conventions as store.h: 0, or -1 with err set to MLflow's code
 * (RESOURCE_DOES_NOT_EXIST for an unknown trace or experiment,
 * INVALID_PARAMETER_VALUE for bad input or a deleted experiment,
 * NOT_IMPLEMENTED from a backend without traces), nothing changed on
 * failure. Below the functions, the backend contract for the area. */
#ifndef FERRY_STORE_TRACES_H
#define FERRY_STORE_TRACES_H

#include "base/ferr.h"
#include "domain/trace.h"
#include "store/store.h"

/* 2.x StartTrace: a new trace in an active experiment, IN_PROGRESS, with a
 * new id (32 hex digits) and the artifact location tag beside the tags
 * given (which may not set it). */
int store_start_trace(struct store *s, const char *experiment_id, int64_t timestamp_ms,
                      const struct kv_list *request_metadata, const struct kv_list *tags,
                      struct trace_info *out, struct ferr *err) WARN_UNUSED;
/* 2.x EndTrace: the trace's status and execution time (end_ms minus its
 * start; below zero is INVALID_PARAMETER_VALUE), its request metadata and
 * tags merged with those given. */
int store_end_trace(struct store *s, const char *request_id, int64_t end_ms,
                    enum trace_status status, const struct kv_list *request_metadata,
                    const struct kv_list *tags, struct trace_info *out,
                    struct ferr *err) WARN_UNUSED;
/* 3.x StartTraceV3: a trace as the client made it (t: its id, experiment,
 * times, status, previews, metadata, tags), in an active experiment, plus
 * the artifact location tag. A trace of that id is overwritten, its
 * metadata and tags merged, as MLflow does. */
int store_log_trace(struct store *s, const struct trace_info *t, struct trace_info *out,
                    struct ferr *err) WARN_UNUSED;
int store_get_trace_info(struct store *s, const char *request_id, struct trace_info *out,
                         struct ferr *err) WARN_UNUSED;
/* MLflow's trace search: experiment_ids required, max_results 1..500, the
 * filter over timestamp, execution_time, end_time, status, request_id,
 * client_request_id, name, run_id, tags.* and request_metadata.* (also
 * metadata.*), order_by over those attributes, experiment_id, tags and
 * metadata; newest first by default. */
int store_search_traces(struct store *s, const struct trace_search *q, struct trace_info_list *out,
                        struct ferr *err) WARN_UNUSED;
/* Deletes traces of one experiment (see struct trace_delete) with their
 * metadata and tags, checked as MLflow checks the request; *deleted gets
 * how many. An unknown experiment has none to delete. */
int store_delete_traces(struct store *s, const struct trace_delete *q, int64_t *deleted,
                        struct ferr *err) WARN_UNUSED;
/* A value longer than 8000 characters is cut there, as MLflow does. */
int store_set_trace_tag(struct store *s, const char *request_id, const char *key, const char *value,
                        struct ferr *err) WARN_UNUSED;
/* RESOURCE_DOES_NOT_EXIST when the trace has no such tag. */
int store_delete_trace_tag(struct store *s, const char *request_id, const char *key,
                           struct ferr *err) WARN_UNUSED;

/* ---------- the traces backend contract (see store/backend.h) ---------- */

/* Arguments arrive validated as the functions above validate them;
 * experiment ids parsed; out structs zeroed (and may be NULL where said).
 * An unknown trace is RESOURCE_DOES_NOT_EXIST, "Trace with request_id
 * '<id>' not found". */
struct store_traces_ops {
    /* Creates t in experiment experiment_id, which must exist and be
     * active, adding the artifact location tag (trace_artifact_location of
     * the experiment's artifact location). replace 0: t's id is new; 1: a
     * trace of that id is overwritten, metadata and tags merged. out may be
     * NULL. */
    int (*create)(struct store *s, const struct trace_info *t, int64_t experiment_id, int replace,
                  struct trace_info *out, struct ferr *err);
    int (*end)(struct store *s, const char *request_id, int64_t end_ms, enum trace_status status,
               const struct kv_list *request_metadata, const struct kv_list *tags,
               struct trace_info *out, struct ferr *err);
    int (*get)(struct store *s, const char *request_id, struct trace_info *out, struct ferr *err);
    /* One page; the filter and order_by are parsed here (search_sql.h). */
    int (*search)(struct store *s, const struct trace_search *q, struct store_page *page,
                  struct trace_info_list *out, struct ferr *err);
    int (*delete_traces)(struct store *s, int64_t experiment_id, const struct trace_delete *q,
                         int64_t *deleted, struct ferr *err);
    /* value NULL deletes the tag (RESOURCE_DOES_NOT_EXIST when absent). */
    int (*set_tag)(struct store *s, const char *request_id, const char *key, const char *value,
                   struct ferr *err);
};

#endif
