/* SPDX-License-Identifier: MIT
 * Least privilege for the processes ferry starts (Python model workers,
 * and the runs, pipeline steps and retraining the server launches): who
 * they run as, and what the child does between fork and exec to keep it.
 * The child dies with its parent, can never gain privileges through exec
 * (no setuid binaries, no file capabilities), leaves no core files, and,
 * when ferry runs as root, runs as an unprivileged user for good. */
#ifndef FERRY_BASE_SANDBOX_H
#define FERRY_BASE_SANDBOX_H

#include "base/ferr.h"

#include <sys/types.h>

struct sandbox_id {
    uid_t uid; /* (uid_t)-1: ferry's own */
    gid_t gid;
    char home[256]; /* the user's home directory; "/nonexistent" when ferry's own */
};

/* Who a child runs as: the user run_as when given (INVALID_PARAMETER_VALUE
 * when unknown, or root), else "nobody" when ferry is root (ferry's own
 * user, with a warning, when there is none), else ferry's own user (which
 * cannot change it). Before fork: getpwnam is not safe after. */
int sandbox_identity(const char *run_as, struct sandbox_id *out, struct ferr *err) WARN_UNUSED;

/* In the child, between fork and exec (async-signal-safe calls only):
 * dies with parent, no new privileges, no core files, then the identity
 * taken so that it cannot be given back. -1 when any step fails: the child
 * must _exit then, never exec. */
int sandbox_enter(const struct sandbox_id *id, pid_t parent);

#endif
