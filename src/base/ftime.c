/* SPDX-License-Identifier: MIT */
#include "base/ftime.h"

#include <time.h>

int64_t ftime_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ftime_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double ftime_mono_s(void)
{
    return (double)ftime_mono_ns() / 1e9;
}

void ftime_deadline_after_ms(int64_t ms, struct timespec *out)
{
    clock_gettime(CLOCK_REALTIME, out);
    int64_t ns = out->tv_nsec + (ms % 1000) * 1000000LL;
    out->tv_sec += (time_t)(ms / 1000 + ns / 1000000000LL);
    out->tv_nsec = (long)(ns % 1000000000LL);
}
