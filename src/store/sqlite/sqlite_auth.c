/* SPDX-License-Identifier: MIT
 * Users, permissions and API tokens in the SQLite backend (store/auth.h's
 * contract): the users, resource_permissions and api_tokens tables
 * (schema.c, migration 4). */
#include "store/sqlite/sqlite_int.h"
#include "store/auth.h"
#include "base/ftime.h"
#include "base/xalloc.h"

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

/* A stored level; an unreadable one grants nothing. */
static enum perm col_perm(sqlite3_stmt *st, int col)
{
    struct ferr ignore = FERR_INIT;
    enum perm p;
    if (perm_parse((const char *)sqlite3_column_text(st, col), &p, &ignore))
        return PERM_NO_PERMISSIONS;
    return p;
}

static int user_id_of(struct sq_conn *c, const char *username, int64_t *id, struct ferr *err)
{
    static const char sql[] = "SELECT id FROM users WHERE username = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return user_not_found(username, err);
    return rc == SQLITE_ROW ? 0 : sq_fail(c, "looking up a user", err);
}

/* ---------- users ---------- */

struct user_arg {
    const char *username, *hash;
    int is_admin;
    int64_t id;
};

static int do_create_user(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] = "INSERT INTO users (username, password_hash, is_admin, created_ms) "
                              "VALUES (?, ?, ?, ?)";
    struct user_arg *a = arg;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, a->username, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->hash, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, a->is_admin);
    sqlite3_bind_int64(st, 4, ftime_now_ms());
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) {
        sqlite3_reset(st);
        return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS, "User (username=%.256s) already exists.",
                        a->username);
    }
    if (rc != SQLITE_DONE)
        return sq_fail(c, "creating a user", err);
    a->id = sqlite3_last_insert_rowid(c->db);
    return 0;
}

static int sq_create_user(struct store *s, const char *username, const char *hash, int is_admin,
                          int64_t *id, struct ferr *err)
{
    struct user_arg a = {username, hash, is_admin, 0};
    if (sq_write((struct sq *)s, do_create_user, &a, err))
        return -1;
    *id = a.id;
    return 0;
}

static int load_perms(struct sq_conn *c, int64_t user, const char *username, struct user *out,
                      struct ferr *err)
{
    static const char sql[] = "SELECT kind, key, permission FROM resource_permissions "
                              "WHERE user_id = ? ORDER BY kind, key";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, user);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct resource_perm_list *l = sqlite3_column_int(st, 0) == RES_EXPERIMENT
                                           ? &out->experiment_perms
                                           : &out->model_perms;
        ALLOC_GROW(l->v, l->n + 1, l->alloc);
        l->v[l->n++] =
            (struct resource_perm){sq_col_str(st, 1), xstrdup(username), user, col_perm(st, 2)};
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "reading a user's permissions", err);
}

static int sq_get_user(struct store *s, const char *username, int with_perms, struct user *out,
                       char **hash, struct ferr *err)
{
    static const char sql[] =
        "SELECT id, username, is_admin, password_hash FROM users WHERE username = ?";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = -1;
    if (st) {
        sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            out->id = sqlite3_column_int64(st, 0);
            out->username = sq_col_str(st, 1);
            out->is_admin = sqlite3_column_int(st, 2) != 0;
            if (hash)
                *hash = sq_col_str(st, 3);
            rc = 0;
        } else if (step == SQLITE_DONE) {
            user_not_found(username, err);
        } else {
            sq_fail(c, "reading a user", err);
        }
        sqlite3_reset(st);
    }
    if (!rc && with_perms && load_perms(c, out->id, out->username, out, err)) {
        user_release(out);
        if (hash) {
            free(*hash);
            *hash = NULL;
        }
        rc = -1;
    }
    sq_reader_put(sq, c);
    return rc;
}

static int sq_list_users(struct store *s, struct user_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT id, username, is_admin FROM users ORDER BY username";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = st ? 0 : -1, step;
    while (st && (step = sqlite3_step(st)) == SQLITE_ROW) {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        struct user *u = &out->v[out->n++];
        memset(u, 0, sizeof(*u));
        u->id = sqlite3_column_int64(st, 0);
        u->username = sq_col_str(st, 1);
        u->is_admin = sqlite3_column_int(st, 2) != 0;
    }
    if (st) {
        if (step != SQLITE_DONE)
            rc = sq_fail(c, "listing users", err);
        sqlite3_reset(st);
    }
    sq_reader_put(sq, c);
    if (rc)
        user_list_release(out);
    return rc;
}

