/* SPDX-License-Identifier: MIT
 * The local executor (pipelines/executor.h): each job is `/bin/sh -c
 * SCRIPT` in a process group of its own, on this machine.
 *
 *   - stdin is /dev/null; stdout and stderr go through one pipe to ferry,
 *     which appends the bytes to the job's log file as they are and writes
 *     them to the terminal a line at a time, each line prefixed "[NAME] "
 *     (jobs running at once never mix within a line);
 *   - the environment is ferry's plus the job's env (built before fork:
 *     ferry's own is never changed);
 *   - a timeout or a cancel sends TERM to the whole group, then KILL after
 *     kill_grace_ms;
 *   - when the script itself ends, whatever it left running in its group
 *     gets the same TERM, grace, KILL, and the job's event comes once the
 *     group is empty: nothing a step started outlives it. On Linux ferry
 *     becomes a child subreaper while the executor is open, so a step's
 *     orphans are reaped here and never linger as zombies.
 *
 * Jobs start through posix_spawn (glibc: vfork, so starting one costs
 * ferry no copy of itself), else fork. A process's end is seen through a
 * pidfd (Linux 5.3+), else by a short poll tick. */
#ifndef FERRY_PIPELINES_EXECUTOR_LOCAL_H
#define FERRY_PIPELINES_EXECUTOR_LOCAL_H

#include "pipelines/executor.h"

#include <stdio.h>

struct executor_local_opts {
    FILE *terminal;        /* where prefixed lines go (e.g. stdout); NULL: nowhere */
    int64_t kill_grace_ms; /* TERM -> KILL; 0: 5000 */
};

/* A local executor; o may be NULL (defaults, no terminal output). */
int executor_local_open(const struct executor_local_opts *o, struct executor **out,
                        struct ferr *err) WARN_UNUSED;

#endif
