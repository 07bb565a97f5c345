/* SPDX-License-Identifier: MIT */
#include "base/dynbuf.h"

#include "base/banned.h"

void dynbuf_init(struct dynbuf *d, size_t max)
{
    sbuf_init(&d->sb, 0);
    d->max = max;
    d->overflow = 0;
}

int dynbuf_add(struct dynbuf *d, const void *data, size_t n)
{
    if (d->overflow || n > d->max - d->sb.len) {
        sbuf_release(&d->sb);
        d->overflow = 1;
        return -1;
    }
    sbuf_add(&d->sb, data, n);
    return 0;
}

void dynbuf_reset(struct dynbuf *d)
{
    sbuf_release(&d->sb);
    d->overflow = 0;
}

void dynbuf_release(struct dynbuf *d)
{
    if (d)
        dynbuf_reset(d);
}
