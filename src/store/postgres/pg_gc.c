/* SPDX-License-Identifier: MIT
 * Permanent deletion for `ferry gc` in the PostgreSQL backend (store/gc.h's
 * contract), as the SQLite backend's (store/sqlite/sqlite_gc.c): what is in
 * the deleted state (runs, and experiments with all their runs) is listed,
 * its artifacts removed by the caller, then its rows purged. Active runs are
 * never touched: the purge re-checks the state inside its own transaction.
 *
 * Replicas: SQLite's single writer kept the state from changing between
 * that check and the delete; here another server may restore the run or
 * its experiment, or create a run in the experiment, at the same moment, so
 * each purge first locks the rows its check reads (under READ COMMITTED a
 * row locked after a wait is checked again in its new state). */
#include "store/postgres/pg_int.h"
#include "base/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Every (first column, second column) row sql selects for deleted_before ($1). */
static int list_pairs(struct pg_conn *c, const char *sql, int64_t deleted_before,
                      struct kv_list *out, const char *what, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, deleted_before);
    PGresult *r = pg_run(c, sql, &a, what, err);
    pg_args_release(&a);
    if (!r)
        return -1;
    for (int i = 0, n = PQntuples(r); i < n; i++)
        kv_list_add(out, pg_get_ref(r, i, 0), pg_get_ref(r, i, 1));
    PQclear(r);
    return 0;
}

static int pg_gc_candidates(struct store *s, int64_t deleted_before, struct kv_list *runs,
                            struct kv_list *experiments, struct ferr *err)
{
    static const char runs_sql[] =
        "SELECT r.run_uuid, r.artifact_uri FROM runs r JOIN experiments e USING (experiment_id) "
        "WHERE (r.lifecycle_stage = 'deleted' AND coalesce(r.deleted_time, 0) <= $1) "
        "   OR (e.lifecycle_stage = 'deleted' AND e.last_update_time <= $1) "
        "ORDER BY r.id";
    static const char exps_sql[] =
        "SELECT experiment_id, artifact_location FROM experiments "
        "WHERE lifecycle_stage = 'deleted' AND last_update_time <= $1 AND experiment_id <> 0 "
        "ORDER BY experiment_id";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    int rc = list_pairs(c, runs_sql, deleted_before, runs, "listing deleted runs", err) ||
                     list_pairs(c, exps_sql, deleted_before, experiments,
                                "listing deleted experiments", err)
                 ? -1
                 : 0;
    pg_reader_put(pg, c);
    if (rc) {
        kv_list_release(runs);
        kv_list_release(experiments);
    }
    return rc;
}

static int do_purge_run(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    /* The run's row for deleting, its experiment's against a restore
     * (FOR SHARE still lets other runs be created in it). */
    static const char lock[] = "SELECT r.id FROM runs r JOIN experiments e USING (experiment_id) "
                               "WHERE r.run_uuid = $1 AND (r.lifecycle_stage = 'deleted' OR "
                               "e.lifecycle_stage = 'deleted') FOR UPDATE OF r FOR SHARE OF e";
    static const char del[] = "DELETE FROM runs WHERE id = $1";
    const char *run_id = arg;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, run_id);
    PGresult *r = pg_run(c, lock, &a, "purging a run", err);
    pg_args_clear(&a);
    if (!r) {
        pg_args_release(&a);
        return -1;
    }
    int found = PQntuples(r) == 1;
    if (found)
        pg_args_int(&a, pg_get_int(r, 0, 0));
    PQclear(r);
    if (!found) {
        pg_args_release(&a);
        return ferr_set(err, FERR_INVALID_STATE,
                        "run '%.40s' is not deleted (or no longer exists): not purged", run_id);
    }
    int rc = pg_do(c, del, &a, "purging a run", err);
    pg_args_release(&a);
    return rc;
}

static int pg_purge_run(struct store *s, const char *run_id, struct ferr *err)
{
    return pg_write((struct pg *)s, do_purge_run, (void *)(uintptr_t)run_id, err);
}

static int do_purge_experiment(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    /* Locked first: a run being created in it (whose foreign key takes a
     * share lock on this row) is then either counted below or waits and
     * finds the experiment gone; a restore waits and finds it gone. */
    static const char lock[] = "SELECT 1 FROM experiments WHERE experiment_id = $1 FOR UPDATE";
    static const char left[] = "SELECT count(*) FROM runs WHERE experiment_id = $1";
    static const char del[] =
        "DELETE FROM experiments WHERE experiment_id = $1 AND lifecycle_stage = 'deleted'";
    /* its permissions go with it: the id must not grant anything should it
     * ever name an experiment again (an import keeps ids) */
    static const char perms[] = "DELETE FROM resource_permissions WHERE kind = 0 AND key = $1";
    int64_t id = *(const int64_t *)arg;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, id);
    int rc = -1;
    PGresult *r = NULL;
    if (pg_do(c, lock, &a, "purging an experiment", err))
        goto out;
    if (!(r = pg_run(c, left, &a, "counting runs", err)))
        goto out;
    int64_t runs = pg_get_int(r, 0, 0);
    PQclear(r);
    if (runs > 0) {
        ferr_set(err, FERR_INVALID_STATE, "experiment %lld still has runs: not purged",
                 (long long)id);
        goto out;
    }
    if (!(r = pg_run(c, del, &a, "purging an experiment", err)))
        goto out;
    int64_t n = pg_affected(r);
    PQclear(r);
    if (n == 0) {
        ferr_set(err, FERR_INVALID_STATE, "experiment %lld is not deleted: not purged",
                 (long long)id);
        goto out;
    }
    char key[24];
    snprintf(key, sizeof(key), "%lld", (long long)id);
    pg_args_clear(&a);
    pg_args_text(&a, key);
    rc = pg_do(c, perms, &a, "purging an experiment's permissions", err);
out:
    pg_args_release(&a);
    return rc;
}

static int pg_purge_experiment(struct store *s, int64_t experiment_id, struct ferr *err)
{
    return pg_write((struct pg *)s, do_purge_experiment, &experiment_id, err);
}

const struct store_gc_ops pg_gc = {
    .candidates = pg_gc_candidates,
    .purge_run = pg_purge_run,
    .purge_experiment = pg_purge_experiment,
};
