/* SPDX-License-Identifier: MIT
 * A listing of files in a repository: what artifact_list answers and what
 * every backend fills. */
#ifndef FERRY_ARTIFACTS_LIST_H
#define FERRY_ARTIFACTS_LIST_H

#include <stddef.h>
#include <stdint.h>

struct artifact_file {
    char *path; /* relative to the repository root */
    int is_dir;
    int64_t size; /* bytes; 0 for directories */
};

struct artifact_list {
    struct artifact_file *v;
    size_t n, alloc;
};

/* Appends a copy of path (size is taken as 0 for a directory). */
void artifact_list_add(struct artifact_list *l, const char *path, int is_dir, int64_t size);
/* Frees the entries and leaves l empty and reusable. */
void artifact_list_release(struct artifact_list *l);

#endif
