/* SPDX-License-Identifier: MIT
 * store/predictions on both backends: rows logged and read back in time
 * order with page tokens across days, retried batches logged once,
 * labels (by ferry's id, a row's id and a caller's id) replacing each
 * other with both kept in the history, unknown and malformed ids reported
 * not failed, hourly aggregates equal to a recomputation from the rows,
 * retention dropping old days only, and concurrent writers. The SQLite
 * layout (a file per deployment and day, never the tracking file's lock)
 * is checked at the end. */
#include "../test.h"
#include "base/ftime.h"
#include "base/xalloc.h"
#include "domain/prediction_stats.h"
#include "base/yaml_json.h"
#include "store/backend.h"
#include "store/deployments.h"
#include "store/registry.h"
#include "store/predictions.h"
#include "store/store.h"

#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY  86400000LL
#define HOUR 3600000LL

/* 2026-12-01T00:00:00Z */
static const int64_t T0 = 1796083200000LL;

static struct store *open_plog_store(const char *name)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri(name);
    o.default_artifact_root = "/artifacts";
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    free(uri);
    return s;
}

/* A UUIDv7 of time ms; seq makes it unique within the ms. */
static void make_rid(int64_t ms, uint64_t seq, unsigned char rid[PRED_RID_BYTES])
{
    for (int i = 0; i < 6; i++)
        rid[i] = (unsigned char)((uint64_t)ms >> (40 - 8 * i));
    for (int i = 6; i < 8; i++)
        rid[i] = 0;
    for (int i = 8; i < 16; i++)
        rid[i] = (unsigned char)(seq >> (8 * (15 - i)));
    rid[6] = (unsigned char)(0x70 | (rid[6] & 0x0f));
    rid[8] = (unsigned char)(0x80 | (rid[8] & 0x3f));
}

static void rid_id(const unsigned char *rid, int row, char *out, size_t n)
{
    char t[37];
    pred_rid_text(rid, t);
    if (row < 0)
        snprintf(out, n, "%s", t);
    else
        snprintf(out, n, "%s/%d", t, row);
}

/* A binary classifier's row: prediction 0/1 from p, probabilities [1-p, p]. */
static void fill_row(struct pred_row *r, const char *dep, int version, int64_t ms, uint64_t seq,
                     uint32_t row, uint32_t nrows, double p, const char *tags, const char *caller)
{
    memset(r, 0, sizeof(*r));
    make_rid(ms, seq, r->rid);
    r->row = row;
    r->nrows = nrows;
    r->time_ms = ms;
    r->target.deployment = xstrdup(dep);
    r->target.revision = 1;
    r->target.model = xstrdup("clf");
    r->target.version = version;
    r->target.columns = xstrdup("[\"x\"]");
    r->target.classes = xstrdup("[0, 1]");
    r->target.task = xstrdup("classification");
    r->caller_id = xstrdup_or_null(caller);
    r->tags = xstrdup_or_null(tags);
    r->latency_us = (uint32_t)(1000 + seq % 5000);
    r->status = 200;
    struct sbuf b = SBUF_INIT;
    pred_enc_count(&b, 1);
    pred_enc_number(&b, p * 10);
    r->ninputs = b.len;
    r->inputs = (unsigned char *)sbuf_detach(&b, NULL);
    struct pred_value v = {PV_NUMBER, p > 0.5, NULL, 0, 0};
    double proba[2] = {1 - p, p};
    pred_outputs_encode(&b, &v, 1, proba, 2);
    r->noutputs = b.len;
    r->outputs = (unsigned char *)sbuf_detach(&b, NULL);
}

static void rows_free(struct pred_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pred_row_release(&rows[i]);
    free(rows);
}

static int count_rows(void *arg, const struct pred_row *r, struct ferr *err)
{
    (void)r;
    (void)err;
    (*(size_t *)arg)++;
    return 0;
}

static size_t count_all(struct store *s, const char *dep)
{
    struct ferr err = FERR_INIT;
    size_t n = 0;
    ASSERT_OK(store_predictions_scan(s, dep, 0, 0, count_rows, &n, &err), &err);
    return n;
}

/* A shadow answers the same request (same rid and row) as the answering
 * target: both rows stay, pages step through both, a label names the
 * request's row and labels both. */
