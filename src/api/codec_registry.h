/* SPDX-License-Identifier: MIT
 * JSON shapes of MLflow's model registry (model_registry.proto): empty and
 * unset fields are left out, versions are strings, timestamps numbers. */
#ifndef FERRY_API_CODEC_REGISTRY_H
#define FERRY_API_CODEC_REGISTRY_H

#include "base/ferr.h"
#include "domain/registry.h"

#include <jansson.h>

json_t *codec_model_version_to_json(const struct model_version *v);
json_t *codec_registered_model_to_json(const struct registered_model *m);
json_t *codec_model_version_list_to_json(const struct model_version_list *l);
json_t *codec_registry_event_to_json(const struct registry_event *e);

/* The reverse, for clients: 0, or -1 with err naming what is malformed. */
int codec_model_version_from_json(json_t *j, struct model_version *out,
                                  struct ferr *err) WARN_UNUSED;
int codec_registered_model_from_json(json_t *j, struct registered_model *out,
                                     struct ferr *err) WARN_UNUSED;
int codec_registry_event_from_json(json_t *j, struct registry_event *out,
                                   struct ferr *err) WARN_UNUSED;

#endif
