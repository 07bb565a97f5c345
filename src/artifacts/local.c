/* SPDX-License-Identifier: MIT
 * The local-file-system repository. Every path is resolved from a file
 * descriptor on the root, one segment at a time with O_NOFOLLOW, so no
 * symbolic link is ever followed below the root: whatever is planted
 * inside it, nothing outside can be read, written or deleted. Uploads go to
 * a hidden ".ferry-part-*" file beside their target, are fsynced, then
 * renamed into place (and the directory fsynced), so a file is either
 * absent or complete, also across a crash. */
#ifdef __linux__
#define _GNU_SOURCE /* sync_file_range: start writeback while the upload goes on */
#endif
#include "artifacts/local.h"
#include "artifacts/backend.h"
#include "artifacts/fd_reader.h"
#include "base/ids.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

#define PART_PREFIX ARTIFACT_PART_PREFIX

struct local_repo {
    struct artifact_repo base;
    int rootfd;
    char *root;
};

/* Bytes written between asking the kernel to start writing back, so the
 * final fsync finds little left to do instead of the whole file. */
#define WRITEBACK_STEP (8 * 1024 * 1024)

struct local_writer {
    struct artifact_writer base;
    int64_t written, flushed; /* bytes so far; bytes handed to writeback */
    int dirfd, fd;
    char *name, *part;
    EVP_MD_CTX *sha;
};

static int io_fail(struct ferr *err, const char *what, const char *path)
{
    int e = errno;
    if (e == ENOENT)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "no artifact at '%.300s'", path);
    if (e == ELOOP || e == ENOTDIR || e == EISDIR)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "artifact path '%.300s' leads through a file or a symbolic link", path);
    return ferr_set(err, FERR_IO_ERROR, "%s '%.300s': %s", what, path, strerror(e));
}

/* A new open file description of the root: dup() would share the
 * directory offset, and a second listing would start at the end. */
static int open_root(struct local_repo *r)
{
    return openat(r->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Opens the directory holding the last segment of path (see
 * artifact_path_open_parent, which also checks the path again). */
static int walk(struct local_repo *r, const char *path, int create, int *dirfd, const char **last,
                struct ferr *err)
{
    return artifact_path_open_parent(
        r->rootfd, path, create ? ARTIFACT_PATH_CREATE : ARTIFACT_PATH_LOOKUP, dirfd, last, err);
}

/* ---------- writing ---------- */

static int write_fail(struct local_writer *w, struct ferr *err)
{
    return ferr_set(err, FERR_IO_ERROR, "writing artifact '%.300s': %s", w->name, strerror(errno));
}

static int w_write(struct artifact_writer *base, const void *buf, size_t n, struct ferr *err)
{
    struct local_writer *w = (struct local_writer *)base;
    const char *p = buf;
    if (!EVP_DigestUpdate(w->sha, buf, n))
        return ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    while (n) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return write_fail(w, err);
        p += k;
        n -= (size_t)k;
        w->written += k;
    }
#ifdef SYNC_FILE_RANGE_WRITE
    if (w->written - w->flushed >= WRITEBACK_STEP) {
        /* Advisory: a failure here only means fsync does the work later. */
        (void)sync_file_range(w->fd, w->flushed, w->written - w->flushed, SYNC_FILE_RANGE_WRITE);
        w->flushed = w->written;
    }
#endif
    return 0;
}

static void w_free(struct local_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    if (w->part)
        unlinkat(w->dirfd, w->part, 0); /* a no-op once renamed */
    close(w->dirfd);
    EVP_MD_CTX_free(w->sha);
    free(w->name);
    free(w->part);
    free(w);
}

static void w_abort(struct artifact_writer *base)
{
    w_free((struct local_writer *)base);
}

static int w_commit(struct artifact_writer *base, char sha256_hex[65], struct ferr *err)
{
    struct local_writer *w = (struct local_writer *)base;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    int rc = 0;
    /* Everything that can fail before the rename comes first: a file that
     * became visible is a file the caller may rely on. */
    if (!EVP_DigestFinal_ex(w->sha, md, &mdlen) || mdlen != 32)
        rc = ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    if (!rc && fsync(w->fd) < 0)
        rc = write_fail(w, err);
    int closed = close(w->fd); /* once, whatever happened: never leaks */
    w->fd = -1;
    if (!rc && closed < 0)
        rc = write_fail(w, err);
    if (!rc && renameat(w->dirfd, w->part, w->dirfd, w->name) < 0)
        rc = io_fail(err, "cannot store artifact", w->name);
    if (!rc) {
        free(w->part);
        w->part = NULL; /* renamed: nothing to clean up */
        if (fsync(w->dirfd) < 0)
            rc = ferr_set(err, FERR_IO_ERROR, "syncing the directory of '%.300s': %s", w->name,
                          strerror(errno));
    }
    if (!rc && sha256_hex) {
        for (unsigned i = 0; i < 32; i++)
            snprintf(sha256_hex + 2 * i, 3, "%02x", md[i]);
        sha256_hex[64] = '\0';
    }
    w_free(w);
    return rc;
}

static const struct artifact_writer_ops writer_ops = {w_write, w_commit, w_abort};

static int l_writer_open(struct artifact_repo *base, const char *path, struct artifact_writer **out,
                         struct ferr *err)
{
    struct local_repo *r = (struct local_repo *)base;
    int dirfd;
    const char *last;
    if (walk(r, path, 1, &dirfd, &last, err))
        return -1;
    if (!strncmp(last, PART_PREFIX, strlen(PART_PREFIX))) {
        close(dirfd);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid artifact path '%.300s': names starting with '" PART_PREFIX
                        "' are reserved",
                        path);
    }
    struct local_writer *w = xcalloc(1, sizeof(*w));
    w->base.ops = &writer_ops;
    w->dirfd = dirfd;
    w->fd = -1;
    w->name = xstrdup(last);
    w->sha = EVP_MD_CTX_new();
    if (!w->sha || !EVP_DigestInit_ex(w->sha, EVP_sha256(), NULL)) {
        w_free(w);
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot start SHA-256");
    }
    char id[RUN_ID_LEN + 1];
    ids_new_run_id(id);
    struct sbuf part = SBUF_INIT;
    sbuf_addf(&part, PART_PREFIX "%s", id);
    w->part = sbuf_detach(&part, NULL);
    w->fd = openat(dirfd, w->part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int rc = io_fail(err, "cannot create artifact", path);
        free(w->part);
        w->part = NULL;
        w_free(w);
        return rc;
    }
    *out = &w->base;
    return 0;
}

