/* SPDX-License-Identifier: MIT
 * The one check every artifact path passes before it touches a file system,
 * whatever door it came in by (REST URL, query string, JSON field, CLI
 * argument, a server's listing), and the one way to resolve a checked path
 * below a repository's root. Artifact paths are relative, '/'-separated
 * and canonical. Refused, each with INVALID_PARAMETER_VALUE and nothing
 * touched:
 *   - empty paths, empty segments ("a//b"), "." and ".." segments, and any
 *     segment made only of dots and spaces ("...", ".. "), which Windows
 *     file systems and some proxies trim down to "." or "..";
 *   - "..;x" and ";x" segments, which servers that honour RFC 3986 path
 *     parameters read as ".." or as an empty segment (CVE-2024-1593);
 *   - absolute paths ("/etc/passwd"), drive letters ("C:x", "c:/x") and
 *     file: URIs ("file:///etc", CVE-2023-1177, GHSA-5cvj-7rg6-jggj);
 *   - backslashes (a separator on Windows), NUL bytes, control characters,
 *     '#' (MLflow's fragment bypasses, CVE-2024-3848, CVE-2024-1483), text
 *     that is not UTF-8;
 *   - all of these again after percent-decoding, repeated until nothing
 *     changes, so "%2e%2e%2f" and "%252e%252e%252f" fail like "../";
 *   - all of these again with Unicode look-alikes of '.', '/' and '\'
 *     (fullwidth forms, one- and two-dot leaders, ...) read as the ASCII
 *     character, so a later NFKC normalisation cannot make a traversal;
 *   - segments over 255 bytes and paths over 4096;
 *   - segments that start with ".ferry-part-" (in any case, for file
 *     systems that ignore it): the names of uploads in progress, which no
 *     verb may read, list, delete or write by name.
 * What is not refused is safe to use as a relative path below a root on
 * POSIX. Symbolic links are the resolver's business:
 * artifact_path_open_parent never follows one below the root. */
#ifndef FERRY_ARTIFACTS_PATH_H
#define FERRY_ARTIFACTS_PATH_H

#include "base/ferr.h"

#include <stddef.h>

#define ARTIFACT_PATH_MAX    4096
#define ARTIFACT_SEGMENT_MAX 255
/* The reserved names: a local repository's uploads in progress. */
#define ARTIFACT_PART_PREFIX ".ferry-part-"

/* Checks the len bytes at path (a NUL among them is refused; path may be
 * NULL, which is refused too). Returns 0 when the path is safe, else -1
 * with err set to INVALID_PARAMETER_VALUE and a message that quotes at
 * most 120 bytes of the path with control bytes shown as '?' (ferr_set
 * scrubs invalid UTF-8). Pure: no I/O, no global state, thread-safe. */
int artifact_path_check(const char *path, size_t len, struct ferr *err) WARN_UNUSED;
/* The same check, answered as MLflow's server answers every refusal
 * (validate_path_is_safe): INVALID_PARAMETER_VALUE "Invalid path". For the
 * server's routes, whose clients match on that text; tools that show a
 * person why keep artifact_path_check's message. */
int artifact_path_safe(const char *path, size_t len, struct ferr *err) WARN_UNUSED;

/* For artifact_path_open_parent's create argument. */
#define ARTIFACT_PATH_LOOKUP 0
#define ARTIFACT_PATH_CREATE 1

/* Checks the NUL-terminated path with artifact_path_check, then opens the
 * directory that holds its last segment, starting from the directory
 * rootfd and going one segment at a time with O_NOFOLLOW, so a symbolic
 * link (or a file) anywhere on the way is an error, never a way out of the
 * root; the last segment itself is left for the caller to open, also with
 * O_NOFOLLOW. With ARTIFACT_PATH_CREATE missing directories are created
 * (mode 0755 before the umask). On success *dirfd is a new descriptor the
 * caller closes and *last points into path at the last segment. Errors:
 * INVALID_PARAMETER_VALUE for a refused path or one that leads through a
 * link or a file, RESOURCE_DOES_NOT_EXIST for a missing directory,
 * IO_ERROR for anything else the file system says. Thread-safe. */
int artifact_path_open_parent(int rootfd, const char *path, int create, int *dirfd,
                              const char **last, struct ferr *err) WARN_UNUSED;

#endif
