/* SPDX-License-Identifier: MIT
 * Writing a manifest's tree, verified while written (see tree_write.h).
 * Every object position of the tree (a small file, or one chunk of a large
 * one), in file order, is either the first place its digest occurs (its
 * bytes are pushed) or a repeat (its bytes are copied from the first place,
 * already written and verified). Files are written sequentially, so the
 * file digest is hashed as the bytes go by; a small file's object digest is
 * its file digest and is hashed once. Nothing is fsynced per file: one
 * syncfs of the temporary tree before the rename makes it all durable. */
#ifdef __linux__
#define _GNU_SOURCE /* syncfs */
#endif
#include "data/tree_write.h"
#include "artifacts/data_pack.h"
#include "base/fs_tree.h"
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
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

#define CBUF (1024 * 1024)

struct position {
    const char *digest;
    int64_t size;
    size_t file;
    int64_t offset;
    size_t seq;
    size_t src; /* seq of the first position with this digest (== seq: first) */
};

struct data_tree_writer {
    const struct data_manifest *m;
    struct data_tree_write_opts opts;
    char *dst, *tmp;
    int tmpfd;
    struct position *pos; /* in file order */
    size_t npos, p;       /* positions; the next one to fill */
    struct data_object_ref *order;
    size_t norder;
    /* The file being written. */
    size_t cur; /* index in m->files, or (size_t)-1 */
    int fd;
    int64_t written;
    EVP_MD_CTX *file_sha, *obj_sha;
    int in_object;    /* between begin and end */
    int64_t obj_left; /* bytes the object still owes */
    int64_t done, total;
    char *buf;
    struct sbuf last_dir; /* the directory of the last file created: exists */
};

static int sys_fail(struct ferr *err, const char *what, const char *path)
{
    return ferr_set(err, FERR_IO_ERROR, "%s '%.500s': %s", what, path, strerror(errno));
}

static int pos_by_digest(const void *a, const void *b)
{
    const struct position *x = a, *y = b;
    int c = strcmp(x->digest, y->digest);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int pos_by_seq(const void *a, const void *b)
{
    const struct position *x = a, *y = b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static void plan(struct data_tree_writer *w)
{
    const struct data_manifest *m = w->m;
    size_t total = 0, k = 0;
    for (size_t i = 0; i < m->nfiles; i++)
        total += data_file_nobjects(&m->files[i]);
    w->pos = xmalloc((total ? total : 1) * sizeof(*w->pos));
    for (size_t i = 0; i < m->nfiles; i++) {
        w->total += m->files[i].size;
        for (size_t c = 0; c < data_file_nobjects(&m->files[i]); c++) {
            struct position *q = &w->pos[k];
            q->digest = data_file_object(&m->files[i], c, &q->size);
            q->file = i;
            q->offset = (int64_t)c * DATA_CHUNK_SIZE;
            q->seq = k;
            k++;
        }
    }
    w->npos = k;
    if (k > 1)
        qsort(w->pos, k, sizeof(*w->pos), pos_by_digest);
    for (size_t i = 0; i < k; i++)
        w->pos[i].src = i && !strcmp(w->pos[i - 1].digest, w->pos[i].digest) ? w->pos[i - 1].src
                                                                             : w->pos[i].seq;
    if (k > 1)
        qsort(w->pos, k, sizeof(*w->pos), pos_by_seq);
    w->order = xmalloc((k ? k : 1) * sizeof(*w->order));
    for (size_t i = 0; i < k; i++)
        if (w->pos[i].src == i) {
            memcpy(w->order[w->norder].digest, w->pos[i].digest, 65);
            w->order[w->norder].size = w->pos[i].size;
            w->norder++;
        }
}

/* mkdir -p of the directories of rel (and rel itself when self) in tmp. */
static int make_dirs(struct data_tree_writer *w, const char *rel, int self, struct ferr *err)
{
    char *copy = xstrdup(rel);
    int rc = 0;
    for (char *s = copy;; s++) {
        char c = *s;
        if (c != '/' && c != '\0')
            continue;
        if (c == '\0' && !self)
            break;
        *s = '\0';
        if (mkdirat(w->tmpfd, copy, 0755) < 0 && errno != EEXIST)
            rc = sys_fail(err, "cannot create directory", copy);
        *s = c;
        if (rc || c == '\0')
            break;
    }
    free(copy);
    return rc;
}

static int check_dst(const char *dst, int overwrite, struct ferr *err)
{
    struct stat st;
    if (lstat(dst, &st) < 0)
        return errno == ENOENT ? 0 : sys_fail(err, "cannot check destination", dst);
    if (overwrite)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                        "destination '%.500s' exists and is not a directory", dst);
    int fd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return sys_fail(err, "cannot read destination", dst);
    }
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    if (!empty)
        return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                        "destination '%.500s' exists and is not empty", dst);
    return 0;
}

