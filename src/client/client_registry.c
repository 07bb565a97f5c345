/* SPDX-License-Identifier: MIT */
#include "client/client_registry.h"
#include "client/client_int.h"

#include <string.h>

#include "base/banned.h"

int client_registry_write(struct client *c, struct reg_write *w, struct ferr *err)
{
    if (!w->name || !*w->name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the registered model name");
    return c->ops->registry_write(c, w, err);
}

int client_get_registered_model(struct client *c, const char *name, struct registered_model *out,
                                struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!name || !*name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the registered model name");
    return c->ops->get_registered_model(c, name, out, err);
}

int client_search_registered_models(struct client *c, const struct registry_search *q,
                                    struct registered_model_list *out, struct ferr *err)
{
    return c->ops->search_registered_models(c, q, out, err);
}

int client_search_model_versions(struct client *c, const struct registry_search *q,
                                 struct model_version_list *out, struct ferr *err)
{
    return c->ops->search_model_versions(c, q, out, err);
}

int client_registry_events(struct client *c, const char *name, struct registry_event_list *out,
                           struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!name || !*name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the registered model name");
    return c->ops->registry_events(c, name, out, err);
}

int client_resolve_model_uri(struct client *c, const char *uri, char **artifact_uri,
                             struct model_version *version, struct ferr *err)
{
    *artifact_uri = NULL;
    if (!uri || !*uri)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the model URI");
    return c->ops->resolve_model_uri(c, uri, artifact_uri, version, err);
}
