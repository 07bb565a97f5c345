/* SPDX-License-Identifier: MIT
 * The PostgreSQL backend itself, on a throwaway cluster (tests/pg/cluster):
 * servers starting together migrate an empty database once; the version
 * row and its minimum compatible version decide which binaries may open a
 * database; an upgrade can stop at a version; a lease race between
 * separate store handles (replicas) is won once; a password never shows. */
#include "../test.h"
#include "fixtures.h"
#include "base/sbuf.h"
#include "store/leases.h"
#include "store/metrics.h"
#include "store/registry.h"
#include "store/postgres/postgres.h"
#include "store/store.h"
#include "store/uri.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

static struct store *open_uri(const char *uri)
{
    struct store_opts o = STORE_OPTS_INIT;
    o.default_artifact_root = "/artifacts";
    o.group_commit = 1;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    return s;
}

/* Runs sql on uri's database; returns the first cell of the result ("" if none). */
static char *psql(const char *uri, const char *sql)
{
    PGconn *c = PQconnectdb(uri);
    ASSERT(PQstatus(c) == CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        FAIL_AT("%s: %s", sql, PQerrorMessage(c));
    char *v = strdup(st == PGRES_TUPLES_OK && PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    PQfinish(c);
    return v;
}

static void assert_cell(const char *uri, const char *sql, const char *want)
{
    char *v = psql(uri, sql);
    ASSERT_STR_EQ(v, want);
    free(v);
}

struct opener {
    const char *uri;
    int ok;
};

static void *open_and_close(void *arg)
{
    struct opener *o = arg;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    o->ok = !store_open(o->uri, NULL, &s, &err);
    if (!o->ok)
        fprintf(stderr, "    open: %s\n", err.msg);
    store_close(s);
    return NULL;
}

PG_TEST(pg_servers_starting_together_migrate_once)
{
    char *uri = test_store_uri("together");
    struct opener o[6];
    pthread_t t[6];
    for (int i = 0; i < 6; i++) {
        o[i] = (struct opener){uri, 0};
        ASSERT(pthread_create(&t[i], NULL, open_and_close, &o[i]) == 0);
    }
    for (int i = 0; i < 6; i++) {
        ASSERT(pthread_join(t[i], NULL) == 0);
        ASSERT(o[i].ok);
    }
    assert_cell(uri, "SELECT count(*) FROM ferry_schema", "1");
    assert_cell(uri, "SELECT version FROM ferry_schema", "14");
    assert_cell(uri, "SELECT count(*) FROM experiments WHERE experiment_id = 0", "1");
    free(uri);
}

PG_TEST(pg_min_compatible_version_decides_who_may_open)
{
    char *uri = test_store_uri("compat");
    store_close(open_uri(uri));
    /* A newer schema that older binaries still work on (an expand step). */
    free(psql(uri, "UPDATE ferry_schema SET version = 99, min_compatible = 6"));
    struct store *s = open_uri(uri);
    ASSERT_INT_EQ(store_schema_version(s), 14);
    store_close(s);
    assert_cell(uri, "SELECT version FROM ferry_schema", "99"); /* never downgraded */
    /* A contract step past this binary: refused, naming both versions. */
    free(psql(uri, "UPDATE ferry_schema SET min_compatible = 98"));
    struct ferr err = FERR_INIT;
    s = NULL;
    ASSERT_FAILS(store_open(uri, NULL, &s, &err), &err, FERR_INTERNAL_ERROR);
    ASSERT_CONTAINS(err.msg, "needs ferry schema 98");
    ASSERT_CONTAINS(err.msg, "upgrade ferry");
    free(uri);
}

PG_TEST(pg_upgrade_reports_versions_and_keeps_data)
{
    char *uri = test_store_uri("upgrade");
    struct ferr err = FERR_INIT;
    int from = -1, to = -1;
    ASSERT_OK(store_postgres_upgrade(uri, 6, &from, &to, &err), &err); /* as 6 left it */
    ASSERT_INT_EQ(from, 0);
    ASSERT_INT_EQ(to, 6);
    free(psql(uri, "INSERT INTO experiments (experiment_id, name, artifact_location, "
                   "creation_time, last_update_time) VALUES (7, 'kept', '/a/7', 1, 1)"));
    ASSERT_OK(store_postgres_upgrade(uri, 7, &from, &to, &err), &err); /* 6 -> 7: deployments */
    ASSERT_INT_EQ(from, 6);
    ASSERT_INT_EQ(to, 7);
    assert_cell(uri, "SELECT min_compatible FROM ferry_schema", "6"); /* an expand step */
    assert_cell(uri, "SELECT count(*) FROM deployments", "0");
    ASSERT_OK(store_postgres_upgrade(uri, 8, &from, &to, &err), &err); /* 7 -> 8: predictions */
    ASSERT_INT_EQ(from, 7);
    ASSERT_INT_EQ(to, 8);
    assert_cell(uri, "SELECT min_compatible FROM ferry_schema", "6"); /* an expand step */
    assert_cell(uri, "SELECT count(*) FROM pred_rows", "0");
    ASSERT_OK(store_postgres_upgrade(uri, 9, &from, &to, &err), &err); /* 8 -> 9: monitors */
    ASSERT_INT_EQ(from, 8);
    ASSERT_INT_EQ(to, 9);
    assert_cell(uri, "SELECT min_compatible FROM ferry_schema", "6"); /* an expand step */
    assert_cell(uri, "SELECT count(*) FROM monitor_reports", "0");
    ASSERT_OK(store_postgres_upgrade(uri, 10, &from, &to, &err), &err); /* 9 -> 10: datasets */
    ASSERT_INT_EQ(from, 9);
    ASSERT_INT_EQ(to, 10);
    assert_cell(uri, "SELECT min_compatible FROM ferry_schema", "6"); /* an expand step */
    assert_cell(uri, "SELECT count(*) FROM data_objects", "0");
    ASSERT_OK(store_postgres_upgrade(uri, 11, &from, &to, &err), &err); /* 10 -> 11: lineage */
    ASSERT_INT_EQ(from, 10);
    ASSERT_INT_EQ(to, 11);
    assert_cell(uri, "SELECT min_compatible FROM ferry_schema", "6"); /* an expand step */
    assert_cell(uri, "SELECT count(*) FROM lineage_events", "0");
    free(psql(uri, "INSERT INTO events (time_ms, kind, subject, payload) VALUES "
                   "(1, 'deployment.apply', 'd', '{}')"));
    ASSERT_OK(store_postgres_upgrade(uri, 12, &from, &to, &err), &err); /* 11 -> 12: triggers */
    ASSERT_INT_EQ(from, 11);
    ASSERT_INT_EQ(to, 12);
    assert_cell(uri, "SELECT min_compatible FROM ferry_schema", "6"); /* an expand step */
    assert_cell(uri, "SELECT count(*) FROM trigger_firings", "0");
    assert_cell(uri, "SELECT count(*) FROM webhook_deliveries", "0");
    assert_cell(uri, "SELECT count(*) FROM events", "1");
    /* 12 -> 13: metrics' run no longer a foreign key; a trigger deletes them */
    free(psql(uri, "INSERT INTO runs (id, run_uuid, name, experiment_id, status, artifact_uri) "
                   "VALUES (3, 'r3', 'r', 7, 'RUNNING', '/a/7/r3');"
                   "INSERT INTO metrics (run, key, step, timestamp, value) "
                   "VALUES (3, 'loss', 0, 1, 0.5), (3, 'loss', 1, 2, 0.4)"));
    assert_cell(uri, "SELECT count(*) FROM pg_constraint WHERE conname = 'metrics_run_fkey'",
                "1");
    ASSERT_OK(store_postgres_upgrade(uri, 13, &from, &to, &err), &err);
    ASSERT_INT_EQ(from, 12);
    ASSERT_INT_EQ(to, 13);
    assert_cell(uri, "SELECT min_compatible FROM ferry_schema", "6"); /* an expand step */
    assert_cell(uri, "SELECT count(*) FROM pg_constraint WHERE conname = 'metrics_run_fkey'",
                "0");
    assert_cell(uri, "SELECT count(*) FROM metrics WHERE run = 3", "2");
    free(psql(uri, "DELETE FROM runs WHERE id = 3")); /* as an older binary's gc does */
    assert_cell(uri, "SELECT count(*) FROM metrics", "0");
    /* 13 -> 14: params, tags and latest_metrics carry their run's
     * experiment; the rows there are filled, and a row written without it
     * (as a binary of 13 writes) gets it from its run. */
    free(psql(uri, "INSERT INTO experiments (experiment_id, name, artifact_location, "
                   "creation_time, last_update_time) VALUES (8, 'other', '/a/8', 1, 1);"
                   "INSERT INTO runs (id, run_uuid, name, experiment_id, status, artifact_uri, "
                   "start_time) VALUES (4, 'r4', 'four', 7, 'RUNNING', '/a/7/r4', 4), "
                   "(5, 'r5', 'five', 8, 'RUNNING', '/a/8/r5', 5);"
                   "INSERT INTO params (run, key, value) VALUES (4, 'lr', '0.1'), (5, 'lr', '0.1');"
                   "INSERT INTO tags (run, key, value) VALUES (4, 'team', 'a'), (5, 'team', 'a');"
                   "INSERT INTO latest_metrics (run, key, value, timestamp, step) VALUES "
                   "(4, 'acc', 0.5, 1, 0), (5, 'acc', 0.5, 1, 0)"));
    ASSERT_OK(store_postgres_upgrade(uri, 0, &from, &to, &err), &err);
    ASSERT_INT_EQ(from, 13);
    ASSERT_INT_EQ(to, 14);
    assert_cell(uri, "SELECT min_compatible FROM ferry_schema", "6"); /* an expand step */
    static const char filled[] =
        "SELECT string_agg(t || ':' || run || '=' || coalesce(experiment_id::text, 'null'), ' ' "
        "ORDER BY t, run) FROM (SELECT 'p' t, run, experiment_id FROM params UNION ALL "
        "SELECT 't', run, experiment_id FROM tags UNION ALL "
        "SELECT 'm', run, experiment_id FROM latest_metrics) x";
    assert_cell(uri, filled, "m:4=7 m:5=8 p:4=7 p:5=8 t:4=7 t:5=8");
    free(psql(uri, "INSERT INTO params (run, key, value) VALUES (5, 'batch', '32');"
                   "INSERT INTO tags (run, key, value) VALUES (5, 'note', 'n');"
                   "INSERT INTO latest_metrics (run, key, value, timestamp, step) VALUES "
                   "(5, 'loss', 0.1, 1, 0)"));
    assert_cell(uri,
                "SELECT count(*) FROM (SELECT experiment_id FROM params WHERE run = 5 UNION ALL "
                "SELECT experiment_id FROM tags WHERE run = 5 UNION ALL "
                "SELECT experiment_id FROM latest_metrics WHERE run = 5) x "
                "WHERE experiment_id = 8",
                "6");
    /* The searches that compare it find the migrated rows and only their own. */
    struct store *s = open_uri(uri);
    fixture_assert_migrated_search(s);
    store_close(s);
    ASSERT_OK(store_postgres_upgrade(uri, 0, &from, &to, &err), &err); /* idempotent */
    ASSERT_INT_EQ(from, 14);
    ASSERT_INT_EQ(to, 14);
    assert_cell(uri, "SELECT name FROM experiments WHERE experiment_id = 7", "kept");
    free(uri);
}

PG_TEST(pg_password_never_shows_in_errors)
{
    const char *base = getenv("FERRY_TEST_PG_URI");
    struct sbuf bad = SBUF_INIT;
    /* the cluster trusts every local user: a missing database is the error */
    sbuf_addf(&bad, "postgresql://postgres:hunter2-secret@%s/no_such_db?connect_timeout=5",
              strstr(base, "@") + 1);
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    ASSERT(store_open(bad.buf, NULL, &s, &err) != 0);
    ASSERT(!strstr(err.msg, "hunter2"));
    ASSERT_CONTAINS(err.msg, "postgres:***@");
    char *shown = store_uri_redacted("postgres://u:p%40ss@h/db?password=x&sslmode=require");
    ASSERT_STR_EQ(shown, "postgres://u:***@h/db?password=***&sslmode=require");
    free(shown);
    sbuf_release(&bad);
}

struct racer {
    const char *uri;
    char holder[32];
    int won;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct store *s = open_uri(r->uri); /* a store of its own: a replica */
    struct lease l;
    struct ferr err = FERR_INIT;
    memset(&l, 0, sizeof(l));
    r->won = !store_lease_acquire(s, "race", r->holder, 10000, &l, &err);
    if (!r->won && err.code != FERR_INVALID_STATE)
        fprintf(stderr, "    unexpected: %s\n", err.msg);
    lease_release(&l);
    store_close(s);
    return NULL;
}

PG_TEST(pg_lease_race_between_replicas_is_won_once)
{
    char *uri = test_store_uri("leases");
    store_close(open_uri(uri));
    struct racer r[6];
    pthread_t t[6];
    for (int i = 0; i < 6; i++) {
        r[i].uri = uri;
        snprintf(r[i].holder, sizeof(r[i].holder), "replica-%d", i);
        ASSERT(pthread_create(&t[i], NULL, race, &r[i]) == 0);
    }
    int won = 0;
    for (int i = 0; i < 6; i++) {
        ASSERT(pthread_join(t[i], NULL) == 0);
        won += r[i].won;
    }
    ASSERT_INT_EQ(won, 1);
    assert_cell(uri, "SELECT epoch FROM leases WHERE name = 'race'", "1");
    free(uri);
}

/* The hot queries (a run, a metric history, a filtered and ordered search,
 * registry searches) on tables large enough that a missing index shows:
 * PostgreSQL's own statistics must count no sequential scan of them. */
PG_TEST(pg_hot_queries_use_indexes_on_large_tables)
{
    char *uri = test_store_uri("explain");
    store_close(open_uri(uri));
    static const char *const fill[] = {
        "INSERT INTO experiments (experiment_id, name, artifact_location, creation_time, "
        "last_update_time) SELECT e, 'exp' || e, '/a/' || e, e, e FROM generate_series(1, 20) e",
        "INSERT INTO runs (id, run_uuid, name, experiment_id, status, start_time, artifact_uri) "
        "SELECT i, md5(i::text), 'r' || i, 1 + i % 20, 'FINISHED', i, '/a/r' "
        "FROM generate_series(1, 20000) i",
        "INSERT INTO params (run, key, value) SELECT i, 'lr', CASE WHEN i % 3 = 0 THEN '0.01' "
        "ELSE '0.1' END FROM generate_series(1, 20000) i",
        "INSERT INTO tags (run, key, value) SELECT i, 'mlflow.runName', 'r' || i "
        "FROM generate_series(1, 20000) i",
        "INSERT INTO latest_metrics (run, key, value, timestamp, step) SELECT i, 'acc', "
        "(i % 100) / 100.0, i, 0 FROM generate_series(1, 20000) i",
        "INSERT INTO metrics (run, key, step, timestamp, value) SELECT 1 + i % 50, 'loss', i, i, "
        "1.0 / (i + 1) FROM generate_series(1, 100000) i",
        "INSERT INTO registered_models (id, name, creation_time, last_updated_time, "
        "next_version) SELECT i, 'model-' || i, i, i, 2 FROM generate_series(1, 5000) i",
        "INSERT INTO model_versions (model, version, creation_time, last_updated_time, source) "
        "SELECT i, 1, i, i, '/s' FROM generate_series(1, 5000) i",
        "ANALYZE",
        "SELECT pg_stat_reset()",
    };
    for (size_t i = 0; i < sizeof(fill) / sizeof(*fill); i++)
        free(psql(uri, fill[i]));

    struct store *s = open_uri(uri);
    struct ferr err = FERR_INIT;
    char *rid = psql(uri, "SELECT md5('500')");
    struct run r;
    ASSERT_OK(store_get_run(s, rid, &r, &err), &err);
    run_release(&r);
    free(rid);
    rid = psql(uri, "SELECT md5('50')"); /* run 50 holds 2,000 points of loss */
    struct metric_list ml = {0};
    char *next = NULL;
    ASSERT_OK(store_get_metric_history(s, rid, "loss", 1000, NULL, &ml, &next, &err), &err);
    ASSERT_INT_EQ(ml.n, 1000);
    metric_list_release(&ml);
    free(next);
    free(rid);
    const char *exps[] = {"7"};
    const char *order[] = {"metrics.acc DESC"};
    struct run_search q = {
        exps, 1, "metrics.acc > 0.5 and params.lr = '0.01'", VIEW_ACTIVE_ONLY, 100, order, 1, NULL};
    struct run_list rl = {0};
    ASSERT_OK(store_search_runs(s, &q, &rl, &err), &err);
    ASSERT(rl.n > 0);
    run_list_release(&rl);
    struct registry_search rq = {"name LIKE 'model-123%'", 100, NULL, 0, NULL};
    struct registered_model_list rml = {0};
    ASSERT_OK(store_search_registered_models(s, &rq, &rml, &err), &err);
    ASSERT_INT_EQ(rml.n, 11);
    registered_model_list_release(&rml);
    struct registry_search vq = {"name = 'model-4999'", 100, NULL, 0, NULL};
    struct model_version_list vl = {0};
    ASSERT_OK(store_search_model_versions(s, &vq, &vl, &err), &err);
    ASSERT_INT_EQ(vl.n, 1);
    model_version_list_release(&vl);
    store_close(s); /* its sessions end: their statistics are flushed */

    char *scans = psql(uri, "SELECT coalesce(string_agg(relname || ':' || seq_scan, ' '), '') "
                            "FROM pg_stat_user_tables WHERE seq_scan > 0 AND relname IN "
                            "('runs', 'params', 'tags', 'latest_metrics', 'metrics', "
                            "'registered_models', 'model_versions')");
    if (*scans)
        FAIL_AT("sequential scans of large tables (a hot query lacks an index): %s", scans);
    free(scans);
    free(uri);
}

/* /health's question: a store whose database stops taking connections
 * answers TEMPORARILY_UNAVAILABLE (a load balancer then takes the replica
 * out of rotation), and OK again once the database is back. */
PG_TEST(pg_ping_follows_the_database)
{
    const char *base = getenv("FERRY_TEST_PG_URI");
    char *uri = test_store_uri("ping");
    struct store *s = open_uri(uri);
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_ping(s, &err), &err);
    char *db = psql(uri, "SELECT current_database()");
    struct sbuf admin = SBUF_INIT, off = SBUF_INIT, kill = SBUF_INIT, on = SBUF_INIT;
    sbuf_addf(&admin, "%s/postgres", base);
    sbuf_addf(&off, "ALTER DATABASE \"%s\" ALLOW_CONNECTIONS false", db);
    sbuf_addf(&kill,
              "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
              "WHERE datname = '%s'",
              db);
    sbuf_addf(&on, "ALTER DATABASE \"%s\" ALLOW_CONNECTIONS true", db);
    free(psql(admin.buf, off.buf));
    free(psql(admin.buf, kill.buf));
    for (int i = 0; i < 2; i++) { /* the pooled reader is gone; a new one is refused */
        ASSERT(store_ping(s, &err) != 0);
        ASSERT_INT_EQ(err.code, FERR_TEMPORARILY_UNAVAILABLE);
        err = (struct ferr)FERR_INIT;
    }
    free(psql(admin.buf, on.buf));
    ASSERT_OK(store_ping(s, &err), &err);
    store_close(s);
    sbuf_release(&admin);
    sbuf_release(&off);
    sbuf_release(&kill);
    sbuf_release(&on);
    free(db);
    free(uri);
}

struct fenced_writer {
    struct store *s;
    int rc;
    struct ferr err;
};

static void *fenced_write(void *arg)
{
    struct fenced_writer *w = arg;
    struct lease_fence f = {"ctl", "old", 1};
    char *id = NULL;
    w->err = (struct ferr)FERR_INIT;
    w->rc = store_fence_set(&f, &w->err) ||
            store_create_experiment(w->s, "written-late", NULL, NULL, &id, &w->err);
    store_fence_clear();
    free(id);
    return NULL;
}

/* Another replica takes the lease while a write under the old epoch is on
 * its way: the write waits for the taker's transaction (the lease's row is
 * locked), then sees the new epoch and is refused; nothing of it lands. */
PG_TEST(pg_fenced_write_loses_to_a_concurrent_takeover)
{
    char *uri = test_store_uri("fence");
    struct store *s = open_uri(uri);
    struct ferr err = FERR_INIT;
    struct lease l;
    memset(&l, 0, sizeof(l));
    ASSERT_OK(store_lease_acquire(s, "ctl", "old", 60000, &l, &err), &err);
    lease_release(&l);
    /* the taker, as another replica's acquire does it: the row locked, then
     * a new holder and epoch */
    PGconn *taker = PQconnectdb(uri);
    ASSERT(PQstatus(taker) == CONNECTION_OK);
    PQclear(PQexec(taker, "BEGIN"));
    PGresult *r = PQexec(taker, "SELECT epoch FROM leases WHERE name = 'ctl' FOR UPDATE");
    ASSERT(PQresultStatus(r) == PGRES_TUPLES_OK);
    PQclear(r);
    struct fenced_writer w = {s, 0, FERR_INIT};
    pthread_t t;
    ASSERT(pthread_create(&t, NULL, fenced_write, &w) == 0);
    struct timespec pause = {0, 300 * 1000000L}; /* the write is waiting by then */
    nanosleep(&pause, NULL);
    r = PQexec(taker, "UPDATE leases SET holder = 'new', epoch = 2 WHERE name = 'ctl'");
    ASSERT(PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
    PQclear(PQexec(taker, "COMMIT"));
    ASSERT(pthread_join(t, NULL) == 0);
    PQfinish(taker);
    ASSERT(w.rc != 0);
    ASSERT_INT_EQ(w.err.code, FERR_INVALID_STATE);
    ASSERT_CONTAINS(w.err.msg, "'new' holds epoch 2");
    assert_cell(uri, "SELECT count(*) FROM experiments WHERE name = 'written-late'", "0");
    store_close(s);
    free(uri);
}
