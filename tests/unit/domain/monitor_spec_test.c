/* SPDX-License-Identifier: MIT
 * domain/monitor: a full spec parsed with its defaults and written back
 * the same; each malformed field refused with a message naming it. */
#include "../test.h"
#include "base/yaml_json.h"
#include "domain/monitor.h"

#include <math.h>
#include <string.h>

static json_t *doc_of(const char *yaml)
{
    json_t *doc = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(yaml_to_json(yaml, strlen(yaml), &doc, &err), &err);
    return doc;
}

static const char full[] =
    "name: fraud-drift\n"
    "deployment: fraud\n"
    "reference: {run_artifact: \"runs:/0123abcd/data/reference.csv\"}\n"
    "columns: [amount, merchant, prediction]\n"
    "column_kinds: {merchant: cat, amount: numerical}\n"
    "window: {last: 24h}\n"
    "schedule: {every: 1h}\n"
    "drift: {drift_share: 0.4, stattest: {amount: psi}, threshold: {amount: 0.2},\n"
    "        default_stattest: wasserstein, default_threshold: 0.15}\n"
    "decay: {f1: {min: 0.80}, accuracy: {max_drop: 0.05}}\n"
    "quality: {max_missing_share: 0.1, new_categories: true}\n"
    "min_rows: 500\n"
    "sinks:\n"
    "  - {webhook: {url: \"https://hooks.example.com/x\", secret_env: FERRY_WEBHOOK_SECRET,\n"
    "               headers: {X-Team: fraud}, timeout: 5s}}\n"
    "  - {command: \"/usr/local/bin/page\"}\n"
    "  - {command: {path: /bin/echo, args: [\"alert\", \"--now\"]}}\n";

TEST(monitor_spec_full_parses_and_round_trips)
{
    struct monitor_spec s, again;
    struct ferr err = FERR_INIT;
    json_t *doc = doc_of(full);
    ASSERT_OK(monitor_spec_parse(doc, &s, &err), &err);
    json_decref(doc);
    ASSERT_STR_EQ(s.name, "fraud-drift");
    ASSERT_STR_EQ(s.deployment, "fraud");
    ASSERT_INT_EQ(s.reference.kind, MON_REF_RUN_ARTIFACT);
    ASSERT_STR_EQ(s.reference.run_id, "0123abcd");
    ASSERT_STR_EQ(s.reference.path, "data/reference.csv");
    ASSERT_INT_EQ(s.ncolumns, 3);
    ASSERT_STR_EQ(s.columns[1], "merchant");
    ASSERT_STR_EQ(monitor_spec_column_kind(&s, "merchant"), "cat");
    ASSERT_STR_EQ(monitor_spec_column_kind(&s, "amount"), "num");
    ASSERT(monitor_spec_column_kind(&s, "prediction") == NULL);
    ASSERT_INT_EQ(s.window_ms, 86400000);
    ASSERT_INT_EQ(s.window_rows, 0);
    ASSERT_INT_EQ(s.every_ms, 3600000);
    ASSERT(fabs(s.drift_share - 0.4) < 1e-15);
    ASSERT_STR_EQ(monitor_spec_stattest(&s, "amount"), "psi");
    ASSERT_STR_EQ(monitor_spec_stattest(&s, "merchant"), "wasserstein");
    double t = 0;
    ASSERT_INT_EQ(monitor_spec_threshold(&s, "amount", &t), 1);
    ASSERT(fabs(t - 0.2) < 1e-15);
    ASSERT_INT_EQ(monitor_spec_threshold(&s, "merchant", &t), 1);
    ASSERT(fabs(t - 0.15) < 1e-15);
    ASSERT_INT_EQ(s.ndecay, 2);
    ASSERT_STR_EQ(s.decay[0].metric, "f1");
    ASSERT(s.decay[0].has_min && !s.decay[0].has_max_drop);
    ASSERT(s.decay[1].has_max_drop && fabs(s.decay[1].max_drop - 0.05) < 1e-15);
    ASSERT(fabs(s.quality.max_missing_share - 0.1) < 1e-15);
    ASSERT(s.quality.max_out_of_range_share < 0);
    ASSERT_INT_EQ(s.quality.new_categories, 1);
    ASSERT_INT_EQ(s.quality.schema, 1);
    ASSERT_INT_EQ(s.min_rows, 500);
    ASSERT_INT_EQ(s.nsinks, 3);
    ASSERT_INT_EQ(s.sinks[0].kind, MON_SINK_WEBHOOK);
    ASSERT_STR_EQ(s.sinks[0].secret_env, "FERRY_WEBHOOK_SECRET");
    ASSERT_INT_EQ(s.sinks[0].nheaders, 1);
    ASSERT_STR_EQ(s.sinks[0].header_names[0], "X-Team");
    ASSERT_INT_EQ(s.sinks[0].timeout_ms, 5000);
    ASSERT_INT_EQ(s.sinks[1].kind, MON_SINK_COMMAND);
    ASSERT_STR_EQ(s.sinks[1].path, "/usr/local/bin/page");
    ASSERT_INT_EQ(s.sinks[2].nargs, 2);
    ASSERT_STR_EQ(s.sinks[2].args[1], "--now");
    /* written back and parsed again: the same spec */
    json_t *j = monitor_spec_to_json(&s);
    ASSERT_OK(monitor_spec_parse(j, &again, &err), &err);
    json_decref(j);
    ASSERT(monitor_spec_equal(&s, &again));
    monitor_spec_release(&again);
    monitor_spec_copy(&s, &again);
    ASSERT(monitor_spec_equal(&s, &again));
    again.min_rows = 7;
    ASSERT(!monitor_spec_equal(&s, &again));
    monitor_spec_release(&again);
    monitor_spec_release(&s);
}

