/* SPDX-License-Identifier: MIT */
#include "domain/deployment.h"
#include "domain/spec_field.h"
#include "base/duration.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

#define SPEC "deployment spec"

static int bad(struct ferr *err, const char *path, const char *why)
{
    return spec_bad(SPEC, path, why, err);
}

int deployment_name_check(const char *name, struct ferr *err)
{
    size_t n = name ? strlen(name) : 0;
    int ok = n >= 1 && n <= 64 && isalnum((unsigned char)name[0]);
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || strchr("_.-", name[i]);
    if (!ok)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid deployment name '%.100s': 1 to 64 letters, digits, '_', '.' or "
                        "'-', starting with a letter or digit",
                        name ? name : "");
    return 0;
}

/* The form only; the registry decides when it resolves the URI. */
static int model_uri_ok(const char *uri)
{
    return !strncmp(uri, "models:/", 8) && uri[8] && uri[8] != '/' && strlen(uri) <= 600;
}

static int parse_target(json_t *t, const char *path, int answering, struct deploy_target *out,
                        struct ferr *err)
{
    static const char *const target_keys[] = {"model", "weight", "name", "version", NULL};
    static const char *const shadow_keys[] = {"model", "name", "version", NULL};
    char sub[64];
    out->weight = -1;
    if (!json_is_object(t))
        return bad(err, path, "must be an object such as {model: \"models:/NAME/VERSION\"}");
    if (spec_only_keys(SPEC, t, path, answering ? target_keys : shadow_keys, err))
        return -1;
    json_t *m = json_object_get(t, "model");
    snprintf(sub, sizeof(sub), "%s.model", path);
    if (!json_is_string(m) || !model_uri_ok(json_string_value(m)))
        return bad(err, sub,
                   "must be a registered model's URI: models:/NAME/VERSION, models:/NAME@ALIAS, "
                   "models:/NAME/STAGE or models:/NAME/latest");
    out->model = xstrdup(json_string_value(m));
    json_t *w = json_object_get(t, "weight");
    if (answering && w && !json_is_null(w)) {
        int64_t v;
        snprintf(sub, sizeof(sub), "%s.weight", path);
        if (spec_int(SPEC, w, sub, 0, 100, &v, err))
            return -1;
        out->weight = (int)v;
    }
    json_t *name = json_object_get(t, "name"), *version = json_object_get(t, "version");
    if (name || version) { /* resolved, as stored */
        int64_t v;
        snprintf(sub, sizeof(sub), "%s.version", path);
        if (!json_is_string(name) || spec_int(SPEC, version, sub, 1, INT64_MAX / 2, &v, err))
            return bad(err, path, "has a malformed resolved name/version");
        out->name = xstrdup(json_string_value(name));
        out->version = v;
    }
    return 0;
}

static int parse_targets(json_t *doc, const char *key, int answering, struct deploy_target *out,
                         size_t max, size_t *n, struct ferr *err)
{
    json_t *arr = json_object_get(doc, key);
    char path[48];
    *n = 0;
    if (!arr || json_is_null(arr)) {
        if (answering)
            return bad(err, key, "is required: a list of {model, weight}");
        return 0;
    }
    if (!json_is_array(arr) || (answering && json_array_size(arr) == 0) ||
        json_array_size(arr) > max) {
        char why[80];
        snprintf(why, sizeof(why), "must be a list of %d to %zu entries", answering ? 1 : 0, max);
        return bad(err, key, why);
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        snprintf(path, sizeof(path), "%s[%zu]", key, i);
        (*n)++;
        if (parse_target(json_array_get(arr, i), path, answering, &out[i], err))
            return -1;
    }
    return 0;
}

