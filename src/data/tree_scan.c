/* SPDX-License-Identifier: MIT
 * Local files into a manifest (see tree_scan.h). Two passes: a walk with
 * lstat that collects what is there and refuses what a version cannot
 * hold, then hashing. Hashing is cut into work items, each one read with
 * pread and hashed alone: a small file (its digest is its object's), the
 * whole of a large file (its file digest) and every 8 MiB chunk of it (the
 * chunk digests). Two threads take items in turn, so a large file's file
 * digest and its chunk digests are computed side by side, both reading the
 * same pages from the cache. */
#include "data/tree_scan.h"
#include "base/sbuf.h"
#include "base/utf8.h"
#include "base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

#define HBUF (1024 * 1024)
/* Below this many bytes (and files) one thread does it all. */
#define THREADS_MIN_BYTES ((int64_t)4 << 20)
#define THREADS_MIN_FILES 256

struct found_file {
    char *rel, *local;
    int64_t size;
    int exec;
};

struct walk {
    struct found_file *files;
    size_t nfiles, files_alloc;
    struct data_manifest *m; /* dirs and links go straight in */
    const char *root;        /* for messages */
    int64_t bytes;
    const struct data_scan_filter *filter; /* may be NULL */
};

static int walk_fail(struct ferr *err, const char *local, const char *what)
{
    int e = errno;
    if (e == ENOENT)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "'%.500s' does not exist", local);
    return ferr_set(err, FERR_IO_ERROR, "%s '%.500s': %s", what, local, strerror(e));
}

static void add_found(struct walk *w, const char *rel, const char *local, const struct stat *st)
{
    ALLOC_GROW(w->files, w->nfiles + 1, w->files_alloc);
    struct found_file *f = &w->files[w->nfiles++];
    f->rel = xstrdup(rel);
    f->local = xstrdup(local);
    f->size = (int64_t)st->st_size;
    f->exec = (st->st_mode & S_IXUSR) ? 1 : 0;
    w->bytes += f->size;
}

static int add_link(struct walk *w, const char *rel, const char *local, const struct stat *st,
                    struct ferr *err)
{
    size_t cap = (size_t)(st->st_size > 0 && st->st_size < DATA_PATH_MAX ? st->st_size : 0) + 2;
    if (cap < 256)
        cap = 256;
    char *target = NULL;
    ssize_t n;
    for (;;) {
        target = xrealloc(target, cap);
        n = readlink(local, target, cap);
        if (n < 0) {
            free(target);
            return walk_fail(err, local, "cannot read link");
        }
        if ((size_t)n < cap || cap > DATA_PATH_MAX + 1)
            break;
        cap *= 2;
    }
    if ((size_t)n >= cap) {
        free(target);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "link '%.500s': target longer than %d bytes", local, DATA_PATH_MAX);
    }
    target[n] = '\0';
    struct ferr lerr = FERR_INIT;
    int rc = 0;
    if (!utf8_valid(target))
        rc =
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "link '%.500s': its target is not valid UTF-8 (dataset paths must be)", local);
    else if (target[0] == '/')
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "link '%.500s' points to the absolute path '%.300s': only links inside the "
                      "tree can be added",
                      local, target);
    else if (data_link_check(NULL, rel, target, &lerr))
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "link '%.500s' points outside the tree ('%.300s'), refused", local, target);
    if (!rc)
        data_manifest_add_link(w->m, rel, target);
    free(target);
    return rc;
}

static int check_name(const char *name, const char *local, struct ferr *err)
{
    if (utf8_valid(name))
        return 0;
    /* The message itself must stay UTF-8 (it may travel as JSON): the bad
     * bytes show as '?'. */
    char *shown = xstrdup(local);
    utf8_scrub(shown);
    int rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "'%.500s': the name is not valid UTF-8 (dataset paths must be; shown with "
                      "'?' for the bad bytes)",
                      shown);
    free(shown);
    return rc;
}

static int walk_dir(struct walk *w, struct sbuf *rel, struct sbuf *local, struct ferr *err);

static int excluded(const struct walk *w, const char *rel, const char *local, const struct stat *st)
{
    return w->filter && w->filter->exclude && w->filter->exclude(w->filter->arg, rel, local, st);
}

