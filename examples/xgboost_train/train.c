/* SPDX-License-Identifier: MIT
 * Trains a gradient-boosted classifier with libxgboost's C API on data it
 * generates, and tracks the run with libferry: parameters, per-iteration
 * train/validation metrics, tags, and the final status.
 *
 *   train [--tracking-uri URI] [--experiment NAME] [--rounds N] [--eta X]
 *         [--max-depth N] [--rows N] [--seed N]
 *
 * The data: 8 features uniform in [-1, 1]; the label is 1 when
 * x0 + 0.5*x1*x2 - 0.3*x3 > 0, flipped with probability 0.05 (noise).
 * 80% trains, 20% validates. */
#include <ferry/ferry.h>
#include <xgboost/c_api.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFEAT 8

struct opts {
    const char *uri, *experiment;
    int rounds, max_depth, rows;
    unsigned seed;
    double eta;
};

/* xorshift: reproducible across platforms, unlike rand(). */
static double uniform(unsigned *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return (double)*s / 4294967296.0;
}

static void make_data(const struct opts *o, float *x, float *y)
{
    unsigned s = o->seed ? o->seed : 1;
    for (int i = 0; i < o->rows; i++) {
        float *r = x + (size_t)i * NFEAT;
        for (int j = 0; j < NFEAT; j++)
            r[j] = (float)(uniform(&s) * 2 - 1);
        int label = r[0] + 0.5f * r[1] * r[2] - 0.3f * r[3] > 0;
        if (uniform(&s) < 0.05)
            label = !label;
        y[i] = (float)label;
    }
}

