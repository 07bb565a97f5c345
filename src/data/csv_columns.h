/* SPDX-License-Identifier: MIT
 * A CSV file (RFC 4180: a header row, comma-separated fields, double-quoted
 * fields with "" for a quote and line breaks inside, CRLF or LF) streamed
 * into a column_table, the way pandas.read_csv would type it:
 *   - an empty field or one of pandas' NA spellings (NA, N/A, NaN, nan,
 *     null, NULL, None, <NA>, #N/A, n/a, -nan, ...) is a missing value;
 *   - an integer literal is an integer, a decimal or exponent literal a
 *     float (Clinger's exact fast path when the mantissa is below 2^53 and
 *     the power of ten within 10^+-22, strtod otherwise); inf, -inf,
 *     Infinity are floats;
 *   - True/TRUE/true and False/FALSE/false are booleans;
 *   - anything else is text. Quoting changes nothing ("1.5" is a number),
 *     as in pandas.
 * The file is read in blocks into one buffer (no mmap, so its pages never
 * count in the process's resident memory): memory is the table plus the
 * buffer. Not here: other delimiters, comment lines, encodings (bytes are
 * kept as they are). */
#ifndef FERRY_DATA_CSV_COLUMNS_H
#define FERRY_DATA_CSV_COLUMNS_H

#include "base/ferr.h"
#include "data/column_table.h"

/* Reads the CSV file at path into a new table (*out, column_table_free()).
 * Errors (FERR_INVALID_PARAMETER_VALUE, message "PATH:LINE: ..."): the file
 * cannot be opened or read, it has no header row, a header names a column
 * twice or is empty, a row has more or fewer fields than the header, a
 * quoted field is not closed. A header with no data row is a table of 0
 * rows (not an error here). threads: 2 parses a large file (8 MiB or more)
 * in two halves at once (the second half's rows copied below the first's
 * at the end); 1 uses the calling thread only. */
int csv_columns_read(const char *path, int threads, struct column_table **out,
                     struct ferr *err) WARN_UNUSED;

/* Parses one field (len bytes) as pandas would (see above) and appends it
 * to column col of t. Exposed for tests and for callers holding values as
 * text. */
void csv_columns_add_field(struct column_table *t, size_t col, const char *s, size_t len);

#endif