/* ---------- reading, listing, deleting ---------- */

static int l_open_read(struct artifact_repo *base, const char *path, struct artifact_reader **out,
                       struct ferr *err)
{
    struct local_repo *r = (struct local_repo *)base;
    int dirfd;
    const char *last;
    struct stat st;
    if (walk(r, path, 0, &dirfd, &last, err))
        return -1;
    int f = openat(dirfd, last, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    int rc = 0;
    if (f < 0)
        rc = io_fail(err, "cannot open artifact", path);
    else if (fstat(f, &st) < 0)
        rc = io_fail(err, "cannot read artifact", path);
    else if (S_ISDIR(st.st_mode))
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "artifact path '%.300s' is a directory",
                      path);
    else if (!S_ISREG(st.st_mode))
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "artifact path '%.300s' is not a regular file", path);
    close(dirfd);
    if (rc) {
        if (f >= 0)
            close(f);
        return -1;
    }
    int flags = fcntl(f, F_GETFL);
    if (flags >= 0 && fcntl(f, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        close(f);
        return io_fail(err, "cannot read artifact", path);
    }
    *out = artifact_fd_reader(f, (int64_t)st.st_size, path);
    return 0;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct artifact_file *)a)->path, ((const struct artifact_file *)b)->path);
}

/* Opens dir itself (not its parent) as a directory, without links. */
static int open_dir(struct local_repo *r, const char *dir, int *fd, struct ferr *err)
{
    if (!*dir) {
        *fd = open_root(r);
        return *fd < 0 ? io_fail(err, "cannot open the artifact root for", "") : 0;
    }
    int parent;
    const char *last;
    if (walk(r, dir, 0, &parent, &last, err))
        return -1;
    *fd = openat(parent, last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(parent);
    return *fd < 0 ? io_fail(err, "cannot open artifact directory", dir) : 0;
}

static int l_list(struct artifact_repo *base, const char *dir, struct artifact_list *out,
                  struct ferr *err)
{
    struct local_repo *r = (struct local_repo *)base;
    int fd;
    struct ferr ignored = FERR_INIT;
    if (open_dir(r, dir, &fd, &ignored)) {
        /* A missing directory, or a file, lists nothing, as in MLflow; a
         * real failure of the disk is still an error. */
        if (ignored.code == FERR_IO_ERROR) {
            *err = ignored;
            return -1;
        }
        return 0;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return io_fail(err, "cannot list artifact directory", dir);
    }
    struct dirent *e;
    struct sbuf path = SBUF_INIT;
    while ((e = readdir(d))) {
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            !strncasecmp(e->d_name, PART_PREFIX, strlen(PART_PREFIX)))
            continue; /* in-progress uploads (reserved names) are not artifacts */
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* gone meanwhile */
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
            continue; /* links, devices: never served */
        sbuf_reset(&path);
        sbuf_addf(&path, "%s%s%s", dir, *dir ? "/" : "", e->d_name);
        artifact_list_add(out, path.buf, S_ISDIR(st.st_mode), (int64_t)st.st_size);
    }
    closedir(d);
    sbuf_release(&path);
    if (out->n)
        qsort(out->v, out->n, sizeof(*out->v), by_path);
    return 0;
}

/* Removes everything inside the directory fd (closed here), never
 * following links: a link is removed, not its target. */
