/* SPDX-License-Identifier: MIT */
#include "base/utf8.h"

#include <string.h>

size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (n == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        len = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        len = 4;
    else
        return 0;
    if (len > n)
        return 0;
    /* The second byte's range excludes overlongs (E0, F0), surrogates (ED)
     * and values past U+10FFFF (F4). */
    if (s[0] == 0xE0)
        lo = 0xA0;
    else if (s[0] == 0xED)
        hi = 0x9F;
    else if (s[0] == 0xF0)
        lo = 0x90;
    else if (s[0] == 0xF4)
        hi = 0x8F;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k < len; k++)
        if (s[k] < 0x80 || s[k] > 0xBF)
            return 0;
    return len;
}

int utf8_valid(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq(u + i, n - i);
        if (!len)
            return 0;
        i += len;
    }
    return 1;
}

size_t utf8_chars(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), chars = 0;
    for (size_t i = 0; i < n; chars++) {
        size_t len = utf8_seq(u + i, n - i);
        i += len ? len : 1;
    }
    return chars;
}

void utf8_scrub(char *s)
{
    unsigned char *u = (unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq(u + i, n - i);
        if (!len) {
            u[i] = '?';
            len = 1;
        }
        i += len;
    }
}
