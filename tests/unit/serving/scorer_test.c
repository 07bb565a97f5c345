/* SPDX-License-Identifier: MIT
 * serving/scorer.c: the answers of each protocol, and whose fault each
 * kind of failure is (the rollout guards count only the model's): on an
 * XGBoost model trained here, and on two tiny Python "models" (stdlib
 * pickles) whose predict raises or kills its worker. */
#include "../test.h"
#include "base/sbuf.h"
#include "models/model.h"
#include "serving/scorer.h"

#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xgboost/c_api.h>

static const char xgb_mlmodel[] =
    "flavors:\n"
    "  xgboost: {data: model.xgb, model_class: xgboost.sklearn.XGBRegressor}\n"
    "%s";
static const char xgb_signature[] =
    "signature:\n"
    "  inputs: '[{\"type\": \"double\", \"name\": \"f0\"}, {\"type\": \"double\", \"name\": "
    "\"f1\"}, {\"type\": \"double\", \"name\": \"f2\", \"required\": false}]'\n";

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    struct sbuf p = SBUF_INIT;
    sbuf_addf(&p, "%s/%s", dir, name);
    FILE *f = fopen(p.buf, "wb");
    ASSERT(f && fwrite(data, 1, len, f) == len && fclose(f) == 0);
    sbuf_release(&p);
}

/* A 3-feature regressor in MLflow's layout, with or without a signature. */
static char *xgb_model(const char *name, int signature)
{
    enum { ROWS = 64, COLS = 3 };
    float x[ROWS * COLS], y[ROWS];
    for (size_t r = 0; r < ROWS; r++) {
        for (size_t c = 0; c < COLS; c++)
            x[r * COLS + c] = (float)((r * 7919 + c * 104729) % 1000) / 1000.0f;
        y[r] = x[r * COLS] + 0.5f * x[r * COLS + 1] - x[r * COLS + 2];
    }
    DMatrixHandle dm;
    BoosterHandle b;
    ASSERT(XGDMatrixCreateFromMat(x, ROWS, COLS, NAN, &dm) == 0);
    ASSERT(XGDMatrixSetFloatInfo(dm, "label", y, ROWS) == 0);
    ASSERT(XGBoosterCreate(&dm, 1, &b) == 0);
    ASSERT(XGBoosterSetParam(b, "nthread", "1") == 0);
    for (int i = 0; i < 5; i++)
        ASSERT(XGBoosterUpdateOneIter(b, i, dm) == 0);
    struct sbuf dir = SBUF_INIT, p = SBUF_INIT;
    sbuf_addf(&dir, "%s/%s", test_tmpdir(), name);
    ASSERT(mkdir(dir.buf, 0755) == 0);
    sbuf_addf(&p, "%s/model.xgb", dir.buf);
    ASSERT(XGBoosterSaveModel(b, p.buf) == 0);
    sbuf_reset(&p);
    sbuf_addf(&p, xgb_mlmodel, signature ? xgb_signature : "");
    write_file(dir.buf, "MLmodel", p.buf, p.len);
    XGBoosterFree(b);
    XGDMatrixFree(dm);
    sbuf_release(&p);
    return sbuf_detach(&dir, NULL);
}

static struct scorer *load(const char *dir)
{
    struct ferr err = FERR_INIT;
    struct scorer *s = NULL;
    ASSERT_OK(scorer_load(dir, NULL, &s, &err), &err);
    return s;
}

/* Scores body; checks the outcome; returns the answer or the error text. */
static char *score(struct scorer *s, enum score_protocol proto, const char *ctype, const char *body,
                   enum score_outcome want, enum ferr_code want_code)
{
    struct score_request rq = {proto, ctype, body, strlen(body), "m", "3"};
    struct sbuf out = SBUF_INIT;
    struct ferr err = FERR_INIT;
    size_t rows = 0;
    enum score_outcome got = scorer_score(s, &rq, &out, &rows, &err);
    if (got != want || err.code != want_code)
        FAIL_AT("%s: outcome %d (want %d), %s (want %s): %s", body, (int)got, (int)want,
                ferr_code_name(err.code), ferr_code_name(want_code), err.msg);
    if (got != SCORE_OK) {
        ASSERT_INT_EQ(out.len, 0);
        sbuf_addstr(&out, err.msg);
    } else {
        ASSERT(rows > 0);
    }
    return sbuf_detach(&out, NULL);
}

#define CHECK(s, proto, ctype, body, outcome, code, needle)                                        \
    do {                                                                                           \
        char *a_ = score(s, proto, ctype, body, outcome, code);                                    \
        ASSERT_CONTAINS(a_, needle);                                                               \
        free(a_);                                                                                  \
    } while (0)

static const char split[] =
    "{\"dataframe_split\": {\"columns\": [\"f0\", \"f1\", \"f2\"], \"data\": [[0.1, 0.2, 0.3], "
    "[0.5, 0.5, 0.5]]}}";

