/* SPDX-License-Identifier: MIT */
#include "monitor/monitor_run.h"
#include "api/datasets_ops.h"
#include "api/monitors_ops.h"
#include "artifacts/place.h"
#include "base/fs_tree.h"
#include "base/ftime.h"
#include "base/json.h"
#include "base/log.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/registry.h"
#include "data/csv_columns.h"
#include "data/data_fetch.h"
#include "data/data_port.h"
#include "monitor/drift_report.h"
#include "monitor/monitor_window.h"
#include "store/prediction_performance.h"
#include "store/registry.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

#define COND_MAX 320
/* How far back the spec check looks for the columns the deployment logs. */
#define CHECK_LOOKBACK_MS (30LL * 86400 * 1000)

/* ---------- decisions ---------- */

const char *monitor_verdict_name(enum monitor_verdict v)
{
    switch (v) {
    case MONITOR_PASS:
        return "pass";
    case MONITOR_BREACH:
        return "breach";
    case MONITOR_PENDING:
        break;
    }
    return "pending";
}

enum monitor_verdict monitor_decay_judge(const struct monitor_decay *g, double value,
                                         double baseline, char *why, size_t n)
{
    if (n)
        why[0] = '\0';
    if (isnan(value)) {
        snprintf(why, n, "%s was not computed for the window", g->metric);
        return MONITOR_PENDING;
    }
    if (g->has_min && value < g->min) {
        snprintf(why, n, "%s %.4g is below the minimum %.4g", g->metric, value, g->min);
        return MONITOR_BREACH;
    }
    if (g->has_max && value > g->max) {
        snprintf(why, n, "%s %.4g is above the maximum %.4g", g->metric, value, g->max);
        return MONITOR_BREACH;
    }
    int need_base = g->has_max_drop || g->has_max_rise;
    if (need_base && !isnan(baseline)) {
        if (g->has_max_drop && baseline - value > g->max_drop) {
            snprintf(why, n, "%s %.4g dropped %.4g below the training run's %.4g (max_drop %.4g)",
                     g->metric, value, baseline - value, baseline, g->max_drop);
            return MONITOR_BREACH;
        }
        if (g->has_max_rise && value - baseline > g->max_rise) {
            snprintf(why, n, "%s %.4g rose %.4g above the training run's %.4g (max_rise %.4g)",
                     g->metric, value, value - baseline, baseline, g->max_rise);
            return MONITOR_BREACH;
        }
    }
    if (need_base && isnan(baseline)) {
        snprintf(why, n, "%s %.4g: the training run logged no %s to compare with", g->metric, value,
                 g->metric);
        return MONITOR_PENDING;
    }
    snprintf(why, n, "%s %.4g within bounds", g->metric, value);
    return MONITOR_PASS;
}

enum monitor_verdict monitor_verdict_merge(const enum monitor_verdict *v, size_t n)
{
    int pass = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == MONITOR_BREACH)
            return MONITOR_BREACH;
        pass |= v[i] == MONITOR_PASS;
    }
    return pass ? MONITOR_PASS : MONITOR_PENDING;
}

