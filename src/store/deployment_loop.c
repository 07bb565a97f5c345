/* SPDX-License-Identifier: MIT */
#include "store/deployment_loop.h"
#include "base/xalloc.h"
#include "domain/monitor.h"
#include "domain/registry.h"
#include "store/deployments.h"
#include "store/monitors.h"
#include "store/registry.h"
#include "store/triggers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/banned.h"

#define PAGE            1000
#define MAX_VERSIONS    10000 /* versions read per model */
#define MAX_FIRINGS     10000 /* firings read per trigger */
#define MAX_STEP_RUNS   1000  /* step runs read per pipeline run */
#define TAG_PIPELINE    "ferry.pipeline.runId"
#define TAG_FIRING      "ferry.trigger.firingId"
#define TAG_TRIGGER     "ferry.trigger.name"
#define TAG_VERDICT     "ferry.gate.verdict"
#define TAG_REASONS     "ferry.gate.reasons"
#define TAG_PIPELINE_NM "ferry.pipeline.step"

static const char *const kind_names[] = {
    [LOOP_ALERT_OPENED] = "alert_opened",         [LOOP_TRIGGER_FIRED] = "trigger_fired",
    [LOOP_PIPELINE_STARTED] = "pipeline_started", [LOOP_GATE_PASSED] = "gate_passed",
    [LOOP_GATE_FAILED] = "gate_failed",           [LOOP_VERSION_REGISTERED] = "version_registered",
    [LOOP_ROLLOUT_STEP] = "rollout_step",         [LOOP_PROMOTED] = "promoted",
    [LOOP_ROLLED_BACK] = "rolled_back",           [LOOP_PIPELINE_FINISHED] = "pipeline_finished",
};

const char *loop_kind_name(enum loop_kind k)
{
    return (size_t)k < sizeof(kind_names) / sizeof(*kind_names) ? kind_names[k] : "?";
}

void loop_event_list_release(struct loop_event_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        json_decref(l->v[i].fields);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

json_t *loop_event_to_json(const struct loop_event *e)
{
    char iso[40];
    struct tm tm;
    time_t secs = (time_t)(e->time_ms / 1000);
    int ms = (int)(e->time_ms % 1000);
    if (ms < 0) {
        ms += 1000;
        secs--;
    }
    if (!gmtime_r(&secs, &tm) || !strftime(iso, 24, "%Y-%m-%dT%H:%M:%S", &tm))
        iso[0] = '\0';
    else
        snprintf(iso + strlen(iso), sizeof(iso) - strlen(iso), ".%03dZ", ms);
    json_t *o = json_pack("{s:s, s:s, s:I}", "time", iso, "event", loop_kind_name(e->kind),
                          "time_ms", (json_int_t)e->time_ms);
    if (o && e->fields)
        json_object_update(o, e->fields);
    return o;
}

/* ---------- gathering ---------- */

struct names {
    char **v;
    size_t n, alloc;
};

static int names_has(const struct names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], name))
            return 1;
    return 0;
}

static void names_add(struct names *s, const char *name)
{
    if (!name || !*name || names_has(s, name))
        return;
    ALLOC_GROW(s->v, s->n + 1, s->alloc);
    s->v[s->n++] = xstrdup(name);
}

