/* SPDX-License-Identifier: MIT
 * Typed field access on jansson objects, with MLflow's conventions and errors:
 * int64 fields may arrive as JSON numbers or as decimal strings (protobuf's JSON
 * mapping), doubles may be "NaN", "Infinity" or "-Infinity". A field that is
 * absent or present with the wrong type is INVALID_PARAMETER_VALUE in the
 * words of MLflow's server (handlers.py _validate_param_against_schema),
 * which clients and scripts match on:
 *   Missing value for required parameter 'run_id'. See the API docs for more
 *   information about request parameters.
 *   Invalid value 31 for parameter 'run_id' supplied:  Hint: Value was of type
 *   'int'. See the API docs for more information about request parameters. */
#ifndef FERRY_BASE_JSON_H
#define FERRY_BASE_JSON_H

#include "base/ferr.h"
#include "base/sbuf.h"

#include <jansson.h>
#include <stdint.h>

enum { JSON_OPTIONAL = 0, JSON_REQUIRED = 1 };

/* Each returns 1 when the field was found and stored, 0 when it is absent (or
 * null) and optional, -1 with err set otherwise. Strings are borrowed from obj. */
int fjson_get_str(json_t *obj, const char *field, int required, const char **out,
                  struct ferr *err) WARN_UNUSED;
int fjson_get_int64(json_t *obj, const char *field, int required, int64_t *out,
                    struct ferr *err) WARN_UNUSED;
int fjson_get_double(json_t *obj, const char *field, int required, double *out,
                     struct ferr *err) WARN_UNUSED;
int fjson_get_bool(json_t *obj, const char *field, int required, int *out,
                   struct ferr *err) WARN_UNUSED;
/* An array field; *out is borrowed. Absent means an empty array (returns 0). */
int fjson_get_array(json_t *obj, const char *field, int required, json_t **out,
                    struct ferr *err) WARN_UNUSED;

/* MLflow's messages for a missing field and for a value of the wrong type
 * (the value as Python's json.dumps writes it, compact with sorted keys; its
 * Python type name). path may name an element: "metrics[0].timestamp".
 * Each sets err and returns -1. */
int fjson_missing(struct ferr *err, const char *path);
int fjson_invalid(struct ferr *err, const char *path, json_t *value);

/* A double as MLflow's JSON carries it: NaN and infinities become strings. */
json_t *fjson_double(double v);
/* Parses a decimal int64 from a string in full; -1 on junk or overflow. */
int fjson_parse_int64(const char *s, int64_t *out) WARN_UNUSED;
/* Parses a double, accepting "NaN", "Infinity", "-Infinity", "inf", "nan". */
int fjson_parse_double(const char *s, double *out) WARN_UNUSED;
/* Appends a double with 17 significant digits, which reads back exactly
 * (JSON-safe for finite values; NaN/Infinity written as quoted strings). */
void fjson_add_double(struct sbuf *sb, double v);
/* Appends a decimal int64 (faster than sbuf_addf on hot paths). */
void fjson_add_int64(struct sbuf *sb, int64_t v);
/* Appends s as a JSON string literal, escaped as jansson escapes it. */
void fjson_add_string(struct sbuf *sb, const char *s);

/* json_dumps that aborts when memory runs out (as base/xalloc.h does);
 * never NULL. Free with free(). */
char *fjson_dumps(const json_t *j, size_t flags);

/* MLflow's error body {"error_code": "...", "message": "..."}. IO_ERROR,
 * ferry's own code for local failures, goes out as INTERNAL_ERROR. */
void fjson_add_error(struct sbuf *sb, const struct ferr *err);
/* JSON from a peer, parsed while jansson may hold at most cap bytes
 * (json_load.c); past it the parse fails, *je (may be NULL) saying so, and
 * fjson_load_over_budget(je) tells that from malformed JSON. The tree
 * returned is an ordinary one (json_decref), usable and freed on any
 * thread. What a tree costs per byte of text (measured with jansson 2.14):
 * long strings ~1, a log-batch of 1000 metrics 7.5, rows of one-digit
 * numbers 17-22, "[{},{},...]" 73. fjson_cap(len, k) is FJSON_CAP_BASE
 * (every small request fits whatever its shape) plus k bytes a byte. */
#define FJSON_CAP_BASE    ((size_t)4 << 20)
#define fjson_cap(len, k) (FJSON_CAP_BASE + (size_t)(k) * (size_t)(len))
json_t *fjson_loadb_capped(const char *buf, size_t len, size_t cap, json_error_t *je);
int fjson_load_over_budget(const json_error_t *je);

/* Decodes an error body into out; -1 when body is not one. */
int fjson_parse_error(const char *body, size_t len, struct ferr *out) WARN_UNUSED;

#endif
