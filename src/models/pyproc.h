/* SPDX-License-Identifier: MIT
 * One Python worker process (pyworker.py, embedded in ferry) and the framed
 * messages ferry exchanges with it over a socket pair: a header of type,
 * reserved word and payload length in native byte order, then the payload.
 *
 * The worker runs with the least privilege ferry can give it: a clean
 * environment, only the socket and stdio open, no core files, no file it
 * can grow (RLIMIT_FSIZE 0), no new privileges, killed when its parent
 * dies, and, when ferry runs as root, as the user "nobody". It never needs
 * to open the model's files: the model's bytes come over the socket.
 * Internal to models/. */
#ifndef FERRY_MODELS_PYPROC_H
#define FERRY_MODELS_PYPROC_H

#include "base/ferr.h"
#include "base/sbuf.h"

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

enum pyframe {
    PYFRAME_LOAD = 1,
    PYFRAME_PREDICT = 2,
    PYFRAME_READY = 16,
    PYFRAME_ERROR = 17,
    PYFRAME_RESULT = 18,
};

struct pyproc {
    pid_t pid; /* 0 when not running */
    int fd;    /* ferry's end of the socket pair; -1 when not running */
};

#define PYPROC_INIT                                                                                \
    {                                                                                              \
        0, -1                                                                                      \
    }

/* The interpreter workers run: $FERRY_PYTHON, else /usr/bin/python3
 * (Debian's, where python3-sklearn installs; `python3` on PATH may be
 * another one). */
const char *pyproc_python(void);

/* Starts a worker with `python`. INVALID_PARAMETER_VALUE when the
 * interpreter is missing, INTERNAL_ERROR when the process cannot start. */
int pyproc_spawn(struct pyproc *p, const char *python, struct ferr *err) WARN_UNUSED;

/* Sends one frame whose payload is the concatenation of iov[0..n). Gives
 * up at deadline_ns (ftime_mono_ns clock). TEMPORARILY_UNAVAILABLE when
 * the worker is gone or too slow. */
int pyproc_send(struct pyproc *p, uint32_t type, const struct iovec *iov, int n,
                int64_t deadline_ns, struct ferr *err) WARN_UNUSED;

/* Receives one frame into *type and payload (reset first); as pyproc_send
 * for failures. */
int pyproc_recv(struct pyproc *p, uint32_t *type, struct sbuf *payload, int64_t deadline_ns,
                struct ferr *err) WARN_UNUSED;

/* Whether the worker is running and idle-healthy: an idle worker has
 * nothing to say, so a readable or hung-up socket means it is gone. */
int pyproc_alive(const struct pyproc *p);

/* Ends the worker (EOF, then SIGKILL if it lingers 100 ms; at once with
 * force), reaps it and, when why is given, appends how it ended ("exited
 * with status 1", "was killed by signal 9"). Safe on a stopped worker. */
void pyproc_stop(struct pyproc *p, int force, struct sbuf *why);

#endif
