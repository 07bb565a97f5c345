/* SPDX-License-Identifier: MIT
 * A CSV file's profile as pandas 1.5 / numpy 1.24 would compute it
 * (profile.h). The numerical figures restate numpy's own arithmetic so that
 * they agree to the bit where that is cheap: quantiles are numpy's linear
 * method with its _lerp, histogram edges are np.linspace's and counts
 * np.histogram's index correction, sums are numpy's pairwise summation
 * over the column with nulls as 0 (as pandas' nanops sums them). */
#include "data/profile.h"

#include "base/utf8.h"
#include "data/csv_columns.h"
#include "base/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

#define NQUANT 5
static const double quant_q[NQUANT] = {0.05, 0.25, 0.5, 0.75, 0.95};
static const char *const quant_key[NQUANT] = {"0.05", "0.25", "0.5", "0.75", "0.95"};

/* numpy's reductions hand their inner loop 8192 values at a time. */
#define NP_BUFSIZE  8192
#define NP_PW_BLOCK 128

/* ------------------------------------------------------------ JSON values */

/* A statistic: NaN (not defined) is null, an infinity MLflow's string. */
static json_t *stat_json(double v)
{
    if (isnan(v))
        return json_null();
    if (isinf(v))
        return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

/* A value of an integer column: a JSON integer while it is exact. */
static json_t *int_json(double v)
{
    if (v == floor(v) && fabs(v) <= 9007199254740992.0)
        return json_integer((json_int_t)v);
    return stat_json(v);
}

/* s (len bytes, any bytes) as a JSON string of at most DATA_PROFILE_MAX_STR
 * bytes: cut at a character boundary, bytes that are not UTF-8 and NULs as
 * U+FFFD. */
static json_t *str_json(const char *s, size_t len)
{
    char out[DATA_PROFILE_MAX_STR];
    size_t n = 0, i = 0;
    while (i < len) {
        size_t k = utf8_seq((const unsigned char *)s + i, len - i);
        const char *src = s + i;
        size_t w = k;
        if (k == 0 || s[i] == 0) { /* not UTF-8, or a NUL (JSON text of profiles holds none) */
            src = "\xEF\xBF\xBD";
            w = 3;
            k = 1;
        }
        if (n + w > sizeof(out))
            break;
        memcpy(out + n, src, w);
        n += w;
        i += k;
    }
    json_t *j = json_stringn(out, n);
    if (!j)
        abort(); /* only when out of memory: the text is valid UTF-8 */
    return j;
}

/* ------------------------------------------------------------ numpy's arithmetic */

/* numpy's pairwise_sum_DOUBLE (loops_utils.h.src); with skip, a NaN (a
 * null of the column) is read as 0, as pandas puts 0 there before summing. */
static double pairwise_sum(const double *a, size_t n, int skip)
{
#define AT(i) (skip && isnan(a[i]) ? 0.0 : a[i])
    if (n < 8) {
        double res = 0.;
        for (size_t i = 0; i < n; i++)
            res += AT(i);
        return res;
    }
    if (n <= NP_PW_BLOCK) {
        double r[8];
        size_t i;
        for (int j = 0; j < 8; j++)
            r[j] = AT(j);
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += AT(i + j);
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += AT(i);
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2, skip) + pairwise_sum(a + n2, n - n2, skip);
#undef AT
}

/* ndarray.sum(dtype=float64) over a whole column: numpy's reduction hands
 * its inner loop NP_BUFSIZE values at a time (its iterator's buffer size,
 * used as the chunk size even where no cast is needed), so the pairwise
 * sums are per chunk and the chunks are added in order. */
static double np_sum(const double *a, size_t n, int skip)
{
    double res = 0.;
    for (size_t i = 0; i < n; i += NP_BUFSIZE)
        res += pairwise_sum(a + i, n - i < NP_BUFSIZE ? n - i : NP_BUFSIZE, skip);
    return res;
}

/* numpy's _lerp: a + (b-a)*t, from b's side when t >= 0.5. */
static double np_lerp(double a, double b, double t)
{
    double d = b - a;
    return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/* np.percentile(sorted, q * 100), method "linear". */
static double np_quantile(const double *sorted, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    if (h >= (double)(n - 1))
        return sorted[n - 1];
    double prev = floor(h);
    size_t i = (size_t)prev;
    return np_lerp(sorted[i], sorted[i + 1], h - prev);
}

/* np.histogram(values, bins=DATA_PROFILE_BINS) of sorted finite values. */
static json_t *np_histogram(const double *sorted, size_t n)
{
    enum { B = DATA_PROFILE_BINS };
    double first = sorted[0], last = sorted[n - 1];
    if (first == last) {
        first -= 0.5;
        last += 0.5;
    }
    double edges[B + 1], delta = last - first, step = delta / B;
    for (int i = 0; i <= B; i++)
        edges[i] = step == 0 ? (double)i / B * delta + first : (double)i * step + first;
    edges[B] = last;
    double norm = B / (last - first);
    json_int_t counts[B] = {0};
    for (size_t k = 0; k < n; k++) {
        double x = sorted[k];
        long i = (long)((x - first) * norm);
        if (i == B)
            i--;
        if (x < edges[i])
            i--;
        if (x >= edges[i + 1] && i != B - 1)
            i++;
        counts[i]++;
    }
    json_t *je = json_array(), *jc = json_array();
    for (int i = 0; i <= B; i++)
        json_array_append_new(je, json_real(edges[i]));
    for (int i = 0; i < B; i++)
        json_array_append_new(jc, json_integer(counts[i]));
    json_t *h = json_object();
    json_object_set_new(h, "edges", je);
    json_object_set_new(h, "counts", jc);
    return h;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------ columns */

/* Top values: the DATA_PROFILE_MAX_TOP largest counts, ties by code (the
 * order of first appearance). counts[code] for code < n. */
static json_t *top_json(const struct drift_dict *d, const size_t *counts, uint32_t n)
{
    json_t *top = json_array();
    uint32_t taken[DATA_PROFILE_MAX_TOP];
    size_t ntaken = 0;
    while (ntaken < DATA_PROFILE_MAX_TOP) {
        long best = -1;
        for (uint32_t c = 0; c < n; c++) {
            if (!counts[c] || (best >= 0 && counts[c] <= counts[best]))
                continue;
            int seen = 0;
            for (size_t k = 0; k < ntaken && !seen; k++)
                seen = taken[k] == c;
            if (!seen)
                best = c;
        }
        if (best < 0)
            break;
        taken[ntaken++] = (uint32_t)best;
        json_t *e = json_object();
        json_object_set_new(e, "value", str_json(d->strs[best], d->lens[best]));
        json_object_set_new(e, "count", json_integer((json_int_t)counts[best]));
        json_array_append_new(top, e);
    }
    return top;
}

/* A text column (codes): nulls, distinct, top. */
static void text_stats(const struct drift_column *c, json_t *col)
{
    size_t *counts = xcalloc(c->dict.n ? c->dict.n : 1, sizeof(*counts));
    size_t nulls = 0, distinct = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->codes[i] == DRIFT_CODE_MISSING)
            nulls++;
        else if (counts[c->codes[i]]++ == 0)
            distinct++;
    }
    json_object_set_new(col, "nulls", json_integer((json_int_t)nulls));
    json_object_set_new(col, "distinct", json_integer((json_int_t)distinct));
    json_object_set_new(col, "top", top_json(&c->dict, counts, c->dict.n));
    free(counts);
}

/* A numerical column typed object by pandas (booleans mixed with numbers
 * or nulls): its values as column_table spells them once text. */
static void object_stats(const struct drift_column *c, json_t *col)
{
    const char *name = c->name;
    struct column_table *t = column_table_new(&name, 1);
    struct drift_column *d = &t->cols[0];
    column_table_reserve(t, c->n);
    if (c->n)
        memcpy(d->num, c->num, c->n * sizeof(*c->num));
    d->n = c->n;
    d->n_missing = c->n_missing;
    d->n_int = c->n_int;
    d->n_float = c->n_float;
    d->n_bool = c->n_bool;
    d->n_text = c->n_text;
    column_table_finish(t);
    drift_column_to_text(d);
    text_stats(d, col);
    column_table_free(t);
}

/* A bool column (1/0 numbers, no nulls): distinct, mean, top. */
static void bool_stats(const struct drift_column *c, json_t *col)
{
    size_t ntrue = 0;
    int first_true = -1;
    for (size_t i = 0; i < c->n; i++) {
        if (c->num[i] != 0)
            ntrue++;
        if (first_true < 0)
            first_true = c->num[i] != 0;
    }
    size_t nfalse = c->n - ntrue;
    json_object_set_new(col, "nulls", json_integer(0));
    json_object_set_new(col, "distinct", json_integer((ntrue > 0) + (nfalse > 0)));
    json_object_set_new(col, "mean", c->n ? json_real((double)ntrue / (double)c->n) : json_null());
    json_t *top = json_array();
    for (int k = 0; k < 2; k++) {
        /* the larger count first; on a tie the value seen first */
        int want_true = ntrue > nfalse || (ntrue == nfalse && first_true == 1);
        if (k == 1)
            want_true = !want_true;
        size_t n = want_true ? ntrue : nfalse;
        if (!n)
            continue;
        json_t *e = json_object();
        json_object_set_new(e, "value", json_string(want_true ? "True" : "False"));
        json_object_set_new(e, "count", json_integer((json_int_t)n));
        json_array_append_new(top, e);
    }
    json_object_set_new(col, "top", top);
}

/* A number column: nulls, distinct, min, max, mean, std, quantiles,
 * histogram, as pandas' Series methods and np.histogram give them. */
static void number_stats(const struct drift_column *c, int is_int, json_t *col)
{
    double *v = xmalloc((c->n ? c->n : 1) * sizeof(*v));
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        if (!isnan(c->num[i]))
            v[n++] = c->num[i];
    size_t nulls = c->n - n;
    qsort(v, n, sizeof(*v), cmp_double);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        distinct += i == 0 || v[i] != v[i - 1];
    json_object_set_new(col, "nulls", json_integer((json_int_t)nulls));
    json_object_set_new(col, "distinct", json_integer((json_int_t)distinct));
    json_t *(*val)(double) = is_int ? int_json : stat_json;
    double mean = NAN, std = NAN;
    if (n) {
        /* nanops.nanmean, then nanvar's two passes around its own mean */
        mean = np_sum(c->num, c->n, 1) / (double)n;
        double avg = mean;
        if (n > 1) {
            double *sq = xmalloc(c->n * sizeof(*sq));
            for (size_t i = 0; i < c->n; i++)
                sq[i] = isnan(c->num[i]) ? 0.0 : (avg - c->num[i]) * (avg - c->num[i]);
            std = sqrt(np_sum(sq, c->n, 0) / (double)(n - 1));
            free(sq);
        }
    }
    json_object_set_new(col, "min", n ? val(v[0]) : json_null());
    json_object_set_new(col, "max", n ? val(v[n - 1]) : json_null());
    json_object_set_new(col, "mean", stat_json(mean));
    json_object_set_new(col, "std", stat_json(std));
    json_t *q = json_object();
    for (int k = 0; k < NQUANT; k++)
        json_object_set_new(q, quant_key[k],
                            n ? stat_json(np_quantile(v, n, quant_q[k])) : json_null());
    json_object_set_new(col, "quantiles", q);
    if (n && isfinite(v[0]) && isfinite(v[n - 1]))
        json_object_set_new(col, "histogram", np_histogram(v, n));
    free(v);
}

static const char *type_name(enum drift_dtype d)
{
    switch (d) {
    case DRIFT_DTYPE_INT:
        return "integer";
    case DRIFT_DTYPE_FLOAT:
        return "float";
    case DRIFT_DTYPE_BOOL:
        return "bool";
    case DRIFT_DTYPE_OBJECT:
        break;
    }
    return "text";
}

static json_t *column_json(const struct drift_column *c)
{
    json_t *col = json_object();
    enum drift_dtype d = drift_column_dtype(c);
    json_object_set_new(col, "name", str_json(c->name, strlen(c->name)));
    json_object_set_new(col, "type", json_string(type_name(d)));
    if (c->is_text)
        text_stats(c, col);
    else if (d == DRIFT_DTYPE_OBJECT)
        object_stats(c, col);
    else if (d == DRIFT_DTYPE_BOOL)
        bool_stats(c, col);
    else
        number_stats(c, d == DRIFT_DTYPE_INT, col);
    return col;
}

json_t *data_profile_table(const struct column_table *t)
{
    json_t *file = json_object(), *cols = json_array();
    json_object_set_new(file, "rows", json_integer((json_int_t)t->nrows));
    size_t ncols = t->ncols < DATA_PROFILE_MAX_COLUMNS ? t->ncols : DATA_PROFILE_MAX_COLUMNS;
    for (size_t i = 0; i < ncols; i++)
        json_array_append_new(cols, column_json(&t->cols[i]));
    json_object_set_new(file, "columns", cols);
    if (ncols < t->ncols)
        json_object_set_new(file, "columns_total", json_integer((json_int_t)t->ncols));
    return file;
}

int data_profile_csv(const char *path, int threads, json_t **out, struct ferr *err)
{
    struct column_table *t = NULL;
    *out = NULL;
    if (csv_columns_read(path, threads, &t, err))
        return -1;
    *out = data_profile_table(t);
    column_table_free(t);
    return 0;
}

int data_profile_is_csv(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && strcasecmp(path + n - 4, ".csv") == 0;
}

int data_profile_dir_open(void *ctx, const char *rel, struct sbuf *local, struct ferr *err)
{
    (void)err;
    sbuf_addf(local, "%s/%s", (const char *)ctx, rel);
    return 0;
}

static void skip(json_t *skipped, const char *path, const char *reason)
{
    if (json_array_size(skipped) >= DATA_PROFILE_MAX_SKIPPED)
        return;
    json_t *e = json_object();
    json_object_set_new(e, "path", str_json(path, strlen(path)));
    json_object_set_new(e, "reason", str_json(reason, strlen(reason)));
    json_array_append_new(skipped, e);
}

/* Bytes of j as compact JSON (what the server counts against its cap). */
static size_t json_bytes(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    if (!s)
        abort(); /* out of memory */
    size_t n = strlen(s);
    free(s);
    return n;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct data_profile_entry *)a)->path,
                  ((const struct data_profile_entry *)b)->path);
}

