/* SPDX-License-Identifier: MIT
 * Pack streams of dataset objects (see data_pack.h): a buffered writer, a
 * push parser that verifies while it streams, pack files and loose objects
 * on a repository, and a reader of one object at its location. */
#include "artifacts/data_pack.h"
#include "artifacts/backend.h"
#include "artifacts/fd_reader.h"
#include "base/ids.h"
#include "base/xalloc.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

/* The writer's buffer: small objects are gathered into writes of this size
 * (a pack file costs one write per MiB, not one per object). */
#define WBUF (1024 * 1024)

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static EVP_MD_CTX *sha_new(void)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL))
        abort(); /* OpenSSL without SHA-256 or memory: nothing sensible to do */
    return c;
}

static void sha_final(EVP_MD_CTX *c, unsigned char md[32])
{
    unsigned n = 0;
    if (!EVP_DigestFinal_ex(c, md, &n) || n != 32)
        abort();
}

/* ---------- writer ---------- */

struct data_pack_writer {
    data_sink_fn *sink;
    void *ctx;
    EVP_MD_CTX *sha; /* of every byte written */
    unsigned char *buf;
    size_t len;
    int64_t offset; /* bytes written (to buf or the sink) */
    int64_t count;
    int64_t left; /* data bytes the current object still owes */
    int started, failed;
};

struct data_pack_writer *data_pack_writer_new(data_sink_fn *sink, void *ctx)
{
    struct data_pack_writer *w = xcalloc(1, sizeof(*w));
    w->sink = sink;
    w->ctx = ctx;
    w->sha = sha_new();
    w->buf = xmalloc(WBUF);
    return w;
}

void data_pack_writer_free(struct data_pack_writer *w)
{
    if (!w)
        return;
    EVP_MD_CTX_free(w->sha);
    free(w->buf);
    free(w);
}

int64_t data_pack_writer_offset(const struct data_pack_writer *w)
{
    return w->offset;
}

static int flush(struct data_pack_writer *w, struct ferr *err)
{
    if (!w->len)
        return 0;
    if (w->sink(w->ctx, w->buf, w->len, err)) {
        w->failed = 1;
        return -1;
    }
    w->len = 0;
    return 0;
}

/* Every byte goes through here: hashed, then buffered or passed on. */
static int emit(struct data_pack_writer *w, const void *p, size_t n, struct ferr *err)
{
    if (w->failed)
        return ferr_set(err, FERR_INVALID_STATE, "pack writer already failed");
    if (!EVP_DigestUpdate(w->sha, p, n))
        abort();
    w->offset += (int64_t)n;
    if (w->len + n <= WBUF) {
        memcpy(w->buf + w->len, p, n);
        w->len += n;
        return 0;
    }
    if (flush(w, err))
        return -1;
    if (n >= WBUF / 2) {
        if (w->sink(w->ctx, p, n, err)) {
            w->failed = 1;
            return -1;
        }
        return 0;
    }
    memcpy(w->buf, p, n);
    w->len = n;
    return 0;
}

static int start(struct data_pack_writer *w, struct ferr *err)
{
    if (w->started)
        return 0;
    w->started = 1;
    return emit(w, DATA_PACK_MAGIC, DATA_PACK_MAGIC_LEN, err);
}

int data_pack_writer_object(struct data_pack_writer *w, const char hex[65], int64_t size,
                            int64_t *offset, struct ferr *err)
{
    if (w->left)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "pack writer: previous object is %lld bytes short", (long long)w->left);
    if (!data_digest_valid(hex))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "pack writer: bad digest");
    if (size < 0 || size > DATA_OBJECT_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "pack writer: object '%s' of %lld bytes is larger than a pack allows", hex,
                        (long long)size);
    unsigned char hdr[DATA_PACK_OBJ_HDR_LEN];
    hdr[0] = 'O';
    data_digest_to_raw(hex, hdr + 1);
    put_be64(hdr + 33, (uint64_t)size);
    if (start(w, err) || emit(w, hdr, sizeof(hdr), err))
        return -1;
    if (offset)
        *offset = w->offset;
    w->left = size;
    w->count++;
    return 0;
}

