/* SPDX-License-Identifier: MIT
 * The monitors area's front: the rules of every change, decided once for
 * both backends (store/monitors.h), and the records' helpers. */
#include "store/monitors.h"
#include "store/backend.h"
#include "store/deployments.h"
#include "base/ftime.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define AREA "monitors"

static char *dup_or_empty(const char *s)
{
    return xstrdup(s ? s : "");
}

/* ---------- monitors ---------- */

static int no_such(struct ferr *err, const char *name)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No monitor named '%.130s'", name);
}

/* The alert writes a change decided, kept by its arg. */
struct alert_writes {
    struct monitor_alert *alerts;
    struct alert_write *w;
    enum alert_change_kind *kinds;
    size_t n, alloc;
};

static void alert_writes_reset(struct alert_writes *aw)
{
    for (size_t i = 0; i < aw->n; i++)
        monitor_alert_release(&aw->alerts[i]);
    aw->n = 0;
}

static void alert_writes_release(struct alert_writes *aw)
{
    alert_writes_reset(aw);
    free(aw->alerts);
    free(aw->w);
    free(aw->kinds);
    memset(aw, 0, sizeof(*aw));
}

/* Room for n writes (pointers into alerts must stay put: sized once). */
static void alert_writes_reserve(struct alert_writes *aw, size_t n)
{
    if (n <= aw->alloc)
        return;
    aw->alerts = xrealloc(aw->alerts, n * sizeof(*aw->alerts));
    aw->w = xrealloc(aw->w, n * sizeof(*aw->w));
    aw->kinds = xrealloc(aw->kinds, n * sizeof(*aw->kinds));
    aw->alloc = n;
}

static struct monitor_alert *alert_writes_add(struct alert_writes *aw,
                                              const struct monitor_alert *from,
                                              enum alert_change_kind kind, const char *event_kind,
                                              int deliver)
{
    struct monitor_alert *a = &aw->alerts[aw->n];
    monitor_alert_copy(from, a);
    aw->w[aw->n].a = a;
    aw->w[aw->n].event_kind = event_kind;
    aw->w[aw->n].deliver = deliver;
    aw->kinds[aw->n] = kind;
    aw->n++;
    return a;
}

static void writes_into(struct alert_writes *aw, struct monitor_write *w)
{
    w->alerts = aw->w;
    w->nalerts = aw->n;
}

struct apply_arg {
    struct monitor_spec *spec;
    int64_t expect_revision;
    const char *user;
    struct monitor row;
    int changed;
    struct monitor *out;
};

static int decide_apply(void *arg, const struct monitor *cur,
                        const struct monitor_alert_list *active, struct monitor_write *w,
                        struct ferr *err)
{
    (void)active;
    struct apply_arg *a = arg;
    int64_t now = ftime_now_ms();
    monitor_release(&a->row);
    if (a->out)
        monitor_release(a->out);
    if (a->expect_revision == 0 && cur)
        return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                        "monitor '%.130s' is already at revision %lld: apply without a revision "
                        "(or with that one) to change it",
                        cur->name, (long long)cur->revision);
    if (a->expect_revision > 0 && (!cur || cur->revision != a->expect_revision)) {
        if (!cur)
            return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                            "monitor '%.130s' does not exist (revision %lld was expected)",
                            a->spec->name, (long long)a->expect_revision);
        return ferr_set(err, FERR_INVALID_STATE,
                        "monitor '%.130s' is at revision %lld, not %lld: someone applied "
                        "meanwhile; get it again and re-apply your change on top",
                        cur->name, (long long)cur->revision, (long long)a->expect_revision);
    }
    if (cur && monitor_spec_equal(&cur->spec, a->spec)) {
        a->changed = 0;
        if (a->out)
            monitor_copy(cur, a->out);
        return 1;
    }
    struct monitor *r = &a->row;
    if (cur) {
        monitor_copy(cur, r); /* the state stays */
        monitor_spec_release(&r->spec);
        free(r->applied_by);
    } else {
        r->name = xstrdup(a->spec->name);
        r->created_ms = now;
        r->created_by = dup_or_empty(a->user);
        r->last_status = xstrdup("");
        r->last_error = xstrdup("");
        r->run_id = xstrdup("");
    }
    monitor_spec_copy(a->spec, &r->spec);
    r->revision = cur ? cur->revision + 1 : 1;
    r->updated_ms = now;
    r->applied_by = dup_or_empty(a->user);
    a->changed = 1;
    w->row = r;
    return 0;
}

