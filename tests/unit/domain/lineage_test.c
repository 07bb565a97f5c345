/* SPDX-License-Identifier: MIT
 * domain/lineage: the URI forms a graph's root may take, the checks of
 * executions and events, the names of kinds and directions. */
#include "../test.h"
#include "domain/lineage.h"

#include <string.h>

#define RUN "0123456789abcdef0123456789abcdef"

static void classify(const char *uri, enum lineage_uri_kind want, const char *want_id)
{
    struct ferr err = FERR_INIT;
    enum lineage_uri_kind k;
    char *id = NULL;
    ASSERT_OK(lineage_uri_classify(uri, &k, &id, &err), &err);
    ASSERT_INT_EQ(k, want);
    if (want_id)
        ASSERT_STR_EQ(id, want_id);
    else
        ASSERT(id == NULL);
    free(id);
}

TEST(lineage_uri_forms)
{
    classify(RUN, LINEAGE_URI_RUN, RUN);
    classify("runs:/" RUN, LINEAGE_URI_RUN, RUN);
    classify("runs:/" RUN "/", LINEAGE_URI_RUN, RUN);
    classify("runs:/" RUN "/outputs/model", LINEAGE_URI_RUN_PATH, RUN);
    classify("models:/fraud/3", LINEAGE_URI_MODEL, NULL);
    classify("models:/fraud@champion", LINEAGE_URI_MODEL, NULL);
    classify("models:/fraud/Production", LINEAGE_URI_MODEL, NULL);
    classify("models:/m-0123", LINEAGE_URI_LOGGED_MODEL, "m-0123");
    classify("data:/t/7", LINEAGE_URI_DATA, NULL);
    classify("data:/t@prod", LINEAGE_URI_DATA, NULL);
    classify("file:///data/raw.csv", LINEAGE_URI_OTHER, NULL);
    classify("s3://b/k", LINEAGE_URI_OTHER, NULL);
    struct ferr err = FERR_INIT;
    enum lineage_uri_kind k;
    char *id = NULL;
    ASSERT_FAILS(lineage_uri_classify("", &k, &id, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(lineage_uri_classify("runs:/", &k, &id, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(lineage_uri_classify("models:/", &k, &id, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    char *run_uri = lineage_run_uri(RUN);
    ASSERT_STR_EQ(run_uri, "runs:/" RUN);
    free(run_uri);
    ASSERT(lineage_is_run_id(RUN));
    ASSERT(!lineage_is_run_id("0123"));
    ASSERT(!lineage_is_run_id("0123456789ABCDEF0123456789abcdef"));
}

TEST(lineage_checks)
{
    struct ferr err = FERR_INIT;
    struct lineage_execution_in e = {RUN, "p", RUN, "train", LINEAGE_CACHED, "f", RUN, 1, 2};
    ASSERT_OK(lineage_execution_check(&e, &err), &err);
    e.state = "cached";
    ASSERT_FAILS(lineage_execution_check(&e, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "state");
    e.state = LINEAGE_RUNNING;
    e.step = "a\tb";
    ASSERT_FAILS(lineage_execution_check(&e, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    e.step = "";
    e.run_id = NULL;
    ASSERT_FAILS(lineage_execution_check(&e, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "run_id");

    struct lineage_event_in ev = {LINEAGE_OUTPUT, "model", "runs:/" RUN "/outputs/model",
                                  "model",        "abc",   "{\"flavor\": \"sklearn\"}"};
    ASSERT_OK(lineage_event_check(&ev, &err), &err);
    ev.type = NULL; /* the default, file */
    ASSERT_OK(lineage_event_check(&ev, &err), &err);
    ev.type = "Model";
    ASSERT_FAILS(lineage_event_check(&ev, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ev.type = "model";
    ev.properties = "[]";
    ASSERT_FAILS(lineage_event_check(&ev, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ev.properties = NULL;
    ev.kind = "both";
    ASSERT_FAILS(lineage_event_check(&ev, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ev.kind = LINEAGE_INPUT;
    ev.uri = "";
    ASSERT_FAILS(lineage_event_check(&ev, &err), &err, FERR_INVALID_PARAMETER_VALUE);
}

TEST(lineage_names)
{
    enum lineage_direction d;
    enum lineage_node_kind k;
    ASSERT(lineage_direction_parse("downstream", &d) == 0);
    ASSERT_INT_EQ(d, LINEAGE_DOWNSTREAM);
    ASSERT(lineage_direction_parse("down", &d) == -1);
    ASSERT_STR_EQ(lineage_direction_name(LINEAGE_UPSTREAM), "upstream");
    for (int i = LINEAGE_NODE_EXECUTION; i <= LINEAGE_NODE_LOGGED_MODEL; i++) {
        ASSERT(lineage_node_kind_parse(lineage_node_kind_name((enum lineage_node_kind)i), &k) == 0);
        ASSERT_INT_EQ(k, i);
    }
    ASSERT(lineage_node_kind_parse("run", &k) == -1);
    ASSERT(lineage_state_valid("KILLED") && !lineage_state_valid("SKIPPED"));
}
