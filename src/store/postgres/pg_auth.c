/* SPDX-License-Identifier: MIT
 * Users, permissions and API tokens in the PostgreSQL backend (store/auth.h's
 * contract): the users, resource_permissions and api_tokens tables
 * (schema.c), op for op the SQLite backend's (store/sqlite/sqlite_auth.c),
 * with the same errors and messages.
 *
 * Replicas: SQLite's single writer made read-then-write sequences safe;
 * here several servers write at once, so each such sequence locks what it
 * read. The admin check locks every admin row (two replicas demoting the
 * last two admins at once would otherwise both see the other one left); a
 * write that names a user locks that user's row against deletion (FOR KEY
 * SHARE) so that its insert cannot meet a vanished user; moving grants
 * that races with another replica's new grant is retried as a conflict.
 *
 * Names that are not UTF-8: they reach the store as bytes (a Basic
 * header, a query string). SQLite compares them and matches nothing;
 * PostgreSQL refuses the statement (and a refused statement ends a
 * write's transaction). Such a name is never stored in the database's
 * UTF-8 text, so each op answers for it before asking the database: what
 * no match answers, or, for a name to be stored, INVALID_PARAMETER_VALUE. */
#include "store/postgres/pg_int.h"
#include "store/auth.h"
#include "base/ftime.h"
#include "base/utf8.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static int user_not_found(const char *username, struct ferr *err)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "User with username=%.256s not found",
                    username);
}

static int perm_not_found(enum res_kind kind, const char *key, const char *username,
                          struct ferr *err)
{
    if (kind == RES_EXPERIMENT)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                        "Experiment permission with experiment_id=%.256s and username=%.256s "
                        "not found",
                        key, username);
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                    "Registered model permission with name=%.256s and username=%.256s not found",
                    key, username);
}

/* 1 when s (NULL: none) can be stored, so can match a stored name. */
static int storable(const char *s)
{
    return !s || utf8_valid(s);
}

static int not_storable(const char *what, struct ferr *err)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s is not valid UTF-8", what);
}

/* A stored level; an unreadable one grants nothing. */
static enum perm col_perm(const PGresult *r, int row, int col)
{
    struct ferr ignore = FERR_INIT;
    enum perm p;
    if (perm_parse(pg_get_null(r, row, col) ? NULL : pg_get_ref(r, row, col), &p, &ignore))
        return PERM_NO_PERMISSIONS;
    return p;
}

/* The id of username, for a write: the row is locked against deletion until
 * the transaction ends, so what the caller inserts for it keeps its user. */
static int user_id_of(struct pg_conn *c, const char *username, int64_t *id, struct ferr *err)
{
    static const char sql[] = "SELECT id FROM users WHERE username = $1 FOR KEY SHARE";
    if (!storable(username))
        return user_not_found(username, err);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, username);
    PGresult *r = pg_run(c, sql, &a, "looking up a user", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found)
        *id = pg_get_int(r, 0, 0);
    PQclear(r);
    return found ? 0 : user_not_found(username, err);
}

/* ---------- users ---------- */

struct user_arg {
    const char *username, *hash;
    int is_admin;
    int64_t id;
};

static int do_create_user(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] = "INSERT INTO users (username, password_hash, is_admin, created_ms) "
                              "VALUES ($1, $2, $3, $4) RETURNING id";
    struct user_arg *a = arg;
    if (!storable(a->username))
        return not_storable("the username", err);
    struct pg_args args = PG_ARGS_INIT;
    pg_args_text(&args, a->username);
    pg_args_text(&args, a->hash);
    pg_args_int(&args, a->is_admin);
    pg_args_int(&args, ftime_now_ms());
    PGresult *r = pg_run(c, sql, &args, "creating a user", err);
    pg_args_release(&args);
    if (!r) {
        if (pg_unique_violation(c))
            return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                            "User (username=%.256s) already exists.", a->username);
        return -1;
    }
    a->id = pg_get_int(r, 0, 0);
    PQclear(r);
    return 0;
}

static int pg_create_user(struct store *s, const char *username, const char *hash, int is_admin,
                          int64_t *id, struct ferr *err)
{
    struct user_arg a = {username, hash, is_admin, 0};
    if (pg_write((struct pg *)s, do_create_user, &a, err))
        return -1;
    *id = a.id;
    return 0;
}

