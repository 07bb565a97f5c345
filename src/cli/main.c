/* SPDX-License-Identifier: MIT
 * ferry's entry point: global options, then a table of subcommands (git's
 * commands[]). A new command is one file plus one row here. */
#include "cli/cli.h"
#include "cli/cmd.h"
#include "base/version.h"

#include <getopt.h>
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
    {"experiments", cmd_experiments, "create, list, describe, rename, delete, restore, tag"},
    {"runs", cmd_runs, "list, describe, delete, restore runs; metric history"},
    {"log", cmd_log, "log a param, metric, tag or JSON batch to a run"},
    {"artifacts", cmd_artifacts, "log, list and download a run's files"},
    {"models", cmd_models, "the model registry: register, list, transition, alias, history"},
    {"deployments", cmd_deployments, "split traffic across model versions: apply, status, promote"},
    {"predictions", cmd_predictions, "a deployment's prediction log: list, export"},
    {"feedback", cmd_feedback, "labels for logged predictions: log"},
    {"monitors", cmd_monitors, "drift, decay and quality monitors of a deployment: apply, run"},
    {"drift", cmd_drift, "data drift of a CSV file against a reference CSV (Evidently's tests)"},
    {"alerts", cmd_alerts, "monitors' alerts: list, ack, resolve, deliveries"},
    {"data", cmd_data, "versioned datasets: add, get, diff, verify, alias, log to a run"},
    {"run", cmd_run, "run an MLflow project (MLproject) as a tracked, reproducible run"},
    {"pipelines", cmd_pipelines, "run a pipeline of cached steps (pipeline.yaml); list, show runs"},
    {"lineage", cmd_lineage, "where a model, dataset version or run came from, and what used it"},
    {"triggers", cmd_triggers,
     "start pipelines on a schedule or an event: apply, list, history, fire"},
    {"gc", cmd_gc, "permanently remove deleted runs and their artifacts"},
    {"users", cmd_users, "users of an authenticating server, and their permissions"},
    {"tokens", cmd_tokens, "API tokens: create, list, revoke"},
    {"serve", cmd_serve, "the deployments gateway: traffic split, shadows, rollouts"},
    {"db", cmd_db, "import from MLflow, copy to PostgreSQL, upgrade the schema"},
    {"version", cmd_version, "print ferry's version"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(*commands))

/* Commands ferry runs itself (a pipeline's built-in steps): not listed in
 * the help, found all the same. */
static const struct command hidden_commands[] = {
    {"step", cmd_step, "run one built-in pipeline step (what `uses: ferry/NAME` runs)"},
};

static void help(FILE *f)
{
    fputs("usage: ferry [--tracking-uri URI] <command> [<args>]\n"
          "       ferry help [<command>]\n\n"
          "ferry tracks machine-learning experiments: an MLflow-compatible server and client.\n\n"
          "Commands:\n",
          f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fputs("\nGlobal options:\n"
          "  --tracking-uri URI  where runs are kept: sqlite:///abs/path.db, a file path,\n"
          "                      postgresql://user@host:port/db, or http(s)://host:port\n"
          "                      (a ferry or MLflow server)\n"
          "                      (default: $FERRY_TRACKING_URI, else $MLFLOW_TRACKING_URI,\n"
          "                      else ./ferry.db)\n"
          "  -h, --help          this help\n"
          "  --version           print ferry's version\n\n"
          "Run 'ferry <command> --help' for a command's options.\n",
          f);
}

static const struct command *find(const char *name)
{
    for (size_t k = 0; k < NCOMMANDS; k++)
        if (!strcmp(name, commands[k].name))
            return &commands[k];
    for (size_t k = 0; k < sizeof(hidden_commands) / sizeof(*hidden_commands); k++)
        if (!strcmp(name, hidden_commands[k].name))
            return &hidden_commands[k];
    return NULL;
}

/* `ferry help [CMD]`: the overview, or CMD's own --help. */
static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        help(stdout);
        return 0;
    }
    const struct command *cmd = find(argv[1]);
    if (!cmd)
        return cli_usagef("'%s' is not a ferry command; see 'ferry --help'", argv[1]);
    char help_opt[] = "--help";
    char *args[] = {argv[1], help_opt, NULL};
    return cmd->fn(2, args);
}

/* Parses the global options; returns the index of the command, or -1 with
 * *rc the exit status when there is nothing more to do. */
static int global_options(int argc, char **argv, int *rc)
{
    static const struct option longopts[] = {
        {"tracking-uri", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'u':
            cli_tracking_uri = optarg;
            break;
        case 'h':
            help(stdout);
            *rc = 0;
            return -1;
        case 'V':
            *rc = cmd_version(1, argv);
            return -1;
        default:
            *rc = cli_bad_option(NULL, argv, c, "Run 'ferry --help' for the options.\n");
            return -1;
        }
    }
    if (optind == argc) {
        help(stderr);
        *rc = 2;
        return -1;
    }
    /* Subcommands parse their own options; they reset getopt (optind = 0)
     * and choose their own error reporting. */
    opterr = 1;
    return optind;
}

int main(int argc, char **argv)
{
    int rc = 0;
    int i = global_options(argc, argv, &rc);
    if (i >= 0) {
        const struct command *cmd = find(argv[i]);
        if (!strcmp(argv[i], "help"))
            rc = cmd_help(argc - i, argv + i);
        else if (cmd)
            rc = cmd->fn(argc - i, argv + i);
        else
            rc = cli_usagef("'%s' is not a ferry command; see 'ferry --help'", argv[i]);
    }
    /* Output that never reached its destination is a failure (git does this). */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("ferry: cannot write to standard output\n", stderr);
        return 1;
    }
    return rc;
}
