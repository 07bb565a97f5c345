/* SPDX-License-Identifier: MIT
 * The catalogue of artifact-path payloads shared by path_test.c (the pure
 * check) and traversal_test.c (a real repository, with the file system
 * outside its root watched). */
#ifndef FERRY_TESTS_ARTIFACT_PAYLOADS_H
#define FERRY_TESTS_ARTIFACT_PAYLOADS_H

#include <stddef.h>

struct payload {
    const char *s;      /* the bytes; may hold a NUL */
    size_t n;           /* their number */
    const char *family; /* the CVE or class it stands for */
};

/* Paths artifact_path_check must refuse. */
extern const struct payload artifact_bad_paths[];
extern const size_t artifact_bad_paths_n;

/* Odd but harmless names that must be accepted and stay below the root. */
extern const struct payload artifact_inert_paths[];
extern const size_t artifact_inert_paths_n;

#endif
