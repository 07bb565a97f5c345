/* SPDX-License-Identifier: MIT
 * api/codec_history.c: a run's history as columns: the fast writer and
 * jansson's shape agree, the client reads both back, bad columns refused. */
#include "../test.h"
#include "api/codec_history.h"

#include <math.h>

static void sample(struct run_history *h)
{
    memset(h, 0, sizeof(*h));
    h->run_id = strdup("0123456789abcdef0123456789abcdef");
    h->total = 9;
    h->downsampled = 1;
    metric_list_add(&h->points, "k", 0.1, 1700000000000LL, 0);
    metric_list_add(&h->points, "k", -INFINITY, 7, 4);
    metric_list_add(&h->points, "k", 3.0, -1, -3);
    metric_list_add(&h->points, "k", 1e-300, 9, INT64_MAX);
}

static void check_back(json_t *j)
{
    struct run_history back;
    struct ferr err = FERR_INIT;
    ASSERT_OK(codec_run_history_from_json(j, &back, &err), &err);
    ASSERT_STR_EQ(back.run_id, "0123456789abcdef0123456789abcdef");
    ASSERT_INT_EQ(back.total, 9);
    ASSERT_INT_EQ(back.downsampled, 1);
    ASSERT_INT_EQ(back.points.n, 4);
    ASSERT(back.points.v[0].value == 0.1);
    ASSERT(back.points.v[0].timestamp == 1700000000000LL);
    ASSERT(isinf(back.points.v[1].value) && back.points.v[1].value < 0);
    ASSERT(back.points.v[2].value == 3.0 && back.points.v[2].step == -3);
    ASSERT(back.points.v[3].value == 1e-300 && back.points.v[3].step == INT64_MAX);
    /* one key string for the history, owned by the first point */
    ASSERT_STR_EQ(back.points.v[0].key, "");
    ASSERT(!back.points.v[0].shares_key);
    for (size_t i = 1; i < back.points.n; i++)
        ASSERT(back.points.v[i].shares_key && back.points.v[i].key == back.points.v[0].key);
    run_history_release(&back);
}

TEST(codec_history_writer_matches_jansson_and_reads_back)
{
    struct run_history h;
    sample(&h);
    struct sbuf sb = SBUF_INIT;
    codec_write_run_history(&sb, &h);
    json_error_t je;
    json_t *fast = json_loads(sb.buf, 0, &je);
    ASSERT(fast != NULL);
    json_t *slow = codec_run_history_to_json(&h);
    ASSERT(slow != NULL);
    ASSERT(json_equal(fast, slow));
    /* NaN and infinities are MLflow's strings; 3.0 stays a real */
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(fast, "values"), 1)), "-Infinity");
    ASSERT(json_is_real(json_array_get(json_object_get(fast, "values"), 2)));
    check_back(fast);
    check_back(slow);
    json_decref(fast);
    json_decref(slow);
    sbuf_release(&sb);
    run_history_release(&h);
}

TEST(codec_history_empty)
{
    struct run_history h = {0};
    struct sbuf sb = SBUF_INIT;
    codec_write_run_history(&sb, &h);
    ASSERT_STR_EQ(sb.buf, "{\"run_id\":\"\",\"total\":0,\"downsampled\":false,\"steps\":[],"
                          "\"timestamps\":[],\"values\":[]}");
    sbuf_release(&sb);
}

TEST(codec_history_refuses_bad_columns)
{
    const char *bad[] = {
        "[]",
        "{\"steps\":[1,2],\"timestamps\":[1],\"values\":[1,2]}",
        "{\"steps\":[1],\"timestamps\":[1],\"values\":[\"lots\"]}",
        /* a bad point after good ones that share their key: freed once */
        "{\"steps\":[1,2,3],\"timestamps\":[1,2,3],\"values\":[1,2,\"lots\"]}",
        "{\"steps\":[1.5],\"timestamps\":[1],\"values\":[1]}",
        "{\"steps\":[1],\"timestamps\":[null],\"values\":[1]}",
        "{\"steps\":{},\"timestamps\":[1],\"values\":[1]}",
        "{\"run_id\":7}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        json_error_t je;
        json_t *j = json_loads(bad[i], 0, &je);
        ASSERT(j != NULL);
        struct run_history h;
        struct ferr err = FERR_INIT;
        ASSERT(codec_run_history_from_json(j, &h, &err) == -1);
        ASSERT(err.msg[0] != 0);
        ASSERT(h.points.n == 0 && h.run_id == NULL);
        ferr_clear(&err);
        json_decref(j);
    }
    /* steps as protobuf's decimal strings, values as "NaN" */
    json_t *j = json_loads("{\"steps\":[\"5\"],\"timestamps\":[\"6\"],\"values\":[\"NaN\"]}", 0, NULL);
    struct run_history h;
    struct ferr err = FERR_INIT;
    ASSERT_OK(codec_run_history_from_json(j, &h, &err), &err);
    ASSERT(h.points.n == 1 && h.points.v[0].step == 5 && h.points.v[0].timestamp == 6 &&
           isnan(h.points.v[0].value));
    run_history_release(&h);
    json_decref(j);
}
