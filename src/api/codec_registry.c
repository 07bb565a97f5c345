/* SPDX-License-Identifier: MIT */
#include "api/codec_registry.h"
#include "api/codec.h"

#include <inttypes.h>
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
