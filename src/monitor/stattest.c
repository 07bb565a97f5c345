/* SPDX-License-Identifier: MIT */
#include "monitor/stattest.h"

#include <math.h>
#include <string.h>

#include "base/banned.h"

static const struct {
    const char *name;
    int pvalue;
    int numerical_only;
} tests[STATTEST_COUNT] = {
    [STATTEST_KS] = {"ks", 1, 1},
    [STATTEST_CHISQUARE] = {"chisquare", 1, 0},
    [STATTEST_Z] = {"z", 1, 0},
    [STATTEST_WASSERSTEIN] = {"wasserstein", 0, 1},
    [STATTEST_JENSENSHANNON] = {"jensenshannon", 0, 0},
    [STATTEST_PSI] = {"psi", 0, 0},
    [STATTEST_KL_DIV] = {"kl_div", 0, 0},
    [STATTEST_HELLINGER] = {"hellinger", 0, 0},
};

static int valid_id(enum stattest_id id)
{
    return (int)id >= 0 && (int)id < STATTEST_COUNT;
}

const char *stattest_name(enum stattest_id id)
{
    return valid_id(id) ? tests[id].name : NULL;
}

int stattest_from_name(const char *name, enum stattest_id *out)
{
    for (int i = 0; name && i < STATTEST_COUNT; i++)
        if (!strcmp(tests[i].name, name)) {
            *out = (enum stattest_id)i;
            return 0;
        }
    return -1;
}

int stattest_is_pvalue(enum stattest_id id)
{
    return valid_id(id) && tests[id].pvalue;
}

double stattest_default_threshold(enum stattest_id id)
{
    return stattest_is_pvalue(id) ? 0.05 : 0.1;
}

int stattest_supports(enum stattest_id id, int numerical)
{
    return valid_id(id) && (numerical || !tests[id].numerical_only);
}

int stattest_run(enum stattest_id id, const struct stat_sample *ref, const struct stat_sample *cur,
                 double threshold, struct stattest_result *out, struct ferr *err)
{
    (void)ref;
    (void)cur;
    (void)threshold;
    out->statistic = out->p_value = out->score = NAN;
    out->drifted = 0;
    return ferr_set(err, FERR_NOT_IMPLEMENTED, "stattest '%s' not implemented yet",
                    stattest_name(id) ? stattest_name(id) : "?");
}
