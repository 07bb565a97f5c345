/* SPDX-License-Identifier: MIT
 * One thread, ticking: the lease, the events it logs and counts, then the
 * due deliveries one by one (see alert_dispatch.h). */
#include "server/alert_dispatch.h"
#include "base/env.h"
#include "base/ftime.h"
#include "base/json.h"
#include "base/log.h"
#include "base/secret.h"
#include "base/xalloc.h"
#include "monitor/alert_sink.h"
#include "monitor/monitor_metrics.h"
#include "store/deployments.h"
#include "store/leases.h"
#include "store/monitors.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

/* One attempt's limit: a webhook's timeout is capped here (a command's is
 * 30 s), so attempts end well within the lease and the claim. */
#define MAX_ATTEMPT_MS 45000
/* The lease outlasts any one attempt: before each attempt it is renewed if
 * less than an attempt and 5 s are left of it, so a sender never loses it
 * mid-attempt and has its record refused; a crashed sender's lease passes
 * to another server within a minute. Not more often: each renewal is a
 * write (on PostgreSQL a commit, a WAL flush), idle or not. */
#define LEASE_TTL_MS   60000
#define RENEW_EVERY_MS (LEASE_TTL_MS - MAX_ATTEMPT_MS - 5000)
#define CLAIM_BATCH    50
#define EVENTS_BATCH   1000
/* A claimed delivery is another server's to retry after this (its sender
 * crashed): longer than any one attempt. */
#define CLAIM_MS 90000

struct alert_dispatch {
    struct alert_dispatch_opts o;
    int64_t base_ms, cap_ms, tick_ms;
    int64_t max_attempts;
    char holder[96];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    /* the thread's own */
    int64_t epoch;       /* the lease's while held; 0: not held */
    int64_t renewed_ms;  /* monotonic ms of the last take or renew */
    int64_t event_after; /* the last alert event seen */
    int cursor_ready;    /* event_after is past the events before the start */
    int warned_lease;    /* a lease error was logged (said once until it clears) */
    int warned_claim;    /* a claim error was logged (said once until it clears) */
};

static int64_t mono_ms(void)
{
    return ftime_mono_ns() / 1000000;
}

/* A whole-number setting in [lo, hi], def when unset. */
static int setting(const char *name, int64_t def, int64_t lo, int64_t hi, int64_t *out,
                   struct ferr *err)
{
    const char *s = env_get(name);
    *out = def;
    if (!s)
        return 0;
    if (fjson_parse_int64(s, out) || *out < lo || *out > hi)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid FERRY_%s '%.50s' (expected %" PRId64 "..%" PRId64 ")", name, s, lo,
                        hi);
    return 0;
}

/* ---------- the lease ---------- */

/* 1 when this server sends now (lease taken or renewed), 0 when another does. */
static int hold_lease(struct alert_dispatch *d)
{
    struct lease l;
    struct ferr err = FERR_INIT;
    int64_t now = mono_ms();
    if (d->epoch && now - d->renewed_ms < RENEW_EVERY_MS)
        return 1;
    memset(&l, 0, sizeof(l));
    int rc = d->epoch ? store_lease_renew(d->o.store, ALERT_DISPATCH_LEASE, d->holder, d->epoch,
                                          LEASE_TTL_MS, &l, &err)
                      : store_lease_acquire(d->o.store, ALERT_DISPATCH_LEASE, d->holder,
                                            LEASE_TTL_MS, &l, &err);
    if (rc) {
        if (d->epoch)
            log_warn("alert dispatcher: lost the lease '%s': %s", ALERT_DISPATCH_LEASE, err.msg);
        else if (err.code != FERR_INVALID_STATE && !d->warned_lease++)
            log_warn("alert dispatcher: cannot take the lease '%s': %s", ALERT_DISPATCH_LEASE,
                     err.msg);
        d->epoch = 0;
        lease_release(&l);
        return 0;
    }
    if (!d->epoch)
        log_info("alert dispatcher: sending alerts' deliveries (lease '%s' epoch %" PRId64 ")",
                 ALERT_DISPATCH_LEASE, l.epoch);
    d->epoch = l.epoch;
    d->renewed_ms = now;
    d->warned_lease = 0;
    lease_release(&l);
    return 1;
}

static int fence_on(struct alert_dispatch *d)
{
    struct lease_fence f = {ALERT_DISPATCH_LEASE, d->holder, d->epoch};
    struct ferr err = FERR_INIT;
    if (store_fence_set(&f, &err)) {
        log_warn("alert dispatcher: %s", err.msg);
        return -1;
    }
    return 0;
}

