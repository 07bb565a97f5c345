/* SPDX-License-Identifier: MIT
 * The store's datasets area (issue 19): datasets, their numbered versions
 * (a canonical manifest each, domain/data_manifest.h), version tags,
 * aliases, and the rows of the content-addressed objects the versions'
 * files are made of (data_objects: where each object's bytes lie under
 * the data root). The bytes themselves are not here: artifacts/data_pack.h
 * and data/objects.h write and read them. Same conventions as store.h (0,
 * or -1 with err set and nothing changed); every function may be called
 * from many threads at once on one store.
 *
 * Version numbers: a dataset keeps a counter of the last number issued; a
 * new version is counter+1, so a number is never reused, not after a
 * version delete and not after a dataset delete (a deleted dataset's row
 * stays, hidden, with its counter; adding to the name again revives it
 * with no versions and numbering continues).
 *
 * Creating a version is ONE transaction: when the dataset's latest version
 * has the same digest, that version is the answer (*created 0, nothing
 * written: message, tags and profile of the call are ignored); else every
 * object the manifest names must have a data_objects row, and each is
 * touched (touched_ms = now) in the same transaction; a missing one is
 * RESOURCE_DOES_NOT_EXIST naming its digest, and nothing is written; else
 * the version is counter+1, with its tags, and the dataset row is created
 * when new. Two concurrent creates of the same content both succeed: one
 * creates, the other answers the same version with *created 0.
 *
 * Garbage collection: store_data_gc deletes the data_objects rows that no
 * existing version's manifest names and whose touched_ms is older than a
 * cutoff (the caller passes now - 1 hour); its DELETE re-checks touched_ms,
 * so an add that touched an object (have/put/create) after gc read the
 * manifests keeps it: gc serialises with creates through the database. The
 * caller then removes the loose files and the packs gc names. */
#ifndef FERRY_STORE_DATASETS_H
#define FERRY_STORE_DATASETS_H

#include "base/ferr.h"
#include "domain/data_version.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

#define DATA_LIST_MAX         1000   /* max per page; 0 asks for the default 100 */
#define DATA_OBJECTS_CALL_MAX 200000 /* digests in one have / locate / put call */
#define DATA_VERSION_TAGS_MAX 100    /* tags given to one create */
#define DATA_PROFILE_MAX      (16 * 1024 * 1024 - 1)
#define DATA_GC_MIN_AGE_MS    (3600LL * 1000) /* what `ferry gc` passes: now - 1 hour */

/* ---------- datasets ---------- */

/* Datasets by name, one page of at most max (1..1000; 0: 100), from
 * page_token on (NULL or "": the first page; else a token this returned).
 * name_contains NULL or "": all; else only names containing it (case
 * sensitive, a plain substring: '%' and '_' are not wildcards).
 * out->next_page_token NULL at the end. Each entry has its aliases. */
int store_datasets_list(struct store *s, const char *name_contains, int64_t max,
                        const char *page_token, struct dataset_info_list *out,
                        struct ferr *err) WARN_UNUSED;
/* RESOURCE_DOES_NOT_EXIST "dataset 'NAME' not found" when absent (or
 * deleted). */
int store_dataset_get(struct store *s, const char *name, struct dataset_info *out,
                      struct ferr *err) WARN_UNUSED;
/* Deletes every version of the dataset (their tags and aliases) and hides
 * the dataset; its objects stay until gc. RESOURCE_DOES_NOT_EXIST when
 * absent. */
int store_dataset_delete(struct store *s, const char *name, struct ferr *err) WARN_UNUSED;

/* ---------- versions ---------- */

/* A dataset's versions, newest (highest number) first, one page as
 * store_datasets_list. Never reads manifests (out's manifest NULL);
 * profiles are left NULL too. RESOURCE_DOES_NOT_EXIST without the
 * dataset. */
int store_data_versions_list(struct store *s, const char *name, int64_t max, const char *page_token,
                             struct data_version_list *out, struct ferr *err) WARN_UNUSED;
/* The version ref names (ref->path is ignored): by number, alias or
 * latest. with_manifest 1: out->manifest gets the canonical manifest text
 * (else NULL). out->profile is the stored profile (or NULL).
 * RESOURCE_DOES_NOT_EXIST naming what is missing: the dataset, the
 * version, the alias, or "has no versions" for latest. */
int store_data_version_get(struct store *s, const struct data_ref *ref, int with_manifest,
                           struct data_version *out, struct ferr *err) WARN_UNUSED;
/* The same by name and number. */
int store_data_version_get_num(struct store *s, const char *name, int64_t version,
                               int with_manifest, struct data_version *out,
                               struct ferr *err) WARN_UNUSED;

