/* SPDX-License-Identifier: MIT
 * `ferry drift REFERENCE.csv CURRENT.csv`: the one-shot data drift report
 * (issue 18): Evidently's default tests per column, the dataset verdict, data
 * quality; as a table, JSON or a self-contained HTML file. Needs no store.
 * Exit status: 0 whatever it finds, 1 with --fail-on-drift when the dataset
 * drifts, 2 on bad input or usage. */
#include "base/ferr.h"
#include "base/ftime.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/cli_data.h"
#include "cli/cmd.h"
#include "data/csv_columns.h"
#include "monitor/drift_html.h"
#include "monitor/drift_report.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry drift REFERENCE.csv CURRENT.csv [options]\n"
    "\n"
    "  Either side may be a dataset version, data:/NAME/VERSION[/FILE.csv] (or\n"
    "  @ALIAS, latest): it is fetched into the data cache and read from there.\n"
    "\n"
    "  Compares each column of CURRENT with the same column of REFERENCE using\n"
    "  Evidently's default test (reference <= 1000 rows: ks, chisquare or z;\n"
    "  larger: wasserstein or jensenshannon) and says whether the dataset drifts\n"
    "  (share of drifted columns >= the drift share).\n"
    "\n"
    "  --json                  the report as JSON (Evidently's names, data_quality,\n"
    "                          histograms)\n"
    "  --html FILE             also write a self-contained HTML report to FILE\n"
    "  --stattest COL=NAME     the test for a column: ks, chisquare, z, wasserstein,\n"
    "                          jensenshannon, psi, kl_div, hellinger (repeatable)\n"
    "  --threshold COL=X | X   a column's threshold, or every column's (repeatable)\n"
    "  --drift-share X         dataset drift at this share of drifted columns (0.5)\n"
    "  --column-kind COL=num|cat  override a column's inferred kind (repeatable)\n"
    "  --fail-on-drift         exit 1 when the dataset drifts\n"
    "  --threads N             columns tested at once, 1 or 2 (default 2)\n"
    "  --timings               print the phases' times to stderr\n"
    "  -h, --help              this help\n";

enum {
    OPT_JSON = 0x100,
    OPT_HTML,
    OPT_STATTEST,
    OPT_THRESHOLD,
    OPT_DRIFT_SHARE,
    OPT_KIND,
    OPT_FAIL,
    OPT_THREADS,
    OPT_TIMINGS,
};

struct opts {
    int json, fail_on_drift, timings;
    const char *html;
    struct drift_options d;
    struct drift_column_option *cols;
    size_t ncols, acols;
};

static struct drift_column_option *col_opt(struct opts *o, const char *name)
{
    for (size_t i = 0; i < o->ncols; i++)
        if (!strcmp(o->cols[i].name, name))
            return &o->cols[i];
    ALLOC_GROW(o->cols, o->ncols + 1, o->acols);
    struct drift_column_option *c = &o->cols[o->ncols++];
    memset(c, 0, sizeof(*c));
    c->name = name;
    return c;
}

static int parse_double(const char *opt, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v) || v < 0)
        return cli_usagef("%s: expected a number >= 0, not '%s'", opt, s);
    *out = v;
    return 0;
}

/* Splits "COL=VALUE" in place: the column, and *value after the '='. */
static int split_eq(const char *opt, char *arg, char **value)
{
    char *eq = strrchr(arg, '=');
    if (!eq || eq == arg)
        return cli_usagef("%s: expected COLUMN=VALUE, not '%s'", opt, arg);
    *eq = '\0';
    *value = eq + 1;
    return 0;
}

