/* SPDX-License-Identifier: MIT
 * The drift report as one small self-contained HTML file: the verdict, the
 * per-column table, data quality notes and, per column, the reference's
 * histogram against the current's as inline SVG. Inline CSS, no script, no
 * network resource: it opens anywhere and can be mailed. */
#ifndef FERRY_MONITOR_DRIFT_HTML_H
#define FERRY_MONITOR_DRIFT_HTML_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "monitor/drift_report.h"

/* Appends the HTML page of report r to sb; ref_name and cur_name label the
 * two sides (e.g. the files' names). */
void drift_html_render(const struct drift_report *r, const char *ref_name, const char *cur_name,
                       struct sbuf *sb);
/* Renders and writes the page to path (replacing it). Errors
 * (FERR_INVALID_PARAMETER_VALUE): the file cannot be written. */
int drift_html_write(const struct drift_report *r, const char *path, const char *ref_name,
                     const char *cur_name, struct ferr *err) WARN_UNUSED;

#endif
