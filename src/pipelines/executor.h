/* SPDX-License-Identifier: MIT
 * Where a pipeline step's command runs: the interface between the engine
 * (pipelines/engine.h decides what runs when) and the place it runs. The
 * local executor (pipelines/executor_local.h) runs each job as a process
 * group on this machine; a Slurm or Kubernetes executor implements the same
 * four operations (submit, wait for any end, cancel, close) without the
 * engine changing.
 *
 * A job is a shell script with a working directory, extra environment
 * variables, a log file and a timeout. The executor owns everything about
 * the job's processes: starting them, their output (appended to the log
 * file, and to the terminal prefixed "[NAME] " when the executor shows it),
 * the timeout (TERM, a grace period, KILL), cancelling, and leaving no
 * process behind when a job ends. The engine never sees a pid.
 *
 * Not here: what a step is, retries (the engine starts the job again),
 * recording runs. One thread drives an executor; it is not thread-safe. */
#ifndef FERRY_PIPELINES_EXECUTOR_H
#define FERRY_PIPELINES_EXECUTOR_H

#include "base/ferr.h"

#include <stddef.h>
#include <stdint.h>

/* One job to run. Every pointer is borrowed for the executor_start call
 * only: an executor copies what it keeps. */
struct executor_job {
    const char *name;       /* the step's name: the terminal prefix "[name] " */
    const char *script;     /* run by /bin/sh -c */
    const char *cwd;        /* the working directory */
    const char *const *env; /* "KEY=VALUE" set on top of ferry's environment, NULL-terminated;
                             * NULL: none. Never setenv'd in ferry itself. */
    const char *log_path;   /* stdout and stderr appended here (created when absent): a retry
                             * adds to the same log */
    int64_t timeout_ms;     /* 0: none; else the job is killed (TERM, grace, KILL) when it
                             * runs longer, and ends EXECUTOR_TIMED_OUT */
    void *user;             /* the caller's, handed back in the job's event */
};

/* How a job ended. */
enum executor_end {
    EXECUTOR_EXITED,    /* the script exited; status: its exit code */
    EXECUTOR_SIGNALED,  /* killed by a signal from elsewhere; status: the signal */
    EXECUTOR_TIMED_OUT, /* ran longer than timeout_ms and was killed */
    EXECUTOR_CANCELLED, /* executor_cancel'ed and killed */
};

/* A job's end, as executor_wait reports it. */
struct executor_event {
    int id;                       /* executor_start's *id */
    void *user;                   /* the job's user pointer */
    enum executor_end end;        /* how it ended */
    int status;                   /* see enum executor_end; 0 for the killed ones */
    int64_t started_ms, ended_ms; /* wall clock (ms since the epoch) */
};

struct executor;

/* What an executor implements. Each function's contract is its wrapper's
 * below. */
struct executor_ops {
    const char *name; /* "local", "slurm" ... */
    int (*start)(struct executor *x, const struct executor_job *job, int *id, struct ferr *err);
    int (*wait)(struct executor *x, int interrupt_fd, struct executor_event *ev, struct ferr *err);
    void (*cancel)(struct executor *x, int id);
    size_t (*running)(const struct executor *x);
    void (*close)(struct executor *x);
};

/* The head of every executor's own struct. */
struct executor {
    const struct executor_ops *ops;
};

/* Starts job; *id names it in events and executor_cancel (ids are never
 * reused by one executor). Fails (nothing started) when the log file
 * cannot be opened or the process cannot be created: IO_ERROR /
 * INTERNAL_ERROR. A script that cannot run at all (a bad cwd) still starts
 * and ends EXITED 127, its reason in the log. */
int executor_start(struct executor *x, const struct executor_job *job, int *id,
                   struct ferr *err) WARN_UNUSED;

/* Waits until a job ends or interrupt_fd (-1: none) becomes readable,
 * meanwhile moving every job's output and enforcing timeouts. 1 with *ev
 * set: a job ended (it is gone from the executor and nothing of it runs
 * any more); 0: interrupt_fd is readable (nothing is read from it: the
 * caller takes what it holds, or the next call returns 0 at once); -1 with
 * err on a failure of the executor itself. Calling it with no job running
 * and no interrupt_fd is a bug. */
int executor_wait(struct executor *x, int interrupt_fd, struct executor_event *ev,
                  struct ferr *err) WARN_UNUSED;

/* Asks a running job to stop: TERM at once, KILL after a grace period (the
 * local executor's kill_grace_ms); a job cancelled already is KILLed at
 * once (a second Ctrl-C). Its event comes later through executor_wait,
 * EXECUTOR_CANCELLED. An unknown or ended id is ignored. */
void executor_cancel(struct executor *x, int id);

/* Jobs started whose event has not been returned yet. */
size_t executor_running(const struct executor *x);

/* Frees x. Jobs still running are cancelled and waited for first (so
 * nothing is left behind), their events dropped. Accepts NULL. */
void executor_close(struct executor *x);

#endif
