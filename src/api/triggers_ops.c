/* SPDX-License-Identifier: MIT
 * The triggers area's rows (see triggers_ops.h): specs parsed and checked
 * here (domain/trigger_spec.h), rows kept by store/triggers.h. */
#include "api/triggers_ops.h"
#include "api/codec.h"
#include "api/types.h"
#include "base/ftime.h"
#include "base/ids.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "domain/trigger_spec.h"
#include "store/store.h"
#include "store/triggers.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* ---------- entity shapes ---------- */

/* A stored JSON object text as a value ({} when it does not parse). */
static json_t *object_of(const char *text)
{
    json_t *j = text && *text ? json_loads(text, 0, NULL) : NULL;
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j ? j : json_object();
}

/* A value as stored text; "{}" when absent. */
static char *text_of(json_t *j)
{
    return json_is_object(j) ? fjson_dumps(j, JSON_COMPACT) : xstrdup("{}");
}

json_t *api_trigger_firing_to_json(const struct trigger_firing *f)
{
    json_t *j =
        json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "id",
                  (json_int_t)f->id, "trigger", codec_or_empty(f->trigger), "event_key",
                  codec_or_empty(f->event_key), "event_id",
                  f->event_id ? json_integer((json_int_t)f->event_id) : json_null(), "event",
                  object_of(f->event), "params", object_of(f->params), "user_id",
                  codec_or_empty(f->user_id), "state", firing_state_name(f->state), "run_id",
                  codec_or_empty(f->run_id), "holder", codec_or_empty(f->holder), "created_ms",
                  (json_int_t)f->created_ms, "started_ms", (json_int_t)f->started_ms, "ended_ms",
                  (json_int_t)f->ended_ms, "detail", codec_or_empty(f->detail));
    return j;
}

static int firing_from_json(json_t *j, struct trigger_firing *out, struct ferr *err)
{
    struct ferr ignored = FERR_INIT;
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "trigger")) ||
        firing_state_parse(json_string_value(json_object_get(j, "state")), &out->state, &ignored))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed trigger firing");
    out->id = codec_int_field(j, "id");
    out->trigger = codec_str_field(j, "trigger");
    out->event_key = codec_str_field(j, "event_key");
    out->event_id = codec_int_field(j, "event_id");
    out->event = text_of(json_object_get(j, "event"));
    out->params = text_of(json_object_get(j, "params"));
    out->user_id = codec_str_field(j, "user_id");
    out->run_id = codec_str_field(j, "run_id");
    out->holder = codec_str_field(j, "holder");
    out->created_ms = codec_int_field(j, "created_ms");
    out->started_ms = codec_int_field(j, "started_ms");
    out->ended_ms = codec_int_field(j, "ended_ms");
    out->detail = codec_str_field(j, "detail");
    return 0;
}

void api_trigger_release(struct api_trigger *t)
{
    if (!t)
        return;
    trigger_release(&t->t);
    if (t->last_firing) {
        trigger_firing_release(t->last_firing);
        free(t->last_firing);
    }
    memset(t, 0, sizeof(*t));
}

