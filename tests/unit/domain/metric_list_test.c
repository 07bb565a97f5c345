/* SPDX-License-Identifier: MIT
 * domain: metric lists whose points share one key string
 * (metric_list_add_point) are freed once, however they are released; the
 * sanitizer build turns a double free or a leak into a failure. */
#include "../test.h"
#include "domain/domain.h"

#include <math.h>

TEST(metric_points_share_one_key_per_run_of_keys)
{
    struct metric_list l = {0};
    metric_list_add_point(&l, "loss", 0.5, 10, 0);
    metric_list_add_point(&l, "loss", NAN, 11, 1);
    metric_list_add_point(&l, "loss", INFINITY, 12, 2);
    metric_list_add_point(&l, "acc", 0.25, 13, 0); /* another key: its own copy */
    metric_list_add_point(&l, "acc", -INFINITY, 14, 1);
    metric_list_add(&l, "acc", 1e-300, 15, 2); /* metric_list_add always copies */
    metric_list_add_point(&l, "acc", 1e300, 16, 3);
    ASSERT_INT_EQ(l.n, 7);
    ASSERT(!l.v[0].shares_key && l.v[1].shares_key && l.v[2].shares_key);
    ASSERT(l.v[1].key == l.v[0].key && l.v[2].key == l.v[0].key);
    ASSERT(!l.v[3].shares_key && l.v[3].key != l.v[0].key);
    ASSERT(l.v[4].key == l.v[3].key);
    ASSERT(!l.v[5].shares_key && l.v[5].key != l.v[4].key);
    ASSERT(l.v[6].shares_key && l.v[6].key == l.v[5].key);
    ASSERT_STR_EQ(l.v[2].key, "loss");
    ASSERT_STR_EQ(l.v[6].key, "acc");
    ASSERT(isnan(l.v[1].value) && l.v[2].value > 0 && isinf(l.v[2].value));
    ASSERT_INT_EQ(l.v[6].timestamp, 16);
    ASSERT_INT_EQ(l.v[6].step, 3);
    ASSERT(!l.v[6].run_id && !l.v[6].model_id && !l.v[6].dataset_name);
    metric_list_release(&l);
    ASSERT(l.v == NULL && l.n == 0);
    metric_list_release(&l); /* empty, and NULL, are fine */
    metric_list_release(NULL);
}

/* The API layer releases a response's points one by one, in order; any
 * order must free each key exactly once. */
TEST(metric_points_released_one_by_one_in_any_order)
{
    struct metric_list l = {0};
    for (int i = 0; i < 1000; i++)
        metric_list_add_point(&l, i < 500 ? "a" : "b", i, i, i);
    for (size_t i = l.n; i-- > 0;)
        metric_release(&l.v[i]);
    free(l.v);
    memset(&l, 0, sizeof(l));
    for (int i = 0; i < 10; i++)
        metric_list_add_point(&l, "k", i, i, i);
    struct metric tmp = l.v[0]; /* the owner moved behind its sharers */
    memmove(l.v, l.v + 1, 9 * sizeof(*l.v));
    l.v[9] = tmp;
    for (size_t i = 0; i < l.n; i++)
        ASSERT_STR_EQ(l.v[i].key, "k");
    metric_list_release(&l);
    metric_release(NULL);
}
