/* SPDX-License-Identifier: MIT
 * api/predictions_ops: feedback labels through the wire (canonical texts,
 * errors naming the index, the 10,000 cap), the answer's unknown ids, and
 * a logged row through its JSON and back (the REST client's side). */
#include "../test.h"
#include "api/predictions_ops.h"
#include "base/sbuf.h"

#include <jansson.h>
#include <string.h>

static json_t *wire(const struct api_op *op, const void *req)
{
    json_t *j = api_encode_request(op, req);
    ASSERT(j != NULL);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    j = json_loads(text, 0, NULL);
    free(text);
    return j;
}

static void decode_fails(const char *body, const char *says)
{
    struct rq_feedback_log got;
    struct ferr err = FERR_INIT;
    json_t *j = json_loads(body, JSON_ALLOW_NUL, NULL); /* \u0000 reaches the codec */
    ASSERT(j != NULL);
    memset(&got, 0, sizeof(got));
    ASSERT_FAILS(api_decode_request(&api_feedback_log, j, &got, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, says);
    json_decref(j);
}

TEST(feedback_labels_survive_the_wire)
{
    struct feedback_label l[2] = {{"0190a0a0-0000-7000-8000-000000000001", "spam", 1234},
                                  {"caller-7/2", "1", 0}};
    struct rq_feedback_log q = {"fraud", {l, 2, NULL}}, got;
    struct ferr err = FERR_INIT;
    json_t *j = wire(&api_feedback_log, &q);
    memset(&got, 0, sizeof(got));
    ASSERT_OK(api_decode_request(&api_feedback_log, j, &got, &err), &err);
    ASSERT_STR_EQ(got.deployment, "fraud");
    ASSERT_INT_EQ(got.labels.n, 2);
    ASSERT_STR_EQ(got.labels.v[0].id, l[0].id);
    ASSERT_STR_EQ(got.labels.v[0].label, "spam");
    ASSERT_INT_EQ(got.labels.v[0].time_ms, 1234);
    ASSERT_STR_EQ(got.labels.v[1].label, "1");
    ASSERT_INT_EQ(got.labels.v[1].time_ms, 0);
    api_release_request(&api_feedback_log, &got);
    json_decref(j);

    /* 1, 1.0, true and "1" are one class; the timestamp may be a string */
    j = json_loads("{\"labels\": [{\"request_id\": \"a\", \"label\": 1.0}, {\"request_id\": \"b\", "
                   "\"label\": true}, {\"request_id\": \"c\", \"label\": 0.25, \"timestamp\": "
                   "\"77\"}]}",
                   0, NULL);
    memset(&got, 0, sizeof(got));
    ASSERT_OK(api_decode_request(&api_feedback_log, j, &got, &err), &err);
    ASSERT(got.deployment == NULL);
    ASSERT_STR_EQ(got.labels.v[0].label, "1");
    ASSERT_STR_EQ(got.labels.v[1].label, "1");
    ASSERT_STR_EQ(got.labels.v[2].label, "0.25");
    ASSERT_INT_EQ(got.labels.v[2].time_ms, 77);
    api_release_request(&api_feedback_log, &got);
    json_decref(j);
}

TEST(feedback_labels_refused_by_index)
{
    decode_fails("{}", "labels");
    decode_fails("{\"labels\": 3}", "labels");
    decode_fails("{\"labels\": [{\"request_id\": \"a\", \"label\": 1}, 7]}", "'labels[1]'");
    decode_fails("{\"labels\": [{\"request_id\": \"a\", \"label\": 1}, {\"request_id\": \"b\", "
                 "\"label\": [1]}]}",
                 "'labels[1].label'");
    decode_fails("{\"labels\": [{\"request_id\": \"a\", \"label\": {}}]}", "'labels[0].label'");
    decode_fails("{\"labels\": [{\"request_id\": \"a\", \"label\": null}]}", "'labels[0].label'");
    decode_fails("{\"labels\": [{\"request_id\": \"a\", \"label\": \"\"}]}", "'labels[0].label'");
    decode_fails("{\"labels\": [{\"request_id\": \"a\"}]}", "'labels[0].label'");
    decode_fails("{\"labels\": [{\"request_id\": \"a\", \"label\": \"x\\u0000y\"}]}",
                 "'labels[0].label'");
    decode_fails("{\"labels\": [{\"request_id\": \"a\\u0000\", \"label\": 1}]}",
                 "'labels[0].request_id'");
    decode_fails("{\"labels\": [{\"label\": 1}]}", "'labels[0].request_id'");
    decode_fails("{\"labels\": [{\"request_id\": 5, \"label\": 1}]}", "'labels[0].request_id'");
    decode_fails("{\"labels\": [{\"request_id\": \"a\", \"label\": 1, \"timestamp\": -4}]}",
                 "'labels[0].timestamp'");
    decode_fails("{\"labels\": [{\"request_id\": \"a\", \"label\": 1, \"timestamp\": \"soon\"}]}",
                 "'labels[0].timestamp'");
    struct sbuf big = SBUF_INIT;
    sbuf_addstr(&big, "{\"labels\": [");
    for (int i = 0; i <= FEEDBACK_MAX_LABELS; i++)
        sbuf_addf(&big, "%s{\"request_id\": \"r%d\", \"label\": 1}", i ? "," : "", i);
    sbuf_addstr(&big, "]}");
    decode_fails(big.buf, "at most 10000");
    sbuf_release(&big);
}

TEST(feedback_answer_survives_the_wire)
{
    char id0[] = "x-1", id1[] = "0190a0a0-0000-7000-8000-000000000001/3";
    char *ids[2] = {id0, id1};
    struct feedback_result r = {5, ids, 2}, got;
    struct sbuf out = SBUF_INIT;
    struct ferr err = FERR_INIT;
    api_encode_response(&api_feedback_log, &r, &out);
    json_t *j = json_loads(out.buf, 0, NULL);
    ASSERT(j != NULL);
    memset(&got, 0, sizeof(got));
    ASSERT_OK(api_decode_response(&api_feedback_log, j, &got, &err), &err);
    ASSERT_INT_EQ(got.accepted, 5);
    ASSERT_INT_EQ(got.nunknown, 2);
    ASSERT_STR_EQ(got.unknown[1], ids[1]);
    api_release_response(&api_feedback_log, &got);
    json_decref(j);
    sbuf_release(&out);
}

TEST(a_row_survives_its_json)
{
    struct pred_row r, back;
    struct sbuf in = SBUF_INIT, out = SBUF_INIT;
    struct ferr err = FERR_INIT;
    memset(&r, 0, sizeof(r));
    ASSERT(!pred_rid_parse("0190a0a0-0000-7000-8000-00000000000a", 36, r.rid));
    r.row = 1;
    r.nrows = 2;
    r.time_ms = pred_rid_time_ms(r.rid);
    r.target.deployment = strdup("fraud");
    r.target.revision = 3;
    r.target.model = strdup("fraud");
    r.target.version = 2;
    r.target.shadow = 1;
    r.target.columns = strdup("[\"amount\",\"country\",\"email\"]");
    r.target.classes = strdup("[\"ham\",\"spam\"]");
    r.target.task = strdup("");
    r.caller_id = strdup("c-1");
    r.tags = strdup("region=eu,tier=gold");
    r.latency_us = 1234;
    r.status = 200;
    pred_enc_count(&in, 3);
    pred_enc_number(&in, 12.5);
    pred_enc_string(&in, "fr", 2);
    pred_enc_hash(&in, 0x0123456789abcdefULL);
    r.inputs = (unsigned char *)sbuf_detach(&in, &r.ninputs);
    struct pred_value v = {PV_STRING, 0, "spam", 4, 0};
    double proba[2] = {0.25, 0.75};
    pred_outputs_encode(&out, &v, 1, proba, 2);
    r.outputs = (unsigned char *)sbuf_detach(&out, &r.noutputs);
    r.label = strdup("ham");
    r.label_ms = r.time_ms + 5;

    json_t *j = pred_row_json(&r);
    ASSERT_OK(api_pred_row_from_json(j, &back, &err), &err);
    json_t *j2 = pred_row_json(&back);
    ASSERT(json_equal(j, j2));
    ASSERT_INT_EQ(back.ninputs, r.ninputs);
    ASSERT(!memcmp(back.inputs, r.inputs, r.ninputs));
    ASSERT_INT_EQ(back.noutputs, r.noutputs);
    ASSERT(!memcmp(back.outputs, r.outputs, r.noutputs));
    ASSERT_STR_EQ(back.target.model, "fraud");
    ASSERT_INT_EQ(back.target.version, 2);
    ASSERT_STR_EQ(back.tags, "region=eu,tier=gold");
    ASSERT_STR_EQ(back.label, "ham");
    json_decref(j);
    json_decref(j2);
    pred_row_release(&back);
    json_t *empty = json_object();
    ASSERT_FAILS(api_pred_row_from_json(empty, &back, &err), &err, FERR_IO_ERROR);
    json_decref(empty);
    /* several values a row (a multi-output regressor): the same bytes back */
    struct pred_value several[3] = {
        {PV_NUMBER, 1.5, NULL, 0, 0}, {PV_NUMBER, -2, NULL, 0, 0}, {PV_NULL, 0, NULL, 0, 0}};
    free(r.outputs);
    pred_outputs_encode(&out, several, 3, NULL, 0);
    r.outputs = (unsigned char *)sbuf_detach(&out, &r.noutputs);
    j = pred_row_json(&r);
    ASSERT(!json_object_get(j, "corrupt"));
    ASSERT_OK(api_pred_row_from_json(j, &back, &err), &err);
    ASSERT_INT_EQ(back.noutputs, r.noutputs);
    ASSERT(!memcmp(back.outputs, r.outputs, r.noutputs));
    json_decref(j);
    pred_row_release(&back);
    pred_row_release(&r);
}