void monitor_condition_name(char *out, size_t n, const char *prefix, const char *column)
{
    snprintf(out, n, "%s%s", prefix, column ? column : "");
    for (char *p = out; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            *p = '_';
    if (strlen(out) > 300)
        out[300] = '\0';
}

int64_t monitor_window_start(const struct monitor_spec *spec, int64_t end_ms)
{
    if (spec->window_ms > 0)
        return end_ms - spec->window_ms;
    return spec->every_ms > 0 ? end_ms - spec->every_ms : end_ms - 1;
}

/* ---------- tables ---------- */

/* A table of t's columns named in names (those it has, in that order);
 * frees t. */
static struct column_table *table_select(struct column_table *t, const char *const *names, size_t n)
{
    const char **keep = xcalloc(n ? n : 1, sizeof(*keep));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (column_table_find(t, names[i]) >= 0)
            keep[k++] = names[i];
    struct column_table *o = column_table_new(keep, k);
    for (size_t i = 0; i < k; i++) {
        long j = column_table_find(t, keep[i]);
        struct drift_column tmp = o->cols[i];
        o->cols[i] = t->cols[j];
        t->cols[j] = tmp;
    }
    o->nrows = t->nrows;
    free(keep);
    column_table_free(t);
    return o;
}

/* ---------- the reference ---------- */

/* The run artifact's CSV into a table: fetched through the artifact
 * places into a temporary file, then parsed. */
static int read_csv_artifact(const struct monitor_env *env, const struct monitor_reference *ref,
                             struct column_table **out, struct ferr *err)
{
    struct run run;
    struct artifact_place p;
    struct sbuf path = SBUF_INIT;
    int rc = -1, fd = -1;
    char tmp[64] = "";
    *out = NULL;
    memset(&p, 0, sizeof(p));
    if (store_get_run(env->store, ref->run_id, &run, err))
        return -1;
    if (artifact_place_open(&p, env->artifacts, env->roots, run.info.artifact_uri, err) ||
        artifact_place_path(&p, ref->path, &path, err))
        goto out;
    const char *dir = getenv("TMPDIR");
    snprintf(tmp, sizeof(tmp), "%s/ferry-monitor-XXXXXX",
             dir && *dir && strlen(dir) < 40 ? dir : "/tmp");
    fd = mkstemp(tmp);
    if (fd < 0) {
        ferr_set(err, FERR_IO_ERROR, "cannot make a temporary file for the reference: %s",
                 strerror(errno));
        tmp[0] = '\0';
        goto out;
    }
    if (artifact_get_fd(p.repo, path.buf, fd, NULL, NULL, err))
        goto out;
    if (csv_columns_read(tmp, 1, out, err)) {
        /* the message names the temporary file: name the artifact */
        struct ferr e = *err;
        ferr_set(err, e.code, "reference %s: %s", ref->uri, e.msg);
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (tmp[0])
        unlink(tmp);
    sbuf_release(&path);
    artifact_place_close(&p);
    run_release(&run);
    return rc;
}

/* A dataset reference (issue 19): the version's CSV file, fetched from the
 * server's data root (data/data_fetch.h) into $FERRY_DATA_CACHE when set
 * (kept for the next window), else into a temporary directory removed
 * after reading (a server leaves nothing in its user's home); *pinned gets
 * the version it resolved to (data:/NAME/V[/PATH]). */
static int read_dataset(const struct monitor_env *env, const struct monitor_reference *ref,
                        struct column_table **out, char **pinned, struct ferr *err)
{
    const struct api_data_root *root = api_datasets_root();
    struct data_port *port = NULL;
    struct data_fetched f = DATA_FETCHED_INIT;
    struct data_fetch_opts fo = {NULL, 0};
    const char *cache = getenv("FERRY_DATA_CACHE"), *dir = getenv("TMPDIR");
    char tmp[64] = "";
    struct stat st;
    int rc = -1;
    *out = NULL;
    if (!root || !root->repo)
        return ferr_set(err, FERR_NOT_IMPLEMENTED, "reference %s: %s", ref->uri,
                        root && root->why_not ? root->why_not
                                              : "dataset references are read by ferry server, "
                                                "from its data root");
    if (!cache || !*cache) {
        snprintf(tmp, sizeof(tmp), "%s/ferry-monitor-XXXXXX",
                 dir && *dir && strlen(dir) < 40 ? dir : "/tmp");
        if (!mkdtemp(tmp)) {
            tmp[0] = '\0';
            return ferr_set(err, FERR_IO_ERROR, "cannot make a directory for the reference: %s",
                            strerror(errno));
        }
        fo.cache_dir = tmp;
    }
    if (data_port_open_local(env->store, root->repo, &port, err) ||
        data_fetch(port, ref->uri, &fo, &f, err))
        goto out;
    if (stat(f.path, &st) == 0 && S_ISDIR(st.st_mode)) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "reference %s is a directory of %s: name a CSV file in it (%s/FILE.csv)", ref->uri,
                 f.pinned, f.pinned);
        goto out;
    }
    if (csv_columns_read(f.path, 1, out, err)) {
        struct ferr e = *err; /* the message names the cached file: name the dataset */
        ferr_set(err, e.code, "reference %s: %s", f.pinned, e.msg);
        goto out;
    }
    if (pinned)
        *pinned = xstrdup(f.pinned);
    rc = 0;
out:
    data_fetched_release(&f);
    data_port_close(port);
    if (tmp[0])
        (void)fs_remove_tree(tmp);
    return rc;
}

/* The reference window's range for a judged window ending at end_ms. */
static void ref_window(const struct monitor_reference *r, int64_t end_ms, int64_t *from,
                       int64_t *to)
{
    if (r->kind == MON_REF_WINDOW_FIXED) {
        *from = r->from_ms;
        *to = r->to_ms;
    } else {
        *to = end_ms - r->ending_ms;
        *from = *to - r->last_ms;
    }
}

/* ---------- one run's working state ---------- */

struct job {
    const struct monitor_env *env;
    const struct monitor *m;
    const struct monitor_spec *spec;
    int64_t start_ms, end_ms;
    char **cols; /* the watched columns */
    size_t ncols;
    struct monitor_window cur;
    struct column_table *ref;
    size_t ref_rows;
    json_t *ref_json;
    struct drift_report *drift;
    json_t *body, *figures, *conds;
    json_t *timings; /* seconds per stage, in the body */
    struct metric_list metrics;
    /* the checks handed to the store: names and messages kept here */
    struct monitor_check *checks;
    char (*names)[COND_MAX];
    char (*msgs)[512];
    json_t **details;
    size_t nchecks, achecks;
};

static void job_release(struct job *j)
{
    monitor_names_free(j->cols, j->ncols);
    monitor_window_release(&j->cur);
    column_table_free(j->ref);
    json_decref(j->ref_json);
    drift_report_free(j->drift);
    json_decref(j->body);
    json_decref(j->figures);
    json_decref(j->conds);
    json_decref(j->timings);
    metric_list_release(&j->metrics);
    for (size_t i = 0; i < j->nchecks; i++)
        json_decref(j->details[i]);
    free(j->checks);
    free(j->names);
    free(j->msgs);
    free(j->details);
}

