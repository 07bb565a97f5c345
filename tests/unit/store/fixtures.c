/* SPDX-License-Identifier: MIT
 * The store tests' fixtures (fixtures.h). */
#include "fixtures.h"
#include "../test.h"
#include "base/sbuf.h"

#include <stdlib.h>

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

char *fixture_search_names(struct store *s, const char *experiment_id, const char *filter,
                           const char *order)
{
    const char *ids[] = {experiment_id}, *ob[] = {order};
    struct run_search q = {ids, 1, filter, VIEW_ACTIVE_ONLY, 100, order ? ob : NULL, order ? 1 : 0,
                           NULL};
    struct run_list l;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_search_runs(s, &q, &l, &err), &err);
    struct sbuf names = SBUF_INIT;
    for (size_t i = 0; i < l.n; i++)
        sbuf_addf(&names, "%s,", l.v[i].info.run_name);
    run_list_release(&l);
    return sbuf_detach(&names, NULL);
}

void fixture_assert_migrated_search(struct store *s)
{
    char *names = fixture_search_names(
        s, "8", "params.lr = '0.1' and tags.team = 'a' and "
        "params.batch = '32' and metrics.acc > 0.4",
        "metrics.acc DESC");
    ASSERT_STR_EQ(names, "five,");
    free(names);
}

const char fixture_sqlite_schema_13[] =
    "DROP TRIGGER params_fill_experiment; DROP TRIGGER tags_fill_experiment;"
    "DROP TRIGGER latest_metrics_fill_experiment;"
    "DROP INDEX params_by_key_value; DROP INDEX tags_by_key_value;"
    "DROP INDEX latest_metrics_by_key_value;"
    "ALTER TABLE params DROP COLUMN experiment_id; ALTER TABLE tags DROP COLUMN experiment_id;"
    "ALTER TABLE latest_metrics DROP COLUMN experiment_id;"
    "CREATE INDEX params_by_key_value ON params (key, value, run);"
    "CREATE INDEX tags_by_key_value ON tags (key, value, run);"
    "CREATE INDEX latest_metrics_by_key_value ON latest_metrics (key, value, run);"
    "PRAGMA user_version = 13;";
