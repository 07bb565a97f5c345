/* SPDX-License-Identifier: MIT
 * artifacts/data_pack.c: a pack written and read back in pieces of every
 * size, each corruption refused by name (bad magic, a flipped data byte, a
 * wrong count or trailer, truncation at every length, bytes after the
 * end, a size over 1 GiB), and pack files, loose objects and object
 * readers on a local repository. */
#include "../test.h"
#include "artifacts/data_pack.h"
#include "artifacts/repo.h"
#include "base/ferr.h"
#include "base/sbuf.h"

#include <openssl/evp.h>

static void sha_hex(const void *p, size_t n, char hex[65])
{
    unsigned char md[32];
    unsigned len;
    ASSERT(EVP_Digest(p, n, md, &len, EVP_sha256(), NULL));
    data_digest_from_raw(md, hex);
}

static int to_sbuf(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    (void)err;
    sbuf_add(ctx, buf, n);
    return 0;
}

/* What a reader handed out: every object's digest, size and bytes. */
struct seen {
    struct sbuf log; /* "digest:size;" per ended object */
    struct sbuf data;
    int64_t begun, ended;
};

static int s_begin(void *ctx, const char hex[65], int64_t size, int64_t offset, struct ferr *err)
{
    struct seen *s = ctx;
    (void)hex;
    (void)size;
    (void)offset;
    (void)err;
    s->begun++;
    return 0;
}

static int s_data(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    (void)err;
    sbuf_add(&((struct seen *)ctx)->data, buf, n);
    return 0;
}

static int s_end(void *ctx, const char hex[65], int64_t size, struct ferr *err)
{
    struct seen *s = ctx;
    (void)err;
    sbuf_addf(&s->log, "%.8s:%lld;", hex, (long long)size);
    s->ended++;
    return 0;
}

static const struct data_pack_handler seen_handler = {s_begin, s_data, s_end};

static char *big;
enum { BIG = 2 * 1024 * 1024 + 7 };

