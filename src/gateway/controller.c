/* SPDX-License-Identifier: MIT */
#include "gateway/controller.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "client/client_deployments.h"
#include "client/client_predictions.h"
#include "domain/latency_hist.h"
#include "domain/rollout_check.h"
#include "client/client_leases.h"
#include "store/deployment_figures.h"
#include "store/leases.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* The lease lasts three ticks: a gateway that stops renewing is replaced
 * within 3 s, and a tick that runs late does not lose it. */
#define LEASE_TTL_MS 3000
/* The quality term reads the step's logged rows: at most this often while
 * it is pending (labels arrive late; reading every tick would rescan them). */
#define QUALITY_POLL_MS 5000

struct held {
    char *name;
    int64_t epoch;         /* 0: not held */
    int failures;          /* consecutive breached checks */
    int64_t judged_change; /* the change the failures were counted on */
    int64_t failed_ms;     /* when the last failure was counted */
    int64_t renewed_ms;    /* when the lease was last taken or renewed */
    int64_t last_srm_log_ms;
    int64_t quality_read_ms; /* when the step's quality was last read */
    int64_t quality_change;  /* ... for which change */
    struct held *next;
};

struct controller {
    struct controller_env env;
    pthread_mutex_t mu; /* counts (ticks run on one thread) */
    struct held *held;
    struct controller_counts counts;
};

