/* SPDX-License-Identifier: MIT
 * The lineage area in the PostgreSQL backend (store/lineage.h's contract):
 * the tables of schema.c's version 11. Writes are one transaction each;
 * an events/log is three statements whatever its size (artifacts upserted
 * from unnest()ed arrays, their ids read back, events inserted). A batched
 * lookup of the graph walk is one prepared statement with its keys as one
 * text[] parameter ($1; the numbers of (name, number) pairs as bigint[]
 * $2), joined through unnest() so each key probes an index: one round
 * trip per kind of edge per level. */
#include "store/postgres/pg_int.h"
#include "store/lineage.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define EXEC_COLS                                                                                  \
    "x.run_id, x.pipeline, x.pipeline_run_id, x.step, x.state, x.fingerprint, x.cached_from, "     \
    "x.started_ms, x.ended_ms"

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* A text[] literal of v[0..n): each element quoted, '"' and '\' escaped;
 * a NULL element as NULL. */
static void text_array(struct sbuf *out, const char *const *v, size_t n)
{
    sbuf_addch(out, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_addch(out, ',');
        if (!v[i]) {
            sbuf_addstr(out, "NULL");
            continue;
        }
        sbuf_addch(out, '"');
        for (const char *p = v[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                sbuf_addch(out, '\\');
            sbuf_addch(out, *p);
        }
        sbuf_addch(out, '"');
    }
    sbuf_addch(out, '}');
}

static void int_array(struct sbuf *out, const int64_t *v, size_t n)
{
    sbuf_addch(out, '{');
    for (size_t i = 0; i < n; i++)
        sbuf_addf(out, "%s%lld", i ? "," : "", (long long)v[i]);
    sbuf_addch(out, '}');
}

static void read_execution(const PGresult *r, int row, struct lineage_execution *e)
{
    e->run_id = pg_get_str(r, row, 0);
    e->pipeline = pg_get_str(r, row, 1);
    e->pipeline_run_id = pg_get_str(r, row, 2);
    e->step = pg_get_str(r, row, 3);
    e->state = pg_get_str(r, row, 4);
    e->fingerprint = pg_get_str(r, row, 5);
    e->cached_from = pg_get_str(r, row, 6);
    e->started_ms = pg_get_int(r, row, 7);
    e->ended_ms = pg_get_int(r, row, 8);
}

static int run_exists(struct pg_conn *c, const char *run_id, struct ferr *err)
{
    int64_t id, exp;
    enum lifecycle lc;
    return pg_run_lookup(c, run_id, &id, &lc, &exp, err);
}

/* ---------- writes ---------- */

static int do_put(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] =
        "INSERT INTO lineage_executions (run_id, pipeline, pipeline_run_id, step, state, "
        "fingerprint, cached_from, started_ms, ended_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
        "$9) ON CONFLICT (run_id) DO UPDATE SET pipeline = excluded.pipeline, "
        "pipeline_run_id = excluded.pipeline_run_id, step = excluded.step, "
        "state = excluded.state, fingerprint = excluded.fingerprint, "
        "cached_from = excluded.cached_from, started_ms = excluded.started_ms, "
        "ended_ms = excluded.ended_ms";
    const struct lineage_execution_in *e = arg;
    if (run_exists(c, e->run_id, err))
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, e->run_id);
    pg_args_text(&a, or_empty(e->pipeline));
    pg_args_text(&a, or_empty(e->pipeline_run_id));
    pg_args_text(&a, or_empty(e->step));
    pg_args_text(&a, e->state);
    pg_args_text(&a, or_empty(e->fingerprint));
    pg_args_text(&a, or_empty(e->cached_from));
    pg_args_int(&a, e->started_ms);
    pg_args_int(&a, e->ended_ms);
    int rc = pg_do(c, sql, &a, "recording an execution", err);
    pg_args_release(&a);
    return rc;
}

static int pg_lin_execution_put(struct store *s, const struct lineage_execution_in *e,
                                struct ferr *err)
{
    return pg_write((struct pg *)s, do_put, (void *)e, err);
}

