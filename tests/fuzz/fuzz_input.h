/* SPDX-License-Identifier: MIT
 * What every fuzz target does first with libFuzzer's bytes. */
#ifndef FERRY_TESTS_FUZZ_INPUT_H
#define FERRY_TESTS_FUZZ_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The input as a NUL-terminated copy (string functions stop at an embedded
 * NUL), or NULL when out of memory. The caller frees it. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

#endif
