/* SPDX-License-Identifier: MIT */
#include "domain/logged_model.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char *const status_names[] = {
    "LOGGED_MODEL_STATUS_UNSPECIFIED",
    "LOGGED_MODEL_PENDING",
    "LOGGED_MODEL_READY",
    "LOGGED_MODEL_UPLOAD_FAILED",
};

const char *logged_model_status_name(enum logged_model_status s)
{
    return (unsigned)s < sizeof(status_names) / sizeof(*status_names) ? status_names[s]
                                                                      : status_names[0];
}

int logged_model_status_parse(const char *s, enum logged_model_status *out)
{
    if (!s)
        return -1;
    for (size_t i = 0; i < sizeof(status_names) / sizeof(*status_names); i++) {
        if (!strcmp(s, status_names[i]) || (s[0] == (char)('0' + i) && !s[1])) {
            *out = (enum logged_model_status)i;
            return 0;
        }
    }
    return -1;
}

int logged_model_id_valid(const char *s)
{
    if (!s || strncmp(s, "m-", 2) || strlen(s) != LOGGED_MODEL_ID_LEN)
        return 0;
    for (const char *p = s + 2; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return 0;
    return 1;
}

void logged_model_release(struct logged_model *m)
{
    if (!m)
        return;
    free(m->model_id);
    free(m->experiment_id);
    free(m->name);
    free(m->artifact_uri);
    free(m->status_message);
    free(m->model_type);
    free(m->source_run_id);
    kv_list_release(&m->tags);
    kv_list_release(&m->params);
    metric_list_release(&m->metrics);
    memset(m, 0, sizeof(*m));
}

void logged_model_list_release(struct logged_model_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        logged_model_release(&l->v[i]);
    free(l->v);
    free(l->next_page_token);
    memset(l, 0, sizeof(*l));
}
