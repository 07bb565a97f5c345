/* SPDX-License-Identifier: MIT
 * The web UI at / : the single-page app's index.html and its /static/
 * files, embedded in the binary (ui_assets.h). The app routes with the
 * URL's fragment (#/experiments/1/runs/<id>, as MLflow's UI), so the
 * server only ever serves these few files. Internal to server/. */
#ifndef FERRY_SERVER_UI_H
#define FERRY_SERVER_UI_H

#include "api/op.h"

/* /, /index.html and /static/...: 200 (gzipped when the client accepts
 * it), 304 for a matching If-None-Match, 404 for an unknown /static/ file,
 * 405 for a method other than GET or HEAD. */
extern const struct api_area ui_area;

#endif
