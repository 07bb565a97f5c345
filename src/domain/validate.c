/* SPDX-License-Identifier: MIT */
#include "domain/validate.h"
#include "base/json.h"
#include "base/pyrepr.h"
#include "base/sbuf.h"
#include "base/utf8.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <jansson.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* MLflow allows `^[/\w.\- :]*$` where \w is Unicode-aware; bytes of multi-byte
 * UTF-8 sequences are accepted as word characters. */
static int name_char_ok(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.' || c == ' ' || c == '/' || c == ':' ||
           c >= 0x80;
}

/* Names may become file names: they must not resolve to another name. */
static int name_is_path_safe(const char *s)
{
    size_t n = strlen(s);
    if (s[0] == '/' || !strcmp(s, ".") || !strcmp(s, ".."))
        return 0;
    if (strstr(s, "//") || (n && s[n - 1] == '/'))
        return 0;
    for (const char *p = s; *p;) {
        const char *seg = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - seg);
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        if (*p)
            p++;
    }
    return 1;
}

/* Python's posixpath.normpath, for MLflow's message about a name that
 * would resolve to another one. */
static void py_normpath(const char *s, struct sbuf *out)
{
    size_t lead = s[0] == '/' ? (s[1] == '/' && s[2] != '/' ? 2 : 1) : 0;
    const char *segs[256];
    size_t lens[256], n = 0;
    for (const char *p = s; *p && n < 256;) {
        while (*p == '/')
            p++;
        const char *seg = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - seg);
        if (!len || (len == 1 && seg[0] == '.'))
            continue;
        if (len == 2 && seg[0] == '.' && seg[1] == '.' &&
            ((!lead && n && !(lens[n - 1] == 2 && !strncmp(segs[n - 1], "..", 2))) ||
             (lead && n))) {
            n--;
            continue;
        }
        if (len == 2 && seg[0] == '.' && seg[1] == '.' && lead)
            continue; /* past the root */
        segs[n] = seg;
        lens[n++] = len;
    }
    sbuf_reset(out);
    for (size_t i = 0; i < lead; i++)
        sbuf_addch(out, '/');
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_addch(out, '/');
        sbuf_add(out, segs[i], lens[i]);
    }
    if (!out->len)
        sbuf_addch(out, '.');
}

/* MLflow's invalid_value(path, value, message) for a string value. */
static int invalid_name(struct ferr *err, const char *path, const char *name, const char *why)
{
    json_t *v = json_string(name);
    char *text = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
    ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
             "Invalid value %.400s for parameter '%s' supplied: %s", text ? text : "\"\"", path,
             why);
    free(text);
    json_decref(v);
    return -1;
}

/* MLflow's _validate_length_limit, in its words. */
static int length_limit(const char *entity, const char *value, size_t max, struct ferr *err)
{
    size_t n = value ? utf8_chars(value) : 0;
    if (n <= max)
        return 0;
    struct sbuf shown = SBUF_INIT; /* value[:250], in characters */
    const char *p = value;
    for (size_t k = 0; *p && k < 250; k++)
        p += utf8_seq((const unsigned char *)p, strlen(p))
                 ? utf8_seq((const unsigned char *)p, strlen(p))
                 : 1;
    sbuf_add(&shown, value, (size_t)(p - value));
    ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
             "%s '%s' had length %zu, which exceeded length limit of %zu", entity, shown.buf, n,
             max);
    sbuf_release(&shown);
    return -1;
}

/* MLflow's _validate_param_name / _validate_metric_name / _validate_tag_name
 * (path: the request field named in messages), then the key's length. */