static int parse_one(struct opts *o, int c, char *arg)
{
    char *v = NULL;
    switch (c) {
    case OPT_STATTEST: {
        enum stattest_id id;
        if (split_eq("--stattest", arg, &v))
            return 2;
        if (stattest_from_name(v, &id))
            return cli_usagef("--stattest: unknown stattest '%s' (ks, chisquare, z, wasserstein, "
                              "jensenshannon, psi, kl_div, hellinger)",
                              v);
        struct drift_column_option *co = col_opt(o, arg);
        co->has_stattest = 1;
        co->stattest = id;
        return 0;
    }
    case OPT_THRESHOLD:
        if (!strchr(arg, '=')) {
            o->d.has_threshold = 1;
            return parse_double("--threshold", arg, &o->d.threshold) ? 2 : 0;
        }
        if (split_eq("--threshold", arg, &v)) {
            return 2;
        } else {
            struct drift_column_option *co = col_opt(o, arg);
            co->has_threshold = 1;
            return parse_double("--threshold", v, &co->threshold) ? 2 : 0;
        }
    case OPT_KIND:
        if (split_eq("--column-kind", arg, &v))
            return 2;
        if (strcmp(v, "num") && strcmp(v, "cat"))
            return cli_usagef("--column-kind: expected num or cat, not '%s'", v);
        col_opt(o, arg)->has_kind = 1;
        col_opt(o, arg)->kind = strcmp(v, "num") ? DRIFT_KIND_CAT : DRIFT_KIND_NUM;
        return 0;
    case OPT_DRIFT_SHARE:
        if (parse_double("--drift-share", arg, &o->d.drift_share))
            return 2;
        if (o->d.drift_share > 1)
            return cli_usagef("--drift-share: expected a share in [0, 1], not '%s'", arg);
        return 0;
    }
    return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"html", required_argument, NULL, OPT_HTML},
        {"stattest", required_argument, NULL, OPT_STATTEST},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"drift-share", required_argument, NULL, OPT_DRIFT_SHARE},
        {"column-kind", required_argument, NULL, OPT_KIND},
        {"fail-on-drift", no_argument, NULL, OPT_FAIL},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"timings", no_argument, NULL, OPT_TIMINGS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    int64_t threads;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_HTML:
            o->html = optarg;
            break;
        case OPT_FAIL:
            o->fail_on_drift = 1;
            break;
        case OPT_TIMINGS:
            o->timings = 1;
            break;
        case OPT_THREADS:
            if (cli_parse_int64("--threads", optarg, 1, 2, &threads))
                return 2;
            o->d.threads = (int)threads;
            break;
        case OPT_STATTEST:
        case OPT_THRESHOLD:
        case OPT_KIND:
        case OPT_DRIFT_SHARE:
            if (parse_one(o, c, optarg))
                return 2;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_bad_option("drift", argv, c, usage);
        }
    }
    return 0;
}

struct load {
    const char *path;
    struct column_table *t;
    struct ferr err;
};

/* Reads both files, one after the other, each on up to threads threads. */
static int load_both(struct load *ref, struct load *cur, int threads)
{
    if (csv_columns_read(ref->path, threads, &ref->t, &ref->err))
        return cli_usagef("%s", ref->err.msg);
    if (csv_columns_read(cur->path, threads, &cur->t, &cur->err))
        return cli_usagef("%s", cur->err.msg);
    return 0;
}

static void fmt_num(char *buf, size_t n, double v, int is_null)
{
    if (is_null || isnan(v))
        snprintf(buf, n, "-");
    else if (isinf(v))
        snprintf(buf, n, "%s", v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, n, "%.6g", v);
}

