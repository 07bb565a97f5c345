/* SPDX-License-Identifier: MIT
 * pyworker.py's text, embedded at build time (scripts/embed) so that the
 * one ferry binary carries its worker. Internal to models/. */
#ifndef FERRY_MODELS_PYWORKER_SOURCE_H
#define FERRY_MODELS_PYWORKER_SOURCE_H

#include <stddef.h>

extern const char pyworker_source[]; /* NUL-terminated */
extern const size_t pyworker_source_len;

#endif
