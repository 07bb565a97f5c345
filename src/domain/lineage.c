/* SPDX-License-Identifier: MIT */
#include "domain/lineage.h"
#include "base/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char *const states[] = {LINEAGE_RUNNING, LINEAGE_COMPLETE, LINEAGE_FAILED,
                                     LINEAGE_KILLED, LINEAGE_CACHED};

int lineage_state_valid(const char *s)
{
    for (size_t i = 0; s && i < sizeof(states) / sizeof(*states); i++)
        if (!strcmp(s, states[i]))
            return 1;
    return 0;
}

int lineage_event_kind_valid(const char *s)
{
    return s && (!strcmp(s, LINEAGE_INPUT) || !strcmp(s, LINEAGE_OUTPUT));
}

static int bad(const char *field, const char *value, const char *why, struct ferr *err)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid value '%.100s' for '%s': %s",
                    value ? value : "", field, why);
}

/* No control characters (a tab is one), at most max bytes. */
static int check_text(const char *field, const char *v, size_t max, struct ferr *err)
{
    if (!v)
        return 0;
    size_t n = strlen(v);
    if (n > max)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'%s' is %zu bytes long: at most %zu are allowed", field, n, max);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return bad(field, v, "control characters are not allowed", err);
    return 0;
}

int lineage_is_run_id(const char *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return 0;
    return n == 32;
}

static int check_run_id(const char *field, const char *v, int required, struct ferr *err)
{
    if (!v || !*v)
        return required ? ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                   "missing value for required parameter '%s'", field)
                        : 0;
    if (!lineage_is_run_id(v))
        return bad(field, v, "expected a run id (32 hex digits)", err);
    return 0;
}

int lineage_execution_check(const struct lineage_execution_in *e, struct ferr *err)
{
    if (check_run_id("run_id", e->run_id, 1, err) ||
        check_run_id("pipeline_run_id", e->pipeline_run_id, 0, err) ||
        check_run_id("cached_from", e->cached_from, 0, err) ||
        check_text("pipeline", e->pipeline, LINEAGE_NAME_MAX, err) ||
        check_text("step", e->step, LINEAGE_NAME_MAX, err) ||
        check_text("fingerprint", e->fingerprint, LINEAGE_DIGEST_MAX, err))
        return -1;
    if (!e->state || !*e->state)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'state'");
    if (!lineage_state_valid(e->state))
        return bad("state", e->state, "expected RUNNING, COMPLETE, FAILED, KILLED or CACHED", err);
    if (e->started_ms < 0 || e->ended_ms < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'started_ms' and 'ended_ms' must not be negative");
    return 0;
}

static int type_valid(const char *t)
{
    size_t n = strlen(t);
    if (!n || n > LINEAGE_TYPE_MAX)
        return 0;
    for (; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') || *t == '_' || *t == '.' ||
              *t == '-'))
            return 0;
    return 1;
}

int lineage_event_check(const struct lineage_event_in *e, struct ferr *err)
{
    if (!e->kind || !*e->kind)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'kind'");
    if (!lineage_event_kind_valid(e->kind))
        return bad("kind", e->kind, "expected input or output", err);
    if (!e->uri || !*e->uri)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'artifact.uri'");
    if (check_text("artifact.uri", e->uri, LINEAGE_URI_MAX, err) ||
        check_text("name", e->name, LINEAGE_NAME_MAX, err) ||
        check_text("artifact.digest", e->digest, LINEAGE_DIGEST_MAX, err))
        return -1;
    if (e->type && *e->type && !type_valid(e->type))
        return bad("artifact.type", e->type, "expected 1 to 64 of [a-z0-9_.-]", err);
    if (e->properties) {
        if (strlen(e->properties) > LINEAGE_PROPERTIES_MAX)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "'artifact.properties' is longer than %d bytes",
                            LINEAGE_PROPERTIES_MAX);
        json_t *j = json_loads(e->properties, 0, NULL);
        int ok = json_is_object(j);
        json_decref(j);
        if (!ok)
            return bad("artifact.properties", e->properties, "expected a JSON object", err);
    }
    return 0;
}

void lineage_execution_release(struct lineage_execution *e)
{
    if (!e)
        return;
    free(e->run_id);
    free(e->pipeline);
    free(e->pipeline_run_id);
    free(e->step);
    free(e->state);
    free(e->fingerprint);
    free(e->cached_from);
    memset(e, 0, sizeof(*e));
}

void lineage_execution_list_release(struct lineage_execution_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        lineage_execution_release(&l->v[i]);
    free(l->v);
    free(l->next_page_token);
    memset(l, 0, sizeof(*l));
}

void lineage_artifact_release(struct lineage_artifact *a)
{
    if (!a)
        return;
    free(a->uri);
    free(a->type);
    free(a->digest);
    free(a->properties);
    memset(a, 0, sizeof(*a));
}

