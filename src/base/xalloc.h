/* SPDX-License-Identifier: MIT
 * Checked allocation: every x* function aborts with a message when memory runs
 * out, so callers never test for NULL (git's wrapper.c, Redis's zmalloc). */
#ifndef FERRY_BASE_XALLOC_H
#define FERRY_BASE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Copies at most n bytes of s and NUL-terminates; s need not be terminated. */
char *xstrndup(const char *s, size_t n);
/* xstrdup that maps NULL to NULL. */
char *xstrdup_or_null(const char *s);

/* Grows the array x (of *alloc elements) so that it holds at least nr elements. */
#define ALLOC_GROW(x, nr, alloc)                                                                   \
    do {                                                                                           \
        if ((nr) > (alloc)) {                                                                      \
            size_t alloc_grow_n_ = (alloc) < 8 ? 8 : (alloc)*2;                                    \
            if (alloc_grow_n_ < (nr))                                                              \
                alloc_grow_n_ = (nr);                                                              \
            (x) = xrealloc((x), alloc_grow_n_ * sizeof(*(x)));                                     \
            (alloc) = alloc_grow_n_;                                                               \
        }                                                                                          \
    } while (0)

#endif
