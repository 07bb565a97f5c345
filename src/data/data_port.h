/* SPDX-License-Identifier: MIT
 * Where a dataset's rows and objects are, behind one interface with two
 * implementations (chosen when the port is opened):
 *   embedded  a store opened from a sqlite:/// / postgresql:// tracking URI
 *             (or a plain path) and the local data root beside it: rows
 *             through the dataset operations run in-process, objects
 *             written and read on the data root directly;
 *   remote    a ferry server (http(s)://): the JSON rows over REST
 *             (/api/2.0/ferry/datasets/...), objects in packs streamed over
 *             datasets/objects/upload and datasets/objects/download.
 * data_add, data_get, data_verify, the CLI and the public API use only this;
 * so an add behaves the same against a file and against a server.
 *
 * The data root of an embedded port: $FERRY_ARTIFACTS_DESTINATION if set,
 * else for SQLite <directory of the db file>/mlartifacts, for PostgreSQL
 * ./mlartifacts (where `ferry server` started beside the db keeps it).
 * Objects lie below its datasets/ (domain/data_manifest.h names the paths).
 *
 * Every function returns 0, or -1 with err set to an MLflow code
 * (transport and local disk failures are IO_ERROR). Outputs are the
 * caller's, released with the domain's *_release functions.
 * Thread-safety: one port is used by one thread at a time. */
#ifndef FERRY_DATA_DATA_PORT_H
#define FERRY_DATA_DATA_PORT_H

#include "base/ferr.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct data_port;
struct store;
struct artifact_repo;
struct data_version;      /* domain/data_version.h */
struct data_version_list; /* domain/data_version.h */
struct dataset_info_list; /* domain/data_version.h */
struct data_ref;          /* domain/data_version.h (its path is ignored here) */
struct kv_list;           /* domain/domain.h */

/* ---------- opening ---------- */

/* tracking_uri NULL or "": $FERRY_TRACKING_URI, else $MLFLOW_TRACKING_URI,
 * else ./ferry.db (client_default_uri). http(s):// opens a remote port, a
 * store URI an embedded one (the data root's directory is created on the
 * first write, not here). */
int data_port_open(const char *tracking_uri, struct data_port **out, struct ferr *err) WARN_UNUSED;
/* The embedded data root's directory for a store URI (a new string):
 * $FERRY_ARTIFACTS_DESTINATION, else mlartifacts beside a SQLite file,
 * else ./mlartifacts (the place a `ferry server` beside the db uses). */
char *data_port_root_dir(const char *store_uri);
/* An embedded port on an open store and data root, both borrowed (they
 * must outlive the port): for code running inside a server (monitors
 * reading a reference dataset). */
int data_port_open_local(struct store *store, struct artifact_repo *data_root,
                         struct data_port **out, struct ferr *err) WARN_UNUSED;
/* Accepts NULL. */
void data_port_close(struct data_port *p);
/* 1 for a remote port. */
int data_port_is_remote(const struct data_port *p);

/* ---------- objects ---------- */

/* Which of digests (n lowercase hex SHA-256) have no stored object:
 * missing[i] = 1 or 0. Present ones are touched (an add in progress names
 * its objects so gc leaves them). Requests are batched internally. */
int data_port_missing(struct data_port *p, const char *const *digests, size_t n,
                      unsigned char *missing, struct ferr *err) WARN_UNUSED;

/* One object to store, read from a local file: size bytes at offset. */
struct data_port_object {
    const char *path; /* the local file (borrowed) */
    int64_t offset;
    int64_t size;
    char digest[65]; /* lowercase hex SHA-256 of those bytes */
};

/* Stores objects as ONE pack (at most 1 GiB of data; the caller batches),
 * generated while it is sent from the local files, never whole in memory.
 * Every object's bytes are checked against its digest on the receiving
 * side: a file changed since it was hashed fails the call
 * (INVALID_PARAMETER_VALUE) and stores nothing of it. *bytes_sent (may be
 * NULL) gets the size of the pack sent (embedded: written). */
