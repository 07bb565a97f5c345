/* SPDX-License-Identifier: MIT
 * Rows added and removed between two CSV files (csv_diff.h): the first
 * file's rows as a hash table of 128-bit row hashes with counts, the second
 * file's rows matched against it one by one. The CSV reader restates
 * csv_columns.c's (same quoting, blank lines, byte order mark, header
 * rules) but hands out whole records with their raw text, which examples
 * need and a column table does not keep. */
#include "data/csv_diff.h"

#include "base/sbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

#define BLOCK ((size_t)1 << 16)

/* ------------------------------------------------------------ reader */

struct field {
    size_t off, len;
    int quoted, escaped;
};

struct reader {
    const char *path;
    int fd;
    char *buf;
    size_t cap, len, pos; /* buffer size, bytes in it, start of the next record */
    int eof;
    long line; /* line of the next record (1-based) */
    struct field *fields;
    size_t nfields, afields;
    size_t raw_off, raw_len; /* the current record as in the file, without its line end */
};

enum scan { SCAN_RECORD, SCAN_MORE, SCAN_END, SCAN_BAD_QUOTE };

static void add_field(struct reader *r, size_t off, size_t len, int quoted, int escaped)
{
    ALLOC_GROW(r->fields, r->nfields + 1, r->afields);
    struct field *f = &r->fields[r->nfields++];
    f->off = off;
    f->len = len;
    f->quoted = quoted;
    f->escaped = escaped;
}

/* One quoted field from b[*at] (the opening quote). */
static enum scan scan_quoted(struct reader *r, size_t *at, long *newlines)
{
    const char *b = r->buf;
    size_t i = *at + 1, n = r->len, start = i;
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
    while (i < n && b[i] != ',' && b[i] != '\n') /* bytes after the closing quote: dropped */
        i++;
    *at = i;
    return SCAN_RECORD;
}

/* Scans one record from r->pos into r->fields; *end is where the next one
 * starts. SCAN_MORE: the buffer ends inside it. */
static enum scan scan_record(struct reader *r, size_t *end, long *newlines)
{
    const char *b = r->buf;
    size_t i = r->pos, n = r->len;
    r->nfields = 0;
    *newlines = 0;
    if (i >= n)
        return r->eof ? SCAN_END : SCAN_MORE;
    for (;;) {
        if (i < n && b[i] == '"') {
            enum scan s = scan_quoted(r, &i, newlines);
            if (s != SCAN_RECORD)
                return s;
        } else {
            size_t start = i;
            while (i < n && b[i] != ',' && b[i] != '\n')
                i++;
            size_t flen = i - start;
            if (flen && b[i - 1] == '\r' && ((i < n && b[i] == '\n') || (i >= n && r->eof)))
                flen--;
            add_field(r, start, flen, 0, 0);
        }
        if (i >= n) {
            if (!r->eof)
                return SCAN_MORE;
            *end = n;
            break;
        }
        if (b[i] == '\n') {
            (*newlines)++;
            *end = i + 1;
            break;
        }
        i++; /* the comma */
    }
    size_t raw_end = *end;
    if (raw_end > r->pos && b[raw_end - 1] == '\n')
        raw_end--;
    if (raw_end > r->pos && b[raw_end - 1] == '\r')
        raw_end--;
    r->raw_off = r->pos;
    r->raw_len = raw_end - r->pos;
    return SCAN_RECORD;
}