int data_pack_writer_data(struct data_pack_writer *w, const void *buf, size_t n, struct ferr *err)
{
    if ((uint64_t)n > (uint64_t)w->left)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "pack writer: more data than the object's size");
    w->left -= (int64_t)n;
    return n ? emit(w, buf, n, err) : 0;
}

int data_pack_writer_put(struct data_pack_writer *w, const char hex[65], const void *buf, size_t n,
                         int64_t *offset, struct ferr *err)
{
    if (data_pack_writer_object(w, hex, (int64_t)n, offset, err))
        return -1;
    return data_pack_writer_data(w, buf, n, err);
}

int data_pack_writer_finish(struct data_pack_writer *w, int64_t *count, int64_t *bytes,
                            struct ferr *err)
{
    if (w->left)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "pack writer: last object is %lld bytes short", (long long)w->left);
    unsigned char end[DATA_PACK_END_LEN];
    end[0] = 'E';
    put_be64(end + 1, (uint64_t)w->count);
    if (start(w, err) || emit(w, end, 9, err))
        return -1;
    sha_final(w->sha, end + 9);
    /* The digest itself is not part of what it covers. */
    if (w->len + 32 > WBUF && flush(w, err))
        return -1;
    memcpy(w->buf + w->len, end + 9, 32);
    w->len += 32;
    w->offset += 32;
    if (flush(w, err))
        return -1;
    if (count)
        *count = w->count;
    if (bytes)
        *bytes = w->offset;
    return 0;
}

/* ---------- reader ---------- */

enum rstate { R_MAGIC, R_HDR, R_DATA, R_END, R_DONE, R_FAILED };

struct data_pack_reader {
    const struct data_pack_handler *h;
    void *ctx;
    enum rstate state;
    EVP_MD_CTX *sha, *obj; /* whole stream; current object */
    unsigned char hdr[DATA_PACK_END_LEN];
    size_t hlen;
    char hex[65];
    int64_t size, left, offset, count;
    struct ferr failure; /* repeated by every call after a failure */
};

struct data_pack_reader *data_pack_reader_new(const struct data_pack_handler *h, void *ctx)
{
    static const struct data_pack_handler none = {NULL, NULL, NULL};
    struct data_pack_reader *r = xcalloc(1, sizeof(*r));
    r->h = h ? h : &none;
    r->ctx = ctx;
    r->sha = sha_new();
    r->obj = sha_new();
    return r;
}

void data_pack_reader_free(struct data_pack_reader *r)
{
    if (!r)
        return;
    EVP_MD_CTX_free(r->sha);
    EVP_MD_CTX_free(r->obj);
    free(r);
}

int64_t data_pack_reader_offset(const struct data_pack_reader *r)
{
    return r->offset;
}

int data_pack_reader_done(const struct data_pack_reader *r)
{
    return r->state == R_DONE;
}

static int rfail(struct data_pack_reader *r, struct ferr *err)
{
    r->state = R_FAILED;
    if (r->failure.code == FERR_OK)
        ferr_set(&r->failure, FERR_INTERNAL_ERROR, "pack handler failed");
    if (err)
        *err = r->failure;
    return -1;
}

#define BAD(r, ...) ferr_set(&(r)->failure, FERR_INVALID_PARAMETER_VALUE, __VA_ARGS__)

/* Handles a complete header (object or end record) in r->hdr. */
static int on_header(struct data_pack_reader *r)
{
    if (r->hdr[0] == 'O') {
        uint64_t size = get_be64(r->hdr + 33);
        data_digest_from_raw(r->hdr + 1, r->hex);
        if (size > (uint64_t)DATA_OBJECT_MAX)
            return BAD(r, "pack: object '%s' claims %llu bytes, more than 1 GiB", r->hex,
                       (unsigned long long)size);
        r->size = r->left = (int64_t)size;
        if (!EVP_DigestInit_ex(r->obj, EVP_sha256(), NULL))
            abort();
        if (r->h->begin && r->h->begin(r->ctx, r->hex, r->size, r->offset, &r->failure))
            return -1;
        r->state = R_DATA;
        return 0;
    }
    return BAD(r, "pack: bad record type 0x%02x at offset %lld", r->hdr[0],
               (long long)(r->offset - DATA_PACK_OBJ_HDR_LEN));
}

