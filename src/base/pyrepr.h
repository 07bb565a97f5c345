/* SPDX-License-Identifier: MIT
 * Values written as Python writes them, for the error messages MLflow's
 * server formats with repr() and type(): clients match on that text. */
#ifndef FERRY_BASE_PYREPR_H
#define FERRY_BASE_PYREPR_H

#include "base/sbuf.h"

/* repr(s) of a Python str: single quotes unless s holds a single quote and
 * no double quote; backslash, the quote, \n, \r, \t and other control
 * characters escaped; other characters (UTF-8) as they are. */
void py_repr_str(struct sbuf *sb, const char *s);

#endif
