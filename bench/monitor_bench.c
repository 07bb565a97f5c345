/* SPDX-License-Identifier: MIT
 * What a monitor's window costs (issue 18), on a fresh store: --rows rows
 * (default 100,000) logged over one hour as the reference, the same number
 * over the next hour as the window (5 of 20 numerical inputs shifted), every
 * window row labeled; then, timed:
 *   1. reading the window alone (monitor_window_read: scan, decode, table);
 *   2. the performance of the window from its rows (the decay's input,
 *      exact mode, as deployments/performance?exact=true);
 *   3. a whole window judged (monitor_run_window: window, reference window,
 *      drift report with data quality, decay, report stored, metrics logged),
 *      by time ({last: 1h}) and by rows ({last_rows: N});
 * with the peak RSS. Ends with one JSON line of the figures.
 *
 *   build/bench/monitor_bench [--rows N] [--store URI]
 * --store: an empty store (default: a SQLite file in a temporary directory,
 * removed afterwards). */
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "base/yaml_json.h"
#include "domain/prediction.h"
#include "domain/registry.h"
#include "monitor/monitor_run.h"
#include "monitor/monitor_window.h"
#include "store/deployments.h"
#include "store/monitors.h"
#include "store/prediction_performance.h"
#include "store/predictions.h"
#include "store/registry.h"
#include "store/store.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

#define HOUR  (3600 * 1000LL)
#define BATCH 1000
#define NUM   20

static void die(const char *what, const struct ferr *err)
{
    fprintf(stderr, "monitor_bench: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static double secs(int64_t t0)
{
    return (double)(ftime_mono_ns() - t0) / 1e9;
}

/* CPU seconds of the process: what a stage costs whatever the machine's load */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 11;
}

static double unit(uint64_t *x)
{
    return (double)(lcg(x) & ((1ULL << 53) - 1)) / (double)(1ULL << 53);
}

static int count_row(void *arg, const struct pred_row *r, struct ferr *err)
{
    (void)r;
    (void)err;
    (*(uint64_t *)arg)++;
    return 0;
}

static const char *const regions[] = {"eu", "us", "apac", "latam"};

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
    if (store_create_run(s, &rc, &run, &err))
        die("create run", &err);
    metric_list_add(&ml, "accuracy", 0.9, 1, 0);
    if (store_log_batch(s, run.info.run_id, &ml, NULL, NULL, &err))
        die("log metric", &err);
    metric_list_release(&ml);
    struct reg_write w;
    memset(&w, 0, sizeof(w));
    w.action = REG_CREATE_MODEL;
    w.name = "bm";
    w.user = "bench";
    if (store_registry_write(s, &w, &err))
        die("register", &err);
    w.action = REG_CREATE_VERSION;
    w.source = "/artifacts/model";
    w.run_id = run.info.run_id;
    if (store_registry_write(s, &w, &err))
        die("version", &err);
    run_release(&run);
    const char *yaml = "name: bdep\ntargets: [{model: 'models:/bm/1', weight: 100}]\n"
                       "task: classification\npositive_label: 1\n";
    json_t *doc = NULL;
    struct deployment d;
    int changed;
    if (yaml_to_json(yaml, strlen(yaml), &doc, &err) ||
        store_deployment_apply(s, doc, -1, "bench", &d, &changed, &err))
        die("deploy", &err);
    json_decref(doc);
    deployment_release(&d);
}

static char *columns_json(void)
{
    struct sbuf b = SBUF_INIT;
    sbuf_addstr(&b, "[");
    for (int i = 0; i < NUM; i++)
        sbuf_addf(&b, "\"x%d\",", i);
    sbuf_addstr(&b, "\"region\"]");
    return sbuf_detach(&b, NULL);
}

/* n rows over the hour starting at t0; shift moves x0..x4; labels (when
 * labels) right 80% of the time. */
