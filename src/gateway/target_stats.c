/* SPDX-License-Identifier: MIT */
#include "gateway/target_stats.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

struct gw_target_stats *gw_target_stats_new(const char *deployment, int64_t revision,
                                            const char *target)
{
    struct gw_target_stats *t = xcalloc(1, sizeof(*t));
    t->deployment = xstrdup(deployment);
    t->revision = revision;
    t->target = xstrdup(target);
    atomic_init(&t->refs, 1);
    atomic_init(&t->agreed, 0);
    atomic_init(&t->disagreed, 0);
    pthread_mutex_init(&t->mu, NULL);
    latency_hist_init(&t->total);
    return t;
}

void gw_target_stats_ref(struct gw_target_stats *t)
{
    atomic_fetch_add(&t->refs, 1);
}

void gw_target_stats_unref(struct gw_target_stats *t)
{
    if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&t->mu);
    free(t->deployment);
    free(t->target);
    free(t);
}

void gw_target_stats_add(struct gw_target_stats *t, int64_t now_ms, enum gw_outcome o,
                         uint64_t latency_us)
{
    int64_t second = now_ms - now_ms % 1000;
    struct gw_second *s = &t->sec[(second / 1000) % GW_STATS_SECONDS];
    pthread_mutex_lock(&t->mu);
    if (s->second_ms != second) {
        memset(s, 0, sizeof(*s));
        latency_hist_init(&s->hist);
        s->second_ms = second;
    }
    s->requests++;
    t->requests++;
    if (o == GW_TARGET_ERROR) {
        s->errors++;
        t->errors++;
    } else if (o == GW_CLIENT_ERROR) {
        s->client_errors++;
        t->client_errors++;
    }
    if (o == GW_OK) { /* latency guards judge answers, not refusals */
        latency_hist_add(&s->hist, latency_us);
        latency_hist_add(&t->total, latency_us);
    }
    s->dirty = 1;
    t->last_used_ms = now_ms;
    pthread_mutex_unlock(&t->mu);
}

struct stats_node {
    struct gw_target_stats *t;
    struct stats_node *next;
};

struct gw_stats_table {
    pthread_mutex_t mu;
    struct stats_node *head;
};

struct gw_stats_table *gw_stats_table_new(void)
{
    struct gw_stats_table *tbl = xcalloc(1, sizeof(*tbl));
    pthread_mutex_init(&tbl->mu, NULL);
    return tbl;
}

void gw_stats_table_free(struct gw_stats_table *tbl)
{
    if (!tbl)
        return;
    while (tbl->head) {
        struct stats_node *n = tbl->head;
        tbl->head = n->next;
        gw_target_stats_unref(n->t);
        free(n);
    }
    pthread_mutex_destroy(&tbl->mu);
    free(tbl);
}

struct gw_target_stats *gw_stats_table_get(struct gw_stats_table *tbl, const char *deployment,
                                           int64_t revision, const char *target)
{
    pthread_mutex_lock(&tbl->mu);
    struct stats_node *n;
    for (n = tbl->head; n; n = n->next)
        if (n->t->revision == revision && !strcmp(n->t->target, target) &&
            !strcmp(n->t->deployment, deployment))
            break;
    if (!n) {
        n = xcalloc(1, sizeof(*n));
        n->t = gw_target_stats_new(deployment, revision, target);
        n->next = tbl->head;
        tbl->head = n;
    }
    gw_target_stats_ref(n->t);
    pthread_mutex_unlock(&tbl->mu);
    return n->t;
}

void gw_stats_table_each(struct gw_stats_table *tbl,
                         void (*fn)(void *arg, struct gw_target_stats *t), void *arg)
{
    pthread_mutex_lock(&tbl->mu);
    for (struct stats_node *n = tbl->head; n; n = n->next)
        fn(arg, n->t);
    pthread_mutex_unlock(&tbl->mu);
}

static int quiet(struct gw_target_stats *t, int64_t cutoff_ms)
{
    pthread_mutex_lock(&t->mu);
    int q = t->last_used_ms < cutoff_ms;
    for (int i = 0; q && i < GW_STATS_SECONDS; i++)
        q = !t->sec[i].dirty;
    pthread_mutex_unlock(&t->mu);
    return q;
}

void gw_stats_table_prune(struct gw_stats_table *tbl, int64_t cutoff_ms)
{
    pthread_mutex_lock(&tbl->mu);
    struct stats_node **pp = &tbl->head;
    while (*pp) {
        struct stats_node *n = *pp;
        if (atomic_load(&n->t->refs) == 1 && quiet(n->t, cutoff_ms)) {
            *pp = n->next;
            gw_target_stats_unref(n->t);
            free(n);
        } else {
            pp = &n->next;
        }
    }
    pthread_mutex_unlock(&tbl->mu);
}
