/* SPDX-License-Identifier: MIT
 * The store tests' fixtures (fixtures.h). */
#include "fixtures.h"
#include "../test.h"

char *fixture_new_run(struct store *s, const char *experiment_id, const char *name, int64_t start)
{
    struct run_create rc = {experiment_id, "alice", name, start, {0}};
    struct run r;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_create_run(s, &rc, &r, &err), &err);
    char *id = strdup(r.info.run_id);
    run_release(&r);
    return id;
}
