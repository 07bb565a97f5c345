/* SPDX-License-Identifier: MIT */
#include "gateway/model_cache.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "models/model_files.h"
#include "serving/scorer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define RETRY_FAILED_MS 30000

struct gw_model {
    char *name;
    int64_t version;
    atomic_int refs;          /* the cache's own is not counted */
    struct scorer *scorer;    /* NULL: failed (err says why) */
    struct model_files files; /* kept while loaded: worker flavors read them */
    struct ferr err;
    int64_t failed_ms, idle_since_ms;
    struct gw_model *next;
};

struct model_cache {
    struct client *client;
    struct model_opts opts;
    pthread_mutex_t mu;      /* the list; loads happen outside it */
    pthread_mutex_t load_mu; /* one load at a time (a gateway's CPUs are few) */
    struct gw_model *head;
};

struct model_cache *model_cache_new(struct client *c, const struct model_opts *opts)
{
    struct model_cache *mc = xcalloc(1, sizeof(*mc));
    mc->client = c;
    if (opts)
        mc->opts = *opts;
    pthread_mutex_init(&mc->mu, NULL);
    pthread_mutex_init(&mc->load_mu, NULL);
    return mc;
}

static void unload(struct gw_model *m)
{
    scorer_free(m->scorer);
    if (m->files.dir.buf)
        model_files_close(&m->files);
    free(m->name);
    free(m);
}

void model_cache_free(struct model_cache *mc)
{
    if (!mc)
        return;
    while (mc->head) {
        struct gw_model *m = mc->head;
        mc->head = m->next;
        unload(m);
    }
    pthread_mutex_destroy(&mc->mu);
    pthread_mutex_destroy(&mc->load_mu);
    free(mc);
}

static struct gw_model *find(struct model_cache *mc, const char *name, int64_t version)
{
    for (struct gw_model *m = mc->head; m; m = m->next)
        if (m->version == version && !strcmp(m->name, name))
            return m;
    return NULL;
}

static void load(struct model_cache *mc, struct gw_model *m)
{
    char uri[700];
    int64_t t0 = ftime_mono_ns();
    snprintf(uri, sizeof(uri), "models:/%s/%lld", m->name, (long long)m->version);
    ferr_clear(&m->err);
    if (model_files_open(mc->client, uri, &m->files, &m->err)) {
        memset(&m->files, 0, sizeof(m->files));
    } else if (scorer_load(m->files.dir.buf, &mc->opts, &m->scorer, &m->err)) {
        m->scorer = NULL;
        model_files_close(&m->files);
        memset(&m->files, 0, sizeof(m->files));
    }
    if (m->scorer) {
        log_info("loaded %s in %lld ms", uri, (long long)((ftime_mono_ns() - t0) / 1000000));
    } else {
        m->failed_ms = ftime_now_ms();
        log_warn("cannot load %s: %s", uri, m->err.msg);
    }
}

int model_cache_get(struct model_cache *mc, const char *name, int64_t version,
                    struct gw_model **out, struct ferr *err)
{
    *out = NULL;
    pthread_mutex_lock(&mc->load_mu);
    pthread_mutex_lock(&mc->mu);
    struct gw_model *m = find(mc, name, version);
    if (!m) {
        m = xcalloc(1, sizeof(*m));
        m->name = xstrdup(name);
        m->version = version;
        atomic_init(&m->refs, 0);
        m->next = mc->head;
        mc->head = m;
    }
    int need = !m->scorer && (!m->failed_ms || ftime_now_ms() - m->failed_ms > RETRY_FAILED_MS);
    pthread_mutex_unlock(&mc->mu);
    if (need) /* a version is loaded under load_mu only: no one else touches it */
        load(mc, m);
    pthread_mutex_lock(&mc->mu);
    int rc = 0;
    if (m->scorer) {
        atomic_fetch_add(&m->refs, 1);
        *out = m;
    } else {
        *err = m->err;
        rc = -1;
    }
    pthread_mutex_unlock(&mc->mu);
    pthread_mutex_unlock(&mc->load_mu);
    return rc;
}

void gw_model_ref(struct gw_model *m)
{
    atomic_fetch_add(&m->refs, 1);
}

void gw_model_unref(struct gw_model *m)
{
    if (m && atomic_fetch_sub(&m->refs, 1) == 1)
        m->idle_since_ms = ftime_now_ms();
}

struct scorer *gw_model_scorer(const struct gw_model *m)
{
    return m->scorer;
}

void model_cache_sweep(struct model_cache *mc, int64_t grace_ms)
{
    int64_t now = ftime_now_ms();
    pthread_mutex_lock(&mc->load_mu);
    pthread_mutex_lock(&mc->mu);
    struct gw_model **pp = &mc->head;
    while (*pp) {
        struct gw_model *m = *pp;
        int idle = atomic_load(&m->refs) == 0 &&
                   (m->scorer ? m->idle_since_ms && now - m->idle_since_ms > grace_ms
                              : now - m->failed_ms > RETRY_FAILED_MS);
        if (idle) {
            *pp = m->next;
            if (m->scorer)
                log_info("unloaded models:/%s/%lld (unused)", m->name, (long long)m->version);
            unload(m);
        } else {
            pp = &m->next;
        }
    }
    pthread_mutex_unlock(&mc->mu);
    pthread_mutex_unlock(&mc->load_mu);
}
