/* SPDX-License-Identifier: MIT
 * The one check every artifact path passes before it touches a file system,
 * whatever door it came in by (REST URL, query string, JSON field, CLI
 * argument, a server's listing). Artifact paths are relative, '/'-separated
 * and canonical. Refused, each with INVALID_PARAMETER_VALUE and nothing
 * touched:
 *   - empty paths, empty segments ("a//b"), "." and ".." segments;
 *   - absolute paths ("/etc/passwd") and drive letters ("C:x", "c:/x");
 *   - backslashes (a separator on Windows), NUL bytes, control characters,
 *     '#', text that is not UTF-8;
 *   - all of these again after percent-decoding, repeated until nothing
 *     changes, so "%2e%2e%2f" and "%252e%252e%252f" fail like "../";
 *   - segments over 255 bytes and paths over 4096.
 * The local repository then resolves checked paths without following any
 * symbolic link (openat with O_NOFOLLOW, one segment at a time), so a link
 * planted inside the root cannot lead out of it either. */
#ifndef FERRY_ARTIFACTS_PATH_H
#define FERRY_ARTIFACTS_PATH_H

#include "base/ferr.h"

#include <stddef.h>

#define ARTIFACT_PATH_MAX    4096
#define ARTIFACT_SEGMENT_MAX 255

/* path holds len bytes (a NUL among them is refused). */
int artifact_path_check(const char *path, size_t len, struct ferr *err) WARN_UNUSED;

#endif
