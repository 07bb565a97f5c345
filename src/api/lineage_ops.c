/* SPDX-License-Identifier: MIT
 * The lineage area's JSON rows (see lineage_ops.h): requests decoded and
 * checked here, the rows kept by store/lineage.h. */
#include "api/lineage_ops.h"
#include "api/codec.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "store/lineage.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* ---------- entity shapes ---------- */

json_t *api_lineage_execution_to_json(const struct lineage_execution *e)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "run_id",
                     codec_or_empty(e->run_id), "pipeline", codec_or_empty(e->pipeline),
                     "pipeline_run_id", codec_or_empty(e->pipeline_run_id), "step",
                     codec_or_empty(e->step), "state", codec_or_empty(e->state), "fingerprint",
                     codec_or_empty(e->fingerprint), "cached_from", codec_or_empty(e->cached_from),
                     "started_ms", (json_int_t)e->started_ms, "ended_ms", (json_int_t)e->ended_ms);
}

static int execution_from_json(json_t *j, struct lineage_execution *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "run_id")))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed execution");
    out->run_id = codec_str_field(j, "run_id");
    out->pipeline = codec_str_field(j, "pipeline");
    out->pipeline_run_id = codec_str_field(j, "pipeline_run_id");
    out->step = codec_str_field(j, "step");
    out->state = codec_str_field(j, "state");
    out->fingerprint = codec_str_field(j, "fingerprint");
    out->cached_from = codec_str_field(j, "cached_from");
    out->started_ms = codec_int_field(j, "started_ms");
    out->ended_ms = codec_int_field(j, "ended_ms");
    return 0;
}

static json_t *output_to_json(const struct lineage_output *o)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "name", codec_or_empty(o->name), "uri",
                     codec_or_empty(o->uri), "type", codec_or_empty(o->type), "digest",
                     codec_or_empty(o->digest));
}

static int output_from_json(json_t *j, struct lineage_output *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "uri")))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed output");
    out->name = codec_str_field(j, "name");
    out->uri = codec_str_field(j, "uri");
    out->type = codec_str_field(j, "type");
    out->digest = codec_str_field(j, "digest");
    return 0;
}

static void output_release(struct lineage_output *o)
{
    free(o->name);
    free(o->uri);
    free(o->type);
    free(o->digest);
    memset(o, 0, sizeof(*o));
}

static void set_if(json_t *j, const char *key, const char *v)
{
    if (v && *v)
        json_object_set_new(j, key, json_string(v));
}

static json_t *node_to_json(const struct lineage_node *n)
{
    json_t *j = json_pack("{s:s, s:s, s:i}", "id", codec_or_empty(n->id), "kind",
                          lineage_node_kind_name(n->kind), "depth", n->depth);
    set_if(j, "name", n->name);
    set_if(j, "state", n->state);
    set_if(j, "run_id", n->run_id);
    set_if(j, "experiment_id", n->experiment_id);
    set_if(j, "step", n->step);
    set_if(j, "pipeline", n->pipeline);
    set_if(j, "pipeline_run_id", n->pipeline_run_id);
    set_if(j, "type", n->type);
    set_if(j, "digest", n->digest);
    if (n->version)
        json_object_set_new(j, "version", json_integer((json_int_t)n->version));
    return j;
}

static int node_from_json(json_t *j, struct lineage_node *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "id")) ||
        lineage_node_kind_parse(json_string_value(json_object_get(j, "kind")), &out->kind))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed lineage node");
    out->id = codec_str_field(j, "id");
    out->depth = (int)codec_int_field(j, "depth");
    out->name = codec_str_field(j, "name");
    out->state = codec_str_field(j, "state");
    out->run_id = codec_str_field(j, "run_id");
    out->experiment_id = codec_str_field(j, "experiment_id");
    out->step = codec_str_field(j, "step");
    out->pipeline = codec_str_field(j, "pipeline");
    out->pipeline_run_id = codec_str_field(j, "pipeline_run_id");
    out->type = codec_str_field(j, "type");
    out->digest = codec_str_field(j, "digest");
    out->version = codec_int_field(j, "version");
    return 0;
}

