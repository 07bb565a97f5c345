/* SPDX-License-Identifier: MIT
 * domain/data_profile.c: a profile's shape and caps as the server checks
 * them (the error naming where it is wrong), the per-file diff and the
 * MLflow colspec. */
#include "../test.h"
#include "base/ferr.h"
#include "domain/data_profile.h"

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        FAIL_AT("bad test JSON: %s: %s", je.text, text);
    return j;
}

static const char *good =
    "{\"format\":\"ferry-profile/1\",\"files\":{\"a.csv\":{\"rows\":3,\"columns\":["
    "{\"name\":\"x\",\"type\":\"integer\",\"nulls\":0,\"distinct\":3,\"min\":1,\"max\":3,"
    "\"mean\":2.0,\"std\":1.0,\"quantiles\":{\"0.05\":1.1,\"0.25\":1.5,\"0.5\":2,\"0.75\":2.5,"
    "\"0.95\":2.9},\"histogram\":{\"edges\":[1,2,3],\"counts\":[1,2]}},"
    "{\"name\":\"f\",\"type\":\"float\",\"nulls\":1,\"distinct\":2,\"min\":\"-Infinity\","
    "\"max\":\"Infinity\",\"mean\":null,\"std\":null},"
    "{\"name\":\"t\",\"type\":\"text\",\"nulls\":0,\"distinct\":2,"
    "\"top\":[{\"value\":\"a\",\"count\":2},{\"value\":\"b\",\"count\":1}]}]}},"
    "\"skipped\":[{\"path\":\"big.csv\",\"reason\":\"larger than 2 GiB\"}]}";

