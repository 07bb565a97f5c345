/* SPDX-License-Identifier: MIT
 * Trains a gradient-boosted binary classifier with libxgboost's C API on data
 * it generates, and tracks the run with libferry: parameters, per-iteration
 * train/validation logloss, error and accuracy, tags, and the final status.
 *
 *   train [--tracking-uri URI] [--experiment NAME] [--run-name NAME]
 *         [--rounds N] [--eta X] [--max-depth N] [--rows N] [--seed N]
 *
 * The data: 8 features uniform in [-1, 1]; the label is 1 when
 * x0 + 0.5*x1*x2 - 0.3*x3 > 0, flipped with probability 0.05 (noise), so
 * the best reachable accuracy is about 95%. 80% trains, 20% validates.
 * Exit status: 0 trained and logged, 1 a failure (the run is marked FAILED
 * when it was started), 2 bad usage. */
#include <ferry/ferry.h>
#include <xgboost/c_api.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFEAT 8

struct opts {
    const char *uri, *experiment, *run_name;
    long rounds, max_depth, rows, seed;
    double eta;
};

struct model {
    DMatrixHandle train, valid;
    BoosterHandle booster;
    int ntrain, nvalid;
    float *x, *y; /* all rows; the validation rows follow the training rows */
};

static const char usage[] =
    "usage: train [--tracking-uri URI] [--experiment NAME] [--run-name NAME]\n"
    "             [--rounds N] [--eta X] [--max-depth N] [--rows N] [--seed N]\n"
    "\n"
    "  --tracking-uri URI  sqlite:///path.db, a file path or http(s)://host:port\n"
    "                      (default: $FERRY_TRACKING_URI, $MLFLOW_TRACKING_URI, ./ferry.db)\n"
    "  --experiment NAME   experiment, created when absent (default xgboost-example)\n"
    "  --run-name NAME     the run's name (default: generated)\n"
    "  --rounds N          boosting rounds (default 20)\n"
    "  --eta X             learning rate (default 0.3)\n"
    "  --max-depth N       tree depth (default 4)\n"
    "  --rows N            rows generated, at least 10 (default 2000)\n"
    "  --seed N            data and training seed (default 42)\n";

/* xorshift32: reproducible across platforms, unlike rand(). */
static double uniform(unsigned *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return (double)*s / 4294967296.0;
}

static void make_data(const struct opts *o, float *x, float *y)
{
    unsigned s = o->seed ? (unsigned)o->seed : 1;
    for (long i = 0; i < o->rows; i++) {
        float *r = x + (size_t)i * NFEAT;
        for (int j = 0; j < NFEAT; j++)
            r[j] = (float)(uniform(&s) * 2 - 1);
        int label = r[0] + 0.5f * r[1] * r[2] - 0.3f * r[3] > 0;
        if (uniform(&s) < 0.05)
            label = !label;
        y[i] = (float)label;
    }
}

static int xgb_ok(int rc, const char *what)
{
    if (rc != 0)
        fprintf(stderr, "train: %s failed: %s\n", what, XGBGetLastError());
    return rc == 0;
}

static int ferry_ok(ferry_client *fc, ferry_status st, const char *what)
{
    if (st != FERRY_OK)
        fprintf(stderr, "train: %s: %s: %s\n", what, ferry_strerror(st), ferry_last_error(fc));
    return st == FERRY_OK;
}

static int parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "train: %s takes an integer from %ld to %ld, not '%s'\n", opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_eta(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    if (errno || end == s || *end || !(*out > 0 && *out <= 1)) {
        fprintf(stderr, "train: --eta takes a number in (0, 1], not '%s'\n", s);
        return -1;
    }
    return 0;
}

/* 0 to train, 1 after --help, -1 on bad usage. */
static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"tracking-uri", required_argument, NULL, 'u'},
        {"experiment", required_argument, NULL, 'e'},
        {"run-name", required_argument, NULL, 'N'},
        {"rounds", required_argument, NULL, 'r'},
        {"eta", required_argument, NULL, 'a'},
        {"max-depth", required_argument, NULL, 'd'},
        {"rows", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, rc = 0;
    while (!rc && (c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'u':
            o->uri = optarg;
            break;
        case 'e':
            o->experiment = optarg;
            break;
        case 'N':
            o->run_name = optarg;
            break;
        case 'r':
            rc = parse_long("--rounds", optarg, 1, 100000, &o->rounds);
            break;
        case 'a':
            rc = parse_eta(optarg, &o->eta);
            break;
        case 'd':
            rc = parse_long("--max-depth", optarg, 1, 64, &o->max_depth);
            break;
        case 'n':
            rc = parse_long("--rows", optarg, 10, 10000000, &o->rows);
            break;
        case 's':
            rc = parse_long("--seed", optarg, 0, 4294967295L, &o->seed);
            break;
        case 'h':
            fputs(usage, stdout);
            return 1;
        default:
            fputs(usage, stderr);
            return -1;
        }
    }
    if (!rc && optind < argc) {
        fprintf(stderr, "train: unexpected argument '%s'\n%s", argv[optind], usage);
        return -1;
    }
    return rc;
}

