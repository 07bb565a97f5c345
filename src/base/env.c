/* SPDX-License-Identifier: MIT */
#include "base/env.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/banned.h"

const char *env_get(const char *name)
{
    static const char *const prefixes[] = {"FERRY_", "MLFLOW_"};
    char var[128];
    for (size_t i = 0; i < 2; i++) {
        snprintf(var, sizeof(var), "%s%s", prefixes[i], name);
        const char *v = getenv(var);
        if (v && *v)
            return v;
    }
    return NULL;
}
