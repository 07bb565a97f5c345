/* SPDX-License-Identifier: MIT
 * store/triggers on both backends: apply with revisions and
 * since_event_id, a firing inserted once per (trigger, event key) with one
 * trigger.fired event, compare-and-set state moves with trigger.finished
 * on a final state, paging, cursors, a fenced write under a stale epoch
 * refused with nothing written, bad inputs; and (SQLite) a schema-11
 * database migrated to 12 with its data intact. */
#include "../test.h"
#include "fixtures.h"
#include "store/copy.h"
#include "store/deployments.h"
#include "store/leases.h"
#include "store/sqlite/schema.h"
#include "store/store.h"
#include "store/triggers.h"

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <string.h>

static struct store *open_uri(const char *uri)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    o.default_artifact_root = "/artifacts";
    o.group_commit = 1;
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    return s;
}

static struct store *open_trg_store(const char *name)
{
    char *uri = test_store_uri(name);
    struct store *s = open_uri(uri);
    free(uri);
    return s;
}

static json_t *spec_of(const char *name, const char *cron)
{
    return json_pack("{s:s, s:{s:s}, s:{s:s}}", "name", name, "on", "schedule", cron, "pipeline",
                     "uri", "/abs/pipe");
}

static void apply_ok(struct store *s, const char *name, const char *cron, int enabled,
                     const char *owner, int64_t expect, int want_changed, struct trigger *out)
{
    struct ferr err = FERR_INIT;
    json_t *spec = spec_of(name, cron);
    int changed = -1;
    ASSERT_OK(store_trigger_apply(s, spec, "schedule", enabled, owner, expect, out, &changed, &err),
              &err);
    ASSERT_INT_EQ(changed, want_changed);
    json_decref(spec);
}

static size_t count_events(struct store *s, const char *kind, struct store_event_list *keep)
{
    struct store_event_list l;
    struct ferr err = FERR_INIT;
    const char *kinds[] = {kind};
    ASSERT_OK(store_events_search(s, 0, kinds, 1, 1000, &l, &err), &err);
    size_t n = l.n;
    if (keep)
        *keep = l;
    else
        store_event_list_release(&l);
    return n;
}

static int64_t fire_ok(struct store *s, const char *trigger, const char *key, int want_inserted)
{
    struct ferr err = FERR_INIT;
    json_t *ev = json_pack("{s:s}", "event.kind", "schedule");
    json_t *params = json_pack("{s:s}", "data", "data:/t/1");
    struct trigger_fire f = {trigger, key, 0, ev, params, "alice", FIRING_QUEUED, NULL};
    struct trigger_firing out;
    int inserted = -1;
    ASSERT_OK(store_trigger_fire(s, &f, &out, &inserted, &err), &err);
    ASSERT_INT_EQ(inserted, want_inserted);
    int64_t id = out.id;
    ASSERT(id > 0);
    ASSERT_STR_EQ(out.trigger, trigger);
    ASSERT_STR_EQ(out.event_key, key);
    trigger_firing_release(&out);
    json_decref(ev);
    json_decref(params);
    return id;
}

