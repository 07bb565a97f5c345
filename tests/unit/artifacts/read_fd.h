/* SPDX-License-Identifier: MIT
 * For the artifact tests: a file of a local repository as a descriptor. */
#ifndef FERRY_TESTS_ARTIFACT_READ_FD_H
#define FERRY_TESTS_ARTIFACT_READ_FD_H

#include "artifacts/repo.h"

/* The reader's descriptor, taken (a local repository's readers are files),
 * and the file's size; -1 with err set as artifact_open_read sets it. */
int open_read_fd(struct artifact_repo *r, const char *path, int *fd, int64_t *size,
                 struct ferr *err);

#endif
