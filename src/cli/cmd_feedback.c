/* SPDX-License-Identifier: MIT
 * `ferry feedback log`: late labels for logged predictions (issue 17),
 * from a CSV or JSON-lines file, sent in batches over either transport. */
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/cmd.h"
#include "client/client_predictions.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry feedback log [-d NAME] -f FILE [--format csv|jsonl] [--batch N] [--json]\n"
    "\n"
    "  log   labels for logged predictions: each names a request id (ferry's\n"
    "        X-Ferry-Request-Id, \"<id>/<row>\" for a row of a larger request, or the\n"
    "        caller's X-Request-Id) and the true label; a second label for the same\n"
    "        row replaces the first (both stay in its history)\n"
    "\n"
    "  -d, --deployment NAME  the deployment the ids belong to (default: any)\n"
    "  -f, --file FILE        labels (\"-\": standard input):\n"
    "                           .csv    columns request_id,label[,timestamp]; a header\n"
    "                                   line is optional; a label that reads as a\n"
    "                                   number is a number (1 and 1.0 are the class \"1\")\n"
    "                           .jsonl  one {\"request_id\", \"label\", \"timestamp\"} a line\n"
    "                         timestamp: ms since the epoch (default: when received)\n"
    "  --format csv|jsonl     the file's format (default: by its extension; csv for -)\n"
    "  --batch N              labels per request (default 1000, at most 10000)\n"
    "  --json                 the totals and unknown ids as JSON\n"
    "  -h, --help             this help\n";

struct opts {
    const char *deployment, *file, *format;
    int64_t batch;
    int json;
};

/* Labels read so far, their strings in one arena of offsets (the arena
 * moves as it grows; pointers are set just before a batch is sent). */
struct batch {
    struct feedback_label *v;
    size_t *id_off, *label_off;
    size_t n, alloc;
    struct sbuf arena;
};

