/* SPDX-License-Identifier: MIT
 * Dataset objects between pack streams, the data root and the store's
 * data_objects rows (see objects.h). */
#include "data/objects.h"
#include "data/tree_scan.h"
#include "base/xalloc.h"
#include "store/datasets.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

#define IOBUF (1024 * 1024)

enum ingest_mode { MODE_NONE, MODE_STREAM, MODE_DIRECT };

struct data_ingest {
    struct store *s;
    struct artifact_repo *r;
    enum ingest_mode mode;
    struct data_pack_reader *reader;
    struct data_pack_file *pack;   /* created with the first small object */
    struct artifact_writer *loose; /* the loose object being written */
    EVP_MD_CTX *sha;               /* direct mode: the object's digest */
    char hex[65];
    int64_t size, left, offset;
    int in_object;
    struct data_object *rows;
    size_t nrows, alloc;
    struct data_ingest_result res;
    struct artifact_lock *lock; /* shared, against gc (DATA_LOCK_PATH) */
};

int data_ingest_begin(struct store *s, struct artifact_repo *r, struct data_ingest **out,
                      struct ferr *err)
{
    struct data_ingest *in = xcalloc(1, sizeof(*in));
    in->s = s;
    in->r = r;
    in->sha = EVP_MD_CTX_new();
    *out = NULL;
    if (!in->sha) {
        free(in);
        return ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    }
    if (artifact_lock(r, DATA_LOCK_PATH, 0, &in->lock, err)) {
        EVP_MD_CTX_free(in->sha);
        free(in);
        return -1;
    }
    *out = in;
    return 0;
}

void data_ingest_abort(struct data_ingest *in)
{
    if (!in)
        return;
    data_pack_reader_free(in->reader);
    data_pack_file_abort(in->pack);
    artifact_writer_abort(in->loose);
    EVP_MD_CTX_free(in->sha);
    free(in->rows);
    artifact_unlock(in->lock); /* after the files went or their rows were recorded */
    free(in);
}

/* ---------- one object, whichever way it comes ---------- */

static int obj_begin(struct data_ingest *in, const char hex[65], int64_t size, struct ferr *err)
{
    if (in->in_object)
        return ferr_set(err, FERR_INVALID_STATE, "object '%s' not ended", in->hex);
    if (!data_digest_valid(hex) || size < 0 || size > DATA_OBJECT_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "bad object '%.64s' of %lld bytes", hex,
                        (long long)size);
    memcpy(in->hex, hex, 65);
    in->size = in->left = size;
    in->offset = 0;
    if (size >= DATA_LOOSE_MIN) {
        if (data_loose_open(in->r, hex, &in->loose, err))
            return -1;
    } else {
        if (!in->pack && data_pack_file_open(in->r, &in->pack, err))
            return -1;
        if (data_pack_writer_object(data_pack_file_writer(in->pack), hex, size, &in->offset, err))
            return -1;
    }
    in->in_object = 1;
    return 0;
}

static int obj_data(struct data_ingest *in, const void *buf, size_t n, struct ferr *err)
{
    if (!in->in_object || (uint64_t)n > (uint64_t)in->left)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "object '%s': more bytes than its size",
                        in->hex);
    in->left -= (int64_t)n;
    if (in->loose)
        return artifact_writer_write(in->loose, buf, n, err);
    return data_pack_writer_data(data_pack_file_writer(in->pack), buf, n, err);
}

/* The object's bytes all came and verified. */
static int obj_end(struct data_ingest *in, struct ferr *err)
{
    if (!in->in_object || in->left)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "object '%s' is %lld bytes short",
                        in->hex, (long long)in->left);
    struct data_object row;
    memset(&row, 0, sizeof(row));
    memcpy(row.digest, in->hex, 65);
    row.size = in->size;
    if (in->loose) {
        struct artifact_writer *w = in->loose;
        in->loose = NULL;
        if (data_loose_commit(in->r, w, in->hex, err))
            return -1;
    } else {
        snprintf(row.pack, sizeof(row.pack), "%s", data_pack_file_id(in->pack));
        row.offset = in->offset;
    }
    ALLOC_GROW(in->rows, in->nrows + 1, in->alloc);
    in->rows[in->nrows++] = row;
    in->in_object = 0;
    in->res.objects++;
    in->res.bytes += in->size;
    return 0;
}

