/* SPDX-License-Identifier: MIT
 * The table of built-in pipeline steps and the check of a `with` object
 * against it (domain/builtin_steps.h). */
#include "domain/builtin_steps.h"

#include <stdio.h>
#include <string.h>

#include "base/banned.h"

static const char *const validate_keys[] = {"data", "reference", "expectations", "drift", NULL};
static const char *const validate_req[] = {"data", NULL};
static const char *const evaluate_keys[] = {"candidate", "champion", "data", "target",
                                            "metrics",   "slices",   "kind", NULL};
static const char *const evaluate_req[] = {"candidate", "data", "target", NULL};
static const char *const gate_keys[] = {
    "evaluation", "min", "min_improvement", "max_slice_regression", "higher_is_better", NULL};
static const char *const gate_req[] = {"evaluation", NULL};
static const char *const register_keys[] = {"model", "name", "verdict", "alias",
                                            "tags",  "data", NULL};
static const char *const register_req[] = {"model", "name", NULL};
static const char *const deploy_keys[] = {"deployment", "version",       "wait", "timeout",
                                          "rollout",    "promote_alias", NULL};
static const char *const deploy_req[] = {"deployment", "version", NULL};

static const struct builtin_step table[] = {
    {"validate-data",
     validate_keys,
     validate_req,
     {"report", "validation.json"},
     "check a CSV against expectations and a reference (drift)"},
    {"evaluate",
     evaluate_keys,
     evaluate_req,
     {"report", "evaluation.json"},
     "score a candidate model (and the champion) on a CSV"},
    {"gate",
     gate_keys,
     gate_req,
     {"verdict", "gate.json"},
     "decide from an evaluation whether the candidate may be promoted"},
    {"register",
     register_keys,
     register_req,
     {"version", "registered.json"},
     "register the candidate as a model version, tagged with its lineage"},
    {"deploy",
     deploy_keys,
     deploy_req,
     {"rollout", "rollout.json"},
     "roll a registered version out through a deployment and wait"},
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

const struct builtin_step *builtin_steps(size_t *n)
{
    *n = NTABLE;
    return table;
}

const char *builtin_step_names(void)
{
    return "ferry/validate-data, ferry/evaluate, ferry/gate, ferry/register, ferry/deploy";
}

const struct builtin_step *builtin_step_find(const char *uses, int bare)
{
    size_t plen = strlen(BUILTIN_PREFIX);
    if (!uses)
        return NULL;
    if (!strncmp(uses, BUILTIN_PREFIX, plen))
        uses += plen;
    else if (!bare)
        return NULL;
    for (size_t i = 0; i < NTABLE; i++)
        if (!strcmp(table[i].name, uses))
            return &table[i];
    return NULL;
}

static int listed(const char *const *v, const char *k)
{
    for (; *v; v++)
        if (!strcmp(*v, k))
            return 1;
    return 0;
}

int builtin_with_check(const struct builtin_step *b, json_t *with, struct ferr *err)
{
    const char *k;
    json_t *v;
    if (with && !json_is_null(with) && !json_is_object(with))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "with must be a mapping of ferry/%s's settings", b->name);
    if (with && json_is_object(with)) {
        json_object_foreach(with, k, v)
        {
            if (listed(b->keys, k))
                continue;
            char keys[400] = "";
            size_t n = 0;
            for (const char *const *p = b->keys; *p && n < sizeof(keys); p++)
                n += (size_t)snprintf(keys + n, sizeof(keys) - n, "%s%s", n ? ", " : "", *p);
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "with: unknown key '%.128s' for ferry/%s (it takes %s)", k, b->name,
                            keys);
        }
    }
    for (const char *const *p = b->required; *p; p++) {
        v = json_is_object(with) ? json_object_get(with, *p) : NULL;
        if (!v || json_is_null(v))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "with: ferry/%s needs '%s'", b->name,
                            *p);
    }
    return 0;
}