static json_t *edge_to_json(const struct lineage_edge *e)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "source", codec_or_empty(e->source), "target",
                     codec_or_empty(e->target), "kind", codec_or_empty(e->kind), "name",
                     codec_or_empty(e->name));
}

static int edge_from_json(json_t *j, struct lineage_edge *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "source")) ||
        !json_is_string(json_object_get(j, "target")))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed lineage edge");
    out->source = codec_str_field(j, "source");
    out->target = codec_str_field(j, "target");
    out->kind = codec_str_field(j, "kind");
    out->name = codec_str_field(j, "name");
    return 0;
}

json_t *api_lineage_graph_to_json(const struct lineage_graph *g)
{
    json_t *nodes = json_array(), *edges = json_array();
    for (size_t i = 0; i < g->nnodes; i++)
        json_array_append_new(nodes, node_to_json(&g->nodes[i]));
    for (size_t i = 0; i < g->nedges; i++)
        json_array_append_new(edges, edge_to_json(&g->edges[i]));
    return json_pack("{s:s, s:o, s:o, s:b}", "root", codec_or_empty(g->root), "nodes", nodes,
                     "edges", edges, "truncated", g->truncated);
}

/* An event of a request: strings borrowed from the request's JSON, the
 * properties object as its text (owned). */
static json_t *event_to_json(const struct lineage_event_in *e)
{
    json_t *a = json_pack("{s:s}", "uri", codec_or_empty(e->uri));
    set_if(a, "type", e->type);
    set_if(a, "digest", e->digest);
    if (e->properties) {
        json_t *p = json_loads(e->properties, 0, NULL);
        if (p)
            json_object_set_new(a, "properties", p);
    }
    return json_pack("{s:s, s:s, s:o}", "kind", codec_or_empty(e->kind), "name",
                     codec_or_empty(e->name), "artifact", a);
}

static int event_from_json(json_t *j, struct lineage_event_in *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    json_t *a = json_object_get(j, "artifact"), *p;
    if (!json_is_object(j))
        return fjson_invalid(err, "events", j);
    if (!json_is_object(a))
        return a ? fjson_invalid(err, "artifact", a) : fjson_missing(err, "artifact");
    if (fjson_get_str(j, "kind", JSON_OPTIONAL, &out->kind, err) < 0 ||
        fjson_get_str(j, "name", JSON_OPTIONAL, &out->name, err) < 0 ||
        fjson_get_str(a, "uri", JSON_OPTIONAL, &out->uri, err) < 0 ||
        fjson_get_str(a, "type", JSON_OPTIONAL, &out->type, err) < 0 ||
        fjson_get_str(a, "digest", JSON_OPTIONAL, &out->digest, err) < 0)
        return -1;
    p = json_object_get(a, "properties");
    if (p && !json_is_null(p)) {
        if (!json_is_object(p))
            return fjson_invalid(err, "artifact.properties", p);
        out->properties = fjson_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
    }
    return 0;
}

static void event_release(struct lineage_event_in *e)
{
    free((char *)e->properties);
    memset(e, 0, sizeof(*e));
}

#define TYPE(id, T, to, from, rel) API_TYPE_OF(static, id##_type, #id, T, to, from, rel, NULL)

TYPE(execution, struct lineage_execution, api_lineage_execution_to_json, execution_from_json,
     lineage_execution_release);
TYPE(output, struct lineage_output, output_to_json, output_from_json, output_release);
TYPE(node, struct lineage_node, node_to_json, node_from_json, lineage_node_release);
TYPE(edge, struct lineage_edge, edge_to_json, edge_from_json, lineage_edge_release);
TYPE(event, struct lineage_event_in, event_to_json, event_from_json, event_release);

/* ---------- messages ---------- */