/* ---------- events: logged and counted ---------- */

static const char *const alert_kinds[] = {"alert.opened", "alert.resolved"};

/* Moves the cursor past every alert event there is, without logging: a
 * server logs what happens while it runs. */
static void skip_old_events(struct alert_dispatch *d)
{
    for (;;) {
        struct store_event_list l = {NULL, 0, 0};
        struct ferr err = FERR_INIT;
        if (store_events_search(d->o.store, d->event_after, alert_kinds, 2, EVENTS_BATCH, &l, &err))
            return; /* tried again at the next tick */
        if (l.n)
            d->event_after = l.v[l.n - 1].id;
        size_t n = l.n;
        store_event_list_release(&l);
        if (n < EVENTS_BATCH) {
            d->cursor_ready = 1;
            return;
        }
    }
}

static const char *str_of(json_t *p, const char *key)
{
    const char *s = json_string_value(json_object_get(p, key));
    return s ? s : "?";
}

static void log_event(const struct store_event *e)
{
    json_t *p = json_loads(e->payload ? e->payload : "{}", 0, NULL);
#define STR(k) str_of(p, k)
    json_int_t id = json_integer_value(json_object_get(p, "alert_id"));
    if (!strcmp(e->kind, "alert.opened")) {
        monitor_metrics_alert_opened();
        log_info("alert %lld opened: monitor '%s' (deployment '%s') condition '%s' (%s): %s",
                 (long long)id, STR("monitor"), STR("deployment"), STR("condition"),
                 STR("severity"), STR("message"));
    } else {
        monitor_metrics_alert_resolved();
        log_info("alert %lld resolved: monitor '%s' condition '%s'%s%s", (long long)id,
                 STR("monitor"), STR("condition"), e->user_id && *e->user_id ? " by " : "",
                 e->user_id && *e->user_id ? e->user_id : "");
    }
#undef STR
    json_decref(p);
}

static void follow_events(struct alert_dispatch *d, int holding)
{
    struct store_event_list l = {NULL, 0, 0};
    struct ferr err = FERR_INIT;
    if (!d->cursor_ready) {
        skip_old_events(d);
        return;
    }
    if (store_events_search(d->o.store, d->event_after, alert_kinds, 2, EVENTS_BATCH, &l, &err))
        return;
    for (size_t i = 0; i < l.n; i++) {
        if (holding)
            log_event(&l.v[i]);
        d->event_after = l.v[i].id;
    }
    store_event_list_release(&l);
}

/* ---------- one delivery ---------- */

/* The sink a delivery goes to, from its monitor's current spec; NULL with
 * why when it is gone. */
static const struct monitor_sink *sink_of(const struct alert_delivery *dl, const struct monitor *m,
                                          char *why, size_t n)
{
    if (dl->sink_index < 0 || (size_t)dl->sink_index >= m->spec.nsinks) {
        snprintf(why, n, "monitor '%s' has no sink %d any more", m->name, dl->sink_index);
        return NULL;
    }
    const struct monitor_sink *s = &m->spec.sinks[dl->sink_index];
    if (dl->sink_kind && *dl->sink_kind && strcmp(dl->sink_kind, monitor_sink_kind_name(s->kind))) {
        snprintf(why, n, "monitor '%s''s sink %d is no longer a %s", m->name, dl->sink_index,
                 dl->sink_kind);
        return NULL;
    }
    return s;
}

/* Tries dl once; out gets the outcome. 1 when it can never be delivered
 * (its monitor is gone, or is a new one of the same name, or no longer has
 * the sink): the delivery then fails at once rather than after every
 * retry, and never reaches a later monitor's sinks. */
