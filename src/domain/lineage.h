/* SPDX-License-Identifier: MIT
 * The lineage graph (issue 20) as plain structs: MLMD's model in ferry's
 * store. Executions are runs (a pipeline run, or one of its steps: the
 * lineage_executions row adds pipeline, step, state, fingerprint);
 * artifacts are URIs with a type and a digest; events link them (an
 * artifact is an input of a run, a run outputs an artifact). The graph
 * joins these with what ferry already keeps (runs' dataset inputs, logged
 * models' source runs, registered model versions, dataset versions):
 * store/lineage.h walks it. No I/O here.
 *
 * Node ids are URIs: a run is "runs:/<run_id>", a step output
 * "runs:/<run_id>/outputs/<path>", a local input "file://<abs path>", a
 * dataset version "data:/NAME/V", a model version "models:/NAME/V", an
 * MLflow 3 logged model "models:/<model_id>". An artifact whose uri is
 * data:/NAME/V IS that dataset version's node.
 *
 * Ownership as domain.h: output structs own their strings (released with
 * the *_release functions, which accept zeroed structs); the *_in structs
 * a caller fills to write borrow theirs. Strings of outputs are never
 * NULL after a successful call ("" when not applicable), except
 * lineage_artifact.properties (NULL: none). */
#ifndef FERRY_DOMAIN_LINEAGE_H
#define FERRY_DOMAIN_LINEAGE_H

#include "base/ferr.h"

#include <stddef.h>
#include <stdint.h>

/* ---------- limits ---------- */

#define LINEAGE_EVENTS_MAX     1000  /* events in one events/log call */
#define LINEAGE_URI_MAX        2048  /* bytes of an artifact's uri (an index key) */
#define LINEAGE_NAME_MAX       1000  /* an event's name, a pipeline's or a step's name */
#define LINEAGE_TYPE_MAX       64    /* an artifact's type */
#define LINEAGE_DIGEST_MAX     256   /* an artifact's digest, a fingerprint */
#define LINEAGE_PROPERTIES_MAX 65536 /* an artifact's properties (JSON object text) */
#define LINEAGE_LIST_MAX       1000  /* executions/list page; 0 asks the default */
#define LINEAGE_LIST_DEFAULT   100
#define LINEAGE_DEPTH_MAX      100 /* graph depth; 0 asks the default */
#define LINEAGE_DEPTH_DEFAULT  20
#define LINEAGE_NODES_DEFAULT  10000   /* graph max_nodes when 0 */
#define LINEAGE_NODES_MAX      1000000 /* the largest max_nodes accepted */

/* ---------- states and kinds (the strings stored and sent) ---------- */

#define LINEAGE_RUNNING  "RUNNING"
#define LINEAGE_COMPLETE "COMPLETE"
#define LINEAGE_FAILED   "FAILED"
#define LINEAGE_KILLED   "KILLED"
#define LINEAGE_CACHED   "CACHED"

#define LINEAGE_INPUT      "input"      /* event kind, and edge kind artifact -> run */
#define LINEAGE_OUTPUT     "output"     /* event kind, and edge kind run -> artifact */
#define LINEAGE_REGISTERED "registered" /* edge kind -> a model version */

/* Artifact types the pipelines write (any [a-z0-9_.-]{1,64} is accepted). */
#define LINEAGE_TYPE_FILE    "file"
#define LINEAGE_TYPE_DATASET "dataset"
#define LINEAGE_TYPE_MODEL   "model"
#define LINEAGE_TYPE_METRICS "metrics"

/* 1 when s is one of the five execution states above. */
int lineage_state_valid(const char *s);
/* 1 when s is "input" or "output". */
int lineage_event_kind_valid(const char *s);

/* ---------- executions ---------- */

/* What executions/put writes (borrowed strings; NULL counts as ""). */
struct lineage_execution_in {
    const char *run_id;           /* required: the run (it must exist) */
    const char *pipeline;         /* the pipeline's name */
    const char *pipeline_run_id;  /* the pipeline's run; the pipeline run itself: its own id */
    const char *step;             /* "" for the pipeline run itself */
    const char *state;            /* required: LINEAGE_RUNNING ... LINEAGE_CACHED */
    const char *fingerprint;      /* "" when none */
    const char *cached_from;      /* CACHED: the run whose outputs were reused */
    int64_t started_ms, ended_ms; /* 0: unknown / not ended */
};

/* An execution as stored. */
struct lineage_execution {
    char *run_id, *pipeline, *pipeline_run_id, *step, *state, *fingerprint, *cached_from;
    int64_t started_ms, ended_ms;
};

struct lineage_execution_list {
    struct lineage_execution *v;
    size_t n, alloc;
    char *next_page_token; /* NULL on the last page */
};

/* Checks e's fields (INVALID_PARAMETER_VALUE naming the field). */
int lineage_execution_check(const struct lineage_execution_in *e, struct ferr *err) WARN_UNUSED;
void lineage_execution_release(struct lineage_execution *e);
void lineage_execution_list_release(struct lineage_execution_list *l);

/* ---------- artifacts and events ---------- */

/* What events/log writes: one event, its artifact upserted by (uri, digest). */
struct lineage_event_in {
    const char *kind;       /* LINEAGE_INPUT or LINEAGE_OUTPUT */
    const char *name;       /* the name the step used ("train", "prep.train") */
    const char *uri;        /* the artifact's uri (required) */
    const char *type;       /* NULL or "": LINEAGE_TYPE_FILE */
    const char *digest;     /* NULL: "" (unknown) */
    const char *properties; /* a JSON object's text, or NULL */
};

