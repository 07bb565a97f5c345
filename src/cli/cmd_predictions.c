/* SPDX-License-Identifier: MIT
 * `ferry predictions list|export`: a deployment's prediction log (issue
 * 17), read page by page over either transport, as a table or streamed to
 * CSV or JSON lines. */
#include "base/ftime.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/cli_time.h"
#include "cli/cmd.h"
#include "client/client_predictions.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry predictions list -d NAME [--since T] [--until T] [--model NAME/VERSION]\n"
    "                              [--labeled|--unlabeled] [--max-results N] [--json]\n"
    "       ferry predictions export -d NAME [--since T] [--until T] [--model NAME/VERSION]\n"
    "                              [--labeled|--unlabeled] [-o FILE.csv|FILE.jsonl]\n"
    "                              [--format csv|jsonl]\n"
    "\n"
    "  list    the first page of matching rows (oldest first), as a table\n"
    "  export  every matching row, streamed page by page: JSON lines (the API's row\n"
    "          objects) or CSV (one column per input, then the prediction, the\n"
    "          class probabilities and the label)\n"
    "\n"
    "  -d, --deployment NAME  the deployment (required)\n"
    "  --since T, --until T   the window [since, until): ms since the epoch, a UTC\n"
    "                         date (2026-12-03T08:00) or a duration ago (2h, 7d)\n"
    "  --model NAME/VERSION   only this target's rows\n"
    "  --labeled              only rows with a label; --unlabeled only without\n"
    "  --shadow, --answers    only shadows' rows, only answering targets' rows\n"
    "  --max-results N        rows listed (default 100, at most 10000)\n"
    "  -o, --output FILE      where export writes (default: standard output)\n"
    "  --format csv|jsonl     export's format (default: by -o's extension; jsonl)\n"
    "  --json                 list's rows as JSON\n"
    "  -h, --help             this help\n";

#define PAGE 1000

