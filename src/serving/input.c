/* SPDX-License-Identifier: MIT */
#include "serving/input.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MAX_ROWS (1000 * 1000)

void matrix_release(struct matrix *m)
{
    free(m->values);
    memset(m, 0, sizeof(*m));
}

#define fail(err, ...) ferr_set((err), FERR_INVALID_PARAMETER_VALUE, __VA_ARGS__)

/* A cell: numbers, booleans and numeric strings; null is missing. */
static int cell(json_t *v, const char *col, double *out, struct ferr *err)
{
    if (!v || json_is_null(v)) {
        *out = NAN;
        return 0;
    }
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v) ? 1.0 : 0.0;
        return 0;
    }
    if (json_is_string(v)) {
        char *end;
        errno = 0;
        double d = strtod(json_string_value(v), &end);
        if (!errno && end != json_string_value(v) && !*end) {
            *out = d;
            return 0;
        }
    }
    return fail(err, "column '%.100s' holds a value that is not a number", col ? col : "?");
}

/* The signature column index of a name, or -1. */
static int sig_index(const struct model_signature *sig, const char *name)
{
    for (size_t i = 0; sig && i < sig->ninputs; i++)
        if (sig->inputs[i].name && !strcmp(sig->inputs[i].name, name))
            return (int)i;
    return -1;
}

static int named(const struct model_signature *sig)
{
    return sig && sig->ninputs && !sig->tensor_based && sig->inputs[0].name;
}

/* Maps given column names onto the model's columns: map[given] = model
 * column (or -1 to drop). Checks every required column is present. */
static int column_map(const struct model_signature *sig, const char *const *names, size_t n,
                      int *map, size_t *cols, struct ferr *err)
{
    if (!named(sig) || !names) {
        /* Unnamed values are positional: the model's columns in order. */
        if (named(sig) && n != sig->ninputs)
            return fail(err,
                        "the rows have %zu values, the model takes %zu columns (first: '%.100s')",
                        n, sig->ninputs, sig->inputs[0].name);
        for (size_t i = 0; i < n; i++)
            map[i] = (int)i;
        *cols = n;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        map[i] = names[i] ? sig_index(sig, names[i]) : -1;
    for (size_t k = 0; k < sig->ninputs; k++) {
        int found = 0;
        for (size_t i = 0; i < n && !found; i++)
            found = map[i] == (int)k;
        if (!found && sig->inputs[k].required)
            return fail(err, "missing required column '%.100s'", sig->inputs[k].name);
    }
    *cols = sig->ninputs;
    return 0;
}

static int alloc_matrix(struct matrix *m, size_t rows, size_t cols, struct ferr *err)
{
    if (!rows || !cols)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the input has no rows or columns");
    if (rows > MAX_ROWS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "at most %d rows per request", MAX_ROWS);
    m->rows = rows;
    m->cols = cols;
    m->values = xmalloc(rows * cols * sizeof(*m->values));
    for (size_t i = 0; i < rows * cols; i++)
        m->values[i] = NAN;
    return 0;
}

/* data: rows of arrays, with names (may be NULL) for their columns. */
static int from_rows(json_t *data, const char *const *names, size_t ncols,
                     const struct model_signature *sig, struct matrix *out, struct ferr *err)
{
    if (!json_is_array(data) || !json_array_size(data))
        return fail(err, "%s", "the input rows must be a non-empty list");
    if (!ncols)
        ncols = json_array_size(json_array_get(data, 0));
    int *map = xcalloc(ncols + 1, sizeof(*map));
    size_t cols = 0, r;
    json_t *row;
    int rc = column_map(sig, names, ncols, map, &cols, err) ||
             alloc_matrix(out, json_array_size(data), cols, err);
    json_array_foreach(data, r, row)
    {
        if (rc)
            break;
        if (!json_is_array(row) || json_array_size(row) != ncols) {
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "row %zu has %zu values, expected %zu",
                          r, json_is_array(row) ? json_array_size(row) : 0, ncols);
            break;
        }
        for (size_t i = 0; i < ncols && !rc; i++)
            if (map[i] >= 0)
                rc = cell(json_array_get(row, i), names ? names[i] : NULL,
                          &out->values[r * cols + (size_t)map[i]], err);
    }
    free(map);
    if (rc)
        matrix_release(out);
    return rc ? -1 : 0;
}

/* [{"col": v, ...}, ...]: needs a named signature to order the columns. */
static int from_records(json_t *recs, const struct model_signature *sig, struct matrix *out,
                        struct ferr *err)
{
    if (!named(sig))
        return fail(err, "%s",
                    "records need the model's signature to order their columns; send "
                    "dataframe_split instead");
    if (!json_is_array(recs) || !json_array_size(recs))
        return fail(err, "%s", "the records must be a non-empty list of objects");
    if (alloc_matrix(out, json_array_size(recs), sig->ninputs, err))
        return -1;
    size_t r;
    json_t *rec;
    json_array_foreach(recs, r, rec)
    {
        if (!json_is_object(rec)) {
            matrix_release(out);
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "record %zu is not an object", r);
        }
        for (size_t k = 0; k < sig->ninputs; k++) {
            json_t *v = json_object_get(rec, sig->inputs[k].name);
            if (!v && sig->inputs[k].required) {
                matrix_release(out);
                return fail(err, "missing required column '%.100s'", sig->inputs[k].name);
            }
            if (cell(v, sig->inputs[k].name, &out->values[r * sig->ninputs + k], err)) {
                matrix_release(out);
                return -1;
            }
        }
    }
    return 0;
}

