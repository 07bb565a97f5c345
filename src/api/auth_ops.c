/* SPDX-License-Identifier: MIT */
#include "api/auth_ops.h"
#include "store/auth.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MLFLOW "/api/2.0/mlflow"
#define FERRY  "/api/2.0/ferry"

/* ---------- entities ---------- */

static const char *str_of(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static char *dup_of(json_t *o, const char *key)
{
    const char *s = str_of(o, key);
    return s ? xstrdup(s) : NULL;
}

static int malformed(struct ferr *err, const char *what)
{
    return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed %s", what);
}

/* MLflow's ExperimentPermission / RegisteredModelPermission. */
static json_t *perm_json(const struct resource_perm *p, const char *key_name)
{
    return json_pack("{s:s, s:I, s:s}", key_name, p->key, "user_id", (json_int_t)p->user_id,
                     "permission", perm_name(p->perm));
}

static int perm_parse_json(json_t *j, struct resource_perm *p, const char *key_name,
                           struct ferr *err)
{
    struct ferr ignore = FERR_INIT;
    memset(p, 0, sizeof(*p));
    p->key = dup_of(j, key_name);
    p->user_id = json_integer_value(json_object_get(j, "user_id"));
    if (!p->key || perm_parse(str_of(j, "permission"), &p->perm, &ignore)) {
        free(p->key);
        p->key = NULL;
        return malformed(err, "permission");
    }
    return 0;
}

static json_t *exp_perm_to_json(const void *v)
{
    return perm_json(v, "experiment_id");
}
static int exp_perm_from_json(json_t *j, void *out, struct ferr *err)
{
    return perm_parse_json(j, out, "experiment_id", err);
}
static json_t *model_perm_to_json(const void *v)
{
    return perm_json(v, "name");
}
static int model_perm_from_json(json_t *j, void *out, struct ferr *err)
{
    return perm_parse_json(j, out, "name", err);
}
static void perm_release(void *v)
{
    struct resource_perm *p = v;
    free(p->key);
    free(p->user);
}
static const struct api_type exp_perm_type = {"experiment_permission",
                                              sizeof(struct resource_perm),
                                              exp_perm_to_json,
                                              exp_perm_from_json,
                                              perm_release,
                                              NULL};
static const struct api_type model_perm_type = {"registered_model_permission",
                                                sizeof(struct resource_perm),
                                                model_perm_to_json,
                                                model_perm_from_json,
                                                perm_release,
                                                NULL};

static json_t *perms_json(const struct resource_perm_list *l, const char *key_name)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, perm_json(&l->v[i], key_name));
    return a;
}

static int perms_parse(json_t *a, struct resource_perm_list *l, const char *key_name,
                       struct ferr *err)
{
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e)
    {
        ALLOC_GROW(l->v, l->n + 1, l->alloc);
        if (perm_parse_json(e, &l->v[l->n], key_name, err))
            return -1;
        l->n++;
    }
    return 0;
}

/* MLflow's User (no password hash: MLflow's to_json has none either). */
static json_t *user_to_json(const void *v)
{
    const struct user *u = v;
    json_t *o = json_pack("{s:I, s:s, s:b}", "id", (json_int_t)u->id, "username", u->username,
                          "is_admin", u->is_admin);
    if (o) {
        json_object_set_new(o, "experiment_permissions",
                            perms_json(&u->experiment_perms, "experiment_id"));
        json_object_set_new(o, "registered_model_permissions", perms_json(&u->model_perms, "name"));
        /* MLflow 3's User.from_json reads it unconditionally; ferry has no
         * scorers to give permissions on */
        json_object_set_new(o, "scorer_permissions", json_array());
    }
    return o;
}

static int user_from_json(json_t *j, void *out, struct ferr *err)
{
    struct user *u = out;
    memset(u, 0, sizeof(*u));
    u->id = json_integer_value(json_object_get(j, "id"));
    u->username = dup_of(j, "username");
    u->is_admin = json_is_true(json_object_get(j, "is_admin"));
    if (!u->username ||
        perms_parse(json_object_get(j, "experiment_permissions"), &u->experiment_perms,
                    "experiment_id", err) ||
        perms_parse(json_object_get(j, "registered_model_permissions"), &u->model_perms, "name",
                    err)) {
        user_release(u);
        return u->username ? -1 : malformed(err, "user");
    }
    return 0;
}

