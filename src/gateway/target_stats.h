/* SPDX-License-Identifier: MIT
 * What a gateway saw of one target of one deployment revision: per second
 * (the rows it reports to the store for the rollout controller, which
 * merges every gateway's) and in total (its own /metrics). Request threads
 * add; the reporter takes the seconds changed since it last looked. */
#ifndef FERRY_GATEWAY_TARGET_STATS_H
#define FERRY_GATEWAY_TARGET_STATS_H

#include "domain/latency_hist.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

enum gw_outcome { GW_OK, GW_CLIENT_ERROR, GW_TARGET_ERROR };

/* Seconds kept for the reporter: it reports every 250 ms, so 8 seconds
 * survive a reporter that stalls for a few (a slow store). */
#define GW_STATS_SECONDS 8

struct gw_second {
    int64_t second_ms; /* 0: unused */
    int64_t requests, errors, client_errors;
    struct latency_hist hist;
    int dirty; /* changed since reported */
};

struct gw_target_stats {
    char *deployment;
    int64_t revision;
    char *target; /* "name/version", or "shadow:name/version" */
    atomic_int refs;
    pthread_mutex_t mu;
    struct gw_second sec[GW_STATS_SECONDS];
    /* totals since the gateway started, for /metrics */
    int64_t requests, errors, client_errors;
    struct latency_hist total;
    /* shadows only: answers that agreed with the primary's, and those not */
    atomic_llong agreed, disagreed;
    int64_t last_used_ms;
};

struct gw_target_stats *gw_target_stats_new(const char *deployment, int64_t revision,
                                            const char *target);
void gw_target_stats_ref(struct gw_target_stats *t);
void gw_target_stats_unref(struct gw_target_stats *t);
/* One answered request at now_ms. */
void gw_target_stats_add(struct gw_target_stats *t, int64_t now_ms, enum gw_outcome o,
                         uint64_t latency_us);

/* Every target's figures of a gateway, found by (deployment, revision,
 * target), so the snapshots of one revision (each status change makes a
 * new one) add to the same figures. */
struct gw_stats_table;
struct gw_stats_table *gw_stats_table_new(void);
void gw_stats_table_free(struct gw_stats_table *tbl);
/* The entry, made when new; a reference the caller unrefs. */
struct gw_target_stats *gw_stats_table_get(struct gw_stats_table *tbl, const char *deployment,
                                           int64_t revision, const char *target);
/* fn on each entry (the table locked: fn must not block). */
void gw_stats_table_each(struct gw_stats_table *tbl,
                         void (*fn)(void *arg, struct gw_target_stats *t), void *arg);
/* Drops entries only the table holds, unused since cutoff_ms and with
 * nothing left to report. */
void gw_stats_table_prune(struct gw_stats_table *tbl, int64_t cutoff_ms);

#endif
