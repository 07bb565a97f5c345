/* SPDX-License-Identifier: MIT
 * One thread, ticking: the lease, the new stream events into deliveries,
 * then the due deliveries one by one (see webhook_dispatch.h). */
#include "server/webhook_dispatch.h"
#include "server/event_follow.h"
#include "api/webhook_events.h"
#include "api/webhook_send.h"
#include "base/env.h"
#include "base/ftime.h"
#include "base/json.h"
#include "base/log.h"
#include "base/secret.h"
#include "base/xalloc.h"
#include "monitor/alert_sink.h"
#include "store/backend.h"
#include "store/deployments.h"
#include "store/leases.h"
#include "store/triggers.h"
#include "store/webhooks.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

/* The lease outlasts any one attempt (at most MAX_TIMEOUT_MS): before
 * each attempt it is renewed if less than an attempt and 5 s are left of
 * it, so a sender never loses it mid-attempt; a crashed sender's passes on
 * within a minute. Not more often: each renewal is a write (on PostgreSQL
 * a commit, a WAL flush), idle or not. */
#define LEASE_TTL_MS   60000
#define MAX_TIMEOUT_MS 45000
#define RENEW_EVERY_MS (LEASE_TTL_MS - MAX_TIMEOUT_MS - 5000)
#define SEND_BATCH     50
#define EVENTS_BATCH   1000

struct webhook_dispatch {
    struct webhook_dispatch_opts o;
    int64_t base_ms, cap_ms, tick_ms, max_attempts, timeout_ms;
    char holder[96];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    int64_t epoch, renewed_ms;
    int64_t gap_wait_ms;
    struct event_follow follow; /* the cursor, its gaps waited for */
    int warned;                 /* an error was logged (said once until it clears) */
};

static int64_t mono_ms(void)
{
    return ftime_mono_ns() / 1000000;
}

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

static void warn_once(struct webhook_dispatch *d, const char *what, const struct ferr *err)
{
    if (!d->warned++)
        log_warn("webhook dispatcher: %s: %s", what, err->msg);
}

/* 1 when this server dispatches now (lease taken or renewed). */
static int hold_lease(struct webhook_dispatch *d)
{
    struct lease l;
    struct ferr err = FERR_INIT;
    int64_t now = mono_ms();
    if (d->epoch && now - d->renewed_ms < RENEW_EVERY_MS)
        return 1;
    memset(&l, 0, sizeof(l));
    int rc = d->epoch ? store_lease_renew(d->o.store, WEBHOOK_DISPATCH_LEASE, d->holder, d->epoch,
                                          LEASE_TTL_MS, &l, &err)
                      : store_lease_acquire(d->o.store, WEBHOOK_DISPATCH_LEASE, d->holder,
                                            LEASE_TTL_MS, &l, &err);
    if (rc) {
        if (d->epoch)
            log_warn("webhook dispatcher: lost the lease '%s': %s", WEBHOOK_DISPATCH_LEASE,
                     err.msg);
        else if (err.code != FERR_INVALID_STATE)
            warn_once(d, "cannot take the lease", &err);
        d->epoch = 0;
        lease_release(&l);
        return 0;
    }
    if (!d->epoch)
        log_info("webhook dispatcher: sending webhooks (lease '%s' epoch %" PRId64 ")",
                 WEBHOOK_DISPATCH_LEASE, l.epoch);
    d->epoch = l.epoch;
    d->renewed_ms = now;
    lease_release(&l);
    return 1;
}

static int fence_on(struct webhook_dispatch *d)
{
    struct lease_fence f = {WEBHOOK_DISPATCH_LEASE, d->holder, d->epoch};
    struct ferr err = FERR_INIT;
    if (store_fence_set(&f, &err)) {
        log_warn("webhook dispatcher: %s", err.msg);
        return -1;
    }
    return 0;
}

static int stopping(struct webhook_dispatch *d)
{
    pthread_mutex_lock(&d->mu);
    int s = d->stop;
    pthread_mutex_unlock(&d->mu);
    return s;
}

/* ---------- events into deliveries ---------- */

/* One delivery of e (mapped to ev, data) per subscribed webhook created at
 * or before it. -1 when the store failed (the event is tried again). */