static void user_free_fields(void *v)
{
    user_release(v);
}

static const struct api_type user_type = {"user",         sizeof(struct user), user_to_json,
                                          user_from_json, user_free_fields,    NULL};

static json_t *token_to_json(const void *v)
{
    const struct token_info *t = v;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", t->id, "username", t->user, "name",
                          t->name, "scopes", t->scopes, "created_ms", (json_int_t)t->created_ms);
    if (o && t->expires_ms)
        json_object_set_new(o, "expires_ms", json_integer(t->expires_ms));
    if (o && t->revoked_ms)
        json_object_set_new(o, "revoked_ms", json_integer(t->revoked_ms));
    return o;
}

static int token_from_json(json_t *j, void *out, struct ferr *err)
{
    struct token_info *t = out;
    memset(t, 0, sizeof(*t));
    t->id = dup_of(j, "id");
    t->user = dup_of(j, "username");
    t->name = dup_of(j, "name");
    t->scopes = dup_of(j, "scopes");
    t->created_ms = json_integer_value(json_object_get(j, "created_ms"));
    t->expires_ms = json_integer_value(json_object_get(j, "expires_ms"));
    t->revoked_ms = json_integer_value(json_object_get(j, "revoked_ms"));
    if (!t->id || !t->user || !t->name || !t->scopes) {
        token_info_release(t);
        return malformed(err, "token");
    }
    return 0;
}

static void token_free_fields(void *v)
{
    token_info_release(v);
}

static const struct api_type token_type = {
    "token", sizeof(struct token_info), token_to_json, token_from_json, token_free_fields, NULL};

/* ---------- messages ---------- */

static const struct api_field user_create_fields[] = {
    F_STR(struct rq_user, username, "username", AF_REQUIRED),
    F_STR(struct rq_user, password, "password", AF_REQUIRED),
};
static const struct api_msg user_create_req = API_MSG(struct rq_user, user_create_fields);
static const struct api_field username_fields[] = {
    F_STR(struct rq_user, username, "username", AF_REQUIRED),
};
static const struct api_msg username_req = API_MSG(struct rq_user, username_fields);
static const struct api_field user_admin_fields[] = {
    F_STR(struct rq_user, username, "username", AF_REQUIRED),
    F_BOOL(struct rq_user, is_admin, "is_admin", AF_REQUIRED),
};
static const struct api_msg user_admin_req = API_MSG(struct rq_user, user_admin_fields);
static const struct api_field user_fields[] = {
    F_OBJ(struct rs_user, user, "user", 0, &user_type),
};
static const struct api_msg user_resp = API_MSG(struct rs_user, user_fields);
static const struct api_field users_fields[] = {
    F_LIST(struct rs_users, users.v, users.n, users.alloc, "users", 0, &user_type),
};
static const struct api_msg users_resp = API_MSG(struct rs_users, users_fields);
static const struct api_msg no_req = {sizeof(struct rq_user), NULL, 0};

static const struct api_field exp_perm_fields[] = {
    F_STR(struct rq_perm, key, "experiment_id", AF_REQUIRED),
    F_STR(struct rq_perm, username, "username", AF_REQUIRED),
    F_STR(struct rq_perm, permission, "permission", AF_REQUIRED),
};
static const struct api_msg exp_perm_req = API_MSG(struct rq_perm, exp_perm_fields);
static const struct api_field exp_perm_key_fields[] = {
    F_STR(struct rq_perm, key, "experiment_id", AF_REQUIRED),
    F_STR(struct rq_perm, username, "username", AF_REQUIRED),
};
static const struct api_msg exp_perm_key_req = API_MSG(struct rq_perm, exp_perm_key_fields);
static const struct api_field exp_perm_resp_fields[] = {
    F_OBJ(struct rs_perm, perm, "experiment_permission", 0, &exp_perm_type),
};
static const struct api_msg exp_perm_resp = API_MSG(struct rs_perm, exp_perm_resp_fields);