/* {"col": [v, ...], ...}: columns of equal length. */
static int from_columns(json_t *obj, const struct model_signature *sig, struct matrix *out,
                        struct ferr *err)
{
    json_t *recs = json_array();
    const char *k;
    json_t *col;
    size_t rows = 0;
    int rc = 0;
    json_object_foreach(obj, k, col)
    {
        if (!json_is_array(col) || (rows && json_array_size(col) != rows)) {
            rc = fail(err, "input column '%.100s' is not a list of the same length as the others",
                      k);
            break;
        }
        rows = json_array_size(col);
    }
    for (size_t r = 0; !rc && r < rows; r++) {
        json_t *rec = json_object();
        json_object_foreach(obj, k, col)
        {
            json_object_set(rec, k, json_array_get(col, r));
        }
        json_array_append_new(recs, rec);
    }
    if (!rc)
        rc = from_records(recs, sig, out, err);
    json_decref(recs);
    return rc;
}

static int from_instances(json_t *v, const struct model_signature *sig, struct matrix *out,
                          struct ferr *err)
{
    if (json_is_object(v))
        return from_columns(v, sig, out, err);
    if (json_is_array(v) && json_is_object(json_array_get(v, 0)))
        return from_records(v, sig, out, err);
    if (json_is_array(v) && json_array_size(v) && !json_is_array(json_array_get(v, 0))) {
        /* one row given flat */
        json_t *rows = json_pack("[O]", v);
        int rc = from_rows(rows, NULL, 0, sig, out, err);
        json_decref(rows);
        return rc;
    }
    return from_rows(v, NULL, 0, sig, out, err);
}

int input_from_json(const char *body, size_t n, const struct model_signature *sig,
                    struct matrix *out, struct ferr *err)
{
    json_error_t je;
    memset(out, 0, sizeof(*out));
    json_t *doc = json_loadb(body, n, 0, &je), *v;
    int rc;
    if (!json_is_object(doc)) {
        int was_json = doc != NULL;
        json_decref(doc);
        if (was_json)
            return ferr_set(err, FERR_BAD_REQUEST, "the body must be a JSON object");
        return ferr_set(err, FERR_BAD_REQUEST, "malformed JSON in the request body: %s", je.text);
    }
    if ((v = json_object_get(doc, "dataframe_split"))) {
        json_t *cols = json_object_get(v, "columns"), *c;
        size_t i, nc = json_array_size(cols);
        const char **names = nc ? xcalloc(nc, sizeof(*names)) : NULL;
        json_array_foreach(cols, i, c)
        {
            names[i] = json_string_value(c);
        }
        rc = from_rows(json_object_get(v, "data"), names, nc, sig, out, err);
        free(names);
    } else if ((v = json_object_get(doc, "dataframe_records"))) {
        rc = from_records(v, sig, out, err);
    } else if ((v = json_object_get(doc, "instances")) || (v = json_object_get(doc, "inputs"))) {
        rc = from_instances(v, sig, out, err);
    } else {
        rc = ferr_set(err, FERR_BAD_REQUEST,
                      "the body must hold one of dataframe_split, dataframe_records, instances "
                      "or inputs");
    }
    json_decref(doc);
    return rc;
}

/* CSV with a header; plain fields only (numbers), as the scoring server's
 * pandas.read_csv would take numeric frames. */
int input_from_csv(const char *body, size_t n, const struct model_signature *sig,
                   struct matrix *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    char *text = xstrndup(body, n);
    struct sbuf line = SBUF_INIT;
    json_t *data = json_array();
    const char **names = NULL;
    size_t ncols = 0;
    int rc = 0;
    for (char *p = text; *p && !rc;) {
        size_t k = strcspn(p, "\r\n");
        sbuf_reset(&line);
        sbuf_add(&line, p, k);
        p += k;
        while (*p == '\r' || *p == '\n')
            p++;
        if (!line.len)
            continue;
        json_t *row = json_array();
        size_t fields = 0;
        for (char *f = line.buf;; fields++) {
            size_t m = strcspn(f, ",");
            char saved = f[m];
            f[m] = '\0';
            /* A cell that is not UTF-8 refuses the body: dropping it would
             * shift the row's values into the wrong columns. */
            json_t *cell = names && !*f ? json_null() : json_string(f);
            if (!cell) {
                rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                              "the CSV %s holds text that is not valid UTF-8",
                              names ? "data" : "header");
                break;
            }
            json_array_append_new(row, cell);
            if (!saved)
                break;
            f += m + 1;
        }
        if (rc) {
            json_decref(row);
            break;
        }
        if (!names) { /* the header */
            ncols = json_array_size(row);
            names = xcalloc(ncols + 1, sizeof(*names));
            for (size_t i = 0; i < ncols; i++)
                names[i] = xstrdup(json_string_value(json_array_get(row, i)));
            json_decref(row);
        } else {
            json_array_append_new(data, row);
        }
    }
    if (rc)
        ; /* refused above */
    else if (!names)
        rc = ferr_set(err, FERR_BAD_REQUEST, "the CSV body is empty");
    else
        rc = from_rows(data, names, ncols, sig, out, err);
    for (size_t i = 0; names && i < ncols; i++)
        free((char *)names[i]);
    free(names);
    json_decref(data);
    sbuf_release(&line);
    free(text);
    return rc;
}