/* ---------- stream mode ---------- */

static int h_begin(void *ctx, const char hex[65], int64_t size, int64_t offset, struct ferr *err)
{
    struct data_ingest *in = ctx;
    (void)offset;
    if (in->res.objects >= DATA_INGEST_STREAM_OBJECTS_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the pack holds more than %d objects: send them in several packs",
                        DATA_INGEST_STREAM_OBJECTS_MAX);
    return obj_begin(in, hex, size, err);
}

static int h_data(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    return obj_data(ctx, buf, n, err);
}

static int h_end(void *ctx, const char hex[65], int64_t size, struct ferr *err)
{
    (void)hex;
    (void)size;
    return obj_end(ctx, err);
}

static const struct data_pack_handler ingest_handler = {h_begin, h_data, h_end};

static int set_mode(struct data_ingest *in, enum ingest_mode mode, struct ferr *err)
{
    if (in->mode == MODE_NONE) {
        in->mode = mode;
        if (mode == MODE_STREAM)
            in->reader = data_pack_reader_new(&ingest_handler, in);
    }
    if (in->mode != mode)
        return ferr_set(err, FERR_INVALID_STATE,
                        "an ingest takes a pack stream or direct objects, not both");
    return 0;
}

int data_ingest_feed(struct data_ingest *in, const void *buf, size_t n, struct ferr *err)
{
    if (set_mode(in, MODE_STREAM, err))
        return -1;
    return data_pack_reader_feed(in->reader, buf, n, err);
}

/* ---------- direct mode ---------- */

int data_ingest_object(struct data_ingest *in, const char hex[65], int64_t size, struct ferr *err)
{
    if (set_mode(in, MODE_DIRECT, err) || obj_begin(in, hex, size, err))
        return -1;
    if (!EVP_DigestInit_ex(in->sha, EVP_sha256(), NULL))
        return ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    return 0;
}

int data_ingest_data(struct data_ingest *in, const void *buf, size_t n, struct ferr *err)
{
    if (in->mode != MODE_DIRECT || !in->in_object)
        return ferr_set(err, FERR_INVALID_STATE, "no object started");
    if (!EVP_DigestUpdate(in->sha, buf, n))
        return ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    return obj_data(in, buf, n, err);
}

int data_ingest_object_end(struct data_ingest *in, struct ferr *err)
{
    unsigned char md[32], want[32];
    unsigned len = 0;
    if (in->mode != MODE_DIRECT || !in->in_object)
        return ferr_set(err, FERR_INVALID_STATE, "no object started");
    if (in->left)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "object '%s' is %lld bytes short",
                        in->hex, (long long)in->left);
    if (!EVP_DigestFinal_ex(in->sha, md, &len) || len != 32)
        return ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    data_digest_to_raw(in->hex, want);
    if (memcmp(md, want, 32))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "object '%s' does not match its digest (its file changed while read?)",
                        in->hex);
    return obj_end(in, err);
}

static int to_ingest(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    return data_ingest_data(ctx, buf, n, err);
}

int data_ingest_scan(struct data_ingest *in, const struct data_scan *s, const size_t *idx, size_t n,
                     struct ferr *err)
{
    size_t count = idx ? n : s->nobjects;
    for (size_t k = 0; k < count; k++) {
        size_t i = idx ? idx[k] : k;
        if (i >= s->nobjects)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no object %zu in the scan", i);
        if (data_ingest_object(in, s->objects[i].digest, s->objects[i].size, err) ||
            data_scan_read_object(s, i, to_ingest, in, err) || data_ingest_object_end(in, err))
            return -1;
    }
    return 0;
}

/* ---------- finishing ---------- */

static int row_cmp(const void *a, const void *b)
{
    return strcmp(((const struct data_object *)a)->digest, ((const struct data_object *)b)->digest);
}

