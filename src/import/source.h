/* SPDX-License-Identifier: MIT
 * An MLflow tracking store opened for reading, whatever keeps it: an MLflow
 * SQLite database (source_sqlite.c), an MLflow PostgreSQL database
 * (source_postgres.c) or an MLflow file store directory, ./mlruns
 * (source_files.c). Each streams what it holds through callbacks,
 * one record at a time (metric points in batches), so no table is ever held
 * in memory; the records are the store's import structs (store/import.h),
 * borrowed for the call.
 *
 * experiment_tags and runs are called for the experiment being visited (from
 * within the experiments callback), params, tags, points and inputs for the
 * run being visited, version_tags for a version of the model being visited:
 * a file store finds them by where it is. Every function returns 0, or -1
 * with err set: a callback's -1 stops the
 * walk and is passed on; a source that cannot be read, or that holds
 * something malformed, is INVALID_PARAMETER_VALUE naming what and where.
 * Nothing is ever written to the source. */
#ifndef FERRY_IMPORT_SOURCE_H
#define FERRY_IMPORT_SOURCE_H

#include "base/ferr.h"
#include "store/import.h"

#include <stddef.h>
#include <stdint.h>

struct source;

typedef int (*source_experiment_fn)(void *arg, const struct import_experiment *e, struct ferr *err);
typedef int (*source_run_fn)(void *arg, const struct import_run *r, struct ferr *err);
typedef int (*source_kv_fn)(void *arg, const char *key, const char *value, struct ferr *err);
/* A batch of one key's points, in (step, timestamp, value) order, no point
 * twice (a point the source held twice is counted in skipped_points). */
typedef int (*source_points_fn)(void *arg, const struct import_point *v, size_t n,
                                struct ferr *err);
typedef int (*source_input_fn)(void *arg, const struct dataset_input *in, struct ferr *err);
typedef int (*source_model_fn)(void *arg, const struct import_model *m, struct ferr *err);
/* A version; stage "Deleted_Internal" marks one MLflow deleted but whose
 * number it keeps from reuse. */
typedef int (*source_version_fn)(void *arg, const struct import_version *v, struct ferr *err);
typedef int (*source_alias_fn)(void *arg, const char *alias, int64_t version, struct ferr *err);

/* What a source holds that ferry does not import, e.g. "logged models". */
struct source_skip {
    const char *what; /* static text */
    const char *why;  /* static text */
    int64_t n;
};

#define SOURCE_MAX_SKIPS 12

struct source_ops {
    /* Experiments by id, the deleted ones included. */
    int (*experiments)(struct source *src, source_experiment_fn fn, void *arg, struct ferr *err);
    int (*experiment_tags)(struct source *src, const struct import_experiment *e, source_kv_fn fn,
                           void *arg, struct ferr *err);
    int (*runs)(struct source *src, const struct import_experiment *e, source_run_fn fn, void *arg,
                struct ferr *err);
    int (*params)(struct source *src, const struct import_run *r, source_kv_fn fn, void *arg,
                  struct ferr *err);
    int (*tags)(struct source *src, const struct import_run *r, source_kv_fn fn, void *arg,
                struct ferr *err);
    int (*points)(struct source *src, const struct import_run *r, source_points_fn fn, void *arg,
                  struct ferr *err);
    int (*inputs)(struct source *src, const struct import_run *r, source_input_fn fn, void *arg,
                  struct ferr *err);
    int (*models)(struct source *src, source_model_fn fn, void *arg, struct ferr *err);
    int (*model_tags)(struct source *src, const char *model, source_kv_fn fn, void *arg,
                      struct ferr *err);
    /* By version number. */
    int (*versions)(struct source *src, const char *model, source_version_fn fn, void *arg,
                    struct ferr *err);
    int (*version_tags)(struct source *src, const char *model, int64_t version, source_kv_fn fn,
                        void *arg, struct ferr *err);
    int (*aliases)(struct source *src, const char *model, source_alias_fn fn, void *arg,
                   struct ferr *err);
    void (*close)(struct source *src);
    /* Optional (a database server's source): 1 when the ferry store URI
     * target names the very database src reads, else 0. */
    int (*is_database)(struct source *src, const char *target);
};

/* What every source is; each implementation embeds it first. */
struct source {
    const struct source_ops *ops;
    const char *kind;  /* "MLflow SQLite database", "MLflow file store", ... */
    char *path;        /* as found on disk, absolute; a URI without its password */
    char *description; /* e.g. "alembic revision 97727af70f4d", for people */
    struct source_skip skips[SOURCE_MAX_SKIPS];
    size_t nskips;
    int64_t skipped_points; /* points held twice */
    int64_t skipped_inputs; /* run inputs that are not datasets, or lost their dataset */
};

/* Opens what location names, read-only: "sqlite:///abs/path.db",
 * "sqlite://rel/path.db", "file:///abs/mlruns", a PostgreSQL URI
 * ("postgresql://user@host/db", also MLflow's "postgresql+psycopg2://..."),
 * or a plain path to a database file or an mlruns directory. Something else (missing, not an
 * MLflow store, a schema newer than ferry knows) is INVALID_PARAMETER_VALUE
 * saying so. *out is closed with source_close. */
int source_open(const char *location, struct source **out, struct ferr *err) WARN_UNUSED;
/* Accepts NULL. */
void source_close(struct source *src);

/* For the implementations: the file kinds, each given an existing path,
 * and a database server's, given its URI. */
int source_sqlite_open(const char *path, struct source **out, struct ferr *err) WARN_UNUSED;
int source_files_open(const char *path, struct source **out, struct ferr *err) WARN_UNUSED;
int source_postgres_open(const char *uri, struct source **out, struct ferr *err) WARN_UNUSED;
/* Records what a source holds and ferry does not import (n > 0 only;
 * added to an earlier count of the same what). */
void source_skip(struct source *src, const char *what, const char *why, int64_t n);

#endif
