/* SPDX-License-Identifier: MIT
 * ferry/evaluate: the candidate (and the champion, when its alias exists)
 * scored on a CSV by ferry's own scorers (models/model.h: xgboost in
 * process, sklearn in the Python worker), metrics overall and per slice,
 * written to evaluation.json and logged to the step's run as
 * candidate_<metric> and champion_<metric>. */
#include "pipelines/builtin_evaluate.h"
#include "pipelines/builtin_util.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "base/fs_tree.h"
#include "client/client.h"
#include "client/client_registry.h"
#include "data/csv_columns.h"
#include "models/mlmodel.h"
#include "models/model.h"
#include "models/model_files.h"
#include "pipelines/eval_metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/banned.h"

#define SLICE_MAX_VALUES 100 /* "all": at most this many distinct values */

/* One model's predictions on the table. */
struct scored_model {
    double *pred;  /* rows */
    double *proba; /* rows * nproba, or NULL */
    size_t nproba;
    int labels;
};

static void scored_release(struct scored_model *s)
{
    free(s->pred);
    free(s->proba);
    memset(s, 0, sizeof(*s));
}

/* The feature matrix: the signature's input columns when it names them,
 * else every column but the target, in the CSV's order. */
static int features(const struct column_table *t, long target, const struct mlmodel *mm,
                    double **out, size_t *ncols, struct ferr *err)
{
    size_t n = 0;
    long *idx = xcalloc(t->ncols + mm->signature.ninputs + 1, sizeof(long));
    if (mm->signature.ninputs && mm->signature.inputs[0].name) {
        for (size_t i = 0; i < mm->signature.ninputs; i++) {
            long c = column_table_find(t, mm->signature.inputs[i].name);
            if (c < 0) {
                free(idx);
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "the data has no column '%.128s' (the model's signature needs it)",
                                mm->signature.inputs[i].name);
            }
            idx[n++] = c;
        }
    } else {
        for (size_t i = 0; i < t->ncols; i++)
            if ((long)i != target)
                idx[n++] = (long)i;
    }
    double *x = xcalloc(t->nrows * n + 1, sizeof(double));
    for (size_t k = 0; k < n; k++) {
        const struct drift_column *c = &t->cols[idx[k]];
        if (c->is_text) {
            free(x);
            free(idx);
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "column '%.128s' holds text: ferry's scorers take numbers", c->name);
        }
        for (size_t r = 0; r < t->nrows; r++)
            x[r * n + k] = c->num[r];
    }
    free(idx);
    *out = x;
    *ncols = n;
    return 0;
}

static int score(struct client *c, const char *uri, const struct column_table *t, long target,
                 struct scored_model *out, struct ferr *err)
{
    struct model_files f;
    struct model *m = NULL;
    struct model_opts mo = {1, 0};
    struct model_output o;
    double *x = NULL;
    size_t ncols = 0;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    memset(&o, 0, sizeof(o));
    if (model_files_open(c, uri, &f, err))
        return -1;
    if (model_load_dir(f.dir.buf, &mo, &m, err) ||
        features(t, target, model_mlmodel(m), &x, &ncols, err))
        goto out;
    struct model_input in = {t->nrows, ncols, x};
    if (model_predict(m, &in, &o, err))
        goto out;
    if (!o.values || o.rows != t->nrows || o.cols < 1) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "%.300s does not predict one number per row (ferry/evaluate scores tabular "
                 "classifiers and regressors)",
                 uri);
        goto out;
    }
    out->pred = xcalloc(t->nrows + 1, sizeof(double));
    for (size_t r = 0; r < t->nrows; r++)
        out->pred[r] = o.values[r * o.cols];
    if (o.proba && o.nproba) {
        out->proba = xcalloc(t->nrows * o.nproba + 1, sizeof(double));
        memcpy(out->proba, o.proba, t->nrows * o.nproba * sizeof(double));
        out->nproba = o.nproba;
    }
    out->labels = o.labels;
    rc = 0;
out:
    model_output_release(&o);
    free(x);
    model_free(m);
    model_files_close(&f);
    return rc;
}

/* Without `kind` and without class scores (sklearn answers predict's
 * labels only): classification when the target holds integers of at most
 * 20 distinct values and every prediction is one of them. */
static int looks_like_labels(const struct column_table *t, long ti, const struct scored_model *s)
{
    const struct drift_column *c = &t->cols[ti];
    double seen[20];
    size_t n = 0;
    if (drift_column_dtype(c) != DRIFT_DTYPE_INT && drift_column_dtype(c) != DRIFT_DTYPE_BOOL)
        return 0;
    for (size_t r = 0; r < t->nrows; r++) {
        size_t i;
        for (i = 0; i < n && seen[i] != c->num[r]; i++)
            ;
        if (i == n) {
            if (n == 20)
                return 0;
            seen[n++] = c->num[r];
        }
    }
    for (size_t r = 0; r < t->nrows; r++) {
        size_t i;
        for (i = 0; i < n && seen[i] != s->pred[r]; i++)
            ;
        if (i == n)
            return 0;
    }
    return 1;
}

