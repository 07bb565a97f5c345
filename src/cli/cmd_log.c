/* SPDX-License-Identifier: MIT
 * `ferry log param|metric|tag|batch`: logging from shell scripts. The run is
 * --run-id, else $FERRY_RUN_ID, else $MLFLOW_RUN_ID. */
#include "cli/cli.h"
#include "api/codec.h"
#include "base/ftime.h"
#include "base/json.h"
#include "domain/validate.h"

#include <getopt.h>
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
    "The run defaults to $FERRY_RUN_ID, then $MLFLOW_RUN_ID. A batch is a JSON\n"
    "document {\"metrics\": [{\"key\", \"value\", \"timestamp\", \"step\"}], \"params\":\n"
    "[{\"key\", \"value\"}], \"tags\": [...]}, read from FILE or standard input;\n"
    "metric timestamps default to now. Put -- before a negative VALUE.\n";

struct opts {
    const char *run_id;
    int64_t step, timestamp;
};

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
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o->run_id = optarg;
            break;
        case 's':
        case 't':
            if (fjson_parse_int64(optarg, c == 's' ? &o->step : &o->timestamp))
                return cli_failf("--%s takes an integer, not '%s'",
                                 c == 's' ? "step" : "timestamp", optarg) +
                       1;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_usage(usage);
        }
    }
    if (!o->run_id)
        o->run_id = getenv("FERRY_RUN_ID");
    if (!o->run_id || !*o->run_id)
        o->run_id = getenv("MLFLOW_RUN_ID");
    if (!o->run_id || !*o->run_id)
        return cli_failf("no run: pass --run-id or set FERRY_RUN_ID") + 1;
    return 0;
}

static int read_all(const char *path, struct sbuf *out)
{
    FILE *f = !path || !strcmp(path, "-") ? stdin : fopen(path, "rb");
    if (!f)
        return cli_failf("cannot open '%s'", path);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        sbuf_add(out, buf, n);
    int bad = ferror(f);
    if (f != stdin && fclose(f))
        bad = 1;
    return bad ? cli_failf("cannot read '%s'", path ? path : "standard input") : 0;
}

static int decode_batch(const char *text, size_t len, struct metric_list *m, struct kv_list *p,
                        struct kv_list *t, struct ferr *err)
{
    json_error_t je;
    json_t *doc = json_loadb(text, len, 0, &je);
    int rc = -1;
    if (!json_is_object(doc)) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the batch is not a JSON object: %s",
                 doc ? "wrong type" : je.text);
        goto out;
    }
    /* Metrics without a timestamp get now; the codec requires one. */
    json_t *ms = json_object_get(doc, "metrics"), *it;
    size_t i;
    int64_t now = ftime_now_ms();
    json_array_foreach(ms, i, it) if (json_is_object(it) && !json_object_get(it, "timestamp"))
        json_object_set_new(it, "timestamp", json_integer(now));
    if (codec_metric_list_from_json(ms, m, err) ||
        codec_kv_list_from_json(json_object_get(doc, "params"), "params", p, err) ||
        codec_kv_list_from_json(json_object_get(doc, "tags"), "tags", t, err))
        goto out;
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

static int log_one(struct client *c, const char *what, const struct opts *o, int npos,
                   char **pos)
{
    struct metric_list m = {0};
    struct kv_list p = {0}, t = {0};
    struct ferr err = FERR_INIT;
    struct sbuf text = SBUF_INIT;
    int rc = 2;
    if (!strcmp(what, "batch")) {
        if (npos > 1 || read_all(npos ? pos[0] : NULL, &text))
            goto out;
        if (decode_batch(text.buf, text.len, &m, &p, &t, &err)) {
            rc = cli_fail(&err);
            goto out;
        }
    } else if (npos != 2) {
        rc = cli_usage(usage);
        goto out;
    } else if (!strcmp(what, "metric")) {
        double v;
        if (fjson_parse_double(pos[1], &v)) {
            rc = cli_failf("metric value '%s' is not a number", pos[1]) + 1;
            goto out;
        }
        metric_list_add(&m, pos[0], v, o->timestamp ? o->timestamp : ftime_now_ms(), o->step);
    } else if (!strcmp(what, "param") || !strcmp(what, "tag")) {
        kv_list_add(what[0] == 'p' ? &p : &t, pos[0], pos[1]);
    } else {
        rc = cli_failf("unknown item '%s' for 'ferry log'", what) + 1;
        goto out;
    }
    rc = client_log_batch(c, o->run_id, &m, &p, &t, &err) ? cli_fail(&err) : 0;
out:
    sbuf_release(&text);
    metric_list_release(&m);
    kv_list_release(&p);
    kv_list_release(&t);
    return rc;
}

int cmd_log(int argc, char **argv)
{
    struct opts o = {NULL, 0, 0};
    if (argc < 2)
        return cli_usage(usage);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, stdout);
        return 0;
    }
    int rc = parse(argc - 1, argv + 1, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct client *c;
    if (cli_open(&c))
        return 1;
    rc = log_one(c, argv[1], &o, argc - 1 - optind, argv + 1 + optind);
    client_close(c);
    return rc;
}
