/* SPDX-License-Identifier: MIT
 * The monitor spec (domain/monitor.h): parsing with errors that name the
 * field, the JSON written back with every default, and the names of the
 * states the store records. */
#include "domain/monitor.h"
#include "domain/data_version.h"
#include "domain/spec_field.h"
#include "domain/deployment.h"
#include "base/duration.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

#define SPEC "monitor spec"

#define COLUMN_MAX 250

static int bad(struct ferr *err, const char *path, const char *why)
{
    return spec_bad(SPEC, path, why, err);
}

/* v present and not null. */
static json_t *field(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return v && !json_is_null(v) ? v : NULL;
}

int monitor_name_check(const char *name, struct ferr *err)
{
    size_t n = name ? strlen(name) : 0;
    int ok = n >= 1 && n <= MONITOR_NAME_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || strchr("._-", name[i]);
    if (!ok)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid monitor name '%.130s': 1 to 128 letters, digits, '.', '_' or '-'",
                        name ? name : "");
    return 0;
}

static const char *const stattests[] = {
    "ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi", "kl_div", "hellinger", NULL};

int monitor_stattest_known(const char *name)
{
    for (size_t i = 0; name && stattests[i]; i++)
        if (!strcmp(name, stattests[i]))
            return 1;
    return 0;
}

static int column_ok(const char *c)
{
    return c && *c && strlen(c) <= COLUMN_MAX;
}

/* Text without control characters (a header value, a path, an argument). */
static int plain_text(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* ---------- sections ---------- */

static int parse_reference(json_t *r, struct monitor_reference *out, struct ferr *err)
{
    static const char *const keys[] = {"run_artifact", "dataset", "window", NULL};
    if (!r)
        return bad(err, "reference",
                   "is required: {run_artifact: \"runs:/<run_id>/<path>\"}, {dataset: "
                   "\"data:/NAME/VERSION\"} or {window: {...}}");
    if (!json_is_object(r) || json_object_size(r) != 1)
        return bad(err, "reference",
                   "must be an object with one of run_artifact, dataset or window");
    if (spec_only_keys(SPEC, r, "reference", keys, err))
        return -1;
    json_t *v;
    if ((v = json_object_get(r, "run_artifact"))) {
        const char *u = json_string_value(v);
        const char *slash = u && !strncmp(u, "runs:/", 6) ? strchr(u + 6, '/') : NULL;
        if (!slash || slash == u + 6 || !slash[1] || strlen(u) > 1000 || !plain_text(u, 1000))
            return bad(err, "reference.run_artifact",
                       "must be a run's artifact: \"runs:/<run_id>/<path>\"");
        out->kind = MON_REF_RUN_ARTIFACT;
        out->uri = xstrdup(u);
        out->run_id = xstrndup(u + 6, (size_t)(slash - (u + 6)));
        out->path = xstrdup(slash + 1);
        return 0;
    }
    if ((v = json_object_get(r, "dataset"))) {
        const char *u = json_string_value(v);
        struct data_ref ref = DATA_REF_INIT;
        struct ferr why = FERR_INIT;
        if (!u || !plain_text(u, 1000) || data_uri_parse(u, &ref, &why))
            return bad(err, "reference.dataset",
                       "must be a dataset version: \"data:/NAME/VERSION[/FILE.csv]\" (or "
                       "@ALIAS, latest)");
        data_ref_release(&ref);
        out->kind = MON_REF_DATASET;
        out->uri = xstrdup(u);
        return 0;
    }
    v = json_object_get(r, "window");
    static const char *const wkeys[] = {"from", "to", "last", "ending", NULL};
    if (!json_is_object(v))
        return bad(err, "reference.window",
                   "must be {from: TIME, to: TIME} or {last: DURATION, ending: DURATION}");
    if (spec_only_keys(SPEC, v, "reference.window", wkeys, err))
        return -1;
    json_t *from = field(v, "from"), *to = field(v, "to"), *last = field(v, "last"),
           *ending = field(v, "ending");
    if ((from || to) && (last || ending))
        return bad(err, "reference.window",
                   "takes either from and to (a fixed span) or last and ending (relative), not "
                   "both");
    if (from || to) {
        if (!from || !to)
            return bad(err, "reference.window", "needs both from and to");
        out->kind = MON_REF_WINDOW_FIXED;
        if (spec_time(SPEC, from, "reference.window.from", &out->from_ms, err) ||
            spec_time(SPEC, to, "reference.window.to", &out->to_ms, err))
            return -1;
        if (out->to_ms <= out->from_ms)
            return bad(err, "reference.window.to", "must be after from");
        return 0;
    }
    if (!last)
        return bad(err, "reference.window.last", "is required: how long the reference lasts");
    out->kind = MON_REF_WINDOW_RELATIVE;
    if (spec_duration(SPEC, last, "reference.window.last", &out->last_ms, err))
        return -1;
    /* 0 ("0s") is fine: the reference ends where the judged window ends */
    if (ending && !(json_is_number(ending) && json_number_value(ending) == 0) &&
        !(json_is_string(ending) && !duration_parse(json_string_value(ending), &out->ending_ms)) &&
        spec_duration(SPEC, ending, "reference.window.ending", &out->ending_ms, err))
        return -1;
    return 0;
}

static int parse_column_list(json_t *v, struct monitor_spec *out, struct ferr *err)
{
    char path[48];
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > MONITOR_MAX_COLUMNS)
        return bad(err, "columns", "must be a list of 1 to 256 column names");
    out->columns = xcalloc(json_array_size(v), sizeof(*out->columns));
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *c = json_string_value(json_array_get(v, i));
        snprintf(path, sizeof(path), "columns[%zu]", i);
        if (!column_ok(c))
            return bad(err, path, "must be a column name (1 to 250 characters)");
        for (size_t j = 0; j < out->ncolumns; j++)
            if (!strcmp(out->columns[j], c))
                return bad(err, path, "is listed twice");
        out->columns[out->ncolumns++] = xstrdup(c);
    }
    return 0;
}