int data_tree_writer_open(const struct data_manifest *m, const char *dst,
                          const struct data_tree_write_opts *opts, struct data_tree_writer **out,
                          struct ferr *err)
{
    *out = NULL;
    if (!dst || !*dst)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no destination directory");
    size_t dlen = strlen(dst);
    while (dlen > 1 && dst[dlen - 1] == '/')
        dlen--;
    char *d = xstrndup(dst, dlen);
    const char *base = strrchr(d, '/') ? strrchr(d, '/') + 1 : d;
    if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
        free(d);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "destination '%.500s' must name the directory to write (not '.', '..' or "
                        "'/'): it is replaced as a whole",
                        dst);
    }
    if (check_dst(d, opts && opts->overwrite, err)) {
        free(d);
        return -1;
    }
    struct data_tree_writer *w = xcalloc(1, sizeof(*w));
    sbuf_init(&w->last_dir, 0);
    w->m = m;
    if (opts)
        w->opts = *opts;
    w->dst = d;
    w->fd = -1;
    w->tmpfd = -1;
    w->cur = (size_t)-1;
    char id[RUN_ID_LEN + 1];
    ids_new_run_id(id);
    struct sbuf tmp = SBUF_INIT;
    sbuf_addf(&tmp, "%s.ferry-tmp-%s", d, id);
    w->tmp = sbuf_detach(&tmp, NULL);
    w->file_sha = EVP_MD_CTX_new();
    w->obj_sha = EVP_MD_CTX_new();
    w->buf = xmalloc(CBUF);
    *out = w;
    if (!w->file_sha || !w->obj_sha)
        goto fail_sha;
    if (mkdir(w->tmp, 0755) < 0) {
        int rc = sys_fail(err, "cannot create", w->tmp);
        free(w->tmp);
        w->tmp = NULL; /* not ours to remove */
        data_tree_writer_abort(w);
        *out = NULL;
        return rc;
    }
    w->tmpfd = open(w->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->tmpfd < 0) {
        int rc = sys_fail(err, "cannot open", w->tmp);
        data_tree_writer_abort(w);
        *out = NULL;
        return rc;
    }
    plan(w);
    for (size_t i = 0; i < m->ndirs; i++)
        if (make_dirs(w, m->dirs[i], 1, err))
            goto fail;
    return 0;
fail_sha:
    ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
fail:
    data_tree_writer_abort(w);
    *out = NULL;
    return -1;
}

const struct data_object_ref *data_tree_writer_order(const struct data_tree_writer *w, size_t *n)
{
    *n = w->norder;
    return w->order;
}

static void progress(struct data_tree_writer *w, int64_t n)
{
    w->done += n;
    if (w->opts.progress)
        w->opts.progress(w->opts.progress_arg, w->done, w->total);
}

static int sha_init(EVP_MD_CTX *c, struct ferr *err)
{
    return EVP_DigestInit_ex(c, EVP_sha256(), NULL)
               ? 0
               : ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
}

static int sha_matches(EVP_MD_CTX *c, const char *hex, struct ferr *err)
{
    unsigned char md[32], want[32];
    unsigned n = 0;
    if (!EVP_DigestFinal_ex(c, md, &n) || n != 32) {
        ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
        return -1;
    }
    data_digest_to_raw(hex, want);
    return memcmp(md, want, 32) ? 0 : 1;
}

