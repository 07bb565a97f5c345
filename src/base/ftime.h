/* SPDX-License-Identifier: MIT
 * Wall-clock and monotonic time in the units MLflow uses. */
#ifndef FERRY_BASE_FTIME_H
#define FERRY_BASE_FTIME_H

#include <stdint.h>

/* Milliseconds since the Unix epoch (MLflow's timestamp unit). */
int64_t ftime_now_ms(void);
/* Monotonic nanoseconds, for measuring durations. */
int64_t ftime_mono_ns(void);
/* Seconds since ftime_mono_ns's origin, for timing phases. */
double ftime_mono_s(void);

struct timespec;
/* The CLOCK_REALTIME deadline ms milliseconds from now, as
 * pthread_cond_timedwait takes it. */
void ftime_deadline_after_ms(int64_t ms, struct timespec *out);

#endif
