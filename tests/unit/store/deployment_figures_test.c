/* SPDX-License-Identifier: MIT
 * store/deployment_figures: per-target figures over a window from every
 * gateway's rows, counts added and latency histograms merged (the merged
 * p99 is the p99 of all the traffic, not an average of p99s). */
#include "../test.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "base/yaml_json.h"
#include "store/deployment_figures.h"

#include <math.h>
#include <string.h>

/* fraud/1 at 90, fraud/2 at 10, shadow fraud/3, resolved by hand. */
static void make_deployment(struct deployment *d)
{
    static const char yaml[] = "name: fraud\n"
                               "targets:\n"
                               "  - {model: \"models:/fraud/1\", weight: 90}\n"
                               "  - {model: \"models:/fraud/2\", weight: 10}\n"
                               "shadow: [{model: \"models:/fraud/3\"}]\n";
    json_t *doc = NULL;
    struct ferr err = FERR_INIT;
    memset(d, 0, sizeof(*d));
    ASSERT_OK(yaml_to_json(yaml, strlen(yaml), &doc, &err), &err);
    ASSERT_OK(deployment_spec_parse(doc, &d->spec, &err), &err);
    json_decref(doc);
    for (size_t i = 0; i < 2; i++) {
        d->spec.targets[i].name = xstrdup("fraud");
        d->spec.targets[i].version = (int64_t)i + 1;
    }
    d->spec.shadows[0].name = xstrdup("fraud");
    d->spec.shadows[0].version = 3;
    d->name = xstrdup("fraud");
    d->revision = 1;
    deployment_status_initial(&d->spec, 0, &d->status);
}

/* A histogram of n values of us microseconds each, as text. */
static char *hist_text(uint64_t n, uint64_t us)
{
    struct latency_hist h;
    struct sbuf sb = SBUF_INIT;
    latency_hist_init(&h);
    for (uint64_t i = 0; i < n; i++)
        latency_hist_add(&h, us);
    latency_hist_encode(&h, &sb);
    return sbuf_detach(&sb, NULL);
}

static void row(struct deploy_stats_list *l, const char *gw, const char *target, int64_t second,
                int64_t requests, int64_t errors, uint64_t us)
{
    if (l->n == l->alloc) {
        l->alloc = l->alloc ? 2 * l->alloc : 8;
        l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
    }
    struct deploy_stats *r = &l->v[l->n++];
    memset(r, 0, sizeof(*r));
    r->deployment = xstrdup("fraud");
    r->revision = 1;
    r->gateway = xstrdup(gw);
    r->target = xstrdup(target);
    r->second_ms = second;
    r->requests = requests;
    r->errors = errors;
    r->client_errors = 1;
    r->hist = hist_text((uint64_t)requests, us);
}

TEST(figures_add_every_gateway_and_merge_histograms)
{
    struct deployment d;
    struct deploy_stats_list rows = {NULL, 0, 0};
    struct target_figures_list f;
    struct ferr err = FERR_INIT;
    make_deployment(&d);
    /* gateway a: 98 fast requests at fraud/1; gateway b: 2 slow ones. The
     * merged p99 is the slow one's; an average of the two p99s would not be. */
    row(&rows, "gw-a", "fraud/1", 10000, 98, 1, 1000);
    row(&rows, "gw-b", "fraud/1", 11000, 2, 0, 200000);
    row(&rows, "gw-a", "fraud/2", 10000, 10, 5, 5000);
    row(&rows, "gw-b", "shadow:fraud/3", 12000, 4, 0, 3000);
    row(&rows, "gw-a", "fraud/1", 5000, 1000, 1000, 9000);    /* before the window */
    row(&rows, "gw-a", "fraud/1", 20000, 1000, 1000, 9000);   /* at its end: excluded */
    row(&rows, "gw-a", "fraud/9", 10000, 7, 0, 1000);         /* not a target */
    ASSERT_OK(deployment_figures(&d, &rows, 10000, 20000, &f, &err), &err);
    ASSERT_INT_EQ(f.n, 3);
    ASSERT_STR_EQ(f.v[0].target, "fraud/1");
    ASSERT_INT_EQ(f.v[0].weight, 90);
    ASSERT_INT_EQ(f.v[0].shadow, 0);
    ASSERT_INT_EQ(f.v[0].requests, 100);
    ASSERT_INT_EQ(f.v[0].errors, 1);
    ASSERT_INT_EQ(f.v[0].client_errors, 2);
    ASSERT(fabs(f.v[0].error_rate - 0.01) < 1e-9);
    ASSERT(fabs(f.v[0].rps - 10.0) < 1e-9); /* 100 requests over 10 s */
    ASSERT(f.v[0].p50_ms > 0.9 && f.v[0].p50_ms < 1.1);
    ASSERT(f.v[0].p99_ms > 180 && f.v[0].p99_ms < 220);
    ASSERT_INT_EQ(latency_hist_count(&f.v[0].hist), 100);
    ASSERT_STR_EQ(f.v[1].target, "fraud/2");
    ASSERT_INT_EQ(f.v[1].weight, 10);
    ASSERT(fabs(f.v[1].error_rate - 0.5) < 1e-9);
    ASSERT_STR_EQ(f.v[2].target, "shadow:fraud/3");
    ASSERT_INT_EQ(f.v[2].shadow, 1);
    ASSERT_INT_EQ(f.v[2].weight, 0);
    ASSERT_INT_EQ(f.v[2].requests, 4);
    target_figures_list_release(&f);

    /* a window without traffic: zeros, no latencies */
    ASSERT_OK(deployment_figures(&d, &rows, 30000, 40000, &f, &err), &err);
    ASSERT_INT_EQ(f.n, 3);
    ASSERT_INT_EQ(f.v[0].requests, 0);
    ASSERT(f.v[0].error_rate == 0 && f.v[0].rps == 0);
    ASSERT(isnan(f.v[0].p99_ms) && isnan(f.v[0].p50_ms));
    target_figures_list_release(&f);

    /* a row whose histogram does not decode names its gateway */
    free(rows.v[1].hist);
    rows.v[1].hist = xstrdup("3:10");
    ASSERT_FAILS(deployment_figures(&d, &rows, 10000, 20000, &f, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "gw-b");
    ASSERT_INT_EQ(f.n, 0);
    deploy_stats_list_release(&rows);
    deployment_release(&d);
}

TEST(figures_target_keys)
{
    struct deployment d;
    char key[64];
    make_deployment(&d);
    deployment_target_key(&d, 0, 1, key, sizeof(key));
    ASSERT_STR_EQ(key, "fraud/2");
    deployment_target_key(&d, 1, 0, key, sizeof(key));
    ASSERT_STR_EQ(key, "shadow:fraud/3");
    deployment_release(&d);
}
