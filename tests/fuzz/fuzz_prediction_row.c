/* SPDX-License-Identifier: MIT
 * libFuzzer target: the prediction log's stored row bytes (domain/
 * prediction.h), which come back from the store and, through the REST
 * ingest, from gateways. The input is split in two at its first byte's
 * share: an inputs blob and an outputs blob. Decoding either must stop at
 * its end (never read past it), and a row built on them must turn into JSON
 * without crashing, "corrupt": true when they do not decode. Outputs that
 * decode must encode back to bytes that decode to the same values. Nothing
 * may crash, leak or trip UBSan. */
#include "domain/prediction.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_value(const struct pred_value *a, const struct pred_value *b)
{
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case PV_NUMBER:
        return a->num == b->num || (isnan(a->num) && isnan(b->num));
    case PV_STRING:
        return a->len == b->len && !memcmp(a->str, b->str, a->len);
    case PV_HASH:
        return a->hash == b->hash;
    default:
        return 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    size_t cut = (size_t)data[0] * (size - 1) / 255;
    const unsigned char *in = data + 1, *out = data + 1 + cut;
    size_t nin = cut, nout = size - 1 - cut;
    /* the inputs blob: a count, then values, never past its end */
    struct pred_reader r = {in, in + nin};
    uint64_t n;
    if (!pred_dec_count(&r, &n)) {
        struct pred_value v;
        for (uint64_t i = 0; i < n && !pred_dec_value(&r, &v); i++)
            if (r.p > r.end)
                abort();
    }
    struct pred_outputs o;
    if (!pred_outputs_decode(out, nout, &o)) {
        struct sbuf sb = SBUF_INIT;
        struct pred_outputs back;
        pred_outputs_encode(&sb, o.prediction, o.prediction_n, o.proba, o.proba_n);
        if (pred_outputs_decode((const unsigned char *)sb.buf, sb.len, &back) ||
            back.prediction_n != o.prediction_n || back.proba_n != o.proba_n)
            abort();
        for (size_t i = 0; i < o.prediction_n; i++)
            if (o.prediction[i].kind != PV_NUMBER || isfinite(o.prediction[i].num))
                if (!same_value(&o.prediction[i], &back.prediction[i]))
                    abort();
        sbuf_release(&sb);
    }
    struct pred_row row;
    memset(&row, 0, sizeof(row));
    row.rid[6] = 0x70;
    row.rid[8] = 0x80;
    row.nrows = 2;
    row.target.deployment = (char *)"d";
    row.target.model = (char *)"m";
    row.target.columns = (char *)"[\"a\",\"b\",\"c\"]";
    row.target.classes = (char *)"[\"0\",\"1\"]";
    row.target.task = (char *)"";
    row.inputs = (unsigned char *)in;
    row.ninputs = nin;
    row.outputs = (unsigned char *)out;
    row.noutputs = nout;
    json_t *j = pred_row_json(&row);
    if (!j)
        abort();
    json_decref(j);
    return 0;
}