TEST(monitor_spec_minimal_gets_defaults_and_other_references)
{
    struct monitor_spec s;
    struct ferr err = FERR_INIT;
    json_t *doc = doc_of("name: m\ndeployment: d\nreference: {window: {last: 7d, ending: 1d}}\n"
                         "window: {last_rows: 10000}\n");
    ASSERT_OK(monitor_spec_parse(doc, &s, &err), &err);
    json_decref(doc);
    ASSERT_INT_EQ(s.reference.kind, MON_REF_WINDOW_RELATIVE);
    ASSERT_INT_EQ(s.reference.last_ms, 7 * 86400000LL);
    ASSERT_INT_EQ(s.reference.ending_ms, 86400000);
    ASSERT_INT_EQ(s.window_rows, 10000);
    ASSERT_INT_EQ(s.every_ms, 0);
    ASSERT(fabs(s.drift_share - 0.5) < 1e-15);
    ASSERT_INT_EQ(s.min_rows, 100);
    ASSERT_INT_EQ(s.ncolumns, 0);
    ASSERT_INT_EQ(s.nsinks, 0);
    ASSERT(monitor_spec_stattest(&s, "x") == NULL);
    double t;
    ASSERT_INT_EQ(monitor_spec_threshold(&s, "x", &t), 0);
    json_t *j = monitor_spec_to_json(&s);
    struct monitor_spec again;
    ASSERT_OK(monitor_spec_parse(j, &again, &err), &err);
    json_decref(j);
    ASSERT(monitor_spec_equal(&s, &again));
    monitor_spec_release(&again);
    monitor_spec_release(&s);

    doc = doc_of("name: m\ndeployment: d\nreference: {window: {from: 1700000000000, "
                 "to: \"2024-01-01T00:00:00Z\"}}\nwindow: {last: 1h}\n");
    ASSERT_OK(monitor_spec_parse(doc, &s, &err), &err);
    json_decref(doc);
    ASSERT_INT_EQ(s.reference.kind, MON_REF_WINDOW_FIXED);
    ASSERT_INT_EQ(s.reference.from_ms, 1700000000000LL);
    ASSERT_INT_EQ(s.reference.to_ms, 1704067200000LL);
    monitor_spec_release(&s);

    doc = doc_of("name: m\ndeployment: d\nreference: {dataset: \"data:/train/3\"}\n"
                 "window: {last: 3600}\n");
    ASSERT_OK(monitor_spec_parse(doc, &s, &err), &err);
    json_decref(doc);
    ASSERT_INT_EQ(s.reference.kind, MON_REF_DATASET);
    ASSERT_STR_EQ(s.reference.uri, "data:/train/3");
    ASSERT_INT_EQ(s.window_ms, 3600000);
    monitor_spec_release(&s);

    /* a file of a version by alias (issue 19) */
    doc = doc_of("name: m\ndeployment: d\nreference: {dataset: \"data:/train@prod/a/b.csv\"}\n"
                 "window: {last: 3600}\n");
    ASSERT_OK(monitor_spec_parse(doc, &s, &err), &err);
    json_decref(doc);
    ASSERT_STR_EQ(s.reference.uri, "data:/train@prod/a/b.csv");
    monitor_spec_release(&s);
}

