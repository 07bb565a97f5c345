/* SPDX-License-Identifier: MIT
 * The drift report's column table (column_table.h): growable columns of
 * doubles or dictionary codes, and the per-column counts pandas' dtype
 * inference rests on. Large arrays grow by doubling through realloc, which
 * glibc serves with mremap for big blocks, so growth copies nothing and the
 * untouched tail of a capacity costs no resident memory. */
#include "data/column_table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/xalloc.h"
#include "base/banned.h"

static uint32_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a, 64 bits, folded */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return (uint32_t)(h ^ (h >> 32));
}

long drift_dict_find(const struct drift_dict *d, const char *s, size_t len)
{
    if (!d->nslots)
        return -1;
    uint32_t mask = d->nslots - 1;
    for (uint32_t i = hash_bytes(s, len) & mask;; i = (i + 1) & mask) {
        uint32_t slot = d->slots[i];
        if (!slot)
            return -1;
        uint32_t code = slot - 1;
        if (d->lens[code] == len && !memcmp(d->strs[code], s, len))
            return (long)code;
    }
}

static void dict_rehash(struct drift_dict *d, uint32_t nslots)
{
    free(d->slots);
    d->slots = xcalloc(nslots, sizeof(*d->slots));
    d->nslots = nslots;
    uint32_t mask = nslots - 1;
    for (uint32_t code = 0; code < d->n; code++) {
        uint32_t i = hash_bytes(d->strs[code], d->lens[code]) & mask;
        while (d->slots[i])
            i = (i + 1) & mask;
        d->slots[i] = code + 1;
    }
}

static uint32_t dict_intern(struct drift_dict *d, const char *s, size_t len)
{
    long found = drift_dict_find(d, s, len);
    if (found >= 0)
        return (uint32_t)found;
    if ((size_t)d->n + 1 >= (size_t)UINT32_MAX / 4) {
        fprintf(stderr, "fatal: too many distinct values in one column\n");
        abort();
    }
    if (d->n == d->alloc) {
        d->alloc = d->alloc ? d->alloc * 2 : 16;
        d->strs = xrealloc(d->strs, d->alloc * sizeof(*d->strs));
        d->lens = xrealloc(d->lens, d->alloc * sizeof(*d->lens));
    }
    uint32_t code = d->n++;
    d->strs[code] = xmalloc(len + 1); /* not xstrndup: the bytes may hold a NUL */
    memcpy(d->strs[code], s, len);
    d->strs[code][len] = '\0';
    d->lens[code] = (uint32_t)len;
    if ((size_t)d->n * 2 >= d->nslots) {
        dict_rehash(d, d->nslots ? d->nslots * 2 : 64);
    } else {
        uint32_t mask = d->nslots - 1;
        uint32_t i = hash_bytes(s, len) & mask;
        while (d->slots[i])
            i = (i + 1) & mask;
        d->slots[i] = code + 1;
    }
    return code;
}

static void dict_release(struct drift_dict *d)
{
    for (uint32_t i = 0; i < d->n; i++)
        free(d->strs[i]);
    free(d->strs);
    free(d->lens);
    free(d->slots);
    memset(d, 0, sizeof(*d));
}

struct column_table *column_table_new(const char *const *names, size_t ncols)
{
    struct column_table *t = xcalloc(1, sizeof(*t));
    t->cols = xcalloc(ncols ? ncols : 1, sizeof(*t->cols));
    t->ncols = ncols;
    for (size_t i = 0; i < ncols; i++)
        t->cols[i].name = xstrdup(names[i]);
    return t;
}

void column_table_free(struct column_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ncols; i++) {
        struct drift_column *c = &t->cols[i];
        free(c->name);
        free(c->num);
        free(c->codes);
        dict_release(&c->dict);
    }
    free(t->cols);
    free(t);
}

#define HUGE_PAGE (2u << 20)

