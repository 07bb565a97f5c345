/* SPDX-License-Identifier: MIT
 * The local repository on a real directory: round trips, listing,
 * deleting, atomic uploads, and symbolic links planted inside the root that
 * point outside it. */
#include "../test.h"
#include "artifacts/repo.h"
#include "base/sbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct artifact_repo *open_repo(const char *sub)
{
    struct sbuf dir = SBUF_INIT;
    sbuf_addf(&dir, "%s/%s", test_tmpdir(), sub);
    struct artifact_repo *r = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(artifact_repo_open(dir.buf, &r, &err), &err);
    sbuf_release(&dir);
    return r;
}

static void put(struct artifact_repo *r, const char *path, const void *data, size_t n,
                char *sha)
{
    struct artifact_writer *w;
    struct ferr err = FERR_INIT;
    ASSERT_OK(artifact_writer_open(r, path, &w, &err), &err);
    /* in uneven pieces, as a network would deliver them */
    for (size_t off = 0; off < n;) {
        size_t k = n - off < 7777 ? n - off : 7777;
        ASSERT_OK(artifact_writer_write(w, (const char *)data + off, k, &err), &err);
        off += k;
    }
    ASSERT_OK(artifact_writer_commit(w, sha, &err), &err);
}

static char *get(struct artifact_repo *r, const char *path, int64_t *size)
{
    int fd;
    struct ferr err = FERR_INIT;
    ASSERT_OK(artifact_open_read(r, path, &fd, size, &err), &err);
    char *buf = malloc((size_t)*size + 1);
    ASSERT(buf);
    int64_t got = 0;
    while (got < *size) {
        ssize_t k = read(fd, buf + got, (size_t)(*size - got));
        ASSERT(k > 0);
        got += k;
    }
    close(fd);
    return buf;
}