enum col_map { MAP_KINDS, MAP_STATTESTS, MAP_THRESHOLDS };

/* {column: value} into *opts. */
static int parse_col_map(json_t *v, const char *path, enum col_map what,
                         struct monitor_col_opt **opts, size_t *n, struct ferr *err)
{
    char sub[300];
    const char *key;
    json_t *val;
    if (!json_is_object(v) || json_object_size(v) > MONITOR_MAX_COLUMNS)
        return bad(err, path, "must be an object {column: value} of at most 256 columns");
    *opts = xcalloc(json_object_size(v) + 1, sizeof(**opts));
    json_object_foreach(v, key, val)
    {
        struct monitor_col_opt *o = &(*opts)[*n];
        snprintf(sub, sizeof(sub), "%s.%.250s", path, key);
        if (!column_ok(key))
            return bad(err, path, "has a column name that is empty or over 250 characters");
        if (what == MAP_THRESHOLDS) {
            if (spec_real(SPEC, val, sub, 0, 1e12, &o->value, err))
                return -1;
        } else if (what == MAP_KINDS) {
            const char *k = json_string_value(val);
            if (k && !strcmp(k, "numerical"))
                k = "num";
            else if (k && !strcmp(k, "categorical"))
                k = "cat";
            if (!k || (strcmp(k, "num") && strcmp(k, "cat")))
                return bad(err, sub, "must be \"num\" or \"cat\"");
            o->text = xstrdup(k);
        } else {
            const char *t = json_string_value(val);
            if (!monitor_stattest_known(t))
                return bad(err, sub,
                           "must be a test's name: ks, chisquare, z, wasserstein, jensenshannon, "
                           "psi, kl_div or hellinger");
            o->text = xstrdup(t);
        }
        o->column = xstrdup(key);
        (*n)++;
    }
    return 0;
}

static int parse_window(json_t *w, struct monitor_spec *out, struct ferr *err)
{
    static const char *const keys[] = {"last", "last_rows", NULL};
    if (!w)
        return bad(err, "window", "is required: {last: 24h} or {last_rows: 10000}");
    if (!json_is_object(w))
        return bad(err, "window", "must be {last: DURATION} or {last_rows: N}");
    if (spec_only_keys(SPEC, w, "window", keys, err))
        return -1;
    json_t *last = field(w, "last"), *rows = field(w, "last_rows");
    if (!!last == !!rows)
        return bad(err, "window", "takes one of last (a duration) or last_rows (a count)");
    if (last)
        return spec_duration(SPEC, last, "window.last", &out->window_ms, err);
    return spec_int(SPEC, rows, "window.last_rows", 1, 100000000, &out->window_rows, err);
}

