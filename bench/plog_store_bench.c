/* SPDX-License-Identifier: MIT
 * Prediction log store benchmark (issue 17), in-process, no server:
 *   put        ROWS logged rows (8 numeric inputs, a class and two
 *              probabilities, tags, a caller id on half) in batches   >= 50,000 rows/s
 *   feedback   a label for each row by its id, in batches of 1,000   >= 100,000 labels/s
 *   hours      the day's hourly aggregates recomputed and read
 *   scan       every row read back once (the exact path)
 * and the bytes per row on disk (SQLite). Ends with one JSON line.
 *
 *   make bench && build/bench/plog_store_bench [--rows N] [--batch N]
 *                                              [--backend-store-uri URI]
 */
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "store/predictions.h"
#include "store/store.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY 86400000LL

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

static int count_row(void *arg, const struct pred_row *r, struct ferr *err)
{
    (void)err;
    (void)r;
    (*(long *)arg)++;
    return 0;
}

static long dir_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    long total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        struct sbuf p = SBUF_INIT;
        sbuf_addf(&p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (!stat(p.buf, &st))
            total += S_ISDIR(st.st_mode) ? dir_bytes(p.buf) : (long)st.st_size;
        sbuf_release(&p);
    }
    closedir(d);
    return total;
}

int main(int argc, char **argv)
{
    long nrows = 200000, batch = 1000;
    const char *uri = NULL;
    static const struct option opts[] = {{"rows", required_argument, NULL, 'r'},
                                         {"batch", required_argument, NULL, 'b'},
                                         {"backend-store-uri", required_argument, NULL, 'u'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r')
            nrows = strtol(optarg, NULL, 10);
        else if (c == 'b')
            batch = strtol(optarg, NULL, 10);
        else if (c == 'u')
            uri = optarg;
        else
            return 2;
    }
    if (nrows < 1 || batch < 1 || batch > 10000)
        return 2;
    char tmpl[] = "/tmp/plog_bench_XXXXXX";
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
    int64_t now = ftime_now_ms();
    int64_t t0 = now - now % DAY; /* today, spread over its hours */
    int64_t step = (DAY - 1000) / nrows;
    if (step < 1)
        step = 1;

    /* put */
    struct pred_row *rows = xcalloc((size_t)batch, sizeof(*rows));
    char dep[] = "bench", model[] = "clf", classes[] = "[0, 1]", task[] = "classification";
    char cols[] = "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\"]";
    struct pred_target tgt = {dep, 1, model, 3, 0, cols, classes, task};
    int64_t put_ns = 0;
    for (long done = 0; done < nrows; done += batch) {
        long n = nrows - done < batch ? nrows - done : batch;
        for (long i = 0; i < n; i++) {
            long k = done + i;
            struct pred_row *r = &rows[i];
            memset(r, 0, sizeof(*r));
            make_rid(t0 + k * step, (uint64_t)k, r->rid);
            r->nrows = 1;
            r->time_ms = t0 + k * step;
            r->target = tgt;
            char caller[32];
            snprintf(caller, sizeof(caller), "c-%ld", k);
            r->caller_id = k % 2 ? xstrdup(caller) : NULL;
            r->tags = xstrdup(k % 3 ? "region=eu" : "region=us");
            r->latency_us = (uint32_t)(800 + k % 3000);
            r->status = 200;
            struct sbuf b = SBUF_INIT;
            pred_enc_count(&b, 8);
            for (int j = 0; j < 8; j++)
                pred_enc_number(&b, (double)((k * 7 + j * 13) % 1000) / 7.0);
            r->ninputs = b.len;
            r->inputs = (unsigned char *)sbuf_detach(&b, NULL);
            double p = (double)(k % 997) / 997.0;
            struct pred_value v = {PV_NUMBER, p > 0.5, NULL, 0, 0};
            double proba[2] = {1 - p, p};
            pred_outputs_encode(&b, &v, 1, proba, 2);
            r->noutputs = b.len;
            r->outputs = (unsigned char *)sbuf_detach(&b, NULL);
        }
        int64_t a = ftime_mono_ns();
        if (store_predictions_put(s, rows, (size_t)n, &err)) {
            fprintf(stderr, "put: %s\n", err.msg);
            return 1;
        }
        put_ns += ftime_mono_ns() - a;
        for (long i = 0; i < n; i++) {
            free(rows[i].caller_id);
            free(rows[i].tags);
            free(rows[i].inputs);
            free(rows[i].outputs);
        }
    }
    free(rows);

    /* feedback, batches of 1,000 by id */
    enum { LB = 1000 };
    char(*ids)[40] = xcalloc(LB, 40);
    struct feedback_label labels[LB];
    int64_t label_ns = 0;
    long accepted = 0;
    for (long done = 0; done < nrows; done += LB) {
        long n = nrows - done < LB ? nrows - done : LB;
        for (long i = 0; i < n; i++) {
            long k = done + i;
            unsigned char rid[16];
            make_rid(t0 + k * step, (uint64_t)k, rid);
            pred_rid_text(rid, ids[i]);
            labels[i] = (struct feedback_label){ids[i], (k * 31) % 5 < 2 ? "1" : "0", 0};
        }
        struct feedback_result res;
        int64_t a = ftime_mono_ns();
        if (store_feedback_put(s, "bench", labels, (size_t)n, "bench", &res, &err)) {
            fprintf(stderr, "feedback: %s\n", err.msg);
            return 1;
        }
        label_ns += ftime_mono_ns() - a;
        accepted += res.accepted;
        feedback_result_release(&res);
    }
    free(ids);

    /* hours: recompute the day and read it */
    int64_t a = ftime_mono_ns();
    struct pred_hour_list hl;
    if (store_prediction_hours(s, "bench", t0, t0 + DAY, &hl, &err)) {
        fprintf(stderr, "hours: %s\n", err.msg);
        return 1;
    }
    int64_t hours_ns = ftime_mono_ns() - a;
    size_t nhours = hl.n;
    pred_hour_list_release(&hl);
    a = ftime_mono_ns();
    if (store_prediction_hours(s, "bench", t0, t0 + DAY, &hl, &err))
        return 1;
    int64_t hours_read_ns = ftime_mono_ns() - a;
    pred_hour_list_release(&hl);
    long scanned = 0;
    a = ftime_mono_ns();
    if (store_predictions_scan(s, "bench", t0, t0 + DAY, count_row, &scanned, &err))
        return 1;
    int64_t scan_ns = ftime_mono_ns() - a;
    store_close(s);

    long bytes = 0;
    if (uri == path) {
        struct sbuf d = SBUF_INIT;
        sbuf_addf(&d, "%s-predictions", path);
        bytes = dir_bytes(d.buf);
        sbuf_release(&d);
    }
    printf("{\"rows\": %ld, \"batch\": %ld, \"put_rows_per_s\": %.0f, \"labels\": %ld, "
           "\"labels_per_s\": %.0f, \"hours_refresh_ms\": %.1f, \"hours\": %zu, "
           "\"hours_read_ms\": %.1f, \"scan_rows\": %ld, \"scan_ms\": %.1f, "
           "\"bytes_per_row\": %.1f}\n",
           nrows, batch, nrows / (put_ns / 1e9), accepted, accepted / (label_ns / 1e9),
           hours_ns / 1e6, nhours, hours_read_ns / 1e6, scanned, scan_ns / 1e6,
           bytes ? (double)bytes / nrows : 0.0);
    if (uri == path) {
        struct sbuf cmd = SBUF_INIT;
        sbuf_addf(&cmd, "rm -rf '%s'", tmpl);
        if (system(cmd.buf) != 0)
            fprintf(stderr, "could not remove %s\n", tmpl);
        sbuf_release(&cmd);
    }
    return 0;
}
