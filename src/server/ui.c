/* SPDX-License-Identifier: MIT */
#include "server/ui.h"
#include "server/respond.h"
#include "server/ui_assets.h"

#include <string.h>
#include <strings.h>

#include "base/banned.h"

/* What the app may load: only itself. It talks to this server's REST API and
 * draws images it fetched as blobs. */
#define CSP                                                                                        \
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "           \
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

int ui_owns(const char *url)
{
    return !strcmp(url, "/") || !strcmp(url, "/index.html") || !strncmp(url, "/static/", 8);
}

static const struct ui_asset *find(const char *url)
{
    if (!strcmp(url, "/index.html"))
        url = "/";
    for (const struct ui_asset *a = ui_assets; a->path; a++)
        if (!strcmp(a->path, url))
            return a;
    return NULL;
}

static int accepts_gzip(struct MHD_Connection *conn)
{
    const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
    return ae && strstr(ae, "gzip") != NULL;
}

static enum MHD_Result plain(struct MHD_Connection *conn, int status, const char *text)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb, text);
    return respond_body(conn, status, "text/plain; charset=utf-8", &sb);
}

enum MHD_Result ui_answer(struct MHD_Connection *conn, const char *url, const char *method,
                          int *status, size_t *bytes)
{
    int head = !strcmp(method, "HEAD");
    *bytes = 0;
    if (strcmp(method, "GET") && !head) {
        *status = 405;
        return plain(conn, 405, "the web UI is read with GET\n");
    }
    const struct ui_asset *a = find(url);
    if (!a) {
        *status = 404;
        return plain(conn, 404, "no such file in the web UI\n");
    }
    const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
    int not_modified = inm && !strcmp(inm, a->etag);
    int gz = accepts_gzip(conn);
    size_t len = not_modified ? 0 : gz ? a->gz_len : a->raw_len;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(gz ? a->gz : a->raw), MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a->type) == MHD_NO ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, a->etag) == MHD_NO ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") == MHD_NO ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding") == MHD_NO ||
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") == MHD_NO ||
        MHD_add_response_header(r, "Content-Security-Policy", CSP) == MHD_NO ||
        (gz && !not_modified &&
         MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") == MHD_NO)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    *status = not_modified ? 304 : 200;
    *bytes = len;
    return respond_queue(conn, *status, r);
}
