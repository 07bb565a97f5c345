/* SPDX-License-Identifier: MIT */
#include "store/auth.h"
#include "store/backend.h"
#include "base/ftime.h"
#include "base/secret.h"
#include "base/xalloc.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MAX_USERNAME 256
#define MAX_PASSWORD 1024 /* scrypt takes any length; a bound keeps requests cheap */

#define AUTH_OPS(s, err)                                                                           \
    do {                                                                                           \
        if (!(s)->auth)                                                                            \
            return store_lacks(s, "users and permissions", err);                                   \
    } while (0)

void principal_release(struct principal *p)
{
    free(p->username);
    memset(p, 0, sizeof(*p));
}

static int check_username(const char *username, struct ferr *err)
{
    if (!username || !*username)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "Username cannot be empty.");
    if (strlen(username) > MAX_USERNAME)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Username exceeds the maximum length of %d characters", MAX_USERNAME);
    return 0;
}

static int check_password(const char *password, struct ferr *err)
{
    if (!password || !*password)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "Password cannot be empty.");
    if (strlen(password) > MAX_PASSWORD)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Password exceeds the maximum length of %d characters", MAX_PASSWORD);
    return 0;
}

static int check_key(enum res_kind kind, const char *key, struct ferr *err)
{
    if (key && *key)
        return 0;
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "Missing value for required parameter '%s'. See the API docs for more "
                    "information about request parameters.",
                    kind == RES_EXPERIMENT ? "experiment_id" : "name");
}

int store_create_user(struct store *s, const char *username, const char *password, int is_admin,
                      struct user *out, struct ferr *err)
{
    AUTH_OPS(s, err);
    struct sbuf hash = SBUF_INIT;
    struct user known;
    int64_t id;
    if (check_username(username, err) || check_password(password, err))
        return -1;
    /* a taken name answers at once, not after a password hash (the insert
     * below still decides a race) */
    memset(&known, 0, sizeof(known));
    if (!s->auth->get_user(s, username, 0, &known, NULL, err)) {
        user_release(&known);
        return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS, "User (username=%.256s) already exists.",
                        username);
    }
    if (err->code != FERR_RESOURCE_DOES_NOT_EXIST)
        return -1;
    *err = (struct ferr)FERR_INIT;
    if (secret_hash_password(password, &hash, err))
        return -1;
    int rc = s->auth->create_user(s, username, hash.buf, is_admin, &id, err);
    sbuf_release(&hash);
    if (rc)
        return -1;
    memset(out, 0, sizeof(*out));
    out->id = id;
    out->username = xstrdup(username);
    out->is_admin = is_admin;
    return 0;
}

int store_get_user(struct store *s, const char *username, struct user *out, struct ferr *err)
{
    AUTH_OPS(s, err);
    if (check_username(username, err))
        return -1;
    return s->auth->get_user(s, username, 1, out, NULL, err);
}

int store_list_users(struct store *s, struct user_list *out, struct ferr *err)
{
    AUTH_OPS(s, err);
    return s->auth->list_users(s, out, err);
}

int store_update_user_password(struct store *s, const char *username, const char *password,
                               struct ferr *err)
{
    AUTH_OPS(s, err);
    struct sbuf hash = SBUF_INIT;
    if (check_username(username, err) || check_password(password, err) ||
        secret_hash_password(password, &hash, err))
        return -1;
    int rc = s->auth->update_user(s, username, hash.buf, -1, err);
    sbuf_release(&hash);
    return rc;
}

int store_update_user_admin(struct store *s, const char *username, int is_admin, struct ferr *err)
{
    AUTH_OPS(s, err);
    if (check_username(username, err))
        return -1;
    return s->auth->update_user(s, username, NULL, is_admin ? 1 : 0, err);
}

int store_delete_user(struct store *s, const char *username, struct ferr *err)
{
    AUTH_OPS(s, err);
    if (check_username(username, err))
        return -1;
    return s->auth->delete_user(s, username, err);
}