TEST(scorer_answers_every_protocol)
{
    char *dir = xgb_model("xgb", 1);
    struct scorer *s = load(dir);
    ASSERT_STR_EQ(model_flavor(scorer_model(s)), "xgboost");
    CHECK(s, SCORE_MLFLOW, NULL, split, SCORE_OK, FERR_OK, "{\"predictions\":[");
    CHECK(s, SCORE_MLFLOW, "application/json; charset=utf-8", split, SCORE_OK, FERR_OK,
          "{\"predictions\":[");
    CHECK(s, SCORE_MLFLOW, "text/csv", "f0,f1,f2\n0.1,0.2,0.3\n", SCORE_OK, FERR_OK,
          "{\"predictions\":[");
    CHECK(s, SCORE_EXPLAIN, NULL, split, SCORE_OK, FERR_OK, "{\"contributions\":[[");
    CHECK(s, SCORE_OIP_V2, NULL,
          "{\"inputs\": [{\"name\": \"input-0\", \"shape\": [2, 3], \"datatype\": \"FP64\", "
          "\"data\": [0.1, 0.2, 0.3, 0.5, 0.5, 0.5]}]}",
          SCORE_OK, FERR_OK,
          "{\"model_name\":\"m\",\"model_version\":\"3\",\"outputs\":[{\"name\":\"predict\","
          "\"shape\":[2],\"datatype\":\"FP64\",\"data\":[");
    scorer_free(s);
    free(dir);
}

TEST(scorer_blames_the_client_for_what_it_sent)
{
    char *dir = xgb_model("xgb", 1);
    struct scorer *s = load(dir);
    CHECK(s, SCORE_MLFLOW, "text/plain", split, SCORE_CLIENT_ERROR, FERR_BAD_REQUEST,
          "unsupported Content-Type 'text/plain'");
    /* OIP v2 is JSON only */
    CHECK(s, SCORE_OIP_V2, "text/csv", "f0,f1\n1,2\n", SCORE_CLIENT_ERROR, FERR_BAD_REQUEST,
          "unsupported Content-Type");
    CHECK(s, SCORE_MLFLOW, NULL, "{\"dataframe_split\": ", SCORE_CLIENT_ERROR, FERR_BAD_REQUEST,
          "");
    CHECK(s, SCORE_MLFLOW, NULL, "{\"dataframe_records\": [{\"f1\": 1}]}", SCORE_CLIENT_ERROR,
          FERR_INVALID_PARAMETER_VALUE, "missing required column 'f0'");
    CHECK(s, SCORE_MLFLOW, NULL, "{\"dataframe_records\": [{\"f0\": \"x\", \"f1\": 1}]}",
          SCORE_CLIENT_ERROR, FERR_INVALID_PARAMETER_VALUE,
          "'f0' holds a value that is not a number");
    scorer_free(s);
    free(dir);
    /* Without a signature the width is the request's: the model refuses it. */
    dir = xgb_model("bare", 0);
    s = load(dir);
    CHECK(s, SCORE_MLFLOW, NULL, "{\"instances\": [[1, 2]]}", SCORE_CLIENT_ERROR,
          FERR_INVALID_PARAMETER_VALUE, "the model takes 3 features, the input has 2 columns");
    CHECK(s, SCORE_MLFLOW, NULL, "{\"instances\": [[1, 2, 3]]}", SCORE_OK, FERR_OK,
          "{\"predictions\":[");
    scorer_free(s);
    free(dir);
}

/* Two stdlib pickles: SimpleNamespace(predict=operator.itemgetter("x")),
 * whose predict raises on any array, and SimpleNamespace(predict=sys.exit),
 * whose predict ends its worker (SystemExit is no Exception). */
static const char raises_pkl[] =
    "\x80\x02"
    "ctypes\x0aSimpleNamespace\x0aq\x00)Rq\x01}q\x02X\x07\x00\x00\x00predictq\x03"
    "coperator\x0aitemgetter\x0aq\x04X\x01\x00\x00\x00xq\x05\x85q\x06Rq\x07sb.";
static const char exits_pkl[] =
    "\x80\x02"
    "ctypes\x0aSimpleNamespace\x0aq\x00)Rq\x01}q\x02X\x07\x00\x00\x00predictq\x03"
    "csys\x0a"
    "exit\x0aq\x04sb.";

static char *py_model(const char *name, const char *pkl, size_t len)
{
    static const char mlmodel[] =
        "flavors:\n"
        "  python_function: {loader_module: mlflow.sklearn}\n"
        "  sklearn: {pickled_model: model.pkl, serialization_format: pickle}\n";
    struct sbuf dir = SBUF_INIT;
    sbuf_addf(&dir, "%s/%s", test_tmpdir(), name);
    ASSERT(mkdir(dir.buf, 0755) == 0);
    write_file(dir.buf, "MLmodel", mlmodel, sizeof(mlmodel) - 1);
    write_file(dir.buf, "model.pkl", pkl, len);
    return sbuf_detach(&dir, NULL);
}

