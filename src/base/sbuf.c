/* SPDX-License-Identifier: MIT */
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char sbuf_empty[1];

void sbuf_init(struct sbuf *sb, size_t hint)
{
    sb->len = 0;
    sb->alloc = 0;
    sb->buf = sbuf_empty;
    if (hint)
        sbuf_grow(sb, hint);
}

void sbuf_release(struct sbuf *sb)
{
    if (!sb)
        return;
    if (sb->alloc)
        free(sb->buf);
    sbuf_init(sb, 0);
}

void sbuf_grow(struct sbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (need <= sb->alloc)
        return;
    size_t n = sb->alloc ? sb->alloc : 64;
    while (n < need)
        n *= 2;
    if (!sb->alloc) {
        sb->buf = xmalloc(n);
        sb->buf[0] = '\0';
    } else {
        sb->buf = xrealloc(sb->buf, n);
    }
    sb->alloc = n;
}

void sbuf_setlen(struct sbuf *sb, size_t len)
{
    if (!sb->alloc)
        return;
    sb->len = len;
    sb->buf[len] = '\0';
}

void sbuf_add(struct sbuf *sb, const void *data, size_t n)
{
    if (!n)
        return;
    sbuf_grow(sb, n);
    memcpy(sb->buf + sb->len, data, n);
    sbuf_setlen(sb, sb->len + n);
}

void sbuf_addstr(struct sbuf *sb, const char *s)
{
    sbuf_add(sb, s, strlen(s));
}

void sbuf_addch(struct sbuf *sb, char c)
{
    sbuf_grow(sb, 1);
    sb->buf[sb->len++] = c;
    sb->buf[sb->len] = '\0';
}

void sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    sbuf_grow(sb, 64);
    int n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
    va_end(cp);
    if (n < 0)
        return;
    if ((size_t)n >= sb->alloc - sb->len) {
        sbuf_grow(sb, (size_t)n);
        n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
        if (n < 0)
            return;
    }
    sbuf_setlen(sb, sb->len + (size_t)n);
}

void sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sbuf_vaddf(sb, fmt, ap);
    va_end(ap);
}

char *sbuf_detach(struct sbuf *sb, size_t *len)
{
    if (!sb->alloc)
        sbuf_grow(sb, 0);
    char *p = sb->buf;
    if (len)
        *len = sb->len;
    sbuf_init(sb, 0);
    return p;
}

int sbuf_read_file(struct sbuf *sb, const char *path, size_t max)
{
    size_t old = sb->len, k;
    char buf[65536];
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    while ((k = fread(buf, 1, sizeof(buf), f)) > 0 && sb->len - old <= max)
        sbuf_add(sb, buf, k);
    int e = ferror(f) ? EIO : sb->len - old > max ? EFBIG : 0;
    if (fclose(f) != 0 && !e)
        e = errno;
    if (e) {
        sbuf_setlen(sb, old);
        errno = e;
        return -1;
    }
    return 0;
}
