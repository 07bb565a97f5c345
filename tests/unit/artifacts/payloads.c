/* SPDX-License-Identifier: MIT
 * Traversal payloads by family. The MLflow advisories they stand for:
 *   CVE-2023-2356, CVE-2023-6909   "../" in artifact and source paths;
 *   CVE-2024-3848, CVE-2024-1483   the bypass through a '#' fragment
 *                                  ("http:///#/../../etc");
 *   CVE-2023-6831, CVE-2024-1560   double URL-encoding in deletes;
 *   CVE-2024-1593                  ';' path parameters ("..;/");
 *   CVE-2023-2780                  backslash traversal ("\..\..\x");
 *   CVE-2023-1177, GHSA-5cvj-7rg6-jggj (CVE-2025-11201)  absolute and
 *                                  file: paths as model sources;
 * and our own: NUL and control bytes, overlong UTF-8, Unicode look-alikes,
 * Windows trimming of dots and spaces, drive letters. */
#include "payloads.h"

/* One payload a line reads better than the packed table clang-format
 * would make of it. */
/* clang-format off */
#define P(lit, fam) {lit, sizeof(lit) - 1, fam}

const struct payload artifact_bad_paths[] = {
    /* plain traversal */
    P("..", "CVE-2023-6909"),
    P("../x", "CVE-2023-6909"),
    P("../../../../../../etc/passwd", "CVE-2023-6909"),
    P("a/../b", "CVE-2023-6909"),
    P("a/..", "CVE-2023-6909"),
    P("a/b/../../../outside/secret.txt", "CVE-2023-6909"),
    P("model/../../b/x", "CVE-2023-2356"),
    P(".", "dot segment"),
    P("./a", "dot segment"),
    P("a/./b", "dot segment"),
    /* empty paths and segments */
    P("", "empty"),
    P("a//b", "empty segment"),
    P("a/", "empty segment"),
    P("a/b/", "empty segment"),
    /* absolute, drive letters, file: URIs */
    P("/", "absolute"),
    P("/etc/passwd", "absolute"),
    P("//etc/passwd", "absolute"),
    P("/tmp/x", "absolute"),
    P("file:///etc/passwd", "GHSA-5cvj-7rg6-jggj"),
    P("file:/etc/passwd", "GHSA-5cvj-7rg6-jggj"),
    P("FILE:etc", "GHSA-5cvj-7rg6-jggj"),
    P("C:", "drive letter"),
    P("C:x", "drive letter"),
    P("c:/x", "drive letter"),
    P("C:\\Windows\\win.ini", "drive letter"),
    /* backslashes */
    P("..\\..\\windows", "CVE-2023-2780"),
    P("\\..\\..\\etc\\passwd", "CVE-2023-2780"),
    P("a\\b", "CVE-2023-2780"),
    P("\\\\server\\share\\x", "CVE-2023-2780"),
    /* percent-encoded, once and more */
    P("%2e%2e", "CVE-2024-1560"),
    P("%2e%2e/x", "CVE-2024-1560"),
    P("%2E%2E%2Fetc", "CVE-2024-1560"),
    P("..%2fetc%2fpasswd", "CVE-2024-1560"),
    P("a%2f..%2f..%2fetc", "CVE-2024-1560"),
    P(".%2e/x", "CVE-2024-1560"),
    P("%2e./x", "CVE-2024-1560"),
    P("%2fetc%2fpasswd", "CVE-2024-1560"),
    P("%5c..%5c..%5cwindows", "CVE-2024-1560"),
    P("%2e", "CVE-2024-1560"),
    P("a/%2e/b", "CVE-2024-1560"),
    P("a/%2e%2e", "CVE-2024-1560"),
    P("%252e%252e%252fetc", "CVE-2023-6831"),
    P("%252e%252e/x", "CVE-2023-6831"),
    P("%25252e%25252e/x", "CVE-2023-6831"),
    P("%2e%252e/x", "CVE-2023-6831"),
    P("..%252f..%252fetc", "CVE-2023-6831"),
    P("%252fetc", "CVE-2023-6831"),
    P("%25255c..", "CVE-2023-6831"),
    P("x%252525252525252541", "encoded too many times"),
    /* fragments */
    P("model#/../../etc", "CVE-2024-3848"),
    P("x#frag", "CVE-2024-3848"),
    P("#/../../../etc/passwd", "CVE-2024-3848"),
    P("http:///#/../../../etc/", "CVE-2024-1483"),
    P("%23/../x", "CVE-2024-1483"),
    P("a%23b", "CVE-2024-1483"),
    P("a%2523b", "CVE-2024-1483"),
    /* path parameters */
    P("..;/etc/passwd", "CVE-2024-1593"),
    P("a/..;/..;/etc", "CVE-2024-1593"),
    P("..;jsessionid=1/x", "CVE-2024-1593"),
    P(";/x", "CVE-2024-1593"),
    P("a/;x/b", "CVE-2024-1593"),
    P("%2e%2e;/x", "CVE-2024-1593"),
    /* Windows trims trailing dots and spaces */
    P("...", "dots and spaces"),
    P(".. ", "dots and spaces"),
    P(" ..", "dots and spaces"),
    P("a/. /b", "dots and spaces"),
    P("....//x", "dots and spaces"),
    P(" ", "dots and spaces"),
    P("%2e%2e%20/x", "dots and spaces"),
    /* NUL bytes, raw and encoded */
    P("\0", "NUL"),
    P("a\0/../../etc", "NUL"),
    P("x.txt\0.png", "NUL"),
    P("%00", "NUL"),
    P("a%00b", "NUL"),
    P("a%2500b", "NUL"),
    /* control bytes */
    P("a\x01" "b", "control"),
    P("line\nbreak", "control"),
    P("cr\rlf", "control"),
    P("tab\there", "control"),
    P("del\x7f", "control"),
    P("esc\x1b[2J", "control"),
    P("a%0ab", "control"),
    P("a%1b[31m", "control"),
    /* invalid and overlong UTF-8 */
    P("\xc0\xae\xc0\xae/x", "overlong UTF-8"),
    P("\xe0\x80\xae\xe0\x80\xae/x", "overlong UTF-8"),
    P("\xc0\xaf", "overlong UTF-8"),
    P("%c0%ae%c0%ae/x", "overlong UTF-8"),
    P("%c0%af", "overlong UTF-8"),
    P("%e0%80%ae", "overlong UTF-8"),
    P("\xff\xfe", "invalid UTF-8"),
    P("a/\xed\xa0\x80", "invalid UTF-8"),
    P("%ff", "invalid UTF-8"),
    /* Unicode look-alikes */
    P("\xef\xbc\x8e\xef\xbc\x8e/x", "look-alike"),            /* U+FF0E twice */
    P("..\xef\xbc\x8f" "etc", "look-alike"),                  /* ../ (U+FF0F) */
    P("\xe2\x80\xa5/etc", "look-alike"),                      /* U+2025 */
    P("\xe2\x80\xa4\xe2\x80\xa4/x", "look-alike"),            /* U+2024 twice */
    P("a\xef\xbc\xbc..\xef\xbc\xbc" "b", "look-alike"),       /* U+FF3C */
    P("\xef\xb9\x92\xef\xb9\x92\xe2\x88\x95x", "look-alike"), /* U+FE52 U+2215 */
    P("%ef%bc%8e%ef%bc%8e%ef%bc%8f" "etc", "look-alike"),
    P("\xef\xbc\x8f" "etc", "look-alike"),                    /* a leading '/' look-alike */
    /* reserved: the names of uploads in progress */
    P(".ferry-part-0123456789abcdef", "reserved"),
    P("a/.ferry-part-x/b", "reserved"),
    P(".FERRY-Part-x", "reserved"),
    P("%2eferry-part-x", "reserved"),
    P("%252Eferry-part-x", "reserved"),
};
/* clang-format on */
const size_t artifact_bad_paths_n = sizeof(artifact_bad_paths) / sizeof(artifact_bad_paths[0]);

