/* SPDX-License-Identifier: MIT
 * store/leases on a real SQLite file: one holder at a time, epochs that
 * grow with each new holder, expiry on the database's clock, a stale
 * holder refused, and a race for a free lease won once. */
#include "../test.h"
#include "store/leases.h"
#include "store/store.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

static struct store *open_lease_store(void)
{
    struct sbuf path = SBUF_INIT;
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    {
        char *uri = test_store_uri("leases");
        sbuf_addstr(&path, uri);
        free(uri);
    }
    o.default_artifact_root = "/artifacts";
    o.group_commit = 1;
    ASSERT_OK(store_open(path.buf, &o, &s, &err), &err);
    sbuf_release(&path);
    return s;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

STORE_TEST(lease_one_holder_epochs_expiry_and_stale_holders)
{
    struct store *s = open_lease_store();
    struct ferr err = FERR_INIT;
    struct lease l;
    memset(&l, 0, sizeof(l));
    ASSERT_OK(store_lease_acquire(s, "ctl", "a", 10000, &l, &err), &err);
    ASSERT_INT_EQ(l.epoch, 1);
    ASSERT(l.expires_ms > l.now_ms);
    lease_release(&l);
    ASSERT_FAILS(store_lease_acquire(s, "ctl", "b", 10000, &l, &err), &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "held by 'a'");
    /* the holder again: same epoch, extended */
    ASSERT_OK(store_lease_acquire(s, "ctl", "a", 60, &l, &err), &err);
    ASSERT_INT_EQ(l.epoch, 1);
    lease_release(&l);
    sleep_ms(120);
    /* expired: the next holder gets a new epoch, the old one cannot renew */
    ASSERT_OK(store_lease_acquire(s, "ctl", "b", 10000, &l, &err), &err);
    ASSERT_INT_EQ(l.epoch, 2);
    lease_release(&l);
    ASSERT_FAILS(store_lease_renew(s, "ctl", "a", 1, 10000, &l, &err), &err, FERR_INVALID_STATE);
    ASSERT_FAILS(store_lease_renew(s, "ctl", "b", 1, 10000, &l, &err), &err, FERR_INVALID_STATE);
    ASSERT_OK(store_lease_renew(s, "ctl", "b", 2, 10000, &l, &err), &err);
    lease_release(&l);
    ASSERT_FAILS(store_lease_release(s, "ctl", "a", 2, &err), &err, FERR_INVALID_STATE);
    ASSERT_OK(store_lease_release(s, "ctl", "b", 2, &err), &err);
    ASSERT_OK(store_lease_acquire(s, "ctl", "c", 10000, &l, &err), &err);
    ASSERT_INT_EQ(l.epoch, 3);
    lease_release(&l);
    ASSERT_FAILS(store_lease_get(s, "nope", &l, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_lease_acquire(s, "", "a", 10, &l, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_lease_acquire(s, "x", "a", 0, &l, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_lease_acquire(s, "x", "a", 86400001, &l, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    store_close(s);
}

struct racer {
    struct store *s;
    char holder[16];
    int won;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct ferr err = FERR_INIT;
    struct lease l;
    memset(&l, 0, sizeof(l));
    r->won = !store_lease_acquire(r->s, "race", r->holder, 10000, &l, &err);
    if (r->won)
        lease_release(&l);
    return NULL;
}

STORE_TEST(lease_a_race_for_a_free_lease_is_won_once)
{
    struct store *s = open_lease_store();
    struct racer r[8];
    pthread_t t[8];
    int wins = 0;
    for (int i = 0; i < 8; i++) {
        r[i].s = s;
        snprintf(r[i].holder, sizeof(r[i].holder), "h%d", i);
        ASSERT(pthread_create(&t[i], NULL, race, &r[i]) == 0);
    }
    for (int i = 0; i < 8; i++) {
        ASSERT(pthread_join(t[i], NULL) == 0);
        wins += r[i].won;
    }
    ASSERT_INT_EQ(wins, 1);
    store_close(s);
}

static int create_exp(struct store *s, const char *name, struct ferr *err)
{
    char *id = NULL;
    int rc = store_create_experiment(s, name, NULL, NULL, &id, err);
    free(id);
    return rc;
}

/* A write under a lease's fence: allowed while the holder holds that
 * epoch, refused with nothing written when the epoch is stale (another
 * holder took it, it expired, or it was never taken); the fence is the
 * calling thread's and ends with store_fence_clear. */
STORE_TEST(lease_fenced_writes_refused_under_a_stale_epoch)
{
    struct store *s = open_lease_store();
    struct ferr err = FERR_INIT;
    struct lease l;
    struct experiment e;
    memset(&l, 0, sizeof(l));
    memset(&e, 0, sizeof(e));
    ASSERT_OK(store_lease_acquire(s, "ctl", "a", 10000, &l, &err), &err);
    lease_release(&l);

    struct lease_fence a1 = {"ctl", "a", 1};
    ASSERT_OK(store_fence_set(&a1, &err), &err);
    ASSERT_OK(create_exp(s, "under-a1", &err), &err);
    store_fence_clear();

    /* b takes the lease: a's epoch 1 is stale, b's 2 writes */
    ASSERT_OK(store_lease_release(s, "ctl", "a", 1, &err), &err);
    ASSERT_OK(store_lease_acquire(s, "ctl", "b", 10000, &l, &err), &err);
    ASSERT_INT_EQ(l.epoch, 2);
    lease_release(&l);
    ASSERT_OK(store_fence_set(&a1, &err), &err);
    ASSERT_FAILS(create_exp(s, "stale-a1", &err), &err,
                 FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "lease 'ctl' epoch 1 is stale: 'b' holds epoch 2");
    store_fence_clear();
    ASSERT_FAILS(store_get_experiment_by_name(s, "stale-a1", &e, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    struct lease_fence b_wrong_epoch = {"ctl", "b", 1}, b2 = {"ctl", "b", 2};
    ASSERT_OK(store_fence_set(&b_wrong_epoch, &err), &err);
    ASSERT_FAILS(create_exp(s, "b-epoch-1", &err), &err,
                 FERR_INVALID_STATE);
    ASSERT_OK(store_fence_set(&b2, &err), &err);
    ASSERT_OK(create_exp(s, "under-b2", &err), &err);
    store_fence_clear();

    /* expired: refused though no one else took it */
    ASSERT_OK(store_lease_acquire(s, "short", "c", 50, &l, &err), &err);
    lease_release(&l);
    sleep_ms(120);
    struct lease_fence c1 = {"short", "c", 1}, never = {"never-taken", "c", 1};
    ASSERT_OK(store_fence_set(&c1, &err), &err);
    ASSERT_FAILS(create_exp(s, "late", &err), &err,
                 FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "expired");
    ASSERT_OK(store_fence_set(&never, &err), &err);
    ASSERT_FAILS(create_exp(s, "never", &err), &err,
                 FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "never taken");
    store_fence_clear();

    /* bad fences are refused when set; without a fence, writes go on */
    struct lease_fence bad_epoch = {"ctl", "b", 0}, no_name = {"", "b", 2};
    ASSERT_FAILS(store_fence_set(&bad_epoch, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_fence_set(&no_name, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT(store_fence_current() == NULL);
    ASSERT_OK(create_exp(s, "unfenced", &err), &err);
    store_close(s);
}