static int object_done(struct data_pack_reader *r)
{
    unsigned char md[32], want[32];
    sha_final(r->obj, md);
    data_digest_to_raw(r->hex, want);
    if (memcmp(md, want, 32))
        return BAD(r, "pack: object '%s' does not match its digest (corrupt data)", r->hex);
    r->count++;
    if (r->h->end && r->h->end(r->ctx, r->hex, r->size, &r->failure))
        return -1;
    r->state = R_HDR;
    r->hlen = 0;
    return 0;
}

static int on_end(struct data_pack_reader *r)
{
    unsigned char md[32];
    uint64_t count = get_be64(r->hdr + 1);
    if (count != (uint64_t)r->count)
        return BAD(r, "pack: end record counts %llu objects, the pack holds %lld",
                   (unsigned long long)count, (long long)r->count);
    sha_final(r->sha, md);
    if (memcmp(md, r->hdr + 9, 32))
        return BAD(r, "pack: trailer checksum does not match (corrupt pack)");
    r->state = R_DONE;
    return 0;
}

/* Gathers header bytes into r->hdr up to want; returns bytes used. */
static size_t gather(struct data_pack_reader *r, const unsigned char *p, size_t n, size_t want)
{
    size_t k = want - r->hlen < n ? want - r->hlen : n;
    memcpy(r->hdr + r->hlen, p, k);
    r->hlen += k;
    return k;
}

static int step(struct data_pack_reader *r, const unsigned char *p, size_t n, size_t *used)
{
    size_t k;
    switch (r->state) {
    case R_MAGIC:
        k = gather(r, p, n, DATA_PACK_MAGIC_LEN);
        if (r->hlen == DATA_PACK_MAGIC_LEN) {
            if (memcmp(r->hdr, DATA_PACK_MAGIC, DATA_PACK_MAGIC_LEN))
                return BAD(r, "pack: bad magic (not a ferry pack)");
            r->state = R_HDR;
            r->hlen = 0;
        }
        break;
    case R_HDR:
        if (r->hlen == 0 && p[0] == 'E') {
            r->state = R_END;
            k = gather(r, p, n, 9);
            break;
        }
        k = gather(r, p, n, DATA_PACK_OBJ_HDR_LEN);
        if (r->hlen == DATA_PACK_OBJ_HDR_LEN) {
            *used = k;
            if (!EVP_DigestUpdate(r->sha, p, k))
                abort();
            r->offset += (int64_t)k;
            if (on_header(r))
                return -1;
            return r->left == 0 ? object_done(r) : 0;
        }
        break;
    case R_DATA:
        k = (uint64_t)n < (uint64_t)r->left ? n : (size_t)r->left;
        if (!EVP_DigestUpdate(r->obj, p, k))
            abort();
        if (r->h->data && r->h->data(r->ctx, p, k, &r->failure))
            return -1;
        r->left -= (int64_t)k;
        *used = k;
        if (!EVP_DigestUpdate(r->sha, p, k))
            abort();
        r->offset += (int64_t)k;
        return r->left == 0 ? object_done(r) : 0;
    case R_END:
        if (r->hlen < 9) {
            k = gather(r, p, n, 9);
            break;
        }
        /* The trailer digest covers everything before it, so the bytes
         * hashed end here. */
        k = gather(r, p, n, DATA_PACK_END_LEN);
        *used = k;
        r->offset += (int64_t)k;
        return r->hlen == DATA_PACK_END_LEN ? on_end(r) : 0;
    case R_DONE:
        return BAD(r, "pack: bytes after the end record");
    default:
        return -1;
    }
    *used = k;
    if (!EVP_DigestUpdate(r->sha, p, k))
        abort();
    r->offset += (int64_t)k;
    return 0;
}

