/* SPDX-License-Identifier: MIT
 * The PostgreSQL backend's write path (store/postgres/pg_write.c): a group
 * of concurrent points-only log-batches goes to PostgreSQL in one pipeline;
 * an op whose run is missing or deleted fails alone there; a statement that
 * PostgreSQL refuses sends the group the ordinary way (one savepoint per
 * op), where only that op fails; points stored already are skipped
 * either way. Each case makes its group
 * deterministically: another session holds the run's row, the first
 * writer waits on it while the others queue behind it, and when the row is
 * let go they are written as one group. */
#include "../test.h"
#include "fixtures.h"
#include "base/sbuf.h"
#include "store/metrics.h"
#include "store/postgres/pg_int.h"
#include "store/store.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#define NWRITERS 7

static struct store *open_store(void)
{
    struct store_opts o = STORE_OPTS_INIT;
    o.default_artifact_root = "/artifacts";
    o.group_commit = 1;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri("write");
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    free(uri);
    return s;
}

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        FAIL_AT("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One points-only log-batch: three points of key into run_id. */
struct writer {
    struct store *s;
    const char *run_id;
    const char *key;
    int rc;
    struct ferr err;
};

static void *write_points(void *p)
{
    struct writer *w = p;
    struct metric_list m = {0};
    for (int i = 0; i < 3; i++)
        metric_list_add(&m, w->key, i * 1.5, 100 + i, i);
    w->err = (struct ferr)FERR_INIT;
    w->rc = store_log_batch(w->s, w->run_id, &m, NULL, NULL, &w->err);
    metric_list_release(&m);
    return NULL;
}

/* Writes first (which waits on the run's row, held by another session)
 * and then the others, queued behind it, and lets the row go: the others
 * are one group. */
static void write_as_group(const char *uri, const char *held_run, struct writer *first,
                           struct writer *w, int n)
{
    PGconn *hold = PQconnectdb(uri);
    ASSERT(PQstatus(hold) == CONNECTION_OK);
    exec_ok(hold, "BEGIN");
    struct sbuf sql = SBUF_INIT;
    sbuf_addf(&sql, "SELECT 1 FROM runs WHERE run_uuid = '%s' FOR UPDATE", held_run);
    exec_ok(hold, sql.buf);
    sbuf_release(&sql);
    pthread_t t0, t[NWRITERS];
    ASSERT(pthread_create(&t0, NULL, write_points, first) == 0);
    sleep_ms(150); /* the first one is the leader now, waiting on the row */
    for (int i = 0; i < n; i++)
        ASSERT(pthread_create(&t[i], NULL, write_points, &w[i]) == 0);
    sleep_ms(300); /* every other one queued */
    exec_ok(hold, "COMMIT");
    PQfinish(hold);
    pthread_join(t0, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    ASSERT_OK(first->rc, &first->err);
}

/* The first cell of sql's result on uri's database. */
static char *cell(const char *uri, const char *sql)
{
    PGconn *c = PQconnectdb(uri);
    ASSERT(PQstatus(c) == CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        FAIL_AT("%s: %s", sql, PQerrorMessage(c));
    char *v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return v;
}

static size_t history_len(struct store *s, const char *run_id, const char *key)
{
    struct metric_list h = {0};
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_get_metric_history(s, run_id, key, 0, NULL, &h, NULL, &err), &err);
    size_t n = h.n;
    metric_list_release(&h);
    return n;
}

PG_TEST(pg_write_piped_group)
{
    struct store *s = open_store();
    struct pg *pg = (struct pg *)s;
    char *uri = test_store_uri("write");
    struct ferr err = FERR_INIT;
    char *eid = NULL;
    ASSERT_OK(store_create_experiment(s, "piped", NULL, NULL, &eid, &err), &err);
    char *live = fixture_new_run(s, eid, "r", 1), *gone = fixture_new_run(s, eid, "r", 1);
    ASSERT_OK(store_delete_run(s, gone, &err), &err);
    const char *missing = "0123456789abcdef0123456789abcdef";

    /* 1. Seven in one pipeline: five land, a missing and a deleted run
     *    fail alone, with the errors the ordinary way gives. */
    struct writer first = {s, live, "first", 0, FERR_INIT};
    struct writer w[NWRITERS] = {
        {s, live, "a", 0, FERR_INIT},    {s, missing, "b", 0, FERR_INIT},
        {s, live, "c", 0, FERR_INIT},    {s, gone, "d", 0, FERR_INIT},
        {s, live, "e", 0, FERR_INIT},    {s, live, "f", 0, FERR_INIT},
        {s, live, "f2", 0, FERR_INIT},
    };
    unsigned long piped = pg->piped_groups, fallbacks = pg->piped_fallbacks;
    write_as_group(uri, live, &first, w, NWRITERS);
    ASSERT_INT_EQ(pg->piped_groups, piped + 1);
    ASSERT_INT_EQ(pg->piped_fallbacks, fallbacks);
    for (int i = 0; i < NWRITERS; i++) {
        if (i == 1) {
            ASSERT(w[i].rc != 0);
            ASSERT_INT_EQ(w[i].err.code, FERR_RESOURCE_DOES_NOT_EXIST);
        } else if (i == 3) {
            ASSERT(w[i].rc != 0);
            ASSERT_INT_EQ(w[i].err.code, FERR_INVALID_PARAMETER_VALUE);
            ASSERT_CONTAINS(w[i].err.msg, "must be in the 'active' state");
        } else {
            ASSERT_OK(w[i].rc, &w[i].err);
        }
    }
    ASSERT_INT_EQ(history_len(s, live, "a"), 3);
    ASSERT_INT_EQ(history_len(s, live, "f"), 3);
    char *deleted_points = cell(uri, "SELECT count(*) FROM metrics m JOIN runs r "
                                             "ON r.id = m.run WHERE r.lifecycle_stage = 'deleted'");
    ASSERT_STR_EQ(deleted_points, "0");
    free(deleted_points);

    /* 2. A key PostgreSQL refuses (not UTF-8) fails its statement, so the
     *    pipeline commits nothing; the group goes the ordinary way, where
     *    that op alone fails and the rest land. */
    struct writer first2 = {s, live, "first2", 0, FERR_INIT};
    struct writer w2[3] = {
        {s, live, "g", 0, FERR_INIT},
        {s, live, "bad\xff", 0, FERR_INIT},
        {s, live, "h", 0, FERR_INIT},
    };
    piped = pg->piped_groups;
    write_as_group(uri, live, &first2, w2, 3);
    ASSERT_INT_EQ(pg->piped_groups, piped + 1);
    ASSERT_INT_EQ(pg->piped_fallbacks, fallbacks + 1);
    ASSERT_OK(w2[0].rc, &w2[0].err);
    ASSERT(w2[1].rc != 0);
    ASSERT_INT_EQ(w2[1].err.code, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(w2[2].rc, &w2[2].err);
    ASSERT_INT_EQ(history_len(s, live, "g"), 3);
    ASSERT_INT_EQ(history_len(s, live, "h"), 3);

    struct run r;
    ASSERT_OK(store_get_run(s, live, &r, &err), &err);
    ASSERT_INT_EQ(r.metrics.n, 9); /* first a c e f f2 first2 g h */
    run_release(&r);

    /* 3. Points stored already: alone, the fast statement (no ON CONFLICT)
     *    fails and the full one skips them; in a group, the pipeline
     *    fails and the ordinary way skips them. Stored once either way. */
    struct writer again = {s, live, "a", 0, FERR_INIT};
    write_points(&again);
    ASSERT_OK(again.rc, &again.err);
    ASSERT_INT_EQ(history_len(s, live, "a"), 3);
    struct writer first3 = {s, live, "first3", 0, FERR_INIT};
    struct writer w3[2] = {{s, live, "c", 0, FERR_INIT}, {s, live, "i", 0, FERR_INIT}};
    piped = pg->piped_groups;
    fallbacks = pg->piped_fallbacks;
    write_as_group(uri, live, &first3, w3, 2);
    ASSERT_INT_EQ(pg->piped_groups, piped + 1);
    ASSERT_INT_EQ(pg->piped_fallbacks, fallbacks + 1);
    ASSERT_OK(w3[0].rc, &w3[0].err);
    ASSERT_OK(w3[1].rc, &w3[1].err);
    ASSERT_INT_EQ(history_len(s, live, "c"), 3);
    ASSERT_INT_EQ(history_len(s, live, "i"), 3);
    free(live);
    free(gone);
    free(eid);
    free(uri);
    store_close(s);
}
