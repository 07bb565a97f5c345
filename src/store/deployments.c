/* SPDX-License-Identifier: MIT
 * The deployments area's front: the rules of every change, decided once
 * for both backends (store/deployments.h). */
#include "store/deployments.h"
#include "store/backend.h"
#include "store/model_uri.h"
#include "store/registry.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define AREA "deployments"

const char *deploy_action_name(enum deploy_action a)
{
    static const char *const names[] = {"pause", "resume", "rollback", "promote", "step"};
    return (size_t)a < sizeof(names) / sizeof(*names) ? names[a] : "unknown";
}

/* The event every change writes: the deployment's state after it. */
static json_t *event_payload(const struct deployment *d, const char *action, const char *reason)
{
    json_t *p = json_pack("{s:s, s:s, s:I, s:I, s:o}", "deployment", d->name, "action", action,
                          "revision", (json_int_t)d->revision, "change", (json_int_t)d->change,
                          "status", deployment_status_to_json(&d->status, d->spec.ntargets));
    if (reason && *reason)
        json_object_set_new(p, "reason", json_string(reason));
    return p;
}

/* ---------- apply ---------- */

static int resolve_one(struct store *s, struct deploy_target *t, struct ferr *err)
{
    struct model_version v;
    if (store_find_model_version(s, t->model, &v, err)) {
        if (err && (err->code == FERR_RESOURCE_DOES_NOT_EXIST ||
                    err->code == FERR_INVALID_PARAMETER_VALUE)) {
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            ferr_set(err, err->code, "deployment target '%.200s': %s", t->model, msg);
        }
        return -1;
    }
    free(t->name);
    t->name = xstrdup(v.name);
    t->version = v.version;
    model_version_release(&v);
    return 0;
}

static int resolve_targets(struct store *s, struct deployment_spec *spec, struct ferr *err)
{
    for (size_t i = 0; i < spec->ntargets; i++)
        if (resolve_one(s, &spec->targets[i], err))
            return -1;
    for (size_t i = 0; i < spec->nshadows; i++)
        if (resolve_one(s, &spec->shadows[i], err))
            return -1;
    /* two URIs (an alias and a number) may name one version: its figures
     * could not be told apart */
    for (size_t i = 0; i < spec->ntargets + spec->nshadows; i++)
        for (size_t j = 0; j < i; j++) {
            const struct deploy_target *a =
                i < spec->ntargets ? &spec->targets[i] : &spec->shadows[i - spec->ntargets];
            const struct deploy_target *b =
                j < spec->ntargets ? &spec->targets[j] : &spec->shadows[j - spec->ntargets];
            if (!strcmp(a->name, b->name) && a->version == b->version)
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "deployment spec: '%.200s' and '%.200s' are both %s version "
                                "%lld: a version may be listed once",
                                b->model, a->model, a->name, (long long)a->version);
        }
    return 0;
}

struct apply_arg {
    struct deployment_spec *spec; /* resolved */
    int64_t expect_revision;
    const char *user;
    struct deployment row;
    json_t *payload;
    int changed;
    struct deployment *out;
};

static int same_spec(const struct deployment_spec *a, const struct deployment_spec *b)
{
    json_t *ja = deployment_spec_to_json(a), *jb = deployment_spec_to_json(b);
    int eq = json_equal(ja, jb);
    json_decref(ja);
    json_decref(jb);
    return eq;
}

static int decide_apply(void *arg, const struct deployment *cur, struct deployment_write *w,
                        struct ferr *err)
{
    struct apply_arg *a = arg;
    int64_t now = ftime_now_ms();
    /* a backend may run a change again (a conflict): start afresh */
    deployment_release(&a->row);
    json_decref(a->payload);
    a->payload = NULL;
    if (a->out)
        deployment_release(a->out);
    if (a->expect_revision == 0 && cur)
        return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                        "deployment '%.100s' is already at revision %lld: apply without a revision "
                        "(or with that one) to change it",
                        cur->name, (long long)cur->revision);
    if (a->expect_revision > 0 && (!cur || cur->revision != a->expect_revision)) {
        if (!cur)
            return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                            "deployment '%.100s' does not exist (revision %lld was expected)",
                            a->spec->name, (long long)a->expect_revision);
        return ferr_set(err, FERR_INVALID_STATE,
                        "deployment '%.100s' is at revision %lld, not %lld: someone applied "
                        "meanwhile; get it again and re-apply your change on top",
                        cur->name, (long long)cur->revision, (long long)a->expect_revision);
    }
    if (cur && same_spec(&cur->spec, a->spec)) {
        a->changed = 0;
        w->row = NULL;
        if (a->out && deployment_copy(cur, a->out, err))
            return -1;
        return 1; /* nothing to write */
    }
    struct deployment *r = &a->row;
    json_t *copy = deployment_spec_to_json(a->spec);
    int bad_copy = deployment_spec_parse(copy, &r->spec, err);
    json_decref(copy);
    if (bad_copy)
        return -1;
    r->name = xstrdup(a->spec->name);
    r->revision = cur ? cur->revision + 1 : 1;
    r->change = cur ? cur->change + 1 : 1;
    deployment_status_initial(&r->spec, now, &r->status);
    r->created_ms = cur ? cur->created_ms : now;
    r->updated_ms = now;
    r->created_by = xstrdup(cur ? cur->created_by : a->user ? a->user : "");
    r->updated_by = xstrdup(a->user ? a->user : "");
    a->changed = 1;
    a->payload = event_payload(r, "apply", NULL);
    w->row = r;
    w->action = "apply";
    w->reason = "";
    w->event_kind = "deployment.apply";
    w->event_payload = a->payload;
    return 0;
}

