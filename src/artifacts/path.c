/* SPDX-License-Identifier: MIT
 * artifact_path_check: every form a path could take on its way to a file
 * system (as given, each layer of percent-decoding, Unicode look-alikes
 * read as ASCII) must pass the same rules. artifact_path_open_parent: the
 * resolver that never follows a symbolic link below the root. */
#include "artifacts/path.h"
#include "base/utf8.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

/* Rounds of percent-decoding before a path counts as hostile for its
 * encoding alone: no honest client encodes a name eight times. */
#define DECODE_ROUNDS 8
/* Bytes of a refused path quoted in its error message. */
#define QUOTE_MAX 120

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
        if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
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

/* Code points that NFKC (or a careless eye) turns into '.', '/' or '\'. */
static const struct lookalike {
    const char *utf8;  /* always 3 bytes */
    const char *ascii; /* at most 3 bytes */
} lookalikes[] = {
    {"\xef\xbc\x8e", "."},   /* U+FF0E fullwidth full stop */
    {"\xef\xb9\x92", "."},   /* U+FE52 small full stop */
    {"\xe2\x80\xa4", "."},   /* U+2024 one dot leader */
    {"\xe2\x80\xa5", ".."},  /* U+2025 two dot leader */
    {"\xe2\x80\xa6", "..."}, /* U+2026 horizontal ellipsis */
    {"\xef\xbc\x8f", "/"},   /* U+FF0F fullwidth solidus */
    {"\xe2\x88\x95", "/"},   /* U+2215 division slash */
    {"\xe2\x81\x84", "/"},   /* U+2044 fraction slash */
    {"\xef\xbc\xbc", "\\"},  /* U+FF3C fullwidth reverse solidus */
    {"\xef\xb9\xa8", "\\"},  /* U+FE68 small reverse solidus */
    {"\xe2\x88\x96", "\\"},  /* U+2216 set minus */
};

/* p[0..len) with every look-alike replaced by its ASCII reading, or NULL
 * when there is none. The result is never longer than p. */
static char *fold_lookalikes(const char *p, size_t len, size_t *out_len)
{
    char *out = NULL;
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        const struct lookalike *hit = NULL;
        for (size_t j = 0; i + 3 <= len && j < sizeof(lookalikes) / sizeof(lookalikes[0]); j++)
            if (!memcmp(p + i, lookalikes[j].utf8, 3))
                hit = &lookalikes[j];
        if (hit && !out) {
            out = xmalloc(len + 1);
            memcpy(out, p, i);
            k = i;
        }
        if (hit) {
            size_t n = strlen(hit->ascii);
            memcpy(out + k, hit->ascii, n);
            k += n;
            i += 3;
        } else {
            if (out)
                out[k++] = p[i];
            i++;
        }
    }
    if (out) {
        out[k] = '\0';
        *out_len = k;
    }
    return out;
}

/* 1 when s[0..n) holds nothing but dots and spaces (also when n is 0). */
static int dots_and_spaces(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '.' && s[i] != ' ')
            return 0;
    return 1;
}

/* The rules for one segment of n bytes (n > 0); NULL when it passes. */
static const char *segment_problem(const char *seg, size_t n)
{
    if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
        return "the path has a '.' or '..' segment";
    if (dots_and_spaces(seg, n))
        return "the path has a segment of only dots and spaces";
    const char *semi = memchr(seg, ';', n);
    if (semi && dots_and_spaces(seg, (size_t)(semi - seg)))
        return "the path has a segment that reads as '..' or empty before a ';'";
    if (n > ARTIFACT_SEGMENT_MAX)
        return "a segment of the path is longer than 255 bytes";
    if (n >= sizeof(ARTIFACT_PART_PREFIX) - 1 &&
        !strncasecmp(seg, ARTIFACT_PART_PREFIX, sizeof(ARTIFACT_PART_PREFIX) - 1))
        return "names starting with '" ARTIFACT_PART_PREFIX "' are reserved";
    return NULL;
}

/* The rules for one form of the path; NULL when it passes. */
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
    if (!strncasecmp(p, "file:", 5))
        return "the path is a file: URI";
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
        const char *why = segment_problem(seg, n);
        if (why)
            return why;
        if (!seg[n])
            break;
        seg += n + 1;
    }
    return NULL;
}