int store_monitor_apply(struct store *s, json_t *spec_doc, int64_t expect_revision,
                        const char *user, struct monitor *out, int *changed, struct ferr *err)
{
    struct monitor_spec spec;
    struct deployment d;
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    if (out)
        memset(out, 0, sizeof(*out));
    if (changed)
        *changed = 0;
    if (expect_revision < -1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "revision must be 0 or more");
    if (monitor_spec_parse(spec_doc, &spec, err))
        return -1;
    if (store_deployment_get(s, spec.deployment, &d, err)) {
        if (err && err->code == FERR_RESOURCE_DOES_NOT_EXIST)
            ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                     "monitor '%.130s': no deployment named '%.100s'", spec.name, spec.deployment);
        monitor_spec_release(&spec);
        return -1;
    }
    deployment_release(&d);
    struct apply_arg a;
    memset(&a, 0, sizeof(a));
    a.spec = &spec;
    a.expect_revision = expect_revision;
    a.user = user;
    a.out = out;
    int rc = s->monitors->change(s, spec.name, decide_apply, &a, err);
    if (rc == 0 && a.changed && out)
        monitor_copy(&a.row, out);
    if (rc && out)
        monitor_release(out);
    if (changed)
        *changed = rc == 0 && a.changed;
    monitor_release(&a.row);
    monitor_spec_release(&spec);
    return rc;
}

int store_monitor_get(struct store *s, const char *name, struct monitor *out, struct ferr *err)
{
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    memset(out, 0, sizeof(*out));
    if (monitor_name_check(name, err))
        return -1;
    return s->monitors->get(s, name, out, err);
}

int store_monitor_list(struct store *s, const char *deployment, struct monitor_list *out,
                       struct ferr *err)
{
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    memset(out, 0, sizeof(*out));
    if (deployment && deployment_name_check(deployment, err))
        return -1;
    return s->monitors->list(s, deployment, out, err);
}

/* An active alert resolved now by who. */
static void resolve(struct monitor_alert *a, const char *who, int64_t now)
{
    a->state = ALERT_RESOLVED;
    a->resolved_ms = now;
    free(a->resolved_by);
    a->resolved_by = dup_or_empty(who);
    a->updated_ms = now;
}

struct delete_arg {
    const char *name, *user;
    struct alert_writes aw;
};

static int decide_delete(void *arg, const struct monitor *cur,
                         const struct monitor_alert_list *active, struct monitor_write *w,
                         struct ferr *err)
{
    struct delete_arg *a = arg;
    int64_t now = ftime_now_ms();
    alert_writes_reset(&a->aw);
    if (!cur)
        return no_such(err, a->name);
    alert_writes_reserve(&a->aw, active->n);
    for (size_t i = 0; i < active->n; i++)
        resolve(alert_writes_add(&a->aw, &active->v[i], ALERT_CHANGE_RESOLVED, "alert.resolved",
                                 DELIVER_NONE),
                "deleted", now);
    writes_into(&a->aw, w);
    w->delete_row = 1;
    w->user = a->user ? a->user : "";
    w->now_ms = now;
    return 0;
}

int store_monitor_delete(struct store *s, const char *name, const char *user, struct ferr *err)
{
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    if (monitor_name_check(name, err))
        return -1;
    struct delete_arg a;
    memset(&a, 0, sizeof(a));
    a.name = name;
    a.user = user;
    int rc = s->monitors->change(s, name, decide_delete, &a, err);
    alert_writes_release(&a.aw);
    return rc;
}

struct state_arg {
    const char *name;
    const struct monitor_state *st;
    struct monitor row;
};

static void replace(char **field, const char *v)
{
    if (!v)
        return;
    free(*field);
    *field = xstrdup(v);
}

