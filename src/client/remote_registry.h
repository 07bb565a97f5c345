/* SPDX-License-Identifier: MIT
 * The registry half of the REST transport (remote_registry.c), for
 * remote.c's ops table. Contracts as in client_int.h. */
#ifndef FERRY_CLIENT_REMOTE_REGISTRY_H
#define FERRY_CLIENT_REMOTE_REGISTRY_H

#include "client/client_int.h"

int r_registry_write(struct client *c, struct reg_write *w, struct ferr *err);
int r_get_registered_model(struct client *c, const char *name, struct registered_model *out,
                           struct ferr *err);
int r_search_registered_models(struct client *c, const struct registry_search *q,
                               struct registered_model_list *out, struct ferr *err);
int r_search_model_versions(struct client *c, const struct registry_search *q,
                            struct model_version_list *out, struct ferr *err);
int r_registry_events(struct client *c, const char *name, struct registry_event_list *out,
                      struct ferr *err);
int r_resolve_model_uri(struct client *c, const char *uri, char **artifact_uri,
                        struct model_version *version, struct ferr *err);

#endif