/* Profiles one CSV file of a version into files (or skipped). */
static int profile_one(const struct data_profile_entry *e, const struct data_profile_source *src,
                       int threads, json_t *files, json_t *skipped, size_t *bytes, struct ferr *err)
{
    struct sbuf local = SBUF_INIT;
    struct ferr perr = FERR_INIT;
    json_t *file = NULL;
    if (src->open(src->ctx, e->path, &local, err)) {
        sbuf_release(&local);
        return -1;
    }
    int rc = data_profile_csv(local.buf, threads, &file, &perr);
    if (src->close)
        src->close(src->ctx, e->path, local.buf);
    if (rc) {
        /* "LOCAL:LINE: what": the manifest path says more than a local one */
        const char *m = perr.msg;
        if (strncmp(m, local.buf, local.len) == 0 && m[local.len] == ':')
            m += local.len + 1;
        while (*m == ' ')
            m++;
        char reason[sizeof(perr.msg) + 32]; /* cut to DATA_PROFILE_MAX_STR by str_json */
        snprintf(reason, sizeof(reason), "not parsed as CSV: %s%s",
                 *m >= '0' && *m <= '9' ? "line " : "", m);
        skip(skipped, e->path, reason);
        sbuf_release(&local);
        return 0;
    }
    sbuf_release(&local);
    /* a key and its punctuation besides the file's own text */
    size_t cost = json_bytes(file) + strlen(e->path) * 2 + 8;
    if (*bytes + cost > DATA_PROFILE_MAX_BYTES - 64 * 1024) {
        skip(skipped, e->path, "its profile would pass the size cap of profiles");
        json_decref(file);
        return 0;
    }
    *bytes += cost;
    json_object_set_new(files, e->path, file);
    return 0;
}