/* The parameters given to XGBoost, and logged as the run's params. */
static int booster_params(const struct opts *o, const char *kv[][2], char num[][32])
{
    snprintf(num[0], 32, "%ld", o->max_depth);
    snprintf(num[1], 32, "%g", o->eta);
    snprintf(num[2], 32, "%ld", o->seed);
    const char *p[][2] = {{"objective", "binary:logistic"},
                          {"eval_metric", "logloss"},
                          {"eval_metric", "error"},
                          {"max_depth", num[0]},
                          {"eta", num[1]},
                          {"seed", num[2]},
                          {"nthread", "1"}};
    int n = (int)(sizeof(p) / sizeof(*p));
    memcpy(kv, p, sizeof(p));
    return n;
}

static int build_model(const struct opts *o, struct model *m)
{
    const char *kv[16][2];
    char num[3][32];
    m->ntrain = (int)(o->rows * 4 / 5);
    m->nvalid = (int)o->rows - m->ntrain;
    if (!xgb_ok(XGDMatrixCreateFromMat(m->x, (bst_ulong)m->ntrain, NFEAT, -999.0f, &m->train),
                "XGDMatrixCreateFromMat") ||
        !xgb_ok(XGDMatrixSetFloatInfo(m->train, "label", m->y, (bst_ulong)m->ntrain),
                "XGDMatrixSetFloatInfo") ||
        !xgb_ok(XGDMatrixCreateFromMat(m->x + (size_t)m->ntrain * NFEAT, (bst_ulong)m->nvalid,
                                       NFEAT, -999.0f, &m->valid),
                "XGDMatrixCreateFromMat") ||
        !xgb_ok(XGDMatrixSetFloatInfo(m->valid, "label", m->y + m->ntrain, (bst_ulong)m->nvalid),
                "XGDMatrixSetFloatInfo"))
        return -1;
    DMatrixHandle both[2] = {m->train, m->valid};
    if (!xgb_ok(XGBoosterCreate(both, 2, &m->booster), "XGBoosterCreate"))
        return -1;
    int n = booster_params(o, kv, num);
    for (int i = 0; i < n; i++)
        if (!xgb_ok(XGBoosterSetParam(m->booster, kv[i][0], kv[i][1]), "XGBoosterSetParam"))
            return -1;
    return 0;
}

static void free_model(struct model *m)
{
    if (m->booster && XGBoosterFree(m->booster) != 0)
        fprintf(stderr, "train: XGBoosterFree: %s\n", XGBGetLastError());
    if (m->train && XGDMatrixFree(m->train) != 0)
        fprintf(stderr, "train: XGDMatrixFree: %s\n", XGBGetLastError());
    if (m->valid && XGDMatrixFree(m->valid) != 0)
        fprintf(stderr, "train: XGDMatrixFree: %s\n", XGBGetLastError());
    free(m->x);
    free(m->y);
}

static int log_params_and_tags(ferry_client *fc, const char *run, const struct opts *o)
{
    const char *kv[16][2];
    char num[3][32], buf[64];
    int n = booster_params(o, kv, num);
    for (int i = 0; i < n; i++) {
        if (!strcmp(kv[i][0], "eval_metric"))
            continue; /* logged once below: a param cannot take two values */
        if (!ferry_ok(fc, ferry_log_param(fc, run, kv[i][0], kv[i][1]), "log_param"))
            return -1;
    }
    const char *extra[][2] = {{"eval_metric", "logloss,error"}, {"features", "8"}};
    for (size_t i = 0; i < 2; i++)
        if (!ferry_ok(fc, ferry_log_param(fc, run, extra[i][0], extra[i][1]), "log_param"))
            return -1;
    snprintf(buf, sizeof(buf), "%ld", o->rounds);
    if (!ferry_ok(fc, ferry_log_param(fc, run, "rounds", buf), "log_param"))
        return -1;
    snprintf(buf, sizeof(buf), "%ld", o->rows);
    if (!ferry_ok(fc, ferry_log_param(fc, run, "rows", buf), "log_param"))
        return -1;
    int major, minor, patch;
    XGBoostVersion(&major, &minor, &patch);
    snprintf(buf, sizeof(buf), "%d.%d.%d", major, minor, patch);
    return ferry_ok(fc, ferry_set_tag(fc, run, "xgboost.version", buf), "set_tag") &&
                   ferry_ok(fc, ferry_set_tag(fc, run, "framework", "xgboost-c-api"), "set_tag") &&
                   ferry_ok(fc,
                            ferry_set_tag(fc, run, "mlflow.note.content",
                                          "XGBoost on synthetic data, from examples/xgboost_train"),
                            "set_tag")
               ? 0
               : -1;
}