static const struct api_field model_perm_fields[] = {
    F_STR(struct rq_perm, key, "name", AF_REQUIRED),
    F_STR(struct rq_perm, username, "username", AF_REQUIRED),
    F_STR(struct rq_perm, permission, "permission", AF_REQUIRED),
};
static const struct api_msg model_perm_req = API_MSG(struct rq_perm, model_perm_fields);
static const struct api_field model_perm_key_fields[] = {
    F_STR(struct rq_perm, key, "name", AF_REQUIRED),
    F_STR(struct rq_perm, username, "username", AF_REQUIRED),
};
static const struct api_msg model_perm_key_req = API_MSG(struct rq_perm, model_perm_key_fields);
static const struct api_field model_perm_resp_fields[] = {
    F_OBJ(struct rs_perm, perm, "registered_model_permission", 0, &model_perm_type),
};
static const struct api_msg model_perm_resp = API_MSG(struct rs_perm, model_perm_resp_fields);

static const struct api_field token_create_fields[] = {
    F_STR(struct rq_token_create, username, "username", AF_OMIT_EMPTY),
    F_STR(struct rq_token_create, name, "name", AF_REQUIRED),
    F_STR(struct rq_token_create, scopes, "scopes", AF_OMIT_EMPTY),
    F_INT(struct rq_token_create, expires_in_days, "expires_in_days", AF_OMIT_EMPTY, 0),
};
static const struct api_msg token_create_req = API_MSG(struct rq_token_create, token_create_fields);
static const struct api_field token_created_fields[] = {
    F_STR(struct rs_token_create, token, "token", 0),
    F_OBJ(struct rs_token_create, info, "token_info", 0, &token_type),
};
static const struct api_msg token_created_resp =
    API_MSG(struct rs_token_create, token_created_fields);
static const struct api_field tokens_list_fields[] = {
    F_STR(struct rq_tokens, username, "username", AF_OMIT_EMPTY),
};
static const struct api_msg tokens_list_req = API_MSG(struct rq_tokens, tokens_list_fields);
static const struct api_field token_revoke_fields[] = {
    F_STR(struct rq_tokens, token_id, "token_id", AF_REQUIRED),
};
static const struct api_msg token_revoke_req = API_MSG(struct rq_tokens, token_revoke_fields);
static const struct api_field tokens_fields[] = {
    F_LIST(struct rs_tokens, tokens.v, tokens.n, tokens.alloc, "tokens", 0, &token_type),
};
static const struct api_msg tokens_resp = API_MSG(struct rs_tokens, tokens_fields);

/* ---------- functions ---------- */

enum user_act { U_CREATE, U_GET, U_PASSWORD, U_ADMIN, U_DELETE, U_LIST };

static int x_users(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                   struct ferr *err)
{
    struct rq_user *q = req;
    switch ((enum user_act)op->arg) {
    case U_CREATE:
        return store_create_user(env->store, q->username, q->password, 0,
                                 &((struct rs_user *)resp)->user, err);
    case U_GET:
        return store_get_user(env->store, q->username, &((struct rs_user *)resp)->user, err);
    case U_PASSWORD:
        return store_update_user_password(env->store, q->username, q->password, err);
    case U_ADMIN:
        return store_update_user_admin(env->store, q->username, q->is_admin, err);
    case U_DELETE:
        return store_delete_user(env->store, q->username, err);
    case U_LIST:
        return store_list_users(env->store, &((struct rs_users *)resp)->users, err);
    }
    return ferr_set(err, FERR_INTERNAL_ERROR, "unknown user operation");
}

enum perm_act { P_CREATE, P_GET, P_UPDATE, P_DELETE };
#define PERM_ARG(act, kind) ((intptr_t)(act)*RES_KIND_COUNT + (intptr_t)(kind))

