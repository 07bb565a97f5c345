/* SPDX-License-Identifier: MIT
 * `ferry db`: the store as a whole. `ferry db copy` and `upgrade` are in
 * db_move.c. `ferry db import` moves in from MLflow
 * (import/import.h does the work); it prints what it read, imported, found
 * already present and skipped, per kind, and fails (exit 1, nothing
 * imported) on anything it cannot import faithfully. */
#include "cli/cmd.h"
#include "cli/cli.h"
#include "cli/db_move.h"
#include "import/import.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry db import [--to URI] [--copy-artifacts [--artifacts-destination DIR]\n"
    "                       [--mlflow-artifacts-destination DIR]] SOURCE\n"
    "\n"
    "Imports an MLflow tracking store into a ferry store: experiments, runs (their ids\n"
    "kept, so runs:/ and artifact URIs keep working), params, tags, every metric point,\n"
    "dataset inputs, registered models, versions (numbers kept), tags and aliases.\n"
    "Everything goes in one transaction and is read back before it commits: a failure\n"
    "leaves the ferry store as it was. Running it again imports nothing.\n"
    "\n"
    "  SOURCE                       an MLflow SQLite database (sqlite:///path/mlflow.db\n"
    "                               or a path), an MLflow PostgreSQL database\n"
    "                               (postgresql://user@host/db) or an MLflow file store\n"
    "                               folder (./mlruns)\n"
    "  --to URI                     the ferry store, a file or postgresql://... (default:\n"
    "                               --tracking-uri, else $FERRY_TRACKING_URI, else\n"
    "                               ./ferry.db)\n"
    "  --copy-artifacts             copy the runs' local artifacts into the folder ferry's\n"
    "                               server keeps proxied artifacts in, and point the runs\n"
    "                               there (mlflow-artifacts:/...); by default artifacts\n"
    "                               stay where they are and their URIs are kept\n"
    "  --artifacts-destination DIR  that folder (default ./mlartifacts, as ferry server's)\n"
    "  --mlflow-artifacts-destination DIR\n"
    "                               where the MLflow server kept proxied artifacts, to\n"
    "                               copy runs whose URIs are mlflow-artifacts:/ too\n"
    "  -h, --help                   this help\n";

static const char db_usage[] =
    "usage: ferry db COMMAND [options] ...\n"
    "\n"
    "Commands:\n"
    "  import    import an MLflow tracking store (see 'ferry db import --help')\n"
    "  copy      copy a ferry SQLite store into a new PostgreSQL database\n"
    "  upgrade   migrate a ferry store to this ferry's schema version\n";

static void print_report(const struct import_report *r, const char *target)
{
    static const char *const headers[] = {"", "read", "imported", "present", "skipped"};
    struct table t;
    table_init(&t, 5, headers);
    for (int k = 0; k < IK__COUNT; k++) {
        const struct import_tally *c = &r->k[k];
        table_add(&t, import_kind_name((enum import_kind)k));
        table_addf(&t, "%" PRId64, c->read);
        table_addf(&t, "%" PRId64, c->imported);
        table_addf(&t, "%" PRId64, c->present);
        table_addf(&t, "%" PRId64, c->skipped);
    }
    for (size_t i = 0; i < r->nskips; i++) {
        table_add(&t, r->skips[i].what);
        table_addf(&t, "%" PRId64, r->skips[i].n);
        table_add(&t, "0");
        table_add(&t, "0");
        table_addf(&t, "%" PRId64, r->skips[i].n);
    }
    printf("imported %s %s (%s) into %s\n", r->source_kind, r->source_path, r->source_description,
           target);
    table_print(&t);
    table_release(&t);
    for (size_t i = 0; i < r->nskips; i++)
        printf("skipped %s: %s\n", r->skips[i].what, r->skips[i].why);
    if (r->k[IK_METRICS].skipped)
        printf("skipped metric points: the source held them twice\n");
    if (r->k[IK_INPUTS].skipped)
        printf("skipped dataset inputs: not a run's dataset (logged-model links), or the "
               "dataset is gone\n");
    if (r->k[IK_VERSIONS].skipped)
        printf("skipped model versions: deleted in MLflow (their numbers stay unused)\n");
    if (r->k[IK_ALIASES].skipped)
        printf("skipped aliases: they point at a deleted version\n");
}

static void print_artifacts(const struct import_report *r, const char *dest)
{
    printf("artifacts: copied those of %" PRId64 " run%s (%" PRId64 " file%s, %" PRId64
           " bytes) into %s",
           r->artifact_runs, r->artifact_runs == 1 ? "" : "s", r->artifact_files,
           r->artifact_files == 1 ? "" : "s", r->artifact_bytes, dest);
    if (r->artifacts_kept)
        printf("; %" PRId64 " run%s keep%s artifacts that are not on this machine (URI kept)",
               r->artifacts_kept, r->artifacts_kept == 1 ? "" : "s",
               r->artifacts_kept == 1 ? "s its" : " their");
    if (r->artifact_others)
        printf("; %" PRId64 " links or special files not copied", r->artifact_others);
    putchar('\n');
}

static int db_import(int argc, char **argv)
{
    enum { OPT_TO = 256, OPT_COPY, OPT_DEST, OPT_MLFLOW_DEST };
    static const struct option longopts[] = {
        {"to", required_argument, NULL, OPT_TO},
        {"copy-artifacts", no_argument, NULL, OPT_COPY},
        {"artifacts-destination", required_argument, NULL, OPT_DEST},
        {"mlflow-artifacts-destination", required_argument, NULL, OPT_MLFLOW_DEST},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct import_opts o = {NULL, NULL, 0, NULL, NULL};
    int c;
    o.target = cli_tracking_uri;
    if (!o.target) /* not MLFLOW_TRACKING_URI: that is likely the store being left */
        o.target = getenv("FERRY_TRACKING_URI");
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_TO:
            o.target = optarg;
            break;
        case OPT_COPY:
            o.copy_artifacts = 1;
            break;
        case OPT_DEST:
            o.artifacts_destination = optarg;
            break;
        case OPT_MLFLOW_DEST:
            o.mlflow_artifacts_destination = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            return cli_bad_option("db import", argv, c, usage);
        }
    }
    if (optind + 1 != argc)
        return cli_usagef("give one MLflow store to import\n%s", usage);
    if (!o.target || !*o.target)
        o.target = "ferry.db";
    if (!o.copy_artifacts && (o.artifacts_destination || o.mlflow_artifacts_destination))
        return cli_usagef("--artifacts-destination and --mlflow-artifacts-destination go with "
                          "--copy-artifacts");
    o.source = argv[optind];
    struct ferr err = FERR_INIT;
    struct import_report r;
    if (import_mlflow(&o, &r, &err)) {
        cli_fail(&err);
        fputs("ferry: nothing was imported; the ferry store is as it was\n", stderr);
        return 1;
    }
    print_report(&r, o.target);
    if (o.copy_artifacts)
        print_artifacts(&r, o.artifacts_destination ? o.artifacts_destination : "mlartifacts");
    printf("verified: every run and model imported or present was read back\n");
    return 0;
}

int cmd_db(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(db_usage);
    if (!strcmp(argv[1], "import"))
        return db_import(argc - 1, argv + 1);
    if (!strcmp(argv[1], "copy"))
        return db_copy(argc - 1, argv + 1);
    if (!strcmp(argv[1], "upgrade"))
        return db_upgrade(argc - 1, argv + 1);
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(db_usage, stdout);
        return 0;
    }
    return cli_usagef("'%s' is not a 'ferry db' command\n%s", argv[1], db_usage);
}
