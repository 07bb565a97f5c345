/* SPDX-License-Identifier: MIT */
#include "monitor/monitor_window.h"
#include "base/ftime.h"
#include "base/xalloc.h"
#include "domain/prediction.h"
#include "store/prediction_performance.h"
#include "store/predictions.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* The encoding's tag of an integral number (domain/prediction.h). */
#define TAG_INT 0x01

void monitor_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

void monitor_row_map_release(struct monitor_row_map *m)
{
    if (!m)
        return;
    free(m->columns_text);
    free(m->slot);
    free(m->cells);
    memset(m, 0, sizeof(*m));
}

static long find_name(const char *const *columns, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(columns[i], name))
            return (long)i;
    return -1;
}

/* The map of a target's column order onto the watched columns. */
static void map_build(struct monitor_row_map *m, const char *const *columns, size_t ncolumns,
                      const char *text)
{
    free(m->columns_text);
    free(m->slot);
    m->columns_text = xstrdup(text);
    m->prediction = find_name(columns, ncolumns, MONITOR_PREDICTION_COLUMN);
    json_t *a = json_loads(text, 0, NULL);
    size_t k = json_array_size(a);
    m->slot = xcalloc(k ? k : 1, sizeof(*m->slot));
    m->nslot = k;
    for (size_t i = 0; i < k; i++) {
        const char *nm = json_string_value(json_array_get(a, i));
        m->slot[i] = nm ? (int)find_name(columns, ncolumns, nm) : -1;
    }
    json_decref(a);
}

/* One decoded value into column col; is_int: the log kept it as an
 * integer. */
static void add_value(struct column_table *t, size_t col, const struct pred_value *v, int is_int)
{
    char hex[32];
    switch (v->kind) {
    case PV_NUMBER:
        if (is_int)
            column_table_add_int(t, col, (int64_t)v->num);
        else
            column_table_add_num(t, col, v->num);
        break;
    case PV_STRING:
        column_table_add_text(t, col, v->str, v->len);
        break;
    case PV_HASH:
        snprintf(hex, sizeof(hex), "hash:%016llx", (unsigned long long)v->hash);
        column_table_add_text(t, col, hex, strlen(hex));
        break;
    default:
        column_table_add_missing(t, col);
        break;
    }
}

int monitor_row_add(struct column_table *t, const char *const *columns, size_t ncolumns,
                    struct monitor_row_map *map, const struct pred_row *r)
{
    const char *text = r->target.columns ? r->target.columns : "[]";
    if (!map->columns_text || strcmp(map->columns_text, text))
        map_build(map, columns, ncolumns, text);
    /* decode first, so a corrupt row adds nothing */
    struct pred_outputs out;
    int pred_int = 0;
    if (map->prediction >= 0) {
        if (pred_outputs_decode(r->outputs, r->noutputs, &out) || !out.prediction_n)
            return -1;
        pred_int = r->noutputs && r->outputs[0] == TAG_INT;
    }
    struct pred_reader rd = {r->inputs, r->inputs + r->ninputs};
    uint64_t n = 0;
    if (r->ninputs && pred_dec_count(&rd, &n))
        return -1;
    /* the watched values decoded first: a bad value later in the blob
     * adds nothing of the row */
    size_t k = 0;
    for (uint64_t i = 0; i < n; i++) {
        struct pred_value v;
        int is_int = rd.p < rd.end && *rd.p == TAG_INT;
        if (pred_dec_value(&rd, &v))
            return -1;
        if (i >= map->nslot || map->slot[i] < 0)
            continue;
        if (k == map->ncells_alloc) {
            map->ncells_alloc = map->ncells_alloc ? 2 * map->ncells_alloc : 32;
            map->cells = xrealloc(map->cells, map->ncells_alloc * sizeof(*map->cells));
        }
        map->cells[k].col = (size_t)map->slot[i];
        map->cells[k].is_int = is_int;
        map->cells[k++].v = v;
    }
    for (size_t i = 0; i < k; i++)
        add_value(t, map->cells[i].col, &map->cells[i].v, map->cells[i].is_int);
    if (map->prediction >= 0)
        add_value(t, (size_t)map->prediction, &out.prediction[0], pred_int);
    column_table_end_row(t);
    return 0;
}

/* ---------- reading a window ---------- */

static int row_counts(const struct pred_row *r)
{
    return !r->target.shadow && r->status >= 200 && r->status < 300 && r->outputs && r->noutputs;
}

struct reader {
    struct column_table *t;
    const char *const *columns;
    size_t ncolumns;
    struct monitor_row_map map;
    uint64_t skip; /* matching rows to pass over first (last_rows) */
    size_t nrows, ncorrupt;
    int64_t first_ms, last_ms;
};

