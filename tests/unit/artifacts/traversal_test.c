/* SPDX-License-Identifier: MIT
 * The payload catalogue against a real local repository: every operation
 * (write, log from a stream, read, list, delete) with every payload must be
 * refused, and neither the file system around the root nor the root itself
 * may change. The root sits two levels down (tmp/a/b/root) so that "../"
 * and "../../" land in watched directories, next to decoys whose names
 * share its prefix. Symbolic links planted inside the root point out of it
 * in every way (absolute, relative, to a file, to a directory, out and back
 * in). */
#include "../test.h"
#include "read_fd.h"
#include "artifacts/path.h"
#include "artifacts/repo.h"
#include "base/sbuf.h"
#include "payloads.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void write_file(const char *dir, const char *name, const char *text)
{
    struct sbuf path = SBUF_INIT;
    sbuf_addf(&path, "%s/%s", dir, name);
    FILE *f = fopen(path.buf, "w");
    ASSERT(f);
    ASSERT(fputs(text, f) >= 0);
    ASSERT(fclose(f) == 0);
    sbuf_release(&path);
}

static void make_dir(const char *dir, const char *name)
{
    struct sbuf path = SBUF_INIT;
    sbuf_addf(&path, "%s/%s", dir, name);
    ASSERT(mkdir(path.buf, 0755) == 0);
    sbuf_release(&path);
}

static void make_link(const char *target, const char *dir, const char *name)
{
    struct sbuf path = SBUF_INIT;
    sbuf_addf(&path, "%s/%s", dir, name);
    ASSERT(symlink(target, path.buf) == 0);
    sbuf_release(&path);
}

/* Appends to out one line per entry below dir (skipping the directory
 * skip): name, type and mode, size, link target, and a file's content, in
 * sorted order, so two snapshots are equal when nothing changed. */
static void snapshot(const char *dir, const char *skip, struct sbuf *out)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    ASSERT(n >= 0);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        struct sbuf path = SBUF_INIT;
        struct stat st;
        sbuf_addf(&path, "%s/%s", dir, name);
        if (strcmp(name, ".") && strcmp(name, "..") && strcmp(path.buf, skip)) {
            ASSERT(lstat(path.buf, &st) == 0);
            sbuf_addf(out, "%s %o %lld", path.buf, (unsigned)st.st_mode, (long long)st.st_size);
            if (S_ISLNK(st.st_mode)) {
                char target[4096];
                ssize_t k = readlink(path.buf, target, sizeof(target) - 1);
                ASSERT(k >= 0);
                sbuf_addf(out, " -> %.*s", (int)k, target);
            } else if (S_ISREG(st.st_mode)) {
                char buf[4096];
                FILE *f = fopen(path.buf, "r");
                ASSERT(f);
                size_t k = fread(buf, 1, sizeof(buf), f);
                ASSERT(!ferror(f) && fclose(f) == 0);
                sbuf_addstr(out, " = ");
                sbuf_add(out, buf, k);
            }
            sbuf_addch(out, '\n');
            if (S_ISDIR(st.st_mode))
                snapshot(path.buf, skip, out);
        }
        sbuf_release(&path);
        free(names[i]);
    }
    free(names);
}

struct world {
    struct sbuf top, root;
    struct sbuf outside_before, root_before; /* snapshots */
    struct artifact_repo *repo;
};

/* tmp/{top.txt, outside/{secret.txt, sub/keep.txt}, a/{note.txt, b/{
 * sibling.txt, root-evil/x.txt, root/...}}} with links inside root. */
static void world_init(struct world *w)
{
    struct ferr err = FERR_INIT;
    memset(w, 0, sizeof(*w));
    sbuf_init(&w->top, 0);
    sbuf_init(&w->root, 0);
    sbuf_init(&w->outside_before, 0);
    sbuf_init(&w->root_before, 0);
    const char *t = test_tmpdir();
    sbuf_addstr(&w->top, t);
    write_file(t, "top.txt", "top");
    make_dir(t, "outside");
    make_dir(t, "outside/sub");
    write_file(t, "outside/secret.txt", "secret");
    write_file(t, "outside/sub/keep.txt", "keep");
    make_dir(t, "a");
    make_dir(t, "a/b");
    write_file(t, "a/note.txt", "note");
    write_file(t, "a/b/sibling.txt", "sibling");
    make_dir(t, "a/b/root-evil");
    write_file(t, "a/b/root-evil/x.txt", "evil");
    sbuf_addf(&w->root, "%s/a/b/root", t);
    ASSERT_OK(artifact_repo_open(w->root.buf, &w->repo, &err), &err);
    const char *r = w->root.buf;
    make_dir(r, "real");
    write_file(r, "real/file.txt", "mine");
    make_dir(r, "dir");
    struct sbuf target = SBUF_INIT;
    sbuf_addf(&target, "%s/outside", t);
    make_link(target.buf, r, "escape");         /* absolute, to a directory */
    make_link("../..", r, "up");                /* relative, to tmp/a */
    make_link("../../", r, "dir/inner-escape"); /* relative, from below */
    sbuf_addstr(&target, "/secret.txt");
    make_link(target.buf, r, "secret-link");      /* absolute, to a file */
    make_link("../sibling.txt", r, "rel-link");   /* relative, to a file */
    make_link("up/b/root/real", r, "roundabout"); /* out and back in */
    sbuf_release(&target);
    snapshot(w->top.buf, w->root.buf, &w->outside_before);
    snapshot(w->root.buf, "", &w->root_before);
}

