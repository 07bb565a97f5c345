/* SPDX-License-Identifier: MIT
 * Model URIs, resolved in this one place (the server's resolve and lineage
 * endpoints, the client, serving), on top of the store's tracking and
 * registry areas. */
#ifndef FERRY_STORE_MODEL_URI_H
#define FERRY_STORE_MODEL_URI_H

#include "base/ferr.h"
#include "domain/registry.h"
#include "store/store.h"

/* Where the files of a model URI are:
 *   models:/<name>/<version>, models:/<name>/<stage> (the newest version in
 *   it), models:/<name>/latest, models:/<name>@<alias>, runs:/<run_id>/<path>,
 *   and MLflow 3's models:/<model_id> (a logged model's artifact location).
 * A version's files are where its storage location says (a version made
 * from a models:/ source), else its source; a runs:/ or models:/<model_id>
 * there is followed once.
 * *artifact_uri gets a new string; version (may be NULL) the version the URI
 * named (empty for runs:/ URIs). */
int store_resolve_model_uri(struct store *s, const char *uri, char **artifact_uri,
                            struct model_version *version, struct ferr *err) WARN_UNUSED;

/* The registered version a models:/<name>/<version|stage|latest> or
 * models:/<name>@<alias> URI names, its location not followed. */
int store_find_model_version(struct store *s, const char *uri, struct model_version *out,
                             struct ferr *err) WARN_UNUSED;

#endif
