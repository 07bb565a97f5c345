/* SPDX-License-Identifier: MIT
 * ferry/gate: the decision (pure) and the step around it: read the
 * evaluation, decide, write gate.json, tag the step's run. */
#include "pipelines/builtin_gate.h"
#include "pipelines/builtin_util.h"
#include "base/sbuf.h"
#include "client/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int gate_lower_is_better(const char *metric)
{
    static const char *const lower[] = {"rmse", "mae", "mse", "log_loss", NULL};
    for (const char *const *p = lower; *p; p++)
        if (!strcmp(*p, metric))
            return 1;
    return 0;
}

struct gate {
    json_t *with, *eval, *verdict, *reasons, *notes, *checks;
};

static int higher_better(const struct gate *g, const char *metric)
{
    json_t *v = json_object_get(json_object_get(g->with, "higher_is_better"), metric);
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_string(v))
        return !strcmp(json_string_value(v), "true");
    return !gate_lower_is_better(metric);
}

/* side.metrics[metric] into *out; -1 when absent or not a number. A number
 * as text counts: an evaluation written inline in a pipeline's YAML `with:`
 * arrives with its scalars as strings, as every with value does. */
static int metric_of(json_t *side, const char *metric, double *out)
{
    return builtin_number(json_object_get(json_object_get(side, "metrics"), metric), out);
}

static void metric_names(json_t *side, struct sbuf *out)
{
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(side, "metrics"), k, v)
    {
        if (out->len > 300)
            break;
        sbuf_addf(out, "%s%s", out->len ? ", " : "", k);
    }
}

static void fail(struct gate *g, const char *text)
{
    json_array_append_new(g->reasons, json_string(text));
}

static void no_metric(struct gate *g, const char *rule, const char *metric, json_t *side)
{
    struct sbuf names = SBUF_INIT, msg = SBUF_INIT;
    metric_names(side, &names);
    sbuf_addf(&msg, "%s: no metric '%.128s' in the evaluation (%s)", rule, metric,
              names.len ? names.buf : "none");
    fail(g, msg.buf);
    sbuf_release(&names);
    sbuf_release(&msg);
}

static void check(struct gate *g, const char *rule, const char *metric, json_t *slice, double cand,
                  int has_champ, double champ, double threshold, int passed)
{
    json_t *c = json_pack("{s:s, s:s, s:f, s:f, s:b}", "rule", rule, "metric", metric, "candidate",
                          cand, "threshold", threshold, "passed", passed);
    if (has_champ)
        json_object_set_new(c, "champion", json_real(champ));
    if (slice)
        json_object_set_new(c, "slice",
                            json_pack("{s:O, s:O}", "column", json_object_get(slice, "column"),
                                      "value", json_object_get(slice, "value")));
    json_array_append_new(g->checks, c);
}

/* The rule's map {metric: number}; NULL when absent. -1 when malformed. */
static int rule_map(json_t *with, const char *rule, json_t **out, struct ferr *err)
{
    const char *k;
    json_t *v;
    double d;
    *out = json_object_get(with, rule);
    if (!*out || json_is_null(*out)) {
        *out = NULL;
        return 0;
    }
    if (!json_is_object(*out))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "with.%s must be a mapping {metric: number}", rule);
    json_object_foreach(*out, k, v)
    {
        if (builtin_number(v, &d))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "with.%s.%.128s must be a number",
                            rule, k);
    }
    return 0;
}

static void rule_min(struct gate *g, json_t *map)
{
    const char *metric;
    json_t *v;
    json_t *cand = json_object_get(g->eval, "candidate");
    json_object_foreach(map, metric, v)
    {
        double want = 0, got;
        (void)builtin_number(v, &want);
        if (metric_of(cand, metric, &got)) {
            no_metric(g, "min", metric, cand);
            continue;
        }
        int hib = higher_better(g, metric), ok = hib ? got >= want : got <= want;
        check(g, "min", metric, NULL, got, 0, 0, want, ok);
        if (!ok) {
            char msg[400];
            snprintf(msg, sizeof(msg), "min: %.128s is %.6g, %s %.6g", metric, got,
                     hib ? "below the minimum" : "above the maximum", want);
            fail(g, msg);
        }
    }
}

static void rule_improvement(struct gate *g, json_t *map)
{
    const char *metric;
    json_t *v;
    json_t *cand = json_object_get(g->eval, "candidate"),
           *champ = json_object_get(g->eval, "champion");
    if (!json_is_object(champ)) {
        json_array_append_new(g->notes, json_string("min_improvement: no champion, not applied"));
        return;
    }
    json_object_foreach(map, metric, v)
    {
        double delta = 0, a, b;
        (void)builtin_number(v, &delta);
        if (metric_of(cand, metric, &a)) {
            no_metric(g, "min_improvement", metric, cand);
            continue;
        }
        if (metric_of(champ, metric, &b)) {
            no_metric(g, "min_improvement (champion)", metric, champ);
            continue;
        }
        int hib = higher_better(g, metric);
        double gain = hib ? a - b : b - a;
        int ok = gain >= delta;
        check(g, "min_improvement", metric, NULL, a, 1, b, delta, ok);
        if (!ok) {
            char msg[400];
            snprintf(msg, sizeof(msg),
                     "min_improvement: %.128s is %.6g against the champion's %.6g: an "
                     "improvement of %.6g, less than %.6g",
                     metric, a, b, gain, delta);
            fail(g, msg);
        }
    }
}

