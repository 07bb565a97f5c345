/* SPDX-License-Identifier: MIT */
#include "domain/domain.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
    [RUN_STATUS_NONE] = "",      [RUN_RUNNING] = "RUNNING", [RUN_SCHEDULED] = "SCHEDULED",
    [RUN_FINISHED] = "FINISHED", [RUN_FAILED] = "FAILED",   [RUN_KILLED] = "KILLED",
};

const char *lifecycle_name(enum lifecycle l)
{
    return l == LIFECYCLE_DELETED ? "deleted" : "active";
}

int lifecycle_parse(const char *s, enum lifecycle *out)
{
    if (!strcmp(s, "active"))
        *out = LIFECYCLE_ACTIVE;
    else if (!strcmp(s, "deleted"))
        *out = LIFECYCLE_DELETED;
    else
        return -1;
    return 0;
}

const char *run_status_name(enum run_status s)
{
    if (s < RUN_RUNNING || s > RUN_KILLED)
        return "";
    return status_names[s];
}

int run_status_parse(const char *s, enum run_status *out)
{
    for (int i = RUN_RUNNING; i <= RUN_KILLED; i++) {
        if (!strcmp(s, status_names[i]) || (s[0] == '0' + i && !s[1])) {
            *out = (enum run_status)i;
            return 0;
        }
    }
    return -1;
}

int run_status_is_terminal(enum run_status s)
{
    return s == RUN_FINISHED || s == RUN_FAILED || s == RUN_KILLED;
}

const char *view_type_name(enum view_type v)
{
    switch (v) {
    case VIEW_DELETED_ONLY:
        return "DELETED_ONLY";
    case VIEW_ALL:
        return "ALL";
    default:
        return "ACTIVE_ONLY";
    }
}

int view_type_parse(const char *s, enum view_type *out)
{
    if (!strcmp(s, "ACTIVE_ONLY") || !strcmp(s, "1"))
        *out = VIEW_ACTIVE_ONLY;
    else if (!strcmp(s, "DELETED_ONLY") || !strcmp(s, "2"))
        *out = VIEW_DELETED_ONLY;
    else if (!strcmp(s, "ALL") || !strcmp(s, "3"))
        *out = VIEW_ALL;
    else
        return -1;
    return 0;
}

void kv_list_add(struct kv_list *l, const char *key, const char *value)
{
    ALLOC_GROW(l->v, l->n + 1, l->alloc);
    l->v[l->n].key = xstrdup(key);
    l->v[l->n].value = xstrdup(value ? value : "");
    l->n++;
}

void kv_list_set(struct kv_list *l, const char *key, const char *value)
{
    for (size_t i = 0; i < l->n; i++) {
        if (!strcmp(l->v[i].key, key)) {
            free(l->v[i].value);
            l->v[i].value = xstrdup(value ? value : "");
            return;
        }
    }
    kv_list_add(l, key, value);
}

const char *kv_list_get(const struct kv_list *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].key, key))
            return l->v[i].value;
    return NULL;
}

void kv_list_release(struct kv_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* Appends a point whose key is set by the caller. */
static struct metric *add_point(struct metric_list *l, double value, int64_t ts, int64_t step)
{
    ALLOC_GROW(l->v, l->n + 1, l->alloc);
    struct metric *m = &l->v[l->n++];
    memset(m, 0, sizeof(*m));
    m->value = value;
    m->timestamp = ts;
    m->step = step;
    return m;
}

void metric_list_add(struct metric_list *l, const char *key, double value, int64_t ts, int64_t step)
{
    add_point(l, value, ts, step)->key = xstrdup(key);
}

void metric_list_add_point(struct metric_list *l, const char *key, double value, int64_t ts,
                           int64_t step)
{
    char *prev = l->n ? l->v[l->n - 1].key : NULL;
    if (!prev || strcmp(prev, key)) {
        metric_list_add(l, key, value, ts, step);
        return;
    }
    struct metric *m = add_point(l, value, ts, step);
    m->key = prev;
    m->shares_key = 1;
}

void metric_release(struct metric *m)
{
    if (!m)
        return;
    if (!m->shares_key)
        free(m->key);
    free(m->run_id);
    free(m->model_id);
    free(m->dataset_name);
    free(m->dataset_digest);
    memset(m, 0, sizeof(*m));
}

void metric_list_release(struct metric_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        metric_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void model_ref_list_add(struct model_ref_list *l, const char *model_id, int64_t step)
{
    ALLOC_GROW(l->v, l->n + 1, l->alloc);
    l->v[l->n].model_id = xstrdup(model_id);
    l->v[l->n++].step = step;
}

void model_ref_list_release(struct model_ref_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].model_id);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void experiment_release(struct experiment *e)
{
    if (!e)
        return;
    free(e->experiment_id);
    free(e->name);
    free(e->artifact_location);
    kv_list_release(&e->tags);
    memset(e, 0, sizeof(*e));
}

void experiment_list_release(struct experiment_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        experiment_release(&l->v[i]);
    free(l->v);
    free(l->next_page_token);
    memset(l, 0, sizeof(*l));
}

void run_info_release(struct run_info *ri)
{
    if (!ri)
        return;
    free(ri->run_id);
    free(ri->run_name);
    free(ri->experiment_id);
    free(ri->user_id);
    free(ri->artifact_uri);
    memset(ri, 0, sizeof(*ri));
}

void dataset_input_release(struct dataset_input *di)
{
    if (!di)
        return;
    kv_list_release(&di->tags);
    free(di->dataset.name);
    free(di->dataset.digest);
    free(di->dataset.source_type);
    free(di->dataset.source);
    free(di->dataset.schema);
    free(di->dataset.profile);
    memset(di, 0, sizeof(*di));
}

void run_release(struct run *r)
{
    if (!r)
        return;
    run_info_release(&r->info);
    metric_list_release(&r->metrics);
    kv_list_release(&r->params);
    kv_list_release(&r->tags);
    for (size_t i = 0; i < r->ninputs; i++)
        dataset_input_release(&r->inputs[i]);
    free(r->inputs);
    model_ref_list_release(&r->model_inputs);
    model_ref_list_release(&r->model_outputs);
    memset(r, 0, sizeof(*r));
}

void run_list_release(struct run_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        run_release(&l->v[i]);
    free(l->v);
    free(l->next_page_token);
    memset(l, 0, sizeof(*l));
}

void dataset_summary_list_release(struct dataset_summary_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].experiment_id);
        free(l->v[i].name);
        free(l->v[i].digest);
        free(l->v[i].context);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}
