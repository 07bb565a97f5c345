/* SPDX-License-Identifier: MIT
 * The lineage area in the SQLite backend (store/lineage.h's contract): the
 * tables of schema.c's migration 11. Writes are one transaction each on
 * the writer connection; reads use a pooled reader. A batched lookup of
 * the graph walk is one statement whose keys arrive as one JSON array
 * bound to ?1 (and the numbers of (name, number) pairs as another, ?2),
 * read with json_each: "x IN (SELECT value FROM json_each(?1))" probes
 * x's index once per key, so a level of thousands of nodes is one
 * statement, not thousands. */
#include "store/sqlite/sqlite_int.h"
#include "store/lineage.h"
#include "base/xalloc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define EXEC_COLS                                                                                  \
    "x.run_id, x.pipeline, x.pipeline_run_id, x.step, x.state, x.fingerprint, x.cached_from, "     \
    "x.started_ms, x.ended_ms"

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

static void end_stmt(sqlite3_stmt *st)
{
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
}

static int step_done(struct sq_conn *c, sqlite3_stmt *st, const char *what, struct ferr *err)
{
    int rc = sqlite3_step(st);
    end_stmt(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, what, err);
}

static int run_exists(struct sq_conn *c, const char *run_id, struct ferr *err)
{
    int64_t id, exp;
    enum lifecycle lc;
    return sq_run_lookup(c, run_id, &id, &lc, &exp, err);
}

static void read_execution(sqlite3_stmt *st, struct lineage_execution *e)
{
    e->run_id = sq_col_str(st, 0);
    e->pipeline = sq_col_str(st, 1);
    e->pipeline_run_id = sq_col_str(st, 2);
    e->step = sq_col_str(st, 3);
    e->state = sq_col_str(st, 4);
    e->fingerprint = sq_col_str(st, 5);
    e->cached_from = sq_col_str(st, 6);
    e->started_ms = sqlite3_column_int64(st, 7);
    e->ended_ms = sqlite3_column_int64(st, 8);
}

/* ---------- writes ---------- */

