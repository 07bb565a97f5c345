/* SPDX-License-Identifier: MIT
 * store/deployment_loop on both backends: a loop put together from the
 * records each area keeps (an alert of the deployment's monitor, a firing
 * of the trigger on it with its pipeline run and gate runs, a version that
 * run registered, a firing of an unrelated trigger reached only through the
 * version it registered, the rollout's step, completion, second rollout and
 * rollback) answered oldest first with the fixed vocabulary; a window, the
 * newest kept under max_results, and an unknown deployment refused. */
#include "../test.h"
#include "base/ftime.h"
#include "base/xalloc.h"
#include "base/yaml_json.h"
#include "store/deployment_loop.h"
#include "store/deployments.h"
#include "store/monitors.h"
#include "store/registry.h"
#include "store/store.h"
#include "store/triggers.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static struct store *open_loop_store(const char *name)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri(name);
    o.default_artifact_root = "/artifacts";
    o.group_commit = 1;
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    free(uri);
    return s;
}

static json_t *doc_of(const char *yaml)
{
    json_t *doc = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(yaml_to_json(yaml, strlen(yaml), &doc, &err), &err);
    return doc;
}

/* Events land at distinct milliseconds, so the expected order is the
 * order they were made in. */
static void tick(void)
{
    struct timespec ts = {0, 3 * 1000000};
    nanosleep(&ts, NULL);
}

static void version(struct store *s, const char *model, const char *pipeline_run)
{
    struct ferr err = FERR_INIT;
    struct reg_write w;
    memset(&w, 0, sizeof(w));
    w.action = REG_CREATE_VERSION;
    w.name = model;
    w.user = "u";
    w.source = "/artifacts/model";
    if (pipeline_run)
        kv_list_add(&w.tags, "ferry.pipeline.runId", pipeline_run);
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
    kv_list_release(&w.tags);
    tick();
}

static void deploy(struct store *s, const char *yaml)
{
    struct ferr err = FERR_INIT;
    json_t *doc = doc_of(yaml);
    ASSERT_OK(store_deployment_apply(s, doc, -1, "alice", NULL, NULL, &err), &err);
    json_decref(doc);
    tick();
}

static void act(struct store *s, enum deploy_action a, const char *reason)
{
    struct ferr err = FERR_INIT, aerr = FERR_INIT;
    struct deployment d;
    ASSERT_OK(store_deployment_act(s, "fraud", a, -1, reason, "ctl", &d, &aerr, &err), &err);
    deployment_release(&d);
    tick();
}

/* A run in experiment exp with tags k=v (NULL-ended pairs), finished. */
static char *run_with(struct store *s, const char *exp, const char *const *tags)
{
    struct ferr err = FERR_INIT;
    struct run_create rc;
    struct run r;
    memset(&rc, 0, sizeof(rc));
    rc.experiment_id = exp;
    rc.start_time = TIME_NONE;
    for (size_t i = 0; tags && tags[i]; i += 2)
        kv_list_add(&rc.tags, tags[i], tags[i + 1]);
    ASSERT_OK(store_create_run(s, &rc, &r, &err), &err);
    kv_list_release(&rc.tags);
    char *id = xstrdup(r.info.run_id);
    run_release(&r);
    tick();
    return id;
}

static void finish(struct store *s, const char *run_id, enum run_status st)
{
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_update_run(s, run_id, st, ftime_now_ms(), NULL, NULL, &err), &err);
    tick();
}

static void trigger(struct store *s, const char *yaml, const char *kind)
{
    struct ferr err = FERR_INIT;
    json_t *doc = doc_of(yaml);
    ASSERT_OK(store_trigger_apply(s, doc, kind, 1, "alice", -1, NULL, NULL, &err), &err);
    json_decref(doc);
}

