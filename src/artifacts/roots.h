/* SPDX-License-Identifier: MIT
 * Where a server may touch local files: its artifact roots (`ferry server
 * --allowed-artifact-roots`). An artifact location that names local files
 * (a path or a file:// URI) is served only when it lies below one of the
 * roots, and then through that root's repository, so everything below the
 * root is resolved without following links and without creating
 * directories on reads (artifacts/local.c). A location outside every root
 * is refused before any file system call, so the answer is the same
 * whether the path exists or not, and it never quotes the path.
 *
 * Locations are compared as text after making a relative path absolute
 * against the working directory and collapsing ".", ".." and repeated
 * slashes; what lies below the root must then pass artifact_path_check
 * (no percent-encoded traversal, no reserved ".ferry-part-" name).
 * Locations of other schemes (mlflow-artifacts:, s3://, gs://, ...) are not
 * the roots' business: the server either serves them from its proxied
 * destination or never opens them at all. */
#ifndef FERRY_ARTIFACTS_ROOTS_H
#define FERRY_ARTIFACTS_ROOTS_H

#include "artifacts/repo.h"
#include "base/sbuf.h"

struct artifact_roots;

/* Opens the n local directories dirs (plain paths or file:// URIs;
 * relative ones against the working directory), each created when missing,
 * as the server's artifact destination is. An entry that is a URI of
 * another scheme is skipped (those are always allowed); n may be 0 (no
 * local location allowed). *out is freed with artifact_roots_free. Errors
 * name the directory: they are the operator's, at start. */
int artifact_roots_open(const char *const *dirs, size_t n, struct artifact_roots **out,
                        struct ferr *err) WARN_UNUSED;
/* Accepts NULL. */
void artifact_roots_free(struct artifact_roots *r);

/* 1 when the server may use uri as an artifact location: a local one
 * below a root (with a valid path below it), or any URI of another scheme;
 * 0 for a local location outside every root, an empty one or a malformed
 * file URI. No I/O; thread-safe. */
int artifact_roots_allow(const struct artifact_roots *r, const char *uri);

/* Where the files of a local uri are: 1 with *repo the root's repository
 * (borrowed: it lives as long as r) and uri's path inside it ("" for the
 * root itself) in rel; 0 when uri is a URI of another scheme (nothing set);
 * -1 with err set (INVALID_PARAMETER_VALUE, a message that names no path)
 * when it lies outside every root or is malformed. No I/O. */
int artifact_roots_find(const struct artifact_roots *r, const char *uri,
                        struct artifact_repo **repo, struct sbuf *rel,
                        struct ferr *err) WARN_UNUSED;

#endif
