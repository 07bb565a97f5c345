/* SPDX-License-Identifier: MIT
 * Artifact repositories: where run artifacts are kept. One interface (an
 * ops table, artifacts/backend.h) with two backends: a local directory
 * (local.c) and a server's artifact service over HTTP (http.c); object
 * stores plug in behind the same calls.
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

#include "artifacts/list.h"
#include "artifacts/path.h"
#include "base/ferr.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct artifact_repo;
struct artifact_writer;

/* uri: a plain directory path, or a file URI: "file:///abs/dir",
 * "file://localhost/abs/dir" or "file:/abs/dir", percent-decoded once (a
 * host, a query or a fragment is INVALID_PARAMETER_VALUE). The directory is
 * created when missing; it may itself be reached through symbolic links
 * (the operator's choice), nothing below it is. Any other scheme (two or
 * more letters before ':', e.g. s3://, mlflow-artifacts:/, runs:/) is
 * NOT_IMPLEMENTED: a proxied repository is opened on a server's HTTP client
 * (artifacts/http.h); object stores plug in here.
 * *out is the caller's, freed with artifact_repo_close. */
int artifact_repo_open(const char *uri, struct artifact_repo **out, struct ferr *err) WARN_UNUSED;
/* Whether uri names local files, as artifact_repo_open reads it: 1 with
 * *dir the directory (a plain path as given, a file URI's path decoded;
 * the caller's to free), 0 for a URI of any other scheme (*dir NULL), -1
 * with err set for an empty location or a malformed file URI. No I/O. */
int artifact_repo_local_dir(const char *uri, char **dir, struct ferr *err) WARN_UNUSED;
/* Accepts NULL. */
void artifact_repo_close(struct artifact_repo *r);

/* Starts writing path (parent directories are created). Replaces an
 * existing file of that name when committed; until then readers and
 * listings see the old file or nothing. The local repository reserves
 * names that start with ".ferry-part-" for its temporary files. */
int artifact_writer_open(struct artifact_repo *r, const char *path, struct artifact_writer **out,
                         struct ferr *err) WARN_UNUSED;
/* Appends n bytes. After a failure the caller still calls
 * artifact_writer_abort. */
int artifact_writer_write(struct artifact_writer *w, const void *buf, size_t n,
                          struct ferr *err) WARN_UNUSED;
/* Makes the file durable and visible under its name; frees w either way.
 * sha256_hex (may be NULL) gets the content's SHA-256 in hex. When only
 * the final sync of the directory fails, the file is visible but the call
 * still fails (its durability across a crash is not known). */
int artifact_writer_commit(struct artifact_writer *w, char sha256_hex[65],
                           struct ferr *err) WARN_UNUSED;
/* Drops the temporary file and frees w. Accepts NULL. */
void artifact_writer_abort(struct artifact_writer *w);

/* Reading: a file of the repository as a stream, whatever keeps it (a
 * local directory, a server, an object store). A directory, a link or
 * anything but a regular file is INVALID_PARAMETER_VALUE, a missing one
 * RESOURCE_DOES_NOT_EXIST. *out is closed with artifact_reader_close. */
struct artifact_reader;
int artifact_open_read(struct artifact_repo *r, const char *path, struct artifact_reader **out,
                       struct ferr *err) WARN_UNUSED;
/* The file's size in bytes. */
int64_t artifact_reader_size(const struct artifact_reader *rd);
/* Fills at most cap bytes of buf: how many, 0 at the end, or -1 with err
 * set. */
ssize_t artifact_reader_read(struct artifact_reader *rd, void *buf, size_t cap,
                             struct ferr *err) WARN_UNUSED;
/* For zero-copy sending (sendfile): the descriptor of a reader that is a
 * local file, at the file's start, now the caller's to close; -1 when the
 * reader is no local file (read it instead). Close the reader either way. */
int artifact_reader_take_fd(struct artifact_reader *rd);
/* Accepts NULL. */
void artifact_reader_close(struct artifact_reader *rd);

