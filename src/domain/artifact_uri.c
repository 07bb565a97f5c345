/* SPDX-License-Identifier: MIT */
#include "domain/artifact_uri.h"

#include <string.h>

#include "base/banned.h"

const char *artifact_uri_proxied_path(const char *uri)
{
    static const char scheme[] = "mlflow-artifacts:";
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
