/* SPDX-License-Identifier: MIT
 * A profile as the server takes it (data_profile.h): a walk of the JSON
 * checking every key against a table of what may be there, with the path
 * of the first thing wrong in the error; and the per-file comparison used
 * by datasets/diff. */
#include "domain/data_profile.h"

#include "base/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char *const types[] = {"integer", "float", "bool", "text"};
static const char *const colspec_types[] = {"long", "double", "boolean", "string"};
static const char *const quant_keys[] = {"0.05", "0.25", "0.5", "0.75", "0.95"};

/* Where in the profile the walk is: "files['a.csv'].columns[3]". */
struct where {
    char path[DATA_PROFILE_MAX_STR + 128];
};

static int bad(struct ferr *err, const struct where *w, const char *key, const char *what)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "profile: %s%s%s: %s", w->path,
                    *w->path && *key ? "." : "", key, what);
}

/* A JSON string within max bytes. */
static int check_str(json_t *v, size_t max, const struct where *w, const char *key,
                     struct ferr *err)
{
    if (!json_is_string(v))
        return bad(err, w, key, "must be a string");
    if (json_string_length(v) > max) {
        char m[64];
        snprintf(m, sizeof(m), "longer than %zu bytes", max);
        return bad(err, w, key, m);
    }
    if (strlen(json_string_value(v)) != json_string_length(v) || !utf8_valid(json_string_value(v)))
        return bad(err, w, key, "must be UTF-8 text without NUL");
    return 0;
}

static int check_count(json_t *v, const struct where *w, const char *key, struct ferr *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad(err, w, key, "must be a count (an integer >= 0)");
    return 0;
}

/* A statistic: a finite number, null, or "Infinity" / "-Infinity". */
static int check_stat(json_t *v, const struct where *w, const char *key, struct ferr *err)
{
    if (json_is_null(v) || json_is_integer(v) || json_is_real(v))
        return 0;
    if (json_is_string(v) &&
        (!strcmp(json_string_value(v), "Infinity") || !strcmp(json_string_value(v), "-Infinity")))
        return 0;
    return bad(err, w, key, "must be a number, null, \"Infinity\" or \"-Infinity\"");
}

static int check_quantiles(json_t *v, const struct where *w, struct ferr *err)
{
    if (!json_is_object(v))
        return bad(err, w, "quantiles", "must be an object");
    const char *k;
    json_t *q;
    json_object_foreach(v, k, q)
    {
        size_t i = 0;
        while (i < 5 && strcmp(k, quant_keys[i]))
            i++;
        struct where qw;
        snprintf(qw.path, sizeof(qw.path), "%.320s%squantiles", w->path, *w->path ? "." : "");
        if (i == 5)
            return bad(err, &qw, "", "keys must be 0.05, 0.25, 0.5, 0.75, 0.95");
        if (check_stat(q, &qw, k, err))
            return -1;
    }
    return 0;
}

static int check_histogram(json_t *v, const struct where *w, struct ferr *err)
{
    if (!json_is_object(v) || json_object_size(v) != 2)
        return bad(err, w, "histogram", "must be an object of \"edges\" and \"counts\"");
    json_t *edges = json_object_get(v, "edges"), *counts = json_object_get(v, "counts");
    if (!json_is_array(edges) || !json_is_array(counts))
        return bad(err, w, "histogram", "must be an object of \"edges\" and \"counts\" arrays");
    size_t ne = json_array_size(edges), nc = json_array_size(counts);
    if (nc < 1 || nc > DATA_PROFILE_MAX_BINS || ne != nc + 1)
        return bad(err, w, "histogram", "must have 1 to 100 counts and one edge more than counts");
    size_t i;
    json_t *x;
    json_array_foreach(edges, i, x) if (!json_is_number(x)) return bad(err, w, "histogram.edges",
                                                                       "must be numbers");
    json_array_foreach(counts, i, x) if (!json_is_integer(x) ||
                                         json_integer_value(x) <
                                             0) return bad(err, w, "histogram.counts",
                                                           "must be counts (integers >= 0)");
    return 0;
}

static int check_top(json_t *v, const struct where *w, struct ferr *err)
{
    if (!json_is_array(v) || json_array_size(v) > DATA_PROFILE_MAX_TOP)
        return bad(err, w, "top", "must be an array of at most 10 values");
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        struct where tw;
        snprintf(tw.path, sizeof(tw.path), "%.320s%stop[%zu]", w->path, *w->path ? "." : "", i);
        if (!json_is_object(e) || json_object_size(e) != 2)
            return bad(err, &tw, "", "must be an object of \"value\" and \"count\"");
        if (check_str(json_object_get(e, "value"), DATA_PROFILE_MAX_STR, &tw, "value", err) ||
            check_count(json_object_get(e, "count"), &tw, "count", err))
            return -1;
    }
    return 0;
}