/* Keeps one row per digest (sorted). */
static void dedupe_rows(struct data_ingest *in)
{
    if (in->nrows > 1)
        qsort(in->rows, in->nrows, sizeof(*in->rows), row_cmp);
    size_t u = 0;
    for (size_t i = 0; i < in->nrows; i++)
        if (!u || strcmp(in->rows[u - 1].digest, in->rows[i].digest))
            in->rows[u++] = in->rows[i];
    in->nrows = u;
}

/* Drops the rows the store already has (and touches them). */
static int drop_present(struct data_ingest *in, struct ferr *err)
{
    size_t keep = 0;
    for (size_t at = 0; at < in->nrows;) {
        size_t n = in->nrows - at < DATA_OBJECTS_CALL_MAX ? in->nrows - at : DATA_OBJECTS_CALL_MAX;
        char(*d)[DATA_DIGEST_LEN + 1] = xmalloc(n * sizeof(*d));
        unsigned char *present = xcalloc(n, 1);
        for (size_t i = 0; i < n; i++)
            memcpy(d[i], in->rows[at + i].digest, DATA_DIGEST_LEN + 1);
        int rc =
            store_data_objects_have(in->s, (const char(*)[DATA_DIGEST_LEN + 1]) d, n, present, err);
        for (size_t i = 0; !rc && i < n; i++)
            if (!present[i])
                in->rows[keep++] = in->rows[at + i];
        free(d);
        free(present);
        if (rc)
            return -1;
        at += n;
    }
    in->nrows = keep;
    return 0;
}

int data_ingest_finish(struct data_ingest *in, struct data_ingest_result *res, struct ferr *err)
{
    int rc = 0;
    if (in->in_object && in->mode == MODE_DIRECT)
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "object '%s' was cut short", in->hex);
    if (!rc && in->mode == MODE_STREAM)
        rc = data_pack_reader_finish(in->reader, NULL, err);
    if (!rc) {
        dedupe_rows(in);
        rc = drop_present(in, err);
    }
    if (!rc) {
        int pack_needed = 0;
        for (size_t i = 0; i < in->nrows && !pack_needed; i++)
            pack_needed = in->rows[i].pack[0] != '\0';
        struct data_pack_file *pack = in->pack;
        in->pack = NULL;
        if (pack && pack_needed)
            rc = data_pack_file_commit(pack, NULL, NULL, err); /* the one fsync */
        else
            data_pack_file_abort(pack); /* all its objects were present */
    }
    for (size_t at = 0; !rc && at < in->nrows;) {
        size_t n = in->nrows - at < DATA_OBJECTS_CALL_MAX ? in->nrows - at : DATA_OBJECTS_CALL_MAX;
        int64_t added = 0;
        rc = store_data_objects_put(in->s, in->rows + at, n, &added, err);
        for (size_t i = 0; !rc && i < n; i++)
            in->res.stored_bytes += in->rows[at + i].size;
        in->res.stored += added;
        at += n;
    }
    if (!rc && res)
        *res = in->res;
    data_ingest_abort(in);
    return rc;
}

int data_ingest_stream(struct store *s, struct artifact_repo *r, artifact_read_fn *read_fn,
                       void *ctx, struct data_ingest_result *res, struct ferr *err)
{
    struct data_ingest *in;
    if (data_ingest_begin(s, r, &in, err))
        return -1;
    char *buf = xmalloc(IOBUF);
    int rc = 0;
    for (;;) {
        struct ferr rerr = FERR_INIT;
        ssize_t n = read_fn(ctx, buf, IOBUF, &rerr);
        if (n < 0 || n > IOBUF) {
            if (rerr.code == FERR_OK)
                ferr_set(&rerr, FERR_IO_ERROR, "reading a pack failed");
            if (err)
                *err = rerr;
            rc = -1;
            break;
        }
        if (n == 0 || (rc = data_ingest_feed(in, buf, (size_t)n, err)))
            break;
    }
    free(buf);
    if (rc) {
        data_ingest_abort(in);
        return -1;
    }
    return data_ingest_finish(in, res, err);
}

/* ---------- locating and reading ---------- */

