/* SPDX-License-Identifier: MIT
 * What every subcommand of the command line shares (cli.c): the global
 * --tracking-uri, failing and usage messages, option parsing, tables for
 * people and JSON for scripts. Output for people is aligned tables; --json
 * prints MLflow's JSON shapes through the codec.
 * Exit status: 0 ok, 1 the operation failed ("ferry: <message>" on stderr),
 * 2 bad usage (message and usage on stderr). */
#ifndef FERRY_CLI_CLI_H
#define FERRY_CLI_CLI_H

#include "base/ferr.h"
#include "client/client.h"
#include "http/server.h"

#include <getopt.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* --tracking-uri given before the subcommand, or NULL (environment). */
extern const char *cli_tracking_uri;

/* Prints "ferry: <message>" to stderr; returns 1 (the failure exit status). */
int cli_fail(const struct ferr *err);
int cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "ferry: <message>" to stderr; returns 2 (the usage exit status). */
int cli_usagef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints usage to stderr and returns 2. */
int cli_usage(const char *usage);
/* For getopt_long's '?' and ':' (the subcommand's optstring starts with
 * ':' and opterr is 0): names the bad option, prints usage, returns 2. */
int cli_bad_option(const char *cmd, char **argv, int c, const char *usage);
/* Parses an integer option value in [lo, hi]; prints and returns 2 on junk. */
int cli_parse_int64(const char *option, const char *s, int64_t lo, int64_t hi, int64_t *out);

/* The connection limits of `ferry server` and `ferry models serve`
 * (http_limits): their long options, their help, and their parsing, which
 * returns 1 when opt was one of them, 0 when not, 2 on a bad value. */
enum {
    CLI_OPT_MAX_CONNECTIONS = 0x1000,
    CLI_OPT_PER_IP,
    CLI_OPT_IDLE_TIMEOUT,
    CLI_OPT_REQUEST_TIMEOUT,
};
#define CLI_HTTP_LIMIT_OPTIONS                                                                     \
    {"max-connections", required_argument, NULL, CLI_OPT_MAX_CONNECTIONS},                         \
        {"max-connections-per-ip", required_argument, NULL, CLI_OPT_PER_IP},                       \
        {"idle-timeout", required_argument, NULL, CLI_OPT_IDLE_TIMEOUT},                           \
    {                                                                                              \
        "request-timeout", required_argument, NULL, CLI_OPT_REQUEST_TIMEOUT                        \
    }
#define CLI_HTTP_LIMITS_HELP                                                                       \
    "      --max-connections N         connections at once, all clients (default 1024)\n"          \
    "      --max-connections-per-ip N  connections at once from one address (default 128;\n"       \
    "                                  0: no limit, e.g. behind a reverse proxy)\n"                \
    "      --idle-timeout S            close a connection silent for S seconds (default 60;\n"     \
    "                                  0: never)\n"                                                \
    "      --request-timeout S         close a connection whose request head is not complete\n"    \
    "                                  S seconds after it opened or was last answered, or\n"       \
    "                                  whose body then arrives slower than 1 KiB/s\n"              \
    "                                  (default 30; 0: no deadline)\n"
int cli_parse_http_limit(int opt, const char *arg, struct http_limits *l);
/* Opens the client for the tracking URI; prints the error and returns -1. */
int cli_open(struct client **c);

/* A table for people: rows of cells, printed with aligned columns. */
struct table {
    size_t ncols;
    char **cells; /* row-major, ncols per row, owned */
    size_t n, alloc;
};

void table_init(struct table *t, size_t ncols, const char *const *headers);
/* Adds one cell to the current row (rows fill left to right). NULL is "". */
void table_add(struct table *t, const char *cell);
void table_addf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void table_print(const struct table *t);
void table_release(struct table *t);

/* --view active|deleted|all (NULL: active); prints and returns 2 on junk. */
int cli_parse_view(const char *s, enum view_type *out);
/* "2026-11-22 11:28:31" in UTC, or "-" for TIME_NONE. */
void cli_format_time(char *buf, size_t n, int64_t ms);
/* Prints a JSON document (takes the reference) on stdout, indented. */
void cli_print_json(json_t *doc);

/* A spec file (or standard input for "-"), at most 1 MiB of YAML or JSON,
 * as JSON in *out (the caller's): 0; 1 when the file cannot be read (said
 * on stderr); -1 with err set when the text is not YAML. */
int cli_read_yaml_spec(const char *path, json_t **out, struct ferr *err);

#endif
