/* SPDX-License-Identifier: MIT
 * Output helpers shared by the subcommands: errors, tables, times, JSON. */
#include "cli/cli.h"
#include "base/sbuf.h"
#include "base/yaml_json.h"
#include "base/xalloc.h"
#include "domain/domain.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/banned.h"

const char *cli_tracking_uri;

int cli_fail(const struct ferr *err)
{
    fprintf(stderr, "ferry: %s\n", err->msg[0] ? err->msg : ferr_code_name(err->code));
    return 1;
}

int cli_failf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ferry: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int cli_usagef(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ferry: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

int cli_usage(const char *usage)
{
    fputs(usage, stderr);
    return 2;
}

int cli_bad_option(const char *cmd, char **argv, int c, const char *usage)
{
    const char *arg = argv[optind - 1];
    fprintf(stderr, "ferry%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    if (c == ':')
        fprintf(stderr, "option '%s' needs a value\n", arg);
    else if (optopt && strncmp(arg, "--", 2))
        fprintf(stderr, "unknown option '-%c'\n", optopt);
    else
        fprintf(stderr, "unknown option '%s'\n", arg);
    fputc('\n', stderr);
    return cli_usage(usage);
}

int cli_parse_int64(const char *option, const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return cli_usagef("%s takes an integer from %" PRId64 " to %" PRId64 ", not '%s'", option,
                          lo, hi, s);
    *out = v;
    return 0;
}

int cli_parse_view(const char *s, enum view_type *out)
{
    *out = VIEW_ACTIVE_ONLY;
    if (!s || !strcmp(s, "active"))
        return 0;
    if (!strcmp(s, "deleted"))
        *out = VIEW_DELETED_ONLY;
    else if (!strcmp(s, "all"))
        *out = VIEW_ALL;
    else
        return cli_usagef("--view takes active, deleted or all, not '%s'", s);
    return 0;
}

int cli_parse_http_limit(int opt, const char *arg, struct http_limits *l)
{
    int64_t v;
    switch (opt) {
    case CLI_OPT_MAX_CONNECTIONS:
        if (cli_parse_int64("--max-connections", arg, 1, 100000, &v))
            return 2;
        l->max_connections = (unsigned)v;
        return 1;
    case CLI_OPT_PER_IP:
        if (cli_parse_int64("--max-connections-per-ip", arg, 0, 100000, &v))
            return 2;
        l->per_ip = (unsigned)v;
        return 1;
    case CLI_OPT_IDLE_TIMEOUT:
        if (cli_parse_int64("--idle-timeout", arg, 0, 86400, &v))
            return 2;
        l->idle_timeout_s = (unsigned)v;
        return 1;
    case CLI_OPT_REQUEST_TIMEOUT:
        if (cli_parse_int64("--request-timeout", arg, 0, 86400, &v))
            return 2;
        l->request_timeout_s = (unsigned)v;
        return 1;
    default:
        return 0;
    }
}

int cli_open(struct client **c)
{
    struct ferr err = FERR_INIT;
    if (client_open(cli_tracking_uri, c, &err)) {
        cli_fail(&err);
        return -1;
    }
    return 0;
}

void table_init(struct table *t, size_t ncols, const char *const *headers)
{
    memset(t, 0, sizeof(*t));
    t->ncols = ncols;
    for (size_t i = 0; i < ncols; i++)
        table_add(t, headers[i]);
}

void table_add(struct table *t, const char *cell)
{
    ALLOC_GROW(t->cells, t->n + 1, t->alloc);
    t->cells[t->n++] = xstrdup(cell ? cell : "");
}

void table_addf(struct table *t, const char *fmt, ...)
{
    struct sbuf sb = SBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    ALLOC_GROW(t->cells, t->n + 1, t->alloc);
    t->cells[t->n++] = sbuf_detach(&sb, NULL);
}

/* Display width of UTF-8 text: counts code points, not bytes. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

void table_print(const struct table *t)
{
    size_t *w = xcalloc(t->ncols, sizeof(*w));
    for (size_t i = 0; i < t->n; i++) {
        size_t cw = width(t->cells[i]);
        if (cw > w[i % t->ncols])
            w[i % t->ncols] = cw;
    }
    for (size_t i = 0; i < t->n; i++) {
        size_t col = i % t->ncols;
        int last = col + 1 == t->ncols || i + 1 == t->n;
        fputs(t->cells[i], stdout);
        if (!last)
            printf("%*s", (int)(w[col] - width(t->cells[i]) + 2), "");
        else
            putchar('\n');
    }
    free(w);
}

void table_release(struct table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof(*t));
}

void cli_format_time(char *buf, size_t n, int64_t ms)
{
    if (ms == TIME_NONE || ms <= 0) {
        snprintf(buf, n, "-");
        return;
    }
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&s, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, n, "%lld", (long long)ms);
}

#define MAX_SPEC (1024 * 1024)

/* The whole file (or standard input for "-"), at most MAX_SPEC bytes. */
static int read_spec(const char *path, struct sbuf *out)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    char buf[8192];
    size_t n;
    if (!f)
        return cli_failf("cannot open %s: %s", path, strerror(errno));
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        if (out->len + n > MAX_SPEC) {
            if (f != stdin)
                fclose(f);
            return cli_failf("%s: a spec is at most %d bytes", path, MAX_SPEC);
        }
        sbuf_add(out, buf, n);
    }
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad)
        return cli_failf("cannot read %s", path);
    return 0;
}

int cli_read_yaml_spec(const char *path, json_t **out, struct ferr *err)
{
    struct sbuf text = SBUF_INIT;
    *out = NULL;
    if (read_spec(path, &text)) {
        sbuf_release(&text);
        return 1;
    }
    int rc = yaml_to_json(text.buf ? text.buf : "", text.len, out, err);
    sbuf_release(&text);
    return rc;
}

void cli_print_json(json_t *doc)
{
    char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!s) {
        fputs("ferry: cannot encode JSON output\n", stderr);
        return;
    }
    puts(s);
    free(s);
}