/* One entry (rel and local name it); st from lstat. */
static int walk_entry(struct walk *w, struct sbuf *rel, struct sbuf *local, const struct stat *st,
                      struct ferr *err)
{
    if (rel->len > DATA_PATH_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'%.500s': path inside the tree longer than %d bytes", local->buf,
                        DATA_PATH_MAX);
    if (S_ISREG(st->st_mode)) {
        add_found(w, rel->buf, local->buf, st);
        return 0;
    }
    if (S_ISLNK(st->st_mode))
        return add_link(w, rel->buf, local->buf, st, err);
    if (S_ISDIR(st->st_mode))
        return walk_dir(w, rel, local, err);
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "'%.500s' is a %s: only files, directories and links can be added", local->buf,
                    S_ISSOCK(st->st_mode)   ? "socket"
                    : S_ISFIFO(st->st_mode) ? "FIFO"
                                            : "device");
}

static int walk_dir(struct walk *w, struct sbuf *rel, struct sbuf *local, struct ferr *err)
{
    DIR *d = opendir(local->buf);
    if (!d)
        return walk_fail(err, local->buf, "cannot read directory");
    size_t rlen = rel->len, llen = local->len;
    int rc = 0, any = 0;
    struct dirent *e;
    errno = 0;
    while (!rc && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        sbuf_setlen(rel, rlen);
        sbuf_setlen(local, llen);
        if (rlen)
            sbuf_addch(rel, '/');
        sbuf_addstr(rel, e->d_name);
        sbuf_addch(local, '/');
        sbuf_addstr(local, e->d_name);
        struct stat st;
        /* With a filter, it sees an entry before its name is judged (so it
         * can leave out what a dataset could not name); else as always. */
        int pre = w->filter != NULL;
        if (!pre && check_name(e->d_name, local->buf, err))
            rc = -1;
        else if (lstat(local->buf, &st) < 0)
            rc = walk_fail(err, local->buf, "cannot stat");
        else if (excluded(w, rel->buf, local->buf, &st))
            ; /* left out: neither walked nor counted */
        else if (pre && check_name(e->d_name, local->buf, err))
            rc = -1;
        else {
            any = 1;
            rc = walk_entry(w, rel, local, &st, err);
        }
        errno = 0;
    }
    if (!rc && errno)
        rc = walk_fail(err, local->buf, "cannot read directory");
    closedir(d);
    sbuf_setlen(rel, rlen);
    sbuf_setlen(local, llen);
    if (!rc && !any && rlen)
        data_manifest_add_dir(w->m, rel->buf);
    return rc;
}

/* ---------- hashing ---------- */

struct item {
    size_t file;
    int64_t offset, size;
    char *out; /* 65 bytes: where the hex digest goes */
};

struct hasher {
    struct found_file *files;
    struct item *items;
    size_t nitems;
    atomic_size_t next;
    atomic_int_fast64_t done;
    atomic_int failed;
    pthread_mutex_t lock;
    struct ferr err; /* the first failure */
    const struct data_scan_opts *opts;
    pthread_t scanner; /* the scanning thread: the only one that reports progress */
    int64_t total;
};

static void hasher_fail(struct hasher *h, const struct ferr *e)
{
    pthread_mutex_lock(&h->lock);
    if (!atomic_load(&h->failed))
        h->err = *e;
    atomic_store(&h->failed, 1);
    pthread_mutex_unlock(&h->lock);
}

static void hex_of(const unsigned char md[32], char *out)
{
    static const char d[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = d[md[i] >> 4];
        out[2 * i + 1] = d[md[i] & 15];
    }
    out[64] = '\0';
}

