/* SPDX-License-Identifier: MIT
 * Experiments on PostgreSQL across replicas (separate store handles on one
 * database, each with its own connections): a name raced for by creates or
 * renames is won once and the losers hear RESOURCE_ALREADY_EXISTS, as the
 * name check would have told them; ids taken at the same time differ and
 * each default artifact location names its own id; deletes and restores of
 * one experiment take turns (each success flips the state, none is lost). */
#include "../test.h"
#include "store/store.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define REPLICAS 6

static struct store *open_uri(const char *uri)
{
    struct store_opts o = STORE_OPTS_INIT;
    o.default_artifact_root = "/artifacts";
    o.group_commit = 1;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    return s;
}

enum race_op { RACE_CREATE, RACE_RENAME, RACE_TOGGLE };

struct replica {
    struct store *s;
    pthread_barrier_t *start;
    enum race_op op;
    const char *name;  /* create: the name; rename: the new name */
    char exp_id[32];   /* rename, toggle: the experiment; create: the id taken */
    int ok, lost, odd; /* successes, expected refusals, anything else */
    int deletes, restores;
};

static void count(struct replica *r, int rc, const struct ferr *err, enum ferr_code refusal)
{
    if (!rc)
        r->ok++;
    else if (err->code == refusal)
        r->lost++;
    else {
        fprintf(stderr, "    unexpected: %s: %s\n", ferr_code_name(err->code), err->msg);
        r->odd++;
    }
}

static void *race(void *arg)
{
    struct replica *r = arg;
    struct ferr err = FERR_INIT;
    pthread_barrier_wait(r->start);
    if (r->op == RACE_CREATE) {
        char *id = NULL;
        int rc = store_create_experiment(r->s, r->name, NULL, NULL, &id, &err);
        count(r, rc, &err, FERR_RESOURCE_ALREADY_EXISTS);
        if (!rc)
            snprintf(r->exp_id, sizeof(r->exp_id), "%s", id);
        free(id);
        if (rc && err.code == FERR_RESOURCE_ALREADY_EXISTS)
            ASSERT_CONTAINS(err.msg, "already exists");
    } else if (r->op == RACE_RENAME) {
        int rc = store_rename_experiment(r->s, r->exp_id, r->name, &err);
        count(r, rc, &err, FERR_RESOURCE_ALREADY_EXISTS);
    } else {
        for (int i = 0; i < 20; i++) {
            int d = i % 2 == 0; /* delete, then restore, ... */
            ferr_clear(&err);
            int rc = d ? store_delete_experiment(r->s, r->exp_id, &err)
                       : store_restore_experiment(r->s, r->exp_id, &err);
            count(r, rc, &err, FERR_INVALID_PARAMETER_VALUE);
            if (!rc && d)
                r->deletes++;
            else if (!rc)
                r->restores++;
        }
    }
    return NULL;
}

/* Runs every replica's op at once (a barrier lines them up). */
static void run_all(struct replica *r, int n)
{
    pthread_barrier_t start;
    pthread_t t[REPLICAS];
    ASSERT(pthread_barrier_init(&start, NULL, (unsigned)n) == 0);
    for (int i = 0; i < n; i++) {
        r[i].start = &start;
        ASSERT(pthread_create(&t[i], NULL, race, &r[i]) == 0);
    }
    for (int i = 0; i < n; i++)
        ASSERT(pthread_join(t[i], NULL) == 0);
    pthread_barrier_destroy(&start);
}

static void reset(struct replica *r, int n, enum race_op op, const char *name)
{
    for (int i = 0; i < n; i++) {
        r[i].op = op;
        r[i].name = name;
        r[i].ok = r[i].lost = r[i].odd = r[i].deletes = r[i].restores = 0;
    }
}

static int total(const struct replica *r, int n, size_t field)
{
    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += *(const int *)((const char *)&r[i] + field);
    return sum;
}