static int pg_lin_execution_get(struct store *s, const char *run_id, struct lineage_execution *out,
                                struct ferr *err)
{
    static const char sql[] = "SELECT " EXEC_COLS " FROM lineage_executions x WHERE x.run_id = $1";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, run_id);
    PGresult *r = pg_run(c, sql, &a, "reading an execution", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int ret = 0;
    if (PQntuples(r) == 1)
        read_execution(r, 0, out);
    else
        ret = ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "run '%s' has no lineage execution",
                       run_id);
    PQclear(r);
    return ret;
}

/* Executions ex[0..n) in one statement (bulk: their runs exist). */
static int put_many(struct pg_conn *c, const struct lineage_execution_in *ex, size_t n,
                    struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO lineage_executions (run_id, pipeline, pipeline_run_id, step, state, "
        "fingerprint, cached_from, started_ms, ended_ms) SELECT * FROM unnest($1::text[], "
        "$2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], "
        "$9::bigint[]) ON CONFLICT (run_id) DO NOTHING";
    const char **col = xcalloc(n, sizeof(*col));
    int64_t *num = xcalloc(n, sizeof(*num));
    struct sbuf arr[9];
    struct pg_args a = PG_ARGS_INIT;
    for (int k = 0; k < 9; k++) {
        sbuf_init(&arr[k], 0);
        for (size_t i = 0; i < n; i++) {
            const struct lineage_execution_in *e = &ex[i];
            const char *v[] = {e->run_id, e->pipeline,    e->pipeline_run_id, e->step,
                               e->state,  e->fingerprint, e->cached_from};
            if (k < 7)
                col[i] = or_empty(v[k]);
            else
                num[i] = k == 7 ? e->started_ms : e->ended_ms;
        }
        if (k < 7)
            text_array(&arr[k], col, n);
        else
            int_array(&arr[k], num, n);
        pg_args_text(&a, arr[k].buf);
    }
    int rc = pg_do(c, sql, &a, "recording executions", err);
    pg_args_release(&a);
    for (int k = 0; k < 9; k++)
        sbuf_release(&arr[k]);
    free(col);
    free(num);
    return rc;
}

struct events_arg {
    const char *run_id;
    const struct lineage_event_in *ev;
    size_t n;
    int64_t now_ms;
    const char *const *runs; /* bulk: each event's run (run_id NULL) */
    const struct lineage_execution_in *ex;
    size_t nex;
};

static int do_events(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    /* ordinality keeps the first of duplicate (uri, digest) pairs in one
     * call, which ON CONFLICT could not take twice */
    static const char ins_art[] =
        "INSERT INTO lineage_artifacts (uri, type, digest, properties, created_ms) "
        "SELECT DISTINCT ON (u, d) u, t, d, p, $5::bigint FROM unnest($1::text[], $2::text[], "
        "$3::text[], "
        "$4::text[]) WITH ORDINALITY AS q(u, t, d, p, o) ORDER BY u, d, o "
        "ON CONFLICT (uri, digest) DO NOTHING";
    static const char ins_ev[] =
        "INSERT INTO lineage_events (run_id, artifact_id, kind, name, created_ms) "
        "SELECT DISTINCT q.r, a.id, q.k, q.n, $6::bigint FROM unnest($1::text[], $2::text[], "
        "$3::text[], $4::text[], $5::text[]) AS q(r, u, d, k, n) "
        "JOIN lineage_artifacts a ON a.uri = q.u AND a.digest = q.d ON CONFLICT DO NOTHING";
    struct events_arg *ea = arg;
    if (ea->run_id && run_exists(c, ea->run_id, err))
        return -1;
    if (ea->nex && put_many(c, ea->ex, ea->nex, err))
        return -1;
    if (!ea->n)
        return 0;
    const char **u = xcalloc(ea->n, sizeof(*u)), **t = xcalloc(ea->n, sizeof(*t)),
               **d = xcalloc(ea->n, sizeof(*d)), **p = xcalloc(ea->n, sizeof(*p)),
               **k = xcalloc(ea->n, sizeof(*k)), **nm = xcalloc(ea->n, sizeof(*nm)),
               **rn = xcalloc(ea->n, sizeof(*rn));
    for (size_t i = 0; i < ea->n; i++) {
        const struct lineage_event_in *e = &ea->ev[i];
        u[i] = e->uri;
        t[i] = e->type && *e->type ? e->type : LINEAGE_TYPE_FILE;
        d[i] = or_empty(e->digest);
        p[i] = e->properties;
        k[i] = e->kind;
        nm[i] = or_empty(e->name);
        rn[i] = ea->run_id ? ea->run_id : ea->runs[i];
    }
    struct sbuf su = SBUF_INIT, st = SBUF_INIT, sd = SBUF_INIT, sp = SBUF_INIT, sk = SBUF_INIT,
                sn = SBUF_INIT, sr = SBUF_INIT;
    text_array(&su, u, ea->n);
    text_array(&st, t, ea->n);
    text_array(&sd, d, ea->n);
    text_array(&sp, p, ea->n);
    text_array(&sk, k, ea->n);
    text_array(&sn, nm, ea->n);
    text_array(&sr, rn, ea->n);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, su.buf);
    pg_args_text(&a, st.buf);
    pg_args_text(&a, sd.buf);
    pg_args_text(&a, sp.buf);
    pg_args_int(&a, ea->now_ms);
    int rc = pg_do(c, ins_art, &a, "recording artifacts", err);
    if (!rc) {
        pg_args_clear(&a);
        pg_args_text(&a, sr.buf);
        pg_args_text(&a, su.buf);
        pg_args_text(&a, sd.buf);
        pg_args_text(&a, sk.buf);
        pg_args_text(&a, sn.buf);
        pg_args_int(&a, ea->now_ms);
        rc = pg_do(c, ins_ev, &a, "recording events", err);
    }
    pg_args_release(&a);
    sbuf_release(&su);
    sbuf_release(&st);
    sbuf_release(&sd);
    sbuf_release(&sp);
    sbuf_release(&sk);
    sbuf_release(&sn);
    sbuf_release(&sr);
    free(rn);
    free(u);
    free(t);
    free(d);
    free(p);
    free(k);
    free(nm);
    return rc;
}

