/* SPDX-License-Identifier: MIT */
#include "api/codec_registry.h"
#include "api/codec.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "base/banned.h"

static void set_str(json_t *o, const char *key, const char *v)
{
    if (v)
        json_object_set_new(o, key, json_string(v));
}

static void set_tags(json_t *o, const struct kv_list *tags)
{
    if (tags->n)
        json_object_set_new(o, "tags", codec_kv_list_to_json(tags));
}

json_t *codec_model_version_to_json(const struct model_version *v)
{
    char num[24];
    snprintf(num, sizeof(num), "%" PRId64, v->version);
    json_t *o = json_pack("{s:s, s:s, s:I, s:I}", "name", v->name, "version", num,
                          "creation_timestamp", (json_int_t)v->creation_time,
                          "last_updated_timestamp", (json_int_t)v->last_updated_time);
    if (v->user_id && *v->user_id)
        set_str(o, "user_id", v->user_id);
    set_str(o, "current_stage", v->current_stage);
    set_str(o, "description", v->description);
    set_str(o, "source", v->source);
    set_str(o, "run_id", v->run_id);
    set_str(o, "status", v->status);
    set_str(o, "status_message", v->status_message);
    set_tags(o, &v->tags);
    set_str(o, "run_link", v->run_link);
    set_str(o, "model_id", v->model_id);
    if (v->aliases.n) {
        json_t *a = json_array();
        for (size_t i = 0; i < v->aliases.n; i++)
            json_array_append_new(a, json_string(v->aliases.v[i].key));
        json_object_set_new(o, "aliases", a);
    }
    return o;
}

json_t *codec_model_version_list_to_json(const struct model_version_list *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, codec_model_version_to_json(&l->v[i]));
    return a;
}

json_t *codec_registered_model_to_json(const struct registered_model *m)
{
    json_t *o = json_pack("{s:s, s:I, s:I}", "name", m->name, "creation_timestamp",
                          (json_int_t)m->creation_time, "last_updated_timestamp",
                          (json_int_t)m->last_updated_time);
    set_str(o, "description", m->description);
    if (m->latest_versions.n)
        json_object_set_new(o, "latest_versions",
                            codec_model_version_list_to_json(&m->latest_versions));
    set_tags(o, &m->tags);
    if (m->aliases.n) {
        json_t *a = json_array();
        for (size_t i = 0; i < m->aliases.n; i++)
            json_array_append_new(a, json_pack("{s:s, s:s}", "alias", m->aliases.v[i].key,
                                               "version", m->aliases.v[i].value));
        json_object_set_new(o, "aliases", a);
    }
    return o;
}

json_t *codec_registry_event_to_json(const struct registry_event *e)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "timestamp", (json_int_t)e->time, "user_id",
                          e->user_id, "action", e->action, "detail", e->detail);
    if (e->version) {
        char num[24];
        snprintf(num, sizeof(num), "%" PRId64, e->version);
        json_object_set_new(o, "version", json_string(num));
    }
    return o;
}

static char *dup_field(json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? xstrdup(s) : NULL;
}

static int64_t int_field(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_string(v))
        return strtoll(json_string_value(v), NULL, 10);
    return 0;
}

int codec_model_version_from_json(json_t *j, struct model_version *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j) || !json_string_value(json_object_get(j, "name")))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed model version");
    out->name = dup_field(j, "name");
    out->version = int_field(j, "version");
    out->creation_time = int_field(j, "creation_timestamp");
    out->last_updated_time = int_field(j, "last_updated_timestamp");
    out->description = dup_field(j, "description");
    out->user_id = dup_field(j, "user_id");
    out->current_stage = dup_field(j, "current_stage");
    out->source = dup_field(j, "source");
    out->run_id = dup_field(j, "run_id");
    out->run_link = dup_field(j, "run_link");
    out->model_id = dup_field(j, "model_id");
    out->status = dup_field(j, "status");
    out->status_message = dup_field(j, "status_message");
    if (!out->current_stage)
        out->current_stage = xstrdup(STAGE_NONE);
    if (!out->source)
        out->source = xstrdup("");
    json_t *a = json_object_get(j, "aliases"), *it;
    size_t i;
    json_array_foreach(a, i, it)
    {
        if (json_is_string(it))
            kv_list_add(&out->aliases, json_string_value(it), "");
    }
    if (codec_kv_list_from_json(json_object_get(j, "tags"), "tags", &out->tags, err)) {
        model_version_release(out);
        return -1;
    }
    return 0;
}

int codec_registered_model_from_json(json_t *j, struct registered_model *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j) || !json_string_value(json_object_get(j, "name")))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed registered model");
    out->name = dup_field(j, "name");
    out->creation_time = int_field(j, "creation_timestamp");
    out->last_updated_time = int_field(j, "last_updated_timestamp");
    out->description = dup_field(j, "description");
    json_t *it;
    size_t i;
    json_array_foreach(json_object_get(j, "aliases"), i, it)
    {
        const char *alias = json_string_value(json_object_get(it, "alias"));
        const char *version = json_string_value(json_object_get(it, "version"));
        if (alias)
            kv_list_add(&out->aliases, alias, version ? version : "");
    }
    json_array_foreach(json_object_get(j, "latest_versions"), i, it)
    {
        struct model_version_list *l = &out->latest_versions;
        ALLOC_GROW(l->v, l->n + 1, l->alloc);
        if (codec_model_version_from_json(it, &l->v[l->n], err)) {
            registered_model_release(out);
            return -1;
        }
        l->n++;
    }
    if (codec_kv_list_from_json(json_object_get(j, "tags"), "tags", &out->tags, err)) {
        registered_model_release(out);
        return -1;
    }
    return 0;
}

int codec_registry_event_from_json(json_t *j, struct registry_event *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed registry event");
    const char *v = json_string_value(json_object_get(j, "version"));
    out->time = int_field(j, "timestamp");
    out->user_id = dup_field(j, "user_id");
    out->action = dup_field(j, "action");
    out->detail = dup_field(j, "detail");
    out->version = v ? strtoll(v, NULL, 10) : 0;
    if (!out->user_id)
        out->user_id = xstrdup("");
    if (!out->action)
        out->action = xstrdup("");
    if (!out->detail)
        out->detail = xstrdup("");
    return 0;
}