static int fill(struct reader *r, struct ferr *err)
{
    if (r->pos > 0) {
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

/* The next record in r->fields (quotes undone) and r->raw_*: 1, 0 at the
 * end of the file, -1 on error. Blank lines are skipped, as pandas does. */
static int next_record(struct reader *r, long *line, struct ferr *err)
{
    for (;;) {
        size_t end = 0;
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
        *line = r->line;
        r->line += newlines;
        r->pos = end;
        if (r->nfields == 1 && r->fields[0].len == 0 && !r->fields[0].quoted)
            continue;
        return 1;
    }
}

/* Field k's value with "" pairs undone, into out. */
static void field_value(const struct reader *r, size_t k, struct sbuf *out)
{
    const struct field *f = &r->fields[k];
    const char *p = r->buf + f->off;
    sbuf_reset(out);
    if (!f->escaped) {
        sbuf_add(out, p, f->len);
        return;
    }
    for (size_t j = 0; j < f->len; j++) {
        sbuf_addch(out, p[j]);
        if (p[j] == '"' && j + 1 < f->len && p[j + 1] == '"')
            j++;
    }
}

static int reader_open(struct reader *r, const char *path, struct ferr *err)
{
    memset(r, 0, sizeof(*r));
    r->path = path;
    r->line = 1;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s: cannot open: %s", path,
                        strerror(errno));
    r->cap = BLOCK;
    r->buf = xmalloc(r->cap);
    return 0;
}

static void reader_close(struct reader *r)
{
    free(r->buf);
    free(r->fields);
    if (r->fd >= 0)
        close(r->fd);
    r->buf = NULL;
    r->fields = NULL;
    r->fd = -1;
}

/* The header's names (empty ones "Unnamed: k", as pandas names them). */
static int read_header(struct reader *r, char ***names, size_t *n, struct ferr *err)
{
    long line = 1;
    while (r->len < 3 && !r->eof)
        if (fill(r, err))
            return -1;
    if (r->len >= 3 && !memcmp(r->buf, "\xEF\xBB\xBF", 3))
        r->pos = 3;
    int rc = next_record(r, &line, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s:1: no header row", r->path);
    struct sbuf v = SBUF_INIT;
    *n = r->nfields;
    *names = xcalloc(*n, sizeof(**names));
    rc = 0;
    for (size_t k = 0; k < *n; k++) {
        field_value(r, k, &v);
        if (!v.len)
            sbuf_addf(&v, "Unnamed: %zu", k);
        (*names)[k] = xstrdup(v.buf);
        for (size_t j = 0; j < k && !rc; j++)
            if (!strcmp((*names)[j], (*names)[k]))
                rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                              "%s:%ld: column '%s' is named twice in the header", r->path, line,
                              (*names)[k]);
    }
    sbuf_release(&v);
    return rc;
}

static void free_names(char **names, size_t n)
{
    for (size_t k = 0; names && k < n; k++)
        free(names[k]);
    free(names);
}

/* ------------------------------------------------------------ hashing */

struct h128 {
    uint64_t a, b;
};

static uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static uint64_t fmix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

/* MurmurHash3_x64_128 (Austin Appleby, public domain), seed 0. */
static struct h128 murmur3(const unsigned char *p, size_t len)
{
    const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
    uint64_t h1 = 0, h2 = 0;
    size_t nblocks = len / 16;
    for (size_t i = 0; i < nblocks; i++) {
        uint64_t k1, k2;
        memcpy(&k1, p + i * 16, 8);
        memcpy(&k2, p + i * 16 + 8, 8);
        k1 *= c1, k1 = rotl(k1, 31), k1 *= c2, h1 ^= k1;
        h1 = rotl(h1, 27), h1 += h2, h1 = h1 * 5 + 0x52dce729;
        k2 *= c2, k2 = rotl(k2, 33), k2 *= c1, h2 ^= k2;
        h2 = rotl(h2, 31), h2 += h1, h2 = h2 * 5 + 0x38495ab5;
    }
    const unsigned char *tail = p + nblocks * 16;
    uint64_t k1 = 0, k2 = 0;
    size_t rest = len & 15;
    for (size_t i = rest; i > 8; i--)
        k2 ^= (uint64_t)tail[i - 1] << ((i - 9) * 8);
    if (rest > 8)
        k2 *= c2, k2 = rotl(k2, 33), k2 *= c1, h2 ^= k2;
    for (size_t i = rest < 8 ? rest : 8; i > 0; i--)
        k1 ^= (uint64_t)tail[i - 1] << ((i - 1) * 8);
    if (rest)
        k1 *= c1, k1 = rotl(k1, 31), k1 *= c2, h1 ^= k1;
    h1 ^= len, h2 ^= len;
    h1 += h2, h2 += h1;
    h1 = fmix(h1), h2 = fmix(h2);
    h1 += h2, h2 += h1;
    return (struct h128){h1, h2};
}

/* A row's key: each compared field's length (8 bytes) and bytes, hashed. */
static struct h128 row_hash(const struct reader *r, const size_t *cols, size_t ncols,
                            struct sbuf *key, struct sbuf *val)
{
    sbuf_reset(key);
    for (size_t k = 0; k < ncols; k++) {
        field_value(r, cols[k], val);
        uint64_t n = val->len;
        sbuf_add(key, &n, sizeof(n));
        sbuf_add(key, val->buf, val->len);
    }
    struct h128 h = murmur3((const unsigned char *)key->buf, key->len);
    if (!h.a && !h.b)
        h.b = 1; /* (0, 0) marks an empty slot */
    return h;
}

/* Open addressing over 128-bit hashes; count is what is left to match. */
struct slot {
    uint64_t a, b, count;
};

struct rowset {
    struct slot *slots;
    size_t n, cap; /* distinct rows, slots (a power of two) */
};

static struct slot *rowset_find(struct rowset *s, struct h128 h, int insert)
{
    if (insert && (s->n + 1) * 4 > s->cap * 3) {
        struct rowset g = {xcalloc(s->cap ? s->cap * 2 : 1024, sizeof(struct slot)), 0,
                           s->cap ? s->cap * 2 : 1024};
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i].a || s->slots[i].b) {
                struct slot *d = rowset_find(&g, (struct h128){s->slots[i].a, s->slots[i].b}, 1);
                d->count = s->slots[i].count;
            }
        free(s->slots);
        *s = g;
    }
    if (!s->cap)
        return NULL;
    for (size_t i = (size_t)h.a & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        struct slot *e = &s->slots[i];
        if (e->a == h.a && e->b == h.b)
            return e;
        if (!e->a && !e->b) {
            if (!insert)
                return NULL;
            e->a = h.a;
            e->b = h.b;
            s->n++;
            return e;
        }
    }
}