static int decide_state(void *arg, const struct monitor *cur,
                        const struct monitor_alert_list *active, struct monitor_write *w,
                        struct ferr *err)
{
    (void)active;
    struct state_arg *a = arg;
    monitor_release(&a->row);
    if (!cur)
        return no_such(err, a->name);
    monitor_copy(cur, &a->row);
    struct monitor *r = &a->row;
    const struct monitor_state *st = a->st;
    if (st->last_window_start_ms >= 0)
        r->last_window_start_ms = st->last_window_start_ms;
    if (st->last_window_end_ms >= 0)
        r->last_window_end_ms = st->last_window_end_ms;
    if (st->last_run_ms >= 0)
        r->last_run_ms = st->last_run_ms;
    replace(&r->last_status, st->last_status);
    replace(&r->last_error, st->last_error);
    replace(&r->run_id, st->run_id);
    w->row = r;
    return 0;
}

int store_monitor_state_put(struct store *s, const char *name, const struct monitor_state *st,
                            struct ferr *err)
{
    enum monitor_status ms;
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    if (monitor_name_check(name, err))
        return -1;
    if (st->last_status && *st->last_status && monitor_status_parse(st->last_status, &ms))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a monitor's status is ok, insufficient or failed, not '%.40s'",
                        st->last_status);
    if ((st->last_error && strlen(st->last_error) > 8000) ||
        (st->run_id && strlen(st->run_id) > 64))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a monitor's last error is at most 8000 bytes, its run id 64");
    struct state_arg a;
    memset(&a, 0, sizeof(a));
    a.name = name;
    a.st = st;
    int rc = s->monitors->change(s, name, decide_state, &a, err);
    monitor_release(&a.row);
    return rc;
}

/* ---------- reports ---------- */

struct report_arg {
    const struct monitor_report_new *r;
    struct monitor row;
    struct alert_writes aw;
};

static const struct monitor_alert *active_for(const struct monitor_alert_list *active,
                                              const char *condition)
{
    for (size_t i = 0; i < active->n; i++)
        if (!strcmp(active->v[i].condition, condition))
            return &active->v[i];
    return NULL;
}

static char *details_text(json_t *details)
{
    return details ? fjson_dumps(details, JSON_COMPACT) : xstrdup("{}");
}

static int decide_report(void *arg, const struct monitor *cur,
                         const struct monitor_alert_list *active, struct monitor_write *w,
                         struct ferr *err)
{
    struct report_arg *a = arg;
    const struct monitor_report_new *r = a->r;
    int64_t now = ftime_now_ms();
    monitor_release(&a->row);
    alert_writes_reset(&a->aw);
    if (!cur)
        return no_such(err, r->monitor);
    monitor_copy(cur, &a->row);
    struct monitor *row = &a->row;
    if (r->window_end_ms >= cur->last_window_end_ms) { /* the state only moves forward */
        row->last_window_start_ms = r->window_start_ms;
        row->last_window_end_ms = r->window_end_ms;
    }
    row->last_run_ms = now;
    replace(&row->last_status, monitor_status_name(r->status));
    replace(&row->last_error, r->error ? r->error : "");
    alert_writes_reserve(&a->aw, r->nchecks);
    for (size_t i = 0; i < r->nchecks; i++) {
        const struct monitor_check *c = &r->checks[i];
        const struct monitor_alert *open = active_for(active, c->condition);
        /* a window older than the alert's last one does not change it */
        if (open && r->window_start_ms < open->last_window_start_ms)
            continue;
        if (c->breached && open) {
            struct monitor_alert *u =
                alert_writes_add(&a->aw, open, ALERT_CHANGE_UPDATED, NULL, DELIVER_NONE);
            u->last_window_start_ms = r->window_start_ms;
            u->breach_count++;
            u->severity = c->severity;
            replace(&u->message, c->message ? c->message : "");
            free(u->details);
            u->details = details_text(c->details);
            u->updated_ms = now;
        } else if (c->breached) {
            struct monitor_alert n;
            memset(&n, 0, sizeof(n));
            n.monitor = cur->name;
            n.deployment = cur->spec.deployment;
            n.condition = (char *)c->condition;
            n.state = ALERT_OPEN;
            n.severity = c->severity;
            n.message = (char *)(c->message ? c->message : "");
            n.opened_ms = n.updated_ms = now;
            n.opened_window_start_ms = n.last_window_start_ms = r->window_start_ms;
            n.breach_count = 1;
            struct monitor_alert *o =
                alert_writes_add(&a->aw, &n, ALERT_CHANGE_OPENED, "alert.opened", DELIVERY_OPENED);
            free(o->details);
            o->details = details_text(c->details);
        } else if (open) {
            resolve(alert_writes_add(&a->aw, open, ALERT_CHANGE_RESOLVED, "alert.resolved",
                                     DELIVERY_RESOLVED),
                    "monitor", now);
        }
    }
    writes_into(&a->aw, w);
    w->row = row;
    w->sinks = &cur->spec;
    w->user = cur->applied_by ? cur->applied_by : "";
    w->now_ms = now;
    return 0;
}

