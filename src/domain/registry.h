/* SPDX-License-Identifier: MIT
 * The model registry's entities, as MLflow's model_registry.proto has them:
 * registered models with tags, aliases and descriptions; numbered versions
 * with a stage, a source, an optional run, tags; and ferry's audit events. */
#ifndef FERRY_DOMAIN_REGISTRY_H
#define FERRY_DOMAIN_REGISTRY_H

#include "base/ferr.h"
#include "domain/domain.h"

#include <stddef.h>
#include <stdint.h>

/* MLflow's stages, canonical spelling. */
#define STAGE_NONE       "None"
#define STAGE_STAGING    "Staging"
#define STAGE_PRODUCTION "Production"
#define STAGE_ARCHIVED   "Archived"

/* The canonical stage for s, compared case-insensitively ("production" ->
 * "Production"); NULL when s is not a stage. */
const char *stage_canonical(const char *s);

struct model_version {
    char *name;
    int64_t version;
    int64_t creation_time, last_updated_time;
    char *description; /* NULL when never set */
    char *user_id;
    char *current_stage;
    char *source;
    char *run_id;   /* NULL when not from a run */
    char *run_link; /* NULL when not given */
    char *model_id; /* MLflow 3: the logged model registered; NULL: none */
    /* where the files are when source does not say it directly (a
     * models:/ source): what get-download-uri answers; NULL: the source */
    char *storage_location;
    char *status; /* READY (ferry registers synchronously) */
    char *status_message;
    struct kv_list tags;
    struct kv_list aliases; /* key: alias, value unused ("") */
};

void model_version_release(struct model_version *v);

struct model_version_list {
    struct model_version *v;
    size_t n, alloc;
    char *next_page_token;
};

void model_version_list_release(struct model_version_list *l);

struct registered_model {
    char *name;
    int64_t creation_time, last_updated_time;
    char *description;
    struct kv_list tags;
    struct kv_list aliases;                    /* key: alias, value: version number as text */
    struct model_version_list latest_versions; /* latest per stage */
};

void registered_model_release(struct registered_model *m);

struct registered_model_list {
    struct registered_model *v;
    size_t n, alloc;
    char *next_page_token;
};

void registered_model_list_release(struct registered_model_list *l);

/* One audit event: who did what to a model (or one of its versions), when. */
struct registry_event {
    int64_t time;
    char *user_id;
    char *action;    /* create_model, rename, delete_model, create_version, transition, ... */
    int64_t version; /* 0 when the event is about the model */
    char *detail;    /* e.g. "None -> Production", "old -> new" */
};

struct registry_event_list {
    struct registry_event *v;
    size_t n, alloc;
};

void registry_event_release(struct registry_event *e);
void registry_event_list_release(struct registry_event_list *l);

/* A search over models or versions. */
struct registry_search {
    const char *filter;
    int64_t max_results;
    const char **order_by;
    size_t norder_by;
    const char *page_token;
};

/* What a registry write does; fields not used by an action are ignored. */
enum reg_action {
    REG_CREATE_MODEL,
    REG_RENAME_MODEL,
    REG_UPDATE_MODEL,
    REG_DELETE_MODEL,
    REG_SET_MODEL_TAG,
    REG_DELETE_MODEL_TAG,
    REG_SET_ALIAS,
    REG_DELETE_ALIAS,
    REG_CREATE_VERSION,
    REG_UPDATE_VERSION,
    REG_DELETE_VERSION,
    REG_TRANSITION,
    REG_SET_VERSION_TAG,
    REG_DELETE_VERSION_TAG,
};

struct reg_write {
    enum reg_action action;
    const char *name;
    const char *user;
    const char *new_name;    /* rename */
    const char *description; /* create, update (NULL: leave as it is) */
    const char *key, *value; /* tags */
    const char *alias;
    int64_t version;                        /* versions and aliases */
    const char *stage;                      /* transition */
    int archive_existing;                   /* transition */
    const char *source, *run_id, *run_link; /* create version */
    const char *model_id;                   /* create version: a logged model's id */
    const char *storage_location;           /* create version: resolved from a models:/ source */
    struct kv_list tags;                    /* create: a shallow copy of the caller's */
    int64_t created_version;                /* out: the new version's number */
};

/* A model version as Python's int() reads it (" 12", "+12" -> 12); anything
 * else is MLflow's INVALID_PARAMETER_VALUE "Model version must be an
 * integer, got '...'". A number that names no version (0, -3) parses: the
 * lookup then finds nothing, as in MLflow. */
int registry_parse_version(const char *s, int64_t *out, struct ferr *err) WARN_UNUSED;

#endif
