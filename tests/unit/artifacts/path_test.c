/* SPDX-License-Identifier: MIT
 * artifact_path_check against a catalogue of traversal payloads: the
 * families of CVE-2023-6909 (../ in artifact paths), CVE-2024-3848 (its
 * bypass through a '#' fragment), CVE-2024-1483 (traversal hidden in URL
 * encoding), GHSA-5cvj-7rg6-jggj (absolute and Windows paths), and our own. */
#include "../test.h"
#include "artifacts/path.h"

#include <string.h>

static const char *const bad[] = {
    "",
    "..",
    ".",
    "../x",
    "a/../b",
    "a/..",
    "a/./b",
    "./a",
    "a//b",
    "a/",
    "/",
    "/etc/passwd",
    "//etc/passwd",
    "a/b/../../../etc/passwd",
    "%2e%2e",
    "%2e%2e/x",
    "%2E%2E%2Fetc",
    "..%2fetc%2fpasswd",
    "a%2f..%2f..%2fetc",
    "%252e%252e%252fetc",
    "%25252e%25252e/x",
    "%2fetc%2fpasswd",
    "%5c..%5c..%5cwindows",
    "..\\..\\windows",
    "a\\b",
    "C:\\Windows\\win.ini",
    "C:x",
    "c:/x",
    "z:",
    "model#/../../etc",
    "x#frag",
    "%23/../x",
    "a\x01" "b",
    "line\nbreak",
    "tab\there",
    "del\x7f",
    "\xc0\xae\xc0\xae/x",      /* overlong UTF-8 dots */
    "\xe0\x80\xae",            /* overlong */
    "\xff\xfe",
    "a/\xed\xa0\x80",          /* a surrogate */
    "%c0%ae%c0%ae/x",          /* overlong dots, encoded */
    "%00",
    "a%00b",
    "%2e",
    "a/%2e/b",
    "a/%2e%2e",
};

static const char *const good[] = {
    "a",
    "model/MLmodel",
    "dir with spaces/file name.txt",
    "unicode/ü/名前.bin",
    "a.b/c..d/...",
    "...",
    "..a",
    "a..",
    "100%.txt",
    "100%25.txt",
    "x%zz",
    "deep/1/2/3/4/5/6/7/8/9/file",
};

TEST(artifact_path_catalogue_is_refused)
{
    struct ferr err = FERR_INIT;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ferr_clear(&err);
        if (artifact_path_check(bad[i], strlen(bad[i]), &err) == 0)
            FAIL_AT("accepted payload %zu: '%s'", i, bad[i]);
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
        ASSERT_CONTAINS(err.msg, "invalid artifact path");
    }
    ASSERT(sizeof(bad) / sizeof(bad[0]) >= 40);
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
}

TEST(artifact_path_good_names_pass)
{
    struct ferr err = FERR_INIT;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (artifact_path_check(good[i], strlen(good[i]), &err))
            FAIL_AT("refused '%s': %s", good[i], err.msg);
}
