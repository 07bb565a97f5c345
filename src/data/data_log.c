/* SPDX-License-Identifier: MIT
 * A dataset version as an MLflow dataset input of a run (data/data_log.h):
 * the record's fields from the version and its profile, then
 * client_log_inputs. */
#include "data/data_log.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "data/data_port.h"
#include "domain/data_profile.h"
#include "domain/data_version.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Profiled files listed one by one in the summary; past it only counted. */
#define SUMMARY_MAX_FILES 100

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
        json_t *one = data_profile_colspec(json_object_get(files, keys[i]));
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
    if (spec)
        out = fjson_dumps(spec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(spec);
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
    out->dataset.name = xstrdup(in->name);
    out->dataset.digest = xstrndup(in->digest, DATA_LOG_DIGEST_CHARS);
    out->dataset.source_type = xstrdup(DATA_LOG_SOURCE_TYPE);
    out->dataset.source = data_uri_format(in->name, in->version);
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

int data_log_uri(struct client *c, struct data_port *port, const char *run_id, const char *uri,
                 const char *context, char **pinned, struct ferr *err)
{
    struct data_ref ref = DATA_REF_INIT;
    struct data_version v;
    int rc = -1;
    memset(&v, 0, sizeof(v));
    if (data_uri_parse(uri, &ref, err))
        return -1;
    if (data_port_get_version(port, &ref, 0, &v, err))
        goto out;
    struct data_log_input in = {v.name, v.version, v.digest, v.profile, context};
    if (data_log(c, run_id, &in, err)) {
        data_version_release(&v);
        goto out;
    }
    if (pinned)
        *pinned = data_uri_format(v.name, v.version);
    data_version_release(&v);
    rc = 0;
out:
    data_ref_release(&ref);
    return rc;
}