struct data_version_new {
    const char *name;           /* data_validate_name */
    const char *manifest;       /* canonical manifest text; the store parses it
                                 * (domain/data_manifest.h), refuses a text that
                                 * is not canonical (INVALID_PARAMETER_VALUE),
                                 * and computes digest, file_count, size_bytes
                                 * and the objects it names from it */
    const char *message;        /* NULL: ""; at most DATA_MESSAGE_MAX bytes */
    const char *author;         /* NULL: ""; at most DATA_AUTHOR_MAX bytes */
    const struct kv_list *tags; /* NULL: none; at most 100, data_validate_tag */
    const char *profile;        /* JSON object text or NULL; at most DATA_PROFILE_MAX */
};

/* Creates a version (see the top of this file for the transaction).
 * out (may be NULL) gets the version created or found, without manifest;
 * *created (may be NULL) 1 when it was created. */
int store_data_version_create(struct store *s, const struct data_version_new *nv,
                              struct data_version *out, int *created, struct ferr *err) WARN_UNUSED;
/* Deletes the version, its tags and the aliases pointing at it. Its number
 * is not reused. RESOURCE_DOES_NOT_EXIST when absent. */
int store_data_version_delete(struct store *s, const char *name, int64_t version,
                              struct ferr *err) WARN_UNUSED;

/* ---------- aliases and tags ---------- */

/* Points alias at version (moving it when it pointed elsewhere).
 * RESOURCE_DOES_NOT_EXIST when the version does not exist. */
int store_data_alias_set(struct store *s, const char *name, const char *alias, int64_t version,
                         struct ferr *err) WARN_UNUSED;
/* RESOURCE_DOES_NOT_EXIST when the alias does not exist. */
int store_data_alias_delete(struct store *s, const char *name, const char *alias,
                            struct ferr *err) WARN_UNUSED;
/* Sets (or replaces) a version's tag. RESOURCE_DOES_NOT_EXIST without the
 * version. */
int store_data_version_tag_set(struct store *s, const char *name, int64_t version, const char *key,
                               const char *value, struct ferr *err) WARN_UNUSED;
/* RESOURCE_DOES_NOT_EXIST without the version or the tag. */
int store_data_version_tag_delete(struct store *s, const char *name, int64_t version,
                                  const char *key, struct ferr *err) WARN_UNUSED;

/* ---------- runs that used a version ---------- */

/* Runs with a dataset input whose source is "data:/NAME/VERSION" (or the
 * JSON {"uri": "data:/NAME/VERSION"}), newest start first, one page as
 * store_datasets_list. Deleted runs (lifecycle) are included: the caller
 * filters when it must. No error when there are none (an empty list), nor
 * when the version does not exist (a deleted version's runs still show). */
int store_data_version_runs(struct store *s, const char *name, int64_t version, int64_t max,
                            const char *page_token, struct data_run_use_list *out,
                            struct ferr *err) WARN_UNUSED;

/* ---------- objects ---------- */

/* Which of digests[0..n) have a row: present[i] = 1 or 0 (present has n
 * entries, the caller's). The found rows' touched_ms become now, in the
 * same statement (the add's "which objects exist" step names its objects
 * so gc leaves them for an hour; a row touched less than a minute ago is
 * left as it is, so repeated adds do not rewrite every row). n at most DATA_OBJECTS_CALL_MAX, each
 * a valid digest (INVALID_PARAMETER_VALUE naming the first bad one); duplicates are allowed.
 * Batched: no round trip per digest. */
int store_data_objects_have(struct store *s, const char (*digests)[DATA_DIGEST_LEN + 1], size_t n,
                            unsigned char *present, struct ferr *err) WARN_UNUSED;
/* Inserts a row per object (digest, size, pack or "" loose, offset;
 * touched_ms now, the given one ignored); a digest that has a row keeps
 * its location and is only touched. *added (may be NULL): how many rows
 * were new. n at most DATA_OBJECTS_CALL_MAX; each digest and pack id
 * valid, size >= 0, offset >= 0 (0 for a loose one). One transaction. */
int store_data_objects_put(struct store *s, const struct data_object *objs, size_t n,
                           int64_t *added, struct ferr *err) WARN_UNUSED;
/* Where digests[0..n) lie: out[i] (n entries, the caller's) gets the row,
 * or digest "" when there is none; *missing (may be NULL) how many had
 * none. No touch. */
int store_data_objects_locate(struct store *s, const char (*digests)[DATA_DIGEST_LEN + 1], size_t n,
                              struct data_object *out, size_t *missing,
                              struct ferr *err) WARN_UNUSED;
/* Every row in digest order, a page at a time: digests after `after`
 * (NULL or "": from the start), at most limit (1..DATA_OBJECTS_CALL_MAX).
 * Fewer than limit rows: the end. For verify. */
int store_data_objects_list(struct store *s, const char *after, int64_t limit,
                            struct data_object_list *out, struct ferr *err) WARN_UNUSED;
/* Every pack id some row points into, with its row count and bytes, by id. */
int store_data_packs_list(struct store *s, struct data_pack_list *out,
                          struct ferr *err) WARN_UNUSED;

/* ---------- gc ---------- */

