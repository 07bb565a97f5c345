/* SPDX-License-Identifier: MIT
 * Dataset objects in a data root (an artifact repository) and their rows in
 * the store (store/datasets.h, data_objects): taking in a pack stream (an
 * upload, or an embedded add), giving objects out as a pack stream (a
 * download, or an embedded get), and verifying what is stored.
 *
 * Ingest: objects < DATA_LOOSE_MIN are appended to ONE new pack file,
 * objects >= DATA_LOOSE_MIN become loose files; every byte is verified
 * while written (the pack reader checks each digest, the count and the
 * trailer). Only when the whole stream verified are the pack committed
 * (one fsync) and the rows recorded (store_data_objects_put); objects the
 * store already has keep their rows, and a new pack all of whose objects
 * turned out to be present is removed again. A stream that fails leaves
 * nothing behind (no rows, no pack; a loose object already committed is
 * harmless: its path is its digest, and it is rewritten the same way).
 * An ingest holds DATA_LOCK_PATH shared from begin to finish or abort, so
 * gc (store/data_collect.h, exclusive) never removes the file of a loose
 * object whose row it deleted after an ingest wrote that file again.
 *
 * Every function returns 0, or -1 with err set: INVALID_PARAMETER_VALUE for
 * a bad pack, RESOURCE_DOES_NOT_EXIST for an object the store does not
 * know, IO_ERROR for the disk. Thread-safe as the store and repository. */
#ifndef FERRY_DATA_OBJECTS_H
#define FERRY_DATA_OBJECTS_H

#include "artifacts/data_pack.h"
#include "artifacts/repo.h"
#include "base/ferr.h"
#include "domain/data_manifest.h"

#include <stddef.h>
#include <stdint.h>

struct store;

struct data_ingest_result {
    int64_t objects;      /* objects in the stream */
    int64_t bytes;        /* their data bytes */
    int64_t stored;       /* objects new to the store (rows written) */
    int64_t stored_bytes; /* their data bytes */
};

/* Objects one pack stream may hold: their rows are kept until the end
 * (an upload's memory; a client sends at most data_add.h's 20,000). */
#define DATA_INGEST_STREAM_OBJECTS_MAX 200000

/* Push-style ingest (the server feeds an upload body as it arrives). A
 * stream of more than DATA_INGEST_STREAM_OBJECTS_MAX objects is
 * INVALID_PARAMETER_VALUE. */
struct data_ingest;
int data_ingest_begin(struct store *s, struct artifact_repo *r, struct data_ingest **out,
                      struct ferr *err) WARN_UNUSED;
/* The next n bytes of the pack stream. */
int data_ingest_feed(struct data_ingest *in, const void *buf, size_t n,
                     struct ferr *err) WARN_UNUSED;
/* The stream ended: verifies its end, commits the pack file, records the
 * rows; frees in either way. res may be NULL. */
int data_ingest_finish(struct data_ingest *in, struct data_ingest_result *res,
                       struct ferr *err) WARN_UNUSED;
/* Drops everything of an unfinished ingest. Accepts NULL. */
void data_ingest_abort(struct data_ingest *in);
/* Direct objects, for an embedded add that reads local files (no pack
 * stream in between, so each byte is hashed once to verify it): object,
 * its bytes in pieces, end (checks the digest). Same placement and
 * verification as a stream; then data_ingest_finish. Feeding a stream and
 * direct objects to one ingest is INVALID_STATE. */
int data_ingest_object(struct data_ingest *in, const char hex[65], int64_t size,
                       struct ferr *err) WARN_UNUSED;
int data_ingest_data(struct data_ingest *in, const void *buf, size_t n,
                     struct ferr *err) WARN_UNUSED;
int data_ingest_object_end(struct data_ingest *in, struct ferr *err) WARN_UNUSED;
/* Direct ingest of objects idx[0..n) of a scan (every object when idx is
 * NULL), read from their local files (data/tree_scan.h). */
struct data_scan;
int data_ingest_scan(struct data_ingest *in, const struct data_scan *s, const size_t *idx, size_t n,
                     struct ferr *err) WARN_UNUSED;
/* Whole pull-style ingest of the stream read_fn gives (artifacts/repo.h). */
int data_ingest_stream(struct store *s, struct artifact_repo *r, artifact_read_fn *read_fn,
                       void *ctx, struct data_ingest_result *res, struct ferr *err) WARN_UNUSED;

/* The location of one object from the store: RESOURCE_DOES_NOT_EXIST
 * ("object '<digest>' is not stored") when it has no row. */
int data_object_locate(struct store *s, const char hex[65], struct data_location *loc,
                       struct ferr *err) WARN_UNUSED;
/* data_object_locate then data_object_open (artifacts/data_pack.h). */
int data_object_open_stored(struct store *s, struct artifact_repo *r, const char hex[65],
                            struct artifact_reader **out, struct ferr *err) WARN_UNUSED;

/* Export: writes a pack of the n objects (in the order given, duplicates
 * sent once) to sink, streaming. A digest without a row is
 * RESOURCE_DOES_NOT_EXIST before anything is written; a stored object
 * whose bytes turn out short fails the stream (the pack then has no valid
 * end, so the receiver refuses it). Stored bytes are sent as they are:
 * the receiver verifies them. bytes (may be NULL): the pack's length. */
int data_export(struct store *s, struct artifact_repo *r, const char (*digests)[65], size_t n,
                data_sink_fn *sink, void *ctx, int64_t *bytes, struct ferr *err) WARN_UNUSED;

/* Embedded reading of many objects (a get without a server): the n
 * objects, in the order given (duplicates too), handed to h as a pack
 * reader would (begin with the object's size, data in pieces of at most
 * 1 MiB, end), with one batched store lookup and each pack file opened
 * once; NOT verified here (a data_tree_writer, say, verifies). A digest
 * without a row is RESOURCE_DOES_NOT_EXIST before any callback. */
int data_objects_read(struct store *s, struct artifact_repo *r, const char (*digests)[65], size_t n,
                      const struct data_pack_handler *h, void *ctx, struct ferr *err) WARN_UNUSED;

/* Verify: re-hashes stored objects and reports each that is missing (no
 * row, or its file/pack is gone or short) or corrupt (its bytes do not
 * hash to its digest). digests NULL: every object the store has rows for;
 * else the n given (e.g. data_manifest_objects of some versions).
 * report is called once per bad object (msg says what is wrong and
 * where); checked and bad (may be NULL) get the counts. The call itself
 * fails only when the store or the walk fails, not for bad objects. */
enum data_verify_state { DATA_VERIFY_MISSING, DATA_VERIFY_CORRUPT };
typedef void data_verify_report_fn(void *ctx, const char hex[65], enum data_verify_state state,
                                   const char *msg);
int data_verify(struct store *s, struct artifact_repo *r, const char (*digests)[65], size_t n,
                data_verify_report_fn *report, void *ctx, int64_t *checked, int64_t *bad,
                struct ferr *err) WARN_UNUSED;

#endif