/* realloc for a column's array. A large one is aligned on 2 MiB and marked
 * for transparent huge pages: filling a column of a million rows then takes
 * a few page faults rather than thousands (each costly, in a VM above all).
 * Capacity never touched still costs no resident memory. */
static void *array_realloc(void *p, size_t used_bytes, size_t bytes)
{
    if (bytes < HUGE_PAGE)
        return xrealloc(p, bytes);
    size_t size = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *q = aligned_alloc(HUGE_PAGE, size);
    if (!q)
        return xrealloc(p, bytes);
#ifdef MADV_HUGEPAGE
    (void)madvise(q, size, MADV_HUGEPAGE);
#endif
    if (used_bytes)
        memcpy(q, p, used_bytes);
    free(p);
    return q;
}

static void set_alloc(struct drift_column *c, size_t alloc)
{
    if (c->is_text)
        c->codes = array_realloc(c->codes, c->n * sizeof(*c->codes), alloc * sizeof(*c->codes));
    else
        c->num = array_realloc(c->num, c->n * sizeof(*c->num), alloc * sizeof(*c->num));
    c->alloc = alloc;
}

static void grow(struct drift_column *c)
{
    if (c->n < c->alloc)
        return;
    set_alloc(c, c->alloc < 64 ? 64 : c->alloc * 2);
}

void column_table_reserve(struct column_table *t, size_t rows)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (t->cols[i].alloc < rows)
            set_alloc(&t->cols[i], rows);
}

/* Spells v the way pandas keeps it as text: integers without a fraction,
 * others in the shortest form that reads back to the same double. */
