/* SPDX-License-Identifier: MIT
 * The store front: picks a backend from the URI, and for the tracking area
 * (experiments and runs) does what every backend would do alike before
 * calling it: argument checks through domain/validate.h, in the order the
 * checks have always run (which error wins when a request has several
 * problems is part of the API), experiment ids parsed, page tokens turned
 * into an offset and back, run names and ids generated. What needs the
 * database (existence, lifecycle rules, param immutability) is the
 * backend's, behind s->tracking (store/backend.h). */
#include "store/store.h"
#include "base/json.h"
#include "store/backend.h"
#include "store/postgres/postgres.h"
#include "store/uri.h"
#include "store/sqlite/sqlite.h"
#include "base/ftime.h"
#include "base/ids.h"
#include "base/page_token.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define AREA "tracking"

int store_page_open(struct store_page *page, int64_t limit, int64_t max, const char *token,
                    struct ferr *err)
{
    page->offset = 0;
    page->limit = limit;
    page->more = 0;
    if (validate_max_results(limit, max, err) ||
        (token && *token && page_token_decode(token, &page->offset, err)))
        return -1;
    return 0;
}

void store_page_close(const struct store_page *page, char **next_token)
{
    *next_token = NULL;
    if (page->more)
        page_token_encode(page->offset + page->limit, next_token);
}

int store_open(const char *uri, const struct store_opts *opts, struct store **out, struct ferr *err)
{
    static const struct store_opts defaults = STORE_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    const char *path = store_uri_sqlite_path(uri);
    if (path)
        return store_sqlite_open(path, opts, out, err);
    if (store_uri_is_postgres(uri))
        return store_postgres_open(uri, opts, out, err);
    char *shown = store_uri_redacted(uri);
    ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
             "unsupported backend store uri '%s' (use sqlite:///path, "
             "postgresql://user@host/db or a file path)",
             shown);
    free(shown);
    return -1;
}

void store_close(struct store *s)
{
    if (s)
        s->ops->close(s);
}

void store_release_memory(struct store *s)
{
    if (s && s->ops->release_memory)
        s->ops->release_memory(s);
}

int store_ping(struct store *s, struct ferr *err)
{
    return s->ops->ping ? s->ops->ping(s, err) : 0;
}

int store_schema_version(struct store *s)
{
    return s->ops->schema_version(s);
}

const char *store_default_artifact_root(struct store *s)
{
    return s->default_artifact_root;
}

/* ---------- experiments ---------- */

static int parse_experiment_id(const char *id, int64_t *out, struct ferr *err)
{
    if (validate_experiment_id(id, err))
        return -1;
    *out = strtoll(id, NULL, 10);
    return 0;
}

int store_create_experiment(struct store *s, const char *name, const char *artifact_location,
                            const struct kv_list *tags, char **id_out, struct ferr *err)
{
    int64_t id;
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (validate_experiment_name(name, err) || validate_artifact_location(artifact_location, err))
        return -1;
    for (size_t i = 0; tags && i < tags->n; i++)
        if (validate_experiment_tag(tags->v[i].key, tags->v[i].value, err))
            return -1;
    if (s->tracking->create_experiment(s, name, artifact_location, tags, &id, err))
        return -1;
    if (id_out) {
        char buf[24];
        snprintf(buf, sizeof(buf), "%" PRId64, id);
        *id_out = xstrdup(buf);
    }
    return 0;
}

int store_get_experiment(struct store *s, const char *id, struct experiment *out, struct ferr *err)
{
    int64_t eid;
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (parse_experiment_id(id, &eid, err))
        return -1;
    return s->tracking->get_experiment(s, eid, out, err);
}

int store_get_experiment_by_name(struct store *s, const char *name, struct experiment *out,
                                 struct ferr *err)
{
    if (!name) /* no name reads as no id, as it always has */
        return store_get_experiment(s, NULL, out, err);
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    return s->tracking->get_experiment_by_name(s, name, out, err);
}

