/* SPDX-License-Identifier: MIT
 * domain/trigger_spec: each kind parses (YAML and JSON) with its defaults
 * and its canonical JSON reads back the same; every malformed field is
 * refused with a message naming it; events match the kinds they should;
 * the event.X fields of stream, schedule and manual firings; params
 * rendered from them. */
#include "../test.h"
#include "domain/trigger_spec.h"

#include <string.h>

static void parse_ok(const char *text, struct trigger_spec *t)
{
    struct ferr err = FERR_INIT;
    ASSERT_OK(trigger_spec_parse(text, strlen(text), t, &err), &err);
}

/* The canonical JSON parses back to the same JSON. */
static void round_trips(const struct trigger_spec *t)
{
    struct trigger_spec again;
    struct ferr err = FERR_INIT;
    json_t *j = trigger_spec_json(t);
    ASSERT_OK(trigger_spec_from_json(j, &again, &err), &err);
    json_t *j2 = trigger_spec_json(&again);
    char *a = json_dumps(j, JSON_COMPACT), *b = json_dumps(j2, JSON_COMPACT);
    ASSERT_STR_EQ(a, b);
    /* and as text through trigger_spec_parse (the JSON path) */
    trigger_spec_release(&again);
    ASSERT_OK(trigger_spec_parse(a, strlen(a), &again, &err), &err);
    trigger_spec_release(&again);
    free(a);
    free(b);
    json_decref(j);
    json_decref(j2);
}

