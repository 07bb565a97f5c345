/* SPDX-License-Identifier: MIT
 * The PostgreSQL prediction log's own layout, through its ops table (the
 * generic behaviour is tests/unit/store/predictions_test.c's, on both
 * backends): a leaf partition per deployment and UTC day, made on demand,
 * also by two replicas at once; retried batches logged once; labels by id
 * and by caller id with their history; dirty hours and their generations;
 * retention dropping leaves with their days' dictionary and history.
 * FERRY_PLOG_BENCH=N measures put and label of N rows (1,000 a batch). */
#include "../test.h"
#include "base/sbuf.h"
#include "base/ftime.h"
#include "domain/prediction.h"
#include "store/backend.h"
#include "store/predictions.h"
#include "store/store.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#define DAY 86400000LL

static struct store *open_uri(const char *uri)
{
    struct store_opts o = STORE_OPTS_INIT;
    o.default_artifact_root = "/artifacts";
    o.group_commit = 1;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    ASSERT(s->predictions != NULL);
    return s;
}

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

/* A UUIDv7-shaped rid of ms, its other bits from seq. */
static void make_rid(int64_t ms, uint64_t seq, unsigned char rid[16])
{
    for (int i = 5; i >= 0; i--, ms >>= 8)
        rid[i] = (unsigned char)(ms & 0xff);
    rid[6] = 0x70;
    rid[7] = 0;
    rid[8] = 0x80;
    for (int i = 15; i >= 9; i--, seq >>= 8)
        rid[i] = (unsigned char)(seq & 0xff);
}

static const struct pred_target target_a = {(char *)"dep", 3, (char *)"m", 1, 0,
                                            (char *)"[\"x\",\"y\"]", (char *)"[\"0\",\"1\"]",
                                            (char *)"classification"};
static const struct pred_target target_b = {(char *)"dep", 3, (char *)"m", 2, 1,
                                            (char *)"[\"x\",\"y\"]", (char *)"[\"0\",\"1\"]",
                                            (char *)"classification"};

/* Row i of a request at ms (rid from seq), with two inputs and outputs. */
static void make_row(struct pred_row *r, const struct pred_target *t, int64_t ms, uint64_t seq,
                     uint32_t row, const char *caller)
{
    memset(r, 0, sizeof(*r));
    make_rid(ms, seq, r->rid);
    r->row = row;
    r->nrows = row + 1;
    r->time_ms = ms;
    r->target = *t;
    r->caller_id = (char *)caller;
    r->tags = (char *)"region=eu";
    r->latency_us = 1234;
    r->status = 200;
    struct sbuf in = SBUF_INIT, out = SBUF_INIT;
    pred_enc_count(&in, 2);
    pred_enc_number(&in, (double)seq);
    pred_enc_string(&in, "a\"b\\c", 5);
    struct pred_value p = {PV_STRING, 0, "1", 1, 0};
    double proba[2] = {0.25, 0.75};
    pred_outputs_encode(&out, &p, 1, proba, 2);
    r->inputs = (unsigned char *)sbuf_detach(&in, &r->ninputs);
    r->outputs = (unsigned char *)sbuf_detach(&out, &r->noutputs);
}

static void free_rows(struct pred_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].inputs);
        free(rows[i].outputs);
    }
    free(rows);
}

static int count_row(void *arg, const struct pred_row *r, struct ferr *err)
{
    (void)err;
    int64_t *n = arg;
    struct pred_outputs o;
    ASSERT(pred_outputs_decode(r->outputs, r->noutputs, &o) == 0);
    ASSERT_INT_EQ(o.proba_n, 2);
    (*n)++;
    return 0;
}

static int64_t scan_count(struct store *s, const char *dep, int64_t a, int64_t b)
{
    struct ferr err = FERR_INIT;
    int64_t n = 0;
    ASSERT_OK(s->predictions->scan(s, dep, a, b, count_row, &n, &err), &err);
    return n;
}