static int do_put(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] =
        "INSERT INTO lineage_executions (run_id, pipeline, pipeline_run_id, step, state, "
        "fingerprint, cached_from, started_ms, ended_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (run_id) DO UPDATE SET pipeline = excluded.pipeline, "
        "pipeline_run_id = excluded.pipeline_run_id, step = excluded.step, "
        "state = excluded.state, fingerprint = excluded.fingerprint, "
        "cached_from = excluded.cached_from, started_ms = excluded.started_ms, "
        "ended_ms = excluded.ended_ms";
    const struct lineage_execution_in *e = arg;
    if (run_exists(c, e->run_id, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    bind_str(st, 1, e->run_id);
    bind_str(st, 2, e->pipeline);
    bind_str(st, 3, e->pipeline_run_id);
    bind_str(st, 4, e->step);
    bind_str(st, 5, e->state);
    bind_str(st, 6, e->fingerprint);
    bind_str(st, 7, e->cached_from);
    sqlite3_bind_int64(st, 8, e->started_ms);
    sqlite3_bind_int64(st, 9, e->ended_ms);
    return step_done(c, st, "recording an execution", err);
}

static int sq_lin_execution_put(struct store *s, const struct lineage_execution_in *e,
                                struct ferr *err)
{
    return sq_write((struct sq *)s, do_put, (void *)e, err);
}

static int sq_lin_execution_get(struct store *s, const char *run_id, struct lineage_execution *out,
                                struct ferr *err)
{
    static const char sql[] = "SELECT " EXEC_COLS " FROM lineage_executions x WHERE x.run_id = ?";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int ret = -1, rc;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (st) {
        bind_str(st, 1, run_id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            read_execution(st, out);
            ret = 0;
        } else if (rc == SQLITE_DONE) {
            ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "run '%s' has no lineage execution",
                     run_id);
        } else {
            sq_fail(c, "reading an execution", err);
        }
        end_stmt(st);
    }
    sq_reader_put(sq, c);
    return ret;
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

static int do_events(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char ins_art[] =
        "INSERT INTO lineage_artifacts (uri, type, digest, properties, created_ms) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (uri, digest) DO NOTHING";
    static const char get_art[] = "SELECT id FROM lineage_artifacts WHERE uri = ? AND digest = ?";
    static const char ins_ev[] = "INSERT INTO lineage_events (run_id, artifact_id, kind, name, "
                                 "created_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
    struct events_arg *a = arg;
    if (a->run_id && run_exists(c, a->run_id, err))
        return -1;
    for (size_t i = 0; i < a->nex; i++)
        if (do_put(sq, c, (void *)&a->ex[i], err))
            return -1;
    for (size_t i = 0; i < a->n; i++) {
        const struct lineage_event_in *e = &a->ev[i];
        sqlite3_stmt *st = sq_prep(c, ins_art, err);
        if (!st)
            return -1;
        bind_str(st, 1, e->uri);
        bind_str(st, 2, e->type && *e->type ? e->type : LINEAGE_TYPE_FILE);
        bind_str(st, 3, e->digest);
        if (e->properties)
            bind_str(st, 4, e->properties);
        sqlite3_bind_int64(st, 5, a->now_ms);
        if (step_done(c, st, "recording an artifact", err))
            return -1;
        if (!(st = sq_prep(c, get_art, err)))
            return -1;
        bind_str(st, 1, e->uri);
        bind_str(st, 2, e->digest);
        if (sqlite3_step(st) != SQLITE_ROW) {
            end_stmt(st);
            return sq_fail(c, "reading an artifact", err);
        }
        int64_t id = sqlite3_column_int64(st, 0);
        end_stmt(st);
        if (!(st = sq_prep(c, ins_ev, err)))
            return -1;
        bind_str(st, 1, a->run_id ? a->run_id : a->runs[i]);
        sqlite3_bind_int64(st, 2, id);
        bind_str(st, 3, e->kind);
        bind_str(st, 4, e->name);
        sqlite3_bind_int64(st, 5, a->now_ms);
        if (step_done(c, st, "recording an event", err))
            return -1;
    }
    return 0;
}

static int sq_lin_events_log(struct store *s, const char *run_id,
                             const struct lineage_event_in *events, size_t n, int64_t now_ms,
                             struct ferr *err)
{
    struct events_arg a = {run_id, events, n, now_ms, NULL, NULL, 0};
    return sq_write((struct sq *)s, do_events, &a, err);
}

static int sq_lin_bulk(struct store *s, const struct lineage_execution_in *ex, size_t nex,
                       const char *const *runs, const struct lineage_event_in *ev, size_t nev,
                       int64_t now_ms, struct ferr *err)
{
    struct events_arg a = {NULL, ev, nev, now_ms, runs, ex, nex};
    return sq_write((struct sq *)s, do_events, &a, err);
}

/* ---------- reads ---------- */

static int sq_lin_cache_lookup(struct store *s, const char *fingerprint, int64_t min_ended_ms,
                               struct lineage_cache_hit *out, struct ferr *err)
{
    static const char find[] =
        "SELECT " EXEC_COLS " FROM lineage_executions x "
        "JOIN runs r ON r.run_uuid = x.run_id AND r.lifecycle_stage = 'active' "
        "WHERE x.fingerprint = ? AND x.state = 'COMPLETE' AND x.ended_ms >= ? "
        "ORDER BY x.ended_ms DESC LIMIT 1";
    static const char outs[] = "SELECT e.name, a.uri, a.type, a.digest FROM lineage_events e "
                               "JOIN lineage_artifacts a ON a.id = e.artifact_id "
                               "WHERE e.run_id = ? AND e.kind = 'output' ORDER BY e.name, a.uri";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int ret = -1, rc;
    sqlite3_stmt *st = sq_prep(c, find, err);
    if (!st)
        goto out;
    bind_str(st, 1, fingerprint);
    sqlite3_bind_int64(st, 2, min_ended_ms);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->found = 1;
        read_execution(st, &out->execution);
    }
    end_stmt(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sq_fail(c, "looking up the step cache", err);
        goto out;
    }
    if (out->found) {
        if (!(st = sq_prep(c, outs, err)))
            goto out;
        bind_str(st, 1, out->execution.run_id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            ALLOC_GROW(out->outputs, out->noutputs + 1, out->alloc);
            struct lineage_output *o = &out->outputs[out->noutputs++];
            o->name = sq_col_str(st, 0);
            o->uri = sq_col_str(st, 1);
            o->type = sq_col_str(st, 2);
            o->digest = sq_col_str(st, 3);
        }
        end_stmt(st);
        if (rc != SQLITE_DONE) {
            sq_fail(c, "reading a cached execution's outputs", err);
            goto out;
        }
    }
    ret = 0;
out:
    sq_reader_put(sq, c);
    if (ret)
        lineage_cache_hit_release(out);
    return ret;
}

