/* SPDX-License-Identifier: MIT
 * Reading the fields of a spec (a deployment's, a monitor's: JSON, most
 * often from YAML, so numbers and booleans may arrive as strings). Every
 * refusal is INVALID_PARAMETER_VALUE naming the spec and the field's path:
 * "monitor spec: 'window.last' must be a positive duration ...". `what` is
 * the spec's name in those messages ("monitor spec"). */
#ifndef FERRY_DOMAIN_SPEC_FIELD_H
#define FERRY_DOMAIN_SPEC_FIELD_H

#include "base/ferr.h"

#include <jansson.h>
#include <stdint.h>

/* Sets err: "<what>: '<path>' <why>"; returns -1. */
int spec_bad(const char *what, const char *path, const char *why, struct ferr *err);

/* A finite number given as a JSON number or as a decimal string (no
 * leading space); -1 otherwise (no err: the caller names the field). */
int spec_number(json_t *v, double *out);

/* An integer in [lo, hi]. */
int spec_int(const char *what, json_t *v, const char *path, int64_t lo, int64_t hi, int64_t *out,
             struct ferr *err);
/* A number in [lo, hi]. */
int spec_real(const char *what, json_t *v, const char *path, double lo, double hi, double *out,
              struct ferr *err);
/* true or false (a JSON boolean or the strings "true", "false"). */
int spec_bool(const char *what, json_t *v, const char *path, int *out, struct ferr *err);
/* A positive duration in ms: "500ms", "30s", "1h", "7d" (base/duration.h),
 * or a number of seconds below 1e9 (inside what duration_parse reads back
 * from the spec's JSON). */
int spec_duration(const char *what, json_t *v, const char *path, int64_t *out, struct ferr *err);
/* A point in time in ms since the epoch: a number, digits, or RFC 3339. */
int spec_time(const char *what, json_t *v, const char *path, int64_t *out, struct ferr *err);
/* Refuses a key of obj outside allowed (NULL-terminated): "<what>:
 * unknown key '<path>.<key>'". */
int spec_only_keys(const char *what, json_t *obj, const char *path, const char *const *allowed,
                   struct ferr *err);

#endif
