/* SPDX-License-Identifier: MIT */
#include "client/client_artifacts.h"
#include "client/client_int.h"
#include "artifacts/http.h"
#include "http/client.h"
#include "client/transport.h"
#include "api/artifacts_ops.h"
#include "api/codec.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/artifact_uri.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

/* Where a run's artifacts are: a repository rooted at the run's artifact
 * root, kept by a tracking server (proxied URIs) or a local directory. */
struct place {
    struct client *c;
    char *uri;                  /* the run's artifact_uri */
    struct artifact_repo *repo; /* artifacts/http.h or a local directory */
    struct http_client *hc;     /* an http(s) root's own server; NULL: none */
};

static int open_uri(struct client *c, const char *uri, struct artifact_repo **repo,
                    struct http_client **hc, struct ferr *err);

static int place_open(struct client *c, const char *run_id, struct place *pl, struct ferr *err)
{
    struct run run;
    memset(pl, 0, sizeof(*pl));
    pl->c = c;
    if (client_get_run(c, run_id, &run, err))
        return -1;
    pl->uri = xstrdup(run.info.artifact_uri ? run.info.artifact_uri : "");
    run_release(&run);
    return open_uri(c, pl->uri, &pl->repo, &pl->hc, err);
}

static void place_close(struct place *pl)
{
    artifact_repo_close(pl->repo);
    http_client_close(pl->hc);
    free(pl->uri);
}

/* "a" + "b" -> "a/b", skipping empty parts. */
static void join(struct sbuf *sb, const char *a, const char *b)
{
    sbuf_reset(sb);
    if (a && *a)
        sbuf_addstr(sb, a);
    if (b && *b)
        sbuf_addf(sb, "%s%s", sb->len ? "/" : "", b);
    if (!sb->buf)
        sbuf_addstr(sb, "");
}

/* ---------- progress ---------- */

struct progress {
    client_progress_fn fn;
    void *arg;
    const char *path;
};

static void on_progress(void *arg, int64_t now, int64_t total)
{
    struct progress *p = arg;
    p->fn(p->arg, p->path, now, total);
}

/* ---------- upload ---------- */

