/* SPDX-License-Identifier: MIT
 * Where a project's code comes from, and what git says about it: a local
 * directory used in place, or a git repository (a URL, or a local path with
 * --version) cloned into a temporary directory and checked out. Internal to
 * projects/. */
#ifndef FERRY_PROJECTS_SOURCE_H
#define FERRY_PROJECTS_SOURCE_H

#include "base/ferr.h"
#include "base/sbuf.h"

struct project_source {
    struct sbuf dir;    /* the project directory (absolute) */
    struct sbuf clone;  /* the temporary clone to remove, or empty */
    struct sbuf commit; /* HEAD's commit, or empty outside git */
    struct sbuf repo;   /* origin's URL, else the repository's path */
    struct sbuf diff;   /* `git diff HEAD` of a dirty work tree, or empty */
};

/* uri: a directory, or a git URL/path, either with "#subdir". */
int source_fetch(const char *uri, const char *version, struct project_source *out,
                 struct ferr *err) WARN_UNUSED;
/* Removes the clone, if any. */
void source_release(struct project_source *s);

/* Runs argv (PATH searched) with stdout captured into out (stderr
 * dropped); returns its exit status, or -1 when it could not run. */
int source_capture(char *const argv[], const char *cwd, struct sbuf *out);

#endif
