/* SPDX-License-Identifier: MIT
 * api/codec.c: entity round trips, the fast writers and error bodies. */
#include "../test.h"
#include "api/codec.h"

#include <math.h>

TEST(codec_run_round_trip)
{
    struct run r = {0};
    r.info.run_id = strdup("0123456789abcdef0123456789abcdef");
    r.info.run_name = strdup("n");
    r.info.experiment_id = strdup("3");
    r.info.user_id = strdup("u");
    r.info.status = RUN_FAILED;
    r.info.start_time = 5;
    r.info.end_time = TIME_NONE;
    r.info.artifact_uri = strdup("/a");
    metric_list_add(&r.metrics, "m", NAN, 1, 2);
    kv_list_add(&r.params, "p", "v");
    kv_list_add(&r.tags, "t", "w");
    json_t *j = codec_run_to_json(&r);
    ASSERT(json_object_get(json_object_get(j, "info"), "end_time") == NULL);
    struct run back;
    struct ferr err = FERR_INIT;
    ASSERT_OK(codec_run_from_json(j, &back, &err), &err);
    ASSERT_STR_EQ(back.info.run_id, r.info.run_id);
    ASSERT_INT_EQ(back.info.status, RUN_FAILED);
    ASSERT(back.info.end_time == TIME_NONE);
    ASSERT(isnan(back.metrics.v[0].value));
    ASSERT_STR_EQ(kv_list_get(&back.params, "p"), "v");
    json_decref(j);
    run_release(&r);
    run_release(&back);
}

TEST(codec_fast_writer_matches_jansson_shape)
{
    struct metric_list l = {0};
    metric_list_add(&l, "we\"ird\nkey", 0.1, 7, -3);
    metric_list_add(&l, "k", -INFINITY, 8, 4);
    struct sbuf sb = SBUF_INIT;
    codec_write_metrics_response(&sb, &l, "tok");
    json_error_t je;
    json_t *j = json_loads(sb.buf, 0, &je);
    ASSERT(j != NULL);
    json_t *m0 = json_array_get(json_object_get(j, "metrics"), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(m0, "key")), "we\"ird\nkey");
    ASSERT(json_real_value(json_object_get(m0, "value")) == 0.1);
    ASSERT_INT_EQ(json_integer_value(json_object_get(m0, "step")), -3);
    json_t *m1 = json_array_get(json_object_get(j, "metrics"), 1);
    ASSERT_STR_EQ(json_string_value(json_object_get(m1, "value")), "-Infinity");
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "next_page_token")), "tok");
    json_decref(j);
    sbuf_release(&sb);
    metric_list_release(&l);
}

TEST(codec_rejects_wrong_types)
{
    struct ferr err = FERR_INIT;
    struct metric m;
    json_t *j = json_loads("{\"key\":\"k\",\"value\":\"abc\",\"timestamp\":1}", 0, NULL);
    ASSERT_FAILS(codec_metric_from_json(j, &m, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "value");
    json_decref(j);
    j = json_loads("{\"key\":\"k\",\"value\":1}", 0, NULL);
    ASSERT_FAILS(codec_metric_from_json(j, &m, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "timestamp");
    json_decref(j);
    struct kv_list l;
    j = json_loads("[{\"key\": 5, \"value\": \"v\"}]", 0, NULL);
    ASSERT_FAILS(codec_kv_list_from_json(j, "params", &l, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    json_decref(j);
    j = json_loads("{\"a\": 1}", 0, NULL);
    ASSERT_FAILS(codec_kv_list_from_json(j, "tags", &l, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    json_decref(j);
}
