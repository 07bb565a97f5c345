/* SPDX-License-Identifier: MIT
 * Packs of dataset objects, the same bytes on the wire and on disk:
 *
 *   "FERRYPK1"                                   magic, 8 bytes
 *   'O' digest[32] size[8 BE] data[size]         per object (size <= 1 GiB)
 *   'E' count[8 BE] sha256[32]                   end: objects, SHA-256 of
 *                                                every byte before these 32
 *                                                (magic to count included)
 *
 * The writer streams a pack to any sink; the reader parses one pushed to it
 * in pieces of any size, verifies each object's digest as it streams, the
 * count and the trailer, and hands every object to a handler in pieces:
 * never a whole pack (nor a whole object) in memory. Anything malformed
 * (bad magic, bad record, size > 1 GiB, wrong digest, wrong count or
 * trailer, bytes after the end, a stream cut short) is
 * INVALID_PARAMETER_VALUE naming the problem and the object.
 *
 * On an artifact repository (a data root): pack files
 * (datasets/packs/<id>.pack, written through one artifact writer: one
 * fsync per pack), loose objects (datasets/objects/ab/cdef...), and a
 * reader of one object wherever it lies. */
#ifndef FERRY_ARTIFACTS_DATA_PACK_H
#define FERRY_ARTIFACTS_DATA_PACK_H

#include "artifacts/repo.h"
#include "base/ferr.h"
#include "domain/data_manifest.h"

#include <stddef.h>
#include <stdint.h>

#define DATA_PACK_MAGIC       "FERRYPK1"
#define DATA_PACK_MAGIC_LEN   8
#define DATA_PACK_OBJ_HDR_LEN 41 /* 'O' + digest + size */
#define DATA_PACK_END_LEN     41 /* 'E' + count + sha256 */

/* Where one object's bytes lie. */
struct data_location {
    char pack[DATA_PACK_ID_LEN + 1]; /* "" for a loose object */
    int64_t offset;                  /* in the pack: its first data byte */
    int64_t size;
};

/* A sink for written bytes: 0, or -1 with err set (stops the writer). */
typedef int data_sink_fn(void *ctx, const void *buf, size_t n, struct ferr *err);

/* ---------- writing a pack stream ---------- */

struct data_pack_writer;
/* A writer to sink (nothing is written until the first call below). */
struct data_pack_writer *data_pack_writer_new(data_sink_fn *sink, void *ctx);
/* Starts an object: its header goes out; exactly size bytes must follow
 * through data_pack_writer_data before the next object or the end. The
 * digest is not checked here (the reader checks it). *offset (may be NULL)
 * gets the stream offset of its first data byte. */
int data_pack_writer_object(struct data_pack_writer *w, const char hex[65], int64_t size,
                            int64_t *offset, struct ferr *err) WARN_UNUSED;
int data_pack_writer_data(struct data_pack_writer *w, const void *buf, size_t n,
                          struct ferr *err) WARN_UNUSED;
/* A whole object in one call. */
int data_pack_writer_put(struct data_pack_writer *w, const char hex[65], const void *buf, size_t n,
                         int64_t *offset, struct ferr *err) WARN_UNUSED;
/* Writes the end record (an object left short is INVALID_PARAMETER_VALUE).
 * count and bytes (may be NULL): objects written and the pack's length. */
int data_pack_writer_finish(struct data_pack_writer *w, int64_t *count, int64_t *bytes,
                            struct ferr *err) WARN_UNUSED;
/* Bytes sent to the sink so far. */
int64_t data_pack_writer_offset(const struct data_pack_writer *w);
/* Accepts NULL. Does not close the sink. */
void data_pack_writer_free(struct data_pack_writer *w);

/* ---------- reading (verifying) a pack stream ---------- */

/* What the reader hands out. Each callback returns 0, or -1 with err set
 * (the reader then fails with that error). begin: an object starts (offset:
 * stream offset of its first data byte); data: some of its bytes, in order
 * (slices of what was fed: no copy); end: all its bytes came and their
 * SHA-256 matched its digest. An object whose digest does not match fails
 * the reader after its last data call, before end: a handler that wrote the
 * bytes somewhere must drop them (and everything else of that pack) unless
 * the reader finishes with success. Any callback may be NULL. */
