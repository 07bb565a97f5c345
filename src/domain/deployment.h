/* SPDX-License-Identifier: MIT
 * Deployments: a named endpoint that splits traffic across registered
 * model versions (docs/deployments.md is the user's reference; this file
 * is the one place the spec's schema lives in code).
 *
 * A deployment has a SPEC (what the user applied: targets and weights,
 * shadows, routing, the rollout plan, the alias to promote; later areas add
 * their sections here: the prediction log, quality guards) and a STATUS
 * (what the controller made of it: the rollout's step, the live weights,
 * paused or rolled back). The spec has a revision, +1 per apply (and per
 * promote, which rewrites the targets); status changes do not make a new
 * revision, so `apply --revision N` during a rollout is judged against the
 * spec. Every change of either is one entry of the deployment's history
 * (its change number, who, when, what, why).
 *
 * Spec JSON (YAML gives the same, numbers may arrive as strings):
 *   name            1..64 of [A-Za-z0-9_.-], starting with a letter or digit
 *   targets         1..16 answering targets {model, weight}; weights are
 *                   integers 0..100 summing to 100 (a rollout's candidate may
 *                   leave its weight out: steps[0])
 *   shadow          0..8 {model}: get a copy of each request, never answer
 *   routing         {key: "header:<Name>" | "json:<field>"}: sticky by hash
 *   shadow_sample   0..1, default 1
 *   rollout         {steps, interval, min_requests, failure_limit, guards}:
 *                   progressive delivery of the LAST target
 *   promote_alias   moved to the candidate when its rollout completes at 100
 *   log             {sample, max_payload_bytes, exclude_columns,
 *                   hash_columns, retention}: the prediction log (issue 17)
 *   task            "classification" | "regression" (else inferred)
 *   positive_label  the positive class of a binary classifier
 * Unknown keys are refused (a typo must not silently mean "default").
 * Model URIs are models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/STAGE
 * or models:/NAME/latest, resolved to a version when applied; the resolved
 * name and version are part of the stored spec. */
#ifndef FERRY_DOMAIN_DEPLOYMENT_H
#define FERRY_DOMAIN_DEPLOYMENT_H

#include "base/ferr.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define DEPLOY_MAX_TARGETS 16
#define DEPLOY_MAX_SHADOWS 8
#define DEPLOY_MAX_STEPS   32

struct deploy_target {
    char *model;     /* the URI as applied */
    char *name;      /* resolved registered model; NULL until resolved */
    int64_t version; /* resolved version; 0 until resolved */
    int weight;      /* 0..100; -1: not given (a rollout's candidate) */
};

/* A guard's threshold is off when negative. */
struct deploy_guards {
    int64_t window_ms;        /* default 30 s */
    double max_error_rate;    /* share of the candidate's requests that failed */
    double max_p99_ms;        /* the candidate's p99 latency */
    double max_latency_ratio; /* candidate p99 / stable p99 */
    int64_t min_samples;      /* requests at the candidate in the window before judging; 20 */
    /* The quality term (issue 17), judged once at the end of each step as a
     * one-sided non-inferiority test of the candidate's accuracy against
     * the stable target's over the step's labeled rows
     * (domain/ab_test.h's ab_noninferiority_test at alpha 0.05): on when
     * has_accuracy_delta. */
    int has_accuracy_delta;
    double min_accuracy_delta; /* -1..0: the accuracy the candidate may lose, e.g. -0.02 */
    int64_t min_labels;        /* labeled rows per target in the step before judging; 500 */
};

/* The prediction log's section (`log:`): what is kept of each request. */
#define DEPLOY_LOG_MAX_COLUMNS 64
struct deploy_log {
    int present;               /* the spec has a log section (else the defaults) */
    double sample;             /* share of requests logged, 0..1; default 1 */
    int64_t max_payload_bytes; /* a larger request body logs no inputs; default 1 MiB */
    char *exclude_columns[DEPLOY_LOG_MAX_COLUMNS]; /* never logged */
    size_t nexclude;
    char *hash_columns[DEPLOY_LOG_MAX_COLUMNS]; /* logged as a keyed hash */
    size_t nhash;
    int64_t retention_ms; /* partitions older are dropped by `ferry gc`; default 30 days */
};

