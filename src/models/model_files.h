/* SPDX-License-Identifier: MIT
 * A model URI as a local directory to load from. A directory or file://
 * path is read in place; runs:/<run_id>/<path>, models:/... (the version's
 * files wherever the registry says they are), mlflow-artifacts:/... and a
 * tracking server's http(s)://host/api/2.0/mlflow-artifacts/artifacts/...
 * are downloaded through the client into a temporary directory that
 * model_files_close removes. Object stores (s3://, gs://, ...) are
 * NOT_IMPLEMENTED with a message naming what is read. */
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

/* Whether uri's files are read in place (a local path or file:// URI):
 * then model_files_open needs no client (c may be NULL), so a program
 * serving a directory opens no store. */
int model_files_local(const char *uri);
/* On failure nothing is left to release (closing it anyway is harmless). */
/* On failure nothing is left to release (closing it anyway is harmless). */
int model_files_open(struct client *c, const char *uri, struct model_files *out,
                     struct ferr *err) WARN_UNUSED;
/* Removes the temporary directory; may be called twice. */
/* Removes the temporary directory; may be called twice. */
void model_files_close(struct model_files *f);

#endif
