/* SPDX-License-Identifier: MIT
 * CSV into a column_table (csv_columns.h): data/csv_records.h hands out each
 * record's fields (offsets into its read buffer, no copy), converted here
 * straight into the table's columns. */
#include "data/csv_columns.h"
#include "data/csv_records.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/xalloc.h"
#include "base/banned.h"

#define BLOCK     (4u << 20) /* bytes read at a time */
#define SPLIT_MIN (8u << 20) /* files this large are parsed in two halves at once */

/* pandas' default na_values (pandas.io.parsers: STR_NA_VALUES). */
static const char *const na_words[] = {
    "#N/A", "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
    "N/A",  "NA",       "NULL", "NaN",     "None",     "n/a",  "nan",  "null",   NULL,
};

static int word_is(const char *s, size_t len, const char *w)
{
    return strlen(w) == len && !memcmp(s, w, len);
}

static int is_na(const char *s, size_t len)
{
    if (len == 0)
        return 1;
    if (len > 8)
        return 0;
    for (const char *const *w = na_words; *w; w++)
        if (word_is(s, len, *w))
            return 1;
    return 0;
}

/* pandas reads inf, +inf, -inf, Infinity, +Infinity, -Infinity in any case. */
static int parse_inf(const char *s, size_t len, double *v)
{
    int neg = 0;
    if (len && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s++;
        len--;
    }
    if ((len == 3 && !strncasecmp(s, "inf", 3)) || (len == 8 && !strncasecmp(s, "infinity", 8))) {
        *v = neg ? -INFINITY : INFINITY;
        return 1;
    }
    return 0;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static double slow_strtod(const char *s, size_t len)
{
    char small[128];
    char *buf = len < sizeof(small) ? small : xmalloc(len + 1);
    memcpy(buf, s, len);
    buf[len] = '\0';
    double v = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    return v;
}

/* A decimal literal [+-]digits[.digits][(e|E)[+-]digits] (at least one
 * digit before the exponent) into *v: 1, with *is_int set for a plain
 * integer that fits int64 comfortably; 0 when s is not such a literal.
 * Clinger's fast path: a mantissa below 2^53 times or divided by an exact
 * power of ten (<= 10^22) is one correctly rounded operation. */
static int parse_decimal(const char *s, size_t len, double *v, int *is_int)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    uint64_t m = 0;
    int sig = 0, digits = 0, dropped = 0;
    long exp10 = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        if (m == 0 && s[i] == '0')
            continue;
        if (sig < 19) {
            m = m * 10 + (uint64_t)(s[i] - '0');
            sig++;
        } else {
            dropped = 1;
            exp10++;
        }
    }
    int integral = 1;
    if (i < len && s[i] == '.') {
        integral = 0;
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            if (m == 0 && s[i] == '0') {
                exp10--;
                continue;
            }
            if (sig < 19) {
                m = m * 10 + (uint64_t)(s[i] - '0');
                sig++;
                exp10--;
            } else {
                dropped = 1;
            }
        }
    }
    if (!digits)
        return 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        integral = 0;
        i++;
        int eneg = 0;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i >= len || s[i] < '0' || s[i] > '9')
            return 0;
        long e = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
        exp10 += eneg ? -e : e;
    }
    if (i != len)
        return 0;
    *is_int = integral && sig <= 18 && !dropped;
    if (!dropped && m < (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        double d = (double)m;
        d = exp10 >= 0 ? d * pow10_exact[exp10] : d / pow10_exact[-exp10];
        *v = neg ? -d : d;
        return 1;
    }
    *v = slow_strtod(s, len);
    return 1;
}

/* The common shape of a number in a CSV file, -?d+(.d*)? with at most 19
 * digits, in one tight pass: 1 with *v and *is_int as parse_decimal would
 * set them (the same operations on the same mantissa), 0 for anything else
 * (parse_decimal decides). */
static int parse_plain(const char *s, size_t len, double *v, int *is_int)
{
    size_t i = len && s[0] == '-', start = i, frac = 0;
    uint64_t m = 0;
    while (i < len && (unsigned)(s[i] - '0') < 10)
        m = m * 10 + (uint64_t)(s[i++] - '0');
    size_t idigits = i - start;
    int dot = i < len && s[i] == '.';
    if (dot) {
        size_t f = ++i;
        while (i < len && (unsigned)(s[i] - '0') < 10)
            m = m * 10 + (uint64_t)(s[i++] - '0');
        frac = i - f;
    }
    /* more digits than 19 may have wrapped m: parse_decimal's job */
    if (i != len || idigits + frac == 0 || idigits + frac > 19 || m >= (1ULL << 53) || frac > 22)
        return 0;
    double d = frac ? (double)m / pow10_exact[frac] : (double)m;
    *v = s[0] == '-' ? -d : d;
    *is_int = !dot && idigits <= 18;
    return 1;
}

/* The first bytes of pandas' special words (NA spellings, inf, booleans):
 * a field starting with any other non-digit byte is text. */
static int maybe_special(unsigned char c)
{
    return strchr("#-+1<NnIiTtFf.", c) != NULL;
}