static int parse_guards(json_t *g, struct deploy_guards *out, struct ferr *err)
{
    static const char *const keys[] = {"window",
                                       "max_error_rate",
                                       "max_p99_ms",
                                       "min_samples",
                                       "max_latency_ratio",
                                       "min_accuracy_delta",
                                       "min_labels",
                                       NULL};
    out->window_ms = 30000;
    out->min_labels = 500;
    out->max_error_rate = out->max_p99_ms = out->max_latency_ratio = -1;
    out->min_samples = 20;
    if (!g || json_is_null(g))
        return 0;
    if (!json_is_object(g))
        return bad(err, "rollout.guards", "must be an object");
    if (spec_only_keys(SPEC, g, "rollout.guards", keys, err))
        return -1;
    json_t *v;
    if ((v = json_object_get(g, "window")) &&
        spec_duration(SPEC, v, "rollout.guards.window", &out->window_ms, err))
        return -1;
    if ((v = json_object_get(g, "max_error_rate")) &&
        spec_real(SPEC, v, "rollout.guards.max_error_rate", 0, 1, &out->max_error_rate, err))
        return -1;
    if ((v = json_object_get(g, "max_p99_ms")) &&
        spec_real(SPEC, v, "rollout.guards.max_p99_ms", 0, 3.6e6, &out->max_p99_ms, err))
        return -1;
    if ((v = json_object_get(g, "max_latency_ratio")) &&
        spec_real(SPEC, v, "rollout.guards.max_latency_ratio", 1, 1000, &out->max_latency_ratio,
                  err))
        return -1;
    if ((v = json_object_get(g, "min_samples")) &&
        spec_int(SPEC, v, "rollout.guards.min_samples", 1, 1000000000, &out->min_samples, err))
        return -1;
    if ((v = json_object_get(g, "min_accuracy_delta")) && !json_is_null(v)) {
        if (spec_real(SPEC, v, "rollout.guards.min_accuracy_delta", -1, 0, &out->min_accuracy_delta,
                      err))
            return -1;
        out->has_accuracy_delta = 1;
    }
    if ((v = json_object_get(g, "min_labels")) &&
        spec_int(SPEC, v, "rollout.guards.min_labels", 1, 1000000000, &out->min_labels, err))
        return -1;
    return 0;
}

static int parse_rollout(json_t *r, struct deploy_rollout *out, struct ferr *err)
{
    static const char *const keys[] = {"steps",         "interval", "min_requests",
                                       "failure_limit", "guards",   NULL};
    char path[48];
    json_t *v;
    if (!json_is_object(r))
        return bad(err, "rollout", "must be an object with steps, interval, min_requests, guards");
    if (spec_only_keys(SPEC, r, "rollout", keys, err))
        return -1;
    out->present = 1;
    out->interval_ms = 60000;
    out->min_requests = 100;
    out->failure_limit = 1;
    json_t *steps = json_object_get(r, "steps");
    if (!json_is_array(steps) || json_array_size(steps) == 0 ||
        json_array_size(steps) > DEPLOY_MAX_STEPS)
        return bad(err, "rollout.steps",
                   "must be a list of 1 to 32 weights, such as [10, 50, 100]");
    for (size_t i = 0; i < json_array_size(steps); i++) {
        int64_t w;
        snprintf(path, sizeof(path), "rollout.steps[%zu]", i);
        if (spec_int(SPEC, json_array_get(steps, i), path, 1, 100, &w, err))
            return -1;
        if (i && w <= out->steps[i - 1])
            return bad(err, "rollout.steps", "must increase strictly");
        out->steps[out->nsteps++] = (int)w;
    }
    if ((v = json_object_get(r, "interval")) &&
        spec_duration(SPEC, v, "rollout.interval", &out->interval_ms, err))
        return -1;
    if ((v = json_object_get(r, "min_requests")) &&
        spec_int(SPEC, v, "rollout.min_requests", 0, 1000000000, &out->min_requests, err))
        return -1;
    int64_t fl;
    if ((v = json_object_get(r, "failure_limit"))) {
        if (spec_int(SPEC, v, "rollout.failure_limit", 1, 1000, &fl, err))
            return -1;
        out->failure_limit = (int)fl;
    }
    return parse_guards(json_object_get(r, "guards"), &out->guards, err);
}

