/* SPDX-License-Identifier: MIT */
#include "domain/artifact_uri.h"

#include <string.h>

#include "base/banned.h"

#define ANCHOR "/api/2.0/mlflow-artifacts/artifacts"

int artifact_uri_http_base(const char *uri, size_t *len)
{
    if (!uri || (strncmp(uri, "http://", 7) && strncmp(uri, "https://", 8)))
        return 0;
    const char *path = strchr(uri + (uri[4] == 's' ? 8 : 7), '/');
    const char *at = path ? strstr(path, ANCHOR) : NULL;
    const char *after = at ? at + sizeof(ANCHOR) - 1 : NULL;
    /* the anchor ends the segment, and no query or fragment follows */
    if (!at || (*after && *after != '/') || strpbrk(after, "?#"))
        return 0;
    *len = (size_t)(at - uri);
    return 1;
}

const char *artifact_uri_proxied_path(const char *uri)
{
    static const char scheme[] = "mlflow-artifacts:";
    size_t base;
    if (artifact_uri_http_base(uri, &base)) {
        const char *p = uri + base + sizeof(ANCHOR) - 1;
        while (*p == '/')
            p++;
        return p;
    }
    if (!uri || strncmp(uri, scheme, sizeof(scheme) - 1))
        return NULL;
    const char *p = uri + sizeof(scheme) - 1;
    if (!strncmp(p, "//", 2)) { /* skip the authority */
        p += 2;
        p += strcspn(p, "/");
    }
    while (*p == '/')
        p++;
    return p;
}
