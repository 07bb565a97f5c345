/* SPDX-License-Identifier: MIT */
#include "server/get_artifact.h"
#include "server/artifact_proxy.h"
#include "server/respond.h"
#include "artifacts/path.h"
#include "domain/artifact_uri.h"

#include <string.h>

#include "base/banned.h"

enum MHD_Result get_artifact_answer(struct MHD_Connection *conn, struct store *store,
                                    struct artifact_repo *proxied, int *status, size_t *bytes)
{
    struct ferr err = FERR_INIT;
    struct run run;
    struct artifact_repo *own = NULL, *repo = proxied;
    struct sbuf path = SBUF_INIT;
    enum MHD_Result rc = MHD_YES;
    const char *id = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "run_id");
    const char *rel = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "path");
    if (!id)
        id = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "run_uuid");
    *bytes = 0;
    if (!id || !*id || !rel || !*rel) {
        ferr_set(&err, FERR_INVALID_PARAMETER_VALUE,
                 "get-artifact needs the query parameters run_id and path");
    } else if (artifact_path_check(rel, strlen(rel), &err) == 0 &&
               store_get_run(store, id, &run, &err) == 0) {
        const char *uri = run.info.artifact_uri ? run.info.artifact_uri : "";
        const char *root = artifact_uri_proxied_path(uri);
        if (root && !proxied)
            ferr_set(&err, FERR_INVALID_PARAMETER_VALUE,
                     "the run's artifacts are proxied (%.200s) but this server does not serve "
                     "artifacts",
                     uri);
        else if (!root && artifact_repo_open(uri, &own, &err) == 0)
            repo = own;
        if (err.code == FERR_OK) {
            if (root && *root)
                sbuf_addf(&path, "%s/", root);
            sbuf_addstr(&path, rel);
            rc = artifact_send_file(conn, repo, path.buf, status, bytes, &err);
        }
        run_release(&run);
    }
    if (err.code != FERR_OK) {
        *status = err.code == FERR_RESOURCE_DOES_NOT_EXIST ? 404 : 400;
        rc = respond_error(conn, *status, &err);
    }
    artifact_repo_close(own);
    sbuf_release(&path);
    return rc;
}