static int check_report(const struct monitor_report_new *r, struct ferr *err)
{
    if (monitor_name_check(r->monitor, err))
        return -1;
    if (r->window_start_ms < 0 || r->window_end_ms < r->window_start_ms)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a report's window must start at 0 or later and end at or after its "
                        "start (%lld .. %lld)",
                        (long long)r->window_start_ms, (long long)r->window_end_ms);
    if ((unsigned)r->status > MON_STATUS_FAILED || r->n_rows < 0 || r->dataset_drift < -1 ||
        r->dataset_drift > 1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a report needs a status, a row count of 0 or more and dataset_drift "
                        "1, 0 or -1");
    if (r->error && strlen(r->error) > 8000)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a report's error is at most 8000 bytes");
    if (r->nchecks > 10000)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a report judges at most 10000 conditions");
    for (size_t i = 0; i < r->nchecks; i++) {
        const struct monitor_check *c = &r->checks[i];
        if (alert_condition_check(c->condition, err))
            return -1;
        if ((unsigned)c->severity > ALERT_CRITICAL)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "condition '%.100s': no such severity", c->condition);
        if (c->message && strlen(c->message) > 4000)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "condition '%.100s': a message is at most 4000 bytes", c->condition);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(r->checks[j].condition, c->condition))
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "condition '%.100s' is judged twice in one report", c->condition);
    }
    return 0;
}

int store_monitor_report_put(struct store *s, const struct monitor_report_new *r, int *inserted,
                             struct alert_change_list *changes, struct ferr *err)
{
    int ins = 0;
    if (inserted)
        *inserted = 0;
    if (changes)
        memset(changes, 0, sizeof(*changes));
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    if (check_report(r, err))
        return -1;
    char *figures = r->figures ? fjson_dumps(r->figures, JSON_COMPACT) : xstrdup("{}");
    char *report = r->report ? fjson_dumps(r->report, JSON_COMPACT) : xstrdup("{}");
    struct monitor_report_row row = {
        r->monitor,
        r->window_start_ms,
        r->window_end_ms,
        monitor_status_name(r->status),
        r->n_rows,
        r->dataset_drift,
        r->share_of_drifted_columns,
        figures,
        report,
        r->error ? r->error : "",
        ftime_now_ms(),
    };
    struct report_arg a;
    memset(&a, 0, sizeof(a));
    a.r = r;
    int rc = s->monitors->report_put(s, &row, decide_report, &a, &ins, err);
    if (rc == 0 && ins && changes && a.aw.n) {
        changes->v = xcalloc(a.aw.n, sizeof(*changes->v));
        changes->alloc = a.aw.n;
        for (size_t i = 0; i < a.aw.n; i++) {
            changes->v[changes->n].kind = a.aw.kinds[i];
            monitor_alert_copy(&a.aw.alerts[i], &changes->v[changes->n++].alert);
        }
    }
    if (inserted)
        *inserted = rc == 0 && ins;
    monitor_release(&a.row);
    alert_writes_release(&a.aw);
    free(figures);
    free(report);
    return rc;
}

/* Page tokens: the last row's key (a window's start, an alert's id) in decimal. */
static int token_decode(const char *token, int64_t *out, struct ferr *err)
{
    if (fjson_parse_int64(token, out) || *out < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "Invalid page token '%.40s'", token);
    return 0;
}

static char *token_encode(int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    return xstrdup(buf);
}

static int page_max(int64_t *max, struct ferr *err)
{
    if (*max == 0)
        *max = 100;
    if (*max < 1 || *max > 1000)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "max_results must be between 1 and 1000, not %lld", (long long)*max);
    return 0;
}