static int read_row(void *arg, const struct pred_row *r, struct ferr *err)
{
    (void)err;
    struct reader *rd = arg;
    if (!row_counts(r))
        return 0;
    if (rd->skip) {
        rd->skip--;
        return 0;
    }
    if (monitor_row_add(rd->t, rd->columns, rd->ncolumns, &rd->map, r)) {
        rd->ncorrupt++;
        return 0;
    }
    if (!rd->nrows)
        rd->first_ms = r->time_ms;
    rd->last_ms = r->time_ms;
    rd->nrows++;
    return 0;
}

static int count_row(void *arg, const struct pred_row *r, struct ferr *err)
{
    (void)err;
    if (row_counts(r))
        (*(uint64_t *)arg)++;
    return 0;
}

/* The start of the shortest span back from end that holds want rows (or
 * the longest looked at), and how many rows it holds. */
static int last_rows_span(struct store *s, const char *deployment, int64_t end_ms, uint64_t want,
                          int64_t *start, uint64_t *have, struct ferr *err)
{
    int64_t span = 3600 * 1000LL;
    for (;;) {
        uint64_t n = 0;
        int64_t from = end_ms - span > 0 ? end_ms - span : 1;
        if (store_predictions_scan(s, deployment, from, end_ms, count_row, &n, err))
            return -1;
        *start = from;
        *have = n;
        if (n >= want || from == 1 || span >= MONITOR_WINDOW_MAX_LOOKBACK_MS)
            return 0;
        span *= 4;
    }
}

void monitor_window_release(struct monitor_window *w)
{
    if (!w)
        return;
    column_table_free(w->table);
    memset(w, 0, sizeof(*w));
}

int monitor_window_columns(struct store *s, const char *deployment, int64_t start_ms,
                           int64_t end_ms, char ***names, size_t *n, struct ferr *err)
{
    struct prediction_query q = {deployment, NULL, start_ms, end_ms, -1, 0, 1, 1, NULL};
    struct pred_row_list l;
    char *next = NULL;
    *names = NULL;
    *n = 0;
    memset(&l, 0, sizeof(l));
    if (store_predictions_search(s, &q, &l, &next, err))
        return -1;
    free(next);
    if (!l.n) {
        pred_row_list_release(&l);
        return 0;
    }
    json_t *a = json_loads(l.v[0].target.columns ? l.v[0].target.columns : "[]", 0, NULL);
    size_t k = json_array_size(a);
    *names = xcalloc(k + 1, sizeof(char *));
    for (size_t i = 0; i < k; i++) {
        const char *nm = json_string_value(json_array_get(a, i));
        (*names)[(*n)++] = xstrdup(nm ? nm : "");
    }
    (*names)[(*n)++] = xstrdup(MONITOR_PREDICTION_COLUMN);
    json_decref(a);
    pred_row_list_release(&l);
    return 0;
}

int monitor_window_read(struct store *s, const struct monitor_window_query *q,
                        struct monitor_window *out, struct ferr *err)
{
    char **own = NULL;
    size_t nown = 0;
    const char *const *columns = q->columns;
    size_t ncolumns = q->ncolumns;
    int64_t start = q->start_ms;
    uint64_t skip = 0;
    memset(out, 0, sizeof(*out));
    if (q->end_ms <= 0 || (q->last_rows <= 0 && (q->start_ms < 0 || q->start_ms >= q->end_ms)))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a monitor's window must end after it starts (start %lld, end %lld)",
                        (long long)q->start_ms, (long long)q->end_ms);
    if (store_prediction_deployment_known(s, q->deployment, err))
        return -1;
    if (q->last_rows > 0) {
        uint64_t have = 0;
        if (last_rows_span(s, q->deployment, q->end_ms, (uint64_t)q->last_rows, &start, &have, err))
            return -1;
        skip = have > (uint64_t)q->last_rows ? have - (uint64_t)q->last_rows : 0;
    }
    if (!columns || !ncolumns) {
        if (monitor_window_columns(s, q->deployment, start, q->end_ms, &own, &nown, err))
            return -1;
        columns = (const char *const *)own;
        ncolumns = nown;
    }
    struct reader rd = {
        column_table_new(columns, ncolumns), columns, ncolumns, {0}, skip, 0, 0, 0, 0};
    int rc = store_predictions_scan(s, q->deployment, start, q->end_ms, read_row, &rd, err);
    monitor_row_map_release(&rd.map);
    monitor_names_free(own, nown);
    if (rc) {
        column_table_free(rd.t);
        return -1;
    }
    column_table_finish(rd.t);
    out->table = rd.t;
    out->nrows = rd.nrows;
    out->first_ms = rd.first_ms;
    out->last_ms = rd.last_ms;
    out->start_ms = q->last_rows > 0 ? (rd.nrows ? rd.first_ms : q->end_ms) : q->start_ms;
    out->end_ms = q->end_ms;
    out->ncorrupt = rd.ncorrupt;
    return 0;
}