/* Adds a judged condition (pending ones are only listed in the body). */
static void add_check(struct job *j, const char *name, enum monitor_verdict v,
                      enum alert_severity sev, const char *msg, json_t *details)
{
    json_t *c = json_pack("{s:s, s:s, s:s}", "condition", name, "verdict", monitor_verdict_name(v),
                          "message", msg ? msg : "");
    if (details)
        json_object_set(c, "details", details);
    json_array_append_new(j->conds, c);
    if (v == MONITOR_PENDING) {
        json_decref(details);
        return;
    }
    if (j->nchecks == j->achecks) {
        j->achecks = j->achecks ? 2 * j->achecks : 16;
        j->checks = xrealloc(j->checks, j->achecks * sizeof(*j->checks));
        j->names = xrealloc(j->names, j->achecks * sizeof(*j->names));
        j->msgs = xrealloc(j->msgs, j->achecks * sizeof(*j->msgs));
        j->details = xrealloc(j->details, j->achecks * sizeof(*j->details));
    }
    size_t i = j->nchecks++;
    snprintf(j->names[i], sizeof(j->names[i]), "%s", name);
    snprintf(j->msgs[i], sizeof(j->msgs[i]), "%s", msg ? msg : "");
    j->details[i] = details;
    /* pointers fixed up once every check is in (the arrays move) */
    j->checks[i].breached = v == MONITOR_BREACH;
    j->checks[i].severity = sev;
}

static void fix_checks(struct job *j)
{
    for (size_t i = 0; i < j->nchecks; i++) {
        j->checks[i].condition = j->names[i];
        j->checks[i].message = j->msgs[i];
        j->checks[i].details = j->details[i];
    }
}

/* A metric key MLflow accepts: [A-Za-z0-9_.\- /], others as '_'. */
static void add_metric(struct job *j, const char *prefix, const char *name, double v)
{
    char key[256];
    snprintf(key, sizeof(key), "%s%s", prefix, name);
    for (char *p = key; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == ' ' || c == '/'))
            *p = '_';
    }
    if (isfinite(v))
        metric_list_add(&j->metrics, key, v, j->end_ms, j->end_ms);
}

/* Seconds since t0 as the stage's timing. */
static void timed(struct job *j, const char *stage, int64_t t0)
{
    json_object_set_new(j->timings, stage, json_real((double)(ftime_mono_ns() - t0) / 1e9));
}

/* ---------- columns and tables ---------- */

static int has_name(char *const *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], name))
            return 1;
    return 0;
}

/* The watched columns before the reference is known: the spec's, or what
 * the window logs. */
static int pick_columns(struct job *j, struct ferr *err)
{
    const struct monitor_spec *s = j->spec;
    if (s->ncolumns) {
        j->cols = xcalloc(s->ncolumns, sizeof(char *));
        for (size_t i = 0; i < s->ncolumns; i++)
            j->cols[j->ncols++] = xstrdup(s->columns[i]);
        return 0;
    }
    int64_t from = s->window_rows > 0 ? j->end_ms - MONITOR_WINDOW_MAX_LOOKBACK_MS : j->start_ms;
    return monitor_window_columns(j->env->store, s->deployment, from > 0 ? from : 1, j->end_ms,
                                  &j->cols, &j->ncols, err);
}

/* Without columns in the spec, the watched ones are those both sides
 * have: a training CSV's label column or a log without the reference's
 * column is no drift. */
static void keep_common(struct job *j)
{
    if (j->spec->ncolumns || !j->ref)
        return;
    size_t k = 0;
    for (size_t i = 0; i < j->ncols; i++) {
        if (column_table_find(j->ref, j->cols[i]) >= 0)
            j->cols[k++] = j->cols[i];
        else
            free(j->cols[i]);
    }
    j->ncols = k;
}

/* The reference as a table of the watched columns; a failure here fails
 * the window (err), not the call. */
static int read_reference(struct job *j, struct ferr *err)
{
    const struct monitor_reference *r = &j->spec->reference;
    struct monitor_window w;
    int64_t from, to;
    switch (r->kind) {
    case MON_REF_RUN_ARTIFACT:
        if (read_csv_artifact(j->env, r, &j->ref, err))
            return -1;
        j->ref_json = json_pack("{s:s, s:s}", "kind", "run_artifact", "uri", r->uri);
        break;
    case MON_REF_DATASET: {
        char *pinned = NULL;
        if (read_dataset(j->env, r, &j->ref, &pinned, err))
            return -1;
        j->ref_json =
            json_pack("{s:s, s:s, s:s}", "kind", "dataset", "uri", r->uri, "version", pinned);
        free(pinned);
        break;
    }
    case MON_REF_WINDOW_FIXED:
    case MON_REF_WINDOW_RELATIVE: {
        ref_window(r, j->end_ms, &from, &to);
        if (from < 1)
            from = 1;
        if (to <= from)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "the reference window [%" PRId64 ", %" PRId64 ") is empty", from, to);
        struct monitor_window_query q = {j->spec->deployment,          from,    to, 0,
                                         (const char *const *)j->cols, j->ncols};
        if (monitor_window_read(j->env->store, &q, &w, err))
            return -1;
        j->ref = w.table;
        w.table = NULL;
        j->ref_json = json_pack("{s:s, s:I, s:I}", "kind", "window", "start_ms", (json_int_t)from,
                                "end_ms", (json_int_t)to);
        monitor_window_release(&w);
        break;
    }
    }
    keep_common(j);
    j->ref = table_select(j->ref, (const char *const *)j->cols, j->ncols);
    j->ref_rows = j->ref->nrows;
    json_object_set_new(j->ref_json, "n_rows", json_integer((json_int_t)j->ref_rows));
    return 0;
}

