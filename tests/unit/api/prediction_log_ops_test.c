/* SPDX-License-Identifier: MIT
 * api/prediction_log_ops.c: a batch of logged rows through the REST
 * codec and back (targets sent once), and what the server refuses. */
#include "../test.h"
#include "api/prediction_log_ops.h"
#include "base/json.h"
#include "base/xalloc.h"

static const char RID[] = "01890a5d-ac96-774b-bcce-b302099a8057";

static void row(struct pred_row *r, uint32_t k, const char *model)
{
    struct sbuf in = SBUF_INIT, out = SBUF_INIT;
    struct pred_value p = {PV_NUMBER, 1, NULL, 0, 0};
    double proba[2] = {0.25, 0.75};
    memset(r, 0, sizeof(*r));
    if (pred_rid_parse(RID, 36, r->rid))
        FAIL_AT("rid");
    r->row = k;
    r->nrows = 3;
    r->time_ms = pred_rid_time_ms(r->rid);
    r->target.deployment = xstrdup("dep");
    r->target.revision = 2;
    r->target.model = xstrdup(model);
    r->target.version = 7;
    r->target.columns = xstrdup("[\"a\",\"b\"]");
    r->target.classes = xstrdup("[0,1]");
    r->target.task = xstrdup("classification");
    r->caller_id = k ? NULL : xstrdup("caller");
    r->tags = xstrdup("a=1");
    r->latency_us = 900 + k;
    r->status = 200;
    pred_enc_count(&in, 2);
    pred_enc_number(&in, 0.5);
    pred_enc_hash(&in, 42);
    pred_outputs_encode(&out, &p, 1, proba, 2);
    r->inputs = (unsigned char *)sbuf_detach(&in, &r->ninputs);
    r->outputs = (unsigned char *)sbuf_detach(&out, &r->noutputs);
}

TEST(prediction_log_rows_round_trip)
{
    struct pred_row rows[3];
    row(&rows[0], 0, "m");
    row(&rows[1], 1, "m");
    row(&rows[2], 2, "other");
    struct rq_predictions_log q = {{rows, 3, 3}};
    json_t *doc = api_encode_request(&api_predictions_log, &q);
    ASSERT_INT_EQ(json_array_size(json_object_get(doc, "targets")), 2);
    char *text = fjson_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    doc = json_loads(text, 0, NULL);
    free(text);
    struct rq_predictions_log back;
    struct ferr err = FERR_INIT;
    memset(&back, 0, sizeof(back));
    ASSERT_INT_EQ(api_decode_request(&api_predictions_log, doc, &back, &err), 0);
    ASSERT_INT_EQ(back.rows.n, 3);
    for (size_t i = 0; i < 3; i++) {
        struct pred_row *a = &rows[i], *b = &back.rows.v[i];
        ASSERT(memcmp(a->rid, b->rid, PRED_RID_BYTES) == 0);
        ASSERT_INT_EQ(a->row, b->row);
        ASSERT_INT_EQ(a->nrows, b->nrows);
        ASSERT_INT_EQ(a->time_ms, b->time_ms);
        ASSERT(pred_target_equal(&a->target, &b->target));
        ASSERT_INT_EQ(a->latency_us, b->latency_us);
        ASSERT_INT_EQ(a->ninputs, b->ninputs);
        ASSERT(memcmp(a->inputs, b->inputs, a->ninputs) == 0);
        ASSERT_INT_EQ(a->noutputs, b->noutputs);
        ASSERT(memcmp(a->outputs, b->outputs, a->noutputs) == 0);
        ASSERT_STR_EQ(b->tags, "a=1");
    }
    ASSERT_STR_EQ(back.rows.v[0].caller_id, "caller");
    ASSERT(back.rows.v[1].caller_id == NULL);
    api_release_request(&api_predictions_log, &back);

    /* refused: a row naming no target, a bad id, a blob that does not decode */
    static const char *const bad[] = {
        "{\"targets\": [], \"rows\": [{\"target\": 0}]}",
        "{\"targets\": [{\"deployment\": \"d\", \"revision\": 1, \"model\": \"m\", \"version\": 1, "
        "\"columns\": \"[]\", \"classes\": \"[]\"}], \"rows\": [{\"target\": 0, \"rid\": \"x\", "
        "\"row\": 0, \"nrows\": 1, \"time_ms\": 1, \"latency_us\": 1, \"status\": 200}]}",
        "{\"targets\": [{\"deployment\": \"d\", \"revision\": 1, \"model\": \"m\", \"version\": 1, "
        "\"columns\": \"[]\", \"classes\": \"[]\"}], \"rows\": [{\"target\": 0, \"rid\": "
        "\"01890a5d-ac96-774b-bcce-b302099a8057\", \"row\": 0, \"nrows\": 1, \"time_ms\": 1, "
        "\"latency_us\": 1, \"status\": 200, \"inputs\": \"BQ==\"}]}",
        "{\"targets\": [{\"deployment\": \"../x\", \"revision\": 1, \"model\": \"m\", "
        "\"version\": 1, \"columns\": \"[]\", \"classes\": \"[]\"}], \"rows\": []}",
        "{\"rows\": 5}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        json_t *j = json_loads(bad[i], 0, NULL);
        ASSERT(j);
        memset(&back, 0, sizeof(back));
        ferr_clear(&err);
        ASSERT_INT_EQ(api_decode_request(&api_predictions_log, j, &back, &err), -1);
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
        json_decref(j);
    }
    json_decref(doc);
    for (size_t i = 0; i < 3; i++)
        pred_row_release(&rows[i]);
}
