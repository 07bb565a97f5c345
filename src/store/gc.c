/* SPDX-License-Identifier: MIT
 * The gc front: argument checks, then the backend (s->gc). */
#include "store/gc.h"
#include "store/backend.h"
#include "domain/validate.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define AREA "garbage collection"

int store_gc_candidates(struct store *s, int64_t deleted_before, struct kv_list *runs,
                        struct kv_list *experiments, struct ferr *err)
{
    memset(runs, 0, sizeof(*runs));
    memset(experiments, 0, sizeof(*experiments));
    if (!s->gc)
        return store_lacks(s, AREA, err);
    return s->gc->candidates(s, deleted_before, runs, experiments, err);
}

int store_purge_run(struct store *s, const char *run_id, struct ferr *err)
{
    if (!s->gc)
        return store_lacks(s, AREA, err);
    if (validate_run_id(run_id, err))
        return -1;
    return s->gc->purge_run(s, run_id, err);
}

int store_purge_experiment(struct store *s, const char *experiment_id, struct ferr *err)
{
    if (!s->gc)
        return store_lacks(s, AREA, err);
    if (validate_experiment_id(experiment_id, err))
        return -1;
    int64_t id = strtoll(experiment_id, NULL, 10);
    if (id == 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the Default experiment (0) cannot be purged");
    return s->gc->purge_experiment(s, id, err);
}
