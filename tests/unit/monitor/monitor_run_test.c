/* SPDX-License-Identifier: MIT
 * Running monitors (monitor/monitor_window.h, monitor/monitor_run.h,
 * server/monitor_scheduler.h's window arithmetic): the decisions on their
 * own, a logged row into a table row, a window of a real store's log, and
 * whole windows judged on a real store: no drift, drift and decay opening
 * alerts, a passing window resolving them, a window judged once, a window
 * with too few rows reported as insufficient, the figures logged to the
 * monitor's run. */
#include "../test.h"
#include "base/ftime.h"
#include "base/xalloc.h"
#include "base/sbuf.h"
#include "base/yaml_json.h"
#include "domain/prediction.h"
#include "domain/registry.h"
#include "monitor/monitor_run.h"
#include "monitor/monitor_window.h"
#include "server/monitor_scheduler.h"
#include "store/deployments.h"
#include "store/monitors.h"
#include "store/predictions.h"
#include "store/registry.h"
#include "store/store.h"

#include <math.h>
#include <string.h>
#include <time.h>

#define HOUR (3600 * 1000LL)

/* ---------- decisions ---------- */

TEST(monitor_decay_judge_bounds)
{
    struct monitor_decay g;
    char why[256];
    memset(&g, 0, sizeof(g));
    g.metric = (char *)"f1";
    g.has_min = 1;
    g.min = 0.8;
    ASSERT_INT_EQ(monitor_decay_judge(&g, 0.79, NAN, why, sizeof(why)), MONITOR_BREACH);
    ASSERT_CONTAINS(why, "below the minimum");
    ASSERT_INT_EQ(monitor_decay_judge(&g, 0.8, NAN, why, sizeof(why)), MONITOR_PASS);
    ASSERT_INT_EQ(monitor_decay_judge(&g, NAN, NAN, why, sizeof(why)), MONITOR_PENDING);
    g.has_min = 0;
    g.has_max_drop = 1;
    g.max_drop = 0.05;
    /* no baseline: cannot be judged */
    ASSERT_INT_EQ(monitor_decay_judge(&g, 0.5, NAN, why, sizeof(why)), MONITOR_PENDING);
    ASSERT_CONTAINS(why, "logged no f1");
    ASSERT_INT_EQ(monitor_decay_judge(&g, 0.84, 0.9, why, sizeof(why)), MONITOR_BREACH);
    ASSERT_CONTAINS(why, "max_drop");
    ASSERT_INT_EQ(monitor_decay_judge(&g, 0.86, 0.9, why, sizeof(why)), MONITOR_PASS);
    /* a bound crossed wins over a missing baseline */
    g.has_min = 1;
    ASSERT_INT_EQ(monitor_decay_judge(&g, 0.5, NAN, why, sizeof(why)), MONITOR_BREACH);
    memset(&g, 0, sizeof(g));
    g.metric = (char *)"rmse";
    g.has_max = 1;
    g.max = 2;
    g.has_max_rise = 1;
    g.max_rise = 0.5;
    ASSERT_INT_EQ(monitor_decay_judge(&g, 2.5, 1.0, why, sizeof(why)), MONITOR_BREACH);
    ASSERT_INT_EQ(monitor_decay_judge(&g, 1.6, 1.0, why, sizeof(why)), MONITOR_BREACH);
    ASSERT_CONTAINS(why, "max_rise");
    ASSERT_INT_EQ(monitor_decay_judge(&g, 1.4, 1.0, why, sizeof(why)), MONITOR_PASS);
}

TEST(monitor_verdict_merge_breach_wins_pending_alone_stays)
{
    enum monitor_verdict a[] = {MONITOR_PASS, MONITOR_PENDING, MONITOR_BREACH};
    ASSERT_INT_EQ(monitor_verdict_merge(a, 3), MONITOR_BREACH);
    ASSERT_INT_EQ(monitor_verdict_merge(a, 2), MONITOR_PASS);
    ASSERT_INT_EQ(monitor_verdict_merge(a + 1, 1), MONITOR_PENDING);
    ASSERT_INT_EQ(monitor_verdict_merge(a, 0), MONITOR_PENDING);
}

