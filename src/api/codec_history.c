/* SPDX-License-Identifier: MIT */
#include "api/codec_history.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void run_history_release(struct run_history *h)
{
    free(h->run_id);
    metric_list_release(&h->points);
    memset(h, 0, sizeof(*h));
}

json_t *codec_run_history_to_json(const struct run_history *h)
{
    json_t *steps = json_array(), *ts = json_array(), *values = json_array();
    json_t *o = json_pack("{s:s?, s:I, s:b, s:o, s:o, s:o}", "run_id", h->run_id, "total",
                          (json_int_t)h->total, "downsampled", h->downsampled, "steps", steps,
                          "timestamps", ts, "values", values);
    if (!o)
        return NULL;
    for (size_t i = 0; i < h->points.n; i++) {
        const struct metric *m = &h->points.v[i];
        if (json_array_append_new(steps, json_integer(m->step)) ||
            json_array_append_new(ts, json_integer(m->timestamp)) ||
            json_array_append_new(values, fjson_double(m->value))) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* The int64 at offset off of each of the n points, comma-separated. */
static void add_int_column(struct sbuf *sb, const struct metric *v, size_t n, size_t off)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_addch(sb, ',');
        int64_t x;
        memcpy(&x, (const char *)&v[i] + off, sizeof(x));
        fjson_add_int64(sb, x);
    }
}

void codec_write_run_history(struct sbuf *sb, const struct run_history *h)
{
    const struct metric *v = h->points.v;
    size_t n = h->points.n;
    /* ~45 bytes a point: grow once */
    sbuf_grow(sb, 48 * n + 128);
    sbuf_addstr(sb, "{\"run_id\":");
    fjson_add_string(sb, h->run_id ? h->run_id : "");
    sbuf_addstr(sb, ",\"total\":");
    fjson_add_int64(sb, h->total);
    sbuf_addstr(sb, h->downsampled ? ",\"downsampled\":true" : ",\"downsampled\":false");
    sbuf_addstr(sb, ",\"steps\":[");
    add_int_column(sb, v, n, offsetof(struct metric, step));
    sbuf_addstr(sb, "],\"timestamps\":[");
    add_int_column(sb, v, n, offsetof(struct metric, timestamp));
    sbuf_addstr(sb, "],\"values\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_addch(sb, ',');
        fjson_add_double(sb, v[i].value);
    }
    sbuf_addstr(sb, "]}");
}

static int bad(struct ferr *err, const char *what)
{
    return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed history: %s", what);
}

/* The i-th int64 of arr (a number, or a decimal string as protobuf writes). */
static int int_at(json_t *arr, size_t i, int64_t *out)
{
    json_t *x = json_array_get(arr, i);
    if (json_is_integer(x)) {
        *out = (int64_t)json_integer_value(x);
        return 0;
    }
    return json_is_string(x) ? fjson_parse_int64(json_string_value(x), out) : -1;
}

static int double_at(json_t *arr, size_t i, double *out)
{
    json_t *x = json_array_get(arr, i);
    if (json_is_number(x)) {
        *out = json_number_value(x);
        return 0;
    }
    return json_is_string(x) ? fjson_parse_double(json_string_value(x), out) : -1;
}

int codec_run_history_from_json(json_t *j, struct run_history *out, struct ferr *err)
{
    const char *run_id = NULL;
    json_t *steps, *ts, *values;
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j))
        return bad(err, "expected an object");
    if (fjson_get_str(j, "run_id", JSON_OPTIONAL, &run_id, err) < 0 ||
        fjson_get_int64(j, "total", JSON_OPTIONAL, &out->total, err) < 0 ||
        fjson_get_bool(j, "downsampled", JSON_OPTIONAL, &out->downsampled, err) < 0 ||
        fjson_get_array(j, "steps", JSON_OPTIONAL, &steps, err) < 0 ||
        fjson_get_array(j, "timestamps", JSON_OPTIONAL, &ts, err) < 0 ||
        fjson_get_array(j, "values", JSON_OPTIONAL, &values, err) < 0)
        return -1;
    size_t n = json_array_size(values);
    if (json_array_size(steps) != n || json_array_size(ts) != n)
        return bad(err, "steps, timestamps and values differ in length");
    for (size_t i = 0; i < n; i++) {
        int64_t step, t;
        double value;
        if (int_at(steps, i, &step) || int_at(ts, i, &t) || double_at(values, i, &value)) {
            metric_list_release(&out->points);
            return bad(err, "a point is not numbers");
        }
        /* the points share one "" key, as a store's history shares its key */
        metric_list_add_point(&out->points, "", value, t, step);
    }
    out->run_id = xstrdup_or_null(run_id);
    return 0;
}
