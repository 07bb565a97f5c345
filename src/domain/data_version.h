/* SPDX-License-Identifier: MIT
 * Dataset versions (issue 19) as plain structs, and the rules of their
 * names: dataset names, aliases, data: URIs. The manifest itself (its
 * model, canonical text, digest) lives in domain/data_manifest.h; the
 * store (store/datasets.h) keeps versions; this file only says what a
 * version looks like and which names are legal.
 *
 * Every check here answers INVALID_PARAMETER_VALUE with a message that
 * quotes the value (cut at 100 bytes) and says what is wrong with it. */
#ifndef FERRY_DOMAIN_DATA_VERSION_H
#define FERRY_DOMAIN_DATA_VERSION_H

#include "base/ferr.h"
#include "domain/data_manifest.h" /* DATA_DIGEST_LEN, DATA_PACK_ID_LEN, DATA_PATH_MAX */
#include "domain/domain.h"

#include <stddef.h>
#include <stdint.h>

#define DATASET_NAME_MAX   256  /* bytes */
#define DATA_ALIAS_MAX     255  /* bytes */
#define DATA_TAG_KEY_MAX   250  /* a version tag's key, as a run tag's */
#define DATA_TAG_VALUE_MAX 8000 /* a version tag's value, as a run tag's */
#define DATA_MESSAGE_MAX   5000 /* a version's message */
#define DATA_AUTHOR_MAX    256

/* A dataset name: 1..256 bytes of [A-Za-z0-9._-], starting with a letter
 * or digit. */
int data_validate_name(const char *name, struct ferr *err) WARN_UNUSED;
/* An alias, as MLflow's registry aliases: 1..255 bytes of [A-Za-z0-9_-],
 * not "latest" (any case) and not "v<digits>" / "V<digits>" (those read
 * as version numbers). */
int data_validate_alias(const char *alias, struct ferr *err) WARN_UNUSED;
/* 64 lowercase hex digits. what names the value in the message ("digest",
 * "object digest"); NULL: "digest". */
int data_validate_digest(const char *digest, const char *what, struct ferr *err) WARN_UNUSED;
/* 32 lowercase hex digits. */
int data_validate_pack_id(const char *id, struct ferr *err) WARN_UNUSED;
/* A version tag: key 1..250 bytes, no control characters; value at most
 * 8000 bytes (value NULL: only the key is checked). */
int data_validate_tag(const char *key, const char *value, struct ferr *err) WARN_UNUSED;

/* ---------- references and data: URIs ---------- */

enum data_ref_kind {
    DATA_REF_VERSION, /* data:/NAME/3 */
    DATA_REF_ALIAS,   /* data:/NAME@prod */
    DATA_REF_LATEST,  /* data:/NAME/latest: the highest existing version */
};

/* Which version of which dataset, and optionally a path inside it. */
struct data_ref {
    char *name;
    enum data_ref_kind kind;
    int64_t version; /* DATA_REF_VERSION: >= 1; else 0 */
    char *alias;     /* DATA_REF_ALIAS; else NULL */
    char *path;      /* NULL: the whole version; else a relative path, no
                      * leading or trailing '/', no "", ".", ".." component */
};

#define DATA_REF_INIT                                                                              \
    {                                                                                              \
        NULL, DATA_REF_LATEST, 0, NULL, NULL                                                       \
    }

void data_ref_release(struct data_ref *r);

/* 1 when s starts with "data:" (so a caller knows to hand it to
 * data_uri_parse rather than treat it as a local path). */
int data_uri_is(const char *s);

/* Parses data:/NAME/VERSION, data:/NAME@ALIAS or data:/NAME/latest, each
 * optionally followed by /PATH (data:/transactions@prod/train.csv,
 * data:/t/3/dir/a.csv). VERSION: decimal >= 1 ("v3" is accepted as 3).
 * Trailing '/' of PATH are dropped ("data:/t/3/" is the whole version).
 * Anything else is INVALID_PARAMETER_VALUE saying what is wrong ("no
 * version", "bad dataset name", "bad alias", "bad path component '..'").
 * out starts DATA_REF_INIT or released; on failure it is left released. */