/* Fails unless nothing changed, outside the root or in it. */
static void world_check_unchanged(struct world *w)
{
    struct sbuf now = SBUF_INIT;
    snapshot(w->top.buf, w->root.buf, &now);
    ASSERT_STR_EQ(now.buf, w->outside_before.buf);
    sbuf_reset(&now);
    snapshot(w->root.buf, "", &now);
    ASSERT_STR_EQ(now.buf, w->root_before.buf);
    sbuf_release(&now);
}

static void world_release(struct world *w)
{
    artifact_repo_close(w->repo);
    sbuf_release(&w->top);
    sbuf_release(&w->root);
    sbuf_release(&w->outside_before);
    sbuf_release(&w->root_before);
}

struct counted_source {
    int calls;
};

static ssize_t counted_read(void *ctx, void *buf, size_t cap, struct ferr *err)
{
    struct counted_source *c = ctx;
    (void)err;
    if (c->calls++ || cap < 5)
        return 0;
    memcpy(buf, "pwned", 5);
    return 5;
}

/* Every operation on path must fail with want (list may also succeed with
 * nothing in it, as for a missing directory). */
static void all_ops_refused(struct world *w, const char *path, const char *family,
                            enum ferr_code want)
{
    struct ferr err = FERR_INIT;
    struct artifact_writer *wr = NULL;
    struct artifact_list l;
    struct counted_source src = {0};
    int fd;
    int64_t size;
    if (!artifact_writer_open(w->repo, path, &wr, &err)) {
        artifact_writer_abort(wr);
        FAIL_AT("writer_open accepted '%s' (%s)", path, family);
    }
    if (err.code != want)
        FAIL_AT("writer_open '%s' (%s): %s", path, family, err.msg);
    ferr_clear(&err);
    if (!artifact_log_stream(w->repo, path, counted_read, &src, NULL, &err))
        FAIL_AT("log_stream accepted '%s' (%s)", path, family);
    if (err.code != want || src.calls)
        FAIL_AT("log_stream '%s' (%s): %d reads, %s", path, family, src.calls, err.msg);
    ferr_clear(&err);
    if (!open_read_fd(w->repo, path, &fd, &size, &err)) {
        close(fd);
        FAIL_AT("open_read accepted '%s' (%s)", path, family);
    }
    if (err.code != want)
        FAIL_AT("open_read '%s' (%s): %s", path, family, err.msg);
    ferr_clear(&err);
    if (!artifact_delete(w->repo, path, &err))
        FAIL_AT("delete accepted '%s' (%s)", path, family);
    if (err.code != want)
        FAIL_AT("delete '%s' (%s): %s", path, family, err.msg);
    ferr_clear(&err);
    if (*path && !artifact_list(w->repo, path, &l, &err)) {
        size_t n = l.n;
        artifact_list_release(&l);
        if (n)
            FAIL_AT("list '%s' (%s) showed %zu entries", path, family, n);
    } else if (*path && err.code != want) {
        FAIL_AT("list '%s' (%s): %s", path, family, err.msg);
    }
}

TEST(artifact_traversal_catalogue_touches_nothing)
{
    struct world w;
    world_init(&w);
    size_t tried = 0;
    for (size_t i = 0; i < artifact_bad_paths_n; i++) {
        const struct payload *p = &artifact_bad_paths[i];
        /* The repository API takes C strings: a payload with a NUL inside
         * cannot even be passed (path_test.c covers the length check). */
        if (strlen(p->s) != p->n)
            continue;
        all_ops_refused(&w, p->s, p->family, FERR_INVALID_PARAMETER_VALUE);
        tried++;
    }
    ASSERT(tried >= 40);
    world_check_unchanged(&w);
    world_release(&w);
}

