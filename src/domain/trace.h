/* SPDX-License-Identifier: MIT
 * Traces (MLflow Tracing) as plain structs: a trace's info (ids, times,
 * status, request metadata, tags), what searching and deleting traces take,
 * and the status names of both wire formats. MLflow 2.x calls a trace's id
 * request_id and its status TraceStatus; 3.x calls them trace_id and
 * TraceInfoV3.State, with the same values. A trace's spans are not here:
 * clients store them as a file (traces.json) in the artifact repository.
 * Ownership as domain.h: a struct owns its strings, *_release frees them. */
#ifndef FERRY_DOMAIN_TRACE_H
#define FERRY_DOMAIN_TRACE_H

#include "domain/domain.h"

#include <stddef.h>
#include <stdint.h>

/* Values match MLflow's TraceStatus and TraceInfoV3.State enums. */
enum trace_status {
    TRACE_STATUS_UNSPECIFIED = 0,
    TRACE_OK = 1,
    TRACE_ERROR = 2,
    TRACE_IN_PROGRESS = 3,
};

/* 2.x names: "TRACE_STATUS_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS"
 * (also what the store keeps and what filters compare against). */
const char *trace_status_name(enum trace_status s);
/* 3.x names: "STATE_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS". */
const char *trace_state_name(enum trace_status s);
/* Either name, or the number ("1"); -1 when none of them. */
int trace_status_parse(const char *s, enum trace_status *out);

/* The tags the server reads or writes. */
#define TRACE_TAG_ARTIFACT_LOCATION "mlflow.artifactLocation"
#define TRACE_TAG_NAME              "mlflow.traceName"
#define TRACE_METADATA_SOURCE_RUN   "mlflow.sourceRun"
/* Where a trace's spans go, under the experiment's artifact location: a
 * trace's artifact location is "<experiment location>/traces/<id>/artifacts"
 * and its spans are the file "traces.json" there. */
#define TRACE_FOLDER    "traces"
#define TRACE_DATA_FILE "traces.json"

struct sbuf;
/* Appends "<experiment_location>/traces/<request_id>/artifacts" to out (one
 * '/' between the parts whatever the location ends with), as MLflow
 * appends to a URI's path. */
void trace_artifact_location(struct sbuf *out, const char *experiment_location,
                             const char *request_id);

struct trace_info {
    char *request_id;          /* 3.x: trace_id */
    char *experiment_id;       /* decimal */
    int64_t timestamp_ms;      /* start; 3.x: request_time */
    int64_t execution_time_ms; /* TIME_NONE while unknown; 3.x: execution_duration */
    enum trace_status status;
    struct kv_list request_metadata; /* 3.x: trace_metadata */
    struct kv_list tags;
    char *client_request_id; /* 3.x only; NULL when unset, as both previews */
    char *request_preview;
    char *response_preview;
};

void trace_info_release(struct trace_info *t);

struct trace_info_list {
    struct trace_info *v;
    size_t n, alloc;
    char *next_page_token; /* NULL on the last page */
};

void trace_info_list_release(struct trace_info_list *l);

/* What searching traces takes. Strings are borrowed for the call. */
struct trace_search {
    const char **experiment_ids;
    size_t nexperiment_ids;
    const char *filter; /* NULL or "": none */
    int64_t max_results;
    const char **order_by;
    size_t norder_by;
    const char *page_token; /* NULL or "": the first page */
};

/* What deleting traces takes: one experiment's traces, either those
 * started at or before max_timestamp_millis (the oldest max_traces of them
 * when max_traces is given) or those named in request_ids. */
struct trace_delete {
    const char *experiment_id;
    int64_t max_timestamp_millis; /* TIME_NONE: not given */
    int64_t max_traces;           /* TIME_NONE: not given */
    const char **request_ids;
    size_t nrequest_ids;
};

#endif
