/* SPDX-License-Identifier: MIT
 * store/predictions' feedback ids on both backends: a caller's
 * X-Request-Id that is itself a UUIDv7 (callers make those too) labels
 * the row that carries it, after no row had it as ferry's own id; ferry's
 * ids are still taken first. */
#include "../test.h"
#include "base/xalloc.h"
#include "store/predictions.h"
#include "store/store.h"

#include <string.h>

/* 2026-12-01T00:00:00Z */
static const int64_t T0 = 1796083200000LL;

static void row_of(struct pred_row *r, int64_t ms, uint64_t seq, const char *caller)
{
    memset(r, 0, sizeof(*r));
    pred_rid_min(ms, r->rid);
    for (int i = 8; i < 16; i++)
        r->rid[i] = (unsigned char)(seq >> (8 * (15 - i)));
    r->rid[6] = (unsigned char)(0x70 | (r->rid[6] & 0x0f));
    r->rid[8] = (unsigned char)(0x80 | (r->rid[8] & 0x3f));
    r->nrows = 1;
    r->time_ms = ms;
    r->target.deployment = xstrdup("fbids");
    r->target.revision = 1;
    r->target.model = xstrdup("m");
    r->target.version = 1;
    r->target.columns = xstrdup("[]");
    r->target.classes = xstrdup("[]");
    r->target.task = xstrdup("classification");
    r->caller_id = xstrdup(caller);
    r->status = 200;
    struct sbuf b = SBUF_INIT;
    struct pred_value v = {PV_NUMBER, 1, NULL, 0, 0};
    pred_outputs_encode(&b, &v, 1, NULL, 0);
    r->outputs = (unsigned char *)sbuf_detach(&b, &r->noutputs);
}

STORE_TEST(feedback_by_a_callers_uuidv7_labels_its_row)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri("fbids");
    o.default_artifact_root = "/artifacts";
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    free(uri);
    /* the caller's id: a UUIDv7 of another time, which no row has as ferry's id */
    const char *callers = "01890a5d-ac96-774b-bcce-b302099a8057";
    struct pred_row rows[2];
    row_of(&rows[0], T0 + 1000, 1, callers);
    row_of(&rows[1], T0 + 2000, 2, "plain-caller");
    ASSERT_OK(store_predictions_put(s, rows, 2, &err), &err);
    char own[37];
    pred_rid_text(rows[1].rid, own);
    struct feedback_label labels[] = {{callers, "0", 0}, {own, "1", 0}};
    struct feedback_result res;
    ASSERT_OK(store_feedback_put(s, "fbids", labels, 2, "u", &res, &err), &err);
    ASSERT_INT_EQ(res.accepted, 2);
    ASSERT_INT_EQ(res.nunknown, 0);
    feedback_result_release(&res);
    struct pred_row got;
    ASSERT_OK(store_prediction_get(s, "fbids", callers, &got, NULL, &err), &err);
    ASSERT(!memcmp(got.rid, rows[0].rid, PRED_RID_BYTES));
    ASSERT_STR_EQ(got.label, "0");
    pred_row_release(&got);
    /* a UUIDv7 nobody has is still unknown */
    struct feedback_label none = {"01890a5d-ac96-774b-bcce-b302099a8058", "1", 0};
    ASSERT_OK(store_feedback_put(s, "fbids", &none, 1, "u", &res, &err), &err);
    ASSERT_INT_EQ(res.accepted, 0);
    ASSERT_INT_EQ(res.nunknown, 1);
    feedback_result_release(&res);
    pred_row_release(&rows[0]);
    pred_row_release(&rows[1]);
    store_close(s);
}