static int parse_drift(json_t *d, struct monitor_spec *out, struct ferr *err)
{
    static const char *const keys[] = {"drift_share",      "stattest",          "threshold",
                                       "default_stattest", "default_threshold", NULL};
    json_t *v;
    if (!d)
        return 0;
    if (!json_is_object(d))
        return bad(err, "drift", "must be an object such as {drift_share: 0.5}");
    if (spec_only_keys(SPEC, d, "drift", keys, err))
        return -1;
    if ((v = field(d, "drift_share")) &&
        spec_real(SPEC, v, "drift.drift_share", 0, 1, &out->drift_share, err))
        return -1;
    if ((v = field(d, "stattest")) &&
        parse_col_map(v, "drift.stattest", MAP_STATTESTS, &out->stattests, &out->nstattests, err))
        return -1;
    if ((v = field(d, "threshold")) && parse_col_map(v, "drift.threshold", MAP_THRESHOLDS,
                                                     &out->thresholds, &out->nthresholds, err))
        return -1;
    if ((v = field(d, "default_stattest"))) {
        if (!monitor_stattest_known(json_string_value(v)))
            return bad(err, "drift.default_stattest",
                       "must be a test's name: ks, chisquare, z, wasserstein, jensenshannon, psi, "
                       "kl_div or hellinger");
        out->default_stattest = xstrdup(json_string_value(v));
    }
    if ((v = field(d, "default_threshold"))) {
        if (spec_real(SPEC, v, "drift.default_threshold", 0, 1e12, &out->default_threshold, err))
            return -1;
        out->has_default_threshold = 1;
    }
    return 0;
}

static int metric_name_ok(const char *m)
{
    size_t n = m ? strlen(m) : 0;
    int ok = n >= 1 && n <= 64;
    for (size_t i = 0; ok && i < n; i++)
        ok = islower((unsigned char)m[i]) || isdigit((unsigned char)m[i]) || m[i] == '_';
    return ok;
}

static int parse_decay(json_t *d, struct monitor_spec *out, struct ferr *err)
{
    static const char *const keys[] = {"min", "max", "max_drop", "max_rise", NULL};
    const char *metric;
    json_t *g;
    char path[128], sub[320];
    if (!d)
        return 0;
    if (!json_is_object(d) || json_object_size(d) > MONITOR_MAX_DECAY)
        return bad(err, "decay",
                   "must be an object of at most 16 metrics such as {f1: {min: 0.8}}");
    json_object_foreach(d, metric, g)
    {
        struct monitor_decay *m = &out->decay[out->ndecay];
        snprintf(path, sizeof(path), "decay.%.64s", metric);
        if (!metric_name_ok(metric))
            return bad(err, path,
                       "must name a metric the performance endpoint gives (f1, accuracy, rmse, "
                       "...: lower-case letters, digits and '_')");
        if (!json_is_object(g))
            return bad(err, path, "must be an object such as {min: 0.8} or {max_drop: 0.05}");
        if (spec_only_keys(SPEC, g, path, keys, err))
            return -1;
        m->metric = xstrdup(metric);
        out->ndecay++;
        json_t *v;
        if ((v = field(g, "min"))) {
            snprintf(sub, sizeof(sub), "%s.min", path);
            if (spec_real(SPEC, v, sub, -1e12, 1e12, &m->min, err))
                return -1;
            m->has_min = 1;
        }
        if ((v = field(g, "max"))) {
            snprintf(sub, sizeof(sub), "%s.max", path);
            if (spec_real(SPEC, v, sub, -1e12, 1e12, &m->max, err))
                return -1;
            m->has_max = 1;
        }
        if ((v = field(g, "max_drop"))) {
            snprintf(sub, sizeof(sub), "%s.max_drop", path);
            if (spec_real(SPEC, v, sub, 0, 1e12, &m->max_drop, err))
                return -1;
            m->has_max_drop = 1;
        }
        if ((v = field(g, "max_rise"))) {
            snprintf(sub, sizeof(sub), "%s.max_rise", path);
            if (spec_real(SPEC, v, sub, 0, 1e12, &m->max_rise, err))
                return -1;
            m->has_max_rise = 1;
        }
        if (!m->has_min && !m->has_max && !m->has_max_drop && !m->has_max_rise)
            return bad(err, path, "needs at least one of min, max, max_drop, max_rise");
        if (m->has_min && m->has_max && m->min > m->max)
            return bad(err, path, "has min above max");
    }
    return 0;
}

