/* SPDX-License-Identifier: MIT
 * The digest of a local path, as pipelines record step outputs, inputs
 * given as paths and `deps` entries:
 *   a regular file   SHA-256 (lowercase hex) of its bytes; size: its size;
 *   a directory      the data-manifest digest (domain/data_manifest.h) of
 *                    the tree as data/tree_scan.h scans it, with every file's
 *                    mode taken as 0644 and empty directories left out;
 *                    size: the sum of its file sizes.
 * Modes and empty directories are left out because an artifact store keeps
 * neither: a directory logged as artifacts and downloaded again must have
 * the digest it had when it was written (that is what a cache hit checks).
 * The root may be reached through a symbolic link; nothing below it is
 * followed (tree_scan's rules: a link leaving the tree, a socket, a FIFO or a
 * device is INVALID_PARAMETER_VALUE naming the path).
 *
 * Errors: a missing path is RESOURCE_DOES_NOT_EXIST "'P' does not exist";
 * anything else neither a file nor a directory INVALID_PARAMETER_VALUE; an
 * unreadable one IO_ERROR. Thread-safe (no shared state). */
#ifndef FERRY_PIPELINES_OUTPUT_DIGEST_H
#define FERRY_PIPELINES_OUTPUT_DIGEST_H

#include "base/ferr.h"

#include <stdint.h>

struct output_digest {
    char digest[65]; /* 64 lowercase hex digits */
    int64_t size;    /* bytes: the file's, or the sum of a directory's files */
    int is_dir;      /* 1: a directory (a manifest digest), 0: a file */
};

/* The digest of path (above) into *out; out is set only on success. */
int output_digest(const char *path, struct output_digest *out, struct ferr *err) WARN_UNUSED;

/* SHA-256 (hex) of a regular file's bytes only (path must be a file),
 * streamed in 1 MiB pieces: env files, single files. */
int output_digest_file(const char *path, char hex[65], int64_t *size, struct ferr *err) WARN_UNUSED;

#endif
