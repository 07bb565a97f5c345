/* SPDX-License-Identifier: MIT
 * api/webhook_events.h: stream events (the registry's audit details, see
 * store/sqlite/sqlite_registry.c's and pg_registry.c's) into MLflow's
 * webhook events and payloads. */
#include "api/webhook_events.h"
#include "domain/registry.h"
#include "store/registry.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define PROMPT_TAG      "mlflow.prompt.is_prompt"
#define PROMPT_TEXT_TAG "mlflow.prompt.text"
#define PROMPT_PREFIX   "mlflow.prompt."

const char *const webhook_stream_kinds[] = {
    "registry.create_model", "registry.create_version", "registry.set_tag",
    "registry.delete_tag",   "registry.set_alias",      "registry.delete_alias",
    "registry.transition",   "deployment.promote",      "deployment.rollback",
};
const size_t webhook_stream_nkinds = sizeof(webhook_stream_kinds) / sizeof(*webhook_stream_kinds);

static const char *kv_get(const struct kv_list *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].key, key))
            return l->v[i].value;
    return NULL;
}

/* {key: value} of l; prompt: without MLflow's mlflow.prompt.* tags. */
static json_t *tags_json(const struct kv_list *l, int prompt)
{
    json_t *o = json_object();
    for (size_t i = 0; l && i < l->n; i++)
        if (!prompt || strncmp(l->v[i].key, PROMPT_PREFIX, strlen(PROMPT_PREFIX)))
            json_object_set_new(o, l->v[i].key, json_string(l->v[i].value ? l->v[i].value : ""));
    return o;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *version_text(int64_t v)
{
    char b[24];
    snprintf(b, sizeof(b), "%" PRId64, v);
    return json_string(b);
}

/* The model (found: 1), 0 when it is gone, -1 on a store failure. */
static int get_model(struct store *s, const char *name, struct registered_model *m,
                     struct ferr *err)
{
    memset(m, 0, sizeof(*m));
    if (!store_get_registered_model(s, name, m, err))
        return 1;
    return err->code == FERR_RESOURCE_DOES_NOT_EXIST ? 0 : -1;
}

static int get_version(struct store *s, const char *name, int64_t v, struct model_version *mv,
                       struct ferr *err)
{
    memset(mv, 0, sizeof(*mv));
    if (v > 0 && !store_get_model_version(s, name, v, mv, err))
        return 1;
    return v <= 0 || err->code == FERR_RESOURCE_DOES_NOT_EXIST ? 0 : -1;
}

/* "@alias..." -> alias into out. */
static void alias_of(const char *detail, char *out, size_t n)
{
    const char *p = detail && detail[0] == '@' ? detail + 1 : "";
    size_t k = strcspn(p, ": ");
    snprintf(out, n, "%.*s", (int)(k < n - 1 ? k : n - 1), p);
}

static int registry_event(struct store *s, const char *action, const char *name, int64_t version,
                          const char *detail, char ev[WEBHOOK_EVENT_MAX], json_t **data,
                          struct ferr *err)
{
    struct registered_model m;
    struct model_version mv;
    int found = get_model(s, name, &m, err);
    if (found < 0)
        return -1;
    const char *flag = found ? kv_get(&m.tags, PROMPT_TAG) : NULL;
    int prompt = flag && !strcmp(flag, "true");
    int have_v = 0, rc = 1;
    json_t *d = NULL;
    if (!strcmp(action, "create_version") || !strcmp(action, "set_tag")) {
        have_v = get_version(s, name, version, &mv, err);
        if (have_v < 0) {
            if (found)
                registered_model_release(&m);
            return -1;
        }
    }
    if (!strcmp(action, "create_model")) {
        snprintf(ev, WEBHOOK_EVENT_MAX, "%s", prompt ? "prompt.created" : "registered_model.created");
        d = json_pack("{s:s, s:o, s:o}", "name", name, "tags",
                      tags_json(found ? &m.tags : NULL, prompt), "description",
                      str_or_null(found ? m.description : NULL));
    } else if (!strcmp(action, "create_version")) {
        snprintf(ev, WEBHOOK_EVENT_MAX, "%s",
                 prompt ? "prompt_version.created" : "model_version.created");
        json_t *tags = tags_json(have_v ? &mv.tags : NULL, prompt);
        json_t *desc = str_or_null(have_v ? mv.description : NULL);
        if (prompt)
            d = json_pack("{s:s, s:o, s:o, s:o, s:o}", "name", name, "version",
                          version_text(version), "template",
                          str_or_null(have_v ? kv_get(&mv.tags, PROMPT_TEXT_TAG) : NULL), "tags",
                          tags, "description", desc);
        else
            d = json_pack("{s:s, s:o, s:s, s:o, s:o, s:o}", "name", name, "version",
                          version_text(version), "source",
                          have_v && mv.source ? mv.source : (detail ? detail : ""), "run_id",
                          str_or_null(have_v && mv.run_id && *mv.run_id ? mv.run_id : NULL),
                          "tags", tags, "description", desc);
    } else if (!strcmp(action, "set_tag") || !strcmp(action, "delete_tag")) {
        int set = !strcmp(action, "set_tag");
        const char *key = detail ? detail : "";
        if (!version && !prompt) {
            rc = 0; /* a registered model's tag: MLflow sends nothing */
        } else if (!version) {
            snprintf(ev, WEBHOOK_EVENT_MAX, "prompt_tag.%s", set ? "set" : "deleted");
            d = json_pack("{s:s, s:s}", "name", name, "key", key);
            if (set) {
                const char *v = found ? kv_get(&m.tags, key) : NULL;
                json_object_set_new(d, "value", json_string(v ? v : ""));
            }
        } else {
            snprintf(ev, WEBHOOK_EVENT_MAX, "%s.%s",
                     prompt ? "prompt_version_tag" : "model_version_tag", set ? "set" : "deleted");
            d = json_pack("{s:s, s:o, s:s}", "name", name, "version", version_text(version), "key",
                          key);
            if (set) {
                const char *v = have_v ? kv_get(&mv.tags, key) : NULL;
                json_object_set_new(d, "value", json_string(v ? v : ""));
            }
        }
    } else if (!strcmp(action, "set_alias") || !strcmp(action, "delete_alias")) {
        char alias[256];
        int set = !strcmp(action, "set_alias");
        alias_of(detail, alias, sizeof(alias));
        snprintf(ev, WEBHOOK_EVENT_MAX, "%s.%s", prompt ? "prompt_alias" : "model_version_alias",
                 set ? "created" : "deleted");
        d = json_pack("{s:s, s:s}", "name", name, "alias", alias);
        if (set)
            json_object_set_new(d, "version", version_text(version));
    } else if (!strcmp(action, "transition") && !prompt) {
        /* "<from> -> <to>[ (archive_existing_versions)]" */
        char from[32] = "", to[32] = "";
        const char *arrow = detail ? strstr(detail, " -> ") : NULL;
        if (arrow) {
            size_t fl = (size_t)(arrow - detail), tl = strcspn(arrow + 4, " ");
            snprintf(from, sizeof(from), "%.*s", (int)(fl < 31 ? fl : 31), detail);
            snprintf(to, sizeof(to), "%.*s", (int)(tl < 31 ? tl : 31), arrow + 4);
        }
        snprintf(ev, WEBHOOK_EVENT_MAX, "model_version.stage_changed");
        d = json_pack("{s:s, s:o, s:s, s:s}", "name", name, "version", version_text(version),
                      "from_stage", from, "to_stage", to);
    } else {
        rc = 0;
    }
    if (have_v > 0)
        model_version_release(&mv);
    if (found)
        registered_model_release(&m);
    *data = d;
    return rc && d ? 1 : 0;
}

int webhook_map_event(struct store *s, const struct store_event *e, char ev[WEBHOOK_EVENT_MAX],
                      json_t **data, struct ferr *err)
{
    *data = NULL;
    ev[0] = '\0';
    if (!e->kind)
        return 0;
    if (!strcmp(e->kind, "deployment.promote") || !strcmp(e->kind, "deployment.rollback")) {
        json_t *p = json_loads(e->payload ? e->payload : "{}", 0, NULL);
        if (!json_is_object(p)) {
            json_decref(p);
            p = json_pack("{s:s}", "deployment", e->subject ? e->subject : "");
        }
        snprintf(ev, WEBHOOK_EVENT_MAX, "%s",
                 !strcmp(e->kind, "deployment.promote") ? "deployment.promoted"
                                                        : "deployment.rolled_back");
        *data = p;
        return 1;
    }
    if (strncmp(e->kind, "registry.", 9))
        return 0;
    json_t *p = json_loads(e->payload ? e->payload : "{}", 0, NULL);
    const char *model = json_string_value(json_object_get(p, "model"));
    const char *detail = json_string_value(json_object_get(p, "detail"));
    int64_t version = json_integer_value(json_object_get(p, "version"));
    if (!model)
        model = e->subject;
    int rc = model ? registry_event(s, e->kind + 9, model, version, detail, ev, data, err) : 0;
    json_decref(p);
    return rc;
}
