/* SPDX-License-Identifier: MIT
 * A CSV file's records, streamed: RFC 4180 as data/csv_columns.h reads it
 * (comma-separated fields, double-quoted fields with "" for a quote and
 * line breaks inside, bytes between a closing quote and the next separator
 * dropped, CRLF or LF, blank lines skipped as pandas skips them, a UTF-8
 * byte order mark before the header ignored). The file is read in blocks
 * into one buffer that grows when a record is longer than it; a record's
 * fields are offsets into that buffer, with "" pairs undone in place: no
 * allocation or copy per field. Line numbers (1-based, a field spanning
 * lines counting its line breaks) name records in errors, "PATH:LINE: ...".
 * Not here: what the fields mean (csv_columns types them, csv_diff hashes
 * them), other delimiters, comment lines, encodings. */
#ifndef FERRY_DATA_CSV_RECORDS_H
#define FERRY_DATA_CSV_RECORDS_H

#include "base/ferr.h"

#include <stddef.h>
#include <sys/types.h>

/* One field of the current record: r->buf + off, len bytes, quotes undone. */
struct csv_field {
    size_t off, len;
    int quoted;  /* was double-quoted */
    int escaped; /* held "" pairs (undone by csv_records_next) */
};

/* Keep the current record's bytes as they are in the file
 * (csv_records_raw), even when undoing "" pairs rewrites a field. */
#define CSV_RECORDS_RAW 1u

/* A reader. Its fields are read-only to callers; what they point to is
 * valid until the next csv_records_next / csv_records_skip_line. */
struct csv_records {
    const char *path; /* for error messages (not copied) */
    int fd;           /* -1 when closed */
    char *buf;
    size_t cap, len, pos; /* buffer size, bytes in it, start of the next record */
    size_t consumed;      /* bytes read before buf[0], from base */
    size_t base;          /* the file offset the reader started at */
    int eof;
    unsigned flags;           /* CSV_RECORDS_* */
    long line;                /* line of the next record (1-based from the start) */
    long record_line;         /* line the current record starts on */
    struct csv_field *fields; /* the current record's fields */
    size_t nfields, afields;  /* fields in use, allocated */
    size_t raw_off, raw_len;  /* CSV_RECORDS_RAW: the record without its line end */
    char *raw_copy;           /* its copy when a "" pair was undone in buf */
    size_t raw_alloc;         /* raw_copy's size */
    int raw_copied;           /* the raw bytes are in raw_copy, not buf */
};

/* Opens path for reading from file offset `offset` (0: the start), with a
 * buffer of block bytes at first. flags: CSV_RECORDS_*. On error
 * (INVALID_PARAMETER_VALUE, "PATH: cannot open|seek: ...") nothing is left
 * to close, though csv_records_close is harmless. */
int csv_records_open(struct csv_records *r, const char *path, off_t offset, size_t block,
                     unsigned flags, struct ferr *err) WARN_UNUSED;

/* Frees r's buffers and closes its file; r is left closed (closing again
 * does nothing). */
void csv_records_close(struct csv_records *r);

/* The next record into r->fields / r->nfields, r->record_line its line:
 * 1; 0 at the end of the file; -1 on error (INVALID_PARAMETER_VALUE,
 * "PATH:LINE: unterminated quoted field" or "... cannot read: ..."). */
int csv_records_next(struct csv_records *r, struct ferr *err) WARN_UNUSED;

/* Reads the header row (the file's first record, after a byte order mark)
 * into *names (*n of them; free with csv_records_free_names): each field up
 * to its first NUL byte, an empty one named "Unnamed: K" (K its 0-based
 * index) as pandas names it. Errors (INVALID_PARAMETER_VALUE): "PATH:1: no
 * header row", "PATH:LINE: column 'X' is named twice in the header", and
 * csv_records_next's; on error *names is NULL and *n 0. Call it first, on a
 * reader opened at offset 0. */
int csv_records_header(struct csv_records *r, char ***names, size_t *n,
                       struct ferr *err) WARN_UNUSED;

/* Frees n names and the array. Accepts NULL. */
void csv_records_free_names(char **names, size_t n);

/* Moves to just past the next line break, wherever it is (inside a quoted
 * field or not): for a reader opened in the middle of a file, the bet that
 * a record starts there. 1; 0 when the file ends first; -1 on error. */
int csv_records_skip_line(struct csv_records *r, struct ferr *err) WARN_UNUSED;

/* The file offset where the next record starts. */
static inline size_t csv_records_offset(const struct csv_records *r)
{
    return r->base + r->consumed + r->pos;
}

/* Field k of the current record (k < r->nfields): its bytes, *len of them. */
static inline const char *csv_records_field(const struct csv_records *r, size_t k, size_t *len)
{
    *len = r->fields[k].len;
    return r->buf + r->fields[k].off;
}

/* CSV_RECORDS_RAW: the current record as it is in the file, without its
 * line end (a quoted field keeps its quotes and "" pairs): *len bytes. */
static inline const char *csv_records_raw(const struct csv_records *r, size_t *len)
{
    *len = r->raw_len;
    return r->raw_copied ? r->raw_copy : r->buf + r->raw_off;
}

#endif