int data_uri_parse(const char *uri, struct data_ref *out, struct ferr *err) WARN_UNUSED;

/* A version spec as REST and the CLI take it beside a name: "3" or "v3"
 * (a number), "latest", else an alias (validated). name is validated
 * too. out->path is NULL. */
int data_ref_from_spec(const char *name, const char *spec, struct data_ref *out,
                       struct ferr *err) WARN_UNUSED;

/* "data:/NAME/VERSION" (a new string). The canonical source of a version
 * logged as a run's dataset input. */
char *data_uri_format(const char *name, int64_t version);

/* ---------- versions and datasets ---------- */

struct data_version {
    char *name;
    int64_t version; /* 1, 2, ...; never reused after a delete */
    char *digest;    /* SHA-256 of the canonical manifest text */
    char *message;   /* "" when none */
    char *author;    /* "" when none */
    int64_t created_ms;
    int64_t file_count; /* files in the manifest (not dirs or links) */
    int64_t size_bytes; /* sum of the files' sizes */
    struct kv_list tags;
    struct kv_list aliases; /* key: alias, value: "" */
    char *profile;          /* JSON text (domain/data_profile.h), or NULL */
    char *manifest;         /* canonical manifest text when asked for, else NULL */
};

void data_version_release(struct data_version *v);

struct data_version_list {
    struct data_version *v;
    size_t n, alloc;
    char *next_page_token; /* NULL on the last page */
};

void data_version_list_release(struct data_version_list *l);

struct dataset_info {
    char *name;
    int64_t created_ms, updated_ms; /* updated: the last version created or deleted,
                                     * alias or tag changed */
    int64_t latest_version;         /* highest existing version; 0: none left */
    int64_t last_version;           /* highest ever issued (the counter) */
    int64_t version_count;          /* existing versions */
    int64_t total_size_bytes;       /* sum of the existing versions' size_bytes
                                     * (logical, before dedup) */
    struct kv_list aliases;         /* key: alias, value: version as decimal text */
};

void dataset_info_release(struct dataset_info *d);

struct dataset_info_list {
    struct dataset_info *v;
    size_t n, alloc;
    char *next_page_token; /* NULL on the last page */
};

void dataset_info_list_release(struct dataset_info_list *l);

/* ---------- objects ---------- */

/* A stored object's row (store/datasets.h): where its bytes lie. Fixed
 * arrays, so a list of 200,000 costs one allocation. */
struct data_object {
    char digest[DATA_DIGEST_LEN + 1]; /* "" in a locate answer: not stored */
    char pack[DATA_PACK_ID_LEN + 1];  /* "": a loose object */
    int64_t offset;                   /* in the pack: its first data byte; loose: 0 */
    int64_t size;
    int64_t touched_ms; /* last named by an add, a create or an upload */
};

struct data_object_list {
    struct data_object *v;
    size_t n, alloc;
};

void data_object_list_release(struct data_object_list *l);
/* Appends a copy of o (growing the array). */
void data_object_list_add(struct data_object_list *l, const struct data_object *o);

/* A pack file that rows point into. */
struct data_pack {
    char id[DATA_PACK_ID_LEN + 1];
    int64_t objects; /* rows in it */
    int64_t bytes;   /* sum of their sizes */
};

struct data_pack_list {
    struct data_pack *v;
    size_t n, alloc;
};

void data_pack_list_release(struct data_pack_list *l);

/* A run that logged a version as a dataset input (source data:/NAME/V). */
struct data_run_use {
    char *run_id;
    char *experiment_id;
    char *run_name; /* "" when none */
    char *status;   /* "RUNNING", "FINISHED", ... */
    int64_t start_time;
    char *context; /* the input's mlflow.data.context tag, or "" */
};

struct data_run_use_list {
    struct data_run_use *v;
    size_t n, alloc;
    char *next_page_token; /* NULL on the last page */
};

void data_run_use_list_release(struct data_run_use_list *l);

#endif