/* ------------------------------------------------------------ diff */

struct side {
    struct reader r;
    char **names;
    size_t n;
};

static void add_example(char ***rows, uint64_t **lines, size_t *n, const struct reader *r,
                        long line)
{
    *rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
    *lines = xrealloc(*lines, (*n + 1) * sizeof(**lines));
    (*rows)[*n] = xstrndup(r->buf + r->raw_off, r->raw_len);
    (*lines)[*n] = (uint64_t)line;
    (*n)++;
}

static long name_index(char **names, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (!strcmp(names[k], name))
            return (long)k;
    return -1;
}

/* The header comparison: the common columns (their index before in bc,
 * after in ac, in before's order), the added and removed ones. */
static size_t compare_headers(const struct side *b, const struct side *a, size_t *bc, size_t *ac,
                              struct csv_diff *out)
{
    size_t nc = 0;
    long last = -1;
    for (size_t k = 0; k < b->n; k++) {
        long j = name_index(a->names, a->n, b->names[k]);
        if (j < 0) {
            out->columns_removed =
                xrealloc(out->columns_removed, (out->ncolumns_removed + 1) * sizeof(char *));
            out->columns_removed[out->ncolumns_removed++] = xstrdup(b->names[k]);
            continue;
        }
        if (j < last)
            out->reordered = 1;
        last = j;
        bc[nc] = k;
        ac[nc++] = (size_t)j;
    }
    for (size_t k = 0; k < a->n; k++)
        if (name_index(b->names, b->n, a->names[k]) < 0) {
            out->columns_added =
                xrealloc(out->columns_added, (out->ncolumns_added + 1) * sizeof(char *));
            out->columns_added[out->ncolumns_added++] = xstrdup(a->names[k]);
        }
    return nc;
}

static int check_width(const struct side *s, long line, struct ferr *err)
{
    if (s->r.nfields != s->n)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "%s:%ld: %zu fields where the header has %zu", s->r.path, line,
                        s->r.nfields, s->n);
    return 0;
}

struct run {
    struct side before, after;
    size_t *bc, *ac, nc;
    struct rowset set;
    struct sbuf key, val;
    size_t max;
};

