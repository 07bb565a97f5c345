/* SPDX-License-Identifier: MIT
 * TEMPORARY, branch pg-runs only (the lead drops it on merge): what
 * pg_runs.c needs of pg_logged_models.c until it lands, NOT_IMPLEMENTED. */
#include "store/postgres/pg_int.h"

#include "base/banned.h"

int pg_logged_model_lookup(struct pg_conn *c, const char *model_id, int64_t *id, struct ferr *err)
{
    (void)c, (void)model_id, (void)id;
    return ferr_set(err, FERR_NOT_IMPLEMENTED, "logged models (stub)");
}

int pg_put_model_metrics(struct pg_conn *c, const char *run_id, const struct metric_list *ml,
                         struct ferr *err)
{
    (void)c, (void)run_id, (void)ml;
    return ferr_set(err, FERR_NOT_IMPLEMENTED, "logged models (stub)");
}
