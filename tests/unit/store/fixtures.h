/* SPDX-License-Identifier: MIT
 * What the store's tests make over and over, in one place. */
#ifndef FERRY_TESTS_UNIT_STORE_FIXTURES_H
#define FERRY_TESTS_UNIT_STORE_FIXTURES_H

#include "store/store.h"

#include <stdint.h>

/* A new run of user "alice" in experiment_id, named name (NULL: the store
 * picks one), started at start (TIME_NONE: no start time); its run id, a
 * new string. Fails the test when the store refuses it. */
char *fixture_new_run(struct store *s, const char *experiment_id, const char *name, int64_t start);

/* The names of the runs a search of one experiment returns (a page of up
 * to 100, active runs), each followed by a comma: a new string. Fails the
 * test when the store refuses the search. order may be NULL. */
char *fixture_search_names(struct store *s, const char *experiment_id, const char *filter,
                           const char *order);

/* The search both schema-14 migration tests run on the rows they migrated
 * and wrote after: of experiment 8, by lr 0.1, team a, batch 32 and acc
 * above 0.4 (run "four" of another experiment has the same lr, team and
 * acc). It must find run "five" alone; fails the test otherwise. */
void fixture_assert_migrated_search(struct store *s);

/* SQL that takes a SQLite database of schema 14 back to what 13 had
 * (params, tags and latest_metrics without their run's experiment), the
 * version row included, for tests of the migrations from 13 or before. */
extern const char fixture_sqlite_schema_13[];

#endif