static void quality_defaults(struct monitor_quality *q)
{
    q->max_missing_share = -1;
    q->max_out_of_range_share = -1;
    q->new_categories = 0;
    q->schema = 1;
}

static int parse_quality(json_t *q, struct monitor_quality *out, struct ferr *err)
{
    static const char *const keys[] = {"max_missing_share", "max_out_of_range_share",
                                       "new_categories", "schema", NULL};
    json_t *v;
    if (!q)
        return 0;
    if (!json_is_object(q))
        return bad(err, "quality", "must be an object such as {max_missing_share: 0.1}");
    if (spec_only_keys(SPEC, q, "quality", keys, err))
        return -1;
    if ((v = field(q, "max_missing_share")) &&
        spec_real(SPEC, v, "quality.max_missing_share", 0, 1, &out->max_missing_share, err))
        return -1;
    if ((v = field(q, "max_out_of_range_share")) &&
        spec_real(SPEC, v, "quality.max_out_of_range_share", 0, 1, &out->max_out_of_range_share,
                  err))
        return -1;
    if ((v = field(q, "new_categories")) &&
        spec_bool(SPEC, v, "quality.new_categories", &out->new_categories, err))
        return -1;
    if ((v = field(q, "schema")) && spec_bool(SPEC, v, "quality.schema", &out->schema, err))
        return -1;
    return 0;
}

static int env_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    int ok = n >= 1 && n <= 128 && !isdigit((unsigned char)s[0]);
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)s[i]) || s[i] == '_';
    return ok;
}

static int header_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    int ok = n >= 1 && n <= 128;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)s[i]) || strchr("-_", s[i]);
    return ok;
}

/* The headers the sender sets itself (monitor/alert_sink.c refuses them at
 * every attempt): refused here, when the spec is applied, rather than as a
 * delivery that fails until its attempts run out. */
static int header_reserved(const char *s)
{
    return !strncasecmp(s, "x-ferry-", 8) || !strcasecmp(s, "content-type") ||
           !strcasecmp(s, "content-length") || !strcasecmp(s, "host") ||
           !strcasecmp(s, "transfer-encoding");
}

static int parse_webhook(json_t *w, const char *path, struct monitor_sink *out, struct ferr *err)
{
    static const char *const keys[] = {"url", "secret_env", "headers", "timeout", NULL};
    char sub[320];
    json_t *v;
    out->kind = MON_SINK_WEBHOOK;
    out->timeout_ms = 10000;
    if (!json_is_object(w))
        return bad(err, path, "must be an object such as {url: \"https://...\"}");
    if (spec_only_keys(SPEC, w, path, keys, err))
        return -1;
    const char *url = json_string_value(field(w, "url"));
    snprintf(sub, sizeof(sub), "%s.url", path);
    if (!url || !(!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8)) ||
        strlen(url) <= 8 || strchr(url, ' ') || !plain_text(url, 2000))
        return bad(err, sub, "must be an http:// or https:// URL");
    out->url = xstrdup(url);
    if ((v = field(w, "secret_env"))) {
        snprintf(sub, sizeof(sub), "%s.secret_env", path);
        if (!env_name_ok(json_string_value(v)))
            return bad(err, sub,
                       "must name an environment variable (letters, digits and '_') that holds "
                       "the signing secret");
        out->secret_env = xstrdup(json_string_value(v));
    }
    if ((v = field(w, "headers"))) {
        const char *name;
        json_t *hv;
        snprintf(sub, sizeof(sub), "%s.headers", path);
        if (!json_is_object(v) || json_object_size(v) > MONITOR_MAX_HEADERS)
            return bad(err, sub, "must be an object {Name: value} of at most 16 headers");
        json_object_foreach(v, name, hv)
        {
            const char *val = json_string_value(hv);
            if (!header_name_ok(name))
                return bad(err, sub, "has a header name with a character headers cannot have");
            if (header_reserved(name)) {
                snprintf(sub, sizeof(sub), "%s.headers.%.100s", path, name);
                return bad(err, sub,
                           "is a header ferry sets itself (X-Ferry-*, Content-Type, "
                           "Content-Length, Host, Transfer-Encoding)");
            }
            if (!val || !plain_text(val, 1000)) {
                snprintf(sub, sizeof(sub), "%s.headers.%.100s", path, name);
                return bad(err, sub, "must be a text of at most 1000 characters on one line");
            }
            out->header_names[out->nheaders] = xstrdup(name);
            out->header_values[out->nheaders++] = xstrdup(val);
        }
    }
    if ((v = field(w, "timeout"))) {
        snprintf(sub, sizeof(sub), "%s.timeout", path);
        if (spec_duration(SPEC, v, sub, &out->timeout_ms, err))
            return -1;
        if (out->timeout_ms > 300000)
            return bad(err, sub, "must be at most 5m");
    }
    return 0;
}

