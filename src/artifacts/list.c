/* SPDX-License-Identifier: MIT */
#include "artifacts/list.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void artifact_list_add(struct artifact_list *l, const char *path, int is_dir, int64_t size)
{
    ALLOC_GROW(l->v, l->n + 1, l->alloc);
    l->v[l->n].path = xstrdup(path);
    l->v[l->n].is_dir = is_dir;
    l->v[l->n].size = is_dir ? 0 : size;
    l->n++;
}

void artifact_list_release(struct artifact_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].path);
    free(l->v);
    memset(l, 0, sizeof(*l));
}
