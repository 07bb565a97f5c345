/* SPDX-License-Identifier: MIT
 * libFuzzer target: the artifact path check, the resolver below a root,
 * and proxied artifact URIs. The input is checked as it comes (NUL bytes
 * and all), then as a NUL-terminated string. What artifacts/path.h
 * promises is checked independently of path.c:
 *   - an accepted path, and every form of it after repeated
 *     percent-decoding, and each of those with the look-alikes the header
 *     names read as ASCII, is non-empty, NUL-free, UTF-8, relative, has no
 *     drive letter, file: prefix, backslash, control character or '#', and
 *     no empty, ".", "..", dots-and-spaces-only, "..;x" or ";x" segment,
 *     none over 255 bytes, no segment that starts with ".ferry-part-" in
 *     any case (the reserved names), and at most 4096 bytes in all;
 *   - a refused path fails with INVALID_PARAMETER_VALUE and a message of
 *     UTF-8 without control bytes; the check gives the same answer twice;
 *   - artifact_path_open_parent (lookup only, in a small tree made under
 *     /tmp with a link out of it and a file) succeeds only for paths the
 *     check accepts, hands back a directory of that tree and never one
 *     outside it, *last is the path's last segment, and no descriptor
 *     leaks;
 *   - artifact_uri_proxied_path gives NULL exactly for URIs that are not
 *     mlflow-artifacts:, else a relative path pointing into the URI;
 *   - artifact_roots_find, with one root under /tmp: a location it finds
 *     has a path below the root that the check accepts; a plain absolute
 *     path without "." or ".." segments or "//" is found exactly when it is
 *     the root or starts with the root and '/'; a refusal is always the
 *     same message (it never quotes the location); artifact_roots_allow
 *     agrees; other schemes are left alone. Each input is also tried as a
 *     path and a file URI below the root.
 * Nothing may crash, leak or trip UBSan; nothing is written outside
 * /tmp. */
#include "fuzz_input.h"
#include "artifacts/path.h"
#include "artifacts/roots.h"
#include "base/utf8.h"
#include "domain/artifact_uri.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---------- the header's rules, independently ---------- */

static int only_dots_and_spaces(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '.' && s[i] != ' ')
            return 0;
    return 1;
}

static int segment_ok(const char *seg, size_t n)
{
    const char *semi = memchr(seg, ';', n);
    static const char reserved[] = ".ferry-part-";
    return n > 0 && n <= ARTIFACT_SEGMENT_MAX && !only_dots_and_spaces(seg, n) &&
           !(semi && only_dots_and_spaces(seg, (size_t)(semi - seg))) &&
           !(n >= sizeof(reserved) - 1 && !strncasecmp(seg, reserved, sizeof(reserved) - 1));
}

/* 1 when p[0..n) is safe by the header's rules for one form. */
static int form_ok(const char *p, size_t n)
{
    if (!n || n > ARTIFACT_PATH_MAX || memchr(p, '\0', n) || !utf8_valid(p))
        return 0;
    if (p[0] == '/' || (isalpha((unsigned char)p[0]) && p[1] == ':') || !strncasecmp(p, "file:", 5))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\\' || c < 0x20 || c == 0x7f || c == '#')
            return 0;
    }
    for (size_t i = 0;;) {
        size_t k = i;
        while (k < n && p[k] != '/')
            k++;
        if (!segment_ok(p + i, k - i))
            return 0;
        if (k == n)
            return 1;
        i = k + 1;
    }
}

/* The look-alikes path.h names: fullwidth forms, one- and two-dot leaders. */
static const struct {
    const char *utf8, *ascii;
} lookalikes[] = {
    {"\xef\xbc\x8e", "."},  /* U+FF0E fullwidth full stop */
    {"\xef\xbc\x8f", "/"},  /* U+FF0F fullwidth solidus */
    {"\xef\xbc\xbc", "\\"}, /* U+FF3C fullwidth reverse solidus */
    {"\xe2\x80\xa4", "."},  /* U+2024 one dot leader */
    {"\xe2\x80\xa5", ".."}, /* U+2025 two dot leader */
};

/* form_ok for p and for p with those look-alikes read as ASCII. */
static int form_and_folded_ok(const char *p, size_t n)
{
    char *folded = malloc(n + 1);
    size_t k = 0;
    int ok;
    for (size_t i = 0; i < n;) {
        size_t j = 0;
        while (j < sizeof(lookalikes) / sizeof(lookalikes[0]) &&
               (i + 3 > n || memcmp(p + i, lookalikes[j].utf8, 3)))
            j++;
        if (j < sizeof(lookalikes) / sizeof(lookalikes[0])) {
            size_t m = strlen(lookalikes[j].ascii);
            memcpy(folded + k, lookalikes[j].ascii, m);
            k += m;
            i += 3;
        } else {
            folded[k++] = p[i++];
        }
    }
    folded[k] = '\0';
    ok = form_ok(p, n) && form_ok(folded, k);
    free(folded);
    return ok;
}