static void log_defaults(struct deploy_log *l)
{
    l->sample = 1;
    l->max_payload_bytes = 1 << 20;
    l->retention_ms = 30LL * 86400000;
}

static int parse_columns(json_t *v, const char *path, char **out, size_t *n, struct ferr *err)
{
    if (!json_is_array(v) || json_array_size(v) > DEPLOY_LOG_MAX_COLUMNS)
        return bad(err, path, "must be a list of at most 64 column names");
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *c = json_string_value(json_array_get(v, i));
        if (!c || !*c || strlen(c) > 250)
            return bad(err, path, "must hold column names (1 to 250 characters)");
        out[(*n)++] = xstrdup(c);
    }
    return 0;
}

static int parse_log(json_t *log, struct deploy_log *out, struct ferr *err)
{
    static const char *const keys[] = {"sample",       "max_payload_bytes", "exclude_columns",
                                       "hash_columns", "retention",         NULL};
    json_t *v;
    if (!json_is_object(log))
        return bad(err, "log", "must be an object such as {sample: 1.0}");
    if (spec_only_keys(SPEC, log, "log", keys, err))
        return -1;
    out->present = 1;
    if ((v = json_object_get(log, "sample")) &&
        spec_real(SPEC, v, "log.sample", 0, 1, &out->sample, err))
        return -1;
    if ((v = json_object_get(log, "max_payload_bytes")) &&
        spec_int(SPEC, v, "log.max_payload_bytes", 0, 1LL << 30, &out->max_payload_bytes, err))
        return -1;
    if ((v = json_object_get(log, "exclude_columns")) &&
        parse_columns(v, "log.exclude_columns", out->exclude_columns, &out->nexclude, err))
        return -1;
    if ((v = json_object_get(log, "hash_columns")) &&
        parse_columns(v, "log.hash_columns", out->hash_columns, &out->nhash, err))
        return -1;
    if ((v = json_object_get(log, "retention"))) {
        if (spec_duration(SPEC, v, "log.retention", &out->retention_ms, err))
            return -1;
        if (out->retention_ms < 86400000)
            return bad(err, "log.retention",
                       "must be at least a day (1d): the log drops whole days");
    }
    return 0;
}

int deploy_log_lists(char *const *list, size_t n, const char *column)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], column))
            return 1;
    return 0;
}

static json_t *log_json(const struct deploy_log *l)
{
    char d[24];
    json_t *ex = json_array(), *hash = json_array();
    for (size_t i = 0; i < l->nexclude; i++)
        json_array_append_new(ex, json_string(l->exclude_columns[i]));
    for (size_t i = 0; i < l->nhash; i++)
        json_array_append_new(hash, json_string(l->hash_columns[i]));
    duration_format(l->retention_ms, d);
    return json_pack("{s:f, s:I, s:o, s:o, s:s}", "sample", l->sample, "max_payload_bytes",
                     (json_int_t)l->max_payload_bytes, "exclude_columns", ex, "hash_columns", hash,
                     "retention", d);
}

static void log_release(struct deploy_log *l)
{
    for (size_t i = 0; i < l->nexclude; i++)
        free(l->exclude_columns[i]);
    for (size_t i = 0; i < l->nhash; i++)
        free(l->hash_columns[i]);
}