static int validate_name(const char *entity, const char *path, const char *key, size_t max,
                         struct ferr *err)
{
    if (!key || !*key)
        return fjson_missing(err, path);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        if (!name_char_ok(*p))
            return invalid_name(err, path, key,
                                "Names may only contain alphanumerics, underscores (_), dashes "
                                "(-), periods (.), spaces ( ), colon(:) and slashes (/).");
    if (!name_is_path_safe(key)) {
        struct sbuf norm = SBUF_INIT, why = SBUF_INIT;
        py_normpath(key, &norm);
        sbuf_addstr(&why, "Names may be treated as files in certain cases, and must not resolve "
                          "to other names when treated as such. This name would resolve to ");
        py_repr_str(&why, norm.buf);
        invalid_name(err, path, key, why.buf);
        sbuf_release(&norm);
        sbuf_release(&why);
        return -1;
    }
    return length_limit(entity, key, max, err);
}

int validate_metric(const struct metric *m, struct ferr *err)
{
    if (validate_name("Metric name", "name", m->key, MAX_ENTITY_KEY_LENGTH, err))
        return -1;
    if (m->timestamp == TIME_NONE)
        return fjson_missing(err, "timestamp");
    if (m->timestamp < 0) {
        char why[400];
        json_t *v = fjson_double(m->value);
        char *value = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
        snprintf(why, sizeof(why),
                 "metric '%.250s' (value=%s). Timestamp must be a nonnegative long (64-bit "
                 "integer) ",
                 m->key, value ? value : "?");
        free(value);
        json_decref(v);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid value %" PRId64 " for parameter 'timestamp' supplied: %s",
                        m->timestamp, why);
    }
    return 0;
}

int validate_param(const char *key, const char *value, struct ferr *err)
{
    if (validate_name("Param key", "key", key, MAX_ENTITY_KEY_LENGTH, err))
        return -1;
    if (!value)
        return fjson_missing(err, "value");
    return length_limit("Param value", value, MAX_PARAM_VAL_LENGTH, err);
}

int validate_tag(const char *key, const char *value, struct ferr *err)
{
    if (validate_name("Tag key", "key", key, MAX_ENTITY_KEY_LENGTH, err))
        return -1;
    return length_limit("Tag value", value, MAX_TAG_VAL_LENGTH, err);
}

int validate_experiment_tag(const char *key, const char *value, struct ferr *err)
{
    if (validate_name("Tag key", "key", key, MAX_EXPERIMENT_TAG_KEY_LENGTH, err))
        return -1;
    return length_limit("Tag value", value, MAX_EXPERIMENT_TAG_VAL_LENGTH, err);
}

int validate_experiment_name(const char *name, struct ferr *err)
{
    if (!name || !*name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid experiment name: the name must be a non-empty string");
    size_t n = utf8_chars(name);
    if (n > MAX_EXPERIMENT_NAME_LENGTH)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "experiment name '%.40s...' has length %zu, which exceeds the limit of %d",
                        name, n, MAX_EXPERIMENT_NAME_LENGTH);
    return 0;
}

int validate_run_name(const char *name, struct ferr *err)
{
    size_t n = name ? utf8_chars(name) : 0;
    if (n > MAX_RUN_NAME_LENGTH)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "run name '%.40s...' has length %zu, which exceeds the limit of %d", name,
                        n, MAX_RUN_NAME_LENGTH);
    return 0;
}

/* MLflow's _validate_batch_limit, in its words. */
static int batch_limit(struct ferr *err, int limit, const char *entity, size_t n)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "A batch logging request can contain at most %d %s. Got %zu %s. Please split "
                    "up %s across multiple requests and try again.",
                    limit, entity, n, entity, entity);
}

