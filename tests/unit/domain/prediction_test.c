/* SPDX-License-Identifier: MIT
 * domain/prediction.c: the tagged values' bytes and round trips, ids,
 * outputs, label text, and a row's JSON (corrupt blobs included). */
#include "../test.h"
#include "base/ferr.h"
#include "base/xalloc.h"
#include "domain/prediction.h"

#include <math.h>

static const char RID[] = "01890a5d-ac96-774b-bcce-b302099a8057";

TEST(pred_value_bytes)
{
    struct sbuf b = SBUF_INIT;
    pred_enc_number(&b, 1);
    pred_enc_number(&b, -1);
    pred_enc_number(&b, 0.5);     /* float32 exact */
    pred_enc_number(&b, 0.1);     /* float64 */
    pred_enc_number(&b, NAN);     /* null */
    pred_enc_string(&b, "ab", 2); /* string */
    pred_enc_hash(&b, 0x0102030405060708ull);
    static const unsigned char want[] = {0x01, 0x02, 0x01, 0x01, 0x02, 0x00, 0x00, 0x00,
                                         0x3f, 0x03, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99,
                                         0xb9, 0x3f, 0x00, 0x04, 0x02, 'a',  'b',  0x05,
                                         0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
    ASSERT_INT_EQ(b.len, sizeof(want));
    ASSERT(memcmp(b.buf, want, sizeof(want)) == 0);

    struct pred_reader r = {(const unsigned char *)b.buf, (const unsigned char *)b.buf + b.len};
    struct pred_value v;
    ASSERT_INT_EQ(pred_dec_value(&r, &v), 0);
    ASSERT(v.kind == PV_NUMBER && v.num == 1);
    ASSERT_INT_EQ(pred_dec_value(&r, &v), 0);
    ASSERT(v.kind == PV_NUMBER && v.num == -1);
    ASSERT_INT_EQ(pred_dec_value(&r, &v), 0);
    ASSERT(v.num == 0.5);
    ASSERT_INT_EQ(pred_dec_value(&r, &v), 0);
    ASSERT(v.num == 0.1);
    ASSERT_INT_EQ(pred_dec_value(&r, &v), 0);
    ASSERT(v.kind == PV_NULL);
    ASSERT_INT_EQ(pred_dec_value(&r, &v), 0);
    ASSERT(v.kind == PV_STRING && v.len == 2 && memcmp(v.str, "ab", 2) == 0);
    ASSERT_INT_EQ(pred_dec_value(&r, &v), 0);
    ASSERT(v.kind == PV_HASH && v.hash == 0x0102030405060708ull);
    ASSERT(r.p == r.end);
    ASSERT_INT_EQ(pred_dec_value(&r, &v), -1);
    sbuf_release(&b);
}

TEST(pred_value_round_trip)
{
    static const double nums[] = {0,
                                  1,
                                  -1,
                                  127,
                                  -128,
                                  1e15,
                                  -9007199254740992.0,
                                  9007199254740992.0,
                                  9007199254740994.0,
                                  0.25,
                                  1.0 / 3,
                                  -2.5e-300,
                                  1e300,
                                  3.4028234663852886e38};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        struct sbuf b = SBUF_INIT;
        pred_enc_number(&b, nums[i]);
        struct pred_reader r = {(const unsigned char *)b.buf, (const unsigned char *)b.buf + b.len};
        struct pred_value v;
        ASSERT_INT_EQ(pred_dec_value(&r, &v), 0);
        if (v.kind != PV_NUMBER || v.num != nums[i])
            FAIL_AT("%.17g decoded as %.17g", nums[i], v.num);
        ASSERT(r.p == r.end);
        sbuf_release(&b);
    }
    /* counts: LEB128 edges */
    static const uint64_t counts[] = {0, 127, 128, 16383, 16384, UINT64_MAX};
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        struct sbuf b = SBUF_INIT;
        pred_enc_count(&b, counts[i]);
        struct pred_reader r = {(const unsigned char *)b.buf, (const unsigned char *)b.buf + b.len};
        uint64_t got;
        ASSERT_INT_EQ(pred_dec_count(&r, &got), 0);
        ASSERT(got == counts[i]);
        ASSERT(r.p == r.end);
        sbuf_release(&b);
    }
}

