/* SPDX-License-Identifier: MIT */
#include "client/client_triggers.h"
#include "client/transport.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int client_trigger_apply(struct client *c, json_t *spec, int64_t expect_revision,
                         struct api_trigger *out, int *changed, struct ferr *err)
{
    struct rq_trigger_apply q = {spec, NULL, expect_revision};
    struct rs_trigger_apply r;
    memset(&r, 0, sizeof(r));
    memset(out, 0, sizeof(*out));
    if (client_call(c, &api_triggers_apply, &q, &r, err))
        return -1;
    *out = r.trigger;
    if (changed)
        *changed = r.changed;
    return 0;
}

int client_trigger_get(struct client *c, const char *name, struct api_trigger *out,
                       struct ferr *err)
{
    struct rq_trigger_name q = {name};
    struct rs_trigger r;
    memset(&r, 0, sizeof(r));
    memset(out, 0, sizeof(*out));
    if (client_call(c, &api_triggers_get, &q, &r, err))
        return -1;
    *out = r.trigger;
    return 0;
}

int client_trigger_list(struct client *c, struct api_trigger_list *out, struct ferr *err)
{
    int none = 0;
    memset(out, 0, sizeof(*out));
    return client_call(c, &api_triggers_list, &none, out, err);
}

int client_trigger_delete(struct client *c, const char *name, struct ferr *err)
{
    struct rq_trigger_name q = {name};
    return client_call(c, &api_triggers_delete, &q, NULL, err);
}

int client_trigger_history(struct client *c, const char *name, int64_t max, const char *page_token,
                           struct trigger_firing_list *out, char **next_page_token,
                           struct ferr *err)
{
    struct rq_trigger_history q = {name, max > 0 ? max : TRIGGER_HISTORY_DEFAULT, page_token};
    struct rs_trigger_history r;
    memset(&r, 0, sizeof(r));
    memset(out, 0, sizeof(*out));
    *next_page_token = NULL;
    if (client_call(c, &api_triggers_history, &q, &r, err))
        return -1;
    out->v = r.v;
    out->n = r.n;
    out->alloc = r.alloc;
    *next_page_token = r.next_page_token;
    return 0;
}

int client_trigger_fire(struct client *c, const char *name, json_t *params,
                        struct trigger_firing *out, struct ferr *err)
{
    struct rq_trigger_fire q = {name, params};
    struct rs_trigger_fire r;
    memset(&r, 0, sizeof(r));
    memset(out, 0, sizeof(*out));
    if (client_call(c, &api_triggers_fire, &q, &r, err))
        return -1;
    *out = r.firing;
    return 0;
}