static void put_hour(struct store *s, int64_t t0, long n, double shift, int labels, uint64_t seed,
                     uint32_t tag)
{
    struct ferr err = FERR_INIT;
    char *cols = columns_json();
    struct pred_row *rows = xcalloc(BATCH, sizeof(*rows));
    struct feedback_label *l = xcalloc(BATCH, sizeof(*l));
    char(*ids)[37] = xcalloc(BATCH, sizeof(*ids));
    uint64_t x = seed;
    for (long done = 0; done < n; done += BATCH) {
        long k = n - done < BATCH ? n - done : BATCH;
        for (long i = 0; i < k; i++) {
            struct pred_row *r = &rows[i];
            struct sbuf in = SBUF_INIT, out = SBUF_INIT;
            long at = done + i;
            int64_t t = t0 + at * (HOUR - 1000) / n;
            memset(r, 0, sizeof(*r));
            pred_rid_min(t, r->rid);
            r->rid[6] = 0x70;
            r->rid[8] = 0x80;
            memcpy(r->rid + 9, &tag, 3);
            r->rid[12] = (unsigned char)(at >> 24);
            r->rid[13] = (unsigned char)(at >> 16);
            r->rid[14] = (unsigned char)(at >> 8);
            r->rid[15] = (unsigned char)at;
            r->nrows = 1;
            r->time_ms = t;
            r->target.deployment = (char *)"bdep";
            r->target.revision = 1;
            r->target.model = (char *)"bm";
            r->target.version = 1;
            r->target.columns = cols;
            r->target.classes = (char *)"[0,1]";
            r->target.task = (char *)"classification";
            r->status = 200;
            pred_enc_count(&in, NUM + 1);
            double sum = 0;
            for (int c = 0; c < NUM; c++) {
                double v = unit(&x) + (c < 5 ? shift : 0);
                sum += v;
                pred_enc_number(&in, v);
            }
            const char *rg = regions[lcg(&x) % 4];
            pred_enc_string(&in, rg, strlen(rg));
            r->inputs = (unsigned char *)sbuf_detach(&in, &r->ninputs);
            double p = 1 / (1 + exp(-(sum - NUM / 2.0)));
            int pred = p > 0.5;
            struct pred_value v = {PV_NUMBER, pred, NULL, 0, 0};
            double proba[2] = {1 - p, p};
            pred_outputs_encode(&out, &v, 1, proba, 2);
            r->outputs = (unsigned char *)sbuf_detach(&out, &r->noutputs);
            pred_rid_text(r->rid, ids[i]);
            l[i].id = ids[i];
            l[i].label = (unit(&x) < 0.8 ? pred : !pred) ? "1" : "0";
        }
        if (store_predictions_put(s, rows, (size_t)k, &err))
            die("put rows", &err);
        if (labels) {
            struct feedback_result fr;
            memset(&fr, 0, sizeof(fr));
            if (store_feedback_put(s, "bdep", l, (size_t)k, "bench", &fr, &err))
                die("labels", &err);
            feedback_result_release(&fr);
        }
        for (long i = 0; i < k; i++) {
            free(rows[i].inputs);
            free(rows[i].outputs);
        }
    }
    free(rows);
    free(l);
    free(ids);
    free(cols);
}

static void apply(struct store *s, const char *name, int64_t t0, const char *window)
{
    char yaml[1024];
    struct ferr err = FERR_INIT;
    json_t *doc = NULL;
    struct monitor m;
    int changed;
    snprintf(yaml, sizeof(yaml),
             "name: %s\ndeployment: bdep\nreference: {window: {from: %lld, to: %lld}}\n"
             "window: %s\ndecay: {accuracy: {max_drop: 0.05}, f1: {min: 0.5}}\n"
             "quality: {max_missing_share: 0.1, max_out_of_range_share: 0.2}\n",
             name, (long long)t0, (long long)(t0 + HOUR), window);
    if (yaml_to_json(yaml, strlen(yaml), &doc, &err) ||
        store_monitor_apply(s, doc, -1, "bench", &m, &changed, &err))
        die("apply monitor", &err);
    json_decref(doc);
    monitor_release(&m);
}

static double judge(struct store *s, const char *name, int64_t end, struct monitor_report *r)
{
    struct ferr err = FERR_INIT;
    struct monitor m;
    struct monitor_env env = {s, NULL, NULL};
    int inserted = 0;
    if (store_monitor_get(s, name, &m, &err))
        die("get monitor", &err);
    int64_t t = ftime_mono_ns();
    if (monitor_run_window(&env, &m, end, r, &inserted, &err) || !inserted ||
        r->status != MON_STATUS_OK)
        die("judge a window", r->error && *r->error ? &err : &err);
    double took = secs(t);
    monitor_release(&m);
    return took;
}

