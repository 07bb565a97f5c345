/* SPDX-License-Identifier: MIT
 * The registry front: MLflow's naming rules for models and aliases, the
 * checks of each write, search defaults and page tokens, then the backend
 * (s->registry). Checks the backend makes after finding the model (a
 * stage list, archive_existing_versions) stay there so that an unknown
 * model is still the error that wins. */
#include "store/registry.h"
#include "base/json.h"
#include "store/backend.h"
#include "base/utf8.h"
#include "domain/validate.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

#define AREA "the model registry"

#define MODELS_DEFAULT_RESULTS   100
#define MODELS_MAX_RESULTS       1000
#define VERSIONS_DEFAULT_RESULTS 10000
#define VERSIONS_MAX_RESULTS     200000

/* ---------- validation ---------- */

static int check_name(const char *what, const char *name, struct ferr *err)
{
    if (!name || !*name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%c%s name cannot be empty.",
                        what[0] == 'r' ? 'R' : what[0], what + 1);
    if (utf8_chars(name) > 256)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "%s name '%.40s...' is longer than 256 characters", what, name);
    return 0;
}

/* MLflow's alias rules: word characters and dashes, at most 255, not
 * "latest" and not "v<digits>" (both would read as a version). */
static int check_alias(const char *alias, struct ferr *err)
{
    if (!alias || !*alias)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "alias name cannot be empty");
    size_t n = strlen(alias);
    if (n > 255)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "alias '%.40s...' is longer than 255 characters", alias);
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)alias[i]) && alias[i] != '_' && alias[i] != '-')
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid alias '%.100s': aliases may contain letters, digits, '_' "
                            "and '-' only",
                            alias);
    int vnum = (alias[0] == 'v' || alias[0] == 'V') && n > 1;
    for (size_t i = 1; vnum && i < n; i++)
        vnum = isdigit((unsigned char)alias[i]);
    if (vnum || !strcasecmp(alias, "latest"))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "alias '%.100s' is reserved: it would read as a version", alias);
    return 0;
}

static int check_tags(const struct kv_list *tags, struct ferr *err)
{
    for (size_t i = 0; tags && i < tags->n; i++)
        if (validate_tag(tags->v[i].key, tags->v[i].value, err))
            return -1;
    return 0;
}

static int check_write(const struct reg_write *w, struct ferr *err)
{
    if (check_name("registered model", w->name, err))
        return -1;
    switch (w->action) {
    case REG_RENAME_MODEL:
        return check_name("registered model", w->new_name, err);
    case REG_SET_MODEL_TAG:
    case REG_SET_VERSION_TAG:
        return validate_tag(w->key, w->value, err);
    case REG_DELETE_MODEL_TAG:
    case REG_DELETE_VERSION_TAG:
        return w->key && *w->key ? 0 : fjson_missing(err, "key");
    case REG_SET_ALIAS:
    case REG_DELETE_ALIAS:
        return check_alias(w->alias, err);
    case REG_CREATE_VERSION:
        /* where the source may point is checked before (store/version_source.h) */
        if (!w->source || !*w->source)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "Missing value for required parameter 'source'. See the API docs "
                            "for more information about request parameters.");
        return check_tags(&w->tags, err);
    case REG_CREATE_MODEL:
        return check_tags(&w->tags, err);
    case REG_TRANSITION:
        if (!stage_canonical(w->stage))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid model version stage '%.60s': it must be one of None, "
                            "Staging, Production, Archived",
                            w->stage ? w->stage : "");
        return 0;
    default:
        return 0;
    }
}

/* ---------- writes and reads ---------- */

int store_registry_write(struct store *s, struct reg_write *w, struct ferr *err)
{
    if (!s->registry)
        return store_lacks(s, AREA, err);
    if (check_write(w, err))
        return -1;
    return s->registry->write(s, w, err);
}

int store_get_registered_model(struct store *s, const char *name, struct registered_model *out,
                               struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->registry)
        return store_lacks(s, AREA, err);
    if (check_name("registered model", name, err))
        return -1;
    return s->registry->get_registered_model(s, name, out, err);
}

int store_get_model_version(struct store *s, const char *name, int64_t version,
                            struct model_version *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->registry)
        return store_lacks(s, AREA, err);
    if (check_name("registered model", name, err))
        return -1;
    return s->registry->get_model_version(s, name, version, out, err);
}

int store_get_version_by_alias(struct store *s, const char *name, const char *alias,
                               struct model_version *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->registry)
        return store_lacks(s, AREA, err);
    if (check_name("registered model", name, err) || check_alias(alias, err))
        return -1;
    return s->registry->get_version_by_alias(s, name, alias, out, err);
}

int store_get_latest_versions(struct store *s, const char *name, const char *const *stages,
                              size_t n, struct model_version_list *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->registry)
        return store_lacks(s, AREA, err);
    if (check_name("registered model", name, err))
        return -1;
    return s->registry->get_latest_versions(s, name, stages, n, out, err);
}

int store_registry_events(struct store *s, const char *name, struct registry_event_list *out,
                          struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->registry)
        return store_lacks(s, AREA, err);
    if (check_name("registered model", name, err))
        return -1;
    if (s->registry->events(s, name, out, err))
        return -1;
    if (out->n == 0) {
        registry_event_list_release(out);
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                        "no history for registered model '%.300s'", name);
    }
    return 0;
}

/* ---------- search ---------- */

/* The page a registry search asks for: MLflow's default and largest page
 * sizes, and where the page token says to start. */
static int search_page(const struct registry_search *q, int64_t def, int64_t max,
                       struct store_page *page, struct ferr *err)
{
    return store_page_open(page, q->max_results ? q->max_results : def, max, q->page_token, err);
}

int store_search_registered_models(struct store *s, const struct registry_search *q,
                                   struct registered_model_list *out, struct ferr *err)
{
    struct store_page page;
    memset(out, 0, sizeof(*out));
    if (!s->registry)
        return store_lacks(s, AREA, err);
    if (search_page(q, MODELS_DEFAULT_RESULTS, MODELS_MAX_RESULTS, &page, err) ||
        s->registry->search_registered_models(s, q, &page, out, err))
        return -1;
    store_page_close(&page, &out->next_page_token);
    return 0;
}

int store_search_model_versions(struct store *s, const struct registry_search *q,
                                struct model_version_list *out, struct ferr *err)
{
    struct store_page page;
    memset(out, 0, sizeof(*out));
    if (!s->registry)
        return store_lacks(s, AREA, err);
    if (search_page(q, VERSIONS_DEFAULT_RESULTS, VERSIONS_MAX_RESULTS, &page, err) ||
        s->registry->search_model_versions(s, q, &page, out, err))
        return -1;
    store_page_close(&page, &out->next_page_token);
    return 0;
}
