/* SPDX-License-Identifier: MIT
 * Rows added and removed between two CSV files (csv_diff.h): the first
 * file's rows as a hash table of 128-bit row hashes with counts, the second
 * file's rows matched against it one by one. Records come from
 * data/csv_records.h (as csv_columns reads them), with their raw text for
 * the examples. */
#include "data/csv_diff.h"
#include "data/csv_records.h"

#include "base/sbuf.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define BLOCK ((size_t)1 << 16)

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
static struct h128 row_hash(const struct csv_records *r, const size_t *cols, size_t ncols,
                            struct sbuf *key)
{
    sbuf_reset(key);
    for (size_t k = 0; k < ncols; k++) {
        size_t len;
        const char *v = csv_records_field(r, cols[k], &len);
        uint64_t n = len;
        sbuf_add(key, &n, sizeof(n));
        sbuf_add(key, v, len);
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
    struct csv_records r;
    char **names;
    size_t n;
};

static void add_example(char ***rows, uint64_t **lines, size_t *n, const struct csv_records *r)
{
    size_t len;
    const char *raw = csv_records_raw(r, &len);
    *rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
    *lines = xrealloc(*lines, (*n + 1) * sizeof(**lines));
    (*rows)[*n] = xstrndup(raw, len);
    (*lines)[*n] = (uint64_t)r->record_line;
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

static int check_width(const struct side *s, struct ferr *err)
{
    if (s->r.nfields != s->n)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "%s:%ld: %zu fields where the header has %zu", s->r.path, s->r.record_line,
                        s->r.nfields, s->n);
    return 0;
}

struct run {
    struct side before, after;
    size_t *bc, *ac, nc;
    struct rowset set;
    struct sbuf key;
    size_t max;
};

static int load_before(struct run *u, struct csv_diff *out, struct ferr *err)
{
    int got;
    while ((got = csv_records_next(&u->before.r, err)) > 0) {
        if (check_width(&u->before, err))
            return -1;
        struct h128 h = row_hash(&u->before.r, u->bc, u->nc, &u->key);
        rowset_find(&u->set, h, 1)->count++;
        out->rows_before++;
    }
    return got;
}

static int match_after(struct run *u, struct csv_diff *out, struct ferr *err)
{
    int got;
    while ((got = csv_records_next(&u->after.r, err)) > 0) {
        if (check_width(&u->after, err))
            return -1;
        struct h128 h = row_hash(&u->after.r, u->ac, u->nc, &u->key);
        struct slot *e = rowset_find(&u->set, h, 0);
        out->rows_after++;
        if (e && e->count) {
            e->count--;
            out->unchanged++;
            continue;
        }
        out->added++;
        if (out->nadded_rows < u->max)
            add_example(&out->added_rows, &out->added_lines, &out->nadded_rows, &u->after.r);
    }
    return got;
}

/* Reads the first file again for the rows left unmatched. */
static int removed_examples(struct run *u, const char *before, struct csv_diff *out,
                            struct ferr *err)
{
    char **names = NULL;
    size_t n = 0;
    csv_records_close(&u->before.r);
    if (csv_records_open(&u->before.r, before, 0, BLOCK, CSV_RECORDS_RAW, err) ||
        csv_records_header(&u->before.r, &names, &n, err))
        return -1;
    csv_records_free_names(names, n);
    int got = 0;
    while (out->nremoved_rows < u->max && (got = csv_records_next(&u->before.r, err)) > 0) {
        struct h128 h = row_hash(&u->before.r, u->bc, u->nc, &u->key);
        struct slot *e = rowset_find(&u->set, h, 0);
        if (e && e->count) {
            e->count--;
            add_example(&out->removed_rows, &out->removed_lines, &out->nremoved_rows, &u->before.r);
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
    u.max = opts ? opts->max_examples : 0;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    if (csv_records_open(&u.before.r, before, 0, BLOCK, CSV_RECORDS_RAW, err) ||
        csv_records_header(&u.before.r, &u.before.names, &u.before.n, err) ||
        csv_records_open(&u.after.r, after, 0, BLOCK, CSV_RECORDS_RAW, err) ||
        csv_records_header(&u.after.r, &u.after.names, &u.after.n, err))
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
    csv_records_close(&u.before.r);
    csv_records_close(&u.after.r);
    csv_records_free_names(u.before.names, u.before.n);
    csv_records_free_names(u.after.names, u.after.n);
    free(u.bc);
    free(u.ac);
    free(u.set.slots);
    sbuf_release(&u.key);
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
