/* SPDX-License-Identifier: MIT
 * gateway/pred_logger.c: tags made canonical, the keyed hash, rows as the
 * writer encodes them (excluded and hashed columns, outputs and class
 * probabilities, failed requests), and a full queue dropping and counting
 * without waiting. */
#include "../test.h"
#include "base/ids.h"
#include "base/json.h"
#include "base/secret.h"
#include "base/xalloc.h"
#include "gateway/pred_logger.h"

#include <math.h>
#include <time.h>

static json_t *seen; /* the rows written, as JSON */

static int keep_rows(void *arg, const struct pred_row *rows, size_t n, struct ferr *err)
{
    (void)arg;
    (void)err;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(seen, pred_row_json(&rows[i]));
    return 0;
}

static void capture(struct score_capture *cap, size_t rows, size_t cols, int ok)
{
    memset(cap, 0, sizeof(*cap));
    cap->rows = rows;
    cap->cols = cols;
    cap->values = xmalloc(rows * cols * sizeof(double));
    for (size_t i = 0; i < rows * cols; i++)
        cap->values[i] = (double)i;
    if (!ok)
        return;
    cap->out.rows = rows;
    cap->out.cols = 1;
    cap->out.labels = 1;
    cap->out.values = xmalloc(rows * sizeof(double));
    cap->out.nproba = 2;
    cap->out.proba = xmalloc(rows * 2 * sizeof(double));
    for (size_t r = 0; r < rows; r++) {
        cap->out.values[r] = (double)(r % 2);
        cap->out.proba[2 * r] = 0.25;
        cap->out.proba[2 * r + 1] = 0.75;
    }
}

TEST(plog_tags_canonical)
{
    struct sbuf sb = SBUF_INIT;
    plog_tags_canonical(" region = eu ,bad,=x,a=1, region=us,c=", &sb);
    ASSERT_STR_EQ(sb.buf, "a=1,c=,region=eu");
    plog_tags_canonical("", &sb);
    ASSERT_STR_EQ(sb.buf, "");
    plog_tags_canonical("k=v w", &sb); /* a space inside: not printable ASCII token */
    ASSERT_STR_EQ(sb.buf, "");
    sbuf_release(&sb);
}

TEST(plog_hash_number_is_hmac_of_the_text)
{
    unsigned char key[32] = {1, 2, 3}, mac[32];
    struct ferr err = FERR_INIT;
    struct secret_mac *m = secret_mac_new(key, &err);
    ASSERT(m);
    ASSERT_INT_EQ(secret_mac_compute(m, "42", 2, mac), 0);
    uint64_t want = 0;
    for (int i = 0; i < 8; i++)
        want = want << 8 | mac[i];
    ASSERT(plog_hash_number(m, 42.0) == want);
    ASSERT_INT_EQ(secret_mac_compute(m, "0.5", 3, mac), 0);
    want = 0;
    for (int i = 0; i < 8; i++)
        want = want << 8 | mac[i];
    ASSERT(plog_hash_number(m, 0.5) == want);
    ASSERT(plog_hash_number(NULL, 1) == 0);
    secret_mac_free(m);
}

TEST(pred_logger_rows)
{
    setenv("FERRY_LOG_HASH_KEY", "test key", 1);
    seen = json_array();
    struct ferr err = FERR_INIT;
    struct pred_logger_opts po = {keep_rows, NULL, 0, 0, 0};
    struct pred_logger *lg = pred_logger_new(&po, &err);
    ASSERT(lg);
    static const char *const cols[] = {"a", "b", "c"};
    struct deploy_log dl;
    memset(&dl, 0, sizeof(dl));
    dl.sample = 1;
    dl.max_payload_bytes = 1000;
    dl.exclude_columns[0] = (char *)"b";
    dl.nexclude = 1;
    dl.hash_columns[0] = (char *)"c";
    dl.nhash = 1;
    struct plog_target_spec ps = {"dep", 3, "m", 2, 0, cols, 3, "classification", &dl};
    struct plog_target *t = plog_target_new(&ps);
    char rid[REQUEST_ID_LEN + 1], rid2[REQUEST_ID_LEN + 1];
    ids_new_request_id(rid);
    ids_new_request_id(rid2);
    struct score_capture cap;
    capture(&cap, 2, 3, 1);
    struct plog_request rq = {rid, "caller-1", "z=1,a=2", 1500, 200, 100};
    ASSERT_INT_EQ(pred_logger_submit(lg, t, &rq, &cap), 0);
    ASSERT(cap.values == NULL); /* taken */
    /* a request the model failed: its inputs, no outputs */
    capture(&cap, 1, 3, 0);
    struct plog_request bad = {rid2, NULL, NULL, 10, 400, 100};
    ASSERT_INT_EQ(pred_logger_submit(lg, t, &bad, &cap), 0);
    pred_logger_free(lg);
    plog_target_unref(t);
    ASSERT_INT_EQ(json_array_size(seen), 3);

    json_t *r0 = json_array_get(seen, 0), *r1 = json_array_get(seen, 1);
    char *text = fjson_dumps(r1, JSON_SORT_KEYS | JSON_COMPACT);
    struct sbuf want = SBUF_INIT;
    sbuf_addf(&want, "\"request_id\":\"%s/1\"", rid);
    ASSERT_CONTAINS(text, want.buf);
    ASSERT_CONTAINS(text, "\"caller_request_id\":\"caller-1\"");
    ASSERT_CONTAINS(text, "\"deployment\":\"dep\"");
    ASSERT_CONTAINS(text, "\"model\":\"m/2\"");
    ASSERT_CONTAINS(text, "\"a\":3");
    ASSERT(!strstr(text, "\"b\":"));
    ASSERT_CONTAINS(text, "\"c\":\"hash:");
    ASSERT_CONTAINS(text, "\"prediction\":1");
    ASSERT_CONTAINS(text, "\"probabilities\":{\"0\":0.25,\"1\":0.75}");
    ASSERT_CONTAINS(text, "\"status\":200");
    free(text);
    /* both rows of the request hash equal values equal, and its tags sorted */
    json_t *tags = json_object_get(r0, "tags");
    ASSERT_STR_EQ(json_string_value(json_object_get(tags, "a")), "2");
    ASSERT(json_object_get(json_object_get(r0, "inputs"), "c"));

    json_t *r2 = json_array_get(seen, 2);
    text = fjson_dumps(r2, JSON_SORT_KEYS | JSON_COMPACT);
    sbuf_reset(&want);
    sbuf_addf(&want, "\"request_id\":\"%s\"", rid2);
    ASSERT_CONTAINS(text, want.buf);
    ASSERT_CONTAINS(text, "\"status\":400");
    ASSERT(!strstr(text, "\"prediction\""));
    free(text);
    sbuf_release(&want);
    json_decref(seen);
}