/* A pack of "hello", "" and BIG patterned bytes into out. */
static void make_pack(struct sbuf *out, char hexes[3][65])
{
    struct ferr err = FERR_INIT;
    big = malloc(BIG);
    for (int i = 0; i < BIG; i++)
        big[i] = (char)(i * 7 + i / 1000);
    sha_hex("hello", 5, hexes[0]);
    sha_hex("", 0, hexes[1]);
    sha_hex(big, BIG, hexes[2]);
    struct data_pack_writer *w = data_pack_writer_new(to_sbuf, out);
    int64_t off, count, bytes;
    ASSERT_OK(data_pack_writer_put(w, hexes[0], "hello", 5, &off, &err), &err);
    ASSERT_INT_EQ(off, 8 + 41);
    ASSERT_OK(data_pack_writer_put(w, hexes[1], "", 0, &off, &err), &err);
    ASSERT_INT_EQ(off, 8 + 41 + 5 + 41);
    ASSERT_OK(data_pack_writer_object(w, hexes[2], BIG, NULL, &err), &err);
    ASSERT_OK(data_pack_writer_data(w, big, 1000, &err), &err);
    ASSERT_FAILS(data_pack_writer_finish(w, NULL, NULL, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(data_pack_writer_data(w, big + 1000, BIG - 1000, &err), &err);
    ASSERT_FAILS(data_pack_writer_data(w, "x", 1, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(data_pack_writer_finish(w, &count, &bytes, &err), &err);
    ASSERT_INT_EQ(count, 3);
    ASSERT_INT_EQ(bytes, (int64_t)out->len);
    ASSERT_INT_EQ(bytes, 8 + 3 * 41 + 5 + BIG + 41);
    data_pack_writer_free(w);
}

/* Reads buf in pieces of step bytes: 0 or -1 with err. */
static int read_pack(const char *buf, size_t n, size_t step, struct seen *s, struct ferr *err)
{
    struct data_pack_reader *r = data_pack_reader_new(&seen_handler, s);
    int rc = 0;
    for (size_t off = 0; off < n && !rc; off += step)
        rc = data_pack_reader_feed(r, buf + off, n - off < step ? n - off : step, err);
    int64_t count = -1;
    if (!rc)
        rc = data_pack_reader_finish(r, &count, err);
    if (!rc && count != s->ended)
        FAIL_AT("count %lld != ended %lld", (long long)count, (long long)s->ended);
    data_pack_reader_free(r);
    return rc;
}

static void seen_release(struct seen *s)
{
    sbuf_release(&s->log);
    sbuf_release(&s->data);
    memset(s, 0, sizeof(*s));
}

TEST(data_pack_round_trip_any_piece_size)
{
    struct sbuf pack = SBUF_INIT;
    char hexes[3][65];
    struct ferr err = FERR_INIT;
    make_pack(&pack, hexes);
    static const size_t steps[] = {1, 7, 41, 4096, 1 << 20, 1 << 30};
    for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++) {
        struct seen s = {SBUF_INIT, SBUF_INIT, 0, 0};
        ASSERT_OK(read_pack(pack.buf, pack.len, steps[i], &s, &err), &err);
        ASSERT_INT_EQ(s.ended, 3);
        ASSERT_INT_EQ(s.data.len, 5 + BIG);
        ASSERT(!memcmp(s.data.buf, "hello", 5));
        ASSERT(!memcmp(s.data.buf + 5, big, BIG));
        struct sbuf want = SBUF_INIT;
        sbuf_addf(&want, "%.8s:5;%.8s:0;%.8s:%d;", hexes[0], hexes[1], hexes[2], BIG);
        ASSERT_STR_EQ(s.log.buf, want.buf);
        sbuf_release(&want);
        seen_release(&s);
    }
    /* An empty pack is valid. */
    struct sbuf empty = SBUF_INIT;
    struct data_pack_writer *w = data_pack_writer_new(to_sbuf, &empty);
    ASSERT_OK(data_pack_writer_finish(w, NULL, NULL, &err), &err);
    data_pack_writer_free(w);
    struct seen s = {SBUF_INIT, SBUF_INIT, 0, 0};
    ASSERT_OK(read_pack(empty.buf, empty.len, 3, &s, &err), &err);
    ASSERT_INT_EQ(s.ended, 0);
    seen_release(&s);
    sbuf_release(&empty);
    sbuf_release(&pack);
    free(big);
}

static void corrupt(const struct sbuf *pack, size_t at, char byte, const char *want)
{
    struct sbuf copy = SBUF_INIT;
    struct ferr err = FERR_INIT;
    sbuf_add(&copy, pack->buf, pack->len);
    copy.buf[at] = byte;
    struct seen s = {SBUF_INIT, SBUF_INIT, 0, 0};
    ASSERT_FAILS(read_pack(copy.buf, copy.len, 65536, &s, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, want);
    seen_release(&s);
    sbuf_release(&copy);
}

TEST(data_pack_corruption_refused)
{
    struct sbuf pack = SBUF_INIT;
    char hexes[3][65];
    struct ferr err = FERR_INIT;
    make_pack(&pack, hexes);
    corrupt(&pack, 0, 'X', "bad magic");
    corrupt(&pack, 8 + 41 + 2, 'X', "does not match its digest");    /* in "hello" */
    corrupt(&pack, pack.len - 50, 'X', "does not match its digest"); /* in big */
    corrupt(&pack, 8 + 41 + 5, 'Q', "bad record type 0x51");
    corrupt(&pack, pack.len - 33, 9, "end record counts");
    corrupt(&pack, pack.len - 1, 0, "trailer checksum");
    /* A size over 1 GiB in a header. */
    corrupt(&pack, 8 + 33 + 3, 0x7f, "more than 1 GiB");

    /* Truncated at every length near each boundary, and some others. */
    for (size_t n = 0; n < pack.len; n += (n < 200 || n > pack.len - 200) ? 1 : 4093) {
        struct seen s = {SBUF_INIT, SBUF_INIT, 0, 0};
        ASSERT_FAILS(read_pack(pack.buf, n, 1 << 20, &s, &err), &err, FERR_INVALID_PARAMETER_VALUE);
        if (n >= 8)
            ASSERT_CONTAINS(err.msg, "truncated");
        seen_release(&s);
    }
    /* Bytes after the end. */
    struct sbuf more = SBUF_INIT;
    sbuf_add(&more, pack.buf, pack.len);
    sbuf_addch(&more, 'O');
    struct seen s = {SBUF_INIT, SBUF_INIT, 0, 0};
    ASSERT_FAILS(read_pack(more.buf, more.len, 999, &s, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "after the end");
    seen_release(&s);
    sbuf_release(&more);
    sbuf_release(&pack);
    free(big);
}

static ssize_t read_all(struct artifact_reader *rd, struct sbuf *out, struct ferr *err)
{
    char buf[3000];
    ssize_t n, total = 0;
    while ((n = artifact_reader_read(rd, buf, sizeof(buf), err)) > 0) {
        sbuf_add(out, buf, (size_t)n);
        total += n;
    }
    return n < 0 ? -1 : total;
}

TEST(data_pack_files_and_loose_objects_on_a_repo)
{
    struct artifact_repo *repo;
    struct ferr err = FERR_INIT;
    char root[600];
    snprintf(root, sizeof(root), "%s/root", test_tmpdir());
    ASSERT_OK(artifact_repo_open(root, &repo, &err), &err);
    char h1[65], h2[65], h3[65];
    sha_hex("one", 3, h1);
    sha_hex("second object", 13, h2);
    sha_hex("loose!", 6, h3);

    struct data_pack_file *f;
    ASSERT_OK(data_pack_file_open(repo, &f, &err), &err);
    struct data_location l1 = {"", 0, 3}, l2 = {"", 0, 13};
    snprintf(l1.pack, sizeof(l1.pack), "%s", data_pack_file_id(f));
    snprintf(l2.pack, sizeof(l2.pack), "%s", data_pack_file_id(f));
    ASSERT(data_pack_id_valid(l1.pack));
    ASSERT_OK(data_pack_writer_put(data_pack_file_writer(f), h1, "one", 3, &l1.offset, &err), &err);
    ASSERT_OK(
        data_pack_writer_put(data_pack_file_writer(f), h2, "second object", 13, &l2.offset, &err),
        &err);
    /* Nothing is visible before the commit. */
    struct artifact_reader *rd;
    ASSERT_FAILS(data_object_open(repo, h1, &l1, &rd, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, h1);
    int64_t count;
    ASSERT_OK(data_pack_file_commit(f, &count, NULL, &err), &err);
    ASSERT_INT_EQ(count, 2);

    struct sbuf got = SBUF_INIT;
    ASSERT_OK(data_object_open(repo, h2, &l2, &rd, &err), &err);
    ASSERT_INT_EQ(artifact_reader_size(rd), 13);
    ASSERT_INT_EQ(read_all(rd, &got, &err), 13);
    ASSERT_STR_EQ(got.buf, "second object");
    artifact_reader_close(rd);
    sbuf_reset(&got);

    /* The whole pack file verifies as a pack. */
    char path[DATA_PACK_PATH_MAX];
    data_pack_path(l1.pack, path);
    ASSERT_OK(artifact_open_read(repo, path, &rd, &err), &err);
    ASSERT(read_all(rd, &got, &err) > 0);
    artifact_reader_close(rd);
    struct seen s = {SBUF_INIT, SBUF_INIT, 0, 0};
    ASSERT_OK(read_pack(got.buf, got.len, 10, &s, &err), &err);
    ASSERT_INT_EQ(s.ended, 2);
    seen_release(&s);
    sbuf_reset(&got);

    /* A location past the pack's end reads as truncated. */
    struct data_location bad = l2;
    bad.offset += 1000;
    ASSERT_OK(data_object_open(repo, h2, &bad, &rd, &err), &err);
    ASSERT(read_all(rd, &got, &err) < 0);
    ASSERT_CONTAINS(err.msg, "truncated");
    artifact_reader_close(rd);
    sbuf_reset(&got);

    /* Loose objects: committed only when the bytes match. */
    struct artifact_writer *aw;
    ASSERT_OK(data_loose_open(repo, h3, &aw, &err), &err);
    ASSERT_OK(artifact_writer_write(aw, "loose!", 6, &err), &err);
    ASSERT_OK(data_loose_commit(repo, aw, h3, &err), &err);
    struct data_location l3 = {"", 0, 6};
    ASSERT_OK(data_object_open(repo, h3, &l3, &rd, &err), &err);
    ASSERT_INT_EQ(read_all(rd, &got, &err), 6);
    ASSERT_STR_EQ(got.buf, "loose!");
    artifact_reader_close(rd);
    ASSERT_OK(data_loose_open(repo, h1, &aw, &err), &err);
    ASSERT_OK(artifact_writer_write(aw, "not one", 7, &err), &err);
    ASSERT_FAILS(data_loose_commit(repo, aw, h1, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    struct data_location l4 = {"", 0, 3};
    ASSERT_FAILS(data_object_open(repo, h1, &l4, &rd, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);

    /* An aborted pack leaves nothing. */
    ASSERT_OK(data_pack_file_open(repo, &f, &err), &err);
    ASSERT_OK(data_pack_writer_put(data_pack_file_writer(f), h1, "one", 3, NULL, &err), &err);
    data_pack_file_abort(f);
    struct artifact_list list;
    ASSERT_OK(artifact_list(repo, "datasets/packs", &list, &err), &err);
    ASSERT_INT_EQ(list.n, 1);
    artifact_list_release(&list);
    sbuf_release(&got);
    artifact_repo_close(repo);
}

/* A pack spelled by hand from the format's definition (not by the
 * writer): the trailer covers magic to count; the reader accepts it and
 * the writer spells the same bytes. */
TEST(data_pack_spelled_by_hand)
{
    struct sbuf p = SBUF_INIT, w2 = SBUF_INIT;
    struct ferr err = FERR_INIT;
    unsigned char md[32], be[8] = {0, 0, 0, 0, 0, 0, 0, 2};
    unsigned len;
    char hex[65];
    sbuf_add(&p, "FERRYPK1", 8);
    sbuf_addch(&p, 'O');
    ASSERT(EVP_Digest("ab", 2, md, &len, EVP_sha256(), NULL));
    sbuf_add(&p, md, 32);
    sbuf_add(&p, "\0\0\0\0\0\0\0\2ab", 10);
    sbuf_addch(&p, 'O');
    ASSERT(EVP_Digest("", 0, md, &len, EVP_sha256(), NULL));
    sbuf_add(&p, md, 32);
    sbuf_add(&p, "\0\0\0\0\0\0\0\0", 8);
    sbuf_addch(&p, 'E');
    sbuf_add(&p, be, 8);
    ASSERT(EVP_Digest(p.buf, p.len, md, &len, EVP_sha256(), NULL));
    sbuf_add(&p, md, 32);
    struct seen s = {SBUF_INIT, SBUF_INIT, 0, 0};
    ASSERT_OK(read_pack(p.buf, p.len, 5, &s, &err), &err);
    ASSERT_INT_EQ(s.ended, 2);
    seen_release(&s);
    struct data_pack_writer *w = data_pack_writer_new(to_sbuf, &w2);
    sha_hex("ab", 2, hex);
    ASSERT_OK(data_pack_writer_put(w, hex, "ab", 2, NULL, &err), &err);
    sha_hex("", 0, hex);
    ASSERT_OK(data_pack_writer_put(w, hex, "", 0, NULL, &err), &err);
    ASSERT_OK(data_pack_writer_finish(w, NULL, NULL, &err), &err);
    data_pack_writer_free(w);
    ASSERT_INT_EQ(w2.len, p.len);
    ASSERT(!memcmp(w2.buf, p.buf, p.len));
    sbuf_release(&p);
    sbuf_release(&w2);
}
