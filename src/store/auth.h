/* SPDX-License-Identifier: MIT
 * The store's auth area: users (passwords kept as scrypt hashes), the
 * permissions they are given on experiments and registered models, and
 * API tokens (kept as SHA-256 digests of their secrets). The front
 * validates and hashes; the messages are MLflow's basic-auth app's where it
 * has them. Same conventions as store.h: 0, or -1 with err set and nothing
 * changed. Below the functions, the backend contract for the area. */
#ifndef FERRY_STORE_AUTH_H
#define FERRY_STORE_AUTH_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "domain/auth.h"
#include "store/store.h"

/* Who a credential belongs to, once checked. */
struct principal {
    int64_t user_id;
    char *username;
    int is_admin;
    int by_token;               /* a token, whose scopes then bound its user's rights */
    struct token_scopes scopes; /* by_token */
    int64_t expires_ms;         /* by_token: when the token expires (0: never) */
};
void principal_release(struct principal *p);

/* A new user. Usernames are 1..256 characters; passwords must not be empty.
 * RESOURCE_ALREADY_EXISTS "User (username=x) already exists.". */
int store_create_user(struct store *s, const char *username, const char *password, int is_admin,
                      struct user *out, struct ferr *err) WARN_UNUSED;
/* A user with the permissions given to it. RESOURCE_DOES_NOT_EXIST "User
 * with username=x not found". */
int store_get_user(struct store *s, const char *username, struct user *out,
                   struct ferr *err) WARN_UNUSED;
/* Every user, by name, without permissions. */
int store_list_users(struct store *s, struct user_list *out, struct ferr *err) WARN_UNUSED;
int store_update_user_password(struct store *s, const char *username, const char *password,
                               struct ferr *err) WARN_UNUSED;
int store_update_user_admin(struct store *s, const char *username, int is_admin,
                            struct ferr *err) WARN_UNUSED;
/* Deletes the user with its permissions and tokens. */
int store_delete_user(struct store *s, const char *username, struct ferr *err) WARN_UNUSED;
int store_count_admins(struct store *s, int64_t *n, struct ferr *err) WARN_UNUSED;

/* Checks a password (one scrypt run: cache the outcome). UNAUTHENTICATED
 * for an unknown user or a wrong password alike. */
int store_authenticate(struct store *s, const char *username, const char *password,
                       struct principal *out, struct ferr *err) WARN_UNUSED;
/* Checks an API token: UNAUTHENTICATED when unknown, revoked or expired. */
int store_authenticate_token(struct store *s, const char *token, struct principal *out,
                             struct ferr *err) WARN_UNUSED;

/* Permissions on a resource (an experiment id, a registered model's name),
 * which need not exist (as in MLflow). create: RESOURCE_ALREADY_EXISTS if
 * the pair has one; update: RESOURCE_DOES_NOT_EXIST if it has none. */
int store_create_permission(struct store *s, enum res_kind kind, const char *key,
                            const char *username, enum perm perm, struct resource_perm *out,
                            struct ferr *err) WARN_UNUSED;
int store_update_permission(struct store *s, enum res_kind kind, const char *key,
                            const char *username, enum perm perm, struct ferr *err) WARN_UNUSED;
int store_get_permission(struct store *s, enum res_kind kind, const char *key, const char *username,
                         struct resource_perm *out, struct ferr *err) WARN_UNUSED;
/* username NULL: every user's permission on the resource (a registered
 * model deleted, so a new one of its name starts clean); none is fine. */
int store_delete_permission(struct store *s, enum res_kind kind, const char *key,
                            const char *username, struct ferr *err) WARN_UNUSED;
/* Every permission on resource from moves to resource to (a renamed
 * registered model keeps its grants; none is fine). */
int store_move_permissions(struct store *s, enum res_kind kind, const char *from, const char *to,
                           struct ferr *err) WARN_UNUSED;
/* The hot path of every request: user_id's permission on the resource;
 * *found 0 when none is given (the server's default applies). */
int store_lookup_permission(struct store *s, enum res_kind kind, const char *key, int64_t user_id,
                            enum perm *out, int *found, struct ferr *err) WARN_UNUSED;

/* A new token for username, named name, with scopes (token_scopes_parse's
 * form) and a lifetime (0: none). The secret goes to *secret; it is shown
 * this once and stored only as a digest. */
int store_create_token(struct store *s, const char *username, const char *name, const char *scopes,
                       int64_t lifetime_ms, struct sbuf *secret, struct token_info *out,
                       struct ferr *err) WARN_UNUSED;
/* username NULL: every user's. Newest first. */
int store_list_tokens(struct store *s, const char *username, struct token_info_list *out,
                      struct ferr *err) WARN_UNUSED;
/* only_user non-NULL: the token must be that user's (else not found). */
int store_revoke_token(struct store *s, const char *id, const char *only_user,
                       struct ferr *err) WARN_UNUSED;

/* ---------- the auth backend contract (see store/backend.h) ---------- */

struct store_auth_ops {
    /* RESOURCE_ALREADY_EXISTS when the name is taken. */
    int (*create_user)(struct store *s, const char *username, const char *hash, int is_admin,
                       int64_t *id, struct ferr *err);
    /* with_perms: also the user's permissions; hash: its password hash (may be NULL). */
    int (*get_user)(struct store *s, const char *username, int with_perms, struct user *out,
                    char **hash, struct ferr *err);
    int (*list_users)(struct store *s, struct user_list *out, struct ferr *err);
    /* hash NULL: kept; is_admin < 0: kept. */
    int (*update_user)(struct store *s, const char *username, const char *hash, int is_admin,
                       struct ferr *err);
    int (*delete_user)(struct store *s, const char *username, struct ferr *err);
    int (*count_admins)(struct store *s, int64_t *n, struct ferr *err);
    /* create 1: insert (exists: RESOURCE_ALREADY_EXISTS); 0: update (none:
     * RESOURCE_DOES_NOT_EXIST). out may be NULL. */
    int (*put_perm)(struct store *s, enum res_kind kind, const char *key, const char *username,
                    enum perm perm, int create, struct resource_perm *out, struct ferr *err);
    int (*get_perm)(struct store *s, enum res_kind kind, const char *key, const char *username,
                    struct resource_perm *out, struct ferr *err);
    int (*delete_perm)(struct store *s, enum res_kind kind, const char *key, const char *username,
                       struct ferr *err);
    int (*move_perms)(struct store *s, enum res_kind kind, const char *from, const char *to,
                      struct ferr *err);
    int (*lookup_perm)(struct store *s, enum res_kind kind, const char *key, int64_t user_id,
                       enum perm *out, int *found, struct ferr *err);
    /* t: id, user (a username: RESOURCE_DOES_NOT_EXIST if unknown), name,
     * scopes, times. */
    int (*create_token)(struct store *s, const struct token_info *t, const char *digest,
                        struct ferr *err);
    /* The token of a digest with its user: RESOURCE_DOES_NOT_EXIST when none. */
    int (*find_token)(struct store *s, const char *digest, struct token_info *out, int64_t *user_id,
                      int *is_admin, struct ferr *err);
    int (*list_tokens)(struct store *s, const char *username, struct token_info_list *out,
                       struct ferr *err);
    int (*revoke_token)(struct store *s, const char *id, const char *only_user, int64_t now_ms,
                        struct ferr *err);
};

#endif
