/* SPDX-License-Identifier: MIT
 * store/predictions' hourly slices on both backends: a tag that takes a
 * new value every request (a session id) keeps at most 100 values per
 * target and hour, the rest added up as "(other)", so an hour costs what
 * its distinct slices are worth, not what its traffic is. */
#include "../test.h"
#include "base/xalloc.h"
#include "store/predictions.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

/* 2026-12-01T00:00:00Z */
static const int64_t T0 = 1796083200000LL;

STORE_TEST(prediction_hours_keep_at_most_100_values_of_a_tag)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri("slices");
    o.default_artifact_root = "/artifacts";
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    free(uri);
    enum { N = 150 };
    struct pred_row *rows = xcalloc(N, sizeof(*rows));
    for (int i = 0; i < N; i++) {
        struct pred_row *r = &rows[i];
        pred_rid_min(T0 + 1000 * i, r->rid);
        r->rid[6] = (unsigned char)(0x70 | (r->rid[6] & 0x0f));
        r->rid[8] = 0x80;
        r->rid[15] = (unsigned char)i;
        r->nrows = 1;
        r->time_ms = T0 + 1000 * i;
        r->target.deployment = xstrdup("slices");
        r->target.revision = 1;
        r->target.model = xstrdup("m");
        r->target.version = 1;
        r->target.columns = xstrdup("[]");
        r->target.classes = xstrdup("[]");
        r->target.task = xstrdup("classification");
        char tags[64];
        snprintf(tags, sizeof(tags), "region=eu,session=s%03d", i);
        r->tags = xstrdup(tags);
        r->status = 200;
        struct sbuf b = SBUF_INIT;
        struct pred_value v = {PV_NUMBER, i % 2, NULL, 0, 0};
        pred_outputs_encode(&b, &v, 1, NULL, 0);
        r->outputs = (unsigned char *)sbuf_detach(&b, &r->noutputs);
    }
    ASSERT_OK(store_predictions_put(s, rows, N, &err), &err);
    struct pred_hour_list l;
    ASSERT_OK(store_prediction_hours(s, "slices", T0, T0 + 3600000, &l, &err), &err);
    int64_t whole = 0, region = 0, sessions = 0, values = 0, other = 0;
    for (size_t i = 0; i < l.n; i++) {
        const struct pred_hour *h = &l.v[i];
        if (!*h->slice_key)
            whole += h->count;
        else if (!strcmp(h->slice_key, "tag:region"))
            region += h->count;
        else if (!strcmp(h->slice_key, "tag:session")) {
            sessions += h->count;
            if (!strcmp(h->slice_value, "(other)"))
                other = h->count;
            else
                values++;
        }
    }
    ASSERT_INT_EQ(whole, N);
    ASSERT_INT_EQ(region, N);
    ASSERT_INT_EQ(sessions, N);
    ASSERT_INT_EQ(values, 100);
    ASSERT_INT_EQ(other, N - 100);
    pred_hour_list_release(&l);
    for (int i = 0; i < N; i++)
        pred_row_release(&rows[i]);
    free(rows);
    store_close(s);
}