int data_pack_reader_feed(struct data_pack_reader *r, const void *buf, size_t n, struct ferr *err)
{
    const unsigned char *p = buf;
    if (r->state == R_FAILED)
        return rfail(r, err);
    while (n) {
        size_t used = 0;
        if (step(r, p, n, &used))
            return rfail(r, err);
        p += used;
        n -= used;
    }
    return 0;
}

int data_pack_reader_finish(struct data_pack_reader *r, int64_t *count, struct ferr *err)
{
    if (r->state == R_FAILED)
        return rfail(r, err);
    if (r->state != R_DONE) {
        if (r->state == R_DATA)
            (void)BAD(r, "pack truncated: object '%s' lacks %lld of its %lld bytes", r->hex,
                      (long long)r->left, (long long)r->size);
        else
            (void)BAD(r, "pack truncated after %lld bytes: no end record", (long long)r->offset);
        return rfail(r, err);
    }
    if (count)
        *count = r->count;
    return 0;
}

#define RBUF (1024 * 1024)

int data_pack_read_stream(artifact_read_fn *read_fn, void *rctx, const struct data_pack_handler *h,
                          void *hctx, int64_t *count, struct ferr *err)
{
    struct data_pack_reader *r = data_pack_reader_new(h, hctx);
    char *buf = xmalloc(RBUF);
    int rc = 0;
    for (;;) {
        struct ferr rerr = FERR_INIT;
        ssize_t n = read_fn(rctx, buf, RBUF, &rerr);
        if (n < 0 || n > RBUF) {
            if (rerr.code == FERR_OK)
                ferr_set(&rerr, FERR_IO_ERROR, "reading a pack failed");
            if (err)
                *err = rerr;
            rc = -1;
            break;
        }
        if (n == 0) {
            rc = data_pack_reader_finish(r, count, err);
            break;
        }
        if (data_pack_reader_feed(r, buf, (size_t)n, err)) {
            rc = -1;
            break;
        }
    }
    free(buf);
    data_pack_reader_free(r);
    return rc;
}

/* ---------- pack files ---------- */

struct data_pack_file {
    struct artifact_writer *aw;
    struct data_pack_writer *pw;
    char id[DATA_PACK_ID_LEN + 1];
};

static int to_artifact(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    return artifact_writer_write(ctx, buf, n, err);
}

int data_pack_file_open(struct artifact_repo *r, struct data_pack_file **out, struct ferr *err)
{
    struct data_pack_file *f = xcalloc(1, sizeof(*f));
    char path[DATA_PACK_PATH_MAX];
    ids_new_run_id(f->id);
    data_pack_path(f->id, path);
    if (artifact_writer_open(r, path, &f->aw, err)) {
        free(f);
        *out = NULL;
        return -1;
    }
    f->pw = data_pack_writer_new(to_artifact, f->aw);
    *out = f;
    return 0;
}

const char *data_pack_file_id(const struct data_pack_file *f)
{
    return f->id;
}

struct data_pack_writer *data_pack_file_writer(struct data_pack_file *f)
{
    return f->pw;
}

int data_pack_file_commit(struct data_pack_file *f, int64_t *count, int64_t *bytes,
                          struct ferr *err)
{
    int rc = data_pack_writer_finish(f->pw, count, bytes, err);
    if (rc)
        artifact_writer_abort(f->aw);
    else
        rc = artifact_writer_commit(f->aw, NULL, err);
    data_pack_writer_free(f->pw);
    free(f);
    return rc;
}

void data_pack_file_abort(struct data_pack_file *f)
{
    if (!f)
        return;
    artifact_writer_abort(f->aw);
    data_pack_writer_free(f->pw);
    free(f);
}

/* ---------- loose objects ---------- */

int data_loose_open(struct artifact_repo *r, const char hex[65], struct artifact_writer **out,
                    struct ferr *err)
{
    char path[DATA_OBJECT_PATH_MAX];
    if (!data_digest_valid(hex))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "bad object digest");
    data_object_path(hex, path);
    return artifact_writer_open(r, path, out, err);
}

