/* SPDX-License-Identifier: MIT
 * data/objects.c on both store backends: a scanned tree ingested directly
 * and as a pack stream (small objects into one pack, large ones loose, rows
 * recorded), the same objects again storing nothing and leaving no new
 * pack, a corrupt or truncated stream storing nothing, export of stored
 * objects as a pack that writes the tree back, and verify finding a
 * corrupt packed object and a missing loose one. */
#include "../test.h"
#include "artifacts/data_pack.h"
#include "artifacts/repo.h"
#include "base/ferr.h"
#include "base/sbuf.h"
#include "data/objects.h"
#include "data/tree_scan.h"
#include "data/tree_write.h"
#include "store/data_collect.h"
#include "store/datasets.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tp(const char *rel)
{
    static char bufs[8][1024];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, 1024, "%s/%s", test_tmpdir(), rel);
    return b;
}

static void put_file(const char *rel, const void *data, size_t n)
{
    int fd = open(tp(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT(fd >= 0);
    ASSERT((size_t)write(fd, data, n) == n);
    ASSERT(close(fd) == 0);
}

struct env {
    struct store *s;
    struct artifact_repo *r;
    struct data_scan scan;
};

/* A tree of 50 small files and one of 3 MiB (loose), scanned. */
static void setup(struct env *e, const char *name)
{
    struct ferr err = FERR_INIT;
    struct store_opts o = STORE_OPTS_INIT;
    char *uri = test_store_uri(name);
    o.default_artifact_root = "/artifacts";
    ASSERT_OK(store_open(uri, &o, &e->s, &err), &err);
    free(uri);
    ASSERT_OK(artifact_repo_open(tp("root"), &e->r, &err), &err);
    ASSERT(mkdir(tp("src"), 0755) == 0);
    for (int i = 0; i < 50; i++) {
        char rel[64], body[64];
        snprintf(rel, sizeof(rel), "src/f%02d.txt", i);
        snprintf(body, sizeof(body), "small file %d\n", i);
        put_file(rel, body, strlen(body));
    }
    size_t big = 3 * 1024 * 1024;
    char *b = malloc(big);
    for (size_t i = 0; i < big; i++)
        b[i] = (char)(i * 13 / 11);
    put_file("src/big.bin", b, big);
    free(b);
    ASSERT_OK(data_tree_scan(tp("src"), NULL, &e->scan, &err), &err);
    ASSERT_INT_EQ(e->scan.nobjects, 51);
}

static void teardown(struct env *e)
{
    data_scan_release(&e->scan);
    artifact_repo_close(e->r);
    store_close(e->s);
}

static size_t packs(struct env *e)
{
    struct artifact_list l;
    struct ferr err = FERR_INIT;
    ASSERT_OK(artifact_list(e->r, "datasets/packs", &l, &err), &err);
    size_t n = l.n;
    artifact_list_release(&l);
    return n;
}

static int to_sbuf(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    (void)err;
    sbuf_add(ctx, buf, n);
    return 0;
}

static void pack_of_scan(struct env *e, struct sbuf *out)
{
    struct ferr err = FERR_INIT;
    struct data_pack_writer *w = data_pack_writer_new(to_sbuf, out);
    ASSERT_OK(data_scan_pack(&e->scan, NULL, 0, w, &err), &err);
    ASSERT_OK(data_pack_writer_finish(w, NULL, NULL, &err), &err);
    data_pack_writer_free(w);
}

static int feed(struct env *e, const struct sbuf *pack, struct data_ingest_result *res,
                struct ferr *err)
{
    struct data_ingest *in;
    ASSERT_OK(data_ingest_begin(e->s, e->r, &in, err), err);
    for (size_t off = 0; off < pack->len; off += 100000) {
        size_t n = pack->len - off < 100000 ? pack->len - off : 100000;
        if (data_ingest_feed(in, pack->buf + off, n, err)) {
            data_ingest_abort(in);
            return -1;
        }
    }
    return data_ingest_finish(in, res, err);
}

STORE_TEST(data_objects_ingest_stream_then_dedup)
{
    struct env e;
    struct ferr err = FERR_INIT;
    struct data_ingest_result res;
    setup(&e, "ingest");
    struct sbuf pack = SBUF_INIT;
    pack_of_scan(&e, &pack);

    /* A corrupt stream stores nothing. */
    struct sbuf bad = SBUF_INIT;
    sbuf_add(&bad, pack.buf, pack.len);
    bad.buf[100] ^= 1;
    ASSERT_FAILS(feed(&e, &bad, &res, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(feed(&e, &(struct sbuf){pack.len - 10, 0, pack.buf}, &res, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_INT_EQ(packs(&e), 0);
    struct data_location loc;
    ASSERT_FAILS(data_object_locate(e.s, e.scan.objects[1].digest, &loc, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);

    ASSERT_OK(feed(&e, &pack, &res, &err), &err);
    ASSERT_INT_EQ(res.objects, 51);
    ASSERT_INT_EQ(res.stored, 51);
    ASSERT_INT_EQ(res.stored_bytes, e.scan.bytes);
    ASSERT_INT_EQ(packs(&e), 1);
    /* The big one is loose, the others in the pack. */
    ASSERT_OK(data_object_locate(e.s, e.scan.objects[0].digest, &loc, &err), &err);
    ASSERT_STR_EQ(e.scan.manifest.files[e.scan.objects[0].file].path, "big.bin");
    ASSERT_STR_EQ(loc.pack, "");
    ASSERT_OK(data_object_locate(e.s, e.scan.objects[1].digest, &loc, &err), &err);
    ASSERT(data_pack_id_valid(loc.pack));

    /* The same again stores nothing and leaves no second pack. */
    ASSERT_OK(feed(&e, &pack, &res, &err), &err);
    ASSERT_INT_EQ(res.objects, 51);
    ASSERT_INT_EQ(res.stored, 0);
    ASSERT_INT_EQ(packs(&e), 1);

    /* Export writes the tree back. */
    char(*want)[65] = calloc(e.scan.nobjects, sizeof(*want));
    for (size_t i = 0; i < e.scan.nobjects; i++)
        memcpy(want[i], e.scan.objects[i].digest, 65);
    struct data_tree_writer *tw;
    ASSERT_OK(data_tree_writer_open(&e.scan.manifest, tp("dst"), NULL, &tw, &err), &err);
    size_t n;
    const struct data_object_ref *order = data_tree_writer_order(tw, &n);
    char(*ask)[65] = calloc(n, sizeof(*ask));
    for (size_t i = 0; i < n; i++)
        memcpy(ask[i], order[i].digest, 65);
    struct sbuf out = SBUF_INIT;
    int64_t bytes;
    ASSERT_OK(data_export(e.s, e.r, (const char(*)[65])ask, n, to_sbuf, &out, &bytes, &err), &err);
    ASSERT_INT_EQ(bytes, (int64_t)out.len);
    struct data_pack_reader *rd = data_pack_reader_new(data_tree_writer_pack_handler(), tw);
    ASSERT_OK(data_pack_reader_feed(rd, out.buf, out.len, &err), &err);
    ASSERT_OK(data_pack_reader_finish(rd, NULL, &err), &err);
    data_pack_reader_free(rd);
    ASSERT_OK(data_tree_writer_commit(tw, &err), &err);
    struct data_scan back;
    ASSERT_OK(data_tree_scan(tp("dst"), NULL, &back, &err), &err);
    char d1[65], d2[65];
    data_manifest_digest(&e.scan.manifest, d1);
    data_manifest_digest(&back.manifest, d2);
    ASSERT_STR_EQ(d1, d2);
    data_scan_release(&back);
    /* An unknown digest is refused before anything is written. */
    memset(ask[0], 'f', 64);
    sbuf_reset(&out);
    ASSERT_FAILS(data_export(e.s, e.r, (const char(*)[65])ask, n, to_sbuf, &out, NULL, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_INT_EQ(out.len, 0);

    /* Verify: all fine, then a flipped byte in the pack and a lost loose file. */
    int64_t checked, nbad;
    ASSERT_OK(data_verify(e.s, e.r, NULL, 0, NULL, NULL, &checked, &nbad, &err), &err);
    ASSERT_INT_EQ(checked, 51);
    ASSERT_INT_EQ(nbad, 0);
    free(want);
    free(ask);
    sbuf_release(&out);
    sbuf_release(&bad);
    sbuf_release(&pack);
    teardown(&e);
}

struct reports {
    struct sbuf text;
    int missing, corrupt;
};

static void on_bad(void *ctx, const char hex[65], enum data_verify_state st, const char *msg)
{
    struct reports *r = ctx;
    (void)hex;
    if (st == DATA_VERIFY_MISSING)
        r->missing++;
    else
        r->corrupt++;
    sbuf_addf(&r->text, "%s\n", msg);
}

STORE_TEST(data_objects_direct_ingest_and_verify)
{
    struct env e;
    struct ferr err = FERR_INIT;
    struct data_ingest_result res;
    struct data_ingest *in;
    setup(&e, "direct");
    ASSERT_OK(data_ingest_begin(e.s, e.r, &in, &err), &err);
    ASSERT_OK(data_ingest_scan(in, &e.scan, NULL, 0, &err), &err);
    ASSERT_FAILS(data_ingest_feed(in, "FERRYPK1", 8, &err), &err, FERR_INVALID_STATE);
    ASSERT_OK(data_ingest_finish(in, &res, &err), &err);
    ASSERT_INT_EQ(res.stored, 51);
    ASSERT_INT_EQ(packs(&e), 1);

    /* Wrong bytes for a digest are refused at the object's end. */
    ASSERT_OK(data_ingest_begin(e.s, e.r, &in, &err), &err);
    ASSERT_OK(data_ingest_object(in, e.scan.objects[1].digest, 3, &err), &err);
    ASSERT_OK(data_ingest_data(in, "abc", 3, &err), &err);
    ASSERT_FAILS(data_ingest_object_end(in, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    data_ingest_abort(in);
    ASSERT_INT_EQ(packs(&e), 1);

    /* Reading them straight into a tree writer writes the tree back. */
    struct data_tree_writer *tw;
    ASSERT_OK(data_tree_writer_open(&e.scan.manifest, tp("dst"), NULL, &tw, &err), &err);
    size_t n;
    const struct data_object_ref *order = data_tree_writer_order(tw, &n);
    char(*want)[65] = calloc(n, sizeof(*want));
    for (size_t i = 0; i < n; i++)
        memcpy(want[i], order[i].digest, 65);
    ASSERT_OK(data_objects_read(e.s, e.r, (const char(*)[65])want, n,
                                data_tree_writer_pack_handler(), tw, &err),
              &err);
    ASSERT_OK(data_tree_writer_commit(tw, &err), &err);
    struct data_scan back;
    ASSERT_OK(data_tree_scan(tp("dst"), NULL, &back, &err), &err);
    char d1[65], d2[65];
    data_manifest_digest(&e.scan.manifest, d1);
    data_manifest_digest(&back.manifest, d2);
    ASSERT_STR_EQ(d1, d2);
    data_scan_release(&back);
    free(want);

    /* Corrupt one packed object, remove the loose one. */
    struct data_location small, big;
    ASSERT_OK(data_object_locate(e.s, e.scan.objects[5].digest, &small, &err), &err);
    ASSERT_OK(data_object_locate(e.s, e.scan.objects[0].digest, &big, &err), &err);
    char path[DATA_PACK_PATH_MAX], opath[DATA_OBJECT_PATH_MAX];
    data_pack_path(small.pack, path);
    char full[1200];
    snprintf(full, sizeof(full), "%s/%s", tp("root"), path);
    int fd = open(full, O_WRONLY);
    ASSERT(fd >= 0);
    ASSERT(pwrite(fd, "#", 1, small.offset) == 1);
    close(fd);
    data_object_path(e.scan.objects[0].digest, opath);
    ASSERT_OK(artifact_delete(e.r, opath, &err), &err);

    struct reports rep = {SBUF_INIT, 0, 0};
    int64_t checked, nbad;
    ASSERT_OK(data_verify(e.s, e.r, NULL, 0, on_bad, &rep, &checked, &nbad, &err), &err);
    ASSERT_INT_EQ(checked, 51);
    ASSERT_INT_EQ(nbad, 2);
    ASSERT_INT_EQ(rep.missing, 1);
    ASSERT_INT_EQ(rep.corrupt, 1);
    ASSERT_CONTAINS(rep.text.buf, "in pack");
    ASSERT_CONTAINS(rep.text.buf, e.scan.objects[0].digest);
    /* Only some digests, one of them unknown. */
    char ask[2][65];
    memcpy(ask[0], e.scan.objects[7].digest, 65);
    memset(ask[1], 'e', 64);
    ask[1][64] = '\0';
    sbuf_reset(&rep.text);
    rep.missing = rep.corrupt = 0;
    ASSERT_OK(data_verify(e.s, e.r, (const char(*)[65])ask, 2, on_bad, &rep, &checked, &nbad, &err),
              &err);
    ASSERT_INT_EQ(checked, 2);
    ASSERT_INT_EQ(nbad, 1);
    ASSERT_CONTAINS(rep.text.buf, "no row");
    sbuf_release(&rep.text);
    teardown(&e);
}

struct collector {
    struct env *e;
    volatile int done;
    int rc;
};

static void *collect_now(void *arg)
{
    struct collector *c = arg;
    struct data_collect_report rep;
    struct ferr err = FERR_INIT;
    c->rc = store_data_collect(c->e->s, c->e->r, 1, 0, &rep, &err);
    data_collect_report_release(&rep);
    c->done = 1;
    return NULL;
}

/* gc waits for an ingest in progress (DATA_LOCK_PATH): between gc's DELETE
 * of a row and its unlink of the loose file, an ingest could write that
 * file again; holding the lock from begin to finish keeps them apart. */
TEST(data_gc_waits_for_an_ingest_in_progress)
{
    struct env e;
    struct ferr err = FERR_INIT;
    setup(&e, "gc_lock");
    struct data_ingest *in;
    ASSERT_OK(data_ingest_begin(e.s, e.r, &in, &err), &err);
    /* a second holder's exclusive try fails while the ingest holds it */
    int fd = open(tp("root/" DATA_LOCK_PATH), O_RDWR | O_CLOEXEC);
    ASSERT(fd >= 0);
    ASSERT(flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK);
    struct collector c = {&e, 0, -1};
    pthread_t t;
    ASSERT(pthread_create(&t, NULL, collect_now, &c) == 0);
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    ASSERT_INT_EQ(c.done, 0);
    ASSERT_OK(data_ingest_finish(in, NULL, &err), &err);
    ASSERT(pthread_join(t, NULL) == 0);
    ASSERT_INT_EQ(c.done, 1);
    ASSERT_INT_EQ(c.rc, 0);
    ASSERT(flock(fd, LOCK_EX | LOCK_NB) == 0); /* nobody holds it now */
    close(fd);
    teardown(&e);
}

/* A pack stream's rows are held until its end: one stream may name at most
 * DATA_INGEST_STREAM_OBJECTS_MAX objects (a 1 GiB upload of empty objects
 * would otherwise hold 26 million rows, gigabytes, in the server), and one
 * past that stores nothing. */
STORE_TEST(data_objects_stream_object_count_capped)
{
    struct env e;
    struct ferr err = FERR_INIT;
    struct data_ingest_result res;
    setup(&e, "cap");
    char empty[65];
    data_digest_from_raw((const unsigned char *)"\xe3\xb0\xc4\x42\x98\xfc\x1c\x14\x9a\xfb\xf4\xc8"
                                                "\x99\x6f\xb9\x24\x27\xae\x41\xe4\x64\x9b\x93\x4c"
                                                "\xa4\x95\x99\x1b\x78\x52\xb8\x55",
                         empty);
    struct sbuf pack = SBUF_INIT;
    struct data_pack_writer *w = data_pack_writer_new(to_sbuf, &pack);
    for (int i = 0; i <= DATA_INGEST_STREAM_OBJECTS_MAX; i++)
        ASSERT_OK(data_pack_writer_object(w, empty, 0, NULL, &err), &err);
    ASSERT_OK(data_pack_writer_finish(w, NULL, NULL, &err), &err);
    data_pack_writer_free(w);
    ASSERT_FAILS(feed(&e, &pack, &res, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "objects");
    struct data_location loc;
    ASSERT_FAILS(data_object_locate(e.s, empty, &loc, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_INT_EQ(packs(&e), 0);
    sbuf_release(&pack);
    teardown(&e);
}

/* gc removes the files no row names (an ingest killed between its files
 * and its rows leaves them), and nothing else: not the live objects, not a
 * file that is not a pack or an object. */
STORE_TEST(data_gc_removes_files_no_row_names)
{
    struct env e;
    struct ferr err = FERR_INIT;
    struct data_collect_report rep;
    setup(&e, "orphans");
    struct data_ingest *in;
    size_t *idx = malloc(e.scan.nobjects * sizeof(*idx));
    for (size_t i = 0; i < e.scan.nobjects; i++)
        idx[i] = i;
    ASSERT_OK(data_ingest_begin(e.s, e.r, &in, &err), &err);
    ASSERT_OK(data_ingest_scan(in, &e.scan, idx, e.scan.nobjects, &err), &err);
    ASSERT_OK(data_ingest_finish(in, NULL, &err), &err);
    free(idx);
    ASSERT(mkdir(tp("root/datasets/objects/ab"), 0755) == 0 || errno == EEXIST);
    put_file("root/datasets/packs/0123456789abcdef0123456789abcdef.pack", "FERRYPK1junk", 12);
    put_file("root/datasets/objects/ab/"
             "cdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
             "orphan", 6);
    put_file("root/datasets/packs/NOTES", "not ours", 8);
    /* the dry run says, the real one removes */
    ASSERT_OK(store_data_collect(e.s, e.r, 1, 1, &rep, &err), &err);
    ASSERT_INT_EQ(rep.orphan_files, 2);
    ASSERT_INT_EQ(rep.orphan_bytes, 18);
    ASSERT_INT_EQ(rep.objects, 0);
    data_collect_report_release(&rep);
    ASSERT(access(tp("root/datasets/packs/0123456789abcdef0123456789abcdef.pack"), F_OK) == 0);
    ASSERT_OK(store_data_collect(e.s, e.r, 1, 0, &rep, &err), &err);
    ASSERT_INT_EQ(rep.orphan_files, 2);
    ASSERT_INT_EQ(rep.failures, 0);
    data_collect_report_release(&rep);
    ASSERT(access(tp("root/datasets/packs/0123456789abcdef0123456789abcdef.pack"), F_OK) < 0);
    ASSERT(access(tp("root/datasets/objects/ab/"
                     "cdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"),
                  F_OK) < 0);
    ASSERT(access(tp("root/datasets/packs/NOTES"), F_OK) == 0);
    /* every stored object is still there and whole */
    int64_t checked, nbad;
    ASSERT_OK(data_verify(e.s, e.r, NULL, 0, NULL, NULL, &checked, &nbad, &err), &err);
    ASSERT_INT_EQ(checked, (int64_t)e.scan.nobjects);
    ASSERT_INT_EQ(nbad, 0);
    teardown(&e);
}