/* Ends the file being written: checks its digest and closes it. */
static int file_end(struct data_tree_writer *w, struct ferr *err)
{
    if (w->cur == (size_t)-1)
        return 0;
    const struct data_file *f = &w->m->files[w->cur];
    int rc = 0;
    if (f->nchunks) {
        int ok = sha_matches(w->file_sha, f->sha256, err);
        if (ok < 0)
            rc = -1;
        else if (!ok)
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "file '%.500s' does not match its sha256 in the manifest", f->path);
    }
    if (close(w->fd) < 0 && !rc)
        rc = sys_fail(err, "cannot write", f->path);
    w->fd = -1;
    w->cur = (size_t)-1;
    return rc;
}

static int file_start(struct data_tree_writer *w, size_t i, struct ferr *err)
{
    const struct data_file *f = &w->m->files[i];
    const char *slash = strrchr(f->path, '/');
    size_t dlen = slash ? (size_t)(slash - f->path) : 0;
    /* Files of one directory come together (sorted paths): create it once. */
    if (slash && !(w->last_dir.len == dlen && !memcmp(w->last_dir.buf, f->path, dlen))) {
        if (make_dirs(w, f->path, 0, err))
            return -1;
        sbuf_reset(&w->last_dir);
        sbuf_add(&w->last_dir, f->path, dlen);
    }
    w->fd = openat(w->tmpfd, f->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (w->fd < 0)
        return sys_fail(err, "cannot create", f->path);
    if (fchmod(w->fd, f->exec ? 0755 : 0644) < 0)
        return sys_fail(err, "cannot set the mode of", f->path);
    w->cur = i;
    w->written = 0;
    return f->nchunks ? sha_init(w->file_sha, err) : 0;
}

/* Makes the file of position p the one being written. */
static int switch_to(struct data_tree_writer *w, const struct position *q, struct ferr *err)
{
    if (w->cur == q->file)
        return 0;
    if (file_end(w, err))
        return -1;
    return file_start(w, q->file, err);
}

static int put_bytes(struct data_tree_writer *w, const void *buf, size_t n, struct ferr *err)
{
    const struct data_file *f = &w->m->files[w->cur];
    if (f->nchunks && !EVP_DigestUpdate(w->file_sha, buf, n))
        return ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    const char *p = buf;
    while (n) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return sys_fail(err, "cannot write", f->path);
        p += k;
        n -= (size_t)k;
        w->written += k;
    }
    return 0;
}

/* Fills repeat positions from where their bytes were first written. */
static int copy_repeats(struct data_tree_writer *w, struct ferr *err)
{
    while (w->p < w->npos && w->pos[w->p].src != w->p) {
        const struct position *q = &w->pos[w->p], *s = &w->pos[q->src];
        const char *from = w->m->files[s->file].path;
        if (switch_to(w, q, err))
            return -1;
        int fd = openat(w->tmpfd, from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return sys_fail(err, "cannot read back", from);
        int64_t off = s->offset, left = q->size;
        int rc = 0;
        while (!rc && left > 0) {
            ssize_t k = pread(fd, w->buf, left < CBUF ? (size_t)left : CBUF, off);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                rc = k < 0 ? sys_fail(err, "cannot read back", from)
                           : ferr_set(err, FERR_IO_ERROR, "'%.500s' got shorter", from);
            else
                rc = put_bytes(w, w->buf, (size_t)k, err);
            off += k > 0 ? k : 0;
            left -= k > 0 ? k : 0;
        }
        close(fd);
        if (rc)
            return -1;
        progress(w, q->size);
        w->p++;
    }
    return 0;
}

int data_tree_writer_begin(struct data_tree_writer *w, const char hex[65], int64_t size,
                           struct ferr *err)
{
    if (w->in_object)
        return ferr_set(err, FERR_INVALID_STATE, "tree writer: object '%s' not ended",
                        w->pos[w->p].digest);
    if (copy_repeats(w, err))
        return -1;
    if (w->p >= w->npos)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "object '%.64s' is not needed (every object already came)", hex);
    const struct position *q = &w->pos[w->p];
    if (strcmp(q->digest, hex) || q->size != size)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "object '%.64s' (%lld bytes) came where '%s' (%lld bytes, file '%.300s') "
                        "was expected",
                        hex, (long long)size, q->digest, (long long)q->size,
                        w->m->files[q->file].path);
    if (switch_to(w, q, err))
        return -1;
    if (w->m->files[q->file].nchunks && sha_init(w->obj_sha, err))
        return -1;
    if (!w->m->files[q->file].nchunks && sha_init(w->file_sha, err))
        return -1;
    w->in_object = 1;
    w->obj_left = size;
    return 0;
}

