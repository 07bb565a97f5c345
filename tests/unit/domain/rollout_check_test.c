/* SPDX-License-Identifier: MIT
 * domain/rollout_check: the controller's rules on figures made up here:
 * too little traffic waits, a skewed split is not judged, each guard
 * breaks on its own figures (and only there), advancing needs the
 * interval and the step's requests. */
#include "../test.h"
#include "base/yaml_json.h"
#include "domain/rollout_check.h"

#include <string.h>

static void spec_of(const char *yaml, struct deployment_spec *s)
{
    json_t *doc = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(yaml_to_json(yaml, strlen(yaml), &doc, &err), &err);
    ASSERT_OK(deployment_spec_parse(doc, s, &err), &err);
    json_decref(doc);
}

/* n requests, e of them failed, the answered ones at ms each */
static struct rollout_figures fig(int64_t n, int64_t e, double ms)
{
    struct rollout_figures f;
    memset(&f, 0, sizeof(f));
    latency_hist_init(&f.hist);
    f.requests = n;
    f.errors = e;
    for (int64_t i = 0; i < n - e; i++)
        latency_hist_add(&f.hist, (uint64_t)(ms * 1000));
    return f;
}

static const char yaml[] = "name: r\n"
                           "targets: [{model: \"models:/m/1\", weight: 90}, {model: \"models:/m/2\"}]\n"
                           "rollout:\n"
                           "  steps: [10, 50, 100]\n"
                           "  interval: 60s\n"
                           "  min_requests: 100\n"
                           "  guards: {window: 30s, min_samples: 20, max_error_rate: 0.05,\n"
                           "           max_p99_ms: 40, max_latency_ratio: 2}\n";

TEST(rollout_check_waits_skips_skew_and_breaks_each_guard)
{
    struct deployment_spec s;
    struct deployment_status st;
    char why[512];
    spec_of(yaml, &s);
    deployment_status_initial(&s, 0, &st); /* the candidate at 10% */
    struct rollout_figures stable = fig(900, 0, 5), step = fig(100, 0, 5);
    struct rollout_figures c = fig(19, 0, 5);
    ASSERT_INT_EQ(rollout_check(&s, &st, &c, &stable, &step, 1000, why, sizeof(why)),
                  ROLLOUT_WAIT);
    /* 30% of the traffic at a 10% weight: routing is wrong, nothing judged */
    c = fig(390, 390, 5);
    ASSERT_INT_EQ(rollout_check(&s, &st, &c, &stable, &step, 1000, why, sizeof(why)),
                  ROLLOUT_SKEWED);
    ASSERT_CONTAINS(why, "sample ratio");
    /* the right share: each guard on its own figures */
    c = fig(100, 10, 5);
    ASSERT_INT_EQ(rollout_check(&s, &st, &c, &stable, &step, 1000, why, sizeof(why)),
                  ROLLOUT_BREACH);
    ASSERT_CONTAINS(why, "max_error_rate");
    ASSERT_CONTAINS(why, "10 of 100");
    c = fig(100, 0, 60);
    ASSERT_INT_EQ(rollout_check(&s, &st, &c, &stable, &step, 1000, why, sizeof(why)),
                  ROLLOUT_BREACH);
    ASSERT_CONTAINS(why, "max_p99_ms");
    c = fig(100, 0, 15); /* under 40 ms, but 3x the stable 5 ms */
    ASSERT_INT_EQ(rollout_check(&s, &st, &c, &stable, &step, 1000, why, sizeof(why)),
                  ROLLOUT_BREACH);
    ASSERT_CONTAINS(why, "max_latency_ratio");
    /* the ratio waits for the stable targets' own sample */
    struct rollout_figures few = fig(10, 0, 5);
    ASSERT_INT_EQ(rollout_check(&s, &st, &c, &few, &step, 1000, why, sizeof(why)), ROLLOUT_HOLD);
    /* within every guard (an error rate at the limit holds) */
    c = fig(100, 5, 8);
    ASSERT_INT_EQ(rollout_check(&s, &st, &c, &stable, &step, 1000, why, sizeof(why)),
                  ROLLOUT_HOLD);
    ASSERT_STR_EQ(why, "");
    deployment_spec_release(&s);
}

