/* SPDX-License-Identifier: MIT
 * Parsing a trigger spec and writing its canonical JSON. Matching events,
 * the event.X fields and rendering params are in trigger_spec_event.c. */
#include "domain/trigger_spec.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "base/yaml_json.h"
#include "domain/registry.h"
#include "domain/spec_field.h"
#include "domain/trigger_spec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define WHAT     "trigger spec"
#define TEXT_MAX 4096 /* a description (the one field that may hold newlines and tabs) */
#define URI_MAX  4096
#define FIELD_MAX                                                                                  \
    1024 /* a monitor, dataset, model, alias, version, pipeline or experiment name                 \
          */

/* A string member: absent (NULL when !required), else a string of 1..max
 * bytes with no control character. */
static int get_text(json_t *obj, const char *key, const char *path, int required, size_t max,
                    char **out, struct ferr *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return trigger_bad(err, "'%s' is required", path);
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s)
        return trigger_bad(err, "'%s' must be a string", path);
    size_t n = json_string_length(v);
    if (n == 0)
        return trigger_bad(err, "'%s' must not be empty", path);
    if (n > max)
        return trigger_bad(err, "'%s' is longer than %zu bytes", path, max);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && !(max == TEXT_MAX && (s[i] == '\n' || s[i] == '\t')))
            return trigger_bad(err, "'%s' holds a control character", path);
    *out = xstrdup(s);
    return 0;
}

/* One of names[0..n) (case-sensitive), or def when absent. */
static int get_enum(json_t *obj, const char *key, const char *path, const char *const *names,
                    size_t n, int def, int *out, struct ferr *err)
{
    json_t *v = json_object_get(obj, key);
    const char *s = json_string_value(v);
    struct sbuf list = SBUF_INIT;
    if (!v || json_is_null(v)) {
        if (def < 0)
            return trigger_bad(err, "'%s' is required", path);
        *out = def;
        return 0;
    }
    for (size_t i = 0; s && i < n; i++)
        if (!strcmp(s, names[i])) {
            *out = (int)i;
            return 0;
        }
    for (size_t i = 0; i < n; i++)
        sbuf_addf(&list, "%s%s", i ? ", " : "", names[i]);
    int rc = trigger_bad(err, "'%s' must be one of %s, not '%.100s'", path, list.buf,
                         s ? s : "(not a string)");
    sbuf_release(&list);
    return rc;
}

static int need_object(json_t *v, const char *path, struct ferr *err)
{
    if (!json_is_object(v))
        return trigger_bad(err, "'%s' must be a mapping", path);
    return 0;
}

static int parse_schedule(json_t *v, struct trigger_spec *t, struct ferr *err)
{
    struct ferr cerr = FERR_INIT;
    const char *s = json_string_value(v);
    if (!s || strlen(s) != json_string_length(v))
        return trigger_bad(err, "'on.schedule' must be a cron expression string such as "
                                "\"0 3 * * *\"");
    if (cron_parse(s, &t->cron, &cerr))
        return trigger_bad(err, "'on.schedule': %s", cerr.msg);
    if (!cron_can_fire(&t->cron))
        return trigger_bad(err,
                           "'on.schedule': '%.100s' never fires: no month selected has that "
                           "day-of-month",
                           s);
    /* kept trimmed of blanks at both ends */
    size_t a = strspn(s, " \t"), b = strlen(s);
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
        b--;
    t->schedule = xstrndup(s + a, b - a);
    return 0;
}

static int parse_alert(json_t *v, struct trigger_spec *t, struct ferr *err)
{
    static const char *const keys[] = {"monitor", "condition", NULL};
    int cond;
    if (need_object(v, "on.alert", err) || spec_only_keys(WHAT, v, "on.alert", keys, err) ||
        get_text(v, "monitor", "on.alert.monitor", 1, FIELD_MAX, &t->monitor, err) ||
        get_enum(v, "condition", "on.alert.condition", trigger_condition_names, 4, TRIGGER_COND_ANY,
                 &cond, err))
        return -1;
    t->condition = (enum trigger_condition)cond;
    return 0;
}

