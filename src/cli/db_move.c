/* SPDX-License-Identifier: MIT
 * `ferry db upgrade URI` brings a store's schema to this build without
 * serving it (replicas are upgraded one at a time: see the migration notes
 * in store/postgres/schema.c); `ferry db copy SQLITE POSTGRES` moves a team
 * off the embedded default without losing a run (store/copy.h). URIs are
 * printed with their passwords replaced. */
#include "cli/db_move.h"
#include "cli/cli.h"
#include "store/copy.h"
#include "store/uri.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char upgrade_usage[] =
    "usage: ferry db upgrade [--to VERSION] URI\n"
    "\n"
    "Migrates the ferry store URI (sqlite:///path, a path, or postgresql://...) to this\n"
    "ferry's schema version, each step in its own transaction; servers need not be\n"
    "stopped for an expand step (a server older than the database's minimum compatible\n"
    "version refuses to start, naming both). Running it again does nothing.\n"
    "\n"
    "  --to VERSION   stop at VERSION (PostgreSQL only)\n"
    "  -h, --help     this help\n";

static const char copy_usage[] =
    "usage: ferry db copy SOURCE TARGET\n"
    "\n"
    "Copies a whole ferry SQLite store (sqlite:///path or a path) into a new PostgreSQL\n"
    "database (postgresql://user@host:port/db): every table, ids kept (run ids,\n"
    "experiment ids, model version numbers, users and tokens), in one transaction that\n"
    "commits only when every table's row count in the target equals the source's. The\n"
    "target must hold no data; its schema is created if missing. Artifacts are not\n"
    "moved: their locations are kept as they are. Stop the servers writing SOURCE first.\n"
    "\n"
    "  -h, --help     this help\n";

static int parse_version(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v <= 0 || v > 100000)
        return -1;
    *out = (int)v;
    return 0;
}

int db_upgrade(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"to", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int to = 0, c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (parse_version(optarg, &to))
                return cli_usagef("--to takes a schema version, not '%s'", optarg);
            break;
        case 'h':
            fputs(upgrade_usage, stdout);
            return 0;
        default:
            return cli_bad_option("db upgrade", argv, c, upgrade_usage);
        }
    }
    if (optind + 1 != argc)
        return cli_usagef("give one store URI\n%s", upgrade_usage);
    struct ferr err = FERR_INIT;
    int from = 0, reached = 0;
    if (store_upgrade(argv[optind], to, &from, &reached, &err))
        return cli_fail(&err);
    char *shown = store_uri_redacted(argv[optind]);
    if (from == reached)
        printf("%s: schema version %d, nothing to do\n", shown, reached);
    else
        printf("%s: schema version %d -> %d\n", shown, from, reached);
    free(shown);
    return 0;
}

int db_copy(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(copy_usage, stdout);
            return 0;
        }
        return cli_bad_option("db copy", argv, c, copy_usage);
    }
    if (optind + 2 != argc)
        return cli_usagef("give a SOURCE and a TARGET\n%s", copy_usage);
    struct ferr err = FERR_INIT;
    struct store_copy_report r;
    if (store_copy(argv[optind], argv[optind + 1], &r, &err)) {
        cli_fail(&err);
        fputs("ferry: nothing was copied; the target is as it was\n", stderr);
        return 1;
    }
    char *from = store_uri_redacted(argv[optind]), *to = store_uri_redacted(argv[optind + 1]);
    printf("copied %s into %s\n", from, to);
    struct table t;
    static const char *const headers[] = {"table", "rows"};
    table_init(&t, 2, headers);
    int64_t total = 0;
    for (size_t i = 0; i < r.ntables; i++) {
        table_add(&t, r.t[i].table);
        table_addf(&t, "%" PRId64, r.t[i].rows);
        total += r.t[i].rows;
    }
    table_print(&t);
    table_release(&t);
    printf("verified: %" PRId64 " rows in %zu tables, each table's count equal in the target\n",
           total, r.ntables);
    free(from);
    free(to);
    return 0;
}
