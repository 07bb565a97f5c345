/* SPDX-License-Identifier: MIT
 * How the server runs code: the one way any process it starts on its own
 * (pipeline steps, triggered retraining) comes to be. A process is started
 * only when the server allows execution (not --no-execute), only on behalf
 * of a user who may edit the experiment it logs to (checked as for any
 * request), with the least privilege of base/sandbox.h (as an unprivileged
 * user when ferry is root), in a clean environment whose only credential
 * is an API token made for it: scoped to that one experiment
 * (experiment/<id>:EDIT), expiring, and revoked when the process ends. */
#ifndef FERRY_SERVER_LAUNCH_H
#define FERRY_SERVER_LAUNCH_H

#include "base/ferr.h"
#include "auth/guard.h"
#include "store/auth.h"

#include <stdint.h>
#include <sys/types.h>

struct launcher {
    struct store *store;
    struct guard *guard;      /* NULL: authentication is off: no token, no check */
    int enabled;              /* 0: --no-execute */
    const char *tracking_uri; /* how a process reaches this server ("http://127.0.0.1:5000") */
    const char *run_as;       /* NULL: "nobody" when ferry is root */
};

struct launch_spec {
    const char *const *argv;   /* argv[0] looked up on PATH when it has no '/' */
    const char *cwd;           /* NULL: "/" */
    const char *experiment_id; /* where the process logs */
    const char *const *env;    /* more "KEY=VALUE" (NULL-terminated), or NULL */
    int out_fd;                /* stdout and stderr; -1: ferry's stderr */
    int64_t token_lifetime_ms; /* 0: 24 hours */
};

struct launch {
    pid_t pid;
    char *token_id; /* NULL: none was made (authentication off) */
};

/* Starts spec on behalf of who (may be NULL only when authentication is
 * off). PERMISSION_DENIED when execution is disabled or who may not edit
 * the experiment; INVALID_PARAMETER_VALUE when argv[0] cannot be found;
 * INTERNAL_ERROR when the process cannot start (its token is then revoked). */
int launch_start(const struct launcher *l, const struct principal *who,
                 const struct launch_spec *spec, struct launch *out, struct ferr *err) WARN_UNUSED;

/* Waits for the process to end, revokes its token, frees x's fields.
 * *status: waitpid's. */
int launch_wait(const struct launcher *l, struct launch *x, int *status,
                struct ferr *err) WARN_UNUSED;

#endif
