/* SPDX-License-Identifier: MIT */
#include "serving/input.h"
#include "base/json.h"
#include "base/utf8.h"
#include "base/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MAX_ROWS (1000 * 1000)
/* A matrix holds at most a value per byte of body plus this many: every
 * value a request holds takes a byte of it at least (an empty CSV cell),
 * so only a request whose values are mostly missing (records of a wide
 * model) meets the limit, and no request costs more than 8 bytes a byte
 * of matrix (serve.h). */
#define CELLS_BASE ((size_t)64 * 1024)
/* jansson's tree may take 24 bytes a byte of body: rows of one-digit
 * numbers, the densest ordinary scoring input, take 17-22 (json.h). */
#define JSON_BYTES_PER_BYTE 24

static size_t max_cells(size_t body_len)
{
    return CELLS_BASE + body_len;
}

void matrix_release(struct matrix *m)
{
    free(m->values);
    memset(m, 0, sizeof(*m));
}

#define fail(err, ...) ferr_set((err), FERR_INVALID_PARAMETER_VALUE, __VA_ARGS__)

/* A cell given as text: a number in full. */
static int cell_text(const char *text, const char *col, double *out, struct ferr *err)
{
    char *end;
    errno = 0;
    double d = strtod(text, &end);
    if (!errno && end != text && !*end) {
        *out = d;
        return 0;
    }
    return fail(err, "column '%.100s' holds a value that is not a number", col ? col : "?");
}

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
    if (json_is_string(v))
        return cell_text(json_string_value(v), col, out, err);
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

/* Sized by what the body holds (rows counted in it, columns the model's
 * or counted), never by what it claims; cap: max_cells. */
static int alloc_matrix(struct matrix *m, size_t rows, size_t cols, size_t cap, struct ferr *err)
{
    if (!rows || !cols)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the input has no rows or columns");
    if (rows > MAX_ROWS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "at most %d rows per request", MAX_ROWS);
    if (cols > cap || rows > cap / cols)
        return fail(err,
                    "the input's %zu rows of %zu columns are more values than a body of its "
                    "size may give (%zu)",
                    rows, cols, cap);
    m->rows = rows;
    m->cols = cols;
    m->values = xmalloc(rows * cols * sizeof(*m->values));
    for (size_t i = 0; i < rows * cols; i++)
        m->values[i] = NAN;
    return 0;
}

/* data: rows of arrays, with names (may be NULL) for their columns. Every
 * row is checked before the matrix is made. */
