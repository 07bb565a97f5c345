/* SPDX-License-Identifier: MIT
 * ferry/deploy: a registered version rolled out through an existing
 * deployment. The deployment's spec is applied again with the version as
 * its rollout's candidate (the last target, without a weight; a previous
 * candidate - a last target without a weight - is replaced), keeping its
 * own rollout settings (after a promote, which drops them with the old
 * targets, those of the newest spec in its history that had them; with.rollout and
 * with.promote_alias, when given, replace them); then (wait, the default) the
 * deployment is read every 500 ms until its history says the rollout completed (exit 0) or rolled
 * back (exit 1 "rolled back: REASON"), or the timeout passes (exit 1). The stable targets' weights
 * are rescaled to leave rollout.steps[0] to the candidate (the spec's rule). Whoever drives
 * rollouts (a `ferry server` with its gateway) must be running: an
 * embedded store has nobody stepping it, so only wait: false makes sense
 * there. rollout.json: {deployment, candidate, state
 * (applied|complete|rolled_back|timed_out|replaced), reason, changes: [the history entries from the
 * apply on]}. */
#include "pipelines/builtin_deploy.h"
#include "pipelines/builtin_util.h"
#include "base/duration.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "client/client.h"
#include "client/client_deployments.h"
#include "store/deployment_record.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/banned.h"

#define DEPLOY_POLL_MS         500
#define DEPLOY_DEFAULT_TIMEOUT (30 * 60 * 1000)

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* with.version: a registered.json path, its object, or models:/NAME/V. */
static int candidate_uri(json_t *v, struct sbuf *out, struct ferr *err)
{
    json_t *doc = NULL;
    const char *s = json_string_value(v);
    if (s && !strncmp(s, "models:/", 8)) {
        sbuf_addstr(out, s);
        return 0;
    }
    if (s && s[0] != '/')
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "with.version must be models:/NAME/VERSION or ferry/register's version "
                        "({steps.R.outputs.version}), got '%.200s'",
                        s);
    if (s) {
        if (!(doc = builtin_read_json(s, err)))
            return -1;
    } else if (json_is_object(v)) {
        doc = json_incref(v);
    }
    const char *uri = json_string_value(json_object_get(doc, "uri"));
    if (!uri || strncmp(uri, "models:/", 8)) {
        json_decref(doc);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "with.version must be models:/NAME/VERSION or ferry/register's version "
                        "({steps.R.outputs.version})");
    }
    sbuf_addstr(out, uri);
    json_decref(doc);
    return 0;
}

static json_t *history_from(struct client *c, const char *name, int64_t from, struct ferr *err)
{
    struct deployment_change_list l = {0};
    if (client_deployment_history(c, name, &l, err))
        return NULL;
    json_t *a = json_array();
    for (size_t i = 0; i < l.n; i++) {
        const struct deployment_change *ch = &l.v[i];
        if (ch->change < from)
            continue;
        json_array_append_new(
            a, json_pack("{s:I, s:I, s:s, s:s, s:I, s:s}", "change", (json_int_t)ch->change,
                         "revision", (json_int_t)ch->revision, "action", ch->action, "user_id",
                         ch->user_id ? ch->user_id : "", "time_ms", (json_int_t)ch->time_ms,
                         "reason", ch->reason ? ch->reason : ""));
    }
    deployment_change_list_release(&l);
    return a;
}

/* A completed rollout's promote leaves one target and no rollout section:
 * the rollout (and promote_alias) of the newest spec in the history that
 * had one are put back into spec. INVALID_PARAMETER_VALUE when none ever
 * had a rollout. */