PG_TEST(pg_experiment_name_races_between_replicas_are_won_once)
{
    char *uri = test_store_uri("experiments");
    struct replica r[REPLICAS];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < REPLICAS; i++)
        r[i].s = open_uri(uri);
    struct ferr err = FERR_INIT;
    char name[32];
    for (int round = 0; round < 5; round++) {
        snprintf(name, sizeof(name), "race-%d", round);
        reset(r, REPLICAS, RACE_CREATE, name);
        run_all(r, REPLICAS);
        ASSERT_INT_EQ(total(r, REPLICAS, offsetof(struct replica, ok)), 1);
        ASSERT_INT_EQ(total(r, REPLICAS, offsetof(struct replica, lost)), REPLICAS - 1);
        ASSERT_INT_EQ(total(r, REPLICAS, offsetof(struct replica, odd)), 0);
    }
    /* each replica renames an experiment of its own to one name */
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < REPLICAS; i++) {
            char *id = NULL;
            snprintf(name, sizeof(name), "rename-%d-%d", round, i);
            ASSERT_OK(store_create_experiment(r[0].s, name, NULL, NULL, &id, &err), &err);
            snprintf(r[i].exp_id, sizeof(r[i].exp_id), "%s", id);
            free(id);
        }
        snprintf(name, sizeof(name), "target-%d", round);
        reset(r, REPLICAS, RACE_RENAME, name);
        run_all(r, REPLICAS);
        ASSERT_INT_EQ(total(r, REPLICAS, offsetof(struct replica, ok)), 1);
        ASSERT_INT_EQ(total(r, REPLICAS, offsetof(struct replica, odd)), 0);
    }
    for (int i = 0; i < REPLICAS; i++)
        store_close(r[i].s);
    free(uri);
}

PG_TEST(pg_experiment_ids_from_replicas_differ)
{
    char *uri = test_store_uri("experiments");
    struct replica r[REPLICAS];
    memset(r, 0, sizeof(r));
    char names[REPLICAS][16];
    for (int i = 0; i < REPLICAS; i++) {
        r[i].s = open_uri(uri);
        snprintf(names[i], sizeof(names[i]), "own-%d", i);
    }
    reset(r, REPLICAS, RACE_CREATE, NULL);
    for (int i = 0; i < REPLICAS; i++)
        r[i].name = names[i];
    run_all(r, REPLICAS);
    struct ferr err = FERR_INIT;
    for (int i = 0; i < REPLICAS; i++) {
        ASSERT_INT_EQ(r[i].ok, 1);
        for (int j = 0; j < i; j++)
            ASSERT(strcmp(r[i].exp_id, r[j].exp_id) != 0);
        struct experiment e;
        ASSERT_OK(store_get_experiment(r[0].s, r[i].exp_id, &e, &err), &err);
        char want[64];
        snprintf(want, sizeof(want), "/artifacts/%s", r[i].exp_id);
        ASSERT_STR_EQ(e.artifact_location, want);
        ASSERT_STR_EQ(e.name, names[i]);
        experiment_release(&e);
    }
    for (int i = 0; i < REPLICAS; i++)
        store_close(r[i].s);
    free(uri);
}

PG_TEST(pg_experiment_lifecycle_changes_from_replicas_take_turns)
{
    char *uri = test_store_uri("experiments");
    struct replica r[REPLICAS];
    memset(r, 0, sizeof(r));
    struct ferr err = FERR_INIT;
    for (int i = 0; i < REPLICAS; i++)
        r[i].s = open_uri(uri);
    char *id = NULL;
    ASSERT_OK(store_create_experiment(r[0].s, "toggled", NULL, NULL, &id, &err), &err);
    reset(r, REPLICAS, RACE_TOGGLE, NULL);
    for (int i = 0; i < REPLICAS; i++)
        snprintf(r[i].exp_id, sizeof(r[i].exp_id), "%s", id);
    run_all(r, REPLICAS);
    ASSERT_INT_EQ(total(r, REPLICAS, offsetof(struct replica, odd)), 0);
    /* Every success flipped the state: starting active, the deletes lead
     * the restores by 0 or 1, and that says what the state is now. */
    int deletes = total(r, REPLICAS, offsetof(struct replica, deletes));
    int restores = total(r, REPLICAS, offsetof(struct replica, restores));
    ASSERT(deletes - restores == 0 || deletes - restores == 1);
    struct experiment e;
    ASSERT_OK(store_get_experiment(r[0].s, id, &e, &err), &err);
    ASSERT_INT_EQ(e.lifecycle_stage, deletes > restores ? LIFECYCLE_DELETED : LIFECYCLE_ACTIVE);
    experiment_release(&e);
    free(id);
    for (int i = 0; i < REPLICAS; i++)
        store_close(r[i].s);
    free(uri);
}
