/* SPDX-License-Identifier: MIT
 * The REST transport against a scripted HTTP server: which calls are retried
 * and how often, error bodies and statuses mapped to codes, query strings,
 * URL prefixes and authentication headers; and the public API's metric
 * buffer when the server refuses or cannot take points. */
#include "../test.h"
#include "fake_http.h"
#include "base/ferr.h"
#include "client/client.h"
#include "ferry/ferry.h"

#define EXPERIMENT_JSON                                                                            \
    "{\"experiment\": {\"experiment_id\": \"7\", \"name\": \"a b&c\", "                            \
    "\"lifecycle_stage\": \"active\"}}"
#define BUSY_JSON "{\"error_code\": \"TEMPORARILY_UNAVAILABLE\", \"message\": \"busy\"}"
#define RUN_A     "0123456789abcdef0123456789abcdef"

static struct client *open_fake(struct fake_http *f, const char *suffix)
{
    char url[128], full[256];
    struct client *c = NULL;
    struct ferr err = FERR_INIT;
    fake_http_url(f, url, sizeof(url));
    snprintf(full, sizeof(full), "%s%s", url, suffix);
    ASSERT_OK(client_open(full, &c, &err), &err);
    return c;
}

TEST(rest_retries_idempotent_calls_on_503)
{
    static const struct fake_response script[] = {{503, NULL, BUSY_JSON},
                                                  {503, "Retry-After: 0\r\n", BUSY_JSON},
                                                  {200, NULL, EXPERIMENT_JSON}};
    struct fake_http f;
    struct ferr err = FERR_INIT;
    struct experiment e;
    setenv("FERRY_HTTP_REQUEST_MAX_RETRIES", "3", 1);
    fake_http_start(&f, script, 3);
    struct client *c = open_fake(&f, "");
    ASSERT_OK(client_get_experiment(c, "7", &e, &err), &err);
    ASSERT_STR_EQ(e.name, "a b&c");
    ASSERT_INT_EQ(fake_http_requests(&f), 3);
    experiment_release(&e);
    client_close(c);
    fake_http_stop(&f);
}

TEST(rest_gives_up_after_max_retries_and_never_retries_create)
{
    static const struct fake_response script[] = {{503, NULL, BUSY_JSON}};
    struct fake_http f;
    struct ferr err = FERR_INIT;
    struct experiment e;
    setenv("FERRY_HTTP_REQUEST_MAX_RETRIES", "2", 1);
    fake_http_start(&f, script, 1);
    struct client *c = open_fake(&f, "");
    ASSERT_FAILS(client_get_experiment(c, "7", &e, &err), &err, FERR_TEMPORARILY_UNAVAILABLE);
    ASSERT_STR_EQ(err.msg, "busy");
    ASSERT_INT_EQ(fake_http_requests(&f), 3);
    ASSERT_FAILS(client_create_experiment(c, "x", NULL, NULL, NULL, &err), &err,
                 FERR_TEMPORARILY_UNAVAILABLE);
    ASSERT_INT_EQ(fake_http_requests(&f), 4); /* not idempotent: sent once */
    client_close(c);
    fake_http_stop(&f);
}

