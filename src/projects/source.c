/* SPDX-License-Identifier: MIT */
#include "projects/source.h"
#include "base/fs_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/banned.h"

int source_capture(char *const argv[], const char *cwd, struct sbuf *out)
{
    int fds[2], status;
    char buf[8192];
    ssize_t k;
    if (pipe(fds) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || dup2(fds[1], 1) < 0 || dup2(null, 2) < 0 || dup2(null, 0) < 0 ||
            (cwd && chdir(cwd) < 0))
            _exit(127);
        close(fds[0]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -1;
    }
    while ((k = read(fds[0], buf, sizeof(buf))) > 0 || (k < 0 && errno == EINTR))
        if (k > 0)
            sbuf_add(out, buf, (size_t)k);
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void chomp(struct sbuf *s)
{
    while (s->len && (s->buf[s->len - 1] == '\n' || s->buf[s->len - 1] == '\r'))
        sbuf_setlen(s, s->len - 1);
}

static int git(const char *cwd, struct sbuf *out, const char *a, const char *b, const char *c,
               const char *d)
{
    char *argv[] = {(char *)"git", (char *)a, (char *)b, (char *)c, (char *)d, NULL};
    sbuf_reset(out);
    int rc = source_capture(argv, cwd, out);
    chomp(out);
    return rc;
}

static int is_git_uri(const char *uri)
{
    size_t n = strlen(uri);
    return strstr(uri, "://") || !strncmp(uri, "git@", 4) ||
           (n > 4 && !strcmp(uri + n - 4, ".git"));
}

/* What git says about the work tree at dir; nothing outside git. */
static void describe_git(struct project_source *s)
{
    struct sbuf status = SBUF_INIT;
    if (git(s->dir.buf, &s->commit, "rev-parse", "HEAD", NULL, NULL) != 0) {
        sbuf_reset(&s->commit);
        return;
    }
    if (git(s->dir.buf, &s->repo, "config", "--get", "remote.origin.url", NULL) != 0 ||
        !s->repo.len)
        (void)git(s->dir.buf, &s->repo, "rev-parse", "--show-toplevel", NULL, NULL);
    if (git(s->dir.buf, &status, "status", "--porcelain", "--untracked-files=no", NULL) == 0 &&
        status.len) {
        char *argv[] = {(char *)"git", (char *)"diff", (char *)"HEAD", NULL};
        (void)source_capture(argv, s->dir.buf, &s->diff);
    }
    sbuf_release(&status);
}

int source_fetch(const char *uri, const char *version, struct project_source *out, struct ferr *err)
{
    struct sbuf base = SBUF_INIT, tmp = SBUF_INIT;
    char real[PATH_MAX];
    struct stat st;
    memset(out, 0, sizeof(*out));
    sbuf_init(&out->dir, 0);
    sbuf_init(&out->clone, 0);
    sbuf_init(&out->commit, 0);
    sbuf_init(&out->repo, 0);
    sbuf_init(&out->diff, 0);
    const char *hash = strchr(uri, '#');
    const char *sub = hash ? hash + 1 : "";
    sbuf_add(&base, uri, hash ? (size_t)(hash - uri) : strlen(uri));
    if (strstr(sub, "..") || sub[0] == '/') {
        sbuf_release(&base);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the subdirectory '%.200s' must stay inside the repository", sub);
    }
    int remote = is_git_uri(base.buf);
    if (!remote && (stat(base.buf, &st) < 0 || !S_ISDIR(st.st_mode))) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "project '%.300s' is neither a directory nor a git URL", base.buf);
        sbuf_release(&base);
        return -1;
    }
    struct sbuf origin = SBUF_INIT; /* what a clone came from, for the repoURL tag */
    if (remote || !realpath(base.buf, real))
        sbuf_add(&origin, base.buf, base.len);
    else
        sbuf_addstr(&origin, real);
    if (remote || version) {
        char templ[] = "/tmp/ferry-project-XXXXXX";
        if (!mkdtemp(templ)) {
            sbuf_release(&origin);
            sbuf_release(&base);
            return ferr_set(err, FERR_IO_ERROR, "mkdtemp: %s", strerror(errno));
        }
        sbuf_addstr(&out->clone, templ);
        sbuf_addf(&tmp, "%s/repo", templ);
        struct sbuf ignored = SBUF_INIT;
        int rc = git(NULL, &ignored, "clone", "--quiet", base.buf, tmp.buf);
        if (rc == 0 && version)
            rc = git(tmp.buf, &ignored, "-c", "advice.detachedHead=false", "checkout", version);
        sbuf_release(&ignored);
        if (rc != 0) {
            sbuf_release(&origin);
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     rc < 0    ? "cannot run git (is it installed?)"
                     : version ? "cannot check out version '%.100s' of '%.300s'"
                               : "cannot clone '%.300s'",
                     version ? version : base.buf, base.buf);
            sbuf_release(&base);
            sbuf_release(&tmp);
            source_release(out);
            return -1;
        }
        sbuf_reset(&base);
        sbuf_add(&base, tmp.buf, tmp.len);
    }
    if (*sub)
        sbuf_addf(&base, "/%s", sub);
    if (!realpath(base.buf, real) || stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no project directory '%.300s'", base.buf);
        sbuf_release(&origin);
        sbuf_release(&base);
        sbuf_release(&tmp);
        source_release(out);
        return -1;
    }
    sbuf_addstr(&out->dir, real);
    describe_git(out);
    if (out->clone.len) { /* the origin, not the clone's path */
        sbuf_reset(&out->repo);
        sbuf_add(&out->repo, origin.buf, origin.len);
    }
    sbuf_release(&origin);
    sbuf_release(&base);
    sbuf_release(&tmp);
    return 0;
}

void source_release(struct project_source *s)
{
    if (s->clone.len)
        (void)fs_remove_tree(s->clone.buf);
    sbuf_release(&s->dir);
    sbuf_release(&s->clone);
    sbuf_release(&s->commit);
    sbuf_release(&s->repo);
    sbuf_release(&s->diff);
}
