/* SPDX-License-Identifier: MIT
 * domain/model_source: MLflow's rules for a model version's source, and
 * base/pyrepr's Python str repr used in MLflow's messages. */
#include "../test.h"
#include "base/pyrepr.h"
#include "domain/artifact_uri.h"
#include "domain/model_source.h"

#include <stdlib.h>
#include <unistd.h>

static void remote_ok(const char *s)
{
    struct ferr err = FERR_INIT;
    if (model_source_check_remote(s, &err))
        FAIL_AT("'%s' refused: %s", s, err.msg);
}

static void remote_bad(const char *s, const char *shown)
{
    struct ferr err = FERR_INIT;
    if (!model_source_check_remote(s, &err))
        FAIL_AT("'%s' accepted", s);
    ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, shown);
    ASSERT_CONTAINS(err.msg, "an absolute path must be provided without relative path");
}

TEST(model_source_remote_sources_hold_no_relative_reference)
{
    remote_ok("s3://bucket/path/model");
    remote_ok("mlflow-artifacts:/0/abc/artifacts/model");
    remote_ok("mlflow-artifacts://host:5000/0/abc/artifacts/model");
    remote_ok("http://host/api/2.0/mlflow-artifacts/artifacts/0/a/model");
    remote_ok("models:/name/1");
    remote_ok("models:/m-0123456789abcdef0123456789abcdef");
    remote_ok("runs:/0123456789abcdef0123456789abcdef/model");
    remote_ok("s3://bucket/path/model/"); /* a trailing '/' is dropped */
    remote_ok("s3://bucket//a///b");      /* so are doubled ones */
    remote_ok("s3://bucket/a%20b/c+d");
    remote_bad("s3://bucket/a/../b", "'s3://bucket/a/../b'");
    remote_bad("mlflow-artifacts:/0/%2E%2E/x", "'mlflow-artifacts:/0/../x'");
    remote_bad("s3://b/a/%252e%252e/x", "'s3://b/a/../x'"); /* decoded until it stops changing */
    remote_bad("s3://b/a/./x", "'s3://b/a/./x'");
    remote_bad("s3://bucket", "'s3://bucket'"); /* no path: nothing absolute */
    remote_bad("s3://bucket/", "'s3://bucket/'");
    remote_bad("models:name", "'models:name'"); /* a relative path */
    remote_bad("http://h/x%00y", "'http://h/x?y'");
    remote_bad("http://h/a/..", "'http://h/a/..'");
}

TEST(model_source_local_is_no_scheme_or_file_on_this_host)
{
    struct ferr err = FERR_INIT;
    ASSERT_INT_EQ(model_source_is_local("/tmp/x", &err), 1);
    ASSERT_INT_EQ(model_source_is_local("relative/x", &err), 1);
    ASSERT_INT_EQ(model_source_is_local("file:///tmp/x", &err), 1);
    ASSERT_INT_EQ(model_source_is_local("file://localhost/tmp/x", &err), 1);
    ASSERT_INT_EQ(model_source_is_local("FILE:/tmp/x", &err), 1);
    ASSERT_INT_EQ(model_source_is_local("s3://b/x", &err), 0);
    ASSERT_INT_EQ(model_source_is_local("mlflow-artifacts:/0/x", &err), 0);
    ASSERT_INT_EQ(model_source_is_local("1abc:/x", &err), 1); /* no scheme: starts with a digit */
    ASSERT_INT_EQ(model_source_is_local("file://other.host/x", &err), -1);
    ASSERT_INT_EQ(err.code, FERR_INTERNAL_ERROR);
    ASSERT_CONTAINS(err.msg, "file://other.host/x is not a valid remote uri. For remote access on "
                             "windows, please consider using a different scheme such as SMB");
}

TEST(model_source_local_paths_normalise_and_nest)
{
    char *p = model_source_local_path("file:///a/b/../c/./d%20e");
    ASSERT_STR_EQ(p, "/a/c/d e");
    free(p);
    p = model_source_local_path("/../../x");
    ASSERT_STR_EQ(p, "/x");
    free(p);
    char cwd[4096];
    ASSERT(getcwd(cwd, sizeof(cwd)));
    p = model_source_local_path("rel/x");
    ASSERT(!strncmp(p, cwd, strlen(cwd)) && !strcmp(p + strlen(cwd), "/rel/x"));
    free(p);
    ASSERT(model_source_path_within("/a/b", "/a/b"));
    ASSERT(model_source_path_within("/a/b", "/a/b/c"));
    ASSERT(!model_source_path_within("/a/b", "/a/bc"));
    ASSERT(!model_source_path_within("/a/b", "/a"));
    ASSERT(model_source_path_within("/", "/anything"));
    struct ferr err = FERR_INIT;
    ASSERT_INT_EQ(model_source_local_refused("/x", "model", &err), -1);
    ASSERT_CONTAINS(err.msg, "Invalid model version source: '/x'. To use a local path as a model "
                             "version source, the model_id request parameter has to be specified");
}

TEST(py_repr_str_quotes_as_python)
{
    struct sbuf sb = SBUF_INIT;
    py_repr_str(&sb, "abc");
    ASSERT_STR_EQ(sb.buf, "'abc'");
    sbuf_reset(&sb);
    py_repr_str(&sb, "it's");
    ASSERT_STR_EQ(sb.buf, "\"it's\"");
    sbuf_reset(&sb);
    py_repr_str(&sb, "both ' and \"");
    ASSERT_STR_EQ(sb.buf, "'both \\' and \"'");
    sbuf_reset(&sb);
    py_repr_str(&sb, "a\\b\n\t\x01\xc3\xa9");
    ASSERT_STR_EQ(sb.buf, "'a\\\\b\\n\\t\\x01\xc3\xa9'");
    sbuf_release(&sb);
}

TEST(artifact_uris_proxied_as_mlflow_takes_them)
{
    size_t n;
    ASSERT_STR_EQ(artifact_uri_proxied_path("mlflow-artifacts:/1/r/artifacts"), "1/r/artifacts");
    ASSERT_STR_EQ(artifact_uri_proxied_path("mlflow-artifacts://h:5000/1/r"), "1/r");
    ASSERT_STR_EQ(artifact_uri_proxied_path("mlflow-artifacts:1/r"), "1/r");
    ASSERT_STR_EQ(
        artifact_uri_proxied_path("http://h:5000/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts"),
        "1/r/artifacts");
    ASSERT_STR_EQ(artifact_uri_proxied_path("https://h/pre/api/2.0/mlflow-artifacts/artifacts"),
                  "");
    ASSERT(artifact_uri_http_base("https://h/pre/api/2.0/mlflow-artifacts/artifacts/x", &n));
    ASSERT_INT_EQ(n, strlen("https://h/pre"));
    ASSERT(!artifact_uri_proxied_path("http://h/api/2.0/mlflow-artifacts/artifactsX/1"));
    ASSERT(!artifact_uri_proxied_path("http://h/api/2.0/mlflow-artifacts/artifacts/1?x=2"));
    ASSERT(!artifact_uri_proxied_path("http://h/other/1"));
    ASSERT(!artifact_uri_proxied_path("s3://b/api/2.0/mlflow-artifacts/artifacts/1"));
    ASSERT(!artifact_uri_proxied_path("/local/dir"));
    ASSERT(!artifact_uri_proxied_path(NULL));
    ASSERT(!artifact_uri_http_base("mlflow-artifacts:/1", &n));
}