STORE_TEST(pred_shadow_rows_share_the_request_id_with_the_answer)
{
    struct store *s = open_plog_store("plogsh");
    struct ferr err = FERR_INIT;
    enum { N = 10 };
    struct pred_row *rows = xcalloc(2 * N, sizeof(*rows));
    for (int i = 0; i < N; i++) {
        fill_row(&rows[2 * i], "shadowed", 1, T0 + i * 1000, (uint64_t)i, 0, 1, 0.8, NULL, NULL);
        fill_row(&rows[2 * i + 1], "shadowed", 2, T0 + i * 1000, (uint64_t)i, 0, 1, 0.2, NULL,
                 NULL);
        rows[2 * i + 1].target.shadow = 1;
    }
    ASSERT_OK(store_predictions_put(s, rows, 2 * N, &err), &err);
    ASSERT_OK(store_predictions_put(s, rows, 2 * N, &err), &err); /* retried: once each */
    ASSERT_INT_EQ(count_all(s, "shadowed"), 2 * N);
    /* pages of 3 through 20 rows: each once, the answer before its shadow */
    struct prediction_query q = {"shadowed", NULL, 0, 0, -1, -1, 0, 3, NULL};
    char *token = NULL;
    size_t seen = 0;
    for (int page = 0; page < 10; page++) {
        struct pred_row_list l;
        ASSERT_OK(store_predictions_search(s, &q, &l, &token, &err), &err);
        for (size_t i = 0; i < l.n; i++, seen++) {
            ASSERT(!memcmp(l.v[i].rid, rows[seen].rid, PRED_RID_BYTES));
            ASSERT_INT_EQ(l.v[i].target.shadow, (int)(seen % 2));
        }
        pred_row_list_release(&l);
        free((char *)q.page_token);
        q.page_token = token;
        if (!token)
            break;
    }
    ASSERT_INT_EQ(seen, 2 * N);
    /* a label by the request's id labels the answer and the shadow */
    char id[64];
    rid_id(rows[4].rid, -1, id, sizeof(id));
    struct feedback_label lab = {id, "1", 0};
    struct feedback_result res;
    ASSERT_OK(store_feedback_put(s, "shadowed", &lab, 1, "u", &res, &err), &err);
    ASSERT_INT_EQ(res.accepted, 1);
    feedback_result_release(&res);
    struct prediction_query lq = {"shadowed", NULL, 0, 0, 1, -1, 0, 100, NULL};
    struct pred_row_list l;
    ASSERT_OK(store_predictions_search(s, &lq, &l, &token, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_INT_EQ(l.v[0].target.shadow, 0);
    ASSERT_INT_EQ(l.v[1].target.shadow, 1);
    ASSERT_STR_EQ(l.v[1].label, "1");
    pred_row_list_release(&l);
    /* get names the answer's row */
    struct pred_row one;
    struct label_change_list hist;
    ASSERT_OK(store_prediction_get(s, "shadowed", id, &one, &hist, &err), &err);
    ASSERT_INT_EQ(one.target.shadow, 0);
    ASSERT_INT_EQ(hist.n, 1);
    pred_row_release(&one);
    label_change_list_release(&hist);
    rows_free(rows, 2 * N);
    store_close(s);
}

/* Labels live beside the rows, not in them: reads merge the two in key
 * order. Requests (an answer and a shadow each) labeled, some relabeled
 * twice, read back by scan and by search in pages of 3 under each labeled
 * filter: every row carries its request's newest label. */
static const char *merge_expected(int i)
{
    return i % 6 == 0 ? "c" : i % 3 == 0 ? "a" : NULL;
}

struct merge_check {
    size_t n;
    int bad;
};

static int merge_row(void *arg, const struct pred_row *r, struct ferr *err)
{
    (void)err;
    struct merge_check *mc = arg;
    int i = (int)((r->time_ms - T0) / 1000);
    const char *want = merge_expected(i);
    if (!want != !r->label || (want && strcmp(want, r->label)) ||
        (want && r->label_ms != T0 + (i % 6 == 0 ? 3 : 1)))
        mc->bad++;
    mc->n++;
    return 0;
}

STORE_TEST(pred_labels_merge_with_rows_in_pages)
{
    struct store *s = open_plog_store("plogmerge");
    struct ferr err = FERR_INIT;
    enum { N = 40 };
    struct pred_row *rows = xcalloc(2 * N, sizeof(*rows));
    for (int i = 0; i < N; i++) {
        fill_row(&rows[2 * i], "merged", 1, T0 + i * 1000, (uint64_t)i, 0, 1, 0.8, NULL, NULL);
        fill_row(&rows[2 * i + 1], "merged", 2, T0 + i * 1000, (uint64_t)i, 0, 1, 0.2, NULL, NULL);
        rows[2 * i + 1].target.shadow = 1;
    }
    ASSERT_OK(store_predictions_put(s, rows, 2 * N, &err), &err);
    static const char *const rounds[3] = {"a", "b", "c"};
    for (int round = 0; round < 3; round++) {
        struct feedback_label labels[N];
        char ids[N][64];
        size_t n = 0;
        for (int i = 0; i < N; i++) {
            if (i % 3 || (round && i % 6))
                continue;
            rid_id(rows[2 * i].rid, -1, ids[n], sizeof(ids[n]));
            labels[n] = (struct feedback_label){ids[n], rounds[round], T0 + round + 1};
            n++;
        }
        struct feedback_result res;
        ASSERT_OK(store_feedback_put(s, "merged", labels, n, "u", &res, &err), &err);
        ASSERT_INT_EQ(res.accepted, (int64_t)n);
        feedback_result_release(&res);
    }
    struct merge_check mc = {0, 0};
    ASSERT_OK(store_predictions_scan(s, "merged", 0, 0, merge_row, &mc, &err), &err);
    ASSERT_INT_EQ(mc.n, 2 * N);
    ASSERT_INT_EQ(mc.bad, 0);
    static const int filters[3] = {-1, 0, 1};
    static const size_t counts[3] = {2 * N, 2 * N - 28, 28};
    for (int f = 0; f < 3; f++) {
        struct prediction_query q = {"merged", NULL, 0, 0, filters[f], -1, 0, 3, NULL};
        char *token = NULL;
        struct merge_check pc = {0, 0};
        for (int page = 0; page < 100; page++) {
            struct pred_row_list l;
            ASSERT_OK(store_predictions_search(s, &q, &l, &token, &err), &err);
            for (size_t i = 0; i < l.n; i++) {
                (void)merge_row(&pc, &l.v[i], &err);
                if (filters[f] >= 0 && !l.v[i].label != !filters[f])
                    pc.bad++;
            }
            pred_row_list_release(&l);
            free((char *)q.page_token);
            q.page_token = token;
            if (!token)
                break;
        }
        ASSERT_INT_EQ(pc.n, counts[f]);
        ASSERT_INT_EQ(pc.bad, 0);
    }
    /* get: the newest label, the history every change */
    char id[64];
    rid_id(rows[12].rid, -1, id, sizeof(id));
    struct pred_row one;
    struct label_change_list hist;
    ASSERT_OK(store_prediction_get(s, "merged", id, &one, &hist, &err), &err);
    ASSERT_STR_EQ(one.label, "c");
    ASSERT_INT_EQ(hist.n, 3);
    ASSERT_STR_EQ(hist.v[2].previous, "b");
    pred_row_release(&one);
    label_change_list_release(&hist);
    rows_free(rows, 2 * N);
    store_close(s);
}

STORE_TEST(pred_put_search_pages_across_days_and_get)
{
    struct store *s = open_plog_store("plog1");
    struct ferr err = FERR_INIT;
    /* 3 days x 10 requests of 2 rows, written newest day first */
    enum { N = 60 };
    struct pred_row *rows = xcalloc(N, sizeof(*rows));
    size_t k = 0;
    for (int d = 2; d >= 0; d--)
        for (int i = 0; i < 10; i++)
            for (uint32_t r = 0; r < 2; r++)
                fill_row(&rows[k++], "fraud", 1 + (i % 2), T0 + d * DAY + i * 1000, 100 * d + i, r,
                         2, 0.3, NULL, i == 3 && d == 1 ? "call-3" : NULL);
    ASSERT_OK(store_predictions_put(s, rows, N, &err), &err);
    /* a retried batch logs once */
    ASSERT_OK(store_predictions_put(s, rows, N, &err), &err);
    ASSERT_INT_EQ(count_all(s, "fraud"), N);

    /* pages of 7, in time order, across the days */
    struct prediction_query q = {"fraud", NULL, 0, 0, -1, -1, 0, 7, NULL};
    char *token = NULL;
    size_t seen = 0, pages = 0;
    unsigned char last[PRED_RID_BYTES] = {0};
    uint32_t last_row = 0;
    do {
        struct pred_row_list l;
        char *next;
        q.page_token = token;
        ASSERT_OK(store_predictions_search(s, &q, &l, &next, &err), &err);
        for (size_t i = 0; i < l.n; i++) {
            int c = memcmp(l.v[i].rid, last, 16);
            ASSERT(c > 0 || (c == 0 && l.v[i].row > last_row));
            memcpy(last, l.v[i].rid, 16);
            last_row = l.v[i].row;
            ASSERT_STR_EQ(l.v[i].target.deployment, "fraud");
            ASSERT_INT_EQ(l.v[i].time_ms, pred_rid_time_ms(l.v[i].rid));
        }
        seen += l.n;
        pages++;
        pred_row_list_release(&l);
        free(token);
        token = next;
    } while (token);
    ASSERT_INT_EQ(seen, N);
    ASSERT_INT_EQ(pages, (N + 6) / 7);

    /* filters: one model version, one day */
    struct prediction_query q2 = {"fraud", "clf/2", T0 + DAY, T0 + 2 * DAY, -1, -1, 1, 0, NULL};
    struct pred_row_list l;
    char *next;
    ASSERT_OK(store_predictions_search(s, &q2, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 10);
    ASSERT(next == NULL);
    for (size_t i = 0; i < l.n; i++)
        ASSERT_INT_EQ(l.v[i].target.version, 2);
    pred_row_list_release(&l);
    q2.status = 2;
    ASSERT_OK(store_predictions_search(s, &q2, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 0);
    pred_row_list_release(&l);

    /* get: by row id, by the bare id (row 0), by a caller id, unknown */
    char id[64];
    rid_id(rows[0].rid, 1, id, sizeof(id));
    struct pred_row got;
    struct label_change_list hist;
    ASSERT_OK(store_prediction_get(s, "fraud", id, &got, &hist, &err), &err);
    ASSERT_INT_EQ(got.row, 1);
    ASSERT(got.ninputs == rows[1].ninputs && !memcmp(got.inputs, rows[1].inputs, got.ninputs));
    ASSERT_INT_EQ(hist.n, 0);
    pred_row_release(&got);
    label_change_list_release(&hist);
    rid_id(rows[0].rid, -1, id, sizeof(id));
    ASSERT_OK(store_prediction_get(s, NULL, id, &got, NULL, &err), &err);
    ASSERT_INT_EQ(got.row, 0);
    pred_row_release(&got);
    ASSERT_OK(store_prediction_get(s, "fraud", "call-3/1", &got, NULL, &err), &err);
    ASSERT_STR_EQ(got.caller_id, "call-3");
    ASSERT_INT_EQ(got.row, 1);
    pred_row_release(&got);
    ASSERT_FAILS(store_prediction_get(s, "fraud", "nope", &got, NULL, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);

    char **names;
    size_t nn;
    ASSERT_OK(store_predictions_deployments(s, &names, &nn, &err), &err);
    ASSERT_INT_EQ(nn, 1);
    ASSERT_STR_EQ(names[0], "fraud");
    free(names[0]);
    free(names);

    rows_free(rows, N);
    store_close(s);
}

STORE_TEST(pred_bad_inputs_are_refused_or_reported)
{
    struct store *s = open_plog_store("plog2");
    struct ferr err = FERR_INIT;
    struct pred_row r;
    fill_row(&r, "fraud", 1, T0, 1, 0, 1, 0.9, NULL, NULL);
    ASSERT_OK(store_predictions_put(s, &r, 1, &err), &err);

    /* rows: a bad deployment, a non-v7 id, a row past nrows, a bad status */
    struct pred_row bad;
    fill_row(&bad, "fraud", 1, T0, 2, 0, 1, 0.9, NULL, NULL);
    free(bad.target.deployment);
    bad.target.deployment = xstrdup("../etc");
    ASSERT_FAILS(store_predictions_put(s, &bad, 1, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    free(bad.target.deployment);
    bad.target.deployment = xstrdup("fraud");
    bad.rid[6] = 0x40;
    ASSERT_FAILS(store_predictions_put(s, &bad, 1, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    bad.rid[6] = 0x70;
    bad.row = 1;
    ASSERT_FAILS(store_predictions_put(s, &bad, 1, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    bad.row = 0;
    bad.status = 42;
    ASSERT_FAILS(store_predictions_put(s, &bad, 1, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    pred_row_release(&bad);

    /* queries: malformed tokens, bad ranges and filters */
    struct prediction_query q = {"fraud", NULL, 0, 0, -1, -1, 0, 0, "bm90IGEgdG9rZW4="};
    struct pred_row_list l;
    char *next;
    ASSERT_FAILS(store_predictions_search(s, &q, &l, &next, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    q.page_token = "!!!";
    ASSERT_FAILS(store_predictions_search(s, &q, &l, &next, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    q.page_token = NULL;
    q.max_results = 10001;
    ASSERT_FAILS(store_predictions_search(s, &q, &l, &next, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    q.max_results = 0;
    q.model = "clf";
    ASSERT_FAILS(store_predictions_search(s, &q, &l, &next, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    q.model = NULL;
    q.start_ms = 5;
    q.end_ms = 5;
    ASSERT_FAILS(store_predictions_search(s, &q, &l, &next, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    q.start_ms = q.end_ms = 0;
    q.deployment = NULL;
    ASSERT_FAILS(store_predictions_search(s, &q, &l, &next, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    /* an unknown deployment is an empty log */
    q.deployment = "other";
    ASSERT_OK(store_predictions_search(s, &q, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 0);
    pred_row_list_release(&l);

    /* malformed feedback ids are reported, not failed */
    char good[64], cut[64], badrow[64];
    rid_id(r.rid, -1, good, sizeof(good));
    memcpy(cut, good, 35);
    cut[35] = '\0';
    rid_id(r.rid, 7, badrow, sizeof(badrow));
    struct feedback_label labels[] = {
        {cut, "1", 0}, {badrow, "1", 0}, {good, "1", 0}, {"zz/x", "0", 0}};
    struct feedback_result res;
    ASSERT_OK(store_feedback_put(s, "fraud", labels, 4, "u", &res, &err), &err);
    ASSERT_INT_EQ(res.accepted, 1);
    ASSERT_INT_EQ(res.nunknown, 3);
    ASSERT_STR_EQ(res.unknown[0], cut);
    ASSERT_STR_EQ(res.unknown[1], badrow);
    ASSERT_STR_EQ(res.unknown[2], "zz/x");
    feedback_result_release(&res);
    struct feedback_label nolabel = {good, NULL, 0};
    ASSERT_FAILS(store_feedback_put(s, "fraud", &nolabel, 1, "u", &res, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    struct feedback_label *many = xcalloc(10001, sizeof(*many));
    for (size_t i = 0; i < 10001; i++)
        many[i] = (struct feedback_label){good, "1", 0};
    ASSERT_FAILS(store_feedback_put(s, "fraud", many, 10001, "u", &res, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    free(many);

    /* a corrupt blob reads back, marked */
    struct pred_row c;
    fill_row(&c, "fraud", 1, T0 + 5, 9, 0, 1, 0.9, NULL, NULL);
    c.outputs[0] = 0x0e;
    ASSERT_OK(store_predictions_put(s, &c, 1, &err), &err);
    rid_id(c.rid, -1, good, sizeof(good));
    struct pred_row got;
    ASSERT_OK(store_prediction_get(s, "fraud", good, &got, NULL, &err), &err);
    json_t *j = pred_row_json(&got);
    ASSERT(json_is_true(json_object_get(j, "corrupt")));
    json_decref(j);
    pred_row_release(&got);
    pred_row_release(&c);
    pred_row_release(&r);
    store_close(s);
}

STORE_TEST(pred_labels_replace_keep_history_and_report_unknown)
{
    struct store *s = open_plog_store("plog3");
    struct ferr err = FERR_INIT;
    enum { N = 6 };
    struct pred_row rows[N];
    /* request A: 1 row (caller "c-a"); request B: 3 rows; C on the next day (other dep) */
    fill_row(&rows[0], "fraud", 1, T0 + 10, 1, 0, 1, 0.8, NULL, "c-a");
    for (uint32_t i = 0; i < 3; i++)
        fill_row(&rows[1 + i], "fraud", 1, T0 + 20, 2, i, 3, 0.2, NULL, "c-b");
    fill_row(&rows[4], "spam", 1, T0 + DAY + 5, 3, 0, 1, 0.6, NULL, NULL);
    fill_row(&rows[5], "spam", 1, T0 + DAY + 6, 4, 0, 1, 0.6, NULL, "c-a");
    ASSERT_OK(store_predictions_put(s, rows, N, &err), &err);

    char a[64], b2[64], c[64], unknown[64];
    rid_id(rows[0].rid, -1, a, sizeof(a));
    rid_id(rows[1].rid, 2, b2, sizeof(b2));
    rid_id(rows[4].rid, -1, c, sizeof(c));
    unsigned char ur[16];
    make_rid(T0 + 30, 99, ur);
    rid_id(ur, -1, unknown, sizeof(unknown));
    struct feedback_label l1[] = {{a, "1", T0 + 1000},        {b2, "0", 0},
                                  {unknown, "1", 0},          {"c-b/1", "spam", 0},
                                  {"no-such-caller", "1", 0}, {c, "1", 0}};
    struct feedback_result res;
    /* deployment given: the other deployment's row is unknown to it */
    ASSERT_OK(store_feedback_put(s, "fraud", l1, 6, "alice", &res, &err), &err);
    ASSERT_INT_EQ(res.accepted, 3);
    ASSERT_INT_EQ(res.nunknown, 3);
    ASSERT_STR_EQ(res.unknown[0], unknown);
    ASSERT_STR_EQ(res.unknown[1], "no-such-caller");
    ASSERT_STR_EQ(res.unknown[2], c);
    feedback_result_release(&res);
    /* any deployment: found; a second label replaces the first */
    struct feedback_label l2[] = {{c, "0", 0}, {a, "0", T0 + 2000}, {"c-a", "1", 0}};
    ASSERT_OK(store_feedback_put(s, NULL, l2, 3, "bob", &res, &err), &err);
    ASSERT_INT_EQ(res.accepted, 3);
    ASSERT_INT_EQ(res.nunknown, 0);
    feedback_result_release(&res);

    struct pred_row got;
    struct label_change_list h;
    ASSERT_OK(store_prediction_get(s, "fraud", a, &got, &h, &err), &err);
    ASSERT_STR_EQ(got.label, "0");
    ASSERT_INT_EQ(got.label_ms, T0 + 2000);
    ASSERT_INT_EQ(h.n, 2);
    ASSERT_STR_EQ(h.v[0].label, "1");
    ASSERT(h.v[0].previous == NULL);
    ASSERT_STR_EQ(h.v[0].user_id, "alice");
    ASSERT_INT_EQ(h.v[0].time_ms, T0 + 1000);
    ASSERT_STR_EQ(h.v[1].label, "0");
    ASSERT_STR_EQ(h.v[1].previous, "1");
    ASSERT_STR_EQ(h.v[1].user_id, "bob");
    pred_row_release(&got);
    label_change_list_release(&h);
    /* "c-a" without a deployment: the newest row with that caller id (spam's) */
    ASSERT_OK(store_prediction_get(s, "spam", "c-a", &got, &h, &err), &err);
    ASSERT_STR_EQ(got.label, "1");
    ASSERT_INT_EQ(h.n, 1);
    pred_row_release(&got);
    label_change_list_release(&h);
    ASSERT_OK(store_prediction_get(s, "fraud", "c-b/1", &got, NULL, &err), &err);
    ASSERT_STR_EQ(got.label, "spam");
    pred_row_release(&got);

    /* labeled filter */
    struct prediction_query q = {"fraud", NULL, 0, 0, 1, -1, 0, 0, NULL};
    struct pred_row_list l;
    char *next;
    ASSERT_OK(store_predictions_search(s, &q, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 3);
    pred_row_list_release(&l);
    q.labeled = 0;
    ASSERT_OK(store_predictions_search(s, &q, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    pred_row_list_release(&l);
    for (size_t i = 0; i < N; i++)
        pred_row_release(&rows[i]);
    store_close(s);
}

/* The statistics of a deployment's rows as the hours were recomputed:
 * per target, whole (slice ""), via a scan. */
struct direct {
    struct pred_task task;
    struct pred_stats whole, eu;
};

static int direct_row(void *arg, const struct pred_row *r, struct ferr *err)
{
    (void)err;
    struct direct *d = arg;
    pred_stats_add_row(&d->whole, r, NULL);
    if (r->tags && strstr(r->tags, "region=eu"))
        pred_stats_add_row(&d->eu, r, NULL);
    return 0;
}

static void check_hours_equal_rows(struct store *s)
{
    struct ferr err = FERR_INIT;
    struct pred_hour_list hl;
    ASSERT_OK(store_prediction_hours(s, "fraud", 0, 0, &hl, &err), &err);
    struct direct d;
    struct pred_target t = {
        NULL, 0, NULL, 0, 0, NULL, xstrdup("[0, 1]"), xstrdup("classification")};
    pred_task_resolve(NULL, NULL, &t, &d.task);
    pred_stats_init(&d.whole, &d.task);
    pred_stats_init(&d.eu, &d.task);
    ASSERT_OK(store_predictions_scan(s, "fraud", 0, 0, direct_row, &d, &err), &err);
    struct pred_stats whole, eu;
    pred_stats_init(&whole, &d.task);
    pred_stats_init(&eu, &d.task);
    size_t nwhole = 0;
    for (size_t i = 0; i < hl.n; i++) {
        const struct pred_hour *h = &hl.v[i];
        ASSERT_INT_EQ(h->hour_ms % HOUR, 0);
        struct pred_stats *into = NULL;
        if (!*h->slice_key) {
            into = &whole;
            nwhole++;
        } else if (!strcmp(h->slice_key, "tag:region") && !strcmp(h->slice_value, "eu")) {
            into = &eu;
        }
        if (into)
            ASSERT_OK(pred_stats_merge_json(into, h->count, h->failed, h->labeled, h->latency,
                                            h->stats, &err),
                      &err);
    }
    ASSERT(nwhole >= 3);
    ASSERT_INT_EQ(whole.count, d.whole.count);
    ASSERT_INT_EQ(whole.labeled, d.whole.labeled);
    ASSERT_INT_EQ(whole.failed, d.whole.failed);
    ASSERT_INT_EQ(eu.count, d.eu.count);
    ASSERT(latency_hist_count(&whole.latency) == latency_hist_count(&d.whole.latency));
    json_t *m1 = pred_stats_metrics(&whole), *m2 = pred_stats_metrics(&d.whole);
    json_t *e1 = pred_stats_metrics(&eu), *e2 = pred_stats_metrics(&d.eu);
    const char *keys[] = {"accuracy", "precision", "recall",  "f1",
                          "f1_macro", "roc_auc",   "log_loss"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        double a = json_number_value(json_object_get(m1, keys[i]));
        double b = json_number_value(json_object_get(m2, keys[i]));
        if (!(fabs(a - b) <= 1e-12))
            FAIL_AT("%s: hours %.17g, rows %.17g", keys[i], a, b);
        a = json_number_value(json_object_get(e1, keys[i]));
        b = json_number_value(json_object_get(e2, keys[i]));
        if (!(fabs(a - b) <= 1e-12))
            FAIL_AT("eu %s: hours %.17g, rows %.17g", keys[i], a, b);
    }
    ASSERT(!d.whole.labeled || json_object_get(m1, "accuracy"));
    json_decref(m1);
    json_decref(m2);
    json_decref(e1);
    json_decref(e2);
    pred_stats_release(&whole);
    pred_stats_release(&eu);
    pred_stats_release(&d.whole);
    pred_stats_release(&d.eu);
    pred_task_release(&d.task);
    pred_target_release(&t);
    pred_hour_list_release(&hl);
}

STORE_TEST(pred_hours_equal_recomputation_from_rows)
{
    struct store *s = open_plog_store("plog4");
    struct ferr err = FERR_INIT;
    enum { N = 600 };
    struct pred_row *rows = xcalloc(N, sizeof(*rows));
    struct feedback_label *labels = xcalloc(N, sizeof(*labels));
    char(*ids)[64] = xcalloc(N, 64);
    uint64_t st = 5;
    for (size_t i = 0; i < N; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        double p = (double)((st >> 33) % 1000) / 1000.0;
        fill_row(&rows[i], "fraud", 1, T0 + (int64_t)(i % 5) * HOUR + (int64_t)i, i, 0, 1, p,
                 i % 3 ? "region=eu,tier=a" : "region=us", NULL);
        if (i % 17 == 0)
            rows[i].status = 500;
        rid_id(rows[i].rid, -1, ids[i], 64);
        labels[i] = (struct feedback_label){ids[i], ((st >> 20) & 1) ? "1" : "0", 0};
    }
    ASSERT_OK(store_predictions_put(s, rows, N, &err), &err);
    check_hours_equal_rows(s);
    /* labels dirty their hours; the aggregates follow */
    struct feedback_result res;
    ASSERT_OK(store_feedback_put(s, "fraud", labels, N / 2, "u", &res, &err), &err);
    ASSERT_INT_EQ(res.accepted, N / 2);
    feedback_result_release(&res);
    check_hours_equal_rows(s);
    int64_t refreshed = -1;
    ASSERT_OK(store_prediction_hours_refresh(s, "fraud", 0, 0, &refreshed, &err), &err);
    ASSERT_INT_EQ(refreshed, 0);
    ASSERT_OK(store_feedback_put(s, NULL, labels + N / 2, N / 2, "u", &res, &err), &err);
    feedback_result_release(&res);
    ASSERT_OK(store_prediction_hours_refresh(s, "fraud", T0, T0 + HOUR, &refreshed, &err), &err);
    ASSERT_INT_EQ(refreshed, 1);
    check_hours_equal_rows(s);
    rows_free(rows, N);
    free(labels);
    free(ids);
    store_close(s);
}

STORE_TEST(pred_retention_drops_old_days_only)
{
    struct store *s = open_plog_store("plog5");
    struct ferr err = FERR_INIT;
    int64_t now = ftime_now_ms();
    int64_t today = now - now % DAY;
    struct pred_row rows[4];
    fill_row(&rows[0], "fraud", 1, today - 40 * DAY, 1, 0, 1, 0.5, NULL, NULL);
    fill_row(&rows[1], "fraud", 1, today - 10 * DAY, 2, 0, 1, 0.5, NULL, NULL);
    fill_row(&rows[2], "fraud", 1, today, 3, 0, 1, 0.5, NULL, NULL);
    fill_row(&rows[3], "gone", 1, today - 31 * DAY, 4, 0, 1, 0.5, NULL, NULL);
    ASSERT_OK(store_predictions_put(s, rows, 4, &err), &err);
    ASSERT_INT_EQ(count_all(s, "fraud"), 3);
    /* nothing before the start of the oldest day's end */
    int64_t dropped = -1;
    ASSERT_OK(store_predictions_drop_before(s, "fraud", today - 40 * DAY + DAY - 1, &dropped, &err),
              &err);
    ASSERT_INT_EQ(dropped, 0);
    ASSERT_OK(store_predictions_drop_before(s, "fraud", today - 39 * DAY, &dropped, &err), &err);
    ASSERT_INT_EQ(dropped, 1);
    ASSERT_INT_EQ(count_all(s, "fraud"), 2);
    /* gc: no deployment "fraud" or "gone" in the store: the default 30 days */
    ASSERT_OK(store_predictions_gc(s, now, &dropped, &err), &err);
    ASSERT_INT_EQ(dropped, 1);
    ASSERT_INT_EQ(count_all(s, "gone"), 0);
    ASSERT_INT_EQ(count_all(s, "fraud"), 2);
    /* nothing younger than 30 days goes */
    ASSERT_OK(store_predictions_gc(s, now + 15 * DAY, &dropped, &err), &err);
    ASSERT_INT_EQ(dropped, 0);
    for (int i = 0; i < 4; i++)
        pred_row_release(&rows[i]);
    store_close(s);
}

struct writer {
    struct store *s;
    int id;
    int rc;
};

static void *write_rows(void *arg)
{
    struct writer *w = arg;
    struct ferr err = FERR_INIT;
    enum { BATCH = 250, BATCHES = 8 };
    for (int b = 0; b < BATCHES && !w->rc; b++) {
        struct pred_row rows[BATCH];
        for (int i = 0; i < BATCH; i++)
            fill_row(&rows[i], "fraud", w->id, T0 + (b * BATCH + i) * 10LL,
                     (uint64_t)w->id << 32 | (uint64_t)(b * BATCH + i), 0, 1, 0.5, "region=eu",
                     NULL);
        w->rc = store_predictions_put(w->s, rows, BATCH, &err);
        if (w->rc)
            fprintf(stderr, "writer %d: %s\n", w->id, err.msg);
        for (int i = 0; i < BATCH; i++)
            pred_row_release(&rows[i]);
    }
    return NULL;
}

STORE_TEST(pred_concurrent_puts_from_two_threads)
{
    struct store *s = open_plog_store("plog6");
    struct writer w[2] = {{s, 1, 0}, {s, 2, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ASSERT_INT_EQ(pthread_create(&t[i], NULL, write_rows, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ASSERT_INT_EQ(w[0].rc, 0);
    ASSERT_INT_EQ(w[1].rc, 0);
    ASSERT_INT_EQ(count_all(s, "fraud"), 4000);
    struct ferr err = FERR_INIT;
    struct pred_hour_list hl;
    ASSERT_OK(store_prediction_hours(s, "fraud", 0, 0, &hl, &err), &err);
    int64_t total = 0;
    for (size_t i = 0; i < hl.n; i++)
        if (!*hl.v[i].slice_key)
            total += hl.v[i].count;
    ASSERT_INT_EQ(total, 4000);
    pred_hour_list_release(&hl);
    store_close(s);
}

/* ---- SQLite's layout ---- */

TEST(pred_sqlite_files_per_day_beside_the_tracking_file)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char path[512];
    snprintf(path, sizeof(path), "%s/track.db", test_tmpdir());
    ASSERT_OK(store_open(path, &o, &s, &err), &err);
    /* the tracking file's write lock held elsewhere: the log still writes */
    sqlite3 *other;
    ASSERT_INT_EQ(sqlite3_open(path, &other), SQLITE_OK);
    ASSERT_INT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    struct pred_row rows[2];
    fill_row(&rows[0], "fraud", 1, T0 + 5, 1, 0, 1, 0.5, NULL, NULL);
    fill_row(&rows[1], "fraud", 1, T0 + DAY + 5, 2, 0, 1, 0.5, NULL, NULL);
    int64_t t0 = ftime_mono_ns();
    ASSERT_OK(store_predictions_put(s, rows, 2, &err), &err);
    ASSERT((ftime_mono_ns() - t0) < 2000000000LL);
    ASSERT_INT_EQ(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    char f1[600], f2[600];
    snprintf(f1, sizeof(f1), "%s-predictions/fraud/2026-12-01.db", path);
    snprintf(f2, sizeof(f2), "%s-predictions/fraud/2026-12-02.db", path);
    struct stat st;
    ASSERT_INT_EQ(stat(f1, &st), 0);
    ASSERT_INT_EQ(stat(f2, &st), 0);
    /* a stray file in the directory is no partition */
    char stray[600];
    snprintf(stray, sizeof(stray), "%s-predictions/fraud/2026-13-01.db", path);
    FILE *f = fopen(stray, "w");
    ASSERT(f);
    fclose(f);
    int64_t dropped;
    ASSERT_OK(store_predictions_drop_before(s, "fraud", T0 + DAY, &dropped, &err), &err);
    ASSERT_INT_EQ(dropped, 1);
    ASSERT(stat(f1, &st) != 0);
    ASSERT_INT_EQ(stat(f2, &st), 0);
    ASSERT_INT_EQ(count_all(s, "fraud"), 1);
    /* reopening finds the rows */
    store_close(s);
    ASSERT_OK(store_open(path, &o, &s, &err), &err);
    ASSERT_INT_EQ(count_all(s, "fraud"), 1);
    store_close(s);
    pred_row_release(&rows[0]);
    pred_row_release(&rows[1]);
}

TEST(pred_sqlite_many_partitions_stay_bounded)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char path[512];
    snprintf(path, sizeof(path), "%s/track.db", test_tmpdir());
    ASSERT_OK(store_open(path, &o, &s, &err), &err);
    /* 50 days (more than the handle cache) written and read back twice */
    enum { D = 50 };
    struct pred_row rows[D];
    for (int d = 0; d < D; d++)
        fill_row(&rows[d], "fraud", 1, T0 - d * DAY, (uint64_t)d, 0, 1, 0.5, NULL, NULL);
    ASSERT_OK(store_predictions_put(s, rows, D, &err), &err);
    for (int pass = 0; pass < 2; pass++)
        ASSERT_INT_EQ(count_all(s, "fraud"), D);
    struct pred_hour_list hl;
    ASSERT_OK(store_prediction_hours(s, "fraud", 0, 0, &hl, &err), &err);
    ASSERT_INT_EQ(hl.n, D);
    pred_hour_list_release(&hl);
    for (int d = 0; d < D; d++)
        pred_row_release(&rows[d]);
    store_close(s);
}

TEST(pred_sqlite_in_memory_store_keeps_the_log_in_memory)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    if (chdir(test_tmpdir()))
        FAIL_AT("chdir");
    ASSERT_OK(store_open(":memory:", &o, &s, &err), &err);
    struct pred_row rows[40];
    for (int d = 0; d < 40; d++) /* more days than the handle cache: none is evicted */
        fill_row(&rows[d], "fraud", 1, T0 - d * DAY, (uint64_t)d, 0, 1, 0.5, NULL, NULL);
    ASSERT_OK(store_predictions_put(s, rows, 40, &err), &err);
    ASSERT_INT_EQ(count_all(s, "fraud"), 40);
    struct stat st;
    ASSERT(stat(":memory:-predictions", &st) != 0);
    int64_t dropped;
    ASSERT_OK(store_predictions_drop_before(s, "fraud", T0, &dropped, &err), &err);
    ASSERT_INT_EQ(dropped, 39);
    ASSERT_INT_EQ(count_all(s, "fraud"), 1);
    store_close(s);
    for (int d = 0; d < 40; d++)
        pred_row_release(&rows[d]);
}

/* A deployment's spec decides: its log retention for gc, its task and
 * positive class for the hours. */
STORE_TEST(pred_spec_retention_and_task_decide)
{
    struct store *s = open_plog_store("plog7");
    struct ferr err = FERR_INIT;
    struct reg_write w = {.action = REG_CREATE_MODEL, .name = "clf", .user = "u"};
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
    w.action = REG_CREATE_VERSION;
    w.source = "/artifacts/model";
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
    static const char yaml[] = "name: fraud\n"
                               "targets: [{model: \"models:/clf/1\", weight: 100}]\n"
                               "log: {retention: 5d}\n"
                               "task: classification\n"
                               "positive_label: 0\n";
    json_t *doc = NULL;
    ASSERT_OK(yaml_to_json(yaml, strlen(yaml), &doc, &err), &err);
    struct deployment d;
    int changed;
    ASSERT_OK(store_deployment_apply(s, doc, -1, "alice", &d, &changed, &err), &err);
    deployment_release(&d);
    json_decref(doc);

    int64_t now = ftime_now_ms(), today = now - now % DAY;
    struct pred_row rows[3];
    fill_row(&rows[0], "fraud", 1, today - 7 * DAY, 1, 0, 1, 0.5, NULL, NULL);
    fill_row(&rows[1], "fraud", 1, today - 3 * DAY, 2, 0, 1, 0.5, NULL, NULL);
    fill_row(&rows[2], "other", 1, today - 7 * DAY, 3, 0, 1, 0.5, NULL, NULL);
    ASSERT_OK(store_predictions_put(s, rows, 3, &err), &err);
    char id[64];
    rid_id(rows[1].rid, -1, id, sizeof(id));
    struct feedback_label l = {id, "0", 0};
    struct feedback_result res;
    ASSERT_OK(store_feedback_put(s, "fraud", &l, 1, "u", &res, &err), &err);
    feedback_result_release(&res);
    struct pred_hour_list hl;
    ASSERT_OK(store_prediction_hours(s, "fraud", today - 3 * DAY, today, &hl, &err), &err);
    ASSERT_INT_EQ(hl.n, 1);
    ASSERT_CONTAINS(hl.v[0].stats, "\"positive\":\"0\"");
    ASSERT_INT_EQ(hl.v[0].labeled, 1);
    pred_hour_list_release(&hl);

    int64_t dropped;
    ASSERT_OK(store_predictions_gc(s, now, &dropped, &err), &err);
    ASSERT_INT_EQ(dropped, 1); /* fraud's 7-day-old day; other keeps 30 days */
    ASSERT_INT_EQ(count_all(s, "fraud"), 1);
    ASSERT_INT_EQ(count_all(s, "other"), 1);
    for (int i = 0; i < 3; i++)
        pred_row_release(&rows[i]);
    store_close(s);
}

/* An hour written again while it was being recomputed stays dirty: the
 * stale aggregate is not stored. */
STORE_TEST(pred_hour_replace_honours_the_generation)
{
    struct store *s = open_plog_store("plog8");
    struct ferr err = FERR_INIT;
    struct pred_row r[2];
    fill_row(&r[0], "fraud", 1, T0 + 10, 1, 0, 1, 0.5, NULL, NULL);
    fill_row(&r[1], "fraud", 1, T0 + 20, 2, 0, 1, 0.5, NULL, NULL);
    ASSERT_OK(store_predictions_put(s, &r[0], 1, &err), &err);
    struct pred_dirty_hour *d;
    size_t n;
    ASSERT_OK(s->predictions->dirty(s, "fraud", 0, 0, &d, &n, &err), &err);
    ASSERT_INT_EQ(n, 1);
    ASSERT_INT_EQ(d[0].hour_ms, T0);
    ASSERT_OK(store_predictions_put(s, &r[1], 1, &err), &err); /* meanwhile */
    ASSERT_OK(s->predictions->hour_replace(s, "fraud", &d[0], NULL, 0, &err), &err);
    free(d);
    ASSERT_OK(s->predictions->dirty(s, "fraud", 0, 0, &d, &n, &err), &err);
    ASSERT_INT_EQ(n, 1);
    free(d);
    struct pred_hour_list hl;
    ASSERT_OK(store_prediction_hours(s, "fraud", 0, 0, &hl, &err), &err);
    ASSERT_INT_EQ(hl.n, 1);
    ASSERT_INT_EQ(hl.v[0].count, 2);
    pred_hour_list_release(&hl);
    ASSERT_OK(s->predictions->dirty(s, "fraud", 0, 0, &d, &n, &err), &err);
    ASSERT_INT_EQ(n, 0);
    free(d);
    pred_row_release(&r[0]);
    pred_row_release(&r[1]);
    store_close(s);
}
