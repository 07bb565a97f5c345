/* SPDX-License-Identifier: MIT
 * ferry/validate-data: a CSV checked against expectations (row count,
 * per column its type, range, share of nulls, allowed values) read off
 * its profile (data/profile.h), and against a reference CSV for drift
 * (monitor/drift_report.h: Evidently's tests of monitor/stattest.h).
 * Every violation is listed (stderr and validation.json); any -> exit 1. */
#include "pipelines/builtin_validate.h"
#include "pipelines/builtin_util.h"
#include "base/fs_tree.h"
#include "base/sbuf.h"
#include "data/csv_columns.h"
#include "data/profile.h"
#include "monitor/drift_report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

struct val {
    json_t *violations; /* [text] */
    json_t *checks;     /* [{check, column?, expected, actual, passed}] */
};

__attribute__((format(printf, 2, 3))) static void violation(struct val *v, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_array_append_new(v->violations, json_string(msg));
}

static json_t *profile_col(json_t *profile, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(profile, "columns"), i, c)
    {
        if (!strcmp(json_string_value(json_object_get(c, "name")), name))
            return c;
    }
    return NULL;
}

static int type_ok(const char *want, const char *got)
{
    if (!strcmp(want, "int"))
        return !strcmp(got, "integer");
    if (!strcmp(want, "float"))
        return !strcmp(got, "float") || !strcmp(got, "integer");
    if (!strcmp(want, "string"))
        return !strcmp(got, "text");
    if (!strcmp(want, "bool"))
        return !strcmp(got, "bool");
    return 0;
}

/* The values of column c outside allowed: counted, up to 5 named. */
static void check_allowed(struct val *v, const struct drift_column *c, json_t *allowed)
{
    size_t bad = 0, i;
    json_t *x;
    struct sbuf ex = SBUF_INIT;
    for (size_t r = 0; r < c->n; r++) {
        char num[64];
        const char *s;
        size_t len;
        if (c->is_text) {
            if (c->codes[r] == DRIFT_CODE_MISSING)
                continue;
            s = c->dict.strs[c->codes[r]];
            len = c->dict.lens[c->codes[r]];
        } else {
            if (isnan(c->num[r]))
                continue;
            len = drift_spell_number(c->num[r], num, sizeof(num));
            s = num;
        }
        int found = 0;
        json_array_foreach(allowed, i, x)
        {
            double d;
            if (json_is_string(x) && json_string_length(x) == len &&
                !memcmp(json_string_value(x), s, len))
                found = 1;
            else if (!c->is_text && !builtin_number(x, &d) && d == c->num[r])
                found = 1;
            else if (json_is_boolean(x) && !c->is_text &&
                     (json_is_true(x) ? 1.0 : 0.0) == c->num[r])
                found = 1;
            if (found)
                break;
        }
        if (!found && bad++ < 5)
            sbuf_addf(&ex, "%s'%.*s'", ex.len ? ", " : "", (int)(len > 60 ? 60 : len), s);
    }
    if (bad)
        violation(v, "column '%s': %zu value%s not allowed (%s%s)", c->name, bad,
                  bad == 1 ? "" : "s", ex.buf, bad > 5 ? ", ..." : "");
    sbuf_release(&ex);
}