static int enqueue_event(struct webhook_dispatch *d, const struct store_event *e, const char *ev,
                         json_t *data, const struct webhook_list *all)
{
    size_t len;
    char *body = webhook_body(ev, e->time_ms, data, &len);
    int rc = 0;
    for (size_t i = 0; i < all->n && !rc; i++) {
        const struct webhook *w = &all->v[i];
        int on = 0;
        for (size_t j = 0; j < w->nevents && !on; j++)
            on = !strcmp(w->events[j], ev);
        if (!on || strcmp(w->status, "ACTIVE") || w->creation_timestamp > e->time_ms)
            continue;
        struct ferr err = FERR_INIT;
        int inserted = 0;
        if (fence_on(d))
            rc = -1;
        else {
            rc = store_webhook_enqueue(d->o.store, w->id, e->id, ev, body, &inserted, &err);
            store_fence_clear();
            if (rc)
                warn_once(d, "cannot enqueue a delivery", &err);
            else if (inserted)
                log_info("webhook %s: %s (event %" PRId64 ") queued", w->name, ev, e->id);
        }
    }
    free(body);
    return rc;
}

static void follow_events(struct webhook_dispatch *d)
{
    struct ferr err = FERR_INIT;
    struct store_event_list l = {NULL, 0, 0};
    struct webhook_list all = {NULL, 0, 0};
    int64_t from, upto;
    /* every kind, a gap in the ids waited for (server/event_follow.h) */
    if (event_follow_next(&d->follow, &l, &from, &upto, &err)) {
        warn_once(d, "cannot read the events", &err);
        return;
    }
    /* every webhook (all pages), once per batch */
    if (l.n && store_webhook_subscribed(d->o.store, NULL, &all, &err)) {
        warn_once(d, "cannot list the webhooks", &err);
        store_event_list_release(&l);
        return;
    }
    for (size_t i = 0; i < l.n; i++) {
        char ev[WEBHOOK_EVENT_MAX];
        json_t *data = NULL;
        int m = 0, rc = 0;
        if (stopping(d))
            rc = -1;
        else if (all.n && (m = webhook_map_event(d->o.store, &l.v[i], ev, &data, &err)) < 0) {
            warn_once(d, "cannot read an event's entity", &err);
            rc = -1;
        } else if (m)
            rc = enqueue_event(d, &l.v[i], ev, data, &all);
        json_decref(data);
        if (rc) { /* the cursor stops before it: tried again */
            upto = l.v[i].id - 1;
            break;
        }
    }
    if (upto > from && !fence_on(d)) {
        if (event_follow_commit(&d->follow, from, upto, &err))
            warn_once(d, "cannot move the cursor", &err);
        else
            d->warned = 0;
        store_fence_clear();
    }
    webhook_list_release(&all);
    store_event_list_release(&l);
}

/* ---------- sending ---------- */

static void deliver(struct webhook_dispatch *d, const struct webhook_delivery *dl)
{
    struct webhook w;
    struct ferr err = FERR_INIT;
    struct http_post_result out;
    char detail[300] = "";
    const char *state;
    int64_t next = 0, status = 0;
    memset(&w, 0, sizeof(w));
    memset(&out, 0, sizeof(out));
    int have = !store_webhook_get(d->o.store, dl->webhook_id, &w, &err);
    if (!have && err.code != FERR_RESOURCE_DOES_NOT_EXIST) {
        warn_once(d, "cannot read a webhook", &err);
        return; /* tried at the next tick */
    }
    if (!have || strcmp(w.status, "ACTIVE")) {
        state = WEBHOOK_FAILED;
        snprintf(detail, sizeof(detail), "the webhook was %s", have ? "disabled" : "deleted");
    } else {
        char did[WEBHOOK_DELIVERY_ID_LEN + 1];
        webhook_delivery_id(w.id, dl->event_id, did);
        int rc = webhook_send(&w, did, 0, dl->payload, strlen(dl->payload), (long)d->timeout_ms, 0,
                              &out);
        status = rc ? 0 : out.status;
        if (!rc && out.status >= 200 && out.status < 300) {
            state = WEBHOOK_DELIVERED;
        } else {
            if (rc)
                snprintf(detail, sizeof(detail), "%s", out.error);
            else
                snprintf(detail, sizeof(detail), "HTTP %ld", out.status);
            if (dl->attempt + 1 >= d->max_attempts) {
                state = WEBHOOK_FAILED;
            } else {
                state = WEBHOOK_PENDING;
                next =
                    ftime_now_ms() + alert_backoff_ms((int)dl->attempt + 1, d->base_ms, d->cap_ms);
            }
        }
    }
    http_post_result_release(&out);
    if (!fence_on(d)) {
        if (store_webhook_attempt(d->o.store, dl->id, dl->attempt, state, next, status,
                                  *detail ? detail : NULL, &err))
            log_warn("webhook dispatcher: cannot record delivery %" PRId64 ": %s", dl->id, err.msg);
        store_fence_clear();
    }
    if (!strcmp(state, WEBHOOK_DELIVERED))
        log_info("webhook %s: %s (event %" PRId64 ") delivered, attempt %" PRId64, w.name,
                 dl->event, dl->event_id, dl->attempt + 1);
    else if (!strcmp(state, WEBHOOK_FAILED))
        log_error("webhook %s: %s (event %" PRId64 ") not delivered: %s; gave up after %" PRId64
                  " attempts",
                  have ? w.name : dl->webhook_id, dl->event, dl->event_id, detail, dl->attempt + 1);
    else
        log_warn("webhook %s: %s (event %" PRId64 ") not delivered: %s; attempt %" PRId64
                 " of %" PRId64,
                 w.name, dl->event, dl->event_id, detail, dl->attempt + 1, d->max_attempts);
    webhook_release(&w);
}