static int parse_command(json_t *c, const char *path, struct monitor_sink *out, struct ferr *err)
{
    static const char *const keys[] = {"path", "args", NULL};
    char sub[320];
    out->kind = MON_SINK_COMMAND;
    const char *p = json_string_value(c);
    json_t *args = NULL;
    if (json_is_object(c)) {
        if (spec_only_keys(SPEC, c, path, keys, err))
            return -1;
        p = json_string_value(field(c, "path"));
        args = field(c, "args");
        snprintf(sub, sizeof(sub), "%s.path", path);
    } else {
        snprintf(sub, sizeof(sub), "%s", path);
    }
    if (!p || p[0] != '/' || !plain_text(p, 1000))
        return bad(err, sub, "must be an absolute path to a program (\"/path/to/script\")");
    out->path = xstrdup(p);
    if (args) {
        snprintf(sub, sizeof(sub), "%s.args", path);
        if (!json_is_array(args) || json_array_size(args) > MONITOR_MAX_ARGS)
            return bad(err, sub, "must be a list of at most 16 arguments");
        for (size_t i = 0; i < json_array_size(args); i++) {
            const char *a = json_string_value(json_array_get(args, i));
            if (!a || !plain_text(a, 1000))
                return bad(err, sub, "must hold texts of at most 1000 characters on one line");
            out->args[out->nargs++] = xstrdup(a);
        }
    }
    return 0;
}

static int parse_sinks(json_t *v, struct monitor_spec *out, struct ferr *err)
{
    static const char *const keys[] = {"webhook", "command", NULL};
    char path[48], sub[96];
    if (!v)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > MONITOR_MAX_SINKS)
        return bad(err, "sinks",
                   "must be a list of at most 8 sinks ({webhook: ...} or {command: ...})");
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *s = json_array_get(v, i);
        snprintf(path, sizeof(path), "sinks[%zu]", i);
        if (!json_is_object(s) || json_object_size(s) != 1)
            return bad(err, path, "must be {webhook: {url: ...}} or {command: \"/path\"}");
        if (spec_only_keys(SPEC, s, path, keys, err))
            return -1;
        struct monitor_sink *k = &out->sinks[out->nsinks++];
        json_t *w = json_object_get(s, "webhook");
        if (w) {
            snprintf(sub, sizeof(sub), "%s.webhook", path);
            if (parse_webhook(w, sub, k, err))
                return -1;
        } else {
            snprintf(sub, sizeof(sub), "%s.command", path);
            if (parse_command(json_object_get(s, "command"), sub, k, err))
                return -1;
        }
    }
    return 0;
}

/* ---------- the spec ---------- */

