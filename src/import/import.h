/* SPDX-License-Identifier: MIT
 * Moving in from MLflow: `ferry db import` as a library call. Reads an
 * MLflow tracking store (import/source.h) and writes what it holds into a
 * ferry store through the store's import area (store/import.h), in one
 * transaction: experiments, runs with their params, tags, every metric
 * point and dataset inputs, then the model registry. Ids, version numbers
 * and times are kept. Each run and model is read back inside the
 * transaction before it commits: what the store holds must cover what was
 * read, else nothing is written. Running it again writes nothing.
 *
 * Artifacts stay where they are (their URIs are kept), unless copy_artifacts
 * asks for them to be copied into artifacts_destination, where ferry's
 * server keeps proxied artifacts; the runs' URIs then become
 * mlflow-artifacts:/<experiment>/<run>/artifacts. Files are copied before
 * the rows commit: an import that fails later leaves copies behind, which
 * the next attempt overwrites. */
#ifndef FERRY_IMPORT_IMPORT_H
#define FERRY_IMPORT_IMPORT_H

#include "base/ferr.h"
#include "import/source.h"

#include <stdint.h>

enum import_kind {
    IK_EXPERIMENTS,
    IK_EXPERIMENT_TAGS,
    IK_RUNS,
    IK_PARAMS,
    IK_TAGS,
    IK_METRICS,
    IK_INPUTS,
    IK_MODELS,
    IK_MODEL_TAGS,
    IK_VERSIONS,
    IK_VERSION_TAGS,
    IK_ALIASES,
    IK__COUNT
};

/* "experiments", "metric points", ... for reports. */
const char *import_kind_name(enum import_kind k);

struct import_tally {
    int64_t read;     /* found in the source */
    int64_t imported; /* written to the store */
    int64_t present;  /* the store held it already */
    int64_t skipped;  /* read but not imported (see the report's notes) */
};

struct import_report {
    char source_kind[48];
    char source_path[512];
    char source_description[96];
    struct import_tally k[IK__COUNT];
    struct source_skip skips[SOURCE_MAX_SKIPS]; /* areas ferry does not import */
    size_t nskips;
    int64_t artifact_runs;   /* runs whose artifacts were copied */
    int64_t artifact_files;  /* files copied */
    int64_t artifact_bytes;  /* bytes copied */
    int64_t artifacts_kept;  /* runs whose artifacts are not local: URI kept */
    int64_t artifact_others; /* links and the like, not copied */
};

struct import_opts {
    const char *source; /* an MLflow store: see source_open */
    const char *target; /* a ferry store URI: sqlite:///path or a path */
    int copy_artifacts;
    const char *artifacts_destination; /* with copy_artifacts; NULL: "mlartifacts" */
    /* Where the MLflow server kept proxied (mlflow-artifacts:/) artifacts,
     * to copy those too; NULL: they are not copied. */
    const char *mlflow_artifacts_destination;
};

/* Imports o->source into o->target; *r (zeroed first) says what happened,
 * also when it fails. Refuses a target that is the source itself or a
 * server (http://): it writes to a store file. */
int import_mlflow(const struct import_opts *o, struct import_report *r,
                  struct ferr *err) WARN_UNUSED;

#endif
