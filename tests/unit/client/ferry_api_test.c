/* SPDX-License-Identifier: MIT
 * The public libferry API on an embedded store: runs, buffering, search,
 * history, environment attachment and errors. */
#include "../test.h"
#include "ferry/ferry.h"
#include "base/sbuf.h"

#include <math.h>

static ferry_client *open_tmp(void)
{
    struct sbuf uri = SBUF_INIT;
    sbuf_addf(&uri, "sqlite://%s/api.db", test_tmpdir());
    ferry_client *c = NULL;
    ASSERT_INT_EQ(ferry_open(uri.buf, &c), FERRY_OK);
    sbuf_release(&uri);
    return c;
}

TEST(api_run_lifecycle_with_buffered_metrics)
{
    unsetenv("FERRY_RUN_ID");
    unsetenv("MLFLOW_RUN_ID");
    ferry_client *c = open_tmp();
    char *exp = NULL, *exp2 = NULL, *run = NULL;
    ASSERT_INT_EQ(ferry_set_experiment(c, "api", &exp), FERRY_OK);
    ASSERT_INT_EQ(ferry_set_experiment(c, "api", &exp2), FERRY_OK);
    ASSERT_STR_EQ(exp, exp2);
    ASSERT_INT_EQ(ferry_start_run(c, exp, "first", NULL, &run), FERRY_OK);
    ASSERT_INT_EQ(ferry_log_param(c, run, "eta", "0.3"), FERRY_OK);
    ASSERT_INT_EQ(ferry_log_param(c, run, "eta", "0.4"), FERRY_EINVAL);
    ASSERT_CONTAINS(ferry_last_error(c), "eta");
    for (int i = 0; i < 2500; i++) /* crosses the 1000-point batch size twice */
        ASSERT_INT_EQ(ferry_log_metric(c, run, "loss", 1.0 / (i + 1), 1000 + i, i), FERRY_OK);
    ASSERT_INT_EQ(ferry_log_metric(c, run, "nan", NAN, 0, 0), FERRY_OK);
    ASSERT_INT_EQ(ferry_log_metric(c, run, "bad/../key", 1, 0, 0), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_set_tag(c, run, "team", "c"), FERRY_OK);
    ferry_metric *pts = NULL;
    size_t n = 0;
    ASSERT_INT_EQ(ferry_get_metric_history(c, run, "loss", &pts, &n), FERRY_OK);
    ASSERT_INT_EQ(n, 2500);
    ASSERT_INT_EQ(pts[2499].step, 2499);
    ferry_free(pts);
    ASSERT_INT_EQ(ferry_end_run(c, run, FERRY_RUN_FINISHED), FERRY_OK);
    const char *ids[] = {exp};
    ferry_runs *r = NULL;
    ASSERT_INT_EQ(ferry_search_runs(c, ids, 1, "params.eta = '0.3'", "metrics.loss DESC", 0, NULL,
                                    &r),
                  FERRY_OK);
    ASSERT_INT_EQ(ferry_runs_count(r), 1);
    ASSERT_STR_EQ(ferry_runs_name(r, 0), "first");
    ASSERT_INT_EQ(ferry_runs_status(r, 0), FERRY_RUN_FINISHED);
    double v = 0;
    ASSERT_INT_EQ(ferry_runs_metric(r, 0, "loss", &v), 1);
    ASSERT(v == 1.0 / 2500);
    ASSERT_INT_EQ(ferry_runs_metric(r, 0, "nan", &v), 1);
    ASSERT(isnan(v));
    ASSERT_INT_EQ(ferry_runs_metric(r, 0, "absent", &v), 0);
    ASSERT_STR_EQ(ferry_runs_tag(r, 0, "mlflow.source.type"), "LOCAL");
    ASSERT(ferry_runs_param(r, 0, "absent") == NULL);
    ASSERT(ferry_runs_next_page_token(r) == NULL);
    ferry_runs_free(r);
    ASSERT_INT_EQ(ferry_search_runs(c, ids, 1, "params.eta >>> 1", NULL, 0, NULL, &r),
                  FERRY_EINVAL);
    ASSERT(r == NULL);
    ferry_free(exp);
    ferry_free(exp2);
    ferry_free(run);
    ASSERT_INT_EQ(ferry_close(c), FERRY_OK);
}

TEST(api_nested_runs_and_attach_by_env)
{
    ferry_client *c = open_tmp();
    char *parent = NULL, *child = NULL, *again = NULL;
    unsetenv("FERRY_RUN_ID");
    unsetenv("MLFLOW_RUN_ID");
    setenv("FERRY_EXPERIMENT_NAME", "from-env", 1);
    ASSERT_INT_EQ(ferry_start_run(c, NULL, NULL, NULL, &parent), FERRY_OK);
    ASSERT_INT_EQ(ferry_start_run(c, NULL, "child", parent, &child), FERRY_OK);
    char *exp = NULL;
    ASSERT_INT_EQ(ferry_get_experiment_by_name(c, "from-env", &exp), FERRY_OK);
    const char *ids[] = {exp};
    ferry_runs *r = NULL;
    ASSERT_INT_EQ(ferry_search_runs(c, ids, 1, "tags.mlflow.parentRunId != ''", NULL, 0, NULL,
                                    &r),
                  FERRY_OK);
    ASSERT_INT_EQ(ferry_runs_count(r), 1);
    ASSERT_STR_EQ(ferry_runs_tag(r, 0, "mlflow.parentRunId"), parent);
    ferry_runs_free(r);
    setenv("MLFLOW_RUN_ID", child, 1);
    ASSERT_INT_EQ(ferry_start_run(c, NULL, NULL, NULL, &again), FERRY_OK);
    ASSERT_STR_EQ(again, child);
    setenv("MLFLOW_RUN_ID", "0123456789abcdef0123456789abcdef", 1);
    char *none = NULL;
    ASSERT_INT_EQ(ferry_start_run(c, NULL, NULL, NULL, &none), FERRY_ENOTFOUND);
    unsetenv("MLFLOW_RUN_ID");
    unsetenv("FERRY_EXPERIMENT_NAME");
    ferry_free(parent);
    ferry_free(child);
    ferry_free(again);
    ferry_free(exp);
    ASSERT_INT_EQ(ferry_close(c), FERRY_OK);
}

TEST(api_errors_and_unreachable_server)
{
    ferry_client *c = NULL;
    ASSERT_INT_EQ(ferry_open("postgresql://x/y", &c), FERRY_EINTERNAL);
    ASSERT(c == NULL);
    ASSERT_CONTAINS(ferry_last_error(NULL), "postgresql");
    ASSERT_INT_EQ(ferry_open("mysql://x", &c), FERRY_EINVAL);
    /* port 1 on loopback: nothing listens, connection refused at once */
    ASSERT_INT_EQ(ferry_open("http://127.0.0.1:1", &c), FERRY_OK);
    char *id = NULL;
    ASSERT_INT_EQ(ferry_create_experiment(c, "x", NULL, &id), FERRY_EIO);
    ASSERT_INT_EQ(ferry_log_metric(c, "0123456789abcdef0123456789abcdef", "m", 1, 0, 0),
                  FERRY_OK); /* buffered */
    ASSERT_INT_EQ(ferry_flush(c), FERRY_EIO);
    ASSERT_INT_EQ(ferry_close(c), FERRY_EIO); /* says the buffered point was lost */
    ASSERT_STR_EQ(ferry_strerror(FERRY_ENOTFOUND), "not found");
    ASSERT_INT_EQ(ferry_close(NULL), FERRY_OK);
    ASSERT(ferry_version()[0] != '\0');
}