int monitor_spec_parse(json_t *doc, struct monitor_spec *out, struct ferr *err)
{
    static const char *const keys[] = {
        "name",  "deployment", "reference", "columns",  "column_kinds", "window", "schedule",
        "drift", "decay",      "quality",   "min_rows", "sinks",        NULL};
    json_t *v;
    memset(out, 0, sizeof(*out));
    out->drift_share = 0.5;
    out->min_rows = 100;
    quality_defaults(&out->quality);
    if (!json_is_object(doc))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "monitor spec: must be an object (YAML mapping) with name, deployment, "
                        "reference and window");
    if (spec_only_keys(SPEC, doc, "", keys, err))
        goto fail;
    v = field(doc, "name");
    if (!json_is_string(v)) {
        bad(err, "name", "is required: the monitor's name");
        goto fail;
    }
    if (monitor_name_check(json_string_value(v), err))
        goto fail;
    out->name = xstrdup(json_string_value(v));
    v = field(doc, "deployment");
    if (!json_is_string(v)) {
        bad(err, "deployment", "is required: the name of the deployment to watch");
        goto fail;
    }
    if (deployment_name_check(json_string_value(v), err)) {
        bad(err, "deployment",
            "must be a deployment's name (1 to 64 letters, digits, '_', '.' "
            "or '-', starting with a letter or digit)");
        goto fail;
    }
    out->deployment = xstrdup(json_string_value(v));
    if (parse_reference(field(doc, "reference"), &out->reference, err))
        goto fail;
    if ((v = field(doc, "columns")) && parse_column_list(v, out, err))
        goto fail;
    if ((v = field(doc, "column_kinds")) &&
        parse_col_map(v, "column_kinds", MAP_KINDS, &out->column_kinds, &out->nkinds, err))
        goto fail;
    if (parse_window(field(doc, "window"), out, err))
        goto fail;
    if ((v = field(doc, "schedule"))) {
        static const char *const skeys[] = {"every", NULL};
        if (!json_is_object(v)) {
            bad(err, "schedule", "must be an object such as {every: 1h}");
            goto fail;
        }
        if (spec_only_keys(SPEC, v, "schedule", skeys, err))
            goto fail;
        if (!field(v, "every")) {
            bad(err, "schedule.every", "is required: how often the monitor runs (\"1h\")");
            goto fail;
        }
        if (spec_duration(SPEC, field(v, "every"), "schedule.every", &out->every_ms, err))
            goto fail;
        if (out->every_ms < 1000) {
            bad(err, "schedule.every", "must be at least 1s");
            goto fail;
        }
    }
    if (parse_drift(field(doc, "drift"), out, err) || parse_decay(field(doc, "decay"), out, err) ||
        parse_quality(field(doc, "quality"), &out->quality, err))
        goto fail;
    if ((v = field(doc, "min_rows")) &&
        spec_int(SPEC, v, "min_rows", 0, 1000000000, &out->min_rows, err))
        goto fail;
    if (parse_sinks(field(doc, "sinks"), out, err))
        goto fail;
    return 0;
fail:
    monitor_spec_release(out);
    return -1;
}

static json_t *col_map_json(const struct monitor_col_opt *o, size_t n, int numbers)
{
    json_t *m = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(m, o[i].column,
                            numbers ? json_real(o[i].value) : json_string(o[i].text));
    return m;
}

static json_t *reference_json(const struct monitor_reference *r)
{
    char a[24], b[24];
    switch (r->kind) {
    case MON_REF_RUN_ARTIFACT:
        return json_pack("{s:s}", "run_artifact", r->uri);
    case MON_REF_DATASET:
        return json_pack("{s:s}", "dataset", r->uri);
    case MON_REF_WINDOW_FIXED:
        return json_pack("{s:{s:I, s:I}}", "window", "from", (json_int_t)r->from_ms, "to",
                         (json_int_t)r->to_ms);
    case MON_REF_WINDOW_RELATIVE:
    default:
        duration_format(r->last_ms, a);
        duration_format(r->ending_ms, b);
        if (!r->ending_ms)
            snprintf(b, sizeof(b), "0s");
        return json_pack("{s:{s:s, s:s}}", "window", "last", a, "ending", b);
    }
}

