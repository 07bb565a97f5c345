/* SPDX-License-Identifier: MIT
 * The contract between the store front and its backends, for both and for
 * no one else: struct store as every backend lays it out. Header only.
 *
 * The front (store.c, metrics.c, registry.c, gc.c, logged_models.c, traces.c) does what every
 * backend would do alike: it validates the arguments (domain/validate.h), applies defaults, turns
 * page tokens into an offset and a limit and back, parses ids given as text; then it calls the
 * backend through the ops table of the call's area. A backend does what needs its database:
 * existence, lifecycle rules, immutability, transactions. Each area's ops table is declared in the
 * area's header, beside the front functions it serves: store.h (tracking: experiments and runs),
 * metrics.h, registry.h, gc.h, logged_models.h, traces.h, import.h, auth.h, leases.h,
 * deployments.h, predictions.h, monitors.h, datasets.h, lineage.h, triggers.h.
 *
 * A backend embeds struct store as the first member of its own struct,
 * fills in ops and the table of each area it implements, and leaves the
 * others NULL: the front answers a call into a missing area with
 * NOT_IMPLEMENTED, so a backend can grow one area at a time. Every op
 * follows store.h's contract (0, or -1 with err set and nothing changed)
 * and may be called from many threads at once. Output structs and lists
 * arrive zeroed; an op that fails leaves them released. */
#ifndef FERRY_STORE_BACKEND_H
#define FERRY_STORE_BACKEND_H

#include "base/ferr.h"
#include "store/store.h"

struct store_metrics_ops;
struct store_registry_ops;
struct store_gc_ops;
struct store_logged_model_ops;
struct store_import_ops;
struct store_traces_ops;
struct store_auth_ops;
struct store_lease_ops;
struct store_deployment_ops;
struct store_prediction_ops;
struct store_monitor_ops;
struct store_dataset_ops;
struct store_lineage_ops;
struct store_webhook_ops;
struct store_trigger_ops;

/* What every backend has, whatever areas it implements. */
struct store_backend_ops {
    const char *name; /* "sqlite": names the backend in messages */
    /* Finishes queued writes, closes everything, frees the struct. */
    void (*close)(struct store *s);
    int (*schema_version)(struct store *s);
    void (*release_memory)(struct store *s); /* optional */
    /* optional: 0 when the database answers now (a load balancer's check) */
    int (*ping)(struct store *s, struct ferr *err);
};

struct store {
    const struct store_backend_ops *ops;
    /* One ops table per area; NULL: the backend does not implement it. */
    const struct store_tracking_ops *tracking;
    const struct store_metrics_ops *metrics;
    const struct store_registry_ops *registry;
    const struct store_gc_ops *gc;
    const struct store_logged_model_ops *logged_models;
    const struct store_import_ops *import;
    const struct store_traces_ops *traces;
    const struct store_auth_ops *auth;
    const struct store_lease_ops *leases;
    const struct store_deployment_ops *deployments;
    const struct store_prediction_ops *predictions;
    const struct store_monitor_ops *monitors;
    const struct store_dataset_ops *datasets;
    const struct store_lineage_ops *lineage;
    const struct store_trigger_ops *triggers;
    const struct store_webhook_ops *webhooks;
    char *default_artifact_root; /* no trailing '/'; the backend frees it on close */
};

/* An import transaction (store/import.h) as every backend lays it out: a
 * backend's own transaction struct starts with this. */
struct store_import {
    struct store *s;
};

/* The answer to a call into an area s's backend lacks: NOT_IMPLEMENTED,
 * "the <backend> store does not implement <area>". Returns -1. */
static inline int store_lacks(const struct store *s, const char *area, struct ferr *err)
{
    return ferr_set(err, FERR_NOT_IMPLEMENTED, "the %s store does not implement %s", s->ops->name,
                    area);
}

#endif