static int pg_lin_events_log(struct store *s, const char *run_id,
                             const struct lineage_event_in *events, size_t n, int64_t now_ms,
                             struct ferr *err)
{
    struct events_arg a = {run_id, events, n, now_ms, NULL, NULL, 0};
    return pg_write((struct pg *)s, do_events, &a, err);
}

static int pg_lin_bulk(struct store *s, const struct lineage_execution_in *ex, size_t nex,
                       const char *const *runs, const struct lineage_event_in *ev, size_t nev,
                       int64_t now_ms, struct ferr *err)
{
    struct events_arg a = {NULL, ev, nev, now_ms, runs, ex, nex};
    return pg_write((struct pg *)s, do_events, &a, err);
}

/* ---------- reads ---------- */

static int pg_lin_cache_lookup(struct store *s, const char *fingerprint, int64_t min_ended_ms,
                               struct lineage_cache_hit *out, struct ferr *err)
{
    static const char find[] =
        "SELECT " EXEC_COLS " FROM lineage_executions x "
        "JOIN runs r ON r.run_uuid = x.run_id AND r.lifecycle_stage = 'active' "
        "WHERE x.fingerprint = $1 AND x.state = 'COMPLETE' AND x.ended_ms >= $2 "
        "ORDER BY x.ended_ms DESC LIMIT 1";
    static const char outs[] = "SELECT e.name, a.uri, a.type, a.digest FROM lineage_events e "
                               "JOIN lineage_artifacts a ON a.id = e.artifact_id "
                               "WHERE e.run_id = $1 AND e.kind = 'output' ORDER BY e.name, a.uri";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, fingerprint);
    pg_args_int(&a, min_ended_ms);
    int ret = -1;
    PGresult *r = pg_run(c, find, &a, "looking up the step cache", err);
    if (!r)
        goto out;
    if (PQntuples(r) == 1) {
        out->found = 1;
        read_execution(r, 0, &out->execution);
    }
    PQclear(r);
    if (out->found) {
        pg_args_clear(&a);
        pg_args_text(&a, out->execution.run_id);
        if (!(r = pg_run(c, outs, &a, "reading a cached execution's outputs", err)))
            goto out;
        int n = PQntuples(r);
        out->outputs = xcalloc((size_t)n + 1, sizeof(*out->outputs));
        out->alloc = (size_t)n + 1;
        for (int i = 0; i < n; i++) {
            struct lineage_output *o = &out->outputs[out->noutputs++];
            o->name = pg_get_str(r, i, 0);
            o->uri = pg_get_str(r, i, 1);
            o->type = pg_get_str(r, i, 2);
            o->digest = pg_get_str(r, i, 3);
        }
        PQclear(r);
    }
    ret = 0;