static int empty_dir(int fd, const char *path, int depth, struct ferr *err)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return io_fail(err, "cannot delete artifacts in", path);
    }
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            int sub = depth < 256 ? openat(dirfd(d), e->d_name,
                                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                                  : -1;
            if (sub < 0 || empty_dir(sub, path, depth + 1, err))
                rc = sub < 0 ? io_fail(err, "cannot delete artifacts in", path) : -1;
            else if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) < 0)
                rc = io_fail(err, "cannot delete artifacts in", path);
        } else if (unlinkat(dirfd(d), e->d_name, 0) < 0) {
            rc = io_fail(err, "cannot delete artifacts in", path);
        }
    }
    closedir(d);
    return rc;
}

static int l_remove(struct artifact_repo *base, const char *path, struct ferr *err)
{
    struct local_repo *r = (struct local_repo *)base;
    int dirfd;
    const char *last;
    struct stat st;
    if (walk(r, path, 0, &dirfd, &last, err))
        return -1;
    int rc = 0;
    if (fstatat(dirfd, last, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        rc = io_fail(err, "cannot delete artifact", path);
    } else if (S_ISDIR(st.st_mode)) {
        int sub = openat(dirfd, last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0 || empty_dir(sub, path, 0, err))
            rc = sub < 0 ? io_fail(err, "cannot delete artifact", path) : -1;
        else if (unlinkat(dirfd, last, AT_REMOVEDIR) < 0)
            rc = io_fail(err, "cannot delete artifact", path);
    } else if (unlinkat(dirfd, last, 0) < 0) {
        rc = io_fail(err, "cannot delete artifact", path);
    }
    close(dirfd);
    return rc;
}

/* flock, not fcntl locks: those belong to the process, so two holders in
 * one process would share one lock, and closing any descriptor of the
 * file would drop it. */
static int l_lock(struct artifact_repo *base, const char *path, int exclusive, int *fd,
                  struct ferr *err)
{
    struct local_repo *r = (struct local_repo *)base;
    int dirfd;
    const char *last;
    if (walk(r, path, 1, &dirfd, &last, err))
        return -1;
    *fd = openat(dirfd, last, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    int rc = *fd < 0 ? io_fail(err, "cannot open lock file", path) : 0;
    close(dirfd);
    while (!rc && flock(*fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
        if (errno == EINTR)
            continue;
        rc = io_fail(err, "cannot lock", path);
        close(*fd);
    }
    return rc;
}

static void l_close(struct artifact_repo *base)
{
    struct local_repo *r = (struct local_repo *)base;
    close(r->rootfd);
    free(r->root);
    free(r);
}

/* Removes the .ferry-part-* files below fd (closed here) not written to
 * since cutoff, never following links; an upload in progress keeps its
 * part file fresh. Returns how many (would be) removed. */
static size_t sweep_dir(int fd, int depth, time_t cutoff, int dry)
{
    DIR *d = fdopendir(fd);
    size_t n = 0;
    if (!d) {
        close(fd);
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < 64) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                n += sweep_dir(sub, depth + 1, cutoff, dry);
        } else if (S_ISREG(st.st_mode) && !strncmp(e->d_name, PART_PREFIX, strlen(PART_PREFIX)) &&
                   st.st_mtime < cutoff && (dry || unlinkat(dirfd(d), e->d_name, 0) == 0)) {
            n++;
        }
    }
    closedir(d);
    return n;
}

static int l_sweep_parts(struct artifact_repo *base, time_t cutoff, int dry_run, size_t *n,
                         struct ferr *err)
{
    struct local_repo *r = (struct local_repo *)base;
    int fd = openat(r->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return io_fail(err, "cannot read the artifact root", r->root);
    *n = sweep_dir(fd, 0, cutoff, dry_run);
    return 0;
}

static const struct artifact_repo_ops local_ops = {
    .close = l_close,
    .writer_open = l_writer_open,
    .open_read = l_open_read,
    .list = l_list,
    .remove = l_remove,
    .lock = l_lock,
    .sweep_parts = l_sweep_parts,
};

/* mkdir -p: the root itself may be given with links (e.g. /tmp), which is
 * the operator's choice; only paths below it are held to O_NOFOLLOW. */
static int make_root(const char *dir, struct ferr *err)
{
    char *copy = xstrdup(dir);
    size_t n = strlen(copy);
    int rc = 0;
    for (size_t i = 1; i <= n && !rc; i++) {
        if (copy[i] != '/' && copy[i] != '\0')
            continue;
        char c = copy[i];
        copy[i] = '\0';
        if (mkdir(copy, 0755) < 0 && errno != EEXIST)
            rc = ferr_set(err, FERR_IO_ERROR, "cannot create artifact root '%.300s': %s", copy,
                          strerror(errno));
        copy[i] = c;
    }
    free(copy);
    return rc;
}

int artifact_local_open(const char *dir, struct artifact_repo **out, struct ferr *err)
{
    if (make_root(dir, err))
        return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ferr_set(err, FERR_IO_ERROR, "cannot open artifact root '%.300s': %s", dir,
                        strerror(errno));
    struct local_repo *r = xcalloc(1, sizeof(*r));
    r->base.ops = &local_ops;
    r->rootfd = fd;
    r->root = xstrdup(dir);
    *out = &r->base;
    return 0;
}
