/* SPDX-License-Identifier: MIT
 * A dataset version's manifest: which files (path, size, mode, content
 * digest, and for a file over DATA_CHUNK_SIZE the digests of its 8 MiB
 * chunks), which empty directories and which in-tree symbolic links make
 * the version. Its canonical JSON text (compact, keys sorted, entries sorted
 * by path bytes) is what the store keeps, and the SHA-256 of that text is
 * the version digest: same files and modes, same digest.
 *
 *   {"chunk_size":8388608,"dirs":["empty/dir"],
 *    "files":[{"chunks":["<d1>","<d2>"],"mode":"0644","path":"a/b.csv",
 *              "sha256":"<file digest>","size":12}],
 *    "format":"ferry-data/1","links":[{"path":"l","target":"a/b.csv"}]}
 *
 * ("chunks" only when size > chunk_size; keys sorted, so "chunk_size" comes
 * first.) Also here: the distinct objects a manifest names, the diff of two
 * manifests, and where objects and packs lie below a data root. Pure: no
 * I/O. Digests are lowercase hex SHA-256 strings of 64 characters.
 *
 * Validation (data_manifest_validate, done by parse and finish) refuses
 * with INVALID_PARAMETER_VALUE and a message naming the entry: a bad path
 * (absolute, empty, "." or ".." or empty components, not UTF-8, NUL, more
 * than DATA_PATH_MAX bytes), a path listed twice (as file, dir or link), a
 * path below a file or a link, a "dir" that is not empty (another entry lies
 * below it), a negative size, a chunk list that does not match size and
 * chunk size, a bad digest, a mode other than "0644"/"0755", a link whose
 * target is empty, absolute, or leaves the tree (resolved lexically from
 * the link's directory; ".." after a component that is itself a link of
 * the manifest is refused too, since the file system would follow it). */
#ifndef FERRY_DOMAIN_DATA_MANIFEST_H
#define FERRY_DOMAIN_DATA_MANIFEST_H

#include "base/ferr.h"
#include "base/sbuf.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define DATA_MANIFEST_FORMAT "ferry-data/1"
/* A file of at most this size is one object; a larger one is stored as
 * consecutive chunks of this size (the last shorter). */
#define DATA_CHUNK_SIZE ((int64_t)8 << 20)
/* Objects smaller than this go into packs; larger ones are loose files. */
#define DATA_LOOSE_MIN ((int64_t)1 << 20)
/* The largest object a pack may carry. */
#define DATA_OBJECT_MAX ((int64_t)1 << 30)
/* The largest file size a manifest accepts (2^62: sums stay in int64). */
#define DATA_FILE_MAX    ((int64_t)1 << 62)
#define DATA_PATH_MAX    4096
#define DATA_DIGEST_LEN  64 /* hex characters */
#define DATA_PACK_ID_LEN 32 /* hex characters */
/* Buffer sizes for the layout paths below (with the NUL). */
#define DATA_OBJECT_PATH_MAX (sizeof("datasets/objects/") + DATA_DIGEST_LEN + 1)
#define DATA_PACK_PATH_MAX   (sizeof("datasets/packs/.pack") + DATA_PACK_ID_LEN)

struct data_file {
    char *path;
    int64_t size;
    int exec;           /* 1: mode "0755", 0: "0644" */
    char sha256[65];    /* digest of the whole content */
    char (*chunks)[65]; /* size > DATA_CHUNK_SIZE: nchunks digests, else NULL */
    size_t nchunks, chunks_alloc;
};

struct data_link {
    char *path;
    char *target; /* relative, stays inside the tree */
};

struct data_manifest {
    struct data_file *files;
    size_t nfiles, files_alloc;
    char **dirs; /* empty directories only */
    size_t ndirs, dirs_alloc;
    struct data_link *links;
    size_t nlinks, links_alloc;
};

#define DATA_MANIFEST_INIT                                                                         \
    {                                                                                              \
        NULL, 0, 0, NULL, 0, 0, NULL, 0, 0                                                         \
    }

void data_manifest_init(struct data_manifest *m);
/* Frees the contents and leaves m initialised. Accepts NULL. */
void data_manifest_release(struct data_manifest *m);

/* Building (tree_scan does it; tests too). Strings are copied. Nothing is
 * checked until data_manifest_finish. The returned file stays valid until
 * the next add_file. */
struct data_file *data_manifest_add_file(struct data_manifest *m, const char *path, int64_t size,
                                         int exec, const char *sha256_hex);
void data_file_add_chunk(struct data_file *f, const char *sha256_hex);
void data_manifest_add_dir(struct data_manifest *m, const char *path);
void data_manifest_add_link(struct data_manifest *m, const char *path, const char *target);
/* Sorts every list by path bytes, then validates (see the file comment). */
int data_manifest_finish(struct data_manifest *m, struct ferr *err) WARN_UNUSED;
/* Validates a manifest whose lists are already sorted (unsorted lists are
 * INVALID_PARAMETER_VALUE too). */
int data_manifest_validate(const struct data_manifest *m, struct ferr *err) WARN_UNUSED;

