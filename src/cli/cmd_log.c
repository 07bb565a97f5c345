/* SPDX-License-Identifier: MIT
 * `ferry log param|metric|tag|batch`: logging from shell scripts. The run is
 * --run-id, else $FERRY_RUN_ID, else $MLFLOW_RUN_ID. */
#include "cli/cmd.h"
#include "cli/cli.h"
#include "base/env.h"
#include "api/codec.h"
#include "base/ftime.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "domain/validate.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry log param KEY VALUE [--run-id ID]\n"
    "       ferry log metric KEY VALUE [--step N] [--timestamp MS] [--run-id ID]\n"
    "       ferry log tag KEY VALUE [--run-id ID]\n"
    "       ferry log batch [FILE | -] [--run-id ID]\n"
    "\n"
    "  --run-id ID      the run (default: $FERRY_RUN_ID, else $MLFLOW_RUN_ID)\n"
    "  --step N         the metric's step (default 0)\n"
    "  --timestamp MS   milliseconds since the epoch (default: now)\n"
    "  -h, --help       this help\n"
    "\n"
    "A batch is a JSON document read from FILE or, without one or with -, from\n"
    "standard input:\n"
    "  {\"metrics\": [{\"key\": \"loss\", \"value\": 0.5, \"step\": 1, \"timestamp\": MS}],\n"
    "   \"params\": [{\"key\": \"lr\", \"value\": \"0.1\"}], \"tags\": [{\"key\": ..., \"value\": "
    "...}]}\n"
    "Metric timestamps default to now and steps to 0; values may be \"NaN\",\n"
    "\"Infinity\" or \"-Infinity\". Batches above MLflow's per-request limits are sent\n"
    "in several requests.\n";

struct opts {
    const char *run_id;
    int64_t step, timestamp;
};

/* 1 when argv[i] is a negative number standing as a positional argument
 * (not the value of an option before it). */
static int negative_positional(char **argv, int i)
{
    static const char *const valued[] = {"--run-id", "--step", "--timestamp"};
    double ignored;
    if (i == 0 || argv[i][0] != '-' || argv[i][1] == '-' || fjson_parse_double(argv[i], &ignored))
        return 0;
    for (size_t k = 0; k < sizeof(valued) / sizeof(*valued); k++)
        if (!strcmp(argv[i - 1], valued[k]))
            return 0;
    return 1;
}

/* getopt would read a negative VALUE ("-1.5") as options: returns a copy of
 * argv (free the array, not the strings) with such arguments moved behind a
 * "--", in order, so they stay positional and after the KEY. Unchanged when
 * the user wrote "--" already. */
static char **protect_negatives(int argc, char **argv, int *nargc)
{
    static char dashdash[] = "--";
    char **out = xcalloc((size_t)argc + 2, sizeof(*out));
    int n = 0, user_dashdash = 0;
    for (int i = 0; i < argc; i++)
        user_dashdash |= !strcmp(argv[i], "--");
    for (int i = 0; i < argc; i++)
        if (user_dashdash || !negative_positional(argv, i))
            out[n++] = argv[i];
    if (n < argc) {
        out[n++] = dashdash;
        for (int i = 0; i < argc; i++)
            if (negative_positional(argv, i))
                out[n++] = argv[i];
    }
    *nargc = n;
    return out;
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"run-id", required_argument, NULL, 'r'},
        {"step", required_argument, NULL, 's'},
        {"timestamp", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o->run_id = optarg;
            break;
        case 's':
            if (cli_parse_int64("--step", optarg, INT64_MIN, INT64_MAX, &o->step))
                return 2;
            break;
        case 't':
            if (cli_parse_int64("--timestamp", optarg, 0, INT64_MAX, &o->timestamp))
                return 2;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_bad_option("log", argv, c, usage);
        }
    }
    if (!o->run_id)
        o->run_id = env_get("RUN_ID");
    if (!o->run_id)
        return cli_usagef("no run: pass --run-id or set FERRY_RUN_ID");
    return 0;
}

