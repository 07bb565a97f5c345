/* SPDX-License-Identifier: MIT
 * Scoring one request against one loaded model, as `ferry models serve`
 * answers it and as `ferry serve` (the deployments gateway) must answer it
 * too: the body read by protocol and Content-Type (serving/input.h), the
 * model run (at most one in-process scoring per CPU at a time), the
 * answer's JSON. HTTP (routes, statuses, /metrics, timing) stays with the
 * caller: this file knows nothing of connections.
 *
 * Whose fault a failure was (enum score_outcome), for the rollout guards,
 * which count only the model's:
 *   SCORE_CLIENT_ERROR  the request was refused before the model ran on
 *                       it: an unsupported Content-Type, a body that does
 *                       not parse, a missing column, a value of the wrong
 *                       type (input.h), an input as wide as the model does
 *                       not take (the model's "takes N features" check), or
 *                       /explain of a flavor that cannot explain
 *                       (NOT_IMPLEMENTED). The same request fails the same
 *                       way on every healthy replica of this model.
 *   SCORE_MODEL_ERROR   the model or its runtime failed on a request it
 *                       accepted: predict raised (pypool's BAD_REQUEST "the
 *                       model failed on this input", XGBoost's "prediction
 *                       failed"), a Python worker died or timed out
 *                       (TEMPORARILY_UNAVAILABLE), a worker answered
 *                       nonsense (INTERNAL_ERROR), anything else from the
 *                       model's run.
 * The rule is where the failure happened, not the code: model.c and the
 * flavors report "the model raised" as 400 codes too. The code in err is
 * left as the failure set it, so the HTTP status is the same as before.
 * A candidate whose input schema differs from the stable target's fails
 * with client errors only: a gateway that wants to catch that must compare
 * the targets' client-error rates as well. */
#ifndef FERRY_SERVING_SCORER_H
#define FERRY_SERVING_SCORER_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "models/model_io.h"

#include <stddef.h>

struct model;
struct model_opts;
struct scorer;

enum score_protocol {
    SCORE_MLFLOW,  /* /invocations: JSON or CSV -> {"predictions": [...]} */
    SCORE_EXPLAIN, /* /explain: the same inputs -> {"contributions": [...]} */
    SCORE_OIP_V2,  /* /v2/models/<name>/infer: JSON only -> one "predict" output tensor */
};

enum score_outcome {
    SCORE_OK,
    SCORE_CLIENT_ERROR, /* the request's fault (see above) */
    SCORE_MODEL_ERROR,  /* the model's or its runtime's fault */
};

struct score_request {
    enum score_protocol proto;
    const char *content_type; /* the header as sent; NULL: JSON */
    const char *body;         /* len bytes, not NUL-terminated */
    size_t len;
    const char *name;    /* OIP v2's model_name; NULL: "model" */
    const char *version; /* OIP v2's model_version; NULL: left out */
};

/* A scorer for m, which it takes (scorer_free frees it). In-process
 * flavors score at most one request per online CPU at a time, across
 * every scorer in the process (a gateway's several models share the same
 * CPUs); worker flavors are bounded by their worker pool instead. */
struct scorer *scorer_new(struct model *m);
/* model_load_dir (models/model.h) then scorer_new: a model that does not
 * load (its files, its flavor, its Python workers) is the model's fault,
 * a SCORE_MODEL_ERROR to whoever rolls it out. */
int scorer_load(const char *dir, const struct model_opts *opts, struct scorer **out,
                struct ferr *err) WARN_UNUSED;
/* Frees the scorer and its model; accepts NULL. No scoring may be running. */
void scorer_free(struct scorer *s);
/* The model, for metadata (/v2/models/<name>, /metrics). */
struct model *scorer_model(const struct scorer *s);

/* Scores rq: on SCORE_OK the JSON answer is appended to out and *rows
 * (may be NULL) is the rows scored; otherwise err says why and the
 * outcome whose fault it was, and out is unchanged. Safe to call from
 * several threads at once on one scorer. */
enum score_outcome scorer_score(struct scorer *s, const struct score_request *rq, struct sbuf *out,
                                size_t *rows, struct ferr *err);

/* What a scored request was, for the prediction log: the parsed input and
 * the model's output, handed over rather than copied (so capturing costs
 * the request nothing but their later free). */
struct score_capture {
    size_t rows, cols;
    double *values;          /* rows * cols, row-major; NULL: the body did not parse */
    struct model_output out; /* the model's answer (with proba); zeroed unless SCORE_OK */
};
void score_capture_release(struct score_capture *c);

/* scorer_score, and the input and output kept in *cap (which the caller
 * releases, whatever the outcome). cap NULL: scorer_score. */
enum score_outcome scorer_score_capture(struct scorer *s, const struct score_request *rq,
                                        struct sbuf *out, size_t *rows, struct score_capture *cap,
                                        struct ferr *err);

/* The names of the columns of a captured matrix, in its order: a named
 * signature's inputs (the matrix is put in the signature's order); NULL
 * when the model has no named signature (columns are then positional and
 * their names are not known). *n gets how many. Valid while s lives. */
const char *const *scorer_columns(const struct scorer *s, size_t *n);

#endif