TEST(pred_logger_full_queue_drops_and_counts)
{
    unsetenv("FERRY_LOG_HASH_KEY");
    seen = json_array();
    struct ferr err = FERR_INIT;
    /* a long flush: nothing is written until the stop, so the queue fills */
    struct pred_logger_opts po = {keep_rows, NULL, 2, 1000, 60000};
    struct pred_logger *lg = pred_logger_new(&po, &err);
    ASSERT(lg);
    struct plog_target_spec ps = {"dep", 1, "m", 1, 0, NULL, 0, NULL, NULL};
    struct plog_target *t = plog_target_new(&ps);
    for (int i = 0; i < 3; i++) {
        char rid[REQUEST_ID_LEN + 1];
        struct score_capture cap;
        ids_new_request_id(rid);
        capture(&cap, 1, 2, 1);
        struct plog_request rq = {rid, NULL, NULL, 1, 200, 10};
        ASSERT_INT_EQ(pred_logger_submit(lg, t, &rq, &cap), i < 2 ? 0 : -1);
    }
    struct pred_logger_counts c;
    pred_logger_counts(lg, &c);
    ASSERT_INT_EQ(c.queued, 2);
    ASSERT_INT_EQ(c.dropped, 1);
    pred_logger_free(lg); /* writes out what is queued */
    plog_target_unref(t);
    ASSERT_INT_EQ(json_array_size(seen), 2);
    /* positional columns when the model names none */
    char *text = fjson_dumps(json_array_get(seen, 0), JSON_SORT_KEYS | JSON_COMPACT);
    ASSERT_CONTAINS(text, "\"inputs\":{\"0\":0,\"1\":1}");
    free(text);
    json_decref(seen);
}

static int calls;

static int refuse(void *arg, const struct pred_row *rows, size_t n, struct ferr *err)
{
    (void)arg;
    (void)rows;
    (void)n;
    calls++;
    return ferr_set(err, FERR_PERMISSION_DENIED, "not an admin");
}

TEST(pred_logger_counts_what_the_store_refuses)
{
    struct ferr err = FERR_INIT;
    struct pred_logger_opts po = {refuse, NULL, 0, 0, 0};
    struct pred_logger *lg = pred_logger_new(&po, &err);
    ASSERT(lg);
    struct plog_target_spec ps = {"dep", 1, "m", 1, 0, NULL, 0, NULL, NULL};
    struct plog_target *t = plog_target_new(&ps);
    char rid[REQUEST_ID_LEN + 1];
    struct score_capture cap;
    ids_new_request_id(rid);
    capture(&cap, 3, 2, 1);
    struct plog_request rq = {rid, NULL, NULL, 1, 200, 10};
    ASSERT_INT_EQ(pred_logger_submit(lg, t, &rq, &cap), 0);
    struct pred_logger_counts c;
    for (int i = 0; i < 200; i++) { /* the writer's 100 ms flush, and a little */
        pred_logger_counts(lg, &c);
        if (c.failed)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ASSERT_INT_EQ(c.failed, 3);
    ASSERT_INT_EQ(c.logged, 0);
    ASSERT_INT_EQ(calls, 1); /* a refusal is not retried */
    pred_logger_free(lg);
    plog_target_unref(t);
}