static int digest_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void loc_of(const struct data_object *o, struct data_location *loc)
{
    memset(loc, 0, sizeof(*loc));
    snprintf(loc->pack, sizeof(loc->pack), "%s", o->pack);
    loc->offset = o->offset;
    loc->size = o->size;
}

int data_object_locate(struct store *s, const char hex[65], struct data_location *loc,
                       struct ferr *err)
{
    char d[1][DATA_DIGEST_LEN + 1];
    struct data_object o;
    size_t missing = 0;
    if (!data_digest_valid(hex))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "bad object digest '%.80s'", hex);
    memcpy(d[0], hex, 65);
    if (store_data_objects_locate(s, (const char(*)[DATA_DIGEST_LEN + 1]) d, 1, &o, &missing, err))
        return -1;
    if (missing || !o.digest[0])
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "object '%s' is not stored", hex);
    loc_of(&o, loc);
    return 0;
}

int data_object_open_stored(struct store *s, struct artifact_repo *r, const char hex[65],
                            struct artifact_reader **out, struct ferr *err)
{
    struct data_location loc;
    *out = NULL;
    if (data_object_locate(s, hex, &loc, err))
        return -1;
    return data_object_open(r, hex, &loc, out, err);
}

/* Rows for digests[0..n) (out has n entries, digest "" when missing). */
static int locate_all(struct store *s, const char (*digests)[65], size_t n, struct data_object *out,
                      size_t *missing, struct ferr *err)
{
    *missing = 0;
    for (size_t at = 0; at < n;) {
        size_t k = n - at < DATA_OBJECTS_CALL_MAX ? n - at : DATA_OBJECTS_CALL_MAX;
        size_t miss = 0;
        if (store_data_objects_locate(s, digests + at, k, out + at, &miss, err))
            return -1;
        *missing += miss;
        at += k;
    }
    return 0;
}

/* The pack file last read from, kept open across objects: an export or a
 * verify of 10,000 small objects opens their pack once, not 10,000 times.
 * fd -1: none, or the repository hands out no descriptors (then each
 * object is opened through data_object_open). */
struct pack_fd {
    char id[DATA_PACK_ID_LEN + 1];
    int fd;
};

static int pack_fd_get(struct artifact_repo *r, struct pack_fd *pc, const char *id)
{
    char path[DATA_PACK_PATH_MAX];
    struct artifact_reader *rd;
    struct ferr ignored = FERR_INIT;
    if (pc->fd >= 0 && !strcmp(pc->id, id))
        return pc->fd;
    if (pc->fd >= 0)
        close(pc->fd);
    pc->fd = -1;
    data_pack_path(id, path);
    if (artifact_open_read(r, path, &rd, &ignored))
        return -1; /* data_object_open reports it properly */
    pc->fd = artifact_reader_take_fd(rd);
    artifact_reader_close(rd);
    snprintf(pc->id, sizeof(pc->id), "%s", id);
    return pc->fd;
}

static void pack_fd_close(struct pack_fd *pc)
{
    if (pc->fd >= 0)
        close(pc->fd);
    pc->fd = -1;
}

/* Where copy_object hands an object's bytes: a pack writer, a handler, or
 * a SHA-256 being computed (exactly one is set). */
struct dest {
    struct data_pack_writer *pw;
    const struct data_pack_handler *h;
    void *hctx;
    EVP_MD_CTX *sha;
};

static int dest_begin(const struct dest *d, const struct data_object *o, struct ferr *err)
{
    if (d->pw)
        return data_pack_writer_object(d->pw, o->digest, o->size, NULL, err);
    if (d->h && d->h->begin)
        return d->h->begin(d->hctx, o->digest, o->size, o->offset, err);
    return 0;
}

static int dest_data(const struct dest *d, const char *buf, size_t n, struct ferr *err)
{
    if (d->pw)
        return data_pack_writer_data(d->pw, buf, n, err);
    if (d->h)
        return d->h->data ? d->h->data(d->hctx, buf, n, err) : 0;
    if (!EVP_DigestUpdate(d->sha, buf, n))
        return ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    return 0;
}

