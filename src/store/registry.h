/* SPDX-License-Identifier: MIT
 * The model registry in the store: MLflow's registered models and model
 * versions (model_registry.proto), plus an audit trail ferry keeps of every
 * change. Same conventions as store.h: 0, or -1 with err set to MLflow's
 * code (RESOURCE_DOES_NOT_EXIST for an unknown model or version,
 * RESOURCE_ALREADY_EXISTS for a taken name, INVALID_PARAMETER_VALUE for bad
 * input; NOT_IMPLEMENTED from a backend without a registry); outputs are
 * released with the domain *_release functions. `user` is who acts, for the
 * audit trail ("" when unknown). Writes change nothing when they fail.
 * Model URIs are resolved in store/model_uri.h. */
#ifndef FERRY_STORE_REGISTRY_H
#define FERRY_STORE_REGISTRY_H

#include "domain/registry.h"
#include "store/store.h"

int store_registry_write(struct store *s, struct reg_write *w, struct ferr *err) WARN_UNUSED;

/* A model with its tags, aliases and latest version per stage. */
int store_get_registered_model(struct store *s, const char *name, struct registered_model *out,
                               struct ferr *err) WARN_UNUSED;
int store_get_model_version(struct store *s, const char *name, int64_t version,
                            struct model_version *out, struct ferr *err) WARN_UNUSED;
int store_get_version_by_alias(struct store *s, const char *name, const char *alias,
                               struct model_version *out, struct ferr *err) WARN_UNUSED;
/* The latest version in each of stages (all four when n is 0). */
int store_get_latest_versions(struct store *s, const char *name, const char *const *stages,
                              size_t n, struct model_version_list *out,
                              struct ferr *err) WARN_UNUSED;
int store_search_registered_models(struct store *s, const struct registry_search *q,
                                   struct registered_model_list *out, struct ferr *err) WARN_UNUSED;
int store_search_model_versions(struct store *s, const struct registry_search *q,
                                struct model_version_list *out, struct ferr *err) WARN_UNUSED;
/* The audit trail of a model, oldest first; also after the model is gone. */
int store_registry_events(struct store *s, const char *name, struct registry_event_list *out,
                          struct ferr *err) WARN_UNUSED;

/* ---------- the registry backend contract (see store/backend.h) ---------- */

/* Arguments arrive validated: names non-empty and at most 256 characters,
 * aliases as MLflow allows them, a write's fields as its action needs
 * them. Searches return at most page->limit rows after page->offset and
 * set page->more when rows follow; filters and order_by are the backend's
 * to parse (store/search_sql.h for SQL backends). Every write also appends
 * its event to the audit trail, in the same transaction. */
struct store_registry_ops {
    int (*write)(struct store *s, struct reg_write *w, struct ferr *err);
    int (*get_registered_model)(struct store *s, const char *name, struct registered_model *out,
                                struct ferr *err);
    int (*get_model_version)(struct store *s, const char *name, int64_t version,
                             struct model_version *out, struct ferr *err);
    int (*get_version_by_alias)(struct store *s, const char *name, const char *alias,
                                struct model_version *out, struct ferr *err);
    /* stages are checked here, after the model is found (n 0: all four). */
    int (*get_latest_versions)(struct store *s, const char *name, const char *const *stages,
                               size_t n, struct model_version_list *out, struct ferr *err);
    int (*search_registered_models)(struct store *s, const struct registry_search *q,
                                    struct store_page *page, struct registered_model_list *out,
                                    struct ferr *err);
    int (*search_model_versions)(struct store *s, const struct registry_search *q,
                                 struct store_page *page, struct model_version_list *out,
                                 struct ferr *err);
    /* The model's events, oldest first; none is not an error here. */
    int (*events)(struct store *s, const char *name, struct registry_event_list *out,
                  struct ferr *err);
};

#endif