int store_deployment_apply(struct store *s, json_t *spec_doc, int64_t expect_revision,
                           const char *user, struct deployment *out, int *changed, struct ferr *err)
{
    return store_deployment_apply_checked(s, spec_doc, expect_revision, user, NULL, NULL, out,
                                          changed, err);
}

int store_deployment_apply_checked(struct store *s, json_t *spec_doc, int64_t expect_revision,
                                   const char *user, deployment_check_fn check, void *check_arg,
                                   struct deployment *out, int *changed, struct ferr *err)
{
    struct deployment_spec spec;
    if (!s->deployments)
        return store_lacks(s, AREA, err);
    if (out)
        memset(out, 0, sizeof(*out));
    if (expect_revision < -1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "revision must be 0 or more");
    if (deployment_spec_parse(spec_doc, &spec, err))
        return -1;
    if (resolve_targets(s, &spec, err) || (check && check(check_arg, &spec, err))) {
        deployment_spec_release(&spec);
        return -1;
    }
    struct apply_arg a = {&spec, expect_revision, user, {0}, NULL, 0, out};
    int rc = s->deployments->change(s, spec.name, decide_apply, &a, user, err);
    if (rc == 0 && a.changed && out && deployment_copy(&a.row, out, err))
        rc = -1;
    if (changed)
        *changed = a.changed;
    deployment_release(&a.row);
    deployment_spec_release(&spec);
    json_decref(a.payload);
    return rc;
}

/* ---------- actions ---------- */

struct act_arg {
    const char *name;
    enum deploy_action act;
    int64_t expect_change;
    const char *reason, *user;
    struct deployment row;
    json_t *payload;
    int move_alias; /* the candidate became the only target: move promote_alias */
    char *alias, *alias_model;
    int64_t alias_version;
};

static int no_such(struct ferr *err, const char *name)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No deployment named '%.100s'", name);
}

static int not_now(struct ferr *err, const struct deployment *d, const char *what)
{
    return ferr_set(err, FERR_INVALID_STATE, "deployment '%.100s' cannot %s: it is %s", d->name,
                    what, deploy_phase_name(d->status.phase));
}

/* The candidate alone at 100, as a new revision of the spec. */
static void make_promoted(struct act_arg *a, struct deployment *r, int64_t now)
{
    int cand = deployment_candidate(&r->spec);
    struct deploy_target keep = r->spec.targets[cand];
    for (int i = 0; i < cand; i++) {
        free(r->spec.targets[i].model);
        free(r->spec.targets[i].name);
    }
    memset(r->spec.targets, 0, sizeof(r->spec.targets));
    r->spec.targets[0] = keep;
    r->spec.targets[0].weight = 100;
    r->spec.ntargets = 1;
    if (r->spec.promote_alias) {
        a->move_alias = 1;
        a->alias = r->spec.promote_alias;
        a->alias_model = xstrdup(keep.name);
        a->alias_version = keep.version;
        r->spec.promote_alias = NULL;
    }
    memset(&r->spec.rollout, 0, sizeof(r->spec.rollout));
    r->revision++;
    deployment_status_release(&r->status);
    deployment_status_initial(&r->spec, now, &r->status);
}