size_t drift_spell_number(double v, char *buf, size_t size)
{
    int len;
    if (isinf(v))
        len = snprintf(buf, size, "%s", v > 0 ? "inf" : "-inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        len = snprintf(buf, size, "%.0f", v);
    else {
        for (int prec = 1; prec <= 17; prec++) {
            len = snprintf(buf, size, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
    }
    return len > 0 ? (size_t)len : 0;
}

void drift_column_to_text(struct drift_column *c)
{
    if (c->is_text)
        return;
    int bools = c->n_bool > 0 && c->n_int == 0 && c->n_float == 0;
    uint32_t *codes = array_realloc(NULL, 0, (c->alloc ? c->alloc : 1) * sizeof(*codes));
    for (size_t i = 0; i < c->n; i++) {
        double v = c->num[i];
        char buf[64];
        size_t len;
        if (isnan(v)) {
            codes[i] = DRIFT_CODE_MISSING;
            continue;
        }
        if (bools)
            len = (size_t)snprintf(buf, sizeof(buf), "%s", v != 0 ? "True" : "False");
        else
            len = drift_spell_number(v, buf, sizeof(buf));
        codes[i] = dict_intern(&c->dict, buf, len);
    }
    free(c->num);
    c->num = NULL;
    c->codes = codes;
    c->is_text = 1;
}

static void put_num(struct drift_column *c, double v)
{
    if (c->is_text) {
        char buf[64];
        size_t len = drift_spell_number(v, buf, sizeof(buf));
        grow(c);
        c->codes[c->n++] = dict_intern(&c->dict, buf, len);
        return;
    }
    grow(c);
    c->num[c->n++] = v;
}

void column_table_add_num(struct column_table *t, size_t col, double v)
{
    struct drift_column *c = &t->cols[col];
    if (isnan(v)) {
        column_table_add_missing(t, col);
        return;
    }
    c->n_float++;
    put_num(c, v);
}

void column_table_add_int(struct column_table *t, size_t col, int64_t v)
{
    struct drift_column *c = &t->cols[col];
    c->n_int++;
    put_num(c, (double)v);
}

void column_table_add_bool(struct column_table *t, size_t col, int v)
{
    struct drift_column *c = &t->cols[col];
    c->n_bool++;
    if (c->is_text) {
        const char *s = v ? "True" : "False";
        grow(c);
        c->codes[c->n++] = dict_intern(&c->dict, s, strlen(s));
        return;
    }
    grow(c);
    c->num[c->n++] = v ? 1.0 : 0.0;
}

void column_table_add_text(struct column_table *t, size_t col, const char *s, size_t len)
{
    struct drift_column *c = &t->cols[col];
    c->n_text++;
    drift_column_to_text(c);
    grow(c);
    c->codes[c->n++] = dict_intern(&c->dict, s, len);
}

void column_table_add_missing(struct column_table *t, size_t col)
{
    struct drift_column *c = &t->cols[col];
    c->n_missing++;
    grow(c);
    if (c->is_text)
        c->codes[c->n++] = DRIFT_CODE_MISSING;
    else
        c->num[c->n++] = NAN;
}

static void pad_to(struct column_table *t, size_t n)
{
    for (size_t i = 0; i < t->ncols; i++)
        while (t->cols[i].n < n)
            column_table_add_missing(t, i);
}

void column_table_end_row(struct column_table *t)
{
    t->nrows++;
    pad_to(t, t->nrows);
}

void column_table_finish(struct column_table *t)
{
    size_t n = t->nrows;
    for (size_t i = 0; i < t->ncols; i++)
        if (t->cols[i].n > n)
            n = t->cols[i].n;
    pad_to(t, n);
    t->nrows = n;
}

static void append_column(struct drift_column *d, struct drift_column *s)
{
    if (s->is_text)
        drift_column_to_text(d);
    if (d->is_text)
        drift_column_to_text(s);
    if (d->alloc < d->n + s->n)
        set_alloc(d, d->n + s->n);
    if (!d->is_text) {
        if (s->n)
            memcpy(d->num + d->n, s->num, s->n * sizeof(*s->num));
    } else {
        uint32_t *map = xmalloc((s->dict.n ? s->dict.n : 1) * sizeof(*map));
        for (uint32_t k = 0; k < s->dict.n; k++)
            map[k] = dict_intern(&d->dict, s->dict.strs[k], s->dict.lens[k]);
        for (size_t i = 0; i < s->n; i++)
            d->codes[d->n + i] =
                s->codes[i] == DRIFT_CODE_MISSING ? DRIFT_CODE_MISSING : map[s->codes[i]];
        free(map);
    }
    d->n += s->n;
    d->n_missing += s->n_missing;
    d->n_int += s->n_int;
    d->n_float += s->n_float;
    d->n_bool += s->n_bool;
    d->n_text += s->n_text;
    free(s->num);
    free(s->codes);
    s->num = NULL;
    s->codes = NULL;
    s->n = s->alloc = 0;
}

void column_table_append_free(struct column_table *dst, struct column_table *src)
{
    for (size_t i = 0; i < dst->ncols && i < src->ncols; i++)
        append_column(&dst->cols[i], &src->cols[i]);
    dst->nrows += src->nrows;
    column_table_free(src);
}

long column_table_find(const struct column_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (!strcmp(t->cols[i].name, name))
            return (long)i;
    return -1;
}

enum drift_dtype drift_column_dtype(const struct drift_column *c)
{
    size_t numbers = c->n_int + c->n_float;
    if (c->n_text)
        return DRIFT_DTYPE_OBJECT;
    if (c->n_bool)
        return numbers || c->n_missing ? DRIFT_DTYPE_OBJECT : DRIFT_DTYPE_BOOL;
    if (c->n_float || c->n_missing)
        return DRIFT_DTYPE_FLOAT;
    if (c->n_int)
        return DRIFT_DTYPE_INT;
    return DRIFT_DTYPE_OBJECT; /* no value at all: pandas reads an empty column as object */
}

const char *drift_dtype_name(enum drift_dtype d)
{
    switch (d) {
    case DRIFT_DTYPE_INT:
        return "int64";
    case DRIFT_DTYPE_FLOAT:
        return "float64";
    case DRIFT_DTYPE_BOOL:
        return "bool";
    case DRIFT_DTYPE_OBJECT:
        return "object";
    }
    return "object";
}