int store_monitor_reports(struct store *s, const char *monitor, int64_t max, int64_t before_ms,
                          const char *page_token, int with_report, struct monitor_report_list *out,
                          char **next_page_token, struct ferr *err)
{
    int64_t before = INT64_MAX, tok;
    struct monitor m;
    memset(out, 0, sizeof(*out));
    if (next_page_token)
        *next_page_token = NULL;
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    if (monitor_name_check(monitor, err) || page_max(&max, err))
        return -1;
    if (before_ms > 0)
        before = before_ms;
    if (page_token && *page_token) {
        if (token_decode(page_token, &tok, err))
            return -1;
        if (tok < before)
            before = tok;
    }
    if (s->monitors->get(s, monitor, &m, err))
        return -1;
    monitor_release(&m);
    if (s->monitors->reports(s, monitor, before, max + 1, with_report, out, err))
        return -1;
    if (out->n > (size_t)max) {
        monitor_report_release(&out->v[--out->n]);
        if (next_page_token)
            *next_page_token = token_encode(out->v[out->n - 1].window_start_ms);
    }
    return 0;
}

int store_monitor_report_get(struct store *s, const char *monitor, int64_t window_start_ms,
                             struct monitor_report *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    if (monitor_name_check(monitor, err))
        return -1;
    return s->monitors->report_get(s, monitor, window_start_ms, out, err);
}

/* ---------- alerts ---------- */

int store_alerts_list(struct store *s, const struct alert_query *q, struct monitor_alert_list *out,
                      char **next_page_token, struct ferr *err)
{
    int64_t before = INT64_MAX, max = q->max;
    memset(out, 0, sizeof(*out));
    if (next_page_token)
        *next_page_token = NULL;
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    if ((q->monitor && monitor_name_check(q->monitor, err)) ||
        (q->deployment && deployment_name_check(q->deployment, err)) || page_max(&max, err))
        return -1;
    if (q->states & ~ALERT_F_ACTIVE & ~ALERT_F_RESOLVED)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "unknown alert state filter %d",
                        q->states);
    if (q->page_token && *q->page_token && token_decode(q->page_token, &before, err))
        return -1;
    if (s->monitors->alerts(s, q, before, max + 1, out, err))
        return -1;
    if (out->n > (size_t)max) {
        monitor_alert_release(&out->v[--out->n]);
        if (next_page_token)
            *next_page_token = token_encode(out->v[out->n - 1].id);
    }
    return 0;
}

static int bad_id(int64_t id, struct ferr *err)
{
    if (id < 1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "Invalid alert id %lld", (long long)id);
    return 0;
}

int store_alert_get(struct store *s, int64_t id, struct monitor_alert *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    if (bad_id(id, err))
        return -1;
    return s->monitors->alert_get(s, id, out, err);
}

struct alert_act_arg {
    int resolve;
    const char *user;
    struct alert_writes aw;
};

static int decide_alert(void *arg, const struct monitor_alert *cur, const struct monitor *mon,
                        struct monitor_write *w, struct ferr *err)
{
    struct alert_act_arg *a = arg;
    int64_t now = ftime_now_ms();
    alert_writes_reset(&a->aw);
    if (a->resolve ? cur->state == ALERT_RESOLVED : cur->state != ALERT_OPEN)
        return ferr_set(err, FERR_INVALID_STATE, "alert %lld cannot be %s: it is %s",
                        (long long)cur->id, a->resolve ? "resolved" : "acknowledged",
                        alert_state_name(cur->state));
    alert_writes_reserve(&a->aw, 1);
    struct monitor_alert *u =
        alert_writes_add(&a->aw, cur, a->resolve ? ALERT_CHANGE_RESOLVED : ALERT_CHANGE_UPDATED,
                         a->resolve ? "alert.resolved" : "alert.acknowledged",
                         a->resolve ? DELIVERY_RESOLVED : DELIVER_NONE);
    if (a->resolve) {
        resolve(u, a->user, now);
    } else {
        u->state = ALERT_ACKNOWLEDGED;
        u->acked_ms = u->updated_ms = now;
        replace(&u->acked_by, a->user ? a->user : "");
    }
    writes_into(&a->aw, w);
    w->sinks = mon ? &mon->spec : NULL;
    w->user = a->user ? a->user : "";
    w->now_ms = now;
    return 0;
}

static int alert_act(struct store *s, int64_t id, int resolve_it, const char *user,
                     struct monitor_alert *out, struct ferr *err)
{
    if (out)
        memset(out, 0, sizeof(*out));
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    if (bad_id(id, err))
        return -1;
    struct alert_act_arg a;
    memset(&a, 0, sizeof(a));
    a.resolve = resolve_it;
    a.user = user;
    int rc = s->monitors->alert_change(s, id, decide_alert, &a, err);
    if (rc == 0 && out && a.aw.n)
        monitor_alert_copy(&a.aw.alerts[0], out);
    alert_writes_release(&a.aw);
    return rc;
}