static int from_rows(json_t *data, const char *const *names, size_t ncols,
                     const struct model_signature *sig, size_t cap, struct matrix *out,
                     struct ferr *err)
{
    if (!json_is_array(data) || !json_array_size(data))
        return fail(err, "%s", "the input rows must be a non-empty list");
    if (!ncols)
        ncols = json_array_size(json_array_get(data, 0));
    size_t cols = 0, r;
    json_t *row;
    json_array_foreach(data, r, row)
    {
        if (!json_is_array(row) || json_array_size(row) != ncols)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "row %zu has %zu values, expected %zu", r,
                            json_is_array(row) ? json_array_size(row) : 0, ncols);
    }
    int *map = xcalloc(ncols + 1, sizeof(*map));
    int rc = column_map(sig, names, ncols, map, &cols, err) ||
             alloc_matrix(out, json_array_size(data), cols, cap, err);
    json_array_foreach(data, r, row)
    {
        if (rc)
            break;
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
static int from_records(json_t *recs, const struct model_signature *sig, size_t cap,
                        struct matrix *out, struct ferr *err)
{
    if (!named(sig))
        return fail(err, "%s",
                    "records need the model's signature to order their columns; send "
                    "dataframe_split instead");
    if (!json_is_array(recs) || !json_array_size(recs))
        return fail(err, "%s", "the records must be a non-empty list of objects");
    if (alloc_matrix(out, json_array_size(recs), sig->ninputs, cap, err))
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

/* {"col": [v, ...], ...}: columns of equal length, read in place (as
 * records would be, without making them). */
static int from_columns(json_t *obj, const struct model_signature *sig, size_t cap,
                        struct matrix *out, struct ferr *err)
{
    const char *k;
    json_t *col;
    size_t rows = 0;
    json_object_foreach(obj, k, col)
    {
        if (!json_is_array(col) || (rows && json_array_size(col) != rows))
            return fail(err, "input column '%.100s' is not a list of the same length as the others",
                        k);
        rows = json_array_size(col);
    }
    if (!named(sig))
        return fail(err, "%s",
                    "records need the model's signature to order their columns; send "
                    "dataframe_split instead");
    if (!rows)
        return fail(err, "%s", "the records must be a non-empty list of objects");
    for (size_t c = 0; c < sig->ninputs; c++)
        if (sig->inputs[c].required && !json_object_get(obj, sig->inputs[c].name))
            return fail(err, "missing required column '%.100s'", sig->inputs[c].name);
    if (alloc_matrix(out, rows, sig->ninputs, cap, err))
        return -1;
    for (size_t c = 0; c < sig->ninputs; c++) {
        col = json_object_get(obj, sig->inputs[c].name);
        for (size_t r = 0; r < rows; r++)
            if (cell(json_array_get(col, r), sig->inputs[c].name,
                     &out->values[r * sig->ninputs + c], err)) {
                matrix_release(out);
                return -1;
            }
    }
    return 0;
}

static int from_instances(json_t *v, const struct model_signature *sig, size_t cap,
                          struct matrix *out, struct ferr *err)
{
    if (json_is_object(v))
        return from_columns(v, sig, cap, out, err);
    if (json_is_array(v) && json_is_object(json_array_get(v, 0)))
        return from_records(v, sig, cap, out, err);
    if (json_is_array(v) && json_array_size(v) && !json_is_array(json_array_get(v, 0))) {
        /* one row given flat */
        json_t *rows = json_pack("[O]", v);
        int rc = from_rows(rows, NULL, 0, sig, cap, out, err);
        json_decref(rows);
        return rc;
    }
    return from_rows(v, NULL, 0, sig, cap, out, err);
}

/* The body's JSON under its memory ceiling; NULL with err set. */
static json_t *load_body(const char *body, size_t n, struct ferr *err)
{
    json_error_t je;
    json_t *doc = fjson_loadb_capped(body, n, fjson_cap(n, JSON_BYTES_PER_BYTE), &je);
    if (!doc && fjson_load_over_budget(&je))
        ferr_set(err, FERR_BAD_REQUEST, "the request body is refused: %s", je.text);
    else if (!doc)
        ferr_set(err, FERR_BAD_REQUEST, "malformed JSON in the request body: %s", je.text);
    return doc;
}

int input_from_json(const char *body, size_t n, const struct model_signature *sig,
                    struct matrix *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    size_t cap = max_cells(n);
    json_t *doc = load_body(body, n, err), *v;
    int rc;
    if (!doc)
        return -1;
    if (!json_is_object(doc)) {
        json_decref(doc);
        return ferr_set(err, FERR_BAD_REQUEST, "the body must be a JSON object");
    }
    if ((v = json_object_get(doc, "dataframe_split"))) {
        json_t *cols = json_object_get(v, "columns"), *c;
        size_t i, nc = json_array_size(cols);
        const char **names = nc ? xcalloc(nc, sizeof(*names)) : NULL;
        json_array_foreach(cols, i, c)
        {
            names[i] = json_string_value(c);
        }
        rc = from_rows(json_object_get(v, "data"), names, nc, sig, cap, out, err);
        free(names);
    } else if ((v = json_object_get(doc, "dataframe_records"))) {
        rc = from_records(v, sig, cap, out, err);
    } else if ((v = json_object_get(doc, "instances")) || (v = json_object_get(doc, "inputs"))) {
        rc = from_instances(v, sig, cap, out, err);
    } else {
        rc = ferr_set(err, FERR_BAD_REQUEST,
                      "the body must hold one of dataframe_split, dataframe_records, instances "
                      "or inputs");
    }
    json_decref(doc);
    return rc;
}

/* The next non-empty line of text[0..len) from *pos, NUL-terminated in
 * place; NULL at the end. Walking the same text again gives the same
 * lines. */
static char *csv_line(char *text, size_t len, size_t *pos)
{
    while (*pos < len && (text[*pos] == '\r' || text[*pos] == '\n' || !text[*pos]))
        (*pos)++;
    if (*pos >= len)
        return NULL;
    char *line = text + *pos;
    while (*pos < len && text[*pos] != '\r' && text[*pos] != '\n' && text[*pos])
        (*pos)++;
    if (*pos < len)
        text[*pos] = '\0';
    return line;
}

static size_t csv_fields(const char *line)
{
    size_t n = 1;
    for (const char *c = line; *c; c++)
        n += *c == ',';
    return n;
}

/* CSV with a header; plain fields only (numbers), as the scoring server's
 * pandas.read_csv would take numeric frames. Two passes over the text: the
 * first checks every line and counts the rows, the second fills the
 * matrix, so nothing is held per cell but the cell. */
int input_from_csv(const char *body, size_t n, const struct model_signature *sig,
                   struct matrix *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    char *text = xstrndup(body, n);
    size_t len = strlen(text), pos = 0, ncols = 0, rows = 0, cols = 0;
    char **names = NULL, *line;
    int *map = NULL;
    int rc = 0;
    while (!rc && (line = csv_line(text, len, &pos))) {
        /* A cell that is not UTF-8 refuses the body: dropping it would
         * shift the row's values into the wrong columns. */
        if (!utf8_valid(line)) {
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "the CSV %s holds text that is not valid UTF-8",
                          names ? "data" : "header");
        } else if (!names) { /* the header */
            ncols = csv_fields(line);
            names = xcalloc(ncols + 1, sizeof(*names));
            const char *f = line;
            for (size_t i = 0; i < ncols; i++) {
                size_t m = strcspn(f, ",");
                names[i] = xstrndup(f, m);
                f += m + (f[m] == ',');
            }
        } else if (csv_fields(line) != ncols) {
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "row %zu has %zu values, expected %zu",
                          rows, csv_fields(line), ncols);
        } else {
            rows++;
        }
    }
    if (rc)
        ; /* refused above */
    else if (!names)
        rc = ferr_set(err, FERR_BAD_REQUEST, "the CSV body is empty");
    else if (!rows)
        rc = fail(err, "%s", "the input rows must be a non-empty list");
    if (!rc) {
        map = xcalloc(ncols + 1, sizeof(*map));
        rc = column_map(sig, (const char *const *)names, ncols, map, &cols, err) ||
             alloc_matrix(out, rows, cols, max_cells(n), err);
    }
    pos = 0;
    if (!rc)
        (void)csv_line(text, len, &pos); /* the header, again */
    for (size_t r = 0; !rc && r < rows; r++) {
        char *f = csv_line(text, len, &pos);
        for (size_t i = 0; i < ncols && !rc; i++) {
            size_t m = strcspn(f, ",");
            char saved = f[m];
            f[m] = '\0';
            if (map[i] >= 0) {
                double *v = &out->values[r * cols + (size_t)map[i]];
                if (*f)
                    rc = cell_text(f, names[i], v, err);
                else
                    *v = NAN;
            }
            f[m] = saved;
            f += m + (saved == ',');
        }
    }
    if (rc && out->values)
        matrix_release(out);
    for (size_t i = 0; names && i < ncols; i++)
        free(names[i]);
    free(names);
    free(map);
    free(text);
    return rc ? -1 : 0;
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

/* How many values nested lists hold (what flatten would write). */
static size_t count_values(json_t *j)
{
    if (!json_is_array(j))
        return 1;
    size_t n = 0, i;
    json_t *x;
    json_array_foreach(j, i, x)
    {
        n += count_values(x);
    }
    return n;
}

/* A tensor's data holds exactly total values: checked before anything is
 * sized by its shape. */
static int check_count(json_t *data, size_t total, const char *name, struct ferr *err)
{
    size_t got = data ? count_values(data) : 0;
    if (got > total)
        return fail(err, "input '%.100s' holds more values than its shape says", name);
    if (got < total)
        return fail(err, "input '%.100s' has fewer values than its shape says", name);
    return 0;
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

/* One tensor of [rows, cols...]: positional columns, as wide as a named
 * signature. */
static int oip_tensor(json_t *t, const struct model_signature *sig, size_t cap, struct matrix *out,
                      struct ferr *err)
{
    size_t rows, cols, got = 0;
    size_t total = shape_count(json_object_get(t, "shape"), &rows, &cols);
    const char *name = json_string_value(json_object_get(t, "name"));
    json_t *data = json_object_get(t, "data");
    if (!name)
        name = "?";
    if (!total)
        return fail(err, "input '%.100s' needs a shape of positive integers", name);
    if (check_count(data, total, name, err))
        return -1;
    if (named(sig) && cols != sig->ninputs)
        return fail(err, "input '%.100s' has %zu columns, the model takes %zu (first: '%.100s')",
                    name, cols, sig->ninputs, sig->inputs[0].name);
    if (alloc_matrix(out, rows, cols, cap, err))
        return -1;
    if (flatten(data, out->values, total, &got, name, err)) {
        matrix_release(out);
        return -1;
    }
    return 0;
}

/* A tensor of [rows] per column, matched by name. */
static int oip_columns(json_t *inputs, const struct model_signature *sig, size_t cap,
                       struct matrix *out, struct ferr *err)
{
    size_t nin = json_array_size(inputs), rows = 0, cols = 0, i;
    const char **names = xcalloc(nin + 1, sizeof(*names));
    int *map = xcalloc(nin + 1, sizeof(*map));
    double *v = NULL;
    json_t *t;
    int rc = 0;
    json_array_foreach(inputs, i, t)
    {
        names[i] = json_string_value(json_object_get(t, "name"));
        size_t r, c;
        size_t total = shape_count(json_object_get(t, "shape"), &r, &c);
        if (!names[i] || !total || c != 1 || (rows && r != rows)) {
            rc = fail(err, "input '%.100s' must be named and shaped [rows] like the others",
                      names[i] ? names[i] : "?");
            break;
        }
        rows = r;
        if ((rc = check_count(json_object_get(t, "data"), r, names[i], err)))
            break;
    }
    if (!rc)
        rc =
            column_map(sig, names, nin, map, &cols, err) || alloc_matrix(out, rows, cols, cap, err);
    if (!rc)
        v = xmalloc(rows * sizeof(*v)); /* rows: counted in the body */
    json_array_foreach(inputs, i, t)
    {
        size_t got = 0;
        if (rc)
            break;
        if (map[i] < 0)
            continue;
        rc = flatten(json_object_get(t, "data"), v, rows, &got, names[i], err);
        for (size_t k = 0; !rc && k < rows; k++)
            out->values[k * cols + (size_t)map[i]] = v[k];
    }
    if (rc && out->values)
        matrix_release(out);
    free(v);
    free(map);
    free(names);
    return rc ? -1 : 0;
}

int input_from_oip(const char *body, size_t n, const struct model_signature *sig,
                   struct matrix *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    json_t *doc = load_body(body, n, err);
    if (!doc)
        return -1;
    json_t *inputs = json_object_get(doc, "inputs");
    int rc;
    if (!json_is_array(inputs) || !json_array_size(inputs)) {
        rc = fail(err, "%s", "the body must hold a non-empty \"inputs\" list");
    } else {
        json_t *first_shape = json_object_get(json_array_get(inputs, 0), "shape");
        if (json_array_size(inputs) == 1 &&
            (json_array_size(first_shape) >= 2 || !named(sig) || sig->ninputs == 1))
            rc = oip_tensor(json_array_get(inputs, 0), sig, max_cells(n), out, err);
        else
            rc = oip_columns(inputs, sig, max_cells(n), out, err);
    }
    json_decref(doc);
    return rc ? -1 : 0;
}