static int upload_file(struct place *pl, const char *local, const char *rel, struct progress *pr,
                       struct ferr *err)
{
    int fd = open(local, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        ferr_set(err, FERR_IO_ERROR, "cannot read '%.300s': %s", local, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    pr->path = rel;
    int rc = artifact_put_fd(pl->repo, rel, fd, (int64_t)st.st_size, pr->fn ? on_progress : NULL,
                             pr, NULL, err);
    close(fd);
    return rc;
}

/* Uploads everything below the local directory `local` to `rel`. Symbolic
 * links to directories are not followed (no loops); links to files are
 * uploaded as the files they point to. Entries are taken in name order. */
static int upload_dir(struct place *pl, const char *local, const char *rel, struct progress *pr,
                      int depth, struct ferr *err)
{
    if (depth > 64)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'%.300s' is nested more than 64 directories deep", local);
    struct dirent **names = NULL;
    int n = scandir(local, &names, NULL, alphasort);
    if (n < 0)
        return ferr_set(err, FERR_IO_ERROR, "cannot list '%.300s': %s", local, strerror(errno));
    int rc = 0;
    struct sbuf child = SBUF_INIT, crel = SBUF_INIT;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        struct stat st;
        if (rc || !strcmp(name, ".") || !strcmp(name, ".."))
            continue;
        sbuf_reset(&child);
        sbuf_addf(&child, "%s/%s", local, name);
        join(&crel, rel, name);
        if (lstat(child.buf, &st) < 0) {
            rc = ferr_set(err, FERR_IO_ERROR, "cannot read '%.300s': %s", child.buf,
                          strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            rc = upload_dir(pl, child.buf, crel.buf, pr, depth + 1, err);
        } else if (S_ISLNK(st.st_mode) && stat(child.buf, &st) == 0 && S_ISDIR(st.st_mode)) {
            continue; /* a link to a directory */
        } else {
            rc = upload_file(pl, child.buf, crel.buf, pr, err);
        }
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    sbuf_release(&child);
    sbuf_release(&crel);
    return rc;
}

int client_log_artifacts(struct client *c, const char *run_id, const char *local_path,
                         const char *artifact_path, client_progress_fn progress, void *arg,
                         struct ferr *err)
{
    struct place pl;
    struct stat st;
    struct progress pr = {progress, arg, NULL};
    if (!local_path || !*local_path)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the local path to log");
    if (stat(local_path, &st) < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cannot log '%.300s': %s", local_path,
                        strerror(errno));
    if (artifact_path && *artifact_path &&
        artifact_path_check(artifact_path, strlen(artifact_path), err))
        return -1;
    if (place_open(c, run_id, &pl, err)) {
        place_close(&pl);
        return -1;
    }
    int rc;
    if (S_ISDIR(st.st_mode)) {
        rc = upload_dir(&pl, local_path, artifact_path ? artifact_path : "", &pr, 0, err);
    } else {
        const char *base = strrchr(local_path, '/');
        base = base ? base + 1 : local_path;
        struct sbuf rel = SBUF_INIT;
        join(&rel, artifact_path, base);
        rc = artifact_path_check(rel.buf, rel.len, err) ||
             upload_file(&pl, local_path, rel.buf, &pr, err);
        sbuf_release(&rel);
    }
    place_close(&pl);
    return rc ? -1 : 0;
}

/* ---------- list ---------- */

/* artifacts/list, page after page: the run's artifacts as the server sees
 * them (its proxied repository or a local root). */
static int list_remote(struct place *pl, const char *run_id, const char *path,
                       struct artifact_list *out, struct ferr *err)
{
    struct rq_artifacts_list q = {run_id, path, NULL};
    char *token = NULL;
    int rc = 0;
    do {
        struct rs_artifacts_list r;
        memset(&r, 0, sizeof(r));
        q.page_token = token;
        rc = client_call(pl->c, &api_artifacts_list, &q, &r, err);
        free(token);
        token = NULL;
        if (rc)
            break;
        for (size_t i = 0; i < r.files.n; i++)
            artifact_list_add(out, r.files.v[i].path, r.files.v[i].is_dir, r.files.v[i].size);
        token = r.next_page_token;
        r.next_page_token = NULL;
        api_release_response(&api_artifacts_list, &r);
    } while (token);
    return rc;
}

int client_list_artifacts(struct client *c, const char *run_id, const char *path,
                          struct artifact_list *out, struct ferr *err)
{
    struct place pl;
    memset(out, 0, sizeof(*out));
    path = path ? path : "";
    if (*path && artifact_path_check(path, strlen(path), err))
        return -1;
    /* Through a server, the server knows where the run's artifacts are. */
    if (c->http) {
        memset(&pl, 0, sizeof(pl));
        pl.c = c;
        int rc = list_remote(&pl, run_id, path, out, err);
        if (rc)
            artifact_list_release(out);
        return rc;
    }
    if (place_open(c, run_id, &pl, err)) {
        place_close(&pl);
        return -1;
    }
    struct artifact_list l = {0};
    int rc = artifact_list(pl.repo, path, &l, err);
    for (size_t i = 0; !rc && i < l.n; i++) {
        const char *name = strrchr(l.v[i].path, '/');
        name = name ? name + 1 : l.v[i].path;
        struct sbuf rel = SBUF_INIT;
        join(&rel, path, name);
        artifact_list_add(out, rel.buf, l.v[i].is_dir, l.v[i].size);
        sbuf_release(&rel);
    }
    artifact_list_release(&l);
    place_close(&pl);
    if (rc)
        artifact_list_release(out);
    return rc;
}

/* ---------- download ---------- */

/* mkdir -p for the directory part of path (relative or absolute). */
static int make_parents(const char *path, struct ferr *err)
{
    char *copy = xstrdup(path);
    int rc = 0;
    for (char *p = copy + 1; *p && !rc; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0755) < 0 && errno != EEXIST)
            rc = ferr_set(err, FERR_IO_ERROR, "cannot create '%.300s': %s", copy, strerror(errno));
        *p = '/';
    }
    free(copy);
    return rc;
}

/* Fetches the artifact rel (relative to the run root) into dst, which only
 * appears once complete. */
static int download_file(struct artifact_repo *repo, const char *rel, const char *dst,
                         struct progress *pr, struct ferr *err)
{
    if (make_parents(dst, err))
        return -1;
    struct sbuf tmp = SBUF_INIT;
    sbuf_addf(&tmp, "%s.part-XXXXXX", dst);
    int fd = mkstemp(tmp.buf);
    if (fd < 0) {
        ferr_set(err, FERR_IO_ERROR, "cannot create '%.300s': %s", tmp.buf, strerror(errno));
        sbuf_release(&tmp);
        return -1;
    }
    pr->path = rel;
    int rc = artifact_get_fd(repo, rel, fd, pr->fn ? on_progress : NULL, pr, err);
    if (!rc && fchmod(fd, 0644) < 0)
        rc = ferr_set(err, FERR_IO_ERROR, "cannot set the mode of '%.300s': %s", tmp.buf,
                      strerror(errno));
    if (close(fd) < 0 && !rc)
        rc = ferr_set(err, FERR_IO_ERROR, "writing '%.300s': %s", tmp.buf, strerror(errno));
    if (!rc && rename(tmp.buf, dst) < 0)
        rc = ferr_set(err, FERR_IO_ERROR, "cannot create '%.300s': %s", dst, strerror(errno));
    if (rc)
        unlink(tmp.buf);
    sbuf_release(&tmp);
    return rc ? -1 : 0;
}

static int download_tree(struct client *c, struct place *pl, const char *run_id, const char *rel,
                         const char *base, const char *dst_dir, struct progress *pr, int depth,
                         struct ferr *err)
{
    struct artifact_list l;
    if (depth > 64)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "artifacts nested too deep");
    if (client_list_artifacts(c, run_id, rel, &l, err))
        return -1;
    int rc = 0;
    struct sbuf dst = SBUF_INIT;
    for (size_t i = 0; i < l.n && !rc; i++) {
        const char *p = l.v[i].path;
        /* Below the requested path, as the download keeps that layout. */
        const char *below = *base ? p + strlen(base) + (p[strlen(base)] == '/') : p;
        sbuf_reset(&dst);
        sbuf_addf(&dst, "%s/%s", dst_dir, below);
        if (artifact_path_check(p, strlen(p), err))
            rc = -1; /* a server must not steer files out of dst_dir */
        else if (l.v[i].is_dir)
            rc = download_tree(c, pl, run_id, p, base, dst_dir, pr, depth + 1, err);
        else
            rc = download_file(pl->repo, p, dst.buf, pr, err);
    }
    sbuf_release(&dst);
    artifact_list_release(&l);
    return rc;
}

