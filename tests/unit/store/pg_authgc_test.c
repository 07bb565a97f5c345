/* SPDX-License-Identifier: MIT
 * The auth and gc areas (store/auth.h, store/gc.h) on the store under test
 * (test_store_uri: SQLite by default, PostgreSQL with FERRY_TEST_STORE=
 * postgres), held to the same answers and messages on both: users and the
 * only-admin rule, permissions (get/update/delete/move), tokens, gc through
 * the tracking area. PostgreSQL alone: gc on rows written directly, and
 * replicas (two stores on one database) racing to demote the last two
 * admins leave one. */
#include "../test.h"
#include "fixtures.h"
#include "base/secret.h"
#include "store/auth.h"
#include "store/gc.h"
#include "store/store.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <string.h>

static struct store *open_uri(const char *uri, int group_commit)
{
    struct store_opts o = STORE_OPTS_INIT;
    o.default_artifact_root = "/artifacts";
    o.group_commit = group_commit;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    return s;
}

static struct store *open_store(void)
{
    char *uri = test_store_uri("authgc");
    struct store *s = open_uri(uri, 1);
    free(uri);
    return s;
}

/* Runs sql on the PostgreSQL database uri names; the first cell of its
 * result, if it has one (a new string), else NULL. */
static char *pg_query(const char *uri, const char *sql)
{
    PGconn *c = PQconnectdb(uri);
    if (PQstatus(c) != CONNECTION_OK)
        FAIL_AT("cannot connect to %s: %s", uri, PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        FAIL_AT("%s: %s", sql, PQerrorMessage(c));
    char *v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) && PQnfields(r)
                  ? strdup(PQgetvalue(r, 0, 0))
                  : NULL;
    PQclear(r);
    PQfinish(c);
    return v;
}

static void pg_exec(const char *uri, const char *sql)
{
    free(pg_query(uri, sql));
}

/* A check of the store under test, on a fresh one. */
#define CHECK(name)                                                                                \
    static void check_##name(struct store *s);                                                     \
    STORE_TEST(name)                                                                               \
    {                                                                                              \
        struct store *s = open_store();                                                            \
        check_##name(s);                                                                           \
        store_close(s);                                                                            \
    }                                                                                              \
    static void check_##name(struct store *s)

static void new_user(struct store *s, const char *name, int admin, int64_t *id)
{
    struct user u;
    memset(&u, 0, sizeof(u));
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_create_user(s, name, "pw", admin, &u, &err), &err);
    if (id)
        *id = u.id;
    user_release(&u);
}

/* ---------- users ---------- */