static int parse_dataset(json_t *v, struct trigger_spec *t, struct ferr *err)
{
    static const char *const keys[] = {"name", "alias", NULL};
    if (need_object(v, "on.dataset", err) || spec_only_keys(WHAT, v, "on.dataset", keys, err) ||
        get_text(v, "name", "on.dataset.name", 1, FIELD_MAX, &t->dataset, err) ||
        get_text(v, "alias", "on.dataset.alias", 0, FIELD_MAX, &t->alias, err))
        return -1;
    return 0;
}

static int parse_registry(json_t *v, struct trigger_spec *t, struct ferr *err)
{
    static const char *const keys[] = {"model", "event", "alias", "stage", NULL};
    int ev;
    char *stage = NULL;
    if (need_object(v, "on.registry", err) || spec_only_keys(WHAT, v, "on.registry", keys, err) ||
        get_text(v, "model", "on.registry.model", 1, FIELD_MAX, &t->model, err) ||
        get_enum(v, "event", "on.registry.event", trigger_reg_event_names, 3, -1, &ev, err))
        return -1;
    t->reg_event = (enum trigger_registry_event)ev;
    if (json_object_get(v, "alias") && t->reg_event != TRIGGER_REG_ALIAS_MOVED)
        return trigger_bad(err, "'on.registry.alias' goes only with event alias_moved");
    if (json_object_get(v, "stage") && t->reg_event != TRIGGER_REG_STAGE_CHANGED)
        return trigger_bad(err, "'on.registry.stage' goes only with event stage_changed");
    if (get_text(v, "alias", "on.registry.alias", 0, FIELD_MAX, &t->alias, err) ||
        get_text(v, "stage", "on.registry.stage", 0, 64, &stage, err))
        return -1;
    if (stage) {
        const char *canon = stage_canonical(stage);
        if (!canon) {
            int rc = trigger_bad(err,
                                 "'on.registry.stage' must be one of None, Staging, Production, "
                                 "Archived, not '%.64s'",
                                 stage);
            free(stage);
            return rc;
        }
        free(stage);
        t->stage = xstrdup(canon);
    }
    return 0;
}

static int parse_on(json_t *on, struct trigger_spec *t, struct ferr *err)
{
    if (!on || json_is_null(on))
        return trigger_bad(err, "'on' is required: one of schedule, alert, dataset, registry");
    if (!json_is_object(on) || json_object_size(on) != 1) {
        if (json_is_object(on) && json_object_size(on) > 1) {
            /* an unknown key is named before "more than one kind" */
            static const char *const keys[] = {"schedule", "alert", "dataset", "registry", NULL};
            if (spec_only_keys(WHAT, on, "on", keys, err))
                return -1;
            return trigger_bad(err,
                               "'on' must have exactly one kind, not %zu (schedule, alert, "
                               "dataset or registry)",
                               json_object_size(on));
        }
        return trigger_bad(err, "'on' must be a mapping with exactly one of schedule, alert, "
                                "dataset, registry");
    }
    const char *key = json_object_iter_key(json_object_iter(on));
    json_t *v = json_object_iter_value(json_object_iter(on));
    for (size_t k = 0; k < 4; k++)
        if (!strcmp(key, trigger_kind_names[k])) {
            t->kind = (enum trigger_kind)k;
            switch (t->kind) {
            case TRIGGER_SCHEDULE:
                return parse_schedule(v, t, err);
            case TRIGGER_ALERT:
                return parse_alert(v, t, err);
            case TRIGGER_DATASET:
                return parse_dataset(v, t, err);
            case TRIGGER_REGISTRY:
                return parse_registry(v, t, err);
            }
        }
    return trigger_bad(err, "unknown key 'on.%.100s' (schedule, alert, dataset or registry)", key);
}

/* A local pipeline (no "scheme://") must be an absolute path: the server
 * runs it from wherever it was started. */
int trigger_uri_is_local(const char *uri)
{
    const char *colon = strstr(uri, "://");
    return !colon || strchr(uri, '/') < colon;
}

