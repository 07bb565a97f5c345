/* SPDX-License-Identifier: MIT
 * Shadow scoring: a request's copy for each shadow target, scored after
 * the primary answer went out, on the queue's own threads. The queue is
 * bounded: when the shadows cannot keep up, copies are dropped (and
 * counted), never waited for, so a slow or failing shadow adds no latency
 * and no error to the primary. A shadow's answer is compared with the
 * primary's (same rows, values equal within 1e-6 relative) and counted as
 * agreeing or not, and logged (shadow: 1) under the primary's request id
 * when the primary was (gateway/pred_logger.h). */
#ifndef FERRY_GATEWAY_SHADOW_H
#define FERRY_GATEWAY_SHADOW_H

#include "gateway/endpoint.h"
#include "gateway/pred_logger.h"
#include "serving/scorer.h"

#include <stddef.h>

struct shadow_queue;

/* threads: scoring threads; capacity: copies waiting at most; plog: where
 * logged copies' answers go (NULL: none). */
struct shadow_queue *shadow_queue_new(int threads, size_t capacity, struct pred_logger *plog);
/* Stops the threads (copies still queued are dropped) and frees it. */
void shadow_queue_free(struct shadow_queue *q);
/* Queues a copy of the request for e's shadow i (takes a reference on e,
 * copies body and the primary's answer); 0, or -1 when full (dropped).
 * log: the primary's log record (its strings copied) when the shadow's
 * answer is to be logged too; NULL: not logged. */
int shadow_queue_push(struct shadow_queue *q, struct gw_endpoint *e, size_t shadow,
                      const struct score_request *rq, const char *primary, size_t primary_len,
                      const struct plog_request *log);
/* Copies dropped because the queue was full, since it started. */
unsigned long long shadow_queue_dropped(const struct shadow_queue *q);

/* 1 when two scoring answers (JSON texts) agree: same shape, numbers
 * equal within 1e-6 relative, other values equal. */
int shadow_answers_agree(const char *a, size_t alen, const char *b, size_t blen);

#endif