struct totals {
    int64_t accepted, sent;
    char **unknown;
    size_t nunknown, aunknown;
};

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"deployment", required_argument, NULL, 'd'},
        {"file", required_argument, NULL, 'f'},
        {"format", required_argument, NULL, 'F'},
        {"batch", required_argument, NULL, 'b'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    opterr = 0;
    o->batch = 1000;
    while ((c = getopt_long(argc, argv, ":hd:f:", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->deployment = optarg;
            break;
        case 'f':
            o->file = optarg;
            break;
        case 'F':
            if (strcmp(optarg, "csv") && strcmp(optarg, "jsonl"))
                return cli_usagef("--format: expected csv or jsonl, not '%s'", optarg);
            o->format = optarg;
            break;
        case 'b':
            if (cli_parse_int64("--batch", optarg, 1, 10000, &o->batch))
                return 2;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_bad_option("feedback", argv, c, usage);
        }
    }
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

static void batch_add(struct batch *b, const char *id, size_t idlen, const char *label,
                      size_t labellen, int64_t ts)
{
    if (b->n == b->alloc) {
        b->alloc = b->alloc ? 2 * b->alloc : 1024;
        b->v = xrealloc(b->v, b->alloc * sizeof(*b->v));
        b->id_off = xrealloc(b->id_off, b->alloc * sizeof(*b->id_off));
        b->label_off = xrealloc(b->label_off, b->alloc * sizeof(*b->label_off));
    }
    b->id_off[b->n] = b->arena.len;
    sbuf_add(&b->arena, id, idlen);
    sbuf_addch(&b->arena, '\0');
    b->label_off[b->n] = b->arena.len;
    sbuf_add(&b->arena, label, labellen);
    sbuf_addch(&b->arena, '\0');
    b->v[b->n].time_ms = ts;
    b->n++;
}

static void batch_release(struct batch *b)
{
    free(b->v);
    free(b->id_off);
    free(b->label_off);
    sbuf_release(&b->arena);
    memset(b, 0, sizeof(*b));
}

static void totals_release(struct totals *t)
{
    for (size_t i = 0; i < t->nunknown; i++)
        free(t->unknown[i]);
    free(t->unknown);
}

/* Sends what is batched; the batch is empty afterwards. */
static int flush(struct client *c, const struct opts *o, struct batch *b, struct totals *t)
{
    struct feedback_result r;
    struct ferr err = FERR_INIT;
    if (!b->n)
        return 0;
    for (size_t i = 0; i < b->n; i++) {
        b->v[i].id = b->arena.buf + b->id_off[i];
        b->v[i].label = b->arena.buf + b->label_off[i];
    }
    if (client_feedback_log(c, o->deployment, b->v, b->n, &r, &err)) {
        fprintf(stderr, "ferry: after %" PRId64 " labels sent (%" PRId64 " accepted):\n", t->sent,
                t->accepted);
        return cli_fail(&err);
    }
    t->sent += (int64_t)b->n;
    t->accepted += r.accepted;
    for (size_t i = 0; i < r.nunknown; i++) {
        if (t->nunknown == t->aunknown) {
            t->aunknown = t->aunknown ? 2 * t->aunknown : 64;
            t->unknown = xrealloc(t->unknown, t->aunknown * sizeof(*t->unknown));
        }
        t->unknown[t->nunknown++] = r.unknown[i];
        r.unknown[i] = NULL;
    }
    feedback_result_release(&r);
    b->n = 0;
    sbuf_reset(&b->arena);
    return 0;
}

/* A CSV field at *p (quoted or not) into out; *p moves past it and its
 * comma. Returns 1 when the line has more fields. */
static int csv_field(const char **p, struct sbuf *out)
{
    const char *s = *p;
    sbuf_reset(out);
    if (*s == '"') {
        s++;
        while (*s) {
            if (*s == '"' && s[1] == '"') {
                sbuf_addch(out, '"');
                s += 2;
            } else if (*s == '"') {
                s++;
                break;
            } else {
                sbuf_addch(out, *s++);
            }
        }
        while (*s && *s != ',')
            s++;
    } else {
        size_t n = strcspn(s, ",");
        sbuf_add(out, s, n);
        s += n;
    }
    int more = *s == ',';
    *p = s + more;
    return more;
}

/* The canonical text of a CSV label: a number when it reads as one. */
/* A CSV label: a JSON number ("1", "1.0", "-2.5e3") is the number's
 * class, as the API takes it; anything else ("spam", "007", "0x1A") is
 * the text itself. */
static void csv_label(const char *text, struct sbuf *out)
{
    sbuf_reset(out);
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    int bad = !json_is_number(v) || pred_label_text(out, v);
    json_decref(v);
    if (bad) {
        sbuf_reset(out);
        sbuf_addstr(out, text);
    }
}

static void chomp(char *line, size_t *len)
{
    while (*len && (line[*len - 1] == '\n' || line[*len - 1] == '\r'))
        line[--*len] = '\0';
}

static int read_csv(struct client *c, const struct opts *o, FILE *f, struct batch *b,
                    struct totals *t)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int64_t lineno = 0;
    int rc = 0;
    struct sbuf id = SBUF_INIT, label = SBUF_INIT, ts = SBUF_INIT, canon = SBUF_INIT;
    while (!rc && (got = getline(&line, &cap, f)) >= 0) {
        size_t len = (size_t)got;
        lineno++;
        chomp(line, &len);
        if (!len)
            continue;
        const char *p = line;
        int more = csv_field(&p, &id);
        more = more ? csv_field(&p, &label) : (sbuf_reset(&label), 0);
        if (more)
            more = csv_field(&p, &ts);
        else
            sbuf_reset(&ts);
        if (lineno == 1 && !strcmp(id.buf, "request_id"))
            continue; /* the header */
        if (more || !id.len || !label.len) {
            rc =
                cli_failf("%s:%" PRId64 ": expected request_id,label[,timestamp]", o->file, lineno);
            break;
        }
        int64_t ms = 0;
        if (ts.len && (fjson_parse_int64(ts.buf, &ms) || ms < 0)) {
            rc = cli_failf("%s:%" PRId64 ": the timestamp is ms since the epoch, not '%s'", o->file,
                           lineno, ts.buf);
            break;
        }
        csv_label(label.buf, &canon);
        batch_add(b, id.buf, id.len, canon.buf, canon.len, ms);
        if ((int64_t)b->n >= o->batch)
            rc = flush(c, o, b, t);
    }
    if (!rc && ferror(f))
        rc = cli_failf("cannot read %s: %s", o->file, strerror(errno));
    free(line);
    sbuf_release(&id);
    sbuf_release(&label);
    sbuf_release(&ts);
    sbuf_release(&canon);
    return rc;
}

static int read_jsonl(struct client *c, const struct opts *o, FILE *f, struct batch *b,
                      struct totals *t)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int64_t lineno = 0;
    int rc = 0;
    struct sbuf canon = SBUF_INIT;
    while (!rc && (got = getline(&line, &cap, f)) >= 0) {
        size_t len = (size_t)got;
        lineno++;
        chomp(line, &len);
        if (!len)
            continue;
        json_error_t je;
        json_t *j = json_loadb(line, len, 0, &je);
        json_t *id = json_object_get(j, "request_id"), *label = json_object_get(j, "label");
        json_t *ts = json_object_get(j, "timestamp");
        sbuf_reset(&canon);
        if (!json_is_object(j) || !json_is_string(id) || !json_string_length(id) || !label ||
            pred_label_text(&canon, label) || (ts && !json_is_null(ts) && !json_is_integer(ts))) {
            json_decref(j);
            rc = cli_failf("%s:%" PRId64
                           ": expected {\"request_id\": ID, \"label\": a number, string or "
                           "boolean, \"timestamp\": ms}",
                           o->file, lineno);
            break;
        }
        batch_add(b, json_string_value(id), json_string_length(id), canon.buf, canon.len,
                  json_is_integer(ts) ? json_integer_value(ts) : 0);
        json_decref(j);
        if ((int64_t)b->n >= o->batch)
            rc = flush(c, o, b, t);
    }
    if (!rc && ferror(f))
        rc = cli_failf("cannot read %s: %s", o->file, strerror(errno));
    free(line);
    sbuf_release(&canon);
    return rc;
}