out:
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (ret)
        lineage_cache_hit_release(out);
    return ret;
}

static int pg_lin_executions_list(struct store *s, const char *pipeline_run_id, int64_t offset,
                                  int64_t limit, struct lineage_execution_list *out,
                                  struct ferr *err)
{
    static const char pipelines[] = "SELECT " EXEC_COLS " FROM lineage_executions x "
                                    "WHERE x.step = '' ORDER BY x.started_ms DESC, x.run_id "
                                    "LIMIT $1 OFFSET $2";
    static const char steps[] = "SELECT " EXEC_COLS " FROM lineage_executions x "
                                "WHERE x.pipeline_run_id = $3 AND x.step <> '' "
                                "ORDER BY x.started_ms, x.step, x.run_id LIMIT $1 OFFSET $2";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, limit);
    pg_args_int(&a, offset);
    if (pipeline_run_id)
        pg_args_text(&a, pipeline_run_id);
    PGresult *r = pg_run(c, pipeline_run_id ? steps : pipelines, &a, "listing executions", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
    out->alloc = (size_t)n + 1;
    for (int i = 0; i < n; i++)
        read_execution(r, i, &out->v[out->n++]);
    PQclear(r);
    return 0;
}

/* ---------- the graph walk's batched lookups ---------- */

#define KEYS  "unnest($1::text[]) AS k(v)"
#define PAIRS "unnest($1::text[], $2::bigint[]) AS k(v, n)"
#define CONTEXT                                                                                    \
    "coalesce((SELECT t.value FROM input_tags t WHERE t.run = i.run AND t.dataset = i.dataset "    \
    "AND t.key = 'mlflow.data.context'), '')"
/* Every lookup starts from its keys, unnest()ed: the planner then
 * expects few rows (ten) and probes an index per key, where "x =
 * ANY($1)" in a generic plan expects a thousand and may hash-join a
 * whole table (lineage_events, say). */
#define EVENTS_OF_RUNS(kind)                                                                       \
    "SELECT e.run_id, a.uri, e.name, a.type, a.digest FROM " KEYS                                  \
    " JOIN lineage_events e ON e.run_id = k.v AND e.kind = '" kind "' "                            \
    "JOIN lineage_artifacts a ON a.id = e.artifact_id"
#define EVENTS_OF_URIS(kind)                                                                       \
    "SELECT a.uri, e.run_id, e.name FROM " KEYS " JOIN lineage_artifacts a ON a.uri = k.v "        \
    "JOIN lineage_events e ON e.artifact_id = a.id AND e.kind = '" kind "'"
#define VERSIONS_WHERE(col)                                                                        \
    "SELECT v." col ", m.name, v.version FROM " KEYS " JOIN model_versions v ON v." col            \
    " = k.v JOIN registered_models m ON m.id = v.model"