int data_tree_writer_data(struct data_tree_writer *w, const void *buf, size_t n, struct ferr *err)
{
    if (!w->in_object || (uint64_t)n > (uint64_t)w->obj_left)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "tree writer: data outside an object or past its size");
    const struct data_file *f = &w->m->files[w->cur];
    /* A small file's one object is hashed as its file digest. */
    EVP_MD_CTX *c = f->nchunks ? w->obj_sha : w->file_sha;
    if (!EVP_DigestUpdate(c, buf, n))
        return ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    if (put_bytes(w, buf, n, err)) /* hashes the file digest of a chunked file */
        return -1;
    w->obj_left -= (int64_t)n;
    progress(w, (int64_t)n);
    return 0;
}

int data_tree_writer_end(struct data_tree_writer *w, struct ferr *err)
{
    const struct position *q = &w->pos[w->p];
    if (!w->in_object || w->obj_left)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "object '%s' ended %lld bytes short",
                        q->digest, (long long)w->obj_left);
    const struct data_file *f = &w->m->files[q->file];
    int ok = sha_matches(f->nchunks ? w->obj_sha : w->file_sha, q->digest, err);
    if (ok < 0)
        return -1;
    if (!ok)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "object '%s' of file '%.500s' does not match its digest (corrupt data)",
                        q->digest, f->path);
    w->in_object = 0;
    w->p++;
    return copy_repeats(w, err);
}

static int make_links(struct data_tree_writer *w, struct ferr *err)
{
    for (size_t i = 0; i < w->m->nlinks; i++) {
        const struct data_link *l = &w->m->links[i];
        if (data_link_check(w->m, l->path, l->target, err))
            return -1;
        if (strchr(l->path, '/') && make_dirs(w, l->path, 0, err))
            return -1;
        if (symlinkat(l->target, w->tmpfd, l->path) < 0)
            return sys_fail(err, "cannot create link", l->path);
    }
    return 0;
}

static int sync_tree(struct data_tree_writer *w, struct ferr *err)
{
#ifdef __linux__
    if (syncfs(w->tmpfd) < 0)
        return sys_fail(err, "cannot sync", w->tmp);
#else
    sync();
#endif
    return 0;
}

/* Renames tmp to dst, replacing an old dst only when allowed (checked at
 * open); the parent directory is synced afterwards. */
static int install(struct data_tree_writer *w, struct ferr *err)
{
    struct stat st;
    char *old = NULL;
    if (lstat(w->dst, &st) == 0) {
        int empty_dir = 0;
        if (S_ISDIR(st.st_mode) && rmdir(w->dst) == 0)
            empty_dir = 1; /* an empty directory: simply replaced */
        if (!empty_dir) {
            if (!w->opts.overwrite)
                return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                                "destination '%.500s' appeared meanwhile", w->dst);
            struct sbuf o = SBUF_INIT;
            sbuf_addf(&o, "%s.ferry-old", w->tmp);
            old = sbuf_detach(&o, NULL);
            if (rename(w->dst, old) < 0) {
                int rc = sys_fail(err, "cannot move aside", w->dst);
                free(old);
                return rc;
            }
        }
    }
    int rc = 0;
    if (rename(w->tmp, w->dst) < 0) {
        rc = sys_fail(err, "cannot rename into", w->dst);
        if (old && rename(old, w->dst) < 0) {
            /* leave old where it is: it names itself */
        }
    }
    if (!rc) {
        free(w->tmp);
        w->tmp = NULL;
        if (old)
            (void)fs_remove_tree(old);
        char *parent = xstrdup(w->dst);
        char *slash = strrchr(parent, '/');
        if (slash)
            slash[slash == parent ? 1 : 0] = '\0';
        int pfd = open(slash ? parent : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd >= 0) {
            if (fsync(pfd) < 0)
                rc = sys_fail(err, "cannot sync the directory of", w->dst);
            close(pfd);
        }
        free(parent);
    }
    free(old);
    return rc;
}