static int check_type(json_t *v, const struct where *w, struct ferr *err)
{
    for (size_t i = 0; json_is_string(v) && i < 4; i++)
        if (!strcmp(json_string_value(v), types[i]))
            return 0;
    return bad(err, w, "type", "must be one of integer, float, bool, text");
}

static int check_column(json_t *col, const struct where *w, struct ferr *err)
{
    if (!json_is_object(col))
        return bad(err, w, "", "must be an object");
    if (!json_object_get(col, "name") || !json_object_get(col, "type"))
        return bad(err, w, "", "must have a \"name\" and a \"type\"");
    const char *k;
    json_t *v;
    json_object_foreach(col, k, v)
    {
        int rc;
        if (!strcmp(k, "name"))
            rc = check_str(v, DATA_PROFILE_MAX_STR, w, k, err);
        else if (!strcmp(k, "type"))
            rc = check_type(v, w, err);
        else if (!strcmp(k, "nulls") || !strcmp(k, "distinct"))
            rc = check_count(v, w, k, err);
        else if (!strcmp(k, "min") || !strcmp(k, "max") || !strcmp(k, "mean") || !strcmp(k, "std"))
            rc = check_stat(v, w, k, err);
        else if (!strcmp(k, "quantiles"))
            rc = check_quantiles(v, w, err);
        else if (!strcmp(k, "histogram"))
            rc = check_histogram(v, w, err);
        else if (!strcmp(k, "top"))
            rc = check_top(v, w, err);
        else
            rc = bad(err, w, k, "unknown key");
        if (rc)
            return -1;
    }
    return 0;
}

static int check_file(const char *path, json_t *file, struct ferr *err)
{
    struct where w;
    if (!*path || strlen(path) > DATA_PROFILE_MAX_PATH)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "profile: files: a path must have 1 to %d bytes", DATA_PROFILE_MAX_PATH);
    /* the path may be long: cut it in the error, never overflow */
    snprintf(w.path, sizeof(w.path), "files['%.*s']", DATA_PROFILE_MAX_STR, path);
    if (!json_is_object(file))
        return bad(err, &w, "", "must be an object");
    json_t *rows = json_object_get(file, "rows"), *cols = json_object_get(file, "columns");
    if (!rows || check_count(rows, &w, "rows", err))
        return rows ? -1 : bad(err, &w, "rows", "missing");
    if (!json_is_array(cols))
        return bad(err, &w, "columns", "must be an array");
    if (json_array_size(cols) > DATA_PROFILE_MAX_COLUMNS)
        return bad(err, &w, "columns", "more than 1000 columns");
    const char *k;
    json_t *v;
    json_object_foreach(file, k, v)
    {
        if (!strcmp(k, "columns_total")) {
            if (check_count(v, &w, k, err))
                return -1;
            if ((size_t)json_integer_value(v) < json_array_size(cols))
                return bad(err, &w, k, "less than the columns given");
        } else if (strcmp(k, "rows") && strcmp(k, "columns"))
            return bad(err, &w, k, "unknown key");
    }
    size_t i;
    json_array_foreach(cols, i, v)
    {
        struct where cw;
        snprintf(cw.path, sizeof(cw.path), "%.*s.columns[%zu]", (int)(sizeof(w.path) - 40), w.path,
                 i);
        if (check_column(v, &cw, err))
            return -1;
    }
    return 0;
}

static int check_skipped(json_t *skipped, struct ferr *err)
{
    struct where w = {"skipped"};
    if (!json_is_array(skipped) || json_array_size(skipped) > DATA_PROFILE_MAX_SKIPPED)
        return bad(err, &w, "", "must be an array of at most 10000 entries");
    size_t i;
    json_t *e;
    json_array_foreach(skipped, i, e)
    {
        snprintf(w.path, sizeof(w.path), "skipped[%zu]", i);
        if (!json_is_object(e) || json_object_size(e) != 2)
            return bad(err, &w, "", "must be an object of \"path\" and \"reason\"");
        if (check_str(json_object_get(e, "path"), DATA_PROFILE_MAX_PATH, &w, "path", err) ||
            check_str(json_object_get(e, "reason"), DATA_PROFILE_MAX_STR, &w, "reason", err))
            return -1;
    }
    return 0;
}