/* Hashes [off, off + size) of fd with pread. */
static int hash_range(int fd, const char *name, int64_t off, int64_t size, EVP_MD_CTX *c, char *buf,
                      atomic_int_fast64_t *done, char *out, struct ferr *err)
{
    unsigned char md[32];
    unsigned mdlen;
    if (!EVP_DigestInit_ex(c, EVP_sha256(), NULL))
        return ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    while (size > 0) {
        size_t want = size < HBUF ? (size_t)size : HBUF;
        ssize_t n = pread(fd, buf, want, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ferr_set(err, FERR_IO_ERROR, "reading '%.500s': %s", name, strerror(errno));
        if (n == 0)
            return ferr_set(err, FERR_IO_ERROR, "'%.500s' changed while read (it got shorter)",
                            name);
        if (!EVP_DigestUpdate(c, buf, (size_t)n))
            return ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
        off += n;
        size -= n;
        if (done)
            atomic_fetch_add(done, n);
    }
    if (!EVP_DigestFinal_ex(c, md, &mdlen) || mdlen != 32)
        return ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    hex_of(md, out);
    return 0;
}

static int open_checked(const struct found_file *f, int *fd, struct ferr *err)
{
    struct stat st;
    *fd = open(f->local, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd < 0)
        return walk_fail(err, f->local, "cannot open");
    if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode) || (int64_t)st.st_size != f->size) {
        close(*fd);
        *fd = -1;
        return ferr_set(err, FERR_IO_ERROR, "'%.500s' changed while read", f->local);
    }
    return 0;
}

static void *hash_worker(void *arg)
{
    struct hasher *h = arg;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    char *buf = xmalloc(HBUF);
    struct ferr err = FERR_INIT;
    int fd = -1;
    size_t fd_file = (size_t)-1;
    if (!c) {
        ferr_set(&err, FERR_INTERNAL_ERROR, "SHA-256 failed");
        hasher_fail(h, &err);
    }
    while (c && !atomic_load(&h->failed)) {
        size_t i = atomic_fetch_add(&h->next, 1);
        if (i >= h->nitems)
            break;
        struct item *it = &h->items[i];
        const struct found_file *f = &h->files[it->file];
        /* Items of one file come together: keep its descriptor open. */
        if (fd_file != it->file) {
            if (fd >= 0)
                close(fd);
            fd_file = it->file;
            if (open_checked(f, &fd, &err)) {
                hasher_fail(h, &err);
                break;
            }
        }
        /* A large file's whole-file item does not count as progress
         * (its chunks do), so done reaches the total once. */
        int whole = it->size == f->size && f->size > DATA_CHUNK_SIZE;
        if (hash_range(fd, f->local, it->offset, it->size, c, buf, whole ? NULL : &h->done, it->out,
                       &err)) {
            hasher_fail(h, &err);
            break;
        }
        if (h->opts && h->opts->progress && pthread_equal(pthread_self(), h->scanner))
            h->opts->progress(h->opts->progress_arg, atomic_load(&h->done), h->total);
    }
    if (fd >= 0)
        close(fd);
    EVP_MD_CTX_free(c);
    free(buf);
    return NULL;
}

int data_hash_fd(int fd, const char *name, struct data_file *f, struct ferr *err)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    char *buf = xmalloc(HBUF);
    int rc = c ? 0 : ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    struct stat st;
    if (!rc && (fstat(fd, &st) < 0 || (int64_t)st.st_size != f->size))
        rc = ferr_set(err, FERR_IO_ERROR, "'%.500s' changed while read", name);
    if (!rc)
        rc = hash_range(fd, name, 0, f->size, c, buf, NULL, f->sha256, err);
    f->nchunks = 0;
    if (!rc && f->size > DATA_CHUNK_SIZE) {
        for (int64_t off = 0; !rc && off < f->size; off += DATA_CHUNK_SIZE) {
            char hex[65];
            int64_t n = f->size - off < DATA_CHUNK_SIZE ? f->size - off : DATA_CHUNK_SIZE;
            rc = hash_range(fd, name, off, n, c, buf, NULL, hex, err);
            if (!rc)
                data_file_add_chunk(f, hex);
        }
    }
    EVP_MD_CTX_free(c);
    free(buf);
    return rc;
}

static int by_rel(const void *a, const void *b)
{
    return strcmp(((const struct found_file *)a)->rel, ((const struct found_file *)b)->rel);
}