int validate_batch(const struct metric_list *metrics, const struct kv_list *params,
                   const struct kv_list *tags, struct ferr *err)
{
    size_t nm = metrics ? metrics->n : 0, np = params ? params->n : 0, nt = tags ? tags->n : 0;
    if (nm > MAX_METRICS_PER_BATCH)
        return batch_limit(err, MAX_METRICS_PER_BATCH, "metrics", nm);
    if (np > MAX_PARAMS_TAGS_PER_BATCH)
        return batch_limit(err, MAX_PARAMS_TAGS_PER_BATCH, "params", np);
    if (nt > MAX_PARAMS_TAGS_PER_BATCH)
        return batch_limit(err, MAX_PARAMS_TAGS_PER_BATCH, "tags", nt);
    if (nm + np + nt > MAX_ENTITIES_PER_BATCH)
        return batch_limit(err, MAX_ENTITIES_PER_BATCH, "metrics, params, and tags", nm + np + nt);
    for (size_t i = 0; i < nm; i++)
        if (validate_metric(&metrics->v[i], err))
            return -1;
    for (size_t i = 0; i < np; i++)
        if (validate_param(params->v[i].key, params->v[i].value, err))
            return -1;
    for (size_t i = 0; i < nt; i++)
        if (validate_tag(tags->v[i].key, tags->v[i].value, err))
            return -1;
    /* MLflow refuses a batch naming one param key twice, even with equal values. */
    for (size_t i = 0; i < np; i++)
        for (size_t j = i + 1; j < np; j++)
            if (!strcmp(params->v[i].key, params->v[j].key)) {
                struct sbuf keys = SBUF_INIT;
                sbuf_addch(&keys, '[');
                py_repr_str(&keys, params->v[i].key);
                sbuf_addch(&keys, ']');
                ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                         "Duplicate parameter keys have been submitted: %.300s. Please ensure "
                         "the request contains only one param value per param key.",
                         keys.buf);
                sbuf_release(&keys);
                return -1;
            }
    return 0;
}

static int check_size(const char *field, const char *v, size_t max, int required, struct ferr *err)
{
    if (!v || !*v) {
        if (required) {
            char path[40]; /* as MLflow names it */
            snprintf(path, sizeof(path), "dataset.%s", field);
            return fjson_missing(err, path);
        }
        return 0;
    }
    size_t n = utf8_chars(v);
    if (n > max)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "dataset %s has length %zu, which exceeds the limit of %zu", field, n, max);
    return 0;
}

int validate_dataset_input(const struct dataset_input *di, struct ferr *err)
{
    const struct dataset *d = &di->dataset;
    if (check_size("name", d->name, MAX_DATASET_NAME_SIZE, 1, err) ||
        check_size("digest", d->digest, MAX_DATASET_DIGEST_SIZE, 1, err) ||
        check_size("source_type", d->source_type, MAX_DATASET_SOURCE_SIZE, 1, err) ||
        check_size("source", d->source, MAX_DATASET_SOURCE_SIZE, 1, err) ||
        check_size("schema", d->schema, MAX_DATASET_SCHEMA_SIZE, 0, err) ||
        check_size("profile", d->profile, MAX_DATASET_PROFILE_SIZE, 0, err))
        return -1;
    for (size_t i = 0; i < di->tags.n; i++) {
        const struct kv *t = &di->tags.v[i];
        if (!t->key || !*t->key)
            return fjson_missing(err, "tags.key");
        if (utf8_chars(t->key) > MAX_INPUT_TAG_KEY_SIZE)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "input tag key '%.40s...' exceeds the limit of %d", t->key,
                            MAX_INPUT_TAG_KEY_SIZE);
        if (utf8_chars(t->value) > MAX_INPUT_TAG_VALUE_SIZE)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "input tag value for '%.100s' exceeds the limit of %d", t->key,
                            MAX_INPUT_TAG_VALUE_SIZE);
    }
    return 0;
}

int validate_run_id(const char *run_id, struct ferr *err)
{
    if (!run_id || !*run_id)
        return fjson_missing(err, "run_id");
    size_t n = strlen(run_id);
    if (n > 256)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid run id '%.40s...'", run_id);
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)run_id[i]) && run_id[i] != '-' && run_id[i] != '_')
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid run id '%.100s'", run_id);
    return 0;
}

int validate_experiment_id(const char *id, struct ferr *err)
{
    if (!id || !*id)
        return fjson_missing(err, "experiment_id");
    size_t n = strlen(id);
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)id[i]) || n > 18)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid experiment id '%.100s'",
                            id);
    return 0;
}

