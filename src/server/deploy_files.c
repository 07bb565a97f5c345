/* SPDX-License-Identifier: MIT */
#include "server/deploy_files.h"
#include "artifacts/repo.h"
#include "base/xalloc.h"
#include "gateway/deploy_check.h"
#include "store/model_uri.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* mlflow-artifacts:/path or mlflow-artifacts://host/path: the path part. */
static const char *proxied_path(const char *uri)
{
    if (strncmp(uri, "mlflow-artifacts:", 17))
        return NULL;
    const char *p = uri + 17;
    if (!strncmp(p, "//", 2)) {
        p = strchr(p + 2, '/');
        if (!p)
            return "";
    }
    while (*p == '/')
        p++;
    return p;
}

static int open_files(void *arg, const struct deploy_target *t, char **dir, void **handle,
                      struct ferr *err)
{
    struct server_ctx *ctx = arg;
    struct store *s = exec_store(ctx->exec);
    char uri[700], *where = NULL, *local = NULL;
    *handle = NULL;
    snprintf(uri, sizeof(uri), "models:/%s/%lld", t->name, (long long)t->version);
    if (store_resolve_model_uri(s, uri, &where, NULL, err))
        return -1;
    const char *rel = proxied_path(where);
    int rc = 0;
    if (rel && ctx->artifacts_dir && !strstr(rel, "..")) {
        if (artifact_repo_local_dir(ctx->artifacts_dir, &local, err) == 1) {
            size_t n = strlen(local) + strlen(rel) + 2;
            *dir = xmalloc(n);
            snprintf(*dir, n, "%s/%s", local, rel);
        } else {
            rc = ferr_set(err, FERR_NOT_IMPLEMENTED,
                          "its files (%.300s) are not in a local directory", where);
        }
    } else if (!rel && artifact_repo_local_dir(where, &local, err) == 1) {
        *dir = local;
        local = NULL;
    } else {
        rc = ferr_set(err, FERR_NOT_IMPLEMENTED,
                      "its files are at %.300s, which no gateway can load from", where);
    }
    free(local);
    free(where);
    return rc;
}

static void close_files(void *arg, void *handle)
{
    (void)arg;
    (void)handle;
}

int server_deploy_check(void *arg, const struct deployment_spec *resolved, struct ferr *err)
{
    struct server_ctx *ctx = arg;
    if (!exec_store(ctx->exec))
        return 0; /* forwarded: the upstream server checks */
    struct deploy_files files = {open_files, close_files, ctx};
    return deploy_check_spec(resolved, &files, DEPLOY_CHECK_NATIVE, err);
}
