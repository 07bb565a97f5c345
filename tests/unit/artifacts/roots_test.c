/* SPDX-License-Identifier: MIT
 * The server's artifact roots: which locations lie below them (as text,
 * after "." and ".." are collapsed), the path found inside the root,
 * other schemes left alone, and reserved names and encoded traversals
 * below a root refused. */
#include "../test.h"
#include "artifacts/roots.h"
#include "base/sbuf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct artifact_roots *open_roots(struct sbuf *a, struct sbuf *b)
{
    struct artifact_roots *r = NULL;
    struct ferr err = FERR_INIT;
    sbuf_addf(a, "%s/root-a", test_tmpdir());
    sbuf_addf(b, "%s/root-a/nested", test_tmpdir());
    struct sbuf b_uri = SBUF_INIT;
    sbuf_addf(&b_uri, "file://%s", b->buf);
    const char *dirs[] = {a->buf, b_uri.buf, "mlflow-artifacts:/", "s3://bucket"};
    ASSERT_OK(artifact_roots_open(dirs, 4, &r, &err), &err);
    sbuf_release(&b_uri);
    return r;
}

/* For the location pre + dir + post: 1 with the path inside its root in
 * rel, 0 for another scheme, -1. */
static int find(struct artifact_roots *r, const char *pre, const char *dir, const char *post,
                struct sbuf *rel)
{
    struct sbuf uri = SBUF_INIT;
    struct artifact_repo *repo = NULL;
    struct ferr err = FERR_INIT;
    sbuf_addf(&uri, "%s%s%s", pre, dir, post);
    int rc = artifact_roots_find(r, uri.buf, &repo, rel, &err);
    ASSERT(rc != 1 || repo);
    if (rc < 0) {
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
        ASSERT(!*dir || !strstr(err.msg, dir)); /* never names the path */
    }
    ASSERT_INT_EQ(artifact_roots_allow(r, uri.buf), rc >= 0);
    sbuf_release(&uri);
    return rc;
}

TEST(artifact_roots_below_and_outside)
{
    struct sbuf a = SBUF_INIT, b = SBUF_INIT, rel = SBUF_INIT;
    struct artifact_roots *r = open_roots(&a, &b);
    struct stat st;
    ASSERT(stat(a.buf, &st) == 0 && S_ISDIR(st.st_mode)); /* made at open */
    ASSERT_INT_EQ(find(r, "", a.buf, "", &rel), 1);
    ASSERT_STR_EQ(rel.buf, "");
    ASSERT_INT_EQ(find(r, "", a.buf, "/1/abc/artifacts", &rel), 1);
    ASSERT_STR_EQ(rel.buf, "1/abc/artifacts");
    ASSERT_INT_EQ(find(r, "file://", a.buf, "//x/./y/../z/", &rel), 1);
    ASSERT_STR_EQ(rel.buf, "x/z");
    ASSERT_INT_EQ(find(r, "", a.buf, "/nested/q", &rel), 1); /* the deepest root */
    ASSERT_STR_EQ(rel.buf, "q");
    /* outside */
    ASSERT_INT_EQ(find(r, "", a.buf, "/..", &rel), -1);
    ASSERT_INT_EQ(find(r, "", a.buf, "/../root-a-sibling", &rel), -1);
    ASSERT_INT_EQ(find(r, "", a.buf, "-sibling/x", &rel), -1);
    ASSERT_INT_EQ(find(r, "", a.buf, "/x/../../etc", &rel), -1);
    ASSERT_INT_EQ(find(r, "file://host", a.buf, "/x", &rel), -1);
    ASSERT_INT_EQ(find(r, "/etc", "", "", &rel), -1);
    ASSERT_INT_EQ(find(r, "relative/dir", "", "", &rel), -1);
    /* below, but no valid artifact path */
    ASSERT_INT_EQ(find(r, "", a.buf, "/x/%2e%2e/y", &rel), -1);
    ASSERT_INT_EQ(find(r, "", a.buf, "/.ferry-part-0/y", &rel), -1);
    ASSERT_INT_EQ(find(r, "file://", a.buf, "/%2e%2e/etc", &rel), -1);
    /* other schemes are not the roots' business */
    ASSERT_INT_EQ(find(r, "s3://bucket/x", "", "", &rel), 0);
    ASSERT_INT_EQ(find(r, "mlflow-artifacts:/1/x", "", "", &rel), 0);
    ASSERT_INT_EQ(find(r, "http://h/api/2.0/mlflow-artifacts/artifacts/x", "", "", &rel), 0);
    ASSERT(!artifact_roots_allow(r, ""));
    artifact_roots_free(r);
    sbuf_release(&a);
    sbuf_release(&b);
    sbuf_release(&rel);
}

TEST(artifact_roots_relative_and_none)
{
    struct artifact_roots *r = NULL;
    struct ferr err = FERR_INIT;
    struct sbuf rel = SBUF_INIT;
    char cwd[4096];
    ASSERT(getcwd(cwd, sizeof(cwd)));
    ASSERT(chdir(test_tmpdir()) == 0);
    const char *dirs[] = {"./rel-root/", "", "rel-root"};
    ASSERT_OK(artifact_roots_open(dirs + 2, 1, &r, &err), &err);
    ASSERT_INT_EQ(find(r, "rel-root/x", "", "", &rel), 1);
    ASSERT_STR_EQ(rel.buf, "x");
    ASSERT_INT_EQ(find(r, "", test_tmpdir(), "/rel-root/y", &rel), 1);
    ASSERT_STR_EQ(rel.buf, "y");
    ASSERT_INT_EQ(find(r, "rel-root/../x", "", "", &rel), -1);
    artifact_roots_free(r);
    /* an empty entry is an error of artifact_repo_local_dir; no roots at all
     * allow only other schemes */
    ASSERT_FAILS(artifact_roots_open(dirs + 1, 1, &r, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(artifact_roots_open(dirs, 0, &r, &err), &err);
    ASSERT_INT_EQ(find(r, "", test_tmpdir(), "", &rel), -1);
    ASSERT_INT_EQ(find(r, "s3://b", "", "", &rel), 0);
    artifact_roots_free(r);
    artifact_roots_free(NULL);
    ASSERT(chdir(cwd) == 0);
    sbuf_release(&rel);
}
