/* SPDX-License-Identifier: MIT */
#include "server/trigger_scheduler.h"
#include "server/event_follow.h"
#include "server/trigger_runs.h"
#include "base/env.h"
#include "base/json.h"
#include "base/ftime.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/trigger_spec.h"
#include "store/deployments.h"
#include "store/leases.h"
#include "store/triggers.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

#define FIRINGS_PER_TICK 100

struct trigger_scheduler {
    struct trigger_scheduler_opts o;
    struct trigger_runs *runs;
    char holder[96];
    int64_t tick_ms, lease_ms, now_offset_ms, gap_wait_ms;
    struct event_follow follow; /* the cursor, its gaps waited for */
    int64_t epoch;              /* 0: not held */
    int64_t renewed_ms;
    int fresh; /* the lease was just taken: abandon the previous holders' running firings */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

/* A whole-number setting in [lo, hi], def when unset. */
static int setting(const char *name, int64_t def, int64_t lo, int64_t hi, int64_t *out,
                   struct ferr *err)
{
    const char *v = env_get(name);
    *out = def;
    if (!v)
        return 0;
    if (fjson_parse_int64(v, out) || *out < lo || *out > hi)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid FERRY_%s '%.50s' (expected %" PRId64 "..%" PRId64 ")", name, v, lo,
                        hi);
    return 0;
}

/* ---------- the lease ---------- */

/* Holds the lease: acquires it, or renews it when a third of it is gone.
 * 1 while held. */
static int hold(struct trigger_scheduler *s)
{
    int64_t now = ftime_now_ms();
    if (s->epoch && now - s->renewed_ms < s->lease_ms / 3)
        return 1;
    struct lease l;
    struct ferr err = FERR_INIT;
    memset(&l, 0, sizeof(l));
    int rc = s->epoch ? store_lease_renew(s->o.store, TRIGGER_LEASE_NAME, s->holder, s->epoch,
                                          s->lease_ms, &l, &err)
                      : store_lease_acquire(s->o.store, TRIGGER_LEASE_NAME, s->holder, s->lease_ms,
                                            &l, &err);
    if (rc) {
        if (s->epoch) {
            log_warn("triggers: lost the lease: %s", err.msg);
            /* the next holder marks their firings abandoned and may start
             * the same triggers again: this server's runs must not go on
             * beside those */
            trigger_runs_stop_all(s->runs, "the server lost the triggers' lease");
        }
        s->epoch = 0;
        lease_release(&l);
        return 0;
    }
    if (!s->epoch) {
        log_info("triggers: running triggers (lease epoch %lld)", (long long)l.epoch);
        s->fresh = 1;
    }
    s->epoch = l.epoch;
    s->renewed_ms = now;
    lease_release(&l);
    return 1;
}

/* ---------- firing ---------- */

/* Fires t for one event: params rendered from fields (a render error
 * records the firing failed with the reason). 0 when recorded (or already
 * there), -1 when the store refused (err). */
static int fire(struct trigger_scheduler *s, const struct trigger *row,
                const struct trigger_spec *t, const char *key, int64_t event_id, json_t *fields,
                struct ferr *err)
{
    json_t *params = NULL;
    struct ferr why = FERR_INIT;
    struct trigger_fire f = {row->name, key,        event_id,      fields,
                             NULL,      row->owner, FIRING_QUEUED, NULL};
    if (trigger_render_params(t, fields, &params, &why)) {
        f.state = FIRING_FAILED;
        f.detail = why.msg;
    }
    f.params = params;
    struct trigger_firing out;
    int inserted = 0;
    memset(&out, 0, sizeof(out));
    int rc = store_trigger_fire(s->o.store, &f, &out, &inserted, err);
    if (!rc && inserted)
        log_info("trigger '%s': firing %lld (%s)%s%s", row->name, (long long)out.id, key,
                 f.state == FIRING_FAILED ? ": failed: " : "", f.detail ? f.detail : "");
    trigger_firing_release(&out);
    json_decref(params);
    (void)s;
    return rc;
}

/* The enabled triggers with their parsed specs. */
struct armed {
    struct trigger_list rows;
    struct trigger_spec *specs; /* specs[i] of rows.v[i]; ok[i] 0: unusable */
    int *ok;
};

