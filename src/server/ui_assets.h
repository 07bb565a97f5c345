/* SPDX-License-Identifier: MIT
 * The web UI's files, built from ui/ by ui/build.mjs and compiled into the
 * binary. Internal to server/. */
#ifndef FERRY_SERVER_UI_ASSETS_H
#define FERRY_SERVER_UI_ASSETS_H

#include <stddef.h>

struct ui_asset {
    const char *path; /* "/" or "/static/app.js" */
    const char *type; /* Content-Type */
    const char *etag; /* quoted, from the content's SHA-256 */
    const unsigned char *raw;
    size_t raw_len;
    const unsigned char *gz; /* the same bytes, gzipped */
    size_t gz_len;
};

/* Ends with an entry whose path is NULL. */
extern const struct ui_asset ui_assets[];

#endif
