/* SPDX-License-Identifier: MIT */
#include "artifacts/path.h"
#include "base/utf8.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static int hexval(char c)
{
    return isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
}

/* One round of percent-decoding of s[0..n) into a new string of *out_len
 * bytes (a decoded %00 stays inside it); *changed when anything changed. */
static char *percent_decode(const char *s, size_t n, size_t *out_len, int *changed)
{
    size_t k = 0;
    char *out = xmalloc(n + 1);
    *changed = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && isxdigit((unsigned char)s[i + 1]) &&
            isxdigit((unsigned char)s[i + 2])) {
            out[k++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
            *changed = 1;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    *out_len = k;
    return out;
}

/* The checks on one (decoded) form of the path; NULL when it passes. */
static const char *problem_of(const char *p, size_t len)
{
    if (len == 0)
        return "the path is empty";
    if (strlen(p) != len)
        return "the path holds a NUL byte";
    if (len > ARTIFACT_PATH_MAX)
        return "the path is longer than 4096 bytes";
    if (!utf8_valid(p))
        return "the path is not valid UTF-8";
    if (p[0] == '/')
        return "the path is absolute";
    if (isalpha((unsigned char)p[0]) && p[1] == ':')
        return "the path starts with a drive letter";
    for (const unsigned char *c = (const unsigned char *)p; *c; c++) {
        if (*c == '\\')
            return "the path holds a backslash";
        if (*c < 0x20 || *c == 0x7f)
            return "the path holds a control character";
        if (*c == '#')
            return "the path holds '#'";
    }
    for (const char *seg = p;;) {
        size_t n = strcspn(seg, "/");
        if (n == 0)
            return "the path has an empty segment";
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return "the path has a '.' or '..' segment";
        if (n > ARTIFACT_SEGMENT_MAX)
            return "a segment of the path is longer than 255 bytes";
        if (!seg[n])
            break;
        seg += n + 1;
    }
    return NULL;
}

int artifact_path_check(const char *path, size_t len, struct ferr *err)
{
    const char *why = path ? problem_of(path, len) : "the path is missing";
    char *cur = why ? NULL : xstrdup(path);
    size_t cur_len = len;
    /* Decode until stable: every layer of encoding must be just as clean. */
    for (int round = 0; cur && !why && round < 8; round++) {
        int changed;
        char *next = percent_decode(cur, cur_len, &cur_len, &changed);
        free(cur);
        cur = next;
        if (!changed)
            break;
        why = problem_of(cur, cur_len);
        if (!why && round == 7)
            why = "the path is percent-encoded too many times";
    }
    free(cur);
    if (!why)
        return 0;
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid artifact path '%.*s': %s",
                    (int)(len < 200 ? len : 200), path ? path : "", why);
}