/* models:/NAME@ALIAS: 1 when the alias exists, 0 when it (or the model)
 * does not, -1 on another error. */
static int champion_exists(struct client *c, const char *uri, struct ferr *err)
{
    const char *at = strrchr(uri, '@');
    if (strncmp(uri, "models:/", 8) || !at || at == uri + 8)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "with.champion must be models:/NAME@ALIAS, got '%.200s'", uri);
    struct sbuf name = SBUF_INIT;
    sbuf_add(&name, uri + 8, (size_t)(at - uri - 8));
    struct registered_model m;
    int rc = client_get_registered_model(c, name.buf, &m, err);
    sbuf_release(&name);
    if (rc) {
        if (err->code != FERR_RESOURCE_DOES_NOT_EXIST)
            return -1;
        ferr_clear(err);
        return 0;
    }
    rc = kv_list_get(&m.aliases, at + 1) != NULL;
    registered_model_release(&m);
    return rc;
}

/* The slices: [{column, value, mask}] from with.slices. */
struct slice {
    const char *column;
    json_t *value; /* as written in the report */
    unsigned char *mask;
};

static int value_matches(const struct drift_column *c, size_t r, json_t *v)
{
    double d;
    if (c->is_text) {
        if (c->codes[r] == DRIFT_CODE_MISSING || !json_is_string(v))
            return 0;
        return c->dict.lens[c->codes[r]] == json_string_length(v) &&
               !memcmp(c->dict.strs[c->codes[r]], json_string_value(v), json_string_length(v));
    }
    if (json_is_boolean(v))
        return c->num[r] == (json_is_true(v) ? 1.0 : 0.0);
    return !builtin_number(v, &d) && c->num[r] == d;
}

static int build_slices(json_t *spec, const struct column_table *t, struct slice **out, size_t *n,
                        struct ferr *err)
{
    const char *col;
    json_t *vals;
    *out = NULL;
    *n = 0;
    if (!spec || json_is_null(spec))
        return 0;
    if (!json_is_object(spec))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "with.slices must be a mapping {COLUMN: [values] | all}");
    json_object_foreach(spec, col, vals)
    {
        long ci = column_table_find(t, col);
        if (ci < 0)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "with.slices: the data has no column '%.128s'", col);
        const struct drift_column *c = &t->cols[ci];
        json_t *list = NULL;
        if (json_is_string(vals) && !strcmp(json_string_value(vals), "all")) {
            list = json_array();
            for (size_t r = 0; r < t->nrows && json_array_size(list) < SLICE_MAX_VALUES; r++) {
                json_t *v;
                if (c->is_text) {
                    if (c->codes[r] == DRIFT_CODE_MISSING)
                        continue;
                    v = json_stringn(c->dict.strs[c->codes[r]], c->dict.lens[c->codes[r]]);
                } else {
                    if (isnan(c->num[r]))
                        continue;
                    v = json_real(c->num[r]);
                    if (c->num[r] == floor(c->num[r]) && fabs(c->num[r]) < 1e15) {
                        json_decref(v);
                        v = json_integer((json_int_t)c->num[r]);
                    }
                }
                size_t i;
                json_t *x;
                int seen = 0;
                json_array_foreach(list, i, x) seen |= json_equal(x, v);
                if (seen)
                    json_decref(v);
                else
                    json_array_append_new(list, v);
            }
        } else if (json_is_array(vals)) {
            list = json_incref(vals);
        } else {
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "with.slices.%.128s must be a list of values or \"all\"", col);
        }
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v)
        {
            *out = xrealloc(*out, (*n + 1) * sizeof(**out));
            struct slice *s = &(*out)[(*n)++];
            s->column = col;
            s->value = json_incref(v);
            s->mask = xcalloc(t->nrows + 1, 1);
            for (size_t r = 0; r < t->nrows; r++)
                s->mask[r] = (unsigned char)value_matches(c, r, v);
        }
        json_decref(list);
    }
    return 0;
}

static void slices_release(struct slice *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(v[i].value);
        free(v[i].mask);
    }
    free(v);
}

static void log_side(struct metric_list *ml, const char *side, json_t *metrics, int64_t now)
{
    const char *k;
    json_t *v;
    json_object_foreach(metrics, k, v)
    {
        if (!json_is_real(v))
            continue;
        char key[200];
        snprintf(key, sizeof(key), "%s_%s", side, k);
        metric_list_add(ml, key, json_real_value(v), now, 0);
    }
}

