/* SPDX-License-Identifier: MIT
 * `ferry db copy` and `ferry db upgrade` (store/copy.h). The copy works on
 * tables, not through the store's operations: both backends hold the same
 * tables and columns at one schema version (store/sqlite/schema.c,
 * store/postgres/schema.c), so a row-for-row copy keeps every id and every
 * value exactly, and PostgreSQL's COPY takes a 100,000-point metric history
 * in a fraction of a second. The table list below must name every table of
 * the schema (the static assertion ties it to the version): a table added
 * by a migration is a table the copy must learn. */
#include "store/copy.h"
#include "base/log.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "store/postgres/postgres.h"
#include "store/sqlite/schema.h"
#include "store/store.h"
#include "store/uri.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

/* 8 added the prediction log, which is not copied (on SQLite it lives in
 * files of its own: store/predictions.h); 9 the monitors' tables; 10 the
 * datasets' (every one, data_objects too: the rows say where the bytes of
 * the data root are, and a copy that lost them would lose the versions);
 * 11 the lineage graph's (artifacts before the events that name them); 12
 * the triggers' and the webhooks' (firings, cursors and deliveries too: a
 * copy that lost them would fire or deliver every event again); 13 adds no
 * table, nor does 14 (a column of params, tags and latest_metrics, which
 * the copy takes as every column: by name, from the source). */
_Static_assert(SCHEMA_VERSION == 14, "a new schema version: update the tables store_copy copies");

/* Parents before children (foreign keys are checked as rows arrive). */
static const struct {
    const char *name;
    const char *identity; /* the identity column, whose sequence moves past the copied ids */
} tables[] = {
    {"experiments", "experiment_id"},
    {"experiment_tags", NULL},
    {"runs", "id"},
    {"params", NULL},
    {"tags", NULL},
    {"metrics", NULL},
    {"latest_metrics", NULL},
    {"datasets", "id"},
    {"run_inputs", NULL},
    {"input_tags", NULL},
    {"registered_models", "id"},
    {"registered_model_tags", NULL},
    {"model_versions", NULL},
    {"model_version_tags", NULL},
    {"registered_model_aliases", NULL},
    {"registry_events", "id"},
    {"logged_models", "id"},
    {"logged_model_params", NULL},
    {"logged_model_tags", NULL},
    {"logged_model_metrics", NULL},
    {"run_model_refs", NULL},
    {"traces", "id"},
    {"trace_tags", NULL},
    {"trace_request_metadata", NULL},
    {"users", "id"},
    {"resource_permissions", NULL},
    {"api_tokens", NULL},
    {"leases", NULL},
    {"deployments", NULL},
    {"deployment_changes", NULL},
    {"events", "id"},
    {"deploy_stats", NULL},
    {"monitors", NULL},
    {"monitor_reports", "id"},
    {"monitor_alerts", "id"},
    {"alert_deliveries", "id"},
    {"data_sets", NULL},
    {"data_versions", NULL},
    {"data_version_content", "id"},
    {"data_version_tags", NULL},
    {"data_aliases", NULL},
    {"data_objects", NULL},
    {"lineage_artifacts", "id"},
    {"lineage_executions", NULL},
    {"lineage_events", NULL},
    {"triggers", NULL},
    {"trigger_firings", "id"},
    {"scheduler_cursors", NULL},
    {"webhooks", NULL},
    {"webhook_deliveries", "id"},
};

#define NTABLES (sizeof(tables) / sizeof(*tables))

_Static_assert(NTABLES <= STORE_COPY_MAX_TABLES, "the report holds every table");

static int pg_fail_msg(PGconn *c, const PGresult *r, const char *what, struct ferr *err)
{
    char msg[300];
    const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    snprintf(msg, sizeof(msg), "%s", m ? m : PQerrorMessage(c));
    msg[strcspn(msg, "\n")] = '\0';
    return ferr_set(err, FERR_INTERNAL_ERROR, "%s: %s", what, msg);
}

static int pg_exec(PGconn *c, const char *sql, const char *what, struct ferr *err)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : pg_fail_msg(c, r, what, err);
    PQclear(r);
    return rc;
}

static int pg_count(PGconn *c, const char *sql, int64_t *n, struct ferr *err)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pg_fail_msg(c, r, "counting rows", err);
        PQclear(r);
        return -1;
    }
    *n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return 0;
}

static int sq_fail_msg(sqlite3 *db, const char *what, struct ferr *err)
{
    return ferr_set(err, FERR_INTERNAL_ERROR, "%s: %s", what, sqlite3_errmsg(db));
}

