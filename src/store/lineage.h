/* SPDX-License-Identifier: MIT
 * The store's lineage area (issue 20; the structs in domain/lineage.h):
 * executions (a run's pipeline, step, state and fingerprint), artifacts
 * (upserted by uri and digest) and the events that link them, the step
 * cache's lookup, and the graph walk that joins them with what the store
 * already holds (runs' dataset inputs, logged models' source runs,
 * registered model versions and their sources, dataset versions). Same
 * conventions as store.h (0, or -1 with err set and nothing changed);
 * every function may be called from many threads at once on one store.
 *
 * The graph walk is the front's (lineage.c): level by level from the
 * root, each level asks the backend one batched query per kind of edge
 * (every frontier node of that kind at once: IN lists, = ANY($1)), never
 * one per node, each served by an index; then one query per kind of node
 * for the new nodes' details. A 10,000-node graph answers in a few tens
 * of milliseconds on either backend. */
#ifndef FERRY_STORE_LINEAGE_H
#define FERRY_STORE_LINEAGE_H

#include "base/ferr.h"
#include "domain/lineage.h"
#include "store/lineage_rows.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

/* Upserts the execution row of e->run_id (lineage_execution_check; the run
 * must exist: RESOURCE_DOES_NOT_EXIST). */
int store_lineage_execution_put(struct store *s, const struct lineage_execution_in *e,
                                struct ferr *err) WARN_UNUSED;
/* RESOURCE_DOES_NOT_EXIST when run_id has no execution row. */
int store_lineage_execution_get(struct store *s, const char *run_id, struct lineage_execution *out,
                                struct ferr *err) WARN_UNUSED;

/* Records events[0..n) (n <= LINEAGE_EVENTS_MAX, each lineage_event_check)
 * of run_id (which must exist), in one transaction: each artifact upserted
 * by (uri, digest) (type and properties of an existing one are kept), each
 * event inserted unless the same (run, kind, name, artifact) is there. */
int store_lineage_events_log(struct store *s, const char *run_id,
                             const struct lineage_event_in *events, size_t n,
                             struct ferr *err) WARN_UNUSED;

/* The latest (greatest ended_ms) COMPLETE execution with fingerprint whose
 * run exists and is not deleted, ended at or after now - max_age_ms
 * (max_age_ms 0: any), and its output events: out->found 1; else found 0
 * (not an error). */
int store_lineage_cache_lookup(struct store *s, const char *fingerprint, int64_t max_age_ms,
                               struct lineage_cache_hit *out, struct ferr *err) WARN_UNUSED;

/* pipeline_run_id NULL or "": the executions with step "" (pipeline runs),
 * newest started_ms first; else the executions whose pipeline_run_id it
 * is and whose step is not "" (its steps), by started_ms then step. One
 * page of max (1..LINEAGE_LIST_MAX; 0: LINEAGE_LIST_DEFAULT) from
 * page_token (NULL or "": the first). */
int store_lineage_executions_list(struct store *s, const char *pipeline_run_id, int64_t max,
                                  const char *page_token, struct lineage_execution_list *out,
                                  struct ferr *err) WARN_UNUSED;

/* The graph around uri (lineage_uri_classify's forms): the root resolved
 * (an alias, a stage, latest: the version they name now), then the walk
 * in direction, depth hops at most (0: LINEAGE_DEPTH_DEFAULT; 1..
 * LINEAGE_DEPTH_MAX), at most max_nodes nodes (0: LINEAGE_NODES_DEFAULT;
 * at most LINEAGE_NODES_MAX; out->truncated 1 when it stopped the walk).
 * RESOURCE_DOES_NOT_EXIST when the root does not exist: an unknown run,
 * model version, logged model, dataset version, or an artifact uri no
 * event, dataset input or model version names. Edges point downstream
 * whatever the direction; each edge once. */
int store_lineage_graph(struct store *s, const char *uri, enum lineage_direction direction,
                        int depth, int64_t max_nodes, struct lineage_graph *out,
                        struct ferr *err) WARN_UNUSED;

/* For tests and benchmarks: writes a generated pipeline-shaped graph of
 * about `nodes` nodes (at least 10) into experiment_id: `width` step runs
 * per level (0: nodes / 40, at least 1), levels of runs each consuming two
 * outputs of the level before and writing one, then a last run consuming
 * every output of the last level and writing the root artifact. Runs are
 * written in one import transaction (store/import.h) when the store
 * allows one (not a group-commit store: then one create each), executions
 * and events in batches of one transaction each.
 * *root (the caller's) gets the uri of that final artifact: upstream from
 * it, the whole graph (depth ~ 2 x levels + 2, at most 100 for nodes <=
 * 1,000,000 with the default width). *made (may be NULL): nodes written. */