static int load_perms(struct pg_conn *c, int64_t user, const char *username, struct user *out,
                      struct ferr *err)
{
    static const char sql[] = "SELECT kind, key, permission FROM resource_permissions "
                              "WHERE user_id = $1 ORDER BY kind, key";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, user);
    PGresult *r = pg_run(c, sql, &a, "reading a user's permissions", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        struct resource_perm_list *l =
            pg_get_int(r, i, 0) == RES_EXPERIMENT ? &out->experiment_perms : &out->model_perms;
        ALLOC_GROW(l->v, l->n + 1, l->alloc);
        l->v[l->n++] =
            (struct resource_perm){pg_get_str(r, i, 1), xstrdup(username), user, col_perm(r, i, 2)};
    }
    PQclear(r);
    return 0;
}

static int pg_get_user(struct store *s, const char *username, int with_perms, struct user *out,
                       char **hash, struct ferr *err)
{
    static const char sql[] =
        "SELECT id, username, is_admin, password_hash FROM users WHERE username = $1";
    struct pg *pg = (struct pg *)s;
    if (!storable(username))
        return user_not_found(username, err);
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, username);
    PGresult *r = pg_run(c, sql, &a, "reading a user", err);
    pg_args_release(&a);
    int rc = -1;
    if (r) {
        if (PQntuples(r) == 1) {
            out->id = pg_get_int(r, 0, 0);
            out->username = pg_get_str(r, 0, 1);
            out->is_admin = pg_get_int(r, 0, 2) != 0;
            if (hash)
                *hash = pg_get_str(r, 0, 3);
            rc = 0;
        } else {
            user_not_found(username, err);
        }
        PQclear(r);
    }
    if (!rc && with_perms && load_perms(c, out->id, out->username, out, err)) {
        user_release(out);
        if (hash) {
            free(*hash);
            *hash = NULL;
        }
        rc = -1;
    }
    pg_reader_put(pg, c);
    return rc;
}

static int pg_list_users(struct store *s, struct user_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT id, username, is_admin FROM users ORDER BY username";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    PGresult *r = pg_run(c, sql, NULL, "listing users", err);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        struct user *u = &out->v[out->n++];
        memset(u, 0, sizeof(*u));
        u->id = pg_get_int(r, i, 0);
        u->username = pg_get_str(r, i, 1);
        u->is_admin = pg_get_int(r, i, 2) != 0;
    }
    PQclear(r);
    return 0;
}

/* A change that would leave the store without an admin is refused: only
 * the database could then give anyone rights again. Every admin row is
 * locked until the transaction ends, so a replica demoting or deleting
 * another admin at the same time waits and then counts what this one left
 * (under READ COMMITTED a row locked after a wait is re-checked, and one
 * no longer an admin drops out). */
static int keeps_an_admin(struct pg_conn *c, const char *username, struct ferr *err)
{
    static const char sql[] =
        "SELECT username = $1::text FROM users WHERE is_admin <> 0 ORDER BY id FOR UPDATE";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, username);
    PGresult *r = pg_run(c, sql, &a, "counting admins", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int64_t others = 0, self = 0;
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        if (pg_get_int(r, i, 0))
            self++;
        else
            others++;
    }
    PQclear(r);
    if (self && !others)
        return ferr_set(err, FERR_INVALID_STATE,
                        "'%.256s' is the only admin: make another user an admin first", username);
    return 0;
}

static int do_update_user(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] =
        "UPDATE users SET password_hash = coalesce($1::text, password_hash), "
        "is_admin = CASE WHEN $2::integer < 0 THEN is_admin ELSE $2::integer END "
        "WHERE username = $3";
    struct user_arg *a = arg;
    if (!storable(a->username))
        return user_not_found(a->username, err);
    if (a->is_admin == 0 && keeps_an_admin(c, a->username, err))
        return -1;
    struct pg_args args = PG_ARGS_INIT;
    pg_args_text(&args, a->hash); /* NULL: kept */
    pg_args_int(&args, a->is_admin);
    pg_args_text(&args, a->username);
    PGresult *r = pg_run(c, sql, &args, "updating a user", err);
    pg_args_release(&args);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    return n ? 0 : user_not_found(a->username, err);
}

static int pg_update_user(struct store *s, const char *username, const char *hash, int is_admin,
                          struct ferr *err)
{
    struct user_arg a = {username, hash, is_admin, 0};
    return pg_write((struct pg *)s, do_update_user, &a, err);
}

