/* SPDX-License-Identifier: MIT
 * data/data_fetch.c on an embedded port: a version fetched into the cache
 * by digest (a one-file version answers the file, a directory version its
 * directory, /PATH inside it), reused without a download, a cache tree cut
 * short fetched again, an alias resolved and pinned to the number,
 * resolve_only fetching nothing, and bad URIs and paths; then
 * store/data_collect.c: a deleted version's objects kept while young and
 * collected (loose file and pack) past the cutoff, the live version still
 * fetched whole. On both backends (the port's store under test). */
#include "../test.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "data/data_add.h"
#include "data/data_fetch.h"
#include "data/data_port.h"
#include "store/data_collect.h"
#include "store/datasets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *dir, const char *name, const char *text, size_t n)
{
    struct sbuf p = SBUF_INIT;
    sbuf_addf(&p, "%s/%s", dir, name);
    for (char *slash = p.buf + 1; (slash = strchr(slash, '/')); slash++) {
        *slash = '\0';
        ASSERT(mkdir(p.buf, 0755) == 0 || errno == EEXIST);
        *slash = '/';
    }
    FILE *f = fopen(p.buf, "wb");
    ASSERT(f);
    ASSERT(fwrite(text, 1, n, f) == n);
    ASSERT(fclose(f) == 0);
    sbuf_release(&p);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* An embedded port on the store under test, its data root in the test's
 * scratch directory. */
static struct data_port *port_open(char **uri)
{
    struct data_port *p = NULL;
    struct ferr err = FERR_INIT;
    struct sbuf root = SBUF_INIT;
    *uri = test_store_uri("fetch");
    sbuf_addf(&root, "%s/root", test_tmpdir());
    ASSERT(setenv("FERRY_ARTIFACTS_DESTINATION", root.buf, 1) == 0);
    ASSERT_OK(data_port_open(*uri, &p, &err), &err);
    sbuf_release(&root);
    return p;
}

static void add(struct data_port *p, const char *name, const char *path, char digest[65])
{
    struct data_add_result r = DATA_ADD_RESULT_INIT;
    struct ferr err = FERR_INIT;
    ASSERT_OK(data_add(p, name, path, NULL, &r, &err), &err);
    memcpy(digest, r.digest, 65);
    data_add_result_release(&r);
}

STORE_TEST(data_fetch_caches_by_digest)
{
    char *uri, d1[65], d2[65];
    struct data_port *p = port_open(&uri);
    struct ferr err = FERR_INIT;
    struct sbuf src = SBUF_INIT, cache = SBUF_INIT, want = SBUF_INIT;
    sbuf_addf(&src, "%s/src", test_tmpdir());
    sbuf_addf(&cache, "%s/cache", test_tmpdir());
    put(src.buf, "one/train.csv", "a,b\n1,2\n", 8);
    put(src.buf, "two/x/a.txt", "aaa", 3);
    put(src.buf, "two/b.txt", "bb", 2);
    sbuf_addf(&want, "%s/one/train.csv", src.buf);
    add(p, "one", want.buf, d1);
    sbuf_reset(&want);
    sbuf_addf(&want, "%s/two", src.buf);
    add(p, "two", want.buf, d2);
    struct data_fetch_opts o = {cache.buf, 0};
    struct data_fetched f = DATA_FETCHED_INIT;

    /* resolve only: the answer, nothing written */
    struct data_fetch_opts ro = {cache.buf, 1};
    ASSERT_OK(data_fetch(p, "data:/one/latest", &ro, &f, &err), &err);
    ASSERT(!f.cached && !exists(cache.buf));
    data_fetched_release(&f);

    /* a one-file version: the file */
    ASSERT_OK(data_fetch(p, "data:/one/1", &o, &f, &err), &err);
    sbuf_reset(&want);
    sbuf_addf(&want, "%s/%s/train.csv", cache.buf, d1);
    ASSERT_STR_EQ(f.path, want.buf);
    ASSERT_STR_EQ(f.pinned, "data:/one/1");
    ASSERT_STR_EQ(f.digest, d1);
    ASSERT_INT_EQ(f.version, 1);
    ASSERT(!f.cached && exists(f.path));
    data_fetched_release(&f);
    ASSERT_OK(data_fetch(p, "data:/one/1", &o, &f, &err), &err);
    ASSERT(f.cached);
    data_fetched_release(&f);

    /* a directory version: the directory; by alias, pinned to the number */
    ASSERT_OK(data_port_set_alias(p, "two", "prod", 1, &err), &err);
    ASSERT_OK(data_fetch(p, "data:/two@prod", &o, &f, &err), &err);
    sbuf_reset(&want);
    sbuf_addf(&want, "%s/%s", cache.buf, d2);
    ASSERT_STR_EQ(f.path, want.buf);
    ASSERT_STR_EQ(f.pinned, "data:/two/1");
    data_fetched_release(&f);
    ASSERT_OK(data_fetch(p, "data:/two/1/x", &o, &f, &err), &err);
    ASSERT_STR_EQ(f.pinned, "data:/two/1/x");
    ASSERT(f.cached);
    sbuf_addstr(&want, "/x");
    ASSERT_STR_EQ(f.path, want.buf);
    data_fetched_release(&f);

    /* a cache tree cut short is fetched again */
    sbuf_reset(&want);
    sbuf_addf(&want, "%s/%s/b.txt", cache.buf, d2);
    ASSERT(truncate(want.buf, 1) == 0);
    ASSERT_OK(data_fetch(p, "data:/two/1/b.txt", &o, &f, &err), &err);
    ASSERT(!f.cached);
    struct stat st;
    ASSERT(stat(want.buf, &st) == 0 && st.st_size == 2);
    data_fetched_release(&f);

    /* bad input */
    ASSERT_FAILS(data_fetch(p, "data:/two/1/nope", &o, &f, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "nope");
    ASSERT_FAILS(data_fetch(p, "data:/two/7", &o, &f, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(data_fetch(p, "data:/two@nope", &o, &f, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(data_fetch(p, "data:/../1", &o, &f, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(data_fetch(p, "/a/path", &o, &f, &err), &err, FERR_INVALID_PARAMETER_VALUE);

    data_port_close(p);
    free(uri);
    sbuf_release(&src);
    sbuf_release(&cache);
    sbuf_release(&want);
}

/* Every file below dir/datasets: count. */
static int count_files(const char *dir)
{
    struct sbuf cmd = SBUF_INIT;
    char line[64];
    int n = -1;
    sbuf_addf(&cmd, "find '%s/datasets' -type f | wc -l", dir);
    FILE *f = popen(cmd.buf, "r");
    ASSERT(f);
    if (fgets(line, sizeof(line), f))
        n = (int)strtol(line, NULL, 10);
    pclose(f);
    sbuf_release(&cmd);
    return n;
}

STORE_TEST(data_collect_after_the_cutoff_only)
{
    char *uri, d[65];
    struct data_port *p = port_open(&uri);
    struct ferr err = FERR_INIT;
    struct sbuf src = SBUF_INIT, root = SBUF_INIT, big = SBUF_INIT;
    struct store *s = NULL;
    struct store_opts so = STORE_OPTS_INIT;
    struct artifact_repo *repo = NULL;
    struct data_collect_report r;
    sbuf_addf(&src, "%s/src", test_tmpdir());
    sbuf_addf(&root, "%s/root", test_tmpdir());
    char *blob = calloc(1, 2 << 20); /* 2 MiB: a loose object */
    ASSERT(blob);
    blob[7] = 1;
    put(src.buf, "v1/shared.txt", "shared", 6);
    put(src.buf, "v1/only1.txt", "only one", 8);
    put(src.buf, "v1/big.bin", blob, 2 << 20);
    put(src.buf, "v2/shared.txt", "shared", 6);
    put(src.buf, "v2/only2.txt", "only two", 8);
    free(blob);
    sbuf_addf(&big, "%s/v1", src.buf);
    add(p, "g", big.buf, d);
    sbuf_reset(&big);
    sbuf_addf(&big, "%s/v2", src.buf);
    add(p, "g", big.buf, d);
    ASSERT_OK(data_port_delete(p, "g", 1, &err), &err);
    int before = count_files(root.buf);
    ASSERT_INT_EQ(before, 4); /* a loose object, two packs and datasets/.lock */

    ASSERT_OK(store_open(uri, &so, &s, &err), &err);
    ASSERT_OK(artifact_repo_open(root.buf, &repo, &err), &err);
    /* the cutoff an hour ago: everything was touched since, nothing goes */
    ASSERT_OK(store_data_collect(s, repo, ftime_now_ms() - DATA_GC_MIN_AGE_MS, 0, &r, &err), &err);
    ASSERT_INT_EQ(r.objects, 0);
    data_collect_report_release(&r);
    ASSERT_INT_EQ(count_files(root.buf), before);
    /* no data root: nothing collected, said why */
    ASSERT_OK(store_data_collect(s, NULL, ftime_now_ms() + 1000, 0, &r, &err), &err);
    ASSERT(r.skipped && r.objects == 0);
    data_collect_report_release(&r);
    /* past the cutoff: a dry run says, the real one removes */
    ASSERT_OK(store_data_collect(s, repo, ftime_now_ms() + 1000, 1, &r, &err), &err);
    ASSERT_INT_EQ(r.objects, 2);
    ASSERT_INT_EQ(r.loose_files, 1);
    ASSERT_INT_EQ(r.npacks, 1);
    ASSERT(!r.packs[0].removed && r.packs[0].dead_objects == 1 && r.packs[0].live_objects == 1);
    ASSERT_INT_EQ(r.packs[0].dead_bytes, 8);
    data_collect_report_release(&r);
    ASSERT_INT_EQ(count_files(root.buf), before);
    ASSERT_OK(store_data_collect(s, repo, ftime_now_ms() + 1000, 0, &r, &err), &err);
    ASSERT_INT_EQ(r.objects, 2);
    ASSERT_INT_EQ(r.bytes, (2 << 20) + 8);
    ASSERT_INT_EQ(r.failures, 0);
    ASSERT_INT_EQ(r.packs[0].live_bytes, 6);
    data_collect_report_release(&r);
    ASSERT_INT_EQ(count_files(root.buf), before - 1);
    /* the live version is whole */
    struct data_fetched f = DATA_FETCHED_INIT;
    struct sbuf cache = SBUF_INIT;
    sbuf_addf(&cache, "%s/cache", test_tmpdir());
    struct data_fetch_opts o = {cache.buf, 0};
    ASSERT_OK(data_fetch(p, "data:/g/2", &o, &f, &err), &err);
    data_fetched_release(&f);
    /* the whole dataset deleted: its pack goes */
    ASSERT_OK(data_port_delete(p, "g", 0, &err), &err);
    ASSERT_OK(store_data_collect(s, repo, ftime_now_ms() + 1000, 0, &r, &err), &err);
    ASSERT_INT_EQ(r.objects, 2);
    ASSERT_INT_EQ(r.packs_removed, 2);
    ASSERT(r.npacks == 2 && r.packs[0].removed && r.packs[1].removed);
    ASSERT(r.packs[0].live_objects == 0 && r.packs[1].live_objects == 0);
    data_collect_report_release(&r);
    ASSERT_INT_EQ(count_files(root.buf), 1); /* datasets/.lock stays */

    artifact_repo_close(repo);
    store_close(s);
    data_port_close(p);
    free(uri);
    sbuf_release(&src);
    sbuf_release(&root);
    sbuf_release(&big);
    sbuf_release(&cache);
}