int data_profile_validate(json_t *profile, struct ferr *err)
{
    struct where top = {""};
    if (!json_is_object(profile))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "profile: must be a JSON object");
    json_t *format = json_object_get(profile, "format"), *files = json_object_get(profile, "files");
    if (!json_is_string(format) || strcmp(json_string_value(format), DATA_PROFILE_FORMAT))
        return bad(err, &top, "format", "must be \"" DATA_PROFILE_FORMAT "\"");
    if (!json_is_object(files))
        return bad(err, &top, "files", "must be an object of file paths");
    if (json_object_size(files) > DATA_PROFILE_MAX_FILES)
        return bad(err, &top, "files", "more than 100 files");
    const char *k;
    json_t *v;
    json_object_foreach(profile, k, v)
    {
        if (!strcmp(k, "skipped")) {
            if (check_skipped(v, err))
                return -1;
        } else if (strcmp(k, "format") && strcmp(k, "files"))
            return bad(err, &top, k, "unknown key");
    }
    json_object_foreach(files, k, v) if (check_file(k, v, err)) return -1;
    char *text = json_dumps(profile, JSON_COMPACT);
    if (!text)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "profile: cannot be written as JSON");
    size_t n = strlen(text);
    free(text);
    if (n > DATA_PROFILE_MAX_BYTES)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "profile: %zu bytes of JSON, more than the cap of %zu", n,
                        DATA_PROFILE_MAX_BYTES);
    return 0;
}

json_t *data_profile_file(json_t *profile, const char *path)
{
    json_t *files = json_object_get(profile, "files");
    json_t *f = json_object_get(files, path);
    return json_is_object(f) ? f : NULL;
}

/* The column named name in a FILE's columns, or NULL. */
static json_t *column_named(json_t *cols, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
    {
        const char *n = json_string_value(json_object_get(c, "name"));
        if (n && !strcmp(n, name))
            return c;
    }
    return NULL;
}

/* The names of a's columns that b lacks, in a's order. */
static json_t *columns_only_in(json_t *a, json_t *b)
{
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(a, i, c)
    {
        json_t *name = json_object_get(c, "name");
        if (json_is_string(name) && !column_named(b, json_string_value(name)))
            json_array_append(out, name);
    }
    return out;
}

json_t *data_profile_diff_file(json_t *before, json_t *after)
{
    json_t *d = json_object();
    json_t *rb = json_object_get(before, "rows"), *ra = json_object_get(after, "rows");
    json_object_set_new(d, "rows_before", json_is_integer(rb) ? json_copy(rb) : json_null());
    json_object_set_new(d, "rows_after", json_is_integer(ra) ? json_copy(ra) : json_null());
    json_t *cb = json_object_get(before, "columns"), *ca = json_object_get(after, "columns");
    json_t *retyped = json_array();
    if (json_is_array(cb) && json_is_array(ca)) {
        json_object_set_new(d, "columns_added", columns_only_in(ca, cb));
        json_object_set_new(d, "columns_removed", columns_only_in(cb, ca));
        size_t i;
        json_t *c;
        json_array_foreach(ca, i, c)
        {
            const char *name = json_string_value(json_object_get(c, "name"));
            json_t *old = name ? column_named(cb, name) : NULL;
            json_t *to = json_object_get(c, "type"), *from = json_object_get(old, "type");
            if (!old || !json_is_string(to) || !json_is_string(from) || json_equal(to, from))
                continue;
            json_t *e = json_object();
            json_object_set_new(e, "name", json_string(name));
            json_object_set(e, "from", from);
            json_object_set(e, "to", to);
            json_array_append_new(retyped, e);
        }
    } else {
        json_object_set_new(d, "columns_added", json_array());
        json_object_set_new(d, "columns_removed", json_array());
    }
    json_object_set_new(d, "columns_retyped", retyped);
    return d;
}

json_t *data_profile_colspec(json_t *file)
{
    json_t *cols = json_object_get(file, "columns");
    if (!json_is_array(cols))
        return NULL;
    json_t *spec = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
    {
        const char *type = json_string_value(json_object_get(c, "type"));
        json_t *name = json_object_get(c, "name");
        if (!type || !json_is_string(name))
            continue;
        const char *t = "string";
        for (size_t k = 0; k < 4; k++)
            if (!strcmp(type, types[k]))
                t = colspec_types[k];
        json_t *e = json_object();
        json_object_set_new(e, "type", json_string(t));
        json_object_set(e, "name", name);
        json_array_append_new(spec, e);
    }
    json_t *out = json_object();
    json_object_set_new(out, "mlflow_colspec", spec);
    return out;
}
