/* SPDX-License-Identifier: MIT */
#include "models/model_files.h"
#include "client/client_artifacts.h"
#include "client/client_registry.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* A local directory for uri: the directory itself, or a download of a
 * runs:/ source into tmp. *name gets the registered model's name for
 * models:/ URIs. */
static int fetch_dir(struct client *c, const char *uri, const char *tmp, struct sbuf *dir,
                     struct sbuf *name, struct sbuf *version, struct ferr *err)
{
    struct model_version v;
    char *where = NULL;
    const char *source = uri;
    memset(&v, 0, sizeof(v));
    if (!strncmp(uri, "models:/", 8)) {
        if (client_resolve_model_uri(c, uri, &where, &v, err))
            return -1;
        source = v.source;
        sbuf_addstr(name, v.name);
        sbuf_addf(version, "%" PRId64, v.version);
    }
    int rc = 0;
    if (!strncmp(source, "runs:/", 6)) {
        const char *p = source + 6;
        size_t idlen = strcspn(p, "/");
        struct sbuf id = SBUF_INIT;
        sbuf_add(&id, p, idlen);
        const char *path = p[idlen] ? p + idlen + 1 : "";
        /* the model directory's contents land in tmp itself */
        rc = client_download_artifacts(c, id.buf, path, tmp, NULL, NULL, err);
        sbuf_addstr(dir, tmp);
        sbuf_release(&id);
    } else if (!strncmp(source, "file://", 7)) {
        sbuf_addstr(dir, source + 7);
    } else if (!strstr(source, "://") && strncmp(source, "mlflow-artifacts:", 17)) {
        sbuf_addstr(dir, source);
    } else {
        rc = ferr_set(err, FERR_NOT_IMPLEMENTED,
                      "cannot fetch model files from '%.200s' yet: serve a local directory, a "
                      "runs:/ URI or a model registered from a run",
                      source);
    }
    model_version_release(&v);
    free(where);
    return rc;
}

int model_files_open(struct client *c, const char *uri, struct model_files *lm, struct ferr *err)
{
    memset(lm, 0, sizeof(*lm));
    snprintf(lm->tmp, sizeof(lm->tmp), "/tmp/ferry-model-XXXXXX");
    if (!uri)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing -m URI");
    if (!strncmp(uri, "runs:/", 6) || !strncmp(uri, "models:/", 8)) {
        if (!mkdtemp(lm->tmp))
            return ferr_set(err, FERR_IO_ERROR, "cannot make a temporary directory: %s",
                            strerror(errno));
        lm->made = 1;
    }
    return fetch_dir(c, uri, lm->tmp, &lm->dir, &lm->name, &lm->version, err);
}

void model_files_close(struct model_files *lm)
{
    if (lm->made) {
        struct sbuf cmd = SBUF_INIT;
        sbuf_addf(&cmd, "rm -rf '%s'", lm->tmp);
        if (system(cmd.buf) != 0)
            fprintf(stderr, "ferry: could not remove %s\n", lm->tmp);
        sbuf_release(&cmd);
    }
    sbuf_release(&lm->dir);
    sbuf_release(&lm->name);
    sbuf_release(&lm->version);
}