static void send_due(struct webhook_dispatch *d)
{
    struct webhook_delivery_list l = {NULL, 0, 0};
    struct ferr err = FERR_INIT;
    if (store_webhook_due(d->o.store, ftime_now_ms(), SEND_BATCH, &l, &err)) {
        warn_once(d, "cannot read due deliveries", &err);
        return;
    }
    for (size_t i = 0; i < l.n && !stopping(d) && hold_lease(d); i++)
        deliver(d, &l.v[i]);
    webhook_delivery_list_release(&l);
}

static void *run(void *arg)
{
    struct webhook_dispatch *d = arg;
    while (!stopping(d)) {
        if (hold_lease(d)) {
            follow_events(d);
            send_due(d);
        }
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

int webhook_dispatch_start(const struct webhook_dispatch_opts *o, struct webhook_dispatch **out,
                           struct ferr *err)
{
    unsigned char r[6];
    char host[64] = "";
    *out = NULL;
    if (!o->store->webhooks)
        return 0;
    struct webhook_dispatch *d = xcalloc(1, sizeof(*d));
    d->o = *o;
    if (setting("WEBHOOK_RETRY_BASE_MS", 1000, 1, 3600000, &d->base_ms, err) ||
        setting("WEBHOOK_RETRY_MAX_MS", 300000, 1, 86400000, &d->cap_ms, err) ||
        setting("WEBHOOK_MAX_ATTEMPTS", 5, 1, 100, &d->max_attempts, err) ||
        setting("WEBHOOK_REQUEST_TIMEOUT_MS", 30000, 100, MAX_TIMEOUT_MS, &d->timeout_ms, err) ||
        setting("WEBHOOK_GAP_WAIT_MS", 5000, 0, 600000, &d->gap_wait_ms, err) ||
        secret_random(r, sizeof(r), err)) {
        free(d);
        return -1;
    }
    event_follow_init(&d->follow, o->store, WEBHOOK_DISPATCH_CURSOR, NULL, 0, d->gap_wait_ms,
                      "webhook dispatcher");
    /* a tick a little shorter than the first backoff, within [50 ms, 1 s] */
    d->tick_ms = d->base_ms / 2 < 50 ? 50 : d->base_ms / 2 > 1000 ? 1000 : d->base_ms / 2;
    (void)gethostname(host, sizeof(host) - 1);
    snprintf(d->holder, sizeof(d->holder), "server %.60s/%ld/%02x%02x%02x%02x%02x%02x", host,
             (long)getpid(), r[0], r[1], r[2], r[3], r[4], r[5]);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    int e = pthread_create(&d->thread, NULL, run, d);
    if (e) {
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
        free(d);
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot start the webhook dispatcher: %s",
                        strerror(e));
    }
    *out = d;
    return 0;
}

void webhook_dispatch_stop(struct webhook_dispatch *d)
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
        if (store_lease_release(d->o.store, WEBHOOK_DISPATCH_LEASE, d->holder, d->epoch, &err))
            log_warn("webhook dispatcher: cannot give the lease up: %s", err.msg);
    }
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d);
}
