/* SPDX-License-Identifier: MIT
 * UTF-8 as JSON needs it: well-formed sequences only (no overlongs,
 * surrogates or code points past U+10FFFF). MLflow counts its limits in
 * characters (Python's len), so lengths here are code points. */
#ifndef FERRY_BASE_UTF8_H
#define FERRY_BASE_UTF8_H

#include <stddef.h>

/* Length in bytes of the well-formed sequence that starts at s, looking at
 * no more than n bytes; 0 when the bytes there are not UTF-8. */
size_t utf8_seq(const unsigned char *s, size_t n);

/* 1 when the NUL-terminated s is entirely well-formed UTF-8. */
int utf8_valid(const char *s);

/* Number of code points in s; an invalid byte counts as one. */
size_t utf8_chars(const char *s);

/* Replaces, in place, every byte that does not belong to a well-formed
 * sequence with '?': text cut at a byte limit stays valid UTF-8. */
void utf8_scrub(char *s);

#endif