int client_download_artifacts(struct client *c, const char *run_id, const char *path,
                              const char *dst_dir, client_progress_fn progress, void *arg,
                              struct ferr *err)
{
    struct place pl;
    struct progress pr = {progress, arg, NULL};
    path = path ? path : "";
    if (!dst_dir || !*dst_dir)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the destination directory");
    if (*path && artifact_path_check(path, strlen(path), err))
        return -1;
    if (place_open(c, run_id, &pl, err)) {
        place_close(&pl);
        return -1;
    }
    if (mkdir(dst_dir, 0755) < 0 && errno != EEXIST) {
        place_close(&pl);
        return ferr_set(err, FERR_IO_ERROR, "cannot create '%.300s': %s", dst_dir, strerror(errno));
    }
    /* A directory lists something; a file (or nothing) lists nothing. */
    struct artifact_list l;
    int rc = client_list_artifacts(c, run_id, path, &l, err);
    if (!rc && l.n == 0 && *path) {
        const char *base = strrchr(path, '/');
        struct sbuf dst = SBUF_INIT;
        sbuf_addf(&dst, "%s/%s", dst_dir, base ? base + 1 : path);
        rc = download_file(pl.repo, path, dst.buf, &pr, err);
        sbuf_release(&dst);
    } else if (!rc) {
        rc = download_tree(c, &pl, run_id, path, path, dst_dir, &pr, 0, err);
    }
    artifact_list_release(&l);
    place_close(&pl);
    return rc ? -1 : 0;
}