int validate_max_results(int64_t n, int64_t max, struct ferr *err)
{
    if (n < 1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid value %" PRId64 " for parameter 'max_results' supplied. It must "
                        "be a positive integer",
                        n);
    if (n > max)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid value %" PRId64 " for parameter 'max_results' supplied. It must "
                        "be at most %" PRId64,
                        n, max);
    return 0;
}

int validate_model_json(const char *model_json, struct ferr *err)
{
    static const char *const mandatory[] = {"artifact_path", "flavors", "run_id",
                                            "utc_time_created"};
    if (!model_json || !*model_json)
        return fjson_missing(err, "model_json");
    json_t *model = json_loads(model_json, 0, NULL);
    if (!json_is_object(model)) {
        json_decref(model);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'model_json': expected a JSON object");
    }
    char missing[128] = "";
    size_t used = 0;
    for (size_t i = 0; i < sizeof(mandatory) / sizeof(mandatory[0]); i++)
        if (!json_object_get(model, mandatory[i])) {
            int w = snprintf(missing + used, sizeof(missing) - used, "%s%s", used ? ", " : "",
                             mandatory[i]);
            if (w > 0)
                used += (size_t)w;
        }
    json_decref(model);
    if (used)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "model json is missing mandatory fields: %s", missing);
    return 0;
}

/* Percent-decodes s into a new string (a malformed escape stays as it is). */
static char *percent_decode(const char *s)
{
    size_t n = strlen(s), k = 0;
    char *out = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            out[k++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    return out;
}

int validate_artifact_location(const char *loc, struct ferr *err)
{
    if (!loc || !*loc)
        return 0;
    const char *query = strchr(loc, '?');
    size_t path_len = query ? (size_t)(query - loc) : strlen(loc);
    if (strchr(loc, '#') || memchr(loc, ';', path_len))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'artifact_location' URL can't include fragments or params");
    if (!query)
        return 0;
    /* Decode until stable so that double-encoded dots are seen too. */
    char *q = xstrdup(query);
    for (int round = 0; round < 4; round++) {
        char *d = percent_decode(q);
        int same = !strcmp(d, q);
        free(q);
        q = d;
        if (same)
            break;
    }
    int bad = strstr(q, "..") != NULL;
    free(q);
    if (bad)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'artifact_location' URL can't include '..' in its query");
    return 0;
}

int validate_trace_id(const char *id, struct ferr *err)
{
    if (!id || !*id)
        return fjson_missing(err, "trace_id");
    size_t n = strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");
    if (id[n] || n > MAX_TRACE_ID_LENGTH || !strcmp(id, ".") || !strcmp(id, ".."))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid trace id '%.60s': expected at most %d letters, digits, '-', '_' "
                        "and '.'",
                        id, MAX_TRACE_ID_LENGTH);
    return 0;
}

int validate_trace_tag(const char *key, const char *value, struct ferr *err)
{
    if (validate_name("Trace tag key", "key", key, MAX_TRACE_TAG_KEY_LENGTH, err))
        return -1;
    return length_limit("Trace tag value", value, MAX_TRACE_TAG_VAL_LENGTH, err);
}

int validate_trace_entry(const char *what, const char *key, const char *value, struct ferr *err)
{
    if (!key || !*key)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing value for the key of a %s",
                        what);
    size_t n = utf8_chars(key);
    if (n > MAX_TRACE_TAG_KEY_LENGTH)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "%s key '%.40s...' has length %zu, which exceeds the limit of %d", what,
                        key, n, MAX_TRACE_TAG_KEY_LENGTH);
    char entity[80];
    snprintf(entity, sizeof(entity), "%s value for '%.40s'", what, key);
    return length_limit(entity, value, MAX_TRACE_TAG_VAL_LENGTH, err);
}

int validate_trace_preview(const char *what, const char *text, struct ferr *err)
{
    size_t n = text ? utf8_chars(text) : 0;
    if (n > MAX_TRACE_PREVIEW_LENGTH)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "%s has length %zu, which exceeds the limit of %d", what, n,
                        MAX_TRACE_PREVIEW_LENGTH);
    return 0;
}
