/* SPDX-License-Identifier: MIT
 * base/fs_tree: removing a tree never follows a link out of it. */
#include "../test.h"
#include "base/fs_tree.h"
#include "base/sbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void touch(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT(fd >= 0);
    ASSERT(write(fd, "x", 1) == 1);
    ASSERT(close(fd) == 0);
}

TEST(fs_remove_tree_removes_below_and_spares_link_targets)
{
    struct sbuf p = SBUF_INIT, keep = SBUF_INIT, t = SBUF_INIT;
    struct stat st;
    sbuf_addf(&keep, "%s/keep", test_tmpdir());
    ASSERT(mkdir(keep.buf, 0755) == 0);
    sbuf_addf(&t, "%s/keep/precious", test_tmpdir());
    touch(t.buf);
    sbuf_addf(&p, "%s/tree", test_tmpdir());
    ASSERT(mkdir(p.buf, 0755) == 0);
    sbuf_reset(&t);
    sbuf_addf(&t, "%s/tree/a", test_tmpdir());
    ASSERT(mkdir(t.buf, 0755) == 0);
    sbuf_addstr(&t, "/b");
    ASSERT(mkdir(t.buf, 0755) == 0);
    sbuf_addstr(&t, "/file");
    touch(t.buf);
    sbuf_reset(&t);
    sbuf_addf(&t, "%s/tree/a/out", test_tmpdir());
    ASSERT(symlink(keep.buf, t.buf) == 0);

    ASSERT_INT_EQ(fs_remove_tree(p.buf), 0);
    ASSERT(lstat(p.buf, &st) < 0 && errno == ENOENT);
    sbuf_reset(&t);
    sbuf_addf(&t, "%s/keep/precious", test_tmpdir());
    ASSERT(stat(t.buf, &st) == 0); /* the link went, not what it named */
    /* gone already, or never there: fine; no path: refused */
    ASSERT_INT_EQ(fs_remove_tree(p.buf), 0);
    ASSERT_INT_EQ(fs_remove_tree(""), -1);
    ASSERT_INT_EQ(fs_remove_tree(NULL), -1);
    sbuf_release(&p);
    sbuf_release(&keep);
    sbuf_release(&t);
}