static int attempt(struct alert_dispatch *d, const struct alert_delivery *dl,
                   struct alert_outcome *out)
{
    struct monitor_alert a;
    struct monitor m;
    struct ferr err = FERR_INIT;
    memset(out, 0, sizeof(*out));
    out->code = -1;
    if (store_alert_get(d->o.store, dl->alert_id, &a, &err)) {
        snprintf(out->detail, sizeof(out->detail), "%.250s", err.msg);
        return err.code == FERR_RESOURCE_DOES_NOT_EXIST;
    }
    if (store_monitor_get(d->o.store, dl->monitor, &m, &err)) {
        int gone = err.code == FERR_RESOURCE_DOES_NOT_EXIST;
        snprintf(out->detail, sizeof(out->detail), "%.250s",
                 gone ? "the monitor no longer exists" : err.msg);
        monitor_alert_release(&a);
        return gone;
    }
    /* a monitor deleted (its alerts resolved "deleted") and applied again
     * under the same name is another monitor: its sinks are not the alert's */
    if ((a.resolved_by && !strcmp(a.resolved_by, "deleted")) || m.created_ms > a.opened_ms) {
        snprintf(out->detail, sizeof(out->detail), "the alert's monitor '%.200s' was deleted",
                 dl->monitor);
        monitor_release(&m);
        monitor_alert_release(&a);
        return 1;
    }
    const struct monitor_sink *s = sink_of(dl, &m, out->detail, sizeof(out->detail));
    int64_t end = 0;
    struct monitor_report_list reps = {NULL, 0, 0};
    char *next = NULL;
    /* the window's end, from its report's figures (not its body, which may be large) */
    if (s && !store_monitor_reports(d->o.store, a.monitor, 1, a.last_window_start_ms + 1, NULL, 0,
                                    &reps, &next, &err)) {
        if (reps.n && reps.v[0].window_start_ms == a.last_window_start_ms)
            end = reps.v[0].window_end_ms;
        monitor_report_list_release(&reps);
        free(next);
    }
    if (s) {
        char id[24];
        size_t len;
        char *body = alert_body(&a, dl->event, dl->id, end, &len);
        snprintf(id, sizeof(id), "%" PRId64, dl->id);
        struct alert_message msg = {
            alert_event_name(dl->event), id,   NULL, a.monitor, a.deployment, a.condition,
            alert_state_name(a.state),   body, len,  0};
        char alert_id[24];
        snprintf(alert_id, sizeof(alert_id), "%" PRId64, a.id);
        msg.alert_id = alert_id;
        if (s->kind == MON_SINK_WEBHOOK) {
            struct alert_webhook w = {
                s->url,
                s->secret_env,
                (const char *const *)s->header_names,
                (const char *const *)s->header_values,
                s->nheaders,
                (long)(s->timeout_ms < MAX_ATTEMPT_MS ? s->timeout_ms : MAX_ATTEMPT_MS)};
            (void)alert_sink_webhook(&w, &msg, out);
        } else {
            struct alert_command c = {
                s->path, (const char *const *)s->args, s->nargs, d->o.run_as, d->o.execute, 0};
            (void)alert_sink_command(&c, &msg, out);
        }
        free(body);
    }
    monitor_release(&m);
    monitor_alert_release(&a);
    return !s;
}

/* Sends dl and records the attempt; -1 when the record could not be
 * written (the lease is lost, or the store is down: stop this batch). */
static int deliver(struct alert_dispatch *d, struct alert_delivery *dl)
{
    struct alert_outcome out;
    struct ferr err = FERR_INIT;
    const char *ev = alert_event_name(dl->event);
    int hopeless = attempt(d, dl, &out);
    int64_t now = ftime_now_ms();
    dl->attempt++;
    dl->http_status =
        out.code > 0 && !strcmp(dl->sink_kind ? dl->sink_kind : "", "webhook") ? out.code : 0;
    free(dl->error);
    dl->error = xstrdup(out.delivered ? "" : out.detail);
    const char *result;
    if (out.delivered) {
        dl->state = DELIVERY_DELIVERED;
        dl->delivered_ms = now;
        result = "delivered";
    } else if (hopeless || dl->attempt >= d->max_attempts) {
        dl->state = DELIVERY_FAILED;
        result = "failed";
    } else {
        dl->state = DELIVERY_PENDING;
        dl->next_attempt_ms = now + alert_backoff_ms((int)dl->attempt, d->base_ms, d->cap_ms);
        result = "retry";
    }
    if (fence_on(d))
        return -1;
    int rc = store_delivery_update(d->o.store, dl, &err);
    store_fence_clear();
    if (rc) {
        log_warn("alert dispatcher: cannot record delivery %" PRId64 ": %s", dl->id, err.msg);
        return -1;
    }
    monitor_metrics_delivery(result);
    if (out.delivered)
        log_info("alert %" PRId64 ": %s delivered to monitor '%s' sink %d (%s), attempt %" PRId64,
                 dl->alert_id, ev, dl->monitor, dl->sink_index, dl->sink_kind, dl->attempt);
    else if (dl->state == DELIVERY_FAILED)
        log_error("alert %" PRId64 ": %s not delivered to monitor '%s' sink %d (%s): %s; gave up "
                  "after %" PRId64 " attempts",
                  dl->alert_id, ev, dl->monitor, dl->sink_index, dl->sink_kind, out.detail,
                  dl->attempt);
    else
        log_warn("alert %" PRId64 ": %s not delivered to monitor '%s' sink %d (%s): %s; attempt "
                 "%" PRId64 " of %" PRId64 ", next in %" PRId64 " ms",
                 dl->alert_id, ev, dl->monitor, dl->sink_index, dl->sink_kind, out.detail,
                 dl->attempt, d->max_attempts, dl->next_attempt_ms - now);
    return 0;
}

