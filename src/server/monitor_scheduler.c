/* SPDX-License-Identifier: MIT */
#include "server/monitor_scheduler.h"
#include "base/ftime.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "monitor/monitor_run.h"
#include "store/leases.h"
#include "store/monitors.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

struct monitor_scheduler {
    struct monitor_scheduler_opts o;
    struct monitor_env env;
    char holder[96];
    int64_t epoch; /* 0: not held */
    int64_t renewed_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

int64_t monitor_due_end(int64_t every_ms, int64_t now_ms, int64_t grace_ms)
{
    if (every_ms <= 0 || now_ms - grace_ms < every_ms)
        return 0;
    return (now_ms - grace_ms) / every_ms * every_ms;
}

/* Holds the lease: acquires it, or renews it when a third of it is gone.
 * 1 while held. */
static int hold(struct monitor_scheduler *s, int64_t now)
{
    if (s->epoch && now - s->renewed_ms < s->o.lease_ms / 3)
        return 1;
    struct lease l;
    struct ferr err = FERR_INIT;
    memset(&l, 0, sizeof(l));
    int rc = s->epoch ? store_lease_renew(s->o.store, MONITOR_LEASE_NAME, s->holder, s->epoch,
                                          s->o.lease_ms, &l, &err)
                      : store_lease_acquire(s->o.store, MONITOR_LEASE_NAME, s->holder,
                                            s->o.lease_ms, &l, &err);
    if (rc) {
        if (s->epoch)
            log_warn("monitors: lost the lease: %s", err.msg);
        s->epoch = 0;
        lease_release(&l);
        return 0;
    }
    if (!s->epoch)
        log_info("monitors: running scheduled monitors (lease epoch %lld)", (long long)l.epoch);
    s->epoch = l.epoch;
    s->renewed_ms = now;
    lease_release(&l);
    return 1;
}

/* The lease kept while one window is judged: a window can take longer
 * than the lease (a million rows take seconds, more under load), and its
 * writes are fenced by the lease not having expired, so without renewing
 * it meanwhile such a window would be refused at every try, for ever. */
struct keeper {
    struct monitor_scheduler *s;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    int64_t renewed_ms; /* the last renewal's time (ftime_now_ms), 0: none */
};

static void *keep(void *arg)
{
    struct keeper *k = arg;
    struct monitor_scheduler *s = k->s;
    int64_t every = s->o.lease_ms / 3 > 0 ? s->o.lease_ms / 3 : 1;
    pthread_mutex_lock(&k->mu);
    while (!k->done) {
        struct timespec ts;
        ftime_deadline_after_ms(every, &ts);
        if (pthread_cond_timedwait(&k->cv, &k->mu, &ts) != ETIMEDOUT || k->done)
            continue;
        pthread_mutex_unlock(&k->mu);
        struct lease l;
        struct ferr err = FERR_INIT;
        memset(&l, 0, sizeof(l));
        int64_t now = ftime_now_ms();
        int rc = store_lease_renew(s->o.store, MONITOR_LEASE_NAME, s->holder, s->epoch,
                                   s->o.lease_ms, &l, &err);
        lease_release(&l);
        pthread_mutex_lock(&k->mu);
        if (rc) { /* lost: the window's writes will be refused, and say so */
            log_warn("monitors: could not keep the lease during a window: %s", err.msg);
            break;
        }
        k->renewed_ms = now;
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

/* Runs m's due window when it has not reached it yet. */
static void run_due(struct monitor_scheduler *s, const struct monitor *m, int64_t now)
{
    int64_t end = monitor_due_end(m->spec.every_ms, now, s->o.grace_ms);
    if (!end || m->last_window_end_ms >= end)
        return;
    struct monitor_report r;
    struct ferr err = FERR_INIT;
    int inserted = 0;
    struct keeper k = {s, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    pthread_t kt;
    int keeping = pthread_create(&kt, NULL, keep, &k) == 0;
    if (!keeping)
        log_warn("monitors: cannot start the lease keeper; a window longer than the lease "
                 "will be refused");
    int rc = monitor_run_window(&s->env, m, end, &r, &inserted, &err);
    if (keeping) {
        pthread_mutex_lock(&k.mu);
        k.done = 1;
        pthread_cond_signal(&k.cv);
        pthread_mutex_unlock(&k.mu);
        pthread_join(kt, NULL);
        if (k.renewed_ms > s->renewed_ms)
            s->renewed_ms = k.renewed_ms;
    }
    pthread_cond_destroy(&k.cv);
    pthread_mutex_destroy(&k.mu);
    if (rc) {
        log_warn("monitor '%s': window ending %lld: %s", m->name, (long long)end, err.msg);
        return;
    }
    if (inserted)
        log_info("monitor '%s': window ending %lld: %s, %lld rows%s%s", m->name, (long long)end,
                 monitor_status_name(r.status), (long long)r.n_rows,
                 r.dataset_drift == 1 ? ", dataset drift" : "", r.error && *r.error ? r.error : "");
    monitor_report_release(&r);
}

static void tick(struct monitor_scheduler *s)
{
    int64_t now = ftime_now_ms();
    if (!hold(s, now))
        return;
    struct lease_fence f = {MONITOR_LEASE_NAME, s->holder, s->epoch};
    struct ferr err = FERR_INIT;
    struct monitor_list l;
    memset(&l, 0, sizeof(l));
    if (store_fence_set(&f, &err)) {
        log_warn("monitors: %s", err.msg);
        return;
    }
    if (store_monitor_list(s->o.store, NULL, &l, &err)) {
        log_warn("monitors: cannot list the monitors: %s", err.msg);
    } else {
        for (size_t i = 0; i < l.n; i++) {
            pthread_mutex_lock(&s->mu);
            int stop = s->stop;
            pthread_mutex_unlock(&s->mu);
            if (stop || !hold(s, ftime_now_ms()))
                break;
            f.epoch = s->epoch; /* the fence names the epoch held now */
            store_fence_clear();
            if (store_fence_set(&f, &err))
                break;
            run_due(s, &l.v[i], ftime_now_ms());
        }
    }
    store_fence_clear();
    monitor_list_release(&l);
}

static void *loop(void *arg)
{
    struct monitor_scheduler *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        pthread_mutex_unlock(&s->mu);
        tick(s);
        pthread_mutex_lock(&s->mu);
        if (s->stop)
            break;
        struct timespec ts;
        ftime_deadline_after_ms(s->o.tick_ms, &ts);
        while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int monitor_scheduler_start(const struct monitor_scheduler_opts *o, struct monitor_scheduler **out,
                            struct ferr *err)
{
    struct monitor_scheduler *s = xcalloc(1, sizeof(*s));
    char id[RUN_ID_LEN + 1];
    s->o = *o;
    if (s->o.tick_ms <= 0)
        s->o.tick_ms = 1000;
    if (s->o.lease_ms <= 0)
        s->o.lease_ms = 15000;
    if (s->o.grace_ms <= 0)
        s->o.grace_ms = 1500;
    s->env = (struct monitor_env){o->store, o->artifacts, o->roots};
    ids_new_run_id(id);
    snprintf(s->holder, sizeof(s->holder), "server-%ld-%.12s", (long)getpid(), id);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    int rc = pthread_create(&s->thread, NULL, loop, s);
    if (rc) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        free(s);
        *out = NULL;
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot start the monitors' thread: %s",
                        strerror(rc));
    }
    *out = s;
    return 0;
}

void monitor_scheduler_stop(struct monitor_scheduler *s)
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
        if (store_lease_release(s->o.store, MONITOR_LEASE_NAME, s->holder, s->epoch, &err))
            log_warn("monitors: could not give the lease up: %s", err.msg);
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