static void expect_bad(const char *text, const char *msg)
{
    json_t *j = parse(text);
    struct ferr err = FERR_INIT;
    ASSERT_FAILS(data_profile_validate(j, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, msg);
    json_decref(j);
}

TEST(data_profile_validate_good_and_bad)
{
    json_t *j = parse(good);
    struct ferr err = FERR_INIT;
    ASSERT_OK(data_profile_validate(j, &err), &err);
    json_decref(j);
    j = parse("{\"format\":\"ferry-profile/1\",\"files\":{}}");
    ASSERT_OK(data_profile_validate(j, &err), &err);
    json_decref(j);

    expect_bad("[]", "profile: must be a JSON object");
    expect_bad("{\"files\":{}}", "profile: format: must be \"ferry-profile/1\"");
    expect_bad("{\"format\":\"ferry-profile/2\",\"files\":{}}", "format");
    expect_bad("{\"format\":\"ferry-profile/1\"}", "profile: files: must be an object");
    expect_bad("{\"format\":\"ferry-profile/1\",\"files\":{},\"x\":1}", "profile: x: unknown key");
    expect_bad("{\"format\":\"ferry-profile/1\",\"files\":{\"a.csv\":{\"columns\":[]}}}",
               "profile: files['a.csv'].rows: missing");
    expect_bad("{\"format\":\"ferry-profile/1\",\"files\":{\"a.csv\":{\"rows\":-1,\"columns\":[]}}}",
               "files['a.csv'].rows: must be a count");
    expect_bad("{\"format\":\"ferry-profile/1\",\"files\":{\"a.csv\":{\"rows\":1,\"columns\":["
               "{\"name\":\"x\",\"type\":\"date\"}]}}}",
               "files['a.csv'].columns[0].type: must be one of integer, float, bool, text");
    expect_bad("{\"format\":\"ferry-profile/1\",\"files\":{\"a.csv\":{\"rows\":1,\"columns\":["
               "{\"name\":\"x\",\"type\":\"float\",\"mean\":\"NaN\"}]}}}",
               "columns[0].mean: must be a number, null");
    expect_bad("{\"format\":\"ferry-profile/1\",\"files\":{\"a.csv\":{\"rows\":1,\"columns\":["
               "{\"name\":\"x\",\"type\":\"float\",\"histogram\":{\"edges\":[1,2],"
               "\"counts\":[1,2]}}]}}}",
               "columns[0].histogram: must have 1 to 100 counts and one edge more");
    expect_bad("{\"format\":\"ferry-profile/1\",\"files\":{\"a.csv\":{\"rows\":1,\"columns\":["
               "{\"name\":\"x\",\"type\":\"float\",\"quantiles\":{\"0.3\":1}}]}}}",
               "quantiles: keys must be");
    expect_bad("{\"format\":\"ferry-profile/1\",\"files\":{\"a.csv\":{\"rows\":1,\"columns\":["
               "{\"name\":\"x\",\"type\":\"text\",\"top\":[{\"value\":1,\"count\":1}]}]}}}",
               "columns[0].top[0].value: must be a string");
    expect_bad("{\"format\":\"ferry-profile/1\",\"files\":{\"a.csv\":{\"rows\":1,\"columns\":["
               "{\"type\":\"text\"}]}}}",
               "columns[0]: must have a \"name\" and a \"type\"");
    expect_bad("{\"format\":\"ferry-profile/1\",\"files\":{\"a.csv\":{\"rows\":1,\"columns\":["
               "{\"name\":\"x\",\"type\":\"text\",\"colour\":1}]}}}",
               "columns[0].colour: unknown key");
    expect_bad("{\"format\":\"ferry-profile/1\",\"files\":{},\"skipped\":[{\"path\":\"a\"}]}",
               "skipped[0]: must be an object of \"path\" and \"reason\"");
    expect_bad("{\"format\":\"ferry-profile/1\",\"files\":{\"a.csv\":{\"rows\":1,\"columns\":[],"
               "\"columns_total\":0,\"x\":1}}}",
               "files['a.csv'].x: unknown key");
}

TEST(data_profile_validate_caps)
{
    struct ferr err = FERR_INIT;
    /* 11 top values */
    json_t *j = parse(good);
    json_t *top = json_object_get(
        json_array_get(json_object_get(data_profile_file(j, "a.csv"), "columns"), 2), "top");
    for (int i = 0; i < 9; i++)
        json_array_append(top, json_array_get(top, 0));
    ASSERT_FAILS(data_profile_validate(j, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "top: must be an array of at most 10 values");
    json_decref(j);

    /* a name of 257 bytes */
    j = parse(good);
    char name[258];
    memset(name, 'n', 257);
    name[257] = 0;
    json_object_set_new(
        json_array_get(json_object_get(data_profile_file(j, "a.csv"), "columns"), 0), "name",
        json_string(name));
    ASSERT_FAILS(data_profile_validate(j, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "name: longer than 256 bytes");
    json_decref(j);

    /* 101 files */
    j = parse("{\"format\":\"ferry-profile/1\",\"files\":{}}");
    for (int i = 0; i <= DATA_PROFILE_MAX_FILES; i++) {
        char p[32];
        snprintf(p, sizeof(p), "f%d.csv", i);
        json_object_set_new(json_object_get(j, "files"), p, parse("{\"rows\":0,\"columns\":[]}"));
    }
    ASSERT_FAILS(data_profile_validate(j, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "files: more than 100 files");
    json_decref(j);

    /* over the byte cap: 100 files of 1000 columns with long names */
    j = parse("{\"format\":\"ferry-profile/1\",\"files\":{}}");
    json_t *cols = json_array();
    memset(name, 'c', 200);
    name[200] = 0;
    for (int i = 0; i < 1000; i++) {
        json_t *c = parse("{\"type\":\"text\"}");
        json_object_set_new(c, "name", json_string(name));
        json_array_append_new(cols, c);
    }
    for (int i = 0; i < 30; i++) {
        char p[32];
        snprintf(p, sizeof(p), "f%d.csv", i);
        json_t *f = json_object();
        json_object_set_new(f, "rows", json_integer(1));
        json_object_set(f, "columns", cols);
        json_object_set_new(json_object_get(j, "files"), p, f);
    }
    json_decref(cols);
    ASSERT_FAILS(data_profile_validate(j, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "more than the cap of 4194304");
    json_decref(j);
}

TEST(data_profile_diff_and_colspec)
{
    json_t *b = parse("{\"rows\":3,\"columns\":[{\"name\":\"id\",\"type\":\"integer\"},"
                      "{\"name\":\"old\",\"type\":\"text\"},{\"name\":\"v\",\"type\":\"integer\"}]}");
    json_t *a = parse("{\"rows\":5,\"columns\":[{\"name\":\"v\",\"type\":\"float\"},"
                      "{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"new\",\"type\":\"bool\"}]}");
    json_t *d = data_profile_diff_file(b, a);
    char *s = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    ASSERT_STR_EQ(s, "{\"columns_added\":[\"new\"],\"columns_removed\":[\"old\"],"
                     "\"columns_retyped\":[{\"from\":\"integer\",\"name\":\"v\",\"to\":\"float\"}],"
                     "\"rows_after\":5,\"rows_before\":3}");
    free(s);
    json_decref(d);
    d = data_profile_diff_file(NULL, a);
    s = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    ASSERT_STR_EQ(s, "{\"columns_added\":[],\"columns_removed\":[],\"columns_retyped\":[],"
                     "\"rows_after\":5,\"rows_before\":null}");
    free(s);
    json_decref(d);

    json_t *c = data_profile_colspec(a);
    s = json_dumps(c, JSON_COMPACT);
    ASSERT_STR_EQ(s, "{\"mlflow_colspec\":[{\"type\":\"double\",\"name\":\"v\"},"
                     "{\"type\":\"long\",\"name\":\"id\"},{\"type\":\"boolean\",\"name\":\"new\"}]}");
    free(s);
    json_decref(c);
    ASSERT(!data_profile_colspec(NULL));
    ASSERT(!data_profile_file(NULL, "a.csv"));
    json_decref(a);
    json_decref(b);
}