/* problem_of for a form and for its look-alike reading. */
static const char *problem_of_form(const char *p, size_t len)
{
    const char *why = problem_of(p, len);
    if (why)
        return why;
    size_t flen;
    char *folded = fold_lookalikes(p, len, &flen);
    if (!folded)
        return NULL;
    why = problem_of(folded, flen);
    free(folded);
    return why ? "the path spells a traversal with Unicode look-alikes of '.', '/' or '\\'" : NULL;
}

/* The first problem of any form of the path, NULL when there is none. */
static const char *problem_of_any_form(const char *path, size_t len)
{
    const char *why = problem_of_form(path, len);
    if (why)
        return why;
    /* Decode until stable: every layer of encoding must be just as clean.
     * Each form that got here is NUL-free, so the decoder may stop at NUL. */
    char *cur = xstrndup(path, len);
    size_t cur_len = len;
    for (int round = 0; !why; round++) {
        int changed;
        char *next = percent_decode(cur, cur_len, &cur_len, &changed);
        free(cur);
        cur = next;
        if (!changed)
            break;
        why = problem_of_form(cur, cur_len);
        if (!why && round == DECODE_ROUNDS - 1)
            why = "the path is percent-encoded too many times";
    }
    free(cur);
    return why;
}

int artifact_path_check(const char *path, size_t len, struct ferr *err)
{
    const char *why = path ? problem_of_any_form(path, len) : "the path is missing";
    if (!why)
        return 0;
    /* Quote what came in, but never a control byte (log and terminal
     * injection); ferr_set turns invalid UTF-8 into '?' itself. */
    char quoted[QUOTE_MAX + 1];
    size_t n = path ? (len < QUOTE_MAX ? len : QUOTE_MAX) : 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        quoted[i] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
    }
    quoted[n] = '\0';
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid artifact path '%s'%s: %s", quoted,
                    len > QUOTE_MAX ? "..." : "", why);
}

/* errno after a failed step of the walk, as an artifact error. */
static int walk_fail(struct ferr *err, const char *path)
{
    int e = errno;
    if (e == ENOENT)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "no artifact at '%.300s'", path);
    if (e == ELOOP || e == ENOTDIR || e == EMLINK)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "artifact path '%.300s' leads through a file or a symbolic link", path);
    return ferr_set(err, FERR_IO_ERROR, "cannot reach artifact '%.300s': %s", path, strerror(e));
}

/* Opens the directory name inside fd, never through a link; with create,
 * makes it first when missing. -1 with errno set on failure. */
static int open_subdir(int fd, const char *name, int create)
{
    int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int next = openat(fd, name, flags);
    if (next < 0 && errno == ENOENT && create) {
        if (mkdirat(fd, name, 0755) < 0 && errno != EEXIST)
            return -1;
        next = openat(fd, name, flags);
    }
    return next;
}

int artifact_path_open_parent(int rootfd, const char *path, int create, int *dirfd,
                              const char **last, struct ferr *err)
{
    *dirfd = -1;
    if (artifact_path_check(path, path ? strlen(path) : 0, err))
        return -1;
    /* A new open file description of the root, not dup(): a dup shares
     * the directory offset, and a second listing would start at its end. */
    int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return walk_fail(err, path);
    const char *seg = path;
    char name[ARTIFACT_SEGMENT_MAX + 1];
    for (;;) {
        size_t n = strcspn(seg, "/");
        if (!seg[n])
            break;
        memcpy(name, seg, n); /* n <= ARTIFACT_SEGMENT_MAX: checked above */
        name[n] = '\0';
        int next = open_subdir(fd, name, create);
        if (next < 0) {
            int rc = walk_fail(err, path);
            close(fd);
            return rc;
        }
        close(fd);
        fd = next;
        seg += n + 1;
    }
    *dirfd = fd;
    *last = seg;
    return 0;
}

int artifact_path_safe(const char *path, size_t len, struct ferr *err)
{
    struct ferr why = FERR_INIT;
    if (!artifact_path_check(path, len, &why))
        return 0;
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "Invalid path");
}
