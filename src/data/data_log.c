/* SPDX-License-Identifier: MIT
 * A dataset version as an MLflow dataset input of a run (data/data_log.h):
 * the record's fields from the version and its profile, then
 * client_log_inputs. */
#include "data/data_log.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Profiled files listed one by one in the summary; past it only counted. */
#define SUMMARY_MAX_FILES 100

static const char *colspec_type(const char *profile_type)
{
    static const char *const map[][2] = {
        {"integer", "long"}, {"float", "double"}, {"bool", "boolean"}, {"text", "string"}};
    for (size_t i = 0; profile_type && i < sizeof(map) / sizeof(*map); i++)
        if (!strcmp(profile_type, map[i][0]))
            return map[i][1];
    return "string";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The profile's "files" object, and its keys sorted (by path bytes, as
 * manifests are), so the answer does not depend on the JSON's order. */
static json_t *profile_files(json_t *doc, const char ***keys, size_t *n)
{
    json_t *files = json_object_get(doc, "files");
    const char *k;
    json_t *v;
    *keys = NULL;
    *n = 0;
    if (!json_is_object(files) || !json_object_size(files))
        return NULL;
    *keys = xcalloc(json_object_size(files), sizeof(**keys));
    json_object_foreach(files, k, v)
    {
        if (json_is_object(v))
            (*keys)[(*n)++] = k;
    }
    qsort(*keys, *n, sizeof(**keys), cmp_str);
    return files;
}

/* One file's columns as a colspec array; NULL when it has none. */
static json_t *file_colspec(json_t *file)
{
    json_t *cols = json_object_get(file, "columns");
    json_t *out, *c;
    size_t i;
    if (!json_is_array(cols) || !json_array_size(cols))
        return NULL;
    out = json_array();
    json_array_foreach(cols, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *type = json_string_value(json_object_get(c, "type"));
        if (!name) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out,
                              json_pack("{s:s, s:s}", "type", colspec_type(type), "name", name));
    }
    return out;
}

char *data_log_schema(const char *profile)
{
    json_t *doc, *files, *spec = NULL;
    const char **keys;
    size_t n;
    char *out = NULL;
    if (!profile || !(doc = json_loads(profile, 0, NULL)))
        return NULL;
    files = profile_files(doc, &keys, &n);
    for (size_t i = 0; files && i < n; i++) {
        json_t *one = file_colspec(json_object_get(files, keys[i]));
        if (!one || (spec && !json_equal(spec, one))) {
            json_decref(one);
            json_decref(spec);
            spec = NULL;
            break;
        }
        if (spec)
            json_decref(one);
        else
            spec = one;
    }
    if (spec) {
        json_t *o = json_pack("{s:o}", "mlflow_colspec", spec);
        out = fjson_dumps(o, JSON_COMPACT);
        json_decref(o);
    }
    free(keys);
    json_decref(doc);
    return out;
}

char *data_log_profile_summary(const char *profile)
{
    json_t *doc, *files, *csv, *o;
    const char **keys;
    size_t n;
    json_int_t rows = 0;
    char *out;
    if (!profile || !(doc = json_loads(profile, 0, NULL)))
        return NULL;
    files = profile_files(doc, &keys, &n);
    csv = json_object();
    for (size_t i = 0; files && i < n; i++) {
        json_t *f = json_object_get(files, keys[i]);
        json_int_t r = json_integer_value(json_object_get(f, "rows"));
        size_t c = json_array_size(json_object_get(f, "columns"));
        rows += r > 0 ? r : 0;
        if (i < SUMMARY_MAX_FILES)
            json_object_set_new(csv, keys[i],
                                json_pack("{s:I, s:I}", "rows", r, "columns", (json_int_t)c));
    }
    o = json_pack("{s:I, s:I, s:o}", "files", (json_int_t)n, "rows", rows, "csv", csv);
    out = fjson_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    free(keys);
    json_decref(doc);
    return out;
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int data_log_build(const struct data_log_input *in, struct dataset_input *out, struct ferr *err)
{
    struct sbuf src = SBUF_INIT;
    if (!in->name || !*in->name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a dataset input needs a name");
    if (in->version < 1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "dataset '%.256s': version must be at least 1, got %lld", in->name,
                        (long long)in->version);
    if (!in->digest || strlen(in->digest) < DATA_LOG_DIGEST_CHARS ||
        !is_hex(in->digest, DATA_LOG_DIGEST_CHARS))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "dataset '%.256s' version %lld: the digest '%.80s' is not lowercase hex",
                        in->name, (long long)in->version, in->digest ? in->digest : "");
    memset(out, 0, sizeof(*out));
    sbuf_addf(&src, "data:/%s/%lld", in->name, (long long)in->version);
    out->dataset.name = xstrdup(in->name);
    out->dataset.digest = xstrndup(in->digest, DATA_LOG_DIGEST_CHARS);
    out->dataset.source_type = xstrdup(DATA_LOG_SOURCE_TYPE);
    out->dataset.source = sbuf_detach(&src, NULL);
    out->dataset.schema = data_log_schema(in->profile);
    out->dataset.profile = data_log_profile_summary(in->profile);
    if (in->context && *in->context)
        kv_list_add(&out->tags, DATA_LOG_CONTEXT_TAG, in->context);
    return 0;
}

int data_log(struct client *c, const char *run_id, const struct data_log_input *in,
             struct ferr *err)
{
    struct dataset_input di;
    if (data_log_build(in, &di, err))
        return -1;
    int rc = client_log_inputs(c, run_id, &di, 1, err);
    dataset_input_release(&di);
    return rc;
}
