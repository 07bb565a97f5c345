/* SPDX-License-Identifier: MIT
 * artifact_path_check against the catalogue of traversal payloads
 * (payloads.c names their families), odd names that must still pass, the
 * limits, and the safety of the messages themselves. */
#include "../test.h"
#include "artifacts/mime.h"
#include "artifacts/path.h"
#include "base/utf8.h"
#include "payloads.h"

#include <string.h>

static const char *const good[] = {
    "a",
    "model/MLmodel",
    "dir with spaces/file name.txt",
    "unicode/\xc3\xbc/\xe5\x90\x8d\xe5\x89\x8d.bin",
    "a.b/c..d/.e",
    ".hidden",
    "..a",
    "a..",
    "100%.txt",
    "100%25.txt",
    "x%zz",
    "plot_12:30.png",
    "deep/1/2/3/4/5/6/7/8/9/file",
};

TEST(artifact_path_catalogue_is_refused)
{
    struct ferr err = FERR_INIT;
    for (size_t i = 0; i < artifact_bad_paths_n; i++) {
        const struct payload *p = &artifact_bad_paths[i];
        ferr_clear(&err);
        if (artifact_path_check(p->s, p->n, &err) == 0)
            FAIL_AT("accepted payload %zu (%s): '%s'", i, p->family, p->s);
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
        ASSERT_CONTAINS(err.msg, "invalid artifact path");
    }
    ASSERT(artifact_bad_paths_n >= 40);
}

TEST(artifact_path_inert_catalogue_passes)
{
    struct ferr err = FERR_INIT;
    for (size_t i = 0; i < artifact_inert_paths_n; i++) {
        const struct payload *p = &artifact_inert_paths[i];
        if (artifact_path_check(p->s, p->n, &err))
            FAIL_AT("refused inert name %zu (%s): %s", i, p->family, err.msg);
    }
}

TEST(artifact_path_missing_is_refused)
{
    struct ferr err = FERR_INIT;
    ASSERT_FAILS(artifact_path_check(NULL, 0, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "missing");
}

/* Every refusal message must be safe to log and to put in JSON. */
TEST(artifact_path_messages_are_clean)
{
    struct ferr err = FERR_INIT;
    for (size_t i = 0; i < artifact_bad_paths_n; i++) {
        const struct payload *p = &artifact_bad_paths[i];
        if (artifact_path_check(p->s, p->n, &err) == 0)
            FAIL_AT("accepted payload %zu", i);
        if (!utf8_valid(err.msg))
            FAIL_AT("payload %zu: message is not UTF-8", i);
        for (const unsigned char *c = (const unsigned char *)err.msg; *c; c++)
            if (*c < 0x20 || *c == 0x7f)
                FAIL_AT("payload %zu: control byte 0x%02x in the message", i, *c);
    }
    ASSERT_FAILS(artifact_path_check("esc\x1b[2J", 7, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "'esc?[2J'");
    ASSERT_CONTAINS(err.msg, "control character");
}

TEST(artifact_path_reasons_name_the_problem)
{
    static const struct {
        const char *path, *why;
    } cases[] = {
        {"../x", "'..' segment"},
        {"/etc/passwd", "absolute"},
        {"C:x", "drive letter"},
        {"file:///etc", "file: URI"},
        {"a\\b", "backslash"},
        {"x#y", "'#'"},
        {"a//b", "empty segment"},
        {"...", "dots and spaces"},
        {"..;/x", "before a ';'"},
        {"%252e%252e/x", "'..' segment"},
        {"\xef\xbc\x8e\xef\xbc\x8e/x", "look-alikes"},
        {"\xff", "not valid UTF-8"},
    };
    struct ferr err = FERR_INIT;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ASSERT_FAILS(artifact_path_check(cases[i].path, strlen(cases[i].path), &err), &err,
                     FERR_INVALID_PARAMETER_VALUE);
        ASSERT_CONTAINS(err.msg, cases[i].why);
    }
}

TEST(artifact_path_nul_inside_the_length_is_refused)
{
    struct ferr err = FERR_INIT;
    static const char with_nul[] = "a\0/../../etc";
    ASSERT_FAILS(artifact_path_check(with_nul, sizeof(with_nul) - 1, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "NUL");
}

TEST(artifact_path_limits)
{
    struct ferr err = FERR_INIT;
    char seg[300], path[5000];
    memset(seg, 'a', 255);
    seg[255] = '\0';
    ASSERT_OK(artifact_path_check(seg, 255, &err), &err);
    seg[255] = 'a';
    seg[256] = '\0';
    ASSERT_FAILS(artifact_path_check(seg, 256, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    size_t n = 0;
    while (n < 4100) {
        memcpy(path + n, "abcdefghij/", 11);
        n += 11;
    }
    memcpy(path + n, "x", 2);
    n += 1;
    ASSERT_FAILS(artifact_path_check(path, n, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    /* the quote is cut, the reason is not */
    ASSERT_CONTAINS(err.msg, "...: the path is longer than 4096 bytes");
}

TEST(artifact_path_good_names_pass)
{
    struct ferr err = FERR_INIT;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (artifact_path_check(good[i], strlen(good[i]), &err))
            FAIL_AT("refused '%s': %s", good[i], err.msg);
}

TEST(artifact_mime_types_follow_mlflows_table)
{
    static const struct {
        const char *path, *type;
    } cases[] = {
        {"model/MLmodel", "text/plain"},
        {"MLproject", "application/octet-stream"}, /* MLflow's list has "mlproject" */
        {"mlproject", "text/plain"},
        {"a/metrics.json", "text/plain"},
        {"notes.md", "text/plain"},
        {"run.log", "text/plain"},
        {"conda.yaml", "text/plain"},
        {"x.JSON", "application/octet-stream"},
        {"plot.png", "image/png"},
        {"plot.PNG", "image/png"},
        {"report.html", "text/plain"}, /* never a page */
        {"icon.svg", "text/plain"},
        {"model.pkl", "application/octet-stream"},
        {"noext", "application/octet-stream"},
        {".bashrc", "application/octet-stream"},
        {"a.tar.gz", "application/gzip"},
        {"dir.d/file", "application/octet-stream"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
        ASSERT_STR_EQ(artifact_mime_type(cases[i].path), cases[i].type);
}