static int read_current(struct job *j, struct ferr *err)
{
    struct monitor_window_query q = {
        j->spec->deployment,          j->start_ms, j->end_ms, j->spec->window_rows,
        (const char *const *)j->cols, j->ncols};
    if (!j->ncols) /* nothing logged: an empty window of no columns */
        q.columns = NULL;
    return monitor_window_read(j->env->store, &q, &j->cur, err);
}

/* ---------- drift and quality ---------- */

static int col_in_both(const struct job *j, const char *name)
{
    return column_table_find(j->ref, name) >= 0 && column_table_find(j->cur.table, name) >= 0;
}

static int run_drift(struct job *j, struct ferr *err)
{
    const struct monitor_spec *s = j->spec;
    struct drift_options o;
    struct drift_column_option *co = xcalloc(j->ncols ? j->ncols : 1, sizeof(*co));
    size_t nco = 0;
    drift_options_init(&o);
    o.drift_share = s->drift_share;
    o.has_threshold = s->has_default_threshold;
    o.threshold = s->default_threshold;
    o.threads = 1; /* the scheduler's thread; the server's cores serve requests */
    for (size_t i = 0; i < j->ncols; i++) {
        const char *c = j->cols[i];
        struct drift_column_option x;
        memset(&x, 0, sizeof(x));
        x.name = c;
        const char *kind = monitor_spec_column_kind(s, c);
        const char *test = monitor_spec_stattest(s, c);
        if (!test)
            test = s->default_stattest;
        if (kind) {
            x.has_kind = 1;
            x.kind = !strcmp(kind, "cat") ? DRIFT_KIND_CAT : DRIFT_KIND_NUM;
        }
        if (test && !stattest_from_name(test, &x.stattest))
            x.has_stattest = 1;
        x.has_threshold = monitor_spec_threshold(s, c, &x.threshold);
        if ((x.has_kind || x.has_stattest || x.has_threshold) && col_in_both(j, c))
            co[nco++] = x;
    }
    o.cols = co;
    o.ncols = nco;
    int rc = drift_report_compute(j->ref, j->cur.table, &o, &j->drift, err);
    free(co);
    return rc;
}

static const struct drift_col_result *col_result(const struct drift_report *r, const char *name)
{
    for (size_t i = 0; i < r->ncols; i++)
        if (!strcmp(r->cols[i].name, name))
            return &r->cols[i];
    return NULL;
}

static int is_numeric_dtype(enum drift_dtype d)
{
    return d != DRIFT_DTYPE_OBJECT;
}

static int listed(char *const *v, size_t n, const char *name)
{
    return has_name(v, n, name);
}

/* The schema finding of one watched column, or NULL. */
static const char *schema_problem(const struct job *j, const char *c,
                                  const struct drift_col_result *cr)
{
    const struct drift_report *r = j->drift;
    if (listed(r->missing_in_current, r->n_missing_in_current, c) ||
        column_table_find(j->cur.table, c) < 0)
        return "missing in the window";
    if (listed(r->missing_in_reference, r->n_missing_in_reference, c) ||
        column_table_find(j->ref, c) < 0)
        return "missing in the reference";
    if (cr && is_numeric_dtype(cr->ref_dtype) != is_numeric_dtype(cr->cur_dtype))
        return is_numeric_dtype(cr->ref_dtype) ? "text in the window, numbers in the reference"
                                               : "numbers in the window, text in the reference";
    return NULL;
}

static void judge_quality(struct job *j)
{
    const struct monitor_quality *q = &j->spec->quality;
    char name[COND_MAX], msg[512];
    size_t rows = j->cur.nrows ? j->cur.nrows : 1;
    for (size_t i = 0; i < j->ncols; i++) {
        const char *c = j->cols[i];
        const struct drift_col_result *cr = col_result(j->drift, c);
        if (q->schema) {
            const char *p = schema_problem(j, c, cr);
            monitor_condition_name(name, sizeof(name), "quality:schema:", c);
            snprintf(msg, sizeof(msg), "column '%s': %s", c, p ? p : "as the reference");
            add_check(j, name, p ? MONITOR_BREACH : MONITOR_PASS, ALERT_WARNING, msg, NULL);
        }
        if (!cr)
            continue;
        if (q->max_missing_share >= 0) {
            double share = (double)cr->cur_missing / (double)rows;
            monitor_condition_name(name, sizeof(name), "quality:missing:", c);
            snprintf(msg, sizeof(msg),
                     "column '%s': %.4g of the window's values missing (max %.4g)", c, share,
                     q->max_missing_share);
            add_check(j, name, share > q->max_missing_share ? MONITOR_BREACH : MONITOR_PASS,
                      ALERT_WARNING, msg, json_pack("{s:f}", "share", share));
        }
        if (q->max_out_of_range_share >= 0 && cr->kind == DRIFT_KIND_NUM) {
            double share = (double)cr->cur_out_of_range / (double)rows;
            monitor_condition_name(name, sizeof(name), "quality:out_of_range:", c);
            snprintf(msg, sizeof(msg),
                     "column '%s': %.4g of the window's values outside the reference's range "
                     "[%.6g, %.6g] (max %.4g)",
                     c, share, cr->ref_min, cr->ref_max, q->max_out_of_range_share);
            add_check(j, name, share > q->max_out_of_range_share ? MONITOR_BREACH : MONITOR_PASS,
                      ALERT_WARNING, msg, json_pack("{s:f}", "share", share));
        }
        if (q->new_categories && cr->kind == DRIFT_KIND_CAT) {
            monitor_condition_name(name, sizeof(name), "quality:new_categories:", c);
            snprintf(msg, sizeof(msg), "column '%s': %zu categories new in the window (%zu rows)",
                     c, cr->new_categories, cr->cur_new_category_rows);
            add_check(j, name, cr->new_categories ? MONITOR_BREACH : MONITOR_PASS, ALERT_WARNING,
                      msg, NULL);
        }
    }
}