TEST(rest_maps_statuses_and_bad_answers)
{
    static const struct fake_response script[] = {
        {404, NULL, "<html>no</html>"},
        {401, NULL, "who are you"},
        {403, NULL, "{\"error_code\": \"PERMISSION_DENIED\", \"message\": \"no way\"}"},
        {200, NULL, "this is not json"},
        {200, NULL, "[1, 2]"},
        {400, NULL, "{\"error_code\": \"RESOURCE_DOES_NOT_EXIST\", \"message\": \"gone\"}"},
    };
    struct fake_http f;
    struct ferr err = FERR_INIT;
    struct run r;
    fake_http_start(&f, script, 6);
    struct client *c = open_fake(&f, "");
    ASSERT_FAILS(client_delete_run(c, RUN_A, &err), &err, FERR_ENDPOINT_NOT_FOUND);
    ASSERT_CONTAINS(err.msg, "HTTP 404");
    ASSERT_FAILS(client_delete_run(c, RUN_A, &err), &err, FERR_UNAUTHENTICATED);
    ASSERT_FAILS(client_delete_run(c, RUN_A, &err), &err, FERR_PERMISSION_DENIED);
    ASSERT_STR_EQ(err.msg, "no way");
    ASSERT_FAILS(client_get_run(c, RUN_A, &r, &err), &err, FERR_IO_ERROR);
    ASSERT_CONTAINS(err.msg, "invalid JSON");
    ASSERT_FAILS(client_get_run(c, RUN_A, &r, &err), &err, FERR_IO_ERROR);
    ASSERT_FAILS(client_get_run(c, RUN_A, &r, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "gone");
    client_close(c);
    fake_http_stop(&f);
}

TEST(rest_get_query_prefix_and_auth_headers)
{
    static const struct fake_response script[] = {{200, NULL, EXPERIMENT_JSON}};
    struct fake_http f;
    struct ferr err = FERR_INIT;
    struct experiment e;
    char req[16384];
    setenv("MLFLOW_TRACKING_TOKEN", "s3cret", 1);
    fake_http_start(&f, script, 1);
    struct client *c = open_fake(&f, "/prefix/");
    ASSERT_OK(client_get_experiment_by_name(c, "a b&c", &e, &err), &err);
    experiment_release(&e);
    fake_http_last(&f, req, sizeof(req));
    ASSERT_CONTAINS(req, "GET /prefix/api/2.0/mlflow/experiments/get-by-name?"
                         "experiment_name=a%20b%26c HTTP/1.1");
    ASSERT_CONTAINS(req, "Authorization: Bearer s3cret");
    ASSERT_CONTAINS(req, "User-Agent: ferry/");
    client_close(c);

    unsetenv("MLFLOW_TRACKING_TOKEN");
    setenv("FERRY_TRACKING_USERNAME", "u", 1);
    setenv("MLFLOW_TRACKING_PASSWORD", "p", 1);
    c = open_fake(&f, "");
    ASSERT_OK(client_delete_run(c, RUN_A, &err), &err);
    fake_http_last(&f, req, sizeof(req));
    ASSERT_CONTAINS(req, "POST /api/2.0/mlflow/runs/delete HTTP/1.1");
    ASSERT_CONTAINS(req, "Authorization: Basic dTpw");
    ASSERT_CONTAINS(req, "Content-Type: application/json");
    ASSERT_CONTAINS(req, "{\"run_id\":\"" RUN_A "\"}");
    client_close(c);
    fake_http_stop(&f);
}

/* The server refuses a batch: those points are dropped and reported, the
 * buffer does not stay poisoned. It cannot be reached: points are kept. */
TEST(api_buffer_drops_refused_points_and_keeps_undelivered_ones)
{
    static const struct fake_response script[] = {
        {400, NULL, "{\"error_code\": \"INVALID_PARAMETER_VALUE\", \"message\": \"run is gone\"}"},
        {200, NULL, "{}"},
        {503, NULL, BUSY_JSON},
        {200, NULL, "{}"},
    };
    struct fake_http f;
    char url[128];
    ferry_client *c = NULL;
    setenv("FERRY_HTTP_REQUEST_MAX_RETRIES", "0", 1);
    fake_http_start(&f, script, 4);
    fake_http_url(&f, url, sizeof(url));
    ASSERT_INT_EQ(ferry_open(url, &c), FERRY_OK);
    ASSERT_INT_EQ(ferry_log_metric(c, RUN_A, "m", 1, 0, 0), FERRY_OK);
    ASSERT_INT_EQ(ferry_flush(c), FERRY_EINVAL);
    ASSERT_CONTAINS(ferry_last_error(c), "metrics dropped: run is gone");
    ASSERT_INT_EQ(ferry_flush(c), FERRY_OK); /* nothing left to send */
    ASSERT_INT_EQ(fake_http_requests(&f), 1);
    ASSERT_INT_EQ(ferry_log_metric(c, RUN_A, "m", 2, 0, 1), FERRY_OK);
    ASSERT_INT_EQ(ferry_flush(c), FERRY_OK);
    ASSERT_INT_EQ(ferry_log_metric(c, RUN_A, "m", 3, 0, 2), FERRY_OK);
    ASSERT_INT_EQ(ferry_flush(c), FERRY_EIO); /* 503: kept */
    ASSERT_STR_EQ(ferry_last_error(c), "busy");
    ASSERT_INT_EQ(ferry_close(c), FERRY_OK); /* sent on close */
    ASSERT_INT_EQ(fake_http_requests(&f), 4);
    fake_http_stop(&f);
}

/* A server that stays down costs one attempt, then ferry_log_metric holds
 * off; explicit flushes still try, and nothing is lost meanwhile. */
TEST(api_buffer_holds_off_while_the_server_is_down)
{
    static const struct fake_response script[] = {{503, NULL, BUSY_JSON}};
    struct fake_http f;
    char url[128];
    ferry_client *c = NULL;
    setenv("FERRY_HTTP_REQUEST_MAX_RETRIES", "0", 1);
    fake_http_start(&f, script, 1);
    fake_http_url(&f, url, sizeof(url));
    ASSERT_INT_EQ(ferry_open(url, &c), FERRY_OK);
    for (int i = 0; i < 999; i++)
        ASSERT_INT_EQ(ferry_log_metric(c, RUN_A, "m", i, 0, i), FERRY_OK);
    ASSERT_INT_EQ(fake_http_requests(&f), 0);
    ASSERT_INT_EQ(ferry_log_metric(c, RUN_A, "m", 999, 0, 999), FERRY_EIO); /* the 1000th */
    ASSERT_INT_EQ(fake_http_requests(&f), 1);
    for (int i = 1000; i < 2000; i++)
        ASSERT_INT_EQ(ferry_log_metric(c, RUN_A, "m", i, 0, i), FERRY_OK); /* holding off */
    ASSERT_INT_EQ(fake_http_requests(&f), 1);
    ASSERT_INT_EQ(ferry_flush(c), FERRY_EIO);
    ASSERT_INT_EQ(fake_http_requests(&f), 2);
    ASSERT_INT_EQ(ferry_close(c), FERRY_EIO);
    ASSERT_INT_EQ(fake_http_requests(&f), 3);
    fake_http_stop(&f);
}
