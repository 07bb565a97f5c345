/* SPDX-License-Identifier: MIT
 * The built-in pipeline steps (issue 21): `uses: ferry/NAME` with
 * `with: {...}`. This table is what the spec parser knows of them: their
 * names, the `with` keys each takes (and which are required), and the
 * outputs each declares (a uses step may not declare its own). What they
 * do at run time is pipelines/builtin_*.c (`ferry step NAME`).
 *
 *   ferry/validate-data  with data*, reference, expectations, drift
 *                        -> report (validation.json)
 *   ferry/evaluate       with candidate*, champion, data*, target*, metrics,
 *                        slices, kind -> report (evaluation.json)
 *   ferry/gate           with evaluation*, min, min_improvement,
 *                        max_slice_regression, higher_is_better
 *                        -> verdict (gate.json)
 *   ferry/register       with model*, name*, verdict, alias, tags, data
 *                        -> version (registered.json)
 *   ferry/deploy         with deployment*, version*, wait, timeout
 *                        -> rollout (rollout.json)
 * (* required). Thread-safety: the table is constant. */
#ifndef FERRY_DOMAIN_BUILTIN_STEPS_H
#define FERRY_DOMAIN_BUILTIN_STEPS_H

#include "base/ferr.h"

#include <jansson.h>
#include <stddef.h>

#define BUILTIN_PREFIX "ferry/"

struct builtin_output {
    const char *name; /* the output's name ({steps.S.outputs.NAME}) */
    const char *path; /* its file in the step's output directory */
};

struct builtin_step {
    const char *name;             /* "validate-data" (without "ferry/") */
    const char *const *keys;      /* the `with` keys it takes, NULL-terminated */
    const char *const *required;  /* those that must be given, NULL-terminated */
    struct builtin_output output; /* every built-in declares exactly one output */
    const char *summary;          /* one line, for `ferry step --help` */
};

/* The built-in named `uses` ("ferry/gate"; the bare "gate" too when
 * bare is 1), or NULL. */
const struct builtin_step *builtin_step_find(const char *uses, int bare);
/* Every built-in, in the order above; *n set to their count. */
const struct builtin_step *builtin_steps(size_t *n);
/* "ferry/validate-data, ferry/evaluate, ..." (static text). */
const char *builtin_step_names(void);

/* Checks a `with` object against b: an object, no unknown key, every
 * required key present and not null. -1 with INVALID_PARAMETER_VALUE:
 * "with: unknown key 'x' for ferry/gate (evaluation, min, ...)", "with:
 * ferry/gate needs 'evaluation'". `with` may be NULL (no `with:`). */
int builtin_with_check(const struct builtin_step *b, json_t *with, struct ferr *err) WARN_UNUSED;

#endif