static int stopping(struct alert_dispatch *d)
{
    pthread_mutex_lock(&d->mu);
    int s = d->stop;
    pthread_mutex_unlock(&d->mu);
    return s;
}

static void send_due(struct alert_dispatch *d)
{
    struct alert_delivery_list l = {NULL, 0, 0};
    struct ferr err = FERR_INIT;
    /* Nothing due, nothing to claim: a read finds that out, where the
     * claim is a fenced write (on PostgreSQL the lease's row lock is a WAL
     * record and its commit a flush, at every tick of an idle server). A
     * failed read goes on to the claim, which reports the error. */
    int64_t now = ftime_now_ms();
    int idle = !store_deliveries_due(d->o.store, now, 1, &l, &err) && !l.n;
    alert_delivery_list_release(&l);
    if (idle)
        return;
    err = (struct ferr)FERR_INIT;
    if (fence_on(d))
        return;
    int rc = store_deliveries_claim(d->o.store, now, CLAIM_MS, CLAIM_BATCH, &l, &err);
    store_fence_clear();
    if (rc) {
        if (!d->warned_claim++)
            log_warn("alert dispatcher: cannot read due deliveries: %s", err.msg);
        return;
    }
    d->warned_claim = 0;
    size_t i = 0;
    while (i < l.n && !stopping(d) && hold_lease(d))
        if (deliver(d, &l.v[i++]))
            break;
    /* Stopping: the rest of the claim is put back as it was, so a restart
     * sends them at once rather than when the claim lapses (which is what
     * happens when the lease or the store is lost). */
    if (i < l.n && d->epoch && !fence_on(d)) {
        for (; i < l.n; i++)
            if (store_delivery_update(d->o.store, &l.v[i], &err))
                break;
        store_fence_clear();
    }
    alert_delivery_list_release(&l);
}

static void *run(void *arg)
{
    struct alert_dispatch *d = arg;
    while (!stopping(d)) {
        int holding = hold_lease(d);
        follow_events(d, holding);
        if (holding)
            send_due(d);
        pthread_mutex_lock(&d->mu);
        if (!d->stop) {
            struct timespec until;
            ftime_deadline_after_ms(d->tick_ms, &until);
            (void)pthread_cond_timedwait(&d->cv, &d->mu, &until);
        }
        pthread_mutex_unlock(&d->mu);
    }
    return NULL;
}

int alert_dispatch_start(const struct alert_dispatch_opts *o, struct alert_dispatch **out,
                         struct ferr *err)
{
    struct alert_dispatch *d = xcalloc(1, sizeof(*d));
    unsigned char r[6];
    char host[64] = "";
    *out = NULL;
    d->o = *o;
    if (setting("ALERT_RETRY_BASE_MS", 1000, 1, 3600000, &d->base_ms, err) ||
        setting("ALERT_RETRY_MAX_MS", 300000, 1, 86400000, &d->cap_ms, err) ||
        setting("ALERT_MAX_ATTEMPTS", 8, 1, 100, &d->max_attempts, err) ||
        secret_random(r, sizeof(r), err)) {
        free(d);
        return -1;
    }
    /* a tick a little shorter than the first backoff, within [50 ms, 1 s] */
    d->tick_ms = d->base_ms / 2 < 50 ? 50 : d->base_ms / 2 > 1000 ? 1000 : d->base_ms / 2;
    (void)gethostname(host, sizeof(host) - 1);
    snprintf(d->holder, sizeof(d->holder), "server %.60s/%ld/%02x%02x%02x%02x%02x%02x", host,
             (long)getpid(), r[0], r[1], r[2], r[3], r[4], r[5]);
    /* before the server listens: every alert event after this is logged */
    skip_old_events(d);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    int e = pthread_create(&d->thread, NULL, run, d);
    if (e) {
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
        free(d);
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot start the alert dispatcher: %s",
                        strerror(e));
    }
    *out = d;
    return 0;
}

void alert_dispatch_stop(struct alert_dispatch *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stop = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    if (d->epoch) {
        struct ferr err = FERR_INIT;
        if (store_lease_release(d->o.store, ALERT_DISPATCH_LEASE, d->holder, d->epoch, &err))
            log_warn("alert dispatcher: cannot give the lease up: %s", err.msg);
    }
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d);
}