/* One value in COPY's text format. */
static void copy_value(struct sbuf *line, sqlite3_stmt *st, int col)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
        sbuf_addstr(line, "\\N");
        break;
    case SQLITE_INTEGER:
        sbuf_addf(line, "%lld", (long long)sqlite3_column_int64(st, col));
        break;
    case SQLITE_FLOAT: {
        double d = sqlite3_column_double(st, col);
        if (isinf(d))
            sbuf_addstr(line, d > 0 ? "Infinity" : "-Infinity");
        else
            sbuf_addf(line, "%.17g", d);
        break;
    }
    default: {
        const unsigned char *t = sqlite3_column_text(st, col);
        int n = sqlite3_column_bytes(st, col);
        for (int i = 0; i < n; i++) {
            switch (t[i]) {
            case '\\':
                sbuf_addstr(line, "\\\\");
                break;
            case '\t':
                sbuf_addstr(line, "\\t");
                break;
            case '\n':
                sbuf_addstr(line, "\\n");
                break;
            case '\r':
                sbuf_addstr(line, "\\r");
                break;
            default:
                sbuf_addch(line, (char)t[i]);
            }
        }
    }
    }
}

/* Copies one table; *rows gets how many rows went. */
static int copy_table(sqlite3 *src, PGconn *dst, const char *table, int64_t *rows, struct ferr *err)
{
    struct sbuf cols = SBUF_INIT, sql = SBUF_INIT, buf = SBUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    *rows = 0;
    sbuf_addf(&sql, "SELECT name FROM pragma_table_info('%s') ORDER BY cid", table);
    if (sqlite3_prepare_v2(src, sql.buf, -1, &st, NULL) != SQLITE_OK) {
        sq_fail_msg(src, "reading the source's columns", err);
        goto out;
    }
    while (sqlite3_step(st) == SQLITE_ROW)
        sbuf_addf(&cols, "%s%s", cols.len ? ", " : "", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    st = NULL;
    if (!cols.len) {
        ferr_set(err, FERR_INTERNAL_ERROR, "the source has no table %s", table);
        goto out;
    }
    sbuf_reset(&sql);
    sbuf_addf(&sql, "COPY %s (%s) FROM STDIN", table, cols.buf);
    PGresult *r = PQexec(dst, sql.buf);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        pg_fail_msg(dst, r, "starting the copy", err);
        PQclear(r);
        goto out;
    }
    PQclear(r);
    sbuf_reset(&sql);
    sbuf_addf(&sql, "SELECT %s FROM %s", cols.buf, table);
    int copy_ok = 1;
    if (sqlite3_prepare_v2(src, sql.buf, -1, &st, NULL) != SQLITE_OK) {
        sq_fail_msg(src, "reading the source", err);
        copy_ok = 0;
    }
    int step = SQLITE_DONE;
    while (copy_ok && (step = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0, n = sqlite3_column_count(st); i < n; i++) {
            if (i)
                sbuf_addch(&buf, '\t');
            copy_value(&buf, st, i);
        }
        sbuf_addch(&buf, '\n');
        ++*rows;
        if (buf.len >= 1 << 16) {
            copy_ok = PQputCopyData(dst, buf.buf, (int)buf.len) == 1;
            sbuf_reset(&buf);
        }
    }
    if (copy_ok && step != SQLITE_DONE) {
        sq_fail_msg(src, "reading the source", err);
        copy_ok = 0;
    }
    if (copy_ok && buf.len)
        copy_ok = PQputCopyData(dst, buf.buf, (int)buf.len) == 1;
    if (PQputCopyEnd(dst, copy_ok ? NULL : "source read failed") != 1)
        copy_ok = 0;
    r = PQgetResult(dst);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        if (!err->code)
            pg_fail_msg(dst, r, "copying rows", err);
        copy_ok = 0;
    }
    PQclear(r);
    while ((r = PQgetResult(dst)))
        PQclear(r);
    rc = copy_ok ? 0 : -1;
    if (rc && !err->code)
        ferr_set(err, FERR_INTERNAL_ERROR, "copying %s failed", table);
out:
    sqlite3_finalize(st);
    sbuf_release(&cols);
    sbuf_release(&sql);
    sbuf_release(&buf);
    return rc;
}

/* INVALID_STATE unless the target holds nothing but a server's Default experiment. */
static int target_empty(PGconn *dst, struct ferr *err)
{
    for (size_t i = 0; i < NTABLES; i++) {
        char sql[200];
        int64_t n;
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s%s", tables[i].name,
                 !strcmp(tables[i].name, "experiments")
                     ? " WHERE experiment_id <> 0 OR name <> 'Default'"
                     : "");
        if (pg_count(dst, sql, &n, err))
            return -1;
        if (n)
            return ferr_set(err, FERR_INVALID_STATE,
                            "the target database is not empty (%" PRId64
                            " rows in %s): ferry db copy fills a new database only",
                            n, tables[i].name);
    }
    return 0;
}