/* Each bad spec and a piece of the message it must give. */
static const struct {
    const char *yaml, *want;
} bad_specs[] = {
    {"[1, 2]", "must be an object"},
    {"deployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n",
     "'name' is required"},
    {"name: \"a b\"\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n",
     "Invalid monitor name"},
    {"name: m\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n",
     "'deployment' is required"},
    {"name: m\ndeployment: \"-x\"\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n",
     "'deployment' must be a deployment's name"},
    {"name: m\ndeployment: d\nwindow: {last: 1h}\n", "'reference' is required"},
    {"name: m\ndeployment: d\nreference: {run_artifact: \"runs:/abc\"}\nwindow: {last: 1h}\n",
     "'reference.run_artifact' must be a run's artifact"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/x\"}\nwindow: {last: 1h}\n",
     "'reference.dataset' must be a dataset version"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/x/1/../y.csv\"}\nwindow: {last: 1h}\n",
     "'reference.dataset' must be a dataset version"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/-x/1\"}\nwindow: {last: 1h}\n",
     "'reference.dataset' must be a dataset version"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\", run_artifact: \"runs:/a/b\"}\n"
     "window: {last: 1h}\n",
     "'reference' must be an object with one of"},
    {"name: m\ndeployment: d\nreference: {window: {from: 5, last: 1h}}\nwindow: {last: 1h}\n",
     "'reference.window' takes either"},
    {"name: m\ndeployment: d\nreference: {window: {from: 5}}\nwindow: {last: 1h}\n",
     "'reference.window' needs both from and to"},
    {"name: m\ndeployment: d\nreference: {window: {from: 5, to: 3}}\nwindow: {last: 1h}\n",
     "'reference.window.to' must be after from"},
    {"name: m\ndeployment: d\nreference: {window: {from: yesterday, to: 3}}\nwindow: {last: 1h}\n",
     "'reference.window.from' must be a time"},
    {"name: m\ndeployment: d\nreference: {window: {ending: 1d}}\nwindow: {last: 1h}\n",
     "'reference.window.last' is required"},
    {"name: m\ndeployment: d\nreference: {window: {last: 1h, ending: later}}\nwindow: {last: 1h}\n",
     "'reference.window.ending' must be a positive duration"},
    {"name: m\ndeployment: d\nreference: {window: {last: soon}}\nwindow: {last: 1h}\n",
     "'reference.window.last' must be a positive duration"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\n", "'window' is required"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h, "
     "last_rows: 5}\n",
     "'window' takes one of last"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last_rows: 0}\n",
     "'window.last_rows' must be an integer from 1"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: -1h}\n",
     "'window.last' must be a positive duration"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "schedule: {every: 100ms}\n",
     "'schedule.every' must be at least 1s"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "schedule: {}\n",
     "'schedule.every' is required"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "columns: [a, a]\n",
     "'columns[1]' is listed twice"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "columns: []\n",
     "'columns' must be a list of 1 to 256"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "column_kinds: {a: text}\n",
     "'column_kinds.a' must be \"num\" or \"cat\""},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "drift: {drift_share: 1.5}\n",
     "'drift.drift_share' must be a number from 0 to 1"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "drift: {stattest: {amount: anderson}}\n",
     "'drift.stattest.amount' must be a test's name"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "drift: {threshold: {amount: -1}}\n",
     "'drift.threshold.amount' must be a number"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "drift: {default_stattest: t}\n",
     "'drift.default_stattest' must be a test's name"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "drift: {share: 0.5}\n",
     "unknown key 'drift.share'"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "decay: {F1: {min: 0.8}}\n",
     "'decay.F1' must name a metric"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "decay: {f1: {}}\n",
     "'decay.f1' needs at least one of min"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "decay: {f1: {max_drop: -0.1}}\n",
     "'decay.f1.max_drop' must be a number from 0"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "decay: {f1: {minimum: 0.8}}\n",
     "unknown key 'decay.f1.minimum'"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "decay: {f1: {min: 0.9, max: 0.8}}\n",
     "'decay.f1' has min above max"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "quality: {new_categories: maybe}\n",
     "'quality.new_categories' must be true or false"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "min_rows: -1\n",
     "'min_rows' must be an integer from 0"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "sinks: [{webhook: {url: \"ftp://x/y\"}}]\n",
     "'sinks[0].webhook.url' must be an http:// or https:// URL"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "sinks: [{webhook: {url: \"https://x/y\", secret_env: \"1BAD\"}}]\n",
     "'sinks[0].webhook.secret_env' must name an environment variable"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "sinks: [{webhook: {url: \"https://x/y\", headers: {\"Bad Name\": v}}}]\n",
     "'sinks[0].webhook.headers' has a header name"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "sinks: [{webhook: {url: \"https://x/y\", headers: {X-Ferry-Signature: forged}}}]\n",
     "'sinks[0].webhook.headers.X-Ferry-Signature' is a header ferry sets itself"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "sinks: [{webhook: {url: \"https://x/y\", headers: {content-length: \"0\"}}}]\n",
     "'sinks[0].webhook.headers.content-length' is a header ferry sets itself"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "sinks: [{webhook: {url: \"https://x/y\", timeout: 10m}}]\n",
     "'sinks[0].webhook.timeout' must be at most 5m"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "sinks: [{command: \"relative/script\"}]\n",
     "'sinks[0].command' must be an absolute path"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "sinks: [{email: \"a@b\"}]\n",
     "unknown key 'sinks[0].email'"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "sinks: [{webhook: {url: \"https://x/y\"}, command: \"/bin/true\"}]\n",
     "'sinks[0]' must be {webhook"},
    {"name: m\ndeployment: d\nreference: {dataset: \"data:/a/1\"}\nwindow: {last: 1h}\n"
     "alerts: []\n",
     "unknown key 'alerts'"},
};

