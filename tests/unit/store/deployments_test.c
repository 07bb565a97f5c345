/* SPDX-License-Identifier: MIT
 * store/deployments on both backends: apply resolves and revisions, stale
 * applies refused, actions along a rollout (and the alias a promote
 * moves), history and events written with each change, traffic figures
 * replaced per second, and concurrent appliers that never merge. */
#include "../test.h"
#include "base/ftime.h"
#include "base/yaml_json.h"
#include "domain/registry.h"
#include "store/deployments.h"
#include "store/registry.h"
#include "store/store.h"

#include <pthread.h>
#include <string.h>

static struct store *open_deploy_store(const char *name)
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

static void reg(struct store *s, struct reg_write w)
{
    struct ferr err = FERR_INIT;
    w.user = "u";
    if (w.action == REG_CREATE_VERSION)
        w.source = "/artifacts/model";
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
}

/* fraud versions 1..3, champion -> 1 */
static void make_models(struct store *s)
{
    reg(s, (struct reg_write){.action = REG_CREATE_MODEL, .name = "fraud"});
    for (int i = 0; i < 3; i++)
        reg(s, (struct reg_write){.action = REG_CREATE_VERSION, .name = "fraud"});
    reg(s, (struct reg_write){
               .action = REG_SET_ALIAS, .name = "fraud", .alias = "champion", .version = 1});
}

static json_t *spec_of(const char *yaml)
{
    json_t *doc = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(yaml_to_json(yaml, strlen(yaml), &doc, &err), &err);
    return doc;
}

static const char canary[] = "name: fraud\n"
                             "targets:\n"
                             "  - {model: \"models:/fraud@champion\", weight: 90}\n"
                             "  - {model: \"models:/fraud/2\"}\n"
                             "shadow: [{model: \"models:/fraud/3\"}]\n"
                             "rollout: {steps: [10, 50, 100], interval: 1s}\n"
                             "promote_alias: champion\n";

static int apply(struct store *s, const char *yaml, int64_t expect, struct deployment *out,
                 int *changed, struct ferr *err)
{
    json_t *doc = spec_of(yaml);
    int rc = store_deployment_apply(s, doc, expect, "alice", out, changed, err);
    json_decref(doc);
    return rc;
}