static int last_rollout(struct client *c, const char *name, json_t *spec, struct ferr *err)
{
    struct deployment_change_list l = {0};
    json_t *found = NULL, *alias = NULL;
    if (client_deployment_history(c, name, &l, err))
        return -1;
    for (size_t i = l.n; i-- > 0 && !found;) {
        json_t *old = l.v[i].spec_json ? json_loads(l.v[i].spec_json, 0, NULL) : NULL;
        json_t *r = json_object_get(old, "rollout");
        if (json_is_object(r)) {
            found = json_incref(r);
            alias = json_incref(json_object_get(old, "promote_alias"));
        }
        json_decref(old);
    }
    deployment_change_list_release(&l);
    if (!found)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "deployment '%.64s' has no rollout: ferry/deploy rolls a candidate out "
                        "through the deployment's rollout settings (give it a rollout: section)",
                        name);
    json_object_set_new(spec, "rollout", found);
    if (json_is_string(alias) && !json_is_string(json_object_get(spec, "promote_alias")))
        json_object_set(spec, "promote_alias", alias);
    json_decref(alias);
    return 0;
}

int builtin_deploy(struct builtin_ctx *ctx, struct ferr *err)
{
    const char *name = builtin_str(ctx->with, "deployment");
    struct deployment d, now;
    struct sbuf cand = SBUF_INIT;
    int64_t timeout = DEPLOY_DEFAULT_TIMEOUT;
    int wait = 1, changed = 0, rc = 2, have = 0;
    json_t *x, *spec = NULL, *targets, *report = NULL;
    memset(&d, 0, sizeof(d));
    memset(&now, 0, sizeof(now));
    if (!name) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "with.deployment must be a name");
        goto out;
    }
    if ((x = json_object_get(ctx->with, "wait"))) {
        if (json_is_boolean(x))
            wait = json_is_true(x);
        else if (json_is_string(x) &&
                 (!strcmp(json_string_value(x), "true") || !strcmp(json_string_value(x), "false")))
            wait = !strcmp(json_string_value(x), "true");
        else {
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "with.wait must be true or false");
            goto out;
        }
    }
    if ((x = json_object_get(ctx->with, "timeout"))) {
        const char *t = json_string_value(x);
        if (!t || duration_parse(t, &timeout) || timeout <= 0) {
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "with.timeout must be a duration (90s, 30m)");
            goto out;
        }
    }
    if (candidate_uri(json_object_get(ctx->with, "version"), &cand, err))
        goto out;
    if (!ctx->c) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no tracking store (FERRY_TRACKING_URI)");
        goto out;
    }
    if (client_deployment_get(ctx->c, name, &d, err))
        goto out;
    have = 1;
    spec = deployment_spec_to_json(&d.spec);
    /* with.rollout (and with.promote_alias): the step's own rollout settings, replacing the
     * deployment's; a deployment that never had a rollout (one target) can be rolled out so */
    if ((x = json_object_get(ctx->with, "rollout"))) {
        if (!json_is_object(x)) {
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "with.rollout must be a rollout section");
            goto out;
        }
        json_object_set(spec, "rollout", x);
    } else if (!d.spec.rollout.present && last_rollout(ctx->c, name, spec, err))
        goto out;
    if ((x = json_object_get(ctx->with, "promote_alias"))) {
        if (!json_is_string(x)) {
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "with.promote_alias must be an alias");
            goto out;
        }
        json_object_set(spec, "promote_alias", x);
    }
    double first_d = 0;
    if (builtin_number(
            json_array_get(json_object_get(json_object_get(spec, "rollout"), "steps"), 0),
            &first_d) ||
        first_d < 1 || first_d > 100) {
        ferr_set(err, FERR_INTERNAL_ERROR, "deployment '%.64s': its rollout has no first step",
                 name);
        goto out;
    }
    int first = (int)first_d;
    int total = 0, given = 0, nstable = 0;
    for (size_t i = 0; i < d.spec.ntargets; i++)
        if (d.spec.targets[i].weight >= 0) {
            total += d.spec.targets[i].weight;
            nstable++;
        }
    if (!nstable) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "deployment '%.64s' has no stable target (with a weight) to roll out against",
                 name);
        goto out;
    }
    targets = json_array();
    for (size_t i = 0; i < d.spec.ntargets; i++) {
        const struct deploy_target *t = &d.spec.targets[i];
        if (t->weight < 0)
            continue; /* the previous candidate */
        int w = total ? t->weight * (100 - first) / total : (given ? 0 : 100 - first);
        given += w;
        /* pinned to the version it serves: an alias may have moved to the candidate */
        char pinned[400];
        if (t->name && t->version > 0)
            snprintf(pinned, sizeof(pinned), "models:/%s/%" PRId64, t->name, t->version);
        json_array_append_new(targets, json_pack("{s:s, s:i}", "model",
                                                 t->name && t->version > 0 ? pinned : t->model,
                                                 "weight", w));
    }
    /* the rounding's remainder to the first stable target */
    json_t *t0 = json_array_get(targets, 0);
    json_object_set_new(
        t0, "weight",
        json_integer(json_integer_value(json_object_get(t0, "weight")) + (100 - first - given)));
    json_array_append_new(targets, json_pack("{s:s}", "model", cand.buf));
    json_object_set_new(spec, "targets", targets);
    if (client_deployment_apply(ctx->c, spec, d.revision, &now, &changed, err))
        goto out;
    int64_t from = now.change, deadline = now_ms() + timeout;
    printf("deploy: applied %s to %s (revision %" PRId64 ")\n", cand.buf, name, now.revision);
    fflush(stdout);
    /* the outcome is the history's: complete (or promote) or rollback
     * after the apply; the phase alone is gone once a promote rewrote
     * the targets */
    const char *state = "applied";
    char *reason = NULL;
    while (wait) {
        struct deployment_change_list l = {0};
        if (client_deployment_history(ctx->c, name, &l, err))
            goto out;
        for (size_t i = 0; i < l.n && !strcmp(state, "applied"); i++) {
            const struct deployment_change *ch = &l.v[i];
            if (ch->change <= from)
                continue;
            if (!strcmp(ch->action, "complete") || !strcmp(ch->action, "promote"))
                state = "complete";
            else if (!strcmp(ch->action, "rollback")) {
                state = "rolled_back";
                reason = xstrdup(ch->reason ? ch->reason : "");
            } else if (!strcmp(ch->action, "apply") || !strcmp(ch->action, "delete")) {
                state = "replaced"; /* someone else applied: not ours to judge */
            }
        }
        deployment_change_list_release(&l);
        if (strcmp(state, "applied"))
            break;
        if (now_ms() >= deadline) {
            state = "timed_out";
            break;
        }
        struct timespec ts = {0, DEPLOY_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    json_t *changes = history_from(ctx->c, name, from, err);
    if (!changes) {
        free(reason);
        goto out;
    }
    report = json_pack("{s:s, s:s, s:s, s:s, s:o}", "deployment", name, "candidate", cand.buf,
                       "state", state, "reason", reason ? reason : "", "changes", changes);
    if (builtin_write_json(ctx->out_dir, "rollout.json", report, err)) {
        free(reason);
        goto out;
    }
    if (!strcmp(state, "rolled_back")) {
        fprintf(stderr, "deploy: rolled back: %s\n", reason ? reason : "");
        rc = 1;
    } else if (!strcmp(state, "timed_out")) {
        fprintf(stderr, "deploy: %s: the rollout of %s did not finish within the timeout\n", name,
                cand.buf);
        rc = 1;
    } else if (!strcmp(state, "replaced")) {
        fprintf(stderr, "deploy: %s was applied again by someone else during the rollout\n", name);
        rc = 1;
    } else {
        printf("deploy: %s: %s\n", name, state);
        rc = 0;
    }
    free(reason);
out:
    if (have)
        deployment_release(&d);
    deployment_release(&now);
    json_decref(spec);
    json_decref(report);
    sbuf_release(&cand);
    return rc;
}
