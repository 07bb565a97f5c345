/* SPDX-License-Identifier: MIT
 * The store's import area: writing what another tracking store recorded
 * (`ferry db import`), with its ids, numbers and times as they were, so
 * runs:/ URIs, artifact URIs and models:/name/N keep meaning the same
 * thing. Reading the other store is import/'s job; this area only writes
 * and counts.
 *
 * Everything goes through one transaction (store_import_begin .. commit):
 * an import that fails or is interrupted leaves the store as it was. The
 * writes are idempotent: a row the store already holds (same id, or same
 * key for params, tags and aliases, same point for metrics) is left as it
 * is and reported as present, so running the same import twice changes
 * nothing the second time. Two things are refused rather than merged: an
 * experiment id or name that the store holds for another experiment, a run
 * id that it holds in another experiment (RESOURCE_ALREADY_EXISTS), and a
 * param the store holds with another value (INVALID_PARAMETER_VALUE).
 *
 * The front checks shapes (ids, non-empty names and keys, known stages and
 * statuses) but not MLflow's size limits: those changed across MLflow
 * releases, and data MLflow accepted then is imported as it is. Child rows
 * (params, tags, metrics, inputs) go to the run last written in the
 * transaction, tags and versions to the model last written: the caller
 * streams them in that order. Same error conventions as store.h. */
#ifndef FERRY_STORE_IMPORT_H
#define FERRY_STORE_IMPORT_H

#include "base/ferr.h"
#include "domain/domain.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

/* An open import transaction; the backend's. */
struct store_import;

/* What happened to one row. */
enum import_outcome {
    IMPORT_WRITTEN = 0, /* new in the store */
    IMPORT_PRESENT = 1, /* the store held it already: left as it is */
};

struct import_experiment {
    int64_t id;
    const char *name;
    const char *artifact_location;
    enum lifecycle lifecycle;
    int64_t creation_time;    /* ms; TIME_NONE: unknown (the import's time is kept) */
    int64_t last_update_time; /* ms; TIME_NONE: the creation time */
};

struct import_run {
    const char *run_id; /* kept as it is: artifact URIs and runs:/ URIs name it */
    int64_t experiment_id;
    const char *name; /* "" when it had none */
    const char *user; /* "" when unknown */
    enum run_status status;
    int64_t start_time, end_time; /* TIME_NONE when unset */
    int64_t deleted_time;         /* TIME_NONE: unknown; a deleted run then gets now */
    const char *artifact_uri;
    enum lifecycle lifecycle;
};

/* One metric point; key borrowed. NaN and infinities are values like any. */
struct import_point {
    const char *key;
    double value;
    int64_t timestamp, step;
};

struct import_model {
    const char *name;
    const char *description; /* NULL when never set */
    int64_t creation_time, last_updated_time;
};

struct import_version {
    int64_t version; /* kept: models:/name/N means the same version */
    int64_t creation_time, last_updated_time;
    const char *description; /* NULL when never set */
    const char *user_id;     /* "" when unknown */
    const char *stage;       /* None, Staging, Production, Archived (any case) */
    const char *source;
    const char *run_id;   /* NULL when not from a run; need not exist in the store */
    const char *run_link; /* may be NULL */
    const char *status;   /* READY, PENDING_REGISTRATION, FAILED_REGISTRATION */
    const char *status_message;
    const char *storage_location; /* MLflow 3: where a models:/ source's files are; may be NULL */
};

/* What the store holds for one run or model, for checking an import. */
struct import_counts {
    int64_t params, tags, points, inputs;                /* a run */
    int64_t model_tags, versions, version_tags, aliases; /* a model */
};

/* Starts the import transaction. A store used for group commit (a server's)
 * is refused: imports run on a store of their own (the CLI's). */
int store_import_begin(struct store *s, struct store_import **out, struct ferr *err) WARN_UNUSED;
/* Commits and frees tx. On failure nothing was written. */
int store_import_commit(struct store_import *tx, struct ferr *err) WARN_UNUSED;
/* Rolls back and frees tx. Accepts NULL. */
void store_import_abort(struct store_import *tx);

int store_import_experiment(struct store_import *tx, const struct import_experiment *e,
                            enum import_outcome *out, struct ferr *err) WARN_UNUSED;
int store_import_experiment_tag(struct store_import *tx, int64_t experiment_id, const char *key,
                                const char *value, enum import_outcome *out,
                                struct ferr *err) WARN_UNUSED;
/* The run's experiment must have been written (or be present) first. */
int store_import_run(struct store_import *tx, const struct import_run *r, enum import_outcome *out,
                     struct ferr *err) WARN_UNUSED;
int store_import_param(struct store_import *tx, const char *key, const char *value,
                       enum import_outcome *out, struct ferr *err) WARN_UNUSED;