static void armed_release(struct armed *a)
{
    for (size_t i = 0; i < a->rows.n; i++)
        trigger_spec_release(&a->specs[i]);
    free(a->specs);
    free(a->ok);
    trigger_list_release(&a->rows);
    memset(a, 0, sizeof(*a));
}

static int arm(struct trigger_scheduler *s, struct armed *a, struct ferr *err)
{
    memset(a, 0, sizeof(*a));
    if (store_trigger_list(s->o.store, &a->rows, err))
        return -1;
    a->specs = xcalloc(a->rows.n ? a->rows.n : 1, sizeof(*a->specs));
    a->ok = xcalloc(a->rows.n ? a->rows.n : 1, sizeof(*a->ok));
    for (size_t i = 0; i < a->rows.n; i++) {
        struct ferr why = FERR_INIT;
        if (!a->rows.v[i].enabled)
            continue;
        if (trigger_spec_parse(a->rows.v[i].spec, strlen(a->rows.v[i].spec), &a->specs[i], &why))
            log_warn("trigger '%s': its stored spec is unusable: %s", a->rows.v[i].name, why.msg);
        else
            a->ok[i] = 1;
    }
    return 0;
}

/* Step 1: the events after the cursor (an id gap waited for:
 * server/event_follow.h), each firing the triggers it matches; the cursor
 * then moves past the events handled. */
static void follow_events(struct trigger_scheduler *s)
{
    struct ferr err = FERR_INIT;
    struct store_event_list evs;
    struct armed a;
    int64_t from = 0, upto = 0;
    memset(&evs, 0, sizeof(evs));
    memset(&a, 0, sizeof(a));
    if (event_follow_next(&s->follow, &evs, &from, &upto, &err) || (evs.n && arm(s, &a, &err))) {
        log_warn("triggers: reading the events: %s", err.msg);
        goto out;
    }
    for (size_t i = 0; i < evs.n; i++) {
        const struct store_event *ev = &evs.v[i];
        int failed = 0;
        json_t *payload = NULL;
        if (strncmp(ev->kind, "trigger.", 8)) /* a trigger's own events fire nothing */
            payload = ev->payload ? json_loads(ev->payload, 0, NULL) : NULL;
        for (size_t j = 0; payload && j < a.rows.n && !failed; j++) {
            const struct trigger *row = &a.rows.v[j];
            if (!a.ok[j] || a.specs[j].kind == TRIGGER_SCHEDULE || ev->id <= row->since_event_id ||
                !trigger_event_matches(&a.specs[j], ev->kind, payload, ev->subject))
                continue;
            json_t *fields =
                trigger_event_fields(ev->kind, ev->id, ev->time_ms, ev->subject, payload);
            char key[40];
            snprintf(key, sizeof(key), "event:%" PRId64, ev->id);
            if (!fields || fire(s, row, &a.specs[j], key, ev->id, fields, &err)) {
                log_warn("trigger '%s': event %lld: %s", row->name, (long long)ev->id,
                         fields ? err.msg : "out of memory");
                failed = 1;
            }
            json_decref(fields);
        }
        json_decref(payload);
        if (failed) { /* retried next tick: its firings that landed are unique */
            upto = ev->id - 1;
            break;
        }
    }
    if (event_follow_commit(&s->follow, from, upto, &err))
        log_warn("triggers: moving the cursor to %lld: %s", (long long)upto, err.msg);
out:
    armed_release(&a);
    store_event_list_release(&evs);
}