/* A change that would leave the store without an admin is refused: only
 * the database file could then give anyone rights again. */
static int keeps_an_admin(struct sq_conn *c, const char *username, struct ferr *err)
{
    static const char sql[] =
        "SELECT count(*) FROM users WHERE is_admin AND username <> ?1 "
        "UNION ALL SELECT count(*) FROM users WHERE is_admin AND username = ?1";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int64_t others = 0, self = 0;
    int rc;
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        others = sqlite3_column_int64(st, 0);
        if ((rc = sqlite3_step(st)) == SQLITE_ROW)
            self = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return sq_fail(c, "counting admins", err);
    if (self && !others)
        return ferr_set(err, FERR_INVALID_STATE,
                        "'%.256s' is the only admin: make another user an admin first", username);
    return 0;
}

static int do_update_user(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] = "UPDATE users SET password_hash = coalesce(?, password_hash), "
                              "is_admin = CASE WHEN ? < 0 THEN is_admin ELSE ? END "
                              "WHERE username = ?";
    struct user_arg *a = arg;
    if (a->is_admin == 0 && keeps_an_admin(c, a->username, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    if (a->hash)
        sqlite3_bind_text(st, 1, a->hash, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 1);
    sqlite3_bind_int(st, 2, a->is_admin);
    sqlite3_bind_int(st, 3, a->is_admin);
    sqlite3_bind_text(st, 4, a->username, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "updating a user", err);
    return sqlite3_changes(c->db) ? 0 : user_not_found(a->username, err);
}

static int sq_update_user(struct store *s, const char *username, const char *hash, int is_admin,
                          struct ferr *err)
{
    struct user_arg a = {username, hash, is_admin, 0};
    return sq_write((struct sq *)s, do_update_user, &a, err);
}

static int do_delete_user(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] = "DELETE FROM users WHERE username = ?";
    struct user_arg *a = arg;
    if (keeps_an_admin(c, a->username, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, a->username, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "deleting a user", err);
    return sqlite3_changes(c->db) ? 0 : user_not_found(a->username, err);
}

static int sq_delete_user(struct store *s, const char *username, struct ferr *err)
{
    struct user_arg a = {username, NULL, 0, 0};
    return sq_write((struct sq *)s, do_delete_user, &a, err);
}

/* One integer from a query with at most one text parameter. */
static int read_int(struct store *s, const char *sql, const char *param, int64_t *out, int *found,
                    struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = -1;
    if (st) {
        if (param)
            sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        *found = step == SQLITE_ROW;
        if (step == SQLITE_ROW)
            *out = sqlite3_column_int64(st, 0);
        rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : sq_fail(c, "reading users", err);
        sqlite3_reset(st);
    }
    sq_reader_put(sq, c);
    return rc;
}

static int sq_count_admins(struct store *s, int64_t *n, struct ferr *err)
{
    static const char sql[] = "SELECT count(*) FROM users WHERE is_admin";
    int found;
    return read_int(s, sql, NULL, n, &found, err);
}

/* ---------- permissions ---------- */

struct perm_arg {
    enum res_kind kind;
    const char *key, *username;
    enum perm perm;
    int create;
    int64_t user;
};

static int do_put_perm(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char ins[] =
        "INSERT INTO resource_permissions (kind, key, user_id, permission) VALUES (?, ?, ?, ?)";
    static const char upd[] = "UPDATE resource_permissions SET permission = ? "
                              "WHERE kind = ? AND key = ? AND user_id = ?";
    struct perm_arg *a = arg;
    if (user_id_of(c, a->username, &a->user, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, a->create ? ins : upd, err);
    if (!st)
        return -1;
    int i = 1;
    if (!a->create)
        sqlite3_bind_text(st, i++, perm_name(a->perm), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, i++, (int)a->kind);
    sqlite3_bind_text(st, i++, a->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, i++, a->user);
    if (a->create)
        sqlite3_bind_text(st, i++, perm_name(a->perm), -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) {
        sqlite3_reset(st);
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
    if (rc != SQLITE_DONE)
        return sq_fail(c, "writing a permission", err);
    if (!a->create && !sqlite3_changes(c->db))
        return perm_not_found(a->kind, a->key, a->username, err);
    return 0;
}

static int sq_put_perm(struct store *s, enum res_kind kind, const char *key, const char *username,
                       enum perm perm, int create, struct resource_perm *out, struct ferr *err)
{
    struct perm_arg a = {kind, key, username, perm, create, 0};
    if (sq_write((struct sq *)s, do_put_perm, &a, err))
        return -1;
    if (out)
        *out = (struct resource_perm){xstrdup(key), xstrdup(username), a.user, perm};
    return 0;
}

static int sq_get_perm(struct store *s, enum res_kind kind, const char *key, const char *username,
                       struct resource_perm *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT u.id, p.permission FROM users u LEFT JOIN resource_permissions p "
        "ON p.user_id = u.id AND p.kind = ? AND p.key = ? WHERE u.username = ?";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = -1;
    if (st) {
        sqlite3_bind_int(st, 1, (int)kind);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, username, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW && sqlite3_column_type(st, 1) != SQLITE_NULL) {
            *out = (struct resource_perm){xstrdup(key), xstrdup(username),
                                          sqlite3_column_int64(st, 0), col_perm(st, 1)};
            rc = 0;
        } else if (step == SQLITE_ROW) {
            perm_not_found(kind, key, username, err);
        } else if (step == SQLITE_DONE) {
            user_not_found(username, err);
        } else {
            sq_fail(c, "reading a permission", err);
        }
        sqlite3_reset(st);
    }
    sq_reader_put(sq, c);
    return rc;
}

static int do_delete_perm(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char one[] =
        "DELETE FROM resource_permissions WHERE kind = ? AND key = ? AND user_id = ?";
    static const char all[] = "DELETE FROM resource_permissions WHERE kind = ? AND key = ?";
    struct perm_arg *a = arg;
    if (a->username && user_id_of(c, a->username, &a->user, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, a->username ? one : all, err);
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, (int)a->kind);
    sqlite3_bind_text(st, 2, a->key, -1, SQLITE_STATIC);
    if (a->username)
        sqlite3_bind_int64(st, 3, a->user);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "deleting a permission", err);
    if (a->username && !sqlite3_changes(c->db))
        return perm_not_found(a->kind, a->key, a->username, err);
    return 0;
}

static int sq_delete_perm(struct store *s, enum res_kind kind, const char *key,
                          const char *username, struct ferr *err)
{
    struct perm_arg a = {kind, key, username, PERM_NO_PERMISSIONS, 0, 0};
    return sq_write((struct sq *)s, do_delete_perm, &a, err);
}

struct move_arg {
    enum res_kind kind;
    const char *from, *to;
};

static int do_move_perms(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    /* the moved grant (the model's own) replaces one left on the new name, which can only
     * be stale: the name was free, or the rename would have been refused */
    static const char sql[] = "UPDATE OR REPLACE resource_permissions SET key = ?3 "
                              "WHERE kind = ?1 AND key = ?2";
    struct move_arg *a = arg;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, (int)a->kind);
    sqlite3_bind_text(st, 2, a->from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, a->to, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "moving permissions", err);
    return 0;
}