static void print_table(const struct drift_report *r)
{
    static const char *const heads[] = {"COLUMN",  "KIND",      "TEST",   "STATISTIC",
                                        "P-VALUE", "THRESHOLD", "DRIFTED"};
    struct table t;
    table_init(&t, 7, heads);
    for (size_t i = 0; i < r->ncols; i++) {
        const struct drift_col_result *c = &r->cols[i];
        if (!c->tested)
            continue;
        char s[64], p[64], th[64];
        fmt_num(s, sizeof(s), c->statistic, 0);
        fmt_num(p, sizeof(p), c->p_value, !stattest_is_pvalue(c->stattest));
        fmt_num(th, sizeof(th), c->threshold, 0);
        table_add(&t, c->name);
        table_add(&t, drift_kind_name(c->kind));
        table_add(&t, stattest_name(c->stattest));
        table_add(&t, s);
        table_add(&t, p);
        table_add(&t, th);
        table_add(&t, c->drifted ? "yes" : "no");
    }
    table_print(&t);
    table_release(&t);
    for (size_t i = 0; i < r->ncols; i++)
        if (!r->cols[i].tested)
            printf("skipped %s: %s\n", r->cols[i].name, r->cols[i].skip_reason);
    for (size_t i = 0; i < r->n_missing_in_current; i++)
        printf("missing in current: %s\n", r->missing_in_current[i]);
    for (size_t i = 0; i < r->n_missing_in_reference; i++)
        printf("missing in reference: %s\n", r->missing_in_reference[i]);
    printf("\ndataset drift: %s (%zu of %zu columns drifted, share %.4g, drift share %.4g)\n",
           r->dataset_drift ? "yes" : "no", r->number_of_drifted_columns, r->number_of_columns,
           r->share_of_drifted_columns, r->drift_share);
}

/* ref_name and cur_name: what the HTML report calls each side (the
 * argument as given: a data: URI rather than its cached copy). */
static int run(const char *ref_path, const char *cur_path, const char *ref_name,
               const char *cur_name, struct opts *o)
{
    struct load ref = {.path = ref_path, .err = FERR_INIT};
    struct load cur = {.path = cur_path, .err = FERR_INIT};
    struct drift_report *r = NULL;
    struct ferr err = FERR_INIT;
    int rc;
    double t0 = ftime_mono_s();
    rc = load_both(&ref, &cur, o->d.threads);
    double t1 = ftime_mono_s();
    if (rc)
        goto out;
    if (o->timings)
        fprintf(stderr, "timings: parse %.3f s (%zu + %zu rows)\n", t1 - t0, ref.t->nrows,
                cur.t->nrows);
    o->d.cols = o->cols;
    o->d.ncols = o->ncols;
    if (drift_report_compute(ref.t, cur.t, &o->d, &r, &err)) {
        rc = cli_usagef("%s", err.msg);
        goto out;
    }
    double t2 = ftime_mono_s();
    if (o->html && drift_html_write(r, o->html, ref_name, cur_name, &err)) {
        rc = cli_usagef("%s", err.msg);
        goto out;
    }
    if (o->json) {
        cli_print_json(drift_report_json(r)); /* takes the reference */
    } else {
        print_table(r);
    }
    if (o->timings)
        fprintf(stderr, "timings: tests %.3f s, total %.3f s\n", t2 - t1, ftime_mono_s() - t0);
    rc = o->fail_on_drift && r->dataset_drift ? 1 : 0;
out:
    drift_report_free(r);
    column_table_free(ref.t);
    column_table_free(cur.t);
    return rc;
}

int cmd_drift(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof(o));
    drift_options_init(&o.d);
    int prc = parse(argc, argv, &o);
    if (prc) {
        free(o.cols);
        return prc < 0 ? 0 : prc;
    }
    if (optind != argc - 2) {
        free(o.cols);
        return cli_usage(usage);
    }
    struct sbuf ref = SBUF_INIT, cur = SBUF_INIT;
    struct ferr err = FERR_INIT;
    int rc;
    if (cli_local_path(argv[optind], &ref, &err) || cli_local_path(argv[optind + 1], &cur, &err))
        rc = cli_usagef("%s", err.msg);
    else
        rc = run(ref.buf, cur.buf, argv[optind], argv[optind + 1], &o);
    sbuf_release(&ref);
    sbuf_release(&cur);
    free(o.cols);
    return rc;
}