static const char *const queries[LQ_COUNT] = {
    [LQ_RUN_EVENTS_IN] = EVENTS_OF_RUNS("input"),
    [LQ_RUN_EVENTS_OUT] = EVENTS_OF_RUNS("output"),
    [LQ_URI_EVENTS_IN] = EVENTS_OF_URIS("input"),
    [LQ_URI_EVENTS_OUT] = EVENTS_OF_URIS("output"),
    [LQ_RUN_DATASETS] = "SELECT r.run_uuid, d.source, " CONTEXT ", d.name, d.digest FROM " KEYS
                        " JOIN runs r ON r.run_uuid = k.v JOIN run_inputs i ON i.run = r.id "
                        "JOIN datasets d ON d.id = i.dataset",
    /* left(source, 256) first: the indexes are on it */
    [LQ_SOURCE_RUNS] = "SELECT d.source, r.run_uuid, " CONTEXT " FROM " KEYS
                       " JOIN datasets d ON left(d.source, 256) = left(k.v, 256) "
                       "AND d.source = k.v "
                       "JOIN run_inputs i ON i.dataset = d.id JOIN runs r ON r.id = i.run",
    [LQ_RUN_LOGGED_MODELS] = "SELECT l.source_run_id, l.model_id FROM " KEYS
                             " JOIN logged_models l ON l.source_run_id = k.v",
    [LQ_LOGGED_MODEL_RUNS] =
        "SELECT l.model_id, l.source_run_id FROM " KEYS " JOIN logged_models l ON l.model_id = k.v",
    [LQ_RUN_VERSIONS] = VERSIONS_WHERE("run_id"),
    [LQ_SOURCE_VERSIONS] = "SELECT v.source, m.name, v.version FROM " KEYS
                           " JOIN model_versions v ON left(v.source, 256) = left(k.v, 256) "
                           "AND v.source = k.v JOIN registered_models m ON m.id = v.model",
    [LQ_LOGGED_MODEL_VERSIONS] = VERSIONS_WHERE("model_id"),
    [LQ_VERSION_SOURCES_NV] =
        "SELECT m.name, v.version, v.run_id, v.source, v.model_id, "
        "CASE WHEN EXISTS (SELECT 1 FROM lineage_artifacts a WHERE a.uri = v.source) "
        "THEN 1 ELSE 0 END FROM " PAIRS " JOIN registered_models m ON m.name = k.v "
        "JOIN model_versions v ON v.model = m.id AND v.version = k.n",
    [LQ_RUNS] = "SELECT r.run_uuid, r.name, r.status, r.experiment_id, x.state, x.step, "
                "x.pipeline, x.pipeline_run_id, r.lifecycle_stage FROM " KEYS
                " JOIN runs r ON r.run_uuid = k.v "
                "LEFT JOIN lineage_executions x ON x.run_id = r.run_uuid",
    [LQ_ARTIFACTS] =
        "SELECT a.uri, a.type, a.digest FROM " KEYS
        " JOIN lineage_artifacts a ON a.uri = k.v ORDER BY a.created_ms DESC, a.id DESC",
    [LQ_LOGGED_MODELS] = "SELECT l.model_id, l.name, l.experiment_id, l.source_run_id FROM " KEYS
                         " JOIN logged_models l ON l.model_id = k.v",
    [LQ_VERSIONS_NV] = "SELECT m.name, v.version, v.current_stage, v.run_id FROM " PAIRS
                       " JOIN registered_models m ON m.name = k.v "
                       "JOIN model_versions v ON v.model = m.id AND v.version = k.n",
    [LQ_DATA_VERSIONS_NV] = "SELECT v.name, v.version, v.digest FROM " PAIRS
                            " JOIN data_versions v ON v.name = k.v AND v.version = k.n",
};

