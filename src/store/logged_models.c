/* SPDX-License-Identifier: MIT
 * The logged-model front: MLflow's checks of each call, ids and names,
 * search defaults and page tokens, then the backend (s->logged_models). */
#include "store/logged_models.h"
#include "store/backend.h"
#include "base/ids.h"
#include "base/pyrepr.h"
#include "base/utf8.h"
#include "domain/validate.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define AREA "logged models"

#define SEARCH_DEFAULT_RESULTS 100
#define SEARCH_MAX_RESULTS     1000
#define MAX_NAME_LENGTH        500
#define MAX_MODEL_TYPE_LENGTH  500
#define MAX_DATASETS           100

/* MLflow's _validate_logged_model_name, and its message. */
static int check_name(const char *name, struct ferr *err)
{
    static const char bad[] = "/:.%\"'";
    if (!name)
        return 0;
    if (*name && !strpbrk(name, bad)) {
        if (utf8_chars(name) <= MAX_NAME_LENGTH)
            return 0;
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid model name: it is longer than %d characters", MAX_NAME_LENGTH);
    }
    struct sbuf sb = SBUF_INIT;
    struct sbuf shown = SBUF_INIT;
    sbuf_add(&shown, name, strnlen(name, 300));
    utf8_scrub(shown.buf);
    py_repr_str(&sb, shown.buf);
    ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
             "Invalid model name (%s) provided. Model name must be a non-empty string and cannot "
             "contain the following characters: ('/', ':', '.', '%%', '\"', \"'\")",
             sb.buf);
    sbuf_release(&sb);
    sbuf_release(&shown);
    return -1;
}

static int check_id(const char *model_id, struct ferr *err)
{
    if (!model_id || !*model_id)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Missing value for required parameter 'model_id'. See the API docs for "
                        "more information about request parameters.");
    return 0;
}

static int check_pairs(const struct kv_list *l, int params, struct ferr *err)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (params ? validate_param(l->v[i].key, l->v[i].value, err)
                   : validate_tag(l->v[i].key, l->v[i].value, err))
            return -1;
    return 0;
}

int store_create_logged_model(struct store *s, const struct logged_model_create *c,
                              struct logged_model *out, struct ferr *err)
{
    char model_id[LOGGED_MODEL_ID_LEN + 1];
    struct sbuf gen = SBUF_INIT;
    if (out)
        memset(out, 0, sizeof(*out));
    if (!s->logged_models)
        return store_lacks(s, AREA, err);
    if (validate_experiment_id(c->experiment_id, err) ||
        check_name(c->name && *c->name ? c->name : NULL, err) || check_pairs(&c->params, 1, err) ||
        check_pairs(&c->tags, 0, err))
        return -1;
    if (c->model_type && utf8_chars(c->model_type) > MAX_MODEL_TYPE_LENGTH)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "model_type is longer than %d characters", MAX_MODEL_TYPE_LENGTH);
    if (c->source_run_id && *c->source_run_id && validate_run_id(c->source_run_id, err))
        return -1;
    model_id[0] = 'm';
    model_id[1] = '-';
    ids_new_run_id(model_id + 2); /* 32 hex digits, as MLflow's uuid4 */
    const char *name = c->name && *c->name ? c->name : NULL;
    if (!name) {
        ids_new_run_name(&gen);
        name = gen.buf;
    }
    int rc = s->logged_models->create(s, strtoll(c->experiment_id, NULL, 10), model_id, name, c,
                                      out, err);
    sbuf_release(&gen);
    return rc;
}

int store_get_logged_model(struct store *s, const char *model_id, struct logged_model *out,
                           struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->logged_models)
        return store_lacks(s, AREA, err);
    if (check_id(model_id, err))
        return -1;
    return s->logged_models->get(s, model_id, out, err);
}