static int hex(char c)
{
    return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* An accepted path: it and every percent-decoded form of it pass. */
static void check_accepted(const char *path, size_t len)
{
    char *cur = malloc(len + 1);
    size_t n = len;
    memcpy(cur, path, len);
    cur[len] = '\0';
    for (int changed = 1; changed;) {
        if (!form_and_folded_ok(cur, n)) {
            fprintf(stderr, "accepted, yet a form breaks path.h's rules: '%s'\n", cur);
            abort();
        }
        size_t k = 0;
        changed = 0;
        for (size_t i = 0; i < n; i++) {
            if (cur[i] == '%' && i + 2 < n && isxdigit((unsigned char)cur[i + 1]) &&
                isxdigit((unsigned char)cur[i + 2])) {
                cur[k++] = (char)(hex(cur[i + 1]) * 16 + hex(cur[i + 2]));
                i += 2;
                changed = 1;
            } else {
                cur[k++] = cur[i];
            }
        }
        cur[k] = '\0';
        n = k;
    }
    free(cur);
}

static void check_refused(const struct ferr *err)
{
    if (err->code != FERR_INVALID_PARAMETER_VALUE || !err->msg[0] || !utf8_valid(err->msg))
        abort();
    for (const unsigned char *c = (const unsigned char *)err->msg; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            abort();
}

static int check(const char *path, size_t len)
{
    struct ferr err = FERR_INIT, again = FERR_INIT;
    int rc = artifact_path_check(path, len, &err);
    if (artifact_path_check(path, len, &again) != rc)
        abort();
    if (rc)
        check_refused(&err);
    else
        check_accepted(path, len);
    return rc;
}

/* ---------- the resolver, in a tree under /tmp ---------- */

static char root[] = "/tmp/ferry-fuzz-path-XXXXXX";
static int rootfd = -1;
static struct stat dirs[3]; /* root, root/a, root/a/b: the only directories below root */

static void remove_tree(void)
{
    static const char *const names[] = {"a/b", "a/up", "a", "file", "link", "abs"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (unlinkat(rootfd, names[i], 0) < 0)
            (void)unlinkat(rootfd, names[i], AT_REMOVEDIR);
    close(rootfd);
    rmdir(root);
}

static void make_tree(void)
{
    int fd;
    if (!mkdtemp(root) || (rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        abort();
    atexit(remove_tree);
    if (mkdirat(rootfd, "a", 0755) || mkdirat(rootfd, "a/b", 0755) ||
        symlinkat("../..", rootfd, "a/up") || symlinkat("..", rootfd, "link") ||
        symlinkat("/", rootfd, "abs") ||
        (fd = openat(rootfd, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0)
        abort();
    close(fd);
    if (fstat(rootfd, &dirs[0]) || fstatat(rootfd, "a", &dirs[1], 0) ||
        fstatat(rootfd, "a/b", &dirs[2], 0))
        abort();
}

/* The lowest free descriptor: the same before and after a call that leaks none. */
static int lowest_free_fd(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    close(fd);
    return fd;
}

static void resolve(const char *path, int accepted)
{
    struct ferr err = FERR_INIT;
    const char *last = NULL;
    int fd = -2;
    struct stat st;
    if (rootfd < 0)
        make_tree();
    int before = lowest_free_fd();
    if (artifact_path_open_parent(rootfd, path, ARTIFACT_PATH_LOOKUP, &fd, &last, &err)) {
        if (fd != -1 || (err.code != FERR_INVALID_PARAMETER_VALUE &&
                         err.code != FERR_RESOURCE_DOES_NOT_EXIST && err.code != FERR_IO_ERROR))
            abort();
    } else {
        const char *slash = strrchr(path, '/');
        if (!accepted || last != (slash ? slash + 1 : path) || fstat(fd, &st))
            abort();
        size_t i = 0;
        while (i < 3 && (st.st_dev != dirs[i].st_dev || st.st_ino != dirs[i].st_ino))
            i++;
        if (i == 3) {
            fprintf(stderr, "'%s' resolved outside the root\n", path);
            abort();
        }
        close(fd);
    }
    if (lowest_free_fd() != before)
        abort();
}

/* ---------- proxied artifact URIs ---------- */

static void proxied(const char *uri)
{
    static const char scheme[] = "mlflow-artifacts:";
    static const char anchor[] = "/api/2.0/mlflow-artifacts/artifacts";
    const char *p = artifact_uri_proxied_path(uri);
    size_t base = 0;
    int http = artifact_uri_http_base(uri, &base);
    int ours = !strncmp(uri, scheme, sizeof(scheme) - 1) || http;
    if (!p != !ours)
        abort();
    /* the http(s) form: the anchor sits at base and the path follows it */
    if (http && (strncmp(uri, "http", 4) || strncmp(uri + base, anchor, sizeof(anchor) - 1) ||
                 p < uri + base + sizeof(anchor) - 1))
        abort();
    if (p && ((!http && p < uri + sizeof(scheme) - 1) || p > uri + strlen(uri) || *p == '/'))
        abort();
    if (p)
        (void)check(p, strlen(p));
}

/* ---------- the server's artifact roots ---------- */

static struct artifact_roots *roots;
static char roots_top[] = "/tmp/ferry-fuzz-roots-XXXXXX";
static char roots_dir[sizeof(roots_top) + 2];
static char outside_msg[256];

static void free_roots(void)
{
    artifact_roots_free(roots);
    rmdir(roots_dir);
    rmdir(roots_top);
}

static void open_roots(void)
{
    struct ferr err = FERR_INIT;
    struct artifact_repo *repo;
    struct sbuf rel = SBUF_INIT;
    if (!mkdtemp(roots_top))
        abort();
    snprintf(roots_dir, sizeof(roots_dir), "%s/r", roots_top);
    const char *where[] = {roots_dir};
    if (artifact_roots_open(where, 1, &roots, &err) ||
        artifact_roots_find(roots, "/", &repo, &rel, &err) != -1)
        abort();
    atexit(free_roots);
    snprintf(outside_msg, sizeof(outside_msg), "%s", err.msg);
    sbuf_release(&rel);
}

/* 1 when p is a plain absolute path with no ".", ".." or empty segment. */
static int plain_absolute(const char *p)
{
    if (p[0] != '/' || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../"))
        return 0;
    size_t n = strlen(p);
    return !(n >= 2 && !strcmp(p + n - 2, "/.")) && !(n >= 3 && !strcmp(p + n - 3, "/.."));
}

static void in_roots(const char *uri)
{
    struct ferr err = FERR_INIT;
    struct artifact_repo *repo = NULL;
    struct sbuf rel = SBUF_INIT;
    if (!roots)
        open_roots();
    int found = artifact_roots_find(roots, uri, &repo, &rel, &err);
    if (found < -1 || found > 1 || artifact_roots_allow(roots, uri) != (found >= 0))
        abort();
    if (found == 1 && (!repo || (rel.len && check(rel.buf, rel.len))))
        abort();
    if (found == -1 && (err.code != FERR_INVALID_PARAMETER_VALUE || strcmp(err.msg, outside_msg)))
        abort();
    if (plain_absolute(uri)) {
        size_t n = strlen(roots_dir);
        int below = !strncmp(uri, roots_dir, n) && (uri[n] == '\0' || uri[n] == '/');
        struct ferr ignored = FERR_INIT;
        const char *rest = below && uri[n] == '/' ? uri + n + 1 : "";
        size_t rn = strlen(rest);
        while (rn && rest[rn - 1] == '/') /* a location may end in '/' */
            rn--;
        char *trimmed = strndup(rest, rn);
        if (!trimmed)
            abort();
        if (below && rn && artifact_path_check(trimmed, rn, &ignored))
            below = 0; /* below the root, but no valid artifact path */
        free(trimmed);
        if (below != (found == 1)) {
            fprintf(stderr, "'%s' %s by the roots\n", uri, below ? "missed" : "found");
            abort();
        }
    }
    sbuf_release(&rel);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    struct ferr err = FERR_INIT;
    if (!artifact_path_check(NULL, 0, &err) || artifact_uri_proxied_path(NULL))
        abort();
    (void)check(s, size);
    int accepted = !check(s, strlen(s));
    resolve(s, accepted);
    proxied(s);
    in_roots(s);
    /* and the input as a path below the root, where most of the matching is */
    if (roots) {
        struct sbuf below = SBUF_INIT;
        sbuf_addf(&below, "%s/%s", roots_dir, s);
        in_roots(below.buf);
        sbuf_reset(&below);
        sbuf_addf(&below, "file://%s/%s", roots_dir, s);
        in_roots(below.buf);
        sbuf_release(&below);
    }
    free(s);
    return 0;
}
