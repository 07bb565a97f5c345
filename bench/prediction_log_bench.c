/* SPDX-License-Identifier: MIT
 * Prediction log storage benchmark (issue 17; bench/prediction_log_bench.sh
 * runs it after the gateway figures). On a store that already holds the
 * deployment named by --deployment (two answering targets, the registered
 * model --model versions 1 and 2 at 90/10, task classification), it:
 *   1. logs --rows rows (default 1,000,000) over one UTC day (yesterday)
 *      through the store, in batches of 1,000: 20 input columns, a
 *      prediction and two class probabilities per row, a region tag;
 *      prints rows/s;
 *   2. labels every row through the store (batches of 1,000), prints
 *      labels/s, then recomputes the day's hourly aggregates and prints the
 *      time;
 *   3. starts `ferry server` on the store and times over REST, on one
 *      keep-alive connection, GET /api/2.0/ferry/deployments/performance for
 *      the day with bucket=1h: from the hourly aggregates (median of 10;
 *      target <= 200 ms) and exact=true from the raw rows, AUC included
 *      (median of 3; target <= 2 s), and exact=true with its default A/B
 *      bootstrap intervals (median of 3);
 *   4. POSTs 100 batches of 1,000 labels to /api/2.0/ferry/feedback/log,
 *      for consecutive requests (target >= 100,000 labels/s), then 100 for
 *      rows picked at random over the day (relabels: each replaces a label
 *      and adds to its history).
 * Every answer is checked. Ends with one JSON line of the figures.
 *
 *   build/bench/prediction_log_bench --store URI --deployment NAME --model NAME
 *                                    [--rows N] [--ferry build/ferry]
 */
#include "base/ftime.h"
#include "base/rng.h"
#include "base/sbuf.h"
#include "domain/prediction.h"
#include "store/predictions.h"
#include "store/store.h"

#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define BATCH 1000
#define COLS  20