int data_port_put_objects(struct data_port *p, const struct data_port_object *v, size_t n,
                          int64_t *bytes_sent, struct ferr *err) WARN_UNUSED;

/* Receives objects one after another: begin (digest, size), its bytes in
 * pieces (data), then end once they are verified. A callback's -1 (err
 * set) stops the transfer. */
struct data_port_sink {
    int (*begin)(void *arg, const char *digest, int64_t size, struct ferr *err);
    int (*data)(void *arg, const void *buf, size_t n, struct ferr *err);
    int (*end)(void *arg, struct ferr *err);
    void *arg;
};
/* Streams the n objects (distinct digests, in the given order) to sink.
 * Bytes are handed over as they arrive; end is called only after the
 * object's digest was checked, and a mismatch fails the call
 * (INVALID_PARAMETER_VALUE naming the digest) without calling end, so a
 * sink that commits at end never keeps bad bytes. A digest with no object is
 * RESOURCE_DOES_NOT_EXIST naming it. */
int data_port_get_objects(struct data_port *p, const char *const *digests, size_t n,
                          const struct data_port_sink *sink, struct ferr *err) WARN_UNUSED;

/* Re-hashes the stored objects digests[0..n) (verify the data, not the
 * transfer): report is called once per object that is missing (no row, or
 * its file or pack gone or short) or corrupt (bytes that do not hash to
 * its digest), with what is wrong; *checked (may be NULL) gets how many
 * were looked at. Embedded: data/objects.h's data_verify on the data root;
 * remote: the objects are downloaded and hashed here (a corrupt object
 * makes its download fail, so the batch is split down to single objects
 * to name each bad one). Fails only when the port itself does. */
typedef void data_port_report_fn(void *ctx, const char *digest, int missing, const char *msg);
int data_port_verify_objects(struct data_port *p, const char *const *digests, size_t n,
                             data_port_report_fn *report, void *ctx, int64_t *checked,
                             struct ferr *err) WARN_UNUSED;

/* ---------- rows ---------- */

/* Creates the next version of name from a manifest (its JSON text), with
 * message, tags (may be NULL) and profile (JSON text, may be NULL); the
 * author claimed is $USER (a server with auth on records the signed-in
 * user). *created 0: the latest version already
 * had that content and is answered. Every object the manifest names must be
 * stored (else RESOURCE_DOES_NOT_EXIST naming one). */
int data_port_create_version(struct data_port *p, const char *name, const char *manifest_json,
                             const char *message, const struct kv_list *tags,
                             const char *profile_json, struct data_version *out, int *created,
                             struct ferr *err) WARN_UNUSED;
/* One version; with_manifest: out->manifest filled. */
int data_port_get_version(struct data_port *p, const struct data_ref *ref, int with_manifest,
                          struct data_version *out, struct ferr *err) WARN_UNUSED;
/* Every dataset. */
int data_port_list(struct data_port *p, struct dataset_info_list *out,
                   struct ferr *err) WARN_UNUSED;
/* Every version of name, newest first (pages followed). */
int data_port_versions(struct data_port *p, const char *name, struct data_version_list *out,
                       struct ferr *err) WARN_UNUSED;
/* version 0: the whole dataset. */
int data_port_delete(struct data_port *p, const char *name, int64_t version,
                     struct ferr *err) WARN_UNUSED;
/* version 0: delete the alias. */
int data_port_set_alias(struct data_port *p, const char *name, const char *alias, int64_t version,
                        struct ferr *err) WARN_UNUSED;
/* value NULL: delete the tag. */
int data_port_set_tag(struct data_port *p, const char *name, int64_t version, const char *key,
                      const char *value, struct ferr *err) WARN_UNUSED;
/* The diff op's answer (files added/removed/changed; CSV rows and columns)
 * as JSON, the caller's to decref. */
int data_port_diff(struct data_port *p, const char *name, int64_t from, int64_t to, json_t **out,
                   struct ferr *err) WARN_UNUSED;

#endif
