/* SPDX-License-Identifier: MIT
 * Inside client/ only: struct client. Exactly one of store (embedded) and
 * http (REST) is set; transport.c picks by that. */
#ifndef FERRY_CLIENT_CLIENT_INT_H
#define FERRY_CLIENT_CLIENT_INT_H

#include "client/client.h"

struct client {
    char *uri;
    struct store *store;      /* embedded transport */
    struct http_client *http; /* REST transport */
};

#endif
