/* SPDX-License-Identifier: MIT
 * What model-versions/create does around the registry write, as MLflow's
 * server does it (handlers.py _create_model_version, the registry's
 * create_model_version), on top of the tracking, logged-model and
 * registry areas:
 *   before: the source is checked (domain/model_source.h: a local source
 *   must lie in the artifacts of the run, or MLflow 3's logged model, the
 *   request names; any other must hold no relative reference); a models:/
 *   source is resolved to where its files are (the version's storage
 *   location, which get-download-uri answers); a version of a logged model
 *   takes the model's run when the request names none;
 *   after: the logged model's mlflow.modelVersions tag lists the version. */
#ifndef FERRY_STORE_VERSION_SOURCE_H
#define FERRY_STORE_VERSION_SOURCE_H

#include "base/ferr.h"
#include "domain/registry.h"
#include "store/store.h"

/* What store_version_prepare resolved; w points into it. */
struct version_source {
    char *storage_location;
    char *run_id;
};

/* Checks w (a REG_CREATE_VERSION) and fills w->storage_location and, for a
 * logged model without a run, w->run_id (owned by vs; release it after the
 * write). */
int store_version_prepare(struct store *s, struct reg_write *w, struct version_source *vs,
                          struct ferr *err) WARN_UNUSED;
void version_source_release(struct version_source *vs);

/* Adds {"name": name, "version": version} to the logged model's
 * mlflow.modelVersions tag (a JSON list), once. */
int store_version_link_model(struct store *s, const char *model_id, const char *name,
                             int64_t version, struct ferr *err) WARN_UNUSED;

#endif
