/* SPDX-License-Identifier: MIT
 * A table of named columns: what a CSV file or a window of the prediction
 * log holds, column-wise, as lean as it can be (profiles and drift reports).
 *
 * A column stores either numbers (doubles; NaN is a missing value, +-inf are
 * kept as given) or text (uint32 codes into the column's own dictionary of
 * distinct strings; DRIFT_CODE_MISSING is a missing value). A column starts
 * numerical and turns into text the first time a text value arrives: its
 * numbers so far become their shortest decimal spelling ("3", "2.5"), as
 * pandas' read_csv keeps such a column as strings (object dtype).
 *
 * Alongside the values the table counts what kind each value was given as
 * (integer, other number, bool, text, missing): the facts pandas' dtype
 * inference rests on, so drift_report can infer the column kind as
 * Evidently 0.6 does (drift_column_dtype()). Booleans are stored as 1/0
 * numbers while the column stays numerical and spelled "True"/"False" once
 * it is text.
 *
 * Building: row-wise, add one value per column and call
 * column_table_end_row(), which pads the columns that got none with a
 * missing value; or column-wise, fill each column and call
 * column_table_finish(), which pads the shorter ones to the longest. Either
 * way column_table_finish() must be called before the table is read.
 * Not thread-safe: one builder per table (distinct tables may be built on
 * distinct threads). */
#ifndef FERRY_DATA_COLUMN_TABLE_H
#define FERRY_DATA_COLUMN_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define DRIFT_CODE_MISSING UINT32_MAX

/* A column's pandas-like dtype, from the counts of what it was given. */
enum drift_dtype {
    DRIFT_DTYPE_INT,    /* int64: integers only, no missing value */
    DRIFT_DTYPE_FLOAT,  /* float64: numbers (or none) with a non-integer or a missing one */
    DRIFT_DTYPE_BOOL,   /* bool: True/False only, no missing value */
    DRIFT_DTYPE_OBJECT, /* object: any text, or bools mixed with numbers or missing values */
};

/* The distinct strings of a text column, in order of first appearance. */
struct drift_dict {
    char **strs;     /* strs[code], NUL-terminated (may hold NULs before: lens[code]) */
    uint32_t *lens;  /* each string's length */
    uint32_t n;      /* distinct strings */
    uint32_t alloc;  /* capacity of strs and lens */
    uint32_t *slots; /* open-addressing hash: code + 1, 0 = empty */
    uint32_t nslots; /* a power of two, > 2 * n */
};

struct drift_column {
    char *name;
    int is_text;     /* 0: num holds the values; 1: codes and dict do */
    double *num;     /* numerical values, NaN = missing */
    uint32_t *codes; /* text values as codes into dict, DRIFT_CODE_MISSING = missing */
    size_t n, alloc; /* values stored, capacity (of num or codes) */
    struct drift_dict dict;
    /* How the values were given (pandas' dtype facts). */
    size_t n_missing; /* missing: column_table_add_missing, NaN, an empty CSV field */
    size_t n_int;     /* integers (column_table_add_int, a CSV integer literal) */
    size_t n_float;   /* other numbers, including +-inf */
    size_t n_bool;    /* booleans */
    size_t n_text;    /* text */
};

struct column_table {
    struct drift_column *cols;
    size_t ncols;
    size_t nrows; /* rows ended so far; after column_table_finish() every column has nrows values */
};

/* A new table with ncols columns named names[0..ncols-1] (copied). */
struct column_table *column_table_new(const char *const *names, size_t ncols);
/* Frees the table and everything in it. Accepts NULL. */
void column_table_free(struct column_table *t);

/* Makes room for rows values in every column, so that a table whose size is
 * known (or estimated) is built without copying: capacity never touched
 * costs no resident memory. */
void column_table_reserve(struct column_table *t, size_t rows);

/* Appends one value to column col (< ncols). */
void column_table_add_num(struct column_table *t, size_t col, double v);
void column_table_add_int(struct column_table *t, size_t col, int64_t v);
void column_table_add_bool(struct column_table *t, size_t col, int v);
/* Text s of len bytes (not necessarily NUL-terminated), copied into the dictionary. */
void column_table_add_text(struct column_table *t, size_t col, const char *s, size_t len);
void column_table_add_missing(struct column_table *t, size_t col);

/* Ends a row: every column that has fewer than nrows + 1 values gets a
 * missing one. A column given two values in one row keeps both (the caller's
 * bug; column_table_finish() then pads the others). */
void column_table_end_row(struct column_table *t);
/* Pads every column to the longest one with missing values and sets nrows.
 * Call once the table is built, before reading it. */
void column_table_finish(struct column_table *t);

/* Appends the rows of src below those of dst and frees src. Both must have
 * the same columns in the same order and be finished; a column text on
 * either side becomes text. Each column of src is freed once copied, so
 * the peak is dst + src + one column (dst's room reserved beforehand). */
void column_table_append_free(struct column_table *dst, struct column_table *src);

/* The column named name, or -1. */
long column_table_find(const struct column_table *t, const char *name);
/* The column's pandas-like dtype (see enum drift_dtype). */
enum drift_dtype drift_column_dtype(const struct drift_column *c);
/* "int64", "float64", "bool", "object". */
const char *drift_dtype_name(enum drift_dtype d);

/* The code of string s (len bytes) in d, or -1. */
long drift_dict_find(const struct drift_dict *d, const char *s, size_t len);
/* Turns a numerical column into a text one (values spelled as
 * column_table_add_text would have received them from pandas: "3", "2.5",
 * "True"); a text column is left as it is. */
void drift_column_to_text(struct drift_column *c);
/* Spells a number as drift_column_to_text does, into buf (NUL-terminated);
 * its length. */
size_t drift_spell_number(double v, char *buf, size_t size);

#endif
