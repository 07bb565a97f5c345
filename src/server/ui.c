/* SPDX-License-Identifier: MIT */
#include "server/ui.h"
#include "http/request.h"
#include "server/ui_assets.h"

#include <string.h>
#include <strings.h>

#include "base/banned.h"

/* What the app may load: only itself. It talks to this server's REST API and
 * draws images it fetched as blobs. */
#define CSP                                                                                        \
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "           \
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

static const struct ui_asset *find(const char *url)
{
    if (!strcmp(url, "/index.html"))
        url = "/";
    for (const struct ui_asset *a = ui_assets; a->path; a++)
        if (!strcmp(a->path, url))
            return a;
    return NULL;
}

static int accepts_gzip(struct http_request *rq)
{
    const char *ae = http_header(rq, "Accept-Encoding");
    return ae && strstr(ae, "gzip") != NULL;
}

static int ui_answer(struct http_request *rq, struct ferr *err)
{
    (void)err;
    unsigned m = http_method(rq);
    if (m != HTTP_GET && m != HTTP_HEAD)
        return http_respond_text(rq, 405, "the web UI is read with GET\n");
    const struct ui_asset *a = find(http_path(rq));
    if (!a)
        return http_respond_text(rq, 404, "no such file in the web UI\n");
    const char *inm = http_header(rq, "If-None-Match");
    int not_modified = inm && !strcmp(inm, a->etag);
    int gz = accepts_gzip(rq);
    size_t len = not_modified ? 0 : gz ? a->gz_len : a->raw_len;
    http_add_header(rq, "ETag", a->etag);
    http_add_header(rq, "Cache-Control", "no-cache");
    http_add_header(rq, "Vary", "Accept-Encoding");
    http_add_header(rq, "X-Content-Type-Options", "nosniff");
    http_add_header(rq, "Content-Security-Policy", CSP);
    if (gz && !not_modified)
        http_add_header(rq, "Content-Encoding", "gzip");
    return http_respond_static(rq, not_modified ? 304 : 200, a->type, gz ? a->gz : a->raw, len);
}

/* The page asks for credentials (so a browser shows its login prompt);
 * the bundle it loads holds no data and is public, as in MLflow. */
#define UI_ROW(id, p, acc)                                                                         \
    static const struct api_op id = {.name = "ui/" p,                                              \
                                     .root = "",                                                   \
                                     .path = p,                                                    \
                                     .methods = HTTP_ANY_METHOD,                                   \
                                     .call = HTTP_GET,                                             \
                                     .res = {acc, LOC_NONE, NULL},                                 \
                                     .stream = ui_answer,                                          \
                                     .body = &http_body_drop}
UI_ROW(root_page, "", ACCESS_READ);
UI_ROW(index_html, "index.html", ACCESS_READ);
UI_ROW(static_files, "static/{file...}", ACCESS_PUBLIC);

static const struct api_op *const ui_ops[] = {&root_page, &index_html, &static_files};
const struct api_area ui_area = {"ui", ui_ops, sizeof(ui_ops) / sizeof(*ui_ops)};
