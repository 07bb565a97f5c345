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