static int check_column(struct val *v, const char *name, json_t *exp, json_t *profile,
                        const struct column_table *t, struct ferr *err)
{
    static const char *const keys[] = {"type", "min", "max", "max_null_share", "allowed", NULL};
    const char *k;
    json_t *x, *col = profile_col(profile, name);
    double d;
    if (!json_is_object(exp))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "with.expectations.columns.%.128s must be a mapping", name);
    json_object_foreach(exp, k, x)
    {
        int known = 0;
        for (const char *const *p = keys; *p; p++)
            known |= !strcmp(*p, k);
        if (!known)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "with.expectations.columns.%.128s: unknown key '%.64s' (type, min, "
                            "max, max_null_share, allowed)",
                            name, k);
        if ((!strcmp(k, "min") || !strcmp(k, "max") || !strcmp(k, "max_null_share")) &&
            builtin_number(x, &d))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "with.expectations.columns.%.128s.%s must be a number", name, k);
        if (!strcmp(k, "allowed") && !json_is_array(x))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "with.expectations.columns.%.128s.allowed must be a list", name);
        if (!strcmp(k, "type") &&
            (!json_is_string(x) || !strstr("|int|float|string|bool|", json_string_value(x)) ||
             !json_string_length(x) || strchr(json_string_value(x), '|')))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "with.expectations.columns.%.128s.type must be int, float, string "
                            "or bool",
                            name);
    }
    if (!col) {
        violation(v, "column '%s' is missing", name);
        return 0;
    }
    const char *type = json_string_value(json_object_get(col, "type"));
    int64_t rows = json_integer_value(json_object_get(profile, "rows"));
    if ((x = json_object_get(exp, "type")) && !type_ok(json_string_value(x), type))
        violation(v, "column '%s' is %s, expected %s", name, type, json_string_value(x));
    json_t *mn = json_object_get(col, "min"), *mx = json_object_get(col, "max");
    if ((x = json_object_get(exp, "min")) && !builtin_number(x, &d)) {
        if (!json_is_number(mn))
            violation(v, "column '%s' has no minimum (not a number column, or empty)", name);
        else if (json_number_value(mn) < d)
            violation(v, "column '%s': minimum %.10g is below %.10g", name, json_number_value(mn),
                      d);
    }
    if ((x = json_object_get(exp, "max")) && !builtin_number(x, &d)) {
        if (!json_is_number(mx))
            violation(v, "column '%s' has no maximum (not a number column, or empty)", name);
        else if (json_number_value(mx) > d)
            violation(v, "column '%s': maximum %.10g is above %.10g", name, json_number_value(mx),
                      d);
    }
    if ((x = json_object_get(exp, "max_null_share")) && !builtin_number(x, &d)) {
        double share =
            rows ? (double)json_integer_value(json_object_get(col, "nulls")) / (double)rows : 0;
        if (share > d)
            violation(v, "column '%s': %.4g of its values are null, more than %.4g", name, share,
                      d);
    }
    if ((x = json_object_get(exp, "allowed"))) {
        long ci = column_table_find(t, name);
        if (ci >= 0)
            check_allowed(v, &t->cols[ci], x);
    }
    return 0;
}

static int check_expectations(struct val *v, json_t *exp, json_t *profile,
                              const struct column_table *t, struct ferr *err)
{
    const char *k;
    json_t *x;
    double d;
    if (!exp || json_is_null(exp))
        return 0;
    if (!json_is_object(exp))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "with.expectations must be a mapping");
    json_object_foreach(exp, k, x)
    {
        if (strcmp(k, "min_rows") && strcmp(k, "columns"))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "with.expectations: unknown key '%.64s' (min_rows, columns)", k);
    }
    if ((x = json_object_get(exp, "min_rows"))) {
        if (builtin_number(x, &d))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "with.expectations.min_rows must be a number");
        int64_t rows = json_integer_value(json_object_get(profile, "rows"));
        if ((double)rows < d)
            violation(v, "%lld rows, fewer than min_rows %.0f", (long long)rows, d);
    }
    x = json_object_get(exp, "columns");
    if (x && !json_is_object(x))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "with.expectations.columns must be a mapping {COLUMN: {...}}");
    json_t *ce;
    json_object_foreach(x, k, ce)
    {
        if (check_column(v, k, ce, profile, t, err))
            return -1;
    }
    return 0;
}

static int in_list(json_t *list, const char *name)
{
    size_t i;
    json_t *x;
    if (!json_is_array(list))
        return 1;
    json_array_foreach(list, i, x)
    {
        if (json_is_string(x) && !strcmp(json_string_value(x), name))
            return 1;
    }
    return 0;
}

