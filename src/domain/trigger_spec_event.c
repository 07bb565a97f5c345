/* SPDX-License-Identifier: MIT
 * A trigger meets the events stream: which events fire it, the event.X
 * fields an event gives its params, and rendering the params' templates. */
#include "domain/trigger_spec.h"
#include "base/pbtime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/trigger_spec_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

struct render_arg {
    const struct trigger_spec *t;
    json_t *fields;
    const char *param;
};

static int render_ref(void *arg, const char *ref, size_t n, struct sbuf *out, struct ferr *err)
{
    const struct render_arg *a = arg;
    if (n == strlen("trigger.name") && !strncmp(ref, "trigger.name", n)) {
        sbuf_addstr(out, a->t->name);
        return 0;
    }
    if (n > 6 && !strncmp(ref, "event.", 6)) {
        char key[128];
        json_t *v = NULL;
        if (n - 6 < sizeof(key)) {
            memcpy(key, ref + 6, n - 6);
            key[n - 6] = 0;
            v = json_object_get(a->fields, key);
        }
        if (json_is_string(v)) {
            sbuf_add(out, json_string_value(v), json_string_length(v));
            return 0;
        }
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "param '%s': the event has no field '%.*s'", a->param,
                        (int)(n - 6 < 100 ? n - 6 : 100), ref + 6);
    }
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "param '%s': unknown reference '{%.*s}'",
                    a->param, (int)(n < 100 ? n : 100), ref);
}

int trigger_render_params(const struct trigger_spec *t, json_t *fields, json_t **params_out,
                          struct ferr *err)
{
    json_t *out = json_object();
    struct sbuf value = SBUF_INIT;
    for (size_t i = 0; i < t->nparams; i++) {
        struct render_arg a = {t, fields, t->params[i].name};
        struct ferr werr = FERR_INIT;
        sbuf_reset(&value);
        if (trigger_template_walk(t->params[i].value, render_ref, &a, &value, t->params[i].name,
                                  &werr)) {
            /* walk's own refusals carry the spec prefix; a render error is not the spec's */
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s", werr.msg);
            sbuf_release(&value);
            json_decref(out);
            return -1;
        }
        json_object_set_new(out, t->params[i].name, json_stringn(value.buf, value.len));
    }
    sbuf_release(&value);
    *params_out = out;
    return 0;
}

/* ---------- fields of an event ---------- */

static void set_str(json_t *f, const char *key, const char *s)
{
    json_object_set_new(f, key, json_string(s ? s : ""));
}

static void set_int(json_t *f, const char *key, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    set_str(f, key, buf);
}

static void set_time(json_t *f, const char *key, int64_t ms)
{
    char buf[PBTIME_MAX];
    pbtime_timestamp_format(ms, buf);
    set_str(f, key, buf);
}

/* A payload member as text: strings as they are, integers in decimal,
 * other numbers and booleans as JSON writes them; "" for null or absent. */
static void set_member(json_t *f, const char *key, json_t *payload, const char *member)
{
    json_t *v = json_object_get(payload, member);
    if (json_is_string(v)) {
        json_object_set_new(f, key, json_stringn(json_string_value(v), json_string_length(v)));
    } else if (json_is_integer(v)) {
        set_int(f, key, (int64_t)json_integer_value(v));
    } else if (json_is_real(v) || json_is_boolean(v)) {
        char *s = json_dumps(v, JSON_ENCODE_ANY);
        set_str(f, key, s);
        free(s);
    } else {
        set_str(f, key, "");
    }
}

/* The member's string value, else fallback. */
static const char *str_or(json_t *payload, const char *member, const char *fallback)
{
    const char *s = json_string_value(json_object_get(payload, member));
    return s ? s : fallback;
}

/* The alias a registry audit detail names: "@champion: 3 -> 4",
 * "@champion -> 4" (set_alias), "@champion" forms. NULL when none. */
static char *detail_alias(const char *detail)
{
    if (!detail || detail[0] != '@')
        return NULL;
    return xstrndup(detail + 1, strcspn(detail + 1, ": "));
}

/* The new stage a transition's detail names: "Staging -> Production",
 * "Production -> Archived (archive_existing_versions)". NULL when none. */
static char *detail_stage(const char *detail)
{
    const char *arrow = detail ? strstr(detail, " -> ") : NULL;
    if (!arrow)
        return NULL;
    arrow += 4;
    return xstrndup(arrow, strcspn(arrow, " "));
}

static void common(json_t *f, const char *kind, const char *id, int64_t time_ms)
{
    set_str(f, "id", id);
    set_str(f, "kind", kind);
    set_int(f, "time_ms", time_ms);
    set_time(f, "time", time_ms);
}

