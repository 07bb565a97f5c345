/* SPDX-License-Identifier: MIT
 * SIGINT and SIGTERM as bytes on a pipe (the self-pipe trick), so that a
 * loop can poll() for them beside its other descriptors. One set per
 * process: the server, the scoring server and `ferry run` each open it
 * around their wait, and sigpipe_close puts the previous handlers back. */
#ifndef FERRY_BASE_SIGPIPE_H
#define FERRY_BASE_SIGPIPE_H

#include "base/ferr.h"

/* Makes the pipe (close-on-exec, never blocking the handler) and installs
 * the handlers. */
int sigpipe_open(struct ferr *err) WARN_UNUSED;
/* The descriptor to poll for POLLIN; -1 when closed. */
int sigpipe_fd(void);
/* The next signal received, or 0 when none is waiting. */
int sigpipe_take(void);
/* Restores the handlers found by sigpipe_open and closes the pipe. Only
 * async-signal-safe calls: usable in a child between fork and exec. */
void sigpipe_close(void);

#endif