static int decide_act(void *arg, const struct deployment *cur, struct deployment_write *w,
                      struct ferr *err)
{
    struct act_arg *a = arg;
    int64_t now = ftime_now_ms();
    const char *action = deploy_action_name(a->act);
    /* a backend may run a change again (a conflict): start afresh */
    deployment_release(&a->row);
    json_decref(a->payload);
    a->payload = NULL;
    free(a->alias);
    free(a->alias_model);
    a->alias = a->alias_model = NULL;
    a->move_alias = 0;
    if (!cur)
        return no_such(err, a->name);
    if (a->expect_change >= 0 && cur->change != a->expect_change)
        return ferr_set(err, FERR_INVALID_STATE,
                        "deployment '%.100s' changed meanwhile (change %lld, not %lld)", cur->name,
                        (long long)cur->change, (long long)a->expect_change);
    if (!cur->spec.rollout.present)
        return ferr_set(err, FERR_INVALID_STATE,
                        "deployment '%.100s' has no rollout to %s (its spec has no 'rollout')",
                        cur->name, action);
    enum deploy_phase ph = cur->status.phase;
    switch (a->act) {
    case DEPLOY_ACT_PAUSE:
        if (ph != DEPLOY_PROGRESSING)
            return not_now(err, cur, "pause");
        break;
    case DEPLOY_ACT_RESUME:
        if (ph != DEPLOY_PAUSED && ph != DEPLOY_ROLLED_BACK)
            return not_now(err, cur, "resume");
        break;
    case DEPLOY_ACT_ROLLBACK:
        if (ph == DEPLOY_ROLLED_BACK)
            return not_now(err, cur, "roll back");
        break;
    case DEPLOY_ACT_PROMOTE:
        break;
    case DEPLOY_ACT_STEP:
        if (ph != DEPLOY_PROGRESSING)
            return not_now(err, cur, "step");
        break;
    }
    if (deployment_copy(cur, &a->row, err))
        return -1;
    struct deployment *r = &a->row;
    struct deployment_status *st = &r->status;
    r->change = cur->change + 1;
    r->updated_ms = now;
    free(r->updated_by);
    r->updated_by = xstrdup(a->user ? a->user : "");
    free(st->reason);
    st->reason = a->reason && *a->reason ? xstrdup(a->reason) : NULL;
    st->failures = 0;
    const char *kind = "deployment.step";
    switch (a->act) {
    case DEPLOY_ACT_PAUSE:
        st->phase = DEPLOY_PAUSED;
        kind = "deployment.pause";
        break;
    case DEPLOY_ACT_RESUME:
        if (st->phase == DEPLOY_ROLLED_BACK)
            st->step = 0; /* a retry starts over */
        st->phase = DEPLOY_PROGRESSING;
        st->step_started_ms = now;
        kind = "deployment.resume";
        break;
    case DEPLOY_ACT_ROLLBACK:
        st->phase = DEPLOY_ROLLED_BACK;
        kind = "deployment.rollback";
        break;
    case DEPLOY_ACT_PROMOTE:
        make_promoted(a, r, now);
        kind = "deployment.promote";
        break;
    case DEPLOY_ACT_STEP:
        if ((size_t)st->step + 1 < r->spec.rollout.nsteps) {
            st->step++;
            st->step_started_ms = now;
        } else if (r->spec.rollout.steps[st->step] == 100) {
            make_promoted(a, r, now); /* completed at 100: the candidate is the target */
            action = "complete";
            kind = "deployment.complete";
        } else {
            st->phase = DEPLOY_COMPLETE; /* an A/B split that stays */
            action = "complete";
            kind = "deployment.complete";
        }
        break;
    }
    deployment_weights(&r->spec, st);
    a->payload = event_payload(r, action, a->reason);
    w->row = r;
    w->action = action;
    w->reason = a->reason ? a->reason : "";
    w->event_kind = kind;
    w->event_payload = a->payload;
    return 0;
}

static int move_alias(struct store *s, struct act_arg *a, const char *user, struct ferr *err)
{
    struct reg_write rw;
    memset(&rw, 0, sizeof(rw));
    rw.action = REG_SET_ALIAS;
    rw.name = a->alias_model;
    rw.alias = a->alias;
    rw.version = a->alias_version;
    rw.user = user;
    return store_registry_write(s, &rw, err);
}

int store_deployment_act(struct store *s, const char *name, enum deploy_action act,
                         int64_t expect_change, const char *reason, const char *user,
                         struct deployment *out, struct ferr *alias_error, struct ferr *err)
{
    if (!s->deployments)
        return store_lacks(s, AREA, err);
    if (out)
        memset(out, 0, sizeof(*out));
    if (deployment_name_check(name, err))
        return -1;
    if (reason && strlen(reason) > 4000)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a reason is at most 4000 bytes");
    struct act_arg a;
    memset(&a, 0, sizeof(a));
    a.name = name;
    a.act = act;
    a.expect_change = expect_change;
    a.reason = reason;
    a.user = user;
    int rc = s->deployments->change(s, name, decide_act, &a, user, err);
    if (rc == 0 && out && deployment_copy(&a.row, out, err))
        rc = -1;
    if (rc == 0 && a.move_alias) {
        struct ferr aerr = FERR_INIT;
        if (move_alias(s, &a, user, &aerr) && alias_error)
            *alias_error = aerr;
    }
    deployment_release(&a.row);
    json_decref(a.payload);
    free(a.alias);
    free(a.alias_model);
    return rc;
}

