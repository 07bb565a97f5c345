/* SPDX-License-Identifier: MIT
 * `ferry run`: run an MLflow project as a tracked run (projects/project_run.h). */
#include "cli/cmd.h"
#include "cli/cli.h"
#include "projects/project_run.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry run URI [-e ENTRY] [-P KEY=VALUE ...] [--experiment-name NAME |\n"
    "                 --experiment-id ID] [--run-name NAME] [--version COMMIT]\n"
    "                 [--env-manager local|virtualenv|conda|docker] [--dry-run]\n"
    "       ferry run --rerun RUN_ID [-P KEY=VALUE ...] [options]\n"
    "\n"
    "Runs an MLflow project (a directory with an MLproject file, or a git\n"
    "repository by path or URL, with #subdir) as a new run: parameters are checked\n"
    "before anything runs, the run gets MLflow's project tags and the parameters,\n"
    "the command runs with MLFLOW_RUN_ID / FERRY_RUN_ID (and the tracking URI)\n"
    "exported, its output is shown and logged as project/output.log, and its exit\n"
    "makes the run FINISHED, FAILED or KILLED. project/run.json records the git\n"
    "commit, the OS, compiler and interpreter versions, the parameters and the\n"
    "command; a dirty work tree's diff is project/git.diff.\n"
    "\n"
    "  -e, --entry-point ENTRY  the entry point (default main), or a .py/.sh file\n"
    "  -P, --param KEY=VALUE    a parameter; undeclared ones are passed as --KEY VALUE\n"
    "  --experiment-name NAME   the experiment (created if missing)\n"
    "  --experiment-id ID       the experiment (default $FERRY_EXPERIMENT_ID, else 0)\n"
    "  --run-name NAME          the run's name\n"
    "  --version COMMIT         a git commit, branch or tag (the repository is cloned)\n"
    "  --env-manager M          local, virtualenv (python_env.yaml), conda (conda.yaml)\n"
    "                           or docker (docker_env); default: what MLproject declares\n"
    "  --rerun RUN_ID           the same project, entry point, parameters, commit and\n"
    "                           environment as that run, into a new run linked to it\n"
    "  --dry-run                print the command and environment script, run nothing\n"
    "  -h, --help               this help\n"
    "\n"
    "Exit status: the command's; 128+N when it was killed by signal N; 2 when the\n"
    "project, its parameters or the options are wrong (nothing ran); 1 when ferry\n"
    "failed.\n";

int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"entry-point", required_argument, NULL, 'e'},
        {"param", required_argument, NULL, 'P'},
        {"experiment-name", required_argument, NULL, 'n'},
        {"experiment-id", required_argument, NULL, 'i'},
        {"run-name", required_argument, NULL, 'r'},
        {"version", required_argument, NULL, 'v'},
        {"env-manager", required_argument, NULL, 'm'},
        {"rerun", required_argument, NULL, 'R'},
        {"dry-run", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct project_run_opts o;
    struct ferr err = FERR_INIT;
    int c, rc;
    memset(&o, 0, sizeof(o));
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":he:P:", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            o.entry = optarg;
            break;
        case 'P': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                kv_list_release(&o.params);
                return cli_usagef("-P takes KEY=VALUE, got '%s'", optarg);
            }
            char key[256];
            snprintf(key, sizeof(key), "%.*s", (int)(eq - optarg), optarg);
            kv_list_add(&o.params, key, eq + 1);
            break;
        }
        case 'n':
            o.experiment_name = optarg;
            break;
        case 'i':
            o.experiment_id = optarg;
            break;
        case 'r':
            o.run_name = optarg;
            break;
        case 'v':
            o.version = optarg;
            break;
        case 'm':
            o.env_manager = optarg;
            break;
        case 'R':
            o.rerun_of = optarg;
            break;
        case 'd':
            o.dry_run = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            kv_list_release(&o.params);
            return 0;
        default:
            kv_list_release(&o.params);
            return cli_bad_option("run", argv, c, usage);
        }
    }
    int npos = argc - optind;
    if ((o.rerun_of && npos != 0) || (!o.rerun_of && npos != 1) ||
        (o.experiment_name && o.experiment_id)) {
        kv_list_release(&o.params);
        return cli_usage(usage);
    }
    if (npos == 1)
        o.uri = argv[optind];
    struct client *cl;
    if (cli_open(&cl)) {
        kv_list_release(&o.params);
        return 1;
    }
    rc = project_run(cl, &o, &err);
    if (err.code != FERR_OK)
        fprintf(stderr, "ferry: %s\n", err.msg);
    client_close(cl);
    kv_list_release(&o.params);
    return rc;
}