void csv_columns_add_field(struct column_table *t, size_t col, const char *s, size_t len)
{
    double v;
    int is_int = 0;
    unsigned char c0 = len ? (unsigned char)s[0] : 0;
    if (len && !(c0 >= '0' && c0 <= '9') && !maybe_special(c0)) {
        column_table_add_text(t, col, s, len);
        return;
    }
    if (len && (parse_plain(s, len, &v, &is_int) || parse_decimal(s, len, &v, &is_int))) {
        struct drift_column *c = &t->cols[col];
        if (!is_int && !c->is_text && c->n < c->alloc) {
            /* column_table_add_num's work, inline for the common case */
            c->num[c->n++] = v;
            c->n_float++;
            return;
        }
        if (is_int)
            column_table_add_int(t, col, (int64_t)v);
        else
            column_table_add_num(t, col, v);
        return;
    }
    if (is_na(s, len)) {
        column_table_add_missing(t, col);
        return;
    }
    if (parse_inf(s, len, &v)) {
        column_table_add_num(t, col, v);
        return;
    }
    if (word_is(s, len, "True") || word_is(s, len, "TRUE") || word_is(s, len, "true")) {
        column_table_add_bool(t, col, 1);
        return;
    }
    if (word_is(s, len, "False") || word_is(s, len, "FALSE") || word_is(s, len, "false")) {
        column_table_add_bool(t, col, 0);
        return;
    }
    column_table_add_text(t, col, s, len);
}

static int read_header(struct csv_records *r, struct column_table **out, struct ferr *err)
{
    char **names = NULL;
    size_t nc = 0;
    if (csv_records_header(r, &names, &nc, err))
        return -1;
    *out = column_table_new((const char *const *)names, nc);
    csv_records_free_names(names, nc);
    return 0;
}

/* Parses records into t until the end of the file or, with stop > 0, until
 * the next record starts at or past file offset stop. room: the rows to
 * reserve once 1000 rows tell their size is (room bytes of them; 0: none). */
static int parse_rows(struct csv_records *r, struct column_table *t, size_t stop, size_t room,
                      struct ferr *err)
{
    size_t start = csv_records_offset(r);
    for (;;) {
        if (t->nrows == 1000 && room) {
            /* Room for the whole range at the rows' size so far (5% more). */
            size_t per_row = (csv_records_offset(r) - start) / 1000 + 1;
            column_table_reserve(t, room / per_row * 21 / 20 + 1024);
        }
        if (stop && csv_records_offset(r) >= stop)
            return 0;
        int got = csv_records_next(r, err);
        if (got <= 0)
            return got;
        if (r->nfields != t->ncols)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "%s:%ld: %zu fields where the header has %zu", r->path, r->record_line,
                            r->nfields, t->ncols);
        for (size_t k = 0; k < r->nfields; k++) {
            size_t len;
            const char *s = csv_records_field(r, k, &len);
            csv_columns_add_field(t, k, s, len);
        }
        t->nrows++;
    }
}

/* The second half of a large file, parsed on a thread of its own from the
 * first line break at or after its middle: a bet that this break ends a
 * record (is not inside a quoted field). The first half's parse settles the
 * bet: it must stop exactly where the second half started. One join, no
 * other synchronisation: busy machines slow it no more than they slow one
 * thread. */
struct half {
    const char *path;
    size_t mid;   /* the first half stops at the first record starting here or later */
    size_t start; /* where the second half's first record starts (0: not found) */
    size_t size;
    struct column_table *t;
    struct ferr err;
    int rc;
};

static void *half_thread(void *arg)
{
    struct half *h = arg;
    struct csv_records r;
    h->rc = -1;
    /* From the byte before the middle, so a record starting right at it is found. */
    if (csv_records_open(&r, h->path, (off_t)h->mid - 1, BLOCK, 0, &h->err))
        return NULL;
    if (csv_records_skip_line(&r, &h->err) <= 0)
        goto out;
    h->start = csv_records_offset(&r);
    h->rc = parse_rows(&r, h->t, 0, h->size - h->start, &h->err);
out:
    csv_records_close(&r);
    return NULL;
}

/* An empty table with t's column names. */
static struct column_table *table_like(const struct column_table *t)
{
    const char **names = xcalloc(t->ncols ? t->ncols : 1, sizeof(*names));
    for (size_t i = 0; i < t->ncols; i++)
        names[i] = t->cols[i].name;
    struct column_table *n = column_table_new(names, t->ncols);
    free(names);
    return n;
}

/* Parses the body of r's file into t, in two halves at once when asked and
 * the file is large. */
static int parse_body(struct csv_records *r, struct column_table *t, size_t size, int threads,
                      struct ferr *err)
{
    size_t at = csv_records_offset(r);
    struct half h = {.path = r->path, .size = size};
    pthread_t th;
    if (threads < 2 || size < SPLIT_MIN)
        return parse_rows(r, t, 0, size - at, err);
    h.mid = at + (size - at) / 2;
    h.t = table_like(t);
    if (pthread_create(&th, NULL, half_thread, &h)) {
        column_table_free(h.t);
        return parse_rows(r, t, 0, size - at, err);
    }
    /* Room for all the rows: the second half's are copied below the first's. */
    int rc = parse_rows(r, t, h.mid, size - at, err);
    pthread_join(th, NULL);
    if (!rc && !h.rc && h.start && csv_records_offset(r) == h.start) {
        column_table_finish(h.t);
        column_table_append_free(t, h.t);
        return 0;
    }
    column_table_free(h.t);
    /* Lost the bet (a quoted line break there), or the second half failed:
     * the first half goes on alone, so an error is reported at its true line. */
    return rc ? rc : parse_rows(r, t, 0, 0, err);
}

int csv_columns_read(const char *path, int threads, struct column_table **out, struct ferr *err)
{
    struct csv_records r;
    struct column_table *t = NULL;
    int rc = -1;
    *out = NULL;
    if (csv_records_open(&r, path, 0, BLOCK, 0, err))
        return -1;
    if (read_header(&r, &t, err))
        goto out;
    struct stat st;
    size_t size = fstat(r.fd, &st) || !S_ISREG(st.st_mode) ? 0 : (size_t)st.st_size;
    if (parse_body(&r, t, size, threads, err))
        goto out;
    column_table_finish(t);
    *out = t;
    t = NULL;
    rc = 0;
out:
    column_table_free(t);
    csv_records_close(&r);
    return rc;
}