static int pg_lin_query(struct store *s, enum lineage_query q, const char *const *keys,
                        const int64_t *nums, size_t n, struct lineage_rows *out, struct ferr *err)
{
    if ((unsigned)q >= LQ_COUNT || !queries[q])
        return ferr_set(err, FERR_INTERNAL_ERROR, "unknown lineage query %d", (int)q);
    int pairs = q == LQ_VERSION_SOURCES_NV || q == LQ_VERSIONS_NV || q == LQ_DATA_VERSIONS_NV;
    struct pg *pg = (struct pg *)s;
    struct sbuf kb = SBUF_INIT, nb = SBUF_INIT;
    text_array(&kb, keys, n);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, kb.buf);
    if (pairs) {
        int_array(&nb, nums, n);
        pg_args_text(&a, nb.buf);
    }
    struct pg_conn *c = pg_reader_get(pg, err);
    PGresult *r = NULL;
    if (c) {
        r = pg_run(c, queries[q], &a, "walking the lineage graph", err);
        pg_reader_put(pg, c);
    }
    pg_args_release(&a);
    sbuf_release(&kb);
    sbuf_release(&nb);
    if (!r)
        return -1;
    int rows = PQntuples(r), ncols = PQnfields(r);
    if (ncols > LINEAGE_ROW_COLS)
        ncols = LINEAGE_ROW_COLS;
    ALLOC_GROW(out->v, out->n + (size_t)rows, out->alloc);
    for (int i = 0; i < rows; i++) {
        const char *cols[LINEAGE_ROW_COLS];
        size_t lens[LINEAGE_ROW_COLS];
        for (int k = 0; k < ncols; k++) {
            cols[k] = PQgetvalue(r, i, k);
            lens[k] = (size_t)PQgetlength(r, i, k);
        }
        lineage_row_set(&out->v[out->n++], cols, lens, ncols);
    }
    PQclear(r);
    return 0;
}

/* The columns each lookup answers (for the batch's padding). */
static const int query_cols[LQ_COUNT] = {
    [LQ_RUN_EVENTS_IN] = 5,
    [LQ_RUN_EVENTS_OUT] = 5,
    [LQ_URI_EVENTS_IN] = 3,
    [LQ_URI_EVENTS_OUT] = 3,
    [LQ_RUN_DATASETS] = 5,
    [LQ_SOURCE_RUNS] = 3,
    [LQ_RUN_LOGGED_MODELS] = 2,
    [LQ_LOGGED_MODEL_RUNS] = 2,
    [LQ_RUN_VERSIONS] = 3,
    [LQ_SOURCE_VERSIONS] = 3,
    [LQ_LOGGED_MODEL_VERSIONS] = 3,
    [LQ_VERSION_SOURCES_NV] = 6,
    [LQ_RUNS] = 9,
    [LQ_ARTIFACTS] = 3,
    [LQ_LOGGED_MODELS] = 4,
    [LQ_VERSIONS_NV] = 4,
    [LQ_DATA_VERSIONS_NV] = 3,
};

static int is_pairs(enum lineage_query q)
{
    return q == LQ_VERSION_SOURCES_NV || q == LQ_VERSIONS_NV || q == LQ_DATA_VERSIONS_NV;
}

/* The batch's statement for the sequence of lookups qs[0..n): each one's
 * answer as (its index, 9 text columns), joined by UNION ALL, its
 * parameters renumbered after the ones before. Built once per sequence
 * and kept (interned: pg_run prepares a statement once per connection by
 * its text's address); NULL when the table of kept ones is full. */
#define BATCH_KEEP 64
static pthread_mutex_t batch_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char key[64];
    char *sql;
} batches[BATCH_KEEP];