/* Checks one event (INVALID_PARAMETER_VALUE naming the field). */
int lineage_event_check(const struct lineage_event_in *e, struct ferr *err) WARN_UNUSED;

struct lineage_artifact {
    int64_t id;
    char *uri, *type, *digest;
    char *properties; /* JSON object text, or NULL */
    int64_t created_ms;
};
void lineage_artifact_release(struct lineage_artifact *a);

/* ---------- the step cache ---------- */

/* One output of a cached execution. */
struct lineage_output {
    char *name, *uri, *type, *digest;
};

/* cache/lookup's answer: found 0 (nothing else set) or the latest
 * COMPLETE execution with the fingerprint and its output events. */
struct lineage_cache_hit {
    int found;
    struct lineage_execution execution;
    struct lineage_output *outputs;
    size_t noutputs, alloc;
};
void lineage_cache_hit_release(struct lineage_cache_hit *h);

/* ---------- the graph ---------- */

enum lineage_direction { LINEAGE_UPSTREAM = 0, LINEAGE_DOWNSTREAM = 1 };
/* "upstream" / "downstream"; -1 for anything else. */
int lineage_direction_parse(const char *s, enum lineage_direction *out);
const char *lineage_direction_name(enum lineage_direction d);

enum lineage_node_kind {
    LINEAGE_NODE_EXECUTION = 0,   /* a run: runs:/<id> */
    LINEAGE_NODE_ARTIFACT,        /* any other uri */
    LINEAGE_NODE_DATASET_VERSION, /* data:/NAME/V */
    LINEAGE_NODE_MODEL_VERSION,   /* models:/NAME/V */
    LINEAGE_NODE_LOGGED_MODEL,    /* models:/<model_id> */
};
/* "execution", "artifact", "dataset_version", "model_version",
 * "logged_model"; and back (-1 when unknown). */
const char *lineage_node_kind_name(enum lineage_node_kind k);
int lineage_node_kind_parse(const char *s, enum lineage_node_kind *out);

struct lineage_node {
    char *id; /* the node's URI */
    enum lineage_node_kind kind;
    int depth; /* hops from the root (0: the root) */
    /* execution: the run's name; dataset_version and model_version: the
     * dataset's / model's name; logged_model: its name; artifact: "" */
    char *name;
    /* execution: the lineage state when the run has an execution row,
     * else the run's MLflow status ("FINISHED"); model_version: its
     * current stage; else "" */
    char *state;
    char *run_id;        /* execution: the run; model_version, logged_model: the source run */
    char *experiment_id; /* execution, logged_model */
    char *step, *pipeline, *pipeline_run_id; /* execution with a row */
    char *type;      /* artifact: its type; dataset_version: "dataset"; model_version,
                      * logged_model: "model" */
    char *digest;    /* artifact, dataset_version */
    int64_t version; /* dataset_version, model_version; else 0 */
};

struct lineage_edge {
    char *source, *target; /* node ids; edges point downstream */
    char *kind;            /* LINEAGE_INPUT, LINEAGE_OUTPUT or LINEAGE_REGISTERED */
    char *name;            /* the event's name, the input's context, or "" */
};

struct lineage_graph {
    char *root;                 /* the root node's id (the uri asked for, normalised) */
    struct lineage_node *nodes; /* nodes[0] is the root; then by depth */
    size_t nnodes, nodes_alloc;
    struct lineage_edge *edges;
    size_t nedges, edges_alloc;
    int truncated; /* 1 when max_nodes stopped the walk before depth did */
};
void lineage_node_release(struct lineage_node *n);
void lineage_edge_release(struct lineage_edge *e);
void lineage_graph_release(struct lineage_graph *g);

/* ---------- URIs ---------- */

enum lineage_uri_kind {
    LINEAGE_URI_RUN = 0,      /* runs:/<id> or a bare 32-hex run id: *id gets the run id */
    LINEAGE_URI_RUN_PATH,     /* runs:/<id>/<path>: an artifact of the run; *id the run id */
    LINEAGE_URI_MODEL,        /* models:/NAME/V, models:/NAME/Stage, models:/NAME@alias,
                               * models:/NAME/latest (*id NULL) */
    LINEAGE_URI_LOGGED_MODEL, /* models:/<model_id> (no '/' nor '@' after the prefix);
                               * *id the model id */
    LINEAGE_URI_DATA,         /* data:/NAME/V|@alias|/latest (*id NULL) */
    LINEAGE_URI_OTHER,        /* anything else with a scheme or an absolute path: an artifact */
};

/* What uri names. *id (may be NULL) gets a new string or NULL as above.
 * INVALID_PARAMETER_VALUE for "", a uri longer than LINEAGE_URI_MAX, or a
 * runs:/ / models:/ uri with nothing after the prefix. */
int lineage_uri_classify(const char *uri, enum lineage_uri_kind *kind, char **id,
                         struct ferr *err) WARN_UNUSED;
/* "runs:/<run_id>" (a new string): a run's node id. */
char *lineage_run_uri(const char *run_id);
/* 1 when s is 32 lowercase hex digits (a ferry/MLflow run id). */
int lineage_is_run_id(const char *s);

#endif