STORE_TEST(triggers_apply_revisions_and_since_event_id)
{
    struct store *s = open_trg_store("trg_apply");
    struct ferr err = FERR_INIT;
    struct trigger t, g;
    apply_ok(s, "nightly", "0 3 * * *", 1, "alice", 0, 1, &t);
    ASSERT_INT_EQ(t.revision, 1);
    ASSERT_INT_EQ(t.since_event_id, 0); /* no events yet */
    ASSERT_INT_EQ(t.enabled, 1);
    ASSERT_STR_EQ(t.kind, "schedule");
    ASSERT_STR_EQ(t.owner, "alice");
    ASSERT_CONTAINS(t.spec, "\"0 3 * * *\"");
    ASSERT(t.created_ms > 0 && t.updated_ms == t.created_ms);
    trigger_release(&t);
    /* an event, then a second trigger: it never sees the older events */
    fire_ok(s, "nightly", "manual:1", 1);
    struct store_event_list ev;
    ASSERT_INT_EQ(count_events(s, "trigger.fired", &ev), 1);
    int64_t last = ev.v[0].id;
    store_event_list_release(&ev);
    apply_ok(s, "later", "* * * * *", 1, "", -1, 1, &t);
    ASSERT_INT_EQ(t.since_event_id, last);
    trigger_release(&t);
    /* the same spec again: nothing changes (owner kept) */
    apply_ok(s, "nightly", "0 3 * * *", 1, "bob", -1, 0, &t);
    ASSERT_INT_EQ(t.revision, 1);
    ASSERT_STR_EQ(t.owner, "alice");
    trigger_release(&t);
    /* a change: revision 2, owner bob, since_event_id and created kept */
    apply_ok(s, "nightly", "0 4 * * *", 1, "bob", 1, 1, &t);
    ASSERT_INT_EQ(t.revision, 2);
    ASSERT_STR_EQ(t.owner, "bob");
    ASSERT_INT_EQ(t.since_event_id, 0);
    trigger_release(&t);
    /* enabled alone is a change */
    apply_ok(s, "nightly", "0 4 * * *", 0, "bob", -1, 1, &t);
    ASSERT_INT_EQ(t.revision, 3);
    ASSERT_INT_EQ(t.enabled, 0);
    trigger_release(&t);
    /* expect_revision: stale, must-not-exist, must-exist */
    json_t *spec = spec_of("nightly", "0 5 * * *");
    ASSERT_FAILS(store_trigger_apply(s, spec, "schedule", 1, "", 2, &t, NULL, &err), &err,
                 FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "revision 3, not 2");
    ASSERT_FAILS(store_trigger_apply(s, spec, "schedule", 1, "", 0, &t, NULL, &err), &err,
                 FERR_RESOURCE_ALREADY_EXISTS);
    json_decref(spec);
    spec = spec_of("ghost", "0 5 * * *");
    ASSERT_FAILS(store_trigger_apply(s, spec, "schedule", 1, "", 4, &t, NULL, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    /* bad inputs change nothing */
    ASSERT_FAILS(store_trigger_apply(s, spec, "cron", 1, "", -1, &t, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_trigger_apply(s, spec, "schedule", 2, "", -1, &t, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_trigger_apply(s, spec, "schedule", 1, "", -2, &t, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    json_decref(spec);
    spec = spec_of("-bad", "0 5 * * *");
    ASSERT_FAILS(store_trigger_apply(s, spec, "schedule", 1, "", -1, &t, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    json_decref(spec);
    spec = json_pack("{s:i}", "name", 3);
    ASSERT_FAILS(store_trigger_apply(s, spec, "schedule", 1, "", -1, &t, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    json_decref(spec);
    ASSERT_FAILS(store_trigger_get(s, "ghost", &g, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_trigger_get(s, "a b", &g, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    /* get, list by name */
    ASSERT_OK(store_trigger_get(s, "nightly", &g, &err), &err);
    ASSERT_INT_EQ(g.revision, 3);
    trigger_release(&g);
    struct trigger_list l;
    ASSERT_OK(store_trigger_list(s, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_STR_EQ(l.v[0].name, "later");
    ASSERT_STR_EQ(l.v[1].name, "nightly");
    trigger_list_release(&l);
    /* scheduled time only moves forward */
    ASSERT_OK(store_trigger_set_scheduled(s, "nightly", 5000, &err), &err);
    ASSERT_OK(store_trigger_set_scheduled(s, "nightly", 4000, &err), &err);
    ASSERT_OK(store_trigger_get(s, "nightly", &g, &err), &err);
    ASSERT_INT_EQ(g.last_scheduled_ms, 5000);
    trigger_release(&g);
    ASSERT_FAILS(store_trigger_set_scheduled(s, "ghost", 1, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_trigger_set_scheduled(s, "nightly", -1, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    /* delete: the firings stay, readable by the name */
    ASSERT_OK(store_trigger_delete(s, "nightly", &err), &err);
    ASSERT_FAILS(store_trigger_delete(s, "nightly", &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    struct firing_query q = {"nightly", 0, 0, 0, NULL};
    struct trigger_firing_list fl;
    char *next = NULL;
    ASSERT_OK(store_trigger_firings(s, &q, &fl, &next, &err), &err);
    ASSERT_INT_EQ(fl.n, 1);
    ASSERT(next == NULL);
    trigger_firing_list_release(&fl);
    /* a deleted trigger fires no more */
    json_t *e = json_object();
    struct trigger_fire f = {"nightly", "manual:2", 0, e, NULL, "", FIRING_QUEUED, NULL};
    ASSERT_FAILS(store_trigger_fire(s, &f, NULL, NULL, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    json_decref(e);
    store_close(s);
}

STORE_TEST(triggers_fire_once_per_event_key)
{
    struct store *s = open_trg_store("trg_fire");
    struct ferr err = FERR_INIT;
    apply_ok(s, "t", "* * * * *", 1, "alice", -1, 1, NULL);
    int64_t a = fire_ok(s, "t", "event:7", 1);
    int64_t b = fire_ok(s, "t", "event:7", 0); /* the same event: the same firing */
    ASSERT_INT_EQ(a, b);
    struct store_event_list ev;
    ASSERT_INT_EQ(count_events(s, "trigger.fired", &ev), 1);
    ASSERT_STR_EQ(ev.v[0].subject, "t");
    ASSERT_STR_EQ(ev.v[0].user_id, "alice");
    json_t *p = json_loads(ev.v[0].payload, 0, NULL);
    ASSERT(p);
    ASSERT_STR_EQ(json_string_value(json_object_get(p, "trigger")), "t");
    ASSERT_INT_EQ(json_integer_value(json_object_get(p, "firing_id")), a);
    ASSERT(json_is_null(json_object_get(p, "event_id")));
    ASSERT_STR_EQ(json_string_value(json_object_get(p, "state")), "queued");
    ASSERT_STR_EQ(json_string_value(json_object_get(p, "run_id")), "");
    json_decref(p);
    store_event_list_release(&ev);
    /* the firing as stored */
    struct trigger_firing f;
    ASSERT_OK(store_trigger_firing_get(s, a, &f, &err), &err);
    ASSERT_INT_EQ(f.state, FIRING_QUEUED);
    ASSERT_STR_EQ(f.params, "{\"data\":\"data:/t/1\"}");
    ASSERT_STR_EQ(f.event, "{\"event.kind\":\"schedule\"}");
    ASSERT_STR_EQ(f.user_id, "alice");
    ASSERT_INT_EQ(f.event_id, 0);
    ASSERT(f.created_ms > 0);
    ASSERT_INT_EQ(f.started_ms, 0);
    trigger_firing_release(&f);
    /* another key fires again; a stream id is kept */
    json_t *e = json_object();
    struct trigger_fire in = {"t", "event:8", 8, e, NULL, NULL, FIRING_QUEUED, NULL};
    int inserted = -1;
    ASSERT_OK(store_trigger_fire(s, &in, &f, &inserted, &err), &err);
    ASSERT_INT_EQ(inserted, 1);
    ASSERT_INT_EQ(f.event_id, 8);
    ASSERT_STR_EQ(f.params, "{}");
    trigger_firing_release(&f);
    /* a firing that could not be made: failed at once, fired and finished */
    in.event_key = "event:9";
    in.state = FIRING_FAILED;
    in.detail = "unknown template field event.nope";
    ASSERT_OK(store_trigger_fire(s, &in, &f, &inserted, &err), &err);
    ASSERT_INT_EQ(f.state, FIRING_FAILED);
    ASSERT(f.ended_ms > 0);
    ASSERT_STR_EQ(f.detail, "unknown template field event.nope");
    trigger_firing_release(&f);
    ASSERT_INT_EQ(count_events(s, "trigger.fired", NULL), 3);
    ASSERT_INT_EQ(count_events(s, "trigger.finished", NULL), 1);
    /* bad inputs write nothing */
    in.event_key = "event:10";
    in.state = FIRING_RUNNING;
    ASSERT_FAILS(store_trigger_fire(s, &in, &f, &inserted, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    in.state = FIRING_QUEUED;
    in.event_key = "";
    ASSERT_FAILS(store_trigger_fire(s, &in, &f, &inserted, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    in.event_key = "event:10";
    in.event_id = -1;
    ASSERT_FAILS(store_trigger_fire(s, &in, &f, &inserted, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    in.event_id = 0;
    json_t *arr = json_array();
    in.params = arr;
    ASSERT_FAILS(store_trigger_fire(s, &in, &f, &inserted, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    json_decref(arr);
    in.params = NULL;
    in.trigger = "ghost";
    ASSERT_FAILS(store_trigger_fire(s, &in, &f, &inserted, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_INT_EQ(inserted, 0);
    json_decref(e);
    ASSERT_INT_EQ(count_events(s, "trigger.fired", NULL), 3);
    store_close(s);
}

STORE_TEST(triggers_firing_state_compare_and_set)
{
    struct store *s = open_trg_store("trg_cas");
    struct ferr err = FERR_INIT;
    struct trigger_firing f;
    apply_ok(s, "t", "* * * * *", 1, "alice", -1, 1, NULL);
    int64_t id = fire_ok(s, "t", "schedule:60000", 1);
    ASSERT_OK(store_trigger_firing_update(s, id, FIRING_QUEUED, FIRING_RUNNING, NULL, "srv-a", NULL,
                                          &f, &err),
              &err);
    ASSERT_INT_EQ(f.state, FIRING_RUNNING);
    ASSERT(f.started_ms > 0);
    ASSERT_STR_EQ(f.holder, "srv-a");
    ASSERT_INT_EQ(f.ended_ms, 0);
    int64_t started = f.started_ms;
    trigger_firing_release(&f);
    /* another scheduler that still thinks it is queued: refused */
    ASSERT_FAILS(store_trigger_firing_update(s, id, FIRING_QUEUED, FIRING_RUNNING, NULL, "srv-b",
                                             NULL, &f, &err),
                 &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "is running, not queued");
    /* running -> running records the run id, no event */
    ASSERT_OK(store_trigger_firing_update(s, id, FIRING_RUNNING, FIRING_RUNNING, "run123", NULL,
                                          NULL, NULL, &err),
              &err);
    ASSERT_INT_EQ(count_events(s, "trigger.finished", NULL), 0);
    ASSERT_OK(store_trigger_firing_update(s, id, FIRING_RUNNING, FIRING_SUCCEEDED, NULL, NULL,
                                          "exit 0", &f, &err),
              &err);
    ASSERT_INT_EQ(f.state, FIRING_SUCCEEDED);
    ASSERT_INT_EQ(f.started_ms, started);
    ASSERT(f.ended_ms >= started);
    ASSERT_STR_EQ(f.run_id, "run123");
    ASSERT_STR_EQ(f.holder, "srv-a");
    trigger_firing_release(&f);
    struct store_event_list ev;
    ASSERT_INT_EQ(count_events(s, "trigger.finished", &ev), 1);
    json_t *p = json_loads(ev.v[0].payload, 0, NULL);
    ASSERT_INT_EQ(json_integer_value(json_object_get(p, "firing_id")), id);
    ASSERT_STR_EQ(json_string_value(json_object_get(p, "state")), "succeeded");
    ASSERT_STR_EQ(json_string_value(json_object_get(p, "run_id")), "run123");
    ASSERT_STR_EQ(json_string_value(json_object_get(p, "detail")), "exit 0");
    json_decref(p);
    store_event_list_release(&ev);
    /* a final state is final */
    ASSERT_FAILS(store_trigger_firing_update(s, id, FIRING_SUCCEEDED, FIRING_FAILED, NULL, NULL,
                                             NULL, &f, &err),
                 &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_trigger_firing_update(s, id, FIRING_RUNNING, FIRING_FAILED, NULL, NULL, NULL,
                                             &f, &err),
                 &err, FERR_INVALID_STATE);
    ASSERT_FAILS(store_trigger_firing_update(s, id, FIRING_RUNNING, FIRING_QUEUED, NULL, NULL, NULL,
                                             &f, &err),
                 &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_trigger_firing_update(s, 999999, FIRING_QUEUED, FIRING_RUNNING, NULL, NULL,
                                             NULL, &f, &err),
                 &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_trigger_firing_update(s, 0, FIRING_QUEUED, FIRING_RUNNING, NULL, NULL, NULL,
                                             &f, &err),
                 &err, FERR_INVALID_PARAMETER_VALUE);
    /* queued straight to skipped: ended, no start */
    int64_t id2 = fire_ok(s, "t", "schedule:120000", 1);
    ASSERT_OK(store_trigger_firing_update(s, id2, FIRING_QUEUED, FIRING_SKIPPED, NULL, NULL,
                                          "a run is still going", &f, &err),
              &err);
    ASSERT_INT_EQ(f.started_ms, 0);
    ASSERT(f.ended_ms > 0);
    trigger_firing_release(&f);
    ASSERT_INT_EQ(count_events(s, "trigger.finished", NULL), 2);
    ASSERT_FAILS(store_trigger_firing_get(s, 424242, &f, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    store_close(s);
}

STORE_TEST(triggers_firings_paging_and_filters)
{
    struct store *s = open_trg_store("trg_page");
    struct ferr err = FERR_INIT;
    apply_ok(s, "a", "* * * * *", 1, "", -1, 1, NULL);
    apply_ok(s, "b", "* * * * *", 1, "", -1, 1, NULL);
    int64_t ids[7];
    for (int i = 0; i < 7; i++) {
        char key[32];
        snprintf(key, sizeof(key), "manual:%d", i);
        ids[i] = fire_ok(s, i % 2 ? "b" : "a", key, 1);
    }
    ASSERT_OK(store_trigger_firing_update(s, ids[2], FIRING_QUEUED, FIRING_RUNNING, NULL, "h", NULL,
                                          NULL, &err),
              &err);
    /* newest first, pages of 2, every trigger */
    struct firing_query q = {NULL, 0, 0, 2, NULL};
    struct trigger_firing_list l;
    char *next = NULL, *tok = NULL;
    int64_t seen[7];
    size_t nseen = 0;
    for (int page = 0; page < 10; page++) {
        q.page_token = tok;
        ASSERT_OK(store_trigger_firings(s, &q, &l, &next, &err), &err);
        for (size_t i = 0; i < l.n; i++)
            seen[nseen++] = l.v[i].id;
        trigger_firing_list_release(&l);
        free(tok);
        tok = next;
        if (!tok)
            break;
    }
    ASSERT_INT_EQ(nseen, 7);
    for (int i = 0; i < 7; i++)
        ASSERT_INT_EQ(seen[i], ids[6 - i]);
    /* one trigger's, oldest first */
    struct firing_query qa = {"a", 0, 1, 0, NULL};
    ASSERT_OK(store_trigger_firings(s, &qa, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 4);
    ASSERT_INT_EQ(l.v[0].id, ids[0]);
    ASSERT_INT_EQ(l.v[3].id, ids[6]);
    ASSERT(next == NULL);
    trigger_firing_list_release(&l);
    /* by state */
    struct firing_query qr = {NULL, FIRING_F(FIRING_RUNNING), 0, 0, NULL};
    ASSERT_OK(store_trigger_firings(s, &qr, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_INT_EQ(l.v[0].id, ids[2]);
    trigger_firing_list_release(&l);
    struct firing_query qq = {"b", FIRING_F(FIRING_QUEUED), 1, 2, NULL};
    ASSERT_OK(store_trigger_firings(s, &qq, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_INT_EQ(l.v[0].id, ids[1]);
    ASSERT_INT_EQ(l.v[1].id, ids[3]);
    ASSERT(next != NULL);
    trigger_firing_list_release(&l);
    qq.page_token = next;
    char *next2 = NULL;
    ASSERT_OK(store_trigger_firings(s, &qq, &l, &next2, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_INT_EQ(l.v[0].id, ids[5]);
    ASSERT(next2 == NULL);
    trigger_firing_list_release(&l);
    free(next);
    /* a trigger that never existed: empty */
    struct firing_query qn = {"never", 0, 0, 0, NULL};
    ASSERT_OK(store_trigger_firings(s, &qn, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 0);
    trigger_firing_list_release(&l);
    /* bad inputs */
    struct firing_query bad = {NULL, 0, 0, 1001, NULL};
    ASSERT_FAILS(store_trigger_firings(s, &bad, &l, &next, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    bad.max = -1;
    ASSERT_FAILS(store_trigger_firings(s, &bad, &l, &next, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    bad.max = 0;
    bad.page_token = "not-a-token";
    ASSERT_FAILS(store_trigger_firings(s, &bad, &l, &next, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    bad.page_token = NULL;
    bad.states = 1 << 12;
    ASSERT_FAILS(store_trigger_firings(s, &bad, &l, &next, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    store_close(s);
}

STORE_TEST(triggers_cursor_compare_and_set)
{
    struct store *s = open_trg_store("trg_cursor");
    struct ferr err = FERR_INIT;
    int64_t id = -1;
    ASSERT_OK(store_cursor_get(s, "triggers", &id, &err), &err);
    ASSERT_INT_EQ(id, 0);
    ASSERT_OK(store_cursor_advance(s, "triggers", 0, 5, &err), &err);
    ASSERT_OK(store_cursor_get(s, "triggers", &id, &err), &err);
    ASSERT_INT_EQ(id, 5);
    /* a reader that read 0 before: refused, the cursor stays */
    ASSERT_FAILS(store_cursor_advance(s, "triggers", 0, 7, &err), &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "is at 5, not 0");
    ASSERT_OK(store_cursor_advance(s, "triggers", 5, 5, &err), &err);
    ASSERT_OK(store_cursor_advance(s, "triggers", 5, 9, &err), &err);
    ASSERT_FAILS(store_cursor_advance(s, "triggers", 9, 8, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_cursor_advance(s, "", 0, 1, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    /* cursors are independent */
    ASSERT_OK(store_cursor_get(s, "webhooks", &id, &err), &err);
    ASSERT_INT_EQ(id, 0);
    ASSERT_FAILS(store_cursor_advance(s, "webhooks", 3, 4, &err), &err, FERR_INVALID_STATE);
    ASSERT_OK(store_cursor_get(s, "triggers", &id, &err), &err);
    ASSERT_INT_EQ(id, 9);
    store_close(s);
}

STORE_TEST(triggers_fenced_writes_refused_under_a_stale_epoch)
{
    struct store *s = open_trg_store("trg_fence");
    struct ferr err = FERR_INIT;
    struct lease l;
    apply_ok(s, "t", "* * * * *", 1, "", -1, 1, NULL);
    ASSERT_OK(store_lease_acquire(s, "triggers", "srv-a", 60000, &l, &err), &err);
    ASSERT_INT_EQ(l.epoch, 1);
    lease_release(&l);
    struct lease_fence fa = {"triggers", "srv-a", 1};
    ASSERT_OK(store_fence_set(&fa, &err), &err);
    int64_t id = fire_ok(s, "t", "event:1", 1); /* the holder writes */
    ASSERT_OK(store_cursor_advance(s, "triggers", 0, 1, &err), &err);
    store_fence_clear();
    /* another server takes the lease over */
    ASSERT_OK(store_lease_release(s, "triggers", "srv-a", 1, &err), &err);
    ASSERT_OK(store_lease_acquire(s, "triggers", "srv-b", 60000, &l, &err), &err);
    ASSERT_INT_EQ(l.epoch, 2);
    lease_release(&l);
    /* the old holder's writes are refused, nothing written */
    ASSERT_OK(store_fence_set(&fa, &err), &err);
    json_t *e = json_object();
    struct trigger_fire f = {"t", "event:2", 2, e, NULL, "", FIRING_QUEUED, NULL};
    int inserted = -1;
    ASSERT_FAILS(store_trigger_fire(s, &f, NULL, &inserted, &err), &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "stale");
    ASSERT_INT_EQ(inserted, 0);
    ASSERT_FAILS(store_trigger_firing_update(s, id, FIRING_QUEUED, FIRING_RUNNING, NULL, "srv-a",
                                             NULL, NULL, &err),
                 &err, FERR_INVALID_STATE);
    ASSERT_FAILS(store_cursor_advance(s, "triggers", 1, 2, &err), &err, FERR_INVALID_STATE);
    ASSERT_FAILS(store_trigger_set_scheduled(s, "t", 60000, &err), &err, FERR_INVALID_STATE);
    store_fence_clear();
    int64_t cur = -1;
    ASSERT_OK(store_cursor_get(s, "triggers", &cur, &err), &err);
    ASSERT_INT_EQ(cur, 1);
    struct trigger_firing g;
    ASSERT_OK(store_trigger_firing_get(s, id, &g, &err), &err);
    ASSERT_INT_EQ(g.state, FIRING_QUEUED);
    trigger_firing_release(&g);
    ASSERT_INT_EQ(count_events(s, "trigger.fired", NULL), 1);
    /* the new holder's go through */
    struct lease_fence fb = {"triggers", "srv-b", 2};
    ASSERT_OK(store_fence_set(&fb, &err), &err);
    ASSERT_OK(store_trigger_fire(s, &f, NULL, &inserted, &err), &err);
    ASSERT_INT_EQ(inserted, 1);
    store_fence_clear();
    json_decref(e);
    store_close(s);
}

/* A database as schema 11 left it (the tables of 12 dropped, the version
 * set back), with data: opening it migrates to 12 and keeps the data. */
TEST(triggers_schema_11_database_migrates_to_12)
{
    struct sbuf path = SBUF_INIT;
    sbuf_addf(&path, "%s/trg_migrate.db", test_tmpdir());
    struct store *s = open_uri(path.buf);
    struct ferr err = FERR_INIT;
    store_close(s);
    sqlite3 *db = NULL;
    ASSERT(sqlite3_open(path.buf, &db) == SQLITE_OK);
    ASSERT(sqlite3_exec(db, fixture_sqlite_schema_13, NULL, NULL, NULL) == SQLITE_OK);
    ASSERT(sqlite3_exec(db,
                        "DROP TABLE triggers; DROP TABLE trigger_firings; "
                        "DROP TABLE scheduler_cursors; DROP TABLE webhooks; "
                        "DROP TABLE webhook_deliveries; PRAGMA user_version = 11; "
                        "INSERT INTO events (time_ms, kind, subject, payload) "
                        "VALUES (1, 'deployment.apply', 'd', '{}'); "
                        "INSERT INTO experiments (experiment_id, name, artifact_location, "
                        "creation_time, last_update_time) VALUES (7, 'kept', '/a/7', 1, 1);",
                        NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    s = open_uri(path.buf);
    ASSERT_INT_EQ(store_schema_version(s), SCHEMA_VERSION);
    struct experiment e;
    ASSERT_OK(store_get_experiment(s, "7", &e, &err), &err);
    ASSERT_STR_EQ(e.name, "kept");
    experiment_release(&e);
    ASSERT_INT_EQ(count_events(s, "deployment.apply", NULL), 1);
    struct trigger t;
    apply_ok(s, "t", "* * * * *", 1, "", -1, 1, &t);
    ASSERT_INT_EQ(t.since_event_id, 1);
    trigger_release(&t);
    fire_ok(s, "t", "event:2", 1);
    store_close(s);
    sbuf_release(&path);
}

/* `ferry db copy` takes the triggers' tables along: firings keep their ids
 * and their event keys (a copied event does not fire again), cursors keep
 * their place, and new firings get ids after the copied ones. */
PG_TEST(trigger_tables_copied_from_sqlite_to_postgres)
{
    struct ferr err = FERR_INIT;
    char src_uri[600];
    snprintf(src_uri, sizeof(src_uri), "%s/trg_copy_src.db", test_tmpdir());
    struct store *s = open_uri(src_uri);
    apply_ok(s, "t", "* * * * *", 1, "alice", -1, 1, NULL);
    int64_t a = fire_ok(s, "t", "event:1", 1);
    int64_t b = fire_ok(s, "t", "event:2", 1);
    ASSERT_OK(store_trigger_firing_update(s, a, FIRING_QUEUED, FIRING_RUNNING, "r1", "h", NULL,
                                          NULL, &err),
              &err);
    ASSERT_OK(store_cursor_advance(s, "triggers", 0, 2, &err), &err);
    store_close(s);
    char *dst_uri = test_store_uri("trg_copy_dst");
    struct store_copy_report rep;
    ASSERT_OK(store_copy(src_uri, dst_uri, &rep, &err), &err);
    int seen = 0;
    for (size_t i = 0; i < rep.ntables; i++)
        if (!strcmp(rep.t[i].table, "triggers") || !strcmp(rep.t[i].table, "trigger_firings") ||
            !strcmp(rep.t[i].table, "scheduler_cursors")) {
            seen++;
            ASSERT(rep.t[i].rows >= 1);
        }
    ASSERT_INT_EQ(seen, 3);
    s = open_uri(dst_uri);
    free(dst_uri);
    struct trigger_firing f;
    ASSERT_OK(store_trigger_firing_get(s, a, &f, &err), &err);
    ASSERT_INT_EQ(f.state, FIRING_RUNNING);
    ASSERT_STR_EQ(f.run_id, "r1");
    trigger_firing_release(&f);
    ASSERT_INT_EQ(fire_ok(s, "t", "event:2", 0), b);
    ASSERT(fire_ok(s, "t", "event:3", 1) > b);
    int64_t cur = 0;
    ASSERT_OK(store_cursor_get(s, "triggers", &cur, &err), &err);
    ASSERT_INT_EQ(cur, 2);
    store_close(s);
}

struct racer {
    char *uri;
    int inserted, ok;
    int64_t id;
};

static void *race_fire(void *arg)
{
    struct racer *r = arg;
    struct store *s = open_uri(r->uri); /* a store of its own: another server */
    struct ferr err = FERR_INIT;
    json_t *e = json_object();
    struct trigger_fire f = {"t", "event:42", 42, e, NULL, "", FIRING_QUEUED, NULL};
    struct trigger_firing out;
    r->ok = store_trigger_fire(s, &f, &out, &r->inserted, &err) == 0;
    if (r->ok) {
        r->id = out.id;
        trigger_firing_release(&out);
    }
    json_decref(e);
    store_close(s);
    return NULL;
}

/* Several servers firing the same event at once: one firing, one event. */
STORE_TEST(triggers_racing_servers_fire_an_event_once)
{
    char *uri = test_store_uri("trg_race");
    struct store *s = open_uri(uri);
    apply_ok(s, "t", "* * * * *", 1, "", -1, 1, NULL);
    enum { N = 4 };
    pthread_t th[N];
    struct racer r[N];
    for (int i = 0; i < N; i++) {
        r[i] = (struct racer){uri, -1, 0, 0};
        ASSERT(pthread_create(&th[i], NULL, race_fire, &r[i]) == 0);
    }
    int inserted = 0;
    for (int i = 0; i < N; i++) {
        ASSERT(pthread_join(th[i], NULL) == 0);
        ASSERT(r[i].ok);
        inserted += r[i].inserted;
        ASSERT_INT_EQ(r[i].id, r[0].id);
    }
    ASSERT_INT_EQ(inserted, 1);
    ASSERT_INT_EQ(count_events(s, "trigger.fired", NULL), 1);
    store_close(s);
    free(uri);
}
