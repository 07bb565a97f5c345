/* SPDX-License-Identifier: MIT
 * A reader (artifacts/backend.h) over a local file descriptor: what a local
 * repository hands out, and what a remote one hands out for a download it
 * kept in a temporary file. */
#ifndef FERRY_ARTIFACTS_FD_READER_H
#define FERRY_ARTIFACTS_FD_READER_H

#include "artifacts/backend.h"

/* A reader of fd (taken: closed with the reader), from its start; name is
 * for messages. Its descriptor can be taken (artifact_reader_take_fd). */
struct artifact_reader *artifact_fd_reader(int fd, int64_t size, const char *name);

#endif