static const char *batch_sql(const enum lineage_query *qs, size_t n)
{
    char key[64];
    size_t len = 0;
    for (size_t i = 0; i < n && len + 4 < sizeof(key); i++)
        len += (size_t)snprintf(key + len, sizeof(key) - len, "%d,", (int)qs[i]);
    if (n > 16)
        return NULL;
    const char *found = NULL;
    pthread_mutex_lock(&batch_mu);
    size_t k = 0;
    for (; k < BATCH_KEEP && batches[k].sql; k++)
        if (!strcmp(batches[k].key, key)) {
            found = batches[k].sql;
            break;
        }
    if (!found && k < BATCH_KEEP) {
        struct sbuf b = SBUF_INIT;
        int param = 0;
        for (size_t i = 0; i < n; i++) {
            int cols = query_cols[qs[i]];
            sbuf_addf(&b, "%sSELECT %zu", i ? " UNION ALL " : "", i);
            for (int c = 0; c < LINEAGE_ROW_COLS; c++)
                if (c < cols)
                    sbuf_addf(&b, ", s.c%d::text", c);
                else
                    sbuf_addstr(&b, ", NULL::text");
            sbuf_addstr(&b, " FROM (");
            for (const char *p = queries[qs[i]]; *p; p++) {
                if (p[0] == '$' && (p[1] == '1' || p[1] == '2')) {
                    sbuf_addf(&b, "$%d", param + (p[1] - '0'));
                    p++;
                } else {
                    sbuf_addch(&b, *p);
                }
            }
            sbuf_addstr(&b, ") AS s(");
            for (int c = 0; c < cols; c++)
                sbuf_addf(&b, "%sc%d", c ? ", " : "", c);
            sbuf_addch(&b, ')');
            param += is_pairs(qs[i]) ? 2 : 1;
        }
        snprintf(batches[k].key, sizeof(batches[k].key), "%s", key);
        batches[k].sql = sbuf_detach(&b, NULL);
        found = batches[k].sql;
    }
    pthread_mutex_unlock(&batch_mu);
    return found;
}

static int pg_lin_query_many(struct store *s, struct lineage_call *calls, size_t n,
                             struct ferr *err)
{
    enum lineage_query qs[16];
    const char *sql = NULL;
    if (n <= 16) {
        for (size_t i = 0; i < n; i++)
            qs[i] = calls[i].q;
        sql = batch_sql(qs, n);
    }
    if (!sql) { /* one by one */
        for (size_t i = 0; i < n; i++)
            if (pg_lin_query(s, calls[i].q, calls[i].keys, calls[i].nums, calls[i].n,
                             &calls[i].rows, err))
                return -1;
        return 0;
    }
    struct pg *pg = (struct pg *)s;
    struct pg_args a = PG_ARGS_INIT;
    struct sbuf *bufs = xcalloc(2 * n, sizeof(*bufs));
    for (size_t i = 0; i < n; i++) {
        text_array(&bufs[2 * i], calls[i].keys, calls[i].n);
        pg_args_text(&a, bufs[2 * i].buf);
        if (is_pairs(calls[i].q)) {
            int_array(&bufs[2 * i + 1], calls[i].nums, calls[i].n);
            pg_args_text(&a, bufs[2 * i + 1].buf);
        }
    }
    struct pg_conn *c = pg_reader_get(pg, err);
    PGresult *r = NULL;
    if (c) {
        r = pg_run(c, sql, &a, "walking the lineage graph", err);
        pg_reader_put(pg, c);
    }
    pg_args_release(&a);
    for (size_t i = 0; i < 2 * n; i++)
        sbuf_release(&bufs[i]);
    free(bufs);
    if (!r)
        return -1;
    int rows = PQntuples(r);
    for (int i = 0; i < rows; i++) {
        long k = strtol(PQgetvalue(r, i, 0), NULL, 10);
        if (k < 0 || (size_t)k >= n)
            continue;
        struct lineage_rows *out = &calls[k].rows;
        const char *cols[LINEAGE_ROW_COLS];
        size_t lens[LINEAGE_ROW_COLS];
        for (int j = 0; j < LINEAGE_ROW_COLS; j++) {
            cols[j] = PQgetvalue(r, i, j + 1);
            lens[j] = (size_t)PQgetlength(r, i, j + 1);
        }
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        lineage_row_set(&out->v[out->n++], cols, lens, LINEAGE_ROW_COLS);
    }
    PQclear(r);
    return 0;
}

const struct store_lineage_ops pg_lineage = {
    .execution_put = pg_lin_execution_put,
    .execution_get = pg_lin_execution_get,
    .events_log = pg_lin_events_log,
    .bulk = pg_lin_bulk,
    .cache_lookup = pg_lin_cache_lookup,
    .executions_list = pg_lin_executions_list,
    .query = pg_lin_query,
    .query_many = pg_lin_query_many,
};