/* Digests of every file of w into the manifest (files added in order). */
static int hash_all(struct walk *w, const struct data_scan_opts *opts, struct data_scan *out,
                    struct ferr *err)
{
    struct data_manifest *m = &out->manifest;
    size_t nitems = 0;
    for (size_t i = 0; i < w->nfiles; i++) {
        struct data_file *f =
            data_manifest_add_file(m, w->files[i].rel, w->files[i].size, w->files[i].exec, "");
        if (f->size > DATA_CHUNK_SIZE) {
            size_t nc = (size_t)((f->size + DATA_CHUNK_SIZE - 1) / DATA_CHUNK_SIZE);
            for (size_t c = 0; c < nc; c++)
                data_file_add_chunk(f, "");
            nitems += nc;
        }
        nitems++;
    }
    struct hasher h;
    memset(&h, 0, sizeof(h));
    h.files = w->files;
    h.items = xmalloc((nitems ? nitems : 1) * sizeof(*h.items));
    for (size_t i = 0, k = 0; i < w->nfiles; i++) {
        struct data_file *f = &m->files[i];
        h.items[k++] = (struct item){i, 0, f->size, f->sha256};
        for (size_t c = 0; c < f->nchunks; c++) {
            int64_t off = (int64_t)c * DATA_CHUNK_SIZE;
            int64_t n = f->size - off < DATA_CHUNK_SIZE ? f->size - off : DATA_CHUNK_SIZE;
            h.items[k++] = (struct item){i, off, n, f->chunks[c]};
        }
    }
    h.nitems = nitems;
    atomic_init(&h.next, 0);
    atomic_init(&h.done, 0);
    atomic_init(&h.failed, 0);
    pthread_mutex_init(&h.lock, NULL);
    h.opts = opts;
    h.scanner = pthread_self();
    h.total = w->bytes;
    int threads = opts && opts->threads ? opts->threads : 0;
    if (!threads)
        threads = (w->bytes >= THREADS_MIN_BYTES || w->nfiles >= THREADS_MIN_FILES) ? 2 : 1;
    pthread_t t;
    int spawned = threads > 1 && pthread_create(&t, NULL, hash_worker, &h) == 0;
    hash_worker(&h);
    if (spawned)
        pthread_join(t, NULL);
    if (opts && opts->progress)
        opts->progress(opts->progress_arg, atomic_load(&h.done), w->bytes);
    pthread_mutex_destroy(&h.lock);
    free(h.items);
    if (atomic_load(&h.failed)) {
        if (err)
            *err = h.err;
        return -1;
    }
    return 0;
}

/* ---------- the scan ---------- */

struct obj_pos {
    const char *digest;
    size_t seq, file;
    int64_t offset, size;
};