#define XGB(call)                                                                                  \
    do {                                                                                           \
        if ((call) != 0) {                                                                         \
            fprintf(stderr, "train: %s failed: %s\n", #call, XGBGetLastError());                   \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

#define FERRY(call)                                                                                \
    do {                                                                                           \
        ferry_status st_ = (call);                                                                 \
        if (st_ != FERRY_OK) {                                                                     \
            fprintf(stderr, "train: %s: %s: %s\n", #call, ferry_strerror(st_),                     \
                    ferry_last_error(fc));                                                         \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

/* Logs every "name-metric:value" pair of an XGBoost eval line. */
static ferry_status log_eval(ferry_client *fc, const char *run, const char *line, int iter)
{
    char buf[512], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", line);
    for (char *tok = strtok_r(buf, "\t", &save); tok; tok = strtok_r(NULL, "\t", &save)) {
        char *colon = strchr(tok, ':');
        if (!colon || tok[0] == '[')
            continue;
        *colon = '\0';
        ferry_status st = ferry_log_metric(fc, run, tok, strtod(colon + 1, NULL), 0, iter);
        if (st != FERRY_OK)
            return st;
    }
    return FERRY_OK;
}

static double accuracy(BoosterHandle b, DMatrixHandle d, const float *y, int n)
{
    bst_ulong len = 0;
    const float *p = NULL;
    if (XGBoosterPredict(b, d, 0, 0, 0, &len, &p) != 0 || len != (bst_ulong)n)
        return -1;
    int right = 0;
    for (int i = 0; i < n; i++)
        right += (p[i] > 0.5f) == (y[i] > 0.5f);
    return (double)right / n;
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"tracking-uri", required_argument, NULL, 'u'}, {"experiment", required_argument, NULL, 'e'},
        {"rounds", required_argument, NULL, 'r'},       {"eta", required_argument, NULL, 'a'},
        {"max-depth", required_argument, NULL, 'd'},    {"rows", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},         {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'u': o->uri = optarg; break;
        case 'e': o->experiment = optarg; break;
        case 'r': o->rounds = (int)strtol(optarg, NULL, 10); break;
        case 'a': o->eta = strtod(optarg, NULL); break;
        case 'd': o->max_depth = (int)strtol(optarg, NULL, 10); break;
        case 'n': o->rows = (int)strtol(optarg, NULL, 10); break;
        case 's': o->seed = (unsigned)strtoul(optarg, NULL, 10); break;
        default:
            fprintf(stderr, "usage: train [--tracking-uri URI] [--experiment NAME] [--rounds N] "
                            "[--eta X] [--max-depth N] [--rows N] [--seed N]\n");
            return -1;
        }
    }
    if (o->rounds < 1 || o->rows < 10 || o->max_depth < 1 || o->eta <= 0) {
        fprintf(stderr, "train: --rounds, --max-depth, --eta must be positive, --rows >= 10\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = {NULL, "xgboost-example", 20, 4, 2000, 42, 0.3};
    ferry_client *fc = NULL;
    char *exp = NULL, *run = NULL, num[32];
    float *x = NULL, *y = NULL;
    DMatrixHandle dtrain = NULL, dvalid = NULL;
    BoosterHandle b = NULL;
    int ok = 0;
    if (parse(argc, argv, &o))
        return 2;
    int ntrain = o.rows * 4 / 5, nvalid = o.rows - ntrain;
    x = malloc(sizeof(*x) * (size_t)o.rows * NFEAT);
    y = malloc(sizeof(*y) * (size_t)o.rows);
    if (!x || !y) {
        fprintf(stderr, "train: out of memory\n");
        goto fail;
    }
    make_data(&o, x, y);

    if (ferry_open(o.uri, &fc) != FERRY_OK) {
        fprintf(stderr, "train: %s\n", ferry_last_error(NULL));
        goto fail;
    }
    FERRY(ferry_set_experiment(fc, o.experiment, &exp));
    FERRY(ferry_start_run(fc, exp, NULL, NULL, &run));
    printf("run %s in experiment %s\n", run, exp);

    XGB(XGDMatrixCreateFromMat(x, (bst_ulong)ntrain, NFEAT, -999.0f, &dtrain));
    XGB(XGDMatrixSetFloatInfo(dtrain, "label", y, (bst_ulong)ntrain));
    XGB(XGDMatrixCreateFromMat(x + (size_t)ntrain * NFEAT, (bst_ulong)nvalid, NFEAT, -999.0f,
                               &dvalid));
    XGB(XGDMatrixSetFloatInfo(dvalid, "label", y + ntrain, (bst_ulong)nvalid));
    DMatrixHandle both[2] = {dtrain, dvalid};
    const char *names[2] = {"train", "valid"};
    XGB(XGBoosterCreate(both, 2, &b));

    struct {
        const char *k;
        char v[32];
    } params[] = {{"objective", "binary:logistic"}, {"eval_metric", "logloss"},
                  {"max_depth", ""},                {"eta", ""},
                  {"seed", ""},                     {"nthread", "1"}};
    snprintf(params[2].v, sizeof(params[2].v), "%d", o.max_depth);
    snprintf(params[3].v, sizeof(params[3].v), "%g", o.eta);
    snprintf(params[4].v, sizeof(params[4].v), "%u", o.seed);
    for (size_t i = 0; i < sizeof(params) / sizeof(*params); i++) {
        XGB(XGBoosterSetParam(b, params[i].k, params[i].v));
        FERRY(ferry_log_param(fc, run, params[i].k, params[i].v));
    }
    snprintf(num, sizeof(num), "%d", o.rounds);
    FERRY(ferry_log_param(fc, run, "rounds", num));
    snprintf(num, sizeof(num), "%d", o.rows);
    FERRY(ferry_log_param(fc, run, "rows", num));
    FERRY(ferry_set_tag(fc, run, "framework", "xgboost-c-api"));
    FERRY(ferry_set_tag(fc, run, "xgboost.version", "1.7"));

    for (int it = 0; it < o.rounds; it++) {
        const char *eval = NULL;
        XGB(XGBoosterUpdateOneIter(b, it, dtrain));
        XGB(XGBoosterEvalOneIter(b, it, both, names, 2, &eval));
        FERRY(log_eval(fc, run, eval, it));
        double acc = accuracy(b, dvalid, y + ntrain, nvalid);
        if (acc < 0) {
            fprintf(stderr, "train: prediction failed: %s\n", XGBGetLastError());
            goto fail;
        }
        FERRY(ferry_log_metric(fc, run, "valid-accuracy", acc, 0, it));
        printf("%s\tvalid-accuracy:%.4f\n", eval, acc);
    }
    FERRY(ferry_end_run(fc, run, FERRY_RUN_FINISHED));
    ok = 1;
fail:
    if (!ok && fc && run && ferry_end_run(fc, run, FERRY_RUN_FAILED) != FERRY_OK)
        fprintf(stderr, "train: could not mark the run failed: %s\n", ferry_last_error(fc));
    if (b)
        XGBoosterFree(b);
    if (dtrain)
        XGDMatrixFree(dtrain);
    if (dvalid)
        XGDMatrixFree(dvalid);
    if (fc && ferry_close(fc) != FERRY_OK)
        ok = 0;
    ferry_free(exp);
    ferry_free(run);
    free(x);
    free(y);
    return ok ? 0 : 1;
}