#define EXE struct rq_lineage_execution
static const struct api_field put_fields[] = {
    F_STR(EXE, e.run_id, "run_id", AF_NONEMPTY),
    F_STR(EXE, e.pipeline, "pipeline", AF_OMIT_EMPTY),
    F_STR(EXE, e.pipeline_run_id, "pipeline_run_id", AF_OMIT_EMPTY),
    F_STR(EXE, e.step, "step", AF_OMIT_EMPTY),
    F_STR(EXE, e.state, "state", AF_NONEMPTY),
    F_STR(EXE, e.fingerprint, "fingerprint", AF_OMIT_EMPTY),
    F_STR(EXE, e.cached_from, "cached_from", AF_OMIT_EMPTY),
    F_INT(EXE, e.started_ms, "started_ms", AF_OMIT_EMPTY, 0),
    F_INT(EXE, e.ended_ms, "ended_ms", AF_OMIT_EMPTY, 0),
};
#undef EXE
static const struct api_msg put_req = API_MSG(struct rq_lineage_execution, put_fields);

static const struct api_field events_fields[] = {
    F_STR(struct rq_lineage_events, run_id, "run_id", AF_NONEMPTY),
    F_LIST(struct rq_lineage_events, events, n, alloc, "events", AF_REQUIRED, &event_type),
};
static const struct api_msg events_req = API_MSG(struct rq_lineage_events, events_fields);

static const struct api_field cache_fields[] = {
    F_STR(struct rq_lineage_cache, fingerprint, "fingerprint", AF_NONEMPTY),
    F_INT(struct rq_lineage_cache, max_age_ms, "max_age_ms", AF_OMIT_EMPTY, 0),
};
static const struct api_msg cache_req = API_MSG(struct rq_lineage_cache, cache_fields);
static const struct api_field cache_resp_fields[] = {
    F_PTR(struct rs_lineage_cache, execution, "execution", &execution_type),
    F_LIST(struct rs_lineage_cache, outputs, n, alloc, "outputs", AF_OMIT_EMPTY, &output_type),
};
static const struct api_msg cache_resp = API_MSG(struct rs_lineage_cache, cache_resp_fields);

