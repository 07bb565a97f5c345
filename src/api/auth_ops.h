/* SPDX-License-Identifier: MIT
 * The auth area's rows: users and permissions at MLflow's basic-auth app's
 * paths and shapes (/api/2.0/mlflow/users/..., experiments/permissions/...,
 * registered-models/permissions/...), and ferry's own users/list and API
 * tokens (/api/2.0/ferry/...). Each row declares who may call it (admins,
 * the user named, or MANAGE on the resource); auth/guard.c checks that
 * before the row runs. */
#ifndef FERRY_API_AUTH_OPS_H
#define FERRY_API_AUTH_OPS_H

#include "api/op.h"
#include "domain/auth.h"

extern const struct api_area api_auth_area;

struct rq_user {
    const char *username, *password;
    int is_admin;
};
struct rs_user {
    struct user user;
};
struct rs_users {
    struct user_list users;
};

/* experiments/permissions/... (key: experiment_id) and
 * registered-models/permissions/... (key: name). */
struct rq_perm {
    const char *key, *username, *permission;
};
struct rs_perm {
    struct resource_perm perm;
};

struct rq_token_create {
    const char *username; /* absent: the caller's */
    const char *name;
    const char *scopes;      /* token_scopes_parse's form; absent: all of the user's rights */
    int64_t expires_in_days; /* 0: never */
};
struct rs_token_create {
    char *token; /* the secret: shown this once */
    struct token_info info;
};
struct rq_tokens {
    const char *username; /* list: absent is the caller's (an admin's: everyone's) */
    const char *token_id; /* revoke */
};
struct rs_tokens {
    struct token_info_list tokens;
};

extern const struct api_op api_users_create, api_users_get, api_users_update_password,
    api_users_update_admin, api_users_delete, api_users_list, api_tokens_create, api_tokens_list,
    api_tokens_revoke;

#endif
