/* SPDX-License-Identifier: MIT
 * libFuzzer target: a trace's info as JSON, both shapes (2.x TraceInfo, 3.x
 * Trace with its TraceInfoV3), and protobuf's Timestamp and Duration
 * strings. A document either decodes, and then encodes and decodes again to
 * the same struct, or fails with INVALID_PARAMETER_VALUE; the input as a
 * time string either parses to a value that writes back and parses again
 * to itself, or is refused. Nothing may crash, leak or trip UBSan. */
#include "fuzz_input.h"
#include "api/codec_trace.h"
#include "base/pbtime.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const struct trace_info *a, const struct trace_info *b)
{
    /* 2.x writes an unknown execution time as 0 */
    int exec_same = a->execution_time_ms == b->execution_time_ms ||
                    (a->execution_time_ms == INT64_MIN && b->execution_time_ms == 0);
    return a->timestamp_ms == b->timestamp_ms && exec_same && a->status == b->status &&
           a->tags.n == b->tags.n && a->request_metadata.n == b->request_metadata.n;
}

static void shape(json_t *j, json_t *(*to)(const struct trace_info *),
                  int (*from)(json_t *, struct trace_info *, struct ferr *))
{
    struct trace_info t, back;
    struct ferr err = FERR_INIT;
    if (from(j, &t, &err)) {
        if (err.code != FERR_INVALID_PARAMETER_VALUE || !err.msg[0])
            abort();
        return;
    }
    /* a time outside protobuf's range writes but does not read back */
    int in_range = (t.timestamp_ms == INT64_MIN ||
                    (t.timestamp_ms >= -62135596800000LL && t.timestamp_ms <= 253402300799999LL));
    json_t *again = to(&t);
    if (!again)
        abort();
    if (from(again, &back, &err)) {
        if (in_range && to != codec_trace_info_to_json)
            abort();
    } else {
        if (in_range && !same(&t, &back))
            abort();
        trace_info_release(&back);
    }
    json_decref(again);
    trace_info_release(&t);
}

static void times(const char *s)
{
    char out[PBTIME_MAX];
    int64_t ms, again;
    if (!pbtime_timestamp_parse(s, &ms)) {
        pbtime_timestamp_format(ms, out);
        if (pbtime_timestamp_parse(out, &again) || again != ms)
            abort();
    }
    if (!pbtime_duration_parse(s, &ms)) {
        pbtime_duration_format(ms, out);
        if (pbtime_duration_parse(out, &again) || again != ms)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    times(s);
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (j) {
        shape(j, codec_trace_info_to_json, codec_trace_info_from_json);
        shape(j, codec_trace_v3_to_json, codec_trace_v3_from_json);
        shape(j, codec_trace_info_v3_to_json, codec_trace_info_v3_from_json);
        json_decref(j);
    }
    free(s);
    return 0;
}