/* Parses and validates a manifest from anywhere (a client, the store). The
 * text need not be canonical (any key order, whitespace, entry order: the
 * lists are sorted here); unknown keys are refused. *out is initialised
 * here and must be released by the caller, also after a failure. */
int data_manifest_parse(const char *text, size_t len, struct data_manifest *out,
                        struct ferr *err) WARN_UNUSED;
/* The same from a parsed JSON object (a request body's "manifest"). */
int data_manifest_from_json(json_t *j, struct data_manifest *out, struct ferr *err) WARN_UNUSED;
/* Appends the canonical text to out. */
void data_manifest_canonical(const struct data_manifest *m, struct sbuf *out);
/* The manifest as a new JSON object (same content as the canonical text). */
json_t *data_manifest_to_json(const struct data_manifest *m);
/* The version digest: SHA-256 (hex) of the canonical text. */
void data_manifest_digest(const struct data_manifest *m, char hex[65]);
/* Number of files and the sum of their sizes. */
int64_t data_manifest_size(const struct data_manifest *m);

/* The file at path (binary search: m sorted, as finish leaves it), or
 * NULL. */
const struct data_file *data_manifest_find_file(const struct data_manifest *m, const char *path);
/* The part of m at or below prefix (a data: URI's /PATH), paths made
 * relative to it: prefix naming a file gives a manifest of that one file
 * under its basename; naming a directory (one with entries below, or an
 * empty one) gives its entries. *out is initialised here (release it).
 * RESOURCE_DOES_NOT_EXIST "no path 'P' in the version" when nothing is
 * there; a link found on the way is INVALID_PARAMETER_VALUE. */
int data_manifest_subtree(const struct data_manifest *m, const char *prefix,
                          struct data_manifest *out, struct ferr *err) WARN_UNUSED;

/* One object: a whole file of at most DATA_CHUNK_SIZE, or one chunk. */
struct data_object_ref {
    char digest[65];
    int64_t size;
};
/* The object digests file f is made of, in order (one for a small file,
 * its chunks for a large one): *n of them; for i < n, object i is
 * data_file_object(f, i, &size). An empty file is one object of size 0
 * (the digest of no bytes). */
size_t data_file_nobjects(const struct data_file *f);
const char *data_file_object(const struct data_file *f, size_t i, int64_t *size);
/* The distinct objects m names, sorted by digest: *out (free()) holds *n. */
void data_manifest_objects(const struct data_manifest *m, struct data_object_ref **out, size_t *n);

/* The diff of two manifests, by path. A path present in both is changed
 * when its kind (file/dir/link), content digest, mode or link target
 * differs. Sizes are the file sizes (0 for dirs and links). */
enum data_change { DATA_ADDED, DATA_REMOVED, DATA_CHANGED };
enum data_entry_kind { DATA_KIND_NONE, DATA_KIND_FILE, DATA_KIND_DIR, DATA_KIND_LINK };
struct data_diff_entry {
    char *path;
    enum data_change change;
    enum data_entry_kind old_kind, new_kind; /* NONE on the side it is absent */
    int64_t old_size, new_size;
    int old_exec, new_exec;
};
struct data_diff {
    struct data_diff_entry *v; /* sorted by path bytes */
    size_t n, alloc;
    int64_t added, removed, changed; /* counts */
};
#define DATA_DIFF_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0, 0, 0, 0                                                                        \
    }
/* *out is initialised here; release it with data_diff_release. */
void data_manifest_diff(const struct data_manifest *from, const struct data_manifest *to,
                        struct data_diff *out);
void data_diff_release(struct data_diff *d);

/* Helpers shared by the data layers. */
/* 1 when s is 64 lowercase hex digits. */
int data_digest_valid(const char *s);
/* 1 when s is 32 lowercase hex digits. */
int data_pack_id_valid(const char *s);
void data_digest_to_raw(const char hex[65], unsigned char raw[32]);
void data_digest_from_raw(const unsigned char raw[32], char hex[65]);
/* Checks one manifest path; what names it in messages. */
int data_path_check(const char *path, const char *what, struct ferr *err) WARN_UNUSED;
/* Checks a link target against the link's path (lexically, see above);
 * m may be NULL (then links through links are not checked). */
int data_link_check(const struct data_manifest *m, const char *path, const char *target,
                    struct ferr *err) WARN_UNUSED;

/* Layout below the data root (an artifact repository). */
/* "datasets/objects/ab/cdef...": a loose object's path. */
void data_object_path(const char hex[65], char out[DATA_OBJECT_PATH_MAX]);
/* "datasets/packs/<id>.pack". */
void data_pack_path(const char id[DATA_PACK_ID_LEN + 1], char out[DATA_PACK_PATH_MAX]);
#define DATA_OBJECTS_DIR "datasets/objects"
#define DATA_PACKS_DIR   "datasets/packs"
/* The lock file between ingests (shared: from the first byte written to the
 * rows recorded) and gc (exclusive: from its rows deleted to its files
 * removed), so gc never removes a loose object's file an ingest has just
 * written again under the same name. */
#define DATA_LOCK_PATH "datasets/.lock"

#endif
