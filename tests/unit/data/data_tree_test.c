/* SPDX-License-Identifier: MIT
 * data/tree_scan.c and data/tree_write.c on real files: text, binary,
 * nested, empty, executable, unicode names, an empty directory, in-tree
 * links, a file over 8 MiB (chunks) and repeated content; links out of the
 * tree, absolute links, FIFOs and non-UTF-8 names refused; a tree written
 * back from stored objects scans to the same digest; tampered objects, a
 * missing object and a busy destination leave no destination behind. */
#include "../test.h"
#include "artifacts/backend.h"
#include "artifacts/data_pack.h"
#include "artifacts/repo.h"
#include "base/ferr.h"
#include "base/sbuf.h"
#include "data/tree_scan.h"
#include "data/tree_write.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tpath(const char *rel)
{
    static char bufs[8][1024];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, 1024, "%s/%s", test_tmpdir(), rel);
    return b;
}

static void put_file(const char *rel, const void *data, size_t n, mode_t mode)
{
    int fd = open(tpath(rel), O_WRONLY | O_CREAT | O_TRUNC, mode);
    ASSERT(fd >= 0);
    ASSERT((size_t)write(fd, data, n) == n);
    ASSERT(fchmod(fd, mode) == 0);
    ASSERT(close(fd) == 0);
}

static void mk(const char *rel)
{
    ASSERT(mkdir(tpath(rel), 0755) == 0);
}

enum { BIG = 8 * 1024 * 1024 * 2 + 100 };

/* The source tree used by most tests, under "src". */
static void make_tree(void)
{
    mk("src");
    mk("src/sub");
    mk("src/sub/deeper");
    mk("src/empty");
    mk("src/\xc3\xa9t\xc3\xa9");
    put_file("src/readme.txt", "hello world\n", 12, 0644);
    put_file("src/run.sh", "#!/bin/sh\necho hi\n", 18, 0755);
    put_file("src/sub/empty.bin", "", 0, 0644);
    put_file("src/sub/deeper/copy.txt", "hello world\n", 12, 0644); /* same bytes */
    put_file("src/\xc3\xa9t\xc3\xa9/donn\xc3\xa9\x65s.csv", "a,b\n1,2\n", 8, 0644);
    unsigned char bin[256];
    for (int i = 0; i < 256; i++)
        bin[i] = (unsigned char)i;
    put_file("src/sub/bytes.bin", bin, sizeof(bin), 0644);
    /* Over 8 MiB: three chunks, the first two identical. */
    char *b = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        b[i] = (char)((i % (8 * 1024 * 1024)) * 31 / 7);
    put_file("src/big.dat", b, BIG, 0644);
    free(b);
    ASSERT(symlink("sub/bytes.bin", tpath("src/link")) == 0);
    ASSERT(symlink("../readme.txt", tpath("src/sub/up")) == 0);
}

static void sha_hex(const void *p, size_t n, char hex[65])
{
    unsigned char md[32];
    unsigned len;
    ASSERT(EVP_Digest(p, n, md, &len, EVP_sha256(), NULL));
    data_digest_from_raw(md, hex);
}

static const struct data_file *find_file(const struct data_manifest *m, const char *path)
{
    for (size_t i = 0; i < m->nfiles; i++)
        if (!strcmp(m->files[i].path, path))
            return &m->files[i];
    FAIL_AT("no file '%s' in the manifest", path);
}

