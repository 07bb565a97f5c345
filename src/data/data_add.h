/* SPDX-License-Identifier: MIT
 * `ferry data add NAME PATH`: a new version of dataset NAME from a local
 * file or directory, through a data port (embedded or a ferry server):
 *   1. scan: hash every file once into a manifest (data/tree_scan.h);
 *   2. profile the CSV files (data/profile.h), from the local files;
 *   3. ask which objects the port lacks (this also touches the present
 *      ones, so gc leaves them to this add);
 *   4. send only those, in packs of at most DATA_ADD_PACK_BYTES or
 *      DATA_ADD_PACK_OBJECTS objects, each pack generated from the local
 *      files while it is sent (never whole in memory);
 *   5. create the version (the store checks every object is there).
 * Interrupted anywhere before 5, nothing is visible: objects sent are
 * stored but name no version (gc collects them after an hour if nothing
 * claims them), and a repeated add finds them and sends only the rest.
 * Two adds of the same data at once both succeed: the second one's create
 * answers the first one's version (same digest) or the objects it lacked
 * were sent by both and stored once. A file that changes between the scan
 * and its upload fails the add (its bytes no longer match the digest). */
#ifndef FERRY_DATA_DATA_ADD_H
#define FERRY_DATA_DATA_ADD_H

#include "base/ferr.h"
#include "data/data_port.h"
#include "domain/domain.h"

#include <stdint.h>

#define DATA_ADD_PACK_BYTES   ((int64_t)64 << 20)
#define DATA_ADD_PACK_OBJECTS 20000

struct data_add_opts {
    const char *message;        /* NULL: "" */
    const struct kv_list *tags; /* version tags; may be NULL */
    int no_profile;             /* 1: send no profile */
    /* Progress for people (may be NULL): phase ("hashing", "uploading"),
     * done and total bytes of that phase. */
    void (*progress)(void *arg, const char *phase, int64_t done, int64_t total);
    void *progress_arg;
};

struct data_add_result {
    char *name;
    int64_t version;
    int created;     /* 0: the latest version had this content already */
    char digest[65]; /* version digest */
    int64_t files, dirs, links;
    int64_t bytes;                /* the version's logical size (sum of file sizes) */
    int64_t objects;              /* distinct objects of the version */
    int64_t objects_sent;         /* objects the port lacked, sent */
    int64_t objects_deduplicated; /* objects it had already */
    int64_t bytes_sent;           /* pack bytes sent (headers included) */
    int64_t bytes_deduplicated;   /* object bytes not sent */
    int64_t packs;                /* requests of objects */
    int profiled_files;           /* CSV files profiled */
};

#define DATA_ADD_RESULT_INIT                                                                       \
    {                                                                                              \
        NULL, 0, 0, "", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0                                            \
    }

void data_add_result_release(struct data_add_result *r);

/* Adds path as the next version of name (above). opts and out may be NULL.
 * Errors: a bad name INVALID_PARAMETER_VALUE (before anything is read); a
 * missing path RESOURCE_DOES_NOT_EXIST; a symlink leaving the tree, a
 * special file, a bad file name INVALID_PARAMETER_VALUE naming it; the
 * port's errors as they come. */
int data_add(struct data_port *p, const char *name, const char *path,
             const struct data_add_opts *opts, struct data_add_result *out,
             struct ferr *err) WARN_UNUSED;

#endif