static int check_weights(struct deployment_spec *s, struct ferr *err)
{
    int sum = 0;
    size_t cand = s->ntargets - 1;
    if (s->rollout.present) {
        if (s->targets[cand].weight >= 0 && s->targets[cand].weight != s->rollout.steps[0])
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "deployment spec: the rollout's candidate (the last target) starts "
                            "at rollout.steps[0] = %d: leave its weight out or make it %d",
                            s->rollout.steps[0], s->rollout.steps[0]);
        if (s->ntargets < 2)
            return bad(err, "targets",
                       "needs a stable target before the rollout's candidate (the last one)");
    }
    for (size_t i = 0; i < s->ntargets; i++) {
        int w = s->targets[i].weight;
        if (w < 0 && !(s->rollout.present && i == cand)) {
            char path[48];
            snprintf(path, sizeof(path), "targets[%zu].weight", i);
            return bad(err, path, "is required (an integer from 0 to 100)");
        }
        sum += w < 0 ? s->rollout.steps[0] : w;
    }
    if (sum != 100)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "deployment spec: the targets' weights sum to %d, not 100", sum);
    if (s->rollout.present) {
        int others = 0;
        for (size_t i = 0; i < cand; i++)
            others += s->targets[i].weight;
        if (others == 0 && s->rollout.steps[s->rollout.nsteps - 1] < 100)
            return bad(err, "targets", "give the stable targets a weight to share the rest");
    }
    for (size_t i = 0; i < s->ntargets + s->nshadows; i++)
        for (size_t j = 0; j < i; j++) {
            const struct deploy_target *a =
                i < s->ntargets ? &s->targets[i] : &s->shadows[i - s->ntargets];
            const struct deploy_target *b =
                j < s->ntargets ? &s->targets[j] : &s->shadows[j - s->ntargets];
            if (!strcmp(a->model, b->model))
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "deployment spec: '%.200s' is listed twice", a->model);
        }
    return 0;
}

int deployment_spec_parse(json_t *doc, struct deployment_spec *out, struct ferr *err)
{
    static const char *const keys[] = {
        "name",          "targets", "shadow", "routing",        "rollout", "shadow_sample",
        "promote_alias", "log",     "task",   "positive_label", NULL};
    json_t *v;
    memset(out, 0, sizeof(*out));
    out->shadow_sample = 1;
    if (!json_is_object(doc))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "deployment spec: must be an object (YAML mapping) with name and targets");
    if (spec_only_keys(SPEC, doc, "", keys, err))
        goto fail;
    v = json_object_get(doc, "name");
    if (!json_is_string(v)) {
        bad(err, "name", "is required: the deployment's name");
        goto fail;
    }
    if (deployment_name_check(json_string_value(v), err))
        goto fail;
    out->name = xstrdup(json_string_value(v));
    if (parse_targets(doc, "targets", 1, out->targets, DEPLOY_MAX_TARGETS, &out->ntargets, err) ||
        parse_targets(doc, "shadow", 0, out->shadows, DEPLOY_MAX_SHADOWS, &out->nshadows, err))
        goto fail;
    if ((v = json_object_get(doc, "routing")) && !json_is_null(v)) {
        static const char *const rkeys[] = {"key", NULL};
        json_t *k = json_object_get(v, "key");
        const char *ks = json_string_value(k);
        if (!json_is_object(v) || spec_only_keys(SPEC, v, "routing", rkeys, err)) {
            if (!json_is_object(v))
                bad(err, "routing", "must be an object such as {key: \"header:X-User-Id\"}");
            goto fail;
        }
        if (!ks ||
            !((!strncmp(ks, "header:", 7) && ks[7]) || (!strncmp(ks, "json:", 5) && ks[5])) ||
            strlen(ks) > 200) {
            bad(err, "routing.key", "must be \"header:<Name>\" or \"json:<field>\"");
            goto fail;
        }
        for (const char *p = strchr(ks, ':') + 1; *p && !strncmp(ks, "header:", 7); p++)
            if (!isalnum((unsigned char)*p) && !strchr("-_", *p)) {
                bad(err, "routing.key", "names a header with a character headers cannot have");
                goto fail;
            }
        out->routing_key = xstrdup(ks);
    }
    if ((v = json_object_get(doc, "shadow_sample")) && !json_is_null(v) &&
        spec_real(SPEC, v, "shadow_sample", 0, 1, &out->shadow_sample, err))
        goto fail;
    if ((v = json_object_get(doc, "rollout")) && !json_is_null(v) &&
        parse_rollout(v, &out->rollout, err))
        goto fail;
    if ((v = json_object_get(doc, "promote_alias")) && !json_is_null(v)) {
        const char *a = json_string_value(v);
        size_t n = a ? strlen(a) : 0;
        if (!n || n > 255 || strchr(a, '/') || strchr(a, '@') || !strcasecmp(a, "latest")) {
            bad(err, "promote_alias", "must be an alias name (not 'latest', no '/' or '@')");
            goto fail;
        }
        if (!out->rollout.present) {
            bad(err, "promote_alias", "needs a rollout (the alias moves when it completes)");
            goto fail;
        }
        out->promote_alias = xstrdup(a);
    }
    log_defaults(&out->log);
    if ((v = json_object_get(doc, "log")) && !json_is_null(v) && parse_log(v, &out->log, err))
        goto fail;
    if ((v = json_object_get(doc, "task")) && !json_is_null(v)) {
        const char *t = json_string_value(v);
        if (!t || (strcmp(t, "classification") && strcmp(t, "regression"))) {
            bad(err, "task", "must be \"classification\" or \"regression\"");
            goto fail;
        }
        out->task = xstrdup(t);
    }
    if ((v = json_object_get(doc, "positive_label")) && !json_is_null(v)) {
        if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v)) {
            bad(err, "positive_label", "must be a label (a number or a string)");
            goto fail;
        }
        out->positive_label = json_deep_copy(v);
    }
    if (check_weights(out, err))
        goto fail;
    return 0;