static int parse_pipeline(json_t *v, struct trigger_spec *t, struct ferr *err)
{
    static const char *const keys[] = {"uri", "version", "name", "experiment", NULL};
    if (!v || json_is_null(v))
        return trigger_bad(err, "'pipeline' is required: {uri: ...}");
    if (need_object(v, "pipeline", err) || spec_only_keys(WHAT, v, "pipeline", keys, err) ||
        get_text(v, "uri", "pipeline.uri", 1, URI_MAX, &t->pipeline_uri, err) ||
        get_text(v, "version", "pipeline.version", 0, FIELD_MAX, &t->pipeline_version, err) ||
        get_text(v, "name", "pipeline.name", 0, FIELD_MAX, &t->pipeline_name, err) ||
        get_text(v, "experiment", "pipeline.experiment", 0, FIELD_MAX, &t->pipeline_experiment,
                 err))
        return -1;
    if (trigger_uri_is_local(t->pipeline_uri) && t->pipeline_uri[0] != '/')
        return trigger_bad(err,
                           "'pipeline.uri': a local pipeline must be an absolute path, not "
                           "'%.200s'",
                           t->pipeline_uri);
    return 0;
}

/* A scalar as text (strings as they are; numbers and booleans as JSON
 * writes them); -1 for null, arrays, objects, strings holding a NUL. */
static int scalar_text(json_t *v, struct sbuf *out)
{
    if (json_is_string(v)) {
        if (strlen(json_string_value(v)) != json_string_length(v))
            return -1;
        sbuf_add(out, json_string_value(v), json_string_length(v));
        return 0;
    }
    if (!json_is_number(v) && !json_is_boolean(v))
        return -1;
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    if (!s)
        return -1;
    sbuf_addstr(out, s);
    free(s);
    return 0;
}

static int parse_params(json_t *v, struct trigger_spec *t, struct ferr *err)
{
    const char *k;
    json_t *val;
    char path[TRIGGER_NAME_MAX + 16];
    if (!v || json_is_null(v))
        return 0;
    if (need_object(v, "params", err))
        return -1;
    t->params = xcalloc(json_object_size(v) + 1, sizeof(*t->params));
    json_object_foreach(v, k, val)
    {
        struct sbuf text = SBUF_INIT;
        if (!trigger_param_name_ok(k))
            return trigger_bad(err,
                               "'params': bad name '%.128s' ([A-Za-z0-9_][A-Za-z0-9_-]*, at "
                               "most 128)",
                               k);
        snprintf(path, sizeof(path), "params.%s", k);
        if (scalar_text(val, &text)) {
            sbuf_release(&text);
            return trigger_bad(err, "'%s' must be a string", path);
        }
        struct trigger_param *p = &t->params[t->nparams++];
        p->name = xstrdup(k);
        p->value = sbuf_detach(&text, NULL);
        if (trigger_template_check(p->value, t->kind, path, err))
            return -1;
    }
    return 0;
}

int trigger_spec_from_json(json_t *doc, struct trigger_spec *out, struct ferr *err)
{
    static const char *const keys[] = {"name",     "description", "enabled",     "on",
                                       "pipeline", "params",      "concurrency", NULL};
    struct trigger_spec t;
    int conc;
    memset(&t, 0, sizeof(t));
    t.enabled = 1;
    if (!json_is_object(doc))
        return trigger_bad(err, "the spec must be a mapping (name, on, pipeline, ...)");
    json_t *en = json_object_get(doc, "enabled");
    if (spec_only_keys(WHAT, doc, "", keys, err) ||
        get_text(doc, "name", "name", 1, TRIGGER_NAME_MAX + 1, &t.name, err))
        goto fail;
    if (!trigger_name_ok(t.name)) {
        trigger_bad(err,
                    "'name' must be [A-Za-z0-9_][A-Za-z0-9_.-]*, at most %d bytes, not "
                    "'%.140s'",
                    TRIGGER_NAME_MAX, t.name);
        goto fail;
    }
    if (get_text(doc, "description", "description", 0, TEXT_MAX, &t.description, err) ||
        (en && !json_is_null(en) && spec_bool(WHAT, en, "enabled", &t.enabled, err)) ||
        parse_on(json_object_get(doc, "on"), &t, err) ||
        parse_pipeline(json_object_get(doc, "pipeline"), &t, err) ||
        parse_params(json_object_get(doc, "params"), &t, err) ||
        get_enum(doc, "concurrency", "concurrency", trigger_concurrency_names, 3, TRIGGER_SKIP,
                 &conc, err))
        goto fail;
    t.concurrency = (enum trigger_concurrency)conc;
    *out = t;
    return 0;
fail:
    trigger_spec_release(&t);
    return -1;
}

