/* SPDX-License-Identifier: MIT
 * The prediction log's records' release functions (store/predictions.h),
 * apart from the front so a backend can use them without depending on the
 * front (and through it on the deployments area). */
#include "store/prediction_record.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void feedback_result_release(struct feedback_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nunknown; i++)
        free(r->unknown[i]);
    free(r->unknown);
    memset(r, 0, sizeof(*r));
}

void label_change_list_release(struct label_change_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].label);
        free(l->v[i].previous);
        free(l->v[i].user_id);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void pred_hour_release(struct pred_hour *h)
{
    if (!h)
        return;
    pred_target_release(&h->target);
    free(h->slice_key);
    free(h->slice_value);
    free(h->latency);
    free(h->stats);
    memset(h, 0, sizeof(*h));
}

void pred_hour_list_release(struct pred_hour_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        pred_hour_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}