/* ---------- any artifact URI ---------- */

/* The repository an artifact URI names, rooted at it: a tracking server's
 * proxy (http(s)://host/api/2.0/mlflow-artifacts/artifacts/..., through
 * that host; mlflow-artifacts:/..., through c's own server), or a local
 * directory. *hc gets a client the caller closes (the first form). */
static int open_uri(struct client *c, const char *uri, struct artifact_repo **repo,
                    struct http_client **hc, struct ferr *err)
{
    const char *root = artifact_uri_proxied_path(uri);
    size_t base_len;
    *repo = NULL;
    *hc = NULL;
    if (artifact_uri_http_base(uri, &base_len)) {
        struct sbuf base = SBUF_INIT;
        sbuf_add(&base, uri, base_len);
        int rc = http_client_open(base.buf, hc, err) || artifact_http_open(*hc, root, repo, err)
                     ? -1
                     : 0;
        sbuf_release(&base);
        return rc;
    }
    if (root && !c->http)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'%.200s' is kept by a tracking server: use that server's http:// "
                        "tracking URI to reach it",
                        uri);
    if (root)
        return artifact_http_open(c->http, root, repo, err);
    return artifact_repo_open(uri, repo, err);
}

/* Everything below rel of repo into dst_dir, keeping the layout. */
static int download_repo_tree(struct artifact_repo *repo, const char *rel, size_t base_len,
                              const char *dst_dir, int depth, struct ferr *err)
{
    struct artifact_list l;
    struct progress pr = {NULL, NULL, NULL};
    struct sbuf dst = SBUF_INIT;
    int rc = 0;
    if (depth > 64)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "artifacts nested too deep");
    if (artifact_list(repo, rel, &l, err)) {
        artifact_list_release(&l);
        return -1;
    }
    for (size_t i = 0; i < l.n && !rc; i++) {
        const char *p = l.v[i].path;
        sbuf_reset(&dst);
        sbuf_addf(&dst, "%s/%s", dst_dir, p + base_len);
        if (artifact_path_check(p, strlen(p), err))
            rc = -1; /* a server must not steer files out of dst_dir */
        else if (l.v[i].is_dir)
            rc = download_repo_tree(repo, p, base_len, dst_dir, depth + 1, err);
        else
            rc = download_file(repo, p, dst.buf, &pr, err);
    }
    sbuf_release(&dst);
    artifact_list_release(&l);
    return rc;
}

int client_download_uri(struct client *c, const char *uri, const char *dst_dir, struct ferr *err)
{
    struct artifact_repo *repo;
    struct http_client *hc;
    if (!uri || !*uri || !dst_dir || !*dst_dir)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the URI or the destination");
    if (mkdir(dst_dir, 0755) < 0 && errno != EEXIST)
        return ferr_set(err, FERR_IO_ERROR, "cannot create '%.300s': %s", dst_dir, strerror(errno));
    if (open_uri(c, uri, &repo, &hc, err)) {
        http_client_close(hc);
        return -1;
    }
    int rc = download_repo_tree(repo, "", 0, dst_dir, 0, err);
    artifact_repo_close(repo);
    http_client_close(hc);
    return rc;
}