void lineage_cache_hit_release(struct lineage_cache_hit *h)
{
    if (!h)
        return;
    lineage_execution_release(&h->execution);
    for (size_t i = 0; i < h->noutputs; i++) {
        free(h->outputs[i].name);
        free(h->outputs[i].uri);
        free(h->outputs[i].type);
        free(h->outputs[i].digest);
    }
    free(h->outputs);
    memset(h, 0, sizeof(*h));
}

int lineage_direction_parse(const char *s, enum lineage_direction *out)
{
    if (s && !strcmp(s, "upstream"))
        *out = LINEAGE_UPSTREAM;
    else if (s && !strcmp(s, "downstream"))
        *out = LINEAGE_DOWNSTREAM;
    else
        return -1;
    return 0;
}

const char *lineage_direction_name(enum lineage_direction d)
{
    return d == LINEAGE_DOWNSTREAM ? "downstream" : "upstream";
}

static const char *const node_kinds[] = {"execution", "artifact", "dataset_version",
                                         "model_version", "logged_model"};

const char *lineage_node_kind_name(enum lineage_node_kind k)
{
    return (unsigned)k < sizeof(node_kinds) / sizeof(*node_kinds) ? node_kinds[k] : "artifact";
}

int lineage_node_kind_parse(const char *s, enum lineage_node_kind *out)
{
    for (size_t i = 0; s && i < sizeof(node_kinds) / sizeof(*node_kinds); i++)
        if (!strcmp(s, node_kinds[i])) {
            *out = (enum lineage_node_kind)i;
            return 0;
        }
    return -1;
}

void lineage_node_release(struct lineage_node *n)
{
    if (!n)
        return;
    free(n->id);
    free(n->name);
    free(n->state);
    free(n->run_id);
    free(n->experiment_id);
    free(n->step);
    free(n->pipeline);
    free(n->pipeline_run_id);
    free(n->type);
    free(n->digest);
    memset(n, 0, sizeof(*n));
}

void lineage_edge_release(struct lineage_edge *e)
{
    if (!e)
        return;
    free(e->source);
    free(e->target);
    free(e->kind);
    free(e->name);
    memset(e, 0, sizeof(*e));
}

void lineage_graph_release(struct lineage_graph *g)
{
    if (!g)
        return;
    free(g->root);
    for (size_t i = 0; i < g->nnodes; i++)
        lineage_node_release(&g->nodes[i]);
    for (size_t i = 0; i < g->nedges; i++)
        lineage_edge_release(&g->edges[i]);
    free(g->nodes);
    free(g->edges);
    memset(g, 0, sizeof(*g));
}

static int has_prefix(const char *s, const char *p)
{
    return !strncmp(s, p, strlen(p));
}

int lineage_uri_classify(const char *uri, enum lineage_uri_kind *kind, char **id, struct ferr *err)
{
    if (id)
        *id = NULL;
    if (!uri || !*uri)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'uri'");
    if (strlen(uri) > LINEAGE_URI_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the uri is longer than %d bytes",
                        LINEAGE_URI_MAX);
    if (lineage_is_run_id(uri)) {
        *kind = LINEAGE_URI_RUN;
        if (id)
            *id = xstrdup(uri);
        return 0;
    }
    if (has_prefix(uri, "runs:/")) {
        const char *p = uri + 6;
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        const char *rest = p + n;
        while (*rest == '/')
            rest++;
        if (!n)
            return bad("uri", uri, "expected runs:/<run_id> or runs:/<run_id>/<path>", err);
        *kind = *rest ? LINEAGE_URI_RUN_PATH : LINEAGE_URI_RUN;
        if (id)
            *id = xstrndup(p, n);
        return 0;
    }
    if (has_prefix(uri, "models:/")) {
        const char *p = uri + 8;
        if (!*p || *p == '/')
            return bad("uri", uri,
                       "expected models:/<name>/<version>, models:/<name>@<alias> or "
                       "models:/<model_id>",
                       err);
        if (!strchr(p, '/') && !strchr(p, '@')) {
            *kind = LINEAGE_URI_LOGGED_MODEL;
            if (id)
                *id = xstrdup(p);
        } else {
            *kind = LINEAGE_URI_MODEL;
        }
        return 0;
    }
    if (has_prefix(uri, "data:")) {
        *kind = LINEAGE_URI_DATA;
        return 0;
    }
    *kind = LINEAGE_URI_OTHER;
    return 0;
}

char *lineage_run_uri(const char *run_id)
{
    size_t n = strlen(run_id);
    char *s = xmalloc(n + 7);
    memcpy(s, "runs:/", 6);
    memcpy(s + 6, run_id, n + 1);
    return s;
}