TEST(monitor_condition_names_are_safe)
{
    char b[400];
    monitor_condition_name(b, sizeof(b), "quality:missing:", "my col\tx");
    ASSERT_STR_EQ(b, "quality:missing:my_col_x");
    char longname[600];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    monitor_condition_name(b, sizeof(b), "quality:schema:", longname);
    ASSERT_INT_EQ(strlen(b), 300);
}

TEST(monitor_windows_are_aligned_and_keyed)
{
    /* every 1h, 1.5 s grace */
    ASSERT_INT_EQ(monitor_due_end(HOUR, 10 * HOUR + 1000, 1500), 9 * HOUR);
    ASSERT_INT_EQ(monitor_due_end(HOUR, 10 * HOUR + 1500, 1500), 10 * HOUR);
    ASSERT_INT_EQ(monitor_due_end(HOUR, 10 * HOUR + 59 * 60000, 1500), 10 * HOUR);
    ASSERT_INT_EQ(monitor_due_end(0, 10 * HOUR, 1500), 0);
    ASSERT_INT_EQ(monitor_due_end(HOUR, HOUR / 2, 1500), 0);
    struct monitor_spec s;
    memset(&s, 0, sizeof(s));
    s.window_ms = 2 * HOUR;
    ASSERT_INT_EQ(monitor_window_start(&s, 10 * HOUR), 8 * HOUR);
    s.window_ms = 0;
    s.window_rows = 100;
    s.every_ms = HOUR;
    ASSERT_INT_EQ(monitor_window_start(&s, 10 * HOUR), 9 * HOUR);
    s.every_ms = 0;
    ASSERT_INT_EQ(monitor_window_start(&s, 10 * HOUR), 10 * HOUR - 1);
}

/* ---------- rows ---------- */

static int64_t base_ms(void)
{
    static int64_t t0;
    if (!t0) {
        int64_t now = ftime_now_ms();
        t0 = now - now % HOUR - 8 * HOUR;
    }
    return t0;
}

/* A row of deployment "dep", version 1: x (a float), c (text), n (an
 * integer), prediction pred (an integer class) with probabilities. */
static void make_row(struct pred_row *r, int64_t t, int i, double x, const char *c, int pred,
                     int shadow, int status)
{
    struct sbuf in = SBUF_INIT, out = SBUF_INIT;
    memset(r, 0, sizeof(*r));
    pred_rid_min(t, r->rid);
    r->rid[6] = 0x70;
    r->rid[8] = 0x80;
    r->rid[13] = (unsigned char)(i >> 16);
    r->rid[14] = (unsigned char)(i >> 8);
    r->rid[15] = (unsigned char)i;
    r->nrows = 1;
    r->time_ms = t;
    r->target.deployment = xstrdup("dep");
    r->target.revision = 1;
    r->target.model = xstrdup("m");
    r->target.version = 1;
    r->target.shadow = shadow;
    r->target.columns = xstrdup("[\"x\",\"c\",\"n\"]");
    r->target.classes = xstrdup("[0,1]");
    r->target.task = xstrdup("classification");
    r->status = status;
    pred_enc_count(&in, 3);
    pred_enc_number(&in, x);
    pred_enc_string(&in, c, strlen(c));
    pred_enc_number(&in, (double)(i % 3));
    r->inputs = (unsigned char *)sbuf_detach(&in, &r->ninputs);
    if (status == 200) {
        struct pred_value v = {PV_NUMBER, pred, NULL, 0, 0};
        double proba[2] = {pred ? 0.2 : 0.8, pred ? 0.8 : 0.2};
        pred_outputs_encode(&out, &v, 1, proba, 2);
        r->outputs = (unsigned char *)sbuf_detach(&out, &r->noutputs);
    } else {
        sbuf_release(&out);
    }
}