static int load_before(struct run *u, struct csv_diff *out, struct ferr *err)
{
    long line;
    int got;
    while ((got = next_record(&u->before.r, &line, err)) > 0) {
        if (check_width(&u->before, line, err))
            return -1;
        struct h128 h = row_hash(&u->before.r, u->bc, u->nc, &u->key, &u->val);
        rowset_find(&u->set, h, 1)->count++;
        out->rows_before++;
    }
    return got;
}

static int match_after(struct run *u, struct csv_diff *out, struct ferr *err)
{
    long line;
    int got;
    while ((got = next_record(&u->after.r, &line, err)) > 0) {
        if (check_width(&u->after, line, err))
            return -1;
        struct h128 h = row_hash(&u->after.r, u->ac, u->nc, &u->key, &u->val);
        struct slot *e = rowset_find(&u->set, h, 0);
        out->rows_after++;
        if (e && e->count) {
            e->count--;
            out->unchanged++;
            continue;
        }
        out->added++;
        if (out->nadded_rows < u->max)
            add_example(&out->added_rows, &out->added_lines, &out->nadded_rows, &u->after.r, line);
    }
    return got;
}

/* Reads the first file again for the rows left unmatched. */
static int removed_examples(struct run *u, const char *before, struct csv_diff *out,
                            struct ferr *err)
{
    char **names = NULL;
    size_t n = 0;
    reader_close(&u->before.r);
    if (reader_open(&u->before.r, before, err) || read_header(&u->before.r, &names, &n, err)) {
        free_names(names, n);
        return -1;
    }
    free_names(names, n);
    long line;
    int got = 0;
    while (out->nremoved_rows < u->max && (got = next_record(&u->before.r, &line, err)) > 0) {
        struct h128 h = row_hash(&u->before.r, u->bc, u->nc, &u->key, &u->val);
        struct slot *e = rowset_find(&u->set, h, 0);
        if (e && e->count) {
            e->count--;
            add_example(&out->removed_rows, &out->removed_lines, &out->nremoved_rows, &u->before.r,
                        line);
        }
    }
    return got < 0 ? -1 : 0;
}

int csv_diff_files(const char *before, const char *after, const struct csv_diff_opts *opts,
                   struct csv_diff *out, struct ferr *err)
{
    struct run u;
    memset(&u, 0, sizeof(u));
    u.before.r.fd = u.after.r.fd = -1;
    sbuf_init(&u.key, 256);
    sbuf_init(&u.val, 64);
    u.max = opts ? opts->max_examples : 0;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    if (reader_open(&u.before.r, before, err) ||
        read_header(&u.before.r, &u.before.names, &u.before.n, err) ||
        reader_open(&u.after.r, after, err) ||
        read_header(&u.after.r, &u.after.names, &u.after.n, err))
        goto out;
    u.bc = xcalloc(u.before.n + 1, sizeof(*u.bc));
    u.ac = xcalloc(u.before.n + 1, sizeof(*u.ac));
    u.nc = compare_headers(&u.before, &u.after, u.bc, u.ac, out);
    if (load_before(&u, out, err) < 0 || match_after(&u, out, err) < 0)
        goto out;
    out->removed = out->rows_before - out->unchanged;
    if (u.max && out->removed && removed_examples(&u, before, out, err))
        goto out;
    rc = 0;
out:
    reader_close(&u.before.r);
    reader_close(&u.after.r);
    free_names(u.before.names, u.before.n);
    free_names(u.after.names, u.after.n);
    free(u.bc);
    free(u.ac);
    free(u.set.slots);
    sbuf_release(&u.key);
    sbuf_release(&u.val);
    if (rc)
        csv_diff_release(out);
    return rc;
}

void csv_diff_release(struct csv_diff *d)
{
    if (!d)
        return;
    free_names(d->columns_added, d->ncolumns_added);
    free_names(d->columns_removed, d->ncolumns_removed);
    free_names(d->added_rows, d->nadded_rows);
    free_names(d->removed_rows, d->nremoved_rows);
    free(d->added_lines);
    free(d->removed_lines);
    memset(d, 0, sizeof(*d));
}
