/* SPDX-License-Identifier: MIT
 * What a repository backend implements (local.c, http.c, object stores
 * later), with the contracts of repo.h; the front (repo.c) has checked
 * every path before an op is called. */
#ifndef FERRY_ARTIFACTS_BACKEND_H
#define FERRY_ARTIFACTS_BACKEND_H

#include "artifacts/repo.h"

struct artifact_repo_ops {
    void (*close)(struct artifact_repo *r);
    int (*writer_open)(struct artifact_repo *r, const char *path, struct artifact_writer **out,
                       struct ferr *err);
    int (*open_read)(struct artifact_repo *r, const char *path, struct artifact_reader **out,
                     struct ferr *err);
    int (*list)(struct artifact_repo *r, const char *dir, struct artifact_list *out,
                struct ferr *err);
    int (*remove)(struct artifact_repo *r, const char *path, struct ferr *err);
    /* Optional (NULL: the front does it through the writer or a reader). */
    int (*put_fd)(struct artifact_repo *r, const char *path, int fd, int64_t size,
                  artifact_progress_fn *progress, void *arg, char sha256_hex[65], struct ferr *err);
    int (*get_fd)(struct artifact_repo *r, const char *path, int fd, artifact_progress_fn *progress,
                  void *arg, struct ferr *err);
    /* Optional (NULL: no locks): *fd a descriptor holding the lock on path,
     * released by closing it. */
    int (*lock)(struct artifact_repo *r, const char *path, int exclusive, int *fd,
                struct ferr *err);
    /* Optional (NULL: nothing to sweep). */
    int (*sweep_parts)(struct artifact_repo *r, time_t cutoff, int dry_run, size_t *n,
                       struct ferr *err);
};

struct artifact_reader_ops {
    ssize_t (*read)(struct artifact_reader *rd, void *buf, size_t cap, struct ferr *err);
    int (*take_fd)(struct artifact_reader *rd); /* optional: -1 */
    void (*close)(struct artifact_reader *rd);
};

struct artifact_reader {
    const struct artifact_reader_ops *ops;
    int64_t size;
};

struct artifact_writer_ops {
    int (*write)(struct artifact_writer *w, const void *buf, size_t n, struct ferr *err);
    int (*commit)(struct artifact_writer *w, char sha256_hex[65], struct ferr *err);
    void (*abort)(struct artifact_writer *w);
};

struct artifact_repo {
    const struct artifact_repo_ops *ops;
};

struct artifact_writer {
    const struct artifact_writer_ops *ops;
};

#endif
