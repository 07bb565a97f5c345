/* SPDX-License-Identifier: MIT
 * The performance table's benchmark (issue 17), in-process, no server:
 * ROWS logged rows of one day over two targets (a classifier with class
 * probabilities, a region tag), 70% labeled, then
 *   agg_first   the day's table from the hourly aggregates, 1h buckets,
 *               the dirty hours recomputed first (the first read after
 *               writes)
 *   agg         the same again, clean                          <= 200 ms
 *   exact       the day's table from every row, 1h buckets, exact ROC
 *               AUC, no bootstrap                              <= 2 s
 *   exact_boot  the same with the A/B bootstrap (--resamples)
 *   accuracy    the rollout guard's counts (exact)
 * Ends with one JSON line.
 *
 *   make bench && build/bench/plog_perf_bench [--rows N] [--resamples N]
 *                                              [--backend-store-uri URI [--no-load]]
 * (--no-load: the rows are already in URI's store, from a run of the same
 * day with the same --rows)
 */
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "store/prediction_performance.h"
#include "store/predictions.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY  86400000LL
#define HOUR 3600000LL

static void make_rid(int64_t ms, uint64_t seq, unsigned char rid[PRED_RID_BYTES])
{
    for (int i = 0; i < 6; i++)
        rid[i] = (unsigned char)((uint64_t)ms >> (40 - 8 * i));
    rid[6] = 0x70;
    rid[7] = 0;
    for (int i = 8; i < 16; i++)
        rid[i] = (unsigned char)(seq >> (8 * (15 - i)));
    rid[8] = (unsigned char)(0x80 | (rid[8] & 0x3f));
}

static double timed_perf(struct store *s, const struct perf_query *q, json_t **keep)
{
    struct ferr err = FERR_INIT;
    json_t *a = NULL;
    int64_t t = ftime_mono_ns();
    if (store_prediction_performance(s, q, &a, &err)) {
        fprintf(stderr, "performance: %s\n", err.msg);
        exit(1);
    }
    double ms = (ftime_mono_ns() - t) / 1e6;
    if (keep)
        *keep = a;
    else
        json_decref(a);
    return ms;
}