struct controller *controller_new(const struct controller_env *env)
{
    struct controller *c = xcalloc(1, sizeof(*c));
    c->env = *env;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

static void lease_name(const char *deployment, char *out, size_t size)
{
    snprintf(out, size, "deployment/%s", deployment);
}

static void give_up(struct controller *c, struct held *h)
{
    char name[300];
    struct ferr err = FERR_INIT;
    if (!h->epoch)
        return;
    lease_name(h->name, name, sizeof(name));
    if (client_lease_release(c->env.client, name, c->env.holder, h->epoch, &err))
        log_warn("cannot release lease '%s': %s", name, err.msg);
    h->epoch = 0;
}

void controller_free(struct controller *c)
{
    if (!c)
        return;
    while (c->held) {
        struct held *h = c->held;
        c->held = h->next;
        give_up(c, h);
        free(h->name);
        free(h);
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void controller_keep_only(struct controller *c, const char *const *names, size_t n)
{
    struct held **pp = &c->held;
    while (*pp) {
        struct held *h = *pp;
        size_t i;
        for (i = 0; i < n; i++)
            if (!strcmp(names[i], h->name))
                break;
        if (i < n) {
            pp = &h->next;
            continue;
        }
        *pp = h->next;
        give_up(c, h);
        free(h->name);
        free(h);
    }
}

static struct held *held_for(struct controller *c, const char *name)
{
    for (struct held *h = c->held; h; h = h->next)
        if (!strcmp(h->name, name))
            return h;
    struct held *h = xcalloc(1, sizeof(*h));
    h->name = xstrdup(name);
    h->judged_change = -1;
    h->next = c->held;
    c->held = h;
    return h;
}

/* Takes or renews the lease: 1 when this gateway decides for d now. */
static int hold(struct controller *c, struct held *h, int64_t now)
{
    if (h->epoch && now - h->renewed_ms < 1000)
        return 1; /* renewed within the last second: 2 s of the lease left */
    char name[300];
    struct lease l;
    struct ferr err = FERR_INIT;
    memset(&l, 0, sizeof(l));
    lease_name(h->name, name, sizeof(name));
    int rc = h->epoch
                 ? client_lease_renew(c->env.client, name, c->env.holder, h->epoch, LEASE_TTL_MS,
                                      &l, &err)
                 : client_lease_acquire(c->env.client, name, c->env.holder, LEASE_TTL_MS, &l, &err);
    if (rc) {
        if (h->epoch) {
            log_warn("lost the lease on deployment '%s': %s", h->name, err.msg);
            h->epoch = 0;
            if (!client_lease_acquire(c->env.client, name, c->env.holder, LEASE_TTL_MS, &l, &err))
                h->epoch = l.epoch;
        }
        lease_release(&l);
        return h->epoch != 0;
    }
    if (!h->epoch)
        log_info("deciding deployment '%s' (lease epoch %lld)", h->name, (long long)l.epoch);
    h->epoch = l.epoch;
    h->renewed_ms = now;
    lease_release(&l);
    return 1;
}

static void add_figures(struct rollout_figures *f, const struct target_figures *t)
{
    f->requests += t->requests;
    f->errors += t->errors;
    f->client_errors += t->client_errors;
    latency_hist_merge(&f->hist, &t->hist);
}

/* Adds up d's answering targets over [since, until): the candidate's
 * into c, the others' into stable. -1 when the rows are unreadable. */
static int sum_figures(const struct deployment *d, const struct deploy_stats_list *rows,
                       int64_t since, int64_t until, int cand, struct rollout_figures *c,
                       struct rollout_figures *stable)
{
    struct target_figures_list l;
    struct ferr err = FERR_INIT;
    memset(c, 0, sizeof(*c));
    memset(stable, 0, sizeof(*stable));
    if (deployment_figures(d, rows, since, until, &l, &err)) {
        log_warn("deployment '%s': %s", d->name, err.msg);
        return -1;
    }
    for (size_t i = 0; i < l.n; i++)
        if (!l.v[i].shadow)
            add_figures((int)i == cand ? c : stable, &l.v[i]);
    target_figures_list_release(&l);
    return 0;
}

static void count(struct controller *c, unsigned long long *field)
{
    pthread_mutex_lock(&c->mu);
    (*field)++;
    pthread_mutex_unlock(&c->mu);
}

static void act(struct controller *c, const struct deployment *d, enum deploy_action a,
                const char *reason)
{
    struct deployment out;
    struct ferr err = FERR_INIT, aerr = FERR_INIT;
    if (client_deployment_act(c->env.client, d->name, a, d->change, reason, &out, &aerr, &err)) {
        log_warn("deployment '%s': %s refused: %s", d->name, deploy_action_name(a), err.msg);
        return;
    }
    if (a == DEPLOY_ACT_ROLLBACK) {
        count(c, &c->counts.rollbacks);
        log_warn("deployment '%s' rolled back: %s", d->name, reason);
    } else {
        count(c, &c->counts.steps);
        log_info("deployment '%s': step to %s (weights %d%% at the candidate)", d->name,
                 deploy_phase_name(out.status.phase),
                 out.spec.ntargets ? out.status.weights[out.spec.ntargets - 1] : 0);
    }
    if (aerr.code != FERR_OK)
        log_warn("deployment '%s': the alias was not moved: %s", d->name, aerr.msg);
    if (c->env.install)
        c->env.install(c->env.arg, &out);
    deployment_release(&out);
}

/* The quality term's counts over the step: the candidate's labeled rows
 * and correct ones, and the other answering targets' merged, from the
 * prediction log (exactly, no bootstrap); *not_classifiers counts targets
 * with labels whose task is not classification. -1 when the log is
 * unreadable. */
static int step_quality(struct controller *c, const struct deployment *d, int cand, int64_t from,
                        int64_t now, struct rollout_quality *q, int *not_classifiers)
{
    struct perf_query pq = {d->name, from, now + 1, 0, NULL, 1, -1, 0};
    json_t *ans = NULL, *t;
    struct ferr err = FERR_INIT;
    char key[300];
    size_t i;
    memset(q, 0, sizeof(*q));
    if (client_deployment_performance(c->env.client, &pq, &ans, &err)) {
        log_warn("deployment '%s': cannot read the step's quality: %s", d->name, err.msg);
        return -1;
    }
    const struct deploy_target *ct = &d->spec.targets[cand];
    snprintf(key, sizeof(key), "%s/%lld", ct->name ? ct->name : "", (long long)ct->version);
    json_array_foreach(json_object_get(ans, "targets"), i, t)
    {
        const char *model = json_string_value(json_object_get(t, "model"));
        const char *task = json_string_value(json_object_get(t, "task"));
        if (!model || json_is_true(json_object_get(t, "shadow")))
            continue;
        if (!task || strcmp(task, "classification")) {
            if (json_integer_value(json_object_get(t, "labeled")))
                (*not_classifiers)++;
            continue;
        }
        /* the labeled rows of answered requests: a failed request has no
         * prediction to be right or wrong (the error-rate guard has it) */
        uint64_t labeled = (uint64_t)json_integer_value(json_object_get(t, "scored"));
        uint64_t correct = (uint64_t)json_integer_value(json_object_get(t, "correct"));
        int is_cand = !strcmp(model, key), listed = 0;
        for (size_t k = 0; k < d->spec.ntargets && !is_cand; k++) {
            char other[300];
            snprintf(other, sizeof(other), "%s/%lld",
                     d->spec.targets[k].name ? d->spec.targets[k].name : "",
                     (long long)d->spec.targets[k].version);
            listed |= !strcmp(model, other);
        }
        if (is_cand) {
            q->cand_labeled += labeled;
            q->cand_correct += correct;
        } else if (listed) {
            q->stable_labeled += labeled;
            q->stable_correct += correct;
        }
    }
    json_decref(ans);
    return 0;
}

/* The step would advance: with a quality term, only once the step's
 * labels show the candidate not worse (else roll back); while too few are
 * in, the step holds. */
static void advance(struct controller *c, struct held *h, const struct deployment *d, int cand,
                    int64_t now)
{
    struct rollout_quality q;
    char why[512];
    if (!d->spec.rollout.guards.has_accuracy_delta) {
        act(c, d, DEPLOY_ACT_STEP, "");
        return;
    }
    if (h->quality_change == d->change && now - h->quality_read_ms < QUALITY_POLL_MS)
        return;
    h->quality_change = d->change;
    h->quality_read_ms = now;
    int not_classifiers = 0;
    if (step_quality(c, d, cand, d->status.step_started_ms, now, &q, &not_classifiers))
        return;
    if (not_classifiers && !q.cand_labeled && now - h->last_srm_log_ms > 10000) {
        log_warn("deployment '%s': min_accuracy_delta needs a classifier, and the log's labeled "
                 "rows are not a classifier's (set task: classification in the spec): the step "
                 "holds",
                 d->name);
        h->last_srm_log_ms = now;
    }
    switch (rollout_quality_check(&d->spec, &q, why, sizeof(why))) {
    case ROLLOUT_QUALITY_PENDING:
        if (now - h->last_srm_log_ms > 10000) {
            log_info("deployment '%s': %s", d->name, why);
            h->last_srm_log_ms = now;
        }
        break;
    case ROLLOUT_QUALITY_FAIL:
        count(c, &c->counts.breaches);
        act(c, d, DEPLOY_ACT_ROLLBACK, why);
        break;
    case ROLLOUT_QUALITY_PASS:
        log_info("deployment '%s': %s", d->name, why);
        act(c, d, DEPLOY_ACT_STEP, "");
        break;
    case ROLLOUT_QUALITY_OFF:
        act(c, d, DEPLOY_ACT_STEP, "");
        break;
    }
}

static void decide(struct controller *c, struct held *h, const struct deployment *d, int64_t now)
{
    const struct deploy_rollout *r = &d->spec.rollout;
    const struct deploy_guards *g = &r->guards;
    int cand = deployment_candidate(&d->spec);
    struct deploy_stats_list rows;
    struct ferr err = FERR_INIT;
    char why[512];
    if (cand < 0)
        return;
    /* window: the guards' view (never before the step began); step: since
     * the step began, which only matters once its interval is over, so
     * the rows of a long step are read only then, not every 250 ms */
    int64_t step_from = d->status.step_started_ms, until = now + 1000;
    int64_t window_from = now - g->window_ms;
    window_from -= window_from % 1000; /* whole seconds, as reported */
    /* figures are per whole second: the step's first second counts whole
     * (a second's figures before the step began count with it, rather
     * than a step whose traffic fits in its first second counting none) */
    if (window_from < step_from - step_from % 1000)
        window_from = step_from - step_from % 1000;
    int step_over = now - step_from >= r->interval_ms;
    if (client_deploy_stats_read(c->env.client, d->name, d->revision,
                                 step_over ? step_from - step_from % 1000 : window_from, &rows,
                                 &err)) {
        log_warn("deployment '%s': cannot read the figures: %s", d->name, err.msg);
        return;
    }
    struct rollout_figures wc, ws, step, unused;
    memset(&step, 0, sizeof(step));
    int bad = sum_figures(d, &rows, window_from, until, cand, &wc, &ws) ||
              (step_over &&
               sum_figures(d, &rows, step_from - step_from % 1000, until, cand, &step, &unused));
    deploy_stats_list_release(&rows);
    if (bad)
        return;
    if (d->change != h->judged_change) {
        h->failures = 0;
        h->judged_change = d->change;
    }
    switch (rollout_check(&d->spec, &d->status, &wc, &ws, &step, now, why, sizeof(why))) {
    case ROLLOUT_WAIT: /* too little to judge: a count of failures stands */
        break;
    case ROLLOUT_HOLD:
        h->failures = 0;
        break;
    case ROLLOUT_SKEWED:
        count(c, &c->counts.srm_flags);
        if (now - h->last_srm_log_ms > 10000) {
            log_warn("deployment '%s': %s", d->name, why);
            h->last_srm_log_ms = now;
        }
        break;
    case ROLLOUT_BREACH:
        /* checks run every 250 ms, failures count once a second: failure_limit
         * consecutive breaches span failure_limit - 1 seconds at least */
        if (h->failures && now - h->failed_ms < 1000)
            break;
        count(c, &c->counts.breaches);
        h->failed_ms = now;
        if (++h->failures >= r->failure_limit) {
            act(c, d, DEPLOY_ACT_ROLLBACK, why);
            h->failures = 0;
        }
        break;
    case ROLLOUT_ADVANCE:
        h->failures = 0;
        advance(c, h, d, cand, now);
        break;
    }
}

void controller_tick(struct controller *c, const struct deployment *d, int64_t now_ms)
{
    struct held *h = held_for(c, d->name);
    if (!hold(c, h, now_ms))
        return;
    char name[300];
    struct ferr err = FERR_INIT;
    lease_name(d->name, name, sizeof(name));
    struct lease_fence f = {name, c->env.holder, h->epoch};
    if (store_fence_set(&f, &err)) {
        log_warn("deployment '%s': %s", d->name, err.msg);
        return;
    }
    decide(c, h, d, now_ms);
    store_fence_clear();
}

void controller_counts(const struct controller *c, struct controller_counts *out)
{
    pthread_mutex_lock(&((struct controller *)c)->mu);
    *out = c->counts;
    pthread_mutex_unlock(&((struct controller *)c)->mu);
}
