/* SPDX-License-Identifier: MIT
 * A growable string (git's strbuf). buf is never NULL and always NUL-terminated,
 * so it can be handed to C string functions at any time. Binary data may be
 * stored: len, not strlen, is the length. */
#ifndef FERRY_BASE_SBUF_H
#define FERRY_BASE_SBUF_H

#include <stdarg.h>
#include <stddef.h>

struct sbuf {
    size_t len;   /* bytes used, not counting the terminating NUL */
    size_t alloc; /* bytes allocated; 0 means buf points at a static empty string */
    char *buf;
};

extern char sbuf_empty[];
#define SBUF_INIT                                                                                  \
    {                                                                                              \
        0, 0, sbuf_empty                                                                           \
    }

void sbuf_init(struct sbuf *sb, size_t hint);
/* Frees the contents and leaves sb initialised (empty). Accepts NULL. */
void sbuf_release(struct sbuf *sb);
/* Makes room for at least extra more bytes. */
void sbuf_grow(struct sbuf *sb, size_t extra);
void sbuf_add(struct sbuf *sb, const void *data, size_t n);
void sbuf_addstr(struct sbuf *sb, const char *s);
void sbuf_addch(struct sbuf *sb, char c);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void sbuf_setlen(struct sbuf *sb, size_t len);
static inline void sbuf_reset(struct sbuf *sb)
{
    sbuf_setlen(sb, 0);
}
/* Appends the contents of the file at path. -1 with errno set when it
 * cannot be read, or EFBIG when it holds more than max bytes (sb is then
 * back at its old length). */
int sbuf_read_file(struct sbuf *sb, const char *path, size_t max)
    __attribute__((warn_unused_result));
/* Hands the buffer to the caller (free() it) and re-initialises sb. */
char *sbuf_detach(struct sbuf *sb, size_t *len);

#endif