/* Progress of one transfer: bytes so far and the total (0: not known). */
typedef void artifact_progress_fn(void *arg, int64_t now, int64_t total);
/* Copies the file at path into fd (from fd's offset), streaming: never the
 * whole file in memory. progress may be NULL. */
int artifact_get_fd(struct artifact_repo *r, const char *path, int fd,
                    artifact_progress_fn *progress, void *arg, struct ferr *err) WARN_UNUSED;
/* Stores size bytes of fd (from its start) as path, as artifact_log_stream
 * stores (the file appears only when complete). */
int artifact_put_fd(struct artifact_repo *r, const char *path, int fd, int64_t size,
                    artifact_progress_fn *progress, void *arg, char sha256_hex[65],
                    struct ferr *err) WARN_UNUSED;

/* The entries directly inside dir ("" for the root), sorted by path
 * (strcmp order, so a page of a listing is a plain slice of it); each path
 * is relative to the root. Regular files and directories only: links,
 * devices and unfinished uploads are never listed. A missing directory, a
 * file or a link lists nothing (as in MLflow). *out is released with
 * artifact_list_release, also after a failure. */
int artifact_list(struct artifact_repo *r, const char *dir, struct artifact_list *out,
                  struct ferr *err) WARN_UNUSED;
/* Removes a file, or a directory and everything below it; a link is
 * removed itself, never what it points to. */
int artifact_delete(struct artifact_repo *r, const char *path, struct ferr *err) WARN_UNUSED;
/* Removes what uploads a killed process left (a local repository's
 * ".ferry-part-" files untouched since before `cutoff`, never following
 * links); *n gets how many (would be) removed. dry_run: count only. A
 * repository without such leftovers has nothing to remove. */
int artifact_sweep_parts(struct artifact_repo *r, time_t cutoff, int dry_run, size_t *n,
                         struct ferr *err) WARN_UNUSED;

/* Advisory locks between the processes and threads sharing a repository
 * (a dataset ingest and gc, data/objects.h): path names a lock file of the
 * repository, created empty when missing. Blocks until granted: shared
 * locks coexist, an exclusive one waits for every other holder and keeps
 * new ones out. Each call is its own holder (two calls of one thread are
 * two holders: never take an exclusive lock while holding another).
 * *out is released with artifact_unlock; it is NULL, with nothing held, for
 * a repository without locks (a server's, over HTTP: that server locks). */
struct artifact_lock;
int artifact_lock(struct artifact_repo *r, const char *path, int exclusive,
                  struct artifact_lock **out, struct ferr *err) WARN_UNUSED;
/* Accepts NULL. */
void artifact_unlock(struct artifact_lock *l);

/* A source of bytes for artifact_log_stream: fills at most cap bytes of buf
 * and returns how many (0 at the end), or -1 with err set (a callback that
 * leaves err unset gets a generic IO_ERROR). */
typedef ssize_t artifact_read_fn(void *ctx, void *buf, size_t cap, struct ferr *err);

/* Writes path from read_fn in fixed-size chunks (constant memory whatever
 * the size): the file appears, complete, only when read_fn reached its end
 * and the data is durable; when read_fn or the disk fails, nothing appears
 * and an existing file of that name is left as it was. sha256_hex (may be
 * NULL) gets the content's SHA-256 in hex. */
int artifact_log_stream(struct artifact_repo *r, const char *path, artifact_read_fn *read_fn,
                        void *ctx, char sha256_hex[65], struct ferr *err) WARN_UNUSED;
/* artifact_log_stream from the local file local_path (the caller's own
 * file system, not checked like artifact paths; a missing file is
 * RESOURCE_DOES_NOT_EXIST, a directory INVALID_PARAMETER_VALUE). */
int artifact_log_file(struct artifact_repo *r, const char *local_path, const char *path,
                      char sha256_hex[65], struct ferr *err) WARN_UNUSED;

#endif