static int do_delete_user(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] = "DELETE FROM users WHERE username = $1";
    struct user_arg *a = arg;
    if (!storable(a->username))
        return user_not_found(a->username, err);
    if (keeps_an_admin(c, a->username, err))
        return -1;
    struct pg_args args = PG_ARGS_INIT;
    pg_args_text(&args, a->username);
    PGresult *r = pg_run(c, sql, &args, "deleting a user", err);
    pg_args_release(&args);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    return n ? 0 : user_not_found(a->username, err);
}

static int pg_delete_user(struct store *s, const char *username, struct ferr *err)
{
    struct user_arg a = {username, NULL, 0, 0};
    return pg_write((struct pg *)s, do_delete_user, &a, err);
}

static int pg_count_admins(struct store *s, int64_t *n, struct ferr *err)
{
    static const char sql[] = "SELECT count(*) FROM users WHERE is_admin <> 0";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    PGresult *r = pg_run(c, sql, NULL, "reading users", err);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    *n = pg_get_int(r, 0, 0);
    PQclear(r);
    return 0;
}

/* ---------- permissions ---------- */

struct perm_arg {
    enum res_kind kind;
    const char *key, *username;
    enum perm perm;
    int create;
    int64_t user;
};

static int do_put_perm(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char ins[] = "INSERT INTO resource_permissions (kind, key, user_id, permission) "
                              "VALUES ($1, $2, $3, $4)";
    static const char upd[] = "UPDATE resource_permissions SET permission = $4 "
                              "WHERE kind = $1 AND key = $2 AND user_id = $3";
    struct perm_arg *a = arg;
    if (user_id_of(c, a->username, &a->user, err))
        return -1;
    if (!storable(a->key))
        return a->create ? not_storable("the resource's name", err)
                         : perm_not_found(a->kind, a->key, a->username, err);
    struct pg_args args = PG_ARGS_INIT;
    pg_args_int(&args, (int64_t)a->kind);
    pg_args_text(&args, a->key);
    pg_args_int(&args, a->user);
    pg_args_text(&args, perm_name(a->perm));
    PGresult *r = pg_run(c, a->create ? ins : upd, &args, "writing a permission", err);
    pg_args_release(&args);
    if (!r) {
        if (!pg_unique_violation(c))
            return -1;
        if (a->kind == RES_EXPERIMENT)
            return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                            "Experiment permission (experiment_id=%.256s, username=%.256s) "
                            "already exists.",
                            a->key, a->username);
        return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                        "Registered model permission (name=%.256s, username=%.256s) already "
                        "exists.",
                        a->key, a->username);
    }
    int64_t n = pg_affected(r);
    PQclear(r);
    if (!a->create && !n)
        return perm_not_found(a->kind, a->key, a->username, err);
    return 0;
}

static int pg_put_perm(struct store *s, enum res_kind kind, const char *key, const char *username,
                       enum perm perm, int create, struct resource_perm *out, struct ferr *err)
{
    struct perm_arg a = {kind, key, username, perm, create, 0};
    if (pg_write((struct pg *)s, do_put_perm, &a, err))
        return -1;
    if (out)
        *out = (struct resource_perm){xstrdup(key), xstrdup(username), a.user, perm};
    return 0;
}

static int pg_get_perm(struct store *s, enum res_kind kind, const char *key, const char *username,
                       struct resource_perm *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT u.id, p.permission FROM users u LEFT JOIN resource_permissions p "
        "ON p.user_id = u.id AND p.kind = $1 AND p.key = $2 WHERE u.username = $3";
    struct pg *pg = (struct pg *)s;
    if (!storable(username))
        return user_not_found(username, err);
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, (int64_t)kind);
    /* a key that cannot be stored matches no grant (NULL): the user decides the answer */
    pg_args_text(&a, storable(key) ? key : NULL);
    pg_args_text(&a, username);
    PGresult *r = pg_run(c, sql, &a, "reading a permission", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int rc = -1;
    if (PQntuples(r) == 1 && !pg_get_null(r, 0, 1)) {
        *out = (struct resource_perm){xstrdup(key), xstrdup(username), pg_get_int(r, 0, 0),
                                      col_perm(r, 0, 1)};
        rc = 0;
    } else if (PQntuples(r) == 1) {
        perm_not_found(kind, key, username, err);
    } else {
        user_not_found(username, err);
    }
    PQclear(r);
    return rc;
}

