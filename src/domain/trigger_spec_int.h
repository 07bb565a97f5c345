/* SPDX-License-Identifier: MIT
 * What trigger_spec.c and trigger_spec_event.c share. */
#ifndef FERRY_DOMAIN_TRIGGER_SPEC_INT_H
#define FERRY_DOMAIN_TRIGGER_SPEC_INT_H

#include "base/sbuf.h"
#include "domain/trigger_spec.h"

#include <stddef.h>

/* The names of the enums' values, in enum order. */
extern const char *const trigger_kind_names[4];
extern const char *const trigger_concurrency_names[3];
extern const char *const trigger_condition_names[4];
extern const char *const trigger_reg_event_names[3];

/* INVALID_PARAMETER_VALUE "trigger spec: " + the message; returns -1. */
int trigger_bad(struct ferr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* [A-Za-z0-9_][A-Za-z0-9_-]*, <= TRIGGER_NAME_MAX. */
int trigger_param_name_ok(const char *s);
/* Checks a param's template for a trigger of kind: every {event.X} one of
 * the kind's fields, {trigger.name}, literal {{ and }}. path names the
 * param in messages ("params.data"). */
int trigger_template_check(const char *text, enum trigger_kind kind, const char *path,
                           struct ferr *err);

/* The event fields a kind adds to the common ones (NULL-terminated). */
const char *const *trigger_kind_fields(enum trigger_kind k);
/* 1 when s[0..n) is one of list (NULL-terminated). */
int trigger_in_list(const char *const *list, const char *s, size_t n);
/* "an" for alert, else "a" (for messages: "an alert trigger"). */
const char *trigger_article(enum trigger_kind k);
/* Appends "id, kind, time_ms, time, <the kind's fields>" to out. */
void trigger_list_fields(enum trigger_kind k, struct sbuf *out);

/* Called for each {REF} of a template (ref[0..n)): appends its value to
 * out, or fails with err set. */
typedef int trigger_ref_fn(void *arg, const char *ref, size_t n, struct sbuf *out,
                           struct ferr *err);
/* Walks text appending literal text to out ({{ and }} are literal braces,
 * a lone '}' is literal too) and handing each {REF} to fn. An unclosed '{'
 * is refused naming what ("'params.data': unclosed '{' ..."). */
int trigger_template_walk(const char *text, trigger_ref_fn *fn, void *arg, struct sbuf *out,
                          const char *what, struct ferr *err);

#endif