static int sq_move_perms(struct store *s, enum res_kind kind, const char *from, const char *to,
                         struct ferr *err)
{
    struct move_arg a = {kind, from, to};
    return sq_write((struct sq *)s, do_move_perms, &a, err);
}

static int sq_lookup_perm(struct store *s, enum res_kind kind, const char *key, int64_t user_id,
                          enum perm *out, int *found, struct ferr *err)
{
    static const char sql[] = "SELECT permission FROM resource_permissions "
                              "WHERE kind = ? AND key = ? AND user_id = ?";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = -1;
    if (st) {
        sqlite3_bind_int(st, 1, (int)kind);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, user_id);
        int step = sqlite3_step(st);
        *found = step == SQLITE_ROW;
        if (step == SQLITE_ROW)
            *out = col_perm(st, 0);
        rc =
            step == SQLITE_ROW || step == SQLITE_DONE ? 0 : sq_fail(c, "reading a permission", err);
        sqlite3_reset(st);
    }
    sq_reader_put(sq, c);
    return rc;
}

/* ---------- tokens ---------- */

struct token_arg {
    const struct token_info *t;
    const char *digest, *id, *only_user;
    int64_t now;
};

static int do_create_token(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] = "INSERT INTO api_tokens (id, user_id, name, digest, scopes, "
                              "created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?)";
    struct token_arg *a = arg;
    int64_t user;
    if (user_id_of(c, a->t->user, &user, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, a->t->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, user);
    sqlite3_bind_text(st, 3, a->t->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, a->digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, a->t->scopes, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, a->t->created_ms);
    if (a->t->expires_ms)
        sqlite3_bind_int64(st, 7, a->t->expires_ms);
    else
        sqlite3_bind_null(st, 7);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "creating a token", err);
    return 0;
}