TEST(artifact_traversal_symlinks_touch_nothing)
{
    static const char *const through_links[] = {
        "escape/secret.txt",
        "escape/new.txt",
        "escape/sub/keep.txt",
        "escape/sub/new/deep.txt",
        "up/note.txt",
        "up/b/sibling.txt",
        "up/b/root-evil/x.txt",
        "up/new.txt",
        "dir/inner-escape/sibling.txt",
        "dir/inner-escape/new",
        "up/b/root/real/file.txt",
        "roundabout/file.txt",
        "secret-link/x",
        "rel-link/x",
    };
    struct world w;
    world_init(&w);
    for (size_t i = 0; i < sizeof(through_links) / sizeof(through_links[0]); i++)
        all_ops_refused(&w, through_links[i], "symbolic link", FERR_INVALID_PARAMETER_VALUE);
    /* The links themselves: never read, never listed. */
    struct ferr err = FERR_INIT;
    int fd;
    int64_t size;
    static const char *const links[] = {"escape",   "up",         "secret-link",
                                        "rel-link", "roundabout", "dir/inner-escape"};
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
        ASSERT_FAILS(open_read_fd(w.repo, links[i], &fd, &size, &err), &err,
                     FERR_INVALID_PARAMETER_VALUE);
    struct artifact_list l;
    ASSERT_OK(artifact_list(w.repo, "", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2); /* dir, real */
    ASSERT_STR_EQ(l.v[0].path, "dir");
    ASSERT_STR_EQ(l.v[1].path, "real");
    artifact_list_release(&l);
    ASSERT_OK(artifact_list(w.repo, "dir", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 0);
    artifact_list_release(&l);
    world_check_unchanged(&w);
    world_release(&w);
}

/* The resolver on its own: the descriptor it hands out is the real parent,
 * and a link on the way is refused. */
TEST(artifact_traversal_open_parent)
{
    struct world w;
    world_init(&w);
    struct ferr err = FERR_INIT;
    int root = open(w.root.buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT(root >= 0);
    int dirfd;
    const char *last;
    ASSERT_OK(
        artifact_path_open_parent(root, "real/file.txt", ARTIFACT_PATH_LOOKUP, &dirfd, &last, &err),
        &err);
    ASSERT_STR_EQ(last, "file.txt");
    struct stat st;
    ASSERT(fstatat(dirfd, last, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode));
    close(dirfd);
    ASSERT_FAILS(artifact_path_open_parent(root, "escape/secret.txt", ARTIFACT_PATH_LOOKUP, &dirfd,
                                           &last, &err),
                 &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_INT_EQ(dirfd, -1);
    ASSERT_FAILS(
        artifact_path_open_parent(root, "escape/new/x", ARTIFACT_PATH_CREATE, &dirfd, &last, &err),
        &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(artifact_path_open_parent(root, "real/file.txt/x", ARTIFACT_PATH_CREATE, &dirfd,
                                           &last, &err),
                 &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(
        artifact_path_open_parent(root, "missing/x", ARTIFACT_PATH_LOOKUP, &dirfd, &last, &err),
        &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(artifact_path_open_parent(root, "../a/b/root/real/file.txt", ARTIFACT_PATH_LOOKUP,
                                           &dirfd, &last, &err),
                 &err, FERR_INVALID_PARAMETER_VALUE);
    close(root);
    world_check_unchanged(&w);
    world_release(&w);
}

/* Odd names that pass are stored under exactly that name, below the root. */
TEST(artifact_traversal_inert_names_stay_inside)
{
    struct world w;
    world_init(&w);
    struct ferr err = FERR_INIT;
    for (size_t i = 0; i < artifact_inert_paths_n; i++) {
        const struct payload *p = &artifact_inert_paths[i];
        struct counted_source src = {0};
        if (artifact_log_stream(w.repo, p->s, counted_read, &src, NULL, &err))
            FAIL_AT("inert name '%s' (%s) refused: %s", p->s, p->family, err.msg);
        struct sbuf real = SBUF_INIT;
        struct stat st;
        sbuf_addf(&real, "%s/%s", w.root.buf, p->s);
        if (lstat(real.buf, &st) || !S_ISREG(st.st_mode) || st.st_size != 5)
            FAIL_AT("inert name '%s' is not the file '%s'", p->s, real.buf);
        sbuf_release(&real);
    }
    struct sbuf now = SBUF_INIT;
    snapshot(w.top.buf, w.root.buf, &now);
    ASSERT_STR_EQ(now.buf, w.outside_before.buf);
    sbuf_release(&now);
    for (size_t i = 0; i < artifact_inert_paths_n; i++)
        ASSERT_OK(artifact_delete(w.repo, artifact_inert_paths[i].s, &err), &err);
    world_release(&w);
}
