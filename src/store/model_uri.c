/* SPDX-License-Identifier: MIT
 * Model URIs, resolved in this one place (the server's resolve endpoint,
 * the lineage endpoint, serving later), through the store's front
 * functions only, so whatever backend holds the runs and the registry. */
#include "store/model_uri.h"
#include "store/logged_models.h"
#include "store/registry.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

/* runs:/<run_id>/<path> -> "<artifact_uri>/<path>". */
static int resolve_runs_uri(struct store *s, const char *uri, char **out, struct ferr *err)
{
    const char *p = uri + strlen("runs:/");
    while (*p == '/')
        p++;
    size_t idlen = strcspn(p, "/");
    char *id = xstrndup(p, idlen);
    const char *path = p + idlen;
    while (*path == '/')
        path++;
    struct run run;
    int rc = store_get_run(s, id, &run, err);
    free(id);
    if (rc)
        return -1;
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb, run.info.artifact_uri ? run.info.artifact_uri : "");
    if (*path)
        sbuf_addf(&sb, "/%s", path);
    run_release(&run);
    *out = sbuf_detach(&sb, NULL);
    return 0;
}

/* models:/<model_id> -> the logged model's artifact location. */
static int resolve_logged_model(struct store *s, const char *model_id, char **out, struct ferr *err)
{
    struct logged_model m;
    if (store_get_logged_model(s, model_id, &m, err))
        return -1;
    *out = m.artifact_uri;
    m.artifact_uri = NULL;
    logged_model_release(&m);
    return 0;
}

/* A version's location: runs:/... and models:/<model_id> followed once. */
static int follow(struct store *s, const char *where, char **out, struct ferr *err)
{
    if (!strncmp(where, "runs:/", 6))
        return resolve_runs_uri(s, where, out, err);
    if (!strncmp(where, "models:/", 8) && where[8] && !strpbrk(where + 8, "/@"))
        return resolve_logged_model(s, where + 8, out, err);
    *out = xstrdup(where);
    return 0;
}

static int newest(struct store *s, const char *name, const char *stage, struct model_version *out,
                  struct ferr *err)
{
    struct model_version_list l;
    const char *stages[1] = {stage};
    if (store_get_latest_versions(s, name, stage ? stages : NULL, stage ? 1 : 0, &l, err))
        return -1;
    size_t best = l.n;
    for (size_t i = 0; i < l.n; i++)
        if (best == l.n || l.v[i].version > l.v[best].version)
            best = i;
    if (best == l.n) {
        model_version_list_release(&l);
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                        "registered model '%.200s' has no version%s%s", name,
                        stage ? " in stage " : "", stage ? stage : "");
    }
    *out = l.v[best];
    memset(&l.v[best], 0, sizeof(l.v[best]));
    model_version_list_release(&l);
    return 0;
}

int store_find_model_version(struct store *s, const char *uri, struct model_version *out,
                             struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!uri || strncmp(uri, "models:/", 8))
        return ferr_set(
            err, FERR_INVALID_PARAMETER_VALUE,
            "invalid model URI '%.200s': expected models:/<name>/<version|stage|latest> "
            "or models:/<name>@<alias>",
            uri ? uri : "");
    const char *body = uri + 8;
    const char *at = strrchr(body, '@'), *slash = strrchr(body, '/');
    int rc;
    if (at && (!slash || at > slash)) {
        char *name = xstrndup(body, (size_t)(at - body));
        rc = store_get_version_by_alias(s, name, at + 1, out, err);
        free(name);
    } else if (slash && slash > body && slash[1]) {
        char *name = xstrndup(body, (size_t)(slash - body));
        const char *ref = slash + 1, *stage = stage_canonical(ref);
        int64_t n;
        if (!strcasecmp(ref, "latest"))
            rc = newest(s, name, NULL, out, err);
        else if (stage)
            rc = newest(s, name, stage, out, err);
        else if (ref[strspn(ref, "0123456789")] == '\0' && /* MLflow: str.isdigit() */
                 registry_parse_version(ref, &n, err) == 0)
            rc = store_get_model_version(s, name, n, out, err);
        else
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "invalid model URI '%.200s': '%.60s' is not a version, a stage or "
                          "'latest'",
                          uri, ref);
        free(name);
    } else {
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "invalid model URI '%.200s': expected models:/<name>/<version|stage|latest> "
                      "or models:/<name>@<alias>",
                      uri);
    }
    return rc ? -1 : 0;
}

int store_resolve_model_uri(struct store *s, const char *uri, char **artifact_uri,
                            struct model_version *version, struct ferr *err)
{
    struct model_version v;
    *artifact_uri = NULL;
    if (version)
        memset(version, 0, sizeof(*version));
    if (!uri || !*uri)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing value for the model URI");
    if (!strncmp(uri, "runs:/", 6))
        return resolve_runs_uri(s, uri, artifact_uri, err);
    if (!strncmp(uri, "models:/", 8) && !strpbrk(uri + 8, "/@") && uri[8])
        return resolve_logged_model(s, uri + 8, artifact_uri, err);
    if (strncmp(uri, "models:/", 8))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "unsupported model URI '%.200s': expected models:/<name>/<version>, "
                        "models:/<name>/<stage>, models:/<name>/latest, models:/<name>@<alias>, "
                        "models:/<model_id> or runs:/<run_id>/<path>",
                        uri);
    if (store_find_model_version(s, uri, &v, err))
        return -1;
    /* Where the files are (a models:/ source was resolved when the version
     * was made), else the source; a runs:/ or models:/<model_id> there is
     * followed once. */
    int rc = follow(s, v.storage_location ? v.storage_location : v.source, artifact_uri, err);
    if (rc || !version)
        model_version_release(&v);
    else
        *version = v;
    return rc;
}
