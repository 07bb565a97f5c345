/* SPDX-License-Identifier: MIT
 * Scoring requests as MLflow's scoring server takes them, turned into the
 * dense matrix of doubles a tabular model eats:
 *   {"dataframe_split": {"columns": [...], "data": [[...], ...]}}
 *   {"dataframe_records": [{"col": v, ...}, ...]}
 *   {"instances": [[...], ...]} or [{"col": v}, ...]
 *   {"inputs": [[...], ...]} or {"col": [v, ...], ...} or [{...}]
 *   text/csv with a header row
 * ("params" is accepted and ignored: tabular flavors take none). With a
 * signature, columns are matched by name and put in the signature's
 * order; a missing required column, a non-numeric value, or a malformed
 * body is INVALID_PARAMETER_VALUE (400) naming the column or the problem.
 * Null and missing optional values become NaN (XGBoost's missing).
 *
 * A request costs what its body holds, not what it claims: its JSON is
 * parsed under a ceiling of 4 MiB + 24 bytes a byte of body (base/json.h),
 * CSV is read in place, every shape, row and column count is checked
 * against the values present before a matrix is sized, and a matrix holds
 * at most a value per byte of body plus 64 Ki (more is refused, 400). */
#ifndef FERRY_SERVING_INPUT_H
#define FERRY_SERVING_INPUT_H

#include "base/ferr.h"
#include "models/mlmodel.h"

#include <stddef.h>

struct matrix {
    size_t rows, cols;
    double *values; /* owned */
};

int input_from_json(const char *body, size_t n, const struct model_signature *sig,
                    struct matrix *out, struct ferr *err) WARN_UNUSED;
int input_from_csv(const char *body, size_t n, const struct model_signature *sig,
                   struct matrix *out, struct ferr *err) WARN_UNUSED;
/* The Open Inference Protocol v2 request body:
 *   {"inputs": [{"name": "input-0", "shape": [rows, cols], "datatype": "FP32",
 *                "data": [...]}]}       one tensor, flat or nested data, as wide
 *                                        as a named signature; or
 *   {"inputs": [{"name": "<column>", "shape": [rows], ...}, ...]}   a tensor
 * per column, matched to the signature by name. */
int input_from_oip(const char *body, size_t n, const struct model_signature *sig,
                   struct matrix *out, struct ferr *err) WARN_UNUSED;
void matrix_release(struct matrix *m);

#endif