STORE_TEST(deployment_apply_resolves_revisions_and_refuses_stale)
{
    struct store *s = open_deploy_store("deploy_apply");
    struct ferr err = FERR_INIT;
    struct deployment d;
    int changed = -1;
    make_models(s);
    ASSERT_OK(apply(s, canary, 0, &d, &changed, &err), &err);
    ASSERT_INT_EQ(changed, 1);
    ASSERT_INT_EQ(d.revision, 1);
    ASSERT_INT_EQ(d.change, 1);
    ASSERT_STR_EQ(d.spec.targets[0].name, "fraud");
    ASSERT_INT_EQ(d.spec.targets[0].version, 1); /* the alias, resolved now */
    ASSERT_INT_EQ(d.spec.targets[1].version, 2);
    ASSERT_INT_EQ(d.spec.shadows[0].version, 3);
    ASSERT_INT_EQ(d.status.phase, DEPLOY_PROGRESSING);
    ASSERT_INT_EQ(d.status.weights[1], 10);
    ASSERT_STR_EQ(d.created_by, "alice");
    deployment_release(&d);

    /* the same spec again changes nothing */
    ASSERT_OK(apply(s, canary, -1, &d, &changed, &err), &err);
    ASSERT_INT_EQ(changed, 0);
    ASSERT_INT_EQ(d.revision, 1);
    deployment_release(&d);
    /* an apply based on an old revision, or "create" of an existing one */
    static const char plain[] = "name: fraud\ntargets: [{model: \"models:/fraud/3\", weight: 100}]\n";
    ASSERT_FAILS(apply(s, plain, 7, &d, &changed, &err), &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "revision 1, not 7");
    ASSERT_FAILS(apply(s, plain, 0, &d, &changed, &err), &err, FERR_RESOURCE_ALREADY_EXISTS);
    /* unknown versions and models: nothing written */
    ASSERT_FAILS(apply(s, "name: fraud\ntargets: [{model: \"models:/fraud/9\", weight: 100}]\n",
                       -1, &d, &changed, &err),
                 &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "models:/fraud/9");
    ASSERT_FAILS(apply(s, "name: fraud\ntargets: [{model: \"models:/nope/1\", weight: 100}]\n",
                       -1, &d, &changed, &err),
                 &err, FERR_RESOURCE_DOES_NOT_EXIST);
    /* an alias and its number are one version */
    ASSERT_FAILS(apply(s,
                       "name: fraud\ntargets: [{model: \"models:/fraud@champion\", weight: 50}, "
                       "{model: \"models:/fraud/1\", weight: 50}]\n",
                       -1, &d, &changed, &err),
                 &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(store_deployment_get(s, "fraud", &d, &err), &err);
    ASSERT_INT_EQ(d.revision, 1);
    deployment_release(&d);
    /* the right revision goes through */
    ASSERT_OK(apply(s, plain, 1, &d, &changed, &err), &err);
    ASSERT_INT_EQ(d.revision, 2);
    ASSERT_INT_EQ(d.status.phase, DEPLOY_STABLE);
    ASSERT_INT_EQ(d.status.weights[0], 100);
    deployment_release(&d);

    struct deployment_list l;
    ASSERT_OK(store_deployment_list(s, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    deployment_list_release(&l);
    struct deployment_change_list h;
    ASSERT_OK(store_deployment_history(s, "fraud", &h, &err), &err);
    ASSERT_INT_EQ(h.n, 2);
    ASSERT_STR_EQ(h.v[0].action, "apply");
    ASSERT_STR_EQ(h.v[1].user_id, "alice");
    deployment_change_list_release(&h);
    ASSERT_FAILS(store_deployment_get(s, "nope", &d, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_deployment_history(s, "nope", &h, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    store_close(s);
}

STORE_TEST(deployment_actions_follow_the_rollout_and_promote_moves_the_alias)
{
    struct store *s = open_deploy_store("deploy_act");
    struct ferr err = FERR_INIT, aerr = FERR_INIT;
    struct deployment d;
    int changed;
    make_models(s);
    ASSERT_OK(apply(s, canary, 0, &d, &changed, &err), &err);
    int64_t change = d.change;
    deployment_release(&d);
    ASSERT_FAILS(store_deployment_act(s, "fraud", DEPLOY_ACT_RESUME, -1, NULL, "bob", &d, &aerr,
                                      &err),
                 &err, FERR_INVALID_STATE);
    ASSERT_OK(store_deployment_act(s, "fraud", DEPLOY_ACT_STEP, change, NULL, "ctl", &d, &aerr, &err),
              &err);
    ASSERT_INT_EQ(d.status.step, 1);
    ASSERT_INT_EQ(d.status.weights[1], 50);
    ASSERT_INT_EQ(d.revision, 1); /* status, not a new revision */
    deployment_release(&d);
    /* a controller deciding on an old change is refused */
    ASSERT_FAILS(store_deployment_act(s, "fraud", DEPLOY_ACT_STEP, change, NULL, "ctl", &d, &aerr,
                                      &err),
                 &err, FERR_INVALID_STATE);
    ASSERT_OK(store_deployment_act(s, "fraud", DEPLOY_ACT_PAUSE, -1, "looking", "bob", &d, &aerr,
                                   &err),
              &err);
    ASSERT_INT_EQ(d.status.phase, DEPLOY_PAUSED);
    deployment_release(&d);
    ASSERT_FAILS(store_deployment_act(s, "fraud", DEPLOY_ACT_STEP, -1, NULL, "ctl", &d, &aerr, &err),
                 &err, FERR_INVALID_STATE);
    ASSERT_OK(store_deployment_act(s, "fraud", DEPLOY_ACT_ROLLBACK, -1, "error rate 0.2 > 0.01",
                                   "ctl", &d, &aerr, &err),
              &err);
    ASSERT_INT_EQ(d.status.phase, DEPLOY_ROLLED_BACK);
    ASSERT_INT_EQ(d.status.weights[0], 100);
    ASSERT_INT_EQ(d.status.weights[1], 0);
    ASSERT_STR_EQ(d.status.reason, "error rate 0.2 > 0.01");
    deployment_release(&d);
    ASSERT_OK(store_deployment_act(s, "fraud", DEPLOY_ACT_RESUME, -1, NULL, "bob", &d, &aerr, &err),
              &err);
    ASSERT_INT_EQ(d.status.step, 0);
    ASSERT_INT_EQ(d.status.weights[1], 10);
    deployment_release(&d);
    /* promote: the candidate alone, a new revision, the alias moved */
    ASSERT_OK(store_deployment_act(s, "fraud", DEPLOY_ACT_PROMOTE, -1, NULL, "bob", &d, &aerr,
                                   &err),
              &err);
    ASSERT_INT_EQ(aerr.code, FERR_OK);
    ASSERT_INT_EQ(d.revision, 2);
    ASSERT_INT_EQ(d.spec.ntargets, 1);
    ASSERT_INT_EQ(d.spec.targets[0].version, 2);
    ASSERT_INT_EQ(d.status.weights[0], 100);
    ASSERT_INT_EQ(d.spec.rollout.present, 0);
    deployment_release(&d);
    struct model_version v;
    ASSERT_OK(store_get_version_by_alias(s, "fraud", "champion", &v, &err), &err);
    ASSERT_INT_EQ(v.version, 2);
    model_version_release(&v);
    ASSERT_FAILS(store_deployment_act(s, "fraud", DEPLOY_ACT_ROLLBACK, -1, NULL, "bob", &d, &aerr,
                                      &err),
                 &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "no rollout");

    struct deployment_change_list h;
    ASSERT_OK(store_deployment_history(s, "fraud", &h, &err), &err);
    ASSERT_INT_EQ(h.n, 6);
    const char *want[] = {"apply", "step", "pause", "rollback", "resume", "promote"};
    for (size_t i = 0; i < h.n; i++) {
        ASSERT_STR_EQ(h.v[i].action, want[i]);
        ASSERT_INT_EQ(h.v[i].change, (int64_t)i + 1);
    }
    ASSERT_STR_EQ(h.v[3].reason, "error rate 0.2 > 0.01");
    deployment_change_list_release(&h);

    struct store_event_list ev;
    const char *mine[] = {"deployment.*"};
    ASSERT_OK(store_events_search(s, 0, mine, 1, 100, &ev, &err), &err);
    ASSERT_INT_EQ(ev.n, 6);
    ASSERT_STR_EQ(ev.v[3].kind, "deployment.rollback");
    ASSERT_CONTAINS(ev.v[3].payload, "error rate 0.2");
    int64_t third = ev.v[2].id;
    store_event_list_release(&ev);
    const char *kinds[] = {"deployment.rollback", "deployment.promote"};
    ASSERT_OK(store_events_search(s, 0, kinds, 2, 100, &ev, &err), &err);
    ASSERT_INT_EQ(ev.n, 2);
    store_event_list_release(&ev);
    const char *all[] = {"deployment.*"};
    ASSERT_OK(store_events_search(s, third, all, 1, 2, &ev, &err), &err);
    ASSERT_INT_EQ(ev.n, 2);
    ASSERT_STR_EQ(ev.v[0].kind, "deployment.rollback");
    store_event_list_release(&ev);
    /* the registry's changes are on the stream too: the promote's alias move last */
    const char *reg[] = {"registry.set_alias"};
    ASSERT_OK(store_events_search(s, 0, reg, 1, 100, &ev, &err), &err);
    ASSERT_INT_EQ(ev.n, 2);
    ASSERT_STR_EQ(ev.v[1].subject, "fraud");
    ASSERT_CONTAINS(ev.v[1].payload, "\"version\":2");
    store_event_list_release(&ev);
    const char *other[] = {"alert.*"};
    ASSERT_OK(store_events_search(s, 0, other, 1, 100, &ev, &err), &err);
    ASSERT_INT_EQ(ev.n, 0);
    store_event_list_release(&ev);
    ASSERT_FAILS(store_events_search(s, 0, NULL, 0, 0, &ev, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);

    ASSERT_OK(store_deployment_delete(s, "fraud", "bob", &err), &err);
    ASSERT_FAILS(store_deployment_get(s, "fraud", &d, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_deployment_delete(s, "fraud", "bob", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_events_search(s, 0, NULL, 0, 100, &ev, &err), &err);
    ASSERT_STR_EQ(ev.v[ev.n - 1].kind, "deployment.delete");
    store_event_list_release(&ev);
    store_close(s);
}

STORE_TEST(deployment_step_at_100_completes_as_a_promote)
{
    struct store *s = open_deploy_store("deploy_complete");
    struct ferr err = FERR_INIT, aerr = FERR_INIT;
    struct deployment d;
    int changed;
    make_models(s);
    ASSERT_OK(apply(s, canary, 0, &d, &changed, &err), &err);
    deployment_release(&d);
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(store_deployment_act(s, "fraud", DEPLOY_ACT_STEP, -1, NULL, "ctl", &d, &aerr, &err),
                  &err);
        if (i < 2)
            deployment_release(&d);
    }
    ASSERT_INT_EQ(d.revision, 2);
    ASSERT_INT_EQ(d.spec.ntargets, 1);
    ASSERT_INT_EQ(d.status.phase, DEPLOY_STABLE);
    deployment_release(&d);
    struct model_version v;
    ASSERT_OK(store_get_version_by_alias(s, "fraud", "champion", &v, &err), &err);
    ASSERT_INT_EQ(v.version, 2);
    model_version_release(&v);
    store_close(s);
}

STORE_TEST(deploy_stats_replace_per_second_and_read_back)
{
    struct store *s = open_deploy_store("deploy_stats");
    struct ferr err = FERR_INIT;
    char dep[] = "fraud", gwa[] = "gw-a", gwb[] = "gw-b", tgt[] = "fraud/1", h1[] = "3:10",
         h2[] = "4:5";
    struct deploy_stats rows[2] = {
        {dep, 1, gwa, tgt, 1000, 10, 1, 0, h1},
        {dep, 1, gwb, tgt, 1000, 5, 0, 1, h2},
    };
    ASSERT_OK(store_deploy_stats_put(s, rows, 2, &err), &err);
    rows[0].requests = 12; /* the same second, filled further */
    ASSERT_OK(store_deploy_stats_put(s, rows, 1, &err), &err);
    struct deploy_stats_list l;
    ASSERT_OK(store_deploy_stats_read(s, "fraud", 1, 0, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 0); /* an hour old by the clock: dropped as new ones arrived */
    deploy_stats_list_release(&l);
    int64_t now = ftime_now_ms() / 1000 * 1000;
    rows[0].second_ms = rows[1].second_ms = now;
    ASSERT_OK(store_deploy_stats_put(s, rows, 2, &err), &err);
    rows[0].requests = 20;
    ASSERT_OK(store_deploy_stats_put(s, rows, 1, &err), &err);
    ASSERT_OK(store_deploy_stats_read(s, "fraud", 1, now - 5000, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_STR_EQ(l.v[0].gateway, "gw-a");
    ASSERT_INT_EQ(l.v[0].requests, 20);
    ASSERT_INT_EQ(l.v[1].client_errors, 1);
    ASSERT_STR_EQ(l.v[1].hist, "4:5");
    deploy_stats_list_release(&l);
    ASSERT_OK(store_deploy_stats_read(s, "fraud", 2, 0, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 0);
    deploy_stats_list_release(&l);
    rows[0].requests = -1;
    ASSERT_FAILS(store_deploy_stats_put(s, rows, 1, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    store_close(s);
}

struct racer {
    struct store *s;
    int won;
};

/* Read-modify-write applies from several threads (and, on PostgreSQL,
 * several stores): each names the revision it read, so each revision is
 * won once and nothing is merged. */
static void *race_applies(void *arg)
{
    struct racer *r = arg;
    for (int i = 0; i < 15; i++) {
        struct ferr err = FERR_INIT;
        struct deployment d;
        int changed;
        if (store_deployment_get(r->s, "race", &d, &err))
            continue;
        int64_t rev = d.revision;
        int w = d.status.weights[0] == 100 ? 50 : 100;
        deployment_release(&d);
        char yaml[256];
        snprintf(yaml, sizeof(yaml),
                 "name: race\ntargets: [{model: \"models:/fraud/1\", weight: %d}, "
                 "{model: \"models:/fraud/2\", weight: %d}]\n",
                 w, 100 - w);
        json_t *doc = spec_of(yaml);
        if (store_deployment_apply(r->s, doc, rev, "r", &d, &changed, &err) == 0) {
            r->won += changed;
            deployment_release(&d);
        } else if (err.code != FERR_INVALID_STATE) {
            FAIL_AT("apply failed: %s", err.msg);
        }
        json_decref(doc);
    }
    return NULL;
}

STORE_TEST(deployment_concurrent_applies_win_each_revision_once)
{
    struct store *s = open_deploy_store("deploy_race");
    struct ferr err = FERR_INIT;
    struct deployment d;
    int changed;
    make_models(s);
    ASSERT_OK(apply(s,
                    "name: race\ntargets: [{model: \"models:/fraud/1\", weight: 100}, "
                    "{model: \"models:/fraud/2\", weight: 0}]\n",
                    0, &d, &changed, &err),
              &err);
    deployment_release(&d);
    struct racer r[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        r[i].s = s;
        r[i].won = 0;
        ASSERT_INT_EQ(pthread_create(&t[i], NULL, race_applies, &r[i]), 0);
    }
    int won = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        won += r[i].won;
    }
    ASSERT_OK(store_deployment_get(s, "race", &d, &err), &err);
    ASSERT_INT_EQ(d.revision, 1 + won);
    ASSERT_INT_EQ(d.change, 1 + won);
    ASSERT(won >= 1);
    deployment_release(&d);
    struct deployment_change_list h;
    ASSERT_OK(store_deployment_history(s, "race", &h, &err), &err);
    ASSERT_INT_EQ(h.n, (size_t)(1 + won));
    deployment_change_list_release(&h);
    store_close(s);
}
