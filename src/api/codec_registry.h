/* SPDX-License-Identifier: MIT
 * JSON shapes of MLflow's model registry (model_registry.proto): empty and
 * unset fields are left out, versions are strings, timestamps numbers. */
#ifndef FERRY_API_CODEC_REGISTRY_H
#define FERRY_API_CODEC_REGISTRY_H

#include "domain/registry.h"

#include <jansson.h>

json_t *codec_model_version_to_json(const struct model_version *v);
json_t *codec_registered_model_to_json(const struct registered_model *m);
json_t *codec_model_version_list_to_json(const struct model_version_list *l);
json_t *codec_registry_event_to_json(const struct registry_event *e);

#endif