static int read_all(const char *path, struct sbuf *out)
{
    int use_stdin = !path || !strcmp(path, "-");
    FILE *f = use_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return cli_failf("cannot open '%s': %s", path, strerror(errno));
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        sbuf_add(out, buf, n);
    int bad = ferror(f);
    if (!use_stdin && fclose(f))
        bad = 1;
    return bad ? cli_failf("cannot read '%s'", use_stdin ? "standard input" : path) : 0;
}

static int decode_batch(const char *text, size_t len, struct metric_list *m, struct kv_list *p,
                        struct kv_list *t, struct ferr *err)
{
    json_error_t je;
    json_t *doc = json_loadb(text, len, 0, &je), *ms, *it;
    size_t i;
    int rc = -1;
    if (!json_is_object(doc)) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the batch is not a JSON object: %s",
                 doc ? "wrong type" : je.text);
        goto out;
    }
    /* Metrics without a timestamp get now; the codec requires one. */
    ms = json_object_get(doc, "metrics");
    int64_t now = ftime_now_ms();
    json_array_foreach(ms, i, it)
    {
        if (json_is_object(it) && !json_object_get(it, "timestamp"))
            json_object_set_new(it, "timestamp", json_integer(now));
    }
    if (codec_metric_list_from_json(ms, m, err) ||
        codec_kv_list_from_json(json_object_get(doc, "params"), "params", p, err) ||
        codec_kv_list_from_json(json_object_get(doc, "tags"), "tags", t, err))
        goto out;
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

/* Fills the lists from the arguments of `ferry log WHAT ...`; returns 0 or
 * the exit status. */
static int collect(const char *what, const struct opts *o, int npos, char **pos,
                   struct metric_list *m, struct kv_list *p, struct kv_list *t)
{
    struct ferr err = FERR_INIT;
    struct sbuf text = SBUF_INIT;
    int rc = 0;
    if (!strcmp(what, "batch")) {
        if (npos > 1)
            return cli_usage(usage);
        if (read_all(npos ? pos[0] : NULL, &text))
            rc = 1;
        else if (decode_batch(text.buf, text.len, m, p, t, &err))
            rc = cli_fail(&err);
        sbuf_release(&text);
        return rc;
    }
    if (npos != 2)
        return cli_usage(usage);
    if (!strcmp(what, "metric")) {
        double v;
        if (fjson_parse_double(pos[1], &v))
            return cli_usagef("metric value '%s' is not a number", pos[1]);
        metric_list_add(m, pos[0], v, o->timestamp ? o->timestamp : ftime_now_ms(), o->step);
    } else {
        kv_list_add(!strcmp(what, "param") ? p : t, pos[0], pos[1]);
    }
    return 0;
}

int cmd_log(int argc, char **argv)
{
    static const char *const items[] = {"param", "metric", "tag", "batch"};
    struct opts o = {NULL, 0, 0};
    struct metric_list m = {0};
    struct kv_list p = {0}, t = {0};
    struct ferr err = FERR_INIT;
    struct client *c;
    size_t k = 0;
    if (argc < 2)
        return cli_usage(usage);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, stdout);
        return 0;
    }
    while (k < 4 && strcmp(argv[1], items[k]))
        k++;
    /* Usage is checked before opening: a typo must not create ./ferry.db. */
    if (k == 4)
        return cli_usagef("unknown item '%s' for 'ferry log'; see --help", argv[1]);
    int nargs;
    char **args = protect_negatives(argc - 1, argv + 1, &nargs);
    int rc = parse(nargs, args, &o);
    if (!rc)
        rc = collect(argv[1], &o, nargs - optind, args + optind, &m, &p, &t);
    if (!rc && cli_open(&c))
        rc = 1;
    else if (!rc) {
        if (client_log_batch(c, o.run_id, &m, &p, &t, &err))
            rc = cli_fail(&err);
        client_close(c);
    }
    free(args);
    metric_list_release(&m);
    kv_list_release(&p);
    kv_list_release(&t);
    return rc < 0 ? 0 : rc;
}