static int have_python_numpy(void)
{
    const char *py = getenv("FERRY_PYTHON");
    struct sbuf cmd = SBUF_INIT;
    sbuf_addf(&cmd, "%s -c 'import numpy' 2>/dev/null", py && *py ? py : "/usr/bin/python3");
    int ok = system(cmd.buf) == 0;
    sbuf_release(&cmd);
    return ok;
}

TEST(scorer_blames_the_model_for_what_it_did)
{
    if (!have_python_numpy()) {
        fprintf(stderr, "    skipped: no Python with numpy\n");
        return;
    }
    struct model_opts mo = {1, 20000};
    struct ferr err = FERR_INIT;
    struct scorer *s = NULL;
    char *dir = py_model("raises", raises_pkl, sizeof(raises_pkl) - 1);
    ASSERT_OK(scorer_load(dir, &mo, &s, &err), &err);
    CHECK(s, SCORE_MLFLOW, NULL, "{\"instances\": [[1, 2]]}", SCORE_MODEL_ERROR, FERR_BAD_REQUEST,
          "the model failed on this input");
    /* a request refused before the model runs is still the client's */
    CHECK(s, SCORE_MLFLOW, NULL, "[1,", SCORE_CLIENT_ERROR, FERR_BAD_REQUEST, "");
    /* and so is asking for what the flavor does not do */
    CHECK(s, SCORE_EXPLAIN, NULL, "{\"instances\": [[1, 2]]}", SCORE_CLIENT_ERROR,
          FERR_NOT_IMPLEMENTED, "cannot explain");
    scorer_free(s);
    free(dir);
    dir = py_model("exits", exits_pkl, sizeof(exits_pkl) - 1);
    ASSERT_OK(scorer_load(dir, &mo, &s, &err), &err);
    CHECK(s, SCORE_MLFLOW, NULL, "{\"instances\": [[1, 2]]}", SCORE_MODEL_ERROR,
          FERR_TEMPORARILY_UNAVAILABLE, "");
    scorer_free(s);
    free(dir);
}

/* The prediction log's capture: the matrix in the signature's order with
 * the signature's names, the answer handed over, the matrix kept when the
 * model fails and nothing when the body does not parse. */
TEST(scorer_captures_input_and_output_for_the_log)
{
    char *dir = xgb_model("xgb", 1);
    struct scorer *s = load(dir);
    size_t n;
    const char *const *cols = scorer_columns(s, &n);
    ASSERT_INT_EQ(n, 3);
    ASSERT_STR_EQ(cols[0], "f0");
    ASSERT_STR_EQ(cols[2], "f2");
    static const char swapped[] =
        "{\"dataframe_split\": {\"columns\": [\"f2\", \"f0\", \"f1\"], \"data\": [[0.3, 0.1, "
        "0.2]]}}";
    struct score_request rq = {SCORE_MLFLOW, NULL, swapped, strlen(swapped), NULL, NULL};
    struct sbuf out = SBUF_INIT;
    struct ferr err = FERR_INIT;
    struct score_capture cap;
    ASSERT_INT_EQ(scorer_score_capture(s, &rq, &out, NULL, &cap, &err), SCORE_OK);
    ASSERT_INT_EQ(cap.rows, 1);
    ASSERT_INT_EQ(cap.cols, 3);
    ASSERT(cap.values[0] == 0.1 && cap.values[1] == 0.2 && cap.values[2] == 0.3);
    ASSERT_INT_EQ(cap.out.rows, 1);
    ASSERT(cap.out.values && cap.out.nproba == 0); /* a regressor: no probabilities */
    score_capture_release(&cap);
    /* too wide for the model: the model's check refuses it, the input is kept */
    static const char wide[] = "{\"instances\": [[1, 2, 3, 4]]}";
    struct scorer *unsigned_s = NULL;
    char *dir2 = xgb_model("xgb2", 0);
    ASSERT_OK(scorer_load(dir2, NULL, &unsigned_s, &err), &err);
    ASSERT(scorer_columns(unsigned_s, &n) == NULL && n == 0);
    rq = (struct score_request){SCORE_MLFLOW, NULL, wide, strlen(wide), NULL, NULL};
    ASSERT_INT_EQ(scorer_score_capture(unsigned_s, &rq, &out, NULL, &cap, &err),
                  SCORE_CLIENT_ERROR);
    ASSERT(cap.values && cap.cols == 4 && cap.out.values == NULL);
    score_capture_release(&cap);
    rq = (struct score_request){SCORE_MLFLOW, NULL, "{", 1, NULL, NULL};
    ASSERT_INT_EQ(scorer_score_capture(s, &rq, &out, NULL, &cap, &err), SCORE_CLIENT_ERROR);
    ASSERT(cap.values == NULL);
    score_capture_release(&cap);
    sbuf_release(&out);
    scorer_free(unsigned_s);
    scorer_free(s);
    free(dir2);
    free(dir);
}