static void report(const struct opts *o, const struct totals *t)
{
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < t->nunknown; i++)
            json_array_append_new(a, json_string(t->unknown[i]));
        cli_print_json(json_pack("{s:I, s:I, s:o}", "sent", (json_int_t)t->sent, "accepted",
                                 (json_int_t)t->accepted, "unknown_request_ids", a));
        return;
    }
    printf("%" PRId64 " labels sent: %" PRId64 " accepted, %zu unknown request ids\n", t->sent,
           t->accepted, t->nunknown);
    for (size_t i = 0; i < t->nunknown; i++)
        printf("unknown: %s\n", t->unknown[i]);
}

static int do_log(struct opts *o)
{
    if (!o->file)
        return cli_usagef("log needs the labels: -f FILE");
    int jsonl = o->format ? !strcmp(o->format, "jsonl")
                          : ends_with(o->file, ".jsonl") || ends_with(o->file, ".ndjson");
    FILE *f = strcmp(o->file, "-") ? fopen(o->file, "r") : stdin;
    if (!f)
        return cli_failf("cannot open %s: %s", o->file, strerror(errno));
    struct client *c = NULL;
    if (cli_open(&c)) {
        if (f != stdin)
            fclose(f);
        return 1;
    }
    struct batch b;
    struct totals t;
    memset(&b, 0, sizeof(b));
    memset(&t, 0, sizeof(t));
    int rc = jsonl ? read_jsonl(c, o, f, &b, &t) : read_csv(c, o, f, &b, &t);
    if (!rc)
        rc = flush(c, o, &b, &t);
    if (f != stdin)
        fclose(f);
    if (!rc)
        report(o, &t);
    batch_release(&b);
    totals_release(&t);
    client_close(c);
    return rc;
}

int cmd_feedback(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof(o));
    if (argc < 2)
        return cli_usage(usage);
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "log"))
        return cli_usagef("unknown action '%s'; see 'ferry feedback --help'", argv[1]);
    int prc = parse(argc - 1, argv + 1, &o);
    if (prc)
        return prc < 0 ? 0 : prc;
    if (optind != argc - 1)
        return cli_usage(usage);
    return do_log(&o);
}