TEST(data_tree_scan_real_files)
{
    struct data_scan s;
    struct ferr err = FERR_INIT;
    make_tree();
    ASSERT_OK(data_tree_scan(tpath("src"), NULL, &s, &err), &err);
    const struct data_manifest *m = &s.manifest;
    ASSERT_INT_EQ(m->nfiles, 7);
    ASSERT_INT_EQ(m->ndirs, 1);
    ASSERT_STR_EQ(m->dirs[0], "empty");
    ASSERT_INT_EQ(m->nlinks, 2);
    ASSERT_STR_EQ(m->links[0].path, "link");
    ASSERT_STR_EQ(m->links[0].target, "sub/bytes.bin");
    ASSERT_STR_EQ(m->links[1].path, "sub/up");
    ASSERT_STR_EQ(m->files[0].path, "big.dat"); /* sorted by bytes */
    ASSERT_STR_EQ(m->files[6].path, "\xc3\xa9t\xc3\xa9/donn\xc3\xa9\x65s.csv");
    char hex[65];
    sha_hex("hello world\n", 12, hex);
    ASSERT_STR_EQ(find_file(m, "readme.txt")->sha256, hex);
    ASSERT_INT_EQ(find_file(m, "run.sh")->exec, 1);
    ASSERT_INT_EQ(find_file(m, "readme.txt")->exec, 0);
    sha_hex("", 0, hex);
    ASSERT_STR_EQ(find_file(m, "sub/empty.bin")->sha256, hex);
    const struct data_file *big = find_file(m, "big.dat");
    ASSERT_INT_EQ(big->size, BIG);
    ASSERT_INT_EQ(big->nchunks, 3);
    ASSERT_STR_EQ(big->chunks[0], big->chunks[1]);
    ASSERT(strcmp(big->chunks[1], big->chunks[2]));
    for (size_t i = 0; i < m->nfiles; i++)
        ASSERT(strstr(s.local[i], m->files[i].path));
    /* Objects: distinct, in file order, with where they lie. big.dat gives
     * two (chunk 0 = chunk 1), copy.txt repeats readme.txt. */
    ASSERT_INT_EQ(s.nobjects, 2 + 5);
    ASSERT_STR_EQ(s.objects[0].digest, big->chunks[0]);
    ASSERT_INT_EQ(s.objects[1].offset, 2 * 8 * 1024 * 1024);
    ASSERT_INT_EQ(s.objects[1].size, 100);
    ASSERT_INT_EQ(s.bytes, BIG + 12 + 18 + 0 + 12 + 8 + 256);

    /* One thread gives the same manifest. */
    struct data_scan s1;
    struct data_scan_opts one = {1, NULL, NULL};
    ASSERT_OK(data_tree_scan(tpath("src"), &one, &s1, &err), &err);
    char d1[65], d2[65];
    data_manifest_digest(&s.manifest, d1);
    data_manifest_digest(&s1.manifest, d2);
    ASSERT_STR_EQ(d1, d2);
    data_scan_release(&s1);

    /* A single file is a manifest of its basename. */
    ASSERT_OK(data_tree_scan(tpath("src/sub/bytes.bin"), NULL, &s1, &err), &err);
    ASSERT_INT_EQ(s1.manifest.nfiles, 1);
    ASSERT_STR_EQ(s1.manifest.files[0].path, "bytes.bin");
    ASSERT_STR_EQ(s1.manifest.files[0].sha256, find_file(m, "sub/bytes.bin")->sha256);
    data_scan_release(&s1);
    data_scan_release(&s);
}

static void scan_refused(const char *rel, enum ferr_code code, const char *want)
{
    struct data_scan s;
    struct ferr err = FERR_INIT;
    ASSERT_FAILS(data_tree_scan(tpath(rel), NULL, &s, &err), &err, code);
    ASSERT_CONTAINS(err.msg, want);
    data_scan_release(&s);
}

TEST(data_tree_scan_refusals)
{
    mk("out");
    put_file("out/f", "x", 1, 0644);
    ASSERT(symlink("../../etc", tpath("out/escape")) == 0);
    scan_refused("out", FERR_INVALID_PARAMETER_VALUE, "points outside the tree");
    ASSERT(unlink(tpath("out/escape")) == 0);
    ASSERT(symlink("/etc/passwd", tpath("out/abs")) == 0);
    scan_refused("out", FERR_INVALID_PARAMETER_VALUE, "out/abs' points to the absolute path");
    ASSERT(unlink(tpath("out/abs")) == 0);
    ASSERT(mkfifo(tpath("out/pipe"), 0644) == 0);
    scan_refused("out", FERR_INVALID_PARAMETER_VALUE, "out/pipe' is a FIFO");
    ASSERT(unlink(tpath("out/pipe")) == 0);
    put_file("out/bad\xff", "x", 1, 0644);
    scan_refused("out", FERR_INVALID_PARAMETER_VALUE, "out/bad?': the name is not valid UTF-8");
    ASSERT(unlink(tpath("out/bad\xff")) == 0);
    scan_refused("nothing-here", FERR_RESOURCE_DOES_NOT_EXIST, "does not exist");
    /* A link going up through another link is refused by the manifest check. */
    mk("out/d");
    ASSERT(symlink("d", tpath("out/l1")) == 0);
    ASSERT(symlink("l1/../f", tpath("out/l2")) == 0);
    scan_refused("out", FERR_INVALID_PARAMETER_VALUE, "goes up through link 'l1'");
}

