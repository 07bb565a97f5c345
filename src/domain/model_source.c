/* SPDX-License-Identifier: MIT */
#include "domain/model_source.h"
#include "base/sbuf.h"
#include "base/utf8.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/banned.h"

/* ---------- URIs as urllib.parse splits them ---------- */

struct uri_parts {
    char *scheme; /* lowercased; "" for none */
    char *netloc; /* "" for none */
    char *path;
};

static void uri_parts_release(struct uri_parts *u)
{
    free(u->scheme);
    free(u->netloc);
    free(u->path);
}

/* The schemes whose last path segment may carry ";params" (urllib's
 * uses_params): urlparse cuts them off the path. */
static int uses_params(const char *scheme)
{
    static const char *const v[] = {"",      "ftp",   "hdl",  "prospero", "http",  "imap",
                                    "https", "shttp", "rtsp", "rtsps",    "rtspu", "sip",
                                    "sips",  "mms",   "sftp", "tel"};
    for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++)
        if (!strcmp(v[i], scheme))
            return 1;
    return 0;
}

static void uri_split(const char *in, struct uri_parts *u)
{
    struct sbuf url = SBUF_INIT;
    /* leading C0 controls and spaces go, as do tabs and newlines anywhere */
    while (*in && (unsigned char)*in <= ' ')
        in++;
    for (const char *p = in; *p; p++)
        if (*p != '\t' && *p != '\r' && *p != '\n')
            sbuf_addch(&url, *p);
    const char *s = url.buf, *colon = strchr(s, ':');
    size_t slen = 0;
    if (colon && colon > s && isalpha((unsigned char)s[0])) {
        const char *p = s;
        while (p < colon && (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.'))
            p++;
        if (p == colon)
            slen = (size_t)(colon - s);
    }
    u->scheme = xstrndup(s, slen);
    for (char *p = u->scheme; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (slen)
        s = colon + 1;
    if (s[0] == '/' && s[1] == '/') {
        size_t n = strcspn(s + 2, "/?#");
        u->netloc = xstrndup(s + 2, n);
        s += 2 + n;
    } else {
        u->netloc = xstrdup("");
    }
    size_t n = strcspn(s, "#");
    n = strcspn(s, "?") < n ? strcspn(s, "?") : n;
    u->path = xstrndup(s, n);
    char *semi = uses_params(u->scheme) ? strchr(u->path, ';') : NULL;
    if (semi) {
        char *slash = strrchr(u->path, '/');
        semi = strchr(slash ? slash : u->path, ';');
        if (semi)
            *semi = '\0';
    }
    sbuf_release(&url);
}

/* urllib's hostname: the netloc without user info and port, lowercased. */
static char *uri_hostname(const char *netloc)
{
    const char *at = strrchr(netloc, '@');
    const char *h = at ? at + 1 : netloc;
    size_t n;
    if (*h == '[') {
        h++;
        n = strcspn(h, "]");
    } else {
        n = strcspn(h, ":");
    }
    char *out = xstrndup(h, n);
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* One pass of urllib's unquote (plus: '+' is a space too) into a new
 * string; *len gets its length (it may hold NULs). */
static char *unquote(const char *s, size_t n, int plus, size_t *len)
{
    char *out = xmalloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
            (lo = hexval((unsigned char)s[i + 2])) >= 0) {
            out[j++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[j++] = plus && s[i] == '+' ? ' ' : s[i];
        }
    }
    out[j] = '\0';
    *len = j;
    return out;
}

/* ---------- paths ---------- */

/* Lexical normalisation of an absolute path: no "." or empty segments,
 * ".." takes its parent off (never past the root). */
static char *normalise(const char *path)
{
    struct sbuf out = SBUF_INIT;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        size_t k = strcspn(p, "/");
        if (!k)
            break;
        if (k == 1 && p[0] == '.') {
            /* nothing */
        } else if (k == 2 && p[0] == '.' && p[1] == '.') {
            char *slash = strrchr(out.buf, '/');
            if (slash)
                sbuf_setlen(&out, (size_t)(slash - out.buf));
        } else {
            sbuf_addch(&out, '/');
            sbuf_add(&out, p, k);
        }
        p += k;
    }
    if (!out.len)
        sbuf_addch(&out, '/');
    return sbuf_detach(&out, NULL);
}

char *model_source_local_path(const char *uri)
{
    struct sbuf abs = SBUF_INIT;
    const char *path = uri;
    struct uri_parts u = {NULL, NULL, NULL};
    if (!strncasecmp(uri, "file:", 5)) {
        uri_split(uri, &u);
        path = u.path;
    }
    size_t n;
    char *decoded = unquote(path, strlen(path), 0, &n);
    if (decoded[0] != '/') {
        char cwd[PATH_MAX];
        sbuf_addstr(&abs, getcwd(cwd, sizeof(cwd)) ? cwd : "/");
        sbuf_addch(&abs, '/');
    }
    sbuf_addstr(&abs, decoded); /* stops at a decoded NUL: that is no path */
    char *out = normalise(abs.buf);
    free(decoded);
    sbuf_release(&abs);
    uri_parts_release(&u);
    return out;
}

int model_source_path_within(const char *dir, const char *path)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return path[0] == '/';
    return !strncmp(dir, path, n) && (path[n] == '\0' || path[n] == '/');
}

/* ---------- the checks ---------- */

int model_source_is_local(const char *uri, struct ferr *err)
{
    struct uri_parts u;
    uri_split(uri, &u);
    char *host = uri_hostname(u.netloc);
    int remote_host = *host && strcmp(host, ".") && strncmp(host, "localhost", 9) &&
                      strncmp(host, "127.0.0.1", 9);
    int rc = !*u.scheme ? 1 : !strcmp(u.scheme, "file") ? (remote_host ? -1 : 1) : 0;
    if (rc < 0) {
        struct sbuf shown = SBUF_INIT;
        sbuf_addf(&shown, "%.500s", uri);
        utf8_scrub(shown.buf);
        ferr_set(err, FERR_INTERNAL_ERROR,
                 "%s is not a valid remote uri. For remote access on windows, please consider "
                 "using a different scheme such as SMB (e.g. smb://<hostname>/<path>).",
                 shown.buf);
        sbuf_release(&shown);
    }
    free(host);
    uri_parts_release(&u);
    return rc;
}

int model_source_check_remote(const char *source, struct ferr *err)
{
    size_t n = strlen(source);
    char *s = xstrdup(source);
    for (;;) { /* each pass shortens s or ends the loop */
        size_t m;
        char *next = unquote(s, n, 1, &m);
        if (m == n && !memcmp(next, s, n)) {
            free(next);
            break;
        }
        free(s);
        s = next;
        n = m;
    }
    int bad = memchr(s, '\0', n) != NULL; /* a NUL anywhere */
    for (const char *seg = s; !bad && seg < s + n;) {
        size_t k = strcspn(seg, "/");
        bad = k == 2 && seg[0] == '.' && seg[1] == '.';
        seg += k + 1;
    }
    if (!bad) {
        struct uri_parts u;
        uri_split(s, &u);
        /* "/+" -> "/", trailing '/' dropped: what is left must already be
         * absolute and normal */
        size_t k = strlen(u.path);
        while (k && u.path[k - 1] == '/')
            k--;
        u.path[k] = '\0';
        bad = u.path[0] != '/';
        for (const char *seg = u.path; !bad && *seg;) {
            while (*seg == '/')
                seg++;
            size_t len = strcspn(seg, "/");
            bad = len == 1 && seg[0] == '.';
            seg += len;
        }
        uri_parts_release(&u);
    }
    if (bad) {
        struct sbuf shown = SBUF_INIT;
        for (size_t i = 0; i < n && shown.len < 500; i++)
            sbuf_addch(&shown, s[i] ? s[i] : '?');
        utf8_scrub(shown.buf);
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "Invalid model version source: '%s'. If supplying a source as an http, https, "
                 "local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path "
                 "must be provided without relative path references present. Please provide an "
                 "absolute path.",
                 shown.buf);
        sbuf_release(&shown);
    }
    free(s);
    return bad ? -1 : 0;
}

int model_source_local_refused(const char *shown, const char *who, struct ferr *err)
{
    int model = !strcmp(who, "model");
    struct sbuf s = SBUF_INIT;
    sbuf_addf(&s, "%.500s", shown);
    utf8_scrub(s.buf);
    ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
             "Invalid model version source: '%s'. To use a local path as a model version source, "
             "the %s request parameter has to be specified and the local path has to be "
             "contained within the artifact directory of the run specified by the %s.",
             s.buf, model ? "model_id" : "run_id", model ? "model_id" : "run_id");
    sbuf_release(&s);
    return -1;
}
