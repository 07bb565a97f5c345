/* SPDX-License-Identifier: MIT */
#include "models/model_files.h"
#include "client/client_artifacts.h"
#include "client/client_registry.h"
#include "base/fs_tree.h"
#include "domain/artifact_uri.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int model_files_local(const char *uri)
{
    return !strncmp(uri, "file://", 7) ||
           (!strstr(uri, "://") && strncmp(uri, "mlflow-artifacts:", 17) &&
            strncmp(uri, "runs:/", 6) && strncmp(uri, "models:/", 8));
}

/* A local directory for uri: the directory itself, or a download into tmp
 * of a run's artifacts, a registered version's files, or an artifact
 * server's tree. *name and *version get the registered model's name and
 * version for models:/ URIs. */
static int fetch_dir(struct client *c, const char *uri, const char *tmp, struct sbuf *dir,
                     struct sbuf *name, struct sbuf *version, struct ferr *err)
{
    struct model_version v;
    char *where = NULL;
    int rc = 0;
    memset(&v, 0, sizeof(v));
    if (!strncmp(uri, "runs:/", 6)) {
        const char *p = uri + 6;
        while (*p == '/')
            p++;
        size_t idlen = strcspn(p, "/");
        struct sbuf id = SBUF_INIT;
        sbuf_add(&id, p, idlen);
        const char *path = p[idlen] ? p + idlen + 1 : "";
        /* the model directory's contents land in tmp itself */
        rc = client_download_artifacts(c, id.buf, path, tmp, NULL, NULL, err);
        sbuf_addstr(dir, tmp);
        sbuf_release(&id);
        return rc;
    }
    if (!strncmp(uri, "models:/", 8)) {
        /* where the version's files are, a run's source already followed */
        if (client_resolve_model_uri(c, uri, &where, &v, err))
            return -1;
        if (v.name) { /* not for models:/<model_id> */
            sbuf_addstr(name, v.name);
            sbuf_addf(version, "%" PRId64, v.version);
        }
        uri = where;
    }
    if (!strncmp(uri, "file://", 7))
        sbuf_addstr(dir, uri + 7);
    else if (model_files_local(uri))
        sbuf_addstr(dir, uri);
    else if (artifact_uri_proxied_path(uri)) {
        rc = client_download_uri(c, uri, tmp, err);
        sbuf_addstr(dir, tmp);
    } else
        rc = ferr_set(err, FERR_NOT_IMPLEMENTED,
                      "cannot fetch model files from '%.200s': ferry reads a local directory, "
                      "file://, runs:/, models:/, mlflow-artifacts:/ and a tracking server's "
                      "http(s)://.../api/2.0/mlflow-artifacts/artifacts/ URIs",
                      uri);
    model_version_release(&v);
    free(where);
    return rc;
}

int model_files_open(struct client *c, const char *uri, struct model_files *lm, struct ferr *err)
{
    memset(lm, 0, sizeof(*lm));
    snprintf(lm->tmp, sizeof(lm->tmp), "/tmp/ferry-model-XXXXXX");
    if (!uri || !*uri)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing -m URI");
    if (!model_files_local(uri)) {
        if (!mkdtemp(lm->tmp))
            return ferr_set(err, FERR_IO_ERROR, "cannot make a temporary directory: %s",
                            strerror(errno));
        lm->made = 1;
    }
    if (fetch_dir(c, uri, lm->tmp, &lm->dir, &lm->name, &lm->version, err)) {
        model_files_close(lm); /* a failed open leaves nothing behind */
        return -1;
    }
    return 0;
}

void model_files_close(struct model_files *lm)
{
    if (lm->made && fs_remove_tree(lm->tmp))
        fprintf(stderr, "ferry: could not remove %s\n", lm->tmp);
    lm->made = 0;
    sbuf_release(&lm->dir);
    sbuf_release(&lm->name);
    sbuf_release(&lm->version);
}
