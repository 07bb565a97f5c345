/* SPDX-License-Identifier: MIT
 * The model registry through a client, over either transport, with the
 * store's contracts (store/registry.h). */
#ifndef FERRY_CLIENT_CLIENT_REGISTRY_H
#define FERRY_CLIENT_CLIENT_REGISTRY_H

#include "client/client.h"
#include "store/registry.h"

int client_registry_write(struct client *c, struct reg_write *w, struct ferr *err) WARN_UNUSED;
int client_get_registered_model(struct client *c, const char *name, struct registered_model *out,
                                struct ferr *err) WARN_UNUSED;
int client_search_registered_models(struct client *c, const struct registry_search *q,
                                    struct registered_model_list *out,
                                    struct ferr *err) WARN_UNUSED;
int client_search_model_versions(struct client *c, const struct registry_search *q,
                                 struct model_version_list *out, struct ferr *err) WARN_UNUSED;
int client_registry_events(struct client *c, const char *name, struct registry_event_list *out,
                           struct ferr *err) WARN_UNUSED;
int client_resolve_model_uri(struct client *c, const char *uri, char **artifact_uri,
                             struct model_version *version, struct ferr *err) WARN_UNUSED;

#endif
