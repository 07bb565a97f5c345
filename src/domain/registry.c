/* SPDX-License-Identifier: MIT */
#include "domain/registry.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

const char *stage_canonical(const char *s)
{
    static const char *const stages[] = {STAGE_NONE, STAGE_STAGING, STAGE_PRODUCTION,
                                         STAGE_ARCHIVED};
    for (size_t i = 0; s && i < sizeof(stages) / sizeof(stages[0]); i++)
        if (!strcasecmp(s, stages[i]))
            return stages[i];
    return NULL;
}

void model_version_release(struct model_version *v)
{
    free(v->name);
    free(v->description);
    free(v->user_id);
    free(v->current_stage);
    free(v->source);
    free(v->run_id);
    free(v->run_link);
    free(v->model_id);
    free(v->storage_location);
    free(v->status);
    free(v->status_message);
    kv_list_release(&v->tags);
    kv_list_release(&v->aliases);
    memset(v, 0, sizeof(*v));
}

void model_version_list_release(struct model_version_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        model_version_release(&l->v[i]);
    free(l->v);
    free(l->next_page_token);
    memset(l, 0, sizeof(*l));
}

void registered_model_release(struct registered_model *m)
{
    free(m->name);
    free(m->description);
    kv_list_release(&m->tags);
    kv_list_release(&m->aliases);
    model_version_list_release(&m->latest_versions);
    memset(m, 0, sizeof(*m));
}

void registered_model_list_release(struct registered_model_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        registered_model_release(&l->v[i]);
    free(l->v);
    free(l->next_page_token);
    memset(l, 0, sizeof(*l));
}

void registry_event_release(struct registry_event *e)
{
    free(e->user_id);
    free(e->action);
    free(e->detail);
    memset(e, 0, sizeof(*e));
}

void registry_event_list_release(struct registry_event_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        registry_event_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

int registry_parse_version(const char *s, int64_t *out, struct ferr *err)
{
    char *end;
    if (!s || !*s)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Missing value for required parameter 'version'. See the API docs for "
                        "more information about request parameters.");
    /* Python's int(): blanks around, a sign; a version that is no number
     * is MLflow's error, one that names no version (0, -1) is not found */
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    int digits = end > p && isdigit((unsigned char)end[-1]);
    while (isspace((unsigned char)*end))
        end++;
    if (!digits || errno || *end)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Model version must be an integer, got '%.60s'", s);
    *out = v;
    return 0;
}