/* Deletes the rows no existing version's manifest names whose touched_ms
 * is below cutoff_ms (each DELETE re-checks it). deleted (may be NULL)
 * gets the rows deleted; packs (may be NULL) the pack ids that some
 * deleted row pointed into and that no row points into any more (the
 * caller removes those files, and the loose objects of deleted rows with
 * pack ""). dry_run 1: nothing is deleted; the lists say what would be
 * (packs: those whose every row would go). */
int store_data_gc(struct store *s, int64_t cutoff_ms, int dry_run, struct data_object_list *deleted,
                  struct data_pack_list *packs, struct ferr *err) WARN_UNUSED;

/* ---------- the backend contract (see store/backend.h) ---------- */

/* The events stream (store_events_search, store/deployments.h) hears of
 * datasets from the backends, in the transaction of the change:
 * "dataset.version_created" when a version is created (not when an equal
 * one is found), and "dataset.alias_set" when an alias is made or moves
 * (not when it already named that version); subject the dataset's name,
 * user the version's author ("" for an alias). Their payloads (new
 * strings): {"name", "version", "uri": "data:/NAME/V", "digest"} and
 * {"name", "alias", "version", "uri"}. */
#define DATA_EVENT_VERSION_CREATED "dataset.version_created"
#define DATA_EVENT_ALIAS_SET       "dataset.alias_set"
char *data_event_version_payload(const char *name, int64_t version, const char *digest);
char *data_event_alias_payload(const char *name, const char *alias, int64_t version);

/* A version row as the backend inserts it (checked and computed by the
 * front). */
struct data_version_row {
    const char *name, *digest, *manifest, *message, *author, *profile; /* profile may be NULL */
    int64_t file_count, size_bytes, created_ms;
    const struct kv_list *tags; /* NULL: none */
};

/* Called with each existing version's manifest text (borrowed, valid
 * during the call); nonzero stops the walk with that answer. */
typedef int (*data_manifest_fn)(void *arg, const char *name, int64_t version, const char *manifest,
                                struct ferr *err);

struct store_dataset_ops {
    /* offset/limit: rows [offset, offset+limit) of the ordered result. */
    int (*list)(struct store *s, const char *name_contains, int64_t offset, int64_t limit,
                struct dataset_info_list *out, struct ferr *err);
    int (*get)(struct store *s, const char *name, struct dataset_info *out, struct ferr *err);
    int (*dataset_delete)(struct store *s, const char *name, int64_t now_ms, struct ferr *err);
    int (*versions)(struct store *s, const char *name, int64_t offset, int64_t limit,
                    struct data_version_list *out, struct ferr *err);
    int (*version_get)(struct store *s, const struct data_ref *ref, int with_manifest,
                       struct data_version *out, struct ferr *err);
    /* objects: the distinct digests the manifest names. */
    int (*version_create)(struct store *s, const struct data_version_row *row,
                          const struct data_object_ref *objects, size_t nobjects,
                          struct data_version *out, int *created, struct ferr *err);
    int (*version_delete)(struct store *s, const char *name, int64_t version, int64_t now_ms,
                          struct ferr *err);
    int (*alias_set)(struct store *s, const char *name, const char *alias, int64_t version,
                     int64_t now_ms, struct ferr *err);
    int (*alias_delete)(struct store *s, const char *name, const char *alias, int64_t now_ms,
                        struct ferr *err);
    /* value NULL: delete. */
    int (*tag_set)(struct store *s, const char *name, int64_t version, const char *key,
                   const char *value, int64_t now_ms, struct ferr *err);
    int (*runs)(struct store *s, const char *source_uri, int64_t offset, int64_t limit,
                struct data_run_use_list *out, struct ferr *err);
    int (*objects_have)(struct store *s, const char (*digests)[DATA_DIGEST_LEN + 1], size_t n,
                        int64_t now_ms, unsigned char *present, struct ferr *err);
    int (*objects_put)(struct store *s, const struct data_object *objs, size_t n, int64_t now_ms,
                       int64_t *added, struct ferr *err);
    int (*objects_locate)(struct store *s, const char (*digests)[DATA_DIGEST_LEN + 1], size_t n,
                          struct data_object *out, struct ferr *err);
    int (*objects_list)(struct store *s, const char *after, int64_t limit,
                        struct data_object_list *out, struct ferr *err);
    int (*packs)(struct store *s, struct data_pack_list *out, struct ferr *err);
    int (*manifests)(struct store *s, data_manifest_fn fn, void *arg, struct ferr *err);
    /* Rows with touched_ms < cutoff_ms, digests after `after` ("" from the
     * start), digest order, at most limit. */
    int (*gc_candidates)(struct store *s, int64_t cutoff_ms, const char *after, int64_t limit,
                         struct data_object_list *out, struct ferr *err);
    /* Deletes the rows of digests whose touched_ms is still < cutoff_ms;
     * appends the rows deleted to deleted and, among their packs, those
     * no row points into any more to packs. One transaction. */
    int (*gc_delete)(struct store *s, const char (*digests)[DATA_DIGEST_LEN + 1], size_t n,
                     int64_t cutoff_ms, struct data_object_list *deleted,
                     struct data_pack_list *packs, struct ferr *err);
};

#endif