/* ---------- delete ---------- */

struct delete_arg {
    const char *name;
    json_t *payload;
};

static int decide_delete(void *arg, const struct deployment *cur, struct deployment_write *w,
                         struct ferr *err)
{
    struct delete_arg *a = arg;
    json_decref(a->payload);
    a->payload = NULL;
    if (!cur)
        return no_such(err, a->name);
    a->payload = event_payload(cur, "delete", NULL);
    w->row = NULL;
    w->action = NULL;
    w->event_kind = "deployment.delete";
    w->event_payload = a->payload;
    return 0;
}

int store_deployment_delete(struct store *s, const char *name, const char *user, struct ferr *err)
{
    if (!s->deployments)
        return store_lacks(s, AREA, err);
    if (deployment_name_check(name, err))
        return -1;
    struct delete_arg a = {name, NULL};
    int rc = s->deployments->change(s, name, decide_delete, &a, user, err);
    json_decref(a.payload);
    return rc;
}

/* ---------- reads ---------- */

int store_deployment_get(struct store *s, const char *name, struct deployment *out,
                         struct ferr *err)
{
    if (!s->deployments)
        return store_lacks(s, AREA, err);
    memset(out, 0, sizeof(*out));
    if (deployment_name_check(name, err))
        return -1;
    return s->deployments->get(s, name, out, err);
}

int store_deployment_list(struct store *s, struct deployment_list *out, struct ferr *err)
{
    if (!s->deployments)
        return store_lacks(s, AREA, err);
    memset(out, 0, sizeof(*out));
    return s->deployments->list(s, out, err);
}

int store_deployment_history(struct store *s, const char *name, struct deployment_change_list *out,
                             struct ferr *err)
{
    if (!s->deployments)
        return store_lacks(s, AREA, err);
    memset(out, 0, sizeof(*out));
    if (deployment_name_check(name, err))
        return -1;
    return s->deployments->history(s, name, out, err);
}

int store_events_search(struct store *s, int64_t after_id, const char *const *kinds, size_t nkinds,
                        int64_t max, struct store_event_list *out, struct ferr *err)
{
    if (!s->deployments)
        return store_lacks(s, AREA, err);
    memset(out, 0, sizeof(*out));
    if (max < 1 || max > 1000)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "max_results must be between 1 and 1000, got %lld", (long long)max);
    if (after_id < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "after_id must be 0 or more");
    if (nkinds > 32)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "at most 32 kinds");
    for (size_t i = 0; i < nkinds; i++) {
        size_t n = strlen(kinds[i]);
        if (!n || n > 100 || strchr(kinds[i], ','))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid event kind '%.100s': such as deployment.rollback or "
                            "deployment.*",
                            kinds[i]);
    }
    struct sbuf list = SBUF_INIT;
    sbuf_addch(&list, ',');
    for (size_t i = 0; i < nkinds; i++)
        sbuf_addf(&list, "%s,", kinds[i]);
    int rc = s->deployments->events(s, after_id, list.buf, max, out, err);
    sbuf_release(&list);
    return rc;
}

int store_deploy_stats_put(struct store *s, const struct deploy_stats *rows, size_t n,
                           struct ferr *err)
{
    if (!s->deployments)
        return store_lacks(s, AREA, err);
    if (n > 10000)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "at most 10000 figures at once");
    for (size_t i = 0; i < n; i++) {
        const struct deploy_stats *r = &rows[i];
        if (deployment_name_check(r->deployment, err))
            return -1;
        if (!r->gateway || !*r->gateway || strlen(r->gateway) > 256 || !r->target || !*r->target ||
            strlen(r->target) > 600 || !r->hist || strlen(r->hist) > 8192 || r->requests < 0 ||
            r->errors < 0 || r->client_errors < 0 || r->revision < 1)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "malformed traffic figures for deployment '%.100s'", r->deployment);
    }
    return s->deployments->stats_put(s, rows, n, err);
}

int store_deploy_stats_read(struct store *s, const char *name, int64_t revision, int64_t since_ms,
                            struct deploy_stats_list *out, struct ferr *err)
{
    if (!s->deployments)
        return store_lacks(s, AREA, err);
    memset(out, 0, sizeof(*out));
    if (deployment_name_check(name, err))
        return -1;
    return s->deployments->stats_read(s, name, revision, since_ms, out, err);
}
