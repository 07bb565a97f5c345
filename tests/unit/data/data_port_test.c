/* SPDX-License-Identifier: MIT
 * data/data_port.c (embedded), data_add.c, data_get.c, data_verify.c on
 * both store backends: a tree added and got back byte for byte (modes,
 * empty dirs, links, a chunked file), a second add that sends nothing, the
 * missing marks with repeated digests, a file changed between scan and
 * upload, a path inside a version, and verify finding a flipped byte. */
#include "../test.h"
#include "base/fs_tree.h"
#include "base/sbuf.h"
#include "data/data_add.h"
#include "data/data_get.h"
#include "data/data_port.h"
#include "data/data_verify.h"
#include "domain/data_manifest.h"
#include "domain/data_version.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *dir, const char *rel, const void *data, size_t n, mode_t mode)
{
    struct sbuf p = SBUF_INIT;
    sbuf_addf(&p, "%s/%s", dir, rel);
    for (char *s = p.buf + strlen(dir) + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        mkdir(p.buf, 0755);
        *s = '/';
    }
    int fd = open(p.buf, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ASSERT(fd >= 0);
    ASSERT(write(fd, data, n) == (ssize_t)n);
    close(fd);
    chmod(p.buf, mode);
    sbuf_release(&p);
}

static char *slurp(const char *dir, const char *rel, size_t *n)
{
    struct sbuf p = SBUF_INIT, body = SBUF_INIT;
    sbuf_addf(&p, "%s/%s", dir, rel);
    if (sbuf_read_file(&body, p.buf, (size_t)64 << 20) < 0) {
        sbuf_release(&p);
        sbuf_release(&body);
        return NULL;
    }
    sbuf_release(&p);
    return sbuf_detach(&body, n);
}

/* An embedded port on a fresh store of the backend under test, its data
 * root in the test's scratch directory. */
static struct data_port *open_port(char **root)
{
    struct sbuf r = SBUF_INIT;
    sbuf_addf(&r, "%s/root", test_tmpdir());
    setenv("FERRY_ARTIFACTS_DESTINATION", r.buf, 1);
    *root = sbuf_detach(&r, NULL);
    char *uri = test_store_uri("port");
    struct data_port *p = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(data_port_open(uri, &p, &err), &err);
    ASSERT(!data_port_is_remote(p));
    free(uri);
    return p;
}

static char *make_tree(void)
{
    struct sbuf d = SBUF_INIT;
    sbuf_addf(&d, "%s/src", test_tmpdir());
    mkdir(d.buf, 0755);
    size_t big_n = (size_t)(DATA_CHUNK_SIZE + 1234);
    unsigned char *big = malloc(big_n);
    for (size_t i = 0; i < big_n; i++)
        big[i] = (unsigned char)(i * 2654435761u >> 13);
    put(d.buf, "big.bin", big, big_n, 0644);
    free(big);
    put(d.buf, "a/b/small.txt", "small\n", 6, 0644);
    put(d.buf, "run.sh", "#!/bin/sh\n", 10, 0755);
    put(d.buf, "empty", "", 0, 0644);
    put(d.buf, "same-as-small.txt", "small\n", 6, 0644);
    struct sbuf x = SBUF_INIT;
    sbuf_addf(&x, "%s/emptydir", d.buf);
    mkdir(x.buf, 0755);
    sbuf_reset(&x);
    sbuf_addf(&x, "%s/a/link", d.buf);
    ASSERT(symlink("b/small.txt", x.buf) == 0);
    sbuf_release(&x);
    return sbuf_detach(&d, NULL);
}

STORE_TEST(data_port_add_get_round_trip_and_dedup)
{
    char *root = NULL;
    struct data_port *p = open_port(&root);
    char *src = make_tree();
    struct data_add_result r;
    struct ferr err = FERR_INIT;
    struct data_add_opts o = {"first", NULL, 0, NULL, NULL};
    ASSERT_OK(data_add(p, "ds", src, &o, &r, &err), &err);
    ASSERT_INT_EQ(r.version, 1);
    ASSERT_INT_EQ(r.created, 1);
    ASSERT_INT_EQ(r.files, 5);
    ASSERT_INT_EQ(r.dirs, 1);
    ASSERT_INT_EQ(r.links, 1);
    /* big.bin is two chunks; small and its twin one object; run.sh; empty */
    ASSERT_INT_EQ(r.objects, 5);
    ASSERT_INT_EQ(r.objects_sent, 5);
    ASSERT(r.bytes_sent > r.bytes - 6);
    data_add_result_release(&r);

    /* again: nothing sent, the same version answered */
    ASSERT_OK(data_add(p, "ds", src, NULL, &r, &err), &err);
    ASSERT_INT_EQ(r.created, 0);
    ASSERT_INT_EQ(r.version, 1);
    ASSERT_INT_EQ(r.bytes_sent, 0);
    ASSERT_INT_EQ(r.objects_deduplicated, 5);
    data_add_result_release(&r);

    struct sbuf dst = SBUF_INIT;
    sbuf_addf(&dst, "%s/out", test_tmpdir());
    struct data_get_result g;
    ASSERT_OK(data_get(p, "data:/ds/latest", dst.buf, NULL, &g, &err), &err);
    ASSERT_INT_EQ(g.version, 1);
    ASSERT_INT_EQ(g.files, 5);
    data_get_result_release(&g);
    const char *files[] = {"big.bin", "a/b/small.txt", "run.sh", "empty", "same-as-small.txt"};
    for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
        size_t n1 = 0, n2 = 0;
        char *a = slurp(src, files[i], &n1), *b = slurp(dst.buf, files[i], &n2);
        ASSERT(a && b);
        ASSERT_INT_EQ(n1, n2);
        ASSERT(!memcmp(a, b, n1));
        free(a);
        free(b);
    }
    struct stat st;
    struct sbuf x = SBUF_INIT;
    sbuf_addf(&x, "%s/run.sh", dst.buf);
    ASSERT(stat(x.buf, &st) == 0 && (st.st_mode & 0777) == 0755);
    sbuf_reset(&x);
    sbuf_addf(&x, "%s/emptydir", dst.buf);
    ASSERT(stat(x.buf, &st) == 0 && S_ISDIR(st.st_mode));
    sbuf_reset(&x);
    sbuf_addf(&x, "%s/a/link", dst.buf);
    char target[64] = "";
    ASSERT(readlink(x.buf, target, sizeof(target) - 1) > 0);
    ASSERT_STR_EQ(target, "b/small.txt");

    /* a path inside: a file lands by its basename, a directory's contents */
    sbuf_reset(&dst);
    sbuf_addf(&dst, "%s/one", test_tmpdir());
    ASSERT_OK(data_get(p, "data:/ds/1/a/b/small.txt", dst.buf, NULL, NULL, &err), &err);
    size_t n = 0;
    char *s = slurp(dst.buf, "small.txt", &n);
    ASSERT(s && n == 6);
    free(s);
    sbuf_reset(&dst);
    sbuf_addf(&dst, "%s/sub", test_tmpdir());
    ASSERT_OK(data_get(p, "data:/ds/1/a", dst.buf, NULL, NULL, &err), &err);
    s = slurp(dst.buf, "b/small.txt", &n);
    ASSERT(s && n == 6);
    free(s);
    sbuf_reset(&dst);
    sbuf_addf(&dst, "%s/none", test_tmpdir());
    ASSERT_FAILS(data_get(p, "data:/ds/1/nope", dst.buf, NULL, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT(stat(dst.buf, &st) != 0);
    ASSERT_FAILS(data_get(p, "data:/ds/2", dst.buf, NULL, NULL, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(data_add(p, "bad/name", src, NULL, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);

    /* verify: all good, then a flipped byte in the one pack */
    struct data_verify_report vr = DATA_VERIFY_REPORT_INIT;
    ASSERT_OK(data_verify_datasets(p, "ds", &vr, &err), &err);
    ASSERT_INT_EQ(vr.n, 0);
    ASSERT_INT_EQ(vr.objects, 5);
    data_verify_report_release(&vr);
    sbuf_reset(&x);
    sbuf_addf(&x, "%s/datasets/packs", root);
    DIR *d = opendir(x.buf);
    ASSERT(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".pack"))
            break;
    ASSERT(e);
    sbuf_addf(&x, "/%s", e->d_name);
    closedir(d);
    int fd = open(x.buf, O_RDWR);
    ASSERT(fd >= 0);
    /* the first data byte of the first object that has one */
    off_t at = 8;
    unsigned char hdr[41], b;
    for (;;) {
        ASSERT(pread(fd, hdr, sizeof(hdr), at) == (ssize_t)sizeof(hdr) && hdr[0] == 'O');
        uint64_t size = 0;
        for (int i = 0; i < 8; i++)
            size = size << 8 | hdr[33 + i];
        at += 41;
        if (size)
            break;
    }
    ASSERT(pread(fd, &b, 1, at) == 1);
    b ^= 1;
    ASSERT(pwrite(fd, &b, 1, at) == 1);
    close(fd);
    ASSERT_OK(data_verify_datasets(p, NULL, &vr, &err), &err);
    ASSERT_INT_EQ(vr.n, 1);
    ASSERT_INT_EQ(vr.v[0].missing, 0);
    data_verify_report_release(&vr);
    sbuf_reset(&dst);
    sbuf_addf(&dst, "%s/bad", test_tmpdir());
    ASSERT(data_get(p, "data:/ds/1", dst.buf, NULL, NULL, &err) != 0);
    ASSERT(stat(dst.buf, &st) != 0);

    sbuf_release(&x);
    sbuf_release(&dst);
    free(src);
    free(root);
    data_port_close(p);
}

STORE_TEST(data_port_missing_marks_repeated_digests)
{
    char *root = NULL;
    struct data_port *p = open_port(&root);
    struct ferr err = FERR_INIT;
    struct sbuf f = SBUF_INIT;
    sbuf_addf(&f, "%s/obj", test_tmpdir());
    put(test_tmpdir(), "obj", "", 0, 0644);
    /* SHA-256 of no bytes */
    static const char empty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    static const char other[] = "0000000000000000000000000000000000000000000000000000000000000001";
    const char *ds[] = {other, empty, other, empty};
    unsigned char miss[4];
    ASSERT_OK(data_port_missing(p, ds, 4, miss, &err), &err);
    ASSERT(miss[0] && miss[1] && miss[2] && miss[3]);
    struct data_port_object o = {f.buf, 0, 0, ""};
    memcpy(o.digest, empty, 65);
    int64_t sent = 0;
    ASSERT_OK(data_port_put_objects(p, &o, 1, &sent, &err), &err);
    ASSERT_OK(data_port_missing(p, ds, 4, miss, &err), &err);
    ASSERT(miss[0] && !miss[1] && miss[2] && !miss[3]);
    /* a file that no longer hashes to its digest stores nothing */
    memcpy(o.digest, other, 65);
    ASSERT_FAILS(data_port_put_objects(p, &o, 1, &sent, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(data_port_missing(p, ds, 1, miss, &err), &err);
    ASSERT(miss[0]);
    sbuf_release(&f);
    free(root);
    data_port_close(p);
}

/* The version's digest names its manifest: a get whose manifest text does
 * not hash to it (changed in the store or on its way) writes nothing, and
 * never reports the digest over content it does not name. */
STORE_TEST(data_get_refuses_a_manifest_that_is_not_its_digest)
{
    char *root = NULL;
    struct data_port *p = open_port(&root);
    char *src = make_tree();
    struct data_add_result r;
    struct ferr err = FERR_INIT;
    ASSERT_OK(data_add(p, "ds", src, NULL, &r, &err), &err);
    data_add_result_release(&r);
    struct data_ref ref = DATA_REF_INIT;
    struct data_version v;
    ASSERT_OK(data_uri_parse("data:/ds/1", &ref, &err), &err);
    ASSERT_OK(data_port_get_version(p, &ref, 1, &v, &err), &err);
    /* still a valid, canonical manifest naming stored objects: one mode differs */
    char *mode = strstr(v.manifest, "\"mode\":\"0644\"");
    ASSERT(mode);
    memcpy(mode, "\"mode\":\"0755\"", 13);
    struct sbuf dst = SBUF_INIT;
    struct stat st;
    sbuf_addf(&dst, "%s/out", test_tmpdir());
    ASSERT_FAILS(data_get_version(p, &v, NULL, dst.buf, NULL, &err), &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, v.digest);
    ASSERT(stat(dst.buf, &st) != 0);
    sbuf_release(&dst);
    data_version_release(&v);
    data_ref_release(&ref);
    free(src);
    free(root);
    data_port_close(p);
}