TEST(pred_value_malformed)
{
    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        {"", 0},
        {"\x07", 1},                                 /* unknown tag */
        {"\x06\x00", 2},                             /* the list marker is no value */
        {"\x01", 1},                                 /* varint missing */
        {"\x01\x80", 2},                             /* varint cut */
        {"\x02\x00\x00", 3},                         /* float32 cut */
        {"\x03\x00\x00\x00\x00\x00\x00\x00", 8},     /* float64 cut */
        {"\x03\x00\x00\x00\x00\x00\x00\xf0\x7f", 9}, /* inf */
        {"\x02\x00\x00\xc0\x7f", 5},                 /* float32 nan */
        {"\x04\x05"
         "abc",
         5},                                                  /* string longer than blob */
        {"\x05\x01\x02", 3},                                  /* hash cut */
        {"\x01\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", 11}, /* varint past 64 bits */
        {"\x01\x82\x80\x80\x80\x80\x80\x80\x80\x10", 10},     /* integer past 2^53 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const unsigned char *p = (const unsigned char *)bad[i].bytes;
        struct pred_reader r = {p, p + bad[i].len};
        struct pred_value v;
        if (pred_dec_value(&r, &v) == 0)
            FAIL_AT("bad value %zu decoded", i);
    }
}

TEST(pred_enc_json_scalars)
{
    struct sbuf b = SBUF_INIT;
    json_t *j = json_pack("[i, f, s, b, b, n]", 3, 2.5, "x", 1, 0);
    for (size_t i = 0; i < json_array_size(j); i++)
        ASSERT_INT_EQ(pred_enc_json(&b, json_array_get(j, i)), 0);
    json_t *arr = json_array();
    size_t before = b.len;
    ASSERT_INT_EQ(pred_enc_json(&b, arr), -1);
    ASSERT_INT_EQ(b.len, before);
    json_decref(arr);
    struct pred_reader r = {(const unsigned char *)b.buf, (const unsigned char *)b.buf + b.len};
    struct pred_value v;
    const char *want[] = {"3", "2.5", "\"x\"", "1", "0", "null"};
    for (size_t i = 0; i < 6; i++) {
        ASSERT_INT_EQ(pred_dec_value(&r, &v), 0);
        json_t *got = pred_value_json(&v);
        char *s = json_dumps(got, JSON_ENCODE_ANY);
        ASSERT_STR_EQ(s, want[i]);
        free(s);
        json_decref(got);
    }
    struct pred_value h = {PV_HASH, 0, NULL, 0, 0xabcull};
    json_t *hj = pred_value_json(&h);
    ASSERT_STR_EQ(json_string_value(hj), "hash:0000000000000abc");
    json_decref(hj);
    json_decref(j);
    sbuf_release(&b);
}

TEST(pred_rid_ids)
{
    unsigned char rid[PRED_RID_BYTES], rid2[PRED_RID_BYTES];
    ASSERT_INT_EQ(pred_rid_parse(RID, 36, rid), 0);
    char text[37];
    pred_rid_text(rid, text);
    ASSERT_STR_EQ(text, RID);
    ASSERT_INT_EQ(pred_rid_time_ms(rid), 0x01890a5dac96LL);
    ASSERT_INT_EQ(pred_rid_parse("01890A5D-AC96-774B-BCCE-B302099A8057", 36, rid2), 0);
    ASSERT(memcmp(rid, rid2, 16) == 0);
    unsigned char lo[PRED_RID_BYTES];
    pred_rid_min(pred_rid_time_ms(rid), lo);
    ASSERT(memcmp(lo, rid, 16) < 0);
    pred_rid_min(pred_rid_time_ms(rid) + 1, lo);
    ASSERT(memcmp(lo, rid, 16) > 0);

    static const char *bad[] = {
        "",
        "01890a5d-ac96-774b-bcce-b302099a805",  /* short */
        "01890a5d-ac96-474b-bcce-b302099a8057", /* version 4 */
        "01890a5d-ac96-774b-7cce-b302099a8057", /* variant */
        "01890a5d_ac96-774b-bcce-b302099a8057", /* separator */
        "01890a5d-ac96-774b-bcce-b302099a805g", /* hex */
        "01890a5dac96774bbcceb302099a8057ffff", /* no hyphens */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (pred_rid_parse(bad[i], strlen(bad[i]), rid) == 0)
            FAIL_AT("'%s' parsed", bad[i]);

    uint32_t row;
    int given;
    ASSERT_INT_EQ(pred_feedback_id_parse(RID, rid, &row, &given), 0);
    ASSERT(row == 0 && given == 0);
    char id[64];
    snprintf(id, sizeof(id), "%s/17", RID);
    ASSERT_INT_EQ(pred_feedback_id_parse(id, rid, &row, &given), 0);
    ASSERT(row == 17 && given == 1);
    snprintf(id, sizeof(id), "%s/4294967295", RID);
    ASSERT_INT_EQ(pred_feedback_id_parse(id, rid, &row, &given), 0);
    ASSERT(row == UINT32_MAX);
    static const char *bad_suffix[] = {"/",   "/01", "/-1",  "/+1",         "/4294967296",
                                       "/1x", "x1",  "/1/2", "/99999999999"};
    for (size_t i = 0; i < sizeof(bad_suffix) / sizeof(bad_suffix[0]); i++) {
        snprintf(id, sizeof(id), "%s%s", RID, bad_suffix[i]);
        if (pred_feedback_id_parse(id, rid, &row, &given) == 0)
            FAIL_AT("'%s' parsed", id);
    }
    ASSERT_INT_EQ(pred_feedback_id_parse("caller-42", rid, &row, &given), -1);
    ASSERT_INT_EQ(pred_feedback_id_parse(NULL, rid, &row, &given), -1);
}

