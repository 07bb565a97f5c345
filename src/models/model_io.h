/* SPDX-License-Identifier: MIT
 * What a model takes and gives: dense row-major matrices of doubles in,
 * numbers (or JSON, for what is not a number) out; shared by the flavors,
 * the Python worker pool and the scoring server. */
#ifndef FERRY_MODELS_MODEL_IO_H
#define FERRY_MODELS_MODEL_IO_H

#include "base/sbuf.h"

#include <stddef.h>

struct model_input {
    size_t rows, cols;
    const double *values; /* rows * cols, row-major */
};

/* Numbers in values, or (for strings, booleans, nested values) a JSON
 * array of rows entries in json; model_output_release frees either. */
struct model_output {
    size_t rows, cols; /* cols is 1 for one value per row */
    double *values;    /* rows * cols */
    int labels;        /* values are class labels */
    char *json;        /* NULL unless the predictions are not numbers */
    /* Class probabilities, when the model gives them (classifiers): nproba
     * per row, row-major, of the classes 0..nproba-1 (a binary classifier's
     * [1 - p, p]); NULL and 0 otherwise. The answer never shows them: they
     * are for the prediction log. */
    double *proba;
    size_t nproba;
};

void model_output_release(struct model_output *o);
/* Appends the predictions as JSON, one element per row (a number, or a
 * list for several values per row), comma-separated without brackets so
 * that chunks of a stream join up; *first says whether a comma is due. */
void model_output_add_rows(const struct model_output *o, struct sbuf *sb, int *first);

#endif