fail:
    deployment_spec_release(out);
    return -1;
}

static json_t *target_json(const struct deploy_target *t, int answering)
{
    json_t *o = json_pack("{s:s}", "model", t->model);
    if (answering && t->weight >= 0)
        json_object_set_new(o, "weight", json_integer(t->weight));
    if (t->name) {
        json_object_set_new(o, "name", json_string(t->name));
        json_object_set_new(o, "version", json_integer(t->version));
    }
    return o;
}

json_t *deployment_spec_to_json(const struct deployment_spec *s)
{
    char d[24];
    json_t *o = json_pack("{s:s}", "name", s->name);
    json_t *targets = json_array(), *shadows = json_array();
    for (size_t i = 0; i < s->ntargets; i++)
        json_array_append_new(targets, target_json(&s->targets[i], 1));
    for (size_t i = 0; i < s->nshadows; i++)
        json_array_append_new(shadows, target_json(&s->shadows[i], 0));
    json_object_set_new(o, "targets", targets);
    json_object_set_new(o, "shadow", shadows);
    if (s->routing_key)
        json_object_set_new(o, "routing", json_pack("{s:s}", "key", s->routing_key));
    json_object_set_new(o, "shadow_sample", json_real(s->shadow_sample));
    if (s->rollout.present) {
        const struct deploy_rollout *r = &s->rollout;
        const struct deploy_guards *g = &r->guards;
        json_t *steps = json_array();
        for (size_t i = 0; i < r->nsteps; i++)
            json_array_append_new(steps, json_integer(r->steps[i]));
        duration_format(g->window_ms, d);
        json_t *guards =
            json_pack("{s:s, s:I}", "window", d, "min_samples", (json_int_t)g->min_samples);
        if (g->max_error_rate >= 0)
            json_object_set_new(guards, "max_error_rate", json_real(g->max_error_rate));
        if (g->max_p99_ms >= 0)
            json_object_set_new(guards, "max_p99_ms", json_real(g->max_p99_ms));
        if (g->max_latency_ratio >= 0)
            json_object_set_new(guards, "max_latency_ratio", json_real(g->max_latency_ratio));
        if (g->has_accuracy_delta) {
            json_object_set_new(guards, "min_accuracy_delta", json_real(g->min_accuracy_delta));
            json_object_set_new(guards, "min_labels", json_integer(g->min_labels));
        }
        duration_format(r->interval_ms, d);
        json_object_set_new(o, "rollout",
                            json_pack("{s:o, s:s, s:I, s:i, s:o}", "steps", steps, "interval", d,
                                      "min_requests", (json_int_t)r->min_requests, "failure_limit",
                                      r->failure_limit, "guards", guards));
    }
    if (s->promote_alias)
        json_object_set_new(o, "promote_alias", json_string(s->promote_alias));
    if (s->log.present)
        json_object_set_new(o, "log", log_json(&s->log));
    if (s->task)
        json_object_set_new(o, "task", json_string(s->task));
    if (s->positive_label)
        json_object_set(o, "positive_label", s->positive_label);
    return o;
}

