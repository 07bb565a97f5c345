/* SPDX-License-Identifier: MIT
 * The upstream's clients: a fixed set of slots, opened on first need and
 * kept (their connections with them), lent under a mutex; and the one
 * place where the upstream's failures are reworded for the front's
 * clients. */
#include "server/upstream.h"
#include "client/client.h"
#include "client/transport.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/banned.h"

struct upstream {
    pthread_mutex_t mu;
    pthread_cond_t freed;                /* a client came back, or a slot opened up */
    char *uri;                           /* as given: may hold user:password@ */
    char *shown;                         /* the URI without user:password@ */
    char *userinfo;                      /* "user:password@", scrubbed from messages; or NULL */
    struct client *idle[UPSTREAM_SLOTS]; /* open and free */
    size_t nidle;
    size_t nopen; /* clients in existence (idle, lent, or being opened) */
};

/* Splits "scheme://user:password@host/..." into what may be shown and the
 * userinfo to hide (up to the authority's last '@', as a password may hold
 * one). */
static void split_credentials(struct upstream *u)
{
    const char *auth = strstr(u->uri, "://"), *at = NULL;
    auth = auth ? auth + 3 : u->uri;
    for (const char *p = auth; *p && !strchr("/?#", *p); p++)
        if (*p == '@')
            at = p;
    if (!at) {
        u->shown = xstrdup(u->uri);
        return;
    }
    struct sbuf sb = SBUF_INIT;
    sbuf_add(&sb, u->uri, (size_t)(auth - u->uri));
    sbuf_addstr(&sb, at + 1);
    u->shown = sbuf_detach(&sb, NULL);
    sbuf_add(&sb, auth, (size_t)(at + 1 - auth));
    u->userinfo = sbuf_detach(&sb, NULL);
}

int upstream_open(const char *uri, struct upstream **out, struct ferr *err)
{
    struct upstream *u = xcalloc(1, sizeof(*u));
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca)) {
        free(u);
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot create a condition variable");
    }
    /* waits measure elapsed time, whatever the wall clock does */
    int bad = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) || pthread_cond_init(&u->freed, &ca);
    pthread_condattr_destroy(&ca);
    if (bad || pthread_mutex_init(&u->mu, NULL)) {
        if (!bad)
            pthread_cond_destroy(&u->freed);
        free(u);
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot create the upstream's lock");
    }
    u->uri = xstrdup(uri);
    split_credentials(u);
    if (client_open(uri, &u->idle[0], err)) {
        upstream_close(u);
        return -1;
    }
    u->nidle = u->nopen = 1;
    *out = u;
    return 0;
}

void upstream_close(struct upstream *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->nidle; i++)
        client_close(u->idle[i]);
    pthread_cond_destroy(&u->freed);
    pthread_mutex_destroy(&u->mu);
    free(u->uri);
    free(u->shown);
    free(u->userinfo);
    free(u);
}

const char *upstream_uri(const struct upstream *u)
{
    return u->shown;
}

void upstream_idle(struct upstream *u)
{
    struct client *drop[UPSTREAM_SLOTS];
    pthread_mutex_lock(&u->mu);
    size_t n = u->nidle;
    memcpy(drop, u->idle, n * sizeof(*drop));
    u->nopen -= n;
    u->nidle = 0;
    pthread_cond_broadcast(&u->freed); /* slots opened up */
    pthread_mutex_unlock(&u->mu);
    for (size_t i = 0; i < n; i++)
        client_close(drop[i]);
}

/* An idle client, or a new one while fewer than UPSTREAM_SLOTS exist; else
 * waits for one to come back, at most UPSTREAM_WAIT_MS. */
static int acquire(struct upstream *u, struct client **out, struct ferr *err)
{
    struct timespec deadline;
    int rc = 0;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += UPSTREAM_WAIT_MS / 1000;
    pthread_mutex_lock(&u->mu);
    while (!u->nidle && u->nopen == UPSTREAM_SLOTS && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&u->freed, &u->mu, &deadline);
    if (u->nidle) {
        *out = u->idle[--u->nidle];
        pthread_mutex_unlock(&u->mu);
        return 0;
    }
    if (u->nopen == UPSTREAM_SLOTS) {
        pthread_mutex_unlock(&u->mu);
        return ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE,
                        "the backend store %s is busy: %d requests are waiting for its answers",
                        u->shown, UPSTREAM_SLOTS);
    }
    u->nopen++;
    pthread_mutex_unlock(&u->mu);
    if (client_open(u->uri, out, err) == 0)
        return 0;
    pthread_mutex_lock(&u->mu);
    u->nopen--;
    pthread_cond_signal(&u->freed);
    pthread_mutex_unlock(&u->mu);
    return -1;
}

static void release(struct upstream *u, struct client *c)
{
    pthread_mutex_lock(&u->mu);
    u->idle[u->nidle++] = c;
    pthread_cond_signal(&u->freed);
    pthread_mutex_unlock(&u->mu);
}

/* Removes every occurrence of the URI's user:password@ from msg. */
static void scrub(const struct upstream *u, char *msg)
{
    size_t n = u->userinfo ? strlen(u->userinfo) : 0;
    char *p;
    while (n && (p = strstr(msg, u->userinfo)))
        memmove(p, p + n, strlen(p + n) + 1);
}

/* The upstream's own errors pass unchanged; the transport's (IO_ERROR:
 * refused connections, timeouts, answers that are not the API's) become
 * TEMPORARILY_UNAVAILABLE, which MLflow's clients retry. */
static void reword(const struct upstream *u, const struct api_op *op, struct ferr *err)
{
    if (!err)
        return;
    scrub(u, err->msg);
    if (err->code != FERR_IO_ERROR)
        return;
    char why[sizeof(err->msg)];
    memcpy(why, err->msg, sizeof(why));
    ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE, "the backend store %s is unavailable (%s): %.600s",
             u->shown, op->name, why);
}

int upstream_call(struct upstream *u, const struct api_op *op, void *req, void *resp,
                  struct ferr *err)
{
    struct client *c = NULL;
    if (acquire(u, &c, err))
        return -1;
    int rc = client_call(c, op, req, resp, err);
    release(u, c);
    if (rc)
        reword(u, op, err);
    return rc;
}