static void die(const char *what, const struct ferr *err)
{
    fprintf(stderr, "prediction_log_bench: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[n / 2];
}

/* The rid of row i: time t_ms, then i in the random bits (unique, sorted by i). */
static void make_rid(int64_t t_ms, uint64_t i, unsigned char rid[PRED_RID_BYTES])
{
    pred_rid_min(t_ms, rid);
    rid[6] = (unsigned char)(0x70 | ((i >> 56) & 0x0f));
    for (int k = 0; k < 8; k++)
        rid[8 + k] = (unsigned char)(i >> (8 * (7 - k)));
    rid[8] = (unsigned char)(0x80 | (rid[8] & 0x3f));
}

struct gen {
    int64_t day_ms;
    size_t rows;
    struct pred_target t1, t2;
};

/* Row i's truth: the row's probability decides its prediction; the label
 * agrees about 90% of the time (85% for version 2). */
static void fill_row(const struct gen *g, size_t i, struct pred_row *r, int *truth)
{
    struct rng *rng = rng_thread();
    memset(r, 0, sizeof(*r));
    int64_t t = g->day_ms + (int64_t)((double)i * 86400000.0 / (double)g->rows);
    make_rid(t, i, r->rid);
    r->time_ms = t;
    r->nrows = 1;
    int v2 = i % 10 == 9;
    pred_target_copy(v2 ? &g->t2 : &g->t1, &r->target);
    r->tags = strdup(i % 3 == 0 ? "region=eu" : i % 3 == 1 ? "region=us" : "region=apac");
    r->latency_us = (uint32_t)(800 + rng_below(rng, 400));
    r->status = 200;
    struct sbuf in = SBUF_INIT, out = SBUF_INIT;
    pred_enc_count(&in, COLS);
    for (int c = 0; c < COLS; c++)
        pred_enc_number(&in, (double)(float)(rng_unit(rng) * 10));
    double p = (double)(float)rng_unit(rng);
    struct pred_value pv = {PV_NUMBER, p > 0.5 ? 1 : 0, NULL, 0, 0};
    double proba[2] = {1 - p, p};
    pred_outputs_encode(&out, &pv, 1, proba, 2);
    r->inputs = (unsigned char *)sbuf_detach(&in, &r->ninputs);
    r->outputs = (unsigned char *)sbuf_detach(&out, &r->noutputs);
    double agree = v2 ? 0.85 : 0.9;
    *truth = rng_unit(rng) < agree ? (p > 0.5) : !(p > 0.5);
}

static pid_t start_server(const char *ferry, const char *db, char *url, size_t n)
{
    int fds[2];
    if (pipe(fds) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        execl(ferry, ferry, "server", "--host", "127.0.0.1", "--port", "0", "--backend-store-uri",
              db, "--quiet", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[256] = "";
    if (!f || !fgets(line, sizeof(line), f) || !strstr(line, "listening on ")) {
        fprintf(stderr, "prediction_log_bench: the server did not start\n");
        exit(1);
    }
    snprintf(url, n, "%s", strstr(line, "http://"));
    url[strcspn(url, "\n")] = '\0';
    return pid;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
    sbuf_add(arg, p, size * nmemb);
    return size * nmemb;
}

/* One request; the time in ms; the answer must be 200 and contain expect. */
static double timed(CURL *h, const char *url, const char *post, const char *expect,
                    struct sbuf *body)
{
    long status = 0;
    sbuf_reset(body);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    if (post) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    int64_t t0 = ftime_mono_ns();
    CURLcode rc = curl_easy_perform(h);
    double ms = (double)(ftime_mono_ns() - t0) / 1e6;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200 || !body->buf || !strstr(body->buf, expect)) {
        fprintf(stderr, "prediction_log_bench: %s -> %ld %.300s\n", url, status,
                body->buf ? body->buf : curl_easy_strerror(rc));
        exit(1);
    }
    return ms;
}

static void target_init(struct pred_target *t, const char *deployment, const char *model,
                        int64_t version)
{
    struct sbuf cols = SBUF_INIT;
    sbuf_addch(&cols, '[');
    for (int c = 0; c < COLS; c++)
        sbuf_addf(&cols, "%s\"f%d\"", c ? "," : "", c);
    sbuf_addch(&cols, ']');
    t->deployment = strdup(deployment);
    t->revision = 1;
    t->model = strdup(model);
    t->version = version;
    t->shadow = 0;
    t->columns = sbuf_detach(&cols, NULL);
    t->classes = strdup("[\"0\",\"1\"]");
    t->task = strdup("classification");
}

int main(int argc, char **argv)
{
    const char *db = NULL, *deployment = NULL, *model = NULL, *ferry = "build/ferry";
    size_t rows = 1000000;
    static const struct option opts[] = {{"store", 1, NULL, 's'}, {"deployment", 1, NULL, 'd'},
                                         {"model", 1, NULL, 'm'}, {"rows", 1, NULL, 'n'},
                                         {"ferry", 1, NULL, 'f'}, {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 's')
            db = optarg;
        else if (o == 'd')
            deployment = optarg;
        else if (o == 'm')
            model = optarg;
        else if (o == 'n')
            rows = strtoull(optarg, NULL, 10);
        else if (o == 'f')
            ferry = optarg;
        else
            return 2;
    }
    if (!db || !deployment || !model || rows < BATCH || rows % BATCH) {
        fprintf(stderr, "usage: prediction_log_bench --store URI --deployment NAME --model NAME "
                        "[--rows N (a multiple of 1000)] [--ferry PATH]\n");
        return 2;
    }
    struct store_opts so = STORE_OPTS_INIT;
    struct store *s;
    struct ferr err = FERR_INIT;
    if (store_open(db, &so, &s, &err))
        die("opening the store", &err);
    struct gen g;
    int64_t now = ftime_now_ms();
    g.day_ms = now - now % 86400000 - 86400000; /* yesterday, UTC */
    g.rows = rows;
    target_init(&g.t1, deployment, model, 1);
    target_init(&g.t2, deployment, model, 2);
    unsigned char *truth = malloc(rows);
    struct pred_row *batch = calloc(BATCH, sizeof(*batch));
    if (!truth || !batch)
        die("allocating", NULL);

    /* 1. log */
    double put_s = 0;
    for (size_t at = 0; at < rows; at += BATCH) {
        for (size_t k = 0; k < BATCH; k++) {
            int t;
            fill_row(&g, at + k, &batch[k], &t);
            truth[at + k] = (unsigned char)t;
        }
        int64_t t0 = ftime_mono_ns();
        if (store_predictions_put(s, batch, BATCH, &err))
            die("logging", &err);
        put_s += (double)(ftime_mono_ns() - t0) / 1e9;
        for (size_t k = 0; k < BATCH; k++)
            pred_row_release(&batch[k]);
    }
    printf("logged %zu rows in %.2f s of store time: %.0f rows/s\n", rows, put_s,
           (double)rows / put_s);

    /* 2. label every row, then the aggregates */
    struct feedback_label labels[BATCH];
    char(*ids)[48] = malloc(sizeof(*ids) * BATCH);
    if (!ids)
        die("allocating", NULL);
    double label_s = 0;
    for (size_t at = 0; at < rows; at += BATCH) {
        struct feedback_result res = {0};
        for (size_t k = 0; k < BATCH; k++) {
            unsigned char rid[PRED_RID_BYTES];
            int64_t t = g.day_ms + (int64_t)((double)(at + k) * 86400000.0 / (double)rows);
            make_rid(t, at + k, rid);
            pred_rid_text(rid, ids[k]);
            labels[k] = (struct feedback_label){ids[k], truth[at + k] ? "1" : "0", 0};
        }
        int64_t t0 = ftime_mono_ns();
        if (store_feedback_put(s, deployment, labels, BATCH, "bench", &res, &err))
            die("labeling", &err);
        label_s += (double)(ftime_mono_ns() - t0) / 1e9;
        if (res.accepted != BATCH) {
            fprintf(stderr, "prediction_log_bench: %lld of %d labels accepted\n",
                    (long long)res.accepted, BATCH);
            return 1;
        }
        feedback_result_release(&res);
    }
    printf("labeled %zu rows through the store in %.2f s: %.0f labels/s\n", rows, label_s,
           (double)rows / label_s);
    int64_t refreshed = 0, t0 = ftime_mono_ns();
    if (store_prediction_hours_refresh(s, deployment, g.day_ms, g.day_ms + 86400000, &refreshed,
                                       &err))
        die("refreshing the aggregates", &err);
    double refresh_s = (double)(ftime_mono_ns() - t0) / 1e9;
    printf("recomputed %lld hourly aggregates from the rows in %.2f s\n", (long long)refreshed,
           refresh_s);
    store_close(s);

    /* 3. performance over REST */
    char url[128], q[512];
    pid_t pid = start_server(ferry, db, url, sizeof(url));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    struct sbuf body = SBUF_INIT;
    double agg[10], exact[3];
    snprintf(q, sizeof(q),
             "%s/api/2.0/ferry/deployments/performance?name=%s&start_time=%lld&end_time=%lld"
             "&bucket=1h",
             url, deployment, (long long)g.day_ms, (long long)(g.day_ms + 86400000));
    timed(h, q, NULL, "\"roc_auc\"", &body); /* warm */
    for (int i = 0; i < 10; i++)
        agg[i] = timed(h, q, NULL, "\"roc_auc\"", &body);
    strncat(q, "&exact=true", sizeof(q) - strlen(q) - 1);
    double boot[3];
    for (int i = 0; i < 3; i++)
        boot[i] = timed(h, q, NULL, "\"roc_auc\"", &body);
    strncat(q, "&resamples=-1", sizeof(q) - strlen(q) - 1);
    for (int i = 0; i < 3; i++)
        exact[i] = timed(h, q, NULL, "\"roc_auc\"", &body);
    double agg_ms = median(agg, 10), exact_ms = median(exact, 3), boot_ms = median(boot, 3);
    printf("performance of one day (%zu rows, 24 buckets, 2 targets) from the hourly aggregates: "
           "%.1f ms median of 10 (target <= 200 ms) %s\n",
           rows, agg_ms, agg_ms <= 200 ? "ok" : "MISSED");
    printf("the same exactly from the raw rows, AUC included: %.1f ms median of 3 (target <= "
           "2000 ms) %s\n",
           exact_ms, exact_ms <= 2000 ? "ok" : "MISSED");
    printf("exactly with the A/B bootstrap intervals of F1 and AUC (the default of exact=true): "
           "%.1f ms median of 3\n",
           boot_ms);

    /* 4. feedback over REST: labels for consecutive requests (a day's
     * labels arriving in the order of the traffic), then for rows picked at
     * random (relabels scattered over the day) */
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    snprintf(q, sizeof(q), "%s/api/2.0/ferry/feedback/log", url);
    struct sbuf post = SBUF_INIT;
    double rest_ms[2] = {0, 0};
    struct rng *rng = rng_thread();
    size_t nb = rows / BATCH < 100 ? rows / BATCH : 100;
    for (int random = 0; random < 2; random++)
        for (size_t b = 0; b < nb; b++) {
            sbuf_reset(&post);
            sbuf_addf(&post, "{\"deployment\":\"%s\",\"labels\":[", deployment);
            for (size_t k = 0; k < BATCH; k++) {
                size_t i = random ? (size_t)rng_below(rng, rows) : b * BATCH + k;
                unsigned char rid[PRED_RID_BYTES];
                char id[48];
                make_rid(g.day_ms + (int64_t)((double)i * 86400000.0 / (double)rows), i, rid);
                pred_rid_text(rid, id);
                sbuf_addf(&post, "%s{\"request_id\":\"%s\",\"label\":%d}", k ? "," : "", id,
                          !truth[i]);
            }
            sbuf_addstr(&post, "]}");
            rest_ms[random] += timed(h, q, post.buf, "\"accepted\":1000", &body);
        }
    double per_s = (double)nb * BATCH / (rest_ms[0] / 1000);
    double per_s_random = (double)nb * BATCH / (rest_ms[1] / 1000);
    printf("feedback over REST, %zu batches of 1,000 on one connection, consecutive requests: "
           "%.0f labels/s (target >= 100,000) %s\n",
           nb, per_s, per_s >= 100000 ? "ok" : "MISSED");
    printf("the same for rows picked at random over the day (relabels): %.0f labels/s\n",
           per_s_random);
    printf("{\"rows\":%zu,\"put_rows_per_s\":%.0f,\"store_labels_per_s\":%.0f,\"refresh_s\":%.2f,"
           "\"performance_aggregates_ms\":%.1f,\"performance_exact_ms\":%.1f,"
           "\"feedback_rest_labels_per_s\":%.0f,\"feedback_rest_random_labels_per_s\":%.0f}\n",
           rows, (double)rows / put_s, (double)rows / label_s, refresh_s, agg_ms, exact_ms, per_s,
           per_s_random);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    sbuf_release(&body);
    sbuf_release(&post);
    free(ids);
    free(batch);
    free(truth);
    pred_target_release(&g.t1);
    pred_target_release(&g.t2);
    return 0;
}