static const struct api_field list_fields[] = {
    F_STR(struct rq_lineage_list, pipeline_run_id, "pipeline_run_id", AF_OMIT_EMPTY),
    F_INT(struct rq_lineage_list, max_results, "max_results", AF_OMIT_EMPTY, 0),
    F_STR(struct rq_lineage_list, page_token, "page_token", AF_OMIT_EMPTY),
};
static const struct api_msg list_req = API_MSG(struct rq_lineage_list, list_fields);
static const struct api_field list_resp_fields[] = {
    F_LIST(struct lineage_execution_list, v, n, alloc, "executions", 0, &execution_type),
    F_STR(struct lineage_execution_list, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg list_resp = API_MSG(struct lineage_execution_list, list_resp_fields);

static const struct api_field graph_fields[] = {
    F_STR(struct rq_lineage_graph, uri, "uri", AF_NONEMPTY),
    F_STR(struct rq_lineage_graph, direction, "direction", AF_OMIT_EMPTY),
    F_INT(struct rq_lineage_graph, depth, "depth", AF_OMIT_EMPTY, 0),
    F_INT(struct rq_lineage_graph, max_nodes, "max_nodes", AF_OMIT_EMPTY, 0),
};
static const struct api_msg graph_req = API_MSG(struct rq_lineage_graph, graph_fields);
static const struct api_field graph_resp_fields[] = {
    F_STR(struct lineage_graph, root, "root", 0),
    F_LIST(struct lineage_graph, nodes, nnodes, nodes_alloc, "nodes", 0, &node_type),
    F_LIST(struct lineage_graph, edges, nedges, edges_alloc, "edges", 0, &edge_type),
    F_BOOL(struct lineage_graph, truncated, "truncated", 0),
};
static const struct api_msg graph_resp = API_MSG(struct lineage_graph, graph_resp_fields);

/* ---------- what the rows do ---------- */

static int x_put(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                 struct ferr *err)
{
    (void)op;
    (void)resp;
    return store_lineage_execution_put(env->store, &((struct rq_lineage_execution *)req)->e, err);
}

static int x_events(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    (void)resp;
    struct rq_lineage_events *q = req;
    return store_lineage_events_log(env->store, q->run_id, q->events, q->n, err);
}

static int x_cache(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                   struct ferr *err)
{
    (void)op;
    struct rq_lineage_cache *q = req;
    struct rs_lineage_cache *r = resp;
    struct lineage_cache_hit h;
    if (store_lineage_cache_lookup(env->store, q->fingerprint, q->max_age_ms, &h, err))
        return -1;
    if (h.found) {
        r->execution = xmalloc(sizeof(*r->execution));
        *r->execution = h.execution;
        r->outputs = h.outputs;
        r->n = h.noutputs;
        r->alloc = h.alloc;
        memset(&h, 0, sizeof(h));
    }
    lineage_cache_hit_release(&h);
    return 0;
}

static int x_list(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                  struct ferr *err)
{
    (void)op;
    struct rq_lineage_list *q = req;
    return store_lineage_executions_list(env->store, q->pipeline_run_id, q->max_results,
                                         q->page_token, resp, err);
}

static int x_graph(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                   struct ferr *err)
{
    (void)op;
    struct rq_lineage_graph *q = req;
    enum lineage_direction d = LINEAGE_UPSTREAM;
    if (q->direction && *q->direction && lineage_direction_parse(q->direction, &d))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value '%.100s' for parameter 'direction': expected upstream "
                        "or downstream",
                        q->direction);
    if (q->depth < 0 || q->depth > LINEAGE_DEPTH_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'depth': expected 1 to %d", LINEAGE_DEPTH_MAX);
    return store_lineage_graph(env->store, q->uri, d, (int)q->depth, q->max_nodes, resp, err);
}

/* ---------- rows ---------- */

#define ROW(nm, m, fl, body, rq, rs, fn, acc, loc, fld)                                            \
    {                                                                                              \
        .name = nm, .root = "/api/2.0/ferry", .path = nm, .methods = m, .call = m, .flags = fl,    \
        .max_body = body, .req = rq, .resp = rs, .exec = fn, .arg = 0, .res = {                    \
            acc,                                                                                   \
            loc,                                                                                   \
            fld                                                                                    \
        }                                                                                          \
    }

/* Both writes are upserts: a resend changes nothing more. */
const struct api_op api_lineage_executions_put =
    ROW("lineage/executions/put", HTTP_POST, OP_IDEMPOTENT, API_BODY_SMALL, &put_req, NULL, x_put,
        ACCESS_EDIT, LOC_RUN_ID, "run_id");
const struct api_op api_lineage_events_log =
    ROW("lineage/events/log", HTTP_POST, OP_IDEMPOTENT, 16 * API_BODY_SMALL, &events_req, NULL,
        x_events, ACCESS_EDIT, LOC_RUN_ID, "run_id");
const struct api_op api_lineage_cache_lookup =
    ROW("lineage/cache/lookup", HTTP_GET, OP_IDEMPOTENT, API_BODY_SMALL, &cache_req, &cache_resp,
        x_cache, ACCESS_READ, LOC_NONE, NULL);
const struct api_op api_lineage_executions_list =
    ROW("lineage/executions/list", HTTP_GET, OP_IDEMPOTENT, API_BODY_SMALL, &list_req, &list_resp,
        x_list, ACCESS_READ, LOC_NONE, NULL);
const struct api_op api_lineage_graph =
    ROW("lineage/graph", HTTP_GET, OP_IDEMPOTENT, API_BODY_SMALL, &graph_req, &graph_resp, x_graph,
        ACCESS_READ, LOC_NONE, NULL);

static const struct api_op *const lineage_ops[] = {
    &api_lineage_executions_put,  &api_lineage_events_log, &api_lineage_cache_lookup,
    &api_lineage_executions_list, &api_lineage_graph,
};
const struct api_area api_lineage_area = {"lineage", lineage_ops,
                                          sizeof(lineage_ops) / sizeof(*lineage_ops)};
