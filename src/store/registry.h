/* SPDX-License-Identifier: MIT
 * The model registry in the store: MLflow's registered models and model
 * versions (model_registry.proto), plus an audit trail ferry keeps of every
 * change. Same conventions as store.h: 0, or -1 with err set to MLflow's
 * code (RESOURCE_DOES_NOT_EXIST for an unknown model or version,
 * RESOURCE_ALREADY_EXISTS for a taken name, INVALID_PARAMETER_VALUE for bad
 * input); outputs are released with the domain *_release functions. `user`
 * is who acts, for the audit trail ("" when unknown). Writes change nothing
 * when they fail. */
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

/* Where the files of a model URI are, resolved in this one place:
 *   models:/<name>/<version>, models:/<name>/<stage> (the newest version in
 *   it), models:/<name>/latest, models:/<name>@<alias>, runs:/<run_id>/<path>.
 * A version whose source is a runs:/ URI is followed to the run's artifacts.
 * *artifact_uri gets a new string; version (may be NULL) the version the URI
 * named (empty for runs:/ URIs). */
int store_resolve_model_uri(struct store *s, const char *uri, char **artifact_uri,
                            struct model_version *version, struct ferr *err) WARN_UNUSED;

#endif