void api_trigger_list_release(struct api_trigger_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        api_trigger_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

json_t *api_trigger_to_json(const struct api_trigger *a)
{
    const struct trigger *t = &a->t;
    json_t *j = json_pack(
        "{s:s, s:o, s:s, s:b, s:s, s:I, s:I, s:I, s:I, s:I}", "name", codec_or_empty(t->name),
        "spec", object_of(t->spec), "kind", codec_or_empty(t->kind), "enabled", t->enabled, "owner",
        codec_or_empty(t->owner), "revision", (json_int_t)t->revision, "created_ms",
        (json_int_t)t->created_ms, "updated_ms", (json_int_t)t->updated_ms, "since_event_id",
        (json_int_t)t->since_event_id, "last_scheduled_ms", (json_int_t)t->last_scheduled_ms);
    if (j && a->last_firing)
        json_object_set_new(j, "last_firing", api_trigger_firing_to_json(a->last_firing));
    return j;
}

static int trigger_from_json(json_t *j, struct api_trigger *out, struct ferr *err)
{
    json_t *last = json_object_get(j, "last_firing");
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "name")))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed trigger");
    if (json_is_object(last)) {
        out->last_firing = xmalloc(sizeof(*out->last_firing));
        if (firing_from_json(last, out->last_firing, err)) {
            free(out->last_firing);
            out->last_firing = NULL;
            return -1;
        }
    }
    out->t.name = codec_str_field(j, "name");
    out->t.spec = text_of(json_object_get(j, "spec"));
    out->t.kind = codec_str_field(j, "kind");
    out->t.enabled = json_is_true(json_object_get(j, "enabled"));
    out->t.owner = codec_str_field(j, "owner");
    out->t.revision = codec_int_field(j, "revision");
    out->t.created_ms = codec_int_field(j, "created_ms");
    out->t.updated_ms = codec_int_field(j, "updated_ms");
    out->t.since_event_id = codec_int_field(j, "since_event_id");
    out->t.last_scheduled_ms = codec_int_field(j, "last_scheduled_ms");
    return 0;
}

#define TYPE(id, T, to, from, rel) API_TYPE_OF(static, id##_type, #id, T, to, from, rel, NULL)

TYPE(trigger, struct api_trigger, api_trigger_to_json, trigger_from_json, api_trigger_release);
TYPE(firing, struct trigger_firing, api_trigger_firing_to_json, firing_from_json,
     trigger_firing_release);

/* ---------- messages ---------- */

static const struct api_field apply_fields[] = {
    F_CUSTOM(struct rq_trigger_apply, spec, "spec", &api_object_field),
    F_STR(struct rq_trigger_apply, spec_yaml, "spec_yaml", AF_OMIT_EMPTY),
    F_INT(struct rq_trigger_apply, expect_revision, "expect_revision", AF_OMIT_EMPTY, -1),
};
static const struct api_msg apply_req = API_MSG(struct rq_trigger_apply, apply_fields);
static const struct api_field apply_resp_fields[] = {
    F_OBJ(struct rs_trigger_apply, trigger, "trigger", 0, &trigger_type),
    F_BOOL(struct rs_trigger_apply, changed, "changed", 0),
};
static const struct api_msg apply_resp = API_MSG(struct rs_trigger_apply, apply_resp_fields);

static const struct api_field name_fields[] = {
    F_STR(struct rq_trigger_name, name, "name", AF_NONEMPTY),
};
static const struct api_msg name_req = API_MSG(struct rq_trigger_name, name_fields);
static const struct api_field trigger_fields[] = {
    F_OBJ(struct rs_trigger, trigger, "trigger", 0, &trigger_type),
};
static const struct api_msg trigger_resp = API_MSG(struct rs_trigger, trigger_fields);

static const struct api_msg list_req = {sizeof(int), NULL, 0};
static const struct api_field list_fields[] = {
    F_LIST(struct api_trigger_list, v, n, alloc, "triggers", 0, &trigger_type),
};
static const struct api_msg list_resp = API_MSG(struct api_trigger_list, list_fields);