static void judge_drift(struct job *j)
{
    const struct drift_report *r = j->drift;
    char msg[512];
    snprintf(msg, sizeof(msg), "%zu of %zu columns drifted (share %.3g, dataset drift at >= %.3g)",
             r->number_of_drifted_columns, r->number_of_columns, r->share_of_drifted_columns,
             r->drift_share);
    json_t *drifted = json_array();
    for (size_t i = 0; i < r->ncols; i++)
        if (r->cols[i].tested && r->cols[i].drifted)
            json_array_append_new(drifted, json_string(r->cols[i].name));
    add_check(j, "drift", r->dataset_drift ? MONITOR_BREACH : MONITOR_PASS, ALERT_WARNING, msg,
              json_pack("{s:f, s:I, s:o}", "share_of_drifted_columns", r->share_of_drifted_columns,
                        "number_of_drifted_columns", (json_int_t)r->number_of_drifted_columns,
                        "drifted_columns", drifted));
    add_metric(j, "", "share_of_drifted_columns", r->share_of_drifted_columns);
    add_metric(j, "", "number_of_drifted_columns", (double)r->number_of_drifted_columns);
    add_metric(j, "", "dataset_drift", r->dataset_drift ? 1 : 0);
    for (size_t i = 0; i < r->ncols; i++) {
        const struct drift_col_result *c = &r->cols[i];
        if (c->tested)
            add_metric(j, "drift.", c->name,
                       stattest_is_pvalue(c->stattest) ? c->p_value : c->statistic);
    }
}

/* ---------- decay ---------- */

/* The metric key the training run of "name/version" logged; NAN when
 * there is none (no such version, no run, no metric). */
static double training_metric(struct store *s, const char *model, const char *metric)
{
    const char *slash = model ? strrchr(model, '/') : NULL;
    double v = NAN;
    if (!slash)
        return v;
    char *name = xstrndup(model, (size_t)(slash - model));
    char *end = NULL;
    long long version = strtoll(slash + 1, &end, 10);
    struct model_version mv;
    struct run run;
    struct ferr err = FERR_INIT;
    if (end && !*end && !store_get_model_version(s, name, version, &mv, &err)) {
        if (mv.run_id && *mv.run_id && !store_get_run(s, mv.run_id, &run, &err)) {
            for (size_t i = 0; i < run.metrics.n; i++)
                if (!strcmp(run.metrics.v[i].key, metric))
                    v = run.metrics.v[i].value;
            run_release(&run);
        }
        model_version_release(&mv);
    }
    free(name);
    return v;
}