int store_finalize_logged_model(struct store *s, const char *model_id,
                                enum logged_model_status status, struct logged_model *out,
                                struct ferr *err)
{
    if (out)
        memset(out, 0, sizeof(*out));
    if (!s->logged_models)
        return store_lacks(s, AREA, err);
    if (check_id(model_id, err))
        return -1;
    if (status < LOGGED_MODEL_PENDING || status > LOGGED_MODEL_UPLOAD_FAILED)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid value for parameter 'status': expected LOGGED_MODEL_PENDING, "
                        "LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED");
    if (s->logged_models->update(s, model_id, (int)status, 0, err))
        return -1;
    return out ? s->logged_models->get(s, model_id, out, err) : 0;
}

int store_delete_logged_model(struct store *s, const char *model_id, struct ferr *err)
{
    if (!s->logged_models)
        return store_lacks(s, AREA, err);
    if (check_id(model_id, err))
        return -1;
    return s->logged_models->update(s, model_id, -1, 1, err);
}

int store_set_logged_model_tags(struct store *s, const char *model_id, const struct kv_list *tags,
                                struct ferr *err)
{
    if (!s->logged_models)
        return store_lacks(s, AREA, err);
    if (check_id(model_id, err) || check_pairs(tags, 0, err))
        return -1;
    return s->logged_models->tags(s, model_id, tags, NULL, err);
}

int store_delete_logged_model_tag(struct store *s, const char *model_id, const char *key,
                                  struct ferr *err)
{
    if (!s->logged_models)
        return store_lacks(s, AREA, err);
    if (check_id(model_id, err))
        return -1;
    if (!key || !*key)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Missing value for required parameter 'tag_key'. See the API docs for "
                        "more information about request parameters.");
    return s->logged_models->tags(s, model_id, NULL, key, err);
}

int store_log_logged_model_params(struct store *s, const char *model_id,
                                  const struct kv_list *params, struct ferr *err)
{
    if (!s->logged_models)
        return store_lacks(s, AREA, err);
    if (check_id(model_id, err) || check_pairs(params, 1, err))
        return -1;
    if (params && params->n > MAX_PARAMS_TAGS_PER_BATCH)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "A batch logging request can contain at most %d params. Got %zu params.",
                        MAX_PARAMS_TAGS_PER_BATCH, params->n);
    return s->logged_models->log_params(s, model_id, params, err);
}

int store_search_logged_models(struct store *s, const struct logged_model_search *q,
                               struct logged_model_list *out, struct ferr *err)
{
    struct store_page page;
    memset(out, 0, sizeof(*out));
    if (!s->logged_models)
        return store_lacks(s, AREA, err);
    if (q->ndatasets > MAX_DATASETS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "too many datasets (%zu, at most %d)",
                        q->ndatasets, MAX_DATASETS);
    for (size_t i = 0; i < q->ndatasets; i++)
        if (!q->datasets[i].dataset_name || !*q->datasets[i].dataset_name)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "`dataset_name` in the `datasets` clause must be specified.");
    if (store_page_open(&page, q->max_results ? q->max_results : SEARCH_DEFAULT_RESULTS,
                        SEARCH_MAX_RESULTS, q->page_token, err) ||
        s->logged_models->search(s, q, &page, out, err))
        return -1;
    store_page_close(&page, &out->next_page_token);
    return 0;
}

int store_log_model_refs(struct store *s, const char *run_id, int outputs,
                         const struct model_ref_list *models, struct ferr *err)
{
    if (!s->logged_models)
        return store_lacks(s, AREA, err);
    if (validate_run_id(run_id, err))
        return -1;
    if (models->n > MAX_ENTITIES_PER_BATCH)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "too many models (%zu, at most %d)",
                        models->n, MAX_ENTITIES_PER_BATCH);
    for (size_t i = 0; i < models->n; i++)
        if (check_id(models->v[i].model_id, err))
            return -1;
    if (!models->n)
        return 0;
    return s->logged_models->log_refs(s, run_id, outputs, models, err);
}