static json_t *sink_json(const struct monitor_sink *k)
{
    char d[24];
    if (k->kind == MON_SINK_COMMAND) {
        json_t *args = json_array();
        for (size_t i = 0; i < k->nargs; i++)
            json_array_append_new(args, json_string(k->args[i]));
        return json_pack("{s:{s:s, s:o}}", "command", "path", k->path, "args", args);
    }
    json_t *h = json_object();
    for (size_t i = 0; i < k->nheaders; i++)
        json_object_set_new(h, k->header_names[i], json_string(k->header_values[i]));
    duration_format(k->timeout_ms, d);
    json_t *w = json_pack("{s:s, s:o, s:s}", "url", k->url, "headers", h, "timeout", d);
    if (k->secret_env)
        json_object_set_new(w, "secret_env", json_string(k->secret_env));
    return json_pack("{s:o}", "webhook", w);
}

json_t *monitor_spec_to_json(const struct monitor_spec *s)
{
    char d[24];
    json_t *o = json_pack("{s:s, s:s, s:o}", "name", s->name, "deployment", s->deployment,
                          "reference", reference_json(&s->reference));
    if (s->ncolumns) {
        json_t *c = json_array();
        for (size_t i = 0; i < s->ncolumns; i++)
            json_array_append_new(c, json_string(s->columns[i]));
        json_object_set_new(o, "columns", c);
    }
    if (s->nkinds)
        json_object_set_new(o, "column_kinds", col_map_json(s->column_kinds, s->nkinds, 0));
    if (s->window_rows) {
        json_object_set_new(o, "window",
                            json_pack("{s:I}", "last_rows", (json_int_t)s->window_rows));
    } else {
        duration_format(s->window_ms, d);
        json_object_set_new(o, "window", json_pack("{s:s}", "last", d));
    }
    if (s->every_ms) {
        duration_format(s->every_ms, d);
        json_object_set_new(o, "schedule", json_pack("{s:s}", "every", d));
    }
    json_t *drift = json_pack("{s:f, s:o, s:o}", "drift_share", s->drift_share, "stattest",
                              col_map_json(s->stattests, s->nstattests, 0), "threshold",
                              col_map_json(s->thresholds, s->nthresholds, 1));
    if (s->default_stattest)
        json_object_set_new(drift, "default_stattest", json_string(s->default_stattest));
    if (s->has_default_threshold)
        json_object_set_new(drift, "default_threshold", json_real(s->default_threshold));
    json_object_set_new(o, "drift", drift);
    json_t *decay = json_object();
    for (size_t i = 0; i < s->ndecay; i++) {
        const struct monitor_decay *m = &s->decay[i];
        json_t *g = json_object();
        if (m->has_min)
            json_object_set_new(g, "min", json_real(m->min));
        if (m->has_max)
            json_object_set_new(g, "max", json_real(m->max));
        if (m->has_max_drop)
            json_object_set_new(g, "max_drop", json_real(m->max_drop));
        if (m->has_max_rise)
            json_object_set_new(g, "max_rise", json_real(m->max_rise));
        json_object_set_new(decay, m->metric, g);
    }
    json_object_set_new(o, "decay", decay);
    json_t *q = json_pack("{s:b, s:b}", "new_categories", s->quality.new_categories, "schema",
                          s->quality.schema);
    if (s->quality.max_missing_share >= 0)
        json_object_set_new(q, "max_missing_share", json_real(s->quality.max_missing_share));
    if (s->quality.max_out_of_range_share >= 0)
        json_object_set_new(q, "max_out_of_range_share",
                            json_real(s->quality.max_out_of_range_share));
    json_object_set_new(o, "quality", q);
    json_object_set_new(o, "min_rows", json_integer(s->min_rows));
    json_t *sinks = json_array();
    for (size_t i = 0; i < s->nsinks; i++)
        json_array_append_new(sinks, sink_json(&s->sinks[i]));
    json_object_set_new(o, "sinks", sinks);
    return o;
}

static void col_opts_release(struct monitor_col_opt *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(o[i].column);
        free(o[i].text);
    }
    free(o);
}

void monitor_spec_release(struct monitor_spec *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->deployment);
    free(s->reference.uri);
    free(s->reference.run_id);
    free(s->reference.path);
    for (size_t i = 0; i < s->ncolumns; i++)
        free(s->columns[i]);
    free(s->columns);
    col_opts_release(s->column_kinds, s->nkinds);
    col_opts_release(s->stattests, s->nstattests);
    col_opts_release(s->thresholds, s->nthresholds);
    free(s->default_stattest);
    for (size_t i = 0; i < s->ndecay; i++)
        free(s->decay[i].metric);
    for (size_t i = 0; i < s->nsinks; i++) {
        struct monitor_sink *k = &s->sinks[i];
        free(k->url);
        free(k->secret_env);
        for (size_t j = 0; j < k->nheaders; j++) {
            free(k->header_names[j]);
            free(k->header_values[j]);
        }
        free(k->path);
        for (size_t j = 0; j < k->nargs; j++)
            free(k->args[j]);
    }
    memset(s, 0, sizeof(*s));
}