static int do_delete_perm(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char one[] =
        "DELETE FROM resource_permissions WHERE kind = $1 AND key = $2 AND user_id = $3";
    static const char all[] = "DELETE FROM resource_permissions WHERE kind = $1 AND key = $2";
    struct perm_arg *a = arg;
    if (a->username && user_id_of(c, a->username, &a->user, err))
        return -1;
    if (!storable(a->key))
        return a->username ? perm_not_found(a->kind, a->key, a->username, err) : 0;
    struct pg_args args = PG_ARGS_INIT;
    pg_args_int(&args, (int64_t)a->kind);
    pg_args_text(&args, a->key);
    if (a->username)
        pg_args_int(&args, a->user);
    PGresult *r = pg_run(c, a->username ? one : all, &args, "deleting a permission", err);
    pg_args_release(&args);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    if (a->username && !n)
        return perm_not_found(a->kind, a->key, a->username, err);
    return 0;
}

static int pg_delete_perm(struct store *s, enum res_kind kind, const char *key,
                          const char *username, struct ferr *err)
{
    struct perm_arg a = {kind, key, username, PERM_NO_PERMISSIONS, 0, 0};
    return pg_write((struct pg *)s, do_delete_perm, &a, err);
}

struct move_arg {
    enum res_kind kind;
    const char *from, *to;
};

static int do_move_perms(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    /* SQLite's UPDATE OR REPLACE in two steps, with its outcome: a moved
     * grant replaces the one its user already has on the new name (REPLACE
     * deletes the row the update would collide with), so those go first;
     * then the old name's are renamed. The resource keeps its own grants,
     * whatever was given on its new name before it had it. */
    static const char drop[] =
        "DELETE FROM resource_permissions q WHERE q.kind = $1 AND q.key = $3 AND EXISTS "
        "(SELECT 1 FROM resource_permissions p WHERE p.kind = $1 AND p.key = $2 "
        "AND p.user_id = q.user_id)";
    static const char move[] =
        "UPDATE resource_permissions SET key = $3 WHERE kind = $1 AND key = $2";
    struct move_arg *a = arg;
    /* nothing moves (and when from is to, drop would take every grant) */
    if (!strcmp(a->from, a->to) || !storable(a->from))
        return 0;
    if (!storable(a->to))
        return not_storable("the new name", err);
    struct pg_args args = PG_ARGS_INIT;
    pg_args_int(&args, (int64_t)a->kind);
    pg_args_text(&args, a->from);
    pg_args_text(&args, a->to);
    int rc = pg_do(c, drop, &args, "moving permissions", err) ||
                     pg_do(c, move, &args, "moving permissions", err)
                 ? -1
                 : 0;
    pg_args_release(&args);
    /* another replica granted on the new name in between: run again */
    if (rc && pg_unique_violation(c))
        snprintf(c->sqlstate, sizeof(c->sqlstate), "40001");
    return rc;
}

static int pg_move_perms(struct store *s, enum res_kind kind, const char *from, const char *to,
                         struct ferr *err)
{
    struct move_arg a = {kind, from, to};
    return pg_write((struct pg *)s, do_move_perms, &a, err);
}

static int pg_lookup_perm(struct store *s, enum res_kind kind, const char *key, int64_t user_id,
                          enum perm *out, int *found, struct ferr *err)
{
    static const char sql[] = "SELECT permission FROM resource_permissions "
                              "WHERE kind = $1 AND key = $2 AND user_id = $3";
    struct pg *pg = (struct pg *)s;
    if (!storable(key)) {
        *found = 0;
        return 0;
    }
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, (int64_t)kind);
    pg_args_text(&a, key);
    pg_args_int(&a, user_id);
    PGresult *r = pg_run(c, sql, &a, "reading a permission", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    *found = PQntuples(r) == 1;
    if (*found)
        *out = col_perm(r, 0, 0);
    PQclear(r);
    return 0;
}

/* ---------- tokens ---------- */

struct token_arg {
    const struct token_info *t;
    const char *digest, *id, *only_user;
    int64_t now;
};

static int do_create_token(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] = "INSERT INTO api_tokens (id, user_id, name, digest, scopes, "
                              "created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    struct token_arg *a = arg;
    int64_t user;
    if (user_id_of(c, a->t->user, &user, err))
        return -1;
    struct pg_args args = PG_ARGS_INIT;
    pg_args_text(&args, a->t->id);
    pg_args_int(&args, user);
    pg_args_text(&args, a->t->name);
    pg_args_text(&args, a->digest);
    pg_args_text(&args, a->t->scopes);
    pg_args_int(&args, a->t->created_ms);
    if (a->t->expires_ms)
        pg_args_int(&args, a->t->expires_ms);
    else
        pg_args_null(&args);
    int rc = pg_do(c, sql, &args, "creating a token", err);
    pg_args_release(&args);
    return rc;
}

