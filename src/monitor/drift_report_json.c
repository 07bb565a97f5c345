/* SPDX-License-Identifier: MIT
 * The drift report as JSON (drift_report.h): Evidently's names for the drift
 * part, then ferry's data_quality and histograms sections. */
#include "monitor/drift_report.h"

#include <math.h>
#include <stdlib.h>

#include "base/utf8.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* A JSON string of s, whose bytes come from a file: bytes that are not
 * UTF-8 become '?' (jansson refuses them, and the report must not lose a
 * name). */
static json_t *text(const char *s)
{
    if (utf8_valid(s))
        return json_string(s);
    char *copy = xstrdup(s);
    utf8_scrub(copy);
    json_t *j = json_string(copy);
    free(copy);
    return j;
}

/* obj[key] = v, key's bytes that are not UTF-8 turned into '?'. */
static void set_scrubbed(json_t *obj, const char *key, json_t *v)
{
    char *copy = xstrdup(key);
    utf8_scrub(copy);
    json_object_set_new(obj, copy, v);
    free(copy);
}

static json_t *finite_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *share(size_t part, size_t whole)
{
    return json_real(whole ? (double)part / (double)whole : 0.0);
}

static json_t *strings(char *const *s, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, text(s[i]));
    return a;
}

static json_t *column_json(const struct drift_col_result *c)
{
    json_t *j = json_object();
    json_object_set_new(j, "name", text(c->name));
    json_object_set_new(j, "kind", json_string(drift_kind_name(c->kind)));
    json_object_set_new(j, "stattest", json_string(stattest_name(c->stattest)));
    json_object_set_new(j, "statistic", finite_or_null(c->statistic));
    json_object_set_new(j, "p_value",
                        stattest_is_pvalue(c->stattest) ? finite_or_null(c->p_value) : json_null());
    json_object_set_new(j, "threshold", json_real(c->threshold));
    json_object_set_new(j, "drifted", json_boolean(c->drifted));
    return j;
}

static json_t *quality_json(const struct drift_col_result *c, const struct drift_report *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "name", text(c->name));
    json_object_set_new(j, "reference_dtype", json_string(drift_dtype_name(c->ref_dtype)));
    json_object_set_new(j, "current_dtype", json_string(drift_dtype_name(c->cur_dtype)));
    json_object_set_new(j, "type_mismatch", json_boolean(c->ref_dtype != c->cur_dtype));
    json_object_set_new(j, "reference_missing_share", share(c->ref_missing, r->ref_rows));
    json_object_set_new(j, "current_missing_share", share(c->cur_missing, r->cur_rows));
    json_object_set_new(j, "reference_infinite", json_integer((json_int_t)c->ref_nonfinite));
    json_object_set_new(j, "current_infinite", json_integer((json_int_t)c->cur_nonfinite));
    json_object_set_new(j, "n_values", json_integer((json_int_t)c->n_values));
    if (!c->tested) {
        json_object_set_new(j, "skipped", json_string(c->skip_reason));
        return j;
    }
    if (c->kind == DRIFT_KIND_NUM) {
        json_object_set_new(j, "reference_min", finite_or_null(c->ref_min));
        json_object_set_new(j, "reference_max", finite_or_null(c->ref_max));
        json_object_set_new(j, "current_out_of_range",
                            json_integer((json_int_t)c->cur_out_of_range));
        json_object_set_new(j, "current_out_of_range_share",
                            share(c->cur_out_of_range, c->cur_used));
    } else {
        json_object_set_new(j, "new_categories", json_integer((json_int_t)c->new_categories));
        json_object_set_new(j, "current_new_category_share",
                            share(c->cur_new_category_rows, c->cur_used));
        json_object_set_new(j, "new_category_examples",
                            strings(c->new_category_examples, c->n_new_category_examples));
    }
    return j;
}

static json_t *counts(const uint64_t *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer((json_int_t)v[i]));
    return a;
}

static json_t *hist_json(const struct drift_col_result *c)
{
    const struct drift_hist *h = &c->hist;
    json_t *j = json_object();
    json_object_set_new(j, "kind", json_string(drift_kind_name(c->kind)));
    if (h->edges) {
        json_t *e = json_array();
        for (size_t i = 0; i <= h->nbins; i++)
            json_array_append_new(e, finite_or_null(h->edges[i]));
        json_object_set_new(j, "edges", e);
    } else {
        json_object_set_new(j, "labels", strings(h->labels, h->nbins));
    }
    json_object_set_new(j, "reference", counts(h->ref, h->nbins));
    json_object_set_new(j, "current", counts(h->cur, h->nbins));
    return j;
}

json_t *drift_report_json(const struct drift_report *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "dataset_drift", json_boolean(r->dataset_drift));
    json_object_set_new(j, "drift_share", json_real(r->drift_share));
    json_object_set_new(j, "share_of_drifted_columns", json_real(r->share_of_drifted_columns));
    json_object_set_new(j, "number_of_columns", json_integer((json_int_t)r->number_of_columns));
    json_object_set_new(j, "number_of_drifted_columns",
                        json_integer((json_int_t)r->number_of_drifted_columns));
    json_t *cols = json_array(), *quality = json_array(), *hists = json_object();
    for (size_t i = 0; i < r->ncols; i++) {
        const struct drift_col_result *c = &r->cols[i];
        if (c->tested) {
            json_array_append_new(cols, column_json(c));
            set_scrubbed(hists, c->name, hist_json(c));
        }
        json_array_append_new(quality, quality_json(c, r));
    }
    json_object_set_new(j, "columns", cols);
    json_t *dq = json_object();
    json_object_set_new(dq, "reference_rows", json_integer((json_int_t)r->ref_rows));
    json_object_set_new(dq, "current_rows", json_integer((json_int_t)r->cur_rows));
    json_object_set_new(dq, "missing_in_current",
                        strings(r->missing_in_current, r->n_missing_in_current));
    json_object_set_new(dq, "missing_in_reference",
                        strings(r->missing_in_reference, r->n_missing_in_reference));
    json_object_set_new(dq, "columns", quality);
    json_object_set_new(j, "data_quality", dq);
    json_object_set_new(j, "histograms", hists);
    return j;
}