struct data_pack_handler {
    int (*begin)(void *ctx, const char hex[65], int64_t size, int64_t offset, struct ferr *err);
    int (*data)(void *ctx, const void *buf, size_t n, struct ferr *err);
    int (*end)(void *ctx, const char hex[65], int64_t size, struct ferr *err);
};

struct data_pack_reader;
struct data_pack_reader *data_pack_reader_new(const struct data_pack_handler *h, void *ctx);
/* Feeds the next n bytes of the stream. After a failure every later call
 * fails the same way. */
int data_pack_reader_feed(struct data_pack_reader *r, const void *buf, size_t n,
                          struct ferr *err) WARN_UNUSED;
/* The stream ended: 0 when the end record came and verified (count and
 * trailer), else INVALID_PARAMETER_VALUE ("pack truncated ..."). *count
 * (may be NULL) gets the number of objects. */
int data_pack_reader_finish(struct data_pack_reader *r, int64_t *count,
                            struct ferr *err) WARN_UNUSED;
/* Bytes consumed so far. */
int64_t data_pack_reader_offset(const struct data_pack_reader *r);
/* 1 once the end record was read and verified. */
int data_pack_reader_done(const struct data_pack_reader *r);
void data_pack_reader_free(struct data_pack_reader *r);
/* Reads a whole stream from read_fn (artifacts/repo.h) through a reader:
 * feed until read_fn's end, then finish. */
int data_pack_read_stream(artifact_read_fn *read_fn, void *rctx, const struct data_pack_handler *h,
                          void *hctx, int64_t *count, struct ferr *err) WARN_UNUSED;

/* ---------- pack files and loose objects on a repository ---------- */

/* A new pack file datasets/packs/<random id>.pack, written through one
 * artifact writer: visible (and durable, one fsync) only at commit. */
struct data_pack_file;
int data_pack_file_open(struct artifact_repo *r, struct data_pack_file **out,
                        struct ferr *err) WARN_UNUSED;
const char *data_pack_file_id(const struct data_pack_file *f);
/* The pack writer to put objects through (offsets it gives are file
 * offsets, as struct data_location wants). */
struct data_pack_writer *data_pack_file_writer(struct data_pack_file *f);
/* Finishes the pack stream, syncs and renames; frees f either way. */
int data_pack_file_commit(struct data_pack_file *f, int64_t *count, int64_t *bytes,
                          struct ferr *err) WARN_UNUSED;
/* Drops the unfinished file. Accepts NULL. */
void data_pack_file_abort(struct data_pack_file *f);

/* A loose object is written with a plain artifact writer at
 * data_object_path(hex) (artifact_writer_open); this helper opens it, and
 * data_loose_commit commits it checking the content's SHA-256 is hex
 * (INVALID_PARAMETER_VALUE when not: the file is removed again). Verify
 * the bytes before committing where you can (the pack reader does): a
 * mismatch found only here has replaced any earlier file of that name. */
int data_loose_open(struct artifact_repo *r, const char hex[65], struct artifact_writer **out,
                    struct ferr *err) WARN_UNUSED;
int data_loose_commit(struct artifact_repo *r, struct artifact_writer *w, const char hex[65],
                      struct ferr *err) WARN_UNUSED;

/* Opens object hex at loc for reading as an artifact reader of exactly
 * loc->size bytes (artifact_reader_read ... artifact_reader_close). The
 * bytes are not verified here (verify with SHA-256 as you read). A missing
 * pack or loose file is RESOURCE_DOES_NOT_EXIST naming the object; a pack
 * shorter than loc needs fails when read (IO_ERROR "... truncated"). */
int data_object_open(struct artifact_repo *r, const char hex[65], const struct data_location *loc,
                     struct artifact_reader **out, struct ferr *err) WARN_UNUSED;

#endif
