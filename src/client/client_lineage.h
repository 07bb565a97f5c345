/* SPDX-License-Identifier: MIT
 * The lineage store through a client, over either transport (the rows in
 * api/lineage_ops.h; the structs in domain/lineage.h): what pipelines
 * record about their steps (executions, events), the step cache's lookup,
 * the list of pipeline runs and of a pipeline run's steps, and the lineage
 * graph. Outputs are the caller's, released with domain/lineage.h's
 * *_release functions. Every function returns 0, or -1 with err set (the
 * server's code and message over REST). */
#ifndef FERRY_CLIENT_CLIENT_LINEAGE_H
#define FERRY_CLIENT_CLIENT_LINEAGE_H

#include "client/client.h"
#include "domain/lineage.h"

#include <stddef.h>
#include <stdint.h>

/* Records (or replaces: upsert by run_id) the execution row of a run. The
 * run must exist (RESOURCE_DOES_NOT_EXIST); writing needs EDIT on its
 * experiment. */
int client_lineage_executions_put(struct client *c, const struct lineage_execution_in *e,
                                  struct ferr *err) WARN_UNUSED;

/* Records events[0..n) of run_id (n <= LINEAGE_EVENTS_MAX per call; more
 * are sent in batches), each artifact upserted by (uri, digest). An event
 * already recorded (same run, kind, name and artifact) is not duplicated,
 * so a resend is harmless. */
int client_lineage_events_log(struct client *c, const char *run_id,
                              const struct lineage_event_in *events, size_t n,
                              struct ferr *err) WARN_UNUSED;

/* The latest COMPLETE execution with fingerprint whose run is not deleted,
 * ended at most max_age_ms ago (0: any age), with its output events: out->
 * found 1; else out->found 0 (not an error). */
int client_lineage_cache_lookup(struct client *c, const char *fingerprint, int64_t max_age_ms,
                                struct lineage_cache_hit *out, struct ferr *err) WARN_UNUSED;

/* pipeline_run_id NULL or "": the pipeline runs (executions with step
 * ""), newest start first; else that pipeline run's steps, in start order
 * (then by step name). One page of at most max (1..LINEAGE_LIST_MAX, 0:
 * LINEAGE_LIST_DEFAULT) from page_token (NULL: the first);
 * out->next_page_token NULL on the last page. */
int client_lineage_executions_list(struct client *c, const char *pipeline_run_id, int64_t max,
                                   const char *page_token, struct lineage_execution_list *out,
                                   struct ferr *err) WARN_UNUSED;

/* The graph around uri (domain/lineage.h's URI forms, a bare run id too),
 * walking direction up to depth hops (0: LINEAGE_DEPTH_DEFAULT; at most
 * LINEAGE_DEPTH_MAX) and at most max_nodes nodes (0:
 * LINEAGE_NODES_DEFAULT). An unknown uri is RESOURCE_DOES_NOT_EXIST. */
int client_lineage_graph(struct client *c, const char *uri, enum lineage_direction direction,
                         int depth, int64_t max_nodes, struct lineage_graph *out,
                         struct ferr *err) WARN_UNUSED;

#endif
