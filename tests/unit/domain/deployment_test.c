/* SPDX-License-Identifier: MIT
 * domain/deployment: the spec's rules (every bad input named), defaults
 * written out, YAML's strings-for-numbers, the rollout's weights. */
#include "../test.h"
#include "base/duration.h"
#include "base/yaml_json.h"
#include "domain/deployment.h"

#include <string.h>

static int parse_text(const char *text, struct deployment_spec *out, struct ferr *err)
{
    json_t *doc = NULL;
    if (yaml_to_json(text, strlen(text), &doc, err))
        return -1;
    int rc = deployment_spec_parse(doc, out, err);
    json_decref(doc);
    return rc;
}

TEST(duration_parse_and_format)
{
    int64_t ms;
    ASSERT_INT_EQ(duration_parse("500ms", &ms), 0);
    ASSERT_INT_EQ(ms, 500);
    ASSERT_INT_EQ(duration_parse("30s", &ms), 0);
    ASSERT_INT_EQ(ms, 30000);
    ASSERT_INT_EQ(duration_parse("1.5", &ms), 0);
    ASSERT_INT_EQ(ms, 1500);
    ASSERT_INT_EQ(duration_parse("2h", &ms), 0);
    ASSERT_INT_EQ(ms, 7200000);
    ASSERT_INT_EQ(duration_parse("30d", &ms), 0);
    const char *bad[] = {"", "-1s", "1x", "s", " 1s", "1 s", "1e400", "nan", "99999999d"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        ASSERT_INT_EQ(duration_parse(bad[i], &ms), -1);
    char out[24];
    duration_format(60000, out);
    ASSERT_STR_EQ(out, "1m");
    duration_format(1500, out);
    ASSERT_STR_EQ(out, "1500ms");
    duration_format(86400000, out);
    ASSERT_STR_EQ(out, "1d");
}

TEST(deployment_spec_full_yaml_parses_with_defaults)
{
    struct deployment_spec s;
    struct ferr err = FERR_INIT;
    ASSERT_OK(parse_text("name: fraud\n"
                         "targets:\n"
                         "  - {model: \"models:/fraud@champion\", weight: 90}\n"
                         "  - {model: \"models:/fraud/7\"}\n"
                         "shadow:\n"
                         "  - {model: \"models:/fraud/8\"}\n"
                         "routing: {key: \"header:X-User-Id\"}\n"
                         "shadow_sample: 0.5\n"
                         "rollout:\n"
                         "  steps: [10, 25, 50, 100]\n"
                         "  interval: 60s\n"
                         "  min_requests: 200\n"
                         "  failure_limit: 2\n"
                         "  guards: {window: 30s, max_error_rate: 0.01, max_p99_ms: 50, "
                         "max_latency_ratio: 1.5, min_accuracy_delta: -0.02, min_labels: 300}\n"
                         "promote_alias: champion\n"
                         "log: {sample: 0.5, exclude_columns: [ssn], hash_columns: [email],\n"
                         "      retention: 7d, max_payload_bytes: 4096}\n"
                         "task: classification\n"
                         "positive_label: 1\n",
                         &s, &err),
              &err);
    ASSERT_STR_EQ(s.name, "fraud");
    ASSERT_INT_EQ(s.ntargets, 2);
    ASSERT_INT_EQ(s.targets[1].weight, -1);
    ASSERT_INT_EQ(s.nshadows, 1);
    ASSERT_STR_EQ(s.routing_key, "header:X-User-Id");
    ASSERT(s.shadow_sample == 0.5);
    ASSERT_INT_EQ(s.rollout.nsteps, 4);
    ASSERT_INT_EQ(s.rollout.interval_ms, 60000);
    ASSERT_INT_EQ(s.rollout.min_requests, 200);
    ASSERT_INT_EQ(s.rollout.failure_limit, 2);
    ASSERT(s.rollout.guards.max_error_rate == 0.01);
    ASSERT(s.rollout.guards.max_latency_ratio == 1.5);
    ASSERT_INT_EQ(s.rollout.guards.has_accuracy_delta, 1);
    ASSERT(s.rollout.guards.min_accuracy_delta == -0.02);
    ASSERT_INT_EQ(s.rollout.guards.min_labels, 300);
    ASSERT(s.log.present && s.log.sample == 0.5);
    ASSERT_INT_EQ(s.log.retention_ms, 7 * 86400000LL);
    ASSERT_INT_EQ(s.log.max_payload_bytes, 4096);
    ASSERT(deploy_log_lists(s.log.exclude_columns, s.log.nexclude, "ssn"));
    ASSERT(deploy_log_lists(s.log.hash_columns, s.log.nhash, "email"));
    ASSERT(!deploy_log_lists(s.log.hash_columns, s.log.nhash, "ssn"));
    ASSERT_INT_EQ(deployment_candidate(&s), 1);
    /* the JSON form reads back to the same */
    json_t *j = deployment_spec_to_json(&s);
    struct deployment_spec again;
    ASSERT_OK(deployment_spec_parse(j, &again, &err), &err);
    json_t *j2 = deployment_spec_to_json(&again);
    ASSERT(json_equal(j, j2));
    json_decref(j);
    json_decref(j2);
    deployment_spec_release(&again);
    /* weights along the rollout: the stable target takes the rest */
    struct deployment_status st;
    deployment_status_initial(&s, 1000, &st);
    ASSERT_INT_EQ(st.phase, DEPLOY_PROGRESSING);
    ASSERT_INT_EQ(st.weights[0], 90);
    ASSERT_INT_EQ(st.weights[1], 10);
    st.step = 2;
    deployment_weights(&s, &st);
    ASSERT_INT_EQ(st.weights[0], 50);
    st.phase = DEPLOY_ROLLED_BACK;
    deployment_weights(&s, &st);
    ASSERT_INT_EQ(st.weights[0], 100);
    ASSERT_INT_EQ(st.weights[1], 0);
    deployment_status_release(&st);
    deployment_spec_release(&s);
}

TEST(deployment_weights_share_the_rest_in_ratio_summing_to_100)
{
    struct deployment_spec s;
    struct ferr err = FERR_INIT;
    ASSERT_OK(parse_text("name: ab\ntargets:\n  - {model: \"models:/a/1\", weight: 60}\n"
                         "  - {model: \"models:/b/1\", weight: 30}\n"
                         "  - {model: \"models:/c/1\", weight: 10}\n"
                         "rollout: {steps: [10, 33, 77]}\n",
                         &s, &err),
              &err);
    struct deployment_status st;
    deployment_status_initial(&s, 0, &st);
    for (int step = 0; step < 3; step++) {
        st.step = step;
        deployment_weights(&s, &st);
        ASSERT_INT_EQ(st.weights[0] + st.weights[1] + st.weights[2], 100);
        ASSERT_INT_EQ(st.weights[2], s.rollout.steps[step]);
        ASSERT(st.weights[0] >= 2 * st.weights[1] - 1 && st.weights[0] <= 2 * st.weights[1] + 1);
    }
    deployment_spec_release(&s);
}

TEST(deployment_spec_bad_inputs_are_named)
{
    static const struct {
        const char *yaml, *needle;
    } cases[] = {
        {"targets: [{model: \"models:/a/1\", weight: 100}]\n", "'name' is required"},
        {"name: \"bad name\"\ntargets: [{model: \"models:/a/1\", weight: 100}]\n",
         "Invalid deployment name"},
        {"name: x\n", "'targets' is required"},
        {"name: x\ntargets: []\n", "'targets' must be a list of 1"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 90}]\n", "sum to 90, not 100"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: -5}]\n", "targets[0].weight"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 50.5}]\n", "targets[0].weight"},
        {"name: x\ntargets: [{model: \"models:/a/1\"}]\n", "targets[0].weight' is required"},
        {"name: x\ntargets: [{model: \"runs:/abc/model\", weight: 100}]\n", "targets[0].model"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 100, wieght: 1}]\n",
         "unknown key 'targets[0].wieght'"},
        {"name: x\nshadow_smaple: 1\ntargets: [{model: \"models:/a/1\", weight: 100}]\n",
         "unknown key 'shadow_smaple'"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 50}, {model: \"models:/a/1\", "
         "weight: 50}]\n",
         "listed twice"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 90}, {model: \"models:/a/2\"}]\n"
         "rollout: {steps: [10, 10]}\n",
         "increase strictly"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 80}, {model: \"models:/a/2\", "
         "weight: 20}]\nrollout: {steps: [10, 50]}\n",
         "starts at rollout.steps[0] = 10"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 100}]\nrollout: {steps: [100]}\n",
         "needs a stable target"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 90}, {model: \"models:/a/2\"}]\n"
         "rollout: {steps: [10], interval: soon}\n",
         "rollout.interval"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 90}, {model: \"models:/a/2\"}]\n"
         "rollout: {steps: [10], guards: {max_error_rate: 2}}\n",
         "max_error_rate"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 100}]\nrouting: {key: "
         "\"cookie:x\"}\n",
         "routing.key"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 100}]\nshadow_sample: 1.5\n",
         "shadow_sample"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 100}]\npromote_alias: champ\n",
         "needs a rollout"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 100}]\ntask: ranking\n", "task"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 100}]\nlog: {sample: 2}\n",
         "log.sample"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 100}]\nlog: {smaple: 1}\n",
         "unknown key 'log.smaple'"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 100}]\nlog: {retention: 2h}\n",
         "at least a day"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 100}]\nlog: {hash_columns: a}\n",
         "log.hash_columns"},
        {"name: x\ntargets: [{model: \"models:/a/1\", weight: 90}, {model: \"models:/a/2\"}]\n"
         "rollout: {steps: [10], guards: {min_accuracy_delta: 0.1}}\n",
         "min_accuracy_delta"},
        {"- 1\n- 2\n", "must be an object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct deployment_spec s;
        struct ferr err = FERR_INIT;
        if (parse_text(cases[i].yaml, &s, &err) == 0)
            FAIL_AT("case %zu parsed: %s", i, cases[i].yaml);
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
        if (!strstr(err.msg, cases[i].needle))
            FAIL_AT("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].needle);
    }
}
