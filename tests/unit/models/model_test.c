/* SPDX-License-Identifier: MIT
 * The models layer: YAML <-> JSON, the MLmodel file, and the native XGBoost
 * flavor against predictions made by libxgboost itself on a model trained
 * here, in MLflow's directory layout. */
#include "../test.h"
#include "base/sbuf.h"
#include "models/mlmodel.h"
#include "models/model.h"
#include "base/yaml_json.h"
#include "ferry/ferry.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xgboost/c_api.h>

static const char mlmodel_text[] =
    "artifact_path: model\n"
    "flavors:\n"
    "  python_function:\n"
    "    data: model.xgb\n"
    "    env:\n"
    "      conda: conda.yaml\n"
    "      virtualenv: python_env.yaml\n"
    "    loader_module: mlflow.xgboost\n"
    "    python_version: 3.11.2\n"
    "  xgboost:\n"
    "    code: null\n"
    "    data: model.xgb\n"
    "    model_class: %s\n"
    "    model_format: xgb\n"
    "    xgb_version: 1.7.4\n"
    "mlflow_version: 2.17.2\n"
    "model_size_bytes: 12345\n"
    "model_uuid: 7f2b0b3c4d5e4f60a1b2c3d4e5f60718\n"
    "run_id: 0123456789abcdef0123456789abcdef\n"
    "saved_input_example_info:\n"
    "  artifact_path: input_example.json\n"
    "  pandas_orient: split\n"
    "  type: dataframe\n"
    "signature:\n"
    "  inputs: '[{\"type\": \"double\", \"name\": \"f0\", \"required\": true}, {\"type\": "
    "\"double\", \"name\": \"f1\", \"required\": true}, {\"type\": \"double\", \"name\": \"f2\", "
    "\"required\": false}]'\n"
    "  outputs: '[{\"type\": \"long\", \"required\": true}]'\n"
    "  params: null\n"
    "utc_time_created: '2024-05-01 10:00:00.000000'\n";

TEST(mlmodel_parses_mlflows_file_and_round_trips)
{
    struct ferr err = FERR_INIT;
    char text[4096];
    snprintf(text, sizeof(text), mlmodel_text, "xgboost.sklearn.XGBClassifier");
    struct mlmodel m, back;
    ASSERT_OK(mlmodel_parse(text, strlen(text), &m, &err), &err);
    ASSERT_STR_EQ(m.artifact_path, "model");
    ASSERT_STR_EQ(m.run_id, "0123456789abcdef0123456789abcdef");
    ASSERT_STR_EQ(m.utc_time_created, "2024-05-01 10:00:00.000000");
    ASSERT_STR_EQ(mlmodel_flavor_str(&m, "xgboost", "model_class"),
                  "xgboost.sklearn.XGBClassifier");
    ASSERT(json_is_null(json_object_get(mlmodel_flavor(&m, "xgboost"), "code")));
    ASSERT_INT_EQ(m.signature.ninputs, 3);
    ASSERT_STR_EQ(m.signature.inputs[2].name, "f2");
    ASSERT_INT_EQ(m.signature.inputs[2].required, 0);
    ASSERT_STR_EQ(m.signature.outputs[0].type, "long");
    struct sbuf out = SBUF_INIT;
    ASSERT_OK(mlmodel_write(&m, &out, &err), &err);
    ASSERT_OK(mlmodel_parse(out.buf, out.len, &back, &err), &err);
    ASSERT(json_equal(m.doc, back.doc)); /* unknown keys and nulls survive */
    sbuf_release(&out);
    mlmodel_release(&back);
    mlmodel_release(&m);
}

