/* SPDX-License-Identifier: MIT
 * CSV records (csv_records.h). One pass per record: the scanner finds the
 * record's fields (offsets into the read buffer) and its end; only a
 * complete record is handed out, so a record cut by the end of a block is
 * simply scanned again once the next block has been read behind it. */
#include "data/csv_records.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "base/banned.h"

enum scan { SCAN_RECORD, SCAN_MORE, SCAN_END, SCAN_BAD_QUOTE };

static void add_field(struct csv_records *r, size_t off, size_t len, int quoted, int escaped)
{
    ALLOC_GROW(r->fields, r->nfields + 1, r->afields);
    struct csv_field *f = &r->fields[r->nfields++];
    f->off = off;
    f->len = len;
    f->quoted = quoted;
    f->escaped = escaped;
}

/* Scans one record from r->pos: its fields into r->fields and *newlines the
 * line breaks it spans; *end is where the next one starts. SCAN_MORE: the
 * buffer ends inside it (read more); SCAN_END: nothing left. */
static enum scan scan_record(struct csv_records *r, size_t *end, long *newlines)
{
    const char *b = r->buf;
    size_t i = r->pos, n = r->len;
    r->nfields = 0;
    *newlines = 0;
    if (i >= n)
        return r->eof ? SCAN_END : SCAN_MORE;
    for (;;) {
        if (i < n && b[i] == '"') {
            size_t start = ++i;
            int escaped = 0;
            for (;;) {
                const char *q = memchr(b + i, '"', n - i);
                if (!q)
                    return r->eof ? SCAN_BAD_QUOTE : SCAN_MORE;
                for (const char *p = b + i; p < q; p++)
                    *newlines += *p == '\n';
                i = (size_t)(q - b) + 1;
                if (i < n && b[i] == '"') {
                    escaped = 1;
                    i++;
                    continue;
                }
                if (i >= n && !r->eof)
                    return SCAN_MORE;
                break;
            }
            add_field(r, start, i - 1 - start, 1, escaped);
            /* Bytes between the closing quote and the separator are dropped. */
            while (i < n && b[i] != ',' && b[i] != '\n')
                i++;
        } else {
            size_t start = i;
            while (i < n && b[i] != ',' && b[i] != '\n')
                i++;
            size_t flen = i - start;
            if (i < n && b[i] == '\n' && flen && b[i - 1] == '\r')
                flen--;
            else if (i >= n && r->eof && flen && b[i - 1] == '\r')
                flen--;
            add_field(r, start, flen, 0, 0);
        }
        if (i >= n) {
            if (!r->eof)
                return SCAN_MORE;
            *end = n;
            return SCAN_RECORD;
        }
        if (b[i] == '\n') {
            (*newlines)++;
            *end = i + 1;
            return SCAN_RECORD;
        }
        i++; /* the comma */
    }
}

/* Moves the unread bytes to the front of the buffer (doubling it when they
 * fill it) and reads more behind them. */
static int fill(struct csv_records *r, struct ferr *err)
{
    if (r->pos > 0) {
        r->consumed += r->pos;
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->len == r->cap) {
        r->cap *= 2;
        r->buf = xrealloc(r->buf, r->cap);
    }
    for (;;) {
        ssize_t got = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s:%ld: cannot read: %s", r->path,
                            r->line, strerror(errno));
        if (got == 0)
            r->eof = 1;
        r->len += (size_t)got;
        return 0;
    }
}

/* CSV_RECORDS_RAW: the record from start to end (its line end stripped). */
static void set_raw(struct csv_records *r, size_t start, size_t end)
{
    if (end > start && r->buf[end - 1] == '\n')
        end--;
    if (end > start && r->buf[end - 1] == '\r')
        end--;
    r->raw_off = start;
    r->raw_len = end - start;
    r->raw_copied = 0;
}

/* Before buf is rewritten: the raw record into raw_copy. */
static void copy_raw(struct csv_records *r)
{
    if (r->raw_len + 1 > r->raw_alloc) {
        r->raw_alloc = r->raw_len + 1;
        r->raw_copy = xrealloc(r->raw_copy, r->raw_alloc);
    }
    memcpy(r->raw_copy, r->buf + r->raw_off, r->raw_len);
    r->raw_copied = 1;
}