struct opts {
    const char *deployment, *model, *output, *format;
    int64_t since, until, max_results;
    int labeled, shadow, json;
};

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"deployment", required_argument, NULL, 'd'},
        {"since", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'},
        {"model", required_argument, NULL, 'm'},
        {"labeled", no_argument, NULL, 'L'},
        {"unlabeled", no_argument, NULL, 'U'},
        {"shadow", no_argument, NULL, 'S'},
        {"answers", no_argument, NULL, 'A'},
        {"max-results", required_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'F'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    int64_t now = ftime_now_ms();
    optind = 0;
    opterr = 0;
    o->labeled = -1;
    o->shadow = -1;
    o->max_results = 100;
    while ((c = getopt_long(argc, argv, ":hd:o:", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->deployment = optarg;
            break;
        case 's':
            if (cli_parse_time("--since", optarg, now, &o->since))
                return 2;
            break;
        case 'u':
            if (cli_parse_time("--until", optarg, now, &o->until))
                return 2;
            break;
        case 'm':
            o->model = optarg;
            break;
        case 'L':
        case 'U':
            if (o->labeled >= 0)
                return cli_usagef("give --labeled or --unlabeled, not both");
            o->labeled = c == 'L';
            break;
        case 'S':
        case 'A':
            if (o->shadow >= 0)
                return cli_usagef("give --shadow or --answers, not both");
            o->shadow = c == 'S';
            break;
        case 'n':
            if (cli_parse_int64("--max-results", optarg, 1, 10000, &o->max_results))
                return 2;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'F':
            if (strcmp(optarg, "csv") && strcmp(optarg, "jsonl"))
                return cli_usagef("--format: expected csv or jsonl, not '%s'", optarg);
            o->format = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_bad_option("predictions", argv, c, usage);
        }
    }
    if (!o->deployment)
        return cli_usagef("the deployment is required: -d NAME");
    if (o->since && o->until && o->since >= o->until)
        return cli_usagef("--since must be before --until");
    return 0;
}

static void query_of(const struct opts *o, struct prediction_query *q, int64_t max)
{
    memset(q, 0, sizeof(*q));
    q->deployment = o->deployment;
    q->model = o->model;
    q->start_ms = o->since;
    q->end_ms = o->until;
    q->labeled = o->labeled;
    q->shadow = o->shadow;
    q->max_results = max;
}

/* ---------- list ---------- */

/* A JSON value as a table cell. */
static void cell_json(struct table *t, json_t *v)
{
    if (!v || json_is_null(v)) {
        table_add(t, "-");
        return;
    }
    if (json_is_string(v)) {
        table_add(t, json_string_value(v));
        return;
    }
    char *s = fjson_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
    table_add(t, s);
    free(s);
}

static int do_list(struct client *c, const struct opts *o)
{
    struct prediction_query q;
    struct pred_row_list l;
    struct ferr err = FERR_INIT;
    char *next = NULL;
    query_of(o, &q, o->max_results);
    if (client_predictions_search(c, &q, &l, &next, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, pred_row_json(&l.v[i]));
        json_t *doc = json_pack("{s:o}", "predictions", a);
        if (next)
            json_object_set_new(doc, "next_page_token", json_string(next));
        cli_print_json(doc);
    } else {
        static const char *const headers[] = {"REQUEST ID", "TIME",       "MODEL", "STATUS",
                                              "LATENCY MS", "PREDICTION", "LABEL"};
        struct table t;
        table_init(&t, 7, headers);
        for (size_t i = 0; i < l.n; i++) {
            json_t *j = pred_row_json(&l.v[i]);
            char when[32];
            cli_format_time(when, sizeof(when), l.v[i].time_ms);
            cell_json(&t, json_object_get(j, "request_id"));
            table_add(&t, when);
            table_addf(&t, "%s%s", json_string_value(json_object_get(j, "model")),
                       l.v[i].target.shadow ? " (shadow)" : "");
            table_addf(&t, "%d", l.v[i].status);
            table_addf(&t, "%.1f", l.v[i].latency_us / 1000.0);
            cell_json(&t, json_object_get(j, "prediction"));
            cell_json(&t, json_object_get(j, "label"));
            json_decref(j);
        }
        table_print(&t);
        table_release(&t);
        if (next)
            printf("(more rows: --max-results, or export them)\n");
    }
    free(next);
    pred_row_list_release(&l);
    return 0;
}

/* ---------- export ---------- */

/* A CSV cell: quoted when it holds a comma, quote or line break. */
static void csv_cell(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_value(FILE *f, json_t *v)
{
    if (!v || json_is_null(v))
        return;
    if (json_is_string(v)) {
        csv_cell(f, json_string_value(v));
        return;
    }
    char *s = fjson_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    csv_cell(f, s);
    free(s);
}

/* The CSV's columns: fixed ones, then the inputs and the probabilities of
 * the first row (later rows' other columns are left out, and said so). */
struct csv_layout {
    json_t *inputs;  /* array of names */
    json_t *classes; /* array of names */
    int warned;
};

static const char *const fixed_cols[] = {
    "request_id", "time", "model", "shadow", "status", "latency_ms", "caller_request_id", "tags"};
#define NFIXED (sizeof(fixed_cols) / sizeof(*fixed_cols))

static void csv_header(FILE *f, struct csv_layout *lay, json_t *row)
{
    json_t *in = json_object_get(row, "inputs"), *pr = json_object_get(row, "probabilities"), *v;
    const char *k;
    lay->inputs = json_array();
    lay->classes = json_array();
    for (size_t i = 0; i < NFIXED; i++)
        fprintf(f, "%s%s", i ? "," : "", fixed_cols[i]);
    json_object_foreach(in, k, v)
    {
        json_array_append_new(lay->inputs, json_string(k));
        fputc(',', f);
        csv_cell(f, k);
    }
    fputs(",prediction", f);
    json_object_foreach(pr, k, v)
    {
        struct sbuf name = SBUF_INIT;
        json_array_append_new(lay->classes, json_string(k));
        sbuf_addf(&name, "proba_%s", k);
        fputc(',', f);
        csv_cell(f, name.buf);
        sbuf_release(&name);
    }
    fputs(",label,label_time\n", f);
}

static void csv_row(FILE *f, struct csv_layout *lay, json_t *row)
{
    json_t *in = json_object_get(row, "inputs"), *pr = json_object_get(row, "probabilities"), *v;
    size_t i;
    for (i = 0; i < NFIXED; i++) {
        if (i)
            fputc(',', f);
        json_t *x = json_object_get(row, fixed_cols[i]);
        if (json_is_object(x)) { /* tags: k=v;k=v */
            const char *k;
            json_t *tv;
            struct sbuf s = SBUF_INIT;
            json_object_foreach(x, k, tv)
                sbuf_addf(&s, "%s%s=%s", s.len ? ";" : "", k,
                          json_string_value(tv) ? json_string_value(tv) : "");
            csv_cell(f, s.buf);
            sbuf_release(&s);
        } else {
            csv_value(f, x);
        }
    }
    json_array_foreach(lay->inputs, i, v)
    {
        fputc(',', f);
        csv_value(f, json_object_get(in, json_string_value(v)));
    }
    fputc(',', f);
    csv_value(f, json_object_get(row, "prediction"));
    json_array_foreach(lay->classes, i, v)
    {
        fputc(',', f);
        csv_value(f, json_object_get(pr, json_string_value(v)));
    }
    fputc(',', f);
    csv_value(f, json_object_get(row, "label"));
    fputc(',', f);
    csv_value(f, json_object_get(row, "label_time"));
    fputc('\n', f);
    if (!lay->warned && (json_object_size(in) > json_array_size(lay->inputs) ||
                         json_object_size(pr) > json_array_size(lay->classes))) {
        lay->warned = 1;
        fprintf(stderr, "ferry: warning: rows with inputs or classes the first row did not have; "
                        "their extra columns are left out of the CSV (export as .jsonl)\n");
    }
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

static int do_export(struct client *c, const struct opts *o)
{
    int csv = o->format ? !strcmp(o->format, "csv") : o->output && ends_with(o->output, ".csv");
    FILE *f = o->output && strcmp(o->output, "-") ? fopen(o->output, "w") : stdout;
    struct csv_layout lay = {NULL, NULL, 0};
    struct prediction_query q;
    struct ferr err = FERR_INIT;
    char *token = NULL;
    int64_t rows = 0;
    int rc = 0, first = 1;
    if (!f)
        return cli_failf("cannot open %s: %s", o->output, strerror(errno));
    query_of(o, &q, PAGE);
    do {
        struct pred_row_list l;
        char *next = NULL;
        q.page_token = token;
        if (client_predictions_search(c, &q, &l, &next, &err)) {
            rc = cli_fail(&err);
            break;
        }
        for (size_t i = 0; i < l.n; i++) {
            json_t *j = pred_row_json(&l.v[i]);
            if (csv) {
                if (first)
                    csv_header(f, &lay, j);
                csv_row(f, &lay, j);
            } else {
                char *s = fjson_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
                fputs(s, f);
                fputc('\n', f);
                free(s);
            }
            first = 0;
            json_decref(j);
        }
        rows += (int64_t)l.n;
        pred_row_list_release(&l);
        free(token);
        token = next;
    } while (token);
    free(token);
    json_decref(lay.inputs);
    json_decref(lay.classes);
    /* ferror: a failed fputs/fputc along the way (a full disk) fails the export */
    int werr = ferror(f);
    if (f != stdout) {
        if ((fclose(f) || werr) && !rc)
            rc = cli_failf("cannot write %s: %s", o->output, strerror(errno ? errno : EIO));
    } else if ((fflush(f) || werr) && !rc) {
        rc = cli_failf("cannot write the rows: %s", strerror(errno));
    }
    if (!rc && f != stdout)
        fprintf(stderr, "%" PRId64 " rows written to %s\n", rows, o->output);
    return rc;
}

int cmd_predictions(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof(o));
    if (argc < 2)
        return cli_usage(usage);
    const char *action = argv[1];
    if (!strcmp(action, "-h") || !strcmp(action, "--help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(action, "list") && strcmp(action, "export"))
        return cli_usagef("unknown action '%s'; see 'ferry predictions --help'", action);
    int prc = parse(argc - 1, argv + 1, &o);
    if (prc)
        return prc < 0 ? 0 : prc;
    if (optind != argc - 1)
        return cli_usage(usage);
    struct client *c = NULL;
    if (cli_open(&c))
        return 1;
    int rc = !strcmp(action, "list") ? do_list(c, &o) : do_export(c, &o);
    client_close(c);
    return rc;
}
