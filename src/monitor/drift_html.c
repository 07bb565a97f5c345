/* SPDX-License-Identifier: MIT
 * The drift report as one HTML page (drift_html.h). Every user-given string
 * (column names, category labels, file names) is escaped; the histograms
 * are SVG bars of each side's share per bin, the reference behind in grey,
 * the current in front in blue. */
#include "monitor/drift_html.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/banned.h"

#define BAR_W 300
#define BAR_H 80

static void add_escaped(struct sbuf *sb, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            sbuf_addstr(sb, "&amp;");
            break;
        case '<':
            sbuf_addstr(sb, "&lt;");
            break;
        case '>':
            sbuf_addstr(sb, "&gt;");
            break;
        case '"':
            sbuf_addstr(sb, "&quot;");
            break;
        default:
            sbuf_addch(sb, *s);
        }
    }
}

static void add_num(struct sbuf *sb, double v)
{
    if (isnan(v))
        sbuf_addstr(sb, "&ndash;");
    else if (isinf(v))
        sbuf_addstr(sb, v > 0 ? "inf" : "-inf");
    else
        sbuf_addf(sb, "%.6g", v);
}

static uint64_t total(const uint64_t *v, size_t n)
{
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++)
        t += v[i];
    return t;
}

static void add_svg(struct sbuf *sb, const struct drift_hist *h)
{
    if (!h->nbins)
        return;
    uint64_t tr = total(h->ref, h->nbins), tc = total(h->cur, h->nbins);
    double top = 0;
    for (size_t i = 0; i < h->nbins; i++) {
        double a = tr ? (double)h->ref[i] / tr : 0, b = tc ? (double)h->cur[i] / tc : 0;
        top = a > top ? a : top;
        top = b > top ? b : top;
    }
    if (top <= 0)
        top = 1;
    double w = (double)BAR_W / h->nbins;
    sbuf_addf(sb, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", BAR_W, BAR_H, BAR_W,
              BAR_H);
    for (int side = 0; side < 2; side++) {
        const uint64_t *cnt = side ? h->cur : h->ref;
        uint64_t t = side ? tc : tr;
        for (size_t i = 0; i < h->nbins; i++) {
            double y = t ? (double)cnt[i] / t / top * (BAR_H - 2) : 0;
            sbuf_addf(sb,
                      "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">",
                      side ? "c" : "r", i * w + (side ? w * 0.25 : 0), BAR_H - y,
                      side ? w * 0.5 : w * 0.95, y);
            sbuf_addstr(sb, "<title>");
            if (h->labels)
                add_escaped(sb, h->labels[i]);
            else
                sbuf_addf(sb, "[%.4g, %.4g)", h->edges[i], h->edges[i + 1]);
            sbuf_addf(sb, " %s: %llu</title></rect>", side ? "current" : "reference",
                      (unsigned long long)cnt[i]);
        }
    }
    sbuf_addstr(sb, "</svg>");
}

static void add_row(struct sbuf *sb, const struct drift_col_result *c, const struct drift_report *r)
{
    sbuf_addf(sb, "<tr class=\"%s\"><td>", c->drifted ? "drift" : "ok");
    add_escaped(sb, c->name);
    sbuf_addf(sb, "</td><td>%s</td><td>%s</td><td>", drift_kind_name(c->kind),
              stattest_name(c->stattest));
    add_num(sb, c->statistic);
    sbuf_addstr(sb, "</td><td>");
    add_num(sb, stattest_is_pvalue(c->stattest) ? c->p_value : NAN);
    sbuf_addstr(sb, "</td><td>");
    add_num(sb, c->threshold);
    sbuf_addf(sb, "</td><td>%s</td><td>", c->drifted ? "yes" : "no");
    sbuf_addf(sb, "missing %.1f%% / %.1f%%", r->ref_rows ? 100.0 * c->ref_missing / r->ref_rows : 0,
              r->cur_rows ? 100.0 * c->cur_missing / r->cur_rows : 0);
    if (c->kind == DRIFT_KIND_NUM && c->cur_out_of_range)
        sbuf_addf(sb, "<br>%zu outside the reference's range", c->cur_out_of_range);
    if (c->kind == DRIFT_KIND_CAT && c->new_categories) {
        sbuf_addf(sb, "<br>%zu new categor%s: ", c->new_categories,
                  c->new_categories == 1 ? "y" : "ies");
        for (size_t i = 0; i < c->n_new_category_examples; i++) {
            sbuf_addstr(sb, i ? ", " : "");
            add_escaped(sb, c->new_category_examples[i]);
        }
        if (c->new_categories > c->n_new_category_examples)
            sbuf_addstr(sb, ", ...");
    }
    if (c->ref_dtype != c->cur_dtype)
        sbuf_addf(sb, "<br>type %s / %s", drift_dtype_name(c->ref_dtype),
                  drift_dtype_name(c->cur_dtype));
    sbuf_addstr(sb, "</td><td>");
    add_svg(sb, &c->hist);
    sbuf_addstr(sb, "</td></tr>\n");
}