static int x_perms(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                   struct ferr *err)
{
    struct rq_perm *q = req;
    enum res_kind kind = (enum res_kind)(op->arg % RES_KIND_COUNT);
    enum perm_act act = (enum perm_act)(op->arg / RES_KIND_COUNT);
    enum perm p = PERM_NO_PERMISSIONS;
    if ((act == P_CREATE || act == P_UPDATE) && perm_parse(q->permission, &p, err))
        return -1;
    switch (act) {
    case P_CREATE:
        return store_create_permission(env->store, kind, q->key, q->username, p,
                                       &((struct rs_perm *)resp)->perm, err);
    case P_GET:
        return store_get_permission(env->store, kind, q->key, q->username,
                                    &((struct rs_perm *)resp)->perm, err);
    case P_UPDATE:
        return store_update_permission(env->store, kind, q->key, q->username, p, err);
    case P_DELETE:
        return store_delete_permission(env->store, kind, q->key, q->username, err);
    }
    return ferr_set(err, FERR_INTERNAL_ERROR, "unknown permission operation");
}

/* Whose tokens a request is about: the one named, else the caller (when
 * the server checked who calls); NULL: everyone's (an admin, the CLI). */
static const char *token_owner(const struct api_env *env, const char *named)
{
    if (named && *named)
        return named;
    return env->authenticated && !env->is_admin ? env->user : NULL;
}

static int x_tokens_create(const struct api_env *env, const struct api_op *op, void *req,
                           void *resp, struct ferr *err)
{
    (void)op;
    struct rq_token_create *q = req;
    struct rs_token_create *r = resp;
    const char *user = q->username && *q->username ? q->username : env->user;
    struct sbuf secret = SBUF_INIT;
    if (!user)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Missing value for required parameter 'username'. See the API docs for "
                        "more information about request parameters.");
    if (q->expires_in_days < 0 || q->expires_in_days > 3650)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "expires_in_days must be between 0 (never) and 3650, got %lld",
                        (long long)q->expires_in_days);
    if (store_create_token(env->store, user, q->name, q->scopes,
                           q->expires_in_days * 24 * 3600 * 1000, &secret, &r->info, err))
        return -1;
    r->token = sbuf_detach(&secret, NULL);
    return 0;
}

static int x_tokens_list(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                         struct ferr *err)
{
    (void)op;
    struct rq_tokens *q = req;
    return store_list_tokens(env->store, token_owner(env, q->username),
                             &((struct rs_tokens *)resp)->tokens, err);
}

static int x_tokens_revoke(const struct api_env *env, const struct api_op *op, void *req,
                           void *resp, struct ferr *err)
{
    (void)op;
    (void)resp;
    struct rq_tokens *q = req;
    return store_revoke_token(env->store, q->token_id, token_owner(env, NULL), err);
}

/* ---------- rows ---------- */

#define ROW(nm, rt, p, m, rq, rs, fn, a, acc, loc, fld)                                            \
    {                                                                                              \
        .name = nm, .root = rt, .path = p, .methods = m, .call = m, .flags = OP_AUTH | OP_AJAX,    \
        .max_body = API_BODY_SMALL, .req = rq, .resp = rs, .exec = fn, .arg = a, .res = {          \
            acc,                                                                                   \
            loc,                                                                                   \
            fld                                                                                    \
        }                                                                                          \
    }

const struct api_op api_users_create =
    ROW("users/create", MLFLOW, "users/create", HTTP_POST, &user_create_req, &user_resp, x_users,
        U_CREATE, ACCESS_ADMIN, LOC_NONE, NULL);
const struct api_op api_users_get =
    ROW("users/get", MLFLOW, "users/get", HTTP_GET, &username_req, &user_resp, x_users, U_GET,
        ACCESS_SELF, LOC_USERNAME, "username");
const struct api_op api_users_update_password =
    ROW("users/update-password", MLFLOW, "users/update-password", HTTP_PATCH, &user_create_req,
        NULL, x_users, U_PASSWORD, ACCESS_SELF, LOC_USERNAME, "username");