static const struct api_field history_fields[] = {
    F_STR(struct rq_trigger_history, name, "name", AF_OMIT_EMPTY),
    F_INT(struct rq_trigger_history, max_results, "max_results", AF_OMIT_EMPTY,
          TRIGGER_HISTORY_DEFAULT),
    F_STR(struct rq_trigger_history, page_token, "page_token", AF_OMIT_EMPTY),
};
static const struct api_msg history_req = API_MSG(struct rq_trigger_history, history_fields);
static const struct api_field history_resp_fields[] = {
    F_LIST(struct rs_trigger_history, v, n, alloc, "firings", 0, &firing_type),
    F_STR(struct rs_trigger_history, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg history_resp = API_MSG(struct rs_trigger_history, history_resp_fields);

static const struct api_field fire_fields[] = {
    F_STR(struct rq_trigger_fire, name, "name", AF_NONEMPTY),
    F_CUSTOM(struct rq_trigger_fire, params, "params", &api_object_field),
};
static const struct api_msg fire_req = API_MSG(struct rq_trigger_fire, fire_fields);
static const struct api_field fire_resp_fields[] = {
    F_OBJ(struct rs_trigger_fire, firing, "firing", 0, &firing_type),
};
static const struct api_msg fire_resp = API_MSG(struct rs_trigger_fire, fire_resp_fields);

/* ---------- the spec of a request, and of a stored trigger ---------- */

/* A pipeline uri the server can run from anywhere: a git URL (as
 * projects/source.c tells them) or an absolute local path. */
static int check_pipeline_uri(const char *uri, struct ferr *err)
{
    if (strstr(uri, "://") || !strncmp(uri, "git@", 4) || uri[0] == '/')
        return 0;
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "trigger spec: 'pipeline.uri': '%.200s' is a relative path: a local pipeline "
                    "must be given by its absolute path (the server runs it; `ferry triggers "
                    "apply` makes local paths absolute)",
                    uri);
}

/* The apply request's spec, parsed and checked. */
static int request_spec(const struct rq_trigger_apply *q, struct trigger_spec *out,
                        struct ferr *err)
{
    if (q->spec && q->spec_yaml)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "give the spec as 'spec' or as 'spec_yaml', not both");
    if (!q->spec && !q->spec_yaml)
        return fjson_missing(err, "spec");
    if (q->spec ? trigger_spec_from_json(q->spec, out, err)
                : trigger_spec_parse(q->spec_yaml, strlen(q->spec_yaml), out, err))
        return -1;
    if (check_pipeline_uri(out->pipeline_uri, err)) {
        trigger_spec_release(out);
        return -1;
    }
    return 0;
}

/* A stored trigger's spec. */
static int stored_spec(const struct trigger *t, struct trigger_spec *out, struct ferr *err)
{
    json_error_t je;
    json_t *doc = json_loads(t->spec ? t->spec : "", 0, &je);
    if (!doc)
        return ferr_set(err, FERR_INTERNAL_ERROR, "trigger %.200s: its stored spec is not JSON: %s",
                        t->name, je.text);
    int rc = trigger_spec_from_json(doc, out, err);
    json_decref(doc);
    return rc;
}

/* ---------- the rows' target (permissions) ---------- */

/* Adds the experiment named name when it exists (*named counts names). */
static int add_named(struct api_target *out, struct store *s, const char *name, int *found,
                     struct ferr *err)
{
    struct experiment e;
    struct ferr nf = FERR_INIT;
    if (!name || !*name)
        return 0;
    if (store_get_experiment_by_name(s, name, &e, &nf)) {
        if (nf.code == FERR_RESOURCE_DOES_NOT_EXIST)
            return 0;
        *err = nf;
        return -1;
    }
    for (size_t i = 0; i < out->nexperiments; i++)
        if (!strcmp(out->experiment_ids[i], e.experiment_id)) {
            experiment_release(&e);
            return 0;
        }
    out->experiment_ids = xrealloc(out->experiment_ids, (out->nexperiments + 1) * sizeof(char *));
    out->experiment_ids[out->nexperiments++] = xstrdup(e.experiment_id);
    experiment_release(&e);
    (*found)++;
    return 0;
}

/* Adds the experiment of the stored trigger name; a missing trigger is
 * RESOURCE_DOES_NOT_EXIST unless absent_ok. */
static int add_stored(struct api_target *out, struct store *s, const char *name, int absent_ok,
                      int *found, struct ferr *err)
{
    struct trigger t;
    struct trigger_spec spec;
    struct ferr nf = FERR_INIT;
    if (store_trigger_get(s, name, &t, &nf)) {
        if (absent_ok && nf.code == FERR_RESOURCE_DOES_NOT_EXIST)
            return 0;
        *err = nf;
        return -1;
    }
    int rc = stored_spec(&t, &spec, err);
    trigger_release(&t);
    if (rc)
        return -1;
    rc = add_named(out, s, trigger_spec_experiment(&spec), found, err);
    trigger_spec_release(&spec);
    return rc;
}