struct deploy_rollout {
    int present;
    int steps[DEPLOY_MAX_STEPS]; /* strictly increasing, 1..100 */
    size_t nsteps;
    int64_t interval_ms;  /* default 60 s */
    int64_t min_requests; /* at the candidate during a step; default 100 */
    int failure_limit;    /* consecutive breached checks before a rollback; default 1 */
    struct deploy_guards guards;
};

struct deployment_spec {
    char *name;
    struct deploy_target targets[DEPLOY_MAX_TARGETS];
    size_t ntargets;
    struct deploy_target shadows[DEPLOY_MAX_SHADOWS];
    size_t nshadows;
    char *routing_key; /* "header:X-User-Id", "json:user"; NULL: random by weight */
    double shadow_sample;
    struct deploy_rollout rollout;
    char *promote_alias;   /* NULL: none */
    struct deploy_log log; /* defaults when absent */
    char *task;            /* "classification" | "regression"; NULL: absent */
    json_t *positive_label;
};

/* Parses and checks a spec (a JSON object, or YAML's strings-for-numbers).
 * 0, or -1 with INVALID_PARAMETER_VALUE naming the field ("targets[1].weight
 * ...") and *out left empty. Resolved names and versions are read when
 * present (a stored spec). */
int deployment_spec_parse(json_t *doc, struct deployment_spec *out, struct ferr *err) WARN_UNUSED;
/* The spec as JSON, every default written out (a new reference). */
json_t *deployment_spec_to_json(const struct deployment_spec *s);
void deployment_spec_release(struct deployment_spec *s);
/* Checks a deployment's name; INVALID_PARAMETER_VALUE. */
int deployment_name_check(const char *name, struct ferr *err) WARN_UNUSED;

/* 1 when column is in the list (exact match). */
int deploy_log_lists(char *const *list, size_t n, const char *column);

/* The rollout's candidate (the last target), or -1 without a rollout. */
int deployment_candidate(const struct deployment_spec *s);

enum deploy_phase {
    DEPLOY_STABLE,      /* no rollout, or none in progress: the spec's weights */
    DEPLOY_PROGRESSING, /* a rollout at status.step */
    DEPLOY_PAUSED,      /* a rollout held at its step until resumed */
    DEPLOY_ROLLED_BACK, /* the candidate gets nothing */
    DEPLOY_COMPLETE,    /* the rollout reached its last step and stays there */
};
const char *deploy_phase_name(enum deploy_phase p);
int deploy_phase_parse(const char *s, enum deploy_phase *out);

struct deployment_status {
    enum deploy_phase phase;
    int step;                        /* index into rollout.steps; -1 without a rollout */
    int64_t step_started_ms;         /* when the current step began (wall clock, ms) */
    int failures;                    /* consecutive breached checks */
    char *reason;                    /* why the last rollback or pause happened; NULL: none */
    int weights[DEPLOY_MAX_TARGETS]; /* live, per target; sum 100 */
};

/* The status a freshly applied spec starts in, at now_ms. */
void deployment_status_initial(const struct deployment_spec *s, int64_t now_ms,
                               struct deployment_status *out);
/* Recomputes st->weights from the spec, phase and step: without a rollout
 * the spec's weights; in a rollout the candidate gets steps[step] (0 rolled
 * back) and the others share the rest in their listed ratio (largest
 * remainders, ties to the earlier target), always summing to 100. */
void deployment_weights(const struct deployment_spec *s, struct deployment_status *st);

json_t *deployment_status_to_json(const struct deployment_status *st, size_t ntargets);
int deployment_status_parse(json_t *doc, size_t ntargets, struct deployment_status *out,
                            struct ferr *err) WARN_UNUSED;
void deployment_status_release(struct deployment_status *st);
void deployment_status_copy(const struct deployment_status *from, struct deployment_status *to);

/* The routing key of a request whose routing is "json:field": the value
 * of field at the body's top level, or in its first row (dataframe_records,
 * dataframe_split, instances as objects, inputs as columns), as text in
 * out; 0 when found, -1 when the body is not JSON or has no such scalar. */
int deployment_json_routing_key(const char *body, size_t len, const char *field, char *out,
                                size_t size);

#endif