void drift_html_render(const struct drift_report *r, const char *ref_name, const char *cur_name,
                       struct sbuf *sb)
{
    sbuf_addstr(sb, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Data drift</title>"
                    "<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}"
                    "td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;"
                    "vertical-align:middle}tr.drift td:first-child{color:#b00;font-weight:bold}"
                    ".r{fill:#bbb}.c{fill:#3b7dd8}.verdict{font-size:18px}</style></head><body>\n"
                    "<h1>Data drift</h1>\n<p>Reference: ");
    add_escaped(sb, ref_name);
    sbuf_addf(sb, " (%zu rows) &middot; current: ", r->ref_rows);
    add_escaped(sb, cur_name);
    sbuf_addf(sb,
              " (%zu rows)</p>\n<p class=\"verdict\">Dataset drift: <b>%s</b> &mdash; %zu of "
              "%zu columns drifted (share %.4g, drift share %.4g)</p>\n",
              r->cur_rows, r->dataset_drift ? "detected" : "not detected",
              r->number_of_drifted_columns, r->number_of_columns, r->share_of_drifted_columns,
              r->drift_share);
    sbuf_addstr(sb, "<table><tr><th>Column</th><th>Kind</th><th>Test</th><th>Statistic</th>"
                    "<th>p-value</th><th>Threshold</th><th>Drifted</th><th>Data quality</th>"
                    "<th>Reference (grey) vs current (blue)</th></tr>\n");
    for (size_t i = 0; i < r->ncols; i++)
        if (r->cols[i].tested)
            add_row(sb, &r->cols[i], r);
    sbuf_addstr(sb, "</table>\n");
    for (size_t i = 0; i < r->ncols; i++) {
        if (r->cols[i].tested)
            continue;
        sbuf_addstr(sb, "<p>Not tested: ");
        add_escaped(sb, r->cols[i].name);
        sbuf_addstr(sb, " &mdash; ");
        add_escaped(sb, r->cols[i].skip_reason);
        sbuf_addstr(sb, "</p>\n");
    }
    for (size_t i = 0; i < r->n_missing_in_current; i++) {
        sbuf_addstr(sb, "<p>Missing in the current data: ");
        add_escaped(sb, r->missing_in_current[i]);
        sbuf_addstr(sb, "</p>\n");
    }
    for (size_t i = 0; i < r->n_missing_in_reference; i++) {
        sbuf_addstr(sb, "<p>Missing in the reference: ");
        add_escaped(sb, r->missing_in_reference[i]);
        sbuf_addstr(sb, "</p>\n");
    }
    sbuf_addstr(sb, "</body></html>\n");
}

int drift_html_write(const struct drift_report *r, const char *path, const char *ref_name,
                     const char *cur_name, struct ferr *err)
{
    struct sbuf sb = SBUF_INIT;
    drift_html_render(r, ref_name, cur_name, &sb);
    FILE *f = fopen(path, "w");
    int rc = 0;
    if (!f) {
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s: cannot write: %s", path,
                      strerror(errno));
    } else {
        size_t put = fwrite(sb.buf, 1, sb.len, f);
        int closed = fclose(f);
        if (put != sb.len || closed)
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s: cannot write: %s", path,
                          strerror(errno));
    }
    sbuf_release(&sb);
    return rc;
}