int api_triggers_target(const struct api_op *op, const void *req, struct store *s,
                        struct api_target *out, struct ferr *err)
{
    int found = 0, rc;
    if (op->res.loc == LOC_TRIGGER_SPEC) {
        struct trigger_spec spec;
        if (request_spec(req, &spec, err))
            return -1;
        rc = add_named(out, s, trigger_spec_experiment(&spec), &found, err);
        if (!rc)
            rc = add_stored(out, s, spec.name, 1, &found, err);
        trigger_spec_release(&spec);
    } else {
        const char *name = op == &api_triggers_fire ? ((const struct rq_trigger_fire *)req)->name
                                                    : ((const struct rq_trigger_name *)req)->name;
        if (!name || !*name)
            return fjson_missing(err, "name");
        rc = add_stored(out, s, name, 0, &found, err);
    }
    if (rc)
        return -1;
    if (!found)
        out->loc = LOC_NEW_EXPERIMENT;
    return 0;
}

/* ---------- what the rows do ---------- */

static const char *user_of(const struct api_env *env)
{
    return env->user ? env->user : "";
}

/* t with its newest firing. */
static int with_last_firing(struct store *s, struct api_trigger *a, struct ferr *err)
{
    struct firing_query fq = {a->t.name, 0, 0, 1, NULL};
    struct trigger_firing_list l = {NULL, 0, 0};
    char *next = NULL;
    if (store_trigger_firings(s, &fq, &l, &next, err))
        return -1;
    free(next);
    if (l.n) {
        a->last_firing = xmalloc(sizeof(*a->last_firing));
        *a->last_firing = l.v[0];
        memset(&l.v[0], 0, sizeof(l.v[0]));
    }
    trigger_firing_list_release(&l);
    return 0;
}

