/* SPDX-License-Identifier: MIT
 * One run's metric history as columns, the shape of ferry's
 * metrics/get-histories-downsampled: {"run_id", "total", "downsampled",
 * "steps": [...], "timestamps": [...], "values": [...]}, the i-th element
 * of each array one point. Columns cost about half the bytes of MLflow's
 * per-point objects (no key and no field names repeated), which is most of
 * what a browser spends on a chart of many runs. Values follow MLflow's
 * JSON: NaN and infinities are the strings "NaN", "Infinity", "-Infinity". */
#ifndef FERRY_API_CODEC_HISTORY_H
#define FERRY_API_CODEC_HISTORY_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "domain/domain.h"

#include <jansson.h>

struct run_history {
    char *run_id;
    struct metric_list points; /* key unused here: the request names it */
    int64_t total;             /* points stored */
    int downsampled;           /* fewer points answered than stored */
};

void run_history_release(struct run_history *h);

json_t *codec_run_history_to_json(const struct run_history *h);
/* The writer of the same JSON for large answers, straight into sb. */
void codec_write_run_history(struct sbuf *sb, const struct run_history *h);
/* The reverse, for clients; the points' keys are one "" shared by all of
 * them (metric_list_add_point), so the points stay in out->points and go
 * with run_history_release. 0, or -1 with err naming what is malformed
 * (arrays of unequal length included). */
int codec_run_history_from_json(json_t *j, struct run_history *out, struct ferr *err) WARN_UNUSED;

#endif
