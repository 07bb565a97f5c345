/* SPDX-License-Identifier: MIT
 * Inside libferry only: what a public ferry_* entry point needs, for the
 * files that implement them in higher layers (models/ for ferry_log_model,
 * ferry_load_model). Every entry point is FERRY_API_CALL(c, work(...)):
 * lock the client, clear its error, work, turn the error into a status and
 * the thread's last message, unlock. */
#ifndef FERRY_CLIENT_FERRY_API_H
#define FERRY_CLIENT_FERRY_API_H

#include "ferry/ferry.h"
#include "client/client.h"

#include <pthread.h>

struct ferry_client {
    struct client *c;
    pthread_mutex_t mu;     /* held for the whole of every call */
    struct ferr err;        /* the current call's error */
    struct metric_list buf; /* buffered points, each with its run_id set */
    int64_t hold_until_ms;  /* no automatic flush before this time */
};

/* -1 (and FERRY_EINVAL recorded) for a NULL client; else locks it. */
int ferry_api_enter(struct ferry_client *fc);
/* Records the outcome, unlocks, returns the status for rc. */
ferry_status ferry_api_leave(struct ferry_client *fc, int rc);
/* 0, or -1 with EINVAL naming `what` when p is NULL. */
int ferry_api_need(struct ferry_client *fc, const void *p, const char *what);
/* Makes e (NULL: success) the calling thread's last message for fc (NULL:
 * calls without a client, read with ferry_last_error(NULL)). */
void ferry_api_record(const struct ferry_client *fc, const struct ferr *e);

#define FERRY_API_CALL(fc, expr)                                                                   \
    do {                                                                                           \
        if (ferry_api_enter(fc))                                                                   \
            return FERRY_EINVAL;                                                                   \
        return ferry_api_leave((fc), (expr));                                                      \
    } while (0)

#endif
