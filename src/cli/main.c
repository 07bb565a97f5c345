/* SPDX-License-Identifier: MIT
 * ferry's entry point: global options, then a table of subcommands (git's
 * commands[]). A new command is one file plus one row here. */
#include "cli/cli.h"
#include "base/version.h"

#include <stdio.h>
#include <string.h>

#include "base/banned.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"server", cmd_server, "run the MLflow-compatible tracking server"},
    {"experiments", cmd_experiments, "create, list, describe, rename, delete, restore experiments"},
    {"runs", cmd_runs, "list, describe, delete, restore runs (with MLflow search filters)"},
    {"log", cmd_log, "log a param, metric, tag or batch to a run"},
    {"version", cmd_version, "print ferry's version"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(*commands))

static void help(FILE *f)
{
    fputs("usage: ferry [--tracking-uri URI] <command> [options]\n\n"
          "ferry tracks ML experiments: an MLflow-compatible server and client.\n\n"
          "Commands:\n",
          f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fputs("\nGlobal options:\n"
          "  --tracking-uri URI  sqlite:///path, a file path, or http(s)://host:port\n"
          "                      (default: $FERRY_TRACKING_URI, $MLFLOW_TRACKING_URI, ./ferry.db)\n"
          "  -h, --help          this help\n"
          "  --version           print the version\n\n"
          "Run 'ferry <command> --help' for a command's options.\n",
          f);
}

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("ferry %s\n", FERRY_VERSION_STRING);
    return 0;
}

int main(int argc, char **argv)
{
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            help(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--version")) {
            return cmd_version(0, NULL);
        } else if (!strcmp(argv[i], "--tracking-uri") && i + 1 < argc) {
            cli_tracking_uri = argv[i + 1];
            i += 2;
        } else if (!strncmp(argv[i], "--tracking-uri=", 15)) {
            cli_tracking_uri = argv[i] + 15;
            i++;
        } else {
            fprintf(stderr, "ferry: unknown option '%s'\n\n", argv[i]);
            help(stderr);
            return 2;
        }
    }
    if (i == argc) {
        help(stderr);
        return 2;
    }
    if (!strcmp(argv[i], "help")) {
        help(stdout);
        return 0;
    }
    for (size_t k = 0; k < NCOMMANDS; k++)
        if (!strcmp(argv[i], commands[k].name))
            return commands[k].fn(argc - i, argv + i);
    fprintf(stderr, "ferry: '%s' is not a ferry command; see 'ferry --help'\n", argv[i]);
    return 2;
}