/* Streams one stored object to d. */
static int copy_object(struct artifact_repo *r, struct pack_fd *pc, const struct data_object *o,
                       const struct dest *d, char *buf, struct ferr *err)
{
    struct data_location loc;
    struct artifact_reader *rd = NULL;
    int fd = o->pack[0] ? pack_fd_get(r, pc, o->pack) : -1;
    loc_of(o, &loc);
    if (fd < 0 && data_object_open(r, o->digest, &loc, &rd, err))
        return -1;
    int rc = dest_begin(d, o, err);
    int64_t left = o->size, off = o->offset;
    while (!rc && left > 0) {
        size_t want = left < IOBUF ? (size_t)left : IOBUF;
        ssize_t n = rd ? artifact_reader_read(rd, buf, want, err) : pread(fd, buf, want, off);
        if (n < 0 && !rd && errno == EINTR)
            continue;
        if (n < 0)
            rc = rd ? -1
                    : ferr_set(err, FERR_IO_ERROR, "reading object '%s': %s", o->digest,
                               strerror(errno));
        else if (n == 0)
            rc = ferr_set(err, FERR_IO_ERROR, "object '%s' is truncated", o->digest);
        else
            rc = dest_data(d, buf, (size_t)n, err);
        if (n > 0) {
            left -= n;
            off += n;
        }
    }
    artifact_reader_close(rd);
    if (!rc && d->h && d->h->end)
        rc = d->h->end(d->hctx, o->digest, o->size, err);
    return rc;
}

int data_export(struct store *s, struct artifact_repo *r, const char (*digests)[65], size_t n,
                data_sink_fn *sink, void *ctx, int64_t *bytes, struct ferr *err)
{
    for (size_t i = 0; i < n; i++)
        if (!data_digest_valid(digests[i]))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "bad object digest '%.80s'",
                            digests[i]);
    struct data_object *rows = xcalloc(n ? n : 1, sizeof(*rows));
    size_t missing = 0;
    int rc = locate_all(s, digests, n, rows, &missing, err);
    for (size_t i = 0; !rc && i < n; i++)
        if (!rows[i].digest[0])
            rc = ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "object '%s' is not stored",
                          digests[i]);
    if (rc) {
        free(rows);
        return -1;
    }
    /* Duplicates go out once: remember what was sent, by sorted copy. */
    char(*sorted)[65] = xmalloc((n ? n : 1) * sizeof(*sorted));
    memcpy(sorted, digests, n * sizeof(*sorted));
    if (n > 1)
        qsort(sorted, n, sizeof(*sorted), digest_cmp);
    unsigned char *sent = xcalloc(n ? n : 1, 1);
    struct data_pack_writer *pw = data_pack_writer_new(sink, ctx);
    char *buf = xmalloc(IOBUF);
    struct pack_fd pc = {"", -1};
    for (size_t i = 0; !rc && i < n; i++) {
        char(*hit)[65] = bsearch(digests[i], sorted, n, sizeof(*sorted), digest_cmp);
        /* bsearch may land on any of equal entries: step to the first. */
        while (hit > sorted && !strcmp(hit[-1], hit[0]))
            hit--;
        size_t k = (size_t)(hit - sorted);
        if (sent[k])
            continue;
        sent[k] = 1;
        struct dest d = {pw, NULL, NULL, NULL};
        rc = copy_object(r, &pc, &rows[i], &d, buf, err);
    }
    pack_fd_close(&pc);
    if (!rc)
        rc = data_pack_writer_finish(pw, NULL, bytes, err);
    data_pack_writer_free(pw);
    free(buf);
    free(sent);
    free(sorted);
    free(rows);
    return rc;
}

int data_objects_read(struct store *s, struct artifact_repo *r, const char (*digests)[65], size_t n,
                      const struct data_pack_handler *h, void *ctx, struct ferr *err)
{
    for (size_t i = 0; i < n; i++)
        if (!data_digest_valid(digests[i]))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "bad object digest '%.80s'",
                            digests[i]);
    struct data_object *rows = xcalloc(n ? n : 1, sizeof(*rows));
    size_t missing = 0;
    int rc = locate_all(s, digests, n, rows, &missing, err);
    for (size_t i = 0; !rc && i < n; i++)
        if (!rows[i].digest[0])
            rc = ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "object '%s' is not stored",
                          digests[i]);
    char *buf = xmalloc(IOBUF);
    struct pack_fd pc = {"", -1};
    struct dest d = {NULL, h, ctx, NULL};
    for (size_t i = 0; !rc && i < n; i++)
        rc = copy_object(r, &pc, &rows[i], &d, buf, err);
    pack_fd_close(&pc);
    free(buf);
    free(rows);
    return rc;
}