int store_count_admins(struct store *s, int64_t *n, struct ferr *err)
{
    AUTH_OPS(s, err);
    return s->auth->count_admins(s, n, err);
}

static int unauthenticated(struct ferr *err)
{
    return ferr_set(err, FERR_UNAUTHENTICATED, "invalid username or password");
}

int store_authenticate(struct store *s, const char *username, const char *password,
                       struct principal *out, struct ferr *err)
{
    AUTH_OPS(s, err);
    struct user u;
    char *hash = NULL;
    memset(&u, 0, sizeof(u));
    memset(out, 0, sizeof(*out));
    if (!username || !*username || !password || strlen(password) > MAX_PASSWORD ||
        strlen(username) > MAX_USERNAME)
        return unauthenticated(err);
    if (s->auth->get_user(s, username, 0, &u, &hash, err)) {
        if (err->code != FERR_RESOURCE_DOES_NOT_EXIST)
            return -1;
        /* the same work as for a known user: timing tells no names */
        (void)secret_check_password(password, "scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA==$"
                                              "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        return unauthenticated(err);
    }
    int ok = secret_check_password(password, hash);
    free(hash);
    if (!ok) {
        user_release(&u);
        return unauthenticated(err);
    }
    out->user_id = u.id;
    out->username = u.username;
    out->is_admin = u.is_admin;
    u.username = NULL;
    user_release(&u);
    return 0;
}

int store_authenticate_token(struct store *s, const char *token, struct principal *out,
                             struct ferr *err)
{
    AUTH_OPS(s, err);
    char digest[65];
    struct token_info t;
    int64_t uid;
    int admin;
    memset(out, 0, sizeof(*out));
    if (!token || strncmp(token, "ferry_", 6) || strlen(token) > 128)
        return ferr_set(err, FERR_UNAUTHENTICATED, "invalid token");
    secret_sha256_hex(token, strlen(token), digest);
    memset(&t, 0, sizeof(t));
    if (s->auth->find_token(s, digest, &t, &uid, &admin, err))
        return err->code == FERR_RESOURCE_DOES_NOT_EXIST
                   ? ferr_set(err, FERR_UNAUTHENTICATED, "invalid token")
                   : -1;
    int64_t now = ftime_now_ms();
    int rc = 0;
    if (t.revoked_ms)
        rc = ferr_set(err, FERR_UNAUTHENTICATED, "token %s was revoked", t.id);
    else if (t.expires_ms && t.expires_ms <= now)
        rc = ferr_set(err, FERR_UNAUTHENTICATED, "token %s has expired", t.id);
    else if (token_scopes_parse(t.scopes, &out->scopes, err))
        rc = -1;
    if (!rc) {
        out->user_id = uid;
        out->username = t.user;
        out->is_admin = admin;
        out->by_token = 1;
        out->expires_ms = t.expires_ms;
        t.user = NULL;
    }
    token_info_release(&t);
    return rc;
}

/* Experiment permissions are kept by the id's one spelling (auth.h): key
 * itself, or that spelling in buf. */
static const char *canonical_key(enum res_kind kind, const char *key, char buf[24])
{
    return kind == RES_EXPERIMENT && !auth_canonical_id(key, buf, 24) ? buf : key;
}

int store_create_permission(struct store *s, enum res_kind kind, const char *key,
                            const char *username, enum perm perm, struct resource_perm *out,
                            struct ferr *err)
{
    AUTH_OPS(s, err);
    char canon[24];
    key = canonical_key(kind, key, canon);
    if (check_key(kind, key, err) || check_username(username, err))
        return -1;
    return s->auth->put_perm(s, kind, key, username, perm, 1, out, err);
}

int store_update_permission(struct store *s, enum res_kind kind, const char *key,
                            const char *username, enum perm perm, struct ferr *err)
{
    AUTH_OPS(s, err);
    char canon[24];
    key = canonical_key(kind, key, canon);
    if (check_key(kind, key, err) || check_username(username, err))
        return -1;
    return s->auth->put_perm(s, kind, key, username, perm, 0, NULL, err);
}

int store_get_permission(struct store *s, enum res_kind kind, const char *key, const char *username,
                         struct resource_perm *out, struct ferr *err)
{
    AUTH_OPS(s, err);
    char canon[24];
    key = canonical_key(kind, key, canon);
    if (check_key(kind, key, err) || check_username(username, err))
        return -1;
    return s->auth->get_perm(s, kind, key, username, out, err);
}

int store_delete_permission(struct store *s, enum res_kind kind, const char *key,
                            const char *username, struct ferr *err)
{
    AUTH_OPS(s, err);
    char canon[24];
    key = canonical_key(kind, key, canon);
    if (check_key(kind, key, err) || (username && check_username(username, err)))
        return -1;
    return s->auth->delete_perm(s, kind, key, username, err);
}

int store_move_permissions(struct store *s, enum res_kind kind, const char *from, const char *to,
                           struct ferr *err)
{
    AUTH_OPS(s, err);
    if (check_key(kind, from, err) || check_key(kind, to, err))
        return -1;
    return s->auth->move_perms(s, kind, from, to, err);
}

int store_lookup_permission(struct store *s, enum res_kind kind, const char *key, int64_t user_id,
                            enum perm *out, int *found, struct ferr *err)
{
    AUTH_OPS(s, err);
    char canon[24];
    key = canonical_key(kind, key, canon);
    return s->auth->lookup_perm(s, kind, key, user_id, out, found, err);
}

int store_create_token(struct store *s, const char *username, const char *name, const char *scopes,
                       int64_t lifetime_ms, struct sbuf *secret, struct token_info *out,
                       struct ferr *err)
{
    AUTH_OPS(s, err);
    struct token_scopes sc;
    struct sbuf norm = SBUF_INIT, tok = SBUF_INIT;
    unsigned char idbytes[8];
    char id[24], digest[65];
    if (check_username(username, err) || token_scopes_parse(scopes, &sc, err))
        return -1;
    if (lifetime_ms < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a token's lifetime must not be negative");
    if (!name || !*name || strlen(name) > 256)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a token needs a name of 1 to 256 characters");
    if (secret_random(idbytes, sizeof(idbytes), err) || secret_new_token(&tok, err)) {
        sbuf_release(&tok);
        return -1;
    }
    snprintf(id, sizeof(id), "tok-%02x%02x%02x%02x%02x%02x%02x%02x", idbytes[0], idbytes[1],
             idbytes[2], idbytes[3], idbytes[4], idbytes[5], idbytes[6], idbytes[7]);
    secret_sha256_hex(tok.buf, tok.len, digest);
    token_scopes_format(&sc, &norm);
    memset(out, 0, sizeof(*out));
    out->id = xstrdup(id);
    out->user = xstrdup(username);
    out->name = xstrdup(name);
    out->scopes = sbuf_detach(&norm, NULL);
    out->created_ms = ftime_now_ms();
    out->expires_ms = lifetime_ms ? out->created_ms + lifetime_ms : 0;
    if (s->auth->create_token(s, out, digest, err)) {
        token_info_release(out);
        OPENSSL_cleanse(tok.buf, tok.len);
        sbuf_release(&tok);
        return -1;
    }
    sbuf_add(secret, tok.buf, tok.len);
    OPENSSL_cleanse(tok.buf, tok.len);
    sbuf_release(&tok);
    return 0;
}

int store_list_tokens(struct store *s, const char *username, struct token_info_list *out,
                      struct ferr *err)
{
    AUTH_OPS(s, err);
    return s->auth->list_tokens(s, username, out, err);
}

int store_revoke_token(struct store *s, const char *id, const char *only_user, struct ferr *err)
{
    AUTH_OPS(s, err);
    if (!id || !*id)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Missing value for required parameter 'token_id'. See the API docs for "
                        "more information about request parameters.");
    return s->auth->revoke_token(s, id, only_user, ftime_now_ms(), err);
}