static int copy_all(sqlite3 *src, PGconn *dst, struct store_copy_report *out, struct ferr *err)
{
    if (pg_exec(dst, "BEGIN", "starting the copy", err))
        return -1;
    /* Nothing else writes the target while it fills: a server starting on it
     * meanwhile waits (it would add its Default experiment). */
    if (pg_exec(dst, "LOCK TABLE experiments IN EXCLUSIVE MODE", "locking the target", err) ||
        target_empty(dst, err) || pg_exec(dst, "DELETE FROM experiments", "clearing", err))
        goto fail;
    for (size_t i = 0; i < NTABLES; i++) {
        int64_t rows, again;
        char sql[300];
        if (copy_table(src, dst, tables[i].name, &rows, err))
            goto fail;
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i].name);
        if (pg_count(dst, sql, &again, err))
            goto fail;
        if (again != rows) {
            ferr_set(err, FERR_INTERNAL_ERROR,
                     "%s: %" PRId64 " rows read but %" PRId64 " in the target", tables[i].name,
                     rows, again);
            goto fail;
        }
        if (tables[i].identity) {
            snprintf(sql, sizeof(sql),
                     "SELECT setval(pg_get_serial_sequence('%s', '%s'), "
                     "GREATEST((SELECT max(%s) FROM %s), 1))",
                     tables[i].name, tables[i].identity, tables[i].identity, tables[i].name);
            if (pg_exec(dst, sql, "moving an id sequence", err))
                goto fail;
        }
        out->t[out->ntables].table = tables[i].name;
        out->t[out->ntables++].rows = rows;
    }
    if (pg_exec(dst, "COMMIT", "committing the copy", err))
        goto fail;
    /* The planner's statistics and the visibility map for the tables just
     * filled (autovacuum would take its time): the first searches on the
     * copy use the indexes, and their index-only scans read no table
     * pages (without the map, a search over 5,000 runs of a 105,000-run
     * copy took 28 ms instead of 13). A failure costs speed, not data: a
     * warning. VACUUM runs outside the transaction, as it must. */
    struct ferr ignored = FERR_INIT;
    if (pg_exec(dst, "VACUUM (ANALYZE)", "vacuuming the copy", &ignored))
        log_warn("after the copy: %s", ignored.msg);
    return 0;
fail:
    PQclear(PQexec(dst, "ROLLBACK"));
    return -1;
}

int store_copy(const char *from_uri, const char *to_uri, struct store_copy_report *out,
               struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    const char *path = store_uri_sqlite_path(from_uri);
    if (!path)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "copy from a ferry SQLite store (sqlite:///path or a path)");
    if (!store_uri_is_postgres(to_uri))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "copy into a PostgreSQL database (postgresql://...)");
    /* Both at this build's schema: opening the source migrates it, as a
     * server would; the target gets its schema unless it has one. */
    struct store *s = NULL;
    if (access(path, R_OK) != 0)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "no SQLite store at '%s'", path);
    if (store_open(from_uri, NULL, &s, err))
        return -1;
    store_close(s);
    int from = 0, to = 0;
    if (store_postgres_upgrade(to_uri, 0, &from, &to, err))
        return -1;
    if (to != SCHEMA_VERSION)
        return ferr_set(err, FERR_INVALID_STATE,
                        "the target's schema is version %d, the source's %d: copy between "
                        "equal versions",
                        to, SCHEMA_VERSION);

    sqlite3 *src = NULL;
    if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sq_fail_msg(src, "opening the source", err);
        sqlite3_close(src);
        return -1;
    }
    char *conninfo = store_postgres_conninfo(to_uri);
    PGconn *dst = PQconnectdb(conninfo);
    free(conninfo);
    int rc = -1;
    if (PQstatus(dst) != CONNECTION_OK) {
        char *shown = store_uri_redacted(to_uri);
        char msg[300];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(dst));
        msg[strcspn(msg, "\n")] = '\0';
        ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE, "cannot connect to %s: %s", shown, msg);
        free(shown);
        goto out;
    }
    /* One read transaction: every table from the same moment. */
    if (sqlite3_exec(src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        sq_fail_msg(src, "reading the source", err);
        goto out;
    }
    rc = copy_all(src, dst, out, err);
    sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
out:
    PQfinish(dst);
    sqlite3_close(src);
    return rc;
}

int store_upgrade(const char *uri, int to, int *from_out, int *to_out, struct ferr *err)
{
    if (store_uri_is_postgres(uri))
        return store_postgres_upgrade(uri, to, from_out, to_out, err);
    const char *path = store_uri_sqlite_path(uri);
    if (!path) {
        char *shown = store_uri_redacted(uri);
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "not a ferry store URI: '%s'", shown);
        free(shown);
        return -1;
    }
    if (to > 0 && to != SCHEMA_VERSION)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "--to is for PostgreSQL stores; a SQLite store goes to version %d",
                        SCHEMA_VERSION);
    if (access(path, F_OK) != 0)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "no SQLite store at '%s'", path);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sq_fail_msg(db, "opening the store", err);
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, 10000);
    int rc = schema_migrate(db, from_out, err);
    sqlite3_close(db);
    if (!rc && to_out)
        *to_out = SCHEMA_VERSION;
    return rc;
}
