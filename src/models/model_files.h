/* SPDX-License-Identifier: MIT
 * A model URI as a local directory to load from: a directory or file://
 * path as it is; runs:/<run_id>/<path>, and models:/... whose version comes
 * from a run, downloaded through the client into a temporary directory
 * that model_files_close removes. Object-store sources are
 * NOT_IMPLEMENTED for now. */
#ifndef FERRY_MODELS_MODEL_FILES_H
#define FERRY_MODELS_MODEL_FILES_H

#include "base/sbuf.h"
#include "client/client.h"

struct model_files {
    char tmp[32];
    int made;            /* tmp was created and is removed on close */
    struct sbuf dir;     /* the directory to load */
    struct sbuf name;    /* models:/ URIs: the registered model's name */
    struct sbuf version; /* ... and the version's number */
};

int model_files_open(struct client *c, const char *uri, struct model_files *out,
                     struct ferr *err) WARN_UNUSED;
void model_files_close(struct model_files *f);

#endif