/* ---------- verify ---------- */

struct verify {
    struct artifact_repo *r;
    data_verify_report_fn *report;
    void *ctx;
    int64_t checked, bad;
    EVP_MD_CTX *sha;
    char *buf;
    struct pack_fd pc;
};

static void verify_one(struct verify *v, const char *hex, const struct data_object *o)
{
    char msg[1200];
    v->checked++;
    if (!o->digest[0]) {
        v->bad++;
        snprintf(msg, sizeof(msg), "object '%s' has no row in the store", hex);
        if (v->report)
            v->report(v->ctx, hex, DATA_VERIFY_MISSING, msg);
        return;
    }
    struct ferr err = FERR_INIT;
    unsigned char md[32], want[32];
    unsigned len = 0;
    if (!EVP_DigestInit_ex(v->sha, EVP_sha256(), NULL))
        abort();
    struct dest d = {NULL, NULL, NULL, v->sha};
    int rc = copy_object(v->r, &v->pc, o, &d, v->buf, &err);
    if (rc) {
        v->bad++;
        int missing = err.code == FERR_RESOURCE_DOES_NOT_EXIST || strstr(err.msg, "truncated");
        snprintf(msg, sizeof(msg), "%s", err.msg);
        if (v->report)
            v->report(v->ctx, hex, missing ? DATA_VERIFY_MISSING : DATA_VERIFY_CORRUPT, msg);
        return;
    }
    if (!EVP_DigestFinal_ex(v->sha, md, &len) || len != 32)
        abort();
    data_digest_to_raw(hex, want);
    if (memcmp(md, want, 32)) {
        char got[65];
        data_digest_from_raw(md, got);
        v->bad++;
        if (o->pack[0])
            snprintf(msg, sizeof(msg), "object '%s' in pack '%s' at offset %lld hashes to '%s'",
                     hex, o->pack, (long long)o->offset, got);
        else
            snprintf(msg, sizeof(msg), "loose object '%s' hashes to '%s'", hex, got);
        if (v->report)
            v->report(v->ctx, hex, DATA_VERIFY_CORRUPT, msg);
    }
}

int data_verify(struct store *s, struct artifact_repo *r, const char (*digests)[65], size_t n,
                data_verify_report_fn *report, void *ctx, int64_t *checked, int64_t *bad,
                struct ferr *err)
{
    struct verify v = {r, report, ctx, 0, 0, EVP_MD_CTX_new(), xmalloc(IOBUF), {"", -1}};
    int rc = v.sha ? 0 : ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    if (!rc && digests) {
        struct data_object *rows = xcalloc(n ? n : 1, sizeof(*rows));
        size_t missing;
        rc = locate_all(s, digests, n, rows, &missing, err);
        for (size_t i = 0; !rc && i < n; i++)
            verify_one(&v, digests[i], &rows[i]);
        free(rows);
    } else if (!rc) {
        char after[65] = "";
        for (;;) {
            struct data_object_list page;
            memset(&page, 0, sizeof(page));
            rc = store_data_objects_list(s, after, 10000, &page, err);
            for (size_t i = 0; !rc && i < page.n; i++)
                verify_one(&v, page.v[i].digest, &page.v[i]);
            size_t got = page.n;
            if (got)
                memcpy(after, page.v[got - 1].digest, 65);
            data_object_list_release(&page);
            if (rc || got < 10000)
                break;
        }
    }
    EVP_MD_CTX_free(v.sha);
    free(v.buf);
    pack_fd_close(&v.pc);
    if (checked)
        *checked = v.checked;
    if (bad)
        *bad = v.bad;
    return rc;
}