int store_import_tag(struct store_import *tx, const char *key, const char *value,
                     enum import_outcome *out, struct ferr *err) WARN_UNUSED;
/* n points of the current run; *written gets how many were new. */
int store_import_points(struct store_import *tx, const struct import_point *v, size_t n,
                        size_t *written, struct ferr *err) WARN_UNUSED;
int store_import_input(struct store_import *tx, const struct dataset_input *in,
                       enum import_outcome *out, struct ferr *err) WARN_UNUSED;
/* After the current run's rows: derives what the store keeps beside them
 * (the latest value of each metric). */
int store_import_run_done(struct store_import *tx, struct ferr *err) WARN_UNUSED;

int store_import_model(struct store_import *tx, const struct import_model *m,
                       enum import_outcome *out, struct ferr *err) WARN_UNUSED;
int store_import_model_tag(struct store_import *tx, const char *key, const char *value,
                           enum import_outcome *out, struct ferr *err) WARN_UNUSED;
int store_import_version(struct store_import *tx, const struct import_version *v,
                         enum import_outcome *out, struct ferr *err) WARN_UNUSED;
int store_import_version_tag(struct store_import *tx, int64_t version, const char *key,
                             const char *value, enum import_outcome *out,
                             struct ferr *err) WARN_UNUSED;
/* The version must have been written (or be present) first. */
int store_import_alias(struct store_import *tx, const char *alias, int64_t version,
                       enum import_outcome *out, struct ferr *err) WARN_UNUSED;
/* After the current model's rows: new version numbers continue after
 * highest (the greatest number the source ever gave, deleted versions
 * included; never lowered), and the audit trail records the import. */
int store_import_model_done(struct store_import *tx, int64_t highest, struct ferr *err) WARN_UNUSED;

/* Reading back, inside the transaction: what the store holds for a run or
 * a model (RESOURCE_DOES_NOT_EXIST when it holds none), and an
 * experiment's tag count. */
int store_import_count_run(struct store_import *tx, const char *run_id, struct import_counts *out,
                           struct ferr *err) WARN_UNUSED;
int store_import_count_model(struct store_import *tx, const char *name, struct import_counts *out,
                             struct ferr *err) WARN_UNUSED;
int store_import_count_experiment_tags(struct store_import *tx, int64_t experiment_id, int64_t *out,
                                       struct ferr *err) WARN_UNUSED;

/* ---------- the import backend contract (see store/backend.h) ---------- */

/* Arguments arrive checked as above; stages canonical ("production" ->
 * "Production"). Each op runs inside tx; on failure the caller aborts. */
struct store_import_ops {
    int (*begin)(struct store *s, struct store_import **out, struct ferr *err);
    int (*commit)(struct store_import *tx, struct ferr *err);
    void (*abort)(struct store_import *tx);
    int (*experiment)(struct store_import *tx, const struct import_experiment *e,
                      enum import_outcome *out, struct ferr *err);
    int (*experiment_tag)(struct store_import *tx, int64_t experiment_id, const char *key,
                          const char *value, enum import_outcome *out, struct ferr *err);
    int (*run)(struct store_import *tx, const struct import_run *r, enum import_outcome *out,
               struct ferr *err);
    int (*param)(struct store_import *tx, const char *key, const char *value,
                 enum import_outcome *out, struct ferr *err);
    int (*tag)(struct store_import *tx, const char *key, const char *value,
               enum import_outcome *out, struct ferr *err);
    int (*points)(struct store_import *tx, const struct import_point *v, size_t n, size_t *written,
                  struct ferr *err);
    int (*input)(struct store_import *tx, const struct dataset_input *in, enum import_outcome *out,
                 struct ferr *err);
    int (*run_done)(struct store_import *tx, struct ferr *err);
    int (*model)(struct store_import *tx, const struct import_model *m, enum import_outcome *out,
                 struct ferr *err);
    int (*model_tag)(struct store_import *tx, const char *key, const char *value,
                     enum import_outcome *out, struct ferr *err);
    int (*version)(struct store_import *tx, const struct import_version *v,
                   enum import_outcome *out, struct ferr *err);
    int (*version_tag)(struct store_import *tx, int64_t version, const char *key, const char *value,
                       enum import_outcome *out, struct ferr *err);
    int (*alias)(struct store_import *tx, const char *alias, int64_t version,
                 enum import_outcome *out, struct ferr *err);
    int (*model_done)(struct store_import *tx, int64_t highest, struct ferr *err);
    int (*count_run)(struct store_import *tx, const char *run_id, struct import_counts *out,
                     struct ferr *err);
    int (*count_model)(struct store_import *tx, const char *name, struct import_counts *out,
                       struct ferr *err);
    int (*count_experiment_tags)(struct store_import *tx, int64_t experiment_id, int64_t *out,
                                 struct ferr *err);
};

#endif