int builtin_evaluate(struct builtin_ctx *ctx, struct ferr *err)
{
    const char *cand = builtin_str(ctx->with, "candidate"), *data = builtin_str(ctx->with, "data"),
               *target = builtin_str(ctx->with, "target"),
               *champ = builtin_str(ctx->with, "champion"), *kind = builtin_str(ctx->with, "kind");
    json_t *want = json_object_get(ctx->with, "metrics"), *report = NULL, *x;
    struct column_table *t = NULL;
    struct scored_model sc = {0}, sh = {0};
    struct slice *slices = NULL;
    size_t nslices = 0, i;
    char *local = NULL, *tmp = NULL;
    int rc = 2, has_champ = 0;
    if (!cand || !data || !target) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "with.candidate, with.data and with.target must be strings");
        goto out;
    }
    if (want && !json_is_null(want) && !json_is_array(want)) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "with.metrics must be a list of names");
        goto out;
    }
    if (json_is_null(want))
        want = NULL;
    if (kind && strcmp(kind, "classification") && strcmp(kind, "regression")) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "with.kind must be classification or regression");
        goto out;
    }
    if (builtin_local_csv(ctx->tracking_uri, data, &local, &tmp, err) ||
        csv_columns_read(local, 1, &t, err))
        goto out;
    long ti = column_table_find(t, target);
    if (ti < 0 || t->cols[ti].is_text) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 ti < 0 ? "the data has no target column '%.128s'"
                        : "the target column '%.128s' holds text: ferry/evaluate takes numbers",
                 target);
        goto out;
    }
    if (!t->nrows) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%.300s has no rows", data);
        goto out;
    }
    if (build_slices(json_object_get(ctx->with, "slices"), t, &slices, &nslices, err))
        goto out;
    if (score(ctx->c, cand, t, ti, &sc, err))
        goto out;
    if (champ) {
        if (!ctx->c) {
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no tracking store for the champion");
            goto out;
        }
        if ((has_champ = champion_exists(ctx->c, champ, err)) < 0 ||
            (has_champ && score(ctx->c, champ, t, ti, &sh, err)))
            goto out;
    }
    int is_class = kind ? !strcmp(kind, "classification")
                        : sc.labels || sc.proba != NULL || looks_like_labels(t, ti, &sc);
    json_array_foreach(want, i, x)
    {
        if (!json_is_string(x) || !eval_metric_known(json_string_value(x), is_class)) {
            ferr_set(
                err, FERR_INVALID_PARAMETER_VALUE, "with.metrics: unknown %s metric '%.64s' (%s)",
                is_class ? "classification" : "regression",
                json_is_string(x) ? json_string_value(x) : "?",
                is_class ? "accuracy, precision, recall, f1, roc_auc, log_loss" : "rmse, mae, r2");
            goto out;
        }
    }
    const double *y = t->cols[ti].num;
    struct eval_data dc = {t->nrows, y, sc.pred, sc.proba, sc.nproba},
                     dh = {t->nrows, y, sh.pred, sh.proba, sh.nproba};
    json_t *cm = eval_metrics(&dc, NULL, is_class, want);
    json_t *hm = has_champ ? eval_metrics(&dh, NULL, is_class, want) : NULL;
    report = json_pack("{s:s, s:s, s:s, s:I, s:{s:s, s:o}}", "kind",
                       is_class ? "classification" : "regression", "data", data, "target", target,
                       "rows", (json_int_t)t->nrows, "candidate", "uri", cand, "metrics", cm);
    if (hm)
        json_object_set_new(report, "champion",
                            json_pack("{s:s, s:o}", "uri", champ, "metrics", hm));
    else
        json_object_set_new(report, "champion", json_null());
    if (champ && !has_champ)
        json_object_set_new(report, "champion_note",
                            json_sprintf("no champion: %s does not exist", champ));
    json_t *sl = json_array();
    for (i = 0; i < nslices; i++) {
        json_t *s = json_pack(
            "{s:s, s:O, s:o}", "column", slices[i].column, "value", slices[i].value, "candidate",
            json_pack("{s:o}", "metrics", eval_metrics(&dc, slices[i].mask, is_class, want)));
        json_object_set_new(s, "champion",
                            has_champ ? json_pack("{s:o}", "metrics",
                                                  eval_metrics(&dh, slices[i].mask, is_class, want))
                                      : json_null());
        json_array_append_new(sl, s);
    }
    json_object_set_new(report, "slices", sl);
    if (builtin_write_json(ctx->out_dir, "evaluation.json", report, err))
        goto out;
    if (ctx->c && ctx->run_id) {
        struct metric_list ml = {0};
        int64_t now = (int64_t)time(NULL) * 1000;
        log_side(&ml, "candidate", cm, now);
        if (hm)
            log_side(&ml, "champion", hm, now);
        int bad = ml.n && client_log_batch(ctx->c, ctx->run_id, &ml, NULL, NULL, err);
        metric_list_release(&ml);
        if (bad)
            goto out;
    }
    char *text = json_dumps(cm, JSON_COMPACT | JSON_SORT_KEYS);
    printf("evaluate: candidate %s%s\n", text ? text : "",
           has_champ ? ""
           : champ   ? " (no champion)"
                     : "");
    free(text);
    if (hm) {
        text = json_dumps(hm, JSON_COMPACT | JSON_SORT_KEYS);
        printf("evaluate: champion %s %s\n", champ, text ? text : "");
        free(text);
    }
    rc = 0;
out:
    json_decref(report);
    scored_release(&sc);
    scored_release(&sh);
    slices_release(slices, nslices);
    column_table_free(t);
    free(local);
    if (tmp)
        (void)fs_remove_tree(tmp);
    free(tmp);
    return rc;
}