static void rule_slices(struct gate *g, json_t *map)
{
    const char *metric;
    json_t *v, *slice;
    size_t i;
    if (!json_is_object(json_object_get(g->eval, "champion"))) {
        json_array_append_new(g->notes,
                              json_string("max_slice_regression: no champion, not applied"));
        return;
    }
    json_object_foreach(map, metric, v)
    {
        double delta = 0, a, b;
        (void)builtin_number(v, &delta);
        int hib = higher_better(g, metric);
        json_array_foreach(json_object_get(g->eval, "slices"), i, slice)
        {
            if (metric_of(json_object_get(slice, "candidate"), metric, &a) ||
                metric_of(json_object_get(slice, "champion"), metric, &b))
                continue; /* a slice without the metric on both sides */
            double loss = hib ? b - a : a - b;
            int ok = loss <= delta;
            check(g, "max_slice_regression", metric, slice, a, 1, b, delta, ok);
            if (!ok) {
                char msg[600], *val = json_dumps(json_object_get(slice, "value"), JSON_ENCODE_ANY);
                snprintf(msg, sizeof(msg),
                         "max_slice_regression: %.128s on %.128s=%.128s is %.6g against the "
                         "champion's %.6g: worse by %.6g, more than %.6g",
                         metric, json_string_value(json_object_get(slice, "column")),
                         val ? val : "?", a, b, loss, delta);
                free(val);
                fail(g, msg);
            }
        }
    }
}

json_t *gate_decide(json_t *evaluation, json_t *with, struct ferr *err)
{
    json_t *min, *imp, *slices;
    if (!json_is_object(evaluation) || !json_is_object(json_object_get(evaluation, "candidate"))) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "the evaluation has no candidate (is it ferry/evaluate's report?)");
        return NULL;
    }
    if (rule_map(with, "min", &min, err) || rule_map(with, "min_improvement", &imp, err) ||
        rule_map(with, "max_slice_regression", &slices, err))
        return NULL;
    json_t *hib = json_object_get(with, "higher_is_better");
    if (hib && !json_is_null(hib) && !json_is_object(hib)) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "with.higher_is_better must be a mapping {metric: true|false}");
        return NULL;
    }
    struct gate g = {with, evaluation, NULL, json_array(), json_array(), json_array()};
    if (min)
        rule_min(&g, min);
    if (imp)
        rule_improvement(&g, imp);
    if (slices)
        rule_slices(&g, slices);
    int champ = json_is_object(json_object_get(evaluation, "champion"));
    if (!min && !imp && !slices)
        json_array_append_new(g.notes, json_string("no rule given: the gate passes"));
    return json_pack("{s:b, s:o, s:o, s:b, s:o}", "passed", json_array_size(g.reasons) == 0,
                     "reasons", g.reasons, "notes", g.notes, "champion", champ, "checks", g.checks);
}

int builtin_gate(struct builtin_ctx *ctx, struct ferr *err)
{
    json_t *ev = json_object_get(ctx->with, "evaluation"), *doc = NULL;
    /* a path to evaluation.json (the usual {steps.E.outputs.report}), or the object */
    if (json_is_string(ev)) {
        if (!(doc = builtin_read_json(json_string_value(ev), err)))
            return 2;
    } else {
        doc = json_incref(ev);
    }
    json_t *v = gate_decide(doc, ctx->with, err);
    json_decref(doc);
    if (!v)
        return 2;
    int passed = json_is_true(json_object_get(v, "passed"));
    json_t *reasons = json_object_get(v, "reasons");
    struct sbuf text = SBUF_INIT;
    size_t i;
    json_t *r;
    json_array_foreach(reasons, i, r)
    {
        sbuf_addf(&text, "%s%s", i ? "; " : "", json_string_value(r));
        fprintf(stderr, "gate: %s\n", json_string_value(r));
    }
    int rc = builtin_write_json(ctx->out_dir, "gate.json", v, err) ? 2 : 0;
    if (!rc && ctx->c && ctx->run_id) {
        struct kv_list tags = {0};
        kv_list_add(&tags, "ferry.gate.verdict", passed ? "passed" : "failed");
        kv_list_add(&tags, "ferry.gate.reasons", text.len ? text.buf : "");
        if (client_log_batch(ctx->c, ctx->run_id, NULL, NULL, &tags, err))
            rc = 2;
        kv_list_release(&tags);
    }
    if (!rc)
        printf("gate: %s%s%s\n", passed ? "passed" : "failed", text.len ? ": " : "",
               text.len ? text.buf : "");
    sbuf_release(&text);
    json_decref(v);
    return rc ? rc : passed ? 0 : 1;
}
