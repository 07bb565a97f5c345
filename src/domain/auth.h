/* SPDX-License-Identifier: MIT
 * Who may do what: the permission levels of MLflow's basic-auth app (plus
 * USE, for scoring a deployment without changing it), the kinds of
 * resource a permission is given on, users, and API tokens with their
 * scopes. Plain values; the store keeps them (store/auth.h) and the server
 * checks them (auth/guard.c). */
#ifndef FERRY_DOMAIN_AUTH_H
#define FERRY_DOMAIN_AUTH_H

#include "base/ferr.h"
#include "base/sbuf.h"

#include <stddef.h>
#include <stdint.h>

/* Ordered: each level allows everything the ones below it do. */
enum perm {
    PERM_NO_PERMISSIONS = 0,
    PERM_READ,   /* read it */
    PERM_USE,    /* read it, and use it without changing it (score a deployment) */
    PERM_EDIT,   /* change it (MLflow's can_update) */
    PERM_MANAGE, /* delete it, and give permissions on it */
};
#define PERM_COUNT 5

/* "READ", ...; "NO_PERMISSIONS" for PERM_NO_PERMISSIONS. */
const char *perm_name(enum perm p);
/* The level named s (exactly, as MLflow takes it), or INVALID_PARAMETER_VALUE
 * "Invalid permission 'X'. Valid permissions are: ('READ', ...)". */
int perm_parse(const char *s, enum perm *out, struct ferr *err) WARN_UNUSED;

/* The kinds of resource a permission is given on. The later areas
 * (deployments, datasets, pipelines, triggers) add theirs here. */
enum res_kind {
    RES_EXPERIMENT,
    RES_REGISTERED_MODEL,
    RES_KIND_COUNT,
};
/* "experiment", "registered_model". */
const char *res_kind_name(enum res_kind k);

/* A token's scopes: for each kind of resource, the highest permission the
 * token carries (whatever its user has beyond that), optionally narrowed to
 * single resources; admin: whether it may act as its admin user does.
 * Written "experiment:EDIT,registered_model:READ" ("*:LEVEL" for every
 * kind, "admin" for admin rights, "experiment/7:EDIT" for experiment 7
 * alone: a process ferry starts logs with such a token); "" or "*" for all
 * of its user's rights. */
#define SCOPE_MAX_GRANTS 8
struct scope_grant {
    enum res_kind kind;
    char key[64]; /* an experiment id, a model name */
    enum perm max;
};
struct token_scopes {
    enum perm max[RES_KIND_COUNT]; /* on every resource of the kind */
    int admin;
    struct scope_grant grants[SCOPE_MAX_GRANTS]; /* on one resource, above max */
    size_t ngrants;
};
int token_scopes_parse(const char *s, struct token_scopes *out, struct ferr *err) WARN_UNUSED;
/* The most a token with sc may do on one resource. */
enum perm token_scopes_max(const struct token_scopes *sc, enum res_kind kind, const char *key);
void token_scopes_format(const struct token_scopes *sc, struct sbuf *out);

/* An Authorization header's credential. */
enum auth_scheme { AUTH_NONE, AUTH_BASIC, AUTH_BEARER, AUTH_MALFORMED };
struct auth_header {
    enum auth_scheme scheme;
    struct sbuf user;     /* basic: "user\0password" decoded; user.buf is the name */
    const char *password; /* basic: into user's buffer */
    const char *token;    /* bearer: into the header */
};
/* Reads "Basic <base64 user:password>" (no NUL in it, a ':' required) or
 * "Bearer <token>"; schemes are case-insensitive. NULL or "" is AUTH_NONE;
 * anything else AUTH_MALFORMED. Release with auth_header_release, which
 * wipes the password. */
void auth_header_parse(const char *h, struct auth_header *out);
void auth_header_release(struct auth_header *a);

/* An experiment id as the store reads it (digits, at most 18: "007" is
 * experiment 7) in its one spelling ("7"), into out; -1 for anything else
 * (left as given: the store refuses it). Permissions are kept and looked
 * up by this spelling. */
int auth_canonical_id(const char *id, char *out, size_t size);

/* A permission given to a user on one resource. */
struct resource_perm {
    char *key;  /* an experiment id, a registered model's name */
    char *user; /* the username */
    int64_t user_id;
    enum perm perm;
};
struct resource_perm_list {
    struct resource_perm *v;
    size_t n, alloc;
};
void resource_perm_list_release(struct resource_perm_list *l);

struct user {
    int64_t id;
    char *username;
    int is_admin;
    struct resource_perm_list experiment_perms, model_perms;
};
void user_release(struct user *u);
struct user_list {
    struct user *v;
    size_t n, alloc;
};
void user_list_release(struct user_list *l);

/* An API token as listed: never its secret, which only its creation shows. */
struct token_info {
    char *id;   /* "tok-" and 16 hex digits: names the token for revoking */
    char *user; /* its user's name */
    char *name; /* what its owner called it */
    char *scopes;
    int64_t created_ms, expires_ms, revoked_ms; /* 0: never, not */
};
void token_info_release(struct token_info *t);
struct token_info_list {
    struct token_info *v;
    size_t n, alloc;
};
void token_info_list_release(struct token_info_list *l);

#endif