int data_loose_commit(struct artifact_repo *r, struct artifact_writer *w, const char hex[65],
                      struct ferr *err)
{
    char got[65], path[DATA_OBJECT_PATH_MAX];
    if (artifact_writer_commit(w, got, err))
        return -1;
    if (!strcmp(got, hex))
        return 0;
    struct ferr ignored = FERR_INIT;
    data_object_path(hex, path);
    if (artifact_delete(r, path, &ignored)) {
        /* best effort: the caller hears of the mismatch either way */
    }
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "object '%s': its bytes hash to '%s' (corrupt data)", hex, got);
}

/* ---------- reading one object ---------- */

/* A window [offset, offset + size) of another reader: a pack file read
 * from a local descriptor with pread, or any reader skipped forward. */
struct window_reader {
    struct artifact_reader base;
    struct artifact_reader *inner; /* NULL when fd is used */
    int fd;
    int64_t pos, end, skip;
    char hex[65];
};

static ssize_t win_read(struct artifact_reader *base, void *buf, size_t cap, struct ferr *err)
{
    struct window_reader *w = (struct window_reader *)base;
    if (w->pos >= w->end)
        return 0;
    if ((uint64_t)cap > (uint64_t)(w->end - w->pos))
        cap = (size_t)(w->end - w->pos);
    ssize_t n;
    if (w->fd >= 0) {
        do
            n = pread(w->fd, buf, cap, w->pos);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return ferr_set(err, FERR_IO_ERROR, "reading object '%s': %s", w->hex, strerror(errno));
    } else {
        while (w->skip > 0) {
            size_t k = (uint64_t)w->skip < (uint64_t)cap ? (size_t)w->skip : cap;
            n = artifact_reader_read(w->inner, buf, k, err);
            if (n < 0)
                return -1;
            if (n == 0)
                break;
            w->skip -= n;
        }
        n = w->skip > 0 ? 0 : artifact_reader_read(w->inner, buf, cap, err);
        if (n < 0)
            return -1;
    }
    if (n == 0)
        return ferr_set(err, FERR_IO_ERROR, "object '%s': its pack is truncated", w->hex);
    w->pos += n;
    return n;
}

static void win_close(struct artifact_reader *base)
{
    struct window_reader *w = (struct window_reader *)base;
    if (w->fd >= 0)
        close(w->fd);
    artifact_reader_close(w->inner);
    free(w);
}

static const struct artifact_reader_ops window_ops = {win_read, NULL, win_close};

int data_object_open(struct artifact_repo *r, const char hex[65], const struct data_location *loc,
                     struct artifact_reader **out, struct ferr *err)
{
    char
        path[DATA_OBJECT_PATH_MAX > DATA_PACK_PATH_MAX ? DATA_OBJECT_PATH_MAX : DATA_PACK_PATH_MAX];
    struct artifact_reader *rd;
    *out = NULL;
    int packed = loc->pack[0] != '\0';
    if (!data_digest_valid(hex) || (packed && !data_pack_id_valid(loc->pack)) || loc->size < 0 ||
        loc->offset < 0 || loc->size > DATA_FILE_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "bad location of object '%.64s'", hex);
    if (packed)
        data_pack_path(loc->pack, path);
    else
        data_object_path(hex, path);
    if (artifact_open_read(r, path, &rd, err)) {
        if (err && err->code == FERR_RESOURCE_DOES_NOT_EXIST)
            ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "object '%s' is missing: no file '%s'", hex,
                     path);
        return -1;
    }
    if (!packed && artifact_reader_size(rd) == loc->size) {
        *out = rd;
        return 0;
    }
    struct window_reader *w = xcalloc(1, sizeof(*w));
    w->base.ops = &window_ops;
    w->base.size = loc->size;
    w->pos = packed ? loc->offset : 0;
    w->end = w->pos + loc->size;
    memcpy(w->hex, hex, 65);
    w->fd = artifact_reader_take_fd(rd);
    if (w->fd >= 0) {
        artifact_reader_close(rd);
    } else {
        w->inner = rd;
        w->skip = w->pos;
    }
    *out = &w->base;
    return 0;
}
