/* SPDX-License-Identifier: MIT
 * struct client over both transports with one scenario: embedded on a SQLite
 * file in the test's directory, and REST against a real `ferry server`
 * (the binary beside unit-tests) on a free loopback port. Whatever the
 * transport, the same calls must give the same results and error codes. */
#include "../test.h"
#include "test_server.h"
#include "base/ferr.h"
#include "base/sbuf.h"
#include "client/client.h"

#include <unistd.h>

#define RUN_A "0123456789abcdef0123456789abcdef" /* well-formed, never issued */

static char *make_run(struct client *c, const char *exp, const char *name)
{
    struct run_create rc = {exp, "tester", name, TIME_NONE, {0}};
    struct run r;
    struct ferr err = FERR_INIT;
    ASSERT_OK(client_create_run(c, &rc, &r, &err), &err);
    ASSERT_STR_EQ(r.info.run_name, name);
    ASSERT_INT_EQ(r.info.status, RUN_RUNNING);
    char *id = strdup(r.info.run_id);
    run_release(&r);
    return id;
}

static char *experiments(struct client *c)
{
    struct ferr err = FERR_INIT;
    struct experiment e;
    struct kv_list tags = {0};
    char *id = NULL;
    kv_list_add(&tags, "team", "vision");
    ASSERT_OK(client_create_experiment(c, "exp-a", NULL, &tags, &id, &err), &err);
    ASSERT_FAILS(client_create_experiment(c, "exp-a", NULL, NULL, NULL, &err), &err,
                 FERR_RESOURCE_ALREADY_EXISTS);
    ASSERT_OK(client_set_experiment_tag(c, id, "stage", "dev", &err), &err);
    ASSERT_OK(client_delete_experiment_tag(c, id, "team", &err), &err);
    ASSERT_OK(client_rename_experiment(c, id, "exp-b", &err), &err);
    ASSERT_FAILS(client_get_experiment_by_name(c, "exp-a", &e, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(client_get_experiment_by_name(c, "exp-b", &e, &err), &err);
    ASSERT_STR_EQ(e.experiment_id, id);
    ASSERT_STR_EQ(kv_list_get(&e.tags, "stage"), "dev");
    ASSERT(kv_list_get(&e.tags, "team") == NULL);
    experiment_release(&e);

    struct experiment_search q = {"name LIKE 'exp-%'", VIEW_ALL, 10, NULL, 0, NULL};
    struct experiment_list l;
    ASSERT_OK(client_search_experiments(c, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].name, "exp-b");
    experiment_list_release(&l);

    ASSERT_OK(client_delete_experiment(c, id, &err), &err);
    ASSERT_OK(client_get_experiment(c, id, &e, &err), &err);
    ASSERT_INT_EQ(e.lifecycle_stage, LIFECYCLE_DELETED);
    experiment_release(&e);
    ASSERT_OK(client_restore_experiment(c, id, &err), &err);
    ASSERT_FAILS(client_get_experiment(c, "424242", &e, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    kv_list_release(&tags);
    return id;
}

/* 250 params, 150 tags and 2500 metrics: more than one request may carry,
 * so the client splits them; all of it must land. */
static void big_batch(struct client *c, const char *run)
{
    struct metric_list m = {0};
    struct kv_list p = {0}, t = {0};
    struct ferr err = FERR_INIT;
    char k[32], v[32];
    for (int i = 0; i < 250; i++) {
        snprintf(k, sizeof(k), "p%03d", i);
        snprintf(v, sizeof(v), "%d", i);
        kv_list_add(&p, k, v);
        if (i < 150)
            kv_list_add(&t, k, v);
    }
    for (int i = 0; i < 2500; i++)
        metric_list_add(&m, "loss", 1.0 / (i + 1), 1000 + i, i);
    ASSERT_OK(client_log_batch(c, run, &m, &p, &t, &err), &err);
    /* an invalid entry anywhere sends nothing */
    kv_list_add(&p, "bad/../key", "x");
    ASSERT_FAILS(client_log_batch(c, run, NULL, &p, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    metric_list_release(&m);
    kv_list_release(&p);
    kv_list_release(&t);

    struct run r;
    ASSERT_OK(client_get_run(c, run, &r, &err), &err);
    ASSERT_INT_EQ(r.params.n, 250);
    ASSERT_STR_EQ(kv_list_get(&r.params, "p249"), "249");
    ASSERT_STR_EQ(kv_list_get(&r.tags, "p149"), "149");
    ASSERT_INT_EQ(r.metrics.n, 1);
    ASSERT_INT_EQ(r.metrics.v[0].step, 2499);
    run_release(&r);

    struct metric_list h;
    ASSERT_OK(client_metric_history(c, run, "loss", &h, &err), &err);
    ASSERT_INT_EQ(h.n, 2500);
    for (size_t i = 0; i < h.n; i++)
        ASSERT_INT_EQ(h.v[i].step, (int64_t)i);
    metric_list_release(&h);
}

static void run_errors(struct client *c, const char *run)
{
    struct ferr err = FERR_INIT;
    struct run r;
    struct kv_list p = {0}, badl = {0};
    kv_list_add(&p, "p000", "changed");
    kv_list_add(&badl, "k", "\xff\xfe");
    ASSERT_FAILS(client_get_run(c, RUN_A, &r, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(client_log_batch(c, RUN_A, NULL, &p, NULL, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(client_log_batch(c, run, NULL, &p, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE); /* params are immutable */
    ASSERT_FAILS(client_log_batch(c, run, NULL, NULL, &badl, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "UTF-8");
    ASSERT_FAILS(client_get_run(c, NULL, &r, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(client_delete_tag(c, run, "no-such-tag", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    kv_list_release(&p);
    kv_list_release(&badl);
}

static void run_lifecycle(struct client *c, const char *exp, const char *run)
{
    struct ferr err = FERR_INIT;
    struct run r;
    ASSERT_OK(client_update_run(c, run, RUN_FINISHED, 5000, "renamed", &err), &err);
    ASSERT_OK(client_delete_tag(c, run, "p000", &err), &err);
    char name[] = "train", digest[] = "abc123", type[] = "local", src[] = "{\"uri\": \"/d\"}";
    struct dataset_input di = {0};
    di.dataset.name = name;
    di.dataset.digest = digest;
    di.dataset.source_type = type;
    di.dataset.source = src;
    ASSERT_OK(client_log_inputs(c, run, &di, 1, &err), &err);
    ASSERT_OK(client_get_run(c, run, &r, &err), &err);
    ASSERT_INT_EQ(r.info.status, RUN_FINISHED);
    ASSERT_INT_EQ(r.info.end_time, 5000);
    ASSERT_STR_EQ(r.info.run_name, "renamed");
    ASSERT_STR_EQ(r.info.experiment_id, exp);
    ASSERT(kv_list_get(&r.tags, "p000") == NULL);
    ASSERT_INT_EQ(r.ninputs, 1);
    ASSERT_STR_EQ(r.inputs[0].dataset.digest, "abc123");
    run_release(&r);
}

/* Three runs, pages of two: every run exactly once, then the views. */
static void search_pages(struct client *c, const char *exp, const char *run)
{
    struct ferr err = FERR_INIT;
    const char *ids[] = {exp};
    struct run_search q = {ids, 1, NULL, VIEW_ACTIVE_ONLY, 2, NULL, 0, NULL};
    struct run_list l1, l2;
    ASSERT_OK(client_search_runs(c, &q, &l1, &err), &err);
    ASSERT_INT_EQ(l1.n, 2);
    ASSERT(l1.next_page_token != NULL);
    q.page_token = l1.next_page_token;
    ASSERT_OK(client_search_runs(c, &q, &l2, &err), &err);
    ASSERT_INT_EQ(l2.n, 1);
    ASSERT(l2.next_page_token == NULL);
    ASSERT(strcmp(l2.v[0].info.run_id, l1.v[0].info.run_id) &&
           strcmp(l2.v[0].info.run_id, l1.v[1].info.run_id));
    run_list_release(&l1);
    run_list_release(&l2);

    ASSERT_OK(client_delete_run(c, run, &err), &err);
    struct run_search d = {ids, 1,   "attributes.run_name = 'renamed'", VIEW_DELETED_ONLY, 10, NULL,
                           0,   NULL};
    ASSERT_OK(client_search_runs(c, &d, &l1, &err), &err);
    ASSERT_INT_EQ(l1.n, 1);
    ASSERT_STR_EQ(l1.v[0].info.run_id, run);
    run_list_release(&l1);
    ASSERT_OK(client_restore_run(c, run, &err), &err);
    d.filter = "metrics.loss < 0.001 AND params.p001 = '1'";
    d.view = VIEW_ACTIVE_ONLY;
    ASSERT_OK(client_search_runs(c, &d, &l1, &err), &err);
    ASSERT_INT_EQ(l1.n, 1);
    run_list_release(&l1);
    d.filter = "metrics.loss <<< 1";
    ASSERT_FAILS(client_search_runs(c, &d, &l1, &err), &err, FERR_INVALID_PARAMETER_VALUE);
}

static void scenario(const char *uri)
{
    struct client *c = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(client_open(uri, &c, &err), &err);
    char *exp = experiments(c);
    char *run = make_run(c, exp, "main"), *r2 = make_run(c, exp, "two"),
         *r3 = make_run(c, exp, "three");
    big_batch(c, run);
    run_errors(c, run);
    run_lifecycle(c, exp, run);
    search_pages(c, exp, run);
    free(exp);
    free(run);
    free(r2);
    free(r3);
    client_close(c);
}

TEST(client_embedded_scenario)
{
    struct sbuf uri = SBUF_INIT;
    sbuf_addf(&uri, "sqlite://%s/client.db", test_tmpdir());
    scenario(uri.buf);
    sbuf_release(&uri);
}

TEST(client_rest_scenario)
{
    struct sbuf url = SBUF_INIT;
    if (test_server_start(&url, NULL)) {
        fprintf(stderr, "    (skipped: no ferry binary beside unit-tests)\n");
        return;
    }
    scenario(url.buf);
    sbuf_release(&url);
    test_server_stop();
}

/* More points than one get-history page (25,000): the REST transport must
 * follow next_page_token to the end. */
TEST(client_rest_history_follows_pages)
{
    struct sbuf url = SBUF_INIT;
    struct ferr err = FERR_INIT;
    struct client *c = NULL;
    if (test_server_start(&url, NULL)) {
        fprintf(stderr, "    (skipped: no ferry binary beside unit-tests)\n");
        return;
    }
    ASSERT_OK(client_open(url.buf, &c, &err), &err);
    ASSERT(client_is_remote(c));
    char *run = make_run(c, "0", "long");
    struct metric_list m = {0}, h;
    for (int i = 0; i < 25300; i++)
        metric_list_add(&m, "x", i, 1, i);
    ASSERT_OK(client_log_batch(c, run, &m, NULL, NULL, &err), &err);
    ASSERT_OK(client_metric_history(c, run, "x", &h, &err), &err);
    ASSERT_INT_EQ(h.n, 25300);
    ASSERT_INT_EQ(h.v[25299].step, 25299);
    metric_list_release(&h);
    metric_list_release(&m);
    free(run);
    client_close(c);
    sbuf_release(&url);
    test_server_stop();
}

TEST(client_open_picks_transport_and_reports_errors)
{
    struct client *c = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(client_open("http://127.0.0.1:1/", &c, &err), &err);
    ASSERT(client_is_remote(c));
    ASSERT_STR_EQ(client_uri(c), "http://127.0.0.1:1/");
    setenv("FERRY_HTTP_REQUEST_MAX_RETRIES", "0", 1);
    client_close(c);
    ASSERT_OK(client_open("http://127.0.0.1:1/", &c, &err), &err);
    struct run r;
    ASSERT_FAILS(client_get_run(c, RUN_A, &r, &err), &err, FERR_IO_ERROR);
    ASSERT_CONTAINS(err.msg, "127.0.0.1:1");
    client_close(c);
    setenv("FERRY_HTTP_REQUEST_MAX_RETRIES", "many", 1);
    ASSERT_FAILS(client_open("http://127.0.0.1:1/", &c, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    unsetenv("FERRY_HTTP_REQUEST_MAX_RETRIES");
    ASSERT_FAILS(client_open("mysql://x", &c, &err), &err, FERR_INVALID_PARAMETER_VALUE);

    setenv("FERRY_TRACKING_URI", "", 1);
    setenv("MLFLOW_TRACKING_URI", "/tmp/from-mlflow.db", 1);
    ASSERT_STR_EQ(client_default_uri(), "/tmp/from-mlflow.db");
    setenv("FERRY_TRACKING_URI", "/tmp/from-ferry.db", 1);
    ASSERT_STR_EQ(client_default_uri(), "/tmp/from-ferry.db");
    unsetenv("FERRY_TRACKING_URI");
    unsetenv("MLFLOW_TRACKING_URI");
    ASSERT_STR_EQ(client_default_uri(), "ferry.db");
}
