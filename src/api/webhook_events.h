/* SPDX-License-Identifier: MIT
 * Which webhook event a stream event is (store/deployments.h's events;
 * store/webhooks.h's names), and its MLflow payload ("data"):
 *
 *   registry.create_model    registered_model.created  {name, tags, description}
 *   registry.create_version  model_version.created     {name, version, source, run_id, tags,
 *                                                       description}
 *   registry.set_tag (of a version)    model_version_tag.set      {name, version, key, value}
 *   registry.delete_tag (of a version) model_version_tag.deleted  {name, version, key}
 *   registry.set_alias       model_version_alias.created {name, alias, version}
 *   registry.delete_alias    model_version_alias.deleted {name, alias}
 *   registry.transition      model_version.stage_changed {name, version, from_stage, to_stage}
 *   deployment.promote       deployment.promoted       the stream event's payload
 *   deployment.rollback      deployment.rolled_back    (deployment, action, revision,
 *                                                       change, status, reason)
 * A prompt (a registered model tagged mlflow.prompt.is_prompt = "true", as
 * MLflow marks them) gives the prompt events instead: prompt.created
 * {name, tags, description}, prompt_version.created {name, version,
 * template, tags, description}, prompt_tag.set|deleted (its model's tags:
 * {name, key[, value]}), prompt_version_tag.set|deleted,
 * prompt_alias.created|deleted; MLflow's own tags (mlflow.prompt.*) are
 * left out of the tags, as MLflow does. Other stream events are none.
 *
 * The event is on the stream, the data is read from the store when the
 * dispatcher maps it: tags, description, a tag's value are as they stand
 * then (MLflow sends what the request carried). What is gone by then (a
 * deleted version) leaves those fields empty; the event still goes out. */
#ifndef FERRY_API_WEBHOOK_EVENTS_H
#define FERRY_API_WEBHOOK_EVENTS_H

#include "base/ferr.h"
#include "store/deployment_record.h"
#include "store/store.h"

#include <jansson.h>

#define WEBHOOK_EVENT_MAX 48

/* The stream kinds that may map to a webhook event (for store_events_search). */
extern const char *const webhook_stream_kinds[];
extern const size_t webhook_stream_nkinds;

/* 1 with ev ("entity.action") and *data (a new reference) when e is a
 * webhook event, 0 when it is none, -1 with err when the store could not be
 * read (try again later). */
int webhook_map_event(struct store *s, const struct store_event *e, char ev[WEBHOOK_EVENT_MAX],
                      json_t **data, struct ferr *err);

#endif
