/* SPDX-License-Identifier: MIT
 * Wall-clock and monotonic time in the units MLflow uses. */
#ifndef FERRY_BASE_FTIME_H
#define FERRY_BASE_FTIME_H

#include <stdint.h>

/* Milliseconds since the Unix epoch (MLflow's timestamp unit). */
int64_t ftime_now_ms(void);
/* Monotonic nanoseconds, for measuring durations. */
int64_t ftime_mono_ns(void);

#endif