static int check_drift(struct builtin_ctx *ctx, struct val *v, json_t *drift, const char *ref_uri,
                       struct column_table *cur, json_t *report, struct ferr *err)
{
    static const char *const keys[] = {"test", "threshold", "columns", NULL};
    struct drift_options opt;
    struct drift_column_option *cols = NULL;
    struct drift_report *r = NULL;
    struct column_table *ref = NULL;
    char *local = NULL, *tmp = NULL;
    const char *k, *test = NULL;
    json_t *x, *list = NULL;
    enum stattest_id id = STATTEST_KS;
    int rc = -1;
    drift_options_init(&opt);
    opt.threads = 1;
    if (drift && !json_is_null(drift)) {
        if (!json_is_object(drift))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "with.drift must be a mapping");
        json_object_foreach(drift, k, x)
        {
            int known = 0;
            for (const char *const *p = keys; *p; p++)
                known |= !strcmp(*p, k);
            if (!known)
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "with.drift: unknown key '%.64s' (test, threshold, columns)", k);
        }
        if ((x = json_object_get(drift, "test"))) {
            test = json_string_value(x);
            if (test && !strcmp(test, "chi2"))
                test = "chisquare";
            if (!test || stattest_from_name(test, &id))
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "with.drift.test: unknown test (ks, chisquare, z, wasserstein, "
                                "jensenshannon, psi, kl_div, hellinger)");
        }
        if ((x = json_object_get(drift, "threshold"))) {
            if (builtin_number(x, &opt.threshold))
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "with.drift.threshold must be a number");
            opt.has_threshold = 1;
        }
        list = json_object_get(drift, "columns");
        if (list && !json_is_array(list))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "with.drift.columns must be a list of column names");
    }
    if (builtin_local_csv(ctx->tracking_uri, ref_uri, &local, &tmp, err) ||
        csv_columns_read(local, 1, &ref, err))
        goto out;
    if (test) {
        cols = calloc(cur->ncols + 1, sizeof(*cols));
        if (!cols) {
            ferr_set(err, FERR_INTERNAL_ERROR, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < cur->ncols; i++) {
            const struct drift_column *c = &cur->cols[i];
            int numerical = !c->is_text && drift_column_dtype(c) != DRIFT_DTYPE_BOOL;
            if (column_table_find(ref, c->name) < 0 || !in_list(list, c->name) ||
                !stattest_supports(id, numerical))
                continue;
            cols[opt.ncols].name = c->name;
            cols[opt.ncols].has_stattest = 1;
            cols[opt.ncols].stattest = id;
            opt.ncols++;
        }
        opt.cols = cols;
    }
    if (drift_report_compute(ref, cur, &opt, &r, err))
        goto out;
    for (size_t i = 0; i < r->ncols; i++) {
        const struct drift_col_result *c = &r->cols[i];
        if (!c->tested || !c->drifted || !in_list(list, c->name))
            continue;
        violation(v, "column '%s' drifted (%s: %s %.4g, threshold %.4g)", c->name,
                  stattest_name(c->stattest), isnan(c->p_value) ? "distance" : "p-value",
                  isnan(c->p_value) ? c->statistic : c->p_value, c->threshold);
    }
    json_object_set_new(report, "drift", drift_report_json(r));
    rc = 0;
out:
    drift_report_free(r);
    column_table_free(ref);
    free(cols);
    free(local);
    if (tmp)
        (void)fs_remove_tree(tmp);
    free(tmp);
    return rc;
}

int builtin_validate(struct builtin_ctx *ctx, struct ferr *err)
{
    const char *data = builtin_str(ctx->with, "data"), *ref = builtin_str(ctx->with, "reference");
    struct val v = {json_array(), NULL};
    struct column_table *t = NULL;
    json_t *profile = NULL, *report = json_object();
    char *local = NULL, *tmp = NULL;
    int rc = 2;
    if (!data) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "with.data must be a path or a data: URI");
        goto out;
    }
    if (builtin_local_csv(ctx->tracking_uri, data, &local, &tmp, err) ||
        csv_columns_read(local, 1, &t, err))
        goto out;
    profile = data_profile_table(t);
    if (check_expectations(&v, json_object_get(ctx->with, "expectations"), profile, t, err))
        goto out;
    json_object_set_new(report, "data", json_string(data));
    json_object_set(report, "profile", profile);
    if (ref && check_drift(ctx, &v, json_object_get(ctx->with, "drift"), ref, t, report, err))
        goto out;
    if (!ref && json_object_get(ctx->with, "drift")) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "with.drift needs with.reference");
        goto out;
    }
    size_t n = json_array_size(v.violations), i;
    json_t *x;
    json_object_set_new(report, "passed", json_boolean(n == 0));
    json_object_set(report, "violations", v.violations);
    if (builtin_write_json(ctx->out_dir, "validation.json", report, err))
        goto out;
    json_array_foreach(v.violations, i, x)
        fprintf(stderr, "validate-data: %s\n", json_string_value(x));
    if (n)
        fprintf(stderr, "validate-data: %zu violation%s in %s\n", n, n == 1 ? "" : "s", data);
    else
        printf("validate-data: %s passed (%lld rows)\n", data,
               (long long)json_integer_value(json_object_get(profile, "rows")));
    rc = n ? 1 : 0;
out:
    column_table_free(t);
    json_decref(profile);
    json_decref(report);
    json_decref(v.violations);
    free(local);
    if (tmp)
        (void)fs_remove_tree(tmp);
    free(tmp);
    return rc;
}
