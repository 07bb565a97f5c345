/* SPDX-License-Identifier: MIT
 * The files below an artifact URI (a run's, a logged model's, a trace's, a
 * model version's) as a server reaches them: through its proxied
 * repository for mlflow-artifacts:/ URIs (the URI's path inside it), the
 * artifact root a local URI lies below (the URI's path inside it), or, in
 * process, the repository the URI itself names. One place
 * for what every route that reads or writes such files needs. */
#ifndef FERRY_ARTIFACTS_PLACE_H
#define FERRY_ARTIFACTS_PLACE_H

#include "artifacts/repo.h"
#include "base/sbuf.h"

struct artifact_place {
    struct artifact_repo *repo; /* where the files are */
    struct artifact_repo *own;  /* opened here (closed by artifact_place_close); NULL: proxied */
    struct sbuf root;           /* the URI's directory inside repo ("" for its root) */
};

struct artifact_roots;

/* proxied: the server's repository for mlflow-artifacts:/ URIs; NULL when it
 * serves none, which makes such a URI INVALID_PARAMETER_VALUE. roots: a
 * server's artifact roots (artifacts/roots.h): a local uri is then reached
 * through the root it lies below, and one outside them all is refused
 * without touching the file system; NULL (in-process): any local uri is
 * opened as it is. 0, or -1 with err set and nothing to close. */
int artifact_place_open(struct artifact_place *p, struct artifact_repo *proxied,
                        const struct artifact_roots *roots, const char *uri,
                        struct ferr *err) WARN_UNUSED;
/* rel ("" for the root; checked first) as a path of p->repo, into out. */
int artifact_place_path(const struct artifact_place *p, const char *rel, struct sbuf *out,
                        struct ferr *err) WARN_UNUSED;
/* Stores n bytes as rel (replacing a file of that name). */
int artifact_place_write(const struct artifact_place *p, const char *rel, const void *data,
                         size_t n, struct ferr *err) WARN_UNUSED;
/* Accepts a place that failed to open, or was never opened (zeroed). */
void artifact_place_close(struct artifact_place *p);

#endif