const struct api_op api_users_update_admin =
    ROW("users/update-admin", MLFLOW, "users/update-admin", HTTP_PATCH, &user_admin_req, NULL,
        x_users, U_ADMIN, ACCESS_ADMIN, LOC_NONE, NULL);
const struct api_op api_users_delete =
    ROW("users/delete", MLFLOW, "users/delete", HTTP_DELETE, &username_req, NULL, x_users, U_DELETE,
        ACCESS_ADMIN, LOC_NONE, NULL);
const struct api_op api_users_list =
    ROW("users/list", FERRY, "users/list", HTTP_GET, &no_req, &users_resp, x_users, U_LIST,
        ACCESS_ADMIN, LOC_NONE, NULL);

#define EXP_PERM(id, verb, m, rq, rs, act)                                                         \
    static const struct api_op id = ROW(                                                           \
        "experiments/permissions/" verb, MLFLOW, "experiments/permissions/" verb, m, rq, rs,       \
        x_perms, PERM_ARG(act, RES_EXPERIMENT), ACCESS_MANAGE, LOC_EXPERIMENT_ID, "experiment_id")
#define MODEL_PERM(id, verb, m, rq, rs, act)                                                       \
    static const struct api_op id =                                                                \
        ROW("registered-models/permissions/" verb, MLFLOW, "registered-models/permissions/" verb,  \
            m, rq, rs, x_perms, PERM_ARG(act, RES_REGISTERED_MODEL), ACCESS_MANAGE,                \
            LOC_MODEL_NAME, "name")
EXP_PERM(exp_perm_create, "create", HTTP_POST, &exp_perm_req, &exp_perm_resp, P_CREATE);
EXP_PERM(exp_perm_get, "get", HTTP_GET, &exp_perm_key_req, &exp_perm_resp, P_GET);
EXP_PERM(exp_perm_update, "update", HTTP_PATCH, &exp_perm_req, NULL, P_UPDATE);
EXP_PERM(exp_perm_delete, "delete", HTTP_DELETE, &exp_perm_key_req, NULL, P_DELETE);
MODEL_PERM(model_perm_create, "create", HTTP_POST, &model_perm_req, &model_perm_resp, P_CREATE);
MODEL_PERM(model_perm_get, "get", HTTP_GET, &model_perm_key_req, &model_perm_resp, P_GET);
MODEL_PERM(model_perm_update, "update", HTTP_PATCH, &model_perm_req, NULL, P_UPDATE);
MODEL_PERM(model_perm_delete, "delete", HTTP_DELETE, &model_perm_key_req, NULL, P_DELETE);

const struct api_op api_tokens_create =
    ROW("tokens/create", FERRY, "tokens/create", HTTP_POST, &token_create_req, &token_created_resp,
        x_tokens_create, 0, ACCESS_SELF, LOC_USERNAME, "username");
const struct api_op api_tokens_list =
    ROW("tokens/list", FERRY, "tokens/list", HTTP_GET, &tokens_list_req, &tokens_resp,
        x_tokens_list, 0, ACCESS_SELF, LOC_USERNAME, "username");
/* Anyone may try; the store finds the token among the caller's own
 * (everyone's for an admin). */
const struct api_op api_tokens_revoke =
    ROW("tokens/revoke", FERRY, "tokens/revoke", HTTP_POST, &token_revoke_req, NULL,
        x_tokens_revoke, 0, ACCESS_SELF, LOC_NONE, NULL);

static const struct api_op *const auth_ops[] = {
    &api_users_create,  &api_users_get,     &api_users_update_password, &api_users_update_admin,
    &api_users_delete,  &api_users_list,    &exp_perm_create,           &exp_perm_get,
    &exp_perm_update,   &exp_perm_delete,   &model_perm_create,         &model_perm_get,
    &model_perm_update, &model_perm_delete, &api_tokens_create,         &api_tokens_list,
    &api_tokens_revoke,
};
const struct api_area api_auth_area = {"auth", auth_ops, sizeof(auth_ops) / sizeof(*auth_ops)};
