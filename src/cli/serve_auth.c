/* SPDX-License-Identifier: MIT */
#include "cli/serve_auth.h"
#include "cli/cli.h"
#include "auth/guard.h"
#include "base/env.h"
#include "store/auth.h"
#include "store/store.h"

#include <string.h>

#include "base/banned.h"

int serve_open_guard(const struct serve_auth *o, struct store **s, struct guard **g,
                     struct ferr *err)
{
    struct store_opts so = STORE_OPTS_INIT;
    struct guard_opts go = {PERM_READ, 0, 0};
    struct user_list users = {0};
    const char *uri = o->auth_store ? o->auth_store : cli_tracking_uri;
    if (!uri)
        uri = env_get("TRACKING_URI");
    if (!uri)
        uri = "ferry.db";
    if (!strncmp(uri, "http://", 7) || !strncmp(uri, "https://", 8))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "authentication needs the database that holds the users: give "
                        "--auth-store sqlite:///... (the tracking server's), or --no-auth");
    if (o->default_permission && perm_parse(o->default_permission, &go.default_perm, err))
        return -1;
    if (store_open(uri, &so, s, err) || store_list_users(*s, &users, err))
        return -1;
    size_t n = users.n;
    user_list_release(&users);
    if (!n)
        return ferr_set(err, FERR_INVALID_STATE,
                        "authentication is on (%s) but %s has no users: create them with `ferry "
                        "users create`, or serve with --no-auth",
                        o->auth == 1 ? "--auth" : "bound to a non-loopback address", uri);
    return guard_new(&go, *s, g, err);
}
