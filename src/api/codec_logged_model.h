/* SPDX-License-Identifier: MIT
 * JSON shape of MLflow 3's LoggedModel (service.proto): {"info": {...},
 * "data": {"params": [...], "metrics": [...]}}, the status by name,
 * timestamps as numbers, empty and unset fields left out. */
#ifndef FERRY_API_CODEC_LOGGED_MODEL_H
#define FERRY_API_CODEC_LOGGED_MODEL_H

#include "base/ferr.h"
#include "domain/logged_model.h"

#include <jansson.h>

json_t *codec_logged_model_to_json(const struct logged_model *m);
/* The reverse, for clients: 0, or -1 with err naming what is malformed. */
int codec_logged_model_from_json(json_t *j, struct logged_model *out, struct ferr *err) WARN_UNUSED;

#endif