static char *canon(const struct trigger_spec *t)
{
    json_t *j = trigger_spec_json(t);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

TEST(trigger_spec_full_yaml_parses)
{
    struct trigger_spec t;
    parse_ok("name: retrain-fraud\n"
             "description: \"retrain on new data\"\n"
             "enabled: false\n"
             "on:\n"
             "  dataset: {name: transactions, alias: prod}\n"
             "pipeline:\n"
             "  uri: \"git+https://example.com/ml.git#pipelines/fraud\"\n"
             "  version: main\n"
             "  name: fraud-from-data\n"
             "  experiment: fraud-retraining\n"
             "params:\n"
             "  data: \"{event.dataset_uri}\"\n"
             "  why: \"{trigger.name} saw {event.alias}@{event.dataset_version} {{literal}}\"\n"
             "  alpha: 0.5\n"
             "  full: true\n"
             "concurrency: queue\n",
             &t);
    ASSERT_STR_EQ(t.name, "retrain-fraud");
    ASSERT_STR_EQ(t.description, "retrain on new data");
    ASSERT_INT_EQ(t.enabled, 0);
    ASSERT_INT_EQ(t.kind, TRIGGER_DATASET);
    ASSERT_STR_EQ(t.dataset, "transactions");
    ASSERT_STR_EQ(t.alias, "prod");
    ASSERT_STR_EQ(t.pipeline_uri, "git+https://example.com/ml.git#pipelines/fraud");
    ASSERT_STR_EQ(t.pipeline_version, "main");
    ASSERT_STR_EQ(t.pipeline_name, "fraud-from-data");
    ASSERT_STR_EQ(t.pipeline_experiment, "fraud-retraining");
    ASSERT_INT_EQ(t.nparams, 4);
    ASSERT_STR_EQ(t.params[0].name, "data");
    ASSERT_STR_EQ(t.params[2].value, "0.5");
    ASSERT_STR_EQ(t.params[3].value, "true");
    ASSERT_INT_EQ(t.concurrency, TRIGGER_QUEUE);
    ASSERT_STR_EQ(trigger_kind_name(t.kind), "dataset");
    round_trips(&t);
    char *c = canon(&t);
    ASSERT_STR_EQ(c, "{\"name\":\"retrain-fraud\",\"description\":\"retrain on new data\","
                     "\"enabled\":false,\"on\":{\"dataset\":{\"name\":\"transactions\",\"alias\":"
                     "\"prod\"}},\"pipeline\":{\"uri\":\"git+https://example.com/ml.git#pipelines/"
                     "fraud\",\"version\":\"main\",\"name\":\"fraud-from-data\",\"experiment\":"
                     "\"fraud-retraining\"},\"params\":{\"data\":\"{event.dataset_uri}\",\"why\":"
                     "\"{trigger.name} saw {event.alias}@{event.dataset_version} {{literal}}\","
                     "\"alpha\":\"0.5\",\"full\":\"true\"},\"concurrency\":\"queue\"}");
    free(c);
    trigger_spec_release(&t);
}

TEST(trigger_spec_each_kind_and_defaults)
{
    struct trigger_spec t;
    char *c;
    parse_ok(
        "name: nightly\non: {schedule: \"  0 3 * * *  \"}\npipeline: {uri: /srv/pipes/fraud}\n",
        &t);
    ASSERT_INT_EQ(t.kind, TRIGGER_SCHEDULE);
    ASSERT_STR_EQ(t.schedule, "0 3 * * *");
    ASSERT_INT_EQ(t.enabled, 1);
    ASSERT_INT_EQ(t.concurrency, TRIGGER_SKIP);
    ASSERT_INT_EQ(t.nparams, 0);
    c = canon(&t);
    ASSERT_STR_EQ(c, "{\"name\":\"nightly\",\"enabled\":true,\"on\":{\"schedule\":\"0 3 * * *\"},"
                     "\"pipeline\":{\"uri\":\"/srv/pipes/fraud\"},\"params\":{},\"concurrency\":"
                     "\"skip\"}");
    free(c);
    round_trips(&t);
    trigger_spec_release(&t);

    parse_ok(
        "{\"name\": \"on_drift\", \"on\": {\"alert\": {\"monitor\": \"fraud-drift\"}},"
        " \"pipeline\": {\"uri\": \"/p\"}, \"enabled\": \"true\", \"concurrency\": \"replace\"}",
        &t);
    ASSERT_INT_EQ(t.kind, TRIGGER_ALERT);
    ASSERT_STR_EQ(t.monitor, "fraud-drift");
    ASSERT_INT_EQ(t.condition, TRIGGER_COND_ANY);
    ASSERT_INT_EQ(t.concurrency, TRIGGER_REPLACE);
    c = canon(&t);
    ASSERT_CONTAINS(c, "\"on\":{\"alert\":{\"monitor\":\"fraud-drift\",\"condition\":\"any\"}}");
    free(c);
    round_trips(&t);
    trigger_spec_release(&t);

    parse_ok("name: promote.watch\non: {registry: {model: fraud, event: stage_changed, stage: "
             "production}}\npipeline: {uri: /p}\n",
             &t);
    ASSERT_INT_EQ(t.kind, TRIGGER_REGISTRY);
    ASSERT_INT_EQ(t.reg_event, TRIGGER_REG_STAGE_CHANGED);
    ASSERT_STR_EQ(t.stage, "Production");
    ASSERT(t.alias == NULL);
    round_trips(&t);
    trigger_spec_release(&t);

    parse_ok("name: x\non: {registry: {model: fraud, event: alias_moved, alias: champion}}\n"
             "pipeline: {uri: /p}\n",
             &t);
    ASSERT_INT_EQ(t.reg_event, TRIGGER_REG_ALIAS_MOVED);
    ASSERT_STR_EQ(t.alias, "champion");
    round_trips(&t);
    trigger_spec_release(&t);

    parse_ok("name: _x-1.2\non: {dataset: {name: tx}}\npipeline: {uri: \"file:///srv/p\"}\n", &t);
    ASSERT(t.alias == NULL);
    round_trips(&t);
    trigger_spec_release(&t);
}

TEST(trigger_spec_refusals_name_the_field)
{
    static const struct {
        const char *text, *msg;
    } rows[] = {
        {"", "trigger spec: the spec is empty"},
        {" \n\t", "trigger spec: the spec is empty"},
        {"just text", "trigger spec: the spec must be a mapping"},
        {"[1, 2]", "the spec must be a mapping"},
        {"{\"name\": ", "trigger spec: bad JSON at line 1"},
        {"name: [", "trigger spec: "},
        {"on: {schedule: \"@daily\"}\npipeline: {uri: /p}\n", "trigger spec: 'name' is required"},
        {"name: \"-x\"\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\n",
         "'name' must be [A-Za-z0-9_][A-Za-z0-9_.-]*, at most 128 bytes, not '-x'"},
        {"name: \"a b\"\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\n", "'name' must be"},
        {"name: 5x\nextra: 1\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\n",
         "trigger spec: unknown key 'extra'"},
        {"name: x\npipeline: {uri: /p}\n",
         "'on' is required: one of schedule, alert, dataset, registry"},
        {"name: x\non: {schedule: \"@daily\", dataset: {name: d}}\npipeline: {uri: /p}\n",
         "'on' must have exactly one kind, not 2"},
        {"name: x\non: {}\npipeline: {uri: /p}\n", "'on' must be a mapping with exactly one of"},
        {"name: x\non: daily\npipeline: {uri: /p}\n", "'on' must be a mapping"},
        {"name: x\non: {webhook: {}}\npipeline: {uri: /p}\n",
         "unknown key 'on.webhook' (schedule, alert, dataset or registry)"},
        {"name: x\non: {schedule: \"@daily\", hourly: 1}\npipeline: {uri: /p}\n",
         "unknown key 'on.hourly'"},
        {"name: x\non: {schedule: \"0 3 * * * *\"}\npipeline: {uri: /p}\n",
         "trigger spec: 'on.schedule': cron: 6 fields: ferry's cron has 5"},
        {"name: x\non: {schedule: \"61 3 * * *\"}\npipeline: {uri: /p}\n",
         "'on.schedule': cron: minute 61 out of range 0-59"},
        {"name: x\non: {schedule: \"0 0 30 2 *\"}\npipeline: {uri: /p}\n",
         "'on.schedule': '0 0 30 2 *' never fires: no month selected has that day-of-month"},
        {"name: x\non: {schedule: {every: 1h}}\npipeline: {uri: /p}\n",
         "'on.schedule' must be a cron expression string"},
        {"name: x\non: {alert: {}}\npipeline: {uri: /p}\n", "'on.alert.monitor' is required"},
        {"name: x\non: {alert: fraud}\npipeline: {uri: /p}\n", "'on.alert' must be a mapping"},
        {"name: x\non: {alert: {monitor: m, condition: quality:missing}}\npipeline: {uri: /p}\n",
         "'on.alert.condition' must be one of any, drift, decay, quality, not 'quality:missing'"},
        {"name: x\non: {alert: {monitor: m, severity: high}}\npipeline: {uri: /p}\n",
         "unknown key 'on.alert.severity'"},
        {"name: x\non: {dataset: {alias: prod}}\npipeline: {uri: /p}\n",
         "'on.dataset.name' is required"},
        {"name: x\non: {dataset: {name: \"\"}}\npipeline: {uri: /p}\n",
         "'on.dataset.name' must not be empty"},
        {"name: x\non: {dataset: {name: [a]}}\npipeline: {uri: /p}\n",
         "'on.dataset.name' must be a string"},
        {"name: x\non: {dataset: {name: d, version: 3}}\npipeline: {uri: /p}\n",
         "unknown key 'on.dataset.version'"},
        {"name: x\non: {registry: {model: m}}\npipeline: {uri: /p}\n",
         "'on.registry.event' is required"},
        {"name: x\non: {registry: {model: m, event: created}}\npipeline: {uri: /p}\n",
         "'on.registry.event' must be one of version_created, stage_changed, alias_moved, not "
         "'created'"},
        {"name: x\non: {registry: {event: alias_moved}}\npipeline: {uri: /p}\n",
         "'on.registry.model' is required"},
        {"name: x\non: {registry: {model: m, event: version_created, alias: c}}\n"
         "pipeline: {uri: /p}\n",
         "'on.registry.alias' goes only with event alias_moved"},
        {"name: x\non: {registry: {model: m, event: alias_moved, stage: Production}}\n"
         "pipeline: {uri: /p}\n",
         "'on.registry.stage' goes only with event stage_changed"},
        {"name: x\non: {registry: {model: m, event: stage_changed, stage: Prod}}\n"
         "pipeline: {uri: /p}\n",
         "'on.registry.stage' must be one of None, Staging, Production, Archived, not 'Prod'"},
        {"name: x\non: {schedule: \"@daily\"}\n", "'pipeline' is required"},
        {"name: x\non: {schedule: \"@daily\"}\npipeline: {version: main}\n",
         "'pipeline.uri' is required"},
        {"name: x\non: {schedule: \"@daily\"}\npipeline: {uri: pipelines/fraud}\n",
         "'pipeline.uri': a local pipeline must be an absolute path, not 'pipelines/fraud'"},
        {"name: x\non: {schedule: \"@daily\"}\npipeline: {uri: /p, branch: main}\n",
         "unknown key 'pipeline.branch'"},
        {"name: x\non: {schedule: \"@daily\"}\npipeline: /p\n", "'pipeline' must be a mapping"},
        {"name: x\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\nparams: [a]\n",
         "'params' must be a mapping"},
        {"name: x\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\nparams: {a.b: x}\n",
         "'params': bad name 'a.b'"},
        {"name: x\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\nparams: {a: {b: c}}\n",
         "'params.a' must be a string"},
        {"name: x\non: {dataset: {name: d}}\npipeline: {uri: /p}\n"
         "params: {data: \"{event.dataset_url}\"}\n",
         "trigger spec: 'params.data': unknown field '{event.dataset_url}' for a dataset trigger "
         "(its fields: id, kind, time_ms, time, dataset, dataset_version, dataset_uri, alias)"},
        {"name: x\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\n"
         "params: {m: \"{event.model}\"}\n",
         "unknown field '{event.model}' for a schedule trigger"},
        {"name: x\non: {alert: {monitor: m}}\npipeline: {uri: /p}\n"
         "params: {d: \"{event.dataset_uri}\"}\n",
         "unknown field '{event.dataset_uri}' for an alert trigger"},
        {"name: x\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\nparams: {a: \"{params.b}\"}\n",
         "'params.a': unknown reference '{params.b}': templates use {event.X} and {trigger.name}"},
        {"name: x\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\nparams: {a: \"{event.id\"}\n",
         "'params.a': unclosed '{' in '{event.id'"},
        {"name: x\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\nparams: {a: \"{}\"}\n",
         "unknown reference '{}'"},
        {"name: x\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\nconcurrency: parallel\n",
         "'concurrency' must be one of skip, queue, replace, not 'parallel'"},
        {"name: x\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\nenabled: yes\n",
         "'enabled' must be true or false"},
        {"name: x\non: {dataset: {name: \"a\\nb\"}}\npipeline: {uri: /p}\n",
         "'on.dataset.name' holds a control character"},
        {"name: x\ndescription: [3]\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\n",
         "'description' must be a string"},
        {"{\"name\": \"x\", \"name\": \"y\"}", "bad JSON"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct trigger_spec t;
        struct ferr err = FERR_INIT;
        if (trigger_spec_parse(rows[i].text, strlen(rows[i].text), &t, &err) == 0)
            FAIL_AT("row %zu parsed: %s", i, rows[i].text);
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
        if (!strstr(err.msg, rows[i].msg))
            FAIL_AT("row %zu: \"%s\" lacks \"%s\"", i, err.msg, rows[i].msg);
    }
}

TEST(trigger_spec_name_length_and_size_limits)
{
    struct trigger_spec t;
    struct ferr err = FERR_INIT;
    char name[130], text[400];
    memset(name, 'a', 128);
    name[128] = 0;
    snprintf(text, sizeof(text), "name: %s\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\n",
             name);
    parse_ok(text, &t);
    trigger_spec_release(&t);
    name[128] = 'a';
    name[129] = 0;
    snprintf(text, sizeof(text), "name: %s\non: {schedule: \"@daily\"}\npipeline: {uri: /p}\n",
             name);
    ASSERT_FAILS(trigger_spec_parse(text, strlen(text), &t, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "'name'");
    ASSERT_FAILS(trigger_spec_parse(text, TRIGGER_SPEC_MAX_BYTES + 1, &t, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "larger than");
    ASSERT(trigger_name_ok("a.b-c_d"));
    ASSERT(!trigger_name_ok(".a"));
    ASSERT(!trigger_name_ok(""));
    ASSERT(trigger_uri_is_local("/srv/p"));
    ASSERT(trigger_uri_is_local("rel/dir"));
    ASSERT(!trigger_uri_is_local("git+https://h/x.git#a/b"));
    ASSERT(trigger_uri_is_local("./x://y"));
}

static json_t *payload(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        FAIL_AT("bad payload in the test: %s", je.text);
    return j;
}

static int matches(const char *spec, const char *kind, const char *subject, const char *pl)
{
    struct trigger_spec t;
    parse_ok(spec, &t);
    json_t *p = pl ? payload(pl) : NULL;
    int m = trigger_event_matches(&t, kind, p, subject);
    json_decref(p);
    trigger_spec_release(&t);
    return m;
}

TEST(trigger_event_matches_per_kind)
{
    static const char alert_any[] = "name: a\non: {alert: {monitor: fd}}\npipeline: {uri: /p}\n";
    static const char alert_decay[] =
        "name: a\non: {alert: {monitor: fd, condition: decay}}\npipeline: {uri: /p}\n";
    static const char ds[] = "name: d\non: {dataset: {name: tx}}\npipeline: {uri: /p}\n";
    static const char ds_alias[] =
        "name: d\non: {dataset: {name: tx, alias: prod}}\npipeline: {uri: /p}\n";
    static const char created[] =
        "name: r\non: {registry: {model: fraud, event: version_created}}\npipeline: {uri: /p}\n";
    static const char staged[] = "name: r\non: {registry: {model: fraud, event: stage_changed, "
                                 "stage: Production}}\npipeline: {uri: /p}\n";
    static const char staged_any[] =
        "name: r\non: {registry: {model: fraud, event: stage_changed}}\npipeline: {uri: /p}\n";
    static const char moved[] = "name: r\non: {registry: {model: fraud, event: alias_moved, "
                                "alias: champion}}\npipeline: {uri: /p}\n";
    static const char moved_any[] =
        "name: r\non: {registry: {model: fraud, event: alias_moved}}\npipeline: {uri: /p}\n";
    static const char sched[] = "name: s\non: {schedule: \"* * * * *\"}\npipeline: {uri: /p}\n";

    const char *drift = "{\"alert_id\": 7, \"monitor\": \"fd\", \"condition\": \"drift\"}";
    const char *decay = "{\"alert_id\": 8, \"monitor\": \"fd\", \"condition\": \"decay:f1\"}";
    const char *decayed = "{\"alert_id\": 8, \"monitor\": \"fd\", \"condition\": \"decayed:x\"}";
    ASSERT(matches(alert_any, "alert.opened", "fd", drift));
    ASSERT(matches(alert_any, "alert.opened", "fd", NULL)); /* subject names the monitor */
    ASSERT(!matches(alert_any, "alert.resolved", "fd", drift));
    ASSERT(!matches(alert_any, "alert.acknowledged", "fd", drift));
    ASSERT(!matches(alert_any, "alert.opened", "other", "{\"monitor\": \"other\"}"));
    ASSERT(matches(alert_decay, "alert.opened", "fd", decay));
    ASSERT(!matches(alert_decay, "alert.opened", "fd", drift));
    ASSERT(!matches(alert_decay, "alert.opened", "fd", decayed));
    ASSERT(!matches(alert_decay, "alert.opened", "fd", NULL));

    const char *v3 = "{\"name\": \"tx\", \"version\": 3, \"uri\": \"data:/tx/3\"}";
    const char *prod = "{\"name\": \"tx\", \"alias\": \"prod\", \"version\": 3}";
    const char *dev = "{\"name\": \"tx\", \"alias\": \"dev\", \"version\": 3}";
    ASSERT(matches(ds, "dataset.version_created", "tx", v3));
    ASSERT(!matches(ds, "dataset.alias_set", "tx", prod));
    ASSERT(!matches(ds, "dataset.version_created", "tx2", "{\"name\": \"tx2\"}"));
    ASSERT(matches(ds_alias, "dataset.alias_set", "tx", prod));
    ASSERT(!matches(ds_alias, "dataset.alias_set", "tx", dev));
    ASSERT(!matches(ds_alias, "dataset.version_created", "tx", v3));

    const char *cv = "{\"model\": \"fraud\", \"version\": 4, \"detail\": \"runs:/r/model\"}";
    const char *tr =
        "{\"model\": \"fraud\", \"version\": 4, \"detail\": \"Staging -> Production\"}";
    const char *arch = "{\"model\": \"fraud\", \"version\": 3, \"detail\": \"Production -> "
                       "Archived (archive_existing_versions)\"}";
    const char *al = "{\"model\": \"fraud\", \"version\": 4, \"detail\": \"@champion: 3 -> 4\"}";
    const char *al_new = "{\"model\": \"fraud\", \"version\": 4, \"detail\": \"@champion -> 4\"}";
    const char *al_other = "{\"model\": \"fraud\", \"version\": 4, \"detail\": \"@challenger -> "
                           "4\"}";
    ASSERT(matches(created, "registry.create_version", "fraud", cv));
    ASSERT(!matches(created, "registry.create_model", "fraud", cv));
    ASSERT(!matches(created, "registry.create_version", "other", "{\"model\": \"other\"}"));
    ASSERT(matches(staged, "registry.transition", "fraud", tr));
    ASSERT(!matches(staged, "registry.transition", "fraud", arch));
    ASSERT(matches(staged_any, "registry.transition", "fraud", arch));
    ASSERT(!matches(staged, "registry.set_alias", "fraud", al));
    ASSERT(matches(moved, "registry.set_alias", "fraud", al));
    ASSERT(matches(moved, "registry.set_alias", "fraud", al_new));
    ASSERT(!matches(moved, "registry.set_alias", "fraud", al_other));
    ASSERT(!matches(moved, "registry.delete_alias", "fraud", al));
    ASSERT(matches(moved_any, "registry.set_alias", "fraud", al_other));

    ASSERT(!matches(sched, "trigger.fired", "s", NULL));
    ASSERT(!matches(ds, NULL, "tx", v3));
}

static void field_is(json_t *f, const char *key, const char *want)
{
    json_t *v = json_object_get(f, key);
    if (!json_is_string(v) || strcmp(json_string_value(v), want))
        FAIL_AT("field %s: %s, want \"%s\"", key, v ? json_dumps(v, JSON_ENCODE_ANY) : "absent",
                want);
}

TEST(trigger_event_fields_of_each_family)
{
    /* 2026-12-03T20:24:00Z */
    const int64_t t = 1796329440000;
    json_t *p = payload("{\"alert_id\": 7, \"monitor\": \"fd\", \"deployment\": \"fraud\", "
                        "\"condition\": \"decay:f1\", \"severity\": \"critical\"}");
    json_t *f = trigger_event_fields("alert.opened", 42, t, "fd", p);
    field_is(f, "id", "42");
    field_is(f, "kind", "alert.opened");
    field_is(f, "time_ms", "1796329440000");
    field_is(f, "time", "2026-12-03T20:24:00Z");
    field_is(f, "alert_id", "7");
    field_is(f, "monitor", "fd");
    field_is(f, "deployment", "fraud");
    field_is(f, "condition", "decay:f1");
    field_is(f, "severity", "critical");
    ASSERT_INT_EQ(json_object_size(f), 9);
    json_decref(f);
    json_decref(p);

    p = payload("{\"name\": \"tx\", \"version\": 3, \"uri\": \"data:/tx/3\", \"digest\": \"ab\"}");
    f = trigger_event_fields("dataset.version_created", 5, t, "tx", p);
    field_is(f, "dataset", "tx");
    field_is(f, "dataset_version", "3");
    field_is(f, "dataset_uri", "data:/tx/3");
    field_is(f, "alias", "");
    json_decref(f);
    json_decref(p);
    /* without a uri in the payload, it is made from name and version */
    p = payload("{\"name\": \"tx\", \"alias\": \"prod\", \"version\": 4}");
    f = trigger_event_fields("dataset.alias_set", 6, t, "tx", p);
    field_is(f, "dataset_uri", "data:/tx/4");
    field_is(f, "alias", "prod");
    json_decref(f);
    json_decref(p);

    p = payload("{\"model\": \"fraud\", \"version\": 4, \"detail\": \"@champion: 3 -> 4\"}");
    f = trigger_event_fields("registry.set_alias", 9, t, "fraud", p);
    field_is(f, "model", "fraud");
    field_is(f, "model_version", "4");
    field_is(f, "model_uri", "models:/fraud/4");
    field_is(f, "alias", "champion");
    field_is(f, "stage", "");
    field_is(f, "action", "set_alias");
    json_decref(f);
    json_decref(p);
    p = payload("{\"model\": \"fraud\", \"version\": 4, \"detail\": \"None -> Staging\"}");
    f = trigger_event_fields("registry.transition", 10, t, "fraud", p);
    field_is(f, "stage", "Staging");
    field_is(f, "alias", "");
    json_decref(f);
    json_decref(p);
    p = payload("{\"model\": \"fraud\", \"version\": null, \"detail\": \"\"}");
    f = trigger_event_fields("registry.create_model", 11, t, "fraud", p);
    field_is(f, "model_version", "");
    field_is(f, "model_uri", "");
    json_decref(f);
    json_decref(p);
    /* no payload at all: the subject still names the thing */
    f = trigger_event_fields("registry.create_version", 12, t, "fraud", NULL);
    field_is(f, "model", "fraud");
    field_is(f, "model_uri", "");
    json_decref(f);

    /* a kind of no family: the common fields only */
    f = trigger_event_fields("deployment.promote", 13, t, "fraud", NULL);
    ASSERT_INT_EQ(json_object_size(f), 4);
    json_decref(f);
    f = trigger_event_fields(NULL, 14, t, NULL, NULL);
    field_is(f, "kind", "");
    json_decref(f);

    f = trigger_schedule_fields(1796342400000, 1796342401500);
    field_is(f, "id", "");
    field_is(f, "kind", "schedule");
    field_is(f, "scheduled_time", "2026-12-04T00:00:00Z");
    field_is(f, "scheduled_time_ms", "1796342400000");
    field_is(f, "time", "2026-12-04T00:00:01.500Z");
    json_decref(f);
}

TEST(trigger_render_params_fills_templates)
{
    struct trigger_spec t;
    struct ferr err = FERR_INIT;
    json_t *out = NULL;
    parse_ok(
        "name: retrain\non: {dataset: {name: tx}}\npipeline: {uri: /p}\n"
        "params: {data: \"{event.dataset_uri}\", tag: \"{trigger.name}-{event.dataset_version}\","
        " json: \"{{\\\"v\\\": {event.dataset_version}}}\", plain: x}\n",
        &t);
    json_t *p = payload("{\"name\": \"tx\", \"version\": 3, \"uri\": \"data:/tx/3\"}");
    json_t *f = trigger_event_fields("dataset.version_created", 5, 0, "tx", p);
    ASSERT_OK(trigger_render_params(&t, f, &out, &err), &err);
    char *s = json_dumps(out, JSON_COMPACT);
    ASSERT_STR_EQ(s, "{\"data\":\"data:/tx/3\",\"tag\":\"retrain-3\",\"json\":\"{\\\"v\\\": 3}\","
                     "\"plain\":\"x\"}");
    free(s);
    json_decref(out);
    /* a field the map lacks is an error at render time */
    json_object_del(f, "dataset_uri");
    ASSERT_FAILS(trigger_render_params(&t, f, &out, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_STR_EQ(err.msg, "param 'data': the event has no field 'dataset_uri'");
    json_decref(f);
    json_decref(p);
    trigger_spec_release(&t);
}

TEST(trigger_manual_firing_fields_and_overrides)
{
    struct trigger_spec t;
    struct ferr err = FERR_INIT;
    json_t *f = NULL, *params = NULL;
    parse_ok("name: retrain\non: {dataset: {name: tx}}\npipeline: {uri: /p}\n"
             "params: {data: \"{event.dataset_uri}\", v: \"{event.dataset_version}\", n: \"1\"}\n",
             &t);
    json_t *given =
        payload("{\"event.dataset_uri\": \"data:/tx/9\", \"n\": \"2\", \"extra\": \"e\"}");
    ASSERT_OK(trigger_manual_firing(&t, 1000, given, &f, &params, &err), &err);
    field_is(f, "kind", "manual");
    field_is(f, "id", "");
    field_is(f, "dataset_uri", "data:/tx/9");
    field_is(f, "dataset_version", "");
    field_is(f, "alias", "");
    field_is(f, "time", "1970-01-01T00:00:01Z");
    char *s = json_dumps(params, JSON_COMPACT);
    ASSERT_STR_EQ(s, "{\"data\":\"data:/tx/9\",\"v\":\"\",\"n\":\"2\",\"extra\":\"e\"}");
    free(s);
    json_decref(f);
    json_decref(params);
    json_decref(given);
    /* nothing given */
    ASSERT_OK(trigger_manual_firing(&t, 1000, NULL, &f, &params, &err), &err);
    json_decref(f);
    json_decref(params);

    given = payload("{\"event.model\": \"fraud\"}");
    ASSERT_FAILS(trigger_manual_firing(&t, 1000, given, &f, &params, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_STR_EQ(err.msg, "unknown event field 'event.model' for a dataset trigger (a manual "
                           "firing may set: dataset, dataset_version, dataset_uri, alias)");
    json_decref(given);
    given = payload("{\"event.kind\": \"x\"}");
    ASSERT_FAILS(trigger_manual_firing(&t, 1000, given, &f, &params, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "unknown event field 'event.kind'");
    json_decref(given);
    given = payload("{\"a b\": \"x\"}");
    ASSERT_FAILS(trigger_manual_firing(&t, 1000, given, &f, &params, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "bad param name 'a b'");
    json_decref(given);
    given = payload("{\"n\": 3}");
    ASSERT_FAILS(trigger_manual_firing(&t, 1000, given, &f, &params, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_STR_EQ(err.msg, "'n' must be a string");
    json_decref(given);
    trigger_spec_release(&t);
}