TEST(pred_outputs_round_trip)
{
    struct sbuf b = SBUF_INIT;
    struct pred_value one = {PV_STRING, 0, "spam", 4, 0};
    double proba[] = {0.25, 0.75};
    pred_outputs_encode(&b, &one, 1, proba, 2);
    struct pred_outputs o;
    ASSERT_INT_EQ(pred_outputs_decode((const unsigned char *)b.buf, b.len, &o), 0);
    ASSERT_INT_EQ(o.prediction_n, 1);
    ASSERT(o.prediction[0].kind == PV_STRING && o.prediction[0].len == 4);
    ASSERT_INT_EQ(o.proba_n, 2);
    ASSERT(o.proba[0] == 0.25 && o.proba[1] == 0.75);
    /* every proper prefix is refused, and so is a trailing byte */
    for (size_t n = 0; n < b.len; n++)
        if (pred_outputs_decode((const unsigned char *)b.buf, n, &o) == 0)
            FAIL_AT("prefix of %zu bytes decoded", n);
    sbuf_addch(&b, 0);
    ASSERT_INT_EQ(pred_outputs_decode((const unsigned char *)b.buf, b.len, &o), -1);

    sbuf_reset(&b);
    struct pred_value many[3] = {
        {PV_NUMBER, 1.5, NULL, 0, 0}, {PV_NUMBER, 2, NULL, 0, 0}, {PV_NULL, 0, NULL, 0, 0}};
    pred_outputs_encode(&b, many, 3, NULL, 0);
    ASSERT_INT_EQ(pred_outputs_decode((const unsigned char *)b.buf, b.len, &o), 0);
    ASSERT_INT_EQ(o.prediction_n, 3);
    ASSERT(o.prediction[0].num == 1.5 && o.prediction[1].num == 2 &&
           o.prediction[2].kind == PV_NULL);
    ASSERT_INT_EQ(o.proba_n, 0);
    /* a string where a probability goes is corrupt */
    static const unsigned char bad[] = {0x01, 0x02, 0x01, 0x04, 0x01, 'x'};
    ASSERT_INT_EQ(pred_outputs_decode(bad, sizeof(bad), &o), -1);
    /* a count past the cap */
    static const unsigned char big[] = {0x06, 0x41};
    ASSERT_INT_EQ(pred_outputs_decode(big, sizeof(big), &o), -1);
    sbuf_release(&b);
}

