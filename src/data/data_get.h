/* SPDX-License-Identifier: MIT
 * `ferry data get URI --dst DIR`: one dataset version (or a file or
 * directory inside it) written into a local directory, every byte verified
 * against the manifest while it is written (data/tree_write.h): a
 * temporary directory beside DST renamed into place at the end, so a
 * failure (a missing or tampered object, the disk) leaves no DST.
 *
 * What lands in DST: the whole version for data:/NAME/V; for
 * data:/NAME/V/PATH, PATH's contents when it is a directory of the
 * version, or DST/<basename of PATH> when it is a file. Objects come
 * through the port: read from the data root (embedded) or downloaded in
 * packs (remote), in the order the tree writer takes them. */
#ifndef FERRY_DATA_DATA_GET_H
#define FERRY_DATA_DATA_GET_H

#include "base/ferr.h"
#include "data/data_port.h"

#include <stdint.h>

struct data_version;

struct data_get_opts {
    int overwrite; /* 1: replace an existing non-empty DST (once the new tree is whole) */
    /* Progress (may be NULL): bytes written so far and in all. */
    void (*progress)(void *arg, int64_t done, int64_t total);
    void *progress_arg;
};

struct data_get_result {
    char *name;      /* the dataset */
    int64_t version; /* resolved (an alias or "latest" made a number) */
    char digest[65]; /* the version digest */
    int64_t files;   /* files written */
    int64_t bytes;   /* their bytes */
};

#define DATA_GET_RESULT_INIT                                                                       \
    {                                                                                              \
        NULL, 0, "", 0, 0                                                                          \
    }

void data_get_result_release(struct data_get_result *r);

/* Resolves uri (data:/NAME/V, data:/NAME@ALIAS, data:/NAME/latest, each
 * optionally /PATH) through p and writes it into dst (above). opts and out
 * may be NULL. Errors: a malformed URI or a PATH the version does not hold
 * is INVALID_PARAMETER_VALUE; an unknown dataset, version or alias
 * RESOURCE_DOES_NOT_EXIST; bytes that do not verify INVALID_PARAMETER_VALUE
 * naming the file; an existing non-empty dst RESOURCE_ALREADY_EXISTS. */
int data_get(struct data_port *p, const char *uri, const char *dst,
             const struct data_get_opts *opts, struct data_get_result *out,
             struct ferr *err) WARN_UNUSED;

/* The same for a version already resolved (v with its manifest text, as
 * data_port_get_version(..., with_manifest = 1) gives it) and subpath
 * (NULL: the whole version). For callers that resolved the URI themselves
 * (data/data_fetch.h caches by digest). */
int data_get_version(struct data_port *p, const struct data_version *v, const char *subpath,
                     const char *dst, const struct data_get_opts *opts,
                     struct ferr *err) WARN_UNUSED;

#endif