int trigger_spec_parse(const char *text, size_t n, struct trigger_spec *out, struct ferr *err)
{
    json_t *doc = NULL;
    size_t i = 0;
    if (n > TRIGGER_SPEC_MAX_BYTES)
        return trigger_bad(err, "the spec is larger than %d bytes", TRIGGER_SPEC_MAX_BYTES);
    while (i < n && strchr(" \t\r\n", text[i]) && text[i])
        i++;
    if (i == n)
        return trigger_bad(err, "the spec is empty");
    if (i < n && text[i] == '{') {
        json_error_t je;
        doc = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
        if (!doc)
            return trigger_bad(err, "bad JSON at line %d, column %d: %s", je.line, je.column,
                               je.text);
    } else if (yaml_to_json(text, n, &doc, err)) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        return trigger_bad(err, "%s", msg);
    }
    int rc = trigger_spec_from_json(doc, out, err);
    json_decref(doc);
    return rc;
}

void trigger_spec_release(struct trigger_spec *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->description);
    free(t->schedule);
    free(t->monitor);
    free(t->dataset);
    free(t->model);
    free(t->stage);
    free(t->alias);
    free(t->pipeline_uri);
    free(t->pipeline_version);
    free(t->pipeline_name);
    free(t->pipeline_experiment);
    for (size_t i = 0; i < t->nparams; i++) {
        free(t->params[i].name);
        free(t->params[i].value);
    }
    free(t->params);
    memset(t, 0, sizeof(*t));
}

static void set_opt(json_t *obj, const char *key, const char *s)
{
    if (s)
        json_object_set_new(obj, key, json_string(s));
}

json_t *trigger_spec_json(const struct trigger_spec *t)
{
    json_t *j = json_object(), *on = json_object(), *kind = NULL, *pipe = json_object(),
           *params = json_object();
    json_object_set_new(j, "name", json_string(t->name));
    set_opt(j, "description", t->description);
    json_object_set_new(j, "enabled", json_boolean(t->enabled));
    switch (t->kind) {
    case TRIGGER_SCHEDULE:
        kind = json_string(t->schedule);
        break;
    case TRIGGER_ALERT:
        kind = json_pack("{s:s, s:s}", "monitor", t->monitor, "condition",
                         trigger_condition_name(t->condition));
        break;
    case TRIGGER_DATASET:
        kind = json_pack("{s:s}", "name", t->dataset);
        set_opt(kind, "alias", t->alias);
        break;
    case TRIGGER_REGISTRY:
        kind = json_pack("{s:s, s:s}", "model", t->model, "event",
                         trigger_reg_event_name(t->reg_event));
        set_opt(kind, "alias", t->alias);
        set_opt(kind, "stage", t->stage);
        break;
    }
    json_object_set_new(on, trigger_kind_name(t->kind), kind);
    json_object_set_new(j, "on", on);
    json_object_set_new(pipe, "uri", json_string(t->pipeline_uri));
    set_opt(pipe, "version", t->pipeline_version);
    set_opt(pipe, "name", t->pipeline_name);
    set_opt(pipe, "experiment", t->pipeline_experiment);
    json_object_set_new(j, "pipeline", pipe);
    for (size_t i = 0; i < t->nparams; i++)
        json_object_set_new(params, t->params[i].name, json_string(t->params[i].value));
    json_object_set_new(j, "params", params);
    json_object_set_new(j, "concurrency", json_string(trigger_concurrency_name(t->concurrency)));
    return j;
}