TEST(mlmodel_bad_files_are_refused)
{
    struct ferr err = FERR_INIT;
    struct mlmodel m;
    static const char *const bad[] = {
        "artifact_path: [unclosed\n",
        "artifact_path: model\n",
        "flavors: not-a-map\n",
        "flavors: {xgboost: {data: m}}\nsignature:\n  inputs: '{\"not\": \"a list\"}'\n",
        "flavors: {xgboost: {data: m}}\nsignature:\n  inputs: '[{\"name\": \"no type\"}]'\n",
        "? [complex, key]\n: value\nflavors: {}\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (mlmodel_parse(bad[i], strlen(bad[i]), &m, &err) == 0)
            FAIL_AT("accepted %zu: %s", i, bad[i]);
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
    }
    ASSERT_FAILS(mlmodel_read_dir("/nonexistent-dir", &m, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
}

/* Trains a small model on data made here (x for libxgboost, the same values
 * as doubles in xd for ferry) and saves it in MLflow's layout. */
static void train(const char *dir, const char *objective, const char *model_class, float *x,
                  double *xd, size_t rows, size_t cols)
{
    float *y = malloc(rows * sizeof(*y));
    ASSERT(y);
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++)
            xd[r * cols + c] = x[r * cols + c] =
                (float)((r * 7919 + c * 104729) % 1000) / 1000.0f;
        float s = x[r * cols] + 0.5f * x[r * cols + 1] - x[r * cols + 2];
        y[r] = !strcmp(objective, "multi:softprob") ? (float)((int)(s * 3 + 3) % 3)
               : !strcmp(objective, "binary:logistic") ? (s > 0.2f ? 1.0f : 0.0f)
                                                        : s;
    }
    DMatrixHandle dm;
    BoosterHandle b;
    ASSERT(XGDMatrixCreateFromMat(x, rows, cols, NAN, &dm) == 0);
    ASSERT(XGDMatrixSetFloatInfo(dm, "label", y, rows) == 0);
    ASSERT(XGBoosterCreate(&dm, 1, &b) == 0);
    ASSERT(XGBoosterSetParam(b, "objective", objective) == 0);
    ASSERT(XGBoosterSetParam(b, "max_depth", "4") == 0);
    ASSERT(XGBoosterSetParam(b, "nthread", "1") == 0);
    if (!strcmp(objective, "multi:softprob"))
        ASSERT(XGBoosterSetParam(b, "num_class", "3") == 0);
    for (int i = 0; i < 20; i++)
        ASSERT(XGBoosterUpdateOneIter(b, i, dm) == 0);
    ASSERT(mkdir(dir, 0755) == 0);
    struct sbuf p = SBUF_INIT;
    sbuf_addf(&p, "%s/model.xgb", dir);
    ASSERT(XGBoosterSaveModel(b, p.buf) == 0);
    sbuf_reset(&p);
    sbuf_addf(&p, "%s/MLmodel", dir);
    FILE *f = fopen(p.buf, "w");
    ASSERT(f && fprintf(f, mlmodel_text, model_class) > 0 && fclose(f) == 0);
    sbuf_release(&p);
    XGBoosterFree(b);
    XGDMatrixFree(dm);
    free(y);
}

/* libxgboost's own answer for x, loaded from the saved file. */
static const float *reference(const char *dir, const float *x, size_t rows, size_t cols,
                              int type, BoosterHandle *b, DMatrixHandle *dm, bst_ulong *per_row)
{
    struct sbuf p = SBUF_INIT;
    const bst_ulong *shape;
    bst_ulong dim;
    const float *res;
    char config[128];
    sbuf_addf(&p, "%s/model.xgb", dir);
    ASSERT(XGBoosterCreate(NULL, 0, b) == 0 && XGBoosterLoadModel(*b, p.buf) == 0);
    ASSERT(XGDMatrixCreateFromMat(x, rows, cols, NAN, dm) == 0);
    snprintf(config, sizeof(config),
             "{\"type\": %d, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
             "\"strict_shape\": false}",
             type);
    ASSERT(XGBoosterPredictFromDMatrix(*b, *dm, config, &shape, &dim, &res) == 0);
    *per_row = 1;
    for (bst_ulong i = 1; i < dim; i++)
        *per_row *= shape[i];
    sbuf_release(&p);
    return res;
}

