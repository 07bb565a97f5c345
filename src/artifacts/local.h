/* SPDX-License-Identifier: MIT
 * The local file system repository: a directory, with every path below it
 * opened without following links, files written to a temporary name and
 * made durable before they appear. */
#ifndef FERRY_ARTIFACTS_LOCAL_H
#define FERRY_ARTIFACTS_LOCAL_H

#include "artifacts/repo.h"

/* dir: a plain path, created when missing (see artifact_repo_open). */
int artifact_local_open(const char *dir, struct artifact_repo **out, struct ferr *err) WARN_UNUSED;

#endif
