/* SPDX-License-Identifier: MIT
 * The subcommands, one file each (git's builtin/ pattern): cmd_<name>.c
 * exports cmd_<name>(argc, argv) with argv[0] the subcommand's name, and
 * main.c holds the table of them. A new command is one file and one row. */
#ifndef FERRY_CLI_CMD_H
#define FERRY_CLI_CMD_H

int cmd_server(int argc, char **argv);
int cmd_experiments(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_artifacts(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_users(int argc, char **argv);
int cmd_tokens(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_deployments(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_feedback(int argc, char **argv);
int cmd_drift(int argc, char **argv);
int cmd_monitors(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_predictions(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_pipelines(int argc, char **argv);
int cmd_lineage(int argc, char **argv);
int cmd_triggers(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_step(int argc, char **argv); /* hidden: a pipeline's built-in steps */

#endif