static void names_release(struct names *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

struct loop {
    struct store *s;
    const struct loop_query *q;
    struct loop_event_list *out;
    struct names monitors, models;
    int64_t *firings; /* ids of the firings already added */
    size_t nfirings, afirings;
};

static int in_window(const struct loop *l, int64_t t)
{
    return t >= l->q->start_ms && (!l->q->end_ms || t <= l->q->end_ms);
}

/* Adds an event (fields owned, taken) when its time is in the window. */
static void add(struct loop *l, enum loop_kind kind, int64_t t, json_t *fields)
{
    if (!fields)
        return;
    if (!in_window(l, t)) {
        json_decref(fields);
        return;
    }
    ALLOC_GROW(l->out->v, l->out->n + 1, l->out->alloc);
    l->out->v[l->out->n++] = (struct loop_event){t, kind, fields};
}

static json_t *id_json(int64_t id)
{
    char b[24];
    snprintf(b, sizeof(b), "%" PRId64, id);
    return json_string(b);
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static int alerts(struct loop *l, struct ferr *err)
{
    char *token = NULL;
    do {
        struct monitor_alert_list page = {NULL, 0, 0};
        char *next = NULL;
        struct alert_query aq = {NULL, l->q->deployment, 0, PAGE, token};
        int rc = store_alerts_list(l->s, &aq, &page, &next, err);
        free(token);
        token = NULL;
        if (rc)
            return -1;
        for (size_t i = 0; i < page.n; i++) {
            const struct monitor_alert *a = &page.v[i];
            names_add(&l->monitors, a->monitor);
            add(l, LOOP_ALERT_OPENED, a->opened_ms,
                json_pack("{s:o, s:s, s:s, s:s}", "alert_id", id_json(a->id), "monitor",
                          str_or_empty(a->monitor), "condition", str_or_empty(a->condition),
                          "severity", alert_severity_name(a->severity)));
        }
        /* newest first: older pages only reach further back */
        int older = page.n && page.v[page.n - 1].opened_ms >= l->q->start_ms;
        monitor_alert_list_release(&page);
        token = older ? next : NULL;
        if (!older)
            free(next);
    } while (token);
    return 0;
}

static int monitors(struct loop *l, struct ferr *err)
{
    struct monitor_list ms = {NULL, 0, 0};
    if (store_monitor_list(l->s, l->q->deployment, &ms, err))
        return -1;
    for (size_t i = 0; i < ms.n; i++)
        names_add(&l->monitors, ms.v[i].name);
    monitor_list_release(&ms);
    return 0;
}

/* The models D's specs name, and the rollout's events from its history. */
static void models_of_spec(struct loop *l, json_t *spec)
{
    static const char *const lists[] = {"targets", "shadow"};
    for (size_t k = 0; k < 2; k++) {
        json_t *arr = json_object_get(spec, lists[k]), *t;
        size_t i;
        json_array_foreach(arr, i, t)
            names_add(&l->models, json_string_value(json_object_get(t, "name")));
    }
}

/* "name/version" of a spec's target i (the last: -1), "" when absent. */
static void target_of(json_t *spec, int i, char *buf, size_t n, const char **name, int64_t *version)
{
    json_t *arr = json_object_get(spec, "targets");
    size_t len = json_array_size(arr);
    json_t *t = len ? json_array_get(arr, i < 0 ? len - 1 : (size_t)i) : NULL;
    const char *nm = json_string_value(json_object_get(t, "name"));
    int64_t v = json_integer_value(json_object_get(t, "version"));
    if (nm)
        snprintf(buf, n, "%s/%" PRId64, nm, v);
    else
        buf[0] = '\0';
    if (name)
        *name = nm ? nm : "";
    if (version)
        *version = v;
}

static void rollout_step(struct loop *l, const struct deployment_change *c, json_t *spec,
                         json_t *status)
{
    char cand[300];
    target_of(spec, -1, cand, sizeof(cand), NULL, NULL);
    json_t *w = json_object_get(status, "weights");
    int64_t weight = json_integer_value(json_array_get(w, json_array_size(w) - 1));
    add(l, LOOP_ROLLOUT_STEP, c->time_ms,
        json_pack("{s:I, s:s, s:I, s:I}", "change", (json_int_t)c->change, "candidate", cand,
                  "step", (json_int_t)json_integer_value(json_object_get(status, "step")), "weight",
                  (json_int_t)weight));
}

static int history(struct loop *l, struct ferr *err)
{
    struct deployment_change_list h = {NULL, 0, 0};
    if (store_deployment_history(l->s, l->q->deployment, &h, err))
        return -1;
    json_t *before = NULL; /* the spec before the change */
    for (size_t i = 0; i < h.n; i++) {
        const struct deployment_change *c = &h.v[i];
        json_t *spec = json_loads(c->spec_json ? c->spec_json : "", 0, NULL);
        json_t *status = json_loads(c->status_json ? c->status_json : "", 0, NULL);
        const char *phase = json_string_value(json_object_get(status, "phase"));
        const char *act = c->action ? c->action : "";
        if (spec)
            models_of_spec(l, spec);
        if (!strcmp(act, "step") || ((!strcmp(act, "apply") || !strcmp(act, "resume")) && phase &&
                                     !strcmp(phase, "PROGRESSING"))) {
            rollout_step(l, c, spec, status);
        } else if (!strcmp(act, "rollback")) {
            char cand[300];
            target_of(spec, -1, cand, sizeof(cand), NULL, NULL);
            add(l, LOOP_ROLLED_BACK, c->time_ms,
                json_pack("{s:I, s:s, s:s}", "change", (json_int_t)c->change, "candidate", cand,
                          "reason", str_or_empty(c->reason)));
        } else if (!strcmp(act, "promote") || !strcmp(act, "complete")) {
            /* completed at 100 or promoted: the candidate is the only target */
            json_t *t = json_object_get(spec, "targets");
            if (!strcmp(act, "complete") && json_array_size(t) != 1) {
                rollout_step(l, c, spec, status);
            } else {
                char who[300];
                const char *name;
                int64_t version;
                target_of(spec, 0, who, sizeof(who), &name, &version);
                const char *alias = json_string_value(json_object_get(spec, "promote_alias"));
                if (!alias) /* a promote rewrites the spec: the alias was the rollout's */
                    alias = json_string_value(json_object_get(before, "promote_alias"));
                char v[24];
                snprintf(v, sizeof(v), "%" PRId64, version);
                add(l, LOOP_PROMOTED, c->time_ms,
                    json_pack("{s:I, s:s, s:s, s:s, s:s}", "change", (json_int_t)c->change,
                              "action", act, "model", name, "version", v, "alias",
                              str_or_empty(alias)));
            }
        }
        json_decref(status);
        if (spec) {
            json_decref(before);
            before = spec;
        }
    }
    json_decref(before);
    deployment_change_list_release(&h);
    return 0;
}

static int firing_seen(struct loop *l, int64_t id)
{
    for (size_t i = 0; i < l->nfirings; i++)
        if (l->firings[i] == id)
            return 1;
    ALLOC_GROW(l->firings, l->nfirings + 1, l->afirings);
    l->firings[l->nfirings++] = id;
    return 0;
}

/* The gate step runs of pipeline run p (in its experiment). */
static int gates(struct loop *l, const struct run *p, const struct trigger_firing *f,
                 struct ferr *err)
{
    char filter[160];
    snprintf(filter, sizeof(filter), "tags.`%s` = '%s'", TAG_PIPELINE, p->info.run_id);
    const char *exp[] = {p->info.experiment_id};
    struct run_search rq = {exp, 1, filter, VIEW_ALL, MAX_STEP_RUNS, NULL, 0, NULL};
    struct run_list runs = {NULL, 0, 0, NULL};
    if (store_search_runs(l->s, &rq, &runs, err))
        return -1;
    for (size_t i = 0; i < runs.n; i++) {
        const struct run *r = &runs.v[i];
        const char *verdict = kv_list_get(&r->tags, TAG_VERDICT);
        if (!verdict)
            continue;
        int64_t t = r->info.end_time > 0 ? r->info.end_time : r->info.start_time;
        const char *reasons = kv_list_get(&r->tags, TAG_REASONS);
        add(l, !strcmp(verdict, "passed") ? LOOP_GATE_PASSED : LOOP_GATE_FAILED, t,
            json_pack("{s:s, s:o, s:s, s:s, s:s, s:s}", "trigger", f->trigger, "firing_id",
                      id_json(f->id), "pipeline_run_id", p->info.run_id, "run_id", r->info.run_id,
                      "step", str_or_empty(kv_list_get(&r->tags, TAG_PIPELINE_NM)), "reasons",
                      str_or_empty(reasons)));
    }
    run_list_release(&runs);
    return 0;
}

static int firing(struct loop *l, const struct trigger_firing *f, struct ferr *err)
{
    if (firing_seen(l, f->id))
        return 0;
    json_t *ev = json_loads(f->event ? f->event : "", 0, NULL);
    const char *cause = json_string_value(json_object_get(ev, "kind"));
    add(l, LOOP_TRIGGER_FIRED, f->created_ms,
        json_pack("{s:s, s:o, s:s, s:s, s:s}", "trigger", f->trigger, "firing_id", id_json(f->id),
                  "cause", str_or_empty(cause), "state", firing_state_name(f->state), "detail",
                  str_or_empty(f->detail)));
    json_decref(ev);
    if (!f->run_id || !*f->run_id)
        return 0;
    struct run p;
    struct ferr why = FERR_INIT;
    memset(&p, 0, sizeof(p));
    if (store_get_run(l->s, f->run_id, &p, &why)) {
        if (why.code == FERR_RESOURCE_DOES_NOT_EXIST)
            return 0; /* the run was purged: the firing is all there is */
        *err = why;
        return -1;
    }
    int64_t start = p.info.start_time > 0 ? p.info.start_time : f->started_ms;
    add(l, LOOP_PIPELINE_STARTED, start,
        json_pack("{s:s, s:o, s:s, s:s}", "trigger", f->trigger, "firing_id", id_json(f->id),
                  "run_id", p.info.run_id, "experiment_id", str_or_empty(p.info.experiment_id)));
    if (p.info.end_time > 0)
        add(l, LOOP_PIPELINE_FINISHED, p.info.end_time,
            json_pack("{s:s, s:o, s:s, s:s}", "trigger", f->trigger, "firing_id", id_json(f->id),
                      "run_id", p.info.run_id, "status", run_status_name(p.info.status)));
    int rc = gates(l, &p, f, err);
    run_release(&p);
    return rc;
}

/* Does trigger t retrain this deployment (alerts of its monitors, events
 * of its models' registry)? */
static int trigger_is_ours(const struct loop *l, const struct trigger *t)
{
    json_t *spec = json_loads(t->spec ? t->spec : "", 0, NULL);
    json_t *on = json_object_get(spec, "on");
    const char *monitor =
        json_string_value(json_object_get(json_object_get(on, "alert"), "monitor"));
    const char *model =
        json_string_value(json_object_get(json_object_get(on, "registry"), "model"));
    int ours =
        (monitor && names_has(&l->monitors, monitor)) || (model && names_has(&l->models, model));
    json_decref(spec);
    return ours;
}

static int triggers(struct loop *l, struct ferr *err)
{
    struct trigger_list ts = {NULL, 0, 0};
    if (store_trigger_list(l->s, &ts, err))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < ts.n && !rc; i++) {
        if (!trigger_is_ours(l, &ts.v[i]))
            continue;
        char *token = NULL;
        size_t read = 0;
        do {
            struct trigger_firing_list page = {NULL, 0, 0};
            char *next = NULL;
            struct firing_query fq = {ts.v[i].name, 0, 0, PAGE, token};
            rc = store_trigger_firings(l->s, &fq, &page, &next, err);
            free(token);
            token = NULL;
            int older = 0;
            for (size_t k = 0; !rc && k < page.n; k++)
                rc = firing(l, &page.v[k], err);
            read += page.n;
            older = !rc && page.n && page.v[page.n - 1].created_ms >= l->q->start_ms &&
                    read < MAX_FIRINGS;
            trigger_firing_list_release(&page);
            if (older)
                token = next;
            else
                free(next);
        } while (token);
    }
    trigger_list_release(&ts);
    return rc;
}

/* The firing that started pipeline run id, through its tag; 0: none. */
static int64_t firing_of_run(struct loop *l, const char *run_id)
{
    struct run p;
    struct ferr why = FERR_INIT;
    memset(&p, 0, sizeof(p));
    if (store_get_run(l->s, run_id, &p, &why))
        return 0;
    const char *id = kv_list_get(&p.tags, TAG_FIRING);
    int64_t n = id ? strtoll(id, NULL, 10) : 0;
    run_release(&p);
    return n > 0 ? n : 0;
}

/* A filter naming model m: quoted with whichever quote it does not hold. */
static int name_filter(const char *m, char *buf, size_t n)
{
    char q = strchr(m, '\'') ? '"' : '\'';
    if (strchr(m, q) || strchr(m, '\\'))
        return -1;
    int len = snprintf(buf, n, "name = %c%s%c", q, m, q);
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

static int versions(struct loop *l, struct ferr *err)
{
    for (size_t i = 0; i < l->models.n; i++) {
        char filter[600];
        if (name_filter(l->models.v[i], filter, sizeof(filter)))
            continue;
        char *token = NULL;
        size_t read = 0;
        do {
            struct registry_search rq = {filter, PAGE, NULL, 0, token};
            struct model_version_list vs = {NULL, 0, 0, NULL};
            int rc = store_search_model_versions(l->s, &rq, &vs, err);
            free(token);
            token = NULL;
            if (rc)
                return -1;
            for (size_t k = 0; k < vs.n; k++) {
                const struct model_version *v = &vs.v[k];
                const char *prun = kv_list_get(&v->tags, TAG_PIPELINE);
                char num[24];
                snprintf(num, sizeof(num), "%" PRId64, v->version);
                add(l, LOOP_VERSION_REGISTERED, v->creation_time,
                    json_pack("{s:s, s:s, s:s, s:s}", "model", v->name, "version", num, "run_id",
                              str_or_empty(v->run_id), "pipeline_run_id", str_or_empty(prun)));
                int64_t fid = prun && in_window(l, v->creation_time) ? firing_of_run(l, prun) : 0;
                struct trigger_firing f;
                struct ferr why = FERR_INIT;
                memset(&f, 0, sizeof(f));
                if (fid && !store_trigger_firing_get(l->s, fid, &f, &why)) {
                    rc = firing(l, &f, err);
                    trigger_firing_release(&f);
                    if (rc) {
                        model_version_list_release(&vs);
                        return -1;
                    }
                }
            }
            read += vs.n;
            if (vs.next_page_token && read < MAX_VERSIONS)
                token = xstrdup(vs.next_page_token);
            model_version_list_release(&vs);
        } while (token);
    }
    return 0;
}

static int by_time(const void *a, const void *b)
{
    const struct loop_event *x = a, *y = b;
    if (x->time_ms != y->time_ms)
        return x->time_ms < y->time_ms ? -1 : 1;
    return (int)x->kind - (int)y->kind;
}

int store_deployment_loop(struct store *s, const struct loop_query *q, struct loop_event_list *out,
                          int *truncated, struct ferr *err)
{
    struct deployment d;
    memset(out, 0, sizeof(*out));
    *truncated = 0;
    memset(&d, 0, sizeof(d));
    if (store_deployment_get(s, q->deployment, &d, err))
        return -1;
    deployment_release(&d);
    struct loop l;
    memset(&l, 0, sizeof(l));
    l.s = s;
    l.q = q;
    l.out = out;
    int rc = monitors(&l, err) || alerts(&l, err) || history(&l, err) || triggers(&l, err) ||
             versions(&l, err);
    names_release(&l.monitors);
    names_release(&l.models);
    free(l.firings);
    if (rc) {
        loop_event_list_release(out);
        return -1;
    }
    if (out->n > 1) /* firings first seen by a version come late: reorder */
        qsort(out->v, out->n, sizeof(*out->v), by_time);
    int64_t max = q->max > 0 ? q->max : LOOP_MAX_EVENTS;
    if (out->n > (size_t)max) {
        size_t drop = out->n - (size_t)max;
        for (size_t i = 0; i < drop; i++)
            json_decref(out->v[i].fields);
        memmove(out->v, out->v + drop, (size_t)max * sizeof(*out->v));
        out->n = (size_t)max;
        *truncated = 1;
    }
    return 0;
}
