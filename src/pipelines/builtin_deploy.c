/* SPDX-License-Identifier: MIT
 * ferry/deploy: a registered version rolled out through an existing
 * deployment. The deployment's spec is applied again with the version as
 * its rollout's candidate (the last target, without a weight; a previous
 * candidate - a last target without a weight - is replaced), keeping its
 * own rollout settings; then (wait, the default) the deployment is read
 * every 500 ms until its rollout completes (exit 0) or rolls back (exit 1
 * "rolled back: REASON"), or the timeout passes (exit 1). Whoever drives
 * rollouts (a `ferry server` with its gateway) must be running: an
 * embedded store has nobody stepping it, so only wait: false makes sense
 * there. rollout.json: {deployment, candidate, state, reason, changes:
 * [the history entries from the apply on]}. */
#include "pipelines/builtin_deploy.h"
#include "pipelines/builtin_util.h"
#include "base/duration.h"
#include "base/sbuf.h"
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
    if (!d.spec.rollout.present) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "deployment '%.64s' has no rollout: ferry/deploy rolls a candidate out through "
                 "the deployment's rollout settings",
                 name);
        goto out;
    }
    /* the stable targets (with weights) as they are, then the candidate */
    spec = deployment_spec_to_json(&d.spec);
    targets = json_array();
    for (size_t i = 0; i < d.spec.ntargets; i++) {
        const struct deploy_target *t = &d.spec.targets[i];
        if (t->weight < 0)
            continue; /* the previous candidate */
        json_array_append_new(targets,
                              json_pack("{s:s, s:i}", "model", t->model, "weight", t->weight));
    }
    json_array_append_new(targets, json_pack("{s:s}", "model", cand.buf));
    json_object_set_new(spec, "targets", targets);
    if (client_deployment_apply(ctx->c, spec, d.revision, &now, &changed, err))
        goto out;
    int64_t from = now.change, deadline = now_ms() + timeout;
    printf("deploy: applied %s to %s (revision %" PRId64 ")\n", cand.buf, name, now.revision);
    fflush(stdout);
    const char *state = "applied", *reason = "";
    while (wait) {
        if (now.status.phase == DEPLOY_COMPLETE) {
            state = "complete";
            break;
        }
        if (now.status.phase == DEPLOY_ROLLED_BACK) {
            state = "rolled_back";
            reason = now.status.reason ? now.status.reason : "";
            break;
        }
        if (now_ms() >= deadline) {
            state = "timed_out";
            break;
        }
        struct timespec ts = {0, DEPLOY_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
        deployment_release(&now);
        memset(&now, 0, sizeof(now));
        if (client_deployment_get(ctx->c, name, &now, err))
            goto out;
    }
    json_t *changes = history_from(ctx->c, name, from, err);
    if (!changes)
        goto out;
    report = json_pack("{s:s, s:s, s:s, s:s, s:o}", "deployment", name, "candidate", cand.buf,
                       "state", state, "reason", reason, "changes", changes);
    if (builtin_write_json(ctx->out_dir, "rollout.json", report, err))
        goto out;
    if (!strcmp(state, "rolled_back")) {
        fprintf(stderr, "deploy: rolled back: %s\n", reason);
        rc = 1;
    } else if (!strcmp(state, "timed_out")) {
        fprintf(stderr, "deploy: %s: the rollout of %s did not finish within the timeout\n", name,
                cand.buf);
        rc = 1;
    } else {
        printf("deploy: %s: %s\n", name, state);
        rc = 0;
    }
out:
    if (have)
        deployment_release(&d);
    deployment_release(&now);
    json_decref(spec);
    json_decref(report);
    sbuf_release(&cand);
    return rc;
}