int store_search_experiments(struct store *s, const struct experiment_search *q,
                             struct experiment_list *out, struct ferr *err)
{
    struct store_page page;
    memset(out, 0, sizeof(*out));
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (store_page_open(&page, q->max_results, MAX_RESULTS_SEARCH_EXPERIMENTS, q->page_token,
                        err) ||
        s->tracking->search_experiments(s, q, &page, out, err))
        return -1;
    store_page_close(&page, &out->next_page_token);
    return 0;
}

int store_rename_experiment(struct store *s, const char *id, const char *new_name, struct ferr *err)
{
    int64_t eid;
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (parse_experiment_id(id, &eid, err) || validate_experiment_name(new_name, err))
        return -1;
    return s->tracking->rename_experiment(s, eid, new_name, err);
}

static int set_experiment_lifecycle(struct store *s, const char *id, enum lifecycle to,
                                    struct ferr *err)
{
    int64_t eid;
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (parse_experiment_id(id, &eid, err))
        return -1;
    return s->tracking->set_experiment_lifecycle(s, eid, to, err);
}

int store_delete_experiment(struct store *s, const char *id, struct ferr *err)
{
    return set_experiment_lifecycle(s, id, LIFECYCLE_DELETED, err);
}

int store_restore_experiment(struct store *s, const char *id, struct ferr *err)
{
    return set_experiment_lifecycle(s, id, LIFECYCLE_ACTIVE, err);
}

/* value NULL deletes the tag. */
static int set_experiment_tag(struct store *s, const char *id, const char *key, const char *value,
                              struct ferr *err)
{
    int64_t eid;
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (parse_experiment_id(id, &eid, err))
        return -1;
    if (value             ? validate_experiment_tag(key, value, err)
        : (!key || !*key) ? fjson_missing(err, "key")
                          : 0)
        return -1;
    return s->tracking->set_experiment_tag(s, eid, key, value, err);
}

int store_set_experiment_tag(struct store *s, const char *id, const char *key, const char *value,
                             struct ferr *err)
{
    return set_experiment_tag(s, id, key, value, err);
}

int store_delete_experiment_tag(struct store *s, const char *id, const char *key, struct ferr *err)
{
    return set_experiment_tag(s, id, key, NULL, err);
}

/* ---------- runs ---------- */

/* The run name wins over the mlflow.runName tag only when they agree; the
 * user comes from user_id, else the mlflow.user tag. A run without a name
 * gets a generated one (into gen). */
static int resolve_new_run(const struct run_create *rc, struct sbuf *gen, struct store_run_new *nr,
                           struct ferr *err)
{
    const char *tag_name = kv_list_get(&rc->tags, TAG_RUN_NAME);
    const char *tag_user = kv_list_get(&rc->tags, TAG_USER);
    if (rc->run_name && *rc->run_name && tag_name && strcmp(rc->run_name, tag_name))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "both 'run_name' ('%s') and the 'mlflow.runName' tag ('%s') are set "
                        "and they differ",
                        rc->run_name, tag_name);
    for (size_t i = 0; i < rc->tags.n; i++)
        if (validate_tag(rc->tags.v[i].key, rc->tags.v[i].value, err))
            return -1;
    nr->name = rc->run_name && *rc->run_name ? rc->run_name : tag_name;
    if (!nr->name || !*nr->name) {
        ids_new_run_name(gen);
        nr->name = gen->buf;
    }
    nr->user = rc->user_id ? rc->user_id : tag_user ? tag_user : "";
    nr->tags = &rc->tags;
    if (validate_run_name(nr->name, err) ||
        parse_experiment_id(rc->experiment_id, &nr->experiment_id, err))
        return -1;
    nr->start_time = rc->start_time == TIME_NONE ? ftime_now_ms() : rc->start_time;
    ids_new_run_id(nr->run_id);
    return 0;
}

int store_create_run(struct store *s, const struct run_create *rc, struct run *out,
                     struct ferr *err)
{
    struct sbuf gen = SBUF_INIT;
    struct store_run_new nr;
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    int r = resolve_new_run(rc, &gen, &nr, err);
    if (!r)
        r = s->tracking->create_run(s, &nr, out, err);
    sbuf_release(&gen);
    return r;
}

int store_update_run(struct store *s, const char *run_id, enum run_status status, int64_t end_time,
                     const char *run_name, struct run_info *out, struct ferr *err)
{
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (validate_run_id(run_id, err) || validate_run_name(run_name, err))
        return -1;
    return s->tracking->update_run(s, run_id, status, end_time, run_name, out, err);
}

