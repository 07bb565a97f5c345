/* SPDX-License-Identifier: MIT
 * JSON shapes of a trace's info in MLflow's two tracing APIs:
 *   2.x TraceInfo: request_id, experiment_id, timestamp_ms and
 *     execution_time_ms as numbers, status ("OK", ...), request_metadata and
 *     tags as [{"key", "value"}] lists;
 *   3.x TraceInfoV3: trace_id, trace_location {"type": "MLFLOW_EXPERIMENT",
 *     "mlflow_experiment": {"experiment_id"}}, request_time and
 *     execution_duration as protobuf Timestamp and Duration strings, state,
 *     trace_metadata and tags as JSON objects, client_request_id and the
 *     previews; a Trace wraps it as {"trace_info": ...} (spans left out).
 * Unset and empty fields are left out, as protobuf's JSON does. Decoding
 * names the offending field (INVALID_PARAMETER_VALUE); 3.x assessments and
 * the deprecated request/response fields are read past. */
#ifndef FERRY_API_CODEC_TRACE_H
#define FERRY_API_CODEC_TRACE_H

#include "base/ferr.h"
#include "domain/trace.h"

#include <jansson.h>

json_t *codec_trace_info_to_json(const struct trace_info *t);
int codec_trace_info_from_json(json_t *j, struct trace_info *out, struct ferr *err) WARN_UNUSED;
json_t *codec_trace_info_v3_to_json(const struct trace_info *t);
int codec_trace_info_v3_from_json(json_t *j, struct trace_info *out, struct ferr *err) WARN_UNUSED;
/* A 3.x Trace: {"trace_info": TraceInfoV3}. */
json_t *codec_trace_v3_to_json(const struct trace_info *t);
int codec_trace_v3_from_json(json_t *j, struct trace_info *out, struct ferr *err) WARN_UNUSED;

#endif