static int sq_create_token(struct store *s, const struct token_info *t, const char *digest,
                           struct ferr *err)
{
    struct token_arg a = {t, digest, NULL, NULL, 0};
    return sq_write((struct sq *)s, do_create_token, &a, err);
}

#define TOKEN_COLS                                                                                 \
    "t.id, u.username, t.name, t.scopes, t.created_ms, coalesce(t.expires_ms, 0), "                \
    "coalesce(t.revoked_ms, 0), u.id, u.is_admin"

static void token_from_row(sqlite3_stmt *st, struct token_info *t)
{
    t->id = sq_col_str(st, 0);
    t->user = sq_col_str(st, 1);
    t->name = sq_col_str(st, 2);
    t->scopes = sq_col_str(st, 3);
    t->created_ms = sqlite3_column_int64(st, 4);
    t->expires_ms = sqlite3_column_int64(st, 5);
    t->revoked_ms = sqlite3_column_int64(st, 6);
}

static int sq_find_token(struct store *s, const char *digest, struct token_info *out,
                         int64_t *user_id, int *is_admin, struct ferr *err)
{
    static const char sql[] = "SELECT " TOKEN_COLS " FROM api_tokens t JOIN users u "
                              "ON u.id = t.user_id WHERE t.digest = ?";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = -1;
    if (st) {
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            token_from_row(st, out);
            *user_id = sqlite3_column_int64(st, 7);
            *is_admin = sqlite3_column_int(st, 8) != 0;
            rc = 0;
        } else if (step == SQLITE_DONE) {
            ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "no such token");
        } else {
            sq_fail(c, "reading a token", err);
        }
        sqlite3_reset(st);
    }
    sq_reader_put(sq, c);
    return rc;
}

static int sq_list_tokens(struct store *s, const char *username, struct token_info_list *out,
                          struct ferr *err)
{
    static const char sql[] = "SELECT " TOKEN_COLS " FROM api_tokens t JOIN users u "
                              "ON u.id = t.user_id WHERE ?1 IS NULL OR u.username = ?1 "
                              "ORDER BY t.created_ms DESC, t.id";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = st ? 0 : -1, step = SQLITE_DONE;
    if (st) {
        if (username)
            sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            ALLOC_GROW(out->v, out->n + 1, out->alloc);
            memset(&out->v[out->n], 0, sizeof(out->v[0]));
            token_from_row(st, &out->v[out->n++]);
        }
        if (step != SQLITE_DONE)
            rc = sq_fail(c, "listing tokens", err);
        sqlite3_reset(st);
    }
    sq_reader_put(sq, c);
    if (rc)
        token_info_list_release(out);
    return rc;
}

static int do_revoke_token(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] =
        "UPDATE api_tokens SET revoked_ms = coalesce(revoked_ms, ?1) WHERE id = ?2 AND "
        "(?3 IS NULL OR user_id = (SELECT id FROM users WHERE username = ?3))";
    struct token_arg *a = arg;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, a->now);
    sqlite3_bind_text(st, 2, a->id, -1, SQLITE_STATIC);
    if (a->only_user)
        sqlite3_bind_text(st, 3, a->only_user, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "revoking a token", err);
    if (!sqlite3_changes(c->db))
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "Token with id=%.100s not found", a->id);
    return 0;
}

static int sq_revoke_token(struct store *s, const char *id, const char *only_user, int64_t now_ms,
                           struct ferr *err)
{
    struct token_arg a = {NULL, NULL, id, only_user, now_ms};
    return sq_write((struct sq *)s, do_revoke_token, &a, err);
}

const struct store_auth_ops sqlite_auth = {
    .create_user = sq_create_user,
    .get_user = sq_get_user,
    .list_users = sq_list_users,
    .update_user = sq_update_user,
    .delete_user = sq_delete_user,
    .count_admins = sq_count_admins,
    .put_perm = sq_put_perm,
    .get_perm = sq_get_perm,
    .delete_perm = sq_delete_perm,
    .move_perms = sq_move_perms,
    .lookup_perm = sq_lookup_perm,
    .create_token = sq_create_token,
    .find_token = sq_find_token,
    .list_tokens = sq_list_tokens,
    .revoke_token = sq_revoke_token,
};
