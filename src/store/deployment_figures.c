/* SPDX-License-Identifier: MIT */
#include "store/deployment_figures.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void target_figures_list_release(struct target_figures_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].target);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void deployment_target_key(const struct deployment *d, int shadow, size_t i, char *buf, size_t n)
{
    const struct deploy_target *t = shadow ? &d->spec.shadows[i] : &d->spec.targets[i];
    snprintf(buf, n, "%s%s/%" PRId64, shadow ? "shadow:" : "", t->name ? t->name : "?", t->version);
}

static void add_entry(struct target_figures_list *l, const char *key, int shadow, int weight)
{
    if (l->n == l->alloc) {
        l->alloc = l->alloc ? l->alloc * 2 : 8;
        l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
    }
    struct target_figures *f = &l->v[l->n++];
    memset(f, 0, sizeof(*f));
    f->target = xstrdup(key);
    f->shadow = shadow;
    f->weight = weight;
    latency_hist_init(&f->hist);
}

/* Adds row r into every entry of its target (a spec may name one version
 * twice; each entry shows the same traffic). */
static int add_row(struct target_figures_list *l, const struct deploy_stats *r, struct ferr *err)
{
    struct latency_hist h;
    int decoded = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct target_figures *f = &l->v[i];
        if (!r->target || strcmp(f->target, r->target))
            continue;
        if (!decoded) {
            const char *text = r->hist ? r->hist : "v1;0;";
            struct ferr herr = FERR_INIT;
            if (latency_hist_decode(text, strlen(text), &h, &herr))
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "gateway '%.100s' reported a bad histogram for %.200s: %s",
                                r->gateway ? r->gateway : "?", r->target, herr.msg);
            decoded = 1;
        }
        f->requests += r->requests;
        f->errors += r->errors;
        f->client_errors += r->client_errors;
        latency_hist_merge(&f->hist, &h);
    }
    return 0;
}

int deployment_figures(const struct deployment *d, const struct deploy_stats_list *rows,
                       int64_t since_ms, int64_t until_ms, struct target_figures_list *out,
                       struct ferr *err)
{
    char key[320];
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < d->spec.ntargets; i++) {
        deployment_target_key(d, 0, i, key, sizeof(key));
        add_entry(out, key, 0, i < DEPLOY_MAX_TARGETS ? d->status.weights[i] : 0);
    }
    for (size_t i = 0; i < d->spec.nshadows; i++) {
        deployment_target_key(d, 1, i, key, sizeof(key));
        add_entry(out, key, 1, 0);
    }
    for (size_t i = 0; rows && i < rows->n; i++) {
        const struct deploy_stats *r = &rows->v[i];
        if (r->second_ms < since_ms || r->second_ms >= until_ms)
            continue;
        if (add_row(out, r, err)) {
            target_figures_list_release(out);
            return -1;
        }
    }
    double seconds = until_ms > since_ms ? (double)(until_ms - since_ms) / 1000.0 : 0;
    for (size_t i = 0; i < out->n; i++) {
        struct target_figures *f = &out->v[i];
        f->error_rate = f->requests > 0 ? (double)f->errors / (double)f->requests : 0;
        f->rps = seconds > 0 ? (double)f->requests / seconds : 0;
        int any = latency_hist_count(&f->hist) > 0;
        f->p50_ms = any ? latency_hist_quantile(&f->hist, 0.5) / 1000.0 : NAN;
        f->p99_ms = any ? latency_hist_quantile(&f->hist, 0.99) / 1000.0 : NAN;
    }
    return 0;
}
