/* SPDX-License-Identifier: MIT
 * The datasets area's JSON rows (issue 19; store/datasets.h keeps the rows,
 * domain/data_version.h the structs, domain/data_manifest.h the manifest)
 * under /api/2.0/ferry/:
 *   GET  datasets/list             {max_results?, page_token?}
 *                                  -> {datasets, next_page_token}
 *   GET  datasets/get              {name} -> {dataset}
 *   GET  datasets/versions         {name, max_results?, page_token?}
 *                                  -> {dataset_versions, next_page_token} (newest first)
 *   GET  datasets/versions/get     {name, version? | alias?, with_manifest?}
 *                                  -> {dataset_version} (version: "3", 3, "latest"
 *                                  (the default) or an alias; with_manifest adds
 *                                  "manifest" as a JSON object; "profile" is there
 *                                  when the version has one)
 *   POST datasets/versions/create  {name, manifest, digest?, message?, tags?,
 *                                  profile?, author?} -> {dataset_version, created}
 *   POST datasets/versions/delete  {name, version} -> {}
 *   POST datasets/delete           {name} -> {} (every version)
 *   POST datasets/aliases/set      {name, alias, version} -> {}
 *   POST datasets/aliases/delete   {name, alias} -> {}
 *   POST datasets/tags/set         {name, version, key, value} -> {}
 *   POST datasets/tags/delete      {name, version, key} -> {}
 *   GET  datasets/profile          {name, version?|alias?} -> {profile} ({} when none)
 *   GET  datasets/diff             {name, from, to} -> {diff}
 *   GET  datasets/runs             {name, version?|alias?} -> {runs}
 *   POST datasets/objects/missing  {digests} -> {missing}
 *
 * Entities: dataset_version {name, version, digest, message, author,
 * created_ms, file_count, size_bytes, tags: [{key, value}], aliases:
 * [alias], has_profile, manifest?, profile?}; dataset {name, created_ms,
 * updated_ms, latest_version, last_version, version_count,
 * total_size_bytes, aliases: [{alias, version}]}.
 *
 * A version reference ("version"): a number (as JSON number or string),
 * "v3", "latest", or an alias (domain/data_version.h data_ref_from_spec);
 * "alias" names an alias explicitly. Writes that name one version
 * (versions/delete, aliases/set, the tag rows) take any reference too.
 *
 * versions/create: the manifest is validated and made canonical
 * (domain/data_manifest.h); "digest", when given, must be the canonical
 * text's SHA-256, else INVALID_PARAMETER_VALUE (a manifest changed on its
 * way is refused). Every object the manifest names must be stored
 * (RESOURCE_DOES_NOT_EXIST naming the first missing digest; nothing is
 * created). The same content as the latest version answers that version
 * with created false. The profile, when given, is a JSON object of at
 * most DATA_PROFILE_MAX_BYTES bytes, validated (domain/data_profile.h). The
 * author is the signed-in user when the server checks identities, else
 * the request's "author" claim, else "". Body cap 64 MiB.
 *
 * objects/missing: of the given digests (at most DATASETS_MISSING_MAX),
 * the ones with no stored object; the present ones are touched (gc spares
 * them for an hour: an add names its objects this way) when the caller may
 * write (a reader's question touches nothing). Body cap 16 MiB.
 *
 * diff: {"from", "to" (version numbers), "digest_from", "digest_to",
 * "added": [{path, kind, size}], "removed": [{path, kind, size}],
 * "changed": [{path, kind_before, kind_after, size_before, size_after,
 * mode_before?, mode_after?}], "unchanged": count, "csv": [{path,
 * rows_before, rows_after, columns_added, columns_removed,
 * columns_retyped: [{name, from, to}]}]} (kind: "file", "dir", "link";
 * csv: every file profiled in both versions, domain/data_profile.h).
 *
 * runs: {"runs": [{run_id, experiment_id, run_name, status, start_time,
 * context}]}: runs whose dataset inputs have source data:/NAME/V.
 *
 * Permissions: reads (objects/missing too) are READ on no particular
 * resource (anyone signed in), writes EDIT (admins when auth is on), as
 * deployments and monitors.
 *
 * The objects themselves travel through the server's streaming rows
 * (server/data_routes.h: datasets/objects/upload and /download). */
#ifndef FERRY_API_DATASETS_OPS_H
#define FERRY_API_DATASETS_OPS_H

#include "api/op.h"
#include "domain/data_version.h"
#include "domain/domain.h"

#include <jansson.h>
#include <stdint.h>

struct artifact_repo;

#define DATASETS_CREATE_BODY_MAX  ((size_t)64 << 20) /* a manifest of 100,000 files */
#define DATASETS_MISSING_BODY_MAX ((size_t)16 << 20)
#define DATASETS_MISSING_MAX      200000 /* digests in one objects/missing */
#define DATASETS_PAGE_MAX         1000

extern const struct api_area api_datasets_area;

