/* SPDX-License-Identifier: MIT
 * Test tool: trains an XGBoost model on data it makes (no downloads) and
 * saves it in MLflow's xgboost flavor layout, with a signature f0..fN-1 and
 * libxgboost's own predictions for a probe matrix in expected.json:
 *
 *   make_xgb_model DIR reg|binary|multi ROWS COLS
 *
 * expected.json: {"columns": [...], "data": [[...]], "predictions": [...],
 * "contributions": [[...]]} (contributions for reg and binary). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xgboost/c_api.h>

#define CHECK(x)                                                                                 \
    do {                                                                                         \
        if ((x) != 0) {                                                                          \
            fprintf(stderr, "make_xgb_model: %s: %s\n", #x, XGBGetLastError());                   \
            exit(1);                                                                             \
        }                                                                                        \
    } while (0)

static float feature(size_t r, size_t c)
{
    return (float)((r * 7919 + c * 104729 + r * c * 13) % 1000) / 1000.0f;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: make_xgb_model DIR reg|binary|multi ROWS COLS\n");
        return 2;
    }
    const char *dir = argv[1], *kind = argv[2];
    size_t rows = (size_t)atol(argv[3]), cols = (size_t)atol(argv[4]);
    if (rows < 10 || cols < 3)
        return 2;
    float *x = malloc(rows * cols * sizeof(*x)), *y = malloc(rows * sizeof(*y));
    if (!x || !y)
        return 1;
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++)
            x[r * cols + c] = feature(r, c);
        float s = x[r * cols] + 0.5f * x[r * cols + 1] - x[r * cols + 2];
        y[r] = !strcmp(kind, "multi")    ? (float)((int)(s * 3 + 3) % 3)
               : !strcmp(kind, "binary") ? (s > 0.2f ? 1.0f : 0.0f)
                                         : s;
    }
    DMatrixHandle dm;
    BoosterHandle b;
    CHECK(XGDMatrixCreateFromMat(x, rows, cols, NAN, &dm));
    CHECK(XGDMatrixSetFloatInfo(dm, "label", y, rows));
    CHECK(XGBoosterCreate(&dm, 1, &b));
    CHECK(XGBoosterSetParam(b, "objective", !strcmp(kind, "multi")    ? "multi:softprob"
                                            : !strcmp(kind, "binary") ? "binary:logistic"
                                                                      : "reg:squarederror"));
    CHECK(XGBoosterSetParam(b, "max_depth", "6"));
    CHECK(XGBoosterSetParam(b, "nthread", "1"));
    if (!strcmp(kind, "multi"))
        CHECK(XGBoosterSetParam(b, "num_class", "3"));
    for (int i = 0; i < 100; i++)
        CHECK(XGBoosterUpdateOneIter(b, i, dm));
    if (mkdir(dir, 0755) != 0)
        return 1;
    char path[4096];
    snprintf(path, sizeof(path), "%s/model.xgb", dir);
    CHECK(XGBoosterSaveModel(b, path));
    snprintf(path, sizeof(path), "%s/MLmodel", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    fprintf(f,
            "artifact_path: model\nflavors:\n  python_function:\n    data: model.xgb\n"
            "    loader_module: mlflow.xgboost\n  xgboost:\n    data: model.xgb\n"
            "    model_class: xgboost.sklearn.%s\n    model_format: xgb\n"
            "    xgb_version: 1.7.4\nsignature:\n  inputs: '[",
            strcmp(kind, "reg") ? "XGBClassifier" : "XGBRegressor");
    for (size_t c = 0; c < cols; c++)
        fprintf(f, "%s{\"type\": \"double\", \"name\": \"f%zu\", \"required\": true}",
                c ? ", " : "", c);
    fprintf(f, "]'\n  outputs: '[{\"type\": \"%s\"}]'\nutc_time_created: '2026-01-01 00:00:00'\n",
            strcmp(kind, "reg") ? "long" : "double");
    if (fclose(f) != 0)
        return 1;
    /* the probe: 20 rows not seen in training */
    size_t probe = 20;
    float *px = malloc(probe * cols * sizeof(*px));
    for (size_t r = 0; r < probe; r++)
        for (size_t c = 0; c < cols; c++)
            px[r * cols + c] = feature(r + rows + 17, c);
    DMatrixHandle pm;
    const bst_ulong *shape;
    bst_ulong dim;
    const float *res;
    CHECK(XGDMatrixCreateFromMat(px, probe, cols, NAN, &pm));
    static const char cfg[] = "{\"type\": %d, \"training\": false, \"iteration_begin\": 0, "
                              "\"iteration_end\": 0, \"strict_shape\": false}";
    char config[160];
    snprintf(config, sizeof(config), cfg, 0);
    CHECK(XGBoosterPredictFromDMatrix(b, pm, config, &shape, &dim, &res));
    snprintf(path, sizeof(path), "%s/expected.json", dir);
    f = fopen(path, "w");
    if (!f)
        return 1;
    fprintf(f, "{\"columns\": [");
    for (size_t c = 0; c < cols; c++)
        fprintf(f, "%s\"f%zu\"", c ? ", " : "", c);
    fprintf(f, "], \"data\": [");
    for (size_t r = 0; r < probe; r++) {
        fprintf(f, "%s[", r ? ", " : "");
        for (size_t c = 0; c < cols; c++)
            fprintf(f, "%s%.9g", c ? ", " : "", px[r * cols + c]);
        fprintf(f, "]");
    }
    size_t per = dim >= 2 ? shape[1] : 1;
    fprintf(f, "], \"predictions\": [");
    for (size_t r = 0; r < probe; r++) {
        const float *p = res + r * per;
        if (!strcmp(kind, "reg"))
            fprintf(f, "%s%.9g", r ? ", " : "", p[0]);
        else if (per == 1)
            fprintf(f, "%s%d", r ? ", " : "", p[0] > 0.5f);
        else {
            size_t best = 0;
            for (size_t k = 1; k < per; k++)
                if (p[k] > p[best])
                    best = k;
            fprintf(f, "%s%zu", r ? ", " : "", best);
        }
    }
    fprintf(f, "]");
    if (strcmp(kind, "multi")) {
        snprintf(config, sizeof(config), cfg, 2);
        CHECK(XGBoosterPredictFromDMatrix(b, pm, config, &shape, &dim, &res));
        fprintf(f, ", \"contributions\": [");
        for (size_t r = 0; r < probe; r++) {
            fprintf(f, "%s[", r ? ", " : "");
            for (size_t c = 0; c <= cols; c++)
                fprintf(f, "%s%.9g", c ? ", " : "", res[r * (cols + 1) + c]);
            fprintf(f, "]");
        }
        fprintf(f, "]");
    }
    fprintf(f, "}\n");
    if (fclose(f) != 0)
        return 1;
    XGDMatrixFree(pm);
    XGDMatrixFree(dm);
    XGBoosterFree(b);
    free(px);
    free(x);
    free(y);
    return 0;
}