void monitor_spec_copy(const struct monitor_spec *from, struct monitor_spec *to)
{
    struct ferr err = FERR_INIT;
    json_t *j = monitor_spec_to_json(from);
    if (monitor_spec_parse(j, to, &err)) { /* a parsed spec always parses again */
        fprintf(stderr, "monitor_spec_copy: %s\n", err.msg);
        abort();
    }
    json_decref(j);
}

int monitor_spec_equal(const struct monitor_spec *a, const struct monitor_spec *b)
{
    json_t *ja = monitor_spec_to_json(a), *jb = monitor_spec_to_json(b);
    int eq = json_equal(ja, jb);
    json_decref(ja);
    json_decref(jb);
    return eq;
}

static const struct monitor_col_opt *col_find(const struct monitor_col_opt *o, size_t n,
                                              const char *column)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(o[i].column, column))
            return &o[i];
    return NULL;
}

const char *monitor_spec_column_kind(const struct monitor_spec *s, const char *column)
{
    const struct monitor_col_opt *o = col_find(s->column_kinds, s->nkinds, column);
    return o ? o->text : NULL;
}

const char *monitor_spec_stattest(const struct monitor_spec *s, const char *column)
{
    const struct monitor_col_opt *o = col_find(s->stattests, s->nstattests, column);
    return o ? o->text : s->default_stattest;
}

int monitor_spec_threshold(const struct monitor_spec *s, const char *column, double *out)
{
    const struct monitor_col_opt *o = col_find(s->thresholds, s->nthresholds, column);
    if (o) {
        *out = o->value;
        return 1;
    }
    if (s->has_default_threshold) {
        *out = s->default_threshold;
        return 1;
    }
    return 0;
}

/* ---------- names ---------- */

static int parse_name(const char *s, const char *const *names, size_t n, int *out)
{
    for (size_t i = 0; s && i < n; i++)
        if (!strcmp(s, names[i])) {
            *out = (int)i;
            return 0;
        }
    return -1;
}

#define NAMES(type, fn, ...)                                                                       \
    static const char *const fn##_names[] = {__VA_ARGS__};                                         \
    const char *fn##_name(enum type v)                                                             \
    {                                                                                              \
        return (size_t)v < sizeof(fn##_names) / sizeof(*fn##_names) ? fn##_names[v] : "unknown";   \
    }                                                                                              \
    int fn##_parse(const char *s, enum type *out)                                                  \
    {                                                                                              \
        int v;                                                                                     \
        if (parse_name(s, fn##_names, sizeof(fn##_names) / sizeof(*fn##_names), &v))               \
            return -1;                                                                             \
        *out = (enum type)v;                                                                       \
        return 0;                                                                                  \
    }

NAMES(monitor_status, monitor_status, "ok", "insufficient", "failed")
NAMES(alert_state, alert_state, "open", "acknowledged", "resolved")
NAMES(alert_severity, alert_severity, "warning", "critical")
NAMES(delivery_event, delivery_event, "opened", "resolved")
NAMES(delivery_state, delivery_state, "pending", "delivered", "failed")

const char *monitor_sink_kind_name(enum monitor_sink_kind k)
{
    return k == MON_SINK_COMMAND ? "command" : "webhook";
}

int alert_condition_check(const char *condition, struct ferr *err)
{
    size_t n = condition ? strlen(condition) : 0;
    int ok = n >= 1 && n <= 400;
    for (size_t i = 0; ok && i < n; i++)
        ok = (unsigned char)condition[i] >= 0x20 && condition[i] != 0x7f;
    if (!ok)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid alert condition '%.100s': 1 to 400 characters on one line, such "
                        "as \"drift\" or \"decay:f1\"",
                        condition ? condition : "");
    return 0;
}
