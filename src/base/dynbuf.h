/* SPDX-License-Identifier: MIT
 * A growable buffer with a maximum size, for data that arrives from the
 * network (curl's dynbuf): request bodies, HTTP answers. Adding past the
 * maximum drops what was collected and marks the buffer as overflowed, so a
 * peer cannot make us hold more than `max` bytes; later adds are refused. */
#ifndef FERRY_BASE_DYNBUF_H
#define FERRY_BASE_DYNBUF_H

#include "base/sbuf.h"

#include <stddef.h>

struct dynbuf {
    struct sbuf sb; /* what was collected (empty after an overflow) */
    size_t max;     /* bytes it may hold */
    int overflow;   /* 1 once an add would have passed max */
};

#define DYNBUF_INIT(max_bytes)                                                                     \
    {                                                                                              \
        SBUF_INIT, (max_bytes), 0                                                                  \
    }

void dynbuf_init(struct dynbuf *d, size_t max);
/* Appends n bytes: 0, or -1 (contents freed, overflow set) when the buffer
 * would pass its maximum or has already overflowed. */
int dynbuf_add(struct dynbuf *d, const void *data, size_t n) __attribute__((warn_unused_result));
/* Frees the contents; keeps the maximum and clears the overflow mark. */
void dynbuf_reset(struct dynbuf *d);
void dynbuf_release(struct dynbuf *d);

#endif
