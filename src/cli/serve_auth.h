/* SPDX-License-Identifier: MIT
 * Authentication for the programs that score (`ferry models serve`,
 * `ferry serve`): the users' database and the guard over it. */
#ifndef FERRY_CLI_SERVE_AUTH_H
#define FERRY_CLI_SERVE_AUTH_H

#include "base/ferr.h"

struct store;
struct guard;

struct serve_auth {
    int auth;                       /* 1 --auth, 0 --no-auth, -1 on unless loopback */
    const char *auth_store;         /* the users' database; NULL: the tracking URI */
    const char *default_permission; /* NULL: READ */
};

/* Opens the users' store (*s) and a guard over it (*g); refused when the
 * store is a server (users live in a database) or has no users. */
int serve_open_guard(const struct serve_auth *o, struct store **s, struct guard **g,
                     struct ferr *err) WARN_UNUSED;

#endif