/* Logs every "name-metric:value" pair of an XGBoost eval line, e.g.
 * "[3]\ttrain-logloss:0.41\ttrain-error:0.08\tvalid-logloss:0.45\t...". */
static int log_eval(ferry_client *fc, const char *run, const char *line, long iter)
{
    char buf[1024], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", line);
    for (char *tok = strtok_r(buf, "\t", &save); tok; tok = strtok_r(NULL, "\t", &save)) {
        char *colon = strchr(tok, ':'), *end;
        if (!colon || tok[0] == '[')
            continue;
        *colon = '\0';
        double v = strtod(colon + 1, &end);
        if (end == colon + 1) {
            fprintf(stderr, "train: cannot read '%s' in the eval line\n", colon + 1);
            return -1;
        }
        if (!ferry_ok(fc, ferry_log_metric(fc, run, tok, v, 0, iter), "log_metric"))
            return -1;
    }
    return 0;
}

/* The share of rows whose predicted class matches the label; -1 on failure. */
static double accuracy(BoosterHandle b, DMatrixHandle d, const float *y, int n)
{
    bst_ulong len = 0;
    const float *p = NULL;
    if (!xgb_ok(XGBoosterPredict(b, d, 0, 0, 0, &len, &p), "XGBoosterPredict"))
        return -1;
    if (len != (bst_ulong)n) {
        fprintf(stderr, "train: %llu predictions for %d rows\n", (unsigned long long)len, n);
        return -1;
    }
    int right = 0;
    for (int i = 0; i < n; i++)
        right += (p[i] > 0.5f) == (y[i] > 0.5f);
    return (double)right / n;
}

static int train(ferry_client *fc, const char *run, const struct opts *o, struct model *m)
{
    DMatrixHandle both[2] = {m->train, m->valid};
    const char *names[2] = {"train", "valid"};
    for (long it = 0; it < o->rounds; it++) {
        const char *eval = NULL;
        if (!xgb_ok(XGBoosterUpdateOneIter(m->booster, (int)it, m->train), "UpdateOneIter") ||
            !xgb_ok(XGBoosterEvalOneIter(m->booster, (int)it, both, names, 2, &eval),
                    "EvalOneIter") ||
            log_eval(fc, run, eval, it))
            return -1;
        double tacc = accuracy(m->booster, m->train, m->y, m->ntrain);
        double vacc = accuracy(m->booster, m->valid, m->y + m->ntrain, m->nvalid);
        if (tacc < 0 || vacc < 0 ||
            !ferry_ok(fc, ferry_log_metric(fc, run, "train-accuracy", tacc, 0, it), "log_metric") ||
            !ferry_ok(fc, ferry_log_metric(fc, run, "valid-accuracy", vacc, 0, it), "log_metric"))
            return -1;
        printf("%s\ttrain-accuracy:%.4f\tvalid-accuracy:%.4f\n", eval, tacc, vacc);
    }
    return 0;
}

/* Starts the run, logs and trains; the run ends FINISHED or FAILED. */
static int tracked_training(ferry_client *fc, const struct opts *o, struct model *m)
{
    char *exp = NULL, *run = NULL;
    int rc = -1;
    if (!ferry_ok(fc, ferry_set_experiment(fc, o->experiment, &exp), "set_experiment") ||
        !ferry_ok(fc, ferry_start_run(fc, exp, o->run_name, NULL, &run), "start_run"))
        goto out;
    printf("run %s in experiment %s\n", run, exp);
    if (log_params_and_tags(fc, run, o) == 0 && build_model(o, m) == 0 && train(fc, run, o, m) == 0)
        rc = 0;
    ferry_run_status end = rc ? FERRY_RUN_FAILED : FERRY_RUN_FINISHED;
    if (!ferry_ok(fc, ferry_end_run(fc, run, end), "end_run"))
        rc = -1;
out:
    ferry_free(exp);
    ferry_free(run);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o = {NULL, "xgboost-example", NULL, 20, 4, 2000, 42, 0.3};
    struct model m = {0};
    ferry_client *fc = NULL;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc > 0 ? 0 : 2;
    m.x = malloc(sizeof(*m.x) * (size_t)o.rows * NFEAT);
    m.y = malloc(sizeof(*m.y) * (size_t)o.rows);
    if (!m.x || !m.y) {
        fprintf(stderr, "train: out of memory for %ld rows\n", o.rows);
        free_model(&m);
        return 1;
    }
    make_data(&o, m.x, m.y);
    if (ferry_open(o.uri, &fc) != FERRY_OK) {
        fprintf(stderr, "train: %s\n", ferry_last_error(NULL));
        free_model(&m);
        return 1;
    }
    rc = tracked_training(fc, &o, &m);
    free_model(&m);
    if (ferry_close(fc) != FERRY_OK) {
        fprintf(stderr, "train: closing the client: %s\n", ferry_last_error(NULL));
        rc = -1;
    }
    return rc ? 1 : 0;
}