TEST(xgboost_flavor_matches_libxgboost)
{
    enum { ROWS = 200, COLS = 3 };
    static float x[ROWS * COLS];
    static double xd[ROWS * COLS];
    struct ferr err = FERR_INIT;
    static const struct {
        const char *objective, *cls;
    } kinds[] = {{"reg:squarederror", "xgboost.sklearn.XGBRegressor"},
                 {"binary:logistic", "xgboost.sklearn.XGBClassifier"},
                 {"multi:softprob", "xgboost.sklearn.XGBClassifier"}};
    for (size_t k = 0; k < 3; k++) {
        struct sbuf dir = SBUF_INIT;
        sbuf_addf(&dir, "%s/model-%zu", test_tmpdir(), k);
        train(dir.buf, kinds[k].objective, kinds[k].cls, x, xd, ROWS, COLS);
        struct model *m;
        ASSERT_OK(model_load_dir(dir.buf, NULL, &m, &err), &err);
        ASSERT_STR_EQ(model_flavor(m), "xgboost");
        struct model_input in = {ROWS, COLS, xd};
        struct model_output out;
        ASSERT_OK(model_predict(m, &in, &out, &err), &err);
        BoosterHandle b;
        DMatrixHandle dm;
        bst_ulong per_row;
        const float *ref = reference(dir.buf, x, ROWS, COLS, 0, &b, &dm, &per_row);
        ASSERT_INT_EQ(out.rows, ROWS);
        for (size_t r = 0; r < ROWS; r++) {
            double want = ref[r * per_row];
            if (k == 1)
                want = ref[r] > 0.5f ? 1 : 0;
            if (k == 2) {
                size_t best = 0;
                for (size_t c = 1; c < per_row; c++)
                    if (ref[r * per_row + c] > ref[r * per_row + best])
                        best = c;
                want = (double)best;
            }
            if (fabs(out.values[r] - want) > 1e-6)
                FAIL_AT("%s row %zu: %g, libxgboost %g", kinds[k].objective, r, out.values[r],
                        want);
        }
        ASSERT_INT_EQ(out.labels, k > 0);
        model_output_release(&out);
        XGDMatrixFree(dm);
        XGBoosterFree(b);
        /* SHAP values: the same numbers libxgboost gives, features + bias per row */
        if (k < 2) {
            ASSERT_OK(model_explain(m, &in, &out, &err), &err);
            ref = reference(dir.buf, x, ROWS, COLS, 2, &b, &dm, &per_row);
            ASSERT_INT_EQ(out.cols, COLS + 1);
            for (size_t i = 0; i < ROWS * (COLS + 1); i++)
                ASSERT(fabs(out.values[i] - ref[i]) <= 1e-6);
            model_output_release(&out);
            XGDMatrixFree(dm);
            XGBoosterFree(b);
        }
        /* wrong width: a clear error */
        struct model_input narrow = {ROWS, 2, xd};
        ASSERT_FAILS(model_predict(m, &narrow, &out, &err), &err, FERR_INVALID_PARAMETER_VALUE);
        ASSERT_CONTAINS(err.msg, "features");
        json_t *d = model_describe(m);
        ASSERT_INT_EQ(json_integer_value(json_object_get(d, "features")), COLS);
        json_decref(d);
        model_free(m);
        sbuf_release(&dir);
    }
}