static void target_release(struct deploy_target *t)
{
    free(t->model);
    free(t->name);
}

void deployment_spec_release(struct deployment_spec *s)
{
    if (!s)
        return;
    free(s->name);
    for (size_t i = 0; i < s->ntargets; i++)
        target_release(&s->targets[i]);
    for (size_t i = 0; i < s->nshadows; i++)
        target_release(&s->shadows[i]);
    free(s->routing_key);
    free(s->promote_alias);
    log_release(&s->log);
    free(s->task);
    json_decref(s->positive_label);
    memset(s, 0, sizeof(*s));
}

int deployment_candidate(const struct deployment_spec *s)
{
    return s->rollout.present ? (int)s->ntargets - 1 : -1;
}

static const char *const phase_names[] = {"STABLE", "PROGRESSING", "PAUSED", "ROLLED_BACK",
                                          "COMPLETE"};

const char *deploy_phase_name(enum deploy_phase p)
{
    return (size_t)p < sizeof(phase_names) / sizeof(*phase_names) ? phase_names[p] : "UNKNOWN";
}

int deploy_phase_parse(const char *s, enum deploy_phase *out)
{
    for (size_t i = 0; s && i < sizeof(phase_names) / sizeof(*phase_names); i++)
        if (!strcmp(s, phase_names[i])) {
            *out = (enum deploy_phase)i;
            return 0;
        }
    return -1;
}

void deployment_weights(const struct deployment_spec *s, struct deployment_status *st)
{
    memset(st->weights, 0, sizeof(st->weights));
    int cand = deployment_candidate(s);
    if (cand < 0) {
        for (size_t i = 0; i < s->ntargets; i++)
            st->weights[i] = s->targets[i].weight;
        return;
    }
    int share = st->phase == DEPLOY_ROLLED_BACK ? 0 : s->rollout.steps[st->step];
    int rest = 100 - share, others = 0, given = 0;
    st->weights[cand] = share;
    for (int i = 0; i < cand; i++)
        others += s->targets[i].weight;
    if (others == 0) { /* only possible at a final step of 100 */
        st->weights[cand] = 100;
        return;
    }
    /* largest remainders: floors first, then the leftover points one by
     * one to the biggest remainders (earlier target on ties) */
    int rem[DEPLOY_MAX_TARGETS];
    for (int i = 0; i < cand; i++) {
        st->weights[i] = rest * s->targets[i].weight / others;
        rem[i] = rest * s->targets[i].weight % others;
        given += st->weights[i];
    }
    while (given < rest) {
        int best = 0;
        for (int i = 1; i < cand; i++)
            if (rem[i] > rem[best])
                best = i;
        st->weights[best]++;
        rem[best] = -1;
        given++;
    }
}

void deployment_status_initial(const struct deployment_spec *s, int64_t now_ms,
                               struct deployment_status *out)
{
    memset(out, 0, sizeof(*out));
    out->phase = s->rollout.present ? DEPLOY_PROGRESSING : DEPLOY_STABLE;
    out->step = s->rollout.present ? 0 : -1;
    out->step_started_ms = now_ms;
    deployment_weights(s, out);
}

