/* SPDX-License-Identifier: MIT
 * Scanning local files into a dataset manifest: a file (a manifest of one
 * entry named by its basename) or a directory walked with lstat, never
 * following a symbolic link. Regular files become files (mode: the owner's
 * executable bit), directories with nothing inside become "dirs", links
 * whose target stays inside the tree become "links". Refused with
 * INVALID_PARAMETER_VALUE and the local path in the message: an absolute
 * link or one leaving the tree, a socket, FIFO or device, a name that is
 * not valid UTF-8 (or holds a byte the manifest cannot carry), a path too
 * long. A missing path is RESOURCE_DOES_NOT_EXIST; an unreadable one
 * IO_ERROR.
 *
 * Every file is read once, hashing the file digest and its chunk digests
 * in the same pass (OpenSSL EVP SHA-256, 1 MiB buffers: never a whole file
 * in memory); with two threads when the tree is large enough to pay. The
 * result names, for every distinct object, where its bytes lie (local
 * file, offset, size) so an uploader can read them again. */
#ifndef FERRY_DATA_TREE_SCAN_H
#define FERRY_DATA_TREE_SCAN_H

#include "artifacts/data_pack.h"
#include "base/ferr.h"
#include "domain/data_manifest.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* One distinct object of the scan and the first place its bytes lie. */
struct data_scan_object {
    char digest[65];
    int64_t size;
    size_t file;    /* index into manifest.files and local[] */
    int64_t offset; /* of the object's first byte in that file */
};

struct data_scan {
    struct data_manifest manifest;    /* finished: sorted and validated */
    char **local;                     /* local path of manifest.files[i] */
    struct data_scan_object *objects; /* distinct digests, in file order */
    size_t nobjects;
    int64_t bytes; /* sum of file sizes */
};

#define DATA_SCAN_INIT                                                                             \
    {                                                                                              \
        DATA_MANIFEST_INIT, NULL, NULL, 0, 0                                                       \
    }

struct data_scan_opts {
    int threads; /* 0: automatic (2 when it pays), 1: one */
    /* Progress (may be NULL): bytes hashed so far and in all. Called from
     * the scanning thread only. */
    void (*progress)(void *arg, int64_t done, int64_t total);
    void *progress_arg;
};

/* Scans path into *out (initialised here; release it with
 * data_scan_release, also after a failure). opts may be NULL. */
int data_tree_scan(const char *path, const struct data_scan_opts *opts, struct data_scan *out,
                   struct ferr *err) WARN_UNUSED;
void data_scan_release(struct data_scan *s);

/* Entries to leave out of a scan: exclude is called for every entry below
 * the root once it is lstat'ed, with its path relative to the root (its
 * bytes as they are: not necessarily UTF-8), its local path and the lstat
 * result; answering 1 leaves it out (a directory with everything below it)
 * before anything refuses it (its name, its kind, a link's target). A directory whose entries are
 * all left out is recorded as an empty directory. Pipelines' code digests use it
 * (pipelines/fingerprint.h). */
struct data_scan_filter {
    int (*exclude)(void *arg, const char *rel, const char *local, const struct stat *st);
    void *arg;
};
/* data_tree_scan with a filter (NULL: none, the same as data_tree_scan). */
int data_tree_scan_filtered(const char *path, const struct data_scan_opts *opts,
                            const struct data_scan_filter *filter, struct data_scan *out,
                            struct ferr *err) WARN_UNUSED;

/* Streams object i (s->objects[i]) from its local file to fn in pieces of
 * at most 1 MiB. Not verified here (whoever stores it verifies); a file
 * that got shorter is IO_ERROR "changed". */
int data_scan_read_object(const struct data_scan *s, size_t i, data_sink_fn *fn, void *ctx,
                          struct ferr *err) WARN_UNUSED;
/* Puts objects idx[0..n) of the scan (every object when idx is NULL) into
 * the pack writer w (an upload body, say); the caller finishes w. */
int data_scan_pack(const struct data_scan *s, const size_t *idx, size_t n,
                   struct data_pack_writer *w, struct ferr *err) WARN_UNUSED;

/* Hashes one open local file as a manifest entry would: file digest and
 * chunk digests (f->size must be set; a file that is not that size now is
 * IO_ERROR "changed while read"). name is for messages. */
int data_hash_fd(int fd, const char *name, struct data_file *f, struct ferr *err) WARN_UNUSED;

#endif