TEST(monitor_row_add_keeps_kinds_and_maps_columns)
{
    const char *cols[] = {"n", "prediction", "x", "absent"};
    struct column_table *t = column_table_new(cols, 4);
    struct monitor_row_map map;
    struct pred_row r;
    memset(&map, 0, sizeof(map));
    for (int i = 0; i < 6; i++) {
        make_row(&r, base_ms() + i, i, 0.5 + i, "fr", i % 2, 0, 200);
        ASSERT_INT_EQ(monitor_row_add(t, cols, 4, &map, &r), 0);
        pred_row_release(&r);
    }
    /* a row whose inputs are cut short adds nothing */
    make_row(&r, base_ms(), 9, 1.5, "fr", 1, 0, 200);
    r.ninputs -= 3;
    ASSERT_INT_EQ(monitor_row_add(t, cols, 4, &map, &r), -1);
    pred_row_release(&r);
    monitor_row_map_release(&map);
    column_table_finish(t);
    ASSERT_INT_EQ(t->nrows, 6);
    /* integers stay integers (n, the predicted class), x a float, the
     * column the target lacks all missing */
    ASSERT_INT_EQ(drift_column_dtype(&t->cols[0]), DRIFT_DTYPE_INT);
    ASSERT_INT_EQ(drift_column_dtype(&t->cols[1]), DRIFT_DTYPE_INT);
    ASSERT_INT_EQ(drift_column_dtype(&t->cols[2]), DRIFT_DTYPE_FLOAT);
    ASSERT_INT_EQ(t->cols[3].n_missing, 6);
    ASSERT(t->cols[2].num[3] == 3.5);
    ASSERT(t->cols[1].num[3] == 1);
    column_table_free(t);
}

/* ---------- a store ---------- */

static struct store *open_store(const char *name)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri(name);
    o.default_artifact_root = test_tmpdir();
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    free(uri);
    return s;
}

/* Model m version 1 from a run that logged accuracy 0.95, deployment dep. */
static void setup(struct store *s)
{
    struct ferr err = FERR_INIT;
    struct run_create rc;
    struct run run;
    struct metric_list ml;
    memset(&rc, 0, sizeof(rc));
    memset(&ml, 0, sizeof(ml));
    rc.experiment_id = "0";
    rc.start_time = TIME_NONE;
    ASSERT_OK(store_create_run(s, &rc, &run, &err), &err);
    metric_list_add(&ml, "accuracy", 0.95, 1, 0);
    ASSERT_OK(store_log_batch(s, run.info.run_id, &ml, NULL, NULL, &err), &err);
    metric_list_release(&ml);
    struct reg_write w;
    memset(&w, 0, sizeof(w));
    w.action = REG_CREATE_MODEL;
    w.name = "m";
    w.user = "u";
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
    w.action = REG_CREATE_VERSION;
    w.source = "/artifacts/model";
    w.run_id = run.info.run_id;
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
    run_release(&run);
    const char *yaml = "name: dep\n"
                       "targets: [{model: 'models:/m/1', weight: 100}]\n"
                       "task: classification\n"
                       "positive_label: 1\n";
    json_t *doc = NULL;
    struct deployment d;
    int changed;
    ASSERT_OK(yaml_to_json(yaml, strlen(yaml), &doc, &err), &err);
    ASSERT_OK(store_deployment_apply(s, doc, -1, "alice", &d, &changed, &err), &err);
    json_decref(doc);
    deployment_release(&d);
}

static const char *const cats[] = {"fr", "de", "it", "es"};

/* n rows over hour h (from base_ms): x on a fixed grid (+ shift), c
 * cycling; labels: the prediction, or its opposite when flip. ids gets the
 * request ids (may be NULL). */