static int64_t fire(struct store *s, const char *name, const char *key, const char *cause)
{
    struct ferr err = FERR_INIT;
    json_t *ev = json_pack("{s:s}", "kind", cause);
    struct trigger_fire f = {name, key, 0, ev, NULL, "alice", FIRING_QUEUED, NULL};
    struct trigger_firing out;
    int inserted;
    ASSERT_OK(store_trigger_fire(s, &f, &out, &inserted, &err), &err);
    int64_t id = out.id;
    trigger_firing_release(&out);
    json_decref(ev);
    tick();
    return id;
}

static void firing_runs(struct store *s, int64_t id, const char *run_id, enum firing_state end)
{
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_trigger_firing_update(s, id, FIRING_QUEUED, FIRING_RUNNING, run_id, "h", NULL,
                                          NULL, &err),
              &err);
    if (end != FIRING_RUNNING)
        ASSERT_OK(store_trigger_firing_update(s, id, FIRING_RUNNING, end, NULL, "h", NULL, NULL,
                                              &err),
                  &err);
}

static const char *field(const struct loop_event *e, const char *key)
{
    const char *v = json_string_value(json_object_get(e->fields, key));
    return v ? v : "";
}

STORE_TEST(deployment_loop_joins_alerts_firings_gates_versions_and_rollouts)
{
    struct store *s = open_loop_store("loop_join");
    struct ferr err = FERR_INIT;
    struct reg_write w;
    memset(&w, 0, sizeof(w));
    w.action = REG_CREATE_MODEL;
    w.name = "fraud";
    w.user = "u";
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
    int64_t t0 = ftime_now_ms();
    version(s, "fraud", NULL); /* 1: the champion */
    deploy(s, "name: fraud\ntargets: [{model: \"models:/fraud/1\", weight: 100}]\n");
    json_t *mon = doc_of("name: fd\ndeployment: fraud\n"
                         "reference: {run_artifact: \"runs:/abc/reference.csv\"}\n"
                         "window: {last: 1h}\n");
    ASSERT_OK(store_monitor_apply(s, mon, -1, "alice", NULL, NULL, &err), &err);
    json_decref(mon);
    trigger(s, "name: retrain\non: {alert: {monitor: fd, condition: decay}}\n"
               "pipeline: {uri: /abs/pipe}\n",
            "alert");
    trigger(s, "name: nightly\non: {schedule: \"0 3 * * *\"}\npipeline: {uri: /abs/pipe}\n",
            "schedule");
    trigger(s, "name: elsewhere\non: {alert: {monitor: other}}\npipeline: {uri: /abs/pipe}\n",
            "alert");
    char *exp = NULL;
    ASSERT_OK(store_create_experiment(s, "retrain", NULL, NULL, &exp, &err), &err);

    /* 1. the decay alert opens */
    struct monitor_check checks[] = {{"decay:accuracy", 1, ALERT_WARNING, "accuracy 0.61", NULL}};
    struct monitor_report_new r;
    memset(&r, 0, sizeof(r));
    r.monitor = "fd";
    r.window_start_ms = t0 - 1000;
    r.window_end_ms = t0;
    r.status = MON_STATUS_OK;
    r.n_rows = 500;
    r.checks = checks;
    r.nchecks = 1;
    int inserted;
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, NULL, &err), &err);
    tick();
    /* 2. it fires retrain: a pipeline run, a train and a gate step run that passed */
    int64_t f1 = fire(s, "retrain", "event:1", "alert.opened");
    char fid[24];
    snprintf(fid, sizeof(fid), "%" PRId64, f1);
    const char *ptags[] = {"ferry.trigger.name", "retrain", "ferry.trigger.firingId", fid, NULL};
    char *p1 = run_with(s, exp, ptags);
    firing_runs(s, f1, p1, FIRING_RUNNING);
    const char *train_tags[] = {"ferry.pipeline.runId", p1, "ferry.pipeline.step", "train", NULL};
    char *train = run_with(s, exp, train_tags);
    finish(s, train, RUN_FINISHED);
    const char *gate_tags[] = {"ferry.pipeline.runId", p1, "ferry.pipeline.step", "gate",
                               "ferry.gate.verdict",   "passed", NULL};
    char *gate = run_with(s, exp, gate_tags);
    finish(s, gate, RUN_FINISHED);
    version(s, "fraud", p1); /* 2 */
    /* 3. the rollout: started at 50, a step to 100, completed */
    deploy(s, "name: fraud\ntargets: [{model: \"models:/fraud/1\", weight: 50},"
              " {model: \"models:/fraud/2\"}]\n"
              "rollout: {steps: [50, 100], interval: 1s}\npromote_alias: champion\n");
    act(s, DEPLOY_ACT_STEP, NULL);
    act(s, DEPLOY_ACT_STEP, NULL);
    finish(s, p1, RUN_FINISHED);
    ASSERT_OK(store_trigger_firing_update(s, f1, FIRING_RUNNING, FIRING_SUCCEEDED, NULL, "h", NULL,
                                          NULL, &err),
              &err);
    /* 4. the nightly trigger (linked only by the version its run registers), a
     * failed gate in another of its runs, then a rollout rolled back */
    int64_t f2 = fire(s, "nightly", "schedule:1", "schedule");
    snprintf(fid, sizeof(fid), "%" PRId64, f2);
    const char *ntags[] = {"ferry.trigger.name", "nightly", "ferry.trigger.firingId", fid, NULL};
    char *p2 = run_with(s, exp, ntags);
    firing_runs(s, f2, p2, FIRING_RUNNING);
    const char *bad_gate[] = {"ferry.pipeline.runId", p2,        "ferry.gate.verdict",
                              "failed",               "ferry.gate.reasons", "min: accuracy 0.5",
                              NULL};
    char *gate2 = run_with(s, exp, bad_gate);
    finish(s, gate2, RUN_FAILED);
    version(s, "fraud", p2); /* 3 (registered anyway: the loop shows what happened) */
    deploy(s, "name: fraud\ntargets: [{model: \"models:/fraud/2\", weight: 50},"
              " {model: \"models:/fraud/3\"}]\n"
              "rollout: {steps: [50, 100], interval: 1s}\npromote_alias: champion\n");
    act(s, DEPLOY_ACT_ROLLBACK, "error rate 0.3 > 0.01");
    finish(s, p2, RUN_FAILED);
    /* an unrelated firing: not this deployment's */
    fire(s, "elsewhere", "event:2", "alert.opened");

    struct loop_query q = {"fraud", 0, 0, 1000};
    struct loop_event_list l;
    int truncated = -1;
    ASSERT_OK(store_deployment_loop(s, &q, &l, &truncated, &err), &err);
    ASSERT_INT_EQ(truncated, 0);
    static const char *const want[] = {
        "version_registered", "alert_opened", "trigger_fired",      "pipeline_started",
        "gate_passed",        "version_registered", "rollout_step", "rollout_step",
        "promoted",           "pipeline_finished",  "trigger_fired",      "pipeline_started", "gate_failed",
        "version_registered", "rollout_step",       "rolled_back",  "pipeline_finished",
    };
    size_t nwant = sizeof(want) / sizeof(*want);
    for (size_t i = 0; i < l.n && i < nwant; i++)
        if (strcmp(loop_kind_name(l.v[i].kind), want[i]))
            FAIL_AT("event %zu is %s, not %s", i, loop_kind_name(l.v[i].kind), want[i]);
    ASSERT_INT_EQ(l.n, nwant);
    for (size_t i = 1; i < l.n; i++)
        ASSERT(l.v[i].time_ms >= l.v[i - 1].time_ms);
    ASSERT_STR_EQ(field(&l.v[1], "monitor"), "fd");
    ASSERT_STR_EQ(field(&l.v[1], "condition"), "decay:accuracy");
    ASSERT_STR_EQ(field(&l.v[2], "trigger"), "retrain");
    ASSERT_STR_EQ(field(&l.v[2], "cause"), "alert.opened");
    ASSERT_STR_EQ(field(&l.v[2], "state"), "succeeded");
    ASSERT_STR_EQ(field(&l.v[3], "run_id"), p1);
    ASSERT_STR_EQ(field(&l.v[3], "experiment_id"), exp);
    ASSERT_STR_EQ(field(&l.v[4], "run_id"), gate);
    ASSERT_STR_EQ(field(&l.v[4], "pipeline_run_id"), p1);
    ASSERT_STR_EQ(field(&l.v[4], "step"), "gate");
    ASSERT_STR_EQ(field(&l.v[5], "version"), "2");
    ASSERT_STR_EQ(field(&l.v[5], "pipeline_run_id"), p1);
    ASSERT_STR_EQ(field(&l.v[6], "candidate"), "fraud/2");
    ASSERT_INT_EQ(json_integer_value(json_object_get(l.v[6].fields, "weight")), 50);
    ASSERT_INT_EQ(json_integer_value(json_object_get(l.v[6].fields, "step")), 0);
    ASSERT_INT_EQ(json_integer_value(json_object_get(l.v[7].fields, "weight")), 100);
    ASSERT_STR_EQ(field(&l.v[8], "model"), "fraud");
    ASSERT_STR_EQ(field(&l.v[8], "version"), "2");
    ASSERT_STR_EQ(field(&l.v[8], "alias"), "champion");
    ASSERT_STR_EQ(field(&l.v[8], "action"), "complete");
    ASSERT_STR_EQ(field(&l.v[9], "status"), "FINISHED");
    ASSERT_STR_EQ(field(&l.v[10], "trigger"), "nightly");
    ASSERT_STR_EQ(field(&l.v[10], "cause"), "schedule");
    ASSERT_STR_EQ(field(&l.v[10], "state"), "running");
    ASSERT_STR_EQ(field(&l.v[12], "reasons"), "min: accuracy 0.5");
    ASSERT_STR_EQ(field(&l.v[14], "candidate"), "fraud/3");
    ASSERT_STR_EQ(field(&l.v[15], "candidate"), "fraud/3");
    ASSERT_STR_EQ(field(&l.v[15], "reason"), "error rate 0.3 > 0.01");
    ASSERT_STR_EQ(field(&l.v[16], "status"), "FAILED");
    /* the API's shape */
    json_t *j = loop_event_to_json(&l.v[8]);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "event")), "promoted");
    ASSERT_INT_EQ(json_integer_value(json_object_get(j, "time_ms")), l.v[8].time_ms);
    const char *iso = json_string_value(json_object_get(j, "time"));
    ASSERT(iso && strlen(iso) == 24 && iso[10] == 'T' && iso[19] == '.' && iso[23] == 'Z');
    json_decref(j);
    int64_t cut = l.v[10].time_ms;
    loop_event_list_release(&l);

    /* a window: the second round only */
    q.start_ms = cut;
    ASSERT_OK(store_deployment_loop(s, &q, &l, &truncated, &err), &err);
    ASSERT_INT_EQ(l.n, 7);
    ASSERT_STR_EQ(loop_kind_name(l.v[0].kind), "trigger_fired");
    loop_event_list_release(&l);
    /* at most 3: the newest 3 */
    q.start_ms = 0;
    q.max = 3;
    ASSERT_OK(store_deployment_loop(s, &q, &l, &truncated, &err), &err);
    ASSERT_INT_EQ(truncated, 1);
    ASSERT_INT_EQ(l.n, 3);
    ASSERT_STR_EQ(loop_kind_name(l.v[2].kind), "pipeline_finished");
    loop_event_list_release(&l);
    /* an end before everything: nothing */
    q.max = 1000;
    q.end_ms = t0 - 5000;
    ASSERT_OK(store_deployment_loop(s, &q, &l, &truncated, &err), &err);
    ASSERT_INT_EQ(l.n, 0);
    loop_event_list_release(&l);
    q.deployment = "nope";
    ASSERT_FAILS(store_deployment_loop(s, &q, &l, &truncated, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    free(p1);
    free(p2);
    free(train);
    free(gate);
    free(gate2);
    free(exp);
    store_close(s);
}
