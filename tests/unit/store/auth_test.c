/* SPDX-License-Identifier: MIT
 * The auth area on a real SQLite file (store/auth.h), the secrets under it
 * (base/secret.h) and the permission levels and token scopes
 * (domain/auth.h). */
#include "../test.h"
#include "base/secret.h"
#include "domain/auth.h"
#include "store/auth.h"
#include "store/store.h"

#include <string.h>

static struct store *open_auth_store(void)
{
    struct sbuf path = SBUF_INIT;
    {
        char *uri = test_store_uri("auth");
        sbuf_addstr(&path, uri);
        free(uri);
    }
    struct store_opts o = STORE_OPTS_INIT;
    o.default_artifact_root = "/artifacts";
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_open(path.buf, &o, &s, &err), &err);
    sbuf_release(&path);
    return s;
}

TEST(secret_password_hashes_check_and_refuse)
{
    struct sbuf h = SBUF_INIT, h2 = SBUF_INIT;
    struct ferr err = FERR_INIT;
    ASSERT_OK(secret_hash_password("correct horse", &h, &err), &err);
    ASSERT_OK(secret_hash_password("correct horse", &h2, &err), &err);
    ASSERT(!strncmp(h.buf, "scrypt$15$8$1$", 14));
    ASSERT(strcmp(h.buf, h2.buf) != 0); /* salted */
    ASSERT(strstr(h.buf, "correct") == NULL);
    ASSERT(secret_check_password("correct horse", h.buf));
    ASSERT(!secret_check_password("correct horsf", h.buf));
    ASSERT(!secret_check_password("", h.buf));
    /* a stored value that is not such a hash never matches, never crashes */
    static const char *const junk[] = {"",
                                       "scrypt$",
                                       "scrypt$15$8$1$",
                                       "scrypt$15$8$1$AAAA",
                                       "scrypt$15$8$1$!!!$AAAA",
                                       "scrypt$40$8$1$AAAA$AAAA",
                                       "scrypt$15$0$1$AAAA$AAAA",
                                       "plain",
                                       "correct horse"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(*junk); i++)
        if (secret_check_password("correct horse", junk[i]))
            FAIL_AT("'%s' matched", junk[i]);
    sbuf_release(&h);
    sbuf_release(&h2);
}

