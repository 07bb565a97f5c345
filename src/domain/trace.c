/* SPDX-License-Identifier: MIT */
#include "domain/trace.h"
#include "base/sbuf.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char *const status_names[] = {"TRACE_STATUS_UNSPECIFIED", "OK", "ERROR",
                                           "IN_PROGRESS"};

const char *trace_status_name(enum trace_status s)
{
    return s >= TRACE_OK && s <= TRACE_IN_PROGRESS ? status_names[s] : status_names[0];
}

const char *trace_state_name(enum trace_status s)
{
    return s >= TRACE_OK && s <= TRACE_IN_PROGRESS ? status_names[s] : "STATE_UNSPECIFIED";
}

int trace_status_parse(const char *s, enum trace_status *out)
{
    for (int i = TRACE_STATUS_UNSPECIFIED; i <= TRACE_IN_PROGRESS; i++) {
        if (!strcmp(s, status_names[i]) || (s[0] == '0' + i && !s[1])) {
            *out = (enum trace_status)i;
            return 0;
        }
    }
    if (strcmp(s, "STATE_UNSPECIFIED"))
        return -1;
    *out = TRACE_STATUS_UNSPECIFIED;
    return 0;
}

void trace_info_release(struct trace_info *t)
{
    if (!t)
        return;
    free(t->request_id);
    free(t->experiment_id);
    kv_list_release(&t->request_metadata);
    kv_list_release(&t->tags);
    free(t->client_request_id);
    free(t->request_preview);
    free(t->response_preview);
    memset(t, 0, sizeof(*t));
}

void trace_info_list_release(struct trace_info_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        trace_info_release(&l->v[i]);
    free(l->v);
    free(l->next_page_token);
    memset(l, 0, sizeof(*l));
}

void trace_artifact_location(struct sbuf *out, const char *experiment_location,
                             const char *request_id)
{
    size_t n = strlen(experiment_location);
    while (n > 1 && experiment_location[n - 1] == '/')
        n--;
    sbuf_add(out, experiment_location, n);
    sbuf_addf(out, "/%s/%s/artifacts", TRACE_FOLDER, request_id);
}
