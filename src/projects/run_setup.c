/* SPDX-License-Identifier: MIT */
#include "projects/run_setup.h"
#include "base/env.h"
#include "base/sbuf.h"
#include "store/uri.h"
#include "base/xalloc.h"

#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

int run_setup_experiment(struct client *c, const char *name, const char *id, char **id_out,
                         struct ferr *err)
{
    struct experiment e;
    struct ferr lookup = FERR_INIT;
    if (name) {
        if (client_get_experiment_by_name(c, name, &e, &lookup) == 0) {
            *id_out = xstrdup(e.experiment_id);
            experiment_release(&e);
            return 0;
        }
        if (lookup.code != FERR_RESOURCE_DOES_NOT_EXIST) {
            *err = lookup;
            return -1;
        }
        return client_create_experiment(c, name, NULL, NULL, id_out, err);
    }
    const char *env = id ? id : env_get("EXPERIMENT_ID");
    *id_out = xstrdup(env ? env : "0");
    return 0;
}

static void add_tag(struct kv_list *tags, const char *k, const char *v)
{
    if (v && *v)
        kv_list_add(tags, k, v);
}

const char *run_setup_user(void)
{
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : NULL;
}

void run_setup_source_tags(struct kv_list *tags, const char *uri, const struct project_source *src)
{
    kv_list_add(tags, "mlflow.source.type", "PROJECT");
    add_tag(tags, "mlflow.source.name", src->clone.len ? uri : src->dir.buf);
    add_tag(tags, "mlflow.source.git.commit", src->commit.buf);
    add_tag(tags, "mlflow.source.git.repoURL", src->repo.buf);
    add_tag(tags, "mlflow.gitRepoURL", src->repo.buf);
    add_tag(tags, "mlflow.user", run_setup_user());
}

void run_setup_env(const struct client *c, const char *run_id, const char *experiment_id,
                   struct kv_list *env)
{
    kv_list_set(env, "MLFLOW_RUN_ID", run_id);
    kv_list_set(env, "FERRY_RUN_ID", run_id);
    kv_list_set(env, "MLFLOW_EXPERIMENT_ID", experiment_id);
    kv_list_set(env, "FERRY_EXPERIMENT_ID", experiment_id);
    struct sbuf uri = SBUF_INIT;
    run_setup_tracking_uri(c, &uri);
    kv_list_set(env, "FERRY_TRACKING_URI", uri.buf);
    sbuf_release(&uri);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        kv_list_set(env, "FERRY", self);
    }
    if (client_is_remote(c))
        kv_list_set(env, "MLFLOW_TRACKING_URI", client_uri(c));
}

void run_setup_tracking_dir(const struct client *c, struct sbuf *out)
{
    if (client_is_remote(c))
        return;
    struct sbuf uri = SBUF_INIT;
    run_setup_tracking_uri(c, &uri);
    const char *path = store_uri_sqlite_path(uri.buf);
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (slash && path[0] == '/')
        sbuf_add(out, path, (size_t)(slash - path));
    sbuf_release(&uri);
}

void run_setup_tracking_uri(const struct client *c, struct sbuf *out)
{
    const char *uri = client_uri(c);
    const char *path = client_is_remote(c) ? NULL : store_uri_sqlite_path(uri);
    char cwd[PATH_MAX];
    if (path && path[0] != '/' && getcwd(cwd, sizeof(cwd)))
        sbuf_addf(out, "sqlite://%s/%s", cwd, path);
    else
        sbuf_addstr(out, uri);
}