/* The streaming rows, served by `ferry server` only (server/data_routes.h):
 *   POST DATASETS_UPLOAD_PATH    body: a pack (artifacts/data_pack.h), at most
 *                                DATASETS_UPLOAD_MAX bytes -> {"stored": n, "bytes": b}
 *   POST DATASETS_DOWNLOAD_PATH  {digests} -> a pack of those objects
 *                                (application/octet-stream); a digest the store
 *                                lacks is RESOURCE_DOES_NOT_EXIST before any byte. */
#define DATASETS_UPLOAD_PATH   "/api/2.0/ferry/datasets/objects/upload"
#define DATASETS_DOWNLOAD_PATH "/api/2.0/ferry/datasets/objects/download"
#define DATASETS_UPLOAD_MAX    ((uint64_t)1 << 30)

/* A JSON value held by a response (a manifest, a profile, a diff, a list
 * of digests): owned; NULL when absent. */
struct api_json {
    json_t *j;
};

struct rq_datasets_list {
    int64_t max_results; /* 0: 100 */
    const char *page_token;
};
struct rq_dataset_name {
    const char *name;
};
struct rs_dataset {
    struct dataset_info dataset;
};
struct rq_dataset_versions {
    const char *name;
    int64_t max_results; /* 0: 100 */
    const char *page_token;
};
/* A reference to one version: version (a spec: "3", "v3", "latest", an
 * alias) and/or alias; both NULL: latest. */
struct rq_dataset_ref {
    const char *name;
    const char *version;
    const char *alias;
    int with_manifest; /* versions/get only */
};
struct rs_dataset_version {
    struct data_version dataset_version;
};
struct rq_dataset_create {
    const char *name;
    json_t *manifest;   /* borrowed; a JSON object */
    const char *digest; /* NULL: not checked */
    const char *message;
    struct kv_list tags;
    json_t *profile; /* borrowed; NULL: none */
    const char *author;
};
struct rs_dataset_create {
    struct data_version dataset_version;
    int created; /* 0: the latest version had this content (it is the answer) */
};
struct rq_dataset_alias {
    const char *name, *alias;
    const char *version; /* set: a spec, as rq_dataset_ref's */
};
struct rq_dataset_tag {
    const char *name;
    const char *version; /* a spec */
    const char *key, *value;
};
struct rs_dataset_profile {
    struct api_json profile;
};
struct rq_dataset_diff {
    const char *name;
    const char *from, *to; /* specs */
};
struct rs_dataset_diff {
    struct api_json diff;
};
struct rs_dataset_runs {
    struct api_json runs; /* an array */
};
struct rq_objects_missing {
    const char **digests;
    size_t n;
};
struct rs_objects_missing {
    struct api_json missing; /* an array of digests */
};

extern const struct api_op api_datasets_list, api_datasets_get, api_datasets_versions,
    api_datasets_version_get, api_datasets_version_create, api_datasets_version_delete,
    api_datasets_delete, api_datasets_alias_set, api_datasets_alias_delete, api_datasets_tag_set,
    api_datasets_tag_delete, api_datasets_profile, api_datasets_diff, api_datasets_runs,
    api_datasets_objects_missing;

/* Where a server keeps datasets' objects (the data root, issue 19): its
 * artifacts destination when it serves artifacts, else its store's
 * default artifact root when that is local. Installed by `ferry server`
 * at start-up (server/data_routes.h); an in-process client installs none
 * (data/data_port.h finds its own root). */
struct api_data_root {
    struct artifact_repo *repo; /* the root's repository; NULL: no data root */
    const char *dir;            /* its local directory; NULL when repo is NULL */
    int proxied;                /* repo is the proxied destination (mlflow-artifacts:/) */
    const char *why_not;        /* repo NULL: why (the NOT_IMPLEMENTED message) */
    /* The artifact roots' repository through which a server also reaches
     * dir (artifacts/roots.h), and dir's path inside it ("" for dir
     * itself); NULL: none. */
    const struct artifact_repo *via;
    const char *via_rel;
};
/* Installs r (static storage; NULL: none) for every later row. Call at
 * start-up, before any request. With a root whose repo is NULL, a
 * request from the network to create a version or to ask for missing
 * objects is NOT_IMPLEMENTED with r->why_not. */
void api_datasets_set_root(const struct api_data_root *r);
/* The installed root, or NULL. */
const struct api_data_root *api_datasets_root(void);
/* Whether location (an experiment's artifact location, as the store will
 * keep it) may be used: one inside the installed data root's datasets/
 * (a local path or file URI below <dir>/datasets, or mlflow-artifacts:/
 * datasets/... when the root is the proxied destination) is
 * INVALID_PARAMETER_VALUE; anything else, or no root installed, is 0. No
 * I/O. */
int api_datasets_location_check(const char *location, struct ferr *err) WARN_UNUSED;

/* Whether path (checked, relative) of repo may be served by a generic
 * artifact route: a path in the installed data root's datasets/ (through
 * its own repository or the roots' one that reaches it) is
 * PERMISSION_DENIED, anything else 0. No I/O. */
int api_datasets_reserved(const struct artifact_repo *repo, const char *path,
                          struct ferr *err) WARN_UNUSED;

/* JSON shapes, for the CLI's --json and the UI. */
json_t *api_data_version_to_json(const struct data_version *v);
json_t *api_dataset_info_to_json(const struct dataset_info *d);

#endif
