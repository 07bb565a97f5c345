/* SPDX-License-Identifier: MIT
 * Permanent deletion for `ferry gc` in the SQLite backend: what is in the
 * deleted state (runs, and experiments with all their runs) is listed, its
 * artifacts removed by the caller, then its rows purged. Active runs are
 * never touched: the purge re-checks the state inside its own transaction. */
#include "store/sqlite/sqlite_int.h"
#include "base/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int sq_gc_candidates(struct store *s, int64_t deleted_before, struct kv_list *runs,
                     struct kv_list *experiments, struct ferr *err)
{
    static const char runs_sql[] =
        "SELECT r.run_uuid, r.artifact_uri FROM runs r JOIN experiments e USING (experiment_id) "
        "WHERE (r.lifecycle_stage = 'deleted' AND coalesce(r.deleted_time, 0) <= ?1) "
        "   OR (e.lifecycle_stage = 'deleted' AND e.last_update_time <= ?1) "
        "ORDER BY r.id";
    static const char exps_sql[] =
        "SELECT experiment_id, artifact_location FROM experiments "
        "WHERE lifecycle_stage = 'deleted' AND last_update_time <= ? AND experiment_id != 0 "
        "ORDER BY experiment_id";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int rc = -1, step;
    sqlite3_stmt *st = sq_prep(c, runs_sql, err);
    if (!st)
        goto out;
    sqlite3_bind_int64(st, 1, deleted_before);
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        kv_list_add(runs, (const char *)sqlite3_column_text(st, 0),
                    (const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    if (step != SQLITE_DONE) {
        sq_fail(c, "listing deleted runs", err);
        goto out;
    }
    if (!(st = sq_prep(c, exps_sql, err)))
        goto out;
    sqlite3_bind_int64(st, 1, deleted_before);
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        kv_list_add(experiments, (const char *)sqlite3_column_text(st, 0),
                    (const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    if (step != SQLITE_DONE) {
        sq_fail(c, "listing deleted experiments", err);
        goto out;
    }
    rc = 0;
out:
    sq_reader_put(sq, c);
    if (rc) {
        kv_list_release(runs);
        kv_list_release(experiments);
    }
    return rc;
}

static int do_purge_run(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] =
        "DELETE FROM runs WHERE run_uuid = ? AND (lifecycle_stage = 'deleted' OR "
        "(SELECT lifecycle_stage FROM experiments e WHERE e.experiment_id = runs.experiment_id)"
        " = 'deleted')";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "purging a run", err);
    if (sqlite3_changes(c->db) == 0)
        return ferr_set(err, FERR_INVALID_STATE,
                        "run '%.40s' is not deleted (or no longer exists): not purged",
                        (const char *)arg);
    return 0;
}

int sq_purge_run(struct store *s, const char *run_id, struct ferr *err)
{
    return sq_write((struct sq *)s, do_purge_run, (void *)(uintptr_t)run_id, err);
}

static int do_purge_experiment(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char left[] = "SELECT count(*) FROM runs WHERE experiment_id = ?";
    static const char del[] =
        "DELETE FROM experiments WHERE experiment_id = ? AND lifecycle_stage = 'deleted'";
    int64_t id = *(const int64_t *)arg;
    sqlite3_stmt *st = sq_prep(c, left, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW)
        return sq_fail(c, "counting runs", err);
    if (sqlite3_column_int64(st, 0) > 0)
        return ferr_set(err, FERR_INVALID_STATE, "experiment %lld still has runs: not purged",
                        (long long)id);
    sqlite3_reset(st);
    if (!(st = sq_prep(c, del, err)))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "purging an experiment", err);
    if (sqlite3_changes(c->db) == 0)
        return ferr_set(err, FERR_INVALID_STATE, "experiment %lld is not deleted: not purged",
                        (long long)id);
    /* its permissions go with it: SQLite may give its id to the next
     * experiment, which must not inherit them */
    static const char perms[] = "DELETE FROM resource_permissions WHERE kind = 0 AND key = ?";
    char key[24];
    if (!(st = sq_prep(c, perms, err)))
        return -1;
    snprintf(key, sizeof(key), "%lld", (long long)id);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "purging an experiment's permissions", err);
    return 0;
}

int sq_purge_experiment(struct store *s, int64_t experiment_id, struct ferr *err)
{
    return sq_write((struct sq *)s, do_purge_experiment, &experiment_id, err);
}