TEST(secret_tokens_and_digests)
{
    struct sbuf t = SBUF_INIT, u = SBUF_INIT;
    struct ferr err = FERR_INIT;
    char hex[65];
    ASSERT_OK(secret_new_token(&t, &err), &err);
    ASSERT_OK(secret_new_token(&u, &err), &err);
    ASSERT_INT_EQ((long long)t.len, 6 + 43);
    ASSERT(!strncmp(t.buf, "ferry_", 6) && strcmp(t.buf, u.buf));
    ASSERT(strspn(t.buf + 6, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
           43);
    secret_sha256_hex("abc", 3, hex); /* FIPS 180-2's example */
    ASSERT_STR_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    unsigned char k[32] = {0}, m1[32], m2[32];
    struct secret_mac *mac = secret_mac_new(k, &err);
    ASSERT(mac != NULL);
    ASSERT(!secret_mac_compute(mac, "a", 1, m1) && !secret_mac_compute(mac, "b", 1, m2));
    ASSERT(!secret_equal(m1, m2, 32) && secret_equal(m1, m1, 32));
    /* HMAC-SHA256(32 zero bytes, "a"), as Python's hmac module computes it */
    char mhex[65];
    for (int i = 0; i < 32; i++)
        snprintf(mhex + 2 * i, 3, "%02x", m1[i]);
    ASSERT_STR_EQ(mhex, "9615a95d4a336118c435b9cd54c5e8644ab956b573aa2926274a1280b6674713");
    secret_mac_free(mac);
    sbuf_release(&t);
    sbuf_release(&u);
}

TEST(auth_permission_levels_and_scopes)
{
    struct ferr err = FERR_INIT;
    enum perm p;
    ASSERT_OK(perm_parse("EDIT", &p, &err), &err);
    ASSERT_INT_EQ(p, PERM_EDIT);
    ASSERT(PERM_NO_PERMISSIONS < PERM_READ && PERM_READ < PERM_USE && PERM_USE < PERM_EDIT &&
           PERM_EDIT < PERM_MANAGE);
    ASSERT_FAILS(perm_parse("edit", &p, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "Invalid permission 'edit'. Valid permissions are: ('READ'");
    ASSERT_FAILS(perm_parse(NULL, &p, &err), &err, FERR_INVALID_PARAMETER_VALUE);

    struct token_scopes sc;
    struct sbuf out = SBUF_INIT;
    ASSERT_OK(token_scopes_parse("experiment:EDIT,registered_model:READ", &sc, &err), &err);
    ASSERT(sc.max[RES_EXPERIMENT] == PERM_EDIT && sc.max[RES_REGISTERED_MODEL] == PERM_READ &&
           !sc.admin);
    token_scopes_format(&sc, &out);
    ASSERT_STR_EQ(out.buf, "experiment:EDIT,registered_model:READ");
    sbuf_reset(&out);
    ASSERT_OK(token_scopes_parse("*:READ", &sc, &err), &err);
    ASSERT(sc.max[RES_EXPERIMENT] == PERM_READ && sc.max[RES_REGISTERED_MODEL] == PERM_READ);
    ASSERT_OK(token_scopes_parse("", &sc, &err), &err);
    ASSERT(sc.admin && sc.max[RES_EXPERIMENT] == PERM_MANAGE);
    token_scopes_format(&sc, &out);
    ASSERT_STR_EQ(out.buf, "*");
    /* one resource: a process ferry starts gets experiment/<id>:EDIT */
    ASSERT_OK(token_scopes_parse("experiment/7:EDIT,registered_model/a:b:READ", &sc, &err), &err);
    ASSERT(token_scopes_max(&sc, RES_EXPERIMENT, "7") == PERM_EDIT);
    ASSERT(token_scopes_max(&sc, RES_EXPERIMENT, "8") == PERM_NO_PERMISSIONS);
    ASSERT(token_scopes_max(&sc, RES_REGISTERED_MODEL, "a:b") == PERM_READ);
    ASSERT(token_scopes_max(&sc, RES_EXPERIMENT, NULL) == PERM_NO_PERMISSIONS);
    sbuf_reset(&out);
    token_scopes_format(&sc, &out);
    ASSERT_STR_EQ(out.buf, "experiment:NO_PERMISSIONS,registered_model:NO_PERMISSIONS,"
                           "experiment/7:EDIT,registered_model/a:b:READ");
    /* admin beside one-resource grants keeps admin when formatted (fuzz_auth_header) */
    ASSERT_OK(token_scopes_parse("experiment/7:READ,admin", &sc, &err), &err);
    sbuf_reset(&out);
    token_scopes_format(&sc, &out);
    ASSERT_STR_EQ(out.buf, "admin,experiment:NO_PERMISSIONS,registered_model:NO_PERMISSIONS,"
                           "experiment/7:READ");
    static const char *const bad[] = {"experiment",
                                      "experiment:ALL",
                                      "deployment:READ",
                                      ",",
                                      "a:b:c",
                                      "experiment:READ,,",
                                      "experiment/:READ",
                                      "run/1:READ",
                                      "experiment/"
                                      "0123456789012345678901234567890123456789012345678901234567890123:"
                                      "READ"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct ferr e = FERR_INIT;
        if (!token_scopes_parse(bad[i], &sc, &e))
            FAIL_AT("scopes '%s' accepted", bad[i]);
        ASSERT_INT_EQ(e.code, FERR_INVALID_PARAMETER_VALUE);
    }
    sbuf_release(&out);
}

STORE_TEST(store_users_authenticate_and_keep_no_password)
{
    struct store *s = open_auth_store();
    struct ferr err = FERR_INIT;
    struct user u;
    struct principal who;
    int64_t admins = -1;
    ASSERT_OK(store_count_admins(s, &admins, &err), &err);
    ASSERT_INT_EQ(admins, 0);
    ASSERT_OK(store_create_user(s, "ann", "pw-ann", 1, &u, &err), &err);
    user_release(&u);
    ASSERT_FAILS(store_create_user(s, "ann", "other", 0, &u, &err), &err,
                 FERR_RESOURCE_ALREADY_EXISTS);
    ASSERT_STR_EQ(err.msg, "User (username=ann) already exists.");
    ASSERT_FAILS(store_create_user(s, "", "x", 0, &u, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_STR_EQ(err.msg, "Username cannot be empty.");
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
    principal_release(&who);
    /* the only admin stays one */
    ASSERT_FAILS(store_update_user_admin(s, "ann", 0, &err), &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "only admin");
    ASSERT_FAILS(store_delete_user(s, "ann", &err), &err, FERR_INVALID_STATE);
    ASSERT_OK(store_create_user(s, "ben", "pw-ben", 1, &u, &err), &err);
    user_release(&u);
    ASSERT_OK(store_update_user_admin(s, "ann", 0, &err), &err);
    ASSERT_FAILS(store_delete_user(s, "ben", &err), &err, FERR_INVALID_STATE);
    ASSERT_FAILS(store_update_user_admin(s, "ghost", 1, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "User with username=ghost not found");
    store_close(s);
}

STORE_TEST(store_permissions_and_tokens)
{
    struct store *s = open_auth_store();
    struct ferr err = FERR_INIT;
    struct user u;
    struct resource_perm rp;
    enum perm p;
    int found;
    ASSERT_OK(store_create_user(s, "cy", "pw", 0, &u, &err), &err);
    int64_t cy = u.id;
    user_release(&u);
    ASSERT_OK(store_create_permission(s, RES_EXPERIMENT, "7", "cy", PERM_EDIT, &rp, &err), &err);
    free(rp.key);
    free(rp.user);
    ASSERT_FAILS(store_create_permission(s, RES_EXPERIMENT, "7", "cy", PERM_READ, &rp, &err), &err,
                 FERR_RESOURCE_ALREADY_EXISTS);
    ASSERT_OK(store_lookup_permission(s, RES_EXPERIMENT, "7", cy, &p, &found, &err), &err);
    ASSERT(found && p == PERM_EDIT);
    /* the kinds are apart: a model named "7" is another resource */
    ASSERT_OK(store_lookup_permission(s, RES_REGISTERED_MODEL, "7", cy, &p, &found, &err), &err);
    ASSERT(!found);
    ASSERT_OK(store_get_user(s, "cy", &u, &err), &err);
    ASSERT_INT_EQ((long long)u.experiment_perms.n, 1);
    ASSERT_STR_EQ(u.experiment_perms.v[0].key, "7");
    user_release(&u);
    ASSERT_FAILS(store_update_permission(s, RES_REGISTERED_MODEL, "m", "cy", PERM_READ, &err),
                 &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_STR_EQ(err.msg, "Registered model permission with name=m and username=cy not found");

    struct sbuf secret = SBUF_INIT;
    struct token_info t;
    struct principal who;
    ASSERT_OK(store_create_token(s, "cy", "ci", "experiment:READ", 0, &secret, &t, &err), &err);
    ASSERT_OK(store_authenticate_token(s, secret.buf, &who, &err), &err);
    ASSERT(who.by_token && who.user_id == cy && who.scopes.max[RES_EXPERIMENT] == PERM_READ &&
           who.scopes.max[RES_REGISTERED_MODEL] == PERM_NO_PERMISSIONS);
    principal_release(&who);
    ASSERT_FAILS(store_revoke_token(s, t.id, "someone-else", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_revoke_token(s, t.id, "cy", &err), &err);
    ASSERT_FAILS(store_authenticate_token(s, secret.buf, &who, &err), &err, FERR_UNAUTHENTICATED);
    ASSERT_CONTAINS(err.msg, "revoked");
    ASSERT_FAILS(store_authenticate_token(s, "ferry_nope", &who, &err), &err,
                 FERR_UNAUTHENTICATED);
    token_info_release(&t);
    sbuf_release(&secret);

    /* deleting the user takes its permissions and tokens along */
    ASSERT_OK(store_create_token(s, "cy", "ci2", NULL, 0, &secret, &t, &err), &err);
    ASSERT_OK(store_delete_user(s, "cy", &err), &err);
    ASSERT_FAILS(store_authenticate_token(s, secret.buf, &who, &err), &err, FERR_UNAUTHENTICATED);
    ASSERT_OK(store_lookup_permission(s, RES_EXPERIMENT, "7", cy, &p, &found, &err), &err);
    ASSERT(!found);
    token_info_release(&t);
    sbuf_release(&secret);
    store_close(s);
}