TEST(pred_label_texts)
{
    json_t *j = json_pack("[i, f, b, b, s, f, f]", 1, 1.0, 1, 0, "spam", 0.5, -0.0);
    static const char *want[] = {"1", "1", "1", "0", "spam", "0.5", "0"};
    for (size_t i = 0; i < 7; i++) {
        struct sbuf b = SBUF_INIT;
        ASSERT_INT_EQ(pred_label_text(&b, json_array_get(j, i)), 0);
        ASSERT_STR_EQ(b.buf, want[i]);
        sbuf_release(&b);
    }
    struct sbuf b = SBUF_INIT;
    json_t *n = json_null(), *a = json_array();
    ASSERT_INT_EQ(pred_label_text(&b, n), -1);
    ASSERT_INT_EQ(pred_label_text(&b, a), -1);
    ASSERT_INT_EQ(b.len, 0);
    struct pred_value v = {PV_NUMBER, 2.0, NULL, 0, 0};
    ASSERT_INT_EQ(pred_label_text_value(&b, &v), 0);
    ASSERT_STR_EQ(b.buf, "2");
    v.kind = PV_HASH;
    ASSERT_INT_EQ(pred_label_text_value(&b, &v), -1);
    sbuf_release(&b);
    json_decref(n);
    json_decref(a);
    json_decref(j);
}

static void make_row(struct pred_row *r)
{
    memset(r, 0, sizeof(*r));
    ASSERT_INT_EQ(pred_rid_parse(RID, 36, r->rid), 0);
    r->row = 1;
    r->nrows = 2;
    r->time_ms = pred_rid_time_ms(r->rid);
    r->target.deployment = xstrdup("fraud");
    r->target.revision = 3;
    r->target.model = xstrdup("clf");
    r->target.version = 2;
    r->target.columns = xstrdup("[\"age\", \"name\"]");
    r->target.classes = xstrdup("[\"0\", \"1\"]");
    r->target.task = xstrdup("classification");
    r->caller_id = xstrdup("c-1");
    r->tags = xstrdup("region=eu,tier=gold");
    r->latency_us = 1500;
    r->status = 200;
    struct sbuf b = SBUF_INIT;
    pred_enc_count(&b, 2);
    pred_enc_number(&b, 42);
    pred_enc_string(&b, "ann", 3);
    r->ninputs = b.len;
    r->inputs = (unsigned char *)sbuf_detach(&b, NULL);
    struct pred_value p = {PV_NUMBER, 1, NULL, 0, 0};
    double proba[] = {0.25, 0.75};
    pred_outputs_encode(&b, &p, 1, proba, 2);
    r->noutputs = b.len;
    r->outputs = (unsigned char *)sbuf_detach(&b, NULL);
    r->label = xstrdup("1");
    r->label_ms = r->time_ms + 5000;
}

TEST(pred_row_json_fields)
{
    struct pred_row r;
    make_row(&r);
    json_t *j = pred_row_json(&r);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    ASSERT_STR_EQ(
        s, "{\"caller_request_id\":\"c-1\",\"deployment\":\"fraud\",\"inputs\":{\"age\":42,"
           "\"name\":\"ann\"},\"label\":1,\"label_time\":1688096063518,\"latency_ms\":1.5,"
           "\"model\":\"clf/2\",\"prediction\":1,\"probabilities\":{\"0\":0.25,\"1\":0.75},"
           "\"request_id\":\"01890a5d-ac96-774b-bcce-b302099a8057/1\",\"revision\":3,\"row\":1,"
           "\"shadow\":false,\"status\":200,\"tags\":{\"region\":\"eu\",\"tier\":\"gold\"},"
           "\"time\":1688096058518}");
    free(s);
    json_decref(j);

    /* a one-row request is named by its bare id; a text label stays text */
    r.row = 0;
    r.nrows = 1;
    free(r.label);
    r.label = xstrdup("spam");
    j = pred_row_json(&r);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "request_id")), RID);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "label")), "spam");
    json_decref(j);

    /* a corrupt blob: the row still answers, marked */
    r.outputs[0] = 0x09;
    j = pred_row_json(&r);
    ASSERT(json_is_true(json_object_get(j, "corrupt")));
    ASSERT(!json_object_get(j, "prediction") && !json_object_get(j, "inputs"));
    ASSERT_INT_EQ(json_integer_value(json_object_get(j, "status")), 200);
    json_decref(j);
    r.ninputs = 2; /* cut */
    free(r.outputs);
    r.outputs = NULL;
    r.noutputs = 0;
    j = pred_row_json(&r);
    ASSERT(json_is_true(json_object_get(j, "corrupt")));
    json_decref(j);

    struct pred_target t;
    pred_target_copy(&r.target, &t);
    ASSERT(pred_target_equal(&t, &r.target));
    t.shadow = 1;
    ASSERT(!pred_target_equal(&t, &r.target));
    pred_target_release(&t);
    pred_row_release(&r);
}