int data_tree_writer_commit(struct data_tree_writer *w, struct ferr *err)
{
    int rc = 0;
    if (w->in_object)
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "object '%s' was cut short",
                      w->pos[w->p].digest);
    if (!rc)
        rc = copy_repeats(w, err);
    if (!rc && w->p < w->npos)
        rc = ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                      "object '%s' of file '%.500s' never came (%zu of %zu objects missing)",
                      w->pos[w->p].digest, w->m->files[w->pos[w->p].file].path, w->npos - w->p,
                      w->npos);
    if (!rc)
        rc = file_end(w, err);
    if (!rc)
        rc = make_links(w, err);
    if (!rc)
        rc = sync_tree(w, err);
    if (!rc)
        rc = install(w, err);
    data_tree_writer_abort(w);
    return rc;
}

void data_tree_writer_abort(struct data_tree_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmpfd >= 0)
        close(w->tmpfd);
    if (w->tmp)
        (void)fs_remove_tree(w->tmp);
    EVP_MD_CTX_free(w->file_sha);
    EVP_MD_CTX_free(w->obj_sha);
    free(w->pos);
    free(w->order);
    free(w->dst);
    free(w->tmp);
    free(w->buf);
    sbuf_release(&w->last_dir);
    free(w);
}

/* ---------- the pack handler and the pull source ---------- */

static int h_begin(void *ctx, const char hex[65], int64_t size, int64_t offset, struct ferr *err)
{
    (void)offset;
    return data_tree_writer_begin(ctx, hex, size, err);
}

static int h_data(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    return data_tree_writer_data(ctx, buf, n, err);
}

static int h_end(void *ctx, const char hex[65], int64_t size, struct ferr *err)
{
    (void)hex;
    (void)size;
    return data_tree_writer_end(ctx, err);
}

static const struct data_pack_handler tree_handler = {h_begin, h_data, h_end};

const struct data_pack_handler *data_tree_writer_pack_handler(void)
{
    return &tree_handler;
}

static int pull_one(struct data_tree_writer *w, const struct data_object_ref *o,
                    data_object_source_fn *source, void *ctx, char *buf, struct ferr *err)
{
    struct artifact_reader *rd = NULL;
    if (source(ctx, o->digest, o->size, &rd, err))
        return -1;
    int rc = data_tree_writer_begin(w, o->digest, o->size, err);
    while (!rc) {
        ssize_t n = artifact_reader_read(rd, buf, CBUF, err);
        if (n < 0)
            rc = -1;
        else if (n == 0)
            break;
        else if ((uint64_t)n > (uint64_t)w->obj_left)
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "object '%s' is longer than its %lld bytes", o->digest,
                          (long long)o->size);
        else
            rc = data_tree_writer_data(w, buf, (size_t)n, err);
    }
    artifact_reader_close(rd);
    return rc ? -1 : data_tree_writer_end(w, err);
}

int data_tree_write(const struct data_manifest *m, const char *dst,
                    const struct data_tree_write_opts *opts, data_object_source_fn *source,
                    void *ctx, struct ferr *err)
{
    struct data_tree_writer *w;
    if (data_tree_writer_open(m, dst, opts, &w, err))
        return -1;
    char *buf = xmalloc(CBUF);
    int rc = 0;
    for (size_t i = 0; i < w->norder && !rc; i++)
        rc = pull_one(w, &w->order[i], source, ctx, buf, err);
    free(buf);
    if (rc) {
        data_tree_writer_abort(w);
        return -1;
    }
    return data_tree_writer_commit(w, err);
}