static int sq_lin_executions_list(struct store *s, const char *pipeline_run_id, int64_t offset,
                                  int64_t limit, struct lineage_execution_list *out,
                                  struct ferr *err)
{
    static const char pipelines[] = "SELECT " EXEC_COLS " FROM lineage_executions x "
                                    "WHERE x.step = '' ORDER BY x.started_ms DESC, x.run_id "
                                    "LIMIT ?2 OFFSET ?3";
    static const char steps[] = "SELECT " EXEC_COLS " FROM lineage_executions x "
                                "WHERE x.pipeline_run_id = ?1 AND x.step <> '' "
                                "ORDER BY x.started_ms, x.step, x.run_id LIMIT ?2 OFFSET ?3";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int ret = -1, rc;
    sqlite3_stmt *st = sq_prep(c, pipeline_run_id ? steps : pipelines, err);
    if (st) {
        if (pipeline_run_id)
            bind_str(st, 1, pipeline_run_id);
        sqlite3_bind_int64(st, 2, limit);
        sqlite3_bind_int64(st, 3, offset);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            ALLOC_GROW(out->v, out->n + 1, out->alloc);
            struct lineage_execution *e = &out->v[out->n++];
            memset(e, 0, sizeof(*e));
            read_execution(st, e);
        }
        end_stmt(st);
        ret = rc == SQLITE_DONE ? 0 : sq_fail(c, "listing executions", err);
    }
    sq_reader_put(sq, c);
    if (ret)
        lineage_execution_list_release(out);
    return ret;
}

/* ---------- the graph walk's batched lookups ---------- */

#define KEYS  "(SELECT value FROM json_each(?1))"
#define PAIRS "json_each(?1) k JOIN json_each(?2) n ON n.key = k.key"
#define CONTEXT                                                                                    \
    "coalesce((SELECT t.value FROM input_tags t WHERE t.run = i.run AND t.dataset = i.dataset "    \
    "AND t.key = 'mlflow.data.context'), '')"
#define EVENTS_OF_RUNS(kind)                                                                       \
    "SELECT e.run_id, a.uri, e.name, a.type, a.digest FROM lineage_events e "                      \
    "JOIN lineage_artifacts a ON a.id = e.artifact_id WHERE e.run_id IN " KEYS                     \
    " AND e.kind = '" kind "'"
#define EVENTS_OF_URIS(kind)                                                                       \
    "SELECT a.uri, e.run_id, e.name FROM lineage_artifacts a "                                     \
    "JOIN lineage_events e ON e.artifact_id = a.id AND e.kind = '" kind "' WHERE a.uri IN " KEYS
#define VERSIONS_WHERE(col)                                                                        \
    "SELECT v." col ", m.name, v.version FROM model_versions v "                                   \
    "JOIN registered_models m ON m.id = v.model WHERE v." col " IN " KEYS