static int pg_create_token(struct store *s, const struct token_info *t, const char *digest,
                           struct ferr *err)
{
    struct token_arg a = {t, digest, NULL, NULL, 0};
    return pg_write((struct pg *)s, do_create_token, &a, err);
}

#define TOKEN_COLS                                                                                 \
    "t.id, u.username, t.name, t.scopes, t.created_ms, coalesce(t.expires_ms, 0), "                \
    "coalesce(t.revoked_ms, 0), u.id, u.is_admin"

static void token_from_row(const PGresult *r, int row, struct token_info *t)
{
    t->id = pg_get_str(r, row, 0);
    t->user = pg_get_str(r, row, 1);
    t->name = pg_get_str(r, row, 2);
    t->scopes = pg_get_str(r, row, 3);
    t->created_ms = pg_get_int(r, row, 4);
    t->expires_ms = pg_get_int(r, row, 5);
    t->revoked_ms = pg_get_int(r, row, 6);
}

static int pg_find_token(struct store *s, const char *digest, struct token_info *out,
                         int64_t *user_id, int *is_admin, struct ferr *err)
{
    static const char sql[] = "SELECT " TOKEN_COLS " FROM api_tokens t JOIN users u "
                              "ON u.id = t.user_id WHERE t.digest = $1";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, digest);
    PGresult *r = pg_run(c, sql, &a, "reading a token", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int rc = -1;
    if (PQntuples(r) == 1) {
        token_from_row(r, 0, out);
        *user_id = pg_get_int(r, 0, 7);
        *is_admin = pg_get_int(r, 0, 8) != 0;
        rc = 0;
    } else {
        ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "no such token");
    }
    PQclear(r);
    return rc;
}

static int pg_list_tokens(struct store *s, const char *username, struct token_info_list *out,
                          struct ferr *err)
{
    static const char sql[] = "SELECT " TOKEN_COLS " FROM api_tokens t JOIN users u "
                              "ON u.id = t.user_id WHERE $1::text IS NULL OR u.username = $1 "
                              "ORDER BY t.created_ms DESC, t.id";
    struct pg *pg = (struct pg *)s;
    if (!storable(username))
        return 0;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, username); /* NULL: every user's */
    PGresult *r = pg_run(c, sql, &a, "listing tokens", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        memset(&out->v[out->n], 0, sizeof(out->v[0]));
        token_from_row(r, i, &out->v[out->n++]);
    }
    PQclear(r);
    return 0;
}

static int do_revoke_token(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] =
        "UPDATE api_tokens SET revoked_ms = coalesce(revoked_ms, $1::bigint) WHERE id = $2 AND "
        "($3::text IS NULL OR user_id = (SELECT id FROM users WHERE username = $3))";
    struct token_arg *a = arg;
    if (!storable(a->id) || !storable(a->only_user))
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "Token with id=%.100s not found", a->id);
    struct pg_args args = PG_ARGS_INIT;
    pg_args_int(&args, a->now);
    pg_args_text(&args, a->id);
    pg_args_text(&args, a->only_user); /* NULL: any user's */
    PGresult *r = pg_run(c, sql, &args, "revoking a token", err);
    pg_args_release(&args);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    if (!n)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "Token with id=%.100s not found", a->id);
    return 0;
}

static int pg_revoke_token(struct store *s, const char *id, const char *only_user, int64_t now_ms,
                           struct ferr *err)
{
    struct token_arg a = {NULL, NULL, id, only_user, now_ms};
    return pg_write((struct pg *)s, do_revoke_token, &a, err);
}

const struct store_auth_ops pg_auth = {
    .create_user = pg_create_user,
    .get_user = pg_get_user,
    .list_users = pg_list_users,
    .update_user = pg_update_user,
    .delete_user = pg_delete_user,
    .count_admins = pg_count_admins,
    .put_perm = pg_put_perm,
    .get_perm = pg_get_perm,
    .delete_perm = pg_delete_perm,
    .move_perms = pg_move_perms,
    .lookup_perm = pg_lookup_perm,
    .create_token = pg_create_token,
    .find_token = pg_find_token,
    .list_tokens = pg_list_tokens,
    .revoke_token = pg_revoke_token,
};