/* ---------- writing back ---------- */

/* Objects stored in a local repository, as an ingest would: small ones in
 * one pack, large ones loose. */
struct stored {
    struct artifact_repo *repo;
    char (*digest)[65];
    struct data_location *loc;
    size_t n;
    int tamper; /* the source flips a byte of the object with this index + 1 */
};

static void store_scan(struct stored *st, const struct data_scan *s)
{
    struct ferr err = FERR_INIT;
    ASSERT_OK(artifact_repo_open(tpath("root"), &st->repo, &err), &err);
    st->n = s->nobjects;
    st->digest = calloc(st->n + 1, sizeof(*st->digest));
    st->loc = calloc(st->n + 1, sizeof(*st->loc));
    struct data_pack_file *pf;
    ASSERT_OK(data_pack_file_open(st->repo, &pf, &err), &err);
    char *buf = malloc(DATA_CHUNK_SIZE);
    for (size_t i = 0; i < s->nobjects; i++) {
        const struct data_scan_object *o = &s->objects[i];
        int fd = open(s->local[o->file], O_RDONLY);
        ASSERT(fd >= 0);
        ASSERT(pread(fd, buf, (size_t)o->size, o->offset) == o->size);
        close(fd);
        memcpy(st->digest[i], o->digest, 65);
        st->loc[i].size = o->size;
        if (o->size >= DATA_LOOSE_MIN) {
            struct artifact_writer *w;
            ASSERT_OK(data_loose_open(st->repo, o->digest, &w, &err), &err);
            ASSERT_OK(artifact_writer_write(w, buf, (size_t)o->size, &err), &err);
            ASSERT_OK(data_loose_commit(st->repo, w, o->digest, &err), &err);
        } else {
            snprintf(st->loc[i].pack, sizeof(st->loc[i].pack), "%s", data_pack_file_id(pf));
            ASSERT_OK(data_pack_writer_put(data_pack_file_writer(pf), o->digest, buf,
                                           (size_t)o->size, &st->loc[i].offset, &err),
                      &err);
        }
    }
    free(buf);
    ASSERT_OK(data_pack_file_commit(pf, NULL, NULL, &err), &err);
}

/* Flips the first byte an object reader hands out. */
struct flip_reader {
    struct artifact_reader base;
    struct artifact_reader *inner;
    int flipped;
};

static ssize_t flip_read(struct artifact_reader *base, void *buf, size_t cap, struct ferr *err)
{
    struct flip_reader *f = (struct flip_reader *)base;
    ssize_t n = artifact_reader_read(f->inner, buf, cap, err);
    if (n > 0 && !f->flipped) {
        ((unsigned char *)buf)[0] ^= 1;
        f->flipped = 1;
    }
    return n;
}

static void flip_close(struct artifact_reader *base)
{
    struct flip_reader *f = (struct flip_reader *)base;
    artifact_reader_close(f->inner);
    free(f);
}

static const struct artifact_reader_ops flip_ops = {flip_read, NULL, flip_close};

static int source(void *ctx, const char hex[65], int64_t size, struct artifact_reader **out,
                  struct ferr *err)
{
    struct stored *st = ctx;
    for (size_t i = 0; i < st->n; i++)
        if (!strcmp(st->digest[i], hex)) {
            ASSERT_INT_EQ(st->loc[i].size, size);
            if (data_object_open(st->repo, hex, &st->loc[i], out, err))
                return -1;
            if (st->tamper == (int)i + 1 && size > 0) {
                struct flip_reader *f = calloc(1, sizeof(*f));
                f->base.ops = &flip_ops;
                f->base.size = size;
                f->inner = *out;
                *out = &f->base;
            }
            return 0;
        }
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "object '%s' is not stored", hex);
}

static void stored_release(struct stored *st)
{
    free(st->digest);
    free(st->loc);
    artifact_repo_close(st->repo);
}

