/* SPDX-License-Identifier: MIT
 * The entities that request and response fields hold (op.h's api_type):
 * each one's JSON shape from the codec, so a row names a type and the
 * engine does the rest. */
#ifndef FERRY_API_TYPES_H
#define FERRY_API_TYPES_H

#include "api/op.h"

extern const struct api_type api_type_experiment;
extern const struct api_type api_type_run;
extern const struct api_type api_type_run_info;
extern const struct api_type api_type_metric; /* with its run_id when set */
extern const struct api_type api_type_dataset_input;
extern const struct api_type api_type_registered_model;
extern const struct api_type api_type_model_version;
extern const struct api_type api_type_registry_event;
extern const struct api_type api_type_artifact_file; /* {path, is_dir, file_size} */
extern const struct api_type api_type_logged_model;
extern const struct api_type api_type_trace_info;    /* 2.x TraceInfo */
extern const struct api_type api_type_trace_info_v3; /* 3.x TraceInfoV3 */
extern const struct api_type api_type_trace_v3;      /* 3.x Trace: {"trace_info"} */

/* A request field holding a JSON object as it came (a spec), borrowed from
 * the decoded request (json_t *; NULL when absent or null; anything but an
 * object is INVALID_PARAMETER_VALUE). */
extern const struct api_custom api_object_field;

#endif