json_t *trigger_event_fields(const char *kind, int64_t id, int64_t time_ms, const char *subject,
                             json_t *payload)
{
    json_t *f = json_object();
    char idtext[32];
    if (!kind)
        kind = "";
    snprintf(idtext, sizeof(idtext), "%" PRId64, id);
    common(f, kind, idtext, time_ms);
    if (!strncmp(kind, "alert.", 6)) {
        set_member(f, "alert_id", payload, "alert_id");
        set_str(f, "monitor", str_or(payload, "monitor", subject));
        set_member(f, "deployment", payload, "deployment");
        set_member(f, "condition", payload, "condition");
        set_member(f, "severity", payload, "severity");
    } else if (!strncmp(kind, "dataset.", 8)) {
        const char *name = str_or(payload, "name", subject);
        set_str(f, "dataset", name);
        set_member(f, "dataset_version", payload, "version");
        const char *uri = str_or(payload, "uri", NULL);
        json_t *v = json_object_get(payload, "version");
        if (uri) {
            set_str(f, "dataset_uri", uri);
        } else if (json_is_integer(v) && name) {
            char *u = NULL;
            struct sbuf b = SBUF_INIT;
            sbuf_addf(&b, "data:/%s/%" PRId64, name, (int64_t)json_integer_value(v));
            u = sbuf_detach(&b, NULL);
            set_str(f, "dataset_uri", u);
            free(u);
        } else {
            set_str(f, "dataset_uri", "");
        }
        set_member(f, "alias", payload, "alias");
    } else if (!strncmp(kind, "registry.", 9)) {
        const char *model = str_or(payload, "model", subject);
        const char *detail = str_or(payload, "detail", NULL);
        json_t *v = json_object_get(payload, "version");
        char *alias = detail_alias(detail);
        char *stage = !strcmp(kind, "registry.transition") ? detail_stage(detail) : NULL;
        set_str(f, "model", model);
        set_member(f, "model_version", payload, "version");
        if (json_is_integer(v) && json_integer_value(v) > 0 && model) {
            struct sbuf b = SBUF_INIT;
            sbuf_addf(&b, "models:/%s/%" PRId64, model, (int64_t)json_integer_value(v));
            set_str(f, "model_uri", b.buf);
            sbuf_release(&b);
        } else {
            set_str(f, "model_uri", "");
        }
        set_str(f, "alias", alias);
        set_str(f, "stage", stage);
        set_str(f, "action", kind + 9);
        free(alias);
        free(stage);
    }
    return f;
}

json_t *trigger_schedule_fields(int64_t scheduled_ms, int64_t now_ms)
{
    json_t *f = json_object();
    common(f, "schedule", "", now_ms);
    set_time(f, "scheduled_time", scheduled_ms);
    set_int(f, "scheduled_time_ms", scheduled_ms);
    return f;
}

int trigger_manual_firing(const struct trigger_spec *t, int64_t now_ms, json_t *given,
                          json_t **fields_out, json_t **params_out, struct ferr *err)
{
    json_t *f = json_object(), *over = json_object(), *params = NULL, *v;
    const char *const *kf = trigger_kind_fields(t->kind);
    const char *k;
    common(f, "manual", "", now_ms);
    for (size_t i = 0; kf[i]; i++)
        set_str(f, kf[i], "");
    json_object_foreach(given, k, v)
    {
        const char *s = json_string_value(v);
        if (!s || strlen(s) != json_string_length(v)) {
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "'%.200s' must be a string", k);
            goto fail;
        }
        if (!strncmp(k, "event.", 6)) {
            if (!trigger_in_list(kf, k + 6, strlen(k + 6))) {
                struct sbuf list = SBUF_INIT;
                for (size_t i = 0; kf[i]; i++)
                    sbuf_addf(&list, "%s%s", i ? ", " : "", kf[i]);
                ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                         "unknown event field '%.200s' for %s %s trigger (a manual firing may "
                         "set: %s)",
                         k, trigger_article(t->kind), trigger_kind_name(t->kind), list.buf);
                sbuf_release(&list);
                goto fail;
            }
            set_str(f, k + 6, s);
        } else if (!trigger_param_name_ok(k)) {
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "bad param name '%.200s' ([A-Za-z0-9_][A-Za-z0-9_-]*, or event.X)", k);
            goto fail;
        } else {
            json_object_set(over, k, v);
        }
    }
    if (trigger_render_params(t, f, &params, err))
        goto fail;
    json_object_update(params, over);
    json_decref(over);
    *fields_out = f;
    *params_out = params;
    return 0;
fail:
    json_decref(f);
    json_decref(over);
    return -1;
}

/* ---------- matching ---------- */

static int same(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

static int alert_matches(const struct trigger_spec *t, json_t *payload, const char *subject)
{
    if (!same(str_or(payload, "monitor", subject), t->monitor))
        return 0;
    if (t->condition == TRIGGER_COND_ANY)
        return 1;
    const char *cond = str_or(payload, "condition", "");
    const char *want = trigger_condition_name(t->condition);
    size_t n = strcspn(cond, ":");
    return n == strlen(want) && !strncmp(cond, want, n);
}

static int registry_matches(const struct trigger_spec *t, const char *kind, json_t *payload,
                            const char *subject)
{
    static const char *const kinds[] = {"registry.create_version", "registry.transition",
                                        "registry.set_alias"};
    if (strcmp(kind, kinds[t->reg_event]) || !same(str_or(payload, "model", subject), t->model))
        return 0;
    const char *detail = str_or(payload, "detail", NULL);
    char *got = NULL;
    int ok = 1;
    if (t->reg_event == TRIGGER_REG_STAGE_CHANGED && t->stage) {
        got = detail_stage(detail);
        ok = got && !strcasecmp(got, t->stage);
    } else if (t->reg_event == TRIGGER_REG_ALIAS_MOVED && t->alias) {
        got = detail_alias(detail);
        ok = same(got, t->alias);
    }
    free(got);
    return ok;
}

int trigger_event_matches(const struct trigger_spec *t, const char *kind, json_t *payload,
                          const char *subject)
{
    if (!kind)
        return 0;
    switch (t->kind) {
    case TRIGGER_SCHEDULE:
        return 0;
    case TRIGGER_ALERT:
        return !strcmp(kind, "alert.opened") && alert_matches(t, payload, subject);
    case TRIGGER_DATASET:
        if (!same(str_or(payload, "name", subject), t->dataset))
            return 0;
        if (!t->alias)
            return !strcmp(kind, "dataset.version_created");
        return !strcmp(kind, "dataset.alias_set") && same(str_or(payload, "alias", NULL), t->alias);
    case TRIGGER_REGISTRY:
        return registry_matches(t, kind, payload, subject);
    }
    return 0;
}