TEST(xgboost_flavor_corrupt_or_missing_files)
{
    struct ferr err = FERR_INIT;
    struct model *m;
    struct sbuf dir = SBUF_INIT, p = SBUF_INIT;
    sbuf_addf(&dir, "%s/broken", test_tmpdir());
    ASSERT(mkdir(dir.buf, 0755) == 0);
    sbuf_addf(&p, "%s/MLmodel", dir.buf);
    FILE *f = fopen(p.buf, "w");
    ASSERT(f && fprintf(f, mlmodel_text, "xgboost.sklearn.XGBRegressor") > 0 && fclose(f) == 0);
    ASSERT_FAILS(model_load_dir(dir.buf, NULL, &m, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "missing");
    sbuf_reset(&p);
    sbuf_addf(&p, "%s/model.xgb", dir.buf);
    f = fopen(p.buf, "w");
    ASSERT(f && fputs("this is not a model", f) >= 0 && fclose(f) == 0);
    ASSERT_FAILS(model_load_dir(dir.buf, NULL, &m, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    /* a model no native flavor runs */
    sbuf_reset(&p);
    sbuf_addf(&p, "%s/MLmodel", dir.buf);
    f = fopen(p.buf, "w");
    ASSERT(f && fputs("flavors:\n  h2o: {data: model.h2o}\n", f) >= 0 && fclose(f) == 0);
    ASSERT_FAILS(model_load_dir(dir.buf, NULL, &m, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "it has: h2o; ferry runs: xgboost, sklearn");
    /* an sklearn model whose pickle is missing, or that leaves its directory */
    sbuf_reset(&p);
    sbuf_addf(&p, "%s/MLmodel", dir.buf);
    f = fopen(p.buf, "w");
    ASSERT(f && fputs("flavors:\n  sklearn: {pickled_model: model.pkl}\n", f) >= 0 &&
           fclose(f) == 0);
    ASSERT_FAILS(model_load_dir(dir.buf, NULL, &m, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "model.pkl' cannot be read");
    f = fopen(p.buf, "w");
    ASSERT(f && fputs("flavors:\n  sklearn: {pickled_model: ../../etc/passwd}\n", f) >= 0 &&
           fclose(f) == 0);
    ASSERT_FAILS(model_load_dir(dir.buf, NULL, &m, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "leaves the model directory");
    sbuf_release(&dir);
    sbuf_release(&p);
}

/* libferry's model functions on an embedded store: log a model to a run,
 * load it back by runs:/ and models:/ URIs, predict in-process. */
TEST(api_log_load_predict_model)
{
    enum { ROWS = 100, COLS = 3 };
    static float x[ROWS * COLS];
    static double xd[ROWS * COLS];
    struct sbuf db = SBUF_INIT, dir = SBUF_INIT, uri = SBUF_INIT;
    sbuf_addf(&db, "%s/t.db", test_tmpdir());
    sbuf_addf(&dir, "%s/trained", test_tmpdir());
    train(dir.buf, "binary:logistic", "xgboost.sklearn.XGBClassifier", x, xd, ROWS, COLS);
    ferry_client *c;
    char *run;
    ASSERT_INT_EQ(ferry_open(db.buf, &c), FERRY_OK);
    ASSERT_INT_EQ(ferry_start_run(c, NULL, "trainer", NULL, &run), FERRY_OK);
    ASSERT_INT_EQ(ferry_log_model(c, run, dir.buf, "model"), FERRY_OK);
    /* as MLflow's log_model: the history tag names the model */
    ferry_runs *rs;
    const char *ids[] = {"0"};
    ASSERT_INT_EQ(ferry_search_runs(c, ids, 1, NULL, NULL, 10, NULL, &rs), FERRY_OK);
    const char *hist = ferry_runs_tag(rs, 0, "mlflow.log-model.history");
    ASSERT(hist);
    ASSERT_CONTAINS(hist, "\"artifact_path\":\"model\"");
    ASSERT_CONTAINS(hist, run);
    ferry_runs_free(rs);
    /* the reference: the directory loaded directly */
    struct ferr err = FERR_INIT;
    struct model *ref;
    struct model_output want;
    struct model_input in = {ROWS, COLS, xd};
    ASSERT_OK(model_load_dir(dir.buf, NULL, &ref, &err), &err);
    ASSERT_OK(model_predict(ref, &in, &want, &err), &err);
    int64_t v;
    sbuf_addf(&uri, "runs:/%s/model", run);
    ASSERT_INT_EQ(ferry_register_model(c, uri.buf, "clf", &v), FERRY_OK);
    static const char *const uris[] = {NULL, "models:/clf/1", "models:/clf/latest"};
    for (size_t u = 0; u < 3; u++) {
        ferry_model *m;
        double *out;
        size_t ncols;
        ASSERT_INT_EQ(ferry_load_model(c, uris[u] ? uris[u] : uri.buf, &m), FERRY_OK);
        ASSERT_INT_EQ(ferry_predict(m, xd, ROWS, COLS, &out, &ncols), FERRY_OK);
        ASSERT_INT_EQ(ncols, 1);
        for (size_t r = 0; r < ROWS; r++)
            ASSERT(out[r] == want.values[r]);
        ferry_free(out);
        ASSERT_INT_EQ(ferry_predict(m, xd, ROWS, 2, &out, &ncols), FERRY_EINVAL);
        ASSERT_CONTAINS(ferry_last_error(NULL), "features");
        ferry_model_free(m);
    }
    model_output_release(&want);
    model_free(ref);
    /* bad input */
    ferry_model *m;
    ASSERT_INT_EQ(ferry_log_model(c, run, test_tmpdir(), "model2"), FERRY_ENOTFOUND);
    ASSERT_INT_EQ(ferry_log_model(c, run, dir.buf, ""), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_load_model(c, "models:/clf/9", &m), FERRY_ENOTFOUND);
    ASSERT_INT_EQ(ferry_load_model(c, "s3://bucket/m", &m), FERRY_ENOTSUP);
    ASSERT_INT_EQ(ferry_load_model(c, NULL, &m), FERRY_EINVAL);
    ferry_free(run);
    ASSERT_INT_EQ(ferry_close(c), FERRY_OK);
    sbuf_release(&db);
    sbuf_release(&dir);
    sbuf_release(&uri);
}