int store_alert_ack(struct store *s, int64_t id, const char *user, struct monitor_alert *out,
                    struct ferr *err)
{
    return alert_act(s, id, 0, user, out, err);
}

int store_alert_resolve(struct store *s, int64_t id, const char *user, struct monitor_alert *out,
                        struct ferr *err)
{
    return alert_act(s, id, 1, user, out, err);
}

/* ---------- deliveries ---------- */

static int check_delivery(const struct alert_delivery *d, struct ferr *err)
{
    if (d->alert_id < 1 || d->sink_index < 0 || d->sink_index >= MONITOR_MAX_SINKS ||
        !d->sink_kind || (strcmp(d->sink_kind, "webhook") && strcmp(d->sink_kind, "command")) ||
        (unsigned)d->event > DELIVERY_RESOLVED || (unsigned)d->state > DELIVERY_FAILED ||
        d->attempt < 0 || d->http_status < 0 || d->http_status > 999 ||
        (d->error && strlen(d->error) > 8000))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a delivery needs an alert id, a sink index (0..7) and kind (webhook or "
                        "command), an event, a state, attempts of 0 or more, an HTTP status "
                        "0..999 and an error of at most 8000 bytes");
    return 0;
}

int store_delivery_put(struct store *s, struct alert_delivery *d, int *inserted, struct ferr *err)
{
    int ins = 0;
    if (inserted)
        *inserted = 0;
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    if (check_delivery(d, err))
        return -1;
    if (!d->created_ms)
        d->created_ms = ftime_now_ms();
    if (!d->next_attempt_ms && d->state == DELIVERY_PENDING)
        d->next_attempt_ms = d->created_ms;
    int rc = s->monitors->delivery_put(s, d, &ins, err);
    if (inserted)
        *inserted = rc == 0 && ins;
    return rc;
}

int store_delivery_update(struct store *s, const struct alert_delivery *d, struct ferr *err)
{
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    if (d->id < 1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "Invalid delivery id %lld",
                        (long long)d->id);
    if (check_delivery(d, err))
        return -1;
    return s->monitors->delivery_update(s, d, err);
}

int store_deliveries_of_alert(struct store *s, int64_t alert_id, struct alert_delivery_list *out,
                              struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    if (bad_id(alert_id, err))
        return -1;
    return s->monitors->deliveries(s, alert_id, out, err);
}

static int due(struct store *s, int64_t now_ms, int64_t claim_ms, int64_t max,
               struct alert_delivery_list *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->monitors)
        return store_lacks(s, AREA, err);
    if (max < 1 || max > 1000)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "due deliveries are read 1 to 1000 at a time, not %lld", (long long)max);
    return s->monitors->deliveries_due(s, now_ms, claim_ms, max, out, err);
}

int store_deliveries_due(struct store *s, int64_t now_ms, int64_t max,
                         struct alert_delivery_list *out, struct ferr *err)
{
    return due(s, now_ms, 0, max, out, err);
}

int store_deliveries_claim(struct store *s, int64_t now_ms, int64_t claim_ms, int64_t max,
                           struct alert_delivery_list *out, struct ferr *err)
{
    if (claim_ms < 1 || claim_ms > 86400000) {
        memset(out, 0, sizeof(*out));
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a claim lasts 1 ms to 1 day, not %lld ms", (long long)claim_ms);
    }
    return due(s, now_ms, claim_ms, max, out, err);
}

/* ---------- retention ---------- */

int store_monitor_reports_gc(struct store *s, int64_t now_ms, int64_t retention_ms,
                             int64_t *dropped, struct ferr *err)
{
    if (dropped)
        *dropped = 0;
    if (!s->monitors)
        return 0;
    if (retention_ms == 0)
        retention_ms = MONITOR_REPORT_RETENTION_MS;
    if (retention_ms < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a retention is positive");
    int64_t n = 0;
    int rc = s->monitors->gc(s, now_ms - retention_ms, &n, err);
    if (rc == 0 && dropped)
        *dropped = n;
    return rc;
}
