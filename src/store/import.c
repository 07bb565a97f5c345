/* SPDX-License-Identifier: MIT
 * The import front: shape checks (ids, names, keys, stages, statuses) in
 * one place, then the backend (s->import). Sizes are not checked here on
 * purpose: see store/import.h. */
#include "store/import.h"
#include "store/backend.h"
#include "domain/registry.h"
#include "domain/validate.h"

#include <inttypes.h>
#include <string.h>

#include "base/banned.h"

#define AREA "import"

static const struct store_import_ops *ops(struct store_import *tx)
{
    return tx->s->import;
}

static int need(const char *what, const char *s, struct ferr *err)
{
    if (!s || !*s)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "an imported %s is empty", what);
    return 0;
}

int store_import_begin(struct store *s, struct store_import **out, struct ferr *err)
{
    *out = NULL;
    if (!s->import)
        return store_lacks(s, AREA, err);
    return s->import->begin(s, out, err);
}

int store_import_commit(struct store_import *tx, struct ferr *err)
{
    return ops(tx)->commit(tx, err);
}

void store_import_abort(struct store_import *tx)
{
    if (tx)
        ops(tx)->abort(tx);
}

int store_import_experiment(struct store_import *tx, const struct import_experiment *e,
                            enum import_outcome *out, struct ferr *err)
{
    if (e->id < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid experiment id %" PRId64, e->id);
    if (need("experiment name", e->name, err) ||
        need("artifact location", e->artifact_location, err))
        return -1;
    return ops(tx)->experiment(tx, e, out, err);
}

int store_import_experiment_tag(struct store_import *tx, int64_t experiment_id, const char *key,
                                const char *value, enum import_outcome *out, struct ferr *err)
{
    if (need("experiment tag key", key, err))
        return -1;
    return ops(tx)->experiment_tag(tx, experiment_id, key, value ? value : "", out, err);
}

int store_import_run(struct store_import *tx, const struct import_run *r, enum import_outcome *out,
                     struct ferr *err)
{
    if (validate_run_id(r->run_id, err) || need("artifact uri", r->artifact_uri, err))
        return -1;
    if (r->status < RUN_RUNNING || r->status > RUN_KILLED)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "run '%s' has no valid status",
                        r->run_id);
    return ops(tx)->run(tx, r, out, err);
}

int store_import_param(struct store_import *tx, const char *key, const char *value,
                       enum import_outcome *out, struct ferr *err)
{
    if (need("param key", key, err))
        return -1;
    return ops(tx)->param(tx, key, value ? value : "", out, err);
}

int store_import_tag(struct store_import *tx, const char *key, const char *value,
                     enum import_outcome *out, struct ferr *err)
{
    if (need("tag key", key, err))
        return -1;
    return ops(tx)->tag(tx, key, value ? value : "", out, err);
}

int store_import_points(struct store_import *tx, const struct import_point *v, size_t n,
                        size_t *written, struct ferr *err)
{
    *written = 0;
    for (size_t i = 0; i < n; i++)
        if (need("metric key", v[i].key, err))
            return -1;
    return n ? ops(tx)->points(tx, v, n, written, err) : 0;
}

int store_import_input(struct store_import *tx, const struct dataset_input *in,
                       enum import_outcome *out, struct ferr *err)
{
    const struct dataset *d = &in->dataset;
    if (need("dataset name", d->name, err) || need("dataset digest", d->digest, err) ||
        need("dataset source type", d->source_type, err))
        return -1;
    if (!d->source) /* MLflow requires one; an empty one is still a source */
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "dataset '%.100s' has no source",
                        d->name);
    return ops(tx)->input(tx, in, out, err);
}

int store_import_run_done(struct store_import *tx, struct ferr *err)
{
    return ops(tx)->run_done(tx, err);
}

int store_import_model(struct store_import *tx, const struct import_model *m,
                       enum import_outcome *out, struct ferr *err)
{
    if (need("registered model name", m->name, err))
        return -1;
    return ops(tx)->model(tx, m, out, err);
}

int store_import_model_tag(struct store_import *tx, const char *key, const char *value,
                           enum import_outcome *out, struct ferr *err)
{
    if (need("registered model tag key", key, err))
        return -1;
    return ops(tx)->model_tag(tx, key, value ? value : "", out, err);
}

static int known_status(const char *s)
{
    return !strcmp(s, "READY") || !strcmp(s, "PENDING_REGISTRATION") ||
           !strcmp(s, "FAILED_REGISTRATION");
}

int store_import_version(struct store_import *tx, const struct import_version *v,
                         enum import_outcome *out, struct ferr *err)
{
    const char *stage = v->stage ? stage_canonical(v->stage) : STAGE_NONE;
    if (v->version < 1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid model version %" PRId64,
                        v->version);
    if (!stage)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "model version %" PRId64 " has an unknown stage '%.60s'", v->version,
                        v->stage);
    if (v->status && !known_status(v->status))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "model version %" PRId64 " has an unknown status '%.60s'", v->version,
                        v->status);
    struct import_version c = *v;
    c.stage = stage;
    if (!c.status)
        c.status = "READY";
    if (!c.user_id)
        c.user_id = "";
    if (!c.source)
        c.source = "";
    return ops(tx)->version(tx, &c, out, err);
}

int store_import_version_tag(struct store_import *tx, int64_t version, const char *key,
                             const char *value, enum import_outcome *out, struct ferr *err)
{
    if (need("model version tag key", key, err))
        return -1;
    return ops(tx)->version_tag(tx, version, key, value ? value : "", out, err);
}

int store_import_alias(struct store_import *tx, const char *alias, int64_t version,
                       enum import_outcome *out, struct ferr *err)
{
    if (need("alias", alias, err))
        return -1;
    return ops(tx)->alias(tx, alias, version, out, err);
}

int store_import_model_done(struct store_import *tx, int64_t highest, struct ferr *err)
{
    return ops(tx)->model_done(tx, highest, err);
}

int store_import_count_run(struct store_import *tx, const char *run_id, struct import_counts *out,
                           struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (validate_run_id(run_id, err))
        return -1;
    return ops(tx)->count_run(tx, run_id, out, err);
}

int store_import_count_model(struct store_import *tx, const char *name, struct import_counts *out,
                             struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (need("registered model name", name, err))
        return -1;
    return ops(tx)->count_model(tx, name, out, err);
}

int store_import_count_experiment_tags(struct store_import *tx, int64_t experiment_id, int64_t *out,
                                       struct ferr *err)
{
    *out = 0;
    return ops(tx)->count_experiment_tags(tx, experiment_id, out, err);
}
