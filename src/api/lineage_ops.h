/* SPDX-License-Identifier: MIT
 * The lineage area's JSON rows (issue 20; store/lineage.h keeps the rows,
 * domain/lineage.h the structs) under /api/2.0/ferry/:
 *   POST lineage/executions/put  {run_id, pipeline?, pipeline_run_id?, step?, state,
 *                                fingerprint?, cached_from?, started_ms?, ended_ms?} -> {}
 *                                (upsert by run_id)
 *   POST lineage/events/log      {run_id, events: [{kind, name, artifact: {uri, type?,
 *                                digest?, properties?}}]} -> {} (at most 1000 events;
 *                                artifacts upserted by (uri, digest))
 *   GET  lineage/cache/lookup    {fingerprint, max_age_ms?} -> {execution, outputs: [{name,
 *                                uri, type, digest}]} or {} (the latest COMPLETE, run not
 *                                deleted)
 *   GET  lineage/executions/list {pipeline_run_id?, max_results?, page_token?}
 *                                -> {executions, next_page_token}: without
 *                                pipeline_run_id the pipeline runs (step ""), newest
 *                                first; with it, its steps
 *   GET  lineage/graph           {uri, direction? (upstream), depth? (20, 1..100),
 *                                max_nodes? (10,000)} -> {root, nodes, edges, truncated}
 *
 * Entities: execution {run_id, pipeline, pipeline_run_id, step, state,
 * fingerprint, cached_from, started_ms, ended_ms}; node {id, kind, depth,
 * and the non-empty ones of name, state, run_id, experiment_id, step,
 * pipeline, pipeline_run_id, type, digest, version}; edge {source, target,
 * kind, name}. properties is a JSON object (sent and stored as its text).
 *
 * Permissions: the writes need EDIT on the run's experiment; the reads
 * any signed-in user (READ on no particular resource), as datasets. */
#ifndef FERRY_API_LINEAGE_OPS_H
#define FERRY_API_LINEAGE_OPS_H

#include "api/op.h"
#include "domain/lineage.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

extern const struct api_area api_lineage_area;

struct rq_lineage_execution {
    struct lineage_execution_in e; /* the envelope's own fields */
};
struct rq_lineage_events {
    const char *run_id;
    struct lineage_event_in *events; /* decoded: borrowed strings, owned array */
    size_t n, alloc;
};
struct rq_lineage_cache {
    const char *fingerprint;
    int64_t max_age_ms;
};
/* cache/lookup's answer: both absent ({}) when nothing was found. */
struct rs_lineage_cache {
    struct lineage_execution *execution; /* NULL: no hit */
    struct lineage_output *outputs;
    size_t n, alloc;
};
struct rq_lineage_list {
    const char *pipeline_run_id;
    int64_t max_results;
    const char *page_token;
};
struct rq_lineage_graph {
    const char *uri;
    const char *direction; /* NULL: upstream */
    int64_t depth, max_nodes;
};

/* Responses: executions/list answers a struct lineage_execution_list,
 * graph a struct lineage_graph. */

extern const struct api_op api_lineage_executions_put, api_lineage_events_log,
    api_lineage_cache_lookup, api_lineage_executions_list, api_lineage_graph;

/* JSON shapes, for the CLI's --json and the UI. */
json_t *api_lineage_execution_to_json(const struct lineage_execution *e);
json_t *api_lineage_graph_to_json(const struct lineage_graph *g);

#endif
