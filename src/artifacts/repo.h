/* SPDX-License-Identifier: MIT
 * Artifact repositories: where run artifacts are kept. One interface (an
 * ops table, repo_int.h) with a local-file-system implementation first;
 * object stores plug in behind the same calls.
 *
 * Paths are relative to the repository root and must pass
 * artifact_path_check (every function checks again). Files are written as a
 * stream to a temporary name and appear under their name only when
 * complete, so a reader never sees half a file. Every function returns 0,
 * or -1 with err set to an MLflow code: INVALID_PARAMETER_VALUE for a bad
 * path, RESOURCE_DOES_NOT_EXIST for a missing one, IO_ERROR when the disk
 * fails. A repository may be used by several threads at once. */
#ifndef FERRY_ARTIFACTS_REPO_H
#define FERRY_ARTIFACTS_REPO_H

#include "artifacts/path.h"
#include "base/ferr.h"

#include <stddef.h>
#include <stdint.h>

struct artifact_repo;
struct artifact_writer;

struct artifact_file {
    char *path; /* relative to the repository root */
    int is_dir;
    int64_t size; /* bytes; 0 for directories */
};

struct artifact_list {
    struct artifact_file *v;
    size_t n, alloc;
};

void artifact_list_add(struct artifact_list *l, const char *path, int is_dir, int64_t size);
void artifact_list_release(struct artifact_list *l);

/* uri: a directory path or "file:///abs/dir" (created when missing). Other
 * schemes (s3://, gs://, ...) are FERR_NOT_IMPLEMENTED for now. */
int artifact_repo_open(const char *uri, struct artifact_repo **out, struct ferr *err) WARN_UNUSED;
/* Accepts NULL. */
void artifact_repo_close(struct artifact_repo *r);

/* Starts writing path (parent directories are created). Replaces an
 * existing file of that name when committed. */
int artifact_writer_open(struct artifact_repo *r, const char *path, struct artifact_writer **out,
                         struct ferr *err) WARN_UNUSED;
int artifact_writer_write(struct artifact_writer *w, const void *buf, size_t n,
                          struct ferr *err) WARN_UNUSED;
/* Makes the file durable and visible under its name; frees w either way.
 * sha256_hex (may be NULL) gets the content's SHA-256 in hex. */
int artifact_writer_commit(struct artifact_writer *w, char sha256_hex[65],
                           struct ferr *err) WARN_UNUSED;
/* Drops the temporary file and frees w. Accepts NULL. */
void artifact_writer_abort(struct artifact_writer *w);

/* Opens a file for reading: *fd is the caller's to close, *size its length. */
int artifact_open_read(struct artifact_repo *r, const char *path, int *fd, int64_t *size,
                       struct ferr *err) WARN_UNUSED;
/* The entries directly inside dir ("" for the root), sorted by path. A
 * missing directory, or a file, lists nothing (as in MLflow). */
int artifact_list(struct artifact_repo *r, const char *dir, struct artifact_list *out,
                  struct ferr *err) WARN_UNUSED;
/* Removes a file, or a directory and everything below it. */
int artifact_delete(struct artifact_repo *r, const char *path, struct ferr *err) WARN_UNUSED;

#endif