CHECK(authgc_users)
{
    struct ferr err = FERR_INIT;
    struct user u;
    memset(&u, 0, sizeof(u));
    struct principal who;
    int64_t admins = -1;
    ASSERT_OK(store_count_admins(s, &admins, &err), &err);
    ASSERT_INT_EQ(admins, 0);
    ASSERT_OK(store_create_user(s, "ann", "pw-ann", 1, &u, &err), &err);
    ASSERT(u.id > 0 && u.is_admin);
    user_release(&u);
    ASSERT_FAILS(store_create_user(s, "ann", "other", 0, &u, &err), &err,
                 FERR_RESOURCE_ALREADY_EXISTS);
    ASSERT_STR_EQ(err.msg, "User (username=ann) already exists.");
    /* the failed insert left the store usable (PostgreSQL aborts its transaction) */
    ASSERT_OK(store_count_admins(s, &admins, &err), &err);
    ASSERT_INT_EQ(admins, 1);
    ASSERT_OK(store_authenticate(s, "ann", "pw-ann", &who, &err), &err);
    ASSERT(who.is_admin && !who.by_token);
    ASSERT_STR_EQ(who.username, "ann");
    principal_release(&who);
    ASSERT_FAILS(store_authenticate(s, "ann", "pw-anm", &who, &err), &err, FERR_UNAUTHENTICATED);
    ASSERT_FAILS(store_authenticate(s, "bob", "pw-ann", &who, &err), &err, FERR_UNAUTHENTICATED);
    ASSERT_OK(store_update_user_password(s, "ann", "new", &err), &err);
    ASSERT_FAILS(store_authenticate(s, "ann", "pw-ann", &who, &err), &err, FERR_UNAUTHENTICATED);
    ASSERT_OK(store_authenticate(s, "ann", "new", &who, &err), &err);
    ASSERT(who.is_admin); /* a new password keeps the admin flag */
    principal_release(&who);
    ASSERT_FAILS(store_update_user_password(s, "ghost", "x", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "User with username=ghost not found");
    /* the only admin stays one */
    ASSERT_FAILS(store_update_user_admin(s, "ann", 0, &err), &err, FERR_INVALID_STATE);
    ASSERT_STR_EQ(err.msg, "'ann' is the only admin: make another user an admin first");
    ASSERT_FAILS(store_delete_user(s, "ann", &err), &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "only admin");
    new_user(s, "ben", 1, NULL);
    new_user(s, "Zed", 0, NULL);
    new_user(s, "al", 0, NULL);
    ASSERT_OK(store_update_user_admin(s, "ann", 0, &err), &err);
    ASSERT_OK(store_update_user_admin(s, "ann", 0, &err), &err); /* already not: fine */
    ASSERT_FAILS(store_delete_user(s, "ben", &err), &err, FERR_INVALID_STATE);
    ASSERT_FAILS(store_update_user_admin(s, "ghost", 1, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "User with username=ghost not found");
    ASSERT_FAILS(store_update_user_admin(s, "ghost", 0, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_delete_user(s, "ghost", &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "User with username=ghost not found");
    ASSERT_OK(store_count_admins(s, &admins, &err), &err);
    ASSERT_INT_EQ(admins, 1);

    /* listed by name, byte-wise (upper case first), without permissions */
    struct user_list l = {0};
    ASSERT_OK(store_list_users(s, &l, &err), &err);
    ASSERT_INT_EQ((long long)l.n, 4);
    ASSERT_STR_EQ(l.v[0].username, "Zed");
    ASSERT_STR_EQ(l.v[1].username, "al");
    ASSERT_STR_EQ(l.v[2].username, "ann");
    ASSERT_STR_EQ(l.v[3].username, "ben");
    ASSERT(!l.v[2].is_admin && l.v[3].is_admin);
    user_list_release(&l);
    ASSERT_OK(store_delete_user(s, "al", &err), &err);
    ASSERT_FAILS(store_get_user(s, "al", &u, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "User with username=al not found");
    ASSERT_OK(store_get_user(s, "Zed", &u, &err), &err);
    ASSERT(!u.is_admin && u.experiment_perms.n == 0 && u.model_perms.n == 0);
    user_release(&u);
}

/* ---------- permissions ---------- */

CHECK(authgc_permissions)
{
    struct ferr err = FERR_INIT;
    struct user u;
    memset(&u, 0, sizeof(u));
    struct resource_perm rp;
    enum perm p;
    int found;
    int64_t cy, di;
    new_user(s, "cy", 0, &cy);
    new_user(s, "di", 0, &di);
    ASSERT_OK(store_create_permission(s, RES_EXPERIMENT, "7", "cy", PERM_EDIT, &rp, &err), &err);
    ASSERT(rp.user_id == cy && rp.perm == PERM_EDIT);
    ASSERT_STR_EQ(rp.key, "7");
    ASSERT_STR_EQ(rp.user, "cy");
    free(rp.key);
    free(rp.user);
    ASSERT_FAILS(store_create_permission(s, RES_EXPERIMENT, "7", "cy", PERM_READ, &rp, &err), &err,
                 FERR_RESOURCE_ALREADY_EXISTS);
    ASSERT_STR_EQ(err.msg, "Experiment permission (experiment_id=7, username=cy) already exists.");
    ASSERT_OK(store_create_permission(s, RES_REGISTERED_MODEL, "m", "cy", PERM_READ, NULL, &err),
              &err);
    ASSERT_FAILS(store_create_permission(s, RES_REGISTERED_MODEL, "m", "cy", PERM_READ, NULL, &err),
                 &err, FERR_RESOURCE_ALREADY_EXISTS);
    ASSERT_STR_EQ(err.msg, "Registered model permission (name=m, username=cy) already exists.");
    ASSERT_FAILS(store_create_permission(s, RES_EXPERIMENT, "7", "ghost", PERM_READ, NULL, &err),
                 &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "User with username=ghost not found");
    ASSERT_OK(store_create_permission(s, RES_EXPERIMENT, "12", "cy", PERM_MANAGE, NULL, &err),
              &err);
    ASSERT_OK(store_create_permission(s, RES_EXPERIMENT, "7", "di", PERM_READ, NULL, &err), &err);

    ASSERT_OK(store_lookup_permission(s, RES_EXPERIMENT, "7", cy, &p, &found, &err), &err);
    ASSERT(found && p == PERM_EDIT);
    /* the kinds are apart: a model named "7" is another resource */
    ASSERT_OK(store_lookup_permission(s, RES_REGISTERED_MODEL, "7", cy, &p, &found, &err), &err);
    ASSERT(!found);
    ASSERT_OK(store_lookup_permission(s, RES_EXPERIMENT, "7", 999999, &p, &found, &err), &err);
    ASSERT(!found);

    /* a user's permissions, by kind then key (text: "12" before "7") */
    ASSERT_OK(store_get_user(s, "cy", &u, &err), &err);
    ASSERT_INT_EQ((long long)u.experiment_perms.n, 2);
    ASSERT_STR_EQ(u.experiment_perms.v[0].key, "12");
    ASSERT_INT_EQ(u.experiment_perms.v[0].perm, PERM_MANAGE);
    ASSERT_STR_EQ(u.experiment_perms.v[1].key, "7");
    ASSERT_STR_EQ(u.experiment_perms.v[1].user, "cy");
    ASSERT_INT_EQ(u.experiment_perms.v[1].user_id, cy);
    ASSERT_INT_EQ((long long)u.model_perms.n, 1);
    ASSERT_STR_EQ(u.model_perms.v[0].key, "m");
    user_release(&u);

    ASSERT_OK(store_get_permission(s, RES_EXPERIMENT, "7", "di", &rp, &err), &err);
    ASSERT(rp.user_id == di && rp.perm == PERM_READ);
    free(rp.key);
    free(rp.user);
    ASSERT_FAILS(store_get_permission(s, RES_EXPERIMENT, "8", "di", &rp, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "Experiment permission with experiment_id=8 and username=di not found");
    ASSERT_FAILS(store_get_permission(s, RES_EXPERIMENT, "7", "ghost", &rp, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "User with username=ghost not found");

    ASSERT_OK(store_update_permission(s, RES_EXPERIMENT, "7", "di", PERM_USE, &err), &err);
    ASSERT_OK(store_lookup_permission(s, RES_EXPERIMENT, "7", di, &p, &found, &err), &err);
    ASSERT(found && p == PERM_USE);
    ASSERT_FAILS(store_update_permission(s, RES_REGISTERED_MODEL, "m", "di", PERM_READ, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "Registered model permission with name=m and username=di not found");
    ASSERT_FAILS(store_update_permission(s, RES_EXPERIMENT, "7", "ghost", PERM_READ, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "User with username=ghost not found");

    /* a renamed model keeps its grants, over any its new name had (as
     * SQLite's UPDATE OR REPLACE has it) */
    ASSERT_OK(store_create_permission(s, RES_REGISTERED_MODEL, "m", "di", PERM_EDIT, NULL, &err),
              &err);
    ASSERT_OK(store_create_permission(s, RES_REGISTERED_MODEL, "n", "di", PERM_MANAGE, NULL, &err),
              &err);
    int64_t eve;
    new_user(s, "eve", 0, &eve);
    ASSERT_OK(store_create_permission(s, RES_REGISTERED_MODEL, "n", "eve", PERM_READ, NULL, &err),
              &err);
    ASSERT_OK(store_move_permissions(s, RES_REGISTERED_MODEL, "m", "m", &err), &err);
    ASSERT_OK(store_lookup_permission(s, RES_REGISTERED_MODEL, "m", cy, &p, &found, &err), &err);
    ASSERT(found && p == PERM_READ);
    ASSERT_OK(store_move_permissions(s, RES_REGISTERED_MODEL, "m", "n", &err), &err);
    ASSERT_OK(store_lookup_permission(s, RES_REGISTERED_MODEL, "m", cy, &p, &found, &err), &err);
    ASSERT(!found);
    ASSERT_OK(store_lookup_permission(s, RES_REGISTERED_MODEL, "m", di, &p, &found, &err), &err);
    ASSERT(!found);
    ASSERT_OK(store_lookup_permission(s, RES_REGISTERED_MODEL, "n", cy, &p, &found, &err), &err);
    ASSERT(found && p == PERM_READ);
    ASSERT_OK(store_lookup_permission(s, RES_REGISTERED_MODEL, "n", di, &p, &found, &err), &err);
    ASSERT(found && p == PERM_EDIT);
    ASSERT_OK(store_lookup_permission(s, RES_REGISTERED_MODEL, "n", eve, &p, &found, &err), &err);
    ASSERT(found && p == PERM_READ); /* a grant on the new name alone stays */
    ASSERT_OK(store_move_permissions(s, RES_REGISTERED_MODEL, "none", "n", &err), &err);
    /* experiments' grants are another kind: untouched by a model's move */
    ASSERT_OK(store_move_permissions(s, RES_REGISTERED_MODEL, "7", "8", &err), &err);
    ASSERT_OK(store_lookup_permission(s, RES_EXPERIMENT, "7", cy, &p, &found, &err), &err);
    ASSERT(found);

    /* deleting one user's, then everyone's */
    ASSERT_OK(store_delete_permission(s, RES_EXPERIMENT, "7", "cy", &err), &err);
    ASSERT_FAILS(store_delete_permission(s, RES_EXPERIMENT, "7", "cy", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "Experiment permission with experiment_id=7 and username=cy not found");
    ASSERT_FAILS(store_delete_permission(s, RES_EXPERIMENT, "7", "ghost", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "User with username=ghost not found");
    ASSERT_OK(store_lookup_permission(s, RES_EXPERIMENT, "7", di, &p, &found, &err), &err);
    ASSERT(found);
    ASSERT_OK(store_delete_permission(s, RES_REGISTERED_MODEL, "n", NULL, &err), &err);
    ASSERT_OK(store_delete_permission(s, RES_REGISTERED_MODEL, "n", NULL, &err), &err);
    ASSERT_OK(store_lookup_permission(s, RES_REGISTERED_MODEL, "n", di, &p, &found, &err), &err);
    ASSERT(!found);

    /* deleting a user takes its permissions along */
    ASSERT_OK(store_delete_user(s, "di", &err), &err);
    ASSERT_OK(store_lookup_permission(s, RES_EXPERIMENT, "7", di, &p, &found, &err), &err);
    ASSERT(!found);
}

/* ---------- tokens ---------- */

CHECK(authgc_tokens)
{
    struct ferr err = FERR_INIT;
    enum perm p;
    int found;
    int64_t cy;
    new_user(s, "cy", 0, &cy);
    new_user(s, "ed", 1, NULL);
    ASSERT_OK(store_create_permission(s, RES_EXPERIMENT, "7", "cy", PERM_EDIT, NULL, &err), &err);

    struct sbuf secret = SBUF_INIT, s2 = SBUF_INIT, s3 = SBUF_INIT;
    struct token_info t, t2, t3;
    struct principal who;
    ASSERT_OK(store_create_token(s, "cy", "ci", "experiment:READ", 0, &secret, &t, &err), &err);
    ASSERT_OK(store_authenticate_token(s, secret.buf, &who, &err), &err);
    ASSERT(who.by_token && who.user_id == cy && who.scopes.max[RES_EXPERIMENT] == PERM_READ &&
           who.scopes.max[RES_REGISTERED_MODEL] == PERM_NO_PERMISSIONS && !who.is_admin &&
           who.expires_ms == 0);
    ASSERT_STR_EQ(who.username, "cy");
    principal_release(&who);
    ASSERT_FAILS(store_create_token(s, "ghost", "x", NULL, 0, &s3, &t3, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "User with username=ghost not found");
    sbuf_reset(&s3);
    ASSERT_OK(store_create_token(s, "ed", "admin", NULL, 3600000, &s2, &t2, &err), &err);
    ASSERT(t2.expires_ms == t2.created_ms + 3600000);
    ASSERT_OK(store_authenticate_token(s, s2.buf, &who, &err), &err);
    ASSERT(who.is_admin && who.expires_ms == t2.expires_ms);
    principal_release(&who);
    ASSERT_OK(store_create_token(s, "cy", "ci2", NULL, 0, &s3, &t3, &err), &err);

    /* newest first; one user's, or everyone's */
    struct token_info_list l = {0};
    ASSERT_OK(store_list_tokens(s, "cy", &l, &err), &err);
    ASSERT_INT_EQ((long long)l.n, 2);
    for (size_t i = 0; i < l.n; i++)
        ASSERT_STR_EQ(l.v[i].user, "cy");
    ASSERT(l.v[0].created_ms >= l.v[1].created_ms);
    token_info_list_release(&l);
    ASSERT_OK(store_list_tokens(s, NULL, &l, &err), &err);
    ASSERT_INT_EQ((long long)l.n, 3);
    for (size_t i = 0; i < l.n; i++) {
        if (!strcmp(l.v[i].id, t2.id)) {
            ASSERT_STR_EQ(l.v[i].user, "ed");
            ASSERT_STR_EQ(l.v[i].name, "admin");
            ASSERT_INT_EQ(l.v[i].expires_ms, t2.expires_ms);
            ASSERT_INT_EQ(l.v[i].revoked_ms, 0);
        }
    }
    token_info_list_release(&l);
    ASSERT_OK(store_list_tokens(s, "ghost", &l, &err), &err);
    ASSERT_INT_EQ((long long)l.n, 0);
    token_info_list_release(&l);

    ASSERT_FAILS(store_revoke_token(s, t.id, "someone-else", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_revoke_token(s, t.id, "ed", &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_revoke_token(s, "tok-0000000000000000", NULL, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "Token with id=tok-0000000000000000 not found");
    ASSERT_OK(store_revoke_token(s, t.id, "cy", &err), &err);
    ASSERT_FAILS(store_authenticate_token(s, secret.buf, &who, &err), &err, FERR_UNAUTHENTICATED);
    ASSERT_CONTAINS(err.msg, "revoked");
    /* revoking again keeps the first time */
    ASSERT_OK(store_list_tokens(s, "cy", &l, &err), &err);
    int64_t revoked = 0;
    for (size_t i = 0; i < l.n; i++)
        if (!strcmp(l.v[i].id, t.id))
            revoked = l.v[i].revoked_ms;
    ASSERT(revoked > 0);
    token_info_list_release(&l);
    ASSERT_OK(store_revoke_token(s, t.id, NULL, &err), &err);
    ASSERT_OK(store_list_tokens(s, "cy", &l, &err), &err);
    for (size_t i = 0; i < l.n; i++)
        if (!strcmp(l.v[i].id, t.id))
            ASSERT_INT_EQ(l.v[i].revoked_ms, revoked);
    token_info_list_release(&l);
    ASSERT_FAILS(store_authenticate_token(s, "ferry_nope", &who, &err), &err, FERR_UNAUTHENTICATED);

    /* deleting the user takes its permissions and tokens along */
    ASSERT_OK(store_delete_user(s, "cy", &err), &err);
    ASSERT_FAILS(store_authenticate_token(s, s3.buf, &who, &err), &err, FERR_UNAUTHENTICATED);
    ASSERT_OK(store_lookup_permission(s, RES_EXPERIMENT, "7", cy, &p, &found, &err), &err);
    ASSERT(!found);
    ASSERT_OK(store_list_tokens(s, NULL, &l, &err), &err);
    ASSERT_INT_EQ((long long)l.n, 1);
    token_info_list_release(&l);
    token_info_release(&t);
    token_info_release(&t2);
    token_info_release(&t3);
    sbuf_release(&secret);
    sbuf_release(&s2);
    sbuf_release(&s3);
}

/* ---------- text that is not UTF-8 ---------- */

/* Names arrive as bytes (a Basic header, a query string): SQLite compares
 * them and finds nothing; PostgreSQL refuses such text outright. Either
 * way the caller hears what no match means, never an internal error. */
CHECK(authgc_names_that_are_not_utf8)
{
    static const char bad[] = "b\xff\xfe";
    struct ferr err = FERR_INIT;
    struct user u;
    struct principal who;
    struct resource_perm rp;
    struct token_info_list l = {0};
    enum perm p = PERM_READ;
    int found = 1;
    int64_t cy;
    memset(&u, 0, sizeof(u));
    new_user(s, "cy", 1, &cy);
    ASSERT_OK(store_create_permission(s, RES_REGISTERED_MODEL, "m", "cy", PERM_READ, NULL, &err),
              &err);
    ASSERT_FAILS(store_authenticate(s, bad, "pw", &who, &err), &err, FERR_UNAUTHENTICATED);
    ASSERT_FAILS(store_get_user(s, bad, &u, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_update_user_password(s, bad, "pw2", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_update_user_admin(s, bad, 0, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_delete_user(s, bad, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_lookup_permission(s, RES_REGISTERED_MODEL, bad, cy, &p, &found, &err), &err);
    ASSERT(!found);
    ASSERT_FAILS(store_get_permission(s, RES_REGISTERED_MODEL, bad, "cy", &rp, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "Registered model permission with name=");
    ASSERT_FAILS(store_get_permission(s, RES_REGISTERED_MODEL, "m", bad, &rp, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "User with username=");
    ASSERT_FAILS(store_get_permission(s, RES_REGISTERED_MODEL, bad, bad, &rp, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "User with username=");
    ASSERT_FAILS(store_create_permission(s, RES_REGISTERED_MODEL, "m", bad, PERM_READ, NULL, &err),
                 &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_update_permission(s, RES_REGISTERED_MODEL, bad, "cy", PERM_READ, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "Registered model permission with name=");
    ASSERT_FAILS(store_delete_permission(s, RES_REGISTERED_MODEL, bad, "cy", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "Registered model permission with name=");
    ASSERT_OK(store_delete_permission(s, RES_REGISTERED_MODEL, bad, NULL, &err), &err);
    ASSERT_OK(store_move_permissions(s, RES_REGISTERED_MODEL, bad, "m", &err), &err);
    ASSERT_OK(store_list_tokens(s, bad, &l, &err), &err);
    ASSERT_INT_EQ((long long)l.n, 0);
    token_info_list_release(&l);
    ASSERT_FAILS(store_revoke_token(s, "tok-0000000000000000", bad, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_revoke_token(s, bad, NULL, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    /* and the store goes on working */
    ASSERT_OK(store_lookup_permission(s, RES_REGISTERED_MODEL, "m", cy, &p, &found, &err), &err);
    ASSERT(found && p == PERM_READ);
}

/* ---------- gc, through the tracking area ---------- */

static int has_key(const struct kv_list *l, const char *key)
{
    return kv_list_get(l, key) != NULL;
}

CHECK(authgc_gc)
{
    struct ferr err = FERR_INIT;
    struct kv_list runs = {0}, exps = {0};
    char *eid = NULL;
    if (store_create_experiment(s, "gone", NULL, NULL, &eid, &err) &&
        err.code == FERR_NOT_IMPLEMENTED) { /* a backend without its tracking area yet */
        printf("    (skipped: %s)\n", err.msg);
        return;
    }
    ASSERT_OK(err.code != FERR_OK, &err);
    char *keep = fixture_new_run(s, "0", NULL, TIME_NONE), *gone = fixture_new_run(s, "0", NULL, TIME_NONE), *inexp = fixture_new_run(s, eid, NULL, TIME_NONE);
    new_user(s, "fay", 0, NULL);
    ASSERT_OK(store_create_permission(s, RES_EXPERIMENT, eid, "fay", PERM_READ, NULL, &err), &err);
    ASSERT_OK(store_delete_run(s, gone, &err), &err);
    ASSERT_OK(store_delete_experiment(s, eid, &err), &err);

    ASSERT_OK(store_gc_candidates(s, 0, &runs, &exps, &err), &err); /* not old enough */
    ASSERT_INT_EQ((long long)(runs.n + exps.n), 0);
    ASSERT_OK(store_gc_candidates(s, INT64_MAX, &runs, &exps, &err), &err);
    ASSERT_INT_EQ((long long)runs.n, 2);
    ASSERT_STR_EQ(runs.v[0].key, gone); /* in creation order */
    ASSERT_STR_EQ(runs.v[1].key, inexp);
    ASSERT(!has_key(&runs, keep));
    ASSERT_INT_EQ((long long)exps.n, 1);
    ASSERT_STR_EQ(exps.v[0].key, eid);
    kv_list_release(&runs);
    kv_list_release(&exps);

    ASSERT_FAILS(store_purge_run(s, keep, &err), &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "is not deleted (or no longer exists): not purged");
    ASSERT_FAILS(store_purge_experiment(s, eid, &err), &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "still has runs: not purged");
    ASSERT_FAILS(store_purge_experiment(s, "0", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(store_purge_run(s, gone, &err), &err);
    ASSERT_OK(store_purge_run(s, inexp, &err), &err);
    ASSERT_FAILS(store_purge_run(s, gone, &err), &err, FERR_INVALID_STATE);
    struct run r;
    ASSERT_FAILS(store_get_run(s, gone, &r, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_purge_experiment(s, eid, &err), &err);
    ASSERT_FAILS(store_purge_experiment(s, eid, &err), &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "is not deleted: not purged");
    /* its permissions went with it */
    struct resource_perm rp;
    ASSERT_FAILS(store_get_permission(s, RES_EXPERIMENT, eid, "fay", &rp, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_get_run(s, keep, &r, &err), &err);
    run_release(&r);
    ASSERT_OK(store_gc_candidates(s, INT64_MAX, &runs, &exps, &err), &err);
    ASSERT_INT_EQ((long long)(runs.n + exps.n), 0);
    free(keep);
    free(gone);
    free(inexp);
    free(eid);
}

/* ---------- PostgreSQL alone ---------- */

/* gc on rows written directly: experiment 5 deleted at time 100 with an
 * active run, a run of Default deleted at 100, one active. */
PG_TEST(authgc_gc_rows)
{
    char *uri = test_store_uri("authgc_rows");
    struct store *s = open_uri(uri, 0);
    struct ferr err = FERR_INIT;
    pg_exec(uri, "INSERT INTO experiments VALUES (5, 'five', '/a/5', 'deleted', 1, 100);"
                 "INSERT INTO runs (run_uuid, name, experiment_id, status, artifact_uri, "
                 "lifecycle_stage, deleted_time) VALUES "
                 "('aaaa', 'keep', 0, 'RUNNING', '/a/0/aaaa', 'active', NULL),"
                 "('bbbb', 'gone', 0, 'FINISHED', '/a/0/bbbb', 'deleted', 100),"
                 "('cccc', 'in5', 5, 'RUNNING', '/a/5/cccc', 'active', NULL);"
                 "INSERT INTO params SELECT id, 'p', 'v' FROM runs WHERE run_uuid = 'bbbb';"
                 "INSERT INTO tags SELECT id, 't', 'v' FROM runs WHERE run_uuid = 'bbbb';"
                 "INSERT INTO experiment_tags VALUES (5, 'k', 'v')");
    new_user(s, "fay", 0, NULL);
    ASSERT_OK(store_create_permission(s, RES_EXPERIMENT, "5", "fay", PERM_READ, NULL, &err), &err);
    struct kv_list runs = {0}, exps = {0};
    ASSERT_OK(store_gc_candidates(s, 99, &runs, &exps, &err), &err);
    ASSERT_INT_EQ((long long)(runs.n + exps.n), 0);
    ASSERT_OK(store_gc_candidates(s, 100, &runs, &exps, &err), &err);
    ASSERT_INT_EQ((long long)runs.n, 2);
    ASSERT_STR_EQ(runs.v[0].key, "bbbb");
    ASSERT_STR_EQ(runs.v[0].value, "/a/0/bbbb");
    ASSERT_STR_EQ(runs.v[1].key, "cccc");
    ASSERT_INT_EQ((long long)exps.n, 1);
    ASSERT_STR_EQ(exps.v[0].key, "5");
    ASSERT_STR_EQ(exps.v[0].value, "/a/5");
    kv_list_release(&runs);
    kv_list_release(&exps);

    ASSERT_FAILS(store_purge_run(s, "aaaa", &err), &err, FERR_INVALID_STATE);
    ASSERT_STR_EQ(err.msg, "run 'aaaa' is not deleted (or no longer exists): not purged");
    ASSERT_FAILS(store_purge_run(s, "zzzz", &err), &err, FERR_INVALID_STATE);
    ASSERT_FAILS(store_purge_experiment(s, "5", &err), &err, FERR_INVALID_STATE);
    ASSERT_STR_EQ(err.msg, "experiment 5 still has runs: not purged");
    ASSERT_FAILS(store_purge_experiment(s, "77", &err), &err, FERR_INVALID_STATE);
    ASSERT_STR_EQ(err.msg, "experiment 77 is not deleted: not purged");
    ASSERT_OK(store_purge_run(s, "bbbb", &err), &err);
    ASSERT_OK(store_purge_run(s, "cccc", &err), &err);
    ASSERT_FAILS(store_purge_run(s, "bbbb", &err), &err, FERR_INVALID_STATE);
    ASSERT_OK(store_purge_experiment(s, "5", &err), &err);
    ASSERT_FAILS(store_purge_experiment(s, "5", &err), &err, FERR_INVALID_STATE);
    ASSERT_STR_EQ(err.msg, "experiment 5 is not deleted: not purged");
    enum perm p;
    int found;
    struct user u;
    memset(&u, 0, sizeof(u));
    ASSERT_OK(store_get_user(s, "fay", &u, &err), &err);
    ASSERT_OK(store_lookup_permission(s, RES_EXPERIMENT, "5", u.id, &p, &found, &err), &err);
    ASSERT(!found);
    user_release(&u);
    /* what was the runs' and the experiment's went along; the active run stayed */
    pg_exec(uri, "DO $$ BEGIN IF (SELECT count(*) FROM params) + (SELECT count(*) FROM tags) + "
                 "(SELECT count(*) FROM experiment_tags) <> 0 OR (SELECT count(*) FROM runs) <> 1 "
                 "THEN RAISE 'rows left behind'; END IF; END $$");
    ASSERT_OK(store_gc_candidates(s, INT64_MAX, &runs, &exps, &err), &err);
    ASSERT_INT_EQ((long long)(runs.n + exps.n), 0);
    store_close(s);
    free(uri);
}

/* Replicas: two stores on one database demote the two admins at the same
 * moment, again and again; the admin check must leave one every time. */
struct demote {
    struct store *s;
    const char *who;
    pthread_barrier_t *go;
    int ok;
};

static void *demote_thread(void *arg)
{
    struct demote *d = arg;
    struct ferr err = FERR_INIT;
    pthread_barrier_wait(d->go);
    d->ok = store_update_user_admin(d->s, d->who, 0, &err) == 0;
    if (!d->ok && err.code != FERR_INVALID_STATE)
        fprintf(stderr, "    demoting %s: %s\n", d->who, err.msg);
    return NULL;
}

PG_TEST(authgc_replicas_keep_an_admin)
{
    char *uri = test_store_uri("authgc_replicas");
    struct store *a = open_uri(uri, 0), *b = open_uri(uri, 1);
    struct ferr err = FERR_INIT;
    new_user(a, "x", 1, NULL);
    new_user(a, "y", 1, NULL);
    for (int i = 0; i < 40; i++) {
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 2);
        struct demote dx = {a, "x", &go, 0}, dy = {b, "y", &go, 0};
        pthread_t tx, ty;
        pthread_create(&tx, NULL, demote_thread, &dx);
        pthread_create(&ty, NULL, demote_thread, &dy);
        pthread_join(tx, NULL);
        pthread_join(ty, NULL);
        pthread_barrier_destroy(&go);
        int64_t n = 0;
        ASSERT_OK(store_count_admins(a, &n, &err), &err);
        if (n != 1 || dx.ok + dy.ok != 1)
            FAIL_AT("round %d: %lld admins left, %d demotions", i, (long long)n, dx.ok + dy.ok);
        ASSERT_OK(store_update_user_admin(b, dx.ok ? "x" : "y", 1, &err), &err);
    }
    store_close(b);
    store_close(a);
    free(uri);
}

/* What SQLite would store and PostgreSQL's UTF-8 text cannot: refused as
 * an invalid parameter, the store unharmed. */
PG_TEST(authgc_unstorable_names_are_refused)
{
    char *uri = test_store_uri("authgc_unstorable");
    struct store *s = open_uri(uri, 1);
    struct ferr err = FERR_INIT;
    struct user u;
    memset(&u, 0, sizeof(u));
    new_user(s, "cy", 1, NULL);
    ASSERT_FAILS(store_create_user(s, "b\xff", "pw", 0, &u, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_STR_EQ(err.msg, "the username is not valid UTF-8");
    ASSERT_FAILS(
        store_create_permission(s, RES_REGISTERED_MODEL, "m\xff", "cy", PERM_READ, NULL, &err),
        &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(store_create_permission(s, RES_REGISTERED_MODEL, "m", "cy", PERM_READ, NULL, &err),
              &err);
    ASSERT_FAILS(store_move_permissions(s, RES_REGISTERED_MODEL, "m", "n\xff", &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(store_get_user(s, "cy", &u, &err), &err);
    ASSERT_INT_EQ((long long)u.model_perms.n, 1);
    user_release(&u);
    store_close(s);
    free(uri);
}

/* The auth area's queries of every request (a permission, a token, a user)
 * on tables large enough that a missing index shows: PostgreSQL's own
 * statistics must count no sequential scan of them. (Not the only-admin
 * check of a demotion or a deletion, rare, which reads the users table
 * through, as SQLite's does.) */
PG_TEST(authgc_hot_queries_use_indexes)
{
    char *uri = test_store_uri("authgc_explain");
    store_close(open_uri(uri, 0));
    char digest[65];
    secret_sha256_hex("ferry_hot", 9, digest);
    struct sbuf tok = SBUF_INIT;
    sbuf_addf(&tok,
              "INSERT INTO api_tokens (id, user_id, name, digest, scopes, created_ms) "
              "SELECT 'tok-' || i, i, 't', CASE WHEN i = 77 THEN '%s' ELSE md5(i::text) END, "
              "'', i FROM generate_series(1, 20000) i",
              digest);
    static const char *const fill[] = {
        "INSERT INTO users (id, username, password_hash, is_admin, created_ms) "
        "SELECT i, 'u' || i, 'x', (i = 1)::int, i FROM generate_series(1, 20000) i",
        "INSERT INTO resource_permissions (kind, key, user_id, permission) "
        "SELECT k, (i % 5000)::text, i, 'READ' FROM generate_series(1, 20000) i, "
        "generate_series(0, 1) k",
        NULL, /* the tokens */
        "ANALYZE",
        "SELECT pg_stat_reset()",
    };
    for (size_t i = 0; i < sizeof(fill) / sizeof(*fill); i++)
        pg_exec(uri, fill[i] ? fill[i] : tok.buf);
    sbuf_release(&tok);

    struct store *s = open_uri(uri, 0);
    struct ferr err = FERR_INIT;
    enum perm p;
    int found;
    for (int i = 0; i < 8; i++) { /* past the plans made for the first few runs */
        ASSERT_OK(store_lookup_permission(s, RES_EXPERIMENT, "77", 77, &p, &found, &err), &err);
        ASSERT(found && p == PERM_READ);
    }
    struct principal who;
    ASSERT_OK(store_authenticate_token(s, "ferry_hot", &who, &err), &err);
    ASSERT_STR_EQ(who.username, "u77");
    principal_release(&who);
    struct user u;
    memset(&u, 0, sizeof(u));
    ASSERT_OK(store_get_user(s, "u77", &u, &err), &err);
    ASSERT_INT_EQ((long long)(u.experiment_perms.n + u.model_perms.n), 2);
    user_release(&u);
    struct resource_perm rp;
    ASSERT_OK(store_get_permission(s, RES_REGISTERED_MODEL, "77", "u77", &rp, &err), &err);
    free(rp.key);
    free(rp.user);
    struct token_info_list tl = {0};
    for (int i = 0; i < 8; i++) {
        ASSERT_OK(store_list_tokens(s, "u77", &tl, &err), &err);
        ASSERT_INT_EQ((long long)tl.n, 1);
        token_info_list_release(&tl);
    }
    ASSERT_OK(store_create_permission(s, RES_EXPERIMENT, "new", "u77", PERM_EDIT, NULL, &err),
              &err);
    store_close(s); /* its sessions end: their statistics are flushed */

    char *scans = pg_query(uri, "SELECT coalesce(string_agg(relname || ':' || seq_scan, ' '), '') "
                                "FROM pg_stat_user_tables WHERE seq_scan > 0 AND relname IN "
                                "('users', 'resource_permissions', 'api_tokens')");
    if (scans && *scans)
        FAIL_AT("sequential scans of large tables (a hot query lacks an index): %s", scans);
    free(scans);
    free(uri);
}
