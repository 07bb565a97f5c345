/* SPDX-License-Identifier: MIT
 * `ferry step NAME --with-json JSON --out DIR`: one built-in pipeline step
 * (pipelines/builtin.h), the command the pipeline engine runs for a
 * `uses: ferry/NAME` step. Not in `ferry --help`'s list: a pipeline runs
 * it, with the step's run in FERRY_RUN_ID (or MLFLOW_RUN_ID) and the
 * pipeline run in FERRY_PIPELINE_RUN_ID. Exit 0 passed, 1 the step said
 * no (its reasons on stderr), 2 a bad invocation or `with`. */
#include "cli/cli.h"
#include "cli/cmd.h"
#include "base/env.h"
#include "client/client.h"
#include "domain/builtin_steps.h"
#include "pipelines/builtin.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/banned.h"

static void usage_text(FILE *f)
{
    size_t n;
    const struct builtin_step *b = builtin_steps(&n);
    fputs("usage: ferry step NAME --with-json JSON --out DIR\n\n"
          "Runs one built-in pipeline step (what a `uses: ferry/NAME` step of a pipeline\n"
          "runs; see docs/pipelines.md, \"Built-in steps\"). The step's run is $FERRY_RUN_ID.\n\n"
          "Built-in steps:\n",
          f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-14s %s (writes %s)\n", b[i].name, b[i].summary, b[i].output.path);
    fputs("\nExit status: 0 passed, 1 the step's verdict is no, 2 bad arguments.\n", f);
}

int cmd_step(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"with-json", required_argument, NULL, 'w'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *with_text = "{}", *out = NULL;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'w':
            with_text = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            usage_text(stdout);
            return 0;
        default:
            return cli_bad_option("step", argv, c,
                                  "usage: ferry step NAME --with-json JSON --out DIR\n");
        }
    }
    if (argc - optind != 1 || !out) {
        usage_text(stderr);
        return 2;
    }
    const char *name = argv[optind];
    if (!builtin_step_find(name, 1))
        return cli_usagef("unknown built-in step '%s' (%s)", name, builtin_step_names());
    json_error_t je;
    json_t *with = json_loads(with_text, 0, &je);
    if (!json_is_object(with)) {
        json_decref(with);
        return cli_usagef("--with-json must be a JSON object: %s",
                          with ? "not an object" : je.text);
    }
    struct stat st;
    if (stat(out, &st) || !S_ISDIR(st.st_mode)) {
        json_decref(with);
        return cli_usagef("--out %s is not a directory", out);
    }
    struct client *cl = NULL;
    struct ferr err = FERR_INIT;
    if (client_open(cli_tracking_uri, &cl, &err)) {
        json_decref(with);
        cli_fail(&err);
        return 2;
    }
    struct builtin_ctx ctx = {
        with, out, cl, cli_tracking_uri, env_get("RUN_ID"), env_get("PIPELINE_RUN_ID")};
    int rc = builtin_run(name, &ctx, &err);
    if (rc == 2)
        fprintf(stderr, "ferry step %s: %s\n", name, err.msg);
    client_close(cl);
    json_decref(with);
    return rc;
}
