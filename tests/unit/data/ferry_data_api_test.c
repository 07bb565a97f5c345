/* SPDX-License-Identifier: MIT
 * libferry's dataset functions (ferry_data_add, ferry_data_get,
 * ferry_data_log) on an embedded store: the data root beside the SQLite
 * file, the same content answering the same version, the input a run
 * shows, and the statuses of bad calls. */
#include "../test.h"
#include "ferry/ferry.h"
#include "base/sbuf.h"
#include "client/client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT(fd >= 0);
    ASSERT(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
}

TEST(api_data_add_get_log)
{
    unsetenv("FERRY_ARTIFACTS_DESTINATION");
    unsetenv("MLFLOW_ARTIFACTS_DESTINATION");
    unsetenv("FERRY_RUN_ID");
    unsetenv("MLFLOW_RUN_ID");
    struct sbuf uri = SBUF_INIT, src = SBUF_INIT, dst = SBUF_INIT, p = SBUF_INIT;
    sbuf_addf(&uri, "sqlite://%s/api.db", test_tmpdir());
    sbuf_addf(&src, "%s/src", test_tmpdir());
    sbuf_addf(&dst, "%s/dst", test_tmpdir());
    ASSERT(mkdir(src.buf, 0755) == 0);
    sbuf_addf(&p, "%s/train.csv", src.buf);
    put(p.buf, "x,y\n1,2\n3,4\n");
    ferry_client *c = NULL;
    ASSERT_INT_EQ(ferry_open(uri.buf, &c), FERRY_OK);
    int64_t v = 0;
    ASSERT_INT_EQ(ferry_data_add(c, "api-ds", src.buf, "first", &v), FERRY_OK);
    ASSERT_INT_EQ(v, 1);
    ASSERT_INT_EQ(ferry_data_add(c, "api-ds", src.buf, NULL, &v), FERRY_OK);
    ASSERT_INT_EQ(v, 1); /* the same content: the same version */
    /* objects beside the database file */
    struct stat st;
    sbuf_reset(&p);
    sbuf_addf(&p, "%s/mlartifacts/datasets/packs", test_tmpdir());
    ASSERT(stat(p.buf, &st) == 0 && S_ISDIR(st.st_mode));

    ASSERT_INT_EQ(ferry_data_get(c, "data:/api-ds/latest", dst.buf), FERRY_OK);
    sbuf_reset(&p);
    sbuf_addf(&p, "%s/train.csv", dst.buf);
    struct sbuf body = SBUF_INIT;
    ASSERT(sbuf_read_file(&body, p.buf, 1024) >= 0);
    ASSERT_STR_EQ(body.buf, "x,y\n1,2\n3,4\n");
    sbuf_release(&body);
    ASSERT_INT_EQ(ferry_data_get(c, "data:/api-ds/latest", dst.buf), FERRY_EEXIST);
    ASSERT_INT_EQ(ferry_data_get(c, "data:/api-ds/7", "/nonexistent/x"), FERRY_ENOTFOUND);
    ASSERT_INT_EQ(ferry_data_get(c, "nope", dst.buf), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_data_get(c, NULL, dst.buf), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_data_add(c, "bad name", src.buf, NULL, NULL), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_data_add(c, "x", "/nonexistent/path", NULL, NULL), FERRY_ENOTFOUND);

    char *run = NULL;
    ASSERT_INT_EQ(ferry_start_run(c, NULL, "uses-data", NULL, &run), FERRY_OK);
    ASSERT_INT_EQ(ferry_data_log(c, run, "data:/api-ds/1", "training"), FERRY_OK);
    ASSERT_INT_EQ(ferry_data_log(c, run, "data:/api-ds/2", NULL), FERRY_ENOTFOUND);
    ASSERT_INT_EQ(ferry_data_log(c, NULL, "data:/api-ds/1", NULL), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_end_run(c, run, FERRY_RUN_FINISHED), FERRY_OK);
    ferry_free(run);
    ASSERT_INT_EQ(ferry_close(c), FERRY_OK);
    sbuf_release(&uri);
    sbuf_release(&src);
    sbuf_release(&dst);
    sbuf_release(&p);
}