static int pos_by_digest(const void *a, const void *b)
{
    const struct obj_pos *x = a, *y = b;
    int c = strcmp(x->digest, y->digest);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int pos_by_seq(const void *a, const void *b)
{
    const struct obj_pos *x = a, *y = b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static void list_objects(struct data_scan *s)
{
    const struct data_manifest *m = &s->manifest;
    size_t total = 0, k = 0;
    for (size_t i = 0; i < m->nfiles; i++)
        total += data_file_nobjects(&m->files[i]);
    struct obj_pos *v = xmalloc((total ? total : 1) * sizeof(*v));
    for (size_t i = 0; i < m->nfiles; i++)
        for (size_t c = 0; c < data_file_nobjects(&m->files[i]); c++) {
            int64_t size;
            const char *d = data_file_object(&m->files[i], c, &size);
            v[k] = (struct obj_pos){d, k, i, (int64_t)c * DATA_CHUNK_SIZE, size};
            k++;
        }
    if (k > 1)
        qsort(v, k, sizeof(*v), pos_by_digest);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (!u || strcmp(v[u - 1].digest, v[i].digest))
            v[u++] = v[i];
    if (u > 1)
        qsort(v, u, sizeof(*v), pos_by_seq);
    s->objects = xmalloc((u ? u : 1) * sizeof(*s->objects));
    for (size_t i = 0; i < u; i++) {
        memcpy(s->objects[i].digest, v[i].digest, 65);
        s->objects[i].size = v[i].size;
        s->objects[i].file = v[i].file;
        s->objects[i].offset = v[i].offset;
    }
    s->nobjects = u;
    free(v);
}

/* The last component of path, without trailing slashes. */
static char *base_name(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t start = n;
    while (start && path[start - 1] != '/')
        start--;
    return xstrndup(path + start, n - start);
}

static int scan_root(const char *path, struct walk *w, struct ferr *err)
{
    struct stat st;
    /* The root itself may be reached through a link (the caller's choice);
     * nothing below it is followed. */
    if (stat(path, &st) < 0)
        return walk_fail(err, path, "cannot stat");
    if (S_ISDIR(st.st_mode)) {
        struct sbuf rel = SBUF_INIT, local = SBUF_INIT;
        sbuf_addstr(&local, path);
        while (local.len > 1 && local.buf[local.len - 1] == '/')
            sbuf_setlen(&local, local.len - 1);
        int rc = walk_dir(w, &rel, &local, err);
        sbuf_release(&rel);
        sbuf_release(&local);
        return rc;
    }
    if (!S_ISREG(st.st_mode))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'%.500s' is neither a regular file nor a directory", path);
    char *name = base_name(path);
    int rc = check_name(name, path, err);
    if (!rc && data_path_check(name, "file", err))
        rc = -1;
    if (!rc)
        add_found(w, name, path, &st);
    free(name);
    return rc;
}

int data_tree_scan(const char *path, const struct data_scan_opts *opts, struct data_scan *out,
                   struct ferr *err)
{
    return data_tree_scan_filtered(path, opts, NULL, out, err);
}

int data_tree_scan_filtered(const char *path, const struct data_scan_opts *opts,
                            const struct data_scan_filter *filter, struct data_scan *out,
                            struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    struct walk w;
    memset(&w, 0, sizeof(w));
    w.m = &out->manifest;
    w.root = path;
    w.filter = filter;
    int rc = scan_root(path, &w, err);
    if (!rc && w.nfiles > 1)
        qsort(w.files, w.nfiles, sizeof(*w.files), by_rel);
    if (!rc)
        rc = hash_all(&w, opts, out, err);
    if (!rc && data_manifest_finish(&out->manifest, err)) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
        rc = ferr_set(err, err ? err->code : FERR_INVALID_PARAMETER_VALUE, "in '%.300s': %s", path,
                      msg);
    }
    /* local[] is kept beside manifest.files only when they match. */
    int keep = !rc || w.nfiles == out->manifest.nfiles;
    out->local = keep ? xcalloc(w.nfiles ? w.nfiles : 1, sizeof(*out->local)) : NULL;
    for (size_t i = 0; i < w.nfiles; i++) {
        if (keep)
            out->local[i] = w.files[i].local; /* taken */
        else
            free(w.files[i].local);
        free(w.files[i].rel);
    }
    free(w.files);
    out->bytes = w.bytes;
    if (!rc)
        list_objects(out);
    return rc;
}

void data_scan_release(struct data_scan *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->manifest.nfiles && s->local; i++)
        free(s->local[i]);
    free(s->local);
    free(s->objects);
    data_manifest_release(&s->manifest);
    memset(s, 0, sizeof(*s));
}

/* ---------- reading objects back ---------- */

int data_scan_read_object(const struct data_scan *s, size_t i, data_sink_fn *fn, void *ctx,
                          struct ferr *err)
{
    const struct data_scan_object *o = &s->objects[i];
    const char *path = s->local[o->file];
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return walk_fail(err, path, "cannot open");
    size_t cap = o->size < HBUF ? (size_t)o->size : HBUF;
    char *buf = xmalloc(cap ? cap : 1);
    int64_t off = o->offset, left = o->size;
    int rc = 0;
    while (!rc && left > 0) {
        ssize_t n = pread(fd, buf, left < (int64_t)cap ? (size_t)left : cap, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = ferr_set(err, FERR_IO_ERROR, "reading '%.500s': %s", path, strerror(errno));
        else if (n == 0)
            rc = ferr_set(err, FERR_IO_ERROR, "'%.500s' changed since it was scanned", path);
        else
            rc = fn(ctx, buf, (size_t)n, err);
        off += n > 0 ? n : 0;
        left -= n > 0 ? n : 0;
    }
    free(buf);
    close(fd);
    return rc;
}

static int to_pack(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    return data_pack_writer_data(ctx, buf, n, err);
}

int data_scan_pack(const struct data_scan *s, const size_t *idx, size_t n,
                   struct data_pack_writer *w, struct ferr *err)
{
    size_t count = idx ? n : s->nobjects;
    for (size_t k = 0; k < count; k++) {
        size_t i = idx ? idx[k] : k;
        if (i >= s->nobjects)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no object %zu in the scan", i);
        if (data_pack_writer_object(w, s->objects[i].digest, s->objects[i].size, NULL, err) ||
            data_scan_read_object(s, i, to_pack, w, err))
            return -1;
    }
    return 0;
}
