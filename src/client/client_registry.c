/* SPDX-License-Identifier: MIT */
#include "client/client_registry.h"
#include "client/client_int.h"
#include "client/transport.h"
#include "api/registry_ops.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int client_registry_write(struct client *c, struct reg_write *w, struct ferr *err)
{
    const struct api_op *op = api_registry_write_op(w->action);
    struct rs_reg_write r = {NULL, NULL};
    if (!w->name || !*w->name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the registered model name");
    if (!op)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "unknown registry action %d",
                        (int)w->action);
    /* The answer matters only for a new version's number (over REST; an
     * embedded write sets it in w itself). */
    int want = w->action == REG_CREATE_VERSION && c->http;
    if (client_call(c, op, w, want ? &r : NULL, err))
        return -1;
    if (want) {
        int rc = r.model_version ? 0
                                 : ferr_set(err, FERR_IO_ERROR,
                                            "model-versions/create: the answer has no version");
        if (!rc)
            w->created_version = r.model_version->version;
        api_release_response(op, &r);
        return rc;
    }
    return 0;
}

int client_get_registered_model(struct client *c, const char *name, struct registered_model *out,
                                struct ferr *err)
{
    struct rq_model_name q = {name};
    struct rs_registered_model r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (!name || !*name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the registered model name");
    if (client_call(c, &api_registered_models_get, &q, &r, err))
        return -1;
    *out = r.registered_model;
    return 0;
}

int client_search_registered_models(struct client *c, const struct registry_search *q,
                                    struct registered_model_list *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    return client_call(c, &api_registered_models_search, (void *)q, out, err);
}

int client_search_model_versions(struct client *c, const struct registry_search *q,
                                 struct model_version_list *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    return client_call(c, &api_model_versions_search, (void *)q, out, err);
}

int client_registry_events(struct client *c, const char *name, struct registry_event_list *out,
                           struct ferr *err)
{
    struct rq_model_name q = {name};
    struct rs_registry_history r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (!name || !*name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the registered model name");
    if (client_call(c, &api_registry_history, &q, &r, err))
        return -1;
    *out = r.events;
    free(r.name);
    return 0;
}

int client_resolve_model_uri(struct client *c, const char *uri, char **artifact_uri,
                             struct model_version *version, struct ferr *err)
{
    struct rq_model_uri q = {uri};
    struct rs_model_uri r = {NULL, NULL, NULL};
    *artifact_uri = NULL;
    if (version)
        memset(version, 0, sizeof(*version));
    if (!uri || !*uri)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the model URI");
    if (client_call(c, &api_models_resolve, &q, &r, err))
        return -1;
    if (!r.artifact_uri) {
        api_release_response(&api_models_resolve, &r);
        return ferr_set(err, FERR_IO_ERROR, "the server did not resolve '%.200s'", uri);
    }
    *artifact_uri = r.artifact_uri;
    r.artifact_uri = NULL;
    if (version && r.model_version) {
        *version = *r.model_version;
        free(r.model_version);
        r.model_version = NULL;
    }
    api_release_response(&api_models_resolve, &r);
    return 0;
}
