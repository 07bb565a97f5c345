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

#endif