/* JSON numbers of seconds (as the REST API may send them) within bounds
 * that read back from the stored JSON. */
TEST(monitor_spec_numeric_durations_round_trip)
{
    struct monitor_spec s, again;
    struct ferr err = FERR_INIT;
    json_t *doc = json_pack("{s:s, s:s, s:{s:{s:f, s:i}}, s:{s:f}, s:{s:i}}", "name", "m",
                            "deployment", "d", "reference", "window", "last", 86400.5, "ending", 0,
                            "window", "last", 1.5, "schedule", "every", 999999999);
    ASSERT_OK(monitor_spec_parse(doc, &s, &err), &err);
    json_decref(doc);
    ASSERT_INT_EQ(s.reference.last_ms, 86400500);
    ASSERT_INT_EQ(s.reference.ending_ms, 0);
    ASSERT_INT_EQ(s.window_ms, 1500);
    ASSERT_INT_EQ(s.every_ms, 999999999000LL);
    json_t *j = monitor_spec_to_json(&s);
    ASSERT_OK(monitor_spec_parse(j, &again, &err), &err);
    json_decref(j);
    ASSERT(monitor_spec_equal(&s, &again));
    monitor_spec_release(&again);
    monitor_spec_release(&s);
    doc = json_pack("{s:s, s:s, s:{s:s}, s:{s:f}}", "name", "m", "deployment", "d", "reference",
                    "dataset", "data:/a/1", "window", "last", 3.1e9);
    ASSERT_FAILS(monitor_spec_parse(doc, &s, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "'window.last' must be a positive duration");
    json_decref(doc);
}

TEST(monitor_spec_bad_fields_named_in_errors)
{
    for (size_t i = 0; i < sizeof(bad_specs) / sizeof(*bad_specs); i++) {
        struct monitor_spec s;
        struct ferr err = FERR_INIT;
        json_t *doc = doc_of(bad_specs[i].yaml);
        int rc = monitor_spec_parse(doc, &s, &err);
        json_decref(doc);
        if (rc == 0)
            FAIL_AT("spec %zu parsed; expected \"%s\"", i, bad_specs[i].want);
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
        if (!strstr(err.msg, bad_specs[i].want))
            FAIL_AT("spec %zu: \"%s\" lacks \"%s\"", i, err.msg, bad_specs[i].want);
    }
}

TEST(monitor_names_and_states)
{
    struct ferr err = FERR_INIT;
    ASSERT_OK(monitor_name_check("fraud-drift.v2_a", &err), &err);
    ASSERT_FAILS(monitor_name_check("", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(monitor_name_check("a/b", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    char long_name[130];
    memset(long_name, 'a', 129);
    long_name[129] = 0;
    ASSERT_FAILS(monitor_name_check(long_name, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    long_name[128] = 0;
    ASSERT_OK(monitor_name_check(long_name, &err), &err);
    enum alert_state st;
    ASSERT_INT_EQ(alert_state_parse("acknowledged", &st), 0);
    ASSERT_INT_EQ(st, ALERT_ACKNOWLEDGED);
    ASSERT_INT_EQ(alert_state_parse("closed", &st), -1);
    ASSERT_STR_EQ(monitor_status_name(MON_STATUS_INSUFFICIENT), "insufficient");
    ASSERT_STR_EQ(delivery_state_name(DELIVERY_FAILED), "failed");
    ASSERT_STR_EQ(delivery_event_name(DELIVERY_RESOLVED), "resolved");
    ASSERT_STR_EQ(alert_severity_name(ALERT_CRITICAL), "critical");
    ASSERT(monitor_stattest_known("jensenshannon") && !monitor_stattest_known("t"));
    ASSERT_OK(alert_condition_check("quality:missing:card amount", &err), &err);
    ASSERT_FAILS(alert_condition_check("", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(alert_condition_check("a\nb", &err), &err, FERR_INVALID_PARAMETER_VALUE);
}