static double metric_of(json_t *target, const char *metric)
{
    json_t *v = json_object_get(json_object_get(target, "metrics"), metric);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static int judge_decay(struct job *j, struct ferr *err)
{
    const struct monitor_spec *s = j->spec;
    if (!s->ndecay)
        return 0;
    int64_t from =
        j->cur.nrows ? (j->spec->window_rows > 0 ? j->cur.first_ms : j->start_ms) : j->start_ms;
    struct perf_query pq = {s->deployment, from > 0 ? from : 1, j->end_ms, 0, NULL, 1, -1, 0};
    json_t *perf = NULL;
    if (store_prediction_performance(j->env->store, &pq, &perf, err))
        return -1;
    json_t *targets = json_object_get(perf, "targets"), *out = json_array();
    for (size_t g = 0; g < s->ndecay; g++) {
        const struct monitor_decay *d = &s->decay[g];
        enum monitor_verdict *v = xcalloc(json_array_size(targets) + 1, sizeof(*v));
        size_t nv = 0;
        char why[512] = "", first_why[512] = "", cond[COND_MAX];
        int logged = 0;
        json_t *per = json_array(), *t;
        size_t i;
        json_array_foreach(targets, i, t)
        {
            if (json_is_true(json_object_get(t, "shadow")))
                continue;
            const char *model = json_string_value(json_object_get(t, "model"));
            json_int_t labeled = json_integer_value(json_object_get(t, "labeled"));
            double value = metric_of(t, d->metric);
            double base = training_metric(j->env->store, model, d->metric);
            enum monitor_verdict vi;
            if (labeled < s->min_rows) {
                snprintf(why, sizeof(why), "%s: %lld labeled rows, fewer than min_rows %lld",
                         model ? model : "?", (long long)labeled, (long long)s->min_rows);
                vi = MONITOR_PENDING;
            } else {
                char w[400];
                vi = monitor_decay_judge(d, value, base, w, sizeof(w));
                snprintf(why, sizeof(why), "%s: %s", model ? model : "?", w);
                if (!logged && !isnan(value)) {
                    add_metric(j, "", d->metric, value);
                    logged = 1;
                }
            }
            if (vi == MONITOR_BREACH && !first_why[0])
                snprintf(first_why, sizeof(first_why), "%s", why);
            v[nv++] = vi;
            json_array_append_new(per,
                                  json_pack("{s:s, s:I, s:o, s:o, s:s, s:s}", "model",
                                            model ? model : "", "labeled", labeled, "value",
                                            fjson_double(value), "baseline", fjson_double(base),
                                            "verdict", monitor_verdict_name(vi), "why", why));
        }
        enum monitor_verdict all = monitor_verdict_merge(v, nv);
        free(v);
        monitor_condition_name(cond, sizeof(cond), "decay:", d->metric);
        const char *msg = all == MONITOR_BREACH ? first_why
                          : nv                  ? why
                                                : "no answering target in the window";
        json_array_append_new(out, json_pack("{s:s, s:s, s:O}", "metric", d->metric, "verdict",
                                             monitor_verdict_name(all), "targets", per));
        add_check(j, cond, all, ALERT_CRITICAL, msg, json_pack("{s:o}", "targets", per));
    }
    json_object_set_new(j->body, "decay", out);
    json_decref(perf);
    return 0;
}

/* ---------- metrics of the monitoring run ---------- */

static int monitoring_run(const struct job *j, char **run_id, struct ferr *err)
{
    struct store *s = j->env->store;
    struct sbuf exp_name = SBUF_INIT;
    struct experiment e;
    char *exp_id = NULL;
    struct ferr e2 = FERR_INIT;
    int rc = -1;
    *run_id = NULL;
    sbuf_addf(&exp_name, "monitor/%s", j->m->name);
    if (!store_get_experiment_by_name(s, exp_name.buf, &e, &e2)) {
        exp_id = xstrdup(e.experiment_id);
        experiment_release(&e);
    } else if (e2.code != FERR_RESOURCE_DOES_NOT_EXIST) {
        *err = e2;
        goto out;
    } else if (store_create_experiment(s, exp_name.buf, NULL, NULL, &exp_id, err)) {
        goto out;
    }
    struct run_create rcr;
    memset(&rcr, 0, sizeof(rcr));
    rcr.experiment_id = exp_id;
    rcr.user_id = j->m->applied_by && *j->m->applied_by ? j->m->applied_by : "ferry-monitor";
    rcr.run_name = j->m->name;
    rcr.start_time = TIME_NONE;
    kv_list_add(&rcr.tags, "ferry.monitor", j->m->name);
    kv_list_add(&rcr.tags, "ferry.deployment", j->spec->deployment);
    struct run run;
    rc = store_create_run(s, &rcr, &run, err);
    kv_list_release(&rcr.tags);
    if (!rc) {
        *run_id = xstrdup(run.info.run_id);
        run_release(&run);
        struct monitor_state st = MONITOR_STATE_KEEP;
        st.run_id = *run_id;
        if (store_monitor_state_put(s, j->m->name, &st, &e2))
            log_warn("monitor '%s': could not record its run: %s", j->m->name, e2.msg);
    }
out:
    free(exp_id);
    sbuf_release(&exp_name);
    return rc;
}

/* Logs the window's figures; a failure is logged, never the window's. */
static void log_metrics(const struct job *j)
{
    struct ferr err = FERR_INIT;
    char *made = NULL;
    const char *run_id = j->m->run_id && *j->m->run_id ? j->m->run_id : NULL;
    if (!j->metrics.n)
        return;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!run_id) {
            if (monitoring_run(j, &made, &err))
                break;
            run_id = made;
        }
        if (!store_log_batch(j->env->store, run_id, &j->metrics, NULL, NULL, &err)) {
            free(made);
            return;
        }
        /* a run deleted or finished since: a new one */
        if (made)
            break;
        run_id = NULL;
    }
    log_warn("monitor '%s': could not log its figures: %s", j->m->name, err.msg);
    free(made);
}

/* ---------- one window ---------- */

static json_t *window_json(const struct job *j)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "start_ms", (json_int_t)j->start_ms,
                     "end_ms", (json_int_t)j->end_ms, "n_rows", (json_int_t)j->cur.nrows,
                     "first_row_ms", (json_int_t)j->cur.first_ms, "last_row_ms",
                     (json_int_t)j->cur.last_ms, "corrupt_rows", (json_int_t)j->cur.ncorrupt);
}

/* The judged part: reference, drift, quality, decay. -1 with err: the
 * window fails (stored as failed). */
static int judge(struct job *j, struct ferr *err)
{
    int64_t t0 = ftime_mono_ns();
    if (read_reference(j, err))
        return -1;
    timed(j, "reference_s", t0);
    if (!j->ref_rows)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the reference has no rows");
    if (!j->ncols)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "no column to compare: the window and the reference share none");
    t0 = ftime_mono_ns();
    if (run_drift(j, err))
        return -1;
    json_object_set_new(j->body, "drift", drift_report_json(j->drift));
    judge_drift(j);
    judge_quality(j);
    timed(j, "drift_s", t0);
    t0 = ftime_mono_ns();
    int rc = judge_decay(j, err);
    timed(j, "decay_s", t0);
    return rc;
}