json_t *deployment_status_to_json(const struct deployment_status *st, size_t ntargets)
{
    json_t *w = json_array();
    for (size_t i = 0; i < ntargets; i++)
        json_array_append_new(w, json_integer(st->weights[i]));
    json_t *o = json_pack("{s:s, s:i, s:I, s:i, s:o}", "phase", deploy_phase_name(st->phase),
                          "step", st->step, "step_started_ms", (json_int_t)st->step_started_ms,
                          "failures", st->failures, "weights", w);
    if (st->reason)
        json_object_set_new(o, "reason", json_string(st->reason));
    return o;
}

int deployment_status_parse(json_t *doc, size_t ntargets, struct deployment_status *out,
                            struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    json_t *w = json_object_get(doc, "weights");
    int sum = 0;
    if (!json_is_object(doc) ||
        deploy_phase_parse(json_string_value(json_object_get(doc, "phase")), &out->phase) ||
        !json_is_array(w) || json_array_size(w) != ntargets)
        return ferr_set(err, FERR_INTERNAL_ERROR, "a deployment's stored status is malformed");
    out->step = (int)json_integer_value(json_object_get(doc, "step"));
    out->step_started_ms = json_integer_value(json_object_get(doc, "step_started_ms"));
    out->failures = (int)json_integer_value(json_object_get(doc, "failures"));
    for (size_t i = 0; i < ntargets; i++) {
        json_int_t v = json_integer_value(json_array_get(w, i));
        if (v < 0 || v > 100)
            return ferr_set(err, FERR_INTERNAL_ERROR,
                            "a deployment's stored weights are malformed");
        out->weights[i] = (int)v;
        sum += (int)v;
    }
    if (sum != 100 || out->step < -1 || out->step >= DEPLOY_MAX_STEPS)
        return ferr_set(err, FERR_INTERNAL_ERROR, "a deployment's stored status is malformed");
    const char *reason = json_string_value(json_object_get(doc, "reason"));
    out->reason = reason ? xstrdup(reason) : NULL;
    return 0;
}

void deployment_status_release(struct deployment_status *st)
{
    if (st) {
        free(st->reason);
        st->reason = NULL;
    }
}

void deployment_status_copy(const struct deployment_status *from, struct deployment_status *to)
{
    *to = *from;
    to->reason = xstrdup_or_null(from->reason);
}

/* ---------- routing keys ---------- */

static int scalar_text(json_t *v, char *out, size_t size)
{
    if (json_is_string(v))
        snprintf(out, size, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, size, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, size, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(out, size, "%s", json_is_true(v) ? "true" : "false");
    else
        return -1;
    return 0;
}

static json_t *first_row_field(json_t *doc, const char *field)
{
    json_t *v, *rows;
    if ((v = json_object_get(doc, field)))
        return v;
    if ((rows = json_object_get(doc, "dataframe_records")) && json_is_array(rows))
        return json_object_get(json_array_get(rows, 0), field);
    if ((rows = json_object_get(doc, "instances")) && json_is_array(rows))
        return json_object_get(json_array_get(rows, 0), field);
    if ((rows = json_object_get(doc, "dataframe_split")) && json_is_object(rows)) {
        json_t *cols = json_object_get(rows, "columns");
        json_t *row = json_array_get(json_object_get(rows, "data"), 0);
        for (size_t i = 0; i < json_array_size(cols); i++)
            if (json_is_string(json_array_get(cols, i)) &&
                !strcmp(json_string_value(json_array_get(cols, i)), field))
                return json_array_get(row, i);
    }
    if ((rows = json_object_get(doc, "inputs")) && json_is_object(rows)) {
        v = json_object_get(rows, field);
        return json_is_array(v) ? json_array_get(v, 0) : v;
    }
    return NULL;
}

int deployment_json_routing_key(const char *body, size_t len, const char *field, char *out,
                                size_t size)
{
    json_t *doc = json_loadb(body, len, 0, NULL);
    int rc = doc ? scalar_text(first_row_field(doc, field), out, size) : -1;
    json_decref(doc);
    return rc;
}
