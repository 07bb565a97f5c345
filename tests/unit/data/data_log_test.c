/* SPDX-License-Identifier: MIT
 * data/data_log.c: the dataset input's fields (8-char digest, source by
 * number, MLflow's colspec from the profile, the small profile summary, the
 * context tag), bad inputs, and the input as the run shows it afterwards
 * on an embedded store (logged twice: once). */
#include "../test.h"
#include "base/sbuf.h"
#include "client/client.h"
#include "data/data_log.h"

#include <stdlib.h>
#include <string.h>

static const char digest[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static const char profile2[] =
    "{\"format\":\"ferry-profile/1\",\"files\":{"
    "\"b/test.csv\":{\"rows\":5,\"columns\":[{\"name\":\"x\",\"type\":\"integer\"},"
    "{\"name\":\"y\",\"type\":\"float\"},{\"name\":\"ok\",\"type\":\"bool\"},"
    "{\"name\":\"s\",\"type\":\"text\"}]},"
    "\"a/train.csv\":{\"rows\":20,\"columns\":[{\"name\":\"x\",\"type\":\"integer\"},"
    "{\"name\":\"y\",\"type\":\"float\"},{\"name\":\"ok\",\"type\":\"bool\"},"
    "{\"name\":\"s\",\"type\":\"text\"}]}}}";

TEST(data_log_schema_from_profile)
{
    char *s = data_log_schema(profile2);
    ASSERT_STR_EQ(s, "{\"mlflow_colspec\":[{\"type\":\"long\",\"name\":\"x\"},"
                     "{\"type\":\"double\",\"name\":\"y\"},{\"type\":\"boolean\",\"name\":\"ok\"},"
                     "{\"type\":\"string\",\"name\":\"s\"}]}");
    free(s);
    /* files whose columns differ: no single schema */
    s = data_log_schema("{\"files\":{\"a.csv\":{\"rows\":1,\"columns\":[{\"name\":\"x\","
                        "\"type\":\"integer\"}]},\"b.csv\":{\"rows\":1,\"columns\":[{\"name\":"
                        "\"x\",\"type\":\"float\"}]}}}");
    ASSERT(s == NULL);
    ASSERT(data_log_schema(NULL) == NULL);
    ASSERT(data_log_schema("not json") == NULL);
    ASSERT(data_log_schema("{\"files\":{}}") == NULL);
}

TEST(data_log_profile_summary_is_small_and_sorted)
{
    char *s = data_log_profile_summary(profile2);
    ASSERT_STR_EQ(s, "{\"csv\":{\"a/train.csv\":{\"columns\":4,\"rows\":20},"
                     "\"b/test.csv\":{\"columns\":4,\"rows\":5}},\"files\":2,\"rows\":25}");
    free(s);
    ASSERT(data_log_profile_summary(NULL) == NULL);
    ASSERT(data_log_profile_summary("[") == NULL);
}

TEST(data_log_build_fields_and_errors)
{
    struct data_log_input in = {"transactions", 3, digest, profile2, "training"};
    struct dataset_input di;
    struct ferr err = FERR_INIT;
    ASSERT_OK(data_log_build(&in, &di, &err), &err);
    ASSERT_STR_EQ(di.dataset.name, "transactions");
    ASSERT_STR_EQ(di.dataset.digest, "01234567");
    ASSERT_STR_EQ(di.dataset.source_type, "ferry");
    ASSERT_STR_EQ(di.dataset.source, "data:/transactions/3");
    ASSERT_CONTAINS(di.dataset.schema, "mlflow_colspec");
    ASSERT_CONTAINS(di.dataset.profile, "\"rows\":25");
    ASSERT_INT_EQ(di.tags.n, 1);
    ASSERT_STR_EQ(di.tags.v[0].key, "mlflow.data.context");
    ASSERT_STR_EQ(di.tags.v[0].value, "training");
    dataset_input_release(&di);

    struct data_log_input bare = {"t", 1, digest, NULL, NULL};
    ASSERT_OK(data_log_build(&bare, &di, &err), &err);
    ASSERT(di.dataset.schema == NULL && di.dataset.profile == NULL && di.tags.n == 0);
    dataset_input_release(&di);

    struct data_log_input bad = {"t", 0, digest, NULL, NULL};
    ASSERT_FAILS(data_log_build(&bad, &di, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    bad.version = 1;
    bad.digest = "0123";
    ASSERT_FAILS(data_log_build(&bad, &di, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    bad.digest = "ABCDEF0123";
    ASSERT_FAILS(data_log_build(&bad, &di, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    bad.digest = digest;
    bad.name = "";
    ASSERT_FAILS(data_log_build(&bad, &di, &err), &err, FERR_INVALID_PARAMETER_VALUE);
}

TEST(data_log_records_the_input_once)
{
    struct sbuf uri = SBUF_INIT;
    struct client *c = NULL;
    struct ferr err = FERR_INIT;
    struct run_create rc;
    struct run run, got;
    sbuf_addf(&uri, "sqlite://%s/log.db", test_tmpdir());
    ASSERT_OK(client_open(uri.buf, &c, &err), &err);
    memset(&rc, 0, sizeof(rc));
    rc.experiment_id = "0";
    rc.start_time = TIME_NONE;
    ASSERT_OK(client_create_run(c, &rc, &run, &err), &err);
    struct data_log_input in = {"transactions", 3, digest, profile2, "training"};
    ASSERT_OK(data_log(c, run.info.run_id, &in, &err), &err);
    ASSERT_OK(data_log(c, run.info.run_id, &in, &err), &err);
    ASSERT_OK(client_get_run(c, run.info.run_id, &got, &err), &err);
    ASSERT_INT_EQ(got.ninputs, 1);
    ASSERT_STR_EQ(got.inputs[0].dataset.source, "data:/transactions/3");
    ASSERT_STR_EQ(got.inputs[0].dataset.digest, "01234567");
    ASSERT_STR_EQ(got.inputs[0].tags.v[0].value, "training");
    ASSERT_FAILS(data_log(c, "0000000000000000000000000000dead", &in, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    run_release(&got);
    run_release(&run);
    client_close(c);
    sbuf_release(&uri);
}