static int put(struct job *j, enum monitor_status status, const char *error,
               struct monitor_report *out, int *inserted, struct ferr *err)
{
    struct monitor_report_new rn;
    memset(&rn, 0, sizeof(rn));
    fix_checks(j);
    rn.monitor = j->m->name;
    rn.window_start_ms = j->start_ms;
    rn.window_end_ms = j->end_ms;
    rn.status = status;
    rn.n_rows = (int64_t)j->cur.nrows;
    rn.dataset_drift = status == MON_STATUS_OK && j->drift ? j->drift->dataset_drift : -1;
    rn.share_of_drifted_columns =
        status == MON_STATUS_OK && j->drift ? j->drift->share_of_drifted_columns : NAN;
    rn.figures = j->figures;
    rn.report = j->body;
    rn.error = error;
    rn.checks = status == MON_STATUS_OK ? j->checks : NULL;
    rn.nchecks = status == MON_STATUS_OK ? j->nchecks : 0;
    if (store_monitor_report_put(j->env->store, &rn, inserted, NULL, err))
        return -1;
    if (*inserted && status == MON_STATUS_OK)
        log_metrics(j);
    return store_monitor_report_get(j->env->store, j->m->name, j->start_ms, out, err);
}

static void figures_of(struct job *j)
{
    json_t *f = j->figures;
    json_object_set_new(f, "n_rows", json_integer((json_int_t)j->cur.nrows));
    if (j->spec->window_rows > 0 && j->cur.nrows)
        json_object_set_new(f, "first_row_ms", json_integer((json_int_t)j->cur.first_ms));
    if (j->drift) {
        const struct drift_report *r = j->drift;
        json_t *cols = json_object();
        json_object_set_new(f, "dataset_drift", json_boolean(r->dataset_drift));
        json_object_set_new(f, "share_of_drifted_columns",
                            fjson_double(r->share_of_drifted_columns));
        json_object_set_new(f, "number_of_columns", json_integer((json_int_t)r->number_of_columns));
        json_object_set_new(f, "number_of_drifted_columns",
                            json_integer((json_int_t)r->number_of_drifted_columns));
        for (size_t i = 0; i < r->ncols; i++) {
            const struct drift_col_result *c = &r->cols[i];
            if (c->tested)
                json_object_set_new(
                    cols, c->name,
                    json_pack(
                        "{s:s, s:o, s:b}", "stattest", stattest_name(c->stattest), "score",
                        fjson_double(stattest_is_pvalue(c->stattest) ? c->p_value : c->statistic),
                        "drifted", c->drifted));
        }
        json_object_set_new(f, "columns", cols);
    }
    json_t *decay = json_object();
    for (size_t i = 0; i < j->metrics.n; i++) {
        const char *k = j->metrics.v[i].key;
        for (size_t g = 0; g < j->spec->ndecay; g++)
            if (!strcmp(k, j->spec->decay[g].metric))
                json_object_set_new(decay, k, fjson_double(j->metrics.v[i].value));
    }
    json_object_set_new(f, "decay", decay);
    json_t *breached = json_array(), *c;
    size_t i;
    json_array_foreach(j->conds, i, c)
    {
        if (!strcmp(json_string_value(json_object_get(c, "verdict")), "breach"))
            json_array_append(breached, json_object_get(c, "condition"));
    }
    json_object_set_new(f, "breached", breached);
}

int monitor_run_window(const struct monitor_env *env, const struct monitor *m, int64_t end_ms,
                       struct monitor_report *out, int *inserted, struct ferr *err)
{
    struct job j;
    struct ferr why = FERR_INIT;
    int rc = -1;
    memset(&j, 0, sizeof(j));
    memset(out, 0, sizeof(*out));
    *inserted = 0;
    j.env = env;
    j.m = m;
    j.spec = &m->spec;
    j.end_ms = end_ms;
    j.start_ms = monitor_window_start(&m->spec, end_ms);
    if (end_ms <= 0 || j.start_ms < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a window must end after the epoch");
    /* judged now, a window that ends later would be stored incomplete for
     * good, and the monitor's state (which only moves forward) would have
     * the scheduler skip every window until then */
    if (end_ms > ftime_now_ms())
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a window cannot end in the future (end_time %lld ms is after now)",
                        (long long)end_ms);
    /* a window judged already is answered as stored, never computed again */
    if (!store_monitor_report_get(env->store, m->name, j.start_ms, out, &why))
        return 0;
    if (why.code != FERR_RESOURCE_DOES_NOT_EXIST) {
        *err = why;
        return -1;
    }
    j.body = json_object();
    j.figures = json_object();
    j.conds = json_array();
    j.timings = json_object();
    int64_t t0 = ftime_mono_ns();
    if (pick_columns(&j, err) || read_current(&j, err))
        goto out;
    timed(&j, "window_s", t0);
    json_object_set_new(j.body, "window", window_json(&j));
    json_object_set_new(j.body, "min_rows", json_integer((json_int_t)m->spec.min_rows));
    enum monitor_status status = MON_STATUS_OK;
    const char *error = NULL;
    if ((int64_t)j.cur.nrows < m->spec.min_rows) {
        status = MON_STATUS_INSUFFICIENT;
    } else if (judge(&j, &why)) {
        status = MON_STATUS_FAILED;
        error = why.msg;
        if (why.code == FERR_TEMPORARILY_UNAVAILABLE || why.code == FERR_INVALID_STATE) {
            *err = why; /* the store, not the window: tried again later */
            goto out;
        }
    }
    if (j.ref_json)
        json_object_set(j.body, "reference", j.ref_json);
    json_object_set(j.body, "conditions", j.conds);
    figures_of(&j);
    add_metric(&j, "", "n_rows", (double)j.cur.nrows);
    timed(&j, "total_s", t0);
    json_object_set(j.body, "timings", j.timings);
    rc = put(&j, status, error, out, inserted, err);
out:
    job_release(&j);
    return rc;
}