PG_TEST(pg_plog_partitions_made_on_demand_and_batches_logged_once)
{
    char *uri = test_store_uri("plog_put");
    struct store *s = open_uri(uri);
    struct ferr err = FERR_INIT;
    int64_t day0 = 20000 * DAY; /* 2024-10-04 */
    size_t n = 1500;
    struct pred_row *rows = calloc(n, sizeof(*rows));
    for (size_t i = 0; i < n; i++) /* two days, two targets */
        make_row(&rows[i], i % 3 ? &target_a : &target_b, day0 + (int64_t)i * 100000, i, 0,
                 i == 7 ? "caller-7" : NULL);
    ASSERT_OK(s->predictions->put(s, rows, n, &err), &err);
    ASSERT_OK(s->predictions->put(s, rows, n, &err), &err); /* a retry: logged once */
    assert_cell(uri, "SELECT count(*) FROM pred_rows", "1500");
    assert_cell(uri, "SELECT count(*) FROM pred_partitions", "2");
    assert_cell(uri, "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i "
                     "JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname LIKE 'pred_rows_%\\_%'",
                "pred_rows_1_20241004,pred_rows_1_20241005");
    assert_cell(uri, "SELECT count(*) FROM pred_targets", "4"); /* 2 targets x 2 days */
    assert_cell(uri, "SELECT ferry_rid_ms(ferry_rid_min(1725151982678))", "1725151982678");
    assert_cell(uri, "SELECT ferry_rid_min(1725151982678)", "0191ab12-3456-0000-0000-000000000000");
    ASSERT_INT_EQ(scan_count(s, "dep", 0, 0), 1500);
    ASSERT_INT_EQ(scan_count(s, "dep", day0, day0 + DAY), 864);
    ASSERT_INT_EQ(scan_count(s, "other", 0, 0), 0);

    /* A search, page by page, by target. */
    struct prediction_query q = {"dep", "m/2", 0, 0, -1, -1, 0, 0, NULL};
    struct pred_row_list l = {0};
    ASSERT_OK(s->predictions->search(s, &q, NULL, 0, 100, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 100);
    ASSERT(!memcmp(l.v[0].rid, rows[0].rid, 16));
    ASSERT_INT_EQ(l.v[0].target.version, 2);
    ASSERT_INT_EQ(l.v[0].target.shadow, 1);
    ASSERT_STR_EQ(l.v[0].target.deployment, "dep");
    ASSERT_STR_EQ(l.v[0].tags, "region=eu");
    ASSERT_INT_EQ(l.v[0].ninputs, rows[0].ninputs);
    ASSERT(!memcmp(l.v[0].inputs, rows[0].inputs, rows[0].ninputs));
    unsigned char after[16];
    memcpy(after, l.v[99].rid, 16);
    pred_row_list_release(&l);
    memset(&l, 0, sizeof(l));
    /* after the shadow's row: its position is row * 2 + 1 */
    ASSERT_OK(s->predictions->search(s, &q, after, 1, 1000, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 400);
    ASSERT(!memcmp(l.v[0].rid, rows[300].rid, 16));
    pred_row_list_release(&l);

    /* One row by id and by caller id. */
    struct pred_row one;
    struct label_change_list h = {0};
    ASSERT_OK(s->predictions->get(s, NULL, rows[7].rid, 0, NULL, &one, &h, &err), &err);
    ASSERT_STR_EQ(one.caller_id, "caller-7");
    ASSERT_INT_EQ(h.n, 0);
    pred_row_release(&one);
    free(h.v);
    ASSERT_OK(s->predictions->get(s, "dep", NULL, 0, "caller-7", &one, NULL, &err), &err);
    ASSERT(!memcmp(one.rid, rows[7].rid, 16));
    pred_row_release(&one);
    ASSERT_FAILS(s->predictions->get(s, "dep", NULL, 0, "nobody", &one, NULL, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    free_rows(rows, n);
    store_close(s);
    free(uri);
}

PG_TEST(pg_plog_labels_history_dirty_hours_and_retention)
{
    char *uri = test_store_uri("plog_label");
    struct store *s = open_uri(uri);
    struct ferr err = FERR_INIT;
    int64_t day0 = 20000 * DAY;
    struct pred_row rows[4];
    make_row(&rows[0], &target_a, day0 + 1000, 1, 0, "c1");
    make_row(&rows[1], &target_a, day0 + 2000, 2, 0, "c1"); /* a retry: same caller id */
    make_row(&rows[2], &target_a, day0 + 2 * DAY, 3, 0, NULL);
    make_row(&rows[3], &target_a, day0 + 2 * DAY, 3, 1, NULL);
    ASSERT_OK(s->predictions->put(s, rows, 4, &err), &err);

    struct pred_dirty_hour *dh = NULL;
    size_t ndh = 0;
    ASSERT_OK(s->predictions->dirty(s, "dep", 0, 0, &dh, &ndh, &err), &err);
    ASSERT_INT_EQ(ndh, 2);
    ASSERT_INT_EQ(dh[0].hour_ms, day0);
    struct pred_dirty_hour first = dh[0];
    free(dh);

    struct feedback_label labels[5] = {{"x", "1", 5}, {"c1", "0", 6}, {"x", "0", 7},
                                       {"x", "1", 8}, {"nope", "1", 9}};
    unsigned char rid[5][16], is_rid[5] = {1, 0, 1, 1, 0}, found[5] = {0};
    uint32_t row[5] = {0, 0, 0, 1, 0};
    memcpy(rid[0], rows[0].rid, 16);
    memcpy(rid[2], rows[0].rid, 16);
    memcpy(rid[3], rows[3].rid, 16);
    ASSERT_OK(s->predictions->label(s, NULL, labels, (const unsigned char(*)[16])rid, row, is_rid,
                                    5, "alice", 99, found, &err),
              &err);
    ASSERT_INT_EQ(found[0] + found[1] + found[2] + found[3], 4);
    ASSERT_INT_EQ(found[4], 0);
    struct pred_row one;
    struct label_change_list h = {0};
    ASSERT_OK(s->predictions->get(s, "dep", rows[0].rid, 0, NULL, &one, &h, &err), &err);
    ASSERT_STR_EQ(one.label, "0"); /* the batch's last for it */
    ASSERT_INT_EQ(one.label_ms, 7);
    ASSERT_INT_EQ(h.n, 2);
    ASSERT_STR_EQ(h.v[0].label, "1");
    ASSERT(h.v[0].previous == NULL);
    ASSERT_STR_EQ(h.v[1].previous, "1");
    ASSERT_STR_EQ(h.v[1].user_id, "alice");
    pred_row_release(&one);
    for (size_t i = 0; i < h.n; i++) {
        free(h.v[i].label);
        free(h.v[i].previous);
        free(h.v[i].user_id);
    }
    free(h.v);
    /* The caller's id named its latest request. */
    assert_cell(uri,
                "SELECT p.time_ms - 20000::bigint * 86400000 FROM pred_rows p "
                "JOIN pred_label_changes c ON (c.dep, c.rid, c.ix) = (p.dep, p.rid, p.ix) "
                "WHERE c.time_ms = 6",
                "2000");
    assert_cell(uri, "SELECT count(*) FROM pred_label_changes", "4");

    /* A stale generation replaces nothing; the current one clears. */
    struct pred_hour ph = {0};
    ph.hour_ms = day0;
    ph.target = target_a;
    ph.slice_key = (char *)"";
    ph.slice_value = (char *)"";
    ph.count = 2;
    ph.latency = (char *)"h";
    ph.stats = (char *)"{}";
    ASSERT_OK(s->predictions->hour_replace(s, "dep", &first, &ph, 1, &err), &err);
    assert_cell(uri, "SELECT count(*) FROM pred_hours", "0");
    ASSERT_OK(s->predictions->dirty(s, "dep", day0, day0 + 3600000, &dh, &ndh, &err), &err);
    ASSERT_INT_EQ(ndh, 1);
    ASSERT(dh[0].gen > first.gen);
    ASSERT_OK(s->predictions->hour_replace(s, "dep", &dh[0], &ph, 1, &err), &err);
    free(dh);
    struct pred_hour_list hl = {0};
    ASSERT_OK(s->predictions->hours(s, "dep", 0, 0, &hl, &err), &err);
    ASSERT_INT_EQ(hl.n, 1);
    ASSERT_INT_EQ(hl.v[0].count, 2);
    ASSERT_STR_EQ(hl.v[0].target.columns, "[\"x\",\"y\"]");
    for (size_t i = 0; i < hl.n; i++) {
        pred_target_release(&hl.v[i].target);
        free(hl.v[i].slice_key);
        free(hl.v[i].slice_value);
        free(hl.v[i].latency);
        free(hl.v[i].stats);
    }
    free(hl.v);

    /* Retention: the first day's leaf and its rows elsewhere go. */
    int64_t dropped = -1;
    ASSERT_OK(s->predictions->drop_before(s, NULL, day0 + DAY + 5, &dropped, &err), &err);
    ASSERT_INT_EQ(dropped, 1);
    assert_cell(uri, "SELECT count(*) FROM pred_rows", "2");
    assert_cell(uri, "SELECT count(*) FROM pred_label_changes", "1");
    assert_cell(uri, "SELECT count(*) FROM pred_hours", "0");
    assert_cell(uri, "SELECT count(*) FROM pred_targets", "1");
    assert_cell(uri, "SELECT to_regclass('pred_rows_1_20241004') IS NULL", "t");
    char **names = NULL;
    size_t nn = 0;
    ASSERT_OK(s->predictions->deployments(s, &names, &nn, &err), &err);
    ASSERT_INT_EQ(nn, 1);
    ASSERT_STR_EQ(names[0], "dep");
    free(names[0]);
    free(names);
    /* Rows of a dropped day arriving late make it again. */
    ASSERT_OK(s->predictions->put(s, rows, 1, &err), &err);
    assert_cell(uri, "SELECT count(*) FROM pred_rows", "3");
    for (int i = 0; i < 4; i++) {
        free(rows[i].inputs);
        free(rows[i].outputs);
    }
    store_close(s);
    free(uri);
}

struct replica {
    const char *uri;
    int k;
    int ok;
};

static void *replica_put(void *arg)
{
    struct replica *r = arg;
    struct store *s = open_uri(r->uri);
    struct ferr err = FERR_INIT;
    struct pred_row rows[50];
    for (int i = 0; i < 50; i++) /* the same new deployment and day at once */
        make_row(&rows[i], &target_a, 20100 * DAY + i, (uint64_t)(r->k * 1000 + i), 0, NULL);
    r->ok = !s->predictions->put(s, rows, 50, &err);
    if (!r->ok)
        fprintf(stderr, "    put: %s\n", err.msg);
    for (int i = 0; i < 50; i++) {
        free(rows[i].inputs);
        free(rows[i].outputs);
    }
    store_close(s);
    return NULL;
}

PG_TEST(pg_plog_replicas_make_one_partition_together)
{
    char *uri = test_store_uri("plog_race");
    store_close(open_uri(uri));
    struct replica r[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (struct replica){uri, i, 0};
        ASSERT(pthread_create(&t[i], NULL, replica_put, &r[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        ASSERT(pthread_join(t[i], NULL) == 0);
        ASSERT(r[i].ok);
    }
    assert_cell(uri, "SELECT count(*) FROM pred_rows", "200");
    assert_cell(uri, "SELECT count(*) FROM pred_partitions", "1");
    assert_cell(uri, "SELECT count(*) FROM pred_targets", "1");
    free(uri);
}

struct labeler {
    const char *uri;
    const struct pred_row *rows;
    size_t n;
    const char *label;
    int ok;
};

static void *replica_label(void *arg)
{
    struct labeler *l = arg;
    struct store *s = open_uri(l->uri);
    struct ferr err = FERR_INIT;
    struct feedback_label *labels = calloc(l->n, sizeof(*labels));
    unsigned char(*rid)[16] = calloc(l->n, 16);
    uint32_t *row = calloc(l->n, sizeof(*row));
    unsigned char *is_rid = calloc(l->n, 1), *found = calloc(l->n, 1);
    for (size_t i = 0; i < l->n; i++) {
        labels[i] = (struct feedback_label){"x", l->label, 0};
        memcpy(rid[i], l->rows[l->n - 1 - i].rid, 16); /* the other replica's reverse order */
        is_rid[i] = 1;
    }
    if (l->label[0] == 'b') /* one of them in the rows' order */
        for (size_t i = 0; i < l->n; i++)
            memcpy(rid[i], l->rows[i].rid, 16);
    l->ok = !s->predictions->label(s, "dep", labels, (const unsigned char(*)[16])rid, row, is_rid,
                                   l->n, l->label, 7, found, &err);
    if (!l->ok)
        fprintf(stderr, "    label: %s\n", err.msg);
    for (size_t i = 0; l->ok && i < l->n; i++)
        l->ok = found[i];
    free(labels);
    free(rid);
    free(row);
    free(is_rid);
    free(found);
    store_close(s);
    return NULL;
}

PG_TEST(pg_plog_replicas_label_the_same_rows_together)
{
    char *uri = test_store_uri("plog_labels_race");
    struct store *s = open_uri(uri);
    struct ferr err = FERR_INIT;
    size_t n = 300;
    struct pred_row *rows = calloc(n, sizeof(*rows));
    for (size_t i = 0; i < n; i++)
        make_row(&rows[i], &target_a, 20100 * DAY + (int64_t)i, i, 0, NULL);
    ASSERT_OK(s->predictions->put(s, rows, n, &err), &err);
    store_close(s);
    struct labeler l[2] = {{uri, rows, n, "a", 0}, {uri, rows, n, "b", 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ASSERT(pthread_create(&t[i], NULL, replica_label, &l[i]) == 0);
    for (int i = 0; i < 2; i++) {
        ASSERT(pthread_join(t[i], NULL) == 0);
        ASSERT(l[i].ok);
    }
    /* Every row has one of the two (its newest change), its history both,
     * the older the newer's previous. */
    assert_cell(uri,
                "SELECT count(*) FROM pred_rows p WHERE (SELECT h.label FROM pred_label_changes h "
                "WHERE h.rid = p.rid AND h.ix = p.ix ORDER BY h.seq DESC LIMIT 1) IN ('a', 'b')",
                "300");
    assert_cell(uri, "SELECT count(*) FROM pred_label_changes", "600");
    free_rows(rows, n);
    free(uri);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* FERRY_PLOG_BENCH=N: put N rows and label them, 1,000 a call. */
PG_TEST(pg_plog_bench)
{
    const char *env = getenv("FERRY_PLOG_BENCH");
    if (!env)
        return;
    size_t n = (size_t)strtoull(env, NULL, 10);
    char *uri = test_store_uri("plog_bench");
    struct store *s = open_uri(uri);
    struct ferr err = FERR_INIT;
    int64_t t0 = ftime_now_ms() - 3600000;
    struct pred_row *rows = calloc(n, sizeof(*rows));
    for (size_t i = 0; i < n; i++)
        make_row(&rows[i], &target_a, t0 + (int64_t)(i / 10), i, 0, NULL);
    double a = now_s();
    for (size_t i = 0; i < n; i += 1000)
        ASSERT_OK(s->predictions->put(s, rows + i, n - i < 1000 ? n - i : 1000, &err), &err);
    double b = now_s();
    fprintf(stderr, "    put: %zu rows in %.3f s: %.0f rows/s\n", n, b - a, (double)n / (b - a));
    char *logged = psql(uri, "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_inherits i JOIN "
                             "pg_class c ON c.oid = i.inhrelid WHERE c.relkind = 'r'");
    fprintf(stderr, "    bytes/row as logged (heap and indexes): %.1f\n",
            strtod(logged, NULL) / (double)n);
    free(logged);
    struct feedback_label *labels = calloc(1000, sizeof(*labels));
    unsigned char(*rid)[16] = calloc(1000, 16);
    uint32_t *row = calloc(1000, sizeof(*row));
    unsigned char *is_rid = calloc(1000, 1), *found = calloc(1000, 1);
    a = now_s();
    for (size_t i = 0; i < n; i += 1000) {
        size_t k = n - i < 1000 ? n - i : 1000;
        for (size_t j = 0; j < k; j++) {
            size_t at = i + (j * 7919) % k; /* out of order */
            labels[j] = (struct feedback_label){"x", at % 2 ? "1" : "0", 0};
            memcpy(rid[j], rows[at].rid, 16);
            is_rid[j] = 1;
            found[j] = 0;
        }
        ASSERT_OK(s->predictions->label(s, "dep", labels, (const unsigned char(*)[16])rid, row,
                                        is_rid, k, "bench", 1, found, &err),
                  &err);
    }
    b = now_s();
    fprintf(stderr, "    label: %zu labels in %.3f s: %.0f labels/s\n", n, b - a,
            (double)n / (b - a));
    a = now_s();
    int64_t got = scan_count(s, "dep", 0, 0);
    b = now_s();
    fprintf(stderr, "    scan: %" PRId64 " rows in %.3f s\n", got, b - a);
    char *size = psql(uri, "SELECT pg_total_relation_size('pred_rows_1_' || to_char(now() AT "
                           "TIME ZONE 'UTC' - interval '1 hour', 'YYYYMMDD'))");
    fprintf(stderr, "    bytes/row once labeled (before vacuum): %.1f\n",
            strtod(size, NULL) / (double)n);
    free(size);
    free(labels);
    free(rid);
    free(row);
    free(is_rid);
    free(found);
    free_rows(rows, n);
    store_close(s);
    free(uri);
}