int main(int argc, char **argv)
{
    long rows = 100000;
    const char *uri = NULL;
    char dir[] = "/tmp/ferry-monitor-bench-XXXXXX";
    static const struct option longopts[] = {{"rows", required_argument, NULL, 'n'},
                                             {"store", required_argument, NULL, 's'},
                                             {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'n')
            rows = strtol(optarg, NULL, 10);
        else if (c == 's')
            uri = optarg;
        else
            return 2;
    }
    if (rows < 1000 || rows > 2000000) {
        fprintf(stderr, "monitor_bench: --rows: 1,000 .. 2,000,000\n");
        return 2;
    }
    struct sbuf path = SBUF_INIT;
    if (!uri) {
        if (!mkdtemp(dir))
            die("mkdtemp", NULL);
        sbuf_addf(&path, "%s/store.db", dir);
        uri = path.buf;
    }
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    if (store_open(uri, &o, &s, &err))
        die("open", &err);
    setup(s);
    int64_t now = ftime_now_ms();
    int64_t t0 = now - now % HOUR - 3 * HOUR;
    int64_t tw = ftime_mono_ns();
    put_hour(s, t0, rows, 0, 0, 1, 1);
    put_hour(s, t0 + HOUR, rows, 0.3, 1, 2, 2);
    double put_s = secs(tw);
    int64_t refreshed = 0;
    if (store_prediction_hours_refresh(s, "bdep", 0, 0, &refreshed, &err))
        die("refresh", &err);
    fprintf(stderr, "monitor_bench: %ld + %ld rows logged and labeled in %.1f s\n", rows, rows,
            put_s);

    /* 0. the store's scan alone */
    uint64_t scanned = 0;
    double c0 = cpu_now();
    int64_t ts = ftime_mono_ns();
    if (store_predictions_scan(s, "bdep", t0 + HOUR, t0 + 2 * HOUR, count_row, &scanned, &err))
        die("scan", &err);
    double scan_s = secs(ts), scan_cpu = cpu_now() - c0;

    /* 1. reading the window */
    struct monitor_window w;
    struct monitor_window_query q = {"bdep", t0 + HOUR, t0 + 2 * HOUR, 0, NULL, 0};
    c0 = cpu_now();
    int64_t t = ftime_mono_ns();
    if (monitor_window_read(s, &q, &w, &err))
        die("read window", &err);
    double read_s = secs(t), read_cpu = cpu_now() - c0;
    size_t nread = w.nrows, ncols = w.table->ncols;
    monitor_window_release(&w);

    /* 2. the decay's input */
    struct perf_query pq = {"bdep", t0 + HOUR, t0 + 2 * HOUR, 0, NULL, 1, -1, 0};
    json_t *perf = NULL;
    t = ftime_mono_ns();
    if (store_prediction_performance(s, &pq, &perf, &err))
        die("performance", &err);
    double perf_s = secs(t);
    json_decref(perf);

    /* 3. whole windows */
    struct monitor_report r;
    apply(s, "by_time", t0, "{last: 1h}");
    c0 = cpu_now();
    double time_s = judge(s, "by_time", t0 + 2 * HOUR, &r);
    double time_cpu = cpu_now() - c0;
    json_t *body = json_loads(r.report, 0, NULL);
    json_t *tm = json_object_get(body, "timings");
    double win_s = json_number_value(json_object_get(tm, "window_s"));
    double ref_s = json_number_value(json_object_get(tm, "reference_s"));
    double drift_s = json_number_value(json_object_get(tm, "drift_s"));
    double decay_s = json_number_value(json_object_get(tm, "decay_s"));
    int drift = r.dataset_drift;
    double share = r.share_of_drifted_columns;
    size_t report_bytes = strlen(r.report);
    json_decref(body);
    monitor_report_release(&r);
    char win[64];
    snprintf(win, sizeof(win), "{last_rows: %ld}", rows);
    apply(s, "by_rows", t0, win);
    double rows_s = judge(s, "by_rows", t0 + 2 * HOUR, &r);
    monitor_report_release(&r);

    printf("{\"rows\": %ld, \"columns\": %zu, \"scan_s\": %.3f, \"scan_cpu_s\": %.3f, \"read_s\": "
           "%.3f, \"read_cpu_s\": %.3f, "
           "\"read_rows_per_s\": %.0f, "
           "\"performance_exact_s\": %.3f, \"window_by_time_s\": %.3f, \"window_by_time_cpu_s\": "
           "%.3f, \"window_by_rows_s\": "
           "%.3f, \"stages\": {\"window_s\": %.3f, \"reference_s\": %.3f, \"drift_s\": %.3f, "
           "\"decay_s\": %.3f}, \"dataset_drift\": %d, \"share_of_drifted_columns\": %.3f, "
           "\"report_bytes\": %zu, \"peak_rss_mb\": %.1f}\n",
           rows, ncols, scan_s, scan_cpu, read_s, read_cpu, (double)nread / read_s, perf_s, time_s,
           time_cpu, rows_s, win_s, ref_s, drift_s, decay_s, drift, share, report_bytes,
           (double)peak_rss_kb() / 1024);
    store_close(s);
    if (path.len) {
        struct sbuf cmd = SBUF_INIT;
        sbuf_addf(&cmd, "rm -rf '%s'", dir);
        if (system(cmd.buf) != 0)
            fprintf(stderr, "monitor_bench: could not remove %s\n", dir);
        sbuf_release(&cmd);
    }
    sbuf_release(&path);
    return 0;
}