TEST(artifact_local_round_trips)
{
    struct artifact_repo *r = open_repo("root");
    struct ferr err = FERR_INIT;
    char sha[65];
    put(r, "empty.txt", "", 0, sha);
    ASSERT_STR_EQ(sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    put(r, "hello.txt", "hello\n", 6, sha);
    ASSERT_STR_EQ(sha, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    size_t big = 3 * 1024 * 1024 + 17;
    unsigned char *data = malloc(big);
    ASSERT(data);
    for (size_t i = 0; i < big; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    put(r, "dir with space/ü/名前.bin", data, big, NULL);
    int64_t size;
    char *back = get(r, "dir with space/ü/名前.bin", &size);
    ASSERT_INT_EQ(size, (int64_t)big);
    ASSERT(!memcmp(back, data, big));
    free(back);
    back = get(r, "empty.txt", &size);
    ASSERT_INT_EQ(size, 0);
    free(back);
    /* replacing a file */
    put(r, "hello.txt", "bye\n", 4, NULL);
    back = get(r, "hello.txt", &size);
    ASSERT_INT_EQ(size, 4);
    free(back);
    free(data);
    int fd;
    ASSERT_FAILS(artifact_open_read(r, "missing.txt", &fd, &size, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(artifact_open_read(r, "dir with space", &fd, &size, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    artifact_repo_close(r);
}

TEST(artifact_local_lists_and_deletes)
{
    struct artifact_repo *r = open_repo("root");
    struct ferr err = FERR_INIT;
    put(r, "b.txt", "b", 1, NULL);
    put(r, "a/x.txt", "xx", 2, NULL);
    put(r, "a/y/z.txt", "zzz", 3, NULL);
    struct artifact_list l;
    ASSERT_OK(artifact_list(r, "", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_STR_EQ(l.v[0].path, "a");
    ASSERT(l.v[0].is_dir);
    ASSERT_STR_EQ(l.v[1].path, "b.txt");
    ASSERT_INT_EQ(l.v[1].size, 1);
    artifact_list_release(&l);
    ASSERT_OK(artifact_list(r, "a", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_STR_EQ(l.v[0].path, "a/x.txt");
    ASSERT_STR_EQ(l.v[1].path, "a/y");
    artifact_list_release(&l);
    ASSERT_OK(artifact_list(r, "nothing/here", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 0);
    ASSERT_OK(artifact_list(r, "b.txt", &l, &err), &err); /* a file lists nothing */
    ASSERT_INT_EQ(l.n, 0);
    ASSERT_FAILS(artifact_list(r, "../", &l, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(artifact_delete(r, "a", &err), &err);
    ASSERT_OK(artifact_list(r, "", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    artifact_list_release(&l);
    ASSERT_FAILS(artifact_delete(r, "a", &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    artifact_repo_close(r);
}

/* Counts the entries of a directory. */
static int entries(const char *dir)
{
    struct sbuf cmd = SBUF_INIT;
    sbuf_addf(&cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd.buf, "r");
    int n = -1;
    ASSERT(p && fscanf(p, "%d", &n) == 1);
    pclose(p);
    sbuf_release(&cmd);
    return n;
}

TEST(artifact_local_unfinished_upload_leaves_nothing)
{
    struct artifact_repo *r = open_repo("root");
    struct ferr err = FERR_INIT;
    struct artifact_writer *w;
    ASSERT_OK(artifact_writer_open(r, "d/half.bin", &w, &err), &err);
    ASSERT_OK(artifact_writer_write(w, "partial", 7, &err), &err);
    struct artifact_list l;
    ASSERT_OK(artifact_list(r, "d", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 0); /* the part file is not an artifact */
    artifact_writer_abort(w);
    struct sbuf d = SBUF_INIT;
    sbuf_addf(&d, "%s/root/d", test_tmpdir());
    ASSERT_INT_EQ(entries(d.buf), 0);
    sbuf_release(&d);
    artifact_repo_close(r);
}

TEST(artifact_local_symlinks_never_lead_out)
{
    struct artifact_repo *r = open_repo("root");
    struct ferr err = FERR_INIT;
    struct sbuf outside = SBUF_INIT, link = SBUF_INIT, secret = SBUF_INIT;
    sbuf_addf(&outside, "%s/outside", test_tmpdir());
    ASSERT(mkdir(outside.buf, 0755) == 0);
    sbuf_addf(&secret, "%s/secret.txt", outside.buf);
    FILE *f = fopen(secret.buf, "w");
    ASSERT(f && fputs("secret", f) >= 0 && fclose(f) == 0);
    /* root/escape -> ../outside ; root/file-link -> ../outside/secret.txt */
    sbuf_addf(&link, "%s/root/escape", test_tmpdir());
    ASSERT(symlink(outside.buf, link.buf) == 0);
    sbuf_reset(&link);
    sbuf_addf(&link, "%s/root/file-link", test_tmpdir());
    ASSERT(symlink(secret.buf, link.buf) == 0);
    int fd;
    int64_t size;
    struct artifact_writer *w;
    struct artifact_list l;
    ASSERT_FAILS(artifact_open_read(r, "escape/secret.txt", &fd, &size, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(artifact_open_read(r, "file-link", &fd, &size, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(artifact_writer_open(r, "escape/new.txt", &w, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(artifact_list(r, "escape", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 0);
    ASSERT_FAILS(artifact_delete(r, "escape/secret.txt", &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    /* deleting the link removes the link, not what it points to */
    ASSERT_OK(artifact_delete(r, "file-link", &err), &err);
    ASSERT_OK(artifact_list(r, "", &l, &err), &err); /* links are not listed */
    ASSERT_INT_EQ(l.n, 0);
    /* writing over a link replaces the link, the target stays */
    ASSERT(symlink(secret.buf, link.buf) == 0);
    put(r, "file-link", "mine", 4, NULL);
    char buf[16] = {0};
    f = fopen(secret.buf, "r");
    ASSERT(f && fread(buf, 1, sizeof(buf) - 1, f) == 6 && fclose(f) == 0);
    ASSERT_STR_EQ(buf, "secret");
    ASSERT_INT_EQ(entries(outside.buf), 1);
    sbuf_release(&outside);
    sbuf_release(&link);
    sbuf_release(&secret);
    artifact_repo_close(r);
}

TEST(artifact_repo_uris)
{
    struct artifact_repo *r;
    struct ferr err = FERR_INIT;
    struct sbuf uri = SBUF_INIT;
    sbuf_addf(&uri, "file://%s/via-uri", test_tmpdir());
    ASSERT_OK(artifact_repo_open(uri.buf, &r, &err), &err);
    artifact_repo_close(r);
    ASSERT_FAILS(artifact_repo_open("s3://bucket/path", &r, &err), &err, FERR_NOT_IMPLEMENTED);
    ASSERT_FAILS(artifact_repo_open("file://relative/x", &r, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(artifact_repo_open("", &r, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    sbuf_release(&uri);
}
