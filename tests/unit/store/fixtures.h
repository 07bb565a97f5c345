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

#endif