static int set_run_lifecycle(struct store *s, const char *run_id, enum lifecycle to,
                             struct ferr *err)
{
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (validate_run_id(run_id, err))
        return -1;
    return s->tracking->set_run_lifecycle(s, run_id, to, err);
}

int store_delete_run(struct store *s, const char *run_id, struct ferr *err)
{
    return set_run_lifecycle(s, run_id, LIFECYCLE_DELETED, err);
}

int store_restore_run(struct store *s, const char *run_id, struct ferr *err)
{
    return set_run_lifecycle(s, run_id, LIFECYCLE_ACTIVE, err);
}

int store_get_run(struct store *s, const char *run_id, struct run *out, struct ferr *err)
{
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (validate_run_id(run_id, err))
        return -1;
    return s->tracking->get_run(s, run_id, out, err);
}

int store_run_experiment(struct store *s, const char *run_id, char **experiment_id,
                         struct ferr *err)
{
    int64_t id;
    char buf[24];
    if (!s->tracking || !s->tracking->run_experiment)
        return store_lacks(s, AREA, err);
    if (validate_run_id(run_id, err) || s->tracking->run_experiment(s, run_id, &id, err))
        return -1;
    snprintf(buf, sizeof(buf), "%lld", (long long)id);
    *experiment_id = xstrdup(buf);
    return 0;
}

int store_log_batch(struct store *s, const char *run_id, const struct metric_list *metrics,
                    const struct kv_list *params, const struct kv_list *tags, struct ferr *err)
{
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (validate_run_id(run_id, err) || validate_batch(metrics, params, tags, err))
        return -1;
    return s->tracking->log_batch(s, run_id, metrics, params, tags, err);
}

int store_delete_tag(struct store *s, const char *run_id, const char *key, struct ferr *err)
{
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (validate_run_id(run_id, err))
        return -1;
    if (!key || !*key)
        return fjson_missing(err, "key");
    return s->tracking->delete_tag(s, run_id, key, err);
}

int store_log_inputs(struct store *s, const char *run_id, const struct dataset_input *inputs,
                     size_t n, struct ferr *err)
{
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (validate_run_id(run_id, err))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (validate_dataset_input(&inputs[i], err))
            return -1;
    return s->tracking->log_inputs(s, run_id, inputs, n, err);
}

#define SEARCH_DATASETS_MAX_EXPERIMENTS 20
#define SEARCH_DATASETS_MAX_RESULTS     1000

int store_search_datasets(struct store *s, const char *const *experiment_ids, size_t n,
                          struct dataset_summary_list *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (!n)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "SearchDatasets request must specify at least one experiment_id.");
    if (n > SEARCH_DATASETS_MAX_EXPERIMENTS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "SearchDatasets request cannot specify more than %d experiment_ids. "
                        "Received %zu experiment_ids.",
                        SEARCH_DATASETS_MAX_EXPERIMENTS, n);
    int64_t ids[SEARCH_DATASETS_MAX_EXPERIMENTS];
    for (size_t i = 0; i < n; i++)
        if (parse_experiment_id(experiment_ids[i], &ids[i], err))
            return -1;
    return s->tracking->search_datasets(s, ids, n, SEARCH_DATASETS_MAX_RESULTS, out, err);
}

int store_log_model(struct store *s, const char *run_id, const char *model_json, struct ferr *err)
{
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (validate_run_id(run_id, err) || validate_model_json(model_json, err))
        return -1;
    return s->tracking->log_model(s, run_id, model_json, err);
}

int store_search_runs(struct store *s, const struct run_search *q, struct run_list *out,
                      struct ferr *err)
{
    struct store_page page;
    memset(out, 0, sizeof(*out));
    if (!s->tracking)
        return store_lacks(s, AREA, err);
    if (store_page_open(&page, q->max_results, MAX_RESULTS_SEARCH_RUNS, q->page_token, err) ||
        s->tracking->search_runs(s, q, &page, out, err))
        return -1;
    store_page_close(&page, &out->next_page_token);
    return 0;
}