int csv_records_next(struct csv_records *r, struct ferr *err)
{
    for (;;) {
        size_t end = 0, start = r->pos;
        long newlines = 0;
        enum scan s = scan_record(r, &end, &newlines);
        if (s == SCAN_MORE) {
            if (fill(r, err))
                return -1;
            continue;
        }
        if (s == SCAN_END)
            return 0;
        if (s == SCAN_BAD_QUOTE)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s:%ld: unterminated quoted field",
                            r->path, r->line);
        r->record_line = r->line;
        r->line += newlines;
        r->pos = end;
        if (r->nfields == 1 && r->fields[0].len == 0 && !r->fields[0].quoted)
            continue; /* a blank line */
        if (r->flags & CSV_RECORDS_RAW)
            set_raw(r, start, end);
        for (size_t k = 0; k < r->nfields; k++) {
            struct csv_field *f = &r->fields[k];
            if (!f->escaped)
                continue;
            if ((r->flags & CSV_RECORDS_RAW) && !r->raw_copied)
                copy_raw(r);
            char *p = r->buf + f->off;
            size_t o = 0;
            for (size_t j = 0; j < f->len; j++) {
                p[o++] = p[j];
                if (p[j] == '"' && j + 1 < f->len && p[j + 1] == '"')
                    j++;
            }
            f->len = o;
        }
        return 1;
    }
}

int csv_records_skip_line(struct csv_records *r, struct ferr *err)
{
    for (;;) {
        char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
        if (nl) {
            r->pos = (size_t)(nl - r->buf) + 1;
            return 1;
        }
        r->pos = r->len;
        if (r->eof)
            return 0;
        if (fill(r, err))
            return -1;
    }
}

int csv_records_header(struct csv_records *r, char ***names, size_t *n, struct ferr *err)
{
    *names = NULL;
    *n = 0;
    while (r->len < 3 && !r->eof)
        if (fill(r, err))
            return -1;
    if (r->len >= 3 && !memcmp(r->buf, "\xEF\xBB\xBF", 3))
        r->pos = 3; /* a UTF-8 byte order mark */
    int rc = csv_records_next(r, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s:1: no header row", r->path);
    size_t nc = r->nfields;
    char **v = xcalloc(nc, sizeof(*v));
    rc = 0;
    for (size_t k = 0; k < nc; k++) {
        const struct csv_field *f = &r->fields[k];
        v[k] = xstrndup(r->buf + f->off, f->len);
        if (!v[k][0]) {
            free(v[k]);
            v[k] = xmalloc(32);
            snprintf(v[k], 32, "Unnamed: %zu", k);
        }
        for (size_t j = 0; j < k && !rc; j++)
            if (!strcmp(v[j], v[k]))
                rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                              "%s:%ld: column '%s' is named twice in the header", r->path,
                              r->record_line, v[k]);
    }
    if (rc) {
        csv_records_free_names(v, nc);
        return rc;
    }
    *names = v;
    *n = nc;
    return 0;
}

void csv_records_free_names(char **names, size_t n)
{
    for (size_t k = 0; names && k < n; k++)
        free(names[k]);
    free(names);
}

int csv_records_open(struct csv_records *r, const char *path, off_t offset, size_t block,
                     unsigned flags, struct ferr *err)
{
    memset(r, 0, sizeof(*r));
    r->path = path;
    r->line = 1;
    r->flags = flags;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s: cannot open: %s", path,
                        strerror(errno));
#ifdef POSIX_FADV_SEQUENTIAL
    (void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    if (offset && lseek(r->fd, offset, SEEK_SET) != offset) {
        int e = errno;
        close(r->fd);
        r->fd = -1;
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s: cannot seek: %s", path,
                        strerror(e));
    }
    r->base = (size_t)offset;
    r->cap = block ? block : 1;
    r->buf = xmalloc(r->cap);
    return 0;
}

void csv_records_close(struct csv_records *r)
{
    free(r->buf);
    free(r->fields);
    free(r->raw_copy);
    if (r->fd >= 0)
        close(r->fd);
    r->buf = NULL;
    r->fields = NULL;
    r->raw_copy = NULL;
    r->fd = -1;
}
