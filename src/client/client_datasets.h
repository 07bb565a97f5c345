/* SPDX-License-Identifier: MIT
 * Datasets through a client, over either transport (the rows in
 * api/datasets_ops.h; the structs in domain/data_version.h): datasets and
 * their versions, aliases, tags, profiles, diffs, the runs that used a
 * version, and which objects a store lacks. Outputs are the caller's,
 * released with domain/data_version.h's *_release functions (JSON
 * outputs with json_decref, string arrays with client_strs_free).
 *
 * Objects themselves (packs up and down) are not here: in-process they are
 * written to the data root directly, over REST through the server's
 * streaming rows (data/data_port.h does both). A version reference "ref"
 * is a spec as REST takes it: "3", "v3", "latest" or an alias; NULL means
 * "latest". Every function returns 0, or -1 with err set (the server's
 * code and message over REST). */
#ifndef FERRY_CLIENT_CLIENT_DATASETS_H
#define FERRY_CLIENT_CLIENT_DATASETS_H

#include "client/client.h"
#include "domain/data_version.h"
#include "domain/domain.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* One page of datasets by name (max 1..1000, 0: 100; page_token NULL: the
 * first); out->next_page_token NULL on the last page. */
int client_datasets_list(struct client *c, int64_t max, const char *page_token,
                         struct dataset_info_list *out, struct ferr *err) WARN_UNUSED;
int client_dataset_get(struct client *c, const char *name, struct dataset_info *out,
                       struct ferr *err) WARN_UNUSED;
/* One page of name's versions, newest first. */
int client_dataset_versions(struct client *c, const char *name, int64_t max, const char *page_token,
                            struct data_version_list *out, struct ferr *err) WARN_UNUSED;
/* One version; with_manifest: out->manifest holds its canonical text. */
int client_dataset_version_get(struct client *c, const char *name, const char *ref,
                               int with_manifest, struct data_version *out,
                               struct ferr *err) WARN_UNUSED;

/* A new version (api/datasets_ops.h versions/create). manifest: the
 * manifest's JSON text (domain/data_manifest.h; need not be canonical);
 * digest: its expected version digest, or NULL; profile: JSON text or
 * NULL; tags may be NULL; author: the claim sent (a server with auth on
 * records the signed-in user instead), NULL: "". */
struct client_data_create {
    const char *name;
    const char *manifest;
    const char *digest;
    const char *message;
    const struct kv_list *tags;
    const char *profile;
    const char *author;
};
/* out gets the version as stored (without its manifest); *created (may be
 * NULL) is 0 when the latest version had this content already. */
int client_dataset_version_create(struct client *c, const struct client_data_create *q,
                                  struct data_version *out, int *created,
                                  struct ferr *err) WARN_UNUSED;
int client_dataset_version_delete(struct client *c, const char *name, const char *ref,
                                  struct ferr *err) WARN_UNUSED;
/* Every version of name, its aliases and tags. */
int client_dataset_delete(struct client *c, const char *name, struct ferr *err) WARN_UNUSED;

int client_dataset_alias_set(struct client *c, const char *name, const char *alias, const char *ref,
                             struct ferr *err) WARN_UNUSED;
int client_dataset_alias_delete(struct client *c, const char *name, const char *alias,
                                struct ferr *err) WARN_UNUSED;
int client_dataset_tag_set(struct client *c, const char *name, const char *ref, const char *key,
                           const char *value, struct ferr *err) WARN_UNUSED;
int client_dataset_tag_delete(struct client *c, const char *name, const char *ref, const char *key,
                              struct ferr *err) WARN_UNUSED;

/* The version's profile (*out a JSON object, {} when it has none). */
int client_dataset_profile(struct client *c, const char *name, const char *ref, json_t **out,
                           struct ferr *err) WARN_UNUSED;
/* The diff between two versions of name (*out: the object described in
 * api/datasets_ops.h). */
int client_dataset_diff(struct client *c, const char *name, const char *from, const char *to,
                        json_t **out, struct ferr *err) WARN_UNUSED;
/* The runs whose dataset inputs have source data:/NAME/V (*out: an array
 * of {run_id, experiment_id, run_name, status, start_time, context}). */
int client_dataset_runs(struct client *c, const char *name, const char *ref, json_t **out,
                        struct ferr *err) WARN_UNUSED;

/* Of digests[0..n) (lowercase hex SHA-256), the ones the store has no
 * object for: *missing (an array of the caller's, freed with
 * client_strs_free) of *nmissing. The present ones are touched (an add in
 * progress names its objects so). Asks in batches, so n may be large. */
int client_data_objects_missing(struct client *c, const char *const *digests, size_t n,
                                char ***missing, size_t *nmissing, struct ferr *err) WARN_UNUSED;
/* Frees v[0..n) and v. Accepts NULL. */
void client_strs_free(char **v, size_t n);

#endif