TEST(rollout_check_advances_after_the_interval_and_the_steps_requests)
{
    struct deployment_spec s;
    struct deployment_status st;
    char why[512];
    spec_of(yaml, &s);
    deployment_status_initial(&s, 1000, &st);
    struct rollout_figures c = fig(100, 0, 5), stable = fig(900, 0, 5);
    struct rollout_figures step = fig(99, 0, 5);
    ASSERT_INT_EQ(rollout_check(&s, &st, &c, &stable, &step, 61000, why, sizeof(why)),
                  ROLLOUT_HOLD); /* one request short */
    step = fig(100, 0, 5);
    ASSERT_INT_EQ(rollout_check(&s, &st, &c, &stable, &step, 60999, why, sizeof(why)),
                  ROLLOUT_HOLD); /* a millisecond early */
    ASSERT_INT_EQ(rollout_check(&s, &st, &c, &stable, &step, 61000, why, sizeof(why)),
                  ROLLOUT_ADVANCE);
    /* a guard that breaks outranks a finished step */
    c = fig(100, 50, 5);
    ASSERT_INT_EQ(rollout_check(&s, &st, &c, &stable, &step, 61000, why, sizeof(why)),
                  ROLLOUT_BREACH);
    deployment_spec_release(&s);
}

TEST(rollout_quality_check_is_pending_until_min_labels_then_tests_non_inferiority)
{
    struct deployment_spec s, plain;
    char why[512];
    spec_of("name: r\n"
            "targets: [{model: \"models:/m/1\", weight: 90}, {model: \"models:/m/2\"}]\n"
            "rollout:\n"
            "  steps: [10, 100]\n"
            "  guards: {min_accuracy_delta: -0.02, min_labels: 1000}\n",
            &s);
    spec_of(yaml, &plain);
    struct rollout_quality q = {930, 1000, 940, 1000};
    ASSERT_INT_EQ(rollout_quality_check(&plain, &q, why, sizeof(why)), ROLLOUT_QUALITY_OFF);
    /* too few labels at either side: pending, whatever the accuracies */
    struct rollout_quality few = {999, 999, 10, 5000};
    ASSERT_INT_EQ(rollout_quality_check(&s, &few, why, sizeof(why)), ROLLOUT_QUALITY_PENDING);
    ASSERT_CONTAINS(why, "999 labeled rows at the candidate");
    few = (struct rollout_quality){0, 5000, 900, 999};
    ASSERT_INT_EQ(rollout_quality_check(&s, &few, why, sizeof(why)), ROLLOUT_QUALITY_PENDING);
    /* 1 point worse with a 2 point margin: z = 0.01 / 0.01102 = 0.907, p 0.18:
     * not shown non-inferior at 1,000 labels each ... */
    ASSERT_INT_EQ(rollout_quality_check(&s, &q, why, sizeof(why)), ROLLOUT_QUALITY_FAIL);
    ASSERT_CONTAINS(why, "not shown");
    /* ... shown at 10,000 each (z 2.87, p 0.002) */
    q = (struct rollout_quality){9300, 10000, 9400, 10000};
    ASSERT_INT_EQ(rollout_quality_check(&s, &q, why, sizeof(why)), ROLLOUT_QUALITY_PASS);
    ASSERT_CONTAINS(why, "shown at alpha 0.05");
    /* clearly worse: fails however many labels */
    q = (struct rollout_quality){8500, 10000, 9400, 10000};
    ASSERT_INT_EQ(rollout_quality_check(&s, &q, why, sizeof(why)), ROLLOUT_QUALITY_FAIL);
    deployment_spec_release(&s);
    deployment_spec_release(&plain);
}