static void put_hour(struct store *s, int h, int n, double shift, int flip, int first_id)
{
    struct ferr err = FERR_INIT;
    struct pred_row *rows = calloc((size_t)n + 2, sizeof(*rows));
    struct feedback_label *l = calloc((size_t)n, sizeof(*l));
    char(*ids)[37] = calloc((size_t)n, sizeof(*ids));
    int64_t t0 = base_ms() + h * HOUR;
    for (int i = 0; i < n; i++) {
        double x = (double)((i * 37) % n) / n + shift;
        make_row(&rows[i], t0 + 1000 + (int64_t)i * (HOUR - 2000) / n, first_id + i, x, cats[i % 4],
                 i % 2, 0, 200);
        pred_rid_text(rows[i].rid, ids[i]);
        l[i].id = ids[i];
        l[i].label = (i % 2) ^ flip ? "1" : "0";
    }
    /* a shadow's row and a failed request: never in a window */
    make_row(&rows[n], t0 + 500, first_id + n, 100, "zz", 1, 1, 200);
    make_row(&rows[n + 1], t0 + 600, first_id + n + 1, 100, "zz", 1, 0, 500);
    ASSERT_OK(store_predictions_put(s, rows, (size_t)n + 2, &err), &err);
    struct feedback_result fr;
    memset(&fr, 0, sizeof(fr));
    ASSERT_OK(store_feedback_put(s, "dep", l, (size_t)n, "u", &fr, &err), &err);
    feedback_result_release(&fr);
    for (int i = 0; i < n + 2; i++)
        pred_row_release(&rows[i]);
    free(rows);
    free(l);
    free(ids);
}

