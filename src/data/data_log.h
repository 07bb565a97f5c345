/* SPDX-License-Identifier: MIT
 * A dataset version recorded as an MLflow dataset input of a run (issue 19),
 * so MLflow's clients and UI see which data a run used, and ferry's lineage
 * can go from a model version's run back to the data version:
 *
 *   name         the dataset's name
 *   digest       the first DATA_LOG_DIGEST_CHARS (8) hex characters of the
 *                version digest: MLflow's own dataset digests are 8
 *                characters (its Dataset class recommends 8, at most 10)
 *                and its store keeps at most 36 (validate.h), so the 64 of
 *                a SHA-256 do not fit; the full digest stays on the version
 *                and lineage answers it from there
 *   source_type  "ferry"
 *   source       "data:/NAME/V" (the number, never an alias: an alias moves)
 *   schema       MLflow's {"mlflow_colspec": [{"type", "name"}, ...]} from the
 *                version's profile: the columns of its CSV file, or of its CSV
 *                files when they all have the same columns (integer -> long,
 *                float -> double, bool -> boolean, text -> string); absent
 *                otherwise
 *   profile      a JSON string kept small: {"files": F, "rows": R, "csv":
 *                {"<path>": {"rows": r, "columns": c}, ...}} (the per-file
 *                entries for the first 100 CSV files; absent when the version
 *                has no profile)
 *   input tag    mlflow.data.context = context, when given ("training", ...)
 *
 * Logging the same version twice into one run records it once (MLflow's
 * rule: the first record stays). Not here: resolving a URI to a version
 * (data/data_port.h), the store's reverse query "runs that used a version"
 * (store/datasets.h). */
#ifndef FERRY_DATA_DATA_LOG_H
#define FERRY_DATA_DATA_LOG_H

#include "base/ferr.h"
#include "client/client.h"
#include "domain/domain.h"

#include <stdint.h>

#define DATA_LOG_DIGEST_CHARS 8
#define DATA_LOG_SOURCE_TYPE  "ferry"
#define DATA_LOG_CONTEXT_TAG  "mlflow.data.context"

struct data_port;

/* One dataset version to record; the strings are borrowed. */
struct data_log_input {
    const char *name;    /* the dataset's name */
    int64_t version;     /* its version number (>= 1) */
    const char *digest;  /* the version digest (64 hex) */
    const char *profile; /* the version's profile JSON, or NULL */
    const char *context; /* mlflow.data.context, or NULL/"" for none */
};

/* The MLflow dataset input for in into *out (dataset_input_release). A
 * missing name, a version < 1 or a digest shorter than
 * DATA_LOG_DIGEST_CHARS hex is INVALID_PARAMETER_VALUE; a profile that is
 * not JSON is ignored (no schema, no profile), never an error. */
int data_log_build(const struct data_log_input *in, struct dataset_input *out,
                   struct ferr *err) WARN_UNUSED;

/* MLflow's colspec schema from a version profile (above), or NULL when it
 * has none. The caller frees. */
char *data_log_schema(const char *profile);

/* The small profile summary (above), or NULL when profile is NULL or not
 * JSON. The caller frees. */
char *data_log_profile_summary(const char *profile);

/* Records in as a dataset input of run_id (client_log_inputs: the run's
 * store or server decides, as for any input). */
int data_log(struct client *c, const char *run_id, const struct data_log_input *in,
             struct ferr *err) WARN_UNUSED;

/* Resolves uri (data:/NAME/VERSION, @ALIAS or latest; a /PATH is allowed and
 * ignored: the version is what is recorded) through port and records that
 * version as above. *pinned, when not NULL, gets "data:/NAME/V" (the
 * caller frees). Errors: the URI's (INVALID_PARAMETER_VALUE), the port's
 * (RESOURCE_DOES_NOT_EXIST for a version that does not exist), the run's. */
int data_log_uri(struct client *c, struct data_port *port, const char *run_id, const char *uri,
                 const char *context, char **pinned, struct ferr *err) WARN_UNUSED;

#endif