static int x_apply(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                   struct ferr *err)
{
    (void)op;
    struct rq_trigger_apply *q = req;
    struct rs_trigger_apply *r = resp;
    struct trigger_spec spec;
    if (q->expect_revision < -1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'expect_revision': expected 0 or more");
    if (request_spec(q, &spec, err))
        return -1;
    json_t *canonical = trigger_spec_json(&spec);
    int rc = store_trigger_apply(env->store, canonical, trigger_kind_name(spec.kind), spec.enabled,
                                 user_of(env), q->expect_revision, &r->trigger.t, &r->changed, err);
    json_decref(canonical);
    trigger_spec_release(&spec);
    if (!rc && (rc = with_last_firing(env->store, &r->trigger, err)) != 0)
        api_trigger_release(&r->trigger);
    return rc;
}

static int x_get(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                 struct ferr *err)
{
    (void)op;
    struct rs_trigger *r = resp;
    if (store_trigger_get(env->store, ((struct rq_trigger_name *)req)->name, &r->trigger.t, err))
        return -1;
    if (with_last_firing(env->store, &r->trigger, err)) {
        api_trigger_release(&r->trigger);
        return -1;
    }
    return 0;
}

static int x_list(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                  struct ferr *err)
{
    (void)op;
    (void)req;
    struct api_trigger_list *out = resp;
    struct trigger_list l = {NULL, 0, 0};
    if (store_trigger_list(env->store, &l, err))
        return -1;
    out->v = xcalloc(l.n ? l.n : 1, sizeof(*out->v));
    out->alloc = l.n ? l.n : 1;
    for (size_t i = 0; i < l.n; i++) {
        out->v[out->n].t = l.v[i];
        memset(&l.v[i], 0, sizeof(l.v[i]));
        out->n++;
        if (with_last_firing(env->store, &out->v[out->n - 1], err)) {
            trigger_list_release(&l);
            api_trigger_list_release(out);
            return -1;
        }
    }
    trigger_list_release(&l);
    return 0;
}

static int x_delete(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    (void)resp;
    return store_trigger_delete(env->store, ((struct rq_trigger_name *)req)->name, err);
}

static int x_history(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                     struct ferr *err)
{
    (void)op;
    struct rq_trigger_history *q = req;
    struct rs_trigger_history *r = resp;
    struct trigger_firing_list l = {NULL, 0, 0};
    if (q->max_results < 1 || q->max_results > TRIGGER_HISTORY_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'max_results': expected 1 to %d",
                        TRIGGER_HISTORY_MAX);
    if (q->name && *q->name && trigger_name_check(q->name, err))
        return -1;
    struct firing_query fq = {q->name && *q->name ? q->name : NULL, 0, 0, q->max_results,
                              q->page_token};
    if (store_trigger_firings(env->store, &fq, &l, &r->next_page_token, err))
        return -1;
    r->v = l.v;
    r->n = l.n;
    r->alloc = l.alloc;
    return 0;
}

/* The manual params: every value a string. */
static int check_given(json_t *given, struct ferr *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(given, k, v)
    {
        if (!json_is_string(v))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid value for parameter 'params.%.200s': expected a string", k);
    }
    return 0;
}

static int x_fire(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                  struct ferr *err)
{
    (void)op;
    struct rq_trigger_fire *q = req;
    struct rs_trigger_fire *r = resp;
    struct trigger t;
    struct trigger_spec spec;
    json_t *fields = NULL, *params = NULL;
    char key[8 + REQUEST_ID_LEN + 1];
    if (q->params && check_given(q->params, err))
        return -1;
    if (store_trigger_get(env->store, q->name, &t, err))
        return -1;
    int rc = stored_spec(&t, &spec, err);
    trigger_release(&t);
    if (rc)
        return -1;
    rc = trigger_manual_firing(&spec, ftime_now_ms(), q->params, &fields, &params, err);
    trigger_spec_release(&spec);
    if (rc)
        return -1;
    memcpy(key, "manual:", 7);
    ids_new_request_id(key + 7);
    struct trigger_fire f = {q->name, key, 0, fields, params, user_of(env), FIRING_QUEUED, NULL};
    rc = store_trigger_fire(env->store, &f, &r->firing, NULL, err);
    json_decref(fields);
    json_decref(params);
    return rc;
}

/* ---------- rows ---------- */

#define ROW(nm, m, fl, rq, rs, fn, acc, loc, fld)                                                  \
    {                                                                                              \
        .name = nm, .root = "/api/2.0/ferry", .path = nm, .methods = m, .call = m, .flags = fl,    \
        .max_body = API_BODY_SMALL, .req = rq, .resp = rs, .exec = fn, .arg = 0, .res = {          \
            acc,                                                                                   \
            loc,                                                                                   \
            fld                                                                                    \
        }                                                                                          \
    }
#define READ_ROW(nm, rq, rs, fn)                                                                   \
    ROW(nm, HTTP_GET, OP_IDEMPOTENT, rq, rs, fn, ACCESS_READ, LOC_NONE, NULL)

/* None is sent twice by the transport's retries: a resent apply would
 * answer "unchanged" for a change it made, a resent fire would fire twice. */
const struct api_op api_triggers_apply =
    ROW("triggers/apply", HTTP_POST, 0, &apply_req, &apply_resp, x_apply, ACCESS_EDIT,
        LOC_TRIGGER_SPEC, "spec");
const struct api_op api_triggers_get = READ_ROW("triggers/get", &name_req, &trigger_resp, x_get);
const struct api_op api_triggers_list = READ_ROW("triggers/list", &list_req, &list_resp, x_list);
const struct api_op api_triggers_delete = ROW("triggers/delete", HTTP_POST, 0, &name_req, NULL,
                                              x_delete, ACCESS_EDIT, LOC_TRIGGER_NAME, "name");
const struct api_op api_triggers_history =
    READ_ROW("triggers/history", &history_req, &history_resp, x_history);
const struct api_op api_triggers_fire = ROW("triggers/fire", HTTP_POST, 0, &fire_req, &fire_resp,
                                            x_fire, ACCESS_EDIT, LOC_TRIGGER_NAME, "name");

static const struct api_op *const triggers_ops[] = {
    &api_triggers_apply,  &api_triggers_get,     &api_triggers_list,
    &api_triggers_delete, &api_triggers_history, &api_triggers_fire,
};
const struct api_area api_triggers_area = {"triggers", triggers_ops,
                                           sizeof(triggers_ops) / sizeof(*triggers_ops)};