int data_profile_version(const struct data_profile_entry *files, size_t n,
                         const struct data_profile_source *src, int threads, json_t **out,
                         struct ferr *err)
{
    struct data_profile_entry *sorted = xmalloc((n ? n : 1) * sizeof(*sorted));
    size_t ncsv = 0, profiled = 0, bytes = 64;
    for (size_t i = 0; i < n; i++)
        if (data_profile_is_csv(files[i].path))
            sorted[ncsv++] = files[i];
    qsort(sorted, ncsv, sizeof(*sorted), cmp_entry);
    json_t *prof = json_object(), *jfiles = json_object(), *skipped = json_array();
    json_object_set_new(prof, "format", json_string(DATA_PROFILE_FORMAT));
    json_object_set_new(prof, "files", jfiles);
    int rc = 0;
    for (size_t i = 0; i < ncsv && !rc; i++) {
        const struct data_profile_entry *e = &sorted[i];
        char reason[128];
        if (strlen(e->path) > DATA_PROFILE_MAX_PATH) {
            continue; /* not a manifest path; nothing to name it by */
        } else if (e->size > DATA_PROFILE_MAX_FILE_SIZE) {
            snprintf(reason, sizeof(reason), "larger than %llu GiB",
                     (unsigned long long)(DATA_PROFILE_MAX_FILE_SIZE >> 30));
            skip(skipped, e->path, reason);
        } else if (profiled >= DATA_PROFILE_MAX_FILES) {
            snprintf(reason, sizeof(reason), "past the first %d CSV files", DATA_PROFILE_MAX_FILES);
            skip(skipped, e->path, reason);
        } else {
            profiled++;
            rc = profile_one(e, src, threads, jfiles, skipped, &bytes, err);
        }
    }
    free(sorted);
    if (json_array_size(skipped))
        json_object_set_new(prof, "skipped", skipped);
    else
        json_decref(skipped);
    if (rc) {
        json_decref(prof);
        *out = NULL;
        return -1;
    }
    *out = prof;
    return 0;
}