/* Step 2: each schedule trigger's newest due cron time, once. */
static void follow_schedules(struct trigger_scheduler *s)
{
    struct ferr err = FERR_INIT;
    struct armed a;
    if (arm(s, &a, &err)) {
        log_warn("triggers: listing the triggers: %s", err.msg);
        return;
    }
    int64_t now = ftime_now_ms() + s->now_offset_ms;
    for (size_t i = 0; i < a.rows.n; i++) {
        const struct trigger *row = &a.rows.v[i];
        if (!a.ok[i] || a.specs[i].kind != TRIGGER_SCHEDULE)
            continue;
        int64_t due = cron_prev(&a.specs[i].cron, now);
        if (due < 0 || due <= row->last_scheduled_ms || due < row->created_ms)
            continue;
        char key[40];
        snprintf(key, sizeof(key), "schedule:%" PRId64, due);
        json_t *fields = trigger_schedule_fields(due, now);
        if (!fields || fire(s, row, &a.specs[i], key, 0, fields, &err) ||
            store_trigger_set_scheduled(s->o.store, row->name, due, &err))
            log_warn("trigger '%s': schedule %lld: %s", row->name, (long long)due,
                     fields ? err.msg : "out of memory");
        json_decref(fields);
    }
    armed_release(&a);
}

/* Step 3: queued firings start, oldest first, by their trigger's concurrency. */
static void start_queued(struct trigger_scheduler *s)
{
    struct ferr err = FERR_INIT;
    struct trigger_firing_list l;
    char *next = NULL;
    memset(&l, 0, sizeof(l));
    struct firing_query q = {NULL, FIRING_F(FIRING_QUEUED), 1, FIRINGS_PER_TICK, NULL};
    if (store_trigger_firings(s->o.store, &q, &l, &next, &err)) {
        log_warn("triggers: listing the queued firings: %s", err.msg);
        return;
    }
    free(next);
    for (size_t i = 0; i < l.n; i++) {
        const struct trigger_firing *f = &l.v[i];
        struct trigger row;
        struct trigger_spec t;
        memset(&row, 0, sizeof(row));
        memset(&t, 0, sizeof(t));
        struct ferr why = FERR_INIT;
        if (store_trigger_get(s->o.store, f->trigger, &row, &why)) {
            if (why.code == FERR_RESOURCE_DOES_NOT_EXIST)
                trigger_runs_end_queued(s->runs, f, FIRING_CANCELLED, "the trigger was deleted");
            else
                log_warn("trigger '%s': %s", f->trigger, why.msg);
            continue;
        }
        if (trigger_spec_parse(row.spec, strlen(row.spec), &t, &why)) {
            trigger_runs_end_queued(s->runs, f, FIRING_FAILED, why.msg);
        } else {
            int64_t going = trigger_runs_going(s->runs, f->trigger);
            char detail[96];
            if (going && t.concurrency == TRIGGER_SKIP) {
                snprintf(detail, sizeof(detail), "a run is still going: firing %" PRId64, going);
                trigger_runs_end_queued(s->runs, f, FIRING_SKIPPED, detail);
            } else if (going && t.concurrency == TRIGGER_QUEUE) {
                /* waits for it */
            } else {
                if (going) {
                    snprintf(detail, sizeof(detail), "replaced by firing %" PRId64, f->id);
                    trigger_runs_cancel(s->runs, going, detail);
                }
                trigger_runs_start(s->runs, f, &t);
            }
        }
        trigger_spec_release(&t);
        trigger_release(&row);
    }
    trigger_firing_list_release(&l);
}

/* On taking the lease: the firings another holder left running become
 * abandoned (their process died with it, or goes on unwatched): at most once. */
static void abandon_orphans(struct trigger_scheduler *s)
{
    struct ferr err = FERR_INIT;
    for (int page = 0; page < 100; page++) {
        struct trigger_firing_list l;
        char *next = NULL;
        memset(&l, 0, sizeof(l));
        struct firing_query q = {NULL, FIRING_F(FIRING_RUNNING), 1, 1000, NULL};
        if (store_trigger_firings(s->o.store, &q, &l, &next, &err)) {
            log_warn("triggers: listing the running firings: %s", err.msg);
            return;
        }
        free(next);
        size_t moved = 0;
        for (size_t i = 0; i < l.n; i++) {
            if (!strcmp(l.v[i].holder, s->holder))
                continue;
            struct ferr why = FERR_INIT;
            if (store_trigger_firing_update(s->o.store, l.v[i].id, FIRING_RUNNING, FIRING_ABANDONED,
                                            NULL, NULL, "the server stopped while it ran", NULL,
                                            &why))
                log_warn("trigger '%s': firing %lld: %s", l.v[i].trigger, (long long)l.v[i].id,
                         why.msg);
            else {
                moved++;
                log_warn("trigger '%s': firing %lld abandoned: the server running it stopped",
                         l.v[i].trigger, (long long)l.v[i].id);
            }
        }
        trigger_firing_list_release(&l);
        if (!moved)
            break;
    }
    s->fresh = 0;
}