int main(int argc, char **argv)
{
    long nrows = 1000000, resamples = 200;
    int no_load = 0;
    const char *uri = NULL;
    static const struct option opts[] = {{"rows", required_argument, NULL, 'r'},
                                         {"resamples", required_argument, NULL, 's'},
                                         {"backend-store-uri", required_argument, NULL, 'u'},
                                         {"no-load", no_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r')
            nrows = strtol(optarg, NULL, 10);
        else if (c == 's')
            resamples = strtol(optarg, NULL, 10);
        else if (c == 'u')
            uri = optarg;
        else if (c == 'n')
            no_load = 1;
        else
            return 2;
    }
    if (nrows < 1 || resamples < 1 || (no_load && !uri))
        return 2;
    char tmpl[] = "/tmp/plog_perf_bench_XXXXXX";
    char path[512];
    if (!uri) {
        if (!mkdtemp(tmpl))
            return 1;
        snprintf(path, sizeof(path), "%s/ferry.db", tmpl);
        uri = path;
    }
    struct store_opts so = STORE_OPTS_INIT;
    struct store *s;
    struct ferr err = FERR_INIT;
    if (store_open(uri, &so, &s, &err)) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 1;
    }
    /* yesterday, UTC: a whole day in the past */
    int64_t now = ftime_now_ms();
    int64_t t0 = now - now % DAY - DAY;
    int64_t step = (DAY - 1000) / nrows;
    if (step < 1)
        step = 1;

    enum { BATCH = 1000 };
    struct pred_row *rows = xcalloc(BATCH, sizeof(*rows));
    char dep[] = "perf", model[] = "clf", classes[] = "[0, 1]", task[] = "classification";
    char cols[] = "[\"a\",\"b\",\"c\",\"d\"]";
    struct pred_target tgt[2] = {{dep, 1, model, 1, 0, cols, classes, task},
                                 {dep, 1, model, 2, 0, cols, classes, task}};
    int64_t load = ftime_mono_ns();
    for (long done = 0; !no_load && done < nrows; done += BATCH) {
        long n = nrows - done < BATCH ? nrows - done : BATCH;
        for (long i = 0; i < n; i++) {
            long k = done + i;
            struct pred_row *r = &rows[i];
            memset(r, 0, sizeof(*r));
            make_rid(t0 + k * step, (uint64_t)k, r->rid);
            r->nrows = 1;
            r->time_ms = t0 + k * step;
            r->target = tgt[k % 2];
            r->tags = xstrdup(k % 3 ? "region=eu" : "region=us");
            r->latency_us = (uint32_t)(800 + k % 3000);
            r->status = k % 500 ? 200 : 500;
            struct sbuf b = SBUF_INIT;
            pred_enc_count(&b, 4);
            for (int j = 0; j < 4; j++)
                pred_enc_number(&b, (double)((k * 7 + j * 13) % 1000) / 7.0);
            r->ninputs = b.len;
            r->inputs = (unsigned char *)sbuf_detach(&b, NULL);
            double p = (double)((k * 7919) % 10007) / 10007.0;
            struct pred_value v = {PV_NUMBER, p > 0.5, NULL, 0, 0};
            double proba[2] = {1 - p, p};
            pred_outputs_encode(&b, &v, 1, proba, 2);
            r->noutputs = b.len;
            r->outputs = (unsigned char *)sbuf_detach(&b, NULL);
        }
        if (store_predictions_put(s, rows, (size_t)n, &err)) {
            fprintf(stderr, "put: %s\n", err.msg);
            return 1;
        }
        for (long i = 0; i < n; i++) {
            free(rows[i].tags);
            free(rows[i].inputs);
            free(rows[i].outputs);
        }
    }
    free(rows);
    /* 70% labeled: right 80% of the time for version 2, 75% for version 1 */
    char(*ids)[40] = xcalloc(BATCH, 40);
    struct feedback_label labels[BATCH];
    long labeled = 0;
    for (long done = 0; !no_load && done < nrows; done += BATCH) {
        size_t n = 0;
        for (long k = done; k < nrows && k < done + BATCH; k++) {
            if (k % 10 >= 7)
                continue;
            unsigned char rid[16];
            make_rid(t0 + k * step, (uint64_t)k, rid);
            pred_rid_text(rid, ids[n]);
            double p = (double)((k * 7919) % 10007) / 10007.0;
            int pred = p > 0.5, right = (k * 31) % 100 < (k % 2 ? 80 : 75);
            labels[n] = (struct feedback_label){ids[n], (right ? pred : !pred) ? "1" : "0", 0};
            n++;
        }
        struct feedback_result res;
        if (store_feedback_put(s, "perf", labels, n, "bench", &res, &err)) {
            fprintf(stderr, "feedback: %s\n", err.msg);
            return 1;
        }
        labeled += res.accepted;
        feedback_result_release(&res);
    }
    free(ids);
    double load_s = (ftime_mono_ns() - load) / 1e9;

    struct perf_query q = {"perf", t0, t0 + DAY, HOUR, NULL, 0, -1, 0};
    double agg_first = timed_perf(s, &q, NULL);
    double agg = timed_perf(s, &q, NULL);
    q.exact = 1;
    json_t *a = NULL;
    double exact = timed_perf(s, &q, &a);
    q.resamples = resamples;
    double exact_boot = timed_perf(s, &q, NULL);
    struct perf_accuracy_list acc;
    int64_t t = ftime_mono_ns();
    if (store_prediction_accuracy(s, "perf", t0, t0 + DAY, &acc, &err)) {
        fprintf(stderr, "accuracy: %s\n", err.msg);
        return 1;
    }
    double accuracy = (ftime_mono_ns() - t) / 1e6;
    perf_accuracy_list_release(&acc);
    json_t *m = json_object_get(json_array_get(json_object_get(a, "targets"), 0), "metrics");
    double auc = json_number_value(json_object_get(m, "roc_auc"));
    json_decref(a);
    store_close(s);

    printf("{\"rows\": %ld, \"labeled\": %ld, \"load_s\": %.1f, \"agg_first_ms\": %.1f, "
           "\"agg_ms\": %.1f, \"exact_ms\": %.1f, \"exact_boot_ms\": %.1f, \"resamples\": %ld, "
           "\"accuracy_ms\": %.1f, \"roc_auc\": %.6f}\n",
           nrows, labeled, load_s, agg_first, agg, exact, exact_boot, resamples, accuracy, auc);
    if (uri == path) {
        struct sbuf cmd = SBUF_INIT;
        sbuf_addf(&cmd, "rm -rf '%s'", tmpl);
        if (system(cmd.buf) != 0)
            fprintf(stderr, "could not remove %s\n", tmpl);
        sbuf_release(&cmd);
    }
    return 0;
}
