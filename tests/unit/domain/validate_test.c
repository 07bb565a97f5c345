/* SPDX-License-Identifier: MIT
 * domain/validate.c: MLflow's names and limits. */
#include "../test.h"
#include "domain/validate.h"

TEST(validate_names)
{
    struct ferr err = FERR_INIT;
    const char *good[] = {"acc", "train/loss", "a.b-c_d e:f", "métrique", "x/y/z"};
    for (size_t i = 0; i < 5; i++)
        ASSERT_OK(validate_param(good[i], "v", &err), &err);
    const char *bad[] = {"", "a\"b", "/abs", "a/../b", "..", ".", "a//b", "tab\t", "a/", "x?"};
    for (size_t i = 0; i < 10; i++)
        ASSERT_FAILS(validate_tag(bad[i], "v", &err), &err, FERR_INVALID_PARAMETER_VALUE);
}

TEST(validate_lengths)
{
    struct ferr err = FERR_INIT;
    char key[300], val[9000];
    memset(key, 'k', sizeof(key));
    key[250] = '\0';
    memset(val, 'v', sizeof(val));
    val[6000] = '\0';
    ASSERT_OK(validate_param(key, val, &err), &err);
    key[250] = 'k';
    key[251] = '\0';
    ASSERT_FAILS(validate_param(key, "v", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    val[6000] = 'v';
    val[6001] = '\0';
    ASSERT_FAILS(validate_param("k", val, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "6000");
    ASSERT_OK(validate_tag("k", val, &err), &err);
    val[8001] = '\0';
    memset(val + 6001, 'v', 2000);
    ASSERT_FAILS(validate_tag("k", val, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(validate_experiment_name("", &err), &err, FERR_INVALID_PARAMETER_VALUE);
}

TEST(validate_batch_counts_and_conflicts)
{
    struct ferr err = FERR_INIT;
    struct kv_list p = {0};
    kv_list_add(&p, "a", "1");
    kv_list_add(&p, "a", "2");
    ASSERT_FAILS(validate_batch(NULL, &p, NULL, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    kv_list_release(&p);
    /* MLflow refuses a repeated key even when the values agree. */
    kv_list_add(&p, "a", "1");
    kv_list_add(&p, "a", "1");
    ASSERT_FAILS(validate_batch(NULL, &p, NULL, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    kv_list_release(&p);
    struct metric_list m = {0};
    metric_list_add(&m, "k", 1, TIME_NONE, 0);
    ASSERT_FAILS(validate_batch(&m, NULL, NULL, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "timestamp");
    metric_list_release(&m);
}

TEST(validate_ids)
{
    struct ferr err = FERR_INIT;
    ASSERT_OK(validate_experiment_id("12", &err), &err);
    ASSERT_FAILS(validate_experiment_id("-1", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(validate_experiment_id("1 OR 1=1", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(validate_run_id("0123456789abcdef0123456789abcdef", &err), &err);
    ASSERT_FAILS(validate_run_id("'; drop", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(validate_max_results(0, 100, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(validate_max_results(101, 100, &err), &err, FERR_INVALID_PARAMETER_VALUE);
}

TEST(validation_speaks_mlflows_words)
{
    struct ferr err = FERR_INIT;
    ASSERT(validate_param("a*b", "v", &err));
    ASSERT_STR_EQ(err.msg, "Invalid value \"a*b\" for parameter 'key' supplied: Names may only "
                           "contain alphanumerics, underscores (_), dashes (-), periods (.), "
                           "spaces ( ), colon(:) and slashes (/).");
    ASSERT(validate_tag("a/./b", "v", &err));
    ASSERT_CONTAINS(err.msg, "Invalid value \"a/./b\" for parameter 'key' supplied: Names may be "
                             "treated as files in certain cases, and must not resolve to other "
                             "names when treated as such. This name would resolve to 'a/b'");
    ASSERT(validate_tag("../x", "v", &err));
    ASSERT_CONTAINS(err.msg, "This name would resolve to '../x'");
    ASSERT(validate_tag("/abs//y/..", "v", &err));
    ASSERT_CONTAINS(err.msg, "This name would resolve to '/abs'");
    char bad_key[] = "a..b/", loss[] = "loss";
    struct metric m = {.key = bad_key, .value = 1, .timestamp = 1};
    ASSERT(validate_metric(&m, &err));
    ASSERT_CONTAINS(err.msg, "for parameter 'name' supplied: Names may be treated as files");
    ASSERT_CONTAINS(err.msg, "resolve to 'a..b'");
    m.key = loss;
    m.timestamp = -5;
    ASSERT(validate_metric(&m, &err));
    ASSERT_STR_EQ(err.msg, "Invalid value -5 for parameter 'timestamp' supplied: metric 'loss' "
                           "(value=1.0). Timestamp must be a nonnegative long (64-bit integer) ");
    char big[6002];
    memset(big, 'x', 6001);
    big[6001] = '\0';
    ASSERT(validate_param("p", big, &err));
    ASSERT_CONTAINS(err.msg, "Param value 'xxx");
    ASSERT_CONTAINS(err.msg, "' had length 6001, which exceeded length limit of 6000");
    char k[] = "k", one[] = "1", two_v[] = "2";
    struct kv two[2] = {{k, one}, {k, two_v}};
    struct kv_list params = {two, 2, 2};
    ASSERT(validate_batch(NULL, &params, NULL, &err));
    ASSERT_STR_EQ(err.msg, "Duplicate parameter keys have been submitted: ['k']. Please ensure "
                           "the request contains only one param value per param key.");
    struct kv_list many = {two, 101, 101}; /* only the count is read before the limit */
    ASSERT(validate_batch(NULL, &many, NULL, &err));
    ASSERT_STR_EQ(err.msg, "A batch logging request can contain at most 100 params. Got 101 "
                           "params. Please split up params across multiple requests and try "
                           "again.");
    ASSERT(validate_max_results(0, 1000, &err));
    ASSERT_STR_EQ(err.msg, "Invalid value 0 for parameter 'max_results' supplied. It must be a "
                           "positive integer");
}