static const char *const queries[LQ_COUNT] = {
    [LQ_RUN_EVENTS_IN] = EVENTS_OF_RUNS("input"),
    [LQ_RUN_EVENTS_OUT] = EVENTS_OF_RUNS("output"),
    [LQ_URI_EVENTS_IN] = EVENTS_OF_URIS("input"),
    [LQ_URI_EVENTS_OUT] = EVENTS_OF_URIS("output"),
    [LQ_RUN_DATASETS] = "SELECT r.run_uuid, d.source, " CONTEXT ", d.name, d.digest FROM runs r "
                        "JOIN run_inputs i ON i.run = r.id JOIN datasets d ON d.id = i.dataset "
                        "WHERE r.run_uuid IN " KEYS,
    [LQ_SOURCE_RUNS] = "SELECT d.source, r.run_uuid, " CONTEXT " FROM datasets d "
                       "JOIN run_inputs i ON i.dataset = d.id JOIN runs r ON r.id = i.run "
                       "WHERE d.source IN " KEYS,
    [LQ_RUN_LOGGED_MODELS] = "SELECT source_run_id, model_id FROM logged_models "
                             "WHERE source_run_id IN " KEYS,
    [LQ_LOGGED_MODEL_RUNS] = "SELECT model_id, source_run_id FROM logged_models "
                             "WHERE model_id IN " KEYS,
    [LQ_RUN_VERSIONS] = VERSIONS_WHERE("run_id"),
    [LQ_SOURCE_VERSIONS] = VERSIONS_WHERE("source"),
    [LQ_LOGGED_MODEL_VERSIONS] = VERSIONS_WHERE("model_id"),
    [LQ_VERSION_SOURCES_NV] =
        "SELECT m.name, v.version, v.run_id, v.source, v.model_id, "
        "EXISTS (SELECT 1 FROM lineage_artifacts a WHERE a.uri = v.source) FROM " PAIRS
        " JOIN registered_models m ON m.name = k.value "
        "JOIN model_versions v ON v.model = m.id AND v.version = n.value",
    [LQ_RUNS] = "SELECT r.run_uuid, r.name, r.status, r.experiment_id, x.state, x.step, "
                "x.pipeline, x.pipeline_run_id, r.lifecycle_stage FROM runs r "
                "LEFT JOIN lineage_executions x ON x.run_id = r.run_uuid "
                "WHERE r.run_uuid IN " KEYS,
    [LQ_ARTIFACTS] = "SELECT uri, type, digest FROM lineage_artifacts WHERE uri IN " KEYS
                     " ORDER BY created_ms DESC, id DESC",
    [LQ_LOGGED_MODELS] = "SELECT model_id, name, experiment_id, source_run_id FROM logged_models "
                         "WHERE model_id IN " KEYS,
    [LQ_VERSIONS_NV] = "SELECT m.name, v.version, v.current_stage, v.run_id FROM " PAIRS
                       " JOIN registered_models m ON m.name = k.value "
                       "JOIN model_versions v ON v.model = m.id AND v.version = n.value",
    [LQ_DATA_VERSIONS_NV] = "SELECT v.name, v.version, v.digest FROM " PAIRS
                            " JOIN data_versions v ON v.name = k.value AND v.version = n.value",
};

static char *keys_json(const char *const *keys, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(keys[i] ? keys[i] : ""));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

static char *nums_json(const int64_t *nums, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer((json_int_t)nums[i]));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

static int sq_lin_query(struct store *s, enum lineage_query q, const char *const *keys,
                        const int64_t *nums, size_t n, struct lineage_rows *out, struct ferr *err)
{
    if ((unsigned)q >= LQ_COUNT || !queries[q])
        return ferr_set(err, FERR_INTERNAL_ERROR, "unknown lineage query %d", (int)q);
    struct sq *sq = (struct sq *)s;
    char *kj = keys_json(keys, n), *nj = nums ? nums_json(nums, n) : NULL;
    if (!kj || (nums && !nj)) {
        free(kj);
        free(nj);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a lineage key is not UTF-8");
    }
    struct sq_conn *c = sq_reader_get(sq, err);
    int ret = -1, rc;
    if (!c)
        goto done;
    sqlite3_stmt *st = sq_prep(c, queries[q], err);
    if (st) {
        sqlite3_bind_text(st, 1, kj, -1, SQLITE_STATIC);
        if (nj && sqlite3_bind_parameter_count(st) >= 2)
            sqlite3_bind_text(st, 2, nj, -1, SQLITE_STATIC);
        int ncols = sqlite3_column_count(st);
        if (ncols > LINEAGE_ROW_COLS)
            ncols = LINEAGE_ROW_COLS;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            ALLOC_GROW(out->v, out->n + 1, out->alloc);
            const char *cols[LINEAGE_ROW_COLS];
            size_t lens[LINEAGE_ROW_COLS];
            for (int k = 0; k < ncols; k++) {
                cols[k] = (const char *)sqlite3_column_text(st, k);
                lens[k] = cols[k] ? (size_t)sqlite3_column_bytes(st, k) : 0;
            }
            lineage_row_set(&out->v[out->n++], cols, lens, ncols);
        }
        end_stmt(st);
        ret = rc == SQLITE_DONE ? 0 : sq_fail(c, "walking the lineage graph", err);
    }
    sq_reader_put(sq, c);
done:
    free(kj);
    free(nj);
    if (ret)
        lineage_rows_release(out);
    return ret;
}

const struct store_lineage_ops sqlite_lineage = {
    .execution_put = sq_lin_execution_put,
    .execution_get = sq_lin_execution_get,
    .events_log = sq_lin_events_log,
    .bulk = sq_lin_bulk,
    .cache_lookup = sq_lin_cache_lookup,
    .executions_list = sq_lin_executions_list,
    .query = sq_lin_query,
};
