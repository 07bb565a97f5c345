/* SPDX-License-Identifier: MIT
 * The deployments area's records as the store hands them out
 * (store/deployments.h has the operations): a deployment, its history
 * entries, events, traffic figures, their release functions, and the
 * conversions a backend needs between them and its rows. */
#ifndef FERRY_STORE_DEPLOYMENT_RECORD_H
#define FERRY_STORE_DEPLOYMENT_RECORD_H

#include "base/ferr.h"
#include "domain/deployment.h"

#include <jansson.h>
#include <stdint.h>

struct deployment {
    char *name;
    int64_t revision; /* the spec's: +1 per apply that changes it, and per promote */
    int64_t change;   /* the last change's number in the history */
    struct deployment_spec spec;
    struct deployment_status status;
    int64_t created_ms, updated_ms;
    char *created_by, *updated_by; /* "" when unknown */
};
void deployment_release(struct deployment *d);

struct deployment_list {
    struct deployment *v;
    size_t n, alloc;
};
void deployment_list_release(struct deployment_list *l);

/* One entry of a deployment's history. */
struct deployment_change {
    int64_t change, revision;
    char *action; /* apply, step, complete, promote, rollback, pause, resume */
    char *user_id;
    int64_t time_ms;
    char *reason;                  /* "" when none */
    char *spec_json, *status_json; /* as they were after the change */
};
struct deployment_change_list {
    struct deployment_change *v;
    size_t n, alloc;
};
void deployment_change_list_release(struct deployment_change_list *l);

/* One record of the events stream: every deployment change, and (as
 * later areas land) alerts, data versions, pipeline ends, alias moves. Ids
 * grow; a reader keeps the last id it saw. */
struct store_event {
    int64_t id, time_ms;
    char *kind;    /* "deployment.apply", "deployment.rollback", ... */
    char *subject; /* what it is about: the deployment's name */
    char *user_id;
    char *payload; /* JSON object text */
};
struct store_event_list {
    struct store_event *v;
    size_t n, alloc;
};
void store_event_list_release(struct store_event_list *l);

/* What one gateway saw of one target of a deployment's revision during one
 * second; a gateway writes its current seconds again as they fill (the
 * row's values are replaced). hist: domain/latency_hist.h's text. */
struct deploy_stats {
    char *deployment;
    int64_t revision;
    char *gateway; /* the reporting gateway's id */
    char *target;  /* "name/version"; a shadow's is "shadow:name/version" */
    int64_t second_ms;
    int64_t requests, errors, client_errors;
    char *hist;
};
struct deploy_stats_list {
    struct deploy_stats *v;
    size_t n, alloc;
};
void deploy_stats_list_release(struct deploy_stats_list *l);

/* For backends: a stored row's fields into out. */
int deployment_from_row(const char *name, int64_t revision, int64_t change, const char *spec_json,
                        const char *status_json, int64_t created_ms, int64_t updated_ms,
                        const char *created_by, const char *updated_by, struct deployment *out,
                        struct ferr *err);
/* For backends: the texts to store. */
char *deployment_spec_text(const struct deployment *d);
char *deployment_status_text(const struct deployment *d);

/* For backends: the events stream's payload of a registry change (a new
 * string): {"model", "version" (null for the model's own), "detail"}. */
char *registry_event_payload(const char *model, int64_t version, const char *detail);

/* A deep copy. */
int deployment_copy(const struct deployment *from, struct deployment *to, struct ferr *err);

#endif