int monitor_run_named(const struct monitor_env *env, const char *name, int64_t end_ms,
                      struct monitor_report *out, int *inserted, struct ferr *err)
{
    struct monitor m;
    memset(out, 0, sizeof(*out));
    *inserted = 0;
    if (store_monitor_get(env->store, name, &m, err))
        return -1;
    int rc = monitor_run_window(env, &m, end_ms > 0 ? end_ms : ftime_now_ms(), out, inserted, err);
    monitor_release(&m);
    return rc;
}

/* ---------- checking a spec ---------- */

static int check_name(const char *what, const char *c, char *const *known, size_t nknown,
                      const struct column_table *csv, struct ferr *err)
{
    if (!strcmp(c, MONITOR_PREDICTION_COLUMN) || has_name(known, nknown, c) ||
        (csv && column_table_find(csv, c) >= 0))
        return 0;
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "monitor spec: %s '%s' is neither an input column the deployment logs nor a "
                    "column of the reference (nor 'prediction')",
                    what, c);
}

int monitor_spec_check(const struct monitor_env *env, const struct monitor_spec *spec,
                       struct ferr *err)
{
    char **known = NULL;
    size_t nknown = 0;
    struct column_table *csv = NULL;
    int rc = 0;
    if (spec->reference.kind == MON_REF_RUN_ARTIFACT) {
        struct ferr e = FERR_INIT;
        if (read_csv_artifact(env, &spec->reference, &csv, &e)) {
            /* MLflow's codes: a reference that is not there is the spec's fault */
            return ferr_set(err,
                            e.code == FERR_RESOURCE_DOES_NOT_EXIST ? FERR_RESOURCE_DOES_NOT_EXIST
                                                                   : FERR_INVALID_PARAMETER_VALUE,
                            "monitor spec: 'reference.run_artifact' %s cannot be read: %s",
                            spec->reference.uri, e.msg);
        }
    }
    /* a dataset reference is checked where datasets are (a server's data
     * root); in process it cannot be known here, so it is not refused */
    if (spec->reference.kind == MON_REF_DATASET && api_datasets_root() &&
        api_datasets_root()->repo) {
        struct ferr e = FERR_INIT;
        if (read_dataset(env, &spec->reference, &csv, NULL, &e))
            return ferr_set(err,
                            e.code == FERR_RESOURCE_DOES_NOT_EXIST ? FERR_RESOURCE_DOES_NOT_EXIST
                                                                   : FERR_INVALID_PARAMETER_VALUE,
                            "monitor spec: 'reference.dataset' %s cannot be read: %s",
                            spec->reference.uri, e.msg);
    }
    int64_t now = ftime_now_ms();
    struct ferr e = FERR_INIT;
    if (monitor_window_columns(env->store, spec->deployment, now - CHECK_LOOKBACK_MS, 0, &known,
                               &nknown, &e))
        nknown = 0; /* nothing logged (yet): nothing to check against */
    if (!nknown && !csv)
        goto out;
    for (size_t i = 0; !rc && i < spec->ncolumns; i++)
        rc = check_name("column", spec->columns[i], known, nknown, csv, err);
    for (size_t i = 0; !rc && i < spec->nkinds; i++)
        rc = check_name("column_kinds' column", spec->column_kinds[i].column, known, nknown, csv,
                        err);
    for (size_t i = 0; !rc && i < spec->nstattests; i++)
        rc = check_name("drift.stattest's column", spec->stattests[i].column, known, nknown, csv,
                        err);
    for (size_t i = 0; !rc && i < spec->nthresholds; i++)
        rc = check_name("drift.threshold's column", spec->thresholds[i].column, known, nknown, csv,
                        err);
out:
    monitor_names_free(known, nknown);
    column_table_free(csv);
    return rc;
}

/* ---------- the REST rows' runner ---------- */

static int api_run(const struct api_env *env, const char *name, int64_t end_ms,
                   struct monitor_report *out, int *inserted, struct ferr *err)
{
    struct monitor_env me = {env->store, env->artifacts, env->roots};
    return monitor_run_named(&me, name, end_ms, out, inserted, err);
}

static int api_check(const struct api_env *env, const struct monitor_spec *spec, struct ferr *err)
{
    struct monitor_env me = {env->store, env->artifacts, env->roots};
    return monitor_spec_check(&me, spec, err);
}

const struct api_monitor_runner monitor_api_runner = {api_run, api_check};
