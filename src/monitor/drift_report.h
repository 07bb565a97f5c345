/* SPDX-License-Identifier: MIT
 * The data drift report: Evidently 0.6's default drift logic over two
 * column_tables (reference, current), with data quality and per-column
 * histograms in the same report.
 *
 * Per column present in both tables (in the reference's order):
 *   - its kind, num or cat, inferred as Evidently 0.6.7 does
 *     (utils/data_preprocessing.py, _get_column_type) from the pandas dtypes
 *     the tables' facts give: an int64 column with at most 5 distinct values
 *     (reference's count, the current's when the reference has none) is
 *     cat, other int64 and float64 columns num, bool and object columns cat;
 *     when the two sides' dtypes differ and one is not numeric (int/float),
 *     the reference's dtype counts; the columns named "target" and
 *     "prediction" get Evidently's special rules (target: num when numeric
 *     with more than 5 distinct values; prediction: cat when text, or with at
 *     most 5 distinct values that are integers or not all in [0, 1]).
 *     Overridable per column. (Evidently's legacy DataDriftTable types
 *     columns by dtype alone; the issue takes _get_column_type's rule.)
 *   - missing (NaN, empty) and infinite values dropped on both sides
 *     (Evidently's data_drift.get_one_column_drift);
 *   - Evidently's default test (stattests/registry.py,
 *     _get_default_stattest), n_values being the distinct values of both
 *     cleaned sides together: a cleaned reference of <= 1000 rows takes ks
 *     (num, n_values > 5), chisquare (n_values > 2) or z (otherwise); a
 *     larger one wasserstein (num, n_values > 5) or jensenshannon.
 *     Overridable per column, as is the threshold.
 *   - dataset drift: share of drifted columns >= drift_share.
 * A column left empty on either side by the cleaning is not tested (as
 * Evidently refuses it): it is listed under data_quality.skipped and not
 * counted in number_of_columns. So is a column whose kind is num while one
 * side holds text.
 *
 * drift_report_compute() reorders the tables' numerical columns (it sorts
 * them in place, without their missing and infinite values, to save the
 * memory of a copy) and may turn numerical columns into text ones where the
 * other side is text: the tables are the report's scratch, free them
 * after. */
#ifndef FERRY_MONITOR_DRIFT_REPORT_H
#define FERRY_MONITOR_DRIFT_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/ferr.h"
#include "data/column_table.h"
#include "monitor/stattest.h"

enum drift_kind { DRIFT_KIND_NUM, DRIFT_KIND_CAT };

/* One column's overrides. */
struct drift_column_option {
    const char *name;
    int has_stattest;
    enum stattest_id stattest;
    int has_threshold;
    double threshold;
    int has_kind;
    enum drift_kind kind;
};

struct drift_options {
    double drift_share; /* dataset drift at share of drifted columns >= this; 0.5 */
    int has_threshold;  /* one threshold for every column without its own */
    double threshold;
    const struct drift_column_option *cols; /* per-column overrides (names must exist) */
    size_t ncols;
    int threads;      /* columns tested in parallel: 1 or 2 */
    size_t hist_bins; /* bins of a numerical histogram; 20 */
    size_t hist_cats; /* categories kept in a categorical histogram (the rest: "other"); 20 */
};

/* Evidently's defaults: drift_share 0.5, no threshold override, 2 threads. */
void drift_options_init(struct drift_options *o);

/* Reference against current values of one column, on shared bins. */
struct drift_hist {
    size_t nbins;
    double *edges; /* num: nbins + 1 edges; NULL for cat */
    char **labels; /* cat: nbins labels (the last may be "other"); NULL for num */
    uint64_t *ref; /* counts per bin */
    uint64_t *cur;
};

struct drift_col_result {
    char *name;
    enum drift_kind kind;
    int tested;        /* 0: skipped (reason says why) */
    char *skip_reason; /* NULL when tested */
    enum stattest_id stattest;
    double statistic; /* may be +inf (chisquare with a new category) */
    double p_value;   /* NAN for distance tests */
    double threshold;
    int drifted;
    /* Data quality. */
    enum drift_dtype ref_dtype, cur_dtype;
    size_t ref_missing, cur_missing;     /* missing values (NaN, empty) */
    size_t ref_nonfinite, cur_nonfinite; /* +-inf */
    size_t n_values;                     /* distinct cleaned values, both sides together */
    size_t ref_used, cur_used;           /* values tested (after the cleaning) */
    double ref_min, ref_max;             /* num: the cleaned reference's range */
    size_t cur_out_of_range;             /* num: current values outside it */
    size_t new_categories;               /* cat: categories only in current */
    size_t cur_new_category_rows;        /* cat: current rows holding one */
    char **new_category_examples;        /* up to 10 of them */
    size_t n_new_category_examples;
    struct drift_hist hist;
};

struct drift_report {
    struct drift_col_result *cols;
    size_t ncols;
    size_t ref_rows, cur_rows;
    size_t number_of_columns; /* tested columns */
    size_t number_of_drifted_columns;
    double share_of_drifted_columns;
    double drift_share;
    int dataset_drift;
    char **missing_in_current; /* reference columns the current lacks */
    size_t n_missing_in_current;
    char **missing_in_reference; /* current columns the reference lacks */
    size_t n_missing_in_reference;
    double seconds; /* wall time of drift_report_compute */
};

/* Computes the report of CUR against REF (see above) into *out
 * (drift_report_free()). Errors (FERR_INVALID_PARAMETER_VALUE): no column
 * common to both tables, an empty reference or current table, an option
 * naming a column not in both tables, a stattest that does not apply to the
 * column's kind, a num kind forced on a text column. */
int drift_report_compute(struct column_table *ref, struct column_table *cur,
                         const struct drift_options *opt, struct drift_report **out,
                         struct ferr *err) WARN_UNUSED;
void drift_report_free(struct drift_report *r);

/* The report as JSON with Evidently's names (dataset_drift, drift_share,
 * share_of_drifted_columns, number_of_columns, number_of_drifted_columns,
 * columns: [{name, kind, stattest, statistic, p_value, threshold,
 * drifted}]; a non-finite statistic and a distance test's p-value are null),
 * plus "data_quality" and "histograms" (by column name). A new reference. */
json_t *drift_report_json(const struct drift_report *r);

/* "num" or "cat". */
const char *drift_kind_name(enum drift_kind k);

#endif