/* Flattens nested lists of numbers into v (at most max values). */
static int flatten(json_t *j, double *v, size_t max, size_t *n, const char *name, struct ferr *err)
{
    if (json_is_array(j)) {
        size_t i;
        json_t *x;
        json_array_foreach(j, i, x)
        {
            if (flatten(x, v, max, n, name, err))
                return -1;
        }
        return 0;
    }
    if (*n >= max)
        return fail(err, "input '%.100s' holds more values than its shape says", name);
    return cell(j, name, &v[(*n)++], err);
}

static size_t shape_count(json_t *shape, size_t *rows, size_t *cols)
{
    size_t total = 1, i;
    json_t *d;
    *rows = *cols = 0;
    json_array_foreach(shape, i, d)
    {
        json_int_t k = json_integer_value(d);
        if (!json_is_integer(d) || k < 1 || k > MAX_ROWS * 64)
            return 0;
        if (i == 0)
            *rows = (size_t)k;
        else
            *cols = *cols ? *cols * (size_t)k : (size_t)k;
        total *= (size_t)k;
        if (total > (size_t)MAX_ROWS * 64)
            return 0;
    }
    if (!*cols)
        *cols = 1;
    return json_array_size(shape) ? total : 0;
}

int input_from_oip(const char *body, size_t n, const struct model_signature *sig,
                   struct matrix *out, struct ferr *err)
{
    json_error_t je;
    memset(out, 0, sizeof(*out));
    json_t *doc = json_loadb(body, n, 0, &je);
    json_t *inputs = json_object_get(doc, "inputs"), *t;
    size_t i, rows = 0, cols = 0;
    int rc = 0;
    if (!doc) {
        return ferr_set(err, FERR_BAD_REQUEST, "malformed JSON in the request body: %s", je.text);
    }
    if (!json_is_array(inputs) || !json_array_size(inputs)) {
        json_decref(doc);
        return fail(err, "%s", "the body must hold a non-empty \"inputs\" list");
    }
    json_t *first_shape = json_object_get(json_array_get(inputs, 0), "shape");
    if (json_array_size(inputs) == 1 &&
        (json_array_size(first_shape) >= 2 || !named(sig) || sig->ninputs == 1)) {
        /* one tensor of [rows, cols] */
        t = json_array_get(inputs, 0);
        size_t total = shape_count(json_object_get(t, "shape"), &rows, &cols), got = 0;
        const char *name = json_string_value(json_object_get(t, "name"));
        if (!total)
            rc = fail(err, "input '%.100s' needs a shape of positive integers", name ? name : "?");
        else if (!(rc = alloc_matrix(out, rows, cols, err)) &&
                 !(rc = flatten(json_object_get(t, "data"), out->values, total, &got,
                                name ? name : "?", err)) &&
                 got != total)
            rc =
                fail(err, "input '%.100s' has fewer values than its shape says", name ? name : "?");
    } else {
        /* a tensor per column */
        size_t nin = json_array_size(inputs);
        const char **names = xcalloc(nin + 1, sizeof(*names));
        json_t *rows_json = json_array();
        json_array_foreach(inputs, i, t)
        {
            names[i] = json_string_value(json_object_get(t, "name"));
            size_t r, c, got = 0;
            size_t total = shape_count(json_object_get(t, "shape"), &r, &c);
            if (!names[i] || !total || c != 1 || (rows && r != rows)) {
                rc = fail(err, "input '%.100s' must be named and shaped [rows] like the others",
                          names[i] ? names[i] : "?");
                break;
            }
            rows = r;
            double *v = xmalloc(r * sizeof(*v));
            rc = flatten(json_object_get(t, "data"), v, r, &got, names[i], err);
            if (!rc && got != r)
                rc = fail(err, "input '%.100s' has fewer values than its shape says", names[i]);
            for (size_t k = 0; !rc && k < r; k++) {
                if (i == 0)
                    json_array_append_new(rows_json, json_array());
                json_array_append_new(json_array_get(rows_json, k),
                                      isnan(v[k]) ? json_null() : json_real(v[k]));
            }
            free(v);
            if (rc)
                break;
        }
        if (!rc)
            rc = from_rows(rows_json, names, nin, sig, out, err);
        json_decref(rows_json);
        free(names);
    }
    json_decref(doc);
    if (rc)
        matrix_release(out);
    return rc ? -1 : 0;
}
