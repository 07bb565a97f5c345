/* SPDX-License-Identifier: MIT
 * Store URIs without their secrets (store/uri.h). */
#include "store/uri.h"
#include "base/sbuf.h"

#include <string.h>

#include "base/banned.h"

char *store_uri_redacted(const char *uri)
{
    struct sbuf sb = SBUF_INIT;
    const char *sep = strstr(uri, "://");
    const char *auth = sep ? sep + 3 : uri;
    const char *end = auth + strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            at = p; /* the last '@' ends the user info */
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon) {
        sbuf_add(&sb, uri, (size_t)(colon + 1 - uri));
        sbuf_addstr(&sb, "***");
        uri = at;
    }
    /* ?password=... among the parameters */
    for (const char *p = uri; *p;) {
        const char *q = strstr(p, "password=");
        if (!q || (q != uri && q[-1] != '?' && q[-1] != '&')) {
            if (!q) {
                sbuf_addstr(&sb, p);
                break;
            }
            sbuf_add(&sb, p, (size_t)(q + 9 - p));
            p = q + 9;
            continue;
        }
        sbuf_add(&sb, p, (size_t)(q + 9 - p));
        sbuf_addstr(&sb, "***");
        p = q + 9 + strcspn(q + 9, "&#");
    }
    return sbuf_detach(&sb, NULL);
}

const char *store_uri_sqlite_path(const char *uri)
{
    if (!uri || !*uri)
        return "ferry.db";
    if (!strncmp(uri, "sqlite://", 9))
        return uri + 9; /* sqlite:///abs keeps its leading '/' */
    return strstr(uri, "://") ? NULL : uri;
}