/* clang-format off */
const struct payload artifact_inert_paths[] = {
    P("..a", "dots inside a name"),
    P("a..", "dots inside a name"),
    P("a.b/c..d/.e", "dots inside a name"),
    P("100%.txt", "stray percent"),
    P("100%25.txt", "encoded percent"),
    P("x%zz", "stray percent"),
    P("a%2fb", "encoded slash that stays a name"),
    P("%2e%2ea", "encoded dots inside a name"),
    P("%u002e%u002e/x", "IIS-style encoding, not decoded by anyone"),
    P("a;b", "semicolon inside a name"),
    P("ab:c", "colon inside a name"),
    P("a\xef\xbc\x8e" "b", "fullwidth dot inside a name"),
    P("dir with spaces/x y.txt", "spaces"),
    P("unicode/\xc3\xbc/\xe5\x90\x8d\xe5\x89\x8d.bin", "unicode"),
    P("emoji \xf0\x9f\x98\x80.png", "unicode"),
    P("~", "shell-ish"),
    P("~root/x", "shell-ish"),
    P("$HOME/x", "shell-ish"),
    P("`id`", "shell-ish"),
    P("-rf", "shell-ish"),
    P("*?[]", "glob characters"),
    P("'\"quotes\"'", "quotes"),
    P(".ferry-part", "near a reserved name"),
    P("x.ferry-part-y", "near a reserved name"),
    P("ferry-part-y", "near a reserved name"),
};
/* clang-format on */
const size_t artifact_inert_paths_n =
    sizeof(artifact_inert_paths) / sizeof(artifact_inert_paths[0]);