int store_lineage_generate(struct store *s, int64_t experiment_id, int64_t nodes, int64_t width,
                           char **root, int64_t *made, struct ferr *err) WARN_UNUSED;

/* ---------- the backend contract (see store/backend.h) ---------- */

/* The batched lookups of the graph walk. Each takes keys[0..n) (and for
 * the LQ_*_NV ones nums[0..n): (name, number) pairs) and answers rows of
 * LINEAGE_ROW_COLS text columns (NULL columns as ""; numbers as decimal
 * text), in no particular order. Column 0 is always the key the row
 * answers (the name for the pairs; column 1 then the number). */
enum lineage_query {
    /* edges (key -> the node reached) */
    LQ_RUN_EVENTS_IN,     /* run id -> (run_id, uri, name, type, digest): its input events */
    LQ_RUN_EVENTS_OUT,    /* the same for its output events */
    LQ_URI_EVENTS_IN,     /* artifact uri -> (uri, run_id, name): runs it is an input of */
    LQ_URI_EVENTS_OUT,    /* artifact uri -> (uri, run_id, name): runs that output it */
    LQ_RUN_DATASETS,      /* run id -> (run_id, source, context, name, digest): dataset inputs */
    LQ_SOURCE_RUNS,       /* dataset source text -> (source, run_id, context): runs using it */
    LQ_RUN_LOGGED_MODELS, /* run id -> (run_id, model_id): logged models it made */
    LQ_LOGGED_MODEL_RUNS, /* model id -> (model_id, source_run_id) */
    LQ_RUN_VERSIONS,      /* run id -> (run_id, name, version): versions registered from it */
    LQ_SOURCE_VERSIONS,   /* source uri -> (source, name, version) */
    LQ_LOGGED_MODEL_VERSIONS, /* model id -> (model_id, name, version) */
    LQ_VERSION_SOURCES_NV,    /* (name, version) -> (name, version, run_id, source, model_id,
                               * source_is_artifact "1"/"0": a lineage artifact has that uri) */
    /* node details */
    LQ_RUNS,             /* run id -> (run_id, name, status, experiment_id, state, step,
                          * pipeline, pipeline_run_id, lifecycle): state etc. "" without
                          * an execution row */
    LQ_ARTIFACTS,        /* uri -> (uri, type, digest) of its newest row */
    LQ_LOGGED_MODELS,    /* model id -> (model_id, name, experiment_id, source_run_id) */
    LQ_VERSIONS_NV,      /* (name, version) -> (name, version, stage, run_id) */
    LQ_DATA_VERSIONS_NV, /* (name, version) -> (name, version, digest) */
    LQ_COUNT
};

/* One lookup of a batch (query_many): its answer goes to rows. */
struct lineage_call {
    enum lineage_query q;
    const char *const *keys;
    const int64_t *nums; /* the LQ_*_NV ones; else NULL */
    size_t n;
    struct lineage_rows rows;
};

struct store_lineage_ops {
    /* The run exists (else RESOURCE_DOES_NOT_EXIST); upsert. */
    int (*execution_put)(struct store *s, const struct lineage_execution_in *e, struct ferr *err);
    int (*execution_get)(struct store *s, const char *run_id, struct lineage_execution *out,
                         struct ferr *err);
    /* Events checked; type defaulted; one transaction. */
    int (*events_log)(struct store *s, const char *run_id, const struct lineage_event_in *events,
                      size_t n, int64_t now_ms, struct ferr *err);
    /* min_ended_ms: 0 any. */
    int (*cache_lookup)(struct store *s, const char *fingerprint, int64_t min_ended_ms,
                        struct lineage_cache_hit *out, struct ferr *err);
    /* offset/limit: rows [offset, offset+limit) of the ordered result. */
    int (*executions_list)(struct store *s, const char *pipeline_run_id, int64_t offset,
                           int64_t limit, struct lineage_execution_list *out, struct ferr *err);
    /* For store_lineage_generate: the executions ex[0..nex) and the events
     * ev[0..nev) of the runs runs[0..nev) (every run exists), in one
     * transaction, nothing checked. */
    int (*bulk)(struct store *s, const struct lineage_execution_in *ex, size_t nex,
                const char *const *runs, const struct lineage_event_in *ev, size_t nev,
                int64_t now_ms, struct ferr *err);
    /* One batched lookup (enum lineage_query); nums NULL except for the
     * LQ_*_NV ones. Appends to out. */
    int (*query)(struct store *s, enum lineage_query q, const char *const *keys,
                 const int64_t *nums, size_t n, struct lineage_rows *out, struct ferr *err);
    /* Optional: the lookups calls[0..n) at once (one round trip to a
     * database server), each call's answer appended to its rows. NULL:
     * the front asks them one by one. */
    int (*query_many)(struct store *s, struct lineage_call *calls, size_t n, struct ferr *err);
};

#endif