static int stopping(struct trigger_scheduler *s)
{
    pthread_mutex_lock(&s->mu);
    int stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

static void tick(struct trigger_scheduler *s)
{
    if (!hold(s)) {
        trigger_runs_poll(s->runs); /* still reaped; their records may be refused */
        return;
    }
    struct lease_fence f = {TRIGGER_LEASE_NAME, s->holder, s->epoch};
    struct ferr err = FERR_INIT;
    if (store_fence_set(&f, &err)) {
        log_warn("triggers: %s", err.msg);
        return;
    }
    if (s->fresh)
        abandon_orphans(s);
    trigger_runs_poll(s->runs);
    if (!stopping(s))
        follow_events(s);
    if (!stopping(s))
        follow_schedules(s);
    if (!stopping(s))
        start_queued(s);
    store_fence_clear();
}

static void *loop(void *arg)
{
    struct trigger_scheduler *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        pthread_mutex_unlock(&s->mu);
        tick(s);
        pthread_mutex_lock(&s->mu);
        if (s->stop)
            break;
        struct timespec ts;
        ftime_deadline_after_ms(s->tick_ms, &ts);
        while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&s->mu);
    /* the processes end with the thread that started them (their parent-death
     * signal follows this thread): stop them here, their firings cancelled */
    struct lease_fence f = {TRIGGER_LEASE_NAME, s->holder, s->epoch};
    struct ferr err = FERR_INIT;
    int fenced = s->epoch && !store_fence_set(&f, &err);
    trigger_runs_stop_all(s->runs, "the server stopped");
    if (fenced)
        store_fence_clear();
    return NULL;
}

int trigger_scheduler_start(const struct trigger_scheduler_opts *o, struct trigger_scheduler **out,
                            struct ferr *err)
{
    struct trigger_scheduler *s = xcalloc(1, sizeof(*s));
    char id[RUN_ID_LEN + 1];
    *out = NULL;
    s->o = *o;
    if (setting("TRIGGER_TICK_MS", 1000, 10, 3600000, &s->tick_ms, err) ||
        setting("TRIGGER_LEASE_MS", 15000, 300, 3600000, &s->lease_ms, err) ||
        setting("TRIGGER_NOW_OFFSET_MS", 0, -366LL * 86400000, 366LL * 86400000, &s->now_offset_ms,
                err) ||
        setting("TRIGGER_GAP_WAIT_MS", 5000, 0, 600000, &s->gap_wait_ms, err)) {
        free(s);
        return -1;
    }
    event_follow_init(&s->follow, o->store, TRIGGER_CURSOR_NAME, NULL, 0, s->gap_wait_ms,
                      "triggers");
    ids_new_run_id(id);
    snprintf(s->holder, sizeof(s->holder), "server-%ld-%.12s", (long)getpid(), id);
    if (trigger_runs_new(o->store, o->launcher, s->holder, o->log_dir, &s->runs, err)) {
        free(s);
        return -1;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    int rc = pthread_create(&s->thread, NULL, loop, s);
    if (rc) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        trigger_runs_free(s->runs);
        free(s);
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot start the triggers' thread: %s",
                        strerror(rc));
    }
    if (s->now_offset_ms)
        log_warn("triggers: schedules are judged %lld ms off the clock "
                 "(FERRY_TRIGGER_NOW_OFFSET_MS, a test hook)",
                 (long long)s->now_offset_ms);
    *out = s;
    return 0;
}

void trigger_scheduler_stop(struct trigger_scheduler *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    if (s->epoch) {
        struct ferr err = FERR_INIT;
        if (store_lease_release(s->o.store, TRIGGER_LEASE_NAME, s->holder, s->epoch, &err))
            log_warn("triggers: could not give the lease up: %s", err.msg);
    }
    trigger_runs_free(s->runs);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