STORE_TEST(monitor_window_reads_answers_of_the_range_and_the_last_rows)
{
    struct store *s = open_store("mw");
    struct ferr err = FERR_INIT;
    setup(s);
    put_hour(s, 0, 200, 0, 0, 0);
    put_hour(s, 1, 100, 5, 0, 1000);
    struct monitor_window w;
    const char *cols[] = {"x", "c", "prediction"};
    struct monitor_window_query q = {"dep", base_ms(), base_ms() + HOUR, 0, cols, 3};
    ASSERT_OK(monitor_window_read(s, &q, &w, &err), &err);
    ASSERT_INT_EQ(w.nrows, 200);
    ASSERT_INT_EQ(w.table->nrows, 200);
    ASSERT_INT_EQ(w.ncorrupt, 0);
    ASSERT(w.first_ms > base_ms() && w.last_ms < base_ms() + HOUR);
    ASSERT_INT_EQ(drift_column_dtype(&w.table->cols[1]), DRIFT_DTYPE_OBJECT);
    ASSERT_INT_EQ(w.table->cols[1].dict.n, 4); /* the shadow's "zz" is not there */
    monitor_window_release(&w);
    /* the last 150 rows before the end of hour 1: 100 of hour 1, 50 of hour 0 */
    q.last_rows = 150;
    q.end_ms = base_ms() + 2 * HOUR;
    ASSERT_OK(monitor_window_read(s, &q, &w, &err), &err);
    ASSERT_INT_EQ(w.nrows, 150);
    size_t shifted = 0;
    for (size_t i = 0; i < w.table->nrows; i++)
        shifted += w.table->cols[0].num[i] >= 5;
    ASSERT_INT_EQ(shifted, 100);
    monitor_window_release(&w);
    /* default columns: the target's inputs, then the prediction */
    char **names = NULL;
    size_t nn = 0;
    ASSERT_OK(monitor_window_columns(s, "dep", base_ms(), 0, &names, &nn, &err), &err);
    ASSERT_INT_EQ(nn, 4);
    ASSERT_STR_EQ(names[0], "x");
    ASSERT_STR_EQ(names[3], "prediction");
    monitor_names_free(names, nn);
    /* an unknown deployment, a bad range */
    q.deployment = "nope";
    q.last_rows = 0;
    ASSERT(monitor_window_read(s, &q, &w, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_RESOURCE_DOES_NOT_EXIST);
    q.deployment = "dep";
    q.start_ms = q.end_ms;
    ASSERT(monitor_window_read(s, &q, &w, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
    store_close(s);
}

static void apply_monitor(struct store *s, const char *yaml)
{
    struct ferr err = FERR_INIT;
    json_t *doc = NULL;
    struct monitor m;
    int changed;
    ASSERT_OK(yaml_to_json(yaml, strlen(yaml), &doc, &err), &err);
    ASSERT_OK(store_monitor_apply(s, doc, -1, "alice", &m, &changed, &err), &err);
    json_decref(doc);
    monitor_release(&m);
}

/* Judges mon's window ending at the end of hour h. */
static void run_hour(struct store *s, int h, struct monitor_report *r, int *inserted)
{
    struct ferr err = FERR_INIT;
    struct monitor m;
    struct monitor_env env = {s, NULL, NULL};
    ASSERT_OK(store_monitor_get(s, "mon", &m, &err), &err);
    ASSERT_OK(monitor_run_window(&env, &m, base_ms() + (h + 1) * HOUR, r, inserted, &err), &err);
    monitor_release(&m);
}

static int active(struct store *s, const char *condition)
{
    struct alert_query q = {"mon", NULL, ALERT_F_ACTIVE, 0, NULL};
    struct monitor_alert_list l;
    struct ferr err = FERR_INIT;
    char *next = NULL;
    ASSERT_OK(store_alerts_list(s, &q, &l, &next, &err), &err);
    free(next);
    int found = 0;
    for (size_t i = 0; i < l.n; i++)
        found += !strcmp(l.v[i].condition, condition);
    monitor_alert_list_release(&l);
    return found;
}

STORE_TEST(monitor_run_judges_each_window_once_opening_and_resolving_alerts)
{
    struct store *s = open_store("mr");
    struct ferr err = FERR_INIT;
    struct monitor_report r;
    int inserted = 0;
    char yaml[1024];
    setup(s);
    put_hour(s, 0, 200, 0, 0, 0);    /* the reference */
    put_hour(s, 1, 200, 0, 0, 1000); /* as the reference, labels right */
    put_hour(s, 2, 200, 3, 1, 2000); /* x shifted, labels flipped */
    put_hour(s, 3, 200, 0, 0, 3000); /* back to normal */
    put_hour(s, 4, 20, 0, 0, 4000);  /* too few rows */
    snprintf(yaml, sizeof(yaml),
             "name: mon\n"
             "deployment: dep\n"
             "reference: {window: {from: %lld, to: %lld}}\n"
             "columns: [x, c, prediction]\n"
             "window: {last: 1h}\n"
             "drift: {drift_share: 0.3}\n"
             "decay: {accuracy: {min: 0.8, max_drop: 0.1}}\n"
             "quality: {max_out_of_range_share: 0.2, new_categories: true}\n"
             "min_rows: 50\n",
             (long long)base_ms(), (long long)(base_ms() + HOUR));
    apply_monitor(s, yaml);

    run_hour(s, 1, &r, &inserted);
    ASSERT_INT_EQ(inserted, 1);
    if (r.status != MON_STATUS_OK)
        FAIL_AT("failed: %s", r.error);
    ASSERT_INT_EQ(r.n_rows, 200);
    ASSERT_INT_EQ(r.dataset_drift, 0);
    ASSERT(r.report != NULL);
    ASSERT_CONTAINS(r.report, "\"decay\"");
    ASSERT_INT_EQ(active(s, "drift") + active(s, "decay:accuracy"), 0);
    monitor_report_release(&r);

    run_hour(s, 2, &r, &inserted);
    ASSERT_INT_EQ(inserted, 1);
    ASSERT_INT_EQ(r.dataset_drift, 1);
    ASSERT_CONTAINS(r.figures, "\"breached\"");
    ASSERT_CONTAINS(r.figures, "decay:accuracy");
    ASSERT_INT_EQ(active(s, "drift"), 1);
    ASSERT_INT_EQ(active(s, "decay:accuracy"), 1);
    /* x beyond the reference's range; c as it was */
    ASSERT_INT_EQ(active(s, "quality:out_of_range:x"), 1);
    ASSERT_INT_EQ(active(s, "quality:new_categories:c"), 0);
    ASSERT_INT_EQ(active(s, "quality:schema:x"), 0);
    monitor_report_release(&r);
    /* a window is judged once: a second run answers the stored report */
    run_hour(s, 2, &r, &inserted);
    ASSERT_INT_EQ(inserted, 0);
    ASSERT_INT_EQ(r.dataset_drift, 1);
    monitor_report_release(&r);

    run_hour(s, 3, &r, &inserted);
    ASSERT_INT_EQ(inserted, 1);
    ASSERT_INT_EQ(r.dataset_drift, 0);
    ASSERT_INT_EQ(active(s, "drift") + active(s, "decay:accuracy"), 0);
    ASSERT_INT_EQ(active(s, "quality:out_of_range:x"), 0);
    monitor_report_release(&r);

    run_hour(s, 4, &r, &inserted);
    ASSERT_INT_EQ(inserted, 1);
    ASSERT_INT_EQ(r.status, MON_STATUS_INSUFFICIENT);
    ASSERT_INT_EQ(r.n_rows, 20);
    monitor_report_release(&r);

    /* four reports; the figures on the monitor's run */
    struct monitor_report_list l;
    char *next = NULL;
    ASSERT_OK(store_monitor_reports(s, "mon", 0, 0, NULL, 0, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 4);
    monitor_report_list_release(&l);
    free(next);
    struct monitor m;
    struct run run;
    ASSERT_OK(store_monitor_get(s, "mon", &m, &err), &err);
    ASSERT(m.run_id && *m.run_id);
    ASSERT_OK(store_get_run(s, m.run_id, &run, &err), &err);
    int seen = 0;
    for (size_t i = 0; i < run.metrics.n; i++) {
        const struct metric *mt = &run.metrics.v[i];
        if (!strcmp(mt->key, "share_of_drifted_columns") || !strcmp(mt->key, "drift.x") ||
            !strcmp(mt->key, "accuracy") || !strcmp(mt->key, "n_rows"))
            seen++;
        if (!strcmp(mt->key, "accuracy"))
            ASSERT(mt->value == 1.0 && mt->step == base_ms() + 4 * HOUR);
    }
    ASSERT_INT_EQ(seen, 4);
    run_release(&run);
    monitor_release(&m);
    store_close(s);
}

STORE_TEST(monitor_spec_check_names_unknown_columns)
{
    struct store *s = open_store("mc");
    struct ferr err = FERR_INIT;
    setup(s);
    put_hour(s, 0, 10, 0, 0, 0);
    const char *yaml = "name: mon\ndeployment: dep\nreference: {window: {last: 1h, ending: 1h}}\n"
                       "columns: [x, prediction, nope]\nwindow: {last: 1h}\n";
    json_t *doc = NULL;
    struct monitor_spec spec;
    struct monitor_env env = {s, NULL, NULL};
    ASSERT_OK(yaml_to_json(yaml, strlen(yaml), &doc, &err), &err);
    ASSERT_OK(monitor_spec_parse(doc, &spec, &err), &err);
    ASSERT(monitor_spec_check(&env, &spec, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "'nope'");
    monitor_spec_release(&spec);
    json_decref(doc);
    store_close(s);
}

STORE_TEST(monitor_run_a_window_that_cannot_be_judged_is_stored_failed_once)
{
    struct store *s = open_store("mf");
    struct ferr err = FERR_INIT;
    struct monitor_report r;
    int inserted = 0;
    setup(s);
    put_hour(s, 1, 100, 0, 0, 0);
    /* a reference window of the log where nothing was logged */
    apply_monitor(s, "name: mon\ndeployment: dep\nreference: {window: {from: 1000, to: 2000}}\n"
                     "window: {last: 1h}\nmin_rows: 10\n");
    run_hour(s, 1, &r, &inserted);
    ASSERT_INT_EQ(inserted, 1);
    ASSERT_INT_EQ(r.status, MON_STATUS_FAILED);
    ASSERT_CONTAINS(r.error, "reference has no rows");
    ASSERT_INT_EQ(r.dataset_drift, -1);
    monitor_report_release(&r);
    run_hour(s, 1, &r, &inserted);
    ASSERT_INT_EQ(inserted, 0);
    monitor_report_release(&r);
    struct monitor m;
    ASSERT_OK(store_monitor_get(s, "mon", &m, &err), &err);
    ASSERT_STR_EQ(m.last_status, "failed");
    ASSERT_CONTAINS(m.last_error, "reference");
    monitor_release(&m);
    store_close(s);
}

/* The scheduler keeps its lease while it judges a window: a window that
 * takes longer than the lease (here a lease of 50 ms; a sanitized window
 * judgement takes longer, and 15 ms was shorter than one PostgreSQL round
 * trip on a loaded machine, so the renewals themselves came late) is still
 * stored, rather than refused by the fence at every try. */
STORE_TEST(monitor_scheduler_stores_a_window_longer_than_its_lease)
{
    struct store *s = open_store("ms");
    struct ferr err = FERR_INIT;
    char yaml[1024];
    setup(s);
    put_hour(s, 0, 3000, 0, 0, 0);
    put_hour(s, 7, 3000, 3, 1, 10000);
    snprintf(yaml, sizeof(yaml),
             "name: mon\ndeployment: dep\n"
             "reference: {window: {from: %lld, to: %lld}}\n"
             "window: {last: 1h}\nschedule: {every: 1h}\nmin_rows: 10\n",
             (long long)base_ms(), (long long)(base_ms() + HOUR));
    apply_monitor(s, yaml);
    struct monitor_scheduler *sch = NULL;
    struct monitor_scheduler_opts o = {s, NULL, NULL, 10, 50, 1};
    ASSERT_OK(monitor_scheduler_start(&o, &sch, &err), &err);
    struct monitor_report_list l = {NULL, 0, 0};
    char *next = NULL;
    int64_t deadline = ftime_now_ms() + 15000;
    for (;;) {
        ASSERT_OK(store_monitor_reports(s, "mon", 0, 0, NULL, 0, &l, &next, &err), &err);
        free(next);
        next = NULL;
        if (l.n || ftime_now_ms() > deadline)
            break;
        monitor_report_list_release(&l);
        struct timespec t = {0, 20000000L};
        nanosleep(&t, NULL);
    }
    monitor_scheduler_stop(sch);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_INT_EQ(l.v[0].window_start_ms, base_ms() + 7 * HOUR);
    ASSERT_INT_EQ(l.v[0].status, MON_STATUS_OK);
    monitor_report_list_release(&l);
    store_close(s);
}

/* A window that ends in the future is refused: judged now it would be
 * stored incomplete for good, and the monitor's state (which only moves
 * forward) would make the scheduler skip every window until then. */
STORE_TEST(monitor_run_refuses_a_window_ending_in_the_future)
{
    struct store *s = open_store("mfut");
    struct ferr err = FERR_INIT;
    struct monitor_report r;
    int inserted = 0;
    char yaml[1024];
    setup(s);
    put_hour(s, 0, 100, 0, 0, 0);
    snprintf(yaml, sizeof(yaml),
             "name: mon\ndeployment: dep\n"
             "reference: {window: {from: %lld, to: %lld}}\n"
             "window: {last: 1h}\nschedule: {every: 1h}\nmin_rows: 10\n",
             (long long)base_ms(), (long long)(base_ms() + HOUR));
    apply_monitor(s, yaml);
    struct monitor_env env = {s, NULL, NULL};
    int64_t later = (ftime_now_ms() / HOUR + 2) * HOUR;
    ASSERT_FAILS(monitor_run_named(&env, "mon", later, &r, &inserted, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "future");
    ASSERT_INT_EQ(inserted, 0);
    struct monitor m;
    ASSERT_OK(store_monitor_get(s, "mon", &m, &err), &err);
    ASSERT(m.last_window_end_ms < later);
    monitor_release(&m);
    store_close(s);
}
