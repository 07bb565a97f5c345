/* SPDX-License-Identifier: MIT
 * The local repository on a real directory: round trips (empty, small,
 * binary, several MB generated here; nested, spaces, Unicode), SHA-256,
 * listing, deleting, modes, URIs, atomic uploads that fail or get killed
 * midway, and symbolic links planted inside the root that point outside it
 * (traversal_test.c runs the whole payload catalogue). */
#include "../test.h"
#include "read_fd.h"
#include "artifacts/repo.h"
#include "base/sbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

static void put(struct artifact_repo *r, const char *path, const void *data, size_t n, char *sha)
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
    ASSERT_OK(open_read_fd(r, path, &fd, size, &err), &err);
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
    ASSERT_FAILS(open_read_fd(r, "missing.txt", &fd, &size, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(open_read_fd(r, "dir with space", &fd, &size, &err), &err,
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
    ASSERT_FAILS(open_read_fd(r, "escape/secret.txt", &fd, &size, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(open_read_fd(r, "file-link", &fd, &size, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(artifact_writer_open(r, "escape/new.txt", &w, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(artifact_list(r, "escape", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 0);
    ASSERT_FAILS(artifact_delete(r, "escape/secret.txt", &err), &err, FERR_INVALID_PARAMETER_VALUE);
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

/* ---------- streams, local files, interruptions ---------- */

/* A generated source: size bytes of a fixed pattern, in chunks as the
 * repository asks for them; fails after fail_at bytes when fail_at >= 0. */
struct gen_source {
    int64_t size, pos, fail_at;
    int set_err; /* whether the failure sets err */
    EVP_MD_CTX *sha;
};

static unsigned char gen_byte(int64_t i)
{
    return (unsigned char)((uint64_t)i * 2654435761u >> 13);
}

static ssize_t gen_read(void *ctx, void *buf, size_t cap, struct ferr *err)
{
    struct gen_source *g = ctx;
    if (g->fail_at >= 0 && g->pos >= g->fail_at) {
        if (g->set_err)
            ferr_set(err, FERR_IO_ERROR, "the client went away");
        return -1;
    }
    size_t n = (size_t)(g->size - g->pos) < cap ? (size_t)(g->size - g->pos) : cap;
    unsigned char *b = buf;
    for (size_t i = 0; i < n; i++)
        b[i] = gen_byte(g->pos + (int64_t)i);
    if (g->sha)
        ASSERT(EVP_DigestUpdate(g->sha, b, n));
    g->pos += (int64_t)n;
    return (ssize_t)n;
}

static void hex_of(EVP_MD_CTX *sha, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    ASSERT(EVP_DigestFinal_ex(sha, md, &n) && n == 32);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Reads path back and compares it with the generator's bytes. */
static void check_generated(struct artifact_repo *r, const char *path, int64_t size)
{
    int fd;
    int64_t got_size;
    struct ferr err = FERR_INIT;
    ASSERT_OK(open_read_fd(r, path, &fd, &got_size, &err), &err);
    ASSERT_INT_EQ(got_size, size);
    unsigned char buf[65536];
    int64_t pos = 0;
    for (;;) {
        ssize_t k = read(fd, buf, sizeof(buf));
        ASSERT(k >= 0);
        if (k == 0)
            break;
        for (ssize_t i = 0; i < k; i++)
            if (buf[i] != gen_byte(pos + i))
                FAIL_AT("'%s' differs at byte %lld", path, (long long)(pos + i));
        pos += k;
    }
    ASSERT_INT_EQ(pos, size);
    close(fd);
}

TEST(artifact_local_stream_round_trips)
{
    static const int64_t sizes[] = {0, 1, 4095, 65536, 256 * 1024 + 1, 5 * 1024 * 1024 + 3};
    struct artifact_repo *r = open_repo("root");
    struct ferr err = FERR_INIT;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct gen_source g = {sizes[i], 0, -1, 0, EVP_MD_CTX_new()};
        ASSERT(g.sha && EVP_DigestInit_ex(g.sha, EVP_sha256(), NULL));
        struct sbuf path = SBUF_INIT;
        sbuf_addf(&path, "nested/level %zu/\xc3\xa9t\xc3\xa9 %lld.bin", i, (long long)sizes[i]);
        char sha[65], want[65];
        ASSERT_OK(artifact_log_stream(r, path.buf, gen_read, &g, sha, &err), &err);
        hex_of(g.sha, want);
        ASSERT_STR_EQ(sha, want);
        check_generated(r, path.buf, sizes[i]);
        EVP_MD_CTX_free(g.sha);
        sbuf_release(&path);
    }
    struct artifact_list l;
    ASSERT_OK(artifact_list(r, "nested/level 5", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].path, "nested/level 5/\xc3\xa9t\xc3\xa9 5242883.bin");
    ASSERT_INT_EQ(l.v[0].size, 5 * 1024 * 1024 + 3);
    ASSERT(!l.v[0].is_dir);
    artifact_list_release(&l);
    artifact_repo_close(r);
}

TEST(artifact_local_binary_bytes_round_trip)
{
    struct artifact_repo *r = open_repo("root");
    unsigned char all[512];
    for (size_t i = 0; i < sizeof(all); i++)
        all[i] = (unsigned char)(255 - i % 256); /* every byte value, NULs included */
    put(r, "bin/all-bytes", all, sizeof(all), NULL);
    int64_t size;
    char *back = get(r, "bin/all-bytes", &size);
    ASSERT_INT_EQ(size, (int64_t)sizeof(all));
    ASSERT(!memcmp(back, all, sizeof(all)));
    free(back);
    artifact_repo_close(r);
}

TEST(artifact_local_log_file)
{
    struct artifact_repo *r = open_repo("root");
    struct ferr err = FERR_INIT;
    struct sbuf src = SBUF_INIT;
    sbuf_addf(&src, "%s/source.bin", test_tmpdir());
    FILE *f = fopen(src.buf, "wb");
    ASSERT(f);
    for (int64_t i = 0; i < 3 * 1024 * 1024 + 5; i++)
        ASSERT(fputc(gen_byte(i), f) != EOF);
    ASSERT(fclose(f) == 0);
    char sha[65], again[65];
    ASSERT_OK(artifact_log_file(r, src.buf, "model/weights.bin", sha, &err), &err);
    check_generated(r, "model/weights.bin", 3 * 1024 * 1024 + 5);
    /* the same bytes through a stream give the same digest */
    struct gen_source g = {3 * 1024 * 1024 + 5, 0, -1, 0, NULL};
    ASSERT_OK(artifact_log_stream(r, "model/copy.bin", gen_read, &g, again, &err), &err);
    ASSERT_STR_EQ(sha, again);
    ASSERT_FAILS(artifact_log_file(r, "/nonexistent/ferry/file", "x", NULL, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(artifact_log_file(r, test_tmpdir(), "x", NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(artifact_log_file(r, src.buf, "../x", NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    sbuf_release(&src);
    artifact_repo_close(r);
}

TEST(artifact_local_modes)
{
    umask(022);
    struct artifact_repo *r = open_repo("root");
    put(r, "d1/d2/f.txt", "x", 1, NULL);
    struct sbuf p = SBUF_INIT;
    struct stat st;
    sbuf_addf(&p, "%s/root/d1/d2/f.txt", test_tmpdir());
    ASSERT(stat(p.buf, &st) == 0);
    ASSERT_INT_EQ(st.st_mode & 07777, 0644);
    sbuf_reset(&p);
    sbuf_addf(&p, "%s/root/d1/d2", test_tmpdir());
    ASSERT(stat(p.buf, &st) == 0);
    ASSERT_INT_EQ(st.st_mode & 07777, 0755);
    sbuf_release(&p);
    artifact_repo_close(r);
}

/* The source fails midway: nothing appears, and an older file of the same
 * name is left exactly as it was. */
TEST(artifact_local_interrupted_stream_leaves_nothing)
{
    struct artifact_repo *r = open_repo("root");
    struct ferr err = FERR_INIT;
    struct gen_source g = {4 * 1024 * 1024, 0, 3 * 1024 * 1024 + 100, 1, NULL};
    ASSERT_FAILS(artifact_log_stream(r, "up/big.bin", gen_read, &g, NULL, &err), &err,
                 FERR_IO_ERROR);
    ASSERT_STR_EQ(err.msg, "the client went away");
    int fd;
    int64_t size;
    ASSERT_FAILS(open_read_fd(r, "up/big.bin", &fd, &size, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    struct sbuf d = SBUF_INIT;
    sbuf_addf(&d, "%s/root/up", test_tmpdir());
    ASSERT_INT_EQ(entries(d.buf), 0); /* no part file either */
    /* over an existing file, with a source that fails without saying why */
    put(r, "up/big.bin", "old", 3, NULL);
    struct gen_source quiet = {4 * 1024 * 1024, 0, 1024 * 1024, 0, NULL};
    ASSERT_FAILS(artifact_log_stream(r, "up/big.bin", gen_read, &quiet, NULL, &err), &err,
                 FERR_IO_ERROR);
    ASSERT_CONTAINS(err.msg, "up/big.bin");
    char *back = get(r, "up/big.bin", &size);
    ASSERT_INT_EQ(size, 3);
    ASSERT(!memcmp(back, "old", 3));
    free(back);
    ASSERT_INT_EQ(entries(d.buf), 1);
    sbuf_release(&d);
    artifact_repo_close(r);
}

/* The writing process dies mid-upload (kill -9): the name never appears;
 * only a hidden part file is left, which listings skip. */
TEST(artifact_local_killed_writer_leaves_nothing_visible)
{
    struct artifact_repo *r = open_repo("root");
    struct ferr err = FERR_INIT;
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        struct artifact_writer *w;
        char chunk[65536];
        memset(chunk, 'k', sizeof(chunk));
        if (artifact_writer_open(r, "k/killed.bin", &w, &err))
            _exit(2);
        for (int i = 0; i < 32; i++)
            if (artifact_writer_write(w, chunk, sizeof(chunk), &err))
                _exit(3);
        kill(getpid(), SIGKILL);
        _exit(4);
    }
    int status;
    ASSERT(waitpid(pid, &status, 0) == pid);
    ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    int fd;
    int64_t size;
    ASSERT_FAILS(open_read_fd(r, "k/killed.bin", &fd, &size, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    struct artifact_list l;
    ASSERT_OK(artifact_list(r, "k", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 0);
    artifact_list_release(&l);
    struct sbuf d = SBUF_INIT;
    sbuf_addf(&d, "%s/root/k", test_tmpdir());
    ASSERT_INT_EQ(entries(d.buf), 1); /* the part file, and only it */
    sbuf_release(&d);
    /* a part file's name is not for writers */
    struct artifact_writer *w;
    ASSERT_FAILS(artifact_writer_open(r, "k/.ferry-part-x", &w, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    artifact_repo_close(r);
}

TEST(artifact_local_deletes_trees_and_files)
{
    struct artifact_repo *r = open_repo("root");
    struct ferr err = FERR_INIT;
    put(r, "t/a/1.txt", "1", 1, NULL);
    put(r, "t/a/b/2.txt", "22", 2, NULL);
    put(r, "t/c d/3.txt", "333", 3, NULL);
    put(r, "keep.txt", "k", 1, NULL);
    ASSERT_OK(artifact_delete(r, "t/a/1.txt", &err), &err);
    struct artifact_list l;
    ASSERT_OK(artifact_list(r, "t/a", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].path, "t/a/b");
    ASSERT(l.v[0].is_dir);
    ASSERT_INT_EQ(l.v[0].size, 0);
    artifact_list_release(&l);
    ASSERT_OK(artifact_delete(r, "t", &err), &err);
    ASSERT_OK(artifact_list(r, "", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].path, "keep.txt");
    artifact_list_release(&l);
    ASSERT_FAILS(artifact_delete(r, "t/c d/3.txt", &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(artifact_delete(r, "keep.txt/x", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    artifact_repo_close(r);
}

/* Listings come sorted in strcmp order, so pages are plain slices. */
TEST(artifact_local_listing_is_sorted)
{
    static const char *const names[] = {"b", "a", "B", "a b", "a.b", "\xc3\xa9", "Z", "_", "0"};
    struct artifact_repo *r = open_repo("root");
    struct ferr err = FERR_INIT;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct sbuf p = SBUF_INIT;
        sbuf_addf(&p, "s/%s", names[i]);
        put(r, p.buf, "x", 1, NULL);
        sbuf_release(&p);
    }
    struct artifact_list l;
    ASSERT_OK(artifact_list(r, "s", &l, &err), &err);
    ASSERT_INT_EQ(l.n, sizeof(names) / sizeof(names[0]));
    for (size_t i = 1; i < l.n; i++)
        if (strcmp(l.v[i - 1].path, l.v[i].path) >= 0)
            FAIL_AT("'%s' listed before '%s'", l.v[i - 1].path, l.v[i].path);
    artifact_list_release(&l);
    artifact_repo_close(r);
}

TEST(artifact_repo_uri_forms)
{
    static const char *const unsupported[] = {
        "s3://bucket/path",
        "mlflow-artifacts:/1/abc/artifacts",
        "mlflow-artifacts://host/x",
        "runs:/abc/model",
        "gs://b/x",
        "http://host/x",
        "hdfs:/x",
    };
    struct artifact_repo *r;
    struct ferr err = FERR_INIT;
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
        ASSERT_FAILS(artifact_repo_open(unsupported[i], &r, &err), &err, FERR_NOT_IMPLEMENTED);
        ASSERT(r == NULL);
    }
    struct sbuf uri = SBUF_INIT, dir = SBUF_INIT;
    struct stat st;
    /* file:/abs, file://localhost/abs, and percent-decoding */
    sbuf_addf(&uri, "file:%s/one", test_tmpdir());
    ASSERT_OK(artifact_repo_open(uri.buf, &r, &err), &err);
    artifact_repo_close(r);
    sbuf_reset(&uri);
    sbuf_addf(&uri, "file://localhost%s/my%%20dir", test_tmpdir());
    ASSERT_OK(artifact_repo_open(uri.buf, &r, &err), &err);
    put(r, "x.txt", "x", 1, NULL);
    artifact_repo_close(r);
    sbuf_addf(&dir, "%s/my dir/x.txt", test_tmpdir());
    ASSERT(stat(dir.buf, &st) == 0);
    sbuf_reset(&uri);
    sbuf_addf(&uri, "file://%s/q?x=1", test_tmpdir());
    ASSERT_FAILS(artifact_repo_open(uri.buf, &r, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    sbuf_reset(&uri);
    sbuf_addf(&uri, "file://%s/f#/../../etc", test_tmpdir());
    ASSERT_FAILS(artifact_repo_open(uri.buf, &r, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(artifact_repo_open("file://evil.example/etc", &r, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(artifact_repo_open("file:///tmp/a%00b", &r, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(artifact_repo_open(NULL, &r, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    sbuf_release(&uri);
    sbuf_release(&dir);
}

struct seen {
    int calls;
    int64_t last, total;
};

static void count_progress(void *arg, int64_t now, int64_t total)
{
    struct seen *s = arg;
    s->calls++;
    s->last = now;
    s->total = total;
}

TEST(local_readers_stream_and_copy_with_progress)
{
    struct artifact_repo *r = open_repo("streams");
    struct ferr err = FERR_INIT;
    struct artifact_reader *rd;
    char tmpl[512], sha[65];
    size_t n = 700 * 1000; /* a few chunks */
    char *data = malloc(n);
    ASSERT(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)(i * 7);
    snprintf(tmpl, sizeof(tmpl), "%s/src-XXXXXX", test_tmpdir());
    int src = mkstemp(tmpl);
    ASSERT(src >= 0 && write(src, data, n) == (ssize_t)n);
    struct seen up = {0, 0, 0}, down = {0, 0, 0};
    ASSERT_OK(artifact_put_fd(r, "m/big.bin", src, (int64_t)n, count_progress, &up, sha, &err),
              &err);
    ASSERT(up.calls >= 2 && up.last == (int64_t)n && up.total == (int64_t)n);
    ASSERT_INT_EQ(strlen(sha), 64);
    /* read as a stream, in small pieces */
    ASSERT_OK(artifact_open_read(r, "m/big.bin", &rd, &err), &err);
    ASSERT_INT_EQ(artifact_reader_size(rd), n);
    size_t got = 0;
    char piece[4096];
    for (ssize_t k; (k = artifact_reader_read(rd, piece, sizeof(piece), &err)) > 0; got += k)
        ASSERT(!memcmp(piece, data + got, (size_t)k));
    ASSERT_INT_EQ(got, n);
    artifact_reader_close(rd);
    /* copied into a descriptor */
    snprintf(tmpl, sizeof(tmpl), "%s/dst-XXXXXX", test_tmpdir());
    int dst = mkstemp(tmpl);
    ASSERT(dst >= 0);
    ASSERT_OK(artifact_get_fd(r, "m/big.bin", dst, count_progress, &down, &err), &err);
    ASSERT(down.calls >= 2 && down.last == (int64_t)n);
    ASSERT_INT_EQ(lseek(dst, 0, SEEK_END), n);
    ASSERT_FAILS(artifact_get_fd(r, "m/missing.bin", dst, NULL, NULL, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(artifact_get_fd(r, "../x", dst, NULL, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    close(src);
    close(dst);
    free(data);
    artifact_repo_close(r);
}
