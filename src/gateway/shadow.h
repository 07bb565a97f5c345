/* SPDX-License-Identifier: MIT
 * Shadow scoring: a request's copy for each shadow target, scored after
 * the primary answer went out, on the queue's own threads. The queue is
 * bounded: when the shadows cannot keep up, copies are dropped (and
 * counted), never waited for, so a slow or failing shadow adds no latency
 * and no error to the primary. A shadow's answer is compared with the
 * primary's (same rows, values equal within 1e-6 relative) and counted as
 * agreeing or not. */
#ifndef FERRY_GATEWAY_SHADOW_H
#define FERRY_GATEWAY_SHADOW_H

#include "gateway/endpoint.h"
#include "serving/scorer.h"

#include <stddef.h>

struct shadow_queue;

/* threads: scoring threads; capacity: copies waiting at most. */
struct shadow_queue *shadow_queue_new(int threads, size_t capacity);
/* Stops the threads (copies still queued are dropped) and frees it. */
void shadow_queue_free(struct shadow_queue *q);
/* Queues a copy of the request for e's shadow i (takes a reference on e,
 * copies body and the primary's answer); 0, or -1 when full (dropped). */
int shadow_queue_push(struct shadow_queue *q, struct gw_endpoint *e, size_t shadow,
                      const struct score_request *rq, const char *primary, size_t primary_len);
/* Copies dropped because the queue was full, since it started. */
unsigned long long shadow_queue_dropped(const struct shadow_queue *q);

/* 1 when two scoring answers (JSON texts) agree: same shape, numbers
 * equal within 1e-6 relative, other values equal. */
int shadow_answers_agree(const char *a, size_t alen, const char *b, size_t blen);

#endif
