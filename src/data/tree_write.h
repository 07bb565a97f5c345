/* SPDX-License-Identifier: MIT
 * Materialising a manifest into a destination directory, verifying every
 * byte while writing: each object against its digest and each file against
 * its file digest. Files, modes (0644/0755), empty directories and in-tree
 * links are written into a temporary directory beside DST
 * ("<DST>.ferry-tmp-<random>"), files fsynced, then renamed to DST in one
 * step: a failure (a mismatch, a missing object, the disk) leaves no DST
 * and no temporary directory. A DST that exists and is not an empty
 * directory is RESOURCE_ALREADY_EXISTS unless overwrite is set (then the
 * old DST is replaced only once the new tree is complete). Links are
 * created last, each after checking lexically that its target resolves
 * inside DST (data_link_check).
 *
 * Objects are pushed in the order data_tree_writer_order lists them (the
 * distinct objects in file order, chunks in order): a pack downloaded for
 * that list, in that order, feeds the writer straight from the pack
 * reader. A file that needs an object another file already got is copied
 * from it locally. A pull-style source (data_tree_write) is built on top.
 * Errors: INVALID_PARAMETER_VALUE for bytes that do not verify (naming the
 * file or object), RESOURCE_DOES_NOT_EXIST for a missing object, IO_ERROR
 * for the disk. */
#ifndef FERRY_DATA_TREE_WRITE_H
#define FERRY_DATA_TREE_WRITE_H

#include "artifacts/repo.h"
#include "base/ferr.h"
#include "domain/data_manifest.h"

#include <stddef.h>
#include <stdint.h>

struct data_tree_write_opts {
    int overwrite; /* 1: replace an existing non-empty DST */
    /* Progress (may be NULL): bytes written so far and in all. */
    void (*progress)(void *arg, int64_t done, int64_t total);
    void *progress_arg;
};

struct data_tree_writer;
/* Prepares writing m (a validated manifest, borrowed until commit or
 * abort) into dst: checks dst, creates the temporary directory with every
 * directory and empty file. opts may be NULL. */
int data_tree_writer_open(const struct data_manifest *m, const char *dst,
                          const struct data_tree_write_opts *opts, struct data_tree_writer **out,
                          struct ferr *err) WARN_UNUSED;
/* The objects to push, in order: *n of them (borrowed from w). */
const struct data_object_ref *data_tree_writer_order(const struct data_tree_writer *w, size_t *n);
/* Pushing one object: begin (must be the next in order, same size), data
 * in pieces, end (checks the digest). Shaped like struct
 * data_pack_handler's callbacks: data_tree_writer_pack_handler gives one. */
int data_tree_writer_begin(struct data_tree_writer *w, const char hex[65], int64_t size,
                           struct ferr *err) WARN_UNUSED;
int data_tree_writer_data(struct data_tree_writer *w, const void *buf, size_t n,
                          struct ferr *err) WARN_UNUSED;
int data_tree_writer_end(struct data_tree_writer *w, struct ferr *err) WARN_UNUSED;
/* Every object came: checks file digests, creates links, fsyncs, renames
 * into dst. Frees w either way (after a failure nothing is left). */
int data_tree_writer_commit(struct data_tree_writer *w, struct ferr *err) WARN_UNUSED;
/* Removes the temporary directory and frees w. Accepts NULL. */
void data_tree_writer_abort(struct data_tree_writer *w);

/* A handler for artifacts/data_pack.h's reader that pushes into the
 * writer given as its ctx. */
struct data_pack_handler;
const struct data_pack_handler *data_tree_writer_pack_handler(void);

/* Pull source: opens object hex (size bytes) as a reader of its bytes
 * (e.g. data_object_open_stored). */
typedef int data_object_source_fn(void *ctx, const char hex[65], int64_t size,
                                  struct artifact_reader **out, struct ferr *err);
/* open + every object from source in order + commit. */
int data_tree_write(const struct data_manifest *m, const char *dst,
                    const struct data_tree_write_opts *opts, data_object_source_fn *source,
                    void *ctx, struct ferr *err) WARN_UNUSED;

#endif