static int dir_entries(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *e;
    if (!d)
        return -1;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

TEST(data_tree_write_round_trip)
{
    struct data_scan s, back;
    struct ferr err = FERR_INIT;
    struct stored st = {0};
    make_tree();
    ASSERT_OK(data_tree_scan(tpath("src"), NULL, &s, &err), &err);
    store_scan(&st, &s);
    ASSERT_OK(data_tree_write(&s.manifest, tpath("dst"), NULL, source, &st, &err), &err);
    ASSERT_OK(data_tree_scan(tpath("dst"), NULL, &back, &err), &err);
    char d1[65], d2[65];
    data_manifest_digest(&s.manifest, d1);
    data_manifest_digest(&back.manifest, d2);
    ASSERT_STR_EQ(d1, d2);
    struct stat sb;
    ASSERT(stat(tpath("dst/run.sh"), &sb) == 0);
    ASSERT_INT_EQ(sb.st_mode & 0777, 0755);
    ASSERT(stat(tpath("dst/readme.txt"), &sb) == 0);
    ASSERT_INT_EQ(sb.st_mode & 0777, 0644);
    ASSERT(lstat(tpath("dst/link"), &sb) == 0 && S_ISLNK(sb.st_mode));
    ASSERT_INT_EQ(dir_entries(tpath("dst/empty")), 0);
    data_scan_release(&back);
    ASSERT_INT_EQ(dir_entries(test_tmpdir()), 3); /* src, root, dst: nothing temporary */

    /* A destination that is not empty is refused, kept as it was. */
    ASSERT_FAILS(data_tree_write(&s.manifest, tpath("dst"), NULL, source, &st, &err), &err,
                 FERR_RESOURCE_ALREADY_EXISTS);
    /* ... unless asked to overwrite. */
    ASSERT(unlink(tpath("dst/readme.txt")) == 0);
    put_file("dst/stray", "x", 1, 0644);
    struct data_tree_write_opts ow = {1, NULL, NULL};
    ASSERT_OK(data_tree_write(&s.manifest, tpath("dst"), &ow, source, &st, &err), &err);
    ASSERT_OK(data_tree_scan(tpath("dst"), NULL, &back, &err), &err);
    data_manifest_digest(&back.manifest, d2);
    ASSERT_STR_EQ(d1, d2);
    data_scan_release(&back);
    /* A destination that cannot be replaced as a whole is refused. */
    ASSERT_FAILS(data_tree_write(&s.manifest, ".", NULL, source, &st, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(data_tree_write(&s.manifest, "/", NULL, source, &st, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(data_tree_write(&s.manifest, tpath("dst/.."), NULL, source, &st, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    /* An empty directory is fine as a destination. */
    mk("dst2");
    ASSERT_OK(data_tree_write(&s.manifest, tpath("dst2"), NULL, source, &st, &err), &err);
    stored_release(&st);
    data_scan_release(&s);
}

TEST(data_tree_write_refuses_bad_bytes_and_leaves_nothing)
{
    struct data_scan s;
    struct ferr err = FERR_INIT;
    struct stored st = {0};
    make_tree();
    ASSERT_OK(data_tree_scan(tpath("src"), NULL, &s, &err), &err);
    store_scan(&st, &s);
    int before = dir_entries(test_tmpdir());
    /* Every object in turn served wrong. */
    for (size_t i = 0; i < st.n; i++) {
        st.tamper = (int)i + 1;
        if (st.loc[i].size == 0)
            continue;
        ASSERT_FAILS(data_tree_write(&s.manifest, tpath("dst"), NULL, source, &st, &err), &err,
                     FERR_INVALID_PARAMETER_VALUE);
        ASSERT_CONTAINS(err.msg, "does not match its digest");
        ASSERT_INT_EQ(dir_entries(test_tmpdir()), before);
    }
    st.tamper = 0;
    /* A manifest tampered with: a file's digest changed. */
    char saved[65];
    memcpy(saved, s.manifest.files[1].sha256, 65);
    s.manifest.files[1].sha256[5] = s.manifest.files[1].sha256[5] == 'a' ? 'b' : 'a';
    ASSERT_FAILS(data_tree_write(&s.manifest, tpath("dst"), NULL, source, &st, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST); /* no such object stored */
    memcpy(s.manifest.files[1].sha256, saved, 65);
    /* The big file's whole digest altered: its chunks verify, the file not. */
    struct data_file *big = &s.manifest.files[0];
    memcpy(saved, big->sha256, 65);
    big->sha256[0] = big->sha256[0] == '0' ? '1' : '0';
    ASSERT_FAILS(data_tree_write(&s.manifest, tpath("dst"), NULL, source, &st, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "file 'big.dat' does not match its sha256");
    memcpy(big->sha256, saved, 65);
    ASSERT_INT_EQ(dir_entries(test_tmpdir()), before);
    stored_release(&st);
    data_scan_release(&s);
}

static int to_sbuf(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    (void)err;
    sbuf_add(ctx, buf, n);
    return 0;
}

TEST(data_tree_write_from_a_pack_stream)
{
    struct data_scan s, back;
    struct ferr err = FERR_INIT;
    mk("src");
    mk("src/a");
    for (int i = 0; i < 300; i++) {
        char name[64], body[64];
        snprintf(name, sizeof(name), "src/a/f%03d", i);
        snprintf(body, sizeof(body), "file %d\n", i % 250); /* some repeats */
        put_file(name, body, strlen(body), 0644);
    }
    ASSERT_OK(data_tree_scan(tpath("src"), NULL, &s, &err), &err);
    /* A pack of the objects in the order the writer asks for. */
    struct data_tree_writer *w;
    ASSERT_OK(data_tree_writer_open(&s.manifest, tpath("dst"), NULL, &w, &err), &err);
    size_t n;
    const struct data_object_ref *order = data_tree_writer_order(w, &n);
    ASSERT_INT_EQ(n, 250);
    struct sbuf pack = SBUF_INIT;
    struct data_pack_writer *pw = data_pack_writer_new(to_sbuf, &pack);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (strcmp(s.objects[k].digest, order[i].digest))
            k++;
        char body[64];
        int fd = open(s.local[s.objects[k].file], O_RDONLY);
        ssize_t got = read(fd, body, sizeof(body));
        close(fd);
        ASSERT_OK(data_pack_writer_put(pw, order[i].digest, body, (size_t)got, NULL, &err), &err);
    }
    ASSERT_OK(data_pack_writer_finish(pw, NULL, NULL, &err), &err);
    data_pack_writer_free(pw);
    struct data_pack_reader *r = data_pack_reader_new(data_tree_writer_pack_handler(), w);
    ASSERT_OK(data_pack_reader_feed(r, pack.buf, pack.len, &err), &err);
    ASSERT_OK(data_pack_reader_finish(r, NULL, &err), &err);
    data_pack_reader_free(r);
    ASSERT_OK(data_tree_writer_commit(w, &err), &err);
    ASSERT_OK(data_tree_scan(tpath("dst"), NULL, &back, &err), &err);
    char d1[65], d2[65];
    data_manifest_digest(&s.manifest, d1);
    data_manifest_digest(&back.manifest, d2);
    ASSERT_STR_EQ(d1, d2);
    data_scan_release(&back);

    /* Out of order, or a pack cut short: refused, nothing left. */
    ASSERT_OK(data_tree_writer_open(&s.manifest, tpath("dst3"), NULL, &w, &err), &err);
    r = data_pack_reader_new(data_tree_writer_pack_handler(), w);
    ASSERT_OK(data_pack_reader_feed(r, pack.buf, pack.len / 2, &err), &err);
    ASSERT_FAILS(data_pack_reader_finish(r, NULL, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    data_pack_reader_free(r);
    data_tree_writer_abort(w);
    ASSERT(access(tpath("dst3"), F_OK) != 0);
    ASSERT_OK(data_tree_writer_open(&s.manifest, tpath("dst3"), NULL, &w, &err), &err);
    order = data_tree_writer_order(w, &n);
    ASSERT_FAILS(data_tree_writer_begin(w, order[1].digest, order[1].size, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "was expected");
    ASSERT_FAILS(data_tree_writer_commit(w, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "never came");
    ASSERT(access(tpath("dst3"), F_OK) != 0);
    ASSERT_INT_EQ(dir_entries(test_tmpdir()), 2); /* src, dst */
    sbuf_release(&pack);
    data_scan_release(&s);
}
